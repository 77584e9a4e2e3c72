"""The hourly shape of demand per (region, workload class), to turn daily means into hours."""

from __future__ import annotations

import polars as pl

from forecasting.schema import WorkloadClass

__all__ = ["HOURS_PER_WEEK", "PROFILE_SCHEMA", "flat_profile", "hourly_profile"]

HOURS_PER_WEEK = 168

PROFILE_SCHEMA = pl.Schema(
    {
        "region": pl.String,
        "workload_class": pl.String,
        "hour_of_week": pl.Int32,
        "factor": pl.Float64,
    }
)


def flat_profile(regions: list[str] | tuple[str, ...]) -> pl.DataFrame:
    """Factor 1.0 for every hour, region and class: each hour carries the daily mean."""
    grid = (
        pl.DataFrame({"region": list(regions)}, schema={"region": pl.String})
        .join(pl.DataFrame({"workload_class": [c.value for c in WorkloadClass]}), how="cross")
        .join(
            pl.DataFrame({"hour_of_week": pl.int_range(0, HOURS_PER_WEEK, eager=True)}).cast(
                pl.Int32
            ),
            how="cross",
        )
    )
    return (
        grid.with_columns(factor=pl.lit(1.0))
        .select(PROFILE_SCHEMA.names())
        .sort("region", "workload_class", "hour_of_week")
    )


def hourly_profile(hourly: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """Mean hour-of-week shape per (region, workload_class), with mean 1 over every day.

    ``hourly`` has ``ts`` (UTC), ``region``, ``workload_class`` and ``y`` (GPUs, served + queued);
    rows sharing an hour are summed. Each hour is divided by the mean of its own UTC day, then
    the ratios are averaged per hour of week (0 = Monday 00:00 UTC) and renormalised so that
    every day of the week averages exactly 1. Normalising per day, not per week, is what keeps
    the daily mean: the daily sample paths already carry the weekly cycle, and a per-week
    factor would apply it a second time. The mean over the week is then 1 as well. Classes
    with no history (or only zero-demand days) in a region get a flat 1.0.
    """
    frame = hourly.lazy() if isinstance(hourly, pl.DataFrame) else hourly
    per_hour = (
        frame.select(
            pl.col("ts").dt.truncate("1h").alias("ts"),
            pl.col("region").cast(pl.String),
            pl.col("workload_class").cast(pl.String),
            pl.col("y").cast(pl.Float64),
        )
        .group_by("ts", "region", "workload_class")
        .agg(pl.col("y").sum())
        .with_columns(day=pl.col("ts").dt.date())
    )
    ratios = (
        per_hour.with_columns(day_mean=pl.col("y").mean().over("region", "workload_class", "day"))
        .filter(pl.col("day_mean") > 0)
        .with_columns(
            hour_of_week=((pl.col("ts").dt.weekday() - 1) * 24 + pl.col("ts").dt.hour()).cast(
                pl.Int32
            ),
            ratio=pl.col("y") / pl.col("day_mean"),
        )
        .group_by("region", "workload_class", "hour_of_week")
        .agg(pl.col("ratio").mean())
    )
    regions = per_hour.select(pl.col("region").unique()).collect()["region"].to_list()
    shaped = (
        flat_profile(sorted(regions))
        .lazy()
        .join(ratios, on=["region", "workload_class", "hour_of_week"], how="left")
        .with_columns(day_of_week=pl.col("hour_of_week") // 24)
        # An hour never observed in a class that has history takes the day's mean (1.0 after
        # renormalising); a class with no history at all stays flat.
        .with_columns(
            pl.col("ratio").fill_null(
                pl.col("ratio").mean().over("region", "workload_class", "day_of_week")
            )
        )
        .with_columns(pl.col("ratio").fill_null(1.0))
        .with_columns(
            factor=pl.col("ratio")
            / pl.col("ratio").mean().over("region", "workload_class", "day_of_week")
        )
        .select(PROFILE_SCHEMA.names())
        .sort("region", "workload_class", "hour_of_week")
    )
    return shaped.collect().cast(PROFILE_SCHEMA)
