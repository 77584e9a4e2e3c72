"""The answer: :class:`WhatIf`, and :func:`what_if`, which weighs a deal on the plan."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import polars as pl

from forecasting import hierarchy
from forecasting.capacity import NOT_JUDGED, CapacityPlan, not_judged_in, site_power_timeline
from forecasting.contracts import Contract, ContractBook
from forecasting.text import CapexBound, usd
from forecasting.triggers import TriggerResult, TriggerSettings, daily_end_of, expansion_triggers

# The triggers' MW tolerance: one rule for when an order's site powers it (it was 0.05 MW
# here, and a 0.004 MW deficit read powered).
from forecasting.triggers.common import TOL
from forecasting.whatif.baseline import baseline_gaps, baseline_short_note, worse_days
from forecasting.whatif.blocks import (
    DEAL_BLOCKS_SCHEMA,
    DEAL_POWER_SCHEMA,
    PULLED_SCHEMA,
    blocks_for_deal,
)
from forecasting.whatif.capital import (
    NOT_PRICE,
    blocks_unmeasured,
    capex_basis_note,
    extra_mw_of,
    less_capital_note,
    no_extra_capital_note,
    not_sized_note,
    past_ceiling_text,
)
from forecasting.whatif.concentration import deal_concentration_line
from forecasting.whatif.deal import (
    ASSUMED_TERM,
    DealError,
    check_weighable,
    floor_note,
    forecast_end,
    from_forecast_start,
    with_deal,
    with_region_levels,
)
from forecasting.whatif.orders import (
    USD_TOL,
    orders_with_and_without,
    unservable_pools,
    unwatched_orders,
)
from forecasting.whatif.power import power_waits, served_once_powered
from forecasting.whatif.replan import (
    early_blocks_note,
    first_order_later,
    moved_note,
    moved_orders,
    replan_capex_note,
    shrunk_order_note,
    sooner_capital_note,
)
from forecasting.whatif.revenue import REVENUE_ANYWAY, deal_revenue, revenue_note, short_most_days
from forecasting.whatif.serving import (
    day_or_month,
    first_short_day,
    served_in_full_from,
    short_span_count,
    short_windows,
    waits_on_added_days,
)

__all__ = ["WhatIf", "what_if"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WhatIf:
    """The answer: what the deal needs and brings, each figure next to the plan without it."""

    deal: Contract
    as_of: date
    horizon_end: date
    serve_from: date | None
    serve_note: str
    orders: pl.DataFrame  # ORDERS_SCHEMA, one row per pool of the deal's region and beyond
    triggers_without: pl.DataFrame
    triggers_with: pl.DataFrame
    extra_capex_usd: float
    extra_mw: float
    # Revenue of the hours served in full within the plan (to its end, or the term's if
    # sooner): None without a price.
    revenue_usd: float | None
    # The term's hours past the plan's end at the price: not verified (the plan checks no
    # service, capital or power there), so never counted in ``revenue_usd`` (a card read
    # $587.9M "over the term", 84 % of it past the plan); None without a price, or where the
    # deal is not served within the plan.
    revenue_past_plan_usd: float | None
    gpu_hours: float
    # The part of ``revenue_usd`` earned after ``verified_to``, the last day the run's
    # statuses are verified (runs.drills.statuses_verified): whether the plan serves those
    # hours is not verified; None where the statuses are verified to the plan's end.
    revenue_unverified_usd: float | None = None
    verified_to: date | None = None
    concentration: pl.DataFrame  # contracts.BOOK_CONCENTRATION_SCHEMA, without and with
    # Concentration as one line: the month it stands on and how far it is measured (the daily
    # paths), no direction where the deal steps up past them (see deal_concentration_line).
    concentration_line: str = ""
    notes: tuple[str, ...]
    # The orders of the plan with the deal (PLACEMENTS_SCHEMA) that the plan without it does
    # not place: the same block type, count and order-by date in the same pool is no change.
    new_orders: pl.DataFrame = field(default_factory=pl.DataFrame)
    # When the deal goes short (a day, or a month on the plan's monthly rows) if it is served
    # from its first ramp day until then and in full again only from ``serve_from`` (None:
    # served throughout, or short at once).
    short_from: str | None = None
    # The forecast's last daily row where monthly rows follow (None: daily only): past it a
    # date stands for its month.
    daily_end: date | None = None
    # Whether the deal is served in full between spans short, after ``short_from`` and before
    # ``serve_from`` ("short from 2027-04-16 until 2028-12-31" hid 11 months served between).
    short_at_times: bool = False
    # Whether the deal is short on more than half its days within the plan (from its first
    # ramp day to its term's end or the plan's): the verdict then leads with when it is served
    # in full, not "from its first day" (a deal short 21 of its first 22 months read served).
    short_most: bool = False
    # The plan's own shortfalls in the deal's pools on days the deal would hold GPUs, which the
    # verdict does not count ('' when none): see baseline_short_note.
    baseline_note: str = ""
    # Where an order of the deal's pools is not sized, with or without the deal: what that
    # makes of the extra capex and how far ahead to forecast to size it ('' when every order
    # is sized; see not_sized_note), and the "region/pool" keys of those pools, with the deal
    # and without it.
    capex_not_sized: str = ""
    not_sized_with: tuple[str, ...] = ()
    not_sized_without: tuple[str, ...] = ()
    # What the extra capex is where an order is not sized (None: every order of the deal's
    # pools is sized, the figure measured in full); the note above says it in words.
    capex_bound: CapexBound | None = None
    # What the extra capital is not, where it could read as the deal's price or as serving it
    # for free ('' otherwise): one of ``notes``, which the pipeline's rows carry too.
    capital_note: str = ""
    # "not judged: no telemetry in eu-west" where the deal's region has blocks but no
    # telemetry and the deal alone would be served ('' otherwise): what the region already
    # runs is not known, so the answer, its capital and the region's statuses are not
    # measured (`report` judges no order there). A deal not served even alone keeps its
    # verdict: the region's own demand can only make it shorter.
    not_judged: str = ""
    # The blocks the deal's own GPUs need, per pool it draws on (DEAL_BLOCKS_SCHEMA): what
    # ``extra_capex_usd`` and ``extra_mw`` sum (see the module docstring, "Capital").
    deal_blocks: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=DEAL_BLOCKS_SCHEMA)
    )
    # The power the deal's blocks need under the site ceilings beyond the plan's, per site
    # (DEAL_POWER_SCHEMA; module docstring, "Capital", 4): in ``extra_capex_usd``, dated and
    # said in ``capex_basis``.
    deal_power: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=DEAL_POWER_SCHEMA))
    # The plan's orders the deal's own blocks rely on landing sooner than the plan lands them
    # (PULLED_SCHEMA; module docstring, "Capital", 1): said in ``capex_basis``.
    pulled_orders: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PULLED_SCHEMA))
    # How far every order of the plan to its end moves with the deal (the triggers re-run
    # with it re-choose, re-date and re-site later orders): not the deal's capex, said apart
    # in ``replan_note`` ('' where it equals the deal's blocks).
    replan_capex_usd: float = 0.0
    replan_mw: float = 0.0
    replan_note: str = ""
    # What ``extra_capex_usd`` is, beside it on the CLI and the page: "the blocks its own
    # GPUs need: 1 x pod-h100-1024 for us-west training", or the re-plan where it is cheaper.
    capex_basis: str = ""
    # The capital of the plan's orders the deal places sooner, beside the extra capex on the
    # CLI's headline and the page's cards ('' where none): see sooner_capital_note.
    sooner_note: str = ""
    # The blocks in service before the deal holds a GPU, beyond the plan without it: how many,
    # their capital, for how long, and why then ('' where none): see early_blocks_note.
    early_note: str = ""
    # A ramp dated before the forecast's first day (a deal "already running" that telemetry
    # does not show): what was weighed instead, on the headline and first of the notes ('').
    ramp_warning: str = ""
    # Beside the revenue where the ramp adds no GPUs over the customer's own forecast
    # (REVENUE_ANYWAY, '' otherwise): the headline counted "revenue $57k" as the deal's.
    revenue_basis: str = ""

    @property
    def not_sized_pools(self) -> tuple[str, ...]:
        """The "region/pool" keys of the deal's pools with an order not sized on either side."""
        return tuple(dict.fromkeys((*self.not_sized_with, *self.not_sized_without)))

    @property
    def can_serve(self) -> bool:
        """Whether the deal is served in full from its first ramp day, every step of its ramp
        inside the plan horizon (a step past it is not verified)."""
        return (
            self.serve_from is not None
            and not self.not_judged
            and self.serve_from <= self.deal.ramp[0].day
            and self.deal.ramp[-1].day <= self.horizon_end
        )


def what_if(
    forecast: pl.DataFrame,
    plan: CapacityPlan,
    deal: Contract,
    *,
    as_of: date,
    paths: pl.DataFrame | None = None,
    settings: TriggerSettings | None = None,
    without: TriggerResult | None = None,
    book: ContractBook | None = None,
    pipeline: bool = False,
    verified_to: date | None = None,
) -> WhatIf:
    """Triggers without and with ``deal`` on the same forecast and plan, and what differs.

    ``forecast`` is what the triggers read (daily rows, and monthly rows with a ``grain``
    column); ``paths`` (bottom-level daily sample paths) give concentration with the deal.
    ``without``: the triggers of ``forecast`` already computed (weighing many deals at once).
    ``book``: the contract book the forecast carries; signed contracts on the deal's own series
    add up with it into one floor (see :func:`with_deal`). ``pipeline``: the deal is a
    pipeline deal weighed as signing on every path, its ramp on top of ``forecast``, which
    must not hold it (:func:`pipeline_if_signed`), not a floor. ``verified_to``: the last day
    the forecast's statuses are verified; the revenue after it is said apart, not verified.
    """
    from forecasting.contracts import concentration_with_book

    if deal.region not in plan.regions:
        raise DealError(
            f"region {deal.region!r} is not in the capacity plan; its regions are "
            + ", ".join(sorted(plan.regions))
        )
    horizon_end = forecast_end(forecast)
    monthly = "grain" in forecast.columns and bool(
        forecast.filter(pl.col("grain") == "month").height
    )
    settings = settings or TriggerSettings()
    check_weighable(
        deal, horizon_end=horizon_end, monthly=monthly, months_refused=settings.months_refused
    )
    deal, rebased, ramp_warning = from_forecast_start(deal, forecast, as_of=as_of)
    # A region of the plan without telemetry: with_region_levels weighs it on zero demand.
    unwatched = forecast.filter(pl.col("unique_id") == hierarchy.id_of(deal.region)).is_empty()
    padded = with_region_levels(forecast, deal)
    if padded.height != forecast.height:
        # The region had no pool without the deal: the plan's triggers there are re-read on
        # zero demand, so "without" has the pools "with" compares against.
        forecast, without = padded, None
    if without is None:
        without = expansion_triggers(forecast, plan, as_of=as_of, settings=settings)
    lifted = with_deal(forecast, deal, book=book, incremental=pipeline)
    result = expansion_triggers(lifted, plan, as_of=as_of, settings=settings)
    cut = first_order_later(without, result, deal)
    if cut:
        # The plan's own first order, grown by the deal's months in its window, lands later
        # than without it: it is sized to the day before the deal instead, and what the deal
        # adds is the later orders' (TriggerSettings.sized_before).
        result = expansion_triggers(
            lifted, plan, as_of=as_of,
            settings=replace(settings, sized_before=((deal.region, deal.ramp[0].day),)),
        )  # fmt: skip
    # Only the days the deal adds to its pools' shortfall are the deal's; the plan's own are
    # named apart (the baseline note).
    timeline = site_power_timeline(plan, start=as_of, end=max(horizon_end, as_of))
    worse = worse_days(
        forecast, lifted, plan, deal, without=without, with_=result, as_of=as_of,
        settings=settings, timeline=timeline,
    )  # fmt: skip
    orders = orders_with_and_without(without, result)
    serve_from, serve_note = served_in_full_from(
        orders, deal, horizon_end=horizon_end, forecast=forecast, placements=result.placements,
        worse=worse,
    )  # fmt: skip
    waits = waits_on_added_days(
        power_waits(
            result.placements, plan, deal, as_of=as_of, horizon_end=horizon_end,
            buffer_weeks=settings.buffer_weeks,
        ),
        worse,
        until="powered_from",
    )  # fmt: skip
    serve_from, serve_note = served_once_powered(
        waits, plan, deal, horizon_end=horizon_end, served=(serve_from, serve_note),
        power=result.power, power_without=without.power, buffer_weeks=settings.buffer_weeks,
        forecast=forecast,
    )  # fmt: skip
    short_day = first_short_day(
        orders, deal, serve_from, result.placements, waits=waits, worse=worse
    )
    short = short_windows(orders, result.placements, deal, waits=waits, worse=worse)
    baseline = baseline_gaps(
        without, plan, deal, as_of=as_of, horizon_end=horizon_end,
        buffer_weeks=settings.buffer_weeks,
    )  # fmt: skip
    beyond = [s for s in deal.ramp if s.day > horizon_end]
    if beyond and serve_from is not None:
        steps = ", ".join(f"{s.day}: {s.gpus:,} GPUs" for s in beyond)
        serve_note += (
            f"; checked only to the plan horizon ({horizon_end}): the steps after it ({steps}) "
            "are not within the horizon"
        )
    gpu_hours, revenue, past_plan = deal_revenue(
        deal, plan, horizon_end=horizon_end, serve_from=serve_from, short=short
    )
    _, revenue_on_baseline, _ = deal_revenue(
        deal, plan, horizon_end=horizon_end, serve_from=serve_from, short=short,
        only=list(baseline.select("exhaustion_with", "until").iter_rows()),
    )  # fmt: skip
    # The demo's deal read "revenue $46.3M to the plan's end" beside a line saying no status
    # past 2027-06-05 is verified: most of it was earned on days no backtest verified.
    unverified_from = (
        [(verified_to + timedelta(days=1), None)]
        if verified_to is not None and verified_to < horizon_end and revenue
        else None
    )
    revenue_unverified = (
        deal_revenue(
            deal, plan, horizon_end=horizon_end, serve_from=serve_from, short=short,
            only=unverified_from,
        )[1]
        if unverified_from
        else None
    )  # fmt: skip
    notes = [*rebased]
    notes += [ASSUMED_TERM] if deal.description == ASSUMED_TERM else []
    floor, adds_none = (
        floor_note(forecast, lifted, deal, book=book) if not pipeline else ("", False)
    )
    if floor:
        notes.append(floor)
    if revenue is not None and (serve_from is None or serve_from > deal.ramp[0].day):
        notes.append(revenue_note(deal, serve_from, short, forecast))
    if deal.term_end > horizon_end:
        notes.append(
            f"the term runs to {deal.term_end}, past the plan horizon ({horizon_end}): capital "
            "beyond the horizon is not measured, and the revenue counts the hours to it only"
            + (
                f" ({usd(past_plan)} past it is not verified: whether the plan serves those "
                "hours is not checked)"
                if past_plan
                else ""
            )
        )
    if revenue is None:
        notes.append("no price: neither the deal nor its class policy names one")
    replan_capex = float(orders["extra_capex_usd"].sum())
    replan_mw = float(orders["extra_mw"].sum())
    deal_blocks, pulled, power = blocks_for_deal(
        forecast, lifted, plan, deal, without=without, as_of=as_of, horizon_end=horizon_end,
        settings=settings,
    )  # fmt: skip
    unmeasured = ""
    if unservable := unservable_pools(orders, deal):
        # No figure where no block type can serve a pool the deal needs: another pool's
        # blocks (racks, for a training deal) are not its own, and $0 is not measured.
        deal_blocks, pulled, power = deal_blocks.clear(), pulled.clear(), power.clear()
        unmeasured = (
            f"no block type can serve the {', '.join(unservable)} pool, so the blocks its own "
            "GPUs need are not measured"
        )
    own_capex = float(deal_blocks["capex_usd"].sum())
    # The new site's MW at the region's dearest cost per MW: an assumption said with it.
    new_site = float(deal_blocks["new_site_usd"].fill_null(0.0).sum())
    # The blocks its own GPUs need, never the re-plan (module docstring, "Capital"): every
    # plan that serves a larger deal serves a smaller one, so it never falls as the deal
    # grows; blocks past the ceilings stay in it, the new site they need said not costed.
    # The power its blocks need under the ceilings beyond the plan's, at each site's cost per
    # MW (rule 4): it read $0, the plan's power as if it carried them.
    power_usd = float(power["usd"].fill_null(0.0).sum())
    extra_capex = own_capex + new_site + power_usd
    extra_mw = extra_mw_of(deal_blocks)
    power_unchecked = (
        f"the power they need is not priced: no [[site]] of {deal.region} in the plan, so no "
        "power is checked there"
        if extra_mw > TOL and not any(s.region == deal.region for s in plan.site)
        else ""
    )
    past_ceiling = past_ceiling_text(deal_blocks)
    replan_note = replan_capex_note(
        orders, deal_blocks, replan_capex=replan_capex, replan_mw=replan_mw,
        own_capex=own_capex, unmeasured=unmeasured,
    )  # fmt: skip
    if moved := moved_note(without.placements, result.placements):
        # Every order the deal moves, later ones too, dated and priced (a later 7-cell order,
        # $2.6B, pulled 14 months sooner was on no line of the what-if).
        replan_note = f"{replan_note}; {moved}" if replan_note else moved
    # Beside the extra capex on the headline and the cards, not only in the note below.
    sooner_note = sooner_capital_note(
        moved_orders(without.placements, result.placements), as_of=as_of
    )
    if shrunk := shrunk_order_note(orders, without, result, deal, cut=cut):
        notes.append(shrunk)
    early_note = early_blocks_note(
        forecast, plan, deal, without=without, with_=result, as_of=as_of, settings=settings,
        timeline=timeline,
    )  # fmt: skip
    if early_note:
        notes.append(early_note)
    if replan_capex < -USD_TOL:
        notes.append(
            less_capital_note(
                without.placements, result.placements, orders, plan, horizon_end=horizon_end
            )
        )
    not_sized = not_sized_note(
        without.triggers,
        result.triggers,
        deal,
        as_of=as_of,
        months_refused=settings.months_refused,
    )
    if not_sized.note:
        notes.insert(len(rebased), not_sized.note)  # after the ramp warning, if any
    capex_bound = (
        CapexBound.UNSERVABLE
        if unservable
        # Past the ceilings the figure is a lower bound where the new site's price is assumed;
        # a declared [[new_site]] prices it (its figure is the plan's).
        else not_sized.bound
        or (CapexBound.NEW_SITE if past_ceiling and deal.region not in plan.new_sites else None)
    )
    capex_basis = (
        unmeasured
        or blocks_unmeasured(plan, deal, orders, as_of=as_of, horizon_end=horizon_end)
        or capex_basis_note(
            deal_blocks,
            pulled,
            daily_end=daily_end_of(forecast),
            power=power,
            power_unchecked=power_unchecked,
        )
    )
    if after := [s for s in deal.ramp if s.day > horizon_end]:
        # Its capital stops at the plan's end: 1,000 GPUs stepping to 50,000 past it read
        # "extra capex $42.2M" beside "$7,481.4M past it: not verified" of revenue.
        steps = ", ".join(f"{s.day}: {s.gpus:,} GPUs" for s in after)
        capex_basis += (
            f"; to the plan's end ({horizon_end}) only: the capital of its steps after it "
            f"({steps}) is not measured"
        )
    # "$0 extra capital: signing adds no order" is false where an order is not sized.
    no_extra = (
        "" if not_sized.note or unservable else no_extra_capital_note(extra_capex, serve_from, deal)
    )
    capital_note = no_extra
    if not no_extra and serve_from is None and extra_capex > USD_TOL:
        # $453.1M "extra capital" beside "not within the horizon" read as the price of the deal.
        capital_note = (
            f"the {usd(extra_capex)} of extra capital is the blocks its own GPUs need"
            + (" and a new site's MW as priced" if new_site > USD_TOL else "")
            + (" and the power they need beyond the plan's" if power_usd > USD_TOL else "")
            + f", and does not serve it in full within the horizon: {NOT_PRICE}"
        )
    concentration = (
        concentration_with_book(paths, ContractBook(contracts=(deal,), source="what-if"))
        if paths is not None and paths.height
        else pl.DataFrame()
    )
    concentration_line = (
        deal_concentration_line(concentration, deal, paths=paths, forecast=forecast)
        if paths is not None and concentration.height
        else ""
    )
    not_judged = ""
    if unwatched:
        # The deal was weighed on its own GPUs alone: served so is not served beside what the
        # region already runs, which nobody measured (`report`: "not judged" there).
        not_judged = not_judged_in([deal.region]) if serve_from is not None else ""
        orders = unwatched_orders(orders, deal.region)
        if not_judged:
            serve_note = (
                f"{not_judged}: what {deal.region} already runs is not known, so whether its "
                f"blocks hold the deal is not measured; on the deal's GPUs alone: {serve_note}"
            )
            capital_note = (
                f"extra capital {NOT_JUDGED} ({usd(extra_capex)}, "
                f"{extra_mw:,.1f} MW on the deal's GPUs alone, before "
                f"what {deal.region} already runs)"
            )
        if concentration_line:
            # The shares' expected demand leaves out what the region runs: not a bound there.
            concentration_line += (
                f"; {deal.region}'s own demand is in none of these shares "
                f"({not_judged_in([deal.region])}), so they are not verified"
            )
        if not not_judged:
            notes.append(
                f"{deal.region} has no telemetry: the deal was weighed on its own GPUs alone "
                f"(its extra capex too), and what {deal.region} already runs can only make it "
                "shorter"
            )
    if capital_note:
        notes.append(capital_note)
    if past_ceiling:
        # Never summed as if free, never a smaller total (module docstring, "Capital", 3).
        notes.append(
            f"the blocks its own GPUs need: {past_ceiling}; their capex and the new site's MW "
            + (
                "as declared are in the extra capex"
                if deal.region in plan.new_sites
                else "as priced are in the extra capex, a lower bound: a new site's own cost "
                "per MW and when it could be built are not in the plan"
            )
        )
    return WhatIf(
        deal=deal,
        as_of=as_of,
        horizon_end=horizon_end,
        serve_from=serve_from,
        serve_note=serve_note,
        short_from=None if short_day is None else day_or_month(short_day, forecast),
        daily_end=daily_end_of(forecast),
        short_at_times=short_span_count(short, after=deal.ramp[0].day) > 1,
        short_most=short_most_days(
            deal, horizon_end=horizon_end, serve_from=serve_from, short=short
        ),
        baseline_note=baseline_short_note(
            baseline,
            forecast=forecast,
            buffer_weeks=settings.buffer_weeks,
            revenue_on=revenue_on_baseline,
            deal_waits=waits,
            power_short=without.power,
        ),
        orders=orders,
        triggers_without=without.triggers,
        triggers_with=result.triggers,
        new_orders=result.placements.join(
            without.placements,
            on=["region", "pool", "candidate", "blocks", "order_by"],
            how="anti",
            nulls_equal=True,
        ),
        extra_capex_usd=extra_capex,
        capex_not_sized=not_sized.note,
        capex_bound=capex_bound,
        capital_note=capital_note,
        not_judged=not_judged,
        not_sized_with=not_sized.with_,
        not_sized_without=not_sized.without,
        extra_mw=extra_mw,
        deal_blocks=deal_blocks,
        deal_power=power,
        pulled_orders=pulled,
        replan_capex_usd=replan_capex,
        replan_mw=replan_mw,
        replan_note=replan_note,
        sooner_note=sooner_note,
        early_note=early_note,
        capex_basis=capex_basis,
        ramp_warning=ramp_warning,
        revenue_usd=revenue,
        revenue_past_plan_usd=past_plan or None,
        revenue_unverified_usd=revenue_unverified or None,
        verified_to=verified_to if revenue_unverified else None,
        revenue_basis=REVENUE_ANYWAY if adds_none and revenue else "",
        gpu_hours=gpu_hours,
        concentration=concentration,
        concentration_line=concentration_line,
        notes=tuple(notes),
    )
