"""A customer's band past the short model widens with its own moves, not its class's: a flat
customer beside growing ones keeps a band near its first month's width, a growing one takes
its class's, and the customers' monthly means still add up to their class's.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from forecasting.horizon import extend_horizon
from tests.test_horizon import AS_OF, _short_at_recent_means, _with_parents

CLASS = "total/r1/training"
FLAT = f"{CLASS}/flat"
STEADY = f"{CLASS}/steady"
HALVING = f"{CLASS}/halving"
DAYS = 400
MONTHS = 36


def _three_customers(seed: int) -> pl.DataFrame:
    """``DAYS`` of one class: ``flat`` at 256 GPUs (1 % noise), ``steady`` at 2,000 growing 55 %
    a year in logs, ``halving`` at 1,000 growing 70 % a year until 120 days before the end and
    35 % after; the growing two wander (an AR(1) in logs) and carry 3 % noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(DAYS) - (DAYS - 1)

    def wander() -> np.ndarray:
        walk = np.zeros(DAYS)
        shocks = rng.normal(0, 0.01, DAYS)
        for j in range(1, DAYS):
            walk[j] = 0.97 * walk[j - 1] + shocks[j]
        return walk

    halving = np.cumsum(np.where(t < -120, 0.7, 0.35) / 365)
    return _with_parents(
        {
            FLAT: 256.0 * np.exp(rng.normal(0, 0.01, DAYS)),
            STEADY: 2000.0 * np.exp(0.55 * t / 365 + wander() + rng.normal(0, 0.03, DAYS)),
            HALVING: 1000.0 * np.exp(halving + wander() + rng.normal(0, 0.03, DAYS)),
        }
    )


def _log_band(months: pl.DataFrame, uid: str, measure: str) -> tuple[float, float]:
    """``uid``'s log(q90 / q50) in its plan's first and last month of ``measure``."""
    rows = months.filter((pl.col("unique_id") == uid) & (pl.col("measure") == measure)).sort("ds")
    q90, q50 = rows["q90"].to_numpy(), rows["q50"].to_numpy()
    return math.log(q90[0] / q50[0]), math.log(q90[-1] / q50[-1])


@pytest.fixture(scope="module", params=[0, 1, 2])
def planned(request: pytest.FixtureRequest) -> pl.DataFrame:
    """The 36-month monthly rows of the three-customer class, one fleet per seed."""
    history = _three_customers(request.param)
    short = _short_at_recent_means(history, (FLAT, STEADY, HALVING))
    return extend_horizon(history, short, as_of=AS_OF, months=MONTHS).months


@pytest.mark.parametrize("measure", ["peak", "mean"])
def test_a_flat_customer_s_band_stays_near_its_first_month_s_beside_growing_ones(
    planned: pl.DataFrame, measure: str
) -> None:
    """`synth --customers 12 --seed 3 --days 90`, us-west training's cobalt-bio, flat at 256
    GPUs but for a 6-day pause, read a monthly peak q90 of 2,867 GPUs by December 2029 (q50 810):
    its class's q90 was 3.4 times its q50 at 36 months, and a customer's months were its
    class's band times its share. A customer whose level never moved from one 28-day block to
    the next keeps about its first month's width to the horizon; its class's widens."""
    flat_first, flat_last = _log_band(planned, FLAT, measure)
    class_first, class_last = _log_band(planned, CLASS, measure)
    assert class_last > 2 * class_first, (class_first, class_last)  # the class does widen
    # Its month-to-month spread (its busiest day's share of its class's) stays; it does not
    # take on its class's widening.
    assert flat_last - flat_first < 0.25 * (class_last - class_first), (flat_first, flat_last)


@pytest.mark.parametrize("measure", ["peak", "mean"])
def test_growing_customers_bands_widen_as_their_class_s(
    planned: pl.DataFrame, measure: str
) -> None:
    """Customers whose levels move as their class's (steady growth, and growth that halved 120
    days before the cut-off) keep their class's widening band: nothing measured says they are
    surer than their class."""
    _, class_last = _log_band(planned, CLASS, measure)
    for uid in (STEADY, HALVING):
        first, last = _log_band(planned, uid, measure)
        assert last > 0.6 * class_last, (uid, first, last, class_last)
        assert last > 1.5 * first, (uid, first, last)


def test_customers_monthly_means_still_add_up_to_their_class_s(planned: pl.DataFrame) -> None:
    """The mean measure's months add up over a class's customers at every value, as the split
    of its class's band made them: what a flat customer's narrower band takes off its mean and
    upper quantiles goes to the customers that move as their class."""
    values = ["mean", "q10", "q50", "q90", "q99"]
    means = planned.filter(pl.col("measure") == "mean")
    parts = (
        means.filter(pl.col("unique_id").is_in([FLAT, STEADY, HALVING]))
        .group_by("ds")
        .agg(pl.col(c).sum().alias(f"{c}_parts") for c in values)
    )
    joined = parts.join(means.filter(pl.col("unique_id") == CLASS), on="ds")
    assert joined.height == MONTHS
    for c in values:
        gap = (joined[f"{c}_parts"] / joined[c] - 1).abs().max()
        assert gap < 1e-9, (c, gap)  # type: ignore[operator]


def test_customers_peak_months_still_bound_their_class_s(planned: pl.DataFrame) -> None:
    """The triggers read the sum of a class's customers' peaks as an upper bound of the class's
    peak (peaks do not add; a dedicated block's customer is taken out of that sum). Split by
    shares, that sum is a fixed multiple of the class's value in every month; a flat
    customer's narrower upper quantiles left alone made it fall with the horizon (a 90-day
    fleet's us-east training exhaustion moved from January to July 2029). What they give up
    goes to the customers that move, so the multiple holds from the first year to the third."""
    peaks = planned.filter(pl.col("measure") == "peak")
    parts = (
        peaks.filter(pl.col("unique_id").is_in([FLAT, STEADY, HALVING]))
        .group_by("ds")
        .agg(pl.col(c).sum().alias(f"{c}_parts") for c in ("q90", "q99"))
    )
    joined = parts.join(peaks.filter(pl.col("unique_id") == CLASS), on="ds").sort("ds")
    assert joined.height == MONTHS
    # Past the daily rows (and what the months carry of them), from month 12 to month 36.
    later = joined.slice(11)
    for c in ("q90", "q99"):
        multiple = (later[f"{c}_parts"] / later[c]).to_numpy()
        assert multiple.min() >= 1 - 1e-9, (c, multiple.min())
        assert multiple[-1] >= multiple[0] * (1 - 1e-6), (c, multiple[0], multiple[-1])
