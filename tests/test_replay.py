"""Replaying observed demand levels through the drill kernel at factor 1 (drills/replay.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from forecasting.capacity import CapacityPlan, parse_capacity
from forecasting.drills.replay import LEVELS_SCHEMA, replay_error, replay_levels
from forecasting.traces.helios import HeliosOptions, helios_capacity_toml, scan_helios

FIXTURES = Path(__file__).parent / "fixtures" / "traces"
START = datetime(2026, 3, 2, tzinfo=UTC)


def _plan(gpus: int, *, customer: str = "team-a", dedicated: bool = True) -> CapacityPlan:
    """One pod of ``gpus`` in region r, dedicated to ``customer`` unless told otherwise."""
    policy = {
        c: {"tier": t, "priority": p}
        for c, t, p in (
            ("inference", "premium", 1),
            ("training", "standard", 2),
            ("evaluation", "standard", 3),
            ("batch", "batch", 4),
            ("experimentation", "overflow", 5),
        )
    }
    block = {
        "id": "pod-1",
        "kind": "pod",
        "region": "r",
        "site": "s",
        "gpu_type": "V100",
        "gpus": gpus,
        "mw": 0.1,
        "status": "live",
        "fabric": True,
    }
    if dedicated:
        block["dedicated_customer"] = customer
    return CapacityPlan.model_validate({"policy": policy, "block": [block]})


def _levels(running: list[float], queued: list[float], customer: str = "team-a") -> pl.DataFrame:
    hours = len(running)
    return pl.DataFrame(
        {
            "ts": [START + timedelta(hours=h) for h in range(hours)],
            "region": ["r"] * hours,
            "customer": [customer] * hours,
            "gpus_running": running,
            "gpus_queued": queued,
        },
        schema=LEVELS_SCHEMA,
    )


def test_a_steady_queue_at_capacity_replays_as_the_same_queue() -> None:
    """Ten days running at capacity C with Q queued keep the backlog at Q (within 1 %).

    The queued GPUs are inside the level: counting them again as new work every hour would
    grow the backlog by Q an hour instead.
    """
    capacity, queue, hours = 64.0, 24.0, 240
    replayed = replay_levels(_plan(64), _levels([capacity] * hours, [queue] * hours))
    assert replayed.height == hours and replayed["observed"].all()
    assert replayed["simulated_backlog"].to_numpy() == pytest.approx(queue, rel=0.01)
    error = replay_error(replayed).row(0, named=True)
    assert error["mae"] < 0.01 * queue and error["agreement"] == 1.0


def test_a_level_within_capacity_builds_no_queue_and_the_gap_is_not_scored() -> None:
    """Below capacity nothing queues; an hour with no observation carries on, unscored."""
    running = [40.0] * 30
    levels = _levels(running, [0.0] * 30).filter(pl.col("ts") != START + timedelta(hours=12))
    replayed = replay_levels(_plan(64), levels)
    gap = replayed.filter(~pl.col("observed"))
    assert gap["ts"].to_list() == [START + timedelta(hours=12)]
    assert gap["level"].to_list() == [40.0]  # the last level before the gap
    assert replayed["simulated_backlog"].max() == 0.0
    error = replay_error(replayed).row(0, named=True)
    assert error["hours"] == 29 and error["mae_relative"] is None


def test_work_above_capacity_queues_and_drains_after() -> None:
    """A day at 96 on 64 GPUs queues work; back at 32 the queue drains to zero."""
    running = [64.0] * 24 + [32.0] * 48
    queued = [32.0] * 24 + [0.0] * 48
    backlog = replay_levels(_plan(64), _levels(running, queued))["simulated_backlog"]
    assert backlog[23] == pytest.approx(32.0, rel=0.01)
    assert backlog[-1] == pytest.approx(0.0, abs=0.5)


def test_customers_without_dedicated_blocks_are_refused() -> None:
    """A replay runs customers one by one, so each needs capacity of its own; the error says so."""
    with pytest.raises(ValueError, match=r"r/team-a.*no block dedicated"):
        replay_levels(_plan(64, dedicated=False), _levels([8.0], [0.0]))
    with pytest.raises(ValueError, match="more than one row for r/team-a"):
        replay_levels(_plan(64), pl.concat([_levels([8.0], [0.0])] * 2))


def test_helios_slice_replays_against_its_quota_plan() -> None:
    """The shipped Helios slice (3 VCs, an outage) replays per VC against the May 2020 quotas."""
    options = HeliosOptions(size_classes={"noless_8": "training", "less_8": "training"})
    telemetry = scan_helios(
        FIXTURES / "helios_earth_vc_minute_2020-05-12_slice.csv.gz", options
    ).collect()
    levels = telemetry.group_by("ts", "region", "customer").agg(
        pl.col("gpus_running").sum(), pl.col("gpus_queued").sum()
    )
    plan = parse_capacity(
        helios_capacity_toml(
            FIXTURES / "helios_earth_vc_gpu_capacity_daily.csv", as_of=date(2020, 5, 31)
        )
    )
    replayed = replay_levels(plan, levels)
    assert set(replayed["customer"]) == {"vc6YE", "vcpDC", "vcJkd"}
    # 13:00-17:59 Asia/Shanghai is 05:00-09:59 UTC; 15:00 local is inside the outage.
    seen = replayed.filter(pl.col("observed"), pl.col("customer") == "vc6YE")["ts"]
    assert [t.hour for t in seen] == [5, 6, 8, 9]
    quota = replayed.filter(pl.col("customer") == "vc6YE")["capacity_gpus"].unique()
    assert quota.to_list() == [208.0]  # vc6YE's quota on 2020-05-12
    error = replay_error(replayed)
    idle = error.filter(pl.col("customer") == "vcJkd").row(0, named=True)
    assert idle["simulated_backlog_mean"] == 0.0 and idle["mae_relative"] is None
    assert error["hours"].to_list() == [4, 4, 4]
