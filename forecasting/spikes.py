"""An isolated spike: one day in a series' recent weeks far above its usual level, not repeated.

A customer running one GPU every hour but one, when it ran 5,000, made a daily peak series of
ones and one 5,000. The seasonal naive repeats last week: it forecast 5,000 GPUs one day in
every week for 26 weeks, and the triggers ordered 1,483 racks ($221M) for the fleet. One hour
is not a trend: where :func:`isolated_spikes` finds such a day, the fit and the backtests read it
held at the usual level's upper range (:meth:`Spike.held`), and the series says so
(:meth:`Spike.describe`); the telemetry keeps it.

**The rule** (every threshold a named constant below): a day of the history, however old, is an
isolated spike when, against the ``SPIKE_WINDOW_DAYS`` days on each side of it (those that exist:
the last day's are before it only), all of these hold:

- **far above the usual level, judged robustly**: it exceeds the window's median by
  ``SPIKE_SPREADS`` robust spreads (1.4826 times the median absolute deviation) or more;
- **not repeated**: it is ``SPIKE_MIN_RATIO`` times or more every other day of the window
  (a weekly burst, a step that stayed, growth, all have days near it there), and of every day
  of the rest of the history (a monthly batch job has);
- **big**: it exceeds the window's highest day by ``SPIKE_MIN_GPUS`` GPUs or more (a small
  customer's one-node day is its noise, not a finding);
- **a series with a usual level**: ``SPIKE_MIN_DAYS`` days at least in the window, a share
  ``SPIKE_MIN_POSITIVE_SHARE`` of them with demand (an intermittent series' days are its bursts,
  TSB's to forecast; a new series' first days are its onboarding). A young series with fewer
  has a usual level where ``SPIKE_YOUNG_MIN_DAYS`` days (a week) are in the window and some
  of them come after the day: it came and fell back. A 10-day customer's 5,000-GPU day was
  repeated every week for 26 weeks by the seasonal naive; its last day's jump is not held
  (nothing after it says it fell back: a new customer's big workload starts so).

Held, it reads the window's highest day: the top of the range the series was usually in.

An old spike is held too: the seasonal naive no longer repeats it, but its spread is the
history's week-on-week differences, and one 5,000-GPU day 70 days back of a 10-GPU series made
them: q90 2,248 GPUs 26 weeks out. Being three times every other day, only a series' highest
day can be one, so at most one spike is found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

__all__ = [
    "SPIKE_MIN_DAYS",
    "SPIKE_MIN_GPUS",
    "SPIKE_MIN_POSITIVE_SHARE",
    "SPIKE_MIN_RATIO",
    "SPIKE_SPREADS",
    "SPIKE_WINDOW_DAYS",
    "SPIKE_YOUNG_MIN_DAYS",
    "Spike",
    "held",
    "isolated_spikes",
]

# The usual level: four weeks (a growth block) on each side of the day.
SPIKE_WINDOW_DAYS = 28
# Ten robust spreads above the window's median: far outside what the series does.
SPIKE_SPREADS = 10.0
# Three times every other day of the window and of the history: no day of a pattern near it.
SPIKE_MIN_RATIO = 3.0
# Beyond the window's highest day by 64 GPUs (eight 8-GPU nodes) or more.
SPIKE_MIN_GPUS = 64.0
# Two weeks of the window observed, and 80 % of them with demand.
SPIKE_MIN_DAYS = 14
SPIKE_MIN_POSITIVE_SHARE = 0.8
# A young series: a week of the window observed, with days after the spike.
SPIKE_YOUNG_MIN_DAYS = 7
# The median absolute deviation of a normal sample is 0.6745 of its standard deviation.
_MAD_TO_SD = 1.4826


@dataclass(frozen=True, slots=True)
class Spike:
    """An isolated spike: its day counted back from the last day (``age_days`` = 1 is the last
    day), its value, and the window's usual range (its lowest and highest day)."""

    age_days: int
    value: float
    usual_low: float
    usual_high: float

    def day(self, last_day: date) -> date:
        """The spike's day, for a series ending on ``last_day``."""
        return last_day - timedelta(days=self.age_days - 1)

    def describe(self, last_day: date, *, measure: str) -> str:
        """What the forecast did, in words, for a ``measure`` series ending on ``last_day``."""
        low, high = _gpus(self.usual_low), _gpus(self.usual_high)
        usual = low if low == high else f"{low}-{high}"
        return (
            f"one-day spike on {self.day(last_day):%Y-%m-%d}: {_gpus(self.value)} GPUs against "
            f"a usual {measure} of {usual}; held at {high} for the forecast: if demand like it "
            "will return, it needs a contract or an event, not a trend"
        )


def _gpus(value: float) -> str:
    # A small series' usual level is a fraction of a GPU on the mean measure.
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2g}"


def held(y: np.ndarray, spikes: tuple[Spike, ...]) -> np.ndarray:
    """``y`` with each spike's day at its usual range's top."""
    out = np.array(y, dtype=float, copy=True)
    for s in spikes:
        out[out.size - s.age_days] = s.usual_high
    return out


def isolated_spikes(y: np.ndarray) -> tuple[Spike, ...]:
    """The isolated spike of the daily series ``y`` (NaN = a missing day; its last element the
    last day) as a one-element tuple; empty when it has none (module docstring)."""
    n = y.size
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return ()
    # Three times every other day: only the highest day can be one.
    t = int(np.nanargmax(y))
    value = float(y[t])
    if value < SPIKE_MIN_GPUS or not value >= SPIKE_MIN_RATIO * float(np.nanmax(np.delete(y, t))):
        return ()
    lo, hi = max(0, t - SPIKE_WINDOW_DAYS), min(n, t + SPIKE_WINDOW_DAYS + 1)
    after = y[t + 1 : hi]
    around = np.concatenate((y[lo:t], after))
    around = around[np.isfinite(around)]
    fell_back = bool(np.isfinite(after).any())
    least = SPIKE_YOUNG_MIN_DAYS if fell_back else SPIKE_MIN_DAYS
    if around.size < least or (around > 0).mean() < SPIKE_MIN_POSITIVE_SHARE:
        return ()
    median = float(np.median(around))
    spread = _MAD_TO_SD * float(np.median(np.abs(around - median)))
    high = float(around.max())
    if value < median + SPIKE_SPREADS * spread or value - high < SPIKE_MIN_GPUS:
        return ()
    return (Spike(age_days=n - t, value=value, usual_low=float(around.min()), usual_high=high),)
