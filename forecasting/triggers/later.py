"""The region's plan: each pool's trigger and its later orders to the horizon's end, with bridges
where they cost less."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import partial
from itertools import combinations
from typing import NamedTuple

import polars as pl

from forecasting.capacity import CapacityPlan
from forecasting.text import capex_past_ceiling, days_count, usd
from forecasting.triggers.common import (
    DAYS_PER_WEEK,
    NO_ORDER_BY,
    Pool,
    TriggerSettings,
    weeks_delta,
)
from forecasting.triggers.orders import Order, running_shares
from forecasting.triggers.power import Power
from forecasting.triggers.power_waits import past_the_ceiling
from forecasting.triggers.rows import PoolDecision, trigger_row

# How long the notes of a bridged pool say waiting to order the newer blocks would take.
_WAIT_WEEKS = 4
# Waits (weeks) before ordering a bridge's newer blocks that the plan weighs against ordering
# them today (see cheaper_plan).
_WAITS_WEEKS = (2, _WAIT_WEEKS, 8, 13)
# Dollars; capital figures closer than this are the same.
_USD_TOL = 1.0


# Later orders a trigger's note names one by one; the rest are counted.
_LATER_LISTED = 3


def _with_orders(daily: pl.DataFrame, orders: Sequence[Order]) -> pl.DataFrame:
    """``daily`` with every order's capacity in service: its blocks that run, from when they
    run (:func:`running_shares`; from its arrival where its placement is not yet known)."""
    added = pl.lit(0.0)
    for o in orders:
        for day, blocks in running_shares(o):
            added = added + pl.when(pl.col("ds") >= day).then(blocks * o.units).otherwise(0.0)
    return daily.with_columns(pl.col("capacity_gpus") + added)


def later_orders(
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    first: PoolDecision,
    earlier: Sequence[Order],
    region: str,
    pool: Pool,
    as_of: date,
    settings: TriggerSettings,
    power: Power | None,
    bridge_from: date | None = None,
) -> list[PoolDecision]:
    """The orders after the trigger's to the plan's end, by the same rule: each is chosen and
    sized for the next shortfall once every order before it (``earlier``: the training pool's,
    which serve ``all`` too) is in service, from the day after the last one's sizing window.

    The trigger is the decision due now; these are what the plan already implies after it, so
    that capital by quarter and the MW each site needs reach the plan's end (a 36-month plan
    that priced and powered only its first order read us-east-a short by 16 MW in 2027 and
    then never again, while the forecast's need grew by 186,000 GPUs more).
    """
    orders = [*earlier, *([first.order] if first.order is not None else [])]
    later: list[PoolDecision] = []
    sized_to = first.sized_to
    while sized_to is not None:
        rest = daily.filter(pl.col("ds") > sized_to)
        if rest.is_empty():
            break
        decision = trigger_row(
            _with_orders(rest, orders),
            plan,
            region=region,
            pool=pool,
            as_of=as_of,
            settings=settings,
            relief=None,
            power=power,
            bridge_from=bridge_from,
        )
        if decision.order is not None and decision.order.blocks > 0:
            later.append(decision)
            orders.append(decision.order)
        sized_to = decision.sized_to
    return later


def later_note(decisions: Sequence[PoolDecision], *, end: date, as_of: date) -> str:
    """What the plan orders after the trigger's order, in one clause ('' when nothing); an
    order-by date before ``as_of`` says it is late and when the order, placed today, lands
    against its shortfall (one 173 days past read "the first due 2026-06-13", no more)."""
    ordered = sorted(
        (d for d in decisions if d.order is not None),
        key=lambda d: d.order.first_share().order_by,  # type: ignore[union-attr]
    )
    orders = [d.order for d in ordered if d.order is not None]
    if not orders:
        return ""

    def by(day: date | None) -> str:
        if day is None:
            return f"({NO_ORDER_BY})"
        return f"by {day}{' (late)' if day < as_of else ''}"

    # Each order's blocks by the date each share is due: an order split by power is due in
    # parts (the demo's eu-west read "3 x cell by 2026-12-13; $1,105.9M" where orders.csv
    # dated 1 cell then and 2 three months later). Its blocks past every ceiling have no date
    # (the demo's "1 x cell-gb200-8192 by 2028-01-13" at us-east-c, which no site can power).
    dated: dict[tuple[int, str, date], int] = {}
    undated: dict[str, int] = {}
    for number, o in enumerate(orders):
        for s in o.shares:
            beyond = min(s.beyond_ceiling or 0, s.blocks)
            if beyond:
                undated[s.candidate.name] = undated.get(s.candidate.name, 0) + beyond
            if s.blocks > beyond:
                key = (number, s.candidate.name, s.order_by)
                dated[key] = dated.get(key, 0) + s.blocks - beyond
    parts = sorted(dated.items(), key=lambda item: (item[0][2], item[0][0]))
    # The count is of orders; the list is of their dated parts, which power may outnumber.
    planned = f"{len(orders)} planned to {end} by the same rule"
    if len(parts) > len(orders):
        planned += f" (in {len(parts)} parts by power date)"
    listed = ", ".join(
        f"{blocks} x {name} {by(day)}" for (_, name, day), blocks in parts[:_LATER_LISTED]
    )
    more = len(parts) - _LATER_LISTED
    if more > 0:
        listed += f" and {more} more"
    # Every block past the ceilings is named, after the dated ones: none is due on a date.
    beyond_all = [f"{blocks} x {name} {by(None)}" for name, blocks in sorted(undated.items())]
    listed = ", ".join(([listed] if listed else []) + beyond_all)
    capex = sum(o.total_blocks * o.candidate.capex_usd for o in orders)
    # Blocks past their site's ceiling are a new site's, not the plan's capital.
    apart = sum((o.beyond_ceiling or 0) * o.candidate.capex_usd for o in orders)
    # Blocks whose power comes after the plan's end serve nothing it covers (_past_the_plan_note).
    past = sum(
        (s.blocks - (s.beyond_ceiling or 0)) * s.candidate.capex_usd
        for o in orders
        for s in o.shares
        if not s.powered and s.runs_from is not None and s.runs_from > end
    )
    priced = capex_past_ceiling(
        capex - apart - past, apart, beyond=sum(o.beyond_ceiling or 0 for o in orders)
    )
    if past > _USD_TOL:
        priced += (
            f" (+ {usd(past)} for blocks that can run only after the plan's end, {end}: not "
            "within the horizon, not in the plan's totals)"
        )
    # The first due among the blocks some site can power.
    placeable = [
        (s.order_by, s.arrives, number, s)
        for number, o in enumerate(orders)
        for s in o.shares
        if s.blocks > min(s.beyond_ceiling or 0, s.blocks)
    ]
    if not placeable:
        return f"{planned}: {listed}; {priced}"
    *_, number, first = min(placeable, key=lambda p: p[:3])
    due = f"the first due {first.order_by}"
    if first.order_by < as_of:
        short = ordered[number].row["exhaustion_date"]
        lands = f"ordered today it lands {first.arrives}"
        if isinstance(short, date) and first.arrives > short:
            lands += f", {days_count((first.arrives - short).days)} after its shortfall ({short})"
        due += (
            f" ({days_count((as_of - first.order_by).days)} before the as-of date {as_of}: late; "
            f"{lands})"
        )
    return f"{planned}, {due}: {listed}; {priced}"


class RegionPlan(NamedTuple):
    """A region's triggers (``first``) and later orders per pool, and the power they leave."""

    first: dict[Pool, PoolDecision]
    later: dict[Pool, list[PoolDecision]]
    power: Power | None

    @property
    def capex_usd(self) -> float:
        """Capex of every order of the region's plan."""
        decisions = [*self.first.values(), *(d for each in self.later.values() for d in each)]
        return sum(d.order.blocks * d.order.candidate.capex_usd for d in decisions if d.order)

    def bridged(self, pool: Pool) -> bool:
        """Whether an order of ``pool`` was cut short for a newer generation."""
        return any(d.bridge is not None for d in [self.first[pool], *self.later[pool]])


def _region_plan(
    pools: dict[Pool, pl.DataFrame],
    plan: CapacityPlan,
    *,
    region: str,
    as_of: date,
    settings: TriggerSettings,
    power: Power | None,
    bridges: frozenset[Pool],
    wait_days: int = 0,
    size_until: date | None = None,
) -> RegionPlan:
    """The region's triggers, then what each pool orders after them, on a copy of ``power``;
    only the pools in ``bridges`` may bridge to a newer generation, ordered from ``wait_days``
    after ``as_of`` on; the triggers' orders are sized no further than ``size_until``.

    The triggers first (the all pool net of the training pool's order, which serves it too),
    then the later orders: the orders due now take power first.
    """
    power = None if power is None else power.copy()
    step = partial(
        trigger_row,
        plan=plan,
        region=region,
        as_of=as_of,
        settings=settings,
        power=power,
        size_until=size_until,
    )
    start = as_of + timedelta(days=wait_days)
    bridge_from = {pool: start if pool in bridges else None for pool in Pool}
    before = None if power is None else power.copy()
    training = step(
        pools[Pool.TRAINING],
        pool=Pool.TRAINING,
        relief=None,
        bridge_from=bridge_from[Pool.TRAINING],
    )
    if before is not None and training.order is not None:
        # The all pool counts the training order's blocks that run, as placed on the power
        # before it: none past its site's ceiling, each from when its power runs it.
        ceiling = past_the_ceiling(
            training.order, plan, power=before, as_of=as_of, settings=settings
        )
        training = training._replace(order=ceiling)
    first = {
        Pool.TRAINING: training,
        Pool.ALL: step(
            pools[Pool.ALL], pool=Pool.ALL, relief=training.order, bridge_from=bridge_from[Pool.ALL]
        ),
    }
    later: dict[Pool, list[PoolDecision]] = {}
    serving_all: list[Order] = []
    for pool in (Pool.TRAINING, Pool.ALL):
        later[pool] = later_orders(
            pools[pool],
            plan,
            first=first[pool],
            earlier=serving_all,
            region=region,
            pool=pool,
            as_of=as_of,
            settings=settings,
            power=power,
            bridge_from=bridge_from[pool],
        )
        if pool is Pool.TRAINING:
            serving_all = [
                o for o in (training.order, *(d.order for d in later[pool])) if o is not None
            ]
    return RegionPlan(first, later, power)


def cheaper_plan(
    pools: dict[Pool, pl.DataFrame],
    plan: CapacityPlan,
    *,
    region: str,
    as_of: date,
    settings: TriggerSettings,
    power: Power | None,
    end: date,
    size_until: date | None = None,
) -> RegionPlan:
    """The region's plan with bridges to the newer generation in the pools where they make
    every order of it to ``end`` cost less, else without; the bridged pools' notes say by how
    much.

    A bridge buys the newer block sooner: cheaper per H100-equivalent, but lumpy, and its
    capacity runs out sooner. Proposed order by order and judged on the whole plan, so that
    a cell bought for a few racks' growth, or one more cell for the plan's last weeks, is
    not taken for a saving (on 400 random two-generation plans, judging each bridge on its
    own made 2 % of plans dearer, one by 67 %). Each pool's bridges are taken or left
    together; the training pool's orders serve the all pool too, so the pools are judged in
    every combination, the fewest bridges winning a tie.

    A bridge trades capital for commitment: the newer block must be ordered sooner. So the
    plan also weighs waiting ``_WAITS_WEEKS`` to order it (the same bridges, the newer blocks
    ordered from then on, the bridges longer): the newer blocks are lumpy, and a later start
    can fit the plan's shortfalls better. The cheapest wait wins, the longest among equals
    (nothing is gained by committing sooner, and the next run reads a newer forecast); the
    notes say what ordering today, or waiting ``_WAIT_WEEKS`` more, would give up. On the demo
    as of 2026-12-01, us-east's cells ordered today cost $140.5M more over the plan than
    ordered 2-4 weeks on, and the notes called both "due now" and "waiting saves more".
    """
    plans = partial(
        _region_plan,
        pools,
        plan,
        region=region,
        as_of=as_of,
        settings=settings,
        size_until=size_until,
    )
    bridged = plans(power=power, bridges=frozenset(Pool))
    proposed = [pool for pool in Pool if bridged.bridged(pool)]
    if not proposed:
        return bridged
    tried = {frozenset(proposed): bridged}
    for n in range(len(proposed)):
        for subset in combinations(proposed, n):
            tried[frozenset(subset)] = plans(power=power, bridges=frozenset(subset))
    plain = tried[frozenset()]
    key = min(tried, key=lambda k: (tried[k].capex_usd, len(k)))
    chosen = tried[key]
    if not key:
        return chosen
    by_wait = {0: chosen} | {
        weeks: plans(power=power, bridges=key, wait_days=weeks * DAYS_PER_WEEK)
        for weeks in _WAITS_WEEKS
    }
    cheapest = min(p.capex_usd for p in by_wait.values())
    weeks = max(w for w, p in by_wait.items() if p.capex_usd - cheapest <= _USD_TOL)
    chosen = by_wait[weeks]
    if not any(chosen.bridged(pool) for pool in Pool):
        return chosen  # waited, the newer blocks no longer serve: the plain plan's figures
    saving = plain.capex_usd - chosen.capex_usd
    if weeks:
        # Today's plan is the one waiting was weighed against: its bridges are there.
        now = by_wait[0].capex_usd - chosen.capex_usd
        today = (
            f"ordered from today they would save {usd(now)} less"
            if now > _USD_TOL
            else "as cheap as ordering them today, and it commits later"
        )
        wait = (
            f"the newer blocks ordered no sooner than {as_of + weeks_delta(weeks)}, {weeks} weeks "
            f"from now: of waits up to {max(_WAITS_WEEKS)} weeks the cheapest plan; {today}"
        )
    else:
        waited = by_wait[_WAIT_WEEKS]
        # Having waited, the plan can still do without the bridges: at most the saving is lost.
        waiting = min(waited.capex_usd, plain.capex_usd) - chosen.capex_usd
        later = f"ordered {_WAIT_WEEKS} weeks later, the newer blocks would save"
        if saving - waiting <= _USD_TOL:
            wait = f"{later} nothing"
        else:
            wait = f"{later} {usd(saving - waiting)}"
        wait += f"; no wait up to {max(_WAITS_WEEKS)} weeks costs less than ordering them today"
    for pool in (p for p in Pool if chosen.bridged(p)):
        row = chosen.first[pool].row
        row["note"] = (
            f"{row['note']}; bridges to the newer generation save {usd(saving)} of "
            f"{region}'s orders to {end} ({wait})"
        )
    return chosen
