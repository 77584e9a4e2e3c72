"""Crash mid-pipeline, then rerun: no duplicate rows, no partial run, a complete report.

The pipeline runs in a child process (its own process group, so its ephemeral Prefect server
dies with it) on an inbox of telemetry files. The child is SIGKILLed as soon as its log shows a
finished forecast chunk, i.e. mid-forecast; then the same command runs to completion.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from conftest import FleetFiles

from forecasting import warehouse

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

ROOT = Path(__file__).resolve().parent.parent
HORIZON = 28
# Two drills and a daily-only plan: the crash and the rerun are the subject here, and each
# further drill or the 36-month extension adds seconds to both runs, not another check.
PIPELINE = """
import sys
from pathlib import Path
from flows.drill import DrillOptions
from flows.forecast import ForecastOptions
from flows.pipeline import PipelineOptions, pipeline_flow

warehouse, capacity, reports, inbox = map(Path, sys.argv[1:5])
options = PipelineOptions(
    inbox=inbox,
    forecast=ForecastOptions(
        horizon_days=int(sys.argv[5]), n_paths=30, customers_per_class=3,
        task_runner="threads", workers=2, horizon_months=0,
    ),
    drill=DrillOptions(answers="none", paths=30, drills=("inference-2x", "region-loss")),
)
outcome = pipeline_flow(warehouse, capacity, reports, options)
print("PUBLISHED", outcome.report.path, flush=True)
"""
PAGES = ("index.html", "finance.html", "facilities.html", "platform.html")
DATA_FILES = ("triggers.csv", "triggers.json", "orders.csv", "drills.csv")


def pipeline(tmp_path: Path, inbox: Path, log: Path) -> subprocess.Popen[bytes]:
    """The pipeline on ``inbox`` in a child process group, logging at INFO to ``log``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FLEETCAST_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),  # kept across the crash: the task cache
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
        PREFECT_LOGGING_LEVEL="INFO",
        OPENBLAS_NUM_THREADS="1",
        PYTHONPATH=str(ROOT),
    )
    args = [tmp_path / "warehouse.duckdb", tmp_path / "capacity.toml", tmp_path / "reports"]
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", PIPELINE, *map(str, args), str(inbox), str(HORIZON)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child and everything it started (its ephemeral server too)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def test_a_pipeline_killed_mid_forecast_reruns_to_a_complete_state(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """After SIGKILL mid-forecast, a rerun leaves clean data, whole runs and a full report."""
    inbox = tmp_path / "inbox"
    shutil.copytree(fleet.capacity.parent / "telemetry", inbox)
    shutil.copy(fleet.capacity, tmp_path / "capacity.toml")
    files = sorted(inbox.iterdir())

    crash_log = tmp_path / "crash.log"
    crashed = pipeline(tmp_path, inbox, crash_log)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and crashed.poll() is None:
            if any(
                "forecast_chunk" in line and "Finished in state Completed" in line
                for line in crash_log.read_text(errors="replace").splitlines()
            ):
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"no forecast chunk finished in time:\n{crash_log.read_text()[-3000:]}")
    finally:
        kill_group(crashed)
    crash_text = crash_log.read_text(errors="replace")
    assert crashed.returncode == -signal.SIGKILL, crash_text[-3000:]
    assert "PUBLISHED" not in crash_text and "save_run" not in crash_text  # killed mid-forecast

    rerun_log = tmp_path / "rerun.log"
    rerun = pipeline(tmp_path, inbox, rerun_log)
    try:
        rerun.wait(timeout=300)
    finally:
        kill_group(rerun)
    rerun_text = rerun_log.read_text(errors="replace")
    assert rerun.returncode == 0, rerun_text[-4000:]

    with warehouse.connect(fleet.warehouse, read_only=True) as clean:
        clean_checksum = clean.telemetry_checksum()
        clean_rows = clean.count("telemetry")
    with warehouse.connect(tmp_path / "warehouse.duckdb", read_only=True) as wh:
        assert wh.count("telemetry") == clean_rows
        assert wh.telemetry_checksum() == clean_checksum
        ledger = wh.ledger()
        assert ledger.height == len(files)  # every file ingested once, none twice
        assert ledger.get_column("sha256").n_unique() == len(files)
        runs = wh.forecast_runs()
        assert runs.height >= 1
        for run_id in runs.get_column("run_id"):
            summary = wh.run_frame("forecast_summary", run_id)
            forecasts = wh.run_frame("forecasts", run_id)
            assert summary.height > 0
            assert forecasts.height == summary.height * HORIZON, run_id
            assert wh.run_frame("forecast_paths", run_id).height > 0
            assert wh.run_frame("backtests", run_id).height > 0
        latest = wh.latest_forecast_run()
        assert latest is not None
        drills = wh.drill_runs(forecast_run_id=latest)
        for drill_run in drills.get_column("run_id"):
            assert wh.run_frame("drill_verdicts", drill_run).height > 0
        # a trigger run has its own id and points at the forecast run it used
        reported = wh.query("SELECT DISTINCT forecast_run_id FROM trigger_runs").to_series()
        assert reported.to_list() == [latest]

    reports = tmp_path / "reports"
    folder = (reports / "latest").resolve()
    assert (reports / "latest").is_symlink()
    assert f"PUBLISHED {folder}" in rerun_text
    assert latest in folder.name
    for name in (*PAGES, *DATA_FILES):
        assert (folder / name).stat().st_size > 0, name
    published = pl.read_csv(folder / "drills.csv")
    assert published.height > 0
    assert set(published.get_column("drill")) == set(drills.get_column("drill"))
