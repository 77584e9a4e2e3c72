"""Run ids, the errors a run raises when the warehouse lacks what it asks for, and the map
a run fans out with."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from forecasting import warehouse

if TYPE_CHECKING:  # the step modules load scipy, numba and plotly: only when a step runs
    from forecasting.forecast import SeriesForecast


__all__ = [
    "ForecastRef",
    "MapFn",
    "NoHistoryError",
    "RunNotFoundError",
    "forecast_run",
    "new_run_id",
]


MapFn = Callable[[Callable[[pl.DataFrame], "SeriesForecast"], Iterable[pl.DataFrame]], Any]


class RunNotFoundError(ValueError):
    """The warehouse holds no run of the kind asked for (or not the one named)."""


class NoHistoryError(ValueError):
    """The warehouse holds no telemetry for the history asked for: none at all, or none up
    to the as-of day, or an as-of day past the newest telemetry."""


def new_run_id(kind: str, *, now: datetime | None = None) -> str:
    """``<kind>-<UTC yyyymmddHHMMSS>-<6 hex>``: sortable within a kind, slug-safe, unique.

    ``kind`` is ``forecast``, ``triggers`` or a drill's name (kept readable: letters, digits,
    ``.``, ``_`` and ``-``; anything else becomes ``-``).
    """
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", kind).strip("-") or "run"
    return f"{slug}-{(now or datetime.now(UTC)):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class ForecastRef:
    """A stored forecast run: its id and the last day of history it used."""

    run_id: str
    as_of: date


def forecast_run(wh: warehouse.Warehouse, run_id: str | None = None) -> ForecastRef:
    """The named forecast run, or the newest; RunNotFoundError says what to run first."""
    chosen = run_id or wh.latest_forecast_run()
    if chosen is None:
        raise RunNotFoundError(f"{wh.path} holds no forecast run; run `fleetcast forecast` first")
    runs = wh.forecast_runs().filter(pl.col("run_id") == chosen)
    if runs.is_empty():
        raise RunNotFoundError(
            f"no forecast run {chosen!r} in {wh.path}; `fleetcast status` lists the stored runs"
        )
    return ForecastRef(run_id=chosen, as_of=runs.item(0, "as_of"))
