"""Repeated rows and repeated files: what ingest, `status` and `quarantine` say about them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from telemetry_files import write_csv

from flows.cli import main
from flows.status import warehouse_status_tables
from forecasting import ingest
from forecasting.warehouse import CONFLICT_RULE, Warehouse

NOW = datetime(2025, 6, 1, tzinfo=UTC)
START = datetime(2025, 3, 1, tzinfo=UTC)


def _rows(hours: int, *, gpus: float = 10) -> list[str]:
    """One series' hourly rows."""
    return [
        f"{START + timedelta(hours=h):%Y-%m-%dT%H:%M:%SZ},eu-west,c1,inference,acme,H100,"
        f"{gpus + h},1"
        for h in range(hours)
    ]


def _run(wh: Warehouse, path: Path) -> ingest.IngestResult:
    return ingest.ingest_file(wh, path, now=NOW)


def _words(text: str) -> str:
    return " ".join(text.split())


def test_a_file_of_exact_repeats_says_so_and_replaces_nothing(
    wh: Warehouse, tmp_path: Path
) -> None:
    """A file holding every row twice over a path that held each once read "loaded 199,
    replaced 199": nothing a reader would call data was replaced. The repeats within the file
    are said as such, the stored keys it repeated are unchanged, and replaced counts only keys
    whose values changed."""
    rows = _rows(5)
    path = write_csv(tmp_path / "x.csv", *rows)
    first = _run(wh, path)
    assert first.entry is not None
    again = _run(wh, write_csv(path, *rows, *rows))
    assert again.status == "loaded" and again.entry is not None
    # The stored rows it repeats are duplicates too, not loaded (session 66).
    assert (again.entry.rows_read, again.entry.loaded, again.entry.deduplicated) == (10, 0, 10)
    assert again.entry.replaced == 0 and again.unchanged == 5
    assert again.notes == (
        "5 of 10 rows were exact repeats of other rows in the file (same series, hour and "
        "values): each loaded once",
        f"5 rows already in the warehouse with the same values (stored by ingest "
        f"{first.entry.ingest_id[:8]}, file {path}): skipped, not loaded again",
    )


def test_repeats_within_a_new_file_are_said_in_the_notes(wh: Warehouse, tmp_path: Path) -> None:
    """Dedup 199 with empty notes left a reader to guess what had been dropped."""
    rows = _rows(3)
    result = _run(wh, write_csv(tmp_path / "dup.csv", *rows, *rows))
    assert result.entry is not None and result.entry.deduplicated == 3
    assert result.entry.replaced == 0 and result.unchanged == 0
    assert result.notes == (
        "3 of 6 rows were exact repeats of other rows in the file (same series, hour and "
        "values): each loaded once",
    )


def test_a_repeat_with_other_values_stays_a_named_conflict(wh: Warehouse, tmp_path: Path) -> None:
    """A repeat in one file with a different value is no exact repeat: the earlier row is
    quarantined naming the file, both rows, the column and the rule, and is not counted as
    deduplicated."""
    rows = _rows(3)
    changed = rows[0].replace(",10,1", ",11,1")
    path = write_csv(tmp_path / "c.csv", *rows, changed)
    result = _run(wh, path)
    assert result.entry is not None
    assert (result.entry.deduplicated, result.entry.quarantined, result.entry.loaded) == (0, 1, 3)
    assert not any("exact repeats" in n for n in result.notes)
    q = wh.quarantine().row(0, named=True)
    assert (q["file"], q["row_number"], q["column"], q["rule"], q["value"]) == (
        str(path),
        1,
        "gpus_running",
        CONFLICT_RULE,
        "10.0 (row 4: 11.0)",
    )


def test_reingesting_the_same_file_says_unchanged(wh: Warehouse, tmp_path: Path) -> None:
    """The rerun of one file must read as a no-op: "unchanged", and no row moves."""
    path = write_csv(tmp_path / "a.csv", *_rows(4))
    first = _run(wh, path)
    assert first.entry is not None
    again = _run(wh, path)
    assert again.status == "skipped"
    assert again.message == (
        f"unchanged: already ingested (same content as {path.resolve()}, ingest "
        f"{first.entry.ingest_id[:8]})"
    )
    assert wh.count("telemetry") == 4 and wh.count("ingest_ledger") == 1


def test_status_counts_the_rows_quarantined_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`status` summed the quarantined counts of every ingest: 2 after a bad file was
    ingested again with one more line, where `fleetcast quarantine` listed 1 (and "files
    ingested 2", "loaded 8" for 4 rows of one file). It counts what `quarantine` lists: the
    rows quarantined now, and in how many files."""
    bad = "2025-03-01T09:00:00Z,eu-west,c1,inference,acme,H100,lots,1"
    path = write_csv(tmp_path / "bad.csv", *_rows(4), bad)
    warehouse = tmp_path / "w.duckdb"
    assert main(["--warehouse", str(warehouse), "ingest", str(path)]) == 0
    with path.open("a") as fh:
        fh.write("\n")  # new content, the same rows
    assert main(["--warehouse", str(warehouse), "ingest", str(path)]) == 0
    capsys.readouterr()
    assert main(["--warehouse", str(warehouse), "quarantine"]) == 0
    assert "quarantine (1 rows)" in capsys.readouterr().out
    # The table as a wide terminal prints it: a test's 80 columns wrap its header.
    console = Console(width=250, record=True, file=io.StringIO())
    console.print(*warehouse_status_tables(warehouse))
    lines = console.export_text().splitlines()
    header = next(line for line in lines if "newest telemetry" in line)
    values = lines[lines.index(header) + 2]
    cells = dict(
        zip(
            [c.strip() for c in header.split("┃")[1:-1]],
            [c.strip() for c in values.split("│")[1:-1]],
            strict=True,
        )
    )
    assert cells["rows"] == "4"
    assert cells["files"] == "1"
    assert cells["quarantined now"] == "1 in 1 file"


def test_rows_already_in_the_warehouse_are_duplicates_not_loaded(
    wh: Warehouse, tmp_path: Path
) -> None:
    """A second file holding the same rows as one ingested before (another name, another row
    order: content the ledger does not know) read "loaded 5" in the ingest summary, though the
    warehouse kept one row per key and gained nothing. Those rows are duplicates now, the note
    naming the file that holds them, and a rerun of either file stays a no-op."""
    rows = _rows(5)
    first_path = write_csv(tmp_path / "a.csv", *rows)
    first = _run(wh, first_path)
    assert first.entry is not None and first.entry.loaded == 5
    second = _run(wh, write_csv(tmp_path / "b.csv", *reversed(rows), _rows(6)[-1]))
    assert second.status == "loaded" and second.entry is not None
    e = second.entry
    assert (e.rows_read, e.loaded, e.deduplicated, e.replaced) == (6, 1, 5, 0)
    assert e.rows_read == e.loaded + e.quarantined + e.deduplicated
    assert second.notes == (
        f"5 rows already in the warehouse with the same values (stored by ingest "
        f"{first.entry.ingest_id[:8]}, file {first_path}): skipped, not loaded again",
    )
    assert wh.count("telemetry") == 6
    # Every row already there: duplicates all, and no failure ("none of its rows is good").
    third = _run(wh, write_csv(tmp_path / "c.csv", *rows[1:], rows[0]))
    assert third.status == "loaded" and third.entry is not None
    assert (third.entry.loaded, third.entry.deduplicated) == (0, 5)
    assert _run(wh, tmp_path / "c.csv").status == "skipped"
    assert wh.count("telemetry") == 6
