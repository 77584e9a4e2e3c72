"""Sites and power: the MW each site has free, when it must contract more, MW per month.

Per site, the power trigger (POWER_TRIGGERS_SCHEMA) dates the first day from ``as_of`` on
which the MW needed (blocks in service plus placed orders from their arrival, or, for an
order waiting for power past its shortfall, from when its pool needs it: ``_needed_from``)
exceeds the MW energized; ``contract_by`` = that day minus ``power_lead_months`` calendar
months minus the buffer, with the status rule of block triggers
(:mod:`~forecasting.triggers.common`). ``mw_to_contract`` is the largest need beyond the MW
secured (energized steps plus contract) that count that day: those energized by then, or
before power contracted today could be (``_counted_mw``), at most the room under the ceiling.
Without ``[[site]]`` no power is checked and the power frame is empty. Orders are placed at
sites by :mod:`~forecasting.triggers.plan`, drawing on the free MW kept here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from forecasting.capacity import (
    NOT_JUDGED,
    ORDERS_SCHEMA,
    Block,
    CapacityPlan,
    Site,
    block_timeline,
    dark_spans,
    site_power_timeline,
)
from forecasting.schema import BlockStatus
from forecasting.text import days_count
from forecasting.triggers.common import (
    MONTHLY_ONLY,
    MW_SCHEMA,
    NEW_SITE,
    POWER_TRIGGERS_SCHEMA,
    TOL,
    Status,
    TriggerSettings,
    as_date,
    monthly_only_from,
    months_before,
    trigger_status,
    weeks_delta,
)

if TYPE_CHECKING:
    from forecasting.triggers.orders import Order

__all__ = ["Power", "mw_by_site_month", "site_orders_by_need", "unpowered_block_warnings"]


@dataclass(slots=True)
class Power:
    """MW free per declared site and day, from ``start``, for orders by their arrival day.

    ``free`` is what is energized that day (contracted MW from its energization day) less the
    MW of the plan's blocks in service; an order fits a site when its MW is free on every day
    from its arrival to the calendar's end (blocks that arrive later need theirs too). Orders
    placed here (``taken``) hold their MW from their arrival, and an order counts only those
    arriving on or before its own day: a site's MW goes to orders in the order they arrive,
    as the power trigger counts it, not in the order they are placed (the training pool's
    cell, placed first and landing 15 months later, took the MW of the racks before it, which
    then read "no power for it in the plan" while the cell read powered).
    """

    start: date
    end: date
    region_of: dict[str, str]
    free: dict[str, np.ndarray]
    # MW a site could still take under its ceiling, per day (energized or not); absent where
    # the site declares no ceiling.
    under_ceiling: dict[str, np.ndarray] = field(default_factory=dict)
    # Per site, (arrival index, MW) of each order placed, in the order placed.
    taken: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    # Per site, (index, MW) of each order's hold on room under the ceiling, from the day it
    # claims it: its arrival, but for a trigger's order dated to land with its power the day
    # it would have landed on its shortfall's dates (landing first, it wins the ceiling's
    # room, however late its power lets it land); and reservations (:meth:`reserve`).
    claimed: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    # Placing for good (the pass by arrival, :func:`triggers.placement._placed_in_arrival_order`):
    # an order placed there is not placed again, so its hold counts against every order
    # placed after it, from its own day, later than theirs too; the holds kept for the
    # triggers' orders until they are placed again (``pending``) count from their day only
    # for orders arriving then or later, as before.
    settled: bool = False
    pending: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    @classmethod
    def of(cls, plan: CapacityPlan, *, start: date, end: date) -> Power | None:
        """The plan's free MW over [start, end]; None for a plan without [[site]]."""
        if not plan.site:
            return None
        timeline = site_power_timeline(plan, start=start, end=end)
        free, under = {}, {}
        for (site,), frame in timeline.group_by("site", maintain_order=True):
            free[str(site)] = (frame["energized_mw"] - frame["mw_in_service"]).to_numpy().copy()
            ceiling = frame["ceiling_mw"][0]
            if ceiling is not None:
                under[str(site)] = (ceiling - frame["mw_in_service"]).to_numpy().copy()
        return cls(start, end, {s.id: s.region for s in plan.site}, free, under)

    def _index(self, day: date) -> int:
        last = (self.end - self.start).days
        return min(max((day - self.start).days, 0), last)

    def _held_before(self, site: str, arrives: date) -> float:
        """MW held at ``site`` by orders arriving on or before ``arrives``: they come first."""
        i = self._index(arrives)
        return sum(mw for at, mw in self.taken.get(site, ()) if at <= i)

    def room(self, site: str, arrives: date) -> float:
        """MW free at ``site`` on every day from ``arrives`` on, for an order arriving then."""
        held = self._held_before(site, arrives)
        return float(self.free[site][self._index(arrives) :].min()) - held

    def sites_in(self, region: str) -> list[str]:
        """The region's declared sites, by id."""
        return sorted(s for s, r in self.region_of.items() if r == region)

    def powered_from(self, site: str, mw: float, arrives: date) -> date | None:
        """The first day from ``arrives`` on after which ``site`` has ``mw`` free every day to
        the calendar's end, for an order arriving on ``arrives``; None when it never does."""
        free = self.free[site]
        # Free MW from each day to the end, a non-decreasing series: search it.
        ahead = np.minimum.accumulate(free[::-1])[::-1]
        first = self._index(arrives)
        need = mw + self._held_before(site, arrives) - TOL
        i = first + int(np.searchsorted(ahead[first:], need))
        return self.start + timedelta(days=i) if i < free.size else None

    def fits_ceiling(self, site: str, mw: float, arrives: date) -> bool:
        """Whether ``mw`` more from ``arrives`` on stays under ``site``'s ceiling every day."""
        room = self.ceiling_room(site, arrives)
        return room is None or room >= mw - TOL

    def ceiling_room(self, site: str, arrives: date) -> float | None:
        """MW ``site`` could still take under its ceiling on every day from ``arrives`` on, for
        an order arriving then; None where it declares no ceiling."""
        under = self.under_ceiling.get(site)
        if under is None:
            return None
        i = self._index(arrives)
        claimed = sum(mw for at, mw in self.claimed.get(site, ()) if at <= i)
        if not self.settled:
            return float(under[i:].min()) - claimed
        # Held from a later day by an order placed for good: the order's blocks still run
        # then (one told it fits beside such a hold left the two past the ceiling).
        later = np.zeros(under.size)
        pending = list(self.pending.get(site, ()))
        for at, mw in self.claimed.get(site, ()):
            if (at, mw) in pending:
                pending.remove((at, mw))
            elif at > i:
                later[at] += mw
        return float((under - np.cumsum(later))[i:].min()) - claimed

    def blocks_under_ceiling(self, site: str, arrives: date, unit: float) -> float:
        """How many blocks of ``unit`` MW ``site``'s ceiling could still hold from ``arrives``
        on (no limit without a ceiling, or for blocks that draw nothing)."""
        room = self.ceiling_room(site, arrives)
        if room is None or unit <= 0:
            return math.inf
        return math.floor((max(room, 0.0) + TOL) / unit)

    def roomiest(
        self, region: str, arrives: date, mw: float = 0.0, *, unit: float = 0.0
    ) -> tuple[str, float] | None:
        """The region's site with the most MW free from ``arrives`` on (ties by id), among
        those whose ceiling can hold ``mw`` more where any can: an order no site powers yet
        went to a site with a 2 MW ceiling beside one with 90 MW of room, and read "a new
        site is needed".

        Where no ceiling holds it whole, the site whose ceiling holds the most of it
        (``unit``: one block's MW, so the most blocks) comes first: the demo's 2 GB200 cells
        went to us-west-c, 2 MW ceiling, the most MW free, both "past its ceiling: a new site
        is needed", beside us-west-a with 25.8 MW under its ceiling."""
        rooms = [(site, self.room(site, arrives)) for site in self.sites_in(region)]
        holding = [r for r in rooms if self.fits_ceiling(r[0], mw, arrives)]
        if holding or not rooms:
            return min(holding or rooms, key=lambda r: (-r[1], r[0])) if rooms else None
        return min(
            rooms, key=lambda r: (-self.blocks_under_ceiling(r[0], arrives, unit), -r[1], r[0])
        )

    def take(self, site: str, mw: float, arrives: date, *, claims_from: date | None = None) -> None:
        """Reserve ``mw`` at ``site`` from ``arrives`` on, and room under its ceiling from
        ``claims_from`` (``arrives`` when None)."""
        self.taken.setdefault(site, []).append((self._index(arrives), mw))
        self.reserve(site, mw, claims_from or arrives)

    def reserve(
        self, site: str, mw: float, day: date, *, pending: bool = False
    ) -> tuple[str, int, float]:
        """Hold ``mw`` of room under ``site``'s ceiling from ``day`` on (no energized MW);
        the hold, for :meth:`release`. ``pending``: kept for an order placed again later
        (see ``settled``)."""
        hold = (self._index(day), mw)
        self.claimed.setdefault(site, []).append(hold)
        if pending:
            self.pending.setdefault(site, []).append(hold)
        return (site, *hold)

    def release(self, hold: tuple[str, int, float]) -> None:
        """Give back a hold made by :meth:`reserve`."""
        site, at, mw = hold
        self.claimed[site].remove((at, mw))
        if (at, mw) in self.pending.get(site, ()):
            self.pending[site].remove((at, mw))

    def copy(self) -> Power:
        """An independent copy, to try a plan without reserving its MW here (the daily
        arrays are never written: only ``taken`` and ``claimed`` grow)."""
        return replace(
            self,
            taken={s: list(held) for s, held in self.taken.items()},
            claimed={s: list(held) for s, held in self.claimed.items()},
            pending={s: list(held) for s, held in self.pending.items()},
        )

    def after(self, order: Order) -> Power:
        """A copy with ``order``'s MW taken (this one untouched), to try what would follow it."""
        copy = self.copy()
        if order.site is not None:
            copy.take(order.site, order.mw_held, order.arrives)
        return copy


# How a site's power note says its need passes the most it can ever contract.
_BEYOND_CEILING = f"beyond the ceiling: {NEW_SITE}"


def _monthly_only_note(orders: pl.DataFrame, *, exhaustion: date) -> str:
    """The clause of a power trigger whose date rests on orders short at the monthly grain
    only ('' when none of ``orders``, the site's monthly-only orders, lands by ``exhaustion``).

    Their MW counted as plainly as any order's: a site read "contract by ..." on racks whose
    own trigger says the shortfall is not verified at the daily grain (amber at most), with
    nothing on the power trigger saying so.
    """
    needed = pl.col("needed_from") if "needed_from" in orders.columns else pl.col("arrives")
    counted = orders.filter(needed <= exhaustion).sort("arrives", "region", "pool")
    if counted.is_empty():
        return ""
    named = ", ".join(
        f"{r['region']}/{r['pool']} {r['blocks']} x {r['candidate']} ({r['mw']:.2f} MW, "
        f"arriving {r['arrives']}{_later_for(r)})"
        for r in counted.iter_rows(named=True)
    )
    return (
        f"the power date rests on {named}, an order whose shortfall is read at the monthly "
        f"grain only: {MONTHLY_ONLY}; see its trigger's note"
    )


def _waiting_orders(placements: pl.DataFrame) -> pl.DataFrame:
    """The placed orders (with ``needed_from``: :func:`_needed_from`) counted at their site from
    before they can arrive: dated to land with its power after their pool needs them."""
    if "needed_from" not in placements.columns:
        return placements.clear()
    return placements.filter(
        pl.col("site").is_not_null() & (pl.col("needed_from") < pl.col("arrives")).fill_null(False)
    ).sort("needed_from", "arrives", "region", "pool")


def _waiting_clause(
    waiting: pl.DataFrame,
    *,
    site: str,
    exhaustion: date,
    end: date,
    monthly: pl.DataFrame,
    daily_end: date | None = None,
) -> str:
    """What a site's short-from day (``exhaustion``) is where orders placed there are counted
    from before they can arrive (``waiting``: :func:`_waiting_orders`, the site's): the first
    day the MW energized stop covering the blocks planned on it, those orders counted from when
    their pool needs them; the day they can arrive and run given the power; and the demand they
    serve left unserved from their pool's shortfall until they run ('' where none waits).

    The demo's us-east-c read "short of power from 2027-03-04" beside "31 x rack-h100-256
    arriving 2029-12-06": a reader could not tell what the two dates were, nor what happens
    between them. An order of ``monthly`` (the site's orders read at the monthly grain only)
    says its span is not verified at the daily grain; a pool's shortfall past ``daily_end``
    (the daily rows' last day, None where no monthly rows follow) is its month's, said so
    and not counted in days (the demo's "unserved from 2030-01-01 to 2030-01-03 (2 days)" was
    January 2030's first-of-month standing for the month)."""
    grain = {(r["region"], r["pool"], r["tranche"]) for r in monthly.iter_rows(named=True)}
    parts = []
    for r in waiting.filter(pl.col("needed_from") <= end).iter_rows(named=True):
        what = f"{r['blocks']:,} x {r['candidate']} of {r['region']}/{r['pool']}"
        runs, short = r.get("runs_from"), r.get("exhaustion_date")
        month = isinstance(short, date) and daily_end is not None and short > daily_end
        if isinstance(runs, date):
            lands = f"they arrive {r['arrives']} and can run from {runs}, when the power does"
            until = (
                f"to {runs}"
                if month
                else f"to {runs} ({days_count((runs - short).days)})"
                if isinstance(short, date)
                else ""
            )
        else:
            lands = (
                f"they arrive {r['arrives']}, and no power lets them run within the plan (to {end})"
            )
            until = "on, through the plan's end" if isinstance(short, date) else ""
        flagged = (r["region"], r["pool"], r["tranche"]) in grain
        # The grain said once: a monthly-only order's clause below says it.
        since = (
            (f"{short:%b %Y}" if flagged else f"{short:%b %Y} (monthly grain)")
            if month and isinstance(short, date)
            else short
        )
        unserved = (
            f": the demand of {r['region']}/{r['pool']} they serve is unserved from {since} {until}"
            if isinstance(short, date) and (not isinstance(runs, date) or runs > short)
            else ""
        )
        if unserved and flagged:
            unserved += f" (monthly grain: {MONTHLY_ONLY})"
        parts.append((what, r["needed_from"], f"{lands}{unserved}"))
    if not parts:
        return ""
    head = (
        f"short from {exhaustion}, the first day the MW energized at {site} stop covering the "
        "blocks planned there"
    )
    (what, needed, then), *more = parts
    if needed > exhaustion:
        # Counted from a later day, the order is not what set the short-from day: us-west-a
        # read "short from 2027-05-10 ... (1 x cell counted from 2028-12-04 ...)".
        more = parts
        said = head
    else:
        said = f"{head} ({what} counted from {needed}, when their pool needs them); {then}"
    return "; ".join(
        [
            said,
            *(
                f"{'so too ' if said != head else ''}{w}, counted from {n} when their pool needs "
                f"them: {t}"
                for w, n, t in more
            ),
        ]
    )


def _later_for(order: dict[str, object]) -> str:
    """'; a later order, for May 2026' of an order after its pool's trigger's (tranche 2 on),
    whose own trigger's note says nothing of the grain: the month its shortfall is read in,
    and the first month of its pool read at the monthly grain only where that is an earlier
    order's ('; a later order, for May 2028, planned after April 2027's')."""
    tranche, month = order.get("tranche"), order.get("exhaustion_date")
    if not isinstance(tranche, int) or tranche < 2 or not isinstance(month, date):
        return ""
    first = order.get("first_month")
    after = (
        f", planned after {first:%B %Y}'s"
        if isinstance(first, date) and order.get("first_tranche") != tranche
        else ""
    )
    return f"; a later order, for {month:%B %Y}{after}"


def _power_row(
    site_days: pl.DataFrame,
    *,
    site: Site,
    as_of: date,
    buffer_weeks: int,
    forecast_end: date,
    monthly_orders: pl.DataFrame | None = None,
    dark: str = "",
    past_orders: tuple[float, str] = (0.0, ""),
    gone: str = "",
    waiting: pl.DataFrame | None = None,
    daily_end: date | None = None,
) -> dict[str, object]:
    """One POWER_TRIGGERS row from the site's daily MW needed and energized (the blocks the
    forecast orders, to ``forecast_end``); ``monthly_orders`` are the site's orders whose
    shortfall is read at the monthly grain only (their triggers' ``monthly_only``); ``dark``
    the clause naming the site's blocks standing dark (:func:`_dark_clause`), said where
    power is to be contracted; ``past_orders`` the MW of the orders placed here past its
    ceiling and the clause naming them (:func:`_past_ceiling_orders`): in ``mw_beyond_ceiling``
    and red, as a need past the ceiling is, but in none of its MW needed; ``gone`` the clause
    naming its dark blocks that retire before power could come (:func:`_gone_note`), whose
    MW ``site_days`` leaves out; ``waiting`` the site's orders counted from before they can
    arrive (PLACEMENTS rows with ``needed_from``: :func:`_waiting_clause`)."""
    row = _power_row_counted(
        site_days, site=site, as_of=as_of, buffer_weeks=buffer_weeks,
        forecast_end=forecast_end, monthly_orders=monthly_orders, dark=dark,
        past_orders=past_orders, waiting=waiting, daily_end=daily_end,
    )  # fmt: skip
    if gone:
        row["note"] = f"{row['note']}; {gone}" if row["note"] else gone
    return row


def _power_row_counted(
    site_days: pl.DataFrame,
    *,
    site: Site,
    as_of: date,
    buffer_weeks: int,
    forecast_end: date,
    monthly_orders: pl.DataFrame | None,
    dark: str,
    past_orders: tuple[float, str],
    waiting: pl.DataFrame | None = None,
    daily_end: date | None = None,
) -> dict[str, object]:
    """:func:`_power_row` but for the clause on blocks gone before power could come."""
    past_mw, past_said = past_orders
    end = as_date(site_days["ds"].max())
    # The earliest day power contracted today is energized (no later than the calendar's end).
    today = months_before(as_of + weeks_delta(buffer_weeks), -site.power_lead_months)
    short = site_days.with_columns(
        short_mw=pl.col("mw_needed") - pl.col("energized_mw"),
        counted_mw=_counted_mw(site, today=min(today, end)),
    )
    over = short.filter(pl.col("short_mw") > TOL)
    room = None if site.ceiling_mw is None else site.ceiling_mw - site.secured_mw
    row: dict[str, object] = {
        "region": site.region,
        "site": site.id,
        "as_of": as_of,
        "power_lead_months": site.power_lead_months,
        "ceiling_room_mw": room,
        "max_shortfall_mw": max(float(short["short_mw"].max()), 0.0),  # type: ignore[arg-type]
        "mw_beyond_ceiling": None if room is None else 0.0,
        "monthly_only": False,
    }
    if over.is_empty():
        note = f"MW needed stays within energized MW through {min(end, forecast_end)}"
        ends = ", where the forecast ends"
        if end > forecast_end:
            # Past the forecast's end only the plan's blocks draw power: no demand orders more.
            # Its last day is where the calendar read ends, not where they stop fitting: "the
            # plan's blocks alone fit through 2026-08-16" read as a limit on a plan that adds
            # no block.
            note += (
                f"{ends}; past it no block is ordered, and the plan's own blocks stay within it "
                f"to {end}, where the power calendar ends (power contracted today is energized "
                "then, or the longest lead time reaches it)"
            )
            ends = ""
        day_after = forecast_end + timedelta(days=1)
        contract_by = months_before(day_after, site.power_lead_months) - weeks_delta(buffer_weeks)
        if as_of > contract_by:
            # Orders are only known where demand is forecast: past its end no block is
            # ordered, so the MW needed there is the plan's alone.
            note += (
                f"; not verified past {forecast_end}{ends}: power needed "
                f"the day after would have had to be contracted by {contract_by}, already past "
                f"({site.power_lead_months} months lead time)"
            )
        if past_mw > TOL:
            # Its own need is met; the orders past its ceiling are a new site's, which no
            # contract here brings on.
            return row | {
                "status": Status.RED.value,
                "mw_to_contract": 0.0,
                "cost_usd": 0.0,
                "note": f"{note}; {past_said}",
                "mw_beyond_ceiling": past_mw,
            }
        return row | {
            "status": Status.GREEN.value,
            "mw_to_contract": 0.0,
            "cost_usd": 0.0,
            "note": note,
        }
    first = over.row(0, named=True)
    exhaustion = as_date(first["ds"])
    lead = exhaustion - months_before(exhaustion, site.power_lead_months)
    contract_by = exhaustion - lead - weeks_delta(buffer_weeks)
    status = trigger_status(
        as_of=as_of, exhaustion=exhaustion, order_by=contract_by, lead_time=lead
    )
    if contract_by < as_of:
        # Power contracted today comes a lead time and the buffer later, after the first
        # short day (the note says when): the site runs short whatever is contracted now.
        # Amber here read "contracted today, it is energized ... 28 days after the first
        # short day" beside a legend whose red is "that date has passed".
        status = Status.RED
    # MW beyond what is secured and energized in time to count (_counted_mw); a shortfall
    # within it is a matter of timing.
    beyond = max(float((short["mw_needed"] - short["counted_mw"]).max()), 0.0)  # type: ignore[arg-type]
    contractable = beyond if room is None else min(beyond, max(room, 0.0))
    # The need past the ceiling, whatever is secured: a contract energized too late to count
    # holds MW under the ceiling all the same ("0.30 MW beyond the ceiling: a new site is
    # needed" of a need within it, once a contract past the plan's end no longer counted).
    peak = float(short["mw_needed"].max())  # type: ignore[arg-type]
    past_ceiling = None if site.ceiling_mw is None else peak - site.ceiling_mw
    if past_ceiling is not None and past_ceiling <= TOL:
        past_ceiling = 0.0
    # What the ceiling leaves only by bringing the late contract forward.
    squeezed = beyond - contractable - (past_ceiling or 0.0) > TOL
    notes = []
    if stepped := _step_down_note(site, short, exhaustion=exhaustion):
        notes.append(stepped)
    counted = _contract_counted(site, exhaustion=exhaustion, today=min(today, end), end=end)
    late_contract = (
        counted == "net"
        and site.contracted_energized is not None
        and (site.contracted_energized > exhaustion)
    )
    if beyond <= TOL and late_contract:
        notes.append(
            f"contracted MW covers the need but is energized {site.contracted_energized}, "
            f"after {exhaustion}: bring its energization forward"
        )
    elif beyond <= TOL:
        notes.append(_covered_from(short, exhaustion=exhaustion, dip=bool(stepped)))
    elif contractable > TOL:
        # Only what the ceiling leaves can be contracted ("contract 1556.24 MW" read beside a
        # 73.0 MW column under a 146 MW ceiling); the rest is a new site's (below).
        capped = f" (the most the {site.ceiling_mw:.2f} MW ceiling allows)" if past_ceiling else ""
        notes.append(
            f"contract {contractable:.2f} MW{capped} by {contract_by} ({site.power_lead_months} "
            f"months lead time, {buffer_weeks} weeks buffer): "
            + _when_needed(
                short, exhaustion=exhaustion, beyond=contractable, site=site, net=counted == "net"
            )
        )
        if contract_by < as_of:
            # A date gone says nothing of when power can come: say when it would if
            # contracted now, as the block triggers' "runs from" does.
            # Past its contract-by date, today plus lead and buffer lands after exhaustion.
            notes.append(
                f"contracted today, it is energized {today} at the earliest, "
                f"{days_count(max((today - exhaustion).days, 0))} after the first short day"
            )
    if waiting is not None and (
        said := _waiting_clause(
            waiting,
            site=site.id,
            exhaustion=exhaustion,
            end=end,
            monthly=monthly_orders if monthly_orders is not None else waiting.clear(),
            daily_end=daily_end,
        )
    ):
        # Beside the contract's date, what that date is and when the orders can come.
        notes.append(said)
    if beyond > TOL:
        # Where the MW counted cover the need, those that count from a later day change nothing.
        notes += _late_secured(
            site,
            exhaustion=exhaustion,
            today=min(today, end),
            end=end,
            counted=counted,
            squeezed=squeezed,
        )
    if dark and contractable > TOL:
        notes.append(dark)
    if monthly_orders is not None and (
        rests := _monthly_only_note(monthly_orders, exhaustion=exhaustion)
    ):
        notes.append(rests)
        row["monthly_only"] = True
    if past_ceiling:
        notes.append(f"{past_ceiling:.2f} MW {_BEYOND_CEILING}")
    if past_mw > TOL:
        notes.append(past_said)
        past_ceiling = (past_ceiling or 0.0) + past_mw
    if past_ceiling:
        # No contract date fixes a need past the ceiling: whatever is contracted now, the
        # site runs short (a site needing 44 MW under a 2 MW ceiling read green, "contract by
        # 2027-08-06").
        status = Status.RED
    return row | {
        "exhaustion_date": exhaustion,
        "mw_needed_at_exhaustion": float(first["mw_needed"]),
        "energized_mw_at_exhaustion": float(first["energized_mw"]),
        "contract_by": contract_by,
        "status": status.value,
        "mw_to_contract": contractable,
        "cost_usd": contractable * site.cost_per_mw_usd,
        "note": "; ".join(notes),
        "mw_beyond_ceiling": past_ceiling,
    }


def unpowered_block_warnings(plan: CapacityPlan, *, as_of: date) -> list[str]:
    """One warning per block in service on ``as_of`` at a site with no MW energized that day:
    a block that never ran there is more likely a plan missing its site's energized step
    than a fleet standing dark (the power trigger read "contract 0.61 MW ... to bring back"
    the demo's us-west-rack-01 once its site read 0 MW)."""
    return [
        f"{site.id} has 0 MW energized on {as_of} but {b.id} ({b.mw:.2f} MW) is in service "
        "there: likely a plan error (check the site's energized steps)"
        for site in sorted(plan.site, key=lambda s: s.id)
        if site.energized_mw_on(as_of) <= TOL
        for b in plan.block
        if b.site == site.id and b.mw > 0 and b.in_service_on(as_of)
    ]


def _power_today(site: Site, *, as_of: date, buffer_weeks: int) -> date:
    """The earliest day power contracted on ``as_of`` is energized at ``site``."""
    return months_before(as_of + weeks_delta(buffer_weeks), -site.power_lead_months)


def _gone_before_power(
    plan: CapacityPlan, site: Site, *, as_of: date, end: date, buffer_weeks: int
) -> list[tuple[Block, date]]:
    """The plan's blocks standing dark at ``site`` in [as_of, end] that retire on or before
    the day power contracted now is energized there, each with its first dark day: no
    contract brings them back.

    Counted, a 0 MW site read red "contract 0.61 MW ($6.8M) by 2024-11-06" to bring back
    the demo's us-west-rack-01, which retires 2027-02-17, 23 months before that power
    (2029-01-01)."""
    today = _power_today(site, as_of=as_of, buffer_weeks=buffer_weeks)
    first: dict[str, date] = {}
    for block_id, day, _ in dark_spans(plan, start=as_of, end=end, at=site.id):
        first[block_id] = min(day, first.get(block_id, day))
    return [
        (b, first[b.id])
        for b in plan.block
        if b.id in first and b.retire is not None and b.retire <= today
    ]


def _without(site_days: pl.DataFrame, gone: list[tuple[Block, date]]) -> pl.DataFrame:
    """``site_days`` (the site's power timeline) without the MW of the ``gone`` blocks."""
    if not gone:
        return site_days
    drawn = pl.sum_horizontal(
        pl.when((pl.col("ds") >= (b.in_service or date.min)) & (pl.col("ds") < b.retire))
        .then(pl.lit(b.mw))
        .otherwise(pl.lit(0.0))
        for b, _ in gone
    )
    return site_days.with_columns(
        mw_in_service=pl.col("mw_in_service") - drawn, mw_needed=pl.col("mw_needed") - drawn
    )


def _gone_note(
    gone: list[tuple[Block, date]], *, site: Site, as_of: date, buffer_weeks: int
) -> str:
    """The clause naming the ``gone`` blocks (:func:`_gone_before_power`), '' for none."""
    today = _power_today(site, as_of=as_of, buffer_weeks=buffer_weeks)
    return "; ".join(
        f"{b.id} ({b.mw:.2f} MW, {b.gpus:,} GPUs) stands dark here from {first} until it "
        f"retires {b.retire}, before power contracted today could be energized ({today}): "
        "not brought back, none of its MW counted"
        for b, first in gone
    )


def _dark_clause(
    plan: CapacityPlan,
    site: Site,
    *,
    start: date,
    end: date,
    gone: Sequence[tuple[Block, date]] = (),
) -> str:
    """Which of the MW ``site`` needs in [start, end] are its blocks standing dark, owned and
    brought back by the power contracted before any new block (orders waiting there for power
    are sized net of them: ``power_waits.brought_back``); '' when none stands dark, or none its
    ceiling could hold powered (no contract brings those back).

    The note read "0.50 MW on power that is gone" and named no block: the facilities reader
    could not tell power for racks already paid for from power for racks still to buy."""
    left = {b.id for b, _ in gone}
    spans = [
        (block_id, first, last)
        for block_id, first, last in dark_spans(plan, start=start, end=end, at=site.id)
        if (site.ceiling_mw is None or plan.mw_drawn(site.id, first) <= site.ceiling_mw + TOL)
        and block_id not in left
    ]
    if not spans:
        return ""
    first = min(day for _, day, _ in spans)
    ids = sorted({block_id for block_id, _, _ in spans})
    blocks = [b for b in plan.block if b.id in ids]
    listed = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    return (
        f"of the MW needed, {sum(b.mw for b in blocks):.2f} MW is {listed} "
        f"({sum(b.gpus for b in blocks):,} GPUs), standing dark here from {first}: blocks "
        "already owned, which the power contracted brings back first; orders waiting here "
        "for power are sized net of them (see their triggers)"
    )


def _counted_mw(site: Site, *, today: date) -> pl.Expr:
    """The MW secured at ``site`` that count against each day's need: what is energized that
    day, and before ``today`` (the earliest power contracted now is energized) what is
    energized by then too, a matter of bringing it forward since no new contract comes sooner.

    Every MW secured counted on every day: us-west-a's 21.5 MW contracted, energized 2031-06-01
    (after the plan's end), were netted from its need from 2027-05-08, and the row read 5.0 MW
    to contract ($55.0M) where 26.5 MW were short to the plan's end."""
    ahead = site.energized_mw_on(today)
    return (
        pl.when(pl.col("ds") < today)
        .then(pl.max_horizontal(pl.col("energized_mw"), pl.lit(ahead)))
        .otherwise(pl.col("energized_mw"))
    )


def _contract_counted(site: Site, *, exhaustion: date, today: date, end: date) -> str:
    """How the site's contract counts against the need from ``exhaustion``: "net" on every
    short day (energized by then, or before power contracted ``today`` could be), "from" its
    energization day only (after both, within the plan), "none" (energized past ``end``, the
    plan's last day), '' without a contract."""
    on = site.contracted_energized
    if on is None or site.contracted_mw <= 0:
        return ""
    if on <= exhaustion or on <= today:
        return "net"
    return "from" if on <= end else "none"


def _late_secured(
    site: Site, *, exhaustion: date, today: date, end: date, counted: str, squeezed: bool
) -> list[str]:
    """One clause per MW secured that do not count on every short day (``_counted_mw``): the
    contract (``counted``, :func:`_contract_counted`) and each energized step up, after the
    first short day and ``today``'s power, counted from its day, or after ``end`` and not at
    all; ``squeezed`` where they hold what the ceiling leaves (none more can be contracted)."""
    late = [
        (f"the step to {b.mw:.2f} MW energized {b.on}", b.on)
        for a, b in pairwise(site.energized)
        if b.mw > a.mw and b.on > exhaustion and b.on > today
    ]
    if counted in ("from", "none"):
        assert site.contracted_energized is not None  # counted says it is late
        late.append(
            (
                f"{site.contracted_mw:.2f} MW contracted, energized {site.contracted_energized}",
                site.contracted_energized,
            )
        )
    said = [
        f"{what}: after the plan's end ({end}), not counted"
        if on > end
        else f"{what}: after the first short day ({exhaustion}) and later than power "
        f"contracted today would be ({today}): not counted before then"
        for what, on in sorted(late, key=lambda w: w[1])
    ]
    if said and squeezed:
        # The late MW hold what the ceiling leaves: none more can be contracted.
        said[-1] += (
            f", and the rest of the {site.ceiling_mw:.2f} MW ceiling: bring its "
            "energization forward"
        )
    return said


def _step_down_note(site: Site, short: pl.DataFrame, *, exhaustion: date) -> str:
    """Where the site's last step on or before ``exhaustion`` falls from the one before: the
    power given back, the MW the site keeps that day (the contract included, where energized)
    and the MW of its blocks (and orders landed by then) on power that is gone ('' otherwise).

    The note read the first short day's need, orders included, as what the blocks drew on the
    step's day and left the contract out: "draw 42.53 MW, 13.00 MW on power that is gone"
    where the page's paragraph read 18.3 MW drawn that day, within the 33.0 MW kept."""
    taken = [(a, b) for a, b in site.step_downs() if b.on <= exhaustion]
    if not taken or any(s.on > taken[-1][1].on and s.on <= exhaustion for s in site.energized):
        return ""
    before, after = taken[-1]
    # A step before the calendar's first day is read on that day, what its blocks draw now.
    day = max(after.on, as_date(short["ds"].min()))
    that = short.filter(pl.col("ds") == day).row(0, named=True)
    drawn, kept = float(that["mw_in_service"]), float(that["energized_mw"])
    ordered = float(that["mw_needed"]) - drawn
    head = f"energized MW steps down from {before.mw:.2f} to {after.mw:.2f} MW on {after.on}"
    if kept > after.mw + TOL:
        head += f" ({kept:.2f} MW with the contract)"
    when = "that day" if day == after.on else f"on {day}"
    said = f"{head}: the plan's blocks there draw {drawn:.2f} MW {when}"
    if ordered > TOL:
        said += f" and the orders landed by then {ordered:.2f} MW"
    gone = drawn + ordered - kept
    if gone > TOL:
        return f"{said}, {gone:.2f} MW on power that is gone"
    return f"{said}, within the {kept:.2f} MW it keeps"


def _covered_from(short: pl.DataFrame, *, exhaustion: date, dip: bool) -> str:
    """Where the MW secured covers every day's need but not on the short days, with no
    contract energized late: when the energized steps cover it again (after a step down,
    ``dip``) or first do. Both read "contracted MW covers the need but is energized None:
    bring its energization forward", of a contract the site does not have."""
    back = short.filter((pl.col("ds") > exhaustion) & (pl.col("short_mw") <= TOL))
    if back.is_empty():
        return "the MW secured covers the need, but no energized step covers it in the plan"
    mw, day = float(back["energized_mw"][0]), as_date(back["ds"][0])
    if dip:
        return (
            f"back to {mw:.2f} MW on {day}: keep the power through the dip or move the blocks "
            "it leaves dark"
        )
    return f"the step to {mw:.2f} MW energized on {day} covers it: bring that step forward"


def _when_needed(
    short: pl.DataFrame, *, exhaustion: date, beyond: float, site: Site, net: bool
) -> str:
    """When the MW to contract is needed: how much of it by the first short day, and all of it
    by the month of the plan's peak, net of what is secured (the contract's MW named where
    it counts on every short day, ``net``).

    The note dated the whole of it to the first short day: the demo's us-east-a read
    "contract 47.26 MW ... to have it energized by 2027-04-19", where 20.6 MW was short that
    day and the rest came with the plan's peak in Nov 2029, net of 10.5 MW contracted (on no
    column of the page)."""
    need = short.with_columns(beyond=pl.col("mw_needed") - pl.col("counted_mw"))
    first = need.filter(pl.col("ds") == exhaustion).row(0, named=True)
    peak = need.sort("beyond", "ds", descending=[True, False]).row(0, named=True)
    by_first = min(max(float(first["mw_needed"]) - float(first["energized_mw"]), 0.0), beyond)
    secured = (
        f", net of {site.contracted_mw:.2f} MW contracted (energized {site.contracted_energized})"
        if net
        else ""
    )
    peak_day = as_date(peak["ds"])
    if peak_day <= exhaustion or beyond - by_first <= TOL:
        return f"to have it energized by {exhaustion}{secured}"
    return (
        f"{by_first:.2f} MW short of energized on {exhaustion}, the first short day, and all "
        f"of it by {peak_day:%b %Y}, the plan's peak ({float(peak['mw_needed']):.2f} MW "
        f"needed){secured}"
    )


def _needed_from(placed: pl.DataFrame, *, as_of: date, buffer_weeks: int) -> pl.DataFrame:
    """``placed`` (PLACEMENTS rows) with ``needed_from``: the day each order's MW is needed,
    its arrival, but for an order waiting for power past its shortfall the day its pool needs
    it (``buffer_weeks`` before its exhaustion, not before ``as_of``).

    An order dated to land with its site's power (``power_waits.with_its_power``) arrives a
    buffer before that power: counted from its arrival, the site read "short from" that day,
    28 days before power contracted today, and amber, while its pool was short 600 days
    earlier for want of it (the demo's us-east-a). Its power is needed when its pool is."""
    if "runs_from" not in placed.columns or "exhaustion_date" not in placed.columns:
        return placed.with_columns(needed_from=pl.col("arrives"))
    need = pl.max_horizontal(
        pl.col("exhaustion_date") - pl.duration(weeks=buffer_weeks), pl.lit(as_of)
    )
    waits = (
        ~pl.col("powered").fill_null(True)
        & (pl.col("runs_from") > pl.col("arrives")).fill_null(False)
        & (pl.col("arrives") > need).fill_null(False)
    )
    return placed.with_columns(
        needed_from=pl.when(waits).then(need).otherwise(pl.col("arrives")).cast(pl.Date)
    )


def site_orders_by_need(
    placements: pl.DataFrame, *, as_of: date, buffer_weeks: int
) -> pl.DataFrame:
    """The placed orders (PLACEMENTS rows) at a site as ORDERS rows, each from the day its MW is
    needed (:func:`_needed_from`), as the power triggers count them: the facilities page's
    supply read a site short from the day its orders land while its power trigger read it
    short from when their pool needs them."""
    return (
        _needed_from(placements, as_of=as_of, buffer_weeks=buffer_weeks)
        .filter(pl.col("site").is_not_null())
        .with_columns(arrives=pl.col("needed_from"), mw=_mw_under_ceiling())
        .filter(pl.col("mw") > 0)
        .select(ORDERS_SCHEMA.names())
    )


def _mw_under_ceiling() -> pl.Expr:
    """A placement's MW less its blocks past its site's ceiling (``blocks_beyond_ceiling``):
    those are a new site's, and no MW of this one.

    Counted whole, us-east-b read "85.1 MW needed, contract 11 MW by 2025-04-10" for 200
    racks its own placement put past its 22 MW ceiling (a synthetic fleet, seed 7)."""
    beyond = pl.col("blocks_beyond_ceiling").fill_null(0).clip(0, pl.col("blocks"))
    return (
        pl.when(pl.col("blocks") > 0)
        .then(pl.col("mw") * (pl.col("blocks") - beyond) / pl.col("blocks"))
        .otherwise(pl.col("mw"))
    )


def _past_ceiling_orders(placements: pl.DataFrame) -> tuple[float, str]:
    """The MW of ``placements`` (one site's) past the site's ceiling, and a clause naming
    them ('' when none): a new site's, counted in none of its MW needed."""
    past = placements.filter(pl.col("blocks_beyond_ceiling").fill_null(0) > 0).sort(
        "arrives", "region", "pool", "tranche", nulls_last=True
    )
    if past.is_empty():
        return 0.0, ""
    mw = 0.0
    named = []
    for r in past.iter_rows(named=True):
        n = min(int(r["blocks_beyond_ceiling"]), int(r["blocks"]))
        mw += float(r["mw"]) * n / int(r["blocks"])
        of = f"{n} of {r['blocks']}" if n < r["blocks"] else f"{n}"
        named.append(f"{of} x {r['candidate']} of {r['region']}/{r['pool']}")
    return mw, (
        f"{mw:.2f} MW of orders past its ceiling ({', '.join(named)}): {NEW_SITE} for them, "
        "not counted in its MW needed"
    )


def power_triggers(
    plan: CapacityPlan,
    placements: pl.DataFrame,
    *,
    as_of: date,
    end: date,
    buffer_weeks: int,
    forecast_end: date,
    monthly_pools: Mapping[tuple[str, str], date] | None = None,
    daily_end: date | None = None,
    unmeasured: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """POWER_TRIGGERS rows per declared site: when its MW need first beats energized MW.

    ``unmeasured``: the regions no demand was measured in, each with why ("no telemetry in
    eu-west"): a green site there is not judged, and its note says so first (it read "MW
    needed stays within energized MW through 2030-01-31" where the page said "not judged").

    ``monthly_pools`` are the (region, pool) whose trigger is short at the monthly grain only
    (its ``monthly_only`` field), each with its exhaustion: a site whose date their orders
    move says so, and is flagged. So is one whose date a pool's order moves whose own
    shortfall is read on a monthly row within a default run's daily days
    (:func:`short_at_the_monthly_grain_only`; ``daily_end`` the daily rows' last day, None
    where no monthly rows follow them), or any of its orders after it."""
    if not plan.site:
        return pl.DataFrame(schema=POWER_TRIGGERS_SCHEMA)
    orders = site_orders_by_need(placements, as_of=as_of, buffer_weeks=buffer_weeks)
    placements = _needed_from(placements, as_of=as_of, buffer_weeks=buffer_weeks)
    timeline = site_power_timeline(plan, start=as_of, end=end, orders=orders)
    # The orders of a pool from its first one short at the monthly grain only: the trigger's
    # where its trigger says so, else a later order whose shortfall falls on a monthly row a
    # default run reads by the day. A 2-week run's later orders, sized on months' peak days,
    # set a site's date (red) that the 26-week run's daily rows never reached (green), and
    # only a trigger's own order was said to be monthly. Each later order is sized after the
    # ones before it, so the pool's plan from there rests on it (the 2-week run's racks at
    # us-east-c, for May 2028, came after an order for April 2027 sized on its peak day).
    seams = monthly_only_from(
        placements, flagged=monthly_pools or {}, daily_end=daily_end, as_of=as_of
    )  # (region, pool) -> (its first tranche read so, that order's shortfall day)
    monthly_orders = pl.DataFrame(
        [
            r | {"first_month": seams[key][1], "first_tranche": seams[key][0]}
            for r in placements.filter(pl.col("site").is_not_null()).iter_rows(named=True)
            if (key := (r["region"], r["pool"])) in seams and (r["tranche"] or 1) >= seams[key][0]
        ],
        schema={**placements.schema, "first_month": pl.Date(), "first_tranche": pl.Int64()},
        orient="row",
    )
    gone = {
        site.id: _gone_before_power(plan, site, as_of=as_of, end=end, buffer_weeks=buffer_weeks)
        for site in plan.site
    }
    # Only what the site counts: the blocks past its ceiling are a new site's.
    waiting = _waiting_orders(
        placements.filter(pl.col("blocks_beyond_ceiling").fill_null(0) < pl.col("blocks"))
    )
    rows = [
        _power_row(
            _without(timeline.filter(pl.col("site") == site.id), gone[site.id]),
            site=site,
            as_of=as_of,
            buffer_weeks=buffer_weeks,
            forecast_end=forecast_end,
            monthly_orders=monthly_orders.filter(pl.col("site") == site.id),
            dark=_dark_clause(plan, site, start=as_of, end=end, gone=gone[site.id]),
            past_orders=_past_ceiling_orders(placements.filter(pl.col("site") == site.id)),
            gone=_gone_note(gone[site.id], site=site, as_of=as_of, buffer_weeks=buffer_weeks),
            waiting=waiting.filter(pl.col("site") == site.id),
            daily_end=daily_end,
        )
        for site in sorted(plan.site, key=lambda s: (s.region, s.id))
    ]
    for row in rows:
        why = (unmeasured or {}).get(str(row["region"]))
        if why is not None and row["status"] == Status.GREEN.value:
            # Stored as every reader says it: a green stored here read as a measured status in
            # power_triggers, where every page said "not judged". An amber or a red stands: the
            # plan's own blocks outgrow the site whatever the demand.
            row["status"] = NOT_JUDGED
            row["note"] = (
                f"{NOT_JUDGED}: no demand measured in {row['region']} ({why}), so nothing is "
                f"ordered there and only the plan's own blocks are counted: {row['note']}"
            )
    return pl.DataFrame(rows, schema=POWER_TRIGGERS_SCHEMA, orient="row")


def _largest_sites(plan: CapacityPlan) -> dict[str, str]:
    """Each region's site with the most MW of live and committed blocks (ties: by name)."""
    mw: dict[tuple[str, str], float] = {}
    for b in plan.block:
        if b.status is not BlockStatus.RETIRING:
            mw[(b.region, b.site)] = mw.get((b.region, b.site), 0.0) + b.mw
    best: dict[str, str] = {}
    for (region, site), total in sorted(mw.items()):
        if region not in best or total > mw[(region, best[region])]:
            best[region] = site
    return best


def _month() -> pl.Expr:
    return pl.col("ds").dt.truncate("1mo").alias("month")


def mw_by_site_month(
    plan: CapacityPlan,
    triggers: pl.DataFrame,
    *,
    start: date,
    end: date,
    placements: pl.DataFrame | None = None,
    buffer_weeks: int = TriggerSettings().buffer_weeks,
) -> pl.DataFrame:
    """Facility MW per site and month: in service, needed for triggers' orders, and needed.

    ``mw_in_service`` is the highest daily MW of the plan's blocks in the month (power must
    be ready for the busiest day); ``mw_new_blocks`` the MW of trigger orders needed from that
    month, placed at the region's largest site (most MW of live and committed blocks; the
    region's own name when it has no block yet) or, given ``placements``
    (PLACEMENTS_SCHEMA, from a plan with [[site]]), at the site each order was placed, from
    the day the power triggers count it (:func:`site_orders_by_need`: its arrival, but for an
    order waiting for power past its shortfall the ``buffer_weeks`` before its exhaustion;
    counted from its arrival, the demo's us-east-a needed its racks' 34.2 MW from Dec 2028
    beside a power trigger short from 2027-04-14 for them); ``mw_needed`` adds every order
    needed by the month to the MW in service. Columns follow MW_SCHEMA, months from
    ``start``'s month to
    ``end``'s, or further to the last order or planned block to land: a 7-day run's page read
    "needs no more than the 2.3 MW in service" beside its own 5.0 MW power trigger, the orders
    behind it landing after the forecast's last day.
    """
    sites = _largest_sites(plan)
    landing = [
        *(b.in_service for b in plan.block if b.in_service is not None),
        *triggers.filter(pl.col("blocks_to_order") > 0)["arrives"].drop_nulls().to_list(),
        *(placements["arrives"].drop_nulls().to_list() if placements is not None else ()),
    ]
    end = max([end, *landing])
    in_service = (
        block_timeline(plan, start=start, end=end)
        .group_by("region", "site", "ds")
        .agg(pl.col("mw").sum())
        .group_by("region", "site", _month())
        .agg(mw_in_service=pl.col("mw").max())
    )
    placed = placements is not None and not placements.is_empty()
    arrivals = (
        # Only the MW under its site's ceiling, as the power triggers count it: the demo's
        # us-east-b chart needed 138.2 MW, "88.2 MW of it past its 50.0 MW ceiling", beside a
        # power row of 49.69 MW needed and 88.48 MW of orders past the ceiling.
        _needed_from(placements, as_of=start, buffer_weeks=buffer_weeks).select(  # type: ignore[arg-type]
            "region", "site", mw=_mw_under_ceiling(), arrives=pl.col("needed_from")
        )
        if placed
        else triggers.filter(pl.col("blocks_to_order") > 0).select("region", "arrives", "mw")
    )
    orders = (
        arrivals.filter(pl.col("arrives").is_not_null() & (pl.col("arrives") <= end))
        .select(
            "region",
            site=pl.coalesce(
                pl.col("site") if placed else pl.lit(None, pl.String),
                pl.col("region").replace_strict(sites, default=pl.col("region")),
            ),
            month=pl.max_horizontal("arrives", pl.lit(start)).dt.truncate("1mo"),
            mw_new_blocks=pl.col("mw"),
        )
        .group_by("region", "site", "month")
        .agg(pl.col("mw_new_blocks").sum())
    )
    months = pl.DataFrame(
        {"month": pl.date_range(start.replace(day=1), end.replace(day=1), "1mo", eager=True)}
    )
    places = pl.concat([in_service.select("region", "site"), orders.select("region", "site")])
    return (
        places.unique()
        .join(months, how="cross")
        .join(in_service, on=["region", "site", "month"], how="left")
        .join(orders, on=["region", "site", "month"], how="left")
        .with_columns(pl.col("mw_in_service", "mw_new_blocks").fill_null(0.0))
        .sort("region", "site", "month")
        .with_columns(
            mw_needed=pl.col("mw_in_service")
            + pl.col("mw_new_blocks").cum_sum().over("region", "site")
        )
        .select(MW_SCHEMA.names())
        .cast(MW_SCHEMA)
    )
