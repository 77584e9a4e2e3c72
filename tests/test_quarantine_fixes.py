"""What ingest tells a user to write for a quarantined row: the fix fits the column."""

from __future__ import annotations

from pathlib import Path

import pytest
from telemetry_files import write_csv

from flows.cli import main
from forecasting.warehouse import connect

GOOD = [f"2025-03-01T{h:02d}:00:00Z,eu-west,c1,inference,acme,H100,10,1" for h in range(5)]


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("row", "column", "fix"),
    [
        (
            "2025-03-01T05:00:00Z,eu-west,c1,inference,,H100,10,1",
            "customer",
            "write the row's customer (a row without one is counted under no customer)",
        ),
        (
            "2025-03-01T05:00:00Z,,c1,inference,acme,H100,10,1",
            "region",
            "write the row's region (a row without one is counted under no region)",
        ),
        (
            ",eu-west,c1,inference,acme,H100,10,1",
            "ts",
            "write the hour the row measured, e.g. 2025-03-01T13:00:00Z",
        ),
        (
            "2025-03-01T05:00:00Z,eu-west,c1,inference,acme,H100,,1",
            "gpus_running",
            "write the value, 0 where nothing ran or waited",
        ),
    ],
)
def test_a_missing_value_s_fix_fits_its_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], row: str, column: str, fix: str
) -> None:
    """A row without a customer read "missing value; write the value, 0 where nothing ran or
    waited": a zero is what a missing count may mean, not a missing name or hour. A name or
    hour says to write it; a count keeps the zero hint. The good rows load."""
    path = write_csv(tmp_path / "t.csv", *GOOD, row)
    warehouse = str(tmp_path / "w.duckdb")
    assert main(["--warehouse", warehouse, "ingest", str(path)]) == 0
    err = _words(capsys.readouterr().err)
    assert f"row 6, column {column}: missing value; {fix}" in err, err
    with connect(Path(warehouse), read_only=True) as wh:
        assert wh.count("telemetry") == len(GOOD) and wh.count("quarantine") == 1
