"""A borderline drill whose pass side would not be verified (a loss the window judges only in
part) says so beside its sampling error, as a plain pass there reads "not verified"."""

from __future__ import annotations

from datetime import date

import polars as pl
from hand_plans import block, flat_inference_paths, fluid_policies

from forecasting.capacity import CapacityPlan
from forecasting.drills import run_drill, scenario_from_args
from forecasting.schema import BORDERLINE, NOT_VERIFIED

MONDAY = date(2026, 1, 5)
DAYS = 7


def _plan() -> CapacityPlan:
    blocks = [
        block(ident, gpus, site="r1-a", classes=["inference"])
        for ident, gpus in (("a", 1000), ("b", 256))
    ]
    return CapacityPlan.model_validate(
        {"policy": fluid_policies(inference={"headroom": 0.0}), "block": blocks}
    )


def _paths(holding: int) -> pl.DataFrame:
    """200 paths of flat inference in r1: ``holding`` of them under 1,000 GPUs, the rest over."""
    levels = [900.0 + 0.5 * s for s in range(holding)] + [1010.0 + s for s in range(200 - holding)]
    return flat_inference_paths(levels, days=DAYS)


def test_a_borderline_loss_judged_in_part_says_its_pass_would_not_be_verified() -> None:
    """Rack b (256 GPUs) lost for good on a 7-day forecast, no rack orderable to replace it.
    On a 7-day forecast of a 120-day synthetic fleet (seed 7) block-loss read "borderline at
    200 paths: pass or fails under the shock" (87.5 % of paths), offering a pass for a loss
    judged only to the horizon's end, where the same drill a few paths better read "not
    verified: judged to ...". Its reason now says a pass would not be verified either, and
    why."""
    shock = scenario_from_args(multiplier=1.0, lose=("b",))
    near = run_drill(_plan(), _paths(179), None, shock)  # 89.5 % hold: plain fail, borderline
    assert near.verdict == BORDERLINE
    assert near.unverified.startswith("borderline at 200 paths: pass or fails under the shock")
    assert near.unverified.endswith(
        "; a pass would not be verified: judged to 2026-01-11: the loss of b (r1, from "
        "2026-01-05) runs past any horizon (no rack can be ordered for r1 to replace it), not "
        "within the horizon"
    )
    above = run_drill(_plan(), _paths(183), None, shock)  # 91.5 %: plain pass
    assert above.verdict == NOT_VERIFIED
    assert above.unverified.startswith("judged to 2026-01-11: the loss of b")
