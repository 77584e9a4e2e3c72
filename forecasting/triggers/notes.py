"""The words of a trigger's note: the order, its lateness, expediting it, its power, its split, and
its caveats."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import NamedTuple

from forecasting.capacity import CapacityPlan
from forecasting.text import days_count, usd
from forecasting.triggers.common import (
    DAYS_PER_WEEK,
    NEW_SITE,
    NO_ORDER_BY,
    WAITS_ON_POWER,
    Pool,
    TriggerSettings,
    weeks_delta,
)
from forecasting.triggers.orders import Order, past_every_ceiling
from forecasting.triggers.power import Power
from forecasting.triggers.sizing import candidate_blocks

__all__ = ["PULL_IN", "UNVERIFIED_GREEN"]


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


def month_after(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _order_note(
    order: Order, *, exhaustion: date, buffer_weeks: int, month_end: date | None = None
) -> str:
    if all(past_every_ceiling(p) for p in order.shares):
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
        # At the monthly grain the exhaustion is the month's first day, not a measured day:
        # "2 days after exhaustion (2029-01-01)" read of blocks serving on 2029-01-03 in a
        # January read short as a month.
        after = (
            f"{days_count(late)} after exhaustion ({exhaustion})"
            if month_end is None
            else _after_exhaustion(late, exhaustion=exhaustion, month_end=month_end)
        )
        serves = (
            f"; its blocks serve from {runs}, {after}, whatever is ordered now" if late > 0 else ""
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
            if before == 0 and month_end is None
            else f"{days_count(-before)} after exhaustion"
            if month_end is None
            else _after_exhaustion(-before, exhaustion=exhaustion, month_end=month_end)
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
    order: Order,
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
    lands = order.arrives - weeks_delta(saved)
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


def _power_note(order: Order, *, region: str, power: Power) -> str:
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


class NoteHead(NamedTuple):
    """The clauses a trigger's note opens with (:func:`order_head`), and the same clauses
    with their lateness said against the month of exhaustion, for a row short at the monthly
    grain only (:func:`_monthly_only`)."""

    text: str
    in_month: str


def order_head(
    order: Order,
    *,
    plan: CapacityPlan,
    region: str,
    exhaustion: date,
    buffer_weeks: int,
    power: Power | None,
    priced: bool = True,
) -> NoteHead:
    """The clauses a trigger's note opens with: the order, what expediting it would do where
    it is late, and why its site has no power for it (read before its MW is taken; none
    without ``power``). Not ``priced``: see :func:`_expedite_note`."""
    # Whether its shortfall is read at the monthly grain only is decided once every pool is
    # placed (trigger_frames): both readings are written now, while the power note reads the MW
    # this order finds.
    waits = (
        [_power_note(order, region=region, power=power)]
        if not order.powered and power is not None
        else []
    )
    heads = []
    for month_end in (None, month_after(exhaustion)):
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
    return NoteHead(*heads)


def _by_power_note(
    order: Order,
    *,
    plan: CapacityPlan,
    region: str,
    exhaustion: date,
    buffer_weeks: int,
    power: Power | None,
    priced: bool,
    month_end: date | None,
) -> str:
    """The clauses opening the note of an order split by power (:func:`split_by_power`):
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
        notes.append(order.passed_over)  # the late candidate it was chosen over (chosen_order)
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


def _split_note(order: Order, *, region: str) -> str:
    """How an order split across sites (:func:`split_order`) is placed: each site's share, and
    when a share waits for power."""
    # Each share is dated to its own site's power (split_order): where they differ, each share's
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
                    f"{gap // DAYS_PER_WEEK} weeks"
                    if gap % DAYS_PER_WEEK == 0
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


# Opens the note of a pool short until blocks already planned land, within the buffer of the
# earliest order's arrival: nothing is bought for those days (the CLI's summary reads it).
PULL_IN = "until the capacity already planned lands"


def unverified_green(
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
    candidates = candidate_blocks(plan, region=region, pool=pool)
    if not candidates:
        return ""
    fastest = min(candidates, key=lambda c: (c.lead_time_weeks, c.name))
    order_by = (
        end + timedelta(days=1) - weeks_delta(fastest.lead_time_weeks + settings.buffer_weeks)
    )
    if as_of <= order_by:
        return ""
    return (
        f", where the forecast ends: {UNVERIFIED_GREEN} (a shortfall the day after would "
        f"need {fastest.name}, the fastest block at {fastest.lead_time_weeks} weeks, ordered "
        f"by {order_by}, already past; ordered today it arrives "
        f"{as_of + weeks_delta(fastest.lead_time_weeks)})"
    )


# Said of a green pool whose forecast ends before its fastest block could still be ordered in
# time; its ``unverified_green`` field is what the pages' headline counts
# (report.inputs.status_headline).
UNVERIFIED_GREEN = "not verified beyond it"


def monthly_grain_note(exhausted: date, daily_end: date) -> str:
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
