"""The bad-input sweep of session 63: each file a user writes, broken as exports break it, says
file, row, column, rule and what to write, keeps its good rows, and reruns idempotently."""

from __future__ import annotations

from pathlib import Path

import pytest
from telemetry_files import HEADER, write_csv

from flows.cli import main
from forecasting import contracts
from forecasting.capacity import CapacityError, parse_capacity
from forecasting.resources import sample_capacity
from forecasting.traces.outages import OutageCalendarError, read_outage_calendar
from forecasting.warehouse import connect

GOOD = [f"2025-03-01T{h:02d}:00:00Z,eu-west,c1,inference,acme,H100,10,1" for h in range(5)]
BOOK_HEADER = "id,customer,workload_class,region,ramp,term_end,status,probability"
BOOK_ROW = "d1,acme,inference,us-east,2027-01-01:100,2028-01-01,signed,"


def _words(text: str) -> str:
    return " ".join(text.split())


def test_ingest_names_each_quarantined_row_and_what_to_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file loaded with a negative count, a NaN and a word read "quarantined 3" and nothing more:
    which rows, columns and rules took `fleetcast quarantine` to learn, and nothing said what
    to write. Ingest names file, row, column, rule, value and the fix; the good rows load, and
    the rerun of the same file is unchanged."""
    bad = GOOD[0].replace("T00", "T05").replace(",10,1", ",-3,1")
    nan = GOOD[0].replace("T00", "T06").replace(",10,1", ",NaN,1")
    text = GOOD[0].replace("T00", "T07").replace(",10,1", ",1,lots")
    path = write_csv(tmp_path / "t.csv", *GOOD, bad, nan, text)
    warehouse = str(tmp_path / "w.duckdb")
    assert main(["--warehouse", warehouse, "ingest", str(path)]) == 0
    err = _words(capsys.readouterr().err)
    assert (
        f"quarantined {path}: row 6, column gpus_running: negative (value '-3'); a GPU count "
        "is 0 or more"
    ) in err
    assert (
        f"quarantined {path}: row 7, column gpus_running: not finite (NaN or infinite) (value "
        "'NaN'); write the measured number"
    ) in err
    assert (
        f"quarantined {path}: row 8, column gpus_queued: not a number (value 'lots'); write the "
        "number in digits with a point (12.5)"
    ) in err
    assert main(["--warehouse", warehouse, "ingest", str(path)]) == 0
    # Skipped as unchanged: its bad rows are not said again, and nothing moves.
    assert "quarantined" not in capsys.readouterr().err
    with connect(Path(warehouse), read_only=True) as wh:
        assert wh.count("telemetry") == 5 and wh.count("quarantine") == 3


def test_a_quarantined_row_beyond_the_third_is_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Five bad rows: three named, the rest counted with where to see them all."""
    bad = [g.replace(",10,1", ",-1,1").replace("T0", "T1") for g in GOOD]
    path = write_csv(tmp_path / "t.csv", *GOOD, *bad)
    assert main(["--warehouse", str(tmp_path / "w.duckdb"), "ingest", str(path)]) == 0
    err = _words(capsys.readouterr().err)
    assert err.count(f"quarantined {path}: row ") == 3
    assert f"quarantined {path}: 2 more row(s): `fleetcast quarantine` lists them all" in err


def test_a_column_written_with_spaces_says_what_to_rename(tmp_path: Path) -> None:
    """'Workload Class' for workload_class failed "missing required column(s)
    ['workload_class']" beside a found list holding it: nothing said they were one name."""
    header = HEADER.replace("workload_class", "Workload Class")
    path = write_csv(tmp_path / "t.csv", *GOOD, header=header)
    from forecasting import ingest

    with connect(tmp_path / "w.duckdb") as wh:
        result = ingest.ingest_file(wh, path)
    assert result.status == "failed"
    assert "Column 'Workload Class' reads as 'workload_class': rename it so" in result.message
    book = tmp_path / "book.csv"
    book.write_text(
        BOOK_HEADER.replace("term_end", "Term End") + "\n" + BOOK_ROW + "\n", encoding="utf-8"
    )
    with pytest.raises(contracts.ContractError, match="Column 'term end' reads as 'term_end'"):
        contracts.load_contracts(book)


@pytest.mark.parametrize("kind", ["telemetry", "contracts", "outages"])
def test_a_semicolon_export_names_its_delimiter_and_the_fix(tmp_path: Path, kind: str) -> None:
    """A European Excel's ';' export read "delimited by something other than ','": which
    delimiter, and what to write, were left to the reader."""
    want = "the file is delimited by ';', not ','"
    if kind == "telemetry":
        from forecasting import ingest

        path = write_csv(
            tmp_path / "t.csv",
            *(g.replace(",", ";") for g in GOOD),
            header=HEADER.replace(",", ";"),
        )
        with connect(tmp_path / "w.duckdb") as wh:
            message = ingest.ingest_file(wh, path).message
        assert want in message and "Save As 'CSV UTF-8 (Comma delimited)'" in message
        # The queue column is there, in the one column: no advice on writing one.
        assert "Queued demand is" not in message
    elif kind == "contracts":
        book = tmp_path / "book.csv"
        book.write_text(
            BOOK_HEADER.replace(",", ";") + "\n" + BOOK_ROW.replace(",", ";") + "\n",
            encoding="utf-8",
        )
        with pytest.raises(contracts.ContractError, match=want):
            contracts.load_contracts(book)
    else:
        calendar = tmp_path / "outages.csv"
        calendar.write_text("region;start;end\neu-west;2025-03-01T00:00:00Z;2025-03-01T02:00:00Z\n")
        with pytest.raises(OutageCalendarError, match=want):
            read_outage_calendar(calendar)


def test_an_empty_outage_calendar_says_it_is_empty(tmp_path: Path) -> None:
    """A 0-byte calendar read "header [] lacks ['start', 'end'] and has unknown columns none"."""
    calendar = tmp_path / "outages.csv"
    calendar.write_text("")
    with pytest.raises(OutageCalendarError) as refused:
        read_outage_calendar(calendar)
    assert str(refused.value) == (
        f"{calendar}: empty file: an outage calendar starts with a header row, "
        "region,start,end,reason (region and reason optional)"
    )


def test_a_header_inside_an_outage_calendar_is_named_as_one(tmp_path: Path) -> None:
    """Two calendars joined into one read three faults on the inner header's row ("'start' is
    not an ISO 8601 instant", the same for end, and region 'region' unknown): it is one
    header line inside the data, to delete."""
    calendar = tmp_path / "outages.csv"
    window = "eu-west,2025-03-01T00:00:00Z,2025-03-01T02:00:00Z,maintenance"
    calendar.write_text(f"region,start,end,reason\n{window}\nregion,start,end,reason\n{window}\n")
    with pytest.raises(OutageCalendarError) as refused:
        read_outage_calendar(calendar, regions=["eu-west"])
    message = str(refused.value)
    assert (
        f"{calendar}: row 2: a header line inside the data (calendars joined into one file?): "
        "delete the line"
    ) in message
    assert "ISO 8601" not in message and "1 bad row(s)" in message


def test_an_empty_capacity_plan_says_it_is_empty() -> None:
    """An empty plan read "policy: Field required", as if one table were missing."""
    with pytest.raises(CapacityError) as refused:
        parse_capacity("# nothing yet\n", source="plan.toml")
    assert str(refused.value) == (
        "plan.toml: the plan holds no tables (an empty file?): a capacity plan needs "
        "[policy.<class>] for each workload class and its [[block]] entries; `fleetcast "
        "capacity --sample` shows one to start from"
    )


def test_a_field_written_in_capitals_is_named_as_the_field() -> None:
    """`GPUs = 2816` read "field gpus: Field required" and "GPUs: not a field this table has;
    its fields: ...": the field it meant was not named, as a misspelling's is."""
    text = sample_capacity().read_text(encoding="utf-8")
    first = text.index("gpus = ")
    with pytest.raises(CapacityError) as refused:
        parse_capacity(text[:first] + "GPUs" + text[first + 4 :], source="plan.toml")
    message = str(refused.value)
    assert "field GPUs: not a field this table has; did you mean 'gpus'?" in message
    assert "Field required" not in message


def test_a_repeated_site_id_names_both_entries() -> None:
    """Two [[site]] entries with one id read "appears twice" without saying which entries."""
    text = sample_capacity().read_text(encoding="utf-8")
    start = text.index("[[site]]")
    sites = text[start:]
    first_id = sites.split('id = "', 1)[1].split('"', 1)[0]
    second_id = sites.split('id = "', 2)[2].split('"', 1)[0]
    twice = text[:start] + sites.replace(f'id = "{second_id}"', f'id = "{first_id}"', 1)
    with pytest.raises(CapacityError) as refused:
        parse_capacity(twice, source="plan.toml")
    assert (
        f"[[site]] id {first_id!r} appears twice (the 1st and 2nd [[site]]); ids must be "
        "unique: rename one"
    ) in str(refused.value)


def test_a_decimal_comma_in_a_book_says_what_to_write(tmp_path: Path) -> None:
    """probability "0,5" in a CSV book read "not a number (got '0,5')" alone, where telemetry
    names the decimal comma and the fix."""
    book = tmp_path / "book.csv"
    row = 'd2,acme,inference,us-east,2027-01-01:100,2028-01-01,pipeline,"0,5"'
    book.write_text(f"{BOOK_HEADER}\n{BOOK_ROW}\n{row}\n", encoding="utf-8")
    loaded = contracts.load_contracts(book)
    assert [c.id for c in loaded.contracts] == ["d1"]
    assert [r.message for r in loaded.refusals] == [
        f"{book}:3: contract row 2 ('d2') field probability: not a number: a decimal comma "
        "(0,5)? write a point (0.5) (got '0,5'); fix the entry and load the book again"
    ]


def test_an_empty_telemetry_file_says_what_to_write(tmp_path: Path) -> None:
    """A 0-byte export read "empty file: no header row" and nothing of what a file holds."""
    from forecasting import ingest

    path = tmp_path / "t.csv"
    path.write_text("")
    with connect(tmp_path / "w.duckdb") as wh:
        result = ingest.ingest_file(wh, path)
    assert result.status == "failed"
    assert result.message == (
        f"{path}: empty file: no header row; a telemetry file starts with its header, "
        "ts,region,cluster,workload_class,customer,gpu_type,gpus_running,gpus_queued (then its "
        "rows): export it again"
    )


def test_a_header_inside_telemetry_says_to_delete_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two exports joined: the inner header's line is named with what to do about it."""
    path = write_csv(tmp_path / "t.csv", *GOOD[:2], HEADER, *GOOD[2:])
    assert main(["--warehouse", str(tmp_path / "w.duckdb"), "ingest", str(path)]) == 0
    err = _words(capsys.readouterr().err)
    assert f"quarantined {path}: row 3, column (row): a header line inside the data" in err
    assert "delete the line (or split the file there)" in err
