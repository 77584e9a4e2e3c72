"""How far out the monthly peak rows hold: regions, classes and customers against each month's
busiest day.

Past the daily days a plan is monthly rows (``forecast_months``, the peak measure: each month's
busiest day). This forecasts a synthetic fleet (730 days; the demo's, 200 customers, seed 0, by
default, or ``--seed N`` for another of 60 customers) as of several cut-offs, 182 daily days
and 12 months, and scores the monthly peak rows of months starting 91 or more days after the
cut-off with at least 28 days of actual demand, per level: WAPE of the median, its bias (over
the actual sum), how often the actual month is above q90 and below q10, the pinball loss of q10
and q90 (over the actual sum), and how many rows read zero beside demand. With ``--daily``,
the daily peak rows 91-182 days after the cut-off instead, against each day's actual peak (the
days the 26-week backtest scores together with days 1-90, and where the regions' band misses
most).

Run as ``PYTHONPATH=. python benchmarks/accuracy_customer_months.py [--cutoffs 182,273,364]
[--seed N] [--daily | --both] [--known-only] [--short-cache DIR] [--rows FILE]`` (about a minute
per cut-off on 2 cores). ``--both`` prints the monthly and the daily table off one forecast per
cut-off; ``--short-cache DIR`` keeps each cut-off's daily forecast and growth calls (which the
customer steps of ``extend_horizon`` do not change) in DIR, so a rerun under other customer
code only reruns the extension (delete DIR after changing the short models or growth fits);
``--rows FILE`` writes every scored row (Parquet) for a per-series look.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_forecast_ab import hourly_demand  # noqa: E402 - after the path insert
from forecasting import demand, hierarchy, synth  # noqa: E402
from forecasting.forecast import ForecastSettings, forecast_all  # noqa: E402
from forecasting.horizon import extend_horizon, grow  # noqa: E402

LEVELS = {0: "total", 1: "region", 2: "class", 3: "customer"}
FIRST_LEAD = 91
MONTH_DAYS = 28


def fleet_demand(seed: int | None, cache: Path) -> pl.DataFrame:
    """Hourly demand (ts, region, workload_class, customer, y): the demo fleet's, or a
    60-customer synthetic fleet of ``seed``, cached as Parquet beside ``cache``."""
    if seed is None:
        return hourly_demand(cache)
    path = cache.with_name(f"seed{seed}.parquet")
    if not path.is_file():
        fleet = synth.synthetic_fleet(days=730, customers=60, seed=seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        fleet.telemetry.group_by(
            pl.col("ts").dt.truncate("1h"), "region", "workload_class", "customer"
        ).agg((pl.col("gpus_running") + pl.col("gpus_queued")).sum().alias("y")).write_parquet(path)
    return pl.read_parquet(path)


def scored_months(
    series: pl.DataFrame,
    back: int,
    *,
    daily: bool = False,
    known_only: bool = False,
    short_cache: Path | None = None,
) -> pl.DataFrame:
    """Monthly peak rows as of ``back`` days before the last day, months starting
    ``FIRST_LEAD``+ days out, joined to each month's actual busiest day (y); with ``daily``,
    the daily peak rows ``FIRST_LEAD``+ days out joined to each day's actual peak. With
    ``known_only``, only series busy on some day by the cut-off: the series are built from the
    whole fleet's telemetry, so a customer that arrives after the cut-off is a named series of
    zeros in the history, a customer no run at the cut-off would know of."""
    return scored_both(series, back, known_only=known_only, short_cache=short_cache)[
        "daily" if daily else "monthly"
    ]


def scored_both(
    series: pl.DataFrame, back: int, *, known_only: bool = False, short_cache: Path | None = None
) -> dict[str, pl.DataFrame]:
    """:func:`scored_months`' monthly and daily rows off one forecast (``"monthly"``,
    ``"daily"``); with ``short_cache``, the cut-off's daily forecast and growth calls read
    from (or written to) that folder."""
    cut = series["ds"].max() - timedelta(days=back)
    history = series.filter(pl.col("ds") <= cut)
    cached = None if short_cache is None else short_cache / f"short_{back}.pickle"
    if cached is not None and cached.is_file():
        result, grown = pickle.loads(cached.read_bytes())
    else:
        result = forecast_all(history, settings=ForecastSettings(horizon_days=182))
        grown = grow(history, as_of=cut, months=12, daily_days=182, measure_accuracy=False)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(pickle.dumps((result, grown)))
    extended = extend_horizon(
        history, result, as_of=cut, months=12, measure_accuracy=False, grown=grown
    )
    out = {
        grain: _scored(
            series,
            extended.months,
            extended.result.forecast,
            cut,
            back,
            daily=grain == "daily",
        )
        for grain in ("monthly", "daily")
    }
    if known_only:
        known = history.filter(pl.col("y") > 0).select("unique_id").unique()
        out = {grain: rows.join(known, on="unique_id", how="semi") for grain, rows in out.items()}
    return out


def _scored(
    series: pl.DataFrame,
    months: pl.DataFrame,
    forecast: pl.DataFrame,
    cut: date,
    back: int,
    *,
    daily: bool,
) -> pl.DataFrame:
    """The peak rows of a run cut at ``cut`` joined to what happened (:func:`scored_months`)."""
    if daily:
        days = series.filter(pl.col("measure") == "peak").select("unique_id", "ds", "y")
        return (
            forecast.filter(pl.col("measure") == "peak")
            .join(days, on=["unique_id", "ds"])
            .filter((pl.col("ds") - pl.lit(cut)).dt.total_days() >= FIRST_LEAD)
            .with_columns(hierarchy.depth().alias("depth"), pl.lit(back).alias("back"))
        )
    actual = (
        series.filter((pl.col("ds") > cut) & (pl.col("measure") == "peak"))
        .group_by("unique_id", pl.col("ds").dt.truncate("1mo"))
        .agg(pl.col("y").max(), pl.len().alias("days"))
    )
    return (
        months.filter(pl.col("measure") == "peak")
        .join(actual, on=["unique_id", "ds"])
        .filter(
            ((pl.col("ds") - pl.lit(cut)).dt.total_days() >= FIRST_LEAD)
            & (pl.col("days") >= MONTH_DAYS)
        )
        .with_columns(hierarchy.depth().alias("depth"), pl.lit(back).alias("back"))
    )


def _pinball(level: float, column: str) -> pl.Expr:
    """Each row's pinball (quantile) loss of ``column`` at ``level`` against ``y``."""
    miss = pl.col("y") - pl.col(column)
    return pl.max_horizontal(level * miss, (level - 1) * miss)


def _table(rows: pl.DataFrame, *, daily: bool) -> pl.DataFrame:
    """One row per cut-off and level: WAPE and bias of the q50, how often above q90 and below
    q10, q10 and q90 pinball (over the actual sum), and zeros beside demand."""
    error = pl.col("q50") - pl.col("y")
    return (
        rows.group_by("back", "depth")
        .agg(
            pl.len().alias("days" if daily else "months"),
            (error.abs().sum() / pl.col("y").sum()).round(3).alias("wape_q50"),
            (error.sum() / pl.col("y").sum()).round(3).alias("bias_q50"),
            (pl.col("y") > pl.col("q90")).mean().round(3).alias("above_q90"),
            (pl.col("y") < pl.col("q10")).mean().round(3).alias("below_q10"),
            *(
                (_pinball(q, f"q{round(q * 100)}").sum() / pl.col("y").sum())
                .round(4)
                .alias(f"pinball_q{round(q * 100)}")
                for q in (0.1, 0.9)
            ),
            ((pl.col("q50") <= 0) & (pl.col("y") > 0)).sum().alias("zero_beside_demand"),
        )
        .sort("back", "depth")
        .with_columns(pl.col("depth").replace_strict(LEVELS).alias("level"))
        .drop("depth")
    )


def main() -> int:
    """Score every cut-off and print one row per cut-off and level (a table per grain)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cutoffs", default="182,273,364")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--daily", action="store_true")
    parser.add_argument(
        "--both", action="store_true", help="the monthly and the daily table off one forecast"
    )
    parser.add_argument(
        "--known-only",
        action="store_true",
        help="score only series busy on some day by the cut-off (not customers arriving after it)",
    )
    parser.add_argument("--customers-per-class", type=int, default=10)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fleetcast-bench/demo.parquet"))
    parser.add_argument(
        "--short-cache",
        type=Path,
        default=None,
        help="folder keeping each cut-off's daily forecast and growth calls for reruns",
    )
    parser.add_argument("--rows", type=Path, default=None, help="write the scored rows (Parquet)")
    args = parser.parse_args()
    series = demand.demand_series(
        fleet_demand(args.seed, args.cache), customers_per_class=args.customers_per_class
    )
    grains = ["monthly", "daily"] if args.both else ["daily" if args.daily else "monthly"]
    scored = [
        scored_both(series, int(b), known_only=args.known_only, short_cache=args.short_cache)
        for b in args.cutoffs.split(",")
    ]
    for grain in grains:
        rows = pl.concat([by_grain[grain] for by_grain in scored])
        if args.rows is not None:
            name = args.rows if len(grains) == 1 else args.rows.with_suffix(f".{grain}.parquet")
            rows.write_parquet(name)
        print(grain)
        with pl.Config(tbl_rows=-1, tbl_cols=-1):
            print(_table(rows, daily=grain == "daily"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
