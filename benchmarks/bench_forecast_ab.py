"""Before/after timing of the forecast step on the demo fleet, for a change to the forecaster.

Times what ``fleetcast forecast`` does in the library on the demo's synthetic fleet (730 days,
200 customers, seed 0): ``demand_series`` on the hourly demand, then ``forecast_all`` with the
CLI's default settings (182-day horizon, 3 backtests of 28 days, 200 paths), in one process
(``map``), so that two code trees compare on the same work. ``--customers-per-class`` (default
2) keeps the run to a few minutes on a shared 2-core machine; the per-series work is the same
as the demo's, only the number of customer series is smaller.

Run it once per code tree, back to back, alternating, with the tree first on PYTHONPATH::

    git archive <base> forecasting | tar -x -C /tmp/base
    for i in 1 2; do
      PYTHONPATH=/tmp/base python benchmarks/bench_forecast_ab.py --label base
      PYTHONPATH=. python benchmarks/bench_forecast_ab.py --label new
    done

Wall and CPU seconds are both printed: on a loaded machine wall time swings by half from run to
run, CPU time (``time.process_time``, all threads of the process) much less. The hourly demand
is generated once and cached in ``--cache`` so that neither run times it.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import polars as pl

from forecasting import demand, synth
from forecasting.forecast import ForecastSettings, forecast_all


def hourly_demand(cache: Path) -> pl.DataFrame:
    """The demo fleet's hourly demand (ts, region, class, customer, y), cached as Parquet."""
    if cache.is_file():
        return pl.read_parquet(cache)
    fleet = synth.synthetic_fleet(days=730, customers=200, seed=0)
    hourly = fleet.telemetry.group_by(
        pl.col("ts").dt.truncate("1h"), "region", "workload_class", "customer"
    ).agg((pl.col("gpus_running") + pl.col("gpus_queued")).sum().alias("y"))
    cache.parent.mkdir(parents=True, exist_ok=True)
    hourly.write_parquet(cache)
    return hourly


def held_out_setup(description: str, *, cutoffs: str) -> tuple[list[int], pl.DataFrame]:
    """The cut-offs (days back from the last day) and the demo fleet's daily demand series
    that an accuracy benchmark's command line asks for (``--cutoffs``, ``--customers-per-class``
    with 10 by default, ``--cache``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cutoffs", default=cutoffs)
    parser.add_argument("--customers-per-class", type=int, default=10)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fleetcast-bench/demo.parquet"))
    args = parser.parse_args()
    series = demand.demand_series(
        hourly_demand(args.cache), customers_per_class=args.customers_per_class
    )
    return [int(b) for b in args.cutoffs.split(",")], series


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True)
    parser.add_argument("--customers-per-class", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fleetcast-bench/demo.parquet"))
    args = parser.parse_args()
    hourly = hourly_demand(args.cache)
    started, cpu = time.perf_counter(), time.process_time()
    series = demand.demand_series(hourly, customers_per_class=args.customers_per_class)
    demand_s, demand_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    result = forecast_all(series, settings=ForecastSettings(horizon_days=182))
    forecast_s, forecast_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        json.dumps(
            {
                "label": args.label,
                "series": int(result.summary.height),
                "demand_s": round(demand_s, 2),
                "forecast_s": round(forecast_s, 2),
                "demand_cpu_s": round(demand_cpu, 2),
                "forecast_cpu_s": round(forecast_cpu, 2),
                "models": dict(result.summary["model"].value_counts().iter_rows()),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
