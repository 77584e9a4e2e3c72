"""A drill whose plan fails without the shock says, in its verdict cell, how many paths were
short and why the group's trigger (each day's q90) can be green beside it."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hand_plans import fluid_policies

from flows.tables import drill_tables
from forecasting.capacity import CapacityPlan
from forecasting.drills import SHAPES_SCHEMA, scenario_from_args
from forecasting.options import DrillOptions
from forecasting.report.pages.platform import _book_only_cells
from forecasting.runs import DrillNotPlayed, drill_outcome, play_drill
from forecasting.schema import FAILS_UNSHOCKED

MONDAY = date(2026, 1, 5)
DAYS = 28
PATHS = 200


def _plan() -> CapacityPlan:
    blocks = [
        {"id": f"b-{region}", "kind": "rack", "region": region, "site": f"{region}-a",
         "gpu_type": "H100", "gpus": 100, "mw": 1.0, "status": "live"}
        for region in ("r1", "r2")
    ]  # fmt: skip
    policies = fluid_policies(inference={"headroom": 0.2, "slo_target": 0.9})
    return CapacityPlan.model_validate({"policy": policies, "block": blocks})


def _paths(short_paths: int) -> pl.DataFrame:
    """Inference at 60 GPUs of 100 in r1 and r2 on every path; in r2, the first
    ``short_paths`` paths run at 90 (10 % free where inference keeps 20 %) on days 2-5."""
    rows = [
        (f"total/{region}/inference/other", MONDAY + timedelta(days=d), sample,
         90.0 if region == "r2" and sample < short_paths and 2 <= d <= 5 else 60.0)
        for region in ("r1", "r2") for d in range(DAYS) for sample in range(PATHS)
    ]  # fmt: skip
    return pl.DataFrame(
        rows, schema=["unique_id", "ds", "sample_id", "y"], orient="row"
    ).with_columns(pl.col("sample_id").cast(pl.Int32))


def test_the_verdict_cell_counts_the_paths_short_unshocked_and_says_why_a_trigger_differs() -> None:
    """60 of 200 paths hold r2's inference headroom on 24 of 28 days (85.7 %, target 90 %),
    the other 140 on all of them: the plan fails unshocked there. On each of those days the
    q90 over paths is 60 GPUs, so a trigger reading each day's q90 is green beside it. The
    verdict cell read "plan fails unshocked (inference in r2)", the reason only in the long
    note; the cell now counts the paths short and says what the trigger reads instead, on
    the terminal and the platform page alike."""
    played = play_drill(
        _plan(), _paths(60), pl.DataFrame(schema=SHAPES_SCHEMA), scenario_from_args(),
        as_of=MONDAY, options=DrillOptions(answers="none"),
    )  # fmt: skip
    assert not isinstance(played, DrillNotPlayed)
    result = played.result
    assert result.verdict == FAILS_UNSHOCKED
    assert result.unshocked_failures == ("inference in r2",)
    expected = (
        "inference in r2: 60 of 200 paths short in over 10% of its hours; its trigger reads "
        "each day's q90 forecast, not hours across paths"
    )
    run = {"drill": "d", "target": "t", "notes": list(result.notes), "passed": False,
           "verdict": result.verdict, "unshocked_failures": list(result.unshocked_failures),
           **played.answers}  # fmt: skip
    outcome = drill_outcome(
        run_id="d-1", run=run, verdicts=result.verdicts, kpis=result.kpis,
        additions=played.additions,
    )  # fmt: skip
    cell = str(drill_tables([outcome])[0].columns[2]._cells[0])
    assert cell == f"{FAILS_UNSHOCKED} ({expected})"
    row = {"target": "t", "drill_notes": "; ".join(result.notes), "unshocked_failures":
           "inference in r2"}  # fmt: skip
    assert _book_only_cells(row)[1] == expected
