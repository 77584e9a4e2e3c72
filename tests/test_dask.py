"""Scale-out: the forecast fan-out on a Dask LocalCluster gives the local runner's forecasts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from uuid import UUID

import polars as pl
import pytest
from conftest import FleetFiles
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.settings import PREFECT_TASKS_REFRESH_CACHE, temporary_settings
from prefect.states import State

from flows.forecast import ForecastOptions, forecast_flow
from flows.runners import task_runner_for
from forecasting import warehouse

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

# Daily only: the chunks are what fan out to the workers; the 36-month extension runs after
# them in the flow's own process on either runner.
OPTIONS = ForecastOptions(
    horizon_days=28, n_paths=30, customers_per_class=3, seed=11, workers=2, horizon_months=0
)


def chunk_states(flow_run_id: UUID) -> list[str]:
    """The final state names of the forecast_chunk task runs of one flow run."""
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return sorted(r.state_name or "" for r in runs if r.name.startswith("forecast_chunk"))


def run_on(kind: Any, workers: int, path: Path) -> tuple[str, list[str]]:
    """Forecast on the ``kind`` runner (cache refreshed); the run id and its chunks' states."""
    flow = forecast_flow.with_options(task_runner=task_runner_for(kind, workers=workers))
    # Refresh the INPUTS cache of forecast_chunk: both runs compute every chunk themselves.
    with temporary_settings(updates={PREFECT_TASKS_REFRESH_CACHE: True}):
        state = flow(path, OPTIONS, return_state=True)
    assert isinstance(state, State) and state.is_completed(), state
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    # The run id from the warehouse, not state.result(): on a loaded machine the ephemeral
    # server's SQLite can be locked while it records the state, and the result then comes back
    # missing although the run completed and stored everything.
    with warehouse.connect(path, read_only=True) as wh:
        run_id = wh.latest_forecast_run()
    assert run_id is not None
    return run_id, chunk_states(flow_run_id)


def test_dask_local_cluster_gives_the_thread_runners_forecasts(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """Two Dask workers compute every chunk and store the same forecasts as local threads."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    dask_run, dask_chunks = run_on("dask", 2, path)
    thread_run, thread_chunks = run_on("threads", 2, path)
    # Every chunk ran (Completed, never Cached) on each runner: Dask did the work itself.
    assert dask_chunks and set(dask_chunks) == {"Completed"}
    assert len(thread_chunks) == len(dask_chunks) and set(thread_chunks) == {"Completed"}

    with warehouse.connect(path, read_only=True) as wh:
        keys = ["unique_id", "measure", "ds"]
        on_dask = wh.run_frame("forecasts", dask_run).sort(keys)
        on_threads = wh.run_frame("forecasts", thread_run).sort(keys)
    assert on_dask.height == on_threads.height > 0
    assert on_dask.select(keys).equals(on_threads.select(keys))
    assert on_dask.get_column("model").equals(on_threads.get_column("model"))
    for column in ("mean", "q10", "q50", "q90", "q99"):
        gap = (on_dask.get_column(column) - on_threads.get_column(column)).abs().max()
        assert isinstance(gap, float) and gap <= 1e-9, (column, gap)
    assert on_dask.select(pl.col("unique_id").n_unique()).item() > 1
