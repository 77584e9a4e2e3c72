"""How far a region silent for its last days moves its own plan (tests/test_silent_region.py).

On a synthetic fleet (``synth.synthetic_fleet(days=..., seed=...)``, hourly demand cached as
Parquet under ``--cache``), the region's hourly rows of its last ``--silent`` days are dropped
(the other regions keep reporting) and the plan is made again: the growth calls of every region
and class (``horizon.grow``, both measures, 36 months), or with ``--forecast`` the whole run
(``forecast_all`` to 182 days, then ``extend_horizon`` to 36 months). Prints, as JSON, the
largest relative move of the region's own rows (itself and its classes; daily and monthly;
mean, q10, q50, q90) against a reference run: ``whole`` (every region reporting: what its
unreported days would have said is in the move) or ``cut`` (every region cut at the silent
region's last reported day, as that day's run planned it: only what the other regions' extra
days carry through the pool is in the move).

Run as ``python benchmarks/bench_silent_plan.py [--days 120] [--seed 7] [--silent 3]
[--region us-west] [--reference whole|cut] [--forecast]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import polars as pl

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecasting import demand, synth  # noqa: E402 - after the path insert
from forecasting.forecast import ForecastSettings, forecast_all  # noqa: E402
from forecasting.horizon import extend_horizon, grow  # noqa: E402

_KEYS = ["unique_id", "measure", "ds"]
_VALUES = ["mean", "q10", "q50", "q90"]


def _hourly(days: int, seed: int, cache: Path) -> pl.DataFrame:
    """The synthetic fleet's hourly demand (ts, region, class, customer, y), cached."""
    path = cache / f"fleet-{days}d-seed{seed}.parquet"
    if path.is_file():
        return pl.read_parquet(path)
    fleet = synth.synthetic_fleet(days=days, seed=seed)
    hourly = fleet.telemetry.group_by(
        pl.col("ts").dt.truncate("1h"), "region", "workload_class", "customer"
    ).agg((pl.col("gpus_running") + pl.col("gpus_queued")).sum().alias("y"))
    path.parent.mkdir(parents=True, exist_ok=True)
    hourly.write_parquet(path)
    return hourly


def _plan(hourly: pl.DataFrame, *, full: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The plan's daily and monthly rows (unique_id, measure, ds, mean, quantiles)."""
    series = demand.demand_series(hourly, customers_per_class=10)
    as_of = series["ds"].max()
    if full:
        result = forecast_all(series, settings=ForecastSettings(horizon_days=182))
        extended = extend_horizon(series, result, as_of=as_of, months=36)  # type: ignore[arg-type]
        return extended.result.forecast, extended.months
    grown = grow(series, as_of=as_of, months=36, daily_days=182, measure_accuracy=False)  # type: ignore[arg-type]
    daily, monthly = (
        pl.concat(
            getattr(call, grain).with_columns(pl.lit(measure).alias("measure"))
            for measure, call in grown.calls.items()
        )
        for grain in ("daily", "monthly")
    )
    return daily, monthly


def _moves(before: pl.DataFrame, after: pl.DataFrame, region: str) -> dict[str, float]:
    """The largest relative move of each value over the region's and its classes' shared rows,
    signed as it moved."""
    own = pl.col("unique_id").str.starts_with(f"total/{region}") & (
        pl.col("unique_id").str.count_matches("/") <= 2
    )
    pairs = (
        before.filter(own)
        .select(*_KEYS, *_VALUES)
        .join(after.filter(own).select(*_KEYS, *_VALUES), on=_KEYS, suffix="_after")
    )
    moved = pairs.select((pl.col(f"{c}_after") / pl.col(c) - 1).alias(c) for c in _VALUES)
    return {c: round(float(moved.sort(pl.col(c).abs())[c][-1]), 4) for c in _VALUES}


def main() -> int:
    """Plan the fleet with the region silent and the reference; print the moves as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--silent", type=int, default=3)
    parser.add_argument("--region", default="us-west")
    parser.add_argument("--reference", choices=("whole", "cut"), default="whole")
    parser.add_argument("--forecast", action="store_true", help="the whole run, not growth only")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fleetcast-bench"))
    args = parser.parse_args()
    hourly = _hourly(args.days, args.seed, args.cache)
    last = hourly["ts"].max()
    assert last is not None
    first_silent = last.date() - timedelta(days=args.silent - 1)
    day = pl.col("ts").dt.date()
    silent = hourly.filter(~((pl.col("region") == args.region) & (day >= first_silent)))
    reference = hourly if args.reference == "whole" else hourly.filter(day < first_silent)
    before, after = (_plan(h, full=args.forecast) for h in (reference, silent))
    print(
        json.dumps(
            {
                "days": args.days,
                "seed": args.seed,
                "silent": args.silent,
                "region": args.region,
                "reference": args.reference,
                "daily": _moves(before[0], after[0], args.region),
                "monthly": _moves(before[1], after[1], args.region),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
