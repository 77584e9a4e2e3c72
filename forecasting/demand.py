"""Hourly telemetry demand -> daily demand series at every level of the hierarchy.

Demand is served + queued GPUs (DOMAIN.md: a planner that forecasts usage forecasts its own
ceiling). The output is the long frame of ARCHITECTURE.md, one row per series, day and
measure:

- ``mean``: the day's mean GPUs; additive, so a parent's mean is the sum of its children's.
- ``peak``: the day's peak-hour GPUs of the series' own hourly sum (peaks do not add up).

Levels, from the top: ``total``, ``total/<region>``, ``total/<region>/<class>``,
``total/<region>/<class>/<customer>``, each name escaped by :mod:`forecasting.hierarchy` so a
``/`` inside a name stays one level. Per class only the top customers by recent demand keep
their own series; the rest are summed into ``other`` so the bottom level stays forecastable.

Missing is not zero, and zero is not missing. The outage rule (keyword-only options of
:func:`demand_series`, :func:`present_hours` and :func:`outage_hours`, defaults documented there):

- an hour that has rows for a region is present, even when every row reads zero: an idle
  serving region at night, or a customer using a hundredth of a GPU, is real zero demand;
- an outage is a gap: no rows for a region in an hour while the region reported before and
  after it (hours before a region's first row are not its history, nor are stray leading
  rows, :func:`reporting_starts`; hours after its last row are missing too, since nothing
  says the region stopped);
- the total is whole on a day when every region in it is; a region silent at the end for more
  than ``REGION_ENDED_DAYS`` (28) has ended for the total, which counts it up to its last
  report only (its own series still reads the silence as missing, and is flagged);
- a region with rows in too few hours to be a feed (:func:`stray_regions`: under a week of
  hours and under a tenth of the hours the fleet reported, e.g. one row under a misspelt name)
  never leaves the total unknown: the total holds its rows in the hours they were written and
  nothing in the rest (its own series still reads its hours without rows as missing);
- an hour that an outage window overlaps (``outages``: the windows a trace adapter found, see
  :meth:`forecasting.traces.TraceReport.outage_calendar`, or an outage calendar file, see
  :func:`forecasting.traces.outages.read_outage_calendar`) is an outage even if it has rows;
- ``zero_is_outage=True`` restores the older rule, under which an hour whose rows are all zero
  is missing too; use it only for telemetry that writes zeros when its collector fails.

A day with fewer than ``min_hours_per_day`` present hours gets a null ``y`` (and so does every
aggregate over it).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

import polars as pl

from forecasting import hierarchy, sums
from forecasting.schema import DEMAND_SCHEMA, REGION_ENDED_DAYS, TOTAL, Measure

__all__ = [
    "FEED_MIN_SHARE",
    "FOLD_LOOKBACK_DAYS",
    "MIN_HOURS_PER_DAY",
    "OTHER",
    "OUTAGE_WINDOW_COLUMNS",
    "QUIET_LOOKBACK_DAYS",
    "SILENT_MIN_HOURS",
    "STRAY_GAP",
    "STRAY_RUN",
    "demand_series",
    "outage_hours",
    "present_hours",
    "reporting_starts",
    "silent_customers",
    "stray_regions",
    "top_customers",
]

OTHER = "other"
# The days a customer's size is read over when the largest of each class keep their own
# series and the rest fold into OTHER (top_customers).
FOLD_LOOKBACK_DAYS = 90
# A day with fewer present hours than this is missing: its mean would be a few hours' mean.
MIN_HOURS_PER_DAY = 20
_LEVEL_KEYS: tuple[tuple[str, ...], ...] = (
    (),
    ("region",),
    ("region", "workload_class"),
    ("region", "workload_class", "customer"),
)


def _lazy(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


OUTAGE_WINDOW_COLUMNS: tuple[str, ...] = ("region", "start", "end")
"""Columns of an outage window frame: ``region`` (null or absent = every region), ``start`` and
``end`` (UTC datetimes, ``end`` exclusive). Extra columns (``reason``) are ignored."""


def _window_hours(outages: pl.DataFrame | pl.LazyFrame, regions: pl.LazyFrame) -> pl.LazyFrame:
    """(region, ts) of every hour that an outage window overlaps, for the regions given."""
    windows = _lazy(outages)
    names = windows.collect_schema().names()
    missing = [c for c in ("start", "end") if c not in names]
    if missing:
        raise ValueError(
            f"outage windows lack columns {missing}; give start and end (UTC, end exclusive) "
            "and optionally region, as forecasting.traces.outages.read_outage_calendar returns"
        )
    ts_type = pl.Datetime("us", "UTC")
    windows = windows.select(
        (pl.col("region") if "region" in names else pl.lit(None, pl.String)).alias("w_region"),
        pl.col("start").cast(ts_type).dt.truncate("1h").alias("first"),
        # The last hour the window touches: the one holding the instant just before its end.
        (pl.col("end").cast(ts_type) - timedelta(microseconds=1)).dt.truncate("1h").alias("last"),
    ).filter(pl.col("last") >= pl.col("first"))
    hours = windows.select(
        "w_region", pl.datetime_ranges("first", "last", interval="1h").alias("ts")
    ).explode("ts")
    return (
        hours.join(regions, how="cross")
        .filter(pl.col("w_region").is_null() | (pl.col("w_region") == pl.col("region")))
        .select("region", "ts")
        .unique()
    )


def present_hours(
    hourly: pl.DataFrame | pl.LazyFrame,
    *,
    zero_is_outage: bool = False,
    outages: pl.DataFrame | pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """(region, ts) of hours with telemetry: at least one row, outside every outage window.

    Rows that read zero count as telemetry (zero demand) unless ``zero_is_outage`` (default
    False) says that an hour whose rows are all zero is missing. ``outages`` are windows
    (:data:`OUTAGE_WINDOW_COLUMNS`) whose overlapped hours are missing whatever rows they hold.
    """
    by_hour = _lazy(hourly).group_by("region", "ts").agg(pl.col("y").sum().alias("region_y"))
    if zero_is_outage:
        by_hour = by_hour.filter(pl.col("region_y") > 0)
    present = by_hour.select("region", "ts")
    if outages is not None:
        regions = present.select("region").unique()
        present = present.join(_window_hours(outages, regions), on=["region", "ts"], how="anti")
    return present


# A region's history starts after its stray leading rows: runs of rows spanning a day at most,
# four weeks (a growth block) or more before its next row. One row stamped months early read
# its span from there, and `demand` counted 5,234 outage hours before the region's first day.
STRAY_RUN = timedelta(days=1)
STRAY_GAP = timedelta(days=28)


def reporting_starts(hours: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """(region, start): each region's first hour of ``hours`` (region, ts) after its stray
    leading rows (``STRAY_RUN``, ``STRAY_GAP``); its first hour where it has none."""
    runs = (
        _lazy(hours)
        .select("region", "ts")
        .unique()
        .sort("region", "ts")
        .with_columns(
            run=(pl.col("ts") - pl.col("ts").shift(1) >= STRAY_GAP)
            .fill_null(False)
            .cum_sum()
            .over("region")
        )
        .group_by("region", "run")
        .agg(pl.col("ts").min().alias("start"), pl.col("ts").max().alias("end"))
        .sort("region", "run")
        .with_columns(last=pl.col("run") == pl.col("run").max().over("region"))
    )
    # A run is stray while every run before it was: short, with a run after it.
    stray = ((pl.col("end") - pl.col("start") <= STRAY_RUN) & ~pl.col("last")).cast(pl.Int8)
    return (
        runs.with_columns(leading=stray.cum_min().over("region"))
        .filter(pl.col("leading") == 0)
        .group_by("region")
        .agg(pl.col("start").min())
        .sort("region")
        .collect()
    )


def outage_hours(
    hourly: pl.DataFrame | pl.LazyFrame,
    *,
    zero_is_outage: bool = False,
    outages: pl.DataFrame | pl.LazyFrame | None = None,
) -> pl.DataFrame:
    """(region, ts) of outage hours: missing between a region's first and last reported hour
    (its first after any stray leading rows: :func:`reporting_starts`).

    A gap with no rows, or an hour an outage window overlaps, is an outage; an hour whose rows
    read zero is zero demand (unless ``zero_is_outage``). Options as in :func:`present_hours`.
    """
    present = present_hours(hourly, zero_is_outage=zero_is_outage, outages=outages).collect()
    if present.is_empty():
        return pl.DataFrame(schema={"region": pl.String, "ts": pl.Datetime("us", "UTC")})
    # The span is the hours the region reported in, outage windows included: a window that
    # covers the region's first or last rows is an outage too, not the edge of its history.
    reported = (
        _lazy(hourly)
        .group_by("region")
        .agg(pl.col("ts").max().alias("end"))
        .collect()
        .join(reporting_starts(hourly), on="region")
    )
    every = reported.select(
        "region",
        pl.datetime_ranges("start", "end", interval="1h").alias("ts"),
    ).explode("ts")
    return every.join(present, on=["region", "ts"], how="anti").sort("region", "ts")


def top_customers(
    hourly: pl.DataFrame | pl.LazyFrame,
    *,
    per_class: int,
    lookback_days: int = FOLD_LOOKBACK_DAYS,
    named: Collection[tuple[str, str]] = (),
) -> pl.LazyFrame:
    """(workload_class, customer) of the ``per_class`` largest customers of each class, and
    the ``named`` (workload_class, customer) pairs whatever their size.

    Size is demand over the last ``lookback_days``, summed over regions, so a customer keeps
    one identity across regions; each region's part is its demand per hour the region
    reported in them, so a region whose feed is a few days late shrinks no customer: summed
    instead, eu-west 3 days silent cut its customers' sizes by 3 %, two customers swapped
    places at the fold, and us-east's experimentation class (telemetry unchanged) lost one
    customer's series and gained another's. ``named`` are the customers of the contract book:
    a contract floors its customer's own series, so that customer must not be folded into
    ``other`` (its usage would count once in the tail and again under the contract). They come
    on top of the ``per_class`` largest.
    """
    lf = _lazy(hourly)
    recent = lf.filter(pl.col("ts") > pl.col("ts").max() - timedelta(days=lookback_days))
    hours = recent.group_by("region").agg(pl.col("ts").n_unique().alias("hours"))
    largest = (
        recent.group_by("workload_class", "customer", "region")
        .agg(pl.col("y").sum().alias("size"))
        .join(hours, on="region")
        .group_by("workload_class", "customer")
        .agg((pl.col("size") / pl.col("hours")).sum().alias("size"))
        .filter(pl.col("customer") != OTHER)
        .with_columns(
            pl.col("size").rank("ordinal", descending=True).over("workload_class").alias("rank")
        )
        .filter(pl.col("rank") <= per_class)
        .select("workload_class", "customer")
    )
    kept = pl.LazyFrame(
        sorted(set(named)),
        schema={"workload_class": pl.String(), "customer": pl.String()},
        orient="row",
    ).filter(pl.col("customer") != OTHER)
    return pl.concat([largest, kept]).unique(maintain_order=True)


# Sums run on integer micro-GPUs: integer addition gives the same result in any order, and
# polars' parallel group_by adds floats in no fixed order (totals moved by ~1e-12 from one
# run to the next, which ETS fits amplified to ~1e-4 in the forecasts).
_MICRO = 1_000_000


def _exact_sum(column: str) -> pl.Expr:
    """The sum of ``column`` to a millionth of a GPU, the same whatever the row order."""
    return sums.exact_sum(pl.col(column), scale=_MICRO)


def _daily_level(
    bottom: pl.LazyFrame, valid_days: pl.LazyFrame, keys: tuple[str, ...]
) -> pl.LazyFrame:
    """Daily mean and peak of one level's own hourly sums, nulls on invalid days."""
    region_keyed = "region" in keys
    hourly = bottom.group_by("ts", *keys).agg(_exact_sum("y").alias("y"))
    # Hours at this level count only where every region it spans has telemetry.
    stats = (
        hourly.with_columns(pl.col("ts").dt.date().alias("day"))
        .group_by("day", *keys)
        .agg(_exact_sum("y").alias("sum_y"), pl.col("y").max().alias("peak"))
    )
    series = bottom.select(*keys).unique() if keys else pl.LazyFrame({"__one": [1]})
    grid = (
        series.join(valid_days, on="region", how="inner")
        if region_keyed
        else series.join(valid_days, how="cross").drop("__one")
    )
    return (
        grid.join(stats, on=["day", *keys], how="left", nulls_equal=True)
        .with_columns(
            pl.when(pl.col("valid"))
            .then(pl.col("sum_y").fill_null(0.0) / pl.col("hours"))
            .alias(Measure.MEAN.value),
            pl.when(pl.col("valid")).then(pl.col("peak").fill_null(0.0)).alias(Measure.PEAK.value),
            hierarchy.unique_id(keys).alias("unique_id"),
        )
        .select(
            "unique_id",
            pl.col("day").alias("ds"),
            *[
                (pl.col(k) if k in keys else pl.lit(None, pl.String)).alias(k)
                for k in ("region", "workload_class", "customer")
            ],
            Measure.MEAN.value,
            Measure.PEAK.value,
        )
        .unpivot(
            index=["unique_id", "ds", "region", "workload_class", "customer"],
            on=[Measure.MEAN.value, Measure.PEAK.value],
            variable_name="measure",
            value_name="y",
        )
    )


# A customer's last rows are judged against the four weeks before them.
QUIET_LOOKBACK_DAYS = 28
# ... and a feed that wrote every hour for less than a week of its region's hours is a short
# client, not a feed that broke.
SILENT_MIN_HOURS = 7 * 24


# A region is a feed once it has written rows in a week of hours (SILENT_MIN_HOURS, the
# evidence a customer's feed needs) or in a tenth of the hours the fleet reported (a young
# fleet's regions are all short of a week). A misspelt region's stray row was 1 hour of a
# synthetic fleet's 1,440 (0.07 %); the demo's regions and the synthetic fleet's wrote 99.5 %
# or more of their fleet's hours, and each trace adapter writes one region.
FEED_MIN_SHARE = 0.1


def stray_regions(
    hourly: pl.DataFrame | pl.LazyFrame,
    *,
    min_hours: int = SILENT_MIN_HOURS,
    min_share: float = FEED_MIN_SHARE,
    min_hours_per_day: int = MIN_HOURS_PER_DAY,
) -> pl.DataFrame:
    """The regions whose rows are too few to be a feed, and that would have left a day of the
    total unknown: rows in fewer than ``min_hours`` (default ``SILENT_MIN_HOURS``, a week)
    and fewer than ``min_share`` (default 0.1) of the hours the fleet has rows in, and short of
    ``min_hours_per_day`` hours on a day from their first to the fleet's last. ``hourly``
    has ts (hour) and region, and ``rows`` (the telemetry rows behind each) where it is not
    one a row. Columns: region, rows, hours, days (with rows), first, last (hours),
    fleet_hours.

    Such a region's hours without rows say nothing about its demand (one row under a
    misspelt name, a test export): waiting on them left the fleet's total unknown from its
    first row on, so the total counts its rows and nothing else (:func:`demand_series`). One
    region holding every row is the fleet, however short, and so are regions that would all
    be stray.
    """
    given = _lazy(hourly)
    rows = pl.col("rows") if "rows" in given.collect_schema().names() else pl.lit(1)
    lf = given.select("ts", "region", rows.cast(pl.Int64).alias("rows"))
    last_day = lf.select(pl.col("ts").max().dt.date()).collect().item()
    if last_day is None:
        return pl.DataFrame(
            schema={
                "region": pl.String, "rows": pl.Int64, "hours": pl.Int64, "days": pl.Int64,
                "first": pl.Datetime("us", "UTC"), "last": pl.Datetime("us", "UTC"),
                "fleet_hours": pl.Int64,
            }
        )  # fmt: skip
    fleet_hours = lf.select(pl.col("ts").n_unique()).collect().item()
    per_day = (
        lf.select("ts", "region")
        .unique()
        .group_by("region", pl.col("ts").dt.date().alias("day"))
        .agg(pl.len().alias("n"))
        .group_by("region")
        .agg(
            pl.col("n").sum().cast(pl.Int64).alias("hours"),
            pl.len().cast(pl.Int64).alias("days"),
            pl.col("day").min().alias("first_day"),
            (pl.col("n") >= min_hours_per_day).sum().alias("whole"),
        )
    )
    spans = lf.group_by("region").agg(
        pl.col("rows").sum(),
        pl.col("ts").min().alias("first"),
        pl.col("ts").max().alias("last"),
    )
    regions = per_day.join(spans, on="region").collect()
    # A day of its span without enough hours is one it would have left the total unknown on.
    span_days = (pl.lit(last_day) - pl.col("first_day")).dt.total_days() + 1
    stray = (
        regions.filter(
            (pl.col("hours") < min_hours)
            & (pl.col("hours") < min_share * fleet_hours)
            & (pl.col("whole") < span_days)
        )
        .select(
            "region",
            "rows",
            "hours",
            "days",
            "first",
            "last",
            pl.lit(fleet_hours, pl.Int64).alias("fleet_hours"),
        )
        .sort("region")
    )
    return stray.clear() if stray.height == regions.height else stray


def demand_series(
    hourly: pl.DataFrame | pl.LazyFrame,
    *,
    customers_per_class: int = 10,
    min_hours_per_day: int = MIN_HOURS_PER_DAY,
    lookback_days: int = FOLD_LOOKBACK_DAYS,
    zero_is_outage: bool = False,
    outages: pl.DataFrame | pl.LazyFrame | None = None,
    named_customers: Collection[tuple[str, str]] = (),
) -> pl.DataFrame:
    """The daily demand frame (DEMAND_SCHEMA) at every level from hourly demand.

    ``hourly`` has ts (hour, UTC), region, workload_class, customer and y (served + queued
    GPUs), as :meth:`Warehouse.hourly_demand` returns it. The outage rule (module docstring):
    an hour without rows for a region, or that an ``outages`` window overlaps, is missing; an
    hour whose rows read zero is zero demand, unless ``zero_is_outage`` (default False). A day
    with fewer than ``min_hours_per_day`` (default 20) present hours is null.
    ``named_customers`` (workload_class, customer) keep their own series whatever their size
    (:func:`top_customers`). A region of :func:`stray_regions` (too few rows to be a feed)
    adds its rows to the total's hours and leaves none of its days unknown.
    """
    if not 1 <= min_hours_per_day <= 24:
        raise ValueError(f"min_hours_per_day must be within 1..24, got {min_hours_per_day}")
    lf = _lazy(hourly).select("ts", "region", "workload_class", "customer", "y")
    # Held once: every level below reads the present hours and the bottom rows again. A
    # region's history starts after its stray leading rows: one row stamped on day 5 of a
    # region launched on day 60 held the total unknown for the 55 days between.
    hours = present_hours(lf, zero_is_outage=zero_is_outage, outages=outages).collect()
    present = (
        hours.join(reporting_starts(hours), on="region")
        .filter(pl.col("ts") >= pl.col("start"))
        .drop("start")
        .lazy()
    )
    keep = top_customers(
        lf, per_class=customers_per_class, lookback_days=lookback_days, named=named_customers
    )
    bottom = (
        lf.join(present, on=["region", "ts"], how="semi")
        .join(
            keep.with_columns(pl.lit(True).alias("kept")),
            on=["workload_class", "customer"],
            how="left",
        )
        .with_columns(
            pl.when(pl.col("kept"))
            .then(pl.col("customer"))
            .otherwise(pl.lit(OTHER))
            .alias("customer")
        )
        .group_by("ts", "region", "workload_class", "customer")
        .agg(_exact_sum("y").alias("y"))
        .collect()
        .lazy()
    )
    last_day = present.select(pl.col("ts").max().dt.date()).collect().item()
    if last_day is None:
        return pl.DataFrame(schema=DEMAND_SCHEMA)
    region_days = (
        present.with_columns(pl.col("ts").dt.date().alias("day"))
        .group_by("region", "day")
        .agg(pl.len().cast(pl.Int64).alias("hours"))
    )
    spans = region_days.group_by("region").agg(
        pl.col("day").min().alias("first"), pl.col("day").max().alias("last")
    )
    valid_region_days = (
        spans.select("region", pl.date_ranges("first", pl.lit(last_day)).alias("day"))
        .explode("day")
        .join(region_days, on=["region", "day"], how="left")
        .with_columns(pl.col("hours").fill_null(0))
        .with_columns((pl.col("hours") >= min_hours_per_day).alias("valid"))
    )
    # The regions the total holds each day: from their first report on, and past their last
    # only while the silence is short enough to be a feed to fix (see REGION_ENDED_DAYS).
    ended = pl.lit(last_day) - pl.col("last") > timedelta(days=REGION_ENDED_DAYS)
    # A region with too few rows to be a feed is not waited on: its rows join the total's
    # hours below, and its hours without rows hold nothing for the total.
    stray = stray_regions(lf, min_hours_per_day=min_hours_per_day)["region"].to_list()
    in_total = (
        valid_region_days.join(spans.select("region", "last"), on="region")
        .filter(~ended | (pl.col("day") <= pl.col("last")))
        .filter(~pl.col("region").is_in(stray))
        .drop("last")
    )
    # The total is valid on a day when every region it holds that day is; its hours are the
    # hours present in all of them, which is what its hourly sum covers.
    total_days = in_total.group_by("day").agg(
        pl.col("valid").all(), pl.col("hours").min().alias("hours")
    )
    complete_hours = (
        present.filter(~pl.col("region").is_in(stray))
        .group_by("ts")
        .agg(pl.len().alias("n"))
        .join(
            in_total.group_by("day").agg(pl.len().alias("regions")),
            left_on=pl.col("ts").dt.date(),
            right_on="day",
        )
        .filter(pl.col("n") == pl.col("regions"))
        .select("ts")
    )
    frames = []
    for keys in _LEVEL_KEYS:
        if keys:
            frames.append(_daily_level(bottom, valid_region_days, keys))
        else:
            frames.append(
                _daily_level(bottom.join(complete_hours, on="ts", how="semi"), total_days, keys)
            )
    levels = pl.concat(frames, how="vertical_relaxed")
    # The total's mean is the sum of its regions' means, so history is coherent like the
    # forecasts; a region missing that day leaves the total unknown rather than too low.
    total_mean = (
        levels.filter(
            pl.col("region").is_not_null()
            & pl.col("workload_class").is_null()
            & (pl.col("measure") == Measure.MEAN.value)
        )
        .join(in_total.select("region", pl.col("day").alias("ds")), on=["region", "ds"])
        .group_by("ds")
        .agg(pl.when(pl.col("y").null_count() == 0).then(_exact_sum("y")).alias("total_mean"))
    )
    if stray:
        # The stray regions' rows in the total's hours, over the hours the total's mean is of.
        stray_mean = (
            bottom.filter(pl.col("region").is_in(stray))
            .join(complete_hours, on="ts", how="semi")
            .group_by(pl.col("ts").dt.date().alias("ds"))
            .agg(_exact_sum("y").alias("stray_y"))
            .join(total_days.select(pl.col("day").alias("ds"), "hours"), on="ds")
            .select("ds", (pl.col("stray_y") / pl.col("hours")).alias("stray_mean"))
        )
        total_mean = (
            total_mean.join(stray_mean, on="ds", how="left")
            .with_columns(pl.col("total_mean") + pl.col("stray_mean").fill_null(0.0))
            .drop("stray_mean")
        )
    return (
        levels.join(total_mean, on="ds", how="left")
        .with_columns(
            pl.when((pl.col("unique_id") == TOTAL) & (pl.col("measure") == Measure.MEAN.value))
            .then(pl.col("total_mean"))
            .otherwise(pl.col("y"))
            .alias("y")
        )
        .select(DEMAND_SCHEMA.names())
        .cast(DEMAND_SCHEMA)
        .sort("unique_id", "measure", "ds")
        .collect()
    )


def silent_customers(
    reports: pl.DataFrame,
    *,
    min_cover: float = 0.9,
    min_share: float = 0.01,
    min_hours: int = SILENT_MIN_HOURS,
) -> pl.DataFrame:
    """The customers whose feed looks broken, not idle, from
    :meth:`~forecasting.warehouse.Warehouse.quiet_customers`: rows (zero rows too) in at
    least ``min_cover`` of their region's hours before they stopped, over at least
    ``min_hours`` of them, and at least ``min_share`` of its demand then. Columns: region,
    workload_class, customer, last_report, silent_days (whole days to the region's last
    row), cover, share, region_hours (the region's hours that cover is a share of).

    A customer that reports only when busy (most exporters) is idle when its rows stop, and
    its days read zero, rightly. One that wrote a row every hour, zeros included, and stopped
    while its region went on reporting has most likely lost its feed: its days still read
    zero (nothing says it did not leave), so the run says so beside them. (Helios' largest VC,
    45 % of demand, stopped 8 days before the end: forecast at 0 GPUs, and nothing said so.)
    A row in every one of a day's hours is no evidence of a feed: ServeGen publishes two
    models for one day, and each read "wrote a row in 100 % of the region's hours" and "if its
    feed broke, backfill it" (24 of the trace's 336 hours), so the rule wants a week of them.
    """
    return (
        reports.with_columns(
            silent_days=((pl.col("region_last") - pl.col("last_report")).dt.total_hours() // 24),
            cover=pl.col("reported_hours") / pl.col("region_hours"),
            share=pl.col("customer_gpu_hours") / pl.col("region_gpu_hours"),
        )
        .filter(
            (pl.col("cover") >= min_cover)
            & (pl.col("share") >= min_share)
            & (pl.col("region_hours") >= min_hours)
        )
        .select(
            "region",
            "workload_class",
            "customer",
            "last_report",
            "silent_days",
            "cover",
            "share",
            "region_hours",
        )
        .sort(
            "share", "region", "workload_class", "customer", descending=[True, False, False, False]
        )
    )
