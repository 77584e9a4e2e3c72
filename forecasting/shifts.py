"""A recent level shift: a step in a series' last weeks that stayed, held as a level, not a slope.

A customer arriving with three times the fleet's demand, or one leaving, moves a series' level
once. Read by a trend model (ETS, Theta, drift; the growth models of
:mod:`forecasting.longrange`) the last weeks' step is a slope that continues: a fleet whose
demand tripled two weeks before the end was forecast a further +38 % six months out, and a
region that lost a customer (27 % of its demand) half its steady level. Where
:func:`recent_level_shift` finds such a step, the history before it is carried to the new level
(:meth:`LevelShift.adjusted`: the days before the step scaled by the step, so the pre-step trend
rate is kept and the post-step level is where it starts), and the series says so
(:meth:`LevelShift.describe`).

**The rule** (every threshold a named constant below): the step's day is where the mean log
level of the days after it differs most from the ``LEVEL_SHIFT_BEFORE_DAYS`` days before it,
within the last ``LEVEL_SHIFT_MAX_DAYS`` days. It is a level shift when all of these hold:

- **big**: the median after it differs from the median before it, net of the trend the weekly
  medians had before it (their median week-to-week step), by a factor of
  ``LEVEL_SHIFT_MIN_RATIO`` or more;
- **beyond the series' own noise**: that difference is at least ``LEVEL_SHIFT_SPREADS`` times
  the spread of the week-to-week steps before it (their root mean square about their median,
  not a robust spread: a series whose weeks often jump, a customer's training jobs going from
  one to two, is one whose next jump is no news);
- **a step, not a climb**: the week after it differs from the week before by at least half of
  it (steady growth of any rate moves a week by a fraction of a month's move);
- **it stayed**: it is ``LEVEL_SHIFT_MIN_DAYS`` days old or more, and every week after it (the
  last seven days included) has moved at least half of it (a spike that fell back is not a
  level);
- **a series with a level before it**: ``LEVEL_SHIFT_WEEKS_BEFORE`` weeks at least, each with
  positive median demand (a new series' onboarding and an intermittent one are not steps; a
  customer that left, at zero after the step, is :func:`forecasting.horizon._stopped_customers`'
  to handle).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

__all__ = [
    "LEVEL_SHIFT_BEFORE_DAYS",
    "LEVEL_SHIFT_MAX_DAYS",
    "LEVEL_SHIFT_MIN_DAYS",
    "LEVEL_SHIFT_MIN_RATIO",
    "LEVEL_SHIFT_SPREADS",
    "LEVEL_SHIFT_WEEKS_BEFORE",
    "STOPPED_BUSY_FLOOR",
    "STOPPED_BUSY_SHARE",
    "STOPPED_DAYS",
    "LevelShift",
    "busy_before_idle",
    "recent_level_shift",
    "stopped_days",
]

# A step is recent when it is 8 weeks old at most: an older one has weeks of its own level
# for a model to fit, and the backtests have seen it.
LEVEL_SHIFT_MAX_DAYS = 56
# A step has stayed when it held a week, a whole weekly cycle, to the end.
LEVEL_SHIFT_MIN_DAYS = 7
# The level before the step: its four weeks (one growth block).
LEVEL_SHIFT_BEFORE_DAYS = 28
# A quarter or more (up or down) net of the trend: a customer of a quarter of a region's demand
# arriving or leaving; smaller moves are within what a trend model's band holds.
LEVEL_SHIFT_MIN_RATIO = 1.25
# ... and four times the series' own week-to-week spread.
LEVEL_SHIFT_SPREADS = 4.0
# Weeks of positive demand before the step that measure its trend and spread (12 at most).
LEVEL_SHIFT_WEEKS_BEFORE = 6
_SPREAD_WEEKS = 12

# A customer series has stopped when it read zero (or wrote no row: zero demand inside a
# reporting region) on each of its last STOPPED_DAYS days, after a block of up to _BUSY_DAYS
# (as many as it has) in which it was busy on at least STOPPED_BUSY_SHARE of its observed
# days and on STOPPED_BUSY_FLOOR days at least: an intermittent series idle for two weeks has
# not left (an idle run of 10 days earlier in the block puts it under the share), and a region
# silent at its end (its telemetry stopped: missing days, not zeros) stops none of its
# customers. The block was 21 busy days of 28 whatever the history, so no series of under 35
# days could stop: a customer that left 15 days before the end of a 32-day trace kept its
# band (q90 up to 1,533 GPUs a day on a synthetic fleet) and its pool no "Demand ended".
# Measured (benchmarks/accuracy_young_stops.py): a floor of 14 busy days read no false stop
# on 30 synthetic fleets (3,072 series cut at 28-46 days) nor on the Helios trace; 10, its
# share counted from a series' first day of demand, read 18 (evaluation bursts back within two
# weeks). The daily forecast holds such a series at
# zero (forecast.py) and the growth models leave such a customer out of its class's history
# (horizon.py).
STOPPED_DAYS = 14
STOPPED_BUSY_SHARE = 0.75
STOPPED_BUSY_FLOOR = 14
_BUSY_DAYS = 28


@dataclass(frozen=True, slots=True)
class LevelShift:
    """A recent level shift: the step's day counted back from the last day (``age_days`` = 14
    is the day two weeks before the end's next), and the factor the level moved by, net of the
    trend before it."""

    age_days: int
    ratio: float

    def adjusted(self, y: np.ndarray) -> np.ndarray:
        """``y`` with the days before the step scaled by the step: the series as if it had
        always been at the post-step level, on the trend it had."""
        out = np.array(y, dtype=float, copy=True)
        out[: out.size - self.age_days] *= self.ratio
        return out

    def day(self, last_day: date) -> date:
        """The step's first day, for a series ending on ``last_day``."""
        return last_day - timedelta(days=self.age_days - 1)

    def describe(self, last_day: date) -> str:
        """What the forecast did, in words, for a series ending on ``last_day``."""
        factor = f"x{self.ratio:.2f}".rstrip("0").rstrip(".")
        return (
            f"level shift on {self.day(last_day):%Y-%m-%d}: {factor} (held {self.age_days} "
            "days); trend fitted from it: the post-step level is carried forward at the "
            "pre-step trend, the step is not extrapolated"
        )


def _logs(y: np.ndarray) -> np.ndarray:
    return np.log(np.where(np.isfinite(y) & (y > 0), y, np.nan))


def _median(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else math.nan


def recent_level_shift(y: np.ndarray) -> LevelShift | None:
    """The recent level shift of the daily series ``y`` (NaN = a missing day; its last element
    the last day), or None when it has none (module docstring).

    Read on the days to its last observed one, and aged from its last day: a silence at its
    end (its region's feed stopped) has no level. Searched across it, the mean log "after" a
    day of the silence had no day to average and read 0 (one GPU), the largest gap of all,
    and no step was ever found: a x1.6 step four weeks old went unseen with the last 3 days
    missing, and the plan read it as growth (its region's 24-month q90 +144 %,
    tests/test_silent_region.py).
    """
    observed = np.flatnonzero(np.isfinite(y))
    silent = y.size - 1 - int(observed[-1]) if observed.size else 0
    if silent:
        shift = recent_level_shift(y[: y.size - silent])
        return None if shift is None else LevelShift(shift.age_days + silent, shift.ratio)
    n = y.size
    weeks_before = LEVEL_SHIFT_WEEKS_BEFORE * 7
    oldest = min(LEVEL_SHIFT_MAX_DAYS, n - max(weeks_before, LEVEL_SHIFT_BEFORE_DAYS))
    if oldest < LEVEL_SHIFT_MIN_DAYS:
        return None
    ly = _logs(y)
    ok = np.isfinite(ly)
    # A series without positive demand on most days of its last months is intermittent, or
    # young: its steps are its bursts, or its onboarding.
    if ok[n - oldest - weeks_before :].mean() < 0.8:
        return None
    # Where: the largest gap between the mean log after a day and the mean of the block before.
    csum = np.concatenate(([0.0], np.cumsum(np.where(ok, ly, 0.0))))
    ccnt = np.concatenate(([0], np.cumsum(ok)))
    # Searched from the last day: a step of five days is found five days old, too young (at
    # the first age allowed it read as a week-old step).
    ages = np.arange(1, oldest + 1)
    t = n - ages
    after = (csum[n] - csum[t]) / np.maximum(ccnt[n] - ccnt[t], 1)
    lo = t - LEVEL_SHIFT_BEFORE_DAYS
    before = (csum[t] - csum[lo]) / np.maximum(ccnt[t] - ccnt[lo], 1)
    age = int(ages[int(np.argmax(np.abs(after - before)))])
    if age < LEVEL_SHIFT_MIN_DAYS:
        return None
    step = n - age

    weeks = min(_SPREAD_WEEKS, step // 7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing week: NaN, refused below
        weekly = np.nanmedian(ly[step - 7 * weeks : step].reshape(weeks, 7), axis=1)
    weekly = weekly[-_SPREAD_WEEKS:]
    if weekly.size < LEVEL_SHIFT_WEEKS_BEFORE or not np.isfinite(weekly).all():
        return None
    steps = np.diff(weekly)
    slope = float(np.median(steps))  # per week, before the step
    # Not a robust spread: a series whose weeks often jump (a customer's training jobs, one
    # then two) is one whose next jump is no news; its median absolute step was 0.
    spread = float(np.sqrt(np.mean((steps - slope) ** 2)))
    level_before = _median(ly[step - LEVEL_SHIFT_BEFORE_DAYS : step])
    level_after = _median(ly[step:])
    # The weeks between the two medians' centres, along the trend before the step.
    trend = slope * (LEVEL_SHIFT_BEFORE_DAYS / 2 + age / 2) / 7
    excess = level_after - level_before - trend
    if not math.isfinite(excess) or abs(excess) < max(
        math.log(LEVEL_SHIFT_MIN_RATIO), LEVEL_SHIFT_SPREADS * spread
    ):
        return None
    sign = math.copysign(1.0, excess)
    # A step, not a climb: the week across it moved half the shift.
    jump = _median(ly[step : step + 7]) - _median(ly[step - 7 : step]) - slope
    if not sign * jump >= abs(excess) / 2:
        return None
    # It stayed: every week after it (and its last seven days) moved half the shift.
    starts = [*range(step, n - 6, 7), n - 7]
    for s in starts:
        centre_before = step - LEVEL_SHIFT_BEFORE_DAYS / 2
        moved = _median(ly[s : s + 7]) - level_before - slope * (s + 3 - centre_before) / 7
        if not sign * moved >= abs(excess) / 2:
            return None
    return LevelShift(age_days=age, ratio=math.exp(excess))


def stopped_days(y: np.ndarray) -> int:
    """How many days a series of daily demand ``y`` has read zero at its end since it stopped
    (see ``STOPPED_DAYS``), or 0 when it has not stopped: its last day is not a zero, fewer
    than ``STOPPED_DAYS`` zeros end it, or it was not busy before them
    (:func:`busy_before_idle`, on ``STOPPED_BUSY_FLOOR`` busy days at least)."""
    observed = np.isfinite(y)
    busy = np.flatnonzero(observed & (np.nan_to_num(y) > 0))
    if busy.size == 0 or not observed[-1]:
        return 0
    last = int(busy[-1])
    idle = y.size - 1 - last
    if idle < STOPPED_DAYS or not np.all(y[last + 1 :][observed[last + 1 :]] == 0):
        return 0
    days, seen = _busy_block(y)
    return idle if days >= STOPPED_BUSY_FLOOR and days >= STOPPED_BUSY_SHARE * seen else 0


def busy_before_idle(y: np.ndarray) -> bool:
    """Whether the daily series ``y`` was busy (demand on at least ``STOPPED_BUSY_SHARE`` of
    its observed days, over its last ``_BUSY_DAYS`` at most) before the zeros that end it, as
    :func:`stopped_days` asks of a stop, on however few days a young series has: a customer
    busy on 13 of its 14 days whose 15th is idle is one idle day, where a burst of six days
    that ended (Helios' vcJLV, idle for 17 days after it) is a burst."""
    days, seen = _busy_block(y)
    return days > 0 and days >= STOPPED_BUSY_SHARE * seen


def _busy_block(y: np.ndarray) -> tuple[int, int]:
    """(busy days, observed days) of ``y``'s last ``_BUSY_DAYS`` days at most up to its last
    day of demand; (0, 0) when it never had demand."""
    observed = np.isfinite(y)
    busy = np.flatnonzero(observed & (np.nan_to_num(y) > 0))
    if busy.size == 0:
        return 0, 0
    last = int(busy[-1])
    start = max(0, last + 1 - _BUSY_DAYS)
    return int(np.sum(busy >= start)), int(observed[start : last + 1].sum())
