"""Expansion triggers: when each region must order its next block, which one, and idle risk.

The decision of DOMAIN.md ("Expansion triggers"), made per region and per *pool* of eligible
capacity, from the chosen forecast (FORECAST_SCHEMA) and the capacity plan:

Pools
    ``training``: blocks that may host training (fabric, and training in their ``classes``);
    demand is the region's training class. ``all``: every block of the region; demand is the
    whole region. The pools overlap (a fabric pod is in both), so they are judged separately.

Dedicated blocks
    A dedicated block serves only its customer, so it is left out of the pool's capacity, and
    the customer's demand is taken out of the pool's demand up to the dedicated GPUs in
    service that day, counting only the classes the block may host: per group of the
    customer's blocks hosting the same classes, ``min(group GPUs, customer demand in those
    classes)``, and at most the customer's demand in the pool over all its groups. Customer
    demand is the bottom-level *mean* measure at the quantile (means add up; peaks do not).
    A mean is at most the peak, so the offset does not exceed what the customer takes off the
    shared blocks. Exact when each customer's dedicated blocks host one set of classes; when
    two of its groups share a class, their sum is bounded by its demand in the pool, not by a
    matching, and may count a class twice up to that bound.

Requirement on a day
    ``training``: (training PEAK at the quantile - offset) / (1 - training headroom).
    ``all``: (the region's own PEAK at the quantile - offset) / (1 - h_eff). Peaks of classes
    do not add (they peak at different hours), so the region's own peak series is used, and
    its headroom ``h_eff`` is the class headrooms averaged with weights equal to each class's
    share of the region's mean demand that day at the trigger quantile (that column of the
    mean measure: the mix of the scenario whose peak is read, so a pipeline deal counted in
    full in the q90 peak is counted in full in the mix). Without class-level means that day
    the highest class headroom is used.

Exhaustion, block choice, status
    The exhaustion date is the first day from ``as_of`` on which the requirement exceeds the
    shared capacity in service (live plus committed by in-service date, less retired, from
    :func:`~forecasting.capacity.capacity_timeline`); None when it never does within the
    forecast. Blocks to order = ceil(largest shortfall in the sizing window / candidate GPUs),
    all ordered together; the window starts on the exhaustion date, or on the order's arrival
    when it lands after that (see ``TriggerSettings``). Candidates are the block types
    available in the region that can serve the pool (training needs fabric).
    ``order_by = exhaustion - lead time - buffer``; among candidates whose order-by is on or
    after ``as_of`` the cheapest total capex wins;
    when none is in time, the one that arrives first (and the note says so). Status:
    green when ``as_of <= order_by``; amber when ``order_by < as_of <= exhaustion - lead time``
    (inside the buffer); red when ``as_of > exhaustion - lead time`` (a shortfall is coming
    whatever is ordered now), and red when no candidate can serve the pool.
    Every training-pool block is also in the ``all`` pool, so the ``all`` pool is sized for
    what is still short once the training-pool order is in service (no double order, also
    when both orders land late).

Later orders
    The trigger is the order due now; what is short after its sizing window is ordered by the
    same rule, to the horizon's end: once every earlier order is in service (for ``all``, the
    training pool's orders too), the pool's next shortfall after the last sizing window takes
    the next order, chosen, sized, placed and dated like a trigger. PLACEMENTS_SCHEMA holds
    them all, ``tranche`` 1 the trigger's order, with order-by date, capex, exhaustion date and
    status, so that capital and MW reach the plan's end. The triggers take power first. A
    later order can be due before its trigger (a 90-week cell for the year after a rack
    order's window).

Drivers
    The increase of expected MEAN demand from the first forecast day on or after ``as_of`` to
    the exhaustion date (horizon end when the pool never exhausts), by class and customer at
    the bottom level (class level where a region has no customer series): ``from_gpus`` and
    ``to_gpus`` are the two means, ``growth_gpus`` their difference and ``share`` each part's
    growth over the pool's total growth, so shares sum to 1 (null when the total is 0).

Idle risk
    For each committed block: the GPUs that the requirement at ``idle_quantile`` leaves
    unneeded, averaged over the ``idle_weeks`` after it enters service (forecast days only).
    The newest blocks are the marginal ones: within a pool, committed blocks fill last, the
    latest in-service first to stand idle. Shared blocks are judged in the ``all`` pool, or
    in ``training`` when their ``classes`` restrict them to a list that includes training;
    dedicated blocks against their customer's demand (the sum of its class peaks at the
    quantile, an upper bound on its peak, so idle GPUs are never overstated). Capital at risk
    prices idle GPUs at the per-GPU capex of the cheapest candidate of the same kind and GPU
    type (the plan holds no capex for blocks already bought).

Monthly grain
    The forecast may carry a ``grain`` column: 'day' rows (the first weeks) and 'month' rows
    dated on the month's first day whose values are that month's peak-day demand (for the
    mean measure, the month's average day, which adds up over classes and compares with a
    daily mean; the drivers and class mixes read it). A monthly row is the demand of every
    day of its month that has no daily row of the same series, so exhaustion and order-by
    dates can fall in any month of the horizon; without the column every row is daily.

GPU generations
    With a ``[gpu_type]`` table in the plan, capacity is counted in H100-equivalents (block
    GPUs times the type's ``h100_equivalent``) and so is demand; the ``*_gpus`` columns then
    hold H100-equivalents (``capacity_gpus_at_exhaustion`` rounded down). Telemetry counts
    the GPUs a region's workloads ran on, whatever their type, so a region's demand is
    converted at the mean H100-equivalent of its blocks in service on ``as_of``: a GPU-hour
    used in a region of H200s is 1.4 H100-equivalent hours. Growth is thereby assumed to run
    on the region's current mix; the newer blocks the triggers order then cover more of it.
    Among candidates orderable in time the newest generation wins, then the cheapest; when
    none is in time, the one that arrives first. An order of an older generation chosen in
    time whose sizing window a newer generation could serve part of in time (from ``as_of``
    plus its lead time plus the buffer) is a *bridge*: sized to the day before, the rest of the
    window left to the later orders, which then take the newer generation (proposed only when
    the rule would take it there and it is cheaper per H100-equivalent). A pool takes its
    bridges only where every order of the region's plan to the horizon's end costs less with
    them (the pools judged in every combination: the training pool's orders serve the all
    pool too); the notes of its bridged pools say how much. The newer order can then be due
    soon: each day it waits, the bridge grows. But a lumpy block can fit the plan better from
    a later start, so the plan also weighs ordering the newer blocks 2, 4, 8 or 13 weeks on
    (the bridges longer) and takes the cheapest, the longest wait among equals; the notes say
    what ordering today would give up. Without the table, GPUs are counted as GPUs and cost
    alone decides. Retiring blocks leave capacity (and free their MW) on their retire
    date.

Sites and power
    For a plan with ``[[site]]``, an order is placed at a site of its region whose MW free
    (energized, contracted MW from its energization day, less blocks in service) covers the
    order's MW on every day from its arrival on; the roomiest such site wins. A candidate
    orderable in time and powered on arrival is chosen as above. Otherwise the candidate
    usable first wins: powered on arrival, or waiting at a site for MW it will have (a
    contract energized later), so racks that wait weeks for power beat a pod that arrives
    powered a year late; its note says power is the constraint and for how long. Only when no
    site has any candidate's MW within the plan is the first to arrive placed at the region's
    roomiest site anyway. Per site, the power
    trigger (POWER_TRIGGERS_SCHEMA) dates the first day from ``as_of`` on which the MW needed
    (blocks in service plus placed orders from their arrival) exceeds the MW energized;
    ``contract_by`` = that day minus ``power_lead_months`` calendar months minus the buffer,
    with the status rule of block triggers. ``mw_to_contract`` is the largest need beyond the
    MW already secured (energized steps plus contract), at most the room under the ceiling.
    Without ``[[site]]`` no power is checked: the power frame is empty and placements
    (PLACEMENTS_SCHEMA, one row per order) have a null site.

N+1
    Per region: the largest shared block (most capacity, in service at some day of the horizon)
    is lost on every day it serves; the plan holds N+1 when neither the ``all`` pool nor,
    for a fabric block, the ``training`` pool then has a requirement above its capacity.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import partial
from itertools import combinations
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from forecasting import hierarchy
from forecasting.capacity import (
    ORDERS_SCHEMA,
    Block,
    CandidateBlock,
    CapacityPlan,
    Site,
    block_timeline,
    site_power_timeline,
)
from forecasting.schema import BlockStatus, Measure, WorkloadClass, frame_schema, group_of

__all__ = [
    "DRIVERS_SCHEMA",
    "IDLE_RISK_SCHEMA",
    "MW_SCHEMA",
    "N_PLUS_ONE_SCHEMA",
    "PLACEMENTS_SCHEMA",
    "POWER_TRIGGERS_SCHEMA",
    "TRIGGERS_SCHEMA",
    "Pool",
    "Status",
    "TriggerResult",
    "TriggerSettings",
    "blended_headroom",
    "expansion_triggers",
    "mw_by_site_month",
    "n_plus_one",
    "pool_requirements",
    "trigger_status",
    "unshocked_beside_green",
]

# GPUs; a requirement must beat capacity by more than float noise to count as a shortfall.
_TOL = 1e-9
_DAYS_PER_WEEK = 7


class Pool(StrEnum):
    """Pools of eligible capacity that a trigger is computed for."""

    TRAINING = "training"
    ALL = "all"


class Status(StrEnum):
    """Traffic light of a trigger: how the order-by date stands against ``as_of``."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


# The frames of a trigger run, as the table registry declares them (without run_id).
TRIGGERS_SCHEMA = frame_schema("triggers")
DRIVERS_SCHEMA = frame_schema("trigger_drivers")
IDLE_RISK_SCHEMA = frame_schema("idle_risk")
MW_SCHEMA = frame_schema("site_power")
N_PLUS_ONE_SCHEMA = frame_schema("trigger_n_plus_one")

# Frames the table registry does not hold yet (see the module docstring, "Sites and power").
POWER_TRIGGERS_SCHEMA = frame_schema("power_triggers")
PLACEMENTS_SCHEMA = frame_schema("order_placements")
_GRAINS = ("day", "month")
# How long the notes of a bridged pool say waiting to order the newer blocks would take.
_WAIT_WEEKS = 4
# Waits (weeks) before ordering a bridge's newer blocks that the plan weighs against ordering
# them today (see _cheaper_plan).
_WAITS_WEEKS = (2, _WAIT_WEEKS, 8, 13)
# Dollars; capital figures closer than this are the same.
_USD_TOL = 1.0
# Later orders a trigger's note names one by one; the rest are counted.
_LATER_LISTED = 3
_LATER = ": later orders"  # ends a note whose shortfall outgrows its order


@dataclass(frozen=True, slots=True, kw_only=True)
class TriggerSettings:
    """How cautious the triggers are; the horizon end is the forecast's last day.

    ``quantile`` and ``idle_quantile`` name forecast columns (``q90``, ``q10``). An order is
    sized for the largest shortfall within ``sizing_weeks`` of the exhaustion date, or of its
    arrival when it lands after exhaustion (it serves from then only): on a 36-month plan,
    buying three years of growth at the first shortfall would idle capital for years; what is
    short after the window is the next order's (the note says how much).
    """

    quantile: str = "q90"
    buffer_weeks: int = 4
    idle_weeks: int = 13
    idle_quantile: str = "q10"
    sizing_weeks: int = 52

    def __post_init__(self) -> None:
        if self.buffer_weeks < 0 or self.idle_weeks < 1 or self.sizing_weeks < 1:
            raise ValueError("buffer_weeks must be >= 0, idle_weeks and sizing_weeks >= 1")


@dataclass(frozen=True, slots=True)
class TriggerResult:
    """Frames of one trigger run: TRIGGERS_SCHEMA, DRIVERS_SCHEMA, IDLE_RISK_SCHEMA, N+1, and
    the power triggers per site (POWER_TRIGGERS_SCHEMA; empty for a plan without [[site]]) and
    where each order goes (PLACEMENTS_SCHEMA; site null for a plan without [[site]])."""

    triggers: pl.DataFrame
    drivers: pl.DataFrame
    idle_risk: pl.DataFrame
    n_plus_one: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=N_PLUS_ONE_SCHEMA))
    power: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=POWER_TRIGGERS_SCHEMA))
    placements: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PLACEMENTS_SCHEMA))


# --- reading the forecast's levels -----------------------------------------------------------


def _class_in_pool() -> pl.Expr:
    """Whether a row's workload_class is demand of its pool (``all`` takes every class)."""
    return (pl.col("pool") == Pool.ALL.value) | (pl.col("workload_class") == pl.col("pool"))


def _check_grain(frame: pl.DataFrame) -> None:
    """Grains are 'day' or 'month', and a monthly row is dated on its month's first day."""
    unknown = sorted(set(frame["grain"].unique().drop_nulls()) - set(_GRAINS)) + (
        ["null"] if frame["grain"].null_count() else []
    )
    if unknown:
        raise ValueError(f"the forecast's grain column has {unknown}; use 'day' or 'month'")
    off = frame.filter((pl.col("grain") == "month") & (pl.col("ds").dt.day() != 1))
    if not off.is_empty():
        row = off.row(0, named=True)
        raise ValueError(
            f"forecast row {row['unique_id']} {row['measure']} ds {row['ds']}: a monthly row "
            f"must be dated on the first of its month ({off.height} such rows)"
        )


def _levels(forecast: pl.DataFrame, *, as_of: date, columns: Sequence[str]) -> pl.DataFrame:
    """Forecast rows covering ``as_of`` on, with region, class, customer and depth parsed out.

    Each row covers the days ``ds`` to ``until``: a daily row its own day, a monthly row
    (``grain == 'month'``) the days of its month after its series' last daily row, so daily
    rows win where both exist. Days before ``as_of`` are cut off.
    """
    missing = sorted({"unique_id", "ds", "measure", "mean", *columns} - set(forecast.columns))
    if missing:
        raise ValueError(f"the forecast lacks columns {missing}")
    grain = pl.col("grain") if "grain" in forecast.columns else pl.lit("day")
    rows = forecast.select(
        "unique_id", "ds", "measure", *dict.fromkeys(["mean", *columns]), grain=grain
    )
    _check_grain(rows)
    monthly = pl.col("grain") == "month"
    last_daily = (
        rows.lazy()
        .filter(~monthly)
        .group_by("unique_id", "measure")
        .agg(last_daily=pl.col("ds").max())
    )
    frame = (
        rows.lazy()
        .join(last_daily, on=["unique_id", "measure"], how="left")
        .with_columns(
            until=pl.when(monthly).then(pl.col("ds").dt.month_end()).otherwise(pl.col("ds")),
            ds=pl.when(monthly)
            .then(pl.max_horizontal("ds", pl.col("last_daily") + pl.duration(days=1)))
            .otherwise(pl.col("ds")),
        )
        .filter((pl.col("ds") <= pl.col("until")) & (pl.col("until") >= as_of))
        .with_columns(ds=pl.max_horizontal("ds", pl.lit(as_of)))
        .drop("grain", "last_daily")
        .with_columns(
            region=hierarchy.level(1),
            workload_class=hierarchy.level(2),
            customer=hierarchy.level(3),
            depth=hierarchy.depth(),
        )
        .collect()
    )
    _check_peaks(frame, as_of=as_of)
    unknown = set(frame["workload_class"].drop_nulls().unique()) - {c.value for c in WorkloadClass}
    if unknown:
        raise ValueError(f"the forecast has unknown workload classes {sorted(unknown)}")
    return frame


def _in_h100_equivalents(levels: pl.DataFrame, plan: CapacityPlan, *, as_of: date) -> pl.DataFrame:
    """``levels`` with demand converted at each region's mean H100-equivalent per GPU in service
    on ``as_of`` (see "GPU generations"); unchanged without a [gpu_type] table."""
    if not plan.gpu_type:
        return levels
    factors: dict[str, tuple[float, int]] = {}
    for b in plan.block:
        if b.in_service_on(as_of):
            units, gpus = factors.get(b.region, (0.0, 0))
            factors[b.region] = (units + _units(plan, b), gpus + b.gpus)
    factor = {region: units / gpus for region, (units, gpus) in factors.items() if gpus}
    values = [c for c in levels.columns if c == "mean" or re.fullmatch(r"q[0-9.]+", c)]
    scale = pl.col("region").replace_strict(factor, default=1.0, return_dtype=pl.Float64)
    return levels.with_columns(pl.col(c) * scale for c in values)


def _daily_levels(levels: pl.DataFrame, plan: CapacityPlan) -> pl.DataFrame:
    """``levels`` one row per day: each monthly row repeated over the days it covers.

    Customers' series are only read day by day where the customer has dedicated blocks
    (drivers read the rest at two dates), so a 36-month horizon explodes a few dozen series,
    not every customer's.
    """
    if (levels["until"] == levels["ds"]).all():
        return levels.drop("until")
    dedicated = sorted({b.dedicated_customer for b in plan.block if b.dedicated_customer})
    return (
        levels.lazy()
        .filter((pl.col("depth") < 3) | pl.col("customer").is_in(dedicated))
        .with_columns(ds=pl.date_ranges("ds", "until", interval="1d", closed="both"))
        .explode("ds")
        .drop("until")
        .collect()
    )


def _check_peaks(frame: pl.DataFrame, *, as_of: date) -> None:
    """Every region, and every region's training class, needs its own peak series.

    Peaks do not add up, so a missing one cannot be rebuilt from its parts; reading it as
    zero would show a green light for a pool nobody measured.
    """
    peaks = frame.filter(pl.col("measure") == Measure.PEAK.value)
    regions = set(frame["region"].drop_nulls().unique())
    missing = regions - set(peaks.filter(pl.col("depth") == 1)["region"].unique())
    training = frame.filter(pl.col("workload_class") == WorkloadClass.TRAINING.value)
    with_training = set(
        peaks.filter((pl.col("depth") == 2) & (pl.col("workload_class") == "training"))["region"]
    )
    missing_training = set(training["region"].unique()) - with_training
    if not regions or missing or missing_training:
        raise ValueError(
            f"the forecast from {as_of} lacks peak series: "
            + ", ".join(
                [hierarchy.id_of(r) for r in sorted(missing)]
                + [hierarchy.id_of(r, "training") for r in sorted(missing_training)]
                or ["no region-level series at all"]
            )
        )


def _series(levels: pl.DataFrame, *, depth: int, measure: Measure) -> pl.LazyFrame:
    return levels.lazy().filter((pl.col("depth") == depth) & (pl.col("measure") == measure.value))


# --- the daily requirement and capacity of each pool -----------------------------------------


def _pool_members(plan: CapacityPlan) -> pl.DataFrame:
    """(block_id, pool) for every block, once per pool it belongs to."""
    rows = [(b.id, Pool.ALL.value) for b in plan.block] + [
        (b.id, Pool.TRAINING.value) for b in plan.block if b.allows(WorkloadClass.TRAINING)
    ]
    return pl.DataFrame(rows, schema={"block_id": pl.String, "pool": pl.String}, orient="row")


def _pools() -> pl.LazyFrame:
    return pl.LazyFrame({"pool": [p.value for p in Pool]})


def _pool_peaks(levels: pl.DataFrame, *, column: str) -> pl.LazyFrame:
    """(region, ds, pool, peak): the pool's own peak series at ``column``."""
    region = _series(levels, depth=1, measure=Measure.PEAK).select(
        "region", "ds", pool=pl.lit(Pool.ALL.value), peak=pl.col(column)
    )
    training = (
        _series(levels, depth=2, measure=Measure.PEAK)
        .filter(pl.col("workload_class") == WorkloadClass.TRAINING.value)
        .select("region", "ds", pool=pl.lit(Pool.TRAINING.value), peak=pl.col(column))
    )
    return pl.concat([region, training])


def _blended_headroom(levels: pl.DataFrame, plan: CapacityPlan, *, column: str) -> pl.LazyFrame:
    """(region, ds, blended): class headrooms weighted by each class's mean demand at the
    trigger quantile ``column``.

    At the quantile the requirement reads, not the expected value: a pipeline deal the forecast
    carries at its odds is in the region's q90 peak in full but in its class's expected mean
    only at p x GPUs, so the mix read off expected means understated its class, and signing
    the deal (which moves the mean, not the q90) moved the region's exhaustion later (the
    demo's 35 % training deal: us-east ``all`` from 2027-05-12 to 2027-06-01).
    """
    return (
        _series(levels, depth=2, measure=Measure.MEAN)
        .group_by("region", "ds")
        .agg(blended=blended_headroom(plan, weight=pl.col(column)))
    )


def blended_headroom(plan: CapacityPlan, *, weight: pl.Expr) -> pl.Expr:
    """Aggregation: the class headrooms of a group's rows (one per ``workload_class``) weighted
    by ``weight`` (clipped at zero); null where no class weighs anything. The ``all`` pool's
    headroom, and the usable capacity the platform page draws for all classes. A class
    without a policy keeps the highest headroom, as a day without class means does."""
    highest = max(p.headroom for p in plan.policy.values())
    headroom = {c.value: p.headroom for c, p in plan.policy.items()}
    h = pl.col("workload_class").replace_strict(headroom, default=highest, return_dtype=pl.Float64)
    w = weight.clip(lower_bound=0.0)
    return pl.when(w.sum() > 0).then((h * w).sum() / w.sum())


def _pool_headroom(plan: CapacityPlan) -> pl.Expr:
    """Training's own headroom; the blended one for ``all`` (the highest when unknown)."""
    highest = max(p.headroom for p in plan.policy.values())
    training = plan.policy[WorkloadClass.TRAINING].headroom
    return (
        pl.when(pl.col("pool") == Pool.TRAINING.value)
        .then(pl.lit(training))
        .otherwise(pl.col("blended").fill_null(highest))
        .alias("headroom")
    )


def _dedicated_groups(plan: CapacityPlan) -> pl.DataFrame:
    """(block_id, group, workload_class): each dedicated block, its group, the classes it hosts.

    A group is the blocks of one customer that host the same set of classes; the set names it.
    """
    rows = []
    for block in plan.block:
        if block.dedicated_customer is None:
            continue
        hosted = [c.value for c in WorkloadClass if block.allows(c)]
        rows += [(block.id, ",".join(hosted), c) for c in hosted]
    return pl.DataFrame(
        rows,
        schema={"block_id": pl.String, "group": pl.String, "workload_class": pl.String},
        orient="row",
    )


def _dedicated_gpus(plan: CapacityPlan, *, start: date, end: date) -> pl.LazyFrame:
    """(ds, region, pool, customer, group, gpus): dedicated GPUs in service per block group."""
    groups = _dedicated_groups(plan).lazy().select("block_id", "group").unique()
    return (
        block_timeline(plan, start=start, end=end)
        .lazy()
        .filter(pl.col("dedicated_customer").is_not_null())
        .join(_pool_members(plan).lazy(), on="block_id")
        .join(groups, on="block_id")
        .group_by("ds", "region", "pool", "group", customer=pl.col("dedicated_customer"))
        .agg(gpus=pl.col("h100e").sum())
    )


def _dedicated_offset(
    levels: pl.DataFrame, plan: CapacityPlan, *, column: str, start: date, end: date
) -> pl.LazyFrame:
    """(region, ds, pool, offset): demand that dedicated blocks take off the shared pool.

    Each group of a customer's dedicated blocks takes at most its GPUs and at most the
    customer's demand in the classes those blocks host (an inference-only block takes none of
    the customer's training); a customer's groups together take at most its demand in the pool.
    """
    customer_demand = (
        _series(levels, depth=3, measure=Measure.MEAN)
        .join(_pools(), how="cross")
        .filter(_class_in_pool())
        .group_by("region", "ds", "pool", "customer", "workload_class")
        .agg(demand=pl.col(column).sum().clip(lower_bound=0.0))
    )
    keys = ["region", "ds", "pool", "customer"]
    by_group = (
        _dedicated_gpus(plan, start=start, end=end)
        .join(_dedicated_groups(plan).lazy().select("group", "workload_class").unique(), on="group")
        .join(customer_demand, on=[*keys, "workload_class"])
        .group_by(*keys, "group")
        .agg(pl.col("gpus").first(), demand=pl.col("demand").sum())
        .group_by(keys)
        .agg(taken=pl.min_horizontal("demand", "gpus").sum())
    )
    in_pool = customer_demand.group_by(keys).agg(total=pl.col("demand").sum())
    return (
        by_group.join(in_pool, on=keys)
        .group_by("region", "ds", "pool")
        .agg(offset=pl.min_horizontal("taken", "total").sum())
    )


def _shared_capacity(plan: CapacityPlan, *, start: date, end: date) -> pl.LazyFrame:
    """(region, ds, pool, capacity_gpus): capacity in service that the pool's demand may share.

    In H100-equivalents where the plan has a [gpu_type] table (GPUs otherwise); retiring
    blocks leave on their retire date.
    """
    return (
        block_timeline(plan, start=start, end=end)
        .lazy()
        .filter(pl.col("dedicated_customer").is_null())
        .join(_pool_members(plan).lazy(), on="block_id")
        .group_by("region", "ds", "pool")
        .agg(capacity_gpus=pl.col("h100e").sum())
    )


def _requirement() -> pl.Expr:
    """GPUs the pool must have in service: demand off dedicated blocks, grossed up by headroom."""
    demand = (pl.col("peak") - pl.col("offset")).clip(lower_bound=0.0)
    return demand / (1.0 - pl.col("headroom"))


def _daily_pools(
    levels: pl.DataFrame, plan: CapacityPlan, *, column: str, start: date, end: date
) -> pl.DataFrame:
    """(region, pool, ds, requirement_gpus, capacity_gpus) for every forecast region and day."""
    grid = (
        pl.LazyFrame({"ds": pl.date_range(start, end, interval="1d", eager=True)})
        .join(pl.LazyFrame({"region": sorted(levels["region"].drop_nulls().unique())}), how="cross")
        .join(_pools(), how="cross")
    )
    keys = ["region", "ds", "pool"]
    offset = _dedicated_offset(levels, plan, column=column, start=start, end=end)
    return (
        grid.join(_pool_peaks(levels, column=column), on=keys, how="left")
        .join(_blended_headroom(levels, plan, column=column), on=["region", "ds"], how="left")
        .join(offset, on=keys, how="left")
        .join(_shared_capacity(plan, start=start, end=end), on=keys, how="left")
        .with_columns(
            _pool_headroom(plan),
            pl.col("peak", "offset").fill_null(0.0),
            pl.col("capacity_gpus").fill_null(0.0),
        )
        .select("region", "pool", "ds", _requirement().alias("requirement_gpus"), "capacity_gpus")
        .sort("region", "pool", "ds")
        .collect()
    )


# --- exhaustion, block choice and status ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Exhaustion:
    """Where a pool first runs short, and its shortfall by day (for sizing the order)."""

    day: date
    requirement: float
    capacity: float
    shortfall: pl.DataFrame  # (ds, shortfall_gpus), every day of the horizon


@dataclass(frozen=True, slots=True)
class _Order:
    candidate: CandidateBlock
    blocks: int
    order_by: date
    arrives: date
    in_time: bool
    units: float  # capacity of one block: H100-equivalents with a [gpu_type] table, else GPUs
    site: str | None = None  # where its MW is drawn; None for a plan without [[site]]
    powered: bool = True  # whether the site has the MW energized by its arrival
    # The first day from its arrival on that its site has the MW for good: the arrival when
    # powered, later when power comes after it, None when no site has it within the plan.
    usable: date | None = None

    @property
    def mw(self) -> float:
        """MW the whole order draws."""
        return self.blocks * self.candidate.mw


def _shortfall() -> pl.Expr:
    return (pl.col("requirement_gpus") - pl.col("capacity_gpus")).alias("shortfall_gpus")


def _exhaustion(daily: pl.DataFrame) -> _Exhaustion | None:
    """The first day a pool's requirement beats its capacity, or None within the horizon."""
    short = daily.filter(_shortfall() > _TOL)
    if short.is_empty():
        return None
    first = short.row(0, named=True)
    return _Exhaustion(
        day=first["ds"],
        requirement=float(first["requirement_gpus"]),
        capacity=float(first["capacity_gpus"]),
        shortfall=daily.select("ds", _shortfall()),
    )


def _day(value: object) -> date:
    """A date read back from a frame (polars types it loosely)."""
    if not isinstance(value, date):
        raise ValueError(f"expected a date, got {value!r}")
    return value


def _weeks(n: int) -> timedelta:
    return timedelta(days=n * _DAYS_PER_WEEK)


def _months_before(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months back (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    first_of_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (first_of_next - timedelta(days=1)).day))


def _serves(candidate: CandidateBlock, pool: Pool) -> bool:
    """Whether blocks of this type add capacity to ``pool`` (every block is in ``all``)."""
    return pool is Pool.ALL or candidate.allows(WorkloadClass.TRAINING)


def _candidates(plan: CapacityPlan, *, region: str, pool: Pool) -> list[CandidateBlock]:
    """Block types that can be ordered for ``region`` and serve ``pool``'s demand."""
    return [c for c in plan.candidate if c.available_in(region) and _serves(c, pool)]


def _blocks_needed(shortfall: float, units: float) -> int:
    return max(math.ceil(shortfall / units - _TOL), 0)


@dataclass(slots=True)
class _Power:
    """MW free per declared site and day, from ``start``; placing an order takes its MW.

    Free MW is what is energized that day (contracted MW from its energization day) less
    the MW of the plan's blocks in service; an order fits a site when its MW is free on every
    day from its arrival to the calendar's end (blocks that arrive later need theirs too).
    """

    start: date
    end: date
    region_of: dict[str, str]
    free: dict[str, np.ndarray]

    @classmethod
    def of(cls, plan: CapacityPlan, *, start: date, end: date) -> _Power | None:
        """The plan's free MW over [start, end]; None for a plan without [[site]]."""
        if not plan.site:
            return None
        timeline = site_power_timeline(plan, start=start, end=end)
        free = {
            str(site): (frame["energized_mw"] - frame["mw_in_service"]).to_numpy().copy()
            for (site,), frame in timeline.group_by("site", maintain_order=True)
        }
        return cls(start, end, {s.id: s.region for s in plan.site}, free)

    def _index(self, day: date) -> int:
        last = (self.end - self.start).days
        return min(max((day - self.start).days, 0), last)

    def room(self, site: str, arrives: date) -> float:
        """MW free at ``site`` on every day from ``arrives`` on."""
        return float(self.free[site][self._index(arrives) :].min())

    def sites_in(self, region: str) -> list[str]:
        """The region's declared sites, by id."""
        return sorted(s for s, r in self.region_of.items() if r == region)

    def powered_from(self, site: str, mw: float, arrives: date) -> date | None:
        """The first day from ``arrives`` on after which ``site`` has ``mw`` free every day to
        the calendar's end; None when it never does."""
        free = self.free[site]
        # Free MW from each day to the end, a non-decreasing series: search it.
        ahead = np.minimum.accumulate(free[::-1])[::-1]
        first = self._index(arrives)
        i = first + int(np.searchsorted(ahead[first:], mw - _TOL))
        return self.start + timedelta(days=i) if i < free.size else None

    def roomiest(self, region: str, arrives: date) -> tuple[str, float] | None:
        """The region's site with the most MW free from ``arrives`` on (ties by id)."""
        rooms = [(site, self.room(site, arrives)) for site in self.sites_in(region)]
        return min(rooms, key=lambda r: (-r[1], r[0])) if rooms else None

    def take(self, site: str, mw: float, arrives: date) -> None:
        """Reserve ``mw`` at ``site`` from ``arrives`` on."""
        self.free[site][self._index(arrives) :] -= mw

    def copy(self) -> _Power:
        """An independent copy, to try a plan without reserving its MW here."""
        return replace(self, free={s: mw.copy() for s, mw in self.free.items()})

    def after(self, order: _Order) -> _Power:
        """A copy with ``order``'s MW taken (this one untouched), to try what would follow it."""
        copy = self.copy()
        if order.site is not None:
            copy.take(order.site, order.mw, order.arrives)
        return copy


def _rank(orders: Sequence[_Order], plan: CapacityPlan) -> _Order | None:
    """In time first: the newest generation, then the cheapest; else the first to arrive.

    Without a [gpu_type] table every type ranks the same, so cost alone decides.
    """
    in_time = [o for o in orders if o.in_time]
    if in_time:
        return min(
            in_time,
            key=lambda o: (
                -plan.generation(o.candidate.gpu_type),
                o.blocks * o.candidate.capex_usd,
                o.arrives,
                o.order_by,
            ),
        )
    if orders:
        return min(orders, key=lambda o: (o.arrives, o.blocks * o.candidate.capex_usd))
    return None


def _first_usable(orders: Sequence[_Order]) -> _Order | None:
    """Of orders that can be powered within the plan, the one usable first, then the cheapest."""
    usable = [o for o in orders if o.usable is not None]
    if not usable:
        return None
    return min(usable, key=lambda o: (o.usable, o.blocks * o.candidate.capex_usd))


def _choose(
    options: Sequence[CandidateBlock],
    plan: CapacityPlan,
    *,
    region: str,
    shortfall_gpus: float,
    exhaustion: date,
    as_of: date,
    buffer_weeks: int,
    power: _Power | None,
) -> _Order | None:
    """The order to place (see the module docstring), at a site with power where sites exist.

    A candidate no site of the region powers on arrival waits at the site that has its MW
    first; one no site ever powers within the plan is placed at the roomiest site anyway,
    unpowered, so that its power trigger carries the date.
    """
    orders = []
    for c in options:
        order_by = exhaustion - _weeks(c.lead_time_weeks) - _weeks(buffer_weeks)
        early = order_by >= as_of
        arrives = (order_by if early else as_of) + _weeks(c.lead_time_weeks)
        units = c.gpus * plan.h100_equivalent(c.gpu_type)
        order = _Order(c, _blocks_needed(shortfall_gpus, units), order_by, arrives, early, units)
        if power is not None:
            fits = [s for s in power.sites_in(region) if power.room(s, arrives) >= order.mw - _TOL]
            best = max(fits, key=lambda s: (power.room(s, arrives), s), default=None)
            if best is not None:
                order = replace(order, site=best, powered=True, usable=arrives)
            else:
                # Not powered on arrival: the site that has its MW first, if any, and when.
                later = [
                    (day, s)
                    for s in power.sites_in(region)
                    if (day := power.powered_from(s, order.mw, arrives)) is not None
                ]
                usable, site = min(later, default=(None, None))
                order = replace(order, site=site, powered=False, usable=usable)
        orders.append(order)
    # In time and powered on arrival first; else the order usable first, powered or waiting
    # for power a site will have, so a block that waits months for its MW beats one that
    # arrives powered a year late; only when no site ever has the MW, the first to arrive.
    in_time = [o for o in orders if o.powered and o.in_time]
    chosen = _rank(in_time, plan) or _first_usable(orders) or _rank(orders, plan)
    if chosen is None or power is None:
        return chosen
    if chosen.site is None:
        # No site ever has its MW within the plan: the roomiest carries its power trigger.
        roomiest = power.roomiest(region, chosen.arrives)
        chosen = replace(chosen, site=None if roomiest is None else roomiest[0])
    # Its MW is reserved by the caller, for the order it places only: a choice it then
    # re-sizes or drops reserved MW no order used (us-east's racks found no power left, and a
    # cell 559 days late was ordered instead).
    return chosen


class _Bridge(NamedTuple):
    """An in-time order cut short for a newer generation: ``order`` serves to the day before
    ``start``, from which ``to`` (ordered by its order-by date) can serve in time."""

    order: _Order
    to: _Order
    start: date


def _bridge(
    order: _Order,
    options: Sequence[CandidateBlock],
    plan: CapacityPlan,
    *,
    found: _Exhaustion,
    window_end: date,
    relief: _Order | None,
    region: str,
    as_of: date,
    bridge_from: date,
    buffer_weeks: int,
    sizing_weeks: int,
    power: _Power | None,
) -> _Bridge | None:
    """``order`` resized to bridge to a newer generation that can serve in time within its
    sizing window if ordered from ``bridge_from`` on, or None when none can (or the rule
    would not take it there).

    The rule takes the newest generation in time; a window it could only reach part of was
    bought whole in the older one (365 H100 racks, $3.08B, for a year a GB200 cell ordered
    that day could serve from its fourth month at 55 % of the cost per H100-equivalent).
    A bridge is proposed only when the order the rule would choose from that day, once the
    bridge's blocks and MW are taken, is of the newer generation, in time and cheaper per
    H100-equivalent; whether the region's plan takes it is decided on the whole plan (see
    ``_cheaper_plan``).
    """
    generation = plan.generation(order.candidate.gpu_type)
    newer = [c for c in options if plan.generation(c.gpu_type) > generation]
    starts = sorted({bridge_from + _weeks(c.lead_time_weeks + buffer_weeks) for c in newer})
    # Past the forecast's last day the plan cannot see what the newer block would serve.
    last = min(window_end, _day(found.shortfall["ds"].max()))
    for start in (s for s in starts if found.day < s <= last):
        before = found.shortfall.filter(pl.col("ds") < start)
        bridged = _choose(
            [order.candidate],
            plan,
            region=region,
            shortfall_gpus=_net_of(before, relief),
            exhaustion=found.day,
            as_of=as_of,
            buffer_weeks=buffer_weeks,
            power=power,
        )
        after = found.shortfall.filter(pl.col("ds").is_between(start, start + _weeks(sizing_weeks)))
        rest = _net_of(after, relief) - (0.0 if bridged is None else bridged.blocks * bridged.units)
        if bridged is None or bridged.blocks == 0 or rest <= _TOL:
            continue
        to = _choose(
            options,
            plan,
            region=region,
            shortfall_gpus=rest,
            exhaustion=start,
            as_of=as_of,
            buffer_weeks=buffer_weeks,
            power=None if power is None else power.after(bridged),
        )
        if (
            to is not None
            and to.in_time
            and plan.generation(to.candidate.gpu_type) > generation
            and _unit_capex(to) < _unit_capex(order)
        ):
            return _Bridge(bridged, to, start)
    return None


def _unit_capex(order: _Order) -> float:
    """Capex of one H100-equivalent (one GPU without a [gpu_type] table) of ``order``'s type."""
    return order.candidate.capex_usd / order.units


def trigger_status(
    *, as_of: date, exhaustion: date, order_by: date, lead_time: timedelta
) -> Status:
    """Green up to the order-by date, amber inside the buffer, red once lead time is lost."""
    if as_of <= order_by:
        return Status.GREEN
    if as_of <= exhaustion - lead_time:
        return Status.AMBER
    return Status.RED


def unshocked_beside_green(
    failures: Iterable[str], triggers: Iterable[Mapping[str, Any]]
) -> list[str]:
    """The groups a drill found short without any shock (``training in us-west``, from its
    ``unshocked_failures``) whose trigger pools are all green: all classes, and training's
    own for training. A class short only across regions names no pool and is left out."""
    status = {(t["region"], t["pool"]): t["status"] for t in triggers}
    green = []
    for group in sorted(set(failures)):
        if (named := group_of(group)) is None:
            continue
        region, cls = named
        pools = [Pool.ALL, Pool.TRAINING] if cls == WorkloadClass.TRAINING.value else [Pool.ALL]
        if all(status.get((region, p.value)) == Status.GREEN.value for p in pools):
            green.append(group)
    return green


def _order_note(order: _Order, *, exhaustion: date, buffer_weeks: int) -> str:
    name = order.candidate.name
    at = "" if order.site is None or not order.powered else f" at {order.site}"
    if order.in_time:
        return (
            f"order {order.blocks} x {name}{at} by {order.order_by}: in service "
            f"{order.arrives}, {buffer_weeks} weeks before exhaustion"
        )
    late = (order.arrives - exhaustion).days
    timing = (
        f"{late} days after exhaustion" if late > 0 else f"{-late} days before it (inside buffer)"
    )
    return (
        f"no candidate can be ordered by its order-by date; {name}{at} arrives first if "
        f"ordered today: {order.arrives}, {timing}"
    )


def _power_note(order: _Order, *, region: str, power: _Power) -> str:
    """Why no site takes ``order``, and where its power trigger is."""
    need = f"{order.mw:.2f} MW for {order.blocks} x {order.candidate.name}"
    if order.site is None:
        return f"power is the constraint: {region} has no [[site]] to draw {need} from"
    if order.usable is not None and order.usable > order.arrives:
        wait = (order.usable - order.arrives).days
        return (
            f"power is the constraint: no site in {region} has {need} energized from "
            f"{order.arrives}; {order.site} has it from {order.usable}, {wait} days later, the "
            f"first of the candidates to be usable; placed there, whose power trigger says "
            f"what bringing its power forward takes"
        )
    room = power.room(order.site, order.arrives)  # the order takes its MW after this note
    return (
        f"power is the constraint: no site in {region} has {need} energized from "
        f"{order.arrives} (the most free is {max(room, 0.0):.2f} MW at {order.site}); "
        f"placed at {order.site}, whose power trigger says when to contract it"
    )


def _empty_row(region: str, pool: Pool, *, quantile: str, as_of: date) -> dict[str, object]:
    return dict.fromkeys(TRIGGERS_SCHEMA.names()) | {
        "region": region,
        "pool": pool.value,
        "quantile": quantile,
        "as_of": as_of,
    }


def _order_fields(
    order: _Order, *, as_of: date, exhaustion: date, blocks: int
) -> dict[str, object]:
    """The TRIGGERS columns that describe an order of ``blocks`` of ``order``'s candidate."""
    c = order.candidate
    status = trigger_status(
        as_of=as_of,
        exhaustion=exhaustion,
        order_by=order.order_by,
        lead_time=_weeks(c.lead_time_weeks),
    )
    return {
        "candidate": c.name,
        "kind": c.kind.value,
        "gpu_type": c.gpu_type,
        "lead_time_weeks": c.lead_time_weeks,
        "order_by": order.order_by,
        "arrives": order.arrives,
        "status": status.value,
        "blocks_to_order": blocks,
        "capex_usd": blocks * c.capex_usd,
        "mw": blocks * c.mw,
        # An order waiting for its site's power serves from then, not from its arrival.
        "powered_from": order.usable if not order.powered and blocks else None,
    }


def _net_of(shortfall: pl.DataFrame, relief: _Order | None) -> float:
    """Largest shortfall left once ``relief`` (an order for another pool) is in service."""
    if relief is not None:
        relieved = pl.when(pl.col("ds") >= relief.arrives).then(relief.blocks * relief.units)
        shortfall = shortfall.with_columns(pl.col("shortfall_gpus") - relieved.otherwise(0.0))
    return max(float(shortfall["shortfall_gpus"].max()), 0.0)  # type: ignore[arg-type]


def _unverified_green(
    plan: CapacityPlan,
    *,
    region: str,
    pool: Pool,
    end: date,
    as_of: date,
    settings: TriggerSettings,
) -> str:
    """The caveat of a green pool whose forecast ends too soon to verify it ('' when it does
    not): a shortfall the day after ``end`` would already be past its order-by date."""
    candidates = _candidates(plan, region=region, pool=pool)
    if not candidates:
        return ""
    fastest = min(candidates, key=lambda c: (c.lead_time_weeks, c.name))
    order_by = end + timedelta(days=1) - _weeks(fastest.lead_time_weeks + settings.buffer_weeks)
    if as_of <= order_by:
        return ""
    return (
        f", where the forecast ends: not verified beyond it (a shortfall the day after would "
        f"need {fastest.name}, the fastest block at {fastest.lead_time_weeks} weeks, ordered "
        f"by {order_by}, already past; ordered today it arrives "
        f"{as_of + _weeks(fastest.lead_time_weeks)})"
    )


class _Decision(NamedTuple):
    """A pool's TRIGGERS row, the order it places (None when none), the last day that order
    was sized for (None when the pool never runs short), and the bridge it was cut short for."""

    row: dict[str, object]
    order: _Order | None
    sized_to: date | None
    bridge: _Bridge | None = None


def _trigger_row(
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    region: str,
    pool: Pool,
    as_of: date,
    settings: TriggerSettings,
    relief: _Order | None,
    power: _Power | None,
    bridge_from: date | None = None,
) -> _Decision:
    """One TRIGGERS row and its order; ``relief`` is an order for an overlapping pool; with
    ``bridge_from``, an order may be cut short for a newer generation ordered from that day."""
    row = _empty_row(region, pool, quantile=settings.quantile, as_of=as_of)
    found = _exhaustion(daily)
    if found is None:
        end = _day(daily["ds"].max())
        note = f"{settings.quantile} requirement stays within capacity through {end}"
        note += _unverified_green(
            plan, region=region, pool=pool, end=end, as_of=as_of, settings=settings
        )
        row |= {"status": Status.GREEN.value, "max_shortfall_gpus": 0.0, "note": note}
        row |= {"blocks_to_order": 0, "capex_usd": 0.0, "mw": 0.0}
        return _Decision(row, None, None)
    gross = _net_of(found.shortfall, None)
    window_end = found.day + _weeks(settings.sizing_weeks)
    sized = found.shortfall.filter(pl.col("ds") <= window_end)
    from_exhaustion = (window_end, sized)
    net = _net_of(sized, relief)
    candidates = _candidates(plan, region=region, pool=pool)
    choose = partial(
        _choose,
        plan=plan,
        region=region,
        exhaustion=found.day,
        as_of=as_of,
        buffer_weeks=settings.buffer_weeks,
        power=power,
    )
    order = choose(candidates, shortfall_gpus=net) if net > 0.0 else None
    first_choice = order
    from_arrival = False
    if order is not None and order.arrives > found.day:
        # A late order serves from its arrival only: it is sized for the weeks after that, net
        # of a training-pool order landing by then. (Sized from the exhaustion date, a region
        # with no capacity ordered a second 8,192-GPU cell beside the training pool's, both
        # arriving 629 days after exhaustion, for 4,128 GPUs short.) One arriving after the
        # plan's end keeps the sizing from exhaustion: the plan cannot see past it.
        late_end = order.arrives + _weeks(settings.sizing_weeks)
        after_arrival = found.shortfall.filter(pl.col("ds").is_between(order.arrives, late_end))
        if after_arrival.height:
            window_end, sized, from_arrival = late_end, after_arrival, True
            net = _net_of(sized, relief)
            order = choose(candidates, shortfall_gpus=net) if net > 0.0 else None
            if order is not None and order.arrives <= found.day:
                # Chosen again for the later window, it lands in time after all: sized from
                # exhaustion like any order that does. (Left at the later window, 341 racks
                # landing a month before exhaustion were bought for the shortfall of the year
                # after the first choice's arrival, 2028-08 to 2029-08.)
                (window_end, sized), from_arrival = from_exhaustion, False
                net = _net_of(sized, relief)
                order = choose([order.candidate], shortfall_gpus=net) if net > 0.0 else None
            elif (
                order is not None
                and first_choice is not None
                and order.arrives != first_choice.arrives
            ):
                # Another block type, landing on another day: sized for the weeks after its
                # own arrival. (Left at the first choice's window, 579 pods landing 2026-12-21
                # were bought for the year after a 90-week cell's arrival, to 2029-01-29.)
                late_end = order.arrives + _weeks(settings.sizing_weeks)
                window_end = late_end
                sized = found.shortfall.filter(pl.col("ds").is_between(order.arrives, late_end))
                net = _net_of(sized, relief)
                order = choose([order.candidate], shortfall_gpus=net) if net > 0.0 else None
    bridge = None
    if bridge_from is not None and order is not None and order.in_time and not from_arrival:
        bridge = _bridge(
            order,
            candidates,
            plan,
            found=found,
            window_end=window_end,
            relief=relief,
            region=region,
            as_of=as_of,
            bridge_from=bridge_from,
            buffer_weeks=settings.buffer_weeks,
            sizing_weeks=settings.sizing_weeks,
            power=power,
        )
        if bridge is not None:
            order, window_end = bridge.order, bridge.start - timedelta(days=1)
            sized = found.shortfall.filter(pl.col("ds") <= window_end)
            net = _net_of(sized, relief)
    row |= {
        "exhaustion_date": found.day,
        "requirement_gpus_at_exhaustion": found.requirement,
        # Whole units: capacity in H100-equivalents may be fractional; never overstated.
        "capacity_gpus_at_exhaustion": math.floor(found.capacity + _TOL),
        "max_shortfall_gpus": gross,
    }
    if relief is not None and net <= 0.0 < _net_of(sized, None):
        row |= _order_fields(relief, as_of=as_of, exhaustion=found.day, blocks=0)
        row["note"] = (
            f"covered by the training-pool order: {relief.blocks} x {relief.candidate.name} "
            f"in service {relief.arrives}"
        )
        return _Decision(row, None, window_end)
    if net <= 0.0 and first_choice is not None:
        # Short now, but capacity already planned covers the need before anything ordered
        # today could land: an order would only stand idle.
        row |= _order_fields(first_choice, as_of=as_of, exhaustion=found.day, blocks=0)
        row["note"] = (
            f"short from {found.day}, but the earliest order ({first_choice.candidate.name}) "
            f"lands {first_choice.arrives}, when capacity already planned covers the need: "
            "nothing to order; the shortfall until then is absorbed, not bought"
        )
        return _Decision(row, None, window_end)
    if order is None:
        note = f"no candidate block type can serve the {pool.value} pool in {region}"
        return _Decision(row | {"status": Status.RED.value, "note": note}, None, window_end)
    notes = [_order_note(order, exhaustion=found.day, buffer_weeks=settings.buffer_weeks)]
    if not order.powered and power is not None:
        notes.append(_power_note(order, region=region, power=power))
    later = gross - _net_of(sized, None)
    if later > _TOL:
        after = "its arrival" if from_arrival else "exhaustion"
        span = f"sized for the {settings.sizing_weeks} weeks after {after} (to {window_end})"
        if bridge is not None:
            to = bridge.to.candidate
            span = (
                f"sized to {window_end}, a bridge to {to.name} ({to.gpu_type}, a newer "
                f"generation, {to.lead_time_weeks} weeks), which can serve in time from "
                f"{bridge.start}"
            )
        notes.append(
            f"{span}; the shortfall grows by {later:,.0f} more by "
            f"{_day(found.shortfall['ds'].max())}{_LATER}"
        )
    if relief is not None and net < _net_of(sized, None):
        notes.append(
            f"sized net of the training-pool order ({relief.blocks} x {relief.candidate.name} "
            f"in service {relief.arrives})"
        )
    row |= _order_fields(order, as_of=as_of, exhaustion=found.day, blocks=order.blocks)
    row["note"] = "; ".join(notes)
    if power is not None and order.site is not None:
        power.take(order.site, order.mw, order.arrives)
    return _Decision(row, order, window_end, bridge)


def _monthly_grain_note(exhausted: date, daily_end: date) -> str:
    """How to read an exhaustion date past the daily rows: as a month, not a day."""
    return f"exhausted in {exhausted:%B %Y} (monthly rows past {daily_end}: a month's peak day)"


def _placement(decision: _Decision, *, region: str, pool: Pool, tranche: int) -> tuple[object, ...]:
    order = decision.order
    assert order is not None  # only orders are placed
    return (
        region,
        pool.value,
        order.candidate.name,
        order.site,
        order.blocks,
        order.mw,
        order.arrives,
        order.powered,
        tranche,
        order.order_by,
        order.blocks * order.candidate.capex_usd,
        decision.row["exhaustion_date"],
        decision.row["status"],
    )


def _with_orders(daily: pl.DataFrame, orders: Sequence[_Order]) -> pl.DataFrame:
    """``daily`` with every order's capacity in service from its arrival."""
    added = pl.lit(0.0)
    for o in orders:
        added = added + pl.when(pl.col("ds") >= o.arrives).then(o.blocks * o.units).otherwise(0.0)
    return daily.with_columns(pl.col("capacity_gpus") + added)


def _later_orders(
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    first: _Decision,
    earlier: Sequence[_Order],
    region: str,
    pool: Pool,
    as_of: date,
    settings: TriggerSettings,
    power: _Power | None,
    bridge_from: date | None = None,
) -> list[_Decision]:
    """The orders after the trigger's to the plan's end, by the same rule: each is chosen and
    sized for the next shortfall once every order before it (``earlier``: the training pool's,
    which serve ``all`` too) is in service, from the day after the last one's sizing window.

    The trigger is the decision due now; these are what the plan already implies after it, so
    that capital by quarter and the MW each site needs reach the plan's end (a 36-month plan
    that priced and powered only its first order read us-east-a short by 16 MW in 2027 and
    then never again, while the forecast's need grew by 186,000 GPUs more).
    """
    orders = [*earlier, *([first.order] if first.order is not None else [])]
    later: list[_Decision] = []
    sized_to = first.sized_to
    while sized_to is not None:
        rest = daily.filter(pl.col("ds") > sized_to)
        if rest.is_empty():
            break
        decision = _trigger_row(
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


def _later_note(decisions: Sequence[_Decision], *, end: date) -> str:
    """What the plan orders after the trigger's order, in one clause ('' when nothing)."""
    orders = sorted((d.order for d in decisions if d.order is not None), key=lambda o: o.order_by)
    if not orders:
        return ""
    listed = ", ".join(
        f"{o.blocks} x {o.candidate.name} by {o.order_by}" for o in orders[:_LATER_LISTED]
    )
    more = len(orders) - _LATER_LISTED
    if more > 0:
        listed += f" and {more} more"
    capex = sum(o.blocks * o.candidate.capex_usd for o in orders)
    return (
        f"{len(orders)} planned to {end} by the same rule, the first due {orders[0].order_by}: "
        f"{listed}; ${capex / 1e6:,.1f}M"
    )


class _RegionPlan(NamedTuple):
    """A region's triggers (``first``) and later orders per pool, and the power they leave."""

    first: dict[Pool, _Decision]
    later: dict[Pool, list[_Decision]]
    power: _Power | None

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
    power: _Power | None,
    bridges: frozenset[Pool],
    wait_days: int = 0,
) -> _RegionPlan:
    """The region's triggers, then what each pool orders after them, on a copy of ``power``;
    only the pools in ``bridges`` may bridge to a newer generation, ordered from ``wait_days``
    after ``as_of`` on.

    The triggers first (the all pool net of the training pool's order, which serves it too),
    then the later orders: the orders due now take power first.
    """
    power = None if power is None else power.copy()
    step = partial(
        _trigger_row, plan=plan, region=region, as_of=as_of, settings=settings, power=power
    )
    start = as_of + timedelta(days=wait_days)
    bridge_from = {pool: start if pool in bridges else None for pool in Pool}
    training = step(
        pools[Pool.TRAINING],
        pool=Pool.TRAINING,
        relief=None,
        bridge_from=bridge_from[Pool.TRAINING],
    )
    first = {
        Pool.TRAINING: training,
        Pool.ALL: step(
            pools[Pool.ALL], pool=Pool.ALL, relief=training.order, bridge_from=bridge_from[Pool.ALL]
        ),
    }
    later: dict[Pool, list[_Decision]] = {}
    serving_all: list[_Order] = []
    for pool in (Pool.TRAINING, Pool.ALL):
        later[pool] = _later_orders(
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
    return _RegionPlan(first, later, power)


def _cheaper_plan(
    pools: dict[Pool, pl.DataFrame],
    plan: CapacityPlan,
    *,
    region: str,
    as_of: date,
    settings: TriggerSettings,
    power: _Power | None,
    end: date,
) -> _RegionPlan:
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
    plans = partial(_region_plan, pools, plan, region=region, as_of=as_of, settings=settings)
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
        weeks: plans(power=power, bridges=key, wait_days=weeks * _DAYS_PER_WEEK)
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
            f"ordered from today they would save ${now / 1e6:,.1f}M less"
            if now > _USD_TOL
            else "as cheap as ordering them today, and it commits later"
        )
        wait = (
            f"the newer blocks ordered no sooner than {as_of + _weeks(weeks)}, {weeks} weeks "
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
            wait = f"{later} ${(saving - waiting) / 1e6:,.1f}M"
        wait += f"; no wait up to {max(_WAITS_WEEKS)} weeks costs less than ordering them today"
    for pool in (p for p in Pool if chosen.bridged(p)):
        row = chosen.first[pool].row
        row["note"] = (
            f"{row['note']}; bridges to the newer generation save ${saving / 1e6:,.1f}M of "
            f"{region}'s orders to {end} ({wait})"
        )
    return chosen


def _triggers(
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    as_of: date,
    settings: TriggerSettings,
    power: _Power | None,
    daily_end: date | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """TRIGGERS rows per region and pool, and every order of the plan to its end with where
    it goes (PLACEMENTS_SCHEMA; tranche 1 is the trigger's); ``daily_end`` is the last day of
    daily rows where monthly rows follow."""
    rows = []
    placed = []
    end = _day(daily["ds"].max()) if daily.height else as_of
    for (region,), frame in daily.group_by("region", maintain_order=True):
        pools = {pool: frame.filter(pl.col("pool") == pool.value) for pool in Pool}
        first, later, used = _cheaper_plan(
            pools, plan, region=str(region), as_of=as_of, settings=settings, power=power, end=end
        )
        if power is not None and used is not None:
            power.free = used.free  # the chosen plan's orders take their MW
        for pool in (Pool.TRAINING, Pool.ALL):
            row, order = first[pool].row, first[pool].order
            exhausted = row["exhaustion_date"]
            if daily_end is not None and isinstance(exhausted, date) and exhausted > daily_end:
                row["note"] = f"{_monthly_grain_note(exhausted, daily_end)}; {row['note']}"
            if then := _later_note(later[pool], end=end):
                note = str(row["note"])
                row["note"] = (
                    note.replace(_LATER, f"{_LATER} ({then})")
                    if _LATER in note
                    else f"{note}; later orders ({then})"
                )
            rows.append(row)
            firsts = [first[pool]] if order is not None and order.blocks > 0 else []
            for tranche, each in enumerate([*firsts, *later[pool]], start=1 if firsts else 2):
                placed.append(_placement(each, region=str(region), pool=pool, tranche=tranche))
    return (
        pl.DataFrame(rows, schema=TRIGGERS_SCHEMA, orient="row"),
        pl.DataFrame(placed, schema=PLACEMENTS_SCHEMA, orient="row"),
    )


# --- power: when each site must contract more MW -------------------------------------------------


def _power_row(
    site_days: pl.DataFrame, *, site: Site, as_of: date, buffer_weeks: int, forecast_end: date
) -> dict[str, object]:
    """One POWER_TRIGGERS row from the site's daily MW needed and energized (the blocks the
    forecast orders, to ``forecast_end``)."""
    end = _day(site_days["ds"].max())
    short = site_days.with_columns(short_mw=pl.col("mw_needed") - pl.col("energized_mw"))
    over = short.filter(pl.col("short_mw") > _TOL)
    room = None if site.ceiling_mw is None else site.ceiling_mw - site.secured_mw
    row: dict[str, object] = {
        "region": site.region,
        "site": site.id,
        "as_of": as_of,
        "power_lead_months": site.power_lead_months,
        "ceiling_room_mw": room,
        "max_shortfall_mw": max(float(short["short_mw"].max()), 0.0),  # type: ignore[arg-type]
    }
    if over.is_empty():
        note = f"MW needed stays within energized MW through {min(end, forecast_end)}"
        ends = ", where the forecast ends"
        if end > forecast_end:
            # Past the forecast's end only the plan's blocks draw power: no demand orders more.
            note += f"{ends}; the plan's blocks alone fit through {end}"
            ends = ""
        day_after = forecast_end + timedelta(days=1)
        contract_by = _months_before(day_after, site.power_lead_months) - _weeks(buffer_weeks)
        if as_of > contract_by:
            # Orders are only known where demand is forecast: past its end no block is
            # ordered, so the MW needed there is the plan's alone.
            note += (
                f"; not verified past {forecast_end}{ends}: power needed "
                f"the day after would have had to be contracted by {contract_by}, already past "
                f"({site.power_lead_months} months lead time)"
            )
        return row | {
            "status": Status.GREEN.value,
            "mw_to_contract": 0.0,
            "cost_usd": 0.0,
            "note": note,
        }
    first = over.row(0, named=True)
    exhaustion = _day(first["ds"])
    lead = exhaustion - _months_before(exhaustion, site.power_lead_months)
    contract_by = exhaustion - lead - _weeks(buffer_weeks)
    status = trigger_status(
        as_of=as_of, exhaustion=exhaustion, order_by=contract_by, lead_time=lead
    )
    # MW beyond what is already secured; a shortfall within it is a matter of timing.
    beyond = max(float((short["mw_needed"] - short["contracted_mw"]).max()), 0.0)  # type: ignore[arg-type]
    contractable = beyond if room is None else min(beyond, max(room, 0.0))
    notes = []
    if beyond <= _TOL:
        notes.append(
            f"contracted MW covers the need but is energized {site.contracted_energized}, "
            f"after {exhaustion}: bring its energization forward"
        )
    else:
        notes.append(
            f"contract {beyond:.2f} MW by {contract_by} ({site.power_lead_months} months lead "
            f"time, {buffer_weeks} weeks buffer) to have it energized by {exhaustion}"
        )
    if room is not None and beyond > room + _TOL:
        notes.append(f"{beyond - max(room, 0.0):.2f} MW beyond the ceiling: a new site is needed")
    return row | {
        "exhaustion_date": exhaustion,
        "mw_needed_at_exhaustion": float(first["mw_needed"]),
        "energized_mw_at_exhaustion": float(first["energized_mw"]),
        "contract_by": contract_by,
        "status": status.value,
        "mw_to_contract": contractable,
        "cost_usd": contractable * site.cost_per_mw_usd,
        "note": "; ".join(notes),
    }


def _power_triggers(
    plan: CapacityPlan,
    placements: pl.DataFrame,
    *,
    as_of: date,
    end: date,
    buffer_weeks: int,
    forecast_end: date,
) -> pl.DataFrame:
    """POWER_TRIGGERS rows per declared site: when its MW need first beats energized MW."""
    if not plan.site:
        return pl.DataFrame(schema=POWER_TRIGGERS_SCHEMA)
    orders = placements.filter(pl.col("site").is_not_null()).select(ORDERS_SCHEMA.names())
    timeline = site_power_timeline(plan, start=as_of, end=end, orders=orders)
    rows = [
        _power_row(
            timeline.filter(pl.col("site") == site.id),
            site=site,
            as_of=as_of,
            buffer_weeks=buffer_weeks,
            forecast_end=forecast_end,
        )
        for site in sorted(plan.site, key=lambda s: (s.region, s.id))
    ]
    return pl.DataFrame(rows, schema=POWER_TRIGGERS_SCHEMA, orient="row")


# --- drivers ------------------------------------------------------------------------------------


def _share() -> pl.Expr:
    """Each part's growth over its pool's total growth; null when nothing grew in total."""
    total = pl.col("growth_gpus").sum().over("region", "pool")
    return pl.when(total != 0).then(pl.col("growth_gpus") / total).alias("share")


def _parts(levels: pl.DataFrame) -> pl.LazyFrame:
    """Mean-measure series of the finest level each region has: customers, else classes."""
    bottom = _series(levels, depth=3, measure=Measure.MEAN)
    classes = _series(levels, depth=2, measure=Measure.MEAN).join(
        bottom.select("region").unique(), on="region", how="anti"
    )
    return pl.concat([bottom, classes]).select(
        "region", "workload_class", "customer", "ds", "until", "mean"
    )


def _covers(day: str) -> pl.Expr:
    """Whether a level row (its days ``ds`` to ``until``) covers the date in column ``day``."""
    return (pl.col("ds") <= pl.col(day)) & (pl.col("until") >= pl.col(day))


def _drivers(levels: pl.DataFrame, triggers: pl.DataFrame, *, start: date) -> pl.DataFrame:
    windows = triggers.lazy().select(
        "region",
        "pool",
        from_date=pl.lit(start),
        to_date=pl.coalesce("exhaustion_date", pl.lit(levels["until"].max())),
    )
    parts = _parts(levels).join(_pools(), how="cross").filter(_class_in_pool())
    keys = ["region", "pool", "workload_class", "customer"]
    at = parts.join(windows, on=["region", "pool"])
    first = at.filter(_covers("from_date")).select(*keys, from_mean="mean")
    last = at.filter(_covers("to_date")).select(*keys, "from_date", "to_date", to_mean="mean")
    return (
        last.join(first, on=keys, how="left", nulls_equal=True)
        .with_columns(from_gpus=pl.col("from_mean").fill_null(0.0), to_gpus=pl.col("to_mean"))
        .with_columns(growth_gpus=pl.col("to_gpus") - pl.col("from_gpus"))
        .with_columns(_share())
        .select(DRIVERS_SCHEMA.names())
        .sort(["region", "pool", "growth_gpus"], descending=[False, False, True])
        .collect()
        .cast(DRIVERS_SCHEMA)
    )


# --- idle risk ------------------------------------------------------------------------------------


def _idle_pool(block: Block) -> str:
    """The pool a block's idleness is judged in (see the module docstring)."""
    if block.dedicated_customer is not None:
        return f"dedicated:{block.dedicated_customer}"
    if block.classes and block.allows(WorkloadClass.TRAINING):
        return Pool.TRAINING.value
    return Pool.ALL.value


def _dedicated_need(
    levels: pl.DataFrame, plan: CapacityPlan, *, column: str, start: date, end: date
) -> pl.LazyFrame:
    """(region, ds, pool, requirement_gpus, capacity_gpus) for each dedicated customer."""
    capacity = (
        block_timeline(plan, start=start, end=end)
        .lazy()
        .filter(pl.col("dedicated_customer").is_not_null())
        .group_by("region", "ds", customer="dedicated_customer")
        .agg(capacity_gpus=pl.col("h100e").sum())
    )
    served = pl.DataFrame(
        [
            (b.region, b.dedicated_customer, c.value)
            for b in plan.block
            if b.dedicated_customer is not None
            for c in WorkloadClass
            if b.allows(c)
        ],
        schema={"region": pl.String, "customer": pl.String, "workload_class": pl.String},
        orient="row",
    ).unique()
    need = (
        _series(levels, depth=3, measure=Measure.PEAK)
        .join(served.lazy(), on=["region", "customer", "workload_class"])
        .group_by("region", "ds", "customer")
        .agg(requirement_gpus=pl.col(column).sum())
    )
    return capacity.join(need, on=["region", "ds", "customer"], how="left").select(
        "region",
        "ds",
        "capacity_gpus",
        pool=pl.lit("dedicated:") + pl.col("customer"),
        requirement_gpus=pl.col("requirement_gpus").fill_null(0.0),
    )


def _committed(plan: CapacityPlan) -> pl.DataFrame:
    """The committed blocks' IDLE_RISK key columns, plus ``per_gpu``: one GPU's capacity."""
    rows = [
        (
            b.id,
            b.region,
            b.site,
            b.kind.value,
            b.gpu_type,
            b.in_service,
            b.gpus,
            _idle_pool(b),
            plan.h100_equivalent(b.gpu_type),
        )
        for b in plan.block
        if b.status is BlockStatus.COMMITTED
    ]
    schema = {k: IDLE_RISK_SCHEMA[k] for k in IDLE_RISK_SCHEMA.names()[:8]}
    return pl.DataFrame(rows, schema={**schema, "per_gpu": pl.Float64}, orient="row")


def _marginal_idle() -> pl.Expr:
    """Idle GPUs of a committed block: the pool's excess left after newer committed blocks.

    Rows must be sorted newest in-service first within (region, pool, ds). The stack is in
    capacity units (H100-equivalents with a [gpu_type] table), read back in the block's GPUs.
    """
    units = pl.col("gpus") * pl.col("per_gpu")
    newer = units.cum_sum().over("region", "pool", "ds") - units
    excess = pl.col("capacity_gpus") - pl.col("requirement_gpus") - newer
    return excess.clip(lower_bound=0.0).clip(upper_bound=units) / pl.col("per_gpu")


def _per_gpu_capex(plan: CapacityPlan) -> dict[tuple[str, str], float]:
    """Cheapest capex per GPU by (kind, gpu_type) among the candidates."""
    prices: dict[tuple[str, str], float] = {}
    for c in plan.candidate:
        key = (c.kind.value, c.gpu_type)
        prices[key] = min(prices.get(key, math.inf), c.capex_usd / c.gpus)
    return prices


def _idle_note(row: dict[str, object], *, priced: bool, regions: set[str], end: date) -> str:
    if row["region"] not in regions:
        return f"no forecast for region {row['region']}"
    if row["idle_gpus"] is None:
        return f"enters service after the forecast horizon ({end})"
    parts = [f"judged in pool {row['pool']}"]
    if priced:
        parts.append(f"priced at the cheapest {row['kind']} {row['gpu_type']} candidate per GPU")
    else:
        parts.append(f"no {row['kind']} {row['gpu_type']} candidate to price it")
    return "; ".join(parts)


def _idle_risk(
    levels: pl.DataFrame, plan: CapacityPlan, *, settings: TriggerSettings, start: date, end: date
) -> pl.DataFrame:
    committed = _committed(plan)
    if committed.is_empty():
        return pl.DataFrame(schema=IDLE_RISK_SCHEMA)
    column = settings.idle_quantile
    need = pl.concat(
        [
            _daily_pools(levels, plan, column=column, start=start, end=end).lazy(),
            _dedicated_need(levels, plan, column=column, start=start, end=end).select(
                "region", "pool", "ds", "requirement_gpus", "capacity_gpus"
            ),
        ]
    )
    days = pl.LazyFrame({"ds": pl.date_range(start, end, interval="1d", eager=True)})
    idle = (
        committed.lazy()
        .join(days, how="cross")
        .filter(pl.col("ds") >= pl.col("in_service"))
        .join(need, on=["region", "pool", "ds"])
        # Newer blocks stand idle first: stack them newest in-service first.
        .sort(
            ["region", "pool", "ds", "in_service", "block_id"],
            descending=[*[False] * 3, True, True],
        )
        .with_columns(idle_gpus=_marginal_idle())
        .filter(pl.col("ds") < pl.col("in_service") + _weeks(settings.idle_weeks))
        .group_by("block_id")
        .agg(pl.col("idle_gpus").mean(), days_judged=pl.len())
    )
    prices = _per_gpu_capex(plan)
    regions = set(levels["region"].drop_nulls().unique())
    rows = []
    for row in (
        committed.lazy()
        .drop("per_gpu")
        .join(idle, on="block_id", how="left")
        .collect()
        .iter_rows(named=True)
    ):
        price = prices.get((row["kind"], row["gpu_type"]))
        gpus = row["idle_gpus"]
        row["idle_share"] = None if gpus is None else gpus / row["gpus"]
        row["capex_at_risk_usd"] = None if gpus is None or price is None else gpus * price
        row["note"] = _idle_note(row, priced=price is not None, regions=regions, end=end)
        judged, window = row.pop("days_judged"), settings.idle_weeks * 7
        if judged is not None and judged < window:
            # A mean over a few days is not the first weeks' idleness it stands for.
            row["note"] += (
                f"; judged on its first {judged} day(s) in service only, not {window}: the "
                f"forecast ends on {end}"
            )
        rows.append(row)
    return pl.DataFrame(rows, schema=IDLE_RISK_SCHEMA, orient="row").sort(
        "capex_at_risk_usd", "block_id", descending=[True, False], nulls_last=True
    )


# --- the public entry points ---------------------------------------------------------------------


def expansion_triggers(
    forecast: pl.DataFrame,
    plan: CapacityPlan,
    *,
    as_of: date,
    settings: TriggerSettings = TriggerSettings(),
) -> TriggerResult:
    """Exhaustion and order-by dates, blocks to order, drivers and idle risk per region and pool.

    ``forecast`` is the chosen forecast (FORECAST_SCHEMA) with region-level, class-level and
    customer-level series of both measures, optionally with a ``grain`` column ('day' or
    'month', see "Monthly grain"); days before ``as_of`` are ignored and the horizon ends on
    its last covered day. The semantics are those of the module docstring.
    """
    ranged = _in_h100_equivalents(
        _levels(forecast, as_of=as_of, columns=(settings.quantile, settings.idle_quantile)),
        plan,
        as_of=as_of,
    )
    levels = _daily_levels(ranged, plan)
    start, end = _day(ranged["ds"].min()), _day(ranged["until"].max())
    daily = _daily_pools(levels, plan, column=settings.quantile, start=start, end=end)
    longest = max((c.lead_time_weeks for c in plan.candidate), default=0)
    power = _Power.of(
        plan, start=start, end=max(end, as_of + _weeks(longest + settings.buffer_weeks))
    )
    triggers, placements = _triggers(
        daily, plan, as_of=as_of, settings=settings, power=power, daily_end=daily_end_of(forecast)
    )
    homeless = _homeless(ranged, plan, column=settings.quantile)
    triggers = _led_by(triggers, homeless, pool=Pool.ALL)
    triggers = _led_by(triggers, _empty_regions(triggers, plan, as_of=as_of))
    return TriggerResult(
        triggers=triggers,
        drivers=_drivers(ranged, triggers, start=start),
        idle_risk=_idle_risk(levels, plan, settings=settings, start=start, end=end),
        n_plus_one=n_plus_one(daily, plan),
        power=_power_triggers(
            plan,
            placements,
            as_of=as_of,
            end=end if power is None else power.end,
            buffer_weeks=settings.buffer_weeks,
            forecast_end=end,
        ),
        placements=placements,
    )


def _homeless(levels: pl.DataFrame, plan: CapacityPlan, *, column: str) -> dict[str, str]:
    """Per region, the classes with demand that no block of the region hosts, as a note: the
    pools count that demand against blocks it cannot run on (a plan whose blocks all left
    batch out ordered exactly as one that hosts it)."""
    demand = (
        levels.filter((pl.col("depth") == 2) & (pl.col("measure") == Measure.PEAK.value))
        .group_by("region", "workload_class")
        .agg(pl.col(column).max().alias("most"))
        .filter(pl.col("most") > _TOL)
        .sort("region", "workload_class")
    )
    notes: dict[str, list[str]] = {}
    for r in demand.iter_rows(named=True):
        cls = WorkloadClass(r["workload_class"])
        if cls is WorkloadClass.TRAINING:
            continue  # the training pool counts it against fabric blocks, and orders them
        hosted = any(b.region == r["region"] and b.allows(cls) for b in plan.block)
        if not hosted:
            notes.setdefault(r["region"], []).append(
                f"{cls.value} demand (up to {r['most']:,.0f} GPUs at {column}) has no block in "
                f"{r['region']} that hosts {cls.value}"
            )
    return {
        region: "; ".join(found)
        + ": counted here against blocks it cannot run on, so this pool's dates are not verified"
        for region, found in notes.items()
    }


def _led_by(
    triggers: pl.DataFrame, notes: dict[str, str], *, pool: Pool | None = None
) -> pl.DataFrame:
    """Each region's trigger notes (``pool``'s only, when given) led by ``notes[region]``."""
    if not notes:
        return triggers
    lead = pl.col("region").replace_strict(notes, default=None, return_dtype=pl.String)
    skip = lead.is_null() if pool is None else (pl.col("pool") != pool.value) | lead.is_null()
    return triggers.with_columns(
        note=pl.when(skip)
        .then(pl.col("note"))
        .when(pl.col("note").is_null())
        .then(lead)
        .otherwise(pl.concat_str(lead, pl.lit("; "), pl.col("note")))
    )


def _empty_regions(triggers: pl.DataFrame, plan: CapacityPlan, *, as_of: date) -> dict[str, str]:
    """Per region with no block in service on ``as_of``, a note saying so and when its first
    block enters service: a plan whose blocks all start years after the telemetry (a sample
    plan on an old trace) read red with an order-by date years past, and nothing said the
    plan was not the fleet's."""
    notes = {}
    for region in sorted(triggers["region"].unique()):
        blocks = [b for b in plan.block if b.region == region]
        if any(b.in_service_on(as_of) for b in blocks):
            continue
        starts = sorted(b.in_service for b in blocks if b.in_service is not None)
        first = f"its first block enters service {starts[0]}" if starts else "it has no block"
        notes[region] = (
            f"no block of the plan is in service in {region} on {as_of} ({first}): check that "
            "the plan is this fleet's"
        )
    return notes


def daily_end_of(forecast: pl.DataFrame) -> date | None:
    """The last day of the forecast's daily rows where monthly rows follow them (past it a
    date stands for its month); else None."""
    if "grain" not in forecast.columns or not (forecast["grain"] == "month").any():
        return None
    days = forecast.filter(pl.col("grain") == "day")["ds"]
    return None if days.is_empty() else _day(days.max())


def pool_requirements(
    frame: pl.DataFrame, plan: CapacityPlan, *, as_of: date, column: str
) -> pl.DataFrame:
    """(region, pool, ds, requirement_gpus, capacity_gpus) from ``as_of`` to the frame's end.

    The requirement and capacity the triggers compare, by the module docstring's rules, read
    off ``column`` of ``frame`` (FORECAST_SCHEMA-like: unique_id, ds, measure, mean and
    ``column``). A decision backtest passes observed demand as ``column`` to date when the
    fleet really ran short by the same rule the triggers forecast it with.
    """
    ranged = _in_h100_equivalents(_levels(frame, as_of=as_of, columns=(column,)), plan, as_of=as_of)
    levels = _daily_levels(ranged, plan)
    start, end = _day(ranged["ds"].min()), _day(ranged["until"].max())
    return _daily_pools(levels, plan, column=column, start=start, end=end)


def _largest_shared_block(
    plan: CapacityPlan, region: str, *, start: date, end: date
) -> Block | None:
    """The region's block with the most capacity in service at some day of [start, end],
    shared (not dedicated to one customer); ties by id."""
    shared = [
        b
        for b in plan.block
        if b.region == region
        and b.dedicated_customer is None
        and (b.in_service is None or b.in_service <= end)
        and (b.retire is None or b.retire > start)
    ]
    return min(shared, key=lambda b: (-_units(plan, b), b.id)) if shared else None


def _units(plan: CapacityPlan, block: Block) -> float:
    """A block's capacity: H100-equivalents with a [gpu_type] table, else its GPUs."""
    return block.gpus * plan.h100_equivalent(block.gpu_type)


def n_plus_one(daily: pl.DataFrame, plan: CapacityPlan) -> pl.DataFrame:
    """Per region: does the plan hold with its largest shared block lost (N+1)?

    ``daily`` is (region, pool, ds, requirement_gpus, capacity_gpus) as the triggers use it.
    On every day the block is in service its GPUs leave the ``all`` pool, and the ``training``
    pool too when it has a fabric; the plan holds when no pool's requirement (demand at the
    quantile off dedicated blocks, grossed up by headroom) then exceeds what is left.
    """
    rows: list[tuple[object, ...]] = []
    for region in sorted(daily["region"].unique()):
        start, end = _day(daily["ds"].min()), _day(daily["ds"].max())
        block = _largest_shared_block(plan, region, start=start, end=end)
        if block is None:
            rows.append((region, None, None, True, None, 0.0))
            continue
        pools = [Pool.ALL.value] + (
            [Pool.TRAINING.value] if block.allows(WorkloadClass.TRAINING) else []
        )
        in_service = pl.lit(block.in_service is None) | (
            pl.col("ds") >= pl.lit(block.in_service or start)
        )
        if block.retire is not None:
            in_service = in_service & (pl.col("ds") < pl.lit(block.retire))
        lost = pl.when(in_service).then(pl.lit(_units(plan, block))).otherwise(pl.lit(0.0))
        short = daily.filter((pl.col("region") == region) & pl.col("pool").is_in(pools)).select(
            "ds",
            shortfall=pl.col("requirement_gpus") - (pl.col("capacity_gpus") - lost),
        )
        over = short.filter(pl.col("shortfall") > _TOL).sort("ds")
        worst = float(short["shortfall"].to_numpy().max(initial=0.0))
        rows.append(
            (
                region,
                block.id,
                block.gpus,
                over.is_empty(),
                None if over.is_empty() else _day(over["ds"][0]),
                max(worst, 0.0),
            )
        )
    return pl.DataFrame(rows, schema=N_PLUS_ONE_SCHEMA, orient="row")


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
) -> pl.DataFrame:
    """Facility MW per site and month: in service, arriving from triggers, and needed.

    ``mw_in_service`` is the highest daily MW of the plan's blocks in the month (power must
    be ready for the busiest day); ``mw_new_blocks`` the MW of trigger orders arriving that
    month, placed at the region's largest site (most MW of live and committed blocks; the
    region's own name when it has no block yet) or, given ``placements``
    (PLACEMENTS_SCHEMA, from a plan with [[site]]), at the site each order was placed;
    ``mw_needed`` adds every order arrived by
    the month to the MW in service. Columns follow MW_SCHEMA, months from ``start``'s month.
    """
    sites = _largest_sites(plan)
    in_service = (
        block_timeline(plan, start=start, end=end)
        .group_by("region", "site", "ds")
        .agg(pl.col("mw").sum())
        .group_by("region", "site", _month())
        .agg(mw_in_service=pl.col("mw").max())
    )
    placed = placements is not None and not placements.is_empty()
    arrivals = (
        placements.select("region", "site", "arrives", "mw")  # type: ignore[union-attr]
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
