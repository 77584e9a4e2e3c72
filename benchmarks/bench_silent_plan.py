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

With ``--as-of-moves 90,120,180`` (and ``--seeds 1,2,7``, ``--earlier 1,2,3,7``): how far a
young fleet's plan moves from one as-of day to the next, every region reporting. Each fleet is
planned (growth calls, 36 months) as of its last day and as of 1, 2, 3, 7 days earlier (its
telemetry cut there); per fleet and days earlier, the move of every region's and class's
monthly mean, q10, q50 and q90 at 6, 12, 24 and 36 months after the month of the as-of day
(``|later / earlier - 1|``): the median and the largest over those rows, and the row that
moved most. A plan should move by about what the new days say.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime, timedelta
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


_AT_MONTHS = (6, 12, 24, 36)


def _month_rows(hourly: pl.DataFrame, last: date, *, months_of: date) -> pl.DataFrame:
    """The plan's monthly rows of every region and class (not the customers, not the total)
    as of ``last`` (telemetry cut there), at ``_AT_MONTHS`` months after ``months_of``'s
    month (the later plan's, so both plans' rows are the same calendar months)."""
    cut = hourly.filter(pl.col("ts").dt.date() <= last)
    _daily, monthly = _plan(cut, full=False)
    start = months_of.replace(day=1)
    wanted = [
        start.replace(
            year=start.year + (start.month - 1 + k) // 12, month=(start.month - 1 + k) % 12 + 1
        )
        for k in _AT_MONTHS
    ]
    return monthly.filter(
        pl.col("ds").is_in(wanted)
        & pl.col("unique_id").str.starts_with("total/")
        & (pl.col("unique_id").str.count_matches("/") <= 2)
    ).with_columns(
        ((pl.col("ds").dt.year() - start.year) * 12 + pl.col("ds").dt.month() - start.month).alias(
            "months"
        )
    )


def as_of_moves(days: list[int], seeds: list[int], earlier: list[int], cache: Path) -> pl.DataFrame:
    """Per fleet (days, seed) and days earlier: the median and largest move of the regions' and
    classes' monthly rows at 6-36 months, the later plan against the earlier one."""
    rows = []
    for n in days:
        for seed in seeds:
            hourly = _hourly(n, seed, cache)
            last_ts = hourly["ts"].max()
            assert isinstance(last_ts, datetime)
            last = last_ts.date()
            later = _month_rows(hourly, last, months_of=last)
            for back in earlier:
                before = _month_rows(hourly, last - timedelta(days=back), months_of=last)
                pairs = before.join(later, on=["unique_id", "measure", "months"], suffix="_l")
                moved = pairs.select(
                    "unique_id",
                    "measure",
                    "months",
                    *((pl.col(f"{c}_l") / pl.col(c) - 1).abs().alias(c) for c in _VALUES),
                ).unpivot(index=["unique_id", "measure", "months"])
                if moved.is_empty():
                    # 90 days cut by 7 leaves two blocks: a run where no series has three is
                    # not planned past its daily days, so there is no month to compare.
                    print(
                        json.dumps(
                            {
                                "days": n,
                                "seed": seed,
                                "earlier": back,
                                "max": "not measured (no monthly plan)",
                            }
                        ),
                        flush=True,
                    )
                    continue
                worst = moved.sort("value", descending=True, nulls_last=True).row(0, named=True)
                med = {
                    c: float(moved.filter(pl.col("variable") == c)["value"].median() or 0.0)
                    for c in _VALUES
                }
                rows.append(
                    {
                        "days": n,
                        "seed": seed,
                        "earlier": back,
                        **{f"median_{c}": round(v, 4) for c, v in med.items()},
                        "median_all": round(float(moved["value"].median() or 0.0), 4),
                        "max": round(float(worst["value"]), 4),
                        "worst_row": f"{worst['unique_id']} {worst['measure']} "
                        f"{worst['variable']} +{worst['months']}m",
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    return pl.DataFrame(rows)


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
    parser.add_argument("--as-of-moves", default="", help="fleet lengths, e.g. 90,120,180")
    parser.add_argument("--seeds", default="1,2,7")
    parser.add_argument("--earlier", default="1,2,3,7")
    args = parser.parse_args()
    if args.as_of_moves:

        def ints(text: str) -> list[int]:
            return [int(v) for v in text.split(",") if v]

        table = as_of_moves(
            ints(args.as_of_moves), ints(args.seeds), ints(args.earlier), args.cache
        )
        with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, fmt_str_lengths=60):
            print(table)
            print(
                table.group_by("days", "earlier")
                .agg(pl.col("median_all").median(), pl.col("max").max())
                .sort("days", "earlier")
            )
        return 0
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
