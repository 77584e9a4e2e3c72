"""Shared fixtures: a private Prefect home and a fresh warehouse per test."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Prefect reads its settings at import: point it at a private home before any test imports it,
# so tests never touch the user's ~/.prefect and never look for a server.
_PREFECT_HOME = tempfile.mkdtemp(prefix="fleetcast-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.pop("PREFECT_API_URL", None)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Prefect logs "Stopping temporary server" at exit, after pytest has closed its capture.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from forecasting import warehouse  # noqa: E402  - after the environment above


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    """Where a test's own warehouse lives."""
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def wh(warehouse_path: Path) -> Iterator[warehouse.Warehouse]:
    """An open, migrated, empty warehouse."""
    with warehouse.connect(warehouse_path) as con:
        yield con
