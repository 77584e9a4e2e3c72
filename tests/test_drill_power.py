"""Drills and site power: blocks a site cannot power serve nothing in a replay or a drill."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from forecasting.capacity import CapacityPlan
from forecasting.drills.replay import LEVELS_SCHEMA, replay_levels

POLICY = {
    c: {"tier": t, "priority": p}
    for c, t, p in (
        ("inference", "premium", 1),
        ("training", "standard", 2),
        ("evaluation", "standard", 3),
        ("batch", "batch", 4),
        ("experimentation", "overflow", 5),
    )
}


def _replay_plan(energized: list[dict[str, object]]) -> CapacityPlan:
    """Two 64-GPU pods of 0.1 MW each at site s, dedicated to team-a, under ``energized``."""
    block = {
        "kind": "pod", "region": "r", "site": "s", "gpu_type": "H100", "gpus": 64, "mw": 0.1,
        "status": "live", "in_service": date(2026, 1, 1), "fabric": True,
        "dedicated_customer": "team-a",
    }  # fmt: skip
    return CapacityPlan.model_validate(
        {
            "policy": POLICY,
            "site": [
                {"id": "s", "region": "r", "energized": energized,
                 "power_lead_months": 12, "cost_per_mw_usd": 1e6}
            ],
            "block": [{**block, "id": "pod-1"}, {**block, "id": "pod-2"}],
        }
    )  # fmt: skip


def test_replay_leaves_out_a_block_its_site_cannot_power() -> None:
    """A site energized for one of two 64-GPU pods replays 64 GPUs until its second step."""
    start = datetime(2026, 3, 2, tzinfo=UTC)
    plan = _replay_plan([{"on": date(2025, 1, 1), "mw": 0.1}, {"on": date(2026, 3, 4), "mw": 0.2}])
    hours = 96
    levels = pl.DataFrame(
        {
            "ts": [start + timedelta(hours=h) for h in range(hours)],
            "region": ["r"] * hours,
            "customer": ["team-a"] * hours,
            "gpus_running": [100.0] * hours,
            "gpus_queued": [0.0] * hours,
        },
        schema=LEVELS_SCHEMA,
    )
    replayed = replay_levels(plan, levels)
    dark = replayed.filter(pl.col("ts") < datetime(2026, 3, 4, tzinfo=UTC))
    lit = replayed.filter(pl.col("ts") >= datetime(2026, 3, 4, tzinfo=UTC))
    assert dark["capacity_gpus"].unique().to_list() == [64.0]
    assert lit["capacity_gpus"].unique().to_list() == [128.0]
    # The level is 100 GPUs: 36 wait while one pod is dark, none once both run.
    assert dark["simulated_backlog"].to_numpy() == pytest.approx(36.0, rel=0.01)
    assert lit["simulated_backlog"].tail(24).max() < 0.5
