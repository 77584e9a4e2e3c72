"""Closed-form and contract checks for every model in forecasting.models."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import numpy as np
import polars as pl
import pytest

from forecasting.models import (
    DEFAULT_MODELS,
    TSB,
    Drift,
    Model,
    Naive,
    SeasonalNaive,
    intermittency,
    make_model,
)

QUANTILES = (0.1, 0.5, 0.9, 0.99)


def weekly_series(n: int = 400, *, seed: int = 0) -> np.ndarray:
    """Trend + weekly cycle + noise, the shape of fleet demand."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 200 + 0.2 * t + 30 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 5, n)


def test_seasonal_naive_repeats_last_week() -> None:
    """The seasonal naive forecast is the last observed week, repeated."""
    y = weekly_series(60)
    pred = SeasonalNaive().fit(y).predict(21, quantiles=QUANTILES)
    np.testing.assert_allclose(pred.mean, np.tile(y[-7:], 3))


def test_the_naive_band_past_a_week_is_held_to_the_weekly_changes() -> None:
    """Two weeks of a weekday cycle: a random walk on the daily changes (mostly the cycle)
    widened the band to a q10 of zero three months out; past a week the band is the weekly
    changes' random walk, never narrower than six days ahead. A random walk keeps its own
    band, and so do a week's history and the first six days; the paths are held alike."""
    cycle = weekly_series(14, seed=1)
    model = Naive().fit(cycle)
    pred = model.predict(182, quantiles=QUANTILES)
    daily, kept = model._spread(182)
    weekly = np.sqrt(np.mean((cycle[7:] - cycle[:-7]) ** 2))
    np.testing.assert_allclose(kept[:6], daily[:6])
    np.testing.assert_allclose(kept[90:], np.maximum(weekly * np.sqrt(np.arange(91, 183) / 7),
                                                     daily[5]))  # fmt: skip
    assert kept[-1] < daily[-1] / 3
    assert pred.quantiles[0.1][-1] > 0.5 * cycle[-1]  # was below zero
    paths = model.sample(182, n_paths=4000, rng=np.random.default_rng(0))
    spread = np.quantile(paths[:, -1], 0.9) - np.quantile(paths[:, -1], 0.1)
    assert spread == pytest.approx(2 * 1.2816 * kept[-1], rel=0.15)
    # A long random walk, whose weekly changes are measured well: about its own band. (On a
    # short one they are a few independent weeks, and the band can come out narrower.)
    walk = np.cumsum(np.random.default_rng(2).normal(0, 10, 400)) + 500
    daily, kept = Naive().fit(walk)._spread(182)
    assert kept[-1] == pytest.approx(daily[-1], rel=0.2)
    short = Naive().fit(cycle[:10])
    np.testing.assert_allclose(*short._spread(182))


def test_drift_extrapolates_a_line() -> None:
    """On an exact line, drift continues the line with zero spread."""
    y = 5.0 + 2.0 * np.arange(30)
    pred = Drift().fit(y).predict(10, quantiles=QUANTILES)
    expected = 5.0 + 2.0 * np.arange(30, 40)
    np.testing.assert_allclose(pred.mean, expected)
    for q in QUANTILES:
        np.testing.assert_allclose(pred.quantiles[q], expected)


@pytest.mark.parametrize("name", [*DEFAULT_MODELS, "ets_seasonal", "tsb"])
def test_quantiles_are_monotone_and_non_negative(name: str) -> None:
    """Every model's quantiles rise with the level and never go below zero."""
    # A series near zero makes the lower quantiles want to go negative.
    y = np.abs(weekly_series(200) - 190)
    pred = make_model(name).fit(y).predict(60, quantiles=QUANTILES)
    stacked = np.stack([pred.quantiles[q] for q in QUANTILES])
    assert np.all(np.diff(stacked, axis=0) >= -1e-9)
    assert stacked.min() >= 0
    assert pred.mean.min() >= 0


@pytest.mark.parametrize("name", [*DEFAULT_MODELS, "ets_seasonal", "tsb"])
def test_paths_have_shape_and_are_non_negative(name: str) -> None:
    """sample() returns (n_paths, h), non-negative, centred near the point forecast."""
    y = weekly_series(300)
    model: Model = make_model(name).fit(y)
    paths = model.sample(28, n_paths=500, rng=np.random.default_rng(1))
    assert paths.shape == (500, 28)
    assert paths.min() >= 0
    pred = model.predict(28, quantiles=(0.1, 0.9))
    inside = np.mean((paths >= pred.quantiles[0.1]) & (paths <= pred.quantiles[0.9]))
    assert 0.7 < inside < 0.9


@pytest.mark.parametrize("name", [*DEFAULT_MODELS, "tsb"])
def test_missing_days_are_interpolated_not_zero(name: str) -> None:
    """A telemetry outage (NaN) does not drag a flat series' forecast towards zero."""
    y = np.full(120, 100.0) + np.random.default_rng(2).normal(0, 1, 120)
    y[60:75] = np.nan
    y[-3:] = np.nan  # an outage at the very end too
    pred = make_model(name).fit(y).predict(14, quantiles=QUANTILES)
    np.testing.assert_allclose(pred.mean, 100.0, rtol=0.08)


def sub_gpu_intermittent(n: int, *, seed: int) -> np.ndarray:
    """A customer using 0.01-3 GPUs on about a third of its days and nothing on the rest."""
    rng = np.random.default_rng(seed)
    busy = rng.uniform(size=n) < 0.35
    return np.where(busy, np.clip(rng.lognormal(-1.0, 1.0, n), 0.01, 3.0), 0.0)


def test_tsb_quantiles_put_the_zero_mass_at_zero_and_cover() -> None:
    """TSB's q10-q90 holds about 80 % of later days; low quantiles are exactly zero."""
    inside, means = [], []
    for seed in range(40):
        y = sub_gpu_intermittent(160, seed=seed)
        assert intermittency(y) > 0.5
        pred = TSB().fit(y[:120]).predict(40, quantiles=QUANTILES)
        assert pred.quantiles[0.1].max() == 0.0 and pred.quantiles[0.5].max() == 0.0
        assert all(v.min() >= 0 for v in pred.quantiles.values())
        later = y[120:]
        inside.append(np.mean((later >= pred.quantiles[0.1]) & (later <= pred.quantiles[0.9])))
        means.append(pred.mean[0] / max(later.mean(), 1e-9))
    assert 0.75 <= np.mean(inside) <= 0.9, f"coverage {np.mean(inside):.3f}"
    assert 0.7 < np.median(means) < 1.4  # p * z tracks the mean demand


def test_zero_model_forecasts_nothing() -> None:
    """The last fallback: zero mean, zero quantiles, zero paths, fitted on nothing."""
    model = make_model("zero").fit(np.empty(0))
    pred = model.predict(5, quantiles=QUANTILES)
    assert pred.mean.max() == 0 and all(v.max() == 0 for v in pred.quantiles.values())
    assert model.sample(5, n_paths=3, rng=np.random.default_rng(0)).shape == (3, 5)


def test_unknown_model_lists_the_known_ones() -> None:
    """A misspelt model name is an error that lists the registry."""
    with pytest.raises(ValueError, match="seasonal_naive"):
        make_model("arima")


def test_too_short_says_days_have_and_need() -> None:
    """Fitting a seasonal model on too little history says how many days it has and needs."""
    with pytest.raises(ValueError, match=r"needs at least 14 days.*has 9"):
        make_model("ets").fit(np.arange(9.0))


def test_all_missing_series_is_an_error() -> None:
    """A series without a single observed day is refused with what to do about it."""
    with pytest.raises(ValueError, match="backfill"):
        make_model("theta").fit(np.full(30, np.nan))


@pytest.mark.slow
def test_prophet_forecasts_with_events() -> None:
    """Prophet fits with a known event as a holiday and yields ordered, non-negative output."""
    y = weekly_series(200)
    ds = np.datetime64("2024-01-01") + np.arange(200)
    events = pl.DataFrame({"event": ["launch"], "ds": [date(2024, 3, 1)]})
    model = make_model("prophet").fit(y, ds=ds, events=events)
    pred = model.predict(14, quantiles=QUANTILES)
    assert np.all(pred.quantiles[0.1] <= pred.quantiles[0.9])
    paths = model.sample(14, n_paths=50, rng=np.random.default_rng(0))
    assert paths.shape == (50, 14)
    assert paths.min() >= 0


@pytest.mark.slow
def test_prophet_draws_match_prophet_and_ignore_global_state() -> None:
    """Prophet's paths follow Prophet's own predictive model and depend only on their generator.

    Same seed, same paths, whatever numpy's global state or thread; and over 4,000 draws the
    quantiles agree with Prophet's own ``predictive_samples`` within sampling error.
    """
    y = weekly_series(300)
    ds = np.datetime64("2024-01-01") + np.arange(300)
    model = make_model("prophet").fit(y, ds=ds)
    np.random.seed(1)
    first = model.sample(28, n_paths=200, rng=np.random.default_rng(7))
    np.random.seed(2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        again = pool.submit(model.sample, 28, n_paths=200, rng=np.random.default_rng(7)).result()
    np.testing.assert_array_equal(first, again)

    ours = model.sample(28, n_paths=4000, rng=np.random.default_rng(3))
    prophet = model._model  # the fitted Prophet: its own sampler is the reference
    prophet.uncertainty_samples = 4000
    np.random.seed(3)
    theirs = np.maximum(prophet.predictive_samples(model._future(28))["yhat"].T, 0.0)
    for q in (0.1, 0.5, 0.9):
        spread = np.quantile(theirs, 0.9, axis=0) - np.quantile(theirs, 0.1, axis=0)
        gap = np.abs(np.quantile(ours, q, axis=0) - np.quantile(theirs, q, axis=0))
        assert np.all(gap < 0.1 * spread), q
