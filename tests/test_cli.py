"""The `fleetcast` command: exit statuses, summaries, and fast answers that start no server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from telemetry_files import write_csv

from flows.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOOD = "2025-03-01T00:00:00Z,eu-west,c1,inference,acme,H100,10,1"
BAD = "2025-03-01T01:00:00Z,eu-west,c1,inference,acme,H100,-4,1"


def fleetcast(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter, as a user would."""
    code = (
        "import sys; from flows.cli import main; rc = main(); "
        "print('prefect' in sys.modules, file=sys.stderr); sys.exit(rc)"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )


def test_missing_path_is_a_usage_error_without_starting_prefect(tmp_path: Path) -> None:
    """A path that does not exist exits 2 at once, and prefect is never imported."""
    result = fleetcast(
        "ingest", str(tmp_path / "nope.csv"), "--warehouse", str(tmp_path / "w.duckdb")
    )
    assert result.returncode == 2
    assert "no such file or directory" in result.stderr
    assert result.stderr.strip().endswith("False")


def test_unknown_option_is_a_usage_error() -> None:
    """argparse's own usage errors exit 2."""
    assert fleetcast("ingest", "--frobnicate").returncode == 2


def test_invalid_capacity_plan_names_the_block_and_exits_1(tmp_path: Path) -> None:
    """`fleetcast capacity` on a broken plan prints the entry and field at fault, exit 1."""
    plan = tmp_path / "capacity.toml"
    plan.write_text('[[block]]\nid = "pod-x"\nkind = "pod"\ngpus = -1\n', encoding="utf-8")
    result = fleetcast("capacity", "--capacity", str(plan))
    assert result.returncode == 1
    assert "[[block]] 'pod-x' field gpus" in result.stderr


@pytest.mark.slow
def test_ingest_flow_exit_status_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the Prefect flow: 0 when all files read, 1 for an unreadable one or --strict."""
    warehouse = str(tmp_path / "w.duckdb")
    good = write_csv(tmp_path / "good.csv", GOOD)
    assert main(["ingest", str(good), "--warehouse", warehouse]) == 0
    assert "good.csv" in capsys.readouterr().out

    with_bad_row = write_csv(tmp_path / "rows.csv", GOOD.replace("T00", "T02"), BAD)
    assert main(["ingest", str(with_bad_row), "--warehouse", warehouse]) == 0
    again = write_csv(tmp_path / "rows2.csv", GOOD.replace("T00", "T03"), BAD)
    assert main(["ingest", str(again), "--warehouse", warehouse, "--strict"]) == 1

    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    assert main(["ingest", str(broken), str(good), "--warehouse", warehouse]) == 1
    out = capsys.readouterr()
    assert "broken.parquet" in out.err and "skipped" in out.out


@pytest.mark.slow
def test_events_command_loads_lists_and_refuses_bad_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fleetcast events FILE` loads good rows, names bad ones; --strict exits 1; no FILE lists."""
    warehouse = str(tmp_path / "w.duckdb")
    calendar = tmp_path / "events.csv"
    calendar.write_text(
        "event,date,region,upper_window\n"
        "model-launch,2026-03-01,us-east,7\n"
        "model-launch,2026-31-12,us-east,7\n",
        encoding="utf-8",
    )
    assert main(["events", str(calendar), "--warehouse", warehouse]) == 0
    out = capsys.readouterr().out
    assert "refused event rows" in out and "date not ISO-8601" in out
    assert main(["events", str(calendar), "--warehouse", warehouse, "--strict"]) == 1
    capsys.readouterr()
    assert main(["events", "--warehouse", warehouse]) == 0
    listed = capsys.readouterr().out
    assert "known events (1)" in listed and "2026-03-01" in listed and "us-east" in listed
    assert main(["events", str(tmp_path / "none.csv"), "--warehouse", warehouse]) == 2
