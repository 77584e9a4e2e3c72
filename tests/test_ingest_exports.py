"""Ingest of telemetry exported by spreadsheets, BI tools and scripts: what such files carry
(byte-order marks, other spellings, stray columns, JSON written as one document) and what the
user reads back: every good row loaded, every bad one named by row, column and rule."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from telemetry_files import HEADER, csv_text

from forecasting import ingest
from forecasting.warehouse import Warehouse, connect

GOOD = "2025-03-01T00:00:00Z,eu-west,c1,inference,acme,H100,10,1"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
BOM = "\ufeff"


def run(wh: Warehouse, path: Path) -> ingest.IngestResult:
    return ingest.ingest_file(wh, path, now=NOW)


def rules(wh: Warehouse) -> dict[int, tuple[str, str]]:
    q = wh.quarantine()
    return {r["row_number"]: (r["column"], r["rule"]) for r in q.iter_rows(named=True)}


SWAPPED = HEADER.replace("gpus_running,gpus_queued", "gpus_queued,gpus_running")


@pytest.mark.parametrize(
    "inner",
    [
        pytest.param(BOM + SWAPPED, id="bom"),
        pytest.param(SWAPPED.replace("gpus_queued", "GPUs_Queued"), id="mixed-case"),
        pytest.param(SWAPPED.replace(",", ", "), id="spaces"),
        pytest.param(",".join(f'"{c}"' for c in SWAPPED.split(",")), id="quoted"),
    ],
)
@pytest.mark.parametrize("by_line", [False, True], ids=["fast", "by-line"])
def test_an_inner_header_spelt_as_exporters_write_it_is_still_a_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inner: str, by_line: bool
) -> None:
    """Two exports joined with `cat`, each starting with a byte-order mark (Excel's "CSV
    UTF-8"), or the second spelling its header in another case or with spaces: the inner
    header was not seen as one. It was quarantined as "unknown workload class", and the rows
    under it, whose columns come in another order, loaded into the wrong columns (a customer
    running 23.6 GPUs with 3 queued stored as 3 running and 23.6 queued)."""
    if by_line:
        monkeypatch.setattr(
            ingest, "_csv_records", lambda *_, **__: ingest.CsvRecords(-1, (), True)
        )
    path = tmp_path / "joined.csv"
    path.write_text(
        BOM
        + csv_text(GOOD)
        + inner
        + "\n2025-03-01T01:00:00Z,eu-west,c1,inference,beta,H100,3,23.6\n",
        encoding="utf-8",
    )
    with connect(tmp_path / "w.duckdb") as wh:
        result = run(wh, path)
        assert result.status == "loaded" and result.entry is not None
        assert wh.telemetry()["gpus_running"].to_list() == [10.0]
        said = rules(wh)
        assert said[2] == ("(row)", ingest._LINE_RULES[ingest._HEADER_AGAIN])
        assert said[3] == ("(row)", ingest._LINE_RULES[ingest._REORDERED])


def test_a_column_not_read_named_twice_is_ignored_and_the_rows_load(
    wh: Warehouse, tmp_path: Path
) -> None:
    """A BI export with two "notes" columns (neither read by ingest) failed the whole file
    with "header names ['notes'] more than once" and loaded none of its good rows: both are
    ignored and noted as extra columns. A column ingest reads, named twice, still fails the
    file naming it: which of the two holds the GPUs cannot be guessed."""
    path = tmp_path / "bi.csv"
    path.write_text(csv_text(f"{GOOD},a,b", header=f"{HEADER},notes,notes"), encoding="utf-8")
    result = run(wh, path)
    assert result.status == "loaded" and result.entry is not None
    assert result.entry.loaded == 1
    assert result.notes == ("ignored extra column(s): notes, notes (column 10)",)
    twice = tmp_path / "twice.csv"
    twice.write_text(csv_text(f"{GOOD},5", header=f"{HEADER},gpus_running"), encoding="utf-8")
    result = run(wh, twice)
    assert result.status == "failed"
    assert "header names ['gpus_running'] more than once" in (result.message or "")


def test_joined_exports_with_a_column_named_twice_load_under_their_inner_header(
    wh: Warehouse, tmp_path: Path
) -> None:
    """The rows under an inner header of the same columns load, whatever their ignored
    extra columns are named (the second "notes" is known by its position)."""
    header = f"{HEADER},notes,notes"
    path = tmp_path / "joined.csv"
    later = GOOD.replace("T00", "T01")
    path.write_text(csv_text(f"{GOOD},a,b", header, f"{later},c,d", header=header))
    result = run(wh, path)
    assert result.entry is not None and result.entry.loaded == 2
    assert rules(wh) == {2: ("(row)", ingest._LINE_RULES[ingest._HEADER_AGAIN])}


RECORD = (
    '{"ts": "2025-03-01T00:00:00Z", "region": "eu-west", "cluster": "c1", "workload_class": '
    '"inference", "customer": "acme", "gpu_type": "H100", "gpus_running": 10, "gpus_queued": 1}'
)


def _pretty(*records: str, array: bool) -> str:
    objects = [json.dumps(json.loads(r), indent=2) for r in records]
    return ("[\n" + ",\n".join(objects) + "\n]" if array else "\n".join(objects)) + "\n"


@pytest.mark.parametrize(
    ("text", "start"),
    [
        pytest.param(f"[{RECORD}, {RECORD}]", "[{", id="array-on-one-line"),
        pytest.param(f"[\n{RECORD},\n{RECORD},\n{RECORD}\n]\n", "[", id="array-by-line"),
        pytest.param(_pretty(RECORD, RECORD, array=True), "[", id="json-dump-indent"),
        pytest.param(_pretty(RECORD, RECORD, array=False), "{", id="jq-pretty"),
        pytest.param(f"{RECORD},\n{RECORD},\n", "followed by ','", id="trailing-commas"),
    ],
)
def test_json_written_as_one_document_is_refused_as_such(
    wh: Warehouse, tmp_path: Path, text: str, start: str
) -> None:
    """A .jsonl file holding one JSON document (an array, `json.dump` or `jq .` output) or
    objects followed by commas failed with "missing required column(s) [all of them] ...
    found []", which sent the reader looking for misnamed keys; an array of one object per
    line loaded its last object alone and quarantined the others. The file is refused whole:
    the message says it is not JSON Lines, quotes its first line and gives the fix."""
    path = tmp_path / "export.jsonl"
    path.write_text(text, encoding="utf-8")
    result = run(wh, path)
    assert result.status == "failed"
    message = result.message or ""
    assert "missing required column" not in message
    assert "not JSON Lines" in message and start in message
    assert "jq -c" in message


@pytest.mark.parametrize(
    ("above", "said"),
    [
        pytest.param(["sep=,"], "line 1 reads 'sep=,'", id="excel-sep-line"),
        pytest.param(
            ["GPU usage report,generated 2025-03-02", ""],
            "line 1 reads 'GPU usage report,generated 2025-03-02'",
            id="title-and-blank",
        ),
    ],
)
def test_a_header_below_a_title_line_is_pointed_at(
    wh: Warehouse, tmp_path: Path, above: list[str], said: str
) -> None:
    """A spreadsheet export with a title line, or Excel's "sep=," line, above the header
    failed with "missing required column(s) [all of them] ... found ['sep=']", as if the
    columns were misnamed: the message says which line holds the header and what to delete."""
    path = tmp_path / "report.csv"
    path.write_text("\n".join(above) + "\n" + csv_text(GOOD), encoding="utf-8")
    result = run(wh, path)
    assert result.status == "failed"
    message = result.message or ""
    line = len(above) + 1
    assert f"The header is on line {line}: delete the {line - 1} line(s) above it" in message
    assert said in message


def test_an_rfc_3339_timestamp_in_lower_case_loads(wh: Warehouse, tmp_path: Path) -> None:
    """RFC 3339 lets a timestamp write its "T" and "Z" in lower case (as some loggers do):
    "2025-03-01t01:00:00z" was quarantined as "timestamp not ISO-8601" while its "Z" form
    loaded."""
    path = tmp_path / "lower.csv"
    later = GOOD.replace("2025-03-01T00:00:00Z", "2025-03-01t01:00:00z")
    path.write_text(csv_text(GOOD, later), encoding="utf-8")
    result = run(wh, path)
    assert result.entry is not None and result.entry.loaded == 2, rules(wh)
    assert wh.telemetry()["ts"].dt.hour().to_list() == [0, 1]


def test_a_quarantined_row_keeps_its_quotes_in_its_raw_text(wh: Warehouse, tmp_path: Path) -> None:
    """A spreadsheet quotes a number written with a thousands separator ("1,234"): the row is
    quarantined as not a number, and its raw text read `...,H100,1,234,1`, a row of nine
    fields that sent the reader looking for a shifted column. The raw text quotes a field as
    the file did, so it reads as the file's line."""
    line = '2025-03-01T01:00:00Z,eu-west,c1,inference,"acme, inc",H100,"1,234",1'
    path = tmp_path / "sheet.csv"
    path.write_text(csv_text(GOOD, line, 'x,"say ""hi""",,,,,1,2,extra'), encoding="utf-8")
    run(wh, path)
    raw = dict(zip(*wh.quarantine().select("row_number", "raw"), strict=True))
    assert raw[2] == line
    assert raw[3] == 'x,"say ""hi""",,,,,1,2,extra'


@pytest.mark.parametrize("stamp", ["1740790800", "1740790800000", "45717.04166", "45717"], ids=str)
def test_a_timestamp_written_as_a_number_is_named_as_one(
    wh: Warehouse, tmp_path: Path, stamp: str
) -> None:
    """Epoch seconds or milliseconds, or a spreadsheet's serial day (45717.04 for
    2025-03-01 01:00), read only "timestamp not ISO-8601 (YYYY-MM-DD...)", which does not
    say what the number is: the rule says it is a number and what to export instead. A
    timestamp of another shape keeps the plain rule."""
    path = tmp_path / "epoch.csv"
    path.write_text(
        csv_text(
            GOOD,
            GOOD.replace("2025-03-01T00:00:00Z", stamp),
            GOOD.replace("2025-03-01T00:00:00Z", "yesterday"),
        ),
        encoding="utf-8",
    )
    run(wh, path)
    said = rules(wh)
    assert said[2][0] == "ts" and said[2][1].startswith("timestamp not ISO-8601")
    assert (
        "a number (epoch seconds or milliseconds, or a spreadsheet's serial day?)" in (said[2][1])
    )
    assert said[3] == ("ts", ingest._RULE_TS)


@pytest.mark.parametrize(
    "stamp", ["2025-02-30T00:00:00Z", "2025-04-31 12:00", "2025-13-01T00:00:00Z", "2025-02-29"]
)
def test_a_timestamp_of_the_iso_shape_on_no_calendar_day_is_named_as_one(
    wh: Warehouse, tmp_path: Path, stamp: str
) -> None:
    """2025-02-30T00:00:00Z read only "timestamp not ISO-8601 (YYYY-MM-DD[THH:MM...])", a
    shape it has: the reader compared the digits with the pattern and found nothing wrong.
    The rule says the day does not exist; "yesterday" keeps the plain rule."""
    path = tmp_path / "days.csv"
    path.write_text(
        csv_text(
            GOOD,
            GOOD.replace("2025-03-01T00:00:00Z", stamp),
            GOOD.replace("2025-03-01T00:00:00Z", "yesterday"),
        ),
        encoding="utf-8",
    )
    run(wh, path)
    said = rules(wh)
    assert said[2][1].startswith("timestamp not ISO-8601") and "no such day" in said[2][1]
    assert said[2] == ("ts", ingest._RULE_TS_NO_DAY)
    assert said[3] == ("ts", ingest._RULE_TS)


def test_a_parquet_file_naming_a_column_twice_is_not_called_truncated(
    wh: Warehouse, tmp_path: Path
) -> None:
    """A Parquet file written by pyarrow with one column name twice failed as "cannot read as
    Parquet (truncated or not Parquet?)", which sent the reader to copy the file again: it
    says the file names a column more than once."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    names = [*HEADER.split(","), "gpus_queued"]
    values = ["2025-03-01T00:00:00Z", "eu-west", "c1", "inference", "acme", "H100", 10, 1, 1]
    table = pa.Table.from_arrays([pa.array([v]) for v in values], names=names)
    path = tmp_path / "twice.parquet"
    pq.write_table(table, path)
    result = run(wh, path)
    assert result.status == "failed"
    message = result.message or ""
    assert "truncated" not in message
    assert "names a column more than once ('gpus_queued')" in message


def test_an_inner_header_that_moves_an_extra_column_first_is_still_a_header(
    wh: Warehouse, tmp_path: Path
) -> None:
    """Exports joined with an extra column ("site") that the second export writes first: its
    header line is a header, and the rows under it are refused as reordered (reading only
    the columns ingest uses as names made its "site" cell a value, and the line read
    "unknown workload class")."""
    path = tmp_path / "joined.csv"
    inner = f"site,{SWAPPED}"
    path.write_text(
        csv_text(f"{GOOD},x", inner, f"x,{GOOD}", header=f"{HEADER},site"), encoding="utf-8"
    )
    run(wh, path)
    said = rules(wh)
    assert said[2] == ("(row)", ingest._LINE_RULES[ingest._HEADER_AGAIN])
    assert said[3] == ("(row)", ingest._LINE_RULES[ingest._REORDERED])


def _jsonl(record: dict[str, object]) -> str:
    return json.dumps(record)


_NAMES = {"customer": 4, "region": 1, "workload_class": 3}


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize(
    ("column", "char", "said"),
    [
        pytest.param("customer", "\0", "NUL", id="nul-customer"),
        pytest.param("region", "\0", "NUL", id="nul-region"),
        pytest.param("workload_class", "\0", "NUL", id="nul-class"),
        pytest.param("customer", "\t", "tab", id="tab-customer"),
        pytest.param("customer", "\x1b", "U+001B", id="escape-customer"),
    ],
)
def test_a_control_character_inside_a_name_quarantines_its_row(
    wh: Warehouse, tmp_path: Path, fmt: str, column: str, char: str, said: str
) -> None:
    """A NUL byte inside a name ("ac\\0me") loaded as a customer of its own: one customer
    split in two without a word. A row whose name holds a C0 control character (NUL, tab,
    escape...) is quarantined with a rule naming the character; the good rows load."""
    fields = GOOD.split(",")
    i = _NAMES[column]
    bad = list(fields)
    bad[0] = "2025-03-01T01:00:00Z"
    bad[i] = bad[i][:2] + char + bad[i][2:] if column != "workload_class" else bad[i] + char
    names = HEADER.split(",")
    rows = [fields, bad]
    path = tmp_path / f"names.{fmt}"
    if fmt == "csv":
        path.write_text(csv_text(*(",".join(r) for r in rows)), encoding="utf-8")
    else:
        frame = pl.DataFrame([dict(zip(names, r, strict=True)) for r in rows]).with_columns(
            pl.col("gpus_running", "gpus_queued").cast(pl.Float64)
        )
        if fmt == "jsonl":
            path.write_text("".join(_jsonl(r) + "\n" for r in frame.to_dicts()), encoding="utf-8")
        else:
            frame.write_parquet(path)
    result = run(wh, path)
    assert result.entry is not None and result.entry.loaded == 1
    assert wh.telemetry()["customer"].to_list() == ["acme"]
    got_column, rule = rules(wh)[2]
    assert got_column == column
    assert "control character" in rule
    # A NUL or a tab is named in the rule; another control character by its code point in
    # the value.
    assert said in rule or said in wh.quarantine()["value"][0]


def test_a_json_line_naming_a_key_twice_is_quarantined(wh: Warehouse, tmp_path: Path) -> None:
    """{"gpus_running": 1, ..., "gpus_running": 5} loaded 5 without a word (json.loads keeps
    the last value): the row is quarantined with a rule naming the key. A key ingest does not
    read, written twice, is no reason to lose the row."""
    twice = RECORD.replace("}", ', "gpus_running": 5}').replace("T00", "T01")
    ignored = RECORD.replace("}", ', "note": "a", "note": "b"}').replace("T00", "T02")
    path = tmp_path / "twice.jsonl"
    path.write_text(f"{RECORD}\n{twice}\n{ignored}\n", encoding="utf-8")
    result = run(wh, path)
    assert result.entry is not None and result.entry.loaded == 2
    column, rule = rules(wh)[2]
    assert column == "gpus_running"
    assert "'gpus_running'" in rule and "twice" in rule
    value = wh.quarantine()["value"].to_list()[0]
    assert "10" in value and "5" in value


@pytest.mark.parametrize("cut", ["", "2025-03-01T01:00:00Z,eu-west,c1,infer"])
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "csv.gz"])
def test_a_tail_of_nul_bytes_is_named_as_one(
    wh: Warehouse, tmp_path: Path, fmt: str, cut: str
) -> None:
    """A file cut by a crash and padded with NUL bytes (as some filesystems do) was
    quarantined as "too few fields" with 4 KB of NUL as its raw text: the rule says the
    file ends in 4,096 NUL bytes (cut short?), and the raw text stays short. A gzip file
    compressed after the padding (a cut file gzipped for transfer) still read "too few
    fields" with the NULs in its raw text: its tail is judged once decompressed."""
    head = csv_text(GOOD) if fmt != "jsonl" else RECORD + "\n"
    path = tmp_path / f"cut.{fmt}"
    data = (head + cut).encode() + b"\0" * 4096
    path.write_bytes(gzip.compress(data) if fmt.endswith(".gz") else data)
    result = run(wh, path)
    assert result.entry is not None and result.entry.loaded == 1
    q = wh.quarantine()
    assert q.height == 1
    rule = q["rule"][0]
    assert "ends in 4,096 NUL bytes" in rule, rule
    assert len(q["raw"][0]) < 200 and "\0" not in q["raw"][0]


def test_a_file_of_bad_rows_names_the_rules_it_breaks(wh: Warehouse, tmp_path: Path) -> None:
    """A file whose every row broke a rule said only "`fleetcast quarantine` names each
    row's column and rule": the message names the commonest rules with their counts and
    the first bad row."""
    rows = [GOOD.replace(",10,", f",{n} GPUs,") for n in range(3)]
    rows.append(GOOD.replace("inference", "serving"))
    path = tmp_path / "all_bad.csv"
    path.write_text(csv_text(*rows), encoding="utf-8")
    result = run(wh, path)
    assert result.status == "failed"
    message = result.message
    assert "3 × gpus_running: not a number" in message, message
    assert "1 × workload_class: unknown workload class" in message
    assert "first at row 1" in message and "0 GPUs" in message


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        pytest.param('"1,5"', "decimal comma", id="decimal-comma"),
        pytest.param('"1,234"', "thousands separator", id="thousands"),
        pytest.param('"1.234,5"', "decimal comma", id="european"),
        pytest.param("12 GPUs", "unit", id="unit"),
        pytest.param("85%", "percent", id="percent"),
        pytest.param("1 234", "thousands separator", id="space-thousands"),
        pytest.param("1\u202f234", "thousands separator", id="narrow-space-thousands"),
        pytest.param("1.234.567", "thousands separator", id="dot-thousands"),
        pytest.param("NULL", "missing value written as text", id="null"),
        pytest.param("N/A", "missing value written as text", id="n-a"),
        pytest.param("1_234", "underscores", id="underscore-thousands"),
        pytest.param("0x10", "hexadecimal", id="hex"),
        pytest.param("\uff11\uff12", "digits other than 0-9", id="fullwidth-digits"),
        pytest.param("\u0661\u0662", "digits other than 0-9", id="arabic-indic-digits"),
        pytest.param("lots", None, id="plain"),
    ],
)
def test_a_number_in_a_spreadsheet_shape_says_which(
    wh: Warehouse, tmp_path: Path, value: str, hint: str | None
) -> None:
    """A decimal comma ("1,5"), a thousands separator ("1,234"), a unit ("12 GPUs") or a
    percent ("85%") read only "not a number": the rule says what the value looks like and
    what to export instead. So do the thousands separators of French and German exports
    ("1 234" with a space or a narrow no-break space, "1.234.567") and a missing value an
    exporter wrote as text ("NULL", "N/A"), which still read only "not a number"; and so did
    digits grouped with underscores ("1_234"), a hexadecimal number ("0x10") and digits of
    another script (full-width "１２", Arabic-Indic "١٢")."""
    path = tmp_path / "sheet.csv"
    path.write_text(csv_text(GOOD.replace(",10,", f",{value},")), encoding="utf-8")
    run(wh, path)
    column, rule = rules(wh)[1]
    assert column == "gpus_running" and rule.startswith("not a number")
    if hint is None:
        assert rule == "not a number"
    else:
        assert hint in rule, rule


@pytest.mark.parametrize("written", ["2025-03-02", "2025-03-02Z", "parquet-date"], ids=str)
def test_a_date_without_a_time_is_not_read_as_midnight(
    wh: Warehouse, tmp_path: Path, written: str
) -> None:
    """A daily export's row ("2025-03-02", or a Parquet date column) loaded as the 00:00 hour
    of its day, counted only as "no zone, read as UTC": its customer read as zero (or
    missing) in the other 23 hours of every day, silently, as a daily `interval_minutes` row
    did. It is quarantined as a date without a time; the row with a time still loads."""
    day = GOOD.replace("2025-03-01T00:00:00Z", "2025-03-02")
    if written == "parquet-date":
        # A date column holds no time at all, so no row of it can load.
        path = tmp_path / "daily.parquet"
        frame = pl.read_csv(csv_text(day).encode(), infer_schema=False)
        frame.with_columns(pl.col("ts").str.to_date()).write_parquet(path)
        run(wh, path)
        assert wh.telemetry().is_empty()
        assert rules(wh) == {1: ("ts", ingest._RULE_DATE_ONLY)}
        return
    path = tmp_path / "daily.csv"
    path.write_text(csv_text(GOOD, day.replace("2025-03-02", written)), encoding="utf-8")
    result = run(wh, path)
    assert result.entry is not None and result.entry.loaded == 1
    assert result.entry.naive_timestamps == 0
    assert rules(wh) == {2: ("ts", ingest._RULE_DATE_ONLY)}
    assert "date without a time" in ingest._RULE_DATE_ONLY


@pytest.mark.parametrize(
    ("name", "kind", "said"),
    [
        ("export.csv", "gzip", "is a gzip file, not text: name it export.csv.gz"),
        ("export.csv", "ZIP", "is a ZIP archive, not text (an Excel workbook"),
        ("export.csv", "xls", "is an Excel 97-2003 workbook (.xls), not text: export the sheet"),
        ("export.jsonl", "gzip", "is a gzip file, not text: decompress it"),
        ("export.csv.gz", "text", "is not gzip (it starts 'ts,region"),
    ],
    ids=["gzip-csv", "xlsx-csv", "xls-csv", "gzip-jsonl", "text-gz"],
)
def test_a_file_whose_bytes_are_not_what_its_name_says_is_refused_naming_what_it_is(
    wh: Warehouse, tmp_path: Path, name: str, kind: str, said: str
) -> None:
    """A gzip file or an Excel workbook (a ZIP archive) saved under a .csv name failed as
    "missing required column(s) ... found ['PK\\x03\\x04\\x14...']", a screenful of binary
    that does not say what the file is, and a plain CSV named .csv.gz as "cannot read: Not a
    gzipped file (b'ts')": the refusal names what the file is and the fix, in one line."""
    text = csv_text(GOOD).encode()
    path = tmp_path / name
    if kind == "gzip":
        path.write_bytes(gzip.compress(text))
    elif kind == "text":
        path.write_bytes(text)
    elif kind == "xls":
        # An OLE2 compound file, as Excel 97-2003 saves a workbook: its header listed
        # "found ['\\xd0\\xcf\\x11...']" as the file's columns.
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    else:
        import zipfile

        with zipfile.ZipFile(path, "w") as book:
            book.writestr("xl/workbook.xml", "<workbook/>")
    result = run(wh, path)
    assert result.status == "failed" and wh.count("telemetry") == 0
    assert said in result.message, result.message
    assert "missing required" not in result.message and len(result.message) < 400
