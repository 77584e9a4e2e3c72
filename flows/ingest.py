"""The ingest flows: telemetry files, event calendars and contract books -> warehouse, one
writer at a time."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.logging import get_run_logger

from flows import direct
from flows.stopping import recording_prefect_sigterm
from forecasting import ingest, runs
from forecasting.ingest import IngestResult
from forecasting.runs import ContractsLoaded, EventsLoaded

__all__ = [
    "ContractsLoaded",
    "EventsLoaded",
    "ingest_contracts",
    "ingest_events",
    "ingest_files",
    "ingest_inbox",
    "load_contracts",
    "load_events",
    "load_file",
]

recording_prefect_sigterm()  # before any flow here runs: flows/stopping.py says why


def _transient(task_obj: object, task_run: object, state: object) -> bool:
    """Retry only I/O errors (a file still being written, a busy disk), not bad content."""
    try:
        state.result()  # type: ignore[attr-defined]  # prefect State
    except OSError:
        return True
    except Exception:
        return False
    return False


@task(
    retries=3,
    retry_delay_seconds=[2, 10, 30],
    retry_condition_fn=_transient,
    tags=["warehouse-writer"],
)
def load_file(
    path: Path, warehouse_path: Path, file_format: str | None, capacity_path: Path | None = None
) -> IngestResult:
    """Validate one telemetry file and load it into the warehouse in one transaction."""
    result = runs.load_telemetry_file(path, warehouse_path, file_format, capacity_path)
    logger = get_run_logger()
    for line in result.warnings:
        logger.warning("%s", line)
    for line in result.quarantined_rows:
        logger.warning("quarantined %s", line)
    if result.status == "failed":
        logger.error("%s", result.message)
    elif result.entry is not None:
        e = result.entry
        # A trace's ledger counts its hourly rows: the file's rows are read, those beside.
        read = (
            f"{e.rows_read}"
            if result.source_rows is None or result.hourly_rows is None
            else f"{result.source_rows} ({result.hourly_rows} hourly)"
        )
        logger.info(
            "%s: %s; read %s, loaded %d, quarantined %d, deduplicated %d, replaced %d, "
            "unchanged %d",
            path,
            result.status,
            read,
            e.loaded,
            e.quarantined,
            e.deduplicated,
            e.replaced,
            result.unchanged,
        )
    return result


@flow(name="ingest", log_prints=True)
def ingest_files(
    paths: list[Path],
    warehouse_path: Path,
    file_format: str | None = None,
    capacity_path: Path | None = None,
) -> list[IngestResult]:
    """Ingest telemetry files (directories expand to their files) in order, one at a time;
    rows in a region the plan at ``capacity_path`` lacks load with a warning."""
    return direct.ingest_files(
        paths, warehouse_path, file_format, load=load_file, capacity_path=capacity_path
    )


@flow(name="ingest-inbox", log_prints=True)
def ingest_inbox(
    inbox: Path, warehouse_path: Path, capacity_path: Path | None = None
) -> list[IngestResult]:
    """Ingest the inbox folder's telemetry files; files loaded before are skipped by hash."""
    logger = get_run_logger()
    if not inbox.is_dir():
        logger.warning("inbox %s is not a folder yet; nothing to ingest", inbox)
        return []
    files = ingest.telemetry_files([inbox], warehouse=warehouse_path)
    results = [load_file(path, warehouse_path, None, capacity_path) for path in files]
    counts = {s: sum(r.status == s for r in results) for s in ("loaded", "skipped", "failed")}
    logger.info("inbox %s: %s", inbox, ", ".join(f"{n} {s}" for s, n in counts.items()))
    return results


@task(
    retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_transient, tags=["warehouse-writer"]
)
def load_events(
    path: Path, warehouse_path: Path, allow_empty: bool = False, capacity_path: Path | None = None
) -> EventsLoaded:
    """Read one events calendar and make its good rows the warehouse's events from that file
    (``capacity_path``: the plan whose regions, with the telemetry's, an event may name)."""
    loaded = runs.load_events_file(
        path, warehouse_path, allow_empty=allow_empty, capacity_path=capacity_path
    )
    logger = get_run_logger()
    if loaded.status == "failed":
        logger.error("%s", loaded.message)
    else:
        logger.info(
            "%s: %d events loaded (%d replaced, %d unchanged), %d rows refused",
            path,
            loaded.loaded,
            loaded.replaced,
            loaded.unchanged,
            loaded.refused_rows,
        )
    return loaded


@flow(name="ingest-events", log_prints=True)
def ingest_events(
    paths: list[Path],
    warehouse_path: Path,
    allow_empty: bool = False,
    capacity_path: Path | None = None,
) -> list[EventsLoaded]:
    """Load event calendars (launches, migrations, holidays) for the forecast to use;
    ``allow_empty`` loads one with no rows over what it loaded before (emptying it)."""
    return [load_events(path, warehouse_path, allow_empty, capacity_path) for path in paths]


@task(
    retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_transient, tags=["warehouse-writer"]
)
def load_contracts(
    path: Path, warehouse_path: Path, allow_empty: bool = False, capacity_path: Path | None = None
) -> ContractsLoaded:
    """Read one contract book and make its good entries the warehouse's contracts from it
    (``capacity_path``: the plan whose regions without telemetry the refusals name)."""
    loaded = runs.load_contracts_file(
        path, warehouse_path, allow_empty=allow_empty, capacity_path=capacity_path
    )
    logger = get_run_logger()
    if loaded.status == "failed":
        logger.error("%s", loaded.message)
    else:
        logger.info(
            "%s: %d contracts loaded (%d signed, %d pipeline; %d replaced, %d unchanged), "
            "%d entries refused",
            path,
            loaded.loaded,
            loaded.signed,
            loaded.pipeline,
            loaded.replaced,
            loaded.unchanged,
            loaded.refused_entries,
        )
    return loaded


@flow(name="ingest-contracts", log_prints=True)
def ingest_contracts(
    paths: list[Path],
    warehouse_path: Path,
    allow_empty: bool = False,
    capacity_path: Path | None = None,
) -> list[ContractsLoaded]:
    """Load contract books (signed contracts and pipeline deals) for the forecast to apply;
    ``allow_empty`` loads one with no entries over what it loaded before (emptying it)."""
    return [load_contracts(path, warehouse_path, allow_empty, capacity_path) for path in paths]
