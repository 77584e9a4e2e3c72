"""Hours a region's telemetry disagrees with its plan: served at the ceiling with nothing
queued, or served past it.

Each region is judged as the triggers' two pools: all its classes on every block, and its
training on the blocks training may run on (a fabric).

Demand is served plus queued (DOMAIN.md, "Demand is not usage"). A region whose GPUs ran at
the capacity the plan has in service there while its telemetry queued nothing shows what ran,
not what was asked: requests turned away, or a queue the scheduler does not export and the
file wrote as 0, leave no row. Its demand then reads as a floor, censored at the ceiling, and
a planner reading it forecasts its own ceiling. A region that ran more GPUs than the plan has
in service misstates the other way: the triggers and drills count the plan's GPUs.

A trace whose GPUs are derived from the requests that arrived (ServeGen, Azure:
``forecasting.traces.ARRIVAL_FORMATS``) holds demand itself, its queue 0 by construction: its
rows are left out of both rules by the callers.

Neither is corrected (nothing in the telemetry says how much was turned away, or which blocks
the plan lacks); both are said, per region, by :func:`plan_disagreement_lines`, and the
commands print them with the plan's other warnings. The capacity read is the triggers' own
(:func:`forecasting.capacity.capacity_timeline`: every block in service and powered, in GPUs
as they are, as the telemetry counts them).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from forecasting.capacity import ALL_CLASSES, CapacityPlan, capacity_timeline
from forecasting.schema import WorkloadClass
from forecasting.text import counted, gpus

__all__ = [
    "AT_CEILING_SHARE",
    "MIN_HOURS",
    "OVER_PLAN_SHARE",
    "PLAN_DISAGREEMENTS_SCHEMA",
    "plan_disagreement_lines",
    "plan_disagreements",
]

# A region whose hour's mean served GPUs reach this share of those in service is at its
# ceiling: a fleet rarely places its last GPUs (fragmentation, DOMAIN.md "fit rate"), so an
# hour at 98 % with nothing waiting is a full region that turned work away or did not say.
AT_CEILING_SHARE = 0.98
# An hour's mean above the GPUs in service by more than this share: hourly means of a minute
# collector and a block landing mid-day read a little over, never by 2 %.
OVER_PLAN_SHARE = 0.02
# Fewer hours say nothing of the region: one hour that ran full as its queue drained is not
# a fleet that hides its queue, and one hour over the plan is a collector's double count.
MIN_HOURS = 6

# What plan_disagreements returns: a run reads it once and hands it on (the report's pages and
# the CLI's plan warnings aggregated the telemetry by region and hour once each).
PLAN_DISAGREEMENTS_SCHEMA = pl.Schema(
    {
        "region": pl.String(),
        "pool": pl.String(),
        "rule": pl.String(),
        "hours": pl.UInt32(),
        "first": pl.Datetime("us", "UTC"),
        "last": pl.Datetime("us", "UTC"),
        "served": pl.Float64(),
        "capacity": pl.Int64(),
    }
)


def _rule(at_ceiling: pl.Expr, over_plan: pl.Expr) -> pl.Expr:
    """Which disagreement an hour holds ("ceiling", "over", or null)."""
    return pl.when(over_plan).then(pl.lit("over")).when(at_ceiling).then(pl.lit("ceiling"))


def plan_disagreements(hourly: pl.DataFrame, plan: CapacityPlan) -> pl.DataFrame:
    """Per region, pool and rule, the hours of ``hourly`` (``region``, ``pool``, ``ts``,
    ``served``, ``queued``: hourly sums of the region's telemetry in pool ``all`` and of its
    training in pool ``training``, :meth:`forecasting.warehouse.Warehouse.region_hours`) at
    the pool's ceiling with nothing queued (``rule == "ceiling"``) or over the pool's GPUs in
    service (``"over"``), where there are at least :data:`MIN_HOURS`: their count, first and
    last hour, and the hour that ran the most (``served``) beside the GPUs in service then
    (``capacity``). The training pool is the blocks training may run on (a fabric), as the
    triggers' is. A pool the plan has no GPUs in service for on a day is not judged on it (the
    plan's other warnings say so)."""
    if hourly.is_empty():
        return pl.DataFrame(schema=PLAN_DISAGREEMENTS_SCHEMA)
    days = hourly.with_columns(ds=pl.col("ts").dt.date())
    start, end = days["ds"].min(), days["ds"].max()
    assert isinstance(start, date) and isinstance(end, date)
    capacity = (
        capacity_timeline(plan, start=start, end=end)
        .filter(pl.col("workload_class").is_in([ALL_CLASSES, WorkloadClass.TRAINING.value]))
        .select("ds", "region", pl.col("workload_class").alias("pool"), capacity="gpus")
    )
    judged = days.join(capacity, on=["ds", "region", "pool"]).filter(pl.col("capacity") > 0)
    return (
        judged.with_columns(
            rule=_rule(
                at_ceiling=(pl.col("served") >= AT_CEILING_SHARE * pl.col("capacity"))
                & (pl.col("queued") <= 0),
                over_plan=pl.col("served") > (1 + OVER_PLAN_SHARE) * pl.col("capacity"),
            )
        )
        .drop_nulls("rule")
        .group_by("region", "pool", "rule")
        .agg(
            pl.len().cast(pl.UInt32).alias("hours"),
            pl.col("ts").min().alias("first"),
            pl.col("ts").max().alias("last"),
            pl.col("served").max(),
            pl.col("capacity").sort_by("served").last(),
        )
        .filter(pl.col("hours") >= MIN_HOURS)
        .sort("region", "pool", "rule")
        .select(PLAN_DISAGREEMENTS_SCHEMA.names())
        .cast(PLAN_DISAGREEMENTS_SCHEMA)
    )


def _span(first: object, last: object) -> str:
    return f"{first:%Y-%m-%d %H:00} to {last:%Y-%m-%d %H:00} UTC"


def plan_disagreement_lines(disagreements: pl.DataFrame, *, plan: str) -> list[str]:
    """One line per row of :func:`plan_disagreements`: what the hours were, what the figures
    resting on them read, and what to do (``plan`` names the capacity file)."""
    lines = []
    for region, pool, rule, hours, first, last, served, capacity in disagreements.iter_rows():
        span = _span(first, last)
        if pool == ALL_CLASSES:
            who, held = region, f"{plan} has in service there"
        else:
            who = f"training in {region}"
            held = f"{plan} has in service there on blocks training may run on"
        if rule == "ceiling":
            lines.append(
                f"{who} served at its ceiling with nothing queued for "
                f"{counted(hours, 'hour')} ({span}; at least {AT_CEILING_SHARE:.0%} of "
                f"the GPUs {held}, up to {gpus(served)} of {capacity:,}): what it turned away left "
                "no telemetry, so its demand there reads as what ran, a floor censored at "
                "capacity, and its forecast and triggers read low; export the scheduler's "
                "queue as gpus_queued (or queued_gpu_hours), or check the plan's blocks in "
                f"{region}"
            )
        else:
            lines.append(
                f"{who} ran more GPUs than {held} for {counted(hours, 'hour')} ({span}; up "
                f"to {gpus(served)} against {capacity:,}): the plan misses blocks that serve, "
                "or the telemetry counts GPUs outside them (a partner cloud's), and the "
                "triggers and drills count the plan's GPUs; add the blocks to the plan, or "
                "check the telemetry's region"
            )
    return lines
