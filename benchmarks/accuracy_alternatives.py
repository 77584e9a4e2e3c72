"""Could a simpler forecast pass issue 15 item 4 where the choice does not? Hindsight only.

Same traces, cut-offs and pooled MAE as ``accuracy_traces.py`` (whose helpers it reuses), but
instead of running the selection it scores fixed forecasts that are not candidates today:

- ``window_average``: the mean of the last 7 days, held flat (statsforecast's WindowAverage);
- ``shrunk λ``: the last week's mean plus λ times its weekday deviations, the seasonal naive
  with its one-week weekday pattern shrunk toward zero (Miller & Williams 2003, "Shrinkage
  estimators of time series seasonal factors", IJF 19: a pattern estimated from little data
  is mostly noise); λ = 1 is the seasonal naive, λ = 0 the window average;
- ``shrunk JS``: λ estimated from the series, ``1 - noise / (noise + pattern)``: the noise is
  half the mean square of a weekday's deviation change from one week to the next.

The equal-weight average of the seasonal naive and the window average is ``shrunk 0.5``.

Each figure is printed as ``/best`` (over the best of today's single candidates in hindsight:
seasonal naive, drift, ETS, Theta) and ``/naive`` (over the seasonal naive): the issue's two
targets are ``/best`` <= 1.05 and ``/naive`` < 1. A fixed λ picked from this very table is
tuned on the data it is judged on: read it as what is reachable, not as a rule.

Run: ``PYTHONPATH=. python benchmarks/accuracy_alternatives.py`` (about 5 s).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accuracy_traces import MIN_DAYS, total_daily, traces

from forecasting.models import (
    DEFAULT_MODELS,
    SEASON_LENGTH,
    fill_gaps,
    make_model,
)

LAYOUTS = ((7, 4), (7, 8), (3, 4), (3, 8))
M = SEASON_LENGTH


def _week(y: np.ndarray) -> tuple[float, np.ndarray]:
    """The last week's mean and its weekday deviations from it."""
    last = y[-M:]
    return float(last.mean()), last - last.mean()


def _james_stein(y: np.ndarray) -> float:
    """The share of the last week's pattern that is not noise, in [0, 1]."""
    trailing = np.convolve(y, np.ones(M) / M, mode="valid")  # mean of the week ending on t
    deviation = y[M - 1 :] - trailing
    change = deviation[M:] - deviation[:-M]  # one weekday, a week apart
    if change.size == 0:
        return 1.0
    noise = float(np.mean(change**2)) / 2
    total = float(np.mean(_week(y)[1] ** 2))
    return max(0.0, 1.0 - noise / total) if total > 0 else 0.0


def _shrunk(lam: float | None) -> Callable[[np.ndarray, int], np.ndarray]:
    def forecast(y: np.ndarray, h: int) -> np.ndarray:
        level, pattern = _week(y)
        weight = _james_stein(y) if lam is None else lam
        return level + weight * pattern[np.arange(h) % M]

    return forecast


ALTERNATIVES: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "window_average": _shrunk(0.0),
    "shrunk 0.25": _shrunk(0.25),
    "shrunk 0.5": _shrunk(0.5),
    "shrunk 0.75": _shrunk(0.75),
    "shrunk JS": _shrunk(None),
}


def pooled_mae(series: pl.DataFrame, horizon: int, origins: int) -> dict[str, float] | None:
    """Pooled holdout MAE of today's singles and of every alternative, or None if too short."""
    n = series.height
    errors: dict[str, list[np.ndarray]] = {}
    for k in range(origins):
        n_train = n - horizon - (origins - 1 - k)
        if n_train < M + 1:
            return None
        y_raw = series.head(n_train)["y"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        actual = series.slice(n_train, horizon)["y"].cast(pl.Float64).fill_null(np.nan)
        y = fill_gaps(y_raw[int(np.argmax(np.isfinite(y_raw))) :])
        preds = {}
        for name in DEFAULT_MODELS:
            try:
                preds[name] = make_model(name).fit(y).predict(horizon, quantiles=(0.5,)).mean
            except ValueError:
                continue  # too short for this model: it sits the row out
        for name, forecast in ALTERNATIVES.items():
            preds[name] = forecast(y, horizon)
        ok = np.isfinite(actual.to_numpy())
        for name, pred in preds.items():
            errors.setdefault(name, []).append(np.abs(actual.to_numpy()[ok] - pred[ok]))
    return {
        name: float(np.concatenate(e).mean()) for name, e in errors.items() if len(e) == origins
    }


def main() -> int:
    print("| trace | measure | H x cut-offs | " + " | ".join(ALTERNATIVES) + " |")
    print("|---|---|---|" + "---|" * len(ALTERNATIVES))
    for trace in traces():
        total = total_daily(trace)
        days = total.filter(pl.col("measure") == "mean").height
        if days < MIN_DAYS:
            continue
        layouts = dict.fromkeys((h if days >= 28 else 1, o) for h, o in LAYOUTS)
        for horizon, origins in layouts:
            for measure in ("peak", "mean"):
                series = total.filter(pl.col("measure") == measure).sort("ds")
                mae = pooled_mae(series, horizon, origins)
                if mae is None:
                    continue
                best = min(mae[m] for m in DEFAULT_MODELS if m in mae)
                cells = [
                    f"{mae[a] / best:.2f} / {mae[a] / mae['seasonal_naive']:.2f}"
                    for a in ALTERNATIVES
                ]
                print(
                    f"| {trace.name} | {measure} | {horizon} x {origins} | "
                    + " | ".join(cells)
                    + " |"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
