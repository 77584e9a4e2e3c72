"""Does counting overlapping backtest windows honestly change the choice, and for the better?

Series of 70-109 days use the short backtest layout (three 7-day windows one day apart) and are
not short enough for the under-60-days rule, so ties within a paired standard error decide
between close candidates. The standard error divides by the square root of the windows'
worth (``forecast.independent_windows``: 9/7 for that layout); the previous rule divided by
the square root of the window count (3). For ``--seeds`` seeds of the two synthetic families
of tests/test_forecast.py (``trend_season_noise``, ``heavy_tailed``), this forecasts all but
the last 7 days under both rules and prints how many choices changed and the mean and median
holdout MASE (scaled by the training days' weekly naive MAE).

Run: ``PYTHONPATH=. python benchmarks/bench_tie_overlap.py [--seeds 250]`` (about 1 s per
series and rule on a loaded 2-core machine: 9 minutes for 250 seeds, 500 series). README,
"Forecasts", quotes the 250-seed figures.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_forecast import as_frame, heavy_tailed, trend_season_noise  # noqa: E402 - after the path fix

import forecasting.forecast as fc  # noqa: E402 - same

HOLDOUT = 7


def every_window_independent(n_windows: np.ndarray | int, *, step: int, horizon: int) -> np.ndarray:
    """The previous rule: every window counts as one, however much it overlaps the next."""
    del step, horizon  # the previous rule ignored the layout
    return np.asarray(n_windows, dtype=float)


def holdout_mase(y: np.ndarray, *, settings: fc.ForecastSettings) -> tuple[str, float]:
    """The chosen model and its MASE on the last HOLDOUT days of ``y``."""
    train, test = y[:-HOLDOUT], y[-HOLDOUT:]
    scale = float(np.mean(np.abs(train[7:] - train[:-7])))
    result = fc.forecast_series(as_frame(train), settings=settings)
    return result.model, float(np.mean(np.abs(test - result.forecast["mean"].to_numpy())) / scale)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=250)
    args = parser.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    settings = fc.ForecastSettings(horizon_days=HOLDOUT, n_paths=20)
    honest = fc.independent_windows
    scores: dict[str, list[float]] = {"previous": [], "now": []}
    picks: dict[str, list[str]] = {"previous": [], "now": []}
    for family in (trend_season_noise, heavy_tailed):
        for seed in range(args.seeds):
            y = family(seed, 70 + seed % 40 + HOLDOUT)
            # _choose looks the function up in the module at call time, so swapping it
            # swaps the rule and nothing else.
            for rule, fn in (("previous", every_window_independent), ("now", honest)):
                fc.independent_windows = fn
                model, score = holdout_mase(y, settings=settings)
                picks[rule].append(model)
                scores[rule].append(score)
    fc.independent_windows = honest
    before, after = np.array(scores["previous"]), np.array(scores["now"])
    changed = [i for i, (a, b) in enumerate(zip(*picks.values(), strict=True)) if a != b]
    print(f"{before.size} series, choice changed on {len(changed)}")
    for i in changed:
        print(
            f"  series {i}: {picks['previous'][i]} {before[i]:.3f} -> {picks['now'][i]} "
            f"{after[i]:.3f}"
        )
    print(
        f"mean holdout MASE {before.mean():.4f} -> {after.mean():.4f}, median "
        f"{np.median(before):.4f} -> {np.median(after):.4f}; better on "
        f"{int((after < before).sum())}, worse on {int((after > before).sum())}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
