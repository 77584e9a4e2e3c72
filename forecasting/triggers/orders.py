"""Exhaustion, the block to order, its status, and the orders after it to the horizon's end.

Exhaustion, block choice, status
    The exhaustion date is the first day from ``as_of`` on which a pool's requirement
    exceeds its capacity (:mod:`~forecasting.triggers.levels`); None when it never does
    within the forecast. Blocks to order = ceil(largest shortfall in the sizing window /
    candidate GPUs), all ordered together; the window starts on the exhaustion date, or on the
    order's arrival when it lands after that (see ``TriggerSettings``). Candidates are the
    block types available in the region that can serve the pool (training needs fabric).
    ``order_by = exhaustion - lead time - buffer``; among candidates whose order-by is on or
    after ``as_of`` the cheapest total capex wins; when none is in time, the one that arrives
    first (and the note says so). Status: green, amber or red by the rule of
    :mod:`~forecasting.triggers.common`, and red when no candidate can serve the pool.
    Every training-pool block is also in the ``all`` pool, so the ``all`` pool is sized for
    what is still short once the training-pool order is in service (no double order, also
    when both orders land late).

Later orders
    The trigger is the order due now; what is short after its sizing window is ordered by the
    same rule, to the horizon's end: once every earlier order is in service (for ``all``, the
    training pool's orders too), the pool's next shortfall after the last sizing window takes
    the next order, chosen, sized, placed and dated like a trigger. PLACEMENTS_SCHEMA holds
    them all, ``tranche`` 1 the trigger's order, with order-by date, capex, exhaustion date and
    status, so that capital and MW reach the plan's end. The triggers take power first. A
    later order can be due before its trigger (a 90-week cell for the year after a rack
    order's window).

    The rule for the ``all`` pool's later orders (session 51): they count, of the training
    pool's orders (its trigger's and its later ones), only the blocks that run, under their
    site's ceiling, from when their power runs them, as the region's plan is finally placed
    by arrival. A block past every ceiling serves no pool until a new site is planned, so
    the all pool orders for what it would have covered (its own blocks placed, and past a
    ceiling where none is left, said so). The later orders are sized before placement, so
    where placing by arrival moves a training order's running blocks (fewer under a
    ceiling, or from other days) they are sized again on the orders as placed, and placed
    again (``_all_later_as_placed``, two rounds at most; a bridged all pool keeps its
    orders). Counted as sized, the demo's us-west all pool, with a 20,000-GPU training deal,
    counted 6 pods and a GB200 cell that no site powers.

GPU generations
    Among candidates orderable in time the newest generation wins, then the cheapest; when
    none is in time, the one that arrives first. An order of an older generation chosen in
    time whose sizing window a newer generation could serve part of in time (from ``as_of``
    plus its lead time plus the buffer) is a *bridge*: sized to the day before, the rest of the
    window left to the later orders, which then take the newer generation (proposed only when
    the rule would take it there and it is cheaper per H100-equivalent). A pool takes its
    bridges only where every order of the region's plan to the horizon's end costs less with
    them (the pools judged in every combination: the training pool's orders serve the all
    pool too); the notes of its bridged pools say how much. The newer order can then be due
    soon: each day it waits, the bridge grows. But a lumpy block can fit the plan better from
    a later start, so the plan also weighs ordering the newer blocks 2, 4, 8 or 13 weeks on
    (the bridges longer) and takes the cheapest, the longest wait among equals; the notes say
    what ordering today would give up. Without a ``[gpu_type]`` table cost alone decides.
    Retiring blocks leave capacity (and free their MW) on their retire date.

Uncalibrated plans
    A run whose history was too short for a decision backtest has a band past its daily rows
    that nothing calibrated (the random walk's, at scale 1). The order due now is then sized
    no further than the daily rows' last day (four weeks from the window's start at least),
    and its note says so; what is short after is left to the later orders, which the pages
    label as resting on an uncalibrated band. (A 120-day fleet's trigger bought 471 racks,
    $4.2B, for a year of the walk's q90: 7 times the region's last 28-day peak.)

Placement
    For a plan with ``[[site]]``, an order is placed at a site of its region whose MW free
    (energized, contracted MW from its energization day, less blocks in service) covers the
    order's MW on every day from its arrival on; the roomiest such site wins. A candidate
    orderable in time and powered on arrival is chosen as above. Otherwise the candidate
    usable first wins: powered on arrival, or waiting at a site for MW it will have (a
    contract energized later), so racks that wait weeks for power beat a pod that arrives
    powered a year late; its note says power is the constraint and for how long. But where
    that one is usable only after exhaustion, a candidate orderable in time for most of whose
    blocks the region's sites together have MW energized on its arrival is chosen as above:
    split by power (below), most of the need is served in time, and the note names the
    candidate passed over and when it would have served (a GB200 cell 146 days late beat 70
    racks in time, 65 of them on power, for the day its last block could run). Only when no
    site has any candidate's MW within the plan is the first to arrive placed at the region's
    roomiest site anyway. A site's MW goes to orders by arrival day, as its power trigger
    counts it: an order reads the MW of orders landing on or before its own day, and once a
    region's plan is chosen every order is placed again in the order they arrive, so that the
    order short of power is the one whose arrival overflows the site (the pools place their
    orders training first, and a training cell landing 15 months after an ``all`` pool's racks
    had taken their MW). What an order's site cannot hold under its ceiling goes to the
    region's other sites, as many blocks at each as its ceiling holds (``_split``), one
    placement row per site, each share with its own site's power and dates (a share waiting
    for that power is dated to land with it, as below); the trigger's order-by date is its
    first share's, and its note says when the shares run from different days. Only what no
    site holds is past a ceiling. Without ``[[site]]`` placements have a null site.

Dated to its power
    An order whose blocks would stand dark waiting for their site's power is dated to land
    ``buffer_weeks`` before it (``_with_its_power``): order-by = the day they can run less the
    lead time and the buffer, never before ``as_of`` nor its own date; the region's orders
    are then placed again by their new arrivals. It stays red (only power after exhaustion
    moves it); its site's power trigger carries the urgency, counting its MW from when its
    pool needs it (``triggers.power._needed_from``), as the facilities page's MW by month
    does. Waiting whole, part of it can have power: the blocks the region's sites have MW
    energized for on its arrival are ordered on its shortfall's dates, the most at the
    roomiest site first, and only the rest is dated to its power (``_split_by_power``: shares
    as ``_split``'s, one placement row each, each with its own status; the note says both
    parts). A trigger's order, due now, keeps the room under its site's ceiling from the day
    it would have landed on its shortfall's dates, however late its power dates it: orders
    landing before its new day, but after that one, take what it leaves. An order that,
    placed on its new day, finds the orders landing by then have taken what its site's
    ceiling leaves (none of its blocks can run there) goes back to its shortfall's dates
    (``_undated``): there is no power for it to land with. The ``all``
    pool's trigger is not re-sized when the training-pool order it was sized net of moves
    (its later orders are: ``_all_later_as_placed``): its note gives that order's dates as
    placed and says its size (or cover) counted those blocks from the earlier day, not
    measured for the days between within its sizing window (past it, the later orders count
    them as placed, and the note names the window's end); an ``all`` pool it
    covers takes its dates, red where its blocks run after the pool's exhaustion
    (``_say_relief_as_placed``).

Dark blocks back before new ones
    Blocks standing dark at a site for want of its energized MW (power given back) are owned:
    the power that brings them back costs less than new blocks and their power. An order that
    waits at that site for power (none free on its arrival) would run on the same power, no
    sooner than they (``_brought_back``): it is sized for the days from when it can run, net
    of the pool's blocks that power brings back there first, from the day power contracted
    today is energized. Where they cover the need, nothing is ordered and the note says to
    contract the power (the site's power trigger); where they do not, the order is the rest.
    The site's power trigger counts the dark blocks' MW and the order's once each: a site
    0.5 MW short under a 1.0 MW, 500-GPU rack read "contract 0.90 MW" beside a $8.0M rack
    ordered to wait for that power, where 0.50 MW brought back the rack already paid for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from itertools import combinations
from typing import NamedTuple

import polars as pl

from forecasting.capacity import Block, CandidateBlock, CapacityPlan, dark_spans
from forecasting.schema import WorkloadClass
from forecasting.text import capex_past_ceiling, days_count, usd
from forecasting.triggers.common import (
    _DAYS_PER_WEEK,
    _TOL,
    MONTHLY_ONLY,
    NEW_SITE,
    NO_ORDER_BY,
    PLACEMENTS_SCHEMA,
    SIZED_TO_SCHEMA,
    TRIGGERS_SCHEMA,
    WAITS_ON_POWER,
    Pool,
    Status,
    TriggerSettings,
    _day,
    _weeks,
    months_before,
    reach_to_size,
    short_at_the_monthly_grain_only,
    trigger_status,
)
from forecasting.triggers.power import _Power

# Days ahead the decision backtest scores a band (forecasting.longrange.DECISION_HORIZON_DAYS,
# not imported: it loads scipy), said where the run's own reach is not given.
DECISION_HORIZON_DAYS = 182
# How long the notes of a bridged pool say waiting to order the newer blocks would take.
_WAIT_WEEKS = 4
# Waits (weeks) before ordering a bridge's newer blocks that the plan weighs against ordering
# them today (see _cheaper_plan).
_WAITS_WEEKS = (2, _WAIT_WEEKS, 8, 13)
# Dollars; capital figures closer than this are the same.
_USD_TOL = 1.0
# Rounds of dating orders to land with their site's power and placing them again by arrival
# (_placed_by_arrival); each moves dates later only.
_DATING_ROUNDS = 4
# Later orders a trigger's note names one by one; the rest are counted.
_LATER_LISTED = 3
_LATER = ": later orders"  # ends a note whose shortfall outgrows its order


@dataclass(frozen=True, slots=True)
class _Exhaustion:
    """Where a pool first runs short, and its shortfall by day (for sizing the order)."""

    day: date
    requirement: float
    capacity: float
    shortfall: pl.DataFrame  # (ds, shortfall_gpus), every day of the horizon


@dataclass(frozen=True, slots=True)
class _Order:
    candidate: CandidateBlock
    blocks: int
    order_by: date
    arrives: date
    in_time: bool
    units: float  # capacity of one block: H100-equivalents with a [gpu_type] table, else GPUs
    site: str | None = None  # where its MW is drawn; None for a plan without [[site]]
    powered: bool = True  # whether the site has the MW energized by its arrival
    # The first day from its arrival on that its site has the MW for good: the arrival when
    # powered, later when power comes after it, None when no site has it within the plan.
    usable: date | None = None
    # Of its blocks, how many its site can never power, past the site's ceiling (None where
    # the site declares none); and the first day the rest can serve: ``usable``, else power
    # contracted today (set once placed by arrival, see _placed_by_arrival).
    beyond_ceiling: int | None = None
    runs_from: date | None = None
    # Chosen as usable first (no candidate in time and powered): the candidate that lands
    # sooner but waits longer for power, and why, as a clause ('' when none lands sooner).
    passed_over: str = ""
    # Where the order is dated to land with its site's power (_with_its_power): the order-by
    # date and arrival it had before, from which its blocks would have stood dark.
    dark_order_by: date | None = None
    dark_arrives: date | None = None
    # Its blocks placed at other sites of its region, where its own site's ceiling cannot
    # hold them all (_split): each with its own site, power and days; ``blocks`` and ``mw``
    # are then this site's share only (``total_blocks`` the whole order's).
    parts: tuple[_Order, ...] = ()
    # Dated to land with its site's power on this day, where the orders landing by then took
    # what the site's ceiling leaves: back on its shortfall's dates (_undated).
    undated_from: date | None = None
    # Split by the power its region has energized by its arrival (_split_by_power): its
    # shares powered on arrival first (this one leading), then those that wait on power.
    by_power: bool = False
    # A trigger's order (due now) claims room under its site's ceiling from the day it would
    # have landed on its shortfall's dates, however late its power dates it to land
    # (_placed_in_arrival_order); None: from its arrival.
    claims: date | None = None

    @property
    def total_blocks(self) -> int:
        """Blocks of the whole order, at every site it is split across."""
        return self.blocks + sum(p.blocks for p in self.parts)

    def whole(self) -> _Order:
        """The order unsplit, at its own site, to be placed again."""
        if not self.parts:
            return self
        return replace(
            self, blocks=self.total_blocks, parts=(), beyond_ceiling=None, by_power=False
        )

    @property
    def claims_from(self) -> date:
        """The day it claims room under its site's ceiling from (:meth:`_Power.take`)."""
        return min(self.claims or self.arrives, self.arrives)

    @property
    def shares(self) -> tuple[_Order, ...]:
        """The order's shares: itself alone, or its own site's share and then each part."""
        return (self, *self.parts)

    def first_share(self) -> _Order:
        """The share ordered first (then landing first): the order's headline dates."""
        return min(self.shares, key=lambda s: (s.order_by, s.arrives))

    @property
    def mw(self) -> float:
        """MW the whole order draws."""
        return self.blocks * self.candidate.mw

    @property
    def mw_held(self) -> float:
        """MW it holds at its site: its blocks' less those past the site's ceiling, which are
        a new site's. Held whole, the synthetic fleet's 2 GB200 cells wholly past us-east-b's
        ceiling (29.5 MW) took its 13.7 MW of room, and 200 racks landing after them found
        none: "200 of 200 past us-east-b's ceiling"."""
        return (self.blocks - min(self.beyond_ceiling or 0, self.blocks)) * self.candidate.mw


def _shortfall() -> pl.Expr:
    return (pl.col("requirement_gpus") - pl.col("capacity_gpus")).alias("shortfall_gpus")


def _exhaustion(daily: pl.DataFrame) -> _Exhaustion | None:
    """The first day a pool's requirement beats its capacity, or None within the horizon."""
    short = daily.filter(_shortfall() > _TOL)
    if short.is_empty():
        return None
    first = short.row(0, named=True)
    return _Exhaustion(
        day=first["ds"],
        requirement=float(first["requirement_gpus"]),
        capacity=float(first["capacity_gpus"]),
        shortfall=daily.select("ds", _shortfall()),
    )


def _pool_blocks(plan: CapacityPlan, pool: Pool) -> list[Block]:
    """The plan's blocks that serve ``pool`` (every block serves ``all``)."""
    return [b for b in plan.block if pool is Pool.ALL or b.allows(WorkloadClass.TRAINING)]


def _serves(candidate: CandidateBlock, pool: Pool) -> bool:
    """Whether blocks of this type add capacity to ``pool`` (every block is in ``all``)."""
    return pool is Pool.ALL or candidate.allows(WorkloadClass.TRAINING)


def _candidates(plan: CapacityPlan, *, region: str, pool: Pool) -> list[CandidateBlock]:
    """Block types that can be ordered for ``region`` and serve ``pool``'s demand."""
    return [c for c in plan.candidate if c.available_in(region) and _serves(c, pool)]


def _blocks_needed(shortfall: float, units: float) -> int:
    return max(math.ceil(shortfall / units - _TOL), 0)


def _rank(orders: Sequence[_Order], plan: CapacityPlan) -> _Order | None:
    """In time first: the newest generation, then the cheapest; else the first to arrive.

    Without a [gpu_type] table every type ranks the same, so cost alone decides.
    """
    in_time = [o for o in orders if o.in_time]
    if in_time:
        return min(
            in_time,
            key=lambda o: (
                -plan.generation(o.candidate.gpu_type),
                o.blocks * o.candidate.capex_usd,
                o.arrives,
                o.order_by,
            ),
        )
    if orders:
        return min(orders, key=lambda o: (o.arrives, o.blocks * o.candidate.capex_usd))
    return None


def _first_usable(orders: Sequence[_Order]) -> _Order | None:
    """Of orders that can be powered within the plan, the one usable first, then the cheapest."""
    usable = [o for o in orders if o.usable is not None]
    if not usable:
        return None
    return min(usable, key=lambda o: (o.usable, o.blocks * o.candidate.capex_usd))


def _choose(
    options: Sequence[CandidateBlock],
    plan: CapacityPlan,
    *,
    region: str,
    shortfall_gpus: float,
    exhaustion: date,
    as_of: date,
    buffer_weeks: int,
    power: _Power | None,
) -> _Order | None:
    """The order to place (see the module docstring), at a site with power where sites exist.

    A candidate no site of the region powers on arrival waits at the site that has its MW
    first; one no site ever powers within the plan is placed at the roomiest site anyway,
    unpowered, so that its power trigger carries the date.
    """
    orders = []
    for c in options:
        order_by = exhaustion - _weeks(c.lead_time_weeks) - _weeks(buffer_weeks)
        early = order_by >= as_of
        arrives = (order_by if early else as_of) + _weeks(c.lead_time_weeks)
        units = c.gpus * plan.h100_equivalent(c.gpu_type)
        order = _Order(c, _blocks_needed(shortfall_gpus, units), order_by, arrives, early, units)
        orders.append(order if power is None else _placed(order, region=region, power=power))
    # In time and powered on arrival first; else the order usable first, powered or waiting
    # for power a site will have, so a block that waits months for its MW beats one that
    # arrives powered a year late; only when no site ever has the MW, the first to arrive.
    in_time = [o for o in orders if o.powered and o.in_time]
    chosen = _rank(in_time, plan)
    first = _first_usable(orders)
    late = first is None or first.usable is None or first.usable > exhaustion
    if chosen is None and power is not None and late:
        # Usable first as a whole serves nothing in time: an order in time whose blocks the
        # region's sites have MW energized for on arrival, most of them, serves most of the
        # need in time (_split_by_power orders those on the shortfall's dates, only the rest
        # waits). Compared by the day its last block could run, a GB200 cell landing 146 days
        # after its shortfall beat 70 racks in time, 65 of them on power on arrival.
        mostly = [
            o
            for o in orders
            if o.in_time and 2 * _blocks_on_power(o, region=region, power=power) > o.blocks
        ]
        if (chosen := _rank(mostly, plan)) is not None:
            other = first is not None and first.candidate != chosen.candidate
            passed = _passed_over_late(first, exhaustion=exhaustion) if other and first else ""
            return _sited(replace(chosen, passed_over=passed), region=region, power=power)
    chosen = chosen or first or _rank(orders, plan)
    if chosen is None or power is None:
        return chosen
    sooner = min((o for o in orders if o.arrives < chosen.arrives), key=_arrival, default=None)
    if sooner is not None and not (chosen.in_time and chosen.powered):
        chosen = replace(chosen, passed_over=_passed_over(sooner, region=region))
    # Its MW is reserved by the caller, for the order it places only: a choice it then
    # re-sizes or drops reserved MW no order used (us-east's racks found no power left, and a
    # cell 559 days late was ordered instead).
    return _sited(chosen, region=region, power=power)


def _arrival(order: _Order) -> tuple[date, float]:
    return (order.arrives, order.blocks * order.candidate.capex_usd)


def _rechosen(previous: _Order, order: _Order | None) -> _Order | None:
    """``order``, ``previous``'s candidate chosen again alone (re-sized), with what
    ``previous`` was chosen over: alone it has nothing to be chosen over."""
    return None if order is None else replace(order, passed_over=previous.passed_over)


def _passed_over(sooner: _Order, *, region: str) -> str:
    """Why ``sooner``, landing before the order chosen as usable first, was not chosen: the
    chosen one read 'arrives first if ordered today' 616 days after exhaustion, beside racks
    that land in 10 weeks but that no site of the region can power."""
    lands = f"{sooner.candidate.name} lands sooner ({sooner.arrives})"
    if sooner.usable is None:
        return f"{lands} but no site in {region} has its {sooner.mw:.2f} MW within the plan"
    return f"{lands} but no site in {region} has its {sooner.mw:.2f} MW before {sooner.usable}"


def _blocks_on_power(order: _Order, *, region: str, power: _Power) -> int:
    """How many of ``order``'s blocks the sites of ``region`` have MW energized for on its
    arrival, the sites together, as :func:`_split_by_power` counts them."""
    unit, arrives = order.candidate.mw, order.arrives
    if order.powered or unit <= 0:
        return order.blocks
    fits = sum(
        math.floor((max(power.room(s, arrives), 0.0) + _TOL) / unit) for s in power.sites_in(region)
    )
    return min(order.blocks, fits)


def _passed_over_late(late: _Order, *, exhaustion: date) -> str:
    """Why ``late``, usable first as a whole but after ``exhaustion``, was passed over for an
    order in time whose blocks mostly run on the MW energized by their arrival."""
    powered = ", powered on arrival" if late.powered else ""
    assert late.usable is not None  # usable first: some site has its MW within the plan
    return (
        f"{late.candidate.name} passed over: usable first as a whole ({late.usable}{powered}), "
        f"but {days_count((late.usable - exhaustion).days)} after exhaustion ({exhaustion}), where "
        "this order's blocks, most or all, run on the MW energized by their arrival, in time"
    )


def _placed(order: _Order, *, region: str, power: _Power) -> _Order:
    """``order`` at the roomiest site of ``region`` with its MW free from its arrival on;
    else, unpowered, at the site that has the MW first (``usable`` that day), or at no site
    when none has it within the plan."""
    arrives = order.arrives
    fits = [s for s in power.sites_in(region) if power.room(s, arrives) >= order.mw - _TOL]
    best = max(fits, key=lambda s: (power.room(s, arrives), s), default=None)
    if best is not None:
        return replace(order, site=best, powered=True, usable=arrives)
    later = [
        (day, s)
        for s in power.sites_in(region)
        if (day := power.powered_from(s, order.mw, arrives)) is not None
    ]
    usable, site = min(later, default=(None, None))
    return replace(order, site=site, powered=False, usable=usable)


def _sited(order: _Order, *, region: str, power: _Power) -> _Order:
    """``order``, placed at the region's roomiest site where no site ever has its MW within
    the plan: that site's power trigger carries the date."""
    if order.site is not None:
        return order
    roomiest = power.roomiest(region, order.arrives, order.mw, unit=order.candidate.mw)
    return replace(order, site=None if roomiest is None else roomiest[0])


class _Back(NamedTuple):
    """A pool's blocks standing dark at an order's ``site`` that the power the order waits for
    there brings back first: power contracted today is energized on ``day``, and the order's
    blocks can run from ``runs``; ``units`` (ds, back_gpus) is their capacity per day from
    ``day`` on, ``blocks`` the blocks."""

    site: str
    day: date
    runs: date
    units: pl.DataFrame
    blocks: list[Block]

    def named(self) -> str:
        """The blocks and their GPUs, with the verb's number ('r1-old (500 GPUs) stands')."""
        gpus = sum(b.gpus for b in self.blocks)
        listed = ", ".join(b.id for b in self.blocks[:3])
        more = f" and {len(self.blocks) - 3} more" if len(self.blocks) > 3 else ""
        return f"{listed}{more} ({gpus:,} GPUs)"

    def restored(self, shortfall: pl.DataFrame, *, start: date, end: date) -> pl.DataFrame:
        """``shortfall`` on [start, end], less the capacity these blocks bring back."""
        return (
            shortfall.filter(pl.col("ds").is_between(start, end))
            .join(self.units, on="ds", how="left")
            .select(
                "ds", shortfall_gpus=pl.col("shortfall_gpus") - pl.col("back_gpus").fill_null(0.0)
            )
        )


def _brought_back(
    plan: CapacityPlan,
    order: _Order,
    *,
    region: str,
    pool: Pool,
    as_of: date,
    buffer_weeks: int,
    end: date,
) -> _Back | None:
    """The blocks of ``pool`` dark at the site where ``order`` waits for power, that power
    contracted today brings back there from the day it is energized to ``end`` (None when the
    order has its power on arrival or the site has none such). The site powers owned blocks
    before new ones: new blocks waiting there run on the same power, no sooner. Blocks whose
    MW the site's ceiling cannot hold are not brought back by any contract."""
    site = plan.sites.get(order.site or "")
    if order.powered or site is None:
        return None
    day = months_before(as_of + _weeks(buffer_weeks), -site.power_lead_months)
    if day > end:
        return None
    members = {
        b.id: b
        for b in _pool_blocks(plan, pool)
        if b.site == site.id and b.region == region and b.dedicated_customer is None
    }
    spans = [
        (members[block_id], first, last)
        for block_id, first, last in dark_spans(plan, start=day, end=end, at=site.id)
        if block_id in members
        and (site.ceiling_mw is None or plan.mw_drawn(site.id, first) <= site.ceiling_mw + _TOL)
    ]
    if not spans:
        return None
    units = (
        pl.DataFrame(
            [(b.gpus * plan.h100_equivalent(b.gpu_type), first, last) for b, first, last in spans],
            schema={"units": pl.Float64, "first": pl.Date, "last": pl.Date},
            orient="row",
        )
        .select("units", ds=pl.date_ranges("first", "last"))
        .explode("ds")
        .group_by("ds")
        .agg(back_gpus=pl.col("units").sum())
    )
    blocks = sorted({b.id: b for b, _, _ in spans}.values(), key=lambda b: b.id)
    runs = order.usable or max(order.arrives, day)
    return _Back(site.id, day, runs, units, blocks)


def _nothing_but_power(
    row: dict[str, object],
    order: _Order,
    back: _Back,
    *,
    found: _Exhaustion,
    plan: CapacityPlan,
    as_of: date,
    buffer_weeks: int,
    covered_to: date,
) -> dict[str, object]:
    """The TRIGGERS row of a pool whose shortfall the dark blocks ``back`` brings back cover:
    no order (``order`` is what would have waited for the same power), red where that power
    comes after exhaustion, else dated as the site's power trigger dates it."""
    row |= _order_fields(order, as_of=as_of, exhaustion=found.day, blocks=0)
    lead = next(s.power_lead_months for s in plan.site if s.id == back.site)
    contract_by = months_before(found.day, lead) - _weeks(buffer_weeks)
    status = trigger_status(
        as_of=as_of,
        exhaustion=found.day,
        order_by=contract_by,
        lead_time=found.day - months_before(found.day, lead),
    )
    if back.day > found.day:
        status = Status.RED
    verb, pronoun = ("stands", "it") if len(back.blocks) == 1 else ("stand", "them")
    capex = order.blocks * order.candidate.capex_usd
    note = (
        f"{back.named()} {verb} dark at {back.site} for want of its power: the power "
        f"{back.site} contracts (see its power trigger) brings {pronoun} back from {back.day} "
        f"at the earliest, and covers the need to {covered_to}; nothing to order: "
        f"{order.blocks} x {order.candidate.name} ordered now ({usd(capex)}) would wait at "
        f"{back.site} for the same power"
    )
    if back.day > found.day:
        note += f"; the shortfall from {found.day} until then is not bought"
    return row | {"status": status.value, "note": note}


class _Bridge(NamedTuple):
    """An in-time order cut short for a newer generation: ``order`` serves to the day before
    ``start``, from which ``to`` (ordered by its order-by date) can serve in time."""

    order: _Order
    to: _Order
    start: date


def _bridge(
    order: _Order,
    options: Sequence[CandidateBlock],
    plan: CapacityPlan,
    *,
    found: _Exhaustion,
    window_end: date,
    relief: _Order | None,
    region: str,
    as_of: date,
    bridge_from: date,
    buffer_weeks: int,
    sizing_weeks: int,
    power: _Power | None,
) -> _Bridge | None:
    """``order`` resized to bridge to a newer generation that can serve in time within its
    sizing window if ordered from ``bridge_from`` on, or None when none can (or the rule
    would not take it there).

    The rule takes the newest generation in time; a window it could only reach part of was
    bought whole in the older one (365 H100 racks, $3.08B, for a year a GB200 cell ordered
    that day could serve from its fourth month at 55 % of the cost per H100-equivalent).
    A bridge is proposed only when the order the rule would choose from that day, once the
    bridge's blocks and MW are taken, is of the newer generation, in time and cheaper per
    H100-equivalent; whether the region's plan takes it is decided on the whole plan (see
    ``_cheaper_plan``).
    """
    generation = plan.generation(order.candidate.gpu_type)
    newer = [c for c in options if plan.generation(c.gpu_type) > generation]
    starts = sorted({bridge_from + _weeks(c.lead_time_weeks + buffer_weeks) for c in newer})
    # Past the forecast's last day the plan cannot see what the newer block would serve.
    last = min(window_end, _day(found.shortfall["ds"].max()))
    for start in (s for s in starts if found.day < s <= last):
        before = found.shortfall.filter(pl.col("ds") < start)
        bridged = _choose(
            [order.candidate],
            plan,
            region=region,
            shortfall_gpus=_net_of(before, relief),
            exhaustion=found.day,
            as_of=as_of,
            buffer_weeks=buffer_weeks,
            power=power,
        )
        after = found.shortfall.filter(pl.col("ds").is_between(start, start + _weeks(sizing_weeks)))
        rest = _net_of(after, relief) - (0.0 if bridged is None else bridged.blocks * bridged.units)
        if bridged is None or bridged.blocks == 0 or rest <= _TOL:
            continue
        to = _choose(
            options,
            plan,
            region=region,
            shortfall_gpus=rest,
            exhaustion=start,
            as_of=as_of,
            buffer_weeks=buffer_weeks,
            power=None if power is None else power.after(bridged),
        )
        if (
            to is not None
            and to.in_time
            and plan.generation(to.candidate.gpu_type) > generation
            and _unit_capex(to) < _unit_capex(order)
        ):
            return _Bridge(bridged, to, start)
    return None


def _unit_capex(order: _Order) -> float:
    """Capex of one H100-equivalent (one GPU without a [gpu_type] table) of ``order``'s type."""
    return order.candidate.capex_usd / order.units


def _after_exhaustion(late: int, *, exhaustion: date, month_end: date | None) -> str:
    """``late`` days after ``exhaustion`` as text: "41 days after exhaustion", or, where the
    exhaustion is read at the monthly grain only (``month_end``: the first day of the month
    after it), against that month: counted from the month's first day, the figure read as
    measured ("41 days after exhaustion" for racks landing in February of a January the daily
    rows never showed short)."""
    if month_end is None:
        return f"{days_count(late)} after exhaustion"
    where = "in" if exhaustion + timedelta(days=late) < month_end else "after"
    return f"{where} {exhaustion:%B %Y}, the month read short at the monthly grain only"


def _month_after(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _order_note(
    order: _Order, *, exhaustion: date, buffer_weeks: int, month_end: date | None = None
) -> str:
    if all(_past_every_ceiling(p) for p in order.shares):
        # Dated from its shortfall it read "by 2025-10-10: in service 2026-08-03, 4 weeks
        # before exhaustion" for blocks no site can power.
        return f"order {order.total_blocks} x {order.candidate.name}: {NO_ORDER_BY}"
    # Split across sites, the order is still one: all its blocks, by its first share's date
    # (each share's own dates and site named in _split_note).
    order = replace(order.first_share(), blocks=order.total_blocks)
    name = order.candidate.name
    at = "" if order.site is None or not order.powered else f" at {order.site}"
    runs, dark_by, dark_arrives = order.runs_from, order.dark_order_by, order.dark_arrives
    if order.undated_from is not None:
        return (
            f"order {order.blocks} x {name} by {order.order_by}: it lands {order.arrives}, on its "
            f"shortfall's date; dated to its site's power ({order.site}) it would land "
            f"{order.undated_from}, when the orders landing by then take what {order.site}'s "
            "ceiling leaves: none of its blocks can run there"
        )
    if dark_by is not None and dark_arrives is not None:
        if runs is None:
            # Dated to its power, then found past its site's ceiling as orders landing by
            # then take what it leaves: the power note says a new site is needed.
            return (
                f"order {order.blocks} x {name} by {order.order_by}: it lands {order.arrives}, "
                f"dated to its site's power ({order.site}), but the orders landing by then "
                f"take what {order.site}'s ceiling leaves: none of its blocks can run there"
            )
        late = (runs - exhaustion).days
        serves = (
            f"; its blocks serve from {runs}, {days_count(late)} after exhaustion ({exhaustion}), "
            "whatever is ordered now"
            if late > 0
            else ""
        )
        # Placed again on its new day, its site can have the MW from that day (orders that
        # took it moved later too): "lands 2028-04-29, 4 weeks before its site's power (from
        # 2028-04-29)" said two things of one day.
        # Without planned power it runs once power contracted today is energized: "4 weeks
        # before its site's power" read as power the site has coming.
        power = "its site's power" if order.usable else "power contracted today reaches its site"
        lands = (
            f"{order.arrives}, when its site has the MW for it ({order.site})"
            if runs <= order.arrives
            else f"{order.arrives}, {buffer_weeks} weeks before {power} ({order.site}, from {runs})"
        )
        return (
            f"order {order.blocks} x {name} by {order.order_by} so that it lands {lands}: "
            f"{WAITS_ON_POWER}; ordered by {dark_by} it would land {dark_arrives} and stand "
            f"dark {days_count((runs - dark_arrives).days)}{serves}"
        )
    if order.in_time and not order.powered and runs is not None and runs > order.arrives:
        # It lands in time, but its blocks serve from its site's power: "in service
        # 2027-05-08, 4 weeks before exhaustion" read of racks that ran from 2027-06-02.
        before = (exhaustion - runs).days
        when = (
            f"{days_count(before)} before exhaustion"
            if before > 0
            else "on the day of exhaustion"
            if before == 0
            else f"{days_count(-before)} after exhaustion"
        )
        # Without planned power it runs only once power contracted today is energized.
        power = "when its site has the MW" if order.usable else "with power contracted today"
        return (
            f"order {order.blocks} x {name} by {order.order_by}: lands {order.arrives} and runs "
            f"from {runs}, {when}, {power}"
        )
    if order.in_time:
        return (
            f"order {order.blocks} x {name}{at} by {order.order_by}: in service "
            f"{order.arrives}, {buffer_weeks} weeks before exhaustion"
        )
    late = (order.arrives - exhaustion).days
    timing = (
        _after_exhaustion(late, exhaustion=exhaustion, month_end=month_end)
        if late > 0
        else f"{days_count(-late)} before it (inside buffer)"
    )
    if order.passed_over:
        return (
            f"no candidate can be ordered by its order-by date; {name}{at} is usable first if "
            f"ordered today: {order.arrives}, {timing}; {order.passed_over}"
        )
    return (
        f"no candidate can be ordered by its order-by date; {name}{at} arrives first if "
        f"ordered today: {order.arrives}, {timing}"
    )


def _expedite_note(
    plan: CapacityPlan,
    order: _Order,
    region: str,
    exhaustion: date,
    *,
    priced: bool = True,
    month_end: date | None = None,
) -> str:
    """What the response ladder's expedite rung would make of a late order ('' without one):
    the rung was parsed and read by no trigger, so a red order never said that paying the
    premium lands it in time. Not ``priced``: the order's size is not measured, nor its
    premium. ``month_end``: see :func:`_after_exhaustion`."""
    rung = plan.ladder.expedite
    if rung is None or not plan.ladder.covers(region):
        return ""
    saved = min(rung.weeks_saved, order.candidate.lead_time_weeks)
    if saved == 0:
        # A block type of no lead time (in service the day it is ordered, as the drill reads
        # it): "0 weeks sooner for 25% more capex, $10.0M" offered a premium that buys nothing.
        return (
            f"[response.expedite] cannot bring it sooner: {order.candidate.name}'s lead time is "
            "0 weeks (in service the day it is ordered)"
        )
    lands = order.arrives - _weeks(saved)
    extra = order.blocks * order.candidate.capex_usd * rung.premium
    late = (lands - exhaustion).days
    when = (
        "by exhaustion"
        if late <= 0
        else f"still {_after_exhaustion(late, exhaustion=exhaustion, month_end=month_end)}"
    )
    premium = f", {usd(extra)}" if priced else ""
    return (
        f"expedited ([response.expedite]: {saved} weeks sooner for {rung.premium:.0%} more "
        f"capex{premium}) it lands {lands}, {when}"
    )


def _power_note(order: _Order, *, region: str, power: _Power) -> str:
    """Why no site takes ``order``, and where its power trigger is."""
    need = f"{order.mw:.2f} MW for {order.blocks} x {order.candidate.name}"
    if order.site is None:
        return f"power is the constraint: {region} has no [[site]] to draw {need} from"
    if order.usable is not None and order.usable > order.arrives:
        wait = (order.usable - order.arrives).days
        return (
            f"power is the constraint: no site in {region} has {need} energized from "
            f"{order.arrives}; {order.site} has it from {order.usable}, {days_count(wait)} later, "
            f"the first of the candidates to be usable; placed there, whose power trigger says "
            f"what bringing its power forward takes"
        )
    room = power.room(order.site, order.arrives)  # the order takes its MW after this note
    note = (
        f"power is the constraint: no site in {region} has {need} energized from "
        f"{order.arrives} (the most free is {max(room, 0.0):.2f} MW at {order.site}); "
        f"placed at {order.site}, whose power trigger says when to contract it"
    )
    if order.beyond_ceiling:
        # No contract powers these: ordered, they would stand dark for good.
        beyond, blocks = order.beyond_ceiling, order.blocks
        # "1 of its 1 blocks ... lie beyond" read on a one-block order.
        which = (
            f"{beyond} of its {blocks} blocks"
            if beyond < blocks
            else ("its block" if blocks == 1 else f"all {blocks} of its blocks")
        )
        note += (
            f"; {which} ({beyond * order.candidate.mw:.2f} MW) "
            f"{'lies' if beyond == 1 else 'lie'} beyond {order.site}'s ceiling: "
            f"{NEW_SITE} for {'it' if beyond == 1 else 'them'}"
        )
    if order.runs_from is not None and order.runs_from > order.arrives:
        # The order-by date alone read as when the blocks serve: they would stand dark from
        # their arrival until power contracted today is energized.
        note += (
            f"; its blocks can run from {order.runs_from} at the earliest (power contracted "
            f"today), {days_count((order.runs_from - order.arrives).days)} after they land"
        )
    return note


class _Head(NamedTuple):
    """The clauses a trigger's note opens with (:func:`_order_head`), and the same clauses
    with their lateness said against the month of exhaustion, for a row short at the monthly
    grain only (:func:`_monthly_only`)."""

    text: str
    in_month: str


def _order_head(
    order: _Order,
    *,
    plan: CapacityPlan,
    region: str,
    exhaustion: date,
    buffer_weeks: int,
    power: _Power | None,
    priced: bool = True,
) -> _Head:
    """The clauses a trigger's note opens with: the order, what expediting it would do where
    it is late, and why its site has no power for it (read before its MW is taken; none
    without ``power``). Not ``priced``: see :func:`_expedite_note`."""
    # Whether its shortfall is read at the monthly grain only is decided once every pool is
    # placed (_triggers): both readings are written now, while the power note reads the MW
    # this order finds.
    waits = (
        [_power_note(order, region=region, power=power)]
        if not order.powered and power is not None
        else []
    )
    heads = []
    for month_end in (None, _month_after(exhaustion)):
        if order.by_power:
            heads.append(
                _by_power_note(
                    order,
                    plan=plan,
                    region=region,
                    exhaustion=exhaustion,
                    buffer_weeks=buffer_weeks,
                    power=power,
                    priced=priced,
                    month_end=month_end,
                )
            )
            continue
        notes = [
            _order_note(
                order, exhaustion=exhaustion, buffer_weeks=buffer_weeks, month_end=month_end
            )
        ]
        if not order.in_time and (
            expedited := _expedite_note(
                plan, order, region, exhaustion, priced=priced, month_end=month_end
            )
        ):
            notes.append(expedited)
        heads.append(
            "; ".join([*notes, *([_split_note(order, region=region)] * bool(order.parts)), *waits])
        )
    return _Head(*heads)


def _by_power_note(
    order: _Order,
    *,
    plan: CapacityPlan,
    region: str,
    exhaustion: date,
    buffer_weeks: int,
    power: _Power | None,
    priced: bool,
    month_end: date | None,
) -> str:
    """The clauses opening the note of an order split by power (:func:`_split_by_power`):
    how many run on the MW energized by their arrival and where, then each part's own
    clauses as an unsplit order of its size would read (the waiting part's dated to its
    power, and why it waits)."""
    on_power = [s for s in order.shares if s.powered]
    waiting = [s for s in order.shares if not s.powered]
    ran, waits = sum(s.blocks for s in on_power), sum(s.blocks for s in waiting)
    # At several sites, each named with its blocks; the part's own clauses then name none.
    one = len(on_power) == 1
    where = ", ".join(f"at {s.site}" if one else f"{s.blocks} at {s.site}" for s in on_power)
    now = replace(on_power[0], blocks=ran, parts=(), site=on_power[0].site if one else None)
    said = _order_note(now, exhaustion=exhaustion, buffer_weeks=buffer_weeks, month_end=month_end)
    notes = (
        [
            f"order {order.total_blocks} x {order.candidate.name} in two parts: {ran} on the "
            f"MW energized by the order's arrival ({where}), ordered on the shortfall's dates, "
            f"and {waits} waiting on power",
            f"the {ran} on power: {said}",
        ]
        if waiting
        else [
            # No one site has the MW for all of it, the region's sites together do.
            f"split across {region}'s sites by the MW they have energized by its arrival "
            f"({where}): {said}"
        ]
    )
    if not now.in_time and (
        expedited := _expedite_note(
            plan, now, region, exhaustion, priced=priced, month_end=month_end
        )
    ):
        notes.append(expedited)
    if order.passed_over:
        notes.append(order.passed_over)  # the late candidate it was chosen over (_choose)
    if not waiting:
        return "; ".join(notes)
    first = replace(waiting[0], blocks=waits, parts=())
    notes.append(
        f"the {waits} waiting: "
        + _order_note(first, exhaustion=exhaustion, buffer_weeks=buffer_weeks, month_end=month_end)
    )
    if len(waiting) > 1:
        notes.append(_split_note(replace(waiting[0], parts=tuple(waiting[1:])), region=region))
    if power is not None:
        notes.append(_power_note(waiting[0], region=region, power=power))
    return "; ".join(notes)


def _split_note(order: _Order, *, region: str) -> str:
    """How an order split across sites (:func:`_split`) is placed: each site's share, and
    when a share waits for power."""
    # Each share is dated to its own site's power (_split): where they differ, each share's
    # dates are said, and that the order's are its first share's.
    apart = len({(p.order_by, p.arrives, p.runs_from) for p in order.shares}) > 1
    shares = []
    for part in order.shares:
        when = [] if part.powered else [f"no power yet: runs from {part.runs_from}"]
        if apart:
            dates = f"by {part.order_by}, lands {part.arrives}"
            runs = part.runs_from
            if not part.powered and runs is not None and runs > part.arrives:
                gap = (runs - part.arrives).days
                before = (
                    f"{gap // _DAYS_PER_WEEK} weeks"
                    if gap % _DAYS_PER_WEEK == 0
                    else f"{days_count(gap)}"
                )
                dates += f", {before} before its power runs it from {runs}"
            elif not part.powered and runs is not None:
                dates += f", runs from {runs}"
            when = [dates] if part.powered else [f"no power yet: {dates}"]
        if part.runs_from is None and not part.powered:
            when = ["no power for it in the plan"]
            if apart:
                when = [f"by {part.order_by}, lands {part.arrives}, no power for it in the plan"]
        if part.beyond_ceiling:
            when.append(f"{part.beyond_ceiling} past its ceiling, held by no site: {NEW_SITE}")
        said = f" ({'; '.join(when)})" if when else ""
        shares.append(f"{part.blocks} at {part.site}{said}")
    split = f"split across {region}'s sites by what their ceilings hold: {', '.join(shares)}"
    if apart:
        split += "; its shares run from different days: the order-by date is the first share's"
    return split


def _empty_row(region: str, pool: Pool, *, quantile: str, as_of: date) -> dict[str, object]:
    return dict.fromkeys(TRIGGERS_SCHEMA.names()) | {
        "region": region,
        "pool": pool.value,
        "quantile": quantile,
        "as_of": as_of,
        "monthly_only": False,
        "unverified_green": False,
    }


def _order_fields(
    order: _Order, *, as_of: date, exhaustion: date, blocks: int
) -> dict[str, object]:
    """The TRIGGERS columns that describe an order of ``blocks`` of ``order``'s candidate."""
    c = order.candidate
    status = trigger_status(
        as_of=as_of,
        exhaustion=exhaustion,
        order_by=order.order_by,
        lead_time=_weeks(c.lead_time_weeks),
    )
    # The first day they can serve: the plan's power, else power contracted today (runs_from,
    # set once placed by arrival); neither, or blocks past their site's ceiling, and some
    # never serve.
    serves = order.usable if order.usable is not None else order.runs_from
    if order.beyond_ceiling:
        serves = None
    # Dated to land with its power (_with_its_power), it waited for it, even where, placed
    # again on its new day, its site has the MW then: a 90-day fleet's training pods, dated
    # to 2028-04-29 for a shortfall from 2027-09-01, read green on that order-by date.
    waited = not order.powered or order.dark_arrives is not None
    # Blocks past their site's ceiling never run there, however much MW is energized free on
    # their arrival (orders waiting on power claimed the ceiling's room): a rack wholly past
    # its ceiling read green, "powered", in service on arrival, beside "a new site is needed".
    waited = waited or bool(order.beyond_ceiling)
    if blocks and waited and (serves is None or serves > exhaustion):
        # Blocks that wait for their site's power past exhaustion serve nothing in time,
        # whenever they are ordered: the shortfall is coming (amber read as "still time").
        # Blocks that power contracted today runs by then are not: the demo's us-west
        # training cell read red beside its site's green power trigger.
        status = Status.RED
    elif blocks and waited and status is Status.GREEN and serves and serves > order.arrives:
        # In time on its dates, its blocks run from its site's power, not from their arrival:
        # inside the buffer before exhaustion, amber (the demo's us-west/all read green while
        # 41 of its 65 racks waited for power until 2027-06-02, 3 days before its shortfall).
        status = Status.AMBER
    return {
        "candidate": c.name,
        "kind": c.kind.value,
        "gpu_type": c.gpu_type,
        "lead_time_weeks": c.lead_time_weeks,
        "order_by": order.order_by,
        "arrives": order.arrives,
        "status": status.value,
        "blocks_to_order": blocks,
        "capex_usd": blocks * c.capex_usd,
        "mw": blocks * c.mw,
        # An order waiting for its site's power serves from then, not from its arrival.
        "powered_from": order.usable if not order.powered and blocks else None,
    }


def _running(order: _Order) -> list[tuple[date, int]]:
    """(first day, blocks) of each share of ``order`` whose blocks run: those under its site's
    ceiling (the rest are a new site's, and never run there), from ``runs_from`` where power
    comes after their arrival, else from their arrival.

    The all pool read "covered by the training-pool order: 2 x pod-h100" (0 racks, red) for 2
    pods wholly past their site's ceiling, which no power within the plan runs."""
    running = []
    for share in order.shares:
        blocks = share.blocks - min(share.beyond_ceiling or 0, share.blocks)
        if blocks > 0:
            runs = share.runs_from if share.runs_from is not None else share.arrives
            running.append((max(runs, share.arrives), blocks))
    return running


def _running_blocks(order: _Order) -> int:
    """Blocks of ``order`` that run (:func:`_running`)."""
    return sum(blocks for _, blocks in _running(order))


def _running_from(order: _Order) -> date | None:
    """The day every block of ``order`` that runs is running (:func:`_running`); None when
    none runs."""
    return max((day for day, _ in _running(order)), default=None)


def _relief_named(relief: _Order) -> str:
    """The training-pool order an all pool is sized net of (or covered by), as counted: its
    blocks, the day those that run all run from, and how many are past their site's ceiling,
    counted for nothing ('3 x pod-h100 in service 2026-08-03, 1 of them past s1's ceiling:
    counted for nothing, a new site is needed for it')."""
    named = f"{relief.total_blocks} x {relief.candidate.name}"
    runs = _running_from(relief)
    past = relief.total_blocks - _running_blocks(relief)
    said = f"{named} in service {runs if runs is not None else relief.arrives}"
    if past:
        sites = sorted({s.site for s in relief.shares if s.beyond_ceiling and s.site})
        where = " and ".join(f"{site}'s" for site in sites) or "its site's"
        them = "it" if past == 1 else "them"
        said += f", {past} of them past {where} ceiling: counted for nothing, {NEW_SITE} for {them}"
    return said


def _relieved(shortfall: pl.DataFrame, relief: _Order | None) -> pl.DataFrame:
    """``shortfall`` once ``relief`` (an order for another pool) is in service: its blocks that
    run, from when they run (:func:`_running`)."""
    if relief is None:
        return shortfall
    relieved = pl.lit(0.0)
    for day, blocks in _running(relief):
        relieved = relieved + pl.when(pl.col("ds") >= day).then(blocks * relief.units).otherwise(
            0.0
        )
    return shortfall.with_columns(pl.col("shortfall_gpus") - relieved)


def _net_of(shortfall: pl.DataFrame, relief: _Order | None) -> float:
    """Largest shortfall left once ``relief`` (an order for another pool) is in service."""
    return max(float(_relieved(shortfall, relief)["shortfall_gpus"].max()), 0.0)  # type: ignore[arg-type]


class _PlannedCover(NamedTuple):
    """Blocks already in the plan (committed, or live with a later in-service date) whose
    landing ends a sizing window's shortfall: from ``lands`` on, nothing is short to the
    window's end."""

    lands: date
    blocks: list[Block]

    def named(self) -> str:
        """The blocks, by id and status, with their GPUs ('4 committed blocks (r-east-pod-1,
        ...; 4,096 GPUs)')."""
        gpus = sum(b.gpus for b in self.blocks)
        statuses = sorted({b.status.value for b in self.blocks})
        kind = f"{' / '.join(statuses)} block{'s' if len(self.blocks) > 1 else ''}"
        ids = ", ".join(b.id for b in self.blocks)
        return f"{len(self.blocks)} {kind} ({ids}; {gpus:,} GPUs)"


def _planned_cover(
    sized: pl.DataFrame,
    plan: CapacityPlan,
    *,
    region: str,
    pool: Pool,
    serves_from: date,
    relief: _Order | None,
) -> _PlannedCover | None:
    """The planned blocks whose landing ends the shortfall an order serving from
    ``serves_from`` is sized on (``sized``, to the window's end), or None when the window is
    still short on its last day, or the shortfall ends with no planned block landing (demand
    falling is not capacity planned)."""
    short = _relieved(sized, relief).filter(
        (pl.col("ds") >= serves_from) & (pl.col("shortfall_gpus") > _TOL)
    )
    if short.is_empty():
        return None
    lands = _day(short["ds"].max()) + timedelta(days=1)
    if lands > _day(sized["ds"].max()):
        return None
    blocks = [
        b
        for b in _pool_blocks(plan, pool)
        if b.region == region and b.in_service is not None and serves_from < b.in_service <= lands
    ]
    # The shortfall must end the day planned capacity lands, not after it as demand falls.
    if not any(b.in_service == lands for b in blocks):
        return None
    return _PlannedCover(lands, blocks)


# Opens the note of a pool short until blocks already planned land, within the buffer of the
# earliest order's arrival: nothing is bought for those days (the CLI's summary reads it).
PULL_IN = "until the capacity already planned lands"


def _unverified_green(
    plan: CapacityPlan,
    *,
    region: str,
    pool: Pool,
    end: date,
    as_of: date,
    settings: TriggerSettings,
) -> str:
    """The caveat of a green pool whose forecast ends too soon to verify it ('' when it does
    not): a shortfall the day after ``end`` would already be past its order-by date."""
    candidates = _candidates(plan, region=region, pool=pool)
    if not candidates:
        return ""
    fastest = min(candidates, key=lambda c: (c.lead_time_weeks, c.name))
    order_by = end + timedelta(days=1) - _weeks(fastest.lead_time_weeks + settings.buffer_weeks)
    if as_of <= order_by:
        return ""
    return (
        f", where the forecast ends: {UNVERIFIED_GREEN} (a shortfall the day after would "
        f"need {fastest.name}, the fastest block at {fastest.lead_time_weeks} weeks, ordered "
        f"by {order_by}, already past; ordered today it arrives "
        f"{as_of + _weeks(fastest.lead_time_weeks)})"
    )


# Said of a green pool whose forecast ends before its fastest block could still be ordered in
# time; its ``unverified_green`` field is what the pages' headline counts
# (report.inputs.status_headline).
UNVERIFIED_GREEN = "not verified beyond it"


def _window_end(start: date, *, sizing_weeks: int, size_until: date | None) -> date:
    """The last day an order serving from ``start`` is sized for: ``sizing_weeks`` on, and no
    later than ``size_until`` where set, though four weeks at least (a month's row)."""
    end = start + _weeks(sizing_weeks)
    return end if size_until is None else min(end, max(size_until, start + _weeks(4)))


class _Decision(NamedTuple):
    """A pool's TRIGGERS row, the order it places (None when none), the last day that order
    was sized for (None when the pool never runs short), the bridge it was cut short for, and
    the clauses its note gives about the order and its power."""

    row: dict[str, object]
    order: _Order | None
    sized_to: date | None
    bridge: _Bridge | None = None
    # The note's clauses about the order and its power (_order_head): its first, but for an
    # order not sized (_unsized), whose note opens with that.
    head: _Head = _Head("", "")

    @property
    def waits_for_power(self) -> bool:
        """Whether the order's site has no power for it on its arrival: its note says power
        is the constraint (:func:`_power_note`), and a red status may rest on that alone."""
        return self.order is not None and not all(s.powered for s in self.order.shares)


# Opens the note of an all pool the training pool's order covers (_say_relief_as_placed).
_COVERED = "covered by the training-pool order: "


def _trigger_row(
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    region: str,
    pool: Pool,
    as_of: date,
    settings: TriggerSettings,
    relief: _Order | None,
    power: _Power | None,
    bridge_from: date | None = None,
    size_until: date | None = None,
) -> _Decision:
    """One TRIGGERS row and its order; ``relief`` is an order for an overlapping pool; with
    ``bridge_from``, an order may be cut short for a newer generation ordered from that day;
    with ``size_until``, the order is sized no further (see :func:`_window_end`)."""
    full = partial(_window_end, sizing_weeks=settings.sizing_weeks, size_until=size_until)
    cut = dict(settings.sized_before).get(region)

    def window(start: date) -> date:
        # An order for a shortfall before the cut (a deal's first day) is not grown by what
        # the deal adds after it, nor dated to the power that would take (TriggerSettings).
        end = full(start)
        return end if cut is None or start >= cut else min(end, cut - timedelta(days=1))

    row = _empty_row(region, pool, quantile=settings.quantile, as_of=as_of)
    found = _exhaustion(daily)
    if found is None:
        end = _day(daily["ds"].max())
        note = f"{settings.quantile} requirement stays within capacity through {end}"
        if float(daily["requirement_gpus"].max() or 0.0) <= _TOL:  # type: ignore[arg-type]
            # No demand to verify (an inference-only trace's training pool read "green to
            # 2025-01-26 only: not verified beyond" on its front page).
            note = f"no {pool.value} demand in the forecast through {end}"
            if any(
                b.region == region and b.dedicated_customer and b in _pool_blocks(plan, pool)
                for b in plan.block
            ):
                # A pod dedicated to the class's only customer leaves the pool nothing, which
                # is not "no demand in the forecast".
                note = (
                    f"no {pool.value} demand on the shared blocks through {end} (none in the "
                    "forecast, or all of it on blocks dedicated to its customers)"
                )
        elif caveat := _unverified_green(
            plan, region=region, pool=pool, end=end, as_of=as_of, settings=settings
        ):
            note += caveat
            row["unverified_green"] = True
        row |= {"status": Status.GREEN.value, "max_shortfall_gpus": 0.0, "note": note}
        row |= {"blocks_to_order": 0, "capex_usd": 0.0, "mw": 0.0}
        return _Decision(row, None, None)
    gross = _net_of(found.shortfall, None)
    window_end = window(found.day)
    sized = found.shortfall.filter(pl.col("ds") <= window_end)
    from_exhaustion = (window_end, sized)
    net = _net_of(sized, relief)
    candidates = _candidates(plan, region=region, pool=pool)
    choose = partial(
        _choose,
        plan=plan,
        region=region,
        exhaustion=found.day,
        as_of=as_of,
        buffer_weeks=settings.buffer_weeks,
        power=power,
    )
    order = choose(candidates, shortfall_gpus=net) if net > 0.0 else None
    first_choice = order
    from_arrival = False
    unsized = partial(
        _unsized,
        row,
        found=found,
        plan=plan,
        region=region,
        as_of=as_of,
        buffer_weeks=settings.buffer_weeks,
    )
    if order is not None and order.arrives > found.day:
        # A late order serves from its arrival only: it is sized for the weeks after that, net
        # of a training-pool order landing by then. (Sized from the exhaustion date, a region
        # with no capacity ordered a second 8,192-GPU cell beside the training pool's, both
        # arriving 629 days after exhaustion, for 4,128 GPUs short.) One arriving after the
        # forecast's last day has no day to be sized on: not sized (_unsized).
        late_end = window(order.arrives)
        after_arrival = found.shortfall.filter(pl.col("ds").is_between(order.arrives, late_end))
        if not after_arrival.height:
            return unsized(order)
        window_end, sized, from_arrival = late_end, after_arrival, True
        net = _net_of(sized, relief)
        order = choose(candidates, shortfall_gpus=net) if net > 0.0 else None
        if order is not None and order.arrives <= found.day:
            # Chosen again for the later window, it lands in time after all: sized from
            # exhaustion like any order that does. (Left at the later window, 341 racks
            # landing a month before exhaustion were bought for the shortfall of the year
            # after the first choice's arrival, 2028-08 to 2029-08.)
            (window_end, sized), from_arrival = from_exhaustion, False
            net = _net_of(sized, relief)
            order = _rechosen(
                order, choose([order.candidate], shortfall_gpus=net) if net > 0.0 else None
            )
        elif (
            order is not None and first_choice is not None and order.arrives != first_choice.arrives
        ):
            # Another block type, landing on another day: sized for the weeks after its
            # own arrival. (Left at the first choice's window, 579 pods landing 2026-12-21
            # were bought for the year after a 90-week cell's arrival, to 2029-01-29.)
            late_end = window(order.arrives)
            window_end = late_end
            sized = found.shortfall.filter(pl.col("ds").is_between(order.arrives, late_end))
            if not sized.height:
                return unsized(order)
            net = _net_of(sized, relief)
            order = _rechosen(
                order, choose([order.candidate], shortfall_gpus=net) if net > 0.0 else None
            )
    if relief is not None and order is not None and power is not None and not order.powered:
        # Waiting for power, the order serves nothing before its blocks run: net of the
        # training-pool order (counted from when its blocks run) from then on. Counted over
        # the days before, a rack running with 2 training pods on 2027-02-02 was bought for
        # the 29 days before them, which it could not serve either.
        runs = _past_the_ceiling(order, plan, power=power, as_of=as_of, settings=settings)
        start = runs.runs_from
        # (Its window ending before then, it is left as sized: _dated says so.)
        if start is not None and _day(sized["ds"].min()) < start <= _day(sized["ds"].max()):
            net = _net_of(sized.filter(pl.col("ds") >= start), relief)
            order = _rechosen(
                order, choose([order.candidate], shortfall_gpus=net) if net > 0.0 else None
            )
    # An order waiting for its site's power, where that power brings back blocks of the pool
    # already owned first: sized from when it can run, net of them (see the module doc).
    back = (
        None
        if order is None or power is None
        else _brought_back(
            plan,
            order,
            region=region,
            pool=pool,
            as_of=as_of,
            buffer_weeks=settings.buffer_weeks,
            end=_day(found.shortfall["ds"].max()),
        )
    )
    if back is not None and order is not None:
        back_end = window(back.runs)
        restored = back.restored(found.shortfall, start=back.runs, end=back_end)
        if restored.is_empty():
            back = None  # it runs past the forecast: nothing to net it on
        else:
            waiting, window_end, sized, from_arrival = order, back_end, restored, True
            net = _net_of(sized, relief)
            order = _rechosen(
                order, choose([order.candidate], shortfall_gpus=net) if net > 0.0 else None
            )
            if order is None:
                row |= {
                    "exhaustion_date": found.day,
                    "requirement_gpus_at_exhaustion": found.requirement,
                    "capacity_gpus_at_exhaustion": math.floor(found.capacity + _TOL),
                    "max_shortfall_gpus": gross,
                }
                row = _nothing_but_power(
                    row,
                    waiting,
                    back,
                    found=found,
                    plan=plan,
                    as_of=as_of,
                    buffer_weeks=settings.buffer_weeks,
                    covered_to=min(window_end, _day(found.shortfall["ds"].max())),
                )
                return _Decision(row, None, window_end)
    bridge = None
    if bridge_from is not None and order is not None and order.in_time and not from_arrival:
        bridge = _bridge(
            order,
            candidates,
            plan,
            found=found,
            window_end=window_end,
            relief=relief,
            region=region,
            as_of=as_of,
            bridge_from=bridge_from,
            buffer_weeks=settings.buffer_weeks,
            sizing_weeks=settings.sizing_weeks,
            power=power,
        )
        if bridge is not None:
            order, window_end = bridge.order, bridge.start - timedelta(days=1)
            sized = found.shortfall.filter(pl.col("ds") <= window_end)
            net = _net_of(sized, relief)
    row |= {
        "exhaustion_date": found.day,
        "requirement_gpus_at_exhaustion": found.requirement,
        # Whole units: capacity in H100-equivalents may be fractional; never overstated.
        "capacity_gpus_at_exhaustion": math.floor(found.capacity + _TOL),
        "max_shortfall_gpus": gross,
    }
    if relief is not None and net <= 0.0 < _net_of(sized, None):
        row |= _order_fields(relief, as_of=as_of, exhaustion=found.day, blocks=0)
        row["note"] = f"{_COVERED}{_relief_named(relief)}"
        return _Decision(row, None, window_end)
    if net <= 0.0 and first_choice is not None:
        # Short now, but capacity already planned covers the need before anything ordered
        # today could land: an order would only stand idle.
        row |= _order_fields(first_choice, as_of=as_of, exhaustion=found.day, blocks=0)
        row["note"] = (
            f"short from {found.day}, but the earliest order ({first_choice.candidate.name}) "
            f"lands {first_choice.arrives}, when capacity already planned covers the need: "
            "nothing to order; the shortfall until then is absorbed, not bought"
        )
        return _Decision(row, None, window_end)
    if order is None:
        note = f"no candidate block type can serve the {pool.value} pool in {region}"
        return _Decision(row | {"status": Status.RED.value, "note": note}, None, window_end)
    serves_from = order.arrives if from_arrival else found.day
    since = "its arrival" if from_arrival else "exhaustion"
    if back is not None:
        serves_from, since = back.runs, "its site's power"
    cover = (
        None
        if bridge is not None
        else _planned_cover(
            sized, plan, region=region, pool=pool, serves_from=serves_from, relief=relief
        )
    )
    bridged_days = None if cover is None else (cover.lands - serves_from).days
    if (
        cover is not None
        and bridged_days is not None
        and from_arrival
        and bridged_days <= settings.buffer_weeks * 7
    ):
        # Blocks that serve only the weeks before capacity already planned lands stand idle
        # from then on: 4 racks per region ($67.6M) landing 18 days before 4,096 committed
        # GPUs, beside a finance page that listed those GPUs as idle. Within the buffer
        # the plan's own dates are the lever (expedite or pull the planned blocks in).
        row |= _order_fields(order, as_of=as_of, exhaustion=found.day, blocks=0)
        capex = order.blocks * order.candidate.capex_usd
        row["note"] = (
            f"short from {found.day} {PULL_IN}: {cover.named()} in service {cover.lands}; "
            f"an order placed today ({order.blocks} x {order.candidate.name}, "
            f"{usd(capex)}) lands {order.arrives}, only {days_count(bridged_days)} before "
            f"them (within the {settings.buffer_weeks}-week buffer), and would stand idle "
            "after: nothing to order; absorb the shortfall, expedite the planned blocks or "
            "pull them in"
        )
        return _Decision(row, None, window_end)
    head = _order_head(
        order,
        plan=plan,
        region=region,
        exhaustion=found.day,
        buffer_weeks=settings.buffer_weeks,
        power=power,
    )
    notes = [head.text]
    if back is not None:
        notes.append(
            f"sized net of {back.named()}, which the power it waits for at {back.site} brings "
            f"back first (from {back.day}): {back.site}'s power trigger counts the dark "
            "blocks' MW and this order's, once each"
        )
    if cover is not None:
        # What the order is for, where capacity already planned ends its shortfall.
        notes.append(
            f"it bridges the {bridged_days} days from "
            f"{since} ({serves_from}) until "
            f"{cover.named()} land {cover.lands}, after which capacity already planned covers "
            f"the need to {window_end}"
        )
    # What grows past the order's window: the shortfall after it, not the largest one
    # anywhere (a late order's largest shortfall can lie before its arrival, absorbed, and
    # read as growth still to come with no later order to meet it).
    beyond = found.shortfall.filter(pl.col("ds") > window_end)
    later = (_net_of(beyond, None) if beyond.height else 0.0) - _net_of(sized, None)
    last_day = found.shortfall["ds"].max()
    if later <= _TOL and isinstance(last_day, date) and window_end > last_day:
        # The window runs past the plan: say how far the order was sized for, not how far a
        # full window would have reached (Helios: "to 2021-07-25" on a plan ending 2020-07-26).
        notes.append(
            f"sized for the days the plan covers after "
            f"{since}, to {last_day} (the "
            f"{settings.sizing_weeks} weeks of a full window reach {window_end}, not within "
            "the horizon)"
        )
    if later > _TOL:
        after = since
        span = f"sized for the {settings.sizing_weeks} weeks after {after} (to {window_end})"
        start = serves_from
        if size_until is not None and window_end < start + _weeks(settings.sizing_weeks):
            past = (
                f"{window_end}, the last daily row: past it"
                if window_end == size_until
                else f"{window_end} only: past the daily rows (to {size_until})"
            )
            span = (
                f"sized to {past} no decision backtest calibrated this run's band (history too "
                "short for one), so the order due now does not buy on it"
            )
        if cut is not None and start < cut and window_end == cut - timedelta(days=1):
            span = (
                f"sized to {window_end}, the day before the deal weighed on this plan starts "
                f"({cut}): what is short from then, the deal's GPUs with it, is the later "
                "orders'"
            )
        if bridge is not None:
            to = bridge.to.candidate
            span = (
                f"sized to {window_end}, a bridge to {to.name} ({to.gpu_type}, a newer "
                f"generation, {to.lead_time_weeks} weeks), which can serve in time from "
                f"{bridge.start}"
            )
        notes.append(
            f"{span}; the shortfall grows by {later:,.0f} more by "
            f"{_day(found.shortfall['ds'].max())}{_LATER}"
        )
    if relief is not None and net < _net_of(sized, None):
        notes.append(f"sized net of the training-pool order ({_relief_named(relief)})")
    elif relief is not None and relief.total_blocks and not _running(relief):
        # Wholly past its site's ceiling, it serves the all pool nothing: said, so that the
        # two orders do not read as one need bought twice.
        notes.append(
            f"not net of the training-pool order ({relief.total_blocks} x "
            f"{relief.candidate.name}): none of its blocks can run, all past their site's "
            f"ceiling ({NEW_SITE} for them)"
        )
    median = _median_size(
        daily,
        order,
        sized=sized,
        relief=relief,
        as_of=as_of,
        scored_days=settings.scored_days,
    )
    if median is not None:
        notes.append(median)
    row |= _order_fields(order, as_of=as_of, exhaustion=found.day, blocks=order.blocks)
    row["note"] = "; ".join(notes)
    if power is not None and order.site is not None:
        power.take(order.site, order.mw_held, order.arrives)
    return _Decision(row, order, window_end, bridge, head)


# Opens the note of an order the forecast ends before (TRIGGERS rows with a candidate and no
# blocks_to_order); the pages and the CLI read it (report.pages.common.blocks_text).
NOT_SIZED = "not sized: the forecast ends before it could arrive"


def _unsized(
    row: dict[str, object],
    order: _Order,
    *,
    found: _Exhaustion,
    plan: CapacityPlan,
    region: str,
    as_of: date,
    buffer_weeks: int,
) -> _Decision:
    """The trigger of a pool whose order lands after the forecast's last day: what to order
    and by when, but no size, capex or MW, and no placement (so in no total).

    Sized on the days the forecast has, before it lands, the order bought for days it cannot
    serve: 2 racks ($16.9M) for a ServeGen pool whose 26-week forecast orders 7 ($59.1M), and
    nothing said the figure was not measured.
    """
    end = _day(found.shortfall["ds"].max())
    head = _order_head(
        order,
        plan=plan,
        region=region,
        exhaustion=found.day,
        buffer_weeks=buffer_weeks,
        power=None,
        priced=False,
    )
    row |= {
        "exhaustion_date": found.day,
        "requirement_gpus_at_exhaustion": found.requirement,
        "capacity_gpus_at_exhaustion": math.floor(found.capacity + _TOL),
        "max_shortfall_gpus": _net_of(found.shortfall, None),
    }
    row |= _order_fields(order, as_of=as_of, exhaustion=found.day, blocks=order.blocks)
    row |= {"blocks_to_order": None, "capex_usd": None, "mw": None, "powered_from": None}
    row["note"] = (
        f"{NOT_SIZED} (it lands {order.arrives}, the forecast ends {end}): its size, capex and "
        f"MW are not measured and are in no total; {reach_to_size(order.arrives, as_of=as_of)}; "
        f"{head.text}"
    )
    return _Decision(row, None, end, head=head)


def _median_size(
    daily: pl.DataFrame,
    order: _Order,
    *,
    sized: pl.DataFrame,
    relief: _Order | None,
    as_of: date,
    scored_days: int | None,
) -> str | None:
    """What the same window would order at the median, where the order is sized past the
    ``scored_days`` the run's backtests scored and the median asks for fewer blocks (None
    otherwise, or when the forecast has no median: ``requirement_q50`` absent).

    Sized at q90 far out, an order reads the band's tail where nothing measured it: a lumpy
    class's q90 16 times its q50 at 19 months ordered 174 pods ($7.1B) for a class of 3,584
    GPUs, and nothing beside the figure said what it rested on.
    """
    if "requirement_q50" not in daily.columns or sized.is_empty():
        return None
    last = _day(sized["ds"].max())
    scored = DECISION_HORIZON_DAYS if scored_days is None else scored_days
    if last <= as_of + timedelta(days=scored):
        return None
    median = daily.filter(pl.col("ds").is_between(sized["ds"].min(), last)).select(
        "ds", shortfall_gpus=pl.col("requirement_q50") - pl.col("capacity_gpus")
    )
    blocks = _blocks_needed(_net_of(median, relief), order.units)
    if blocks >= order.blocks:
        return None
    capex = blocks * order.candidate.capex_usd
    # "needs 0 x cell-gb200-8192 ($0.0M)" read as a figure to price; it is none.
    needs = (
        f"{blocks} x {order.candidate.name} ({usd(capex)})"
        if blocks
        else "no block (the median is not short there)"
    )
    return (
        f"at q50 the same window needs {needs}: sized to {last}, {_past_scored(scored_days)}: "
        "the order reads the band's upper tail where no backtest measured it"
    )


def _past_scored(scored_days: int | None) -> str:
    """Where an order's window lies against what the backtests scored: the run's own reach
    where given (a run whose backtests scored 28 days read "past the 182 days ahead the
    backtests score", a figure of the decision backtest it never had)."""
    if scored_days is None:
        return f"past the {DECISION_HORIZON_DAYS} days ahead a decision backtest scores"
    if scored_days == 0:
        return "and no backtest of this run scored its band"
    return f"past the {scored_days} days ahead this run's backtests scored"


def _monthly_grain_note(exhausted: date, daily_end: date) -> str:
    """How to read an exhaustion date past the daily rows: as a month, not a day, and on a
    stricter reading than a daily row's.

    A month's row is its peak day, whose quantile is the chance that some day of the month is
    short: above any one day's. The same fleet forecast with 7 daily days read red in January
    where 182 daily days read green to August, and nothing on the trigger said why.
    """
    return (
        f"exhausted in {exhausted:%B %Y} (monthly rows past {daily_end}: a month's peak day, "
        "whose quantile reads above any one day's: a stricter reading than the daily rows')"
    )


def _monthly_only(decision: _Decision, *, daily_end: date, as_of: date) -> None:
    """``decision``'s row, whose first shortfall is on a monthly row within
    ``DEFAULT_HORIZON_DAYS`` while every daily row before it is within capacity, read as what
    it is: short at the monthly grain, undated at the daily one.

    A month's peak day reads above any one day's, so a month's row is short before its days
    are: the same fleet read red, "order by 2026-09-04, 90 days ago: late" with 7 daily days,
    and green, order by 2027-04-25, with 182, whose daily rows for the same months never
    crossed (a one-customer fleet: red "Feb 2027" with 14, green 2027-05-18 with 182). Its
    order-by date is the monthly rows' (from the month's first day, as every monthly
    exhaustion's); a shortfall at the daily grain comes then or later, so that date is the
    earliest, and the trigger is amber at most on it, never red: red says the shortfall comes
    whatever is ordered now, which no daily row shows. The note says how far ahead to forecast
    to date it. Past the default daily days every run reads months, and the rule stands.
    """
    row = decision.row
    exhausted, order_by = row["exhaustion_date"], row["order_by"]
    assert isinstance(exhausted, date)
    month_end = _month_after(exhausted)
    ahead = (month_end - as_of).days - 1  # days ahead of as_of to the month's last day
    late = isinstance(order_by, date) and order_by < as_of
    # At every horizon, whatever made it red (an order-by date past, or blocks waiting for
    # power past exhaustion): an 8-week run read red where a 14-day one read amber for the
    # same unverified shortfall, only because its order-by date was still ahead.
    capped = row["status"] == Status.RED.value
    if capped:
        row["status"] = Status.AMBER.value
    due = (
        f"order-by {order_by} is the monthly rows', the earliest a daily shortfall could need"
        if isinstance(order_by, date)
        else "nothing is dated at the daily grain"
    )
    if decision.order is not None and decision.order.dark_order_by is not None:
        # Dated by its site's power, not by the monthly rows (_with_its_power).
        due = f"order-by {order_by} is its site's power's, not the monthly rows'"
    colour = "; amber, not red, on it" if late or capped else ""
    if capped and decision.waits_for_power:
        colour += " (its blocks wait for power: red once a daily row dates the shortfall)"
    note = str(row["note"])
    head = decision.head
    # Its lateness said against the month read short (_after_exhaustion): the head is the
    # order's own clauses, written both ways.
    assert head.text in note
    row["monthly_only"] = True
    row["note"] = (
        f"short at the monthly grain from {exhausted:%B %Y} (a month's peak day, whose quantile "
        f"reads above any one day's), past the daily rows (to {daily_end}), none of which is "
        f"short: {MONTHLY_ONLY} ({due}): forecast at least {days_count(ahead)} ahead to date it"
        f"{colour}; {note.replace(head.text, head.in_month, 1) if head.text else note}"
    )


def _placements(
    decision: _Decision, *, region: str, pool: Pool, tranche: int
) -> list[tuple[object, ...]]:
    """The PLACEMENTS rows of ``decision``'s order: one per site it is split across, its own
    site's first."""
    order = decision.order
    assert order is not None  # only orders are placed
    return [
        (
            region,
            pool.value,
            part.candidate.name,
            part.site,
            part.blocks,
            part.mw,
            part.arrives,
            # Wholly past its ceiling, no block of it has MW there, energized or not.
            part.powered and not _past_every_ceiling(part),
            tranche,
            # Blocks no site can power have no deadline: dated from the shortfall they would
            # cover, they read "by 2028-01-13" while they never run on this plan.
            None if _past_every_ceiling(part) else part.order_by,
            part.blocks * part.candidate.capex_usd,
            decision.row["exhaustion_date"],
            _share_status(decision, part) if order.by_power else decision.row["status"],
            part.beyond_ceiling,
            None
            if _past_every_ceiling(part)
            else part.runs_from
            if part.runs_from is not None or not part.powered
            else part.arrives,
        )
        for part in (order, *order.parts)
    ]


def _past_every_ceiling(share: _Order) -> bool:
    """Whether every block of ``share`` lies past its site's ceiling, which no site of its
    region can hold (:func:`_split`): a new site is needed before it has an order-by date."""
    return share.blocks > 0 and (share.beyond_ceiling or 0) >= share.blocks


def _share_status(decision: _Decision, share: _Order) -> str:
    """The status of one share of an order split by power (:func:`_split_by_power`): its own
    dates' (the row's is its most urgent share's), never above the row's (a shortfall read at
    the monthly grain only is amber at most: :func:`_monthly_only`).

    Each share read its row's red: the racks on power, ordered in time on the shortfall's
    dates, read red for the racks beside them that wait on power."""
    exhaustion, as_of = decision.row["exhaustion_date"], decision.row["as_of"]
    assert isinstance(exhaustion, date) and isinstance(as_of, date)
    own = _order_fields(share, as_of=as_of, exhaustion=exhaustion, blocks=share.blocks)["status"]
    rank = list(Status)
    return min(Status(str(own)), Status(str(decision.row["status"])), key=rank.index).value


def _with_orders(daily: pl.DataFrame, orders: Sequence[_Order]) -> pl.DataFrame:
    """``daily`` with every order's capacity in service: its blocks that run, from when they
    run (:func:`_running`; from its arrival where its placement is not yet known)."""
    added = pl.lit(0.0)
    for o in orders:
        for day, blocks in _running(o):
            added = added + pl.when(pl.col("ds") >= day).then(blocks * o.units).otherwise(0.0)
    return daily.with_columns(pl.col("capacity_gpus") + added)


def _later_orders(
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    first: _Decision,
    earlier: Sequence[_Order],
    region: str,
    pool: Pool,
    as_of: date,
    settings: TriggerSettings,
    power: _Power | None,
    bridge_from: date | None = None,
) -> list[_Decision]:
    """The orders after the trigger's to the plan's end, by the same rule: each is chosen and
    sized for the next shortfall once every order before it (``earlier``: the training pool's,
    which serve ``all`` too) is in service, from the day after the last one's sizing window.

    The trigger is the decision due now; these are what the plan already implies after it, so
    that capital by quarter and the MW each site needs reach the plan's end (a 36-month plan
    that priced and powered only its first order read us-east-a short by 16 MW in 2027 and
    then never again, while the forecast's need grew by 186,000 GPUs more).
    """
    orders = [*earlier, *([first.order] if first.order is not None else [])]
    later: list[_Decision] = []
    sized_to = first.sized_to
    while sized_to is not None:
        rest = daily.filter(pl.col("ds") > sized_to)
        if rest.is_empty():
            break
        decision = _trigger_row(
            _with_orders(rest, orders),
            plan,
            region=region,
            pool=pool,
            as_of=as_of,
            settings=settings,
            relief=None,
            power=power,
            bridge_from=bridge_from,
        )
        if decision.order is not None and decision.order.blocks > 0:
            later.append(decision)
            orders.append(decision.order)
        sized_to = decision.sized_to
    return later


def _later_note(decisions: Sequence[_Decision], *, end: date, as_of: date) -> str:
    """What the plan orders after the trigger's order, in one clause ('' when nothing); an
    order-by date before ``as_of`` says it is late and when the order, placed today, lands
    against its shortfall (one 173 days past read "the first due 2026-06-13", no more)."""
    ordered = sorted(
        (d for d in decisions if d.order is not None),
        key=lambda d: d.order.first_share().order_by,  # type: ignore[union-attr]
    )
    orders = [d.order for d in ordered if d.order is not None]
    if not orders:
        return ""

    def by(day: date | None) -> str:
        if day is None:
            return f"({NO_ORDER_BY})"
        return f"by {day}{' (late)' if day < as_of else ''}"

    # Each order's blocks by the date each share is due: an order split by power is due in
    # parts (the demo's eu-west read "3 x cell by 2026-12-13; $1,105.9M" where orders.csv
    # dated 1 cell then and 2 three months later). Its blocks past every ceiling have no date
    # (the demo's "1 x cell-gb200-8192 by 2028-01-13" at us-east-c, which no site can power).
    dated: dict[tuple[int, str, date], int] = {}
    undated: dict[str, int] = {}
    for number, o in enumerate(orders):
        for s in o.shares:
            beyond = min(s.beyond_ceiling or 0, s.blocks)
            if beyond:
                undated[s.candidate.name] = undated.get(s.candidate.name, 0) + beyond
            if s.blocks > beyond:
                key = (number, s.candidate.name, s.order_by)
                dated[key] = dated.get(key, 0) + s.blocks - beyond
    parts = sorted(dated.items(), key=lambda item: (item[0][2], item[0][0]))
    # The count is of orders; the list is of their dated parts, which power may outnumber.
    planned = f"{len(orders)} planned to {end} by the same rule"
    if len(parts) > len(orders):
        planned += f" (in {len(parts)} parts by power date)"
    listed = ", ".join(
        f"{blocks} x {name} {by(day)}" for (_, name, day), blocks in parts[:_LATER_LISTED]
    )
    more = len(parts) - _LATER_LISTED
    if more > 0:
        listed += f" and {more} more"
    # Every block past the ceilings is named, after the dated ones: none is due on a date.
    beyond_all = [f"{blocks} x {name} {by(None)}" for name, blocks in sorted(undated.items())]
    listed = ", ".join(([listed] if listed else []) + beyond_all)
    capex = sum(o.total_blocks * o.candidate.capex_usd for o in orders)
    # Blocks past their site's ceiling are a new site's, not the plan's capital.
    apart = sum((o.beyond_ceiling or 0) * o.candidate.capex_usd for o in orders)
    # Blocks whose power comes after the plan's end serve nothing it covers (_past_the_plan_note).
    past = sum(
        (s.blocks - (s.beyond_ceiling or 0)) * s.candidate.capex_usd
        for o in orders
        for s in o.shares
        if not s.powered and s.runs_from is not None and s.runs_from > end
    )
    priced = capex_past_ceiling(
        capex - apart - past, apart, beyond=sum(o.beyond_ceiling or 0 for o in orders)
    )
    if past > _USD_TOL:
        priced += (
            f" (+ {usd(past)} for blocks that can run only after the plan's end, {end}: not "
            "within the horizon, not in the plan's totals)"
        )
    # The first due among the blocks some site can power.
    placeable = [
        (s.order_by, s.arrives, number, s)
        for number, o in enumerate(orders)
        for s in o.shares
        if s.blocks > min(s.beyond_ceiling or 0, s.blocks)
    ]
    if not placeable:
        return f"{planned}: {listed}; {priced}"
    *_, number, first = min(placeable, key=lambda p: p[:3])
    due = f"the first due {first.order_by}"
    if first.order_by < as_of:
        short = ordered[number].row["exhaustion_date"]
        lands = f"ordered today it lands {first.arrives}"
        if isinstance(short, date) and first.arrives > short:
            lands += f", {days_count((first.arrives - short).days)} after its shortfall ({short})"
        due += (
            f" ({days_count((as_of - first.order_by).days)} before the as-of date {as_of}: late; "
            f"{lands})"
        )
    return f"{planned}, {due}: {listed}; {priced}"


class _RegionPlan(NamedTuple):
    """A region's triggers (``first``) and later orders per pool, and the power they leave."""

    first: dict[Pool, _Decision]
    later: dict[Pool, list[_Decision]]
    power: _Power | None

    @property
    def capex_usd(self) -> float:
        """Capex of every order of the region's plan."""
        decisions = [*self.first.values(), *(d for each in self.later.values() for d in each)]
        return sum(d.order.blocks * d.order.candidate.capex_usd for d in decisions if d.order)

    def bridged(self, pool: Pool) -> bool:
        """Whether an order of ``pool`` was cut short for a newer generation."""
        return any(d.bridge is not None for d in [self.first[pool], *self.later[pool]])


def _region_plan(
    pools: dict[Pool, pl.DataFrame],
    plan: CapacityPlan,
    *,
    region: str,
    as_of: date,
    settings: TriggerSettings,
    power: _Power | None,
    bridges: frozenset[Pool],
    wait_days: int = 0,
    size_until: date | None = None,
) -> _RegionPlan:
    """The region's triggers, then what each pool orders after them, on a copy of ``power``;
    only the pools in ``bridges`` may bridge to a newer generation, ordered from ``wait_days``
    after ``as_of`` on; the triggers' orders are sized no further than ``size_until``.

    The triggers first (the all pool net of the training pool's order, which serves it too),
    then the later orders: the orders due now take power first.
    """
    power = None if power is None else power.copy()
    step = partial(
        _trigger_row,
        plan=plan,
        region=region,
        as_of=as_of,
        settings=settings,
        power=power,
        size_until=size_until,
    )
    start = as_of + timedelta(days=wait_days)
    bridge_from = {pool: start if pool in bridges else None for pool in Pool}
    before = None if power is None else power.copy()
    training = step(
        pools[Pool.TRAINING],
        pool=Pool.TRAINING,
        relief=None,
        bridge_from=bridge_from[Pool.TRAINING],
    )
    if before is not None and training.order is not None:
        # The all pool counts the training order's blocks that run, as placed on the power
        # before it: none past its site's ceiling, each from when its power runs it.
        ceiling = _past_the_ceiling(
            training.order, plan, power=before, as_of=as_of, settings=settings
        )
        training = training._replace(order=ceiling)
    first = {
        Pool.TRAINING: training,
        Pool.ALL: step(
            pools[Pool.ALL], pool=Pool.ALL, relief=training.order, bridge_from=bridge_from[Pool.ALL]
        ),
    }
    later: dict[Pool, list[_Decision]] = {}
    serving_all: list[_Order] = []
    for pool in (Pool.TRAINING, Pool.ALL):
        later[pool] = _later_orders(
            pools[pool],
            plan,
            first=first[pool],
            earlier=serving_all,
            region=region,
            pool=pool,
            as_of=as_of,
            settings=settings,
            power=power,
            bridge_from=bridge_from[pool],
        )
        if pool is Pool.TRAINING:
            serving_all = [
                o for o in (training.order, *(d.order for d in later[pool])) if o is not None
            ]
    return _RegionPlan(first, later, power)


def _cheaper_plan(
    pools: dict[Pool, pl.DataFrame],
    plan: CapacityPlan,
    *,
    region: str,
    as_of: date,
    settings: TriggerSettings,
    power: _Power | None,
    end: date,
    size_until: date | None = None,
) -> _RegionPlan:
    """The region's plan with bridges to the newer generation in the pools where they make
    every order of it to ``end`` cost less, else without; the bridged pools' notes say by how
    much.

    A bridge buys the newer block sooner: cheaper per H100-equivalent, but lumpy, and its
    capacity runs out sooner. Proposed order by order and judged on the whole plan, so that
    a cell bought for a few racks' growth, or one more cell for the plan's last weeks, is
    not taken for a saving (on 400 random two-generation plans, judging each bridge on its
    own made 2 % of plans dearer, one by 67 %). Each pool's bridges are taken or left
    together; the training pool's orders serve the all pool too, so the pools are judged in
    every combination, the fewest bridges winning a tie.

    A bridge trades capital for commitment: the newer block must be ordered sooner. So the
    plan also weighs waiting ``_WAITS_WEEKS`` to order it (the same bridges, the newer blocks
    ordered from then on, the bridges longer): the newer blocks are lumpy, and a later start
    can fit the plan's shortfalls better. The cheapest wait wins, the longest among equals
    (nothing is gained by committing sooner, and the next run reads a newer forecast); the
    notes say what ordering today, or waiting ``_WAIT_WEEKS`` more, would give up. On the demo
    as of 2026-12-01, us-east's cells ordered today cost $140.5M more over the plan than
    ordered 2-4 weeks on, and the notes called both "due now" and "waiting saves more".
    """
    plans = partial(
        _region_plan,
        pools,
        plan,
        region=region,
        as_of=as_of,
        settings=settings,
        size_until=size_until,
    )
    bridged = plans(power=power, bridges=frozenset(Pool))
    proposed = [pool for pool in Pool if bridged.bridged(pool)]
    if not proposed:
        return bridged
    tried = {frozenset(proposed): bridged}
    for n in range(len(proposed)):
        for subset in combinations(proposed, n):
            tried[frozenset(subset)] = plans(power=power, bridges=frozenset(subset))
    plain = tried[frozenset()]
    key = min(tried, key=lambda k: (tried[k].capex_usd, len(k)))
    chosen = tried[key]
    if not key:
        return chosen
    by_wait = {0: chosen} | {
        weeks: plans(power=power, bridges=key, wait_days=weeks * _DAYS_PER_WEEK)
        for weeks in _WAITS_WEEKS
    }
    cheapest = min(p.capex_usd for p in by_wait.values())
    weeks = max(w for w, p in by_wait.items() if p.capex_usd - cheapest <= _USD_TOL)
    chosen = by_wait[weeks]
    if not any(chosen.bridged(pool) for pool in Pool):
        return chosen  # waited, the newer blocks no longer serve: the plain plan's figures
    saving = plain.capex_usd - chosen.capex_usd
    if weeks:
        # Today's plan is the one waiting was weighed against: its bridges are there.
        now = by_wait[0].capex_usd - chosen.capex_usd
        today = (
            f"ordered from today they would save {usd(now)} less"
            if now > _USD_TOL
            else "as cheap as ordering them today, and it commits later"
        )
        wait = (
            f"the newer blocks ordered no sooner than {as_of + _weeks(weeks)}, {weeks} weeks "
            f"from now: of waits up to {max(_WAITS_WEEKS)} weeks the cheapest plan; {today}"
        )
    else:
        waited = by_wait[_WAIT_WEEKS]
        # Having waited, the plan can still do without the bridges: at most the saving is lost.
        waiting = min(waited.capex_usd, plain.capex_usd) - chosen.capex_usd
        later = f"ordered {_WAIT_WEEKS} weeks later, the newer blocks would save"
        if saving - waiting <= _USD_TOL:
            wait = f"{later} nothing"
        else:
            wait = f"{later} {usd(saving - waiting)}"
        wait += f"; no wait up to {max(_WAITS_WEEKS)} weeks costs less than ordering them today"
    for pool in (p for p in Pool if chosen.bridged(p)):
        row = chosen.first[pool].row
        row["note"] = (
            f"{row['note']}; bridges to the newer generation save {usd(saving)} of "
            f"{region}'s orders to {end} ({wait})"
        )
    return chosen


def _placed_by_arrival(
    chosen: _RegionPlan,
    plan: CapacityPlan,
    *,
    power: _Power,
    region: str,
    as_of: date,
    settings: TriggerSettings,
    end: date,
) -> _RegionPlan:
    """``chosen`` placed by arrival (:func:`_placed_in_arrival_order`), then, while orders
    wait for their site's power, placed again with those dated to land with it
    (:func:`_with_its_power`): by their new arrival, so that the MW and ceilings go to the
    orders landing first as they now land (two racks dated to the same day each read the
    0.4 MW a ceiling had left). Dates only move later, so a few rounds settle it."""
    placed = partial(
        _placed_in_arrival_order, plan=plan, power=power, region=region, as_of=as_of,
        settings=settings, end=end,
    )  # fmt: skip
    dated = partial(_dated, as_of=as_of, settings=settings, end=end)
    relief = chosen.first[Pool.TRAINING].order  # what the all pool's trigger was sized net of
    current = placed(chosen)
    for _ in range(_DATING_ROUNDS):
        moved = current._replace(
            first={p: dated(d) for p, d in current.first.items()},
            later={p: [dated(d) for d in each] for p, each in current.later.items()},
        )
        if all(a is b for a, b in zip(_decisions(moved), _decisions(current), strict=True)):
            break
        current = placed(moved)
    current = _undated(current, plan, power=power, region=region, as_of=as_of, settings=settings)
    _say_relief_as_placed(
        current.first[Pool.ALL], relief, current.first[Pool.TRAINING].order, as_of=as_of
    )
    return current


def _training_orders(region_plan: _RegionPlan) -> list[_Order]:
    """The training pool's orders of ``region_plan`` (its trigger's, then its later ones),
    which serve the ``all`` pool too."""
    decisions = [region_plan.first[Pool.TRAINING], *region_plan.later[Pool.TRAINING]]
    return [d.order for d in decisions if d.order is not None]


def _all_later_as_placed(
    chosen: _RegionPlan,
    sized: _RegionPlan,
    pools: dict[Pool, pl.DataFrame],
    plan: CapacityPlan,
    *,
    power: _Power,
    region: str,
    as_of: date,
    settings: TriggerSettings,
    end: date,
) -> _RegionPlan:
    """``chosen`` (placed by arrival) with the ``all`` pool's later orders sized again where
    the training pool's orders run otherwise as placed than as ``sized`` counted them: fewer
    blocks under their sites' ceilings, or from other days ("Later orders": the all pool
    counts only the training blocks that run, as the plan is placed). Placed again after;
    ``power`` is the region's power before its orders. A bridged all pool keeps its orders
    (its bridge's day is its plan's own choice), as does one where nothing moved.

    Sized on the training orders before placement, us-west's all pool counted 6 of 21 + 21
    pods that placement put past us-west-a's ceiling (a 20,000-GPU training deal on the
    demo), 6,144 GPUs no site powers: a shortfall no order covered."""

    def running(region_plan: _RegionPlan) -> list[list[tuple[date, int]]]:
        return [_running(o) for o in _training_orders(region_plan)]

    placed = partial(
        _placed_by_arrival, plan=plan, power=power, region=region, as_of=as_of,
        settings=settings, end=end,
    )  # fmt: skip
    for _ in range(2):
        if running(chosen) == running(sized) or chosen.bridged(Pool.ALL):
            return chosen
        counted = power.copy()
        for o in (*_training_orders(chosen), chosen.first[Pool.ALL].order):
            for share in () if o is None else o.shares:
                if share.site is not None:
                    counted.take(share.site, share.mw_held, share.arrives)
        later = _later_orders(
            pools[Pool.ALL], plan, first=chosen.first[Pool.ALL], earlier=_training_orders(chosen),
            region=region, pool=Pool.ALL, as_of=as_of, settings=settings, power=counted,
        )  # fmt: skip
        sized = chosen
        chosen = placed(chosen._replace(later={**chosen.later, Pool.ALL: later}))
    return chosen


def _say_relief_as_placed(
    decision: _Decision, relief: _Order | None, placed: _Order | None, *, as_of: date
) -> None:
    """``decision``'s note (the all pool's trigger) with the training-pool order it was sized
    net of given as placed: where that order, dated to its site's power or waiting for it,
    runs later than the day the all pool counted it from, its dates and that the all pool's
    size counted it from the earlier day (not re-sized: not measured for the days between
    within its sizing window, ``decision.sized_to``; past it the later orders count the order
    as placed, :func:`_all_later_as_placed`);
    an all pool it covers takes its dates as placed, red where it runs after the pool's
    exhaustion.

    A training order dated to its power (2 pods landing 2027-01-05, running 2027-02-02) left
    the all pool's note at "sized net of the training-pool order (2 x pod-h100 in service
    2026-08-03)", the day they would have landed unpowered."""
    if relief is None or placed is None:
        return
    # Counted as it ran when sized (its blocks under the ceiling, from when they run): as
    # placed, fewer of them running, or later, is what the count did not measure.
    counted = _running_blocks(relief)
    old = _running_from(relief) or relief.arrives
    lands = placed.first_share().arrives
    runs = _running_from(placed) if _running_blocks(placed) >= counted else None
    named = f"{relief.total_blocks} x {relief.candidate.name}"
    note = str(decision.row["note"])
    # Covered by it, the all pool orders nothing: nothing serves the days between either.
    covered = f"{_COVERED}{named} in service" in note
    exhaustion = decision.row["exhaustion_date"]
    if covered and isinstance(exhaustion, date):
        # Its row carries the order it rests on: its dates as placed, and red where its
        # blocks run after the pool's exhaustion (or never), as that order's own row reads
        # (covered by pods running 2027-02-02, a pool short from 2027-01-04 read amber, with
        # the pods' order-by before they were dated to their power).
        fields = _order_fields(placed.first_share(), as_of=as_of, exhaustion=exhaustion, blocks=0)
        late = runs is None or runs > exhaustion
        decision.row.update(
            {
                "order_by": fields["order_by"],
                "arrives": fields["arrives"],
                "status": Status.RED.value if late else fields["status"],
            }
        )
    if counted == 0 or (runs is not None and runs <= old):
        return  # counted for nothing, or running as counted: nothing the count missed
    if runs is None:
        running = "and no power within the plan runs all of them"
        fewer = counted - _running_blocks(placed)
        if fewer > 0 and any(s.beyond_ceiling for s in placed.shares):
            running = (
                f"and {fewer} of the {counted} counted as running are past their site's "
                "ceiling as placed"
            )
    else:
        running = f"and runs from {runs}"
    why = ", dated to its site's power" if placed.first_share().dark_arrives is not None else ""
    was = (
        "the day they would have landed unpowered"
        if lands != old and relief.arrives == old
        else "the day they run as sized"
        if lands != old
        else "the day they land"
    )
    counting = "covered counting them" if covered else "sized counting them"
    # Only its own sizing window goes unmeasured: the pool's later orders are sized again on
    # the training orders as placed (_all_later_as_placed), from the day after it. Pods
    # running 2028-05-28 beside racks sized to 2028-02-28 read "not measured for the days
    # between" (from 2027-07-17), three months of which the later orders measure.
    window = decision.sized_to
    later = "the later orders count " + (
        "only those that run, from when they run" if runs is None else "them from when they run"
    )
    if window is not None and window < old:
        unmeasured = later
    elif window is not None and (runs is None or runs > window + timedelta(days=1)):
        unmeasured = f"not measured from {old} to {window}, the end of its sizing window ({later})"
    else:
        unmeasured = "not measured for the days between"
    said = f"{named}, which lands {lands} {running}{why}: {counting} in service from {old}, {was}; "
    said += unmeasured
    decision.row["note"] = note.replace(f"{named} in service {old}", said, 1)


def _decisions(region_plan: _RegionPlan) -> list[_Decision]:
    """Every decision of ``region_plan``, the triggers' first, in a fixed order."""
    return [
        *(region_plan.first[p] for p in Pool),
        *(d for p in Pool for d in region_plan.later[p]),
    ]


def _dated(decision: _Decision, *, as_of: date, settings: TriggerSettings, end: date) -> _Decision:
    """``decision`` with its order dated to land with its site's power, where it waits;
    ``end`` is the forecast's last day."""
    if decision.order is None or decision.order.site is None:
        return decision
    order = _with_its_power(
        decision.order, as_of=as_of, buffer_weeks=settings.buffer_weeks, end=end
    )
    if order is decision.order:
        note = str(decision.row["note"]).split(_PAST_THE_PLAN, 1)[0]
        decision.row["note"] = note + _past_the_plan_note(order, end=end)
        return decision
    # A window sized from its arrival was from the day it would have landed to stand dark.
    before = decision.order.dark_arrives or decision.order.arrives
    note = str(decision.row["note"]).replace(
        "weeks after its arrival (to ",
        f"weeks after the day it would have landed unpowered, {before} (to ",
        1,
    )
    note = note.replace(
        "the days the plan covers after its arrival, to ",
        f"the days the plan covers after the day it would have landed unpowered, {before}, to ",
        1,
    )
    sized_to, runs = decision.sized_to, order.runs_from
    if sized_to is not None and runs is not None and sized_to < runs:
        # Not re-sized: what it was sized for ends before its blocks run (the demo's us-east
        # racks, sized to 2028-05-10, run from 2029-01-01), and a reader took the window for
        # the demand they serve.
        said = f"(to {sized_to}, which ends before its blocks can run, {runs}: what is short "
        note = note.replace(f"(to {sized_to})", f"{said}once they run is the later orders')", 1)
    # Dated again in a later round: said again for its new day, once.
    note = note.split(_SIZED_BEFORE_IT_RUNS, 1)[0].split(_PAST_THE_PLAN, 1)[0]
    decision.row["note"] = note
    return decision._replace(order=order)


def _placed_in_arrival_order(
    chosen: _RegionPlan,
    plan: CapacityPlan,
    *,
    power: _Power,
    region: str,
    as_of: date,
    settings: TriggerSettings,
    end: date,
) -> _RegionPlan:
    """``chosen`` with every order placed again in the order the orders arrive (ties: in the
    order they were placed), on ``power`` before any of them: each keeps its site where that
    has its MW on arrival, else goes where :func:`_placed` puts it; its ``powered`` and
    ``powered_from``, its status and its note's opening follow.

    The pools place their orders training first, then by tranche, so an order can be placed
    before one that lands earlier: placing reads MW by arrival, but the earlier one, placed
    after it, still takes its MW. Read again by arrival, the order short of power is the one
    whose arrival overflows the site, as the site's power trigger dates it (the demo's
    us-west racks read "no power yet" for a training cell landing four months after them).
    """
    power = replace(power.copy(), settled=True)
    placed = [
        (pool, i, decision)
        for pool in Pool
        for i, decision in enumerate([chosen.first[pool], *chosen.later[pool]])
        if decision.order is not None and decision.order.site is not None
    ]
    # Ties keep the order of placement: the triggers (training first), then each pool's
    # later orders, training's first.
    ranked = sorted(
        placed,
        key=lambda p: (
            p[2].order.arrives,  # type: ignore[union-attr]
            p[2].order.claims_from,  # type: ignore[union-attr]
            min(p[1], 1),
            list(Pool).index(p[0]),
            p[1],
        ),
    )
    # An order dated to land with its power keeps the room under its site's ceiling from the
    # day it would have landed: held for it until it is placed again, so that orders landing
    # before its new day but after that one do not take it (G11: a one-region fleet's order
    # due now, dated to its power, found the ceilings taken by later orders landing before
    # its new day and went back to its shortfall's dates "past the ceiling: a new site is
    # needed", beside a site with 129 MW under its ceiling).
    # Only the triggers' orders, due now: the later orders are what the plan implies after
    # them, and take what they leave.
    holds = {
        (pool, i): [
            power.reserve(s.site, s.mw_held, s.claims_from, pending=True)
            for s in d.order.shares
            if s.site is not None and s.claims_from < s.arrives
        ]
        for pool, i, d in ranked
        if i == 0 and d.order is not None
    }
    again: dict[tuple[Pool, int], _Decision] = {}
    for pool, i, decision in ranked:
        assert decision.order is not None and decision.order.site is not None
        for hold in holds.pop((pool, i), []):
            power.release(hold)
        order = decision.order.whole()  # split again on this round's MW
        if i == 0:
            order = replace(order, claims=order.claims or order.dark_arrives or order.arrives)
        assert order.site is not None
        if power.room(order.site, order.arrives) >= order.mw - _TOL:
            order = replace(order, powered=True, usable=order.arrives)
        else:
            order = _sited(_placed(order, region=region, power=power), region=region, power=power)
        order = _past_the_ceiling(order, plan, power=power, as_of=as_of, settings=settings)
        order = _split(
            order, plan, power=power, region=region, as_of=as_of, settings=settings, end=end
        )
        # The share whose MW is taken once the note has read the room it finds.
        last: _Order | None = order
        if split := _split_by_power(
            order, plan, power=power, region=region, as_of=as_of, settings=settings, end=end
        ):
            order, last = split
        head = _head_of(decision, order, plan=plan, region=region, settings=settings, power=power)
        if last is not None and last.site is not None:
            power.take(last.site, last.mw_held, last.arrives, claims_from=last.claims_from)
        again[(pool, i)] = _decided(decision, order, head, as_of=as_of)
    first = {pool: again.get((pool, 0), chosen.first[pool]) for pool in Pool}
    later = {
        pool: [again.get((pool, i), d) for i, d in enumerate(chosen.later[pool], start=1)]
        for pool in Pool
    }
    return _RegionPlan(first, later, power)


def _head_of(
    decision: _Decision,
    order: _Order,
    *,
    plan: CapacityPlan,
    region: str,
    settings: TriggerSettings,
    power: _Power,
) -> _Head:
    """The clauses ``decision``'s note opens with, for ``order`` in its place."""
    exhaustion = decision.row["exhaustion_date"]
    assert isinstance(exhaustion, date)
    return _order_head(
        order,
        plan=plan,
        region=region,
        exhaustion=exhaustion,
        buffer_weeks=settings.buffer_weeks,
        power=power,
    )


def _decided(decision: _Decision, order: _Order, head: _Head, *, as_of: date) -> _Decision:
    """``decision`` with ``order`` in its place: its row's dates, status and power as the
    order's, its note opened by ``head`` (the clauses after the old head kept)."""
    exhaustion = decision.row["exhaustion_date"]
    assert isinstance(exhaustion, date)
    fields = _order_fields(order, as_of=as_of, exhaustion=exhaustion, blocks=order.blocks)
    if order.parts:
        # Split, it is ordered by its first share's date, as late as its latest share,
        # and waits for the last power.
        first_share = order.first_share()
        fields |= {"order_by": first_share.order_by, "arrives": first_share.arrives}
        shares = [
            _order_fields(p, as_of=as_of, exhaustion=exhaustion, blocks=p.blocks)
            for p in order.shares
        ]
        rank = list(Status)
        fields["status"] = max(
            (str(f["status"]) for f in shares), key=lambda v: rank.index(Status(v))
        )
        waits = [f["powered_from"] for f in shares if isinstance(f["powered_from"], date)]
        fields["powered_from"] = max(waits, default=None)
    if all(_past_every_ceiling(p) for p in order.shares):
        # No site can power any of its blocks: no deadline (a new site is needed first).
        fields["order_by"] = None
    row = decision.row
    note = str(row["note"])
    assert note.startswith(decision.head.text)  # the head opens every order's note
    row |= {
        "status": fields["status"],
        "order_by": fields["order_by"],
        "arrives": fields["arrives"],
        "powered_from": fields["powered_from"],
        "note": head.text + note[len(decision.head.text) :],
    }
    return decision._replace(order=order, head=head)


# Opens what _dated adds to the note of an order whose blocks can run only after the plan's
# end (_past_the_plan_note), undone by each round of dating, to the note's end.
_PAST_THE_PLAN = "; not within the horizon: its power (contracted today) comes "


def _past_the_plan_note(order: _Order, *, end: date) -> str:
    """What the note of ``order`` adds where its blocks can run only after ``end``, the plan's
    last day (its power, contracted today, comes later), or ''."""
    runs = order.runs_from
    if order.powered or runs is None or runs <= max(end, order.arrives):
        return ""
    return (
        f"{_PAST_THE_PLAN}{runs}, after the plan's end {end}: its blocks serve nothing the "
        "plan covers, so it is not dated to land with that power and its capex is not in the "
        "plan's capital; the site's power trigger carries the urgency"
    )


# Opens what _dated adds to the note of an order it dates past the forecast's end (undone by
# _undated, to the note's end).
_SIZED_BEFORE_IT_RUNS = "; what it was sized on ends "
# What _dated writes of a sizing window that ends before the blocks run (undone by _undated).
_ENDS_BEFORE_THEY_RUN = re.compile(
    r"\(to (\d{4}-\d{2}-\d{2}), which ends before its blocks can run, \d{4}-\d{2}-\d{2}: "
    r"what is short once they run is the later orders'\)"
)


def _undated(
    chosen: _RegionPlan,
    plan: CapacityPlan,
    *,
    power: _Power,
    region: str,
    as_of: date,
    settings: TriggerSettings,
) -> _RegionPlan:
    """``chosen`` with each order dated to land with its site's power (:func:`_with_its_power`)
    none of whose blocks can run there once placed on that day back on its shortfall's dates:
    the orders landing by then took what its site's ceiling leaves, and no power comes for it
    to land with.

    Dated to 2029-12-04, the demo's us-east cell for the all pool tied with the training
    pool's cell at us-east-c, which took the 14.7 MW its ceiling left: it read "it lands
    2029-12-04, dated to its site's power", ordered two months after its shortfall's order-by
    date for power that never runs it, its MW counted at us-east-c from then."""

    def undated(decision: _Decision) -> _Decision:
        order = decision.order
        if (
            order is None
            or order.parts
            or order.runs_from is not None
            or order.dark_order_by is None
            or order.dark_arrives is None
        ):
            return decision
        back = replace(
            order,
            order_by=order.dark_order_by,
            arrives=order.dark_arrives,
            in_time=order.dark_order_by >= as_of,
            dark_order_by=None,
            dark_arrives=None,
            undated_from=order.arrives,
        )
        head = _head_of(decision, back, plan=plan, region=region, settings=settings, power=power)
        # What dating it wrote of its sizing window (_dated) no longer holds.
        note = str(decision.row["note"]).replace(
            f"weeks after the day it would have landed unpowered, {order.dark_arrives} (to ",
            "weeks after its arrival (to ",
            1,
        )
        note = note.replace(
            f"the days the plan covers after the day it would have landed unpowered, "
            f"{order.dark_arrives}, to ",
            "the days the plan covers after its arrival, to ",
            1,
        ).split(_SIZED_BEFORE_IT_RUNS, 1)[0]
        decision.row["note"] = _ENDS_BEFORE_THEY_RUN.sub(r"(to \1)", note, count=1)
        return _decided(decision, back, head, as_of=as_of)

    return chosen._replace(
        first={p: undated(d) for p, d in chosen.first.items()},
        later={p: [undated(d) for d in each] for p, each in chosen.later.items()},
    )


def _split(
    order: _Order,
    plan: CapacityPlan,
    *,
    power: _Power,
    region: str,
    as_of: date,
    settings: TriggerSettings,
    end: date,
) -> _Order:
    """``order`` with the blocks its site's ceiling cannot hold placed at the region's other
    sites, as many at each as its ceiling holds, the most blocks first (then the most MW
    free, then by id); only what no site holds stays past its own site's ceiling. Each
    share's MW is taken at its site here; the order's own share is left to the caller.

    An order went whole to one site: eu-west's 527 racks read "243 past eu-west-a's
    ceiling: a new site is needed", a training cell "3 of 5 past us-east-a's ceiling" beside
    us-east-b with 20 MW under its own."""
    beyond, site, unit = order.beyond_ceiling or 0, order.site, order.candidate.mw
    if not beyond or site is None or unit <= 0:
        return order
    arrives, claims = order.arrives, order.claims_from
    others = sorted(
        (s for s in power.sites_in(region) if s != site),
        key=lambda s: (-power.blocks_under_ceiling(s, claims, unit), -power.room(s, arrives), s),
    )
    parts: list[_Order] = []
    rest = beyond
    for other in others:
        n = int(min(rest, power.blocks_under_ceiling(other, claims, unit)))
        if n <= 0:
            continue
        share = replace(order, blocks=n, site=other, beyond_ceiling=None, passed_over="")
        if power.room(other, arrives) >= share.mw - _TOL:
            share = replace(share, powered=True, usable=arrives)
        else:
            usable = power.powered_from(other, share.mw, arrives)
            share = replace(share, powered=False, usable=usable)
        share = _past_the_ceiling(share, plan, power=power, as_of=as_of, settings=settings)
        power.take(other, share.mw_held, arrives, claims_from=claims)
        # Its MW is held from the day the order was split on, but it lands with its own
        # site's power: at us-east-c, whose power comes a year after us-east-a's, a share
        # read as landing and running with the order's own site.
        parts.append(
            _with_its_power(share, as_of=as_of, buffer_weeks=settings.buffer_weeks, end=end)
        )
        rest -= n
        if not rest:
            break
    if not parts:
        return order
    kept = order.blocks - beyond + rest
    if not kept:
        # None of it stays at its own site: the roomiest share leads.
        return replace(parts[0], parts=tuple(parts[1:]))
    # Its own share, smaller, may have the MW the whole order lacked.
    # Its blocks past every ceiling draw no power anywhere: only the rest is asked of the MW.
    own = replace(order, blocks=kept, parts=tuple(parts))
    fits = (kept - rest) * unit
    if power.room(site, arrives) >= fits - _TOL:
        own = replace(own, powered=True, usable=arrives)
    else:
        own = replace(own, powered=False, usable=power.powered_from(site, fits, arrives))
    return _past_the_ceiling(own, plan, power=power, as_of=as_of, settings=settings)


def _split_by_power(
    order: _Order,
    plan: CapacityPlan,
    *,
    power: _Power,
    region: str,
    as_of: date,
    settings: TriggerSettings,
    end: date,
) -> tuple[_Order, _Order | None] | None:
    """``order``, which waits on power as a whole (:func:`_with_its_power` would date it),
    in two parts (``by_power``): the blocks its region's sites have MW energized for on its
    arrival, the most at the roomiest site first, ordered on its shortfall's dates; and the
    rest, placed as any order is (the site with its MW first, its ceiling, ``_split``) and
    dated to land with its power. Returned with the share whose MW is left to the caller
    (the waiting part's own, taken from the day it lands once the note has read its site's
    room; None when every block has power on arrival); every other share's MW is taken
    here. None where no block of it has MW on arrival, or it is not dated to its power
    (nothing waits), or it is already split by its site's ceiling.

    All or nothing, a lot waited whole: at a 52-week horizon 53 us-west racks were dated to
    land with their site's power in 2027, though the MW energized at their first arrival ran
    9 of them (the 26-week run ordered those 9), and a day more of telemetry turned 26 racks
    landing 2027-03-01 into 29 standing dark 456 days."""
    unit, arrives = order.candidate.mw, order.arrives
    if order.powered or order.parts or order.site is None or unit <= 0:
        return None
    # Whether it waits on power at all: its share past the plan's end is split off too.
    if _with_its_power(order, as_of=as_of, buffer_weeks=settings.buffer_weeks, end=None) is order:
        return None
    on_power: list[_Order] = []
    rest = order.blocks
    by_room = sorted(power.sites_in(region), key=lambda s: (-power.room(s, arrives), s))
    for site in by_room:
        n = min(rest, math.floor((max(power.room(site, arrives), 0.0) + _TOL) / unit))
        if n <= 0:
            break  # by room: no site after it has a block's MW either
        share = replace(
            order, blocks=n, site=site, powered=True, usable=arrives, beyond_ceiling=None,
            runs_from=None, passed_over="",
        )  # fmt: skip
        share = _past_the_ceiling(share, plan, power=power, as_of=as_of, settings=settings)
        power.take(site, share.mw_held, arrives)
        on_power.append(share)
        rest -= n
    if not on_power:
        return None
    lead, *more = on_power
    if not rest:
        return replace(lead, parts=tuple(more), by_power=True, passed_over=order.passed_over), None
    waiting = replace(order, blocks=rest, beyond_ceiling=None, runs_from=None)
    waiting = _sited(_placed(waiting, region=region, power=power), region=region, power=power)
    waiting = _past_the_ceiling(waiting, plan, power=power, as_of=as_of, settings=settings)
    placed_at = waiting.site
    waiting = _split(
        waiting, plan, power=power, region=region, as_of=as_of, settings=settings, end=end
    )
    dated = _with_its_power(
        replace(waiting, parts=()), as_of=as_of, buffer_weeks=settings.buffer_weeks, end=end
    )
    shares = (*more, dated, *waiting.parts)
    # Its MW is held from the day it lands, as an order dated whole holds it once placed
    # again: held from the split day, 245 racks dated to 2028-12-04 took the MW of pods
    # landing 2028-02-02 at the same site, which then read "waits on power". Where none of it
    # stays at its own site, _split took the leading share's MW already.
    pending = dated if waiting.site == placed_at else None
    split = replace(lead, parts=shares, by_power=True, passed_over=order.passed_over)
    return split, pending


def _past_the_ceiling(
    order: _Order,
    plan: CapacityPlan,
    *,
    power: _Power,
    as_of: date,
    settings: TriggerSettings,
) -> _Order:
    """``order`` with ``beyond_ceiling`` (how many of its blocks its site can never power, its
    ceiling taken by the blocks and orders arriving before it) and ``runs_from`` (the first
    day the others can serve: their site's planned power, else power contracted today).

    An order past its site's ceiling read "no power yet" and counted in the plan's capital
    (the demo's 7 GB200 cells, $2.58B, at a site 69.6 MW past its ceiling) while the
    facilities page said a new site is needed for the same MW."""
    if order.site is None:
        return order
    beyond = None
    room = power.ceiling_room(order.site, order.claims_from)
    if room is not None:
        mw = order.candidate.mw
        fit = order.blocks if mw <= 0 else max(math.floor((room + _TOL) / mw), 0)
        beyond = max(order.blocks - fit, 0)
    runs_from = order.usable
    if runs_from is None and (beyond is None or beyond < order.blocks):
        lead = next(s.power_lead_months for s in plan.site if s.id == order.site)
        today = months_before(as_of + _weeks(settings.buffer_weeks), -lead)
        runs_from = max(order.arrives, today)
    if beyond == order.blocks:
        runs_from = None
    return replace(order, beyond_ceiling=beyond, runs_from=runs_from)


def _with_its_power(order: _Order, *, as_of: date, buffer_weeks: int, end: date | None) -> _Order:
    """``order`` dated to land ``buffer_weeks`` before its blocks can run (``runs_from``: its
    site's planned power, else power contracted today), where that is later than its own
    order-by date and than ``as_of`` and no later than ``end`` (the plan's last day; None:
    whenever); else ``order`` as it is.

    Past the plan's end its blocks serve nothing the plan covers and its dates are no
    decision the plan can verify: a 60-month power lead dated eu-west's pods to be ordered
    2031-04-24 for a shortfall from Jun 2028 on a plan ending 2030-01-31, their capital in
    quarters past it. Such an order keeps its shortfall's dates (:func:`_past_the_plan_note`).

    Ordered by the shortfall's date alone, blocks land and stand dark waiting for MW: on a
    400-day fleet 56 racks ($473.1M) were due 2026-10-26 and could run from 2029-01-01, 689
    days after they land, capital tied up two years early. Moved, the order still lands after
    its shortfall (an in-time order lands ``buffer_weeks`` before exhaustion, so only power
    after exhaustion moves it), so it stays red: the pool is short whatever is ordered now,
    and the site's power trigger carries the urgency. No date moves before ``as_of`` or
    before the order's own."""
    runs = order.runs_from
    if order.powered or runs is None or runs <= order.arrives:
        return order
    if end is not None and runs > end:
        return order
    lead = _weeks(order.candidate.lead_time_weeks)
    order_by = runs - lead - _weeks(buffer_weeks)
    if order_by <= max(order.order_by, as_of):
        return order
    return replace(
        order,
        order_by=order_by,
        arrives=order_by + lead,
        in_time=True,
        # Dated again in a later round, it keeps the dates it had on its shortfall alone.
        dark_order_by=order.dark_order_by or order.order_by,
        dark_arrives=order.dark_arrives or order.arrives,
    )


def _dedicated_aside(
    plan: CapacityPlan, *, region: str, pool: Pool, day: date, capacity: object
) -> str:
    """What ``capacity_gpus_at_exhaustion`` leaves out on ``day``: the GPUs of ``pool``'s
    blocks in ``region`` dedicated to customers, in one clause ('' when none is in service).

    Helios' triggers.csv read 0 GPUs at exhaustion for both pools of an 856-GPU cluster: every
    block is dedicated to a VC, so the shared capacity is 0, and a requirement of 26 GPUs
    beside it is what overflows the VCs' blocks, not a fleet with no GPUs."""
    dedicated = [
        b
        for b in _pool_blocks(plan, pool)
        if b.region == region and b.dedicated_customer is not None and b.in_service_on(day)
    ]
    if not dedicated:
        return ""
    gpus = f"{sum(b.gpus for b in dedicated):,} GPUs"
    if plan.gpu_type:
        # The row's capacity and requirement are H100-equivalents with a [gpu_type] table: 400
        # B200s read "400 GPUs" beside a requirement counted in H100-equivalents.
        h100e = sum(b.gpus * plan.h100_equivalent(b.gpu_type) for b in dedicated)
        types = sorted({b.gpu_type for b in dedicated})
        physical = " and ".join(
            f"{sum(b.gpus for b in dedicated if b.gpu_type == t):,} {t}" for t in types
        )
        gpus = f"{math.floor(h100e + _TOL):,} H100-equivalents ({physical} GPUs)"
    customers = sorted({str(b.dedicated_customer) for b in dedicated})
    named = ", ".join(customers[:3]) + (
        f" and {len(customers) - 3} more" if len(customers) > 3 else ""
    )
    shared = (
        f"no shared block serves the {pool.value} pool on {day}"
        if not capacity
        else f"the shared blocks hold the {capacity:,} counted there on {day}"
    )
    plural = len(dedicated) != 1
    return (
        f"capacity at exhaustion counts the shared blocks only, and {shared}: {gpus} in "
        f"{len(dedicated)} block{'s' if plural else ''} dedicated to {len(customers)} "
        f"customer{'s' if len(customers) != 1 else ''} ({named}) serve only "
        f"{'them' if len(customers) != 1 else 'it'} and are left out with the demand they "
        "serve, so the requirement is the demand that overflows them"
    )


def _triggers(
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    as_of: date,
    settings: TriggerSettings,
    power: _Power | None,
    daily_end: date | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """TRIGGERS rows per region and pool, every order of the plan to its end with where
    it goes (PLACEMENTS_SCHEMA; tranche 1 is the trigger's), and the last day each trigger's
    order is sized for (SIZED_TO_SCHEMA); ``daily_end`` is the last day of
    daily rows where monthly rows follow (with ``settings.daily_sizing``, the triggers' orders
    are sized no further: see "Uncalibrated plans")."""
    size_until = daily_end if settings.daily_sizing else None
    rows = []
    placed = []
    sized = []
    end = _day(daily["ds"].max()) if daily.height else as_of
    for (region,), frame in daily.group_by("region", maintain_order=True):
        pools = {pool: frame.filter(pl.col("pool") == pool.value) for pool in Pool}
        chosen = _cheaper_plan(
            pools,
            plan,
            region=str(region),
            as_of=as_of,
            settings=settings,
            power=power,
            end=end,
            size_until=size_until,
        )
        if power is not None:
            as_sized = chosen
            chosen = _placed_by_arrival(
                chosen, plan, power=power, region=str(region), as_of=as_of, settings=settings,
                end=end,
            )  # fmt: skip
            chosen = _all_later_as_placed(
                chosen, as_sized, pools, plan, power=power, region=str(region), as_of=as_of,
                settings=settings, end=end,
            )  # fmt: skip
            power.taken = chosen.power.taken  # type: ignore[union-attr]  # the orders' MW
            power.claimed = chosen.power.claimed  # type: ignore[union-attr]
        first, later, _ = chosen
        for pool in (Pool.TRAINING, Pool.ALL):
            row, order = first[pool].row, first[pool].order
            exhausted = row["exhaustion_date"]
            if daily_end is not None and isinstance(exhausted, date) and exhausted > daily_end:
                # Within a default run's daily days a monthly exhaustion is a shorter run's
                # reading, which a default run dates by the day.
                if short_at_the_monthly_grain_only(exhausted, daily_end=daily_end, as_of=as_of):
                    _monthly_only(first[pool], daily_end=daily_end, as_of=as_of)
                else:
                    row["note"] = f"{_monthly_grain_note(exhausted, daily_end)}; {row['note']}"
            if isinstance(exhausted, date) and (
                aside := _dedicated_aside(
                    plan,
                    region=str(region),
                    pool=pool,
                    day=exhausted,
                    capacity=row["capacity_gpus_at_exhaustion"],
                )
            ):
                row["note"] = f"{aside}; {row['note']}"
            if then := _later_note(later[pool], end=end, as_of=as_of):
                note = str(row["note"])
                row["note"] = (
                    note.replace(_LATER, f"{_LATER} ({then})")
                    if _LATER in note
                    else f"{note}; later orders ({then})"
                )
            rows.append(row)
            firsts = [first[pool]] if order is not None and order.blocks > 0 else []
            if firsts and first[pool].sized_to is not None:
                # No further than the plan's last day, as the note says ("to {last_day}").
                sized.append((region, pool.value, min(_day(first[pool].sized_to), end)))
            for tranche, each in enumerate([*firsts, *later[pool]], start=1 if firsts else 2):
                placed.extend(_placements(each, region=str(region), pool=pool, tranche=tranche))
    return (
        pl.DataFrame(rows, schema=TRIGGERS_SCHEMA, orient="row"),
        pl.DataFrame(placed, schema=PLACEMENTS_SCHEMA, orient="row"),
        pl.DataFrame(sized, schema=SIZED_TO_SCHEMA, orient="row"),
    )
