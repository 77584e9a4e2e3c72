"""Known events (launches, migrations, holidays): read a calendar file, scope events to series.

An events file (CSV or Parquet) has one row per event and the columns of
:data:`~forecasting.schema.EVENTS_SCHEMA`; only ``event`` and ``date`` are required:

- ``event`` names the kind of event (``model-launch``), not one occurrence: Prophet learns one
  effect per name from the past occurrences and applies it to the future ones;
- ``region``, ``workload_class``, ``customer`` scope it; blank means every value;
- ``lower_window`` (<= 0) and ``upper_window`` (>= 0) spread it over days around ``date``;
- ``announced`` is the day it became known. A backtest cutoff or an as-of day sees only events
  announced by then, so nothing learnt later leaks into a backtest. Blank means known in
  advance, as a scheduled launch or a public holiday is.

A header naming a column the reader reads twice refuses the file (it read the last one silently).

Each bad row is refused with every rule it breaks, one problem each (it was the first alone,
the next met one load at a time; a line whose fields do not line up has its own fault only), in
this order:
``missing value``, ``date not ISO-8601 (YYYY-MM-DD)``, ``date before 2010-01-01`` (the
telemetry's floor, :data:`~forecasting.schema.EARLIEST_TIMESTAMP`), ``date more than 10 years
after today`` (past the longest plan), ``unknown workload class``, ``unknown region`` (in
neither the telemetry nor the capacity plan, once telemetry is loaded), ``not an integer``,
``lower_window above 0``, ``upper_window below 0``, ``window longer than 366 days``,
``announced after the event's date``, ``announced after today``. Good rows are kept; within a
file the later row of an event (same name, date and scope) wins, and each earlier one is named
in :attr:`EventsRead.duplicate_rows` with the row that replaced it.

An event's kind is one name however it is typed: a kind spelt differently from another only in
case or separators (``Model Launch``, ``model_launch`` beside ``model-launch``) is read as the
spelling with the most rows in the file and the calendars already loaded (:func:`read_events`'s
``known_kinds``), with a note (:attr:`EventsRead.respelled`); it would otherwise be a kind of
its own, with no past occurrence to learn from.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from forecasting.errors import delimiter_hint, text_misnamed
from forecasting.rules import BAD_QUOTES, TOO_MANY_FIELDS, csv_line, every_failure, first_failure
from forecasting.schema import EARLIEST_TIMESTAMP, EVENTS_SCHEMA, LEVELS, WorkloadClass

__all__ = [
    "EVENT_KEY",
    "REQUIRED_COLUMNS",
    "EventsFileError",
    "EventsRead",
    "events_for_series",
    "holidays_known_by",
    "kind_spelling",
    "kinds_without_past",
    "read_events",
]

EVENT_KEY: tuple[str, ...] = ("event", "date", *LEVELS)
REQUIRED_COLUMNS: tuple[str, ...] = ("event", "date")
_DATES = ("date", "announced")
_WINDOWS = ("lower_window", "upper_window")
_MAX_WINDOW = 366
# The longest plan reaches 120 months (ForecastOptions.horizon_months): an event dated later
# touches no forecast, so such a date is a placeholder (9999-12-25) or a typo, not a plan.
MAX_YEARS_AHEAD = 10
_EARLIEST_DAY = EARLIEST_TIMESTAMP.date()
_ROW = "row_number"
_FAULTS = "__faults"  # every rule a row breaks (rules.every_failure)
_CLASSES = tuple(c.value for c in WorkloadClass)


class EventsFileError(ValueError):
    """The events file as a whole cannot be read; the message names it and the fix."""


@dataclass(frozen=True, slots=True)
class EventsRead:
    """The good events of one file, and the refused rows with their reasons."""

    path: Path
    events: pl.DataFrame  # EVENTS_SCHEMA
    problems: pl.DataFrame  # row_number, column, rule, value
    duplicates: int  # rows replaced by a later row of the same event
    # The replaced rows (row_number, column, rule, value): each names the row that won.
    duplicate_rows: pl.DataFrame
    ignored_columns: tuple[str, ...]
    # Per refused row: its row number and the key cells read from it (EVENT_KEY columns; a
    # column absent could not be read, a None scope is "every value"), so a reload can tell
    # which stored event the broken row is.
    refused_keys: tuple[tuple[int, dict[str, Any]], ...] = ()
    # One note per kind read under another spelling (case or separators).
    respelled: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        """The file's data rows: loaded, refused and replaced by a later duplicate."""
        return self.events.height + self.refused_rows + self.duplicates

    @property
    def refused_rows(self) -> int:
        """The rows refused: a row with several faults is one (``problems`` has each fault)."""
        return self.problems[_ROW].n_unique()


def kind_spelling(kind: str) -> str:
    """A kind in one spelling: lower case, runs of blanks, '_' and '.' as one '-'."""
    return re.sub(r"[\s_.-]+", "-", kind.strip().lower()).strip("-")


def _respelled(
    judged: pl.DataFrame, known_kinds: Mapping[str, int]
) -> tuple[dict[str, str], list[str]]:
    """Each kind of the file that another spelling (case, separators) of it outnumbers, to that
    spelling, and one note per kind so read. The spelling with the most rows in the file and
    ``known_kinds`` (other calendars) wins; a tie goes to the one already in one spelling."""
    rows: dict[str, int] = dict(known_kinds)
    in_file: dict[str, list[int]] = {}
    for i, kind in judged.select(_ROW, "event").iter_rows():
        if kind is not None:
            rows[kind] = rows.get(kind, 0) + 1
            in_file.setdefault(kind, []).append(i)
    groups: dict[str, list[str]] = {}
    for kind in rows:
        groups.setdefault(kind_spelling(kind), []).append(kind)
    mapping: dict[str, str] = {}
    notes = []
    for spelt, names in groups.items():
        if len(names) < 2:
            continue
        best = max(sorted(names), key=lambda k: (rows[k], k == spelt))
        for kind in names:
            if kind == best or kind not in in_file:
                continue
            mapping[kind] = best
            notes.append(
                f"event kind {kind!r} ({_rows_named(in_file[kind])}) is read as {best!r} "
                f"({rows[best]:,} row(s) in the calendars): spelt differently only in case or "
                "separators, it would be a kind of its own, its effect learnt apart; write "
                f"{best!r}"
            )
    return mapping, notes


def _rows_named(rows: list[int]) -> str:
    """'row 3' or 'rows 3, 7, 9 and 2 more'."""
    shown = ", ".join(map(str, rows[:3]))
    more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


# A CSV line's own fault, found before its cells are read (columns of the raw frame).
_LINE_RULE = "__line_rule"
_LINE = "__line"
_TOO_FEW = "too few fields"
_LINE_RULES = {
    TOO_MANY_FIELDS: "the row has more fields than the header (a comma inside a field?): quote "
    "that field, or remove the extra ones",
    _TOO_FEW: "the row has fewer fields than the header: the scope it leaves out would read as "
    "every region, class and customer; write every column, blank where it spans all",
    BAD_QUOTES: "malformed quoting: a quote opened and not closed, or text after a closing quote",
}


def _csv_raw(path: Path) -> pl.DataFrame:
    """A CSV file's rows as text, read a line at a time: a line with too many or too few
    fields, or broken quoting, is one bad row (``_LINE_RULE``), and every other row is judged
    as usual. A whole-file reader refused the file for one long row, and read a short row as
    an event spanning every region."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        numbered = [(i, line) for i, line in enumerate(handle.read().splitlines()) if line.strip()]
    if not numbered:
        raise EventsFileError(f"{path}: empty file; an events file starts with a header line")
    # A blank line is skipped but counted: row N stays line N + 1 below the header's line, as
    # telemetry, contracts and the outage calendar number theirs (a bad date on line 5 after a
    # blank read "row 3", another event's line).
    first = numbered[0][0]
    rows = [i - first for i, _ in numbered[1:]]
    lines = [line for _, line in numbered]
    # Any case, as telemetry's header: "Region" failed the whole file.
    header = [name.strip().lower() for name in next(csv.reader([lines[0]]))]
    # The last of two same-named columns was read without a word: refused, as telemetry and
    # the outage calendar refuse a column they read named twice (an unread one is ignored).
    twice = sorted({c for c in header if header.count(c) > 1 and c in EVENTS_SCHEMA.names()})
    if twice:
        raise EventsFileError(f"{path}: header names {twice} more than once; keep one of each")
    cells: list[list[str | None]] = []
    rules: list[str | None] = []
    for text in lines[1:]:
        fields, rule = csv_line(text, len(header))
        if rule is None and len(fields) < len(header):
            rule = _TOO_FEW
        cells.append([*fields[: len(header)], *[None] * (len(header) - len(fields))])
        rules.append(rule)
    columns = {name: [row[i] for row in cells] for i, name in enumerate(header)}
    return pl.DataFrame(
        {**columns, _LINE_RULE: rules, _LINE: lines[1:], _ROW: rows},
        schema={**dict.fromkeys([*header, _LINE_RULE, _LINE], pl.String), _ROW: pl.UInt32},
    )


def _raw(path: Path) -> pl.DataFrame:
    """Every column of the file as text, so each cell can be judged and quoted back."""
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz")):
            return _csv_raw(path)
        if name.endswith((".parquet", ".pq")):
            frame = pl.read_parquet(path)
            return frame.select(_parquet_text(frame[c]) for c in frame.columns)
    except (pl.exceptions.PolarsError, OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        decode = isinstance(exc, UnicodeDecodeError)
        why = text_misnamed(path) if decode else None
        raise EventsFileError(
            f"{path}: {why or f'cannot be read as an events file: {exc}'}"
        ) from exc
    raise EventsFileError(f"{path}: events files are .csv, .csv.gz or .parquet")


def _parquet_text(column: pl.Series) -> pl.Expr:
    """A Parquet column as the text a CSV would hold. pandas writes a date column as
    midnight timestamps and an integer column with blanks as floats: every row of such a
    calendar was refused, "date not ISO-8601" beside "2026-11-05 00:00:00.000000" and "not
    an integer" beside "0.0". A midnight is its day, an integral float its integer; a time
    of day, a fraction or a boolean still reads as the text it is, and is refused as such."""
    cell = pl.col(column.name)
    if isinstance(column.dtype, pl.Datetime):
        midnight = cell.dt.time() == pl.time(0)
        return (
            pl.when(midnight).then(cell.dt.date().cast(pl.String)).otherwise(cell.cast(pl.String))
        )
    if column.dtype.is_float():
        whole = cell.is_finite() & (cell == cell.round())
        return (
            pl.when(whole)
            .then(cell.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(cell.cast(pl.String))
        )
    return cell.cast(pl.String)


def _text(column: str) -> pl.Expr:
    """The cell stripped of surrounding blanks and invisible format characters (Unicode Cf),
    as telemetry's names are ('acme\u200b' scoped an event to no series); blank cells and
    absent columns are null."""
    cell = pl.col(column).str.replace_all(r"^[\s\p{Cf}]+|[\s\p{Cf}]+$", "")
    return pl.when(cell != "").then(cell)


def _latest_plausible(today: date) -> date:
    """The last event date a plan can reach: ``MAX_YEARS_AHEAD`` years after ``today``."""
    try:
        return today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)


def _unknown_region_rule(region: str, regions: Collection[str], planned: Collection[str]) -> str:
    """The rule refusing ``region``, in neither the telemetry (``regions``) nor the plan
    (``planned``), as the contracts loader words it, with the nearest known name."""
    told = ", ".join(sorted(regions))
    greenfield = sorted(set(planned) - set(regions))
    if greenfield:
        told += f" with telemetry, or {', '.join(greenfield)} of the capacity plan"
    known = sorted({*regions, *planned})
    by_lower = {k.lower(): k for k in known}
    # 0.8, as for contracts and customers: a typo, not a shared prefix.
    near = by_lower.get(region.lower()) or next(
        iter(difflib.get_close_matches(region, known, n=1, cutoff=0.8)), None
    )
    hint = f"; did you mean {near!r}?" if near else ""
    return (
        f"unknown region (expected one of {told}{hint}): the event would touch no series; fix "
        "the name, or leave region blank for every region"
    )


def _region_checks(
    raw: pl.DataFrame, regions: Collection[str] | None, planned: Collection[str]
) -> list[tuple[str, str, pl.Expr, pl.Expr]]:
    """One check per region of the file in neither ``regions`` (the telemetry's; None: not
    judged, as before any telemetry) nor ``planned``: an event there could never apply."""
    if regions is None or "region" not in raw.columns:
        return []
    cell = _text("region")
    found = raw.select(cell.alias("region")).drop_nulls().unique()["region"].to_list()
    return [
        ("region", _unknown_region_rule(r, regions, planned), cell == r, cell)
        for r in sorted(found)
        if r not in regions and r not in planned
    ]


def _judged(
    raw: pl.DataFrame,
    *,
    today: date,
    region_checks: list[tuple[str, str, pl.Expr, pl.Expr]] | None = None,
) -> pl.DataFrame:
    """The raw rows with typed columns and the first rule each one breaks (null: none)."""
    numbered = raw if _ROW in raw.columns else raw.with_row_index(_ROW, offset=1)
    frame = numbered.with_columns(
        pl.lit(None, pl.String).alias(c)
        for c in (*EVENTS_SCHEMA, _LINE_RULE, _LINE)
        if c not in raw.columns
    )
    text = {c: _text(c) for c in EVENTS_SCHEMA}
    latest = _latest_plausible(today)
    dates = {c: text[c].str.to_date("%Y-%m-%d", strict=False) for c in _DATES}
    windows = {c: text[c].str.to_integer(strict=False) for c in _WINDOWS}
    checks = [
        # First: a line whose fields do not line up has no cell worth judging.
        *(
            ("(row)", rule, pl.col(_LINE_RULE) == key, pl.col(_LINE))
            for key, rule in _LINE_RULES.items()
        ),
        *((c, "missing value", text[c].is_null(), pl.lit("")) for c in REQUIRED_COLUMNS),
        *(
            (c, "date not ISO-8601 (YYYY-MM-DD)", text[c].is_not_null() & d.is_null(), text[c])
            for c, d in dates.items()
        ),
        *(
            (
                c,
                f"date before {_EARLIEST_DAY} (a zero or epoch default?)",
                d < _EARLIEST_DAY,
                text[c],
            )
            for c, d in dates.items()
        ),
        (
            "date",
            f"date more than {MAX_YEARS_AHEAD} years after today (after {latest}): past every "
            "plan's horizon, a placeholder or a typo",
            dates["date"] > latest,
            text["date"],
        ),
        (
            "workload_class",
            f"unknown workload class (expected one of {', '.join(_CLASSES)})",
            text["workload_class"].is_not_null() & ~text["workload_class"].is_in(_CLASSES),
            text["workload_class"],
        ),
        *(region_checks or []),
        *(
            (c, "not an integer", text[c].is_not_null() & w.is_null(), text[c])
            for c, w in windows.items()
        ),
        ("lower_window", "lower_window above 0", windows["lower_window"] > 0, text["lower_window"]),
        ("upper_window", "upper_window below 0", windows["upper_window"] < 0, text["upper_window"]),
        *(
            (c, f"window longer than {_MAX_WINDOW} days", w.abs() > _MAX_WINDOW, text[c])
            for c, w in windows.items()
        ),
        (
            "announced",
            "announced after the event's date: an event is known by the day it happens at the "
            "latest; set announced to that day or earlier, or leave it blank",
            dates["announced"] > dates["date"],
            text["announced"],
        ),
        (
            "announced",
            f"announced after today ({today}): an announcement is a day that has passed",
            dates["announced"] > today,
            text["announced"],
        ),
    ]
    lined = len(_LINE_RULES)
    # A line whose fields do not line up has only its own fault: its cells are not judged.
    cells = [(c, r, bad & pl.col(_LINE_RULE).is_null(), v) for c, r, bad, v in checks[lined:]]
    return frame.select(
        _ROW,
        *(text[c].alias(c) for c in ("event", *LEVELS, "description")),
        *(d.alias(c) for c, d in dates.items()),
        *(w.fill_null(0).alias(c) for c, w in windows.items()),
        *first_failure(checks),
        every_failure([*checks[:lined], *cells]).alias(_FAULTS),
    )


def _problems(refused: pl.DataFrame) -> pl.DataFrame:
    """Every fault of each refused row (row_number, column, rule, value), row by row in the
    rules' order: it said the first alone, the next met one load at a time."""
    return (
        refused.select(_ROW, _FAULTS)
        .explode(_FAULTS)
        .unnest(_FAULTS)
        .select(_ROW, "column", "rule", "value")
    )


def _duplicate_rows(good: pl.DataFrame) -> pl.DataFrame:
    """Each good row a later row of the same event (name, date, scope) replaces, naming that
    row and whether the two differ: a repeat is harmless, a conflict loses the earlier values."""
    kept: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in reversed(good.to_dicts()):
        kept.setdefault(tuple(row[c] for c in EVENT_KEY), row)
    others = [c for c in EVENTS_SCHEMA if c not in EVENT_KEY]
    found = []
    for row in good.to_dicts():
        winner = kept[tuple(row[c] for c in EVENT_KEY)]
        if winner[_ROW] == row[_ROW]:
            continue
        differ = [c for c in others if row[c] != winner[c]]
        rule = (
            f"duplicate of row {winner[_ROW]} (same event, date and scope) with other values "
            f"in {', '.join(differ)}: row {winner[_ROW]} is kept; delete the row you do not mean"
            if differ
            else f"repeats row {winner[_ROW]} exactly (same event, date and scope): row "
            f"{winner[_ROW]} is kept"
        )
        found.append(
            {
                _ROW: row[_ROW],
                "column": "(row)",
                "rule": rule,
                "value": f"{row['event']} {row['date']}",
            }
        )
    schema = {_ROW: pl.UInt32, "column": pl.String, "rule": pl.String, "value": pl.String}
    return pl.DataFrame(found, schema=schema)


def _refused_keys(refused: pl.DataFrame) -> tuple[tuple[int, dict[str, Any]], ...]:
    """Per refused row, the EVENT_KEY cells that can be read: not the cell at fault, no cell of
    a line whose fields do not line up, no date that is not one, no unknown class."""
    found: list[tuple[int, dict[str, Any]]] = []
    for row in refused.iter_rows(named=True):
        if row["column"] == "(row)":
            found.append((row[_ROW], {}))
            continue
        # Every cell at fault, not only the first's.
        faulted = {f["column"] for f in row[_FAULTS]}
        known = {
            c: row[c]
            for c in EVENT_KEY
            if c not in faulted
            and not (c in ("event", "date") and row[c] is None)
            and not (c == "workload_class" and row[c] is not None and row[c] not in _CLASSES)
        }
        found.append((row[_ROW], known))
    return tuple(found)


def read_events(
    path: Path,
    *,
    today: date | None = None,
    known_kinds: Mapping[str, int] | None = None,
    regions: Collection[str] | None = None,
    planned: Collection[str] = (),
) -> EventsRead:
    """The events of one calendar file; bad rows come back in ``problems``, never silently.

    ``today`` (default: the UTC clock's) bounds ``announced`` and how far ahead a date may be.
    ``known_kinds`` counts the rows of each kind in the other calendars loaded: a kind spelt
    differently only in case or separators is read as the spelling with the most rows.
    ``regions`` (the telemetry's; None: not judged) and ``planned`` (the capacity plan's): a
    row naming a region in neither is refused, as the contracts loader refuses one."""
    raw = _raw(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        optional = [c for c in EVENTS_SCHEMA if c not in REQUIRED_COLUMNS]
        # The file's own columns: the reader's bookkeeping ones were listed as found too.
        found = [c for c in raw.columns if c not in (_LINE_RULE, _LINE, _ROW)]
        raise EventsFileError(
            f"{path}: missing required column(s) {missing}; an events file needs "
            f"{list(REQUIRED_COLUMNS)} and may have {optional}; found {found}."
            + delimiter_hint(found)
        )
    judged = _judged(
        raw,
        today=today or datetime.now(UTC).date(),
        region_checks=_region_checks(raw, regions, planned),
    )
    mapping, respelled = _respelled(judged, known_kinds or {})
    if mapping:
        judged = judged.with_columns(pl.col("event").replace(mapping))
    good = judged.filter(pl.col("rule").is_null())
    events = good.unique(EVENT_KEY, keep="last", maintain_order=True).sort(_ROW)
    return EventsRead(
        path=path,
        events=events.select(EVENTS_SCHEMA.names()).cast(EVENTS_SCHEMA),
        problems=_problems(judged.filter(pl.col("rule").is_not_null())),
        duplicates=good.height - events.height,
        duplicate_rows=_duplicate_rows(good),
        ignored_columns=tuple(
            c for c in raw.columns if c not in EVENTS_SCHEMA and c not in (_LINE_RULE, _LINE, _ROW)
        ),
        refused_keys=_refused_keys(judged.filter(pl.col("rule").is_not_null())),
        respelled=tuple(respelled),
    )


def events_for_series(
    events: pl.DataFrame,
    *,
    region: str | None,
    workload_class: str | None,
    customer: str | None,
) -> pl.DataFrame:
    """The events whose scope overlaps a series' scope (None: the series spans every value).

    An event in one region touches that region's series and every aggregate containing them
    (the total's demand moves too); it does not touch another region's series.
    """
    scope = {"region": region, "workload_class": workload_class, "customer": customer}
    overlaps = [
        pl.col(level).is_null() | (pl.col(level) == value)
        for level, value in scope.items()
        if value is not None
    ]
    return events.filter(*overlaps) if overlaps else events


def kinds_without_past(
    events: pl.DataFrame, kinds: Collection[str], *, first: date | None, last: date
) -> list[str]:
    """One warning per kind of ``kinds`` with a date after ``last`` (the newest telemetry day,
    or today) and no occurrence in ``events`` from ``first`` (the oldest telemetry day; None:
    any) to ``last``: Prophet learns a kind's effect from its occurrences inside the history,
    so its future dates change no forecast."""
    warnings = []
    for kind in sorted(set(kinds)):
        dates = events.filter(pl.col("event") == kind)["date"]
        future = sorted(d for d in dates.to_list() if d > last)
        past = [d for d in dates.to_list() if d <= last and (first is None or d >= first)]
        if not future or past:
            continue
        since = f"from {first} " if first is not None else ""
        shown = ", ".join(map(str, future[:3])) + (" ..." if len(future) > 3 else "")
        warnings.append(
            f"event kind {kind!r} has no occurrence {since}to {last} in the calendars loaded: "
            f"Prophet cannot learn its effect, so its future date(s) {shown} change no "
            "forecast; add its past occurrences, or spell it as a kind that has them"
        )
    return warnings


def holidays_known_by(events: pl.DataFrame, day: date) -> pl.DataFrame:
    """Events as Prophet holidays (``event``, ``ds``, windows), as known on ``day``."""
    return events.filter(pl.col("announced").is_null() | (pl.col("announced") <= day)).select(
        "event", pl.col("date").alias("ds"), "lower_window", "upper_window"
    )
