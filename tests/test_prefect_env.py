"""The Prefect defaults the CLI applies before prefect is imported (flows/_env.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


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


_POOL_ERROR = (
    "import asyncio, flows, logging, os, prefect.logging.configuration as c; c.setup_logging()\n"
    "try:\n    raise asyncio.CancelledError()\nexcept asyncio.CancelledError:\n"
    "    logging.getLogger('sqlalchemy.pool.impl.AsyncAdaptedQueuePool')"
    ".exception('Exception during reset or similar')\n"
    "print(os.environ.get('PREFECT_LOGGING_SETTINGS_PATH', ''))"
)


def _pool_error(home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """A Prefect process (as the ephemeral server's child is) whose database pool logs a
    cancelled reset, with the CLI's defaults applied and ``home`` as the Prefect home."""
    env = {"PATH": "", "HOME": str(home), "PREFECT_HOME": str(home / "prefect"), **extra}
    return subprocess.run(
        [sys.executable, "-c", _POOL_ERROR], capture_output=True, text=True, check=True, env=env
    )


def test_the_servers_pool_reset_traceback_stays_out_of_the_cli_output(tmp_path: Path) -> None:
    """The ephemeral server's database pool logged "Exception during reset or similar" and a
    20-line CancelledError traceback after a command's last line when the server stopped with
    requests in flight (PrefectHQ/prefect#16504), in the server's child process where the
    CLI's filter (flows/stopping.py) cannot reach: the pool now follows the server's logging
    level, CRITICAL unless the user raises it."""
    quiet = _pool_error(tmp_path)
    assert "Exception during reset" not in quiet.stderr, quiet.stderr
    loud = _pool_error(tmp_path, PREFECT_SERVER_LOGGING_LEVEL="WARNING")
    assert "Exception during reset" in loud.stderr and "CancelledError" in loud.stderr


def test_prefect_logging_settings_are_prefects_own_with_the_pool_added(tmp_path: Path) -> None:
    """The settings file is Prefect's logging.yml and one logger more, so Prefect's handlers,
    formats and levels stay what they are; written once, then reused."""
    import yaml
    from prefect.logging.configuration import DEFAULT_LOGGING_SETTINGS_PATH

    from flows._env import prefect_logging_settings

    path = prefect_logging_settings(tmp_path)
    assert path is not None and path.parent == tmp_path
    ours = yaml.safe_load(path.read_text())
    assert ours["loggers"].pop("sqlalchemy.pool") == {"level": "${PREFECT_SERVER_LOGGING_LEVEL}"}
    assert ours == yaml.safe_load(DEFAULT_LOGGING_SETTINGS_PATH.read_text())
    written = path.stat().st_mtime_ns
    assert prefect_logging_settings(tmp_path) == path and path.stat().st_mtime_ns == written


def test_a_users_own_prefect_logging_settings_win(tmp_path: Path) -> None:
    """A user's PREFECT_LOGGING_SETTINGS_PATH, or a logging.yml in their Prefect home (which
    Prefect reads first), is left as it is: the CLI sets no settings path of its own."""
    own = tmp_path / "mine.yml"
    assert _pool_error(tmp_path, PREFECT_LOGGING_SETTINGS_PATH=str(own)).stdout.strip() == str(own)
    (tmp_path / "prefect").mkdir(exist_ok=True)
    (tmp_path / "prefect" / "logging.yml").write_text(_default_settings_text())
    assert _pool_error(tmp_path).stdout.strip() == ""
    assert not list((tmp_path / "prefect").glob("fleetcast-logging-*"))


def _default_settings_text() -> str:
    """Prefect's own logging.yml."""
    from prefect.logging.configuration import DEFAULT_LOGGING_SETTINGS_PATH

    return DEFAULT_LOGGING_SETTINGS_PATH.read_text()
