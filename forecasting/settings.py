"""Paths and defaults, resolved once from the environment; nothing here touches the warehouse."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DATA_DIR",
    "DEFAULT_CAPACITY",
    "DEFAULT_REPORTS",
    "DEFAULT_WAREHOUSE",
    "PROJECT_ROOT",
    "Paths",
    "resolve_paths",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_WAREHOUSE = DATA_DIR / "warehouse.duckdb"
DEFAULT_CAPACITY = DATA_DIR / "capacity.toml"
DEFAULT_REPORTS = PROJECT_ROOT / "reports"


@dataclass(frozen=True, slots=True)
class Paths:
    """Where a run reads and writes; every CLI command resolves one of these."""

    warehouse: Path
    capacity: Path
    reports: Path


def resolve_paths(
    *,
    warehouse: str | os.PathLike[str] | None = None,
    capacity: str | os.PathLike[str] | None = None,
    reports: str | os.PathLike[str] | None = None,
) -> Paths:
    """Paths from explicit arguments, else ``FLEETCAST_*`` variables, else the defaults."""

    def pick(explicit: str | os.PathLike[str] | None, env: str, default: Path) -> Path:
        if explicit is not None:
            return Path(explicit)
        from_env = os.environ.get(env)
        return Path(from_env) if from_env else default

    return Paths(
        warehouse=pick(warehouse, "FLEETCAST_WAREHOUSE", DEFAULT_WAREHOUSE),
        capacity=pick(capacity, "FLEETCAST_CAPACITY", DEFAULT_CAPACITY),
        reports=pick(reports, "FLEETCAST_REPORTS", DEFAULT_REPORTS),
    )
