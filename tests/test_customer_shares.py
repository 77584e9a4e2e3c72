"""A customer's share of its class past the short model: read off its own history, not off the
short model's first days, which MinT's reconciliation moved; and its months within its class's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import polars as pl

from forecasting.forecast import ForecastResult
from forecasting.horizon import extend_horizon
from tests.test_horizon import AS_OF, _short_at_recent_means, _with_parents

FLAT = "total/r1/training/flat"
STEADY = "total/r1/training/steady"
CLASS = "total/r1/training"


def _flat_beside_steady(days: int) -> pl.DataFrame:
    """``days`` of one class: ``flat`` at 256 GPUs every day but six idle days a week before the
    end, ``steady`` at 2,000 growing 40 % a year with 3 % noise."""
    rng = np.random.default_rng(8)
    flat = np.full(days, 256.0)
    flat[days - 11 : days - 5] = 0.0
    steady = 2000.0 * 1.4 ** (np.arange(days) / 365) * np.exp(rng.normal(0, 0.03, days))
    return _with_parents({FLAT: flat, STEADY: steady})


def _lifted(short: ForecastResult, uid: str, factor: float) -> ForecastResult:
    """``short`` with ``uid``'s peak rows over the days the short model holds alone (1-28)
    times ``factor``: what MinT's reconciliation did to a customer's first weeks."""
    lead = (pl.col("ds") - pl.lit(AS_OF)).dt.total_days()
    on = (pl.col("unique_id") == uid) & (pl.col("measure") == "peak") & (lead <= 28)
    values = ["mean", "q10", "q50", "q90", "q99"]
    return replace(
        short,
        forecast=short.forecast.with_columns(
            pl.when(on).then(pl.col(c) * factor).otherwise(pl.col(c)).alias(c) for c in values
        ),
    )


def _recent_peak_share(history: pl.DataFrame, days: int) -> float:
    """The flat customer's peak over its class's on its busy days of the last ``days``."""
    recent = history.filter(
        (pl.col("measure") == "peak") & (pl.col("ds") > AS_OF - timedelta(days=days))
    )
    own = recent.filter(pl.col("unique_id") == FLAT).select("ds", pl.col("y").alias("own"))
    whole = recent.filter(pl.col("unique_id") == CLASS).select("ds", pl.col("y").alias("whole"))
    joined = own.join(whole, on="ds").filter(pl.col("own") > 0)
    return float((joined["own"] / joined["whole"]).median())  # type: ignore[arg-type]


def test_a_customer_s_peak_share_past_the_short_model_is_its_history_s_not_a_reconciled_lift() -> (
    None
):
    """`synth --customers 12 --seed 3 --days 90`, then `forecast`: us-west training cobalt-bio,
    flat at 256 GPUs but for a 6-day pause, read a 26-week daily peak median of 455 GPUs
    against about 382 (its level grown as its class grew): its share of its class was read off
    its short model's first 28 days, which MinT's reconciliation had lifted, and every day to
    the horizon carried the lift. Its share is now its own history's: how often it ran times
    where it sat in its class when it ran."""
    history = _flat_beside_steady(400)
    short = _lifted(_short_at_recent_means(history, (FLAT, STEADY)), FLAT, 1.5)
    ext = extend_horizon(history, short, as_of=AS_OF, months=12)
    day = ext.result.forecast.filter(
        (pl.col("measure") == "peak") & (pl.col("ds") == AS_OF + timedelta(days=182))
    )

    def at(uid: str, column: str) -> float:
        return float(day.filter(pl.col("unique_id") == uid)[column][0])

    share = _recent_peak_share(history, 14)
    ran = 1 - 6 / 91
    # Its mean: how often it ran times its share when it ran, of its class's mean (not 1.5x).
    assert at(FLAT, "mean") < 1.1 * share * at(CLASS, "mean"), (at(FLAT, "mean"), share)
    assert at(FLAT, "mean") > 0.9 * ran * share * at(CLASS, "mean")
    # Its median near its level grown as its class grew.
    assert at(FLAT, "q50") < 1.1 * share * at(CLASS, "q50")


def test_a_young_customer_s_peak_months_read_its_own_months_not_its_reconciled_lift() -> None:
    """On a 90-day fleet (`synth --customers 12 --seed 3 --days 90`) no class had three
    complete months of history, so every customer's monthly peaks were its class's times its
    part of the short model's first 28 days, which MinT had moved: a flat customer read months
    its history never had (cobalt-bio 514-2,178 GPUs), and us-east evaluation northwind-ai 1.6
    times its class's in every month. Two complete months now read a customer's share of its
    class's busiest day, its band from its own months; without them, its share of its class's
    daily peak in its own history."""
    history = _flat_beside_steady(88)
    short = _lifted(_short_at_recent_means(history, (FLAT, STEADY)), FLAT, 1.5)
    ext = extend_horizon(history, short, as_of=AS_OF, months=12)
    peaks = history.filter((pl.col("measure") == "peak") & (pl.col("ds").dt.month().is_in([5, 6])))
    flat_max = peaks.filter(pl.col("unique_id") == FLAT)["y"].max()
    class_max = peaks.filter(pl.col("unique_id") == CLASS)["y"].max()
    share = float(flat_max) / float(class_max)  # type: ignore[arg-type]
    months = ext.months.filter(
        (pl.col("measure") == "peak") & (pl.col("ds") > AS_OF + timedelta(days=200))
    )
    pair = months.filter(pl.col("unique_id") == FLAT).join(
        months.filter(pl.col("unique_id") == CLASS).select("ds", pl.col("q50").alias("whole")),
        on="ds",
    )
    assert pair.height >= 5
    ratio = pair["q50"] / pair["whole"]
    assert (ratio < 1.05 * share).all(), (ratio.max(), share)
    assert (ratio > 0.95 * share).all(), (ratio.min(), share)


def test_a_customer_s_monthly_quantiles_are_at_most_its_class_s() -> None:
    """On `synth --customers 12 --seed 3 --days 90`, 66 customer peak months read a q90 above
    their class's q90 in the same month (us-east evaluation northwind-ai 1.6 times it in every
    month): a customer cannot need more than its class. A customer's monthly mean and every
    quantile are now at most its class's, month by month and measure by measure, as its days
    are (here a short model whose first weeks read the customer above its whole class)."""
    history = _flat_beside_steady(88)
    short = _lifted(_short_at_recent_means(history, (FLAT, STEADY)), STEADY, 1.6)
    ext = extend_horizon(history, short, as_of=AS_OF, months=12)
    values = ["mean", "q10", "q50", "q90", "q99"]
    customers = ext.months.filter(pl.col("unique_id").is_in([FLAT, STEADY]))
    classes = ext.months.filter(pl.col("unique_id") == CLASS).select(
        "ds", "measure", *(pl.col(c).alias(f"{c}_class") for c in values)
    )
    joined = customers.join(classes, on=["ds", "measure"])
    assert joined.height > 20
    for c in values:
        above = joined.filter(pl.col(c) > pl.col(f"{c}_class") * (1 + 1e-9))
        assert above.is_empty(), above.select("unique_id", "ds", "measure", c, f"{c}_class")
