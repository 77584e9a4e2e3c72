"""A drill whose loss runs past the forecast horizon says what part of it was judged."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from hand_plans import fluid_policies

from forecasting.capacity import CapacityPlan
from forecasting.drills import run_drill, scenario_from_args
from forecasting.schema import NOT_VERIFIED, PASS

MONDAY = date(2026, 1, 5)


def _plan(*, lead_weeks: int | None) -> CapacityPlan:
    """Two 100-GPU racks of inference in r1; a rack-100 to order at ``lead_weeks`` (None: no
    candidate)."""
    rack: dict[str, Any] = {
        "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100", "gpus": 100,
        "mw": 1.0, "status": "live", "classes": ["inference"],
    }  # fmt: skip
    blocks = [{**rack, "id": name} for name in ("a", "b")]
    candidate: dict[str, Any] = {
        "name": "rack-100", "kind": "rack", "gpu_type": "H100", "gpus": 100, "mw": 1.0,
        "capex_usd": 1e6, "lead_time_weeks": lead_weeks,
    }  # fmt: skip
    candidates = [] if lead_weeks is None else [candidate]
    return CapacityPlan.model_validate(
        {"policy": fluid_policies(), "block": blocks, "candidate": candidates}
    )


def _paths(days: int) -> pl.DataFrame:
    """One path of flat inference demand, 70 GPUs: one rack holds it (one path: no sampling
    error to weigh)."""
    return pl.DataFrame(
        {
            "unique_id": "total/r1/inference/other",
            "ds": [MONDAY + timedelta(days=d) for d in range(days)],
            "sample_id": 0,
            "y": 70.0,
        },
        schema_overrides={"sample_id": pl.Int32},
    )


def test_a_block_loss_past_a_short_horizon_says_what_part_was_judged() -> None:
    """`forecast --horizon 1w`, then `drill block-loss`: the largest block lost for good read
    a plain "pass" and "nothing: it passes as planned", a week of a loss whose replacement
    (ordered the day it is lost) lands eight weeks later. The pass says it judged the week
    only; on a horizon the replacement lands within, the pass stands."""
    loss = scenario_from_args(multiplier=1.0, lose=("a",))
    week = run_drill(_plan(lead_weeks=8), _paths(7), None, loss)
    assert week.verdict == NOT_VERIFIED
    assert week.unverified == (
        "judged to 2026-01-11: the loss runs to 2026-03-02 (a lost on 2026-01-05; a rack-100 "
        "ordered that day lands then), not within the horizon (`--horizon 57` plays it to then)"
    )
    # The time to absorb says the window it held in, once (not again "on what was played").
    assert week.absorb_text == (
        "no shortfall within the 7 d window; the loss lasts past it (a longer --horizon may "
        "find one)"
    )
    whole = run_drill(_plan(lead_weeks=8), _paths(70), None, loss)
    assert whole.verdict == PASS and whole.unverified == ""
    never = run_drill(_plan(lead_weeks=None), _paths(70), None, loss)
    assert never.verdict == NOT_VERIFIED
    assert never.unverified.startswith("judged to 2026-03-15: the loss of a (r1, from 2026-01-05)")
