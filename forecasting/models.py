"""Forecasting models behind one small protocol, after Nixtla statsforecast's design.

A model is fitted on one daily series (a 1-D array, nulls as NaN) and then answers three
questions about the next ``h`` days: the point forecast and quantiles (``predict``) and
sample paths (``sample``). Paths are what reconciliation and the shock drills consume, so
every model simulates them from its own error dynamics with bootstrapped in-sample
residuals; GPU demand cannot be negative, so paths and quantiles are clipped at zero.

Missing days (telemetry outages) arrive as NaN. They are interpolated for fitting and never
read as zero: a zero would look like a demand collapse to every model.

Models, by registry name:

- ``seasonal_naive``: next week repeats the last one (the benchmark every score is scaled by).
- ``drift``: the line through the first and last observation.
- ``ets``: weekly profile removed by classical decomposition when the series has a weekly
  cycle (``has_weekly_cycle``), ETS(A,Ad,N) (statsmodels ETSModel) on the adjusted series.
  The seasonal ETS(A,Ad,A) fit takes ~0.3 s on two years of daily data, this route ~0.03 s,
  and on 40 synthetic series it was as accurate (MASE 0.951 vs 0.947 at 28 days) where STL
  with its default smoother was worse (1.070).
- ``ets_seasonal``: the full ETS(A,Ad,A) with period 7, kept for comparison.
- ``theta``: the standard Theta method (Hyndman & Billah 2003: SES with drift equal to half
  the regression slope) on the same adjusted series, fitted with a 1-D search (~2 ms).
- ``prophet``: weekly + yearly seasonality, changepoints, known events as holidays; slow
  (~0.15-0.3 s per fit), so forecast.py adds it only to the candidates of series that known
  events touch (``ForecastSettings.event_models``).
- ``tsb``: Teunter-Syntetos-Babai (2011) for intermittent demand (a customer idle on many
  days): the probability of a day with demand and the size of that demand are smoothed
  separately, and the forecast distribution is the mixture "no demand with probability
  1 - p, else a size drawn from the observed non-zero days", so its quantiles are zero where
  the mass is and never negative. forecast.py adds it to the candidates of intermittent series
  (``ForecastSettings.intermittent_models``).
- ``zero``: no demand at all, with no spread. Never a candidate: it is the documented last
  fallback of a series that nothing else can forecast (no observed day).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
import polars as pl
from scipy import optimize, signal, stats

__all__ = [
    "DEFAULT_MODELS",
    "ETS",
    "MODEL_REGISTRY",
    "SEASON_LENGTH",
    "TSB",
    "Drift",
    "Model",
    "Naive",
    "Prediction",
    "ProphetModel",
    "SeasonalNaive",
    "Theta",
    "Zero",
    "fill_gaps",
    "has_weekly_cycle",
    "intermittency",
    "make_model",
    "min_length",
]

SEASON_LENGTH = 7  # daily data, weekly cycle
# Weeks that shape the weekday profile: on synthetic fleet series (tests/test_models.py) 52
# forecast best among 13, 26 and 52 while staying short enough to follow a changing mix.
PROFILE_WEEKS = 52
_Z95 = float(stats.norm.ppf(0.95))
DEFAULT_MODELS: tuple[str, ...] = ("seasonal_naive", "drift", "ets", "theta")


@dataclass(frozen=True, slots=True)
class Prediction:
    """Point forecast and quantiles for ``h`` days; every array has shape ``(h,)``."""

    mean: np.ndarray
    quantiles: Mapping[float, np.ndarray]

    def to_frame(self) -> pl.DataFrame:
        """The prediction as a frame: ``step`` (1..h), ``mean`` and one column per quantile."""
        from forecasting.schema import quantile_column

        return pl.DataFrame(
            {
                "step": np.arange(1, self.mean.size + 1),
                "mean": self.mean,
                **{quantile_column(q): v for q, v in sorted(self.quantiles.items())},
            }
        )


@runtime_checkable
class Model(Protocol):
    """What forecast.py needs from a model; ``name`` is its registry key."""

    name: str

    def fit(
        self, y: np.ndarray, *, ds: np.ndarray | None = None, events: pl.DataFrame | None = None
    ) -> Self:
        """Fit on a daily series (NaN = missing day); ``ds`` are its dates."""

    def predict(self, h: int, *, quantiles: Sequence[float]) -> Prediction:
        """Mean and quantiles for the ``h`` days after the end of the fitted series."""

    def sample(self, h: int, *, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """``(n_paths, h)`` non-negative sample paths of the next ``h`` days."""


# --- shared helpers ----------------------------------------------------------------------------


def fill_gaps(y: np.ndarray) -> np.ndarray:
    """``y`` as float with NaN interpolated linearly inside and held flat at the ends."""
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(y)
    if not ok.any():
        raise ValueError(
            f"series has no observed values in {y.size} days; drop it or backfill its telemetry"
        )
    if ok.all():
        return y
    idx = np.arange(y.size)
    return np.interp(idx, idx[ok], y[ok])


def min_length(name: str) -> int:
    """Fewest days model ``name`` can be fitted on.

    The seasonal naive needs one week and a day (a day-on-week difference for its spread);
    TSB one week of days with and without demand; ETS and Theta two weeks, the least on which
    a weekly cycle can be tested for; the full seasonal ETS and Prophet two weeks and a day to
    estimate the cycle itself; drift two days for its line; the naive one day, held with no
    spread where no change measures one (forecast at zero instead, a customer's first day
    read as no demand); the zero fallback nothing.
    """
    m = SEASON_LENGTH
    fixed = {"zero": 0, "drift": 2, "naive": 1, "seasonal_naive": m + 1, "tsb": m, "ets": 2 * m,
             "theta": 2 * m}  # fmt: skip
    return fixed.get(name, 2 * m + 1)


def _require_length(y: np.ndarray, name: str) -> None:
    need = min_length(name)
    if y.size < need:
        raise ValueError(
            f"{name} needs at least {need} days of history, the series has {y.size}; "
            "use 'drift' for series this short or wait for more history"
        )


def _normal_quantiles(
    mean: np.ndarray, sd: np.ndarray, quantiles: Sequence[float]
) -> dict[float, np.ndarray]:
    """Gaussian quantiles around ``mean``, clipped at zero (clipping commutes with quantiles)."""
    return {q: np.maximum(mean + stats.norm.ppf(q) * sd, 0.0) for q in quantiles}


def _centred(resid: np.ndarray) -> np.ndarray:
    """Finite residuals minus their mean, so bootstrapped paths do not drift off the forecast."""
    r = resid[np.isfinite(resid)]
    if r.size == 0:
        return np.zeros(1)
    return r - r.mean()


def has_weekly_cycle(y: np.ndarray, *, weeks: int = PROFILE_WEEKS) -> bool:
    """Whether the last ``weeks`` weeks show a weekly cycle: the 90 % autocorrelation test.

    The lag-7 autocorrelation must exceed 1.645 standard errors under Bartlett's formula
    (the seasonality test of Hyndman's ``thetaf`` and statsforecast's Theta). Removing a
    weekday profile that is not there moves noise into every future week: on the Helios
    trace no series passes the test, and ETS's holdout MASE on the total peak fell from
    0.79 to 0.51 without the profile.
    """
    m = SEASON_LENGTH
    x = y[-m * weeks :]
    if x.size < 2 * m:
        return False
    x = x - x.mean()
    denom = float(np.sum(x**2))
    if denom == 0:
        return False
    r = np.array([np.sum(x[k:] * x[:-k]) / denom for k in range(1, m + 1)])
    se = np.sqrt((1 + 2 * np.sum(r[:-1] ** 2)) / x.size)
    return bool(abs(r[-1]) / se > _Z95)


def _weekly_profile(y: np.ndarray) -> np.ndarray:
    """The weekly seasonal component when the series has a weekly cycle, else zeros."""
    return _weekly_seasonal(y) if has_weekly_cycle(y) else np.zeros_like(y)


def _weekly_seasonal(y: np.ndarray, *, weeks: int = PROFILE_WEEKS) -> np.ndarray:
    """Weekly seasonal component: the weekday profile of the detrended last ``weeks`` weeks.

    Classical decomposition (centred 7-day moving average as trend) with one profile over the
    window. On weekly-seasonal daily series it forecast better than STL with its default
    seasonal smoother (which lets noise into the last cycle) and costs ~1 ms instead of ~5.
    """
    n, m = y.size, SEASON_LENGTH
    t = np.arange(n)
    trend = np.convolve(y, np.ones(m) / m, mode="valid")  # centred at t = 3 .. n-4
    half = m // 2
    detrended = y[half : n - half] - trend
    tt = t[half : n - half]
    recent = tt > tt[-1] - m * weeks
    weekday = tt[recent] % m
    sums = np.bincount(weekday, weights=detrended[recent], minlength=m)
    profile = sums / np.maximum(np.bincount(weekday, minlength=m), 1)
    return (profile - profile.mean())[t % m]


def _repeat_season(last_cycle: np.ndarray, h: int) -> np.ndarray:
    """The last seasonal cycle continued for ``h`` steps."""
    return np.resize(last_cycle, h)


# --- baselines ---------------------------------------------------------------------------------


class SeasonalNaive:
    """Each day repeats the same weekday of the last observed week.

    Its errors are a seasonal random walk: the variance grows with the number of whole weeks
    ahead, and paths accumulate bootstrapped week-over-week differences per weekday.
    """

    name = "seasonal_naive"

    def __init__(self, *, season_length: int = SEASON_LENGTH) -> None:
        self.season_length = season_length
        self._last: np.ndarray = np.empty(0)
        self._resid: np.ndarray = np.empty(0)
        self._sigma = 0.0
        self._few = False

    def fit(
        self, y: np.ndarray, *, ds: np.ndarray | None = None, events: pl.DataFrame | None = None
    ) -> Self:
        """Keep the last cycle and the seasonal differences as residuals.

        Under two weeks of history there are fewer seasonal differences than a week's days,
        too few to bootstrap: one difference, centred, is zero, and every path read last week
        (a band of zero width for 26 weeks on 8 days of history). There the paths' steps are
        normal with the differences' root mean square, the spread :meth:`predict`'s band has.
        """
        y = fill_gaps(y)
        _require_length(y, self.name)
        m = self.season_length
        diffs = y[m:] - y[:-m]
        self._last = y[-m:].copy()
        self._resid = _centred(diffs)
        self._sigma = float(np.sqrt(np.mean(diffs**2)))
        self._few = diffs.size < m
        return self

    def _mean(self, h: int) -> np.ndarray:
        return _repeat_season(self._last, h)

    def _weeks_ahead(self, h: int) -> np.ndarray:
        return np.arange(h) // self.season_length + 1

    def predict(self, h: int, *, quantiles: Sequence[float]) -> Prediction:
        """Last week repeated; spread of a seasonal random walk."""
        mean = self._mean(h)
        sd = self._sigma * np.sqrt(self._weeks_ahead(h))
        return Prediction(np.maximum(mean, 0.0), _normal_quantiles(mean, sd, quantiles))

    def sample(self, h: int, *, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Last week plus per-weekday cumulative sums of bootstrapped seasonal differences."""
        m = self.season_length
        n_weeks = -(-h // m)
        size = (n_paths, n_weeks, m)
        steps = rng.normal(0.0, self._sigma, size) if self._few else rng.choice(self._resid, size)
        walk = np.cumsum(steps, axis=1).reshape(n_paths, n_weeks * m)[:, :h]
        return np.maximum(self._mean(h) + walk, 0.0)


class Drift:
    """The line through the first and the last observation, extended ``h`` days."""

    name = "drift"

    def __init__(self) -> None:
        self._last = 0.0
        self._slope = 0.0
        self._n = 0
        self._resid: np.ndarray = np.empty(0)
        self._sigma = 0.0

    def fit(
        self, y: np.ndarray, *, ds: np.ndarray | None = None, events: pl.DataFrame | None = None
    ) -> Self:
        """Slope from the end points; residuals are the daily changes minus the slope."""
        y = fill_gaps(y)
        _require_length(y, self.name)
        self._n = y.size
        self._last = float(y[-1])
        self._slope = self._slope_of(y)
        diffs = np.diff(y) - self._slope
        self._resid = self._path_steps(diffs)
        self._sigma = float(np.sqrt(np.mean(diffs**2))) if diffs.size else 0.0
        return self

    def _slope_of(self, y: np.ndarray) -> float:
        return float((y[-1] - y[0]) / (y.size - 1))

    def _path_steps(self, diffs: np.ndarray) -> np.ndarray:
        return _centred(diffs)

    def _mean(self, h: int) -> np.ndarray:
        return self._last + self._slope * np.arange(1, h + 1)

    def predict(self, h: int, *, quantiles: Sequence[float]) -> Prediction:
        """The line; spread of a random walk with drift (slope uncertainty included)."""
        k = np.arange(1, h + 1)
        mean = self._mean(h)
        sd = self._sigma * np.sqrt(k * (1 + k / max(self._n - 1, 1)))
        return Prediction(np.maximum(mean, 0.0), _normal_quantiles(mean, sd, quantiles))

    def sample(self, h: int, *, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """A random walk with drift driven by bootstrapped daily changes."""
        steps = rng.choice(self._resid, size=(n_paths, h))
        return np.maximum(self._mean(h) + np.cumsum(steps, axis=1), 0.0)


class Naive(Drift):
    """The last observation held flat; the spread of a random walk on the daily changes.

    The fallback of a series under two weeks: a few days of a new customer's ramp (12 to
    1,429 GPUs in six days) are no trend to extend, and the drift through them forecast 10,147
    GPUs a month on. The changes keep their mean in the spread, so such a ramp widens the band
    both ways instead of steering the median.
    """

    name = "naive"

    def __init__(self) -> None:
        super().__init__()
        self._sigma_week: float | None = None
        self._sigma_days = 0.0

    def fit(
        self, y: np.ndarray, *, ds: np.ndarray | None = None, events: pl.DataFrame | None = None
    ) -> Self:
        """The daily changes, and the weekly ones where the history holds a week of them."""
        super().fit(y, ds=ds, events=events)
        observed = np.asarray(y, dtype=float)
        observed = observed[np.isfinite(observed)]
        # Days filled between observed ones change by equal small steps: the observed days'
        # own spread is the least the daily steps can be said to vary by.
        self._sigma_days = float(np.std(observed, ddof=1)) if observed.size > 1 else 0.0
        y = fill_gaps(y)
        m = SEASON_LENGTH
        weekly = y[m:] - y[:-m] if y.size >= 2 * m else np.empty(0)
        self._sigma_week = float(np.sqrt(np.mean(weekly**2))) if weekly.size else None
        return self

    def _slope_of(self, y: np.ndarray) -> float:
        return 0.0

    def _path_steps(self, diffs: np.ndarray) -> np.ndarray:
        # Symmetric about zero: the changes widen the paths both ways and steer none of them.
        return np.concatenate([diffs, -diffs]) if diffs.size else np.zeros(1)

    def _spread(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """(daily random walk's sd, the sd kept) for 1..h days ahead.

        Past a week the spread is the smaller of a random walk on the daily changes and one
        on the weekly changes, where the history has a week of them: a weekday cycle is most
        of the daily changes and none of the weekly ones, and a random walk on it widened a
        fleet's two-week history to a q10 of zero three months out (the daily changes' variance
        ratio to the weekly was 0.07-0.34 across its regions; 1 for a true random walk). Never
        narrower past a week than six days ahead. On a true random walk of two weeks the weekly
        changes are two independent weeks, and the band can come out narrower than its own
        (0.79x at the median of 40 draws); on fleets' young histories it is the better band by
        far (``benchmarks/accuracy_naive_band.py``).

        A history too short for the seasonal naive (under eight days: a new customer's first
        days) holds its band past a week at its width a week ahead: its few daily changes,
        often the partial first day of an onboarding, measure no further, and walked 182 days
        one change of 1.3 to 8 GPUs read q90 124 GPUs six months out. On 256 synthetic
        customers' first 2-7 days, the pinball loss of days 29-182 fell 6-62 %
        (``PYTHONPATH=. python benchmarks/accuracy_young_band.py``). Held is for such a band
        only: past a week it keeps widening as a random walk on its daily changes (their root
        mean square, no less than its observed days' own spread) up to the width whose q10
        reaches zero, and is held where its week-ahead width already reaches further. Changes
        small beside the level measure no certainty months ahead: the Azure code trace's 4
        steady days read 1.56-1.58 GPUs for 182 days, held; walked, 1.51-1.63.
        """
        k = np.arange(1, h + 1)
        daily = self._sigma * np.sqrt(k)
        m = SEASON_LENGTH
        if self._n < min_length("seasonal_naive"):
            held = np.minimum(daily, self._sigma * np.sqrt(m))
            walk = max(self._sigma, self._sigma_days) * np.sqrt(k)
            to_zero = max(self._last, 0.0) / float(stats.norm.ppf(0.9))
            return daily, np.maximum(held, np.minimum(walk, to_zero))
        if self._sigma_week is None or h < m:
            return daily, daily
        weekly = np.maximum(self._sigma_week * np.sqrt(k[m - 1 :] / m), daily[m - 2])
        kept = daily.copy()
        kept[m - 1 :] = np.minimum(daily[m - 1 :], weekly)
        return daily, kept

    def predict(self, h: int, *, quantiles: Sequence[float]) -> Prediction:
        """Flat at the last value; a random walk's spread, at most the weekly changes' past a
        week."""
        mean = self._mean(h)
        _, sd = self._spread(h)
        return Prediction(np.maximum(mean, 0.0), _normal_quantiles(mean, sd, quantiles))

    def sample(self, h: int, *, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """A random walk on bootstrapped daily changes, its spread held to :meth:`predict`'s.

        Under eight days there are fewer changes than a week's days, too few to bootstrap: one
        change drawn either way made two values a day, and a customer's paths read q50 1.3 GPUs
        (its partial first day) where 8 were held. There the steps are normal with the changes'
        root mean square, as :meth:`predict`'s band is.
        """
        size = (n_paths, h)
        few = self._n < min_length("seasonal_naive")
        draws = rng.normal(0.0, self._sigma, size) if few else rng.choice(self._resid, size)
        steps = np.cumsum(draws, axis=1)
        daily, kept = self._spread(h)
        ratio = np.divide(kept, daily, out=np.ones_like(daily), where=daily > 0)
        return np.maximum(self._mean(h) + steps * ratio, 0.0)


# --- exponential smoothing ---------------------------------------------------------------------


class ETS:
    """Additive-error ETS with damped trend and weekly seasonality (statsmodels ETSModel).

    ``decomposition="profile"`` (default) removes a weekday profile and fits ETS(A,Ad,N) to
    the adjusted series: ~10x faster than the seasonal state-space fit and as accurate on
    daily fleet demand. ``decomposition="none"`` fits ETS(A,Ad,A) with period 7 directly.
    Paths run the model's own state recursion with bootstrapped one-step residuals.
    """

    def __init__(self, *, decomposition: str = "profile") -> None:
        if decomposition not in ("profile", "none"):
            raise ValueError(f"decomposition must be 'profile' or 'none', got {decomposition!r}")
        self.decomposition = decomposition
        self.name = "ets" if decomposition == "profile" else "ets_seasonal"
        self._alpha = self._beta = self._gamma = 0.0
        self._phi = 1.0
        self._level = self._trend = 0.0
        self._season: np.ndarray = np.zeros(SEASON_LENGTH)
        self._resid: np.ndarray = np.empty(0)
        self._sigma = 0.0

    def fit(
        self, y: np.ndarray, *, ds: np.ndarray | None = None, events: pl.DataFrame | None = None
    ) -> Self:
        """Fit by maximum likelihood; keep the final states and the one-step residuals."""
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        y = fill_gaps(y)
        _require_length(y, self.name if self.decomposition == "none" else "ets")
        m = SEASON_LENGTH
        if self.decomposition == "profile":
            seasonal = _weekly_profile(y)
            target = y - seasonal
            model = ETSModel(target, error="add", trend="add", damped_trend=True)
        else:
            target = y
            model = ETSModel(
                target,
                error="add",
                trend="add",
                damped_trend=True,
                seasonal="add",
                seasonal_periods=m,
            )
        with warnings.catch_warnings():
            # Convergence chatter on flat series is harmless: the states still filter the data.
            warnings.simplefilter("ignore")
            res = model.fit(disp=False)
        self._alpha = float(res.smoothing_level)
        self._beta = float(res.smoothing_trend)
        self._phi = float(res.damping_trend)
        self._level = float(res.level[-1])
        self._trend = float(res.slope[-1])
        if self.decomposition == "profile":
            self._gamma = 0.0
            self._season = seasonal[-m:].copy()
        else:
            self._gamma = float(res.smoothing_seasonal)
            self._season = np.asarray(res.season[-m:], dtype=float)
        resid = np.asarray(res.resid, dtype=float)
        self._resid = _centred(resid)
        self._sigma = float(np.sqrt(np.mean(resid**2)))
        return self

    def _damped_sums(self, h: int) -> np.ndarray:
        """phi + phi^2 + ... + phi^k for k = 1..h."""
        return np.cumsum(self._phi ** np.arange(1, h + 1))

    def _mean(self, h: int) -> np.ndarray:
        return self._level + self._damped_sums(h) * self._trend + _repeat_season(self._season, h)

    def predict(self, h: int, *, quantiles: Sequence[float]) -> Prediction:
        """Point forecast and Gaussian quantiles from the class-1 ETS forecast variance."""
        mean = self._mean(h)
        # Hyndman et al. (2008) class 1: v_h = s^2 (1 + sum_{j<h} c_j^2),
        # c_j = alpha + beta * phi_j (+ gamma when j is a whole number of seasons).
        j = np.arange(1, h)
        c = self._alpha + self._beta * self._damped_sums(h - 1)
        c = c + self._gamma * (j % SEASON_LENGTH == 0)
        var = self._sigma**2 * (1 + np.concatenate(([0.0], np.cumsum(c**2))))
        return Prediction(np.maximum(mean, 0.0), _normal_quantiles(mean, np.sqrt(var), quantiles))

    def sample(self, h: int, *, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Run the state recursion forward with bootstrapped errors, one column per day."""
        m = SEASON_LENGTH
        eps = rng.choice(self._resid, size=(n_paths, h))
        level = np.full(n_paths, self._level)
        trend = np.full(n_paths, self._trend)
        season = np.tile(self._season, (n_paths, 1))  # season[:, 0] is due next
        out = np.empty((n_paths, h))
        for t in range(h):
            s = season[:, t % m]
            base = level + self._phi * trend
            out[:, t] = base + s + eps[:, t]
            level = base + self._alpha * eps[:, t]
            trend = self._phi * trend + self._beta * eps[:, t]
            season[:, t % m] = s + self._gamma * eps[:, t]
        return np.maximum(out, 0.0)


# --- theta -------------------------------------------------------------------------------------


def _ses_errors(y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """One-step errors of simple exponential smoothing started at y[0], and the final level."""
    # level_t = alpha * y_t + (1 - alpha) * level_{t-1}, as a first-order IIR filter.
    levels, _ = signal.lfilter([alpha], [1.0, alpha - 1.0], y[1:], zi=[(1 - alpha) * y[0]])
    prev = np.concatenate(([y[0]], levels[:-1]))
    return y[1:] - prev, float(levels[-1])


class Theta:
    """The standard Theta method on the weekday-adjusted series, weekly cycle re-added.

    Forecast = SES level + b0 * (k - 1 + 1/alpha - (1 - alpha)^n / alpha), b0 = half the OLS
    slope (Hyndman & Billah 2003). SES's forecast variance and paths follow its local-level
    error model with bootstrapped one-step errors.
    """

    name = "theta"

    def __init__(self) -> None:
        self._alpha = 0.5
        self._level = 0.0
        self._b0 = 0.0
        self._n = 0
        self._season: np.ndarray = np.zeros(SEASON_LENGTH)
        self._resid: np.ndarray = np.empty(0)
        self._sigma = 0.0

    def fit(
        self, y: np.ndarray, *, ds: np.ndarray | None = None, events: pl.DataFrame | None = None
    ) -> Self:
        """Deseasonalise, estimate the drift by OLS and alpha by least squares."""
        y = fill_gaps(y)
        _require_length(y, self.name)
        seasonal = _weekly_profile(y)
        adj = y - seasonal
        self._n = adj.size
        self._season = seasonal[-SEASON_LENGTH:].copy()
        self._b0 = float(np.polyfit(np.arange(adj.size), adj, 1)[0]) / 2.0

        def sse(alpha: float) -> float:
            return float(np.sum(_ses_errors(adj, alpha)[0] ** 2))

        best = optimize.minimize_scalar(sse, bounds=(0.01, 0.99), method="bounded")
        self._alpha = float(best.x)
        errors, self._level = _ses_errors(adj, self._alpha)
        self._resid = _centred(errors)
        self._sigma = float(np.sqrt(np.mean(errors**2)))
        return self

    def _mean(self, h: int) -> np.ndarray:
        a = self._alpha
        k = np.arange(1, h + 1)
        drift = self._b0 * (k - 1 + 1 / a - (1 - a) ** self._n / a)
        return self._level + drift + _repeat_season(self._season, h)

    def predict(self, h: int, *, quantiles: Sequence[float]) -> Prediction:
        """Theta point forecast; SES spread sigma^2 (1 + (k - 1) alpha^2)."""
        mean = self._mean(h)
        sd = self._sigma * np.sqrt(1 + np.arange(h) * self._alpha**2)
        return Prediction(np.maximum(mean, 0.0), _normal_quantiles(mean, sd, quantiles))

    def sample(self, h: int, *, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Forecast plus e_k + alpha * (e_1 + ... + e_{k-1}) with bootstrapped errors."""
        eps = rng.choice(self._resid, size=(n_paths, h))
        carried = self._alpha * (np.cumsum(eps, axis=1) - eps)
        return np.maximum(self._mean(h) + eps + carried, 0.0)


# --- prophet -----------------------------------------------------------------------------------


class ProphetModel:
    """Prophet with weekly + yearly seasonality, changepoints, known events as holidays.

    ``events`` is a frame with ``event`` (name) and ``ds`` (date), optionally
    ``lower_window``/``upper_window`` (days around the date). Prophet fits on the observed
    days only (it handles gaps itself) and its paths are its own predictive samples.
    """

    name = "prophet"

    def __init__(self, *, changepoint_prior_scale: float = 0.05) -> None:
        self.changepoint_prior_scale = changepoint_prior_scale
        self._model: Any = None
        self._last_ds: np.datetime64 | None = None

    def fit(
        self, y: np.ndarray, *, ds: np.ndarray | None = None, events: pl.DataFrame | None = None
    ) -> Self:
        """Fit on the observed days; ``ds`` is required."""
        import pandas as pd
        from prophet import Prophet

        if ds is None:
            raise ValueError("prophet needs the dates: call fit(y, ds=dates)")
        y = np.asarray(y, dtype=float)
        _require_length(y, self.name)
        # cmdstanpy resets its logger's level on every fit; disabling it is what sticks.
        logging.getLogger("cmdstanpy").disabled = True
        logging.getLogger("prophet").setLevel(logging.ERROR)
        dates = np.asarray(ds, dtype="datetime64[D]")
        ok = np.isfinite(y)
        history = pd.DataFrame({"ds": pd.to_datetime(dates[ok]), "y": y[ok]})
        holidays = None
        if events is not None and events.height:
            holidays = events.rename({"event": "holiday"}).to_pandas()
            holidays["ds"] = pd.to_datetime(holidays["ds"])
        self._model = Prophet(
            weekly_seasonality=True,
            yearly_seasonality=y.size >= 365,
            daily_seasonality=False,
            holidays=holidays,
            changepoint_prior_scale=self.changepoint_prior_scale,
            uncertainty_samples=0,
        )
        self._model.fit(history)
        self._last_ds = dates[-1]
        return self

    def _future(self, h: int) -> Any:
        import pandas as pd

        assert self._last_ds is not None, "fit before predicting"
        days = self._last_ds + np.arange(1, h + 1).astype("timedelta64[D]")
        return pd.DataFrame({"ds": pd.to_datetime(days)})

    def _draws(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, h)`` predictive samples (trend changepoints + observation noise) from ``rng``.

        Prophet's own ``predictive_samples`` draws from numpy's global state, which threads,
        processes and Dask workers share or reset differently, so the same fit gave different
        paths under different runners. This is the same generative model (Prophet's vectorised
        linear-trend sampler, MAP fit, additive components) with every draw taken from ``rng``.
        """
        model = self._model
        future = model.setup_dataframe(self._future(h))
        point = np.asarray(model.predict(self._future(h))["yhat"], dtype=float)
        t = np.asarray(future["t"], dtype=float)
        step = float(np.diff(t).mean()) if t.size > 1 else float(np.diff(model.history["t"]).mean())
        likelihood = len(model.changepoints_t) * step
        deltas = np.asarray(model.params["delta"][0], dtype=float)
        mean_delta = float(np.mean(np.abs(deltas))) + 1e-8
        # A slope change at each future day with the historical changepoint rate, sized like
        # the fitted changes; averaged with its neighbour and integrated twice into levels.
        changes = (rng.uniform(size=(n, h)) < likelihood) * rng.laplace(0.0, mean_delta, (n, h))
        shifted = np.hstack([np.zeros((n, 1)), changes])[:, :-1]
        trend = ((shifted + changes) / 2).cumsum(axis=1).cumsum(axis=1) * step
        sigma = float(np.asarray(model.params["sigma_obs"][0]).ravel()[0])
        noise = rng.normal(0.0, sigma, (n, h))
        return point + (trend + noise) * float(model.y_scale)

    def predict(self, h: int, *, quantiles: Sequence[float]) -> Prediction:
        """Mean from Prophet; quantiles from 1,000 of its predictive samples."""
        mean = np.asarray(self._model.predict(self._future(h))["yhat"], dtype=float)
        draws = np.maximum(self._draws(h, 1000, np.random.default_rng(0)), 0.0)
        qs = {q: np.quantile(draws, q, axis=0) for q in quantiles}
        return Prediction(np.maximum(mean, 0.0), qs)

    def sample(self, h: int, *, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Prophet's own predictive samples, clipped at zero."""
        return np.maximum(self._draws(h, n_paths, rng), 0.0)


# --- intermittent demand ----------------------------------------------------------------------


# Smoothing constants searched for TSB: Teunter et al. (2011) and Babai et al. (2014) report
# the useful range as 0.05-0.3 for sizes and lower for the demand probability.
_TSB_ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5)
_TSB_BETAS = (0.02, 0.05, 0.1, 0.2, 0.3)


def _tsb_states(y: np.ndarray, alpha: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """One-step-ahead probability and size forecasts for each day of ``y`` and the next one.

    The probability is updated every day towards 1 or 0; the size only on days with demand.
    """
    occurs = (y > 0).astype(float)
    p0 = float(occurs.mean())
    sizes = y[y > 0]
    z0 = float(sizes.mean()) if sizes.size else 0.0
    # p_t = beta * o_t + (1 - beta) p_{t-1}: a first-order filter over every day.
    p, _ = signal.lfilter([beta], [1.0, beta - 1.0], occurs, zi=[(1 - beta) * p0])
    # z moves on demand days only: filter those, then carry each value to the next demand day.
    days = np.flatnonzero(y > 0)
    z = np.full(y.size, z0)
    if days.size:
        z_on, _ = signal.lfilter([alpha], [1.0, alpha - 1.0], y[days], zi=[(1 - alpha) * z0])
        last = np.searchsorted(days, np.arange(y.size), side="right") - 1
        z = np.where(last >= 0, z_on[np.maximum(last, 0)], z0)
    return np.concatenate(([p0], p)), np.concatenate(([z0], z))


class TSB:
    """Teunter-Syntetos-Babai intermittent demand with a bootstrapped size distribution.

    Mean = p * z (probability of a day with demand times its smoothed size), flat over the
    horizon. Quantiles come from the mixture of "no demand" (probability 1 - p) and the
    empirical distribution of the observed non-zero days rescaled to the current size ``z``;
    paths draw each day the same way. Alpha (size) and beta (probability) minimise the
    one-step squared error over a small grid, which is what the literature recommends for
    series with few demand days (a likelihood is flat there).
    """

    name = "tsb"

    def __init__(self) -> None:
        self._p = 0.0
        self._z = 0.0
        self._sizes: np.ndarray = np.zeros(1)

    def fit(
        self, y: np.ndarray, *, ds: np.ndarray | None = None, events: pl.DataFrame | None = None
    ) -> Self:
        """Pick alpha and beta on one-step errors; keep the final p, z and the relative sizes."""
        y = np.maximum(fill_gaps(y), 0.0)
        _require_length(y, self.name)
        best = (np.inf, 0.0, 0.0)
        for alpha in _TSB_ALPHAS:
            for beta in _TSB_BETAS:
                p, z = _tsb_states(y, alpha, beta)
                sse = float(np.sum((y - p[:-1] * z[:-1]) ** 2))
                if sse < best[0]:
                    best = (sse, float(p[-1]), float(z[-1]))
        _, self._p, self._z = best
        sizes = y[y > 0]
        # Sizes relative to their mean, so the distribution follows the current size level.
        self._sizes = sizes / sizes.mean() if sizes.size else np.zeros(1)
        return self

    def predict(self, h: int, *, quantiles: Sequence[float]) -> Prediction:
        """Flat mean p * z; quantiles of the zero-inflated size mixture."""
        mean = np.full(h, self._p * self._z)
        qs = {}
        for q in quantiles:
            # P(Y <= x) = (1 - p) + p * F(x / z): below 1 - p the quantile is zero.
            if q <= 1 - self._p or self._z == 0:
                value = 0.0
            else:
                value = self._z * float(np.quantile(self._sizes, (q - (1 - self._p)) / self._p))
            qs[q] = np.full(h, max(value, 0.0))
        return Prediction(mean, qs)

    def sample(self, h: int, *, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Each day: demand with probability p, of a size drawn from the observed ones."""
        occurs = rng.uniform(size=(n_paths, h)) < self._p
        sizes = rng.choice(self._sizes, size=(n_paths, h)) * self._z
        return np.where(occurs, sizes, 0.0)


class Zero:
    """No demand, no spread: the last fallback for a series without one observed day."""

    name = "zero"

    def fit(
        self, y: np.ndarray, *, ds: np.ndarray | None = None, events: pl.DataFrame | None = None
    ) -> Self:
        """Nothing to learn."""
        return self

    def predict(self, h: int, *, quantiles: Sequence[float]) -> Prediction:
        """Zeros for the mean and every quantile."""
        return Prediction(np.zeros(h), {q: np.zeros(h) for q in quantiles})

    def sample(self, h: int, *, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Zero paths."""
        return np.zeros((n_paths, h))


def intermittency(y: np.ndarray) -> float:
    """Share of observed days with no demand (NaN days are not counted)."""
    ok = np.isfinite(y)
    return float(np.mean(y[ok] <= 0)) if ok.any() else 0.0


# --- registry ----------------------------------------------------------------------------------

MODEL_REGISTRY: dict[str, Callable[[], Model]] = {
    "seasonal_naive": SeasonalNaive,
    "drift": Drift,
    "naive": Naive,
    "ets": ETS,
    "ets_seasonal": lambda: ETS(decomposition="none"),
    "theta": Theta,
    "prophet": ProphetModel,
    "tsb": TSB,
    "zero": Zero,
}


def make_model(name: str) -> Model:
    """A fresh, unfitted model by registry name."""
    try:
        factory = MODEL_REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(MODEL_REGISTRY))
        raise ValueError(f"unknown model {name!r}; choose one of: {known}") from None
    return factory()
