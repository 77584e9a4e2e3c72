"""A drill with a supply event and a demand shock whose target arrives late: each part counts
from when it acts (the supply event from its start, the demand shock from its target's first
demand), the drill from the first of them, and every cell says which."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from hand_plans import RACK, fluid_policies

from forecasting.capacity import CapacityPlan
from forecasting.drills import SHAPES_SCHEMA, run_drill, scenario_from_args
from forecasting.options import DrillOptions
from forecasting.report.pages.platform import drill_absorb_text
from forecasting.runs import DrillNotPlayed, drill_outcome, play_drill
from forecasting.schema import PASS

MONDAY = date(2026, 1, 5)
DAYS = 56
ARRIVES = 30  # acme's first day with demand


def _plan() -> CapacityPlan:
    """600 GPUs live in r1, a ``spare`` block live beside them, 200 more landing on day 32, and
    a rack candidate with a week's lead time."""
    blocks = [
        {"id": "a", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
         "gpus": 600, "mw": 1.0, "status": "live"},
        {"id": "spare", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
         "gpus": 100, "mw": 1.0, "status": "live"},
        {"id": "b", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
         "gpus": 200, "mw": 1.0, "status": "committed",
         "in_service": MONDAY + timedelta(days=32)},
    ]  # fmt: skip
    # A rack orderable within a week: the loss can be replaced inside the horizon, so a pass
    # is the whole loss's, not "judged to" its end.
    rack = {**RACK, "lead_time_weeks": 1}
    return CapacityPlan.model_validate(
        {"policy": fluid_policies(), "block": blocks, "candidate": [rack]}
    )


def _paths() -> pl.DataFrame:
    """Inference in r1, one path: 100 GPUs of 'other' every day, and acme from day 30 (300)."""
    rows = []
    for d in range(DAYS):
        day = MONDAY + timedelta(days=d)
        rows.append(("total/r1/inference/other", day, 0, 100.0))
        rows.append(("total/r1/inference/acme", day, 0, 0.0 if d < ARRIVES else 300.0))
    return pl.DataFrame(
        rows, schema=["unique_id", "ds", "sample_id", "y"], orient="row"
    ).with_columns(pl.col("sample_id").cast(pl.Int32))


def _scenario(lose: str) -> object:
    return scenario_from_args(target="customer:acme", lose=(lose,))


def test_a_loss_before_a_late_target_is_judged_from_the_loss() -> None:
    """acme 2x with the spare block lost on day 14: the loss acts from day 14, acme's 2x from
    day 30 (700 GPUs on 600 until 200 land on day 32). Judged from the scenario's first day,
    its time to absorb read 769 h and its SLO was judged over 56 days, 14 of which nothing
    acted. Judged from the loss: 433 h to absorb (49 h of it from acme's first demand), SLO
    over the 42 days from the loss (40 held), and a note says what counted from when."""
    result = run_drill(_plan(), _paths(), None, _scenario("spare@+14d"))
    assert result.verdict == PASS
    assert result.shock_start == MONDAY + timedelta(days=14)
    assert result.window_hours == (DAYS - 14) * 24
    assert result.absorb_hours == (ARRIVES - 14 + 2) * 24 + 1
    assert result.absorb_text.endswith(
        ", counted from 2026-01-19, the loss of spare's start; 49 h from 2026-02-04, its "
        "target's first demand in the shock"
    )
    inference = result.verdicts.filter(pl.col("workload_class") == "inference")
    assert inference["attainment_p90_paths"][0] == pytest.approx(40 / 42)
    assert (
        "judged from its supply event's start: the loss of spare acts from 2026-01-19, and "
        "customer acme has no demand in the shock on any path before 2026-02-04, 384 h later: "
        "time to absorb counts from the loss of spare's start and SLO attainment is judged on "
        "the 1,008 h from then to the drill window's end; the shock on customer acme acts from "
        "its first demand, and the hours before it judge the loss of spare alone; the scenario "
        "began on 2026-01-05, before either acted, and its hours until then are not judged"
    ) in result.notes


def test_a_loss_at_the_start_keeps_the_start_and_says_when_the_target_arrived() -> None:
    """The loss on the first day: the drill is judged from then, as before (769 h to absorb),
    and its cell says from what, and from when its target's part counts (49 h of it); a
    bare "769 h" read as the customer's 2x taking a month to absorb."""
    result = run_drill(_plan(), _paths(), None, _scenario("spare"))
    assert result.shock_start == MONDAY
    assert result.absorb_text.endswith(
        ", counted from 2026-01-05, the loss of spare's start; 49 h from 2026-02-04, its "
        "target's first demand in the shock"
    )
    assert result.absorb_hours == (ARRIVES + 2) * 24 + 1
    assert not any("scenario began" in n for n in result.notes)


def test_a_target_arriving_before_the_loss_is_judged_from_its_arrival() -> None:
    """A loss on day 40, after acme's arrival on day 30: the drill is judged from acme's first
    demand, as a late target alone is (the spare still serves acme's 2x until the block lands,
    so nothing is short), and the note names the loss's later start."""
    result = run_drill(_plan(), _paths(), None, _scenario("spare@+40d"))
    assert result.shock_start == MONDAY + timedelta(days=ARRIVES)
    assert result.absorb_text == (
        "no shortfall within the 26 d window; the loss lasts past it (a longer --horizon may "
        "find one), counted from 2026-02-04, its target's first demand in the shock"
    )
    assert any(
        n.startswith(
            "judged from its target's arrival: customer acme has no demand in the shock on any "
            "path before 2026-02-04, and the loss of spare acts only from 2026-02-14"
        )
        for n in result.notes
    )


def test_the_terminal_and_the_page_say_what_the_loss_and_target_drill_counts_from() -> None:
    """The day-14 loss drill as the terminal's and the platform page's cells read it from what
    is stored (its notes, start and time to absorb): both name the loss's start and acme's
    first demand, where both read a bare figure counted from the forecast's first day."""
    played = play_drill(
        _plan(), _paths(), pl.DataFrame(schema=SHAPES_SCHEMA), _scenario("spare@+14d"),
        as_of=MONDAY, options=DrillOptions(answers="none"),
    )  # fmt: skip
    assert not isinstance(played, DrillNotPlayed)
    result = played.result
    counted = (
        ", counted from 2026-01-19, the loss of spare's start; 49 h from 2026-02-04, its "
        "target's first demand in the shock"
    )
    run = {"drill": "d", "target": result.target, "notes": list(result.notes),
           "passed": result.passed, "verdict": result.verdict,
           "shock_start": result.shock_start, "time_to_absorb_hours": result.absorb_hours,
           "absorb_censored": result.absorb_censored, "window_hours": result.window_hours,
           "loss_lasts_past_window": result.loss_lasts_past_window, **played.answers}  # fmt: skip
    outcome = drill_outcome(
        run_id="d-1", run=run, verdicts=result.verdicts, kpis=result.kpis,
        additions=played.additions,
    )  # fmt: skip
    assert outcome.absorb_text is not None and outcome.absorb_text.endswith(counted)
    row = {**run, "drill_notes": "; ".join(result.notes), "short_until_shock_end_hours": None}
    assert drill_absorb_text(row).endswith(counted)


def test_a_loss_dated_before_the_scenario_start_leaves_it_judged_from_its_start() -> None:
    """A loss on day 7 of a shock starting on day 14: the loss acts unjudged before the start,
    as before, and the drill is judged from the start (not from the loss, nor from acme's
    arrival on day 30), with no note of parts."""
    scenario = scenario_from_args(target="customer:acme", start="+14d", lose=("spare@+7d",))
    result = run_drill(_plan(), _paths(), None, scenario)
    assert result.shock_start == MONDAY + timedelta(days=14)
    assert not any(n.startswith("judged from its supply event's start") for n in result.notes)
    assert "first demand" not in result.absorb_text
