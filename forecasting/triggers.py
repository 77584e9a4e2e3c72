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
    share of the region's expected mean demand that day (the ``mean`` column of the mean
    measure). Without class-level means that day the highest class headroom is used.

Exhaustion, block choice, status
    The exhaustion date is the first day from ``as_of`` on which the requirement exceeds the
    shared capacity in service (live plus committed by in-service date, less retired, from
    :func:`~forecasting.capacity.capacity_timeline`); None when it never does within the
    forecast. Blocks to order = ceil(largest shortfall over the horizon / candidate GPUs),
    all ordered together. Candidates are the block types available in the region that can
    serve the pool (training needs fabric). ``order_by = exhaustion - lead time - buffer``;
    among candidates whose order-by is on or after ``as_of`` the cheapest total capex wins;
    when none is in time, the one that arrives first (and the note says so). Status:
    green when ``as_of <= order_by``; amber when ``order_by < as_of <= exhaustion - lead time``
    (inside the buffer); red when ``as_of > exhaustion - lead time`` (a shortfall is coming
    whatever is ordered now), and red when no candidate can serve the pool.
    Every training-pool block is also in the ``all`` pool, so the ``all`` pool is sized for
    what is still short once the training-pool order is in service (no double order).

Drivers
    The increase of expected MEAN demand from the first forecast day on or after ``as_of`` to
    the exhaustion date (horizon end when the pool never exhausts), by class and customer at
    the bottom level (class level where a region has no customer series); ``share`` is each
    part's growth over the pool's total growth, so shares sum to 1 (null when the total is 0).

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

N+1
    Per region: the largest shared block (most GPUs, in service at some day of the horizon)
    is lost on every day it serves; the plan holds N+1 when neither the ``all`` pool nor,
    for a fabric block, the ``training`` pool then has a requirement above its capacity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

import polars as pl

from forecasting import hierarchy
from forecasting.capacity import (
    ALL_CLASSES,
    Block,
    CandidateBlock,
    CapacityPlan,
    block_timeline,
    capacity_timeline,
)
from forecasting.schema import BlockStatus, Measure, WorkloadClass, frame_schema

__all__ = [
    "DRIVERS_SCHEMA",
    "IDLE_RISK_SCHEMA",
    "MW_SCHEMA",
    "N_PLUS_ONE_SCHEMA",
    "TRIGGERS_SCHEMA",
    "Pool",
    "Status",
    "TriggerResult",
    "TriggerSettings",
    "expansion_triggers",
    "mw_by_site_month",
    "n_plus_one",
    "trigger_status",
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


@dataclass(frozen=True, slots=True, kw_only=True)
class TriggerSettings:
    """How cautious the triggers are; the horizon end is the forecast's last day.

    ``quantile`` and ``idle_quantile`` name forecast columns (``q90``, ``q10``).
    """

    quantile: str = "q90"
    buffer_weeks: int = 4
    idle_weeks: int = 13
    idle_quantile: str = "q10"

    def __post_init__(self) -> None:
        if self.buffer_weeks < 0 or self.idle_weeks < 1:
            raise ValueError("buffer_weeks must be >= 0 and idle_weeks >= 1")


@dataclass(frozen=True, slots=True)
class TriggerResult:
    """Frames of one trigger run: TRIGGERS_SCHEMA, DRIVERS_SCHEMA and IDLE_RISK_SCHEMA."""

    triggers: pl.DataFrame
    drivers: pl.DataFrame
    idle_risk: pl.DataFrame
    n_plus_one: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=N_PLUS_ONE_SCHEMA))


# --- reading the forecast's levels -----------------------------------------------------------


def _class_in_pool() -> pl.Expr:
    """Whether a row's workload_class is demand of its pool (``all`` takes every class)."""
    return (pl.col("pool") == Pool.ALL.value) | (pl.col("workload_class") == pl.col("pool"))


def _levels(forecast: pl.DataFrame, *, as_of: date, columns: Sequence[str]) -> pl.DataFrame:
    """Forecast rows from ``as_of`` on, with region, class, customer and depth parsed out."""
    missing = sorted({"unique_id", "ds", "measure", "mean", *columns} - set(forecast.columns))
    if missing:
        raise ValueError(f"the forecast lacks columns {missing}")
    frame = (
        forecast.lazy()
        .filter(pl.col("ds") >= as_of)
        .select("unique_id", "ds", "measure", *dict.fromkeys(["mean", *columns]))
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


def _class_headroom(plan: CapacityPlan) -> pl.Expr:
    """The headroom policy of each row's workload_class."""
    headroom = {c.value: p.headroom for c, p in plan.policy.items()}
    return pl.col("workload_class").replace_strict(headroom, return_dtype=pl.Float64)


def _blended_headroom(levels: pl.DataFrame, plan: CapacityPlan) -> pl.LazyFrame:
    """(region, ds, blended): class headrooms weighted by each class's expected mean demand."""
    weight = pl.col("mean").clip(lower_bound=0.0)
    return (
        _series(levels, depth=2, measure=Measure.MEAN)
        .group_by("region", "ds")
        .agg(
            blended=pl.when(weight.sum() > 0).then(
                (_class_headroom(plan) * weight).sum() / weight.sum()
            )
        )
    )


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
        .agg(gpus=pl.col("gpus").sum())
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
    """(region, ds, pool, capacity_gpus): GPUs in service that the pool's demand may share."""
    pools = {WorkloadClass.TRAINING.value: Pool.TRAINING.value, ALL_CLASSES: Pool.ALL.value}
    return (
        capacity_timeline(plan, start=start, end=end)
        .lazy()
        .filter(pl.col("workload_class").is_in(list(pools)))
        .select(
            "region",
            "ds",
            pool=pl.col("workload_class").replace_strict(pools),
            capacity_gpus=pl.col("gpus") - pl.col("dedicated_gpus"),
        )
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
        .join(_blended_headroom(levels, plan), on=["region", "ds"], how="left")
        .join(offset, on=keys, how="left")
        .join(_shared_capacity(plan, start=start, end=end), on=keys, how="left")
        .with_columns(
            _pool_headroom(plan),
            pl.col("peak", "offset").fill_null(0.0),
            pl.col("capacity_gpus").fill_null(0).cast(pl.Int64),
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
    capacity: int
    shortfall: pl.DataFrame  # (ds, shortfall_gpus), every day of the horizon


@dataclass(frozen=True, slots=True)
class _Order:
    candidate: CandidateBlock
    blocks: int
    order_by: date
    arrives: date
    in_time: bool


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
        capacity=int(first["capacity_gpus"]),
        shortfall=daily.select("ds", _shortfall()),
    )


def _day(value: object) -> date:
    """A date read back from a frame (polars types it loosely)."""
    if not isinstance(value, date):
        raise ValueError(f"expected a date, got {value!r}")
    return value


def _weeks(n: int) -> timedelta:
    return timedelta(days=n * _DAYS_PER_WEEK)


def _serves(candidate: CandidateBlock, pool: Pool) -> bool:
    """Whether blocks of this type add capacity to ``pool`` (every block is in ``all``)."""
    return pool is Pool.ALL or candidate.allows(WorkloadClass.TRAINING)


def _candidates(plan: CapacityPlan, *, region: str, pool: Pool) -> list[CandidateBlock]:
    """Block types that can be ordered for ``region`` and serve ``pool``'s demand."""
    return [c for c in plan.candidate if c.available_in(region) and _serves(c, pool)]


def _blocks_needed(shortfall_gpus: float, candidate: CandidateBlock) -> int:
    return max(math.ceil(shortfall_gpus / candidate.gpus - _TOL), 0)


def _choose(
    options: Sequence[CandidateBlock],
    *,
    shortfall_gpus: float,
    exhaustion: date,
    as_of: date,
    buffer_weeks: int,
) -> _Order | None:
    """Cheapest candidate still orderable in time, else the one that arrives first."""
    orders = []
    for c in options:
        order_by = exhaustion - _weeks(c.lead_time_weeks) - _weeks(buffer_weeks)
        early = order_by >= as_of
        arrives = (order_by if early else as_of) + _weeks(c.lead_time_weeks)
        orders.append(_Order(c, _blocks_needed(shortfall_gpus, c), order_by, arrives, early))
    in_time = [o for o in orders if o.in_time]
    if in_time:
        return min(in_time, key=lambda o: (o.blocks * o.candidate.capex_usd, o.arrives, o.order_by))
    if orders:
        return min(orders, key=lambda o: (o.arrives, o.blocks * o.candidate.capex_usd))
    return None


def trigger_status(
    *, as_of: date, exhaustion: date, order_by: date, lead_time: timedelta
) -> Status:
    """Green up to the order-by date, amber inside the buffer, red once lead time is lost."""
    if as_of <= order_by:
        return Status.GREEN
    if as_of <= exhaustion - lead_time:
        return Status.AMBER
    return Status.RED


def _order_note(order: _Order, *, exhaustion: date, buffer_weeks: int) -> str:
    name = order.candidate.name
    if order.in_time:
        return (
            f"order {order.blocks} x {name} by {order.order_by}: in service {order.arrives}, "
            f"{buffer_weeks} weeks before exhaustion"
        )
    late = (order.arrives - exhaustion).days
    timing = (
        f"{late} days after exhaustion" if late > 0 else f"{-late} days before it (inside buffer)"
    )
    return (
        f"no candidate can be ordered by its order-by date; {name} arrives first if ordered "
        f"today: {order.arrives}, {timing}"
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
    }


def _net_of(shortfall: pl.DataFrame, relief: _Order | None) -> float:
    """Largest shortfall left once ``relief`` (an order for another pool) is in service."""
    if relief is not None:
        relieved = pl.when(pl.col("ds") >= relief.arrives).then(
            relief.blocks * relief.candidate.gpus
        )
        shortfall = shortfall.with_columns(pl.col("shortfall_gpus") - relieved.otherwise(0))
    return max(float(shortfall["shortfall_gpus"].max()), 0.0)  # type: ignore[arg-type]


def _trigger_row(
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    region: str,
    pool: Pool,
    as_of: date,
    settings: TriggerSettings,
    relief: _Order | None,
) -> tuple[dict[str, object], _Order | None]:
    """One TRIGGERS row and its order; ``relief`` is an order for an overlapping pool."""
    row = _empty_row(region, pool, quantile=settings.quantile, as_of=as_of)
    found = _exhaustion(daily)
    if found is None:
        end = _day(daily["ds"].max())
        note = f"{settings.quantile} requirement stays within capacity through {end}"
        row |= {"status": Status.GREEN.value, "max_shortfall_gpus": 0.0, "note": note}
        row |= {"blocks_to_order": 0, "capex_usd": 0.0, "mw": 0.0}
        return row, None
    gross = _net_of(found.shortfall, None)
    net = _net_of(found.shortfall, relief)
    row |= {
        "exhaustion_date": found.day,
        "requirement_gpus_at_exhaustion": found.requirement,
        "capacity_gpus_at_exhaustion": found.capacity,
        "max_shortfall_gpus": gross,
    }
    if relief is not None and net <= 0.0:
        row |= _order_fields(relief, as_of=as_of, exhaustion=found.day, blocks=0)
        row["note"] = (
            f"covered by the training-pool order: {relief.blocks} x {relief.candidate.name} "
            f"in service {relief.arrives}"
        )
        return row, None
    order = _choose(
        _candidates(plan, region=region, pool=pool),
        shortfall_gpus=net,
        exhaustion=found.day,
        as_of=as_of,
        buffer_weeks=settings.buffer_weeks,
    )
    if order is None:
        note = f"no candidate block type can serve the {pool.value} pool in {region}"
        return row | {"status": Status.RED.value, "note": note}, None
    notes = [_order_note(order, exhaustion=found.day, buffer_weeks=settings.buffer_weeks)]
    if relief is not None and net < gross:
        gpus = relief.blocks * relief.candidate.gpus
        notes.append(f"sized net of the training-pool order ({gpus} GPUs from {relief.arrives})")
    row |= _order_fields(order, as_of=as_of, exhaustion=found.day, blocks=order.blocks)
    row["note"] = "; ".join(notes)
    return row, order


def _triggers(
    daily: pl.DataFrame, plan: CapacityPlan, *, as_of: date, settings: TriggerSettings
) -> pl.DataFrame:
    rows = []
    for (region,), frame in daily.group_by("region", maintain_order=True):
        training = frame.filter(pl.col("pool") == Pool.TRAINING.value)
        row, order = _trigger_row(
            training,
            plan,
            region=str(region),
            pool=Pool.TRAINING,
            as_of=as_of,
            settings=settings,
            relief=None,
        )
        rows.append(row)
        everything = frame.filter(pl.col("pool") == Pool.ALL.value)
        row, _ = _trigger_row(
            everything,
            plan,
            region=str(region),
            pool=Pool.ALL,
            as_of=as_of,
            settings=settings,
            relief=order,
        )
        rows.append(row)
    return pl.DataFrame(rows, schema=TRIGGERS_SCHEMA, orient="row")


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
    return pl.concat([bottom, classes]).select("region", "workload_class", "customer", "ds", "mean")


def _drivers(levels: pl.DataFrame, triggers: pl.DataFrame, *, start: date) -> pl.DataFrame:
    windows = triggers.lazy().select(
        "region",
        "pool",
        from_date=pl.lit(start),
        to_date=pl.coalesce("exhaustion_date", pl.lit(levels["ds"].max())),
    )
    parts = _parts(levels).join(_pools(), how="cross").filter(_class_in_pool())
    keys = ["region", "pool", "workload_class", "customer"]
    at = parts.join(windows, on=["region", "pool"])
    first = at.filter(pl.col("ds") == pl.col("from_date")).select(*keys, from_mean="mean")
    last = at.filter(pl.col("ds") == pl.col("to_date")).select(
        *keys, "from_date", "to_date", to_mean="mean"
    )
    return (
        last.join(first, on=keys, how="left", nulls_equal=True)
        .with_columns(growth_gpus=pl.col("to_mean") - pl.col("from_mean").fill_null(0.0))
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
        .agg(capacity_gpus=pl.col("gpus").sum())
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
        pool=pl.lit("dedicated:") + pl.col("customer"),
        requirement_gpus=pl.col("requirement_gpus").fill_null(0.0),
        capacity_gpus=pl.col("capacity_gpus").cast(pl.Int64),
    )


def _committed(plan: CapacityPlan) -> pl.DataFrame:
    rows = [
        (b.id, b.region, b.site, b.kind.value, b.gpu_type, b.in_service, b.gpus, _idle_pool(b))
        for b in plan.block
        if b.status is BlockStatus.COMMITTED
    ]
    schema = {k: IDLE_RISK_SCHEMA[k] for k in IDLE_RISK_SCHEMA.names()[:8]}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _marginal_idle() -> pl.Expr:
    """Idle GPUs of a committed block: the pool's excess left after newer committed blocks.

    Rows must be sorted newest in-service first within (region, pool, ds).
    """
    newer = pl.col("gpus").cum_sum().over("region", "pool", "ds") - pl.col("gpus")
    excess = pl.col("capacity_gpus") - pl.col("requirement_gpus") - newer
    return excess.clip(lower_bound=0.0).clip(upper_bound=pl.col("gpus").cast(pl.Float64))


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
        .agg(pl.col("idle_gpus").mean())
    )
    prices = _per_gpu_capex(plan)
    regions = set(levels["region"].drop_nulls().unique())
    rows = []
    for row in (
        committed.lazy().join(idle, on="block_id", how="left").collect().iter_rows(named=True)
    ):
        price = prices.get((row["kind"], row["gpu_type"]))
        gpus = row["idle_gpus"]
        row["idle_share"] = None if gpus is None else gpus / row["gpus"]
        row["capex_at_risk_usd"] = None if gpus is None or price is None else gpus * price
        row["note"] = _idle_note(row, priced=price is not None, regions=regions, end=end)
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
    customer-level series of both measures; days before ``as_of`` are ignored and the horizon
    ends on its last day. The semantics are those of the module docstring.
    """
    levels = _levels(forecast, as_of=as_of, columns=(settings.quantile, settings.idle_quantile))
    start, end = _day(levels["ds"].min()), _day(levels["ds"].max())
    daily = _daily_pools(levels, plan, column=settings.quantile, start=start, end=end)
    triggers = _triggers(daily, plan, as_of=as_of, settings=settings)
    return TriggerResult(
        triggers=triggers,
        drivers=_drivers(levels, triggers, start=start),
        idle_risk=_idle_risk(levels, plan, settings=settings, start=start, end=end),
        n_plus_one=n_plus_one(daily, plan),
    )


def _largest_shared_block(
    plan: CapacityPlan, region: str, *, start: date, end: date
) -> Block | None:
    """The region's block with the most GPUs in service at some day of [start, end], shared
    (not dedicated to one customer); ties by id."""
    shared = [
        b
        for b in plan.block
        if b.region == region
        and b.dedicated_customer is None
        and (b.in_service is None or b.in_service <= end)
        and (b.retire is None or b.retire > start)
    ]
    return min(shared, key=lambda b: (-b.gpus, b.id)) if shared else None


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
        lost = pl.when(in_service).then(pl.lit(block.gpus)).otherwise(pl.lit(0))
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
    plan: CapacityPlan, triggers: pl.DataFrame, *, start: date, end: date
) -> pl.DataFrame:
    """Facility MW per site and month: in service, arriving from triggers, and needed.

    ``mw_in_service`` is the highest daily MW of the plan's blocks in the month (power must
    be ready for the busiest day); ``mw_new_blocks`` the MW of trigger orders arriving that
    month, placed at the region's largest site (most MW of live and committed blocks; the
    region's own name when it has no block yet); ``mw_needed`` adds every order arrived by
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
    orders = (
        triggers.filter((pl.col("blocks_to_order") > 0) & pl.col("arrives").is_not_null())
        .filter(pl.col("arrives") <= end)
        .select(
            "region",
            site=pl.col("region").replace_strict(sites, default=pl.col("region")),
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
