"""Outage windows: from an outage calendar file, or from the windows a trace adapter found.

:func:`forecasting.demand.demand_series` reads a gap in telemetry (no rows for a region in an
hour) as an outage by itself. A window here marks hours as outages even when they hold rows:
a collector that wrote zeros or partial data while it failed. Every hour a window overlaps is
missing for its region (or for every region when ``region`` is blank).

The calendar file is CSV with a header, one window per row::

    region,start,end,reason
    eu-west,2026-03-01T14:00:00Z,2026-03-01T16:00:00Z,collector restart
    ,2026-03-07T00:00:00Z,2026-03-07T02:00:00Z,warehouse migration (every region)

``start`` and ``end`` are ISO 8601 instants; a stamp without an offset is read as UTC, as
telemetry's is, and :func:`outage_calendar_read` counts them in a line naming their rows (they
were read so without a word). ``end``
is exclusive, so the first row marks the hours 14:00 and 15:00. ``region`` may be blank (every
region); ``reason`` is optional free text. Column names are matched whatever their case or
surrounding spaces (``Region,Start,End``), as telemetry's are. A window starting before
2010-01-01 (telemetry's floor) or, read without the telemetry, ending more than a day after now
is a bad row: it marks no measured hour. A window that ends by the first telemetry hour of its
region (of every region, when blank) is kept but marks nothing, and
:func:`outage_calendar_notes` says so: refused, it would reject a calendar kept for years
before the telemetry now stored.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forecasting.errors import column_name_hint, delimiter_hint, text_misnamed
from forecasting.schema import (
    EARLIEST_TIMESTAMP,
    NO_ZONE_RULE,
    UTC_OFFSET_RULE,
    frame_schema,
    utc_offset_out_of_range,
)

__all__ = [
    "APPLIED_OUTAGES_SCHEMA",
    "OUTAGE_CALENDAR_COLUMNS",
    "OUTAGE_CALENDAR_SCHEMA",
    "OUTAGE_FROM_ADAPTER",
    "OUTAGE_FROM_CALENDAR",
    "OUTAGE_FROM_ZEROS",
    "OUTAGE_SOURCES",
    "OutageCalendarError",
    "adapter_outages_not_known",
    "adapter_outages_text",
    "applied_windows",
    "calendar_marks_no_hour_text",
    "no_zone_text",
    "outage_calendar_notes",
    "outage_calendar_read",
    "read_outage_calendar",
    "windows_calendar",
    "zero_hour_windows",
]

OUTAGE_CALENDAR_SCHEMA = pl.Schema(
    {
        "region": pl.String(),
        "start": pl.Datetime("us", "UTC"),
        "end": pl.Datetime("us", "UTC"),
        "reason": pl.String(),
    }
)
"""One outage window per row; ``region`` null = every region, ``end`` exclusive."""

OUTAGE_CALENDAR_COLUMNS: tuple[str, ...] = tuple(OUTAGE_CALENDAR_SCHEMA.names())

# Where a window a forecast run applied came from (forecast_outages.source): an outage
# calendar file (`--outages`), a trace adapter's windows, or an hour whose rows all read zero
# under `--zero-is-outage`.
OUTAGE_FROM_CALENDAR = "calendar"
OUTAGE_FROM_ADAPTER = "adapter"
OUTAGE_FROM_ZEROS = "zero-is-outage"
OUTAGE_SOURCES: tuple[str, ...] = (OUTAGE_FROM_CALENDAR, OUTAGE_FROM_ADAPTER, OUTAGE_FROM_ZEROS)

APPLIED_OUTAGES_SCHEMA = frame_schema("forecast_outages")
"""The windows a forecast run applied, as it stores them: the calendar's columns and
``source`` (one of :data:`OUTAGE_SOURCES`)."""
_REQUIRED = ("start", "end")


class OutageCalendarError(ValueError):
    """A calendar file that cannot be read; the message names file, row, column and rule."""


def _instant(text: str, *, path: Path, row: int, column: str) -> datetime | str:
    """``text`` as an aware UTC datetime, or the problem naming where it was and the fix."""
    if utc_offset_out_of_range(text):
        # Checked first: fromisoformat reads +14:30 (up to ±23:59), and telemetry refuses it.
        return f"{path}: row {row}, column {column!r}: {text!r}: {UTC_OFFSET_RULE}"
    try:
        stamp = datetime.fromisoformat(text.strip())
    except ValueError:
        return (
            f"{path}: row {row}, column {column!r}: {text!r} is not an ISO 8601 instant; "
            "write it like 2026-03-01T14:00:00Z"
        )
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _zoneless(text: str) -> bool:
    """Whether ``text``, an instant :func:`_instant` read, carried no zone (read as UTC)."""
    try:
        return datetime.fromisoformat(text.strip()).tzinfo is None
    except ValueError:
        return False


# Rows a calendar's no-zone line names one by one, then counts.
_ROWS_NAMED = 5


def no_zone_text(path: Path, rows: Mapping[int, int]) -> str:
    """The line on a calendar's times written without a zone (``rows``: row -> how many of
    its start and end), as telemetry's ingest counts its own: read as UTC, and said."""
    named = ", ".join(str(r) for r in list(rows)[:_ROWS_NAMED])
    more = f" and {len(rows) - _ROWS_NAMED} more" if len(rows) > _ROWS_NAMED else ""
    return (
        f"{path}: {sum(rows.values())} time(s) in column start or end (row(s) {named}{more}) "
        f"{NO_ZONE_RULE}"
    )


def _masks_everything(
    region: str | None,
    start: datetime,
    end: datetime,
    spans: Mapping[str, tuple[datetime, datetime]],
) -> str | None:
    """The region (or "every region") whose every telemetry hour a window covers, or None."""
    covered = [
        r
        for r, (first, last) in spans.items()
        if (region is None or r == region) and start <= first and end > last
    ]
    if not covered or (region is None and len(covered) < len(spans)):
        return None
    return region or "every region"


def _line_break_in(raw: Mapping[str | None, object]) -> str | None:
    """The first column of a record whose text holds a line break, or None."""
    return next(
        (
            k.strip()
            for k, v in raw.items()
            if k is not None and isinstance(v, str) and ("\n" in v or "\r" in v)
        ),
        None,
    )


def _records(reader: csv.DictReader[str], *, path: Path) -> Iterator[dict[str | None, Any]]:
    """The records of ``reader``; a csv error (a quote left open whose text passed the csv
    module's 128 KiB field limit, a traceback before) names the row the record started on."""
    while True:
        opened = reader.line_num
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise OutageCalendarError(
                f"{path}: row {opened}: the csv reader stopped ({exc}): a quote opened and "
                "not closed, taking every line after it as its text? close the quote (or "
                "shorten the field). The calendar was not used"
            ) from None
        yield raw


def read_outage_calendar(
    path: Path,
    *,
    regions: Sequence[str] | None = None,
    spans: Mapping[str, tuple[datetime, datetime]] | None = None,
    now: datetime | None = None,
) -> pl.DataFrame:
    """The windows of an outage calendar CSV (OUTAGE_CALENDAR_SCHEMA), validated row by row.

    Every bad row is reported at once, each with its row, column and rule, and none of the
    file is used: half a calendar would mark some outages and silently not others. With
    ``regions`` (those the telemetry has), a window for any other region is a bad row too: a
    misspelt region would otherwise mark nothing. With ``spans`` (each region's first and last
    telemetry hour), a window that ends more than a day after the newest telemetry, or covers
    every hour of a region's telemetry, is a bad row: a typo in a year (2030 for 2026) left a
    region out of the forecast without a word. Without ``spans``, a window ending more than a
    day after ``now`` (default: the clock) is a bad row, as a telemetry row stamped so is.
    """
    return _windows_and_notes(path, regions=regions, spans=spans, now=now)[0]


def outage_calendar_read(
    path: Path,
    *,
    regions: Sequence[str] | None = None,
    spans: Mapping[str, tuple[datetime, datetime]] | None = None,
    now: datetime | None = None,
) -> tuple[pl.DataFrame, list[str]]:
    """The calendar's windows (:func:`read_outage_calendar`) and its lines: the times it wrote
    without a zone, read as UTC (:func:`no_zone_text`), and, with ``spans``, the windows that
    mark nothing (:func:`outage_calendar_notes`), from one read of the file: a forecast read it
    twice, once to mark the hours and again to say what marked none."""
    return _windows_and_notes(path, regions=regions, spans=spans, now=now)


def outage_calendar_notes(
    path: Path,
    *,
    spans: Mapping[str, tuple[datetime, datetime]],
    now: datetime | None = None,
) -> list[str]:
    """The calendar's line on times without a zone (:func:`no_zone_text`), if any, and one
    line per window of the calendar at ``path`` that marks nothing: it ends by the first
    telemetry hour of its region (of every region, when blank), ``spans`` giving each region's
    first and last hour. Such a window is kept (a calendar kept since before the telemetry now
    stored is no bad file), but it marked nothing without a word. The file is read as
    :func:`read_outage_calendar` reads it, and a bad row raises the same error."""
    return _windows_and_notes(path, regions=None, spans=spans, now=now)[1]


def _windows_and_notes(
    path: Path,
    *,
    regions: Sequence[str] | None,
    spans: Mapping[str, tuple[datetime, datetime]] | None,
    now: datetime | None,
) -> tuple[pl.DataFrame, list[str]]:
    """The calendar's windows and its lines on windows that mark nothing."""
    path = Path(path)
    if path.is_dir():
        # "no such outage calendar file" for a folder that was there sent one hunting a typo.
        raise OutageCalendarError(
            f"{path}: a folder, not an outage calendar file; name the CSV file in it"
        )
    if not path.is_file():
        raise OutageCalendarError(f"{path}: no such outage calendar file")
    try:
        return _read_calendar(path, regions=regions, spans=spans, now=now or datetime.now(UTC))
    except UnicodeDecodeError as exc:
        # Not a trace: a latin-1 "Wartung für Zürich" printed a 26-line UnicodeDecodeError.
        why = text_misnamed(path) or (
            f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        )
        raise OutageCalendarError(f"{path}: {why}") from None


def _read_calendar(
    path: Path,
    *,
    regions: Sequence[str] | None,
    spans: Mapping[str, tuple[datetime, datetime]] | None,
    now: datetime,
) -> tuple[pl.DataFrame, list[str]]:
    # utf-8-sig: a BOM (what spreadsheets write) read as part of the first column's name.
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        # Names are matched whatever their case or surrounding spaces, as telemetry's are:
        # "Region,Start,End" was refused, and " start " read every row as cut short.
        found = [name.strip().lower() for name in reader.fieldnames or []]
        reader.fieldnames = found
        # A column without a name (a spreadsheet's trailing empty one) is ignored, as
        # telemetry ignores one: "region,start,end,reason," was refused for its ''.
        named = [c for c in found if c]
        twice = sorted({c for c in named if named.count(c) > 1})
        if twice:
            # csv.DictReader keeps the last of two same-named columns without a word.
            raise OutageCalendarError(
                f"{path}: header {found} names {twice} more than once; keep one of each"
            )
        if not found:
            # A 0-byte file read "header [] lacks ['start', 'end'] and has unknown columns none".
            raise OutageCalendarError(
                f"{path}: empty file: an outage calendar starts with a header row, "
                f"{','.join(OUTAGE_CALENDAR_COLUMNS)} (region and reason optional)"
            )
        missing = [c for c in _REQUIRED if c not in named]
        unknown = [c for c in named if c not in OUTAGE_CALENDAR_COLUMNS]
        if missing or unknown:
            raise OutageCalendarError(
                f"{path}: header {found} lacks {missing or 'nothing'} and has unknown columns "
                f"{unknown or 'none'}; the columns are {list(OUTAGE_CALENDAR_COLUMNS)} "
                "(region and reason optional)."
                + delimiter_hint(found)
                + column_name_hint(found, list(OUTAGE_CALENDAR_COLUMNS))
            )
        rows, problems, notes = [], [], []
        zoneless: dict[int, int] = {}
        # Rows are numbered from the first data row, as telemetry, events and contracts are,
        # counting blank lines (which the reader skips) as telemetry's numbering does.
        started = reader.line_num  # the row the next record starts on (its line less one)
        for raw in _records(reader, path=path):
            number = reader.line_num - 1
            record = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            if [record.get(c, "").lstrip("\ufeff").lower() for c in found if c] == named:
                # Calendars joined into one: the inner header read as three faults of a
                # window ("'start' is not an ISO 8601 instant", end's, region 'region').
                problems.append(
                    f"{path}: row {number}: a header line inside the data (calendars joined "
                    "into one file?): delete the line"
                )
                started = reader.line_num
                continue
            start = _instant(record["start"], path=path, row=number, column="start")
            end = _instant(record["end"], path=path, row=number, column="end")
            region = record.get("region") or None
            found_problems = [x for x in (start, end) if isinstance(x, str)]
            # A quote opened and not closed takes every line after it as its field's text:
            # the windows written there were gone without a word.
            if (broken := _line_break_in(raw)) is not None:
                found_problems.append(
                    f"{path}: row {started}, column {broken!r}: a line break inside the field: "
                    f"a quote opened and not closed? (it ran to row {number}, taking the rows "
                    "between as its text); close the quote, or write the field on one line"
                )
            started = reader.line_num
            short = sum(v is not None for k, v in raw.items() if k is not None)
            # DictReader reads the fields a cut line lacks as None: a cut start or end read
            # "'' is not an ISO 8601 instant", as if written blank, and a cut region would read
            # as every region. A line without its free-text reason alone is still a window.
            if any(raw.get(k) is None for k in named if k != "reason"):
                found_problems = [
                    f"{path}: row {number}: has {short} fields where the header has "
                    f"{len(found)} (a line cut short?); write every column, blank where it has "
                    f"no value; the line reads {_line_text(raw)}"
                ]
            if raw.get(None):  # fields past the header's: a shifted row, not a window to trust
                found_problems.append(
                    f"{path}: row {number}: has {len(found) + len(raw[None])} fields where the "
                    f"header has {len(found)}; quote a field that contains a comma; the line "
                    f"reads {_line_text(raw)}"
                )
            if isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
                found_problems.append(
                    f"{path}: row {number}, column 'end': {record['end']} is not after start "
                    f"{record['start']}; end is exclusive, so it must come later"
                )
            if isinstance(start, datetime) and start < EARLIEST_TIMESTAMP:
                # A zero date (0001-01-01) or an epoch default marked no measured hour.
                found_problems.append(
                    f"{path}: row {number}, column 'start': {record['start']} is before "
                    f"{EARLIEST_TIMESTAMP:%Y-%m-%d}, the telemetry's floor (a zero or epoch "
                    "default?); check the year"
                )
            elif not spans and isinstance(end, datetime) and end > now + timedelta(days=1):
                # Without the telemetry (`fleetcast run` reads the calendar before its ingest)
                # the newest hour measured can be no later than telemetry's own ceiling.
                found_problems.append(
                    f"{path}: row {number}, column 'end': {record['end']} is more than a "
                    f"day after now ({now:%Y-%m-%dT%H:%MZ}); an outage calendar marks hours "
                    "that were measured: check the year"
                )
            if spans and isinstance(start, datetime) and isinstance(end, datetime):
                newest = max(last for _, last in spans.values())
                if end > newest + timedelta(days=1):
                    found_problems.append(
                        f"{path}: row {number}, column 'end': {record['end']} is more than a "
                        f"day after the newest telemetry ({newest:%Y-%m-%dT%H:%MZ}); an outage "
                        "calendar marks hours that were measured: check the year"
                    )
                elif (whole := _masks_everything(region, start, end, spans)) is not None:
                    found_problems.append(
                        f"{path}: row {number}, columns 'start' and 'end': the window covers "
                        f"every hour of {whole}'s telemetry, which would leave it out of the "
                        "forecast; check the dates"
                    )
            if regions is not None and region is not None and region not in regions:
                found_problems.append(
                    f"{path}: row {number}, column 'region': {region!r} is not a region of the "
                    f"telemetry ({', '.join(sorted(regions))}); leave it blank for every region"
                )
            problems += found_problems
            if not found_problems and spans and isinstance(end, datetime):
                note = _marks_nothing(region, end, spans)
                if note is not None:
                    notes.append(
                        f"{path}: row {number}: the window {record['start']} to "
                        f"{record['end']} ends before the first telemetry hour of {note}: "
                        "marks nothing (kept; check the year, or remove the row)"
                    )
            if not found_problems:
                if naive := sum(_zoneless(record[c]) for c in _REQUIRED):
                    zoneless[number] = naive
                rows.append(
                    {
                        "region": region,
                        "start": start,
                        "end": end,
                        "reason": record.get("reason") or None,
                    }
                )
    if problems:
        raise OutageCalendarError(
            f"{len(problems)} bad row(s); the calendar was not used:\n  " + "\n  ".join(problems)
        )
    if zoneless:
        notes.insert(0, no_zone_text(path, zoneless))
    if spans and not any(_touches(r, spans) for r in rows):
        notes.append(calendar_marks_no_hour_text(path, spans=spans))
    return pl.DataFrame(rows, schema=OUTAGE_CALENDAR_SCHEMA), notes


def calendar_marks_no_hour_text(
    path: Path, *, spans: Mapping[str, tuple[datetime, datetime]]
) -> str:
    """What a run says of an outage calendar none of whose windows touches the telemetry it
    read (``spans``: each region's first and last hour): `backtest-decisions --outages FILE`
    printed nothing of a calendar that marked nothing, and a forecast said only each window."""
    first = min(f for f, _ in spans.values())
    last = max(t for _, t in spans.values())
    return (
        f"the outage calendar {path} marks no hour between {first:%Y-%m-%dT%H:%MZ} and "
        f"{last:%Y-%m-%dT%H:%MZ}, the telemetry read: no hour was left out for it"
    )


def _touches(window: Mapping[str, object], spans: Mapping[str, tuple[datetime, datetime]]) -> bool:
    """Whether a calendar row's window [start, end) of its region (None: every region) covers
    an hour of its region's telemetry span. An hour is marked when the window overlaps it, so
    a window ending within the hour after the last one still touches it."""
    region, start, end = window["region"], window["start"], window["end"]
    assert isinstance(start, datetime) and isinstance(end, datetime)  # a row kept is read
    return any(
        start < last + timedelta(hours=1) and end > first
        for r, (first, last) in spans.items()
        if region is None or r == region
    )


# A line quoted in a problem is cut here, saying so.
_LINE_SHOWN = 200


def _line_text(raw: Mapping[str | None, Any]) -> str:
    """The fields of a record that cannot be split as the header says, joined as the line
    wrote them and quoted, cut at _LINE_SHOWN characters: "has 6 fields where the header has
    4" alone did not say which window the row was."""
    cells = [v for k, v in raw.items() if k is not None and v is not None]
    cells += list(raw.get(None) or [])
    line = ",".join(str(c) for c in cells)
    if len(line) <= _LINE_SHOWN:
        return repr(line)
    return (
        f"{line[:_LINE_SHOWN]!r}... (truncated: the first {_LINE_SHOWN} of {len(line)} characters)"
    )


def _marks_nothing(
    region: str | None, end: datetime, spans: Mapping[str, tuple[datetime, datetime]]
) -> str | None:
    """The words for a window ending at ``end`` (exclusive) that covers no telemetry hour of
    ``region`` (None: of any region) because it ends by the first one; None when it may."""
    firsts = [first for r, (first, _) in spans.items() if region is None or r == region]
    if not firsts or end > min(firsts):
        return None
    where = region if region is not None else "any region"
    return f"{where} ({min(firsts):%Y-%m-%dT%H:%MZ})"


def windows_calendar(
    windows: Sequence[tuple[datetime, datetime]],
    *,
    region: str | None = None,
    resolution: timedelta = timedelta(minutes=1),
    reason: str | None = None,
) -> pl.DataFrame:
    """Windows given as (first, last) intervals of ``resolution`` as calendar rows.

    Trace adapters report an outage as its first and last minute (both included); the
    calendar's ``end`` is exclusive, so it is the last minute plus ``resolution``.
    """
    rows = [
        {
            "region": region,
            "start": first.astimezone(UTC) if first.tzinfo else first.replace(tzinfo=UTC),
            "end": (last.astimezone(UTC) if last.tzinfo else last.replace(tzinfo=UTC)) + resolution,
            "reason": reason,
        }
        for first, last in windows
    ]
    return pl.DataFrame(rows, schema=OUTAGE_CALENDAR_SCHEMA)


def applied_windows(windows: pl.DataFrame | None, *, source: str) -> pl.DataFrame:
    """Outage windows (OUTAGE_CALENDAR_SCHEMA; None: none) as a run stores the windows it
    applied (APPLIED_OUTAGES_SCHEMA), each marked with ``source``."""
    if source not in OUTAGE_SOURCES:
        raise ValueError(f"outage source {source!r} is not one of {', '.join(OUTAGE_SOURCES)}")
    if windows is None:
        return pl.DataFrame(schema=APPLIED_OUTAGES_SCHEMA)
    return windows.select(
        pl.col("region").cast(pl.String),
        pl.col("start").cast(pl.Datetime("us", "UTC")),
        pl.col("end").cast(pl.Datetime("us", "UTC")),
        pl.lit(source, pl.String).alias("source"),
        pl.col("reason").cast(pl.String),
    ).select(APPLIED_OUTAGES_SCHEMA.names())


# Adapter windows named one by one in a run's line, then counted.
_WINDOWS_NAMED = 5
# The migration since which ingest stores the windows an adapter found (warehouse.py).
_ADAPTER_OUTAGES_SINCE = 43


def adapter_outages_not_known(unknown: Sequence[str] | None, *, traced: bool) -> str:
    """That the outage windows trace adapters found at ingest are not known to a forecast run,
    in words ("" where they are): ``unknown`` and ``traced`` as :func:`adapter_outages_text`
    reads them. One rule for every surface: the pages' banner said it of files ingested
    before migration 43, and `fleetcast report`'s warnings did not."""
    if unknown is None:
        return (
            "adapter outage windows not known for runs stored before migration "
            f"{_ADAPTER_OUTAGES_SINCE}"
            if traced
            else ""
        )
    if not unknown:
        return ""
    return (
        "adapter outage windows not known for files ingested before migration "
        f"{_ADAPTER_OUTAGES_SINCE} ({', '.join(unknown)})"
    )


def adapter_outages_text(
    windows: pl.DataFrame | None, *, unknown: Sequence[str] | None, traced: bool
) -> str:
    """What a forecast run read of the outage windows trace adapters found at ingest (their
    minutes dropped there: missing hours, not zero demand), for its summary and pages.

    ``windows`` are the run's applied windows (APPLIED_OUTAGES_SCHEMA; those of source
    ``adapter`` are named); ``unknown`` the trace files whose windows are not known
    (ingested before migration 43; None: a run stored before it, which stored none);
    ``traced`` whether the warehouse holds a file of an adapter that looks for outages
    (``forecasting.traces.OUTAGE_FINDERS``). "" where it holds none and the run
    lists none: a fleet of plain telemetry files has no adapter to find any. A Helios run
    said nothing of its collector outage (ingest counted it in a note and forgot it).
    """
    if unknown is None:
        return adapter_outages_not_known(unknown, traced=traced)
    found = (
        pl.DataFrame(schema=APPLIED_OUTAGES_SCHEMA)
        if windows is None
        else windows.filter(pl.col("source") == OUTAGE_FROM_ADAPTER).sort("start", "region")
    )
    parts = []
    if not found.is_empty():
        named = [
            f"{region or 'every region'} {start:%Y-%m-%d %H:%M} to "
            f"{end:%Y-%m-%d %H:%M} UTC ({(end - start) // timedelta(minutes=1):,} minutes)"
            for region, start, end in found.select("region", "start", "end")
            .head(_WINDOWS_NAMED)
            .iter_rows()
        ]
        more = found.height - len(named)
        parts.append(
            f"{found.height} outage window(s) the trace adapters found at ingest, read as "
            "missing (their minutes dropped, not zero demand): "
            + "; ".join(named)
            + (f"; and {more:,} more" if more else "")
        )
    if unknown:
        parts.append(adapter_outages_not_known(unknown, traced=traced))
    elif found.is_empty() and traced:
        parts.append("no outage window found by the trace adapters at ingest")
    return "; ".join(parts)


_HOUR = timedelta(hours=1)


def zero_hour_windows(hourly: pl.DataFrame) -> pl.DataFrame:
    """The hours ``zero_is_outage`` reads as missing (a region's rows in the hour sum to no
    demand, as :func:`forecasting.demand.present_hours` judges them), as applied windows of
    contiguous hours per region (source ``zero-is-outage``): a later step masks the hours the
    run masked, whatever the telemetry reads by then."""
    by_hour = hourly.group_by("region", "ts").agg(pl.col("y").sum().alias("region_y"))
    zeros = by_hour.filter(~(pl.col("region_y") > 0)).select("region", "ts").sort("region", "ts")
    if zeros.is_empty():
        return pl.DataFrame(schema=APPLIED_OUTAGES_SCHEMA)
    runs = zeros.with_columns(
        run=(pl.col("ts").diff().over("region") != _HOUR).fill_null(True).cum_sum()
    )
    return (
        runs.group_by("region", "run")
        .agg(pl.col("ts").min().alias("start"), (pl.col("ts").max() + _HOUR).alias("end"))
        .sort("region", "start")
        .select(
            pl.col("region").cast(pl.String),
            pl.col("start").cast(pl.Datetime("us", "UTC")),
            pl.col("end").cast(pl.Datetime("us", "UTC")),
            pl.lit(OUTAGE_FROM_ZEROS, pl.String).alias("source"),
            pl.lit(None, pl.String).alias("reason"),
        )
    )
