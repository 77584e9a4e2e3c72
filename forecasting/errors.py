"""A pydantic validation error's rule as a reader of fleetcast's messages should see it, and
the errors the CLI says in one line that have no heavier module of their own.

Kept free of heavy imports: the CLI formats its usage errors with it before loading polars.
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

__all__ = [
    "GZIP_MAGIC",
    "XLSX_MAGIC",
    "XLS_MAGIC",
    "PublishError",
    "column_name_hint",
    "date_time_for_date",
    "delimiter_hint",
    "gzip_misnamed",
    "is_gzip",
    "meant_field",
    "not_a_number",
    "rule_text",
    "text_misnamed",
    "toml_text",
    "wide_encoded",
    "wide_encoding",
    "workbook_misnamed",
]

# The first two bytes of every gzip stream (RFC 1952): what telemetry ingest and the readers
# of calendars, books and plans tell a gzip file by, whatever its name.
GZIP_MAGIC = b"\x1f\x8b"


class PublishError(RuntimeError):
    """Pages could not be written under the reports folder; the message names the folder, the
    OS's reason and what was stored."""


def rule_text(error: Mapping[str, Any], *, quote: bool = True) -> str:
    """A pydantic error's rule, without the "Value error, " prefix pydantic puts before a
    validator's own message, and with the input quoted back once (``quote``) unless the
    message already quotes it."""
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    if not quote or isinstance(given, dict) or _quoted(given, message):
        return message
    if isinstance(given, bool):
        # As TOML writes it, once: "must be a number, not true (got True)" said it twice, the
        # second time in Python's spelling.
        shown = toml_text(given)
        return message if re.search(rf"\b{shown}\b", message) else f"{message} (got {shown})"
    if isinstance(given, list | tuple | date):
        # As the file wrote it: a list of tables read "[{'on': datetime.date(2027, 6, 1), ...".
        return f"{message} (got {toml_text(given)})"
    return f"{message} (got {given!r})"


def _quoted(given: object, message: str) -> bool:
    """Whether ``message`` already quotes ``given``. A number is not quoted by the bound it
    meets: "gpus = 0" read "Input should be greater than 0", and that 0 was taken for the
    value quoted."""
    text = repr(given)
    if isinstance(given, date | time):
        # As TOML writes it (2025-10-12T00:00:00), which the message quotes.
        return given.isoformat() in message
    if isinstance(given, int | float) and not isinstance(given, bool):
        alone = rf"(?<![\w.-])(?<!than )(?<!to ){re.escape(text)}(?![\w.])"
        return re.search(alone, message) is not None
    return text in message


def meant_field(given: str, fields: Sequence[str]) -> str | None:
    """The one of ``fields`` a misspelt ``given`` was likely meant to be (None: none is near):
    one that differs only in case or separators first ("GPUs" is gpus, which difflib's ratio
    missed), then the closest spelling. One rule for every TOML file fleetcast reads (the
    capacity plan, drill files)."""
    plain = re.sub(r"[\s\-.]+", "_", given.strip().lower())
    if plain in fields:
        return plain
    close = difflib.get_close_matches(given, fields, n=1, cutoff=0.6)
    return close[0] if close else None


def not_a_number(text: str) -> str:
    """The rule a number written as ``text`` breaks, with what to write where it has a
    decimal comma (a European "0,5" read "not a number" alone, where telemetry names the
    comma)."""
    if re.fullmatch(r"[+-]?\d+,\d+", text.strip()):
        fixed = text.strip().replace(",", ".")
        return f"not a number: a decimal comma ({text.strip()})? write a point ({fixed})"
    return "not a number"


# A date-time written as text (2025-10-26T00:00:00, 2025-10-26 00:00, with or without zone).
_ISO_DATE_TIME_TEXT = re.compile(r"(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}.*")


def date_time_for_date(value: object) -> str | None:
    """The rule a date-time (or a bare time) breaks where a day goes, with the day to write;
    None for anything else. One rule for every date of capacity.toml and of the contract book:
    refused, midnight or not, with or without a zone, since a plan's and a book's dates are
    days (``in_service = 2025-10-26T00:00:00`` loaded as the 26th without a word, while
    05:00 was refused and the book refused both)."""
    if isinstance(value, datetime):
        day, written = value.date().isoformat(), repr(value.isoformat())
    elif isinstance(value, time):
        return (
            f"a time of day ({value.isoformat()!r}) where a date goes: write the day alone, "
            "YYYY-MM-DD (2027-06-01)"
        )
    elif isinstance(value, str) and (match := _ISO_DATE_TIME_TEXT.fullmatch(value.strip())):
        day, written = match.group(1), repr(value.strip())
    else:
        return None
    return f"a date-time ({written}) where a date goes: write the day alone, {day} (dates are days)"


def toml_text(value: object) -> str:
    """``value`` as a TOML file writes it: ``[{ on = 2027-06-01, mw = 10.0 }]``, not Python's
    repr; what TOML cannot hold is given as its repr."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date | int | float):
        return value.isoformat() if isinstance(value, date) else repr(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_text(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_text(v) for v in value) + "]"
    return repr(value)


def is_gzip(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) opens a gzip stream."""
    return head.startswith(GZIP_MAGIC)


def gzip_misnamed(path: Path) -> str | None:
    """Why a file read as text cannot be, when it is gzip data under a name without .gz, with
    the fix; None otherwise, or when it cannot be read (its reader says why). Its bytes read
    as UTF-8 fail on the second ("'utf-8' codec can't decode byte 0x8b"), which never said
    the file was compressed."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(GZIP_MAGIC))
    except OSError:
        return None
    if path.name.lower().endswith(".gz") or not is_gzip(head):
        return None
    # gunzip leaves a name without .gz alone ("unknown suffix -- ignored"): rename it first.
    named, packed = shlex.quote(str(path)), shlex.quote(f"{path}.gz")
    return (
        f"gzip data in a file named {path.suffix or path.name}: gunzip it first "
        f"(mv {named} {packed} && gunzip {packed})"
    )


# Byte-order marks of the wide encodings: Windows PowerShell writes UTF-16 by default, and
# read as UTF-8 such a file failed on "'utf-8' codec can't decode byte 0xff in position 0".
_WIDE_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def wide_encoding(head: bytes) -> str | None:
    """The wide encoding (UTF-16 or UTF-32) that ``head``, a text file's first bytes, is
    written in, or None. Without a byte-order mark, one NUL in the first two bytes is UTF-16's
    half of an ASCII character."""
    encoding = next((name for bom, name in _WIDE_BOMS.items() if head.startswith(bom)), None)
    if encoding is None and head[:2].count(0) == 1:
        encoding = "UTF-16 (no byte-order mark)"
    return encoding


def wide_encoded(path: Path) -> str | None:
    """Why a file read as text cannot be, when it is UTF-16 or UTF-32, with the fix; None
    otherwise, or when it cannot be read (its reader says why)."""
    try:
        with path.open("rb") as fh:
            encoding = wide_encoding(fh.read(4))
    except OSError:
        return None
    if encoding is None:
        return None
    return (
        f"the file is {encoding}, not UTF-8: save it as UTF-8 (PowerShell: Out-File -Encoding "
        "utf8, or Export-Csv -Encoding utf8) and load it again"
    )


# Delimiters an export may use instead of ',', as a reader names them.
_DELIMITERS = {";": "';'", "\t": "a tab", "|": "'|'"}


def delimiter_hint(header: list[str]) -> str:
    """ " The header is one column: ..." when ``header`` (the names read with ',') is one name
    holding another delimiter (';' from a European Excel, a tab, '|'), naming it and what to
    write; "" otherwise. It read "something other than ','", which left the reader to find
    which, and not what to do."""
    if len(header) != 1:
        return ""
    found = [name for sep, name in _DELIMITERS.items() if sep in header[0]]
    if not found:
        return ""
    return (
        f" The header is one column: the file is delimited by {found[0]}, not ',' (a European "
        "Excel export writes ';'): export it comma-separated (Excel: Save As 'CSV UTF-8 (Comma "
        "delimited)')."
    )


def _plain_name(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", name.strip().lower()).strip("_")


def column_name_hint(found: list[str], expected: list[str]) -> str:
    """ " Column 'Workload Class' reads as 'workload_class': rename it so." for each name of
    ``found`` (a file's header) that is an ``expected`` one written with spaces, hyphens or
    dots for its underscores; "" when none is. Names match whatever their case, not their
    separators (a name is never guessed at): the file failed naming the column it missed
    beside the one it had, and nothing said they were one."""
    plain = {_plain_name(e): e for e in expected}
    pairs = [
        (name, plain[_plain_name(name)])
        for name in found
        if _plain_name(name) in plain and name.strip().lower() != plain[_plain_name(name)]
    ]
    return "".join(
        f" Column {name!r} reads as {want!r}: rename it so (names match whatever their case, "
        "not their spaces)."
        for name, want in pairs
    )


# Spreadsheet workbooks under a text name: a ZIP archive (.xlsx) or an OLE2 compound file
# (Excel 97-2003's .xls). Read as text, their bytes were listed as the header's columns or
# failed on "'utf-8' codec can't decode byte 0xd0".
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def workbook_misnamed(path: Path) -> str | None:
    """Why a file read as text cannot be, when it is an Excel workbook (.xlsx or .xls), with
    the fix; None otherwise, or when it cannot be read (its reader says why)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(XLS_MAGIC))
    except OSError:
        return None
    if head.startswith(XLS_MAGIC):
        what = "an Excel 97-2003 workbook (.xls), not text"
    elif head.startswith(XLSX_MAGIC):
        what = "a ZIP archive, not text (an Excel workbook, .xlsx, saved under a text name?)"
    else:
        return None
    return f"the file is {what}: export the sheet as CSV UTF-8 and load that"


def text_misnamed(path: Path) -> str | None:
    """Why a file that a text reader could not decode is not UTF-8 text (gzip data, a wide
    encoding, a workbook), with the fix; None when it is none of them."""
    return gzip_misnamed(path) or wide_encoded(path) or workbook_misnamed(path)
