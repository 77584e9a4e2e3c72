"""Column names, enums and the polars schema of every frame that crosses a module boundary.

The contracts are those of ARCHITECTURE.md. Every other module imports names from here
instead of spelling column names again, so a rename happens in one place.
"""

from __future__ import annotations

from enum import StrEnum

import polars as pl

__all__ = [
    "BACKTEST_SCHEMA",
    "DEMAND_SCHEMA",
    "EVENTS_SCHEMA",
    "FORECAST_SCHEMA",
    "LEVELS",
    "PATHS_SCHEMA",
    "QUANTILES",
    "SEP",
    "TELEMETRY_KEY",
    "TELEMETRY_OPTIONAL",
    "TELEMETRY_REQUIRED",
    "TELEMETRY_SCHEMA",
    "TOTAL",
    "BlockKind",
    "BlockStatus",
    "Measure",
    "WorkloadClass",
    "quantile_column",
]


class WorkloadClass(StrEnum):
    """The five workload classes of DOMAIN.md; forecasts are made per class."""

    TRAINING = "training"
    INFERENCE = "inference"
    EVALUATION = "evaluation"
    BATCH = "batch"
    EXPERIMENTATION = "experimentation"


class BlockKind(StrEnum):
    """Modular capacity units, smallest first."""

    RACK = "rack"
    POD = "pod"
    CELL = "cell"


class BlockStatus(StrEnum):
    """Lifecycle of a capacity block in capacity.toml."""

    LIVE = "live"
    COMMITTED = "committed"
    RETIRING = "retiring"


class Measure(StrEnum):
    """Daily demand is kept as two measures; capacity is checked against the peak."""

    MEAN = "mean"
    PEAK = "peak"


# --- telemetry ---------------------------------------------------------------------------------

TELEMETRY_KEY: tuple[str, ...] = (
    "ts",
    "region",
    "cluster",
    "workload_class",
    "customer",
    "gpu_type",
)
TELEMETRY_REQUIRED: tuple[str, ...] = (*TELEMETRY_KEY, "gpus_running", "gpus_queued")
TELEMETRY_OPTIONAL: tuple[str, ...] = ("requests", "tokens")

TELEMETRY_SCHEMA = pl.Schema(
    {
        "ts": pl.Datetime("us", "UTC"),
        "region": pl.String(),
        "cluster": pl.String(),
        "workload_class": pl.String(),
        "customer": pl.String(),
        "gpu_type": pl.String(),
        "gpus_running": pl.Float64(),
        "gpus_queued": pl.Float64(),
        "requests": pl.Float64(),
        "tokens": pl.Float64(),
    }
)

# --- demand series (statsforecast's long frame plus level columns) -----------------------------

TOTAL = "total"
SEP = "/"
LEVELS: tuple[str, ...] = ("region", "workload_class", "customer")

DEMAND_SCHEMA = pl.Schema(
    {
        "unique_id": pl.String,
        "ds": pl.Date,
        "measure": pl.String,
        "y": pl.Float64,
        "region": pl.String,
        "workload_class": pl.String,
        "customer": pl.String,
    }
)

# --- known events (launches, migrations, holidays) ----------------------------------------------

# A null scope column means every value: an event with region us-east and nothing else touches
# every series of us-east and the aggregates that contain them. ``lower_window`` (<= 0) and
# ``upper_window`` (>= 0) extend its effect to days around ``date``. ``announced`` is the day it
# became known; null means known in advance (a scheduled launch or holiday).
EVENTS_SCHEMA = pl.Schema(
    {
        "event": pl.String,
        "date": pl.Date,
        "region": pl.String,
        "workload_class": pl.String,
        "customer": pl.String,
        "lower_window": pl.Int32,
        "upper_window": pl.Int32,
        "announced": pl.Date,
        "description": pl.String,
    }
)

# --- forecasts ---------------------------------------------------------------------------------

QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9, 0.99)


def quantile_column(q: float) -> str:
    """Column name of quantile ``q``: 0.1 -> ``q10``, 0.99 -> ``q99``, 0.975 -> ``q97.5``."""
    pct = round(q * 100, 6)
    return f"q{int(pct)}" if pct == int(pct) else f"q{pct:g}"


_FORECAST_COLUMNS: dict[str, pl.DataType] = {
    "run_id": pl.String(),
    "unique_id": pl.String(),
    "ds": pl.Date(),
    "measure": pl.String(),
    "model": pl.String(),
    "mean": pl.Float64(),
    **{quantile_column(q): pl.Float64() for q in QUANTILES},
}
FORECAST_SCHEMA = pl.Schema(_FORECAST_COLUMNS)

PATHS_SCHEMA = pl.Schema(
    {
        "unique_id": pl.String,
        "ds": pl.Date,
        "sample_id": pl.Int32,
        "y": pl.Float64,
    }
)

BACKTEST_SCHEMA = pl.Schema(
    {
        "run_id": pl.String,
        "unique_id": pl.String,
        "measure": pl.String,
        "model": pl.String,
        "cutoff": pl.Date,
        "mase": pl.Float64,
        "smape": pl.Float64,
        "pinball": pl.Float64,
        "coverage_80": pl.Float64,
    }
)
