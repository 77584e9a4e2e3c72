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


def _azure_log(path: Path, *, year: int, tokens: str) -> Path:
    """A 9-request Azure code log in five hours of ``year`` (one request in the first hour)."""
    stamps = ["18:58:59", "19:10:00", "19:20:00", "20:10:00", "20:20:00", "21:10:00", "21:20:00"]
    stamps += ["22:10:00", "22:20:00"]
    path.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        + "".join(f"{year}-11-16 {s}.0000000,{tokens},6\n" for s in stamps)
    )
    return path


@pytest.mark.parametrize(
    ("year", "tokens", "said"),
    [
        (
            2001,
            "100",
            "none of its 9 data row(s) is good (the 3 hourly telemetry row(s) its azure-llm "
            "reader built from them were all quarantined): 3 × ts: timestamp before 2010-01-01 "
            "(a zero or epoch default?); the first at hourly row 1 (quarantine row 10: the "
            "hourly rows are numbered after the file's 9)",
        ),
        (
            2023,
            "abc",
            "none of its 9 data row(s) is good (9 refused by the azure-llm reader): 9 × "
            "ContextTokens: is not a whole number; the first at row 1",
        ),
    ],
)
def test_a_trace_whose_every_row_is_bad_counts_the_files_rows(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    year: int,
    tokens: str,
    said: str,
) -> None:
    """A 9-request Azure log dated 2001 failed with "none of its 3 row(s) is good" and "the
    first at row 10": the ledger counts the hourly rows the adapter built, numbered after the
    file's, so neither figure was a row of the file. The message counts the file's data rows
    and says which rows were quarantined and how they are numbered; the table reads
    "9 (3 hourly)" where it read "3"."""
    path = _azure_log(tmp_path / "AzureLLMInferenceTrace_code_x.csv", year=year, tokens=tokens)
    monkeypatch.setattr("flows.cli.console", Console(width=250))
    warehouse = str(tmp_path / "w.duckdb")
    assert main(["ingest", "--format", "azure-llm", str(path), "--warehouse", warehouse]) == 1
    out, err = capsys.readouterr()
    assert f"failed {path}: {said}" in " ".join(err.split()), err
    hourly = 3 if year == 2001 else 0
    assert f"│ 9 ({hourly} hourly) │" in out, out
    # A rerun answers from the ledger, which does not hold the file's rows: it says what the
    # count is, not "none of its 3 row(s)".
    assert main(["ingest", "--format", "azure-llm", str(path), "--warehouse", warehouse]) == 1
    again = " ".join(capsys.readouterr().err.split())
    assert "none of its 3 row(s)" not in again
    if year == 2001:
        assert (
            "no row of the trace is good (the ledger holds 3 hourly or refused row(s), all 3 "
            "quarantined)"
        ) in again
