"""The forecast flow: warehouse demand -> per-series forecasts fanned out -> a stored run."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow, task
from prefect.cache_policies import INPUTS, NO_CACHE
from prefect.futures import as_completed
from prefect.logging import get_run_logger
from pydantic import BaseModel, Field

from flows.console import progress_bar
from flows.runners import RunnerKind, task_runner_for
from forecasting import demand, hierarchy, warehouse
from forecasting.forecast import ForecastResult, ForecastSettings, SeriesForecast, forecast_all
from forecasting.models import DEFAULT_MODELS, MODEL_REGISTRY
from forecasting.reconcile import build_hierarchy
from forecasting.schema import QUANTILES

__all__ = ["ForecastOptions", "ForecastRun", "forecast", "forecast_flow"]


class ForecastOptions(BaseModel):
    """What a forecast run does; every field has the planning default."""

    as_of: date | None = Field(default=None, description="last day of history used; default newest")
    horizon_days: int = Field(default=182, ge=7, le=730, description="26 weeks of daily steps")
    models: tuple[str, ...] = DEFAULT_MODELS
    fixed_model: str | None = None
    n_paths: int = Field(default=200, ge=10, le=5000)
    n_cutoffs: int = Field(default=3, ge=1, le=12)
    backtest_days: int = Field(default=28, ge=1, le=365, description="horizon of each backtest")
    min_train_days: int = Field(default=28, ge=14, le=365, description="history before a cutoff")
    backtest_step_days: int | None = Field(
        default=None, ge=1, le=365, description="days between cutoffs (default: backtest_days)"
    )
    use_events: bool = Field(default=True, description="give known events to the event models")
    reconciliation: str = Field(default="auto", pattern="^(auto|bottom_up|mint_shrink)$")
    customers_per_class: int = Field(default=10, ge=1, le=200)
    seed: int = 0
    task_runner: RunnerKind = "processes"
    workers: int | None = None
    dask_address: str | None = None

    def settings(self) -> ForecastSettings:
        """The library's settings for these options."""
        unknown = [
            m for m in (*self.models, self.fixed_model or "") if m and m not in MODEL_REGISTRY
        ]
        if unknown:
            raise ValueError(f"unknown model(s) {unknown}; known: {', '.join(MODEL_REGISTRY)}")
        return ForecastSettings(
            horizon_days=self.horizon_days,
            quantiles=QUANTILES,
            models=self.models,
            fixed_model=self.fixed_model,
            n_cutoffs=self.n_cutoffs,
            backtest_horizon=self.backtest_days,
            min_train_days=self.min_train_days,
            backtest_step=self.backtest_step_days,
            n_paths=self.n_paths,
            seed=self.seed,
            reconciliation=self.reconciliation,  # type: ignore[arg-type]  # pattern-checked above
        )


class ForecastRun(BaseModel):
    """What a stored forecast run holds, for the CLI summary and later flows."""

    run_id: str
    as_of: date
    series: int
    seconds: float
    reconciliation: str
    models_chosen: dict[str, int]
    accuracy: list[dict[str, Any]]
    calibrated: int
    fallbacks: int
    events: int = 0  # known events the run gave to the event models


def new_run_id(as_of: date) -> str:
    """A sortable, slug-safe id: the as-of day, the creation time and a random suffix."""
    return f"{as_of:%Y%m%d}-{datetime.now(UTC):%H%M%S}-{uuid.uuid4().hex[:6]}"


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_demand(warehouse_path: Path, as_of: date | None, customers_per_class: int) -> pl.DataFrame:
    """Daily demand series at every level from the warehouse's hourly telemetry."""
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        hourly = wh.hourly_demand()
    if hourly.is_empty():
        raise ValueError(f"{warehouse_path} holds no telemetry; run `fleetcast ingest` first")
    series = demand.demand_series(hourly, customers_per_class=customers_per_class)
    return series if as_of is None else series.filter(pl.col("ds") <= as_of)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_events(warehouse_path: Path) -> pl.DataFrame:
    """Every known event in the warehouse (launches, migrations, holidays)."""
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        return wh.events()


# Cached on the chunk's content and settings, so a rerun after a crash reuses finished chunks.
@task(cache_policy=INPUTS, cache_expiration=timedelta(days=1), persist_result=True)
def forecast_chunk(
    work: Callable[[pl.DataFrame], SeriesForecast], chunk: list[pl.DataFrame]
) -> list[SeriesForecast]:
    """Fit, backtest and forecast one chunk of series."""
    return [work(frame) for frame in chunk]


def _chunks(frames: Sequence[pl.DataFrame], n: int) -> list[list[pl.DataFrame]]:
    size = max(1, -(-len(frames) // n))
    return [list(frames[i : i + size]) for i in range(0, len(frames), size)]


def _fan_out(
    work: Callable[[pl.DataFrame], SeriesForecast], frames: Iterable[pl.DataFrame], *, chunks: int
) -> Iterator[SeriesForecast]:
    """The map that forecast_all calls: chunks of series as tasks on the flow's runner."""
    parts = _chunks(list(frames), chunks)
    futures = [forecast_chunk.submit(work, part) for part in parts]
    index = {f.task_run_id: i for i, f in enumerate(futures)}
    done: dict[int, list[SeriesForecast]] = {}
    with progress_bar("forecasting series", total=sum(len(p) for p in parts)) as advance:
        for future in as_completed(futures):
            done[index[future.task_run_id]] = future.result()
            advance(len(done[index[future.task_run_id]]))
    for i in range(len(parts)):
        yield from done[i]


def _leaf_paths(result: ForecastResult) -> pl.DataFrame:
    ids = result.paths.get_column("unique_id").unique().to_list()
    leaves = list(build_hierarchy(ids).bottom) if ids else []
    return result.paths.filter(pl.col("unique_id").is_in(leaves)).with_columns(
        pl.col("y").cast(pl.Float32)
    )


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE, tags=["warehouse-writer"])
def save_run(warehouse_path: Path, run: dict[str, Any], result: ForecastResult) -> None:
    """Store the run, its forecasts, bottom-level paths and backtests in one transaction."""
    frames = {
        "forecasts": result.forecast,
        "forecast_paths": _leaf_paths(result),
        "backtests": result.backtest,
        "forecast_summary": result.summary,
    }
    with warehouse.connect(warehouse_path) as wh:
        wh.save_run("forecast_runs", run, frames)


def _accuracy(summary: pl.DataFrame) -> list[dict[str, Any]]:
    """Median MASE of the chosen models vs the seasonal naive, per level and measure."""
    level = hierarchy.depth()
    names = dict(enumerate(hierarchy.LEVEL_NAMES))
    return (
        summary.with_columns(level.replace_strict(names, default="deeper").alias("level"))
        .group_by("level", "measure")
        .agg(
            pl.len().alias("series"),
            pl.col("mase").median().alias("mase"),
            pl.col("mase_seasonal_naive").median().alias("mase_seasonal_naive"),
            pl.col("coverage_80").mean().alias("coverage_80"),
        )
        .sort("level", "measure")
        .to_dicts()
    )


@flow(name="forecast", log_prints=True)
def forecast_flow(warehouse_path: Path, options: ForecastOptions | None = None) -> ForecastRun:
    """Forecast every demand series, reconcile, and store the run with its backtests."""
    options = options or ForecastOptions()
    logger = get_run_logger()
    started = time.perf_counter()
    settings = options.settings()
    series = read_demand(warehouse_path, options.as_of, options.customers_per_class)
    as_of = options.as_of or series.get_column("ds").max()
    assert isinstance(as_of, date)  # a non-empty frame has a newest day
    chunks = 4 * (options.workers or 2)
    known = read_events(warehouse_path) if options.use_events else None
    result = forecast_all(
        series, settings=settings, events=known, map_fn=partial(_fan_out, chunks=chunks)
    )
    run_id = new_run_id(as_of)
    seconds = time.perf_counter() - started
    run = {
        "run_id": run_id,
        "as_of": as_of,
        "created_at": datetime.now(UTC),
        "horizon_days": settings.horizon_days,
        "series": result.summary.height,
        "reconciliation": result.reconciliation,
        "seconds": seconds,
        "settings": json.dumps(
            asdict(settings) | {"events": 0 if known is None else known.height}, default=str
        ),
        "versions": json.dumps(
            {p: version(p) for p in ("polars", "statsmodels", "prophet", "duckdb")}
        ),
    }
    save_run(warehouse_path, run, result)
    chosen = result.summary.group_by("model").len().sort("len", descending=True)
    summary = ForecastRun(
        run_id=run_id,
        as_of=as_of,
        series=result.summary.height,
        seconds=seconds,
        reconciliation=result.reconciliation,
        models_chosen=dict(zip(chosen["model"], chosen["len"], strict=True)),
        accuracy=_accuracy(result.summary),
        calibrated=int(result.summary.get_column("calibrated").sum()),
        fallbacks=int(result.summary.get_column("fallback").is_not_null().sum()),
        events=0 if known is None else known.height,
    )
    logger.info("forecast run %s: %d series in %.0f s", run_id, summary.series, seconds)
    return summary


def forecast(warehouse_path: Path, options: ForecastOptions) -> ForecastRun:
    """Run the forecast flow on the task runner the options name."""
    runner = task_runner_for(
        options.task_runner, workers=options.workers, dask_address=options.dask_address
    )
    return forecast_flow.with_options(task_runner=runner)(warehouse_path, options)
