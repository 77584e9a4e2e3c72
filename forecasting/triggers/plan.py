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
    again (``all_later_as_placed``, two rounds at most; a bridged all pool keeps its
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
    region's other sites, as many blocks at each as its ceiling holds (``split_order``), one
    placement row per site, each share with its own site's power and dates (a share waiting
    for that power is dated to land with it, as below); the trigger's order-by date is its
    first share's, and its note says when the shares run from different days. Only what no
    site holds is past a ceiling. Without ``[[site]]`` placements have a null site.

Dated to its power
    An order whose blocks would stand dark waiting for their site's power is dated to land
    ``buffer_weeks`` before it (``with_its_power``): order-by = the day they can run less the
    lead time and the buffer, never before ``as_of`` nor its own date; the region's orders
    are then placed again by their new arrivals. It stays red (only power after exhaustion
    moves it); its site's power trigger carries the urgency, counting its MW from when its
    pool needs it (``triggers.power._needed_from``), as the facilities page's MW by month
    does. Waiting whole, part of it can have power: the blocks the region's sites have MW
    energized for on its arrival are ordered on its shortfall's dates, the most at the
    roomiest site first, and only the rest is dated to its power (``split_by_power``: shares
    as ``split_order``'s, one placement row each, each with its own status; the note says both
    parts). A trigger's order, due now, keeps the room under its site's ceiling from the day
    it would have landed on its shortfall's dates, however late its power dates it: orders
    landing before its new day, but after that one, take what it leaves. An order that,
    placed on its new day, finds the orders landing by then have taken what its site's
    ceiling leaves (none of its blocks can run there) goes back to its shortfall's dates
    (``_undated``): there is no power for it to land with. The ``all``
    pool's trigger is not re-sized when the training-pool order it was sized net of moves
    (its later orders are: ``all_later_as_placed``): its note gives that order's dates as
    placed and says its size (or cover) counted those blocks from the earlier day, not
    measured for the days between within its sizing window (past it, the later orders count
    them as placed, and the note names the window's end); an ``all`` pool it
    covers takes its dates, red where its blocks run after the pool's exhaustion
    (``_say_relief_as_placed``).

Dark blocks back before new ones
    Blocks standing dark at a site for want of its energized MW (power given back) are owned:
    the power that brings them back costs less than new blocks and their power. An order that
    waits at that site for power (none free on its arrival) would run on the same power, no
    sooner than they (``brought_back``): it is sized for the days from when it can run, net
    of the pool's blocks that power brings back there first, from the day power contracted
    today is energized. Where they cover the need, nothing is ordered and the note says to
    contract the power (the site's power trigger); where they do not, the order is the rest.
    The site's power trigger counts the dark blocks' MW and the order's once each: a site
    0.5 MW short under a 1.0 MW, 500-GPU rack read "contract 0.90 MW" beside a $8.0M rack
    ordered to wait for that power, where 0.50 MW brought back the rack already paid for.
"""

from __future__ import annotations

import math
from datetime import date

import polars as pl

from forecasting.capacity import CapacityPlan
from forecasting.text import days_count
from forecasting.triggers.common import (
    MONTHLY_ONLY,
    PLACEMENTS_SCHEMA,
    SIZED_TO_SCHEMA,
    TOL,
    TRIGGERS_SCHEMA,
    Pool,
    Status,
    TriggerSettings,
    as_date,
    short_at_the_monthly_grain_only,
)
from forecasting.triggers.later import cheaper_plan, later_note
from forecasting.triggers.notes import month_after, monthly_grain_note
from forecasting.triggers.orders import Order, order_fields, past_every_ceiling
from forecasting.triggers.placement import all_later_as_placed, placed_by_arrival
from forecasting.triggers.power import Power
from forecasting.triggers.power_waits import Placing
from forecasting.triggers.rows import LATER_SUFFIX, PoolDecision
from forecasting.triggers.sizing import pool_blocks


def _monthly_only(decision: PoolDecision, *, daily_end: date, as_of: date) -> None:
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
    month_end = month_after(exhausted)
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
        # Dated by its site's power, not by the monthly rows (with_its_power).
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
    decision: PoolDecision, *, region: str, pool: Pool, tranche: int
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
            part.powered and not past_every_ceiling(part),
            tranche,
            # Blocks no site can power have no deadline: dated from the shortfall they would
            # cover, they read "by 2028-01-13" while they never run on this plan.
            None if past_every_ceiling(part) else part.order_by,
            part.blocks * part.candidate.capex_usd,
            decision.row["exhaustion_date"],
            _share_status(decision, part) if order.by_power else decision.row["status"],
            part.beyond_ceiling,
            None
            if past_every_ceiling(part)
            else part.runs_from
            if part.runs_from is not None or not part.powered
            else part.arrives,
        )
        for part in (order, *order.parts)
    ]


def _share_status(decision: PoolDecision, share: Order) -> str:
    """The status of one share of an order split by power (:func:`split_by_power`): its own
    dates' (the row's is its most urgent share's), never above the row's (a shortfall read at
    the monthly grain only is amber at most: :func:`_monthly_only`).

    Each share read its row's red: the racks on power, ordered in time on the shortfall's
    dates, read red for the racks beside them that wait on power."""
    exhaustion, as_of = decision.row["exhaustion_date"], decision.row["as_of"]
    assert isinstance(exhaustion, date) and isinstance(as_of, date)
    own = order_fields(share, as_of=as_of, exhaustion=exhaustion, blocks=share.blocks)["status"]
    rank = list(Status)
    return min(Status(str(own)), Status(str(decision.row["status"])), key=rank.index).value


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
        for b in pool_blocks(plan, pool)
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
        gpus = f"{math.floor(h100e + TOL):,} H100-equivalents ({physical} GPUs)"
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


def trigger_frames(
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    as_of: date,
    settings: TriggerSettings,
    power: Power | None,
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
    end = as_date(daily["ds"].max()) if daily.height else as_of
    for (region,), frame in daily.group_by("region", maintain_order=True):
        pools = {pool: frame.filter(pl.col("pool") == pool.value) for pool in Pool}
        chosen = cheaper_plan(
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
            at = Placing(
                plan=plan, power=power, region=str(region), as_of=as_of, settings=settings,
                end=end,
            )  # fmt: skip
            chosen = placed_by_arrival(chosen, at)
            chosen = all_later_as_placed(chosen, as_sized, pools, at)
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
                    row["note"] = f"{monthly_grain_note(exhausted, daily_end)}; {row['note']}"
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
            if then := later_note(later[pool], end=end, as_of=as_of):
                note = str(row["note"])
                row["note"] = (
                    note.replace(LATER_SUFFIX, f"{LATER_SUFFIX} ({then})")
                    if LATER_SUFFIX in note
                    else f"{note}; later orders ({then})"
                )
            rows.append(row)
            firsts = [first[pool]] if order is not None and order.blocks > 0 else []
            if firsts and first[pool].sized_to is not None:
                # No further than the plan's last day, as the note says ("to {last_day}").
                sized.append((region, pool.value, min(as_date(first[pool].sized_to), end)))
            for tranche, each in enumerate([*firsts, *later[pool]], start=1 if firsts else 2):
                placed.extend(_placements(each, region=str(region), pool=pool, tranche=tranche))
    return (
        pl.DataFrame(rows, schema=TRIGGERS_SCHEMA, orient="row"),
        pl.DataFrame(placed, schema=PLACEMENTS_SCHEMA, orient="row"),
        pl.DataFrame(sized, schema=SIZED_TO_SCHEMA, orient="row"),
    )
