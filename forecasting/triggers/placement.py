"""The region's orders placed again by arrival and dated to land with their site's power, and their
notes as placed."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from functools import partial

import polars as pl

from forecasting.capacity import CapacityPlan
from forecasting.triggers.choice import placed_order, sited
from forecasting.triggers.common import TOL, Pool, Status, TriggerSettings
from forecasting.triggers.later import RegionPlan, later_orders
from forecasting.triggers.notes import NoteHead, order_head
from forecasting.triggers.orders import (
    Order,
    order_fields,
    past_every_ceiling,
    running_blocks,
    running_from,
    running_shares,
)
from forecasting.triggers.power import Power
from forecasting.triggers.power_waits import (
    Placing,
    past_the_ceiling,
    split_by_power,
    split_order,
    with_its_power,
)
from forecasting.triggers.rows import COVERED_PREFIX, PoolDecision

# Rounds of dating orders to land with their site's power and placing them again by arrival
# (placed_by_arrival); each moves dates later only.
_DATING_ROUNDS = 4


def placed_by_arrival(chosen: RegionPlan, at: Placing) -> RegionPlan:
    """``chosen`` placed by arrival (:func:`_placed_in_arrival_order`), then, while orders
    wait for their site's power, placed again with those dated to land with it
    (:func:`with_its_power`): by their new arrival, so that the MW and ceilings go to the
    orders landing first as they now land (two racks dated to the same day each read the
    0.4 MW a ceiling had left). Dates only move later, so a few rounds settle it."""
    placed = partial(_placed_in_arrival_order, at=at)
    dated = partial(_dated, as_of=at.as_of, settings=at.settings, end=at.end)
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
    current = _undated(current, at)
    _say_relief_as_placed(
        current.first[Pool.ALL], relief, current.first[Pool.TRAINING].order, as_of=at.as_of
    )
    return current


def _training_orders(region_plan: RegionPlan) -> list[Order]:
    """The training pool's orders of ``region_plan`` (its trigger's, then its later ones),
    which serve the ``all`` pool too."""
    decisions = [region_plan.first[Pool.TRAINING], *region_plan.later[Pool.TRAINING]]
    return [d.order for d in decisions if d.order is not None]


def all_later_as_placed(
    chosen: RegionPlan, sized: RegionPlan, pools: dict[Pool, pl.DataFrame], at: Placing
) -> RegionPlan:
    """``chosen`` (placed by arrival) with the ``all`` pool's later orders sized again where
    the training pool's orders run otherwise as placed than as ``sized`` counted them: fewer
    blocks under their sites' ceilings, or from other days ("Later orders": the all pool
    counts only the training blocks that run, as the plan is placed). Placed again after;
    ``at.power`` is the region's power before its orders. A bridged all pool keeps its orders
    (its bridge's day is its plan's own choice), as does one where nothing moved.

    Sized on the training orders before placement, us-west's all pool counted 6 of 21 + 21
    pods that placement put past us-west-a's ceiling (a 20,000-GPU training deal on the
    demo), 6,144 GPUs no site powers: a shortfall no order covered."""

    def running(region_plan: RegionPlan) -> list[list[tuple[date, int]]]:
        return [running_shares(o) for o in _training_orders(region_plan)]

    for _ in range(2):
        if running(chosen) == running(sized) or chosen.bridged(Pool.ALL):
            return chosen
        counted = at.power.copy()
        for o in (*_training_orders(chosen), chosen.first[Pool.ALL].order):
            for share in () if o is None else o.shares:
                if share.site is not None:
                    counted.take(share.site, share.mw_held, share.arrives)
        later = later_orders(
            pools[Pool.ALL], at.plan, first=chosen.first[Pool.ALL],
            earlier=_training_orders(chosen), region=at.region, pool=Pool.ALL, as_of=at.as_of,
            settings=at.settings, power=counted,
        )  # fmt: skip
        sized = chosen
        chosen = placed_by_arrival(chosen._replace(later={**chosen.later, Pool.ALL: later}), at)
    return chosen


def _say_relief_as_placed(
    decision: PoolDecision, relief: Order | None, placed: Order | None, *, as_of: date
) -> None:
    """``decision``'s note (the all pool's trigger) with the training-pool order it was sized
    net of given as placed: where that order, dated to its site's power or waiting for it,
    runs later than the day the all pool counted it from, its dates and that the all pool's
    size counted it from the earlier day (not re-sized: not measured for the days between
    within its sizing window, ``decision.sized_to``; past it the later orders count the order
    as placed, :func:`all_later_as_placed`);
    an all pool it covers takes its dates as placed, red where it runs after the pool's
    exhaustion.

    A training order dated to its power (2 pods landing 2027-01-05, running 2027-02-02) left
    the all pool's note at "sized net of the training-pool order (2 x pod-h100 in service
    2026-08-03)", the day they would have landed unpowered."""
    if relief is None or placed is None:
        return
    # Counted as it ran when sized (its blocks under the ceiling, from when they run): as
    # placed, fewer of them running, or later, is what the count did not measure.
    counted = running_blocks(relief)
    old = running_from(relief) or relief.arrives
    lands = placed.first_share().arrives
    runs = running_from(placed) if running_blocks(placed) >= counted else None
    named = f"{relief.total_blocks} x {relief.candidate.name}"
    note = str(decision.row["note"])
    # Covered by it, the all pool orders nothing: nothing serves the days between either.
    covered = f"{COVERED_PREFIX}{named} in service" in note
    exhaustion = decision.row["exhaustion_date"]
    if covered and isinstance(exhaustion, date):
        # Its row carries the order it rests on: its dates as placed, and red where its
        # blocks run after the pool's exhaustion (or never), as that order's own row reads
        # (covered by pods running 2027-02-02, a pool short from 2027-01-04 read amber, with
        # the pods' order-by before they were dated to their power).
        fields = order_fields(placed.first_share(), as_of=as_of, exhaustion=exhaustion, blocks=0)
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
        fewer = counted - running_blocks(placed)
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
    # the training orders as placed (all_later_as_placed), from the day after it. Pods
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


def _decisions(region_plan: RegionPlan) -> list[PoolDecision]:
    """Every decision of ``region_plan``, the triggers' first, in a fixed order."""
    return [
        *(region_plan.first[p] for p in Pool),
        *(d for p in Pool for d in region_plan.later[p]),
    ]


def _dated(
    decision: PoolDecision, *, as_of: date, settings: TriggerSettings, end: date
) -> PoolDecision:
    """``decision`` with its order dated to land with its site's power, where it waits;
    ``end`` is the forecast's last day."""
    if decision.order is None or decision.order.site is None:
        return decision
    order = with_its_power(decision.order, as_of=as_of, buffer_weeks=settings.buffer_weeks, end=end)
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


def _placed_in_arrival_order(chosen: RegionPlan, at: Placing) -> RegionPlan:
    """``chosen`` with every order placed again in the order the orders arrive (ties: in the
    order they were placed), on ``at.power`` before any of them: each keeps its site where that
    has its MW on arrival, else goes where :func:`placed_order` puts it; its ``powered`` and
    ``powered_from``, its status and its note's opening follow.

    The pools place their orders training first, then by tranche, so an order can be placed
    before one that lands earlier: placing reads MW by arrival, but the earlier one, placed
    after it, still takes its MW. Read again by arrival, the order short of power is the one
    whose arrival overflows the site, as the site's power trigger dates it (the demo's
    us-west racks read "no power yet" for a training cell landing four months after them).
    """
    power = replace(at.power.copy(), settled=True)
    # Placed on the copy: the caller's power is the region's before any of its orders.
    on = replace(at, power=power)
    plan, region, as_of, settings = at.plan, at.region, at.as_of, at.settings
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
    again: dict[tuple[Pool, int], PoolDecision] = {}
    for pool, i, decision in ranked:
        assert decision.order is not None and decision.order.site is not None
        for hold in holds.pop((pool, i), []):
            power.release(hold)
        order = decision.order.whole()  # split again on this round's MW
        if i == 0:
            order = replace(order, claims=order.claims or order.dark_arrives or order.arrives)
        assert order.site is not None
        if power.room(order.site, order.arrives) >= order.mw - TOL:
            order = replace(order, powered=True, usable=order.arrives)
        else:
            order = sited(
                placed_order(order, region=region, power=power), region=region, power=power
            )
        order = past_the_ceiling(order, plan, power=power, as_of=as_of, settings=settings)
        order = split_order(order, on)
        # The share whose MW is taken once the note has read the room it finds.
        last: Order | None = order
        if split := split_by_power(order, on):
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
    return RegionPlan(first, later, power)


def _head_of(
    decision: PoolDecision,
    order: Order,
    *,
    plan: CapacityPlan,
    region: str,
    settings: TriggerSettings,
    power: Power,
) -> NoteHead:
    """The clauses ``decision``'s note opens with, for ``order`` in its place."""
    exhaustion = decision.row["exhaustion_date"]
    assert isinstance(exhaustion, date)
    return order_head(
        order,
        plan=plan,
        region=region,
        exhaustion=exhaustion,
        buffer_weeks=settings.buffer_weeks,
        power=power,
    )


def _decided(decision: PoolDecision, order: Order, head: NoteHead, *, as_of: date) -> PoolDecision:
    """``decision`` with ``order`` in its place: its row's dates, status and power as the
    order's, its note opened by ``head`` (the clauses after the old head kept)."""
    exhaustion = decision.row["exhaustion_date"]
    assert isinstance(exhaustion, date)
    fields = order_fields(order, as_of=as_of, exhaustion=exhaustion, blocks=order.blocks)
    if order.parts:
        # Split, it is ordered by its first share's date, as late as its latest share,
        # and waits for the last power.
        first_share = order.first_share()
        fields |= {"order_by": first_share.order_by, "arrives": first_share.arrives}
        shares = [
            order_fields(p, as_of=as_of, exhaustion=exhaustion, blocks=p.blocks)
            for p in order.shares
        ]
        rank = list(Status)
        fields["status"] = max(
            (str(f["status"]) for f in shares), key=lambda v: rank.index(Status(v))
        )
        waits = [f["powered_from"] for f in shares if isinstance(f["powered_from"], date)]
        fields["powered_from"] = max(waits, default=None)
    if all(past_every_ceiling(p) for p in order.shares):
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


def _past_the_plan_note(order: Order, *, end: date) -> str:
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


def _undated(chosen: RegionPlan, at: Placing) -> RegionPlan:
    """``chosen`` with each order dated to land with its site's power (:func:`with_its_power`)
    none of whose blocks can run there once placed on that day back on its shortfall's dates:
    the orders landing by then took what its site's ceiling leaves, and no power comes for it
    to land with.

    Dated to 2029-12-04, the demo's us-east cell for the all pool tied with the training
    pool's cell at us-east-c, which took the 14.7 MW its ceiling left: it read "it lands
    2029-12-04, dated to its site's power", ordered two months after its shortfall's order-by
    date for power that never runs it, its MW counted at us-east-c from then."""

    def undated(decision: PoolDecision) -> PoolDecision:
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
            in_time=order.dark_order_by >= at.as_of,
            dark_order_by=None,
            dark_arrives=None,
            undated_from=order.arrives,
        )
        head = _head_of(
            decision, back, plan=at.plan, region=at.region, settings=at.settings, power=at.power
        )
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
        return _decided(decision, back, head, as_of=at.as_of)

    return chosen._replace(
        first={p: undated(d) for p, d in chosen.first.items()},
        later={p: [undated(d) for d in each] for p, each in chosen.later.items()},
    )
