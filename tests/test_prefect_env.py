"""The Prefect defaults the CLI applies before prefect is imported (flows/_env.py)."""

from __future__ import annotations

import subprocess
import sys


def test_the_ephemeral_servers_lock_retries_stay_out_of_the_cli_output() -> None:
    """prefect.server's logger is at CRITICAL unless the user says otherwise: its "database
    is locked" tracebacks (retried by Prefect itself) printed into `fleetcast demo`."""
    code = (
        "import flows, logging, prefect.logging.configuration as c; c.setup_logging(); "
        "print(logging.getLogger('prefect.server.services.task_run_recorder')"
        ".getEffectiveLevel())"
    )
    env = {"PATH": "", "HOME": "/tmp", "PREFECT_HOME": "/tmp/prefect-env-test"}
    quiet = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert quiet.stdout.split()[-1] == "50"
    loud = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**env, "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"},
    )
    assert loud.stdout.split()[-1] == "30"
