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
from forecasting.schema import LEVELS

if TYPE_CHECKING:  # the step modules load scipy, numba and plotly: only when a step runs
    from forecasting.contracts import ContractBook
    from forecasting.events import EventsRead
    from forecasting.ingest import IngestResult
    from forecasting.ingest import Plan as IngestPlan


__all__ = [
    "ContractsLoaded",
    "EventsLoaded",
    "contract_book",
    "load_contracts_file",
    "load_events_file",
    "load_telemetry_file",
    "stored_book",
    "stray_contracts",
]


class EventsLoaded(BaseModel):
    """What loading one calendar file did; ``refused`` lists each bad row and its rule."""

    path: Path
    status: str  # loaded or failed
    loaded: int = 0
    # Stored events this load removed or changed, and those it stored again as they were.
    replaced: int = 0
    unchanged: int = 0
    duplicates: int = 0
    # Rows a later row of the same event replaced, each naming the row kept.
    duplicate_rows: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []  # every fault of each bad row: a row may have several
    ignored_columns: list[str] = []
    message: str = ""
    # Events whose scope matches no telemetry series yet: loaded, but they touch nothing.
    unmatched: list[str] = []
    # Stored events of this file kept because their new row was refused, and per refused row
    # of a reload what the calendar holds for it now.
    kept: int = 0
    kept_lines: list[str] = []
    # Kinds read under another spelling; future kinds with no past occurrence to learn from.
    notes: list[str] = []
    # The file holds no data rows (a header alone): said in ``notes``, what it means for the run.
    empty: bool = False

    @property
    def refused_rows(self) -> int:
        """The rows refused: a row with several faults is one."""
        return len({r["row_number"] for r in self.refused})


def load_telemetry_file(
    path: Path, warehouse_path: Path, file_format: str | None, capacity_path: Path | None = None
) -> IngestResult:
    """Validate one telemetry file and load it into the warehouse in one transaction; rows in
    a region the plan at ``capacity_path`` lacks load with a warning (none without a plan)."""
    from forecasting import ingest

    plan = _ingest_plan(capacity_path)
    with warehouse.connect(warehouse_path) as wh:
        return ingest.ingest_file(wh, path, file_format=file_format, plan=plan)


def _ingest_plan(capacity_path: Path | None) -> IngestPlan | None:
    """The plan's name and regions (a block or a site) for ingest to check rows against; None
    without a readable plan: ingest needs none, and `capacity` says what is wrong with one."""
    from forecasting.capacity import CapacityError, load_capacity
    from forecasting.ingest import Plan

    if capacity_path is None or not capacity_path.is_file():
        return None
    try:
        plan = load_capacity(capacity_path)
        gpus: dict[str, int] = {}
        for block in plan.block:
            gpus[block.region] = gpus.get(block.region, 0) + block.gpus
        return Plan(name=str(capacity_path), regions=plan.planned_regions, region_gpus=gpus)
    except CapacityError:
        return None


def load_events_file(
    path: Path,
    warehouse_path: Path,
    *,
    allow_empty: bool = False,
    capacity_path: Path | None = None,
) -> EventsLoaded:
    """Read one events calendar and make its good rows the warehouse's events from that file.

    A refused row keeps the event this file loaded before that it stands for, until it is
    fixed (:func:`_events_to_keep`). A file with no data rows, over events it loaded before,
    is refused unless ``allow_empty``: a truncated export removed every event. A row naming a
    region in neither the telemetry nor the plan at ``capacity_path`` is refused, as a
    contract's is (none judged before any telemetry).
    """
    from forecasting import events

    source = str(path.resolve())
    with warehouse.connect(warehouse_path) as wh:
        others = wh.query(
            "SELECT event, count(*) AS n FROM events WHERE source <> ? GROUP BY event", [source]
        )
        regions = set(wh.query("SELECT DISTINCT region FROM telemetry_series")["region"])
        try:
            read = events.read_events(
                path,
                known_kinds=dict(others.iter_rows()),
                regions=regions or None,
                planned=_plan_regions(capacity_path),
            )
        except events.EventsFileError as exc:
            return EventsLoaded(path=path, status="failed", message=str(exc))
        before = wh.events_of(source)
        if read.rows == 0 and before.height and not allow_empty:
            message = _empty_book(path, before, book_kind=False)
            return EventsLoaded(path=path, status="failed", message=message)
        keep, kept_lines = _events_to_keep(read, before)
        reloaded = wh.replace_events(source, read.events, keep=keep)
        known = wh.query("SELECT DISTINCT region, workload_class, customer FROM telemetry_series")
        span = wh.query("SELECT min(ts)::DATE AS first, max(ts)::DATE AS last FROM telemetry")
        in_force = wh.events()
    first, last = span.row(0)
    empty = (
        [_empty_file_line(path, before, in_force=in_force.height, book_kind=False)]
        if read.rows == 0
        else []
    )
    return EventsLoaded(
        path=path,
        status="loaded",
        loaded=read.events.height,
        replaced=reloaded.replaced,
        unchanged=reloaded.unchanged,
        duplicates=read.duplicates,
        duplicate_rows=read.duplicate_rows.to_dicts(),
        refused=read.problems.to_dicts(),
        ignored_columns=list(read.ignored_columns),
        unmatched=_unmatched_events(read.events, known),
        kept=keep.height,
        kept_lines=kept_lines,
        empty=bool(empty),
        notes=[
            *empty,
            *read.respelled,
            *events.kinds_without_past(
                in_force,
                read.events["event"].to_list(),
                first=first,
                last=last or datetime.now(UTC).date(),
            ),
        ],
    )


def _event_named(event: dict[str, Any]) -> str:
    """'model-launch' on 2027-01-14 (region 'us-east', customer 'acme')."""
    scope = ", ".join(f"{c} {event[c]!r}" for c in LEVELS if event[c] is not None)
    return f"{event['event']!r} on {event['date']}" + (f" ({scope})" if scope else "")


def _events_to_keep(read: EventsRead, before: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The stored events of a file (``before``) its new version refused, and one line per
    refused row of a reload saying what the calendar holds for it.

    An event has no id: it is its kind, date and scope (EVENT_KEY). A refused row stands for
    the stored events the new version lacks that agree with every key cell the row's reader
    could read (a bad date leaves kind and scope): one is kept by name; several, when the row
    cannot tell them apart, are all kept, since the broken row may be any of them, as
    telemetry keeps the old rows a version with quarantined rows lacks."""
    from forecasting.events import EVENT_KEY

    if before.is_empty() or not read.refused_keys:
        return before.clear(), []
    loaded = {tuple(r) for r in read.events.select(EVENT_KEY).iter_rows()}
    lacking = [
        r for r in before.iter_rows(named=True) if tuple(r[c] for c in EVENT_KEY) not in loaded
    ]
    kept: dict[int, dict[str, Any]] = {}
    lines = []
    for row, cells in read.refused_keys:
        matches = [
            (i, r) for i, r in enumerate(lacking) if all(r[c] == v for c, v in cells.items())
        ]
        kept.update(matches)
        if not matches:
            lines.append(
                f"row {row} refused: no event this file loaded before agrees with it, so it "
                "is out of the calendar until it is fixed"
            )
        elif len(matches) == 1:
            event = matches[0][1]
            lines.append(
                f"row {row} refused: kept the version of {_event_named(event)} loaded on "
                f"{_loaded_on(event['loaded_at'])} until it is fixed"
            )
        else:
            unread = [c for c in EVENT_KEY if c not in cells]
            named = "; ".join(_event_named(r) for _, r in matches[:3])
            more = f"; and {len(matches) - 3} more" if len(matches) > 3 else ""
            lines.append(
                f"row {row} refused: its {', '.join(unread)} cannot be read, so it may be any "
                f"of {len(matches)} events this file loaded before and this version lacks "
                f"({named}{more}): kept all of them as loaded on "
                f"{_loaded_on(max(r['loaded_at'] for _, r in matches))} until it is fixed"
            )
    frame = pl.DataFrame([kept[i] for i in sorted(kept)], schema=before.schema)
    return frame, lines


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
    # Stored contracts this load removed or changed, and those it stored again as they were.
    replaced: int = 0
    unchanged: int = 0
    signed: int = 0
    pipeline: int = 0
    # contracts.REFUSALS_SCHEMA rows: every fault of each bad entry, so one entry may have
    # several (refused_entries counts the entries).
    refused: list[dict[str, Any]] = []
    message: str = ""
    # Ids another book holds with other terms: this load wins them (contracts.ids_in_other_books);
    # customers near a telemetry one, contracts on the same terms, entries announced ahead.
    warnings: list[str] = []
    # Stored contracts of this file kept because their new version was refused.
    kept: int = 0
    # Per refused row: what the book holds for that entry now (kept, another file's, none).
    outcomes: dict[int, str] = {}
    # The file holds no entries (0 bytes, comments or a header alone): said in ``warnings``.
    empty: bool = False
    # Per deal whose terms in force this load changed: the deal, each field old -> new, and
    # the file it comes from (contracts.in_force_changes).
    changes: list[str] = []

    @property
    def refused_entries(self) -> int:
        """The entries refused: an entry with several faults is one ("3 contract(s) refused"
        counted one entry's three faults)."""
        return len({r["row_number"] for r in self.refused})


def load_contracts_file(
    path: Path,
    warehouse_path: Path,
    *,
    today: date | None = None,
    allow_empty: bool = False,
    capacity_path: Path | None = None,
) -> ContractsLoaded:
    """Read one contract book and make its good entries the warehouse's contracts from it.

    Once the warehouse holds telemetry, a contract in a region it has never seen is refused
    (``unknown region``): a typo would otherwise make a region of its own; but one in a region
    with blocks in the plan at ``capacity_path`` (a greenfield site's anchor customer) is
    loaded: the book is that region's only demand until its telemetry comes. Loaded, but named
    in the warnings: a customer that misses a telemetry customer only by case or a close
    spelling, two contracts in force on the same customer, class, region, ramp and term under
    different ids, an entry announced after ``today`` (default: the UTC clock's) or the
    newest telemetry day, and a pipeline deal at probability 1 for a customer running there.

    A refused entry keeps the version of its id this file loaded before, until it is fixed
    (an entry whose id cannot be read keeps every contract of the file the new version lacks:
    it may be any of them). A file with no entries at all, over a book it loaded before, is
    refused unless ``allow_empty``: a truncated or emptied file removed every deal.
    """
    from forecasting import contracts

    with warehouse.connect(warehouse_path) as wh:
        series = wh.query("SELECT DISTINCT region, customer FROM telemetry_series")
        known = series["region"].unique().to_list()
        try:
            book = contracts.load_contracts(
                path, regions=known or None, planned=_plan_regions(capacity_path)
            )
        except contracts.ContractError as exc:
            return ContractsLoaded(path=path, status="failed", message=str(exc))
        source = str(path.resolve())
        before = wh.query(
            "SELECT id, loaded_at FROM contracts WHERE source = ? ORDER BY row_number", [source]
        )
        if not book.contracts and not book.refusals and before.height and not allow_empty:
            return ContractsLoaded(
                path=path, status="failed", message=_empty_book(path, before, book_kind=True)
            )
        # An entry with several faults is one refused row, each fault a refusal of its own.
        rows = sorted({r.row for r in book.refusals})
        good_rows = _good_rows(len(book.contracts) + len(rows), rows)
        frame = contracts.book_frame(book, rows=good_rows)
        keep = _ids_to_keep(book, before["id"].to_list())
        elsewhere = wh.contracts_elsewhere(source, frame["id"].to_list())
        in_force_before = wh.contracts()
        mine_before = wh.query("SELECT * FROM contracts WHERE source = ?", [source])
        reloaded = wh.replace_contracts(source, frame, keep=keep)
        in_force = wh.contracts()
        newest = wh.newest_telemetry()
        oldest = wh.oldest_telemetry()
    today = today or datetime.now(UTC).date()
    empty = not book.contracts and not book.refusals
    changes = contracts.in_force_changes(in_force_before, in_force, source=source)
    # Replaced and unchanged count the deals in force, as a reader takes them: a deal this
    # file held as it was but another book had won since (both loaded, this one again) read
    # "unchanged" while its terms in force flipped signed -> pipeline. Such a deal, and one
    # new to this file that takes an id from another book, replaced the terms in force.
    mine = {r["id"]: r for r in mine_before.iter_rows(named=True)}
    new = {r["id"]: r for r in frame.iter_rows(named=True)}
    taken = [c.id for c in changes if c.id in new and c.id not in mine]
    won_back = [c.id for c in changes if contracts.same_terms(new.get(c.id), mine.get(c.id))]
    return ContractsLoaded(
        path=path,
        status="loaded",
        loaded=len(book.contracts),
        replaced=reloaded.replaced + len(taken) + len(won_back),
        unchanged=reloaded.unchanged - len(won_back),
        changes=[c.line for c in changes],
        signed=len(book.signed),
        pipeline=len(book.pipeline),
        refused=book.refusals_frame().to_dicts(),
        kept=len(keep),
        outcomes=_refusal_outcomes(
            book, keep, before, in_force, source=source, good_rows=good_rows
        ),
        empty=empty,
        warnings=[
            *(
                [_empty_file_line(path, before, in_force=in_force.height, book_kind=True)]
                if empty
                else []
            ),
            *contracts.ids_in_other_books(frame, elsewhere),
            *contracts.customers_near_telemetry(frame, series["customer"].unique().to_list()),
            *contracts.same_terms_other_ids(in_force, source=source),
            *contracts.announced_ahead(
                frame, newest=None if newest is None else newest.date(), today=today
            ),
            *contracts.far_ahead(frame, today=today),
            *contracts.certain_pipeline(frame, series),
            *contracts.ended_before_telemetry(
                frame, first=None if oldest is None else oldest.date()
            ),
        ],
    )


def _plan_regions(capacity_path: Path | None) -> tuple[str, ...]:
    """The regions with blocks in the plan at ``capacity_path``; none without a readable plan
    (a book then loads in the telemetry's regions only)."""
    from forecasting.capacity import CapacityError, load_capacity

    if capacity_path is None or not capacity_path.is_file():
        return ()
    try:
        return load_capacity(capacity_path).regions
    except CapacityError:
        return ()


def _loaded_on(loaded_at: Any) -> str:
    """The UTC day of a ``loaded_at`` stamp, as the notes name it."""
    return str(loaded_at.astimezone(UTC).date()) if isinstance(loaded_at, datetime) else "?"


def _empty_book(path: Path, before: pl.DataFrame, *, book_kind: bool) -> str:
    """The one line refusing an entry-less file over what it loaded before."""
    holds = "no [[contract]] tables" if path.suffix.lower() == ".toml" else "no data rows"
    noun = "contract(s)" if book_kind else "event(s)"
    return (
        f"{path} holds {holds}; it would remove the {before.height:,} {noun} loaded from it on "
        f"{_loaded_on(before['loaded_at'].max())}, so nothing was changed (a truncated or "
        "emptied file?); to empty it on purpose, load it again with --allow-empty"
    )


def _empty_file_line(path: Path, before: pl.DataFrame, *, in_force: int, book_kind: bool) -> str:
    """The line a file with no entries loads with (its path said before it): that it holds
    none, what it removed (``before``: what it loaded before, emptied by --allow-empty), and
    what the run now has, ``in_force`` entries from every file. A header-only events file or
    a 0-byte book under a new path loaded 0 rows and exited 0 without a word, though it is
    most likely a failed export; a book may be empty on purpose, so it loads, and says so."""
    noun = "contract(s)" if book_kind else "event(s)"
    if not path.stat().st_size:
        holds = "is empty (0 bytes)"
    elif path.suffix.lower() == ".toml":
        holds = "holds no [[contract]] tables"
    else:
        holds = "holds no data rows"
    said = f"{holds}: nothing loaded from it"
    if before.height:
        said += (
            f", and the {before.height:,} {noun} loaded from it on "
            f"{_loaded_on(before['loaded_at'].max())} were removed (--allow-empty)"
        )
    if in_force:
        return said + f"; {in_force:,} {noun} from other files stay in force"
    if book_kind:
        return said + (
            "; the contract book is empty: no signed contract or pipeline deal enters the "
            "plan (a failed export? load the right file, or leave it empty on purpose)"
        )
    return said + (
        "; no event is known now: the forecast models no launch, migration or holiday (a "
        "failed export? load the right file)"
    )


def _ids_to_keep(book: ContractBook, stored: list[str]) -> list[str]:
    """The stored ids of a file whose new version is refused and not loaded under that id:
    the refused entry's id, or, for an entry whose id cannot be read, every stored id the new
    version lacks (it may be any of them)."""
    loaded = {c.id for c in book.contracts}
    lacking = [i for i in stored if i not in loaded]
    named = {r.contract_id for r in book.refusals if r.contract_id}
    if any(r.contract_id is None for r in book.refusals):
        return lacking
    return [i for i in lacking if i in named]


def _refusal_outcomes(
    book: ContractBook,
    keep: list[str],
    before: pl.DataFrame,
    in_force: pl.DataFrame,
    *,
    source: str,
    good_rows: list[int],
) -> dict[int, str]:
    """Per refused row, what the book holds for that entry now, in words."""
    force = {r["id"]: r for r in in_force.iter_rows(named=True)}
    loaded_row = {c.id: row for c, row in zip(book.contracts, good_rows, strict=True)}
    kept_at = before.filter(pl.col("id").is_in(keep))["loaded_at"]
    outcomes = {}
    for refusal in book.refusals:
        ident = refusal.contract_id
        if ident is None:
            outcomes[refusal.row] = (
                f"its id cannot be read, so the {len(keep)} contract(s) this file loaded before "
                f"and this version lacks ({', '.join(repr(i) for i in keep)}) are kept as "
                f"loaded on {_loaded_on(kept_at.max())} until it is fixed"
                if keep
                else "it is out of the book until it is fixed"
            )
        elif ident in loaded_row and loaded_row[ident] < refusal.row:
            continue  # a repeated id: its rule names the row that holds it, loaded
        elif ident in loaded_row:
            # A later row of another deal holds the id: "out of the book" would be untrue,
            # and nothing said the id was used twice.
            outcomes[refusal.row] = (
                f"{ident!r} is in the book from row {loaded_row[ident]}, another entry of this "
                "file with the same id: give one of them a new id"
            )
        elif (kept := force.get(ident)) is None:
            outcomes[refusal.row] = f"{ident!r} is out of the book until it is fixed"
        elif kept["source"] == source:
            outcomes[refusal.row] = (
                f"kept the version of {ident!r} loaded on {_loaded_on(kept['loaded_at'])} "
                "until it is fixed"
            )
        else:
            outcomes[refusal.row] = (
                f"the book keeps {ident!r} as {kept['source']} loaded it on "
                f"{_loaded_on(kept['loaded_at'])}"
            )
    return outcomes


def _good_rows(entries: int, refused: list[int]) -> list[int]:
    """The file rows of the kept entries: 1..entries without the refused ones, in order."""
    skip = set(refused)
    return [row for row in range(1, entries + 1) if row not in skip]


def contract_book(warehouse_path: Path, *, capacity_path: Path | None = None) -> ContractBook:
    """The warehouse's contract book (every loaded file; a repeated id: the newest load),
    without the contracts in a region neither its telemetry nor the plan at ``capacity_path``
    has (see :func:`stray_contracts`): loaded before any telemetry, a book's "US-EAST" made a
    region of 9,000 GPUs with no capacity, which the same book loaded after refused. A
    contract in a region of the plan without telemetry yet (a greenfield site's anchor
    customer) is kept: its ramp is that region's only demand.

    The book stands as known on the newest telemetry day (``known_on``): a forecast or replay
    as of an earlier day reads an entry without ``announced`` from its first ramp day only
    (:meth:`ContractBook.known_by`)."""

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        book = stored_book(wh, source=str(warehouse_path))
        regions = set(wh.query("SELECT DISTINCT region FROM telemetry_series")["region"])
    if not regions:
        return book
    regions |= set(_plan_regions(capacity_path))
    return replace(book, contracts=tuple(c for c in book.contracts if c.region in regions))


def stored_book(wh: warehouse.Warehouse, *, source: str | None = None) -> ContractBook:
    """Every stored contract (a repeated id: the newest load), standing as known on the newest
    telemetry day (``known_on``), as forecasts, replays and reports read it."""
    from forecasting import contracts

    newest = wh.newest_telemetry()
    return replace(
        contracts.book_of(wh.contracts(), source=source),
        known_on=None if newest is None else newest.date(),
    )


def stray_contracts(warehouse_path: Path, *, capacity_path: Path | None = None) -> list[str]:
    """One warning line per stored contract in a region neither the telemetry nor the plan at
    ``capacity_path`` has (a book loaded before the telemetry was not checked against it),
    naming the nearest region: the forecast leaves it out."""
    from forecasting import contracts

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        book = contracts.book_of(wh.contracts(), source=str(warehouse_path))
        regions = sorted(set(wh.query("SELECT DISTINCT region FROM telemetry_series")["region"]))
    if not regions:
        return []
    planned = set(_plan_regions(capacity_path))
    lines = []
    for c in book.contracts:
        if c.region in regions or c.region in planned:
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
