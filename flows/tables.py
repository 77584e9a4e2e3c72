"""Rich tables the CLI prints: numbers formatted for people, names printed as data."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl
from rich.table import Table
from rich.text import Text

from forecasting import hierarchy
from forecasting.capacity import ALL_CLASSES, CapacityPlan, monthly_capacity
from forecasting.ingest import IngestResult
from forecasting.options import ForecastOptions
from forecasting.schema import (
    BOOK_ONLY_LABEL,
    BOOK_STATUS,
    BORDERLINE,
    FAILS_UNDER_SHOCK,
    FAILS_UNSHOCKED,
    MONTHLY_ONLY,
    NEW_SITE,
    NOT_VERIFIED,
    PASS,
    RUNGS_USED_RULE,
    RUNS_ON_ARRIVAL,
    TELEMETRY_SCHEMA,
    UNJUDGED_ABSORB,
    UNJUDGED_KPI,
    VACANT,
    VERDICTS,
    Measure,
    WorkloadClass,
    absorb_cost_text,
    book_labelled,
    book_levels_said_once,
    book_only_words,
    borderline_short,
    unshocked_cell,
    unverified_absorb_text,
)
from forecasting.text import (
    ahead_of_clock,
    before_as_of,
    before_next_report,
    capex_past_ceiling,
    days_count,
    estimated_words,
    gpus,
    listed,
    next_report_words,
    silent_customers_words,
    silent_regions_words,
    size_not_verified,
    stopped_pools_words,
    usd,
    waiting_order_by,
    waiting_part,
)

if TYPE_CHECKING:  # importing flows at run time would start prefect for `ingest`
    from pathlib import Path

    from flows.drill import DrillOutcome
    from flows.forecast import ForecastRun
    from flows.ingest import ContractsLoaded, EventsLoaded
    from flows.pipeline import PipelineOutcome
    from flows.report import ReportOutcome
    from forecasting.decisions import DecisionRun
    from forecasting.runs import DrillNotPlayed, WhatIfOutcome

__all__ = [
    "capacity_tables",
    "contract_loads_table",
    "contracts_table",
    "decisions_tables",
    "demand_table",
    "drill_tables",
    "events_tables",
    "fallback_lines",
    "forecast_tables",
    "ingest_table",
    "not_played_lines",
    "pipeline_summary",
    "power_lines",
    "quarantine_table",
    "report_table",
    "retiring_lines",
    "shock_cut_lines",
    "stored_events_table",
    "to_place_line",
    "triggers_line",
    "whatif_table",
]


def _n(value: int) -> str:
    return f"{value:,}"


def ingest_table(results: Sequence[IngestResult]) -> Table:
    """One row per file: what was read, loaded, quarantined, deduplicated and replaced (stored
    keys given other values; those repeated with the same values are "unchanged" in the
    notes, not a column: at 80 columns one more squeezed the file names)."""
    table = Table(title="ingest", title_justify="left")
    for name in ("file", "status", "read", "loaded", "quarantined", "dedup", "replaced", "notes"):
        table.add_column(
            name,
            justify="right"
            if name in ("read", "loaded", "quarantined", "dedup", "replaced")
            else "left",
        )
    style = {"loaded": "green", "skipped": "yellow", "failed": "red"}
    for r in results:
        e = r.entry
        # A trace's ledger counts the hourly rows its adapter built: "read 2" for a log of
        # 577 requests. Its file's rows are read, and the hourly rows they made said beside.
        counts = ["", "", "", "", ""]
        if e is not None and r.status != "skipped":
            read = (
                _n(e.rows_read)
                if r.source_rows is None or r.hourly_rows is None
                else f"{r.source_rows:,} ({r.hourly_rows:,} hourly)"
            )
            counts = [read, _n(e.loaded), _n(e.quarantined), _n(e.deduplicated), _n(e.replaced)]
        notes = r.message if r.status != "loaded" else "; ".join(r.notes)
        if r.status == "failed":
            # The reason follows the table on a line of its own, path and all: in a column
            # a long path wraps over a dozen rows. Every row quarantined is what the counts say.
            notes = "every row quarantined" if e is not None else "see below"
            # A trace adapter's unmapped values (a ServeGen model with no serving profile) are
            # why: its rows read only "gpu_type: missing value", the model named nowhere.
            notes += "".join(
                f"; {m.group(0)}" for n in r.notes for m in re.finditer(r"unmapped [^\n;]+", n)
            )
        # Text(), not markup: file names and messages are data and may contain [brackets].
        table.add_row(
            Text(r.path.name), Text(r.status, style=style[r.status]), *counts, Text(notes)
        )
    return table


def events_tables(loads: Sequence[EventsLoaded], *, limit: int) -> list[Table]:
    """Per calendar file what was loaded, then the refused and replaced rows with row, column
    and rule."""
    summary = Table(title="events", title_justify="left")
    # kept: events loaded before whose new row was refused, left in force until it is fixed.
    # unchanged: stored events the file holds as they were (a rerun replaces nothing).
    columns = ("file", "status", "loaded", "replaced", "unchanged", "duplicates", "refused", "kept")
    for name in columns:
        summary.add_column(name, justify="left" if name in ("file", "status") else "right")
    refused = Table(title="refused event rows (and duplicates replaced)", title_justify="left")
    for name in ("file", "row", "column", "rule", "value"):
        refused.add_column(name)
    shown = 0
    for load in loads:
        summary.add_row(
            Text(str(load.path)),
            Text(load.status),
            _n(load.loaded),
            _n(load.replaced),
            _n(load.unchanged),
            _n(load.duplicates),
            _n(load.refused_rows),
            _n(load.kept),
        )
        # Replaced duplicates are listed with the refused rows: neither is loaded, and each
        # names the file, the row and the row that won.
        for row in [*load.refused, *load.duplicate_rows][: max(limit - shown, 0)]:
            refused.add_row(
                Text(str(load.path)),
                str(row["row_number"]),
                Text(str(row["column"])),
                Text(str(row["rule"])),
                Text("" if row["value"] is None else str(row["value"])),
            )
            shown += 1
    return [summary, refused] if shown else [summary]


def contract_loads_table(loads: Sequence[ContractsLoaded]) -> Table:
    """Per book file: its status, contracts loaded (signed, pipeline), replaced, unchanged and
    refused."""
    table = Table(title="contract books", title_justify="left")
    # kept: contracts loaded before whose new entry was refused, in force until it is fixed.
    # unchanged: stored contracts the file holds as they were (a rerun replaces nothing).
    counts = ("loaded", "signed", "pipeline", "replaced", "unchanged")
    for name in ("file", "status", *counts, "refused", "kept"):
        table.add_column(name, justify="left" if name in ("file", "status") else "right")
    for load in loads:
        table.add_row(
            Text(str(load.path)),
            Text(load.status),
            *(_n(getattr(load, n)) for n in counts),
            _n(load.refused_entries),
            _n(load.kept),
        )
    return table


def contracts_table(contracts: pl.DataFrame, *, limit: int) -> Table:
    """The contract book (contracts.CONTRACT_LIST_SCHEMA rows): who, where, status, odds,
    the first and last ramp step and the term end."""
    table = Table(title=f"contract book ({contracts.height:,})", title_justify="left")
    for name in ("id", "customer", "class", "region", "status", "p"):
        table.add_column(name, justify="right" if name == "p" else "left")
    for name in ("first step (GPUs)", "last step (GPUs)"):
        table.add_column(name, no_wrap=True)
    table.add_column("term end", no_wrap=True)
    for rec in contracts.head(limit).iter_rows(named=True):
        table.add_row(
            Text(rec["id"]),
            Text(rec["customer"]),
            Text(rec["workload_class"]),
            Text(rec["region"]),
            Text(rec["status"]),
            f"{rec['probability']:.2f}",
            f"{rec['first_date']}: {rec['first_gpus']:,}",
            f"{rec['last_date']}: {rec['last_gpus']:,}",
            str(rec["term_end"]),
        )
    return table


def stored_events_table(events: pl.DataFrame, *, limit: int) -> Table:
    """The warehouse's known events, by date; blank scope columns read as the whole fleet."""
    table = Table(title=f"known events ({events.height:,})", title_justify="left")
    for name in ("date", "event", "scope", "window", "announced"):
        table.add_column(name, no_wrap=name in ("date", "announced"))
    for rec in events.head(limit).iter_rows(named=True):
        scope = [rec[c] for c in ("region", "workload_class", "customer") if rec[c]]
        table.add_row(
            str(rec["date"]),
            Text(rec["event"]),
            Text(" / ".join(scope) or "whole fleet"),
            f"{rec['lower_window']:+d}..{rec['upper_window']:+d} d",
            str(rec["announced"] or "in advance"),
        )
    return table


def quarantine_table(
    rows: pl.DataFrame, *, limit: int, traces: Mapping[str, str] | None = None
) -> Table:
    """The first ``limit`` quarantined rows with file, row, column, rule and value.

    ``traces`` maps the ingest ids of trace files to their adapter: their rows are the
    adapter's hourly rows, not lines of the file (a ServeGen model with no profile read as
    "row 1" of a file whose row 1 held nothing wrong), so they are named by their hour. A
    source row the adapter refused (its column one of the trace's own, not of telemetry) is a
    row of the file and keeps its number.
    """
    traces = traces or {}
    hourly_columns = set(TELEMETRY_SCHEMA.names())
    table = Table(title=f"quarantine ({rows.height:,} rows)", title_justify="left")
    for name in ("file", "row", "column", "rule", "value"):
        # A refused line is its value: folded, not cut to "2025-01-01T05:00...batch,…", so
        # the reader can find it in the file.
        table.add_column(name, overflow="fold" if name == "value" else "ellipsis")
    shown = rows.head(limit)
    hourly: set[str] = set()
    refused = False
    for rec in shown.iter_rows(named=True):
        row = str(rec["row_number"])
        if rec["ingest_id"] in traces and rec["raw"] and rec["column"] in hourly_columns:
            row = f"hour {str(rec['raw']).split(',', 1)[0][:16]} UTC"
            hourly.add(traces[rec["ingest_id"]])
        elif rec["ingest_id"] in traces:
            refused = True
        table.add_row(
            Text(str(rec["file"])),
            Text(row),
            *(Text("" if rec[k] is None else str(rec[k])) for k in ("column", "rule", "value")),
        )
    if hourly:
        table.caption = (
            f"a trace's rows are the {', '.join(sorted(hourly))} adapter's hours, not lines of "
            "the file: the hour, column and value say which; the file's ingest notes name what "
            "the adapter could not map"
        )
    if refused:
        numbered = (
            "a trace's numbered row is a row of the file its adapter refused (1 = the first "
            "after the header), left out of its hour"
        )
        table.caption = f"{table.caption}; {numbered}" if table.caption else numbered
    return table


def _outage_hours_caption(outages: pl.DataFrame, *, since: date) -> str:
    """How many of ``outages`` (region, ts) fall on or after ``since``, with the whole
    history's count beside it where it differs: the table reads only those days."""
    total = outages.height
    start = datetime.combine(since, time(), tzinfo=UTC)
    within = outages.filter(pl.col("ts") >= start).height if total else 0
    whole = f" ({total:,} since the telemetry began)" if total != within else ""
    return f"{within:,} outage hour(s) in them read as missing{whole}"


def _caption_case(words: str) -> str:
    """A page's banner sentence as a table caption: lower case first, no closing stop."""
    return words[:1].lower() + words[1:].removesuffix(".")


def demand_table(series: pl.DataFrame, *, outages: pl.DataFrame) -> Table:
    """Per region and class, over the last 28 days: mean GPUs, the mean of the daily peaks and
    the peak hour (the highest daily peak), growth on a year before, and the days missing
    (outages) among them."""
    level = series.filter(pl.col("workload_class").is_not_null() & pl.col("customer").is_null())
    last = level.get_column("ds").max()
    assert isinstance(last, date), "demand_table needs at least one day of demand"
    window = level.filter(pl.col("ds") > pl.lit(last) - pl.duration(days=28))
    year_ago = level.filter(
        (pl.col("ds") > pl.lit(last) - pl.duration(days=28 + 364))
        & (pl.col("ds") <= pl.lit(last) - pl.duration(days=364))
    )
    now = window.group_by("region", "workload_class", "measure").agg(
        pl.col("y").mean(), pl.col("y").max().alias("top")
    )
    then = year_ago.group_by("region", "workload_class", "measure").agg(
        pl.col("y").mean().alias("then")
    )
    missing = (
        window.filter(pl.col("y").is_null() & (pl.col("measure") == Measure.MEAN.value))
        .group_by("region", "workload_class")
        .agg(pl.len().alias("missing_days"))
    )
    wide = (
        now.join(then, on=["region", "workload_class", "measure"], how="left")
        .pivot(on="measure", index=["region", "workload_class"], values=["y", "then", "top"])
        .join(missing, on=["region", "workload_class"], how="left")
        .sort("region", "workload_class")
    )
    table = Table(
        title=f"demand, last 28 days to {last!s} (GPUs, served + queued); "
        + _outage_hours_caption(outages, since=last - timedelta(days=27)),
        title_justify="left",
    )
    # The average of the daily peaks is not the window's peak: a reader sizing for it would
    # miss the busiest hour, so both are shown, each named for what it is.
    names = ("region", "class", "mean", "mean daily peak", "peak hour", "mean vs year ago")
    for name in (*names, "missing days"):
        table.add_column(name, justify="left" if name in ("region", "class") else "right")
    for rec in wide.iter_rows(named=True):
        mean, then_mean = rec.get("y_mean"), rec.get("then_mean")
        growth = f"{(mean / then_mean - 1):+.0%}" if mean and then_mean else "n/a"
        table.add_row(
            Text(rec["region"]),
            Text(rec["workload_class"]),
            gpus(mean) if mean is not None else "n/a",
            gpus(float(rec["y_peak"])) if rec.get("y_peak") is not None else "n/a",
            gpus(float(rec["top_peak"])) if rec.get("top_peak") is not None else "n/a",
            growth,
            _n(rec.get("missing_days") or 0),
        )
    return table


def forecast_tables(run: ForecastRun) -> list[Table]:
    """The forecast summary: accuracy per level against the baseline, and models chosen."""
    # Here, not at the top: `fleetcast ingest` prints through this module too, and need not
    # load the contract book's module (and its hierarchy and concentration) for a model name.
    from forecasting.contracts import CONTRACT_MODEL as BOOK

    see = " (see the warnings)" if run.fallbacks else ""
    accuracy = Table(
        title=(
            f"forecast run {run.run_id}: {run.series:,} series, {run.history_to}, in "
            f"{run.seconds:.0f} s; reconciliation {run.reconciliation}; "
            # "122 calibrated" of 216 read as 94 bands nobody checked: every backtested band
            # is checked, and these are the ones whose backtests missed (forecast.py, step 4).
            f"{run.calibrated} bands recalibrated (their backtests' q10-q90 coverage missed "
            f"80 %), {run.fallbacks} on a fallback{see}; "
            f"{run.events} known event(s); {_book_applied(run)}"
            + (f"; {run.short_backtests}" if run.short_backtests else "")
            # The as-of date above is a placement where the trace has no calendar.
            + (f"; {run.placed_dates}" if run.placed_dates else "")
            # A trace's collector outages, dropped at ingest, were said by ingest only.
            + (f"; {run.adapter_outages}" if run.adapter_outages else "")
        ),
        title_justify="left",
    )
    for name in (
        "level",
        "measure",
        "series",
        "MASE chosen",
        "MASE seasonal naive",
        "q10-q90 coverage",
    ):
        # A level's name is never cut ("workload_cl…" at a pipe's 80 columns); headers fold.
        left = name in ("level", "measure")
        accuracy.add_column(name, justify="left" if left else "right", no_wrap=left)
    for row in run.accuracy:
        accuracy.add_row(
            row["level"],
            row["measure"],
            f"{row['series']:,}",
            _fmt(row["mase"], "{:.3f}"),
            _fmt(row["mase_seasonal_naive"], "{:.3f}"),
            _fmt(row["coverage_80"], "{:.0%}"),
        )
    # A fallback, or a contract's ramp standing in for a customer without telemetry, was not
    # chosen by any backtest: each is counted apart, never as a choice.
    # Each measure of a series chooses its own model: the counts are of series and measure.
    models = Table(title="models per series and measure", title_justify="left")
    for name in ("model", "chosen by", "series"):
        models.add_column(name, justify="right" if name == "series" else "left")
    for name, count in run.models_chosen.items():
        how = (
            "the contract book: a signed ramp or a pipeline deal at its odds, no telemetry"
            if name == BOOK
            else "fixed (--fixed-model)"
            if name == run.fixed_model
            else "backtest"
        )
        models.add_row(name, how, f"{count:,}")
    for name, count in run.models_fallback.items():
        models.add_row(name, "fallback (see the warnings)", f"{count:,}")
    return [accuracy, models, *_book_only_table(run), *_decision_table(run)]


def _book_only_table(run: ForecastRun) -> list[Table]:
    """The classes and customers only the contract book holds, each with its label: a
    customer of one deal at p = 0.05 read q90 0 beside a mean of 0.05 x its GPUs, and the
    models table's "contract-book" count did not say which series, nor why."""
    if not run.book_only_levels:
        return []
    # The reason every row shares is said once under the table: it repeated on every row.
    rows, reason = book_levels_said_once(run.book_only_levels)
    table = Table(
        title="series only the contract book holds",
        title_justify="left",
        caption=f"each: {reason}" if reason else None,
        caption_justify="left",
    )
    table.add_column("series", no_wrap=True)
    table.add_column("its deals")
    for uid, words in rows.items():
        table.add_row(Text(hierarchy.label_of(uid)), words)
    return [table]


def _decision_table(run: ForecastRun) -> list[Table]:
    """Accuracy of the daily peak 26 weeks ahead, out of sample, per series and cut-off."""
    if run.plan_gap:
        table = Table(title="plan horizon: the daily days only", title_justify="left")
        table.add_column("why")
        table.add_row(f"not forecast past the daily days: {run.plan_gap}")
        return [table]
    if not run.horizon_months:
        if not run.daily_only:
            return []
        # `--horizon-months 0`, or a fleet too young: the reason the run stored, not silence.
        table = Table(title="plan horizon: the daily days only", title_justify="left")
        table.add_column("why")
        table.add_row(run.daily_only)
        return [table]
    followed = f"; {run.plan_change}" if run.plan_change else ""
    # `--horizon-months 12` printed "plan horizon 37 months" and never said why; "raised
    # from the 36 asked" then read to a `--horizon 6w` run as if it had asked for 36 months.
    default = ForecastOptions.model_fields["horizon_months"].default
    raised = (
        f", raised from {run.horizon_months_asked} (--horizon-months, {default} by default) to "
        "reach the plan's longest lead time (blocks and power) plus the buffer"
        if 0 < run.horizon_months_asked < run.horizon_months
        else ""
    )
    title = (
        f"plan horizon {run.horizon_months} months (daily, then monthly{raised}){followed}; "
        "accuracy of the daily peak 26 weeks ahead (and 52 where the history reaches), out of "
        "sample (targets: above q90 on 10 ± 5 % of days, |bias| <= 5 %, MAE <= 0.9x the better "
        "baseline)"
    )
    if not run.decision_accuracy:
        table = Table(title=title, title_justify="left", show_header=False)
        table.add_column("note")
        table.add_row("not measured: too little history for a 26-week backtest")
        return [table]
    from forecasting.longrange import targets_verdict  # scipy: only where a plan is shown

    table = Table(title=title, title_justify="left")
    for name in ("series", "cut-off", "ahead", "MAE / seasonal naive", "MAE / log-linear",
                 "q10-q90", "above q90", "q50 bias", "targets"):  # fmt: skip
        table.add_column(name, justify="right" if "/" in name or "q" in name else "left")
    classes: dict[tuple[int, date], list[dict[str, Any]]] = {}
    for row in run.decision_accuracy:
        ahead = row.get("horizon_days", DECISION_DAYS)
        if hierarchy.depth_of(row["unique_id"]) > 1:
            classes.setdefault((ahead, row["cutoff"]), []).append(row)
            continue
        table.add_row(
            Text(row["unique_id"]),
            str(row["cutoff"]),
            f"{ahead // 7} wk",
            _ratio(row["mae"], row["mae_seasonal_naive"]),
            _ratio(row["mae"], row["mae_log_linear"]),
            _fmt(row["coverage_80"], "{:.0%}"),
            _fmt(row["exceed_q90"], "{:.0%}"),
            _fmt(row["bias"], "{:+.1%}"),
            targets_verdict(row) or "not measured",
        )
    for (ahead, cutoff), rows in classes.items():
        table.add_row(*_classes_row(cutoff, ahead, rows))
    if classes:
        table.caption = (
            "classes: the median of their rows (each on the platform page); the plan fits every "
            "region with its classes, so their rows come from the same backtest"
        )
        table.caption_justify = "left"
    return [table]


# The decision backtest's first horizon (longrange.DECISION_HORIZON_DAYS), for rows stored
# without one.
DECISION_DAYS = 182


def _classes_row(cutoff: date, ahead: int, rows: list[dict[str, Any]]) -> list[str | Text]:
    """One line for a cut-off's class rows: how many meet the 26-week targets, and the median
    of each figure over those measured (a class apart is on the platform page)."""
    from forecasting.longrange import missed_targets

    def median(values: list[float | None]) -> float | None:
        measured = [v for v in values if v is not None and not math.isnan(v)]
        return statistics.median(measured) if measured else None

    def ratios(base: str) -> str:
        ratio = median([r["mae"] / r[base] for r in rows if r["mae"] is not None and r[base]])
        return "-" if ratio is None else f"{ratio:.2f}x"

    verdicts = [missed_targets(r) for r in rows]
    measured = [v for v in verdicts if v is not None]
    met = sum(1 for v in measured if not v)
    return [
        Text(f"{len(rows)} classes (median)"),
        str(cutoff),
        f"{ahead // 7} wk",
        ratios("mae_seasonal_naive"),
        ratios("mae_log_linear"),
        _fmt(median([r["coverage_80"] for r in rows]), "{:.0%}"),
        _fmt(median([r["exceed_q90"] for r in rows]), "{:.0%}"),
        _fmt(median([r["bias"] for r in rows]), "{:+.1%}"),
        f"{met} of {len(measured)} meet all three" if measured else "not measured",
    ]


def _ratio(value: float | None, base: float | None) -> str:
    if value is None or base is None or base <= 0:
        return "-"
    return f"{value / base:.2f}x"


def _book_applied(run: ForecastRun) -> str:
    """``2 signed contract(s) and 1 pipeline deal(s) applied``: the book the run used."""
    return (
        f"{run.contracts_signed} signed contract(s) and {run.contracts_pipeline} pipeline "
        "deal(s) applied in the daily rows"
    )


def _fmt(value: float | None, pattern: str) -> str:
    return "n/a" if value is None or math.isnan(value) else pattern.format(value)


_KPIS = (
    ("unmet_gpu_hours", "unmet GPU-h", "{:,.0f}"),
    ("peak_backlog_gpu_hours", "peak backlog GPU-h", "{:,.0f}"),
    ("queue_delay_hours", "queue delay h", "{:,.1f}"),
    ("time_to_absorb_hours", "time to absorb h", "{:,.0f}"),
    ("preempted_gpu_hours", "preempted GPU-h", "{:,.0f}"),
    ("revenue_at_risk_usd", "revenue at risk", "${:,.0f}"),
)
_SHOCKED_RUN = (
    "shocked with preemption and deferral only (the verdicts' time to absorb and cost play the "
    "response ladder too)"
)
# On a plan without a response ladder the header said the ladder played too; it did not.
_SHOCKED_RUN_NO_LADDER = (
    "shocked with preemption and deferral only (the plan has no response ladder beyond them: "
    "the verdicts' time to absorb is this run's)"
)


def _shocked_run(outcomes: Sequence[DrillOutcome]) -> str:
    """What the KPI tables' shocked run played, beside the verdicts' time to absorb."""
    if outcomes and all(o.ladder_played is False for o in outcomes):
        return _SHOCKED_RUN_NO_LADDER
    return _SHOCKED_RUN


# Baseline against shock: the figures whose increment is the shock's effect.
_CHANGES = (
    ("slo_attainment", "SLO attainment", "{:.1%}"),
    ("unmet_gpu_hours", "unmet GPU-h", "{:,.0f}"),
    ("peak_backlog_gpu_hours", "peak backlog GPU-h", "{:,.0f}"),
    ("revenue_at_risk_usd", "revenue at risk", "${:,.0f}"),
)
_VERDICT_STYLE = {
    PASS: "green",
    NOT_VERIFIED: "yellow",
    BORDERLINE: "yellow",
    FAILS_UNDER_SHOCK: "red",
    FAILS_UNSHOCKED: "red",
}


def _breaking(outcome: DrillOutcome) -> str:
    if outcome.verdict == FAILS_UNSHOCKED:
        return "not searched"
    if outcome.breaking_text:  # a ramp cut short reads the level it reached too
        return outcome.breaking_text
    multiplier = outcome.breaking_multiplier
    if multiplier is None:
        # Below or above the range searched, or not searched: the note says which.
        return outcome.breaking_note or "not searched"
    return f"{multiplier:.2f}x"


def _target(outcome: DrillOutcome) -> Text:
    """The drill's target, and each region whose demand it played is the contract book's
    alone: the row said nothing of it, only `report`'s caption and the pages' banner did."""
    lines = [outcome.target, *(f"{r}: {BOOK_ONLY_LABEL}" for r in outcome.book_only)]
    return Text("\n".join(lines))


def _borderline_rest(outcome: DrillOutcome) -> str:
    """What a borderline verdict's cell leaves out (the verdicts it may be, the paths that
    would settle it), "" for any other verdict."""
    if outcome.verdict != BORDERLINE or not outcome.unverified:
        return ""
    return borderline_short(outcome.unverified)[1]


def _verdict(outcome: DrillOutcome) -> Text:
    if outcome.verdict == BORDERLINE and outcome.unverified:
        # Each class's share and interval once; what the verdict may be and what would settle
        # it go under the table (``_borderline_rest``): the whole reason ran to 19 lines of
        # the demo's delivery-slip cell. A reason in other words is the cell itself.
        cell, rest = borderline_short(outcome.unverified)
        return Text(f"{BORDERLINE}: {cell}" if rest else cell, style=_VERDICT_STYLE[BORDERLINE])
    verdict = outcome.verdict or ("pass" if outcome.passed else "FAIL")
    text = Text(verdict, style=_VERDICT_STYLE.get(verdict, "green" if outcome.passed else "red"))
    if outcome.unshocked_failures:
        # Each group with its paths short, and why its trigger can be green beside it.
        groups = book_labelled(outcome.unshocked_failures, outcome.book_only)
        text.append(f" ({unshocked_cell(groups, outcome.unshocked_paths)})")
    if outcome.unverified:
        # Held on less than the drill is named for: the reason is the verdict's other half.
        text.append(f": {outcome.unverified}")
    elif outcome.shock_cut:
        # A ramp the horizon cut short: the verdict is on less than the drill's name says.
        text.append(" (shock cut short by the horizon, see the note)")
    return text


def _rungs_text(used: Sequence[str], *, book_only: Collection[str] = ()) -> str:
    """``migrate (3 regions), burst (us-east)``: each rung once, with where it acted; a
    ``book_only`` region labelled (its demand is the contract book's alone)."""
    regions: dict[str, list[str]] = {}
    for entry in used:
        rung, _, region = entry.partition(" in ")
        regions.setdefault(rung, [])
        if region:
            regions[rung].append(region)
    parts = []
    for rung, where in regions.items():
        if len(where) > 1:
            parts.append(f"{rung} ({len(where)} regions)")
        else:
            named = book_labelled([f"{rung} in {w}" for w in where], book_only)
            parts.append(f"{rung} ({named[0].partition(' in ')[2]})" if where else rung)
    return ", ".join(parts)


def _absorb(outcome: DrillOutcome) -> Text:
    """``36 h, $1.2M``, or ``> 42 d, not absorbed within the drill window; ≥ $2.5M spent by
    the window's end (not absorbed)`` in yellow: a censored drill's spend is a lower bound."""
    text = outcome.absorb_text
    if text is None:
        return Text("n/a")
    unjudged = text == UNJUDGED_ABSORB
    unabsorbed = (
        outcome.absorb_censored or outcome.short_until_shock_end_hours is not None or unjudged
    )
    cost = absorb_cost_text(
        outcome.absorb_cost_usd or None,
        censored=bool(outcome.absorb_censored),
        shock_end_hours=outcome.short_until_shock_end_hours,
        usd=usd,
        unjudged=unjudged,
        unverified=outcome.verdict == NOT_VERIFIED,
    )
    if unabsorbed:
        return Text(text + (f"; {cost}" if cost else ""), style="yellow")
    return Text(text + (f", {cost}" if cost else ""))


def _stat(pattern: str, value: float | None, *, unmeasured: str = "censored") -> str:
    """A KPI statistic; None is a time to absorb that reached a censored path (or, as
    ``unmeasured`` says, one short until its shock ended or judged on none), NaN (stored
    before it was stored empty) one that judged no path (the plan failed unshocked in every
    hour)."""
    if value is None:
        return unmeasured
    return UNJUDGED_KPI if math.isnan(value) else pattern.format(value)


def _unmeasured(by_kpi: dict[str, dict[str, Any]]) -> str:
    """What a null time to absorb stands for in a drill's KPIs: paths censored at the window's
    end, paths short until their shock ended, paths the plan fails unshocked in every hour,
    or several."""
    share = {k: (by_kpi.get(k) or {}).get("mean") or 0.0 for k in _UNMEASURED}
    reasons = [label for k, label in _UNMEASURED.items() if share[k] > 0]
    return " or ".join(reasons) or "censored"


_UNMEASURED = {
    "absorb_censored": "censored",
    "absorb_ended_with_shock": "shock ended",
    "absorb_unjudged": UNJUDGED_KPI,
}


def _would_pass_with(outcome: DrillOutcome) -> str:
    """The verified set of blocks that makes the drill pass, or the search's one-line answer."""
    # "Would pass with" only names a set the whole drill was re-run with and passed.
    if outcome.blocks_needed and outcome.blocks_pass is not False:
        # Blocks for a region whose demand is the contract book's alone say so.
        fix = "; ".join(book_labelled(outcome.blocks_needed.split("; "), outcome.book_only))
        if outcome.capex_needed_usd:
            fix += f" ({usd(outcome.capex_needed_usd)})"
        return fix
    if outcome.blocks_note:
        return outcome.blocks_note
    if not outcome.passed:
        return "not searched"
    # An empty cell beside a pass read as an answer lost; a drill not verified does not pass.
    if outcome.verdict == NOT_VERIFIED:
        return "not searched: not verified (see its verdict)"
    if outcome.verdict == BORDERLINE:
        # A pass its paths do not settle read "nothing: it passes as planned".
        return "not searched: borderline (see its verdict)"
    return "nothing: it passes as planned"


def drill_tables(outcomes: Sequence[DrillOutcome]) -> list[Table]:
    """Verdicts and time to absorb per drill, what absorbed it and what would make it pass,
    baseline against shock, then the fleet-wide KPIs at P50 and P90 of paths.

    Verdicts and answers are two tables: the blocks-to-pass answer is a sentence when no order
    arrives in time, and beside seven other columns it wrapped to a word per line on an
    80-column terminal.
    """
    # A drill's name is how the reader finds it again: never cut it short.
    name_width = max((len(o.drill) for o in outcomes), default=5)
    verdicts = Table(title="drill verdicts (against the same plan unshocked)", title_justify="left")
    verdicts.add_column("drill", no_wrap=True, min_width=name_width)
    for name in ("target", "verdict", "time to absorb, cost", "breaks at"):
        verdicts.add_column(name)
    answers = Table(title="where it fails, what absorbed it, what would pass", title_justify="left")
    answers.add_column("drill", no_wrap=True, min_width=name_width)
    for name in (
        "failing classes",
        f"rungs used ({RUNGS_USED_RULE})",
        "would pass with (ordered today)",
    ):
        answers.add_column(name)
    rests = [f"{o.drill}: {rest}" for o in outcomes if (rest := _borderline_rest(o))]
    if rests:
        verdicts.caption, verdicts.caption_justify = "\n".join(rests), "left"
    for o in outcomes:
        verdicts.add_row(Text(o.drill), _target(o), _verdict(o), _absorb(o), _breaking(o))
        rungs = _rungs_text(o.rungs_used, book_only=o.book_only)
        if o.failover_share is not None:
            rungs += ("; " if rungs else "") + f"{o.failover_share:.0%} failed over"
        answers.add_row(
            Text(o.drill),
            Text(", ".join(o.failing_classes) or "none"),
            # A blank beside "failing classes: inference" read as an answer lost.
            Text(rungs or "none"),
            Text(_would_pass_with(o)),
        )
    # The verdict table's time to absorb plays the response ladder; these two tables do not,
    # and a reader comparing "4,006 h" with "2,998 / censored" must see why they differ.
    changes = Table(
        title=f"baseline -> shocked (mean over paths), fleet-wide, {_shocked_run(outcomes)}",
        title_justify="left",
    )
    changes.add_column("drill", no_wrap=True, min_width=name_width)
    for _, label, _ in _CHANGES:
        changes.add_column(label, justify="right")
    for o in outcomes:
        by_kpi = {row["kpi"]: row for row in o.changes}
        cells = []
        for key, _, pattern in _CHANGES:
            row = by_kpi.get(key)
            cells.append(
                "n/a"
                if row is None
                # A drill that held on less than it is named for (no demand to double, or a
                # shock the horizon cut short) read "100.0% -> 100.0%", "$0 -> $0" as if
                # measured: its verdict row says why.
                else NOT_VERIFIED
                if o.verdict == NOT_VERIFIED
                else f"{_stat(pattern, row['baseline_mean'])} -> "
                f"{_stat(pattern, row['shocked_mean'])}"
            )
        changes.add_row(Text(o.drill), *cells)
    kpis = Table(
        title=f"fleet-wide KPIs over paths (P50 / P90), {_shocked_run(outcomes)}",
        title_justify="left",
    )
    kpis.add_column("drill", no_wrap=True, min_width=name_width)
    for _, label, _ in _KPIS:
        kpis.add_column(label, justify="right")
    for o in outcomes:
        by_kpi = {row["kpi"]: row for row in o.kpis}
        unmeasured = _unmeasured(by_kpi)
        cells = []
        for key, _, pattern in _KPIS:
            row = by_kpi.get(key)
            cell = (
                "n/a"
                if row is None
                else f"{_stat(pattern, row['p50'], unmeasured=unmeasured)} / "
                f"{_stat(pattern, row['p90'], unmeasured=unmeasured)}"
            )
            # A shock the horizon cut short read "0 / 0" here, as if absorbed at once, beside
            # a verdict of "not verified": it measures the part played, as the verdict's does.
            if key == "time_to_absorb_hours" and o.verdict == NOT_VERIFIED and row is not None:
                cell = unverified_absorb_text(cell)
            elif o.verdict == NOT_VERIFIED and row is not None:
                cell = NOT_VERIFIED  # "$0 / $0" of doubling a zero read as measured
            cells.append(cell)
        kpis.add_row(Text(o.drill), *cells)
    return [verdicts, answers, changes, kpis]


def report_table(outcome: ReportOutcome) -> Table:
    """Expansion triggers as published, worst first, with where the pages are."""
    # The pages' words for an order past every ceiling (the package is slow to import).
    from forecasting.triggers.common import NO_ORDER_BY

    stale = (
        f"; telemetry {days_count(outcome.stale_days)} before today by the placed calendar "
        "(not a measured age)"
        if outcome.stale_days and outcome.placed_dates
        else f"; telemetry {days_count(outcome.stale_days)} old"
        if outcome.stale_days
        else f"; telemetry {ahead_of_clock(outcome.telemetry_ahead_minutes)}"
        if outcome.telemetry_ahead_minutes
        else ""
    )
    title = f"report {outcome.run_id}: {outcome.path / 'index.html'}{stale}"
    # At least as wide as its title: a title wraps at the table's width, and a narrow table
    # cut the pages' path in two in a cron log, where it is copied from.
    table = Table(title=title, title_justify="left", min_width=len(title))
    for name in ("region", "pool", "status", "exhaustion", "order by", "order", "capex", "MW"):
        table.add_column(name, justify="right" if name in ("capex", "MW") else "left")
    blind = _no_demand_regions(outcome)
    captions = []
    if outcome.placed_dates:
        # First: every date below, and the lateness the summary counts from the as-of date,
        # rests on it (a ServeGen "order by 2024-10-14, late" read as a measured date).
        captions.append(outcome.placed_dates)
    if outcome.unmeasured:
        captions.append(
            f"no demand measured for {', '.join(outcome.unmeasured)}: not one complete day of "
            "telemetry, so forecast as zero; their green, and a drill's pass there, are not "
            "verified"
        )
    if outcome.untested:
        captions.append(
            f"not backtested: {listed(outcome.untested)} forecast by a baseline (the "
            "platform page says why); the dates and orders rest on its assumptions, no "
            "measured error"
        )
    for region in outcome.book_only:
        captions.append(f"{region}: {book_only_words(region)}")
    # The pages' banners, in a caption's case.
    if outcome.silent:
        captions.append(_caption_case(silent_regions_words(listed(outcome.silent))))
    if outcome.estimated:
        captions.append(_caption_case(estimated_words(outcome.estimated)))
    if outcome.silent_customers or outcome.held_customers:
        captions.append(
            _caption_case(
                silent_customers_words(outcome.silent_customers, held=outcome.held_customers)
            )
        )
    if outcome.stopped_pools:
        captions.append(_caption_case(stopped_pools_words(listed(outcome.stopped_pools))))
    if outcome.extrapolated:
        captions.append(f"extrapolated: {outcome.extrapolated}")
    if outcome.headline_qualified:
        # Green only as far as the forecast reaches, or red or amber on the monthly rows only
        # or past the days a backtest measured: the pages' headline, not a plain status. With
        # the pages' label: alone, "red" had no subject beside a table of amber and green
        # pools (the power triggers' red).
        captions.append(f"worst trigger status, blocks and power: {outcome.headline}")
    if outcome.drills_other_plan:
        captions.append(outcome.drills_other_plan)
    rank = {"red": 0, "amber": 1, "green": 2}
    style = {"red": "red", "amber": "yellow", "green": "green"}
    triggers = sorted(outcome.triggers, key=lambda t: rank.get(t["status"], 3))
    # A red or amber row without an order reads as a contradiction unless it says why (an
    # order elsewhere covers it, or what is already planned lands in time).
    unexplained = [
        t for t in triggers if t["status"] in ("red", "amber") and not t["blocks_to_order"]
    ]
    captions += [f"{t['region']}/{t['pool']}, {_unexplained_note(t)}" for t in unexplained]
    # Why a status marked "†" is not verified past its day: once, not in every red cell.
    from forecasting.report.format import UNVERIFIED_MARK  # the report package is slow

    if any(UNVERIFIED_MARK in (t.get("status_only") or "") for t in triggers):
        captions.append(outcome.unverified_note)
    if captions:
        # Plain text: notes quote the plan's tables ("[response.expedite]"), which rich read
        # as markup and dropped ("(: 4 weeks sooner").
        table.caption = Text("\n".join(captions))
    for t in triggers:
        order = _order_text(t)
        if t.get("powered_from"):
            # Waiting for its site's power: a plain green read as if it served on arrival. Its
            # blocks past the ceiling wait for no power here: a new site's, said beside it.
            past = (t.get("blocks_beyond_ceiling") or 0) if t["blocks_to_order"] else 0
            beyond = f"; {past:,} past {t['site']}'s ceiling: {NEW_SITE}" if past else ""
            order += f" ({waiting_part(t)}no power until {t['powered_from']}{beyond})"
        elif t["blocks_to_order"] and t.get("blocks_beyond_ceiling"):
            # Blocks no contract can power there read "no power for it in the plan"; where
            # some fit, the order-by date is theirs, none the rest's (one date read as all's).
            beyond, blocks = t["blocks_beyond_ceiling"], t["blocks_to_order"]
            dated = t.get("order_by") and beyond < blocks
            running = f"run from {t['runs_from']}" if t.get("runs_from") else ""
            order += f" ({beyond:,} past {t['site']}'s ceiling: {NEW_SITE}" + (
                f", no order-by for them; the order-by is for the {blocks - beyond:,} under it"
                + (f", which {running}" if running else "")
                + ")"
                if dated
                else (f"; the rest {running}" if running else "") + ")"
            )
        elif t["blocks_to_order"] and t.get("powered") is False:
            runs = t.get("runs_from")
            order += f" ({waiting_part(t)}" + (
                f"no power for it in the plan: runs from {runs} at the earliest, power "
                "contracted today)"
                if runs and str(runs) > str(t["arrives"])
                else f"no power for it in the plan: {RUNS_ON_ARRIVAL}; see power)"
                if runs
                else "no power for it in the plan: see power)"
            )
        # Sized from a month read short past the daily rows: its size swings with them (the
        # demo's us-east/all, 30 racks at 7 days, 89 at 26 weeks), as its date does.
        unverified = bool(t.get("monthly_only")) and bool(t["blocks_to_order"])
        if unverified:
            order += f" ({size_not_verified(outcome.daily_days)})"
        if t in unexplained:
            order += " (below)"
        vacant = t["region"] in outcome.vacant_regions
        if vacant:
            # Zero demand against zero capacity: a green that says nothing.
            order += f" ({VACANT})"
        # The status of a pool judged on its contracts' ramps alone says so where it stands.
        book = f" ({BOOK_STATUS})" if t["region"] in outcome.book_only else ""
        # Its part waiting for power, due on its own days: before the next report, it says so.
        waits = waiting_order_by(t, as_of=outcome.as_of, next_report=outcome.next_report)
        table.add_row(
            Text(t["region"]),
            Text(t["pool"]),
            Text(NOT_VERIFIED)
            if vacant
            # No whole day measured there: "green (no backtest ...)" beside the caption and
            # the status line calling it not verified (the Azure trace).
            else Text(f"{NOT_VERIFIED} (no demand measured)")
            if t["status"] == "green" and t["region"] in blind
            # A green verified short of the plan's end says to when, and a red or amber short
            # past that day says so, as the headline does.
            else Text(
                f"{t['status']}{book}" + (f" {t['status_only']}" if t.get("status_only") else ""),
                style=style.get(t["status"], ""),
            ),
            t["exhaustion_date"] or "-",
            # Nothing to order: its order-by date (kept for the replays) is no deadline, and
            # a past one read as missed.
            "-"
            if t["blocks_to_order"] == 0
            # The monthly rows' date, as the pages label it (report.pages.common.monthly_date).
            else f"{t['order_by']} (monthly grain: {MONTHLY_ONLY}"
            f"{before_as_of(date.fromisoformat(str(t['order_by'])), outcome.as_of)}"
            f"{_soon_after(t, outcome)})"
            f"{waits}"
            if t["order_by"] and t.get("monthly_only")
            # Dated from a month read short past the daily rows, as the pages say it.
            else f"{t['order_by']} (monthly grain){_late_by(t, outcome)}{waits}"
            if t["order_by"] and t.get("month_grain")
            else f"{t['order_by']}{_late_by(t, outcome)}{waits}"
            if t["order_by"]
            # Every block past its site's ceiling: the pages' words, not a blank; dated by
            # the region's declared new site where the pages date it.
            else t.get("new_site_order_by") or f"none: {NO_ORDER_BY}"
            if t["blocks_to_order"]
            and (t.get("blocks_beyond_ceiling") or 0) >= t["blocks_to_order"]
            else "-",
            Text(order),
            _capex(t) + (f", {NOT_VERIFIED}" if unverified else ""),
            (f"{t['mw']:,.1f}" + (f", {NOT_VERIFIED}" if unverified else "")) if t["mw"] else "-",
        )
    return table


def _soon_after(t: Mapping[str, Any], outcome: ReportOutcome) -> str:
    """``; falls before the next scheduled report ...`` after a trigger's order-by date, or ''
    (:func:`_soon`)."""
    if not t.get("order_by") or outcome.as_of is None:
        return ""
    soon = _soon(date.fromisoformat(str(t["order_by"])), outcome)
    return f"; {soon}" if soon else ""


def _late_by(t: Mapping[str, Any], outcome: ReportOutcome) -> str:
    """' (97 days late)' for an order-by date before the as-of date, and the blocks of the
    order that run only after the plan's end (no order-by date within the horizon), else '':
    ServeGen's "2024-10-14" read as a plan, 97 days before its as-of date."""
    parts = []
    if outcome.as_of is not None:
        by = date.fromisoformat(str(t["order_by"]))
        late = (outcome.as_of - by).days
        if late > 0:
            parts.append(f"{late:,} days late")
        elif soon := _soon(by, outcome):
            # Due before the next scheduled report: the row read it as plain as one a year on.
            parts.append(soon)
    if past := t.get("blocks_past_plan") or 0:
        # Their power comes after the plan's end: the shortfall's date is not theirs, and no
        # day the forecast covers needs them (the finance table says the same).
        parts.append(
            f"the {past:,} blocks that run only after the plan's end: no order-by date within "
            "the horizon"
        )
    return f" ({'; '.join(parts)})" if parts else ""


def _capex(t: Mapping[str, Any]) -> str:
    """A trigger's capex, the part for blocks past their site's ceiling apart (a new site's),
    or that for blocks that run only after the plan's end."""
    # Nothing to order (or no capex stored) reads "-"; an order of blocks the plan declares
    # free is a measured $0, not a blank read as "not measured".
    if t["capex_usd"] is None or not t.get("blocks_to_order"):
        return "-"
    if past := t.get("capex_past_plan_usd") or 0.0:
        # ServeGen's "$84.5M" held $67.6M of racks dark until 504 days after they land, past
        # the plan's end: the pages count them apart, not within the horizon.
        return (
            f"{usd(t['capex_usd'] - past)} (+ {usd(past)} for {t['blocks_past_plan']:,} blocks "
            f"that run only after the plan's end, {t['plan_end']}: not within the horizon)"
        )
    beyond, blocks = t.get("blocks_beyond_ceiling") or 0, t["blocks_to_order"] or 0
    if not beyond or not blocks:
        return usd(t["capex_usd"])
    apart = t["capex_usd"] * beyond / blocks
    return capex_past_ceiling(t["capex_usd"] - apart, apart, beyond=beyond)


def _unexplained_note(t: Mapping[str, Any]) -> str:
    """The note of a red or amber trigger without blocks to order, as its caption reads it:
    "order not sized: ...", "no order: ...", or a note that opens otherwise as it is (a region
    with no block read "order no block of the plan is in service")."""
    note = str(t.get("note") or "-")
    if not _unsized(t):
        return f"no order: {note}"
    return f"order {note}" if note.startswith("not sized") else note


def _unsized(t: Mapping[str, Any]) -> bool:
    """Whether a trigger names a block to order that the forecast ends before: a candidate,
    and no blocks (``triggers.rows.NOT_SIZED`` opens its note)."""
    return t.get("blocks_to_order") is None and t.get("candidate") is not None


def _order_text(t: Mapping[str, Any]) -> str:
    """``2 x pod-h100-1024``, ``pod-h100-1024, not sized``, or ``none``."""
    if _unsized(t):
        return f"{t['candidate']}, not sized"
    return f"{t['blocks_to_order']} x {t['candidate']}" if t["blocks_to_order"] else "none"


def _money(value: float | None) -> str:
    return "-" if value is None else usd(value)


def _actual_text(r: Mapping[str, Any]) -> str:
    """When the known capacity ran short, or by when it had not, as the decisions page says
    it: a bare "censored" read as too soon to tell beside a call the data had judged."""
    if r["actual_exhaustion"] is not None:
        return str(r["actual_exhaustion"])
    if r["as_of"] >= r["data_end"]:
        return "-"
    return f"censored: not by {r['data_end']}"


def decisions_tables(run: DecisionRun) -> list[Table]:
    """A decision backtest: the counts and totals, then one row per as-of day and pool."""
    from forecasting.decisions import (
        DECISION_REPLAYS_SCHEMA,
        censored_at_data_end,
        days_late_text,
        idle_not_verified,
        order_by_text,
        short_history_headline,
        unmet_censored,
    )
    from forecasting.report.format import fmt_day_or_month  # the report package is slow

    counts = run.counts
    judged = sum(counts.values()) - counts.get("not_verified", 0)
    frame = pl.DataFrame(run.replays, schema=DECISION_REPLAYS_SCHEMA)
    # Orders sized on days of history read as the tool's calls unless the title says so.
    short_history = short_history_headline(frame)
    summary = Table(
        title=f"decision backtest {run.run_id}: {len(run.as_ofs)} as-of day(s) "
        f"{run.as_ofs[0]} to {run.as_ofs[-1]}, judged on data to {run.data_end} "
        f"({run.seconds:,.0f} s)" + (f"; {short_history}" if short_history else ""),
        title_justify="left",
    )
    verdicts = (
        ("in time", "in_time", "green"),
        ("in time, not needed yet", "not_needed_yet", "yellow"),
        ("late", "late", "red"),
        ("missed", "missed", "red"),
        ("false alarm", "false_alarm", "yellow"),
        ("nothing ordered", "nothing_ordered", ""),
        ("not borne out", "not_borne_out", "yellow"),
        ("no order needed", "no_order_needed", ""),
        ("not verified", "not_verified", ""),
    )
    summary.add_column("judged", justify="right")
    for name, _, _ in verdicts:
        summary.add_column(name, justify="right")
    # Each replay's orders are judged alone, as if it were the only one placed: the sums add
    # up alternatives, not one budget.
    for name in ("unmet GPU-h", "revenue lost", "idle GPU-months", "idle capital"):
        summary.add_column(f"{name} (sum of replays)", justify="right")
    # Calls judged on the data to its end only, short of their window ("no order needed"
    # on one day of data): the judged count says how many.
    short = censored_at_data_end(frame)
    partly = f" ({short} censored)" if short else ""
    green = censored_at_data_end(frame.filter(pl.col("verdict") == "no_order_needed"))
    green_partly = f" ({green} censored)" if green else ""
    unmeasured = idle_not_verified(frame)
    beside = f" (+ {unmeasured} not verified)" if unmeasured else ""
    # Unmet hours that stop at the data end, the order not in service yet: a lower bound.
    cut = unmet_censored(frame)
    bound = f" (at least: {cut} censored)" if cut else ""
    summary.add_row(
        _n(judged) + partly,
        *(
            Text(
                _n(counts.get(key, 0)) + (green_partly if key == "no_order_needed" else ""), colour
            )
            for _, key, colour in verdicts
        ),
        f"{run.unmet_gpu_hours:,.0f}{bound}",
        _money(run.revenue_lost_usd) + bound,
        f"{run.idle_gpu_months:,.0f}{beside}",
        _money(run.idle_capital_usd) + beside,
    )
    replays = Table(title="what the triggers said, and what happened", title_justify="left")
    for name in (
        "as of",
        "region",
        "pool",
        "said",
        "exhaustion (forecast)",
        "order by",
        "order",
        "ran short (actual)",
        "verdict",
        "days late",
        "idle capital",
    ):
        replays.add_column(
            name, justify="right" if name in ("days late", "idle capital") else "left"
        )
    style = {key: colour for _, key, colour in verdicts}
    for r in run.replays:
        order = _order_text(r)
        replays.add_row(
            str(r["as_of"]),
            Text(r["region"]),
            Text(r["pool"]),
            Text(r["status"] or "-"),
            fmt_day_or_month(
                r["forecast_exhaustion"], daily_end=r["as_of"] + timedelta(days=run.daily_days)
            ),
            order_by_text(r["order_by"], as_of=r["as_of"]),
            Text(order),
            _actual_text(r),
            # The summary's words ("not verified"), not the stored value ("not_verified").
            Text(r["verdict"].replace("_", " "), style=style.get(r["verdict"], "")),
            days_late_text(r),
            _money(r["idle_capital_usd"]),
        )
    return [summary, replays]


def _deal_revenue(outcome: WhatIfOutcome) -> str:
    """Revenue as it compares with the capex beside it: served within the plan, and the term's
    past its end apart, not verified (it was summed "over the term" as if served)."""
    within, past = outcome.revenue_usd, outcome.revenue_past_plan_usd
    if within is None:
        return "-"
    if outcome.serve_from is None and not within:
        # Revenue counts only the hours served in full: "revenue $0" read as a measured loss.
        return "not counted (never served in full within the horizon)"
    basis = f" ({outcome.revenue_basis})" if outcome.revenue_basis else ""
    unverified = (
        f"{usd(outcome.revenue_unverified_usd)} of it after {outcome.verified_to}, the last day "
        "the plan's statuses are verified: not verified"
        if outcome.revenue_unverified_usd and outcome.verified_to
        else ""
    )
    if not past:
        return usd(within) + (f" ({unverified})" if unverified else "") + basis
    if not unverified:
        return f"{usd(within)} to the plan's end ({usd(past)} past it: not verified){basis}"
    return (
        f"{usd(within)} to the plan's end ({unverified}; {usd(past)} past the plan's end: not "
        f"verified){basis}"
    )


def _short_from(day: date | None, outcome: WhatIfOutcome) -> str:
    """A pool's exhaustion with and without the deal: its day, its month on the plan's
    monthly rows, or '-' where it never runs short."""
    from forecasting.report.format import fmt_day_or_month  # the report package is slow to import

    return "-" if day is None else fmt_day_or_month(day, daily_end=outcome.daily_end)


def _moved(before: date | None, now: date | None) -> str:
    """``2027-03-15 -> 2026-12-13`` where a date moved, else the date (or '-')."""
    shown = str(now or "-")
    return shown if before == now else f"{before or '-'} -> {shown}"


def whatif_table(outcome: WhatIfOutcome) -> Table:
    """The pools a deal moves: status, short-from date and blocks without and with it."""
    # Here, not at the top: forecasting.whatif pulls in the triggers (+0.2 s for every table).
    from forecasting.text import extra_capex
    from forecasting.whatif import PLAN_SHORT_TOO, extra_mw_text, no_block_type

    at_times = "at times " if outcome.short_at_times else ""
    # Short for most of its term, it leads with when it is served in full: "served from its
    # first day but short from 2027-03-16 until 2028-12-31" read as served (21 of 22 months).
    serve = (
        "not served within the horizon"  # "served not within the horizon" read as served
        if outcome.serve_from is None
        else "from its first day"
        if outcome.can_serve
        else f"in full only from {outcome.serve_from}: short {at_times}from {outcome.short_from} "
        f"until then, served only from its first day ({outcome.first_day}) to the shortfall "
        "(see below)"
        if outcome.short_from is not None and outcome.short_most
        else f"from its first day but short {at_times}from "
        f"{outcome.short_from} until {outcome.serve_from} (see below)"
        if outcome.short_from is not None
        else f"in full from {outcome.serve_from}, at times before (see below)"
        if outcome.short_at_times
        else f"from {outcome.serve_from} (see below)"
    )
    if outcome.baseline_note:
        # One pointer below, not two: "(see below) (the plan is short ..., see below)".
        serve = serve.removesuffix(" (see below)") + f" ({PLAN_SHORT_TOO}, see below)"
    revenue = _deal_revenue(outcome)
    # What the extra capex is: the deal's own blocks, or the re-plan where it is cheaper.
    basis = f" ({outcome.capex_basis})" if outcome.capex_basis else ""
    # The plan's orders the deal places sooner, beside its own capex: "$84.5M" alone hid
    # $2,918.4M of orders pulled up to 426 days sooner.
    sooner = f"; {outcome.sooner_note}" if outcome.sooner_note else ""
    # A ramp dated before the forecast (a deal "already running" that telemetry does not
    # show) was accepted without a word on the headline: its first clause leads it.
    warning = (
        f"{outcome.ramp_warning.split(';')[0]} (see the notes); " if outcome.ramp_warning else ""
    )
    # Text(), not markup: the basis names the plan's "[[site]]" table, which markup read as a
    # style tag and dropped ("no [] of helios in the plan"); regions and customers are data.
    table = Table(
        title=Text(
            f"what-if on {outcome.forecast_run_id} (as of {outcome.as_of}, plan to "
            f"{outcome.horizon_end}): {warning}{'' if outcome.serve_from is None else 'served '}"
            f"{serve}; extra capex "
            f"{extra_capex(outcome.extra_capex_usd, bound=outcome.capex_bound)}, "
            f"{extra_mw_text(outcome.extra_mw, bound=outcome.capex_bound)}{basis}{sooner}; "
            f"revenue {revenue}"
        ),
        title_justify="left",
    )
    # Blocks are the trigger's order, as in the report; the capex counts every order of the
    # plan to its end (the trigger's and the later ones): say which where the figures are.
    # The last column is the re-plan's, not the deal's capex (the title's): REPLANNED.
    columns = ("region", "pool", "status", "short from", "trigger blocks", "order by",
               "every order re-planned")  # fmt: skip
    for name in columns:
        table.add_column(name, justify="right" if name.startswith("every order") else "left")
    style = {"red": "red", "amber": "yellow", "green": "green"}
    for o in outcome.orders:
        # A deal that adds no block can still pull a pool's shortfall and order forward (a
        # $368.6M cell's order due in ten days, not in fifteen weeks): that is news too.
        key = f"{o['region']}/{o['pool']}"
        unsized = key in outcome.not_sized_with or key in outcome.not_sized_without
        if (
            not o["extra_capex_usd"]
            and not unsized
            and all(
                o[f"{name}_without"] == o[f"{name}_with"]
                for name in ("status", "exhaustion", "blocks")
            )
            and o["order_by_without"] == o["order_by"]
        ):
            continue
        blocks = (
            f"{_count(o['blocks_without'], key in outcome.not_sized_without)} -> "
            f"{_count(o['blocks_with'], key in outcome.not_sized_with)} x {o['candidate']}"
            if o["candidate"]
            else "none"
        )
        before = o.get("candidate_without")
        if o["candidate"] and before and before != o["candidate"]:
            # Another block without the deal: each count beside its own block.
            blocks = (
                f"{_count(o['blocks_without'], key in outcome.not_sized_without)} x {before} -> "
                f"{_count(o['blocks_with'], key in outcome.not_sized_with)} x {o['candidate']}"
            )
        table.add_row(
            Text(o["region"]),
            Text(o["pool"]),
            Text(
                f"{o['status_without']} -> {o['status_with']}",
                style=style.get(o["status_with"], ""),
            ),
            f"{_short_from(o['exhaustion_without'], outcome)} -> "
            f"{_short_from(o['exhaustion_with'], outcome)}",
            Text(blocks),
            # Due before the next scheduled report, as the report's tables say it.
            _moved(o["order_by_without"], o["order_by"])
            + next_report_words(
                o["order_by"], as_of=outcome.as_of, next_report=outcome.next_report, lead=", "
            ),
            "not sized"
            if unsized
            else "not measured"
            if no_block_type(o)
            else usd(o["extra_capex_usd"]),
        )
    if not table.row_count:
        table.caption = "no pool's status, orders or capex change with the deal"
        table.caption_justify = "left"
    return table


def whatif_lines(outcome: WhatIfOutcome) -> list[str]:
    """The lines under the what-if's table: why it is served when it is, the plan's own
    shortfalls, concentration (the README promised it; the terminal said nothing), the notes
    and the page."""
    lines = (
        outcome.serve_note,
        # First of the caveats: every figure above rests on it.
        outcome.extrapolated,
        outcome.unverified,
        outcome.replan_note,
        outcome.baseline_note,
        outcome.concentration_line,
        *outcome.notes,
        f"page: {outcome.page}",
    )
    return [line for line in lines if line]


def _count(blocks: int, unsized: bool) -> str:
    """A what-if's trigger blocks on one side: ``3``, or ``not sized`` for an order the
    forecast ends before (its 0 read as nothing to order)."""
    return "not sized" if unsized else str(blocks)


def _days_late(by: date, report: ReportOutcome) -> str:
    """`` (65 days ago: late)`` for a "by" date before the triggers' as-of date (a date that is
    gone would read as a deadline still to meet), else '', as the pages say it
    (:func:`~forecasting.report.format.fmt_lateness`)."""
    from forecasting.report.format import fmt_lateness  # the report package is slow to import

    late = fmt_lateness(by, report.as_of or date.today(), today=report.generated)
    if late is None:
        return ""
    # Both dates count from where a trace with no calendar was placed: a lateness between
    # placements, not a measured one.
    return f" ({late}, on placed dates)" if report.placed_dates else f" ({late})"


def _days_late_or_soon(by: date, report: ReportOutcome) -> str:
    """:func:`_days_late`, or for a date not gone that falls before the next scheduled report
    `` (falls before the next scheduled report (DAY): place it by then)``
    (:func:`~forecasting.text.before_next_report`, the pages' rule), else ''."""
    if late := _days_late(by, report):
        return late
    soon = _soon(by, report)
    return f" ({soon})" if soon else ""


def _soon(by: date, report: ReportOutcome) -> str:
    """ "falls before the next scheduled report (DAY): place it by then" for a "by" date on or
    after the as-of day and before ``report.next_report``, else ''
    (:func:`~forecasting.text.before_next_report`, the one rule the pages read too)."""
    return before_next_report(by, as_of=report.as_of or by, next_report=report.next_report)


def _power_then(report: ReportOutcome) -> str:
    """``; then us-west-a by 2027-02-01, eu-west-a by 2027-05-03 and 2 more``: the red and amber
    sites due after the first day, capped as the headline names its worst
    (report.inputs.WORST_NAMED, counting those already named), each with its contract-by date
    (late, or before the next scheduled report, as the first's). The line named the first
    site's clause alone where four sites were red."""
    from forecasting.report.inputs import WORST_NAMED  # the headline's cap, one number

    if not report.power_then:
        return ""
    room = max(WORST_NAMED - 1 - len(report.power_first_tied), 0)
    named = []
    for site in report.power_then[:room]:
        by = date.fromisoformat(str(site["contract_by"]))
        if site["new_site"]:
            said = f"{site['site']} ({NEW_SITE}: its need passes its ceiling)"
        else:
            how = " (bring planned power forward)" if site["forward"] else ""
            grain = f" (monthly grain: {MONTHLY_ONLY})" if site["monthly"] else ""
            said = f"{site['site']} by {by}{grain}{how}{_days_late_or_soon(by, report)}"
        named.append(said)
    more = len(report.power_then) - len(named)
    tail = f" and {more} more" if more else ""
    if not named:
        return f"; and {more} more red or amber sites after it" if more else ""
    return f"; then {', '.join(named)}{tail}"


def _power_qualifiers(*, beyond_mw: float, not_verified: str, monthly: bool) -> str:
    """What one site named on the power line rests on: MW past its ceiling (red whatever is
    contracted), a shortfall on days no backtest measured, an order short at the monthly
    grain only; '' where none."""
    said = ""
    if beyond_mw > 0:
        said += (
            f" (red whatever is contracted: {beyond_mw:.1f} MW of its need passes its ceiling, "
            f"{NEW_SITE} for it; see its note)"
        )
    if not_verified:
        said += f" {not_verified}"
    if monthly:
        said += (
            f" (its date rests on an order short at the monthly grain only, {MONTHLY_ONLY}:"
            " see its note)"
        )
    return said


def power_lines(report: ReportOutcome) -> list[str]:
    """``power: 4 red, 0 amber, 3 green; contract power first: us-east-b by 2027-04-06``, or
    nothing for a plan without sites; a date already past says how late it is; each site due
    that first day with its own qualifiers (past its ceiling, not verified, monthly); then the
    ``construction:`` lines (when each region's site ceilings run out, and by when to start a
    new site) and an ``n+1:`` line per region short with its largest shared block lost."""
    if not report.power_statuses:
        return _with_unverified_note(list(report.n_plus_one), report)
    # The pages' words where the report has them: a green not checked for orders not sized,
    # or in a region without telemetry, is not counted among the plain greens.
    counts = report.power_counts or ", ".join(
        f"{report.power_statuses.get(s, 0)} {s}" for s in ("red", "amber", "green")
    )
    first = ""
    if report.power_first:
        site, by = report.power_first
        first = f"; contract power first: {site} by {by}{_days_late_or_soon(by, report)}"
        also = "by the same day"
        if report.power_first_new_site:
            first = (
                f"; {NEW_SITE} first: {site}'s need passes its ceiling, which no contract "
                "brings on (no MW to contract there; see its note)"
            )
            also = "whose need passes its ceiling too"
        elif report.power_first_forward:
            first = (
                f"; bring planned power forward first: {site} by {by}"
                f"{_days_late_or_soon(by, report)}: the MW its plan has (energized steps, "
                "contract) cover the need but are not energized on every day from then (no "
                "more MW to contract; see its note)"
            )
            also = "by the same day, its planned power too"
        contract = not report.power_first_new_site and not report.power_first_forward
        first += _power_qualifiers(
            beyond_mw=report.power_first_beyond_ceiling_mw if contract else 0.0,
            not_verified=report.power_first_not_verified,
            monthly=report.power_first_monthly,
        )
        # Each site due that same day is named with its own qualifiers: the first's alone
        # read as the only one, its "not verified" or "red whatever" as theirs too.
        for tied in report.power_first_tied:
            first += f"; and {tied['site']} {also}" + _power_qualifiers(
                beyond_mw=tied["beyond_ceiling_mw"] if contract else 0.0,
                not_verified=tied["not_verified"],
                monthly=tied["monthly"],
            )
        first += _power_then(report)
    # The N+1 check beside power: a region that cannot lose its largest block (stored and
    # shown nowhere, earlier than any trigger on the demo).
    # The construction clock beside power: when the sites' ceilings run out, and by when a new
    # site must be started (the power line said only "a new site is needed", with no date).
    return _with_unverified_note(
        [f"power: {counts}{first}", *report.construction, *report.n_plus_one], report
    )


def _with_unverified_note(lines: list[str], report: ReportOutcome) -> list[str]:
    """``lines`` and, where one is marked "†", why it is not verified past its day, once after
    them (the n+1 lines carried the ~35-word reason each)."""
    from forecasting.report.format import UNVERIFIED_MARK  # the report package is slow

    if any(UNVERIFIED_MARK in line for line in lines):
        return [*lines, report.unverified_note]
    return lines


def _drill_counts(drills: Sequence[DrillOutcome], failing: list[str]) -> str:
    """``4 pass, 1 fails under the shock (all-2x), 1 plan fails unshocked (training-2x)``."""
    if not all(d.verdict for d in drills):
        return f"{len(drills) - len(failing)} pass, {len(failing)} fail" + (
            f" ({', '.join(failing)}){_cut_short_of(drills, failing)}" if failing else ""
        )
    parts = []
    for verdict in VERDICTS:
        names = [d.drill for d in drills if d.verdict == verdict]
        if verdict == NOT_VERIFIED and names:
            parts.append(f"{len(names)} {verdict} ({_unverified_why(drills)})")
        elif names or verdict == PASS:
            shown = f" ({', '.join(names)})" if names and verdict != PASS else ""
            if verdict != PASS:
                shown += _cut_short_of(drills, names)
            parts.append(f"{len(names)} {_verdict_of(verdict, len(names))}{shown}")
    return ", ".join(parts)


def _cut_short_of(drills: Sequence[DrillOutcome], names: Sequence[str]) -> str:
    """``, 1 of them with its shock cut short by the horizon (top-customer-2x-6w)``: the failing
    drills among ``names`` that the horizon cut short, as part of their count. A separate
    "; 1 failing with the shock cut short" after "6 fail under the shock (...)" read as a
    ninth drill of eight."""
    cut = [d.drill for d in drills if d.drill in names and d.shock_cut]
    if not cut:
        return ""
    whose = "its shock" if len(cut) == 1 else "their shocks"
    return f", {len(cut)} of them with {whose} cut short by the horizon ({', '.join(cut)})"


def _verdict_of(verdict: str, count: int) -> str:
    """``verdict`` said of ``count`` drills: "2 fail under the shock", "2 plans fail
    unshocked" (the demo's summary read "6 fails under the shock")."""
    if count == 1:
        return verdict
    return verdict.replace(FAILS_UNSHOCKED, "plans fail unshocked").replace(
        FAILS_UNDER_SHOCK, "fail under the shock"
    )


def _unverified_why(drills: Sequence[DrillOutcome]) -> str:
    """``cut short by the horizon: top-customer-2x-6w; no demand measured: all-2x, ...``: the
    drills "not verified", by why."""
    # How each reason (drills.kpis.unverified_reason) starts or reads, and its name here.
    kinds = {
        "cut short": "cut short by the horizon",
        "no demand measured": "no demand measured",
        "passes with failover": "failover onto a region without telemetry",
    }
    named: dict[str, list[str]] = {}
    for d in drills:
        if d.verdict == NOT_VERIFIED:
            reason = d.unverified or ""
            why = [name for marker, name in kinds.items() if marker in reason]
            for kind in why or ["see the drill table"]:
                named.setdefault(kind, []).append(d.drill)
    return "; ".join(f"{kind}: {', '.join(names)}" for kind, names in named.items())


def fallback_lines(run: ForecastRun) -> list[str]:
    """One ``warning:`` line per series forecast by a fallback, with the reason."""
    return [f"warning: {line}" for line in run.warnings]


def not_played_lines(not_played: Sequence[DrillNotPlayed]) -> list[str]:
    """One ``warning:`` line per drill that could not be played, with the reason."""
    return [f"warning: drill {d.drill} not played: {d.reason}" for d in not_played]


def shock_cut_lines(drills: Sequence[DrillOutcome]) -> list[str]:
    """One ``note:`` line per drill whose shock the horizon cut short, saying how far it got."""
    return [f"note: drill {d.drill}: {d.shock_cut}" for d in drills if d.shock_cut]


def _late(order: dict[str, Any]) -> str:
    """``red`` or ``amber`` for a later order whose order-by date has passed, else ''."""
    status = order.get("status")
    return status if status in ("red", "amber") else ""


def _new_site_first(report: ReportOutcome) -> str:
    """The blocks past a ceiling due first by their new site's order-by, as the line's "order
    first" clause ('' when another order is due first or none is dated so), as the pages'
    "next order-by" card names them."""
    if (site := report.new_site_first) is None:
        return ""
    by = date.fromisoformat(str(site["order_by"]))
    # "(17 days ago: late; for a new site: ...)", one parenthesis.
    late = f"{late.strip()[1:-1]}; " if (late := _days_late_or_soon(by, report)) else ""
    return (
        f"; order first: {site['region']}/{site['pool']} by {by} ({late}"
        f"for a new site: {site['blocks_beyond_ceiling']:,} x {site['candidate']} past the "
        "site ceilings, by the new site's order-by)"
    )


def _due_before(orders: list[dict[str, Any]], report: ReportOutcome) -> str:
    """The later orders due before every trigger's, as the line's "order first" clause (''
    when none), "then" after blocks past a ceiling due before them; the red and amber among
    them are counted, since the triggers' own tally does not hold them."""
    if not orders:
        return ""
    lead = "then" if report.new_site_first else "order first:"
    first = orders[0]
    # A date already gone says how late it is, as the pools' first orders do.
    late = _days_late_or_soon(date.fromisoformat(str(first["order_by"])), report)
    what = (
        f"{first['region']}/{first['pool']} {first['blocks']:,} x {first['candidate']} by "
        f"{first['order_by']}"
    )
    before = "due before every pool's first order"
    if first.get("monthly_only"):
        # After its pool's first order, short at the monthly grain only: dated as that one is;
        # or sized itself on a month a default run reads by the day (orders_monthly_only).
        soon = _soon(date.fromisoformat(str(first["order_by"])), report)
        pool = [
            t
            for t in report.triggers
            if (t["region"], t["pool"]) == (first["region"], first["pool"])
            and t.get("monthly_only")
        ]
        how = "after an order at the monthly grain" if pool else "sized at the monthly grain"
        late = f" ({how}, {MONTHLY_ONLY}: see its pool's note{f'; {soon}' if soon else ''})"
    if len(orders) == 1:
        # How far its own shortfall is verified, as the pages' card says it: a green cell for
        # a shortfall 22 months out read as plain as a measured one.
        only = first.get("status_only")
        said = f"{first.get('status')} {only}" if only else _late(first)
        status = f"; {said}" if said else ""
        gone = f"{late.strip()[1:-1]}; " if late else ""
        return f"; {lead} {what} ({gone}a later order of the plan, {before}{status})"
    capex = sum(o["capex_usd"] or 0.0 for o in orders)
    # The capex of blocks past their site's ceiling is a new site's, apart from the total.
    apart = sum(o.get("capex_new_site_usd") or 0.0 for o in orders)
    beyond = sum(o.get("blocks_beyond_ceiling") or 0 for o in orders) if apart else 0
    counts = "".join(
        f", {n} {status}"
        for status in ("red", "amber")
        if (n := sum(_late(o) == status for o in orders))
    )
    status = _late(first)
    # "(52 days ago: late; red)", one parenthesis.
    tail = (
        f"{late[:-1]}; {status})" if late and status else late or (f" ({status})" if status else "")
    )
    return (
        f"; {lead} {len(orders)} later orders of the plan, {before} "
        f"({capex_past_ceiling(capex, apart, beyond=beyond)}{counts}), the first {what}{tail}"
    )


def to_place_line(report: ReportOutcome) -> list[str]:
    """``capital in orders to place: $371.7M in 2 orders due by 2026-12-05, the as-of day
    ...``, the finance card's words, or nothing where the report has none: the
    summary named the orders due first and no budget line at all. Then the idle-risk card's
    line, the opposite error: a fleet whose demand fell read $1,366.5M idle on the finance page
    beside a terminal that said "$0 in 0 orders" and nothing else."""
    lines = [f"capital in orders to place: {report.to_place}"] if report.to_place else []
    if report.to_place and report.to_place_lead:
        # One sentence first, the total and the first date; the whole after it, indented, for
        # whoever checks what it counts (it ran to 130 words, the total in the middle).
        lines = [
            f"capital in orders to place: {report.to_place_lead}",
            f"  in full: {report.to_place}",
        ]
    return lines + ([report.idle] if report.idle else [])


def retiring_lines(report: ReportOutcome) -> list[str]:
    """The report's ``retiring:`` line, or nothing where no block retires within the plan: the
    triggers count such blocks out of capacity, and the terminal never said the plan rested
    on them."""
    return [report.retiring] if report.retiring else []


def triggers_line(report: ReportOutcome) -> str:
    """``triggers: 0 red, 0 amber, 6 green``, the order whose order-by date comes first (how
    late it is, and its status unless red), the red pools with nothing to order (their
    shortfall is absorbed, not bought: an order-by date there is no order to place), the
    later orders of the plan due before every trigger's (long-lead blocks for later
    shortfalls), and before them all the blocks past a ceiling whose new site's order-by
    comes first (as the pages' "next order-by" card)."""
    dated = sorted((t for t in report.triggers if t["order_by"]), key=lambda t: str(t["order_by"]))
    red = [t for t in dated if t["status"] == "red"]
    # The order due first whatever its status, as the pages' "next order-by" card reads it:
    # red pools alone named a December date while an amber order was due in November.
    ordering = [t for t in dated if t["blocks_to_order"] or _unsized(t)]
    first = ""
    if ordering:
        due = ordering[0]
        by = date.fromisoformat(str(due["order_by"]))
        # Later orders due before every pool's first are ordered first: the line named a
        # pool's order "first" and then orders due seven weeks before it.
        lead = (
            "then the pools' first orders, from"
            if report.later_due_first or report.new_site_first
            else "order first:"
        )
        first = f"; {lead} {due['region']}/{due['pool']} by {by}"
        late = _days_late(by, report)
        if due.get("monthly_only"):
            # Short on the first monthly row alone: the date is the monthly rows' earliest.
            soon = f"; {_soon(by, report)}" if _soon(by, report) else ""
            late = f" (at the monthly grain, {MONTHLY_ONLY}: see its note{soon})"
        status = "" if due["status"] == "red" else str(due["status"])
        if late and status:
            first += f"{late[:-1]}; {status})"
        else:
            # Due before the next scheduled report, as the pages' card says it.
            said = "; ".join(w for w in (status, _soon(by, report)) if w)
            first += late or (f" ({said})" if said else "")
    unordered = [t for t in red if not t["blocks_to_order"] and not _unsized(t)]
    # Short until blocks already planned land, too soon after any order would: the lever is
    # the plan's own dates, not "short before any order lands" (an order would land first).
    # The triggers' own words, imported here (the package is slow to import) rather than
    # copied: a copy reworded in one place alone read every such pool as "absorbed".
    from forecasting.triggers.notes import PULL_IN

    pull_in = [f"{t['region']}/{t['pool']}" for t in unordered if PULL_IN in str(t.get("note"))]
    absorbed = [
        f"{t['region']}/{t['pool']}" for t in unordered if PULL_IN not in str(t.get("note"))
    ]
    if unsized := [f"{t['region']}/{t['pool']}" for t in dated if _unsized(t)]:
        first += (
            f"; not sized (the forecast ends before the order lands: capex not measured): "
            f"{', '.join(unsized)}"
        )
    if absorbed:
        first += (
            f"; red with nothing to order (short before any order lands): {', '.join(absorbed)}"
        )
    if pull_in:
        first += (
            "; red with nothing to order (short until blocks already planned land, within weeks of "
            f"any order: absorb, expedite or pull them in; see its note): {', '.join(pull_in)}"
        )
    # Greens that rest on nothing measured are counted apart, as "not verified", never as
    # green: the Azure trace's two hours read "2 green" beside a status line calling both
    # "not verified: no demand measured", and "3 green (2 of them not verified ...)" read as
    # three greens. Zero demand against zero capacity (a vacant region), a planned region
    # with not one whole day of telemetry, a class no telemetry row measured.
    unmeasured = _no_demand_regions(report)
    greens = [t for t in report.triggers if t["status"] == "green"]
    vacant = [t for t in greens if t["region"] in report.vacant_regions]
    blind = [t for t in greens if t["region"] in unmeasured]
    gap = [
        t
        for t in report.triggers
        if t["status"] == NOT_VERIFIED and t["region"] not in report.vacant_regions
    ]
    from forecasting.triggers import UNMEASURED_TRAINING

    # A training pool no block in its region hosts is vacant, not a feed gap (its row's flag).
    empty = [t for t in gap if t.get("vacant_pool")]
    why = [
        f"{label}: {listed([_pool_name(t) for t in rows])}"
        for label, rows in (
            (VACANT, vacant + empty),
            ("no demand measured, not one whole day of telemetry", blind),
            (UNMEASURED_TRAINING, [t for t in gap if not t.get("vacant_pool")]),
        )
        if rows
    ]
    apart = len(vacant) + len(blind) + len(gap)
    counts = {s: report.statuses.get(s, 0) for s in ("red", "amber", "green")}
    # The gap's rows are stored green (their status cell says not verified).
    counts["green"] = max(counts["green"] - apart, 0)
    said = ", ".join(f"{n} {s}" for s, n in counts.items())
    # The greens verified short of the plan's end, as their rows read (the demo's "2 green"
    # beside rows reading "green to 2027-06-05 only: not verified beyond").
    short = {
        t["status_only"]
        for t in greens
        if t.get("status_only") and t not in vacant and t not in blind
    }
    if len(short) == 1:
        only = short.pop()
        # A green no backtest measured reads "(no backtest measured ...)" on its row.
        said += f" (green: {only[1:-1]})" if only.startswith("(") else f" (green {only})"
    elif short:
        said += " (greens verified short of the plan's end: see each pool's row)"
    if apart:
        said += f", {apart} {NOT_VERIFIED} ({'; '.join(why)})"
    if report.book_only:
        # Counted with the forecast's, though no forecast is under them: say which.
        book = [t for t in report.triggers if t["region"] in report.book_only]
        said += (
            f" ({len(book)} of them judged on the {BOOK_STATUS}, no telemetry yet (not forecast): "
            f"{listed(report.book_only)})"
        )
    return (
        "triggers: "
        + said
        + _new_site_first(report)
        + _due_before(report.later_due_first, report)
        + first
    )


def _pool_name(row: Mapping[str, Any]) -> str:
    """A trigger row's pool as the line names it: ``azure/training``."""
    return f"{row['region']}/{row['pool']}"


def _no_demand_regions(report: ReportOutcome) -> set[str]:
    """The planned regions forecast as zero for want of one whole day of telemetry: the
    region-level names among ``unmeasured`` (``azure``, not ``total`` or ``azure · inference``;
    ``hierarchy.label_of`` joins levels with " · "), less the vacant ones (said apart)."""
    return {
        name
        for name in report.unmeasured
        if " · " not in name and name != "total" and name not in report.vacant_regions
    }


def _unshocked_beside_green(outcome: PipelineOutcome) -> list[str]:
    """Groups a drill found short without any shock where the triggers are green."""
    from forecasting.triggers import unshocked_beside_green

    failures = (group for d in outcome.drills for group in d.unshocked_failures)
    return unshocked_beside_green(failures, outcome.report.triggers)


def pipeline_summary(outcome: PipelineOutcome, *, seconds: float) -> list[str]:
    """Five lines a reader needs: data, forecast, triggers, drills, and where the pages are."""
    loaded = [r for r in outcome.ingested if r.status == "loaded" and r.entry]
    rows = sum(r.entry.loaded for r in loaded if r.entry)
    # A file with no good row fails, its rows quarantined all the same: counting loaded files
    # only read "0 quarantined" beside `status`'s 4,085.
    refused = [r for r in outcome.ingested if r.status == "failed" and r.entry]
    in_failed = sum(r.entry.quarantined for r in refused if r.entry)
    quarantined = sum(r.entry.quarantined for r in loaded if r.entry) + in_failed
    f = outcome.forecast
    totals = [a for a in f.accuracy if a["level"] == "total" and a["measure"] == "peak"]
    accuracy = (
        # No backtest scored it: "MASE n/a vs seasonal naive n/a" where the report's banner
        # says "not backtested".
        "; total peak not backtested (no measured error)"
        if totals and _fmt(totals[0]["mase"], "{}") == "n/a"
        else f"; total peak MASE {_fmt(totals[0]['mase'], '{:.2f}')} vs seasonal naive "
        f"{_fmt(totals[0]['mase_seasonal_naive'], '{:.2f}')}"
        if totals
        else ""
    )
    failing = [d.drill for d in outcome.drills if not d.passed]
    stale = outcome.report.stale_days
    failed = [r for r in outcome.ingested if r.status == "failed"]
    refused_events = sum(load.refused_rows for load in outcome.events)
    refused_contracts = sum(load.refused_entries for load in outcome.contracts)
    # An emptied book or calendar is refused whole: the run forecasts with the stored one.
    unread = sum(load.status == "failed" for load in outcome.events) + sum(
        load.status == "failed" for load in outcome.contracts
    )
    return [
        f"data: {len(loaded)} new file(s), {rows:,} rows loaded, {quarantined:,} quarantined"
        + (
            f" ({in_failed:,} of them by {len(refused)} failed file(s); `fleetcast quarantine` "
            "lists them)"
            if in_failed
            else ""
        )
        + (f"; {len(failed)} file(s) failed (each listed above with why)" if failed else "")
        + (f"; {refused_events} event row(s) refused (listed above)" if refused_events else "")
        + (f"; {refused_contracts} contract(s) refused (listed above)" if refused_contracts else "")
        + (
            f"; {unread} event calendar(s) or contract book(s) not loaded (listed above)"
            if unread
            else ""
        )
        + (
            f"; newest telemetry {days_count(stale)} before today by the placed calendar"
            if stale and outcome.report.placed_dates
            else f"; newest telemetry {days_count(stale)} old"
            if stale
            else f"; newest telemetry {ahead_of_clock(outcome.report.telemetry_ahead_minutes)}"
            if outcome.report.telemetry_ahead_minutes
            else ""
        ),
        f"forecast {f.run_id}: {f.series:,} series, {f.history_to}{accuracy}"
        # Only `forecast`'s tables said it: `run` read "$0 in 0 orders" to the daily days'
        # end with no word of why a 36-month plan was not made.
        + (
            f"; no plan past the daily days: {f.plan_gap}"
            if f.plan_gap
            else f"; {f.daily_only}"
            if f.daily_only
            else ""
        )
        + (f"; {f.events} known event(s)" if f.events else "")
        + (f"; {_book_applied(f)}" if f.contracts_signed or f.contracts_pipeline else ""),
        *([outcome.report.placed_dates] if outcome.report.placed_dates else []),
        triggers_line(outcome.report),
        *to_place_line(outcome.report),
        *power_lines(outcome.report),
        *retiring_lines(outcome.report),
        "drills: "
        + _drill_counts(outcome.drills, failing)
        + (
            f"; {len(outcome.drills_not_played)} not played "
            f"({', '.join(d.drill for d in outcome.drills_not_played)})"
            if outcome.drills_not_played
            else ""
        )
        + (
            f"; short without any shock where the triggers are green: {', '.join(beside)} "
            "(a risk the triggers do not show yet; see the platform page)"
            if (beside := _unshocked_beside_green(outcome))
            else ""
        ),
        f"reports: {_reports_path(outcome.report.path)} (done in {seconds:.0f} s)",
    ]


def _reports_path(folder: Path) -> str:
    """Where the run's pages are: ``latest/`` where it points at this run, else the run's own
    folder (a Helios demo as of 2020 printed latest/, which held the synthetic fleet's newer
    as-of day: its reader opened another run)."""
    latest = folder.parent / "latest"
    try:
        here = latest.resolve() == folder.resolve()
    except OSError:
        here = False
    if here:
        return str(latest / "index.html")
    return f"{folder / 'index.html'} (latest/ holds a run of a later as-of day)"


# --- the capacity plan ---------------------------------------------------------------------------


def _blocks_table(plan: CapacityPlan) -> Table:
    table = Table(title="Capacity blocks", title_justify="left")
    for name in ("id", "kind", "region", "site", "GPU", "GPUs", "MW", "status"):
        table.add_column(name, justify="right" if name in ("GPUs", "MW") else "left")
    for name in ("in service", "retire", "classes", "dedicated to"):
        table.add_column(name)
    for b in sorted(plan.block, key=lambda b: (b.region, b.in_service or date.min, b.id)):
        classes = "all" if not b.classes else ", ".join(c.value for c in b.classes)
        if not b.fabric:
            classes += " (no training: no fabric)" if not b.classes else ""
        table.add_row(
            Text(b.id),
            b.kind.value,
            Text(b.region),
            Text(b.site),
            Text(b.gpu_type),
            f"{b.gpus:,}",
            f"{b.mw:.2f}",
            b.status.value,
            str(b.in_service or "-"),
            str(b.retire or "-"),
            classes,
            Text(b.dedicated_customer or "-"),
        )
    return table


def _candidates_table(plan: CapacityPlan) -> Table:
    table = Table(title="Block types that can be ordered", title_justify="left")
    for name in ("name", "kind", "GPU", "GPUs", "MW", "lead time", "capex", "per GPU", "regions"):
        numeric = name in ("GPUs", "MW", "lead time", "capex", "per GPU")
        table.add_column(name, justify="right" if numeric else "left")
    for c in plan.candidate:
        table.add_row(
            Text(c.name),
            c.kind.value,
            Text(c.gpu_type),
            f"{c.gpus:,}",
            f"{c.mw:.2f}",
            f"{c.lead_time_weeks} wk",
            usd(c.capex_usd),
            f"${c.capex_usd / c.gpus / 1e3:,.1f}k",
            Text(", ".join(c.regions) or "any"),
        )
    return table


def _policies_table(plan: CapacityPlan) -> Table:
    table = Table(title="Class policies (served in priority order)", title_justify="left")
    for name in ("class", "tier", "priority", "headroom", "preemptible", "SLO", "$/GPU-h"):
        table.add_column(name, justify="left" if name in ("class", "tier") else "right")
    for cls, p in sorted(plan.policy.items(), key=lambda item: item[1].priority):
        table.add_row(
            cls.value,
            Text(p.tier),
            str(p.priority),
            f"{p.headroom:.0%}",
            "yes" if p.preemptible else "no",
            f"{p.slo_target:.0%}",
            f"{p.price_per_gpu_hour:.2f}",
        )
    return table


def _monthly_table(plan: CapacityPlan, today: date, *, from_telemetry: bool) -> Table:
    monthly = monthly_capacity(plan, start=today)
    months = monthly["month"].unique().sort().to_list()
    since = (
        f"; from {today}, the newest telemetry's day, as the report reads the plan, not today"
        if from_telemetry
        else ""
    )
    # With a [gpu_type] table the triggers and pages count H100-equivalents: the pools they
    # judge (training, all) get a row in that unit under the GPUs (a GB200 cell read 8,192
    # here and 20,480 there, with nothing to say why).
    h100e = (
        "; the H100e rows count H100-equivalents (GPUs x their type's h100_equivalent), the "
        "unit the triggers and pages count the training and all pools in"
        if plan.gpu_type
        else ""
    )
    table = Table(
        title="GPUs in service by month (lowest day; classes share blocks, so they overlap)"
        + h100e
        + since,
        title_justify="left",
    )
    table.add_column("region")
    table.add_column("class")
    for month in months:
        table.add_column(month.strftime("%b %y"), justify="right")
    order = [c.value for c in WorkloadClass] + [ALL_CLASSES]
    pools = (WorkloadClass.TRAINING.value, ALL_CLASSES) if plan.gpu_type else ()
    rows = [(cls, "gpus") for cls in order] + [(pool, "h100e") for pool in pools]
    for region in plan.regions:
        for nth, (cls, unit) in enumerate(rows):
            row = monthly.filter(pl.col("region") == region, pl.col("workload_class") == cls)
            values = dict(zip(row["month"].to_list(), row[unit].to_list(), strict=True))
            table.add_row(
                Text(region),
                f"{cls}, H100e" if unit == "h100e" else cls,
                *(f"{values.get(m, 0):,.0f}" for m in months),
                end_section=nth == len(rows) - 1,
            )
    return table


def capacity_tables(
    plan: CapacityPlan, *, today: date | None = None, from_telemetry: bool = False
) -> tuple[Table, ...]:
    """Tables for ``fleetcast capacity``: blocks, candidates, policies, the next 12 months
    from ``today`` (``from_telemetry``: a day of telemetry older than today, said so)."""
    now = today if today is not None else datetime.now(UTC).date()
    return (
        _blocks_table(plan),
        _candidates_table(plan),
        _policies_table(plan),
        _monthly_table(plan, now, from_telemetry=from_telemetry),
    )
