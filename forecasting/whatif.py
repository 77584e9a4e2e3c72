"""What if we sign this deal? Serve it from when, with which orders, at what concentration.

Before a deal is signed the question is a what-if (DOMAIN.md, "Contracts and pipeline"): can
we serve it, from when at the SLO with orders placed today, which blocks and power it needs
and by when each must be ordered, how it moves customer concentration, and what revenue it
brings against the capital it calls for. :func:`what_if` answers all of it by running the
expansion triggers twice on the same forecast and plan, without and with the deal, and
reading the difference. Nothing here is simulated twice on different inputs: every figure
with the deal has its counterpart without it.

**The deal enters the forecast as a signed contract** (the floor rule of
:mod:`forecasting.contracts`): on its own series ``total/<region>/<class>/<customer>`` demand
becomes ``max(own, ramp)`` at every quantile, and each level above it (its region and class,
its region, the total) gains the same lift, quantile by quantile. A customer the forecast
does not know (a new one, or one folded into ``other``) has no own demand: the lift is the
ramp itself. Monthly rows (``grain`` = ``month``) take the ramp's largest count in the month
(a peak-measure month is its peak day) or lift each day of it and average (a mean-measure
month is its average day); past the last daily day the customer's own demand is held at its
last daily forecast (it has no monthly series of its own), so the lift there is the ramp
beyond what the customer already runs.

**Serve from.** The deal is served at the SLO from its first ramp day when, with the deal,
no pool it draws on runs short before the orders the plan places can arrive: the triggers'
orders and the later ones the same rule places after them (a red order that arrives after
its exhaustion, even ordered today, is late). Otherwise the shortfall starts on the late
order's exhaustion date and the order placed today is in service on its arrival: the deal
is served in full from the latest such arrival over the pools, or "not within the horizon"
when a pool has no candidate that can serve it. Orders of its pools that wait for their
site's power past their shortfall (whatever the ramp's last step) leave it short until the
power comes: the site's planned steps (energized and contracted), or power contracted today
(as-of + the site's power lead time + the triggers' buffer, to the day), whichever is first;
the blocks of an order past its site's ceiling serve from nowhere until a new site, and only
those under it serve. Revenue counts the hours outside those spans.

**Only what the deal adds.** A span counts against the deal only on the days the deal holds
GPUs and a pool it draws on lacks more H100-equivalents with the deal than without it
(requirement at the triggers' quantile, headroom included, against the plan's blocks and the
orders of each run from the day they serve: their arrival, or their power). Each span starts
on the first such day. Days a pool lacks the same GPUs either way are the plan's shortfall,
not the deal's: the orders the deal adds serve its GPUs, and signing neither causes nor
cures what is short there (the demo's lumen-batch-eu read "not within the horizon" for
eu-west-a's shortfalls after its term ended; a deal whose forecast already carries it read
"short" for the plan's own power waits). So on such days the deal is served, its hours
count as revenue (the plan's unserved GPUs are the same with and without it), and
``baseline_note`` names the plan's spans in the deal's pools that overlap its term ("the plan
is short of power at SITE from X until Y without this deal too") and the revenue that falls
on them: whose demand waits there, the deal's or the plan's lower tiers', is the preemption
order's call, which the triggers do not play, so it is said, not measured. A deal whose GPUs
land on blocks that wait for power (or arrive late) makes its pool lack more, and reads
short with its own dates beside the plan's.

**The plan's own orders before the deal.** Where a pool of the deal's region runs short
before the deal starts and the re-run with the deal places or lands that pool's first order
later than the plan without it (its sizing window took in the deal's months), the re-run
sizes no order for a shortfall starting before the deal's first day past the day before it
(``TriggerSettings.sized_before``): the order serving the plan's own growth keeps its dates,
and what is short from the deal's first day, its GPUs with it, is the later orders'. (A
20,000-GPU deal from 2028-06-01 grew us-west's first order from 69 to 165 racks over a
52-week window that took in its months, and dated it 17 months later to land with 2029
power: the fleet's own Aug 2027 shortfall went unserved to 2029, unsaid.) Every order of the
plan to its end that the re-run moves (re-dated, re-sized, added or dropped, its capital past
a site's ceiling included) is listed in :attr:`WhatIf.replan_note`, not the first order alone.

**From the forecast's first day.** A deal weighed today serves and earns nothing before the
forecast starts: ramp steps dated earlier become one step on its first day, at the count in
force then (a note says so), and a term over before that day is refused (:class:`DealError`).
A ramp that starts before the as-of date reads as a deal already running, which telemetry
would show: it is weighed (a pipeline deal dated before its run is too) but with a warning
on the CLI's headline, the page's first card and the first note
(:attr:`WhatIf.ramp_warning`), saying what was weighed instead: a customer the forecast knows
is floored (only GPUs beyond what it runs are added), one it does not know adds its ramp in
full, counted twice if it already runs under another name.

**What the headline carries.** Beside the extra capex, the capital of the plan's orders the
triggers' re-run with the deal places sooner, said as a re-plan and not the deal's capital,
the most days sooner and the first of them due (:attr:`WhatIf.sooner_note`; the demo's
us-east deal read "$84.5M" alone while it pulled $2,918.4M of orders up to 426 days sooner,
7 GB200 cells past their site's ceiling among them); where an order is
not sized, "MW not measured" beside the capex, never "0.0 MW". The blocks of the plan with the
deal in service before the deal holds a GPU, beyond the plan without it and the triggers'
buffer, are said with their capital, how long and why (:attr:`WhatIf.early_note`); a first
order smaller with the deal than without says why in a note (its sizing window ends sooner).

**A region without telemetry.** A deal in a region of the plan with blocks but no telemetry
is weighed on its own GPUs alone (the region's pools carry zero without it). What the region
already runs is not known, so where the deal alone would be served the answer, its capital
and the region's statuses read "not judged: no telemetry in <region>" (as `report` judges no
order there); a deal short even alone keeps its verdict, which the region's own demand can
only make worse.

**Revenue against capital.** Revenue is the ramp's GPU-hours served in full within the plan
horizon (its term runs to ``until``) times its price (the class policy's when the deal names
none); the term's hours past the plan's end are priced apart and called not verified, as
nothing checks their service, capital or power. A deal whose ramp runs past the horizon says
so, because capital beyond it is not measured: a step after the plan's end is named in the
extra capex's basis ("to the plan's end (2030-01-31) only: the capital of its steps after it
(2031-01-01: 50,000 GPUs) is not measured"; 1,000 GPUs stepping to 50,000 read "extra capex
$42.2M" beside "$7,481.4M past it: not verified" of revenue).

**Capital: the blocks the deal's own GPUs need, never the re-plan.** The rule, written before
the code (session 51):

1. *What it counts.* The extra capex and MW are the cheapest blocks that serve what the deal
   adds to what its pools lack on the plan without it (:func:`_deal_blocks`): the plan's blocks,
   and every order the triggers place to the plan's end from the day it can serve: as soon as it
   could land if ordered today (a deal that pulls an order forward moves its date, which the
   sooner note says, and does not buy it; on the days after its own arrival the pool holds the
   same either way, so the deal's lack there counts in full), or its site's power where that
   comes later; blocks past a site's ceiling serve nothing. Per pool the deal draws on, the need
   is the most H100-equivalents its lift (requirement at the triggers' quantile, headroom
   included) adds to what the pool lacks on a day it holds GPUs, from when the block type can
   land if ordered today (before that, the verdict's span short, not capital). The block types
   are those orderable in the region that serve the pool and land by the deal's first day (else
   those that land first): a set that does not depend on the deal's size. A training deal's
   training blocks serve its ``all`` pool too, from the day they land (its GPUs run on no rack
   before, so its ``all`` need counts from then), and the count of each is chosen together, the
   cheapest pair. Every plan that serves a larger deal serves a smaller one, so the capital
   never falls as the deal grows.

   *What it pulls.* Counting the plan's orders from as soon as they could land is an
   assumption about the plan, not a measure of it: where the deal's own blocks cover what it
   adds only because an order is counted before the day the plan has it serving (its arrival,
   or its power), the deal needs that order sooner. Those orders are measured, never left in
   a bare figure (:func:`_pulled_orders`, :attr:`WhatIf.pulled_orders`): on the plan's orders
   counted from the day they serve, net of the deal's own blocks, each order whose window
   before that day holds a day the deal's pool still lacks GPUs is needed from the first such
   day, ordered its lead time before (never before the as-of date). The extra capex's basis
   says them beside the figure, on the CLI's headline, the page's card and the finance page's
   pipeline row: "no block beyond the plan's; orders of the plan this deal needs sooner (1
   order, $368.6M): eu-west all 1 x cell-gb200-8192: in service for September 2028 ...
   instead of 2028-09-03, ordered by 2026-12-11 instead of 2026-12-13 to land by the 1st" (it read
   "extra capex $0 (its own GPUs need no block of their own)" for 50 to 1,000 eu-west
   inference GPUs). A day needed on a monthly row is its month (its peak, on no known day,
   counted from the 1st). The figure stays the blocks' capital: what pulling an order costs
   (its capital held longer) is not priced. This is the capital rule's own pull; the triggers'
   re-run may serve the deal otherwise (a larger order, another date), which the sooner note
   and the re-plan note say as the re-run's: "the triggers re-run with the deal move $566.0M
   of the plan's orders sooner, ...: a re-plan, not the deal's capital". (1,000 eu-west
   inference GPUs read "it needs 2 of the plan's orders ($960.0M) sooner" beside "it moves
   $566.0M of the plan's orders sooner", two unlabelled "sooner" figures on one headline.)
2. *The re-plan is said, not counted.* The triggers re-run with the deal re-choose, re-date,
   re-size and re-site the plan's later orders (a later generation bridged to, a cheaper
   plan, dates moved by power), which jump with demand either way: the difference of the two
   runs' orders to the plan's end (``order_placements``, as the finance page prices the plan)
   is :attr:`WhatIf.replan_note` and the page's orders table, never the extra capex. Taken
   as the cheaper of the two, it read a 1,500-GPU us-west inference deal $0 beside $42.2M for
   1,000 GPUs (its re-plan $143.6M cheaper than the plan), and a 100-GPU us-east training deal
   $8.4M (one rack) where the re-run does not serve it at all.
3. *Blocks past a ceiling.* The deal's blocks take the MW its region's sites have left under
   their ceilings once the plan without it is placed (its blocks and orders, those past a
   ceiling first: they already wait for a new site), training blocks first. What does not
   fit needs a new site, which capacity.toml does not declare: those blocks' own capex stays
   in the extra capex, and so do their MW (cooling included) priced at the dearest
   ``cost_per_mw_usd`` of the region's sites, named with the figure as an assumption (a
   greenfield MW costs no less than an existing site's; the demo's sites all read $11.0M per
   MW). The figure is then a lower bound (``CapexBound.NEW_SITE``: "at least $X"): the new
   site's own cost per MW and when it could be built are not in the plan. The basis names
   them ("N x K ($B of blocks) past the ceilings of <region>'s sites: a new site is needed,
   which capacity.toml does not price; its M MW priced at $11.0M per MW (every <region>
   site's cost per MW), an assumption: $Y; ..."); where no site of the region prices
   a MW it says "not costed" and the MW count $0. They are never left out of the total as
   if free, and a plan that passes a ceiling never reads cheaper than one that does not. (It
   read "at least $X (... not costed)", the new site's MW at $0, though capacity.toml
   prices every site's MW.)
   Where the region declares a ``[[new_site]]`` (capacity.toml), its ``cost_per_mw_usd``
   prices those MW instead, said as declared, not an assumption, the figure is no bound on
   that account, and the basis says from when a new site started today could power them (the
   as-of day plus its ``build_months``), where it said that was not in the plan.
4. *Power under the ceilings.* The deal's blocks that fit under the ceilings still draw MW the
   plan may not have: per site, what the plan without it secures (energized steps and the
   contract, counted as the power triggers count them) beyond what its own blocks and orders
   need on every day from the deal's first short day is spare and costs nothing; every MW past
   that is power the site must contract beyond the plan's (a day the plan is short already is
   its own power trigger's to contract, and the deal's MW come on top), priced at that site's
   ``cost_per_mw_usd`` and in the extra capex (:func:`_deal_power`, :attr:`WhatIf.deal_power`).
   The MW go where spare first, then to the cheapest power. The basis itemizes them beside the
   blocks, per site, with the first day the site is short of them and the contract-by date its
   power lead time and the triggers' buffer give, or when power contracted today is energized
   where that date has passed, and ends "so $X of blocks and $Y of power". A site whose cost
   per MW is 0, and a region with no ``[[site]]`` (no power checked), are said not priced
   beside the figure. (A 1,000-GPU us-west inference deal read "extra capex $42.2M" for 5
   racks whose 1.9 MW us-west's sites, short of power without it, had to contract beyond the
   plan's: $18.6M more; and 20,000 GPUs priced the MW of the one rack past the ceilings,
   $4.2M, and none of the 95 racks' under them, $398.7M.)

The ``all`` pool's later orders count the training pool's orders as the triggers count them
(:mod:`forecasting.triggers.orders`, "Later orders"): only the blocks that run, under their
site's ceiling, from when their power runs them, as finally placed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from forecasting import hierarchy
from forecasting.calendar import month_end
from forecasting.capacity import NOT_JUDGED, CapacityPlan, not_judged_in, site_power_timeline
from forecasting.contracts import (
    Contract,
    ContractBook,
    ContractStatus,
    Step,
    floor_lift,
    ramp_steps,
)
from forecasting.schema import Measure, WorkloadClass
from forecasting.text import CAPEX_NOT_SIZED, CapexBound, days_count, usd
from forecasting.triggers import (
    TriggerResult,
    TriggerSettings,
    daily_end_of,
    expansion_triggers,
    pool_requirements,
)

# The triggers' MW tolerance: one rule for when an order's site powers it (it was 0.05 MW
# here, and a 0.004 MW deficit read powered).
from forecasting.triggers.common import (
    _TOL,
    NEW_SITE,
    NO_ORDER_BY,
    months_before,
    reach_to_size,
)

__all__ = [
    "DEAL_BLOCKS_SCHEMA",
    "DEAL_ID",
    "DEAL_POWER_SCHEMA",
    "ORDERS_SCHEMA",
    "PIPELINE_SCHEMA",
    "PLAN_SHORT_TOO",
    "PULLED_SCHEMA",
    "REPLANNED",
    "REVENUE_ANYWAY",
    "DealError",
    "WhatIf",
    "deal_blocks_text",
    "deal_contract",
    "deal_power_text",
    "extra_mw_text",
    "no_block_type",
    "past_ceiling_text",
    "pipeline_if_signed",
    "pulled_text",
    "what_if",
    "with_deal",
    "with_region_levels",
    "without_pipeline_deal",
]

DEAL_ID = "what-if"
# Beside the verdict where the plan is short without the deal too (WhatIf.baseline_note): the
# CLI's headline and the page's card say it alike.
PLAN_SHORT_TOO = "the plan is short without it too"
# Leads the note on the plan's re-chosen orders (WhatIf.replan_note), which the CLI and the
# pages print apart from the deal's capex.
REPLANNED = "the plan re-chose its later orders"
# Beside a deal's revenue where its ramp is at or below the customer's own forecast.
REVENUE_ANYWAY = "for GPUs the customer is forecast to run anyway: the ramp adds none"
ORDERS_SCHEMA = pl.Schema(
    {
        "region": pl.String(),
        "pool": pl.String(),
        "status_without": pl.String(),
        "status_with": pl.String(),
        "exhaustion_without": pl.Date(),
        "exhaustion_with": pl.Date(),
        "candidate": pl.String(),
        # The trigger's block without the deal, where another (a cell without it, pods with
        # it: "1 -> 4 x pod-h100-1024" read the cell as a pod).
        "candidate_without": pl.String(),
        "order_by_without": pl.Date(),  # the trigger's order-by date without the deal
        "order_by": pl.Date(),
        "arrives": pl.Date(),
        "blocks_without": pl.Int64(),
        "blocks_with": pl.Int64(),
        # Every order of the pool to the plan's end (the trigger's and the later ones).
        "capex_without_usd": pl.Float64(),
        "capex_with_usd": pl.Float64(),
        "extra_capex_usd": pl.Float64(),
        "extra_mw": pl.Float64(),
        "note": pl.String(),
    }
)

DEAL_BLOCKS_SCHEMA = pl.Schema(
    {
        "region": pl.String(),
        "pool": pl.String(),
        "candidate": pl.String(),
        # The most H100-equivalents the deal adds to what its pool lacks on the plan without
        # it, on any day it holds GPUs (requirement at the triggers' quantile, headroom
        # included), net of the GPUs of the deal's blocks of another pool that serve it.
        "lacking_gpus": pl.Float64(),
        "blocks": pl.Int64(),
        "capex_usd": pl.Float64(),
        "mw": pl.Float64(),
        # Of ``blocks``, those the region's sites cannot hold under their ceilings once the
        # plan without the deal is placed: a new site is needed, which the plan does not
        # price; their capex stays in ``capex_usd`` (module docstring, "Capital", 3).
        "blocks_beyond_ceiling": pl.Int64(),
        # The MW of those blocks, which a new site must hold, and their cost at the dearest
        # cost per MW of the region's sites (``cost_per_mw_usd``, whose it is in
        # ``cost_basis``): capacity.toml declares no new site, so that is an assumption, said
        # with the figure ("Capital", 3). 0 and null where none is past a ceiling, or no site
        # of the region prices a MW.
        "new_site_mw": pl.Float64(),
        "new_site_usd": pl.Float64(),
        "cost_basis": pl.String(),
        "cost_per_mw_usd": pl.Float64(),
        # Where the region declares a [[new_site]], its cost per MW prices them (declared, not
        # assumed) and this is when a new site started on the as-of day could power them (its
        # build_months later); null otherwise: when is then not in the plan.
        "new_site_from": pl.Date(),
        # Of the MW of the blocks under the ceilings, those the sites must contract beyond
        # what the plan secures or contracts for its own blocks, and their cost at each site's
        # cost per MW (DEAL_POWER_SCHEMA per site; a pool's share by its blocks' MW): in the
        # extra capex ("Capital", 4). It read $0, as if the plan's power carried them.
        "power_mw": pl.Float64(),
        "power_usd": pl.Float64(),
    }
)

# The power the deal's own blocks need under the site ceilings beyond what the plan already
# secures or must contract for its own blocks (module docstring, "Capital", 4): one row per
# site, its MW priced at the site's ``cost_per_mw_usd`` (``usd`` null where that is 0: not
# priced), the first day the site is short of it (``needed``) and the contract-by date the
# site's power lead time and the triggers' buffer give (``contract_by``); ``energized_from``
# is when power contracted today is energized where that date has passed (null otherwise).
DEAL_POWER_SCHEMA = pl.Schema(
    {
        "region": pl.String(),
        "site": pl.String(),
        "mw": pl.Float64(),
        "cost_per_mw_usd": pl.Float64(),
        "usd": pl.Float64(),
        "needed": pl.Date(),
        "contract_by": pl.Date(),
        "power_lead_months": pl.Int64(),
        "energized_from": pl.Date(),
    }
)

# The plan's orders the deal's own blocks rely on landing sooner than the plan lands them
# (module docstring, "Capital", 1): one row per order, its capital and dates as the plan has
# them (``order_by``, ``in_service``: its arrival, or its power) and as the deal needs them.
PULLED_SCHEMA = pl.Schema(
    {
        "region": pl.String(),
        "pool": pl.String(),
        "candidate": pl.String(),
        "blocks": pl.Int64(),
        "capex_usd": pl.Float64(),
        "order_by": pl.Date(),
        "order_by_needed": pl.Date(),
        "in_service": pl.Date(),
        "needed": pl.Date(),
    }
)

_VALUES = ("mean", "q10", "q50", "q90", "q99")
_USD_TOL = 0.5  # dollars: a pool's capital moves when it moves by more than rounding
_MW_TOL = 1e-3  # MW: a kilowatt past a ceiling is rounding, not a site short


class DealError(ValueError):
    """The deal cannot be weighed against this plan and forecast; the message says why and
    what to change (a region the plan lacks, a term over before the forecast starts)."""


_ASSUMED_TERM = "no end given: the term is taken to end five years after the last ramp step"


def deal_contract(
    *,
    customer: str,
    workload_class: str,
    region: str,
    ramp: str,
    until: date | None = None,
    price_per_gpu_hour: float | None = None,
) -> Contract:
    """The deal as a signed contract; ``ramp`` is ``2027-03-01:5000,2027-09-01:20000``.

    Without ``until`` the term runs to the last ramp day plus five years (a typical GPU
    reservation), which the answer states. Bad input raises ContractRuleError naming the field.
    """
    steps: tuple[Step, ...] = ramp_steps(ramp)
    end = until if until is not None else _years_after(steps[-1].day if steps else date.min, 5)
    return Contract(
        id=DEAL_ID,
        customer=customer,
        workload_class=WorkloadClass(workload_class),
        region=region,
        ramp=steps,
        term_end=end,
        status=ContractStatus.SIGNED,
        price_per_gpu_hour=price_per_gpu_hour,
        description=None if until is not None else _ASSUMED_TERM,
    )


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _grain(forecast: pl.DataFrame) -> pl.Expr:
    return pl.col("grain") if "grain" in forecast.columns else pl.lit("day")


def _ramp_by_row(forecast: pl.DataFrame, contracts: Sequence[Contract]) -> pl.DataFrame:
    """(ds, grain, ramp, ramp_days): the contracts' GPUs together on each daily row, their
    largest in a monthly row's month (a peak-measure month is its peak day), and each day's
    (``ramp_days``: a mean-measure month is its average day)."""
    rows = forecast.select("ds", _grain(forecast).alias("grain")).unique()

    def held(day: date) -> float:
        return float(sum(c.gpus_on(day) for c in contracts))

    by_day = []
    for ds, grain in rows.iter_rows():
        if grain == "month":
            last = month_end(ds)
            by_day.append([held(ds + timedelta(days=d)) for d in range((last - ds).days + 1)])
        else:
            by_day.append([held(ds)])
    days = pl.Series("ramp_days", by_day, dtype=pl.List(pl.Float64))
    return rows.with_columns(days, days.list.max().alias("ramp"))


def with_region_levels(forecast: pl.DataFrame, deal: Contract) -> pl.DataFrame:
    """``forecast`` with zero demand rows for the deal's region and region-class levels where
    it has none (a region the plan has but telemetry does not), at every (ds, measure, grain)
    of the forecast; unchanged where both exist.

    Without them the deal's demand reached no pool: 100,000 training GPUs in a region with one
    dark 64-GPU rack read "served from its first day ... needs no extra block". With them the
    region's pools carry nothing without the deal and the ramp alone with it, and the triggers
    weigh it against the region's blocks, sites and candidates like any other."""
    names = hierarchy.levels_of(deal.unique_id)
    missing = [
        uid
        for uid in (hierarchy.id_of(*names[:1]), hierarchy.id_of(*names[:2]))
        if forecast.filter(pl.col("unique_id") == uid).is_empty()
    ]
    if not missing:
        return forecast
    values = [c for c in _VALUES if c in forecast.columns]
    keys = [c for c in ("run_id", "ds", "measure", "grain") if c in forecast.columns]
    frame = forecast.select(keys).unique()
    zeros = pl.concat(
        [
            frame.with_columns(
                pl.lit(uid).alias("unique_id"),
                pl.lit("none: no telemetry in the region").alias("model"),
                *(pl.lit(0.0).alias(v) for v in values),
            )
            for uid in missing
        ]
    )
    return pl.concat([forecast, zeros.select(forecast.columns).cast(forecast.schema)])


def with_deal(
    forecast: pl.DataFrame,
    deal: Contract,
    *,
    book: ContractBook | None = None,
    incremental: bool = False,
) -> pl.DataFrame:
    """``forecast`` (FORECAST_SCHEMA rows, optional ``grain``) with the deal as signed demand.

    See the module docstring: the floor on the deal's own series, the same lift on every
    level above it, quantile by quantile, and a new series when the customer is unknown.
    ``book``'s signed contracts on the same series (already floors in ``forecast``) add up
    with the deal into one floor, so an expansion lifts demand above what is signed.
    ``incremental``: the deal is a pipeline deal signing on every path, its ramp added on
    top of the series' demand (floors included) at every quantile, as the book adds a
    pipeline deal where it signs (:mod:`forecasting.contracts`), not a floor under it.
    """
    own_id = deal.unique_id
    names = hierarchy.levels_of(own_id)
    ancestors = [hierarchy.id_of(*names[:depth]) for depth in (0, 1, 2)]
    values = [c for c in _VALUES if c in forecast.columns]
    signed = [
        c
        for c in (book.signed if book is not None and not incremental else ())
        if c.unique_id == own_id and c.id != deal.id
    ]
    ramp = _ramp_by_row(forecast, [*signed, deal])
    grain = _grain(forecast)
    keys = ["ds", "measure", "grain"]
    framed = forecast.with_columns(grain.alias("grain"))
    own_daily = framed.filter((pl.col("unique_id") == own_id) & (pl.col("grain") == "day"))
    own_monthly = framed.filter((pl.col("unique_id") == own_id) & (pl.col("grain") == "month"))
    # Past the daily rows a customer without monthly rows is held at its last daily forecast.
    held = (
        own_daily.sort("ds")
        .group_by("measure")
        .agg(pl.col(v).last() for v in values)
        .join(
            framed.filter(pl.col("grain") == "month").select("ds", "measure").unique(), on="measure"
        )
        .with_columns(pl.lit("month").alias("grain"))
        .join(own_monthly.select("ds", "measure"), on=["ds", "measure"], how="anti")
    )
    own = pl.concat(
        [
            own_daily.select(*keys, *values),
            own_monthly.select(*keys, *values),
            held.select(*keys, *values),
        ]
    )
    rows = framed.select(*keys).unique().join(ramp, on=["ds", "grain"])
    rows = rows.join(own, on=keys, how="left")
    average_day = (pl.col("measure") == Measure.MEAN.value) & (pl.col("grain") == "month")
    # A month's average day is lifted day by day, then averaged: a ramp from mid-month lifts
    # half of it (its largest count would lift the whole month).
    lifts = pl.concat(
        [
            rows.filter(~average_day).select(
                *keys,
                *(
                    (pl.col("ramp") if incremental else floor_lift(v, "ramp")).alias(f"lift_{v}")
                    for v in values
                ),
            ),
            rows.filter(average_day)
            .explode("ramp_days")
            .group_by(keys)
            .agg(
                (pl.col("ramp_days") if incremental else floor_lift(v, "ramp_days"))
                .mean()
                .alias(f"lift_{v}")
                for v in values
            ),
        ]
    )
    touched = pl.col("unique_id").is_in([*ancestors, own_id])
    lifted = (
        framed.join(lifts, on=keys, how="left")
        .with_columns(
            pl.when(touched)
            .then(pl.col(v) + pl.col(f"lift_{v}").fill_null(0.0))
            .otherwise(pl.col(v))
            for v in values
        )
        .drop([f"lift_{v}" for v in values])
    )
    if own_daily.height == 0:
        # Monthly rows too: in a region with a dedicated block the shared pool's peak is
        # bounded by its customers' own peaks, monthly rows included, and a new customer with
        # daily rows only fell out of that bound past them (100,000 training GPUs in us-east
        # from January read "needs no extra block" at $0).
        new_rows = lifts.select(
            pl.lit(own_id).alias("unique_id"),
            *keys,
            pl.lit("contract").alias("model"),
            *(pl.col(f"lift_{v}").alias(v) for v in values),
        ).filter(pl.col("mean") > 0)
        lifted = pl.concat([lifted, new_rows], how="diagonal_relaxed")
    out = lifted.select(forecast.columns)
    return out.cast(forecast.schema)


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
    # paths), no direction where the deal steps up past them (see _concentration_line).
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
    # verdict does not count ('' when none): see _baseline_note.
    baseline_note: str = ""
    # Where an order of the deal's pools is not sized, with or without the deal: what that
    # makes of the extra capex and how far ahead to forecast to size it ('' when every order
    # is sized; see _not_sized_note), and the "region/pool" keys of those pools, with the deal
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
    # CLI's headline and the page's cards ('' where none): see _sooner_note.
    sooner_note: str = ""
    # The blocks in service before the deal holds a GPU, beyond the plan without it: how many,
    # their capital, for how long, and why then ('' where none): see _early_blocks_note.
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


def _unwatched_orders(orders: pl.DataFrame, region: str) -> pl.DataFrame:
    """``orders`` with ``region``'s statuses not judged where it has no telemetry: weighed on
    zero demand without the deal, and on the deal alone with it (read green "without the
    deal", "q90 requirement stays within capacity" where `report` judges nothing). Red with
    the deal stays red: the region's own demand can only add to it."""
    here = pl.col("region") == region
    red = pl.col("status_with") == "red"
    unknown = f"what {region} already runs is not known"
    reason = (
        pl.when(red)
        .then(pl.lit(f"no telemetry in {region}: {unknown} and can only add to it; "))
        .otherwise(pl.lit(f"{not_judged_in([region])}: {unknown}; "))
    )
    return orders.with_columns(
        status_without=pl.when(here).then(pl.lit(NOT_JUDGED)).otherwise("status_without"),
        status_with=pl.when(here & ~red).then(pl.lit(NOT_JUDGED)).otherwise("status_with"),
        note=pl.when(here)
        .then(
            pl.concat_str(
                reason, pl.lit("on the deal's GPUs alone: "), pl.col("note").fill_null("")
            )
        )
        .otherwise("note"),
    )


def _every_order(result: TriggerResult) -> pl.DataFrame:
    """Per (region, pool): capex and MW of every order of the plan to its end."""
    return result.placements.group_by("region", "pool").agg(
        pl.col("capex_usd").sum().alias("capex_all"), pl.col("mw").sum().alias("mw_all")
    )


def _orders(without: TriggerResult, with_: TriggerResult) -> pl.DataFrame:
    """Per (region, pool): status, exhaustion and the trigger's blocks without and with the
    deal, and the capex and MW of every order to the plan's end."""
    cols = ["region", "pool", "status", "exhaustion_date", "order_by", "blocks_to_order",
            "candidate"]  # fmt: skip
    keys = ["region", "pool"]
    joined = (
        with_.triggers.join(without.triggers.select(cols), on=keys, how="left", suffix="_without")
        .join(_every_order(with_), on=keys, how="left")
        .join(_every_order(without), on=keys, how="left", suffix="_without")
        .with_columns(
            pl.col("capex_all", "mw_all", "capex_all_without", "mw_all_without").fill_null(0.0)
        )
    )
    return joined.select(
        "region",
        "pool",
        pl.col("status_without"),
        pl.col("status").alias("status_with"),
        pl.col("exhaustion_date_without").alias("exhaustion_without"),
        pl.col("exhaustion_date").alias("exhaustion_with"),
        "candidate",
        "candidate_without",
        "order_by_without",
        "order_by",
        "arrives",
        pl.col("blocks_to_order_without").fill_null(0).alias("blocks_without"),
        pl.col("blocks_to_order").fill_null(0).alias("blocks_with"),
        pl.col("capex_all_without").alias("capex_without_usd"),
        pl.col("capex_all").alias("capex_with_usd"),
        (pl.col("capex_all") - pl.col("capex_all_without")).alias("extra_capex_usd"),
        (pl.col("mw_all") - pl.col("mw_all_without")).alias("extra_mw"),
        "note",
    ).cast(ORDERS_SCHEMA)


class _NotSized(NamedTuple):
    """What :func:`_not_sized_note` finds: the note, the bound the extra capex is (None and
    '' where every order is sized), and the "region/pool" keys of the pools whose order is not
    sized, with the deal and without it."""

    note: str = ""
    bound: CapexBound | None = None
    with_: tuple[str, ...] = ()
    without: tuple[str, ...] = ()


# Why the extra capex is each bound, after the bound's own words in the note.
_BOUND_WHY: dict[CapexBound, str] = {
    CapexBound.LOWER: "an order with the deal is not sized, so the capital it adds is at least "
    "this",
    CapexBound.UPPER: "the plan's own order without the deal is not sized, so the capital the "
    "deal adds is at most this",
    CapexBound.NEITHER: "orders with and without the deal are not sized",
}


def _not_sized_note(
    without: pl.DataFrame, with_: pl.DataFrame, deal: Contract, *, as_of: date
) -> _NotSized:
    """What the extra capex is where a trigger of the deal's pools (``without``, ``with_``:
    TRIGGERS rows) orders a block the forecast ends before (``triggers.orders.NOT_SIZED``: no
    size or capex): the note, the bound, and the "region/pool" keys of those pools with the
    deal and without it (all empty when every order is sized).

    Such an order counts $0 in its side's capital, so "plan with the deal minus plan without"
    read a deal whose only order is not sized as "$0 extra capital: signing adds no order",
    with nothing saying the order was never sized. Unsized with the deal only, the figure is
    a lower bound; without it only, an upper bound; on both sides, neither.
    """

    def unsized(triggers: pl.DataFrame) -> pl.DataFrame:
        return _deal_pools(triggers, deal).filter(
            pl.col("blocks_to_order").is_null() & pl.col("candidate").is_not_null()
        )

    with_rows, without_rows = unsized(with_), unsized(without)
    if with_rows.is_empty() and without_rows.is_empty():
        return _NotSized()
    bound = (
        CapexBound.NEITHER
        if with_rows.height and without_rows.height
        else CapexBound.LOWER
        if with_rows.height
        else CapexBound.UPPER
    )
    parts = [
        f"{r['region']}/{r['pool']} {side} ({r['candidate']}, landing {r['arrives']}: "
        f"{reach_to_size(r['arrives'], as_of=as_of)})"
        for side, rows in (("with the deal", with_rows), ("without it", without_rows))
        for r in rows.iter_rows(named=True)
    ]

    def keys(rows: pl.DataFrame) -> tuple[str, ...]:
        return tuple(f"{r}/{p}" for r, p in rows.select("region", "pool").iter_rows())

    return _NotSized(
        f"{CAPEX_NOT_SIZED}: {bound}: {_BOUND_WHY[bound]}; not sized (the forecast ends before "
        "the order lands): " + "; ".join(parts),
        bound,
        keys(with_rows),
        keys(without_rows),
    )


def _deal_pools(orders: pl.DataFrame, deal: Contract) -> pl.DataFrame:
    """The ORDERS rows of the pools the deal draws on: its region's all-classes pool, and the
    training pool too for a training deal."""
    region = orders.filter(pl.col("region") == deal.region)
    if deal.workload_class is not WorkloadClass.TRAINING:
        region = region.filter(pl.col("pool") == "all")
    return region


def no_block_type(order: Mapping[str, Any]) -> bool:
    """Whether an ORDERS row is a pool short with the deal that no block type can be ordered
    for: its "$0" of orders re-planned is nothing measured, not nothing to buy (a ServeGen
    training deal's row read "every order re-planned $0" where only racks can be ordered)."""
    return order["candidate"] is None and order["exhaustion_with"] is not None


def _unservable_pools(orders: pl.DataFrame, deal: Contract) -> list[str]:
    """The deal's pools ("region pool") short with it that no block type can serve: the blocks
    its own GPUs need there are not measured, and another pool's block is not theirs (a
    training deal read "the blocks its own GPUs need: 9 x rack-c for r2 all", racks that host
    no training)."""
    return [
        f"{r['region']} {r['pool']}"
        for r in _deal_pools(orders, deal).iter_rows(named=True)
        if no_block_type(r)
    ]


def _late_orders(
    orders: pl.DataFrame,
    placements: pl.DataFrame,
    deal: Contract,
    *,
    worse: pl.Series | None = None,
) -> pl.DataFrame:
    """The orders of the deal's pools, with the deal, that are in service only after their
    pool runs short even if ordered today: the triggers' red rows (``orders``) and the red
    later orders of the plan (``placements``, tranche 2 on: a deal read "served from its first
    day" while a later order of its pool landed 14 months after its shortfall). A red order
    that arrives in time but waits for its site's power is :func:`_powered_from`'s to judge.
    ``worse`` (:func:`_worse_days`): only the days the deal adds to its pools' shortfall count,
    each order's wait starting on the first of them (None: every day counts).
    Columns: region, pool, arrives (null: no candidate serves the pool), exhaustion_with."""
    # An order waiting for its site's power is dated to land with it (triggers.orders.
    # _with_its_power): its wait is the power's (_power_waits), which runs past its arrival,
    # not blocks "ordered today" landing late (the note read "short of blocks until
    # 2026-11-04, when blocks ordered today are in service" of racks due in August).
    waiting = ~pl.col("powered").fill_null(True) & pl.col("site").is_not_null()
    dated = placements.filter(waiting & (pl.col("tranche").fill_null(1) == 1))
    first = (
        _deal_pools(orders, deal)
        .filter(pl.col("status_with") == "red")
        .join(dated.select("region", "pool").unique(), on=["region", "pool"], how="anti")
    )
    later = _deal_pools(
        placements.filter((pl.col("tranche") > 1) & (pl.col("status") == "red") & ~waiting), deal
    ).select("region", "pool", "arrives", exhaustion_with=pl.col("exhaustion_date"))
    late = pl.concat([first.select(later.columns), later], how="vertical_relaxed").filter(
        pl.col("arrives").is_null()
        | pl.col("exhaustion_with").is_null()
        | (pl.col("arrives") > pl.col("exhaustion_with"))
    )
    return late if worse is None else _added(late, worse, until="arrives")


def _added(gaps: pl.DataFrame, worse: pl.Series, *, until: str) -> pl.DataFrame:
    """The waits of ``gaps`` (each short from ``exhaustion_with`` until ``until``; null: not
    within the plan) that hold a day the deal adds to its pools' shortfall (``worse``), each
    starting on the first such day. A wait on days the plan is short by the same GPUs without
    the deal is the plan's (:func:`_baseline_note`), not the deal's. A wait without a start
    (no shortfall date) is kept: nothing says it is the plan's."""
    if gaps.is_empty():
        return gaps
    undated = gaps.filter(pl.col("exhaustion_with").is_null())
    days = pl.DataFrame({"worse_from": worse}, schema={"worse_from": pl.Date()}).sort("worse_from")
    dated = (
        gaps.filter(pl.col("exhaustion_with").is_not_null())
        .sort("exhaustion_with")
        .join_asof(days, left_on="exhaustion_with", right_on="worse_from", strategy="forward")
        .filter(
            pl.col("worse_from").is_not_null()
            & (pl.col(until).is_null() | (pl.col("worse_from") < pl.col(until)))
        )
        .with_columns(exhaustion_with=pl.col("worse_from"))
        .drop("worse_from")
    )
    return pl.concat([dated, undated.select(dated.columns)])


def _serve_from(
    orders: pl.DataFrame,
    deal: Contract,
    *,
    horizon_end: date,
    forecast: pl.DataFrame,
    placements: pl.DataFrame,
    worse: pl.Series | None = None,
) -> tuple[date | None, str]:
    """The first day the deal is served in full, and why (see the module docstring); only the
    days the deal adds to its pools' shortfall count where ``worse`` is given."""
    first = deal.ramp[0].day
    region = _deal_pools(orders, deal)
    short = _late_orders(orders, placements, deal, worse=worse)
    if short.height == 0:
        if (region["extra_capex_usd"].abs() > _USD_TOL).any() or (
            region["blocks_with"] != region["blocks_without"]
        ).any():
            return (
                first,
                "served from its first ramp day: every order it needs can still arrive in time",
            )
        sooner = region.filter(pl.col("order_by") < pl.col("order_by_without"))
        if sooner.height:
            # No extra block, but the one already planned is due sooner: "on the capacity
            # already planned" hid a $368.6M order pulled forward to ten days away.
            moved = "; ".join(
                f"{r['region']}/{r['pool']} {r['order_by_without']} -> {r['order_by']}"
                for r in sooner.iter_rows(named=True)
            )
            return first, (
                "served from its first ramp day with no extra block, but the orders already "
                f"planned are due sooner ({moved})"
            )
        return first, (
            "served from its first ramp day on the capacity already planned: it needs no "
            "extra block"
        )
    if short.filter(pl.col("arrives").is_null()).height:
        pools = ", ".join(short.filter(pl.col("arrives").is_null())["pool"].to_list())
        return None, f"not within the horizon: no candidate block can serve the {pools} pool"
    arrival: date = short["arrives"].max()  # type: ignore[assignment]
    exhaustion: date = short["exhaustion_with"].min()  # type: ignore[assignment]
    day = max(arrival, first)
    if day > horizon_end:
        return None, f"not within the horizon (blocks ordered today arrive {arrival})"
    if exhaustion > first:
        return day, (
            f"served from its first ramp day on the capacity planned until the shortfall from "
            f"{_day_or_month(exhaustion, forecast)}, then short until blocks ordered today are "
            f"in service on {arrival}: in full again from {day}"
        )
    return day, (
        f"short from {exhaustion}: blocks ordered today are in service on {arrival}, "
        f"so the deal is served in full from {day}"
    )


def _short_day(
    orders: pl.DataFrame,
    deal: Contract,
    serve_from: date | None,
    placements: pl.DataFrame,
    *,
    waits: pl.DataFrame | None = None,
    worse: pl.Series | None = None,
) -> date | None:
    """When the deal goes short, if it is served from its first ramp day until then and in
    full again only from ``serve_from``; None when it is served throughout, or short from its
    first day. The pools whose orders land after their shortfall, or wait for power past it
    (``waits``), go short first; else every pool the deal draws on. ``worse``: only the days
    the deal adds to its pools' shortfall count (:func:`_worse_days`)."""
    first = deal.ramp[0].day
    if serve_from is None or serve_from <= first:
        return None
    late = _late_orders(orders, placements, deal, worse=worse).get_column("exhaustion_with")
    if waits is not None:
        late = pl.concat([late, waits.get_column("exhaustion_with")])
    short = (late if late.len() else _deal_pools(orders, deal)["exhaustion_with"]).drop_nulls()
    day = short.min() if short.len() else None
    return day if isinstance(day, date) and day > first else None


def _short_from(
    orders: pl.DataFrame,
    deal: Contract,
    serve_from: date | None,
    forecast: pl.DataFrame,
    placements: pl.DataFrame,
    *,
    waits: pl.DataFrame | None = None,
) -> str | None:
    """:func:`_short_day` as the tables read it: the day, or its month on the plan's monthly
    rows (whose first day would read as a measured date)."""
    day = _short_day(orders, deal, serve_from, placements, waits=waits)
    return None if day is None else _day_or_month(day, forecast)


def _merged(short: Sequence[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """Spans short (first day, first day served again; None: never), overlapping ones merged
    (a late order and a wait for power can cover the same days)."""
    merged: list[tuple[date, date | None]] = []
    for begin, end in sorted(short, key=lambda span: span[0]):
        if merged and (merged[-1][1] is None or begin <= merged[-1][1]):
            last = merged[-1][1]
            merged[-1] = (merged[-1][0], None if last is None or end is None else max(last, end))
        else:
            merged.append((begin, end))
    return merged


def _spans(short: Sequence[tuple[date, date | None]], *, after: date) -> int:
    """How many separate spans the deal is short in, once overlapping ones are merged, among
    those that end after ``after`` (the ramp's first day)."""
    return sum(1 for _, end in _merged(short) if end is None or end > after)


def _day_or_month(day: date, forecast: pl.DataFrame) -> str:
    """``day``, or its month past the forecast's daily rows (a monthly row's first day is no
    date); the same rule as the tables' (:attr:`WhatIf.daily_end`)."""
    end = daily_end_of(forecast)
    return f"{day:%B %Y}" if end is not None and day > end else str(day)


_GPU_TOL = 0.5  # H100-equivalents: half a GPU lacking is rounding, not a GPU short


def _added_by(orders: pl.DataFrame, day: str) -> pl.DataFrame:
    """(``day``, added): the H100-equivalents ``orders`` add (their ``added`` column), summed
    up to each of their ``day`` column's dates."""
    return (
        orders.group_by(day)
        .agg(pl.col("added").sum())
        .sort(day)
        .select(day, added=pl.col("added").cum_sum())
    )


def _lacking(
    frame: pl.DataFrame,
    result: TriggerResult,
    plan: CapacityPlan,
    deal: Contract,
    *,
    as_of: date,
    settings: TriggerSettings,
    timeline: pl.DataFrame,
) -> pl.DataFrame:
    """(pool, ds, lacking): per pool the deal draws on and day, the H100-equivalents its
    requirement (``frame`` at the triggers' quantile, headroom included) exceeds what is in
    service: the plan's blocks, and the orders of ``result`` from the day each serves (its
    arrival, or its power: :func:`_usable_orders`; never where nothing powers it, so only the
    blocks of an order under its site's ceiling, never those past it). Every order
    of the region serves ``all``; only the training pool's serve ``training``, as the
    triggers count them."""
    need = _deal_pools(
        pool_requirements(frame, plan, as_of=as_of, column=settings.quantile), deal
    ).sort("ds")
    units = {c.name: c.gpus * plan.h100_equivalent(c.gpu_type) for c in plan.candidate}
    orders = _usable_orders(
        result.placements, plan, region=deal.region, timeline=timeline, as_of=as_of,
        buffer_weeks=settings.buffer_weeks,
    ).filter(pl.col("usable").is_not_null())  # fmt: skip
    orders = orders.with_columns(
        added=pl.col("blocks") * pl.col("candidate").replace_strict(units, default=0.0)
    )
    parts = []
    for (pool,), rows in need.group_by("pool"):
        serving = orders if pool == "all" else orders.filter(pl.col("pool") == pool)
        added = _added_by(serving, "usable")
        parts.append(
            rows.sort("ds")
            .join_asof(added, left_on="ds", right_on="usable")
            .select(
                "pool",
                "ds",
                lacking=(
                    pl.col("requirement_gpus")
                    - pl.col("capacity_gpus")
                    - pl.col("added").fill_null(0.0)
                ).clip(lower_bound=0.0),
            )
        )
    return (
        pl.concat(parts)
        if parts
        else pl.DataFrame(schema={"pool": pl.String(), "ds": pl.Date(), "lacking": pl.Float64()})
    )


def _deal_candidates(plan: CapacityPlan, deal: Contract, pool: str, *, as_of: date) -> list[Any]:
    """The block types the deal's own GPUs may take in ``pool``: orderable in its region,
    serving the pool (training needs fabric), landing by its first day if ordered today, else
    those that land first. The set does not depend on the deal's size (rule 1 of "Capital")."""
    kinds = [
        c
        for c in plan.candidate
        if c.available_in(deal.region) and (pool == "all" or c.allows(WorkloadClass.TRAINING))
    ]
    if not kinds:
        return []
    lands = {c.name: as_of + timedelta(weeks=c.lead_time_weeks) for c in kinds}
    by = max(deal.ramp[0].day, min(lands.values()))
    return [c for c in kinds if lands[c.name] <= by]


def _under_ceilings(placements: pl.DataFrame, *, region: str) -> tuple[pl.DataFrame, float]:
    """The MW of the plan's orders in ``region`` that its sites hold (site, arrives, mw), and
    the MW of their blocks past a ceiling, which wait for a new site."""
    placed = placements.filter(
        (pl.col("region") == region) & pl.col("site").is_not_null() & (pl.col("blocks") > 0)
    )
    beyond = pl.col("blocks_beyond_ceiling").fill_null(0).clip(0, pl.col("blocks"))
    share = (pl.col("blocks") - beyond) / pl.col("blocks")
    under = placed.select("site", "arrives", mw=pl.col("mw") * share)
    return under, float(placed.select((pl.col("mw") * (1 - share)).sum()).item() or 0.0)


def _deal_power(
    plan: CapacityPlan,
    placements: pl.DataFrame,
    *,
    region: str,
    mw: float,
    needed: date,
    as_of: date,
    end: date,
    buffer_weeks: int,
) -> pl.DataFrame:
    """The power ``mw`` of the deal's blocks under the ceilings of ``region``'s sites needs
    beyond what the plan without it secures or must contract (DEAL_POWER_SCHEMA; rule 4 of
    "Capital"), its blocks in service from ``needed`` to ``end``.

    Per site, on the plan without the deal (its blocks and the orders ``placements`` places
    there under the ceilings), the MW secured that count against each day's need, as the
    power triggers count them (energized that day, or before power contracted today could be,
    by then): what they leave spare on every day from ``needed`` holds the deal's MW at no
    cost; a day the plan is short already is the plan's power trigger's to contract, and the
    deal's MW come on top. The MW go first where spare, then under the ceilings at the
    cheapest cost per MW, the shortest power lead time first among equals (MW counted across
    the region's sites as the ceiling room is, a block not held to one site). A site's MW to
    contract is the most its share adds to what the plan lacks on a day; it is needed on the
    first day the site is short of it, contracted its power lead time and the buffer before
    (``contract_by``), or from today at the earliest where that has passed."""
    sites = sorted((s for s in plan.site if s.region == region), key=lambda s: s.id)
    if mw <= _TOL or not sites:
        return pl.DataFrame(schema=DEAL_POWER_SCHEMA)
    under, _ = _under_ceilings(placements, region=region)
    end = max(end, needed)
    timeline = site_power_timeline(plan, start=needed, end=end, orders=under)
    days: dict[str, tuple[list[date], np.ndarray, np.ndarray]] = {}
    spare: dict[str, float] = {}
    room: dict[str, float] = {}
    for s in sites:
        rows = timeline.filter(pl.col("site") == s.id).sort("ds")
        today = min(
            _contracted_today(as_of, lead_months=s.power_lead_months, buffer_weeks=buffer_weeks),
            end,
        )
        ahead = s.energized_mw_on(today)
        ds = rows["ds"].to_list()
        energized = rows["energized_mw"].to_numpy()
        counted = np.where(np.array(ds) < today, np.maximum(energized, ahead), energized)
        need = rows["mw_needed"].to_numpy()
        days[s.id] = (ds, counted, need)
        spare[s.id] = max(float((counted - need).min()), 0.0) if len(ds) else 0.0
        room[s.id] = (
            math.inf if s.ceiling_mw is None else max(s.ceiling_mw - float(need.max()), 0.0)
        )
    taken = dict.fromkeys(room, 0.0)
    left = mw
    # Spare MW first (no cost), then under the ceilings at the cheapest power.
    for s in sorted(sites, key=lambda s: -spare[s.id]):
        take = min(left, spare[s.id], room[s.id])
        taken[s.id] += take
        left -= take
    for s in sorted(sites, key=lambda s: (s.cost_per_mw_usd, s.power_lead_months, s.id)):
        take = min(left, room[s.id] - taken[s.id])
        taken[s.id] += take
        left -= take
    out = []
    for s in sites:
        if taken[s.id] <= _TOL:
            continue
        ds, counted, need = days[s.id]
        lacks = np.maximum(need - counted, 0.0)
        adds = np.maximum(need + taken[s.id] - counted, 0.0) - lacks
        if not len(ds) or adds.max() <= _TOL:
            continue
        first = ds[int(np.argmax(adds > _TOL))]
        contract_by = months_before(first, s.power_lead_months) - timedelta(weeks=buffer_weeks)
        today = _contracted_today(as_of, lead_months=s.power_lead_months, buffer_weeks=buffer_weeks)
        contract_mw = float(adds.max())
        out.append(
            (
                region, s.id, contract_mw, s.cost_per_mw_usd,
                contract_mw * s.cost_per_mw_usd if s.cost_per_mw_usd > 0 else None,
                first, contract_by, s.power_lead_months,
                today if contract_by < as_of else None,
            )
        )  # fmt: skip
    return pl.DataFrame(out, schema=DEAL_POWER_SCHEMA, orient="row")


def _ceiling_room(
    plan: CapacityPlan,
    placements: pl.DataFrame,
    *,
    region: str,
    start: date,
    end: date,
) -> tuple[float, list[str]]:
    """The MW the sites of ``region`` have left under their ceilings from ``start`` on, once
    the plan's blocks and ``placements`` (the plan without the deal) hold theirs, its blocks
    past a ceiling first (they already wait for a new site); and the sites with a ceiling.
    ``math.inf`` where a site of the region has no ceiling, or the plan declares no site."""
    sites = [s for s in plan.site if s.region == region]
    if not sites or any(s.ceiling_mw is None for s in sites):
        return math.inf, []
    under, past_mw = _under_ceilings(placements, region=region)
    end = max(end, start)
    timeline = site_power_timeline(plan, start=start, end=end, orders=under)
    room = 0.0
    for s in sites:
        assert s.ceiling_mw is not None
        needed = timeline.filter(pl.col("site") == s.id)["mw_needed"].max()
        room += max(s.ceiling_mw - float(needed or 0.0), 0.0)  # type: ignore[arg-type]
    return max(room - past_mw, 0.0), [s.id for s in sites]


def _deal_blocks(
    forecast: pl.DataFrame,
    lifted: pl.DataFrame,
    plan: CapacityPlan,
    deal: Contract,
    *,
    without: TriggerResult,
    as_of: date,
    horizon_end: date,
    settings: TriggerSettings,
) -> _DealBlocks:
    """The blocks the deal's own GPUs need (DEAL_BLOCKS_SCHEMA), one row per pool it draws on,
    by rule 1 and 3 of the module docstring's "Capital": on the plan without the deal (its
    blocks, and every order it places, from the day it can serve: its arrival, or its site's
    power where it waits for it; never its blocks past a ceiling), the most H100-equivalents
    the deal adds to what the pool lacks on a day it holds GPUs, in the cheapest blocks of the
    pool's block types (:func:`_deal_candidates`); a training deal's training blocks serve its
    ``all`` pool too from the day they land, the two counts chosen together, and its ``all``
    need counts from then (its GPUs run on no rack before). Blocks that do
    not fit under the region's ceilings (:func:`_ceiling_room`) are counted in
    ``blocks_beyond_ceiling`` and stay in the capex. A pool without a block type has no row."""
    units = {c.name: c.gpus * plan.h100_equivalent(c.gpu_type) for c in plan.candidate}

    def need(frame: pl.DataFrame) -> pl.DataFrame:
        return _deal_pools(
            pool_requirements(frame, plan, as_of=as_of, column=settings.quantile), deal
        ).select("pool", "ds", "requirement_gpus", "capacity_gpus")

    leads = {c.name: c.lead_time_weeks for c in plan.candidate}
    # Each order of the plan from as soon as it can land if ordered today: a deal that pulls
    # the plan's order forward moves its date (the verdict, the order-by and the sooner note
    # say so), it does not buy it (50 GPUs read as a 4,000-GPU rack the plan orders anyway).
    # Its days after the order's own arrival hold the same capacity with or without the
    # pull, so the deal's lack there still counts in full. Only the order due now was
    # pulled before: 300 GPUs took two racks of their own where the re-plan pulls the plan's
    # later rack forward and adds one.
    earliest = pl.lit(as_of) + pl.duration(
        weeks=pl.col("candidate").replace_strict(leads, default=0, return_dtype=pl.Int64)
    )
    # An order's blocks serve from when their site can power them (``runs_from``), not from
    # their arrival; those past the site's ceiling, and an order no site powers, never on
    # this plan. Counted from arrival, the demo's 68 us-east racks dark until 2029 absorbed an
    # 8,000-GPU deal: "extra capex $0, 0.0 MW", where it needs 22 racks of its own.
    arrival = pl.min_horizontal("arrives", earliest)
    waits = pl.col("powered").eq(False) & pl.col("runs_from").is_not_null()
    # The day the plan itself has the order serving: its arrival, or its power.
    planned = pl.when(waits).then(pl.max_horizontal("arrives", "runs_from")).otherwise("arrives")
    never = (
        pl.col("powered").eq(False) & pl.col("runs_from").is_null() & pl.col("site").is_not_null()
    )
    placed = without.placements.filter(
        (pl.col("region") == deal.region) & never.not_()
    ).with_columns(
        added=(pl.col("blocks") - pl.col("blocks_beyond_ceiling").fill_null(0)).clip(0)
        * pl.col("candidate").replace_strict(units, default=0.0),
        **{"from": pl.when(waits).then(pl.max_horizontal(arrival, "runs_from")).otherwise(arrival)},
        in_service=planned,
    )
    joined = need(forecast).join(
        need(lifted).select("pool", "ds", with_gpus="requirement_gpus"), on=["pool", "ds"]
    )
    days = joined["ds"].unique().sort()
    holds = pl.DataFrame(
        {"ds": days, "holds": [deal.gpus_on(d) > 0 for d in days]},
        schema={"ds": pl.Date(), "holds": pl.Boolean()},
    )

    def adds_from(day: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        # Per pool and day the deal holds GPUs: what it adds to what the pool lacks, the
        # plan's orders counted from their ``day`` column (on a day the plan lacks GPUs
        # without it too, the deal's own GPUs lack as well).
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for pool in ("training", "all"):
            rows_of = joined.filter(pl.col("pool") == pool)
            if rows_of.is_empty():
                continue
            serving = placed if pool == "all" else placed.filter(pl.col("pool") == pool)
            held = pl.col("capacity_gpus") + pl.col("added").fill_null(0.0)
            frame = (
                rows_of.sort("ds")
                .join_asof(_added_by(serving, day), left_on="ds", right_on=day)
                .join(holds, on="ds")
                .filter(pl.col("holds"))
                .select(
                    "ds",
                    adds=(pl.col("with_gpus") - held).clip(lower_bound=0.0)
                    - (pl.col("requirement_gpus") - held).clip(lower_bound=0.0),
                )
            )
            out[pool] = (frame["ds"].to_numpy(), frame["adds"].to_numpy())
        return out

    adds = adds_from("from")

    def lacking(pool: str, landing: date, relief: np.ndarray | None = None) -> float:
        ds, gpus = adds[pool]
        on = ds >= np.datetime64(landing)
        if relief is not None:
            gpus = gpus - relief
        return max(float(gpus[on].max()) if on.any() else 0.0, 0.0)

    def count(gpus: float, unit: float) -> int:
        return math.ceil(gpus / unit - 1e-9) if gpus > _GPU_TOL and unit > 0 else 0

    def lands(kind: Any) -> date:
        return as_of + timedelta(weeks=kind.lead_time_weeks)

    # (capex, MW, blocks) first: the cheapest; then rows of (pool, kind, lacking, blocks).
    best: tuple[tuple[float, float, int], list[tuple[str, Any, float, int]]] | None = None
    trainings = _deal_candidates(plan, deal, "training", as_of=as_of) if "training" in adds else []
    alls = _deal_candidates(plan, deal, "all", as_of=as_of) if "all" in adds else []
    for kt in trainings or [None]:
        need_t = lacking("training", lands(kt)) if kt is not None else 0.0
        low = count(need_t, units[kt.name]) if kt is not None else 0
        most = low
        if kt is not None and "all" in adds and units[kt.name] > 0:
            # More training blocks than its own need can still be cheaper, as they serve the
            # all pool too: up to those that cover the all pool alone.
            most = max(low, count(lacking("all", lands(kt)), units[kt.name]))
        for t in range(low, most + 1):
            relief = None
            if kt is not None and "all" in adds:
                ds = adds["all"][0]
                relief = np.where(ds >= np.datetime64(lands(kt)), t * units[kt.name], 0.0)
            for ka in alls or [None]:
                rows: list[tuple[str, Any, float, int]] = []
                if kt is not None:
                    rows.append(("training", kt, need_t, t))
                if ka is not None:
                    # A training deal's GPUs run on training blocks only: before its own land,
                    # racks of the all pool serve none of them (the verdict's span short).
                    start = lands(ka) if kt is None else max(lands(ka), lands(kt))
                    need_a = lacking("all", start, relief)
                    rows.append(("all", ka, need_a, count(need_a, units[ka.name])))
                key = (
                    sum(n * k.capex_usd for _, k, _, n in rows),
                    sum(n * k.mw for _, k, _, n in rows),
                    sum(n for *_, n in rows),
                )
                if best is None or key < best[0]:
                    best = (key, rows)
    chosen = [] if best is None else best[1]
    pulled = _pulled_orders(
        placed, adds_from("in_service"), chosen, units=units, lands=lands, as_of=as_of
    )
    # Rule 3: the MW left under the region's ceilings, training blocks first.
    start = min((lands(k) for _, k, _, n in chosen if n), default=as_of)
    room, _ = _ceiling_room(
        plan, without.placements, region=deal.region, start=start, end=horizon_end
    )
    # A new site is priced at the region's [[new_site]] where declared; else at what the
    # region's dearest site prices a MW at (a greenfield MW costs no less than an existing
    # site's), an assumption.
    sites = sorted((s for s in plan.site if s.region == deal.region), key=lambda s: s.id)
    dearest = max(
        (s for s in sites if s.cost_per_mw_usd > 0), key=lambda s: s.cost_per_mw_usd, default=None
    )
    declared = plan.new_sites.get(deal.region)
    per_mw = dearest.cost_per_mw_usd if dearest is not None else None
    cost_basis = (
        f"the new site {deal.region} declares in capacity.toml, {declared.build_months} "
        "months to build"
        if declared is not None
        else None
        if dearest is None
        else f"every {deal.region} site's cost per MW"
        if all(s.cost_per_mw_usd == dearest.cost_per_mw_usd for s in sites)
        else f"{dearest.id}'s, the dearest of {deal.region}'s sites"
    )
    # No brackets in the basis: the CLI's table reads "[[new_site]]" as console markup.
    if declared is not None:
        per_mw = declared.cost_per_mw_usd
    built = None if declared is None else months_before(as_of, -declared.build_months)
    out: list[tuple[object, ...]] = []
    fitted: list[float] = []
    for pool, kind, need_gpus, n in chosen:
        fit = n if kind.mw <= 0 or math.isinf(room) else min(n, int((room + _TOL) // kind.mw))
        if not math.isinf(room):
            room -= fit * kind.mw
        fitted.append(fit * kind.mw)
        site_mw = (n - fit) * kind.mw
        priced = per_mw is not None and site_mw > _TOL
        out.append(
            (
                deal.region, pool, kind.name, need_gpus, n, n * kind.capex_usd, n * kind.mw,
                n - fit, site_mw,
                site_mw * per_mw if priced and per_mw is not None else 0.0,
                cost_basis if priced else None,
                per_mw if priced else None,
                built if priced else None,
            )
        )  # fmt: skip
    # Rule 4: the power the blocks under the ceilings need beyond what the plan secures, from
    # the first day the deal adds to what a pool lacks once its blocks land.
    firsts = []
    for pool, kind, _, n in chosen:
        if n and pool in adds:
            ds, gpus = adds[pool]
            on = (ds >= np.datetime64(lands(kind))) & (gpus > _GPU_TOL)
            if on.any():
                firsts.append(ds[on].min().astype("datetime64[D]").item())
    power = _deal_power(
        plan, without.placements, region=deal.region, mw=sum(fitted),
        needed=min(firsts, default=start), as_of=as_of, end=horizon_end,
        buffer_weeks=settings.buffer_weeks,
    )  # fmt: skip
    power_mw = float(power["mw"].sum())
    power_usd = float(power["usd"].fill_null(0.0).sum())
    total = sum(fitted)
    out = [
        (*row, power_mw * f / total, power_usd * f / total) if total > _TOL else (*row, 0.0, 0.0)
        for row, f in zip(out, fitted, strict=True)
    ]
    return _DealBlocks(pl.DataFrame(out, schema=DEAL_BLOCKS_SCHEMA, orient="row"), pulled, power)


class _DealBlocks(NamedTuple):
    """The blocks the deal's own GPUs need (DEAL_BLOCKS_SCHEMA) and the plan's orders they
    rely on landing sooner than the plan lands them (PULLED_SCHEMA)."""

    blocks: pl.DataFrame
    pulled: pl.DataFrame
    # The power the blocks need beyond the plan's under the ceilings (DEAL_POWER_SCHEMA).
    power: pl.DataFrame


def _pulled_orders(
    placed: pl.DataFrame,
    adds: Mapping[str, tuple[np.ndarray, np.ndarray]],
    chosen: Sequence[tuple[str, Any, float, int]],
    *,
    units: Mapping[str, float],
    lands: Callable[[Any], date],
    as_of: date,
) -> pl.DataFrame:
    """The plan's orders the deal's own blocks (``chosen``) rely on landing sooner than the
    plan has them serving (PULLED_SCHEMA; rule 1 of "Capital", "what it pulls"): ``adds``
    is what the deal adds to what each pool lacks with the plan's orders counted from the day
    the plan has them serving (``in_service``); on a day the deal's own blocks do not cover
    that, the orders counted sooner (``from`` before ``in_service``) covered it. Each is
    needed from the first such day in its window, ordered its lead time before (never
    before ``as_of``). Only days from when the deal's own block type can land count, as
    for the capital (before, the verdict's span short).

    200 inference GPUs in eu-west read "extra capex $0 (its own GPUs need no block of their
    own)" where the plan's GB200 cell, counted from 2028-08-26, served them on 2028-09-01:
    the plan lands it 2028-09-03."""
    start: dict[str, date] = {}
    relief: dict[str, list[tuple[date, float]]] = {"training": [], "all": []}
    training = next((k for p, k, _, _ in chosen if p == "training"), None)
    for pool, kind, _, n in chosen:
        day = lands(kind)
        if pool == "all" and training is not None:
            # A training deal's GPUs run on training blocks only (see _deal_blocks).
            day = max(day, lands(training))
        start[pool] = day
        own = n * units[kind.name]
        relief[pool].append((lands(kind), own))
        if pool == "training":
            relief["all"].append((lands(kind), own))
    short: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for pool, (ds, gpus) in adds.items():
        if pool not in start:
            continue
        left = gpus.copy()
        for day, n_gpus in relief[pool]:
            left = left - np.where(ds >= np.datetime64(day), n_gpus, 0.0)
        on = (ds >= np.datetime64(start[pool])) & (left > _GPU_TOL)
        short[pool] = (ds[on], left[on])
    rows = []
    for r in placed.filter(pl.col("from") < pl.col("in_service")).iter_rows(named=True):
        pools = ("all", "training") if r["pool"] == "training" else ("all",)
        days = [
            d
            for p in pools
            if p in short
            for d in short[p][0]
            if np.datetime64(r["from"]) <= d < np.datetime64(r["in_service"])
        ]
        if not days:
            continue
        needed = min(days).astype("datetime64[D]").item()
        lead = r["arrives"] - r["order_by"] if r["order_by"] is not None else None
        by = None if lead is None else max(needed - lead, as_of)
        rows.append(
            {
                "region": r["region"],
                "pool": r["pool"],
                "candidate": r["candidate"],
                "blocks": r["blocks"],
                "capex_usd": r["capex_usd"],
                "order_by": r["order_by"],
                "order_by_needed": by,
                "in_service": r["in_service"],
                "needed": needed,
            }
        )
    if not rows:
        return pl.DataFrame(schema=PULLED_SCHEMA)
    return (
        pl.DataFrame(rows, schema=PULLED_SCHEMA)
        .group_by("region", "pool", "candidate", "order_by", "in_service")
        .agg(
            pl.col("blocks").sum(),
            pl.col("capex_usd").sum(),
            pl.col("order_by_needed").min(),
            pl.col("needed").min(),
        )
        .select(PULLED_SCHEMA.names())
        .sort("needed", "pool", "candidate")
    )


def pulled_text(pulled: pl.DataFrame, *, daily_end: date | None = None) -> str:
    """The plan's orders the deal needs sooner, as the extra capex's basis reads them ('' where
    none): ``orders of the plan this deal needs sooner (1 order, $591.4M): eu-west all 70 x
    rack-h200-256: in
    service 2027-09-01 instead of 2027-09-03, ordered by 2027-06-23 instead of 2027-06-25 (2
    days sooner)``. Past ``daily_end`` (the forecast's last daily row) the day needed is a
    monthly row's: its month's peak, on no known day, counted from the 1st, so the month is
    said, not a day (the demo's "in service 2028-09-01" read as a measured date)."""
    if pulled.is_empty():
        return ""
    listed = []
    for r in pulled.iter_rows(named=True):
        needed, by, was = r["needed"], r["order_by_needed"], r["order_by"]
        monthly = daily_end is not None and needed > daily_end
        when = (
            f"for {needed:%B %Y} (a monthly row: its peak, on no known day, counted from the 1st)"
            if monthly
            else str(needed)
        )
        text = f"{r['region']} {r['pool']} {r['blocks']} x {r['candidate']}: in service {when} "
        text += f"instead of {r['in_service']}"
        if by is not None and was is not None:
            text += f", ordered by {by} instead of {was}"
            text += " to land by the 1st" if monthly else f" ({days_count((was - by).days)} sooner)"
        listed.append(text)
    capex = usd(float(pulled["capex_usd"].sum()))
    # Labelled as the deal's need: beside the triggers' re-run's "sooner" (the sooner note),
    # "it needs 2 of the plan's orders ($960.0M) sooner" and "it moves $566.0M of the plan's
    # orders sooner" read as two figures for one thing.
    count = f"{pulled.height} order{'' if pulled.height == 1 else 's'}"
    return f"orders of the plan this deal needs sooner ({count}, {capex}): " + "; ".join(listed)


def deal_blocks_text(deal_blocks: pl.DataFrame) -> str:
    """The deal's own blocks as a note reads them: ``2 x rack-h100-256 for us-west all``, and
    ``(1 of them past the ceilings of us-east's sites: not costed, a new site is needed)``
    where some fit under no ceiling."""
    rows = deal_blocks.filter(pl.col("blocks") > 0)
    listed = [
        f"{r['blocks']} x {r['candidate']} for {r['region']} {r['pool']}"
        for r in rows.iter_rows(named=True)
    ]
    text = ", ".join(listed) or "no block"
    if past := past_ceiling_text(deal_blocks):
        text += f" ({past})"
    return text


def past_ceiling_text(deal_blocks: pl.DataFrame) -> str:
    """The deal's own blocks that fit under no ceiling of its region's sites, their capex and
    the new site they need ('' where none): ``3 x rack-h100-256 ($25.3M of blocks) past the
    ceilings of us-east's sites: a new site is needed, which capacity.toml does not price; its
    1.2 MW priced at $11.0M per MW (every us-east site's cost per MW), an assumption: $12.7M;
    when a new site could power them is not in the plan``, or "(us-east-a's, the dearest of
    us-east's sites)" where they differ. Never a smaller total: the
    blocks' capex and the new site's priced MW are in the extra capex (at least). It read "not
    costed" with the new site's MW at $0 where capacity.toml prices every site's MW."""
    rows = deal_blocks.filter(pl.col("blocks_beyond_ceiling").fill_null(0) > 0)
    if rows.is_empty():
        return ""
    parts = ", ".join(
        f"{r['blocks_beyond_ceiling']} x {r['candidate']}" for r in rows.iter_rows(named=True)
    )
    capex = float(
        rows.select(pl.col("capex_usd") * pl.col("blocks_beyond_ceiling") / pl.col("blocks"))
        .sum()
        .item()
    )
    region = rows["region"][0]
    text = (
        f"{parts} ({usd(capex)} of blocks) past the ceilings of {region}'s sites: {NEW_SITE}, "
        "which capacity.toml does not price"
    )
    mw = float(rows["new_site_mw"].fill_null(0.0).sum())
    priced = rows.filter(pl.col("cost_basis").is_not_null())
    if priced.is_empty():
        return f"{text}; not costed: no site of {region} prices a MW"
    first = priced.row(0, named=True)
    if first["new_site_from"] is not None:
        # Declared in capacity.toml: its price is the plan's, and so is when it could come.
        return (
            f"{parts} ({usd(capex)} of blocks) past the ceilings of {region}'s sites: "
            f"{NEW_SITE}; its {mw:,.1f} MW priced at {usd(first['cost_per_mw_usd'])} per MW "
            f"({first['cost_basis']}; declared, not an assumption): "
            f"{usd(float(priced['new_site_usd'].sum()))}; a new site started today could power "
            f"them from {first['new_site_from']}"
        )
    return (
        f"{text}; its {mw:,.1f} MW priced at {usd(first['cost_per_mw_usd'])} per MW "
        f"({first['cost_basis']}), an assumption: {usd(float(priced['new_site_usd'].sum()))}; "
        "when a new site could power them is not in the plan"
    )


def deal_power_text(power: pl.DataFrame, *, daily_end: date | None = None) -> str:
    """The power the deal's blocks need under the site ceilings beyond the plan's, as the extra
    capex's basis reads it ('' where none): ``the power they need beyond what the plan secures
    or contracts ($21.1M): 1.9 MW at us-west-a ($11.0M per MW), short of it from 2027-03-01,
    contract by 2025-02-01 (its 24 months' power lead time and the triggers' buffer before):
    passed, contracted today it is energized 2029-01-02 at the earliest``. A site whose cost per
    MW is 0 is said not priced, its MW out of the figure. Past ``daily_end`` a day needed is a
    monthly row's, said as its month."""
    if power.is_empty():
        return ""
    parts = []
    for r in power.iter_rows(named=True):
        needed = r["needed"]
        when = (
            f"{needed:%B %Y} (a monthly row)"
            if daily_end is not None and needed > daily_end
            else str(needed)
        )
        price = (
            f"{usd(r['cost_per_mw_usd'])} per MW"
            if r["usd"] is not None
            else "not priced: its cost_per_mw_usd is 0, so not in the figure"
        )
        text = (
            f"{r['mw']:,.1f} MW at {r['site']} ({price}), short of it from {when}, contract by "
            f"{r['contract_by']} (its {r['power_lead_months']} months' power lead time and the "
            "triggers' buffer before)"
        )
        if r["energized_from"] is not None:
            text += (
                f": passed, contracted today it is energized {r['energized_from']} at the earliest"
            )
        parts.append(text)
    priced = float(power["usd"].fill_null(0.0).sum())
    return (
        f"the power they need beyond what the plan secures or contracts ({usd(priced)}): "
        + "; ".join(parts)
    )


def _extra_mw_of(deal_blocks: pl.DataFrame) -> float:
    """The MW of the deal's own blocks: its extra MW (module docstring, "Capital")."""
    return float(deal_blocks["mw"].sum())


def extra_mw_text(mw: float, *, bound: CapexBound | None) -> str:
    """A deal's extra MW as the CLI's headline reads it: ``3.8 MW``, or ``MW not measured``
    where an order of its pools is not sized (the MW rest on the same orders as the capex:
    "0.0 MW" stood beside "extra capex not sized")."""
    measured = bound is None or bound is CapexBound.NEW_SITE
    return f"{mw:,.1f} MW" if measured else "MW not measured"


def _blocks_unmeasured(
    plan: CapacityPlan, deal: Contract, orders: pl.DataFrame, *, as_of: date, horizon_end: date
) -> str:
    """Why the blocks the deal's own GPUs need are not measured ('' where they are): the
    forecast ends before its pool's candidate can land if ordered today, so
    :func:`_deal_blocks` has no day to count them on (a 14-day forecast read "0.0 MW (its own
    GPUs need no block of their own)" beside an extra capex not sized)."""
    kinds = {c.name: c for c in plan.candidate}
    parts = []
    for r in _deal_pools(orders, deal).iter_rows(named=True):
        kind = kinds.get(r["candidate"] or "")
        if kind is None:
            continue
        lands = as_of + timedelta(weeks=kind.lead_time_weeks)
        if lands > horizon_end:
            parts.append(f"{kind.name} ordered today for {r['region']} {r['pool']} ({lands})")
    if not parts:
        return ""
    return (
        f"the blocks its own GPUs need are not measured: the forecast ends {horizon_end}, "
        f"before {'; '.join(parts)} lands"
    )


def _capex_basis(
    deal_blocks: pl.DataFrame,
    pulled: pl.DataFrame,
    *,
    daily_end: date | None,
    power: pl.DataFrame | None = None,
    power_unchecked: str = "",
) -> str:
    """What the deal's extra capex is, in a few words (:attr:`WhatIf.capex_basis`), with the
    plan's orders it needs sooner than the plan lands them (:func:`_pulled_orders`): $0 there
    is no block beyond the plan's, never free; and the power its blocks need beyond the plan's
    (:func:`deal_power_text`), with the blocks' and the power's capital apart, or why that
    power is not priced (``power_unchecked``)."""
    blocks = deal_blocks_text(deal_blocks)
    sooner = pulled_text(pulled, daily_end=daily_end)
    if blocks == "no block":
        if sooner:
            return f"no block beyond the plan's; {sooner}"
        return "its own GPUs need no block of their own"
    text = f"the blocks its own GPUs need: {blocks}"
    if sooner:
        text += f"; beyond them, {sooner}"
    if power is not None and (powered := deal_power_text(power, daily_end=daily_end)):
        capex = usd(float(deal_blocks["capex_usd"].sum()))
        priced = usd(float(power["usd"].fill_null(0.0).sum()))
        text += f"; {powered}; so {capex} of blocks and {priced} of power"
        if (site := float(deal_blocks["new_site_usd"].fill_null(0.0).sum())) > _USD_TOL:
            text += f" and {usd(site)} of a new site's MW"
    elif power_unchecked:
        text += f"; {power_unchecked}"
    return text


def _replan_note(
    orders: pl.DataFrame,
    deal_blocks: pl.DataFrame,
    *,
    replan_capex: float,
    replan_mw: float,
    own_capex: float,
    unmeasured: str = "",
) -> str:
    """What the plan's re-chosen orders move by, beside the blocks the deal's own GPUs need
    ('' where they move by those blocks alone), never the extra capex (rule 2 of the module
    docstring's "Capital"); ``unmeasured``: why the deal's own blocks are not measured at all
    (:func:`_unservable_pools`).

    The triggers re-run with the deal re-choose the plan's later orders (block types bridged
    to a later generation, a cheaper plan, dates and sites moved by power), which jump with
    demand: a flat 500-GPU training deal read "extra capex $263.2M, 12.3 MW" (34 racks, 8,704
    GPUs) and -$41.0M on the very pool it runs in, ~$526k a GPU."""
    if abs(replan_capex - own_capex) <= _USD_TOL:
        return ""
    moved = orders.filter(pl.col("extra_capex_usd").abs() > _USD_TOL)
    pools = ", ".join(
        f"{r['region']} {r['pool']} {'+' if r['extra_capex_usd'] > 0 else ''}"
        f"{usd(r['extra_capex_usd'])}"
        for r in moved.iter_rows(named=True)
    )
    sign = "+" if replan_capex > 0 else ""
    moves = (
        f"with the deal every order to the plan's end moves by {sign}{usd(replan_capex)}, "
        f"{replan_mw:+,.1f} MW ({pools})"
        if pools
        else "with the deal every order to the plan's end costs what it costs without it"
    )
    if unmeasured:
        # Neither side of the comparison below is measured: only how far the orders move.
        return f"{REPLANNED}: {moves}; the deal's extra capex is not measured: {unmeasured}"
    own = f"{deal_blocks_text(deal_blocks)} ({usd(own_capex)})"
    if replan_capex < own_capex:
        # Taken as the deal's capital where cheaper, it read 1,500 us-west GPUs $0 beside
        # $42.2M for 1,000 (a re-plan $143.6M cheaper than the plan): it jumps with demand.
        return (
            f"{REPLANNED}: {moves}, less than the blocks its own GPUs need on the plan "
            f"without it, {own}: the re-run re-chooses orders that serve the plan's own growth "
            "too, and jumps with demand either way, so it is not the deal's extra capex, "
            "which is the blocks its own GPUs need"
        )
    return (
        f"{REPLANNED}: {moves}, as the triggers re-run with it re-choose, re-date, re-size and "
        "re-site orders that serve the plan's own growth too; that is not counted as the "
        f"deal's extra capex, which is the blocks its own GPUs need: {own}"
    )


def _first_order_later(without: TriggerResult, with_: TriggerResult, deal: Contract) -> bool:
    """Whether a pool of the deal's region that runs short before the deal starts has fewer
    blocks of its first order (tranche 1) running, with the deal, by the day the plan without
    it has all of them running: the deal's months in its sizing window grew it past the power
    it could land on, and the whole order was dated to that power (S1: 69 racks due 2027-04-25
    became 165 due 2028-09-25, the fleet's own Aug 2027 shortfall unserved to 2029). An order
    grown by blocks that wait for power while the plan's own still run on time is no harm.
    """
    start = deal.ramp[0].day
    for row in without.triggers.filter(pl.col("region") == deal.region).iter_rows(named=True):
        exhausted = row["exhaustion_date"]
        if not isinstance(exhausted, date) or exhausted >= start:
            continue

        def first(result: TriggerResult, pool: str = row["pool"]) -> pl.DataFrame:
            return result.placements.filter(
                (pl.col("region") == deal.region) & (pl.col("pool") == pool)
                & (pl.col("tranche") == 1)
            )  # fmt: skip

        before, after = first(without), first(with_)
        if before.is_empty() or before["runs_from"].null_count():
            continue  # nothing ordered, or part of it never runs (past a ceiling) either way
        running_by = before["runs_from"].max()
        running = after.filter(
            pl.col("candidate").is_in(before["candidate"].implode())
            & (pl.col("runs_from") <= running_by)
        )["blocks"].sum()
        if running < before["blocks"].sum():
            return True
    return False


class _Placed(NamedTuple):
    """One order of a plan to its end (its placement rows of one tranche and order-by date
    summed): its pool, block type and count, order-by date and capital, past its site's
    ceiling included."""

    region: str
    pool: str
    candidate: str
    blocks: int
    # None: its blocks lie past every site's ceiling (triggers.common.NO_ORDER_BY).
    order_by: date | None
    capex_usd: float
    tranche: int

    def named(self) -> str:
        return f"{self.blocks} x {self.candidate} {_by(self.order_by)}"


def _by(order_by: date | None) -> str:
    """An order's order-by, or that it has none: its blocks lie past every site's ceiling."""
    return f"by {order_by}" if order_by is not None else f"({NO_ORDER_BY})"


def _gap(old: _Placed, new: _Placed) -> int:
    """Days between two orders' order-by dates; far apart where either has none."""
    if old.order_by is None or new.order_by is None:
        return 0 if old.order_by == new.order_by else 100_000
    return abs((new.order_by - old.order_by).days)


def _sooner(old: _Placed, new: _Placed) -> int:
    """Days ``new`` is placed before ``old`` (0 where not, or where either has no order-by:
    blocks past every ceiling are placed on no date, so never sooner)."""
    if old.order_by is None or new.order_by is None:
        return 0
    return max((old.order_by - new.order_by).days, 0)


def _placed_orders(placements: pl.DataFrame) -> list[_Placed]:
    """Every order of a plan to its end, one per pool, tranche and order-by date (the shares
    of a tranche dated apart, some on power and some waiting for it, are orders apart)."""
    if placements.is_empty():
        return []
    rows = (
        placements.group_by("region", "pool", "tranche", "candidate", "order_by")
        .agg(pl.col("blocks").sum(), pl.col("capex_usd").sum())
        .sort("region", "pool", "order_by", "tranche")
    )
    return [
        _Placed(
            r["region"],
            r["pool"],
            r["candidate"],
            r["blocks"],
            r["order_by"],
            r["capex_usd"],
            r["tranche"],
        )
        for r in rows.iter_rows(named=True)
    ]


class _Moves(NamedTuple):
    """The orders a deal moves, as text, and the capital it pulls sooner: the orders placed
    earlier with it than without (their capital with it), the most days sooner, and the
    earliest order-by date of those orders with it (None: none placed sooner)."""

    moves: list[str]
    sooner_usd: float
    sooner_days: int
    sooner_first: date | None = None
    # Of ``sooner_usd``, the capital of blocks past their site's ceiling (a new site is
    # needed for them) in orders partly under it.
    sooner_past_ceiling_usd: float = 0.0
    # The capital of orders dated without the deal that it leaves past every site's ceiling,
    # with no order-by (the demo's 7 GB200 cells, $2,580.5M, read "426 days sooner").
    undated_usd: float = 0.0


def _moved_orders(without: pl.DataFrame, with_: pl.DataFrame) -> _Moves:
    """Each order of the plan to its end that the deal moves, as text: re-dated (the same
    block type and count), re-sized (the same block type), added or dropped; an order the same
    either way is no move. Its capital is the order's, past its site's ceiling included.

    A 2,000-GPU deal pulled the plan's 7 x cell-gb200-8192 ($2,580.5M) from 2028-03-14 to
    2027-01-13 while the what-if named only the first order's date and "$84.5M"."""
    before, after = _placed_orders(without), _placed_orders(with_)
    moves: list[str] = []
    sooner: list[tuple[float, int, date]] = []
    past_ceiling = undated = 0.0
    keys = ["region", "pool", "tranche", "candidate", "order_by"]
    beyond = {
        tuple(str(v) for v in row[:-1]): float(row[-1])
        for row in (
            with_.group_by(keys)
            .agg(
                (
                    pl.col("capex_usd")
                    * pl.col("blocks_beyond_ceiling").fill_null(0)
                    / pl.col("blocks")
                ).sum()
            )
            .rows()
            if with_.height
            else []
        )
    }

    def match(same: Callable[[_Placed, _Placed], bool]) -> list[tuple[_Placed, _Placed]]:
        # The nearest dates pair first: one cell of two kept 2 months on is not the other
        # moved 16 months.
        near = sorted(
            ((o, n) for o in before for n in after if same(o, n)),
            key=lambda p: (_gap(*p), p[0].order_by or date.max),
        )
        pairs = []
        for old, new in near:
            if old in before and new in after:
                before.remove(old)
                after.remove(new)
                pairs.append((old, new))
        return sorted(pairs, key=lambda p: p[0].order_by or date.max)

    def key(o: _Placed) -> tuple[str, str, str]:
        return (o.region, o.pool, o.candidate)

    def when(old: _Placed, new: _Placed) -> str:
        if old.order_by is None or new.order_by is None:
            if old.order_by == new.order_by:
                return _by(new.order_by)
            # Past every ceiling on one side: no days to count between a date and none.
            return (
                f"{_by(old.order_by)} -> "
                f"{'none ' if new.order_by is None else ''}{_by(new.order_by)}"
            )
        days = (new.order_by - old.order_by).days
        if not days:
            return f"by {new.order_by}"
        return (
            f"by {old.order_by} -> {new.order_by} ({days_count(abs(days))} "
            f"{'sooner' if days < 0 else 'later'})"
        )

    def moved(old: _Placed, new: _Placed) -> None:
        nonlocal past_ceiling, undated
        if days := _sooner(old, new):
            assert new.order_by is not None
            sooner.append((new.capex_usd, days, new.order_by))
            past_ceiling += beyond.get(_placed_key(new), 0.0)
        elif new.order_by is None and old.order_by is not None:
            undated += new.capex_usd

    # The same order either way (its tranche can be numbered apart) is no move.
    match(lambda o, n: o._replace(tranche=0) == n._replace(tranche=0))
    for old, new in match(lambda o, n: key(o) == key(n) and o.blocks == n.blocks):
        moved(old, new)
        moves.append(
            f"{old.region} {old.pool}: {new.blocks} x {new.candidate} {when(old, new)}, "
            f"{usd(new.capex_usd)}"
        )
    resized = match(lambda o, n: key(o) == key(n) and o.tranche == n.tranche)
    for old, new in sorted(
        [*resized, *match(lambda o, n: key(o) == key(n))],
        key=lambda p: p[0].order_by or date.max,
    ):
        moved(old, new)
        moves.append(
            f"{old.region} {old.pool}: {old.blocks} -> {new.blocks} x {new.candidate} "
            f"{when(old, new)}, {usd(old.capex_usd)} -> {usd(new.capex_usd)}"
        )
    moves += [f"{o.region} {o.pool}: new {o.named()}, {usd(o.capex_usd)}" for o in after]
    moves += [f"{o.region} {o.pool}: no longer {o.named()}, {usd(o.capex_usd)}" for o in before]
    return _Moves(
        moves,
        sum(c for c, _, _ in sooner),
        max((d for _, d, _ in sooner), default=0),
        min((by for _, _, by in sooner), default=None),
        past_ceiling,
        undated,
    )


def _placed_key(order: _Placed) -> tuple[str, ...]:
    """An order's key among its plan's placements, as strings (see :func:`_moved_orders`)."""
    return tuple(
        str(v) for v in (order.region, order.pool, order.tranche, order.candidate, order.order_by)
    )


# Whose the sooner note's orders are: the triggers' re-run with the deal, never the capital
# rule's orders the deal needs sooner (the extra capex's basis, :func:`pulled_text`).
_REPLAN_SAYS = "the triggers re-run with the deal"
_NOT_CAPITAL = "a re-plan, not the deal's capital"


def _sooner_note(moves: _Moves, *, as_of: date) -> str:
    """The capital of the plan's orders the triggers' re-run with the deal places sooner,
    beside its extra capex on the CLI's headline and the page's cards ('' where it places none
    sooner): the 2,000-GPU us-east deal read "extra capex $84.5M" alone while it pulled 7 x
    cell-gb200-8192 ($2,580.5M) 426 days sooner, said only in a note below. Said as the
    re-plan's, never the deal's capital: 1,000 eu-west GPUs read "it needs 2 of the plan's
    orders ($960.0M) sooner" (the capital rule's) beside "it moves $566.0M of the plan's orders
    sooner" (the re-run's), two unlabelled figures for "sooner"."""
    undated = (
        f"leave {usd(moves.undated_usd)} of the plan's orders with no order-by date ({NO_ORDER_BY})"
        if moves.undated_usd > _USD_TOL
        else ""
    )
    if not moves.sooner_days or moves.sooner_first is None:
        return f"{_REPLAN_SAYS} {undated}: {_NOT_CAPITAL}" if undated else ""
    first = moves.sooner_first
    late = (as_of - first).days
    due = (
        f"{first}, {days_count(late)} before the as-of date: late"
        if late > 0
        else f"{first}, the as-of date"
        if late == 0
        else f"{first}"
    )
    past = (
        f"; {usd(moves.sooner_past_ceiling_usd)} of them past their site's ceiling (a new "
        "site is needed)"
        if moves.sooner_past_ceiling_usd > _USD_TOL
        else ""
    )
    return (
        f"{_REPLAN_SAYS} move {usd(moves.sooner_usd)} of the plan's orders sooner, up to "
        f"{days_count(moves.sooner_days)} (the first due {due}){past}"
        + (f"; they {undated}" if undated else "")
        + f": {_NOT_CAPITAL}"
    )


def _moved_note(without: pl.DataFrame, with_: pl.DataFrame) -> str:
    """The orders the deal moves, said as moved by it ('' where it moves none): the re-plan's
    dates, sizes and capital, every order to the plan's end (capital past a site's ceiling
    included), not the first order's alone."""
    moves, sooner_usd, sooner_days, *_ = _moved_orders(without, with_)
    if not moves:
        return ""
    pulled = (
        f"; {usd(sooner_usd)} of orders placed up to {days_count(sooner_days)} sooner: "
        f"{_NOT_CAPITAL}"
        if sooner_days
        else ""
    )
    return (
        f"with the deal the triggers move {len(moves)} of the plan's orders to its end "
        f"(capital past a site's ceiling included{pulled}): {'; '.join(moves)}"
    )


def _sized_to(result: TriggerResult, region: str, pool: str) -> date | None:
    """The last day the trigger's order of ``region``/``pool`` is sized for, as the triggers
    return it (None: no order placed). Read from their notes' words before, which a rewording
    would have lost without a sound."""
    rows = result.sized_to.filter((pl.col("region") == region) & (pl.col("pool") == pool))
    day = rows["sized_to"][0] if rows.height else None
    return day if isinstance(day, date) else None


def _blocks_by_candidate(placements: pl.DataFrame, region: str, pool: str) -> dict[str, int]:
    """Blocks of every order of a pool to the plan's end, per block type."""
    rows = placements.filter((pl.col("region") == region) & (pl.col("pool") == pool))
    return dict(rows.group_by("candidate").agg(pl.col("blocks").sum()).sort("candidate").rows())


def _shrunk_order_note(
    orders: pl.DataFrame,
    without: TriggerResult,
    with_: TriggerResult,
    deal: Contract,
    *,
    cut: bool,
) -> str:
    """Why a pool's first order (the trigger's blocks) is smaller with the deal than without,
    though the deal adds demand ('' where none is): the demo's 2,000-GPU us-east deal read
    "trigger blocks 89 -> 40" with no word. The first order is sized to a day (the weeks after
    its shortfall, or the day before the deal starts): where the deal brings the shortfall
    forward, or stops the order before its own months, that day comes sooner, and what the
    order no longer covers falls to the later orders. Said with both days, as the triggers
    return them (``TriggerResult.sized_to``), and every order of the pool to the plan's end on
    both sides. ``cut``: the re-run sized the first orders of the deal's region no further
    than the day before the deal (``TriggerSettings.sized_before``), which may leave nothing
    to order now."""
    parts = []
    shrunk = _deal_pools(orders, deal).filter(pl.col("blocks_with") < pl.col("blocks_without"))
    for r in shrunk.iter_rows(named=True):
        region, pool = r["region"], r["pool"]

        ends = (_sized_to(without, region, pool), _sized_to(with_, region, pool))
        why = ""
        if cut and r["blocks_with"] == 0:
            why = (
                f": with the deal the first order is sized no further than the day before it "
                f"starts ({deal.ramp[0].day - timedelta(days=1)}; grown by the deal's months "
                "it would land later than without it), for which the trigger finds nothing "
                "to order (its note says why), so what is short from the deal's first day, "
                "its GPUs with it, falls to the later orders"
            )
        elif ends[0] and ends[1] and ends[1] < ends[0]:
            before = (
                "the day before the deal starts"
                if ends[1] == deal.ramp[0].day - timedelta(days=1)
                else ""
            )
            moved = r["exhaustion_with"] != r["exhaustion_without"] and all(
                isinstance(d, date) for d in (r["exhaustion_with"], r["exhaustion_without"])
            )
            cause = (
                f"{before}: what is short from then, the deal's GPUs with it, is the later orders'"
                if before
                else f"the weeks after its shortfall, which the deal brings from "
                f"{r['exhaustion_without']} to {r['exhaustion_with']}"
                if moved
                else ""
            )
            why = (
                f": the first order is sized to {ends[0]} without the deal and to {ends[1]} "
                f"with it{f' ({cause})' if cause else ''}, so what it no longer covers falls "
                "to the later orders"
            )
        totals_without = _blocks_by_candidate(without.placements, region, pool)
        totals_with = _blocks_by_candidate(with_.placements, region, pool)
        totals = ", ".join(
            f"{totals_without.get(c, 0):,} -> {totals_with.get(c, 0):,} x {c}"
            for c in sorted({*totals_without, *totals_with})
        )
        parts.append(
            f"{region} {pool}: trigger blocks {r['blocks_without']:,} -> "
            f"{r['blocks_with']:,} x {r['candidate']} though the deal adds demand{why}; every "
            f"order of the pool to the plan's end: {totals}"
        )
    return "; ".join(parts)


def _early_blocks_note(
    forecast: pl.DataFrame,
    plan: CapacityPlan,
    deal: Contract,
    *,
    without: TriggerResult,
    with_: TriggerResult,
    as_of: date,
    settings: TriggerSettings,
    timeline: pl.DataFrame,
) -> str:
    """The blocks the plan with the deal has in service before the deal holds a GPU, beyond
    the plan without it ('' where none): how many, their capital, from when, and whether the
    pool needs them before the deal (the plan without it lacking GPUs then, at the triggers'
    quantile, headroom included), and why they come then (the order they ride in, and how far
    the triggers size it), against when the blocks would be due for the deal alone (lead time
    and buffer; power not checked).

    A 5,000-GPU deal from 2028-06-01 grew us-west's first order from 69 to 93 racks landing
    2027-07-04 ($202.8M, 11 months before the deal), listed as "moved" and no more."""
    start = next((s.day for s in deal.ramp if s.gpus > 0), deal.ramp[0].day)
    usable = partial(
        _usable_orders, plan=plan, region=deal.region, timeline=timeline, as_of=as_of,
        buffer_weeks=settings.buffer_weeks,
    )  # fmt: skip
    early = {
        name: usable(result.placements).filter(pl.col("usable") < start)
        for name, result in (("without", without), ("with", with_))
    }
    kinds = {c.name: c for c in plan.candidate}
    parts = []
    for candidate in sorted(set(early["with"]["candidate"].to_list())):
        if candidate not in kinds:
            continue
        mine = {k: v.filter(pl.col("candidate") == candidate) for k, v in early.items()}
        extra = int(mine["with"]["blocks"].sum()) - int(mine["without"]["blocks"].sum())
        if extra <= 0:
            continue
        # The first day the plan with the deal has more of them in service than without it.
        days = sorted(set(mine["with"]["usable"].to_list()) | set(mine["without"]["usable"]))
        first = next(
            d
            for d in days
            if mine["with"].filter(pl.col("usable") <= d)["blocks"].sum()
            > mine["without"].filter(pl.col("usable") <= d)["blocks"].sum()
        )
        kind = kinds[candidate]
        held = (start - first).days
        if held <= settings.buffer_weeks * 7:
            continue  # in service within the triggers' buffer before the need: on time
        lacking = _lacking(
            forecast, without, plan, deal, as_of=as_of, settings=settings, timeline=timeline
        ).filter(pl.col("ds").is_between(first, start - timedelta(days=1)))
        short_days = lacking.filter(pl.col("lacking") > _GPU_TOL)["ds"].n_unique()
        need = (
            f"more than its pools need at {settings.quantile} (headroom included) on every "
            "day until then: capital standing idle"
            if not short_days
            else f"the plan without the deal lacks GPUs on {short_days:,} of those "
            f"{days_count(held)}, which they serve at first"
        )

        # The orders they ride in: with the deal, more of this type by that order-by date
        # than without.
        def by_order(frame: pl.DataFrame) -> dict[tuple[str, int, date], int]:
            rows = frame.group_by("pool", pl.col("tranche").fill_null(1), "order_by").agg(
                pl.col("blocks").sum()
            )
            return {(p, t, d): int(b) for p, t, d, b in rows.rows()}

        before, after = by_order(mine["without"]), by_order(mine["with"])
        riding = [k for k in sorted(after, key=lambda k: k[2]) if after[k] > before.get(k, 0)]
        spans = []
        for pool, tranche, by in riding:
            # The trigger's own order (tranche 1) says how far it is sized; a later one is
            # the triggers' next order, sized from its own shortfall.
            sized = _sized_to(with_, deal.region, pool) if tranche == 1 else None
            window = (
                f", the pool's first order, sized to {sized} (the weeks after its shortfall), "
                "which takes in the deal's first months"
                if sized is not None and sized >= start
                else ""
            )
            spans.append(
                f"the {deal.region} {pool} order of {after[(pool, tranche, by)]:,} x "
                f"{candidate} by {by}{window}"
            )
        parts.append(
            f"{extra:,} x {candidate} ({usd(extra * kind.capex_usd)}) of the plan with the "
            f"deal are in service from {first}, {days_count(held)} (about {held / 30.44:,.0f} "
            f"months) before the deal holds a GPU ({start}), beyond the plan without it: "
            f"{need}; "
            + _ordered_later(
                start, kind.lead_time_weeks, settings.buffer_weeks,
                ridden=min((by for _, _, by in riding), default=None), serving=short_days,
            )
            + f". They come in {', '.join(spans) or 'the orders the re-run places then'}"
        )  # fmt: skip
    return "; ".join(parts)


def _ordered_later(
    start: date, lead_weeks: int, buffer_weeks: int, *, ridden: date | None, serving: int = 0
) -> str:
    """When blocks in service long before the deal could be ordered instead, to land within
    the triggers' buffer before its first day (``start``), against the order-by date of the
    order they come in (``ridden``): a 5,000-GPU deal's 24 racks ($202.8M) stood 333 days in
    service before it, and the note said only when they "would be due for the deal alone".
    ``serving``: the days before the deal on which they serve the plan's own shortfall, which
    ordering them later leaves as it is without the deal."""
    alone = start - timedelta(weeks=lead_weeks + buffer_weeks)
    if ridden is not None and alone <= ridden:
        return (
            f"for the deal alone they would be due by {alone}, no later than the order they "
            f"come in (due {ridden}): ordering them apart gains no time"
        )
    after = (
        f", {days_count((alone - ridden).days)} after the order they come in (due {ridden})"
        if ridden is not None
        else ""
    )
    land = (
        f"within the {buffer_weeks}-week buffer before the deal"
        if buffer_weeks
        else "by the deal's first day"
    )
    own = (
        f", leaving the plan's own shortfall on those {days_count(serving)} as it is without the "
        "deal"
        if serving
        else ""
    )
    return (
        f"they could be ordered by {alone} instead{after}, and still land {land} "
        f"({lead_weeks} weeks' lead; power then not checked){own}"
    )


def _worse_days(
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
    (``lifted``, ``with_``) than without it (``forecast``, ``without``): :func:`_lacking`.
    Only these count against the deal. A day its pools lack the same GPUs either way is the
    plan's shortfall: the orders the deal adds serve its GPUs from then (a batch deal read
    "short Oct-Dec 2028" because the plan's own cells at its site waited for power then,
    with or without it); a deal whose GPUs land on blocks that wait for power makes its pool
    lack more, and counts."""
    lacking = partial(
        _lacking, plan=plan, deal=deal, as_of=as_of, settings=settings, timeline=timeline
    )
    joined = lacking(lifted, with_).join(
        lacking(forecast, without), on=["pool", "ds"], suffix="_without", how="left"
    )
    days = (
        joined.filter(pl.col("lacking") - pl.col("lacking_without").fill_null(0.0) > _GPU_TOL)
        .get_column("ds")
        .unique()
        .sort()
    )
    return pl.Series("ds", [d for d in days if deal.gpus_on(d) > 0], dtype=pl.Date())


def _baseline_gaps(
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
    (:func:`_late_orders`, :func:`_power_waits`) on the plan without the deal."""
    triggers = without.triggers.select(
        "region", "pool", "arrives", status_with="status", exhaustion_with="exhaustion_date"
    )
    late = _late_orders(triggers, without.placements, deal).select(
        pl.lit(None, dtype=pl.String()).alias("site"),
        "region",
        "pool",
        "exhaustion_with",
        until="arrives",
        contracted=pl.lit(False),
        new_site=pl.lit(False),
    )
    dark = _power_waits(
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


def _baseline_note(
    gaps: pl.DataFrame,
    *,
    forecast: pl.DataFrame,
    buffer_weeks: int,
    revenue_on: float | None,
) -> str:
    """What the plan is short of without the deal, where the deal would hold GPUs ('' when
    nothing): each span (:func:`_baseline_gaps`) and what ends it, that the deal's verdict
    counts only the days it adds, and the revenue it counts in those spans (``revenue_on``).

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
    parts = []
    for (site, region, pool, contracted, new_site), rows in gaps.group_by(
        "site", "region", "pool", "contracted", "new_site", maintain_order=True
    ):
        for begin, until in _merged(list(rows.select("exhaustion_with", "until").iter_rows())):
            when = f"from {_day_or_month(begin, forecast)}"
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
    return (
        f"the plan is {listed} without this deal too: the deal's verdict counts only the days "
        "its pools lack more GPUs with it than without (signing neither causes nor cures the "
        f"rest){revenue}{today}"
    )


def _contracted_today(as_of: date, *, lead_months: int, buffer_weeks: int) -> date:
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
    holds = np.minimum.accumulate(spare[::-1])[::-1] >= -_TOL
    ds = days["ds"].to_list()
    return next((d for d, ok in zip(ds, holds, strict=True) if ok and d >= arrives), None)


def _usable_orders(
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
            _contracted_today(as_of, lead_months=leads[site], buffer_weeks=buffer_weeks)
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


def _power_waits(
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
    ceiling; an order partly past it waits twice, :func:`_usable_orders`). ``placements``: a
    run's, with the deal or without it (:func:`_baseline_gaps`).

    Every such order counts, whatever the ramp's last step: only those arriving by it did,
    so a one-step deal skipped the check ("served from its first day" beside a red pool whose
    order waited 74 days for power) and a step that changed nothing flipped the verdict."""
    if _deal_pools(placements, deal).filter(~pl.col("powered")).is_empty():
        return pl.DataFrame(schema=_WAITS_SCHEMA)
    timeline = site_power_timeline(plan, start=as_of, end=max(horizon_end, as_of))
    usable = _usable_orders(
        placements, plan, region=deal.region, timeline=timeline, as_of=as_of,
        buffer_weeks=buffer_weeks,
    )  # fmt: skip
    need = pl.col("exhaustion_date")
    return (
        _deal_pools(usable, deal)
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


def _powered_from(
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
    shortfall (``waits``, :func:`_power_waits`): the site's planned power steps first, power
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
    # Orders waiting for power are dated to land with it (_late_orders): no "ordered today".
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
    parts = []
    for w in waits.sort("exhaustion_with").iter_rows(named=True):
        source = (
            f"power contracted today: {months.get(w['site'], 0)} months' lead time and the "
            f"{buffer_weeks} weeks' buffer the power triggers keep"
            if w["contracted"]
            else f"the power planned at {w['site']}"
        )
        parts.append(
            f"short from {_day_or_month(w['exhaustion_with'], forecast)} until "
            f"{w['powered_from']} ({source})"
        )
    return "; ".join(parts)


def _short_windows(
    orders: pl.DataFrame,
    placements: pl.DataFrame,
    deal: Contract,
    *,
    waits: pl.DataFrame,
    worse: pl.Series | None = None,
) -> list[tuple[date, date | None]]:
    """The spans the deal's pools are short (first day, first day served again; None: not
    within the plan): each order that lands after its shortfall, or waits for power past it,
    from the first day the deal adds to the shortfall where ``worse`` is given. Between them
    the deal is served in full, and earns."""
    late = _late_orders(orders, placements, deal, worse=worse).select("exhaustion_with", "arrives")
    dark = waits.select("exhaustion_with", arrives=pl.col("powered_from"))
    spans = pl.concat([late, dark], how="vertical_relaxed").filter(
        pl.col("exhaustion_with").is_not_null()
    )
    return list(spans.iter_rows())


def _revenue(
    deal: Contract,
    plan: CapacityPlan,
    *,
    horizon_end: date,
    serve_from: date | None,
    short: Sequence[tuple[date, date | None]] = (),
    only: Sequence[tuple[date, date | None]] | None = None,
) -> tuple[float, float | None, float | None]:
    """GPU-hours over the term; revenue from the hours served in full within the horizon
    (from ``serve_from`` on, and before it outside the spans its pools are ``short``:
    :func:`_short_windows`; none when ``serve_from`` is None) and revenue of the term's hours
    past the horizon, which nothing verifies (None where ``serve_from`` is None); both None
    without a price. With ``only``, only the hours inside those spans (the plan's own
    shortfalls) are summed.

    A deal the plan cannot serve until a later day earns nothing for the hours before it: a
    deal served only from 2028-12 counted $80M of revenue for the 21 months before. The
    hours it is served in full before its shortfall count: they are served."""
    price = deal.price_per_gpu_hour or plan.policy[deal.workload_class].price_per_gpu_hour or None
    start = deal.ramp[0].day
    total = within = past = 0.0
    for offset in range((deal.term_end - start).days + 1):
        day = start + timedelta(days=offset)
        if only is not None and not any(
            begin <= day and (end is None or day < end) for begin, end in only
        ):
            continue
        hours = deal.gpus_on(day) * 24.0
        total += hours
        if day > horizon_end:
            past += hours
            continue
        in_full = bool(short) and not any(
            begin <= day and (end is None or day < end) for begin, end in short
        )
        if serve_from is not None and (day >= serve_from or in_full):
            within += hours
    if price is None:
        return total, None, None
    return total, within * price, None if serve_from is None else past * price


def _short_most(
    deal: Contract,
    *,
    horizon_end: date,
    serve_from: date | None,
    short: Sequence[tuple[date, date | None]],
) -> bool:
    """Whether the deal is short on more than half its days within the plan: the days
    :func:`_revenue` does not count as served in full (before ``serve_from``, inside a span
    ``short``, or every day where no span is dated)."""
    first, last = deal.ramp[0].day, min(deal.term_end, horizon_end)
    days = (last - first).days + 1
    if serve_from is None or days <= 0:
        return serve_from is None
    unserved = sum(
        1
        for offset in range(days)
        if (day := first + timedelta(days=offset)) < serve_from
        and (not short or any(begin <= day and (end is None or day < end) for begin, end in short))
    )
    return unserved * 2 > days


def _revenue_note(
    deal: Contract,
    serve_from: date | None,
    short: Sequence[tuple[date, date | None]],
    forecast: pl.DataFrame,
) -> str:
    """Which hours the revenue counts, for a deal not served in full from its first day: all
    but the spans short before ``serve_from`` (:func:`_short_windows`), as :func:`_revenue`."""
    said = "revenue counts only the hours served in full: "
    first = deal.ramp[0].day
    if serve_from is None:
        return said + "none, as the plan cannot serve the deal in full within its horizon"
    spans = sorted(
        (max(begin, first), min(end or serve_from, serve_from))
        for begin, end in _merged(short)
        if begin < serve_from and (end is None or end > first)
    )
    covered = {begin + timedelta(days=d) for begin, end in spans for d in range((end - begin).days)}
    if all(first + timedelta(days=d) in covered for d in range((serve_from - first).days)):
        return said + (
            f"from {serve_from}, when the plan serves the deal in full; the hours from "
            f"{first} before it are at risk and not counted"
        )
    listed = ", ".join(
        f"{_day_or_month(begin, forecast)} to {end - timedelta(days=1)}" for begin, end in spans
    )
    return said + (
        f"every hour from {first} but those its pools are short ({listed}), which are at risk "
        f"and not counted; in full from {serve_from}"
    )


def _horizon_end(forecast: pl.DataFrame) -> date:
    """The last day the forecast covers: its last daily day, or its last month's end."""
    end: date = forecast["ds"].max()  # type: ignore[assignment]
    if "grain" in forecast.columns:
        months = forecast.filter(pl.col("grain") == "month")
        if months.height:
            last: date = months["ds"].max()  # type: ignore[assignment]
            end = month_end(last)
    return end


def _from_forecast_start(
    deal: Contract, forecast: pl.DataFrame, *, as_of: date
) -> tuple[Contract, list[str], str]:
    """The deal weighed from the forecast's first day, and a note when that moved its ramp.

    A deal weighed today serves and earns nothing before the forecast starts: ramp steps
    dated earlier become one step on the first day, at the count in force then. A term that
    ends before that day leaves nothing to weigh, which is an error naming the fix.

    A ramp that starts before the as-of date reads as a deal already running, which telemetry
    would show: that is a warning (the third value, '' otherwise), not a refusal, as a
    pipeline deal dated before its run is weighed the same way. It says what was weighed
    instead: a customer the forecast knows is floored, so only GPUs beyond what it runs are
    added; a customer it does not know adds the ramp in full (S18: a ramp from a year before
    the as-of date was weighed without a word on the headline).
    """
    # The daily rows' first day: a monthly row is dated by its month's first day, which reads
    # days before the forecast starts ("the forecast's first day (2026-12-01)" of a run whose
    # first day is 2026-12-04).
    daily = forecast.filter(_grain(forecast) == "day")
    first: date = (daily if daily.height else forecast)["ds"].min()  # type: ignore[assignment]
    if deal.term_end < first:
        assumed = " (no end was given: five years after the last ramp step)"
        raise DealError(
            f"the deal's term ends on {deal.term_end}, before the forecast's first day "
            f"({first}): nothing to weigh; give a later end with --until"
            + (assumed if deal.description == _ASSUMED_TERM else "")
        )
    if deal.ramp[0].day >= first:
        return deal, [], ""
    now = deal.gpus_on(first)
    later = tuple(step for step in deal.ramp if step.day > first)
    steps = (Step(first, now), *later)
    if deal.ramp[0].day >= as_of:
        note = (
            f"the ramp starts on {deal.ramp[0].day}, before the forecast's first day "
            f"({first}): it is weighed from {first}, at the {now:,} GPUs in force then; "
            "nothing before is served or counted as revenue"
        )
        return replace(deal, ramp=steps), [note], ""
    known = forecast.filter(pl.col("unique_id") == deal.unique_id).height > 0
    weighed = (
        f"the ramp is a floor under {deal.customer}'s own forecast there (what telemetry shows "
        "it runs), so only GPUs beyond it are added"
        if known
        else f"telemetry shows no {deal.workload_class} GPUs of {deal.customer} in "
        f"{deal.region}, so they are weighed as new demand on top of what the fleet runs (if "
        "they already run under another customer's name, they are counted twice)"
    )
    note = (
        f"warning: the ramp starts on {deal.ramp[0].day}, "
        f"{days_count((as_of - deal.ramp[0].day).days)} before the as-of date ({as_of}), "
        f"as if the deal were already running; {weighed}; it is weighed from the forecast's "
        f"first day ({first}), at the {now:,} GPUs in force then; nothing before is served or "
        "counted as revenue"
    )
    return replace(deal, ramp=steps), [note], note


def _check_weighable(deal: Contract, *, horizon_end: date, monthly: bool) -> None:
    """Refuse a deal with nothing to weigh in the plan: no GPUs, or none before its end.
    ``monthly``: whether the forecast has monthly rows; without them --horizon-months alone
    may not lengthen the plan (a 45-day fleet is too young for monthly rows)."""
    held = [s for s in deal.ramp if s.gpus > 0]
    if not held:
        raise DealError("the ramp holds 0 GPUs at every step: there is no demand to weigh")
    if held[0].day > horizon_end:
        longer = (
            "(`fleetcast forecast --horizon-months`)"
            if monthly
            else "(this forecast has no monthly rows: its history was too short for them, or "
            "it was made with --horizon-months 0; `fleetcast forecast --horizon`, up to 730 "
            "days, lengthens its daily rows)"
        )
        raise DealError(
            f"the ramp's first GPUs ({held[0].day}) come after the plan's end ({horizon_end}): "
            f"nothing in the plan reaches them; weigh it on a forecast with a longer plan "
            f"{longer} or with a ramp that starts by then"
        )


def _days_of(month: date) -> list[date]:
    return [month + timedelta(days=d) for d in range((months_before(month, -1) - month).days)]


def _customer_shares(paths: pl.DataFrame, deal: Contract, month: date) -> tuple[float, float]:
    """The deal's customer's share of expected demand in ``month`` over ``paths`` (every
    region and class it runs in is one customer), without and with the deal, as
    :func:`~forecasting.contracts.concentration_with_book` reads it: the mean over paths per
    series and day, the deal a floor on its own series, a month its mean day."""
    days = [d for d in _days_of(month)]
    ramp = pl.DataFrame(
        {"ds": days, "ramp": [float(deal.gpus_on(d)) for d in days]},
        schema={"ds": pl.Date(), "ramp": pl.Float64()},
    )
    rows = paths.filter(pl.col("ds").is_between(days[0], days[-1])).join(ramp, on="ds")
    own = pl.col("unique_id") == deal.unique_id
    floored = pl.when(own).then(pl.max_horizontal("y", "ramp")).otherwise(pl.col("y"))
    means = rows.group_by("unique_id", "ds").agg(
        pl.col("y").mean().alias("without"), floored.mean().alias("with")
    )
    if rows.filter(own).is_empty():  # a new customer: its demand is the ramp
        means = pl.concat(
            [
                means,
                ramp.filter(pl.col("ds").is_in(rows["ds"].unique().implode())).select(
                    pl.lit(deal.unique_id).alias("unique_id"),
                    "ds",
                    pl.lit(0.0).alias("without"),
                    pl.col("ramp").alias("with"),
                ),
            ]
        )
    mine = hierarchy.level(hierarchy.LEVEL_NAMES.index("customer")) == deal.customer
    sums = means.select(
        pl.col("without").filter(mine).sum().alias("mine_without"),
        pl.col("with").filter(mine).sum().alias("mine_with"),
        pl.col("without").sum().alias("all_without"),
        pl.col("with").sum().alias("all_with"),
    ).row(0, named=True)

    def share(side: str) -> float:
        total = sums[f"all_{side}"] or 0.0
        return (sums[f"mine_{side}"] or 0.0) / total if total > 0 else 0.0

    return share("without"), share("with")


def _share_bound(forecast: pl.DataFrame, step: Step) -> str:
    """The deal's least share of expected demand in the month of ``step`` (its GPUs against
    the plan's mean demand then, its regions' rows summed, plus its GPUs: the lift is at most
    the ramp), as text ('' where the forecast has no region's mean row in that month). The
    month's daily rows where it has them, else its monthly row."""
    month = step.day.replace(day=1)
    rows = forecast.with_columns(_grain(forecast).alias("grain")).filter(
        (hierarchy.depth() == 1)
        & (pl.col("measure") == Measure.MEAN.value)
        & pl.col("ds").is_between(month, months_before(month, -1) - timedelta(days=1))
    )
    daily = rows.filter(pl.col("grain") == "day")
    rows = daily if daily.height else rows
    if rows.is_empty():
        return ""
    demand = float(rows.group_by("unique_id").agg(pl.col("mean").mean())["mean"].sum())
    least = step.gpus / (demand + step.gpus)
    return (
        f"; at that step the deal alone is at least {least:.1%} of expected demand "
        f"({month:%b %Y}: its {step.gpus:,} GPUs against the plan's {demand:,.0f} without it)"
    )


def _concentration_line(
    concentration: pl.DataFrame, deal: Contract, *, paths: pl.DataFrame, forecast: pl.DataFrame
) -> str:
    """Concentration with and without the deal as one line ('' where nothing was measured).

    It is measured on the daily paths only: a month past them has no customer demand to take
    shares of. So the line names the month it stands on (the measured month the deal holds
    the most GPUs in) and how far the measure goes; where the deal steps up past it, no
    direction is given (a 20,000-GPU deal whose 5,000-GPU month was the last measured read as
    lowering the top-1 share and HHI, the opposite of its full ramp), only the least share
    the deal alone holds at its largest step, from the plan's total demand."""
    scope = concentration.filter(
        (pl.col("region") == hierarchy.TOTAL) & (pl.col("workload_class") == "all")
    )
    if scope.is_empty():
        return ""
    months: list[date] = sorted(scope["month"].unique().to_list())
    # The days the paths hold, not every day of their months: a deal from 2026-12-20 read
    # "where the deal holds up to 2,000 GPUs" on paths that end on 2026-12-17.
    ends = (paths["ds"].min(), paths["ds"].max()) if paths.height else (None, None)
    measured = [
        d
        for m in months
        for d in _days_of(m)
        if ends[0] is None or ends[0] <= d <= ends[1]  # type: ignore[operator]
    ] or [d for m in months for d in _days_of(m)]
    peak_in = max(deal.gpus_on(d) for d in measured)
    # The paths' last day is how far the shares are forecast, not measured: no backtest
    # scored them (S18: "measured through 2025-01-31" on a 14-day forecast).
    through = f"forecast through {measured[-1]}"
    if peak_in == 0:
        return (
            f"concentration: not measured, {through} only (the daily rows), before the deal "
            f"holds GPUs (from {deal.ramp[0].day})"
        )
    later = [
        s for s in deal.ramp if s.day > measured[-1] and s.day <= deal.term_end and s.gpus > peak_in
    ]
    if later:
        top = max(s.gpus for s in later)
        step = next(s for s in later if s.gpus == top)
        return (
            f"concentration: {through} only (the daily rows), where the deal holds up to "
            f"{peak_in:,} GPUs; not measured from its {step.gpus:,} GPUs from {step.day}, so "
            "no direction is given for its full ramp (see the page's table for the months "
            f"measured){_share_bound(forecast, step)}"
        )

    def on(month: date) -> list[date]:
        return [d for d in _days_of(month) if d in days_measured]

    def held(month: date) -> float:
        days = on(month)
        return sum(deal.gpus_on(d) for d in days) / len(days) if days else -1.0

    days_measured = set(measured)
    # Held alike, a month the paths cover whole goes first: the demo's flat deal stood on
    # June 2027, measured on its first 5 days, and read as the month's.
    month = max(months, key=lambda m: (held(m), len(on(m)) == len(_days_of(m)), m))
    part = on(month)
    days = "" if len(part) == len(_days_of(month)) else f"{part[0]} to {part[-1]} only, "
    row = {
        book: scope.filter((pl.col("book") == book) & (pl.col("month") == month)).row(0, named=True)
        for book in ("without", "with")
    }
    top_without, top_with = row["without"]["top1_share"], row["with"]["top1_share"]
    mine_without, mine_with = _customer_shares(paths, deal, month)
    largest = (
        ""
        if top_with is None or mine_with < top_with - 1e-9
        else f" ({deal.customer} stays the largest customer)"
        if top_without is not None and mine_without >= top_without - 1e-9
        else f" ({deal.customer} becomes the largest customer)"
    )

    def pct(share: float | None) -> str:
        return "-" if share is None else f"{share:.1%}"

    def hhi(value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f}"

    return (
        f"concentration in {month:%b %Y} ({days}{through}): top-1 {pct(top_without)} -> "
        f"{pct(top_with)}{largest}, HHI {hhi(row['without']['hhi'])} -> "
        f"{hhi(row['with']['hhi'])}"
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
    horizon_end = _horizon_end(forecast)
    monthly = "grain" in forecast.columns and bool(
        forecast.filter(pl.col("grain") == "month").height
    )
    _check_weighable(deal, horizon_end=horizon_end, monthly=monthly)
    deal, rebased, ramp_warning = _from_forecast_start(deal, forecast, as_of=as_of)
    settings = settings or TriggerSettings()
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
    cut = _first_order_later(without, result, deal)
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
    worse = _worse_days(
        forecast, lifted, plan, deal, without=without, with_=result, as_of=as_of,
        settings=settings, timeline=timeline,
    )  # fmt: skip
    orders = _orders(without, result)
    serve_from, serve_note = _serve_from(
        orders, deal, horizon_end=horizon_end, forecast=forecast, placements=result.placements,
        worse=worse,
    )  # fmt: skip
    waits = _added(
        _power_waits(
            result.placements, plan, deal, as_of=as_of, horizon_end=horizon_end,
            buffer_weeks=settings.buffer_weeks,
        ),
        worse,
        until="powered_from",
    )  # fmt: skip
    serve_from, serve_note = _powered_from(
        waits, plan, deal, horizon_end=horizon_end, served=(serve_from, serve_note),
        power=result.power, power_without=without.power, buffer_weeks=settings.buffer_weeks,
        forecast=forecast,
    )  # fmt: skip
    short_day = _short_day(orders, deal, serve_from, result.placements, waits=waits, worse=worse)
    short = _short_windows(orders, result.placements, deal, waits=waits, worse=worse)
    baseline = _baseline_gaps(
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
    gpu_hours, revenue, past_plan = _revenue(
        deal, plan, horizon_end=horizon_end, serve_from=serve_from, short=short
    )
    _, revenue_on_baseline, _ = _revenue(
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
        _revenue(
            deal, plan, horizon_end=horizon_end, serve_from=serve_from, short=short,
            only=unverified_from,
        )[1]
        if unverified_from
        else None
    )  # fmt: skip
    notes = [*rebased]
    notes += [_ASSUMED_TERM] if deal.description == _ASSUMED_TERM else []
    floor, adds_none = (
        _floor_note(forecast, lifted, deal, book=book) if not pipeline else ("", False)
    )
    if floor:
        notes.append(floor)
    if revenue is not None and (serve_from is None or serve_from > deal.ramp[0].day):
        notes.append(_revenue_note(deal, serve_from, short, forecast))
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
    deal_blocks, pulled, power = _deal_blocks(
        forecast, lifted, plan, deal, without=without, as_of=as_of, horizon_end=horizon_end,
        settings=settings,
    )  # fmt: skip
    unmeasured = ""
    if unservable := _unservable_pools(orders, deal):
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
    extra_mw = _extra_mw_of(deal_blocks)
    power_unchecked = (
        f"the power they need is not priced: no [[site]] of {deal.region} in the plan, so no "
        "power is checked there"
        if extra_mw > _TOL and not any(s.region == deal.region for s in plan.site)
        else ""
    )
    past_ceiling = past_ceiling_text(deal_blocks)
    replan_note = _replan_note(
        orders, deal_blocks, replan_capex=replan_capex, replan_mw=replan_mw,
        own_capex=own_capex, unmeasured=unmeasured,
    )  # fmt: skip
    if moved := _moved_note(without.placements, result.placements):
        # Every order the deal moves, later ones too, dated and priced (a later 7-cell order,
        # $2.6B, pulled 14 months sooner was on no line of the what-if).
        replan_note = f"{replan_note}; {moved}" if replan_note else moved
    # Beside the extra capex on the headline and the cards, not only in the note below.
    sooner_note = _sooner_note(_moved_orders(without.placements, result.placements), as_of=as_of)
    if shrunk := _shrunk_order_note(orders, without, result, deal, cut=cut):
        notes.append(shrunk)
    early_note = _early_blocks_note(
        forecast, plan, deal, without=without, with_=result, as_of=as_of, settings=settings,
        timeline=timeline,
    )  # fmt: skip
    if early_note:
        notes.append(early_note)
    if replan_capex < -_USD_TOL:
        notes.append(
            _less_capital_note(
                without.placements, result.placements, orders, plan, horizon_end=horizon_end
            )
        )
    not_sized = _not_sized_note(without.triggers, result.triggers, deal, as_of=as_of)
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
        or _blocks_unmeasured(plan, deal, orders, as_of=as_of, horizon_end=horizon_end)
        or _capex_basis(
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
        ""
        if not_sized.note or unservable
        else _no_extra_capital_note(extra_capex, serve_from, deal)
    )
    capital_note = no_extra
    if not no_extra and serve_from is None and extra_capex > _USD_TOL:
        # $453.1M "extra capital" beside "not within the horizon" read as the price of the deal.
        capital_note = (
            f"the {usd(extra_capex)} of extra capital is the blocks its own GPUs need"
            + (" and a new site's MW as priced" if new_site > _USD_TOL else "")
            + (" and the power they need beyond the plan's" if power_usd > _USD_TOL else "")
            + f", and does not serve it in full within the horizon: {_NOT_PRICE}"
        )
    concentration = (
        concentration_with_book(paths, ContractBook(contracts=(deal,), source="what-if"))
        if paths is not None and paths.height
        else pl.DataFrame()
    )
    concentration_line = (
        _concentration_line(concentration, deal, paths=paths, forecast=forecast)
        if paths is not None and concentration.height
        else ""
    )
    not_judged = ""
    if unwatched:
        # The deal was weighed on its own GPUs alone: served so is not served beside what the
        # region already runs, which nobody measured (`report`: "not judged" there).
        not_judged = not_judged_in([deal.region]) if serve_from is not None else ""
        orders = _unwatched_orders(orders, deal.region)
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
        short_from=None if short_day is None else _day_or_month(short_day, forecast),
        daily_end=daily_end_of(forecast),
        short_at_times=_spans(short, after=deal.ramp[0].day) > 1,
        short_most=_short_most(deal, horizon_end=horizon_end, serve_from=serve_from, short=short),
        baseline_note=_baseline_note(
            baseline,
            forecast=forecast,
            buffer_weeks=settings.buffer_weeks,
            revenue_on=revenue_on_baseline,
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


def _floor_note(
    forecast: pl.DataFrame,
    lifted: pl.DataFrame,
    deal: Contract,
    *,
    book: ContractBook | None = None,
) -> tuple[str, bool]:
    """What a deal for a customer the forecast knows adds over its own daily mean ('' for a
    new customer), and whether it adds nothing: a signed contract is a floor under the
    customer's own demand, so a ramp at or below it adds nothing. The Helios what-if on a
    customer running more than its ramp read "$0, needs no extra block" beside a revenue, and
    said nothing of why."""
    keys = ["ds", *(["grain"] if "grain" in forecast.columns else [])]
    mine = (pl.col("unique_id") == deal.unique_id) & (pl.col("measure") == Measure.MEAN.value)
    on_ramp = pl.col("ds") >= deal.ramp[0].day
    own = forecast.filter(mine & on_ramp).select(*keys, "mean")
    if own.is_empty():
        return "", False
    gained = own.join(
        lifted.filter(mine).select(*keys, pl.col("mean").alias("with")), on=keys
    ).select(
        (pl.col("with") - pl.col("mean")).max().alias("added"),
        pl.col("mean").min().alias("low"),
        pl.col("mean").max().alias("high"),
    )
    added, low, high = gained.row(0)
    if added is None:
        return "", False
    own_mean = f"{low:,.0f}" if round(low) == round(high) else f"{low:,.0f}-{high:,.0f}"
    floor = "a signed contract is a floor under the customer's own demand"
    # The book adds a pipeline deal on top of the customer's series at its odds: "its own
    # forecast" held its own unsigned deals (arcadia-ml's 1,838 GPUs were ~650 run and a
    # 1,000-GPU pipeline deal at 100 %).
    pending = [c for c in (book.pipeline if book else ()) if c.unique_id == deal.unique_id]
    if pending:
        listed = ", ".join(
            f"{c.id} ({max(s.gpus for s in c.ramp):,} GPUs from {c.ramp[0].day}, at {c.p:.0%}, "
            "not signed)"
            for c in pending
        )
        deals, odds = ("deal", "its") if len(pending) == 1 else ("deals", "their")
        floor += (
            f"; {deal.customer}'s own forecast holds its pipeline {deals} {listed} at {odds} "
            "odds, which this floor does not add to (the finance page weighs each pipeline "
            "deal on the forecast without it)"
        )
    if added < 0.5:
        counts = sorted({s.gpus for s in deal.ramp if s.gpus})
        ramp = f"{counts[0]:,}" if len(counts) == 1 else f"{counts[0]:,}-{counts[-1]:,}"
        return (
            f"the ramp ({ramp} GPUs) is at or below {deal.customer}'s own forecast "
            f"({deal.workload_class}, {deal.region}: mean {own_mean} GPUs on the ramp's days in "
            f"the plan): {floor}, so it adds no GPUs here, and its revenue is for GPUs the "
            "customer is forecast to run anyway"
        ), True
    return (
        f"it adds at most {added:,.0f} GPUs a day to {deal.customer}'s own forecast (mean "
        f"{own_mean} GPUs): {floor}, not added to it"
    ), False


def _order_list(placements: pl.DataFrame, plan: CapacityPlan) -> tuple[str, float, float]:
    """A pool's orders to the plan's end as a note reads them (blocks x type, in service on),
    their capex and the GPUs they add (in H100-equivalents where the plan counts them)."""
    units = {c.name: c.gpus * plan.h100_equivalent(c.gpu_type) for c in plan.candidate}
    rows = placements.sort("arrives").iter_rows(named=True)
    listed = ", ".join(f"{r['blocks']} x {r['candidate']} ({r['arrives']})" for r in rows)
    gpus = sum(
        r["blocks"] * units.get(r["candidate"], 0.0) for r in placements.iter_rows(named=True)
    )
    return listed or "none", float(placements["capex_usd"].sum()), gpus


def _less_capital_note(
    without: pl.DataFrame,
    with_: pl.DataFrame,
    orders: pl.DataFrame,
    plan: CapacityPlan,
    *,
    horizon_end: date,
) -> str:
    """Why adding demand lowers the capital of the plan's orders, measured: each pool whose
    capital falls, its orders to the plan's end without and with the deal, and the GPUs they
    add. A deal read "extra capex $-191.2M, -6.1 MW" with nothing saying why.

    The deal moves a pool's shortfalls: each order is sized for the weeks after its own
    shortfall and chosen for its own window, so the plan buys another mix of blocks (and,
    where its last order's window runs past the plan's end, fewer GPUs within it). That is a
    different plan to the same end, not a saving from signing."""
    parts = []
    for r in orders.filter(pl.col("extra_capex_usd") < -_USD_TOL).iter_rows(named=True):
        pool = (pl.col("region") == r["region"]) & (pl.col("pool") == r["pool"])
        before, capex_before, gpus_before = _order_list(without.filter(pool), plan)
        after, capex_after, gpus_after = _order_list(with_.filter(pool), plan)
        parts.append(
            f"{r['region']} {r['pool']}: without the deal {before} = "
            f"{usd(capex_before)}, {gpus_before:,.0f} GPUs (H100-equivalents); with it "
            f"{after} = {usd(capex_after)}, {gpus_after:,.0f} GPUs"
        )
    return (
        "the extra capex and MW are negative because the deal moves its pools' shortfalls, "
        "and each order is chosen and sized for the weeks after its own shortfall, so the "
        f"plan places other orders to {horizon_end} (in service on the dates shown): "
        f"{'; '.join(parts)}. Not a saving from signing: the capital of a different plan to "
        "the same end (blocks come in lumps, so a plan for more demand can hold fewer GPUs "
        "at its end)"
    )


_NO_EXTRA_CAPITAL = "$0 extra capital"
# Ends the note on a deal not served within the horizon whose extra capital is not $0; the
# finance page's pipeline rows carry it too.
_NOT_PRICE = "it is not the price of the deal"


def _no_extra_capital_note(extra_capex: float, serve_from: date | None, deal: Contract) -> str:
    """Why a deal not served from its first ramp day adds no capital ('' otherwise): $0
    beside "not within the horizon" or "served in full from 2028-12-01" read as a deal
    served for free. A deal served from its first day says so in its serve note already."""
    if abs(extra_capex) > _USD_TOL or serve_from == deal.ramp[0].day:
        return ""
    anyway = "signing adds no order to those the plan places anyway (it moves their dates at most)"
    if serve_from is None:
        return (
            f"{_NO_EXTRA_CAPITAL} does not mean served for free: {anyway}, and they do not serve "
            "it in full within the horizon"
        )
    return (
        f"{_NO_EXTRA_CAPITAL} does not mean served as it ramps: {anyway}, and they serve it in "
        f"full only from {serve_from}"
    )


def _pipeline_basis(answer: WhatIf) -> str:
    """The extra capex's basis for a pipeline row's note where the figure alone misleads (''
    otherwise, or where the re-plan note already names the deal's blocks): $0 served by the
    plan's orders landing sooner is no free deal, and "at least $X (... an assumption)" needs
    whose cost per MW the new site took. The finance page read both bare."""
    # A declared [[new_site]] prices its MW with no bound: the figure still holds a new site.
    new_site = answer.capex_bound is CapexBound.NEW_SITE or bool(
        answer.deal_blocks["new_site_from"].is_not_null().any()
    )
    # The power its blocks need beyond the plan's is in the figure: said with it, dated.
    powered = answer.deal_power.height > 0
    if not (answer.pulled_orders.height or new_site or powered):
        return ""
    if (
        not answer.pulled_orders.height
        and not powered
        and deal_blocks_text(answer.deal_blocks) in answer.replan_note
    ):
        return ""
    return f"extra capex: {answer.capex_basis}"


PIPELINE_SCHEMA = pl.Schema(
    {
        "contract_id": pl.String(),
        "customer": pl.String(),
        "workload_class": pl.String(),
        "region": pl.String(),
        "probability": pl.Float64(),
        "first_day": pl.Date(),
        "peak_gpus": pl.Int64(),
        "extra_capex_usd": pl.Float64(),
        "expected_capex_usd": pl.Float64(),
        "order_by": pl.Date(),
        "serve_from": pl.Date(),
        "note": pl.String(),
        # What the capex figures are where an order is not sized (a text.CapexBound value; null:
        # measured in full). The note says it in words; the pages read this.
        "capex_bound": pl.String(),
    }
)


def _lowered_orders_note(orders: pl.DataFrame) -> str:
    """Why signing a deal can lower a pool's capital, naming what it lowers and raises ('' if
    it lowers nothing).

    A block ordered for the training pool also serves the ``all`` pool: a deal that makes the
    training pool order a large block (a GB200 cell) leaves the ``all`` pool less to order
    for the same years, and the extra capex is then the net of a different mix of orders,
    which can be negative (the demo's training deal read "-$155.1M if it signs": one cell,
    $368.6M, for 62 fewer racks, $523.7M). That is no saving from signing: the plan's own
    mix of orders may not be the cheapest.
    """

    def listed(frame: pl.DataFrame) -> str:
        return "; ".join(
            f"{r['region']} {r['pool']}: {usd(r['capex_without_usd'])} -> "
            f"{usd(r['capex_with_usd'])}"
            for r in frame.iter_rows(named=True)
        )

    lowered = orders.filter(pl.col("extra_capex_usd") < -_USD_TOL)
    if lowered.is_empty():
        return ""
    raised = orders.filter(pl.col("extra_capex_usd") > _USD_TOL)
    why = (
        f" while it raises {listed(raised)}: a block ordered for one pool serves the other too, "
        "so the extra capex is the net of a different mix of orders"
        if raised.height
        else ": its shortfalls move, and each order is chosen for its own window, so another "
        "block type or date can cost less"
    )
    return (
        f"signing lowers the capital in every order to the plan's end for {listed(lowered)}"
        f"{why}; not a saving from signing (the plan's own mix of orders may not be the "
        "cheapest)"
    )


def without_pipeline_deal(
    forecast: pl.DataFrame, deal: Contract, *, paths: pl.DataFrame, seed: int
) -> pl.DataFrame:
    """``forecast`` (a run's, the book applied: daily rows, monthly rows with ``grain``)
    without the pipeline ``deal``, on its series and every level above it.

    The run added the deal's ramp on the sample paths where its draw signed
    (:func:`~forecasting.contracts.pipeline_draws`, seeded by the run's ``seed``) and shifted
    each level by the book's effect on its paths' sums. Here the ramp is taken back off those
    paths (``paths``: the run's bottom-level paths as stored, the book in them), and each
    level's mean and quantiles move by the change in its paths' sums, both measures alike
    (the peak of a flat count moves as the mean; on the deal's own series the peak's shift
    is read as the mean's, which the run maps to its peak band). Days the paths do not cover
    (the monthly rows) held the deal in their mean only, ``p x GPUs`` (their peak day or
    average day, as :func:`~forecasting.contracts.apply_to_months`), which is taken off."""
    from forecasting.contracts import _quantile_of, pipeline_draws

    names = hierarchy.levels_of(deal.unique_id)
    ids = [*(hierarchy.id_of(*names[:depth]) for depth in (0, 1, 2)), deal.unique_id]
    quantiles = sorted(
        (c for c in _VALUES if c != "mean" and c in forecast.columns), key=_quantile_of
    )
    stats = ["mean", *quantiles]
    grain = _grain(forecast)
    days = paths.select(pl.col("ds").unique()).filter(pl.col("ds") <= deal.term_end)
    samples = sorted(paths["sample_id"].unique().to_list())
    one = ContractBook(contracts=(deal,), source="pipeline deal")
    signs = pipeline_draws(one, sample_ids=samples, seed=seed).select(
        pl.col("sample_id").cast(paths.schema["sample_id"]), "signs"
    )
    ramp = days.with_columns(
        ramp=pl.col("ds").map_elements(lambda d: float(deal.gpus_on(d)), return_dtype=pl.Float64)
    )
    bottoms = pl.col("unique_id")
    parts = []
    for uid in ids:
        under = bottoms.str.starts_with(uid + "/") | (bottoms == uid)
        sums = (
            paths.filter(under)
            .group_by("ds", "sample_id")
            .agg(pl.col("y").cast(pl.Float64).sum())
            .join(ramp, on="ds")
            .join(signs, on="sample_id")
            .with_columns(less=pl.col("y") - pl.when("signs").then(pl.col("ramp")).otherwise(0.0))
        )

        def stat(column: str, name: str) -> pl.Expr:
            if name == "mean":
                return pl.col(column).mean()
            return pl.col(column).quantile(_quantile_of(name), interpolation="linear")

        parts.append(
            sums.group_by("ds").agg(
                pl.lit(uid).alias("unique_id"),
                *((stat("less", v) - stat("y", v)).alias(f"shift_{v}") for v in stats),
            )
        )
    shift = pl.concat(parts).with_columns(pl.lit("day").alias("grain"))
    # The monthly rows: p x the month's peak day (peak) or average day (mean), mean only.
    months = forecast.filter(grain == "month").select("ds").unique()
    taken = []
    for (month,) in months.iter_rows():
        month_days = _days_of(month)
        held = [float(deal.gpus_on(d)) for d in month_days if d <= deal.term_end] or [0.0]
        taken += [
            (month, Measure.PEAK.value, deal.p * max(held)),
            (month, Measure.MEAN.value, deal.p * sum(held) / len(month_days)),
        ]
    monthly = pl.DataFrame(
        taken,
        schema={"ds": pl.Date(), "measure": pl.String(), "taken": pl.Float64()},
        orient="row",
    ).with_columns(pl.lit("month").alias("grain"))
    framed = forecast.with_columns(grain.alias("grain"))
    touched = pl.col("unique_id").is_in(ids)
    out = (
        framed.join(shift, on=["unique_id", "ds", "grain"], how="left")
        .join(monthly, on=["ds", "measure", "grain"], how="left")
        .with_columns(
            pl.when(touched & pl.col(f"shift_{v}").is_not_null())
            .then(pl.col(v) + pl.col(f"shift_{v}"))
            .when(touched & (pl.col("grain") == "month") & pl.lit(v == "mean"))
            .then(pl.col(v) - pl.col("taken").fill_null(0.0))
            .otherwise(pl.col(v))
            .clip(lower_bound=0.0)
            for v in stats
        )
        # Put the quantiles back in order where the shifts crossed them.
        .with_columns(
            pl.max_horizontal(quantiles[: i + 1]).alias(c) for i, c in enumerate(quantiles)
        )
    )
    return out.select(forecast.columns).cast(forecast.schema)


def pipeline_if_signed(
    forecast: pl.DataFrame,
    plan: CapacityPlan,
    book: ContractBook,
    *,
    as_of: date,
    settings: TriggerSettings | None = None,
    paths: pl.DataFrame | None = None,
    seed: int = 0,
    held: Collection[str] | None = None,
) -> pl.DataFrame:
    """What each pipeline deal would need if it signed (PIPELINE_SCHEMA), one row per deal.

    Each deal is weighed as signing on every path (:func:`what_if` with ``pipeline``): its
    ramp on top of the forecast without it (:func:`without_pipeline_deal`, from the run's
    ``paths`` and ``seed``, where the book put it at its odds; ``paths`` None: ``forecast``
    does not hold the deal; ``held``: the ids of the deals the run applied, None: every deal
    of ``book``; a deal loaded after the run is not in its paths, and is weighed on
    ``forecast`` as it is). It was weighed as a signed floor on the forecast that held it:
    a p=1 deal always read "it needs no extra block, $0", and a deal of a customer already
    running GPUs lost them from its lift. ``extra_capex_usd`` is what signing adds beyond the
    plan's own orders without it.
    ``expected_capex_usd`` weights it by the deal's probability; ``order_by`` is the earliest
    order-by date of an order the deal adds or changes (null when none). Deals in a region the
    plan lacks, or whose term ended before the forecast's first day, are left out; a deal the
    plan cannot weigh (its first GPUs after the plan's end) has null figures and says why in
    ``note``; a deal whose signing lowers a pool's orders says so there
    (:func:`_lowered_orders_note`). ``capex_bound`` is what the capex figures are where an
    order is not sized (``WhatIf.capex_bound``).
    """
    settings = settings or TriggerSettings()
    # A deal outside the plan's regions, or whose term ended before the forecast starts, has
    # nothing to weigh here (what_if refuses both).
    first: date = forecast["ds"].min()  # type: ignore[assignment]
    deals = [c for c in book.pipeline if c.region in plan.regions and c.term_end >= first]
    if not deals:
        return pl.DataFrame(schema=PIPELINE_SCHEMA)
    # One plan without any deal where the forecast holds none of them; else each deal's own.
    shared = (
        expansion_triggers(forecast, plan, as_of=as_of, settings=settings)
        if paths is None
        else None
    )
    rows: list[tuple[object, ...]] = []
    for deal in deals:
        signed = replace(deal, status=ContractStatus.SIGNED, probability=None)
        deal_fields = (
            deal.id,
            deal.customer,
            deal.workload_class.value,
            deal.region,
            deal.p,
            deal.ramp[0].day,
            max(s.gpus for s in deal.ramp),
        )
        try:
            base = (
                forecast
                if paths is None or (held is not None and deal.id not in held)
                else without_pipeline_deal(forecast, deal, paths=paths, seed=seed)
            )
            answer = what_if(
                base, plan, signed, as_of=as_of, settings=settings, without=shared, book=book,
                pipeline=True,
            )  # fmt: skip
        except DealError as err:
            # One deal the plan cannot weigh (its ramp starts past a young fleet's short plan)
            # stopped the whole run's reports; it is listed, unweighed, with the reason.
            rows.append((*deal_fields, None, None, None, None, f"not weighed: {err}", None))
            continue
        order_by = answer.new_orders["order_by"].min() if answer.new_orders.height else None
        if answer.not_judged:
            # Its capex, order-by and serve dates hold on the deal's GPUs alone: not figures
            # to budget.
            note = f"{answer.serve_note}; {answer.capital_note}"
            rows.append((*deal_fields, None, None, None, None, note, None))
            continue
        rows.append(
            (
                *deal_fields,
                answer.extra_capex_usd,
                deal.p * answer.extra_capex_usd,
                order_by,
                answer.serve_from,
                "; ".join(
                    n
                    for n in (
                        answer.serve_note,
                        _pipeline_basis(answer),
                        answer.replan_note,
                        answer.capex_not_sized,
                        answer.baseline_note,
                        _lowered_orders_note(answer.orders),
                        answer.capital_note,
                    )
                    if n
                ),
                answer.capex_bound,
            )
        )
    return pl.DataFrame(rows, schema=PIPELINE_SCHEMA, orient="row")
