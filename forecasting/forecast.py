"""Backtest, choose, calibrate and forecast every demand series, then reconcile the hierarchy.

The unit of work is one series (one ``unique_id`` and ``measure``): ``forecast_series`` is a
pure function of picklable inputs and outputs, so a caller can fan it out through any
``map`` (a Prefect task runner, a process pool). ``forecast_all`` runs it over every series
of a demand frame and reconciles the mean measure so that parts add up to totals.

Per series:

1. Rolling-origin backtests: ``n_cutoffs`` origins, ``backtest_step`` days apart (default
   ``backtest_horizon``), the last one ``backtest_horizon`` days before the end; every
   candidate model is refitted on the data up to each cutoff only, and sees only the known
   events announced by then, so nothing after a cutoff can leak into its scores. Series that
   known events touch add ``event_models`` (Prophet) to their candidates; intermittent
   series (no demand on at least ``intermittent_share`` of their days) add
   ``intermittent_models`` (TSB). A model that raises or gives non-finite values at a cutoff
   does not compete there.
2. Scores per model and cutoff: MASE (scaled by the in-sample MAE of the weekly seasonal
   naive), sMAPE (0-200), pinball loss averaged over the quantiles (scaled like MASE so it
   compares across series) and the coverage of the q10-q90 interval.
3. Choice (or ``settings.fixed_model``), over the candidates scored at every cutoff: the
   lowest mean MASE (pinball loss on intermittent series, where MAE rewards forecasting
   zero), with the average of the two best preferred when it is within ``combine_margin``.
   Scores that tie within ``tie_standard_errors`` paired standard errors are noise: the
   combination wins a tie, else the candidate most stable across cutoffs. Overlapping
   windows (``backtest_step`` < ``backtest_horizon``) count as the non-overlapping windows
   their days would fill (``independent_windows``), so their standard error is not
   understated. A series with
   fewer than ``short_history_days`` observed days pairs its best candidate with the
   seasonal naive and takes that combination.
4. Conformal calibration: when the winner's q10-q90 interval covered the backtest actuals
   more than ``calibration_tolerance`` away from 80 %, its quantiles and paths are widened
   or narrowed per side by the empirical quantiles of its normalised backtest errors, per
   horizon bucket (``calibrated`` says whether this happened).
5. The winner is refitted on the full series for ``horizon_days`` and simulates paths.

One series never stops a run: a series too short to backtest, without one observed day, or
whose models raise or give non-finite forecasts, falls back to the seasonal naive, the naive
(the last value held: under a week of history, or where it misses a short series' last days
less than the seasonal naive) or zero (the first that works), with the
reason in ``fallback``; ``ForecastResult.flagged`` and ``ForecastResult.warnings()`` list
them for the CLI and the reports.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache, partial
from typing import Literal

import numpy as np
import polars as pl
from scipy import stats

from forecasting import hierarchy, measures, schema, shifts, spikes
from forecasting.events import events_for_series, holidays_known_by
from forecasting.models import (
    DEFAULT_MODELS,
    MODEL_REGISTRY,
    SEASON_LENGTH,
    Model,
    intermittency,
    make_model,
    min_length,
)
from forecasting.reconcile import ReconciledForecast, reconcile_forecasts
from forecasting.text import days_count, estimated_days_words

__all__ = [
    "ForecastResult",
    "ForecastSettings",
    "NoObservedDayError",
    "SeriesForecast",
    "backtest_cutoffs",
    "constant_series",
    "coverage",
    "demand_with_spikes_held",
    "forecast_all",
    "forecast_series",
    "independent_windows",
    "mase",
    "mean_of_paths_spans",
    "pinball",
    "smape",
    "with_mean_source",
]

Reconciliation = Literal["auto", "bottom_up", "mint_shrink"]
MapFn = Callable[[Callable[[pl.DataFrame], "SeriesForecast"], Iterable[pl.DataFrame]], Iterable]

_INTERVAL = (0.1, 0.9)  # the 80 % interval every model must report, whatever the settings say
_Z90 = float(stats.norm.ppf(0.9))
_BUCKET_EDGES = (7, 14, 28, 56, 91, 182, 365)
_MIN_BUCKET_POINTS = 30  # fewer points make a q10/q90 estimate noisier than the miss it fixes


CONSTANT_SCHEMA = pl.Schema(
    {"unique_id": pl.String(), "measure": pl.String(), "level": pl.Float64(), "days": pl.Int64()}
)
# Observed days that must all read the same value for a series to be constant: two whole
# weeks, so its weekly pattern has had room to show. A customer at 200 GPUs every hour for two
# years was moved by MinT (199.998-200.002) and by its class's share past the daily model to
# 99-200 GPUs a day and up to 274 a month; a series a few days old that has not changed yet is
# still its class's share.
CONSTANT_MIN_DAYS = 14


def constant_series(demand: pl.DataFrame) -> pl.DataFrame:
    """(unique_id, measure, level, days): the series of ``demand`` (unique_id, ds, measure, y) whose
    every observed day, ``CONSTANT_MIN_DAYS`` of them at least, read one value above zero
    (within a billionth: the daily sums run on integer micro-GPUs, demand.py).

    Nothing in their history measures a change, so nothing in the fleet's is theirs: the
    reconciliation (:func:`forecasting.reconcile.reconcile_forecasts`, ``constant``) and the
    plan's split of a class over its customers (:mod:`forecasting.horizon`) keep them at their
    own forecast and move the others. Their own band is what their model gives (no width on a
    history with no spread), and their note says it is not a certain level."""
    observed = demand.filter(pl.col("y").is_not_null() & pl.col("y").is_not_nan())
    return (
        observed.group_by("unique_id", "measure")
        .agg(
            pl.col("y").min().alias("level"),
            pl.col("y").max().alias("top"),
            pl.col("ds").n_unique().alias("days"),
        )
        .filter(
            (pl.col("days") >= CONSTANT_MIN_DAYS)
            # A series at zero on every day has no level to keep: the idle-day rules read it
            # (its paths and idle share put its quantiles at zero past the daily model).
            & (pl.col("top") > 0)
            & (
                pl.col("top") - pl.col("level")
                <= 1e-9 * pl.max_horizontal(pl.col("top").abs(), pl.lit(1.0))
            )
        )
        .select("unique_id", "measure", "level", pl.col("days").cast(pl.Int64))
        .sort("unique_id", "measure")
    )


class NoObservedDayError(ValueError):
    """A series without one observed day: nothing to forecast from, so a baseline of zero."""


class TooFewDaysError(ValueError):
    """A series shorter than even the naive needs: a baseline of zero, said plainly (the
    reason is the run summary's, not a traceback's)."""


# The backtest layout of a series too short for the settings' own (ForecastSettings.for_history).
SHORT_LAYOUT_TRAIN_DAYS = 14
SHORT_LAYOUT_SCORED_DAYS = 7


@dataclass(frozen=True, slots=True)
class ForecastSettings:
    """Everything that shapes a forecast run; frozen so a run can be keyed by it."""

    horizon_days: int = schema.DEFAULT_HORIZON_DAYS
    quantiles: tuple[float, ...] = schema.QUANTILES
    models: tuple[str, ...] = DEFAULT_MODELS
    fixed_model: str | None = None
    # Models that join the candidates of a series known events touch: Prophet takes the
    # events as holidays, the other models cannot use them.
    event_models: tuple[str, ...] = ("prophet",)
    # Models that join the candidates of an intermittent series: one with no demand on at
    # least intermittent_share of its observed days. 0.25 is Syntetos & Boylan's (2005) line
    # between smooth and intermittent demand (an average inter-demand interval of 1.32 days).
    intermittent_models: tuple[str, ...] = ("tsb",)
    intermittent_share: float = 0.25
    n_cutoffs: int = 3
    backtest_horizon: int = 28
    # Days between cutoffs; None spaces them a whole backtest_horizon apart. A short trace
    # can step by less and score overlapping windows rather than one.
    backtest_step: int | None = None
    # Four weekly cycles before the first cutoff; a short trace may settle for two.
    min_train_days: int = 28
    n_paths: int = 200
    seed: int = 0
    reconciliation: Reconciliation = "auto"
    # Also backtest the average of the two best models (means and quantiles averaged, paths
    # pooled), and prefer it unless a single model's backtest MASE is better by more than
    # combine_margin: on 200 benchmark series this cut holdout MASE by 3.6 % (0.950 to
    # 0.915) at the same q10-q90 coverage. The pair is chosen from all cutoffs' scores, as
    # the single best model is; each member's backtest forecast sees only its own cutoff.
    combine: bool = True
    combine_margin: float = 0.05
    # With a few noisy backtests, a candidate whose mean score is within this many standard
    # errors of the best one's (paired over cutoffs) ties with it; among tied candidates the
    # combination wins, else the one whose score varies least across cutoffs. Windows that
    # overlap count as the days they cover (independent_windows). 0 restores "lowest mean
    # score wins".
    tie_standard_errors: float = 1.0
    # A series with fewer days than this has a short history: its few backtests overlap and
    # rank models by noise, so its combination pairs the best candidate with the seasonal
    # naive (the benchmark every score is scaled by) and is chosen whenever it was scored.
    # 0 turns the rule off.
    short_history_days: int = 60
    calibration_tolerance: float = 0.05
    # Calibration corrects intervals that are off by a bounded factor. Beyond 4x the model is
    # the wrong family for the series (bursts after a quiet spell), and carrying a larger
    # factor out to 182 days turns one burst into absurd paths.
    max_calibration_factor: float = 4.0

    def __post_init__(self) -> None:
        named = (*self.models, *self.event_models, *self.intermittent_models, self.fixed_model)
        unknown = [m for m in named if m and m not in MODEL_REGISTRY]
        if unknown:
            raise ValueError(f"unknown models {unknown}; known: {sorted(MODEL_REGISTRY)}")
        if not self.models and self.fixed_model is None:
            raise ValueError("settings.models is empty; name at least one model")
        if self.horizon_days < 1 or self.backtest_horizon < 1 or self.n_cutoffs < 1:
            raise ValueError("horizon_days, backtest_horizon and n_cutoffs must be >= 1")
        if self.backtest_step is not None and self.backtest_step < 1:
            raise ValueError(f"backtest_step must be >= 1 day, got {self.backtest_step}")
        if self.n_paths < 2:
            raise ValueError(f"n_paths must be >= 2 to give quantiles, got {self.n_paths}")
        if self.tie_standard_errors < 0:
            raise ValueError(f"tie_standard_errors must be >= 0, got {self.tie_standard_errors}")
        if self.max_calibration_factor < 1:
            raise ValueError(
                f"max_calibration_factor must be >= 1, got {self.max_calibration_factor}"
            )
        if not 0 < self.intermittent_share <= 1:
            raise ValueError(
                f"intermittent_share must be within (0, 1], got {self.intermittent_share}"
            )
        if not all(0 < q < 1 for q in self.quantiles):
            raise ValueError(f"quantiles must lie strictly between 0 and 1: {self.quantiles}")
        if self.reconciliation not in ("auto", "bottom_up", "mint_shrink"):
            raise ValueError(
                f"reconciliation must be 'auto', 'bottom_up' or 'mint_shrink', "
                f"got {self.reconciliation!r}"
            )

    @property
    def candidates(self) -> tuple[str, ...]:
        """Models to backtest: the fixed one (plus the seasonal naive it is scored against)."""
        if self.fixed_model is not None:
            return tuple(dict.fromkeys(("seasonal_naive", self.fixed_model)))
        return self.models

    def candidates_for(self, *, has_events: bool, intermittent: bool = False) -> tuple[str, ...]:
        """Models to backtest on a series: the event models too when events touch it, the
        intermittent-demand models too when it has no demand on many days."""
        if self.fixed_model is not None:
            return self.candidates
        extra = (*(self.event_models if has_events else ()),)
        extra += (*(self.intermittent_models if intermittent else ()),)
        return tuple(dict.fromkeys((*self.candidates, *extra)))

    @property
    def model_quantiles(self) -> tuple[float, ...]:
        """Quantiles asked of every model: the settings' plus the 80 % interval and median."""
        return tuple(sorted({*self.quantiles, *_INTERVAL, 0.5}))

    @property
    def cutoff_step(self) -> int:
        """Days between consecutive backtest cutoffs."""
        return self.backtest_step or self.backtest_horizon

    @property
    def min_backtest_days(self) -> int:
        """History needed for ``n_cutoffs`` backtests of ``backtest_horizon`` days."""
        return self.min_train_days + (self.n_cutoffs - 1) * self.cutoff_step + self.backtest_horizon

    def for_history(self, n_days: int) -> ForecastSettings:
        """These settings, or a short backtest layout when ``n_days`` cannot hold them.

        A real trace of a few weeks cannot give three 28-day backtests after 28 days of
        training (112 days). Rather than forecast such a series by a baseline unscored, it is
        backtested on the layout tests/test_helios_accuracy.py measures for a 31-day trace:
        two weekly cycles of training, 7 days scored, cutoffs one day apart (overlapping
        windows), 23 days in all with three cutoffs. Shorter series still fall back.
        """
        if n_days >= self.min_backtest_days:
            return self
        return replace(
            self,
            min_train_days=min(self.min_train_days, SHORT_LAYOUT_TRAIN_DAYS),
            backtest_horizon=min(self.backtest_horizon, SHORT_LAYOUT_SCORED_DAYS),
            backtest_step=1,
        )


@dataclass(frozen=True, slots=True)
class SeriesForecast:
    """One series' outcome; every field pickles, so it can come back from a worker."""

    unique_id: str
    measure: str
    model: str
    n_days: int
    scale: float
    calibrated: bool
    fallback: str | None
    backtest: pl.DataFrame  # frame_schema("backtests"), every candidate and cutoff
    points: pl.DataFrame  # the chosen model's backtest points: cutoff, ds, step, y, mean
    forecast: pl.DataFrame  # FORECAST_SCHEMA minus run_id, unreconciled
    paths: np.ndarray | None  # (n_paths, horizon_days) for the mean measure, else None
    coverage_raw: float
    coverage_calibrated: float
    # Days at the end without telemetry (a feed that stopped): not fitted on, forecast over.
    stale_days: int = 0
    # Days before the run's last day that its backtests' span ended: none when its silence is
    # shorter than a backtest window (the span runs to the run's last day, its silent days
    # scored as none: :func:`_backtest_layout`), else ``stale_days``. Reconciliation keys its
    # backtest points that many days later, on the run's cutoffs.
    backtest_lag_days: int = 0
    # A recent level shift the fit held as a level (forecasting.shifts), in words, and its
    # age in days: the backtests' windows end that many days before the series' last day.
    level_shift: str | None = None
    level_shift_days: int | None = None
    # Isolated spike days the fit and backtests read held at the usual level
    # (forecasting.spikes), in words; None when there were none.
    spike: str | None = None
    # The model's mean over the ``stale_days`` it forecast across: what a total that waits on
    # this series reads for it there (:func:`_completed_frame`); None when it was not silent.
    nowcast: np.ndarray | None = None
    # Its last days that hold estimates, not telemetry (a total completed while a part of it
    # is silent): fitted on, not scored, and said in the run's warnings.
    estimated_days: int = 0
    # Days the series has read zero since it stopped (forecasting.shifts.stopped_days; 0: it
    # did not): its forecast is held at zero, and reconciliation keeps a leaf there.
    stopped_days: int = 0

    def score(self, model: str) -> float:
        """Mean backtest MASE of ``model`` on this series (NaN when it was not backtested)."""
        return _mean_mase(self.backtest, model)


# A total's last days estimated while a part of it was silent (ForecastResult.estimated): the
# first and last, how many, and the silent parts read off their own forecast there. Stored
# with the run (table forecast_estimated), so the pages can say it too.
ESTIMATED_SCHEMA = schema.frame_schema("forecast_estimated")


@dataclass(frozen=True, slots=True)
class ForecastResult:
    """A whole run: forecasts, reconciled paths, backtests and a per-series summary."""

    forecast: pl.DataFrame  # FORECAST_SCHEMA minus run_id; mean measure reconciled
    paths: pl.DataFrame  # PATHS_SCHEMA, reconciled mean-measure paths
    backtest: pl.DataFrame  # frame_schema("backtests")
    summary: pl.DataFrame  # per series: chosen model, score vs seasonal naive, calibration
    reconciliation: str  # the method applied ("none" when there is no hierarchy)
    reconciliation_scores: pl.DataFrame = field(default_factory=pl.DataFrame)
    # The mean-measure days whose published mean is their paths' mean (their point forecast
    # lay outside the band read off the paths; unique_id, ds): the stored rows' mean_source.
    mean_of_paths_days: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"unique_id": pl.String, "ds": pl.Date})
    )
    # Peak rows held at their mean measure's because the peak model read lower (unique_id,
    # ds; measures.peaks_below_means): said in the warnings.
    peaks_at_means: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=measures.PEAKS_AT_MEANS_SCHEMA)
    )
    # Totals whose last days hold estimates, not telemetry (ESTIMATED_SCHEMA): a part of them
    # was silent, read off its own forecast there; said in the warnings.
    estimated: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ESTIMATED_SCHEMA))
    # Leaves constant in their history (CONSTANT_SCHEMA, :func:`constant_series`), held at their
    # own forecast by the reconciliation and the plan's class split: said in the warnings.
    constant: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CONSTANT_SCHEMA))

    @property
    def flagged(self) -> pl.DataFrame:
        """Series forecast by a fallback, one row each: unique_id, measure, model, reason.

        A series lands here when it could not be backtested and forecast as settings ask (too
        little history, no observed day, a model that raised, a non-finite forecast); the run
        still completes, and ``model`` says which baseline stands in for it.
        """
        return self.summary.filter(pl.col("fallback").is_not_null()).select(
            "unique_id", "measure", "model", pl.col("fallback").alias("reason")
        )

    @property
    def stale(self) -> pl.DataFrame:
        """Series whose telemetry stopped ``schema.STALE_WARN_DAYS`` or more days before the run's
        last day: unique_id, measure, stale_days, last_observed."""
        return self.summary.filter(pl.col("stale_days") >= schema.STALE_WARN_DAYS).select(
            "unique_id",
            "measure",
            "stale_days",
            (pl.lit(self.last_day) - pl.duration(days=pl.col("stale_days"))).alias("last_observed"),
        )

    @property
    def last_day(self) -> date | None:
        """The run's last day of history (the day before its first forecast day)."""
        if self.forecast.is_empty():
            return None
        first: date = self.forecast["ds"].min()  # type: ignore[assignment]  # a Date column
        return first - timedelta(days=1)

    @property
    def held_at_zero(self) -> list[str]:
        """The unique ids forecast at zero because their demand stopped
        (:func:`forecasting.shifts.stopped_days`; their ``level_shift`` says why), sorted."""
        if "level_shift" not in self.summary.columns:
            return []
        rows = self.summary.filter(pl.col("level_shift").str.starts_with(schema.STOPPED_NOTE))
        return sorted(set(rows["unique_id"]))

    def warnings(
        self, *, folded: Collection[str] = (), stopped_feeds: Collection[str] = ()
    ) -> list[str]:
        """One line per flagged series, series with a recent level shift held as a level, or
        stale series, for a CLI to print (the library never prints). Series of ``folded``
        (unique ids) get no fallback line: the caller says it for them in one line. Series of
        ``stopped_feeds`` held at zero get no held-at-zero note: the caller's line on their
        stopped feed says it (one fact, which read as two findings)."""
        told = pl.Series(list(folded), dtype=pl.String)
        fallbacks = _fallback_lines(self.flagged.filter(~pl.col("unique_id").is_in(told)))
        said = pl.Series(list(stopped_feeds), dtype=pl.String)
        held = _level_shift_lines(
            self.summary.filter(
                ~(
                    pl.col("unique_id").is_in(said)
                    & pl.col("level_shift").str.starts_with(schema.STOPPED_NOTE).fill_null(False)
                )
            )
            if "level_shift" in self.summary.columns
            else self.summary
        )
        return (
            fallbacks
            + _spike_lines(self.summary)
            + held
            + _stale_lines(self.stale, self.summary["unique_id"].unique().to_list())
            + _estimated_lines(self.estimated)
            + _constant_lines(
                self.constant.filter(
                    pl.col("unique_id").is_in(self.flagged["unique_id"].implode()).not_()
                )
            )
            + _mean_of_paths_lines(_day_spans(self.mean_of_paths_days))
            # A series forecast by a fallback has its line above: its peak at its mean's is
            # the fallback's, said there.
            + _peaks_at_means_lines(
                _day_spans(
                    self.peaks_at_means.filter(
                        pl.col("unique_id").is_in(self.flagged["unique_id"].implode()).not_()
                    )
                )
            )
        )


# Series named in full in the one warning line on recent level shifts; the rest are counted.
_SHIFTS_NAMED = 4
# Series named in the one warning line of a fallback's reason shared by more; the rest counted.
_FALLBACKS_NAMED = 4
# The words of the documented baseline for a series too short to backtest (``_fallback``) and
# of a series with no observed day (``_daily_grid``): the reasons whose warnings fold, because
# such series were forecast as the rule says and share one cause.
_SHORT_HISTORY = "of history; backtesting needs"
_NO_OBSERVED_DAY = "no observed day in its "
# The naive's own error on a short series' last days (``_fallback``): why it was chosen over
# the seasonal naive, a figure of that series alone, not a cause the series differ by.
_NAIVE_ERRED = re.compile(r"; on its last [^;]*? the naive erred by [^;]*")
# A stopped series' own peak before it stopped (``_fallback``'s stop note): a figure of that
# series alone; the day it stopped and how long ago stay, the cause series fold by.
_STOPPED_PEAK = re.compile(r"(read zero, after demand) up to [\d,.]+ GPUs (until )")


def _folded_reason(reason: str) -> str | None:
    """The reason series fold under (``reason`` less the naive's own error), or None where
    each series keeps its own line (a model that raised: each is one to look into)."""
    if _SHORT_HISTORY in reason:
        # A class that stopped (churn) printed one line per customer and measure, each with
        # its own peak: 38 warnings on a 21-day fleet for one event.
        return _STOPPED_PEAK.sub(r"\1 \2", _NAIVE_ERRED.sub("", reason))
    if reason.startswith(_NO_OBSERVED_DAY):
        return reason
    return None


def _named_count(n: int, *, most: int) -> int:
    """How many of ``n`` series a folded warning names: ``most``, or all where only one more
    would be left ("and 1 more series" takes as many words as naming it)."""
    return most if n > most + 1 else n


def _fallback_lines(flagged: pl.DataFrame) -> list[str]:
    """One line per series and measure forecast by a fallback (``flagged``), with its model
    and reason; where more than ``_FALLBACKS_NAMED`` series were too short to backtest for the
    same reason, or had no observed day for the same reason, one line for them all: 14 days of
    telemetry printed 208 lines of the same "forecast by seasonal_naive: 14 days of history",
    and the one saying a feed had stopped was lost. The naive's error on a series' last days
    does not keep it apart (the ServeGen trace printed 16 lines of one reason, each with its
    own figures); a note of its own (demand that stopped, a band of no width) does. A series
    whose model raised keeps its own line however many share the reason: each is one to look
    into."""
    groups: dict[tuple[str, str], dict[str, list[str]]] = {}
    reasons: dict[tuple[str, str, str], str] = {}
    for uid, measure, model, reason in flagged.iter_rows():
        key = (model, _folded_reason(reason) or reason)
        groups.setdefault(key, {}).setdefault(uid, []).append(measure)
        reasons[(uid, measure, model)] = reason
    lines = []
    for (model, reason), series in groups.items():
        # Series as the pages name them: a ServeGen customer read "m-large%2F61" here alone.
        if len(series) <= _FALLBACKS_NAMED or _folded_reason(reason) is None:
            lines += [
                f"{hierarchy.label_of(uid)} ({measure}): forecast by {model}: "
                f"{reasons[(uid, measure, model)]}"
                for uid, measures in series.items()
                for measure in measures
            ]
            continue
        shown = _named_count(len(series), most=_FALLBACKS_NAMED)
        named = ", ".join(
            f"{hierarchy.label_of(uid)} ({', '.join(measures)})"
            for uid, measures in list(series.items())[:shown]
        )
        more = len(series) - shown
        # Where the naive's figures were left out, say where they are.
        own = any(
            reasons[(uid, m, model)] != reason for uid, measures in series.items() for m in measures
        )
        stopped = "read zero, after demand until " in reason
        why = (
            "; the naive chosen on each series' own errors over its last days, and its demand "
            "before it stopped (listed there)"
            if stopped
            else "; the naive chosen on each series' own errors over its last days (listed there)"
        )
        rest = f" and {more} more series (the platform page lists them)" if more else ""
        lines.append(f"{named}{rest}: forecast by {model}: {reason}{why if own else ''}")
    return lines


def _level_shift_lines(summary: pl.DataFrame) -> list[str]:
    """One line on the series whose recent level shift the forecast held as a level: a step
    shared by a whole fleet is one finding, not one line per series."""
    rows = _noted(summary, "level_shift")
    if not rows:
        return []
    shown = _named_count(len(rows), most=_SHIFTS_NAMED)
    named = "; ".join(
        f"{hierarchy.label_of(uid)} ({measure}): {note}" for uid, measure, note in rows[:shown]
    )
    more = len(rows) - shown
    return [
        named + (f"; and {more} more series (the platform page lists them)" if more > 0 else "")
    ]


def _spike_lines(summary: pl.DataFrame) -> list[str]:
    """One line per series whose isolated spike the forecast held at its usual level: unlike
    a level shift, a one-hour job is its own customer's, and each series it moved is named."""
    return [
        f"{hierarchy.label_of(uid)} ({measure}): {note}"
        for uid, measure, note in _noted(summary, "spike")
    ]


def _noted(summary: pl.DataFrame, column: str) -> list[tuple[str, str, str]]:
    """(unique_id, measure, note) of the series with a note in ``column``, top level first."""
    if column not in summary.columns:
        return []
    return (
        summary.filter(pl.col(column).is_not_null())
        .sort(hierarchy.depth(), "unique_id", "measure")
        .select("unique_id", "measure", column)
        .rows()
    )


# Said of a region silent for longer than schema.REGION_ENDED_DAYS (demand.demand_series).
_ENDED_NOTE = (
    f"; silent over {schema.REGION_ENDED_DAYS} days, it has ended for the total, which counts "
    "it up to its last report only"
)


# Series named in the one line on means read off their paths; the rest are counted.
_MEAN_OF_PATHS_NAMED = 4


# Columns of _day_spans.
_SPANS = pl.Schema({"unique_id": pl.String, "days": pl.Int64, "first": pl.Date, "last": pl.Date})


def _day_spans(days: pl.DataFrame) -> pl.DataFrame:
    """Per series of ``days`` (``unique_id, ds``): how many, the first and the last, the
    highest level first."""
    return (
        days.group_by("unique_id")
        .agg(
            pl.len().cast(pl.Int64).alias("days"),
            pl.col("ds").min().alias("first"),
            pl.col("ds").max().alias("last"),
        )
        .sort(pl.col("unique_id").str.count_matches("/"), "unique_id")
        .cast(_SPANS)
    )


def _spans_named(spans: pl.DataFrame) -> str:
    """:func:`_day_spans` rows, the first few named with their days: ``total (48 days,
    2020-06-07 to 2020-07-26), helios (...) and 21 more``."""
    rows = spans.rows(named=True)
    named = [
        f"{hierarchy.label_of(r['unique_id'])} ({days_count(r['days'])}, {r['first']} to "
        f"{r['last']})"
        for r in rows[:_MEAN_OF_PATHS_NAMED]
    ]
    return ", ".join(named) + (
        f" and {len(rows) - len(named)} more" if len(rows) > len(named) else ""
    )


def _mean_of_paths_lines(of_paths: pl.DataFrame) -> list[str]:
    """One line on the series whose mean is their paths' mean on some days (:func:`_day_spans`
    rows)."""
    if of_paths.is_empty():
        return []
    return [
        "mean measure: the daily model's mean is the mean of its sample paths, not its point "
        f"forecast, for {_spans_named(of_paths)}: there the point forecast lay outside the "
        "q10-q90 band read off the same paths (bursty parts, clipped at zero path by path, "
        "average above a forecast near zero); where the plan blends in the growth models "
        "(from day 29), those rows blend this mean"
    ]


def _peaks_at_means_lines(spans: pl.DataFrame) -> list[str]:
    """One line on the series whose peak rows are held at their mean's (:func:`_day_spans`
    rows)."""
    if spans.is_empty():
        return []
    return [
        "peak measure: the daily peak is held at the mean measure's forecast, which read higher "
        f"(a day's peak is never below its mean), for {_spans_named(spans)}: there the two "
        "measures' models disagree, and the peak the triggers read is the mean model's, not "
        "one fitted to the series' peaks"
    ]


def _stale_lines(stale: pl.DataFrame, ids: Sequence[str]) -> list[str]:
    """One line per silent subtree and one for the totals it leaves incomplete.

    A region's feed stops for all of its classes and customers at once: the line names the
    highest series whose every child went silent on the same day, and counts those under it.
    A total above it with other, reporting children is silent only because a part is missing
    (a day is whole when every part reported), and is named as such.
    """
    silent = {(uid, days): last for uid, _, days, last in stale.iter_rows()}
    measures: dict[tuple[str, int], list[str]] = {}
    for uid, measure, days, _ in stale.sort("measure").iter_rows():
        measures.setdefault((uid, days), []).append(measure)
    children: dict[str, list[str]] = {}
    for uid in ids:
        if "/" in uid:
            children.setdefault(uid.rsplit("/", 1)[0], []).append(uid)

    @cache  # head() asks it of every ancestor of every series: walk each subtree once
    def whole(uid: str, days: int) -> bool:
        """Silent because its own feed is: every series under it is silent since then too."""
        return all((c, days) in silent and whole(c, days) for c in children.get(uid, []))

    def head(uid: str, days: int) -> str:
        """The highest silent subtree ``uid`` belongs to."""
        parts = uid.split("/")
        for n in range(1, len(parts)):
            ancestor = "/".join(parts[:n])
            if (ancestor, days) in silent and whole(ancestor, days):
                return ancestor
        return uid

    heads: dict[tuple[str, int], int] = {}
    partial: list[tuple[str, int]] = []
    for uid, days in measures:
        if not whole(uid, days):
            partial.append((uid, days))
        else:
            top = head(uid, days)
            heads[(top, days)] = heads.get((top, days), 0) + (top != uid)
    lines = [
        f"{hierarchy.label_of(uid)} ({', '.join(measures[(uid, days)])})"
        + (f" and the {below} series under it" if below else "")
        + f": no telemetry since {silent[(uid, days)]}, {days_count(days)} before the run's last "
        f"day: {schema.STALE_FIT}; check the feed"
        + (_ENDED_NOTE if days > schema.REGION_ENDED_DAYS and hierarchy.depth_of(uid) == 1 else "")
        for (uid, days), below in sorted(heads.items())
    ]
    lines += [
        f"{hierarchy.label_of(uid)} ({', '.join(measures[(uid, days)])}): incomplete since "
        f"{silent[(uid, days)]}, "
        f"as a part of it is silent (above): {schema.STALE_FIT}"
        for uid, days in sorted(partial)
    ]
    return lines


# Series named in the one warning line on series held at a constant level; the rest counted.
_CONSTANT_NAMED = 4


def _constant_lines(constant: pl.DataFrame) -> list[str]:
    """One line for the leaves held at their level (CONSTANT_SCHEMA, forecast by their own
    model, not a fallback, whose line says it for the others): their band has no width, which
    read as a certain level where it is only a history with no spread."""
    if constant.is_empty():
        return []
    rows = constant.sort("unique_id", "measure").unique("unique_id", keep="first")
    rows = rows.sort("unique_id")
    shown = _named_count(rows.height, most=_CONSTANT_NAMED)
    named = ", ".join(
        f"{hierarchy.label_of(uid)} at {level:,.1f} GPUs on each of its {days_count(days)}"
        for uid, level, days in rows.head(shown).select("unique_id", "level", "days").iter_rows()
    )
    more = f" and {rows.height - shown} more" if rows.height > shown else ""
    return [
        f"held at their own level, every observed day the same: {named}{more}; no change of "
        "their class or region is read onto them (not reconciled with it, not its share "
        "past the daily model), and their band has no width: their days never changed, which "
        "measures no spread: not a certain level"
    ]


def _estimated_lines(estimated: pl.DataFrame) -> list[str]:
    """One line per total whose last days hold estimates: which days, read off what."""
    return [
        f"{estimated_days_words(hierarchy.label_of(uid), measure, days, first, last, nowcast)}; "
        "fitted on, not scored, and forecast from the run's last day as the reporting series are"
        for uid, measure, first, last, days, nowcast in estimated.sort("unique_id").iter_rows()
    ]


# --- metrics -----------------------------------------------------------------------------------


def mase(y: np.ndarray, yhat: np.ndarray, *, scale: float) -> float:
    """Mean absolute error over ``scale`` (the in-sample MAE of the weekly seasonal naive)."""
    ok = np.isfinite(y)
    return float(np.mean(np.abs(y[ok] - yhat[ok])) / scale) if ok.any() else float("nan")


def smape(y: np.ndarray, yhat: np.ndarray) -> float:
    """Symmetric MAPE on a 0-200 scale; days where both are zero count as perfect."""
    ok = np.isfinite(y)
    num = np.abs(y[ok] - yhat[ok])
    den = np.abs(y[ok]) + np.abs(yhat[ok])
    terms = np.divide(200 * num, den, out=np.zeros_like(num), where=den > 0)
    return float(np.mean(terms)) if ok.any() else float("nan")


def pinball(
    y: np.ndarray, qhat: dict[float, np.ndarray], *, quantiles: Sequence[float], scale: float
) -> float:
    """Pinball loss averaged over ``quantiles`` and days, divided by ``scale`` like MASE."""
    ok = np.isfinite(y)
    if not ok.any():
        return float("nan")
    losses = []
    for q in quantiles:
        diff = y[ok] - qhat[q][ok]
        losses.append(np.mean(np.maximum(q * diff, (q - 1) * diff)))
    return float(np.mean(losses) / scale)


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of observed days inside ``[lo, hi]``."""
    ok = np.isfinite(y)
    return float(np.mean((y[ok] >= lo[ok]) & (y[ok] <= hi[ok]))) if ok.any() else float("nan")


def _naive_scale(y: np.ndarray) -> float:
    """In-sample MAE of the weekly seasonal naive; falls back so a flat series still scores."""
    m = 7
    d = np.abs(y[m:] - y[:-m]) if y.size > m else np.empty(0)
    d = d[np.isfinite(d)]
    scale = float(np.mean(d)) if d.size else 0.0
    if scale > 0:
        return scale
    level = float(np.nanmean(np.abs(y))) if np.isfinite(y).any() else 0.0
    return level if level > 0 else 1.0


# --- per-series work ---------------------------------------------------------------------------


def backtest_cutoffs(n_days: int, *, settings: ForecastSettings) -> list[int]:
    """Training lengths at each cutoff, oldest first; empty when the series is too short."""
    if n_days < settings.min_backtest_days:
        return []
    last = n_days - settings.backtest_horizon
    return [last - i * settings.cutoff_step for i in reversed(range(settings.n_cutoffs))]


# A series idle for at least this many days before it ever had demand, and steady since, was
# not there yet (a customer onboarding). A weekly cycle: a few idle days at the start of a
# trace are not evidence of onboarding.
ONBOARDING_MIN_IDLE_DAYS = 7


def _first_day(observed: pl.DataFrame, *, intermittent_share: float) -> date:
    """The day a series' history starts: its first observed day, or its onboarding day.

    Days of zero before a series' first day of demand are days before it existed when they
    are many (``ONBOARDING_MIN_IDLE_DAYS``) and the series has had demand on most days since
    (it is not intermittent): fitting on them would read the onboarding as a level shift the
    future may repeat and widen every interval. An intermittent series keeps its idle days,
    which are its pattern.
    """
    first: date = observed["ds"][0]
    active = observed.filter(pl.col("y") > 0)
    if active.is_empty():
        return first
    onboarded: date = active["ds"][0]
    since = observed.filter(pl.col("ds") >= onboarded)["y"].to_numpy()
    idle_before = observed.filter(pl.col("ds") < onboarded).height
    if idle_before >= ONBOARDING_MIN_IDLE_DAYS and intermittency(since) < intermittent_share:
        return onboarded
    return first


def _daily_grid(series: pl.DataFrame, *, intermittent_share: float) -> pl.DataFrame:
    """The series on every day from its first day (:func:`_first_day`) to its last row.

    Gaps are null.
    """
    # NaN and null both mean "not measured"; neither may be read as a value.
    series = series.sort("ds").with_columns(pl.col("y").cast(pl.Float64).fill_nan(None))
    observed = series.filter(pl.col("y").is_not_null())
    if observed.is_empty():
        raise NoObservedDayError(
            f"no observed day in its {series.height} day(s) of rows (a day with too few hours "
            "reported is missing, not zero): backfill its telemetry, or drop it from the demand"
        )
    start = _first_day(observed, intermittent_share=intermittent_share)
    end: date = series["ds"].max()  # type: ignore[assignment]
    grid = pl.DataFrame({"ds": pl.date_range(start, end, "1d", eager=True)})
    return grid.join(series.select("ds", "y"), on="ds", how="left")


def _backtest_layout(
    observed: int, stale: int, *, settings: ForecastSettings
) -> tuple[ForecastSettings, int]:
    """The backtest settings of a series observed ``observed`` days and then silent ``stale``,
    and how many of its silent days its backtests' span reaches past its last observed day.

    The span runs to the run's last day whenever the last window keeps an observed day (the
    silence is shorter than a window): every cutoff then has only observed days before it and
    falls on the day a reporting series' would. A longer silence leaves no observed day in
    that window, so the span ends on the last observed day.
    """
    spanned = settings.for_history(observed + stale)
    if 0 < stale < spanned.backtest_horizon:
        return spanned, stale
    return settings.for_history(observed), 0


def _observed_to_end(y: np.ndarray, ds: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """``y`` and ``ds`` up to the last observed day, and how many days after it were cut.

    Days after a series' last observation are a feed that stopped (a region silent at the
    end), not data: interpolation would hold the last value flat across them and fit on it
    as if it had been measured. The forecast instead starts that many days further ahead.
    """
    observed = np.flatnonzero(np.isfinite(y))
    stale = int(y.size - 1 - observed[-1]) if observed.size else 0
    return (y[: y.size - stale], ds[: ds.size - stale], stale) if stale else (y, ds, 0)


def _skip(
    stale: int, mean: np.ndarray, qs: dict[float, np.ndarray], paths: np.ndarray | None
) -> tuple[np.ndarray, dict[float, np.ndarray], np.ndarray | None]:
    """A forecast made ``stale`` days early, without its first ``stale`` days."""
    if not stale:
        return mean, qs, paths
    return (
        mean[stale:],
        {q: v[stale:] for q, v in qs.items()},
        None if paths is None else paths[:, stale:],
    )


def _fit(name: str, y: np.ndarray, ds: np.ndarray, events: pl.DataFrame | None) -> Model:
    """Model ``name`` fitted on ``y``, with the events known on its last day as holidays."""
    holidays = None
    if events is not None:
        holidays = holidays_known_by(events, ds[-1].astype("datetime64[D]").item())
    return make_model(name).fit(
        y, ds=ds, events=holidays if holidays is not None and holidays.height else None
    )


def _score_rows(
    name: str,
    y: np.ndarray,
    ds: np.ndarray,
    cutoffs: Sequence[int],
    *,
    settings: ForecastSettings,
    events: pl.DataFrame | None,
) -> Iterator[tuple[int, float, np.ndarray, np.ndarray, dict[float, np.ndarray]]]:
    """(cutoff, scale, actuals, mean, quantiles) of ``name`` refitted at every cutoff."""
    h = settings.backtest_horizon
    for c in cutoffs:
        train = y[:c]
        try:
            model = _fit(name, train, ds[:c], events)
            pred = model.predict(h, quantiles=settings.model_quantiles)
        except Exception:
            # A model that cannot fit this window (whatever it raises) does not compete in it:
            # one model's failure on one series must not stop the run.
            continue
        if not _finite(pred.mean, *pred.quantiles.values()):
            continue
        yield c, _naive_scale(train), y[c : c + h], pred.mean, dict(pred.quantiles)


def _finite(*arrays: np.ndarray) -> bool:
    """Whether every value of every array is a finite number."""
    return all(bool(np.isfinite(a).all()) for a in arrays)


COMBINE = "+"
_Scored = tuple[int, float, np.ndarray, np.ndarray, dict[float, np.ndarray]]


def _scored_loss(result: _Scored, metric: str, quantiles: Sequence[float]) -> float:
    """One backtest window's score by ``metric`` ("mase" or "pinball")."""
    _, scale, actual, mean, qs = result
    if metric == "pinball":
        return pinball(actual, qs, quantiles=quantiles, scale=scale)
    return mase(actual, mean, scale=scale)


def _combination(
    scored: dict[str, list[_Scored]],
    *,
    candidates: Sequence[str],
    settings: ForecastSettings,
    metric: str = "mase",
    short: bool = False,
) -> tuple[str, str] | None:
    """The two candidates with the best mean backtest score, when a combination is wanted.

    On a ``short`` history the pair is the best candidate and the seasonal naive.
    """
    if not settings.combine or settings.fixed_model is not None:
        return None
    # Only candidates scored at every cutoff compete: a mean over fewer, later windows (a
    # model too short-lived for the early ones) is not comparable with a mean over all.
    most = max((len(results) for results in scored.values()), default=0)
    means = {
        name: float(np.nanmean([_scored_loss(r, metric, settings.quantiles) for r in results]))
        for name, results in scored.items()
        if results and len(results) == most
    }
    finite = sorted((v, k) for k, v in means.items() if np.isfinite(v))
    if len(finite) < 2:
        return None
    pair = (finite[0][1], finite[1][1])
    if short and "seasonal_naive" in means:
        best_other = next(k for _, k in finite if k != "seasonal_naive")
        pair = ("seasonal_naive", best_other)
    # Named in the settings' order, so one pair always has one name.
    first, second = sorted(pair, key=list(candidates).index)
    return first, second


def _combined_rows(first: list[_Scored], second: list[_Scored]) -> list[_Scored]:
    """Backtest results of the average of two models, on the cutoffs both could fit."""
    by_cutoff = {c: (mean, qs) for c, _, _, mean, qs in second}
    return [
        (c, scale, actual, (mean + by_cutoff[c][0]) / 2, _averaged(qs, by_cutoff[c][1]))
        for c, scale, actual, mean, qs in first
        if c in by_cutoff
    ]


def _averaged(a: dict[float, np.ndarray], b: dict[float, np.ndarray]) -> dict[float, np.ndarray]:
    """Quantiles of a combination: the average of the members' quantiles (Vincentization)."""
    return {q: (a[q] + b[q]) / 2 for q in a}


def _backtest(
    y: np.ndarray,
    ds: np.ndarray,
    cutoffs: Sequence[int],
    *,
    candidates: Sequence[str],
    settings: ForecastSettings,
    events: pl.DataFrame | None,
    metric: str = "mase",
    short: bool = False,
) -> tuple[list[dict[str, object]], dict[str, pl.DataFrame]]:
    """Score rows for every candidate and cutoff, and each candidate's backtest points."""
    rows: list[dict[str, object]] = []
    points: dict[str, pl.DataFrame] = {}
    scored = {
        name: list(_score_rows(name, y, ds, cutoffs, settings=settings, events=events))
        for name in candidates
    }
    pair = _combination(
        scored, candidates=candidates, settings=settings, metric=metric, short=short
    )
    if pair is not None:
        scored[COMBINE.join(pair)] = _combined_rows(scored[pair[0]], scored[pair[1]])
    h = settings.backtest_horizon
    for name, results in scored.items():
        frames = []
        for c, scale, actual, mean, qs in results:
            rows.append(
                {
                    "model": name,
                    "cutoff": ds[c - 1].astype("datetime64[D]").item(),
                    "mase": mase(actual, mean, scale=scale),
                    "smape": smape(actual, mean),
                    "pinball": pinball(actual, qs, quantiles=settings.quantiles, scale=scale),
                    "coverage_80": coverage(actual, qs[0.1], qs[0.9]),
                }
            )
            frames.append(
                pl.DataFrame(
                    {
                        "cutoff": np.full(h, ds[c - 1]),
                        "ds": ds[c : c + h],
                        "step": np.arange(1, h + 1),
                        "y": actual,
                        "mean": mean,
                        "q10": qs[0.1],
                        "q50": qs[0.5],
                        "q90": qs[0.9],
                    },
                    nan_to_null=True,
                )
            )
        if frames:
            points[name] = pl.concat(frames)
    return rows, points


# --- conformal calibration ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Calibration:
    """Per horizon bucket, factors that stretch the lower and upper side around the median."""

    edges: tuple[int, ...]  # last step of each bucket
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    def factors(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper factors for steps 1..h; steps past the last bucket reuse it."""
        bucket = np.searchsorted(np.asarray(self.edges), np.arange(1, h + 1))
        bucket = np.minimum(bucket, len(self.edges) - 1)
        return np.asarray(self.lower)[bucket], np.asarray(self.upper)[bucket]


def _spread(q10: np.ndarray, q90: np.ndarray, *, floor: float) -> np.ndarray:
    """The model's own scale at each step: the half-width of its 80 % interval in z units.

    ``floor`` (a tenth of the series' naive MAE) stops a window of zeros, where the model saw
    no variation at all, from turning the next burst into an unbounded factor.
    """
    return np.maximum((q90 - q10) / (2 * _Z90), max(floor, 1e-9))


def _buckets(steps: np.ndarray) -> tuple[int, ...]:
    """Bucket ends over ``steps``, merged until every bucket holds enough points."""
    horizon = int(steps.max())
    edges = [e for e in _BUCKET_EDGES if e < horizon] + [horizon]
    merged: list[int] = []
    start = 0
    for end in edges:
        if np.sum((steps > start) & (steps <= end)) >= _MIN_BUCKET_POINTS or end == horizon:
            merged.append(end)
            start = end
    if len(merged) > 1 and np.sum(steps > merged[-2]) < _MIN_BUCKET_POINTS:
        merged.pop(-2)  # a thin last bucket joins the one before it
    return tuple(merged)


def _fit_calibration(
    points: pl.DataFrame, *, scale: float, max_factor: float
) -> _Calibration | None:
    """Per-bucket factors from normalised backtest errors; None when there is nothing to learn.

    The factor puts the model's q10-q90 half-width on the conformal 80 % quantile of
    |error| / spread. It is symmetric on purpose: a backtest window's bias is mostly a
    random-walk excursion that does not persist, and an asymmetric fit chases it (measured
    on synthetic series: 72 % coverage asymmetric against 80 % symmetric).
    """
    pts = points.drop_nulls("y")
    if pts.height < 2:
        return None
    steps = pts["step"].to_numpy()
    s = _spread(pts["q10"].to_numpy(), pts["q90"].to_numpy(), floor=0.1 * scale)
    r = np.abs(pts["y"].to_numpy() - pts["q50"].to_numpy()) / s
    edges = _buckets(steps)
    factors = []
    start = 0
    for end in edges:
        rb = r[(steps > start) & (steps <= end)]
        level = min(np.ceil((rb.size + 1) * 0.8) / rb.size, 1.0)  # split-conformal rank
        factor = float(np.quantile(rb, level, method="higher")) / _Z90
        factors.append(float(np.clip(factor, 1 / max_factor, max_factor)))
        start = end
    return _Calibration(edges, tuple(factors), tuple(factors))


def _stretch(
    values: np.ndarray, median: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Scale distances from the median by ``lower`` below it and ``upper`` above it."""
    dist = values - median
    return np.maximum(median + dist * np.where(dist < 0, lower, upper), 0.0)


def _calibrated_quantiles(
    qs: dict[float, np.ndarray], cal: _Calibration
) -> dict[float, np.ndarray]:
    """Quantiles stretched per side and kept monotone in the level."""
    lower, upper = cal.factors(qs[0.5].size)
    out = {q: _stretch(v, qs[0.5], lower, upper) for q, v in qs.items()}
    levels = sorted(out)
    stacked = np.maximum.accumulate(np.stack([out[q] for q in levels]), axis=0)
    return dict(zip(levels, stacked, strict=True))


def _coverage_tolerance(n_points: int, tolerance: float) -> float:
    """How far backtest coverage may stray from 80 % before calibration is worth its noise.

    On n points a well-calibrated interval's coverage has a binomial standard error of
    sqrt(0.16 / n): 9 points on 21 backtest days, 4 on 84. Calibrating a miss that is no
    larger than two standard errors fits the noise of one window, not the model's error.
    """
    return max(tolerance, 2 * np.sqrt(0.8 * 0.2 / max(n_points, 1)))


def _loco_coverage(points: pl.DataFrame, *, scale: float, max_factor: float) -> float:
    """Coverage after calibration, each cutoff calibrated on the other cutoffs only."""
    cutoffs = points["cutoff"].unique().sort()
    hits: list[np.ndarray] = []
    for c in cutoffs:
        held = points.filter((pl.col("cutoff") == c) & pl.col("y").is_not_null())
        cal = _fit_calibration(
            points.filter(pl.col("cutoff") != c), scale=scale, max_factor=max_factor
        )
        if cal is None or held.is_empty():
            continue
        lower, upper = cal.factors(int(held["step"].to_numpy().max()))
        step = held["step"].to_numpy() - 1
        q50 = held["q50"].to_numpy()
        lo = _stretch(held["q10"].to_numpy(), q50, lower[step], upper[step])
        hi = _stretch(held["q90"].to_numpy(), q50, lower[step], upper[step])
        y = held["y"].to_numpy()
        hits.append((y >= lo) & (y <= hi))
    return float(np.mean(np.concatenate(hits))) if hits else float("nan")


# --- one series --------------------------------------------------------------------------------


def _series_rng(settings: ForecastSettings, unique_id: str, measure: str) -> np.random.Generator:
    """A generator that depends on the series, not on the order workers happen to run in."""
    return np.random.default_rng([settings.seed, zlib.crc32(f"{unique_id}|{measure}".encode())])


def _fallback(y: np.ndarray, settings: ForecastSettings) -> tuple[str, str]:
    """The baseline for a series too short to backtest, and the reason in words.

    The seasonal naive, unless its last days say the naive does better: held out of the fit,
    they are the one window such a series has. A customer still ramping (140 to 280 GPUs over
    its last week) has no weekday pattern, and repeating its last week read the ramp as one.
    """
    n_days = y.size
    reason = (
        f"{_history_words(y)}{_SHORT_HISTORY.removeprefix('of history')} "
        f"{settings.min_backtest_days} "
        f"({settings.min_train_days} training + {settings.n_cutoffs - 1} steps of "
        f"{settings.cutoff_step} between cutoffs + {settings.backtest_horizon} scored)"
    )
    if n_days >= min_length("seasonal_naive"):
        held = min(7, n_days - min_length("seasonal_naive"))
        if held >= 1 and np.isfinite(y[-held:]).any():
            actual = y[-held:]
            ok = np.isfinite(actual)
            errors = {
                name: float(np.mean(np.abs(_point(name, y[:-held], held)[ok] - actual[ok])))
                for name in ("seasonal_naive", "naive")
            }
            if errors["naive"] < errors["seasonal_naive"]:
                erred = (
                    f"{reason}; on its last {days_count(held)} the naive erred by "
                    f"{errors['naive']:,.1f} GPUs a day on average against the seasonal "
                    f"naive's {errors['seasonal_naive']:,.1f}"
                )
                if not _holds_idle_zero(y):
                    return "naive", erred
                # Held, one idle last day read as a customer gone for the whole horizon: on
                # young synthetic fleets most such customers had demand the next days.
                return "seasonal_naive", f"{erred}{_IDLE_ZERO_NOTE}"
        return "seasonal_naive", reason
    if n_days >= min_length("naive"):
        return "naive", reason
    raise TooFewDaysError(
        f"{n_days} day(s) of history; at least {min_length('naive')} are needed to forecast "
        "at all: wait for more telemetry or drop the series"
    )


# Why a short series the naive erred less on is forecast by the seasonal naive all the same
# (``_holds_idle_zero``); no count of days, so the reasons of series alike still fold.
_IDLE_ZERO_NOTE = (
    "; not the naive, though it erred less: it would hold its one idle last day's zero for the "
    "whole horizon, and one idle day of a series busy on most days is no stop "
    f"(forecasting.shifts.stopped_days wants {shifts.STOPPED_DAYS}): the seasonal naive repeats "
    "its last week instead"
)


def _holds_idle_zero(y: np.ndarray) -> bool:
    """Whether the naive would hold one idle day as if demand had stopped: ``y``'s last
    observed day reads zero, the one before it demand, on a series busy on most days
    (:func:`forecasting.shifts.busy_before_idle`; a stop, 14 zeros, is held at zero whatever
    the model, ``_backtested_forecast``). A burst that ended (an intermittent series back at
    zero) stays the naive's: its zeros are its usual state.

    One day only, as measured (``benchmarks/accuracy_idle_last_day.py``: 80 synthetic young
    fleets cut to 15 days, the next 13 scored): the 24 such series' summed MAE was 2,048 GPUs
    a day held at zero, 623 by the seasonal naive (11 of them erred less, the large ones);
    two idle days and more were better held (921 against 978 on 14 series, 900 against 1,645
    on 78 with 3-6)."""
    observed = y[np.isfinite(y)]
    if observed.size < 2 or observed[-1] != 0 or not observed[-2] > 0:
        return False
    return shifts.busy_before_idle(y)


def _history_words(y: np.ndarray) -> str:
    """``6 days of history``, or ``4 observed days in 6 days of history`` where days of the
    span are missing: the warning read 6 (the span) where the report's banner read 4."""
    span = "1 day" if y.size == 1 else f"{y.size} days"
    observed = int(np.isfinite(y).sum())
    if observed == y.size:
        return f"{span} of history"
    return f"{observed} observed day{'' if observed == 1 else 's'} in {span} of history"


def _point(name: str, y: np.ndarray, h: int) -> np.ndarray:
    """The point forecast of baseline ``name`` fitted on ``y``, ``h`` days ahead."""
    return make_model(name).fit(y).predict(h, quantiles=(0.5,)).mean


def _mean_mase(backtest: pl.DataFrame, model: str) -> float:
    """Mean MASE of ``model`` over the cutoffs it could be scored on; NaN when none."""
    return _mean_score(backtest, model, "mase")


def _mean_score(backtest: pl.DataFrame, model: str, metric: str) -> float:
    """Mean ``metric`` of ``model`` over the cutoffs it could be scored on; NaN when none."""
    col = backtest.filter(pl.col("model") == model)[metric].fill_nan(None).drop_nulls()
    return float(col.mean()) if col.len() else float("nan")  # type: ignore[arg-type]


def _score_table(backtest: pl.DataFrame, models: Sequence[str], metric: str) -> np.ndarray:
    """``(len(models), n_cutoffs)`` scores, NaN where a model was not scored at a cutoff."""
    cutoffs = backtest["cutoff"].unique().sort().to_list()
    at = {c: i for i, c in enumerate(cutoffs)}
    table = np.full((len(models), len(cutoffs)), np.nan)
    row = {m: i for i, m in enumerate(models)}
    for model, cutoff, value in backtest.select("model", "cutoff", metric).iter_rows():
        if model in row and value is not None:
            table[row[model], at[cutoff]] = value
    return table


def independent_windows(n_windows: np.ndarray | int, *, step: int, horizon: int) -> np.ndarray:
    """How many non-overlapping backtest windows ``n_windows`` windows are worth.

    Windows of ``horizon`` days whose cutoffs are ``step`` days apart cover
    ``(n - 1) * step + horizon`` days; with ``step < horizon`` they share days, so their
    scores are not independent draws. The mean of such scores varies about as much as the
    mean over the non-overlapping windows covering the same days: ``1 + (n - 1) * step /
    horizon`` of them (3 seven-day windows one day apart: 1.29, not 3). Dividing by the
    square root of ``n`` instead makes a standard error from overlapping windows look up to
    ``sqrt(horizon / step)`` times tighter than it is.
    """
    n = np.asarray(n_windows, dtype=float)
    return np.where(n > 0, 1 + (n - 1) * min(1.0, step / horizon), 0.0)


def _tied_with_best(
    table: np.ndarray, best: int, k: float, *, step: int, horizon: int
) -> np.ndarray:
    """Whether each row's mean is within ``k`` paired standard errors of row ``best``'s.

    The standard error counts overlapping backtest windows (``step`` < ``horizon``) as the
    non-overlapping windows they are worth (:func:`independent_windows`).
    """
    diff = table - table[best]
    n = np.sum(np.isfinite(diff), axis=1)
    mean = np.nanmean(np.where(n[:, None] > 0, diff, 0.0), axis=1)
    sd = np.array([np.nanstd(d, ddof=1) if c > 1 else np.inf for d, c in zip(diff, n, strict=True)])
    worth = independent_windows(n, step=step, horizon=horizon)
    se = np.where(n > 1, sd / np.sqrt(np.maximum(worth, 1.0)), np.inf)
    tied = (mean <= k * se) & (n > 0)
    tied[best] = True
    return tied


def _choose(
    scores: dict[str, float],
    settings: ForecastSettings,
    *,
    backtest: pl.DataFrame | None = None,
    metric: str = "mase",
    short: bool = False,
) -> str:
    """The fixed model, else the backtest's choice (ties go to the earlier listed).

    The lowest mean score wins unless the scores tie: a combination within
    ``combine_margin`` of the best, or within ``tie_standard_errors`` paired standard errors
    of it, wins; else, among candidates tied with the best, the one whose score varies least
    across cutoffs. With a few noisy cutoffs the ranking of close models is noise, and the
    stable or averaged forecast is the safer bet.
    """
    if settings.fixed_model is not None:
        return settings.fixed_model
    finite = {m: s for m, s in scores.items() if np.isfinite(s)}
    if not finite:
        raise ValueError(
            f"no candidate model could be backtested ({', '.join(scores) or 'none'}); "
            "add 'seasonal_naive' to settings.models"
        )
    if backtest is not None:
        # Means compare only over the same windows: candidates scored at fewer cutoffs than
        # the most-scored ones (too short-lived for the early windows) sit this choice out.
        scored = backtest.filter(pl.col(metric).is_not_nan() & pl.col(metric).is_not_null())
        n_scored = dict(scored.group_by("model").len().iter_rows())
        most = max((n_scored.get(m, 0) for m in finite), default=0)
        finite = {m: v for m, v in finite.items() if n_scored.get(m, 0) == most}
    best = min(finite, key=finite.__getitem__)
    # Every candidate scored alike: nothing before a cutoff told them apart (an idle series
    # whose one burst lies past every cutoff). An intermittent series then gets its own model:
    # the tie went to a pair with drift, whose band walked the burst to twice its size.
    if metric == "pinball" and "tsb" in finite and _all_alike(finite.values()):
        return "tsb"
    combos = [m for m in finite if COMBINE in m]
    if short and combos:
        return combos[0]
    # A few backtest cutoffs rank close models by noise; averaging two good ones is the
    # safer bet unless one model is clearly better.
    if combos and finite[combos[0]] <= finite[best] * (1 + settings.combine_margin):
        return combos[0]
    if backtest is None or settings.tie_standard_errors == 0 or len(finite) < 2:
        return best
    names = list(finite)
    table = _score_table(backtest, names, metric)
    tied = _tied_with_best(
        table,
        names.index(best),
        settings.tie_standard_errors,
        step=settings.cutoff_step,
        horizon=settings.backtest_horizon,
    )
    if combos and tied[names.index(combos[0])]:
        return combos[0]
    spread = np.array([np.nanstd(r) if np.isfinite(r).sum() > 1 else np.inf for r in table])
    candidates = [i for i in range(len(names)) if tied[i]]
    return names[min(candidates, key=lambda i: (spread[i], i))]


def _all_alike(scores: Iterable[float]) -> bool:
    """Whether the backtest ``scores`` are one value (to rounding)."""
    values = np.fromiter(scores, dtype=float)
    return bool(np.ptp(values) <= 1e-9 * max(1.0, float(np.abs(values).max())))


def _forecast_schema(settings: ForecastSettings) -> pl.Schema:
    """FORECAST_SCHEMA minus run_id, with one quantile column per level of the settings."""
    fixed = {k: schema.FORECAST_SCHEMA[k] for k in ("unique_id", "ds", "measure", "model", "mean")}
    return pl.Schema(fixed | {schema.quantile_column(q): pl.Float64() for q in settings.quantiles})


def _forecast_frame(
    unique_id: str,
    measure: str,
    model: str,
    dates: np.ndarray,
    mean: np.ndarray,
    qs: dict[float, np.ndarray],
    quantiles: Sequence[float],
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "unique_id": unique_id,
            "ds": dates,
            "measure": measure,
            "model": model,
            "mean": mean,
            **{schema.quantile_column(q): qs[q] for q in quantiles},
        }
    ).cast({"ds": pl.Date})


def _empty_backtest() -> pl.DataFrame:
    return pl.DataFrame(schema=schema.frame_schema("backtests"))


def _empty_points() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "cutoff": pl.Date,
            "ds": pl.Date,
            "step": pl.Int64,
            "y": pl.Float64,
            "mean": pl.Float64,
            "q10": pl.Float64,
            "q50": pl.Float64,
            "q90": pl.Float64,
        }
    )


def _prediction(
    chosen: str,
    y: np.ndarray,
    ds: np.ndarray,
    events: pl.DataFrame | None,
    *,
    settings: ForecastSettings,
    rng: np.random.Generator,
    with_paths: bool,
) -> tuple[np.ndarray, dict[float, np.ndarray], np.ndarray | None]:
    """Mean, quantiles and (for the mean measure) paths of the chosen model or combination.

    A combination averages its members' means and quantiles, and pools their paths: half
    the paths from each, so the spread of each member survives. The members' paths alternate
    (0, 2, 4, ... from the first), so the first ``n`` paths of an unreconciled series hold both
    members alike; in two blocks they held only the first member's. (Reconciliation reorders
    each series' paths by randomly drawn ranks, which mixes them as well.)
    """
    h = settings.horizon_days
    members = chosen.split(COMBINE)
    models = [_fit(name, y, ds, events) for name in members]
    preds = [m.predict(h, quantiles=settings.model_quantiles) for m in models]
    mean = np.mean([p.mean for p in preds], axis=0)
    qs = {q: np.mean([p.quantiles[q] for p in preds], axis=0) for q in preds[0].quantiles}
    if not with_paths:
        return mean, qs, None
    paths = np.empty((settings.n_paths, h))
    for i, model in enumerate(models):
        share = np.arange(i, settings.n_paths, len(models))
        paths[share] = model.sample(h, n_paths=share.size, rng=rng)
    return mean, qs, paths


def _series_events(series: pl.DataFrame, events: pl.DataFrame | None) -> pl.DataFrame | None:
    """The events (EVENTS_SCHEMA) that touch this series, or None when there are none.

    The series' scope comes from its level columns; a frame without them is an aggregate
    over every value, which every event touches.
    """
    if events is None or events.is_empty():
        return None
    scope = {
        level: (series[level][0] if level in series.columns and series.height else None)
        for level in schema.LEVELS
    }
    touching = events_for_series(events, **scope)
    return touching if touching.height else None


def forecast_series(
    series: pl.DataFrame,
    *,
    settings: ForecastSettings,
    events: pl.DataFrame | None = None,
    estimated_days: int = 0,
) -> SeriesForecast:
    """Backtest, choose, calibrate and forecast one series (one unique_id and measure).

    ``events`` (EVENTS_SCHEMA) may hold every known event of the run: the series keeps those
    whose scope overlaps its level columns, and each fit sees only the events announced by
    its last day, so a backtest cannot learn of an event from after its cutoff.

    One series never stops a run. When it cannot be forecast as above (no observed day, too
    few days for any model, a model that raises, a non-finite forecast), it gets the first of
    these that works: the seasonal naive, the naive (the last value held), zero. ``fallback``
    then holds the reason, so the run summary can flag the series
    (:attr:`ForecastResult.flagged`).

    ``estimated_days``: the series' last days hold estimates, not telemetry (a total whose
    silent part was nowcast, :func:`_completed_frame`); the fit reads them, no backtest scores
    them.
    """
    keys = series.select("unique_id", "measure").unique()
    if keys.height != 1:
        raise ValueError(
            f"forecast_series takes one unique_id and measure, got {keys.height} pairs: "
            "split the frame with partition_by('unique_id', 'measure')"
        )
    unique_id, measure = keys.row(0)
    events = _series_events(series, events)
    try:
        forecast = _backtested_forecast(
            series,
            unique_id,
            measure,
            settings=settings,
            events=events,
            estimated_days=estimated_days,
        )
    except (NoObservedDayError, TooFewDaysError) as exc:
        reason = str(exc)
    except Exception as exc:
        # Whatever went wrong is this series' problem: say what, forecast it by a baseline.
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
    else:
        return forecast
    return replace(
        _fallback_forecast(series, unique_id, measure, settings=settings, reason=reason),
        estimated_days=estimated_days,
    )


def _backtested_forecast(
    series: pl.DataFrame,
    unique_id: str,
    measure: str,
    *,
    settings: ForecastSettings,
    events: pl.DataFrame | None,
    estimated_days: int = 0,
) -> SeriesForecast:
    """The backtested, chosen and calibrated forecast of one series; raises when it cannot."""
    grid = _daily_grid(series, intermittent_share=settings.intermittent_share)
    end = grid["ds"].to_numpy()[-1]
    y, ds, stale = _observed_to_end(
        grid["y"].cast(pl.Float64).fill_null(np.nan).to_numpy(), grid["ds"].to_numpy()
    )
    observed = y.copy()
    settings, anchored = _backtest_layout(y.size, stale, settings=settings)
    # The backtests' windows end on the run's last day, as every reporting series' do: ended
    # on the last observed day, a series silent for its last 3 days was scored on windows 3
    # days earlier, and a lumpy one's choice of model flipped with which bursts they held
    # (us-west/evaluation's daily mean -58 % on the demo). The silent days are scored as none.
    bt_ds = grid["ds"].to_numpy()[: y.size + anchored]
    cutoffs = backtest_cutoffs(y.size + anchored, settings=settings)
    # One day far above the usual level and not repeated (a one-hour 5,000-GPU job of a
    # customer running one GPU) is held at the usual level's top for the fit and the
    # backtests: the seasonal naive repeated it every week and the triggers ordered for it.
    spiked = spikes.isolated_spikes(y)
    y = spikes.held(y, spiked)
    # A step in the last weeks that stayed is a level, not a slope: the fit reads the history
    # before it carried to it (a 3x step two weeks before the end, read as a slope, put q50
    # +38 % on it six months out). The backtests read the series as it was up to the step,
    # their cutoffs moved back before it: nothing before a cutoff foresaw the step, so no model
    # is judged on it and the band is not calibrated on a miss no model could avoid; nor do
    # they read the carried history, which the step (after their cutoffs) sets. Too short
    # before the step for a backtest, they read the carried history.
    held = shifts.recent_level_shift(y)
    scored_y = y
    moved_back: int | None = None  # days before the last day the backtests' windows end
    if held is not None:
        step = y.size - held.age_days
        before = backtest_cutoffs(step, settings=settings)
        if before:
            scored_y = np.where(np.arange(y.size) < step, y, np.nan)
            cutoffs, moved_back = before, held.age_days
        y = held.adjusted(y)
        scored_y = scored_y if before else y
    if estimated_days:
        # Estimated days are no actuals: a backtest scored on them would score the nowcast.
        scored_y = np.where(np.arange(y.size) < y.size - estimated_days, scored_y, np.nan)
    intermittent = intermittency(y) >= settings.intermittent_share
    candidates = settings.candidates_for(has_events=events is not None, intermittent=intermittent)

    fallback: str | None = None
    if cutoffs:
        # MAE is smallest for a forecast of zero on a series idle most days (Kolassa 2016):
        # there the whole distribution is scored (pinball loss over the quantiles) instead.
        metric = "pinball" if intermittent else "mase"
        short = int(np.isfinite(y).sum()) < settings.short_history_days
        rows, points = _backtest(
            np.concatenate((scored_y, np.full(anchored, np.nan))),
            bt_ds,
            cutoffs,
            candidates=candidates,
            settings=settings,
            events=events,
            metric=metric,
            short=short,
        )
        if not rows:
            raise ValueError(
                f"no candidate model could be backtested ({', '.join(candidates)}): each "
                "raised or gave non-finite forecasts at every cutoff"
            )
        backtest = pl.DataFrame(rows, schema_overrides={"cutoff": pl.Date}).select(
            pl.lit(unique_id).alias("unique_id"),
            pl.lit(measure).alias("measure"),
            pl.all(),
        )
        # Singles first, so a tie goes to the simpler forecast.
        names = dict.fromkeys([*candidates, *points])
        scores = {m: _mean_score(backtest, m, metric) for m in names}
        chosen = _choose(scores, settings, backtest=backtest, metric=metric, short=short)
    else:
        chosen, fallback = _fallback(y, settings)
        backtest, points = _empty_backtest(), {}

    chosen_points = points.get(chosen, _empty_points())
    coverage_raw = (
        coverage(
            chosen_points["y"].fill_null(np.nan).to_numpy(),
            chosen_points["q10"].to_numpy(),
            chosen_points["q90"].to_numpy(),
        )
        if chosen_points.height
        else float("nan")
    )
    miss = abs(coverage_raw - 0.8) > _coverage_tolerance(
        chosen_points["y"].drop_nulls().len(), settings.calibration_tolerance
    )
    scale = _naive_scale(y)
    limits = {"scale": scale, "max_factor": settings.max_calibration_factor}
    calibration = _fit_calibration(chosen_points, **limits) if miss else None
    coverage_cal = _loco_coverage(chosen_points, **limits) if calibration else coverage_raw

    h = settings.horizon_days
    rng = _series_rng(settings, unique_id, measure)
    ahead = replace(settings, horizon_days=h + stale)
    mean, qs, paths = _prediction(
        chosen, y, ds, events, settings=ahead, rng=rng, with_paths=measure == schema.Measure.MEAN
    )
    if calibration is not None:
        if paths is not None:
            lower, upper = calibration.factors(h + stale)
            paths = _stretch(paths, qs[0.5], lower, upper)
        qs = _calibrated_quantiles(qs, calibration)
    nowcast = mean[:stale].copy() if stale else None
    mean, qs, paths = _skip(stale, mean, qs, paths)
    stopped = shifts.stopped_days(observed)
    if stopped:
        # Demand that ended (a customer that left, a class all of whose customers did): drift
        # on its drop put q90 at 970 GPUs a week after 60 days of zeros, and MinT then moved
        # its region's error onto it (q50 up to 230 GPUs). The peak, never reconciled, read a
        # class gone for 60 days at a q90 the triggers act on.
        mean, qs = np.zeros_like(mean), {q: np.zeros_like(v) for q, v in qs.items()}
        paths = None if paths is None else np.zeros_like(paths)
    if not _finite(mean, *qs.values(), *([] if paths is None else [paths])):
        raise ValueError(f"{chosen} gave a forecast that is not finite")
    if fallback is not None:
        fallback = _with_band_note(_with_zero_note(fallback, y, ds, mean), y, qs, model=chosen)

    dates = end + np.arange(1, h + 1).astype("timedelta64[D]")
    forecast = _forecast_frame(unique_id, measure, chosen, dates, mean, qs, settings.quantiles)
    columns = schema.frame_schema("backtests")
    backtest = backtest.select(columns.names()).cast(columns)
    return SeriesForecast(
        unique_id=unique_id,
        measure=measure,
        model=chosen,
        n_days=int(y.size),
        scale=scale,
        calibrated=calibration is not None,
        fallback=fallback,
        backtest=backtest,
        points=chosen_points.select("cutoff", "ds", "step", "y", "mean"),
        forecast=forecast,
        paths=paths,
        coverage_raw=coverage_raw,
        coverage_calibrated=coverage_cal,
        stale_days=stale,
        backtest_lag_days=stale - anchored,
        level_shift=(
            _stopped_note(observed, ds, stopped)
            if stopped
            else None
            if held is None
            else held.describe(_as_date(ds[-1]))
        ),
        level_shift_days=moved_back,
        stopped_days=stopped,
        spike=_spike_note(spiked, ds, measure=measure),
        nowcast=nowcast,
        estimated_days=estimated_days,
    )


def _spike_note(spiked: tuple[spikes.Spike, ...], ds: np.ndarray, *, measure: str) -> str | None:
    """The held spikes of a series observed on days ``ds``, in words; None when none."""
    return "; ".join(s.describe(_as_date(ds[-1]), measure=measure) for s in spiked) or None


def _stopped_note(y: np.ndarray, ds: np.ndarray, idle: int) -> str:
    """Why a series ``y`` (on days ``ds``) that stopped ``idle`` days before its end
    (:func:`forecasting.shifts.stopped_days`) is forecast at zero."""
    first = _as_date(ds[y.size - idle])
    return (
        f"{schema.STOPPED_NOTE}zero demand on each of its last {days_count(idle)} "
        f"(from {first:%Y-%m-%d}) "
        f"after demand on most days before, up to {np.nanmax(y):,.1f} GPUs: held at zero, as "
        "demand that ended; a return needs new telemetry (or a backfill) or a contract"
    )


def _with_zero_note(reason: str, y: np.ndarray, ds: np.ndarray, mean: np.ndarray) -> str:
    """``reason``, and why the forecast is zero where a baseline holds the zeros that ended a
    history with demand (``y`` on days ``ds``): zero every day read as if nothing had run."""
    if mean.size == 0 or mean.max() > 0 or not np.nanmax(y, initial=0.0) > 0:
        return reason
    last = int(np.flatnonzero(np.nan_to_num(y) > 0)[-1])
    idle = y.size - 1 - last
    if idle == 0:
        return reason
    zeros = "its last day" if idle == 1 else f"its last {days_count(idle)}"
    return (
        f"{reason}; forecast at zero: {zeros} read zero, after demand up to "
        f"{np.nanmax(y):,.1f} GPUs until {_as_date(ds[last]):%Y-%m-%d}; held at zero as if it "
        "stopped: a return needs new telemetry or a contract"
    )


def _with_band_note(reason: str, y: np.ndarray, qs: dict[float, np.ndarray], *, model: str) -> str:
    """``reason``, and what the baseline ``model``'s band rests on where a short history ``y``
    bounds it: a band of no width measured no spread (its days never changed, or repeat their
    week exactly: q10 = q90 for 26 weeks read as a certain level); the naive's on under eight
    days is held past a week (:class:`~forecasting.models.Naive`). "Own": a peak's published
    band is raised to its mean measure's quantiles after this (:mod:`forecasting.measures`)."""
    observed = y[np.isfinite(y)]
    if observed.size == 0 or not qs:
        return reason
    if not np.any(qs[max(qs)] > qs[min(qs)]):
        if observed.size == 1:
            how = "its one day measures"
        elif np.ptp(observed) == 0:
            how = f"its {days_count(observed.size)} never changed, which measures"
        else:
            how = f"its {days_count(observed.size)} repeat their week exactly, which measures"
        return f"{reason}; its own band has no width: {how} no spread: not a certain level"
    if model == "naive" and y.size < min_length("seasonal_naive"):
        width = qs[max(qs)] - qs[min(qs)]
        week = SEASON_LENGTH - 1
        if width.size > week + 1 and width[-1] > width[week] * (1 + 1e-9):
            # Changes small beside the level: held, a few steady days read as months of
            # certainty (models.Naive._spread).
            return (
                f"{reason}; its band widens as a random walk on its daily changes for the whole "
                f"horizon: {_history_words(y)} measure no certainty months ahead"
            )
        return (
            f"{reason}; its band widens for a week and is held past it: {_history_words(y)} "
            "measure no further"
        )
    return reason


def _as_date(day: np.datetime64) -> date:
    """``day`` (numpy day precision) as a date."""
    return date.fromisoformat(str(day.astype("datetime64[D]")))


def _fallback_forecast(
    series: pl.DataFrame,
    unique_id: str,
    measure: str,
    *,
    settings: ForecastSettings,
    reason: str,
) -> SeriesForecast:
    """The first baseline that forecasts the series (seasonal naive, naive, zero), flagged."""
    h = settings.horizon_days
    try:
        grid = _daily_grid(series, intermittent_share=settings.intermittent_share)
        end = grid["ds"].to_numpy()[-1]
        y, ds, stale = _observed_to_end(
            grid["y"].cast(pl.Float64).fill_null(np.nan).to_numpy(), grid["ds"].to_numpy()
        )
    except NoObservedDayError:
        y, stale = np.empty(0), 0
        ds = np.array([series["ds"].max()], dtype="datetime64[D]")
        end = ds[-1]
    # The baselines read an isolated spike held as the models did: a series whose every model
    # failed had its 5,000-GPU day in the seasonal naive's spread (q90 3,700 GPUs at 10 GPUs).
    spiked = spikes.isolated_spikes(y)
    y = spikes.held(y, spiked)
    rng = _series_rng(settings, unique_id, measure)
    with_paths = measure == schema.Measure.MEAN
    ahead = replace(settings, horizon_days=h + stale)
    for name in ("seasonal_naive", "naive", "zero"):
        if y.size < min_length(name) or (name != "zero" and not np.isfinite(y).any()):
            continue
        try:
            ahead_mean, ahead_qs, ahead_paths = _prediction(
                name, y, ds, None, settings=ahead, rng=rng, with_paths=with_paths
            )
            mean, qs, paths = _skip(stale, ahead_mean, ahead_qs, ahead_paths)
        except Exception:
            continue  # the next, simpler baseline; zero cannot fail
        if _finite(mean, *qs.values(), *([] if paths is None else [paths])):
            break
    dates = end + np.arange(1, h + 1).astype("timedelta64[D]")
    reason = _with_band_note(_with_zero_note(reason, y, ds, mean), y, qs, model=name)
    return SeriesForecast(
        unique_id=unique_id,
        measure=measure,
        model=name,
        n_days=int(y.size),
        scale=_naive_scale(y) if y.size else 1.0,
        calibrated=False,
        fallback=reason,
        backtest=_empty_backtest(),
        points=_empty_points().select("cutoff", "ds", "step", "y", "mean"),
        forecast=_forecast_frame(unique_id, measure, name, dates, mean, qs, settings.quantiles),
        paths=paths,
        coverage_raw=float("nan"),
        coverage_calibrated=float("nan"),
        stale_days=stale,
        spike=_spike_note(spiked, ds, measure=measure),
        nowcast=ahead_mean[:stale].copy() if stale else None,
    )


# --- every series ------------------------------------------------------------------------------


def _validated(demand: pl.DataFrame) -> pl.DataFrame:
    """The demand columns forecasting needs, cast to DEMAND_SCHEMA, or an error naming gaps."""
    needed = ("unique_id", "ds", "measure", "y")
    missing = [c for c in needed if c not in demand.columns]
    if missing:
        raise ValueError(
            f"demand frame lacks columns {missing}; it must follow schema.DEMAND_SCHEMA "
            f"({', '.join(schema.DEMAND_SCHEMA)})"
        )
    scope = [c for c in schema.LEVELS if c in demand.columns]
    frame = demand.select(*needed, *scope).cast(
        {c: schema.DEMAND_SCHEMA[c] for c in (*needed, *scope)}
    )
    measures = set(frame["measure"].unique().to_list()) - {m.value for m in schema.Measure}
    if measures:
        raise ValueError(f"unknown measures {sorted(measures)}; use 'mean' or 'peak'")
    dupes = frame.group_by("unique_id", "measure", "ds").len().filter(pl.col("len") > 1)
    if dupes.height:
        first = dupes.row(0, named=True)
        raise ValueError(
            f"{dupes.height} duplicated (unique_id, measure, ds) rows, e.g. {first}; "
            "aggregate the demand frame to one row per series and day"
        )
    return frame


def _series_frames(demand: pl.DataFrame) -> list[pl.DataFrame]:
    """One frame per series, every series padded with null days to the run's last day.

    Reconciliation adds series day by day, so all of them must end on the same day; a series
    whose telemetry stopped early is read as missing since, not as ended.
    """
    end = demand["ds"].max()
    scope = [c for c in schema.LEVELS if c in demand.columns]
    tails = (
        demand.group_by("unique_id", "measure")
        .agg(pl.col("ds").max().alias("last"), *(pl.col(c).first() for c in scope))
        .filter(pl.col("last") < end)
    )
    if tails.height:
        pads = tails.with_columns(
            pl.date_ranges(pl.col("last") + timedelta(days=1), pl.lit(end), "1d").alias("ds"),
            pl.lit(None, pl.Float64).alias("y"),
        ).explode("ds")
        demand = pl.concat([demand, pads.select(demand.columns)])
    return demand.sort("unique_id", "measure", "ds").partition_by(
        "unique_id", "measure", maintain_order=True
    )


def _spikes_held_under_their_parents(
    demand: pl.DataFrame,
) -> tuple[pl.DataFrame, dict[tuple[str, str], str]]:
    """``demand`` with each day an aggregate's isolated spike is held on (``forecasting.spikes``)
    held in the series under it that carried it, and a note per series so held (unique_id and
    measure to the note).

    A series carried it where its day is ``spikes.SPIKE_MIN_GPUS`` or more above its own highest
    other day of the spike's window, or it has no other day there (a customer whose first row
    was the spike); it is held at that highest day, zero where there is none. A series with a
    usual level is held by its own rule; this one reads the day its parent found. Each series
    is held alone, but the mean measure's aggregates are their leaves' sums: a new customer
    whose one row was 500,000 GPUs (a typo) had no usual level to be held at, was forecast at
    20,833 GPUs a day, and lifted us-east's mean to 31,133 GPUs and its peak (held at least at
    the mean) with it, to an $878.6M order, while us-east's own note said "held at 13,227".
    """
    y = pl.col("y").cast(pl.Float64)
    observed = demand.filter(y.is_not_null() & y.is_not_nan())
    parents = observed.select(hierarchy.parent().unique().drop_nulls()).to_series().to_list()
    found: list[tuple[str, str, tuple[date, ...]]] = []
    for (uid, measure), part in observed.filter(pl.col("unique_id").is_in(parents)).group_by(
        "unique_id", "measure"
    ):
        found.extend((str(uid), str(measure), days) for days in _spike_days(part))
    if not found:
        return demand, {}
    window = timedelta(days=spikes.SPIKE_WINDOW_DAYS)
    held_rows: list[dict[str, object]] = []
    notes: dict[tuple[str, str], str] = {}
    # The nearest parent names the spike: a customer's class before its region.
    for parent, measure, days in sorted(found, key=lambda f: -f[0].count(hierarchy.SEP)):
        # A burst's days are one spike: each child's usual top is read outside all of them.
        in_burst = pl.col("ds").is_in(list(days))
        under = observed.filter(
            pl.col("unique_id").str.starts_with(parent + hierarchy.SEP)
            & (pl.col("measure") == measure)
            & pl.col("ds").is_between(days[0] - window, days[-1] + window)
        )
        tops = (
            under.group_by("unique_id")
            .agg(
                y.filter(in_burst).max().alias("value"),
                y.filter(~in_burst).max().fill_null(0.0).alias("top"),
            )
            .filter(
                pl.col("value").is_not_null()
                & (pl.col("value") > pl.col("top"))
                & (
                    (pl.col("value") - pl.col("top") >= spikes.SPIKE_MIN_GPUS)
                    | (pl.col("top") == 0)
                )
            )
        )
        for uid, value, top in tops.iter_rows():
            own = observed.filter((pl.col("unique_id") == uid) & (pl.col("measure") == measure))
            if (uid, measure) in notes or any(set(days) & set(burst) for burst in _spike_days(own)):
                continue  # held with a nearer parent, or by its own rule, which says so
            highs = own.filter(in_burst & (y > top))["ds"].to_list()
            held_rows.extend(
                {"unique_id": uid, "measure": measure, "ds": day, "held": top} for day in highs
            )
            when = (
                f"its {days[0]:%Y-%m-%d} ({_as_gpus(value)} GPUs)"
                if len(days) == 1
                else f"its {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d} (up to {_as_gpus(value)} GPUs)"
            )
            spike = "one-day spike" if len(days) == 1 else f"{len(days)}-day spike"
            notes[uid, measure] = (
                f"{when} held at {_as_gpus(top)} with {hierarchy.label_of(parent)}'s {spike}: "
                "if demand like it will return, it needs a contract or an event, not a trend"
            )
    if not held_rows:
        return demand, {}
    held = pl.DataFrame(
        held_rows,
        schema={"unique_id": pl.String, "measure": pl.String, "ds": pl.Date, "held": pl.Float64},
    )
    keys = ["unique_id", "measure", "ds"]
    out = (
        demand.join(held, on=keys, how="left", maintain_order="left")
        .with_columns(pl.coalesce("held", y).cast(demand.schema["y"]).alias("y"))
        .drop("held")
    )
    return out, notes


def demand_with_spikes_held(demand: pl.DataFrame) -> pl.DataFrame:
    """``demand`` (its columns as given) with every isolated spike the daily forecast holds held
    at every level it reached: a bottom series' day held by its own rule or with its parent's
    spike (``_spikes_held_under_their_parents``), and that day of every series above it lowered
    by what holding took off the bottom one.

    The daily forecast holds a spike in the series that carried it and sums the mean measure's
    aggregates from them; the growth models read each region's and class's own daily series,
    which still held it where it was not that series' own spike: one 500,000-GPU hour of a
    customer lifted us-east's mean to 2.9x its usual level (under the 3x of a spike), the
    growth models read it, and us-east/training went green 1 pod -> red 4 pods, us-east/all
    21 -> 30 racks (a 120-day synthetic fleet). On the peak measure the aggregate's spike hour
    less the bottom series' excess is a lower bound of its day's peak, so it is held at least
    at the day's held mean (a day's peak is never below its mean).
    """
    frame = _validated(demand)
    parent_held, _ = _spikes_held_under_their_parents(frame)
    y = pl.col("y").cast(pl.Float64)
    parents = set(frame.select(hierarchy.parent().unique().drop_nulls()).to_series().to_list())
    bottom = parent_held.filter(
        ~pl.col("unique_id").is_in(list(parents)) & y.is_not_null() & y.is_not_nan()
    )
    held_rows: list[dict[str, object]] = []
    for (uid, measure), part in bottom.group_by("unique_id", "measure"):
        part = part.sort("ds")
        first, last = part["ds"][0], part["ds"][-1]
        values = np.full((last - first).days + 1, np.nan)
        values[(part["ds"] - first).dt.total_days().to_numpy()] = part["y"].cast(pl.Float64)
        held_rows.extend(
            {"unique_id": uid, "measure": measure, "ds": day, "held": s.usual_high}
            for s in spikes.isolated_spikes(values)
            for day in s.dates(last)
        )
    keys = ["unique_id", "measure", "ds"]
    held = pl.DataFrame(
        held_rows,
        schema={"unique_id": pl.String, "measure": pl.String, "ds": pl.Date, "held": pl.Float64},
    )
    # The bottom series' days held by either rule, and what holding took off each.
    taken = (
        bottom.join(held, on=keys, how="left")
        .with_columns(pl.coalesce("held", y).alias("held"))
        .join(frame.select(*keys, y.alias("was")), on=keys)
        .filter(pl.col("held") < pl.col("was"))
        .select(*keys, (pl.col("was") - pl.col("held")).alias("taken"))
    )
    if taken.is_empty():
        return demand
    # Each series above a held day loses what its bottom series lost that day.
    above = [taken]
    while (up := above[-1].with_columns(hierarchy.parent()).drop_nulls("unique_id")).height:
        above.append(up)
    lowered = pl.concat(above).group_by(keys).agg(pl.col("taken").sum())
    out = frame.join(lowered, on=keys, how="left").with_columns(
        (y - pl.col("taken").fill_null(0.0)).clip(lower_bound=0.0).alias("y")
    )
    means = out.filter(pl.col("measure") == schema.Measure.MEAN.value).select(
        "unique_id", "ds", pl.col("y").alias("day_mean")
    )
    out = (
        out.join(means, on=["unique_id", "ds"], how="left")
        .with_columns(
            pl.when(
                (pl.col("measure") == schema.Measure.PEAK.value)
                & pl.col("taken").is_not_null()
                & (pl.col("y") < pl.col("day_mean"))
            )
            .then(pl.col("day_mean"))
            .otherwise(pl.col("y"))
            .alias("y")
        )
        .select(*keys, "y")
    )
    return (
        demand.join(out.rename({"y": "_held"}), on=keys, how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("_held", pl.col("y").cast(pl.Float64)).cast(demand.schema["y"]).alias("y")
        )
        .drop("_held")
    )


def _spike_days(part: pl.DataFrame) -> list[tuple[date, ...]]:
    """The days ``spikes.isolated_spikes`` holds in one series' observed rows (ds, y), a tuple
    per spike (one day, or a burst's days in order)."""
    part = part.sort("ds")
    first, last = part["ds"][0], part["ds"][-1]
    values = np.full((last - first).days + 1, np.nan)
    values[(part["ds"] - first).dt.total_days().to_numpy()] = part["y"].cast(pl.Float64)
    return [tuple(s.dates(last)) for s in spikes.isolated_spikes(values)]


def _as_gpus(value: float) -> str:
    # A small series' usual level is a fraction of a GPU on the mean measure.
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2g}"


def _summary(results: Sequence[SeriesForecast]) -> pl.DataFrame:
    """Per series: the chosen model, its score against the seasonal naive, calibration."""
    rows = []
    for r in results:
        chosen, naive = r.score(r.model), r.score("seasonal_naive")
        rows.append(
            {
                "unique_id": r.unique_id,
                "measure": r.measure,
                "model": r.model,
                "n_days": r.n_days,
                "fallback": r.fallback,
                "mase": chosen,
                "mase_seasonal_naive": naive,
                "mase_ratio": chosen / naive if naive > 0 else float("nan"),
                "coverage_80_raw": r.coverage_raw,
                "coverage_80": r.coverage_calibrated,
                "calibrated": r.calibrated,
                "stale_days": r.stale_days,
                "level_shift": r.level_shift,
                "level_shift_days": r.level_shift_days,
                "spike": r.spike,
            }
        )
    return pl.DataFrame(rows, schema=schema.frame_schema("forecast_summary"), nan_to_null=True)


def _paths_frame(ids: Sequence[str], dates: np.ndarray, paths: np.ndarray) -> pl.DataFrame:
    """Long PATHS_SCHEMA frame from an ``(n_series, n_paths, h)`` array."""
    n, p, h = paths.shape
    return pl.DataFrame(
        {
            "unique_id": pl.Series(
                np.repeat(np.asarray(ids, dtype=object), p * h), dtype=pl.String
            ),
            "ds": np.tile(dates, n * p),
            "sample_id": np.tile(np.repeat(np.arange(p, dtype=np.int32), h), n),
            "y": paths.reshape(-1),
        }
    ).cast(schema.PATHS_SCHEMA)


def _reconciled_frames(
    means: Sequence[SeriesForecast], rec: ReconciledForecast, settings: ForecastSettings
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Forecast rows and paths of the mean measure after reconciliation."""
    dates = means[0].forecast["ds"].to_numpy()
    frames = []
    for i, r in enumerate(means):
        qs = {q: np.quantile(rec.paths[i], q, axis=0) for q in settings.quantiles}
        frames.append(
            _forecast_frame(
                r.unique_id, r.measure, r.model, dates, rec.means[i], qs, settings.quantiles
            )
        )
    return pl.concat(frames), _paths_frame([r.unique_id for r in means], dates, rec.paths)


def _mean_of_paths_days(means: Sequence[SeriesForecast], rec: ReconciledForecast) -> pl.DataFrame:
    """The (unique_id, ds) days whose published mean is the series' paths' mean."""
    if rec.of_paths is None or not rec.of_paths.any():
        return pl.DataFrame(schema={"unique_id": pl.String, "ds": pl.Date})
    dates = means[0].forecast["ds"].to_numpy()
    return pl.DataFrame(
        [
            {"unique_id": r.unique_id, "ds": _as_date(day)}
            for i, r in enumerate(means)
            for day in dates[rec.of_paths[i]]
        ],
        schema={"unique_id": pl.String, "ds": pl.Date},
    )


def with_mean_source(forecast: pl.DataFrame, of_paths: pl.DataFrame) -> pl.DataFrame:
    """``forecast`` with ``mean_source``: MEAN_FROM_PATHS on the mean-measure rows of the
    (unique_id, ds) days ``of_paths`` lists (ForecastResult.mean_of_paths_days), else
    MEAN_FROM_MODEL: the stored rows say which mean they hold, not the run's warnings alone."""
    flagged = of_paths.select("unique_id", "ds").unique().with_columns(_paths=pl.lit(True))
    return (
        forecast.join(flagged, on=["unique_id", "ds"], how="left", maintain_order="left")
        .with_columns(
            mean_source=pl.when(
                pl.col("_paths").fill_null(False) & (pl.col("measure") == schema.Measure.MEAN.value)
            )
            .then(pl.lit(schema.MEAN_FROM_PATHS))
            .otherwise(pl.lit(schema.MEAN_FROM_MODEL))
        )
        .drop("_paths")
    )


def mean_of_paths_spans(forecast: pl.DataFrame) -> pl.DataFrame:
    """Per series whose stored mean-measure rows hold their paths' mean (``mean_source``):
    unique_id, days, first, last, deepest level last; empty for rows stored before the column
    (not recorded) or with none."""
    if "mean_source" not in forecast.columns:
        return pl.DataFrame(schema=_SPANS)
    return _day_spans(
        forecast.filter(
            (pl.col("mean_source") == schema.MEAN_FROM_PATHS)
            & (pl.col("measure") == schema.Measure.MEAN.value)
        )
    )


def _key(frame: pl.DataFrame) -> tuple[str, str]:
    """(unique_id, measure) of one series' frame."""
    return str(frame["unique_id"][0]), str(frame["measure"][0])


def _silent_tail(frame: pl.DataFrame) -> int:
    """Days at the end of one series' frame (sorted by day) without a value."""
    missing = frame["y"].cast(pl.Float64).fill_nan(None).is_null().to_numpy()
    valued = np.flatnonzero(~missing)
    return int(missing.size - 1 - valued[-1]) if valued.size else int(missing.size)


def _waiting_totals(frames: Sequence[pl.DataFrame]) -> dict[tuple[str, str], list[str]]:
    """The mean-measure totals missing on their last days while a part of them reports there,
    each with its parts (the series one level under it), deepest first.

    A day of a total is whole when every part of it reported (forecasting.demand); a region
    whose feed stopped leaves its total missing though the other regions report. A total
    whose parts all went silent with it is silent itself, and is not waited on.
    """
    mean = schema.Measure.MEAN.value
    tails = {
        uid: _silent_tail(f) for (uid, measure), f in map(_with_key, frames) if measure == mean
    }
    parts: dict[str, list[str]] = {}
    for uid in tails:
        parent = hierarchy.parent_of(uid)
        if parent in tails:
            parts.setdefault(parent, []).append(uid)
    # Deepest first: a completed part reports for the total above it.
    reach = dict(tails)
    waiting: dict[tuple[str, str], list[str]] = {}
    for uid in sorted(parts, key=hierarchy.depth_of, reverse=True):
        if reach[uid] and min(reach[c] for c in parts[uid]) < reach[uid]:
            waiting[(uid, mean)] = parts[uid]
            reach[uid] = min(reach[c] for c in parts[uid])
    return waiting


def _with_key(frame: pl.DataFrame) -> tuple[tuple[str, str], pl.DataFrame]:
    """One series' frame keyed by (unique_id, measure)."""
    return _key(frame), frame


def _completed_frame(
    frame: pl.DataFrame, parts: Sequence[tuple[pl.DataFrame, SeriesForecast]]
) -> tuple[pl.DataFrame, int, list[str]]:
    """A total's frame with its last missing days filled as the sum of its ``parts`` (each
    part's frame and forecast), how many days were filled, and the parts read off their own
    forecast there.

    A part that reported counts its telemetry; a silent one its own model's mean across its
    silence (``SeriesForecast.nowcast``: a reporting lag is not a demand change); one silent
    for over ``schema.REGION_ENDED_DAYS`` days nothing, as the total counts it no more
    (forecasting.demand). Days are filled up to the last day some part reported: past it the
    total is as silent as its parts, and is forecast across it like them.
    """
    tail = _silent_tail(frame)
    n = frame.height
    total = np.zeros(tail)
    told = np.zeros(tail, dtype=bool)  # some part reported (or was completed) that day
    known = np.ones(tail, dtype=bool)
    silent: list[str] = []
    for part, result in parts:
        y = part["y"].cast(pl.Float64).fill_nan(None).fill_null(np.nan).to_numpy()[n - tail :]
        reported = np.isfinite(y)
        told |= reported
        quiet = _silent_tail(part)
        if quiet > schema.REGION_ENDED_DAYS:
            continue  # ended for the total: counted up to its last report only
        guess = np.full(tail, np.nan)
        if result.nowcast is not None and result.stale_days == quiet and quiet:
            guess[max(tail - quiet, 0) :] = np.maximum(result.nowcast[max(quiet - tail, 0) :], 0.0)
        value = np.where(reported, y, guess)
        known &= np.isfinite(value)
        total += np.nan_to_num(value)
        if (~reported & np.isfinite(guess)).any():
            silent.append(result.unique_id)
    filled = int(np.argmin(known & told)) if not (known & told).all() else tail
    if not filled:
        return frame, 0, []
    values = frame["y"].cast(pl.Float64).to_numpy().copy()
    values[n - tail : n - tail + filled] = total[:filled]
    return frame.with_columns(pl.Series("y", values, dtype=frame["y"].dtype)), filled, silent


def _estimated_row(frame: pl.DataFrame, days: int, silent: Sequence[str]) -> dict[str, object]:
    """The ``days`` a total's ``frame`` (before it was completed) holds estimated: their first
    and last day, how many, and the parts read off their own forecast there (comma-separated
    labels)."""
    unique_id, measure = _key(frame)
    start = frame.height - _silent_tail(frame)
    return {
        "unique_id": unique_id,
        "measure": measure,
        "first": frame["ds"][start],
        "last": frame["ds"][start + days - 1],
        "days": days,
        "nowcast": ", ".join(hierarchy.label_of(uid) for uid in silent),
    }


def forecast_all(
    demand: pl.DataFrame,
    *,
    settings: ForecastSettings,
    events: pl.DataFrame | None = None,
    map_fn: MapFn = map,
) -> ForecastResult:
    """Forecast every series of ``demand`` (DEMAND_SCHEMA) and reconcile the mean measure.

    ``map_fn(func, frames)`` runs the per-series work; pass a task runner's map to fan out.
    The peak measure is forecast per series and not reconciled: the peak of an aggregate is
    the peak hour of its own summed demand, not the sum of its parts' peaks.
    """
    held, held_notes = _spikes_held_under_their_parents(_validated(demand))
    frames = _series_frames(held)
    work = partial(forecast_series, settings=settings, events=events)
    # A total missing its last days because a part of it is silent waits for that part's own
    # forecast across the silence, and is forecast from the run's last day like the parts
    # that report: forecast from its last whole day, it read 3 days of history fewer than
    # they did, and MinT reads every region off it (a 120-day hierarchy, eu 3 days silent:
    # us's daily means moved up to 18 %, its telemetry unchanged; now not at all).
    waiting = _waiting_totals(frames)
    by_uid = {_key(f): f for f in frames}
    done = {
        (r.unique_id, str(r.measure)): r
        for r in map_fn(work, [f for f in frames if _key(f) not in waiting])
    }
    estimated: list[dict[str, object]] = []
    for depth in sorted({hierarchy.depth_of(uid) for uid, _ in waiting}, reverse=True):
        batch: dict[int, list[pl.DataFrame]] = {}
        for key in [k for k in waiting if hierarchy.depth_of(k[0]) == depth]:
            parts = [(by_uid[(c, key[1])], done[(c, key[1])]) for c in waiting[key]]
            frame, days, silent_parts = _completed_frame(by_uid[key], parts)
            if days:
                estimated.append(_estimated_row(by_uid[key], days, silent_parts))
            by_uid[key] = frame
            batch.setdefault(days, []).append(frame)
        for days, part in batch.items():
            ahead = partial(work, estimated_days=days)
            done.update({(r.unique_id, str(r.measure)): r for r in map_fn(ahead, part)})
    results: list[SeriesForecast] = [
        replace(r, spike="; ".join(n for n in (r.spike, note) if n))
        if (note := held_notes.get((r.unique_id, str(r.measure))))
        else r
        for r in (done[_key(f)] for f in frames)
    ]

    means = [r for r in results if r.measure == schema.Measure.MEAN]
    peaks = [r for r in results if r.measure != schema.Measure.MEAN]
    forecast_parts = [r.forecast for r in peaks]
    paths = pl.DataFrame(schema=schema.PATHS_SCHEMA)
    method, scores = "none", pl.DataFrame()
    of_paths_days = pl.DataFrame(schema={"unique_id": pl.String, "ds": pl.Date})
    # Leaves only: a constant aggregate's parts may vary against each other.
    parents = held.select(hierarchy.parent().alias("unique_id")).unique()
    constant_leaves = constant_series(held).join(parents, on="unique_id", how="anti")
    if means:
        constant = set(
            constant_leaves.filter(pl.col("measure") == schema.Measure.MEAN)["unique_id"]
        )
        rec = reconcile_forecasts(
            [r.unique_id for r in means],
            means=np.stack([r.forecast["mean"].to_numpy() for r in means]),
            paths=np.stack([r.paths for r in means if r.paths is not None]),
            points=[r.points for r in means],
            scales=np.array([r.scale for r in means]),
            method=settings.reconciliation,
            seed=settings.seed,
            backtest_lag_days=[r.backtest_lag_days for r in means],
            at_zero=[r.stopped_days > 0 for r in means],
            constant=[r.unique_id in constant for r in means],
        )
        mean_rows, paths = _reconciled_frames(means, rec, settings)
        forecast_parts.insert(0, mean_rows)
        method, scores = rec.method, rec.scores
        of_paths_days = _mean_of_paths_days(means, rec)

    # Both measures are forecast by separate models: a day's peak is never read below its
    # mean (forecasting/measures.py).
    forecast = pl.concat(forecast_parts).cast(_forecast_schema(settings))
    return ForecastResult(
        forecast=measures.peaks_at_least_means(forecast),
        peaks_at_means=measures.peaks_below_means(forecast),
        paths=paths,
        backtest=pl.concat([r.backtest for r in results]),
        summary=_summary(results),
        reconciliation=method,
        reconciliation_scores=scores,
        mean_of_paths_days=of_paths_days,
        estimated=pl.DataFrame(estimated, schema=ESTIMATED_SCHEMA),
        constant=constant_leaves.cast(CONSTANT_SCHEMA),
    )
