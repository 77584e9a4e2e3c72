"""A plan that reaches past the lead times: the daily forecast extended by the growth models.

The short-horizon forecast (:mod:`forecasting.forecast`) is daily for the first weeks and is
chosen on 28-day backtests. A pod takes 32 weeks, a cell 90 and power years, so the plan must
reach further (DOMAIN.md, "Four timelines"). :func:`extend_horizon` adds, for every region and
every region's class (both measures), the growth models of :mod:`forecasting.longrange`,
chosen and calibrated on backtests at the decision horizon (26 weeks ahead):

- **Daily rows** move from the short model to the growth model with the lead
  (:func:`~forecasting.longrange.blend_daily`: the short model alone through day 28, the
  growth model alone from day 91), so what the planner acts on past a quarter is the model
  judged at the decision horizon. The total is left to the short model and reconciliation.
- **A region's classes add up to it** in the mean measure (:func:`_classes_adding_up`): scaled
  alike, day by day, so the region's model sets the level and the classes' own the mix. The
  peaks do not add up (classes peak at different hours), so each keeps its own.
- **Customers and paths follow their class.** Each customer series is scaled, day by day, by
  the ratio of its class's blended mean to its short-model mean (top-down by forecast
  proportions), so the dedicated-capacity offsets see the same growth as the triggers. The
  bottom-level sample paths, which the drills play, are moved onto their class's blended band
  by quantile mapping (:func:`_paths_in_bands`): each class's sum over its paths has the
  quantiles its rows show, and every path keeps its rank and its customer mix. Scaling the
  paths by the mean ratio put the drills' demand up to a third above the class's band where
  the short model's mean sat below its own paths (a bursty class whose paths are clipped at
  zero): on the demo the drills' us-west median read 1.34x its region's five months out, and
  on a 400-day fleet 7 of 8 drills read "plan fails unshocked" beside green triggers.
- **Monthly rows** (``grain`` = ``month``) carry each month's peak day to the plan horizon, for
  regions and classes from the growth models (not the total, which no trigger reads); a
  customer's monthly rows are its class's, times the customer's share of its class on the last
  daily day.
- **Both measures follow a shared change of growth only where the peaks do**
  (:mod:`forecasting.slope_change`): the peaks choose the growth model and test for the
  change; the means reuse the model and follow a change only where the peaks followed one.
- **A class never exceeds its region.** A class is part of its region on every path, so its
  mean and each quantile, daily and monthly, are held at or below the region's
  (:func:`_within_regions`); the series' ``plan_reason`` says from which day that bound held.
  Each growth model fits its series alone, and a lumpy class compounds its growth rate's
  uncertainty far past its region's.
- **Decision-horizon accuracy** (:func:`~forecasting.longrange.decision_backtest`) is measured
  for the total and each region's daily peak, the series the triggers act on: MAE against the
  seasonal naive and a log-linear trend, q10-q90 coverage, days above q90 and q50 bias.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from forecasting import hierarchy, longrange
from forecasting.capacity import CapacityPlan
from forecasting.forecast import ForecastResult
from forecasting.schema import QUANTILES, Measure, frame_schema, quantile_column

__all__ = [
    "ACCURACY_SCHEMA",
    "DECISION_HORIZON_DAYS",
    "MONTHS_SCHEMA",
    "Extended",
    "extend_horizon",
    "plan_months",
    "plan_months_for",
    "with_grain",
]

DECISION_HORIZON_DAYS = 182
MONTHS_SCHEMA = frame_schema("forecast_months")
ACCURACY_SCHEMA = frame_schema("horizon_accuracy")
_VALUES = ["mean", *(quantile_column(q) for q in QUANTILES)]


@dataclass(frozen=True, slots=True)
class Extended:
    """A forecast run reaching the plan horizon: the result with blended daily rows and scaled
    paths, its monthly rows, and the decision-horizon backtest."""

    result: ForecastResult
    months: pl.DataFrame  # unique_id, ds (month start), measure, model, mean, q10..q99
    accuracy: pl.DataFrame  # longrange.decision_backtest rows, with ``measure``
    horizon_months: int  # 0 when nothing is forecast past the daily days (``gap`` says why)
    gap: str | None = None
    change: str | None = None  # a growth change the run's series share, which the plan follows


def plan_months(
    *, minimum: int, lead_weeks: int = 0, power_lead_months: int = 0, buffer_weeks: int = 4
) -> int:
    """Months the plan must reach: ``minimum``, or the longest lead time plus the buffer."""
    lead = math.ceil((lead_weeks + buffer_weeks) * 7 / 30.44)
    power = power_lead_months + math.ceil(buffer_weeks * 7 / 30.44)
    return max(minimum, lead, power)


def plan_months_for(plan: CapacityPlan, *, minimum: int, buffer_weeks: int = 4) -> int:
    """:func:`plan_months` for ``plan``: its longest block lead time and site power lead time."""
    return plan_months(
        minimum=minimum,
        lead_weeks=max((c.lead_time_weeks for c in plan.candidate), default=0),
        power_lead_months=max((s.power_lead_months for s in plan.site), default=0),
        buffer_weeks=buffer_weeks,
    )


def with_grain(daily: pl.DataFrame, months: pl.DataFrame) -> pl.DataFrame:
    """What triggers and what-ifs read: the daily rows (``grain`` = ``day``) and the monthly
    rows (``grain`` = ``month``, a month's peak day), in the daily frame's columns."""
    days = daily.with_columns(pl.lit("day").alias("grain"))
    if months.is_empty():
        return days
    return pl.concat(
        [days, months.with_columns(pl.lit("month").alias("grain")).select(days.columns)]
    )


def _daily(series: pl.DataFrame, ids: list[str], measure: str, as_of: date) -> pl.DataFrame:
    return series.filter(
        (pl.col("measure") == measure) & pl.col("unique_id").is_in(ids) & (pl.col("ds") <= as_of)
    ).select("unique_id", "ds", "y")


def _ratios(short: pl.DataFrame, blended: pl.DataFrame) -> pl.DataFrame:
    """(unique_id, ds, ratio): blended mean over short mean, per class series and day."""
    return (
        blended.select("unique_id", "ds", pl.col("mean").alias("blended"))
        .join(short.select("unique_id", "ds", "mean"), on=["unique_id", "ds"])
        .select(
            pl.col("unique_id").alias("parent"),
            "ds",
            pl.when(pl.col("mean") > 0)
            .then(pl.col("blended") / pl.col("mean"))
            .otherwise(1.0)
            .alias("ratio"),
        )
    )


def _changed(blended: pl.DataFrame, short: pl.DataFrame) -> pl.DataFrame:
    """The class rows of ``blended`` on the days they differ from the short model's ``short``
    (the growth models' days, and days a class was held within its region)."""
    values = [c for c in _VALUES if c in blended.columns and c in short.columns]
    theirs = short.select("unique_id", "ds", *(pl.col(c).alias(f"{c}_short") for c in values))
    moved = pl.any_horizontal(
        (pl.col(c) - pl.col(f"{c}_short")).abs() > 1e-9 * (1.0 + pl.col(f"{c}_short").abs())
        for c in values
    )
    return (
        blended.filter(hierarchy.depth() == 2)
        .join(theirs, on=["unique_id", "ds"])
        .filter(moved)
        .select("unique_id", "ds", *values)
    )


def _scaled(frame: pl.DataFrame, ratios: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """``frame`` rows of customers scaled by their class's ratio on the same day."""
    return (
        frame.with_columns(hierarchy.parent().alias("parent"))
        .join(ratios, on=["parent", "ds"], how="left")
        .with_columns(
            pl.when(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
            .then(pl.col(c) * pl.col("ratio").fill_null(1.0))
            .otherwise(pl.col(c))
            .alias(c)
            for c in columns
        )
        .drop("parent", "ratio")
    )


def _leaf_group() -> pl.Expr:
    """A bottom-level path's class: its parent for a customer, itself for a class whose region
    has no customer series."""
    return (
        pl.when(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
        .then(hierarchy.parent())
        .otherwise(pl.col("unique_id"))
    )


def _band_at(level: pl.Expr, knots: list[tuple[float, str]]) -> pl.Expr:
    """The band's value at ``level``, linear between its quantile columns (``knots``: level,
    column, ascending); beyond the outer ones, the path sum (``total``) times the ratio of the
    outer column to the paths' own quantile there (``lo_paths``, ``hi_paths``)."""
    (low, low_col), high_col = knots[0], knots[-1][1]

    def ratio(column: str, own: str) -> pl.Expr:
        return (
            pl.when(pl.col(own) > 0)
            .then(pl.col("total") * pl.col(column) / pl.col(own))
            .otherwise(pl.col(column))
        )

    # Built from the top segment down, so each level takes the first segment that holds it.
    value = ratio(high_col, "hi_paths")
    for (a, a_col), (b, b_col) in reversed(list(itertools.pairwise(knots))):
        step = (level - a) / (b - a)
        within = pl.col(a_col) + step * (pl.col(b_col) - pl.col(a_col))
        value = pl.when(level <= b).then(within).otherwise(value)
    return pl.when(level <= low).then(ratio(low_col, "lo_paths")).otherwise(value)


def _paths_in_bands(paths: pl.DataFrame, bands: pl.DataFrame) -> pl.DataFrame:
    """``paths`` (bottom level) with each class's sum, on every day ``bands`` has its row, moved
    onto that row's quantiles.

    Quantile mapping per class and day: the path whose class sum ranks at level
    ``(rank - 1/2) / n`` among the ``n`` paths is scaled, all its customers by one factor, to
    the band's quantile at that level (linear between the band's quantile columns, by the ratio
    at the outer one beyond them). Each path keeps its rank and its customer mix; the class's
    paths then read the band the forecast rows and the triggers read. A class sum of zero
    stays zero. A class's own path rows scale with its customers'; rows above the classes
    are left as they were (only bottom-level paths are stored and played).
    """
    knots = [(q, quantile_column(q)) for q in QUANTILES if quantile_column(q) in bands.columns]
    if paths.is_empty() or bands.is_empty() or len(knots) < 2:
        return paths
    day = ["group", "ds"]
    (low, _), (high, _) = knots[0], knots[-1]
    # The paths of every level may be here; a class's sum is over its bottom-level ones.
    ids = paths.select(pl.col("unique_id").unique())
    leaves = ids.join(ids.select(hierarchy.parent().alias("unique_id")), on="unique_id", how="anti")
    factors = (
        paths.lazy()
        .join(leaves.lazy(), on="unique_id", how="semi")
        .with_columns(_leaf_group().alias("group"))
        .group_by(*day, "sample_id")
        .agg(pl.col("y").cast(pl.Float64).sum().alias("total"))
        .join(
            bands.lazy().select(pl.col("unique_id").alias("group"), "ds", *(c for _, c in knots)),
            on=day,
        )
        # Sorted, so that tied sums rank by sample id and a rerun maps every path alike.
        .sort(*day, "sample_id")
        .with_columns(
            ((pl.col("total").rank("ordinal") - 0.5) / pl.len()).over(day).alias("level"),
            pl.col("total").quantile(low, "linear").over(day).alias("lo_paths"),
            pl.col("total").quantile(high, "linear").over(day).alias("hi_paths"),
        )
        .select(
            *day,
            "sample_id",
            pl.when(pl.col("total") > 0)
            .then(_band_at(pl.col("level"), knots) / pl.col("total"))
            .otherwise(1.0)
            .alias("factor"),
        )
    )
    return (
        paths.lazy()
        .with_columns(_leaf_group().alias("group"))
        .join(factors, on=[*day, "sample_id"], how="left")
        .with_columns(pl.col("y") * pl.col("factor").fill_null(1.0))
        .select(paths.columns)
        .collect()
        .cast(paths.schema)
    )


def _customer_months(forecast: pl.DataFrame, months: pl.DataFrame, measure: str) -> pl.DataFrame:
    """A customer's monthly rows: its class's, times its share of the class on the last day."""
    values = [c for c in _VALUES if c in months.columns]
    rows = forecast.filter(pl.col("measure") == measure)
    last = rows["ds"].max()
    today = rows.filter(pl.col("ds") == last)
    customers = today.filter(hierarchy.depth() == hierarchy.BOTTOM_DEPTH).select(
        "unique_id", hierarchy.parent().alias("parent"), pl.col("mean").alias("own")
    )
    classes = today.select(pl.col("unique_id").alias("parent"), pl.col("mean").alias("whole"))
    shares = customers.join(classes, on="parent").select(
        "unique_id",
        "parent",
        pl.when(pl.col("whole") > 0)
        .then(pl.col("own") / pl.col("whole"))
        .otherwise(0.0)
        .alias("share"),
    )
    return shares.join(months.rename({"unique_id": "parent"}), on="parent").select(
        "unique_id",
        "ds",
        pl.lit("share of class").alias("model"),
        *(pl.col(c) * pl.col("share") for c in values),
    )


def _classes_adding_up(frame: pl.DataFrame, values: list[str]) -> pl.DataFrame:
    """``frame`` (regions and their classes, the mean measure) with each region's classes scaled
    alike, day by day, so that their means add up to the region's mean.

    Means add up; each growth model fits its series alone, so the classes' blended means need
    not: on the demo their sum read 8 % above us-west's mean five months out, and the drills,
    which play the classes' paths, met more demand than the region's band the pages show.
    The region's model is the one judged at the decision horizon, so it sets the level and the
    classes' own models the mix (top-down by forecast proportions, Athanasopoulos et al. 2009).
    Quantiles scale with the mean. Days on which they already add up are left as they are.
    """
    own = [c for c in values if c in frame.columns]
    region = frame.filter(hierarchy.depth() == 1).select(
        pl.col("unique_id").alias("parent"), "ds", pl.col("mean").alias("whole")
    )
    parts = (
        frame.filter(hierarchy.depth() == 2)
        .group_by(hierarchy.parent().alias("parent"), "ds")
        .agg(pl.col("mean").sum().alias("parts"))
    )
    factor = (
        region.join(parts, on=["parent", "ds"])
        .filter(
            (pl.col("parts") > 0)
            & ((pl.col("whole") - pl.col("parts")).abs() > 1e-9 * pl.col("parts"))
        )
        .select("parent", "ds", (pl.col("whole") / pl.col("parts")).alias("factor"))
    )
    return (
        frame.with_columns(hierarchy.parent().alias("parent"))
        .join(factor, on=["parent", "ds"], how="left")
        .with_columns(
            pl.when((hierarchy.depth() == 2) & pl.col("factor").is_not_null())
            .then(pl.col(c) * pl.col("factor"))
            .otherwise(pl.col(c))
            .alias(c)
            for c in own
        )
        .select(frame.columns)
    )


# A class's own band is held within its region's once it exceeds it by more than this share.
_HELD_TOL = 0.005


def _within_regions(frame: pl.DataFrame, values: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``frame`` (regions and their classes, one measure) with each class's values no higher
    than its region's on the same day, and (unique_id, held) saying from when that bound held.

    A class is part of its region on every path, so no quantile and no mean of the class can
    exceed the region's. The growth models fit each series alone: a lumpy training class of
    one customer compounded its growth rate's uncertainty to a 36-month q90 six times its
    region's (and a mean above its own q90), and the triggers ordered 579 pods ($23.7B) for a
    class of 5,120 GPUs. The region's band, fitted on more and smoother demand, bounds it.
    """
    own = [c for c in values if c in frame.columns]
    whole = frame.filter(hierarchy.depth() == 1).select(
        pl.col("unique_id").alias("parent"), "ds", *(pl.col(c).alias(f"{c}_whole") for c in own)
    )
    joined = frame.with_columns(hierarchy.parent().alias("parent")).join(
        whole, on=["parent", "ds"], how="left"
    )
    is_class = (hierarchy.depth() == 2) & pl.col(f"{own[0]}_whole").is_not_null()
    over = pl.any_horizontal(
        pl.col(c) > pl.col(f"{c}_whole") * (1 + _HELD_TOL) for c in own
    ).fill_null(False)
    held = (
        joined.filter(is_class & over)
        .group_by("unique_id")
        .agg(pl.col("ds").min().alias("from_day"))
        .select(
            "unique_id",
            pl.format(
                "its band held within its region's from {} (a class cannot exceed its "
                "region; its own growth model read more)",
                pl.col("from_day"),
            ).alias("held"),
        )
    )
    bounded = joined.with_columns(
        pl.when(is_class).then(pl.min_horizontal(c, f"{c}_whole")).otherwise(pl.col(c)).alias(c)
        for c in own
    ).select(frame.columns)
    return bounded, held


def extend_horizon(
    series: pl.DataFrame,
    result: ForecastResult,
    *,
    as_of: date,
    months: int,
    measure_accuracy: bool = True,
) -> Extended:
    """``result`` reaching ``months`` ahead (see the module docstring).

    ``series`` is the run's daily demand (DEMAND_SCHEMA or ``unique_id, ds, measure, y``).
    """
    forecast = result.forecast
    depth = hierarchy.depth()
    classes = (
        forecast.filter(depth.is_between(1, 2)).get_column("unique_id").unique().sort().to_list()
    )
    last = forecast["ds"].max() if forecast.height else as_of
    daily_days = (last - as_of).days if isinstance(last, date) else 0
    blended_parts, month_parts, accuracy_parts, plan_parts = [], [], [], []
    gap: str | None = None
    change: str | None = None
    ratios = pl.DataFrame(schema={"parent": pl.String, "ds": pl.Date, "ratio": pl.Float64})
    bands = pl.DataFrame(schema={"unique_id": pl.String, "ds": pl.Date})
    chosen: tuple[str, ...] = longrange.CANDIDATES
    followed = True
    # Peaks first: the triggers act on them, so their backtests choose the growth model; the
    # means (the same series' levels) reuse it and calibrate their own interval scale, which
    # spares four of the five candidates' backtests.
    for measure in (Measure.PEAK.value, Measure.MEAN.value):
        daily = _daily(series, classes, measure, as_of)
        if daily.is_empty():
            continue
        long = longrange.long_horizon_forecast(
            daily,
            as_of=as_of,
            months=months,
            daily_horizon_days=max(daily_days, 1),
            candidates=chosen,
            follow_change=followed,
        )
        if measure == Measure.PEAK.value:
            chosen = (long.model,)
            gap = long.gap
            change = long.change.describe() or None
            # The means follow a shared change only where the peaks (what the triggers read)
            # do: a mean that slowed beside a peak that did not would drift the paths, the
            # drills and the customers' shares away from the triggers by up to a fifth.
            followed = change is not None
        short = forecast.filter((pl.col("measure") == measure) & pl.col("unique_id").is_in(classes))
        blended = longrange.blend_daily(short, long.daily, as_of=as_of).join(
            short.select("unique_id", "ds"), on=["unique_id", "ds"], how="semi"
        )
        if measure == Measure.MEAN.value:
            blended = _classes_adding_up(blended, _VALUES)
        blended, held_daily = _within_regions(blended, _VALUES)
        blended_parts.append(blended.with_columns(pl.lit(measure).alias("measure")))
        if measure == Measure.MEAN.value:
            ratios = _ratios(short, blended)
            bands = _changed(blended, short)
        monthly, held_monthly = _within_regions(long.monthly.drop("grain", strict=False), _VALUES)
        held = pl.concat([held_daily, held_monthly]).unique("unique_id", keep="first")
        plan_parts.append(
            long.series.join(held, on="unique_id", how="left").select(
                "unique_id",
                pl.lit(measure).alias("measure"),
                pl.col("model").alias("plan_model"),
                pl.concat_str("reason", "held", separator="; ", ignore_nulls=True)
                .replace("", None)
                .alias("plan_reason"),
            )
        )
        customer_months = _customer_months(forecast, monthly, measure)
        month_parts.append(
            pl.concat([monthly, customer_months], how="diagonal_relaxed").with_columns(
                pl.lit(measure).alias("measure")
            )
        )
        if measure_accuracy and measure == Measure.PEAK.value:
            top = [hierarchy.TOTAL, *(c for c in classes if hierarchy.depth_of(c) == 1)]
            scored = series.filter(
                (pl.col("measure") == measure)
                & pl.col("unique_id").is_in(top)
                & (pl.col("ds") <= as_of)
            ).select("unique_id", "ds", "y")
            accuracy_parts.append(
                longrange.decision_backtest(
                    scored, horizon_days=DECISION_HORIZON_DAYS, as_of=as_of
                ).with_columns(pl.lit(measure).alias("measure"))
            )
    if not blended_parts:
        return Extended(
            result, pl.DataFrame(schema=MONTHS_SCHEMA), pl.DataFrame(schema=ACCURACY_SCHEMA), months
        )
    blended_all = pl.concat(blended_parts, how="diagonal_relaxed")
    keys = ["unique_id", "ds", "measure"]
    values = [c for c in _VALUES if c in forecast.columns]
    updated = (
        forecast.join(
            blended_all.select(*keys, *(pl.col(c).alias(f"{c}_b") for c in values)),
            on=keys,
            how="left",
        )
        .with_columns(pl.coalesce(f"{c}_b", c).alias(c) for c in values)
        .drop([f"{c}_b" for c in values])
    )
    updated = _scaled(updated, ratios, values).select(forecast.columns).cast(forecast.schema)
    paths = _paths_in_bands(result.paths, bands)
    monthly_all = pl.concat(month_parts, how="diagonal_relaxed")
    accuracy = (
        pl.concat(accuracy_parts, how="diagonal_relaxed")
        if accuracy_parts
        else pl.DataFrame(schema=ACCURACY_SCHEMA)
    )
    summary = result.summary
    if {"unique_id", "measure"} <= set(summary.columns):
        # Each series' growth model past the daily days, and why it fell back, for the pages.
        summary = (
            summary.drop("plan_model", "plan_reason", strict=False)
            .join(pl.concat(plan_parts), on=["unique_id", "measure"], how="left")
            .select(summary.columns)
            .cast(summary.schema)
        )
    return Extended(
        result=replace(result, forecast=updated, paths=paths, summary=summary),
        months=monthly_all.select(MONTHS_SCHEMA.names()).cast(MONTHS_SCHEMA),
        accuracy=accuracy.select(ACCURACY_SCHEMA.names()).cast(ACCURACY_SCHEMA),
        # A plan that stops at the daily days says so, rather than "36 months" of nothing.
        horizon_months=0 if gap else months,
        gap=gap,
        change=None if gap else change,
    )
