"""The plan's own shortfall without the deal: the days the deal makes worse, and the note on the
rest."""

from __future__ import annotations

from datetime import date
from functools import partial

import polars as pl

from forecasting.capacity import CapacityPlan
from forecasting.contracts import Contract
from forecasting.text import usd
from forecasting.triggers import TriggerResult, TriggerSettings
from forecasting.triggers.common import NEW_SITE
from forecasting.whatif.blocks import GPU_TOL, lacking_gpus
from forecasting.whatif.power import power_waits
from forecasting.whatif.serving import day_or_month, late_orders, merged_spans

__all__ = ["PLAN_SHORT_TOO"]

# Beside the verdict where the plan is short without the deal too (WhatIf.baseline_note): the
# CLI's headline and the page's card say it alike.
PLAN_SHORT_TOO = "the plan is short without it too"


def worse_days(
    forecast: pl.DataFrame,
    lifted: pl.DataFrame,
    plan: CapacityPlan,
    deal: Contract,
    *,
    without: TriggerResult,
    with_: TriggerResult,
    as_of: date,
    settings: TriggerSettings,
    timeline: pl.DataFrame,
) -> pl.Series:
    """The days the deal holds GPUs on which a pool it draws on lacks more with the deal
    (``lifted``, ``with_``) than without it (``forecast``, ``without``): :func:`lacking_gpus`.
    Only these count against the deal. A day its pools lack the same GPUs either way is the
    plan's shortfall: the orders the deal adds serve its GPUs from then (a batch deal read
    "short Oct-Dec 2028" because the plan's own cells at its site waited for power then,
    with or without it); a deal whose GPUs land on blocks that wait for power makes its pool
    lack more, and counts."""
    lacking = partial(
        lacking_gpus, plan=plan, deal=deal, as_of=as_of, settings=settings, timeline=timeline
    )
    joined = lacking(lifted, with_).join(
        lacking(forecast, without), on=["pool", "ds"], suffix="_without", how="left"
    )
    days = (
        joined.filter(pl.col("lacking") - pl.col("lacking_without").fill_null(0.0) > GPU_TOL)
        .get_column("ds")
        .unique()
        .sort()
    )
    return pl.Series("ds", [d for d in days if deal.gpus_on(d) > 0], dtype=pl.Date())


def baseline_gaps(
    without: TriggerResult,
    plan: CapacityPlan,
    deal: Contract,
    *,
    as_of: date,
    horizon_end: date,
    buffer_weeks: int,
) -> pl.DataFrame:
    """The spans the deal's pools are short without the deal, on days it would hold GPUs
    within the plan: site (null: a late order, not power), region, pool, exhaustion_with (the
    span's first day), until (its first day served again; null: not within the plan),
    contracted (power contracted today ends it) and new_site (blocks past the site's ceiling:
    only a new site ends it), by the rules the deal's own spans follow
    (:func:`late_orders`, :func:`power_waits`) on the plan without the deal."""
    triggers = without.triggers.select(
        "region", "pool", "arrives", status_with="status", exhaustion_with="exhaustion_date"
    )
    late = late_orders(triggers, without.placements, deal).select(
        pl.lit(None, dtype=pl.String()).alias("site"),
        "region",
        "pool",
        "exhaustion_with",
        until="arrives",
        contracted=pl.lit(False),
        new_site=pl.lit(False),
    )
    dark = power_waits(
        without.placements, plan, deal, as_of=as_of, horizon_end=horizon_end,
        buffer_weeks=buffer_weeks,
    ).select(
        "site", pl.lit(deal.region).alias("region"), pl.lit(None, dtype=pl.String()).alias("pool"),
        "exhaustion_with", until="powered_from", contracted="contracted", new_site="new_site",
    )  # fmt: skip
    last = min(deal.term_end, horizon_end)
    gaps = pl.concat([late, dark], how="vertical_relaxed").filter(
        pl.col("exhaustion_with").is_not_null()
        & (pl.col("exhaustion_with") <= last)
        & (pl.col("until").is_null() | (pl.col("until") > deal.ramp[0].day))
    )
    return gaps.unique().sort("exhaustion_with", "site", nulls_last=True)


def baseline_short_note(
    gaps: pl.DataFrame,
    *,
    forecast: pl.DataFrame,
    buffer_weeks: int,
    revenue_on: float | None,
    deal_waits: pl.DataFrame | None = None,
    power_short: pl.DataFrame | None = None,
) -> str:
    """What the plan is short of without the deal, where the deal would hold GPUs ('' when
    nothing): each span (:func:`baseline_gaps`) and what ends it, that the deal's verdict
    counts only the days it adds, and the revenue it counts in those spans (``revenue_on``).

    ``deal_waits``: the deal's own waits for power (``site``, ``exhaustion_with``: the days
    its pools lack more with it, :func:`forecasting.whatif.power.power_waits`). A site short
    in both on different days names the deal's day beside the plan's: the demo's us-west-b
    read "short from October 2027" for the deal and "the plan is short of power at us-west-b
    from July 2028 ... without this deal too", two dates for one site and no word of which
    was which. ``power_short``: the plan's power triggers without the deal (``site``,
    ``exhaustion_date``: the facilities page's "short from", the day the MW its blocks need,
    counted from when they are due, passes the MW energized); a site they date otherwise
    than its pool's shortfall names both (us-east-b read "short from 2027-03-11" on the
    facilities page and "short of power at us-east-b from 2027-04-08" in a deal's note).

    The deal is served on such a day when the orders it adds serve its GPUs, so that its
    pools lack the same GPUs with and without it: signing changes nothing there, and its
    hours are counted as served (the plan's unserved GPUs are the same either way). Whose
    demand waits on those days (the deal's, or the plan's lower tiers') is the preemption
    order's call, which the triggers do not play: the note says so, and how much revenue
    falls there, rather than a figure that looks measured."""
    if gaps.is_empty():
        return ""
    # A site with blocks past its ceiling: the power that ends its other span carries only
    # the blocks under the ceiling (it read as ending the whole shortfall).
    capped = set(gaps.filter(pl.col("new_site"))["site"].to_list())
    # Each site's first day short with the deal, said once beside the plan's own span there.
    deal_first: dict[str, date] = (
        {}
        if deal_waits is None or deal_waits.is_empty()
        else dict(
            deal_waits.filter(pl.col("site").is_not_null())
            .group_by("site")
            .agg(pl.col("exhaustion_with").min())
            .iter_rows()
        )
    )
    # The facilities page's day per site, said once beside the plan's own span there.
    facilities: dict[str, date] = (
        {}
        if power_short is None or power_short.is_empty()
        else dict(
            power_short.filter(pl.col("exhaustion_date").is_not_null())
            .select("site", "exhaustion_date")
            .iter_rows()
        )
    )
    parts = []
    both: list[str] = []
    for (site, region, pool, contracted, new_site), rows in gaps.group_by(
        "site", "region", "pool", "contracted", "new_site", maintain_order=True
    ):
        for begin, until in merged_spans(list(rows.select("exhaustion_with", "until").iter_rows())):
            when = f"from {day_or_month(begin, forecast)}"
            if site is None:
                ends = (
                    f"until {until}, when blocks ordered today are in service"
                    if until is not None
                    else "on, not within the horizon (no candidate block can serve the pool)"
                )
                parts.append(
                    (begin, until is None, f"short of blocks in {region} {pool} {when} {ends}")
                )
                continue
            source = "power contracted today" if contracted else f"the power planned at {site}"
            source += ", for the blocks under its ceiling" if site in capped else ""
            ends = (
                f"until {until} ({source})"
                if until is not None
                else f"on, not within the horizon: past {site}'s ceiling, which no contract "
                f"powers ({NEW_SITE})"
                if new_site
                else "on, not within the horizon (no power there within the plan)"
            )
            if (first := deal_first.pop(site, None)) is not None and first != begin:
                both.append(
                    f"{site} is short from {day_or_month(begin, forecast)} without the deal "
                    f"(the plan's own date) and, with it, lacks more from "
                    f"{day_or_month(first, forecast)} (the deal's date, from which its verdict "
                    "counts)"
                )
            if (dated := facilities.pop(site, None)) is not None and dated != begin:
                both.append(
                    f"{site}'s power trigger (facilities page) dates it "
                    f"{day_or_month(dated, forecast)}, the day the MW its blocks need, counted "
                    f"from when they are due, passes the MW energized; "
                    f"{day_or_month(begin, forecast)} is the day its pool runs short"
                )
            parts.append((begin, until is None, f"short of power at {site} {when} {ends}"))
    # By first day, a span that ends before one that does not, then by its words: the spans
    # come from an unordered unique(), and two of one site can start on one day.
    listed = "; ".join(text for *_, text in sorted(parts))
    today = (
        f"; power contracted today is energized after the site's power lead time and the "
        f"{buffer_weeks} weeks' buffer the power triggers keep"
        if gaps["contracted"].any()
        else ""
    )
    revenue = (
        f"; {usd(revenue_on)} of the deal's revenue falls on those days and is counted: "
        "its pools lack the same GPUs there with and without it, and whose demand waits (the "
        "deal's or the plan's lower tiers') is the preemption order's call, not measured here"
        if revenue_on
        else ""
    )
    two = f"; dates of one site: {'; '.join(both)}" if both else ""
    return (
        f"the plan is {listed} without this deal too: the deal's verdict counts only the days "
        "its pools lack more GPUs with it than without (signing neither causes nor cures the "
        f"rest){two}{revenue}{today}"
    )
