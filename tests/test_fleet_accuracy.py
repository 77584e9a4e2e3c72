"""Forecast accuracy and calibration on the synthetic fleet: every level, the last 28 days held out.

The fleet is synth's (200 days, 12 customers, seed 3; 3 customers per class plus ``other``):
78 series, the mean and peak measures of the total, regions, classes and customers. Measured
when written: mean MASE of the chosen models 0.91x the seasonal naive's on both measures;
backtest q10-q90 coverage of the published intervals 79 %; holdout coverage 80 % (mean) and
85 % (peak).
"""

from __future__ import annotations

import os
from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from forecasting import demand, synth
from forecasting.forecast import ForecastResult, ForecastSettings, forecast_all, mase
from forecasting.models import SEASON_LENGTH, make_model

pytestmark = pytest.mark.slow

HORIZON = 28
SETTINGS = ForecastSettings(horizon_days=HORIZON, n_paths=50)


@pytest.fixture(scope="module")
def split() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The fleet's daily demand at every level: all but the last 28 days, and those days."""
    fleet = synth.synthetic_fleet(days=200, customers=12, seed=3)
    hourly = fleet.telemetry.select(
        "ts",
        "region",
        "workload_class",
        "customer",
        (pl.col("gpus_running") + pl.col("gpus_queued")).alias("y"),
    )
    series = demand.demand_series(hourly, customers_per_class=3)
    cut = series["ds"].max() - timedelta(days=HORIZON)  # type: ignore[operator]
    return series.filter(pl.col("ds") <= cut), series.filter(pl.col("ds") > cut)


@pytest.fixture(scope="module")
def result(split: tuple[pl.DataFrame, pl.DataFrame]) -> ForecastResult:
    """The default pipeline on the training part."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    return forecast_all(split[0], settings=SETTINGS)


def holdout_scores(result: ForecastResult, train: pl.DataFrame, test: pl.DataFrame) -> pl.DataFrame:
    """Per series and measure: holdout MASE of the forecast and of the seasonal naive, coverage."""
    rows = []
    keys = ["unique_id", "measure"]
    for (uid, measure), history in train.sort("ds").group_by(keys, maintain_order=True):
        y = history["y"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        is_series = (pl.col("unique_id") == uid) & (pl.col("measure") == measure)
        actual = test.filter(is_series).sort("ds")["y"].cast(pl.Float64).fill_null(np.nan)
        a = actual.to_numpy()
        fc = result.forecast.filter(is_series).sort("ds")
        d = np.abs(y[SEASON_LENGTH:] - y[:-SEASON_LENGTH])
        d = d[np.isfinite(d)]
        scale = float(d.mean()) if d.size and d.mean() > 0 else 1.0
        naive = make_model("seasonal_naive").fit(y).predict(HORIZON, quantiles=(0.5,)).mean
        ok = np.isfinite(a)
        inside = (a[ok] >= fc["q10"].to_numpy()[ok]) & (a[ok] <= fc["q90"].to_numpy()[ok])
        rows.append(
            {
                "unique_id": uid,
                "measure": measure,
                "mase": mase(a, fc["mean"].to_numpy(), scale=scale),
                "mase_seasonal_naive": mase(a, naive, scale=scale),
                "coverage_80": float(np.mean(inside)),
            }
        )
    return pl.DataFrame(rows)


@pytest.mark.parametrize("measure", ["mean", "peak"])
def test_chosen_models_beat_the_seasonal_naive_by_a_clear_margin(
    split: tuple[pl.DataFrame, pl.DataFrame], result: ForecastResult, measure: str
) -> None:
    """Over every level's series, the chosen models' mean holdout MASE is < 0.95x the baseline's."""
    scores = holdout_scores(result, *split).filter(pl.col("measure") == measure)
    ratio = scores["mase"].mean() / scores["mase_seasonal_naive"].mean()  # type: ignore[operator]
    assert ratio < 0.95, f"{measure}: MASE ratio to the seasonal naive {ratio:.3f}"


@pytest.mark.parametrize("measure", ["mean", "peak"])
def test_backtest_coverage_of_published_intervals_is_80_within_5_points(
    result: ForecastResult, measure: str
) -> None:
    """q10-q90 of the published intervals (calibrated where needed) covers 80 % +- 5 points."""
    summary = result.summary.filter(pl.col("measure") == measure)
    coverage = float(summary["coverage_80"].mean())  # type: ignore[arg-type]
    assert abs(coverage - 0.8) <= 0.05, f"{measure}: backtest coverage {coverage:.3f}"


def test_holdout_coverage_holds(
    split: tuple[pl.DataFrame, pl.DataFrame], result: ForecastResult
) -> None:
    """On the held-out 28 days the q10-q90 intervals cover 80 % +- 10 points.

    One 28-day window of 78 series that move together is a single draw: its coverage is
    noisier than the backtests' three windows, hence the wider band.
    """
    scores = holdout_scores(result, *split)
    coverage = float(scores["coverage_80"].mean())  # type: ignore[arg-type]
    assert abs(coverage - 0.8) <= 0.10, f"holdout coverage {coverage:.3f}"
