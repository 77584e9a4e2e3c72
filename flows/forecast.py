"""The forecast flow: warehouse demand -> per-series forecasts fanned out -> a stored run."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.futures import as_completed
from prefect.logging import get_run_logger

from flows.console import progress_bar
from flows.runners import task_runner_for
from flows.stopping import recording_prefect_sigterm
from forecasting import runs
from forecasting.contracts import ContractBook
from forecasting.digest import code_digest, content_digest
from forecasting.forecast import ForecastResult, ForecastSettings, SeriesForecast, forecast_all
from forecasting.horizon import Extended, Growth
from forecasting.options import ForecastOptions
from forecasting.runs import ForecastRun

__all__ = ["ForecastOptions", "ForecastRun", "forecast", "forecast_flow"]

recording_prefect_sigterm()  # before any flow here runs: flows/stopping.py says why


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_demand(warehouse_path: Path, options: ForecastOptions) -> runs.DemandRead:
    """Daily demand series at every level from the warehouse's hourly telemetry, with the
    lines on the outage calendar's windows that mark nothing."""
    return runs.demand_read_for(warehouse_path, options)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_events(warehouse_path: Path) -> pl.DataFrame:
    """Every known event in the warehouse (launches, migrations, holidays)."""
    return runs.known_events(warehouse_path)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_contracts(warehouse_path: Path, capacity_path: Path | None = None) -> ContractBook:
    """The warehouse's contract book: signed contracts and pipeline deals (in a region of the
    plan at ``capacity_path`` without telemetry yet too)."""
    return runs.contract_book(warehouse_path, capacity_path=capacity_path)


def chunk_key(_context: TaskRunContext | None, parameters: dict[str, Any]) -> str:
    """A forecast chunk's cache key: the forecasting code, the work's function and keywords
    (settings, events) and the chunk's frames, by content. Keyed on their pickles (Prefect's
    INPUTS), equal chunks missed in every new process, so a rerun recomputed them all."""
    work = parameters["work"]
    function = getattr(getattr(work, "func", work), "__qualname__", repr(work))
    keywords = sorted(getattr(work, "keywords", {}).items())
    return content_digest(code_digest(), function, keywords, parameters["chunk"])


# Cached on the chunk's content and settings, so a rerun after a crash reuses finished chunks.
@task(cache_key_fn=chunk_key, cache_expiration=timedelta(days=1), persist_result=True)
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


@task(cache_policy=NO_CACHE)
def fit_plan_growth(
    series: pl.DataFrame, as_of: date, months: int, daily_days: int
) -> Growth | None:
    """Fit the plan's growth models and their decision backtest on the demand."""
    return runs.plan_growth(series, as_of=as_of, months=months, daily_days=daily_days)


@task(cache_policy=NO_CACHE)
def plan_past_lead_times(
    series: pl.DataFrame,
    result: ForecastResult,
    as_of: date,
    months: int,
    book: ContractBook | None,
    seed: int,
    grown: Growth | None = None,
) -> tuple[ForecastResult, Extended | None, runs.BookApplied | None]:
    """Extend the run to the plan horizon and apply the contract book."""
    return runs.plan_past_lead_times(
        series, result, as_of=as_of, months=months, book=book, seed=seed, grown=grown
    )


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE, tags=["warehouse-writer"])
def save_run(
    warehouse_path: Path,
    result: ForecastResult,
    settings: ForecastSettings,
    as_of: date,
    events: int,
    seconds: float,
    extended: Extended | None,
    book: runs.BookApplied | None = None,
    seen: dict[str, Any] | None = None,
    capacity_path: Path | None = None,
    months_refused: str | None = None,
    months_asked: int = 0,
    outage_notes: tuple[str, ...] = (),
    outages: pl.DataFrame | None = None,
    adapter_outages_unknown: tuple[str, ...] = (),
) -> ForecastRun:
    """Store the run, its forecasts, bottom-level paths and backtests in one transaction, with
    what it read of the telemetry (``seen``); its warnings say the ``outage_notes``, the
    calendar's windows that marked nothing as :func:`read_demand` read them, and the
    ``outages`` it applied (stored, for its drills and reports to read the same hours), and
    why its forecast refused monthly rows (``months_refused``: runs.months_refusal), and
    the trace files whose adapter outage windows are not known (ingested before migration 43)."""
    return runs.store_forecast(
        warehouse_path,
        result,
        settings=settings,
        as_of=as_of,
        events=events,
        seconds=seconds,
        extended=extended,
        book=book,
        seen=seen,
        capacity_path=capacity_path,
        months_refused=months_refused,
        months_asked=months_asked,
        outage_notes=outage_notes,
        outages=outages,
        adapter_outages_unknown=adapter_outages_unknown,
    )


@flow(name="forecast", log_prints=True)
def forecast_flow(warehouse_path: Path, options: ForecastOptions | None = None) -> ForecastRun:
    """Forecast every demand series, reconcile, and store the run with its backtests."""
    options = options or ForecastOptions()
    logger = get_run_logger()
    started = time.perf_counter()
    settings = options.settings()
    # Before the series: an ingest while the run fits is not what it saw.
    seen = runs.telemetry_seen_in(warehouse_path, as_of=options.as_of)
    read = read_demand(warehouse_path, options)
    series = read.series
    as_of = options.as_of or series.get_column("ds").max()
    assert isinstance(as_of, date)  # a non-empty frame has a newest day
    chunks = 4 * (options.workers or 2)
    months = runs.plan_horizon_months(options)
    # Submitted before the series, so a worker fits the growth models while the others start
    # on the series: one core did them alone after the fan-out.
    growing = (
        fit_plan_growth.submit(series, as_of, months, settings.horizon_days) if months else None
    )
    known = read_events(warehouse_path) if options.use_events else None
    result = forecast_all(
        series, settings=settings, events=known, map_fn=partial(_fan_out, chunks=chunks)
    )
    events = 0 if known is None else known.height
    book = read_contracts(warehouse_path, options.capacity) if options.use_contracts else None
    result, extended, applied = plan_past_lead_times(
        series,
        result,
        as_of,
        months,
        book,
        settings.seed,
        grown=None if growing is None else growing.result(),
    )
    seconds = time.perf_counter() - started
    run = save_run(
        warehouse_path,
        result,
        settings,
        as_of,
        events,
        seconds,
        extended,
        book=applied,
        seen=seen,
        capacity_path=options.capacity,
        months_refused=runs.months_refusal(series, extended, as_of=as_of, months=months),
        months_asked=options.horizon_months,
        outage_notes=read.outage_notes,
        outages=read.outages,
        adapter_outages_unknown=read.adapter_outages_unknown,
    )
    logger.info("forecast run %s: %d series in %.0f s", run.run_id, run.series, run.seconds)
    return run


def forecast(warehouse_path: Path, options: ForecastOptions) -> ForecastRun:
    """Run the forecast flow on the task runner the options name."""
    runner = task_runner_for(
        options.task_runner, workers=options.workers, dask_address=options.dask_address
    )
    return forecast_flow.with_options(task_runner=runner)(warehouse_path, options)
