"""Where a day's mean forecast crosses its peak forecast, which of the two is right?

A day's peak hour is never below its mean hour, on every path, so every quantile of the daily
peak is at least the same quantile of the daily mean. The two measures are forecast by
separate models (the mean reconciled over the hierarchy, each level's peak on its own), and
on short histories they cross: on a 28-day synthetic fleet forecast 7 days ahead the mean
measure's q90 was above the peak's on 30 % of class and customer rows.

This scores, against the held-out days, the peak forecast as it is, floored (each quantile and
the mean at least the mean measure's) and floored at the mean measure times the series'
smallest peak-to-mean ratio of its last 28 days (at least 1); and the mean forecast as it is
and capped (each quantile at most the peak's). Fleets: synthetic fleets of a few lengths and
seeds (12 customers; with ``--days 730`` the demo's fleet, 10 customers per class, cached as in
``bench_forecast_ab.py``), each forecast as of two cut-offs (three at 730 days). Per fleet length,
level (depth 0 the total, 1 regions, 2 classes, 3 customers), measure and variant: the share of
rows where the mean's q50 or q90 was above the peak's, the pinball loss over q10, q50 and q90
and the MAE of the mean column (each over the forecast as it is), and the share of days above
q90 (10 % nominal).

Measured (fleets of 42, 60 and 120 days, seeds 0-2): 25-36 % of class and customer rows cross
(0-17 % of regions and the total). Where they cross the peak is the better forecast: flooring
the peak at the mean moves the pinball loss on classes and customers by 0.993-1.058x (worse
on five of the six), capping the mean's quantiles at the peak's saves 1.5-6.5 %
(0.935-0.985x) with q90 a little more often exceeded (classes 9.2 -> 10.1 %, 13.1 -> 13.6 %,
12.9 -> 14.6 %). Neither is adopted: the mean's quantiles are its paths' and the drills play
those paths (and holding the drills' hours under the peak made them worse:
``accuracy_drill_hours.py``).

Run as ``PYTHONPATH=. python benchmarks/accuracy_peak_floor.py [--days 42,60,120]
[--seeds 0,1,2]`` (about ten minutes).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import polars as pl

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_forecast_ab import hourly_demand  # noqa: E402 - after the path insert
from forecasting import demand, hierarchy, synth  # noqa: E402
from forecasting.forecast import ForecastSettings, forecast_all  # noqa: E402

QUANTILES = {"q10": 0.1, "q50": 0.5, "q90": 0.9}
COLUMNS = ("mean", *QUANTILES)


def fleet_hours(days: int, seed: int, cache: Path) -> pl.DataFrame:
    """Hourly demand (ts, region, workload_class, customer, y) of a synthetic fleet of 12
    customers, or at 730 days the demo's (200 customers, cached)."""
    if days == 730:
        return hourly_demand(cache)
    fleet = synth.synthetic_fleet(days=days, customers=12, seed=seed)
    return fleet.telemetry.group_by(
        pl.col("ts").dt.truncate("1h"), "region", "workload_class", "customer"
    ).agg((pl.col("gpus_running") + pl.col("gpus_queued")).sum().alias("y"))


def floored(forecast: pl.DataFrame, ratio: pl.DataFrame | None) -> pl.DataFrame:
    """The peak rows with every column at least the mean measure's (times ``ratio``)."""
    peak = forecast.filter(pl.col("measure") == "peak")
    mean = forecast.filter(pl.col("measure") == "mean").select(
        "unique_id", "ds", *(pl.col(c).alias(f"{c}_m") for c in COLUMNS)
    )
    joined = peak.join(mean, on=["unique_id", "ds"], how="left")
    scale = pl.lit(1.0)
    if ratio is not None:
        joined = joined.join(ratio, on="unique_id", how="left")
        scale = pl.col("ratio").fill_null(1.0)
    return joined.with_columns(
        pl.max_horizontal(c, pl.col(f"{c}_m") * scale).fill_null(pl.col(c)) for c in COLUMNS
    ).select(peak.columns)


def smallest_ratio(history: pl.DataFrame) -> pl.DataFrame:
    """Each series' smallest daily peak over daily mean of its last 28 days, at least 1."""
    last = history["ds"].max() - timedelta(days=27)
    wide = history.filter(pl.col("ds") >= last).pivot(
        "measure", index=["unique_id", "ds"], values="y"
    )
    return (
        wide.filter(pl.col("mean") > 0)
        .group_by("unique_id")
        .agg((pl.col("peak") / pl.col("mean")).min().clip(lower_bound=1.0).alias("ratio"))
    )


def scored(series: pl.DataFrame, back: int, horizon: int) -> pl.DataFrame:
    """One row per (variant, series, day) of the peak forecast as of ``back`` days before the
    fleet's last day, joined to the day's actual peak."""
    cut = series["ds"].max() - timedelta(days=back)
    history = series.filter(pl.col("ds") <= cut)
    forecast = forecast_all(history, settings=ForecastSettings(horizon_days=horizon)).forecast
    crossed = (
        forecast.filter(pl.col("measure") == "peak")
        .join(
            forecast.filter(pl.col("measure") == "mean").select("unique_id", "ds", "q50", "q90"),
            on=["unique_id", "ds"],
            suffix="_m",
        )
        .select(
            "unique_id",
            "ds",
            (pl.col("q50_m") > pl.col("q50") * 1.0001).alias("crossed_q50"),
            (pl.col("q90_m") > pl.col("q90") * 1.0001).alias("crossed_q90"),
        )
    )
    variants = {
        ("peak", "as forecast"): forecast.filter(pl.col("measure") == "peak"),
        ("peak", "floored"): floored(forecast, None),
        ("peak", "floored x ratio"): floored(forecast, smallest_ratio(history)),
        ("mean", "as forecast"): forecast.filter(pl.col("measure") == "mean"),
        ("mean", "capped"): capped(forecast),
    }
    actual = series.filter(pl.col("ds") > cut)
    return pl.concat(
        rows.select("unique_id", "ds", *COLUMNS)
        .join(
            actual.filter(pl.col("measure") == measure).select("unique_id", "ds", "y"),
            on=["unique_id", "ds"],
        )
        .join(crossed, on=["unique_id", "ds"])
        .with_columns(
            pl.lit(measure).alias("measure"),
            pl.lit(name).alias("variant"),
            pl.lit(back).alias("back"),
        )
        for (measure, name), rows in variants.items()
    )


def capped(forecast: pl.DataFrame) -> pl.DataFrame:
    """The mean rows with every quantile at most the peak measure's."""
    mean = forecast.filter(pl.col("measure") == "mean")
    peak = forecast.filter(pl.col("measure") == "peak").select(
        "unique_id", "ds", *(pl.col(c).alias(f"{c}_p") for c in COLUMNS)
    )
    return (
        mean.join(peak, on=["unique_id", "ds"], how="left")
        .with_columns(
            pl.min_horizontal(c, pl.col(f"{c}_p")).fill_null(pl.col(c)) for c in QUANTILES
        )
        .select(mean.columns)
    )


def pinball() -> pl.Expr:
    """Mean pinball loss over q10, q50 and q90 of a row."""
    losses = [
        pl.max_horizontal(q * (pl.col("y") - pl.col(c)), (q - 1) * (pl.col("y") - pl.col(c)))
        for c, q in QUANTILES.items()
    ]
    return pl.sum_horizontal(losses) / len(losses)


def summary(rows: pl.DataFrame) -> pl.DataFrame:
    """Per fleet length, level and variant: crossings, loss ratios and q90 exceedance."""
    keyed = rows.with_columns(
        hierarchy.depth().alias("depth"),
        pinball().alias("pinball"),
        (pl.col("mean") - pl.col("y")).abs().alias("abs_error"),
        (pl.col("y") > pl.col("q90")).alias("above_q90"),
    )
    table = keyed.group_by("days", "depth", "measure", "variant").agg(
        pl.len().alias("rows"),
        pl.col("crossed_q50").mean(),
        pl.col("crossed_q90").mean(),
        pl.col("pinball").sum(),
        pl.col("abs_error").sum(),
        pl.col("above_q90").mean(),
    )
    base = table.filter(pl.col("variant") == "as forecast").select(
        "days", "depth", "measure", pl.col("pinball").alias("p0"), pl.col("abs_error").alias("a0")
    )
    return (
        table.join(base, on=["days", "depth", "measure"])
        .with_columns(
            (pl.col("pinball") / pl.col("p0")).alias("pinball_ratio"),
            (pl.col("abs_error") / pl.col("a0")).alias("mae_ratio"),
        )
        .select(
            "days",
            "depth",
            "measure",
            "variant",
            "rows",
            "crossed_q50",
            "crossed_q90",
            "pinball_ratio",
            "mae_ratio",
            "above_q90",
        )
        .sort("days", "depth", "measure", "variant")
    )


def scored_fleets(
    description: str, score: Callable[[pl.DataFrame, int, int], pl.DataFrame]
) -> pl.DataFrame:
    """``score(hourly, back, horizon)`` on every fleet and cut-off the command line asks for
    (``--days``, ``--seeds``, ``--cache``), with each part's ``days`` and ``seed``: 7 days
    ahead under 60 days of history, 14 under 200, else 28; two cut-offs, three at 200 days."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--days", default="42,60,120")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fleetcast-bench/demo.parquet"))
    args = parser.parse_args()
    frames = []
    for days in (int(d) for d in args.days.split(",")):
        seeds = [0] if days == 730 else [int(s) for s in args.seeds.split(",")]
        horizon = 7 if days < 60 else 14 if days < 200 else 28
        backs = (horizon, 2 * horizon) if days < 200 else (28, 56, 84)
        for seed in seeds:
            hourly = fleet_hours(days, seed, args.cache)
            frames += [
                score(hourly, back, horizon).with_columns(
                    pl.lit(days).alias("days"), pl.lit(seed).alias("seed")
                )
                for back in backs
            ]
    return pl.concat(frames)


def main() -> int:
    """Score the peak and mean forecasts every way on every fleet; one row per level."""
    rows = scored_fleets(
        __doc__.splitlines()[0],
        lambda hourly, back, horizon: scored(demand.demand_series(hourly), back, horizon),
    )
    with pl.Config(tbl_rows=-1, tbl_cols=-1, float_precision=3, tbl_width_chars=200):
        print(summary(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
