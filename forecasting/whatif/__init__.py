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
   adds to what its pools lack on the plan without it (:func:`blocks_for_deal`): the plan's blocks,
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
(:mod:`forecasting.triggers.plan`, "Later orders"): only the blocks that run, under their
site's ceiling, from when their power runs them, as finally placed.
"""

from __future__ import annotations

from forecasting.whatif.answer import WhatIf, what_if
from forecasting.whatif.baseline import PLAN_SHORT_TOO
from forecasting.whatif.blocks import DEAL_BLOCKS_SCHEMA, DEAL_POWER_SCHEMA, PULLED_SCHEMA
from forecasting.whatif.capital import (
    deal_blocks_text,
    deal_power_text,
    extra_mw_text,
    past_ceiling_text,
    pulled_text,
)
from forecasting.whatif.deal import DEAL_ID, DealError, deal_contract, with_deal, with_region_levels
from forecasting.whatif.orders import ORDERS_SCHEMA, no_block_type
from forecasting.whatif.pipeline import PIPELINE_SCHEMA, pipeline_if_signed, without_pipeline_deal
from forecasting.whatif.replan import REPLANNED
from forecasting.whatif.revenue import REVENUE_ANYWAY

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
