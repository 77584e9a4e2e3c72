"""Replay observed demand through the drill kernel at factor 1 and compare the queues it builds.

DOMAIN.md's check of any simulator: replayed against the capacity that was really in service,
with no shock, it should reproduce the queues that were really observed. :func:`replay_levels`
plays an observed hourly demand level (GPUs running plus GPUs queued, per customer) through
:mod:`~forecasting.drills.kernel` against a plan's blocks, one path, multiplier 1.0, and returns
the backlog the kernel builds each hour; :func:`replay_error` sets it beside the observed queue.

How an hourly level reaches the kernel. The kernel takes demand as a daily base times a day's
hourly shape, which cannot carry an arbitrary hour-by-hour series, and documents that a negative
shock lowers the base level. So each customer is played with a flat base at its highest
observed level and a shock curve ``level(t) / max - 1`` (between -1 and 0): the level the
kernel plays in hour ``t`` is then exactly the observed one, and no shock work is added. The
shock curve is one per run, so each customer is its own run with one stream; that is exact
only when customers do not share capacity, so every customer replayed must have blocks
dedicated to it (a quota per team, as in the Helios trace) and its classes are merged into one
(``workload_class``, whose policy sets the job length and wait tolerance).

A block standing dark for want of its site's energized MW (see :mod:`~forecasting.drills.inputs`)
serves none of its dark hours, as in the drills. Neither moves it to another site of its
region with MW free, nor places a replacement there: the plan's sites are played as declared
(a drill's notes name such a block and the site that could run it).

Hours with no observation (collector outages) carry the last level before them, so the stock
of work does not vanish and reappear; they are left out of the comparison.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from forecasting.capacity import CapacityPlan
from forecasting.drills.inputs import (
    CLASSES,
    DemandSide,
    ResolvedScenario,
    Stream,
    kernel_inputs,
    supply_side,
    unpowered_hours,
)
from forecasting.drills.kernel import simulate_traced
from forecasting.drills.profile import HOURS_PER_DAY
from forecasting.drills.scenarios import scenario_from_args
from forecasting.schema import WorkloadClass

__all__ = ["LEVELS_SCHEMA", "REPLAY_SCHEMA", "replay_error", "replay_levels"]

# A queue below half a GPU is float residue of the kernel's sums, not a waiting job.
_QUEUED_GPUS = 0.5

LEVELS_SCHEMA = pl.Schema(
    {
        "ts": pl.Datetime("us", "UTC"),
        "region": pl.String(),
        "customer": pl.String(),
        "gpus_running": pl.Float64(),
        "gpus_queued": pl.Float64(),
    }
)
"""Observed hourly demand per customer: one row per hour observed (all classes summed)."""

REPLAY_SCHEMA = pl.Schema(
    {
        "ts": pl.Datetime("us", "UTC"),
        "region": pl.String(),
        "customer": pl.String(),
        "observed": pl.Boolean(),
        "level": pl.Float64(),
        "capacity_gpus": pl.Float64(),
        "observed_running": pl.Float64(),
        "observed_queued": pl.Float64(),
        "simulated_backlog": pl.Float64(),
    }
)
"""Every hour of the replay per customer: ``observed`` is False on hours filled across a gap
(their ``observed_running`` and ``observed_queued`` are null); ``simulated_backlog`` is the
kernel's end-of-hour queue."""


def _hour_grid(levels: pl.DataFrame) -> tuple[datetime, int]:
    """Midnight UTC of the first observed day, and the whole days to the last observed hour."""
    first: datetime = levels["ts"].min()  # type: ignore[assignment]
    last: datetime = levels["ts"].max()  # type: ignore[assignment]
    midnight = datetime(first.year, first.month, first.day, tzinfo=UTC)
    days = (last - midnight) // timedelta(days=1) + 1
    return midnight, days


def _checked(plan: CapacityPlan, levels: pl.DataFrame) -> pl.DataFrame:
    missing = [name for name in LEVELS_SCHEMA if name not in levels.columns]
    if missing:
        raise ValueError(f"levels lack columns {missing}; expected {list(LEVELS_SCHEMA)}")
    levels = levels.select(pl.col(n).cast(t) for n, t in LEVELS_SCHEMA.items())
    dup = levels.filter(pl.struct("ts", "region", "customer").is_duplicated())
    if dup.height:
        row = dup.row(0, named=True)
        raise ValueError(
            f"levels: more than one row for {row['region']}/{row['customer']} at {row['ts']}; "
            "sum the classes of a customer into one row per hour"
        )
    dedicated = {(b.region, b.dedicated_customer) for b in plan.block if b.dedicated_customer}
    shared = sorted(
        f"{r}/{c}"
        for r, c in levels.select("region", "customer").unique().iter_rows()
        if (r, c) not in dedicated
    )
    if shared:
        raise ValueError(
            f"levels: customers {shared[:5]} have no block dedicated to them in the plan; a "
            "replay runs each customer on its own blocks, so give each a dedicated block"
        )
    return levels


def replay_levels(
    plan: CapacityPlan,
    levels: pl.DataFrame,
    *,
    workload_class: WorkloadClass = WorkloadClass.TRAINING,
    compiled: bool = True,
) -> pl.DataFrame:
    """The kernel's hourly backlog per customer when ``levels`` are replayed at factor 1.

    ``levels`` (:data:`LEVELS_SCHEMA`) is what was observed each hour: GPUs running and GPUs
    queued per customer, the level being their sum. Each customer runs alone on the blocks
    dedicated to it in ``plan`` (in service, retired and committed by their dates), as one
    stream of ``workload_class``. Returns :data:`REPLAY_SCHEMA`, hours from midnight UTC of
    the first observed day to the last observed hour (hours before the first observation play
    the first level and are marked unobserved).
    """
    levels = _checked(plan, levels)
    midnight, days = _hour_grid(levels)
    hours = days * 24
    grid = pl.datetime_range(
        midnight,
        midnight + timedelta(hours=hours - 1),
        "1h",
        time_unit="us",
        time_zone="UTC",
        eager=True,
    ).alias("ts")
    last_hour = levels["ts"].max()
    scenario = scenario_from_args(name="replay", multiplier=1.0, target="all")
    frames = []
    for (region, customer), rows in levels.sort("ts").group_by(
        "region", "customer", maintain_order=True
    ):
        hourly = (
            pl.DataFrame(grid)
            .join(rows, on="ts", how="left")
            .with_columns(
                observed=pl.col("gpus_running").is_not_null(),
                level=(pl.col("gpus_running") + pl.col("gpus_queued"))
                .forward_fill()
                .backward_fill(),
            )
        )
        level = hourly["level"].to_numpy()
        peak = float(level.max())
        stream = Stream(str(region), workload_class, str(customer))
        demand = DemandSide(
            first_day=midnight.date(),
            days=days,
            sample_ids=np.zeros(1, dtype=np.int32),
            streams=(stream,),
            regions=(str(region),),
            base=np.full((1, days, 1), peak),
            target=np.full((1, days, 1), peak),
            shapes=np.ones((1, HOURS_PER_DAY, 1)),
            day_shape=np.zeros((1, days, 1), dtype=np.int64),
            shape_group=np.zeros(1, dtype=np.int64),
            target_label=f"customer:{customer}",
        )
        # The level each hour as the flat base lowered by a negative shock (see module doc).
        shock = level / peak - 1.0 if peak > 0 else np.zeros(hours)
        # A block its site's energized MW cannot power serves no hour (as in every drill):
        # counted, a replay set the queue beside capacity that stood dark.
        unpowered = unpowered_hours(plan, demand, lost={}, slipped={})
        resolved = ResolvedScenario(scenario, 0, shock, {}, {}, {}, unpowered)
        blocks = [b for b in plan.block if b.region == region and b.dedicated_customer == customer]
        supply = supply_side(blocks, demand, resolved)
        traces = simulate_traced(kernel_inputs(plan, demand, supply, resolved), compiled=compiled)
        backlog = traces.backlog[:, CLASSES.index(workload_class), 0].astype(np.float64)
        frames.append(
            hourly.select(
                "ts",
                pl.lit(region).alias("region"),
                pl.lit(customer).alias("customer"),
                "observed",
                "level",
                pl.Series("capacity_gpus", supply.cap.sum(axis=1)),
                pl.col("gpus_running").alias("observed_running"),
                pl.col("gpus_queued").alias("observed_queued"),
                pl.Series("simulated_backlog", backlog),
            ).filter(pl.col("ts") <= last_hour)
        )
    if not frames:
        return pl.DataFrame(schema=REPLAY_SCHEMA)
    return pl.concat(frames).select(pl.col(n).cast(t) for n, t in REPLAY_SCHEMA.items())


def replay_error(replayed: pl.DataFrame) -> pl.DataFrame:
    """Per customer, over observed hours: how far the simulated queue is from the observed one.

    Columns: region, customer, hours, mean level, mean capacity, mean observed queue, mean
    simulated backlog, ``mae`` (GPUs), ``mae_relative`` (MAE over the mean observed queue; null
    when nothing was observed queued), ``agreement`` (of the hours in which either queue held
    at least half a GPU, the share in which both did), and two readings of where a fluid model
    must miss: ``over_capacity_share`` (hours running above the capacity in service: work
    borrowed GPUs the plan does not show) and ``queued_with_room_share`` (the share of the
    observed queued GPU-hours that waited while the level was within capacity: jobs that did
    not fit the free GPUs, which the kernel, placing GPUs one by one, cannot reproduce).
    """
    seen = replayed.filter(pl.col("observed"))
    queued_obs = pl.col("observed_queued") >= _QUEUED_GPUS
    queued_sim = pl.col("simulated_backlog") >= _QUEUED_GPUS
    room = pl.col("level") <= pl.col("capacity_gpus")
    return (
        seen.group_by("region", "customer")
        .agg(
            hours=pl.len(),
            level_mean=pl.col("level").mean(),
            capacity_mean=pl.col("capacity_gpus").mean(),
            observed_queued_mean=pl.col("observed_queued").mean(),
            simulated_backlog_mean=pl.col("simulated_backlog").mean(),
            mae=(pl.col("simulated_backlog") - pl.col("observed_queued")).abs().mean(),
            queue_hours=(queued_obs | queued_sim).sum(),
            both_queued=(queued_obs & queued_sim).sum(),
            over_capacity_share=(pl.col("observed_running") > pl.col("capacity_gpus")).mean(),
            queued_total=pl.col("observed_queued").sum(),
            queued_with_room=pl.col("observed_queued").filter(room).sum(),
        )
        .with_columns(
            mae_relative=pl.when(pl.col("observed_queued_mean") > 0).then(
                pl.col("mae") / pl.col("observed_queued_mean")
            ),
            agreement=pl.when(pl.col("queue_hours") > 0).then(
                pl.col("both_queued") / pl.col("queue_hours")
            ),
            queued_with_room_share=pl.when(pl.col("queued_total") > 0).then(
                pl.col("queued_with_room") / pl.col("queued_total")
            ),
        )
        .drop("both_queued", "queued_total", "queued_with_room")
        .sort("observed_queued_mean", "customer", descending=[True, False])
    )
