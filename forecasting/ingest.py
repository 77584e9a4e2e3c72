"""Telemetry files -> validated warehouse rows; every bad row quarantined with its reason.

A file is scanned lazily with an explicit dialect (never sniffed), judged row by row against
the rules below, and streamed into two staging Parquet files (good rows, bad rows) so memory
stays flat whatever the file's size. The warehouse then loads both, deduplicated on the
telemetry key (the later row of a file wins, and an earlier row with other values is
quarantined; a key from an earlier file is replaced, and the notes say per earlier ingest how
many such keys changed value and how many were identical), together with the ledger entry, in
one transaction. Counts reconcile: rows read = loaded + quarantined + deduplicated. A path
ingested again with new content drops the quarantine rows of its old content.
A file whose content is already in the ledger is skipped, also under another name, unless a
later version of the path it was loaded from replaced its rows since (then it loads again, as
the newest version); a file that cannot be read fails alone and leaves the warehouse as it was.

Each bad row is quarantined with one reason, the first rule it breaks in this order:
``row has more fields than the header`` (naming the CR, where a lone CR joined two rows),
``the row has fewer fields than the header``,
``malformed quoting`` (a CSV line whose quote never closes, or spans lines into a row of another
width: the file is then read a line at a time, so that line alone is lost), ``line is not a
JSON object``, ``missing value``, ``invalid UTF-8``,
``unknown workload class``, ``interval not positive``, ``not a number``, ``not finite``,
``negative``, ``above the plausible ceiling`` (more GPUs in one row than any cluster holds),
``timestamp not ISO-8601`` (saying ``no such day`` for 2025-02-30 or month 13, and what a
number may be), ``timestamp before 2010-01-01`` (see :data:`EARLIEST_TIMESTAMP`),
``timestamp beyond now + 1 day``, ``timestamp is a date without a time`` (a daily row: the
warehouse holds hours). Before those: a file ending in NUL bytes (cut by a crash
and padded) has its last row quarantined under a rule that says so; a JSON line writing a key
ingest reads twice is quarantined naming it; and ``a control character inside a name`` (NUL,
tab or another C0 character) comes before ``unknown workload class``. ``not a number`` says
what the value looks like where it has a spreadsheet's shape (decimal comma, thousands
separator, unit, percent). A bad value in an optional column (``requests``, ``tokens``)
is nulled and counted in the notes instead: those columns are not part of demand.

Column names are matched without regard to case or surrounding spaces (``GPUS_RUNNING`` is
``gpus_running``), as exports from spreadsheets and BI tools often capitalise them.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import hashlib
import json
import re
import shlex
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from forecasting.errors import (
    GZIP_MAGIC,
    XLS_MAGIC,
    XLSX_MAGIC,
    column_name_hint,
    delimiter_hint,
    is_gzip,
    wide_encoding,
)
from forecasting.rules import (
    BAD_QUOTES,
    CR_JOINED_RULE,
    TOO_MANY_FIELDS,
    csv_line,
    first_failure,
)
from forecasting.schema import (
    EARLIEST_TIMESTAMP,
    MAX_GPUS_PER_ROW,
    MAX_UTC_OFFSET_MINUTES,
    NO_ZONE_RULE,
    TELEMETRY_KEY,
    TELEMETRY_OPTIONAL,
    TELEMETRY_REQUIRED,
    TELEMETRY_SCHEMA,
    UTC_OFFSET_RULE,
    WorkloadClass,
)
from forecasting.traces import (
    ADAPTERS,
    OUTAGE_FINDERS,
    REFUSED_SCHEMA,
    TraceFormatError,
    TraceReport,
    trace_format_of,
)
from forecasting.warehouse import CONFLICT_RULE, LedgerEntry, Overlap, Replaced, Warehouse

__all__ = [
    "EARLIEST_TIMESTAMP",
    "FILE_SUFFIXES",
    "FORMATS",
    "FileFormat",
    "IngestFileError",
    "IngestResult",
    "NotTelemetry",
    "NulledCells",
    "Plan",
    "Refused",
    "Staged",
    "content_sha256",
    "file_format_of",
    "ingest_file",
    "ingest_frame",
    "judged_rows",
    "nothing_good",
    "quarantined_row_lines",
    "scan_raw",
    "stage_rows",
    "telemetry_files",
    "telemetry_files_and_others",
]

FileFormat = Literal["csv", "parquet", "jsonl"]
# Besides the three file formats, --format takes a trace adapter's name (forecasting.traces).
FORMATS: tuple[str, ...] = ("csv", "parquet", "jsonl", *ADAPTERS)
FILE_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

# A file may carry GPU-hours per interval instead of mean GPUs; ingest divides by the interval.
GPU_HOURS = "gpu_hours"
QUEUED_GPU_HOURS = "queued_gpu_hours"
INTERVAL = "interval_minutes"
_RULE_LONG_INTERVAL = "interval longer than an hour (split the row into hourly rows)"
_UNIT_COLUMNS = (GPU_HOURS, QUEUED_GPU_HOURS, INTERVAL)
_KNOWN_COLUMNS = frozenset((*TELEMETRY_SCHEMA.names(), *_UNIT_COLUMNS))
_NUMERIC = ("gpus_running", "gpus_queued", *TELEMETRY_OPTIONAL)
_CLASSES = tuple(c.value for c in WorkloadClass)
_ROW = "__row"
_RAW = "__raw"
_EXTRA = "__extra"  # the fields of a CSV row past its header's width, in order
_OVERFLOW = "__overflow"  # a rule the row breaks as a line, before any field is read
_NOT_JSON = "not a JSON object"
_JSON_COMMA = "a JSON object followed by ','"
_TOO_FEW_FIELDS = "too few fields"
_UNNAMED = "__unnamed_"  # a CSV header column with an empty name
_HEADER_AGAIN = "header again"
_BLANK_LINE = "blank"
_REORDERED = "reordered"
# The rows a lone CR joined: one rule, the trace adapters' too (forecasting.rules).
_RULE_CR_INSIDE = CR_JOINED_RULE
# The rule each line-level failure is quarantined under.
_LINE_RULES = {
    TOO_MANY_FIELDS: "row has more fields than the header",
    # A cut last line ("...,512,1" of 10 fields) stored its cut number as gpus_queued.
    _TOO_FEW_FIELDS: "the row has fewer fields than the header (a line cut short?)",
    _NOT_JSON: "line is not a JSON object",
    # The object is whole, yet read only "not a JSON object", which hid the one stray byte.
    _JSON_COMMA: (
        "line is a JSON object followed by ',' (a line cut from a JSON array?): remove the "
        "comma (sed 's/,$//'), or write one object per line with jq -c, and ingest it again"
    ),
    _HEADER_AGAIN: "a header line inside the data (files joined into one?): not a row",
    # It read "ts: missing value", as if a row had lost its timestamp.
    _BLANK_LINE: "a blank line: no row there",
    _REORDERED: (
        "under a header line inside the data that orders the columns differently (files "
        "joined into one?): split the file at that header and load each part"
    ),
    BAD_QUOTES: 'malformed quoting: a quote (") not closed on its line, or text after one',
}
_NAIVE = "__naive"
_NULLED = "__nulled_"  # the rule an optional cell broke, where it was nulled
_TYPED = "__t_"
_RETRY_TS = "__retry_ts"
_BAD = "__bad"
_RULE_TS = "timestamp not ISO-8601 (YYYY-MM-DD[THH:MM[:SS[.f]]][Z|±HH:MM])"
# A timestamp written as a number: what it may be, and what to export instead.
_RULE_TS_NUMBER = (
    f"{_RULE_TS}: a number (epoch seconds or milliseconds, or a spreadsheet's serial day?); "
    "export the time as text, e.g. 2025-03-01T13:00:00Z"
)
# A stamp of the right shape on a day no calendar has: the plain rule read as if the shape
# were wrong, and the reader compared digits with the pattern.
_RULE_TS_NO_DAY = (
    f"{_RULE_TS}: no such day (a month 01 to 12, a day within its month: 2025-02-30?); "
    "check the date"
)
_DAY_SHAPE = r"^\d{4}-\d{2}-\d{2}(?:[T ]|$)"
_RULE_FUTURE = "timestamp beyond now + 1 day"
# The warehouse holds hours: a date alone (a daily export) stood on its day's 00:00 hour and
# left the other 23 without its demand, as a daily interval_minutes row did.
_RULE_DATE_ONLY = (
    "timestamp is a date without a time (a daily row? the warehouse holds hours): export "
    "hourly rows, each with its time, e.g. 2025-03-01T13:00:00Z"
)
_RULE_PAST = f"timestamp before {EARLIEST_TIMESTAMP:%Y-%m-%d} (a zero or epoch default?)"
# The common shapes, tried on a sample to pick one fast parser for the whole column; rows it
# cannot parse get the full ISO-8601 parser in a second pass over the (few) rejected rows.
_TS_FORMATS: tuple[tuple[str, bool], ...] = (
    ("%Y-%m-%dT%H:%M:%SZ", False),  # the commonest export, and 5x faster to parse than %#z
    ("%Y-%m-%dT%H:%M:%S%.f%#z", False),
    ("%Y-%m-%d %H:%M:%S%.f%#z", False),
    ("%Y-%m-%dT%H:%M:%S%.f", True),
    ("%Y-%m-%d %H:%M:%S%.f", True),
)
_ISO = (
    r"^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2})(?::(\d{2}(?:\.\d{1,9})?))?)?"
    r"\s*(Z|z|UTC|[+-]\d{2}:?\d{2})?$"
)
_DATE_ONLY = r"^\d{4}-\d{2}-\d{2}\s*(?:Z|z|UTC|[+-]\d{2}:?\d{2})?$"
# An offset past ±14:00 that the fast parsers still read (their ceiling is ±23:59).
_OFFSET_PAST_14 = r"[+-](?:(?:1[5-9]|2\d):?\d{2}|14:?(?:0[1-9]|[1-5]\d))$"
_CSV_OVERFLOW_COLUMNS = 8
# Lines a file read a line at a time holds in memory at once (one Parquet part).
_PART_LINES = 200_000
_COUNT_BYTES = 1 << 24  # read at a time when counting a CSV file's lines
# Every header names it: a file whose data never does holds no header line inside the data.
_CLASS_NAME = b"workload_class"
# What an exporter leaves around a column name in a header line inside the data: spaces, the
# quotes of a quoted header, a byte-order mark and the other invisible format characters.
_AROUND_A_NAME = ' \t\r\n\xa0"\ufeff\u200b\u200c\u200d\u200e\u200f\u2060'
_RULE_CEILING = f"above the plausible ceiling of {MAX_GPUS_PER_ROW:,} GPUs in one row"
# A C0 control character inside a name: "ac\0me" loaded as a customer apart from "acme".
_CONTROL = "a control character inside a name"
_CONTROLS: tuple[tuple[str, str, bool], ...] = (
    ("\x00", f"{_CONTROL}: NUL (U+0000; a file cut and padded, or a C string?)", True),
    ("\t", f"{_CONTROL}: a tab (U+0009; a tab-separated export?)", True),
    (
        r"[\x01-\x08\x0a-\x1f\x7f]",
        f"{_CONTROL}: a C0 control character (U+0001-U+001F or U+007F, shown in the value)",
        False,
    ),
)
# The value of a name with a control character, each written as its code point.
_CONTROL_CHARS = [chr(i) for i in (*range(0x20), 0x7F)]
_CONTROL_SHOWN = [f"<U+{ord(c):04X}>" for c in _CONTROL_CHARS]
# A number in a spreadsheet's shape: what it looks like and what to export instead. Tried in
# this order on a value that is not a number; the thousands shape before the decimal comma.
_NUMBER_SHAPES: tuple[tuple[str, str], ...] = (
    # Before the unit shape, which reads "0x10" as the number 0 with a unit.
    (r"(?i)^[+-]?0x[0-9a-f]+$", "a hexadecimal number (0x10)? export it in decimal (16)"),
    # \d is Unicode here: full-width and Arabic-Indic digits match it, but no reader parses them.
    (
        r"^[+-]?[\d.,]*[\d&&[^0-9]][\d.,]*$",
        "digits other than 0-9 (full-width, Arabic-Indic)? export ASCII digits",
    ),
    (
        r"^[+-]?\d+(?:_\d+)+(?:\.\d+)?$",
        "digits grouped with underscores (1_234)? export plain digits",
    ),
    (r"^[+-]?\d[\d.,]*\s*%$", "a percent (85%)? export the number itself, not a share"),
    (
        r"^[+-]?\d[\d.,]*\s*\p{L}",
        "a number with a unit (12 GPUs)? export the number alone",
    ),
    (
        r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$",
        "a thousands separator (1,234), or a decimal comma? export plain digits with a point",
    ),
    (
        r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+$",
        "a decimal comma (1,5)? export with a point (1.5)",
    ),
    # French and Swiss exports group digits with a space, a no-break or narrow no-break space
    # or an apostrophe; German ones with a point ("1.234" alone is a number: it loads as is).
    (
        r"^[+-]?\d{1,3}(?:[ \u00a0\u202f']\d{3})+(?:[.,]\d+)?$|^[+-]?\d{1,3}(?:\.\d{3}){2,}$",
        "a thousands separator (1 234, 1.234.567)? export plain digits with a point",
    ),
    (
        r"(?i)^(?:null|none|nil|n/?a|#n/a|-|\?)$",
        "a missing value written as text (NULL, None, N/A)? export the number",
    ),
)
_NOT_A_NUMBER = "not a number"
# What an empty file is told to write: it read "no header row" alone (an export that failed).
_EMPTY_FIX = (
    f"; a telemetry file starts with its header, {','.join(TELEMETRY_REQUIRED)} (then its "
    "rows): export it again"
)
# Marks a file's last row when the file ends in NUL bytes; the count follows the prefix.
_NUL_TAIL = "__nul_tail_"


class IngestFileError(ValueError):
    """A whole file cannot be ingested; the message names the file and what to change."""


class _ReaderError(IngestFileError):
    """The fast reader rejected the file as a whole (a CSV reader error, not a rule)."""


@dataclass(frozen=True, slots=True)
class Staged:
    """One file's rows after judgement, as Parquet files ready for the warehouse."""

    good: tuple[Path, ...]
    bad: Path
    extra_columns: tuple[str, ...]
    unnamed_columns: int = 0
    blank_lines: int = 0
    # (GPU-hours column, mean column) pairs both in the file: the mean is used.
    shadowed: tuple[tuple[str, str], ...] = ()
    nulled: tuple[NulledCells, ...] = ()


@dataclass(frozen=True, slots=True)
class NulledCells:
    """Cells of an optional column (requests, tokens) that broke a rule: nulled, their rows
    loaded all the same."""

    column: str
    rule: str
    cells: int
    first_row: int


def _nulled_notes(nulled: Sequence[NulledCells]) -> list[str]:
    """One note per optional column: how many cells were nulled, under which rule, from
    which row."""
    notes = []
    for column in dict.fromkeys(c.column for c in nulled):
        cells = [c for c in nulled if c.column == column]
        rules = ", ".join(f"{c.cells:,} {c.rule} (first at row {c.first_row:,})" for c in cells)
        notes.append(
            f"{column}: set {sum(c.cells for c in cells):,} cell(s) to null, their rows loaded "
            f"({column} is optional and not part of demand): {rules}"
        )
    return notes


@dataclass(frozen=True, slots=True)
class Reload:
    """Content in the ledger whose rows a later version of its path replaced since: it loads
    again, as the newest version now."""

    earlier: LedgerEntry
    later: LedgerEntry

    def note(self) -> str:
        """The note that says why content already in the ledger was loaded again."""
        return (
            f"loaded again: this content was ingested before (ingest {self.earlier.ingest_id[:8]}, "
            f"file {self.earlier.path}) and then replaced by a later version of that file "
            f"(ingest {self.later.ingest_id[:8]}); it is the newest version now"
        )


@dataclass(frozen=True, slots=True)
class IngestResult:
    """The outcome for one file: loaded, skipped as already ingested, or failed (unreadable,
    loading nothing; or not one good row, its refused rows quarantined all the same)."""

    path: Path
    status: Literal["loaded", "skipped", "failed"]
    entry: LedgerEntry | None = None
    message: str = ""
    notes: tuple[str, ...] = field(default=())
    changed_from_other_files: int = 0
    """Keys an earlier ingest of another file had stored that this load gave other values."""
    warnings: tuple[str, ...] = field(default=())
    """Lines a reader must see though the rows loaded: a region the capacity plan lacks."""
    source_rows: int | None = None
    """A trace's data rows (requests, minutes, windows), where the ledger counts the hourly
    rows its adapter built (and the source rows it refused): "read 2" for a 577-request log."""
    hourly_rows: int | None = None
    """The hourly telemetry rows a trace's adapter built from its good source rows."""
    unchanged: int = 0
    """Keys an earlier ingest had stored that this load repeated with the same values."""
    quarantined_rows: tuple[str, ...] = field(default=())
    """The first rows this load quarantined, each with its file, row, column, rule, value and
    what to write (:func:`quarantined_row_lines`), and how many more."""
    quarantine_standing: int = 0
    """Of a file skipped as already ingested, the rows its content's earlier ingest has in
    quarantine now (what `fleetcast quarantine` lists of it): none once a later version of
    its path dropped them, where the ledger's count stays. `ingest --strict` judges these."""


# Compressions a file's first bytes give away, and the command that undoes each: only gzip
# is read (.csv.gz); a bzip2 export dropped in the inbox was skipped without a word.
_COMPRESSIONS: tuple[tuple[bytes, str, str], ...] = (
    (b"BZh", "bzip2", "bunzip2 -k"),
    (b"\xfd7zXZ\x00", "xz", "unxz -k"),
    (b"\x28\xb5\x2f\xfd", "zstd", "unzstd"),
    (b"PK\x03\x04", "zip", "unzip"),
    (GZIP_MAGIC, "gzip", "gunzip -k"),
)


def _compression_of(path: Path) -> tuple[str, str] | None:
    """(name, command to undo it) of the compression the file's first bytes show, or None."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    return next(
        ((name, undo) for magic, name, undo in _COMPRESSIONS if head.startswith(magic)), None
    )


def file_format_of(path: Path) -> FileFormat:
    """The format a file's suffix says, or an error that names the file, why it is not read
    and the suffixes we read."""
    name = path.name.lower()
    for suffix, fmt in sorted(FILE_SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return fmt
    reads = f"fleetcast reads telemetry files ending {', '.join(FILE_SUFFIXES)}"
    compressed = _compression_of(path)
    if compressed is not None:
        kind, undo = compressed
        # gzip is read, but only as a CSV named .csv.gz.
        instead = "name it .csv.gz if it holds a CSV" if kind == "gzip" else "gzip it as .csv.gz"
        raise IngestFileError(
            f"{path}: not read: a {kind}-compressed file, which fleetcast does not read under "
            f"this name ({reads}): decompress it (`{undo} {shlex.quote(str(path))}`), or "
            f"{instead}; nothing of the file was loaded"
        )
    suffix = "".join(path.suffixes[-1:]) or "no suffix"
    raise IngestFileError(
        f"{path}: not read: unknown file type {suffix!r} ({reads}): rename it if it is "
        "telemetry in one of those formats, or move it out of the folder; nothing of the file "
        "was loaded"
    )


def telemetry_files(paths: Iterable[Path], *, warehouse: Path | None = None) -> list[Path]:
    """The files named, with directories expanded (recursively, sorted) to every file in them:
    a file of a suffix not read is listed all the same, to fail naming itself (a bzip2 export
    left out of a folder's ingest was never mentioned). Only the ``warehouse``'s own files (the
    database, its WAL, the staging folders beside it) are left out of a folder."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and (warehouse is None or not _of_the_warehouse(p, warehouse))
            )
        else:
            found.append(path)
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class NotTelemetry:
    """A file a folder holds that reads as another kind of input (a capacity plan, an event
    calendar, a contract book): ingest leaves it out of the folder, and says what takes it."""

    path: Path
    kind: str
    use: str

    @property
    def note(self) -> str:
        return f"{self.path}: {self.kind}, not telemetry: {self.use}"


# Top-level tables of capacity.toml (forecasting/capacity.py): a TOML with one of the first
# two is a plan, whatever else it holds.
_PLAN_TABLES = ("block", "policy")


def _not_telemetry(path: Path) -> NotTelemetry | None:
    """What ``path`` is if it reads as a capacity plan, an event calendar or a contract book,
    with the command that takes it; None for anything else, which ingest then reads as
    telemetry (and fails, by file, row, column and rule, if it is none)."""
    import tomllib

    from forecasting.contracts import REQUIRED_FIELDS as CONTRACT_FIELDS
    from forecasting.events import REQUIRED_COLUMNS as EVENT_COLUMNS

    quoted = shlex.quote(str(path))
    name = path.name.lower()
    if name.endswith(".toml"):
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        if any(key in document for key in _PLAN_TABLES):
            return NotTelemetry(
                path, "a capacity plan", f"use it with FLEETCAST_CAPACITY={quoted} (or --capacity)"
            )
        if set(document) == {"contract"}:
            return NotTelemetry(
                path, "a contract book", f"load it with `fleetcast contracts {quoted}`"
            )
        return None
    if not name.endswith((".csv", ".csv.gz")):
        return None
    try:
        header = set(_csv_header(path))
    except IngestFileError:
        return None
    # A telemetry file with an "event" or "date" column of its own is telemetry all the same.
    if header & {"ts", "gpus_running", GPU_HOURS}:
        return None
    if set(EVENT_COLUMNS) <= header:
        return NotTelemetry(path, "an event calendar", f"load it with `fleetcast events {quoted}`")
    if set(CONTRACT_FIELDS) <= header:
        return NotTelemetry(path, "a contract book", f"load it with `fleetcast contracts {quoted}`")
    return None


def telemetry_files_and_others(
    paths: Iterable[Path], *, warehouse: Path | None = None
) -> tuple[list[Path], list[NotTelemetry]]:
    """The files to ingest as :func:`telemetry_files` gives them, less those a folder holds
    that read as a capacity plan, an event calendar or a contract book, which come second:
    the folder `fleetcast synth` writes holds its capacity.toml and events.csv beside the
    telemetry, and ingesting it whole failed both as bad telemetry. A file named on its own
    is read as telemetry whatever it looks like (it fails saying what it looks like)."""
    named = {p for p in paths if not p.is_dir()}
    files: list[Path] = []
    others: list[NotTelemetry] = []
    for path in telemetry_files(paths, warehouse=warehouse):
        other = None if path in named else _not_telemetry(path)
        if other is None:
            files.append(path)
        else:
            others.append(other)
    return files, others


def _of_the_warehouse(path: Path, warehouse: Path) -> bool:
    """Whether ``path`` is the warehouse, a file of its own beside it, or a staged part."""
    home = warehouse.resolve().parent
    where = path.resolve()
    if where.parent == home and where.name.startswith(warehouse.name):
        return True
    return any(
        part.parent == home and part.name.startswith(("fleetcast-stage-", "fleetcast-lines-"))
        for part in where.parents
    )


def content_sha256(path: Path) -> str:
    """Hex sha256 of the file's bytes: the ledger's identity of a file, whatever its name."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- reading ---------------------------------------------------------------------------------


def _csv_header(path: Path) -> list[str]:
    _check_utf8_text(path)
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:
            header = next(csv.reader(fh), None)
    except (OSError, EOFError, csv.Error) as exc:
        raise IngestFileError(f"{path}: cannot read: {exc}") from exc
    if not header:
        raise IngestFileError(f"{path}: empty file: no header row{_EMPTY_FIX}")
    # A spreadsheet's trailing empty columns have no name: each gets its own, ignored, as two
    # of them failed the whole file ("header names [''] more than once").
    names = [h.strip() or f"{_UNNAMED}{i}" for i, h in enumerate(header)]
    duplicated = sorted({h for h in names if names.count(h) > 1})
    read = [h for h in duplicated if h.lower() in _KNOWN_COLUMNS]
    if read:
        raise IngestFileError(f"{path}: header names {read} more than once")
    # A column ingest does not read, named twice (a BI export's two "notes"), failed the whole
    # file and lost its good rows: each later one is named by its position, and ignored.
    return [
        f"{h} (column {i + 1})" if h in duplicated and h in names[:i] else h
        for i, h in enumerate(names)
    ]


def _scan_csv(path: Path, records: CsvRecords | None = None) -> pl.LazyFrame:
    header = _csv_header(path)
    if records is None:
        records = _csv_records(path, header=header)
    # Overflow columns catch rows with more fields than the header instead of silently
    # truncating them; such rows are quarantined.
    overflow = [f"{_OVERFLOW}{i}" for i in range(_CSV_OVERFLOW_COLUMNS)]
    schema = {name: pl.String for name in (*header, *overflow)}
    options = {
        "has_header": False,
        "skip_rows": 1,
        "schema": schema,
        "separator": ",",
        "quote_char": '"',
        "encoding": "utf8-lossy",
        "truncate_ragged_lines": True,
        "raise_if_empty": False,
        "missing_columns": "insert",
    }
    if path.name.lower().endswith(".gz"):
        # polars scans only plain files lazily; a gzip file is decompressed (and a truncated
        # stream detected) while reading it whole.
        try:
            frame = pl.read_csv(path, **options).lazy()  # type: ignore[arg-type]  # options are valid
        except Exception as exc:  # polars raises several types for unreadable input
            raise _ReaderError(f"{path}: cannot read gzip CSV (truncated?): {exc}") from exc
    else:
        frame = pl.scan_csv(path, **options)  # type: ignore[arg-type]  # options are valid
    too_many = pl.any_horizontal(pl.col(c).is_not_null() for c in overflow)
    line_fault: pl.Expr = pl.when(too_many).then(pl.lit(TOO_MANY_FIELDS))
    if records.short:
        # The reader pads a short row with nulls: only the bytes tell it from empty fields.
        short = pl.int_range(pl.len(), dtype=pl.Int64).is_in(pl.Series(records.short))
        line_fault = (
            pl.when(too_many)
            .then(pl.lit(TOO_MANY_FIELDS))
            .when(short)
            .then(pl.lit(_TOO_FEW_FIELDS))
        )
    # The overflowing fields stay (renamed) for a bad row's raw text, which _bad_rows builds
    # after the filter: built here, it was computed for every row of the file.
    read = frame.with_columns(line_fault.alias(_OVERFLOW)).rename(
        {c: f"{_EXTRA}{i}" for i, c in enumerate(overflow)}
    )
    return _with_nul_tail(_with_line_rules(read, header, inner_headers=records.inner_headers), path)


def _csv_field(text: pl.Expr) -> pl.Expr:
    """A field as a CSV line writes it: quoted (quotes doubled) where it holds a delimiter,
    quote or line break. A quarantined "1,234" read `...,H100,1,234,1` in its raw text, a row
    of nine fields."""
    quoted = pl.lit('"') + text.str.replace_all('"', '""', literal=True) + pl.lit('"')
    return pl.when(text.str.contains(r'[",\r\n]')).then(quoted).otherwise(text)


def _with_line_rules(
    frame: pl.LazyFrame, header: list[str], *, inner_headers: bool = True
) -> pl.LazyFrame:
    """``frame`` (a CSV read, each line's failure so far in ``__overflow``) with the rules a
    whole line breaks: blank, a header line inside the data, or under one that reorders the
    columns. Both CSV readers mark lines here, so they read a file alike. ``inner_headers``
    False says the bytes after the header never name ``workload_class``, so no line can be a
    header (:attr:`CsvRecords.inner_headers`).

    Exports joined into one file repeat their header inside the data; one whose columns come
    in another order loaded every row after it into the wrong columns (a 23.6-GPU customer
    stored as 31,572 GPUs running): the header line is refused, and so is every row under a
    header that reorders the columns, with the fix. Its cells are read as the header's names
    are (whatever their case, surrounding spaces or invisible characters): an inner header
    starting with a byte-order mark (each export of Excel's "CSV UTF-8" has one), or spelt
    "GPUs_Queued", was not seen, and the rows under it loaded into the wrong columns.
    """
    blank = pl.all_horizontal(pl.col(c).is_null() for c in header)
    rule = pl.when(pl.col(_OVERFLOW).is_not_null()).then(pl.col(_OVERFLOW)).when(blank)
    if not inner_headers:
        # Normalising every cell of every row cost a fifth of a CSV's ingest: paid only by a
        # file whose bytes may hold a header line.
        return frame.with_columns(rule.then(pl.lit(_BLANK_LINE)).alias(_OVERFLOW))
    # The columns ingest reads: an extra column's order does not matter, since it is ignored.
    named = [c for c in header if c.lower() in _KNOWN_COLUMNS] or [
        c for c in header if not c.startswith(_UNNAMED)
    ]
    key = {c: c.lower() for c in named}
    # A cell of a header line names any column, an extra one too ("site" moved first).
    spellings = sorted({c.lower() for c in header if not c.startswith(_UNNAMED)})

    def spelt(c: str) -> pl.Expr:
        return pl.col(c).str.strip_chars(_AROUND_A_NAME).str.to_lowercase()

    # Only a line whose workload class is not one can be a header: the names are read on
    # those lines alone (on every line, they cost 60 % more of a joined file's judging).
    wc = next((c for c in header if c.lower() == "workload_class"), None)
    gate = (
        pl.lit(True)
        if wc is None
        else ~pl.col(wc).str.to_lowercase().is_in(_CLASSES).fill_null(False)
    )
    is_header = (
        pl.when(gate)
        .then(pl.all_horizontal(spelt(c).is_in(spellings) for c in named))
        .otherwise(False)
    )
    same_order = pl.all_horizontal(spelt(c) == key[c] for c in named)
    reordered = pl.when(is_header).then(~same_order).forward_fill().fill_null(False)
    return frame.with_columns(
        rule.then(pl.lit(_BLANK_LINE))
        .when(is_header.fill_null(False))
        .then(pl.lit(_HEADER_AGAIN))
        .when(reordered)
        .then(pl.lit(_REORDERED))
        .alias(_OVERFLOW)
    )


@dataclass(frozen=True, slots=True)
class CsvRecords:
    """What a CSV file's bytes say its reader must find: records, short ones, and whether the
    fast reader can be trusted with its quotes."""

    count: int  # data records after the header, blank lines included
    short: tuple[int, ...]  # 0-based data records with fewer fields than the header names
    well_formed: bool  # False: a quote never closes, or spans lines into a record of wrong width
    # False: no byte after the header names workload_class in any case, so no line inside the
    # data can be a header (every header names it) and no cell need be read as a name.
    inner_headers: bool = True


def _required_fields(header: Sequence[str]) -> int:
    """Fields a row must have: up to the header's last named column (a spreadsheet's trailing
    unnamed columns may be left off)."""
    named = [i for i, name in enumerate(header) if not name.startswith(_UNNAMED)]
    return named[-1] + 1 if named else len(header)


def _csv_records(path: Path, *, header: Sequence[str]) -> CsvRecords:
    """The records after the header of a CSV file (gzip or plain), read by their bytes.

    A record ends at an LF outside quotes (RFC 4180: a quoted field may hold a line break, as
    polars, pandas and Excel write a multi-line label); in a file without one LF, at CR (an
    old Mac export, which the fast reader reads as one line: its rows then come from the
    line-at-a-time reader). A stray CR inside a line of an LF file is part of that line. A
    record with fewer fields than the header names is short: a last line cut by a killed
    exporter ("...,512,1" of 10 fields) loaded its cut number. Counted with numpy per chunk:
    no Python loop per line.
    """
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    width = _required_fields(header)
    lf = cr = 0
    last = b"\n"
    parity = commas_open = spans_open = length_open = 0
    prev_byte = 10
    index = 0  # records ended so far, the header included
    short: list[int] = []
    well_formed = True
    empty = np.empty(0, dtype=np.int64)
    named = 0  # times the file's bytes name workload_class, whatever the case
    carry = b""  # a chunk's last bytes, where the name may straddle two chunks
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(_COUNT_BYTES):
                lowered = carry + chunk.lower()
                named += lowered.count(_CLASS_NAME)
                carry = lowered[-(len(_CLASS_NAME) - 1) :]
                a = np.frombuffer(chunk, dtype=np.uint8)
                lf_at = np.flatnonzero(a == 10)
                lf += len(lf_at)
                if not len(lf_at):
                    cr += chunk.count(b"\r")
                if b'"' in chunk:
                    quoted = ((np.cumsum(a == 34) + parity) & 1).astype(bool)
                    ends, inner = lf_at[~quoted[lf_at]], lf_at[quoted[lf_at]]
                    commas = np.flatnonzero((a == 44) & ~quoted)
                    parity = int(quoted[-1])
                elif parity:
                    ends, inner, commas = empty, lf_at, empty
                else:
                    ends, inner, commas = lf_at, empty, np.flatnonzero(a == 44)
                if len(ends):
                    fields = np.diff(np.searchsorted(commas, ends), prepend=0) + 1
                    fields[0] += commas_open
                    spans = np.diff(np.searchsorted(inner, ends), prepend=0)
                    spans[0] += spans_open
                    lengths = np.diff(ends, prepend=-1) - 1
                    lengths[0] += length_open
                    before = np.where(ends > 0, a[np.maximum(ends - 1, 0)], prev_byte)
                    lengths -= before == 13
                    data = index + np.arange(len(ends)) > 0
                    short += (
                        np.flatnonzero(data & (fields < width) & (lengths > 0)) + index - 1
                    ).tolist()
                    well_formed &= not np.any(data & (spans > 0) & (fields != len(header)))
                    index += len(ends)
                    commas_open = len(commas) - int(np.searchsorted(commas, ends[-1], "right"))
                    spans_open = len(inner) - int(np.searchsorted(inner, ends[-1], "right"))
                    length_open = len(a) - int(ends[-1]) - 1
                else:
                    commas_open += len(commas)
                    spans_open += len(inner)
                    length_open += len(a)
                prev_byte = int(a[-1])
                last = chunk[-1:]
    except (OSError, EOFError) as exc:
        raise IngestFileError(f"{path}: cannot read (truncated?): {exc}") from exc
    if length_open:  # a last record without a line end
        fields_open, length = commas_open + 1, length_open - (prev_byte == 13)
        if index > 0 and fields_open < width and length > 0:
            short.append(index - 1)
        well_formed &= not (spans_open and fields_open != len(header))
        index += 1
    if not lf:
        # Lone CR line ends: the line-at-a-time reader reads the rows and judges their width.
        return CsvRecords(count=cr + (last not in (b"\n", b"\r")) - 1, short=(), well_formed=True)
    return CsvRecords(
        count=index - 1,
        short=tuple(short),
        well_formed=well_formed and not parity,
        inner_headers=named > ",".join(header).lower().encode().count(_CLASS_NAME),
    )


def _staged_parts(
    folder: Path, parts: Iterable[pl.DataFrame], *, names: Sequence[str] = ()
) -> pl.LazyFrame:
    """Frames of text columns written as Parquet parts in ``folder`` and scanned as one frame,
    in order: memory holds one part at a time. A column a part lacks is null there."""
    columns = dict.fromkeys(names)
    count = 0
    for count, part in enumerate(parts, start=1):
        columns.update(dict.fromkeys(part.columns))
        part.write_parquet(folder / f"lines-{count:06d}.parquet")
    schema = dict.fromkeys(columns, pl.String)
    if count == 0:
        pl.DataFrame(schema=schema).write_parquet(folder / "lines-000000.parquet")
    return pl.scan_parquet(folder / "lines-*.parquet", schema=schema, missing_columns="insert")


def _text_lines(path: Path, *, skip: int) -> Iterator[list[str]]:
    """The lines of a text file (gzip or plain) after its first ``skip``, ends stripped, in
    chunks of ``_PART_LINES``."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:
            for _ in range(skip):
                next(fh, None)
            while chunk := list(islice(fh, _PART_LINES)):
                yield [line.rstrip("\r\n") for line in chunk]
    except (OSError, EOFError) as exc:
        raise IngestFileError(f"{path}: cannot read (truncated?): {exc}") from exc


def _csv_by_line(path: Path, folder: Path) -> pl.LazyFrame:
    """A CSV file read one line at a time, as the fast reader would have read it, staged as
    Parquet parts in ``folder``.

    For files the fast reader rejects whole: a quote opened and never closed makes it read
    the rest of the file as one field. Here that line alone breaks a rule (telemetry rows
    never span lines) and every other line is judged as usual.
    """
    header = _csv_header(path)
    names = [*header, _OVERFLOW, _RAW]
    width = _required_fields(header)

    def parts() -> Iterator[pl.DataFrame]:
        for lines in _text_lines(path, skip=1):
            columns: list[list[str | None]] = [[] for _ in names]
            for text in lines:
                fields, failure = csv_line(text, len(header))
                if failure is None and text and len(fields) < width:
                    failure = _TOO_FEW_FIELDS
                # As the fast reader: an empty field is null, a short row padded with nulls.
                for i in range(len(header)):
                    columns[i].append((fields[i] or None) if i < len(fields) else None)
                columns[-2].append(failure)
                columns[-1].append(text)
            yield pl.DataFrame(
                dict(zip(names, columns, strict=True)), schema=dict.fromkeys(names, pl.String)
            )

    return _with_nul_tail(
        _with_line_rules(_staged_parts(folder, parts(), names=names), header), path
    )


def _object_then_comma(line: str) -> bool:
    """Whether a line that is not JSON is a JSON object followed by a comma."""
    text = line.rstrip()
    if not text.endswith(","):
        return False
    try:
        return isinstance(json.loads(text[:-1]), dict)
    except json.JSONDecodeError:
        return False


def _jsonl_record(line: str) -> dict[str, str | None]:
    """One JSON line's fields as text (numbers and nested values as JSON), and the line."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        obj = None
    if not isinstance(obj, dict):
        return {_OVERFLOW: _JSON_COMMA if _object_then_comma(line) else _NOT_JSON, _RAW: line}
    # Inline, not _json_text: a call per value cost a tenth of a JSON Lines ingest.
    row: dict[str, str | None] = {
        k: None if v is None else (v if isinstance(v, str) else json.dumps(v))
        for k, v in obj.items()
    }
    # Each key ends '"' then ':' (rarely with a space between): fewer keys than that can mean
    # a key written twice, which json.loads settles by keeping the last value without a word.
    pairs = line.count('":')
    if " :" in line or "\t:" in line:
        pairs = len(_KEY_END.findall(line))
    if pairs > len(obj):
        twice = _key_twice(line)
        if twice is not None:
            row[_TWICE], row[_TWICE_VALUES] = twice
    row[_RAW] = line
    return row


_KEY_END = re.compile(r'"\s*:')
_TWICE = "__twice"  # the contract column a JSON line writes more than once
_TWICE_VALUES = "__twice_values"


def _json_text(value: object) -> str | None:
    return None if value is None else (value if isinstance(value, str) else json.dumps(value))


def _key_twice(line: str) -> tuple[str, str] | None:
    """(column, its values joined) of the first column ingest reads that the JSON object on
    ``line`` writes more than once, or None. A key ingest does not read may repeat: ignored."""
    pairs: list[tuple[str, object]] = json.loads(line, object_pairs_hook=lambda p: p)
    for key in dict.fromkeys(k for k, _ in pairs):
        values = [v for k, v in pairs if k == key]
        if len(values) > 1 and key.strip().lower() in _KNOWN_COLUMNS:
            return key.strip().lower(), " | ".join(str(_json_text(v)) for v in values)
    return None


def _scan_jsonl(path: Path, folder: Path) -> pl.LazyFrame:
    """A JSON Lines file staged as Parquet parts in ``folder``, one row per line; blank lines
    are rows the rules skip and count."""
    records_read = objects = 0
    first: str | None = None

    def parts() -> Iterator[pl.DataFrame]:
        nonlocal records_read, objects, first
        for lines in _text_lines(path, skip=0):
            # A blank line stays a (skipped, counted) row so row numbers stay line numbers: a
            # bad value on line 4 was reported as row 3.
            records = [
                _jsonl_record(line) if line.strip() else {_OVERFLOW: _BLANK_LINE, _RAW: line}
                for line in lines
            ]
            records_read += sum(r.get(_OVERFLOW) != _BLANK_LINE for r in records)
            objects += sum(r.get(_OVERFLOW) is None for r in records)
            if first is None:
                first = next((line.strip() for line in lines if line.strip()), None)
            if records:
                keys = dict.fromkeys(k for r in records for k in r)
                yield pl.DataFrame(records, schema=dict.fromkeys(keys, pl.String))

    frame = _staged_parts(folder, parts(), names=[_OVERFLOW, _RAW])
    if not records_read:
        raise IngestFileError(f"{path}: empty file: no JSON lines")
    if first is not None and (first.startswith("[") or not objects):
        # One JSON document (an array, or `json.dump`/`jq .` output) or objects followed by
        # commas read "missing required column(s) [all of them] ... found []", which sent the
        # reader looking for misnamed keys; an array of one object per line loaded its last
        # object alone and quarantined every other one.
        what = (
            "starts a JSON array"
            if first.startswith("[")
            else "is a JSON object followed by ','"
            if _jsonl_record(first.removesuffix(",")).get(_OVERFLOW) is None
            else "is not a JSON object"
        )
        raise IngestFileError(
            f"{path}: not JSON Lines (one JSON object per line): its first line {what} "
            f"({first[:60]!r}{'...' if len(first) > 60 else ''}); write one object per line, "
            f"e.g. `jq -c '.[]' {path.name} > fixed.jsonl` for an array, `jq -c . "
            f"{path.name} > fixed.jsonl` for objects"
        )
    return _with_nul_tail(frame, path)


def _scan_parquet(path: Path) -> pl.LazyFrame:
    try:
        lf = pl.scan_parquet(path)
        lf.collect_schema()
    except pl.exceptions.DuplicateError as exc:
        # pyarrow writes a name twice; "(truncated or not Parquet?)" sent the reader to copy
        # the file again.
        named = re.search(r"name '([^']*)'", str(exc))
        what = repr(named.group(1)) if named else str(exc)
        raise IngestFileError(
            f"{path}: the file names a column more than once ({what}): write each column once"
        ) from exc
    except Exception as exc:  # a truncated or foreign file raises from deep inside the reader
        raise IngestFileError(
            f"{path}: cannot read as Parquet (truncated or not Parquet?): {exc}"
        ) from exc
    return lf


def _check_readable(path: Path) -> None:
    if not path.is_file():
        raise IngestFileError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise IngestFileError(f"{path}: empty file: no header row{_EMPTY_FIX}")


def _nul_tail(path: Path) -> int:
    """How many NUL bytes a file ends in, a gzip file once decompressed: a file cut by a
    crash and padded with zeros (as some filesystems leave it), maybe gzipped after."""
    if path.name.lower().endswith(".gz"):
        return _gzip_nul_tail(path)
    count = 0
    try:
        with path.open("rb") as fh:
            end = fh.seek(0, 2)
            while end > 0:
                start = max(0, end - (1 << 16))
                fh.seek(start)
                chunk = fh.read(end - start)
                kept = len(chunk.rstrip(b"\0"))
                count += len(chunk) - kept
                if kept:
                    break
                end = start
    except OSError:
        return 0
    return count


def _gzip_nul_tail(path: Path) -> int:
    """How many NUL bytes a gzip file's content ends in. Its end can only be reached by
    decompressing it all: one more pass over the stream, in chunks (memory stays flat)."""
    count = 0
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(_COUNT_BYTES):
                kept = len(chunk.rstrip(b"\0"))
                count = count + len(chunk) if not kept else len(chunk) - kept
    except (OSError, EOFError):
        return 0  # the reader says what is wrong with the file
    return count


def _with_nul_tail(frame: pl.LazyFrame, path: Path) -> pl.LazyFrame:
    """``frame`` with its last row marked where the file ends in NUL bytes: that row was
    quarantined as "too few fields" with kilobytes of NUL as its raw text."""
    count = _nul_tail(path)
    if not count:
        return frame
    last = pl.int_range(pl.len(), dtype=pl.Int64) == pl.len() - 1
    return frame.with_columns(pl.when(last).then(pl.lit(True)).alias(f"{_NUL_TAIL}{count}"))


def _check_utf8_text(path: Path) -> None:
    """Refuse a text file in a wide encoding (UTF-16 or UTF-32), or a gzip or ZIP file under
    a text name, in one line with the fix."""
    gzipped = path.name.lower().endswith(".gz")
    try:
        with path.open("rb") as fh:
            start = fh.read(64)
        if gzipped and start and not is_gzip(start):
            raise IngestFileError(
                f"{path}: the file is named .gz but is not gzip (it starts "
                f"{start[:16].decode('utf-8', 'replace')!r}): name it without the .gz, or "
                "gzip it, and ingest it again"
            )
        with (gzip.open if gzipped else open)(path, "rb") as fh:
            head = fh.read(4096)
    except (OSError, EOFError):
        return  # the reader says what is wrong with the file
    if not gzipped and is_gzip(head):
        rename = (
            f"name it {path.name}.gz (only a .csv.gz is read compressed), or "
            if f"{path.suffix.lower()}.gz" in FILE_SUFFIXES
            else ""
        )
        raise IngestFileError(
            f"{path}: the file is a gzip file, not text: {rename}decompress it (gunzip -c) "
            "and ingest it again"
        )
    if head.startswith(XLS_MAGIC):
        raise IngestFileError(
            f"{path}: the file is an Excel 97-2003 workbook (.xls), not text: export the sheet "
            "as CSV UTF-8 and ingest that"
        )
    # A binary file under a text name (an .xlsx renamed .csv) failed listing its bytes as the
    # header's columns: a screenful that did not say what the file is.
    if head.startswith(XLSX_MAGIC):
        raise IngestFileError(
            f"{path}: the file is a ZIP archive, not text (an Excel workbook, .xlsx, saved "
            "under a text name?): export the sheet as CSV UTF-8 and ingest that"
        )
    encoding = wide_encoding(head)
    if encoding is not None:
        raise IngestFileError(
            f"{path}: the file is {encoding}, not UTF-8: save it as UTF-8 (PowerShell: "
            "Out-File -Encoding utf8, or Export-Csv -Encoding utf8) and ingest it again"
        )


def scan_raw(
    path: Path, *, file_format: FileFormat | None = None, folder: Path | None = None
) -> pl.LazyFrame:
    """A file's rows as read, before any rule: strings for text formats, typed for Parquet.

    JSON Lines are staged as Parquet parts in ``folder`` (required for them), which must
    outlive the frame.
    """
    _check_readable(path)
    fmt = file_format or file_format_of(path)
    if fmt == "jsonl":
        _check_utf8_text(path)  # a CSV's header check (_csv_header) makes it
    if fmt == "csv":
        return _scan_csv(path)
    if fmt == "parquet":
        return _scan_parquet(path)
    if folder is None:
        raise ValueError("JSON Lines are staged as Parquet parts: pass scan_raw a folder")
    return _scan_jsonl(path, folder)


# --- rules -------------------------------------------------------------------------------------


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(name)
    return col if dtype == pl.String else col.cast(pl.String)


def _name(text: pl.Expr) -> pl.Expr:
    """A name without surrounding whitespace or invisible format characters (Unicode Cf:
    zero-width space, joiners, BOM, direction marks): "helios-labs" pasted with a trailing
    zero-width space became a second customer, without even the spelling note."""
    return text.str.replace_all(r"^[\s\p{Cf}]+|[\s\p{Cf}]+$", "")


def _blank(name: str, dtype: pl.DataType) -> pl.Expr:
    """True where a value is absent: null, or an empty string in text formats."""
    if dtype == pl.String:
        return pl.col(name).is_null() | (pl.col(name).str.strip_chars() == "")
    return pl.col(name).is_null()


def _number(name: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        return pl.col(name).str.strip_chars().cast(pl.Float64, strict=False)
    if dtype.is_numeric():
        return pl.col(name).cast(pl.Float64)
    return pl.lit(None, dtype=pl.Float64)


def iso_timestamp(text: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Any ISO-8601 shape we accept as UTC, whether it carried no zone (read as UTC), and
    whether its offset breaks UTC_OFFSET_RULE (its instant is then null: no shift is right)."""
    parts = text.str.strip_chars().str.extract_groups(_ISO)
    day, hm, sec, zone = (parts.struct.field(str(i)) for i in range(1, 5))
    naive = pl.concat_str(
        [day, pl.lit("T"), hm.fill_null("00:00"), pl.lit(":"), sec.fill_null("00")]
    ).str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False)
    offset = zone.str.replace(":", "")
    sign = pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
    hours = offset.str.slice(1, 2).cast(pl.Int64, strict=False)
    within_hour = offset.str.slice(3, 2).cast(pl.Int64, strict=False)
    minutes = hours * 60 + within_hour
    has_offset = offset.str.contains(r"^[+-]\d{4}$").fill_null(False)
    bad_offset = has_offset & ((within_hour >= 60) | (minutes > MAX_UTC_OFFSET_MINUTES))
    shift = pl.when(has_offset).then(sign * minutes).otherwise(0)
    utc = (naive - pl.duration(minutes=shift)).dt.replace_time_zone("UTC")
    return (
        pl.when(bad_offset).then(None).otherwise(utc),
        zone.is_null() & naive.is_not_null(),
        bad_offset.fill_null(False),
    )


def _fast_timestamp(raw: pl.LazyFrame, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """``ts`` as UTC by the one parser that fits this file, and the no-zone flag.

    Values this parser misses come out null and are retried with :func:`iso_timestamp`.
    """
    col = pl.col("ts")
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return col.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"), col.is_not_null()
        return col.dt.convert_time_zone("UTC").cast(pl.Datetime("us", "UTC")), pl.lit(False)
    if isinstance(dtype, pl.Date):
        # No hour to stand on: the full parser's pass names each row a date without a time.
        return pl.lit(None, pl.Datetime("us", "UTC")), pl.lit(False)
    text = _as_text("ts", dtype).str.strip_chars()
    sample = raw.select(text.alias("ts")).drop_nulls().head(1000).collect().get_column("ts")

    def parsed(fmt: str, naive: bool) -> pl.Expr:
        if naive:
            return text.str.strptime(pl.Datetime("us"), fmt, strict=False).dt.replace_time_zone(
                "UTC"
            )
        stamp = text.str.to_datetime(fmt, time_unit="us", time_zone="UTC", strict=False)
        # chrono reads offsets up to ±23:59; one past ±14:00 goes to the full parser, which
        # quarantines it under UTC_OFFSET_RULE rather than shift the row by up to a day.
        return pl.when(text.str.contains(_OFFSET_PAST_14)).then(None).otherwise(stamp)

    def hits(fmt: str, naive: bool) -> int:
        frame = pl.DataFrame({"ts": sample})
        return int(frame.select(parsed(fmt, naive).is_not_null().sum()).item())

    fmt, naive = max(_TS_FORMATS, key=lambda f: hits(*f)) if sample.len() else _TS_FORMATS[0]
    return parsed(fmt, naive), pl.lit(naive) & text.is_not_null()


# How a file without queued demand is told to write it: an inference export without a queue
# (a column missing, or blank on every row) read the rule alone.
_QUEUE_HINT = (
    f" Queued demand is 'gpus_queued' (mean GPUs waiting), or {QUEUED_GPU_HOURS!r} beside "
    f"{GPU_HOURS!r}; write 0 where nothing waits: demand is served + queued, and a missing "
    "queue is not read as zero."
)


def _missing_columns_message(path: str, found: Sequence[str], need: Sequence[str]) -> str:
    # Imported here: only a file that fails pays for loading the contract book's module, so a
    # one-row ingest still answers at once.
    from forecasting.contracts import REQUIRED_FIELDS as CONTRACT_FIELDS
    from forecasting.events import REQUIRED_COLUMNS as EVENT_COLUMNS

    missing = [c for c in need if c not in found]
    hint = ""
    if (below := _header_below(path, need)) is not None:
        line, first = below
        hint = (
            f" The header is on line {line}: delete the {line - 1} line(s) above it (line 1 "
            f"reads {first!r}: a title, or Excel's 'sep=' line)."
        )
    elif delimiter_hint(list(found)):
        hint = delimiter_hint(list(found))
    elif (trace := trace_format_of(found)) is not None:
        hint = f" It looks like the {trace} trace: ingest it with `--format {trace}`."
    elif set(EVENT_COLUMNS) <= set(found):
        hint = f" It looks like an event calendar: load it with `fleetcast events {path}`."
    elif set(CONTRACT_FIELDS) <= set(found):
        hint = f" It looks like a contract book: load it with `fleetcast contracts {path}`."
    # "Workload Class" for workload_class: the name to write, where the file has it.
    renamed = column_name_hint(
        list(found), [*need, GPU_HOURS, QUEUED_GPU_HOURS, *TELEMETRY_OPTIONAL]
    )
    hint += renamed
    if (
        "gpus_queued" in missing
        and not delimiter_hint(list(found))
        and "'gpus_queued'" not in renamed
    ):
        # An inference export without a queue read the missing column and nothing else; a
        # header of one column (another delimiter) or a queue column spelt with spaces has
        # its queue all the same.
        hint += _QUEUE_HINT
    return (
        f"{path}: missing required column(s) {missing}. Expected {list(need)} "
        f"(or {GPU_HOURS!r} instead of 'gpus_running'); found {list(found)}.{hint}"
    )


def _header_below(path: str, need: Sequence[str]) -> tuple[int, str] | None:
    """(line, first line) where a CSV file's header sits below line 1, among its first 10
    lines; None for another file, or where no line names every column in ``need``.

    A title line or Excel's "sep=," line above the header read as the header, and the file
    failed with "found ['sep=']", as if its columns were misnamed.
    """
    if not path.lower().endswith((".csv", ".csv.gz")):
        return None
    opener = gzip.open if path.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:
            lines = list(islice(csv.reader(fh), 10))
    except (OSError, EOFError, csv.Error):
        return None
    for number, fields in enumerate(lines[1:], start=2):
        if set(need) <= {f.strip().lower() for f in fields}:
            return number, ",".join(lines[0])
    return None


def _with_contract_names(raw: pl.LazyFrame) -> pl.LazyFrame:
    """``raw`` with each column named like a contract column but for case or spaces renamed
    to it; a column already spelt exactly keeps its name and the variant stays an extra."""
    names = [c for c in raw.collect_schema().names() if not c.startswith("__")]
    renames: dict[str, str] = {}
    for name in names:
        known = name.strip().lower()
        if known != name and known in _KNOWN_COLUMNS and known not in names:
            renames.setdefault(name, known)
    taken = list(renames.values())
    # Two spellings of one column ("TS" and " ts") cannot both be it: neither is renamed, and
    # the missing-column error names both as found.
    renames = {k: v for k, v in renames.items() if taken.count(v) == 1}
    return raw.rename(renames) if renames else raw


@dataclass(frozen=True, slots=True)
class Judged:
    """Rows with typed columns and a ``__bad`` flag, and the expressions naming each reason.

    The reasons are evaluated on bad rows only: naming the first broken rule costs far more
    than flagging that one was broken.
    """

    frame: pl.LazyFrame
    reasons: list[pl.Expr]


def judged_rows(raw: pl.LazyFrame, *, source: str, now: datetime) -> Judged:
    """``raw`` with a row number, typed contract columns and a flag on rows breaking a rule.

    Adds ``__row`` (1-based data row), ``__t_<column>`` typed values, ``__naive`` and
    ``__bad``; :attr:`Judged.reasons` gives ``column``/``rule``/``value`` of a bad row. Rows
    whose timestamp only the full ISO-8601 parser can read get the rule ``__retry_ts``, for
    the second pass.
    """
    raw = _with_contract_names(raw)
    schema = raw.collect_schema()
    found = [c for c in schema.names() if not c.startswith("__")]
    need = [c for c in TELEMETRY_REQUIRED if not (c == "gpus_running" and GPU_HOURS in found)]
    if "gpus_queued" not in found and QUEUED_GPU_HOURS in found:
        need.remove("gpus_queued")
    if any(c not in found for c in need):
        raise IngestFileError(_missing_columns_message(source, found, need))
    if _OVERFLOW not in schema:
        raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(_OVERFLOW))

    try:
        ts, naive = _fast_timestamp(raw, schema["ts"])
    except pl.exceptions.PolarsError as exc:  # its sample is the first read of the file
        raise _ReaderError(f"{source}: cannot read: {exc}") from exc
    source_of = {
        "gpus_running": "gpus_running" if "gpus_running" in found else GPU_HOURS,
        "gpus_queued": "gpus_queued" if "gpus_queued" in found else QUEUED_GPU_HOURS,
        **{c: c for c in TELEMETRY_OPTIONAL if c in found},
    }
    t = f"{_TYPED}"
    # Each value is parsed once into a typed column; the rules below only compare columns.
    text_keys = [c for c in TELEMETRY_KEY if c != "ts"]
    parsed = [
        ts.alias(f"{t}ts"),
        naive.alias(_NAIVE),
        *[_name(_as_text(c, schema[c])).alias(f"{t}{c}") for c in text_keys],
        *[_number(col, schema[col]).alias(f"{t}raw_{name}") for name, col in source_of.items()],
    ]
    if INTERVAL in found:
        parsed.append(_number(INTERVAL, schema[INTERVAL]).alias(f"{t}{INTERVAL}"))
    per_interval = pl.col(f"{t}{INTERVAL}") / 60.0 if INTERVAL in found else pl.lit(1.0)
    scaled = [
        (pl.col(f"{t}raw_{name}") / (per_interval if col in _UNIT_COLUMNS else 1.0)).alias(
            f"{t}{name}"
        )
        for name, col in source_of.items()
    ]
    absent = [pl.lit(None, pl.Float64).alias(f"{t}{c}") for c in _NUMERIC if c not in source_of]

    def blank(col: str) -> pl.Expr:
        if col in text_keys:
            return pl.col(f"{t}{col}").is_null() | (pl.col(f"{t}{col}") == "")
        return _blank(col, schema[col])

    checks: list[tuple[str, str, pl.Expr, pl.Expr]] = []
    nul_tail = next((c for c in schema.names() if c.startswith(_NUL_TAIL)), None)
    if nul_tail is not None:
        nuls = int(nul_tail.removeprefix(_NUL_TAIL))
        checks.append(
            (
                "(row)",
                f"the file ends in {nuls:,} NUL bytes (cut short by a crash, and padded with "
                "zeros?): the data stops in this line; copy the file again from its source",
                pl.col(nul_tail).fill_null(False),
                pl.lit(f"{nuls:,} NUL bytes"),
            )
        )
    # Rows joined at a CR meet in the header's last column ("2\r2026-..."): one column to scan.
    # A file read a line at a time (it has the raw text) ends its lines at a CR already.
    last = next((c for c in reversed(schema.names()) if not c.startswith("__")), None)
    # Rules named on bad rows only, each a narrower reading of a check that flags the row (one
    # scan per name for its control characters, not one per character kind).
    hints: list[tuple[str, str, pl.Expr, pl.Expr]] = []
    if _RAW not in schema and last is not None and schema[last] == pl.String:
        hints.append(
            (
                "(row)",
                _RULE_CR_INSIDE,
                pl.col(_OVERFLOW).eq_missing(TOO_MANY_FIELDS)
                & pl.col(last).str.contains("\r", literal=True).fill_null(False),
                pl.lit("CR inside the line"),
            )
        )
        checks += hints
    checks += [
        ("(row)", rule, pl.col(_OVERFLOW).eq_missing(failure), pl.col(_OVERFLOW))
        for failure, rule in _LINE_RULES.items()
    ]
    if _TWICE in schema:
        checks += [
            (
                c,
                f"key '{c}' written twice in one JSON line (the value shows each): which "
                "one holds cannot be told",
                pl.col(_TWICE).eq_missing(c),
                pl.col(_TWICE_VALUES),
            )
            for c in sorted(_KNOWN_COLUMNS)
        ]
    checks += [(c, "missing value", blank(c), pl.lit(None, pl.String)) for c in need]
    if _RAW in schema or any(c.startswith(_EXTRA) for c in schema.names()):
        # Only text formats can carry undecodable bytes (read as U+FFFD); Parquet is UTF-8.
        checks += [
            (
                c,
                "invalid UTF-8",
                pl.col(c).str.contains("\ufffd", literal=True).fill_null(False),
                pl.col(c),
            )
            for c in found
            if schema[c] == pl.String
        ]
    for c in text_keys:
        cell = pl.col(f"{t}{c}")
        shown = cell.str.replace_many(_CONTROL_CHARS, _CONTROL_SHOWN)
        control = cell.str.contains(r"[\x00-\x1f\x7f]").fill_null(False)
        hints += [
            (c, rule, control & cell.str.contains(char, literal=literal), shown)
            for char, rule, literal in _CONTROLS
        ]
        checks += [*hints[-len(_CONTROLS) :], (c, _CONTROL, control, shown)]
    checks.append(
        (
            "workload_class",
            f"unknown workload class (expected one of {', '.join(_CLASSES)})",
            ~pl.col(f"{t}workload_class").str.to_lowercase().is_in(_CLASSES).fill_null(False),
            pl.col(f"{t}workload_class"),
        )
    )
    if INTERVAL in found:
        interval = pl.col(f"{t}{INTERVAL}")
        # A blank or text interval is not a number, not a non-positive one ("abc" read as
        # "interval not positive", which sent the reader looking for a sign).
        checks += [
            (
                INTERVAL,
                "missing value",
                _blank(INTERVAL, schema[INTERVAL]),
                _as_text(INTERVAL, schema[INTERVAL]),
            ),
            (
                INTERVAL,
                "not a number",
                ~_blank(INTERVAL, schema[INTERVAL]) & interval.is_null(),
                _as_text(INTERVAL, schema[INTERVAL]),
            ),
            (
                INTERVAL,
                "interval not positive",
                (interval <= 0).fill_null(False) | ~interval.is_finite().fill_null(True),
                _as_text(INTERVAL, schema[INTERVAL]),
            ),
            (
                # The warehouse holds hours: a daily row (1440) stood on its first hour and
                # left the other 23 missing, so every day read missing and the region was
                # forecast as zero.
                INTERVAL,
                _RULE_LONG_INTERVAL,
                (interval > 60).fill_null(False) & interval.is_finite().fill_null(False),
                _as_text(INTERVAL, schema[INTERVAL]),
            ),
        ]
    nulled = []
    # Which shape a value that is not a number has: named on bad rows only, as the row is
    # already flagged by "not a number".
    for name, col in source_of.items():
        value = pl.col(f"{t}raw_{name}")
        present = ~_blank(col, schema[col])
        text = _as_text(col, schema[col])
        if name in TELEMETRY_OPTIONAL:
            # requests and tokens do not enter demand: a bad one is nulled (and counted in
            # the notes), since quarantining its row lost the row's GPUs with it (a polars
            # export writing NaN requests for every non-serving row lost 10,051 of 19,771).
            rule = (
                pl.when(present & value.is_null())
                .then(pl.lit("not a number"))
                .when(present & ~value.is_finite().fill_null(True))
                .then(pl.lit("not finite (NaN or infinite)"))
                .when(present & (value < 0).fill_null(False))
                .then(pl.lit("negative"))
            )
            nulled.append(rule.alias(f"{_NULLED}{name}"))
            continue
        not_a_number = present & value.is_null()
        hints += [
            (col, f"{_NOT_A_NUMBER}: {hint}", not_a_number & text.str.contains(shape), text)
            for shape, hint in _NUMBER_SHAPES
        ]
        checks += hints[-len(_NUMBER_SHAPES) :]
        checks += [
            (col, _NOT_A_NUMBER, not_a_number, text),
            (
                col,
                "not finite (NaN or infinite)",
                present & ~value.is_finite().fill_null(True),
                text,
            ),
            (col, "negative", present & (value < 0).fill_null(False), text),
        ]
        if name in ("gpus_running", "gpus_queued"):
            above = pl.col(f"{t}{name}") > MAX_GPUS_PER_ROW
            checks.append((col, _RULE_CEILING, present & above.fill_null(False), text))
    ts_text = _as_text("ts", schema["ts"])
    checks += [
        ("ts", _RETRY_TS, pl.col(f"{t}ts").is_null(), ts_text),
        ("ts", _RULE_PAST, pl.col(f"{t}ts") < pl.lit(EARLIEST_TIMESTAMP), ts_text),
        ("ts", _RULE_FUTURE, pl.col(f"{t}ts") > pl.lit(now + timedelta(days=1)), ts_text),
    ]
    hinted = {id(h) for h in hints}
    frame = (
        raw.with_row_index(_ROW, offset=1)
        .with_columns(parsed)
        .with_columns(*scaled, *absent, *nulled)
        .with_columns(
            pl.when(pl.col(f"{_NULLED}{name}").is_null())
            .then(pl.col(f"{t}{name}"))
            .alias(f"{t}{name}")
            for name in TELEMETRY_OPTIONAL
            if name in source_of
        )
        .with_columns(pl.any_horizontal(c[2] for c in checks if id(c) not in hinted).alias(_BAD))
    )
    return Judged(frame=frame, reasons=first_failure(checks))


def _good_rows(judged: pl.LazyFrame) -> pl.LazyFrame:
    return _typed_rows(judged.filter(~pl.col(_BAD)))


def _typed_rows(judged: pl.LazyFrame) -> pl.LazyFrame:
    return judged.select(
        pl.col(_ROW).cast(pl.Int64),
        *[pl.col(f"{_TYPED}{c}").alias(c) for c in TELEMETRY_SCHEMA.names()],
        pl.col(_NAIVE),
        pl.col(f"^{_NULLED}.*$"),
    ).with_columns(pl.col("workload_class").str.to_lowercase())


def _bad_rows(judged: Judged, found: Sequence[str], schema: pl.Schema) -> pl.LazyFrame:
    extra = [c for c in schema.names() if c.startswith(_EXTRA)]
    if _RAW in schema:
        raw = pl.col(_RAW)
    elif extra:
        # The fast CSV reader's row: its fields as the line wrote them, unnamed and
        # overflowing ones included.
        fields = [c for c in schema.names() if not c.startswith("__") or c.startswith(_UNNAMED)]
        raw = pl.concat_str(
            [
                pl.concat_str([_csv_field(pl.col(c)).fill_null("") for c in fields], separator=","),
                *[pl.lit(",") + _csv_field(pl.col(c)) for c in extra],
            ],
            ignore_nulls=True,
        )
    else:
        raw = pl.concat_str([_as_text(c, schema[c]).fill_null("") for c in found], separator=",")
    nul_tail = next((c for c in schema.names() if c.startswith(_NUL_TAIL)), None)
    if nul_tail is not None:
        # Kilobytes of NUL were the raw text of a file's cut last line: what precedes them.
        nuls = int(nul_tail.removeprefix(_NUL_TAIL))
        raw = (
            pl.when(pl.col(nul_tail).fill_null(False))
            .then(
                raw.str.replace_all("\x00", "", literal=True).str.strip_chars_end(",")
                + pl.lit(f"<then {nuls:,} NUL bytes>")
            )
            .otherwise(raw)
        )
    # Typed values ride along so a row rejected only for its timestamp's shape can be
    # recovered without reading the file again.
    return (
        judged.frame.filter(pl.col(_BAD))
        .with_columns(judged.reasons)
        .with_columns(raw.alias("raw"))
        .select(
            pl.col(_ROW).cast(pl.Int64),
            "column",
            "rule",
            _line_value(pl.col("value"), pl.col("raw")).alias("value"),
            "raw",
            pl.col(f"^{_TYPED}.*$"),
            pl.col(_NAIVE),
            pl.col(f"^{_NULLED}.*$"),
        )
    )


# A line shown as a quarantined row's value is cut here: the `raw` column keeps it whole.
LINE_SHOWN = 200


def _line_value(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """A row refused as a line (too many fields, broken quoting, not a JSON object) shows the
    line as its value, cut at LINE_SHOWN characters with its length said: its value read "too
    many fields", the rule's own words, and a reader could neither find the row nor fix it.
    Other values stay as the checks quoted them."""
    tokens = [k for k in _LINE_RULES if k != _BLANK_LINE]
    long = raw.str.len_chars() > LINE_SHOWN
    cut = pl.concat_str(
        raw.str.slice(0, LINE_SHOWN),
        pl.lit(f"... (truncated: the first {LINE_SHOWN} of "),
        raw.str.len_chars().cast(pl.String),
        pl.lit(" characters)"),
    )
    shown = pl.when(long).then(cut).otherwise(raw)
    return (
        pl.when(value.is_in(tokens) & (raw.str.strip_chars() != "").fill_null(False))
        .then(shown)
        .otherwise(value)
    )


def _recover_timestamps(bad: Path, *, now: datetime) -> pl.DataFrame:
    """Rewrite ``bad`` without the rows the full ISO-8601 parser reads; return those rows."""
    rejected = pl.read_parquet(bad)
    ts, naive, bad_offset = iso_timestamp(pl.col("value"))
    retry = pl.col("rule") == _RETRY_TS
    judged = rejected.with_columns(
        pl.when(retry).then(ts).otherwise(pl.col(f"{_TYPED}ts")).alias(f"{_TYPED}ts"),
        pl.when(retry).then(naive).otherwise(pl.col(_NAIVE)).alias(_NAIVE),
    ).with_columns(
        pl.when(retry & bad_offset)
        .then(pl.lit(UTC_OFFSET_RULE))
        .when(retry & pl.col(f"{_TYPED}ts").is_null())
        .then(
            # "1740790800" read only "not ISO-8601 (YYYY-MM-DD...)", which does not say what
            # the number is.
            pl.when(pl.col("value").str.strip_chars().str.contains(r"^\d+(?:\.\d+)?$"))
            .then(pl.lit(_RULE_TS_NUMBER))
            .when(
                pl.col("value").str.strip_chars().str.contains(_DAY_SHAPE)
                & pl.col("value")
                .str.strip_chars()
                .str.slice(0, 10)
                .str.to_date("%Y-%m-%d", strict=False)
                .is_null()
            )
            .then(pl.lit(_RULE_TS_NO_DAY))
            .otherwise(pl.lit(_RULE_TS))
        )
        .when(retry & (pl.col(f"{_TYPED}ts") < pl.lit(EARLIEST_TIMESTAMP)))
        .then(pl.lit(_RULE_PAST))
        .when(retry & (pl.col(f"{_TYPED}ts") > pl.lit(now + timedelta(days=1))))
        .then(pl.lit(_RULE_FUTURE))
        .when(retry & pl.col("value").str.strip_chars().str.contains(_DATE_ONLY))
        .then(pl.lit(_RULE_DATE_ONLY))
        .when(retry)
        .then(pl.lit(None, pl.String))
        .otherwise(pl.col("rule"))
        .alias("rule")
    )
    judged.filter(pl.col("rule").is_not_null()).write_parquet(bad)
    return _typed_rows(judged.lazy().filter(pl.col("rule").is_null())).collect()


def stage_rows(
    raw: pl.LazyFrame, *, source: str, folder: Path, now: datetime | None = None
) -> Staged:
    """Judge every row of ``raw`` and stream good and bad rows to Parquet files in ``folder``."""
    now = now or datetime.now(UTC)
    raw = _with_contract_names(raw)
    schema = raw.collect_schema()
    found = [c for c in schema.names() if not c.startswith("__")]
    judged = judged_rows(raw, source=source, now=now)
    good, bad = folder / "good.parquet", folder / "bad.parquet"
    try:
        pl.collect_all(
            [
                _good_rows(judged.frame).sink_parquet(good, lazy=True),
                _bad_rows(judged, found, schema).sink_parquet(bad, lazy=True),
            ],
            engine="streaming",
        )
    except pl.exceptions.PolarsError as exc:
        raise _ReaderError(f"{source}: cannot read: {exc}") from exc
    blank_lines = _without_blank_lines(bad)
    goods = [good]
    retries = (
        pl.scan_parquet(bad).filter(pl.col("rule") == _RETRY_TS).select(pl.len()).collect().item()
    )
    if retries:
        # Second pass, over rejected rows only: timestamps of a shape the fast parser missed.
        recovered = folder / "good-recovered.parquet"
        _recover_timestamps(bad, now=now).write_parquet(recovered)
        goods.append(recovered)
    if GPU_HOURS in found and "gpus_running" not in found and INTERVAL not in found:
        _refuse_overlapping_hours(goods, source=source)
    extra_columns = tuple(c for c in found if c not in _KNOWN_COLUMNS)
    return Staged(
        good=tuple(goods),
        bad=bad,
        extra_columns=extra_columns,
        unnamed_columns=sum(c.startswith(_UNNAMED) for c in schema.names()),
        shadowed=tuple(
            (hours, mean)
            for hours, mean in ((GPU_HOURS, "gpus_running"), (QUEUED_GPU_HOURS, "gpus_queued"))
            if hours in found and mean in found
        ),
        blank_lines=blank_lines,
        nulled=_nulled_cells(goods),
    )


@dataclass(frozen=True, slots=True)
class Refused:
    """Source rows of a trace that its adapter refused (``forecasting.traces.REFUSED_SCHEMA``),
    and how many data rows the file holds: the hourly rows the adapter built are numbered after
    them in the quarantine, so a refused hourly row's number never names a line of the file."""

    rows: pl.DataFrame
    source_rows: int


def _with_refused(bad: Path, refused: Refused) -> None:
    """Rewrite ``bad`` (the hourly rows a trace's adapter built that broke a rule) with their
    rows numbered after the file's, and the source rows the adapter refused added."""
    hourly = pl.read_parquet(bad)
    if not hourly.height and not refused.rows.height:
        return
    pl.concat(
        [
            hourly.with_columns(pl.col(_ROW) + refused.source_rows),
            refused.rows.select(
                pl.col("row").cast(pl.Int64).alias(_ROW), "column", "rule", "value", "raw"
            ),
        ],
        how="diagonal_relaxed",
    ).write_parquet(bad)


def _refuse_overlapping_hours(goods: Sequence[Path], *, source: str) -> None:
    """Refuse a file of GPU-hours without ``interval_minutes`` whose rows of one series are
    less than an hour apart.

    Each row then stands for 60 minutes, so two rows 15 minutes apart would describe
    overlapping hours, which cannot be: they are 15-minute rows, and read as hourly ones their
    demand loads at a quarter of the truth (eu-west batch 605 GPUs against 2,419), silently.
    """
    series = [c for c in TELEMETRY_KEY if c != "ts"]
    gap = pl.col("ts").diff().over(series, order_by="ts")
    close = (
        pl.scan_parquet(list(goods))
        .select(*series, "ts", _ROW)
        .with_columns(
            gap.alias("gap"), pl.col(_ROW).shift().over(series, order_by="ts").alias("prev")
        )
        .filter((pl.col("gap") > timedelta(0)) & (pl.col("gap") < timedelta(hours=1)))
        .sort("gap", _ROW)
        .select(pl.len().alias("pairs"), pl.all().first())
        .collect()
    )
    if not close["pairs"][0]:
        return
    minutes = close["gap"][0].total_seconds() / 60
    raise IngestFileError(
        f"{source}: rows {close['prev'][0]:,} and {close[_ROW][0]:,} of one series are "
        f"{minutes:g} minutes apart ({close['pairs'][0]:,} such pairs), but the file has no "
        f"{INTERVAL} column, so each {GPU_HOURS} value would be read as 60 minutes and demand "
        f"would load at {minutes / 60:.0%} of the truth: add an {INTERVAL} column ({minutes:g} "
        "for these rows) and ingest it again"
    )


def _nulled_cells(goods: Sequence[Path]) -> tuple[NulledCells, ...]:
    """Per optional column and rule, the cells of good rows nulled for breaking it."""
    frame = pl.scan_parquet(list(goods))
    found = []
    for name in TELEMETRY_OPTIONAL:
        if f"{_NULLED}{name}" not in frame.collect_schema():
            continue
        counts = (
            frame.filter(pl.col(f"{_NULLED}{name}").is_not_null())
            .group_by(pl.col(f"{_NULLED}{name}").alias("rule"))
            .agg(pl.len().alias("cells"), pl.col(_ROW).min().alias("first"))
            .sort("rule")
            .collect()
        )
        found += [
            NulledCells(column=name, rule=r["rule"], cells=r["cells"], first_row=r["first"])
            for r in counts.iter_rows(named=True)
        ]
    return tuple(found)


def _without_blank_lines(bad: Path) -> int:
    """Rewrite ``bad`` without its blank lines; return how many there were.

    A blank line holds no row, so it is skipped as the JSON Lines reader skips one: an export
    ending in an empty line was quarantined a "row" and failed `ingest --strict`.
    """
    blank = pl.col("rule") == _LINE_RULES[_BLANK_LINE]
    count = pl.scan_parquet(bad).filter(blank).select(pl.len()).collect().item()
    if count:
        pl.read_parquet(bad).filter(~blank).write_parquet(bad)
    return int(count)


# --- loading -----------------------------------------------------------------------------------


def ingest_frame(
    warehouse: Warehouse,
    raw: pl.LazyFrame,
    *,
    path: Path,
    sha256: str,
    file_format: str,
    now: datetime | None = None,
    lines: int | None = None,
    reload: Reload | None = None,
    plan: Plan | None = None,
    refused: Refused | None = None,
    outages: pl.DataFrame | None = None,
) -> IngestResult:
    """Judge the rows of ``path`` (scanned into ``raw``) and load them in one transaction;
    ``lines``, where given, is how many rows the reader must have found; ``reload``, where
    given, is the earlier load of the same content that a later version replaced; ``plan``,
    where given, the capacity plan whose regions the good rows' are checked against;
    ``refused``, where given, the source rows a trace adapter refused before ``raw`` was
    built, quarantined with the rows ``raw`` breaks; ``outages``, where given, the outage
    windows the adapter found (:meth:`forecasting.traces.TraceReport.outage_rows`), stored
    with the load."""
    started = datetime.now(UTC)
    spelled_before = _case_variants(warehouse)
    with tempfile.TemporaryDirectory(prefix="fleetcast-stage-", dir=_stage_root(warehouse)) as tmp:
        staged = stage_rows(raw, source=str(path), folder=Path(tmp), now=now)
        if refused is not None:
            _with_refused(staged.bad, refused)
        read = sum(
            pl.scan_parquet(f).select(pl.len()).collect().item() for f in (*staged.good, staged.bad)
        )
        warnings = (
            ()
            if plan is None
            else (
                *_unplanned_region_warnings(staged.good, path, plan),
                *_beyond_plan_warnings(staged.good, path, plan),
            )
        ) + _stray_row_warnings(staged.good, path, warehouse)
        if lines is not None and read + staged.blank_lines != lines:
            # A quote opened on one line and closed lines later reads as one row: the lines
            # between would be lost without a trace (six lines, a quote opened on the second
            # and closed on the fourth, read as four rows).
            raise _ReaderError(f"{path}: {read:,} rows read from {lines:,} lines")
        loaded = warehouse.load_staged(
            ingest_id=uuid.uuid4().hex,
            sha256=sha256,
            path=str(path),
            file_format=file_format,
            good=staged.good,
            bad=staged.bad,
            extra_columns=staged.extra_columns,
            started_at=started,
            replaces=None if reload is None else reload.earlier.ingest_id,
            outages=outages,
        )
    entry = loaded.entry
    notes = [] if reload is None else [reload.note()]
    # Rows the warehouse already held with the same values are duplicates too (the overlap
    # notes name who stored them): the rest of the deduplicated are the file's own repeats.
    repeats = entry.deduplicated - sum(o.identical for o in loaded.overlaps)
    if repeats:
        # "dedup 199" alone, beside "replaced 199", left a reader to guess what was dropped.
        notes.append(
            f"{repeats:,} of {entry.rows_read:,} rows were exact repeats of other "
            "rows in the file (same series, hour and values): each loaded once"
        )
    notes += _overlap_notes(loaded.overlaps)
    if loaded.dropped.rows:
        notes.append(
            f"dropped {loaded.dropped.rows:,} row(s) of earlier content of this path inside "
            f"the period this version covers ({_period(loaded.dropped)}), under keys this version "
            f"no longer holds ({_some_keys(loaded.dropped)}): this version replaces it there"
        )
    if loaded.kept.rows:
        notes.append(
            f"kept {loaded.kept.rows:,} row(s) of earlier content of this path inside the period "
            f"this version covers ({_period(loaded.kept)}), under keys this version lacks "
            f"({_some_keys(loaded.kept)}): it has quarantined rows, which may be those keys; fix "
            "them and reload the file to replace the old rows"
        )
    if loaded.superseded:
        notes.append(
            f"dropped {loaded.superseded:,} quarantine row(s) of earlier content of this path: "
            "`fleetcast quarantine` shows only what is wrong in this version"
        )
    notes += _nulled_notes(staged.nulled)
    if staged.blank_lines:
        notes.append(
            f"skipped {staged.blank_lines:,} blank line(s) (not one field filled in): no row there"
        )
    if entry.rows_read == 0:
        notes.append("the file holds no data rows")
    if staged.extra_columns:
        notes.append(f"ignored extra column(s): {', '.join(staged.extra_columns)}")
    notes += [
        f"ignored {hours}: the file also has {mean}, which is used"
        for hours, mean in staged.shadowed
    ]
    if staged.unnamed_columns:
        notes.append(
            f"ignored {staged.unnamed_columns:,} unnamed column(s) (the header leaves them "
            "empty: a spreadsheet's trailing commas?)"
        )
    if entry.naive_timestamps:
        notes.append(f"{entry.naive_timestamps:,} timestamp(s) {NO_ZONE_RULE}")
    for column, names in sorted(_case_variants(warehouse) - spelled_before):
        spelled = " and ".join(repr(n) for n in names)
        notes.append(
            f"{column} spelled {spelled}: loaded as written, so counted apart; if they are one "
            f"{column}, fix the export and reload the file"
        )
    quarantined = quarantined_row_lines(warehouse, entry) if entry.quarantined else ()
    all_bad = nothing_good(entry, warehouse=warehouse, trace=refused)
    if all_bad is not None:
        # Its quarantined rows stay stored, so `fleetcast quarantine` shows each row's rule.
        return IngestResult(path=path, status="failed", entry=entry, message=all_bad)
    return IngestResult(
        path=path,
        status="loaded",
        entry=entry,
        notes=tuple(notes),
        changed_from_other_files=sum(
            o.changed for o in loaded.overlaps if o.path is None or o.path != str(path)
        ),
        warnings=warnings,
        unchanged=sum(o.identical for o in loaded.overlaps),
        quarantined_rows=quarantined,
    )


@dataclass(frozen=True, slots=True)
class Plan:
    """What ingest checks telemetry against: the capacity plan's name and its regions (those
    with a block or a site)."""

    name: str
    regions: frozenset[str]
    # GPUs of every block the plan has in each region, whatever its dates: no hour of a
    # region's telemetry runs more (regions with no block are left out).
    region_gpus: Mapping[str, int] = field(default_factory=dict)


def _beyond_plan_warnings(goods: Sequence[Path], path: Path, plan: Plan) -> tuple[str, ...]:
    """One line per region whose good rows include one running more GPUs than every block of
    ``plan`` there holds: its rows, the first of them and its value. Loaded all the same (a
    plan may lag what a region runs), but one row of 500,000 GPUs in a region of 18,000 (a
    unit or typo error) loaded without a word and became a forecast customer."""
    if not plan.region_gpus:
        return ()
    limits = pl.DataFrame(
        {"region": list(plan.region_gpus), "limit": list(plan.region_gpus.values())},
        schema={"region": pl.String, "limit": pl.Float64},
    )
    over = (
        pl.scan_parquet(list(goods))
        .join(limits.lazy(), on="region")
        .filter(pl.col("gpus_running") > pl.col("limit"))
        .group_by("region")
        .agg(
            pl.len().alias("rows"),
            pl.col(_ROW).min().alias("first"),
            pl.col("gpus_running").sort_by(_ROW).first().alias("value"),
            pl.col("limit").first(),
        )
        .sort("region")
        .collect()
    )
    return tuple(
        f"{path}: {'1 row' if rows == 1 else f'{rows:,} rows'} in region {region!r} "
        f"{'runs' if rows == 1 else 'run'} more GPUs than every [[block]] of {plan.name} there "
        f"holds ({limit:,.0f}): the first at row "
        f"{first:,}, column gpus_running, {value:,.0f}. Loaded as written (the forecast holds an "
        "isolated day as a spike; a plan may lag what a region runs); if it is a unit or typo "
        "error, fix the export and ingest it again"
        for region, rows, first, value, limit in over.iter_rows()
    )


def _stray_row_warnings(goods: Sequence[Path], path: Path, warehouse: Warehouse) -> tuple[str, ...]:
    """One line per region whose good rows include stray leading rows (``demand.STRAY_RUN``,
    ``demand.STRAY_GAP``), judged with the region's stored rows: their count, the first of
    them, its stamp and the region's first day otherwise. Loaded all the same, but one row
    stamped 2026-01-01 in a region reporting from 2026-08-07 loaded without a word, and
    `demand` read 5,234 outage hours before the region's first day."""
    from forecasting.demand import STRAY_GAP, reporting_starts

    if not goods:
        return ()
    rows = pl.scan_parquet(list(goods)).select(_ROW, "region", "ts").collect()
    rows = rows.filter(~pl.col("region").is_in(_regions_continued(rows, warehouse)))
    if rows.is_empty():
        return ()
    stored = warehouse.query(
        "SELECT DISTINCT region, ts FROM telemetry WHERE list_contains(?, region)",
        [rows["region"].unique().to_list()],
    )
    hours = pl.concat(
        [rows.select("region", "ts"), stored.select("region", pl.col("ts").cast(rows["ts"].dtype))]
    )
    starts = reporting_starts(hours)
    early = (
        rows.join(starts, on="region")
        .filter(pl.col("ts") < pl.col("start"))
        .group_by("region")
        .agg(
            pl.len().alias("rows"),
            pl.col(_ROW).min().alias("first"),
            pl.col("ts").sort_by(_ROW).first().alias("value"),
            pl.col("start").first(),
        )
        .sort("region")
    )
    weeks = STRAY_GAP.days // 7
    return tuple(
        f"{path}: {'1 row' if n == 1 else f'{n:,} rows'} in region {region!r} stamped {weeks} "
        f"weeks or more before the region's first day otherwise ({start:%Y-%m-%d}): "
        f"{'row' if n == 1 else 'the first at row'} {first:,}, column ts, "
        f"{value:%Y-%m-%dT%H:%M:%SZ}. Loaded as written, not read as history (the region's "
        "daily demand and outages start on its first day otherwise); if the stamp is wrong, "
        "fix the export and ingest it again"
        for region, n, first, value, start in early.iter_rows()
    )


def _regions_continued(rows: pl.DataFrame, warehouse: Warehouse) -> list[str]:
    """Regions of ``rows`` (region, ts) whose rows only continue the region's stored telemetry:
    none before its last stored hour, none ``demand.STRAY_GAP`` or more after it or after each
    other. They all join the region's last run of hours, which is never stray, so no row of
    theirs can be: the stray check's read of every stored hour (0.23-0.37 s a file on the demo,
    growing with the warehouse) is skipped for them, the common case of a feed's next file."""
    from forecasting.demand import STRAY_GAP

    stored = warehouse.query(
        "SELECT region, max(ts) AS stored_last FROM telemetry WHERE list_contains(?, region) "
        "GROUP BY region",
        [rows["region"].unique().to_list()],
    )
    if stored.is_empty():
        return []
    spans = (
        rows.lazy()
        .select("region", "ts")
        .unique()
        .sort("region", "ts")
        .group_by("region")
        .agg(
            pl.col("ts").min().alias("first"),
            pl.col("ts").diff().max().fill_null(timedelta(0)).alias("widest_gap"),
        )
        .join(
            stored.lazy().with_columns(pl.col("stored_last").cast(rows["ts"].dtype)),
            on="region",
        )
        .filter(
            (pl.col("first") >= pl.col("stored_last"))
            & (pl.col("first") - pl.col("stored_last") < STRAY_GAP)
            & (pl.col("widest_gap") < STRAY_GAP)
        )
        .collect()
    )
    return spans["region"].to_list()


def _unplanned_region_warnings(goods: Sequence[Path], path: Path, plan: Plan) -> tuple[str, ...]:
    """One line per region of the good rows that ``plan`` lacks, with its rows and the plan's
    region it is nearest to. Loaded all the same (a plan may lag a new region), but a typo
    ('servegn' for 'servegen') loaded 168 rows as a region of its own without a word."""
    counts = (
        pl.scan_parquet(list(goods))
        .filter(~pl.col("region").is_in(sorted(plan.regions)))
        .group_by("region")
        .agg(pl.len().alias("rows"))
        .sort("region")
        .collect()
    )
    known = sorted(plan.regions)
    by_lower = {r.lower(): r for r in known}
    lines = []
    for region, rows in counts.iter_rows():
        # 0.8, as for customers and contracts: a typo, not a shared prefix.
        near = by_lower.get(region.lower()) or next(
            iter(difflib.get_close_matches(region, known, n=1, cutoff=0.8)), None
        )
        hint = f"; did you mean {near!r}?" if near else "."
        counted = "1 row" if rows == 1 else f"{rows:,} rows"
        lines.append(
            f"{path}: region {region!r} ({counted}) is in no [[block]] or [[site]] of "
            f"{plan.name} (its regions: {', '.join(known) or 'none'}){hint} Loaded as written: "
            "the forecast and the triggers read zero capacity there until the plan has it; if "
            "the name is a typo, fix the export and ingest it again"
        )
    return tuple(lines)


def _period(replaced: Replaced) -> str:
    return f"{replaced.start:%Y-%m-%d %H:%M} to {replaced.end:%Y-%m-%d %H:%M} UTC"


def _some_keys(replaced: Replaced) -> str:
    """The first three region/class/customer keys, and how many more."""
    shown = ", ".join(replaced.keys[:3])
    more = len(replaced.keys) - 3
    return shown + (f" and {more:,} more" if more > 0 else "")


# What to write instead, for the rules whose stored text names no fix: the stored rule stays
# as `fleetcast quarantine` and its readers know it, and ingest's own lines add the fix.
_FIXES = {
    "negative": "a GPU count is 0 or more: export the measured value (a sign or unit error?)",
    "not finite (NaN or infinite)": "write the measured number, or leave the row out where "
    "nothing was measured (an hour without rows is a gap, not zero)",
    "missing value": "write the value, 0 where nothing ran or waited",
    _NOT_A_NUMBER: "write the number in digits with a point (12.5)",
    _LINE_RULES[_HEADER_AGAIN]: "delete the line (or split the file there)",
    CONFLICT_RULE: "keep one row per series and hour (the later one loaded), or fix the export",
}


def _fix_for(rule: str, column: str | None) -> str | None:
    """What to write instead of a row breaking ``rule`` in ``column`` (None: the rule names
    its own fix). A missing customer read "write the value, 0 where nothing ran or waited":
    the zero is for a count, a name is written as the name."""
    if rule == "missing value" and column is not None and column not in _NUMERIC:
        if column == "ts":
            return "write the hour the row measured, e.g. 2025-03-01T13:00:00Z"
        return f"write the row's {column} (a row without one is counted under no {column})"
    return _FIXES.get(rule)


# Quarantined rows an ingest names one by one; the rest are counted.
_ROWS_NAMED = 3


def quarantined_row_lines(warehouse: Warehouse, entry: LedgerEntry) -> tuple[str, ...]:
    """The first rows ingest ``entry`` quarantined, one line each with its file, row, column,
    rule, value and (where the rule names none) what to write, then how many more.

    A file loaded with bad rows read "quarantined 2" alone: which rows, columns and rules took
    `fleetcast quarantine` to learn."""
    rows = warehouse.quarantine(ingest_id=entry.ingest_id)
    lines = []
    for row in rows.head(_ROWS_NAMED).iter_rows(named=True):
        value = "" if row["value"] is None else f" (value {row['value']!r})"
        fix = _fix_for(row["rule"], row["column"])
        lines.append(
            f"{entry.path}: row {row['row_number']}, column {row['column']}: {row['rule']}"
            f"{value}" + (f"; {fix}" if fix else "")
        )
    if rows.height > _ROWS_NAMED:
        lines.append(
            f"{entry.path}: {rows.height - _ROWS_NAMED:,} more row(s): `fleetcast quarantine` "
            "lists them all"
        )
    return tuple(lines)


def _overlap_notes(overlaps: Iterable[Overlap]) -> list[str]:
    """One note per earlier ingest whose keys this file stored again: how many changed value
    (a conflict the later file won, counted as replaced) and how many it repeated exactly
    (unchanged)."""
    notes = []
    for overlap in overlaps:
        source = (
            f"ingest {overlap.ingest_id[:8]} (file {overlap.path or 'no longer in the ledger'})"
        )
        # Rows stored with the same values are duplicates, not loaded: a second file of the
        # same rows read "loaded 5" beside "5 key(s) already stored ...: unchanged".
        same = (
            f"{overlap.identical:,} row{'' if overlap.identical == 1 else 's'} already in the "
            f"warehouse with the same values (stored by ingest {overlap.ingest_id[:8]}, file "
            f"{overlap.path or 'no longer in the ledger'}): skipped, not loaded again"
        )
        if overlap.changed:
            notes.append(
                f"{overlap.changed:,} key(s) changed value from {source}: the later file wins"
                + (f"; {same}" if overlap.identical else "")
            )
        else:
            notes.append(same)
    return notes


def nothing_good(
    entry: LedgerEntry, *, warehouse: Warehouse | None = None, trace: Refused | None = None
) -> str | None:
    """Why a file whose every row was refused failed, or None when it gave a good row (or had
    no data rows). Such a file is a wrong export (a typed column, a shifted header), not data
    to report as loaded. With the ``warehouse``, the message names the commonest rules with
    their counts and the first bad row: it sent the user to `fleetcast quarantine` to learn
    what one line could say.

    A trace's ledger counts the hourly rows its adapter built and the source rows it refused,
    not the file's rows: a 9-request Azure log read "none of its 4 row(s) is good". With
    ``trace`` (the adapter's refused rows and the file's data rows) the file's rows are
    counted and the hourly rows said apart; without it (a rerun), the counts say what they
    count."""
    # Rows already in the warehouse are good rows too, counted as duplicates, not loaded.
    if entry.rows_read == 0 or entry.loaded + entry.deduplicated > 0:
        return None
    said = _none_good(entry, trace=trace)
    bad = None if warehouse is None else warehouse.quarantine(ingest_id=entry.ingest_id)
    if bad is None or bad.is_empty():
        return (
            f"{said}; `fleetcast quarantine` names each row's column and rule: fix the file "
            "and ingest it again"
        )
    common = (
        bad.group_by("column", "rule")
        .agg(pl.len().alias("n"), pl.col("row_number").min().alias("first"))
        .sort(["n", "first"], descending=[True, False])
    )
    top = [f"{r['n']:,} × {r['column']}: {r['rule']}" for r in common.head(3).iter_rows(named=True)]
    more = common.height - len(top)
    first = bad.row(0, named=True)
    value = first["value"]
    shown = "" if value is None else f" {value[:60]!r}{'...' if len(value) > 60 else ''}"
    others = f"; and {more} other rule(s)" if more > 0 else ""
    blank_queue = not common.filter(
        (pl.col("column") == "gpus_queued") & (pl.col("rule") == "missing value")
    ).is_empty()
    return (
        f"{said}: {'; '.join(top)}{others}; the first at "
        f"{_quarantine_row(first['row_number'], trace=trace)} ({first['column']}{shown}: "
        f"{first['rule']}). Fix the file and ingest it again (`fleetcast quarantine` lists "
        "every row)" + ("." + _QUEUE_HINT if blank_queue else "")
    )


def _none_good(entry: LedgerEntry, *, trace: Refused | None) -> str:
    """'{path}: none of its N row(s) is good (...)', counting the file's rows."""
    if entry.file_format not in ADAPTERS:
        return (
            f"{entry.path}: none of its {entry.rows_read:,} row(s) is good "
            f"({entry.quarantined:,} quarantined)"
        )
    refused = 0 if trace is None else trace.rows.height
    hourly = entry.rows_read - refused
    built = (
        f"the {hourly:,} hourly telemetry row(s) its {entry.file_format} reader built from "
        f"{'the rest' if refused else 'them'} were all quarantined"
    )
    if trace is None or trace.source_rows < 0:
        # A rerun: the ledger holds the hourly rows, not how many rows the file has.
        return (
            f"{entry.path}: no row of the trace is good (the ledger holds {entry.rows_read:,} "
            f"hourly or refused row(s), all {entry.quarantined:,} quarantined)"
        )
    parts = [f"{refused:,} refused by the {entry.file_format} reader"] if refused else []
    if hourly:
        parts.append(built)
    return (
        f"{entry.path}: none of its {trace.source_rows:,} data row(s) is good ("
        + " and ".join(parts)
        + ")"
    )


def _quarantine_row(row: int, *, trace: Refused | None) -> str:
    """'row N', saying so when N numbers an hourly row a trace's adapter built (numbered after
    the file's rows, so it names no line: "the first at row 10" of a 9-row file)."""
    if trace is None or row <= trace.source_rows:
        return f"row {row:,}"
    if trace.source_rows < 0:
        # A rerun: the ledger does not hold how many rows the file has.
        return f"row {row:,} (a trace's hourly rows are numbered after the file's rows)"
    return (
        f"hourly row {row - trace.source_rows:,} (quarantine row {row:,}: the hourly rows are "
        f"numbered after the file's {trace.source_rows:,})"
    )


def _case_variants(warehouse: Warehouse) -> set[tuple[str, tuple[str, ...]]]:
    """(column, spellings) of every region and customer the warehouse holds in more than one
    case. Names are kept as written (a capacity plan may spell its regions either way), so a
    file that adds 'US-EAST' beside 'us-east' adds a region without capacity: its notes say so."""
    return {
        (column, tuple(names))
        for column in ("region", "customer")
        for names in warehouse.case_variants(column)
    }


@contextmanager
def _line_parts(warehouse: Warehouse) -> Iterator[Path]:
    """A folder beside the warehouse for a file read a line at a time, removed after."""
    with tempfile.TemporaryDirectory(prefix="fleetcast-lines-", dir=_stage_root(warehouse)) as tmp:
        yield Path(tmp)


def _stage_root(warehouse: Warehouse) -> Path:
    # Beside the warehouse: same disk, so staging never fills a small /tmp.
    return warehouse.path.parent


def ingest_file(
    warehouse: Warehouse,
    path: Path,
    *,
    file_format: str | None = None,
    now: datetime | None = None,
    plan: Plan | None = None,
) -> IngestResult:
    """Ingest one telemetry file; a file that cannot be read fails alone, loading nothing.

    ``file_format`` is csv, parquet or jsonl (default: from the suffix), or the name of a
    trace adapter (helios, servegen, azure-llm) whose rows then meet the same rules.
    ``plan``, where given, is the capacity plan: rows in a region it lacks load with a warning.
    """
    if file_format is not None and file_format not in FORMATS:
        raise IngestFileError(
            f"unknown format {file_format!r}; expected one of {', '.join(FORMATS)}"
        )
    # A file is known by its resolved path, as event calendars and contract books are: new
    # content at a path replaces the old, and two sites' `export.csv`, each loaded from its
    # own folder, erased each other's rows.
    path = Path(path).resolve()
    if file_format is None:
        try:
            # Before the ledger: a file of a suffix not read fails as such, whatever its bytes.
            file_format_of(path)
        except IngestFileError as exc:
            return IngestResult(path=path, status="failed", message=str(exc))
    try:
        sha256 = content_sha256(path)
    except OSError as exc:
        return IngestResult(path=path, status="failed", message=f"{path}: cannot read: {exc}")
    earlier = warehouse.ledger_entry_for(sha256)
    reload = None
    replaced_at = None
    if earlier is not None and (later := warehouse.later_version(earlier)) is not None:
        if str(path) == later.path:
            # Put back where a later version replaced it: not "already ingested". A good
            # export put back after a wrong one was skipped, and the wrong values stayed.
            reload, earlier = Reload(earlier=earlier, later=later), None
        else:
            # A copy under another name stays skipped: a stale copy lying in an inbox would
            # otherwise load on every run after a newer version and win over it.
            replaced_at = later
    # A trace's file rows are not in the ledger (-1: unknown), its hourly rows are.
    unknown = Refused(rows=pl.DataFrame(schema=REFUSED_SCHEMA), source_rows=-1)
    refused = (
        None
        if earlier is None
        else nothing_good(
            earlier,
            warehouse=warehouse,
            trace=unknown if earlier.file_format in ADAPTERS else None,
        )
    )
    if refused is not None:
        # A rerun answers as the first run did: the file is still wrong, whatever the ledger.
        return IngestResult(path=path, status="failed", entry=earlier, message=refused)
    if earlier is not None:
        recorded = (
            "" if replaced_at is not None else _outages_recorded_now(warehouse, earlier, path)
        )
        return IngestResult(
            path=path,
            status="skipped",
            entry=earlier,
            quarantine_standing=warehouse.quarantine(ingest_id=earlier.ingest_id).height,
            message=(
                # "unchanged" first: a rerun of the same file is a no-op, and says so.
                f"unchanged: already ingested (same content as {earlier.path}, ingest "
                f"{earlier.ingest_id[:8]})"
                + (
                    ""
                    if replaced_at is None
                    else f", though a later version of that file (ingest "
                    f"{replaced_at.ingest_id[:8]}) replaced its rows since: to restore this "
                    f"content, put it back at {replaced_at.path}"
                )
                + recorded
            ),
        )
    try:
        if file_format in ADAPTERS:
            return _ingest_trace(
                warehouse,
                path,
                adapter=file_format,
                sha256=sha256,
                now=now,
                reload=reload,
                plan=plan,
            )
        fmt = file_format_of(path) if file_format is None else file_format
        load = partial(
            ingest_frame,
            warehouse,
            path=path,
            sha256=sha256,
            file_format=fmt,
            now=now,
            reload=reload,
            plan=plan,
        )
        if fmt == "parquet":
            return load(scan_raw(path, file_format="parquet"))
        if fmt == "jsonl":
            with _line_parts(warehouse) as folder:
                return load(scan_raw(path, file_format="jsonl", folder=folder))
        _check_readable(path)
        records = _csv_records(path, header=_csv_header(path))
        try:
            if not records.well_formed:
                raise _ReaderError(f"{path}: a quote never closes, or makes a row of lines")
            return load(_scan_csv(path, records), lines=records.count)
        except _ReaderError:
            # A malformed line made the fast reader refuse the file, or merge lines: read it
            # a line at a time, so that line is quarantined and the rest judged as usual.
            with _line_parts(warehouse) as folder:
                return load(_csv_by_line(path, folder))
    except (IngestFileError, TraceFormatError) as exc:
        return IngestResult(path=path, status="failed", message=str(exc))


def _outages_recorded_now(warehouse: Warehouse, earlier: LedgerEntry, path: Path) -> str:
    """Where ``earlier`` ingested a trace before migration 43, which kept none of the outage
    windows its adapter found, those of the same content at ``path``, stored with it now, in
    words for the skip message; "" where they were recorded (or the file is no trace). A run
    over such a file said "not known", and ingesting it again only said "already ingested"."""
    known = warehouse.adapter_outages_recorded(earlier.ingest_id)
    if earlier.file_format not in OUTAGE_FINDERS or known:
        return ""
    found = ADAPTERS[earlier.file_format].report(path).outage_rows()
    warehouse.record_adapter_outages(earlier.ingest_id, earlier.path, found)
    return (
        f"; recorded the {found.height:,} outage window(s) its {earlier.file_format} adapter "
        "found in it, which its ingest before migration 43 did not keep"
    )


def _cut_gzip_hint(path: Path) -> str:
    """Why a gzip file cannot be read to its end, and the fix; empty for another file."""
    try:
        with path.open("rb") as raw:
            compressed = is_gzip(raw.read(len(GZIP_MAGIC)))
    except OSError:
        return ""
    if not compressed:
        return ""
    return (
        " (the gzip stream is cut short or damaged, as an interrupted download or copy leaves "
        "it: fetch or copy the file again; `gzip -t FILE` checks it)"
    )


def _ingest_trace(
    warehouse: Warehouse,
    path: Path,
    *,
    adapter: str,
    sha256: str,
    now: datetime | None,
    reload: Reload | None,
    plan: Plan | None = None,
) -> IngestResult:
    """A public trace through its adapter, then the same rules as any telemetry file."""
    trace = ADAPTERS[adapter]
    try:
        rows, report = trace.read(path)
        # Before the load: the rows the adapter refused are quarantined with it.
        found = report()
        result = ingest_frame(
            warehouse,
            rows,
            path=path,
            sha256=sha256,
            file_format=adapter,
            now=now,
            reload=reload,
            plan=plan,
            refused=Refused(rows=found.refused, source_rows=found.rows_read + found.refused.height),
            # Stored, not only counted in the summary: a forecast says which hours they were.
            outages=found.outage_rows(),
        )
    except (_ReaderError, pl.exceptions.PolarsError) as exc:
        # The typed read names no row; a second read as text does, when a value is the cause.
        named = trace.unparsable(path)
        if named is not None:
            raise named from exc
        if isinstance(exc, _ReaderError):
            raise
        raise IngestFileError(f"{path}: cannot read: {exc}") from exc
    except (OSError, EOFError) as exc:
        # polars' gzip reader met the end of a cut file: that was a traceback.
        raise TraceFormatError(
            f"{path}: cannot read: {exc}{_cut_gzip_hint(path)}; nothing of the file was loaded"
        ) from exc
    return IngestResult(
        path=result.path,
        status=result.status,
        entry=result.entry,
        message=result.message,
        notes=(
            *result.notes,
            *_hours_replaced(result.changed_from_other_files),
            *_too_short_for_a_day(found),
            found.summary(),
        ),
        changed_from_other_files=result.changed_from_other_files,
        warnings=result.warnings,
        unchanged=result.unchanged,
        quarantined_rows=result.quarantined_rows,
        source_rows=found.rows_read + found.refused.height,
        hourly_rows=result.entry.rows_read - found.refused.height if result.entry else None,
    )


def _hours_replaced(changed: int) -> tuple[str, ...]:
    """The note of a trace file whose hours replaced another file's: the Azure code log split
    at 18:30 loaded hour 18:00 from the second file alone (5,751 of 7,717 requests), and only
    "1 key(s) changed value ... the later file wins" said anything."""
    if not changed:
        return ()
    return (
        f"{changed:,} hour(s) of this file replaced another file's rows for the same hour and "
        "key: a trace's hours are made of one file's rows, so where two files each hold part "
        "of an hour (a log split mid-hour), the later file's part replaced the earlier's "
        "instead of adding to it, and what the earlier held of it is not counted; if the "
        "files are parts of one trace, join the files into one and ingest that",
    )


def _too_short_for_a_day(found: TraceReport) -> tuple[str, ...]:
    """The note of a trace whose hours cannot make one day of demand: the 58-minute Azure log
    loaded as "loaded 2" and only `demand` said "n/a, missing days 1" later. A file short of
    MIN_HOURS_PER_DAY hours is sure to be; one longer but gappy is left to `demand`."""
    from forecasting.demand import MIN_HOURS_PER_DAY

    if not found.hours or found.hours >= MIN_HOURS_PER_DAY:
        return ()
    return (
        f"{found.source}: {found.hours} hour(s) of telemetry, where a day of demand needs "
        f"{MIN_HOURS_PER_DAY} reported hours: this file alone can never make a day, so its "
        "series read no measured demand (forecast as zero, not verified) unless other files "
        "fill the same days",
    )
