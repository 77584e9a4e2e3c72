"""The hourly shapes of recent days per (region, workload class), to turn daily means into hours.

A drill's sample paths are daily means; the kernel runs hours. Each path's day takes the
shape of one whole day of recent history with the same weekday, drawn per (path, day) and
shared by every region and class (one calendar day, so regions and classes keep the hours
they had together). An average hour-of-week shape would give every path the same hours: the
hour-to-hour scatter real days have would be missing, and a drill's busiest hours too narrow
(about a fifth of actual hours above the q90 of the hours a drill played, against a tenth;
``benchmarks/accuracy_drill_day_shapes.py`` and README, "Shock drills").
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from forecasting import demand

__all__ = [
    "HOURS_PER_DAY",
    "SHAPES_SCHEMA",
    "SHAPE_WEEKS",
    "day_shapes",
    "drawn_days",
    "shape_library",
]

HOURS_PER_DAY = 24
# Half a year: 26 draws per weekday, and a mix that changes is followed within months. On the
# demo's fleet all of two years' days scored a little better (pinball 0.819x the average
# shape's against 0.822x; 8 weeks 0.835x), but a real fleet's mix is not stationary.
SHAPE_WEEKS = 26

SHAPES_SCHEMA = pl.Schema(
    {
        "date": pl.Date,
        "region": pl.String,
        "workload_class": pl.String,
        "hour": pl.Int32,
        "factor": pl.Float64,
    }
)


def day_shapes(
    hourly: pl.LazyFrame | pl.DataFrame,
    *,
    until: date | None = None,
    weeks: int = SHAPE_WEEKS,
) -> pl.DataFrame:
    """Each day's hourly shape per (region, workload_class), over the last ``weeks``.

    ``hourly`` has ``ts`` (UTC), ``region``, ``workload_class`` and ``y`` (GPUs, served +
    queued); rows sharing an hour are summed. ``factor`` is the hour over the mean of the day's
    hours with telemetry, so every day's factors average exactly 1 and a path's daily mean is
    kept. An hour without rows in a region is an outage
    (:func:`forecasting.demand.present_hours`), whose shape is not demand's: it reads 1.0 (the
    day's mean), and a day with fewer hours present than a demand series counts
    (:data:`~forecasting.demand.MIN_HOURS_PER_DAY`) has no shape. A class without rows in an
    hour with telemetry had zero demand in it; a class whose day averages zero has no shape
    that day. Days after ``until`` (a forecast's as-of date) are left out: a drill as of a
    past date plays the shapes it could have known.
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    frame = (hourly.lazy() if isinstance(hourly, pl.DataFrame) else hourly).select(
        pl.col("ts").dt.truncate("1h").alias("ts"),
        pl.col("region").cast(pl.String),
        pl.col("workload_class").cast(pl.String),
        pl.col("y").cast(pl.Float64),
    )
    if until is not None:
        frame = frame.filter(pl.col("ts").dt.date() <= until)
    per_hour = frame.group_by("ts", "region", "workload_class").agg(pl.col("y").sum())
    last: date | None = per_hour.select(pl.col("ts").max().dt.date()).collect().item()
    if last is None:
        return pl.DataFrame(schema=SHAPES_SCHEMA)
    recent = per_hour.filter(pl.col("ts").dt.date() > last - timedelta(days=7 * weeks))
    present = demand.present_hours(recent).with_columns(date=pl.col("ts").dt.date())
    kept = (
        present.group_by("region", "date")
        .agg(pl.len().alias("hours"))
        .filter(pl.col("hours") >= demand.MIN_HOURS_PER_DAY)
        .select("region", "date")
    )
    day = ["region", "workload_class", "date"]
    shaped = (
        present.join(kept, on=["region", "date"])
        .join(recent.select("region", "workload_class").unique(), on="region")
        .join(recent, on=["ts", "region", "workload_class"], how="left")
        .with_columns(pl.col("y").fill_null(0.0))
        .with_columns(day_mean=pl.col("y").mean().over(day))
        .filter(pl.col("day_mean") > 0)
        .select(
            *day,
            pl.col("ts").dt.hour().cast(pl.Int32).alias("hour"),
            (pl.col("y") / pl.col("day_mean")).alias("factor"),
        )
    )
    hours = pl.LazyFrame({"hour": range(HOURS_PER_DAY)}, schema={"hour": pl.Int32})
    return (
        shaped.select(day)
        .unique()
        .join(hours, how="cross")
        .join(shaped, on=[*day, "hour"], how="left")
        .with_columns(pl.col("factor").fill_null(1.0))
        .select(SHAPES_SCHEMA.names())
        .sort("date", "region", "workload_class", "hour")
        .collect()
        .cast(SHAPES_SCHEMA)
    )


def shape_library(shapes: pl.DataFrame, groups: list[tuple[str, str]]) -> np.ndarray:
    """(7 + dates, 24, groups) hourly factors: each weekday's average shape, then each date's.

    ``groups`` are (region, workload_class) pairs, the last axis. Entry ``w`` (0 = Monday) is
    a group's average over its dates of that weekday, else over all its dates, else flat 1.0;
    entry ``7 + i`` is the ``i``-th date of ``shapes`` (sorted), its average weekday's shape
    where the group has none that date. Every entry of every group averages 1 over its hours.
    """
    dates: list[date] = shapes["date"].unique().sort().to_list()
    library = np.ones((7 + len(dates), HOURS_PER_DAY, len(groups)))
    if shapes.is_empty() or not groups:
        return library
    position = {d: i for i, d in enumerate(dates)}
    keyed = {key: frame for key, frame in shapes.group_by("region", "workload_class")}
    weekday_of = np.array([d.weekday() for d in dates], dtype=np.int64)
    for g, group in enumerate(groups):
        frame = keyed.get(group)
        if frame is None:
            continue
        own = np.full((len(dates), HOURS_PER_DAY), np.nan)
        rows = np.array([position[d] for d in frame["date"].to_list()], dtype=np.int64)
        own[rows, frame["hour"].to_numpy()] = frame["factor"].to_numpy()
        present = ~np.isnan(own).any(axis=1)
        overall = own[present].mean(axis=0)
        for w in range(7):
            mine = present & (weekday_of == w)
            library[w, :, g] = own[mine].mean(axis=0) if mine.any() else overall
        library[7:, :, g] = np.where(present[:, None], own, library[weekday_of, :, g])
    return library


def drawn_days(
    shapes: pl.DataFrame, *, first_day: date, days: int, sample_ids: np.ndarray
) -> np.ndarray:
    """(paths, days) library entry of each path's day: a date of the same weekday drawn from
    ``shapes``' dates, or the weekday's average entry when there is none.

    The draw is a hash of (sample_id, calendar day), so a path keeps its hours on a subset of
    paths, on a shorter window and on a rerun.
    """
    dates: list[date] = shapes["date"].unique().sort().to_list()
    weekday = (np.arange(days) + first_day.weekday()) % 7
    out = np.broadcast_to(weekday, (len(sample_ids), days)).astype(np.int64)
    if not dates:
        return out
    by_weekday = [
        np.array([7 + i for i, d in enumerate(dates) if d.weekday() == w], dtype=np.int64)
        for w in range(7)
    ]
    ordinal = first_day.toordinal() + np.arange(days, dtype=np.uint64)
    keys = _mixed((sample_ids.astype(np.uint64)[:, None] << np.uint64(32)) ^ ordinal[None, :])
    for w, entries in enumerate(by_weekday):
        if entries.size == 0:
            continue
        cols = weekday == w
        out[:, cols] = entries[(keys[:, cols] % np.uint64(entries.size)).astype(np.int64)]
    return out


def _mixed(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: well-spread uint64s from keys that differ in a few bits."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
