"""The single-step commands without Prefect: the flows' library calls, made directly.

When no Prefect server is configured, a flow would first start Prefect's ephemeral server
(about 20 s here) for a step that takes a second. These functions call the same
forecasting.runs functions the flows' tasks wrap, in the same order, so the output is the
same; nothing here imports prefect.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from flows.console import progress_bar
from forecasting import ingest, runs
from forecasting.ingest import IngestResult
from forecasting.options import DecisionOptions, ForecastOptions
from forecasting.settings import RunnerKind

if TYPE_CHECKING:
    from forecasting import decisions

__all__ = ["backtest_decisions", "forecast", "ingest_contracts", "ingest_events", "ingest_files"]


LoadFile = Callable[[Path, Path, str | None, Path | None], IngestResult]


def ingest_files(
    paths: list[Path],
    warehouse_path: Path,
    file_format: str | None = None,
    *,
    load: LoadFile = runs.load_telemetry_file,
    capacity_path: Path | None = None,
) -> list[IngestResult]:
    """Ingest telemetry files (directories expand to their files) in order, one at a time.

    ``load`` loads one file; the ingest flow passes its task so each file is a tracked run.
    ``capacity_path``: the plan whose regions each file's rows are checked against (a warning).
    Sequential on purpose: DuckDB allows one writer, and per-file transactions keep a crash
    from leaving half a file behind. Progress counts bytes: files differ in size.
    """
    files = ingest.telemetry_files(paths, warehouse=warehouse_path)
    results = []
    with progress_bar(
        "ingesting", total=sum(p.stat().st_size for p in files if p.exists())
    ) as advance:
        for path in files:
            results.append(load(path, warehouse_path, file_format, capacity_path))
            advance(path.stat().st_size if path.exists() else 0)
    return results


def ingest_events(
    paths: list[Path],
    warehouse_path: Path,
    *,
    allow_empty: bool = False,
    capacity_path: Path | None = None,
) -> list[runs.EventsLoaded]:
    """Load event calendars, as the ingest-events flow does."""
    return [
        runs.load_events_file(
            p, warehouse_path, allow_empty=allow_empty, capacity_path=capacity_path
        )
        for p in paths
    ]


def ingest_contracts(
    paths: list[Path],
    warehouse_path: Path,
    *,
    allow_empty: bool = False,
    capacity_path: Path | None = None,
) -> list[runs.ContractsLoaded]:
    """Load contract books, as the ingest-contracts flow does."""
    return [
        runs.load_contracts_file(
            p, warehouse_path, allow_empty=allow_empty, capacity_path=capacity_path
        )
        for p in paths
    ]


def _chunk(work: Callable[[pl.DataFrame], object], chunk: list[pl.DataFrame]) -> list[object]:
    return [work(frame) for frame in chunk]


def _executor(kind: RunnerKind, workers: int) -> Executor:
    if kind == "threads":
        return ThreadPoolExecutor(max_workers=workers)
    if kind == "processes":
        # spawn, not fork: a forked child of a process with polars' thread pool can deadlock.
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    raise ValueError(f"the {kind} task runner runs only as a Prefect flow")


def _pool_map(pool: Executor, workers: int) -> runs.MapFn:
    """A map for forecast_all: chunks of series on ``pool``, in order, with progress."""

    def mapped(
        work: Callable[[pl.DataFrame], object], frames: Iterable[pl.DataFrame]
    ) -> Iterator[object]:
        items = list(frames)
        size = max(1, -(-len(items) // (4 * workers)))
        parts = [items[i : i + size] for i in range(0, len(items), size)]
        done: dict[int, list[object]] = {}
        with progress_bar("forecasting series", total=len(items)) as advance:
            futures = {pool.submit(_chunk, work, part): i for i, part in enumerate(parts)}
            for future in as_completed(futures):
                done[futures[future]] = future.result()
                advance(len(done[futures[future]]))
        for i in range(len(parts)):
            yield from done[i]

    return mapped


def forecast(warehouse_path: Path, options: ForecastOptions) -> runs.ForecastRun:
    """Forecast every series on a local thread or process pool and store the run; the plan's
    growth models fit on the same pool, beside the series."""
    workers = options.workers or os.cpu_count() or 1
    with _executor(options.task_runner, workers) as pool:
        return runs.forecast(
            warehouse_path, options, map_fn=_pool_map(pool, workers), submit=pool.submit
        )


def backtest_decisions(
    warehouse_path: Path,
    capacity_path: Path,
    reports_path: Path,
    options: DecisionOptions,
) -> decisions.DecisionRun:
    """Replay the triggers as of past days on a local process pool (one as-of day a task)."""
    # Here, not at the top: the decision backtest brings scipy and the growth models (about 2 s),
    # which ingest, events and contracts, the other users of this module, never call.
    from forecasting import decisions

    workers = options.workers or os.cpu_count() or 1

    def mapped(
        replay: Callable[[date], decisions.Replayed], days: Iterable[date]
    ) -> Iterator[decisions.Replayed]:
        items = list(days)
        if workers == 1 or len(items) == 1:
            with progress_bar("replaying as-of days", total=len(items)) as advance:
                for day in items:
                    yield replay(day)
                    advance(1)
            return
        done: dict[int, decisions.Replayed] = {}
        with (
            _executor("processes", min(workers, len(items))) as pool,
            progress_bar("replaying as-of days", total=len(items)) as advance,
        ):
            futures = {pool.submit(replay, day): i for i, day in enumerate(items)}
            for future in as_completed(futures):
                done[futures[future]] = future.result()
                advance(1)
        yield from (done[i] for i in range(len(items)))

    return decisions.backtest_decisions(
        warehouse_path, capacity_path, options, reports_path=reports_path, map_fn=mapped
    )
