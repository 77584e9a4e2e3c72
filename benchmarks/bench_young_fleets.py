"""Young fleets at the decision horizon: the random walk a series falls back to.

A series with fewer than six 28-day blocks, and every series of a run with under about a year
of history (350 days) (no decision backtest to choose or calibrate a growth model on), is forecast
by the random walk on its level (``growth.LevelRandomWalk``: its mean block step shrunk
toward the run's pooled drift, damped by ``WALK_DAMPING`` a block). Two sets of fleets, each
scored out of sample 182 days after a cut-off by ``decision_backtest``:

1. the test fleets of ``tests/test_longrange.py`` (steady 55 %/yr, halving, flat; eight
   series each) cut to ``--history`` days before the cut-off 2026-05-31, for ``--seeds``:
   pooled MAE ratio to the better baseline, share of days above q90, q50 bias;
2. synthetic fleets (``synth.synthetic_fleet``, ``--customers``) of ``--days`` days ending
   2026-11-22, daily peak of the total and the regions, cut-off 6 months back: per series,
   then the median ratio, median share above q90 and mean bias per fleet length.

3. with ``--widths 300,400,500,600`` (alone): how wide the 36-month plan is on synthetic
   fleets of those lengths (``--seeds``, ``--customers``, default 12 here), as of 2026-11-22:
   per fleet the pooled model and scale, and the widest 36th-month q90 / q50 of the total and
   the regions and of the classes. Nothing scores a band that far out; this shows whether
   it stays within what the history could say.

Run: ``PYTHONPATH=. python benchmarks/bench_young_fleets.py [--history 90,120,150,210,250]
[--days 300,330] [--seeds 0,1,2,3] [--customers 40] [--widths 300,400,500,600]``.
"""

from __future__ import annotations

import argparse
import os
from datetime import timedelta

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import polars as pl
from bench_longrange import END, fleet_peaks, test_fleets

from forecasting import longrange


def test_fleet_rows(histories: list[int], seeds: list[int]) -> pl.DataFrame:
    """Pooled 26-week metrics of each test fleet cut to each history length."""
    t = test_fleets()
    rows = []
    for kind in ("steady", "halving", "flat"):
        for seed in seeds:
            for days in histories:
                fleet = t.built_fleet(kind, seed=seed).filter(
                    pl.col("ds") > t.CUTOFF - timedelta(days=days)
                )
                scores = longrange.decision_backtest(
                    fleet,
                    cutoffs_months_back=(6,),
                    as_of=t.CUTOFF + timedelta(days=t.FUTURE_DAYS),
                )
                m = t.pooled_26_weeks(scores)
                rows.append(
                    {
                        "fleet": kind,
                        "seed": seed,
                        "history_days": days,
                        "model": ",".join(sorted(set(scores["model"]))),
                        "mae_ratio": round(m["mae_ratio"], 3),
                        "above_q90_pct": round(100 * m["exceed_q90"], 1),
                        "bias_pct": round(100 * m["bias"], 1),
                    }
                )
    return pl.DataFrame(rows)


def synthetic_rows(
    lengths: list[int], seeds: list[int], customers: int, *, depth: int = 1
) -> pl.DataFrame:
    """Per series 26-week metrics of young synthetic fleets, cut-off 6 months back (the total
    and the regions; with ``depth`` 2 the classes too)."""
    rows = []
    for days in lengths:
        for seed in seeds:
            peaks = fleet_peaks(days=days, customers=customers, seed=seed, depth=depth)
            scores = longrange.decision_backtest(peaks, cutoffs_months_back=(6,), as_of=END).filter(
                pl.col("horizon_days") == 182
            )
            for r in scores.iter_rows(named=True):
                rows.append(
                    {
                        "days": days,
                        "seed": seed,
                        "series": r["unique_id"],
                        "model": r["model"],
                        "mae_ratio": round(r["mae_ratio"], 2),
                        "above_q90_pct": round(100 * r["exceed_q90"], 1),
                        "bias_pct": round(100 * r["bias"], 1),
                    }
                )
    return pl.DataFrame(rows)


def width_rows(lengths: list[int], seeds: list[int], customers: int) -> pl.DataFrame:
    """The widest 36th-month q90 / q50 per synthetic fleet (module docstring, 3.)."""
    rows = []
    for days in lengths:
        for seed in seeds:
            peaks = fleet_peaks(days=days, customers=customers, seed=seed, depth=2)
            fc = longrange.long_horizon_forecast(peaks, as_of=END)
            last = (
                fc.monthly.filter(pl.col("ds") == pl.col("ds").max())
                .with_columns(
                    ratio=pl.col("q90") / pl.col("q50"),
                    level=pl.col("unique_id").str.count_matches("/") <= 1,
                )
                .group_by("level")
                .agg(pl.col("ratio").max())
            )
            widest = dict(zip(last["level"], last["ratio"], strict=True))
            rows.append(
                {
                    "days": days,
                    "seed": seed,
                    "model": fc.model,
                    "scale": round(fc.scale, 2),
                    "total and regions: widest q90/q50": round(widest.get(True, float("nan")), 1),
                    "classes: widest q90/q50": round(widest.get(False, float("nan")), 1),
                }
            )
    return pl.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", default="90,120,150,210,250")
    parser.add_argument("--days", default="300,330")
    parser.add_argument("--seeds", default="0,1,2,3")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--widths", default="", help="e.g. 300,400,500,600 (alone)")
    parser.add_argument("--classes", action="store_true", help="score the classes too")
    args = parser.parse_args()

    def ints(text: str) -> list[int]:
        return [int(x) for x in text.split(",") if x]

    pl.Config.set_tbl_rows(500)
    pl.Config.set_tbl_hide_dataframe_shape(True)
    if args.widths:
        print("36th month of the plan as of 2026-11-22: widest q90 / q50")
        print(width_rows(ints(args.widths), ints(args.seeds), args.customers or 12))
        return
    args.customers = args.customers or 40
    print("test fleets cut short, cut-off 2026-05-31, 182 days scored (pooled over 8 series)")
    print(test_fleet_rows(ints(args.history), ints(args.seeds)))
    synthetic = synthetic_rows(
        ints(args.days), ints(args.seeds), args.customers, depth=2 if args.classes else 1
    )
    if args.classes:
        classes = synthetic.filter(pl.col("series").str.count_matches("/") == 2)
        print("synthetic fleets, classes: 26 weeks after the cut-off")
        print(
            classes.group_by("days")
            .agg(
                pl.col("mae_ratio").median().alias("median MAE ratio"),
                pl.col("above_q90_pct").median().alias("median % above q90"),
                pl.col("above_q90_pct").mean().alias("mean % above q90"),
                pl.col("bias_pct").abs().median().alias("median |bias| %"),
            )
            .sort("days")
        )
        synthetic = synthetic.filter(pl.col("series").str.count_matches("/") <= 1)
    print("synthetic fleets, total and regions, cut-off 6 months before 2026-11-22")
    print(synthetic)
    print(
        synthetic.group_by("days")
        .agg(
            pl.col("mae_ratio").median().alias("median MAE ratio"),
            pl.col("above_q90_pct").median().alias("median % above q90"),
            pl.col("bias_pct").mean().alias("mean bias %"),
        )
        .sort("days")
    )


if __name__ == "__main__":
    main()
