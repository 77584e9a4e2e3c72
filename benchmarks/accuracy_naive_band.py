"""How wide should the naive's band be on a young history, months ahead?

A series too short to backtest (under 23 days by default) is forecast by the naive (the last
value held) where its last days favour it over the seasonal naive. Its band was a random walk
on the daily changes, sd ``sigma_1 * sqrt(h)``; on fleet demand most of a daily change is the
weekday cycle, which does not accumulate, so two weeks of a fleet's history read a q10 of zero
three months out and ordered 42 racks where 45 days of the same fleet ordered 6. Now, past a
week, the band is at most a random walk on the weekly changes, ``sigma_7 * sqrt(h / 7)``, and
never narrower than six days ahead (``forecasting.models.Naive``).

This scores both bands on the daily peak of the total, the regions and the classes of the
demo's fleet and three 400-day synthetic fleets: the last 14 or 21 days before 8 cut-offs 35
days apart as history, the next 182 days scored (share above q90 and below q10, 10 % nominal
each; pinball loss of q10 and q90 over the history's mean level).

Measured (session 25):

| history | days scored | band | above q90 | below q10 | pinball / level |
|---|---|---|---|---|---|
| 14 days | 1-28 | daily random walk | 3.1 % | 1.9 % | 0.203 |
| | | held to the weekly changes | 5.4 % | 2.4 % | 0.162 |
| | 29-182 | daily random walk | 2.0 % | 0.5 % | 0.449 |
| | | held to the weekly changes | 14.6 % | 0.7 % | 0.278 |
| 21 days | 1-28 | daily random walk | 2.5 % | 1.7 % | 0.205 |
| | | held to the weekly changes | 5.2 % | 2.5 % | 0.165 |
| | 29-182 | daily random walk | 0.9 % | 0.1 % | 0.462 |
| | | held to the weekly changes | 13.9 % | 0.3 % | 0.288 |

Every fleet alike (pinball over the 182 days, 14 days of history): the demo's 0.260 -> 0.165,
the synthetic 0.320 -> 0.233, 0.358 -> 0.243 and 0.405 -> 0.274. The held band is still on the
wide side below (few days under q10) and leans high: the naive holds a growing fleet flat, so
more days land above q90 than below q10. On a true random walk of two weeks the weekly changes
are two independent weeks and the band comes out narrower than its own (0.79x at the median of
40 draws, 0.52x at the tenth percentile); on 400 days, 0.92x at the tenth, 1.0x at the median.

Run as ``PYTHONPATH=. python benchmarks/accuracy_naive_band.py`` (about five minutes).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.accuracy_peak_floor import fleet_hours  # noqa: E402 - after the path insert
from forecasting import demand, synth  # noqa: E402
from forecasting.models import Naive  # noqa: E402

Z90 = 1.2816
HORIZON = 182
PARTS = ((0, 28, "days 1-28"), (28, HORIZON, "days 29-182"))


def fleets() -> list[tuple[str, pl.DataFrame]]:
    """The demo's fleet (cached) and three 400-day synthetic fleets of 12 customers."""
    out = [("demo", fleet_hours(730, 0, Path("/tmp/fleetcast-bench/demo.parquet")))]
    for seed in (0, 1, 2):
        fleet = synth.synthetic_fleet(days=400, customers=12, seed=seed)
        out.append(
            (
                f"synthetic {seed}",
                fleet.telemetry.group_by(
                    pl.col("ts").dt.truncate("1h"), "region", "workload_class", "customer"
                ).agg((pl.col("gpus_running") + pl.col("gpus_queued")).sum().alias("y")),
            )
        )
    return out


def scores(name: str, hourly: pl.DataFrame) -> list[tuple[object, ...]]:
    """One row per (cut-off, history, series, band, part) of one fleet."""
    series = demand.demand_series(hourly).filter(pl.col("measure") == "peak")
    ids = [u for u in series["unique_id"].unique().sort().to_list() if u.count("/") <= 2]
    last = series["ds"].max()
    rows: list[tuple[object, ...]] = []
    for back in (HORIZON + 35 * i for i in range(8)):
        cut = last - timedelta(days=back)
        for days in (14, 21):
            for uid in ids:
                s = series.filter(pl.col("unique_id") == uid).sort("ds")
                past = s.filter(pl.col("ds").is_between(cut - timedelta(days=days - 1), cut))
                ahead = s.filter(pl.col("ds").is_between(cut, cut + timedelta(days=HORIZON)))
                y_past = past["y"].cast(pl.Float64).to_numpy()
                y = ahead["y"].cast(pl.Float64).fill_null(np.nan).to_numpy()[1:]
                if y_past.size < days or y.size < HORIZON or not np.nanmean(y_past) > 0:
                    continue
                model = Naive().fit(y_past)
                daily, kept = model._spread(HORIZON)
                level = float(np.nanmean(y_past))
                for band, sd in (("daily random walk", daily), ("held to the weekly", kept)):
                    q10 = np.maximum(y_past[-1] - Z90 * sd, 0.0)
                    q90 = y_past[-1] + Z90 * sd
                    for lo, hi, part in PARTS:
                        a, b, v = q10[lo:hi], q90[lo:hi], y[lo:hi]
                        ok = np.isfinite(v)
                        a, b, v = a[ok], b[ok], v[ok]
                        pinball = np.maximum(0.1 * (v - a), 0.9 * (a - v)) + np.maximum(
                            0.9 * (v - b), 0.1 * (b - v)
                        )
                        rows.append(
                            (name, days, band, part, float(np.mean(v > b)),
                             float(np.mean(v < a)), float(np.mean(pinball)) / level)
                        )  # fmt: skip
    return rows


def random_walk_ratios(days: int, draws: int = 40) -> np.ndarray:
    """The held band over the daily random walk's, 182 days ahead, on true random walks."""
    ratios = []
    for seed in range(draws):
        walk = np.cumsum(np.random.default_rng(seed).normal(0, 10, days)) + 500
        daily, kept = Naive().fit(walk)._spread(HORIZON)
        ratios.append(kept[-1] / daily[-1])
    return np.array(ratios)


def main() -> int:
    """Score both bands on every fleet; print the means per history, part and band, and what
    holding costs on true random walks."""
    rows = [row for name, hourly in fleets() for row in scores(name, hourly)]
    frame = pl.DataFrame(
        rows,
        schema=["fleet", "history", "band", "part", "above_q90", "below_q10", "pinball"],
        orient="row",
    )
    means = pl.col("above_q90", "below_q10", "pinball").mean()
    with pl.Config(tbl_rows=-1, tbl_cols=-1, float_precision=3, tbl_width_chars=200):
        print(frame.group_by("history", "part", "band").agg(pl.len(), means).sort(pl.all()))
        print(frame.group_by("fleet", "history", "band").agg(means).sort(pl.all()))
    for days in (14, 400):
        low, median, high = np.percentile(random_walk_ratios(days), [10, 50, 100])
        print(f"random walk of {days} days, held / own band: {low:.2f} (10th percentile), "
              f"{median:.2f} (median), {high:.2f} (most)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
