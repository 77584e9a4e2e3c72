"""When the deal is served in full: the orders that land after its pools run short, and the spans it
is short."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from forecasting.contracts import Contract
from forecasting.triggers import daily_end_of
from forecasting.whatif.orders import USD_TOL, deal_pools


def late_orders(
    orders: pl.DataFrame,
    placements: pl.DataFrame,
    deal: Contract,
    *,
    worse: pl.Series | None = None,
) -> pl.DataFrame:
    """The orders of the deal's pools, with the deal, that are in service only after their
    pool runs short even if ordered today: the triggers' red rows (``orders``) and the red
    later orders of the plan (``placements``, tranche 2 on: a deal read "served from its first
    day" while a later order of its pool landed 14 months after its shortfall). A red order
    that arrives in time but waits for its site's power is :func:`served_once_powered`'s to judge.
    ``worse`` (:func:`worse_days`): only the days the deal adds to its pools' shortfall count,
    each order's wait starting on the first of them (None: every day counts).
    Columns: region, pool, arrives (null: no candidate serves the pool), exhaustion_with."""
    # An order waiting for its site's power is dated to land with it (triggers.power_waits.
    # with_its_power): its wait is the power's (power_waits), which runs past its arrival,
    # not blocks "ordered today" landing late (the note read "short of blocks until
    # 2026-11-04, when blocks ordered today are in service" of racks due in August).
    waiting = ~pl.col("powered").fill_null(True) & pl.col("site").is_not_null()
    dated = placements.filter(waiting & (pl.col("tranche").fill_null(1) == 1))
    first = (
        deal_pools(orders, deal)
        .filter(pl.col("status_with") == "red")
        .join(dated.select("region", "pool").unique(), on=["region", "pool"], how="anti")
    )
    later = deal_pools(
        placements.filter((pl.col("tranche") > 1) & (pl.col("status") == "red") & ~waiting), deal
    ).select("region", "pool", "arrives", exhaustion_with=pl.col("exhaustion_date"))
    late = pl.concat([first.select(later.columns), later], how="vertical_relaxed").filter(
        pl.col("arrives").is_null()
        | pl.col("exhaustion_with").is_null()
        | (pl.col("arrives") > pl.col("exhaustion_with"))
    )
    return late if worse is None else waits_on_added_days(late, worse, until="arrives")


def waits_on_added_days(gaps: pl.DataFrame, worse: pl.Series, *, until: str) -> pl.DataFrame:
    """The waits of ``gaps`` (each short from ``exhaustion_with`` until ``until``; null: not
    within the plan) that hold a day the deal adds to its pools' shortfall (``worse``), each
    starting on the first such day. A wait on days the plan is short by the same GPUs without
    the deal is the plan's (:func:`baseline_short_note`), not the deal's. A wait without a start
    (no shortfall date) is kept: nothing says it is the plan's."""
    if gaps.is_empty():
        return gaps
    undated = gaps.filter(pl.col("exhaustion_with").is_null())
    days = pl.DataFrame({"worse_from": worse}, schema={"worse_from": pl.Date()}).sort("worse_from")
    dated = (
        gaps.filter(pl.col("exhaustion_with").is_not_null())
        .sort("exhaustion_with")
        .join_asof(days, left_on="exhaustion_with", right_on="worse_from", strategy="forward")
        .filter(
            pl.col("worse_from").is_not_null()
            & (pl.col(until).is_null() | (pl.col("worse_from") < pl.col(until)))
        )
        .with_columns(exhaustion_with=pl.col("worse_from"))
        .drop("worse_from")
    )
    return pl.concat([dated, undated.select(dated.columns)])


def served_in_full_from(
    orders: pl.DataFrame,
    deal: Contract,
    *,
    horizon_end: date,
    forecast: pl.DataFrame,
    placements: pl.DataFrame,
    worse: pl.Series | None = None,
) -> tuple[date | None, str]:
    """The first day the deal is served in full, and why (see the module docstring); only the
    days the deal adds to its pools' shortfall count where ``worse`` is given."""
    first = deal.ramp[0].day
    region = deal_pools(orders, deal)
    short = late_orders(orders, placements, deal, worse=worse)
    if short.height == 0:
        if (region["extra_capex_usd"].abs() > USD_TOL).any() or (
            region["blocks_with"] != region["blocks_without"]
        ).any():
            return (
                first,
                "served from its first ramp day: every order it needs can still arrive in time",
            )
        sooner = region.filter(pl.col("order_by") < pl.col("order_by_without"))
        if sooner.height:
            # No extra block, but the one already planned is due sooner: "on the capacity
            # already planned" hid a $368.6M order pulled forward to ten days away.
            moved = "; ".join(
                f"{r['region']}/{r['pool']} {r['order_by_without']} -> {r['order_by']}"
                for r in sooner.iter_rows(named=True)
            )
            return first, (
                "served from its first ramp day with no extra block, but the orders already "
                f"planned are due sooner ({moved})"
            )
        return first, (
            "served from its first ramp day on the capacity already planned: it needs no "
            "extra block"
        )
    if short.filter(pl.col("arrives").is_null()).height:
        pools = ", ".join(short.filter(pl.col("arrives").is_null())["pool"].to_list())
        return None, f"not within the horizon: no candidate block can serve the {pools} pool"
    arrival: date = short["arrives"].max()  # type: ignore[assignment]
    exhaustion: date = short["exhaustion_with"].min()  # type: ignore[assignment]
    day = max(arrival, first)
    if day > horizon_end:
        return None, f"not within the horizon (blocks ordered today arrive {arrival})"
    if exhaustion > first:
        return day, (
            f"served from its first ramp day on the capacity planned until the shortfall from "
            f"{day_or_month(exhaustion, forecast)}, then short until blocks ordered today are "
            f"in service on {arrival}: in full again from {day}"
        )
    return day, (
        f"short from {exhaustion}: blocks ordered today are in service on {arrival}, "
        f"so the deal is served in full from {day}"
    )


def first_short_day(
    orders: pl.DataFrame,
    deal: Contract,
    serve_from: date | None,
    placements: pl.DataFrame,
    *,
    waits: pl.DataFrame | None = None,
    worse: pl.Series | None = None,
) -> date | None:
    """When the deal goes short, if it is served from its first ramp day until then and in
    full again only from ``serve_from``; None when it is served throughout, or short from its
    first day. The pools whose orders land after their shortfall, or wait for power past it
    (``waits``), go short first; else every pool the deal draws on. ``worse``: only the days
    the deal adds to its pools' shortfall count (:func:`worse_days`)."""
    first = deal.ramp[0].day
    if serve_from is None or serve_from <= first:
        return None
    late = late_orders(orders, placements, deal, worse=worse).get_column("exhaustion_with")
    if waits is not None:
        late = pl.concat([late, waits.get_column("exhaustion_with")])
    short = (late if late.len() else deal_pools(orders, deal)["exhaustion_with"]).drop_nulls()
    day = short.min() if short.len() else None
    return day if isinstance(day, date) and day > first else None


def _short_from(
    orders: pl.DataFrame,
    deal: Contract,
    serve_from: date | None,
    forecast: pl.DataFrame,
    placements: pl.DataFrame,
    *,
    waits: pl.DataFrame | None = None,
) -> str | None:
    """:func:`first_short_day` as the tables read it: the day, or its month on the plan's monthly
    rows (whose first day would read as a measured date)."""
    day = first_short_day(orders, deal, serve_from, placements, waits=waits)
    return None if day is None else day_or_month(day, forecast)


def merged_spans(short: Sequence[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """Spans short (first day, first day served again; None: never), overlapping ones merged
    (a late order and a wait for power can cover the same days)."""
    merged: list[tuple[date, date | None]] = []
    for begin, end in sorted(short, key=lambda span: span[0]):
        if merged and (merged[-1][1] is None or begin <= merged[-1][1]):
            last = merged[-1][1]
            merged[-1] = (merged[-1][0], None if last is None or end is None else max(last, end))
        else:
            merged.append((begin, end))
    return merged


def short_span_count(short: Sequence[tuple[date, date | None]], *, after: date) -> int:
    """How many separate spans the deal is short in, once overlapping ones are merged, among
    those that end after ``after`` (the ramp's first day)."""
    return sum(1 for _, end in merged_spans(short) if end is None or end > after)


def day_or_month(day: date, forecast: pl.DataFrame) -> str:
    """``day``, or its month past the forecast's daily rows (a monthly row's first day is no
    date); the same rule as the tables' (:attr:`WhatIf.daily_end`)."""
    end = daily_end_of(forecast)
    return f"{day:%B %Y}" if end is not None and day > end else str(day)


def short_windows(
    orders: pl.DataFrame,
    placements: pl.DataFrame,
    deal: Contract,
    *,
    waits: pl.DataFrame,
    worse: pl.Series | None = None,
) -> list[tuple[date, date | None]]:
    """The spans the deal's pools are short (first day, first day served again; None: not
    within the plan): each order that lands after its shortfall, or waits for power past it,
    from the first day the deal adds to the shortfall where ``worse`` is given. Between them
    the deal is served in full, and earns."""
    late = late_orders(orders, placements, deal, worse=worse).select("exhaustion_with", "arrives")
    dark = waits.select("exhaustion_with", arrives=pl.col("powered_from"))
    spans = pl.concat([late, dark], how="vertical_relaxed").filter(
        pl.col("exhaustion_with").is_not_null()
    )
    return list(spans.iter_rows())
