"""Ingest: the bad-input corpus, reconciliation of counts, replacement and idempotent reruns."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from telemetry_files import HEADER, csv_text, telemetry_frame, write_csv

from forecasting import ingest
from forecasting.warehouse import CONFLICT_RULE, Warehouse, connect

GOOD = "2025-03-01T00:00:00Z,eu-west,c1,inference,acme,H100,10,1"
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def run(wh: Warehouse, path: Path, **kw: object) -> ingest.IngestResult:
    return ingest.ingest_file(wh, path, now=NOW, **kw)  # type: ignore[arg-type]


def reconciles(result: ingest.IngestResult) -> bool:
    e = result.entry
    assert e is not None
    return e.rows_read == e.loaded + e.quarantined + e.deduplicated


def rules(wh: Warehouse) -> dict[int, tuple[str, str]]:
    q = wh.quarantine()
    return {r["row_number"]: (r["column"], r["rule"]) for r in q.iter_rows(named=True)}


def test_good_csv_loads_every_row(wh: Warehouse, tmp_path: Path) -> None:
    """A clean CSV loads all rows with UTC timestamps and the contract's types."""
    path = write_csv(
        tmp_path / "a.csv", GOOD, "2025-03-01T01:00:00Z,eu-west,c1,training,acme,H100,5.5,0"
    )
    result = run(wh, path)
    assert result.status == "loaded" and reconciles(result)
    assert result.entry and result.entry.loaded == 2
    rows = wh.telemetry()
    assert rows.get_column("ts").dtype == pl.Datetime("us", "UTC")
    assert rows.get_column("gpus_running").to_list() == [10.0, 5.5]


@pytest.mark.parametrize(
    ("row", "column", "rule"),
    [
        ("2025-03-01T02:00:00Z,eu-west,c1,inference,acme,H100,-1,0", "gpus_running", "negative"),
        ("2025-03-01T02:00:00Z,eu-west,c1,inference,acme,H100,NaN,0", "gpus_running", "not finite"),
        ("2025-03-01T02:00:00Z,eu-west,c1,inference,acme,H100,inf,0", "gpus_running", "not finite"),
        (
            "2025-03-01T02:00:00Z,eu-west,c1,inference,acme,H100,lots,0",
            "gpus_running",
            "not a number",
        ),
        ("2025-03-01T02:00:00Z,eu-west,c1,inference,acme,H100,1,-0.5", "gpus_queued", "negative"),
        (
            "2025-03-01T02:00:00Z,eu-west,c1,gaming,acme,H100,1,0",
            "workload_class",
            "unknown workload class",
        ),
        ("yesterday,eu-west,c1,inference,acme,H100,1,0", "ts", "timestamp not ISO-8601"),
        ("2025-13-01T00:00:00Z,eu-west,c1,inference,acme,H100,1,0", "ts", "timestamp not ISO-8601"),
        ("2025-06-03T00:00:00Z,eu-west,c1,inference,acme,H100,1,0", "ts", "beyond now + 1 day"),
        ("1970-01-01T00:00:00Z,eu-west,c1,inference,acme,H100,1,0", "ts", "before 2010-01-01"),
        ("0001-01-01T00:00:00Z,eu-west,c1,inference,acme,H100,1,0", "ts", "before 2010-01-01"),
        ("0001-01-01,eu-west,c1,inference,acme,H100,1,0", "ts", "before 2010-01-01"),
        ("2025-03-01T02:00:00Z,,c1,inference,acme,H100,1,0", "region", "missing value"),
        ("2025-03-01T02:00:00Z,eu-west,c1,inference,acme,H100,,0", "gpus_running", "missing value"),
        ("2025-03-01T02:00:00Z,eu-west,c1,inference,acme,H100,1,0,surplus", "(row)", "more fields"),
    ],
)
def test_each_rule_quarantines_the_row_and_keeps_the_good(
    wh: Warehouse, tmp_path: Path, row: str, column: str, rule: str
) -> None:
    """Every rule sends its bad row to quarantine with column and rule; good rows still load."""
    path = write_csv(tmp_path / "f.csv", GOOD, row)
    result = run(wh, path)
    assert result.status == "loaded" and reconciles(result)
    assert wh.count("telemetry") == 1
    bad = rules(wh)
    assert list(bad) == [2], bad
    assert bad[2][0] == column
    assert rule in bad[2][1]
    q = wh.quarantine().row(0, named=True)
    assert q["file"] == str(path) and q["raw"].startswith(row.split(",")[0])


def test_a_typed_epoch_timestamp_in_parquet_is_quarantined(wh: Warehouse, tmp_path: Path) -> None:
    """A Parquet datetime at the epoch (an exporter's zero) is quarantined with the floor's rule;
    loaded, it would stretch the daily grid back to 1970."""
    frame = telemetry_frame(hours=2, customers=1)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(epoch)).otherwise(pl.col("ts")).alias("ts")
    )
    path = tmp_path / "epoch.parquet"
    frame.write_parquet(path)
    result = run(wh, path)
    assert result.status == "loaded" and result.entry and result.entry.loaded == 1
    [(row, (column, rule))] = rules(wh).items()
    assert (row, column) == (1, "ts") and rule.startswith("timestamp before 2010-01-01")


def test_a_file_without_one_good_row_fails_on_every_run(wh: Warehouse, tmp_path: Path) -> None:
    """A Parquet export with ``ts`` as integers refuses every row: the file reads as failed
    (not "loaded, 0 rows"), its rows are quarantined with their rule, and a rerun says the
    same instead of "skipped"."""
    path = tmp_path / "typed.parquet"
    telemetry_frame(hours=4, customers=1).with_columns(pl.col("ts").cast(pl.Int64)).write_parquet(
        path
    )
    for _ in range(2):
        result = run(wh, path)
        assert result.status == "failed"
        assert "none of its 4 row(s) is good" in result.message
        assert str(path) in result.message and "fleetcast quarantine" in result.message
    assert wh.count("telemetry") == 0 and wh.count("quarantine") == 4
    assert {column for column, _ in rules(wh).values()} == {"ts"}


def test_a_file_of_only_a_header_still_loads(wh: Warehouse, tmp_path: Path) -> None:
    """No data rows is not a refusal: the file loads with its note, as before."""
    result = run(wh, write_csv(tmp_path / "empty.csv"))
    assert result.status == "loaded" and "no data rows" in "; ".join(result.notes)


def test_missing_column_fails_the_file_listing_expected_and_found(
    wh: Warehouse, tmp_path: Path
) -> None:
    """A renamed column fails the whole file with expected vs found, loading nothing."""
    header = HEADER.replace("gpus_running", "gpus_used")
    path = write_csv(tmp_path / "renamed.csv", GOOD, header=header)
    result = run(wh, path)
    assert result.status == "failed"
    assert "missing required column(s) ['gpus_running']" in result.message
    assert "gpus_used" in result.message and str(path) in result.message
    assert wh.count("telemetry") == 0 and wh.count("ingest_ledger") == 0


def test_a_file_without_a_queue_column_is_told_how_queued_demand_is_written(
    wh: Warehouse, tmp_path: Path
) -> None:
    """An inference export without a queue (and one of GPU-hours) failed with "missing
    required column(s) ['gpus_queued']" alone: nothing said that a file of GPU-hours may carry
    queued_gpu_hours instead, nor that a fleet with nothing waiting writes 0. It says both,
    and why a missing queue is not read as zero."""
    header = HEADER.replace(",gpus_queued", "")
    path = write_csv(tmp_path / "no-queue.csv", GOOD.rsplit(",", 1)[0], header=header)
    result = run(wh, path)
    assert result.status == "failed"
    assert "missing required column(s) ['gpus_queued']" in result.message
    assert "'queued_gpu_hours' beside 'gpu_hours'" in result.message
    assert "write 0 where nothing waits" in result.message
    assert wh.count("telemetry") == 0


def test_a_file_whose_queue_is_blank_on_every_row_is_told_how_to_write_it(
    wh: Warehouse, tmp_path: Path
) -> None:
    """An inference export with the gpus_queued column left blank (no queue) had every row
    quarantined with "gpus_queued: missing value" and no word of what to write: the refusal
    says to write 0 where nothing waits, as the missing column's does; the rows stay in the
    quarantine."""
    blank = GOOD.rsplit(",", 1)[0] + ","
    path = write_csv(tmp_path / "blank-queue.csv", blank, blank.replace("T00", "T01"))
    result = run(wh, path)
    assert result.status == "failed"
    assert "2 × gpus_queued: missing value" in result.message, result.message
    assert "write 0 where nothing waits" in result.message
    assert wh.count("quarantine") == 2 and wh.count("telemetry") == 0


def test_a_calendar_or_contract_book_among_telemetry_names_its_command(
    wh: Warehouse, tmp_path: Path
) -> None:
    """`fleetcast synth` writes events.csv beside the telemetry: ingesting the folder fails that
    file alone, and says which command loads it; a contract book likewise."""
    events = tmp_path / "events.csv"
    events.write_text("event,date,region\nmodel-launch,2025-03-01,eu-west\n", encoding="utf-8")
    result = run(wh, events)
    assert result.status == "failed"
    assert f"It looks like an event calendar: load it with `fleetcast events {events}`." in (
        result.message
    )
    book = tmp_path / "book.csv"
    book.write_text(
        "id,customer,workload_class,region,status,ramp,term_end,price_per_gpu_hour\n",
        encoding="utf-8",
    )
    assert "load it with `fleetcast contracts" in run(wh, book).message
    assert wh.count("telemetry") == 0


@pytest.mark.parametrize(
    ("name", "trace"),
    [
        ("servegen_client_rates_10min_slice.csv", "servegen"),
        ("AzureLLMInferenceTrace_code_2023_slice.csv", "azure-llm"),
        ("helios_earth_vc_minute_2020-05-12_slice.csv.gz", "helios"),
    ],
)
def test_a_public_trace_without_its_format_names_the_format(
    wh: Warehouse, name: str, trace: str
) -> None:
    """A raw public trace ingested as telemetry fails and names the ``--format`` that reads it."""
    path = Path(__file__).parent / "fixtures" / "traces" / name
    result = run(wh, path)
    assert result.status == "failed"
    assert f"It looks like the {trace} trace: ingest it with `--format {trace}`." in (
        result.message
    )


def test_wrong_delimiter_fails_with_a_hint(wh: Warehouse, tmp_path: Path) -> None:
    """A semicolon-delimited file fails and says the delimiter looks wrong."""
    path = tmp_path / "semi.csv"
    path.write_text(csv_text(GOOD).replace(",", ";"), encoding="utf-8")
    result = run(wh, path)
    assert result.status == "failed" and "delimited by ';', not ','" in result.message


def test_empty_file_fails_clearly(wh: Warehouse, tmp_path: Path) -> None:
    """A zero-byte file fails alone with 'empty file'."""
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = run(wh, path)
    assert result.status == "failed" and "empty file" in result.message


def test_header_only_file_loads_nothing_and_is_recorded(wh: Warehouse, tmp_path: Path) -> None:
    """A header-only file is read (0 rows), recorded in the ledger, and said to be empty."""
    path = write_csv(tmp_path / "header.csv")
    result = run(wh, path)
    assert result.status == "loaded" and result.entry and result.entry.rows_read == 0
    assert wh.count("ingest_ledger") == 1
    assert result.notes == ("the file holds no data rows",)


def test_bad_encoding_quarantines_only_that_row(wh: Warehouse, tmp_path: Path) -> None:
    """Bytes that are not UTF-8 quarantine their row under 'invalid UTF-8'."""
    path = tmp_path / "latin1.csv"
    body = csv_text(GOOD, "2025-03-01T03:00:00Z,eu-west,c1,inference,caf\xe9,H100,1,0")
    path.write_bytes(body.encode("latin-1"))
    result = run(wh, path)
    assert result.status == "loaded" and reconciles(result)
    assert rules(wh) == {2: ("customer", "invalid UTF-8")}


@pytest.mark.parametrize(
    ("name", "encoding", "said"),
    [("ps.csv", "utf-16", "UTF-16"), ("ps.jsonl", "utf-16", "UTF-16"),
     ("be.csv", "utf-16-be", "UTF-16 (no byte-order mark)"), ("w.csv", "utf-32", "UTF-32")],
)  # fmt: skip
def test_a_file_in_a_wide_encoding_is_refused_with_the_fix(
    wh: Warehouse, tmp_path: Path, name: str, encoding: str, said: str
) -> None:
    """Windows PowerShell writes UTF-16: such a CSV failed listing every column as missing
    and "found ['\x00t\x00s', ...]", a JSON Lines file "found []" though every line held
    all the columns. It is refused in one line naming the encoding and how to save it."""
    text = (
        json.dumps(dict(zip(HEADER.split(","), GOOD.split(","), strict=True))) + "\n"
        if name.endswith(".jsonl")
        else csv_text(GOOD)
    )
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    result = run(wh, path)
    assert result.status == "failed" and wh.count("telemetry") == 0
    assert result.message == (
        f"{path}: the file is {said}, not UTF-8: save it as UTF-8 (PowerShell: Out-File "
        "-Encoding utf8, or Export-Csv -Encoding utf8) and ingest it again"
    )


def test_exports_joined_into_one_file_refuse_their_inner_headers(
    wh: Warehouse, tmp_path: Path
) -> None:
    """Two exports joined with `cat`: a header line inside the data is not a row, and the rows
    under one that orders the columns differently are refused with the fix (they loaded into
    the wrong columns: a 23.6-GPU customer stored as 31,572 GPUs running). A joined export
    whose columns come in the same order loads every row."""
    swapped = HEADER.replace("gpus_running,gpus_queued", "gpus_queued,gpus_running")
    path = tmp_path / "joined.csv"
    path.write_text(
        csv_text(GOOD) + swapped + "\n2025-03-01T01:00:00Z,eu-west,c1,inference,acme,H100,0,24\n"
    )
    result = run(wh, path)
    assert result.status == "loaded" and reconciles(result)
    assert wh.telemetry()["gpus_running"].to_list() == [10.0]
    said = rules(wh)
    assert said[2][1].startswith("a header line inside the data")
    assert said[3][1].startswith("under a header line inside the data that orders the columns")
    again = tmp_path / "same.csv"
    again.write_text(
        csv_text(GOOD) + HEADER + "\n2025-03-01T02:00:00Z,eu-west,c1,inference,acme,H100,7,0\n"
    )
    result = run(wh, again)
    # GOOD is already in the warehouse from joined.csv: a duplicate, not loaded again.
    assert result.entry is not None and (result.entry.loaded, result.entry.deduplicated) == (1, 1)
    assert wh.count("telemetry") == 2


def test_blank_lines_are_skipped_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A blank line between rows read "ts: missing value", as if a row had lost its
    timestamp, and an export ending in empty lines failed `ingest --strict`: blank lines hold
    no row, so both readers skip them with a note, and a bad row keeps its line number."""
    later = "2025-03-01T01:00:00Z,eu-west,c1,inference,acme,H100,5,0"
    path = tmp_path / "gappy.csv"
    path.write_text(csv_text(GOOD, "", ",,,,,,,", later, "not-a-time,eu-west") + "\n\n")
    for by_line in (False, True):
        if by_line:
            # A line count the fast read cannot match sends the file to the line reader.
            monkeypatch.setattr(
                ingest, "_csv_records", lambda *_, **__: ingest.CsvRecords(-1, (), True)
            )
        with connect(tmp_path / f"w{by_line}.duckdb") as fresh:
            result = run(fresh, path)
            assert result.entry is not None and reconciles(result)
            assert (result.entry.rows_read, result.entry.loaded) == (3, 2)
            assert "skipped 4 blank line(s) (not one field filled in): no row there" in (
                result.notes
            )
            assert list(rules(fresh)) == [5]


def test_duplicate_keys_in_a_file_keep_the_later_row(wh: Warehouse, tmp_path: Path) -> None:
    """Two rows with one key and other values: the later wins, and the earlier is quarantined
    naming the first column that differs and the row that replaced it, so nothing is lost."""
    later = GOOD.replace(",10,1", ",42,0")
    path = write_csv(tmp_path / "dup.csv", GOOD, later)
    result = run(wh, path)
    assert result.entry and reconciles(result)
    assert result.entry.deduplicated == 0 and result.entry.quarantined == 1
    assert wh.telemetry().get_column("gpus_running").to_list() == [42.0]
    assert rules(wh) == {1: ("gpus_running", CONFLICT_RULE)}
    assert wh.quarantine().row(0, named=True)["value"] == "10.0 (row 2: 42.0)"


def test_an_exact_repeat_is_deduplicated_silently(wh: Warehouse, tmp_path: Path) -> None:
    """A row repeated with the same values loses nothing: it counts as deduplicated."""
    path = write_csv(tmp_path / "repeat.csv", GOOD, GOOD)
    result = run(wh, path)
    assert result.entry and reconciles(result)
    assert result.entry.deduplicated == 1 and result.entry.quarantined == 0
    assert wh.telemetry().height == 1


def test_reordered_and_extra_columns_load_and_extras_are_reported(
    wh: Warehouse, tmp_path: Path
) -> None:
    """Column order does not matter; unknown columns are ignored and named in the notes."""
    header = "customer,gpus_queued,ts,zone_note,gpu_type,region,workload_class,cluster,gpus_running"
    path = write_csv(
        tmp_path / "reordered.csv",
        "acme,1,2025-03-01T00:00:00Z,hot,H100,eu-west,inference,c1,10",
        header=header,
    )
    result = run(wh, path)
    assert result.entry and result.entry.loaded == 1
    assert result.entry.extra_columns == ("zone_note",)
    assert any("zone_note" in n for n in result.notes)
    assert wh.telemetry().row(0, named=True)["gpus_running"] == 10.0


def test_offsets_across_dst_convert_to_utc(wh: Warehouse, tmp_path: Path) -> None:
    """Local times with offsets either side of a DST change land on consecutive UTC hours."""
    path = write_csv(
        tmp_path / "dst.csv",
        "2025-03-30T01:30:00+01:00,eu-west,c1,inference,acme,H100,1,0",
        "2025-03-30T03:30:00+02:00,eu-west,c1,inference,acme,H100,2,0",
        "2025-03-30T02:30:00+0100,eu-west,c1,inference,acme,H100,3,0",
    )
    result = run(wh, path)
    # 01:30+01 = 00:30Z; 03:30+02 = 01:30Z; 02:30+0100 = 01:30Z (a duplicate key, later wins,
    # the earlier quarantined for its other value)
    assert result.entry and result.entry.quarantined == 1
    ts = [t.isoformat() for t in wh.telemetry().get_column("ts").to_list()]
    assert ts == ["2025-03-30T00:30:00+00:00", "2025-03-30T01:30:00+00:00"]


@pytest.mark.parametrize("z_rows", [1, 1000])
def test_impossible_offsets_are_quarantined_and_the_possible_ones_kept(
    wh: Warehouse, tmp_path: Path, z_rows: int
) -> None:
    """+99:99, -00:75, +24:00 and +14:01 are no time zone: each shifted its row by hours or
    days without a word. They are quarantined under the offset rule whichever fast parser the
    file's sample picks: the offset one (chrono reads up to ±23:59), or, when the first 1,000
    stamps all end in Z, the Z one that leaves every offset to the full parser. ±14:00, -12:00
    and +0530 still load."""
    first = datetime(2025, 1, 1, tzinfo=UTC)
    stamps = [f"{first + timedelta(hours=h):%Y-%m-%dT%H:%M:%SZ}" for h in range(z_rows)] + [
        "2025-03-01T14:00:00+99:99",
        "2025-03-01T15:00:00-00:75",
        "2025-03-01T16:00:00+24:00",
        "2025-03-01T17:00:00+14:01",
        "2025-03-01T18:00:00+14:00",
        "2025-03-01T19:00:00-12:00",
        "2025-03-01T20:00:00+0530",
    ]
    rows = [f"{ts},eu-west,c1,inference,acme,H100,{i},0" for i, ts in enumerate(stamps)]
    result = run(wh, write_csv(tmp_path / "offsets.csv", *rows))
    assert result.entry and result.entry.loaded == z_rows + 3 and reconciles(result)
    rule = "time-zone offset beyond ±14:00 or with minutes ≥ 60"
    assert rules(wh) == {z_rows + n: ("ts", rule) for n in (1, 2, 3, 4)}
    offsets = wh.telemetry().sort("gpus_running").get_column("ts").to_list()[z_rows:]
    assert [t.isoformat() for t in offsets] == [
        "2025-03-01T04:00:00+00:00",
        "2025-03-02T07:00:00+00:00",
        "2025-03-01T14:30:00+00:00",
    ]


def test_naive_timestamps_are_read_as_utc_and_said_so(wh: Warehouse, tmp_path: Path) -> None:
    """Timestamps without a zone are taken as UTC and counted in the summary."""
    path = write_csv(
        tmp_path / "naive.csv", "2025-03-01 05:00:00,eu-west,c1,inference,acme,H100,1,0"
    )
    result = run(wh, path)
    assert result.entry and result.entry.naive_timestamps == 1
    assert any("read as UTC" in n for n in result.notes)
    assert wh.telemetry().row(0)[0] == datetime(2025, 3, 1, 5, tzinfo=UTC)


def test_hostile_customer_names_are_stored_verbatim(wh: Warehouse, tmp_path: Path) -> None:
    """Names carrying SQL and HTML are data: stored exactly, nothing executed."""
    names = ["x'); DROP TABLE telemetry; --", "<script>alert(1)</script>"]
    rows = [
        f'2025-03-01T0{i}:00:00Z,eu-west,c1,inference,"{n}",H100,1,0' for i, n in enumerate(names)
    ]
    path = write_csv(tmp_path / "hostile.csv", *rows)
    assert run(wh, path).status == "loaded"
    assert sorted(wh.telemetry().get_column("customer").to_list()) == sorted(names)
    assert wh.count("telemetry") == 2


def hours(n: int) -> list[str]:
    """``n`` good rows, one an hour from 2025-03-01T00:00Z."""
    return [GOOD.replace("T00", f"T{h:02d}") for h in range(n)]


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_quote_never_closed_loses_only_its_line(
    wh: Warehouse, tmp_path: Path, gzipped: bool
) -> None:
    """A line whose quote never closes is quarantined alone; the reader raised on the whole
    file (plain) or failed it (gzip) before."""
    rows = hours(6)
    rows[2] = '"' + rows[2]
    text = csv_text(*rows)
    path = tmp_path / ("q.csv.gz" if gzipped else "q.csv")
    if gzipped:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    result = run(wh, path)
    assert result.status == "loaded" and reconciles(result)
    assert result.entry and result.entry.loaded == 5 and result.entry.quarantined == 1
    column, rule = rules(wh)[3]
    assert column == "(row)" and rule.startswith("malformed quoting")


def test_a_file_of_lone_cr_line_ends_loads_every_row(wh: Warehouse, tmp_path: Path) -> None:
    """Lines ended by a lone CR (an old Mac export) are rows: the fast reader saw one line and
    loaded nothing ("the file holds no data rows")."""
    path = tmp_path / "mac.csv"
    path.write_bytes(("\r".join([HEADER, *hours(3)]) + "\r").encode())
    result = run(wh, path)
    assert result.entry and result.entry.rows_read == 3 and result.entry.loaded == 3


def test_rows_joined_by_a_lone_cr_in_an_lf_file_are_named_as_such(
    wh: Warehouse, tmp_path: Path
) -> None:
    """Two rows of an LF file joined by a lone CR (an old Mac export appended to a Unix one)
    were quarantined as "row has more fields than the header", which sent the reader to
    count commas: a CR no terminal shows was the cause. The rule names the CR and the fix;
    the other rows still load."""
    first, second, third = hours(3)
    path = tmp_path / "mixed.csv"
    path.write_bytes(f"{HEADER}\n{first}\n{second}\r{third}\n".encode())
    result = run(wh, path)
    assert result.entry is not None and result.entry.loaded == 1
    (rule,) = wh.quarantine()["rule"].to_list()
    assert rule == ingest._RULE_CR_INSIDE


@pytest.mark.parametrize("chunk", [1, 2, 3, 1 << 24])
def test_line_ends_are_counted_whatever_the_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """LF, CRLF (also split across two reads) and, in a file without LF, a lone CR each end
    one line; a last line without an end is a line too; a stray CR in an LF file does not."""
    monkeypatch.setattr(ingest, "_COUNT_BYTES", chunk)
    for name, text in {"lf": "h\na\nb\n", "crlf": "h\r\na\r\nb\r\n", "cr": "h\ra\rb\r"}.items():
        (tmp_path / name).write_bytes(text.encode())
        (tmp_path / f"{name}-open").write_bytes(text.rstrip("\r\n").encode())
        assert ingest._csv_records(tmp_path / name, header=["h"]).count == 2, name
        assert ingest._csv_records(tmp_path / f"{name}-open", header=["h"]).count == 2, name
    (tmp_path / "stray").write_bytes(b"h\na\rx\nb\n")
    assert ingest._csv_records(tmp_path / "stray", header=["h"]).count == 2


def test_the_line_reader_reads_a_good_file_as_the_fast_reader_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunk by chunk, the fallback reader gives the fast reader's rows and fields: quoted
    commas, empty fields, a short row, a blank line and a surplus field alike."""
    rows = [
        GOOD,
        '2025-03-01T01:00:00Z,eu-west,c1,inference,"acme, inc.",H100,10,1',
        "2025-03-01T02:00:00Z,eu-west,c1,inference,,H100,10,1",
        "2025-03-01T03:00:00Z,eu-west,c1,inference",
        "",
        "2025-03-01T04:00:00Z,eu-west,c1,inference,acme,H100,10,1,surplus",
    ]
    path = write_csv(tmp_path / "g.csv", *rows)
    (tmp_path / "parts").mkdir()
    fields = [*HEADER.split(","), "__overflow"]
    fast = ingest.scan_raw(path).select(fields).collect()
    monkeypatch.setattr(ingest, "_PART_LINES", 2)
    lines = ingest._csv_by_line(path, tmp_path / "parts").select(fields).collect()
    assert lines.equals(fast)
    assert len(list((tmp_path / "parts").glob("*.parquet"))) == 3


def test_a_quote_closed_lines_later_does_not_swallow_them(wh: Warehouse, tmp_path: Path) -> None:
    """A quote opened on one line and closed two lines later: the fast reader read the three
    lines as one row and lost two good ones silently; now each line is judged alone."""
    rows = hours(6)
    rows[1] = '"' + rows[1]
    rows[3] = rows[3] + '"'
    result = run(wh, write_csv(tmp_path / "q.csv", *rows))
    assert result.entry and result.entry.rows_read == 6 and reconciles(result)
    assert result.entry.loaded == 4  # rows 1, 3, 5, 6
    assert rules(wh)[2][1].startswith("malformed quoting")
    assert rules(wh)[4] == ("gpus_queued", "not a number")


def test_later_file_replaces_keys_from_an_earlier_file(wh: Warehouse, tmp_path: Path) -> None:
    """A late correction in a newer file replaces the stored row and counts as replaced."""
    run(wh, write_csv(tmp_path / "a.csv", GOOD))
    corrected = write_csv(
        tmp_path / "b.csv", GOOD.replace(",10,1", ",11,0"), GOOD.replace("T00", "T01")
    )
    result = run(wh, corrected)
    assert result.entry and result.entry.replaced == 1 and result.entry.loaded == 2
    assert wh.count("telemetry") == 2
    assert wh.telemetry().get_column("gpus_running").to_list() == [11.0, 10.0]


def test_a_conflicting_overlap_is_told_from_an_identical_one(wh: Warehouse, tmp_path: Path) -> None:
    """A later file that repeats stored keys says, per earlier ingest and file, how many keys
    changed value and how many were identical: "replaced 2" alone hid a conflict. Replaced
    counts the changed key alone; the identical one is unchanged."""
    first = run(wh, write_csv(tmp_path / "a.csv", GOOD, GOOD.replace("T00", "T01")))
    assert first.entry is not None
    later = write_csv(
        tmp_path / "b.csv", GOOD.replace(",10,1", ",20,1"), GOOD.replace("T00", "T01")
    )
    result = run(wh, later)
    assert result.entry and result.entry.replaced == 1 and result.unchanged == 1
    assert (result.entry.loaded, result.entry.deduplicated) == (1, 1)
    source = f"ingest {first.entry.ingest_id[:8]} (file {tmp_path / 'a.csv'})"
    assert result.notes == (
        f"1 key(s) changed value from {source}: the later file wins; 1 row already in the "
        f"warehouse with the same values (stored by ingest {first.entry.ingest_id[:8]}, file "
        f"{tmp_path / 'a.csv'}): skipped, not loaded again",
    )


def test_an_identical_overlap_says_so(wh: Warehouse, tmp_path: Path) -> None:
    """Keys repeated with the same values are named as a harmless overlap, not a conflict."""
    first = run(wh, write_csv(tmp_path / "a.csv", GOOD))
    assert first.entry is not None
    result = run(wh, write_csv(tmp_path / "b.csv", GOOD, GOOD.replace("T00", "T01")))
    assert result.notes == (
        f"1 row already in the warehouse with the same values (stored by ingest "
        f"{first.entry.ingest_id[:8]}, file {tmp_path / 'a.csv'}): skipped, not loaded again",
    )


def test_a_fixed_file_drops_its_stale_quarantine_rows(wh: Warehouse, tmp_path: Path) -> None:
    """Re-ingesting a path with new content drops the rows its old content quarantined, so
    `fleetcast quarantine` shows what is wrong now; other files' rows stay."""
    bad_row = GOOD.replace("T00", "T02").replace(",10,1", ",lots,1")
    other = run(wh, write_csv(tmp_path / "other.csv", bad_row.replace("c1", "c2")))
    path = write_csv(tmp_path / "data.csv", GOOD, bad_row)
    assert run(wh, path).entry.quarantined == 1  # type: ignore[union-attr]
    result = run(wh, write_csv(path, GOOD, bad_row.replace("lots", "3")))
    assert result.status == "loaded"
    assert any("dropped 1 quarantine row(s)" in n for n in result.notes)
    assert wh.quarantine()["file"].to_list() == [str(tmp_path / "other.csv")]
    assert other.status == "failed"  # its one row is bad: kept in quarantine all the same


def test_a_refixed_file_keeps_its_new_quarantine_rows(wh: Warehouse, tmp_path: Path) -> None:
    """Only earlier content's rows go: the new content's own bad rows and within-file
    conflicts are quarantined as before."""
    path = write_csv(tmp_path / "data.csv", GOOD, GOOD.replace(",10,1", ",lots,1"))
    run(wh, path)
    again = write_csv(path, GOOD, GOOD.replace(",10,1", ",12,1"), GOOD.replace("T00", "T05"))
    result = run(wh, again)
    assert result.entry and result.entry.quarantined == 1
    assert wh.quarantine()["rule"].to_list() == [CONFLICT_RULE]


def test_same_content_under_a_new_name_is_skipped(wh: Warehouse, tmp_path: Path) -> None:
    """A file whose bytes were ingested before is skipped, whatever its name."""
    first = write_csv(tmp_path / "a.csv", GOOD)
    run(wh, first)
    copy = tmp_path / "copy-of-a.csv"
    copy.write_bytes(first.read_bytes())
    result = run(wh, copy)
    assert result.status == "skipped" and "already ingested" in result.message
    assert wh.count("ingest_ledger") == 1


def test_rerun_of_a_directory_is_idempotent(wh: Warehouse, tmp_path: Path) -> None:
    """Ingesting the same directory twice leaves exactly the rows of one run."""
    for i in range(3):
        telemetry_frame(hours=24, seed=i, start=datetime(2025, 1, 1 + i, tzinfo=UTC)).write_parquet(
            tmp_path / f"t{i}.parquet"
        )
    files = ingest.telemetry_files([tmp_path], warehouse=wh.path)
    for path in files:
        run(wh, path)
    before = wh.telemetry_checksum()
    again = [run(wh, path) for path in files]
    assert {r.status for r in again} == {"skipped"}
    assert wh.telemetry_checksum() == before and wh.count("telemetry") == 3 * 24 * 3


def test_parquet_typed_columns_and_naive_datetimes(wh: Warehouse, tmp_path: Path) -> None:
    """Parquet keeps its types; a naive datetime column is read as UTC."""
    frame = telemetry_frame(hours=5).with_columns(pl.col("ts").dt.replace_time_zone(None))
    path = tmp_path / "naive.parquet"
    frame.write_parquet(path)
    result = run(wh, path)
    assert result.entry and result.entry.loaded == 15 and result.entry.naive_timestamps == 15


def test_parquet_with_nan_and_negative_values_quarantines_them(
    wh: Warehouse, tmp_path: Path
) -> None:
    """Typed NaN and negative GPU counts in Parquet are quarantined like text ones."""
    frame = telemetry_frame(hours=4, customers=1).with_columns(
        pl.Series("gpus_running", [1.0, float("nan"), -3.0, float("inf")])
    )
    path = tmp_path / "bad.parquet"
    frame.write_parquet(path)
    result = run(wh, path)
    assert reconciles(result) and result.entry and result.entry.loaded == 1
    assert {r for _, r in rules(wh).values()} == {"not finite (NaN or infinite)", "negative"}


def test_truncated_parquet_fails_alone_and_others_load(wh: Warehouse, tmp_path: Path) -> None:
    """A cut-off Parquet file fails with a clear error; the next file still loads."""
    good = tmp_path / "good.parquet"
    telemetry_frame(hours=10).write_parquet(good)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    results = [run(wh, p) for p in (broken, good)]
    assert results[0].status == "failed" and "Parquet" in results[0].message
    assert results[1].status == "loaded" and wh.count("telemetry") == 30


def test_truncated_gzip_csv_fails_alone(wh: Warehouse, tmp_path: Path) -> None:
    """A gzip CSV cut mid-stream fails with a message naming the file; nothing loads."""
    data = gzip.compress(csv_text(*[GOOD.replace("T00", f"T{h:02d}") for h in range(24)]).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) - 20])
    result = run(wh, path)
    assert result.status == "failed" and str(path) in result.message
    assert wh.count("telemetry") == 0


def test_truncated_last_csv_line_is_quarantined(wh: Warehouse, tmp_path: Path) -> None:
    """A CSV cut mid-row keeps its complete rows and quarantines the partial one."""
    path = tmp_path / "cut.csv"
    path.write_text(csv_text(GOOD) + "2025-03-01T01:00:00Z,eu-west,c1,infer", encoding="utf-8")
    result = run(wh, path)
    assert result.entry and result.entry.loaded == 1 and result.entry.quarantined == 1


def test_jsonl_with_a_broken_line(wh: Warehouse, tmp_path: Path) -> None:
    """JSON Lines load; a line that is not a JSON object is quarantined with its text."""
    rec = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    rec["gpus_running"] = 10  # numbers as JSON numbers
    lines = [json.dumps(rec), "{not json", json.dumps({**rec, "ts": "2025-03-01T01:00:00Z"})]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(wh, path)
    assert result.entry and result.entry.loaded == 2 and reconciles(result)
    q = wh.quarantine().row(0, named=True)
    assert q["row_number"] == 2 and q["raw"] == "{not json"


def test_a_json_line_ending_in_a_comma_is_named_as_such(wh: Warehouse, tmp_path: Path) -> None:
    """A JSON line holding a whole object followed by ',' (a line cut from an array, or a
    hand edit) read only "line is not a JSON object", though the object is right there: the
    rule names the comma and the fix; the other lines load."""
    rec = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    later = json.dumps({**rec, "ts": "2025-03-01T01:00:00Z"})
    path = tmp_path / "t.jsonl"
    path.write_text(f"{json.dumps(rec)}\n{later},\n", encoding="utf-8")
    result = run(wh, path)
    assert result.entry and result.entry.loaded == 1 and reconciles(result)
    (rule,) = wh.quarantine()["rule"].to_list()
    assert rule == ingest._LINE_RULES[ingest._JSON_COMMA]


def test_json_lines_are_read_part_by_part_whatever_keys_each_part_has(
    wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON Lines are staged in parts of a few lines (memory flat on big files): a key that
    only a later part has (``requests``) is null in the earlier ones, and a blank line is
    skipped, not a row."""
    monkeypatch.setattr(ingest, "_PART_LINES", 2)
    rec = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    lines = [
        json.dumps({**rec, "ts": f"2025-03-01T0{h}:00:00Z"} | ({"requests": 7} if h == 3 else {}))
        for h in range(5)
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join([*lines[:2], "", *lines[2:]]) + "\n", encoding="utf-8")
    result = run(wh, path)
    assert result.entry and result.entry.rows_read == 5 and result.entry.loaded == 5
    requests = wh.telemetry().sort("ts")["requests"].to_list()
    assert requests == [None, None, None, 7, None]


def test_gpu_hours_are_normalised_by_the_interval(wh: Warehouse, tmp_path: Path) -> None:
    """A file of GPU-hours per 30-minute interval becomes mean GPUs over the interval."""
    header = (
        "ts,region,cluster,workload_class,customer,gpu_type,"
        "gpu_hours,queued_gpu_hours,interval_minutes"
    )
    path = write_csv(
        tmp_path / "hours.csv",
        "2025-03-01T00:00:00Z,eu-west,c1,batch,acme,H100,5,1,30",
        header=header,
    )
    result = run(wh, path)
    assert result.entry and result.entry.loaded == 1
    row = wh.telemetry().row(0, named=True)
    assert row["gpus_running"] == 10.0 and row["gpus_queued"] == 2.0


def test_unknown_suffix_fails_with_the_list_of_formats(wh: Warehouse, tmp_path: Path) -> None:
    """A file of an unknown type fails and lists the suffixes fleetcast reads."""
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"PK")
    result = run(wh, path)
    assert result.status == "failed" and ".parquet" in result.message


def test_a_public_trace_goes_through_its_adapter_and_the_same_rules(wh: Warehouse) -> None:
    """`--format helios` reads the trace slice and reports the outage it dropped."""
    fixture = Path(__file__).parent / "fixtures" / "traces"
    path = fixture / "helios_earth_vc_minute_2020-05-12_slice.csv.gz"
    result = ingest.ingest_file(wh, path, file_format="helios")
    assert result.status == "loaded" and reconciles(result)
    assert result.entry and result.entry.file_format == "helios" and result.entry.loaded > 0
    assert any("outage minutes dropped 121" in note for note in result.notes)
    classes = set(wh.telemetry().get_column("workload_class"))
    assert classes <= {"training", "experimentation"}


@pytest.mark.parametrize(
    ("adapter", "name", "line", "old", "new", "rule"),
    [
        ("helios", "helios_earth_vc_minute_2020-05-12_slice.csv.gz", 4, ",208,176,",
         ",208,17x6,", "'17x6' is not a whole number"),
        ("helios", "helios_earth_vc_minute_2020-05-12_slice.csv.gz", 3, "2020-05-12 13:01:00",
         "2020-05-12T13:01", "'2020-05-12T13:01' is not a time in the format %Y-%m-%d %H:%M:%S"),
        ("servegen", "servegen_client_rates_10min_slice.csv", 3, ",0.0,", ",n/a,",
         "'n/a' is not a number"),
        ("azure-llm", "AzureLLMInferenceTrace_code_2023_slice.csv", 8, ",1960,", ",19.6e2,",
         "'19.6e2' is not a whole number"),
    ],
)  # fmt: skip
def test_a_bad_value_in_a_trace_is_refused_alone_by_row_column_and_value(
    wh: Warehouse,
    tmp_path: Path,
    adapter: str,
    name: str,
    line: int,
    old: str,
    new: str,
    rule: str,
) -> None:
    """A value that is not of its column's type refused the whole trace ("nothing of the file
    was loaded"); before that the typed read named only the column and a byte offset. The row
    alone is now quarantined with the file, the row, the column, the rule and the value, and
    the rest of the file loads."""
    source = Path(__file__).parent / "fixtures" / "traces" / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(source, "rt") as handle:
        lines = handle.read().splitlines(keepends=True)
    assert old in lines[line - 1], "the fixture changed: pick another line"
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path = tmp_path / name
    with opener(path, "wt") as handle:
        handle.write("".join(lines))
    result = ingest.ingest_file(wh, path, file_format=adapter)
    assert result.status == "loaded" and reconciles(result), result.message
    assert result.entry is not None and result.entry.quarantined == 1
    # Line 1 is the header: the data row is one less.
    quarantined = wh.quarantine().select("file", "row_number", "column", "rule", "value")
    (file, row, _, said, value) = quarantined.row(0)
    assert (file, row) == (str(path), line - 1)
    assert f"{value!r} {said}" == rule
    assert not wh.telemetry().is_empty()


@pytest.mark.parametrize(
    ("adapter", "name", "line", "old", "new", "rule"),
    [
        ("helios", "helios_earth_vc_minute_2020-05-12_slice.csv.gz", 4, ",208,176,",
         ",208,-50,", "column running_gpu_num: '-50' is negative"),
        ("servegen", "servegen_client_rates_10min_slice.csv", 4, ",0.2733333333333333,",
         ",-0.05,", "column rate_rps: '-0.05' is negative"),
        ("servegen", "servegen_client_rates_10min_slice.csv", 4, ",0.2733333333333333,",
         ",NaN,", "column rate_rps: 'NaN' is not a number (NaN)"),
        ("azure-llm", "AzureLLMInferenceTrace_code_2023_slice.csv", 8, ",1960,13",
         ",1960,-4", "column GeneratedTokens: '-4' is negative"),
        ("azure-llm", "AzureLLMInferenceTrace_code_2023_slice.csv", 5, ",2881,17", ",2881",
         "column GeneratedTokens is empty (or the row is cut short)"),
    ],
)  # fmt: skip
def test_a_value_no_count_can_take_is_refused_alone_naming_its_row(
    wh: Warehouse,
    tmp_path: Path,
    adapter: str,
    name: str,
    line: int,
    old: str,
    new: str,
    rule: str,
) -> None:
    """A count or rate that parses but no count can take (negative, NaN, empty) was summed
    into its hour without a word (a Helios minute of -50 GPUs running, a ServeGen window of
    -0.05 requests/s, an Azure request of -4 or of no generated tokens), and then refused the
    whole file. The row alone is now quarantined with its row, column, value and rule, and
    the rest of the file loads."""
    source = Path(__file__).parent / "fixtures" / "traces" / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(source, "rt", newline="") as handle:
        lines = handle.read().splitlines(keepends=True)
    assert old in lines[line - 1], "the fixture changed: pick another line"
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path = tmp_path / name
    with opener(path, "wt", newline="") as handle:
        handle.write("".join(lines))
    result = ingest.ingest_file(wh, path, file_format=adapter)
    assert result.status == "loaded" and reconciles(result), result.message
    # Line 1 is the header: the data row is one less.
    quarantined = wh.quarantine().select("row_number", "column", "rule", "value")
    assert quarantined.height == 1
    row, column, said, value = quarantined.row(0)
    assert row == line - 1
    shown = f"column {column}" + ("" if value is None else f": {value!r}") + f" {said}"
    assert shown == rule
    assert not wh.telemetry().is_empty()


def test_a_trace_cut_short_or_empty_is_one_line_not_a_traceback(
    wh: Warehouse, tmp_path: Path
) -> None:
    """A gzip trace cut short (an interrupted download) raised polars' OSError 'unexpected end
    of file' as a traceback; it now fails in one line naming the file, the cause and the fix.
    An Azure log holding its header alone raised a TypeError from its report; it now loads no
    row and says the file holds none, as a header-only telemetry file does."""
    fixtures = Path(__file__).parent / "fixtures" / "traces"
    whole = (fixtures / "helios_earth_vc_minute_2020-05-12_slice.csv.gz").read_bytes()
    cut = tmp_path / "helios_earth_vc_minute_cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    result = ingest.ingest_file(wh, cut, file_format="helios")
    assert result.status == "failed"
    assert f"{cut}: cannot read: " in result.message
    assert "gzip stream is cut short" in result.message and "fetch or copy" in result.message
    empty = tmp_path / "AzureLLMInferenceTrace_code_2023.csv"
    empty.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\r\n")
    result = ingest.ingest_file(wh, empty, file_format="azure-llm")
    assert result.status == "loaded" and result.entry and result.entry.loaded == 0
    assert "the file holds no data rows" in result.notes


def test_unknown_format_name_is_refused(wh: Warehouse, tmp_path: Path) -> None:
    """A --format that is neither a file format nor a trace adapter is a clear error."""
    path = write_csv(tmp_path / "a.csv", GOOD)
    with pytest.raises(ingest.IngestFileError, match="unknown format 'excel'"):
        ingest.ingest_file(wh, path, file_format="excel")


def test_column_names_match_whatever_their_case(wh: Warehouse, tmp_path: Path) -> None:
    """A header in capitals or with spaces (a spreadsheet export) loads like the contract's."""
    path = tmp_path / "caps.csv"
    header = ", ".join(name.upper() for name in HEADER.split(","))
    path.write_text(f"{header}\n{GOOD}\n")
    result = run(wh, path)
    assert result.status == "loaded" and result.entry and result.entry.loaded == 1
    assert result.entry.extra_columns == ()
    assert wh.telemetry().get_column("gpus_running").to_list() == [10.0]


def test_a_region_spelled_in_another_case_is_loaded_as_written_and_noted(
    wh: Warehouse, tmp_path: Path
) -> None:
    """'EU-West' after 'eu-west': both load as written (a plan may spell its regions either
    way), the file that adds the second spelling says so with the fix, later files do not."""
    first, second, third = (tmp_path / f"{name}.csv" for name in ("a", "b", "c"))
    first.write_text(f"{HEADER}\n{GOOD}\n")
    second.write_text(f"{HEADER}\n{GOOD.replace('eu-west', 'EU-West').replace('T00', 'T01')}\n")
    third.write_text(f"{HEADER}\n{GOOD.replace('T00', 'T02')}\n")
    assert run(wh, first).notes == ()
    (note,) = run(wh, second).notes
    assert "region spelled 'EU-West' and 'eu-west'" in note and "fix the export" in note
    assert run(wh, third).notes == ()
    assert sorted(set(wh.telemetry()["region"])) == ["EU-West", "eu-west"]


def test_a_customer_spelled_with_a_look_alike_dash_or_space_is_noted(
    wh: Warehouse, tmp_path: Path
) -> None:
    """'acme\u2011labs' (a non-breaking hyphen, as a word processor writes it) after
    'acme-labs' loaded silently as a second customer, its demand split in two with no word:
    only a difference of case was noted. Look-alike dashes and spaces are noted the same way."""
    spellings = ("acme-labs", "acme\u2011labs", "acme labs", "acme\u00a0labs")
    for hour, name in enumerate(spellings):
        row = GOOD.replace("acme", name).replace("T00", f"T0{hour}")
        (tmp_path / f"{hour}.csv").write_text(f"{HEADER}\n{row}\n")
    assert run(wh, tmp_path / "0.csv").notes == ()
    (note,) = run(wh, tmp_path / "1.csv").notes
    assert f"customer spelled {spellings[0]!r} and {spellings[1]!r}" in note, note
    assert "fix the export" in note
    # A space and a hyphen are two names; a no-break space and a space are one.
    assert run(wh, tmp_path / "2.csv").notes == ()
    (note,) = run(wh, tmp_path / "3.csv").notes
    assert f"customer spelled {spellings[2]!r} and {spellings[3]!r}" in note, note


def test_two_spellings_of_one_column_are_not_guessed_between(wh: Warehouse, tmp_path: Path) -> None:
    """'TS' and 'Ts' in one header: neither is taken for 'ts', and the error names both."""
    path = tmp_path / "twice.csv"
    header = HEADER.replace("ts,", "TS,Ts,", 1)
    path.write_text(f"{header}\n2025-03-01T00:00:00Z,{GOOD}\n")
    result = run(wh, path)
    assert result.status == "failed"
    assert "missing required column(s) ['ts']" in result.message and "'Ts'" in result.message


@pytest.mark.parametrize("column", ["gpus_running", "gpus_queued"])
def test_more_gpus_in_a_row_than_any_cluster_holds_is_quarantined(
    wh: Warehouse, tmp_path: Path, column: str
) -> None:
    """A row above the plausible ceiling is quarantined with the rule; the good rows load."""
    running, queued = ("1e9", "1") if column == "gpus_running" else ("10", "2000000")
    bad = f"2025-03-01T02:00:00Z,eu-west,c1,inference,acme,H100,{running},{queued}"
    ceiling = f"2025-03-01T03:00:00Z,eu-west,c1,inference,acme,H100,{ingest.MAX_GPUS_PER_ROW},0"
    result = run(wh, write_csv(tmp_path / "f.csv", GOOD, bad, ceiling))
    assert reconciles(result) and result.entry and result.entry.loaded == 2
    assert rules(wh) == {2: (column, ingest._RULE_CEILING)}


def test_gpu_hours_are_held_to_the_ceiling_per_hour(wh: Warehouse, tmp_path: Path) -> None:
    """The ceiling applies to GPUs, after GPU-hours are divided by the interval: 450,000
    GPU-hours in 30 minutes are 900,000 GPUs, 600,000 are 1,200,000."""
    path = tmp_path / "hours.csv"
    path.write_text(
        "ts,region,cluster,workload_class,customer,gpu_type,gpu_hours,gpus_queued,"
        "interval_minutes\n"
        "2025-03-01T00:00:00Z,eu-west,c1,inference,acme,H100,450000,0,30\n"
        "2025-03-01T02:00:00Z,eu-west,c1,inference,acme,H100,600000,0,30\n"
    )
    result = run(wh, path)
    assert result.entry and result.entry.loaded == 1
    assert rules(wh) == {2: ("gpu_hours", ingest._RULE_CEILING)}


def test_an_interval_that_is_not_a_number_says_so(wh: Warehouse, tmp_path: Path) -> None:
    """A blank interval is a missing value and "abc" is not a number (both read "interval not
    positive", which sent the reader looking for a sign); 0 and -5 are not positive; a day
    (1440) is longer than the hours the warehouse holds; the good row loads."""
    path = tmp_path / "intervals.csv"
    header = (
        "ts,region,cluster,workload_class,customer,gpu_type,gpu_hours,gpus_queued,"
        "interval_minutes\n"
    )
    rows = [f"2025-03-01T{h:02d}:00:00Z,eu-west,c1,inference,acme,H100,10,0,{v}\n"
            for h, v in enumerate(("60", "", "abc", "0", "-5", "1440"))]  # fmt: skip
    path.write_text(header + "".join(rows))
    result = run(wh, path)
    assert result.entry and result.entry.loaded == 1
    assert rules(wh) == {
        2: ("interval_minutes", "missing value"),
        3: ("interval_minutes", "not a number"),
        4: ("interval_minutes", "interval not positive"),
        5: ("interval_minutes", "interval not positive"),
        # A daily row stood on its first hour, the day's other 23 read missing: refused.
        6: ("interval_minutes", "interval longer than an hour (split the row into hourly rows)"),
    }


def test_a_file_reexported_for_the_same_period_replaces_its_earlier_rows(
    wh: Warehouse, tmp_path: Path
) -> None:
    """Following the case note's advice (fix the export, reload the file) counted a region
    twice: the rows under "US-EAST" stayed beside the corrected "us-east" ones. A new version
    of a path over the same period replaces the old one's rows, and says how many it dropped;
    a new version over another period (a path reused for each day's export) keeps the
    history."""
    path = tmp_path / "day.csv"
    header = "ts,region,cluster,workload_class,customer,gpu_type,gpus_running,gpus_queued\n"

    def day(region: str, date: str) -> str:
        return "".join(
            f"{date}T{h:02d}:00:00Z,{region},c1,inference,acme,H100,10,0\n" for h in range(24)
        )

    def regions() -> dict[str, int]:
        counts = wh.query("SELECT region, count(*) AS n FROM telemetry GROUP BY region")
        return dict(counts.iter_rows())

    path.write_text(header + day("US-EAST", "2025-03-01") + day("eu-west", "2025-03-01"))
    run(wh, path)
    path.write_text(header + day("us-east", "2025-03-01") + day("eu-west", "2025-03-01"))
    fixed = run(wh, path)
    assert regions() == {"us-east": 24, "eu-west": 24}
    assert any(note.startswith("dropped 24 row(s) of earlier content") for note in fixed.notes)
    path.write_text(header + day("us-east", "2025-03-02"))
    later = run(wh, path)
    assert regions() == {"us-east": 48, "eu-west": 24}
    assert not any("earlier content of this path" in note for note in later.notes)


def test_two_folders_files_of_one_name_are_two_files(
    wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each site's exporter writes `export.csv` and a job loads it from the site's folder: the
    ledger knew both as "export.csv", so the second replaced the first one's rows (268 rows of
    another region lost). A file is known by its absolute path; a new version of one path
    still replaces its old rows."""
    for site, region in (("a", "eu-west"), ("b", "us-east")):
        folder = tmp_path / site
        folder.mkdir()
        write_csv(folder / "export.csv", GOOD.replace("eu-west", region))
        monkeypatch.chdir(folder)
        result = run(wh, Path("export.csv"))
        assert result.entry is not None and result.entry.loaded == 1
        assert not result.notes
    assert sorted(wh.telemetry()["region"].to_list()) == ["eu-west", "us-east"]
    assert set(wh.ledger()["path"].to_list()) == {
        str((tmp_path / "a" / "export.csv").resolve()),
        str((tmp_path / "b" / "export.csv").resolve()),
    }


def test_a_reexport_with_broken_rows_keeps_the_good_values_they_hid(
    wh: Warehouse, tmp_path: Path
) -> None:
    """A re-export of a path with three corrupted rows deleted the good values stored for
    their keys (1,140 rows became 1,137), the bad ones only quarantined: a version with
    quarantined rows keeps the old rows it lacks, says so, and a clean reload replaces them."""
    path = tmp_path / "day.csv"
    rows = [GOOD.replace("T00", f"T{h:02d}") for h in range(6)]
    write_csv(path, *rows)
    run(wh, path)
    broken = [*rows[:2], rows[2].replace(",10,1", ",-4,1"), *rows[3:]]
    write_csv(path, *broken)
    result = run(wh, path)
    assert wh.telemetry().height == 6
    assert any(note.startswith("kept 1 row(s) of earlier content") for note in result.notes)
    write_csv(path, *rows[:2], *rows[3:])
    clean = run(wh, path)
    assert wh.telemetry().height == 5
    assert any(note.startswith("dropped 1 row(s) of earlier content") for note in clean.notes)


def test_a_bad_optional_cell_is_nulled_and_its_row_kept(wh: Warehouse, tmp_path: Path) -> None:
    """A bad `requests` or `tokens` value quarantined the whole row, GPUs included: a polars
    export writing NaN requests for every non-serving row lost 10,051 of 19,771 rows. The
    optional cell is now nulled, counted per column and rule in a note, and the row loads;
    a bad GPU count still quarantines its row."""
    header = f"{HEADER},requests,tokens"
    rows = [
        GOOD.replace(",10,1", ",1280,0") + ",NaN,",
        GOOD.replace("T00", "T01").replace(",10,1", ",1280,0") + ",-5,abc",
        GOOD.replace("T00", "T02").replace(",10,1", ",1280,0") + ",1e400,7",
        GOOD.replace("T00", "T03").replace(",10,1", ",-1,0") + ",3,7",
    ]
    result = run(wh, write_csv(tmp_path / "opt.csv", *rows, header=header))
    assert result.entry and result.entry.loaded == 3 and reconciles(result)
    assert rules(wh) == {4: ("gpus_running", "negative")}
    stored = wh.telemetry().sort("ts")
    assert stored["gpus_running"].to_list() == [1280.0] * 3
    assert stored["requests"].to_list() == [None, None, None]
    assert stored["tokens"].to_list() == [None, None, 7.0]
    assert result.notes == (
        "requests: set 3 cell(s) to null, their rows loaded (requests is optional and not part "
        "of demand): 1 negative (first at row 2), 2 not finite (NaN or infinite) (first at row 1)",
        "tokens: set 1 cell(s) to null, their rows loaded (tokens is optional and not part of "
        "demand): 1 not a number (first at row 2)",
    )


def test_a_nan_token_count_in_json_lines_keeps_its_row(wh: Warehouse, tmp_path: Path) -> None:
    """Python's json.dumps writes NaN: a line with 1,280 GPUs and `"tokens": NaN` was
    quarantined whole; its GPUs now load and the token count is null."""
    rec = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({**rec, "gpus_running": 1280, "tokens": float("nan")}) + "\n")
    result = run(wh, path)
    assert result.entry and result.entry.loaded == 1 and result.entry.quarantined == 0
    assert wh.telemetry().row(0, named=True)["tokens"] is None
    assert any(note.startswith("tokens: set 1 cell(s) to null") for note in result.notes)


def test_a_good_export_put_back_after_a_wrong_one_loads_again(
    wh: Warehouse, tmp_path: Path
) -> None:
    """A wrong version of a path (a 99,999-GPU typo) replaced the good one, and putting the
    good content back at that path was skipped as "already ingested": the wrong values stayed
    for good. Content put back where a later version replaced it loads again, says so, and a
    rerun is then skipped. A copy under another name stays skipped and says how to restore
    it: a stale copy in an inbox would otherwise win over every newer version."""
    good = [GOOD.replace("T00", f"T{h:02d}") for h in range(3)]
    path = write_csv(tmp_path / "data.csv", *good)
    first = run(wh, path)
    run(wh, write_csv(path, *[row.replace(",10,1", ",99999,1") for row in good]))
    assert wh.telemetry()["gpus_running"].max() == 99999.0
    copy = run(wh, write_csv(tmp_path / "data-restored.csv", *good))
    assert copy.status == "skipped" and copy.message.endswith(
        f"replaced its rows since: to restore this content, put it back at {path}"
    )
    assert wh.telemetry()["gpus_running"].max() == 99999.0
    restored = write_csv(path, *good)
    result = run(wh, restored)
    assert result.status == "loaded" and first.entry is not None
    assert result.notes[0].startswith(
        f"loaded again: this content was ingested before (ingest {first.entry.ingest_id[:8]}, "
        f"file {path})"
    )
    assert wh.telemetry()["gpus_running"].to_list() == [10.0] * 3
    assert wh.count("ingest_ledger") == 2
    assert run(wh, restored).status == "skipped"


def test_a_broken_version_put_back_shows_its_quarantine_again(
    wh: Warehouse, tmp_path: Path
) -> None:
    """bad, fixed, bad again at one path: the third load was skipped and `fleetcast
    quarantine` showed nothing while the file on disk had a bad row. It loads again, its bad
    row is quarantined, and the fixed value it lacks is kept (its broken row may be it)."""
    rows = [GOOD.replace("T00", f"T{h:02d}") for h in range(3)]
    broken = [rows[0], rows[1].replace(",10,1", ",lots,1"), rows[2]]
    path = write_csv(tmp_path / "data.csv", *broken)
    run(wh, path)
    run(wh, write_csv(path, *rows))
    assert wh.quarantine().is_empty()
    again = run(wh, write_csv(path, *broken))
    assert again.status == "loaded"
    assert rules(wh) == {2: ("gpus_running", "not a number")}
    assert wh.telemetry().height == 3


def test_a_path_reused_for_each_day_does_not_reload_an_earlier_day(
    wh: Warehouse, tmp_path: Path
) -> None:
    """A later version of a path over another period replaced none of an earlier day's rows:
    that day's content is still "already ingested"."""
    path = write_csv(tmp_path / "day.csv", GOOD)
    run(wh, path)
    run(wh, write_csv(path, GOOD.replace("2025-03-01", "2025-03-02")))
    result = run(wh, write_csv(tmp_path / "copy.csv", GOOD))
    assert result.status == "skipped" and "already ingested" in result.message


def test_a_fix_exported_over_a_moved_window_drops_the_old_keys_inside_it(
    wh: Warehouse, tmp_path: Path
) -> None:
    """The fix of a "US-EAST" spelling exported one hour later (a rolling window) kept every
    old "US-EAST" row without a word (helios-labs counted twice, the fleet +16 %): inside the
    period the new version covers, keys it lacks are dropped and named; the old hour before
    its window stays."""
    path = tmp_path / "export.csv"

    def rows(region: str, first: int, last: int) -> list[str]:
        return [
            f"2025-03-01T{h:02d}:00:00Z,{r},c1,inference,acme,H100,10,0"
            for h in range(first, last + 1)
            for r in (region, "eu-west")
        ]

    run(wh, write_csv(path, *rows("US-EAST", 0, 5)))
    fixed = run(wh, write_csv(path, *rows("us-east", 1, 6)))
    counts = wh.query("SELECT region, count(*) AS n FROM telemetry GROUP BY region")
    assert dict(counts.iter_rows()) == {"US-EAST": 1, "us-east": 6, "eu-west": 7}
    assert (
        "dropped 5 row(s) of earlier content of this path inside the period this version covers "
        "(2025-03-01 01:00 to 2025-03-01 06:00 UTC), under keys this version no longer holds "
        "(US-EAST/inference/acme): this version replaces it there"
    ) in fixed.notes


def test_quarter_hour_gpu_hours_without_an_interval_are_refused(
    wh: Warehouse, tmp_path: Path
) -> None:
    """Four rows 00:00/00:15/00:30/00:45 of 25 GPU-hours and no interval_minutes column loaded
    as 25 GPUs for the hour instead of 100, without a word (a whole fleet at a quarter of its
    demand). Rows of one series less than the default 60 minutes apart cannot each be an
    hour: the file is refused with the fix, and with the interval it loads as 100 GPUs."""
    header = "ts,region,cluster,workload_class,customer,gpu_type,gpu_hours,queued_gpu_hours"
    rows = [f"2025-03-01T00:{m:02d}:00Z,eu-west,c1,batch,acme,H100,25,0" for m in (0, 15, 30, 45)]
    path = write_csv(tmp_path / "q15.csv", *rows, header=header)
    result = run(wh, path)
    assert result.status == "failed" and wh.count("telemetry") == 0
    assert result.message == (
        f"{path}: rows 1 and 2 of one series are 15 minutes apart (3 such pairs), but the file "
        "has no interval_minutes column, so each gpu_hours value would be read as 60 minutes "
        "and demand would load at 25% of the truth: add an interval_minutes column (15 for "
        "these rows) and ingest it again"
    )
    fixed = write_csv(
        tmp_path / "q15.csv",
        *[f"{row},15" for row in rows],
        header=f"{header},interval_minutes",
    )
    assert run(wh, fixed).status == "loaded"
    hourly = wh.query("SELECT avg(gpus_running) AS gpus FROM telemetry")
    assert hourly["gpus"].to_list() == [100.0]


@pytest.mark.parametrize("by_line", [False, True])
def test_a_row_with_fewer_fields_than_the_header_is_quarantined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_line: bool
) -> None:
    """A last line cut by a killed exporter ("...,512,1" of 10 fields, no line end) loaded with
    gpus_queued 1.0 and nulls for the rest: a row with fewer fields than the header is
    quarantined as the event loader does, by both readers; an empty last field is not short."""
    header = f"{HEADER},requests,tokens"
    path = tmp_path / "cut.csv"
    path.write_text(
        csv_text(
            f"{GOOD},,",
            GOOD.replace("T00", "T01") + ",3",
            GOOD.replace("T00", "T02") + ",,",
            header=header,
        )
        + GOOD.replace("T00", "T03").replace(",10,1", ",512,1")
    )
    if by_line:
        monkeypatch.setattr(
            ingest, "_csv_records", lambda *_, **__: ingest.CsvRecords(-1, (), True)
        )
    with connect(tmp_path / "w.duckdb") as fresh:
        result = run(fresh, path)
        assert result.entry and result.entry.loaded == 2 and reconciles(result)
        rule = "the row has fewer fields than the header (a line cut short?)"
        assert rules(fresh) == {2: ("(row)", rule), 4: ("(row)", rule)}


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_quoted_line_break_inside_a_field_is_one_row(
    wh: Warehouse, tmp_path: Path, gzipped: bool
) -> None:
    """A valid RFC-4180 file whose extra column holds a quoted line break (polars, pandas and
    Excel write them) lost that row as "malformed quoting ... never closed", a phantom row
    "region: missing value", and read 6 rows of 5 records: it is read as 5 rows, all loaded."""
    frame = telemetry_frame(hours=5, customers=1).with_columns(
        pl.Series("labels", ["a", "team=infra\nowner=ops", "c", "d", "e"])
    )
    text = frame.write_csv()
    path = tmp_path / ("labels.csv.gz" if gzipped else "labels.csv")
    path.write_bytes(gzip.compress(text.encode()) if gzipped else text.encode())
    result = run(wh, path)
    assert result.status == "loaded" and reconciles(result)
    assert result.entry and (result.entry.rows_read, result.entry.loaded) == (5, 5)
    stored = wh.telemetry().sort("ts")["gpus_running"].to_list()
    assert stored == frame["gpus_running"].to_list()


def test_json_lines_rows_are_line_numbers_and_blank_lines_are_noted(
    wh: Warehouse, tmp_path: Path
) -> None:
    """A blank JSON line was skipped without a trace and every later row number was one less
    than its line (a negative count on line 4 reported as row 3): rows are line numbers and
    the notes say "skipped 1 blank line(s)", as for CSV."""
    rec = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    lines = [
        json.dumps(rec),
        "",
        json.dumps({**rec, "customer": "b"}),
        json.dumps({**rec, "customer": "c", "gpus_running": -1}),
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run(wh, path)
    assert result.entry and (result.entry.rows_read, result.entry.loaded) == (3, 2)
    assert reconciles(result)
    assert rules(wh) == {4: ("gpus_running", "negative")}
    assert "skipped 1 blank line(s) (not one field filled in): no row there" in result.notes


@pytest.mark.parametrize("trailing", [",", ",,", ",,,"])
def test_trailing_unnamed_columns_of_a_spreadsheet_are_ignored_with_a_note(
    wh: Warehouse, tmp_path: Path, trailing: str
) -> None:
    """Two empty trailing columns on every line (a spreadsheet export) failed the whole good
    file with "header names [''] more than once", and one was noted as an extra column with
    an empty name: unnamed columns are ignored and counted in a note, every row loads, and a
    repeated header line inside the data is still refused."""
    rows = [f"{row}{trailing}" for row in (GOOD, GOOD.replace("T00", "T01"), HEADER)]
    result = run(wh, write_csv(tmp_path / "sheet.csv", *rows, header=HEADER + trailing))
    assert result.status == "loaded" and result.entry and result.entry.loaded == 2
    assert result.entry.extra_columns == ()
    assert rules(wh) == {3: ("(row)", ingest._LINE_RULES[ingest._HEADER_AGAIN])}
    unnamed = len(trailing)
    assert result.notes == (
        f"ignored {unnamed} unnamed column(s) (the header leaves them empty: a spreadsheet's "
        "trailing commas?)",
    )


def test_invisible_format_characters_around_a_name_are_stripped(
    wh: Warehouse, tmp_path: Path
) -> None:
    """ "helios-labs" pasted with a zero-width space (U+200B) loaded as a second customer
    without a note (helios-labs seemed to stop, a new customer to start); format characters
    (Unicode Cf: zero-width space, word joiner, BOM, direction marks) around a name are
    stripped like whitespace, as a no-break space already was."""
    rows = [
        GOOD.replace("acme", "helios-labs"),
        GOOD.replace("T00", "T01").replace("acme", "helios-labs\u200b"),
        GOOD.replace("T00", "T02").replace("acme", "\u2060\ufeffhelios-labs\u200e\u00a0"),
        GOOD.replace("T00", "T03")
        .replace("eu-west", "eu-west\u200b")
        .replace("acme", "helios-labs"),
    ]
    result = run(wh, write_csv(tmp_path / "zw.csv", *rows))
    assert result.entry and result.entry.loaded == 4 and result.notes == ()
    stored = wh.telemetry()
    assert set(stored["customer"]) == {"helios-labs"} and set(stored["region"]) == {"eu-west"}


def test_gpu_hours_beside_gpus_running_are_noted_as_ignored(wh: Warehouse, tmp_path: Path) -> None:
    """A file with both gpus_running and gpu_hours (here twice as large) used gpus_running
    and dropped gpu_hours without the note every other unused column gets: it says so now."""
    path = write_csv(tmp_path / "both.csv", f"{GOOD},20", header=f"{HEADER},gpu_hours")
    result = run(wh, path)
    assert result.notes == ("ignored gpu_hours: the file also has gpus_running, which is used",)
    assert wh.telemetry()["gpus_running"].to_list() == [10.0]


def test_a_directory_accounts_for_every_file_whatever_its_suffix(
    wh: Warehouse, tmp_path: Path
) -> None:
    """A folder holding TELEMETRY.CSV, a bzip2 export t2.csv.bz2 and notes.txt listed only the
    CSV (the bz2's rows neither loaded nor named, exit 0). Now every file is listed, and each one
    not read fails naming itself, why, and the suffixes read; the CSV still loads."""
    import bz2

    rows = [GOOD.replace("T00", f"T{h:02d}") for h in range(12)]
    write_csv(tmp_path / "TELEMETRY.CSV", *rows)
    other = csv_text(*[r.replace("2025-03-01", "2025-03-02") for r in rows])
    (tmp_path / "t2.csv.bz2").write_bytes(bz2.compress(other.encode()))
    (tmp_path / "notes.txt").write_text("hello\n")
    files = ingest.telemetry_files([tmp_path], warehouse=wh.path)
    assert [p.name for p in files] == ["TELEMETRY.CSV", "notes.txt", "t2.csv.bz2"]
    results = {p.name: run(wh, p) for p in files}
    assert results["TELEMETRY.CSV"].status == "loaded"
    assert results["TELEMETRY.CSV"].entry and results["TELEMETRY.CSV"].entry.loaded == 12
    bz = results["t2.csv.bz2"]
    assert bz.status == "failed" and bz.entry is None
    assert str(tmp_path / "t2.csv.bz2") in bz.message
    assert "bzip2" in bz.message and ".csv.gz" in bz.message and "nothing" in bz.message
    txt = results["notes.txt"]
    assert txt.status == "failed" and "'.txt'" in txt.message and ".parquet" in txt.message
    assert wh.count("telemetry") == 12 and wh.count("ingest_ledger") == 1


def test_a_row_running_more_gpus_than_its_region_has_loads_with_a_warning(
    wh: Warehouse, tmp_path: Path
) -> None:
    """One row of 500,000 GPUs in a region whose blocks hold 18,048 (a unit or typo error)
    loaded without a word and became a forecast customer (sweep48 F5): it still loads (a plan
    may lag what a region runs), and the ingest names the file, region, first row, column
    and value; a region without blocks in the plan is not judged."""
    rows = [GOOD.replace("T00", f"T{h:02d}") for h in range(4)]
    typo = rows[2].replace(",10,1", ",500000,0")
    path = write_csv(
        tmp_path / "spike.csv", *rows[:2], typo, rows[3], rows[0].replace("eu-west", "us-east")
    )
    plan = ingest.Plan(
        name="plan.toml",
        regions=frozenset({"eu-west", "us-east"}),
        region_gpus={"eu-west": 18_048},
    )
    result = run(wh, path, plan=plan)
    assert result.status == "loaded" and result.entry and result.entry.loaded == 5
    assert result.warnings == (
        f"{path.resolve()}: 1 row in region 'eu-west' runs more GPUs than every [[block]] of "
        "plan.toml there holds (18,048): the first at row 3, column gpus_running, 500,000. "
        "Loaded as written (the forecast holds an isolated day as a spike; a plan may lag what "
        "a region runs); if it is a unit or typo error, fix the export and ingest it again",
    )


def test_a_region_the_plan_lacks_loads_with_a_warning_naming_the_near_miss(
    wh: Warehouse, tmp_path: Path
) -> None:
    """168 rows in region 'servegn' (the plan has only 'servegen') loaded without a word, caught
    only by the forecast. Now they still load (a plan may lag a new region), and the ingest
    warns naming the file, the region, its rows, the plan's regions and the near miss."""
    rows = [GOOD.replace("T00", f"T{h:02d}") for h in range(5)]
    typo = [r.replace("eu-west", "eu-wset") for r in rows[:3]]
    far = [rows[0].replace("eu-west", "ap-south")]
    path = write_csv(tmp_path / "typo.csv", *rows, *typo, *far)
    plan = ingest.Plan(name="plan.toml", regions=frozenset({"eu-west", "us-east", "us-west"}))
    result = run(wh, path, plan=plan)
    assert result.status == "loaded" and result.entry and result.entry.loaded == 9
    assert len(result.warnings) == 2
    near, other = sorted(result.warnings, key=lambda w: "eu-wset" not in w)
    assert near.startswith(f"{path.resolve()}: region 'eu-wset' (3 rows) is in no [[block]] or")
    assert "plan.toml (its regions: eu-west, us-east, us-west)" in near
    assert "did you mean 'eu-west'?" in near
    assert "'ap-south' (1 row)" in other and "did you mean" not in other
    # Without a near miss the list closes its sentence: "(its regions: ...) Loaded as" read
    # as one run-on line.
    assert "us-west). Loaded as written" in other, other
    # Without a plan nothing is judged (the eu-west rows above, of the plan, raised nothing).
    assert run(wh, write_csv(tmp_path / "b.csv", rows[0].replace("T00", "T09"))).warnings == ()


@pytest.mark.parametrize(
    ("stored", "new", "skips"),
    [
        # One stored hour; the next file's first hour joins it, then a row five weeks on.
        (["2025-01-01T00"], ["2025-01-01T05", "2025-02-08T00", "2025-02-08T01"], False),
        # One stored hour; the next file starts six weeks later with one hour, then more.
        (["2025-01-01T00"], ["2025-02-15T03", "2025-04-01T00", "2025-04-01T01"], False),
        # A stored feed; the next file continues it: nothing stray.
        (["2025-03-01T00", "2025-03-01T01"], ["2025-03-01T02", "2025-03-02T00"], True),
        # A stored feed; the next file backfills an hour long before it.
        (["2025-03-01T00", "2025-03-01T01"], ["2025-01-20T00", "2025-03-01T02"], False),
    ],
)
def test_the_stray_check_skips_only_files_that_continue_their_region(
    wh: Warehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stored: list[str],
    new: list[str],
    skips: bool,
) -> None:
    """The stray-row check read every stored hour of a file's regions for each file (0.23-0.37 s
    a file on the demo, growing with the warehouse); a file whose rows only continue their
    region's stored telemetry now skips it. The skip must be exact: each case warns the same
    with it as with the whole check."""

    def rows(stamps: list[str]) -> list[str]:
        return [GOOD.replace("2025-03-01T00", stamp) for stamp in stamps]

    run(wh, write_csv(tmp_path / "stored.csv", *rows(stored)))
    path = write_csv(tmp_path / "new.csv", *rows(new))
    new_rows = pl.DataFrame({"region": ["eu-west"] * len(new), "ts": new}).with_columns(
        (pl.col("ts") + ":00").str.to_datetime("%Y-%m-%dT%H:%M", time_zone="UTC")
    )
    assert ingest._regions_continued(new_rows, wh) == (["eu-west"] if skips else [])
    with connect(tmp_path / "mirror.duckdb") as mirror:
        run(mirror, tmp_path / "stored.csv")
        skipped = run(wh, path).warnings
        monkeypatch.setattr(ingest, "_regions_continued", lambda *_: [])
        assert run(mirror, path).warnings == skipped
    # Each case but the continued feed has a stray row to warn of.
    assert bool(skipped) == (not skips)


def test_a_row_long_before_its_region_s_first_day_loads_with_a_warning(
    wh: Warehouse, tmp_path: Path
) -> None:
    """One row stamped 2025-01-01 for a region whose telemetry starts 2025-03-01 loaded without
    a word, and `demand` then read months of outage hours before the region's start. It still
    loads, and the ingest names the file, its row, column and value and the region's first
    day otherwise, also where the rest of the region came in an earlier file."""
    rows = [GOOD.replace("T00", f"T{h:02d}") for h in range(4)]
    stray = rows[0].replace("2025-03-01T00", "2025-01-01T07")
    path = write_csv(tmp_path / "stray.csv", *rows[:2], stray, *rows[2:])
    result = run(wh, path)
    assert result.status == "loaded" and result.entry and result.entry.loaded == 5
    assert result.warnings == (
        f"{path.resolve()}: 1 row in region 'eu-west' stamped 4 weeks or more before the "
        "region's first day otherwise (2025-03-01): row 3, column ts, 2025-01-01T07:00:00Z. "
        "Loaded as written, not read as history (the region's daily demand and outages start "
        "on its first day otherwise); if the stamp is wrong, fix the export and ingest it again",
    )
    alone = write_csv(tmp_path / "later.csv", stray.replace("T07", "T08"))
    assert "row 1, column ts, 2025-01-01T08:00:00Z" in run(wh, alone).warnings[0]
    # Rows of the region's own days are not judged stray.
    assert run(wh, write_csv(tmp_path / "more.csv", rows[0].replace("T00", "T09"))).warnings == ()


def test_a_row_that_cannot_be_split_into_fields_is_quarantined_with_its_line(
    wh: Warehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fleetcast quarantine` showed "too many fields", "unbalanced quote" or "not a JSON
    object" as the value of a row refused whole, the rule's own words: a reader could neither
    find the row in the file nor see what to fix. The value is the line as the file wrote it,
    a long one cut at 200 characters saying so (the raw column keeps it whole); the good rows
    load, and the quarantine table folds the line instead of cutting it."""
    from rich.console import Console

    from flows.tables import quarantine_table

    long_tail = "x" * 300
    wide = f"{GOOD},7"
    quoted = '2025-03-01T01:00:00Z,eu-west,"c1,inference,acme,H100,10,1'
    longer = f"{GOOD},{long_tail}"
    path = write_csv(tmp_path / "t.csv", GOOD, wide, quoted, longer)
    result = run(wh, path)
    assert result.entry is not None and result.entry.loaded == 1
    q = wh.quarantine()
    assert q["value"].to_list() == [
        wide,
        quoted,
        f"{longer[:200]}... (truncated: the first 200 of {len(longer)} characters)",
    ]
    assert q["raw"].to_list()[2] == longer
    lines = tmp_path / "t.jsonl"
    cells = ["2025-03-01T05:00:00Z", "eu-west", "c1", "inference", "acme", "H100", "10", "1"]
    good = dict(zip(HEADER.split(","), cells, strict=True))
    lines.write_text(json.dumps(good) + "\nnot json at all\n")
    run(wh, lines)
    said = dict(wh.quarantine().filter(pl.col("file") == str(lines)).select("rule", "value").rows())
    assert said["line is not a JSON object"] == "not json at all"
    Console(width=120).print(quarantine_table(wh.quarantine(), limit=10))
    # The value column, its folded lines joined: the wide line is there whole.
    out = capsys.readouterr().out.splitlines()
    cells = [line.split("│")[-2].strip() for line in out if line.count("│") > 2]
    assert wide in "".join(cells)
