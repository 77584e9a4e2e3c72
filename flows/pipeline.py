"""The whole job as one flow: inbox, events and contracts -> ingest -> forecast -> drills ->
reports.

One process runs it all as subflows, so Prefect's server starts once (STACK.md: the server,
not the work, dominates a short command). Each step is idempotent, so a rerun after a crash
picks up where it stopped: ingested files are skipped by content hash, finished forecast
chunks come from the task cache, and the report replaces a half-written one atomically.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.logging import get_run_logger
from prefect.runtime import flow_run
from pydantic import BaseModel

from flows.drill import drill_flow
from flows.forecast import forecast as run_forecast
from flows.ingest import ingest_contracts, ingest_events, ingest_files
from flows.report import report_flow
from flows.stopping import raise_if_stopped, recording_prefect_sigterm
from forecasting import ingest
from forecasting.capacity import load_capacity
from forecasting.ingest import IngestResult
from forecasting.options import PipelineOptions
from forecasting.runs import (
    ContractsLoaded,
    DrillNotPlayed,
    DrillOutcome,
    EventsLoaded,
    ForecastRun,
    ReportOutcome,
    history_missing,
)

__all__ = ["PipelineOptions", "PipelineOutcome", "PipelineStopped", "pipeline_flow"]

recording_prefect_sigterm()  # before any flow here runs: flows/stopping.py says why


class PipelineOutcome(BaseModel):
    """What each step did, for the CLI's summary and the Prefect UI."""

    ingested: list[IngestResult]
    events: list[EventsLoaded] = []
    contracts: list[ContractsLoaded] = []
    forecast: ForecastRun
    drills: list[DrillOutcome]
    drills_not_played: list[DrillNotPlayed] = []
    report: ReportOutcome

    model_config = {"arbitrary_types_allowed": True}


class PipelineStopped(BaseModel):
    """A run that stopped after its loads: the warehouse holds nothing to forecast."""

    ingested: list[IngestResult]
    events: list[EventsLoaded] = []
    contracts: list[ContractsLoaded] = []
    why: str

    model_config = {"arbitrary_types_allowed": True}


@task
def check_history(warehouse_path: Path) -> str | None:
    """Say why the warehouse holds nothing to forecast, or None when it holds telemetry."""
    return history_missing(warehouse_path)


@flow(name="pipeline", log_prints=True)
def pipeline_flow(
    warehouse_path: Path,
    capacity_path: Path,
    reports_path: Path,
    options: PipelineOptions | None = None,
) -> PipelineOutcome | PipelineStopped:
    """Ingest what is new, forecast, drill, and publish triggers and reports; stop after the
    loads where the warehouse holds no telemetry to forecast."""
    options = options or PipelineOptions()
    # Drills and triggers need the plan: a missing or bad one fails here, before a forecast
    # that would take minutes and then be left without a report.
    load_capacity(capacity_path)
    logger = get_run_logger()
    ingested: list[IngestResult] = []
    if options.inbox is not None:
        files = (
            ingest.telemetry_files([options.inbox], warehouse=warehouse_path)
            if options.inbox.exists()
            else []
        )
        ingested = (
            ingest_files(files, warehouse_path, options.inbox_format, capacity_path)
            if files
            else []
        )
        new = [r for r in ingested if r.status == "loaded"]
        if not new:
            # Still publish: readers need the report, and it carries a stale-data warning.
            failed = sum(r.status == "failed" for r in ingested)
            logger.warning(
                "no new telemetry in %s%s; forecasting on what the warehouse holds",
                options.inbox,
                f" ({failed} file(s) failed: each says why at the end)" if failed else "",
            )
    allow_empty = options.allow_empty
    calendars = (
        ingest_events(
            options.events, warehouse_path, allow_empty=allow_empty, capacity_path=capacity_path
        )
        if options.events
        else []
    )
    for load in calendars:
        if load.status == "failed":
            logger.error("events file not loaded: %s", load.message)
        for line in [*load.unmatched, *load.notes, *load.kept_lines]:
            logger.warning("%s: %s", load.path, line)
    books = (
        ingest_contracts(
            options.contracts, warehouse_path, allow_empty=allow_empty, capacity_path=capacity_path
        )
        if options.contracts
        else []
    )
    for book in books:
        if book.status == "failed":
            logger.error("contract book not loaded: %s", book.message)
        elif book.refused:
            logger.warning("%s: %d contract(s) refused", book.path, book.refused_entries)
        for line in book.outcomes.values():
            logger.warning("%s: refused entry: %s", book.path, line)
        for line in book.warnings:
            logger.warning("%s: %s", book.path, line)
    # A stop signal whose exception a step swallowed stops the run here, not a step later.
    raise_if_stopped()
    why = check_history(warehouse_path)
    if why is not None:
        # An empty warehouse (no file, or only bad files in the inbox) failed in the forecast
        # task, its subflow and this flow: three tracebacks before the one line that says why.
        return PipelineStopped(ingested=ingested, events=calendars, contracts=books, why=why)
    forecast_options = options.forecast.model_copy(update={"capacity": capacity_path})
    forecast = run_forecast(warehouse_path, forecast_options)
    raise_if_stopped()
    drill_options = options.drill.model_copy(update={"forecast_run_id": forecast.run_id})
    drills = drill_flow(warehouse_path, capacity_path, drill_options)
    raise_if_stopped()
    report_options = options.report.model_copy(update={"forecast_run_id": forecast.run_id})
    report = report_flow(warehouse_path, capacity_path, reports_path, report_options)
    logger.info("pipeline run %s published %s", flow_run.get_id(), report.path)
    return PipelineOutcome(
        ingested=ingested,
        events=calendars,
        contracts=books,
        forecast=forecast,
        drills=drills.played,
        drills_not_played=drills.not_played,
        report=report,
    )
