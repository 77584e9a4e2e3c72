"""Plotly figures for the report pages, each with the one sentence a reader should take away.

Every builder returns a :class:`Chart` or None when its data is empty (the page then says "no
data" instead of drawing an empty frame). Takeaways are plain text computed from the same
rows the figure draws; the page escapes them. Every string from data goes through
:func:`~forecasting.report.format.plot_text` before it reaches a figure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import plotly.graph_objects as go
import polars as pl

from forecasting import hierarchy
from forecasting.capacity import ALL_CLASSES
from forecasting.concentration import top_is_all_text
from forecasting.report.format import (
    fmt_count,
    fmt_date,
    fmt_gpu_hours,
    fmt_gpus,
    fmt_hhi,
    fmt_mw,
    fmt_pct,
    fmt_usd,
    plot_text,
)
from forecasting.report.inputs import (
    later_orders,
    later_orders_due_first,
    past_the_plan,
    past_the_plan_capital,
    plan_orders,
    planned_capital,
    with_power,
)
from forecasting.schema import BOOK_ONLY, Measure, WorkloadClass
from forecasting.text import before_next_report
from forecasting.triggers.common import NEW_SITE, as_date

__all__ = [
    "BOOK_LINE",
    "CLASS_COLOURS",
    "STATUS_COLOURS",
    "Chart",
    "PoolExhaustion",
    "backlog_chart",
    "capital_chart",
    "concentration_charts",
    "fan_chart",
    "orders_chart",
    "site_power_chart",
    "slo_chart",
]

STATUS_COLOURS: dict[str, str] = {"green": "#2e7d32", "amber": "#ef8f00", "red": "#c62828"}
CLASS_COLOURS: dict[str, str] = {
    WorkloadClass.INFERENCE.value: "#1f77b4",
    WorkloadClass.TRAINING.value: "#d62728",
    WorkloadClass.EVALUATION.value: "#9467bd",
    WorkloadClass.BATCH.value: "#2ca02c",
    WorkloadClass.EXPERIMENTATION.value: "#8c564b",
    ALL_CLASSES: "#00897b",
}
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
# Forecast fans show this much history before the forecast, enough to see the weekly cycle
# and the trend without squeezing the horizon.
_HISTORY_DAYS = 180


@dataclass(frozen=True, slots=True)
class Chart:
    """One figure on a page: a key unique on the page, the figure, its takeaway sentence."""

    key: str
    figure: go.Figure
    takeaway: str


def _interval_band(ahead: pl.DataFrame, *, colour: str, opacity: float, name: str) -> go.Scatter:
    """The q10–q90 band of a forecast as one filled trace (out along q90, back along q10)."""
    return go.Scatter(
        x=ahead["ds"].to_list() + ahead["ds"].reverse().to_list(),
        y=ahead["q90"].to_list() + ahead["q10"].reverse().to_list(),
        fill="toself",
        fillcolor=colour,
        opacity=opacity,
        line={"width": 0},
        name=name,
        hoverinfo="skip",
    )


def _fan(
    ahead: pl.DataFrame,
    *,
    colour: str,
    opacity: float,
    band: str,
    median: str,
    dash: str | None = None,
    hovertemplate: str | None = None,
) -> tuple[go.Scatter, go.Scatter]:
    """A forecast fan: its q10–q90 band and its q50 line, in ``colour``."""
    line: dict[str, Any] = {"color": colour, "width": 2}
    if dash is not None:
        line["dash"] = dash
    return (
        _interval_band(ahead, colour=colour, opacity=opacity, name=band),
        go.Scatter(
            x=ahead["ds"].to_list(),
            y=ahead["q50"].to_list(),
            mode="lines",
            line=line,
            name=median,
            hovertemplate=hovertemplate,
        ),
    )


def _colour(name: str, index: int) -> str:
    return CLASS_COLOURS.get(name, _PALETTE[index % len(_PALETTE)])


def _styled(
    fig: go.Figure, *, title: str, x_title: str, y_title: str, height: int = 400
) -> go.Figure:
    """The house style: a left-aligned title, axis titles with units, legend above the plot."""
    fig.update_layout(
        template="plotly_white",
        height=height,
        title={"text": plot_text(title), "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        # The legend sits at the foot of the figure, under the x axis title, so it never
        # collides with the title or with labels drawn along the top of the plot.
        margin={"l": 70, "r": 20, "t": 60, "b": 120},
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0.01,
            "yanchor": "bottom",
            "xanchor": "left",
            "x": 0,
        },
        hovermode="closest",
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    )
    fig.update_xaxes(title_text=plot_text(x_title))
    fig.update_yaxes(title_text=plot_text(y_title), rangemode="tozero")
    return fig


def _today_line(fig: go.Figure, day: date) -> None:
    """A dotted vertical line at the run date, labelled, on a date x axis."""
    fig.add_shape(
        type="line",
        x0=day,
        x1=day,
        y0=0,
        y1=1,
        yref="paper",
        line={"color": "#555", "dash": "dot", "width": 1},
    )
    fig.add_annotation(
        x=day,
        y=1,
        yref="paper",
        text=plot_text(f"as of {fmt_date(day)}"),
        showarrow=False,
        xanchor="left",
        yanchor="bottom",
        font={"size": 10, "color": "#555"},
    )


# --- finance --------------------------------------------------------------------------------------


def _trigger_label(region: str, pool: str) -> str:
    return f"{region} · {pool}"


def _later_rows(placements: pl.DataFrame | None) -> pl.DataFrame:
    """The plan's later orders in the triggers' columns, labelled by their tranche."""
    later = later_orders(placements)
    if "capex_new_site_usd" not in later.columns:  # none stored: an empty frame
        later = later.with_columns(capex_new_site_usd=pl.lit(None, pl.Float64))
    return later.select(
        pl.format("{} · {} · later {}", "region", "pool", pl.col("tranche") - 1).alias("label"),
        "order_by",
        "arrives",
        "exhaustion_date",
        "status",
        pl.col("blocks").alias("blocks_to_order"),
        "candidate",
        "capex_usd",
        _capex_text(pl.col("capex_usd"), pl.col("capex_new_site_usd")),
    )


def _capex_text(placeable: pl.Expr, apart: pl.Expr) -> pl.Expr:
    """An order's capex as the tables give it (text.capex_past_ceiling): the chart's trigger
    points held the blocks past their site's ceiling ($4,452.1M for the demo's 527 racks,
    $2,399.2M in the table), its later ones left them out ("$0" for 47 cells all past)."""
    from forecasting.text import capex_past_ceiling

    return (
        pl.struct(
            placeable.fill_null(0.0).alias("placeable"),
            apart.fill_null(0.0).alias("apart"),
            pl.col("blocks_beyond_ceiling").fill_null(0).alias("beyond"),
        )
        .map_elements(
            lambda r: capex_past_ceiling(r["placeable"], r["apart"], beyond=r["beyond"]),
            return_dtype=pl.String,
        )
        .alias("capex_text")
    )


def orders_chart(
    triggers: pl.DataFrame,
    *,
    as_of: date,
    placements: pl.DataFrame | None = None,
    next_report: date | None = None,
) -> Chart | None:
    """Order-by dates per region and pool, coloured by status, with lead time and exhaustion;
    with ``placements``, the plan's later orders too, each on its own line. A date its
    takeaway names that falls before ``next_report`` says so (text.before_next_report)."""
    rows = triggers.filter(pl.col("order_by").is_not_null()).sort("order_by")
    if rows.is_empty():
        return None

    def soon(day: date) -> str:
        said = before_next_report(day, as_of=as_of, next_report=next_report)
        return f"; {said}" if said else ""

    takeaway = _orders_takeaway(rows, soon=soon)
    if (early := later_orders_due_first(rows, placements)).height:
        due = early.row(0, named=True)
        what = (
            f"{due['region']} · {due['pool']}, {fmt_count(due['blocks'])} × {due['candidate']} "
            f"by {fmt_date(due['order_by'])}"
        )
        # Past its order-by date a later order is red or amber, which the tally above (the
        # triggers' own statuses) does not count.
        late = "".join(
            f", {n} {status}"
            for status in ("red", "amber")
            if (n := early.filter(pl.col("status") == status).height)
        )
        status = due["status"] if due["status"] in ("red", "amber") else ""
        said = f"{status}{soon(due['order_by'])}".removeprefix("; ")
        if said:
            what += f" ({said})"
        takeaway += (
            f" A later order of the plan is due before them: {what}."
            if early.height == 1
            else f" {early.height} later orders of the plan are due before them "
            f"({planned_capital(float(early['capex_usd'].sum()), early)}{late}), the "
            f"first {what}."
        )
    later = _later_rows(placements)
    placed = ["powered", "site", "blocks_beyond_ceiling", "runs_from"]
    powered = with_power(rows.drop(placed, strict=False), placements).with_columns(
        share=pl.when(pl.col("blocks_to_order").fill_null(0) > 0)
        .then(pl.col("blocks_beyond_ceiling").fill_null(0) / pl.col("blocks_to_order"))
        .otherwise(0.0)
    )
    own = powered.with_columns(
        _capex_text(
            pl.col("capex_usd") * (1 - pl.col("share")), pl.col("capex_usd") * pl.col("share")
        ),
        pl.format("{} · {}", "region", "pool").alias("label"),
    ).select(*rows.columns, "label", "capex_text")
    rows = pl.concat([own, later], how="diagonal_relaxed").sort("order_by")
    labels = [plot_text(label) for label in rows["label"]]
    # A trigger with nothing to order keeps its exhaustion alone: its stored order-by and
    # arrival are the unplaced candidate's, which the orders table shows as "-" (a red dot
    # 104 days past and a lead-time bar read as an order missed).
    placing = [n != 0 for n in rows["blocks_to_order"]]
    fig = go.Figure()
    lead_x: list[date | None] = []
    lead_y: list[str | None] = []
    for label, start, end, places in zip(
        labels, rows["order_by"], rows["arrives"], placing, strict=True
    ):
        # An order past every ceiling has neither (its stored arrival is its shortfall's).
        if start is not None and end is not None and places:
            lead_x += [start, end, None]
            lead_y += [label, label, None]
    if lead_x:
        fig.add_trace(
            go.Scatter(
                x=lead_x,
                y=lead_y,
                mode="lines",
                line={"color": "#b0b7c3", "width": 6},
                name="lead time (order → in service)",
                hoverinfo="skip",
            )
        )
    exhausted = [(label, d) for label, d in zip(labels, rows["exhaustion_date"], strict=True) if d]
    if exhausted:
        fig.add_trace(
            go.Scatter(
                x=[d for _, d in exhausted],
                y=[label for label, _ in exhausted],
                mode="markers",
                marker={
                    "symbol": "diamond-open",
                    "size": 11,
                    "color": "#222",
                    "line": {"width": 2},
                },
                name="capacity exhausted",
                hovertemplate="%{y}<br>exhausted on %{x|%Y-%m-%d}<extra></extra>",
            )
        )
    for status, colour in STATUS_COLOURS.items():
        mask = [s == status and places for s, places in zip(rows["status"], placing, strict=True)]
        if not any(mask):
            continue
        part = rows.filter(pl.Series(mask))
        fig.add_trace(
            go.Scatter(
                x=part["order_by"].to_list(),
                y=[label for label, keep in zip(labels, mask, strict=True) if keep],
                mode="markers",
                marker={"size": 13, "color": colour, "line": {"color": "white", "width": 1}},
                name=f"order by ({status})",
                customdata=[
                    [plot_text(f"{n or 0} × {c or 'block'}"), plot_text(x)]
                    for n, c, x in zip(
                        part["blocks_to_order"], part["candidate"], part["capex_text"], strict=True
                    )
                ],
                hovertemplate=(
                    "%{y}<br>order by %{x|%Y-%m-%d}<br>%{customdata[0]}, %{customdata[1]}"
                    "<extra></extra>"
                ),
            )
        )
    _today_line(fig, as_of)
    _styled(
        fig,
        title="When to order: order-by date, lead time and exhaustion per region and pool",
        x_title="date",
        y_title="region · pool",
        height=max(300, 150 + 40 * len(set(labels))),
    )
    fig.update_yaxes(rangemode="normal", autorange="reversed", type="category")
    return Chart("orders", fig, takeaway)


def _orders_takeaway(rows: pl.DataFrame, *, soon: Callable[[date], str] = lambda _: "") -> str:
    counts = {s: rows.filter(pl.col("status") == s).height for s in STATUS_COLOURS}
    tally = ", ".join(f"{n} {s}" for s, n in reversed(counts.items()) if n)
    ordered = rows.filter(pl.col("blocks_to_order").fill_null(0) > 0)
    # A pool short with nothing to order (covered by another pool's order, or by capacity
    # already planned) has a date but no order: it is not "the first order due".
    idle = rows.height - ordered.height
    unordered = f"; {idle} of them with nothing to order (see the notes)" if idle else ""
    if ordered.is_empty():
        return f"Nothing to order: of {rows.height} dated triggers {tally}{unordered}."
    first = ordered.row(0, named=True)
    return (
        f"The first order is due for {_trigger_label(first['region'], first['pool'])} by "
        f"{fmt_date(first['order_by'])} ({first['status']}{soon(first['order_by'])}); of "
        f"{rows.height} dated triggers "
        f"{tally}{unordered}."
    )


def _quarter(day: date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def _quarters_between(first: date, last: date) -> list[str]:
    """Every quarter from ``first``'s to ``last``'s, so a quiet quarter shows as a gap."""
    index, end = first.year * 4 + (first.month - 1) // 3, last.year * 4 + (last.month - 1) // 3
    return [f"{i // 4} Q{i % 4 + 1}" for i in range(index, end + 1)]


def capital_chart(
    triggers: pl.DataFrame,
    *,
    as_of: date,
    pipeline: pl.DataFrame | None = None,
    placements: pl.DataFrame | None = None,
    end: date | None = None,
    construction: pl.DataFrame | None = None,
    new_site_blocks: pl.DataFrame | None = None,
) -> Chart | None:
    """Capital to commit per quarter, stacked by region, with the pipeline deals on top.
    The orders whose blocks can run only after ``end``, the plan's last day, are not in the
    bars but named apart (:func:`~forecasting.report.inputs.past_the_plan`).

    Money is committed when the order is placed; an order whose order-by date has passed is
    placed now, so it counts in the run's own quarter. ``placements`` (every order of the plan
    to its end, PLACEMENTS_SCHEMA) are the orders when they carry their capex; runs stored
    before they did chart the triggers' orders alone. ``pipeline`` (whatif.PIPELINE_SCHEMA)
    adds each deal's extra capex if it signs, weighted by its odds, as one more series: only
    the deals the plan serves within the horizon (``serve_from`` set). A deal it cannot serve
    ("a new site is needed") was stacked too, budgeted as if ordering it served the deal; its
    capex is named apart in the takeaway, not as capital to commit.

    ``construction`` (CONSTRUCTION_SCHEMA) adds each region's new site at its declared cost, as
    one more series, in the quarter of its start-by date (this run's where it has passed): a
    site is committed when it is started, as an order is at its order-by, and the plan
    declares no spending profile over the build to spread it by. It is the MW past the
    ceilings, which neither the blocks' capex nor the power to contract counts.

    ``new_site_blocks`` (pages.common.new_site_parts rows) are the blocks past their site's
    ceiling that their region's declared [[new_site]] dates: one more series, in the quarter
    of that order-by. They read "Not in the bars ... dated by the new site their region must
    start (the orders' order-by)": on no bar, dated by nothing the chart showed.
    """
    planned = plan_orders(placements)
    if planned is not None:
        planned = past_the_plan(planned, end=end)
    rows = (
        # Blocks past every ceiling (no order-by) hold no capex of the bars: named apart.
        planned.filter(
            (pl.col("capex_past_plan_usd") <= 0) & pl.col("order_by").is_not_null()
        ).select("region", "order_by", "capex_usd")
        if planned is not None
        else triggers.filter(
            (pl.col("blocks_to_order").fill_null(0) > 0) & (pl.col("capex_usd") > 0)
        ).select("region", "order_by", "capex_usd")
    )
    priced = (
        pipeline.filter(pl.col("expected_capex_usd") > 0)
        if pipeline is not None and pipeline.height
        else None
    )
    deals = (
        priced.filter(pl.col("serve_from").is_not_null()).select(
            pl.lit("pipeline deals x odds").alias("region"),
            pl.col("order_by"),
            pl.col("expected_capex_usd").alias("capex_usd"),
        )
        if priced is not None
        else None
    )
    unserved = priced.filter(pl.col("serve_from").is_null()) if priced is not None else None
    if deals is not None:
        rows = pl.concat([rows, deals])
    sites = (
        construction.filter(pl.col("cost_usd").is_not_null() & pl.col("start_by").is_not_null())
        if construction is not None
        else None
    )
    dated = (
        new_site_blocks.filter(pl.col("capex_new_site_usd") > 0)
        if new_site_blocks is not None and planned is not None
        else None
    )
    # A series of its own each, stacked by its own date: new sites at their start-by, the
    # blocks into them at their new-site order-by.
    for frame, series, day, capex in (
        (sites, NEW_SITES_SERIES, "start_by", "cost_usd"),
        (dated, NEW_SITE_BLOCKS_SERIES, "order_by", "capex_new_site_usd"),
    ):
        if frame is not None and frame.height:
            extra = frame.select(
                pl.lit(series).alias("region"),
                pl.col(day).alias("order_by"),
                pl.col(capex).alias("capex_usd"),
            )
            rows = pl.concat([rows, extra])
    if rows.is_empty():
        return None
    spend = (
        rows.with_columns(
            placed=pl.max_horizontal(pl.col("order_by").fill_null(as_of), pl.lit(as_of))
        )
        .with_columns(
            quarter=pl.col("placed").map_elements(_quarter, return_dtype=pl.String),
        )
        .group_by("quarter", "region")
        .agg(
            pl.col("capex_usd").sum(),
            placed_first=pl.col("placed").min(),
            placed_last=pl.col("placed").max(),
        )
        .sort("quarter", "region")
    )
    placed = sorted([*spend["placed_first"], *spend["placed_last"]])
    quarters = _quarters_between(placed[0], placed[-1])
    fig = go.Figure()
    for i, region in enumerate(spend["region"].unique().sort().to_list()):
        part = spend.filter(pl.col("region") == region)
        fig.add_trace(
            go.Bar(
                x=part["quarter"].to_list(),
                y=(part["capex_usd"] / 1e6).to_list(),
                name=plot_text(region),
                marker_color=_PALETTE[i % len(_PALETTE)],
                customdata=[plot_text(fmt_usd(v)) for v in part["capex_usd"]],
                hovertemplate="%{x}: %{customdata}",
            )
        )
    _styled(
        fig, title="Capital to commit by quarter of order", x_title="quarter", y_title="capex ($M)"
    )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=quarters)
    fig.update_yaxes(tickformat=",.0f")
    per_quarter = spend.group_by("quarter").agg(pl.col("capex_usd").sum()).sort("capex_usd")
    top = per_quarter.row(-1, named=True)
    total = float(spend["capex_usd"].sum())
    # The chart's total is more than the plan's orders by the deals' weighted capex: say so,
    # or it reads as a second, different figure for "capital in every order of the plan".
    weighted = 0.0 if deals is None else float(deals["capex_usd"].sum())
    built = 0.0 if sites is None else float(sites["cost_usd"].sum())
    into = 0.0 if dated is None else float(dated["capex_new_site_usd"].sum())
    parts = [
        f"{fmt_usd(v)} {said}"
        for v, said in (
            (weighted, "of pipeline deals at their odds"),
            (into, "of blocks past their site's ceiling, into a new site at its order-by"),
            (built, "of new sites at their start-by"),
        )
        if v > 0
    ]
    takeaway = (
        f"{top['quarter']} needs the most capital, {fmt_usd(top['capex_usd'])} of "
        f"{fmt_usd(total)} over {len(quarters)} quarter{'s' if len(quarters) != 1 else ''}"
        # Quiet quarters are in the span ("over 7 quarters" where 6 held orders).
        + (
            f", {per_quarter.height} of them with orders"
            if per_quarter.height < len(quarters)
            else ""
        )
        + (
            f" ({fmt_usd(total - weighted - built - into)} in the plan's orders"
            + ", ".join(["", *parts[:-1]])
            + f" and {parts[-1]})."
            if parts
            else "."
        )
    )
    if sites is not None and sites.height:
        takeaway += _new_sites_dated(sites, as_of=as_of)
    if planned is not None:
        # The blocks a new site dates are in the bars: the others alone are said apart.
        undated = (
            planned
            if dated is None or dated.is_empty()
            else planned.join(
                dated.select(*_PART_KEYS).unique(),
                on=_PART_KEYS,
                how="anti",
                nulls_equal=True,
            )
        )
        takeaway += _past_ceiling_capital(
            undated, new_sites=set(sites["region"].to_list()) if sites is not None else set()
        )
        if apart := past_the_plan_capital(planned, end=end):
            # Its power comes after the plan's end: no quarter of the plan is its decision.
            takeaway += f" Not in the bars: {apart.removeprefix(' (+ ').removesuffix(')')}."
        takeaway += _waiting_on_power(planned)
    if unserved is not None and unserved.height:
        takeaway += (
            f" Not stacked: {fmt_usd(float(unserved['expected_capex_usd'].sum()))} of pipeline "
            "deals at their odds that the plan cannot serve within the horizon "
            f"({', '.join(unserved['contract_id'].to_list())}): their capex is not the price "
            "of the deal."
        )
    return Chart("capital", fig, takeaway)


# The capital chart's series of new sites (construction), apart from the regions' orders.
NEW_SITES_SERIES = "new sites (at start-by)"
# Its series of the blocks past their site's ceiling that a declared new site dates.
NEW_SITE_BLOCKS_SERIES = "blocks into new sites (at their order-by)"
# A PLACEMENTS row's key: an order's share at one site.
_PART_KEYS = ["region", "pool", "tranche", "site"]


def _new_sites_dated(sites: pl.DataFrame, *, as_of: date) -> str:
    """' New sites: $X for us-east's, in 2026 Q4: dated at its start-by date (...)', how each
    new site of ``sites`` (construction rows with a cost) is dated in the bars: at its
    start-by, not spread over its build, which a reader might expect of construction."""
    said = []
    for r in sites.sort("start_by", "region").iter_rows(named=True):
        start = r["start_by"]
        passed = ", passed: this run's quarter" if start < as_of else ""
        said.append(
            f"{fmt_usd(r['cost_usd'])} for {r['region']}'s, in {_quarter(max(start, as_of))}: "
            f"dated at its start-by date ({fmt_date(start)}{passed}), when the site is "
            f"committed, as an order is at its order-by; not spread over its "
            f"{r['build_months']} months of building"
        )
    return f" New sites: {'; '.join(said)}."


def _waiting_on_power(planned: pl.DataFrame) -> str:
    """' Waiting on power: N orders ($X), dated to land when ...', or '' where no order of
    ``planned`` (plan_orders rows) waits for its site's power.

    Such orders are dated by their site's power, not by their shortfall
    (triggers.power_waits.with_its_power): a quarter's bar read as the plan's own timing, with
    nothing saying that power sets it, nor where the urgency is."""
    if "runs_from" not in planned.columns:
        return ""
    waiting = planned.filter(
        ~pl.col("powered").fill_null(True)
        & (pl.col("runs_from") > pl.col("arrives")).fill_null(False)
        & (pl.col("capex_usd") > 0)
    )
    if waiting.is_empty():
        return ""
    # A split order has a row per site: it is one order.
    n = waiting.select("region", "pool", "tranche").n_unique()
    one = n == 1
    latest = waiting["runs_from"].max()
    assert isinstance(latest, date)  # runs_from is set on every waiting row
    whose = "its site's" if one else "their sites'"
    return (
        f" Waiting on power: {fmt_count(n)} order{'' if one else 's'} "
        f"({fmt_usd(float(waiting['capex_usd'].sum()))}), dated to land when "
        f"{whose} power does (runs from {fmt_date(latest)} at the "
        "latest), not to stand dark: the sites' power triggers carry the urgency (facilities "
        "page)."
    )


def _past_ceiling_capital(planned: pl.DataFrame, *, new_sites: Collection[str] = ()) -> str:
    """' Not in the bars: $X for N blocks past their site's ceiling (...), with no order-by
    until one is planned', or '' where no block of ``planned`` (plan_orders rows) is past;
    dated by the new site where every such block's region has one (``new_sites``).

    The bars hold the placeable capex only: the demo's 2026 Q4 read $3,716.1M, "the most",
    while $21,959.4M of blocks past their ceilings fell due in it, on no bar and in no word."""
    past = planned.filter(pl.col("blocks_beyond_ceiling").fill_null(0) > 0)
    if past.is_empty():
        return ""
    # Blocks past every ceiling have no order-by (triggers.common.NO_ORDER_BY), those of an
    # order partly under its ceiling neither: its order-by is the blocks' that fit. Dated by
    # it, the demo's 6 GB200 cells past us-east-b's ceiling read "by quarter of order: 2028 Q1
    # $2,211.8M" beside the cell wholly past us-east-c's, "with no order-by".
    blocks = int(past["blocks_beyond_ceiling"].sum())
    return (
        f" Not in the bars: {fmt_usd(float(past['capex_new_site_usd'].sum()))} for "
        f"{fmt_count(blocks)} block{'' if blocks == 1 else 's'} past "
        f"{'its' if blocks == 1 else 'their'} site's ceiling "
        f"({NEW_SITE}), "
        + (
            # Their region's [[new_site]] dates them (construction.new_site_order_by).
            "dated by the new site their region must start (the orders' order-by)."
            if set(past["region"].to_list()) <= set(new_sites)
            else "with no order-by until one is planned."
        )
    )


_METRIC_LABELS = {"top1_share": "top-1 customer", "top5_share": "top-5 customers", "hhi": "HHI"}


def _overall(concentration: pl.DataFrame) -> pl.DataFrame:
    """The fleet-wide rows: scope 'overall' (or 'all', as concentration.py names it)."""
    return concentration.filter(pl.col("scope").is_in(["overall", ALL_CLASSES]))


def _concentration_traces(fig: go.Figure, rows: pl.DataFrame, metric: str, colour: str) -> None:
    label = _METRIC_LABELS[metric]
    history = rows.filter((pl.col("metric") == metric) & (pl.col("source") == "history")).sort("ds")
    ahead = rows.filter((pl.col("metric") == metric) & (pl.col("source") == "forecast")).sort("ds")
    if history.height:
        fig.add_trace(
            go.Scatter(
                x=history["ds"].to_list(),
                y=history["value"].to_list(),
                mode="lines",
                line={"color": colour, "width": 1.5},
                name=f"{label}, history",
            )
        )
    if ahead.height:
        fig.add_traces(
            _fan(ahead, colour=colour, opacity=0.18, band=f"{label}, forecast q10–q90",
                 median=f"{label}, forecast q50", dash="dash")
        )  # fmt: skip


def _metric_move(rows: pl.DataFrame, metric: str) -> str | None:
    """'moves from 34.0% on 2026-11-22 to 41.2% (q50) in the week of 2027-05-17' for one
    metric ('was' or 'reaches' where only one side has a value), or None where neither has
    one (a trace with no observed day read "HHI moves from – (q50) by 2023-11-20")."""
    history = rows.filter(
        (pl.col("metric") == metric)
        & (pl.col("source") == "history")
        & pl.col("value").is_not_nan()
    ).sort("ds")
    ahead = rows.filter(
        (pl.col("metric") == metric) & (pl.col("source") == "forecast") & pl.col("q50").is_not_nan()
    ).sort("ds")
    show = fmt_pct if metric != "hhi" else fmt_hhi
    was = ahead_by = None
    if history.height:
        last = history.row(-1, named=True)
        was = f"{show(last['value'])} on {fmt_date(last['ds'])}"
    if ahead.height:
        end = ahead.row(-1, named=True)
        # The forecast's rows are weeks named by their Monday: "by 2025-01-20" on a 7-day run
        # read as a jump in one day from the history's last.
        ahead_by = f"{show(end['q50'])} (q50) in the week of {fmt_date(end['ds'])}"
    if was and ahead_by:
        return f"moves from {was} to {ahead_by}"
    if was:
        return f"was {was}"
    return f"reaches {ahead_by}" if ahead_by else None


def concentration_charts(
    concentration: pl.DataFrame, *, whole: Mapping[str, int] | None = None
) -> list[Chart]:
    """Fleet-wide top-1/top-5 share and HHI: history lines, forecast q50 and q10–q90 band.
    ``whole``: the scopes whose customers are no more than the top 5, with no tail
    (concentration.customers_within_top): there the top-5 share is all of them, said so, not
    "moves from 100.0% to 100.0%"."""
    fleet = (whole or {}).get(ALL_CLASSES)
    rows = _overall(concentration)
    charts: list[Chart] = []
    shares = rows.filter(pl.col("metric").is_in(["top1_share", "top5_share"]))
    if shares.height:
        fig = go.Figure()
        for metric, colour in (("top1_share", "#c62828"), ("top5_share", "#1f77b4")):
            _concentration_traces(fig, shares, metric, colour)
        _styled(
            fig,
            title="Customer concentration: share of demand held by the largest customers",
            x_title="date",
            y_title="share of mean GPU demand (%)",
        )
        fig.update_yaxes(tickformat=".0%")
        whose = {"top1_share": "the top-1 customer's", "top5_share": "the top-5 customers'"}
        moves = [
            f"{whose[m]} share {move}"
            for m in ("top1_share", "top5_share")
            if not (m == "top5_share" and fleet) and (move := _metric_move(shares, m))
        ]
        if fleet:
            moves.append(top_is_all_text(fleet))
        said = "; ".join(moves).capitalize() if moves else "No customer's share was measured"
        charts.append(Chart("concentration-share", fig, f"{said}."))
    hhi = rows.filter(pl.col("metric") == "hhi")
    if hhi.height:
        fig = go.Figure()
        _concentration_traces(fig, hhi, "hhi", "#6a3d9a")
        _styled(
            fig,
            title="Herfindahl-Hirschman index of customer demand (above 2,500: highly "
            "concentrated)",
            x_title="date",
            y_title="HHI (0–10,000)",
        )
        fig.update_yaxes(tickformat=",.0f")
        move = _metric_move(hhi, "hhi")
        said = f"HHI {move}" if move else "No HHI was measured"
        charts.append(Chart("concentration-hhi", fig, f"{said}."))
    return charts


# --- platform -------------------------------------------------------------------------------------


def _series_id(region: str, workload_class: str) -> str:
    return hierarchy.id_of(region, *([] if workload_class == ALL_CLASSES else [workload_class]))


def _first_above(
    days: Sequence[date], demand: Sequence[float | None], limit: Sequence[float]
) -> date | None:
    for day, need, have in zip(days, demand, limit, strict=True):
        if need is not None and need > have:
            return day
    return None


def _month_steps(months: pl.DataFrame, *, after: date | None) -> pl.DataFrame:
    """Monthly rows as steps: each month's values from its first day (or the day after the
    daily rows, ``after``, for the month they end in) to its last."""
    first = pl.col("ds") if after is None else pl.max_horizontal("ds", pl.lit(after + _DAY))
    return pl.concat(
        [months.with_columns(first.alias("ds")), months.with_columns(pl.col("ds").dt.month_end())]
    ).sort("ds")


_DAY = timedelta(days=1)


def _step_points(supply: pl.DataFrame, column: str = "gpus") -> pl.DataFrame:
    """The days a step line changes, plus the last: the same drawing from far fewer points (a
    36-month plan is 1,100 daily rows per chart)."""
    changed = pl.col(column) != pl.col(column).shift(1)
    keep = changed.fill_null(True) | (pl.int_range(pl.len()) == pl.len() - 1)
    return supply.filter(keep)


Headroom = float | pl.DataFrame


def _with_usable(capacity: pl.DataFrame, headroom: Headroom) -> pl.DataFrame:
    """``capacity`` (ds, gpus) with ``usable``: the GPUs that may be filled, the headroom kept
    free; ``headroom`` is one share, or dated steps (ds, headroom) each holding until the next."""
    if isinstance(headroom, pl.DataFrame):
        return (
            capacity.sort("ds")
            .join_asof(headroom.select("ds", "headroom").sort("ds"), on="ds")
            .with_columns(pl.col("headroom").fill_null(0.0))
            .with_columns(usable=pl.col("gpus") * (1 - pl.col("headroom")))
            .drop("headroom")
        )
    return capacity.with_columns(usable=pl.col("gpus") * (1 - headroom))


def _headroom_text(headroom: Headroom) -> str:
    """``14%``, or ``11–14%`` where the class mix moves it over the chart."""
    if not isinstance(headroom, pl.DataFrame):
        return fmt_pct(headroom, digits=0)
    shares = headroom["headroom"].to_list()
    lo, hi = fmt_pct(min(shares), digits=0), fmt_pct(max(shares), digits=0)
    return lo if lo == hi else f"{lo.rstrip('%')}–{hi}"


def _kept_free(headroom: Headroom) -> bool:
    if isinstance(headroom, pl.DataFrame):
        return any(share > 0 for share in headroom["headroom"].to_list())
    return headroom > 0


def fan_chart(
    *,
    key: str,
    history: pl.DataFrame,
    forecast: pl.DataFrame,
    capacity: pl.DataFrame,
    region: str,
    workload_class: str,
    headroom: Headroom,
    months: pl.DataFrame | None = None,
    calibrated: bool = True,
    quantile: str = "q90",
    book_only: bool = False,
    exhaustion: PoolExhaustion | None = None,
) -> Chart | None:
    """Peak demand of one region and class: history, forecast fan, capacity step line.

    ``workload_class`` may be 'all' (the region's own peak against every block in it).
    ``headroom`` draws the usable line (capacity that may be filled) when above zero: one
    share, or dated steps (ds, headroom) where it moves with the class mix (the all-classes
    chart, as the triggers weigh it). ``months`` (the run's ``forecast_months``) continues
    the fan past the daily rows as monthly steps, each month's peak day, lighter: its band's q90 is
    calibrated at 26 weeks only, or (``calibrated`` False) not at all, as its legend says. The
    month the daily rows end in continues from the next day,
    as the triggers read it. The takeaway reads the peak at ``quantile`` (the triggers'
    quantile's column: a report at q50 read "reaches capacity ... at q90" beside triggers
    judged at q50, dates that could not be compared). ``book_only``: the region's demand is
    the contract book's alone (schema.BOOK_ONLY), drawn as the ramp at ``quantile`` with no
    band and named as the book's, not a forecast's. ``exhaustion``: the triggers' verdict on
    the pool the chart draws (all classes, training), which dates its shortfall in the
    takeaway (:func:`_pool_takeaway`).
    """
    uid = _series_id(region, workload_class)
    peak = pl.col("measure") == Measure.PEAK.value
    ahead = forecast.filter((pl.col("unique_id") == uid) & peak).sort("ds")
    past = history.filter((pl.col("unique_id") == uid) & peak & pl.col("y").is_not_null()).sort(
        "ds"
    )
    shown = list(dict.fromkeys(("ds", "q10", "q50", "q90", quantile)))
    later = pl.DataFrame(schema=ahead.select(shown).schema)
    if months is not None and months.height:
        later = months.filter((pl.col("unique_id") == uid) & peak).select(shown)
        last_daily = ahead["ds"].max() if ahead.height else None
        if isinstance(last_daily, date):
            later = later.filter(pl.col("ds").dt.month_end() > last_daily)
        later = _month_steps(
            later.sort("ds"), after=last_daily if isinstance(last_daily, date) else None
        )
    if ahead.is_empty() and past.is_empty():
        return None
    if ahead.height:
        past = past.filter(pl.col("ds") >= ahead["ds"].min() - timedelta(days=_HISTORY_DAYS))  # type: ignore[operator]
    lo = min(f["ds"].min() for f in (ahead, past) if f.height)  # type: ignore[type-var]
    hi = max(f["ds"].max() for f in (ahead, past, later) if f.height)  # type: ignore[type-var]
    daily_supply = _with_usable(
        capacity.filter(
            (pl.col("region") == region)
            & (pl.col("workload_class") == workload_class)
            & pl.col("ds").is_between(lo, hi)
        ).sort("ds"),
        headroom,
    )
    supply = _step_points(daily_supply)
    usable = _step_points(daily_supply, "usable") if _kept_free(headroom) else None
    colour = _colour(workload_class, 0)
    fig = go.Figure()
    if past.height:
        fig.add_trace(
            go.Scatter(
                x=past["ds"].to_list(),
                y=past["y"].to_list(),
                mode="lines",
                line={"color": "#555", "width": 1},
                name="peak demand, history",
                hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f} GPUs<extra>history</extra>",
            )
        )
    if book_only:
        # The signed ramps are no forecast: one line, no band, named as the book's.
        for part, label in ((ahead, BOOK_LINE), (later, f"{BOOK_LINE}, monthly")):
            if part.height:
                fig.add_trace(_book_line(part, colour=colour, column=quantile, name=label))
    if ahead.height and not book_only:
        fig.add_traces(
            _fan(ahead, colour=colour, opacity=0.2, band="forecast q10–q90",
                 median="forecast q50",
                 hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f} GPUs<extra>q50</extra>")
        )  # fmt: skip
    if later.height and not book_only:
        # Its scale is chosen on how often demand passes q90 (longrange._calibrated_scale):
        # "calibrated" of the whole band read as if its q10 were too.
        basis = "q90 calibrated at 26 weeks only" if calibrated else "not calibrated"
        fig.add_traces(
            _fan(later, colour=colour, opacity=0.1, band=f"monthly peak q10–q90 ({basis})",
                 median="monthly peak q50", dash="dash",
                 hovertemplate="%{x|%Y-%m}: %{y:,.0f} GPUs<extra>monthly q50</extra>")
        )  # fmt: skip
    if supply.height:
        fig.add_trace(
            go.Scatter(
                x=supply["ds"].to_list(),
                y=supply["gpus"].to_list(),
                mode="lines",
                line={"color": "#111", "width": 2, "shape": "hv"},
                name="capacity in service",
                hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f} GPUs<extra>capacity</extra>",
            )
        )
        if usable is not None:
            fig.add_trace(
                go.Scatter(
                    x=usable["ds"].to_list(),
                    y=usable["usable"].to_list(),
                    mode="lines",
                    line={"color": "#111", "width": 1, "dash": "dot", "shape": "hv"},
                    name=f"usable ({_headroom_text(headroom)} headroom kept free)",
                    hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f} GPUs<extra>usable</extra>",
                )
            )
    name = f"{region} {'all classes' if workload_class == ALL_CLASSES else workload_class}"
    _styled(
        fig,
        title=f"{name}: daily peak demand against capacity",
        x_title="date",
        y_title="GPUs (daily peak hour)",
    )
    fig.update_yaxes(tickformat=",.0f")
    kept = _headroom_text(headroom) if usable is not None else None
    if exhaustion is not None and ahead.height and daily_supply.height:
        said = _pool_takeaway(
            name, ahead, later, daily_supply, exhaustion, kept=kept is not None, quantile=quantile
        )
    else:
        said = _fan_takeaway(name, ahead, daily_supply, kept, quantile=quantile) + (
            _months_takeaway(later, daily_supply, kept, quantile=quantile)
        )
    return Chart(key, fig, (f"{name}: {BOOK_ONLY}. " if book_only else "") + said)


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - _DAY


@dataclass(frozen=True, slots=True)
class PoolExhaustion:
    """The triggers' verdict on a pool: the first day its demand plus headroom passes the
    capacity it may use (None: not within the plan), whether the monthly rows dated it, and
    the last day the run verifies its statuses to (None: to the plan's end)."""

    day: date | None
    monthly: bool
    verified_to: date | None = None


def _first_drawn(
    ahead: pl.DataFrame, later: pl.DataFrame, supply: pl.DataFrame, *, quantile: str
) -> tuple[date, bool] | None:
    """The first day the drawn peak at ``quantile`` passes the drawn usable line, and whether
    it is on the monthly steps; None where it never does."""
    joined = ahead.sort("ds").join(supply.select("ds", "usable"), on="ds")
    above = joined.filter(pl.col(quantile) > pl.col("usable"))
    if above.height:
        return as_date(above["ds"].min()), False
    if later.is_empty():
        return None
    days = (
        later.sort("ds")
        .upsample("ds", every="1d")
        .with_columns(pl.col(quantile).forward_fill())
        .join(supply.select("ds", "usable"), on="ds")
        .filter(pl.col(quantile) > pl.col("usable"))
    )
    return (as_date(days["ds"].min()), True) if days.height else None


def _pool_takeaway(
    name: str,
    ahead: pl.DataFrame,
    later: pl.DataFrame,
    supply: pl.DataFrame,
    exhaustion: PoolExhaustion,
    *,
    kept: bool,
    quantile: str,
) -> str:
    """A pool's shortfall as the triggers date it, and the day the drawn lines cross where
    that differs.

    The lines are GPUs of every block in the region; the triggers count H100-equivalents of
    the blocks the pool may share (dedicated blocks left out with the demand they serve), so
    the demo's us-west chart "ate into the headroom" on a daily day the triggers judged
    within capacity, and a reader had two dates for one shortfall.
    """
    day, first = exhaustion.day, as_date(ahead["ds"].min())
    end = as_date((later if later.height else ahead)["ds"].max())
    until = f"{end:%B %Y}" if later.height else fmt_date(end)
    if day is None:
        said = f"{name} stays within the capacity the triggers count at {quantile} to {until}"
    elif exhaustion.monthly:
        said = (
            f"{name} stays within the capacity the triggers count at {quantile} on the daily "
            f"rows and runs short in {day:%B %Y} (monthly grain)"
        )
    elif day == first:
        said = f"{name} is short already on {fmt_date(day)} at {quantile}"
    else:
        said = f"{name} runs short on {fmt_date(day)} at {quantile}"
    # Each date says its measure where it stands: "runs short in April 2028" then "the lines
    # drawn cross the usable line in January 2028" read as two dates for one shortfall.
    said += (
        " in H100-equivalents of the blocks the pool may use (demand plus headroom: the "
        "triggers' date, which the orders follow)"
    )
    verified = exhaustion.verified_to
    # A monthly date stands for its month: past the verified day if its month ends past it.
    latest = None if day is None else (_month_end(day) if exhaustion.monthly else day)
    if verified is not None and day is None and end > verified:
        said += f", to {fmt_date(verified)} only: not verified beyond"
    elif verified is not None and latest is not None and latest > verified:
        said += f", past {fmt_date(verified)}, the last day the statuses are verified: not verified"
    said += "."
    drawn = _first_drawn(ahead, later, supply, quantile=quantile)
    line = "the usable line" if kept else "capacity"
    if drawn is None:
        same = day is None
        crossed = f"stay under {line}"
    else:
        at, monthly = drawn
        same = (
            day is not None
            and monthly == exhaustion.monthly
            and ((at.year, at.month) == (day.year, day.month) if monthly else at == day)
        )
        crossed = f"cross {line} " + (f"in {at:%B %Y}" if monthly else f"on {fmt_date(at)}")
    if same:
        return said
    return (
        f"{said} In GPUs of every block in the region, as the chart draws them, its lines "
        f"{crossed}: another measure, not a second shortfall date."
    )


# How a region's chart names the ramps of a region whose demand is the contract book's alone.
BOOK_LINE = "contract book (no telemetry yet: not forecast)"


def _book_line(part: pl.DataFrame, *, colour: str, column: str, name: str) -> go.Scatter:
    """The contract book's GPUs on each day or month of ``part`` (its ``column``), a step line."""
    return go.Scatter(
        x=part["ds"].to_list(),
        y=part[column].to_list(),
        mode="lines",
        line={"color": colour, "width": 2, "shape": "hv"},
        name=name,
        hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f} GPUs<extra>contract book</extra>",
    )


def _months_takeaway(
    later: pl.DataFrame, supply: pl.DataFrame, kept: str | None, *, quantile: str
) -> str:
    """Past the daily rows: the first month whose peak at ``quantile`` is above capacity, or
    above the usable capacity (the headroom kept free, ``kept``, which the triggers count as
    running short), or none; read as the daily takeaway reads its days."""
    if later.is_empty() or supply.is_empty():
        return ""
    # Every day the monthly steps cover, with that day's capacity and usable capacity.
    days = (
        later.sort("ds")
        .upsample("ds", every="1d")
        .with_columns(pl.col(quantile).forward_fill())
        .join(supply.select("ds", "gpus", "usable"), on="ds")
    )
    end = later["ds"].max()
    assert isinstance(end, date)

    def first_day(limit: str) -> date | None:
        above = days.filter(pl.col(quantile) > pl.col(limit))
        return None if above.is_empty() else above["ds"].min()  # type: ignore[return-value]

    full = first_day("gpus")
    usable = first_day("usable") if kept else None
    if full is not None and full == days["ds"].min():
        # "reaches capacity in June 2027" after "already above capacity on 2026-12-04" read as
        # a pool that catches up with its capacity six months after it ran over it.
        return (
            f" At the monthly grain the {quantile} peak is above capacity in its first month, "
            f"{full:%B %Y}."
        )
    if full is not None:
        extra = f" (usable capacity in {usable:%B %Y})" if usable and usable < full else ""
        return f" At the monthly grain the {quantile} peak reaches capacity in {full:%B %Y}{extra}."
    if usable is not None:
        return (
            f" At the monthly grain the {quantile} peak eats into the {kept} headroom in "
            f"{usable:%B %Y} but stays within capacity to {end:%B %Y}."
        )
    return f" Monthly peaks stay within capacity at {quantile} to {end:%B %Y}."


def _fan_takeaway(
    name: str, ahead: pl.DataFrame, supply: pl.DataFrame, kept: str | None, *, quantile: str
) -> str:
    if ahead.is_empty():
        return f"{name}: history only, no forecast in this run."
    if supply.is_empty():
        return f"{name}: no capacity in service for this class in this region."
    joined = ahead.sort("ds").join(supply.select("ds", "gpus", "usable"), on="ds")
    if joined.is_empty():
        return f"{name}: the forecast lies outside the capacity timeline."
    days, peak, cap = joined["ds"].to_list(), joined[quantile].to_list(), joined["gpus"].to_list()
    full = _first_above(days, peak, cap)
    usable = _first_above(days, peak, joined["usable"].to_list()) if kept else None
    if full is not None and full == days[0]:
        return f"{name} peak at {quantile} is already above capacity on {fmt_date(full)}."
    if full is not None:
        extra = f" (usable capacity on {fmt_date(usable)})" if usable and usable < full else ""
        return f"{name} peak reaches capacity on {fmt_date(full)} at {quantile}{extra}."
    if usable is not None:
        return (
            f"{name} peak at {quantile} eats into the {kept} headroom on "
            f"{fmt_date(usable)} but stays within capacity to {fmt_date(days[-1])}."
        )
    i = max(range(len(days)), key=lambda k: (peak[k] or 0.0) / max(cap[k], 1))
    return (
        f"{name} peak stays within capacity to {fmt_date(days[-1])} at {quantile}; closest on "
        f"{fmt_date(days[i])}, {fmt_gpus(peak[i])} of {fmt_gpus(cap[i])} GPUs."
    )


def slo_chart(verdicts: pl.DataFrame, *, unverified: Sequence[str] = ()) -> Chart | None:
    """SLO attainment reached on 90 % of paths, per class, grouped by drill, with targets;
    the caption counts the ``unverified`` drills apart from those that pass."""
    if verdicts.is_empty():
        return None
    order = [c.value for c in WorkloadClass]
    classes = sorted(
        verdicts["workload_class"].unique().to_list(),
        key=lambda c: (c not in order, order.index(c) if c in order else 0, c),
    )
    labels = [plot_text(c) for c in classes]
    fig = go.Figure()
    drills = verdicts["drill"].unique(maintain_order=True).to_list()
    for i, drill in enumerate(drills):
        part = verdicts.filter(pl.col("drill") == drill)
        # A class with no demand has no attainment to draw (it held trivially).
        measured = part.filter(pl.col("has_demand").fill_null(True))
        by_class = dict(
            zip(measured["workload_class"], measured["attainment_p90_paths"], strict=True)
        )
        fig.add_trace(
            go.Bar(
                x=labels,
                y=[by_class.get(c) for c in classes],
                name=plot_text(drill),
                marker_color=_PALETTE[i % len(_PALETTE)],
                hovertemplate="%{x}: %{y:.1%}",
            )
        )
    targets = verdicts.group_by("workload_class").agg(pl.col("slo_target").max())
    target_of = dict(zip(targets["workload_class"], targets["slo_target"], strict=True))
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=[target_of.get(c) for c in classes],
            mode="markers",
            marker={"symbol": "line-ew", "size": 40, "line": {"width": 3, "color": "#111"}},
            name="SLO target",
            hovertemplate="%{x} target: %{y:.0%}<extra></extra>",
        )
    )
    _styled(
        fig,
        title="SLO attainment per class reached on 90% of paths, by drill",
        x_title="workload class",
        y_title="hours with headroom held (%)",
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    # A drill not verified (or a class with no demand) measured no attainment: an Azure hour
    # forecast as zero read "the lowest against target is inference in all-2x-step at 100.0%".
    judged = verdicts.filter(
        ~pl.col("drill").is_in(list(unverified)) & pl.col("has_demand").fill_null(True)
    )
    worst = (
        judged.with_columns(gap=pl.col("slo_target") - pl.col("attainment_p90_paths"))
        .sort("gap")
        .row(-1, named=True)
        if judged.height
        else None
    )
    failing = verdicts.filter(~pl.col("passed"))["drill"].n_unique()
    lead = f"{failing} of {len(drills)} drill{'s' if len(drills) != 1 else ''} fail"
    held = [d for d in drills if d in unverified]
    if held:
        # Their attainment is of less than the drill is named for (a shock cut short, or no
        # demand to shock): "0 of 7 fail" read as seven passes.
        lead += f", {len(held)} not verified ({', '.join(map(str, held))})"
    if worst is None:
        return Chart("slo", fig, f"{lead}; no verified drill measured an attainment.")
    return Chart(
        "slo",
        fig,
        f"{lead}; the lowest against target is {worst['workload_class']} in {worst['drill']} at "
        f"{fmt_pct(worst['attainment_p90_paths'])} for a {fmt_pct(worst['slo_target'], digits=0)} "
        "target.",
    )


def _daily_backlog(rows: pl.DataFrame) -> pl.DataFrame:
    """Each class's highest hourly backlog per UTC day, P50 and P90 (their daily peaks).

    A day's peak keeps what the hourly curve shows a planner (how high the queue got, when it
    drained) at a twenty-fourth of the points: 26 weeks of six drills drawn hourly made the
    platform page 12.9 MB, too heavy to open at once.
    """
    return (
        rows.group_by(
            pl.col("ts").dt.truncate("1d").alias("ts"), "workload_class", maintain_order=True
        )
        .agg(pl.col("backlog_p50").max(), pl.col("backlog_p90").max())
        .sort("ts", maintain_order=True)
    )


# How each unshocked or laddered variant of a drill is drawn next to the shocked curve.
_VARIANT_STYLE: dict[str, tuple[str, str]] = {
    "baseline": ("dot", "unshocked"),
    "ladder": ("dashdot", "with the ladder"),
}


def _variant_peak(variants: pl.DataFrame, variant: str, workload_class: str) -> float | None:
    """The highest hourly P90 backlog of one class in one variant, None when not drawn."""
    rows = variants.filter(
        (pl.col("variant") == variant) & (pl.col("workload_class") == workload_class)
    )
    peak = rows["backlog_p90"].max()
    return float(peak) if isinstance(peak, int | float) else None


def _rung_markers(fig: go.Figure, rungs: pl.DataFrame, shock_start: date) -> None:
    """A dotted vertical line where each rung first came into use in any region (P50 over the
    paths that used it), labelled by rung; hovering the label lists every region's first use.
    Labels step down so rungs that came in together stay legible."""
    used = rungs.filter(pl.col("first_used_hour_p50").is_not_null()).sort(
        "first_used_hour_p50", "rung", "region"
    )
    start = datetime(shock_start.year, shock_start.month, shock_start.day, tzinfo=UTC)
    for i, (_, part) in enumerate(used.group_by("rung", maintain_order=True)):
        first = part.row(0, named=True)
        hours = first["first_used_hour_p50"]
        when = start + timedelta(hours=hours)
        where = "" if first["region"] == ALL_CLASSES else f" in {first['region']}"
        every = ", ".join(
            f"{r['region']} +{r['first_used_hour_p50']:,.0f} h" for r in part.iter_rows(named=True)
        )
        fig.add_shape(
            type="line",
            x0=when,
            x1=when,
            y0=0,
            y1=1,
            yref="paper",
            line={"color": "#555", "dash": "dot", "width": 1},
        )
        fig.add_annotation(
            x=when,
            y=1 - 0.08 * (i % 4),
            yref="paper",
            text=plot_text(f"{first['rung']} from +{hours:,.0f} h{where}"),
            hovertext=plot_text(
                f"{first['rung']} first used (P50 of paths, after the shock): {every}"
            ),
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font={"size": 10, "color": "#333"},
            bgcolor="rgba(255,255,255,0.85)",
        )


def backlog_chart(
    curves: pl.DataFrame,
    *,
    drill: str,
    key: str,
    variants: pl.DataFrame | None = None,
    rungs: pl.DataFrame | None = None,
    shock_start: date | None = None,
) -> Chart | None:
    """Backlog over the drill's horizon per class, daily peaks: P50 solid, P90 dashed.

    Beside the shocked curve, each class's P90 without the shock (``baseline``, dotted) and
    with the response ladder (``ladder``, dash-dot) where ``variants`` holds them; with
    ``shock_start``, a dotted line where each rung of ``rungs`` first came into use.
    """
    rows = curves.filter(pl.col("drill") == drill).sort("ts")
    if rows.is_empty():
        return None
    others = (
        variants.filter(pl.col("drill") == drill).sort("ts")
        if variants is not None
        else pl.DataFrame(
            schema={
                "variant": pl.String,
                "ts": pl.Datetime("us", "UTC"),
                "workload_class": pl.String,
                "backlog_p50": pl.Float64,
                "backlog_p90": pl.Float64,
            }
        )
    )
    daily = _daily_backlog(rows)
    fig = go.Figure()
    for i, cls in enumerate(daily["workload_class"].unique(maintain_order=True).to_list()):
        part = daily.filter(pl.col("workload_class") == cls)
        colour = _colour(cls, i)
        for stat, dash in (("p50", "solid"), ("p90", "dash")):
            fig.add_trace(
                go.Scatter(
                    x=part["ts"].to_list(),
                    y=part[f"backlog_{stat}"].to_list(),
                    mode="lines",
                    line={"color": colour, "dash": dash, "width": 1.5},
                    name=plot_text(f"{cls} {stat.upper()}"),
                    legendgroup=plot_text(cls),
                    hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f} GPU-h (daily peak)",
                )
            )
        for variant, (dash, label) in _VARIANT_STYLE.items():
            drawn = others.filter(
                (pl.col("variant") == variant) & (pl.col("workload_class") == cls)
            )
            if drawn.is_empty():
                continue
            peaks = _daily_backlog(drawn)
            fig.add_trace(
                go.Scatter(
                    x=peaks["ts"].to_list(),
                    y=peaks["backlog_p90"].to_list(),
                    mode="lines",
                    line={"color": colour, "dash": dash, "width": 1},
                    opacity=0.7,
                    name=plot_text(f"{cls} P90 {label}"),
                    legendgroup=plot_text(cls),
                    showlegend=False,
                    hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f} GPU-h (daily peak)",
                )
            )
    # One key entry per variant drawn: per class they toggle with the class's own entry.
    for variant, (dash, label) in _VARIANT_STYLE.items():
        if others.filter(pl.col("variant") == variant).height:
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="lines",
                    line={"color": "#555", "dash": dash, "width": 1},
                    name=f"P90 {label}",
                    hoverinfo="skip",
                )
            )
    if rungs is not None and shock_start is not None:
        _rung_markers(fig, rungs.filter(pl.col("drill") == drill), shock_start)
    _styled(
        fig,
        title=f"Backlog during drill {drill}",
        x_title="day (UTC)",
        y_title="backlog, daily peak (GPU-hours queued)",
        height=520,
    )
    fig.update_yaxes(tickformat=",.0f")
    top = rows.sort("backlog_p90").row(-1, named=True)
    if not top["backlog_p90"]:
        takeaway = f"No backlog builds up in drill {drill} on 90% of paths."
    else:
        # The hour-by-hour P90 across paths, not the P90 of each path's own peak (the KPI
        # table's "peak backlog"): both read "P90 peak backlog", 85,653 beside 88,514.
        takeaway = (
            f"The hourly P90 of the backlog across paths peaks at "
            f"{fmt_gpu_hours(top['backlog_p90'])} for {top['workload_class']} on "
            f"{fmt_date(top['ts'])} in drill {drill}"
        )
        for variant, (_, label) in _VARIANT_STYLE.items():
            peak = _variant_peak(others, variant, top["workload_class"])
            if peak is not None:
                takeaway += f"; {fmt_gpu_hours(peak)} {label}"
        takeaway += "."
    return Chart(key, fig, takeaway)


# --- facilities -----------------------------------------------------------------------------------

# Below what fmt_mw shows (one decimal): "0.0 MW more" says nothing.
_MW_SHOWN_CHART = 0.05


def site_power_chart(
    power: pl.DataFrame,
    *,
    site: str,
    key: str,
    supply: pl.DataFrame | None = None,
    last_month: date | None = None,
    unsized: int = 0,
    past_ceiling_mw: float = 0.0,
    short_from: date | None = None,
) -> Chart | None:
    """Facility MW per month at one site: in service and on order, stacked to what is needed,
    against the MW energized and secured (energized plus contracted) where the site is declared.
    ``past_ceiling_mw``: the MW of the orders placed there past its ceiling, in no month's
    need (a new site's), which the takeaway names beside it. ``short_from``: the site's power
    trigger's first short day, which the takeaway names where it falls in the first month
    drawn short (the same day, read day by day).

    Every line stops at ``last_month`` (the first day of the page's last month, the plan's or
    later: :func:`forecasting.report.inputs.facilities_last_month`; None: the last month of
    ``power``): a need past it (an order or block landing after the plan's end) is not drawn,
    and the takeaway says how much and from when."""
    site_rows = power.filter(pl.col("site") == site).sort("month")
    orders, lands = ("1 order", "it lands") if unsized == 1 else (f"{unsized} orders", "they land")
    within = pl.col("month") <= last_month if last_month is not None else pl.lit(True)
    rows = site_rows.filter(within)
    if rows.is_empty():
        return None
    months = rows["month"].to_list()
    fig = go.Figure()
    lines = (
        supply.filter((pl.col("site") == site) & within).sort("month")
        if supply is not None
        else None
    )
    if lines is not None and lines.height:
        for column, name, dash in (
            ("energized_mw", "energized", "solid"),
            ("contracted_mw", "energized + contracted", "dash"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=lines["month"].to_list(),
                    y=lines[column].to_list(),
                    mode="lines",
                    line={"shape": "hv", "color": "#2e7d32", "dash": dash, "width": 2},
                    name=name,
                    hovertemplate="%{x|%b %Y}: %{y:,.1f} MW<extra>" + name + "</extra>",
                )
            )
    for column, name, colour in (
        ("mw_in_service", "in service", "#455a64"),
        # From when each order's MW is needed, as the power triggers count it (an order dated
        # to land with its site's power lands later: the Blocks table says when).
        ("mw_new_blocks", "ordered or to order, from when needed", "#ef8f00"),
    ):
        fig.add_trace(
            go.Bar(
                x=months,
                y=rows[column].to_list(),
                name=name,
                marker_color=colour,
                hovertemplate="%{x|%b %Y}: %{y:,.1f} MW<extra>" + name + "</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=months,
            y=rows["mw_needed"].to_list(),
            # A tick per month, not a line: a line between bars suggests a ramp that the
            # monthly figures do not have.
            mode="markers",
            marker={"symbol": "line-ew", "size": 36, "line": {"width": 2.5, "color": "#111"}},
            name="needed",
            hovertemplate="%{x|%b %Y}: %{y:,.1f} MW<extra>needed</extra>",
        )
    )
    region = rows["region"][0]
    _styled(
        fig,
        title=f"{site} ({region}): facility power by month",
        x_title="month",
        y_title="facility power (MW)",
        height=340,
    )
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_xaxes(tickformat="%b %Y", dtick="M1" if len(months) <= 12 else "M3")
    fig.update_yaxes(tickformat=",.1f")
    # The first month that reaches the peak: the date the power must be there by.
    peak = rows.filter(pl.col("mw_needed") == pl.col("mw_needed").max()).row(0, named=True)
    now = rows.row(0, named=True)
    gap = peak["mw_needed"] - now["mw_in_service"]
    # Short only on a day whose need is above that day's energized MW: the month's busiest
    # day against its leanest read 33 MW against 30 MW where the power stepped up on the 8th
    # and the blocks landed on the 10th.
    short = (
        lines.join(rows.select("month", "mw_needed"), on="month").filter(pl.col("short_days") > 0)
        if lines is not None and lines.height
        else None
    )
    if short is not None and short.height:
        first = short.row(0, named=True)
        # The first short month, then the peak: "needs up to" the first short month's MW read
        # as the most the site needs (48.9 MW where the chart peaks at 283.2 MW).
        most = (
            f"; it needs up to {fmt_mw(peak['mw_needed'])} by {peak['month']:%b %Y}"
            if peak["mw_needed"] > first["mw_needed"] + 0.05
            else ""
        )
        # "Up to ... that month": the month's most, beside the power table's first short day's
        # MW (the demo's us-west-a read 32.6 MW here, 31.1 MW there, one site and one day).
        # What the month reads, said in the caption: "short of power from Apr 2027" beside a
        # power table short from 2027-04-08 left the reader to guess the grain and the rows.
        rows_said = (
            "MW needed (the blocks in service and the plan's orders placed here, from when "
            "their pool needs them) passes that day's MW energized"
        )
        first_day = (
            f"{short_from:%Y-%m-%d} in the power table is the first day the {rows_said}"
            if short_from is not None and short_from.replace(day=1) == first["month"]
            else f"the first month with a day whose {rows_said}"
        )
        reads = (
            f" (read day by day: {first_day}; drawn by month, each month's busiest day against "
            "its leanest day energized)"
        )
        takeaway = (
            f"{site} is short of power from {first['month']:%b %Y}{reads}: up to "
            f"{fmt_mw(first['mw_needed'])} needed that month, more than is energized there on "
            f"{first['short_days']} of its days (from "
            f"{fmt_mw(first['energized_mw'])}){most}. Power, not blocks, is the constraint there."
        )
        # MW past the ceiling are no contract's to bring on: "power is the constraint" alone
        # sent the reader to contract MW the site can never take (the demo's us-east-b, 54.9
        # MW past its ceiling).
        assert lines is not None  # the short months are read off them
        ceiling = lines.filter(pl.col("month") <= peak["month"])["ceiling_mw"].drop_nulls()
        if ceiling.len() and peak["mw_needed"] > float(ceiling[-1]) + 0.05:
            cap = float(ceiling[-1])
            takeaway += (
                f" {fmt_mw(peak['mw_needed'] - cap)} of the {fmt_mw(peak['mw_needed'])} it needs "
                f"is past its {fmt_mw(cap)} ceiling, which no contract brings on: {NEW_SITE} for "
                "it."
            )
    elif gap > 0.05:
        takeaway = (
            f"{site} needs {fmt_mw(peak['mw_needed'])} by {peak['month']:%b %Y}, "
            f"{fmt_mw(gap)} more than the {fmt_mw(now['mw_in_service'])} in service in "
            f"{now['month']:%b %Y}."
        )
    elif unsized:
        # Its region's orders not sized are in no month's MW: "needs no more than" read as
        # measured where the 26-week run of the same ServeGen fleet needed +3.8 MW.
        takeaway = (
            f"What {site} needs is not measured ({orders} not sized in "
            f"{site_rows['region'][0]}: the forecast ends before {lands}); its blocks in "
            f"service and the orders sized need no more than the "
            f"{fmt_mw(now['mw_in_service'])} in service in {now['month']:%b %Y}."
        )
    else:
        takeaway = (
            f"{site} needs no more than the {fmt_mw(now['mw_in_service'])} in service in "
            f"{now['month']:%b %Y}."
        )
    if past_ceiling_mw > _MW_SHOWN_CHART:
        # Said beside the need, as the power row says it: counted in it, the paragraph read
        # "88.2 MW of the 138.2 MW it needs is past its 50.0 MW ceiling" beside a power row of
        # 49.69 MW needed (the demo's us-east-b).
        caps = lines["ceiling_mw"].drop_nulls() if lines is not None else pl.Series([])
        beyond = f"its {fmt_mw(float(caps[-1]))} ceiling" if caps.len() else "its ceiling"
        takeaway += (
            f" Not counted: {fmt_mw(past_ceiling_mw)} of orders placed here past {beyond}, "
            f"which no contract brings on: {NEW_SITE} for them."
        )
    if unsized and not takeaway.startswith(f"What {site} needs is not measured"):
        takeaway += (
            f" Not counted: {orders} not sized in {site_rows['region'][0]} (the forecast ends "
            f"before {lands}): {'its' if unsized == 1 else 'their'} MW not measured."
        )
    return Chart(key, fig, takeaway + _past_the_window(site_rows, rows))


def _past_the_window(site_rows: pl.DataFrame, drawn: pl.DataFrame) -> str:
    """' Not drawn: X MW more from <month>, after the last month shown ...' where
    ``site_rows`` (one site's MW by month) need more past the months ``drawn``; '' else.

    The forecast does not reach there: a need drawn past the plan's end, beside no energized
    line, read as a shortfall the plan had measured."""
    last = drawn["month"][-1]  # drawn is by month
    before = float(drawn["mw_needed"][-1])
    later = site_rows.filter(
        (pl.col("month") > last) & (pl.col("mw_needed") > before + _MW_SHOWN_CHART)
    )
    if later.is_empty():
        return ""
    most = later.filter(pl.col("mw_needed") == pl.col("mw_needed").max()).row(0, named=True)
    first = later.row(0, named=True)
    return (
        f" Not drawn: {fmt_mw(most['mw_needed'] - before)} more from {first['month']:%b %Y}, "
        f"after the last month shown ({last:%b %Y}), for orders or blocks landing past the "
        "plan's end: not within the horizon."
    )
