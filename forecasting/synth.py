"""A realistic synthetic GPU fleet: hourly telemetry, the capacity plan it runs on, and launches.

The fleet is built so that every downstream stage has something real to find:

* three regions (us-east, us-west, eu-west) with one to three clusters each, one GPU model per
  cluster, and a capacity plan whose blocks carry the same GPU model as the cluster they sit in;
* the five workload classes with the shapes of DOMAIN.md: inference with diurnal and weekly
  cycles and 40-80 %/yr growth; training as gang-scheduled jobs of 256-2048 GPUs held for days
  to weeks, stepping up after launches; evaluation bursts after training jobs finish; batch that
  fills nights and weekends; small, noisy experimentation;
* heavy-tailed customers (Zipf weights), one anchor customer (``northwind-ai``) holding a third
  of inference with a pod dedicated to it, and a long tail of ``cust-NNN``;
* launches that step inference and training up, recorded in ``events`` (plus one announced
  launch after the data ends, as a known future regressor);
* capacity sized from the generated demand itself: through the history, month by month, tight
  but sufficient, with one region where a block arrived late (us-west, whose fullest hour runs
  95 % of its GPUs in service at seed 0, us-east 91 %, eu-west 92 %: the demo's history
  queues nothing, where seed 3 over 400 days does, tests/test_synth.py); ahead of
  the data, by its own policy: each region's need is its q90 daily peak plus every class's
  headroom, grown along its trend (training also along its widening fan), and a pipeline of
  committed blocks every six weeks keeps capacity at 1.25x that need in us-west and eu-west
  and at 1.15x in us-east for 240 days, past the 26-week horizon, so us-east runs tightest:
  on the fleet's own forecast (growth models past day 28) the plan holds unshocked over the
  drills' 26-week windows, but only just: as of 2026-11-30 all demand breaks it at 1.14x its
  forecast and inference alone at 1.19x (the drills' breaking multipliers), the forecast
  growing at the history's pace (about 2x a year in us-east); the growth
  after the pipeline ends is what the 36-month triggers order for; plus one retiring legacy
  block;
* queued demand allocated by class priority when a region's demand exceeds what its blocks can
  place, and a telemetry outage of a few hours in eu-west (rows missing, not zero);
* a power plan per site (``[[site]]``): MW energized a month before the blocks that need it,
  at the region's cover times the peak draw. us-west and eu-west have also contracted as much
  again, energized six months after the data ends, so the growth their triggers order for
  finds power; tight us-east has contracted only a quarter more, energized after 18 months,
  so its sites carry the power triggers (one contract due within weeks of the data's end,
  one already late: a new site is needed); and a ``[gpu_type]`` table of H100-equivalents by
  generation (planning assumptions, see :data:`_GPU_TYPES`; the telemetry itself counts GPUs as
  they are).

Everything is vectorised over hours with numpy; Python loops run only over customers, launches,
job lanes and months. The default fleet (730 days, 200 customers, seed 0) measured
3,922,431 telemetry rows and builds in about 2.5 s on 2 cores (peak memory about 1 GB).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from forecasting.capacity import (
    Block,
    BurstRung,
    CandidateBlock,
    CapacityPlan,
    ClassPolicy,
    ExpediteRung,
    GpuType,
    MigrateRung,
    NewSite,
    PowerStep,
    Response,
    Site,
    SparesRung,
    dump_plan,
)
from forecasting.schema import (
    EVENTS_SCHEMA,
    TELEMETRY_SCHEMA,
    BlockKind,
    BlockStatus,
    WorkloadClass,
)

__all__ = [
    "ANCHOR_CUSTOMER",
    "MIN_CUSTOMERS",
    "MIN_DAYS",
    "SyntheticFleet",
    "synthetic_fleet",
    "write_fleet",
]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

# Launches are announced this many days ahead, so a backtest before the announcement cannot
# know of them (forecasting.events).
ANNOUNCED_DAYS_AHEAD = 28
# Inference rises over the week after a launch: the window Prophet gives the launch effect.
LAUNCH_WINDOW_DAYS = 7

ANCHOR_CUSTOMER = "northwind-ai"
# The largest customers get readable names; the tail is numbered by rank.
_NAMED_CUSTOMERS = (
    ANCHOR_CUSTOMER,
    "helios-labs",
    "quanta-research",
    "lumen-systems",
    "arcadia-ml",
    "vesper-robotics",
    "cobalt-bio",
    "tidewater-search",
)
# Share of all inference GPU-hours the anchor customer holds (DOMAIN.md: one contract can
# dominate a provider's plan).
_ANCHOR_INFERENCE_SHARE = 0.33
_TRAINING_CUSTOMERS = 10  # the largest customers train their own models
# The smallest fleet: four weeks, the window the plan's growth is read from, and the customers
# that train their own models plus a tail.
MIN_DAYS = 28
MIN_CUSTOMERS = _TRAINING_CUSTOMERS + 2

HOURS_PER_DAY = 24
HOURS_PER_YEAR = 24 * 365.25

# Fleet-wide mean GPUs per class at the end of the data, before launches and noise.
_CLASS_SCALE: dict[WorkloadClass, float] = {
    WorkloadClass.INFERENCE: 11_000.0,
    WorkloadClass.TRAINING: 8_000.0,
    WorkloadClass.BATCH: 2_600.0,
}
_INFERENCE_GROWTH = (math.log(1.4), math.log(1.8))  # 40-80 %/yr
_TRAINING_GROWTH = math.log(1.25)  # between launches; launches add the steps
_BATCH_GROWTH = math.log(1.3)
_TRAINING_JOB_GPUS = (256, 2048)
_TRAINING_JOB_DAYS = (3.0, 28.0)

# Schedulers cannot place every last GPU (fragmentation, draining nodes): demand above this
# share of a region's shared capacity waits in the queue.
_PLACEABLE = 0.97
# Planners keep headroom over the busy days, as the class policies ask (inference keeps 20 %
# free, training runs to 90 %): without it every drill fails before any shock.
_PLANNED_HEADROOM = 0.10
_TRAINING_HEADROOM = 0.10
_POD_GPUS = 1024
_RACK_GPUS = 64  # one rack of eight 8-GPU servers; rack blocks are a few racks
_LARGEST_RACK_BLOCK = 512
_CELL_GPUS = 4096  # cells are sized in steps of four 1024-GPU pods

# Facility kW per GPU, cooling and networking included.
_KW_PER_GPU = {"A100": 1.2, "H100": 1.5, "H200": 1.6, "GB200": 1.8}
# All-in capital cost per GPU by block kind (fabric and site build-out make bigger kinds dearer).
_CAPEX_PER_GPU = {BlockKind.RACK: 33_000.0, BlockKind.POD: 40_000.0, BlockKind.CELL: 45_000.0}
_LEAD_TIME_WEEKS = {BlockKind.RACK: 10, BlockKind.POD: 32, BlockKind.CELL: 90}

_POLICIES: dict[WorkloadClass, ClassPolicy] = {
    WorkloadClass.INFERENCE: ClassPolicy(
        tier="premium", priority=1, headroom=0.20, slo_target=0.95, price_per_gpu_hour=3.40
    ),
    WorkloadClass.TRAINING: ClassPolicy(
        tier="standard", priority=2, headroom=0.10, slo_target=0.90, price_per_gpu_hour=2.40
    ),
    WorkloadClass.EVALUATION: ClassPolicy(
        tier="standard", priority=3, headroom=0.05, slo_target=0.90, price_per_gpu_hour=2.20
    ),
    WorkloadClass.BATCH: ClassPolicy(
        tier="batch", priority=4, headroom=0.0, slo_target=0.80, price_per_gpu_hour=1.60
    ),
    WorkloadClass.EXPERIMENTATION: ClassPolicy(
        tier="overflow",
        priority=5,
        headroom=0.0,
        preemptible=True,
        slo_target=0.50,
        price_per_gpu_hour=0.90,
    ),
}
_SERVICE_ORDER = tuple(sorted(_POLICIES, key=lambda c: _POLICIES[c].priority))

# The response ladder an operator of this size keeps (per region; planning assumptions, not
# trace data): a prepared migration path of one pod's worth of GPUs from training to inference
# in 12 hours, half a pod of warm spares in 6 hours at a carrying cost, a partner cloud from
# day 3 priced above our own inference (bursting costs margin), orders expedited 4 weeks for a
# 15 % premium.
_RESPONSE = Response(
    migrate=MigrateRung(delay_hours=12, gpus=1024, cost_per_gpu_hour=0.25),
    spares=SparesRung(activation_hours=6, gpus=512, carrying_cost_per_gpu_hour=0.60),
    burst=BurstRung(after_days=3, gpus=2048, price_per_gpu_hour=4.80),
    expedite=ExpediteRung(weeks_saved=4, premium=0.15),
)


@dataclass(frozen=True, slots=True)
class _Cluster:
    name: str
    gpu_type: str
    fabric: bool
    host_weight: float  # share of a region's non-training series that run here
    legacy_gpus: int = 0  # an old rack block that retires after the data ends


# Committed blocks are known this far ahead of the data's end, past the 26-week horizon.
_PIPELINE_DAYS = 240


@dataclass(frozen=True, slots=True)
class _Region:
    name: str
    utc_offset: int
    home_weight: float  # chance a customer's main region is this one
    clusters: tuple[_Cluster, ...]
    # Capacity planned over the forecast horizon as a multiple of the projected requirement
    # (q90 daily peak plus headroom): well above 1 a comfortable region, near 1 a tight one.
    cover: float
    first_commit_days: int  # days after the data ends that the first committed block arrives
    pipeline_days: int  # how far ahead the committed pipeline keeps up with growth
    expansion_site: _Cluster | None = None  # a new site whose cell is committed but far out

    @property
    def fabric_cluster(self) -> _Cluster:
        return next(c for c in self.clusters if c.fabric)

    @property
    def rack_cluster(self) -> _Cluster:
        plain = [c for c in self.clusters if not c.fabric and not c.legacy_gpus]
        return plain[0] if plain else self.fabric_cluster


_REGIONS: tuple[_Region, ...] = (
    _Region(
        "us-east",
        -5,
        0.5,
        (_Cluster("us-east-a", "H100", True, 0.45), _Cluster("us-east-b", "H100", False, 0.55)),
        cover=1.15,
        first_commit_days=42,
        pipeline_days=_PIPELINE_DAYS,
        expansion_site=_Cluster("us-east-c", "GB200", True, 0.0),
    ),
    _Region(
        "us-west",
        -8,
        0.25,
        (
            _Cluster("us-west-a", "H100", True, 0.4),
            _Cluster("us-west-b", "H100", False, 0.45),
            _Cluster("us-west-c", "A100", False, 0.15, legacy_gpus=512),
        ),
        cover=1.25,
        first_commit_days=35,
        pipeline_days=_PIPELINE_DAYS,
    ),
    _Region(
        "eu-west",
        1,
        0.25,
        (_Cluster("eu-west-a", "H200", True, 1.0),),
        cover=1.25,
        first_commit_days=56,
        pipeline_days=_PIPELINE_DAYS,
    ),
)
_LATE_BLOCK_REGION = "us-west"  # where history shows a block that arrived late
_OUTAGE_REGION = "eu-west"
_ANCHOR_REGION = "us-east"
_RETIRE_AFTER_DAYS = 75
_TIGHT_COVER = 1.2  # a region planned below this cover is the tight one (us-east)
_CELL_AFTER_DAYS = 300

# The forward plan (DOMAIN.md, expansion triggers): the need is the q90 of the last four weeks'
# daily peaks plus each class's headroom, grown along the trend measured over half a year.
_PLAN_QUANTILE = 0.9
_GROWTH_WINDOW_DAYS = 28
_Q90_Z = 1.2816  # standard normal quantile at 0.9
_GROWTH_SPAN_DAYS = 365
_FALLBACK_GROWTH = math.log(1.25)
_MAX_GROWTH = math.log(3.0)  # a launch step is not a trend to extrapolate beyond 3x a year
_COMMIT_EVERY_DAYS = 42  # committed blocks land every six weeks
_RECENT_BLOCK_DAYS = 5  # the top-up block came into service this many days before the data end


@dataclass(frozen=True, slots=True)
class SyntheticFleet:
    """A generated fleet: hourly telemetry, the capacity.toml it ran on, and known launches."""

    telemetry: pl.DataFrame
    capacity_toml: str
    events: pl.DataFrame


# --- time ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Clock:
    start: date
    days: int

    @property
    def hours(self) -> int:
        return self.days * HOURS_PER_DAY

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def hour_index(self) -> Ints:
        return np.arange(self.hours, dtype=np.int64)

    def years_to_end(self) -> Floats:
        """Years from each hour to the end of the data (negative: the past)."""
        return (self.hour_index() - self.hours).astype(np.float64) / HOURS_PER_YEAR

    def local_hour(self, region: _Region) -> Ints:
        return (self.hour_index() + region.utc_offset) % HOURS_PER_DAY

    def local_weekend(self, region: _Region) -> npt.NDArray[np.bool_]:
        local_day = (self.hour_index() + region.utc_offset) // HOURS_PER_DAY
        return ((self.start.weekday() + local_day) % 7) >= 5

    def day_of(self, hour: int) -> date:
        return self.start + timedelta(days=hour // HOURS_PER_DAY)


def _diurnal(clock: _Clock, region: _Region) -> Floats:
    """Daily cycle in [-1, 1]: an afternoon peak with a smaller late-morning shoulder."""
    angle = 2.0 * np.pi * clock.local_hour(region) / HOURS_PER_DAY
    wave = 0.8 * np.cos(angle - 2.0 * np.pi * 15 / 24) + 0.2 * np.cos(2 * angle - np.pi * 11 / 6)
    return np.asarray(wave / np.abs(wave).max(), dtype=np.float64)


def _smooth_noise(rng: np.random.Generator, rows: int, hours: int, window: int) -> Floats:
    """Unit-variance noise correlated over ``window`` hours (a moving sum of white noise)."""
    white = rng.standard_normal((rows, hours + window))
    summed = np.cumsum(white, axis=1)
    moving = summed[:, window:] - summed[:, :-window]
    return np.asarray(moving / math.sqrt(window), dtype=np.float64)


def _onboarding(clock: _Clock, onboard: Ints, ramp_days: float = 21.0) -> Floats:
    """0 before a series starts, a linear ramp over ``ramp_days``, then 1."""
    since = clock.hour_index()[None, :] - onboard[:, None]
    return np.clip(since / (ramp_days * HOURS_PER_DAY), 0.0, 1.0)


def _intervals(hours: int, starts: Ints, durations: Ints, sizes: Floats) -> Floats:
    """GPUs held per hour by jobs [start, start + duration) of the given sizes."""
    ends = np.clip(starts + durations, 0, hours)
    starts = np.clip(starts, 0, hours)
    steps = np.zeros(hours + 1)
    np.add.at(steps, starts, sizes)
    np.add.at(steps, ends, -sizes)
    return np.asarray(np.cumsum(steps[:hours]), dtype=np.float64)


# --- customers and series ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Customer:
    name: str
    rank: int
    weight: float
    regions: tuple[tuple[int, float], ...]  # (region index, share of the customer's demand)
    classes: tuple[WorkloadClass, ...]
    onboard: int  # hour the customer starts (negative: before the data)


@dataclass(frozen=True, slots=True)
class _Series:
    customer: _Customer
    region: int
    cluster: _Cluster
    workload_class: WorkloadClass
    level: float  # the series' share of its class's fleet-wide scale


def _customer_name(rank: int) -> str:
    return _NAMED_CUSTOMERS[rank] if rank < len(_NAMED_CUSTOMERS) else f"cust-{rank + 1:03d}"


def _tail_classes(rng: np.random.Generator) -> tuple[WorkloadClass, ...]:
    pool = (
        WorkloadClass.INFERENCE,
        WorkloadClass.BATCH,
        WorkloadClass.EXPERIMENTATION,
        WorkloadClass.EVALUATION,
    )
    count = int(rng.choice([1, 2, 3], p=[0.45, 0.4, 0.15]))
    picked = rng.choice(len(pool), size=count, replace=False, p=[0.5, 0.2, 0.2, 0.1])
    return tuple(pool[i] for i in sorted(picked))


def _customers(rng: np.random.Generator, count: int, clock: _Clock) -> list[_Customer]:
    """Zipf-weighted customers, each in one or two regions and one to three classes."""
    ranks = np.arange(count)
    weights = (ranks + 1.0) ** -1.2 * np.where(ranks < 3, 1.0, rng.lognormal(0.0, 0.5, count))
    weights /= weights.sum()
    home_p = np.array([r.home_weight for r in _REGIONS])
    anchor_region = next(i for i, r in enumerate(_REGIONS) if r.name == _ANCHOR_REGION)
    customers = []
    for rank in range(count):
        home = anchor_region if rank == 0 else int(rng.choice(len(_REGIONS), p=home_p))
        regions: tuple[tuple[int, float], ...] = ((home, 1.0),)
        if rng.random() < (0.6 if rank < 10 else 0.2):
            other = int(rng.choice([i for i in range(len(_REGIONS)) if i != home]))
            regions = ((home, 0.7), (other, 0.3))
        if rank < _TRAINING_CUSTOMERS:
            classes: tuple[WorkloadClass, ...] = (
                WorkloadClass.INFERENCE,
                WorkloadClass.TRAINING,
                WorkloadClass.EVALUATION,
            )
            onboard = -clock.hours
        else:
            classes = _tail_classes(rng)
            onboard = int(clock.hours * rng.uniform(-0.5, 0.92))
        customers.append(
            _Customer(_customer_name(rank), rank, float(weights[rank]), regions, classes, onboard)
        )
    return customers


def _series(rng: np.random.Generator, customers: Sequence[_Customer]) -> list[_Series]:
    """One series per customer, region and class, placed on a cluster of that region."""
    series = []
    for customer in customers:
        for region_index, split in customer.regions:
            region = _REGIONS[region_index]
            for workload_class in customer.classes:
                if workload_class in (WorkloadClass.TRAINING, WorkloadClass.EVALUATION):
                    cluster = region.fabric_cluster  # gang jobs need the fabric
                else:
                    p = np.array([c.host_weight for c in region.clusters])
                    cluster = region.clusters[int(rng.choice(len(p), p=p / p.sum()))]
                level = customer.weight * split
                series.append(_Series(customer, region_index, cluster, workload_class, level))
    # Sorted as the telemetry key, so rows come out ordered by (ts, region, cluster, class, ...).
    return sorted(
        series,
        key=lambda s: (_REGIONS[s.region].name, s.cluster.name, s.workload_class, s.customer.name),
    )


# --- launches ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Launch:
    customer: str
    region: int
    hour: int
    inference_jump: float  # inference rises by this share over the following days
    training_step: float  # the next generation's training runs this many times larger


def _launches(
    rng: np.random.Generator, customers: Sequence[_Customer], clock: _Clock
) -> list[_Launch]:
    """Model launches of the training customers, at least 45 days apart per customer."""
    launches: list[_Launch] = []
    earliest, latest = 30 * HOURS_PER_DAY, clock.hours - 14 * HOURS_PER_DAY
    if latest <= earliest:
        return []
    for customer in customers[: min(6, _TRAINING_CUSTOMERS)]:
        expected = clock.days / (240.0 if customer.rank < 3 else 420.0)
        hours = np.sort(rng.integers(earliest, latest, size=max(1, rng.poisson(expected))))
        kept: list[int] = []
        for hour in hours.tolist():
            if not kept or hour - kept[-1] >= 45 * HOURS_PER_DAY:
                kept.append(hour)
        launches.extend(
            _Launch(
                customer.name,
                customer.regions[0][0],
                hour - hour % HOURS_PER_DAY,
                float(rng.uniform(0.25, 0.6)),
                float(rng.uniform(1.25, 1.6)),
            )
            for hour in kept
        )
    return launches


def _events(launches: Sequence[_Launch], clock: _Clock) -> pl.DataFrame:
    """Launch records (EVENTS_SCHEMA) the forecasting engine uses as Prophet holidays."""
    ahead = timedelta(days=ANNOUNCED_DAYS_AHEAD)
    rows = []
    for launch in launches:
        day = clock.day_of(launch.hour)
        region = _REGIONS[launch.region].name
        rows.append(
            (
                "model-launch",
                day,
                region,
                WorkloadClass.INFERENCE.value,
                launch.customer,
                0,
                LAUNCH_WINDOW_DAYS,
                day - ahead,
                f"{launch.customer} launches a new model; inference rises about "
                f"{launch.inference_jump:.0%} over the following week",
            )
        )
        rows.append(
            (
                "training-start",
                day,
                region,
                WorkloadClass.TRAINING.value,
                launch.customer,
                0,
                0,
                day - ahead,
                f"{launch.customer} starts next-generation training, runs about "
                f"{launch.training_step:.1f}x larger",
            )
        )
    planned = clock.end + timedelta(days=42)
    rows.append(
        (
            "model-launch",
            planned,
            _ANCHOR_REGION,
            WorkloadClass.INFERENCE.value,
            ANCHOR_CUSTOMER,
            0,
            LAUNCH_WINDOW_DAYS,
            clock.end - timedelta(days=14),  # already known when the data ends
            f"{ANCHOR_CUSTOMER} announced launch (planned, after the data ends)",
        )
    )
    return pl.DataFrame(rows, schema=EVENTS_SCHEMA, orient="row").sort("date", "region", "customer")


# --- demand per class ----------------------------------------------------------------------------


def _column(series: Sequence[_Series], attribute: str) -> Floats:
    return np.array([getattr(s, attribute) for s in series], dtype=np.float64)


def _onboard_hours(series: Sequence[_Series]) -> Ints:
    return np.array([s.customer.onboard for s in series], dtype=np.int64)


def _scaled_levels(series: Sequence[_Series], workload_class: WorkloadClass) -> Floats:
    levels = _column(series, "level")
    return _CLASS_SCALE[workload_class] * levels / levels.sum()


def _inference_demand(
    rng: np.random.Generator,
    series: Sequence[_Series],
    clock: _Clock,
    launches: Sequence[_Launch],
) -> Floats:
    """Growth trend x diurnal x weekly cycle x launch steps x correlated noise, per series."""
    count = len(series)
    growth = rng.uniform(*_INFERENCE_GROWTH, size=count)
    trend = np.exp(growth[:, None] * clock.years_to_end()[None, :])
    diurnal = np.stack([_diurnal(clock, r) for r in _REGIONS])
    weekend = np.stack([clock.local_weekend(r) for r in _REGIONS]).astype(np.float64)
    region = np.array([s.region for s in series], dtype=np.int64)
    amplitude = rng.uniform(0.18, 0.35, size=count)
    dip = rng.uniform(0.1, 0.25, size=count)
    cycle = (1.0 + amplitude[:, None] * diurnal[region]) * (1.0 - dip[:, None] * weekend[region])
    noise = np.exp(
        0.03 * rng.standard_normal((count, clock.hours))
        + 0.05 * _smooth_noise(rng, count, clock.hours, 6)
        + 0.07 * _smooth_noise(rng, count, clock.hours, 7 * HOURS_PER_DAY)
    )
    demand = _scaled_levels(series, WorkloadClass.INFERENCE)[:, None] * trend * cycle * noise
    hour = clock.hour_index()
    names = np.array([s.customer.name for s in series])
    for launch in launches:
        ramp = np.clip((hour - launch.hour) / (5.0 * HOURS_PER_DAY), 0.0, 1.0)
        demand[names == launch.customer] *= 1.0 + launch.inference_jump * ramp
    demand *= _onboarding(clock, _onboard_hours(series))
    return np.asarray(demand, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _Jobs:
    """Training jobs of one series, kept to seed the evaluation bursts that follow them."""

    ends: Ints
    gpus: Floats


def _training_level(
    level: float, customer: str, hours: Ints, clock: _Clock, launches: Sequence[_Launch]
) -> Floats:
    """GPUs a customer's training wants at ``hours``: slow growth plus a step per launch."""
    years = (hours - clock.hours) / HOURS_PER_YEAR
    wanted = level * np.exp(_TRAINING_GROWTH * years)
    for launch in launches:
        if launch.customer == customer:
            wanted = np.where(hours < launch.hour, wanted / launch.training_step, wanted)
    return np.asarray(wanted, dtype=np.float64)


def _training_demand(
    rng: np.random.Generator,
    series: Sequence[_Series],
    clock: _Clock,
    launches: Sequence[_Launch],
) -> tuple[Floats, list[_Jobs]]:
    """Gang-scheduled jobs on parallel lanes; a job holds a power-of-two block for days-weeks."""
    levels = _scaled_levels(series, WorkloadClass.TRAINING)
    demand = np.zeros((len(series), clock.hours))
    jobs = []
    low, high = (math.log2(g) for g in _TRAINING_JOB_GPUS)
    max_jobs = clock.days // int(_TRAINING_JOB_DAYS[0]) + 2
    for row, (one, level) in enumerate(zip(series, levels, strict=True)):
        lanes = int(np.clip(round(level / 1500.0), 1, 5))
        ends_all, gpus_all = [], []
        for _ in range(lanes):
            durations = (rng.uniform(*_TRAINING_JOB_DAYS, max_jobs) * HOURS_PER_DAY).astype(
                np.int64
            )
            gaps = rng.exponential(36.0, max_jobs).astype(np.int64)
            first = -int(rng.uniform(0, 20 * HOURS_PER_DAY))
            starts = first + np.concatenate(([0], np.cumsum(durations + gaps)[:-1]))
            live = (starts < clock.hours) & (starts + durations > 0)
            starts, durations = starts[live], durations[live]
            wanted = _training_level(
                level / lanes, one.customer.name, np.maximum(starts, 0), clock, launches
            )
            jitter = rng.uniform(0.6, 1.4, starts.size)
            gpus = np.exp2(np.clip(np.round(np.log2(wanted * jitter)), low, high))
            demand[row] += _intervals(clock.hours, starts, durations, gpus)
            ends_all.append(starts + durations)
            gpus_all.append(gpus)
        jobs.append(_Jobs(np.concatenate(ends_all), np.concatenate(gpus_all)))
    return demand, jobs


def _round_up(value: float, step: int) -> int:
    """``value`` rounded up to a whole number of ``step``, at least one step."""
    return max(step, math.ceil(value / step) * step)


def _round_up_each(values: Floats, step: int) -> Floats:
    return np.asarray(np.maximum(step, np.ceil(values / step) * step), dtype=np.float64)


def _evaluation_demand(
    rng: np.random.Generator,
    series: Sequence[_Series],
    clock: _Clock,
    training: dict[tuple[str, int], _Jobs],
) -> Floats:
    """Bursts after each training job ends; customers without training burst at random."""
    demand = np.zeros((len(series), clock.hours))
    for row, one in enumerate(series):
        jobs = training.get((one.customer.name, one.region))
        if jobs is not None:
            done = (jobs.ends > 0) & (jobs.ends < clock.hours)
            starts = jobs.ends[done] + rng.integers(0, 12, done.sum())
            sizes = _round_up_each(jobs.gpus[done] * rng.uniform(0.08, 0.2, done.sum()), 8)
        else:
            count = rng.poisson(clock.days / 8.0)
            starts = rng.integers(max(one.customer.onboard, 0), clock.hours, count)
            sizes = _round_up_each(rng.lognormal(math.log(32.0), 0.7, count), 8)
        durations = rng.integers(6, 4 * HOURS_PER_DAY, starts.size)
        demand[row] = _intervals(clock.hours, starts, durations, np.minimum(sizes, 512.0))
    return demand


def _batch_demand(rng: np.random.Generator, series: Sequence[_Series], clock: _Clock) -> Floats:
    """Throughput work that fills the nights and weekends inference leaves free."""
    count = len(series)
    region = np.array([s.region for s in series], dtype=np.int64)
    quiet = np.stack([(1.0 - _diurnal(clock, r)) / 2.0 for r in _REGIONS])
    weekend = np.stack([clock.local_weekend(r) for r in _REGIONS]).astype(np.float64)
    shape = (1.0 + 0.6 * quiet[region]) * (1.0 + 0.3 * weekend[region])
    trend = np.exp(_BATCH_GROWTH * clock.years_to_end())[None, :]
    noise = np.exp(0.12 * _smooth_noise(rng, count, clock.hours, 12))
    levels = _scaled_levels(series, WorkloadClass.BATCH)[:, None]
    demand = levels * trend * shape * noise * _onboarding(clock, _onboard_hours(series))
    return np.asarray(demand, dtype=np.float64)


def _experimentation_demand(
    rng: np.random.Generator, series: Sequence[_Series], clock: _Clock
) -> Floats:
    """Short interactive sessions of 8-64 GPUs, mostly in local working hours."""
    demand = np.zeros((len(series), clock.hours))
    hour = clock.hour_index()
    for row, one in enumerate(series):
        region = _REGIONS[one.region]
        local = clock.local_hour(region)
        working = (local >= 9) & (local < 19) & ~clock.local_weekend(region)
        weight = np.where(working, 3.0, 1.0) * (hour >= one.customer.onboard)
        count = rng.poisson(2.0 * clock.days * float(weight.mean()) / 3.0)
        starts = rng.choice(clock.hours, size=count, p=weight / weight.sum())
        durations = rng.integers(1, 11, count)
        sizes = rng.choice([8.0, 16.0, 32.0, 64.0], size=count, p=[0.4, 0.3, 0.2, 0.1])
        demand[row] = _intervals(clock.hours, starts, durations, sizes)
    # Sessions start and stop inside the hour, so hourly means are fractions of the sizes.
    return demand * rng.uniform(0.6, 1.0, demand.shape)


# --- capacity ------------------------------------------------------------------------------------


def _facility_mw(gpus: float, gpu_type: str) -> float:
    return round(gpus * _KW_PER_GPU[gpu_type] / 1000.0, 3)


@dataclass(slots=True)
class _RegionPlanner:
    """Adds blocks to one region month by month so capacity tracks its peak demand."""

    region: _Region
    clock: _Clock
    blocks: list[Block]

    def count(self, kind: BlockKind) -> int:
        return sum(1 for b in self.blocks if b.kind is kind)

    def add(
        self,
        kind: BlockKind,
        gpus: int,
        in_service: date | None,
        *,
        status: BlockStatus = BlockStatus.LIVE,
        cluster: _Cluster | None = None,
        retire: date | None = None,
        dedicated_customer: str | None = None,
    ) -> Block:
        if cluster is None:
            rack = kind is BlockKind.RACK
            cluster = self.region.rack_cluster if rack else self.region.fabric_cluster
        fabric = kind is not BlockKind.RACK
        block = Block(
            id=f"{self.region.name}-{kind.value}-{self.count(kind) + 1:02d}",
            kind=kind,
            region=self.region.name,
            site=cluster.name,
            gpu_type=cluster.gpu_type,
            gpus=gpus,
            mw=_facility_mw(gpus, cluster.gpu_type),
            status=status,
            in_service=in_service,
            retire=retire,
            fabric=fabric,
            classes=(WorkloadClass.INFERENCE,) if dedicated_customer else (),
            dedicated_customer=dedicated_customer,
        )
        self.blocks.append(block)
        return block

    def shared(self, *, fabric_only: bool = False) -> int:
        return sum(
            b.gpus
            for b in self.blocks
            if b.dedicated_customer is None and (b.fabric or not fabric_only)
        )

    def shared_on(self, day: date, *, fabric_only: bool = False) -> int:
        """Shared GPUs in service on ``day`` (committed blocks by then, retired ones gone)."""
        return sum(
            b.gpus
            for b in self.blocks
            if b.dedicated_customer is None
            and (b.fabric or not fabric_only)
            and (b.in_service is None or b.in_service <= day)
            and (b.retire is None or b.retire > day)
        )

    def grow_on(
        self, day: date, total: float, fabric: float, in_service: date, status: BlockStatus
    ) -> None:
        """Add pods, then rack blocks, arriving ``in_service``, until ``day`` has the targets."""
        while self.shared_on(day, fabric_only=True) < fabric:
            self.add(BlockKind.POD, _POD_GPUS, in_service, status=status)
        while (short := total - self.shared_on(day)) > 0:
            gpus = min(_round_up(short, _RACK_GPUS), _LARGEST_RACK_BLOCK)
            self.add(BlockKind.RACK, gpus, in_service, status=status)

    def grow_to(self, total: float, fabric: float, in_service: date | None) -> None:
        """Add pods until the fabric target holds, then rack blocks for the rest.

        Racks are the fine-grained unit, so capacity tracks demand without a pod's overshoot.
        """
        while self.shared(fabric_only=True) < fabric:
            self.add(BlockKind.POD, _POD_GPUS, in_service)
        while (short := total - self.shared()) > 0:
            gpus = min(_round_up(short, _RACK_GPUS), _LARGEST_RACK_BLOCK)
            self.add(BlockKind.RACK, gpus, in_service)


def _daily_peak(hourly: Floats) -> Floats:
    return np.asarray(hourly.reshape(-1, HOURS_PER_DAY).max(axis=1), dtype=np.float64)


def _month_starts(clock: _Clock) -> list[int]:
    """Day indexes where a calendar month starts (the first day always counts)."""
    days = [clock.start + timedelta(days=d) for d in range(clock.days)]
    return [0] + [i for i, d in enumerate(days) if d.day == 1 and i > 0]


def _dedicated_pod(region: _Region, clock: _Clock, anchor: Floats) -> Block:
    """The anchor's contract: a pod of its own, sized for its inference when it was signed."""
    signed = max(0, clock.hours - 400 * HOURS_PER_DAY)
    window = anchor[signed : signed + 30 * HOURS_PER_DAY]
    return _RegionPlanner(region, clock, []).add(
        BlockKind.POD,
        _round_up(1.15 * float(window.max()), 256),
        clock.day_of(signed) - timedelta(days=7),
        dedicated_customer=ANCHOR_CUSTOMER,
    )


def _plan_region(
    rng: np.random.Generator,
    region: _Region,
    clock: _Clock,
    shared_need: Floats,
    training_need: Floats,
    dedicated: Block | None,
    need: _Requirement,
) -> list[Block]:
    """Blocks for one region, sized month by month from its own peak demand.

    Margins over the month's busy days vary between 0 % and 6 %; in one region a block arrives
    late (no growth for two months after a month 3 % short), where the history runs fullest
    (it queues only where demand passes what its blocks can place: never at seed 0).
    """
    planner = _RegionPlanner(region, clock, [] if dedicated is None else [dedicated])
    before = clock.start - timedelta(days=int(rng.integers(400, 900)))
    for cluster in region.clusters:
        if cluster.legacy_gpus:
            planner.add(
                BlockKind.RACK,
                cluster.legacy_gpus,
                before,
                status=BlockStatus.RETIRING,
                cluster=cluster,
                retire=clock.end + timedelta(days=_RETIRE_AFTER_DAYS),
            )
    daily_total, daily_training = _daily_peak(shared_need), _daily_peak(training_need)
    months = _month_starts(clock)
    late = len(months) - 8 if region.name == _LATE_BLOCK_REGION and len(months) >= 10 else -9
    for index, first in enumerate(months):
        last = months[index + 1] if index + 1 < len(months) else clock.days
        margin = -0.03 if index == late - 1 else float(rng.uniform(0.0, 0.06))
        if index in (late, late + 1):
            continue  # the block planned here arrived six weeks late
        if index == 0:
            in_service = clock.start - timedelta(days=int(rng.integers(30, 400)))
        else:
            in_service = clock.start + timedelta(days=first - int(rng.integers(0, 15)))
        # Planners size for a high quantile of the daily peaks, not the single worst hour:
        # the few busiest days run closest to the ceiling.
        headroom = 0.0 if index in (late - 1, late, late + 1) else _PLANNED_HEADROOM
        planner.grow_to(
            float(np.quantile(daily_total[first:last], 0.9))
            * (1.0 + margin)
            / _PLACEABLE
            / (1.0 - headroom),
            float(np.quantile(daily_training[first:last], 0.8))
            / _PLACEABLE
            / (1.0 - _TRAINING_HEADROOM),
            in_service,
        )
    _commit_region(planner, need)
    return planner.blocks


def _yearly_growth(daily: Floats) -> float:
    """Log growth per year of daily peaks: the slope of a straight line through their logs.

    Fitted over the last year (or the whole history if shorter), so the steps that launches
    leave in training count as the growth they are, not as noise around a flat line. Never
    below the fleet's typical 25 %/yr (a planner does not plan for shrinking demand), which is
    also what a history shorter than eight weeks gets.
    """
    recent = daily[-_GROWTH_SPAN_DAYS:]
    if recent.size < 2 * _GROWTH_WINDOW_DAYS or (recent <= 0).any():
        return _FALLBACK_GROWTH
    slope = np.polyfit(np.arange(recent.size) / 365.25, np.log(recent), 1)[0]
    return float(np.clip(slope, _FALLBACK_GROWTH, _MAX_GROWTH))


def _weekly_spread(daily: Floats) -> float:
    """Standard deviation of the week-on-week log change of weekly mean demand.

    Forecast fans widen with the square root of the weeks ahead at about this rate per week,
    so it is what a planner adds above the trend to reach the forecast's q90.
    """
    weeks = daily[daily.size % 7 :].reshape(-1, 7).mean(axis=1)[-_GROWTH_SPAN_DAYS // 7 :]
    if weeks.size < 4 or (weeks <= 0).any():
        return 0.0
    return float(np.diff(np.log(weeks)).std())


@dataclass(frozen=True, slots=True)
class _Projection:
    """One pool's need projected ahead: its q90 daily peak today, trend and widening fan."""

    now: float
    growth: float  # log growth per year
    spread: float  # weekly standard deviation of log changes

    @classmethod
    def of(cls, daily: Floats, *, fan: bool) -> _Projection:
        return cls(
            float(np.quantile(daily[-_GROWTH_WINDOW_DAYS:], _PLAN_QUANTILE)),
            _yearly_growth(daily),
            _weekly_spread(daily) if fan else 0.0,
        )

    def at(self, days_ahead: int) -> float:
        """The need's q90 ``days_ahead`` after the data ends: trend plus the fan's upper side."""
        trend = self.growth * days_ahead / 365.25
        fan = _Q90_Z * self.spread * math.sqrt(days_ahead / 7.0)
        return self.now * math.exp(trend + fan)


@dataclass(frozen=True, slots=True)
class _Requirement:
    """A region's projected need, GPUs, for its shared blocks and for its pods.

    ``total`` is every class's demand divided by one minus its headroom, less what the
    dedicated pod holds; ``fabric`` is training and its headroom.
    """

    total: _Projection
    fabric: _Projection

    @classmethod
    def of(cls, daily_total: Floats, daily_fabric: Floats) -> _Requirement:
        # Inference-led demand is smooth and its q90 sits close to its trend; training comes
        # in gang jobs of up to 2,048 GPUs, so its fan is wide and its q90 far above the trend.
        return cls(_Projection.of(daily_total, fan=False), _Projection.of(daily_fabric, fan=True))


def _commit_region(planner: _RegionPlanner, need: _Requirement) -> None:
    """The pipeline: blocks that keep capacity at ``cover`` x the projected need, step by step.

    A block recently brought into service tops capacity up to the need until the first
    committed arrival; committed blocks then land every six weeks, each sized for the need at
    the next arrival, until ``pipeline_days``. Where that is inside the forecast horizon,
    growth runs on against flat capacity and the region turns tight.
    """
    region, clock = planner.region, planner.clock
    arrivals = [0, *range(region.first_commit_days, region.pipeline_days, _COMMIT_EVERY_DAYS)]
    for index, arrival in enumerate(arrivals):
        until = arrivals[index + 1] if index + 1 < len(arrivals) else region.pipeline_days
        if arrival == 0:
            in_service, status = clock.end - timedelta(days=_RECENT_BLOCK_DAYS), BlockStatus.LIVE
        else:
            in_service, status = clock.end + timedelta(days=arrival), BlockStatus.COMMITTED
        planner.grow_on(
            clock.end + timedelta(days=until),
            region.cover * need.total.at(until),
            region.cover * need.fabric.at(until),
            in_service,
            status,
        )
    if region.expansion_site is not None:
        # A new site's cell, ordered long ago, arrives after the growth has caught up.
        far = clock.end + timedelta(days=_CELL_AFTER_DAYS)
        gpus = _round_up(
            max(need.total.at(_CELL_AFTER_DAYS) - planner.shared_on(far), 0.0), _CELL_GPUS
        )
        planner.add(
            BlockKind.CELL,
            min(max(gpus, 2 * _CELL_GPUS), 4 * _CELL_GPUS),
            far,
            status=BlockStatus.COMMITTED,
            cluster=region.expansion_site,
        )


def _hourly_capacity(blocks: Sequence[Block], clock: _Clock, predicate: str) -> Floats:
    """GPUs in service per hour on blocks selected by ``predicate`` (shared, fabric, dedicated)."""
    daily = np.zeros(clock.days)
    for block in blocks:
        dedicated = block.dedicated_customer is not None
        wanted = {
            "shared": not dedicated,
            "fabric": not dedicated and block.fabric,
            "dedicated": dedicated,
        }[predicate]
        if not wanted:
            continue
        first = 0 if block.in_service is None else (block.in_service - clock.start).days
        last = clock.days if block.retire is None else (block.retire - clock.start).days
        daily[max(first, 0) : max(min(last, clock.days), 0)] += block.gpus
    return np.repeat(daily, HOURS_PER_DAY)


def _candidates() -> tuple[CandidateBlock, ...]:
    """Block types that can be ordered, with lead times and all-in capital cost."""
    shapes = (
        (BlockKind.RACK, "H100", 4 * _RACK_GPUS, ("us-east", "us-west")),
        (BlockKind.RACK, "H200", 4 * _RACK_GPUS, ("eu-west",)),
        (BlockKind.POD, "H100", _POD_GPUS, ("us-east", "us-west")),
        (BlockKind.POD, "H200", _POD_GPUS, ("eu-west",)),
        (BlockKind.CELL, "GB200", 2 * _CELL_GPUS, ()),
    )
    return tuple(
        CandidateBlock(
            name=f"{kind.value}-{gpu_type.lower()}-{gpus}",
            kind=kind,
            gpu_type=gpu_type,
            gpus=gpus,
            mw=_facility_mw(gpus, gpu_type),
            lead_time_weeks=_LEAD_TIME_WEEKS[kind],
            capex_usd=gpus * _CAPEX_PER_GPU[kind],
            fabric=kind is not BlockKind.RACK,
            regions=regions,
        )
        for kind, gpu_type, gpus, regions in shapes
    )


# --- sites and power ------------------------------------------------------------------------------

# Planning assumptions, not trace data. H100-equivalents by GPU type (dense training and inference
# throughput relative to one H100, rounded) and their generation, oldest first.
_GPU_TYPES: dict[str, GpuType] = {
    "A100": GpuType(h100_equivalent=0.4, generation=1),
    "H100": GpuType(h100_equivalent=1.0, generation=2),
    "H200": GpuType(h100_equivalent=1.4, generation=3),
    "GB200": GpuType(h100_equivalent=2.5, generation=4),
}
_POWER_STEP_MW = 0.5  # utilities energize in steps; sites are sized in half-MW steps
_ENERGIZED_AHEAD_DAYS = 30  # power is live a month before the blocks that need it
# A signed utility contract beyond the last energized step, as a share of it, and the days
# after the data ends that it is energized: a comfortable region secured its growth early...
_CONTRACT_SHARE = 1.0
_CONTRACT_AFTER_DAYS = 180
# ...the tight region less, and later.
_TIGHT_CONTRACT_SHARE = 0.25
_TIGHT_CONTRACT_AFTER_DAYS = 540
_CEILING_FACTOR = 2.0  # the substation and halls take twice what is secured
_POWER_LEAD_MONTHS = 24  # a utility upgrade at an existing site
_NEW_SITE_LEAD_MONTHS = 36  # a new interconnect
_COST_PER_MW_USD = 11_000_000.0  # all-in facility build cost per MW
# A region's next site, once its sites' ceilings are spent: greenfield construction takes 18 to
# 36 months (DOMAIN.md, "Four timelines"), land and a new substation cost more per MW than
# building out an existing site, and one site holds a few GB200 cells.
_NEW_SITE_BUILD_MONTHS = 30
_NEW_SITE_COST_PER_MW_USD = 12_500_000.0
_NEW_SITE_CEILING_MW = 60.0


def _round_mw(mw: float) -> float:
    return math.ceil(mw / _POWER_STEP_MW - 1e-9) * _POWER_STEP_MW


def _drawn_mw(blocks: Sequence[Block], day: date) -> float:
    return sum(b.mw for b in blocks if b.in_service_on(day))


def _site(region: _Region, cluster: _Cluster, blocks: Sequence[Block], clock: _Clock) -> Site:
    """One site's power: enough for its blocks through the data, a step ahead of committed ones.

    Energized MW is the peak draw times the region's cover, rounded up to half-MW steps;
    where committed blocks draw more later, a second step is energized a month before the
    first of them needs it. Sites that stay (not only retiring blocks) also hold a signed
    contract: as much again, six months out, in a comfortable region; a quarter more, 18
    months out, in the tight one.
    """
    changes = sorted({b.in_service for b in blocks if b.in_service} | {clock.end})
    through_data = max(_drawn_mw(blocks, d) for d in changes if d <= clock.end)
    first = min((b.in_service for b in blocks if b.in_service), default=clock.start)
    ahead = timedelta(days=_ENERGIZED_AHEAD_DAYS)
    steps = []
    if through_data > 0:
        steps.append(PowerStep(on=first - ahead, mw=_round_mw(through_data * region.cover)))
    for day in (d for d in changes if d > clock.end):
        level = steps[-1].mw if steps else 0.0
        if _drawn_mw(blocks, day) > level:
            peak = max(_drawn_mw(blocks, d) for d in changes if d >= day)
            steps.append(PowerStep(on=day - ahead, mw=_round_mw(peak * region.cover)))
            break
    staying = any(b.status is not BlockStatus.RETIRING for b in blocks)
    tight = region.cover < _TIGHT_COVER
    share = _TIGHT_CONTRACT_SHARE if tight else _CONTRACT_SHARE
    after = _TIGHT_CONTRACT_AFTER_DAYS if tight else _CONTRACT_AFTER_DAYS
    contract = _round_mw(steps[-1].mw * share) if staying and steps else 0.0
    secured = (steps[-1].mw if steps else 0.0) + contract
    return Site(
        id=cluster.name,
        region=region.name,
        energized=tuple(steps),
        contracted_mw=contract,
        contracted_energized=clock.end + timedelta(days=after) if contract else None,
        ceiling_mw=_round_mw(secured * _CEILING_FACTOR),
        power_lead_months=(
            _NEW_SITE_LEAD_MONTHS if cluster is region.expansion_site else _POWER_LEAD_MONTHS
        ),
        cost_per_mw_usd=_COST_PER_MW_USD,
    )


def _sites(blocks: Sequence[Block], clock: _Clock) -> tuple[Site, ...]:
    """A site per cluster that has blocks, in region order."""
    sites = []
    for region in _REGIONS:
        extra = () if region.expansion_site is None else (region.expansion_site,)
        for cluster in (*region.clusters, *extra):
            at = [b for b in blocks if b.site == cluster.name]
            if at:
                sites.append(_site(region, cluster, at, clock))
    return tuple(sites)


def _new_sites(sites: Sequence[Site]) -> tuple[NewSite, ...]:
    """What building one more site takes, for every region that has sites: the demo dates its
    construction trigger instead of saying the build time is not declared."""
    regions = dict.fromkeys(s.region for s in sites)
    return tuple(
        NewSite(
            region=region,
            build_months=_NEW_SITE_BUILD_MONTHS,
            cost_per_mw_usd=_NEW_SITE_COST_PER_MW_USD,
            ceiling_mw=_NEW_SITE_CEILING_MW,
        )
        for region in regions
    )


# --- capacity.toml text --------------------------------------------------------------------------


def _capacity_toml(
    blocks: Sequence[Block], candidates: Sequence[CandidateBlock], seed: int, clock: _Clock
) -> str:
    header = (
        "fleetcast capacity plan: the blocks GPUs run on, what can be ordered, and how each\n"
        "workload class may use them. Format: see forecasting/capacity.py. [policy.<class>]\n"
        "for all five classes; [[block]] is live, committed (in_service required) or retiring\n"
        "(retire required); [[candidate]] is a block type with lead time and capex;\n"
        "[response] is the ladder of rungs a shock can use before new blocks arrive;\n"
        "[[site]] is a site's power (energized MW steps, utility contract, ceiling);\n"
        "[[new_site]] is what one more site in a region takes to build and costs; and\n"
        "[gpu_type] counts capacity in H100-equivalents by generation.\n"
        f"Generated by `fleetcast synth` (seed {seed}, data {clock.start} .. {clock.end});\n"
        "run it again to regenerate, or edit by hand for a real fleet."
    )
    sites = _sites(blocks, clock)
    plan = CapacityPlan(
        policy=_POLICIES,
        gpu_type=_GPU_TYPES,
        site=sites,
        new_site=_new_sites(sites),
        block=tuple(blocks),
        candidate=tuple(candidates),
        response=_RESPONSE,
    )
    return dump_plan(plan, header=header)


# --- allocation and telemetry --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Served:
    """Share of each class's demand that ran, per hour, in one region."""

    ratio: dict[WorkloadClass, Floats]
    anchor_dedicated: Floats  # anchor inference GPUs served on its dedicated block


def _share(served: Floats, wanted: Floats) -> Floats:
    return np.divide(served, wanted, out=np.ones_like(wanted), where=wanted > 0)


def _allocate(
    demand: dict[WorkloadClass, Floats],
    anchor: Floats,
    dedicated: Floats,
    shared: Floats,
    fabric: Floats,
) -> _Served:
    """Serve classes in priority order on the shared blocks; what does not fit is queued.

    Inference takes non-fabric blocks first and spills onto pods, training runs only on pods,
    and the anchor customer's inference fills its dedicated pod before competing for the rest.
    """
    on_dedicated = np.minimum(anchor, dedicated)
    free = _PLACEABLE * shared
    free_fabric = _PLACEABLE * fabric
    plain = free - free_fabric
    ratio: dict[WorkloadClass, Floats] = {}
    for workload_class in _SERVICE_ORDER:
        wanted = demand[workload_class]
        if workload_class is WorkloadClass.INFERENCE:
            wanted = wanted - on_dedicated
            served = np.minimum(wanted, free)
            free_fabric = free_fabric - np.clip(served - plain, 0.0, None)
        elif workload_class is WorkloadClass.TRAINING:
            served = np.minimum(wanted, np.clip(np.minimum(free, free_fabric), 0.0, None))
        else:
            served = np.minimum(wanted, np.clip(free, 0.0, None))
        free = free - served
        ratio[workload_class] = _share(served, wanted)
    return _Served(ratio, on_dedicated)


def _telemetry_part(
    series: Sequence[_Series],
    demand: Floats,
    served: Sequence[_Served],
    ranks: Ints,
    outage: tuple[int, int, int],
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Long rows (hour, series rank, running, queued, requests, tokens) for one class."""
    demand = np.round(demand, 3)
    region = np.array([s.region for s in series])
    workload_class = series[0].workload_class
    running = np.empty_like(demand)
    for index in range(len(_REGIONS)):
        rows = region == index
        running[rows] = demand[rows] * served[index].ratio[workload_class]
    if workload_class is WorkloadClass.INFERENCE:
        for row, one in enumerate(series):
            if one.customer.name == ANCHOR_CUSTOMER and one.region == _anchor_region_index():
                own = served[one.region].anchor_dedicated
                rest = served[one.region].ratio[workload_class]
                running[row] = own + (demand[row] - own) * rest
    running = np.minimum(np.round(running, 3), demand)
    out_region, out_first, out_last = outage
    keep = demand > 0
    keep[region == out_region, out_first:out_last] = False
    rows, hours = np.nonzero(keep)
    ran, wanted = running[rows, hours], demand[rows, hours]
    frame = pl.DataFrame(
        {
            "h": hours.astype(np.int64),
            "s": ranks[rows],
            "gpus_running": ran,
            "gpus_queued": np.round(wanted - ran, 3),
        }
    )
    if workload_class is not WorkloadClass.INFERENCE:
        return frame.with_columns(
            requests=pl.lit(None, pl.Float64), tokens=pl.lit(None, pl.Float64)
        )
    per_gpu = rng.uniform(900.0, 2500.0, len(series))[rows]
    per_request = rng.uniform(300.0, 1500.0, len(series))[rows]
    requests = np.round(ran * per_gpu * rng.lognormal(0.0, 0.05, rows.size))
    return frame.with_columns(
        requests=pl.Series(requests), tokens=pl.Series(np.round(requests * per_request))
    )


def _anchor_region_index() -> int:
    return next(i for i, r in enumerate(_REGIONS) if r.name == _ANCHOR_REGION)


def _telemetry(
    parts: Sequence[pl.DataFrame], series: Sequence[_Series], clock: _Clock
) -> pl.DataFrame:
    """Join the numeric parts to their key columns, in telemetry key order."""
    keys = pl.DataFrame(
        {
            "region": [_REGIONS[s.region].name for s in series],
            "cluster": [s.cluster.name for s in series],
            "workload_class": [s.workload_class.value for s in series],
            "customer": [s.customer.name for s in series],
            "gpu_type": [s.cluster.gpu_type for s in series],
        }
    )
    numbers = pl.concat(parts).sort("h", "s")
    midnight = datetime(clock.start.year, clock.start.month, clock.start.day, tzinfo=UTC)
    start_us = int(midnight.timestamp()) * 1_000_000
    ts = (pl.col("h") * 3_600_000_000 + start_us).cast(pl.Datetime("us", "UTC")).alias("ts")
    frame = pl.concat(
        [numbers.select(ts), keys[numbers["s"].to_numpy()], numbers.drop("h", "s")],
        how="horizontal",
    )
    return frame.select(pl.col(name).cast(dtype) for name, dtype in TELEMETRY_SCHEMA.items())


# --- the public API ------------------------------------------------------------------------------


def _default_end() -> date:
    """The last full UTC day before today, so the data ends 'now'."""
    return datetime.now(UTC).date() - timedelta(days=1)


def synthetic_fleet(
    *, days: int = 730, customers: int = 200, seed: int = 0, end: date | None = None
) -> SyntheticFleet:
    """A deterministic synthetic fleet: the same arguments give identical frames and text.

    ``days`` of hourly telemetry end on ``end`` (default: yesterday, UTC); ``customers`` sets
    the length of the long tail. The capacity plan is sized from the generated demand, so it is
    tight today and some region runs out within about six months.
    """
    if days < MIN_DAYS:
        raise ValueError(f"days must be at least {MIN_DAYS} (got {days})")
    if customers < MIN_CUSTOMERS:
        raise ValueError(f"customers must be at least {MIN_CUSTOMERS} (got {customers})")
    last = end if end is not None else _default_end()
    clock = _Clock(last - timedelta(days=days - 1), days)
    rng = np.random.default_rng(seed)

    people = _customers(rng, customers, clock)
    series = _series(rng, people)
    launches = _launches(rng, people, clock)
    by_class = {c: [s for s in series if s.workload_class is c] for c in WorkloadClass}

    demand: dict[WorkloadClass, Floats] = {}
    demand[WorkloadClass.INFERENCE] = _inference_demand(
        rng, by_class[WorkloadClass.INFERENCE], clock, launches
    )
    demand[WorkloadClass.TRAINING], jobs = _training_demand(
        rng, by_class[WorkloadClass.TRAINING], clock, launches
    )
    jobs_by_key = {
        (s.customer.name, s.region): j
        for s, j in zip(by_class[WorkloadClass.TRAINING], jobs, strict=True)
    }
    demand[WorkloadClass.EVALUATION] = _evaluation_demand(
        rng, by_class[WorkloadClass.EVALUATION], clock, jobs_by_key
    )
    demand[WorkloadClass.BATCH] = _batch_demand(rng, by_class[WorkloadClass.BATCH], clock)
    demand[WorkloadClass.EXPERIMENTATION] = _experimentation_demand(
        rng, by_class[WorkloadClass.EXPERIMENTATION], clock
    )
    _calibrate_anchor(demand[WorkloadClass.INFERENCE], by_class[WorkloadClass.INFERENCE])

    region_demand = [
        {
            c: demand[c][np.array([s.region == r for s in by_class[c]], dtype=bool)].sum(axis=0)
            for c in WorkloadClass
        }
        for r in range(len(_REGIONS))
    ]
    anchor_rows = np.array(
        [
            s.customer.name == ANCHOR_CUSTOMER and s.region == _anchor_region_index()
            for s in by_class[WorkloadClass.INFERENCE]
        ]
    )
    anchor = demand[WorkloadClass.INFERENCE][anchor_rows].sum(axis=0)

    blocks: list[Block] = []
    served: list[_Served] = []
    home = _anchor_region_index()
    for index, region in enumerate(_REGIONS):
        total = sum(region_demand[index].values(), start=np.zeros(clock.hours))
        own = anchor if index == home else np.zeros(clock.hours)
        pod = _dedicated_pod(region, clock, anchor) if index == home else None
        dedicated = _hourly_capacity([] if pod is None else [pod], clock, "dedicated")
        # Shared blocks only need to hold what the dedicated pod cannot.
        shared_need = total - np.minimum(own, dedicated)
        training = region_demand[index][WorkloadClass.TRAINING]
        planned = _plan_region(
            rng,
            region,
            clock,
            shared_need,
            training,
            pod,
            _need(region_demand[index], own, dedicated),
        )
        blocks.extend(planned)
        served.append(
            _allocate(
                region_demand[index],
                own,
                dedicated,
                _hourly_capacity(planned, clock, "shared"),
                _hourly_capacity(planned, clock, "fabric"),
            )
        )

    outage_region = next(i for i, r in enumerate(_REGIONS) if r.name == _OUTAGE_REGION)
    outage_first = int(rng.integers(int(clock.hours * 0.3), int(clock.hours * 0.7)))
    outage = (outage_region, outage_first, outage_first + int(rng.integers(3, 7)))
    rank_of = {id(s): i for i, s in enumerate(series)}
    parts = [
        _telemetry_part(
            by_class[c],
            demand[c],
            served,
            np.array([rank_of[id(s)] for s in by_class[c]], dtype=np.int64),
            outage,
            rng,
        )
        for c in WorkloadClass
        if by_class[c]
    ]
    return SyntheticFleet(
        telemetry=_telemetry(parts, series, clock),
        capacity_toml=_capacity_toml(blocks, _candidates(), seed, clock),
        events=_events(launches, clock),
    )


def _need(demand: dict[WorkloadClass, Floats], anchor: Floats, dedicated: Floats) -> _Requirement:
    """A region's projected need from its hourly demand, each class with its own headroom."""

    def with_headroom(workload_class: WorkloadClass, gpus: Floats) -> Floats:
        return gpus / (1.0 - _POLICIES[workload_class].headroom)

    inference = WorkloadClass.INFERENCE
    total = with_headroom(inference, demand[inference] - np.minimum(anchor, dedicated))
    for workload_class in WorkloadClass:
        if workload_class is not inference:
            total = total + with_headroom(workload_class, demand[workload_class])
    fabric = with_headroom(WorkloadClass.TRAINING, demand[WorkloadClass.TRAINING])
    return _Requirement.of(_daily_peak(total), _daily_peak(fabric))


def _calibrate_anchor(inference: Floats, series: Sequence[_Series]) -> None:
    """Scale the anchor customer's inference, in place, to its contracted share of the class."""
    anchor = np.array([s.customer.name == ANCHOR_CUSTOMER for s in series])
    own, rest = inference[anchor].sum(), inference[~anchor].sum()
    if own > 0 and rest > 0:
        inference[anchor] *= _ANCHOR_INFERENCE_SHARE / (1 - _ANCHOR_INFERENCE_SHARE) * rest / own


# --- files ---------------------------------------------------------------------------------------


def _write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Write through a temporary name in the same directory, then rename over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """ISO-8601 UTC timestamps with a 'Z', as people and other tools expect in CSV."""
    return frame.with_columns(pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%SZ"))


def write_fleet(
    fleet: SyntheticFleet,
    out_dir: Path,
    *,
    file_format: Literal["parquet", "csv"] = "parquet",
) -> list[Path]:
    """Write telemetry as one file per calendar month, plus capacity.toml and events.csv.

    Telemetry goes to ``out_dir/telemetry/telemetry-YYYY-MM.parquet`` (or ``.csv``), apart
    from the plan and the events, so ``fleetcast ingest out_dir/telemetry`` takes it whole.
    Every write is atomic, so a reader never sees half a file. Returns the paths written,
    telemetry first in month order.
    """
    if file_format not in ("parquet", "csv"):
        raise ValueError(f"file_format must be 'parquet' or 'csv' (got {file_format!r})")
    (out_dir / "telemetry").mkdir(parents=True, exist_ok=True)
    written = []
    months = fleet.telemetry.with_columns(_month=pl.col("ts").dt.strftime("%Y-%m"))
    for (month,), part in sorted(months.partition_by("_month", as_dict=True).items()):
        frame = part.drop("_month")
        path = out_dir / "telemetry" / f"telemetry-{month}.{file_format}"
        if file_format == "parquet":
            written.append(_write_atomic(path, frame.write_parquet))
        else:
            written.append(_write_atomic(path, _csv_ready(frame).write_csv))
    written.append(
        _write_atomic(
            out_dir / "capacity.toml",
            lambda p: p.write_text(fleet.capacity_toml, encoding="utf-8"),
        )
    )
    written.append(_write_atomic(out_dir / "events.csv", fleet.events.write_csv))
    return written
