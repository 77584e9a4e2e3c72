"""How a region's growth is split over its classes: the classes' mean-measure rows 91+ days out
against the demand that came.

Each growth model fits its series alone, so a region's classes need not add up to it; the
region's model sets the level and the split (``horizon._classes_adding_up`` on the daily rows,
``horizon._months_adding_up`` on the months) moves the classes until they do. This forecasts
fleets as of several cut-offs (the growth calls alone, 182 daily days and 12 months, cached
per fleet and cut-off, so two versions of the split score the same calls) and scores the
classes' mean rows: the daily rows 91-182 days out against each day's mean demand, and the
monthly rows (a month's average day) of months starting 91+ days out with at least 28 days of
demand. Per fleet and cut-off: WAPE and bias of the mean (over the actual sum), pinball loss
of q10 and q90 (over the actual sum), days or months below q10 and above q90; and the same by
what the class did (``grew``/``shrank``: its scored demand more than 10 % above / below its
last 28 days before the cut-off, else ``flat``).

Fleets: ``demo`` (the synthetic demo fleet, 200 customers, seed 0), ``seedN`` (60 customers,
seed N) and ``flat`` (the demo fleet with eu-west evaluation a reserved block: 1,000 GPUs every
hour, two customers trading 500 +- 300 over 60 days).

Run as ``PYTHONPATH=. python benchmarks/accuracy_class_split.py [--fleets demo,seed4,seed7,flat]
[--cutoffs 182,273,364]``; to compare two versions of the split, run it under each (the growth
calls are cached in ``--cache``'s folder).
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import sys
from datetime import timedelta
from pathlib import Path

import polars as pl

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.accuracy_customer_months import fleet_demand  # noqa: E402 - after the path insert
from forecasting import demand, hierarchy, horizon  # noqa: E402

FIRST_LEAD = 91
DAILY_DAYS = 182
MONTH_DAYS = 28
RESERVED_GPUS = 1000.0


def reserved_block(hourly: pl.DataFrame) -> pl.DataFrame:
    """``hourly`` with eu-west evaluation one block of ``RESERVED_GPUS`` every hour, shared by
    two customers whose shares trade over a 60-day cycle (the class flat, its parts not)."""
    keep = hourly.filter(
        ~((pl.col("region") == "eu-west") & (pl.col("workload_class") == "evaluation"))
    )
    hours = hourly.select("ts").unique().sort("ts")
    day = pl.col("ts").dt.epoch("d").cast(pl.Float64)
    a = (RESERVED_GPUS / 2 + 300.0 * (day * (2 * math.pi / 60)).sin()).round(0)
    shared = [
        hours.with_columns(
            pl.lit("eu-west").alias("region"),
            pl.lit("evaluation").alias("workload_class"),
            pl.lit(name).alias("customer"),
            gpus.alias("y"),
        ).select(hourly.columns)
        for name, gpus in (("share-a", a), ("share-b", RESERVED_GPUS - a))
    ]
    return pl.concat([keep, *(s.cast(hourly.schema) for s in shared)])


def fleet_series(fleet: str, cache: Path) -> pl.DataFrame:
    """The daily demand series of ``fleet`` (module docstring)."""
    if fleet.startswith("seed"):
        hourly = fleet_demand(int(fleet.removeprefix("seed")), cache)
    else:
        hourly = fleet_demand(None, cache)
        if fleet == "flat":
            hourly = reserved_block(hourly)
    return demand.demand_series(hourly)


def growth_calls(series: pl.DataFrame, fleet: str, back: int, cache: Path) -> pl.DataFrame:
    """The mean measure's growth calls of the regions and classes as of ``back`` days before
    the last day: daily rows (``grain`` day) and average-day months (``grain`` month)."""
    path = cache.with_name(f"split-{fleet}-{back}.parquet")
    if path.is_file():
        return pl.read_parquet(path)
    cut = series["ds"].max() - timedelta(days=back)
    grown = horizon.grow(
        series.filter(pl.col("ds") <= cut),
        as_of=cut,
        months=12,
        daily_days=DAILY_DAYS,
        measure_accuracy=False,
    )
    long = grown.calls["mean"]
    values = ["unique_id", "ds", *horizon._VALUES]
    calls = pl.concat(
        [
            long.daily.select(values).with_columns(pl.lit("day").alias("grain")),
            long.average_months.select(values).with_columns(pl.lit("month").alias("grain")),
        ]
    ).with_columns(pl.lit(cut).alias("cut"))
    path.parent.mkdir(parents=True, exist_ok=True)
    calls.write_parquet(path)
    return calls


def scored(series: pl.DataFrame, calls: pl.DataFrame) -> pl.DataFrame:
    """The classes' rows of ``calls`` split as the code now splits them, 91+ days out, with
    the actual mean demand (y) and what the class did (``moved``)."""
    cut = calls["cut"][0]
    daily = calls.filter(pl.col("grain") == "day").drop("grain", "cut")
    months = calls.filter(pl.col("grain") == "month").drop("grain", "cut")
    days = series.filter(pl.col("measure") == "mean").select("unique_id", "ds", "y")
    lead = (pl.col("ds") - pl.lit(cut)).dt.total_days()
    split_days = (
        horizon._classes_adding_up(daily, horizon._VALUES)
        .join(days, on=["unique_id", "ds"])
        .filter(lead.is_between(FIRST_LEAD, DAILY_DAYS))
        .with_columns(pl.lit("day").alias("grain"))
    )
    actual = (
        days.filter(pl.col("ds") > cut)
        .group_by("unique_id", pl.col("ds").dt.truncate("1mo"))
        .agg(pl.col("y").mean(), pl.len().alias("n"))
    )
    # The classes' levels today (the daily rows' first day), where the split reads growth
    # from them (a split that takes no anchor scores as it did).
    accepts = "anchor" in inspect.signature(horizon._months_adding_up).parameters
    anchor = {"anchor": horizon._levels_today(daily)} if accepts else {}
    split_months = (
        horizon._months_adding_up(months, horizon._VALUES, **anchor)
        .join(actual, on=["unique_id", "ds"])
        .filter((lead >= FIRST_LEAD) & (pl.col("n") >= MONTH_DAYS))
        .drop("n")
        .with_columns(pl.lit("month").alias("grain"))
    )
    before = (
        days.filter(pl.col("ds").is_between(cut - timedelta(days=27), cut))
        .group_by("unique_id")
        .agg(pl.col("y").mean().alias("before"))
    )
    after = (
        days.filter(lead.is_between(FIRST_LEAD, DAILY_DAYS))
        .group_by("unique_id")
        .agg(pl.col("y").mean().alias("after"))
    )
    moved = before.join(after, on="unique_id").select(
        "unique_id",
        pl.when(pl.col("after") > 1.1 * pl.col("before"))
        .then(pl.lit("grew"))
        .when(pl.col("after") < 0.9 * pl.col("before"))
        .then(pl.lit("shrank"))
        .otherwise(pl.lit("flat"))
        .alias("moved"),
    )
    return (
        pl.concat([split_days, split_months], how="diagonal_relaxed")
        .filter(hierarchy.depth() == 2)
        .join(moved, on="unique_id", how="left")
    )


def _pinball(level: float, column: str) -> pl.Expr:
    miss = pl.col("y") - pl.col(column)
    return pl.max_horizontal(level * miss, (level - 1) * miss)


def scores(rows: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """WAPE and bias of the mean, pinball of q10 and q90 (over the actual sum), coverage."""
    error = pl.col("mean") - pl.col("y")
    return (
        rows.group_by(by)
        .agg(
            pl.len().alias("rows"),
            (error.abs().sum() / pl.col("y").sum()).round(4).alias("wape_mean"),
            (error.sum() / pl.col("y").sum()).round(4).alias("bias_mean"),
            (_pinball(0.1, "q10").sum() / pl.col("y").sum()).round(5).alias("pinball_q10"),
            (_pinball(0.9, "q90").sum() / pl.col("y").sum()).round(5).alias("pinball_q90"),
            (pl.col("y") < pl.col("q10")).mean().round(3).alias("below_q10"),
            (pl.col("y") > pl.col("q90")).mean().round(3).alias("above_q90"),
        )
        .sort(by)
    )


def main() -> int:
    """Score every fleet and cut-off; print one row per fleet, cut-off and grain, then by what
    the class did."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleets", default="demo,seed4,seed7,flat")
    parser.add_argument("--cutoffs", default="182,273,364")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fleetcast-bench/demo.parquet"))
    args = parser.parse_args()
    parts = []
    for fleet in args.fleets.split(","):
        series = fleet_series(fleet, args.cache)
        for back in (int(b) for b in args.cutoffs.split(",")):
            rows = scored(series, growth_calls(series, fleet, back, args.cache))
            parts.append(
                rows.with_columns(pl.lit(fleet).alias("fleet"), pl.lit(back).alias("back"))
            )
    rows = pl.concat(parts)
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200):
        print(scores(rows, ["grain", "fleet", "back"]))
        print(scores(rows, ["grain", "moved"]))
        flat = rows.filter(pl.col("unique_id") == "total/eu-west/evaluation")
        print(scores(flat, ["grain", "fleet", "back"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
