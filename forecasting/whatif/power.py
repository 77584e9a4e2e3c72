"""When the orders' power runs them: power contracted today, the plan's power, and the deal's waits
for it."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from forecasting.capacity import CapacityPlan, site_power_timeline
from forecasting.contracts import Contract

# The triggers' MW tolerance: one rule for when an order's site powers it (it was 0.05 MW
# here, and a 0.004 MW deficit read powered).
from forecasting.triggers.common import TOL, months_before
from forecasting.whatif.orders import deal_pools
from forecasting.whatif.serving import day_or_month

_MW_TOL = 1e-3  # MW: a kilowatt past a ceiling is rounding, not a site short


def contracted_today(as_of: date, *, lead_months: int, buffer_weeks: int) -> date:
    """The first day power contracted today is energized: ``as_of`` plus the site's power lead
    time and the buffer the power triggers keep (``contract_by`` = need − lead − buffer), to
    the day. It read the 1st of the month of ``as_of`` + lead, without the buffer: up to a
    month and four weeks earlier than power can come, with revenue counted from it."""
    return months_before(as_of + timedelta(weeks=buffer_weeks), -lead_months)


def _planned_power_from(
    order: dict[str, object], placements: pl.DataFrame, timeline: pl.DataFrame
) -> date | None:
    """The first day from ``order``'s arrival from which its site's planned power (energized
    steps and the contract from its energization day) carries the blocks in service, the
    orders placed there that arrive by ``order`` and ``order`` itself on every day to the
    plan's end; None when it never does. Orders arriving later wait for theirs after it.

    The deal read "power contracted today (24 months' lead time)" where the site's own plan
    energized the MW 40 days after the blocks landed."""
    site, arrives = order["site"], order["arrives"]
    days = timeline.filter(pl.col("site") == site)
    if days.is_empty() or not isinstance(arrives, date):
        return None
    ahead = (
        placements.filter((pl.col("site") == site) & (pl.col("arrives") <= arrives))
        .group_by("arrives")
        .agg(pl.col("mw").sum())
        .sort("arrives")
        .select("arrives", ordered=pl.col("mw").cum_sum())
    )
    days = days.sort("ds").join_asof(ahead, left_on="ds", right_on="arrives")
    ordered = days["ordered"].fill_null(0.0)
    spare = (days["energized_mw"] - days["mw_in_service"] - ordered).to_numpy()
    # Spare MW from each day to the end: the order is powered from the first day on or after
    # its arrival whence it never goes negative.
    holds = np.minimum.accumulate(spare[::-1])[::-1] >= -TOL
    ds = days["ds"].to_list()
    return next((d for d, ok in zip(ds, holds, strict=True) if ok and d >= arrives), None)


def usable_orders(
    placements: pl.DataFrame,
    plan: CapacityPlan,
    *,
    region: str,
    timeline: pl.DataFrame,
    as_of: date,
    buffer_weeks: int,
) -> pl.DataFrame:
    """The orders of ``region`` (PLACEMENTS_SCHEMA) with ``powered_from``, the first day its
    site carries an order that lands without power (the site's planned power, or power
    contracted today, whichever is first; null: neither within the plan; its arrival where
    it lands powered), ``contracted`` (whether that is power contracted today), ``usable``,
    the first day its blocks serve (its arrival, or later its power; null: never), and
    ``new_site`` (its blocks lie past their site's ceiling: no contract powers them).

    An order partly past its site's ceiling is two rows: the blocks under the ceiling, which
    serve from its power, and those past it, which serve from nowhere until a new site. As
    one row every block served from the power of the placeable ones (a deal on a 2-rack order
    with room for one read "served from its first ramp day on the capacity already
    planned")."""
    orders = placements.filter(pl.col("region") == region)
    leads = {s.id: s.power_lead_months for s in plan.site}
    powered_from: list[date | None] = []
    contracted: list[bool] = []
    for order in orders.iter_rows(named=True):
        site = order["site"]
        if order["powered"]:
            powered_from.append(order["arrives"])
            contracted.append(False)
            continue
        planned = _planned_power_from(order, placements, timeline) if site else None
        # No contract powers blocks past their site's ceiling (a new site is needed): the
        # triggers' runs_from is null for such an order, and so is its power here.
        capped = (order["blocks_beyond_ceiling"] or 0) >= order["blocks"]
        today = (
            contracted_today(as_of, lead_months=leads[site], buffer_weeks=buffer_weeks)
            if site in leads and not capped
            else None
        )
        # The triggers' own day its blocks serve where the placement carries it (runs since
        # migration 25): the what-if dated the plan's wait for power on its own rule, and
        # ended it on a day with no power step ("until 2027-05-05 (the power planned at
        # us-west-a)" where orders.csv said its blocks serve from 2027-06-02).
        runs_from = order.get("runs_from")
        powered = (
            runs_from
            if isinstance(runs_from, date) and not capped
            else min((d for d in (planned, today) if d is not None), default=None)
        )
        powered_from.append(powered)
        contracted.append(powered is not None and powered != planned and powered == today)
    usable = orders.with_columns(
        pl.Series("powered_from", powered_from, dtype=pl.Date()),
        pl.Series("contracted", contracted, dtype=pl.Boolean()),
    ).with_columns(
        # max_horizontal skips a null: blocks nothing powers served from their arrival.
        usable=pl.when(pl.col("powered_from").is_not_null()).then(
            pl.max_horizontal("arrives", "powered_from")
        ),
        new_site=pl.col("blocks_beyond_ceiling").fill_null(0) >= pl.col("blocks"),
    )
    beyond = pl.col("blocks_beyond_ceiling").fill_null(0)
    partly = (beyond > 0) & (beyond < pl.col("blocks"))
    past = usable.filter(partly).with_columns(
        mw=pl.col("mw") * beyond / pl.col("blocks"),
        blocks=beyond,
        powered_from=pl.lit(None, dtype=pl.Date()),
        contracted=pl.lit(False),
        usable=pl.lit(None, dtype=pl.Date()),
        new_site=pl.lit(True),
    )
    under = usable.with_columns(
        mw=pl.when(partly).then(pl.col("mw") * (1 - beyond / pl.col("blocks"))).otherwise("mw"),
        blocks=pl.when(partly).then(pl.col("blocks") - beyond).otherwise("blocks"),
    )
    return pl.concat([under, past])


def power_waits(
    placements: pl.DataFrame,
    plan: CapacityPlan,
    deal: Contract,
    *,
    as_of: date,
    horizon_end: date,
    buffer_weeks: int,
) -> pl.DataFrame:
    """The orders of the deal's pools whose site has no power for them on the day their pool
    needs them (its shortfall): site, exhaustion_with, powered_from (the site's planned power,
    or power contracted today, whichever is first; null: neither within the plan), contracted
    (whether it is power contracted today) and new_site (its blocks lie past the site's
    ceiling; an order partly past it waits twice, :func:`usable_orders`). ``placements``: a
    run's, with the deal or without it (:func:`baseline_gaps`).

    Every such order counts, whatever the ramp's last step: only those arriving by it did,
    so a one-step deal skipped the check ("served from its first day" beside a red pool whose
    order waited 74 days for power) and a step that changed nothing flipped the verdict."""
    if deal_pools(placements, deal).filter(~pl.col("powered")).is_empty():
        return pl.DataFrame(schema=_WAITS_SCHEMA)
    timeline = site_power_timeline(plan, start=as_of, end=max(horizon_end, as_of))
    usable = usable_orders(
        placements, plan, region=deal.region, timeline=timeline, as_of=as_of,
        buffer_weeks=buffer_weeks,
    )  # fmt: skip
    need = pl.col("exhaustion_date")
    return (
        deal_pools(usable, deal)
        .filter(
            ~pl.col("powered")
            & need.is_not_null()
            # Power that comes before the pool needs the blocks is no wait.
            & (pl.col("powered_from").is_null() | (pl.col("powered_from") > need))
        )
        .select(
            "site",
            exhaustion_with=need,
            powered_from="powered_from",
            contracted="contracted",
            new_site="new_site",
        )
        .cast(_WAITS_SCHEMA)
    )


_WAITS_SCHEMA = pl.Schema(
    {
        "site": pl.String(),
        "exhaustion_with": pl.Date(),
        "powered_from": pl.Date(),
        "contracted": pl.Boolean(),
        "new_site": pl.Boolean(),
    }
)


def served_once_powered(
    waits: pl.DataFrame,
    plan: CapacityPlan,
    deal: Contract,
    *,
    horizon_end: date,
    served: tuple[date | None, str],
    power: pl.DataFrame | None = None,
    power_without: pl.DataFrame | None = None,
    buffer_weeks: int,
    forecast: pl.DataFrame,
) -> tuple[date | None, str]:
    """``served`` pushed back to when power carries the orders that wait for it past their
    shortfall (``waits``, :func:`power_waits`): the site's planned power steps first, power
    contracted today where they come later or never. Where those sites' need passes their
    ceiling (``power``, the power triggers with the deal), no contract powers it: not within
    the horizon on this plan's sites (a 150,000-GPU deal read "served in full from
    2028-12-01" with $5.2B of revenue while the facilities page said a new site was
    needed). Only MW past a ceiling that the deal adds (against ``power_without``, the power
    triggers without it) counts: a 2,000-GPU deal needing 10 racks read "a new site is
    needed" because the plan's own cells passed us-east-b's ceiling in 2028 either way."""
    day, _ = served
    if day is None or waits.is_empty():
        return served
    sites = sorted(str(s) for s in waits["site"].drop_nulls().unique())
    capped = (
        power.filter(pl.col("site").is_in(sites) & (pl.col("mw_beyond_ceiling") > 0))
        if power is not None and power.height
        else pl.DataFrame()
    )
    plans_own: list[str] = []
    if capped.height and power_without is not None and power_without.height:
        before = power_without.group_by("site").agg(
            pl.col("mw_beyond_ceiling").max().alias("beyond_without")
        )
        capped = capped.join(before, on="site", how="left")
        added = pl.col("mw_beyond_ceiling") > pl.col("beyond_without").fill_null(0.0) + _MW_TOL
        plans_own = sorted(capped.filter(~added)["site"].to_list())
        capped = capped.filter(added)
    if not capped.height and plans_own:
        return None, (
            f"not within the horizon: the plan's own orders pass the ceiling of "
            f"{', '.join(plans_own)} as far with or without the deal: a new site is needed for "
            "the plan, which it does not have"
        )
    if capped.height:
        over = sorted(capped["site"].to_list())
        ceilings = "its ceiling allows" if len(over) == 1 else "their ceilings allow"
        return None, (
            f"not within the horizon: the blocks it needs draw more power at {', '.join(over)} "
            f"than {ceilings}, whatever is contracted: a new site is needed, which this plan "
            "does not have"
        )
    at = ", ".join(sites) or deal.region
    if waits["powered_from"].null_count():
        return None, (
            f"not within the horizon: the blocks it needs have no power at {at} within the plan"
        )
    powered: date = waits["powered_from"].max()  # type: ignore[assignment]
    short: date = waits["exhaustion_with"].min()  # type: ignore[assignment]
    windows = _power_windows(waits, plan, forecast=forecast, buffer_weeks=buffer_weeks)
    start = max(day, powered)
    if start > horizon_end:
        return None, (
            f"not within the horizon: the blocks it needs have no power at {at} when its pools "
            f"run short: {windows}, after the plan's end ({horizon_end})"
        )
    if day <= deal.ramp[0].day < short:
        return start, (
            f"served from its first ramp day on the capacity planned, but short while the "
            f"blocks its pools need wait for power at {at}: {windows}; served in full again "
            f"from {start}"
        )
    # Orders waiting for power are dated to land with it (late_orders): no "ordered today".
    blocks = (
        "the blocks its pools need wait for power"
        if day <= deal.ramp[0].day
        else f"blocks ordered today are in service by {day}"
    )
    return start, (
        f"{blocks}, but the sites they go to ({at}) have no power for them when its pools run "
        f"short: {windows}; so the deal is served in full from {start}"
    )


def _power_windows(
    waits: pl.DataFrame, plan: CapacityPlan, *, forecast: pl.DataFrame, buffer_weeks: int
) -> str:
    """Each wait for power as the note reads it: short from when until when, and whose power
    ends it (the site's planned steps, or a contract signed today)."""
    months = {s.id: s.power_lead_months for s in plan.site}
    # Where more than one site waits, each span names its own: "(us-east-a, us-east-b) ...:
    # short from June 2027 ...; short from October 2028 ..." left the reader to guess which.
    several = waits["site"].drop_nulls().n_unique() > 1
    parts = []
    for w in waits.sort("exhaustion_with").iter_rows(named=True):
        at = f" at {w['site']}" if several and w["site"] is not None else ""
        source = (
            f"power contracted today: {months.get(w['site'], 0)} months' lead time and the "
            f"{buffer_weeks} weeks' buffer the power triggers keep"
            if w["contracted"]
            else f"the power planned at {w['site']}"
        )
        parts.append(
            f"short{at} from {day_or_month(w['exhaustion_with'], forecast)} until "
            f"{w['powered_from']} ({source})"
        )
    return "; ".join(parts)
