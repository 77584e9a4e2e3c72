"""Trace adapters' refusals and notes name what they could not read, in words a reader acts on."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from flows.cli import main


def test_a_servegen_file_of_an_unknown_model_names_the_model_where_it_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ServeGen file whose only model has no serving profile failed with "every row
    quarantined" and its rows read "gpu_type: missing value", the model named nowhere (the
    note naming it was dropped with the file). Its row names the unmapped model now."""
    path = tmp_path / "sg.csv"
    path.write_text(
        "category,model,client_id,t_s,rate_rps,cv,arrival_pattern,pat_arg1,pat_arg2\n"
        "language,m-huge,0,0,1.0,1.0,Gamma,1.0,1.0\n"
    )
    monkeypatch.setattr("flows.cli.console", Console(width=250))
    warehouse = str(tmp_path / "w.duckdb")
    assert main(["ingest", "--format", "servegen", str(path), "--warehouse", warehouse]) == 1
    out = capsys.readouterr().out
    assert "unmapped model=m-huge (1 rows)" in out


def test_a_helios_quota_file_says_its_vc_columns_are_named_vc(tmp_path: Path) -> None:
    """A Helios quota file with a team column named `teamA` was refused with "Expected
    columns ['date', '<vc...>', 'total']", which did not say the VC columns must be named
    vc followed by letters or digits (vcTAx), nor which column was not."""
    from forecasting.traces.helios import TraceFormatError, _read_quotas

    path = tmp_path / "q.csv"
    path.write_text("date,vcTAx,teamA,total\n2020-06-01,8,8,16\n")
    with pytest.raises(TraceFormatError) as refused:
        _read_quotas(path)
    said = str(refused.value)
    assert "named vc" in said and "teamA" in said.split("found")[0], said


def test_a_trace_adapters_refusal_reads_an_azure_llm_trace() -> None:
    """A file an adapter could not parse read "A azure-llm trace's rows are summed"."""
    import inspect

    from forecasting import traces

    source = inspect.getsource(traces)
    assert "A {self.name} trace's" not in source
