"""A plan that reaches past the lead times: the daily forecast extended by the growth models.

The short-horizon forecast (:mod:`forecasting.forecast`) is daily for the first weeks and is
chosen on 28-day backtests. A pod takes 32 weeks, a cell 90 and power years, so the plan must
reach further (DOMAIN.md, "Four timelines"). :func:`extend_horizon` adds, for every region and
every region's class (both measures), the growth models of :mod:`forecasting.longrange`,
chosen and calibrated on backtests at the decision horizon (26 weeks ahead):

- **Daily rows** move from the short model to the growth model with the lead
  (:func:`~forecasting.longrange.blend_daily`: the short model alone through day 28, the
  growth model alone from day 91), so what the planner acts on past a quarter is the model
  judged at the decision horizon. The total moves as its regions do
  (:func:`_total_with_its_regions`: scaled by their summed mean's move, so its mean stays their
  sum): left to the short model, it read a quarter below its regions six months out. Its
  mean-measure band is the band of the summed bottom-level paths (:func:`_total_on_its_paths`),
  the paths whose region sums read the regions' bands; its peak's band keeps the short model's
  width, scaled.
- **A region's classes add up to it** in the mean measure (:func:`_classes_adding_up`): scaled
  alike, day by day, so the region's model sets the level and the classes' own the mix;
  month by month (:func:`_months_adding_up`) by the classes' medians, each class's mean its
  median times its region's mean over median: a bursty class's log-scale mean took its
  region's growth. The peaks do not add up (classes peak at different hours), so each keeps
  its own.
- **A customer that left is not the others' trend** (:func:`_stopped_customers`): a customer
  series at zero for its last two weeks after a busy block is taken out of the history its
  class and region grow from, so their growth is that of the customers still active. Kept, a
  customer leaving (27 % of a region) was a step the growth models read as a trend, and every
  remaining customer, following its class, was forecast at half its flat level.
- **Customers and paths follow their class.** A customer's peaks move with the lead, as its class's
  do, from its short model to its share of its class's growth model (:func:`_customer_peaks`), and
  are held at most its class's (:func:`_customers_within_classes`), so the dedicated-capacity
  offsets see the same growth as the triggers and a lone customer reads its class's band. The
  bottom-level sample paths, which the drills play, are moved onto their class's blended band and
  their region's by quantile mapping, the two levels by turns (:func:`_paths_in_bands`): each
  region's sum over its paths has the quantiles its rows show, each class's within a few per cent,
  and every path keeps its customer mix. Scaling the paths by the mean ratio put the drills' demand
  up to a third above the class's band where the short model's mean sat below its own paths (a
  bursty class whose paths are clipped at zero): on the demo the drills' us-west median read 1.34x
  its region's five months out, and on a 400-day fleet 7 of 8 drills read "plan fails unshocked"
  beside green triggers. Mapped onto the classes alone, a region's paths read a q90 up to 6 % below
  its band. As the growth model takes over, each class's sum on a path is split over its
  customers as they split it on a day of their last quarter, the day matched by the class's rank
  (:func:`_paths_split_as_their_history`), not as their own short models' paths did: a customer
  whose model read a 6-day pause as a random walk took most of its class's spread. A customer's
  mean-measure rows then read its paths (:func:`_customers_on_their_paths`): their quantiles,
  and its class's mean split by the paths' means as the growth model takes over.
- **A customer constant in its history keeps its level** (:func:`_constant_paths_held`,
  :func:`_constant_rows_held`): a customer whose every observed day read one value
  (:func:`forecasting.forecast.constant_series`) keeps its short model's rows, daily and
  monthly, and its paths; the other customers of its class take what its share of the
  class's growth and band had given it, path by path and row by row, so the class's rows and
  its paths' sums are unchanged. Split with its class, a customer at 200 GPUs every hour of
  two years read daily means down to 99 GPUs and monthly means up to 274 (peak q90 1,468).
  A class, region or total whose every customer is constant is constant too
  (:func:`_constant_levels`): its rows, daily and monthly, in both measures, are its short
  model's, which the reconciliation made its customers' sum at every quantile, and its
  region's other classes take what the region's growth had given it
  (:func:`_levels_held_in_their_regions`; on the paths, the nearest level with customers
  that vary). Split with its region, a class whose only customer sat at 200 GPUs read
  monthly means of 162-199 beside the customer's 200. Where the region's own model falls
  below its held classes, the reservation holds and the region gives way: it reads at least
  their sum (at least each of them in the peak measure), and its other classes what it reads
  above them, floored at zero. A held class is observed, one value every day of its history,
  and part of its region on every path; the region's model is an estimate fitted on a sum
  that holds it, and a log-scale trend on 1,000 reserved GPUs beside a fading class carried
  the fade past the 1,000 that never moved (monthly means of 976 from February 2027, the
  fading class -5.4 GPUs), so the class rows summed above their region's on one page.
- **Monthly rows** (``grain`` = ``month``) carry each month's peak day to the plan horizon, for
  regions and classes from the growth models (not the total, which no trigger reads); a
  customer's monthly rows are its class's, times the customer's share of its class over the
  short model's first week (every run has it, so the split does not move with
  ``--horizon``). For the mean measure a month is its average day (``average_months``): a mean's
  peak day does not add up over classes, and read against a daily mean it took a bursty
  class's peak-over-level ratio for growth (on the demo as of 2026-12-01 us-west evaluation's
  January read 897 GPUs against daily means of 185-335, and one of its customers 15 % of the
  region's growth to August 2027).
- **A month's peak reads at least its days** (:func:`months_at_least_their_days`): a monthly
  peak row is its month's peak day, so its mean and quantiles are at least the run's daily rows of
  its month; past them, at least their last week's, and a region's or class's months carry
  what its last week's daily rows read above the growth model
  (:func:`_months_lifted_as_their_days`), both as the daily rows blend (in full through day
  28, none from day 91). The growth models' months read up to 28 % below the short model's
  days at the seam, and a 7-day run, whose months start in its second week, read green what a
  26-week run dated red. The growth model's own peak days are held at most its months
  (``longrange._days_within_their_months``), so a 26-week run's months are not lifted to a
  daily band no day of the history had; and a region's or class's peak month within the
  decision horizon is at least the mean measure's largest day in it
  (:func:`_peak_months_at_least_their_days_means`), as its days past day 91 are.
- **Both measures follow a shared change of growth only where the peaks do**
  (:mod:`forecasting.slope_change`): the peaks choose the growth model and test for the
  change; the means reuse the model and follow a change only where the peaks followed one.
- **A class never exceeds its region.** A class is part of its region on every path, so its
  mean and each quantile, daily and monthly, are held at or below the region's
  (:func:`_within_regions`); the series' ``plan_reason`` says from which day that bound held.
  Each growth model fits its series alone, and a lumpy class compounds its growth rate's
  uncertainty far past its region's.
- **Decision-horizon accuracy** (:func:`~forecasting.longrange.decision_backtest`) is measured
  on the call the plan makes, each region's and class's daily peak fitted together (the
  series the triggers act on): MAE against the seasonal naive and a log-linear trend, q10-q90
  coverage, days above q90 and q50 bias. The total has no row: past the daily days it moves
  with its regions (:func:`_total_with_its_regions`), no growth model of its own.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import polars as pl

from forecasting import growth, hierarchy, longrange, measures, shifts, sums
from forecasting.capacity import CapacityPlan
from forecasting.forecast import ForecastResult, constant_series, demand_with_spikes_held
from forecasting.schema import (
    MIN_HORIZON_DAYS,
    QUANTILES,
    Measure,
    frame_schema,
    quantile_column,
)

__all__ = [
    "ACCURACY_SCHEMA",
    "DECISION_HORIZON_DAYS",
    "MONTHS_SCHEMA",
    "Extended",
    "Growth",
    "TailHeld",
    "band_calibrated",
    "customer_peaks_within_classes",
    "extend_horizon",
    "grow",
    "months_at_least_their_days",
    "months_gap",
    "plan_months",
    "plan_months_for",
    "q10_held",
    "q90_held",
    "scored_reach",
    "with_grain",
]

DECISION_HORIZON_DAYS = 182
MONTHS_SCHEMA = frame_schema("forecast_months")
ACCURACY_SCHEMA = frame_schema("horizon_accuracy")
_VALUES = ["mean", *(quantile_column(q) for q in QUANTILES)]


# Why a run whose regions and classes have no observed day of demand stops at the daily days.
_NO_DAILY_DEMAND = (
    "no region or class has an observed day of demand to grow from (no complete day in the "
    "history), so nothing measures a level to carry past the daily days"
)


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
    rows (``grain`` = ``month``: a month's peak day, for the mean measure its average day), in
    the daily frame's columns."""
    days = daily.with_columns(pl.lit("day").alias("grain"))
    if months.is_empty():
        return days
    return pl.concat(
        [days, months.with_columns(pl.lit("month").alias("grain")).select(days.columns)]
    )


def band_calibrated(summary: pl.DataFrame) -> bool:
    """Whether a decision backtest calibrated the band past the daily days (the run's summary,
    with ``plan_model`` and ``plan_calibrated``): not when the history was too short for one,
    nor when nothing is planned there.

    It was read from the words "decision backtest" in the series' ``plan_reason``, which the
    growth model wrote for the pages: reworded, a young fleet's orders would have been sized
    on a band no backtest calibrated. A run stored before migration 27 has no
    ``plan_calibrated``: its reasons are all it says."""
    if "plan_model" not in summary.columns or summary["plan_model"].drop_nulls().is_empty():
        return False
    calibrated = (
        summary.get_column("plan_calibrated").drop_nulls()
        if "plan_calibrated" in summary.columns
        else pl.Series(dtype=pl.Boolean)
    )
    if calibrated.len():
        return bool(calibrated.all())
    reasons = summary.get_column("plan_reason").drop_nulls()
    return not reasons.str.contains("decision backtest", literal=True).any()


@dataclass(frozen=True, slots=True)
class TailHeld:
    """How far the decision backtests saw one tail of the regions' band hold: ``days`` ahead,
    the farthest scored horizon at which the regions' days past that quantile (above q90, or
    below q10), pooled over their rows, stayed within the target's upper end
    (``longrange.ABOVE_Q90_TARGET``, the 10 % tail's), every nearer one too (0: none did, or
    none was scored); ``missed_days`` and ``missed_share``, the first scored horizon past it
    and its pooled share (None: none missed)."""

    days: int
    missed_days: int | None = None
    missed_share: float | None = None


def _tail_held(horizon_accuracy: pl.DataFrame, past: pl.Expr, *, needs: list[str]) -> TailHeld:
    """:class:`TailHeld` of the share of days ``past`` the tail's quantile per row; a row
    missing any column of ``needs`` measured the error, not the tail: it does not count."""
    _, high = longrange.ABOVE_Q90_TARGET
    shares = (
        horizon_accuracy.filter(
            (hierarchy.depth() <= 1)
            & pl.col("mae").is_not_null()
            & pl.all_horizontal(pl.col(c).is_not_null() for c in needs)
            & (pl.col("days") > 0)
        )
        .group_by("horizon_days")
        .agg(((past * pl.col("days")).sum() / pl.col("days").sum()).alias("share"))
        .sort("horizon_days")
    )
    held = 0
    for horizon, share in shares.iter_rows():
        if share > high:
            return TailHeld(held, missed_days=int(horizon), missed_share=float(share))
        held = int(horizon)
    return TailHeld(held)


def q90_held(horizon_accuracy: pl.DataFrame) -> TailHeld:
    """How far the decision backtests saw the regions' q90 hold (:class:`TailHeld`).

    The statuses act on q90: a band demand passed on 37 % of days 52 weeks out (the demo's
    us-east) leaves the greens and order-by days it sets there unverified, however well it was
    calibrated at 26 weeks. Pooled over the regions, weighted by their days, as the calibration
    pools them: one region's window over a step is all or nothing. A band too wide (demand
    rarely above q90) leaves the statuses on the safe side, so only the upper end counts. A
    horizon whose rows give no share of days above q90 measured the error, not the q90: it
    does not count as held."""
    return _tail_held(horizon_accuracy, pl.col("exceed_q90"), needs=["exceed_q90"])


def q10_held(horizon_accuracy: pl.DataFrame) -> TailHeld:
    """How far the decision backtests saw the regions' q10 hold (:class:`TailHeld`): the P10
    that idle risk reads. The days below q10 are those neither within q10-q90 nor above q90.

    The idle card counted a horizon verified wherever a backtest measured the error, however
    often demand fell below the P10 there: a P10 demand fell below on 30 % of days understates
    the capital at idle risk. A P10 too low (demand rarely below it) overstates it, the safe
    side for finance, so only the lower end counts, as only the upper one does for q90."""
    below = (1.0 - pl.col("coverage_80") - pl.col("exceed_q90")).clip(lower_bound=0.0)
    return _tail_held(horizon_accuracy, below, needs=["coverage_80", "exceed_q90"])


def scored_reach(
    backtest: pl.DataFrame,
    horizon_accuracy: pl.DataFrame,
    *,
    last_observed: pl.DataFrame,
    as_of: date,
    q90_held_only: bool = False,
    q10_held_only: bool = False,
) -> int:
    """Days past the as-of day to which some backtest measured the forecast of the total or a
    region (0: none did): the most steps ahead any daily backtest window scored (from its
    cut-off to the last day it held an observed value; ``last_observed``: ``unique_id``,
    ``last`` and optionally ``level_shift_days``, the days before it their windows end when a
    recent level shift moved them back) less the days from the last observed day to
    ``as_of``, or the decision backtest's horizon where it scored one.

    A series whose last days are missing is forecast from its last observed day, its first
    steps skipped to reach the as-of day, and its backtests' windows end on the run's last
    day, the silent days scored as none (``forecast._backtest_layout``): Helios' 7-day windows
    a day apart, cut off 2020-05-22 to 2020-05-24, as-of day 2020-05-31 read as missing. The
    earlier windows scored all 7 steps, so the forecast from 2020-05-30 was measured to
    2020-06-06, 6 days past the as-of day. Counted from the last cut-off (its window held 6
    observed days) less the silent day, it read 5: the silent days taken off twice. The pages'
    "Extrapolated" banner and the triggers' q50 note read this one figure, from the as-of day.

    The tables keep the cut-offs, not the windows' length: a window ended on the run's last
    day whenever its silence was shorter than the window, which holds where the silence is
    shorter than the last cut-off's observed days. A longer silence may have ended its windows
    on the last observed day (a silence at least a window long) or not: it is counted as
    ended there, the smaller reach, rather than credit days no window may have scored.

    ``q90_held_only`` counts a decision horizon only as far as the regions' q90 held there
    (:func:`q90_held`): the reach the statuses are verified to; ``q10_held_only`` as far as
    their q10 did (:func:`q10_held`): the reach idle risk's P10 is verified to."""
    top = hierarchy.depth() <= 1
    # A series whose recent level shift moved its backtests back before the step
    # (``last_observed.level_shift_days``) scored windows that end that many days earlier.
    moved = (
        pl.col("level_shift_days").fill_null(0)
        if "level_shift_days" in last_observed.columns
        else pl.lit(0)
    )
    silent = (pl.lit(as_of, pl.Date) - pl.col("last")).dt.total_days()
    # The last day a window could score, and the observed days of the last cut-off's window.
    scored_end = pl.col("last") - pl.duration(days=moved)
    observed_days = (scored_end - pl.col("last_cutoff")).dt.total_days()
    # Windows end on the run's last day when the silence is shorter than a window (no level
    # shift moved them back): a silence shorter than the last window's observed days is.
    to_run_end = (moved == 0) & (silent > 0) & (silent < observed_days)
    window = (
        pl.when(to_run_end)
        .then((pl.lit(as_of, pl.Date) - pl.col("last_cutoff")).dt.total_days())
        .otherwise(observed_days)
    )
    # The earliest cut-off's window held the most observed steps, up to the window's length.
    steps = pl.min_horizontal(window, (scored_end - pl.col("first_cutoff")).dt.total_days())
    daily = (
        backtest.filter(top)
        .group_by("unique_id")
        .agg(
            pl.col("cutoff").min().alias("first_cutoff"),
            pl.col("cutoff").max().alias("last_cutoff"),
        )
        .join(last_observed, on="unique_id")
        .select((steps - silent).max().fill_null(0))
        .item()
    )
    decision = (
        horizon_accuracy.filter(top & pl.col("mae").is_not_null())
        .select(pl.col("horizon_days").max().fill_null(0))
        .item()
    )
    if q90_held_only:
        decision = min(int(decision), q90_held(horizon_accuracy).days)
    if q10_held_only:
        decision = min(int(decision), q10_held(horizon_accuracy).days)
    return max(int(daily), int(decision), 0)


def _daily(series: pl.DataFrame, ids: list[str], measure: str, as_of: date) -> pl.DataFrame:
    return series.filter(
        (pl.col("measure") == measure) & pl.col("unique_id").is_in(ids) & (pl.col("ds") <= as_of)
    ).select("unique_id", "ds", "y")


def _ratios(short: pl.DataFrame, blended: pl.DataFrame, measure: str) -> pl.DataFrame:
    """(parent, ds, measure, ratio): a class's blended ``mean`` column over its short model's,
    per day, in ``measure``."""
    return (
        blended.select("unique_id", "ds", pl.col("mean").alias("blended"))
        .join(short.select("unique_id", "ds", "mean"), on=["unique_id", "ds"])
        .select(
            pl.col("unique_id").alias("parent"),
            "ds",
            pl.lit(measure).alias("measure"),
            pl.when(pl.col("mean") > 0)
            .then(pl.col("blended") / pl.col("mean"))
            .otherwise(1.0)
            .alias("ratio"),
        )
    )


def _changed(blended: pl.DataFrame, short: pl.DataFrame, *, depth: int) -> pl.DataFrame:
    """The rows of ``blended`` at ``depth`` (1 regions, 2 classes) on the days they differ from
    the short model's ``short`` (the growth models' days, and days a class was held within its
    region)."""
    values = [c for c in _VALUES if c in blended.columns and c in short.columns]
    theirs = short.select("unique_id", "ds", *(pl.col(c).alias(f"{c}_short") for c in values))
    moved = pl.any_horizontal(
        (pl.col(c) - pl.col(f"{c}_short")).abs() > 1e-9 * (1.0 + pl.col(f"{c}_short").abs())
        for c in values
    )
    return (
        blended.filter(hierarchy.depth() == depth)
        .join(theirs, on=["unique_id", "ds"])
        .filter(moved)
        .select("unique_id", "ds", *values)
    )


def _scaled(frame: pl.DataFrame, ratios: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """``frame`` rows of customers scaled by their class's ratio on the same day and measure."""
    return (
        frame.with_columns(hierarchy.parent().alias("parent"))
        .join(ratios, on=["parent", "ds", "measure"], how="left")
        .with_columns(
            pl.when(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
            .then(pl.col(c) * pl.col("ratio").fill_null(1.0))
            .otherwise(pl.col(c))
            .alias(c)
            for c in columns
        )
        .drop("parent", "ratio")
    )


def _total_with_its_regions(
    updated: pl.DataFrame, short: pl.DataFrame, columns: list[str]
) -> pl.DataFrame:
    """``updated`` with the total's rows moved as its regions' were: each day's and measure's
    values times the regions' summed blended mean over their summed short-model mean.

    The total is left to the short model (no trigger reads it), and was read apart from its
    regions past the blend: on the demo as of 2026-12-03 its mean six months out was 32,186
    GPUs while its regions' means added up to 42,317, and its peak (35,365) sat below them.
    Scaled by its regions' move, its mean is their sum wherever it was before (reconciled).
    The mean measure's band scaled here is replaced by its summed paths'
    (:func:`_total_on_its_paths`); the peak's keeps the short model's width around it."""
    regions = hierarchy.depth() == 1

    def summed(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.filter(regions).group_by("ds", "measure").agg(pl.col("mean").sum().alias(name))

    moved = summed(updated, "after").join(summed(short, "before"), on=["ds", "measure"])
    ratio = pl.when(pl.col("before") > 0).then(pl.col("after") / pl.col("before")).otherwise(1.0)
    total = pl.col("unique_id") == hierarchy.TOTAL
    return (
        updated.join(
            moved.select("ds", "measure", ratio.alias("ratio")), on=["ds", "measure"], how="left"
        )
        .with_columns(
            pl.when(total)
            .then(pl.col(c) * pl.col("ratio").fill_null(1.0))
            .otherwise(pl.col(c))
            .alias(c)
            for c in columns
        )
        .drop("ratio")
    )


def _total_on_its_paths(forecast: pl.DataFrame, paths: pl.DataFrame) -> pl.DataFrame:
    """``forecast`` with the total's mean-measure quantiles read off the sum of the bottom-level
    ``paths``, on every day they cover; its mean is left as it is (its regions' sum).

    The leaves' paths are what the drills play and, mapped onto the regions' bands
    (:func:`_paths_in_bands`), what each region's band reads, so the total's band is the band of
    its regions' sum over the same paths. Scaled by its regions' mean move instead, the total kept
    the short model's band, whose centre sat above its mean wherever reconciliation clipped
    leaves' paths at zero, and the scaling carried that gap with the growth: on a fleet
    declining 40 % over its history, forecast 26 weeks, its mean (the regions' sum) sat below its
    own q10 on 44 of 182 days (2027-06-03: mean 17,358, q10 16,865, q50 23,178) while its
    summed paths read q10/q50/q90 14,881/17,439/19,788.
    """
    qcols = [quantile_column(q) for q in QUANTILES if quantile_column(q) in forecast.columns]
    if paths.is_empty() or not qcols:
        return forecast
    ids = paths.select(pl.col("unique_id").unique())
    leaves = ids.join(ids.select(hierarchy.parent().alias("unique_id")), on="unique_id", how="anti")
    leaf = paths.filter(pl.col("unique_id").is_in(leaves["unique_id"].implode()))
    days = leaf["ds"].unique().sort()
    samples = leaf["sample_id"].unique().sort()
    at = leaf.select(
        pl.col("ds").replace_strict(days, range(days.len())),
        pl.col("sample_id").replace_strict(samples, range(samples.len())),
    ).to_numpy()
    # Summed by numpy in the paths' own order: a group-by's float sums move in the last bit
    # from run to run, and the stored quantiles with them.
    summed = np.bincount(
        at[:, 0] * samples.len() + at[:, 1],
        weights=leaf["y"].cast(pl.Float64).to_numpy(),
        minlength=days.len() * samples.len(),
    ).reshape(days.len(), samples.len())
    band = pl.DataFrame(
        {
            "unique_id": hierarchy.TOTAL,
            "ds": days,
            "measure": Measure.MEAN.value,
            **{
                f"{quantile_column(q)}_paths": np.quantile(summed, q, axis=1)
                for q in QUANTILES
                if quantile_column(q) in qcols
            },
        }
    )
    return (
        forecast.join(band, on=["unique_id", "ds", "measure"], how="left")
        .with_columns(pl.coalesce(f"{c}_paths", c).alias(c) for c in qcols)
        .select(forecast.columns)
        .cast(forecast.schema)
    )


# Days of history a customer's spread around its share of its class is read on (the last
# quarter, from its first busy day), the fewest that read one, and the days of the class's
# centred rolling median that stand for its level on a day.
_SPREAD_DAYS = 91
_MIN_SPREAD_DAYS = 28
_LEVEL_DAYS = 7
# z of the 90th percentile: a class's q10-q90 band is 2 z of its log sd.
_Z90 = 1.2815515655446004


@dataclass(frozen=True, slots=True)
class _DaySpread:
    """How a customer's daily peak sat around ``share`` of its class's level (``grid``, in
    log1p), how many of its days it was idle (``idle``, the share of them at zero), and how its
    class's sat around that level (``class_sd``, ``class_median``)."""

    grid: np.ndarray
    share: float
    class_sd: float
    class_median: float
    idle: float = 0.0


def _class_rows_active(rows: pl.LazyFrame, active: pl.DataFrame | None) -> pl.LazyFrame:
    """The class rows of ``rows`` with a stopped customer's part taken out (``active``: its
    share of each class-day), as they are where no customer stopped."""
    classes = rows.filter(hierarchy.depth() == hierarchy.BOTTOM_DEPTH - 1)
    if active is None:
        return classes
    return (
        classes.join(active.lazy(), on=["unique_id", "ds"], how="left")
        .with_columns(pl.col("y") * pl.col("active").fill_null(1.0))
        .drop("active")
    )


def _recent_peaks(
    series: pl.DataFrame, *, as_of: date, days: int, active: pl.DataFrame | None
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The peak measure's observed rows of the ``days`` to ``as_of``, and of them the classes'
    with a stopped customer's part taken out (``active``: its share of each class-day)."""
    y = pl.col("y").cast(pl.Float64)
    recent = series.lazy().filter(
        (pl.col("measure") == Measure.PEAK.value)
        & pl.col("ds").is_between(as_of - timedelta(days=days - 1), as_of)
        & y.is_not_null()
        & y.is_not_nan()
    )
    classes = _class_rows_active(recent, active)
    return recent, classes


def _day_share_spreads(
    series: pl.DataFrame, stopped: pl.DataFrame, active: pl.DataFrame | None, *, as_of: date
) -> dict[tuple[str, str], _DaySpread]:
    """Per measure and customer: its daily peaks over its class's observed days of the last
    ``_SPREAD_DAYS`` before ``as_of``, from its first busy day (an onboarding ramp is not a
    spread), around its share of its class's level (the class's centred ``_LEVEL_DAYS``-day
    rolling median; ``share`` the customer's sum over the class's), in log1p; the share of
    those days it was idle; and its class's own days around that level. A customer idle on
    every day of the quarter (busy before it, or never yet) and not stopped reads all idle. A
    class is read as its customers still active made it (``active``, ``_of_active``): a
    customer that left is a step in its class, not a spread of the others. Left out: customers
    with fewer such days, stopped ones and a class's lone customer (its class's own series,
    which spreads as its class). The peak measure only: a
    customer's mean-measure rows read its sample paths (the drills' demand), which carry its
    own days' spread.

    Read around the class's level, not its day, a steady customer beside a bursty one keeps a
    narrow band: its days do not drop when its class's burst.
    """
    y = pl.col("y").cast(pl.Float64)
    recent, classes = _recent_peaks(series, as_of=as_of, days=_SPREAD_DAYS, active=active)
    classes = classes.sort("measure", "unique_id", "ds").select(
        "measure",
        pl.col("unique_id").alias("parent"),
        "ds",
        y.alias("whole"),
        y.rolling_median(_LEVEL_DAYS, min_samples=1, center=True)
        .over("measure", "unique_id")
        .alias("level"),
    )
    residual = pl.col("whole").log1p() - pl.col("level").log1p()
    of_class = (
        classes.group_by("measure", "parent")
        .agg(residual.std().alias("class_sd"), residual.median().alias("class_median"))
        .collect()
    )
    customer = ["measure", "unique_id"]
    days = (
        recent.filter(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
        .join(stopped.lazy().select("unique_id"), on="unique_id", how="anti")
        .select(*customer, hierarchy.parent().alias("parent"), "ds", y.alias("own"))
        .join(classes, on=["measure", "parent", "ds"])
        .with_columns(pl.col("ds").filter(pl.col("own") > 0).min().over(customer).alias("first"))
        .filter((pl.col("ds") >= pl.col("first")) | pl.col("first").is_null())
        .filter(
            (pl.len().over(customer) >= _MIN_SPREAD_DAYS)
            & (
                pl.col("unique_id")
                .filter(pl.col("first").is_not_null())
                .n_unique()
                .over("measure", "parent")
                .gt(1)
                | pl.col("first").is_null()
            )
        )
        .with_columns(
            share=pl.col("own").sum().over(customer) / pl.col("level").sum().over(customer)
        )
        .filter(pl.col("share").is_finite() & ((pl.col("share") > 0) | pl.col("first").is_null()))
        .select(
            *customer,
            "parent",
            "share",
            (pl.col("own") <= 0).alias("idle"),
            (pl.col("own").log1p() - (pl.col("share") * pl.col("level")).log1p()).alias("spread"),
        )
        .collect()
        .join(of_class, on=["measure", "parent"], how="left")
    )
    return {
        (str(measure), str(uid)): _DaySpread(
            frame.get_column("spread").to_numpy(),
            float(frame["share"][0]),
            float(frame["class_sd"].fill_null(0.0)[0]),
            float(frame["class_median"].fill_null(0.0)[0]),
            idle=float(np.mean(frame.get_column("idle").to_numpy())),
        )
        for (measure, uid), frame in days.partition_by(*customer, as_dict=True).items()
    }


def _spread_quantiles(
    frame: pl.DataFrame, spreads: Mapping[str, _DaySpread], columns: list[str]
) -> pl.DataFrame:
    """``frame``'s share-of-class quantile ``columns`` (``unique_id``, ``ds``, ``mean``: a
    customer's share of its class's mean and band) spread as the customer's days spread
    around its share (``_day_share_spreads``): the class's level (its q50 less its days'
    median lift over their level) with the level's uncertainty (the class's log band, read as
    a normal through its q10 and q90, less its days' own spread) convolved with the
    customer's days around its share of that level, scaled so that its mean is the row's
    (the customer's share of its class's mean, which adds up). A customer busy one day in ten
    read its share of its class's band, a q10 above its every quiet day and a q90 below its
    every busy one: on the demo fleet customers' days 91-182 out sat below their q10 on a
    fifth to two fifths of days.

    The quantiles whose level its idle share covers read zero, and all of them for a customer
    idle all quarter: its idle days, spread in log1p like its busy ones and moved with its
    class's level, read a fraction of a GPU, and a customer idle all quarter its short model's
    ten-thousandths of one, so its idle days (an actual zero) sat below its q10: customers'
    days below their q10 on the demo fleet 182 / 273 / 364 days back 21 / 25 / 16 %, now
    17 / 13 / 15 % (``benchmarks/accuracy_customer_months.py --daily``)."""
    level_of = {quantile_column(q): q for q in QUANTILES}
    quantiles = [level_of[c] for c in columns]
    parts = []
    for (uid,), rows in frame.partition_by("unique_id", as_dict=True, maintain_order=True).items():
        spread = spreads.get(str(uid))
        if spread is None or not {"q10", "q50", "q90"} <= set(rows.columns):
            parts.append(rows)
            continue
        if spread.idle >= 1.0:
            parts.append(rows.with_columns(pl.lit(0.0).alias(c) for c in columns))
            continue
        share = spread.share
        low, mid, high = (
            np.log1p(rows.get_column(c).to_numpy() / share) for c in ("q10", "q50", "q90")
        )
        sd = np.maximum(high - low, 0.0) / (2 * _Z90)
        level_sd = np.sqrt(np.maximum(sd**2 - spread.class_sd**2, 0.0))
        level = np.log1p(share * np.expm1(mid - spread.class_median))
        logs = longrange.mixture_quantiles(level, level_sd, spread.grid, 0.0, quantiles)
        own_mean = longrange.mixture_mean(level, level_sd, spread.grid, 0.0)
        mean = rows.get_column("mean").to_numpy()
        factor = np.where(own_mean > 0, mean / np.maximum(own_mean, 1e-12), 1.0)
        values = np.maximum(np.expm1(logs), 0.0) * factor[:, None]
        values[:, [i for i, q in enumerate(quantiles) if q <= spread.idle]] = 0.0
        parts.append(rows.with_columns(pl.Series(c, values[:, i]) for i, c in enumerate(columns)))
    return pl.concat(parts) if parts else frame


def _customer_peaks(
    forecast: pl.DataFrame,
    short: pl.DataFrame,
    growth_days: pl.DataFrame,
    *,
    as_of: date,
    own_shares: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``forecast`` with each customer's peak rows moving, with the lead, from its short model
    to its share of its class's growth model (``growth_days``: the classes' long-horizon daily
    peaks), as its class moves from its short model (``short``) to that growth model.

    Its share is its own history's (``own_shares``, :func:`_history_peak_shares`) where that
    reads, else its short model's peak over its class's over the days the short model holds
    alone (days 1 to 28). Read off those days alone, the share was what MinT's reconciliation
    gave the customer, not what it ran: `synth --customers 12 --seed 3 --days 90`, us-east
    evaluation northwind-ai read 1.6 times its class's peak (its months' q90 above its class's
    in every month), and a customer flat at 256 GPUs a share its days never had. A lone
    customer, the same series as its class, reads its class's band. Scaled by its class's
    ratio of means instead, a customer kept its short model's band, which widens with the
    lead, while its class moved onto the growth model's narrower one: the only customer of a
    class read a q90 twice its class's six months out (892 GPUs against 442).
    """
    values = [c for c in _VALUES if c in forecast.columns and c in growth_days.columns]
    lead = (pl.col("ds") - pl.lit(as_of)).dt.total_days()
    is_peak_customer = (pl.col("measure") == Measure.PEAK.value) & (
        hierarchy.depth() == hierarchy.BOTTOM_DEPTH
    )
    near = forecast.filter(is_peak_customer & (lead <= longrange.BLOCK_DAYS)).select(
        "unique_id", hierarchy.parent().alias("parent"), "ds", "mean"
    )
    of_class = short.select(pl.col("unique_id").alias("parent"), "ds", pl.col("mean").alias("c"))
    shares = (
        near.join(of_class, on=["parent", "ds"])
        .group_by("unique_id")
        .agg(pl.col("mean").sum().alias("own"), pl.col("c").sum().alias("whole"))
        .select(
            "unique_id",
            pl.when(pl.col("whole") > 0)
            .then(pl.col("own") / pl.col("whole"))
            .otherwise(0.0)
            .alias("share"),
        )
    )
    if own_shares is not None and own_shares.height:
        shares = shares.join(
            own_shares.select("unique_id", pl.col("share").alias("own_share")),
            on="unique_id",
            how="left",
        ).select("unique_id", pl.coalesce("own_share", "share").alias("share"))
    grown = growth_days.select(
        pl.col("unique_id").alias("parent"), "ds", *(pl.col(c).alias(f"{c}_growth") for c in values)
    )
    w = longrange.blend_weight(lead)
    moves = (
        is_peak_customer
        & pl.col("share").is_not_null()
        & pl.col(f"{values[0]}_growth").is_not_null()
    )
    return (
        forecast.with_columns(hierarchy.parent().alias("parent"))
        .join(shares, on="unique_id", how="left")
        .join(grown, on=["parent", "ds"], how="left")
        .with_columns(
            pl.when(moves)
            .then((1 - w) * pl.col(c) + w * pl.col("share") * pl.col(f"{c}_growth"))
            .otherwise(pl.col(c))
            .alias(c)
            for c in values
        )
        .select(forecast.columns)
        .cast(forecast.schema)
    )


def _customers_as_lumpy_as_their_days(
    frame: pl.DataFrame, spreads: Mapping[tuple[str, str], _DaySpread], *, as_of: date
) -> pl.DataFrame:
    """``frame`` with each customer's quantiles, as the growth model takes over (with the
    lead, as :func:`~forecasting.longrange.blend_weight`), spread as its days spread around
    its share of its class (``spreads`` per measure and customer, :func:`_spread_quantiles`);
    its mean, and every other row, unchanged."""
    values = [c for c in _VALUES if c in frame.columns]
    quantiles = [c for c in values if c != "mean"]
    lead = (pl.col("ds") - pl.lit(as_of)).dt.total_days()
    w = longrange.blend_weight(lead)
    keys = ["unique_id", "ds", "measure"]
    parts = []
    for measure in sorted({m for m, _ in spreads}):
        mine = {uid: spread for (m, uid), spread in spreads.items() if m == measure}
        rows = frame.filter(
            (pl.col("measure") == measure)
            & (hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
            & (w > 0)
            & pl.col("unique_id").is_in(list(mine))
        )
        if rows.height:
            parts.append(_spread_quantiles(rows.select(*keys, *values), mine, quantiles))
    if not parts:
        return frame
    spread = pl.concat(parts).select(*keys, *(pl.col(c).alias(f"{c}_spread") for c in quantiles))
    return (
        frame.join(spread, on=keys, how="left")
        .with_columns(
            pl.when(pl.col(f"{c}_spread").is_not_null())
            .then((1 - w) * pl.col(c) + w * pl.col(f"{c}_spread"))
            .otherwise(pl.col(c))
            .alias(c)
            for c in quantiles
        )
        .select(frame.columns)
        .cast(frame.schema)
    )


# Upper quantiles a customer's band is held open at past the short model, and the last days of
# its history whose days at that quantile bound what it is held to.
_OPEN_QUANTILES = (0.9, 0.99)
_OPEN_DAYS = 28


def _customer_band_floors(
    frame: pl.DataFrame, series: pl.DataFrame, stopped: pl.DataFrame, *, as_of: date
) -> pl.DataFrame:
    """(unique_id, measure, ``<q>_floor`` per ``_OPEN_QUANTILES``): per customer that did not
    stop, the lower of its ``frame`` row on the last day the short model holds alone and its
    own days of the last ``_OPEN_DAYS`` at that quantile (:func:`_customer_bands_held_open`)."""
    columns = [quantile_column(q) for q in _OPEN_QUANTILES if quantile_column(q) in frame.columns]
    customer = hierarchy.depth() == hierarchy.BOTTOM_DEPTH
    w = longrange.blend_weight((pl.col("ds") - pl.lit(as_of)).dt.total_days())
    y = pl.col("y").cast(pl.Float64)
    own = (
        series.lazy()
        .filter(
            customer
            & pl.col("ds").is_between(as_of - timedelta(days=_OPEN_DAYS - 1), as_of)
            & y.is_not_null()
            & y.is_not_nan()
        )
        .join(stopped.lazy().select("unique_id"), on="unique_id", how="anti")
        .group_by("unique_id", "measure")
        .agg(
            y.quantile(q, interpolation="linear").alias(f"{quantile_column(q)}_own")
            for q in _OPEN_QUANTILES
            if quantile_column(q) in columns
        )
        .collect()
    )
    last_short = (
        frame.filter(customer & (w <= 0))
        .sort("ds")
        .group_by("unique_id", "measure")
        .agg(pl.col(c).last().alias(f"{c}_short") for c in columns)
    )
    return own.join(last_short, on=["unique_id", "measure"]).select(
        "unique_id",
        "measure",
        *(pl.min_horizontal(f"{c}_own", f"{c}_short").alias(f"{c}_floor") for c in columns),
    )


def _held_open(frame: pl.DataFrame, floors: pl.DataFrame, *, where: pl.Expr) -> pl.DataFrame:
    """``frame``'s rows ``where`` holds with each ``<q>_floor`` column of ``floors`` (per
    unique_id and measure) under its quantile, the quantiles above kept in order."""
    columns = [c.removesuffix("_floor") for c in floors.columns if c.endswith("_floor")]
    if frame.is_empty() or floors.is_empty() or not columns:
        return frame
    opened = frame.join(floors, on=["unique_id", "measure"], how="left").with_columns(
        pl.when(where & pl.col(f"{c}_floor").is_not_null())
        .then(pl.max_horizontal(c, f"{c}_floor"))
        .otherwise(pl.col(c))
        .alias(c)
        for c in columns
    )
    # Quantiles stay in order: a lifted q90 lifts a q99 below it.
    ordered = [quantile_column(q) for q in QUANTILES if quantile_column(q) in frame.columns]
    customer = hierarchy.depth() == hierarchy.BOTTOM_DEPTH
    for lower, upper in itertools.pairwise(ordered):
        opened = opened.with_columns(
            pl.when(where & customer)
            .then(pl.max_horizontal(lower, upper))
            .otherwise(upper)
            .alias(upper)
        )
    return opened.select(frame.columns).cast(frame.schema)


def _customer_bands_held_open(
    frame: pl.DataFrame, series: pl.DataFrame, stopped: pl.DataFrame, *, as_of: date
) -> pl.DataFrame:
    """``frame`` with each customer's upper quantiles (``_OPEN_QUANTILES``), past the days the
    short model holds alone (``longrange.blend_weight`` 0), at least the lower of its own row
    on the last such day and its own days of the last ``_OPEN_DAYS`` at that quantile, both
    measures; a customer that stopped (``stopped``) is left as it is: its history says it
    ended.

    Past the short model a customer takes its share of its class's band, spread as its days
    spread around that share (:func:`_customers_as_lumpy_as_their_days`) where it has
    ``_MIN_SPREAD_DAYS`` of them: a customer with fewer, or in a class whose growth model
    reads a fall, read a band that narrowed with the horizon, below its own days (synth seed 3,
    90 days: us-west evaluation helios-labs, busy at 56-208 GPUs on each of its 9 days, a
    daily peak q90 of 526 GPUs on day 28 and 22 on day 91). Bounded by its own days, a band
    the short model read wider than they ever were (a pause read as a random walk) is not
    carried out to the horizon. Customer-days past day 28 whose peak q90 sat below that bound
    (and below its class's, which holds it), synth seeds 1, 3, 7 (90 days): 382 / 598 / 526
    -> 0; peak months 1 / 45 / 3 -> 0 (the months are held so too, a month's peak being at
    least its days).
    """
    lead = (pl.col("ds") - pl.lit(as_of)).dt.total_days()
    floors = _customer_band_floors(frame, series, stopped, as_of=as_of)
    return _held_open(frame, floors, where=longrange.blend_weight(lead) > 0)


def _customers_within_classes(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (daily or monthly rows, both measures) with each customer's mean and quantiles
    at most its class's on the same day (or month) and measure, and its quantiles
    non-decreasing in the level.

    A customer is part of its class on every path, so no quantile of it can exceed the class's
    (the regions are held to the total and the classes to their regions the same way). Its
    band is its own short model's moved by its class's, quantile by quantile, which can still
    cross its class's where the two short models differ.
    """
    values = [c for c in _VALUES if c in frame.columns]
    qcols = [c for c in values if c != "mean"]
    keys = ["parent", "ds", "measure"]
    parents = frame.select(
        pl.col("unique_id").alias("parent"),
        "ds",
        "measure",
        *(pl.col(c).alias(f"{c}_parent") for c in values),
    )
    is_customer = (hierarchy.depth() == hierarchy.BOTTOM_DEPTH) & pl.col(
        f"{values[0]}_parent"
    ).is_not_null()
    held = frame.with_columns(hierarchy.parent().alias("parent")).join(parents, on=keys, how="left")
    held = held.with_columns(
        pl.when(is_customer).then(pl.min_horizontal(c, f"{c}_parent")).otherwise(pl.col(c)).alias(c)
        for c in values
    )
    if qcols:
        for lower, upper in itertools.pairwise(qcols):
            held = held.with_columns(
                pl.when(is_customer)
                .then(pl.max_horizontal(lower, upper))
                .otherwise(pl.col(upper))
                .alias(upper)
            )
    return held.select(frame.columns).cast(frame.schema)


def customer_peaks_within_classes(
    forecast: pl.DataFrame, *, constant: pl.DataFrame
) -> pl.DataFrame:
    """A daily-only run's ``forecast`` with each customer's peak-measure rows held at most its
    class's (:func:`_customers_within_classes`), as :func:`extend_horizon` holds a plan's; a
    customer held at its own level (``constant``: unique_id, measure) and the mean measure,
    reconciled, as they are.

    Only the plan held them: `--horizon-months 0` on a 200-day synthetic fleet read a
    customer's peak q90 up to 4.3 times its whole class's, the same fleet's plan run none."""
    if forecast.is_empty():
        return forecast
    peak = pl.col("measure") == Measure.PEAK.value
    kept = constant.select("unique_id", "measure").unique()
    rows = forecast.with_row_index("_row")
    free = rows.filter(peak).join(kept, on=["unique_id", "measure"], how="anti")
    held = _customers_within_classes(free.drop("_row")).with_columns(free["_row"])
    out = pl.concat(
        [rows.join(held.select("_row"), on="_row", how="anti"), held.select(rows.columns)]
    )
    return measures.peaks_at_least_means(out.sort("_row").drop("_row").cast(forecast.schema))


def _leaf_class() -> pl.Expr:
    """A bottom-level path's class: its parent for a customer, itself for a class whose region
    has no customer series."""
    return (
        pl.when(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
        .then(hierarchy.parent())
        .otherwise(pl.col("unique_id"))
    )


def _region_of(column: str) -> pl.Expr:
    """The region id (the first two levels) of the ids in ``column``."""
    return pl.col(column).str.split(hierarchy.SEP).list.slice(0, 2).list.join(hierarchy.SEP)


def _mapped(sums: np.ndarray, knots: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """``sums`` (groups, days, paths) moved onto the band ``knots`` (level, (groups, days)
    quantile values, NaN where a group has no band that day), by quantile mapping.

    The path whose sum ranks at level ``(rank - 1/2) / n`` among the ``n`` paths takes the
    band's value at that level: linear between the band's quantiles and, beyond the outer ones,
    its own sum times the ratio of the outer quantile to the paths' own quantile there. So the
    paths keep their ranks (ties by path order) and read the band. A sum of zero stays zero.
    """
    n = sums.shape[-1]
    order = np.argsort(sums, axis=-1, kind="stable")
    ranked = np.take_along_axis(sums, order, axis=-1)
    levels = (np.arange(n) + 0.5) / n
    (low, low_band), (high, high_band) = knots[0], knots[-1]

    def beyond(band: np.ndarray, at: float) -> np.ndarray:
        own = np.quantile(sums, at, axis=-1)
        ratio = np.divide(band, own, out=np.ones_like(band), where=own > 0)
        return np.where((own > 0)[..., None], ranked * ratio[..., None], band[..., None])

    target = np.where(levels <= low, beyond(low_band, low), beyond(high_band, high))
    for (a, a_band), (b, b_band) in itertools.pairwise(knots):
        inside = (levels > a) & (levels <= b)
        step = (levels[inside] - a) / (b - a)
        target[..., inside] = a_band[..., None] + step * (b_band - a_band)[..., None]
    moved = np.where(np.isnan(target) | (ranked <= 0), ranked, target)
    out = np.empty_like(sums)
    np.put_along_axis(out, order, moved, axis=-1)
    return out


def _band_arrays(
    bands: pl.DataFrame, names: list[str], days: list[date]
) -> list[tuple[float, np.ndarray]]:
    """The quantile columns of ``bands`` as (level, (len(names), len(days))) arrays, NaN where
    a series has no row that day; empty when fewer than two quantile columns are there."""
    columns = [(q, quantile_column(q)) for q in QUANTILES if quantile_column(q) in bands.columns]
    if len(columns) < 2 or bands.is_empty():
        return []
    at = {name: i for i, name in enumerate(names)}
    on = {d: j for j, d in enumerate(days)}
    rows = bands.filter(pl.col("unique_id").is_in(names) & pl.col("ds").is_in(days))
    gi = np.array([at[u] for u in rows["unique_id"]], dtype=np.int64)
    dj = np.array([on[d] for d in rows["ds"]], dtype=np.int64)
    knots = []
    for q, column in columns:
        values = np.full((len(names), len(days)), np.nan)
        values[gi, dj] = rows[column].cast(pl.Float64).to_numpy()
        knots.append((q, values))
    return knots


# Turns of mapping the class sums onto their classes' bands, then the regions' sums onto their
# regions' bands (see _paths_in_bands). On the demo fleet the largest miss of a class's q10,
# q50 or q90 fell from 11 % after one turn to 4 % after five and 3 % after ten (its 95th
# percentile to 1.5 %); ten turns take about 0.2 s there.
_TURNS = 10


def _paths_in_bands(
    paths: pl.DataFrame, class_bands: pl.DataFrame, region_bands: pl.DataFrame
) -> pl.DataFrame:
    """``paths`` (bottom level) with each class's sum and each region's, on every day their
    bands have a row, moved onto that row's quantiles.

    Each path's class sum is mapped onto its class's band (:func:`_mapped`), then the classes
    of each path's region are scaled by one factor so that the region's sum reads the
    region's band, by turns (iterative proportional fitting of the two levels' quantiles), the
    region last. All the leaves of a class on one path scale by one factor, so each path keeps
    its customer mix.

    Why both levels: mapped onto the classes' bands alone, a region's sum over its paths read
    a q90 up to 6 % below the region's own and a q10 up to 13 % above on the demo fleet: the
    classes' paths move together less than the region's growth model, fitted on their sum,
    says (their growth surprises are shared). The triggers size the ``all`` pool on the
    region's band and the training pool on the class's; the drills play these paths against
    both. The region is mapped last, so its band holds exactly, a class's within a few per
    cent. Rows above the bottom level are left as they were (only bottom-level paths are
    stored and played), except a class's own row, which scales with its leaves.
    """
    if paths.is_empty() or (class_bands.is_empty() and region_bands.is_empty()):
        return paths
    ids = paths.select(pl.col("unique_id").unique())
    leaves = ids.join(ids.select(hierarchy.parent().alias("unique_id")), on="unique_id", how="anti")
    # Eager and in the paths' own order, summed by numpy: the class sums rank the paths, and a
    # group-by's float sums change in the last bit from run to run, which flipped near-equal
    # paths' ranks, so a rerun on the same telemetry drilled other paths.
    # Per id, not per path row (``hierarchy.looked_up``).
    rows = paths.select(
        hierarchy.looked_up(_leaf_class(), ids["unique_id"]).alias("group"),
        pl.col("unique_id").is_in(leaves["unique_id"].implode()).alias("leaf"),
        "ds",
        "sample_id",
    )
    leaf = rows.filter("leaf")
    classes = leaf["group"].unique().sort().to_list()
    days = leaf["ds"].unique().sort().to_list()
    samples = leaf["sample_id"].unique().sort().to_list()
    region_of = [hierarchy.SEP.join(c.split(hierarchy.SEP)[:2]) for c in classes]
    regions = sorted(set(region_of))
    in_region = np.array([regions.index(r) for r in region_of], dtype=np.int64)
    shape = (len(classes), len(days), len(samples))
    cell = _cells(rows, classes, days, samples)
    is_leaf = rows["leaf"].to_numpy()
    before = np.bincount(
        cell[is_leaf],
        weights=paths["y"].cast(pl.Float64).to_numpy()[is_leaf],
        minlength=int(np.prod(shape)),
    ).reshape(shape)
    class_knots = _band_arrays(class_bands, classes, days)
    region_knots = _band_arrays(region_bands, regions, days)
    sums = before.copy()
    for _ in range(_TURNS if class_knots and region_knots else 1):
        if class_knots:
            sums = _mapped(sums, class_knots)
        if region_knots:
            whole = np.zeros((len(regions), len(days), len(samples)))
            np.add.at(whole, in_region, sums)
            moved = _mapped(whole, region_knots)
            ratio = np.divide(moved, whole, out=np.ones_like(whole), where=whole > 0)
            sums = sums * ratio[in_region]
    factor = np.divide(sums, before, out=np.ones_like(sums), where=before > 0).ravel()
    # A class's own row (above its customers) scales with its leaves; rows above it do not.
    scaled = np.where(cell >= 0, factor[np.maximum(cell, 0)], 1.0)
    return paths.with_columns(pl.col("y") * pl.Series(scaled)).cast(paths.schema)


def _cells(
    rows: pl.DataFrame, classes: list[str], days: list[date], samples: list[int]
) -> np.ndarray:
    """Each row's flat index into a (classes, days, samples) grid, -1 where it is not on it."""
    at = rows.select(
        pl.col("group").replace_strict(classes, range(len(classes)), default=-1),
        pl.col("ds").replace_strict(days, range(len(days)), default=-1),
        pl.col("sample_id").replace_strict(samples, range(len(samples)), default=-1),
    ).to_numpy()
    flat = (at[:, 0] * len(days) + at[:, 1]) * len(samples) + at[:, 2]
    return np.where((at >= 0).all(axis=1), flat, -1)


# Days of history a customer's mix in its class is drawn from (the last quarter, as
# ``_day_share_spreads`` reads its spread), and the last days its share is anchored on: by
# their median share, the last two weeks (a customer that stepped down to a third of its
# demand two weeks before the end read a median of the two levels over four, and a flat
# neighbour 0.89x its level six months out); by their summed share, for a customer idle on
# most days (no median share), the last four.
_MIX_DAYS = _SPREAD_DAYS
_MIX_MEDIAN_DAYS = 14
_MIX_LEVEL_DAYS = 28


def _class_mixes(
    series: pl.DataFrame, stopped: pl.DataFrame, *, as_of: date
) -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
    """Per class with two customers or more: its customers and their mix on each of its last
    ``_MIX_DAYS`` days before ``as_of`` (customers x days, each day's column summing to 1, NaN
    on a day the class had no demand), from the mean measure; and the class's day over its
    level (its centred ``_LEVEL_DAYS``-day rolling median) on each of those days.

    Each customer's days are scaled so that its share over the window is its share over the
    last ``_MIX_LEVEL_DAYS`` days: the quarter says how it varies, the last weeks where it
    is. Unscaled, a customer that ran 512 GPUs for two months and 256 for the last five weeks
    read a 26-week q50 of 802 GPUs where its class grew 1.8x (synth seed 1, 90 days). A
    customer's day before its first busy one of the window (an onboarding) reads its mean
    share of the class over its busy days instead, so a customer that arrived last month is
    not drawn at zero for the two months before it. Customers that stopped are left out: their
    class's paths hold no demand of theirs to split."""
    y = pl.col("y").cast(pl.Float64)
    days = (
        series.lazy()
        .filter(
            (pl.col("measure") == Measure.MEAN.value)
            & (hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
            & pl.col("ds").is_between(as_of - timedelta(days=_MIX_DAYS - 1), as_of)
            & y.is_not_null()
            & y.is_not_nan()
        )
        .join(stopped.lazy().select("unique_id"), on="unique_id", how="anti")
        .select("unique_id", hierarchy.parent().alias("parent"), "ds", y.clip(0.0).alias("y"))
        .collect()
    )
    mixes: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
    for (parent,), rows in days.partition_by("parent", as_dict=True).items():
        names = sorted(rows["unique_id"].unique().to_list())
        if len(names) < 2:
            continue
        on = sorted(rows["ds"].unique().to_list())
        at, day = {n: i for i, n in enumerate(names)}, {d: j for j, d in enumerate(on)}
        own = np.zeros((len(names), len(on)))
        own[[at[u] for u in rows["unique_id"]], [day[d] for d in rows["ds"]]] = rows["y"].to_numpy()
        whole = own.sum(axis=0)
        busy = own > 0
        first = np.where(busy.any(axis=1), busy.argmax(axis=1), len(on))
        since = np.arange(len(on))[None, :] >= first[:, None]
        # Its share of the class over its own busy window: what it takes on a day before it.
        mean_share = np.divide(
            (own * since).sum(axis=1),
            (whole[None, :] * since).sum(axis=1),
            out=np.zeros(len(names)),
            where=(whole[None, :] * since).sum(axis=1) > 0,
        )
        raw = np.where(since, own, mean_share[:, None] * whole[None, :])
        raw = raw * _anchors(raw, whole)[:, None]
        total = raw.sum(axis=0)
        mix = np.divide(raw, total, out=np.full_like(raw, np.nan), where=total > 0)
        level = pl.Series(whole).rolling_median(_LEVEL_DAYS, min_samples=1, center=True).to_numpy()
        over = np.divide(whole, level, out=np.ones_like(whole), where=level > 0)
        if np.isfinite(mix).any():
            mixes[str(parent)] = (names, mix, over)
    return mixes


def _anchors(own: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """Per customer (rows of ``own``, customers x days, ``whole`` the class's days): its share
    of the class over its last days over its share over all of them: by their days' median
    shares over the last ``_MIX_MEDIAN_DAYS`` where both are above zero (a pause in the last
    weeks is a day of its spread, not a lower level: by the sums, a customer at 256 GPUs with
    a 6-day pause in its last four weeks read 212 GPUs on its busy days), else by their sums
    over the last ``_MIX_LEVEL_DAYS`` (a customer idle on most days has no median share); 1
    where neither reads."""
    day = np.arange(whole.size)
    recent = day >= whole.size - _MIX_LEVEL_DAYS
    day_shares = np.divide(own, whole, out=np.full_like(own, np.nan), where=whole > 0)
    with np.errstate(all="ignore"):
        last = day_shares[:, day >= whole.size - _MIX_MEDIAN_DAYS]
        medians = np.nanmedian(last, axis=1) / np.nanmedian(day_shares, axis=1)
        sums = (own[:, recent].sum(axis=1) / max(whole[recent].sum(), 1e-12)) / (
            own.sum(axis=1) / max(whole.sum(), 1e-12)
        )
    anchors = np.where(np.isfinite(medians) & (medians > 0), medians, sums)
    return np.where(np.isfinite(anchors) & (anchors > 0), anchors, 1.0)


def _history_peak_shares(
    series: pl.DataFrame, stopped: pl.DataFrame, active: pl.DataFrame | None, *, as_of: date
) -> pl.DataFrame:
    """(unique_id, share): each customer's daily peak over its class's, as its history read it:
    the share of the last ``_MIX_DAYS`` days it ran on, from its first busy day in them, times
    its busy days' sum over its class's on them over the last ``_MIX_LEVEL_DAYS``, at most 1
    (a customer's busiest hour is never above its class's). The class reads as its customers
    still active made it (``active``); stopped customers and classes of one customer are left
    out, and so is a customer never busy in the window (no share to read).

    The short model's first 28 days are not the customer's history: MinT's reconciliation
    moved them (`synth --customers 12 --seed 3 --days 90`: us-east evaluation northwind-ai at
    1.6 times its class's peak), and a share read off them lifted every month of the plan."""
    y = pl.col("y").cast(pl.Float64)
    recent, classes = _recent_peaks(series, as_of=as_of, days=_MIX_DAYS, active=active)
    classes = classes.select(pl.col("unique_id").alias("parent"), "ds", y.clip(0.0).alias("whole"))
    days = (
        recent.filter(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
        .join(stopped.lazy().select("unique_id"), on="unique_id", how="anti")
        .select("unique_id", hierarchy.parent().alias("parent"), "ds", y.clip(0.0).alias("own"))
        .join(classes, on=["parent", "ds"])
        .filter(pl.col("unique_id").n_unique().over("parent") > 1)
        .collect()
    )
    out: list[tuple[str, float]] = []
    for rows in days.partition_by("parent"):
        names = sorted(rows["unique_id"].unique().to_list())
        on = sorted(rows["ds"].unique().to_list())
        at, day = {n: i for i, n in enumerate(names)}, {d: j for j, d in enumerate(on)}
        own = np.zeros((len(names), len(on)))
        whole = np.zeros(len(on))
        own[[at[u] for u in rows["unique_id"]], [day[d] for d in rows["ds"]]] = rows[
            "own"
        ].to_numpy()
        whole[[day[d] for d in rows["ds"]]] = rows["whole"].to_numpy()
        busy: np.ndarray = np.greater(own, 0.0)
        first = np.where(busy.any(axis=1), busy.argmax(axis=1), len(on))
        since = np.arange(len(on))[None, :] >= first[:, None]
        # How often it runs, from its first busy day in the window, times where it sits when
        # it runs: its busy days' sum over its class's on those days, over the last four
        # weeks (over the window where it ran on none of them). A pause is days it did not
        # run, not a lower level: by its days' median share, a customer at 256 GPUs with six
        # idle days in its last two weeks read 0.8 times its share; and by their sums, not a
        # median share, a customer at 100 GPUs with a day of 400 every fourth day is not read
        # at its quiet days.
        often = np.divide(
            (busy & since).sum(axis=1),
            since.sum(axis=1),
            out=np.zeros(len(names)),
            where=since.sum(axis=1) > 0,
        )
        recent_days = np.asarray(np.arange(len(on)) >= len(on) - _MIX_LEVEL_DAYS)
        ran: np.ndarray = np.logical_and(busy, recent_days[None, :])
        ran = np.where(np.asarray(ran.any(axis=1))[:, None], ran, busy)
        seen = np.asarray(busy.any(axis=1))
        whole_ran = (whole[None, :] * ran).sum(axis=1)
        level = np.divide(
            (own * ran).sum(axis=1), whole_ran, out=np.full(len(names), np.nan), where=whole_ran > 0
        )
        shares = np.clip(often * level, 0.0, 1.0)
        out.extend(
            (name, float(share))
            for name, share, ever in zip(names, shares, seen, strict=True)
            if ever and np.isfinite(share)
        )
    return pl.DataFrame(out, schema={"unique_id": pl.String, "share": pl.Float64}, orient="row")


def _paths_split_as_their_history(
    paths: pl.DataFrame,
    mixes: Mapping[str, tuple[list[str], np.ndarray, np.ndarray]],
    *,
    as_of: date,
) -> pl.DataFrame:
    """``paths`` with each class's sum, on every path and day, split over its customers as
    they split it on a day of their history, as the growth model takes over (with the lead, as
    :func:`~forecasting.longrange.blend_weight`). The day is matched by rank: on each day the
    path whose class sum ranks at level u among the paths reads the history day whose class
    sat at level u of its days over its level (``_class_mixes``), so a path high in its
    class's band is a day a bursty customer burst, and a steady customer beside it keeps its
    level rather than giving up to the burst a share drawn on a quiet day. Each class's sum
    on every path is unchanged, so its band, its region's and the drills' demand are.

    Split as their own short models' paths, the customer whose model read the widest paths
    took most of its class's spread: a us-west training customer at 256 GPUs every day but a
    6-day pause (ETS read the pause as a random walk) read a 26-week mean of 991 GPUs and a
    q90 of 2,693 beside its class's 6,127 (synth seed 3, 90 days), a share of its class's
    growth no day of its history had; now 476 and 769 (its mean measure's q50 252 GPUs; its
    peak's q50 455 was its share of its class's growth read off its short model's first weeks,
    which MinT lifted to 381-435 GPUs; its own history's share since session 65,
    :func:`_history_peak_shares`). Customers' 26-week mean-measure q50 over their
    last-28-day level grown as their class's q50 grew, synth seeds 1, 3, 7 (90 days): at most
    1.40 / 1.67 / 1.63 -> 1.15 / 1.42 / 1.46, below 0.67 on 5 / 7 / 6 customers -> 1 / 1 / 1;
    q90 over its last-28-day peak so grown at most 5.1 / 7.0 / 8.6 -> 3.5 / 2.3 / 3.0. On days
    29-60 of a run 60 days before the end (150-day fleets, seeds 3 and 1) customers' daily peaks
    sat below q10 / above q90 on 19.4 / 11.1 % and 12.3 / 21.6 % of days, now 19.5 / 11.3 %
    and 12.1 / 21.2 % (not measured further out: the history is too short)."""
    if paths.is_empty() or not mixes:
        return paths
    ids = paths.get_column("unique_id")
    frame = paths.with_row_index("_row").with_columns(
        hierarchy.looked_up(hierarchy.parent(), ids).alias("_parent"),
        (pl.col("ds") - pl.lit(as_of)).dt.total_days().alias("_lead"),
    )
    leaf = frame.filter(
        (hierarchy.looked_up(hierarchy.depth(), ids) == hierarchy.BOTTOM_DEPTH)
        & pl.col("_parent").is_in(list(mixes))
    )
    if leaf.is_empty():
        return paths
    days = leaf["ds"].unique().sort().to_list()
    samples = leaf["sample_id"].unique().sort().to_list()
    weights = (
        pl.DataFrame({"ds": days})
        .select(longrange.blend_weight((pl.col("ds") - pl.lit(as_of)).dt.total_days()))
        .to_series()
        .to_numpy()
    )
    if not (weights > 0).any():
        return paths
    out = frame["y"].cast(pl.Float64).to_numpy().copy()
    # Indices by search, not by a Python lookup per row: the lookups were two thirds of this
    # step's 3 s on the demo fleet.
    day_index = leaf["ds"].unique().sort().to_numpy()
    sample_index = leaf["sample_id"].unique().sort().to_numpy()
    for (parent,), rows in leaf.partition_by("_parent", as_dict=True).items():
        names, mix, over = mixes[str(parent)]
        # A customer of the paths the history does not split (one that stopped) keeps its own.
        known = rows.filter(pl.col("unique_id").is_in(names))
        ci = (
            known["unique_id"]
            .replace_strict(names, list(range(len(names))), return_dtype=pl.Int64)
            .to_numpy()
        )
        dj = np.searchsorted(day_index, known["ds"].to_numpy())
        sk = np.searchsorted(sample_index, known["sample_id"].to_numpy())
        values = np.zeros((len(names), len(days), len(samples)))
        values[ci, dj, sk] = known["y"].cast(pl.Float64).to_numpy()
        whole = values.sum(axis=0)
        # The class's days that split anything, in the order of the class over its level.
        usable = np.flatnonzero(np.isfinite(mix).all(axis=0))
        if usable.size == 0:
            continue
        usable = usable[np.argsort(over[usable], kind="stable")]
        rank = np.argsort(np.argsort(whole, axis=1, kind="stable"), axis=1, kind="stable")
        drawn = usable[((rank + 0.5) / len(samples) * usable.size).astype(np.int64)]
        split = whole[None, :, :] * mix[:, drawn]
        w = weights[None, :, None]
        moved = (1 - w) * values + w * split
        out[known["_row"].to_numpy()] = moved[ci, dj, sk]
    return paths.with_columns(pl.Series("y", out)).cast(paths.schema)


def _customers_on_their_paths(
    forecast: pl.DataFrame, paths: pl.DataFrame, class_bands: pl.DataFrame, *, as_of: date
) -> pl.DataFrame:
    """``forecast`` with each customer's mean-measure rows read from its sample ``paths`` on
    the days its class's band moved off the short model (``class_bands``).

    Its quantiles are its paths' (the paths the drills play, whose class sums read the class's
    band). Its mean is its class's mean split over the class's customers: by the short model's
    means where the short model holds, by the paths' means where the growth model does, moving
    with the lead as the daily rows do (:func:`~forecasting.longrange.blend_weight`), so the
    customers still add up to their class. Scaled by the class's ratio alone, a customer kept
    the short model's quantiles times the class's growth in mean: where that mean sat below
    its paths (a bursty class, whose reconciled paths are clipped at zero) a customer's q50 read
    627 GPUs and its q90 1,690 in March 2027, against its paths' 137 and its class's 335 and 816
    (demo as of 2026-12-01, us-west evaluation), and its mean 39.
    """
    qcols = [quantile_column(q) for q in QUANTILES if quantile_column(q) in forecast.columns]
    if paths.is_empty() or class_bands.is_empty():
        return forecast
    moved = class_bands.select(pl.col("unique_id").alias("parent"), "ds").unique()
    y = pl.col("y").cast(pl.Float64)
    ids = paths.get_column("unique_id")
    on_moved_days = (
        paths.lazy()
        .filter(hierarchy.looked_up(hierarchy.depth(), ids) == hierarchy.BOTTOM_DEPTH)
        .with_columns(hierarchy.looked_up(hierarchy.parent(), ids).alias("parent"), y)
        .join(moved.lazy(), on=["parent", "ds"], how="semi")
        .collect()
    )
    # Means and shares from sums in a fixed order: a group-by's float sums moved the stored
    # means by an ulp from rerun to rerun.
    key = ["unique_id", "parent", "ds"]
    means = sums.group_sums(on_moved_days, key, "y").select(
        *key, (pl.col("y") / pl.col("rows")).alias("path_mean")
    )
    of_class = sums.group_sums(means, ["parent", "ds"], "path_mean")
    read = (
        on_moved_days.lazy()
        .group_by(key)
        .agg(
            y.quantile(q, interpolation="linear").alias(f"{quantile_column(q)}_paths")
            for q in QUANTILES
            if quantile_column(q) in qcols
        )
        .join(means.lazy(), on=key)
        .join(of_class.lazy().rename({"path_mean": "class_mean"}), on=["parent", "ds"])
        .with_columns(
            (pl.col("path_mean") / pl.col("class_mean")).alias("share"),
            pl.lit(Measure.MEAN.value).alias("measure"),
        )
        .drop("class_mean", "rows")
    )
    classes = forecast.lazy().select(
        pl.col("unique_id").alias("parent"), "ds", "measure", pl.col("mean").alias("whole")
    )
    w = longrange.blend_weight((pl.col("ds") - pl.lit(as_of)).dt.total_days())
    split = pl.col("share").is_not_null() & pl.col("share").is_finite()
    return (
        forecast.lazy()
        .join(read, on=["unique_id", "ds", "measure"], how="left")
        .join(classes, on=["parent", "ds", "measure"], how="left")
        .with_columns(
            pl.when(split & pl.col("whole").is_not_null())
            .then((1 - w) * pl.col("mean") + w * pl.col("whole") * pl.col("share"))
            .otherwise(pl.col("mean"))
            .alias("mean"),
            *(pl.coalesce(f"{c}_paths", c).alias(c) for c in qcols),
        )
        .select(forecast.columns)
        .collect()
        .cast(forecast.schema)
    )


# 28-day blocks of history a customer's moves are read on (a year at most), and the fewest
# that read a move at all (two steps).
_MOVE_BLOCKS = 13
_MIN_MOVE_BLOCKS = 3


def _customer_block_steps(
    series: pl.DataFrame, stopped: pl.DataFrame, active: pl.DataFrame | None, *, as_of: date
) -> pl.LazyFrame:
    """(measure, unique_id, parent, block, own_step, class_step): each customer's log1p step
    from one complete 28-day block to the next, and its class's on the same blocks (the last
    ``_MOVE_BLOCKS`` to ``as_of``, from its first busy day; the first block's steps null). A
    block's level is its busiest day for the peak measure and its busy days' mean for the mean
    measure (a pause is days it did not run, not a lower level, as
    :func:`_history_peak_shares` reads it); the class reads as its customers still active made
    it (``active``). Stopped customers and classes of one are left out."""
    y = pl.col("y").cast(pl.Float64)
    start = as_of - timedelta(days=_MOVE_BLOCKS * longrange.BLOCK_DAYS - 1)
    rows = (
        series.lazy()
        .filter(
            pl.col("ds").is_between(start, as_of)
            & y.is_not_null()
            & y.is_not_nan()
            & (hierarchy.depth() >= hierarchy.BOTTOM_DEPTH - 1)
        )
        .with_columns(
            ((pl.lit(as_of) - pl.col("ds")).dt.total_days() // longrange.BLOCK_DAYS).alias("block"),
            y.clip(0.0).alias("y"),
        )
    )
    classes = _class_rows_active(rows, active)
    peak = pl.col("measure").first() == Measure.PEAK.value
    level = (
        pl.when(peak)
        .then(pl.col("y").max())
        .otherwise(pl.col("y").filter(pl.col("y") > 0).mean().fill_null(0.0))
    )
    class_blocks = (
        classes.group_by("measure", pl.col("unique_id").alias("parent"), "block")
        .agg(level.alias("whole"), pl.len().alias("days"))
        .filter(pl.col("days") >= longrange.BLOCK_DAYS)
        .drop("days")
    )
    customers = (
        rows.filter(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
        .join(stopped.lazy().select("unique_id"), on="unique_id", how="anti")
        .with_columns(
            hierarchy.parent().alias("parent"),
            pl.col("ds").filter(pl.col("y") > 0).min().over("measure", "unique_id").alias("first"),
        )
        .filter(pl.col("unique_id").n_unique().over("measure", "parent") > 1)
    )
    block_start = pl.lit(as_of) - pl.duration(days=(pl.col("block") + 1) * longrange.BLOCK_DAYS - 1)
    return (
        customers.filter(pl.col("first").is_not_null())
        .group_by("measure", "unique_id", "parent", "block")
        .agg(level.alias("own"), pl.col("first").first())
        .filter(block_start >= pl.col("first"))
        .join(class_blocks, on=["measure", "parent", "block"])
        .sort("measure", "unique_id", pl.col("block"), descending=[False, False, True])
        .with_columns(
            pl.col("own").log1p().diff().over("measure", "unique_id").alias("own_step"),
            pl.col("whole").log1p().diff().over("measure", "unique_id").alias("class_step"),
        )
        .select("measure", "unique_id", "parent", "block", "own_step", "class_step")
    )


def _own_move_ratios(
    series: pl.DataFrame, stopped: pl.DataFrame, active: pl.DataFrame | None, *, as_of: date
) -> pl.DataFrame:
    """(unique_id, measure, ratio): how far each customer's level moves from one 28-day block
    to the next over how far its class's does, at most 1: the root mean square of its log1p
    steps over its class's on the same complete blocks (:func:`_customer_block_steps`;
    ``_MIN_MOVE_BLOCKS`` at least). Steps include the growth itself, so a customer that grows
    as its class reads about 1 and a flat one 0. A class that never moved beside a customer
    that did reads 1; stopped customers, classes of one and customers with fewer blocks are
    left out (they keep their class's band)."""
    steps = (
        _customer_block_steps(series, stopped, active, as_of=as_of)
        .group_by("measure", "unique_id")
        .agg(
            pl.len().alias("blocks"),
            (pl.col("own_step") ** 2).mean().sqrt().alias("own"),
            (pl.col("class_step") ** 2).mean().sqrt().alias("whole"),
        )
        .filter(pl.col("blocks") >= _MIN_MOVE_BLOCKS)
    )
    return (
        steps.select(
            "unique_id",
            "measure",
            pl.when(pl.col("whole") > 0)
            .then((pl.col("own") / pl.col("whole")).clip(upper_bound=1.0))
            .when(pl.col("own") > 0)
            .then(1.0)
            .otherwise(0.0)
            .alias("ratio"),
        )
        .sort("measure", "unique_id")
        .collect()
    )


# Steps of a customer's own history that weigh as much as its class's growth: however clean
# its steps, a short history vouches for its growth over a short span only (a customer flat
# for two months may launch in the third), so it keeps at most m / (m + 3) of it: two steps
# (90 days) 0.4, a year's twelve 0.8.
_GROWTH_PRIOR_STEPS = 3.0
# Pseudo-steps of the fleet's pooled step noise that each customer's own steps' spread is
# read with: a 90-day customer has two steps, whose spread alone (one degree of freedom) can
# read zero for a series that happened to repeat its level.
_NOISE_PRIOR_STEPS = 2.0


def _own_growths(
    series: pl.DataFrame, stopped: pl.DataFrame, active: pl.DataFrame | None, *, as_of: date
) -> pl.DataFrame:
    """(unique_id, measure, growth, class_growth): each customer's growth per 28-day block in
    log1p, as its own history reads it, shrunk toward its class's on the same blocks
    (``class_growth``: what the split by shares gives every customer) as far as its history
    is short or noisy.

    Its own growth less its class's is the mean of its steps' differences from its class's
    (:func:`_customer_block_steps`, ``_MIN_MOVE_BLOCKS`` blocks at least); its standard error
    is their spread, read with ``_NOISE_PRIOR_STEPS`` pseudo-steps of the pooled spread of the
    fleet's customers of the same workload class, over the root of its steps. It is kept in
    the proportion ``tau^2 / (tau^2 + se^2)``, where ``tau^2`` is how far those customers'
    growths part from their classes' beyond what their errors explain (the method-of-moments
    estimate of empirical Bayes, per measure and workload class: an evaluation customer's
    steps are ten times an inference one's; 0 where the errors explain it all, which reads
    every such customer at its class's growth: the split by shares), and at most in the
    proportion ``m / (m + _GROWTH_PRIOR_STEPS)`` of its ``m`` steps: a 90-day customer has two
    steps, so it keeps less of its own growth than a two-year one with the same spread."""
    steps = (
        _customer_block_steps(series, stopped, active, as_of=as_of)
        .filter(pl.col("own_step").is_not_null() & pl.col("class_step").is_not_null())
        .with_columns((pl.col("own_step") - pl.col("class_step")).alias("apart"))
        .group_by("measure", "unique_id", hierarchy.level(2).alias("kind"))
        .agg(
            pl.len().alias("steps"),
            pl.col("apart").mean().alias("apart"),
            pl.col("apart").var(ddof=1).alias("spread"),
            pl.col("class_step").mean().alias("class_growth"),
        )
        .filter(pl.col("steps") >= _MIN_MOVE_BLOCKS - 1)
        .collect()
    )
    if steps.is_empty():
        return pl.DataFrame(
            schema={
                "unique_id": pl.String,
                "measure": pl.String,
                "growth": pl.Float64,
                "class_growth": pl.Float64,
            }
        )
    n, nu = pl.col("steps").cast(pl.Float64), _NOISE_PRIOR_STEPS
    pooled = pl.col("spread").median().over("measure", "kind").fill_null(0.0)
    error2 = ((n - 1) * pl.col("spread").fill_null(0.0) + nu * pooled) / (n - 1 + nu) / n
    return (
        steps.with_columns(error2.alias("error2"))
        .with_columns(
            ((pl.col("apart") ** 2).mean() - pl.col("error2").mean())
            .over("measure", "kind")
            .clip(lower_bound=0.0)
            .alias("tau2")
        )
        .select(
            "unique_id",
            "measure",
            (
                pl.col("class_growth")
                + pl.when(pl.col("tau2") > 0)
                .then(pl.col("tau2") / (pl.col("tau2") + pl.col("error2")))
                .otherwise(0.0)
                * (n / (n + _GROWTH_PRIOR_STEPS))
                * pl.col("apart")
            ).alias("growth"),
            "class_growth",
        )
        .sort("measure", "unique_id")
    )


def _grown_as_their_own(
    frame: pl.DataFrame, values: list[str], shares: Mapping[str, pl.Expr]
) -> pl.DataFrame:
    """``frame`` (a class's monthly rows joined to each customer's: ``parent``, ``ds``, the
    class's ``values`` as :func:`_widened_as_own_moves` left them, and ``growth`` and
    ``class_growth`` from :func:`_own_growths`) as each customer's rows: its share of its
    class's first month, plus its part of what its class grew since, in proportion to its
    share times its own growth (positive part) rather than to its share alone.

    ``shares`` gives, per value, the share column it is split by. Per class and share column,
    each customer's part is ``share * g / mean(g)`` (``g`` its growth floored at zero, the mean
    weighted by the shares), so the customers add up as the split by shares did; a customer
    with no growth read takes its class's, and a class whose customers all read no growth
    (or none read at all) is split by shares. The first month is the split by shares."""
    keys = ["parent", "ds"]
    class_growth = pl.col("class_growth").median().over("parent")
    g = pl.coalesce("growth", class_growth).clip(lower_bound=0.0)
    firsts = (
        frame.sort("ds")
        .group_by("unique_id")
        .agg(pl.col(c).first().alias(f"{c}_first") for c in values)
    )
    frame = frame.with_columns(g.alias("_g")).join(firsts, on="unique_id", how="left")

    def part(share: pl.Expr) -> pl.Expr:
        weighted = (share * pl.col("_g")).sum().over(keys)
        return (
            pl.when(weighted > 0)
            .then(pl.col("_g") * share.sum().over(keys) / weighted)
            .otherwise(1.0)
            .fill_null(1.0)
        )

    return frame.with_columns(
        (
            shares[c]
            * (pl.col(f"{c}_first") + part(shares[c]) * (pl.col(c) - pl.col(f"{c}_first"))).clip(
                lower_bound=0.0
            )
        ).alias(c)
        for c in values
    ).drop("_g", *(f"{c}_first" for c in values))


def _widened_as_own_moves(frame: pl.DataFrame, values: list[str]) -> pl.DataFrame:
    """``frame`` (a class's monthly rows joined to each customer's: ``parent``, ``ds``,
    ``ratio`` and the class's ``values``) with the class's mean and upper quantiles, read
    as how far each sits above the class's q50 in log1p, widening from the class's first
    month as far as the customer's own moves carry it: their squared distance
    ``(1 - k^2) d0^2 + k^2 d^2`` (``k`` the ratio, ``d0`` the first month's, ``d`` this
    month's), so a customer that moves as its class takes its class's band, one that never
    moves keeps its first month's width, and a null ratio leaves the row as it was. The lower
    quantiles stay the class's: below the median the class's band is the class not growing,
    which a customer that does not move shares."""
    upper = [c for c in values if c == "mean" or _level_of(c) > 0.5]
    if "q50" not in frame.columns or not upper:
        return frame
    centre = pl.col("q50").clip(lower_bound=0.0).log1p()

    def gap(c: str) -> pl.Expr:
        return pl.col(c).clip(lower_bound=0.0).log1p() - centre

    first = frame.sort("ds").group_by("parent").agg(gap(c).first().alias(f"{c}_d0") for c in upper)
    k2 = pl.col("ratio") ** 2
    return (
        frame.join(first, on="parent", how="left")
        .with_columns(
            pl.when(pl.col("ratio").is_not_null())
            .then(
                (
                    centre
                    + gap(c).sign()
                    * ((1 - k2) * pl.col(f"{c}_d0") ** 2 + k2 * gap(c) ** 2).clip(0.0).sqrt()
                ).exp()
                - 1.0
            )
            .otherwise(pl.col(c))
            .alias(c)
            for c in upper
        )
        .drop([f"{c}_d0" for c in upper])
    )


def _level_of(column: str) -> float:
    """The quantile level a ``q..`` column holds (0.5 for any other column)."""
    return {quantile_column(q): q for q in QUANTILES}.get(column, 0.5)


# Days of the short model a customer's monthly share is read on: the shortest daily horizon a
# run may have, so every run reads the same days.
_SHARE_DAYS = MIN_HORIZON_DAYS


def _customer_months(
    forecast: pl.DataFrame,
    months: pl.DataFrame,
    measure: str,
    *,
    as_of: date,
    peak_shares: pl.DataFrame | None = None,
    own_shares: pl.DataFrame | None = None,
    move_ratios: pl.DataFrame | None = None,
    growths: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """A customer's monthly rows: its class's, times its share of its class, its band above its
    median widening as its own moves carry it (``move_ratios``, :func:`_own_move_ratios` and
    :func:`_widened_as_own_moves`; README, "its own moves"), and with ``growths``
    (:func:`_own_growths`) its part of what its class grows past the first month in
    proportion to its share times its own growth (the peaks', for both measures;
    :func:`_grown_as_their_own`; README, "its own history grew"), no customer's band above its
    median, over that median, more than ``_MOST_BAND_TAKEN`` times the split's
    (:func:`_still_adding_up`).

    The share is its part of the class's mean over the short model's first ``_SHARE_DAYS``
    days. Read on the last daily day, the share was the paths' split at the end of whatever
    daily horizon the run had, so the same January 2030 class demand went to other customers
    as ``--horizon`` changed: the synthetic fleet's (seed 3) eu-west evaluation customer
    cust-015 drove 95.5 % of its class's growth in a 7-day run and 73.3 % in a 26-week one,
    cust-010 none and 17.4 %. Three years out nothing in the daily window says how a class's
    customers will split, and holding a near-term share scored as well as the paths' split on
    days 91-182 (README, "the paths' split was measured").

    A month's peak is another matter: a customer's busiest day of a month is not on its
    class's, and a customer's month varies more than its class's, so its part of the class's
    mean set its peak months low. With ``peak_shares`` (:func:`_month_peak_shares`), a
    customer's peak months are its class's times its share of the class's monthly peak in
    the history's last complete months, its upper quantiles at the largest such share and its
    lower ones at the least. Customers' months 91+ days out, forecast 182, 273 and 364 days
    before the demo fleet's end: q50 bias -4.0/-10.7/-21.2 % -> +4.6/-3.3/-15.9 % (the
    classes' own: +5.0/-2.6/-15.0 %; with one backtest cut-off keeping the combination,
    ``longrange._pooled_choice``, -1.3 % and +0.1 % at 364), the month above q90 in 36/33/36 %
    -> 13/19/22 % of customer-months (README, "Customers' monthly peaks").

    A customer without such months (a class with fewer complete months, a customer onboarded
    within them) reads its share of its class's daily peak in its own history (``own_shares``,
    :func:`_history_peak_shares`) for the peak measure, not its part of the short model's
    first days, which MinT's reconciliation had moved: `synth --customers 12 --seed 3 --days
    90` read us-east evaluation northwind-ai's months at 1.6 times its class's.
    """
    values = [c for c in _VALUES if c in months.columns]
    first = forecast.filter(
        (pl.col("measure") == measure)
        & (pl.col("ds") > as_of)
        & (pl.col("ds") <= as_of + timedelta(days=_SHARE_DAYS))
    )
    own = first.group_by("unique_id").agg(pl.col("mean").sum().alias("own"))
    customers = own.filter(hierarchy.depth() == hierarchy.BOTTOM_DEPTH).select(
        "unique_id", hierarchy.parent().alias("parent"), "own"
    )
    classes = own.select(pl.col("unique_id").alias("parent"), pl.col("own").alias("whole"))
    shares = customers.join(classes, on="parent").select(
        "unique_id",
        "parent",
        pl.when(pl.col("whole") > 0)
        .then(pl.col("own") / pl.col("whole"))
        .otherwise(0.0)
        .alias("share"),
    )
    low = high = pl.col("share")
    if own_shares is not None and own_shares.height and measure == Measure.PEAK.value:
        shares = shares.join(
            own_shares.select("unique_id", pl.col("share").alias("own_share")),
            on="unique_id",
            how="left",
        ).select("unique_id", "parent", pl.coalesce("own_share", "share").alias("share"))
    if peak_shares is not None and measure == Measure.PEAK.value:
        shares = shares.join(
            peak_shares.rename({"share": "month_share"}), on="unique_id", how="left"
        ).with_columns(
            pl.coalesce("low", "share").alias("low"),
            pl.coalesce("high", "share").alias("high"),
            pl.coalesce("month_share", "share").alias("share"),
        )
        low, high = pl.col("low"), pl.col("high")

    def scaled(column: str) -> pl.Expr:
        q = _level_of(column)
        return pl.col(column) * (low if q < 0.5 else high if q > 0.5 else pl.col("share"))

    joined = shares.join(months.rename({"unique_id": "parent"}), on="parent")
    if move_ratios is None:
        return joined.select(
            "unique_id",
            "ds",
            pl.lit("share of class").alias("model"),
            *(scaled(c).alias(c) for c in values),
        )
    mine = move_ratios.filter(pl.col("measure") == measure).select("unique_id", "ratio")
    widened = [c for c in values if c == "mean" or _level_of(c) > 0.5]
    rows = _widened_as_own_moves(joined.join(mine, on="unique_id", how="left"), values)
    if growths is None:
        rows = rows.with_columns(scaled(c).alias(c) for c in values)
    else:
        # The peaks' growth for both measures: read per measure, the means' growth on a
        # 90-day fleet (synth seed 3) kept the split by shares where the peaks' did not, and
        # a flat customer's peak months fell below its mean's, which lifted them back.
        mine_growth = growths.filter(pl.col("measure") == Measure.PEAK.value).select(
            "unique_id", "growth", "class_growth"
        )
        rows = _grown_as_their_own(
            rows.join(mine_growth, on="unique_id", how="left"),
            values,
            {
                c: low if _level_of(c) < 0.5 else high if _level_of(c) > 0.5 else pl.col("share")
                for c in values
            },
        )
    split = [*widened, "q50"] if "q50" in values and "q50" not in widened else widened
    rows = rows.join(
        joined.select("unique_id", "ds", *(scaled(c).alias(f"{c}_split") for c in split)),
        on=["unique_id", "ds"],
    )
    rows = _still_adding_up(rows, widened)
    return rows.select(
        "unique_id", "ds", pl.lit("share of class").alias("model"), *(pl.col(c) for c in values)
    )


# The most a customer's band above its median, over that median, reads of what the split by
# shares gave it, once its class-mates' narrower bands are handed over (a bound on one
# customer carrying its class's band, not a measured figure: at 1 a flat customer beside
# growing ones took its band back, since the growing ones could take none of it).
_MOST_BAND_TAKEN = 2.0


def _still_adding_up(rows: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """``rows`` (a class's customers' monthly rows of one measure: ``parent``, ``ds``,
    ``ratio``, each of ``columns`` as :func:`_widened_as_own_moves` left it and ``<c>_split``,
    its class's value times its share) with what the narrower customers took off each class's
    month handed to its customers in proportion to ``ratio^2`` times their split, column by
    column, so the customers sum as the split did: the class's spread, and its mean above its
    median, is carried by the customers that move as it does. The mean measure's months add
    up so; the peaks' sum is what the triggers read as an upper bound of the class's peak
    (``triggers.levels._bottom_peaks``), and a flat customer's narrower q90 left alone moved a
    90-day fleet's us-east training exhaustion from January to July 2029. A class none of
    whose customers moves (or a column none of them moved) keeps the split.

    With ``q50`` and ``q50_split`` in ``rows``, no customer's value reads further above its own
    median, over that median, than ``_MOST_BAND_TAKEN`` times what the split by shares read
    above the split's median: what the handing over puts above that goes to its class-mates in
    proportion to their room below theirs, and only what their room cannot hold to all of
    them by their split. Uncapped, the one customer of a class that moved took
    the whole class's band: on `synth --customers 12 --seed 3 --days 90` us-west training's
    lumen-systems, busiest day 512 GPUs, read a December 2029 peak q90 of 23,239 (q50
    1,215)."""
    k2 = pl.col("ratio").fill_null(1.0) ** 2
    keys = ["parent", "ds"]

    def added_up(c: str) -> pl.Expr:
        weight = k2 * pl.col(f"{c}_split")
        weights = weight.sum().over(keys)
        short = (pl.col(f"{c}_split") - pl.col(c)).sum().over(keys)
        return (
            pl.when(weights > 0)
            .then(pl.col(c) + short * weight / weights)
            .otherwise(pl.col(f"{c}_split"))
            .alias(c)
        )

    rows = rows.with_columns(added_up(c) for c in columns)
    if "q50" not in rows.columns or "q50_split" not in rows.columns:
        return rows

    def capped(c: str) -> pl.Expr:
        over = pl.col(f"{c}_split") / pl.col("q50_split")
        cap = (
            pl.when(pl.col("q50_split") > 0)
            .then(
                pl.col("q50") * (over + (_MOST_BAND_TAKEN - 1) * (over - 1).clip(lower_bound=0.0))
            )
            .otherwise(pl.col(c))
        )
        kept = pl.min_horizontal(pl.col(c), cap)
        excess = (pl.col(c) - kept).sum().over(keys)
        room = (cap - kept).clip(lower_bound=0.0)
        rooms = room.sum().over(keys)
        held = pl.min_horizontal(excess, rooms)
        splits = pl.col(f"{c}_split").sum().over(keys)
        return (
            kept
            + pl.when(rooms > 0).then(held * room / rooms).otherwise(0.0)
            + pl.when(splits > 0)
            .then((excess - held) * pl.col(f"{c}_split") / splits)
            .otherwise(0.0)
        ).alias(c)

    return rows.with_columns(capped(c) for c in columns)


# Complete months of history a customer's share of its class's monthly peak is read on: the
# fewest whose sums steady a share (two and four scored alike on the demo, one was noisier).
_SHARE_MONTHS = 3
# The fewest such months a share is read on: a 90-day fleet has two complete months, and with
# none read there every customer's months were its share of its class's daily peak times its
# class's busiest day (a flat customer's month 1.2 times what its months ever read).
_MIN_SHARE_MONTHS = 2
# Observed days that make a class's month complete enough to read its busiest day on.
_MONTH_DAYS = 28


def _month_peak_shares(series: pl.DataFrame, stopped: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """(unique_id, share, low, high): each customer's busiest day in each of its class's last
    ``_SHARE_MONTHS`` complete months before ``as_of`` (``_MIN_SHARE_MONTHS`` at least), over
    its class's busiest day: over the months' sums, and the least and largest month's.

    A complete month ends by ``as_of`` and has at least ``_MONTH_DAYS`` observed days of its
    class. Left out (their share of their class's daily peak in their history stays their
    share, :func:`_customer_months`): classes with fewer
    complete months, customers whose first busy day is inside the months (an onboarding ramp's
    months would set a share below where it has arrived) and customers that stopped.
    """
    y = pl.col("y").cast(pl.Float64)
    peaks = series.lazy().filter(
        (pl.col("measure") == Measure.PEAK.value)
        & (pl.col("ds") <= as_of)
        & y.is_not_null()
        & y.is_not_nan()
    )
    month = pl.col("ds").dt.truncate("1mo")
    class_months = (
        peaks.filter(hierarchy.depth() == hierarchy.BOTTOM_DEPTH - 1)
        .group_by("unique_id", month.alias("month"))
        .agg(y.max().alias("whole"), pl.len().alias("days"))
        .filter(
            (pl.col("days") >= _MONTH_DAYS)
            & (pl.col("month").dt.month_end() <= as_of)
            & (pl.col("whole") > 0)
        )
        .sort("unique_id", "month")
        .group_by("unique_id")
        .tail(_SHARE_MONTHS)
        .filter(pl.len().over("unique_id") >= _MIN_SHARE_MONTHS)
        .select(pl.col("unique_id").alias("parent"), "month", "whole")
    )
    customers = peaks.filter(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
    first_busy = (
        customers.filter(y > 0)
        .group_by("unique_id")
        .agg(pl.col("ds").min().alias("first_busy"))
        .join(stopped.lazy().select("unique_id"), on="unique_id", how="anti")
        .with_columns(hierarchy.parent().alias("parent"))
    )
    own = customers.group_by("unique_id", month.alias("month")).agg(y.max().alias("own"))
    return (
        first_busy.join(class_months, on="parent")
        .filter(pl.col("first_busy") < pl.col("month").min().over("unique_id"))
        .join(own, on=["unique_id", "month"], how="left")
        .with_columns(pl.col("own").fill_null(0.0))
        .group_by("unique_id")
        .agg(
            (pl.col("own").sum() / pl.col("whole").sum()).alias("share"),
            (pl.col("own") / pl.col("whole")).min().alias("low"),
            (pl.col("own") / pl.col("whole")).max().alias("high"),
        )
        .sort("unique_id")
        .collect()
    )


def _classes_adding_up(frame: pl.DataFrame, values: list[str]) -> pl.DataFrame:
    """``frame`` (regions and their classes, the mean measure) with each region's classes
    scaled, day by day (or month by month), so that their means add up to the region's mean,
    each class's growth scaled alike (:func:`_split_factors`).

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
    apart = (
        region.join(parts, on=["parent", "ds"])
        .filter(
            (pl.col("parts") > 0)
            & ((pl.col("whole") - pl.col("parts")).abs() > 1e-9 * pl.col("parts"))
        )
        .select("parent", "ds", "whole")
    )
    factor = _split_factors(frame, apart, base="mean")
    return (
        frame.join(factor, on=["unique_id", "ds"], how="left")
        .with_columns(
            pl.when((hierarchy.depth() == 2) & pl.col("factor").is_not_null())
            .then(pl.col(c) * pl.col("factor"))
            .otherwise(pl.col(c))
            .alias(c)
            for c in own
        )
        .select(frame.columns)
    )


def _split_factors(
    frame: pl.DataFrame, wholes: pl.DataFrame, *, base: str, anchor: pl.DataFrame | None = None
) -> pl.DataFrame:
    """(unique_id, ds, factor): what each class of ``frame`` is multiplied by so that the
    ``base`` values of a region's classes add up to its ``whole`` on each of the days
    ``wholes`` (parent, ds, whole) lists.

    The region's model sets how much the region grows and the classes' own models who grows:
    each class's growth from its level today (``anchor``: unique_id, level; by default its
    first row in ``frame``) is scaled alike (:func:`_factors_by_growth`), not its level.
    Scaled alike, a reserved block that read 1,000 GPUs every hour of two years, its own growth
    model 1,000 at every quantile, took its region's correction and read 961 by June 2027 and a
    monthly mean of 646 by January 2030 inside a growing region (the other classes' separately
    compounded growth summed to 1.4x the region's)."""
    rows = (
        frame.filter(hierarchy.depth() == 2)
        .with_columns(hierarchy.parent().alias("parent"))
        .join(wholes, on=["parent", "ds"])
    )
    if rows.is_empty():
        return pl.DataFrame(schema={"unique_id": pl.String, "ds": pl.Date, "factor": pl.Float64})
    if anchor is None:
        anchor = (
            frame.filter(hierarchy.depth() == 2)
            .sort("ds")
            .group_by("unique_id")
            .agg(pl.col(base).first().alias("level"))
        )
    rows = rows.join(anchor.select("unique_id", "level"), on="unique_id", how="left").with_columns(
        pl.struct("parent", "ds").rank("dense").cast(pl.Int64).sub(1).alias("_g"),
        pl.col("level").fill_null(pl.col(base)),
    )
    factor = _factors_by_growth(
        rows[base].fill_null(0.0).clip(lower_bound=0.0).to_numpy(),
        rows["level"].fill_null(0.0).clip(lower_bound=0.0).to_numpy(),
        rows["whole"].to_numpy(),
        rows["_g"].to_numpy(),
    )
    return rows.select("unique_id", "ds").with_columns(pl.Series("factor", factor))


# The most a region's correction stretches its classes' growth (the scale's upper bound; a
# bound against a runaway scale where the classes barely grow, not a measured figure).
_MOST_GROWTH_SCALE = 4.0


def _factors_by_growth(
    base: np.ndarray, level: np.ndarray, whole: np.ndarray, group: np.ndarray
) -> np.ndarray:
    """Each class's factor so that its region's classes (``group``: the region and day of each
    row) add up to ``whole`` (the region's value, on every row of the group) from ``base``
    (each class's own value): each class's growth from ``level`` (its level today), in log1p,
    is scaled by one number c per region and day (0 <= c <= _MOST_GROWTH_SCALE), so a class its
    own model reads flat keeps its level and the others' growth is stretched or damped alike.
    What c cannot reach (a region below its classes' levels today, or every class flat) is
    scaled alike."""
    n = int(group.max()) + 1 if group.size else 0
    target = np.zeros(n)
    target[group] = whole
    start, growth = np.log1p(level), np.log1p(base) - np.log1p(level)

    # A class read at zero stays there (no factor moves it), so it adds nothing at any c; and
    # none is read below zero: a shrinking class's growth scaled past -1 in log1p read a
    # negative mean (-0.22 GPUs, a synthetic fleet's eu-west experimentation on one day).
    def moved_by(c: np.ndarray) -> np.ndarray:
        return np.where(base > 0, np.maximum(np.expm1(start + c[group] * growth), 0.0), 0.0)

    def summed(c: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=moved_by(c), minlength=n)

    # The summed value need not be monotone in c (classes growing beside classes shrinking):
    # bisection finds a c where it crosses the region's value, if it does within the bounds.
    low, high = np.zeros(n), np.full(n, _MOST_GROWTH_SCALE)
    rising = summed(high) >= summed(low)
    for _ in range(100):
        mid = (low + high) / 2
        above = (summed(mid) > target) == rising
        high = np.where(above, mid, high)
        low = np.where(above, low, mid)
    c = (low + high) / 2
    factor = np.where(base > 0, moved_by(c) / np.where(base > 0, base, 1.0), 1.0)
    total = np.bincount(group, weights=base * factor, minlength=n)
    rest = np.where(total > 0, target / np.where(total > 0, total, 1.0), 1.0)
    return factor * rest[group]


def _months_adding_up(
    frame: pl.DataFrame, values: list[str], *, anchor: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``frame`` (monthly average-day rows of regions and their classes, the mean measure) with
    each region's classes scaled so that their medians add up to the region's median (their growth
    scaled alike, :func:`_split_factors`), and the region's mean split over them by those
    medians, each class's mean within its band.

    Past the daily days a class's mean is dominated by its log-scale tail: the growth model's
    mean is exp(mu + s^2/2), and a sparse, bursty class whose block means jump compounds s to
    4-5 in logs by the 36th month, where no backtest scores anything. Split by those means
    (:func:`_classes_adding_up`), one class took its region: synthetic fleet seed 3 as of
    2026-12-03, eu-west evaluation (52 GPUs) read a July 2029 mean of 78,442 on a q50 of 243
    (its mean held at its own q90), the classes' means summed to 9.5x the region's, and
    scaled to add up, eu-west inference (3,717 GPUs, +98 % a year) fell to 492 and training
    (2,076) to 274, while evaluation read 8,203.

    The region's model is the one judged at the decision horizon, so it sets the level and its
    mean; the classes' central paths (their medians, where no tail reaches) set the mix. So a
    class's mean is its median times its region's mean over median. Where that is above the
    class's own (scaled) q90 (a steady class in a region whose band a bursty class widens), the
    class's mean is its q90 and the rest goes to its region's other classes in proportion to
    their room below their q90, so the classes' means add up to the region's and each stays in
    its band; where no class has the room, they read their q90s and add up to less.
    Quantiles scale with the median.
    """
    own = [c for c in values if c in frame.columns]
    region = frame.filter(hierarchy.depth() == 1).select(
        pl.col("unique_id").alias("parent"),
        "ds",
        pl.col("mean").alias("whole_mean"),
        pl.col("q50").alias("whole_q50"),
    )
    parts = (
        frame.filter(hierarchy.depth() == 2)
        .group_by(hierarchy.parent().alias("parent"), "ds")
        .agg(pl.col("q50").sum().alias("parts_q50"))
    )
    skew = (
        region.join(parts, on=["parent", "ds"])
        .filter((pl.col("parts_q50") > 0) & (pl.col("whole_q50") > 0))
        .select(
            "parent",
            "ds",
            pl.col("whole_q50").alias("whole"),
            (pl.col("whole_mean") / pl.col("whole_q50")).alias("skew"),
        )
    )
    factor = _split_factors(frame, skew.drop("skew"), base="q50", anchor=anchor)
    is_split = (hierarchy.depth() == 2) & pl.col("factor").is_not_null()
    by_region = ["parent", "ds"]
    scaled = (
        frame.with_columns(hierarchy.parent().alias("parent"))
        .join(factor, on=["unique_id", "ds"], how="left")
        .join(skew.drop("whole"), on=by_region, how="left")
        .with_columns(
            pl.when(is_split).then(pl.col(c) * pl.col("factor")).otherwise(pl.col(c)).alias(c)
            for c in own
            if c != "mean"
        )
        .with_columns(
            pl.when(is_split).then(pl.col("q50") * pl.col("skew")).alias("central"),
        )
        .with_columns(
            pl.min_horizontal("central", "q90").alias("kept"),
            (pl.col("q90") - pl.col("central")).clip(lower_bound=0.0).alias("room"),
        )
        .with_columns(
            pl.when(is_split)
            .then((pl.col("central") - pl.col("kept")).sum().over(by_region))
            .alias("over"),
            pl.when(is_split).then(pl.col("room").sum().over(by_region)).alias("rooms"),
        )
        .with_columns(
            pl.when(is_split & (pl.col("rooms") > 0))
            .then(
                pl.col("kept")
                + pl.min_horizontal("over", "rooms") * pl.col("room") / pl.col("rooms")
            )
            .when(is_split)
            .then(pl.col("kept"))
            .otherwise(pl.col("mean"))
            .alias("mean")
        )
        .select(frame.columns)
    )
    # A region whose classes all read a median of zero has no central path to split by: its
    # classes add up by their means, as the daily rows do.
    return _classes_adding_up(scaled, values)


# A class's own band is held within its region's once it exceeds it by more than this share.
_HELD_TOL = 0.005


def _levels_today(short: pl.DataFrame) -> pl.DataFrame:
    """(unique_id, level): each class's mean on the first day of ``short`` (its daily rows),
    the level its growth past the daily days is read from."""
    return (
        short.filter(hierarchy.depth() == 2)
        .sort("ds")
        .group_by("unique_id")
        .agg(pl.col("mean").first().alias("level"))
    )


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


# A customer series has stopped as shifts.stopped_days reads it (the daily forecast holds it
# at zero on the same rule): busy on _BUSY_SHARE of its observed days of the block before its
# zeros (as many as it has), and on _BUSY_FLOOR of them at least.
_STOPPED_DAYS = shifts.STOPPED_DAYS
_BUSY_SHARE = shifts.STOPPED_BUSY_SHARE
_BUSY_FLOOR = shifts.STOPPED_BUSY_FLOOR


def _stopped_customers(series: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """(unique_id, last_busy): the customer series of ``series`` that stopped (see
    ``_STOPPED_DAYS``; read on the mean measure) and their last day of demand."""
    y = pl.col("y").cast(pl.Float64)
    rows = series.lazy().filter((pl.col("measure") == Measure.MEAN.value) & (pl.col("ds") <= as_of))
    customers = rows.filter(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
    region_last = (
        rows.filter((hierarchy.depth() == 1) & y.is_not_null() & y.is_not_nan())
        .group_by(pl.col("unique_id").alias("region"))
        .agg(pl.col("ds").max().alias("region_last"))
    )
    last_busy = (
        customers.filter(y > 0)
        .group_by("unique_id")
        .agg(pl.col("ds").max().alias("last_busy"))
        .with_columns(_region_of("unique_id").alias("region"))
        .join(region_last, on="region")
        .filter((pl.col("region_last") - pl.col("last_busy")).dt.total_days() >= _STOPPED_DAYS)
    )
    block = pl.duration(days=longrange.BLOCK_DAYS)
    return (
        customers.join(last_busy, on="unique_id")
        .filter(
            (pl.col("ds") > pl.col("last_busy") - block) & (pl.col("ds") <= pl.col("last_busy"))
        )
        .group_by("unique_id", "last_busy")
        .agg((y > 0).sum().alias("busy"), (y.is_not_null() & y.is_not_nan()).sum().alias("seen"))
        .filter((pl.col("busy") >= _BUSY_FLOOR) & (pl.col("busy") >= _BUSY_SHARE * pl.col("seen")))
        .select("unique_id", "last_busy")
        .sort("unique_id")
        .collect()
    )


def _active_shares(series: pl.DataFrame, stopped: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """(unique_id, ds, active): for each class and region above a stopped customer, on each day
    to ``as_of``, the share of its mean demand that came from customers still active (1 on
    days the stopped ones read zero)."""
    y = pl.col("y").cast(pl.Float64)
    rows = series.lazy().filter((pl.col("measure") == Measure.MEAN.value) & (pl.col("ds") <= as_of))
    gone = (
        rows.join(stopped.lazy(), on="unique_id")
        .with_columns(
            pl.concat_list(hierarchy.parent(), _region_of("unique_id")).alias("ancestor"),
            y.fill_null(0.0).alias("y"),
        )
        .explode("ancestor")
        .group_by(pl.col("ancestor").alias("unique_id"), "ds")
        .agg(pl.col("y").sum().alias("gone"))
    )
    return (
        rows.join(gone, on=["unique_id", "ds"])
        .select(
            "unique_id",
            "ds",
            pl.when(y > 0)
            .then((1 - pl.col("gone") / y).clip(0.0, 1.0))
            .otherwise(1.0)
            .alias("active"),
        )
        .collect()
    )


def _stopped_notes(stopped: pl.DataFrame, active: pl.DataFrame) -> pl.DataFrame:
    """(unique_id, stopped): for each class and region above a stopped customer, which of its
    customers were left out of the history its growth model fits, and what share of its
    demand they had in the block before they stopped."""
    block = pl.duration(days=longrange.BLOCK_DAYS)
    named = stopped.with_columns(
        hierarchy.level(hierarchy.BOTTOM_DEPTH).alias("name"),
        pl.concat_list(hierarchy.parent(), _region_of("unique_id")).alias("ancestor"),
    ).explode("ancestor")
    shares = (
        active.join(
            named.group_by(pl.col("ancestor").alias("unique_id")).agg(pl.col("last_busy").max()),
            on="unique_id",
        )
        .filter(
            (pl.col("ds") > pl.col("last_busy") - block) & (pl.col("ds") <= pl.col("last_busy"))
        )
        .group_by("unique_id")
        .agg((1 - pl.col("active")).mean().alias("share"))
    )
    return (
        named.unique(["ancestor", "name", "last_busy"])
        .sort("name", "last_busy")
        .group_by(pl.col("ancestor").alias("unique_id"))
        .agg(
            pl.format("{} (no demand after {})", "name", "last_busy").str.join(", ").alias("names")
        )
        .join(shares, on="unique_id", how="left")
        .select(
            "unique_id",
            pl.format(
                "growth fitted on the customers still active: {} left out of its history "
                "({}% of its demand before they stopped; a customer leaving is a step down, "
                "not a trend for the others)",
                "names",
                (pl.col("share").fill_null(0.0) * 100).round(0).cast(pl.Int64),
            ).alias("stopped"),
        )
    )


def _of_active(daily: pl.DataFrame, active: pl.DataFrame) -> pl.DataFrame:
    """``daily`` (unique_id, ds, y of classes and regions, one measure) with each value scaled
    by its series' share of demand from customers still active that day (``active``).

    Exact for the mean measure (the stopped customers' demand is taken off); for the peak
    measure, which does not add up over customers, the peak is scaled by the same share of
    the mean (the stopped customer peaked with the rest: an approximation).
    """
    return (
        daily.join(active, on=["unique_id", "ds"], how="left")
        .with_columns(pl.col("y") * pl.col("active").fill_null(1.0))
        .select(daily.columns)
    )


# Daily rows at the end of a run's daily days read as the level its monthly rows continue from:
# a week, so every weekday's peak is in it.
_END_DAYS = 7


def _months_lifted_as_their_days(
    months: pl.DataFrame, daily: pl.DataFrame, growth: pl.DataFrame, *, as_of: date
) -> pl.DataFrame:
    """``months`` (monthly rows of both measures) with each peak-measure row past a region's or
    class's daily rows lifted by what those rows read above the growth model ``growth`` (its
    daily view, peak measure) over their last week, value by value, the lift carried as the
    short model is into the growth model (``longrange.blend_weight`` at the first day the
    month's row serves); a customer's rows, its class's times its share, take its class's lift.

    The daily rows' short model is the run's reading for its first weeks; a run whose daily
    rows end early took the growth model's months from there, and read the same weeks lower
    than a longer run's days: the synthetic fleet's (seed 3, 90 days) us-west training read a
    January 2027 q90 of 2,555 in a 7-day run, 3,053 on the 26-week run's daily rows. Only a
    lift: a short model reading below the growth model leaves the months as they are (the
    monthly reading stays the stricter one). A class is held within its region after.
    """
    values = [c for c in _VALUES if c in months.columns and c in daily.columns]
    values = [c for c in values if c in growth.columns]
    peak = pl.col("measure") == Measure.PEAK.value
    days = daily.filter(peak & hierarchy.depth().is_between(1, 2))
    if months.is_empty() or days.is_empty() or growth.is_empty() or not values:
        return months
    last = days.group_by("unique_id").agg(pl.col("ds").max().alias("last_daily"))
    theirs = growth.select("unique_id", "ds", *(pl.col(c).alias(f"{c}_growth") for c in values))
    lifts = (
        days.join(last, on="unique_id")
        .filter(pl.col("ds") > pl.col("last_daily") - pl.duration(days=_END_DAYS))
        .join(theirs, on=["unique_id", "ds"])
        .group_by("unique_id", "last_daily")
        .agg(
            pl.when(pl.col(f"{c}_growth").sum() > 0)
            .then((pl.col(c).sum() / pl.col(f"{c}_growth").sum() - 1.0).clip(lower_bound=0))
            .otherwise(0.0)
            .alias(f"{c}_lift")
            for c in values
        )
        .with_columns(_lifts_in_order(values))
    )
    # A customer's monthly rows are its class's times its share: its class's lift.
    owner = (
        pl.when(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
        .then(hierarchy.parent())
        .otherwise(pl.col("unique_id"))
    )
    served = pl.max_horizontal("ds", pl.col("last_daily") + pl.duration(days=1))
    carried = 1.0 - longrange.blend_weight((served - pl.lit(as_of, pl.Date)).dt.total_days())
    lifted = (
        months.with_columns(owner.alias("owner"))
        .join(lifts, left_on="owner", right_on="unique_id", how="left")
        .with_columns(
            pl.when(peak & pl.col("last_daily").is_not_null())
            .then(pl.col(c) * (1.0 + carried * pl.col(f"{c}_lift")))
            .otherwise(pl.col(c))
            .alias(c)
            for c in values
        )
        .select(months.columns)
    )
    return _peaks_held_within_regions(lifted, values)


def _lifts_in_order(values: list[str]) -> list[pl.Expr]:
    """Each quantile's ``{c}_lift`` no larger than the lift of any quantile above it, so a
    month whose quantiles were in order stays so once each is raised by its own lift.

    A lift is a ratio to the growth model's days, and a bursty class's growth model reads its
    days' q10 near zero: the ratio to it raised a 7-day run's December q10 28-fold, above its
    q90 (a 90-day synthetic fleet, seed 3). The upper tail keeps its own lift: a daily band
    wider than the growth model's still widens the months above the median."""
    quantiles = sorted((c for c in values if c in _VALUES[1:]), key=_VALUES.index, reverse=True)
    capped: list[pl.Expr] = []
    cap: pl.Expr | None = None
    for c in quantiles:
        lift = pl.col(f"{c}_lift")
        cap = lift if cap is None else pl.min_horizontal(lift, cap)
        capped.append(cap.alias(f"{c}_lift"))
    return capped


def _peaks_held_within_regions(months: pl.DataFrame, values: list[str]) -> pl.DataFrame:
    """``months`` with its peak-measure rows held within their regions once lifted
    (``_within_regions``: no class above its region); the mean rows as they are."""
    peak = pl.col("measure") == Measure.PEAK.value
    held, _ = _within_regions(months.filter(peak), values)
    return pl.concat([months.filter(~peak), held]).select(months.columns)


def _peak_months_at_least_their_days_means(
    months: pl.DataFrame, mean_peaks: pl.DataFrame, *, as_of: date
) -> pl.DataFrame:
    """``months`` (monthly rows of both measures) with each region's and class's peak-measure
    row starting within the decision horizon at least the mean measure's growth model's
    largest day of the month (``mean_peaks``: its ``monthly`` rows), value by value, a class
    then held within its region.

    A day's peak-hour demand is at least its mean, so a month's peak is at least any day's
    mean in it. The two measures' growth models fit alone, and a mean that wanders more than
    its peak reads a wider band: the daily rows past day 91 read the mean measure's band (held
    above the means, forecasting/measures.py), while the monthly peak rows, held above the mean
    measure's average day only, read below it. On the synthetic fleet (90 days, seed 3) a
    7-day run's eu-west May 2027 peak q90 read 8,632 GPUs where the 26-week run's days read
    9,533. Customers' months are their class's times their share, and are left as they are.
    Past the decision horizon no run has days, and nothing scored either band: there the
    mean's wider band lifted a 90-day fleet's bursty class (us-west evaluation) up to 2.7x,
    and the months are left as the peak model reads them.
    """
    values = [c for c in _VALUES if c in months.columns and c in mean_peaks.columns]
    if months.is_empty() or mean_peaks.is_empty() or not values:
        return months
    peak = pl.col("measure") == Measure.PEAK.value
    theirs = mean_peaks.filter(hierarchy.depth().is_between(1, 2)).select(
        "unique_id", "ds", *(pl.col(c).alias(f"{c}_of_means") for c in values)
    )
    within = pl.col("ds") <= as_of + timedelta(days=DECISION_HORIZON_DAYS)
    lifted = (
        months.join(theirs, on=["unique_id", "ds"], how="left")
        .with_columns(
            pl.when(peak & within & pl.col(f"{c}_of_means").is_not_null())
            .then(pl.max_horizontal(c, f"{c}_of_means"))
            .otherwise(pl.col(c))
            .alias(c)
            for c in values
        )
        .select(months.columns)
    )
    return _peaks_held_within_regions(lifted, values)


def months_at_least_their_days(
    months: pl.DataFrame, daily: pl.DataFrame, *, as_of: date
) -> pl.DataFrame:
    """``months`` (monthly rows of both measures) with each peak-measure row's mean and
    quantiles at least what the run's daily rows ``daily`` read in its month, and, past them,
    at least their last week's, carried as the daily rows' short model is carried into the
    growth model (``longrange.blend_weight`` at the first day the month's row serves).

    A monthly peak row is the month's peak day: the q-th quantile of a month's peak cannot be
    below the q-th quantile of any day in it. The monthly rows come from the growth models and
    the first weeks' daily rows from the short model, which read higher at the seam: on the
    synthetic fleet (seed 3, 90 days) us-west training's January 2027 read a q90 of 2,555 on
    its monthly row beside daily rows up to 3,053, 177 of 345 (series, month) overlaps read
    below, and a 7-day run, whose monthly rows start in its first weeks, read the class
    green, exhausted in November 2027, where the 26-week run dated it short from
    2026-12-31. The mean measure's month is its average day, not its peak: left as it is.
    """
    values = [c for c in _VALUES if c in months.columns and c in daily.columns]
    peak = pl.col("measure") == Measure.PEAK.value
    days = daily.filter(peak)
    if months.is_empty() or days.is_empty() or not values:
        return months
    keys = ["unique_id", "measure"]
    last = days.group_by(keys).agg(pl.col("ds").max().alias("last_daily"))
    within = days.group_by(*keys, pl.col("ds").dt.month_start().alias("month")).agg(
        pl.col(c).max().alias(f"{c}_days") for c in values
    )
    end = (
        days.join(last, on=keys)
        .filter(pl.col("ds") > pl.col("last_daily") - pl.duration(days=_END_DAYS))
        .group_by(keys)
        .agg(pl.col(c).max().alias(f"{c}_end") for c in values)
    )
    # The first day a month's row serves: the day after the daily rows when they end in it.
    served = pl.max_horizontal("ds", pl.col("last_daily") + pl.duration(days=1))
    lead = (served - pl.lit(as_of, pl.Date)).dt.total_days()
    carried = 1.0 - longrange.blend_weight(lead)
    past = pl.col("ds").dt.month_end() > pl.col("last_daily")
    return (
        months.join(last, on=keys, how="left")
        .join(within, left_on=[*keys, "ds"], right_on=[*keys, "month"], how="left")
        .join(end, on=keys, how="left")
        .with_columns(
            pl.when(peak & pl.col("last_daily").is_not_null())
            .then(
                pl.max_horizontal(
                    c,
                    pl.col(f"{c}_days"),
                    pl.when(past).then(
                        pl.col(c) + carried * (pl.col(f"{c}_end") - pl.col(c)).clip(lower_bound=0)
                    ),
                )
            )
            .otherwise(pl.col(c))
            .alias(c)
            for c in values
        )
        .select(months.columns)
    )


@dataclass(frozen=True, slots=True)
class Growth:
    """The growth models' calls on a run's daily demand, by measure (peaks first), and the
    decision backtest of the peaks' call: what :func:`extend_horizon` blends into the daily
    forecast. They read the demand alone, never the daily models, so a run fits them while
    the daily models fit (flows: a task beside the fan-out); :func:`grow` makes them.
    """

    classes: tuple[str, ...]  # the regions and classes the calls forecast
    daily_days: int
    months: int
    calls: dict[str, longrange.LongHorizon]
    accuracy: pl.DataFrame  # longrange.decision_backtest rows, with ``measure``
    measured: bool  # whether the decision backtest ran
    # The run's daily demand the calls read, spikes held (``demand_with_spikes_held``), which
    # :func:`extend_horizon` reads too rather than holding them a second time.
    demand: pl.DataFrame

    def made_for(
        self, *, classes: Sequence[str], daily_days: int, months: int, measured: bool
    ) -> bool:
        """Whether these are the calls a run of ``classes``, horizons and backtest would make."""
        mine = (self.classes, self.daily_days, self.months, self.measured)
        return mine == (tuple(classes), daily_days, months, measured)


def _constant_levels(series: pl.DataFrame) -> pl.DataFrame:
    """(unique_id, measure) of the series held at their own forecast: each leaf whose every
    observed day read one value (:func:`forecasting.forecast.constant_series`), and each class,
    region or total every leaf under which is such a leaf. Nothing under such a level changed,
    so it did not either: its own rows (the reconciliation made its mean-measure rows its
    leaves' sum at every quantile) are its forecast, not its growth model's. A class whose
    only customer sat at 200 GPUs read its region's growth (monthly means down to 192 beside
    the customer's 200): class and customer no longer added up."""
    keys = ["unique_id", "measure"]
    ids = series.select(keys).unique()
    parents = ids.select(hierarchy.parent().alias("unique_id"), "measure").drop_nulls().unique()
    leaves = ids.join(parents, on=keys, how="anti")
    constant = constant_series(series).select(keys).join(leaves, on=keys, how="semi")
    flagged = leaves.join(
        constant.with_columns(pl.lit(True).alias("_constant")), on=keys, how="left"
    ).with_columns(pl.col("_constant").fill_null(False))
    # A leaf shallower than a depth is its own ancestor there: it counts once per level.
    under = pl.concat(
        [
            flagged.with_columns(hierarchy.ancestor(d).alias("_level"))
            for d in range(hierarchy.BOTTOM_DEPTH)
        ]
    ).unique(["_level", "unique_id", "measure"])
    levels = (
        under.group_by("_level", "measure")
        .agg(pl.col("_constant").all())
        .filter("_constant")
        .select(pl.col("_level").alias("unique_id"), "measure")
    )
    return pl.concat([constant, levels]).unique().sort(keys)


def _constant_paths_held(
    paths: pl.DataFrame, before: pl.DataFrame, held: pl.DataFrame
) -> pl.DataFrame:
    """``paths`` (bottom level, moved onto their bands) with each constant customer's paths
    as they were ``before`` the move, and what the move gave it handed to the other customers
    of its class on the same path and day, in proportion to theirs: each class's sum on every
    path is the one its band was mapped to, so the drills' demand is unchanged. Mapped with
    its class, a customer at 200 GPUs every hour for two years read paths down to 84 GPUs.

    Where every customer of its class is held (``held`` holds the class too), the nearest
    level above with customers that are not takes it (the region's other classes, else the
    other regions): mapped with its region, a class's only constant customer gave up what
    nobody took, and the region's paths no longer summed to its band."""
    ids = held.filter(pl.col("measure") == Measure.MEAN.value)["unique_id"].unique()
    if paths.is_empty() or ids.is_empty():
        return paths
    path_ids = paths.get_column("unique_id")
    frame = paths.with_row_index("_row").with_columns(
        pl.col("y").cast(pl.Float64).alias("_y"),
        pl.col("unique_id").is_in(ids.implode()).alias("_held"),
        (hierarchy.looked_up(hierarchy.depth(), path_ids) == hierarchy.BOTTOM_DEPTH).alias("_leaf"),
    )
    # The level that takes what a held customer gave up: its deepest ancestor not held.
    taker = pl.lit(None, pl.String)
    for d in range(hierarchy.BOTTOM_DEPTH):
        up = hierarchy.ancestor(d)
        taker = pl.when(~up.is_in(ids.implode())).then(up).otherwise(taker)
    taker = hierarchy.looked_up(taker, path_ids)
    own = before.filter(pl.col("unique_id").is_in(ids.implode())).select(
        "unique_id", "ds", "sample_id", pl.col("y").cast(pl.Float64).alias("_own")
    )
    frame = frame.join(own, on=["unique_id", "ds", "sample_id"], how="left").with_columns(
        pl.when("_held").then(taker).alias("_taker"),
        (pl.col("_y") - pl.col("_own").fill_null(pl.col("_y"))).alias("_given"),
    )
    cell = ["_cell", "ds", "sample_id"]
    # The deepest takers first: a class's sum is its band's before its region's takes more.
    for d in reversed(range(hierarchy.BOTTOM_DEPTH)):
        givers = frame.filter(pl.col("_held") & (hierarchy.depth("_taker") == d))
        if givers.is_empty():
            continue
        given = sums.group_sums(givers.rename({"_taker": "_cell"}), cell, "_given").select(
            *cell, pl.col("_given").alias("_in")
        )
        mates = frame.filter(pl.col("_leaf") & ~pl.col("_held")).with_columns(
            hierarchy.ancestor(d).alias("_cell")
        )
        totals = sums.group_sums(mates, cell, "_y").select(*cell, pl.col("_y").alias("_mates"))
        factor = (
            pl.when(pl.col("_mates") > 0)
            .then(((pl.col("_mates") + pl.col("_in")) / pl.col("_mates")).clip(lower_bound=0.0))
            .otherwise(1.0)
        )
        frame = (
            frame.with_columns(hierarchy.ancestor(d).alias("_cell"))
            .join(given, on=cell, how="left")
            .join(totals, on=cell, how="left")
            .sort("_row")
            .with_columns(
                pl.when(pl.col("_leaf") & ~pl.col("_held") & pl.col("_in").is_not_null())
                .then(pl.col("_y") * factor)
                .otherwise(pl.col("_y"))
                .alias("_y")
            )
            .drop("_cell", "_in", "_mates")
        )
    return (
        frame.sort("_row")
        .with_columns(pl.when("_held").then(pl.coalesce("_own", "_y")).otherwise("_y").alias("y"))
        .select(paths.columns)
        .cast(paths.schema)
    )


def _levels_held_in_their_regions(
    frame: pl.DataFrame, own: pl.DataFrame, held: pl.DataFrame, *, measure: str
) -> pl.DataFrame:
    """``frame`` (regions and their classes in ``measure``: unique_id, ds, values, model) with
    each held level's rows (``held``: unique_id, measure; :func:`_constant_levels`) read from
    ``own`` (the same keys and values: its short model's rows, or their last for a month),
    and in the mean measure each region's other classes scaled alike, so the classes still add
    up to their region: they take what its growth model had given the held classes.

    A held class is one whose every customer is constant; left to the split, a class whose
    only customer sat at 200 GPUs read 198-200 a day and 192-200 a month (q90 220) while its
    customer read 200 at every quantile.

    Where the region's model reads less than its held classes, the held classes win and the
    region is raised to them (the comments below say why); its other classes read what it
    reads above them, which is zero there."""
    ids = held.filter(pl.col("measure") == measure)["unique_id"]
    if frame.is_empty() or ids.is_empty():
        return frame
    values = [c for c in (*_VALUES, "model") if c in frame.columns and c in own.columns]
    theirs = own.filter(pl.col("unique_id").is_in(ids.implode())).select(
        "unique_id", "ds", *(pl.col(c).alias(f"{c}_own") for c in values)
    )
    is_held = pl.col("unique_id").is_in(ids.implode())
    numbers = [c for c in values if c != "model"]
    is_class = hierarchy.depth() == 2
    out = (
        frame.with_row_index("_row")
        .join(theirs, on=["unique_id", "ds"], how="left")
        .with_columns(pl.coalesce(f"{c}_own", c).alias(c) for c in values)
        # A class's demand is never below zero; the split's log1p growth can read it so.
        .with_columns(
            pl.when(is_class & ~is_held).then(pl.col(c).clip(lower_bound=0.0)).otherwise(c)
            for c in numbers
        )
    )
    # The reservation holds and the region gives way: a region reads at least its held
    # classes, at every value (their sum in the mean measure, each of them in the peak one,
    # since peaks do not add). A held class is observed, every day of its history one value,
    # and it is part of its region on every path; the region's growth model is an estimate
    # fitted on a sum that contains it, and a log-scale trend on a reserved 1,000 GPUs plus a
    # fading class carried the fade past the 1,000 that never moved (976 a month), so the
    # classes read above their region on one page. Cutting the held class to its region
    # instead would forecast a reservation that never moved to fall, below its customers.
    # The region's model keeps what it estimates above the held classes (what varies),
    # floored at zero.
    floor = (
        out.filter(is_class & is_held)
        .group_by(hierarchy.parent().alias("unique_id"), "ds")
        .agg(
            (pl.col(c).sum() if measure == Measure.MEAN.value else pl.col(c).max()).alias(
                f"{c}_floor"
            )
            for c in numbers
        )
    )
    out = (
        out.join(floor, on=["unique_id", "ds"], how="left")
        .with_columns(pl.max_horizontal(c, f"{c}_floor").alias(c) for c in numbers)
        .drop(f"{c}_floor" for c in numbers)
    )
    if measure == Measure.MEAN.value:
        region = out.filter(hierarchy.depth() == 1).select(
            pl.col("unique_id").alias("_parent"), "ds", pl.col("mean").alias("_whole")
        )
        parts = (
            out.filter(is_class)
            .group_by(hierarchy.parent().alias("_parent"), "ds")
            .agg(
                pl.col("mean").filter(is_held).sum().alias("_fixed"),
                pl.col("mean").filter(~is_held).sum().alias("_free"),
                is_held.any().alias("_any"),
            )
        )
        # A region at its held classes (raised to them above) leaves the others nothing.
        factor = (
            region.join(parts, on=["_parent", "ds"])
            .filter(pl.col("_any") & (pl.col("_free") > 0))
            .select(
                "_parent",
                "ds",
                ((pl.col("_whole") - pl.col("_fixed")) / pl.col("_free"))
                .clip(lower_bound=0.0)
                .alias("_factor"),
            )
        )
        # Where the split read every other class at zero (a region's median below its held
        # classes: the log1p growth of the others went to -1) and the region's value is still
        # above its held classes, nothing is left to scale: what the region reads above them
        # goes to its other classes by their first rows (their levels today), so the classes
        # add up to their region there too.
        empty = (
            region.join(parts, on=["_parent", "ds"])
            .filter(pl.col("_any") & (pl.col("_free") <= 0) & (pl.col("_whole") > pl.col("_fixed")))
            .select("_parent", "ds")
        )
        is_free = is_class & ~is_held
        weight = (
            out.filter(is_free)
            .sort("ds")
            .group_by("unique_id")
            .agg(pl.col("mean").first().clip(lower_bound=0.0).alias("_w"))
            .with_columns(hierarchy.parent().alias("_parent"))
            .with_columns(
                pl.when(pl.col("_w").sum().over("_parent") > 0)
                .then(pl.col("_w") / pl.col("_w").sum().over("_parent"))
                .otherwise(1.0 / pl.len().over("_parent"))
                .alias("_share")
            )
            .select("unique_id", "_share")
        )
        above = (
            out.filter(hierarchy.depth() == 1)
            .select(pl.col("unique_id").alias("_parent"), "ds", *numbers)
            .join(
                out.filter(is_class & is_held)
                .group_by(hierarchy.parent().alias("_parent"), "ds")
                .agg(pl.col(c).sum().alias(f"{c}_held") for c in numbers),
                on=["_parent", "ds"],
                how="left",
            )
            .join(empty, on=["_parent", "ds"])
            .select(
                "_parent",
                "ds",
                *(
                    (pl.col(c) - pl.col(f"{c}_held").fill_null(0.0))
                    .clip(lower_bound=0.0)
                    .alias(f"{c}_above")
                    for c in numbers
                ),
            )
        )
        out = (
            out.with_columns(hierarchy.parent().alias("_parent"))
            .join(factor, on=["_parent", "ds"], how="left")
            .join(above, on=["_parent", "ds"], how="left")
            .join(weight, on="unique_id", how="left")
            .with_columns(
                pl.when(is_free & pl.col("_factor").is_not_null())
                .then(pl.col(c) * pl.col("_factor"))
                .when(is_free & pl.col(f"{c}_above").is_not_null())
                .then(pl.col(f"{c}_above") * pl.col("_share"))
                .otherwise(pl.col(c))
                .alias(c)
                for c in numbers
            )
        )
    return out.sort("_row").select(frame.columns).cast(frame.schema)


def _constant_rows_held(
    frame: pl.DataFrame, own: pl.DataFrame, held: pl.DataFrame, columns: list[str]
) -> pl.DataFrame:
    """``frame`` (customers' and classes' rows: unique_id, ds, measure, model, values) with each
    constant customer's rows (``held``: unique_id, measure) read from ``own`` (the same keys
    and values, and its model), and in the mean measure what it gave up or gained handed to
    the other customers of its class, column by column (``columns``), in proportion to
    theirs: the customers still add up to their class where they did. The peaks do not add
    up, so the others' peaks stay."""
    if held.is_empty() or frame.is_empty():
        return frame
    keys = ["unique_id", "ds", "measure"]
    values = [c for c in _VALUES if c in frame.columns]
    marked = frame.with_row_index("_row").join(
        held.with_columns(pl.lit(True).alias("_held")), on=["unique_id", "measure"], how="left"
    )
    replaced = (
        marked.filter(pl.col("_held").fill_null(False))
        .join(
            own.select(*keys, *(pl.col(c).alias(f"{c}_own") for c in [*values, "model"])),
            on=keys,
        )
        .with_columns(hierarchy.parent().alias("_parent"))
    )
    mean = pl.col("measure") == Measure.MEAN.value
    cell = ["_parent", "ds", "measure"]
    out = marked.with_columns(hierarchy.parent().alias("_parent"))
    for c in columns:
        given = sums.group_sums(
            replaced.filter(mean).with_columns((pl.col(c) - pl.col(f"{c}_own")).alias("_given")),
            cell,
            "_given",
        ).drop("rows")
        mates = sums.group_sums(
            out.filter(
                mean & (hierarchy.depth() == hierarchy.BOTTOM_DEPTH) & pl.col("_held").is_null()
            ),
            cell,
            c,
        ).select(*cell, pl.col(c).alias("_mates"))
        factor = ((pl.col("_mates") + pl.col("_given")) / pl.col("_mates")).clip(lower_bound=0.0)
        out = (
            out.join(given, on=cell, how="left")
            .join(mates, on=cell, how="left")
            .with_columns(
                pl.when(
                    pl.col("_held").is_null()
                    & (pl.col("_given").fill_null(0.0) != 0)
                    & (pl.col("_mates") > 0)
                    & (hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
                )
                .then(pl.col(c) * factor)
                .otherwise(pl.col(c))
                .alias(c)
            )
            .drop("_given", "_mates")
        )
    own_rows = replaced.select("_row", *(pl.col(f"{c}_own").alias(c) for c in [*values, "model"]))
    return (
        out.join(own_rows, on="_row", how="left", suffix="_own")
        .with_columns(pl.coalesce(f"{c}_own", c).alias(c) for c in [*values, "model"])
        .sort("_row")
        .select(frame.columns)
        .cast(frame.schema)
    )


def _constant_months(months: pl.DataFrame, daily: pl.DataFrame, held: pl.DataFrame) -> pl.DataFrame:
    """Each constant customer's (``held``) months in ``months`` read as its last daily row in
    ``daily`` (its own model's level and band), model included."""
    last = (
        daily.join(held, on=["unique_id", "measure"], how="semi")
        .sort("ds")
        .group_by("unique_id", "measure")
        .last()
        .drop("ds")
    )
    return months.select("unique_id", "ds", "measure").join(
        last, on=["unique_id", "measure"], how="inner"
    )


def _regions_and_classes(frame: pl.DataFrame) -> list[str]:
    depth = hierarchy.depth()
    return frame.filter(depth.is_between(1, 2)).get_column("unique_id").unique().sort().to_list()


def grow(
    series: pl.DataFrame,
    *,
    as_of: date,
    months: int,
    daily_days: int,
    measure_accuracy: bool = True,
    classes: Sequence[str] | None = None,
) -> Growth:
    """The growth calls of ``classes`` (default: every region and class of ``series``, the
    run's daily demand) as of ``as_of``, reaching ``months`` ahead past the ``daily_days`` of
    the daily forecast."""
    # The growth models read the spikes the daily forecast held, held at every level.
    series = demand_with_spikes_held(series)
    classes = _regions_and_classes(series) if classes is None else list(classes)
    calls: dict[str, longrange.LongHorizon] = {}
    accuracy = pl.DataFrame(schema=ACCURACY_SCHEMA)
    chosen: tuple[str, ...] = growth.CANDIDATES
    followed = True
    # The decision backtest cuts the plan's series where the plan's own backtests did.
    fits: longrange.Fits = {}
    # A customer that stopped is left out of the history its class and region grow from: kept,
    # its step down read as the class's trend, and customers follow their class, so one
    # customer leaving (27 % of a region) forecast every remaining customer at half its
    # steady level six months out.
    stopped = _stopped_customers(series, as_of=as_of)
    active = _active_shares(series, stopped, as_of=as_of) if stopped.height else None
    # Peaks first: the triggers act on them, so their backtests choose the growth model; the
    # means (the same series' levels) reuse it and calibrate their own interval scale, which
    # spares four of the five candidates' backtests.
    for measure in (Measure.PEAK.value, Measure.MEAN.value):
        daily = _daily(series, classes, measure, as_of)
        if daily.get_column("y").drop_nulls().is_empty():
            continue  # no observed day (an hour of telemetry holds no complete day)
        long = longrange.long_horizon_forecast(
            daily if active is None else _of_active(daily, active),
            as_of=as_of,
            months=months,
            daily_horizon_days=daily_days,
            candidates=chosen,
            follow_change=followed,
            # The mean measure's months are its average day, not a peak its days are held to.
            days_within_months=measure == Measure.PEAK.value,
            fits=fits,
        )
        calls[measure] = long
        if measure != Measure.PEAK.value:
            continue
        chosen = (long.model,)
        # The means follow a shared change only where the peaks (what the triggers read) do:
        # a mean that slowed beside a peak that did not would drift the paths, the drills and
        # the customers' shares away from the triggers by up to a fifth.
        followed = bool(long.change.describe())
        if measure_accuracy:
            # The call the plan made, rerun at each cut-off: the growth model and the scales
            # are chosen over every series of a call, and the total and regions alone (the
            # call scored here before) chose another model than the plan's regions with their
            # classes (the demo cut 6 months back: a log-linear trend against the combination;
            # eu-west's days above q90 2 % against 30 %). On the demand as it was, every
            # customer in it: the plan's history leaves out customers that stopped by the
            # as-of date (``_of_active``), which a cut-off before they stopped could not know.
            accuracy = longrange.decision_backtest(
                daily, horizon_days=DECISION_HORIZON_DAYS, as_of=as_of, fits=fits
            ).with_columns(pl.lit(measure).alias("measure"))
    return Growth(tuple(classes), daily_days, months, calls, accuracy, measure_accuracy, series)


def months_gap(series: pl.DataFrame, *, as_of: date) -> str | None:
    """Why :func:`extend_horizon` would forecast nothing past the daily days for ``series``
    (the run's daily demand, as :func:`grow` reads it), None where it would make monthly rows.

    For a run made without monthly rows (``--horizon-months 0``): its orders that only monthly
    rows size asked for ``--horizon-months``, which a fleet with 90 days whose onboarding ramps
    leave two blocks after them is refused again. Whether a series' moves are measured does
    not rest on the backtests (they choose and calibrate a model, not whether one is
    measured), so none is run here, and one day ahead is read for one month: nor does it rest
    on how far ahead (0.5 s on the demo's 730 days, 0.1 s on a 90-day fleet)."""
    series = demand_with_spikes_held(series)
    classes = _regions_and_classes(series)
    # As grow's peak call reads them: customers that stopped left out of the history.
    stopped = _stopped_customers(series, as_of=as_of)
    active = _active_shares(series, stopped, as_of=as_of) if stopped.height else None
    daily = _daily(series, classes, Measure.PEAK.value, as_of)
    if daily.get_column("y").drop_nulls().is_empty():
        return _NO_DAILY_DEMAND
    return longrange.long_horizon_forecast(
        daily if active is None else _of_active(daily, active),
        as_of=as_of,
        months=1,
        daily_horizon_days=1,
        cutoffs_months_back=(),
    ).gap


def _summary_with_plans(summary: pl.DataFrame, plan_parts: list[pl.DataFrame]) -> pl.DataFrame:
    """``summary`` with each series' growth model past the daily days, and why it fell back
    (``plan_parts``), for the pages."""
    if not plan_parts or not {"unique_id", "measure"} <= set(summary.columns):
        return summary
    return (
        summary.drop("plan_model", "plan_reason", "plan_calibrated", strict=False)
        .join(pl.concat(plan_parts), on=["unique_id", "measure"], how="left")
        .select(summary.columns)
        .cast(summary.schema)
    )


def extend_horizon(
    series: pl.DataFrame,
    result: ForecastResult,
    *,
    as_of: date,
    months: int,
    measure_accuracy: bool = True,
    grown: Growth | None = None,
) -> Extended:
    """``result`` reaching ``months`` ahead (see the module docstring).

    ``series`` is the run's daily demand (DEMAND_SCHEMA or ``unique_id, ds, measure, y``).
    ``grown``: the growth calls :func:`grow` made on this ``series`` where the run made them
    beside the daily models (their held demand is read in its place); made here when absent,
    or made for other classes or horizons.
    """
    forecast = result.forecast
    classes = _regions_and_classes(forecast)
    last = forecast["ds"].max() if forecast.height else as_of
    daily_days = max((last - as_of).days if isinstance(last, date) else 0, 1)
    blended_parts, plan_parts = [], []
    class_months: dict[str, pl.DataFrame] = {}
    mean_peaks = pl.DataFrame()  # the mean measure's monthly peak day, regions and classes
    gap: str | None = None
    change: str | None = None
    ratio_parts: list[pl.DataFrame] = []
    peak_short = peak_growth = pl.DataFrame()
    class_bands = region_bands = pl.DataFrame(schema={"unique_id": pl.String, "ds": pl.Date})
    if grown is None or not grown.made_for(
        classes=classes, daily_days=daily_days, months=months, measured=measure_accuracy
    ):
        grown = grow(
            series,
            as_of=as_of,
            months=months,
            daily_days=daily_days,
            measure_accuracy=measure_accuracy,
            classes=classes,
        )
    # The customers' shares and day spreads read the spikes held, as the growth models do.
    series = grown.demand
    # A customer constant in its history keeps its own level, and so does a level whose every
    # customer is: no class's growth or band is theirs (README, "Reconciliation": constant
    # series).
    constant = _constant_levels(series)
    stopped = _stopped_customers(series, as_of=as_of)
    active = _active_shares(series, stopped, as_of=as_of) if stopped.height else None
    peak_shares = _month_peak_shares(series, stopped, as_of=as_of)
    stopped_notes = (
        _stopped_notes(stopped, active)
        if active is not None
        else pl.DataFrame(schema={"unique_id": pl.String, "stopped": pl.String})
    )
    for measure, long in grown.calls.items():
        if measure == Measure.PEAK.value:
            gap = long.gap
            change = long.change.describe() or None
        short = forecast.filter((pl.col("measure") == measure) & pl.col("unique_id").is_in(classes))
        blended = longrange.blend_daily(short, long.daily, as_of=as_of).join(
            short.select("unique_id", "ds"), on=["unique_id", "ds"], how="semi"
        )
        if measure == Measure.MEAN.value:
            blended = _classes_adding_up(blended, _VALUES)
        # A level whose every customer is constant keeps its own rows, as they do.
        blended = _levels_held_in_their_regions(blended, short, constant, measure=measure)
        blended, held_daily = _within_regions(blended, _VALUES)
        blended_parts.append(blended.with_columns(pl.lit(measure).alias("measure")))
        if measure == Measure.PEAK.value:
            peak_short, peak_growth = short, long.daily
        else:
            ratio_parts.append(_ratios(short, blended, measure))
        if measure == Measure.MEAN.value:
            class_bands = _changed(blended, short, depth=2)
            region_bands = _changed(blended, short, depth=1)
        if measure == Measure.MEAN.value:
            # A mean's month is its average day: what adds up, and what compares with a day.
            monthly = _months_adding_up(
                long.average_months.drop("grain", strict=False),
                _VALUES,
                anchor=_levels_today(short),
            )
            mean_peaks = long.monthly.drop("grain", strict=False)
        else:
            monthly = long.monthly.drop("grain", strict=False)
        keyed = monthly.with_columns(pl.lit(measure).alias("measure"))
        monthly = _levels_held_in_their_regions(
            monthly, _constant_months(keyed, short, constant), constant, measure=measure
        )
        monthly, held_monthly = _within_regions(monthly, _VALUES)
        held = pl.concat([held_daily, held_monthly]).unique("unique_id", keep="first")
        plan_parts.append(
            long.series.join(held, on="unique_id", how="left")
            .join(stopped_notes, on="unique_id", how="left")
            .select(
                "unique_id",
                pl.lit(measure).alias("measure"),
                pl.col("model").alias("plan_model"),
                pl.concat_str("reason", "stopped", "held", separator="; ", ignore_nulls=True)
                .replace("", None)
                .alias("plan_reason"),
                pl.col("calibrated").alias("plan_calibrated"),
            )
        )
        class_months[measure] = monthly
    if gap and plan_parts:
        # Refused, the plan has nothing past the daily days to blend in, so its daily rows are
        # a daily-only run's, by the one rule (``customer_peaks_within_classes``). The customer
        # steps that move rows as the growth model takes over spread a customer's quantiles
        # from day 29 with no growth model to take over, and the mean's classes were held to
        # their regions: on a 40-day fleet (synth seed 5) 3,531 of 8,736 customer daily peak
        # rows read apart between `--horizon-months 36` (refused) and `--horizon-months 0`,
        # a q90 by up to 75 %.
        return Extended(
            replace(
                result,
                forecast=customer_peaks_within_classes(forecast, constant=result.constant),
                summary=_summary_with_plans(result.summary, plan_parts),
            ),
            pl.DataFrame(schema=MONTHS_SCHEMA),
            grown.accuracy.select(ACCURACY_SCHEMA.names()).cast(ACCURACY_SCHEMA),
            0,
            gap=gap,
        )
    if not blended_parts:
        # Nothing to grow from: a plan that stops at the daily days says so, rather than
        # "36 months" of nothing (an hour of Azure LLM traces, no complete day, printed
        # "plan horizon 36 months (daily, then monthly)" and stored no monthly row).
        return Extended(
            result,
            pl.DataFrame(schema=MONTHS_SCHEMA),
            pl.DataFrame(schema=ACCURACY_SCHEMA),
            0,
            gap=_NO_DAILY_DEMAND if months else None,
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
    if ratio_parts:
        updated = _scaled(updated, pl.concat(ratio_parts), values)
    updated = _total_with_its_regions(updated, forecast, values)
    own_shares = _history_peak_shares(series, stopped, active, as_of=as_of)
    # A customer held at its own level keeps its split rows for its class-mates to take
    # (``_constant_rows_held``), so its band is not narrowed here.
    move_ratios = _own_move_ratios(series, stopped, active, as_of=as_of).join(
        constant.select("unique_id", "measure"), on=["unique_id", "measure"], how="anti"
    )
    # Likewise its growth: a held customer's split rows are its class-mates' to take.
    growths = _own_growths(series, stopped, active, as_of=as_of).join(
        constant.select("unique_id").unique(), on="unique_id", how="anti"
    )
    if not peak_growth.is_empty():
        updated = _customer_peaks(
            updated, peak_short, peak_growth, as_of=as_of, own_shares=own_shares
        )
    updated = updated.select(forecast.columns).cast(forecast.schema)
    paths = _constant_paths_held(
        _paths_split_as_their_history(
            _paths_in_bands(result.paths, class_bands, region_bands),
            _class_mixes(series, stopped, as_of=as_of),
            as_of=as_of,
        ),
        result.paths,
        constant,
    )
    updated = _total_on_its_paths(updated, paths)
    updated = _customers_on_their_paths(updated, paths, class_bands, as_of=as_of)
    monthly_all = pl.concat(
        [
            pl.concat(
                [
                    monthly,
                    _customer_months(
                        updated,
                        monthly,
                        measure,
                        as_of=as_of,
                        peak_shares=peak_shares,
                        own_shares=own_shares,
                        move_ratios=move_ratios,
                        growths=growths,
                    ),
                ],
                how="diagonal_relaxed",
            ).with_columns(pl.lit(measure).alias("measure"))
            for measure, monthly in class_months.items()
        ],
        how="diagonal_relaxed",
    )
    accuracy = grown.accuracy
    summary = _summary_with_plans(result.summary, plan_parts)
    # Each measure's growth model fits alone: a day's (or a month's) peak is still never read
    # below its mean (forecasting/measures.py).
    updated = _customers_as_lumpy_as_their_days(
        updated, _day_share_spreads(series, stopped, active, as_of=as_of), as_of=as_of
    )
    updated = _customers_within_classes(
        _customer_bands_held_open(updated, series, stopped, as_of=as_of)
    )
    held_at_means = pl.concat(
        [result.peaks_at_means, measures.peaks_below_means(updated)], how="vertical_relaxed"
    ).unique(maintain_order=True)
    updated = measures.peaks_at_least_means(updated)
    monthly_all = measures.peaks_at_least_means(
        months_at_least_their_days(
            _peak_months_at_least_their_days_means(
                _months_lifted_as_their_days(monthly_all, updated, peak_growth, as_of=as_of),
                mean_peaks,
                as_of=as_of,
            ),
            updated,
            as_of=as_of,
        )
    )
    # A month's peak is at least its days: a customer's peak months past the short model are
    # held open as its days are.
    monthly_all = _held_open(
        monthly_all,
        _customer_band_floors(forecast, series, stopped, as_of=as_of).filter(
            pl.col("measure") == Measure.PEAK.value
        ),
        where=pl.col("measure") == Measure.PEAK.value,
    )
    # A customer is part of its class in every month as on every day: no quantile of its
    # month above its class's (seed 3's us-east evaluation northwind-ai read a q90 1.6 times
    # its class's in all 36 months).
    monthly_all = measures.peaks_at_least_means(_customers_within_classes(monthly_all))
    if constant.height:
        updated = measures.peaks_at_least_means(
            _constant_rows_held(updated, forecast, constant, ["mean"])
        )
        monthly_all = measures.peaks_at_least_means(
            _constant_rows_held(
                monthly_all, _constant_months(monthly_all, forecast, constant), constant, values
            )
        )
    return Extended(
        result=replace(
            result,
            forecast=updated,
            paths=paths,
            summary=summary,
            peaks_at_means=held_at_means.sort("unique_id", "ds"),
        ),
        months=monthly_all.select(MONTHS_SCHEMA.names()).cast(MONTHS_SCHEMA),
        accuracy=accuracy.select(ACCURACY_SCHEMA.names()).cast(ACCURACY_SCHEMA),
        # A plan that stops at the daily days says so, rather than "36 months" of nothing.
        horizon_months=0 if gap else months,
        gap=gap,
        change=None if gap else change,
    )
