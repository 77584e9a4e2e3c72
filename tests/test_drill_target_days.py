"""A drill whose target has demand on some of the shock's days only (a customer whose contract
ends inside the forecast, or starts inside it) says what it was judged on; a pass for a
customer gone before the shock ends is not verified."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from hand_plans import fluid_policies, one_rack_plan

from forecasting.capacity import CapacityPlan
from forecasting.drills import SHAPES_SCHEMA, run_drill, scenario_from_args
from forecasting.options import DrillOptions
from forecasting.report.pages.platform import drill_absorb_text
from forecasting.runs import DrillNotPlayed, drill_outcome, play_drill
from forecasting.schema import FAILS_UNDER_SHOCK, NOT_VERIFIED, PASS

MONDAY = date(2026, 1, 5)
DAYS = 56


def _plan(gpus: int) -> CapacityPlan:
    return one_rack_plan(gpus)


def _paths(acme: list[float], *, samples: int = 1) -> pl.DataFrame:
    """Inference in r1: 100 GPUs of 'other' every day, and acme's levels day by day (one path:
    a plain verdict, no sampling error to weigh)."""
    rows = []
    for sample in range(samples):
        for d in range(DAYS):
            day = MONDAY + timedelta(days=d)
            rows.append(("total/r1/inference/other", day, sample, 100.0 + sample))
            rows.append(("total/r1/inference/acme", day, sample, acme[d]))
    return pl.DataFrame(
        rows, schema=["unique_id", "ds", "sample_id", "y"], orient="row"
    ).with_columns(pl.col("sample_id").cast(pl.Int32))


def test_a_customer_gone_inside_the_shock_does_not_pass_on_the_days_it_had() -> None:
    """acme's contract ends after 10 of the forecast's 56 days (no demand on any path after
    2026-01-14). A 2x of acme from the first day read "pass" on 1,000 GPUs: the reader took
    it that acme doubling for 8 weeks is absorbed, where the drill doubled it for 10 days.
    It reads "not verified: customer acme has no demand after 2026-01-14 on any path: judged
    on 10 of the shock's 56 days"; the same drill of a customer present throughout passes."""
    gone = [300.0] * 10 + [0.0] * (DAYS - 10)
    result = run_drill(_plan(1000), _paths(gone), None, scenario_from_args(target="customer:acme"))
    assert result.passed and result.verdict == NOT_VERIFIED
    assert result.unverified == (
        "customer acme has no demand after 2026-01-14 on any path: judged on 10 of the shock's "
        "56 days"
    )
    present = run_drill(
        _plan(1000), _paths([300.0] * DAYS), None, scenario_from_args(target="customer:acme")
    )
    assert present.verdict == PASS and present.unverified == ""
    assert not any("judged on" in n for n in present.notes)


def test_a_customer_gone_inside_a_failing_drill_still_fails_and_says_what_was_judged() -> None:
    """On 500 GPUs acme's 2x (600 GPUs for 10 days) fails whatever followed: a failure on
    the days played is a finding. Its notes say it was judged on 10 of 56 days. Its time to
    absorb read "241 h", the hour after acme left, as if the response had absorbed the shock
    (on a 120-day synthetic fleet, a customer whose contract ended after 3 weeks read "505
    h"): it is short until the shock ended, with acme's leaving named as what ended it."""
    gone = [300.0] * 10 + [0.0] * (DAYS - 10)
    result = run_drill(_plan(500), _paths(gone), None, scenario_from_args(target="customer:acme"))
    assert result.verdict == FAILS_UNDER_SHOCK
    assert (
        "customer acme has no demand after 2026-01-14 on any path: judged on 10 of the shock's "
        "56 days"
    ) in result.notes
    assert result.absorb_hours is None and result.short_until_shock_end_hours == 240
    assert result.absorb_text.startswith("short until the shock ended (240 h) or later")
    assert result.shock_end_event == "customer acme has no demand after 2026-01-14"


def test_a_customer_that_starts_inside_the_shock_is_judged_from_its_first_day() -> None:
    """acme's contract starts on day 21: a 2x from the first day doubles it on the 35 days it
    has demand. That pass is measured (acme is there to the end), and the note says from when."""
    late = [0.0] * 21 + [300.0] * (DAYS - 21)
    result = run_drill(_plan(1000), _paths(late), None, scenario_from_args(target="customer:acme"))
    assert result.verdict == PASS
    assert (
        "customer acme has no demand before 2026-01-26 on any path: judged on 35 of the "
        "shock's 56 days"
    ) in result.notes


def test_a_spike_is_judged_on_its_own_days() -> None:
    """A 5-day spike from day 3 meets acme on all of its days (acme leaves on day 10): no note,
    and its pass stands."""
    gone = [300.0] * 10 + [0.0] * (DAYS - 10)
    spike = scenario_from_args(target="customer:acme", shape="spike:5d", start="+3d")
    result = run_drill(_plan(1000), _paths(gone), None, spike)
    assert result.verdict == PASS
    assert not any("judged on" in n for n in result.notes)


def _plan_landing(gpus: int, *, more: int, on: date) -> CapacityPlan:
    """``gpus`` live in r1, and ``more`` committed there from ``on``."""
    blocks = [
        {"id": "a", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
         "gpus": gpus, "mw": 1.0, "status": "live"},
        {"id": "b", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
         "gpus": more, "mw": 1.0, "status": "committed", "in_service": on},
    ]  # fmt: skip
    return CapacityPlan.model_validate({"policy": fluid_policies(), "block": blocks})


def test_a_customer_arriving_late_in_the_shock_is_judged_from_its_arrival() -> None:
    """acme has no demand until day 30 of 56; a 2x of it from the first day puts 700 GPUs on
    600 from then until 200 more land on day 32. Counted from the shock's start, its time to
    absorb read the 32 days before the block landed (769 h) and its SLO was judged over all 56
    days, of which 54 held (96.4 %, target 95 %): "pass", though the shock failed every hour
    it met acme until the block landed. Judged from acme's first hour (day 30): 49 h to
    absorb, and 24 of the 26 days from then held (92.3 %): it fails under the shock, and the
    notes, the result's start and its time to absorb say from when it was judged."""
    late = [0.0] * 30 + [300.0] * (DAYS - 30)
    plan = _plan_landing(600, more=200, on=MONDAY + timedelta(days=32))
    result = run_drill(plan, _paths(late), None, scenario_from_args(target="customer:acme"))
    assert result.verdict == FAILS_UNDER_SHOCK
    assert result.shock_start == MONDAY + timedelta(days=30)
    assert result.window_hours == (DAYS - 30) * 24
    assert result.absorb_hours == 2 * 24 + 1
    assert result.absorb_text == (
        "49 h, counted from 2026-02-04, its target's first demand in the shock"
    )
    inference = result.verdicts.filter(pl.col("workload_class") == "inference")
    assert inference["attainment_p90_paths"][0] == pytest.approx(24 / 26)
    assert (
        "judged from its target's arrival: the shock began on 2026-01-05, and customer acme has "
        "no demand in it on any path before 2026-02-04: time to absorb counts from then, and "
        "SLO attainment is judged on the 624 h from then to the drill window's end, not on the "
        "shock's first 720 h, which shocked no demand"
    ) in result.notes


def test_a_customer_present_from_the_start_is_judged_from_the_shock_start() -> None:
    """The same drill on a customer with demand from the first day starts where the shock does:
    no note of an arrival, and its time to absorb has nothing added."""
    plan = _plan_landing(600, more=200, on=MONDAY + timedelta(days=32))
    result = run_drill(
        plan, _paths([300.0] * DAYS), None, scenario_from_args(target="customer:acme")
    )
    assert result.shock_start == MONDAY and result.window_hours == DAYS * 24
    assert not any(n.startswith("judged from its target's arrival") for n in result.notes)
    assert "first demand" not in result.absorb_text


def test_the_terminal_and_the_page_count_a_late_targets_time_to_absorb_from_its_arrival() -> None:
    """The drill above as the terminal's and the platform page's cells read it, from what is
    stored (its notes and its start): "49 h, counted from 2026-02-04, its target's first demand
    in the shock" (the page adds "(2.0 d)"), where both read "769 h" from the forecast's first
    day."""
    late = [0.0] * 30 + [300.0] * (DAYS - 30)
    plan = _plan_landing(600, more=200, on=MONDAY + timedelta(days=32))
    played = play_drill(
        plan, _paths(late), pl.DataFrame(schema=SHAPES_SCHEMA),
        scenario_from_args(target="customer:acme"), as_of=MONDAY,
        options=DrillOptions(answers="none"),
    )  # fmt: skip
    assert not isinstance(played, DrillNotPlayed)
    result = played.result
    expected = "49 h, counted from 2026-02-04, its target's first demand in the shock"
    run = {"drill": "d", "target": result.target, "notes": list(result.notes),
           "passed": result.passed, "verdict": result.verdict,
           "shock_start": result.shock_start, "time_to_absorb_hours": result.absorb_hours,
           "absorb_censored": result.absorb_censored, "window_hours": result.window_hours,
           **played.answers}  # fmt: skip
    outcome = drill_outcome(
        run_id="d-1", run=run, verdicts=result.verdicts, kpis=result.kpis,
        additions=played.additions,
    )  # fmt: skip
    assert outcome.absorb_text == expected
    row = {**run, "drill_notes": "; ".join(result.notes), "short_until_shock_end_hours": None}
    # The page gives hours over a day in days too.
    assert drill_absorb_text(row) == expected.replace("49 h", "49 h (2.0 d)")
