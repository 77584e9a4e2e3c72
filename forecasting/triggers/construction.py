"""The construction trigger: when a region's demand passes the ceilings of its sites, and by
when a new site must be started (the fourth clock of DOMAIN.md "Four timelines").

Per region with ``[[site]]``, the MW needed each day is the MW of the plan's blocks at its
sites plus every order of the plan placed in the region (PLACEMENTS rows, their blocks past a
ceiling included: those are what a new site must hold), each from the day its pool's demand
first needs it (its ``exhaustion_date``, at the triggers' quantile plus headroom; its arrival
where none is stored). "Ceilings exhausted" is the first day that need passes the sum of the
region's site ceilings, or, if earlier, the first day an order holds blocks no one site's
ceiling can take whole (``blocks_beyond_ceiling``: the ceilings hold their MW in sum, not in
one hall). With the region's ``[[new_site]]``: ``start_by`` = that day less ``build_months``
calendar months less the buffer, with the status rule of block triggers
(:func:`~forecasting.triggers.common.trigger_status`). Without it the day is still given and
no start date is made up: the note says the build time is not declared. A region whose sites
declare no ceiling has none to run out of; where the ceilings hold to the horizon's end, the
row is green, "not within the horizon".

Computed from the plan and the stored placements (as the facilities page's supply is), so a
report shows it for any trigger run; not stored.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from forecasting.capacity import CapacityPlan, NewSite, Site, block_timeline
from forecasting.text import days_count, usd
from forecasting.triggers.common import _TOL, _day, _weeks, months_before, trigger_status

__all__ = ["CONSTRUCTION_SCHEMA", "construction_lines", "construction_triggers"]

CONSTRUCTION_SCHEMA = pl.Schema(
    {
        "region": pl.String(),
        "as_of": pl.Date(),
        "quantile": pl.String(),
        # The sum of the region's site ceilings; null where a site declares none.
        "ceilings_mw": pl.Float64(),
        # The first day the region's need passes them (null: not within the horizon).
        "exhaustion_date": pl.Date(),
        # Whether that day is past the forecast's daily rows: it stands for its month.
        "exhaustion_monthly": pl.Boolean(),
        "mw_needed_at_exhaustion": pl.Float64(),
        # The most a new site must hold by the horizon's end: the need past the ceilings at
        # its peak, or the MW of orders no site's ceiling holds, whichever is more.
        "mw_past_ceilings": pl.Float64(),
        "horizon_end": pl.Date(),
        # From the region's [[new_site]]; null where none is declared.
        "build_months": pl.Int64(),
        "start_by": pl.Date(),
        "ready_if_started_today": pl.Date(),
        # green | amber | red; null where no start date can be given (build time not
        # declared, or no ceiling to run out of).
        "status": pl.String(),
        "cost_usd": pl.Float64(),
        "note": pl.String(),
    }
)


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


def _daily_need(
    plan: CapacityPlan, orders: pl.DataFrame, sites: list[Site], *, as_of: date, end: date
) -> pl.DataFrame:
    """(ds, mw_needed) from ``as_of`` to ``end``: the region's blocks at ``sites`` in service
    and its ``orders`` from their need day, whole."""
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
    return (
        days.join(drawn, on="ds", how="left")
        .join(added, on="ds", how="left")
        .with_columns(pl.col("mw_in_service", "mw_ordered").fill_null(0.0))
        .sort("ds")
        .select("ds", mw_needed=pl.col("mw_in_service") + pl.col("mw_ordered").cum_sum())
    )


def _first_unplaceable(orders: pl.DataFrame, *, as_of: date) -> tuple[date, str, float] | None:
    """The first day an order holds blocks no one site's ceiling takes whole, the clause
    naming it, and the MW of every such block; None where there are none."""
    past = (
        orders.filter(pl.col("blocks_beyond_ceiling").fill_null(0) > 0)
        .with_columns(need=_need_day(as_of))
        .drop_nulls("need")
    )
    if past.is_empty():
        return None
    n = pl.min_horizontal("blocks_beyond_ceiling", "blocks")
    past = past.with_columns(n=n, mw_past=pl.col("mw") * n / pl.col("blocks")).sort(
        "need", "pool", "tranche", nulls_last=True
    )
    first = past.row(0, named=True)
    said = (
        f"{first['n']} x {first['candidate']} of {first['region']}/{first['pool']}, needed from "
        f"{first['need']}, fit under no one site's ceiling"
    )
    return _day(first["need"]), said, float(past["mw_past"].sum())


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
) -> dict[str, object]:
    """One CONSTRUCTION row for ``region`` (one with [[site]])."""
    sites = sorted((s for s in plan.site if s.region == region), key=lambda s: s.id)
    declared = plan.new_sites.get(region)
    row: dict[str, object] = {
        "region": region,
        "as_of": as_of,
        "quantile": quantile,
        "horizon_end": end,
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
    need = _daily_need(plan, orders, sites, as_of=as_of, end=end)
    over = need.filter(pl.col("mw_needed") > ceilings + _TOL)
    unplaceable = _first_unplaceable(orders, as_of=as_of)
    peak = max(float(need["mw_needed"].max() or 0.0) - ceilings, 0.0)  # type: ignore[arg-type]
    past = max(peak, unplaceable[2] if unplaceable else 0.0)
    row |= {"ceilings_mw": ceilings, "mw_past_ceilings": past}
    days = [(_day(over["ds"][0]), "")] if over.height else []
    if unplaceable is not None:
        days.append((unplaceable[0], unplaceable[1]))
    if not days:
        return row | {"status": "green", "note": _holds(region, ceilings, need, declared, row)}
    exhaustion, why = min(days, key=lambda d: d[0])
    at = need.filter(pl.col("ds") == exhaustion)["mw_needed"][0]
    monthly = daily_end is not None and exhaustion > daily_end
    row |= {
        "exhaustion_date": exhaustion,
        "exhaustion_monthly": monthly,
        "mw_needed_at_exhaustion": float(at),
    }
    head = (
        f"{region}'s sites run out of room under their ceilings ({ceilings:,.1f} MW in all) "
        f"{_when(exhaustion, monthly=monthly)} at {quantile}"
        + (f" ({why}, though the ceilings hold the MW in sum)" if why else "")
        + f"; {past:,.1f} MW needed past them at the most, to {end}"
    )
    if declared is None:
        return row | {
            "note": f"{head}; a new site's build time is not declared, so no start date is "
            f"given: add a [[new_site]] for {region} (build_months, cost_per_mw_usd) to date it"
        }
    return row | _dated(row, declared, head=head, exhaustion=exhaustion, buffer_weeks=buffer_weeks)


def _dated(
    row: dict[str, object], declared: NewSite, *, head: str, exhaustion: date, buffer_weeks: int
) -> dict[str, object]:
    """The start date, status, cost and note of a row whose ceilings run out, by its region's
    declared new site."""
    as_of, past = _day(row["as_of"]), float(row["mw_past_ceilings"])  # type: ignore[arg-type]
    lead = exhaustion - months_before(exhaustion, declared.build_months)
    start_by = exhaustion - lead - _weeks(buffer_weeks)
    status = trigger_status(as_of=as_of, exhaustion=exhaustion, order_by=start_by, lead_time=lead)
    cost = past * declared.cost_per_mw_usd
    said = [
        head,
        f"a new site takes {declared.build_months} months to build: start it by {start_by} "
        f"({buffer_weeks} weeks buffer)",
        f"{usd(cost)} for {past:,.1f} MW at the declared "
        f"${declared.cost_per_mw_usd / 1e6:,.2f}M per MW",
    ]
    ready = _day(row["ready_if_started_today"])
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
    if declared.ceiling_mw is not None and past > declared.ceiling_mw + _TOL:
        sites = -(-past // declared.ceiling_mw)
        said.append(
            f"one new site holds {declared.ceiling_mw:,.1f} MW: {sites:.0f} are needed for it"
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
    end, as_of = _day(row["horizon_end"]), _day(row["as_of"])
    most = float(need["mw_needed"].max() or 0.0)  # type: ignore[arg-type]
    said = (
        f"ceilings run out: not within the horizon ({region}'s sites stay under their "
        f"ceilings, {ceilings:,.1f} MW in all, at most {most:,.1f} MW needed, through {end}, "
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
) -> pl.DataFrame:
    """CONSTRUCTION rows per region with [[site]]: when demand at ``quantile`` plus headroom
    (the orders of ``placements``, PLACEMENTS_SCHEMA) passes its sites' ceilings before
    ``end`` (the horizon's last day), and by when a new site must be started. Past
    ``daily_end`` (the forecast's last daily row, where monthly rows follow) a day stands for
    its month and is said so."""
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
        )
        for region in regions
    ]
    return pl.DataFrame(rows, schema=CONSTRUCTION_SCHEMA, orient="row")


def construction_lines(construction: pl.DataFrame) -> list[str]:
    """One ``construction:`` line per region whose sites' ceilings run out within the horizon,
    first start date first (those without one last); one line for the regions whose ceilings
    hold, and one for those with no ceiling declared. The note says the rest (the pages)."""
    out = construction.filter(pl.col("exhaustion_date").is_not_null()).sort(
        "start_by", "exhaustion_date", nulls_last=True
    )
    lines = []
    for r in out.iter_rows(named=True):
        head = (
            f"construction: {r['region']}'s sites run out of room under their ceilings "
            f"({r['ceilings_mw']:,.1f} MW) "
            f"{_when(r['exhaustion_date'], monthly=bool(r['exhaustion_monthly']))} at "
            f"{r['quantile']}"
        )
        if r["start_by"] is None:
            lines.append(
                f"{head}; no start date: a new site's build time is not declared (add a "
                f"[[new_site]] for {r['region']})"
            )
            continue
        late = (r["as_of"] - r["start_by"]).days
        lines.append(
            f"{head}; start a new site by {r['start_by']} ({r['status']}"
            + (f", {days_count(late)} ago: late" if late > 0 else "")
            + f"; {r['build_months']} months to build): {r['mw_past_ceilings']:,.1f} MW past "
            f"them, {usd(r['cost_usd'])} at the declared cost per MW"
        )
    held = construction.filter(
        pl.col("exhaustion_date").is_null() & pl.col("ceilings_mw").is_not_null()
    )
    if held.height:
        regions = held["region"].to_list()
        stay = "stays within its" if len(regions) == 1 else "stay within their"
        lines.append(
            f"construction: {', '.join(regions)} {stay} sites' ceilings through "
            f"{held['horizon_end'][0]}, the plan's end: no new site is needed within the horizon"
        )
    open_ended = construction.filter(pl.col("ceilings_mw").is_null())["region"].to_list()
    if open_ended:
        lines.append(
            f"construction: {', '.join(open_ended)} not dated: a site there declares no "
            "ceiling_mw, so none runs out"
        )
    return lines
