"""The hourly shapes of recent days per (region, workload class), to turn daily means into hours.

A drill's sample paths are daily means; the kernel runs hours. Each path's day takes, in each
(region, class), the shape of a day of recent history with the same weekday and a mean near
the path's (:func:`drawn_days`). An average hour-of-week shape would give every path the same
hours: the hour-to-hour scatter real days have would be missing, and a drill's busiest hours
too narrow (about a fifth of actual hours above the q90 of the hours a drill played, against a
tenth; ``benchmarks/accuracy_drill_day_shapes.py`` and README, "Shock drills").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from forecasting import demand, sums
from forecasting.schema import DAY_SHAPE_WEEKS

__all__ = [
    "HOURS_PER_DAY",
    "SHAPES_SCHEMA",
    "ShapeLibrary",
    "day_shapes",
    "drawn_days",
    "shape_library",
]

HOURS_PER_DAY = 24

SHAPES_SCHEMA = pl.Schema(
    {
        "date": pl.Date,
        "region": pl.String,
        "workload_class": pl.String,
        "hour": pl.Int32,
        "factor": pl.Float64,
        "day_mean": pl.Float64,  # the class's mean GPUs that day, to draw days of its level
    }
)


def day_shapes(
    hourly: pl.LazyFrame | pl.DataFrame,
    *,
    until: date | None = None,
    weeks: int = DAY_SHAPE_WEEKS,
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
    per_hour = sums.group_sums(frame.collect(), ["ts", "region", "workload_class"], "y")
    if per_hour.is_empty():
        return pl.DataFrame(schema=SHAPES_SCHEMA)
    last: date = per_hour["ts"].max().date()  # type: ignore[union-attr]  # a datetime: not empty
    recent = per_hour.filter(pl.col("ts").dt.date() > last - timedelta(days=7 * weeks))
    present = demand.present_hours(recent).with_columns(date=pl.col("ts").dt.date())
    kept = (
        present.group_by("region", "date")
        .agg(pl.len().alias("hours"))
        .filter(pl.col("hours") >= demand.MIN_HOURS_PER_DAY)
        .select("region", "date")
    )
    day = ["region", "workload_class", "date"]
    hours_of_days = (
        present.join(kept, on=["region", "date"])
        .join(recent.lazy().select("region", "workload_class").unique(), on="region")
        .join(recent.lazy(), on=["ts", "region", "workload_class"], how="left")
        .with_columns(pl.col("y").fill_null(0.0))
        .collect()
    )
    means = (
        sums.group_sums(hours_of_days, day, "y")
        .select(*day, (pl.col("y") / pl.col("rows")).alias("day_mean"))
        .filter(pl.col("day_mean") > 0)
    )
    shaped = hours_of_days.join(means, on=day).select(
        *day,
        pl.col("ts").dt.hour().cast(pl.Int32).alias("hour"),
        (pl.col("y") / pl.col("day_mean")).alias("factor"),
    )
    hours = pl.DataFrame({"hour": range(HOURS_PER_DAY)}, schema={"hour": pl.Int32})
    return (
        means.join(hours, how="cross")
        .join(shaped, on=[*day, "hour"], how="left")
        .with_columns(pl.col("factor").fill_null(1.0))
        .select(SHAPES_SCHEMA.names())
        .sort("date", "region", "workload_class", "hour")
        .cast(SHAPES_SCHEMA)
    )


@dataclass(frozen=True, slots=True)
class ShapeLibrary:
    """The day shapes a drill draws from, per (region, workload_class) group.

    Entry ``w`` < 7 is weekday ``w``'s average shape (0 = Monday), the shape of a day drawn
    from no history; entry ``7 + i`` is the ``i``-th date of the shapes, sorted.
    """

    factors: np.ndarray  # (entries, 24, groups), every entry of every group averaging 1
    day_mean: np.ndarray  # (entries, groups) a group's mean GPUs that date; NaN: not drawn
    weekday: np.ndarray  # (entries,) int64


def shape_library(shapes: pl.DataFrame, groups: list[tuple[str, str]]) -> ShapeLibrary:
    """Each group's weekday averages and dated shapes (``groups`` are (region, class) pairs).

    A weekday's average is over the group's dates of that weekday, else over all its dates,
    else flat 1.0. A date the group has no shape on takes its weekday's average there and is
    never drawn for it (its ``day_mean`` is NaN).
    """
    dates: list[date] = shapes["date"].unique().sort().to_list()
    entries = 7 + len(dates)
    weekday = np.concatenate([np.arange(7), [d.weekday() for d in dates]]).astype(np.int64)
    factors = np.ones((entries, HOURS_PER_DAY, len(groups)))
    means = np.full((entries, len(groups)), np.nan)
    if shapes.is_empty() or not groups:
        return ShapeLibrary(factors, means, weekday)
    position = {d: i for i, d in enumerate(dates)}
    keyed = {key: frame for key, frame in shapes.group_by("region", "workload_class")}
    for g, group in enumerate(groups):
        frame = keyed.get(group)
        if frame is None:
            continue
        own = np.full((len(dates), HOURS_PER_DAY), np.nan)
        rows = np.array([position[d] for d in frame["date"].to_list()], dtype=np.int64)
        own[rows, frame["hour"].to_numpy()] = frame["factor"].to_numpy()
        means[7 + rows, g] = frame["day_mean"].to_numpy()
        present = ~np.isnan(own).any(axis=1)
        overall = own[present].mean(axis=0)
        for w in range(7):
            mine = present & (weekday[7:] == w)
            factors[w, :, g] = own[mine].mean(axis=0) if mine.any() else overall
        factors[7:, :, g] = np.where(present[:, None], own, factors[weekday[7:], :, g])
    return ShapeLibrary(factors, means, weekday)


def drawn_days(
    library: ShapeLibrary, levels: np.ndarray, *, first_day: date, sample_ids: np.ndarray
) -> np.ndarray:
    """(paths, days, groups) library entry of each path's day in each group.

    ``levels`` (paths, days, groups) are the paths' daily means. A path's day takes one of
    the ``ceil(sqrt(n))`` of the group's ``n`` dates with its weekday whose mean is nearest
    its level (in log terms), at random: a day's shape goes with its level, and a lumpy class
    (a training run that ended, another that started hours later) has days whose whole mean
    sat in a few hours; played at a full day's level such a shape asks for GPUs the class
    never ran. The nearest-neighbour resampling of daily totals into their hours is the
    "method of fragments" of rainfall disaggregation. A group without a date of the weekday
    takes the weekday's average entry. The draw is a hash of (sample_id, calendar day,
    group), so a path keeps its hours on a subset of paths, on a shorter window and on a rerun.
    """
    _, days, groups = levels.shape
    weekday = (np.arange(days) + first_day.weekday()) % 7
    # order="C": astype keeps a broadcast's strides (days outermost) for more than one path
    # or group, and the drill kernel, compiled for C-contiguous arrays, would compile a second
    # time (a minute of CPU on 2 cores) for that layout.
    out = np.broadcast_to(weekday[None, :, None], levels.shape).astype(np.int64, order="C")
    ordinal = first_day.toordinal() + np.arange(days, dtype=np.uint64)
    keys = _mixed((sample_ids.astype(np.uint64)[:, None] << np.uint64(32)) ^ ordinal[None, :])
    wanted = np.log1p(np.maximum(levels, 0.0))
    for g in range(groups):
        for w in range(7):
            entries = np.flatnonzero((library.weekday == w) & ~np.isnan(library.day_mean[:, g]))
            cols = np.flatnonzero(weekday == w)
            if entries.size == 0 or cols.size == 0:
                continue
            k = math.ceil(math.sqrt(entries.size))
            have = np.log1p(library.day_mean[entries, g])
            distance = np.abs(wanted[:, cols, g][..., None] - have)  # (paths, cols, entries)
            nearest = np.argsort(distance, axis=-1, kind="stable")[..., :k]
            pick = (_mixed(keys[:, cols] ^ np.uint64(g + 1)) % np.uint64(k)).astype(np.int64)
            chosen = np.take_along_axis(nearest, pick[..., None], axis=-1)[..., 0]
            out[:, cols, g] = entries[chosen]
    return out


def _mixed(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: well-spread uint64s from keys that differ in a few bits."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
