"""Drill rows of a region whose demand is the contract book's alone carry their own label."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from flows.tables import drill_tables
from forecasting.capacity import CapacityPlan
from forecasting.drills import SHAPES_SCHEMA, scenario_from_args
from forecasting.options import DrillOptions
from forecasting.report.pages.platform import _book_only_cells
from forecasting.runs import DrillOutcome, PlayedDrill, drill_outcome, play_drill

MONDAY = date(2026, 1, 5)
LABEL = "contract book only (not forecast)"


def _plan() -> CapacityPlan:
    """A 100-GPU inference rack in r1 and one in r2."""
    policy = {
        "inference": {"tier": "premium", "priority": 1, "slo_target": 0.9},
        "training": {"tier": "standard", "priority": 2},
        "evaluation": {"tier": "batch", "priority": 3},
        "batch": {"tier": "batch", "priority": 3},
        "experimentation": {"tier": "overflow", "priority": 4, "preemptible": True},
    }
    rack = {
        "kind": "rack", "gpu_type": "H100", "gpus": 100, "mw": 0.2, "status": "live",
        "classes": ["inference"],
    }  # fmt: skip
    blocks = [
        {**rack, "id": f"rack-{region}", "region": region, "site": f"{region}-a"}
        for region in ("r1", "r2")
    ]
    return CapacityPlan.model_validate({"policy": policy, "block": blocks})


def _paths() -> pl.DataFrame:
    """r1's inference at 40 GPUs a day, r2's (its contract's ramp) at 150: short unshocked."""
    return pl.DataFrame(
        [
            (f"total/{region}/inference/other", MONDAY + timedelta(days=d), 0, level)
            for region, level in (("r1", 40.0), ("r2", 150.0))
            for d in range(14)
        ],
        schema={"unique_id": pl.String, "ds": pl.Date, "sample_id": pl.Int32, "y": pl.Float64},
        orient="row",
    )


def _played(book_only: tuple[str, ...]) -> PlayedDrill:
    """inference-2x played with ``book_only`` regions, no answers searched."""
    played = play_drill(
        _plan(), _paths(), pl.DataFrame(schema=SHAPES_SCHEMA),
        scenario_from_args(target="class:inference"), as_of=MONDAY,
        options=DrillOptions(answers="none"), book_only=book_only,
    )  # fmt: skip
    assert isinstance(played, PlayedDrill)
    return played


def _stored(*, book_only: tuple[str, ...]) -> DrillOutcome:
    """The drill's outcome as the CLI reads it back from its stored run row."""
    played = _played(book_only)
    result = played.result
    run: dict[str, Any] = {
        "drill": "inference-2x", "target": "class:inference", "passed": result.passed,
        "notes": list(result.notes), "verdict": result.verdict,
        "unshocked_failures": list(result.unshocked_failures), **played.answers,
    }  # fmt: skip
    return drill_outcome(
        run_id="d-1", run=run, verdicts=result.verdicts, kpis=result.kpis,
        additions=played.additions,
    )  # fmt: skip


def test_a_book_only_region_is_labelled_in_the_drill_rows() -> None:
    """r2's demand is its contract book's alone: the drill's notes say so (stored), and its
    CLI row names r2 under the target and labels "inference in r2" where the plan fails
    unshocked; before, only `report`'s caption and the pages' banner said it."""
    outcome = _stored(book_only=("r2", "r9"))
    assert outcome.book_only == ["r2"]  # r9 is no region the drill played
    assert outcome.unshocked_failures == ["inference in r2"]
    verdicts = drill_tables([outcome])[0]
    assert str(verdicts.columns[1]._cells[0]) == f"class:inference\nr2: {LABEL}"
    assert str(verdicts.columns[2]._cells[0]) == (
        f"plan fails unshocked (inference in r2: {LABEL})"
    )
    # Without a book-only region nothing is labelled.
    plain = _stored(book_only=())
    assert plain.book_only == []
    assert str(drill_tables([plain])[0].columns[1]._cells[0]) == "class:inference"


def test_the_platform_page_labels_a_book_only_region_in_the_drill_row() -> None:
    """The page's drill row reads its region's label off the drill's stored notes."""
    result = _played(("r2",)).result
    # As the report reads a run: its notes "; "-joined; a note that only quotes the label
    # names no region.
    notes = "; ".join(["time to absorb is censored: on more than 10% of paths", LABEL])
    row = {
        "target": "class:inference",
        "unshocked_failures": "; ".join(result.unshocked_failures),
        "drill_notes": "; ".join([notes, *result.notes]),
    }
    assert _book_only_cells(row) == (
        f"class:inference; r2: {LABEL}",
        f"inference in r2: {LABEL}",
    )
    assert _book_only_cells({**row, "drill_notes": notes}) == (
        "class:inference",
        "inference in r2",
    )
