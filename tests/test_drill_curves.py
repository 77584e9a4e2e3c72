"""Drill backlog curves and daily service: closed-form cases and agreement with the KPIs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from forecasting.capacity import CapacityPlan
from forecasting.drills import (
    BACKLOG_CURVE_SCHEMA,
    DAILY_SERVICE_SCHEMA,
    Engine,
    prepare_drill,
    run_drill,
    scenario_from_args,
)
from forecasting.drills.curves import path_quantiles
from forecasting.drills.kernel import simulate_kernel, simulate_traced

MONDAY = date(2026, 1, 5)
DAYS = 28
SHOCK_HOUR = 14 * 24  # "+2w"


def _plan(gpus: int) -> CapacityPlan:
    policies = {
        "inference": {"tier": "premium", "priority": 1},
        "training": {"tier": "standard", "priority": 2},
        "evaluation": {"tier": "batch", "priority": 3},
        # One-hour jobs and no tolerance to wait: the fluid queue whose closed forms these
        # tests check (longer jobs turn over more slowly; see test_kernel_semantics).
        "batch": {"tier": "batch", "priority": 3, "mean_job_hours": 1.0, "max_wait_hours": 0},
        "experimentation": {"tier": "overflow", "priority": 4, "preemptible": True},
    }
    block = {"id": "a", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
             "gpus": gpus, "mw": 1.0, "status": "live", "classes": ["batch"]}  # fmt: skip
    return CapacityPlan.model_validate({"policy": policies, "block": [block]})


def _paths(levels: list[float]) -> pl.DataFrame:
    """Constant daily batch demand, one level per sample path."""
    return pl.concat(
        pl.DataFrame(
            {
                "unique_id": "total/r1/batch/other",
                "ds": [MONDAY + timedelta(days=d) for d in range(DAYS)],
                "sample_id": sample,
                "y": level,
            }
        )
        for sample, level in enumerate(levels)
    ).with_columns(pl.col("sample_id").cast(pl.Int32))


def _curve(result: Any, workload_class: str) -> pl.DataFrame:
    return result.backlog_curve.filter(pl.col("workload_class") == workload_class).sort("ts")


def test_step_above_capacity_grows_backlog_linearly() -> None:
    """Demand d = 120 on c = 100 from the shock: backlog rises by d - c = 20 every hour."""
    step = scenario_from_args(target="class:batch", shape="step", start="+2w")
    result = run_drill(_plan(100), _paths([60.0, 60.0, 60.0]), None, step)
    curve = _curve(result, "batch")
    assert result.backlog_curve.schema == BACKLOG_CURVE_SCHEMA
    assert curve.height == DAYS * 24
    assert curve["ts"][0] == datetime(2026, 1, 5, tzinfo=UTC)
    assert curve["ts"][SHOCK_HOUR] == datetime(2026, 1, 19, tzinfo=UTC)
    hours_in = np.arange(DAYS * 24 - SHOCK_HOUR)
    expected = np.concatenate([np.zeros(SHOCK_HOUR), 20.0 * (hours_in + 1)])
    np.testing.assert_allclose(curve["backlog_p50"].to_numpy(), expected)
    np.testing.assert_allclose(curve["backlog_p90"].to_numpy(), expected)
    # With no tolerance to wait, every queued GPU is overdue in its hour: unmet is the backlog.
    np.testing.assert_allclose(curve["unmet_p90"].to_numpy(), expected)
    assert _curve(result, "all")["backlog_p50"].equals(curve["backlog_p50"])
    assert _curve(result, "inference")["backlog_p90"].max() == 0.0


def test_spike_backlog_peaks_at_the_kpi_and_drains_at_the_spare_rate() -> None:
    """A 2-day spike peaks at (d - c) * 48 = the peak-backlog KPI, then drains by c - b per hour."""
    spike = scenario_from_args(target="class:batch", shape="spike:2d", start="+2w")
    result = run_drill(_plan(100), _paths([60.0]), None, spike)
    backlog = _curve(result, "batch")["backlog_p50"].to_numpy()
    peak = result.kpi("batch", "peak_backlog_gpu_hours")
    assert backlog.max() == peak == 20 * 48
    top = SHOCK_HOUR + 47
    np.testing.assert_allclose(backlog[top : top + 25], 960.0 - 40.0 * np.arange(25))
    assert backlog[top + 24 :].max() == 0.0


def test_quantiles_are_taken_over_paths() -> None:
    """Ten paths with levels 0..90 GPUs over capacity give p50 / p90 of the 5th and 9th excess.

    The level includes its queue, so the backlog stays at the excess (it does not grow by it
    every hour); with no tolerance to wait, that queue is overdue every hour.
    """
    step = scenario_from_args(target="class:batch", shape="step", start="+2w", multiplier=1.0)
    result = run_drill(_plan(100), _paths([100.0 + 10 * i for i in range(10)]), None, step)
    last = _curve(result, "batch").row(-1, named=True)
    assert (last["backlog_p50"], last["backlog_p90"]) == (40.0, 80.0)
    assert (last["unmet_p50"], last["unmet_p90"]) == (40.0, 80.0)


def test_path_quantiles_match_numpy_inverted_cdf() -> None:
    """The partition shortcut returns exactly numpy's empirical quantiles, zero rows included."""
    rng = np.random.default_rng(3)
    values = rng.exponential(size=(7, 3, 11)).astype(np.float32)
    values[2, 1] = 0.0
    ours = path_quantiles(values, (0.5, 0.9))
    theirs = np.quantile(values, (0.5, 0.9), axis=-1, method="inverted_cdf")
    np.testing.assert_array_equal(ours, theirs)


def test_daily_service_shows_demand_and_served() -> None:
    """Before the step both are 60 x 24 a day; after it 120 x 24 arrive and 100 x 24 are served."""
    step = scenario_from_args(target="class:batch", shape="step", start="+2w")
    daily = run_drill(_plan(100), _paths([60.0]), None, step).daily_service
    assert daily.schema == DAILY_SERVICE_SCHEMA
    batch = daily.filter(pl.col("workload_class") == "batch").sort("ds")
    assert batch["ds"][0] == MONDAY and batch.height == DAYS
    assert batch["demand_gpu_hours_mean"].to_list() == [1440.0] * 14 + [2880.0] * 14
    assert batch["served_gpu_hours_mean"].to_list() == [1440.0] * 14 + [2400.0] * 14


def test_tracing_leaves_the_kpis_unchanged_and_matches_the_reference() -> None:
    """Traced and untraced runs give the same KPIs; compiled and uncompiled traces agree."""
    spike = scenario_from_args(target="class:batch", shape="spike:3d", start="+1w")
    drill = prepare_drill(_plan(100), _paths([55.0, 60.0, 70.0]), None, spike)
    inputs = drill.assemble().inputs
    per_class, per_pool = simulate_kernel(inputs)
    compiled = simulate_traced(inputs)
    uncompiled = simulate_traced(inputs, compiled=False)
    np.testing.assert_array_equal(compiled.per_class, per_class)
    np.testing.assert_array_equal(compiled.per_pool, per_pool)
    for got, want in zip(compiled, uncompiled, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert drill.run(curves=False).kpis.equals(drill.run().kpis)


def test_run_without_curves_returns_empty_frames() -> None:
    """Searches that skip tracing still return well-typed, empty curve frames."""
    step = scenario_from_args(target="class:batch", shape="step", start="+2w")
    result = prepare_drill(_plan(100), _paths([60.0]), None, step).run(curves=False)
    assert result.backlog_curve.is_empty() and result.backlog_curve.schema == BACKLOG_CURVE_SCHEMA
    assert result.daily_service.is_empty() and result.daily_service.schema == DAILY_SERVICE_SCHEMA


@pytest.mark.parametrize("engine", ["kernel", "reference"])
def test_both_engines_produce_the_curve(engine: Engine) -> None:
    """The uncompiled engine traces the same curve as the kernel."""
    step = scenario_from_args(target="class:batch", shape="step", start="+2w")
    result = run_drill(_plan(100), _paths([60.0]), None, step, engine=engine)
    assert _curve(result, "batch")["backlog_p50"][-1] == 20.0 * (DAYS * 24 - SHOCK_HOUR)
