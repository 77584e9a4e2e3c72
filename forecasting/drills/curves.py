"""Hourly backlog curves and daily service per workload class, summarised over sample paths.

The kernel traces, per path, each class's end-of-hour backlog (GPU-hours of queued work, the
``peak_backlog_gpu_hours`` KPI is its maximum over the window) and its unmet GPU-hours in the
hour (arrivals not served in the hour they arrive, whose sum over the window is the
``unmet_gpu_hours`` KPI), plus daily GPU-hours arriving and served. The curves cover the whole
horizon, so the hours before the shock show the baseline the shock meets. Quantiles over paths
are empirical (``inverted_cdf``), as for the KPIs, so each point is a value some path reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from forecasting.capacity import ALL_CLASSES
from forecasting.drills.inputs import CLASSES
from forecasting.drills.kernel import DAY_DEMAND, DAY_SERVED, KernelOutputs
from forecasting.schema import frame_schema

__all__ = [
    "BACKLOG_CURVE_SCHEMA",
    "DAILY_SERVICE_SCHEMA",
    "backlog_curve",
    "daily_service",
    "path_quantiles",
]

BACKLOG_CURVE_SCHEMA = frame_schema("drill_curves")

DAILY_SERVICE_SCHEMA = pl.Schema(
    {
        "ds": pl.Date,
        "workload_class": pl.String,
        "demand_gpu_hours_mean": pl.Float64,
        "served_gpu_hours_mean": pl.Float64,
    }
)

_CLASS_NAMES: tuple[str, ...] = (*(c.value for c in CLASSES), ALL_CLASSES)


def path_quantiles(values: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """Empirical quantiles of non-negative ``values`` over their last axis (the paths).

    Returns shape ``(len(quantiles), *values.shape[:-1])``. Rows that are zero on every path
    (hours with no backlog, the common case) skip the selection, which is what keeps the
    curves cheap at 1,000 paths x 4,368 hours.
    """
    paths = values.shape[-1]
    rows = values.reshape(-1, paths)
    # numpy's own rank rule, so the result matches np.quantile(..., method="inverted_cdf").
    ranks = np.quantile(np.arange(paths), quantiles, method="inverted_cdf").astype(np.int64)
    out = np.zeros((len(quantiles), rows.shape[0]))
    live = rows.max(axis=1) > 0.0
    if live.any():
        out[:, live] = np.partition(rows[live], ranks, axis=1)[:, ranks].T
    return out.reshape(len(quantiles), *values.shape[:-1])


def _hours_from(first_day: date, hours: int) -> pl.Series:
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    end = start + timedelta(hours=hours - 1)
    return pl.datetime_range(start, end, "1h", time_unit="us", time_zone="UTC", eager=True)


def backlog_curve(traces: KernelOutputs, *, first_day: date) -> pl.DataFrame:
    """P50/P90 over paths of each class's hourly backlog and unmet GPU-hours (incl. ``all``).

    Empty (BACKLOG_CURVE_SCHEMA) when the simulation ran without traces.
    """
    hours, classes, _ = traces.backlog.shape
    if hours == 0:
        return pl.DataFrame(schema=BACKLOG_CURVE_SCHEMA)
    backlog = path_quantiles(traces.backlog, (0.5, 0.9))
    unmet = path_quantiles(traces.unmet, (0.5, 0.9))
    return pl.DataFrame(
        {
            "ts": _hours_from(first_day, hours).gather(np.repeat(np.arange(hours), classes)),
            "workload_class": np.tile(np.array(_CLASS_NAMES[:classes]), hours),
            "backlog_p50": backlog[0].ravel(),
            "backlog_p90": backlog[1].ravel(),
            "unmet_p50": unmet[0].ravel(),
            "unmet_p90": unmet[1].ravel(),
        },
        schema=BACKLOG_CURVE_SCHEMA,
    )


def daily_service(traces: KernelOutputs, *, first_day: date) -> pl.DataFrame:
    """Mean over paths of each class's daily GPU-hours arriving and served (incl. ``all``).

    Served includes backlog worked off that day, so it can exceed the day's demand after a
    shock. Empty (DAILY_SERVICE_SCHEMA) when the simulation ran without traces.
    """
    _, days, classes, _ = traces.daily.shape
    if days == 0:
        return pl.DataFrame(schema=DAILY_SERVICE_SCHEMA)
    mean = traces.daily.mean(axis=0)  # (days, classes, 2)
    return pl.DataFrame(
        {
            "ds": [first_day + timedelta(days=d) for d in range(days) for _ in range(classes)],
            "workload_class": np.tile(np.array(_CLASS_NAMES[:classes]), days),
            "demand_gpu_hours_mean": mean[:, :, DAY_DEMAND].ravel(),
            "served_gpu_hours_mean": mean[:, :, DAY_SERVED].ravel(),
        },
        schema=DAILY_SERVICE_SCHEMA,
    )
