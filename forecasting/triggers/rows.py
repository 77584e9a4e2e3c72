"""One pool's TRIGGERS row and the order it places (:func:`trigger_row`), sized or not."""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import partial
from typing import NamedTuple

import polars as pl

from forecasting.capacity import CapacityPlan
from forecasting.text import days_count, usd
from forecasting.triggers.choice import Bridge, chosen_bridge, chosen_order, rechosen
from forecasting.triggers.common import (
    NEW_SITE,
    TOL,
    MonthsNotKnown,
    MonthsRefused,
    Pool,
    Status,
    TriggerSettings,
    as_date,
    reach_to_size,
    weeks_delta,
)
from forecasting.triggers.notes import PULL_IN, NoteHead, order_head, unverified_green
from forecasting.triggers.orders import (
    Order,
    empty_row,
    net_of,
    order_fields,
    running_blocks,
    running_from,
    running_shares,
)
from forecasting.triggers.power import Power
from forecasting.triggers.power_waits import brought_back, nothing_but_power, past_the_ceiling
from forecasting.triggers.sizing import (
    Exhaustion,
    candidate_blocks,
    first_exhaustion,
    median_size,
    planned_cover,
    pool_blocks,
    sizing_window_end,
)

__all__ = ["NOT_SIZED"]

LATER_SUFFIX = ": later orders"  # ends a note whose shortfall outgrows its order


def _relief_named(relief: Order) -> str:
    """The training-pool order an all pool is sized net of (or covered by), as counted: its
    blocks, the day those that run all run from, and how many are past their site's ceiling,
    counted for nothing ('3 x pod-h100 in service 2026-08-03, 1 of them past s1's ceiling:
    counted for nothing, a new site is needed for it')."""
    named = f"{relief.total_blocks} x {relief.candidate.name}"
    runs = running_from(relief)
    past = relief.total_blocks - running_blocks(relief)
    said = f"{named} in service {runs if runs is not None else relief.arrives}"
    if past:
        sites = sorted({s.site for s in relief.shares if s.beyond_ceiling and s.site})
        where = " and ".join(f"{site}'s" for site in sites) or "its site's"
        them = "it" if past == 1 else "them"
        said += f", {past} of them past {where} ceiling: counted for nothing, {NEW_SITE} for {them}"
    return said


class PoolDecision(NamedTuple):
    """A pool's TRIGGERS row, the order it places (None when none), the last day that order
    was sized for (None when the pool never runs short), the bridge it was cut short for, and
    the clauses its note gives about the order and its power."""

    row: dict[str, object]
    order: Order | None
    sized_to: date | None
    bridge: Bridge | None = None
    # The note's clauses about the order and its power (order_head): its first, but for an
    # order not sized (_unsized), whose note opens with that.
    head: NoteHead = NoteHead("", "")

    @property
    def waits_for_power(self) -> bool:
        """Whether the order's site has no power for it on its arrival: its note says power
        is the constraint (:func:`_power_note`), and a red status may rest on that alone."""
        return self.order is not None and not all(s.powered for s in self.order.shares)


# Opens the note of an all pool the training pool's order covers (_say_relief_as_placed).
COVERED_PREFIX = "covered by the training-pool order: "


def trigger_row(
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    region: str,
    pool: Pool,
    as_of: date,
    settings: TriggerSettings,
    relief: Order | None,
    power: Power | None,
    bridge_from: date | None = None,
    size_until: date | None = None,
) -> PoolDecision:
    """One TRIGGERS row and its order; ``relief`` is an order for an overlapping pool; with
    ``bridge_from``, an order may be cut short for a newer generation ordered from that day;
    with ``size_until``, the order is sized no further (see :func:`sizing_window_end`)."""
    full = partial(sizing_window_end, sizing_weeks=settings.sizing_weeks, size_until=size_until)
    cut = dict(settings.sized_before).get(region)

    def window(start: date) -> date:
        # An order for a shortfall before the cut (a deal's first day) is not grown by what
        # the deal adds after it, nor dated to the power that would take (TriggerSettings).
        end = full(start)
        return end if cut is None or start >= cut else min(end, cut - timedelta(days=1))

    row = empty_row(region, pool, quantile=settings.quantile, as_of=as_of)
    found = first_exhaustion(daily)
    if found is None:
        end = as_date(daily["ds"].max())
        note = f"{settings.quantile} requirement stays within capacity through {end}"
        if float(daily["requirement_gpus"].max() or 0.0) <= TOL:  # type: ignore[arg-type]
            # No demand to verify (an inference-only trace's training pool read "green to
            # 2025-01-26 only: not verified beyond" on its front page).
            note = f"no {pool.value} demand in the forecast through {end}"
            if any(
                b.region == region and b.dedicated_customer and b in pool_blocks(plan, pool)
                for b in plan.block
            ):
                # A pod dedicated to the class's only customer leaves the pool nothing, which
                # is not "no demand in the forecast".
                note = (
                    f"no {pool.value} demand on the shared blocks through {end} (none in the "
                    "forecast, or all of it on blocks dedicated to its customers)"
                )
        elif caveat := unverified_green(
            plan, region=region, pool=pool, end=end, as_of=as_of, settings=settings
        ):
            note += caveat
            row["unverified_green"] = True
        row |= {"status": Status.GREEN.value, "max_shortfall_gpus": 0.0, "note": note}
        row |= {"blocks_to_order": 0, "capex_usd": 0.0, "mw": 0.0}
        return PoolDecision(row, None, None)
    gross = net_of(found.shortfall, None)
    window_end = window(found.day)
    sized = found.shortfall.filter(pl.col("ds") <= window_end)
    from_exhaustion = (window_end, sized)
    net = net_of(sized, relief)
    candidates = candidate_blocks(plan, region=region, pool=pool)
    choose = partial(
        chosen_order,
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
        months_refused=settings.months_refused,
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
        net = net_of(sized, relief)
        order = choose(candidates, shortfall_gpus=net) if net > 0.0 else None
        if order is not None and order.arrives <= found.day:
            # Chosen again for the later window, it lands in time after all: sized from
            # exhaustion like any order that does. (Left at the later window, 341 racks
            # landing a month before exhaustion were bought for the shortfall of the year
            # after the first choice's arrival, 2028-08 to 2029-08.)
            (window_end, sized), from_arrival = from_exhaustion, False
            net = net_of(sized, relief)
            order = rechosen(
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
            net = net_of(sized, relief)
            order = rechosen(
                order, choose([order.candidate], shortfall_gpus=net) if net > 0.0 else None
            )
    if relief is not None and order is not None and power is not None and not order.powered:
        # Waiting for power, the order serves nothing before its blocks run: net of the
        # training-pool order (counted from when its blocks run) from then on. Counted over
        # the days before, a rack running with 2 training pods on 2027-02-02 was bought for
        # the 29 days before them, which it could not serve either.
        runs = past_the_ceiling(order, plan, power=power, as_of=as_of, settings=settings)
        start = runs.runs_from
        # (Its window ending before then, it is left as sized: _dated says so.)
        if start is not None and as_date(sized["ds"].min()) < start <= as_date(sized["ds"].max()):
            net = net_of(sized.filter(pl.col("ds") >= start), relief)
            order = rechosen(
                order, choose([order.candidate], shortfall_gpus=net) if net > 0.0 else None
            )
    # An order waiting for its site's power, where that power brings back blocks of the pool
    # already owned first: sized from when it can run, net of them (see the module doc).
    back = (
        None
        if order is None or power is None
        else brought_back(
            plan,
            order,
            region=region,
            pool=pool,
            as_of=as_of,
            buffer_weeks=settings.buffer_weeks,
            end=as_date(found.shortfall["ds"].max()),
        )
    )
    if back is not None and order is not None:
        back_end = window(back.runs)
        restored = back.restored(found.shortfall, start=back.runs, end=back_end)
        if restored.is_empty():
            back = None  # it runs past the forecast: nothing to net it on
        else:
            waiting, window_end, sized, from_arrival = order, back_end, restored, True
            net = net_of(sized, relief)
            order = rechosen(
                order, choose([order.candidate], shortfall_gpus=net) if net > 0.0 else None
            )
            if order is None:
                row |= {
                    "exhaustion_date": found.day,
                    "requirement_gpus_at_exhaustion": found.requirement,
                    "capacity_gpus_at_exhaustion": math.floor(found.capacity + TOL),
                    "max_shortfall_gpus": gross,
                }
                row = nothing_but_power(
                    row,
                    waiting,
                    back,
                    found=found,
                    plan=plan,
                    as_of=as_of,
                    buffer_weeks=settings.buffer_weeks,
                    covered_to=min(window_end, as_date(found.shortfall["ds"].max())),
                )
                return PoolDecision(row, None, window_end)
    bridge = None
    if bridge_from is not None and order is not None and order.in_time and not from_arrival:
        bridge = chosen_bridge(
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
            net = net_of(sized, relief)
    row |= {
        "exhaustion_date": found.day,
        "requirement_gpus_at_exhaustion": found.requirement,
        # Whole units: capacity in H100-equivalents may be fractional; never overstated.
        "capacity_gpus_at_exhaustion": math.floor(found.capacity + TOL),
        "max_shortfall_gpus": gross,
    }
    if relief is not None and net <= 0.0 < net_of(sized, None):
        row |= order_fields(relief, as_of=as_of, exhaustion=found.day, blocks=0)
        row["note"] = f"{COVERED_PREFIX}{_relief_named(relief)}"
        return PoolDecision(row, None, window_end)
    if net <= 0.0 and first_choice is not None:
        # Short now, but capacity already planned covers the need before anything ordered
        # today could land: an order would only stand idle.
        row |= order_fields(first_choice, as_of=as_of, exhaustion=found.day, blocks=0)
        row["note"] = (
            f"short from {found.day}, but the earliest order ({first_choice.candidate.name}) "
            f"lands {first_choice.arrives}, when capacity already planned covers the need: "
            "nothing to order; the shortfall until then is absorbed, not bought"
        )
        return PoolDecision(row, None, window_end)
    if order is None:
        note = f"no candidate block type can serve the {pool.value} pool in {region}"
        return PoolDecision(row | {"status": Status.RED.value, "note": note}, None, window_end)
    serves_from = order.arrives if from_arrival else found.day
    since = "its arrival" if from_arrival else "exhaustion"
    if back is not None:
        serves_from, since = back.runs, "its site's power"
    cover = (
        None
        if bridge is not None
        else planned_cover(
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
        row |= order_fields(order, as_of=as_of, exhaustion=found.day, blocks=0)
        capex = order.blocks * order.candidate.capex_usd
        row["note"] = (
            f"short from {found.day} {PULL_IN}: {cover.named()} in service {cover.lands}; "
            f"an order placed today ({order.blocks} x {order.candidate.name}, "
            f"{usd(capex)}) lands {order.arrives}, only {days_count(bridged_days)} before "
            f"them (within the {settings.buffer_weeks}-week buffer), and would stand idle "
            "after: nothing to order; absorb the shortfall, expedite the planned blocks or "
            "pull them in"
        )
        return PoolDecision(row, None, window_end)
    head = order_head(
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
    later = (net_of(beyond, None) if beyond.height else 0.0) - net_of(sized, None)
    last_day = found.shortfall["ds"].max()
    if later <= TOL and isinstance(last_day, date) and window_end > last_day:
        # The window runs past the plan: say how far the order was sized for, not how far a
        # full window would have reached (Helios: "to 2021-07-25" on a plan ending 2020-07-26).
        notes.append(
            f"sized for the days the plan covers after "
            f"{since}, to {last_day} (the "
            f"{settings.sizing_weeks} weeks of a full window reach {window_end}, not within "
            "the horizon)"
        )
    if later > TOL:
        after = since
        span = f"sized for the {settings.sizing_weeks} weeks after {after} (to {window_end})"
        start = serves_from
        if size_until is not None and window_end < start + weeks_delta(settings.sizing_weeks):
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
            f"{as_date(found.shortfall['ds'].max())}{LATER_SUFFIX}"
        )
    if relief is not None and net < net_of(sized, None):
        notes.append(f"sized net of the training-pool order ({_relief_named(relief)})")
    elif relief is not None and relief.total_blocks and not running_shares(relief):
        # Wholly past its site's ceiling, it serves the all pool nothing: said, so that the
        # two orders do not read as one need bought twice.
        notes.append(
            f"not net of the training-pool order ({relief.total_blocks} x "
            f"{relief.candidate.name}): none of its blocks can run, all past their site's "
            f"ceiling ({NEW_SITE} for them)"
        )
    median = median_size(
        daily,
        order,
        sized=sized,
        relief=relief,
        as_of=as_of,
        scored_days=settings.scored_days,
    )
    if median is not None:
        notes.append(median)
    row |= order_fields(order, as_of=as_of, exhaustion=found.day, blocks=order.blocks)
    row["note"] = "; ".join(notes)
    if power is not None and order.site is not None:
        power.take(order.site, order.mw_held, order.arrives)
    return PoolDecision(row, order, window_end, bridge, head)


# Opens the note of an order the forecast ends before (TRIGGERS rows with a candidate and no
# blocks_to_order); the pages and the CLI read it (report.pages.common.blocks_text).
NOT_SIZED = "not sized: the forecast ends before it could arrive"


def _unsized(
    row: dict[str, object],
    order: Order,
    *,
    found: Exhaustion,
    plan: CapacityPlan,
    region: str,
    as_of: date,
    buffer_weeks: int,
    months_refused: MonthsRefused | MonthsNotKnown | None = None,
) -> PoolDecision:
    """The trigger of a pool whose order lands after the forecast's last day: what to order
    and by when, but no size, capex or MW, and no placement (so in no total).

    Sized on the days the forecast has, before it lands, the order bought for days it cannot
    serve: 2 racks ($16.9M) for a ServeGen pool whose 26-week forecast orders 7 ($59.1M), and
    nothing said the figure was not measured.
    """
    end = as_date(found.shortfall["ds"].max())
    head = order_head(
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
        "capacity_gpus_at_exhaustion": math.floor(found.capacity + TOL),
        "max_shortfall_gpus": net_of(found.shortfall, None),
    }
    row |= order_fields(order, as_of=as_of, exhaustion=found.day, blocks=order.blocks)
    row |= {"blocks_to_order": None, "capex_usd": None, "mw": None, "powered_from": None}
    reach = reach_to_size(order.arrives, as_of=as_of, months_refused=months_refused)
    row["note"] = (
        f"{NOT_SIZED} (it lands {order.arrives}, the forecast ends {end}): its size, capex and "
        f"MW are not measured and are in no total; {reach}; {head.text}"
    )
    return PoolDecision(row, None, end, head=head)
