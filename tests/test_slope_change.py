"""A growth change shared by a run's series (forecasting.slope_change): followed where the
series together say it is larger than their wander could make it, not otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.slope_change import CHANGE_BLOCKS, MIN_SERIES_BLOCKS, shared_slope_change

BLOCKS = 28
# 28-day blocks per year; growth rates below are per year in logs.
PER_YEAR = 365 / 28


def _levels(
    rates: tuple[float, float], *, seed: int, series: int = 8, wander: float = 0.03
) -> list[np.ndarray]:
    """Log block levels growing at ``rates[0]`` a year, then ``rates[1]`` over the last
    ``CHANGE_BLOCKS`` blocks, each series wandering as an AR(1) around its line."""
    rng = np.random.default_rng(seed)
    t = np.arange(BLOCKS)
    per_block = np.where(t >= BLOCKS - CHANGE_BLOCKS, rates[1], rates[0]) / PER_YEAR
    trend = np.cumsum(per_block)
    out = []
    for i in range(series):
        noise = np.zeros(BLOCKS)
        shocks = rng.normal(0, wander, BLOCKS)
        for k in range(1, BLOCKS):
            noise[k] = 0.4 * noise[k - 1] + shocks[k]
        out.append(np.log(1000.0 * (i + 1)) + trend + noise)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_slowdown_every_series_shares_is_followed_shrunk(seed: int) -> None:
    """Growth halving (70 to 35 %/yr) over the last five blocks of eight series: detected,
    followed in the right direction and by no more than the change (the garrote shrinks it)."""
    change = shared_slope_change(_levels((0.7, 0.35), seed=seed))
    assert change.z < -change.threshold
    yearly = change.per_block * PER_YEAR
    assert -0.35 * 1.5 < yearly < -0.05
    assert change.variance > 0
    assert "slowed" in change.describe()


@pytest.mark.parametrize("seed", range(10))
def test_steady_growth_and_its_wander_are_not_followed(seed: int) -> None:
    """Steady growth with each series wandering around its line: nothing followed, on ten
    draws (the threshold is the null's 99th percentile: about one draw in a hundred would be
    a false alarm)."""
    change = shared_slope_change(_levels((0.5, 0.5), seed=100 + seed))
    assert change.per_block == 0.0 and change.variance == 0.0
    assert change.threshold > 1.5 and change.describe() == ""


def test_the_threshold_is_reproducible_and_short_or_single_series_follow_nothing() -> None:
    """The same data give the same test; one series, or series too short to hold a line and a
    change, are not tested."""
    levels = _levels((0.7, 0.35), seed=0)
    assert shared_slope_change(levels) == shared_slope_change(levels)
    assert shared_slope_change(levels[:1]).per_block == 0.0
    short = [x[-(MIN_SERIES_BLOCKS - 1) :] for x in levels]
    assert shared_slope_change(short).series == 0


def test_series_moving_together_need_more_evidence_than_independent_ones() -> None:
    """Copies of one series (a total and the sum of its parts move together) are one series'
    evidence: the threshold rises with their correlation."""
    independent = _levels((0.5, 0.5), seed=7)
    together = [independent[0] + 0.001 * k for k in range(len(independent))]
    assert (
        shared_slope_change(together).threshold > 1.5 * shared_slope_change(independent).threshold
    )
