"""Long-horizon forecasts: time per call, and the 26-week decision metrics on the synthetic fleet.

1. Time: ``long_horizon_forecast`` on ``--series`` daily series of ``--days`` days (seeded:
   compounding growth between 0 and 80 %/yr in logs, a weekly cycle, a level wandering as an
   AR(1), 4 % daily noise), 36 monthly peaks and 182 daily days ahead, including its internal
   decision backtests (cut-offs 6 and 12 months back). One process, ``OPENBLAS_NUM_THREADS=1``.
2. Metrics: the synthetic demo fleet (``synthetic_fleet(days=730, customers=200, seed=0,
   end=2026-11-22)``), daily peak-hour demand of the total and the three regions, scored out of
   sample by ``decision_backtest`` at cut-offs 6 and 12 months before 2026-11-22 (each cut-off
   runs the whole method on its own history, which chooses and calibrates on its own earlier
   cut-offs), over 182 days and, from the 12-month cut-off, 364 days. Columns: the chosen model
   and interval scale, MAE of the q50 over the MAE of the seasonal naive (last week repeated)
   and of a log-linear trend through the last 180 days, q10-q90 coverage, share of days above
   q90 and q50 bias (sum(q50 - actual) / sum(actual)).
3. With ``--test-fleets``: the three fleets of ``tests/test_longrange.py`` (steady, halving,
   flat; eight series each) for each of ``--seeds``, scored out of sample at the cut-off
   2026-05-31 over 182 days as the tests score them: pooled MAE ratio to the better baseline,
   share of days above q90, q50 bias, whether the three targets are met, and the model and
   scale the method chose.

4. With ``--cutoff-misses`` (alone): for the test fleets of ``--seeds``, what the interval scale
   was fitted on when each was forecast at its scored cut-off: per internal backtest cut-off
   (6 and 12 months earlier) the day-weighted mean q50 miss of its windows in logs (positive:
   demand above the q50) and how many of its series missed to that side; the scale fitted
   (every miss read as spread), and the scale fitted around the miss both cut-offs share (the
   smaller of two same-signed cut-off means, else none), which the method does not use
   (benchmarks/longrange_findings.md, session 44).

5. With ``--scale-sweep`` (alone): for the test fleets of ``--seeds``, the share of days above
   q90 at 26 weeks with the scored cut-off's interval scale held at each of ``SWEEP_SCALES``
   instead of the one its backtests fitted (the q50, MAE and bias do not depend on it), and
   the range of scales that would put it within 5-15 %: whether a fleet-seed's miss is one a
   calibration could fix at all (benchmarks/longrange_findings.md, session 50).

6. With ``--synthetic-seeds 0-39`` (alone): the method on that many demo-size synthetic fleets
   (730 days, 200 customers, one seed each), cut-off ``--cutoff-months`` (6) months back: per
   level the geometric mean MAE ratios, the mean share of days above q90 and the median |bias|.
   At 9 or 12 the method sees a year to 18 months of history: one internal backtest cut-off.
   With ``--classes`` each call holds the regions and their classes, as the plan forecasts
   them (no total), and the table has a row per level.

Run: ``PYTHONPATH=. python benchmarks/bench_longrange.py [--series 100] [--days 730]
[--test-fleets] [--seeds 0,1,2] [--cutoff-misses] [--scale-sweep]
[--synthetic-seeds 0-39 [--cutoff-months 12] [--classes]]
[--out benchmarks/results/longrange.json]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import polars as pl

from forecasting import demand, longrange, synth

END = date(2026, 11, 22)


def growth_series(n_series: int, days: int, *, seed: int = 0) -> pl.DataFrame:
    """``n_series`` seeded daily series ending on ``END`` (module docstring)."""
    rng = np.random.default_rng(seed)
    dates = [END - timedelta(days=days - 1 - k) for k in range(days)]
    weekday = np.array([1.0, 1.02, 1.03, 1.02, 1.0, 0.9, 0.88])[[d.weekday() for d in dates]]
    frames = []
    for i in range(n_series):
        growth = rng.uniform(0.0, 0.8) / 365
        shocks = rng.normal(0, 0.01, days)
        wander = np.zeros(days)
        for j in range(1, days):
            wander[j] = 0.97 * wander[j - 1] + shocks[j]
        y = rng.uniform(100, 5000) * np.exp(
            growth * np.arange(days) + wander + rng.normal(0, 0.04, days)
        )
        frames.append(pl.DataFrame({"unique_id": f"s{i:04d}", "ds": dates, "y": y * weekday}))
    return pl.concat(frames)


def fleet_peaks(
    *, days: int = 730, customers: int = 200, seed: int = 0, depth: int = 1
) -> pl.DataFrame:
    """A synthetic fleet's daily peak demand of the total and the regions (default: the demo's),
    and with ``depth`` 2 of the classes too."""
    fleet = synth.synthetic_fleet(days=days, customers=customers, seed=seed, end=END)
    hourly = fleet.telemetry.select(
        "ts",
        "region",
        "workload_class",
        "customer",
        (pl.col("gpus_running") + pl.col("gpus_queued")).alias("y"),
    )
    series = demand.demand_series(hourly, customers_per_class=3)
    return series.filter(
        pl.col("measure") == "peak", pl.col("unique_id").str.count_matches("/") <= depth
    ).select("unique_id", "ds", "y")


def metric_table(scores: pl.DataFrame) -> str:
    """The scores as a Markdown table, one row per series, cut-off and horizon."""
    head = (
        "| series | cut-off | days | model | scale | MAE / seasonal naive | MAE / log-linear "
        "| q10-q90 coverage | above q90 | q50 bias |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in scores.sort("horizon_days", "cutoff", "unique_id").iter_rows(named=True):
        lines.append(
            f"| {r['unique_id']} | {r['cutoff']} | {r['horizon_days']} | {r['model']} "
            f"| {r['scale']:.2f} | {r['mae'] / r['mae_seasonal_naive']:.2f} "
            f"| {r['mae'] / r['mae_log_linear']:.2f} | {r['coverage_80']:.0%} "
            f"| {r['exceed_q90']:.0%} | {r['bias']:+.1%} |"
        )
    return "\n".join(lines)


def test_fleets() -> ModuleType:
    """tests/test_longrange.py, whose ``built_fleet`` builds the test fleets."""
    # The fleets are defined once, by the tests that hold the method to its targets; loaded by
    # path because tests/ is not a package.
    spec = importlib.util.spec_from_file_location(
        "test_longrange", Path(__file__).resolve().parent.parent / "tests" / "test_longrange.py"
    )
    assert spec is not None and spec.loader is not None, "tests/test_longrange.py is missing"
    fleets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fleets)
    return fleets


def test_fleet_table(seeds: list[int]) -> str:
    """The test fleets' 26-week figures per seed as a Markdown table (module docstring, 3.)."""
    fleets = test_fleets()

    lines = [
        "| fleet | seed | MAE / better baseline | above q90 | q50 bias | targets | model | scale |",
        "|" + "---|" * 8,
    ]
    for kind in ("steady", "halving", "flat"):
        for seed in seeds:
            scores = longrange.decision_backtest(
                fleets.built_fleet(kind, seed=seed),
                cutoffs_months_back=(6,),
                as_of=fleets.CUTOFF + timedelta(days=fleets.FUTURE_DAYS),
            )
            m = fleets.pooled_26_weeks(scores)
            met = (
                0.05 <= m["exceed_q90"] <= 0.15 and abs(m["bias"]) <= 0.05 and m["mae_ratio"] <= 0.9
            )
            lines.append(
                f"| {kind} | {seed} | {m['mae_ratio']:.2f} | {m['exceed_q90']:.1%} "
                f"| {m['bias']:+.1%} | {'met' if met else 'NOT met'} | {scores['model'][0]} "
                f"| {scores['scale'][0]:.2f} |"
            )
    return "\n".join(lines)


def _window_miss(window: Any, h: int) -> tuple[float, int]:
    """A backtest window's q50 miss in logs over ``h`` days (log actual less the scale-free
    point forecast) and the days it is read on."""
    a = window.actual[:h]
    ok = np.isfinite(a)
    point = window.view.mu[:h][ok] + float(np.median(window.view.grid))
    return float(np.mean(np.log1p(np.maximum(a[ok], 0.0)) - point)), int(ok.sum())


def cutoff_misses_table(seeds: list[int]) -> str:
    """The test fleets' calibration windows: q50 misses per cut-off and two scales (module
    docstring, 4.)."""
    fleets = test_fleets()
    h = longrange.DECISION_HORIZON_DAYS
    lines = [
        "| fleet | seed | miss at -12 months (same side) | miss at -6 months (same side) "
        "| scale (misses as spread) | scale around the shared miss |",
        "|" + "---|" * 6,
    ]
    for kind in ("steady", "halving", "flat"):
        for seed in seeds:
            # The scored cut-off as decision_backtest reads it: 6 calendar months before the end.
            cutoff = longrange._add_months(fleets.CUTOFF + timedelta(days=fleets.FUTURE_DAYS), -6)
            history = fleets.built_fleet(kind, seed=seed).filter(pl.col("ds") <= cutoff)
            arrays = longrange._series_arrays(history, cutoff)
            by_model = longrange._windows(
                arrays,
                cutoff,
                cutoffs_months_back=(6, 12),
                horizon_days=h,
                models=longrange.CANDIDATES,
            )
            windows = by_model[longrange._pooled_choice(by_model)]
            cells, means = [], []
            for day in sorted({w.cutoff for w in windows}):
                misses = [_window_miss(w, h) for w in windows if w.cutoff == day]
                mean = sum(m * d for m, d in misses) / sum(d for _, d in misses)
                same = sum(1 for m, _ in misses if (m > 0) == (mean > 0))
                cells.append(f"{mean:+.3f} ({same} of {len(misses)})")
                means.append(mean)
            signs = {m > 0 for m in means}
            shared = min(means, key=abs) if len(means) >= 2 and len(signs) == 1 else 0.0
            around = [replace(w, view=replace(w.view, mu=w.view.mu + shared)) for w in windows]
            lines.append(
                f"| {kind} | {seed} | {' | '.join(cells)} "
                f"| {longrange._calibrated_scale(windows, h):.2f} "
                f"| {longrange._calibrated_scale(around, h):.2f} |"
            )
    return "\n".join(lines)


SWEEP_SCALES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.5)


def scale_sweep_table(seeds: list[int]) -> str:
    """The test fleets' 26-week share above q90 at fixed interval scales (module docstring, 5.)."""
    fleets = test_fleets()
    fitted_scales = longrange._scales_by_level
    held = {"scale": 1.0, "fitted": float("nan")}

    def held_scales(windows: Any, h: int) -> tuple[float, dict[int, float]]:
        # The scale the backtests fitted is read, then replaced: a counterfactual band.
        pooled, levels = fitted_scales(windows, h)
        held["fitted"] = pooled
        return held["scale"], {level: held["scale"] for level in levels}

    lines = [
        "| fleet | seed | q50 bias | fitted scale | "
        + " | ".join(f"{s:g}" for s in SWEEP_SCALES)
        + " | scales within 5-15 % |",
        "|" + "---|" * (len(SWEEP_SCALES) + 5),
    ]
    for kind in ("steady", "halving", "flat"):
        for seed in seeds:
            fleet = fleets.built_fleet(kind, seed=seed)
            fits: longrange.Fits = {}  # one fleet's fits, shared by its reruns
            shares, bias = [], float("nan")
            for scale in SWEEP_SCALES:
                held["scale"] = scale
                with mock.patch.object(longrange, "_scales_by_level", held_scales):
                    scores = longrange.decision_backtest(
                        fleet,
                        cutoffs_months_back=(6,),
                        as_of=fleets.CUTOFF + timedelta(days=fleets.FUTURE_DAYS),
                        fits=fits,
                    )
                m = fleets.pooled_26_weeks(scores)
                shares.append(m["exceed_q90"])
                bias = m["bias"]
            within = [s for s, e in zip(SWEEP_SCALES, shares, strict=True) if 0.05 <= e <= 0.15]
            reach = f"{min(within):g}-{max(within):g}" if within else "none"
            lines.append(
                f"| {kind} | {seed} | {bias:+.1%} | {held['fitted']:.2f} | "
                + " | ".join(f"{e:.1%}" for e in shares)
                + f" | {reach} |"
            )
    return "\n".join(lines)


def synthetic_seeds_table(seeds: list[int], *, months_back: int = 6, classes: bool = False) -> str:
    """The method on many synthetic fleets, cut-off ``months_back`` months back (6: two
    internal backtest cut-offs; 9 or 12: one), 182 days scored: per level
    (total, regions) the geometric mean of MAE over each baseline, the mean share of days above
    q90 (one fleet's is nearly all or nothing, so only the mean over fleets says whether the
    band is calibrated) and the median |q50 bias|. With ``classes`` the call holds the series
    the plan forecasts together (``horizon.extend_horizon``): the regions and their classes,
    not the total."""
    frames = []
    for seed in seeds:
        peaks = fleet_peaks(seed=seed, depth=2 if classes else 1)
        if classes:
            peaks = peaks.filter(pl.col("unique_id") != "total")
        scores = longrange.decision_backtest(peaks, cutoffs_months_back=(months_back,))
        frames.append(scores.filter(pl.col("horizon_days") == 182))
    level_names = {0: "total", 1: "regions", 2: "classes"}
    scores = pl.concat(frames).with_columns(
        level=pl.col("unique_id").str.count_matches("/").replace_strict(level_names)
    )
    summary = (
        scores.group_by("level")
        .agg(
            rows=pl.len(),
            sn=(pl.col("mae") / pl.col("mae_seasonal_naive")).log().mean().exp(),
            ll=(pl.col("mae") / pl.col("mae_log_linear")).log().mean().exp(),
            above=pl.col("exceed_q90").mean(),
            bias=pl.col("bias").abs().median(),
        )
        .sort(pl.col("level").replace_strict({v: k for k, v in level_names.items()}))
    )
    lines = [
        "| level | rows | MAE / seasonal naive | MAE / log-linear | above q90 (mean) "
        "| median abs(q50 bias) |",
        "|" + "---|" * 6,
    ]
    for r in summary.iter_rows(named=True):
        lines.append(
            f"| {r['level']} | {r['rows']} | {r['sn']:.3f} | {r['ll']:.3f} | {r['above']:.1%} "
            f"| {r['bias']:.1%} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Time the call, score the fleet, print both (and write JSON with ``--out``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--test-fleets", action="store_true")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument(
        "--synthetic-seeds", default="", help="e.g. 0-39: the method on that many demo-size fleets"
    )
    parser.add_argument("--cutoff-misses", action="store_true")
    parser.add_argument("--scale-sweep", action="store_true")
    parser.add_argument("--cutoff-months", type=int, default=6)
    parser.add_argument(
        "--classes",
        action="store_true",
        help="with --synthetic-seeds: regions and classes in one call, as the plan runs them",
    )
    args = parser.parse_args()
    if args.cutoff_misses:
        print("The test fleets' calibration windows at their scored cut-off:\n")
        print(cutoff_misses_table([int(s) for s in args.seeds.split(",")]))
        return
    if args.scale_sweep:
        print("The test fleets' share above q90 at 26 weeks, the interval scale held:\n")
        print(scale_sweep_table([int(s) for s in args.seeds.split(",")]))
        return
    if args.synthetic_seeds:
        lo, _, hi = args.synthetic_seeds.partition("-")
        seeds = list(range(int(lo), int(hi or lo) + 1))
        print(
            f"The synthetic fleets of seeds {args.synthetic_seeds} at 26 weeks, cut-off "
            f"{args.cutoff_months} months back:\n"
        )
        print(synthetic_seeds_table(seeds, months_back=args.cutoff_months, classes=args.classes))
        return

    frame = growth_series(args.series, args.days)
    started = time.perf_counter()
    result = longrange.long_horizon_forecast(frame, as_of=END)
    elapsed = time.perf_counter() - started
    print(
        f"long_horizon_forecast: {args.series} series x {args.days} days in {elapsed:.1f} s "
        f"({elapsed / args.series * 1000:.0f} ms per series; model {result.model}, "
        f"scale {result.scale:.2f})"
    )

    peaks = fleet_peaks()
    started = time.perf_counter()
    scores = longrange.decision_backtest(peaks, cutoffs_months_back=(6, 12))
    backtest_s = time.perf_counter() - started
    print(f"\ndecision_backtest on the synthetic fleet ({backtest_s:.1f} s), daily peak demand:\n")
    print(metric_table(scores))
    if args.test_fleets:
        seeds = [int(s) for s in args.seeds.split(",")]
        print("\nThe test fleets at 26 weeks (cut-off 2026-05-31):\n")
        print(test_fleet_table(seeds))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {
                    "series": args.series,
                    "days": args.days,
                    "seconds": elapsed,
                    "scores": scores.with_columns(pl.col("cutoff").cast(pl.String)).to_dicts(),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
