"""The platform page: demand against capacity, drill verdicts and KPIs, backlog, accuracy."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any

import polars as pl

from forecasting import hierarchy
from forecasting.capacity import ALL_CLASSES
from forecasting.longrange import targets_verdict
from forecasting.report.figures import (
    Chart,
    PoolExhaustion,
    backlog_chart,
    fan_chart,
    slo_chart,
)
from forecasting.report.format import (
    MISSING,
    fmt_count,
    fmt_date,
    fmt_gpu_hours,
    fmt_gpus,
    fmt_hours,
    fmt_listed,
    fmt_multiplier,
    fmt_pct,
    fmt_usd,
)
from forecasting.report.inputs import (
    ReportInputs,
    book_only_levels_of,
    book_only_regions_of,
    daily_end,
    green_verified_to,
    held_silent_ids,
    unplayed_text,
    unserved_blocks_of,
)
from forecasting.report.pages.common import (
    CLASS_ORDER,
    Badge,
    Cell,
    Page,
    Stacked,
    Table,
    below_mean,
    changes_view,
    class_key,
    n_plus_one_table,
    render,
    revenue_cut_short,
    shell,
    unserved_text,
    verdict,
)
from forecasting.schema import (
    BETTER_HIGHER,
    BOOK_ONLY_LABEL,
    BORDERLINE,
    DAY_SHAPE_WEEKS,
    FAILS_UNSHOCKED,
    NO_DEMAND,
    NOT_VERIFIED,
    PARTLY_JUDGED,
    PASS,
    STALE_FIT,
    STALE_WARN_DAYS,
    UNJUDGED_ABSORB,
    UNJUDGED_KPI,
    Measure,
    WorkloadClass,
    absorb_cost_text,
    absorb_from_text,
    book_labelled,
    book_only_noted,
    borderline_classes,
    borderline_short,
    censored_absorb_text,
    ladder_played,
    lasting_loss_absorb_text,
    short_until_shock_end_text,
    unshocked_cell,
    unverified_absorb_text,
)
from forecasting.text import days_count
from forecasting.triggers import blended_headroom, unshocked_beside_green

__all__ = [
    "busiest_blocks_text",
    "customer_regions",
    "drill_absorb_cost_text",
    "drill_absorb_text",
    "fmt_kpi",
    "platform_page",
]

# How the accuracy table names each depth of the hierarchy (hierarchy.LEVEL_NAMES).
_LEVEL_LABELS = ("total", "region", "region / class", "region / class / customer")


def _fan_charts(inputs: ReportInputs) -> list[Chart]:
    """One fan chart per region (all classes) and per region and class with any data."""
    ids = set(inputs.history["unique_id"].unique().to_list()) | set(
        inputs.forecast["unique_id"].unique().to_list()
    )
    pairs: set[tuple[str, str]] = set()
    for uid in ids:
        levels = hierarchy.levels_of(uid)
        if len(levels) == 1:
            pairs.add((levels[0], ALL_CLASSES))
        elif len(levels) == 2:
            pairs.add((levels[0], levels[1]))
    charts = []
    blended = _blended_headroom(inputs)
    book = book_only_regions_of(inputs)
    # A class only the book holds in a region with telemetry is drawn and named as the book's.
    book_levels = book_only_levels_of(inputs)
    for i, (region, cls) in enumerate(sorted(pairs, key=lambda p: (p[0], class_key(p[1])))):
        policy = inputs.plan.policy.get(WorkloadClass(cls)) if cls in CLASS_ORDER else None
        headroom = policy.headroom if policy else blended.get(region, 0.0)
        chart = fan_chart(
            key=f"fan-{i}",
            history=inputs.history,
            forecast=inputs.forecast,
            months=inputs.forecast_months,
            capacity=inputs.capacity,
            region=region,
            workload_class=cls,
            headroom=headroom,
            calibrated=inputs.plan_calibrated,
            quantile=_trigger_quantile(inputs),
            book_only=region in book or hierarchy.id_of(region, cls) in book_levels,
            exhaustion=_pool_exhaustion(inputs, region=region, workload_class=cls),
        )
        if chart:
            charts.append(chart)
    return charts


def _pool_exhaustion(
    inputs: ReportInputs, *, region: str, workload_class: str
) -> PoolExhaustion | None:
    """The triggers' verdict on the pool a chart draws (all classes: ``all``; training: its
    own pool), so the platform page dates a shortfall as the finance page and CLI do; None
    for a class no trigger judges or a pool without a trigger row."""
    pool = {ALL_CLASSES: "all", WorkloadClass.TRAINING.value: "training"}.get(workload_class)
    if pool is None:
        return None
    row = inputs.triggers.filter((pl.col("region") == region) & (pl.col("pool") == pool))
    # A vacant or unmeasured pool has its own words on every page; no date to give here.
    flags = [f for f in ("vacant_pool", "unmeasured_training") if f in row.columns]
    if row.is_empty() or any(row.item(0, f) for f in flags):
        return None
    day = row.item(0, "exhaustion_date")
    end = daily_end(inputs)
    return PoolExhaustion(
        day=day,
        monthly=day is not None and end is not None and day > end,
        verified_to=green_verified_to(inputs),
    )


def _trigger_quantile(inputs: ReportInputs) -> str:
    """The column of the quantile the triggers judged at (q90 unless they say otherwise)."""
    # The triggers store their quantile as its column name (q50, q90 or q99).
    stored = inputs.triggers["quantile"].drop_nulls()
    return str(stored[0]) if stored.len() else "q90"


def _blended_headroom(inputs: ReportInputs) -> dict[str, pl.DataFrame]:
    """Per region, the headroom its all-classes chart keeps free, as dated steps (ds,
    headroom): the class headrooms weighted by each class's mean demand at the trigger
    quantile, as the triggers weigh them for the ``all`` pool: day by day over the daily rows,
    month by month past them. Where no class has a mean, the highest class headroom, as the
    triggers use."""
    policies = inputs.plan.policy
    if not policies:
        return {}
    column = _trigger_quantile(inputs)
    highest = max(p.headroom for p in policies.values())
    means = pl.col("measure") == Measure.MEAN.value
    daily = inputs.forecast.lazy().filter(means).select("unique_id", "ds", mean=pl.col(column))
    last_daily = inputs.forecast["ds"].max()
    monthly = (
        inputs.forecast_months.lazy().filter(means).select("unique_id", "ds", mean=pl.col(column))
    )
    if isinstance(last_daily, date):
        # The month the daily rows end in holds from the next day, as the triggers read it.
        monthly = monthly.filter(pl.col("ds").dt.month_end() > last_daily).with_columns(
            pl.max_horizontal("ds", pl.lit(last_daily + timedelta(days=1)))
        )
    steps = (
        pl.concat([daily, monthly])
        .filter(hierarchy.depth() == 2)
        .select("ds", "mean", region=hierarchy.level(1), workload_class=hierarchy.level(2))
        .group_by("region", "ds")
        .agg(headroom=blended_headroom(inputs.plan, weight=pl.col("mean")).fill_null(highest))
        .sort("region", "ds")
        .collect()
    )
    ids = inputs.forecast["unique_id"].unique().to_list()
    regions = {levels[0] for levels in map(hierarchy.levels_of, ids) if levels}
    out = {
        str(region): part.select("ds", "headroom") for (region,), part in steps.group_by("region")
    }
    fallback = pl.DataFrame(
        {"ds": [last_daily or date.min], "headroom": [highest]},
        schema={"ds": pl.Date, "headroom": pl.Float64},
    )
    return {region: out.get(region, fallback) for region in regions}


def drill_absorb_text(row: dict[str, Any]) -> str:
    """Time to absorb as measured, or censored: never the window shown as a measurement; on a
    drill not verified, said to be of what was played ("0 h" read as the drill's answer)."""
    text = _absorbed_text(row)
    notes = str(row.get("drill_notes") or "").split("; ")
    counted = absorb_from_text(notes, row.get("shock_start"), row.get("time_to_absorb_hours"))
    if text != MISSING and counted:  # counted from its target's first demand in the shock
        head, see, _ = text.partition("; see the notes")
        text = head + counted + see
    # A loss lasting past the window says what part was judged itself (RunDrill.absorb_text).
    lasting = bool(row.get("loss_lasts_past_window")) and not row["absorb_censored"]
    if row.get("verdict") == NOT_VERIFIED and text != MISSING and not lasting:
        return unverified_absorb_text(text)
    return text


def drill_absorb_cost_text(row: dict[str, Any]) -> str | None:
    """A drill's response-ladder spend as :func:`~forecasting.schema.absorb_cost_text` says it
    (a lower bound where censored, not a cost of absorbing where the shock ended it)."""
    return absorb_cost_text(
        row["absorb_cost_usd"],
        censored=bool(row["absorb_censored"]),
        shock_end_hours=row["short_until_shock_end_hours"],
        usd=fmt_usd,
        unjudged=_absorbed_text(row) == UNJUDGED_ABSORB,
        unverified=row.get("verdict") == NOT_VERIFIED,
    )


def _verdict_cell(row: dict[str, Any]) -> Cell:
    """The verdict badge; a drill not verified or borderline says why under it."""
    badge = Badge(row["verdict"]) if row["verdict"] else verdict(row["passed"])
    if row.get("verdict") == BORDERLINE and row.get("unverified"):
        # The verdict and its interval on one line; what would settle it is in the notes
        # (:func:`_drill_notes`): the whole reason ran to nine lines at 160 columns.
        return (badge, f" {borderline_short(str(row['unverified']))[0]}")
    if row.get("verdict") in (NOT_VERIFIED, BORDERLINE) and row.get("unverified"):
        return Stacked(badge, str(row["unverified"]))
    return badge


def _absorbed_text(row: dict[str, Any]) -> str:
    if row["absorb_censored"]:
        if row.get("verdict") in (PASS, NOT_VERIFIED):  # "pass" beside "not absorbed" clashed
            return censored_absorb_text(row["window_hours"], passed=True) + " (censored)"
        days = (row["window_hours"] or 0) / 24
        return f"> {days:,.0f} d: not absorbed within the drill window (censored)"
    if row.get("short_until_shock_end_hours") is not None:
        return short_until_shock_end_text(row["short_until_shock_end_hours"])
    hours = row["time_to_absorb_hours"]
    if hours is None:
        # Not censored and not measured: the unshocked plan failed in every hour judged.
        unjudged = row.get("verdict") == FAILS_UNSHOCKED
        return UNJUDGED_ABSORB if unjudged else MISSING
    text = f"{hours:,.0f} h ({hours / 24:,.1f} d)" if hours >= 24 else f"{hours:,.0f} h"
    if row.get("loss_lasts_past_window"):
        text = lasting_loss_absorb_text(hours, row["window_hours"])
    if row.get("verdict") == FAILS_UNSHOCKED:
        # Hours in which the plan fails without the shock cannot show it absorbed.
        text += f"{PARTLY_JUDGED}; see the notes"
    return text


def _breaks(row: dict[str, Any]) -> str:
    """The breaking multiplier; else where it lies (below or above the range searched), or
    that it was not searched."""
    if row.get("breaking_text"):  # a ramp cut short reads the level it reached too
        return str(row["breaking_text"])
    if row["breaking_multiplier"] is not None:
        return fmt_multiplier(row["breaking_multiplier"])
    return row["breaking_note"] or "not searched"


def _to_pass(row: dict[str, Any]) -> str:
    """Blocks that were verified to make the drill pass; nothing unverified is offered."""
    if row["passed"]:
        return MISSING
    if row["blocks_pass"] and row["blocks_needed"]:
        # Blocks for a region whose demand is the contract book's alone say so.
        book = book_only_noted((row.get("drill_notes") or "").split("; "))
        needed = "; ".join(book_labelled(row["blocks_needed"].split("; "), book))
        return f"{needed} ({fmt_usd(row['capex_needed_usd'])}, verified)"
    if row["blocks_note"]:
        return row["blocks_note"]
    if row["blocks_pass"] is None:
        return "not searched"
    return "no set within the search verified to pass"


def _book_only_cells(row: dict[str, Any]) -> tuple[str, str]:
    """A drill row's target and the groups it fails in unshocked, each region whose demand
    the drill played is the contract book's alone labelled (its notes say which): only the
    page's banner said so, and the row read as forecast demand drilled."""
    book = book_only_noted((row["drill_notes"] or "").split("; "))
    target = "; ".join([row["target"], *(f"{r}: {BOOK_ONLY_LABEL}" for r in book)])
    groups = row["unshocked_failures"]
    # Each group with its paths short, and why its trigger can be green beside it.
    notes = (row["drill_notes"] or "").split("; ")
    labelled = book_labelled(groups.split("; "), book) if groups else []
    failures = unshocked_cell(labelled, notes) if groups else MISSING
    return target, failures


def customer_regions(history: pl.DataFrame) -> dict[str, str]:
    """Customer -> where it weighs most: its largest share of a region's demand (every class
    of the region) on the region's last history day, as ``55.0% of eu-west's demand on
    2026-12-04``. Capacity is bought per region: a 2x of a customer at a modest fleet share
    is a regional event where it holds most of one region."""
    from forecasting.concentration import customer_region_shares

    shares = customer_region_shares(history).sort(
        ["customer", "share", "region"], descending=[False, True, False]
    )
    return {
        str(
            r["customer"]
        ): f"{fmt_pct(r['share'])} of {r['region']}'s demand on {fmt_date(r['ds'])}"
        for r in shares.unique("customer", keep="first", maintain_order=True).iter_rows(named=True)
    }


def _drill_notes(row: dict[str, Any]) -> str:
    """A drill's notes; a borderline one's open with what its verdict cell leaves out (the
    verdicts its paths allow, the paths that would settle it)."""
    notes = str(row["drill_notes"] or "")
    if row.get("verdict") != BORDERLINE or not row.get("unverified"):
        return notes
    rest = borderline_short(str(row["unverified"]))[1]
    return "; ".join(filter(None, (rest, notes)))


def _answers_table(answers: pl.DataFrame, *, regions: Mapping[str, str] | None = None) -> Table:
    """The drills' answers; a drill of one customer (``regions``, from
    :func:`customer_regions`) says where that customer weighs most: the top-customer drill
    named the fleet's largest customer and left unsaid which region its 2x lands in."""
    rows: list[list[Cell]] = []
    for r in answers.iter_rows(named=True):
        target, failures = _book_only_cells(r)
        customer = str(r["target"]).removeprefix("customer:")
        if regions and str(r["target"]).startswith("customer:") and customer in regions:
            target = f"{target} ({regions[customer]}, its largest regional share)"
        rows.append(
            [
                r["drill"],
                r["description"],
                target,
                fmt_date(r["shock_start"]),
                _verdict_cell(r),
                failures,
                drill_absorb_text(r),
                drill_absorb_cost_text(r) or MISSING,
                MISSING if r["failover_share"] is None else f"{r['failover_share']:.0%}",
                _breaks(r),
                _to_pass(r),
                _drill_notes(r),
            ]
        )
    headers = [
        "drill",
        "shock",
        "target",
        "starts",
        "verdict",
        "fails unshocked in",
        "time to absorb (P90 of paths)",
        "cost of absorbing",
        "failed over",
        "breaks at",
        "would pass with",
        "notes",
    ]
    return Table.of(
        headers,
        rows,
        wrap=(1, 6, 7, 9),
        detail=(5, 10, 11),
        empty="no drills in this run",
    )


# Blocks a drill row names, the busiest first: the rest are in drills.csv.
_BUSIEST = 3


def _blocks_short(ids: Sequence[str]) -> str:
    """Block ids, short: a pool of 34 racks reads by its first and last block and its count."""
    if len(ids) <= _BUSIEST:
        return ", ".join(ids)
    return f"{ids[0]} … {ids[-1]} ({len(ids)} blocks of one pool)"


def saturated_first_text(names: str | None, *, unshocked: str | None = None) -> str:
    """The blocks of the pool that ran full first (``"; "``-joined), short, and how that
    compares with the plan unshocked (``unshocked``, the same for the baseline; None where no
    baseline was played): a pool that runs full first anyway is the plan's bottleneck, not
    the shock's."""
    ids = [n for n in (names or "").split("; ") if n]
    if unshocked is None:
        return _blocks_short(ids) if ids else "no pool ran full"
    before = [n for n in unshocked.split("; ") if n]
    if not ids:
        return (
            "no pool ran full, with or without the shock"
            if not before
            else (f"no pool ran full (unshocked: {_blocks_short(before)} did)")
        )
    if ids == before:
        return f"{_blocks_short(ids)} (first unshocked too)"
    if not before:
        return f"{_blocks_short(ids)} (unshocked, no pool ran full)"
    return f"{_blocks_short(ids)} (unshocked: {_blocks_short(before)} first)"


def busiest_blocks_text(blocks: pl.DataFrame) -> str:
    """A drill's most used blocks (mean utilisation over paths in the drill window)."""
    top = blocks.filter(pl.col("in_service_gpu_hours") > 0).sort(
        "utilisation_mean", "block_id", descending=[True, False]
    )
    return ", ".join(
        f"{r['block_id']} {r['utilisation_mean']:.0%}"
        for r in top.head(_BUSIEST).iter_rows(named=True)
    )


def _blocks_table(answers: pl.DataFrame, blocks: pl.DataFrame) -> Table:
    """Per drill: the block that ran full first, the busiest blocks and the GPU-hours left
    idle while demand in their region waited (stranded), as DOMAIN asks of a drill: stored
    for every drill, they were on no page."""
    rows: list[list[Cell]] = []
    for r in answers.sort("drill").iter_rows(named=True):
        mine = blocks.filter(pl.col("drill") == r["drill"])
        # A block dedicated to a customer with no telemetry has no stranded figure (None):
        # out of the total and the "most on", and named as not measured.
        measured = mine.filter(pl.col("stranded_gpu_hours_mean").is_not_null())
        unmeasured = mine.filter(pl.col("stranded_gpu_hours_mean").is_null()).get_column("block_id")
        stranded = measured.sort("stranded_gpu_hours_mean", "block_id", descending=[True, False])
        most = stranded.head(1).to_dicts()
        where = (
            f"most on {most[0]['block_id']} ({fmt_gpu_hours(most[0]['stranded_gpu_hours_mean'])})"
            if most and most[0]["stranded_gpu_hours_mean"] >= 0.5  # under a GPU-hour reads "0"
            else MISSING
        )
        if unmeasured.len():
            where += (
                f"; not measured on {fmt_listed(sorted(unmeasured.to_list()))} (dedicated to "
                "customers with no telemetry: in no total)"
            )
        rows.append(
            [
                r["drill"],
                saturated_first_text(
                    r.get("first_to_saturate"), unshocked=r.get("baseline_first_to_saturate")
                ),
                busiest_blocks_text(mine) or MISSING,
                fmt_gpu_hours(float(measured["stranded_gpu_hours_mean"].sum()))
                if measured.height
                else MISSING,
                where,
            ]
        )
    return Table.of(
        [
            "drill",
            "first to run full",
            f"busiest blocks (utilisation, top {_BUSIEST})",
            "stranded GPU-h",
            "stranded",
        ],
        rows,
        numeric=(3,),
        wrap=(1, 2),
        empty="no drill on this forecast run",
    )


def _not_played_table(not_played: pl.DataFrame) -> Table:
    """The drills this forecast run could not play and why (the page shows it only with rows)."""
    rows: list[list[Cell]] = [[r["drill"], r["reason"]] for r in not_played.iter_rows(named=True)]
    return Table.of(["drill not played", "why"], rows, wrap=(1,), empty="every drill was played")


def unverified_drills(answers: pl.DataFrame) -> list[str]:
    """The drills whose verdict is "not verified" (they held on less than they are named for)."""
    return answers.filter(pl.col("verdict").eq_missing(pl.lit(NOT_VERIFIED)))["drill"].to_list()


def _verdicts_table(
    verdicts: pl.DataFrame,
    *,
    unverified: Sequence[str] = (),
    borderline: Mapping[str, set[str]] | None = None,
) -> Table:
    """Each drill's SLO verdict per class; a class that held in a drill "not verified" reads
    "not verified", never "pass" (all five classes read "pass 100 %" on a ramp cut at 1.17x),
    a class with no demand in the drill window "no demand" (it read "pass 100.0% of 90%"
    on a fleet with no training row, forecast or pod), and a class within its paths' sampling
    error of the 90 % of paths the verdict asks (``borderline``: drill -> classes) "borderline"
    (its pass or fail moved with ``--paths``)."""
    borderline = borderline or {}
    classes = sorted(verdicts["workload_class"].unique().to_list(), key=class_key)
    rows = []
    for (drill,), part in verdicts.group_by("drill", maintain_order=True):
        by_class = {r["workload_class"]: r for r in part.iter_rows(named=True)}
        cells: list[Cell] = [str(drill)]
        held = Badge(NOT_VERIFIED) if drill in unverified else verdict(True)
        for cls in classes:
            r = by_class.get(cls)
            if r and r.get("has_demand") is False:
                cells.append(Stacked(Badge(NO_DEMAND), "nothing to serve in the drill window"))
                continue
            unsettled = cls in borderline.get(str(drill), set())
            cells.append(
                Stacked(
                    Badge(BORDERLINE)
                    if unsettled
                    else held
                    if r["passed"]
                    else verdict(r["passed"]),
                    f"{fmt_pct(r['attainment_p90_paths'])} of {fmt_pct(r['slo_target'], digits=0)}",
                )
                if r
                else MISSING
            )
        rows.append(cells)
    return Table.of(["drill", *classes], rows, empty="no drill verdicts")


_KPI_LABELS = {
    "unmet_gpu_hours": "unmet demand",
    "peak_backlog_gpu_hours": "peak backlog",
    "queue_delay_hours": "queue delay",
    "time_to_absorb_hours": "time to absorb",
    "preempted_gpu_hours": "preempted",
    "revenue_at_risk_usd": "revenue at risk",
    "slo_attainment": "SLO attainment",
    "absorb_censored": "paths not absorbed within the drill window",
    "absorb_ended_with_shock": "paths short until the shock ended (not absorbed by the response)",
    "absorb_unjudged": "paths the plan fails unshocked in every hour (time to absorb not judged)",
    "overdue_queue_gpu_hour_area": "waiting past max wait (GPU-hours of waiting)",
    # The kernel's names read raw on the page ("dark demand gpu hours"): said as a reader would.
    "demand_gpu_hours": "demand",
    "served_gpu_hours": "served",
    "lost_gpu_hours": "lost in its hour (interactive)",
    "late_work_gpu_hours": "work served late (all of it, not only unmet)",
    "waiting_at_end_gpu_hours": "still waiting at the window's end",
    "unserved_at_end_gpu_hours": "unserved at the window's end",
    "dark_demand_gpu_hours": "demand in a dark region",
    "failed_over_gpu_hours": "served in other regions (failover)",
    "deferred_unmet_gpu_hours": "unmet of deferrable work",
    "hold_hours": "hours the headroom held",
}


def fmt_kpi(kpi: str, value: float | None) -> str:
    """A drill KPI in its unit, read from the KPI's name."""
    if kpi.endswith("_usd"):
        return fmt_usd(value)
    if kpi.endswith("gpu_hours") or kpi.endswith("gpu_hour_area"):
        return fmt_gpu_hours(value)
    if kpi.endswith("_hours"):
        return fmt_hours(value)
    # absorb_censored is the share of paths whose shock was not absorbed within the drill window.
    # absorb_ended_with_shock is the share of paths short until their shock ended, and
    # absorb_unjudged of those the plan fails unshocked in every hour.
    if (
        kpi.endswith(("_share", "attainment", "_censored", "_with_shock", "_unjudged"))
        or "utilisation" in kpi
    ):
        return fmt_pct(value)
    if kpi.endswith("_gpus"):
        return fmt_gpus(value)
    return MISSING if value is None else f"{value:,.2f}"


# KPIs stored empty where no value was measured: a time to absorb or a queue delay that a
# path never ended within the window. The page printed "–" where the terminal printed
# "censored" for the same drill.
_UNMEASURED_KPIS = ("time_to_absorb_hours", "queue_delay_hours")


def _unmeasured(cell: dict[tuple[str, str], dict[str, Any]], cls: str) -> str:
    """Why a class's time to absorb or queue delay has no value: paths censored at the
    window's end, paths short until their shock ended, paths the plan fails unshocked in every
    hour (judged on none), or several (``censored`` by default)."""
    reasons = {
        "absorb_censored": "censored",
        "absorb_ended_with_shock": "shock ended",
        "absorb_unjudged": UNJUDGED_KPI,
    }
    found = [w for k, w in reasons.items() if ((cell.get((k, cls)) or {}).get("mean") or 0) > 0]
    return " or ".join(found) or "censored"


def _no_demand(verdicts: pl.DataFrame) -> set[tuple[str, str]]:
    """(drill, class) pairs with no demand in the drill's window (``has_demand`` false; null,
    on runs stored before it, is not known to be empty)."""
    empty = verdicts.filter(pl.col("has_demand").eq_missing(pl.lit(False)))
    return set(empty.select("drill", "workload_class").iter_rows())


def _kpi_value(kpi: str, value: float | None, why: str | None) -> str:
    """A KPI's value, or why it has none: NaN (stored before it was stored empty) is a time
    judged on no path, the plan failing unshocked in every hour."""
    if why is not None and value is None:
        return why
    if why is not None and math.isnan(value):  # type: ignore[arg-type]
        return UNJUDGED_KPI
    return fmt_kpi(kpi, value)


def _mean_over_p90(kpi: str, mean: float | None, p90: float | None, why: str | None) -> Stacked:
    """A KPI's mean over paths above its P90, the path at the 90th percentile. Where a tenth
    of paths or fewer are hit, the P90 is below the mean those few carry ("66 GPU-h" over "P90
    0 GPU-h" read as if even the bad paths had none); a mean censored beside a finite P90 has
    a tenth of paths or fewer censored. Both cells say so."""
    mean_text, p90_text = _kpi_value(kpi, mean, why), _kpi_value(kpi, p90, why)
    p90_measured = p90 is not None and not math.isnan(p90)
    if why is not None and mean is None and p90_measured:
        mean_text = f"{why} on a tenth of paths or fewer"
    elif kpi not in BETTER_HIGHER and mean is not None and p90_text != fmt_kpi(kpi, mean):
        p90_text += below_mean(p90, mean)
    return Stacked(mean_text, f"P90 {p90_text}")


def _kpi_tables(
    kpis: pl.DataFrame,
    *,
    unverified: Collection[str] = (),
    no_demand: Collection[tuple[str, str]] = (),
) -> list[tuple[str, Table]]:
    """One (drill, table) per drill: KPIs down, classes across, mean over P90; a drill of
    ``unverified`` (its verdict "not verified") reads so in place of its figures, and a class
    with no demand in a drill's window (``no_demand``: (drill, class), as the SLO table reads
    it) "no demand" in place of its: on an inference-only fleet training read "100.0%" SLO
    attainment and "0.0 h" to absorb here, under the SLO table's "no demand"."""
    tables = []
    for (drill,), part in kpis.group_by("drill", maintain_order=True):
        classes = sorted(part["workload_class"].unique().to_list(), key=class_key)
        names = sorted(part["kpi"].unique().to_list(), key=_kpi_order)
        cell = {(r["kpi"], r["workload_class"]): r for r in part.iter_rows(named=True)}
        rows = []
        for kpi in names:
            row: list[Cell] = [_KPI_LABELS.get(kpi, kpi.replace("_", " "))]
            for cls in classes:
                r = cell.get((kpi, cls))
                if r is None:
                    row.append(MISSING)
                    continue
                if drill in unverified:  # the drill table says why
                    row.append(NOT_VERIFIED)
                    continue
                if (drill, cls) in no_demand:
                    row.append(NO_DEMAND)
                    continue
                why = _unmeasured(cell, cls) if kpi in _UNMEASURED_KPIS else None
                row.append(_mean_over_p90(kpi, r["mean"], r["p90"], why))
            rows.append(row)
        headers = ["KPI (mean, P90)", *("all classes" if c == ALL_CLASSES else c for c in classes)]
        table = Table.of(headers, rows, numeric=range(1, len(headers)), empty="no KPIs")
        tables.append((str(drill), table))
    return tables


def _backlog_charts(inputs: ReportInputs) -> list[Chart]:
    failing = inputs.drill_answers.filter(~pl.col("passed").fill_null(False))["drill"].to_list()
    failing += inputs.drill_verdicts.filter(~pl.col("passed").fill_null(False))["drill"].to_list()
    seen = list(dict.fromkeys(failing))
    starts = dict(
        zip(inputs.drill_answers["drill"], inputs.drill_answers["shock_start"], strict=True)
    )
    charts = [
        backlog_chart(
            inputs.drill_curves,
            drill=d,
            key=f"backlog-{i}",
            variants=inputs.drill_variant_curves,
            rungs=inputs.drill_rungs,
            shock_start=starts.get(d),
        )
        for i, d in enumerate(seen)
    ]
    return [c for c in charts if c]


def _kpi_order(kpi: str) -> tuple[bool, int, str]:
    known = list(_KPI_LABELS)
    return (kpi not in known, known.index(kpi) if kpi in known else 0, kpi)


# KPIs of absorbing the shock: the unshocked plan has nothing to absorb, so its column (and
# an increment over it) would read a policy-recovery time as a baseline of the shock's.
_SHOCK_ONLY = frozenset(
    {"time_to_absorb_hours", "absorb_censored", "absorb_ended_with_shock", "absorb_unjudged"}
)


def _unverified_table(part: pl.DataFrame, headers: Sequence[str]) -> Table:
    """A drill's KPI rows (``part``) with "not verified" in place of every figure: held on
    less than it is named for (no demand to double, a shock the horizon cut short), its
    "100.0%" and "$0" read as measured; the drill table says why."""
    names = sorted(part["kpi"].unique().to_list(), key=_kpi_order)
    rows: list[list[Cell]] = [
        [_KPI_LABELS.get(k, k.replace("_", " ")), *[NOT_VERIFIED] * (len(headers) - 1)]
        for k in names
    ]
    return Table.of(headers, rows, numeric=range(1, len(headers)), empty="no KPIs")


def _change_tables(
    changes: pl.DataFrame,
    *,
    cut_short: Mapping[str, str] | None = None,
    unverified: Collection[str] = (),
) -> list[tuple[str, Table]]:
    """One (drill, table) per drill: fleet-wide KPIs without the shock, with it, the increment.

    The revenue at risk of a drill the horizon cut short (``cut_short``: drill -> why, from
    :func:`revenue_cut_short`) reads "not verified" with why, as on the finance page: the
    platform page read "$9.1M | $165.9M | +$156.8M" for 4,368 h of a 9,600 h spike. A drill of
    ``unverified`` (its verdict "not verified") reads so in place of every figure."""
    cut_short = cut_short or {}
    tables = []
    fleet = changes.filter(pl.col("workload_class") == ALL_CLASSES)
    headers = ["KPI, all classes (mean, P90)", "baseline (unshocked)", "shocked", "increment"]
    for (drill,), part in fleet.group_by("drill", maintain_order=True):
        if drill in unverified:
            tables.append((str(drill), _unverified_table(part, headers)))
            continue
        # Per side, why a time has no value, in the KPI tables' words (a dash read as if
        # nothing had been measured where the terminal said "censored").
        sides = {
            side: {(r["kpi"], ALL_CLASSES): {"mean": r[f"{side}_mean"]} for r in part.to_dicts()}
            for side in ("baseline", "shocked")
        }
        value = partial(_side_value, sides=sides)
        why = cut_short.get(str(drill))
        rows = [
            [
                _KPI_LABELS.get(r["kpi"], r["kpi"].replace("_", " ")),
                Stacked(Badge(NOT_VERIFIED), why),
                MISSING,
                MISSING,
            ]
            if why is not None and r["kpi"] == "revenue_at_risk_usd"
            else [
                _KPI_LABELS.get(r["kpi"], r["kpi"].replace("_", " ")),
                MISSING if r["kpi"] in _SHOCK_ONLY else value(r, "baseline"),
                value(r, "shocked"),
                MISSING if r["kpi"] in _SHOCK_ONLY else _signed(r["kpi"], r["increment_mean"]),
            ]
            for r in sorted(part.iter_rows(named=True), key=lambda r: _kpi_order(r["kpi"]))
        ]
        tables.append((str(drill), Table.of(headers, rows, numeric=(1, 2, 3), empty="no KPIs")))
    return tables


def _side_value(
    r: dict[str, Any], side: str, *, sides: dict[str, dict[tuple[str, str], Any]]
) -> Stacked:
    """A change row's ``side`` (baseline or shocked), mean over P90, or why a time has none on
    that side (its absorb rows in ``sides``, keyed as :func:`_unmeasured` reads)."""
    why = _unmeasured(sides[side], ALL_CLASSES) if r["kpi"] in _UNMEASURED_KPIS else None
    return _mean_over_p90(r["kpi"], r[f"{side}_mean"], r[f"{side}_p90"], why)


def _signed(kpi: str, value: float | None) -> str:
    """An increment with its sign, in the KPI's unit (none on what shows as zero)."""
    text = fmt_kpi(kpi, value)
    return f"+{text}" if value is not None and value > 0 and text != fmt_kpi(kpi, 0.0) else text


def _rung_tables(
    rungs: pl.DataFrame, *, book_only: Mapping[str, Sequence[str]] | None = None
) -> list[tuple[str, Table]]:
    """One (drill, table) per drill: each rung of the response ladder, when it could act, how
    much and when it was used, and what it cost. A region of the drill's ``book_only`` (drill
    -> regions whose demand is the contract book's alone) is labelled."""
    tables = []
    for (drill,), part in rungs.group_by("drill", maintain_order=True):
        book = (book_only or {}).get(str(drill), ())
        rows = [
            [
                r["rung"],
                "all regions"
                if r["region"] == ALL_CLASSES
                else f"{r['region']}: {BOOK_ONLY_LABEL}"
                if r["region"] in book
                else r["region"],
                fmt_hours(r["available_after_hours"]),
                fmt_gpus(r["cap_gpus"]),
                Stacked(fmt_gpus(r["used_mean"]), r["used_unit"]),
                fmt_pct(r["used_share"], digits=0),
                MISSING
                if r["first_used_hour_p50"] is None
                else f"+{fmt_hours(r['first_used_hour_p50'])}",
                fmt_usd(r["cost_usd_mean"]),
                fmt_usd(r["standing_cost_usd"]) if r["standing_cost_usd"] else MISSING,
            ]
            for r in part.iter_rows(named=True)
        ]
        headers = [
            "rung",
            "region",
            "acts after",
            "cap (GPUs)",
            "used (mean)",
            "paths using it",
            "first used (P50)",
            "cost of use",
            "standing cost",
        ]
        tables.append(
            (str(drill), Table.of(headers, rows, numeric=range(2, 9), wrap=(4,), empty="no rungs"))
        )
    return tables


def _no_scores_why(chosen: pl.DataFrame) -> str:
    """Why the accuracy table is empty: a 21-day fleet read "No data: no backtest scores."
    and nothing more, where every series was a fallback for want of history (the reason most
    of them give is quoted)."""
    fell = chosen.filter(pl.col("fallback").is_not_null())
    if fell.is_empty():
        return "no backtest scores"
    reason = fell["fallback"].mode().sort()[0]
    # Series as the run summary counts them ("116 series"), either measure a fallback.
    series, fallen = chosen["unique_id"].n_unique(), fell["unique_id"].n_unique()
    which = f"all {series:,} series" if fallen == series else f"{fallen:,} of the {series:,} series"
    return f"no backtest scores: {which} forecast by a fallback, chosen by no backtest ({reason})"


def _accuracy_table(backtest: pl.DataFrame, chosen: pl.DataFrame) -> Table:
    """MASE of the chosen model against the seasonal naive, per level and measure."""
    headers = [
        "level",
        "measure",
        "series",
        "median MASE, chosen",
        "median MASE, seasonal naive",
        "series where chosen beats naive",
        "models chosen",
    ]
    if backtest.is_empty() or chosen.is_empty():
        return Table.of(headers, [], empty=_no_scores_why(chosen))
    scores = backtest.group_by("unique_id", "measure", "model").agg(pl.col("mase").mean())
    picked = chosen.join(scores, on=["unique_id", "measure", "model"], how="left")
    naive = scores.filter(pl.col("model") == "seasonal_naive").select(
        "unique_id", "measure", pl.col("mase").alias("naive")
    )
    per_series = picked.join(naive, on=["unique_id", "measure"], how="left").with_columns(
        rank=hierarchy.depth().clip(upper_bound=len(_LEVEL_LABELS) - 1),
        # A fallback was chosen by no backtest; it is named as what it is.
        label=pl.when(pl.col("fallback").is_null())
        .then(pl.col("model"))
        .otherwise(pl.col("model") + pl.lit(" as fallback")),
    )
    summary = (
        per_series.group_by("rank", "measure")
        .agg(
            series=pl.len(),
            chosen=pl.col("mase").median(),
            naive=pl.col("naive").median(),
            beats=(pl.col("mase") < pl.col("naive")).mean(),
            models=pl.col("label").value_counts(sort=True),
        )
        .sort("rank", "measure")
    )
    rows = [
        [
            _LEVEL_LABELS[r["rank"]],
            r["measure"],
            fmt_count(r["series"]),
            MISSING if r["chosen"] is None else f"{r['chosen']:.2f}",
            MISSING if r["naive"] is None else f"{r['naive']:.2f}",
            fmt_pct(r["beats"], digits=0),
            ", ".join(f"{m['label']} ({m['count']})" for m in r["models"]),
        ]
        for r in summary.iter_rows(named=True)
    ]
    return Table.of(headers, rows, numeric=(2, 3, 4, 5), empty="no backtest scores")


def _flagged_table(
    chosen: pl.DataFrame,
    silent: pl.DataFrame | None = None,
    *,
    book: Mapping[str, str] | None = None,
) -> Table:
    """Series forecast by a fallback (too short to backtest, or every candidate failed), series
    whose telemetry stopped before the run's last day, series whose plan past the daily
    days fell back or left blocks out, series whose recent level shift was held as a level
    (forecasting.shifts) or whose isolated spike was held at its usual level
    (forecasting.spikes), customers whose feed looks broken
    (:func:`forecasting.demand.silent_customers`), and classes and customers only the
    contract book holds (``book``: unique_id to its label, inputs.book_only_levels_of), each
    with the reason."""
    stale = pl.col("stale_days").fill_null(0) >= STALE_WARN_DAYS
    chosen = chosen.with_columns(
        pl.lit(None, pl.String).alias(c)
        for c in ("level_shift", "spike")
        if c not in chosen.columns
    )
    flagged = chosen.filter(
        pl.col("fallback").is_not_null()
        | stale
        | pl.col("plan_reason").is_not_null()
        | pl.col("level_shift").is_not_null()
        | pl.col("spike").is_not_null()
    ).sort("unique_id", "measure")
    # A customer whose feed stopped and whose forecast is held at zero for it: one fact, said
    # once on its feed's row (a "stopped: ... held at zero" row beside it read as a second).
    held = held_silent_ids(chosen, silent)
    rows = []
    for r in flagged.iter_rows(named=True):
        why = [r["fallback"]] if r["fallback"] else []
        if r["level_shift"] and r["unique_id"] not in held:
            why.append(r["level_shift"])
        if r["spike"]:
            why.append(r["spike"])
        if (r["stale_days"] or 0) >= STALE_WARN_DAYS:
            why.append(
                f"no telemetry in its last {r['stale_days']} days: {STALE_FIT}; check the feed"
            )
        model = r["model"]
        if r["plan_reason"] and r["plan_model"] is None:
            why.append(r["plan_reason"])
            model = f"{model}, then nothing"
        elif r["plan_reason"]:
            why.append(f"past the daily days, {r['plan_model']}: {r['plan_reason']}")
            model = f"{model}, then {r['plan_model']}"
        if why:
            rows.append([hierarchy.label_of(r["unique_id"]), r["measure"], model, "; ".join(why)])
    models = dict(
        chosen.filter(pl.col("measure") == "mean").select("unique_id", "model").iter_rows()
    )
    for region, cls, customer, last, days, cover, share, hours in (
        silent.iter_rows() if silent is not None and not silent.is_empty() else ()
    ):
        uid = hierarchy.id_of(region, cls, customer)
        rows.append([
            hierarchy.label_of(uid),
            "mean",
            models.get(uid, f"within {cls}'s other customers"),
            f"no telemetry rows since {last:%Y-%m-%d %H:00} UTC, {days_count(days)} before "
            f"{region}'s last, though it wrote a row in {cover:.0%} of {region}'s {hours:,} "
            f"hours before (zeros included) with {share:.0%} of its demand: its days since read "
            "as zero demand and "
            + (
                "its forecast is held at zero, as for a customer that left, until its "
                "telemetry returns"
                if uid in held
                else "its forecast follows them"
            )
            + "; if its feed broke, backfill it",
        ])  # fmt: skip
    # A level only the book holds has no model: its q90 of 0 beside a mean of p x its GPUs
    # (a deal at p < 0.1) read as a forecast's, with nothing saying why.
    for uid, words in (book or {}).items():
        rows.append([hierarchy.label_of(uid), "mean and peak", "the contract book", words])
    headers = ["series (region · class · customer)", "measure", "forecast by", "why"]
    return Table.of(
        headers,
        rows,
        wrap=(3,),
        empty=(
            "Every series was backtested, has recent telemetry and a fitted growth model past "
            "the daily days"
        ),
    )


def _decision_table(accuracy: pl.DataFrame, *, daily_only: str = "") -> Table:
    """Out-of-sample accuracy of the daily peak 26 weeks ahead, the horizon orders act on, and
    52 weeks ahead where the history reached (the triggers size an order for the 52 weeks
    after its shortfall, and the pages count those weeks as measured: a failed 52-week row
    stored and never shown read as a forecast verified a year out). ``daily_only``: why the
    run has no monthly rows, as it stored it (its empty table guessed "too little history
    (or a daily-only run)")."""

    def ratio(value: float | None, base: float | None) -> str:
        return MISSING if value is None or not base else f"{value / base:.2f}x"

    rows = [
        [
            r["unique_id"],
            fmt_date(r["cutoff"]),
            f"{r['horizon_days'] // 7} weeks",
            r["model"],
            ratio(r["mae"], r["mae_seasonal_naive"]),
            ratio(r["mae"], r["mae_log_linear"]),
            fmt_pct(r["coverage_80"], digits=0),
            fmt_pct(r["exceed_q90"], digits=0),
            MISSING if r["bias"] is None else f"{r['bias']:+.1%}",
            targets_verdict(r) or MISSING,
        ]
        for r in accuracy.filter(pl.col("mae").is_not_null())
        # Regions before their classes: the rows the triggers' "all" pools read first.
        .sort(
            pl.col("horizon_days"),
            pl.col("cutoff"),
            pl.col("unique_id").str.count_matches(hierarchy.SEP, literal=True),
            pl.col("unique_id"),
            descending=[False, True, False, False],
        )
        .iter_rows(named=True)
    ]
    headers = [
        "series",
        "cut-off",
        "ahead",
        "growth model",
        "MAE / seasonal naive",
        "MAE / log-linear trend",
        "q10-q90 coverage",
        "days above q90",
        "q50 bias",
        "26-week targets",
    ]
    return Table.of(
        headers,
        rows,
        numeric=(4, 5, 6, 7, 8),
        empty=(
            f"not backtested: {daily_only}"
            if daily_only
            else "too little history for a 26-week backtest"
        ),
    )


def _fan_intro(inputs: ReportInputs) -> str:
    """What the demand charts draw, and where the triggers read the same demand differently."""
    text = (
        f"Daily peak-hour demand ({Measure.PEAK.value} measure): history, forecast median and "
        "the q10–q90 band, against GPUs in service that the class may use. Classes share "
        "blocks, so per-class capacities overlap. The dotted line is the usable capacity, the "
        "class's headroom kept free; for all classes, the class headrooms weighted by the "
        "forecast class mix at the trigger quantile, as the triggers weigh them."
    )
    differ = []
    if inputs.plan.gpu_type:
        differ.append("count capacity and demand in H100-equivalents")
    if any(b.dedicated_customer for b in inputs.plan.block):
        differ.append("set dedicated blocks and their customers' demand apart")
    if differ:
        text += (
            f" The triggers (Finance) also {' and '.join(differ)}, so their exhaustion dates can "
            "differ from where these lines cross."
        )
    return text + _means_of_paths_note(inputs.mean_of_paths)


# Series named in the note on means read off their paths; the rest are counted.
_MEANS_OF_PATHS_NAMED = 6


def _means_of_paths_note(spans: pl.DataFrame) -> str:
    """' Mean demand is the model's point forecast except for <series (days, from, to)>, where
    it is the mean of its sample paths ...' for the series whose stored mean is their paths'
    mean (ReportInputs.mean_of_paths), or '': the class means weigh the all-classes usable
    line, and only the forecast's warnings said which means were not the model's."""
    if spans.is_empty():
        return ""
    rows = spans.rows(named=True)  # shallowest level first
    named = ", ".join(
        f"{hierarchy.label_of(r['unique_id'])} ({days_count(r['days'])}, {fmt_date(r['first'])} to "
        f"{fmt_date(r['last'])})"
        for r in rows[:_MEANS_OF_PATHS_NAMED]
    )
    rest = spans.slice(_MEANS_OF_PATHS_NAMED)
    if rest.height:
        # The demo's 26-week run has 106 such series: named all, the note ran to 7,000
        # characters. The rest are counted, with their range of days and dates.
        fewest, most = int(rest["days"].min()), int(rest["days"].max())  # type: ignore[arg-type]
        days = f"{fewest:,}" if fewest == most else f"{fewest:,}–{most:,}"
        named += (
            f" and {rest.height:,} more series ({days} days each, within "
            f"{fmt_date(rest['first'].min())} to {fmt_date(rest['last'].max())})"  # type: ignore[arg-type]
        )
    return (
        f" Mean demand is the model's point forecast except for {named}, where it is the mean "
        "of its sample paths: there the point forecast lay outside the q10–q90 band read off "
        "the same paths. The class means weigh the all-classes usable line."
    )


def _drills_intro(inputs: ReportInputs) -> str | None:
    """How a drill plays its hours; the sentences for drills left out because they were
    played on another plan, and for groups a drill finds short without any shock where the
    triggers are green."""
    parts = []
    if inputs.drill_answers.height:
        parts.append(
            "A drill plays every hour of every sample path: in each region and class, a path's "
            f"day takes the hours of a day of the last {DAY_SHAPE_WEEKS} weeks with the same "
            "weekday and a level near the path's, so its hours scatter as real days did "
            "(README, Shock drills)."
        )
    if inputs.drills_other_plan:
        text = inputs.drills_other_plan
        parts.append(f"Not verified against this plan: {text[0].upper()}{text[1:]}.")
    if inputs.drills_unplayed:
        parts.append(f"Not played: {unplayed_text(inputs)}.")
    failures = inputs.drill_answers.get_column("unshocked_failures").drop_nulls().to_list()
    beside = unshocked_beside_green(
        (group for text in failures for group in text.split("; ")),
        inputs.triggers.iter_rows(named=True),
    )
    if beside:
        parts.append(
            f"Short without any shock, where the triggers are green: {', '.join(beside)}. The "
            f"triggers read the {_trigger_quantile(inputs)} of each day's peak-hour forecast, "
            "day by day; a drill plays "
            "every hour of every path and fails a class in a region that 90 % of paths do not "
            "hold in 90 % of the window's hours. 90 % of paths can hold on every day while more "
            "than a tenth of them are short in more than a tenth of the hours, on different "
            "days, and work already running keeps its GPUs above a day's forecast level. Read "
            "it as risk the triggers do not show yet: on short histories the peak's q90 was "
            "also exceeded on more days than the 10 % it allows (README, Shock drills)."
        )
    return " ".join(parts) or None


# What the P90 under a mean is, where it can read below the mean, and a censored mean.
_P90_LEGEND = (
    "The P90 is the path at the 90th percentile: a tenth of paths are worse (for SLO "
    "attainment, the share of hours 90% of paths reach). Where a tenth of paths or fewer are "
    "hit, the P90 is below the mean, which those few paths carry, and the cell says so; a mean "
    "read censored beside a finite P90 has a tenth of paths or fewer censored."
)


# Where no drill was played on the run: its rungs say nothing of the plan's ladder (a
# plan with spares and burst read "the plan has no response ladder beyond them").
NO_DRILL_PLAYED = "no drill played on this forecast run (fleetcast drill plays them)"


def _kpi_intro(rungs: pl.DataFrame, *, played: bool = True) -> str:
    """The drill KPIs' intro: what their shocked run played beside the drill table's time to
    absorb (it said the response ladder played too on a plan that has none); ``played``:
    whether any drill was played on the run."""
    if not played:
        return f"Each KPI per class with the shock: {NO_DRILL_PLAYED}."
    beside = (
        "the drill table's time to absorb and cost play the response ladder too"
        if ladder_played(rungs)
        else "the plan has no response ladder beyond them: the drill table's time to absorb "
        "is this run's"
    )
    return (
        f"Each KPI per class with the shock, the plan playing preemption and deferral only "
        f"({beside}): the mean over paths and the P90 below. {_P90_LEGEND}"
    )


def platform_page(inputs: ReportInputs) -> str:
    """Demand against capacity, drill verdicts and KPIs, backlog, forecast accuracy."""
    page = Page()
    has_failures = bool(
        inputs.drill_answers.filter(~pl.col("passed").fill_null(False)).height
        or inputs.drill_verdicts.filter(~pl.col("passed").fill_null(False)).height
    )
    has_verdicts = bool(inputs.drill_verdicts.height)
    played = bool(inputs.drill_kpis.height or inputs.drill_answers.height)
    unverified = unverified_drills(inputs.drill_answers)
    return render(
        "platform.html",
        page=page,
        **shell(inputs, file="platform.html", title="Platform: demand, drills and accuracy"),
        changes=changes_view(inputs),
        fan_charts=page.figures(_fan_charts(inputs)),
        # Capacity the plan has that serves nobody: said once, where demand meets capacity.
        unserved=unserved_text(unserved_blocks_of(inputs), as_of=inputs.as_of),
        fan_intro=_fan_intro(inputs),
        n_plus_one=n_plus_one_table(inputs),
        answers=_answers_table(
            inputs.drill_answers,
            regions=customer_regions(inputs.history) if inputs.drill_answers.height else None,
        ),
        not_played=_not_played_table(inputs.drills_not_played),
        drill_blocks=_blocks_table(inputs.drill_answers, inputs.drill_blocks),
        drills_intro=_drills_intro(inputs),
        has_verdicts=has_verdicts,
        slo_chart=(
            page.figure(slo_chart(inputs.drill_verdicts, unverified=unverified))
            if has_verdicts
            else None
        ),
        verdicts=_verdicts_table(
            inputs.drill_verdicts,
            unverified=unverified,
            borderline={
                r["drill"]: borderline_classes(r["unverified"])
                for r in inputs.drill_answers.filter(
                    pl.col("verdict").eq_missing(pl.lit(BORDERLINE))
                ).iter_rows(named=True)
            },
        ),
        kpi_tables=_kpi_tables(
            inputs.drill_kpis, unverified=unverified, no_demand=_no_demand(inputs.drill_verdicts)
        ),
        kpi_intro=_kpi_intro(inputs.drill_rungs, played=played),
        no_rungs="no response ladder in this run" if played else NO_DRILL_PLAYED,
        p90_legend=_P90_LEGEND,
        change_tables=_change_tables(
            inputs.drill_kpi_changes,
            cut_short=revenue_cut_short(inputs.drill_answers),
            unverified=unverified,
        ),
        rung_tables=_rung_tables(
            inputs.drill_rungs,
            book_only={
                str(r["drill"]): book_only_noted((r["drill_notes"] or "").split("; "))
                for r in inputs.drill_answers.iter_rows(named=True)
            },
        ),
        has_failures=has_failures,
        backlog_charts=page.figures(_backlog_charts(inputs)) if has_failures else [],
        accuracy=_accuracy_table(inputs.backtest, inputs.chosen),
        flagged=_flagged_table(
            inputs.chosen, inputs.silent_customers, book=book_only_levels_of(inputs)
        ),
        decision_accuracy=_decision_table(inputs.horizon_accuracy, daily_only=inputs.daily_only),
    )
