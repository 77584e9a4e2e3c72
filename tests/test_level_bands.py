"""Bands of series that sit at one level: a pause or a step is no random walk."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from forecasting.forecast import ForecastSettings, forecast_series
from forecasting.models import change_spreads, reads_as_level

START = date(2026, 9, 8)
SETTINGS = ForecastSettings(horizon_days=63, n_paths=100)
SEEDS = [0, 1, 2, 3, 4]


def as_frame(y: np.ndarray, *, measure: str) -> pl.DataFrame:
    """A one-customer demand frame starting on START."""
    ds = pl.date_range(START, START + timedelta(days=len(y) - 1), eager=True)
    uid = "total/us-west/training/cobalt-bio"
    return pl.DataFrame({"unique_id": uid, "ds": ds, "measure": measure, "y": y})


def paused_level(seed: int, *, days: int = 90, level: float = 256.0) -> np.ndarray:
    """Whole blocks held every day but a few short dips and one pause of 4-7 days in the last
    three weeks, as the synthetic fleet's training customers run."""
    rng = np.random.default_rng(seed)
    y = np.full(days, level)
    for start in rng.choice(days - 25, size=5, replace=False):
        y[start : start + rng.integers(1, 3)] = level * rng.uniform(0.1, 0.9)
    pause = days - int(rng.integers(5, 21))
    y[pause : pause + int(rng.integers(4, 8))] = 0.0
    return y


def bands(y: np.ndarray, measure: str) -> tuple[str, pl.DataFrame]:
    """The chosen model and the forecast rows of ``y`` in ``measure``."""
    result = forecast_series(as_frame(y, measure=measure), settings=SETTINGS)
    return result.model, result.forecast


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("measure", ["mean", "peak"])
def test_a_level_with_a_pause_reads_a_band_around_its_level(seed: int, measure: str) -> None:
    """A customer at 256 GPUs but for short dips and a 4-7 day pause near the end: its band
    28 and 56 days out stays around 256 (q90 at most 2x its busiest day, q10 below 256 for
    the lows it had, q50 at 256). Before, every candidate read the pause as a random walk and
    the calibration stretched the side above as far as the misses below: seed 3's fleet read
    q90 1,623 GPUs 28 days out and 2,239 at 57 for such a customer."""
    y = paused_level(seed)
    model, rows = bands(y, measure)
    for day in (27, 55):
        q10, q50, q90 = (float(rows[c][day]) for c in ("q10", "q50", "q90"))
        assert q90 <= 2 * y.max(), (model, day, q90)
        assert 0 <= q10 <= 256 <= q90, (model, day, q10, q90)
        assert q50 == pytest.approx(256, rel=0.1), (model, day, q50)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_single_step_up_is_held_as_its_new_level_not_walked(seed: int) -> None:
    """256 GPUs, then 512 from four weeks before the end, a 2-4 day pause before the step:
    the band stays around 512 (q50 within 10 %, q90 at most 2x the busiest day) instead of
    walking on from the step. Before, the pair with drift read q90 1,737 GPUs 28 days out on
    seed 3's fleet."""
    rng = np.random.default_rng(seed)
    y = np.full(90, 256.0)
    y[62:] = 512.0
    gap = int(rng.integers(2, 5))
    y[62 - gap : 62] = 0.0
    y[int(rng.integers(5, 40))] = 0.0
    for measure in ("mean", "peak"):
        model, rows = bands(y, measure)
        for day in (27, 55):
            q50, q90 = float(rows["q50"][day]), float(rows["q90"][day])
            assert q90 <= 2 * y.max(), (model, measure, day, q90)
            assert q50 == pytest.approx(512, rel=0.1), (model, measure, day, q50)


@pytest.mark.parametrize("seed", SEEDS)
def test_an_intermittent_sub_gpu_series_keeps_non_negative_bands_that_cover(seed: int) -> None:
    """A sub-GPU customer busy on a third of its days (0.2-0.9 GPUs): no quantile is below
    zero, q90 stays within twice its busiest day, and 90 more days of the same demand lie
    at or under q90 on at least 80 % of days (a guard: the level rule must not touch it)."""
    rng = np.random.default_rng(seed)
    both = np.where(rng.uniform(size=180) < 1 / 3, rng.uniform(0.2, 0.9, 180), 0.0)
    y, future = both[:90], both[90:]
    assert not reads_as_level(y)
    for measure in ("mean", "peak"):
        _, rows = bands(y, measure)
        q = rows.select("q10", "q50", "q90", "q99").to_numpy()
        assert (q >= 0).all()
        assert float(rows["q90"].max()) <= 2 * y.max()  # type: ignore[operator]
        assert np.mean(future[:63] <= rows["q90"].to_numpy()) >= 0.8


def test_steady_growth_keeps_its_growth_and_its_band() -> None:
    """Customers growing 1 % a day with a weekday cycle and noise (5 seeds): no band is held
    (their changes accumulate), each median rises from the last week to day 28 and on to day
    56, and 28 more days of the same growth lie inside q10-q90 on most days, pooled (a guard:
    the code before read the same medians and 66 % inside)."""
    inside = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        t = np.arange(118)
        y = 500 * 1.01**t * (1 + 0.1 * np.sin(2 * np.pi * t / 7)) + rng.normal(0, 10, t.size)
        history, future = y[:90], y[90:]
        assert change_spreads(history).size == 0
        _, rows = bands(history, "mean")
        q50 = rows["q50"].to_numpy()
        assert history[-7:].mean() < q50[27] < q50[55]
        lo, hi = rows["q10"].to_numpy()[:28], rows["q90"].to_numpy()[:28]
        inside.append((future >= lo) & (future <= hi))
    assert np.mean(inside) >= 0.6


def test_a_level_reads_as_one_and_a_smooth_series_does_not() -> None:
    """The level candidate joins where the most common day recurs on half the last four weeks
    and is above zero: a paused reservation does, an idle series and a noisy one do not."""
    assert reads_as_level(paused_level(0))
    assert not reads_as_level(np.zeros(60))
    assert not reads_as_level(np.random.default_rng(0).normal(500, 20, 60))
