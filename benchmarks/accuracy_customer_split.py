"""How a customer's share of its class should move past the short model: paths, held or point.

Past day 28 the growth models take a class's mean over from the short model, and a customer's
mean-measure rows read its class's mean split over the class's customers
(``horizon._customers_on_their_paths``): by the short model's means through day 28, by the
sample paths' means from day 91. This scores that published split against two alternatives:
each customer's share of its class on day 28 held to the end ("held"), and the short model's
reconciled point forecasts' shares on each day ("point", each customer's own trend without
the paths' clipping at zero), on the demo's
synthetic fleet (730 days, 200 customers, seed 0; hourly demand cached as in
``bench_forecast_ab.py``): forecasts as of several cut-offs, 182 days ahead, the customers'
daily means scored on days 29-90 and 91-182, MAE pooled over customers and days, as a ratio
to the published split's, with each split's bias and the share of the error its customers
called "other" carry.

Run as ``PYTHONPATH=. python benchmarks/accuracy_customer_split.py [--cutoffs 182,273,364]``
(days back from the fleet's last day; about two minutes per cut-off).
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import polars as pl

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_forecast_ab import held_out_setup  # noqa: E402 - after the path insert
from forecasting import hierarchy  # noqa: E402
from forecasting.forecast import ForecastSettings, forecast_all  # noqa: E402
from forecasting.horizon import extend_horizon  # noqa: E402

HORIZON = 182
HELD_FROM = 28


def held_out(series: pl.DataFrame, back: int) -> pl.DataFrame:
    """Rows (unique_id, ds, lead, published, held, point, y) of customers' daily means as of
    ``back`` days before the last day, joined to what happened."""
    cut = series["ds"].max() - timedelta(days=back)
    history = series.filter(pl.col("ds") <= cut)
    result = forecast_all(history, settings=ForecastSettings(horizon_days=HORIZON))
    extended = extend_horizon(history, result, as_of=cut, months=12, measure_accuracy=False)
    rows = (
        extended.result.forecast.filter(pl.col("measure") == "mean")
        .with_columns(
            hierarchy.depth().alias("depth"),
            hierarchy.parent().alias("parent"),
            (pl.col("ds") - pl.lit(cut)).dt.total_days().alias("lead"),
        )
        .select("unique_id", "parent", "depth", "ds", "lead", "mean")
    )
    classes = rows.select(pl.col("unique_id").alias("parent"), "ds", pl.col("mean").alias("whole"))
    short = result.forecast.filter(pl.col("measure") == "mean").select(
        "unique_id", "ds", pl.col("mean").alias("own")
    )
    customers = (
        rows.filter(pl.col("depth") == hierarchy.BOTTOM_DEPTH)
        .join(classes, on=["parent", "ds"])
        .join(short, on=["unique_id", "ds"])
        .with_columns(
            (pl.col("own") / pl.col("own").sum().over("parent", "ds")).alias("point_share")
        )
    )
    shares = customers.filter(pl.col("lead") == HELD_FROM).select(
        "unique_id",
        pl.when(pl.col("whole") > 0).then(pl.col("mean") / pl.col("whole")).alias("share"),
    )
    scored = customers.join(shares, on="unique_id", how="left").select(
        "unique_id",
        "ds",
        "lead",
        pl.col("mean").alias("published"),
        (pl.col("whole") * pl.col("share").fill_null(0.0)).alias("held"),
        (pl.col("whole") * pl.col("point_share").fill_nan(None).fill_null(0.0)).alias("point"),
    )
    actual = series.filter(pl.col("measure") == "mean").select("unique_id", "ds", "y")
    return scored.join(actual, on=["unique_id", "ds"]).with_columns(pl.lit(cut).alias("cutoff"))


def main() -> int:
    """Score both splits at every cut-off and print one row per lead window."""
    cutoffs, series = held_out_setup(__doc__.splitlines()[0], cutoffs="182,273,364")
    rows = pl.concat([held_out(series, back) for back in cutoffs])
    error = {c: (pl.col(c) - pl.col("y")) for c in ("published", "held", "point")}
    window = (
        pl.when(pl.col("lead") <= HELD_FROM)
        .then(pl.lit("days 1-28"))
        .when(pl.col("lead") < 91)
        .then(pl.lit("days 29-90"))
        .otherwise(pl.lit("days 91-182"))
    )
    other = pl.col("unique_id").str.ends_with("/other")
    table = (
        rows.with_columns(window.alias("window"))
        .group_by("window")
        .agg(
            pl.len().alias("rows"),
            (error["held"].abs().sum() / error["published"].abs().sum()).alias("mae_held_over_pub"),
            (error["point"].abs().sum() / error["published"].abs().sum()).alias(
                "mae_point_over_pub"
            ),
            (error["published"].sum() / pl.col("y").sum()).alias("bias_published"),
            (error["published"].filter(other).sum() / pl.col("y").filter(other).sum()).alias(
                "other_bias_published"
            ),
            (error["held"].filter(other).sum() / pl.col("y").filter(other).sum()).alias(
                "other_bias_held"
            ),
            (error["point"].filter(other).sum() / pl.col("y").filter(other).sum()).alias(
                "other_bias_point"
            ),
        )
        .sort("window")
    )
    per_cutoff = (
        rows.filter(pl.col("lead") >= 91)
        .group_by("cutoff")
        .agg(
            (error["held"].abs().sum() / error["published"].abs().sum()).alias("mae_held_over_pub"),
            (error["point"].abs().sum() / error["published"].abs().sum()).alias(
                "mae_point_over_pub"
            ),
        )
        .sort("cutoff")
    )
    with pl.Config(tbl_rows=-1, tbl_cols=-1, float_precision=3):
        print(table)
        print(per_cutoff)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
