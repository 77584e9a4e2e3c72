"""An isolated spike: one day, or a burst of a few, far above a series' usual level, not repeated.

A customer running one GPU every hour but one, when it ran 5,000, made a daily peak series of
ones and one 5,000. The seasonal naive repeats last week: it forecast 5,000 GPUs one day in
every week for 26 weeks, and the triggers ordered 1,483 racks ($221M) for the fleet. One hour
is not a trend: where :func:`isolated_spikes` finds such a day, the fit and the backtests read it
held at the usual level's upper range (:meth:`Spike.held`), and the series says so
(:meth:`Spike.describe`); the telemetry keeps it.

**The rule** (every threshold a named constant below): a day of the history, however old, or a
burst of up to ``SPIKE_MAX_DAYS`` consecutive days, is an isolated spike when, against the
``SPIKE_WINDOW_DAYS`` days on each side of it (those that exist: the last day's are before it
only), all of these hold, of its lowest day:

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

A burst is a run of consecutive days each ``SPIKE_MIN_RATIO`` times every day outside it (a
training job of 5,000 GPUs over a long weekend of a customer usually at 2): held one day at a
time, its other days stayed in the history and the seasonal naive repeated them. Of the runs
through the series' highest day that qualify, the longest is the burst (a 300-GPU day before a
5,000-GPU one in a 10-GPU series is part of it, not the usual top the 5,000 is held at). A
burst of two days or more must have fallen back (a day after it): a run of high days up to the
last day is how a new workload starts.

Held, it reads the window's highest day: the top of the range the series was usually in.

An old spike is held too: the seasonal naive no longer repeats it, but its spread is the
history's week-on-week differences, and one 5,000-GPU day 70 days back of a 10-GPU series made
them: q90 2,248 GPUs 26 weeks out. Being three times every other day, a spike holds the series'
highest day, so at most one spike (one day or one burst) is found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

__all__ = [
    "SPIKE_MAX_DAYS",
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

# A burst: up to six days in a row (a job over a long weekend, or most of a working week);
# a week or more is a level the series may hold again, and forecasting.shifts' to judge.
SPIKE_MAX_DAYS = 6
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
    """An isolated spike: its first day counted back from the last day (``age_days`` = 1 is
    the last day), how many days in a row it lasted, its highest value, and the window's usual
    range (its lowest and highest day)."""

    age_days: int
    value: float
    usual_low: float
    usual_high: float
    days: int = 1

    def day(self, last_day: date) -> date:
        """The spike's first day, for a series ending on ``last_day``."""
        return last_day - timedelta(days=self.age_days - 1)

    def dates(self, last_day: date) -> list[date]:
        """Every day of the spike, for a series ending on ``last_day``."""
        first = self.day(last_day)
        return [first + timedelta(days=k) for k in range(self.days)]

    def describe(self, last_day: date, *, measure: str) -> str:
        """What the forecast did, in words, for a ``measure`` series ending on ``last_day``."""
        low, high = _gpus(self.usual_low), _gpus(self.usual_high)
        usual = low if low == high else f"{low}-{high}"
        days = self.dates(last_day)
        first, last = days[0], days[-1]
        what = (
            f"one-day spike on {first:%Y-%m-%d}: {_gpus(self.value)} GPUs"
            if self.days == 1
            else f"{self.days}-day spike from {first:%Y-%m-%d} to {last:%Y-%m-%d}: up to "
            f"{_gpus(self.value)} GPUs"
        )
        return (
            f"{what} against a usual {measure} of {usual}; held at {high} for the forecast: if "
            "demand like it will return, it needs a contract or an event, not a trend"
        )


def _gpus(value: float) -> str:
    # A small series' usual level is a fraction of a GPU on the mean measure.
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2g}"


def held(y: np.ndarray, spikes: tuple[Spike, ...]) -> np.ndarray:
    """``y`` with each spike's days at its usual range's top."""
    out = np.array(y, dtype=float, copy=True)
    for s in spikes:
        first = out.size - s.age_days
        out[first : first + s.days] = s.usual_high
    return out


def isolated_spikes(y: np.ndarray) -> tuple[Spike, ...]:
    """The isolated spike of the daily series ``y`` (NaN = a missing day; its last element the
    last day) as a one-element tuple; empty when it has none (module docstring)."""
    if np.isfinite(y).sum() < 2:
        return ()
    t = int(np.nanargmax(y))
    for start, stop in _runs_through(y, t):
        spike = _spike_of(y, start, stop)
        if spike is not None:
            return (spike,)
    return ()


def _runs_through(y: np.ndarray, t: int) -> list[tuple[int, int]]:
    """The runs ``[start, stop)`` through day ``t`` of up to SPIKE_MAX_DAYS observed days,
    each day ``SPIKE_MIN_RATIO`` times every day outside the run, longest first."""
    n = y.size
    # A run of ``length`` days holds the ``length`` highest days, each 3 times the next one:
    # most series have no such gap, and are done without a run's scan.
    top = np.sort(y[np.isfinite(y)])[::-1][: SPIKE_MAX_DAYS + 1]
    runs = []
    for length in range(SPIKE_MAX_DAYS, 0, -1):
        if top.size <= length or top[length - 1] < SPIKE_MIN_RATIO * top[length]:
            continue
        for start in range(max(0, t - length + 1), min(t, n - length) + 1):
            run = y[start : start + length]
            if not np.isfinite(run).all():
                continue
            rest = np.concatenate((y[:start], y[start + length :]))
            if not np.isfinite(rest).any():
                continue
            if float(run.min()) >= SPIKE_MIN_RATIO * float(np.nanmax(rest)):
                runs.append((start, start + length))
    return runs


def _spike_of(y: np.ndarray, start: int, stop: int) -> Spike | None:
    """The run ``[start, stop)`` of ``y`` as a spike, or None where the rule's window tests
    (module docstring) say it is not one."""
    n = y.size
    low = float(y[start:stop].min())
    if low < SPIKE_MIN_GPUS:
        return None
    lo, hi = max(0, start - SPIKE_WINDOW_DAYS), min(n, stop + SPIKE_WINDOW_DAYS)
    after = y[stop:hi]
    fell_back = bool(np.isfinite(after).any())
    if stop - start > 1 and not fell_back:
        return None
    around = np.concatenate((y[lo:start], after))
    around = around[np.isfinite(around)]
    least = SPIKE_YOUNG_MIN_DAYS if fell_back else SPIKE_MIN_DAYS
    if around.size < least or (around > 0).mean() < SPIKE_MIN_POSITIVE_SHARE:
        return None
    median = float(np.median(around))
    spread = _MAD_TO_SD * float(np.median(np.abs(around - median)))
    high = float(around.max())
    if low < median + SPIKE_SPREADS * spread or low - high < SPIKE_MIN_GPUS:
        return None
    return Spike(
        age_days=n - start,
        value=float(y[start:stop].max()),
        usual_low=float(around.min()),
        usual_high=high,
        days=stop - start,
    )
