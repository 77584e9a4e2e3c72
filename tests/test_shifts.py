"""A recent level shift is a level, not a slope (forecasting.shifts, forecast, longrange)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from demand_levels import customers_daily, with_every_level

from forecasting.forecast import ForecastSettings, forecast_all
from forecasting.horizon import _stopped_customers, extend_horizon, scored_reach
from forecasting.schema import STOPPED_NOTE
from forecasting.shifts import recent_level_shift, stopped_days

AS_OF = date(2026, 12, 3)
DAYS = 100
SIX_MONTHS = 182
LEVELS = {"total/r1/inference/acme": 600.0, "total/r1/inference/borealis": 400.0}


def _fleet(ys: dict[str, np.ndarray]) -> pl.DataFrame:
    """Daily mean and peak (1.3x) demand of the customers ``ys`` (ending on AS_OF) and of their
    class, region and total, with the level columns."""
    bottom = customers_daily(
        (
            (uid, measure, factor * y)
            for uid, y in ys.items()
            for measure, factor in (("mean", 1.0), ("peak", 1.3))
        ),
        as_of=AS_OF,
    )
    return with_every_level(bottom)


def _customers(*, growth: float = 0.0, seed: int = 5) -> dict[str, np.ndarray]:
    """LEVELS with a weekly cycle, 4 % noise and ``growth`` a year, over DAYS days."""
    rng = np.random.default_rng(seed)
    t = np.arange(DAYS)
    shape = (1 + growth) ** (t / 365) * (1 + 0.08 * np.sin(2 * np.pi * t / 7))
    return {uid: level * shape * np.exp(rng.normal(0, 0.04, DAYS)) for uid, level in LEVELS.items()}


def _six_months_out(ys: dict[str, np.ndarray]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The fleet's history, its forecast's average over the week ending six months out (a
    whole weekly cycle: short model, then growth model) and the run's summary."""
    history = _fleet(ys)
    result = forecast_all(history, settings=ForecastSettings(horizon_days=SIX_MONTHS, n_paths=50))
    ext = extend_horizon(history, result, as_of=AS_OF, months=7, measure_accuracy=False)
    week = ext.result.forecast.filter(pl.col("ds") > AS_OF + timedelta(days=SIX_MONTHS - 7))
    last = week.group_by("unique_id", "measure").agg(pl.col("q10", "q50", "q90").mean())
    return history, last, ext.result.summary


def _value(frame: pl.DataFrame, uid: str, measure: str, column: str) -> float:
    row = frame.filter((pl.col("unique_id") == uid) & (pl.col("measure") == measure))
    return float(row[column][0])


def _level(history: pl.DataFrame, uid: str, measure: str, days: int = 14) -> float:
    """The mean of a series' last ``days`` days: its level after a step that many days old."""
    rows = history.filter((pl.col("unique_id") == uid) & (pl.col("measure") == measure))
    return float(rows.sort("ds")["y"].tail(days).mean())  # type: ignore[arg-type]


def test_a_3x_step_two_weeks_before_the_end_is_carried_as_a_level_not_extrapolated() -> None:
    """Every customer's demand triples 14 days before the end, then holds. Six months out the
    total, the region and each customer read the post-step level (q50 within 10 %), and the
    summary says which step was held. Regression (sweep 37, F6): the step was a slope; on
    this fleet the total's peak q50 read 1.39x its post-step level six months out."""
    ys = _customers()
    for y in ys.values():
        y[-14:] *= 3
    history, six, summary = _six_months_out(ys)
    for uid in ("total", "total/r1", "total/r1/inference", "total/r1/inference/acme"):
        for measure in ("peak", "mean"):
            level = _level(history, uid, measure)
            assert _value(six, uid, measure, "q50") == pytest.approx(level, rel=0.1), (
                uid,
                measure,
            )
    note = _value_str(summary, "total/r1", "peak")
    assert "level shift on 2026-11-20: x3" in note and "not extrapolated" in note


def _value_str(summary: pl.DataFrame, uid: str, measure: str) -> str:
    row = summary.filter((pl.col("unique_id") == uid) & (pl.col("measure") == measure))
    return str(row["level_shift"][0])


@pytest.mark.parametrize(("left", "note"), [(1 / 3, "x0.7"), (0.0, "x0.59")])
def test_a_customer_stepping_down_two_weeks_before_the_end_is_a_step_not_a_decline(
    left: float, note: str
) -> None:
    """borealis (40 % of the region) drops to a third of its demand (or leaves: zero) 14 days
    before the end and stays there. Six months out the region and its class read their
    post-step level and acme, flat throughout, its own (q50 within 5 %); the region says
    which step was held. Regression (sweep 37, F3's remainder): the region's step down was a
    decline the short model continued and acme, reconciled with its class, was bent by; with
    borealis at a third, the region's peak q50 read 0.79x its level six months out and
    acme's mean 0.86x. (A customer that left is also taken out of its class's growth history,
    forecasting.horizon._stopped_customers; the step is then the short model's alone.)"""
    ys = _customers()
    ys["total/r1/inference/borealis"][-14:] *= left
    history, six, summary = _six_months_out(ys)
    for uid in ("total/r1", "total/r1/inference"):
        for measure in ("peak", "mean"):
            level = _level(history, uid, measure)
            assert _value(six, uid, measure, "q50") == pytest.approx(level, rel=0.05), (
                uid,
                measure,
            )
    acme = _level(history, "total/r1/inference/acme", "mean", days=DAYS)
    assert _value(six, "total/r1/inference/acme", "mean", "q50") == pytest.approx(acme, rel=0.05)
    assert f"level shift on 2026-11-20: {note}" in _value_str(summary, "total/r1", "mean")


def test_steady_growth_is_not_a_level_shift() -> None:
    """Steady exponential growth of any rate, with a weekly cycle and noise, has no level
    shift: its weeks move a fraction of what its months do. (A trend model's slope is right
    there, and the rule must not hold it flat.)"""
    rng = np.random.default_rng(0)
    t = np.arange(400)
    for rate in (0.4, 2.0, 10.0):
        y = 1000 * (1 + rate) ** (t / 365) * (1 + 0.1 * np.sin(2 * np.pi * t / 7))
        assert recent_level_shift(y * np.exp(rng.normal(0, 0.05, t.size))) is None, rate


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda y: y.__setitem__(slice(-20, -13), y[-20:-13] * 3), "a week-long spike"),
        (lambda y: y.__setitem__(slice(-5, None), y[-5:] * 3), "a step of five days"),
        (lambda y: y.__setitem__(slice(-14, None), y[-14:] * 1.15), "a step of 15 %"),
        (lambda y: y.__setitem__(slice(-90, -60), y[-90:-60] * 3), "a step that ended"),
    ],
)
def test_a_spike_a_short_or_small_step_is_not_a_level_shift(change: object, why: str) -> None:
    """A spike that fell back, a step younger than a week, one smaller than a quarter and one
    that came and went are not a level to carry forward: the models read them as they did."""
    rng = np.random.default_rng(1)
    t = np.arange(200)
    y = 1000 * (1 + 0.1 * np.sin(2 * np.pi * t / 7)) * np.exp(rng.normal(0, 0.05, t.size))
    change(y)  # type: ignore[operator]
    assert recent_level_shift(y) is None, why


def test_a_steadily_growing_fleet_is_not_flagged() -> None:
    """A fleet growing 60 % a year, forecast through the short and growth models: no series
    is flagged, and six months out the region reads its growth (q50 above its level)."""
    history, six, summary = _six_months_out(_customers(growth=0.6))
    assert summary["level_shift"].is_null().all()
    assert _value(six, "total/r1", "peak", "q50") > _level(history, "total/r1", "peak", days=7)


def test_backtests_moved_back_before_a_step_measure_their_own_window_not_the_step_s_age() -> None:
    """A series whose level shift is 14 days old has its 7-day backtest windows end the day
    before the step (their cutoffs moved back): they measured 7 days of lead, not the 21 from
    their last cutoff to the last day. Regression: the "Extrapolated" banner of the sweep's
    step3x fleet read "its backtests scored 21 days ahead" once the cutoffs moved back."""
    as_of = date(2026, 12, 3)
    backtest = pl.DataFrame({"unique_id": ["total"], "cutoff": [as_of - timedelta(days=21)]})
    accuracy = pl.DataFrame(
        {"unique_id": [], "horizon_days": [], "mae": []},
        schema={"unique_id": pl.String, "horizon_days": pl.Int64, "mae": pl.Float64},
    )
    seen = pl.DataFrame({"unique_id": ["total"], "last": [as_of], "level_shift_days": [14]})
    assert scored_reach(backtest, accuracy, last_observed=seen, as_of=as_of) == 7
    plain = seen.with_columns(pl.lit(None, pl.Int64).alias("level_shift_days"))
    assert scored_reach(backtest, accuracy, last_observed=plain, as_of=as_of) == 21


def _busy_then_idle(busy: int, idle: int, *, before: int = 0) -> np.ndarray:
    """``before`` zero days (not yet onboarded), ``busy`` days of 40-60 GPUs, ``idle`` zeros."""
    rng = np.random.default_rng(7)
    return np.concatenate((np.zeros(before), rng.uniform(40, 60, busy), np.zeros(idle)))


@pytest.mark.parametrize(
    ("y", "stopped", "why"),
    [
        (_busy_then_idle(17, 15), 15, "left 15 days before the end of a 32-day trace"),
        (_busy_then_idle(14, 14), 14, "14 busy days, then 14 zeros: 28 days"),
        (_busy_then_idle(15, 14, before=3), 14, "onboarded on day 4, busy 15 days, left"),
        (_busy_then_idle(13, 15), 0, "13 busy days: under the floor of 14"),
        (
            np.concatenate((np.full(6, 7.0), np.zeros(17))),
            0,
            "a burst of six days that ended (Helios' vcJLV)",
        ),
        (
            np.concatenate((np.full(8, 30.0), np.zeros(10), np.full(8, 30.0), np.zeros(14))),
            0,
            "intermittent: idle 14 days after idling 10 days earlier",
        ),
        (
            np.where(np.arange(40) % 3 == 0, 0.0, 20.0) * (np.arange(40) < 26),
            0,
            "busy on two days of three (under 75 %), then 14 zeros",
        ),
    ],
)
def test_a_young_customer_that_left_reads_as_stopped(y: np.ndarray, stopped: int, why: str) -> None:
    """A customer busy on most of its days that read zero on its last two weeks has stopped,
    however young the series. Regression: the stop wanted 21 busy days of 28 before the zeros,
    so no history under 35 days could read one: on a 32-day synthetic fleet a customer gone
    for its last 15 days kept a q90 of up to 1,533 GPUs a day and no page said it had left.
    Bursts, intermittent series and series of under 14 busy days are no stop still."""
    assert stopped_days(y) == stopped, why


def test_a_class_that_left_15_days_before_the_end_of_a_32_day_fleet_is_held_at_zero() -> None:
    """Every customer of r1's inference left 15 days before the end of a 32-day fleet, while
    its training customer ran on. The class and its customers are forecast at zero with the
    stopped note (the one the "Demand ended" banner reads), and the growth models leave the
    customers out of the class's history (forecasting.horizon._stopped_customers, the same
    rule). Before, all of it needed 35 days: the class read q90 up to 1,267 GPUs a day
    on such a synthetic fleet, no banner, and the growth models fitted its busy days."""
    days = 32
    rng = np.random.default_rng(3)
    ys = {
        uid: level * np.exp(rng.normal(0, 0.05, days)) * (np.arange(days) < days - 15)
        for uid, level in LEVELS.items()
    }
    ys["total/r1/training/cobalt"] = 300.0 * np.exp(rng.normal(0, 0.05, days))
    history = _fleet(ys)
    result = forecast_all(history, settings=ForecastSettings(horizon_days=28, n_paths=50))
    summary = result.summary.filter(pl.col("measure") == "mean")
    notes = dict(summary.select("unique_id", "level_shift").iter_rows())
    for uid in ("total/r1/inference", *LEVELS):
        assert str(notes[uid]).startswith(f"{STOPPED_NOTE}zero demand on each of its last 15 days")
        ahead = result.forecast.filter(pl.col("unique_id") == uid)
        assert float(ahead["q90"].max()) == 0.0, uid  # type: ignore[arg-type]
    assert notes["total/r1/training/cobalt"] is None
    left = _stopped_customers(history, as_of=AS_OF)
    assert sorted(left["unique_id"].to_list()) == sorted(LEVELS)
    assert set(left["last_busy"].to_list()) == {AS_OF - timedelta(days=15)}
