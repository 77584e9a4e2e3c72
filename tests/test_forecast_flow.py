"""The forecast flow: a synthetic fleet forecast through Prefect and stored as a kept run."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from conftest import FleetFiles
from prefect.task_runners import ThreadPoolTaskRunner

from flows.forecast import ForecastOptions, forecast_flow
from forecasting import warehouse

pytestmark = pytest.mark.slow


@pytest.fixture
def fleet_warehouse(fleet: FleetFiles) -> Path:
    """The session's small fleet warehouse."""
    return fleet.warehouse


def run(path: Path) -> str:
    options = ForecastOptions(horizon_days=28, n_paths=40, customers_per_class=3)
    flow = forecast_flow.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    return flow(path, options).run_id


def test_a_run_is_stored_whole_and_coherent(fleet_warehouse: Path) -> None:
    """Forecasts cover every series and day, quantiles are ordered, means add up; the run
    records the telemetry it read (every row, the newest hour), so `report` reads it current."""
    from forecasting.runs.reports import telemetry_since

    run_id = run(fleet_warehouse)
    with warehouse.connect(fleet_warehouse, read_only=True) as wh:
        forecasts = wh.run_frame("forecasts", run_id)
        paths = wh.run_frame("forecast_paths", run_id)
        summary = wh.run_frame("forecast_summary", run_id)
        assert wh.run_frame("backtests", run_id).height > 0
        seen = wh.forecast_runs().filter(pl.col("run_id") == run_id).row(0, named=True)
        assert (seen["seen_rows"], seen["seen_last_ts"]) == (
            wh.count("telemetry"),
            wh.newest_telemetry(),
        )
        assert telemetry_since(wh, run_id) == ""
    per_series = forecasts.group_by("unique_id", "measure").len()
    assert per_series.get_column("len").unique().to_list() == [28]
    assert summary.height == per_series.height
    ordered = forecasts.filter(
        (pl.col("q10") > pl.col("q50"))
        | (pl.col("q50") > pl.col("q90"))
        | (pl.col("q90") > pl.col("q99"))
    )
    assert ordered.is_empty()
    means = forecasts.filter(pl.col("measure") == "mean")
    total = means.filter(pl.col("unique_id") == "total").sort("ds").get_column("mean")
    regions = (
        means.filter(pl.col("unique_id").str.count_matches("/") == 1)
        .group_by("ds")
        .agg(pl.col("mean").sum())
        .sort("ds")
        .get_column("mean")
    )
    assert (total - regions).abs().max() < 1e-6 * max(1.0, float(total.max()))  # type: ignore[arg-type]
    # Only bottom-level paths are stored; they add up to the total's mean on average.
    assert paths.get_column("unique_id").str.count_matches("/").unique().to_list() == [3]
    leaves = (
        paths.group_by("ds", "sample_id")
        .agg(pl.col("y").sum())
        .group_by("ds")
        .agg(pl.col("y").mean())
    )
    assert leaves.height == 28


def test_runs_are_kept_and_ordered(fleet_warehouse: Path) -> None:
    """A second run is kept beside the first, and 'previous run' finds the first."""
    with warehouse.connect(fleet_warehouse, read_only=True) as wh:
        before = wh.forecast_runs().height
    second = run(fleet_warehouse)
    with warehouse.connect(fleet_warehouse, read_only=True) as wh:
        runs = wh.forecast_runs()
        assert runs.height == before + 1
        assert wh.latest_forecast_run() == second
        assert wh.latest_forecast_run(before=second) == runs.get_column("run_id")[1]


def test_known_events_reach_prophet_for_the_series_they_touch(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """Loaded launches add Prophet to the backtests of the series in their scope, no others."""
    import shutil

    from flows.ingest import ingest_events

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    calendar = tmp_path / "events.csv"
    # One launch family for the fleet's anchor customer, in its own region and class.
    calendar.write_text(
        "event,date,region,workload_class,customer,upper_window\n"
        + "".join(
            f"model-launch,{day},us-east,inference,northwind-ai,7\n"
            for day in ("2026-01-20", "2026-03-10", "2026-05-01", "2026-06-20")
        ),
        encoding="utf-8",
    )
    [loaded] = ingest_events([calendar], path)
    assert (loaded.status, loaded.loaded, loaded.refused) == ("loaded", 4, [])
    run_id = run(path)
    with warehouse.connect(path, read_only=True) as wh:
        backtests = wh.run_frame("backtests", run_id)
        settings = wh.forecast_runs().filter(pl.col("run_id") == run_id)["settings"][0]
    with_prophet = set(backtests.filter(pl.col("model") == "prophet")["unique_id"])
    assert "total/us-east/inference/northwind-ai" in with_prophet
    assert {"total", "total/us-east", "total/us-east/inference"} <= with_prophet
    assert not any(uid.startswith(("total/eu-west", "total/us-west")) for uid in with_prophet)
    assert not any("/training" in uid for uid in with_prophet)
    assert '"events": 4' in settings


_CHUNK_KEYS = """
import sys
from functools import partial
from pathlib import Path
from flows.forecast import chunk_key
from forecasting import runs
from forecasting.forecast import ForecastSettings, forecast_series
from forecasting.options import ForecastOptions
series = runs.demand_series_for(Path(sys.argv[1]), ForecastOptions())
frames = series.partition_by("unique_id", "measure", maintain_order=True)[:5]
moved = [frames[0].with_columns(y=frames[0]["y"] * 1.001), *frames[1:]]
for chunk, horizon in ((frames, 14), (moved, 14), (frames, 28)):
    work = partial(forecast_series, settings=ForecastSettings(horizon_days=horizon), events=None)
    print(chunk_key(None, {"work": work, "chunk": chunk}))
"""


def _chunk_keys_in_a_new_process(path: Path) -> list[str]:
    """The cache keys of five series' chunk at 14 days, of it with one value moved, and of it
    at 28 days, computed in a new process."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _CHUNK_KEYS, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-3:]


def test_a_forecast_chunk_has_the_same_cache_key_in_every_process(fleet_warehouse: Path) -> None:
    """The same series and settings give the same cache key in two new processes, so a rerun
    (or a rerun after a crash) reuses finished chunks: keyed on pickles of the warehouse's
    frames (Prefect's INPUTS), the key changed with every process (on a 300-day fleet) and a
    rerun recomputed every chunk. Another value or another horizon gives another key."""
    first, moved, longer = _chunk_keys_in_a_new_process(fleet_warehouse)
    again = _chunk_keys_in_a_new_process(fleet_warehouse)
    assert again == [first, moved, longer]
    assert len({first, moved, longer}) == 3
