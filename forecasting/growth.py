"""Growth models: a series' level for months ahead, fitted on the log of its 28-day block means.

statsforecast-style classes, ``fit(y) -> Self`` and ``predict(h, quantiles=...) ->
Prediction``, all on the ``log1p`` level (growth compounds, so it is linear in logs):
``LocalLinearTrend`` (ETS(A,A,N)), ``DampedTrend`` (ETS(A,Ad,N)), ``LogLinearTrend`` (OLS on
time with one changepoint chosen by BIC, extrapolating the last segment's slope), ``Theta``
(statsmodels ThetaModel, its theta fitted to the one-step errors) and ``Combination`` (their
median; its spread adds the models' disagreement to their average variance).
``RecentLogLinearTrend`` (the last seven blocks only) is available but not a default
candidate. ``LevelRandomWalk`` is the fallback for series too short for a trend: a random
walk on the level whose drift is shrunk toward the run's (``RunWalk``) and damped.

Every model's variance adds the uncertainty of the growth rate read off the history, carried
along the damped reach (``damped_reach``), so intervals widen with the horizon even when a
model's own smoothing parameters are zero. Choosing among them, calibrating their bands and
turning block levels into days and monthly peaks is ``forecasting.longrange``'s job.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
from scipy import stats

from forecasting.models import Prediction

__all__ = [
    "CANDIDATES",
    "COMBINATION_MEMBERS",
    "DRIFT_VERIFIED_Z",
    "GROWTH_MODELS",
    "WALK_DAMPING",
    "WALK_MIN_DRIFT_STEPS",
    "Combination",
    "DampedTrend",
    "GrowthModel",
    "LevelRandomWalk",
    "LocalLinearTrend",
    "LogLinearTrend",
    "RecentLogLinearTrend",
    "RunWalk",
    "Theta",
    "damped_reach",
    "log_series",
    "make_growth_model",
    "median_unbiased_sd",
    "reach_at",
]

# A short series' drift (the random walk fallback) is read off 2-5 block steps: it is damped
# by this factor a block, so it keeps 86 % of its pace over 26 weeks and compounds at most
# ~19 blocks' worth in all (a customer 3 blocks old growing 35 % a block would otherwise be
# forecast 100,000x its level in three years). Undamped it did better at 26 weeks on young
# fleets (bias +3 % against -1 %), but nothing in a few blocks says the pace lasts for years.
WALK_DAMPING = 0.95
# Block steps a drift is read from: one step is as much noise as growth.
WALK_MIN_DRIFT_STEPS = 2
# A walk's drift closer to none than this many standard errors is carried, not measured: a
# 120-day fleet constant but for a wandering level (hourly AR(1), monthly peaks 4-5 % apart)
# walked at its run's pooled -1.7 % a block (z about -1), and its regions' 36-month q50 read
# 24-31 % below their history's monthly peak under a reason that named the drift as read.
# The drift stays (held at none, young fleets growing 55 %/yr were forecast 14-15 % low at
# 26 weeks, and a halving fleet's pooled drift has z 1.9-2.3); its reason says it is unverified.
DRIFT_VERIFIED_Z = 2.0
# Least ETS level smoothing. Left free, the maximum-likelihood fit on two years of block means
# chose alpha ~ 0, a global line; on the test fleet whose growth halves four months before the
# cut-off that forecast the next 26 weeks 17 % high, at alpha >= 0.2 11 %, with the steady and
# flat fleets unchanged within a point (tests/test_longrange.py).
ETS_MIN_ALPHA = 0.2


def median_unbiased_sd(steps: np.ndarray) -> float:
    """The spread of ``steps`` (ddof 1) over its median bias: as often above the true spread as
    below it.

    A young fleet's series have two or three block steps each: a spread on one or two degrees
    of freedom, whose median is 0.67x (0.83x) the true one, and the run's typical step is the
    median of such spreads. Read as they were (ddof 0), the young test fleets' 26-week q90 was
    reached on 22.5 % of days at 90 days of history, 14.2 % at 120 and 12.5 % at 150; with
    this, 10.8 %, 8.9 % and 8.9 % (mean over the steady, halving and flat fleets, seeds 0-3:
    ``benchmarks/bench_young_fleets.py --history 90,120,150 --seeds 0,1,2,3``).
    """
    df = steps.size - 1
    if df < 1:
        raise ValueError(f"a spread needs two steps or more, got {steps.size}")
    return float(np.std(steps, ddof=1)) / math.sqrt(float(stats.chi2.median(df)) / df)


def damped_reach(h: int, damping: float = WALK_DAMPING) -> np.ndarray:
    """Steps 1..h of a growth rate damped by ``damping`` a step: sum of damping^j, j = 1..k.

    It is how far a rate read off the history carries: k steps undamped (``damping`` 1),
    at most ``damping / (1 - damping)`` (19 blocks at 0.95) however far ahead.
    """
    return reach_at(np.arange(1, h + 1, dtype=float), damping)


def reach_at(k: np.ndarray, damping: float = WALK_DAMPING) -> np.ndarray:
    """``damped_reach`` at (possibly fractional) steps ``k``."""
    if damping >= 1:
        return k
    return damping * (1 - damping**k) / (1 - damping)


def _log_prediction(mu: np.ndarray, sd: np.ndarray, quantiles: Sequence[float]) -> Prediction:
    """A log1p-scale Gaussian forecast as a Prediction on the original scale, clipped at zero."""
    mean = np.maximum(np.expm1(mu + sd**2 / 2), 0.0)
    qs = {q: np.maximum(np.expm1(mu + stats.norm.ppf(q) * sd), 0.0) for q in quantiles}
    return Prediction(mean, qs)


def log_series(y: np.ndarray) -> np.ndarray:
    """``log1p`` of a non-negative level series with missing values interpolated."""
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(y)
    if not ok.any():
        raise ValueError(f"the level series has no observed values in {y.size} steps")
    idx = np.arange(y.size)
    filled = np.interp(idx, idx[ok], y[ok]) if not ok.all() else y
    return np.log1p(np.maximum(filled, 0.0))


class GrowthModel(ABC):
    """Base of the growth models: fitted on a positive level series, forecast in logs.

    Subclasses implement ``_fit_log`` and ``_log_forecast``; ``log_forecast`` adds the growth
    rate's uncertainty unless ``carries_rate_uncertainty`` says the model's own spread already
    holds it. ``predict`` turns the log-scale Gaussian forecast into the original scale (mean
    with its lognormal correction, quantiles clipped at zero). ``name`` is the registry key.
    """

    name = "growth"
    min_steps = 3
    # A random walk's spread is its growth uncertainty, and a combination's members each add
    # theirs: adding it again would count it twice.
    carries_rate_uncertainty = False

    def fit(self, y: np.ndarray) -> Self:
        """Fit on a level series (one value per step, NaN = missing step)."""
        x = log_series(y)
        if x.size < self.min_steps:
            raise ValueError(
                f"{self.name} needs at least {self.min_steps} steps, the series has {x.size}; "
                "use level_random_walk for series this short"
            )
        steps = np.diff(x)
        # Variance of the mean step of a random walk with drift: how unsure the growth rate
        # read off n steps is, whatever the model. Without it a smooth history (ETS smoothing
        # parameters near 0, a tight log-linear fit) gives intervals that do not widen.
        self._drift_var = float(np.var(steps, ddof=1)) / steps.size if steps.size >= 2 else 0.0
        self._fit_log(x)
        return self

    @abstractmethod
    def _fit_log(self, x: np.ndarray) -> None:
        """Fit on the log1p level ``x`` (missing steps already dropped)."""

    @abstractmethod
    def _log_forecast(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """The model's own log mean and sd for steps 1..h."""

    def log_forecast(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of the log1p level for steps 1..h.

        The model's own variance plus the growth rate's, ``h^2 var(mean step)``, unless the
        model carries it already.
        """
        mu, sd = self._log_forecast(h)
        if self.carries_rate_uncertainty:
            return mu, sd
        return mu, np.sqrt(sd**2 + damped_reach(h) ** 2 * self._drift_var)

    def predict(self, h: int, *, quantiles: Sequence[float] = (0.1, 0.5, 0.9)) -> Prediction:
        """Mean and quantiles of the level for the ``h`` steps after the fitted series."""
        mu, sd = self.log_forecast(h)
        return _log_prediction(mu, sd, quantiles)


def _ets_variance(alpha: float, beta: float, phi: float, sigma2: float, h: int) -> np.ndarray:
    """Class-1 ETS forecast variance (Hyndman et al. 2008): s^2 (1 + sum_{j<h} c_j^2)."""
    j = np.arange(1, h)
    damped_sums = np.cumsum(phi ** np.arange(1, h)) if h > 1 else np.empty(0)
    c = alpha + beta * damped_sums[: j.size]
    return sigma2 * (1 + np.concatenate(([0.0], np.cumsum(c**2))))


class _ETSTrend(GrowthModel):
    """ETS(A,A,N) or ETS(A,Ad,N) on the log level (statsmodels ETSModel)."""

    damped = False
    min_steps = 5

    def _fit_log(self, x: np.ndarray) -> None:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        model = ETSModel(
            x,
            error="add",
            trend="add",
            damped_trend=self.damped,
            bounds={"smoothing_level": (ETS_MIN_ALPHA, 0.9999)},
        )
        with warnings.catch_warnings():
            # Convergence chatter on short or flat series: the states still filter the data.
            warnings.simplefilter("ignore")
            res = model.fit(disp=False)
        level, trend = (float(v) for v in np.asarray(res.states)[-1][:2])
        self._level, self._trend = level, trend
        self._alpha = float(res.smoothing_level)
        self._beta = float(res.smoothing_trend)
        self._phi = float(res.damping_trend) if self.damped else 1.0
        resid = np.asarray(res.resid, dtype=float)
        # The first residuals carry the initial-state fit; the rest are one-step errors.
        self._sigma2 = float(np.mean(resid[1:] ** 2)) if resid.size > 1 else 0.0

    def _log_forecast(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Level plus (damped) trend; class-1 variance."""
        sums = np.cumsum(self._phi ** np.arange(1, h + 1))
        mu = self._level + sums * self._trend
        var = _ets_variance(self._alpha, self._beta, self._phi, self._sigma2, h)
        return mu, np.sqrt(var)


class LocalLinearTrend(_ETSTrend):
    """Local linear trend: ETS(A,A,N) on the log level, so growth compounds undamped."""

    name = "local_linear_trend"
    damped = False


class DampedTrend(_ETSTrend):
    """ETS(A,Ad,N) on the log level: growth that fades with the horizon."""

    name = "damped_trend"
    damped = True


class LogLinearTrend(GrowthModel):
    """Log-linear trend with at most one changepoint, extrapolating the last segment's slope.

    Fits ``x ~ a + b t`` and every hinge ``x ~ a + b t + d max(t - tau, 0)`` whose last
    segment has at least ``min_segment`` steps, and keeps the one with the lowest BIC (a hinge
    pays for two parameters, its slope change and its position). The forecast continues the
    fitted line of the last segment; its variance is the regression's prediction variance,
    which grows with the distance from the data.
    """

    name = "log_linear_trend"

    def __init__(self, *, min_segment: int = 3, last_steps: int | None = None) -> None:
        self.min_segment = min_segment
        self.last_steps = last_steps
        self.changepoint: int | None = None

    def _fit_log(self, x: np.ndarray) -> None:
        if self.last_steps is not None:
            x = x[-self.last_steps :]
        n = x.size
        t = np.arange(n, dtype=float)
        designs: list[tuple[int | None, np.ndarray]] = [(None, np.column_stack([np.ones(n), t]))]
        for knot in range(2, n - self.min_segment):
            designs.append((knot, np.column_stack([np.ones(n), t, np.maximum(t - knot, 0.0)])))
        best: tuple[float, int | None, np.ndarray, np.ndarray, float] = (
            np.inf,
            None,
            designs[0][1],
            np.zeros(2),
            0.0,
        )
        for tau, design in designs:
            coef, *_ = np.linalg.lstsq(design, x, rcond=None)
            rss = float(np.sum((x - design @ coef) ** 2))
            k = design.shape[1] + (1 if tau is not None else 0)
            bic = n * math.log(max(rss / n, 1e-12)) + k * math.log(n)
            if bic < best[0]:
                best = (bic, tau, design, coef, rss)
        _, self.changepoint, design, coef, rss = best
        dof = max(n - design.shape[1], 1)
        self._sigma2 = rss / dof
        self._xtx_inv = np.linalg.pinv(design.T @ design)
        self._coef = coef
        self._n = n

    def _design_at(self, t: np.ndarray) -> np.ndarray:
        cols = [np.ones_like(t), t]
        if self.changepoint is not None:
            cols.append(np.maximum(t - self.changepoint, 0.0))
        return np.column_stack(cols)

    def _log_forecast(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """The last segment's line; regression prediction variance."""
        t = self._n - 1 + np.arange(1, h + 1, dtype=float)
        design = self._design_at(t)
        mu = design @ self._coef
        leverage = np.einsum("ij,jk,ik->i", design, self._xtx_inv, design)
        return mu, np.sqrt(self._sigma2 * (1 + leverage))


class RecentLogLinearTrend(LogLinearTrend):
    """A log-linear trend through the last seven steps only (196 days of 28-day blocks).

    The growth rate of the last half-year: it follows a slowdown within months where the
    whole-history models need a changepoint to be proven first.
    """

    name = "recent_log_linear_trend"

    def __init__(self, *, last_steps: int = 7) -> None:
        super().__init__(min_segment=last_steps, last_steps=last_steps)


class Theta(GrowthModel):
    """The optimised Theta method on the log level (statsmodels ThetaModel, no seasonal
    adjustment, theta fitted).

    Theta's forecast is simple exponential smoothing plus ``(1 - 1/theta)`` of the whole
    history's linear slope. The classic ``theta = 2`` extrapolates half that slope: on
    compounding growth it forecast every one of 40 synthetic fleets' totals low at 26 weeks
    (mean q50 bias -11 %) and, as a member, pulled the median combination down with it. Here
    theta minimises the in-sample one-step squared error (Fiorucci et al. 2016, "Models for
    optimising the theta method"), in [1, 100]: a slope the one-step errors keep asking for is
    extrapolated in full, one they do not is halved or dropped.
    """

    name = "theta"
    min_steps = 4
    max_theta = 100.0

    def _fit_log(self, x: np.ndarray) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._res = ThetaModel(x, period=1, deseasonalize=False).fit()
        slope = float(self._res.params.iloc[0])
        alpha = float(np.clip(self._res.params.iloc[1], 1e-6, 1.0))
        # One-step forecast from t observations: the SES level plus w * slope * g_t, with
        # w = 1 - 1/theta and g_t = (1 - (1 - alpha)^t) / alpha (statsmodels' formula at h=1),
        # so the w that minimises the squared errors is a least-squares slope through 0.
        level, lagged, reach = x[0], [], []
        for t, value in enumerate(x[1:], start=1):
            lagged.append(value - level)
            reach.append(slope * (1.0 - (1.0 - alpha) ** t) / alpha)
            level += alpha * (value - level)
        r, g = np.asarray(lagged), np.asarray(reach)
        gg = float(g @ g)
        weight = float(np.clip(r @ g / gg, 0.0, 1.0 - 1.0 / self.max_theta)) if gg > 0 else 0.5
        self.theta = 1.0 / (1.0 - weight)
        errors = r - weight * g
        self._sigma2 = float(np.var(errors)) if errors.size >= 2 else 0.0

    def _log_forecast(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Theta's forecast at the fitted theta; sd by statsmodels' formula for the method's
        IMA(1,1) structure, ``sigma2 (1 + (h - 1)(1 + (alpha - 1)^2))``, with ``sigma2`` the
        variance of the one-step errors at the fitted alpha and theta (statsmodels re-fits a
        SARIMAX by maximum likelihood for it, which cost 40 % of a whole long-horizon run for
        the same figure to within the estimation noise of a few dozen 28-day levels)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mu = np.asarray(self._res.forecast(h, theta=self.theta), dtype=float)
        alpha = float(np.clip(self._res.params.iloc[1], 1e-6, 1.0))
        steps = np.arange(h, dtype=float)
        sd = np.sqrt(self._sigma2 * (1.0 + steps * (1.0 + (alpha - 1.0) ** 2)))
        return mu, sd


@dataclass(frozen=True, slots=True)
class RunWalk:
    """What a run's series say about how a short series' level walks (``run_walk``).

    ``step_sd``: the least spread of a block step (the established series' median, or in a
    young fleet its series' with two steps or more; 0 when no series has: then nothing
    measures how a level moves);
    ``drift``: the pooled mean block step of the run's series (None when none has a drift to
    read), ``drift_var`` its variance and ``spread`` the variance of the series' own drifts
    around it.
    """

    step_sd: float = 0.0
    drift: float | None = None
    drift_var: float = 0.0
    spread: float = 0.0


class LevelRandomWalk(GrowthModel):
    """Fallback for short series: a random walk on the level with a damped drift.

    The drift is the mean step of the blocks (the random walk with drift), shrunk toward the
    run's pooled drift by how much the series' own few steps can tell (``RunWalk``: a young
    series grows as the run's series do unless its own blocks say otherwise), then damped by
    ``damping`` a block. The rule (empirical Bayes, precision-weighted): with ``n`` block steps
    of spread ``s`` (its own, at least the run's typical step), its own drift ``d`` is read
    with variance ``v = s^2 / n`` and the run's series' drifts scatter ``tau^2`` (``spread``)
    around the pooled ``D``, so the drift is ``D + w (d - D)`` with ``w = tau^2 / (tau^2 + v)``:
    fewer or noisier blocks lean further on the pool, and where the run's drifts scatter no
    more than their sampling noise (``tau^2 = 0``) every young series takes the pooled drift.
    Its variance is ``w v + (1 - w)^2 var(D)``. Fewer than ``WALK_MIN_DRIFT_STEPS`` steps: the
    pooled drift, with variance ``tau^2 + var(D)``. The run's ``D``, ``tau^2`` and typical
    step are read over several block alignments (``longrange.run_walk``). The spread is the
    walk's (the run's typical step spread times the square root of the steps, plus once the
    excess of its own step variance over it: a few blocks cannot tell a series' noise from its
    wander) plus the drift's uncertainty over the steps it compounds.
    """

    name = "level_random_walk"
    min_steps = 1
    carries_rate_uncertainty = True

    def __init__(self, *, run: RunWalk | None = None, damping: float = WALK_DAMPING) -> None:
        self.run = run or RunWalk()
        self.damping = damping

    def _fit_log(self, x: np.ndarray) -> None:
        self._last = float(x[-1])
        steps = np.diff(x)
        # With fewer than two changes there is nothing to estimate a step size from; the
        # spread of the level itself is the most honest stand-in.
        # Its own few steps' spread is unbiased in variance (ddof 1) and then taken at least
        # as the run's median-unbiased typical step (``median_unbiased_sd``): its own divided
        # by the median bias too read the young test fleets' 26-week q90 reached on 8-9 % of
        # days at 90-150 days of history (too wide; bench_young_fleets.py).
        own = float(np.std(steps, ddof=1)) if steps.size >= 2 else float(np.std(x))
        # A few blocks of a young series can sit still by chance; the run's typical step (its
        # established series') keeps its band from reading that as certainty.
        self._step_sd = max(own, self.run.step_sd)
        # What compounds block after block is the run's typical step; a young series' own
        # spread above it, read off one to four steps, is its blocks' noise (a bursty class's
        # 202, 206, 118, 224 GPUs step -0.56 then +0.64: no wander) and is added once, not
        # compounded. Compounded, a 90-day fleet's class read 0.45 a block for 39 blocks (its
        # 31st month's q90 and mean 30x its q50), and one day's data flipped it: a block
        # crossing the ramp threshold (``longrange._after_ramp``) took its step out, and the
        # class's 36-month mean moved 22x (bench_silent_plan.py --as-of-moves).
        # One block ahead the spread is unchanged: its own step, at least the run's.
        self._walk_sd = self.run.step_sd if self.run.step_sd > 0 else self._step_sd
        self._noise_var = self._step_sd**2 - self._walk_sd**2
        # Held flat, young test fleets growing 55 %/yr were forecast 9-16 % low over 26 weeks
        # and above their q90 on 47-80 % of days (benchmarks/longrange_findings.md).
        run = self.run
        if steps.size >= WALK_MIN_DRIFT_STEPS:
            self.own_drift: float | None = float(np.mean(steps))
            own_var = self._step_sd**2 / steps.size
            if run.drift is None:
                self.drift, self._drift_var = self.own_drift, own_var
            else:
                total_var = run.spread + own_var
                weight = run.spread / total_var if total_var > 0 else 1.0
                self.drift = run.drift + weight * (self.own_drift - run.drift)
                self._drift_var = weight * own_var + (1 - weight) ** 2 * run.drift_var
        else:
            self.own_drift = None
            self.drift = run.drift or 0.0
            self._drift_var = run.spread + run.drift_var if run.drift is not None else 0.0

    def _log_forecast(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """The last level plus the damped drift; sd of the walk (the run's typical step
        compounding, its own excess added once) plus the drift's."""
        k = np.arange(1, h + 1, dtype=float)
        reach = damped_reach(h, self.damping)
        mu = self._last + self.drift * reach
        return mu, np.sqrt(self._walk_sd**2 * k + self._noise_var + self._drift_var * reach**2)

    def describe(self) -> str:
        """How the walk moves, in words for a reason column."""
        if self.own_drift is None and self.run.drift is None:
            return f"held (fewer than {WALK_MIN_DRIFT_STEPS + 1} blocks to read a drift from)"
        pace = f"drifting {math.expm1(self.drift):+.1%} a block, damped by {self.damping} a block"
        if self.own_drift is None:
            pace = f"{pace} (the run's pooled drift: too few blocks to read its own)"
        elif self.run.drift is None:
            pace = f"{pace} (its mean step)"
        else:
            own = math.expm1(self.own_drift)
            pace = f"{pace} (its mean step {own:+.1%}, shrunk toward the run's)"
        return pace + self._unverified()

    def _unverified(self) -> str:
        """What a drift within ``DRIFT_VERIFIED_Z`` standard errors of none says: empty when
        the drift is outside them."""
        se = math.sqrt(self._drift_var)
        if self.drift == 0 or abs(self.drift) >= DRIFT_VERIFIED_Z * se:
            return ""
        return (
            f"; the drift is not verified: within {DRIFT_VERIFIED_Z:g} standard errors "
            f"({se:.1%} a block) of none, as a flat fleet's few blocks read by chance"
        )


COMBINATION_MEMBERS: tuple[str, ...] = (
    "local_linear_trend",
    "damped_trend",
    "log_linear_trend",
    "theta",
)


class Combination(GrowthModel):
    """The median of several growth models' log forecasts.

    Its variance is the members' mean variance plus their disagreement (the scaled median
    absolute deviation of their forecasts), so the interval widens where the models disagree
    about growth. The median, not the mean: one member far from the others moves a mean, and
    the log-linear trend's hinge, fitted to the last four blocks of a lumpy training class,
    extrapolated them to 1.25M GPUs at 36 months against the others' 6,000-13,000, which put
    the class's q90 at 1.17M GPUs (median combinations are robust to such a member: Stock and
    Watson 2004). Members that fail to fit (a statsmodels error on a degenerate series) are
    dropped; ``members`` lists those used.
    """

    name = "combination"
    min_steps = 5
    carries_rate_uncertainty = True

    def __init__(
        self,
        members: Sequence[str] | None = None,
    ) -> None:
        self.member_names = tuple(members) if members is not None else COMBINATION_MEMBERS
        self.members: list[GrowthModel] = []

    def _fit_log(self, x: np.ndarray) -> None:
        y = np.expm1(x)
        self.members = []
        for name in self.member_names:
            try:
                self.members.append(make_growth_model(name).fit(y))
            except (ValueError, np.linalg.LinAlgError):
                continue
        if not self.members:
            raise ValueError(f"no member of {self.member_names} could be fitted")

    def _log_forecast(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Median of the members; mean variance plus their disagreement."""
        parts = [m.log_forecast(h) for m in self.members]
        mus = np.stack([p[0] for p in parts])
        sds = np.stack([p[1] for p in parts])
        centre = np.median(mus, axis=0)
        spread = 1.4826 * np.median(np.abs(mus - centre), axis=0)
        var = np.mean(sds**2, axis=0) + spread**2
        return centre, np.sqrt(var)


GROWTH_MODELS: dict[str, Callable[[], GrowthModel]] = {
    "local_linear_trend": LocalLinearTrend,
    "damped_trend": DampedTrend,
    "log_linear_trend": LogLinearTrend,
    "theta": Theta,
    "recent_log_linear_trend": RecentLogLinearTrend,
    "combination": Combination,
    "level_random_walk": LevelRandomWalk,
}
CANDIDATES: tuple[str, ...] = (
    "combination",
    "local_linear_trend",
    "damped_trend",
    "log_linear_trend",
    "theta",
)


def make_growth_model(name: str) -> GrowthModel:
    """A fresh, unfitted growth model by name (keys of ``GROWTH_MODELS``)."""
    try:
        return GROWTH_MODELS[name]()
    except KeyError:
        known = ", ".join(sorted(GROWTH_MODELS))
        raise ValueError(f"unknown growth model {name!r}; choose one of: {known}") from None
