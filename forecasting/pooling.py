"""Pooling estimates that share a cause: the random-effects mean (DerSimonian and Laird 1986).

Series of one run share their growth, or a change of it, unequally: each series' estimate is
the shared value plus its own deviation (variance ``tau2``, estimated from how far the
estimates scatter beyond their sampling variances) plus its sampling error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Pooled", "random_effects_mean"]


@dataclass(frozen=True, slots=True)
class Pooled:
    """The pooled ``mean``, its ``variance``, and ``tau2``: the estimates' spread around it."""

    mean: float
    variance: float
    tau2: float


def random_effects_mean(estimates: np.ndarray, variances: np.ndarray) -> Pooled:
    """The DerSimonian-Laird random-effects mean of ``estimates`` with sampling ``variances``
    (positive); one estimate is its own mean, with no spread."""
    d = np.asarray(estimates, dtype=float)
    v = np.asarray(variances, dtype=float)
    w = 1 / v
    fixed = float(np.sum(w * d) / np.sum(w))
    q = float(np.sum(w * (d - fixed) ** 2))
    scale = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    tau2 = max(0.0, (q - (d.size - 1)) / scale) if d.size > 1 and scale > 0 else 0.0
    w_re = 1 / (v + tau2)
    return Pooled(float(np.sum(w_re * d) / np.sum(w_re)), float(1 / np.sum(w_re)), tau2)
