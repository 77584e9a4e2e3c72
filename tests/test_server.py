"""A real Prefect server: `fleetcast serve` registers the deployments, drills run through it.

Starts `prefect server start` on a free loopback port (temporary PREFECT_HOME and SQLite), serves
the deployments from a second process, runs an ad-hoc drill through `fleetcast drill
--via-server` (run_deployment) and the weekly report through the client, and checks the
warehouse, the flow run states and the report's artifacts. Every wait has a timeout and every
child process group is killed in a finalizer, so the test stops by itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

import pytest
from conftest import FleetFiles

from flows.forecast import ForecastOptions, forecast_flow
from flows.runners import task_runner_for
from forecasting import warehouse

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.timeout(360)]

ROOT = Path(__file__).resolve().parent.parent
DRILL = "class-training-1.5x-step"  # the name the ad-hoc drill below gets


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prefect_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a Prefect child process: offline, private home, quiet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FLEETCAST_"))}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
        OPENBLAS_NUM_THREADS="1",
        PYTHONPATH=str(ROOT),
        COLUMNS="200",
    )
    env.update(extra)
    return env


def stop(process: subprocess.Popen[Any], *, grace: float = 20) -> None:
    """SIGTERM the child's process group, wait, then SIGKILL whatever is left."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # children (flow run processes) too
    process.wait(timeout=10)


def start(args: list[str], env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """A child in its own process group, output to ``log``."""
    return subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_for(check: Any, *, timeout: float, what: str, log: Path) -> None:
    """Poll ``check()`` every half second until it is true; fail with the log after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} not within {timeout:.0f} s; log:\n{log.read_text()[-3000:]}")


def healthy(url: str) -> bool:
    """Whether the server at ``url`` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def prefect_server(tmp_path: Path, **extra_env: str) -> Iterator[tuple[str, Path]]:
    """`prefect server start` on a free port with SQLite in tmp_path and ``extra_env``;
    yields its API URL and log file, and stops it on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    log_path = tmp_path / "server.log"
    env = prefect_env(
        tmp_path / "server-home",
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}",
        **extra_env,
    )
    prefect = str(Path(sys.executable).with_name("prefect"))
    with log_path.open("wb") as log:
        process = start(
            [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, log
        )
        try:
            yield url, log_path
        finally:
            stop(process)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A `prefect server start` on a free port with SQLite in tmp_path; yields its API URL."""
    with prefect_server(tmp_path) as running:
        yield running


def test_served_drill_and_report_run_through_a_real_server(
    fleet: FleetFiles, server: tuple[str, Path], tmp_path: Path
) -> None:
    """Deployments served on a real server run an ad-hoc drill and the report to completion."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        DeploymentFilter,
        DeploymentFilterName,
    )
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url, server_log = server
    wh_path, capacity = tmp_path / "warehouse.duckdb", tmp_path / "capacity.toml"
    shutil.copy(fleet.warehouse, wh_path)
    shutil.copy(fleet.capacity, capacity)
    reports, inbox = tmp_path / "reports", tmp_path / "inbox"
    inbox.mkdir()
    # The forecast the drill needs, on this process's own ephemeral server while the real one
    # boots (PREFECT_API_URL is not set here: conftest removes it).
    options = ForecastOptions(horizon_days=28, n_paths=30, customers_per_class=3)
    flow = forecast_flow.with_options(task_runner=task_runner_for("threads", workers=2))
    forecast_run = flow(wh_path, options).run_id

    wait_for(lambda: healthy(url), timeout=120, what="prefect server healthy", log=server_log)
    serve_log = tmp_path / "serve.log"
    env = prefect_env(
        tmp_path / "serve-home",
        PREFECT_API_URL=url,
        FLEETCAST_INBOX=str(inbox),
        FLEETCAST_TASK_RUNNER="threads",
        FLEETCAST_WORKERS="2",
    )
    paths = ["--warehouse", str(wh_path), "--capacity", str(capacity)]
    with serve_log.open("wb") as log:
        serving = start(
            [sys.executable, "-m", "flows.cli", "serve", *paths, "--reports", str(reports)],
            env,
            log,
        )
        try:
            wait_for(
                lambda: "drill/adhoc" in serve_log.read_text(),
                timeout=90,
                what="deployments served",
                log=serve_log,
            )
            drill = subprocess.run(
                [
                    *(sys.executable, "-m", "flows.cli", "drill", "--class", "training"),
                    *("--factor", "1.5", "--paths", "30", "--answers", "none"),
                    *("--via-server", "--timeout", "150", *paths),
                ],
                env={**env, "PREFECT_HOME": str(tmp_path / "cli-home")},
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=200,
            )
            assert drill.returncode == 0, drill.stderr + drill.stdout + serve_log.read_text()
            assert DRILL in drill.stdout
            assert "drill verdicts" in drill.stdout and "fleet-wide KPIs" in drill.stdout

            with temporary_settings(updates={PREFECT_API_URL: url}):
                report_run = cast(
                    "FlowRun",
                    run_deployment("report/weekly", timeout=150, poll_interval=2, as_subflow=False),
                )
                with get_client(sync_client=True) as client:
                    drill_runs = client.read_flow_runs(
                        deployment_filter=DeploymentFilter(
                            name=DeploymentFilterName(any_=["adhoc"])
                        )
                    )
                    artifacts = client.read_artifacts(
                        artifact_filter=ArtifactFilter(
                            flow_run_id=ArtifactFilterFlowRunId(any_=[report_run.id])
                        )
                    )
                    limit = client.read_concurrency_limit_by_tag("warehouse-writer")
            # A hang guard, not a speed test (those flake on shared machines: this one read
            # 34 s against 30 beside three other jobs): `make bench` times the CLI's start.
            status = subprocess.run(
                [sys.executable, "-m", "flows.cli", "status", "--warehouse", str(wh_path)],
                env={**env, "PREFECT_HOME": str(tmp_path / "cli-home")},
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
        finally:
            stop(serving)

    assert [r.state.type.value for r in drill_runs if r.state] == ["COMPLETED"]
    assert drill_runs[0].parameters["options"]["adhoc"]["target"] == "class:training"
    # The server's log of a drill not played says the flags typed, as the terminal does.
    assert drill_runs[0].parameters["field_names"]["target"] == "--class"
    assert report_run.state is not None and report_run.state.is_completed(), report_run.state
    assert limit.concurrency_limit == 1
    # A link artifact is stored as markdown holding the link.
    by_key = {a.key: a for a in artifacts}
    assert {k: by_key[k].type for k in by_key} == {
        "fleetcast-summary": "markdown",
        "fleetcast-triggers": "table",
        "fleetcast-report": "markdown",
    }
    assert forecast_run in str(by_key["fleetcast-summary"].data)
    assert "index.html)" in str(by_key["fleetcast-report"].data)

    # `fleetcast status` shows the warehouse's runs and the server's flow runs with states.
    assert status.returncode == 0, status.stderr
    assert forecast_run in status.stdout and DRILL in status.stdout
    assert "drill/adhoc" in status.stdout and "report/weekly" in status.stdout
    assert "Completed" in status.stdout

    with warehouse.connect(wh_path, read_only=True) as wh:
        stored = wh.drill_runs(forecast_run_id=forecast_run)
        assert stored.get_column("drill").to_list() == [DRILL]
        assert stored.item(0, "paths") == 30
        verdicts = wh.run_frame("drill_verdicts", stored.item(0, "run_id"))
        assert verdicts.height > 0
        reported = wh.query("SELECT forecast_run_id FROM trigger_runs").to_series()
        assert reported.to_list() == [forecast_run]
    assert (reports / "latest" / "index.html").is_file()
