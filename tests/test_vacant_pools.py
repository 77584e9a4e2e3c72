"""A pool with neither demand nor capacity is not judged, as a region with neither is not."""

from __future__ import annotations

from test_triggers import MONDAY, _block, _plan, _r2_forecast, _row

from forecasting.report.inputs import unmeasured_class_rows
from forecasting.schema import VACANT
from forecasting.triggers import UNMEASURED_TRAINING, expansion_triggers


def test_an_inference_only_fleet_s_training_pool_is_not_judged() -> None:
    """An inference-only fleet (racks that host inference alone, no training row in the
    telemetry) read its training pool green, "no training demand in the forecast through
    DAY" and 0 GPUs short: zero demand against zero capacity, where a region with neither
    reads "no capacity planned, no demand measured". The row says so now, has no shortfall
    figure, and is one of the rows every reader counts as not verified; its "all" pool, with
    demand and capacity, is judged as before."""
    rack = _block("r2-rack", 1000, region="r2", site="r2-a", mw=0.5, classes=["inference"])
    result = expansion_triggers(_r2_forecast(), _plan([rack]), as_of=MONDAY)
    row = _row(result.triggers, "r2", "training")
    opens = f"{UNMEASURED_TRAINING}, and r2 plans no block that hosts training: "
    assert row["note"].startswith(opens)
    assert VACANT in row["note"] and row["note"].endswith("so this pool is not judged")
    assert row["max_shortfall_gpus"] is None and row["unmeasured_training"] is True
    flagged = result.triggers.filter(unmeasured_class_rows())
    assert flagged.select("region", "pool").rows() == [("r2", "training")]
    judged = _row(result.triggers, "r2", "all")
    assert judged["unmeasured_training"] is False and judged["max_shortfall_gpus"] is not None
