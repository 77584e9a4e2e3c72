"""Drill rows of a region whose demand is the contract book's alone carry their own label."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import polars as pl

from flows.tables import drill_tables
from forecasting.capacity import BurstRung, CandidateBlock, CapacityPlan, Response
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
    # The label stays beside the group, before its paths short (test_drill_unshocked_cell).
    assert str(verdicts.columns[2]._cells[0]) == (
        f"plan fails unshocked (inference in r2: {LABEL}, 1 of 1 paths short in over 10% of "
        "its hours; its trigger reads each day's q90 forecast, not hours across paths)"
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
        f"inference in r2: {LABEL}, 1 of 1 paths short in over 10% of its hours; its trigger "
        "reads each day's q90 forecast, not hours across paths",
    )
    assert _book_only_cells({**row, "drill_notes": notes}) == (
        "class:inference",
        "inference in r2",
    )


def test_a_book_only_region_is_labelled_in_the_drill_s_orders_rungs_and_csv() -> None:
    """r2's contract ramp (150 GPUs on 100) is short and racks can be ordered there; its burst
    rung acts. The drill's "would pass with" ("2 x rack-50 in r2"), its rungs ("burst (r2)"
    in the terminal, the page's rung table) and drills.csv said nothing of r2's demand being
    the contract book's alone: each labels it now, and r1 stays unlabelled."""
    from test_report import sample_inputs

    from flows.tables import _rungs_text
    from forecasting.report.pages.platform import _rung_tables, _to_pass
    from forecasting.report.publish import drills_frame

    plan = _plan().model_copy(
        update={
            "candidate": (
                CandidateBlock(
                    name="rack-50",
                    kind="rack",
                    gpu_type="H100",
                    gpus=50,
                    mw=0.1,
                    capex_usd=2e6,
                    lead_time_weeks=0,
                    classes=("inference",),
                ),
            ),
            "response": Response(burst=BurstRung(after_days=0, gpus=200, price_per_gpu_hour=4.0)),
        }
    )
    played = play_drill(
        plan, _paths(), pl.DataFrame(schema=SHAPES_SCHEMA),
        scenario_from_args(target="class:inference", start="+1w"), as_of=MONDAY,
        options=DrillOptions(answers="failing"), book_only=("r2",),
    )  # fmt: skip
    assert isinstance(played, PlayedDrill)
    result = played.result
    run: dict[str, Any] = {
        "drill": "d", "target": "class:inference", "passed": result.passed,
        "notes": list(result.notes), "verdict": result.verdict, **played.answers,
    }  # fmt: skip
    outcome = drill_outcome(
        run_id="d-1", run=run, verdicts=result.verdicts, kpis=result.kpis,
        additions=played.additions, rungs=result.rungs,
    )  # fmt: skip
    assert outcome.blocks_needed is not None and " in r2" in outcome.blocks_needed
    answers = drill_tables([outcome])[1]
    assert f"in r2: {LABEL}" in str(answers.columns[3]._cells[0])
    assert f"(r2: {LABEL})" in _rungs_text(outcome.rungs_used, book_only=outcome.book_only)
    row = {
        "passed": False, "blocks_pass": True, "blocks_needed": outcome.blocks_needed,
        "capex_needed_usd": 4e6, "blocks_note": None, "drill_notes": "; ".join(result.notes),
    }  # fmt: skip
    assert f"in r2: {LABEL}" in _to_pass(row)
    rungs = result.rungs.with_columns(drill=pl.lit("d"))
    ((_, table),) = _rung_tables(rungs, book_only={"d": ["r2"]})
    regions = [r[1] for r in table.rows]
    assert f"r2: {LABEL}" in regions and "r1" in regions
    # drills.csv names the drill's book-only regions in a column of their own.
    inputs = sample_inputs()
    first = inputs.drill_answers["drill"][0]
    noted = inputs.drill_answers.with_columns(
        drill_notes=pl.when(pl.col("drill") == first)
        .then(pl.lit("r2: " + result.notes[-1].partition(": ")[2]))
        .otherwise(pl.col("drill_notes"))
    )
    csv = drills_frame(replace(inputs, drill_answers=noted))
    regions_of = dict(csv.select("drill", "book_only_regions").unique().iter_rows())
    assert regions_of[first] == "r2"
    assert all(v is None for d, v in regions_of.items() if d != first)
