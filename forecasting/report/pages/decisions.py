"""The decision-backtest page: "Would we have ordered in time?", for finance and facilities.

One page per stored decision backtest (forecasting.decisions), at
``reports/decisions/<run_id>.html``: the counts as cards, one timeline per region and
pool of what the triggers said on each as-of day against what happened, every replay in a
table, and the rules the verdicts follow. The counts are read from the replays, which hold
every verdict (the run's row has columns only for the verdicts of migration 10).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.offline
import polars as pl

from forecasting.decisions import (
    NEVER_POWERED,
    Verdict,
    censored_at_data_end,
    days_late_text,
    decision_counts,
    idle_not_verified,
    never_powered,
    order_by_text,
    power_wait_days,
    short_history_as_ofs,
    short_history_headline,
    unmet_censored,
    unmet_cut,
)
from forecasting.report.figures import STATUS_COLOURS, Chart
from forecasting.report.format import (
    MISSING,
    fmt_count,
    fmt_date,
    fmt_datetime,
    fmt_day_or_month,
    fmt_gpu_hours,
    fmt_usd,
    plot_text,
)
from forecasting.report.pages.common import PLOTLY_JS, Badge, Page, Table, blocks_text, render
from forecasting.text import days_count

__all__ = ["VERDICT_COLOURS", "decisions_page", "publish_decisions", "timeline_charts"]

VERDICT_COLOURS: dict[str, str] = {
    "in_time": STATUS_COLOURS["green"],
    "not_needed_yet": "#9ccc65",
    "late": STATUS_COLOURS["red"],
    "missed": "#7b1f1f",
    "false_alarm": STATUS_COLOURS["amber"],
    "nothing_ordered": "#8d6e63",
    "not_borne_out": "#c98a2b",
    "no_order_needed": "#607d8b",
    "not_verified": "#b0b7c3",
}
_VERDICT_TEXT = {
    "in_time": "in time",
    "not_needed_yet": "in time, not needed yet",
    "late": "late",
    "missed": "missed",
    "false_alarm": "false alarm",
    "nothing_ordered": "nothing ordered",
    "not_borne_out": "not borne out",
    "no_order_needed": "no order needed",
    "not_verified": "not verified",
}

RULES = (
    "Each replay sees only what was known on its as-of day: telemetry to that day, events "
    "announced by then, contracts signed by then, and the plan as it stood: blocks in service, "
    "and blocks arriving later only if their in-service date less the lead time of the "
    "cheapest candidate of the same kind and GPU type (26 weeks when none) had passed.",
    "What happened: the first day after the as-of day on which the observed daily peak, "
    "less what dedicated blocks take, grossed up by the headroom policy (the triggers' own "
    "rule), exceeded the capacity known on the as-of day. Capacity that people ordered later "
    "is left out of this yardstick (it is what the trigger should have prompted); the 'fleet "
    "ran short' column shows the day the fleet as really built ran short, for context.",
    "An order is placed on its order-by date (on the as-of day when that had passed: the "
    "order-by date then reads 'overdue as of' that day) and is in service a lead time later, "
    "or when its site has the MW for it if that comes later, or, where no site of the plan "
    "has it, when power contracted on the as-of day would let it run (the in-service column "
    "says it waits for power, the note which). "
    "In time: in service on or before the day the known capacity ran short. In time, not "
    "needed yet: in service before it, but the shortfall came 52 weeks or more after the "
    "arrival, so the whole order stood idle over its judged window. Late: in service after "
    "it (days late = the in-service day less that day).",
    "Missed: no exhaustion forecast (green, nothing ordered), although the capacity ran short "
    "within the forecast horizon. Not a late order: there was none, so no days late.",
    "No order needed: no exhaustion forecast, and none within the horizon in the data. It is "
    "judged over the lead time of the cheapest candidate plus the safety buffer after the "
    "as-of day (a shortfall within them needed an order that day); where the data end "
    "sooner it is judged on the days there are, and says 'censored at the data end' in its "
    "note and in the counts.",
    "Nothing ordered: the triggers forecast an exhaustion but had no blocks to order (capacity "
    "already planned covers the need before an order could land, the training-pool order "
    "covers it, or no candidate serves the pool), and the known capacity ran short (the note "
    "says when). With no order there is nothing to be in time, late or idle: no order-by or "
    "in-service date, no days late, no unmet or idle figures.",
    "Not borne out: as nothing ordered, but the known capacity never ran short in the data, "
    "which reaches past the forecast exhaustion date by the safety buffer at least: the red "
    "(or amber) call was wrong, though it called for no capital (not a false alarm, which "
    "is an order). Within the buffer it is not verified, as a false alarm is.",
    "Unmet GPU-hours: the requirement (peak plus headroom) not in service over the late days, "
    "times 24; for a miss over the lead time of the cheapest candidate. An upper bound on "
    "demand turned away or queued. Revenue: at the training price, or the class prices "
    "weighted by the region's observed demand.",
    "False alarm: blocks ordered, but the known capacity never ran short in the data, which "
    "reaches past the forecast exhaustion date by the safety buffer at least. Not verified "
    "(not counted): no data after the as-of day for its pool, or the data ends before the forecast "
    "exhaustion date, or within the buffer after it, without a shortfall (censored); an order "
    "not sized (it lands after the replay's forecast ends: no size, so no timing, unmet or "
    "idle to judge; the note says whether the shortfall came); an order no site of the plan "
    "can power (its blocks past their site's ceiling: a new site is needed, so when it could "
    "serve is not known); or a false alarm, or a call not borne out, on a trigger "
    "short at the monthly grain only (not verified at the daily grain: it forecast no dated "
    "shortfall). A monthly-only trigger's other verdicts stand, their notes saying the grain.",
    "Idle capital, as if every order had been placed: from its arrival, the ordered capacity "
    "less the actual shortfall each day (all of it while it waits for its site's power: it "
    "serves nothing yet), over at most 52 weeks of data; GPU-months, and the "
    "mean idle capacity priced at the candidate's capex per GPU. What the shortfall used is "
    "not idle, so an order in time is not also counted idle for it; an order the shortfall "
    "used only part of is 'oversized' in its note (N of M blocks used at the peak) when "
    "judged over the full 52 weeks; cut short by the data end, whether the rest was needed "
    "later is not verified.",
    "Short history: an as-of day on which a region had under 168 days of telemetry (six "
    "28-day blocks, the least the growth models fit a trend on) is flagged in its notes and "
    "above: its forecast is flat or a random walk, so its verdicts say what the tool would "
    "have said, not what it can do.",
    "Totals are sums over the replays. Each replay's orders are judged alone, as if it were "
    "the only one placed, so consecutive replays that call for the same capacity each count "
    "it: the sums compare alternatives, they are not one budget.",
)


def _label(region: str, pool: str) -> str:
    return f"{region} · {pool}"


def _points(rows: pl.DataFrame, column: str) -> tuple[list[date], list[date]]:
    kept = rows.filter(pl.col(column).is_not_null())
    return kept["as_of"].to_list(), kept[column].to_list()


def _timeline(rows: pl.DataFrame, *, region: str, pool: str, data_end: date) -> Chart:
    """What the triggers said on each as-of day against what happened, for one pool."""
    fig = go.Figure()
    first, last = rows["as_of"].min(), rows["as_of"].max()
    fig.add_trace(
        go.Scatter(
            x=[first, last],
            y=[first, last],
            mode="lines",
            line={"color": "#999", "dash": "dot", "width": 1},
            name="the as-of day itself",
            hoverinfo="skip",
        )
    )
    x, y = _points(rows, "forecast_exhaustion")
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="markers+lines",
            line={"color": "#1f77b4", "width": 1},
            marker={"symbol": "diamond-open", "size": 10, "color": "#1f77b4"},
            name="said: runs short on",
            hovertemplate="as of %{x|%Y-%m-%d}: runs short %{y|%Y-%m-%d}<extra></extra>",
        )
    )
    # A row with no blocks has no order to place on the chart (older runs kept its dates).
    ordered = rows.filter(pl.col("arrives").is_not_null() & (pl.col("blocks_to_order") > 0))
    fig.add_trace(
        go.Scatter(
            x=ordered["as_of"].to_list(),
            y=ordered.select(pl.coalesce("in_service", "arrives")).to_series().to_list(),
            mode="markers",
            marker={
                "size": 11,
                "color": [VERDICT_COLOURS.get(v, "#999") for v in ordered["verdict"]],
                "line": {"color": "white", "width": 1},
            },
            name="said: order, in service on (colour: verdict)",
            customdata=[
                [
                    plot_text(_VERDICT_TEXT.get(v, v)),
                    plot_text(order_by_text(o, as_of=a, missing=MISSING)),
                ]
                for v, o, a in zip(
                    ordered["verdict"], ordered["order_by"], ordered["as_of"], strict=True
                )
            ],
            hovertemplate=(
                "as of %{x|%Y-%m-%d}: order by %{customdata[1]}, in service %{y|%Y-%m-%d}"
                "<br>%{customdata[0]}<extra></extra>"
            ),
        )
    )
    x, y = _points(rows, "actual_exhaustion")
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="markers",
            marker={"symbol": "x", "size": 11, "color": "#222"},
            name="happened: ran short on",
            hovertemplate="as of %{x|%Y-%m-%d}: ran short %{y|%Y-%m-%d}<extra></extra>",
        )
    )
    # Each row's own data end: a region whose telemetry stopped early is not "not short" to
    # the others' last day.
    censored = rows.filter(
        pl.col("actual_exhaustion").is_null() & (pl.col("as_of") < pl.col("data_end"))
    )
    if censored.height:
        ends = set(censored["data_end"].to_list())
        by = fmt_date(data_end) if ends == {data_end} else "the data end of its region"
        fig.add_trace(
            go.Scatter(
                x=censored["as_of"].to_list(),
                y=censored["data_end"].to_list(),
                mode="markers",
                marker={"symbol": "triangle-up-open", "size": 10, "color": "#222"},
                name=f"happened: not short by the data end ({by})",
                hovertemplate="as of %{x|%Y-%m-%d}: not short within the data<extra></extra>",
            )
        )
    fig.update_layout(
        template="plotly_white",
        height=380,
        title={
            "text": plot_text(f"{_label(region, pool)}: said vs happened"),
            "x": 0.01,
            "font": {"size": 15},
        },
        margin={"l": 70, "r": 20, "t": 50, "b": 110},
        legend={"orientation": "h", "yref": "container", "y": 0.01, "x": 0},
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    )
    fig.update_xaxes(title_text="as-of day (what the tool knew)")
    fig.update_yaxes(title_text="date")
    return Chart(f"timeline-{region}-{pool}", fig, _takeaway(rows, region=region, pool=pool))


def _takeaway(rows: pl.DataFrame, *, region: str, pool: str) -> str:
    counts = dict(rows.group_by("verdict").len().iter_rows())
    parts = [f"{counts[v]} {_VERDICT_TEXT[v]}" for v in _VERDICT_TEXT if counts.get(v)]
    late = rows.filter(pl.col("days_late").is_not_null() & (pl.col("days_late") > 0))
    worst = ""
    if late.height:
        row = late.sort("days_late").row(-1, named=True)
        waited = power_wait_days(row)
        power = f", {waited:,} of them waiting for power" if waited else ""
        worst = (
            f"; worst {days_count(row['days_late'])} late{power} (as of {fmt_date(row['as_of'])})"
        )
    return f"{_label(region, pool)}: {', '.join(parts) or 'no replays'}{worst}."


def timeline_charts(replays: pl.DataFrame, *, data_end: date) -> list[Chart]:
    """One said-vs-happened timeline per region and pool."""
    return [
        _timeline(part.sort("as_of"), region=str(region), pool=str(pool), data_end=data_end)
        for (region, pool), part in replays.sort("region", "pool").group_by(
            "region", "pool", maintain_order=True
        )
    ]


def _actual(row: dict[str, Any]) -> str:
    if row["actual_exhaustion"] is not None:
        return fmt_date(row["actual_exhaustion"])
    if row["as_of"] >= row["data_end"]:
        return MISSING
    return f"censored: not by {fmt_date(row['data_end'])}"


def _in_service(row: dict[str, Any]) -> str:
    """The day the order serves, and its arrival when it waits there for its site's power
    (replays stored before migration 18 know the arrival only)."""
    serves, arrives = row["in_service"], row["arrives"]
    if arrives is not None and never_powered(row):
        return f"{fmt_date(arrives)} (arrives; {NEVER_POWERED})"
    if serves is None or serves == arrives:
        return fmt_date(arrives)
    return f"{fmt_date(serves)} (arrives {fmt_date(arrives)}, waits for its site's power)"


def _money(value: float | None) -> str:
    return MISSING if value is None else fmt_usd(value)


def _unmet_cell(row: dict[str, Any]) -> str:
    """Unmet GPU-hours, "at least" where the data ended before the order served: the cell
    read "3,203,954 GPU-h" as measured beside a note saying it was censored."""
    hours = fmt_gpu_hours(row["unmet_gpu_hours"])
    return f"at least {hours} (censored at the data end)" if unmet_cut(row) else hours


def _revenue_cell(row: dict[str, Any]) -> str:
    money = _money(row["revenue_lost_usd"])
    return f"at least {money}" if unmet_cut(row) and row["revenue_lost_usd"] is not None else money


def _replays_table(replays: pl.DataFrame, *, daily_days: int) -> Table:
    rows = [
        [
            fmt_date(r["as_of"]),
            r["region"],
            r["pool"],
            Badge(r["status"]),
            fmt_day_or_month(
                r["forecast_exhaustion"], daily_end=r["as_of"] + timedelta(days=daily_days)
            ),
            order_by_text(r["order_by"], as_of=r["as_of"], missing=MISSING),
            blocks_text(r),
            _in_service(r),
            _actual(r),
            fmt_date(r["fleet_exhaustion"]),
            _VERDICT_TEXT.get(r["verdict"], r["verdict"]),
            days_late_text(r, missing=MISSING),
            _unmet_cell(r),
            _revenue_cell(r),
            MISSING if r["idle_gpu_months"] is None else f"{r['idle_gpu_months']:,.0f}",
            _money(r["idle_capital_usd"]),
            r["note"],
        ]
        for r in replays.sort("as_of", "region", "pool").iter_rows(named=True)
    ]
    headers = [
        "as of",
        "region",
        "pool",
        "said",
        "runs short (forecast)",
        "order by",
        "order",
        "in service",
        "ran short (actual)",
        "fleet ran short",
        "verdict",
        "days late",
        "unmet GPU-h",
        "revenue lost",
        "idle GPU-months",
        "idle capital",
        "note",
    ]
    return Table.of(headers, rows, numeric=range(11, 16), detail=(16,), empty="no replays")


def _cards(run: dict[str, Any], replays: pl.DataFrame) -> list[tuple[str, str]]:
    """The counts, from the replays (the run's row has no column for the newer verdicts),
    and the run's sums."""
    counts = decision_counts(replays)
    judged = sum(n for v, n in counts.items() if v != Verdict.NOT_VERIFIED.value)
    short = censored_at_data_end(replays)
    partly = f" ({fmt_count(short)} censored at the data end)" if short else ""
    green = censored_at_data_end(replays.filter(pl.col("verdict") == Verdict.NO_ORDER_NEEDED.value))
    green_partly = f" ({fmt_count(green)} censored at the data end)" if green else ""
    return [
        ("orders in time", fmt_count(counts["in_time"])),
        ("in time, not needed yet", fmt_count(counts["not_needed_yet"])),
        ("orders late", fmt_count(counts["late"])),
        ("missed (no trigger, ran short)", fmt_count(counts["missed"])),
        ("false alarms", fmt_count(counts["false_alarm"])),
        ("nothing ordered (ran short)", fmt_count(counts["nothing_ordered"])),
        # A red with nothing ordered whose shortfall never came was counted with those whose
        # shortfall did ("2 (1)"): the wrong call read as no call.
        ("not borne out (nothing ordered, never short)", fmt_count(counts["not_borne_out"])),
        (
            "idle capital, as if ordered (sum of replays)",
            fmt_usd(run["idle_capital_usd"]) + _unmeasured_idle(replays),
        ),
        ("no order needed", fmt_count(counts["no_order_needed"]) + green_partly),
        (
            "judged / not verified",
            f"{fmt_count(judged)}{partly} / {fmt_count(counts['not_verified'])}",
        ),
        (
            "unmet GPU-hours when late or missed (sum)",
            fmt_gpu_hours(run["unmet_gpu_hours"]) + _censored_unmet(replays),
        ),
        (
            "revenue lost when late or missed (sum)",
            _money(run["revenue_lost_usd"]) + _censored_unmet(replays),
        ),
        ("idle GPU-months (sum)", f"{run['idle_gpu_months']:,.0f}" + _unmeasured_idle(replays)),
    ]


def _censored_unmet(replays: pl.DataFrame) -> str:
    """Beside an unmet total: the replays whose part of it stops at the data end."""
    n = unmet_censored(replays)
    return f" (at least: {n} replay{'' if n == 1 else 's'} censored at the data end)" if n else ""


def _unmeasured_idle(replays: pl.DataFrame) -> str:
    """Beside an idle total: the judged orders it leaves out, their idle not measured."""
    n = idle_not_verified(replays)
    return f" (+ {n} order(s) not verified: they arrive after the data)" if n else ""


def _warnings(replays: pl.DataFrame) -> list[str]:
    """What the reader must know before trusting the counts: as-of days on short history."""
    short = short_history_as_ofs(replays)
    if not short:
        return []
    days = ", ".join(f"{fmt_date(d)} ({days_count(n)})" for d, n in short.items())
    # Above the cards: it says what the orders were sized on (short_history_headline).
    headline = short_history_headline(replays)
    return [
        f"Short history: {headline}: {days}. Their calls are flagged 'short history' in their "
        "notes: what the tool would have said, not its considered call."
    ]


def decisions_page(run: dict[str, Any], replays: pl.DataFrame) -> str:
    """The page of one stored decision backtest (its decision_runs row and replays)."""
    page = Page()
    figures = page.figures(timeline_charts(replays, data_end=run["data_end"]))
    settings = json.loads(run["settings"])
    as_ofs = run["as_ofs"]
    return render(
        "decisions.html",
        page=page,
        title="Would we have ordered in time?",
        run_id=run["run_id"],
        meta=f"decision backtest {run['run_id']} · {len(as_ofs)} as-of day(s) "
        f"{fmt_date(as_ofs[0])} to {fmt_date(as_ofs[-1])}, every {days_count(run['every_days'])} · "
        f"judged on telemetry to {fmt_date(run['data_end'])} · generated "
        f"{fmt_datetime(datetime.now(UTC))}",
        nav=[],
        cards=_cards(run, replays),
        warnings=_warnings(replays),
        figures=figures,
        replays=_replays_table(replays, daily_days=settings["horizon_days"]),
        rules=list(RULES),
        settings=[
            f"triggers at {settings['quantile']} with a {settings['buffer_weeks']}-week buffer",
            f"each replay forecasts {settings['horizon_days']} days daily and "
            f"{settings['horizon_months']}+ months monthly with {settings['n_paths']} paths, "
            f"{settings['customers_per_class']} named customers per class and "
            f"{settings['n_cutoffs']} backtest cut-offs: cheaper than a planning run",
            f"events {'used' if settings['use_events'] else 'not used'}, contract book "
            f"{'used' if settings['use_contracts'] else 'not used'} (each as known on the day)",
            f"replays took {run['seconds']:,.0f} s in all",
        ],
    )


def publish_decisions(run: dict[str, Any], replays: pl.DataFrame, *, root: Path) -> Path:
    """Write the page to ``root/decisions/<run_id>.html`` (with plotly beside it)."""
    folder = root / "decisions"
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / PLOTLY_JS
    if not script.exists():
        script.write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
    path = folder / f"{run['run_id']}.html"
    staged = path.with_suffix(".html.tmp")
    staged.write_text(decisions_page(run, replays), encoding="utf-8")
    staged.replace(path)
    return path
