"""Prefect settings that must be in place before prefect is first imported.

Measured in ../shared/STACK.md: without them the ephemeral server tries DNS lookups that
fail offline and times out on a loaded 2-core machine. Explicit user settings win.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

__all__ = ["PREFECT_DEFAULTS", "apply_prefect_defaults", "prefect_logging_settings"]

PREFECT_DEFAULTS: dict[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    # Task and flow run chatter would drown the CLI's own summary; raise it with
    # PREFECT_LOGGING_LEVEL=INFO to see every state change.
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # The ephemeral server's own services (task run recorder, triggers) log a traceback when
    # SQLite reports "database is locked", then retry; Prefect's maintainers call the noise
    # harmless and its logging accidental (PrefectHQ/prefect#18934, #19771). On a loaded
    # 2-core machine it printed 100 lines into 2 of the 12 `fleetcast demo` runs of session
    # 14. A failure that matters reaches the flow through the API and fails it.
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    # statsmodels' optimiser spends most of its time spinning OpenBLAS threads on series this
    # small; one thread per process is 3-6x faster (measured, forecasting/forecast.py).
    "OPENBLAS_NUM_THREADS": "1",
}


# Loggers Prefect's logging.yml leaves at the root's WARNING that belong to its server: the
# ephemeral server's database pool logs "Exception during reset or similar" with a 20-line
# traceback ending in CancelledError when the server stops with requests in flight, after the
# command's last line (PrefectHQ/prefect#16504, open). The server runs in a child process, out
# of reach of the CLI's own log filter (flows/stopping.py); they follow the server's level.
_SERVER_LOGGERS = ("sqlalchemy.pool",)


def prefect_logging_settings(home: Path) -> Path | None:
    """A logging.yml for Prefect: its own, with the server's database pool at the server's
    logging level (``_SERVER_LOGGERS``), written once under ``home`` per version of Prefect's
    file; None where prefect is not installed."""
    spec = importlib.util.find_spec("prefect")  # finds it without importing it (~1 s)
    if spec is None or not spec.submodule_search_locations:
        return None
    source = Path(next(iter(spec.submodule_search_locations))) / "logging" / "logging.yml"
    if not source.is_file():
        return None
    text = source.read_text()
    path = home / f"fleetcast-logging-{hashlib.sha256(text.encode()).hexdigest()[:12]}.yml"
    if path.is_file():
        return path
    import yaml  # a prefect dependency; only when the file is first written

    config = yaml.safe_load(text)
    for name in _SERVER_LOGGERS:
        # A template Prefect fills from its settings, as its own server loggers are.
        config.setdefault("loggers", {}).setdefault(
            name, {"level": "${PREFECT_SERVER_LOGGING_LEVEL}"}
        )
    home.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: processes starting together never read half a file.
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(yaml.safe_dump(config, sort_keys=False))
    partial.replace(path)
    return path


def apply_prefect_defaults() -> None:
    """Set the defaults above for every variable the user has not set, and Prefect's logging
    settings where the user has none (neither PREFECT_LOGGING_SETTINGS_PATH nor a logging.yml
    in the Prefect home, which Prefect reads first)."""
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    if "PREFECT_LOGGING_SETTINGS_PATH" in os.environ:
        return
    home = Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser()
    if (home / "logging.yml").exists():
        return
    try:
        path = prefect_logging_settings(home)
    except OSError:
        return  # a home we cannot write: Prefect's own settings, the pool's noise included
    if path is not None:
        os.environ["PREFECT_LOGGING_SETTINGS_PATH"] = str(path)
