"""Prefect settings that must be in place before prefect is first imported.

Measured in ../shared/STACK.md: without them the ephemeral server tries DNS lookups that
fail offline and times out on a loaded 2-core machine. Explicit user settings win.
"""

from __future__ import annotations

import os

__all__ = ["PREFECT_DEFAULTS", "apply_prefect_defaults"]

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


def apply_prefect_defaults() -> None:
    """Set the defaults above for every variable the user has not set."""
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
