"""Should a young customer's idle last day be held at zero?

A series too short to backtest (under 23 days) is forecast by the seasonal naive, or by the
naive where the naive erred less on its last week; the naive holds the last day. A customer busy
on most days whose last day read zero was held at zero for the whole horizon, "as if it
stopped", though the stop rule (``forecasting.shifts.stopped_days``) wants 14 idle days. Since
session 60 one idle last day after a busy day, on a series busy on most days, goes to the
seasonal naive instead (``forecasting.forecast._holds_idle_zero``).

This takes every customer of ``SEEDS`` synthetic young fleets (``synth --days 28 --customers
20``; every customer its own series, the mean measure), cuts each to its first 15 days (from its
first day of demand; 8 days at least), keeps those the naive would hold at zero (the last day
zero after demand on most days, and the naive chosen on its last week's errors), and scores the
13 days after on four point forecasts: zero (the naive held), the seasonal naive, the mean of
the last 7 days and the last busy day held, by the idle days at the end.

Measured (session 60, 80 fleets), MAE summed over the series (GPUs a day):

| idle days at the end | series | zero | seasonal naive | mean of 7 days | last busy day |
|---|---|---|---|---|---|
| 1 | 24 | 2,048 | 623 | 600 | 610 |
| 2 | 14 | 921 | 978 | 587 | 946 |
| 3-6 | 78 | 900 | 1,645 | 1,471 | 2,526 |
| 7+ | 240 | 3,182 | 3,182 | 3,182 | 8,602 |

One idle day: the seasonal naive erred less on 11 of the 24 series, by far on the large ones
(summed, 70 % less); held at zero the small ones erred less. Two idle days and more were
better held at zero than repeated by the seasonal naive, so the rule is one day. The mean of
the last 7 days did as well on one day and best on two; it is no model of
``forecasting.models`` yet (no band, no paths), so not used.

Run as ``PYTHONPATH=. python benchmarks/accuracy_idle_last_day.py`` (about a minute).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecasting import demand, shifts, synth  # noqa: E402 - after the path insert
from forecasting.forecast import ForecastSettings, _fallback, _point  # noqa: E402

SEEDS = 80
HISTORY = 15
AHEAD = 13


def customer_series(seed: int) -> pl.DataFrame:
    """Every customer's daily mean demand of one 28-day synthetic fleet."""
    fleet = synth.synthetic_fleet(days=HISTORY + AHEAD, customers=20, seed=seed)
    hourly = fleet.telemetry.group_by(
        pl.col("ts").dt.truncate("1h"), "region", "workload_class", "customer"
    ).agg((pl.col("gpus_running") + pl.col("gpus_queued")).sum().alias("y"))
    series = demand.demand_series(hourly, customers_per_class=100)
    return series.filter(
        (pl.col("unique_id").str.count_matches("/") == 3) & (pl.col("measure") == "mean")
    )


def idle_days(y: np.ndarray) -> int:
    """The zeros that end ``y`` after its last day of demand."""
    return int(y.size - 1 - np.flatnonzero(y > 0)[-1])


def scores(seed: int) -> list[dict[str, object]]:
    """One row per customer of one fleet whose naive would hold an idle end at zero."""
    rows: list[dict[str, object]] = []
    settings = ForecastSettings(horizon_days=AHEAD)
    for (uid,), s in customer_series(seed).group_by("unique_id"):
        full = s.sort("ds")["y"].cast(pl.Float64).fill_null(0.0).to_numpy()
        if full.size < HISTORY + AHEAD:
            continue
        y, future = full[:HISTORY], full[HISTORY : HISTORY + AHEAD]
        started = np.flatnonzero(y > 0)
        if started.size == 0 or HISTORY - started[0] < 8 or y[-1] != 0:
            continue
        y = y[started[0] :]
        # The naive won on its last week (or was overridden for its one idle day).
        name, why = _fallback(y, settings)
        if name != "naive" and "not the naive" not in why:
            continue
        if not shifts.busy_before_idle(y):
            continue
        points = {
            "zero": np.zeros(AHEAD),
            "seasonal naive": _point("seasonal_naive", y, AHEAD),
            "mean of 7 days": np.full(AHEAD, y[-7:].mean()),
            "last busy day": np.full(AHEAD, y[np.flatnonzero(y > 0)[-1]]),
        }
        rows.append(
            {"seed": seed, "unique_id": uid, "idle": idle_days(y)}
            | {k: float(np.mean(np.abs(p - future))) for k, p in points.items()}
        )
    return rows


def main() -> int:
    rows = [r for seed in range(1, SEEDS + 1) for r in scores(seed)]
    frame = pl.DataFrame(rows).with_columns(
        bucket=pl.when(pl.col("idle") <= 2)
        .then(pl.col("idle").cast(pl.String))
        .when(pl.col("idle") <= 6)
        .then(pl.lit("3-6"))
        .otherwise(pl.lit("7+"))
    )
    names = ["zero", "seasonal naive", "mean of 7 days", "last busy day"]
    table = (
        frame.group_by("bucket")
        .agg(pl.len().alias("series"), *(pl.col(n).sum() for n in names))
        .sort("bucket")
    )
    for row in table.iter_rows(named=True):
        figures = " | ".join(f"{row[n]:,.0f}" for n in names)
        print(f"| {row['bucket']} | {row['series']} | {figures} |")
    one = frame.filter(pl.col("idle") == 1)
    better = int((one["seasonal naive"] < one["zero"]).sum())
    print(f"one idle day: the seasonal naive erred less on {better} of {one.height} series")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
