"""A change of growth shared by a run's series, tested before the forecast follows it.

The growth models fit each series alone, on all its blocks: four or five blocks after growth
slows, one series cannot tell the slowdown from its level's wander, and the models keep
extrapolating the old pace (on a test fleet whose growth halved 120 days before the cut-off,
every model read it high, +4 to +13 % at 26 weeks). Across the series of a run the evidence
adds up, and so does a run's shared wander; the test below asks whether the recent change is
larger than the wander could make it.

- **The change.** Per series (log 28-day block means, ``MIN_BLOCKS`` or more), a straight line
  through every block; the change is the slope of the residuals over the last
  ``CHANGE_BLOCKS`` blocks, its standard error that of an OLS slope on white residuals.
- **The statistic.** The precision-weighted mean change over the series, as a z score.
- **Its null.** The residuals' own persistence and cross-series correlation make white-noise
  standard errors too small (a fleet's total is the sum of its regions), so the threshold is
  the ``LEVEL`` quantile of ``|z|`` in ``REPLICATIONS`` simulations of the null: per series an
  AR(1) fitted to its residuals (Kendall's bias correction), innovations correlated across
  series as measured, shrunk toward independence (Ledoit-Wolf), the same line and slope
  refitted on each replication. Seeded: the same data give the same threshold.
- **What the forecast follows.** Where ``|z|`` passes the threshold, the growth rate of every
  series moves by the random-effects mean change (DerSimonian-Laird), shrunk by a
  non-negative garrote ``1 - (threshold / z)^2``: just past the threshold the forecast moves a
  little, no jump where ``z`` crosses it. Its variance is added to the growth rate's.

Measured in benchmarks/longrange_findings.md ("A shared change of the slope").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forecasting.pooling import random_effects_mean

__all__ = ["CHANGE_BLOCKS", "LEVEL", "REPLICATIONS", "SlopeChange", "shared_slope_change"]

CHANGE_BLOCKS = 5
LEVEL = 0.99
REPLICATIONS = 1000
# A line through fewer blocks than twice the change's leaves the change nothing to differ from.
MIN_SERIES_BLOCKS = 2 * CHANGE_BLOCKS + 2
_PHI_BOUND = 0.95


@dataclass(frozen=True, slots=True)
class SlopeChange:
    """The growth-rate change a forecast follows: ``per_block`` (log growth per 28-day block,
    0 when none is followed) and its ``variance``; ``z``, ``threshold`` and ``series`` say
    what was tested (``threshold`` 0 when too few series could be)."""

    per_block: float = 0.0
    variance: float = 0.0
    z: float = 0.0
    threshold: float = 0.0
    series: int = 0

    def describe(self) -> str:
        """In words, for a reason column and the notes."""
        if not self.per_block:
            return ""
        yearly = self.per_block * 365 / 28
        way, lower = ("slowed", "lower") if yearly < 0 else ("sped up", "higher")
        return (
            f"the run's {self.series} series {way} together over the last {CHANGE_BLOCKS} "
            f"blocks (z {self.z:+.1f}; their wander alone reaches {self.threshold:.1f}): the "
            f"plan follows, its growth {abs(yearly) * 100:.0f} points a year (log) {lower}"
        )


def _line_residuals(x: np.ndarray) -> np.ndarray:
    """Residuals of an OLS line through the last axis of ``x`` (any leading axes)."""
    t = np.arange(x.shape[-1], dtype=float)
    tc = t - t.mean()
    slope = (x * tc).sum(axis=-1, keepdims=True) / (tc**2).sum()
    return x - x.mean(axis=-1, keepdims=True) - slope * tc


def _changes(e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(change, its variance): the slope of the residuals ``e`` over their last blocks."""
    tail = e[..., -CHANGE_BLOCKS:]
    tc = np.arange(CHANGE_BLOCKS, dtype=float) - (CHANGE_BLOCKS - 1) / 2
    sxx = float((tc**2).sum())
    change = (tail * tc).sum(axis=-1) / sxx
    s2 = (e**2).sum(axis=-1) / max(e.shape[-1] - 2, 1)
    return change, s2 / sxx


def _z(changes: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """The precision-weighted mean change over the last axis, as a z score."""
    w = 1.0 / np.maximum(variances, 1e-12)
    return (w * changes).sum(axis=-1) / np.sqrt(w.sum(axis=-1))


def _ar1(e: np.ndarray) -> tuple[float, float]:
    """(phi, innovation sd) of residuals ``e``, phi bias-corrected (Kendall 1954)."""
    n = e.size
    denom = float((e**2).sum())
    phi = float((e[1:] * e[:-1]).sum() / denom) if denom > 0 else 0.0
    phi = float(np.clip(phi + (1 + 3 * phi) / n, -_PHI_BOUND, _PHI_BOUND))
    u = e[1:] - phi * e[:-1]
    return phi, float(np.std(u, ddof=1)) if u.size > 1 else 0.0


def _shrunk_correlation(z: np.ndarray) -> np.ndarray:
    """The correlation of the columns of ``z`` (rows: time), shrunk toward the identity by the
    Ledoit-Wolf (2004) intensity."""
    m, p = z.shape
    sd = z.std(axis=0)
    x = (z - z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    s = x.T @ x / m
    d2 = float(((s - np.eye(p)) ** 2).sum())
    if d2 <= 0 or m < 2:
        return np.eye(p)
    b2 = float(sum(((np.outer(r, r) - s) ** 2).sum() for r in x)) / m**2
    shrink = min(b2, d2) / d2
    return shrink * np.eye(p) + (1 - shrink) * s


def _null_threshold(residuals: Sequence[np.ndarray], *, seed: int) -> float:
    """The ``LEVEL`` quantile of |z| when every series' residuals are AR(1) noise."""
    p = len(residuals)
    fits = [_ar1(e) for e in residuals]
    m = min(e.size for e in residuals) - 1
    innovations = np.column_stack(
        [e[-m:] - phi * e[-m - 1 : -1] for e, (phi, _sd) in zip(residuals, fits, strict=True)]
    )
    chol = np.linalg.cholesky(_shrunk_correlation(innovations) + 1e-9 * np.eye(p))
    longest = max(e.size for e in residuals)
    rng = np.random.default_rng(seed)
    shocks = rng.standard_normal((REPLICATIONS, longest, p)) @ chol.T
    changes = np.empty((REPLICATIONS, p))
    variances = np.empty((REPLICATIONS, p))
    for i, (e, (phi, sd)) in enumerate(zip(residuals, fits, strict=True)):
        n = e.size
        u = shocks[:, longest - n :, i] * sd
        path = np.empty((REPLICATIONS, n))
        path[:, 0] = u[:, 0] / np.sqrt(1 - phi**2)
        for t in range(1, n):
            path[:, t] = phi * path[:, t - 1] + u[:, t]
        changes[:, i], variances[:, i] = _changes(_line_residuals(path))
    return float(np.quantile(np.abs(_z(changes, variances)), LEVEL))


def shared_slope_change(levels: Sequence[np.ndarray], *, seed: int = 0) -> SlopeChange:
    """The growth change the run's series share, or none (module docstring).

    ``levels`` are the series' log block levels, oldest first, missing blocks already filled;
    series shorter than ``MIN_SERIES_BLOCKS`` are not tested. Fewer than two series tested
    follow nothing: one series' change is its own wander as readily as a shared one.
    """
    used = [np.asarray(x, dtype=float) for x in levels if len(x) >= MIN_SERIES_BLOCKS]
    used = [x for x in used if np.isfinite(x).all()]
    if len(used) < 2:
        return SlopeChange(series=len(used))
    residuals = [_line_residuals(x) for x in used]
    pairs = [_changes(e) for e in residuals]
    c = np.array([p[0] for p in pairs])
    v = np.maximum(np.array([p[1] for p in pairs]), 1e-12)
    z = float(_z(c, v))
    threshold = _null_threshold(residuals, seed=seed)
    tested = SlopeChange(z=z, threshold=threshold, series=len(used))
    if abs(z) <= threshold:
        return tested
    # Series may share a slowdown unequally: their random-effects mean change.
    pooled = random_effects_mean(c, v)
    garrote = 1 - (threshold / z) ** 2
    return SlopeChange(
        per_block=garrote * pooled.mean,
        variance=garrote**2 * pooled.variance,
        z=z,
        threshold=threshold,
        series=len(used),
    )
