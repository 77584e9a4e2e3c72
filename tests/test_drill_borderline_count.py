"""A borderline verdict's cell counts the paths short and says they sit within the sampling
noise of the share the verdict allows, measured on the drill's own paths."""

from __future__ import annotations

import polars as pl
import pytest
from hand_plans import flat_inference_paths, one_rack_plan
from scipy.stats import binomtest

from forecasting.capacity import CapacityPlan
from forecasting.drills import run_drill, scenario_from_args
from forecasting.schema import BORDERLINE, borderline_short

DAYS = 14


def _plan() -> CapacityPlan:
    """One rack of 100 GPUs in r1; inference keeps 20 % free, so 80 GPUs hold its SLO."""
    return one_rack_plan(100, classes=["inference"], inference={"headroom": 0.2})


def _mixed(holding: int, short: int) -> pl.DataFrame:
    """``holding`` paths at 30-39 GPUs (under 80 doubled) and ``short`` at 45-49 (over 80
    doubled), each its own level: a 2x shock holds inference's SLO on the first only."""
    return flat_inference_paths(
        [30.0 + 9.0 * s / holding for s in range(holding)]
        + [45.0 + 4.0 * s / short for s in range(short)],
        days=DAYS,
    )


def test_a_borderline_cell_counts_the_paths_short_within_the_sampling_noise() -> None:
    """12 of 200 paths short under a 2x shock, as on the demo's delivery-slip: the cell read
    "inference in r1 94.0% of 200 paths (95% interval 89.8-96.5%, asks 90%)", a share the
    reader had to turn into paths. It reads the paths short (counted on the run's paths),
    the SLO hours they miss by, and that they sit within the sampling noise of the 10 % the
    verdict allows: the binomial (Wilson) interval of 188 of 200 holding straddles 90 %."""
    plan = _plan()
    result = run_drill(plan, _mixed(188, 12), None, scenario_from_args(multiplier=2.0))
    assert result.verdict == BORDERLINE
    ci = binomtest(188, 200).proportion_ci(confidence_level=0.95, method="wilson")
    assert ci.low < 0.9 < ci.high
    allowed = round((1 - plan.policy["inference"].slo_target) * 100, 3)
    assert (
        f"inference in r1 reaches its SLO target under the shock on 94.0% of paths, 12 of 200 "
        f"short in over {allowed:g}% of its hours (95% interval {ci.low:.1%}-{ci.high:.1%}; "
        "the verdict asks 90%)"
    ) in result.unverified
    cell, rest = borderline_short(result.unverified)
    assert cell == (
        f"inference in r1: 12 of 200 paths short in over {allowed:g}% of its hours, within "
        f"sampling noise of the 10% of paths allowed (94.0% hold, 95% interval "
        f"{ci.low * 100:.1f}-{ci.high:.1%}, asks 90%)"
    )
    assert rest.startswith("borderline at 200 paths: pass or fails under the shock")


def test_the_terminal_verdict_cell_reads_the_count() -> None:
    """`fleetcast drill`'s verdicts table gives the same cell after its badge word."""
    from flows.tables import drill_tables
    from forecasting.runs.drills import DrillOutcome

    result = run_drill(_plan(), _mixed(188, 12), None, scenario_from_args(multiplier=2.0))
    outcome = DrillOutcome(
        run_id="d-1", drill="d", target="all", passed=result.passed, failing_classes=[],
        breaking_multiplier=None, breaking_note=None, blocks_needed=None,
        capex_needed_usd=None, kpis=[], verdict=result.verdict, unverified=result.unverified,
    )  # fmt: skip
    cell = str(next(iter(drill_tables([outcome])[0].columns[2]._cells)))
    assert cell.startswith(f"{BORDERLINE}: inference in r1: 12 of 200 paths short in over ")
    assert "within sampling noise of the 10% of paths allowed (94.0% hold" in cell


def test_a_plain_verdict_well_clear_of_the_line_is_not_borderline() -> None:
    """4 of 200 short (98 % hold, interval clear of 90 %) is a plain pass with no count cell."""
    result = run_drill(_plan(), _mixed(196, 4), None, scenario_from_args(multiplier=2.0))
    assert result.verdict == "pass" and result.unverified == ""
    assert pytest.approx(0.98) == 196 / 200
