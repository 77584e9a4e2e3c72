"""The construction trigger: when a region's demand passes the ceilings of its sites, and by
when a new site must be started (the fourth clock of DOMAIN.md "Four timelines").

Per region with ``[[site]]``, the MW needed each day is the MW of the plan's blocks at its
sites plus the MW of the orders of the plan placed in the region (PLACEMENTS rows, their
blocks past a ceiling included: those are what a new site must hold) as its demand needs
them: each pool's shortfall (the triggers' requirement at their quantile plus headroom less
capacity in service, :func:`~forecasting.triggers.pool_requirements`) read in MW at its
orders' MW per H100-equivalent, filled in need order, none before an order's need day (its
``exhaustion_date``; its arrival where none is stored). Counted whole from that day, a 20 MW
block whose pool first needs a few GPUs of it read the ceilings as run out that day, though
the demand passed them weeks later. "Ceilings exhausted" is the first day that need passes
the sum of the region's site ceilings, or, if earlier, the first day the demand needs a block
no one site's ceiling can take whole (``blocks_beyond_ceiling``: a block cannot be split, so
it is needed whole from the day the demand needs any of it; the ceilings hold their MW in
sum, not in one hall); the note says which of the two set the day. Without the requirement
(a caller with no forecast) every order counts whole from its need day. The MW past the
ceilings, what a new site must hold and is priced for, are whole blocks.

With the region's ``[[new_site]]``: ``start_by`` = that day less ``build_months``
calendar months less the buffer, with the status rule of block triggers
(:func:`~forecasting.triggers.common.trigger_status`). Without it the day is still given and
no start date is made up: the note says the build time is not declared. A region whose sites
declare no ceiling has none to run out of; where the ceilings hold to the horizon's end, the
row is green, "not within the horizon".

Computed from the plan, the stored placements (as the facilities page's supply is) and the
forecast run's requirement; stored with each trigger run since migration 40 (a report on a
run stored before computes it).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from forecasting.capacity import NOT_JUDGED, CapacityPlan, NewSite, Site, block_timeline
from forecasting.schema import frame_schema
from forecasting.text import before_next_report, days_count, megawatts, usd
from forecasting.triggers.common import (
    NEW_SITE,
    NO_ORDER_BY,
    TOL,
    as_date,
    months_before,
    trigger_status,
    weeks_delta,
)

__all__ = [
    "CONSTRUCTION_SCHEMA",
    "construction_lines",
    "construction_triggers",
    "held_not_verified",
    "held_unverified",
    "new_site_arrival",
    "new_site_dates",
    "new_site_order_by",
    "not_judged_why",
    "unsited_orders",
    "unsited_words",
    "with_new_site_notes",
]

# The registry's columns (stored with each trigger run since migration 40).
CONSTRUCTION_SCHEMA = frame_schema("construction_triggers")


def _need_day(as_of: date) -> pl.Expr:
    """The day an order's MW is needed by its pool's demand: its shortfall's first day (its
    arrival where the run stored none), not before ``as_of``; null where neither is stored
    (max_horizontal alone would read such an order as needed on ``as_of``)."""
    day = pl.coalesce(pl.col("exhaustion_date"), pl.col("arrives"))
    return (
        pl.when(day.is_null())
        .then(None)
        .otherwise(pl.max_horizontal(day, pl.lit(as_of)))
        .cast(pl.Date)
    )


@dataclass(frozen=True, slots=True)
class _Need:
    """One order of the region's plan (its rows at every site), as the demand draws on it:
    its MW from the day the pool's shortfall passes what the orders before it cover."""

    pool: str
    need: date
    blocks: int
    beyond: int
    mw: float
    # H100-equivalents of one block; None where the plan no longer has its candidate.
    unit: float | None
    said: str


def _needs(plan: CapacityPlan, orders: pl.DataFrame, *, as_of: date) -> list[_Need]:
    """The region's orders, one per pool and tranche, by need day (then tranche)."""
    units = {c.name: c.gpus * plan.h100_equivalent(c.gpu_type) for c in plan.candidate}
    grouped = (
        orders.with_columns(need=_need_day(as_of))
        .drop_nulls("need")
        .group_by("pool", "tranche", "candidate", "region")
        .agg(
            pl.col("need").min(),
            pl.col("blocks").sum(),
            pl.col("mw").sum(),
            pl.min_horizontal(pl.col("blocks_beyond_ceiling").fill_null(0), pl.col("blocks"))
            .sum()
            .alias("beyond"),
        )
        .sort("need", "tranche", "pool", nulls_last=True)
    )
    return [
        _Need(
            pool=r["pool"],
            need=as_date(r["need"]),
            blocks=int(r["blocks"]),
            beyond=int(r["beyond"]),
            mw=float(r["mw"]),
            unit=units.get(r["candidate"]),
            said=f"{r['candidate']} of {r['region']}/{r['pool']}",
        )
        for r in grouped.iter_rows(named=True)
    ]


def _shortfalls(requirements: pl.DataFrame, days: pl.DataFrame) -> dict[str, np.ndarray]:
    """Per pool, the H100-equivalents short each of ``days`` (the triggers' requirement at
    their quantile plus headroom, less capacity in service), held past its last day."""
    short = requirements.select(
        "pool", "ds", short=(pl.col("requirement_gpus") - pl.col("capacity_gpus")).clip(0.0)
    )
    return {
        pool: days.join(short.filter(pl.col("pool") == pool).drop("pool"), on="ds", how="left")
        .sort("ds")["short"]
        .forward_fill()
        .fill_null(0.0)
        .to_numpy()
        for pool in ("training", "all")
    }


def _filled(
    needs: list[_Need], pool: str, short: np.ndarray, ds: list[date]
) -> tuple[np.ndarray, np.ndarray, dict[int, int | None]]:
    """The MW and H100-equivalents of ``pool``'s orders that ``short`` (units short each of
    ``ds``) draws on, filled in need order at each order's MW per unit, none before its own
    need day; and per order with blocks past every ceiling the index of the first day the
    demand needs one of those (None: not within the days)."""
    mw, units = np.zeros(len(ds)), np.zeros(len(ds))
    past: dict[int, int | None] = {}
    before = 0.0
    for i, n in enumerate(needs):
        if n.pool != pool:
            continue
        start = bisect_left(ds, n.need)
        if n.unit is None or n.blocks <= 0 or n.unit <= 0:
            # No unit to read the demand in: the order counts whole from its need day.
            mw[start:] += n.mw
            past[i] = start if n.beyond and start < len(ds) else None
            continue
        size = n.blocks * n.unit
        share = np.clip((short - before) / size, 0.0, 1.0)
        share[:start] = 0.0
        mw += share * n.mw
        units += share * size
        if n.beyond:
            # A block cannot be split: the first block no site takes is needed whole from
            # the day the demand first needs any of it.
            first = before + (n.blocks - n.beyond) * n.unit
            hit = np.flatnonzero(short[start:] > first + TOL)
            past[i] = start + int(hit[0]) if hit.size else None
        before += size
    return mw, units, past


def _drawn(
    needs: list[_Need], short: dict[str, np.ndarray], ds: list[date]
) -> tuple[np.ndarray, dict[int, int | None]]:
    """MW of the orders the demand needs each of ``ds`` (:func:`_filled`), and the day index
    of each order's first block past every ceiling the demand needs.

    The training pool's orders serve training first; the all pool's shortfall is what they
    leave, as the all pool's orders are sized (triggers.plan), and what the all pool's own
    orders leave of it draws on the training orders' other blocks (a cell serves every
    class)."""
    _, trained, _ = _filled(needs, "training", short["training"], ds)
    left = np.maximum(short["all"] - trained, 0.0)
    mw, units, past = _filled(needs, "all", left, ds)
    more = np.maximum(left - units, 0.0)
    training_mw, _, training_past = _filled(needs, "training", short["training"] + more, ds)
    return mw + training_mw, past | training_past


def _daily_need(
    plan: CapacityPlan,
    orders: pl.DataFrame,
    sites: list[Site],
    *,
    as_of: date,
    end: date,
    requirements: pl.DataFrame | None,
) -> tuple[pl.DataFrame, list[tuple[date, _Need]]]:
    """(ds, mw_in_service, mw_needed, mw_whole) from ``as_of`` to ``end``: the region's blocks
    at ``sites`` in service (``mw_in_service``), plus its ``orders`` as the demand needs them
    (``mw_needed``: the MW of the shortfall in ``requirements``, the triggers' requirement and
    capacity per pool, read at its orders' MW per unit) and whole from their need day
    (``mw_whole``, the blocks a new site must hold); and each order with blocks past every
    ceiling with the day demand first needs one of those. Without ``requirements`` both read
    whole blocks."""
    ids = [s.id for s in sites]
    days = pl.DataFrame({"ds": pl.date_range(as_of, end, "1d", eager=True)})
    drawn = (
        block_timeline(plan, start=as_of, end=end)
        .filter(pl.col("site").is_in(ids))
        .group_by("ds")
        .agg(mw_in_service=pl.col("mw").sum())
    )
    added = (
        orders.with_columns(ds=_need_day(as_of))
        .drop_nulls("ds")
        .group_by("ds")
        .agg(mw_ordered=pl.col("mw").sum())
    )
    need = (
        days.join(drawn, on="ds", how="left")
        .join(added, on="ds", how="left")
        .with_columns(pl.col("mw_in_service", "mw_ordered").fill_null(0.0))
        .sort("ds")
        .select(
            "ds", "mw_in_service", mw_whole=pl.col("mw_in_service") + pl.col("mw_ordered").cum_sum()
        )
    )
    needs = _needs(plan, orders, as_of=as_of)
    if requirements is None:
        return need.select("ds", "mw_in_service", mw_needed="mw_whole", mw_whole="mw_whole"), [
            (n.need, n) for n in needs if n.beyond
        ]
    ds = need["ds"].to_list()
    mw, past = _drawn(needs, _shortfalls(requirements, days), ds)
    dated = [
        (n.need if past[i] is None else ds[past[i]], n)  # type: ignore[index]
        for i, n in enumerate(needs)
        if n.beyond
    ]
    need = need.with_columns(mw_needed=pl.col("mw_in_service") + pl.Series(mw))
    return need.select("ds", "mw_in_service", "mw_needed", "mw_whole"), dated


def _first_unplaceable(dated: list[tuple[date, _Need]]) -> tuple[date, str, float] | None:
    """The first day demand needs a block no one site's ceiling takes whole, the clause
    naming it, and the MW of every such block; None where there are none."""
    if not dated:
        return None
    day, first = min(dated, key=lambda d: d[0])
    said = f"{first.beyond} x {first.said}, needed from {day}, fit under no one site's ceiling"
    return day, said, sum(n.mw * n.beyond / n.blocks for _, n in dated if n.blocks)


def _row(
    plan: CapacityPlan,
    region: str,
    orders: pl.DataFrame,
    *,
    as_of: date,
    end: date,
    buffer_weeks: int,
    quantile: str,
    daily_end: date | None,
    requirements: pl.DataFrame | None,
) -> dict[str, object]:
    """One CONSTRUCTION row for ``region`` (one with [[site]])."""
    sites = sorted((s for s in plan.site if s.region == region), key=lambda s: s.id)
    declared = plan.new_sites.get(region)
    row: dict[str, object] = {
        "region": region,
        "as_of": as_of,
        "quantile": quantile,
        "horizon_end": end,
        "buffer_weeks": buffer_weeks,
        "build_months": None if declared is None else declared.build_months,
        "ready_if_started_today": (
            None if declared is None else months_before(as_of, -declared.build_months)
        ),
        "mw_past_ceilings": 0.0,
    }
    open_ended = [s.id for s in sites if s.ceiling_mw is None]
    if open_ended:
        return row | {
            "note": f"{', '.join(open_ended)} declare{'s' if len(open_ended) == 1 else ''} no "
            f"ceiling_mw: the plan sets no limit on {region}'s sites, so none runs out and no "
            "new site is dated; declare the ceilings to date one"
        }
    ceilings = sum(s.ceiling_mw or 0.0 for s in sites)
    need, dated = _daily_need(plan, orders, sites, as_of=as_of, end=end, requirements=requirements)
    over = need.filter(pl.col("mw_needed") > ceilings + TOL)
    crossing = as_date(over["ds"][0]) if over.height else None
    unplaceable = _first_unplaceable(dated)
    # The blocks a new site must hold are whole, whenever the demand needs them.
    peak = max(float(need["mw_whole"].max() or 0.0) - ceilings, 0.0)  # type: ignore[arg-type]
    if crossing is None and unplaceable is None:
        return row | {
            "ceilings_mw": ceilings,
            "status": "green",
            "note": _holds(region, ceilings, need, declared, row),
        }
    past = max(peak, unplaceable[2] if unplaceable else 0.0)
    row |= {"ceilings_mw": ceilings, "mw_past_ceilings": past}
    by_placement = unplaceable is not None and (crossing is None or unplaceable[0] < crossing)
    exhaustion = unplaceable[0] if by_placement else crossing  # type: ignore[index]
    assert exhaustion is not None
    at = need.filter(pl.col("ds") == exhaustion)["mw_needed"][0]
    in_service = float(need["mw_in_service"][0])
    monthly = daily_end is not None and exhaustion > daily_end
    # The blocks in service already draw more than the ceilings on the as-of day: the plan's
    # own MW, on a day no forecast row covers. It read "run out ... on <the as-of day> at q90
    # (the day the demand's MW at q90 plus headroom pass their sum)".
    already = not by_placement and exhaustion == as_of and in_service > ceilings + TOL
    row |= {
        "exhaustion_date": exhaustion,
        "exhaustion_monthly": monthly,
        "exhaustion_set_by": (
            "placement"
            if by_placement
            else "in_service"
            if already
            else "orders"
            if requirements is None
            else "demand"
        ),
        "mw_needed_at_exhaustion": float(at),
    }
    if already:
        head = (
            f"{region}'s sites are already past their ceilings on the as-of day ({as_of}): the "
            f"blocks in service there draw {megawatts(in_service)} against "
            f"{megawatts(ceilings)} of ceilings in all, the plan's own MW, not a {quantile} "
            f"forecast; {megawatts(past)} needed past them at the most, to {end}"
        )
    else:
        set_by = _set_by(
            unplaceable[1] if by_placement and unplaceable else None,
            crossing=crossing,
            daily_end=daily_end,
            quantile=quantile,
            whole=requirements is None,
        )
        head = (
            f"{region}'s sites run out of room under their ceilings ({megawatts(ceilings)} in "
            f"all) {_when(exhaustion, monthly=monthly)} at {quantile} ({set_by})"
            + f"; {megawatts(past)} needed past them at the most, to {end}"
        )
    if declared is None:
        return row | {
            "note": f"{head}; a new site's build time is not declared, so no start date is "
            f"given: add a [[new_site]] for {region} (build_months, cost_per_mw_usd) to date it"
        }
    return row | _dated(row, declared, head=head, exhaustion=exhaustion, buffer_weeks=buffer_weeks)


def _set_by(
    unplaceable: str | None,
    *,
    crossing: date | None,
    daily_end: date | None,
    quantile: str,
    whole: bool,
) -> str:
    """What set the day a region's ceilings run out, in its note: a block no one site takes
    (``unplaceable``, the clause naming it), the orders whole from their need day (``whole``:
    read without the requirement), or the demand's MW at ``quantile`` passing their sum."""
    if unplaceable is not None:
        return (
            f"set by where the blocks go: {unplaceable}, though the demand's MW pass the "
            "ceilings' sum "
            + (
                "not within the horizon"
                if crossing is None
                else _when(crossing, monthly=daily_end is not None and crossing > daily_end)
            )
        )
    if whole:
        return "the day the plan's orders, each whole from its need day, pass their sum"
    return f"the day the demand's MW at {quantile} plus headroom pass their sum"


def _dated(
    row: dict[str, object], declared: NewSite, *, head: str, exhaustion: date, buffer_weeks: int
) -> dict[str, object]:
    """The start date, status, cost and note of a row whose ceilings run out, by its region's
    declared new site."""
    as_of, past = as_date(row["as_of"]), float(row["mw_past_ceilings"])  # type: ignore[arg-type]
    lead = exhaustion - months_before(exhaustion, declared.build_months)
    start_by = exhaustion - lead - weeks_delta(buffer_weeks)
    status = trigger_status(as_of=as_of, exhaustion=exhaustion, order_by=start_by, lead_time=lead)
    cost = past * declared.cost_per_mw_usd
    said = [
        head,
        f"a new site takes {declared.build_months} months to build: start it by {start_by} "
        f"({buffer_weeks} weeks buffer)",
        f"{usd(cost)} for {megawatts(past)} at the declared "
        f"${declared.cost_per_mw_usd / 1e6:,.2f}M per MW",
    ]
    ready = as_date(row["ready_if_started_today"])
    if status.value == "red":
        said.append(
            f"started today, its first MW come {ready} at the earliest, "
            f"{days_count((ready - exhaustion).days)} after the ceilings run out"
        )
    elif status.value == "amber":
        said.append(
            f"started today, its first MW come {ready}, "
            f"{days_count((exhaustion - ready).days)} before the ceilings run out: inside the "
            "buffer"
        )
    if declared.ceiling_mw is not None and past > declared.ceiling_mw + TOL:
        sites = -(-past // declared.ceiling_mw)
        said.append(
            f"one new site holds {megawatts(declared.ceiling_mw)}: {sites:.0f} are needed for it"
        )
    return {
        "start_by": start_by,
        "status": status.value,
        "cost_usd": cost,
        "note": "; ".join(said),
    }


def _holds(
    region: str,
    ceilings: float,
    need: pl.DataFrame,
    declared: NewSite | None,
    row: dict[str, object],
) -> str:
    """The note of a region whose ceilings hold through the horizon: not within it, and where
    a new site started today would land past the horizon's end, that the green is not
    verified that far."""
    end, as_of = as_date(row["horizon_end"]), as_date(row["as_of"])
    most = float(need["mw_needed"].max() or 0.0)  # type: ignore[arg-type]
    said = (
        f"ceilings run out: not within the horizon ({region}'s sites stay under their "
        f"ceilings, {megawatts(ceilings)} in all, at most {megawatts(most)} needed, through {end}, "
        "where it ends)"
    )
    if declared is None:
        return said
    needed_by = months_before(end + timedelta(days=1), declared.build_months)
    if as_of > needed_by:
        said += (
            f"; not verified past {end}: ceilings running out the day after would have needed a "
            f"new site started by {needed_by} ({declared.build_months} months to build), "
            "already past"
        )
    return said


_HELD_UNVERIFIED = "; not verified past "


def held_unverified(row: Mapping[str, Any]) -> str:
    """The clause 'not verified past DAY: ...' of one region whose ceilings hold to the
    horizon's end but could not start a new site in time for the day after (its note's,
    :func:`_holds`), else "": the facilities page's status cell read a plain "green" beside
    it."""
    note = row.get("note") or ""
    if row.get("exhaustion_date") is not None or _HELD_UNVERIFIED not in note:
        return ""
    return _HELD_UNVERIFIED.removeprefix("; ") + note.partition(_HELD_UNVERIFIED)[2]


def held_not_verified(rows: pl.DataFrame) -> str:
    """'; not verified past DAY: ...' where a region whose ceilings hold to the horizon's end
    could not start a new site in time for the day after (its note says so, :func:`_holds`),
    else "". A 45-day fleet forecast 2 weeks ahead printed "no new site is needed within the
    horizon" for sites that take 30 months to build, its notes alone saying it was not
    verified. One clause where the regions share it, else the first with "(and others)"."""
    held = rows.filter(pl.col("exhaustion_date").is_null() & pl.col("ceilings_mw").is_not_null())
    clauses = sorted(
        {
            note.partition(_HELD_UNVERIFIED)[2]
            for note in held["note"].drop_nulls().to_list()
            if _HELD_UNVERIFIED in note
        }
    )
    if not clauses:
        return ""
    more = "" if len(clauses) == 1 else " (and alike for the other regions: see their notes)"
    return f"{_HELD_UNVERIFIED}{clauses[0]}{more}"


def _when(day: date, *, monthly: bool) -> str:
    """``on 2027-04-07``, or ``in Nov 2028 (monthly grain)`` past the daily rows, where the
    first of the month stands for the month."""
    return f"in {day:%b %Y} (monthly grain)" if monthly else f"on {day}"


def construction_triggers(
    plan: CapacityPlan,
    placements: pl.DataFrame,
    *,
    as_of: date,
    end: date,
    buffer_weeks: int,
    quantile: str,
    daily_end: date | None = None,
    requirements: pl.DataFrame | None = None,
    unmeasured: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """CONSTRUCTION rows per region with [[site]]: when demand at ``quantile`` plus headroom
    (the orders of ``placements``, PLACEMENTS_SCHEMA) passes its sites' ceilings before
    ``end`` (the horizon's last day), and by when a new site must be started. Past
    ``daily_end`` (the forecast's last daily row, where monthly rows follow) a day stands for
    its month and is said so. ``requirements`` (:func:`~forecasting.triggers.pool_requirements`
    at ``quantile``) reads the orders' MW as the demand needs them; without it they count
    whole from their need day. A region of ``unmeasured`` (region to why no demand was
    measured there: :func:`forecasting.triggers.unmeasured_sites_regions`) whose ceilings hold
    is stored "not judged", its note saying why: they hold on the plan's own blocks alone, and
    its stored green read "none -> green" in `fleetcast status` beside the pages' "not judged".
    One whose ceilings run out keeps its colour: the plan's own blocks pass them whatever the
    demand (as its power rows)."""
    regions = sorted({s.region for s in plan.site})
    rows = [
        _row(
            plan,
            region,
            placements.filter(pl.col("region") == region),
            as_of=as_of,
            end=max(end, as_of),
            buffer_weeks=buffer_weeks,
            quantile=quantile,
            daily_end=daily_end,
            requirements=(
                None if requirements is None else requirements.filter(pl.col("region") == region)
            ),
        )
        for region in regions
    ]
    frame = pl.DataFrame(rows, schema=CONSTRUCTION_SCHEMA, orient="row")
    if not unmeasured:
        return frame
    held = (
        pl.col("region").is_in(list(unmeasured))
        & pl.col("exhaustion_date").is_null()
        & pl.col("ceilings_mw").is_not_null()
    )
    why = pl.col("region").replace_strict(dict(unmeasured), default="", return_dtype=pl.String)
    return frame.with_columns(
        status=pl.when(held).then(pl.lit(NOT_JUDGED)).otherwise("status"),
        note=pl.when(held)
        .then(
            pl.format(
                "{}: no demand measured in {} ({}): {}", pl.lit(NOT_JUDGED), "region", why, "note"
            )
        )
        .otherwise("note"),
    )


@dataclass(frozen=True, slots=True)
class _NewSiteDates:
    """An order's blocks past every ceiling as its region's new site dates them."""

    order_by: date
    arrives: date
    start_by: date
    # The day the new site is ready: started by its start-by, or today where that has passed.
    ready: date
    # The day they are needed, where a site started today comes after it (the need until the
    # site is ready is unmet); None where the new site is ready in time.
    unmet_from: date | None
    started_today: bool


def _new_site_dates(
    construction: pl.DataFrame, plan: CapacityPlan, order: Mapping[str, Any], *, as_of: date
) -> _NewSiteDates | None:
    """The dates :func:`new_site_order_by` and :func:`new_site_arrival` say; None where no
    [[new_site]] dates them (or the row lacks its dates)."""
    site = construction.filter(
        (pl.col("region") == order.get("region")) & pl.col("start_by").is_not_null()
    )
    lead = next(
        (c.lead_time_weeks for c in plan.candidate if c.name == order.get("candidate")), None
    )
    need, arrives = order.get("exhaustion_date"), order.get("arrives")
    if site.is_empty() or lead is None or not isinstance(arrives, date):
        return None
    r = site.row(0, named=True)
    start_by, ready, buffer = (
        r["start_by"],
        r["ready_if_started_today"],
        weeks_delta(r["buffer_weeks"]),
    )
    if start_by >= as_of:
        built = months_before(start_by, -int(r["build_months"]))
        # Not before the site that holds them is ready: an order's arrival is its blocks'
        # under the ceiling too (the one past it landed seven months before its site), and the
        # buffer is already in the start-by, so the site is ready the buffer before the need.
        lands = max(arrives, built)
        return _NewSiteDates(
            lands - weeks_delta(lead), lands, start_by, built, None, started_today=False
        )
    needed = max(need if isinstance(need, date) else as_of, r["exhaustion_date"])
    if ready <= needed - buffer:
        lands = max(arrives, ready)
        return _NewSiteDates(
            lands - weeks_delta(lead), lands, start_by, ready, None, started_today=True
        )
    landing = max(arrives - weeks_delta(lead), ready - weeks_delta(lead))
    return _NewSiteDates(
        landing, landing + weeks_delta(lead), start_by, ready, needed, started_today=True
    )


def new_site_dates(
    construction: pl.DataFrame, plan: CapacityPlan, order: Mapping[str, Any], *, as_of: date
) -> tuple[date, date] | None:
    """The order-by and arrival :func:`new_site_order_by` and :func:`new_site_arrival` say
    of ``order``'s blocks past every ceiling, as dates (the downloads); None where no
    [[new_site]] dates them."""
    d = _new_site_dates(construction, plan, order, as_of=as_of)
    return None if d is None else (d.order_by, d.arrives)


def new_site_order_by(
    construction: pl.DataFrame,
    plan: CapacityPlan,
    order: Mapping[str, Any],
    *,
    as_of: date,
    next_report: date | None = None,
) -> str | None:
    """What stands for the order-by date of ``order``'s blocks past every site ceiling (a
    trigger or PLACEMENTS row: region, candidate, exhaustion_date, arrives), where its region
    declares a [[new_site]]: their ordinary order-by (arrival less lead time: the shortfall's
    day less lead time and buffer), landing no earlier than the day that site is ready (its
    start-by holds the buffer already), in a new site that must be started by its start-by date;
    where that has passed and a new site started today could not hold them by their need
    (the later of their shortfall's first day and the day the ceilings run out, less the
    buffer), dated to land when it could, and the need until then said unmet. None where no
    [[new_site]] dates it (or the row lacks its dates): no date is made up, NO_ORDER_BY stands.

    Blocks past every ceiling read "no order-by until one is planned" beside the New sites
    table that plans that site, its start-by date and build time."""
    d = _new_site_dates(construction, plan, order, as_of=as_of)
    if d is None:
        return None
    started = f"in a new site that must be started by {d.start_by}"
    # Due before the next scheduled report (``next_report``), as every order-by says it.
    soon = before_next_report(d.order_by, as_of=as_of, next_report=next_report)
    soon = f" ({soon})" if soon else ""
    if d.unmet_from is None:
        late = " (late)" if d.order_by < as_of else ""
        passed = f" (passed: started today it is ready {d.ready})" if d.started_today else ""
        return f"order by {d.order_by}{late}{soon}, {started}{passed}"
    return (
        f"order by {d.order_by}{soon}, to land with a new site started today ({d.ready} at the "
        f"earliest; its start-by date, {d.start_by}, has passed): the need from {d.unmet_from} "
        "until then is unmet"
    )


def new_site_arrival(
    construction: pl.DataFrame, plan: CapacityPlan, order: Mapping[str, Any], *, as_of: date
) -> str | None:
    """When ``order``'s blocks past every site ceiling arrive, ordered by the date
    :func:`new_site_order_by` gives, and when the new site that holds them is ready; None
    where no [[new_site]] dates them (no arrival is made up).

    Their "arrives" read "no arrival until one is planned" beside an order-by dated by the
    region's declared new site."""
    d = _new_site_dates(construction, plan, order, as_of=as_of)
    if d is None:
        return None
    if d.unmet_from is None:
        site = "a new site started today" if d.started_today else "the new site"
        return f"{d.arrives} (with {site} ready on {d.ready})"
    return (
        f"{d.arrives} (with a new site started today ready on {d.ready}; the need from "
        f"{d.unmet_from} until then is unmet)"
    )


def with_new_site_notes(
    triggers: pl.DataFrame,
    construction: pl.DataFrame,
    plan: CapacityPlan,
    *,
    as_of: date,
    placements: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``triggers`` (TRIGGERS rows) whose order lies wholly past every site ceiling, their note
    saying :data:`NO_ORDER_BY`, dated by their region's [[new_site]] where one is declared
    (:func:`new_site_order_by`); the others as they are. The later orders a note lists past
    every ceiling are dated from ``placements`` (their PLACEMENTS rows, tranche 2 on) as the
    finance page's later orders are (:func:`_later_dated`)."""
    if triggers.is_empty() or construction.is_empty():
        return triggers
    notes = []
    for r in triggers.iter_rows(named=True):
        note, dated = r["note"], None
        if note and NO_ORDER_BY in note and r["order_by"] is None:
            dated = new_site_order_by(construction, plan, r, as_of=as_of)
        # The order's own head only ("order N x cand: ..."): the later orders its note lists
        # have dates of their own, not this one's.
        head = f"x {r['candidate']}: {NO_ORDER_BY}"
        if dated is not None:
            note = note.replace(head, f"x {r['candidate']}: past the site ceilings, {dated}", 1)
        if note and f"({NO_ORDER_BY})" in note:
            note = _later_dated(note, r, construction, plan, placements, as_of=as_of)
        notes.append(note)
    return triggers.with_columns(note=pl.Series(notes, dtype=pl.String))


def _later_dated(
    note: str,
    trigger: Mapping[str, Any],
    construction: pl.DataFrame,
    plan: CapacityPlan,
    placements: pl.DataFrame | None,
    *,
    as_of: date,
) -> str:
    """``note`` with each of its later orders past every ceiling ("9 x cell (NO_ORDER_BY)",
    written when the triggers ran, before any construction row) dated by the region's
    [[new_site]]: one clause per later order, as the finance page dates its rows, where the
    stored placements hold the blocks the clause sums; else the start-by date alone (the
    orders' own dates are not known here, none is made up). Unchanged without a declared
    new site."""
    region = trigger.get("region")
    site = construction.filter((pl.col("region") == region) & pl.col("start_by").is_not_null())
    if site.is_empty():
        return note
    later = (
        pl.DataFrame()
        if placements is None or "tranche" not in placements.columns
        else placements.filter(
            (pl.col("region") == region)
            & (pl.col("pool") == trigger.get("pool"))
            & (pl.col("tranche") > 1)
            & (pl.col("blocks_beyond_ceiling").fill_null(0) > 0)
        )
    )

    def clause(match: re.Match[str]) -> str:
        blocks, name = int(match[1].replace(",", "")), match[2]
        tranches = (
            later.filter(pl.col("candidate") == name)
            .group_by("tranche")
            .agg(
                pl.col("region", "candidate").first(),
                pl.min_horizontal("blocks_beyond_ceiling", "blocks").sum().alias("beyond"),
                pl.col("exhaustion_date", "arrives").min(),
            )
            .sort("tranche")
            if not later.is_empty()
            else pl.DataFrame()
        )
        if not tranches.is_empty() and int(tranches["beyond"].sum()) == blocks:
            dated = [
                (t["beyond"], new_site_order_by(construction, plan, t, as_of=as_of))
                for t in tranches.iter_rows(named=True)
            ]
            if all(d is not None for _, d in dated):
                return ", ".join(f"{n:,} x {name} (past the site ceilings, {d})" for n, d in dated)
        return (
            f"{match[1]} x {name} (past the site ceilings: {NEW_SITE}, in a new site that must "
            f"be started by {site['start_by'][0]})"
        )

    pattern = rf"(\d[\d,]*) x (\S+) \({re.escape(NO_ORDER_BY)}\)"
    return re.sub(pattern, clause, note)


# What set the day the ceilings run out (``exhaustion_set_by``), in the facilities card's
# words: a day set by a block no one site takes read like the demand's MW passing the sum.
_SET_BY = {
    "demand": "when demand passes their sum",
    "placement": "when demand first needs a block no one site's ceiling takes",
    "orders": "when its orders, whole, pass their sum",
}


def not_judged_why(not_verified: str | None) -> str | None:
    """Why a construction row is not judged, from its ``not_verified`` text (the report's
    ``construction_only``: "(not judged: no telemetry in eu-west)"), else None."""
    opening = f"({NOT_JUDGED}: "
    if not not_verified or not not_verified.startswith(opening):
        return None
    return not_verified[len(opening) : -1]


def unsited_orders(construction: pl.DataFrame, placements: pl.DataFrame | None) -> dict[str, float]:
    """Per region with orders and no construction row (no [[site]] there: no ceiling holds
    them), the MW of those orders (``placements``: PLACEMENTS rows, every tranche), largest
    first; {} for a plan without sites (``construction`` empty: power is not checked at all).

    Counted nowhere, a region's 31.49 MW order "to be sited" stood beside a construction line
    saying the other regions' sites hold at most 76.1 MW and no new site is needed."""
    if construction.is_empty() or placements is None or placements.is_empty():
        return {}
    apart = (
        placements.filter(
            pl.col("site").is_null()
            & ~pl.col("region").is_in(construction["region"].implode())
            & (pl.col("mw").fill_null(0.0) > 0)
        )
        .group_by("region")
        .agg(pl.col("mw").sum())
        .sort(["mw", "region"], descending=[True, False])
    )
    return dict(apart.select("region", "mw").iter_rows())


def unsited_words(unsited: Mapping[str, float]) -> str:
    """'no site: ap-south needs 31.5 MW for its orders, ...' of :func:`unsited_orders`, or ''."""
    if not unsited:
        return ""
    needs = ", ".join(f"{region} needs {megawatts(mw)}" for region, mw in unsited.items())
    one = len(unsited) == 1
    return (
        f"no site: {needs} for {'its' if one else 'their'} orders "
        f"({'its region declares' if one else 'their regions declare'} no [[site]], so no "
        "ceiling holds them and no new site is dated: declare the sites to check them)"
    )


def construction_lines(
    construction: pl.DataFrame,
    *,
    next_report: date | None = None,
    unsited: Mapping[str, float] | None = None,
) -> list[str]:
    """One ``construction:`` line per region whose sites' ceilings run out within the horizon,
    first start date first (those without one last); one line for the regions whose ceilings
    hold, and one for those with no ceiling declared. The note says the rest (the pages).
    An optional ``not_verified`` column (the report's ``construction_only``) is said after the
    run-out day, or after the plan's end of the regions whose ceilings hold. A start date
    that falls before the next scheduled report (``next_report``: :func:`before_next_report`,
    the rule every order-by reads) says so after its colour: "start a new site by" the as-of
    day read plain, a week before the next weekly report. The MW of orders in regions with no
    site (``unsited``: :func:`unsited_orders`) end the regions' line whose ceilings hold, or a
    line of their own, "no site: R needs N MW": every order's MW is on a line."""
    out = construction.filter(pl.col("exhaustion_date").is_not_null()).sort(
        "start_by", "exhaustion_date", nulls_last=True
    )
    lines = []
    for r in out.iter_rows(named=True):
        head = (
            (
                f"construction: {r['region']}'s sites are already past their ceilings "
                f"({megawatts(r['ceilings_mw'])}) on the as-of day {r['exhaustion_date']}: "
                f"the blocks in service alone draw more ({megawatts(r['mw_needed_at_exhaustion'])}"
                f" needed then), the plan's own MW, not a {r['quantile']} forecast"
            )
            if r.get("exhaustion_set_by") == "in_service"
            else (
                f"construction: {r['region']}'s sites run out of room under their ceilings "
                f"({megawatts(r['ceilings_mw'])}) "
                f"{_when(r['exhaustion_date'], monthly=bool(r['exhaustion_monthly']))} at "
                f"{r['quantile']}"
                + (f", {_SET_BY[r['exhaustion_set_by']]}" if r.get("exhaustion_set_by") else "")
            )
        ) + (f" {r['not_verified']}" if r.get("not_verified") else "")
        if r["start_by"] is None:
            lines.append(
                f"{head}; no start date: a new site's build time is not declared (add a "
                f"[[new_site]] for {r['region']})"
            )
            continue
        late = (r["as_of"] - r["start_by"]).days
        soon = before_next_report(r["start_by"], as_of=r["as_of"], next_report=next_report)
        lines.append(
            f"{head}; start a new site by {r['start_by']} ({r['status']}"
            + (f", {days_count(late)} ago: late" if late > 0 else "")
            + (f"; {soon}" if soon else "")
            + f"; {r['build_months']} months to build): {megawatts(r['mw_past_ceilings'])} past "
            f"them, {usd(r['cost_usd'])} at the declared cost per MW"
        )
    held = construction.filter(
        pl.col("exhaustion_date").is_null() & pl.col("ceilings_mw").is_not_null()
    )
    if "not_verified" in held.columns:
        # No demand measured there: its ceilings hold on the plan's own blocks alone, which
        # read "eu-west, us-west stay within their sites' ceilings" beside "not judged".
        why = [not_judged_why(v) for v in held["not_verified"].to_list()]
        unjudged = [(r, w) for r, w in zip(held["region"].to_list(), why, strict=True) if w]
        if unjudged:
            lines.append(
                f"construction: {', '.join(r for r, _ in unjudged)} {NOT_JUDGED} "
                f"({'; '.join(w for _, w in unjudged)}): no demand measured, so nothing is "
                "ordered there and only the plan's own blocks are held against their sites' "
                "ceilings"
            )
            held = held.filter(~pl.col("region").is_in([r for r, _ in unjudged]))
    if held.height:
        regions = held["region"].to_list()
        stay = "stays within its" if len(regions) == 1 else "stay within their"
        said: list[str] = (
            held["not_verified"].drop_nulls().to_list() if "not_verified" in held.columns else []
        )
        lines.append(
            f"construction: {', '.join(regions)} {stay} sites' ceilings through "
            f"{held['horizon_end'][0]}, the plan's end"
            + (f" {said[0]}" if said else "")
            + ": no new site is needed within the horizon"
            + held_not_verified(held)
        )
    open_ended = construction.filter(pl.col("ceilings_mw").is_null())["region"].to_list()
    if open_ended:
        lines.append(
            f"construction: {', '.join(open_ended)} not dated: a site there declares no "
            "ceiling_mw, so none runs out"
        )
    if unsaid := unsited_words(unsited or {}):
        # Beside "no new site is needed", where that line is: it spoke for the sited regions
        # only while an order elsewhere had no site at all.
        held_line = next(
            (
                i
                for i, line in enumerate(lines)
                if "no new site is needed within the horizon" in line
            ),
            None,
        )
        if held_line is None:
            lines.append(f"construction: {unsaid}")
        else:
            lines[held_line] += f"; {unsaid}"
    return lines
