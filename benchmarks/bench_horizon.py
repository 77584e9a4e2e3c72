"""What the plan past the lead times costs: the horizon extension against the forecast step.

On the demo's synthetic fleet (730 days, 200 customers, seed 0; hourly demand cached as in
``bench_forecast_ab.py``), times ``forecast_all`` with the CLI's defaults and then
``extend_horizon`` to 36 months (growth models on every region and class, both measures, and
the 26-week decision backtest of the total and regions), in one process, as CPU seconds
(``time.process_time``, all threads) and wall seconds. The figure is the ratio: issue 16 asks
that the 36-month plan add no more than 30 % to the forecast step. The demo's forecast step
fans the series out over the cores while the extension runs in one process, so on 2 cores its
share of the demo's wall time is about twice the CPU ratio (also printed).

Also prints how closely the drills' sample paths read the bands the pages and triggers show
past day 40 (``paths_onto_bands``): the largest and 95th-percentile relative miss of a
region's and a class's q10, q50 or q90 of its summed paths, over every region- or class-day.

Run as ``python benchmarks/bench_horizon.py [--customers-per-class N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import polars as pl

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_forecast_ab import hourly_demand  # noqa: E402 - after the path insert
from forecasting import demand  # noqa: E402
from forecasting.forecast import ForecastResult, ForecastSettings, forecast_all  # noqa: E402
from forecasting.horizon import extend_horizon  # noqa: E402


def band_misses(result: ForecastResult, *, from_day: int = 40) -> dict[str, float]:
    """Largest and 95th-percentile relative miss of the summed paths' q10/q50/q90 against the
    mean-measure rows, per region-day and class-day from ``from_day`` on."""
    first = result.paths["ds"].min()
    ids = result.paths.select(pl.col("unique_id").unique())
    parents = ids.select(pl.col("unique_id").str.replace(r"/[^/]+$", "")).unique()
    # The paths of every level are here; the drills play (and the warehouse keeps) the leaves.
    paths = result.paths.join(parents, on="unique_id", how="anti").filter(
        pl.col("ds") >= first + pl.duration(days=from_day - 1)
    )
    rows = result.forecast.filter(pl.col("measure") == "mean")
    parts = pl.col("unique_id").str.split("/")
    out: dict[str, float] = {}
    for name, depth in (("region", 2), ("class", 3)):
        sums = (
            paths.group_by(
                parts.list.slice(0, depth).list.join("/").alias("unique_id"), "ds", "sample_id"
            )
            .agg(pl.col("y").sum())
            .group_by("unique_id", "ds")
            .agg(
                pl.col("y").quantile(q, "linear").alias(f"p{round(q * 100)}")
                for q in (0.1, 0.5, 0.9)
            )
            .join(rows, on=["unique_id", "ds"])
        )
        miss = sums.select(
            pl.max_horizontal((pl.col(f"p{k}") / pl.col(f"q{k}") - 1).abs() for k in (10, 50, 90))
        ).to_series()
        out[f"{name}_max_miss"] = round(float(miss.max()), 4)  # type: ignore[arg-type]
        out[f"{name}_p95_miss"] = round(float(miss.quantile(0.95)), 4)  # type: ignore[arg-type]
    return out


def main() -> int:
    """Time both steps and print the ratios as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers-per-class", type=int, default=10)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fleetcast-bench/demo.parquet"))
    args = parser.parse_args()
    hourly = hourly_demand(args.cache)
    series = demand.demand_series(hourly, customers_per_class=args.customers_per_class)
    as_of = series["ds"].max()
    wall, cpu = time.perf_counter(), time.process_time()
    result = forecast_all(series, settings=ForecastSettings(horizon_days=182))
    forecast_wall, forecast_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    extended = extend_horizon(series, result, as_of=as_of, months=args.months)  # type: ignore[arg-type]
    extend_wall, extend_cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        json.dumps(
            {
                "series": int(result.summary.height),
                "months": args.months,
                "monthly_rows": extended.months.height,
                "forecast_cpu_s": round(forecast_cpu, 2),
                "extend_cpu_s": round(extend_cpu, 2),
                "cpu_ratio": round(extend_cpu / forecast_cpu, 3),
                "forecast_wall_s": round(forecast_wall, 2),
                "extend_wall_s": round(extend_wall, 2),
                "wall_ratio_one_process": round(extend_wall / forecast_wall, 3),
                "paths_onto_bands": band_misses(extended.result),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
