"""Bad inputs at the command line: each gets one clear line and an exit status, never a trace."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from rich.console import Console
from telemetry_files import telemetry_frame, write_csv

from flows.cli import main
from forecasting.options import ForecastOptions
from forecasting.resources import sample_capacity
from forecasting.traces import servegen
from forecasting.warehouse import connect


def test_report_on_a_missing_warehouse_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fleetcast report` on a mistyped warehouse path says there is none (exit 1) and leaves
    no folder or empty warehouse behind."""
    path = tmp_path / "typo" / "w.duckdb"
    assert main(["--warehouse", str(path), "--capacity", str(sample_capacity()), "report"]) == 1
    assert "no warehouse at" in capsys.readouterr().err
    assert not path.parent.exists()


def test_ingest_exits_1_for_a_file_without_a_good_row_and_keeps_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One file whose every row is refused fails the command (exit 1, the file named), while
    the good file beside it still loads."""
    good = write_csv(
        tmp_path / "good.csv", "2025-03-01T00:00:00Z,eu-west,c1,inference,acme,H100,1,0"
    )
    bad = write_csv(
        tmp_path / "bad.csv", "2025-03-01T00:00:00Z,eu-west,c1,inference,acme,H100,-1,0"
    )
    path = tmp_path / "w.duckdb"
    assert main(["--warehouse", str(path), "ingest", str(good), str(bad)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"{bad}: none of its 1 row(s) is good" in err
    with connect(path, read_only=True) as wh:
        assert wh.count("telemetry") == 1


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["whatif", "--customer", "x", "--class", "inference", "--region", "r", "--ramp",
          "2027-01-01:100", "--price", "inf"], "--price"),
        (["drill", "--all", "--factor", "nan"], "--factor"),
        (["drill", "--via-server", "--timeout", "inf"], "--timeout"),
    ],
)  # fmt: skip
def test_a_non_finite_number_option_is_a_usage_error(
    args: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """inf and nan parse as floats but are no price, factor or timeout: exit 2 naming the flag
    (an infinite --price reached the what-if page as "$inf")."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert f"error: {flag}: Input should be a finite number" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["report"], ["backtest-decisions", "--from", "2027-01-01"]])
def test_reports_naming_a_file_is_a_usage_error_before_any_work(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--reports naming a file exits 2 with the fix, before a trigger run is stored (the pages
    failed with FileExistsError's trace after it)."""
    reports = tmp_path / "reports"
    reports.touch()
    args = ["--warehouse", str(tmp_path / "w.duckdb"), "--reports", str(reports), *command]
    assert main(args) == 2
    assert f"--reports {reports} is a file, not a folder" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("command", [["report"], ["run"], ["demo"]])
def test_reports_under_a_file_is_a_usage_error_before_any_work(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--reports under a file (afile/reports) stored a trigger run, then failed with
    NotADirectoryError's trace, and `status` compared with the pages it never published: it
    exits 2 naming the file, before any work."""
    (tmp_path / "afile").touch()
    reports = tmp_path / "afile" / "reports"
    args = ["--warehouse", str(tmp_path / "w.duckdb"), "--reports", str(reports), *command]
    assert main(args) == 2
    assert f"{tmp_path / 'afile'} is a file, so no folder can be made there" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize(
    ("as_of", "said"),
    [
        ("2027-06-01", "as-of 2027-06-01 is after the newest telemetry day, 2025-01-03"),
        ("2020-01-01", "no telemetry on or before 2020-01-01 (the telemetry starts 2025-01-01)"),
    ],
)
def test_forecast_as_of_outside_the_telemetry_is_refused_and_stores_nothing(
    tmp_path: Path, as_of: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An as-of day after the newest telemetry became the newest run and read every pool
    green; one before it raised "cannot concat empty list". Both exit 2 naming the days."""
    path = tmp_path / "w.duckdb"
    telemetry_frame(hours=72).write_parquet(tmp_path / "t.parquet")
    assert main(["--warehouse", str(path), "ingest", str(tmp_path / "t.parquet")]) == 0
    capsys.readouterr()
    assert main(["--warehouse", str(path), "forecast", "--as-of", as_of]) == 2
    assert said in " ".join(capsys.readouterr().err.split())
    with connect(path, read_only=True) as wh:
        assert wh.latest_forecast_run() is None


@pytest.mark.parametrize("as_of", ["2026-02-30", "2026/11/01"])
def test_forecast_as_of_not_a_date_names_the_flag_in_the_what_if_s_words(
    as_of: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`forecast --as-of 2026-02-30` read Python's "argument --as-of: invalid fromisoformat
    value", where whatif's --until and backtest-decisions' --from say "not a date
    (YYYY-MM-DD)": one wording for a bad day flag; exit 2 before any work."""
    with pytest.raises(SystemExit) as exit_:
        main(["forecast", "--as-of", as_of])
    assert exit_.value.code == 2
    assert f"argument --as-of: not a date (YYYY-MM-DD): {as_of!r}" in capsys.readouterr().err


def test_forecast_and_report_warn_of_a_region_the_plan_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Telemetry for a region the plan has no block or site for got a bogus order without a
    word: forecast and report print one warning line for it. The report prints its triggers'
    and power lines under its table."""
    path, plan = tmp_path / "w.duckdb", str(sample_capacity())
    frame = telemetry_frame(hours=24 * 10).with_columns(region=pl.lit("mars-1"))
    frame.write_parquet(tmp_path / "mars.parquet")
    assert main(["--warehouse", str(path), "ingest", str(tmp_path / "mars.parquet")]) == 0
    capsys.readouterr()
    assert main(["--warehouse", str(path), "--capacity", plan, "forecast", "--horizon", "7"]) == 0
    warning = f"warning: region 'mars-1' has telemetry but no [[block]] or [[site]] in {plan}"
    assert warning in " ".join(capsys.readouterr().err.split())
    reports = ["--reports", str(tmp_path / "reports")]
    assert main(["--warehouse", str(path), "--capacity", plan, *reports, "report"]) == 0
    captured = capsys.readouterr()
    assert " ".join(captured.err.split()).count(warning) == 1
    # Under the table: the triggers' counts (and any later order due first) and the power.
    out = " ".join(captured.out.split())
    assert "triggers: " in out and "power: " in out


def test_demand_on_a_warehouse_without_telemetry_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fleetcast demand` after a header-only file (no telemetry row stored) failed with
    polars' "- not allowed on null and duration" trace: it now exits 1 with the line
    `fleetcast forecast` prints there."""
    path = tmp_path / "w.duckdb"
    empty = write_csv(tmp_path / "empty.csv")
    main(["--warehouse", str(path), "ingest", str(empty)])
    capsys.readouterr()
    assert main(["--warehouse", str(path), "demand"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"fleetcast demand: {path} holds no telemetry; run `fleetcast ingest` first" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("models", [",", "", " , "])
def test_forecast_models_naming_no_model_is_a_usage_error(
    tmp_path: Path, models: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--models ,` was read as two blank model names: every series fell back to a baseline
    (98 warning lines) and the run exited 0. A list that names no model exits 2 naming the
    known models, before the warehouse is touched; a blank name given to the options is an
    unknown model, not a skipped one."""
    path = tmp_path / "w.duckdb"
    assert main(["--warehouse", str(path), "forecast", "--models", models]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"--models {models!r} names no model; give one or more of " in err
    assert "ets, " in err and "theta" in err
    assert not path.exists()
    with pytest.raises(ValueError, match=r"unknown model\(s\) \[''\]"):
        ForecastOptions(models=("ets", "")).settings()


def test_serve_says_in_one_line_what_is_wrong_with_its_server_or_schedule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad cron printed pydantic's three-line dump, and a server that is not there a whole
    httpx trace: each is one line now, naming the variable or the URL (exit 2 and 1)."""
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLEETCAST_FORECAST_CRON", "61 2 * * *")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fleetcast serve: error: bad schedule setting: $FLEETCAST_FORECAST_CRON")
    assert len(err.strip().splitlines()) == 1
    monkeypatch.delenv("FLEETCAST_FORECAST_CRON")
    # In a fresh interpreter: one that has loaded Prefect's settings keeps the URL it read.
    from test_cli import fleetcast

    paths = ["--warehouse", str(tmp_path / "w.duckdb"), "--reports", str(tmp_path / "reports")]
    down = fleetcast("serve", *paths, env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert down.returncode == 1, down.stderr
    assert "cannot reach the Prefect API (PREFECT_API_URL) at http://127.0.0.1:9/api" in (
        down.stderr
    )
    assert "Traceback" not in down.stderr


_DEAL = ["whatif", "--customer", "x", "--class", "inference", "--region", "r"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--ramp", "2027-03-01:500", "--price", "0"], "error: --price: Input should be greater"),
        (["--ramp", "2027-03-01:500,2027-09-01:800", "--until", "2027-06-30"],
         "the deal's --ramp, step 2 (its date): after the end of the term (--until) "
         "(got '2027-09-01')"),
        (["--ramp", "2027-03-01:500", "--until", "2027-01-01"],
         "the deal's --until: before the ramp's first date (got '2027-01-01')"),
        (["--ramp", "2027-03-01:500", "--until", "2027/12/31"],
         "argument --until: not a date (YYYY-MM-DD): '2027/12/31'"),
    ],
)  # fmt: skip
def test_a_bad_deal_is_refused_naming_the_flag_typed(
    tmp_path: Path, args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad deal named fields the command line does not have: "--price-per-gpu-hour" for
    --price, "the deal's field term_end" and "ramp[2].date ... after term_end" for --until and
    --ramp, and "invalid fromisoformat value" for a mistyped --until. Each names the flag."""
    argv = ["--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(sample_capacity())]
    try:
        code = main([*argv, *_DEAL, *args])
    except SystemExit as exit_:  # argparse's own refusal (a bad --until)
        code = exit_.code  # type: ignore[assignment]
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert said in err
    assert "term_end" not in err and "price-per-gpu-hour" not in err


def _cut_short_warehouse(tmp_path: Path) -> Path:
    """A warehouse file with DuckDB's first bytes, cut short as a partial copy leaves it."""
    whole = tmp_path / "whole.duckdb"
    with duckdb.connect(str(whole)) as con:
        con.execute("CREATE TABLE filler AS SELECT range AS i, random() AS x FROM range(500000)")
    with connect(whole):  # the catalogue, written last, lies past the cut
        pass
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(whole.read_bytes()[:300_000])
    return cut


@pytest.mark.parametrize("command", [["status"], ["contracts"], ["drill", "inference-2x"]])
def test_a_damaged_warehouse_is_one_line_with_the_fix(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A warehouse cut short (a partial copy, a full disk) printed DuckDB's IOException trace,
    or "cannot open warehouse" with no way out: exit 1, naming the file, DuckDB's error and
    the fix."""
    cut = _cut_short_warehouse(tmp_path)
    args = ["--warehouse", str(cut), "--capacity", str(sample_capacity()), *command]
    assert main(args) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"{cut}: the warehouse file is damaged (IO Error: Could not read enough bytes" in err
    assert "restore it from a backup, or rebuild it" in err


def test_a_warehouse_damaged_past_its_catalogue_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A damaged file whose catalogue still reads opens, and the first query of a lost block
    raised DuckDB's IOException as a trace from any command: it is the same one line, exit 1;
    another file's IO error is not called the warehouse's."""
    from flows import cli

    path = tmp_path / "w.duckdb"

    def reads_a_lost_block(_: object) -> int:
        raise duckdb.IOException(
            f'IO Error: Could not read enough bytes from file "{path}": attempted to read '
            "262144 bytes from location 15740928"
        )

    monkeypatch.setattr(cli, "cmd_status", reads_a_lost_block)
    assert main(["--warehouse", str(path), "status"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith(f"fleetcast status: {path}: the warehouse file is damaged (IO Error")

    def reads_another_file(_: object) -> int:
        raise duckdb.IOException('IO Error: No files found that match "x.parquet"')

    monkeypatch.setattr(cli, "cmd_status", reads_another_file)
    with pytest.raises(duckdb.IOException):
        main(["--warehouse", str(path), "status"])


@pytest.mark.parametrize(
    "command",
    [
        ["report"],
        ["whatif", "--customer", "x", "--class", "inference", "--region", "us-east", "--ramp",
         "2027-01-01:100"],
    ],
)  # fmt: skip
def test_reports_where_no_folder_can_be_made_is_a_usage_error_before_any_work(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--reports /proc/x (and /sys/x for root, whom permission bits let write anywhere) stored
    a trigger run, then printed FileNotFoundError's (PermissionError's) trace: it exits 2
    naming the folder and the OS's reason, before any work."""
    reports = Path("/proc/fleetcast-no-such-folder/reports")
    args = ["--warehouse", str(tmp_path / "w.duckdb"), "--reports", str(reports), *command]
    assert main(args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"--reports {reports}:" in err
    assert not (tmp_path / "w.duckdb").exists()


def test_the_reports_probe_leaves_no_folder_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check that --reports can be written makes the missing folders and a file to see
    it: a report refused after it (here, no warehouse) leaves none of them."""
    reports = tmp_path / "a" / "b"
    args = ["--warehouse", str(tmp_path / "w.duckdb"), "--reports", str(reports)]
    assert main([*args, "--capacity", str(sample_capacity()), "report"]) == 1
    assert "no warehouse at" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("timeout", ["-5", "0"])
def test_a_timeout_not_above_zero_is_a_usage_error(
    timeout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`drill --via-server --timeout -5` sent the drill, then Prefect's "`timeout` cannot be
    negative" came back as a trace: a timeout not above 0 exits 2 at parsing."""
    with pytest.raises(SystemExit) as exit_:
        main(["drill", "--via-server", "--timeout", timeout])
    assert exit_.value.code == 2
    said = f"--timeout: Input should be greater than 0 (got {timeout}; allowed above 0)"
    assert said in capsys.readouterr().err


def test_a_negative_seed_is_a_usage_error_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`drill --seed -1` was taken, then numpy's "expected non-negative integer" came back as
    a trace once more paths were asked for than stored: exit 2 naming --seed; every options
    model's seed (forecast, drill, decision backtest, the deployments' parameters) is at
    least 0."""
    from pydantic import ValidationError

    from forecasting.options import DecisionOptions, DrillOptions

    args = ["--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(sample_capacity())]
    assert main([*args, "drill", "--class", "inference", "--paths", "100000", "--seed", "-1"]) == 2
    assert "--seed: Input should be greater than or equal to 0" in capsys.readouterr().err
    for model, required in (
        (ForecastOptions, {}),
        (DrillOptions, {}),
        (DecisionOptions, {"first_as_of": "2026-01-01"}),
    ):
        with pytest.raises(ValidationError, match="greater than or equal to 0"):
            model.model_validate({**required, "seed": -1})


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--every", "10000w"], "--every: '10000w' is 70,000 days, above the most "
         "allowed, 366 days (52w or 366d)"),
        (["--every", "-4w"], "--every: -4w is negative; give a value above zero"),
        (["--from", "2026-13-01"], "argument --from: not a date (YYYY-MM-DD): '2026-13-01'"),
        (["--until", "2027-02-30"], "argument --until: not a date (YYYY-MM-DD): '2027-02-30'"),
    ],
)  # fmt: skip
def test_backtest_decisions_names_the_flag_typed_in_its_unit(
    flags: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--every 10000w` read "--every-days: Input should be less than or equal to 366", a
    flag that does not exist, `--every -4w` "expected one argument" (argparse read -4w as an
    option), and `--from 2026-13-01` Python's "invalid fromisoformat value": the flag typed, in
    the unit typed, a negative value called one, and the what-if's words for a bad date;
    exit 2."""
    args = ["backtest-decisions", "--from", "2026-01-05", *flags]
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert said in " ".join(capsys.readouterr().err.split())


def _profile_without_gpu_type(monkeypatch: pytest.MonkeyPatch, model: str) -> None:
    """Give ``model`` a ServeGen profile with an empty GPU type: its hours reach ingest, which
    quarantines them ("gpu_type: missing value"). A model with no profile at all is refused by
    the adapter, by its row in the file."""
    profile = servegen.ModelProfile(
        tokens_per_request=1_500, tokens_per_s_per_gpu=1_000, gpu_type=""
    )
    monkeypatch.setattr(servegen, "DEFAULT_PROFILES", {**servegen.DEFAULT_PROFILES, model: profile})


def test_quarantine_names_a_trace_row_by_its_hour_not_as_a_file_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ServeGen window whose hour ingest quarantines (m-huge, file row 2) was listed as
    "row 1" of the file, a line that holds nothing wrong: a trace's quarantined rows are the
    adapter's hourly rows, so the table names the hour and says they are not file lines."""
    _profile_without_gpu_type(monkeypatch, "m-huge")
    path = tmp_path / "sg.csv"
    path.write_text(
        "category,model,client_id,t_s,rate_rps,cv,arrival_pattern,pat_arg1,pat_arg2\n"
        "language,m-large,0,0,1.0,1.0,Gamma,1.0,1.0\n"
        "language,m-huge,0,3600,1.0,1.0,Gamma,1.0,1.0\n"
    )
    warehouse = str(tmp_path / "w.duckdb")
    assert main(["ingest", "--format", "servegen", str(path), "--warehouse", warehouse]) == 0
    capsys.readouterr()
    monkeypatch.setattr("flows.cli.console", Console(width=200))  # one line a row
    assert main(["quarantine", "--warehouse", warehouse]) == 0
    out = capsys.readouterr().out
    assert "hour 2025-01-06 01:00 UTC" in out
    assert "a trace's rows are the servegen adapter's hours, not lines of the file" in out


def test_quarantine_names_the_model_a_servegen_row_has_no_profile_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ServeGen windows of a model with no GPU profile (m-huge, file rows 2 and 3) were
    quarantined as the adapter's hour, "gpu_type: missing value", naming neither the model nor
    why (only the ingest note did). Now the adapter refuses each such row of the file itself,
    by its row, as "model 'm-huge' has no GPU profile", and the m-large row loads."""
    path = tmp_path / "sg.csv"
    path.write_text(
        "category,model,client_id,t_s,rate_rps,cv,arrival_pattern,pat_arg1,pat_arg2\n"
        "language,m-large,0,0,1.0,1.0,Gamma,1.0,1.0\n"
        "language,m-huge,0,0,1.0,1.0,Gamma,1.0,1.0\n"
        "language,m-huge,0,3600,2.0,1.0,Gamma,1.0,1.0\n"
    )
    warehouse = str(tmp_path / "w.duckdb")
    monkeypatch.setattr("flows.cli.console", Console(width=250))  # one line a row
    assert main(["ingest", "--format", "servegen", str(path), "--warehouse", warehouse]) == 0
    capsys.readouterr()
    assert main(["quarantine", "--warehouse", warehouse]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "m-huge" in line]
    assert [line.split("│")[2].strip() for line in lines] == ["2", "3"]
    for line in lines:
        assert "model 'm-huge' has no GPU profile" in line
    assert "missing value" not in out and "gpu_type" not in out
    with connect(Path(warehouse), read_only=True) as wh:
        assert wh.telemetry()["customer"].unique().to_list() == ["m-large/0"]


def test_quarantine_names_a_refused_trace_row_by_its_row_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ServeGen window of -0.05 requests/s (file row 2) refused the whole file; now it is
    refused alone and `quarantine` lists it as row 2 of the file, beside an hourly row the
    adapter built (of a profile with no GPU type) named by its hour, numbered after the file's
    rows so the two never share a number."""
    _profile_without_gpu_type(monkeypatch, "m-huge")
    path = tmp_path / "sg.csv"
    path.write_text(
        "category,model,client_id,t_s,rate_rps,cv,arrival_pattern,pat_arg1,pat_arg2\n"
        "language,m-large,0,0,1.0,1.0,Gamma,1.0,1.0\n"
        "language,m-large,0,600,-0.05,1.0,Gamma,1.0,1.0\n"
        "language,m-huge,0,3600,1.0,1.0,Gamma,1.0,1.0\n"
    )
    warehouse = str(tmp_path / "w.duckdb")
    assert main(["ingest", "--format", "servegen", str(path), "--warehouse", warehouse]) == 0
    capsys.readouterr()
    monkeypatch.setattr("flows.cli.console", Console(width=250))  # one line a row
    assert main(["quarantine", "--warehouse", warehouse]) == 0
    out = capsys.readouterr().out
    refused = next(line for line in out.splitlines() if "rate_rps" in line)
    assert "│ 2 " in refused and "is negative" in refused and "-0.05" in refused
    assert "hour 2025-01-06 01:00 UTC" in out
    assert "numbered row is a row of the file its adapter refused" in " ".join(out.split())


@pytest.mark.parametrize(
    ("command", "name", "sample"),
    [
        ("events", "events.csv", "events"),
        ("contracts", "book.toml", "contracts"),
        ("contracts", "book.csv", "contracts"),
        ("capacity", "capacity.toml", "capacity"),
    ],
)
def test_a_gzip_file_under_a_text_name_is_named_as_gzip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, name: str, sample: str
) -> None:
    """A gzip file named .csv or .toml given as an events, contracts or capacity file was
    refused as "not UTF-8 text ('utf-8' codec can't decode byte 0x8b ...)" or "cannot be read
    as an events file: 'utf-8' codec ...", never saying it is gzip. It is named as gzip data
    under that name, with the command that undoes it."""
    import gzip

    from forecasting.resources import sample_contracts

    text = {
        "events": "event,date\nlaunch,2026-11-05\n",
        "contracts": sample_contracts().read_text(encoding="utf-8"),
        "capacity": sample_capacity().read_text(encoding="utf-8"),
    }[sample]
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()))
    warehouse = ["--warehouse", str(tmp_path / "w.duckdb")]
    args = ["--capacity", str(path), "capacity"] if command == "capacity" else [command, str(path)]
    assert main([*warehouse, *args]) != 0
    err = " ".join(capsys.readouterr().err.split())
    assert (
        f"{path}: gzip data in a file named {path.suffix}: gunzip it first "
        f"(mv {path} {path}.gz && gunzip {path}.gz)" in err
    )
    assert "utf-8" not in err.lower()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["forecast", "--horizon-months", "500"],
         "--horizon-months: Input should be less than or equal to 120 (got 500; allowed 0 to "
         "120)"),
        (["forecast", "--paths=3"],
         "--paths: Input should be greater than or equal to 10 (got 3; allowed 10 to 5000)"),
        (["run", "--horizon-months", "-1"],
         "--horizon-months: Input should be greater than or equal to 0 (got -1; allowed 0 to "
         "120)"),
        (["report", "--buffer-weeks", "99"],
         "--buffer-weeks: Input should be less than or equal to 52 (got 99; allowed 0 to 52)"),
        ([*_DEAL, "--ramp", "2027-03-01:500", "--price", "-3"],
         "--price: Input should be greater than 0 (got -3; allowed above 0)"),
    ],
)  # fmt: skip
def test_a_number_out_of_range_is_echoed_with_its_range(
    tmp_path: Path, args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`forecast --horizon-months 500` read "--horizon-months: Input should be less than or
    equal to 120": not the 500 typed, nor where the range starts. Every options-model flag
    refused for its bounds now says the value typed and the range allowed; exit 2."""
    paths = ["--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(sample_capacity())]
    assert main([*paths, *args]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert said in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        # A drop in demand: it played and read "failing classes: inference; would pass with:
        # no order placed today arrives in time" on a 60-customer fleet (c60), a shock up's
        # words for a plan failing unshocked. Drills are shocks up (README, "Shock drills").
        ("0.5",
         "error: --factor: a factor below 1 is a drop in demand, which drills do not play: a "
         "drill multiplies demand up, from 1 (today's demand) to 20 (got 0.5; allowed 1 to 20)"),
        ("-1",
         "error: --factor: a factor of 0 or below leaves no demand at all, which drills do not "
         "play: a drill multiplies demand up, from 1 (today's demand) to 20 (got -1; allowed 1 "
         "to 20)"),
        ("25",
         "error: --factor: a factor above 20 is past the plausible ceiling (a typo, 200 for "
         "2.00?): a drill multiplies demand up, from 1 (today's demand) to 20 (got 25; allowed "
         "1 to 20)"),
        ("50",
         "error: --factor: a factor above 20 is past the plausible ceiling (a typo, 200 for "
         "2.00?): a drill multiplies demand up, from 1 (today's demand) to 20 (got 50; allowed "
         "1 to 20)"),
        ("nan", "error: --factor: Input should be a finite number (got nan; allowed 1 to 20)"),
    ],
)  # fmt: skip
def test_a_drill_factor_out_of_range_is_refused_in_the_drill_s_words(
    tmp_path: Path, typed: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`drill --all --factor 0.5` read "--factor: Input should be greater than or equal to 1
    (got 0.5; allowed 1 to 20)", range words that do not say why: a factor below 1 is a drop
    in demand, which drills (shocks up) do not play. Each factor out of range now says the
    drill's rule, the flag and the value typed; exit 2, no trace."""
    paths = ["--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(sample_capacity())]
    try:
        code = main([*paths, "drill", "--all", "--factor", typed])
    except SystemExit as exit_:  # a value no number is refused by argparse's type, as it exits
        code = exit_.code
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert said in err, err
    assert "greater than or equal" not in err and "less than or equal" not in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["drill", "--all", "--shape", "zigzag"],
         "error: --shape: expected step, ramp:<N>w|d|h or spike:<N>w|d|h, got 'zigzag'"),
        (["drill", "--class", "nosuch"], "error: --class: unknown workload class 'nosuch'"),
        (["drill", "--region-loss", "us-east:-3"],
         "error: --region-loss: Input should be greater than or equal to 1 (got '-3')"),
        (["demand", "--customers-per-class", "0"],
         "error: --customers-per-class: Input should be greater than or equal to 1 (got 0; "
         "allowed 1 to 200)"),
        (["demand", "--customers-per-class", "201"],
         "error: --customers-per-class: Input should be less than or equal to 200 (got 201; "
         "allowed 1 to 200)"),
    ],
)  # fmt: skip
def test_a_drill_s_or_demand_s_bad_flag_is_named_as_typed(
    tmp_path: Path, args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sweep of every command's flags: `drill --shape zigzag` read "drill arguments:
    invalid drill scenario / field shape: ...", a field no flag is called, and `demand
    --customers-per-class 0` (or 201) was taken and printed its table, where `forecast`
    refuses both. Each is a usage error naming the flag typed; exit 2, no trace."""
    paths = ["--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(sample_capacity())]
    assert main([*paths, *args]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert said in err, err
    assert "field " not in err and "Traceback" not in err


def test_a_drill_s_bad_flags_are_one_line_whatever_the_library_s_wording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`drill --all --shape zigzag --start nonsense` printed a usage error of three lines, the
    library's header cut off by matching its words ("drill arguments: invalid drill
    scenario"): a change of those words would have reached the user. The refusal is read from
    the fields the library lists, each said by the flag typed, on one line."""
    from forecasting.drills import InvalidScenarioError

    monkeypatch.setattr(InvalidScenarioError, "__str__", lambda self: "reworded by the library")
    paths = ["--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(sample_capacity())]
    args = ["drill", "--all", "--shape", "zigzag", "--start", "nonsense", "--lose", "a@junk"]
    assert main([*paths, *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert (
        "fleetcast drill: error: --shape: expected step, ramp:<N>w|d|h or spike:<N>w|d|h, got "
        "'zigzag'; --start: expected a date (YYYY-MM-DD) or an offset like +2w, got 'nonsense'; "
        "--lose a@junk: expected a date (YYYY-MM-DD) or an offset like +2w, got 'junk' (see " in err
    ), err
    assert "reworded" not in err and "field " not in err


def test_a_drill_not_played_names_the_flag_and_value_typed() -> None:
    """`drill --lose nosuch-block` was not played "field lose.0.block: no block ..." and
    `--region-loss nosuch:3` "field region_loss.region: ...": the flag and, for a repeated
    one, the value typed."""
    from argparse import Namespace

    from flows.cli import _said_by_flags

    args = Namespace(
        cls=None, customer=None, region=None, all=False, lose=["a", "nosuch", "a"], slip=[]
    )
    assert (
        _said_by_flags("field lose.1.block: no block 'nosuch' in the capacity plan", args)
        == "--lose nosuch: no block 'nosuch' in the capacity plan"
    )
    assert _said_by_flags("field region_loss.region: no block in region 'x'", args) == (
        "--region-loss: no block in region 'x'"
    )


def test_a_refusal_on_line_100_keeps_its_line_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A contract refused on line 100 of its book was said as "refused book.toml💯 contract
    row 1": the terminal read ":100:" as an emoji code and the line number was gone (so was
    ":1234:", and any name holding a code such as "team:ok:"). Lines and tables print text as
    it is written."""
    from forecasting.resources import sample_contracts

    entry = sample_contracts().read_text(encoding="utf-8").split("[[contract]]")[2]
    assert "probability = 0.5" in entry
    book = tmp_path / "book.toml"
    book.write_text("#\n" * 99 + "[[contract]]" + entry.replace("0.5", "1.5", 1))
    assert main(["--warehouse", str(tmp_path / "w.duckdb"), "contracts", str(book)]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert f"refused {book}:100: contract row 1" in err
    assert "\N{HUNDRED POINTS SYMBOL}" not in err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["events", "{folder}"], "{folder} is a folder, not a file: events reads CSV or Parquet "
         "calendars; name the files in it"),
        (["contracts", "{folder}"], "{folder} is a folder, not a file: contracts reads TOML or "
         "CSV books; name the files in it"),
        (["run", "--events", "{folder}"], "--events: {folder} is a folder, not a file"),
        (["run", "--contracts", "{folder}"], "--contracts: {folder} is a folder, not a file"),
        (["run", "--outages", "{folder}"], "{folder}: a folder, not an outage calendar "
         "file; name the CSV file in it"),
    ],
)  # fmt: skip
def test_a_folder_given_for_a_file_is_named_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], said: str
) -> None:
    """`fleetcast events calendars/` (a folder that exists) was refused "no such file:
    calendars", and `forecast --outages calendars/` "no such outage calendar file": the reader
    went looking for a file that was there. A folder is named as a folder."""
    folder = tmp_path / "calendars"
    folder.mkdir()
    (folder / "events.csv").write_text("event,date\nlaunch,2026-11-05\n")
    typed = [a.format(folder=folder) for a in args]
    warehouse = ["--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(sample_capacity())]
    assert main([*warehouse, *typed]) != 0
    err = " ".join(capsys.readouterr().err.split())
    assert said.format(folder=folder) in err
    assert "no such" not in err


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("events.csv", ["events", "{path}"]),
        ("book.toml", ["contracts", "{path}"]),
        ("book.csv", ["contracts", "{path}"]),
        ("capacity.toml", ["--capacity", "{path}", "capacity"]),
        ("outages.csv", ["run", "--outages", "{path}"]),
        ("helios.csv", ["ingest", "--format", "helios", "{path}"]),
    ],
)
def test_a_utf16_file_is_named_utf16_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, command: list[str]
) -> None:
    """A calendar, book, plan or trace saved by Windows PowerShell (UTF-16, its default) was
    refused "cannot be read as an events file: 'utf-8' codec can't decode byte 0xff in
    position 0" (or "not UTF-8 text (...)"), a decoder's words that never said the file is
    UTF-16 or how to save it, as telemetry's ingest says. Every reader now says it."""
    path = tmp_path / name
    path.write_text("region,start,end\neu-west,2026-03-01,2026-03-02\n", encoding="utf-16")
    typed = [a.format(path=path) for a in command]
    warehouse = ["--warehouse", str(tmp_path / "w.duckdb")]
    if "--capacity" not in typed:
        warehouse += ["--capacity", str(sample_capacity())]
    assert main([*warehouse, *typed]) != 0
    err = " ".join(capsys.readouterr().err.split())
    assert f"{path}: the file is UTF-16, not UTF-8: save it as UTF-8" in err
    assert "codec" not in err


@pytest.mark.parametrize(
    ("name", "text", "command"),
    [
        ("events.csv", "event;date\nlaunch;2026-11-05\n", ["events", "{path}"]),
        ("outages.csv", "region;start;end\neu-west;2026-03-01;2026-03-02\n",
         ["run", "--outages", "{path}"]),
    ],
)  # fmt: skip
def test_a_file_delimited_by_semicolons_is_said_so_in_its_own_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, command: list[str]
) -> None:
    """An events calendar saved by a European Excel (';' between fields) was refused "found
    ['event;date', '__line_rule', '__line', 'row_number']": the reader's own bookkeeping
    columns listed as the file's, and no word of the delimiter (the outage calendar gave none
    either), while ingest and the contracts CSV say the file looks delimited by another
    delimiter (now named: ';')."""
    path = tmp_path / name
    path.write_text(text)
    typed = [a.format(path=path) for a in command]
    warehouse = ["--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(sample_capacity())]
    assert main([*warehouse, *typed]) != 0
    err = " ".join(capsys.readouterr().err.split())
    assert "The header is one column: the file is delimited by ';', not ','" in err
    assert "__line" not in err and "row_number" not in err


@pytest.mark.parametrize("kind", ["xls", "xlsx"])
@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("events.csv", ["events", "{path}"]),
        ("book.csv", ["contracts", "{path}"]),
        ("outages.csv", ["run", "--outages", "{path}"]),
    ],
)
def test_an_excel_workbook_under_a_csv_name_is_named_a_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, command: list[str], kind: str
) -> None:
    """A calendar or book saved from Excel as a workbook and named .csv was refused
    "cannot be read as an events file: 'utf-8' codec can't decode byte 0xd0" (or "not UTF-8
    text (...)"): a decoder's words, not that the file is a workbook to export as CSV."""
    import zipfile

    path = tmp_path / name
    if kind == "xls":
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    else:
        with zipfile.ZipFile(path, "w") as book:
            book.writestr("xl/workbook.xml", "<workbook/>")
    typed = [a.format(path=path) for a in command]
    warehouse = ["--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(sample_capacity())]
    assert main([*warehouse, *typed]) != 0
    err = " ".join(capsys.readouterr().err.split())
    assert f"{path}: the file is " in err and "workbook" in err
    assert "export the sheet as CSV UTF-8" in err and "codec" not in err
