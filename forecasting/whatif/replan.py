"""The triggers' re-plan with the deal: the orders it moves, and the notes that say it apart from
the deal's capital."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import NamedTuple

import polars as pl

from forecasting.capacity import CapacityPlan
from forecasting.contracts import Contract
from forecasting.text import days_count, usd
from forecasting.triggers import TriggerResult, TriggerSettings
from forecasting.triggers.common import NO_ORDER_BY
from forecasting.whatif.blocks import GPU_TOL, lacking_gpus
from forecasting.whatif.capital import deal_blocks_text
from forecasting.whatif.orders import USD_TOL, deal_pools
from forecasting.whatif.power import usable_orders

__all__ = ["REPLANNED"]

# Leads the note on the plan's re-chosen orders (WhatIf.replan_note), which the CLI and the
# pages print apart from the deal's capex.
REPLANNED = "the plan re-chose its later orders"


def replan_capex_note(
    orders: pl.DataFrame,
    deal_blocks: pl.DataFrame,
    *,
    replan_capex: float,
    replan_mw: float,
    own_capex: float,
    unmeasured: str = "",
) -> str:
    """What the plan's re-chosen orders move by, beside the blocks the deal's own GPUs need
    ('' where they move by those blocks alone), never the extra capex (rule 2 of the module
    docstring's "Capital"); ``unmeasured``: why the deal's own blocks are not measured at all
    (:func:`unservable_pools`).

    The triggers re-run with the deal re-choose the plan's later orders (block types bridged
    to a later generation, a cheaper plan, dates and sites moved by power), which jump with
    demand: a flat 500-GPU training deal read "extra capex $263.2M, 12.3 MW" (34 racks, 8,704
    GPUs) and -$41.0M on the very pool it runs in, ~$526k a GPU."""
    if abs(replan_capex - own_capex) <= USD_TOL:
        return ""
    moved = orders.filter(pl.col("extra_capex_usd").abs() > USD_TOL)
    pools = ", ".join(
        f"{r['region']} {r['pool']} {'+' if r['extra_capex_usd'] > 0 else ''}"
        f"{usd(r['extra_capex_usd'])}"
        for r in moved.iter_rows(named=True)
    )
    sign = "+" if replan_capex > 0 else ""
    moves = (
        f"with the deal every order to the plan's end moves by {sign}{usd(replan_capex)}, "
        f"{replan_mw:+,.1f} MW ({pools})"
        if pools
        else "with the deal every order to the plan's end costs what it costs without it"
    )
    if unmeasured:
        # Neither side of the comparison below is measured: only how far the orders move.
        return f"{REPLANNED}: {moves}; the deal's extra capex is not measured: {unmeasured}"
    own = f"{deal_blocks_text(deal_blocks)} ({usd(own_capex)})"
    if replan_capex < own_capex:
        # Taken as the deal's capital where cheaper, it read 1,500 us-west GPUs $0 beside
        # $42.2M for 1,000 (a re-plan $143.6M cheaper than the plan): it jumps with demand.
        return (
            f"{REPLANNED}: {moves}, less than the blocks its own GPUs need on the plan "
            f"without it, {own}: the re-run re-chooses orders that serve the plan's own growth "
            "too, and jumps with demand either way, so it is not the deal's extra capex, "
            "which is the blocks its own GPUs need"
        )
    return (
        f"{REPLANNED}: {moves}, as the triggers re-run with it re-choose, re-date, re-size and "
        "re-site orders that serve the plan's own growth too; that is not counted as the "
        f"deal's extra capex, which is the blocks its own GPUs need: {own}"
    )


def first_order_later(without: TriggerResult, with_: TriggerResult, deal: Contract) -> bool:
    """Whether a pool of the deal's region that runs short before the deal starts has fewer
    blocks of its first order (tranche 1) running, with the deal, by the day the plan without
    it has all of them running: the deal's months in its sizing window grew it past the power
    it could land on, and the whole order was dated to that power (S1: 69 racks due 2027-04-25
    became 165 due 2028-09-25, the fleet's own Aug 2027 shortfall unserved to 2029). An order
    grown by blocks that wait for power while the plan's own still run on time is no harm.
    """
    start = deal.ramp[0].day
    for row in without.triggers.filter(pl.col("region") == deal.region).iter_rows(named=True):
        exhausted = row["exhaustion_date"]
        if not isinstance(exhausted, date) or exhausted >= start:
            continue

        def first(result: TriggerResult, pool: str = row["pool"]) -> pl.DataFrame:
            return result.placements.filter(
                (pl.col("region") == deal.region) & (pl.col("pool") == pool)
                & (pl.col("tranche") == 1)
            )  # fmt: skip

        before, after = first(without), first(with_)
        if before.is_empty() or before["runs_from"].null_count():
            continue  # nothing ordered, or part of it never runs (past a ceiling) either way
        running_by = before["runs_from"].max()
        running = after.filter(
            pl.col("candidate").is_in(before["candidate"].implode())
            & (pl.col("runs_from") <= running_by)
        )["blocks"].sum()
        if running < before["blocks"].sum():
            return True
    return False


class _Placed(NamedTuple):
    """One order of a plan to its end (its placement rows of one tranche and order-by date
    summed): its pool, block type and count, order-by date and capital, past its site's
    ceiling included."""

    region: str
    pool: str
    candidate: str
    blocks: int
    # None: its blocks lie past every site's ceiling (triggers.common.NO_ORDER_BY).
    order_by: date | None
    capex_usd: float
    tranche: int

    def named(self) -> str:
        return f"{self.blocks} x {self.candidate} {_by(self.order_by)}"


def _by(order_by: date | None) -> str:
    """An order's order-by, or that it has none: its blocks lie past every site's ceiling."""
    return f"by {order_by}" if order_by is not None else f"({NO_ORDER_BY})"


def _gap(old: _Placed, new: _Placed) -> int:
    """Days between two orders' order-by dates; far apart where either has none."""
    if old.order_by is None or new.order_by is None:
        return 0 if old.order_by == new.order_by else 100_000
    return abs((new.order_by - old.order_by).days)


def _sooner(old: _Placed, new: _Placed) -> int:
    """Days ``new`` is placed before ``old`` (0 where not, or where either has no order-by:
    blocks past every ceiling are placed on no date, so never sooner)."""
    if old.order_by is None or new.order_by is None:
        return 0
    return max((old.order_by - new.order_by).days, 0)


def _placed_orders(placements: pl.DataFrame) -> list[_Placed]:
    """Every order of a plan to its end, one per pool, tranche and order-by date (the shares
    of a tranche dated apart, some on power and some waiting for it, are orders apart)."""
    if placements.is_empty():
        return []
    rows = (
        placements.group_by("region", "pool", "tranche", "candidate", "order_by")
        .agg(pl.col("blocks").sum(), pl.col("capex_usd").sum())
        .sort("region", "pool", "order_by", "tranche")
    )
    return [
        _Placed(
            r["region"],
            r["pool"],
            r["candidate"],
            r["blocks"],
            r["order_by"],
            r["capex_usd"],
            r["tranche"],
        )
        for r in rows.iter_rows(named=True)
    ]


class _Moves(NamedTuple):
    """The orders a deal moves, as text, and the capital it pulls sooner: the orders placed
    earlier with it than without (their capital with it), the most days sooner, and the
    earliest order-by date of those orders with it (None: none placed sooner)."""

    moves: list[str]
    sooner_usd: float
    sooner_days: int
    sooner_first: date | None = None
    # Of ``sooner_usd``, the capital of blocks past their site's ceiling (a new site is
    # needed for them) in orders partly under it.
    sooner_past_ceiling_usd: float = 0.0
    # The capital of orders dated without the deal that it leaves past every site's ceiling,
    # with no order-by (the demo's 7 GB200 cells, $2,580.5M, read "426 days sooner").
    undated_usd: float = 0.0


def moved_orders(without: pl.DataFrame, with_: pl.DataFrame) -> _Moves:
    """Each order of the plan to its end that the deal moves, as text: re-dated (the same
    block type and count), re-sized (the same block type), added or dropped; an order the same
    either way is no move. Its capital is the order's, past its site's ceiling included.

    A 2,000-GPU deal pulled the plan's 7 x cell-gb200-8192 ($2,580.5M) from 2028-03-14 to
    2027-01-13 while the what-if named only the first order's date and "$84.5M"."""
    before, after = _placed_orders(without), _placed_orders(with_)
    moves: list[str] = []
    sooner: list[tuple[float, int, date]] = []
    past_ceiling = undated = 0.0
    keys = ["region", "pool", "tranche", "candidate", "order_by"]
    beyond = {
        tuple(str(v) for v in row[:-1]): float(row[-1])
        for row in (
            with_.group_by(keys)
            .agg(
                (
                    pl.col("capex_usd")
                    * pl.col("blocks_beyond_ceiling").fill_null(0)
                    / pl.col("blocks")
                ).sum()
            )
            .rows()
            if with_.height
            else []
        )
    }

    def match(same: Callable[[_Placed, _Placed], bool]) -> list[tuple[_Placed, _Placed]]:
        # The nearest dates pair first: one cell of two kept 2 months on is not the other
        # moved 16 months.
        near = sorted(
            ((o, n) for o in before for n in after if same(o, n)),
            key=lambda p: (_gap(*p), p[0].order_by or date.max),
        )
        pairs = []
        for old, new in near:
            if old in before and new in after:
                before.remove(old)
                after.remove(new)
                pairs.append((old, new))
        return sorted(pairs, key=lambda p: p[0].order_by or date.max)

    def key(o: _Placed) -> tuple[str, str, str]:
        return (o.region, o.pool, o.candidate)

    def when(old: _Placed, new: _Placed) -> str:
        if old.order_by is None or new.order_by is None:
            if old.order_by == new.order_by:
                return _by(new.order_by)
            # Past every ceiling on one side: no days to count between a date and none.
            return (
                f"{_by(old.order_by)} -> "
                f"{'none ' if new.order_by is None else ''}{_by(new.order_by)}"
            )
        days = (new.order_by - old.order_by).days
        if not days:
            return f"by {new.order_by}"
        return (
            f"by {old.order_by} -> {new.order_by} ({days_count(abs(days))} "
            f"{'sooner' if days < 0 else 'later'})"
        )

    def moved(old: _Placed, new: _Placed) -> None:
        nonlocal past_ceiling, undated
        if days := _sooner(old, new):
            assert new.order_by is not None
            sooner.append((new.capex_usd, days, new.order_by))
            past_ceiling += beyond.get(_placed_key(new), 0.0)
        elif new.order_by is None and old.order_by is not None:
            undated += new.capex_usd

    # The same order either way (its tranche can be numbered apart) is no move.
    match(lambda o, n: o._replace(tranche=0) == n._replace(tranche=0))
    for old, new in match(lambda o, n: key(o) == key(n) and o.blocks == n.blocks):
        moved(old, new)
        moves.append(
            f"{old.region} {old.pool}: {new.blocks} x {new.candidate} {when(old, new)}, "
            f"{usd(new.capex_usd)}"
        )
    resized = match(lambda o, n: key(o) == key(n) and o.tranche == n.tranche)
    for old, new in sorted(
        [*resized, *match(lambda o, n: key(o) == key(n))],
        key=lambda p: p[0].order_by or date.max,
    ):
        moved(old, new)
        moves.append(
            f"{old.region} {old.pool}: {old.blocks} -> {new.blocks} x {new.candidate} "
            f"{when(old, new)}, {usd(old.capex_usd)} -> {usd(new.capex_usd)}"
        )
    moves += [f"{o.region} {o.pool}: new {o.named()}, {usd(o.capex_usd)}" for o in after]
    moves += [f"{o.region} {o.pool}: no longer {o.named()}, {usd(o.capex_usd)}" for o in before]
    return _Moves(
        moves,
        sum(c for c, _, _ in sooner),
        max((d for _, d, _ in sooner), default=0),
        min((by for _, _, by in sooner), default=None),
        past_ceiling,
        undated,
    )


def _placed_key(order: _Placed) -> tuple[str, ...]:
    """An order's key among its plan's placements, as strings (see :func:`moved_orders`)."""
    return tuple(
        str(v) for v in (order.region, order.pool, order.tranche, order.candidate, order.order_by)
    )


# Whose the sooner note's orders are: the triggers' re-run with the deal, never the capital
# rule's orders the deal needs sooner (the extra capex's basis, :func:`pulled_text`).
_REPLAN_SAYS = "the triggers re-run with the deal"
_NOT_CAPITAL = "a re-plan, not the deal's capital"


def sooner_capital_note(moves: _Moves, *, as_of: date) -> str:
    """The capital of the plan's orders the triggers' re-run with the deal places sooner,
    beside its extra capex on the CLI's headline and the page's cards ('' where it places none
    sooner): the 2,000-GPU us-east deal read "extra capex $84.5M" alone while it pulled 7 x
    cell-gb200-8192 ($2,580.5M) 426 days sooner, said only in a note below. Said as the
    re-plan's, never the deal's capital: 1,000 eu-west GPUs read "it needs 2 of the plan's
    orders ($960.0M) sooner" (the capital rule's) beside "it moves $566.0M of the plan's orders
    sooner" (the re-run's), two unlabelled figures for "sooner"."""
    undated = (
        f"leave {usd(moves.undated_usd)} of the plan's orders with no order-by date ({NO_ORDER_BY})"
        if moves.undated_usd > USD_TOL
        else ""
    )
    if not moves.sooner_days or moves.sooner_first is None:
        return f"{_REPLAN_SAYS} {undated}: {_NOT_CAPITAL}" if undated else ""
    first = moves.sooner_first
    late = (as_of - first).days
    due = (
        f"{first}, {days_count(late)} before the as-of date: late"
        if late > 0
        else f"{first}, the as-of date"
        if late == 0
        else f"{first}"
    )
    past = (
        f"; {usd(moves.sooner_past_ceiling_usd)} of them past their site's ceiling (a new "
        "site is needed)"
        if moves.sooner_past_ceiling_usd > USD_TOL
        else ""
    )
    return (
        f"{_REPLAN_SAYS} move {usd(moves.sooner_usd)} of the plan's orders sooner, up to "
        f"{days_count(moves.sooner_days)} (the first due {due}){past}"
        + (f"; they {undated}" if undated else "")
        + f": {_NOT_CAPITAL}"
    )


def moved_note(without: pl.DataFrame, with_: pl.DataFrame) -> str:
    """The orders the deal moves, said as moved by it ('' where it moves none): the re-plan's
    dates, sizes and capital, every order to the plan's end (capital past a site's ceiling
    included), not the first order's alone."""
    moves, sooner_usd, sooner_days, *_ = moved_orders(without, with_)
    if not moves:
        return ""
    pulled = (
        f"; {usd(sooner_usd)} of orders placed up to {days_count(sooner_days)} sooner: "
        f"{_NOT_CAPITAL}"
        if sooner_days
        else ""
    )
    return (
        f"with the deal the triggers move {len(moves)} of the plan's orders to its end "
        f"(capital past a site's ceiling included{pulled}): {'; '.join(moves)}"
    )


def _sized_to(result: TriggerResult, region: str, pool: str) -> date | None:
    """The last day the trigger's order of ``region``/``pool`` is sized for, as the triggers
    return it (None: no order placed). Read from their notes' words before, which a rewording
    would have lost without a sound."""
    rows = result.sized_to.filter((pl.col("region") == region) & (pl.col("pool") == pool))
    day = rows["sized_to"][0] if rows.height else None
    return day if isinstance(day, date) else None


def _blocks_by_candidate(placements: pl.DataFrame, region: str, pool: str) -> dict[str, int]:
    """Blocks of every order of a pool to the plan's end, per block type."""
    rows = placements.filter((pl.col("region") == region) & (pl.col("pool") == pool))
    return dict(rows.group_by("candidate").agg(pl.col("blocks").sum()).sort("candidate").rows())


# Worse is higher: a status that falls in rank with the deal reads as the pool better off.
_STATUS_RANK = {"green": 0, "amber": 1, "red": 2}


def shrunk_order_note(
    orders: pl.DataFrame,
    without: TriggerResult,
    with_: TriggerResult,
    deal: Contract,
    *,
    cut: bool,
) -> str:
    """Why a pool's first order (the trigger's blocks) is smaller with the deal than without,
    though the deal adds demand ('' where none is): the demo's 2,000-GPU us-east deal read
    "trigger blocks 89 -> 40" with no word. The first order is sized to a day (the weeks after
    its shortfall, or the day before the deal starts): where the deal brings the shortfall
    forward, or stops the order before its own months, that day comes sooner, and what the
    order no longer covers falls to the later orders. Said with both days, as the triggers
    return them (``TriggerResult.sized_to``), and every order of the pool to the plan's end on
    both sides. ``cut``: the re-run sized the first orders of the deal's region no further
    than the day before the deal (``TriggerSettings.sized_before``), which may leave nothing
    to order now."""
    parts = []
    shrunk = deal_pools(orders, deal).filter(pl.col("blocks_with") < pl.col("blocks_without"))
    for r in shrunk.iter_rows(named=True):
        region, pool = r["region"], r["pool"]

        ends = (_sized_to(without, region, pool), _sized_to(with_, region, pool))
        why = ""
        if cut and r["blocks_with"] == 0:
            why = (
                f": with the deal the first order is sized no further than the day before it "
                f"starts ({deal.ramp[0].day - timedelta(days=1)}; grown by the deal's months "
                "it would land later than without it), for which the trigger finds nothing "
                "to order (its note says why), so what is short from the deal's first day, "
                "its GPUs with it, falls to the later orders"
            )
        elif ends[0] and ends[1] and ends[1] < ends[0]:
            before = (
                "the day before the deal starts"
                if ends[1] == deal.ramp[0].day - timedelta(days=1)
                else ""
            )
            moved = r["exhaustion_with"] != r["exhaustion_without"] and all(
                isinstance(d, date) for d in (r["exhaustion_with"], r["exhaustion_without"])
            )
            cause = (
                f"{before}: what is short from then, the deal's GPUs with it, is the later orders'"
                if before
                else f"the weeks after its shortfall, which the deal brings from "
                f"{r['exhaustion_without']} to {r['exhaustion_with']}"
                if moved
                else ""
            )
            why = (
                f": the first order is sized to {ends[0]} without the deal and to {ends[1]} "
                f"with it{f' ({cause})' if cause else ''}, so what it no longer covers falls "
                "to the later orders"
            )
        totals_without = _blocks_by_candidate(without.placements, region, pool)
        totals_with = _blocks_by_candidate(with_.placements, region, pool)
        totals = ", ".join(
            f"{totals_without.get(c, 0):,} -> {totals_with.get(c, 0):,} x {c}"
            for c in sorted({*totals_without, *totals_with})
        )
        # A status is its first order's: the smaller order can land in time where the larger
        # waited on power ("eu-west all red -> amber" for a 200,000-GPU deal never served).
        status = (str(r.get("status_without")), str(r.get("status_with")))
        better = (
            f"; its status {status[0]} -> {status[1]} is that smaller first order's alone, not "
            "the pool's with the deal: what the deal's GPUs lack is in the verdict above"
            if status[1] in _STATUS_RANK
            and _STATUS_RANK[status[1]] < _STATUS_RANK.get(status[0], -1)
            else ""
        )
        parts.append(
            f"{region} {pool}: trigger blocks {r['blocks_without']:,} -> "
            f"{r['blocks_with']:,} x {r['candidate']} though the deal adds demand{why}; every "
            f"order of the pool to the plan's end: {totals}{better}"
        )
    return "; ".join(parts)


def early_blocks_note(
    forecast: pl.DataFrame,
    plan: CapacityPlan,
    deal: Contract,
    *,
    without: TriggerResult,
    with_: TriggerResult,
    as_of: date,
    settings: TriggerSettings,
    timeline: pl.DataFrame,
) -> str:
    """The blocks the plan with the deal has in service before the deal holds a GPU, beyond
    the plan without it ('' where none): how many, their capital, from when, and whether the
    pool needs them before the deal (the plan without it lacking GPUs then, at the triggers'
    quantile, headroom included), and why they come then (the order they ride in, and how far
    the triggers size it), against when the blocks would be due for the deal alone (lead time
    and buffer; power not checked).

    A 5,000-GPU deal from 2028-06-01 grew us-west's first order from 69 to 93 racks landing
    2027-07-04 ($202.8M, 11 months before the deal), listed as "moved" and no more."""
    start = next((s.day for s in deal.ramp if s.gpus > 0), deal.ramp[0].day)
    usable = partial(
        usable_orders, plan=plan, region=deal.region, timeline=timeline, as_of=as_of,
        buffer_weeks=settings.buffer_weeks,
    )  # fmt: skip
    early = {
        name: usable(result.placements).filter(pl.col("usable") < start)
        for name, result in (("without", without), ("with", with_))
    }
    kinds = {c.name: c for c in plan.candidate}
    parts = []
    for candidate in sorted(set(early["with"]["candidate"].to_list())):
        if candidate not in kinds:
            continue
        mine = {k: v.filter(pl.col("candidate") == candidate) for k, v in early.items()}
        extra = int(mine["with"]["blocks"].sum()) - int(mine["without"]["blocks"].sum())
        if extra <= 0:
            continue
        # The first day the plan with the deal has more of them in service than without it.
        days = sorted(set(mine["with"]["usable"].to_list()) | set(mine["without"]["usable"]))
        first = next(
            d
            for d in days
            if mine["with"].filter(pl.col("usable") <= d)["blocks"].sum()
            > mine["without"].filter(pl.col("usable") <= d)["blocks"].sum()
        )
        kind = kinds[candidate]
        held = (start - first).days
        if held <= settings.buffer_weeks * 7:
            continue  # in service within the triggers' buffer before the need: on time
        lacking = lacking_gpus(
            forecast, without, plan, deal, as_of=as_of, settings=settings, timeline=timeline
        ).filter(pl.col("ds").is_between(first, start - timedelta(days=1)))
        short_days = lacking.filter(pl.col("lacking") > GPU_TOL)["ds"].n_unique()
        need = (
            f"more than its pools need at {settings.quantile} (headroom included) on every "
            "day until then: capital standing idle"
            if not short_days
            else f"the plan without the deal lacks GPUs on {short_days:,} of those "
            f"{days_count(held)}, which they serve at first"
        )

        # The orders they ride in: with the deal, more of this type by that order-by date
        # than without.
        def by_order(frame: pl.DataFrame) -> dict[tuple[str, int, date], int]:
            rows = frame.group_by("pool", pl.col("tranche").fill_null(1), "order_by").agg(
                pl.col("blocks").sum()
            )
            return {(p, t, d): int(b) for p, t, d, b in rows.rows()}

        before, after = by_order(mine["without"]), by_order(mine["with"])
        riding = [k for k in sorted(after, key=lambda k: k[2]) if after[k] > before.get(k, 0)]
        spans = []
        for pool, tranche, by in riding:
            # The trigger's own order (tranche 1) says how far it is sized; a later one is
            # the triggers' next order, sized from its own shortfall.
            sized = _sized_to(with_, deal.region, pool) if tranche == 1 else None
            window = (
                f", the pool's first order, sized to {sized} (the weeks after its shortfall), "
                "which takes in the deal's first months"
                if sized is not None and sized >= start
                else ""
            )
            spans.append(
                f"the {deal.region} {pool} order of {after[(pool, tranche, by)]:,} x "
                f"{candidate} by {by}{window}"
            )
        parts.append(
            f"{extra:,} x {candidate} ({usd(extra * kind.capex_usd)}) of the plan with the "
            f"deal are in service from {first}, {days_count(held)} (about {held / 30.44:,.0f} "
            f"months) before the deal holds a GPU ({start}), beyond the plan without it: "
            f"{need}; "
            + _ordered_later(
                start, kind.lead_time_weeks, settings.buffer_weeks,
                ridden=min((by for _, _, by in riding), default=None), serving=short_days,
            )
            + f". They come in {', '.join(spans) or 'the orders the re-run places then'}"
        )  # fmt: skip
    return "; ".join(parts)


def _ordered_later(
    start: date, lead_weeks: int, buffer_weeks: int, *, ridden: date | None, serving: int = 0
) -> str:
    """When blocks in service long before the deal could be ordered instead, to land within
    the triggers' buffer before its first day (``start``), against the order-by date of the
    order they come in (``ridden``): a 5,000-GPU deal's 24 racks ($202.8M) stood 333 days in
    service before it, and the note said only when they "would be due for the deal alone".
    ``serving``: the days before the deal on which they serve the plan's own shortfall, which
    ordering them later leaves as it is without the deal."""
    alone = start - timedelta(weeks=lead_weeks + buffer_weeks)
    if ridden is not None and alone <= ridden:
        return (
            f"for the deal alone they would be due by {alone}, no later than the order they "
            f"come in (due {ridden}): ordering them apart gains no time"
        )
    after = (
        f", {days_count((alone - ridden).days)} after the order they come in (due {ridden})"
        if ridden is not None
        else ""
    )
    land = (
        f"within the {buffer_weeks}-week buffer before the deal"
        if buffer_weeks
        else "by the deal's first day"
    )
    own = (
        f", leaving the plan's own shortfall on those {days_count(serving)} as it is without the "
        "deal"
        if serving
        else ""
    )
    return (
        f"they could be ordered by {alone} instead{after}, and still land {land} "
        f"({lead_weeks} weeks' lead; power then not checked){own}"
    )
