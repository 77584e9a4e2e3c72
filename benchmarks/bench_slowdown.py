"""A slowdown at several distances from the cut-off: the 26-week targets over many seeds.

The halving fleet of ``tests/test_longrange.py`` (growth 0.70 -> 0.35/yr in logs) has its
slowdown 120 days before the cut-off; here also ``--days-before`` others, beside the steady
and flat fleets, for ``--seeds``. Per fleet: the mean over seeds of MAE over the better
baseline, share of days above q90, |q50 bias| and bias, and how many seeds meet all three
targets. With ``--members``, each candidate forced alone instead (mean bias per candidate).
Findings: benchmarks/longrange_findings.md ("A slowdown at other distances").

Run: ``PYTHONPATH=. python benchmarks/bench_slowdown.py [--days-before 60,120,240]
[--seeds 0-9] [--members]``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import timedelta

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import polars as pl
from bench_longrange import test_fleets

from forecasting import growth, longrange


def seeds_of(text: str) -> list[int]:
    """``0-9`` or ``0,3,5`` as a list of seeds."""
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(x) for x in text.split(",") if x]


def fleets(days_before: list[int]) -> dict[str, Callable[[int], pl.DataFrame]]:
    """Builders by label: a halving fleet per distance, then the steady and flat fleets."""
    t = test_fleets()
    out: dict[str, Callable[[int], pl.DataFrame]] = {
        f"halving {d} days before": (
            lambda seed, d=d: t.built_fleet("halving", seed=seed, slowdown_days=d)
        )
        for d in days_before
    }
    out["steady"] = lambda seed: t.built_fleet("steady", seed=seed)
    out["flat"] = lambda seed: t.built_fleet("flat", seed=seed)
    return out


def scores(fleet: pl.DataFrame, candidates: tuple[str, ...]) -> dict[str, float]:
    """The fleet's pooled 26-week figures, scored after the cut-off it never saw."""
    t = test_fleets()
    backtest = longrange.decision_backtest(
        fleet,
        cutoffs_months_back=(6,),
        as_of=t.CUTOFF + timedelta(days=t.FUTURE_DAYS),
        candidates=candidates,
    )
    return t.pooled_26_weeks(backtest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days-before", default="60,120,240")
    parser.add_argument("--seeds", default="0-9")
    parser.add_argument("--members", action="store_true")
    args = parser.parse_args()
    seeds = seeds_of(args.seeds)
    built = fleets([int(x) for x in args.days_before.split(",")])
    print("| fleet | candidates | MAE | above q90 | abs(bias) | bias | met |")
    print("|---|---|---|---|---|---|---|")
    runs = [(c,) for c in growth.CANDIDATES] if args.members else [growth.CANDIDATES]
    for label, build in built.items():
        for candidates in runs:
            rows = [scores(build(seed), candidates) for seed in seeds]
            n = len(rows)
            met = sum(
                0.05 <= r["exceed_q90"] <= 0.15 and abs(r["bias"]) <= 0.05 and r["mae_ratio"] <= 0.9
                for r in rows
            )
            name = candidates[0] if len(candidates) == 1 else "the choice"
            print(
                f"| {label} | {name} | {sum(r['mae_ratio'] for r in rows) / n:.2f} "
                f"| {sum(r['exceed_q90'] for r in rows) / n:.1%} "
                f"| {sum(abs(r['bias']) for r in rows) / n:.1%} "
                f"| {sum(r['bias'] for r in rows) / n:+.1%} | {met} of {n} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
