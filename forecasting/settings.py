"""Paths and defaults, read from ``FLEETCAST_*`` variables; nothing here touches the warehouse.

Every ``FLEETCAST_*`` variable is a field of :class:`Settings`; no other module reads them.
Working files live under one folder, ``FLEETCAST_HOME`` or else the current directory (never
the package's own location, which may be a read-only site-packages): ``data/warehouse.duckdb``,
``data/capacity.toml``, ``data/inbox/``, ``reports/``. What ships with fleetcast (the
ready-made drills, a sample plan) is package data in :mod:`forecasting.resources`.
``PREFECT_API_URL`` is Prefect's own setting: :func:`prefect_server_configured` only asks
whether it is set, so the CLI can decide whether a command runs as a tracked flow.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "Paths",
    "RunnerKind",
    "Settings",
    "next_report_day",
    "next_report_for",
    "prefect_server_configured",
    "resolve_paths",
    "settings",
]

RunnerKind = Literal["threads", "processes", "dask"]


@dataclass(frozen=True, slots=True)
class Paths:
    """Where a run reads and writes; every CLI command resolves one of these."""

    warehouse: Path
    capacity: Path
    reports: Path


class Settings(BaseSettings):
    """Every ``FLEETCAST_*`` variable; an unset or empty one keeps the default.

    Paths left unset resolve under ``home`` when the settings are read.
    """

    model_config = SettingsConfigDict(
        env_prefix="FLEETCAST_", env_ignore_empty=True, extra="ignore"
    )

    home: Path = Field(
        default_factory=Path.cwd,
        description="folder of the working files (default: the current directory)",
    )
    warehouse: Path = Field(
        default=Path("data/warehouse.duckdb"), description="DuckDB warehouse file"
    )
    capacity: Path = Field(default=Path("data/capacity.toml"), description="capacity plan (TOML)")
    reports: Path = Field(default=Path("reports"), description="folder of published reports")
    inbox: Path = Field(default=Path("data/inbox"), description="folder of new telemetry files")
    drills: Path | None = Field(
        default=None,
        description="folder of drill files (default: the ready-made drills shipped with fleetcast)",
    )
    traces: Path = Field(
        default=Path("../shared/data"),
        description="folder holding the public traces the demos read",
    )
    task_runner: RunnerKind = Field(
        default="processes", description="Prefect task runner of the forecast fan-out"
    )
    workers: int | None = Field(default=None, ge=1, description="workers (default: cores)")
    dask_address: str | None = Field(default=None, description="an existing Dask scheduler")
    forecast_cron: str = Field(default="0 2 * * *", description="daily forecast, 02:00 UTC")
    report_cron: str = Field(default="0 6 * * 1", description="weekly report, Monday 06:00 UTC")
    inbox_interval_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="minutes between looks at the inbox"
    )
    alert_webhook: str | None = Field(
        default=None,
        description="URL that `fleetcast serve`'s alert automation posts to when a trigger's "
        "status or a drill's verdict changes between reports (unset: no automation)",
    )
    track: bool = Field(
        default=False,
        description="run single-step commands as Prefect flows even without a configured "
        "server (starts Prefect's ephemeral one)",
    )

    @model_validator(mode="after")
    def _under_home(self) -> Self:
        # Relative paths are relative to home, so FLEETCAST_HOME moves every working file.
        for name in ("home", "warehouse", "capacity", "reports", "inbox", "drills", "traces"):
            value = getattr(self, name)
            if value is not None and not value.is_absolute():
                base = Path.cwd() if name == "home" else self.home
                setattr(self, name, base / value)
        return self

    @property
    def data_dir(self) -> Path:
        """Where fleetcast keeps generated data (demo fleets, their warehouses)."""
        return self.home / "data"

    @property
    def paths(self) -> Paths:
        """The warehouse, capacity plan and reports folder these settings name."""
        return Paths(warehouse=self.warehouse, capacity=self.capacity, reports=self.reports)


def next_report_day(cron: str, after: datetime) -> date:
    """The day of the next scheduled report after ``after`` on the cron ``cron`` (UTC, as
    `fleetcast serve` schedules ``report/weekly``): an order-by date before it reads late
    at that report, and only this one can say it in time. Raises ValueError on a cron that
    does not parse, naming it."""
    from cronsim import CronSim, CronSimError  # lazy: only a report reads the cron

    try:
        return next(CronSim(cron, after.astimezone(UTC))).date()
    except (CronSimError, StopIteration) as exc:
        raise ValueError(f"FLEETCAST_REPORT_CRON {cron!r} is not a cron schedule: {exc}") from exc


def next_report_for(as_of: date, *, now: datetime) -> date | None:
    """The day of the next report after ``now`` on the schedule `fleetcast serve` keeps
    (``FLEETCAST_REPORT_CRON``), for a run as of ``as_of``: None where the run stands on a past
    as-of date (a trace, a backfill: the schedule says nothing of its dates) or the cron does
    not parse (`fleetcast serve` refuses it, naming it; a report goes on without the note).
    The report and `fleetcast status` read it alike."""
    if (now.date() - as_of).days > 1:
        return None
    try:
        return next_report_day(settings().report_cron, now)
    except ValueError:
        return None


def settings() -> Settings:
    """The settings of the current environment (read again on each call: tests change it)."""
    return Settings()


def prefect_server_configured() -> bool:
    """Whether ``PREFECT_API_URL`` names a Prefect server (else flows would start one).

    Set in the environment, or in the active profile of Prefect's profiles.toml (what
    ``prefect config set PREFECT_API_URL=...`` writes); read here without importing prefect,
    which alone takes seconds.
    """
    if "PREFECT_API_URL" in os.environ:
        return bool(os.environ["PREFECT_API_URL"])
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    profile = profiles.get("profiles", {}).get(active, {})
    return bool(isinstance(profile, dict) and profile.get("PREFECT_API_URL"))


def resolve_paths(
    *,
    warehouse: str | os.PathLike[str] | None = None,
    capacity: str | os.PathLike[str] | None = None,
    reports: str | os.PathLike[str] | None = None,
) -> Paths:
    """Paths from explicit arguments, else ``FLEETCAST_*`` variables, else the defaults."""
    current = settings()
    return Paths(
        warehouse=Path(warehouse) if warehouse is not None else current.warehouse,
        capacity=Path(capacity) if capacity is not None else current.capacity,
        reports=Path(reports) if reports is not None else current.reports,
    )
