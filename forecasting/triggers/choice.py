"""The candidate chosen for an order and the site it is placed at, and the bridge to a newer
generation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import NamedTuple

import polars as pl

from forecasting.capacity import CandidateBlock, CapacityPlan
from forecasting.text import days_count
from forecasting.triggers.common import TOL, as_date, weeks_delta
from forecasting.triggers.orders import Order, arrival_and_capex, net_of, unit_capex
from forecasting.triggers.power import Power
from forecasting.triggers.sizing import Exhaustion, blocks_needed


def _rank(orders: Sequence[Order], plan: CapacityPlan) -> Order | None:
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


def _first_usable(orders: Sequence[Order]) -> Order | None:
    """Of orders that can be powered within the plan, the one usable first, then the cheapest."""
    usable = [o for o in orders if o.usable is not None]
    if not usable:
        return None
    return min(usable, key=lambda o: (o.usable, o.blocks * o.candidate.capex_usd))


def chosen_order(
    options: Sequence[CandidateBlock],
    plan: CapacityPlan,
    *,
    region: str,
    shortfall_gpus: float,
    exhaustion: date,
    as_of: date,
    buffer_weeks: int,
    power: Power | None,
) -> Order | None:
    """The order to place (see the module docstring), at a site with power where sites exist.

    A candidate no site of the region powers on arrival waits at the site that has its MW
    first; one no site ever powers within the plan is placed at the roomiest site anyway,
    unpowered, so that its power trigger carries the date.
    """
    orders = []
    for c in options:
        order_by = exhaustion - weeks_delta(c.lead_time_weeks) - weeks_delta(buffer_weeks)
        early = order_by >= as_of
        arrives = (order_by if early else as_of) + weeks_delta(c.lead_time_weeks)
        units = c.gpus * plan.h100_equivalent(c.gpu_type)
        order = Order(c, blocks_needed(shortfall_gpus, units), order_by, arrives, early, units)
        orders.append(order if power is None else placed_order(order, region=region, power=power))
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
        # need in time (split_by_power orders those on the shortfall's dates, only the rest
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
            return sited(replace(chosen, passed_over=passed), region=region, power=power)
    chosen = chosen or first or _rank(orders, plan)
    if chosen is None or power is None:
        return chosen
    sooner = min(
        (o for o in orders if o.arrives < chosen.arrives), key=arrival_and_capex, default=None
    )
    if sooner is not None and not (chosen.in_time and chosen.powered):
        chosen = replace(chosen, passed_over=_passed_over(sooner, region=region))
    # Its MW is reserved by the caller, for the order it places only: a choice it then
    # re-sizes or drops reserved MW no order used (us-east's racks found no power left, and a
    # cell 559 days late was ordered instead).
    return sited(chosen, region=region, power=power)


def rechosen(previous: Order, order: Order | None) -> Order | None:
    """``order``, ``previous``'s candidate chosen again alone (re-sized), with what
    ``previous`` was chosen over: alone it has nothing to be chosen over."""
    return None if order is None else replace(order, passed_over=previous.passed_over)


def _passed_over(sooner: Order, *, region: str) -> str:
    """Why ``sooner``, landing before the order chosen as usable first, was not chosen: the
    chosen one read 'arrives first if ordered today' 616 days after exhaustion, beside racks
    that land in 10 weeks but that no site of the region can power."""
    lands = f"{sooner.candidate.name} lands sooner ({sooner.arrives})"
    if sooner.usable is None:
        return f"{lands} but no site in {region} has its {sooner.mw:.2f} MW within the plan"
    return f"{lands} but no site in {region} has its {sooner.mw:.2f} MW before {sooner.usable}"


def _blocks_on_power(order: Order, *, region: str, power: Power) -> int:
    """How many of ``order``'s blocks the sites of ``region`` have MW energized for on its
    arrival, the sites together, as :func:`split_by_power` counts them."""
    unit, arrives = order.candidate.mw, order.arrives
    if order.powered or unit <= 0:
        return order.blocks
    fits = sum(
        math.floor((max(power.room(s, arrives), 0.0) + TOL) / unit) for s in power.sites_in(region)
    )
    return min(order.blocks, fits)


def _passed_over_late(late: Order, *, exhaustion: date) -> str:
    """Why ``late``, usable first as a whole but after ``exhaustion``, was passed over for an
    order in time whose blocks mostly run on the MW energized by their arrival."""
    powered = ", powered on arrival" if late.powered else ""
    assert late.usable is not None  # usable first: some site has its MW within the plan
    return (
        f"{late.candidate.name} passed over: usable first as a whole ({late.usable}{powered}), "
        f"but {days_count((late.usable - exhaustion).days)} after exhaustion ({exhaustion}), where "
        "this order's blocks, most or all, run on the MW energized by their arrival, in time"
    )


def placed_order(order: Order, *, region: str, power: Power) -> Order:
    """``order`` at the roomiest site of ``region`` with its MW free from its arrival on;
    else, unpowered, at the site that has the MW first (``usable`` that day), or at no site
    when none has it within the plan."""
    arrives = order.arrives
    fits = [s for s in power.sites_in(region) if power.room(s, arrives) >= order.mw - TOL]
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


def sited(order: Order, *, region: str, power: Power) -> Order:
    """``order``, placed at the region's roomiest site where no site ever has its MW within
    the plan: that site's power trigger carries the date."""
    if order.site is not None:
        return order
    roomiest = power.roomiest(region, order.arrives, order.mw, unit=order.candidate.mw)
    return replace(order, site=None if roomiest is None else roomiest[0])


class Bridge(NamedTuple):
    """An in-time order cut short for a newer generation: ``order`` serves to the day before
    ``start``, from which ``to`` (ordered by its order-by date) can serve in time."""

    order: Order
    to: Order
    start: date


def chosen_bridge(
    order: Order,
    options: Sequence[CandidateBlock],
    plan: CapacityPlan,
    *,
    found: Exhaustion,
    window_end: date,
    relief: Order | None,
    region: str,
    as_of: date,
    bridge_from: date,
    buffer_weeks: int,
    sizing_weeks: int,
    power: Power | None,
) -> Bridge | None:
    """``order`` resized to bridge to a newer generation that can serve in time within its
    sizing window if ordered from ``bridge_from`` on, or None when none can (or the rule
    would not take it there).

    The rule takes the newest generation in time; a window it could only reach part of was
    bought whole in the older one (365 H100 racks, $3.08B, for a year a GB200 cell ordered
    that day could serve from its fourth month at 55 % of the cost per H100-equivalent).
    A bridge is proposed only when the order the rule would choose from that day, once the
    bridge's blocks and MW are taken, is of the newer generation, in time and cheaper per
    H100-equivalent; whether the region's plan takes it is decided on the whole plan (see
    ``cheaper_plan``).
    """
    generation = plan.generation(order.candidate.gpu_type)
    newer = [c for c in options if plan.generation(c.gpu_type) > generation]
    starts = sorted({bridge_from + weeks_delta(c.lead_time_weeks + buffer_weeks) for c in newer})
    # Past the forecast's last day the plan cannot see what the newer block would serve.
    last = min(window_end, as_date(found.shortfall["ds"].max()))
    for start in (s for s in starts if found.day < s <= last):
        before = found.shortfall.filter(pl.col("ds") < start)
        bridged = chosen_order(
            [order.candidate],
            plan,
            region=region,
            shortfall_gpus=net_of(before, relief),
            exhaustion=found.day,
            as_of=as_of,
            buffer_weeks=buffer_weeks,
            power=power,
        )
        after = found.shortfall.filter(
            pl.col("ds").is_between(start, start + weeks_delta(sizing_weeks))
        )
        rest = net_of(after, relief) - (0.0 if bridged is None else bridged.blocks * bridged.units)
        if bridged is None or bridged.blocks == 0 or rest <= TOL:
            continue
        to = chosen_order(
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
            and unit_capex(to) < unit_capex(order)
        ):
            return Bridge(bridged, to, start)
    return None
