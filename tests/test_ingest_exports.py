"""Ingest of telemetry exported by spreadsheets, BI tools and scripts: what such files carry
(byte-order marks, other spellings, stray columns, JSON written as one document) and what the
user reads back: every good row loaded, every bad one named by row, column and rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

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
