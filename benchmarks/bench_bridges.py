"""Bridges to a newer generation on random plans: capital with them against without, and time.

One region of 10,000 live H100 GPUs, demand growing 10-100 %/yr for one, two or three years,
two candidates: a 10-week H100 rack ($33k per GPU) and a GB200 cell (512, 2,048 or 8,192
GPUs at 2.5 H100-equivalents, 32, 60 or 90 weeks, $12k-30k per H100-equivalent). Each plan
is triggered with bridges (``expansion_triggers`` as it is) and without (``chosen_bridge``
patched to propose none); the figures are every order's capex with bridges over without,
the run time with over without, in the same run, and how many plans wait to order the newer
blocks (of waits up to 13 weeks, one costs less than, or as little as, ordering today). A
pool takes its bridges only where its region's plan costs less with them, so no plan may
come out dearer.

Run as ``PYTHONPATH=. python benchmarks/bench_bridges.py [--plans 400]``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date, timedelta
from unittest import mock

import numpy as np
import polars as pl

from forecasting import triggers
from forecasting.capacity import CapacityPlan
from forecasting.schema import FORECAST_SCHEMA, WorkloadClass
from forecasting.triggers import rows

AS_OF = date(2026, 1, 5)
TYPES = {"H100": {"h100_equivalent": 1.0, "generation": 1},
         "GB200": {"h100_equivalent": 2.5, "generation": 2}}  # fmt: skip


def random_case(seed: int) -> tuple[CapacityPlan, pl.DataFrame]:
    """One random two-generation plan and its region's forecast (peak and mean alike)."""
    rng = random.Random(seed)
    gpus = rng.choice([512, 2048, 8192])
    cell = {"name": "cell", "kind": "cell", "gpu_type": "GB200", "gpus": gpus,
            "mw": gpus * 0.0018, "lead_time_weeks": rng.choice([32, 60, 90]),
            "capex_usd": gpus * 2.5 * rng.uniform(12e3, 30e3), "fabric": True}  # fmt: skip
    rack = {"name": "rack", "kind": "rack", "gpu_type": "H100", "gpus": 256, "mw": 0.384,
            "lead_time_weeks": 10, "capex_usd": 8.448e6}  # fmt: skip
    live = {"id": "live", "kind": "rack", "region": "r1", "site": "s1", "gpu_type": "H100",
            "gpus": 10_000, "mw": 0.5, "status": "live"}  # fmt: skip
    policy = {c.value: {"tier": c.value, "priority": i + 1, "headroom": 0.2}
              for i, c in enumerate(WorkloadClass)}  # fmt: skip
    plan = CapacityPlan.model_validate(
        {"policy": policy, "gpu_type": TYPES, "block": [live], "candidate": [rack, cell]}
    )
    growth = rng.uniform(0.1, 1.0)
    values = 7000 * np.exp(growth * np.arange(rng.choice([365, 730, 1095])) / 365)
    days = [AS_OF + timedelta(days=i) for i in range(len(values))]
    columns = dict.fromkeys(("mean", "q10", "q50", "q90", "q99"), values)
    frames = [
        pl.DataFrame(
            {
                "run_id": "bench",
                "unique_id": "total/r1",
                "ds": days,
                "measure": measure,
                "model": "bench",
                **columns,
            },
            schema=FORECAST_SCHEMA,
        )
        for measure in ("peak", "mean")
    ]
    return plan, pl.concat(frames)


def capex_and_seconds(plan: CapacityPlan, forecast: pl.DataFrame) -> tuple[float, float, bool]:
    """Every order's capex, the wall time of one trigger run, and whether a bridged pool waits
    to order its newer blocks (cheaper than ordering them today)."""
    started = time.perf_counter()
    result = triggers.expansion_triggers(forecast, plan, as_of=AS_OF)
    seconds = time.perf_counter() - started
    waits = result.triggers["note"].str.contains("ordered no sooner than", literal=True).any()
    return float(result.placements["capex_usd"].sum()), seconds, bool(waits)


def main() -> None:
    """Trigger every random plan with and without bridges and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=400)
    args = parser.parse_args()
    ratios, with_s, without_s, waiting = [], 0.0, 0.0, 0
    for seed in range(args.plans):
        plan, forecast = random_case(seed)
        bridged, seconds, waits = capex_and_seconds(plan, forecast)
        with_s += seconds
        waiting += waits
        # rows looks chosen_bridge up when it builds a pool's row: patched there, not on the
        # package (which has no such name since the split: the run stopped on AttributeError).
        with mock.patch.object(rows, "chosen_bridge", return_value=None):
            plain, seconds, _ = capex_and_seconds(plan, forecast)
        without_s += seconds
        ratios.append(bridged / plain if plain else 1.0)
    r = np.array(ratios)
    print(
        json.dumps(
            {
                "plans": r.size,
                "cheaper_share": round(float(np.mean(r < 1 - 1e-9)), 3),
                "dearer_share": round(float(np.mean(r > 1 + 1e-9)), 3),
                "median_ratio_where_cheaper": round(float(np.median(r[r < 1 - 1e-9])), 3)
                if (r < 1 - 1e-9).any()
                else None,
                "lowest_ratio": round(float(r.min()), 3),
                "highest_ratio": round(float(r.max()), 3),
                "plans_waiting_to_order_the_newer_blocks": waiting,
                "time_with_over_without": round(with_s / without_s, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
