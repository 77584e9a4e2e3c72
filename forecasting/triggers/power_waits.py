"""An order waiting for its site's power: the dark blocks that power brings back first, the order
split across sites and by power, and dated to land with it."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import NamedTuple

import polars as pl

from forecasting.capacity import Block, CapacityPlan, dark_spans
from forecasting.text import usd
from forecasting.triggers.choice import placed_order, sited
from forecasting.triggers.common import (
    TOL,
    Pool,
    Status,
    TriggerSettings,
    months_before,
    trigger_status,
    weeks_delta,
)
from forecasting.triggers.orders import Order, order_fields
from forecasting.triggers.power import Power
from forecasting.triggers.sizing import Exhaustion, pool_blocks


@dataclass(frozen=True, slots=True, kw_only=True)
class Placing:
    """Where and when a region's orders are placed: the ``plan``, the ``power`` its sites have
    (mutable: placing takes its MW), the ``region``, the ``as_of`` day, the triggers'
    ``settings`` and ``end``, the forecast's last day. The placement functions
    (triggers.placement, :func:`split_order`, :func:`split_by_power`) took these six as
    keywords each, spelled out five times."""

    plan: CapacityPlan
    power: Power
    region: str
    as_of: date
    settings: TriggerSettings
    end: date


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


def brought_back(
    plan: CapacityPlan,
    order: Order,
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
    day = months_before(as_of + weeks_delta(buffer_weeks), -site.power_lead_months)
    if day > end:
        return None
    members = {
        b.id: b
        for b in pool_blocks(plan, pool)
        if b.site == site.id and b.region == region and b.dedicated_customer is None
    }
    spans = [
        (members[block_id], first, last)
        for block_id, first, last in dark_spans(plan, start=day, end=end, at=site.id)
        if block_id in members
        and (site.ceiling_mw is None or plan.mw_drawn(site.id, first) <= site.ceiling_mw + TOL)
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


def nothing_but_power(
    row: dict[str, object],
    order: Order,
    back: _Back,
    *,
    found: Exhaustion,
    plan: CapacityPlan,
    as_of: date,
    buffer_weeks: int,
    covered_to: date,
) -> dict[str, object]:
    """The TRIGGERS row of a pool whose shortfall the dark blocks ``back`` brings back cover:
    no order (``order`` is what would have waited for the same power), red where that power
    comes after exhaustion, else dated as the site's power trigger dates it."""
    row |= order_fields(order, as_of=as_of, exhaustion=found.day, blocks=0)
    lead = next(s.power_lead_months for s in plan.site if s.id == back.site)
    contract_by = months_before(found.day, lead) - weeks_delta(buffer_weeks)
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


def split_order(order: Order, at: Placing) -> Order:
    """``order`` with the blocks its site's ceiling cannot hold placed at the region's other
    sites, as many at each as its ceiling holds, the most blocks first (then the most MW
    free, then by id); only what no site holds stays past its own site's ceiling. Each
    share's MW is taken at its site here; the order's own share is left to the caller.

    An order went whole to one site: eu-west's 527 racks read "243 past eu-west-a's
    ceiling: a new site is needed", a training cell "3 of 5 past us-east-a's ceiling" beside
    us-east-b with 20 MW under its own."""
    power = at.power  # its MW taken as the shares are placed
    beyond, site, unit = order.beyond_ceiling or 0, order.site, order.candidate.mw
    if not beyond or site is None or unit <= 0:
        return order
    arrives, claims = order.arrives, order.claims_from
    others = sorted(
        (s for s in power.sites_in(at.region) if s != site),
        key=lambda s: (-power.blocks_under_ceiling(s, claims, unit), -power.room(s, arrives), s),
    )
    parts: list[Order] = []
    rest = beyond
    for other in others:
        n = int(min(rest, power.blocks_under_ceiling(other, claims, unit)))
        if n <= 0:
            continue
        share = replace(order, blocks=n, site=other, beyond_ceiling=None, passed_over="")
        if power.room(other, arrives) >= share.mw - TOL:
            share = replace(share, powered=True, usable=arrives)
        else:
            usable = power.powered_from(other, share.mw, arrives)
            share = replace(share, powered=False, usable=usable)
        share = past_the_ceiling(share, at.plan, power=power, as_of=at.as_of, settings=at.settings)
        power.take(other, share.mw_held, arrives, claims_from=claims)
        # Its MW is held from the day the order was split on, but it lands with its own
        # site's power: at us-east-c, whose power comes a year after us-east-a's, a share
        # read as landing and running with the order's own site.
        parts.append(
            with_its_power(share, as_of=at.as_of, buffer_weeks=at.settings.buffer_weeks, end=at.end)
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
    if power.room(site, arrives) >= fits - TOL:
        own = replace(own, powered=True, usable=arrives)
    else:
        own = replace(own, powered=False, usable=power.powered_from(site, fits, arrives))
    return past_the_ceiling(own, at.plan, power=power, as_of=at.as_of, settings=at.settings)


def split_by_power(order: Order, at: Placing) -> tuple[Order, Order | None] | None:
    """``order``, which waits on power as a whole (:func:`with_its_power` would date it),
    in two parts (``by_power``): the blocks its region's sites have MW energized for on its
    arrival, the most at the roomiest site first, ordered on its shortfall's dates; and the
    rest, placed as any order is (the site with its MW first, its ceiling, ``split_order``) and
    dated to land with its power. Returned with the share whose MW is left to the caller
    (the waiting part's own, taken from the day it lands once the note has read its site's
    room; None when every block has power on arrival); every other share's MW is taken
    here. None where no block of it has MW on arrival, or it is not dated to its power
    (nothing waits), or it is already split by its site's ceiling.

    All or nothing, a lot waited whole: at a 52-week horizon 53 us-west racks were dated to
    land with their site's power in 2027, though the MW energized at their first arrival ran
    9 of them (the 26-week run ordered those 9), and a day more of telemetry turned 26 racks
    landing 2027-03-01 into 29 standing dark 456 days."""
    power = at.power  # its MW taken as the shares are placed
    unit, arrives = order.candidate.mw, order.arrives
    if order.powered or order.parts or order.site is None or unit <= 0:
        return None
    # Whether it waits on power at all: its share past the plan's end is split off too.
    waits = with_its_power(order, as_of=at.as_of, buffer_weeks=at.settings.buffer_weeks, end=None)
    if waits is order:
        return None
    on_power: list[Order] = []
    rest = order.blocks
    by_room = sorted(power.sites_in(at.region), key=lambda s: (-power.room(s, arrives), s))
    for site in by_room:
        n = min(rest, math.floor((max(power.room(site, arrives), 0.0) + TOL) / unit))
        if n <= 0:
            break  # by room: no site after it has a block's MW either
        share = replace(
            order, blocks=n, site=site, powered=True, usable=arrives, beyond_ceiling=None,
            runs_from=None, passed_over="",
        )  # fmt: skip
        share = past_the_ceiling(share, at.plan, power=power, as_of=at.as_of, settings=at.settings)
        power.take(site, share.mw_held, arrives)
        on_power.append(share)
        rest -= n
    if not on_power:
        return None
    lead, *more = on_power
    if not rest:
        return replace(lead, parts=tuple(more), by_power=True, passed_over=order.passed_over), None
    waiting = replace(order, blocks=rest, beyond_ceiling=None, runs_from=None)
    region = at.region
    waiting = sited(placed_order(waiting, region=region, power=power), region=region, power=power)
    waiting = past_the_ceiling(waiting, at.plan, power=power, as_of=at.as_of, settings=at.settings)
    placed_at = waiting.site
    waiting = split_order(waiting, at)
    buffer_weeks = at.settings.buffer_weeks
    dated = with_its_power(
        replace(waiting, parts=()), as_of=at.as_of, buffer_weeks=buffer_weeks, end=at.end
    )
    shares = (*more, dated, *waiting.parts)
    # Its MW is held from the day it lands, as an order dated whole holds it once placed
    # again: held from the split day, 245 racks dated to 2028-12-04 took the MW of pods
    # landing 2028-02-02 at the same site, which then read "waits on power". Where none of it
    # stays at its own site, split_order took the leading share's MW already.
    pending = dated if waiting.site == placed_at else None
    split = replace(lead, parts=shares, by_power=True, passed_over=order.passed_over)
    return split, pending


def past_the_ceiling(
    order: Order,
    plan: CapacityPlan,
    *,
    power: Power,
    as_of: date,
    settings: TriggerSettings,
) -> Order:
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
        fit = order.blocks if mw <= 0 else max(math.floor((room + TOL) / mw), 0)
        beyond = max(order.blocks - fit, 0)
    runs_from = order.usable
    if runs_from is None and (beyond is None or beyond < order.blocks):
        lead = next(s.power_lead_months for s in plan.site if s.id == order.site)
        today = months_before(as_of + weeks_delta(settings.buffer_weeks), -lead)
        runs_from = max(order.arrives, today)
    if beyond == order.blocks:
        runs_from = None
    return replace(order, beyond_ceiling=beyond, runs_from=runs_from)


def with_its_power(order: Order, *, as_of: date, buffer_weeks: int, end: date | None) -> Order:
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
    lead = weeks_delta(order.candidate.lead_time_weeks)
    order_by = runs - lead - weeks_delta(buffer_weeks)
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
