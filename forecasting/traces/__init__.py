"""Adapters from public GPU-cluster and LLM-serving traces to our telemetry schema.

Each adapter reads one published trace (see ``/work/shared/data/SOURCES.md`` for provenance and
citations) and returns a polars ``LazyFrame`` in exactly ``schema.TELEMETRY_SCHEMA``: hourly UTC
rows keyed by region, cluster, workload class, customer and GPU type. Ingest then validates these
rows with the same rules as any telemetry file, so an adapter never filters what ingest would
quarantine; it only translates.

Every adapter is registered in :data:`ADAPTERS` by its name and has three parts:

* a frozen, keyword-only options dataclass whose defaults are documented and can be changed;
* ``scan(path, *, options)``, lazy and streaming, so a full trace never sits in memory whole;
* ``report(path, *, options)``, a :class:`TraceReport` of what the adapter found in the file
  (outage minutes dropped, gaps in the time grid, rows of zero demand, values it could not map),
  so the ingest summary can say what was found. It re-reads the file with a cheap aggregate;
  ``read(path, *, options)`` gives both from one pass, as ingest uses them (an Azure log and a
  ServeGen file are summed to their hours once, Helios minutes parsed once, and both built
  from that).

Every adapter reads CSV with an explicit schema (never sniffed) and checks the header first: a
file that is not the expected trace raises :class:`TraceFormatError` naming the file, the missing
columns and the columns found. A row holding a value that does not parse as its column's type,
or a count or rate that cannot be one (empty, NaN, infinite, negative), or a row with more
fields than the header (:func:`wide_rows`), is refused alone by :func:`split_rows`: left out
of its hour (as a missing minute, window or request is) and returned in
:attr:`TraceReport.refused`, which ingest quarantines with the file, row, column and rule,
where one such row refused the whole file before. The file is read typed once, and a second
time as text only when that pass met such a row (or :func:`wide_rows`, a count of each line's
commas, found a row too wide), so a clean trace costs only that count more.
:meth:`TraceAdapter.unparsable` and :func:`rule_breaking_values` still name such rows in one
message, for a caller that reads a file whole (``scan``); ``scan`` has no quarantine to hand a
row back in, so a row too wide (or, from an Azure log, any row ``read`` refuses) refuses the
file there, named by :func:`refused_rows_error` with the rule ingest quarantines it under.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import polars as pl

from forecasting.errors import GZIP_MAGIC, is_gzip, text_misnamed
from forecasting.rules import CR_JOINED_RULE, LONE_CR_RULE
from forecasting.schema import TELEMETRY_SCHEMA
from forecasting.traces.outages import windows_calendar

__all__ = [
    "ADAPTERS",
    "ARRIVAL_FORMATS",
    "OUTAGE_FINDERS",
    "REFUSED_SCHEMA",
    "WIDE_ROW_RULE",
    "AzureLLMOptions",
    "HeliosOptions",
    "ModelProfile",
    "ServeGenOptions",
    "TraceAdapter",
    "TraceFormatError",
    "TraceReport",
    "contiguous_windows",
    "helios_capacity_toml",
    "hour_of",
    "numbered",
    "output_span",
    "placed_dates_note",
    "read_header",
    "refused_rows_error",
    "rule_breaking",
    "rule_breaking_error",
    "rule_breaking_values",
    "scan_lines_csv",
    "scan_trace_csv",
    "split_rows",
    "to_telemetry",
    "trace_format_of",
    "unparsable_values",
    "wide_rows",
]

OptionsT = TypeVar("OptionsT")


class TraceFormatError(ValueError):
    """The file is not the trace the adapter expects; the message names file and columns."""


REFUSED_SCHEMA = pl.Schema(
    {
        "row": pl.Int64(),
        "column": pl.String(),
        "rule": pl.String(),
        "value": pl.String(),
        "raw": pl.String(),
    }
)
"""A refused source row: its row (1 = the first after the header, as plain CSV ingest counts),
the column and rule it breaks, the value, and the row's fields re-joined."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceReport:
    """What an adapter found in one trace file, for the ingest summary.

    Counts refer to source rows (minutes, 10-minute windows or requests) unless named otherwise.
    """

    adapter: str
    source: str
    rows_read: int
    """Data rows in the source file."""
    rows_out: int
    """Telemetry rows the adapter produces (one per hour and key)."""
    hours: int
    """Distinct hours that have at least one telemetry row."""
    first_ts: datetime | None
    last_ts: datetime | None
    """First and last hour produced, UTC."""
    outage_minutes: int = 0
    """Source minutes dropped as a telemetry outage: read as missing, not as zero demand."""
    outage_windows: tuple[tuple[datetime, datetime], ...] = ()
    """First and last minute (UTC) of each contiguous outage."""
    outage_region: str | None = None
    """The region the outage windows are of (the region label the adapter gave its rows);
    None marks every region."""
    gaps: int = 0
    """Intervals absent from the source's own time grid (per series), before any dropping."""
    zero_rows: int = 0
    """Source rows reading zero demand; kept, because an idle tenant is real zero demand."""
    unknown: Mapping[str, int] = field(default_factory=dict)
    """Values the options do not map, as ``"column=value"`` -> source rows."""
    notes: tuple[str, ...] = ()
    """Adapter-specific findings, one sentence each."""
    refused: pl.DataFrame = field(default_factory=lambda: REFUSED_SCHEMA.to_frame(), compare=False)
    """Source rows refused (:data:`REFUSED_SCHEMA`: row, column, rule, value, raw), left out of
    the hours: ingest quarantines them, so one bad row costs only itself."""

    def outage_calendar(self, *, region: str | None = None) -> pl.DataFrame:
        """The outage windows found, as outage calendar rows for ``demand_series(outages=...)``.

        ``region`` is the region label the adapter gave its rows (None marks every region).
        """
        return windows_calendar(
            self.outage_windows, region=region, reason=f"{self.adapter} adapter: {self.source}"
        )

    def outage_rows(self) -> pl.DataFrame:
        """The outage windows found as ingest stores them (``ingest_outages`` without the
        ingest's id and path): the adapter, region, start, exclusive end and minutes."""
        calendar = self.outage_calendar(region=self.outage_region)
        return calendar.select(
            pl.lit(self.adapter, pl.String).alias("adapter"),
            "region",
            "start",
            "end",
            (pl.col("end") - pl.col("start")).dt.total_minutes().cast(pl.Int64).alias("minutes"),
        )

    def summary(self) -> str:
        """One paragraph for a CLI or a report: counts first, then notes."""
        span = (
            f"{self.first_ts:%Y-%m-%d %H:%M} to {self.last_ts:%Y-%m-%d %H:%M} UTC"
            if (self.first_ts and self.last_ts)
            else "no hours"
        )
        parts = [
            f"{self.adapter}: {self.source}: {self.rows_read:,} rows read, "
            f"{self.rows_out:,} hourly rows over {self.hours:,} hours ({span})",
            f"outage minutes dropped {self.outage_minutes:,} in {len(self.outage_windows)} windows",
            f"grid gaps {self.gaps:,}",
            f"zero-demand rows kept {self.zero_rows:,}",
        ]
        if self.refused.height:
            parts.append(
                f"{self.refused.height:,} source row(s) refused and quarantined (file, row, "
                "column, rule: `fleetcast quarantine`), the rest loaded"
            )
        if self.unknown:
            parts.append(
                "unmapped "
                + ", ".join(f"{k} ({v:,} rows)" for k, v in sorted(self.unknown.items()))
            )
        return "; ".join(parts) + "".join(f"\n  {note}" for note in self.notes)


@dataclass(frozen=True, slots=True)
class TraceAdapter(Generic[OptionsT]):
    """One trace format: its name, what it reads, its options type, and how to scan it."""

    name: str
    description: str
    options_type: type[OptionsT]
    dtypes: Mapping[str, pl.DataType]  # the trace file's header, in any order, and its types
    _scan: Callable[[Path, OptionsT], pl.LazyFrame] = field(repr=False)
    _report: Callable[[Path, OptionsT], TraceReport] = field(repr=False)
    # strptime formats of text columns the adapter parses (a time), for :meth:`unparsable`.
    formats: Mapping[str, str] = field(default_factory=dict)
    # Both from one pass over the file, where the adapter has one (see :meth:`read`).
    _read: Callable[[Path, OptionsT], tuple[pl.LazyFrame, Callable[[], TraceReport]]] | None = (
        field(default=None, repr=False)
    )
    # Where the trace has no calendar dates: the day its day 0 is placed on as ingest reads
    # it (the options' default), so every date resting on its rows is a placement, not a
    # measurement. None where the file's timestamps are its own.
    placed_day0: date | None = None
    # The counts and rates the adapter holds to :func:`rule_breaking` (none empty, NaN,
    # infinite or negative), so a file failing on an unparsable value names those too.
    measured: tuple[str, ...] = ()
    # Whether the adapter looks for telemetry outages (and drops their minutes): only where it
    # does is "no outage window found" a finding, and one ingested before migration 43 "not
    # known" (ServeGen's and Azure's have no outage test: nothing to find, nothing unknown).
    finds_outages: bool = False
    # Whether its running GPUs are what ran, beside a queue: an adapter that derives GPUs from
    # the requests that arrived (ServeGen, Azure) writes demand itself there and a queue of 0
    # by construction, so a region's hours at its plan's ceiling are no censored floor.
    queue_measured: bool = True

    def scan(self, path: Path, *, options: OptionsT | None = None) -> pl.LazyFrame:
        """Lazy telemetry rows from ``path``; ``options`` default to the documented defaults.

        Raises :class:`TraceFormatError` at once (before any collect) if the header is wrong,
        or if a row has more fields than the header: ingest quarantines such a row alone
        (:func:`split_rows`), but a scan has no quarantine to hand it back in, and the typed
        read took its values, perhaps shifted into the wrong columns, without a word.
        """
        path = Path(path)
        scanned = self._scan(path, self._options(options))  # the header is checked first
        wide = _ruled_wide_rows(path, len(self.dtypes))
        if not wide.is_empty():
            refused = wide.select(
                pl.col("row").cast(pl.Int64),
                pl.lit("(row)").alias("column"),
                pl.col("__rule").alias("rule"),
                pl.col("__extra").alias("value"),
            )
            raise refused_rows_error(path, refused, adapter=self.name)
        return scanned

    def report(self, path: Path, *, options: OptionsT | None = None) -> TraceReport:
        """Counts of what ``path`` holds under ``options``; reads the file once more."""
        return self._report(Path(path), self._options(options))

    def read(
        self, path: Path, *, options: OptionsT | None = None
    ) -> tuple[pl.LazyFrame, Callable[[], TraceReport]]:
        """:meth:`scan` and, to call once the rows are loaded, :meth:`report`: from one pass
        over the file where the adapter has one, else the report reads it once more."""
        path, options = Path(path), self._options(options)
        if self._read is not None:
            return self._read(path, options)
        return self._scan(path, options), lambda: self._report(path, options)

    @property
    def columns(self) -> tuple[str, ...]:
        """The trace file's header, in any order."""
        return tuple(self.dtypes)

    def unparsable(self, path: Path) -> TraceFormatError | None:
        """An error naming the rows of ``path`` whose values are not of their column's type,
        or None when every value parses (another problem failed the read)."""
        found = unparsable_values(Path(path), self.dtypes, formats=self.formats)
        if found is None:
            return None
        # The rule check runs on parsed values, so without this a file with '17x6' in one
        # row and -50 GPUs in another named the -50 only once the '17x6' was fixed.
        also = rule_breaking_values(Path(path), self.dtypes, columns=self.measured, text=True)
        return TraceFormatError(
            f"{path}: {found}{f'; also {also}' if also else ''}. The {self.name} adapter sums "
            "the rows into hours, so nothing of the file was loaded: fix or remove the rows "
            "named and ingest it again"
        )

    def _options(self, options: OptionsT | None) -> OptionsT:
        if options is None:
            return self.options_type()
        if not isinstance(options, self.options_type):
            raise TypeError(
                f"{self.name} adapter takes {self.options_type.__name__}, "
                f"got {type(options).__name__}"
            )
        return options


# --- shared reading and shaping ----------------------------------------------------------------


def _opener(path: Path) -> Callable[..., Any]:
    """``gzip.open`` where ``path`` holds gzip data, whatever its name, else ``open``."""
    with path.open("rb") as raw:
        return gzip.open if is_gzip(raw.read(len(GZIP_MAGIC))) else open


def read_header(path: Path) -> list[str]:
    """Column names on the first line of a CSV file, gzip-compressed or not."""
    if not path.is_file():
        raise TraceFormatError(f"{path}: no such file")
    opener = _opener(path)
    try:
        # utf-8-sig: a spreadsheet's byte-order mark read as part of the first name.
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            line = handle.readline()
    except (OSError, UnicodeDecodeError) as exc:
        why = text_misnamed(path) if isinstance(exc, UnicodeDecodeError) else None
        raise TraceFormatError(f"{path}: {why or f'not a readable CSV text file ({exc})'}") from exc
    return [name.strip().strip('"') for name in line.rstrip("\r\n").split(",")] if line else []


def scan_trace_csv(path: Path, dtypes: Mapping[str, pl.DataType], *, trace: str) -> pl.LazyFrame:
    """Scan ``path`` with exactly the columns and dtypes of ``dtypes``, after checking its header.

    The header must hold the same names as ``dtypes`` (in any order); anything else means the
    file is not ``trace`` and the error lists what is missing, what is extra and what was found.
    Types are never inferred: a value that does not parse as its declared dtype fails the
    collect with the column named, instead of silently turning the column into strings.
    """
    found = read_header(path)
    missing = [name for name in dtypes if name not in found]
    extra = [name for name in found if name not in dtypes]
    if missing or extra or len(found) != len(set(found)):
        raise TraceFormatError(
            f"{path}: not {'an' if trace[:1] in 'AEIOU' else 'a'} {trace} file. Expected "
            f"columns {list(dtypes)}; found {found}. "
            f"Missing: {missing or 'none'}; unexpected: {extra or 'none'}."
        )
    if _line_end(path) is None:
        # polars ends lines at one byte: the file read as one header line of hundreds of names
        # ("CSV file contained column names not specified in schema (n_extra = 721)").
        raise TraceFormatError(f"{path}: {LONE_CR_RULE}; nothing of the file was read")
    # The schema follows the file's own column order so that a reordered export still reads.
    return scan_lines_csv(path, schema={name: dtypes[name] for name in found}, has_header=True)


_FIRST_BYTES = 1 << 16


def _line_end(path: Path) -> str | None:
    """The character that ends the lines of ``path`` for polars: LF (a CRLF file too), CR
    where the file holds no LF at all (an old Mac export, which telemetry ingest reads line
    by line, and the adapters refused whole), or None where its header ends at a lone CR and
    later lines at LF: no one character ends them all."""
    opener = _opener(path)
    with opener(path, "rb") as handle:
        chunk = handle.read(_FIRST_BYTES)
        first = chunk.split(b"\n", 1)[0]
        if b"\r" not in first.rstrip(b"\r"):
            return "\n"
        if b"\n" in chunk:
            return None
        # Every byte is read once, only for a file whose first 64 KiB hold no LF.
        while chunk := handle.read(_FIRST_BYTES):
            if b"\n" in chunk:
                return None
    return "\r"


def scan_lines_csv(path: Path, **options: Any) -> pl.LazyFrame:
    """``pl.scan_csv(path, **options)`` with the lines ended as the file ends them (see
    :func:`_line_end`; a file whose lines no one character ends reads as LF, as before, and
    :func:`scan_trace_csv` refuses it). Every read of a trace file goes through here, so a
    file of lone CR line ends reads alike in every pass.

    With a header, ``schema`` names its columns by position, as :func:`read_header` reads
    them (spaces and a byte-order mark dropped): polars matched them to the line as written,
    and `category , model` failed its "column names not specified in schema" after the
    header check passed."""
    if options.get("has_header", True) and "schema" in options:  # polars' default header
        schema = options.pop("schema")
        options |= {"new_columns": list(schema), "schema_overrides": schema, "infer_schema": False}
    return pl.scan_csv(path, eol_char=_line_end(path) or "\n", **options)


def unparsable_values(
    path: Path,
    dtypes: Mapping[str, pl.DataType],
    *,
    formats: Mapping[str, str] | None = None,
    most: int = 3,
) -> str | None:
    """The first ``most`` rows (1 = the first after the header) holding a value that does not
    parse as its column's type in ``dtypes`` (or, for a text column in ``formats``, as a time
    in that strptime format), named with the column and the value, and how many rows in all;
    None when every value parses.

    A slow pass, with every column read as text: only for a file whose typed read failed,
    which names no row.
    """
    formats = formats or {}
    found = read_header(path)
    typed = [n for n in found if n in formats or (n in dtypes and dtypes[n] != pl.String())]
    if not typed:
        return None
    text = scan_lines_csv(
        path, schema=dict.fromkeys(found, pl.String()), has_header=True, truncate_ragged_lines=True
    )
    failed = [pl.col(n).is_not_null() & _parsed(n, dtypes, formats).is_null() for n in typed]
    bad = (
        text.with_row_index("row", offset=1)
        .filter(pl.any_horizontal(failed))
        .with_columns(pl.len().alias("rows"))
        .head(most)
        .collect(engine="streaming")
    )
    if bad.is_empty():
        return None
    which = bad.select(
        "row", pl.coalesce(pl.when(f).then(pl.lit(n)) for n, f in zip(typed, failed, strict=True))
    )
    shown = [
        f"row {row}, column {name}: {bad[name][i]!r} is not {_kind(name, dtypes, formats)}"
        for i, (row, name) in enumerate(which.iter_rows())
    ]
    total = bad["rows"][0]
    more = f" ({total:,} rows in all)" if total > len(shown) else ""
    return "; ".join(shown) + more


WIDE_ROW_RULE = (
    "the row has more fields than the header (a comma inside a value, or two rows joined): "
    "its values may sit in the wrong columns, so it is left out; fix or remove the row"
)
"""The rule of a row :func:`wide_rows` finds; its value is the fields past the header's."""

_WIDE_SCHEMA = pl.Schema({"row": pl.UInt32(), "__extra": pl.String()})
_WIDE_RULED = pl.Schema({**_WIDE_SCHEMA, "__rule": pl.String()})


def _ruled_wide_rows(path: Path, width: int) -> pl.DataFrame:
    """:func:`wide_rows` with the rule each row breaks: rows joined at a lone CR
    (:data:`CR_JOINED_RULE`, where the line holds a CR before its end), else
    :data:`WIDE_ROW_RULE`. The one place both :meth:`TraceAdapter.scan` and
    :func:`split_rows` take the rule from."""
    wide = wide_rows(path, width, joined_at_cr=True)
    return wide.select(
        "row",
        "__extra",
        pl.when(pl.col("__cr"))
        .then(pl.lit(CR_JOINED_RULE))
        .otherwise(pl.lit(WIDE_ROW_RULE))
        .alias("__rule"),
    ).match_to_schema(_WIDE_RULED)


def wide_rows(path: Path, width: int, *, joined_at_cr: bool = False) -> pl.DataFrame:
    """The rows of ``path`` (1 = the first after the header) with more fields than the header's
    ``width``, and the text of their fields past it; ``joined_at_cr``: with ``__cr``, whether
    the line holds a CR before its end (rows a lone CR joined).

    A typed read that selects some columns ignores a row's fields past the header, so a row
    shifted by a stray comma loaded its values into the wrong columns without a word; a read
    of every column stopped on it with polars' "found more fields than defined in 'Schema'".
    Lines are counted as one text column (0.12 s of CPU for the 714,241 lines of the Helios
    month): trace files quote nothing, so a line is a row; a file holding a quote is read
    with the csv module instead, whose records follow the quotes as polars' do.
    """
    lines = scan_lines_csv(
        path,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        schema={"line": pl.String()},
        truncate_ragged_lines=True,
    )
    quoted = lines.select(pl.col("line").str.contains('"', literal=True).any()).collect()
    if quoted.item():
        found = _wide_rows_quoted(path, width)
        return found.with_columns(__cr=pl.lit(False)) if joined_at_cr else found
    line = pl.col("line").str.strip_chars_end("\r")
    inner_cr = [line.str.contains("\r", literal=True).alias("__cr")] if joined_at_cr else []
    return (
        lines.with_row_index("row")
        .filter(pl.col("line").str.count_matches(",", literal=True) >= width)
        .select(
            "row",
            line.str.split(",").list.slice(width).list.join(",").alias("__extra"),
            *inner_cr,
        )
        .collect(engine="streaming")
        .match_to_schema(
            pl.Schema({**_WIDE_SCHEMA, "__cr": pl.Boolean()}) if joined_at_cr else _WIDE_SCHEMA
        )
    )


def _wide_rows_quoted(path: Path, width: int) -> pl.DataFrame:
    """:func:`wide_rows` of a file holding a quote, record by record."""
    opener = _opener(path)
    rows: list[int] = []
    extra: list[str] = []
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as handle:
        for row, cells in enumerate(csv.reader(handle)):
            if len(cells) > width:
                rows.append(row)
                extra.append(",".join(cells[width:]))
    return pl.DataFrame({"row": rows, "__extra": extra}, schema=_WIDE_SCHEMA)


def refused_rows_error(path: Path, refused: pl.DataFrame, *, adapter: str) -> TraceFormatError:
    """The error of a :meth:`TraceAdapter.scan` of ``path`` that met rows the ``adapter``
    refuses (``refused``: row, column, rule and value, as :data:`REFUSED_SCHEMA`): the first
    three named with their column, value and rule, and how many in all. A scan reads the file
    whole and has no quarantine, so it reads none of it; :meth:`TraceAdapter.read`, as ingest
    uses it, loads the rest and hands the rows back in its report's ``refused``."""
    first = refused.sort("row").head(3)
    shown = "; ".join(
        f"row {row}, column {column}: {value!r}: {rule}"
        for row, column, rule, value in first.select("row", "column", "rule", "value").iter_rows()
    )
    more = f" ({refused.height:,} rows in all)" if refused.height > first.height else ""
    return TraceFormatError(
        f"{path}: {shown}{more}. The {adapter} adapter's scan() reads the file whole, so none "
        "of it was read: fix or remove the rows named, or read it with read() (as `fleetcast "
        "ingest` does), which loads the rest and returns these rows in its report's refused"
    )


def split_rows(
    path: Path,
    dtypes: Mapping[str, pl.DataType],
    *,
    measured: Sequence[str],
    parsers: Mapping[str, tuple[pl.Expr, str]] | None = None,
) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """The rows of ``path`` that an adapter can sum into its hours, typed as ``dtypes``, and
    the rows it cannot (:data:`REFUSED_SCHEMA`), each named by the first rule it breaks: a
    value not of its column's type, a ``parsers`` column (text the adapter parses: a time)
    empty or not parsed by its expression (null where it cannot), or a ``measured`` count or
    rate breaking :func:`rule_breaking`.

    Read as text, so an adapter calls it only once its typed pass met such a row: a file with
    one '17x6' or -50 refused every row it held, where plain telemetry quarantines the row.
    """
    parsers = parsers or {}
    found = read_header(path)
    text = scan_lines_csv(
        path,
        schema=dict.fromkeys(found, pl.String()),
        has_header=True,
        # Past the header's fields a row is judged by wide_rows, not read.
        truncate_ragged_lines=True,
    ).with_row_index("row", offset=1)
    text = text.join(
        _ruled_wide_rows(path, len(found)).lazy(), on="row", how="left", maintain_order="left"
    ).filter(
        # A blank line holds no row: skipped, as telemetry ingest skips one, where each was
        # quarantined as a row whose count "is empty (or the row is cut short)".
        ~(pl.all_horizontal(pl.col(n).is_null() for n in found) & pl.col("__extra").is_null())
    )
    as_text = {n: f"__text_{n}" for n in found}
    typed = [n for n in found if dtypes[n] != pl.String()]
    checks: list[tuple[str, pl.Expr, pl.Expr]] = []  # column, broken, rule
    checks.append(("(row)", pl.col("__extra").is_not_null(), pl.col("__rule")))
    for name, (parsed, kind) in parsers.items():
        checks.append((name, pl.col(name).is_null(), pl.lit("is empty (or the row is cut short)")))
        checks.append((name, parsed.is_null(), pl.lit(f"is not {kind}")))
    for name in typed:
        kind = "a whole number" if dtypes[name].is_integer() else "a number"
        unparsed = pl.col(as_text[name]).is_not_null() & pl.col(name).is_null()
        checks.append((name, unparsed, pl.lit(f"is not {kind}")))
    for name in measured:
        rule = _rule_broken(name)
        checks.append((name, rule.is_not_null(), rule))
    judged = (
        text.with_columns(pl.col(n).alias(t) for n, t in as_text.items())
        .with_columns(pl.col(n).cast(dtypes[n], strict=False) for n in typed)
        .with_columns(
            pl.coalesce(pl.when(b).then(pl.lit(n)) for n, b, _ in checks).alias("column"),
            pl.coalesce(pl.when(b).then(r) for _, b, r in checks).alias("rule"),
        )
    )
    refused = (
        judged.filter(pl.col("rule").is_not_null())
        .select(
            pl.col("row").cast(pl.Int64),
            "column",
            "rule",
            pl.coalesce(
                pl.when(pl.col("column") == "(row)").then(pl.col("__extra")),
                *(pl.when(pl.col("column") == n).then(pl.col(t)) for n, t in as_text.items()),
            ).alias("value"),
            pl.concat_str(
                [*(pl.col(t).fill_null("") for t in as_text.values()), pl.col("__extra")],
                separator=",",
                ignore_nulls=True,
            ).alias("raw"),
        )
        .collect(engine="streaming")
    )
    kept = judged.filter(pl.col("rule").is_null()).select(pl.col("row").alias("__row"), *found)
    return kept, refused


def numbered(source: pl.LazyFrame) -> pl.LazyFrame:
    """``source`` with ``__row``, each row's row in the file (1 = the first after the header):
    the rows :func:`split_rows` kept carry theirs, a file read whole is numbered here."""
    if "__row" in source.collect_schema():
        return source
    return source.with_row_index("__row", offset=1)


def rule_breaking(columns: Sequence[str]) -> pl.Expr:
    """True on a row where one of ``columns`` (counts, rates, tokens) is empty, NaN, infinite
    or negative: a value no count of GPUs, requests or tokens can take."""
    return pl.any_horizontal(_rule_broken(name).is_not_null() for name in columns).fill_null(False)


def _rule_broken(name: str) -> pl.Expr:
    """The rule column ``name`` breaks on a row, or null where it breaks none."""
    value = pl.col(name).cast(pl.Float64)
    return (
        pl.when(value.is_null())
        .then(pl.lit("is empty (or the row is cut short)"))
        .when(value.is_nan())
        .then(pl.lit("is not a number (NaN)"))
        .when(value.is_infinite())
        .then(pl.lit("is not finite"))
        .when(value < 0)
        .then(pl.lit("is negative"))
    )


def rule_breaking_error(
    path: Path, dtypes: Mapping[str, pl.DataType], *, columns: Sequence[str], adapter: str
) -> TraceFormatError:
    """The error for a file some of whose ``columns`` values break a rule of
    :func:`rule_breaking`, which the ``adapter`` counted in its own pass."""
    found = rule_breaking_values(Path(path), dtypes, columns=columns)
    return TraceFormatError(
        f"{path}: {found or 'a value is empty, not finite or negative'}. The {adapter} adapter "
        "sums the rows into hours, so nothing of the file was loaded: fix or remove the rows "
        "named and ingest it again"
    )


def rule_breaking_values(
    path: Path,
    dtypes: Mapping[str, pl.DataType],
    *,
    columns: Sequence[str],
    most: int = 3,
    text: bool = False,
) -> str | None:
    """The first ``most`` rows (1 = the first after the header) where one of ``columns`` breaks
    a rule of :func:`rule_breaking`, named with the column, the value and the rule, and how many
    rows in all; None when none does. Its own pass, made only once the adapter counted some.

    ``text``: the file holds values that do not parse (see :func:`unparsable_values`), so it is
    read as text and such a value is left to that function, not called empty here."""
    if not columns:
        return None
    if text:
        found = read_header(path)
        raw = scan_lines_csv(path, schema=dict.fromkeys(found, pl.String()), has_header=True)
        read = raw.with_columns(
            pl.when(pl.col(n).is_null() | pl.col(n).cast(dtypes[n], strict=False).is_not_null())
            .then(pl.col(n).cast(dtypes[n], strict=False))
            .otherwise(pl.lit(0, dtypes[n]))  # not parsed: not this function's to name
            .alias(n)
            for n in columns
        )
    else:
        read = scan_trace_csv(path, dtypes, trace="trace")
    rules = [_rule_broken(name).alias(name) for name in columns]
    bad = (
        read.with_row_index("row", offset=1)
        .filter(rule_breaking(columns))
        .with_columns(pl.len().alias("rows"))
        .select(
            "row",
            "rows",
            pl.struct(rules).alias("rule"),
            pl.struct(pl.col(name).cast(pl.String) for name in columns).alias("value"),
        )
        .head(most)
        .collect(engine="streaming")
    )
    if bad.is_empty():
        return None
    shown = []
    for row, rule, value in bad.select("row", "rule", "value").iter_rows():
        name = next(n for n in columns if rule[n] is not None)
        what = "" if value[name] is None else f": {value[name]!r}"
        shown.append(f"row {row}, column {name}{what} {rule[name]}")
    total = bad["rows"][0]
    more = f" ({total:,} rows in all)" if total > len(shown) else ""
    return "; ".join(shown) + more


def _parsed(name: str, dtypes: Mapping[str, pl.DataType], formats: Mapping[str, str]) -> pl.Expr:
    """Column ``name`` read as text, parsed as the adapter reads it; null where it cannot be."""
    if name in formats:
        return pl.col(name).str.strptime(pl.Datetime("us"), formats[name], strict=False)
    return pl.col(name).cast(dtypes[name], strict=False)


def _kind(name: str, dtypes: Mapping[str, pl.DataType], formats: Mapping[str, str]) -> str:
    """What column ``name`` must hold, as a reader of the error would say it."""
    if name in formats:
        return f"a time in the format {formats[name]}"
    if dtypes[name].is_integer():
        return "a whole number"
    if dtypes[name].is_float():
        return "a number"
    return f"of type {dtypes[name]}"


def hour_of(ts: pl.Expr) -> pl.Expr:
    """The UTC hour that contains ``ts`` (a timezone-aware datetime), as our ``ts`` dtype."""
    return ts.dt.convert_time_zone("UTC").dt.truncate("1h").cast(TELEMETRY_SCHEMA["ts"])


def to_telemetry(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Exactly ``TELEMETRY_SCHEMA``: its columns in its order and dtypes, nothing else.

    Columns a trace does not carry (``requests``, ``tokens``) are added as nulls.
    """
    present = frame.collect_schema().names()
    return frame.select(
        [
            (pl.col(name) if name in present else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in TELEMETRY_SCHEMA.items()
        ]
    ).sort(["ts", "customer", "workload_class"])


def output_span(telemetry: pl.LazyFrame) -> dict[str, Any]:
    """Rows, distinct hours, first and last hour of an adapter's output, for its report."""
    return (
        telemetry.select(
            pl.len().alias("rows"),
            pl.col("ts").n_unique().alias("hours"),
            pl.col("ts").min().alias("first"),
            pl.col("ts").max().alias("last"),
        )
        .collect()
        .row(0, named=True)
    )


def contiguous_windows(minutes: Sequence[datetime]) -> tuple[tuple[datetime, datetime], ...]:
    """Runs of consecutive minutes as (first, last) pairs; ``minutes`` must be sorted."""
    windows: list[tuple[datetime, datetime]] = []
    for minute in minutes:
        if windows and (minute - windows[-1][1]).total_seconds() == 60:
            windows[-1] = (windows[-1][0], minute)
        else:
            windows.append((minute, minute))
    return tuple(windows)


# The adapters import the shared names above from this package, so they are imported last.
from forecasting.traces.azure_llm import (  # noqa: E402
    AZURE_DTYPES,
    TOKEN_COLUMNS,
    AzureLLMOptions,
    read_azure_llm,
    report_azure_llm,
    scan_azure_llm,
)
from forecasting.traces.helios import (  # noqa: E402
    ACTIVITY_COLUMNS,
    HELIOS_DTYPES,
    HeliosOptions,
    helios_capacity_toml,
    read_helios,
    report_helios,
    scan_helios,
)
from forecasting.traces.helios import (  # noqa: E402
    TIME_FORMAT as HELIOS_TIME_FORMAT,
)
from forecasting.traces.servegen import (  # noqa: E402
    MEASURED_COLUMNS,
    PLACED_CALENDAR,
    SERVEGEN_DTYPES,
    ModelProfile,
    ServeGenOptions,
    read_servegen,
    report_servegen,
    scan_servegen,
)

ADAPTERS: dict[str, TraceAdapter[Any]] = {
    adapter.name: adapter
    for adapter in (
        TraceAdapter(
            name="helios",
            description=(
                "Helios Earth per-VC minute sequences (SenseTime, SC'21): customer = VC, "
                "class by job size, hourly mean GPUs running and queued; outages dropped"
            ),
            options_type=HeliosOptions,
            dtypes=HELIOS_DTYPES,
            formats={"time": HELIOS_TIME_FORMAT},
            measured=ACTIVITY_COLUMNS,
            _scan=scan_helios,
            _report=report_helios,
            _read=read_helios,
            finds_outages=True,
        ),
        TraceAdapter(
            name="servegen",
            description=(
                "ServeGen per-client 10-minute request rates (Alibaba Model Studio, NSDI'26): "
                "inference per model/client, GPUs from an assumed per-model throughput"
            ),
            options_type=ServeGenOptions,
            dtypes=SERVEGEN_DTYPES,
            placed_day0=ServeGenOptions().start,
            measured=MEASURED_COLUMNS,
            _scan=scan_servegen,
            _report=report_servegen,
            _read=read_servegen,
            queue_measured=False,
        ),
        TraceAdapter(
            name="azure-llm",
            description=(
                "Azure LLM inference request log, code or conversation (Splitwise, ISCA'24): "
                "hourly requests and tokens, GPUs from an assumed tokens/s per GPU"
            ),
            options_type=AzureLLMOptions,
            dtypes=AZURE_DTYPES,
            measured=TOKEN_COLUMNS,
            _scan=scan_azure_llm,
            _report=report_azure_llm,
            _read=read_azure_llm,
            queue_measured=False,
        ),
    )
}


OUTAGE_FINDERS: tuple[str, ...] = tuple(a.name for a in ADAPTERS.values() if a.finds_outages)
# The formats whose rows hold demand as it arrived, never censored by capacity.
ARRIVAL_FORMATS: tuple[str, ...] = tuple(a.name for a in ADAPTERS.values() if not a.queue_measured)
"""The adapters that look for telemetry outages (:attr:`TraceAdapter.finds_outages`)."""


def trace_format_of(header: Sequence[str]) -> str | None:
    """The adapter whose trace has this header (``--format`` to ingest it with), or None."""
    found = set(header)
    return next((a.name for a in ADAPTERS.values() if set(a.columns) <= found), None)


def placed_dates_note(file_formats: Iterable[str]) -> str:
    """The sentence every output resting on a placed calendar carries ("" when none of
    ``file_formats``, the formats a warehouse ingested, has one): a ServeGen run's "order by
    2024-10-14, late" and "telemetry 683 days old" read as measured dates where day 0 of a
    trace with no calendar was put on 2025-01-06 by the adapter."""
    placed = [ADAPTERS[name] for name in sorted(set(file_formats)) if name in ADAPTERS]
    return "; ".join(
        PLACED_CALENDAR.format(day0=a.placed_day0) for a in placed if a.placed_day0 is not None
    )
