"""Lists of names and sums of money as text, for every layer: the pages and the CLI say them
alike (the report package re-exports them as ``fmt_listed`` and ``fmt_usd``; the drills, the
growth models and the CLI call them here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from forecasting.schema import MONTHLY_ONLY, NEW_SITE

__all__ = [
    "CAPEX_BOUNDS",
    "CAPEX_NOT_SIZED",
    "CapexBound",
    "ahead_of_clock",
    "before_as_of",
    "before_next_report",
    "capex_past_ceiling",
    "counted",
    "estimated_days_words",
    "estimated_words",
    "extra_capex",
    "gpus",
    "listed",
    "megawatts",
    "next_report_words",
    "silent_customers_words",
    "silent_regions_words",
    "stopped_pools_words",
    "usd",
    "usd_shown",
    "usd_step",
    "waiting_order_by",
    "waiting_part",
]

# Opens a what-if's note on an extra capex that rests on an order not sized
# (forecasting.whatif.capital.not_sized_note); the bound follows it, a CapexBound's value.
CAPEX_NOT_SIZED = "extra capex not measured in full"


class CapexBound(StrEnum):
    """What a deal's extra capex is where an order of its pools is not sized (it counts $0):
    a lower bound (the order with the deal), an upper bound (the plan's own order without it),
    or neither (both). Carried beside the note (``WhatIf.capex_bound``, the pipeline frame's
    ``capex_bound`` column): the pages read it, not the note's words. The value is the
    note's phrase."""

    LOWER = "a lower bound"
    UPPER = "an upper bound"
    NEITHER = "neither bound holds"
    # No block type can be ordered for a pool the deal runs short (a training deal where only
    # racks can be ordered): no figure at all, not $0 (forecasting.whatif.orders.unservable_pools).
    UNSERVABLE = "no block type can serve a pool the deal needs"
    # Some of the blocks the deal's own GPUs need fit under no site's ceiling: their capex is
    # counted, and the new site's MW at an existing site's cost per MW (capacity.toml declares
    # no new site), so the figure is a lower bound (forecasting.whatif, "Capital", 3).
    NEW_SITE = "a new site is needed for blocks past the ceilings, which the plan does not price"


# The words before the figure for each bound.
CAPEX_BOUNDS: dict[CapexBound, str] = {
    CapexBound.LOWER: "at least",
    CapexBound.UPPER: "at most",
    CapexBound.NEITHER: "",
    CapexBound.UNSERVABLE: "",
    CapexBound.NEW_SITE: "at least",
}


def listed(names: Sequence[str], *, most: int = 6) -> str:
    """``a, b, c``, or the first ``most`` and how many more: ``a, b, c and 4 more``."""
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def ahead_of_clock(minutes: int) -> str:
    """``ahead of the clock by 40 min`` (``3 h``, ``2 days``): telemetry stamped after now
    (accepted up to a day ahead), which read "-177 min ago" and "-1 days old" as ages."""
    if minutes < 60:
        return f"ahead of the clock by {minutes} min"
    if minutes < 48 * 60:
        return f"ahead of the clock by {round(minutes / 60)} h"
    return f"ahead of the clock by {days_count(minutes // (24 * 60))}"


def counted(n: int, noun: str, *, plural: str | None = None) -> str:
    """``1 block``, ``3 blocks``, ``1,200 GPUs``: a count in its own number (``plural``
    where the noun does not take an s). "1 of the 1 blocks" and "1 block(s)" before."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {plural or noun + 's'}"


def days_count(days: int) -> str:
    """``1 day``, ``683 days``: "telemetry 1 days old" before."""
    return f"{days:,} day" if days == 1 else f"{days:,} days"


def gpus(value: float) -> str:
    """GPUs as a whole number from one up (``1,234``); below one, to a tenth (``0.3``), and a
    figure above zero that a tenth rounds away reads ``under 0.1``: a batch class averaging
    0.3 GPUs read "0" in `fleetcast demand`, a measured zero beside a class that ran every
    hour."""
    if 0.0 < abs(value) < 0.05:
        return "under 0.1"
    if 0.0 < abs(value) < 0.95:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def megawatts(value: float) -> str:
    """Facility power to a tenth of a megawatt (``12.3 MW``); a figure above zero that rounds
    to nothing reads ``under 0.1 MW``: 0.03 MW past a region's ceilings read "0.0 MW past
    them", beside the $375k new site priced for it."""
    if 0.0 < value < 0.05:
        return "under 0.1 MW"
    return f"{value:,.1f} MW"


def usd(value: float) -> str:
    """Money in millions from $1M up (``$42.0M``), in thousands below (``$850k``), else whole
    dollars: the CLI printed ``$0.0M`` for a $40k order and ``$110.45M`` beside the page's
    ``$110.4M``."""
    sign, size = ("-" if value < 0 else ""), abs(value)
    if size >= 1e6:
        return f"{sign}${size / 1e6:,.1f}M"
    if size >= 1e3:
        return f"{sign}${size / 1e3:,.0f}k"
    return f"{sign}${size:,.0f}"


def usd_step(value: float) -> float:
    """The rounding step :func:`usd` prints ``value`` to: $0.1M, $1k or $1."""
    size = abs(value)
    return 1e5 if size >= 1e6 else 1.0 if size < 1e3 else 1e3


def usd_shown(value: float) -> float:
    """The amount :func:`usd` prints: ``9_132_502.0`` -> ``9_100_000.0`` ($9.1M)."""
    step = usd_step(value)
    return round(value / step) * step


def capex_past_ceiling(
    placeable: float, apart: float, *, beyond: int, into_new_site: bool = False
) -> str:
    """Capex as text where ``beyond`` of its blocks lie past their site's ceiling and cost
    ``apart``, which no total of the plan holds: ``$2,399.2M (+ $2,052.9M for 243 blocks past
    their site's ceiling: a new site is needed, not in the plan's totals)``, or, with nothing
    placeable, ``$327.7M for all 8 blocks past ...`` (``one block``, ``both blocks``).

    With ``into_new_site`` (every such block dated by its region's declared [[new_site]]):
    "past their site's ceiling, into a new site", as the capital to place says of them.

    Eight pods all past the ceiling read "$0 (+ $327.7M new site)": $0 as if free, and the
    pods' own price as the new site's, whose cost no figure of the plan holds. Two read "for
    all 2 blocks"."""
    if not beyond:
        return usd(placeable)
    where = ", into a new site" if into_new_site else f": {NEW_SITE}"
    past = f"past {'its' if beyond == 1 else 'their'} site's ceiling{where}"
    if placeable <= 0:
        every = {1: "one block", 2: "both blocks"}.get(beyond, f"all {beyond:,} blocks")
        return f"{usd(apart)} for {every} {past} (none in the plan's totals)"
    blocks = f"{beyond:,} block{'' if beyond == 1 else 's'}"
    return f"{usd(placeable)} (+ {usd(apart)} for {blocks} {past}, not in the plan's totals)"


def extra_capex(value: float, *, bound: CapexBound | None) -> str:
    """A deal's extra capex as text: ``$12.0M`` measured in full (``bound`` None), else ``at
    least $12.0M (an order is not sized)``, ``at most ...``, ``not sized`` where orders on
    both sides are, ``not measured`` where no block type can serve a pool of the deal (its
    basis, beside it, names the pool), or ``at least $25.3M (a new site is needed for blocks
    past the ceilings: its MW at an existing site's cost per MW, an assumption)`` where some
    of its blocks fit under no ceiling (their basis names the site and the price; it read
    "not costed" with those MW at $0).

    A deal whose only order is not sized read "extra capex $0" (its order counted $0)."""
    if bound is None:
        return usd(value)
    if bound is CapexBound.UNSERVABLE:
        return "not measured"
    words = CAPEX_BOUNDS[bound]
    if bound is CapexBound.NEW_SITE:
        return (
            f"{words} {usd(value)} ({NEW_SITE} for blocks past the ceilings: its MW at an "
            "existing site's cost per MW, an assumption)"
        )
    if not words:
        return "not sized (orders with and without the deal are not sized)"
    return f"{words} {usd(value)} (an order is not sized)"


def waiting_part(row: Mapping[str, Any]) -> str:
    """How much of a trigger's order split on power runs on arrival, as the prefix of its "no
    power until" (empty for an order that waits whole): 25 of 50 racks powered on arrival
    read as all 50 waiting (``blocks_waiting``: report.inputs.with_power)."""
    waiting, blocks = row.get("blocks_waiting") or 0, row.get("blocks_to_order") or 0
    if not 0 < waiting < blocks:
        return ""
    return f"{blocks - waiting:,} of {blocks:,} on power on arrival; the other {waiting:,}: "


def waiting_order_by(
    row: Mapping[str, Any], *, as_of: date | None = None, next_report: date | None = None
) -> str:
    """After the order-by date of a trigger whose order is split on power, where its waiting
    part is due on other days: `` for the 21 on power; 2028-09-25 for the 53 waiting`` (a
    range where shares waiting at several sites are due apart), else empty. The demo's
    us-east/all read "2026-12-30" alone for 74 racks, 53 of them due 2028-09-25
    (``waiting_order_by`` and ``waiting_order_by_last``: report.inputs.with_power).

    Where the waiting part's first date falls before the next scheduled report
    (:func:`before_next_report` on ``as_of`` and ``next_report``, the rule every order-by
    reads), it says so after the dates: a part due four days later read plain beside an
    order's own date as close that said it."""
    waiting, blocks = row.get("blocks_waiting") or 0, row.get("blocks_to_order") or 0
    first = row.get("waiting_order_by")
    if not 0 < waiting < blocks or first is None:
        return ""
    last = row.get("waiting_order_by_last") or first
    # Dates as text alike, whether read back as dates (the pages) or strings (the CLI).
    own, first, last = str(row.get("order_by")), str(first), str(last)
    if first == own and last == own:
        return ""
    dates = first if last == first else f"{first} to {last}"
    soon = (
        before_next_report(date.fromisoformat(first), as_of=as_of, next_report=next_report)
        if as_of is not None
        else ""
    )
    return f" for the {blocks - waiting:,} on power; {dates} for the {waiting:,} waiting" + (
        f" ({soon})" if soon else ""
    )


def size_not_verified(daily_days: int | None) -> str:
    """Beside the size, capex or MW of an order short at the monthly grain only: sized for a
    window from a month read short past the daily rows, its size swings with the horizon (the
    demo's us-east/all: 30 racks at 7 days, 89 at 26 weeks, the other triggers alike)."""
    reach = (
        f" (the daily forecast reaches only {daily_days:,} days)" if daily_days is not None else ""
    )
    # The order-by date's words ("not verified at the daily grain"), as the size rests on the
    # same month: "size not verified" alone read as a lesser caveat than the date's.
    return f"size {MONTHLY_ONLY}{reach}"


def silent_regions_words(names: str) -> str:
    """What the pages' banner and `report` say of regions whose telemetry stopped (``names``,
    as a reader lists them with their days): their days since are forecast, the total's
    estimated from that forecast, and how far the other regions read them (measured on the
    demo, forecasting.forecast._completed_frame)."""
    return (
        f"Telemetry stopped: {names} reported nothing for that many days before the run's "
        "last day. Those days are forecast across (missing, not zero), and the total's are "
        "estimated from that forecast, not measured: check the feed before acting on its "
        "triggers. The other regions read it only through MinT's first weeks (on the demo, "
        "eu-west 3 days silent moved us-east's daily q90 by at most 1.4 % and no order)."
    )


def estimated_days_words(
    series: str, measure: str, days: int, first: date, last: date, nowcast: str
) -> str:
    """What the run's warnings and the pages say of a total (``series``, as a reader names
    it) whose last ``days`` (``first`` to ``last``) hold estimates because a part of it
    (``nowcast``, the silent parts' names) was silent (forecasting.forecast._completed_frame)."""
    return (
        f"{series} ({measure}): its last {days_count(days)} ({first.isoformat()} to "
        f"{last.isoformat()}) are estimated, not measured: its reporting parts' telemetry plus "
        f"{nowcast}'s own forecast across its silence"
    )


def estimated_words(lines: Sequence[str]) -> str:
    """What the pages' banner says beside the silent regions' of the totals whose last days
    are estimates (``lines``, :func:`estimated_days_words` each): the forecast stands on them,
    and the accuracy shown never scored them."""
    return (
        f"{'; '.join(lines)}. The forecast was fitted on those days, and no backtest scored "
        "them: its accuracy is measured on telemetry only."
    )


def silent_customers_words(following: Sequence[str], *, held: Sequence[str] = ()) -> str:
    """What the pages' banner and `report` say of customers whose every-hour feed stopped
    while their region reported (names with their days): their days read as zero; the
    forecast of ``following`` follows them, that of ``held`` is held at zero as a customer
    that left (forecasting.shifts.stopped_days). Said alike of both, a held customer's banner
    read "its forecast follows them" beside a flagged row saying the hold."""
    hold = "held at zero, as for a customer that left, until its telemetry returns"
    if following and held:
        outcome = (
            f"the forecast of {listed(following)} follows them, that of {listed(held)} is {hold}"
        )
    elif held:
        outcome = f"its forecast is {hold}"
    else:
        outcome = "its forecast follows them"
    return (
        f"Feed stopped: {listed([*following, *held])} wrote no rows for that many days before "
        "its region's last, though it wrote in nearly every hour before: those days read as "
        f"zero demand and {outcome}; if the feed broke, backfill it before acting on its "
        "pool's triggers."
    )


def stopped_pools_words(names: str) -> str:
    """What the pages' banner and `report` say of the pools (a region's class, or a whole
    region) whose demand ended (``names``, as a reader lists them with the day each stopped):
    their telemetry went on reporting, in zeros, so it is churn, not a feed gap (those are
    :func:`silent_regions_words` and :func:`silent_customers_words`); the forecast holds them
    at zero (forecasting.shifts.stopped_days). Said on the platform page's flagged series
    alone, a finance reader read such a pool as any other."""
    return (
        f"Demand ended: {names}: every customer there read zero demand on each of those days "
        "after demand on most days before, and its telemetry went on reporting (zeros written, "
        "not a feed gap). Their forecast is held at zero, as demand that ended: the triggers "
        "and orders read no demand from them; a return needs new telemetry or a contract."
    )


def before_next_report(day: date, *, as_of: date, next_report: date | None) -> str:
    """Where an order-by ``day``, not passed on ``as_of``, falls before the next scheduled
    report (``next_report``; None: not known): "falls before the next scheduled report
    (2026-11-30): place it by then", else "". A weekly report read
    "next order-by: 2026-11-25", green, and the next one "5 days ago: late": the one report
    a reader had before the date gave it no urgency."""
    if next_report is None or not as_of <= day < next_report:
        return ""
    return f"falls before the next scheduled report ({next_report.isoformat()}): place it by then"


def next_report_words(
    day: date | None, *, as_of: date | None, next_report: date | None, lead: str = "; "
) -> str:
    """``lead`` then "falls before the next scheduled report (DAY): place it by then" after an
    order-by or contract-by ``day`` on or after ``as_of`` and before ``next_report``
    (:func:`before_next_report`, the rule every surface reads: pages and terminal), else ''.
    The front page's card said it of a pool's first order alone: a later order or a new
    site's, due first, read plain, and so did the finance and facilities tables' rows."""
    if not isinstance(day, date) or as_of is None:
        return ""
    soon = before_next_report(day, as_of=as_of, next_report=next_report)
    return f"{lead}{soon}" if soon else ""


def before_as_of(day: date, as_of: object) -> str:
    """'; 83 days before the as-of date: late' for a date at the monthly grain only that came
    before the row's ``as_of``, else ''. It read as a plain day 83 days gone: "2026-09-13
    (monthly grain: not verified at the daily grain)" on a run as of 2026-12-05, and then,
    counted but not called late, "223 days before the as-of date" on amber rows, where every
    other past order-by a reader must act on says "late": the monthly grain leaves the
    shortfall's day unverified, not the date's having passed."""
    if not isinstance(as_of, date) or day >= as_of:
        return ""
    return f"; {days_count((as_of - day).days)} before the as-of date: late"
