"""Loading files into the warehouse: telemetry, events and the contract book."""

from __future__ import annotations

import difflib
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import BaseModel

from forecasting import warehouse

if TYPE_CHECKING:  # the step modules load scipy, numba and plotly: only when a step runs
    from forecasting.contracts import ContractBook
    from forecasting.ingest import IngestResult


__all__ = [
    "ContractsLoaded",
    "EventsLoaded",
    "contract_book",
    "load_contracts_file",
    "load_events_file",
    "load_telemetry_file",
    "stray_contracts",
]


class EventsLoaded(BaseModel):
    """What loading one calendar file did; ``refused`` lists each bad row and its rule."""

    path: Path
    status: str  # loaded or failed
    loaded: int = 0
    replaced: int = 0
    duplicates: int = 0
    # Rows a later row of the same event replaced, each naming the row kept.
    duplicate_rows: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    ignored_columns: list[str] = []
    message: str = ""
    # Events whose scope matches no telemetry series yet: loaded, but they touch nothing.
    unmatched: list[str] = []


def load_telemetry_file(path: Path, warehouse_path: Path, file_format: str | None) -> IngestResult:
    """Validate one telemetry file and load it into the warehouse in one transaction."""
    from forecasting import ingest

    with warehouse.connect(warehouse_path) as wh:
        return ingest.ingest_file(wh, path, file_format=file_format)


def load_events_file(path: Path, warehouse_path: Path) -> EventsLoaded:
    """Read one events calendar and make its good rows the warehouse's events from that file."""
    from forecasting import events

    try:
        read = events.read_events(path)
    except events.EventsFileError as exc:
        return EventsLoaded(path=path, status="failed", message=str(exc))
    with warehouse.connect(warehouse_path) as wh:
        replaced = wh.replace_events(str(path.resolve()), read.events)
        known = wh.query("SELECT DISTINCT region, workload_class, customer FROM telemetry_series")
    return EventsLoaded(
        path=path,
        status="loaded",
        loaded=read.events.height,
        replaced=replaced,
        duplicates=read.duplicates,
        duplicate_rows=read.duplicate_rows.to_dicts(),
        refused=read.problems.to_dicts(),
        ignored_columns=list(read.ignored_columns),
        unmatched=_unmatched_events(read.events, known),
    )


def _unmatched_events(events: pl.DataFrame, known: pl.DataFrame) -> list[str]:
    """One line per event whose scope matches no telemetry series (a misspelt region, or a
    customer with no telemetry yet); none when the warehouse holds no telemetry to judge by."""
    if known.is_empty():
        return []
    scope = ("region", "workload_class", "customer")
    lines = []
    for event in events.iter_rows(named=True):
        given = {c: event[c] for c in scope if event[c] is not None}
        matches = known.filter(*(pl.col(c) == v for c, v in given.items())) if given else known
        if matches.is_empty():
            where = ", ".join(f"{c} {v!r}" for c, v in given.items())
            lines.append(
                f"event {event['event']} on {event['date']} ({where}) matches no telemetry "
                "series: it touches no forecast until such telemetry arrives"
            )
    return lines


class ContractsLoaded(BaseModel):
    """What loading one contract book did; ``refused`` lists each bad entry and its rule."""

    path: Path
    status: str  # loaded or failed
    loaded: int = 0
    replaced: int = 0
    signed: int = 0
    pipeline: int = 0
    refused: list[dict[str, Any]] = []  # contracts.REFUSALS_SCHEMA rows
    message: str = ""
    # Ids another book holds with other terms: this load wins them (contracts.ids_in_other_books);
    # customers near a telemetry one, contracts on the same terms, entries announced ahead.
    warnings: list[str] = []


def load_contracts_file(
    path: Path, warehouse_path: Path, *, today: date | None = None
) -> ContractsLoaded:
    """Read one contract book and make its good entries the warehouse's contracts from it.

    Once the warehouse holds telemetry, a contract in a region it has never seen is refused
    (``unknown region``): a typo would otherwise make a region of its own. Loaded, but named
    in the warnings: a customer that misses a telemetry customer only by case or a close
    spelling, two contracts in force on the same terms under different ids, and an entry
    announced after ``today`` (default: the UTC clock's) or the newest telemetry day.
    """
    from forecasting import contracts

    with warehouse.connect(warehouse_path) as wh:
        series = wh.query("SELECT DISTINCT region, customer FROM telemetry_series")
        known = series["region"].unique().to_list()
        try:
            book = contracts.load_contracts(path, regions=known or None)
        except contracts.ContractError as exc:
            return ContractsLoaded(path=path, status="failed", message=str(exc))
        rows = [r.row for r in book.refusals]
        good_rows = _good_rows(len(book.contracts) + len(rows), rows)
        source = str(path.resolve())
        frame = contracts.book_frame(book, rows=good_rows)
        elsewhere = wh.contracts_elsewhere(source, frame["id"].to_list())
        replaced = wh.replace_contracts(source, frame)
        in_force = wh.contracts()
        newest = wh.newest_telemetry()
    today = today or datetime.now(UTC).date()
    return ContractsLoaded(
        path=path,
        status="loaded",
        loaded=len(book.contracts),
        replaced=replaced,
        signed=len(book.signed),
        pipeline=len(book.pipeline),
        refused=book.refusals_frame().to_dicts(),
        warnings=[
            *contracts.ids_in_other_books(frame, elsewhere),
            *contracts.customers_near_telemetry(frame, series["customer"].unique().to_list()),
            *contracts.same_terms_other_ids(in_force, source=source),
            *contracts.announced_ahead(
                frame, newest=None if newest is None else newest.date(), today=today
            ),
        ],
    )


def _good_rows(entries: int, refused: list[int]) -> list[int]:
    """The file rows of the kept entries: 1..entries without the refused ones, in order."""
    skip = set(refused)
    return [row for row in range(1, entries + 1) if row not in skip]


def contract_book(warehouse_path: Path) -> ContractBook:
    """The warehouse's contract book (every loaded file; a repeated id: the newest load),
    without the contracts in a region its telemetry does not have (see
    :func:`stray_contracts`): loaded before any telemetry, a book's "US-EAST" made a region of
    9,000 GPUs with no capacity, which the same book loaded after refused."""
    from forecasting import contracts

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        book = contracts.book_of(wh.contracts(), source=str(warehouse_path))
        regions = set(wh.query("SELECT DISTINCT region FROM telemetry_series")["region"])
    if not regions:
        return book
    return replace(book, contracts=tuple(c for c in book.contracts if c.region in regions))


def stray_contracts(warehouse_path: Path) -> list[str]:
    """One warning line per stored contract in a region the telemetry does not have (a book
    loaded before the telemetry was not checked against it), naming the nearest region: the
    forecast leaves it out."""
    from forecasting import contracts

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        book = contracts.book_of(wh.contracts(), source=str(warehouse_path))
        regions = sorted(set(wh.query("SELECT DISTINCT region FROM telemetry_series")["region"]))
    if not regions:
        return []
    lines = []
    for c in book.contracts:
        if c.region in regions:
            continue
        by_lower = {r.lower(): r for r in regions}
        near = by_lower.get(c.region.lower()) or next(
            iter(difflib.get_close_matches(c.region, regions, n=1, cutoff=0.8)), None
        )
        hint = f" (did you mean {near!r}?)" if near else ""
        lines.append(
            f"contract {c.id!r} ({c.customer}, {c.workload_class.value}) is in region "
            f"{c.region!r}, which the telemetry does not have{hint}: not applied; fix the "
            "book and load it again (`fleetcast contracts FILE`)"
        )
    return lines
