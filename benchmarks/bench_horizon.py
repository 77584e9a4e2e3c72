"""What the plan past the lead times costs: the horizon extension against the forecast step.

On the demo's synthetic fleet (730 days, 200 customers, seed 0; hourly demand cached as in
``bench_forecast_ab.py``), times ``forecast_all`` with the CLI's defaults and then
``extend_horizon`` to 36 months (growth models on every region and class, both measures, and
the 26-week decision backtest of the total and regions), in one process, as CPU seconds
(``time.process_time``, all threads) and wall seconds. The figure is the ratio: issue 16 asks
that the 36-month plan add no more than 30 % to the forecast step. The demo's forecast step
fans the series out over the cores while the extension runs in one process, so on 2 cores its
share of the demo's wall time is about twice the CPU ratio (also printed).

Run as ``python benchmarks/bench_horizon.py [--customers-per-class N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_forecast_ab import hourly_demand  # noqa: E402 - after the path insert
from forecasting import demand  # noqa: E402
from forecasting.forecast import ForecastSettings, forecast_all  # noqa: E402
from forecasting.horizon import extend_horizon  # noqa: E402


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
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
