"""A spike whose target has no demand in the spike's own hours (it arrives in the days the
spike is given to settle) never met its target: its pass is not verified, and says why."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hand_plans import one_rack_plan

from forecasting.capacity import CapacityPlan
from forecasting.drills import run_drill, scenario_from_args
from forecasting.schema import NOT_VERIFIED, PASS

MONDAY = date(2026, 1, 5)
DAYS = 28


def _plan(gpus: int) -> CapacityPlan:
    return one_rack_plan(gpus)


def _paths(acme: list[float]) -> pl.DataFrame:
    """Inference in r1: 100 GPUs of 'other' every day and acme's levels day by day, one path
    (a plain verdict, no sampling error to weigh)."""
    rows = []
    for d in range(DAYS):
        day = MONDAY + timedelta(days=d)
        rows.append(("total/r1/inference/other", day, 0, 100.0))
        rows.append(("total/r1/inference/acme", day, 0, acme[d]))
    return pl.DataFrame(
        rows, schema=["unique_id", "ds", "sample_id", "y"], orient="row"
    ).with_columns(pl.col("sample_id").cast(pl.Int32))


def test_a_spike_whose_target_arrives_in_its_settling_week_is_not_verified() -> None:
    """acme has no demand until day 5; a 3-day 2x spike from the first day doubles nothing,
    and its window (the spike and a week to settle) meets acme only while settling. It read
    "pass" on 1,000 GPUs, as if acme doubling for three days were absorbed; it reads "not
    verified" with the spike's hours and acme's first settling day."""
    late = [0.0] * 5 + [300.0] * (DAYS - 5)
    spike = scenario_from_args(target="customer:acme", shape="spike:3d")
    result = run_drill(_plan(1000), _paths(late), None, spike)
    assert result.passed and result.verdict == NOT_VERIFIED
    assert result.unverified == (
        "the spike never met its target's demand: customer acme has no demand on any path in "
        "the spike's 72 h (2026-01-05 to 2026-01-07), only in the days given to settle after "
        "it (from 2026-01-10)"
    )


def test_a_spike_that_meets_its_target_on_its_last_day_is_judged_from_then() -> None:
    """acme arriving on the spike's third day is met by it: no "never met" reason, and the
    drill is judged from acme's first hour (the late-target note says so), a plain pass."""
    late = [0.0] * 2 + [300.0] * (DAYS - 2)
    spike = scenario_from_args(target="customer:acme", shape="spike:3d")
    result = run_drill(_plan(1000), _paths(late), None, spike)
    assert result.verdict == PASS and result.unverified == ""
    assert result.shock_start == MONDAY + timedelta(days=2)
    assert not any("never met" in n for n in result.notes)


def test_a_spike_whose_target_is_there_throughout_passes_plainly() -> None:
    """The same spike on acme present every day passes with nothing unverified."""
    spike = scenario_from_args(target="customer:acme", shape="spike:3d")
    result = run_drill(_plan(1000), _paths([300.0] * DAYS), None, spike)
    assert result.verdict == PASS and result.unverified == "" and result.spike_missed == ""
