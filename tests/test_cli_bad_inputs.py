"""Bad inputs at the command line: each gets one clear line and an exit status, never a trace."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import main
from forecasting.resources import sample_capacity


def test_report_on_a_missing_warehouse_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fleetcast report` on a mistyped warehouse path says there is none (exit 1) and leaves
    no folder or empty warehouse behind."""
    path = tmp_path / "typo" / "w.duckdb"
    assert main(["--warehouse", str(path), "--capacity", str(sample_capacity()), "report"]) == 1
    assert "no warehouse at" in capsys.readouterr().err
    assert not path.parent.exists()
