"""From a capacity plan, sample paths and a scenario to the dense arrays the kernel runs on.

Two halves, because the answers re-run one while holding the other: the demand side
(streams, daily arrays per path, the day shapes each path's days take; fixed for a drill)
and the supply side (eligibility pools and their capacity by hour; rebuilt when candidate
blocks are added or supply events change).

A block stands dark for want of its site's energized MW on the days the triggers count it so
(:meth:`~forecasting.capacity.CapacityPlan.dark_blocks`): it serves no hour of them, and a
lost block's MW powers its site's dark blocks again; they counted as live capacity, so a drill
absorbed a shock with a block that had no power.

A *stream* is the demand of one (region, workload class), except that a customer with a
dedicated block in the region that can host the class gets a stream of its own, so its demand
can be steered onto that block first. A *pool* is the set of blocks of one region with the same
eligibility (classes allowed, dedicated customer): they are interchangeable for every stream,
so the kernel shares out a handful of pools instead of every block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import polars as pl

from forecasting import hierarchy
from forecasting.capacity import Block, CapacityPlan, Response, dark_spans
from forecasting.drills.kernel import CONFIRM_HOURS, CONFIRM_WEEK_HOURS, KernelInputs
from forecasting.drills.profile import SHAPES_SCHEMA, ShapeLibrary, drawn_days, shape_library
from forecasting.drills.scenarios import (
    LARGEST_LIVE,
    LARGEST_REGION,
    NEXT_COMMITTED,
    TOP_CUSTOMER,
    BlockSlip,
    Offset,
    Scenario,
    ScenarioError,
    multiplier_curve,
)
from forecasting.schema import MAX_HORIZON_DAYS, BlockStatus, WorkloadClass
from forecasting.text import listed

__all__ = [
    "CLASSES",
    "OTHER_CUSTOMER",
    "DemandSide",
    "Pool",
    "ResolvedScenario",
    "Stream",
    "SupplySide",
    "demand_side",
    "kernel_inputs",
    "resolve_scenario",
    "stream_groups",
    "supply_side",
]

CLASSES: tuple[WorkloadClass, ...] = tuple(WorkloadClass)
OTHER_CUSTOMER = "other"
_NAMES_SHOWN = 8  # names an unknown drill target lists, so the message stays one line


@dataclass(frozen=True, slots=True)
class Stream:
    """Demand that shares one backlog: a (region, class), or one customer's part of it."""

    region: str
    workload_class: WorkloadClass
    customer: str | None


@dataclass(frozen=True, slots=True)
class Pool:
    """Blocks of one region with identical eligibility; the kernel's unit of capacity.

    A pool with a ``rung`` holds no block of the plan: it is capacity a rung of the response
    ladder brings (``migrate``, ``spares``, ``burst``), used only after the plan's own pools.
    """

    region: str
    classes: tuple[WorkloadClass, ...]
    customer: str | None
    block_ids: tuple[str, ...]
    rung: str | None = None

    @property
    def label(self) -> str:
        """``us-east/inference+batch`` or ``us-east/training/dedicated:acme``."""
        label = f"{self.region}/{'+'.join(c.value for c in self.classes) or 'none'}"
        label += f"/dedicated:{self.customer}" if self.customer else ""
        return label + (f"/{self.rung}" if self.rung else "")

    def hosts(self, stream: Stream) -> bool:
        """Whether demand of ``stream`` may run on this pool were it in the same region."""
        return stream.workload_class in self.classes and (
            self.customer is None or self.customer == stream.customer
        )

    def serves(self, stream: Stream) -> bool:
        """Whether demand of ``stream`` may run on this pool."""
        return stream.region == self.region and self.hosts(stream)


@dataclass(frozen=True, slots=True)
class DemandSide:
    """Sample paths folded into streams, as daily arrays per path."""

    first_day: date
    days: int
    sample_ids: np.ndarray  # (paths,) the sample_id of each row of ``base``
    streams: tuple[Stream, ...]
    regions: tuple[str, ...]
    base: np.ndarray  # (paths, days, streams) daily mean GPUs
    target: np.ndarray  # (paths, days, streams) the part the shock multiplies
    shapes: np.ndarray  # (library days, 24, shape groups) hourly factors (ShapeLibrary)
    day_shape: np.ndarray  # (paths, days, shape groups) int64 entry of ``shapes`` drawn
    shape_group: np.ndarray  # (streams,) int64 column of ``day_shape``: the (region, class)
    target_label: str  # the resolved target, e.g. "customer:acme"
    # Regions whose demand here is the contract book's alone (no telemetry: not forecast).
    book_only: tuple[str, ...] = ()

    @property
    def hours(self) -> int:
        """Length of the hourly horizon."""
        return self.days * 24

    def until(self, days: int) -> DemandSide:
        """The same demand over its first ``days`` days only (a drill window that ends early).

        Copied rather than a view: the kernel is compiled for C-contiguous arrays, and a view
        would compile it a second time (or be copied again on every run of a search)."""
        if days >= self.days:
            return self
        return replace(
            self,
            days=days,
            base=np.ascontiguousarray(self.base[:, :days]),
            day_shape=np.ascontiguousarray(self.day_shape[:, :days]),
            target=np.ascontiguousarray(self.target[:, :days]),
        )

    def hour_of(self, when: date | Offset | None, *, field: str, default: int = 0) -> int:
        """Hour index of a date or offset inside the horizon; errors name ``field``."""
        if when is None:
            return default
        hour = when.hours if isinstance(when, Offset) else (when - self.first_day).days * 24
        if 0 <= hour < self.hours:
            return hour
        day = self.first_day + timedelta(hours=hour)
        given = f"{when} ({day})" if isinstance(when, Offset) else str(when)
        horizon = f"{self.first_day}..{self.first_day + timedelta(days=self.days - 1)}"
        if hour < 0:
            raise ScenarioError(
                f"field {field}: {given} is before the forecast horizon {horizon}: a drill "
                "plays on the forecast, from its first day on"
            )
        raise ScenarioError(
            f"field {field}: {given} is after the forecast horizon {horizon}: "
            f"{_farther(hour // 24 + 1)}"
        )


def _farther(days: int) -> str:
    """How to reach a day ``days`` ahead of the forecast's first day, if a forecast can."""
    if days <= MAX_HORIZON_DAYS:
        return f"forecast at least {days} days ahead (`--horizon {days}`) to play it"
    return (
        f"it is {days} days ahead, past the longest daily forecast ({MAX_HORIZON_DAYS} days): "
        "drills play on daily rows and cannot reach it"
    )


@dataclass(frozen=True, slots=True)
class SupplySide:
    """Pools, the blocks behind them and the capacity of each pool by hour."""

    blocks: tuple[Block, ...]
    pools: tuple[Pool, ...]
    block_pool: np.ndarray  # (blocks,) pool index of each block
    block_on: np.ndarray  # (blocks,) first hour in service
    block_off: np.ndarray  # (blocks,) first hour out of service
    cap: np.ndarray  # (hours, pools)
    # Per block, the [from, until) hours within [on, off) it stands dark for want of power.
    block_dark: tuple[tuple[tuple[int, int], ...], ...] = ()
    # The response ladder (see _with_ladder): each pool's rung delay after the shock is seen
    # (-1: a plan pool), GPUs migration takes out of each pool once it acts, and its delay.
    rung_delay: np.ndarray | None = None
    restore: np.ndarray | None = None
    restore_delay: int = -1

    def rung_pools(self) -> list[int]:
        """Indices of the pools the response ladder brings."""
        return [p for p, pool in enumerate(self.pools) if pool.rung is not None]


@dataclass(frozen=True, slots=True)
class ResolvedScenario:
    """A scenario with its start, shock curve and supply events placed on the hourly grid."""

    scenario: Scenario
    start_hour: int
    shock: np.ndarray  # (hours,) multiplier - 1
    lost: dict[str, int]  # block id -> first hour it serves nothing
    slipped: dict[str, int]  # block id -> weeks its in-service date moves
    dark: dict[str, tuple[int, int]] = field(default_factory=dict)  # region -> [from, until)
    # block id -> the [from, until) hours it stands dark for want of its site's energized MW,
    # its slip and the losses applied (a lost block's MW powers the blocks left dark).
    unpowered: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    # The hour the shock began where its target had no demand on any path until later:
    # ``start_hour`` is then the target's first hour with demand inside the shock, from which
    # the drill is judged (None: the shock met demand from its start).
    shock_from: int | None = None
    # A drill with supply events and a demand shock whose target has no demand until later:
    # the target's first hour with demand inside the shock (its part acts from then, where
    # ``start_hour`` is the first supply event's hour or the target's, whichever comes
    # first), and the supply event acting first with its hour ((hour, "the loss of X")).
    target_from: int | None = None
    first_event: tuple[int, str] | None = None

    @property
    def shock_hour(self) -> int:
        """The hour the shock began (before ``start_hour`` where its target arrived late)."""
        return self.start_hour if self.shock_from is None else self.shock_from

    def confirm_hours(self, hours: int) -> int:
        """How long whole again must hold before the last judged of ``hours`` to count: a
        day once the shock has been over for a week by then (a spike, a dark region's days),
        else a week (:data:`~forecasting.drills.kernel.CONFIRM_WEEK_HOURS`)."""
        if self.lost or self.slipped:
            return CONFIRM_WEEK_HOURS
        acting = np.flatnonzero(self.shock)
        over = int(acting[-1]) + 1 if acting.size else 0
        over = max([over, *(until for _, until in self.dark.values())])
        return CONFIRM_HOURS if hours - over >= CONFIRM_WEEK_HOURS else CONFIRM_WEEK_HOURS


def _split_ids(paths: pl.DataFrame) -> pl.DataFrame:
    """Level columns of every bottom-level unique_id; rejects ids that are not bottom level."""
    ids = paths.select(pl.col("unique_id").unique().sort())
    bad = ids.filter(
        (hierarchy.depth() != hierarchy.BOTTOM_DEPTH) | (hierarchy.level(0) != hierarchy.TOTAL)
    )
    if bad.height:
        raise ValueError(
            "paths must be at the bottom level 'total/<region>/<class>/<customer>' "
            "(a '/' inside a name written %2F, a '%' written %25); "
            f"got {bad['unique_id'].head(3).to_list()}"
        )
    levels = ids.select(
        "unique_id",
        *(hierarchy.level(at).alias(name) for at, name in enumerate(hierarchy.LEVEL_NAMES) if at),
    )
    unknown = set(levels["workload_class"].unique()) - {c.value for c in CLASSES}
    if unknown:
        raise ValueError(f"paths name unknown workload classes: {sorted(unknown)}")
    return levels


def _top_customer(paths: pl.DataFrame, levels: pl.DataFrame) -> str:
    totals = (
        paths.group_by("unique_id")
        .agg(pl.col("y").sum())
        .join(levels, on="unique_id")
        .filter(pl.col("customer") != OTHER_CUSTOMER)
        .group_by("customer")
        .agg(pl.col("y").sum())
        .sort(["y", "customer"], descending=[True, False])
    )
    if totals.height == 0:
        raise ScenarioError("field target: customer:top, but the paths name no customer")
    return str(totals["customer"][0])


def _target_mask(levels: pl.DataFrame, scenario: Scenario, top: str | None) -> pl.Series:
    target = scenario.target
    if target.kind == "all":
        return pl.Series([True] * levels.height)
    column = {"class": "workload_class", "customer": "customer", "region": "region"}[target.kind]
    name = top if target.kind == "customer" and target.name == TOP_CUSTOMER else target.name
    mask = levels[column] == name
    if not mask.any():
        known = sorted(str(v) for v in levels[column].unique() if v is not None)
        shown = listed(known, most=_NAMES_SHOWN)
        # A customer the forecast folded into its class's "other" has no paths of its own.
        folded = f"; a customer outside its class's largest is in {OTHER_CUSTOMER!r}"
        # The what-if's hint: "Northwind-AI" hid the right name in "and 12 more".
        from forecasting.contracts import near_customer

        near = near_customer(name or "", known)
        hint = f" (did you mean {near!r}?)" if near is not None else ""
        raise ScenarioError(
            f"field target: {target.kind} {name!r} has no demand in the paths{hint} (they "
            f"name {shown}){folded if target.kind == 'customer' else ''}"
        )
    return mask


def _streams(plan: CapacityPlan, levels: pl.DataFrame) -> tuple[tuple[Stream, ...], list[Stream]]:
    """Streams in processing order, and the stream of each row of ``levels``."""
    dedicated = {
        (b.region, b.dedicated_customer, c)
        for b in plan.block
        if b.dedicated_customer is not None
        for c in CLASSES
        if b.allows(c)
    }
    row_stream = [
        Stream(r, WorkloadClass(k), c if (r, c, WorkloadClass(k)) in dedicated else None)
        for r, k, c in levels.select("region", "workload_class", "customer").iter_rows()
    ]
    order = {c: i for i, c in enumerate(CLASSES)}

    def processing_order(s: Stream) -> tuple[int, int, bool, str, str]:
        policy = plan.policy[s.workload_class]
        return (
            policy.priority,
            order[s.workload_class],
            s.customer is None,
            s.region,
            s.customer or "",
        )

    return tuple(sorted(set(row_stream), key=processing_order)), row_stream


def _shape_groups(streams: Sequence[Stream]) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The (region, class) groups the day shapes are drawn for, and each stream's group."""
    groups = sorted({(s.region, s.workload_class.value) for s in streams})
    column = {g: i for i, g in enumerate(groups)}
    index = [column[(s.region, s.workload_class.value)] for s in streams]
    return groups, np.array(index, dtype=np.int64)


def _library(shapes: pl.DataFrame, groups: list[tuple[str, str]]) -> ShapeLibrary:
    if shapes.schema != SHAPES_SCHEMA:
        raise ValueError(
            f"day shapes have columns {dict(shapes.schema)}, not {dict(SHAPES_SCHEMA)}: build "
            "them with forecasting.drills.day_shapes"
        )
    values = shapes.select("factor", "day_mean")
    if values.null_count().sum_horizontal().item() or not all(
        values[c].is_finite().all() for c in values.columns
    ):
        raise ValueError("day shapes hold null or non-finite factors or day means")
    return shape_library(shapes, groups)


def _sample_index(sample_id: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row of each sample and the sorted ids; avoids a sort when ids are a dense range."""
    low, high = int(sample_id.min()), int(sample_id.max())
    index = sample_id.astype(np.int64) - low
    present = np.bincount(index, minlength=high - low + 1) > 0
    if present.all():
        return index, np.arange(low, high + 1, dtype=np.int32)
    ids, index = np.unique(sample_id, return_inverse=True)
    return index, ids.astype(np.int32)


def demand_side(
    plan: CapacityPlan, paths: pl.DataFrame, shapes: pl.DataFrame, scenario: Scenario
) -> DemandSide:
    """Fold bottom-level sample paths into per-path daily arrays of streams, each path's day
    shaped as one of ``shapes``' days (:func:`~forecasting.drills.profile.day_shapes`; none:
    flat days, every hour the daily mean)."""
    if paths.height == 0:
        raise ValueError("no sample paths")
    # No shapes at all (an empty frame, whatever its columns): flat days.
    drawn = pl.DataFrame(schema=SHAPES_SCHEMA) if shapes.is_empty() else shapes
    levels = _split_ids(paths)
    top = _top_customer(paths, levels) if scenario.target.name == TOP_CUSTOMER else None
    levels = levels.with_columns(targeted=_target_mask(levels, scenario, top))
    streams, row_stream = _streams(plan, levels)
    position = {s: i for i, s in enumerate(streams)}
    levels = levels.with_columns(
        stream=pl.Series([position[s] for s in row_stream], dtype=pl.Int64)
    )
    first_day: date = paths["ds"].min()  # type: ignore[assignment]
    last_day: date = paths["ds"].max()  # type: ignore[assignment]
    days = (last_day - first_day).days + 1
    rows = paths.select("unique_id", "ds", "sample_id", "y").join(
        levels.select("unique_id", "stream", "targeted"), on="unique_id", how="left"
    )
    sample_row, sample_ids = _sample_index(rows["sample_id"].to_numpy())
    day = (rows["ds"] - first_day).dt.total_days().to_numpy()
    flat = (sample_row * days + day) * len(streams) + rows["stream"].to_numpy()
    y = rows["y"].to_numpy().astype(np.float64)
    size = len(sample_ids) * days * len(streams)
    shape = (len(sample_ids), days, len(streams))
    base = np.bincount(flat, weights=y, minlength=size).reshape(shape)
    targeted = rows["targeted"].to_numpy()
    target = np.bincount(flat, weights=np.where(targeted, y, 0.0), minlength=size).reshape(shape)
    label = f"customer:{top}" if top is not None else str(scenario.target)
    groups, shape_group = _shape_groups(streams)
    library = _library(drawn, groups)
    # Each group's daily mean per path: the level its day shapes are drawn near.
    group_levels = np.stack(
        [base[:, :, shape_group == g].sum(axis=2) for g in range(len(groups))], axis=2
    )
    return DemandSide(
        first_day=first_day,
        days=days,
        sample_ids=sample_ids,
        streams=streams,
        regions=tuple(sorted({s.region for s in streams} | set(plan.regions))),
        base=base,
        target=target,
        shapes=library.factors,
        day_shape=drawn_days(library, group_levels, first_day=first_day, sample_ids=sample_ids),
        shape_group=shape_group,
        target_label=label,
    )


def _find_block(plan: CapacityPlan, ident: str, *, field: str) -> Block:
    for block in plan.block:
        if block.id == ident:
            return block
    raise ScenarioError(f"field {field}: no block {ident!r} in the capacity plan")


def _powered_on(plan: CapacityPlan, day: date) -> list[Block]:
    """The plan's blocks in service on ``day`` that their site's energized MW powers."""
    dark = {b.id for site in plan.site for b in plan.dark_blocks(site.id, day)}
    return [b for b in plan.block if b.in_service_on(day) and b.id not in dark]


def _largest_live(plan: CapacityPlan, day: date) -> Block:
    # A block standing dark serves nothing: losing it was a drill of no loss at all.
    live = _powered_on(plan, day)
    if not live:
        raise ScenarioError(
            f"field lose: {LARGEST_LIVE}, but no block is in service and powered on {day}"
        )
    return min(live, key=lambda b: (-b.gpus, b.id))


def _next_committed(plan: CapacityPlan, day: date) -> Block:
    # A block that lands dark for want of its site's MW serves nothing on its date: slipping it
    # changes nothing the drill can see.
    ahead = [
        b
        for b in plan.block
        if b.status is BlockStatus.COMMITTED
        and b.in_service is not None
        and b.in_service >= day
        and b.id not in {d.id for d in plan.dark_blocks(b.site, b.in_service)}
    ]
    if not ahead:
        raise ScenarioError(f"field slip: {NEXT_COMMITTED}, but no block is committed after {day}")
    return min(ahead, key=lambda b: (b.in_service, b.id))


def resolve_scenario(
    plan: CapacityPlan, demand: DemandSide, scenario: Scenario
) -> ResolvedScenario:
    """Place the scenario's start, shock and supply events on the demand's hourly grid.

    The shock starts at ``scenario.start``. Without one, a drill that only slips deliveries
    (no demand shock, nothing lost) starts when the first slipped block was due: that is when
    the slip begins to bite, so its time to absorb and SLO window count from there, not from
    weeks of unaffected service before it. Likewise a drill of dated losses alone (blocks or
    a region, no demand shock) starts at the first loss: a ten-day region loss read 241 h to
    absorb from today, 409 h a week later and 745 h three weeks later, each whole again an
    hour after the region came back.
    """
    start = demand.hour_of(scenario.start, field="start")
    if scenario.start is None and scenario.multiplier == 1.0 and not scenario.slip:
        losses = [loss.on for loss in scenario.lose]
        if scenario.region_loss is not None:
            losses.append(scenario.region_loss.on)
        if losses and all(on is not None for on in losses):
            start = min(
                demand.hour_of(on, field=f"{field}.on")
                for on, field in zip(
                    losses,
                    [f"lose.{i}" for i in range(len(scenario.lose))] + ["region_loss"],
                    strict=False,
                )
            )
    if (
        scenario.start is None
        and scenario.multiplier == 1.0
        and scenario.slip
        and not scenario.lose
        and scenario.region_loss is None
    ):
        blocks = [_slipped_block(plan, demand, slip, i) for i, slip in enumerate(scenario.slip)]
        due = min(_hour_on(b.in_service, demand.first_day, demand.hours, default=0) for b in blocks)
        if due >= demand.hours:
            # Nothing but the slip, and it bites after the horizon: a pass would test nothing.
            first = min(blocks, key=lambda b: (b.in_service or demand.first_day, b.id))
            days = ((first.in_service or demand.first_day) - demand.first_day).days + 1
            raise ScenarioError(
                f"field slip: {first.id} is due {first.in_service}, after the forecast horizon "
                f"{demand.first_day}..{demand.first_day + timedelta(days=demand.days - 1)}, so "
                f"its slip changes nothing in it: {_farther(days)}"
            )
        start = due
    curve = multiplier_curve(
        shape=scenario.shape, multiplier=scenario.multiplier, start_hour=start, hours=demand.hours
    )
    lost: dict[str, int] = {}
    for i, loss in enumerate(scenario.lose):
        field = f"lose.{i}"
        hour = demand.hour_of(loss.on, field=f"{field}.on", default=start)
        # largest-live is the largest block in service on the day it is lost.
        block = (
            _largest_live(plan, demand.first_day + timedelta(hours=hour))
            if loss.block == LARGEST_LIVE
            else _find_block(plan, loss.block, field=f"{field}.block")
        )
        _check_losable(block, demand, hour=hour, field=field)
        lost[block.id] = hour
    slipped: dict[str, int] = {}
    for i, slip in enumerate(scenario.slip):
        block = _slipped_block(plan, demand, slip, i)
        slipped[block.id] = slipped.get(block.id, 0) + slip.weeks
    dark: dict[str, tuple[int, int]] = {}
    if scenario.region_loss is not None:
        dark_region = scenario.region_loss
        begin = demand.hour_of(dark_region.on, field="region_loss.on", default=start)
        region = dark_region.region
        if region == LARGEST_REGION:
            region = _largest_region(plan, demand.first_day + timedelta(hours=begin))
        elif region not in plan.regions:
            raise ScenarioError(
                f"field region_loss.region: no block in region {region!r}; "
                f"the plan's regions are {', '.join(plan.regions)}"
            )
        dark[region] = (begin, min(begin + dark_region.days * 24, demand.hours))
    unpowered = unpowered_hours(plan, demand, lost=lost, slipped=slipped)
    shock = curve - 1.0
    # A demand shock whose target has no demand until later in it (a contract that starts
    # months into the forecast) is judged from the target's first hour with demand: counted
    # from the shock's start, a customer arriving on day 145 of 182 read "3,792 h to absorb",
    # and its SLO was judged over 182 days of which 145 shocked nothing.
    arrives = target_arrival(demand, shock, start)
    if arrives is None or arrives <= start:
        return ResolvedScenario(scenario, start, shock, lost, slipped, dark, unpowered)
    if not (lost or slipped or dark):
        return ResolvedScenario(
            scenario, arrives, shock, lost, slipped, dark, unpowered, shock_from=start
        )
    # With supply events too, each part counts from when it acts: the first supply event from
    # its own hour, the demand target from its first demand. The drill is judged from
    # whichever comes first (never before the scenario's start): a customer 2x arriving on day
    # 30 with a block lost on day 14 read its time to absorb and SLO from the first day,
    # 14 days before either acted. (Both come at or after ``start`` here.)
    event = first_supply_event(plan, demand, lost=lost, slipped=slipped, dark=dark)
    if event[0] < start:
        # An event dated before the scenario's start acts unjudged until then, as before:
        # the drill stays judged from its start.
        return ResolvedScenario(scenario, start, shock, lost, slipped, dark, unpowered)
    judged = min(event[0], arrives)
    return ResolvedScenario(
        scenario, judged, shock, lost, slipped, dark, unpowered,
        shock_from=start if judged > start else None, target_from=arrives, first_event=event,
    )  # fmt: skip


def first_supply_event(
    plan: CapacityPlan,
    demand: DemandSide,
    *,
    lost: dict[str, int],
    slipped: dict[str, int],
    dark: dict[str, tuple[int, int]],
) -> tuple[int, str]:
    """The hour the first of a drill's supply events acts and what it is: a block lost from
    its hour ("the loss of us-east-pod-01"), a region dark from its first hour ("us-east
    dark"), a slipped block from the day it was due ("the slip of us-east-rack-09", when it
    begins to bite)."""
    due = {b.id: b.in_service for b in plan.block}
    events = [
        *((hour, f"the loss of {block}") for block, hour in lost.items()),
        *((begin, f"{region} dark") for region, (begin, _) in dark.items()),
        *(
            (_hour_on(due.get(block), demand.first_day, demand.hours, default=0),
             f"the slip of {block}")
            for block in slipped
        ),
    ]  # fmt: skip
    return min(events)


def target_arrival(demand: DemandSide, shock: np.ndarray, start: int) -> int | None:
    """The first hour from ``start`` on in which the shock (``shock``, multiplier - 1 by
    hour) adds demand on some path: the shock acts and its target's hourly level (the day's
    level through the hour's drawn day shape, as the kernel plays it) is above zero. None
    where it adds none in any hour (the target idle, or no shock)."""
    acting = np.flatnonzero(shock[start:]) + start
    if not acting.size:
        return None
    by_day = np.abs(demand.target).max(axis=(0, 2), initial=0.0) > 1e-9
    for day in np.unique(acting // 24):
        if not by_day[day]:
            continue
        hours = acting[acting // 24 == day]
        # (paths, streams) levels of the day, and each stream's factor by path and hour.
        level = np.abs(demand.target[:, day, :])
        drawn = demand.day_shape[:, day, :][:, demand.shape_group]  # (paths, streams)
        factor = demand.shapes[drawn, :, demand.shape_group]  # (paths, streams, 24)
        added = (level[:, :, None] * factor).max(axis=(0, 1))  # (24,)
        for hour in hours:
            if added[hour - day * 24] > 1e-9:
                return int(hour)
    return None


def played_plan(
    plan: CapacityPlan, first_day: date, *, lost: dict[str, int], slipped: dict[str, int]
) -> CapacityPlan:
    """``plan`` as a drill plays it: each slipped block's date moved by its weeks, each lost
    block retired from the midnight after its loss (``lost``: hours from ``first_day``), so
    its MW is free from then for the site's dark blocks, and for blocks added there."""
    moved = []
    for block in plan.block:
        update: dict[str, date] = {}
        if block.id in slipped and block.in_service is not None:
            update["in_service"] = block.in_service + timedelta(weeks=slipped[block.id])
        if block.id in lost:
            gone = first_day + timedelta(days=-(-lost[block.id] // 24))
            if block.retire is None or gone < block.retire:
                update["retire"] = gone
        moved.append(block.model_copy(update=update) if update else block)
    return plan.model_copy(update={"block": moved})


def unpowered_hours(
    plan: CapacityPlan, demand: DemandSide, *, lost: dict[str, int], slipped: dict[str, int]
) -> dict[str, tuple[tuple[int, int], ...]]:
    """Per block, the [from, until) hours of the drill it stands dark for want of its site's
    energized MW, with each slip moving its block's date and each lost block gone from the
    midnight after its loss (its MW powers the site's dark blocks from then, never while it
    still runs)."""
    if not plan.site:
        return {}
    played = played_plan(plan, demand.first_day, lost=lost, slipped=slipped)
    last = demand.first_day + timedelta(days=demand.days - 1)
    hours: dict[str, list[tuple[int, int]]] = {}
    for block_id, first, until in dark_spans(played, start=demand.first_day, end=last):
        begin = (first - demand.first_day).days * 24
        hours.setdefault(block_id, []).append((begin, (until - demand.first_day).days * 24 + 24))
    return {block_id: tuple(spans) for block_id, spans in hours.items()}


def _merged(spans: Sequence[tuple[int, int]], *, on: int, off: int) -> tuple[tuple[int, int], ...]:
    """``spans`` clipped to [on, off), overlaps merged, in order."""
    merged: list[tuple[int, int]] = []
    for begin, until in sorted((max(b, on), min(u, off)) for b, u in spans):
        if begin >= until:
            continue
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], until))
        else:
            merged.append((begin, until))
    return tuple(merged)


def _check_losable(block: Block, demand: DemandSide, *, hour: int, field: str) -> None:
    """Refuse losing a block that serves no hour of the drill from its loss on: it read "pass"
    with the time to absorb of a shock that changed nothing."""
    last = demand.first_day + timedelta(days=demand.days - 1)
    if block.in_service is not None and block.in_service > last:
        days = (block.in_service - demand.first_day).days + 1
        raise ScenarioError(
            f"field {field}.block: {block.id!r} enters service on {block.in_service}, after the "
            f"forecast horizon {demand.first_day}..{last}, so losing it changes nothing in it: "
            f"{_farther(days)}"
        )
    lost_on = demand.first_day + timedelta(hours=hour)
    if block.retire is not None and block.retire <= lost_on:
        raise ScenarioError(
            f"field {field}.on: {block.id!r} retires on {block.retire}, before it would be lost "
            f"on {lost_on}: losing it changes nothing; lose it earlier or lose another block"
        )


def _slipped_block(plan: CapacityPlan, demand: DemandSide, slip: BlockSlip, i: int) -> Block:
    """The committed block ``slip`` names (``next-committed`` resolved on the first day)."""
    block = (
        _next_committed(plan, demand.first_day)
        if slip.block == NEXT_COMMITTED
        else _find_block(plan, slip.block, field=f"slip.{i}.block")
    )
    if block.in_service is None:
        raise ScenarioError(f"field slip.{i}.block: {block.id!r} has no in-service date")
    if block.in_service < demand.first_day:
        # Already delivered: slipping it changes nothing the drill can see, and it read "pass".
        raise ScenarioError(
            f"field slip.{i}.block: {block.id!r} has been in service since {block.in_service}, "
            f"before the forecast's first day {demand.first_day}: there is no delivery to slip; "
            "slip a committed block (`fleetcast capacity` lists them) or lose this one (--lose)"
        )
    return block


def _largest_region(plan: CapacityPlan, day: date) -> str:
    gpus: dict[str, int] = {}
    for block in _powered_on(plan, day):
        gpus[block.region] = gpus.get(block.region, 0) + block.gpus
    if not gpus:
        raise ScenarioError(f"field region_loss.region: largest, but no block serves on {day}")
    return min(gpus, key=lambda r: (-gpus[r], r))


def _hour_on(day: date | None, first_day: date, hours: int, *, default: int) -> int:
    if day is None:
        return default
    return int(np.clip((day - first_day).days * 24, 0, hours))


def supply_side(
    blocks: Sequence[Block],
    demand: DemandSide,
    resolved: ResolvedScenario,
    *,
    ladder: Response | None = None,
) -> SupplySide:
    """Eligibility pools of ``blocks`` and their GPUs in service for every hour.

    A region that goes dark (``resolved.dark``) loses every block for its dark hours, and a
    block its site cannot power (``resolved.unpowered``) its hours without power. With a
    ``ladder``, its rungs add pools (see :func:`_with_ladder`).
    """
    keys: dict[tuple[str, tuple[WorkloadClass, ...], str | None], list[str]] = {}
    block_pool = np.zeros(len(blocks), dtype=np.int64)
    on = np.zeros(len(blocks), dtype=np.int64)
    off = np.zeros(len(blocks), dtype=np.int64)
    for i, block in enumerate(blocks):
        key = (block.region, tuple(c for c in CLASSES if block.allows(c)), block.dedicated_customer)
        members = keys.setdefault(key, [])
        block_pool[i] = list(keys).index(key)
        members.append(block.id)
        in_service = block.in_service
        if in_service is not None and block.id in resolved.slipped:
            in_service += timedelta(weeks=resolved.slipped[block.id])
        on[i] = _hour_on(in_service, demand.first_day, demand.hours, default=0)
        off[i] = _hour_on(block.retire, demand.first_day, demand.hours, default=demand.hours)
        off[i] = min(off[i], resolved.lost.get(block.id, demand.hours))
    pools = tuple(Pool(r, k, c, tuple(ids)) for (r, k, c), ids in keys.items())
    # Capacity changes only at block boundaries: add each block as +gpus/-gpus steps, then
    # a cumulative sum over hours gives every pool's GPUs in service.
    steps = np.zeros((demand.hours + 1, len(pools)))
    unpowered = []
    for i, block in enumerate(blocks):
        if on[i] < off[i]:
            steps[on[i], block_pool[i]] += block.gpus
            steps[off[i], block_pool[i]] -= block.gpus
        lit = (int(on[i]), int(off[i]))
        unpowered.append(_merged(resolved.unpowered.get(block.id, ()), on=lit[0], off=lit[1]))
        # A block both in a dark region and without power is out once, not twice.
        region_dark = resolved.dark.get(block.region, (0, 0))
        for dark_from, dark_until in _merged([region_dark, *unpowered[-1]], on=lit[0], off=lit[1]):
            steps[dark_from, block_pool[i]] -= block.gpus
            steps[dark_until, block_pool[i]] += block.gpus
    cap = np.cumsum(steps, axis=0)[: demand.hours]
    supply = SupplySide(
        tuple(blocks), pools, block_pool, on, off, np.ascontiguousarray(cap), tuple(unpowered)
    )
    if ladder is None:
        return supply
    return _with_ladder(supply, ladder, demand, resolved)


def _with_ladder(
    supply: SupplySide, ladder: Response, demand: DemandSide, resolved: ResolvedScenario
) -> SupplySide:
    """``supply`` plus a pool per rung and region, with the rung's delay after the shock is
    seen (the kernel switches a rung on per path, see :mod:`~forecasting.drills.kernel`).

    ``spares`` and ``burst`` bring their GPUs as new pools. ``migrate`` moves up to its cap of
    GPUs per region out of the pools that host training but not every class in ``to`` (the
    least flexible first) into a pool that also hosts the classes in ``to``: once it acts
    those GPUs serve both, the higher priority first, and training jobs running on them are
    moved off. A pool that already hosts the ``to`` classes is never a source: moving its
    GPUs would give them nothing they could not take already, while the moved GPUs, last in
    every stream's preference, would be lost to training for the rest of the run.

    In a region that goes dark (``resolved.dark``) every rung serves nothing for its dark
    hours: migration has no GPUs left to move there (its blocks are dark), and its spares and
    burst pools are the region's own, dark with it.
    """
    pools = list(supply.pools)
    columns = [supply.cap[:, p] for p in range(len(pools))]
    delays = [-1] * len(pools)
    restore = np.zeros_like(supply.cap)
    start, hours = resolved.start_hour, demand.hours
    regions = sorted({p.region for p in supply.pools if p.rung is None})
    for region in (r for r in regions if ladder.covers(r)):
        migrate = ladder.migrate
        if migrate is not None:
            sources = sorted(
                (
                    p
                    for p, pool in enumerate(supply.pools)
                    if pool.region == region
                    and pool.customer is None
                    and WorkloadClass.TRAINING in pool.classes
                    and not set(migrate.to) <= set(pool.classes)
                ),
                key=lambda p: (len(supply.pools[p].classes), p),
            )
            if sources:
                moved = np.zeros(hours)
                for p in sources:
                    take = np.minimum(columns[p][start:], migrate.gpus - moved[start:])
                    columns[p] = columns[p].copy()
                    columns[p][start:] -= take
                    restore[start:, p] = take
                    moved[start:] += take
                classes = {c for p in sources for c in supply.pools[p].classes} | set(migrate.to)
                pools.append(Pool(region, _ordered(classes), None, (), rung="migrate"))
                columns.append(moved)
                delays.append(migrate.delay_hours)
        added: list[tuple[str, int, int, tuple[WorkloadClass, ...]]] = []
        if ladder.spares is not None:
            spares = ladder.spares
            added.append(("spares", spares.activation_hours, spares.gpus, spares.serves))
        if ladder.burst is not None:
            burst = ladder.burst
            added.append(("burst", burst.after_days * 24, burst.gpus, burst.serves))
        for name, delay, gpus, serves in added:
            column = np.zeros(hours)
            column[start:] = gpus
            # A dark region's own spares and burst go dark with it: they served its demand
            # while it had no power (35,247 GPU-h of us-east spares in a 3-day us-east loss).
            # Its demand reaches other regions' rungs only by failing over.
            dark_from, dark_until = resolved.dark.get(region, (0, 0))
            column[dark_from:dark_until] = 0.0
            pools.append(Pool(region, _ordered(set(serves)), None, (), rung=name))
            columns.append(column)
            delays.append(delay)
    cap = np.ascontiguousarray(np.stack(columns, axis=1)) if columns else supply.cap
    extra = len(pools) - restore.shape[1]
    return SupplySide(
        supply.blocks,
        tuple(pools),
        supply.block_pool,
        supply.block_on,
        supply.block_off,
        cap,
        supply.block_dark,
        rung_delay=np.array(delays, dtype=np.int64),
        restore=np.ascontiguousarray(np.pad(restore, ((0, 0), (0, extra)))),
        restore_delay=-1 if ladder.migrate is None else ladder.migrate.delay_hours,
    )


def _ordered(classes: set[WorkloadClass]) -> tuple[WorkloadClass, ...]:
    return tuple(c for c in CLASSES if c in classes)


def _csr(lists: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    flat = np.array([i for x in lists for i in x], dtype=np.int64)
    return ptr, flat


_RUNGS = ("migrate", "spares", "burst")


def _preference(pool: Pool, index: int) -> tuple[int, bool, int, int]:
    """The plan's pools before the ladder's (cheapest rung first); among the plan's,
    dedicated pools first, then the least flexible: keep flexible capacity for others."""
    rung = 0 if pool.rung is None else 1 + _RUNGS.index(pool.rung)
    return (rung, pool.customer is None, len(pool.classes), index)


def stream_groups(streams: Sequence[Stream]) -> dict[tuple[str, WorkloadClass], list[int]]:
    """The kernel's (region, class) groups in its order, with their streams."""
    groups: dict[tuple[str, WorkloadClass], list[int]] = {}
    for s, stream in enumerate(streams):
        groups.setdefault((stream.region, stream.workload_class), []).append(s)
    return groups


def kernel_inputs(
    plan: CapacityPlan, demand: DemandSide, supply: SupplySide, resolved: ResolvedScenario
) -> KernelInputs:
    """The dense, CSR-linked arrays :mod:`forecasting.drills.kernel` runs on."""
    streams, pools = demand.streams, supply.pools
    class_index = {c: i for i, c in enumerate(CLASSES)}
    regions = sorted(set(demand.regions) | {p.region for p in pools})
    region_index = {r: i for i, r in enumerate(regions)}
    policies = [plan.policy[s.workload_class] for s in streams]
    own_pools = [
        sorted(
            (p for p, pool in enumerate(pools) if pool.serves(s)),
            key=lambda p: _preference(pools[p], p),
        )
        for s in streams
    ]
    # Failover: a stream of a dark region whose class fails over gains, after its delay and
    # while the region is dark, edges to the pools of other regions that host it (last).
    hours = demand.hours
    dark_from = np.zeros(len(streams), dtype=np.int64)
    dark_until = np.zeros(len(streams), dtype=np.int64)
    stream_pools: list[list[int]] = []
    windows: list[tuple[int, int, bool]] = []
    # The pools each (region, class) judges its headroom on, with the hours they count: its
    # own always, and while its failover is open the pools it fails over to (judged on its
    # dark region's pools alone, a class served elsewhere with room to spare missed its SLO
    # in every dark hour).
    away_windows: dict[tuple[str, WorkloadClass], list[tuple[int, int, int]]] = {}
    for s, stream in enumerate(streams):
        stream_pools.append(list(own_pools[s]))
        windows += [(0, hours, False)] * len(own_pools[s])
        if stream.region not in resolved.dark:
            continue
        dark_from[s], dark_until[s] = resolved.dark[stream.region]
        policy = plan.policy[stream.workload_class]
        if not policy.failover:
            continue
        away = sorted(
            (
                p
                for p, pool in enumerate(pools)
                if pool.region != stream.region
                and pool.region not in resolved.dark
                and pool.hosts(stream)
            ),
            key=lambda p: (pools[p].region, _preference(pools[p], p)),
        )
        opens = int(dark_from[s]) + (policy.failover_delay_hours or 0)
        stream_pools[s] += away
        windows += [(opens, int(dark_until[s]), True)] * len(away)
        away_windows[stream.region, stream.workload_class] = [
            (p, opens, int(dark_until[s])) for p in sorted(away)
        ]
    groups = stream_groups(streams)
    group_pools = [
        [(p, 0, hours) for p in sorted({p for s in members for p in own_pools[s]})]
        + away_windows.get(key, [])
        for key, members in groups.items()
    ]
    group_policies = [plan.policy[k] for _, k in groups]
    s_ptr, s_pools = _csr(stream_pools)
    edge_stream = np.repeat(np.arange(len(streams)), np.diff(s_ptr))
    preemptible_edges = [
        [j for j in range(len(s_pools)) if s_pools[j] == p and policies[edge_stream[j]].preemptible]
        for p in range(len(pools))
    ]
    pe_ptr, pe_edges = _csr(preemptible_edges)
    gs_ptr, gs_streams = _csr(list(groups.values()))
    gp_ptr, gp_pools = _csr([[p for p, _, _ in pools_of] for pools_of in group_pools])
    gp_windows = [w for pools_of in group_pools for w in pools_of]
    # C-contiguous (a no-op for DemandSide's own arrays, see DemandSide.until): every drill then
    # passes the kernel the same array types and numba compiles it once, not once per layout.
    return KernelInputs(
        base=np.ascontiguousarray(demand.base),
        target=np.ascontiguousarray(demand.target),
        shock=resolved.shock,
        day_shape=np.ascontiguousarray(demand.day_shape),
        shapes=demand.shapes,
        shape_group=demand.shape_group,
        cap=supply.cap,
        start=resolved.start_hour,
        prio=np.array([p.priority for p in policies], dtype=np.int64),
        preemptible=np.array([p.preemptible for p in policies], dtype=np.bool_),
        reserve=np.array([p.headroom / (1.0 - p.headroom) for p in policies], dtype=np.float64),
        interactive=np.array([p.interactive for p in policies], dtype=np.bool_),
        turnover=np.array([p.turnover_per_hour for p in policies], dtype=np.float64),
        max_wait=np.array([p.max_wait_hours or 0 for p in policies], dtype=np.int64),
        stream_class=np.array([class_index[s.workload_class] for s in streams], dtype=np.int64),
        stream_region=np.array([region_index[s.region] for s in streams], dtype=np.int64),
        s_ptr=s_ptr,
        s_pools=s_pools,
        edge_stream=edge_stream.astype(np.int64),
        pe_ptr=pe_ptr,
        pe_edges=pe_edges,
        p_region=np.array([region_index[p.region] for p in pools], dtype=np.int64),
        g_class=np.array([class_index[k] for _, k in groups], dtype=np.int64),
        g_headroom=np.array([p.headroom for p in group_policies], dtype=np.float64),
        g_prio=np.array([p.priority for p in group_policies], dtype=np.int64),
        gs_ptr=gs_ptr,
        gs_streams=gs_streams,
        gp_ptr=gp_ptr,
        gp_pools=gp_pools,
        gp_from=np.array([w[1] for w in gp_windows], dtype=np.int64),
        gp_until=np.array([w[2] for w in gp_windows], dtype=np.int64),
        e_from=np.array([w[0] for w in windows], dtype=np.int64),
        e_until=np.array([w[1] for w in windows], dtype=np.int64),
        e_failover=np.array([w[2] for w in windows], dtype=np.bool_),
        s_dark_from=dark_from,
        s_dark_until=dark_until,
        p_rung_delay=(
            supply.rung_delay
            if supply.rung_delay is not None
            else np.full(len(pools), -1, dtype=np.int64)
        ),
        restore=supply.restore if supply.restore is not None else np.zeros((1, len(pools))),
        restore_delay=supply.restore_delay if supply.restore is not None else -1,
        confirm_hours=resolved.confirm_hours(demand.hours),
        n_classes=len(CLASSES),
        n_regions=max(len(regions), 1),
    )
