"""Which mean a mean-measure row should publish: the reconciled point forecast or its paths'.

Each series' reconciled sample paths are clipped at zero on their own, so for a bursty series
near zero the paths' mean sits above the reconciled point forecast (README, "reconcile"). This
scores both as point forecasts of the daily mean, and a third, the class's point forecast split
over its customers by their paths' means, on the demo's synthetic fleet (730 days, 200
customers, seed 0; hourly demand cached as in ``bench_forecast_ab.py``): forecasts as of
several cut-offs, 28 days ahead each, MAE pooled per level over every held-out day, as a ratio
to the point forecast's, with the bias of each, one row per level (depth 0 the total, 1 the
regions, 2 the classes, 3 the customers; the levels add up, so their biases are alike).

Run as ``python benchmarks/accuracy_mean_column.py [--cutoffs 28,56,84,112]`` (days back from
the fleet's last day; about a minute per cut-off).
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

HORIZON = 28


def held_out(series: pl.DataFrame, back: int) -> pl.DataFrame:
    """Rows (unique_id, ds, depth, y, point, paths, split) of the forecast as of ``back`` days
    before the last day, joined to what happened."""
    cut = series["ds"].max() - timedelta(days=back)
    result = forecast_all(
        series.filter(pl.col("ds") <= cut), settings=ForecastSettings(horizon_days=HORIZON)
    )
    paths = result.paths.group_by("unique_id", "ds").agg(pl.col("y").cast(pl.Float64).mean())
    rows = (
        result.forecast.filter(pl.col("measure") == "mean")
        .select("unique_id", "ds", pl.col("mean").alias("point"))
        .join(paths.rename({"y": "paths"}), on=["unique_id", "ds"])
    )
    parents = rows.select(pl.col("unique_id").alias("parent"), "ds", pl.col("point").alias("whole"))
    rows = (
        rows.with_columns(hierarchy.depth().alias("depth"), hierarchy.parent().alias("parent"))
        .join(parents, on=["parent", "ds"], how="left")
        .with_columns(
            pl.when(pl.col("depth") == hierarchy.BOTTOM_DEPTH)
            .then(pl.col("whole") * pl.col("paths") / pl.col("paths").sum().over("parent", "ds"))
            .otherwise(pl.col("point"))
            .alias("split")
        )
    )
    actual = series.filter(pl.col("measure") == "mean").select("unique_id", "ds", "y")
    return rows.join(actual, on=["unique_id", "ds"]).with_columns(pl.lit(cut).alias("cutoff"))


def main() -> int:
    """Score the three means at every cut-off and print one row per level."""
    cutoffs, series = held_out_setup(__doc__.splitlines()[0], cutoffs="28,56,84,112")
    rows = pl.concat([held_out(series, back) for back in cutoffs])
    error = {c: (pl.col(c) - pl.col("y")) for c in ("point", "paths", "split")}
    table = (
        rows.group_by("depth")
        .agg(
            pl.len().alias("rows"),
            (error["paths"].abs().sum() / error["point"].abs().sum()).alias("mae_paths_over_point"),
            (error["split"].abs().sum() / error["point"].abs().sum()).alias("mae_split_over_point"),
            (error["point"].sum() / pl.col("y").sum()).alias("bias_point"),
            (error["paths"].sum() / pl.col("y").sum()).alias("bias_paths"),
        )
        .sort("depth")
    )
    with pl.Config(tbl_rows=-1, tbl_cols=-1, float_precision=3):
        print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
