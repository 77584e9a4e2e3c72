"""The `fleetcast` command: exit statuses, summaries, and fast answers that start no server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import pytest
from telemetry_files import write_csv

from flows.cli import build_parser, main
from forecasting.options import (
    QUANTILE_CHOICES,
    AdhocDrill,
    DrillOptions,
    ForecastOptions,
    ReportOptions,
)
from forecasting.resources import sample_capacity
from forecasting.settings import prefect_server_configured, resolve_paths, settings
from forecasting.warehouse import connect

if TYPE_CHECKING:
    from forecasting.runs import ForecastRun, ReportOutcome

ROOT = Path(__file__).resolve().parent.parent
GOOD = "2025-03-01T00:00:00Z,eu-west,c1,inference,acme,H100,10,1"
BAD = "2025-03-01T01:00:00Z,eu-west,c1,inference,acme,H100,-4,1"


def fleetcast(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter, as a user would; stderr ends with whether prefect
    was imported."""
    code = (
        "import sys; from flows.cli import main; rc = main(); "
        "print('prefect' in sys.modules, file=sys.stderr); sys.exit(rc)"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", **(env or {})},
    )


def test_missing_path_is_a_usage_error_without_starting_prefect(tmp_path: Path) -> None:
    """A path that does not exist exits 2 at once, and prefect is never imported."""
    result = fleetcast(
        "ingest", str(tmp_path / "nope.csv"), "--warehouse", str(tmp_path / "w.duckdb")
    )
    assert result.returncode == 2
    assert "no such file or directory" in result.stderr
    assert result.stderr.strip().endswith("False")


def test_the_parser_loads_no_model_library() -> None:
    """Every command builds the whole parser first, so it must not load the model zoo: the
    decision backtest's options pulled in scipy through the growth models (3.4 s for --help)."""
    code = (
        "import sys; from flows.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('scipy', 'statsmodels', 'numba', 'prophet', 'prefect', "
        "'plotly') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert loaded == "[]"


def test_unknown_option_is_a_usage_error() -> None:
    """argparse's own usage errors exit 2."""
    assert fleetcast("ingest", "--frobnicate").returncode == 2


def test_every_option_s_help_gives_its_bounds(capsys: pytest.CaptureFixture[str]) -> None:
    """`--horizon 1` was refused with "greater than or equal to 7" while `--help` named no
    bound: each option's help gives the bounds its model enforces, beside its default."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["forecast", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--horizon HORIZON days forecast ahead, daily; weeks as 26w (default 182; 7 to 730)" in (
        shown
    )
    assert "days between cutoffs (default: backtest_days; 1 to 365)" in shown


def test_a_horizon_out_of_bounds_is_refused_in_the_unit_typed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--horizon 105w` was answered "Input should be less than or equal to 730", in days, to
    a user who typed weeks: the refusal converts and names both bounds ("'1d' is 1 day",
    not "1 days")."""
    for typed, days in (("105w", "735 days"), ("3d", "3 days"), ("1d", "1 day")):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["forecast", "--horizon", typed])
        said = " ".join(capsys.readouterr().err.split())
        assert f"'{typed}' is {days}; the daily horizon is 7 to 730 days (104w)" in said
    assert build_parser().parse_args(["forecast", "--horizon", "104w"]).horizon == 728


def test_a_negative_limit_is_refused_before_any_query(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`status --limit -1` ended in a DuckDB traceback ("LIMIT/OFFSET cannot be negative",
    sweep48 F7): every command's --limit is refused with its bound, as --keep is."""
    for command in ("status", "quarantine", "events", "contracts"):
        with pytest.raises(SystemExit):
            build_parser().parse_args([command, "--limit", "-1"])
        said = " ".join(capsys.readouterr().err.split())
        assert (
            "--limit: Input should be greater than or equal to 1 (got -1; allowed at least 1)"
            in (said)
        ), command


def test_invalid_capacity_plan_names_the_block_and_exits_1(tmp_path: Path) -> None:
    """`fleetcast capacity` on a broken plan prints the entry and field at fault, exit 1."""
    plan = tmp_path / "capacity.toml"
    plan.write_text('[[block]]\nid = "pod-x"\nkind = "pod"\ngpus = -1\n', encoding="utf-8")
    result = fleetcast("capacity", "--capacity", str(plan))
    assert result.returncode == 1
    assert "[[block]] 'pod-x' field gpus" in result.stderr


def test_a_doubtful_plan_entry_names_the_plan_s_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A candidate with `capex_usd = 0` warned "[[candidate]] 'rack-x' field capex_usd: 0 ..."
    with no file, where every refusal of the same plan starts with its path: a user with a
    plan per region could not tell which file to fix. The warning now starts with the path."""
    import tomli_w

    from forecasting.resources import sample_capacity

    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    document["candidate"][0]["capex_usd"] = 0
    plan = tmp_path / "capacity.toml"
    plan.write_text(tomli_w.dumps(document), encoding="utf-8")
    assert main(["capacity", "--capacity", str(plan)]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "capex_usd: 0" in line]
    name = document["candidate"][0]["name"]
    assert said == [
        f"warning: {plan}: [[candidate]] {name!r} field capex_usd: 0, so the triggers order it "
        "as free over every other block type; give its capital cost"
    ]


def test_the_demo_s_next_commands_name_the_warehouse_and_reports_it_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fleetcast demo --warehouse W --reports R` said "next: export FLEETCAST_CAPACITY=...,
    then e.g. `fleetcast drill inference-surge`", which reads the default warehouse, not W,
    where the demo's run is not: the line exports W and R too where a bare command would not
    find them, and only the plan where it would."""
    from flows.demo import next_commands_line

    monkeypatch.chdir(tmp_path)
    for name in ("FLEETCAST_HOME", "FLEETCAST_WAREHOUSE", "FLEETCAST_REPORTS"):
        monkeypatch.delenv(name, raising=False)
    plan = tmp_path / "data" / "demo" / "capacity.toml"
    own = tmp_path / "my wh.duckdb"
    line = next_commands_line(plan_path=plan, warehouse_path=own, reports_path=tmp_path / "out")
    assert line.startswith(
        f"next: export FLEETCAST_CAPACITY={plan} FLEETCAST_WAREHOUSE='{own}' "
        f"FLEETCAST_REPORTS={tmp_path / 'out'}, then e.g. `fleetcast drill inference-surge`"
    )
    default = next_commands_line(
        plan_path=plan,
        warehouse_path=tmp_path / "data" / "warehouse.duckdb",
        reports_path=tmp_path / "reports",
    )
    assert default.startswith(f"next: export FLEETCAST_CAPACITY={plan}, then e.g.")


def test_the_sample_plan_says_where_it_is_to_copy(capsys: pytest.CaptureFixture[str]) -> None:
    """`fleetcast capacity --sample` names the file it shows, so a new user can start from it."""
    assert main(["capacity", "--sample"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"sample plan: {sample_capacity()}" in out


def test_synth_names_its_files_and_the_commands_that_take_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fleetcast synth` says where telemetry, plan and events went, and the commands it names
    load them: its folder holds an events file that `fleetcast ingest` would refuse. Paths are
    quoted for a shell (pasted, a folder with a space read as two words)."""
    out = tmp_path / "my fleet"
    warehouse = str(tmp_path / "w.duckdb")
    assert main(["synth", "--days", "28", "--customers", "12", "--out", str(out)]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert (
        f"next: fleetcast ingest '{out / 'telemetry'}', fleetcast events '{out / 'events.csv'}',"
        in (said)
    )
    assert f"FLEETCAST_CAPACITY='{out / 'capacity.toml'}'" in said
    assert main(["ingest", str(out / "telemetry"), "--warehouse", warehouse]) == 0
    assert main(["events", str(out / "events.csv"), "--warehouse", warehouse]) == 0
    assert main(["capacity", "--capacity", str(out / "capacity.toml")]) == 0


def test_long_paths_print_whole_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failed file's path and the warehouse's path print whole on one line however deep the
    folder: wrapped at a pipe's 80 columns, a path can be neither copied nor searched for."""
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    deep.mkdir(parents=True)
    broken = deep / "broken[b].parquet"  # brackets are a file name, not bold markup
    broken.write_bytes(b"PAR1 not really")
    warehouse = deep / "w.duckdb"
    assert main(["ingest", str(broken), "--warehouse", str(warehouse)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert any(line.startswith(f"failed {broken}: cannot read as Parquet") for line in lines)
    assert main(["status", "--warehouse", str(warehouse)]) == 0
    assert f"warehouse {warehouse}" in capsys.readouterr().out.splitlines()


@pytest.mark.slow
def test_ingest_flow_exit_status_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """0 when all files read, 1 for an unreadable one or --strict (direct: no server set)."""
    warehouse = str(tmp_path / "w.duckdb")
    good = write_csv(tmp_path / "good.csv", GOOD)
    assert main(["ingest", str(good), "--warehouse", warehouse]) == 0
    assert "good.csv" in capsys.readouterr().out

    with_bad_row = write_csv(tmp_path / "rows.csv", GOOD.replace("T00", "T02"), BAD)
    assert main(["ingest", str(with_bad_row), "--warehouse", warehouse]) == 0
    again = write_csv(tmp_path / "rows2.csv", GOOD.replace("T00", "T03"), BAD)
    assert main(["ingest", str(again), "--warehouse", warehouse, "--strict"]) == 1
    # Retried, the same file is skipped, and its quarantined row still fails --strict.
    capsys.readouterr()
    assert main(["ingest", str(again), "--warehouse", warehouse, "--strict"]) == 1
    assert (
        "1 row(s) of these files in quarantine (0 quarantined by this run, 1 by an earlier "
        "ingest of a file skipped now)"
    ) in " ".join(capsys.readouterr().err.split())

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


def test_an_events_column_that_is_not_an_event_column_is_named_in_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt optional column (upper_windw) loads the rows without it and says so."""
    calendar = tmp_path / "events.csv"
    calendar.write_text("event,date,upper_windw\nmodel-launch,2025-03-10,7\n", encoding="utf-8")
    assert main(["events", str(calendar), "--warehouse", str(tmp_path / "w.duckdb")]) == 0
    warnings = [x for x in capsys.readouterr().err.splitlines() if x.startswith("warning: ")]
    assert len(warnings) == 1
    assert "['upper_windw'] are not event columns and were ignored" in warnings[0]
    assert "upper_window" in warnings[0]


def test_an_event_no_telemetry_series_matches_is_loaded_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With telemetry in eu-west, an event scoped to a customer with no telemetry loads but
    warns that it touches no forecast, and one in a misspelt region (in neither telemetry nor
    plan) is refused, as a contract's is; one in eu-west, or any before telemetry, says nothing."""
    warehouse = str(tmp_path / "w.duckdb")
    calendar = tmp_path / "events.csv"
    calendar.write_text(
        "event,date,region,customer\nmodel-launch,2025-03-10,eu-west,\n"
        "model-launch,2025-03-11,eu-west,acne\nmodel-launch,2025-03-12,eu-wset,\n",
        encoding="utf-8",
    )
    plan = ["--capacity", str(sample_capacity())]
    assert main(["events", str(calendar), "--warehouse", warehouse, *plan]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["ingest", str(write_csv(tmp_path / "t.csv", GOOD)), "--warehouse", warehouse]) == 0
    capsys.readouterr()
    assert main(["events", str(calendar), "--warehouse", warehouse, *plan]) == 0
    said = capsys.readouterr()
    warnings = [x for x in said.err.splitlines() if x.startswith("warning: ")]
    # The second warning is the kind's: both dates lie after the telemetry, where no past
    # occurrence teaches Prophet its effect.
    assert len(warnings) == 2
    assert (
        "event model-launch on 2025-03-11 (region 'eu-west', customer 'acne') matches no "
        "telemetry" in (warnings[0])
    )
    assert "change no forecast; add its past occurrences" in warnings[1]
    assert "unknown region" in " ".join(said.out.split()) and "eu-wset" in said.out


def test_one_row_ingest_answers_at_once_without_prefect(tmp_path: Path) -> None:
    """Without a server, `ingest` never imports prefect, so it starts no Prefect server (13-21 s
    before the first row; about 1 s without). The import is checked, not the time: a 10 s
    bound read 10.4 s on a busy machine."""
    one = write_csv(tmp_path / "one.csv", GOOD)
    result = fleetcast("ingest", str(one), "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("False")  # prefect was not imported
    assert "one.csv" in result.stdout and "loaded" in result.stdout


def test_ingest_loads_no_model_library(tmp_path: Path) -> None:
    """`ingest`, `events` and `contracts` load files through flows.direct, which imported the
    decision backtest at its top and with it scipy and the growth models: about 2 s of a
    one-row ingest spent on libraries it never calls."""
    one = write_csv(tmp_path / "one.csv", GOOD)
    code = (
        "import sys; from flows.cli import main; rc = main(); "
        "print(sorted(m for m in ('scipy', 'statsmodels', 'numba') if m in sys.modules)); "
        "sys.exit(rc)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "ingest", str(one), "--warehouse", str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    assert "loaded" in result.stdout
    assert result.stdout.strip().endswith("[]"), result.stdout[-300:]


@pytest.mark.slow
def test_direct_ingest_prints_what_the_flow_prints(tmp_path: Path) -> None:
    """The same files through the flow (FLEETCAST_TRACK=1) and directly give the same tables."""
    outputs = []
    for track in ("1", "0"):
        folder = tmp_path / f"track{track}"
        folder.mkdir()
        good = write_csv(folder / "rows.csv", GOOD, BAD)
        result = fleetcast(
            "ingest",
            str(good),
            "--warehouse",
            str(folder / "w.duckdb"),
            env={"FLEETCAST_TRACK": track},
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr.strip().endswith(str(track == "1"))
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]


def test_global_options_go_before_or_after_the_command(tmp_path: Path) -> None:
    """`fleetcast --warehouse W status` and `fleetcast status --warehouse W` read W."""
    warehouse = tmp_path / "w.duckdb"
    with connect(warehouse):
        pass  # an empty, migrated warehouse
    before = fleetcast("--warehouse", str(warehouse), "status")
    after = fleetcast("status", "--warehouse", str(warehouse))
    assert before.returncode == 0 and after.returncode == 0, before.stderr + after.stderr
    assert f"warehouse {warehouse}" in before.stdout
    assert f"warehouse {warehouse}" in after.stdout


def test_out_of_range_arguments_are_one_line_usage_errors() -> None:
    """Library bounds, option bounds and argparse's own errors exit 2 in one line, no traceback."""
    cases = (
        ("synth", "--customers", "10"),
        ("demo", "--customers", "8"),
        ("demo", "--days", "27"),
        ("report", "--buffer-weeks", "99"),
        ("report", "--quantile", "q10"),
        ("drill", "--bogus"),
    )
    for args in cases:
        result = fleetcast(*args)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        # Drop the line that says whether prefect loaded (absent when argparse exits itself).
        lines = [x for x in result.stderr.strip().splitlines() if x not in ("True", "False")]
        assert len(lines) == 1, lines
        assert lines[0].startswith("fleetcast") and "error:" in lines[0]
        assert lines[0].endswith("--help`)")


def test_a_supply_event_alone_is_drilled_at_todays_demand() -> None:
    """`drill --lose BLOCK` loses the block at 1x demand, named for it (it doubled all demand
    too before); --factor still applies when given; a demand shock keeps its 2x default."""
    from flows.cli import adhoc_drill

    parser = build_parser()
    lost = adhoc_drill(parser.parse_args(["drill", "--lose", "us-east-pod-01@+1w"]))
    assert (lost.target, lost.multiplier, lost.name) == ("all", 1.0, "lose-us-east-pod-01-at-+1w")
    dark = adhoc_drill(parser.parse_args(["drill", "--region-loss", "eu-west:3"]))
    assert (dark.multiplier, dark.name) == (1.0, "region-loss-eu-west-3d")
    both = adhoc_drill(parser.parse_args(["drill", "--lose", "b1", "--factor", "1.5"]))
    assert both.multiplier == 1.5 and both.name is None
    shock = adhoc_drill(parser.parse_args(["drill", "--class", "training", "--lose", "b1"]))
    assert shock.multiplier == AdhocDrill().multiplier == 2.0
    everything = adhoc_drill(parser.parse_args(["drill", "--all", "--lose", "b1"]))
    assert everything.multiplier == 2.0  # --all names a demand shock, as its help says
    assert adhoc_drill(parser.parse_args(["drill"])) is None


def test_a_repeated_loss_is_played_once_and_a_factor_of_1_is_said_to_be_no_shock(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--lose X --lose X` played one loss named lose-X-lose-X (read as two blocks), and
    `--class inference --factor 1` played and passed a shock of nothing, unsaid: the repeat is
    folded with a warning, and factor 1 without a supply event is warned of."""
    from flows.cli import adhoc_drill

    parser = build_parser()
    twice = adhoc_drill(parser.parse_args(["drill", "--lose", "b1", "--lose", "b1"]))
    assert twice.lose == ("b1",) and twice.name == "lose-b1"
    assert "warning: --lose b1 given 2 times: played once" in capsys.readouterr().err
    adhoc_drill(parser.parse_args(["drill", "--class", "inference", "--factor", "1"]))
    assert "warning: --factor 1 is no shock" in capsys.readouterr().err
    adhoc_drill(parser.parse_args(["drill", "--lose", "b1", "--factor", "1"]))
    assert capsys.readouterr().err == ""


def test_cli_defaults_and_choices_are_the_option_models() -> None:
    """--quantile choices are ReportOptions' Literal; numeric defaults are the models' fields."""
    parser = build_parser()
    report = parser.parse_args(["report"])
    forecast = parser.parse_args(["forecast"])
    assert report.quantile == ReportOptions().quantile
    assert report.buffer_weeks == ReportOptions().buffer_weeks
    assert forecast.horizon == ForecastOptions().horizon_days
    assert forecast.paths == ForecastOptions().n_paths
    assert forecast.cutoffs == ForecastOptions().n_cutoffs
    drill = parser.parse_args(["drill"])
    assert drill.answer_paths is DrillOptions().answer_paths is None  # every path
    assert parser.parse_args(["drill", "--answer-paths", "40"]).answer_paths == 40
    with pytest.raises(SystemExit):
        parser.parse_args(["report", "--quantile", "q10"])
    assert get_args(ReportOptions.model_fields["quantile"].annotation) == QUANTILE_CHOICES


def test_run_reads_telemetry_as_forecast_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`run` takes the forecast's --horizon-months, --outages, --zero-is-outage and --strict:
    a scheduled job reads telemetry the way an ad-hoc forecast does."""
    import flows.pipeline

    seen = {}

    class StopHereError(Exception):
        """Raised by the stand-in flow once it has the options: nothing else is run."""

    def pipeline_flow(*args: object) -> None:
        seen["options"] = args[-1]
        raise StopHereError

    monkeypatch.setattr(flows.pipeline, "pipeline_flow", pipeline_flow)
    calendar = tmp_path / "outages.csv"
    calendar.write_text("start,end\n2026-03-01T04:00:00Z,2026-03-01T05:00:00Z\n")
    argv = ["run", "--horizon-months", "0", "--outages", str(calendar), "--zero-is-outage",
            "--strict", "--warehouse", str(tmp_path / "w.duckdb"),
            "--capacity", str(sample_capacity())]  # fmt: skip
    assert build_parser().parse_args(argv).strict
    monkeypatch.setattr(sys, "argv", ["fleetcast", *argv])
    with pytest.raises(StopHereError):
        main()
    forecast = seen["options"].forecast  # type: ignore[attr-defined]
    assert (forecast.horizon_months, forecast.outages, forecast.zero_is_outage) == (
        0, calendar, True
    )  # fmt: skip


def test_run_reads_a_trace_in_its_inbox_with_format(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ServeGen trace in `run --inbox` failed ("ingest it with `--format servegen`") and
    `run` had no --format: the run forecast an empty warehouse into three Prefect tracebacks.
    `run --format servegen` hands the adapter to the inbox's ingest; without --inbox the
    option is a usage error."""
    import flows.pipeline

    seen = {}

    class StopHereError(Exception):
        """Raised by the stand-in flow once it has the options: nothing else is run."""

    def pipeline_flow(*args: object) -> None:
        seen["options"] = args[-1]
        raise StopHereError

    monkeypatch.setattr(flows.pipeline, "pipeline_flow", pipeline_flow)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    common = ["--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(sample_capacity())]
    with pytest.raises(StopHereError):
        main(["run", "--inbox", str(inbox), "--format", "servegen", *common])
    assert seen["options"].inbox_format == "servegen"  # type: ignore[attr-defined]
    assert main(["run", "--format", "servegen", *common]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--format servegen reads the --inbox files: give --inbox DIR" in err


def test_run_without_a_capacity_plan_stops_before_any_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run` with no plan at --capacity exits 1 saying where it looked, before the ingest and
    the forecast (which ran for minutes, then failed in the drills with a traceback)."""
    import flows.pipeline

    def pipeline_flow(*args: object) -> None:
        raise AssertionError("the pipeline started without a capacity plan")

    monkeypatch.setattr(flows.pipeline, "pipeline_flow", pipeline_flow)
    plan = tmp_path / "nowhere" / "capacity.toml"
    argv = ["run", "--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(plan)]
    assert main(argv) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"fleetcast run: {plan}: no capacity plan here" in err
    assert not (tmp_path / "w.duckdb").exists()


def test_run_with_a_bad_outage_calendar_stops_before_any_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run --outages` with a window that ends before it starts exits 1 naming the row, before
    the ingest (it failed after ingest, events and contracts, in three Prefect tracebacks)."""
    import flows.pipeline

    def pipeline_flow(*args: object) -> None:
        raise AssertionError("the pipeline started with a bad outage calendar")

    monkeypatch.setattr(flows.pipeline, "pipeline_flow", pipeline_flow)
    calendar = tmp_path / "outages.csv"
    calendar.write_text("region,start,end\nus-east,2026-11-20T00:00:00Z,2026-11-19T00:00:00Z\n")
    argv = ["run", "--warehouse", str(tmp_path / "w.duckdb"), "--capacity",
            str(sample_capacity()), "--outages", str(calendar)]  # fmt: skip
    assert main(argv) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"{calendar}: row 1, column 'end'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "w.duckdb").exists()


def test_run_on_a_warehouse_without_telemetry_stops_in_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """`run` on a new warehouse whose inbox holds only a bad file failed in the forecast task,
    its subflow and the pipeline flow: three Prefect tracebacks (133 lines) before the line
    saying the warehouse holds no telemetry. It stops after the loads: the bad file's reason
    and that line, no traceback, exit 1, and nothing forecast."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "bad.csv").write_text("ts,region\n1,2\n")
    warehouse = tmp_path / "w.duckdb"
    argv = ["run", "--inbox", str(inbox), "--warehouse", str(warehouse), "--capacity",
            str(sample_capacity()), "--reports", str(tmp_path / "reports")]  # fmt: skip
    assert main(argv) == 1
    out = capfd.readouterr()
    said = " ".join((out.out + out.err).split())
    assert "bad.csv: missing required column(s)" in said
    assert f"fleetcast run: {warehouse} holds no telemetry; run `fleetcast ingest` first" in said
    assert "Traceback" not in said
    assert not (tmp_path / "reports").exists()


def test_output_to_a_pipe_is_wide_enough_for_the_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pipe or log gets 160 columns (at Rich's 80 the demo's trigger table read "2029-10…"
    and "cell-g…"); a terminal keeps its own width, and $COLUMNS still wins."""
    import io

    from flows.console import LOG_WIDTH, _width

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("COLUMNS", raising=False)
    assert _width(io.StringIO()) == LOG_WIDTH == 160
    assert _width(Terminal()) is None
    monkeypatch.setenv("COLUMNS", "100")
    assert _width(io.StringIO()) is None


def test_settings_read_fleetcast_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """FLEETCAST_* variables set the paths and runner; explicit paths win; empty ones are unset."""
    monkeypatch.setenv("FLEETCAST_WAREHOUSE", str(tmp_path / "env.duckdb"))
    monkeypatch.setenv("FLEETCAST_TASK_RUNNER", "threads")
    monkeypatch.setenv("FLEETCAST_REPORTS", "")
    assert resolve_paths().warehouse == tmp_path / "env.duckdb"
    assert resolve_paths(warehouse=tmp_path / "x.duckdb").warehouse == tmp_path / "x.duckdb"
    assert resolve_paths().reports == Path.cwd() / "reports"
    assert build_parser().parse_args(["forecast"]).task_runner == "threads"


def test_working_files_follow_fleetcast_home_or_the_current_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Default paths resolve under FLEETCAST_HOME, else the current directory, never the package."""
    monkeypatch.delenv("FLEETCAST_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_paths().warehouse == tmp_path / "data" / "warehouse.duckdb"
    assert settings().inbox == tmp_path / "data" / "inbox"
    monkeypatch.setenv("FLEETCAST_HOME", str(tmp_path / "home"))
    assert resolve_paths().capacity == tmp_path / "home" / "data" / "capacity.toml"
    assert resolve_paths().reports == tmp_path / "home" / "reports"
    monkeypatch.setenv("FLEETCAST_HOME", "relative")
    assert settings().home == tmp_path / "relative"
    monkeypatch.setenv("FLEETCAST_WAREHOUSE", "/abs/w.duckdb")
    assert resolve_paths().warehouse == Path("/abs/w.duckdb")


def test_a_server_in_the_active_prefect_profile_counts_as_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """PREFECT_API_URL set by `prefect config set` (profiles.toml) runs commands as flows."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("PREFECT_PROFILE", raising=False)
    monkeypatch.setenv("PREFECT_PROFILES_PATH", str(tmp_path / "profiles.toml"))
    assert not prefect_server_configured()
    (tmp_path / "profiles.toml").write_text(
        'active = "work"\n[profiles.work]\nPREFECT_API_URL = "http://127.0.0.1:4200/api"\n',
        encoding="utf-8",
    )
    assert prefect_server_configured()
    monkeypatch.setenv("PREFECT_API_URL", "")
    assert not prefect_server_configured()


def test_a_series_on_a_fallback_warns_and_strict_exits_1(tmp_path: Path) -> None:
    """Too little history: the run completes, one warning line per series, --strict exits 1."""
    warehouse = str(tmp_path / "w.duckdb")
    rows = [GOOD.replace("T00", f"T{h:02d}") for h in range(24)]
    assert (
        fleetcast(
            "ingest", str(write_csv(tmp_path / "day.csv", *rows)), "--warehouse", warehouse
        ).returncode
        == 0
    )
    result = fleetcast("forecast", "--warehouse", warehouse, "--paths", "10")
    assert result.returncode == 0, result.stderr
    warnings = [x for x in result.stderr.splitlines() if x.startswith("warning: ")]
    assert warnings and any("total" in x and "forecast by" in x for x in warnings), result.stderr
    strict = fleetcast("forecast", "--warehouse", warehouse, "--paths", "10", "--strict")
    assert strict.returncode == 1
    assert "--strict" in strict.stderr


def test_the_models_table_counts_fallbacks_apart_from_backtest_choices() -> None:
    """A series on a fallback, or one a contract stands in for, or given --fixed-model, was
    chosen by no backtest: each is counted as what it is, and a run without a 26-week backtest
    says it was not measured. The book's series are signed ramps or pipeline deals at their
    odds (the demo's four were both pipeline deals, labelled "a signed ramp")."""
    from datetime import date

    from rich.console import Console

    from flows.tables import forecast_tables
    from forecasting.runs import ForecastRun

    run = ForecastRun(
        run_id="r", as_of=date(2026, 1, 1), series=6, seconds=1.0, reconciliation="bottom_up",
        models_chosen={"ets": 3, "seasonal_naive": 1, "contract-book": 1},
        models_fallback={"seasonal_naive": 2},
        accuracy=[], calibrated=0, fallbacks=2, horizon_months=36,
    )  # fmt: skip
    console = Console(width=200, record=True)
    for table in forecast_tables(run)[1:]:
        console.print(table)
    lines = [
        " ".join(line.replace("│", " ").split()) for line in console.export_text().splitlines()
    ]
    assert "ets backtest 3" in lines and "seasonal_naive backtest 1" in lines
    assert "seasonal_naive fallback (see the warnings) 2" in lines
    assert (
        "contract-book the contract book: a signed ramp or a pipeline deal at its odds, no "
        "telemetry 1"
    ) in lines
    assert "not measured: too little history for a 26-week backtest" in lines
    # --fixed-model gave every series its model: no backtest chose it.
    console = Console(width=200, record=True)
    console.print(forecast_tables(run.model_copy(update={"fixed_model": "ets"}))[1])
    assert "ets fixed (--fixed-model) 3" in " ".join(
        console.export_text().replace("│", " ").split()
    )


def _a_run_and_its_report() -> tuple[ForecastRun, ReportOutcome]:
    """A six-series forecast run and its report, as a pipeline summary reads them."""
    from forecasting.runs import ForecastRun, ReportOutcome

    run = ForecastRun(
        run_id="r", as_of=date(2026, 1, 1), series=6, seconds=1.0, reconciliation="bottom_up",
        models_chosen={"ets": 6}, accuracy=[], calibrated=0, fallbacks=0,
    )  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("reports/r/index.html"), statuses={},
        failing_drills=[], stale_days=None, triggers=[],
    )  # fmt: skip
    return run, report


def test_the_run_summary_counts_the_files_that_failed() -> None:
    """`fleetcast run` over an inbox where a file failed: the data line says how many failed
    (it counted only the loaded ones, so a failed file went unmentioned at the end), and how
    many event rows and contracts were refused."""
    from pathlib import Path

    from flows.pipeline import PipelineOutcome
    from flows.tables import pipeline_summary
    from forecasting.ingest import IngestResult

    run, report = _a_run_and_its_report()
    bad = IngestResult(path=Path("inbox/bad.csv"), status="failed", message="bad.csv: ...")
    outcome = PipelineOutcome(ingested=[bad], forecast=run, drills=[], report=report)
    (data, *_) = pipeline_summary(outcome, seconds=1.0)
    assert data.startswith("data: 0 new file(s), 0 rows loaded, 0 quarantined; 1 file(s) failed")
    clean = outcome.model_copy(update={"ingested": []})
    assert "failed" not in pipeline_summary(clean, seconds=1.0)[0]
    # Event rows and contracts refused are counted too (the run said nothing of 14 of each).
    from forecasting.runs import ContractsLoaded, EventsLoaded

    # Three rows refused, one of them for two faults: counted as rows.
    refused = [
        {"row_number": row, "column": "start", "rule": "not a date", "value": "x"}
        for row in (2, 3, 5, 5)
    ]
    events = EventsLoaded(path=Path("ev.csv"), status="loaded", refused=refused)
    # Two entries refused, one of them for two faults: counted as entries.
    faults = [{"row_number": 1}, {"row_number": 4}, {"row_number": 4}]
    book = ContractsLoaded(path=Path("book.toml"), status="loaded", refused=faults)
    counted = clean.model_copy(update={"events": [events], "contracts": [book]})
    assert pipeline_summary(counted, seconds=1.0)[0].endswith(
        "; 3 event row(s) refused (listed above); 2 contract(s) refused (listed above)"
    )
    # An emptied book refused whole is counted: the run forecast with the stored book.
    emptied = ContractsLoaded(path=Path("book.toml"), status="failed", message="holds no ...")
    counted = clean.model_copy(update={"contracts": [emptied]})
    assert pipeline_summary(counted, seconds=1.0)[0].endswith(
        "; 1 event calendar(s) or contract book(s) not loaded (listed above)"
    )
    # --allow-empty reaches the run's loads.
    assert build_parser().parse_args(["run", "--allow-empty"]).allow_empty


def test_the_run_summary_says_not_backtested_and_placed_dates() -> None:
    """`fleetcast run` on a short trace read "total peak MASE n/a vs seasonal naive n/a"
    where the report said "not backtested", and nothing of a ServeGen run's placed dates.
    Now it says "not backtested", and the placement under the forecast line."""
    from datetime import date
    from pathlib import Path

    from flows.pipeline import PipelineOutcome
    from flows.tables import pipeline_summary
    from forecasting.runs import ForecastRun, ReportOutcome

    total = {
        "level": "total",
        "measure": "peak",
        "series": 1,
        "mase": None,
        "mase_seasonal_naive": None,
        "coverage_80": None,
    }
    run = ForecastRun(
        run_id="r", as_of=date(2025, 1, 19), series=1, seconds=1.0, reconciliation="bottom_up",
        models_chosen={}, accuracy=[total], calibrated=0, fallbacks=1,
    )  # fmt: skip
    note = "dates placed: the ServeGen trace has no calendar, and day 0 is placed on 2025-01-06"
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("reports/r/index.html"), statuses={},
        failing_drills=[], stale_days=683, triggers=[], placed_dates=note,
    )  # fmt: skip
    lines = pipeline_summary(
        PipelineOutcome(ingested=[], forecast=run, drills=[], report=report), seconds=1.0
    )
    assert lines[0].endswith("; newest telemetry 683 days before today by the placed calendar")
    assert lines[1] == (
        "forecast r: 1 series, history to 2025-01-19; total peak not backtested (no measured error)"
    )
    assert lines[2] == note


def test_the_run_and_report_summaries_say_the_blocks_retiring_within_the_plan() -> None:
    """`fleetcast run` and `report` on a plan whose A100 rack retires inside the horizon said
    nothing of it, though the triggers count it out of capacity from then: the summary now
    prints the report's retiring line, and says nothing where no block retires."""
    from flows.pipeline import PipelineOutcome
    from flows.tables import pipeline_summary, retiring_lines

    run, report = _a_run_and_its_report()
    line = "retiring: 1 block (512 GPUs) retires by 2027-02-18, within the plan (to 2029-12-31)"
    retiring = report.model_copy(update={"retiring": line})
    outcome = PipelineOutcome(ingested=[], forecast=run, drills=[], report=retiring)
    assert line in pipeline_summary(outcome, seconds=1.0)
    assert retiring_lines(retiring) == [line]
    assert retiring_lines(report) == []


def test_the_run_summary_says_why_the_plan_stops_at_the_daily_days() -> None:
    """`fleetcast run --horizon 2w` on 21 days of telemetry: the default --horizon-months 36
    planned nothing past the 14 daily days (every region too young to measure drift), and the
    run said only "every order of the plan due by 2026-12-19 (the daily forecast's last day)"
    and "capital $0 in 0 orders"; why there was no plan past two weeks was printed by
    `fleetcast forecast` alone. The forecast line now says it; a run with a plan says nothing."""
    from flows.pipeline import PipelineOutcome
    from flows.tables import pipeline_summary

    run, report = _a_run_and_its_report()
    gap = "eu-west, us-east, us-west too young: nothing in the run measures how far a level moves"
    young = run.model_copy(update={"plan_gap": gap, "horizon_months": 0})
    lines = pipeline_summary(
        PipelineOutcome(ingested=[], forecast=young, drills=[], report=report), seconds=1.0
    )
    assert lines[1].endswith(f"; no plan past the daily days: {gap}"), lines[1]
    planned = pipeline_summary(
        PipelineOutcome(ingested=[], forecast=run, drills=[], report=report), seconds=1.0
    )
    assert "no plan past" not in planned[1]


def test_the_run_summary_points_at_the_run_s_own_pages_when_latest_is_another(
    tmp_path: Path,
) -> None:
    """`fleetcast demo --trace helios` (as of 2020-05-31) printed "reports: .../latest/index.html"
    beside a synthetic run as of 2026: latest/ is the newest as-of day's run, so the reader
    opened the other fleet's pages. The summary names latest/ only where it is this run."""
    from flows.tables import _reports_path

    old, new = tmp_path / "forecast-helios", tmp_path / "forecast-synth"
    old.mkdir(), new.mkdir()
    (tmp_path / "latest").symlink_to(new.name, target_is_directory=True)
    assert _reports_path(new) == str(tmp_path / "latest" / "index.html")
    assert _reports_path(old) == (
        f"{old / 'index.html'} (latest/ holds a run of a later as-of day)"
    )


def _forecast_tables_text(run: ForecastRun) -> str:
    """`fleetcast forecast`'s tables for ``run`` as a reader sees them, spaces folded."""
    from rich.console import Console

    from flows.tables import forecast_tables

    console = Console(width=400, record=True)
    for table in forecast_tables(run):
        console.print(table)
    return " ".join(console.export_text().replace("│", " ").split())


def test_a_run_planned_to_its_daily_days_only_says_why() -> None:
    """A run whose level moves nothing measures stops at the daily days: the terminal says so
    and why, not "plan horizon 36 months"."""
    from datetime import date

    from forecasting.runs import ForecastRun

    gap = "eu-west too young: nothing in the run measures how far a level moves in months"
    run = ForecastRun(
        run_id="r", as_of=date(2026, 1, 1), series=6, seconds=1.0, reconciliation="bottom_up",
        models_chosen={"ets": 6}, accuracy=[], calibrated=0, fallbacks=0, plan_gap=gap,
    )  # fmt: skip
    text = _forecast_tables_text(run)
    assert "plan horizon: the daily days only" in text
    assert f"not forecast past the daily days: {gap}" in text
    assert "36 months" not in text


def test_a_plan_horizon_raised_by_the_lead_times_says_so() -> None:
    """`forecast --horizon-months 12` printed "plan horizon 37 months" (raised to the plan's
    power lead plus the buffer) and never said why (sweep51); a horizon met as asked, or a run
    that does not know what was asked, reads as before."""
    from datetime import date

    from forecasting.runs import ForecastRun

    def title(asked: int) -> str:
        run = ForecastRun(
            run_id="r", as_of=date(2026, 1, 1), series=6, seconds=1.0,
            reconciliation="bottom_up", models_chosen={"ets": 6}, accuracy=[], calibrated=0,
            fallbacks=0, horizon_months=37, horizon_months_asked=asked,
        )  # fmt: skip
        return _forecast_tables_text(run)

    assert (
        "plan horizon 37 months (daily, then monthly, raised from 12 (--horizon-months, 36 by "
        "default) to reach the plan's longest lead time (blocks and power) plus the buffer)"
    ) in title(12)
    # The default was read as a run's own ask: "raised from the 36 asked" at `--horizon 6w`.
    assert "raised from 36 (--horizon-months, 36 by default)" in title(36).replace("\n", " ")
    assert "plan horizon 37 months (daily, then monthly);" in title(37)
    assert "plan horizon 37 months (daily, then monthly);" in title(0)


def test_a_deals_revenue_reads_to_the_plans_end_beside_its_capex() -> None:
    """A term past the plan's end: the headline puts the revenue to the plan's end beside the
    capex (measured to the same day) and the term's past it apart, not verified (it read
    "$3,236.7M over the term", as if served); a deal within the plan reads one figure."""
    from datetime import date
    from pathlib import Path

    from rich.console import Console

    from flows.tables import whatif_table
    from forecasting.runs import WhatIfOutcome

    outcome = WhatIfOutcome(
        forecast_run_id="r", as_of=date(2026, 12, 1), horizon_end=date(2029, 12, 31),
        serve_from=date(2027, 3, 1), can_serve=True, serve_note="", extra_capex_usd=67.6e6,
        extra_mw=2.0, revenue_usd=236.7e6, revenue_past_plan_usd=3000e6, orders=[],
        notes=[], page=Path("p.html"),
    )  # fmt: skip

    def title(o: WhatIfOutcome) -> str:
        console = Console(width=400, record=True)
        console.print(whatif_table(o))
        return " ".join(console.export_text().split())

    assert "revenue $236.7M to the plan's end ($3,000.0M past it: not verified)" in title(outcome)
    within = outcome.model_copy(update={"revenue_past_plan_usd": None})
    assert "revenue $236.7M" in title(within) and "not verified" not in title(within)
    # Never served in full within the horizon: its revenue is not counted, not "$0".
    never = within.model_copy(update={"serve_from": None, "can_serve": False, "revenue_usd": 0.0})
    assert "revenue not counted (never served in full within the horizon)" in title(never)
    assert "revenue $0" not in title(never)


def test_the_demand_table_counts_missing_days_in_its_own_window() -> None:
    """Its title says the last 28 days, so its missing days are those 28 days' outages, not
    the whole history's."""
    from datetime import date, timedelta

    import polars as pl
    from rich.console import Console

    from flows.tables import demand_table

    days = [date(2026, 1, 1) + timedelta(days=d) for d in range(60)]
    missing = {5, 6, 7, 8, 9, 50, 51}  # 5 long ago, 2 in the last 28 days
    series = pl.DataFrame(
        {
            "ds": days * 2,
            "measure": ["mean"] * 60 + ["peak"] * 60,
            "y": [None if d in missing else 100.0 for d in range(60)] * 2,
        }
    ).with_columns(
        region=pl.lit("eu"), workload_class=pl.lit("inference"), customer=pl.lit(None, pl.String)
    )
    console = Console(width=200, record=True)
    console.print(demand_table(series, outages=pl.DataFrame()))
    row = next(line for line in console.export_text().splitlines() if "inference" in line)
    assert row.replace("│", " ").split()[-1] == "2"


def test_the_demand_table_s_title_counts_outage_hours_in_its_own_window() -> None:
    """The title's outage hours are the 28 days' it names, with the whole history's beside
    them. Regression: "last 28 days ...; 6 outage hour(s) read as missing" counted every
    hour since the region's first, while the table beside it read 0 missing days."""
    from datetime import UTC, date, datetime, timedelta

    import polars as pl
    from rich.console import Console

    from flows.tables import demand_table

    days = [date(2026, 1, 1) + timedelta(days=d) for d in range(60)]
    series = pl.DataFrame(
        {"ds": days * 2, "measure": ["mean"] * 60 + ["peak"] * 60, "y": [100.0] * 120}
    ).with_columns(
        region=pl.lit("eu"), workload_class=pl.lit("inference"), customer=pl.lit(None, pl.String)
    )
    # Five hours on 2026-01-03 (long before the window), two on 2026-02-20 (inside it), one
    # at the window's first hour (2026-02-02 00:00, inside) and one the hour before (outside).
    stamps = [datetime(2026, 1, 3, h, tzinfo=UTC) for h in range(5)]
    stamps += [datetime(2026, 2, 20, h, tzinfo=UTC) for h in (3, 4)]
    stamps += [datetime(2026, 2, 2, 0, tzinfo=UTC), datetime(2026, 2, 1, 23, tzinfo=UTC)]
    outages = pl.DataFrame({"region": ["eu"] * len(stamps), "ts": stamps})
    console = Console(width=300, record=True)
    console.print(demand_table(series, outages=outages))
    # The title wraps at the table's width: read its lines down to the table's top border.
    text = console.export_text()
    title = " ".join(text[: text.index("┏")].split())
    assert "demand, last 28 days to 2026-03-01" in title
    assert "3 outage hour(s) in them read as missing (9 since the telemetry began)" in title


def test_the_demand_table_s_peak_is_its_window_s_peak_hour_and_the_average_says_so() -> None:
    """The last 28 days' daily peaks are 100 GPUs but one of 380: the table shows their
    average as "mean daily peak" (110) and the window's peak hour (380). Regression: a column
    "peak" held the average of the daily peaks (110), read as the window's peak."""
    from datetime import date, timedelta

    import polars as pl
    from rich.console import Console

    from flows.tables import demand_table

    days = [date(2026, 1, 1) + timedelta(days=d) for d in range(28)]
    peaks = [380.0 if d == 20 else 100.0 for d in range(28)]
    series = pl.DataFrame(
        {"ds": days * 2, "measure": ["mean"] * 28 + ["peak"] * 28, "y": [60.0] * 28 + peaks}
    ).with_columns(
        region=pl.lit("eu"), workload_class=pl.lit("inference"), customer=pl.lit(None, pl.String)
    )
    console = Console(width=200, record=True)
    console.print(demand_table(series, outages=pl.DataFrame()))
    text = console.export_text()
    header = " ".join(text.replace("│", " ").replace("┃", " ").split())
    assert "mean mean daily peak peak hour" in header
    row = next(line for line in text.splitlines() if "inference" in line)
    assert row.replace("│", " ").split()[2:5] == ["60", "110", "380"]


def test_the_demand_table_shows_a_class_under_one_gpu_as_what_it_is() -> None:
    """A batch class of an embedding pipeline averaging 0.3 GPUs (peaks of 0.75) read "0"
    for its mean and "1" for its daily peak in `fleetcast demand` (a real export of a Helios
    fleet): a measured zero beside a class that ran every hour. Below one GPU the table shows
    a tenth, and "under 0.1" for a figure above zero that a tenth rounds away."""
    from datetime import date, timedelta

    import polars as pl
    from rich.console import Console

    from flows.tables import demand_table

    days = [date(2020, 5, 1) + timedelta(days=d) for d in range(28)]
    frames = [
        pl.DataFrame(
            {"ds": days * 2, "measure": ["mean"] * 28 + ["peak"] * 28, "y": [m] * 28 + [p] * 28}
        ).with_columns(
            region=pl.lit("hk-east"), workload_class=pl.lit(cls), customer=pl.lit(None, pl.String)
        )
        for cls, m, p in (("batch", 0.3, 0.75), ("evaluation", 0.04, 0.5), ("training", 0.0, 0.0))
    ]
    console = Console(width=200, record=True)
    console.print(demand_table(pl.concat(frames), outages=pl.DataFrame()))
    rows = {
        cells[1]: cells[2:5]
        for line in console.export_text().splitlines()
        if len(cells := [c.strip() for c in line.strip("│").split("│")]) > 5
    }
    assert rows["batch"] == ["0.3", "0.8", "0.8"]
    assert rows["evaluation"] == ["under 0.1", "0.5", "0.5"]
    # Zero demand is zero, and a whole number stays whole.
    assert rows["training"] == ["0", "0", "0"]


def _one_day_forecast_7_days(tmp_path: Path) -> tuple[str, Path]:
    """A warehouse of one day's telemetry forecast 7 days ahead (no backtest), and the sample
    plan."""
    return _forecast_7_days(tmp_path, [GOOD.replace("T00", f"T{h:02d}") for h in range(24)])


# Each fleet below is an ingest and a forecast in child processes (10-20 s on a loaded
# machine); three tests use each, so it is built once per module and every test drills,
# ingests into or edits a copy of its own.
@pytest.fixture(scope="module")
def one_day_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """:func:`_one_day_forecast_7_days`, built once: tests take a copy (:func:`_copied`)."""
    return _one_day_forecast_7_days(tmp_path_factory.mktemp("one-day"))


@pytest.fixture(scope="module")
def folded_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """:func:`_folded_fleet`, built once: tests take a copy (:func:`_copied`)."""
    return _folded_fleet(tmp_path_factory.mktemp("folded"))


def _copied(built: tuple[str, Path], tmp_path: Path) -> tuple[str, Path]:
    """A copy of a built warehouse (with any write-ahead log) and its plan in ``tmp_path``."""
    warehouse, plan = Path(built[0]), built[1]
    for file in warehouse.parent.glob(f"{warehouse.name}*"):
        shutil.copy2(file, tmp_path / file.name.replace(warehouse.name, "w.duckdb", 1))
    shutil.copy2(plan, tmp_path / "capacity.toml")
    return str(tmp_path / "w.duckdb"), tmp_path / "capacity.toml"


def test_a_drill_a_short_forecast_cannot_place_warns_and_the_others_play(
    tmp_path: Path, one_day_built: tuple[str, Path]
) -> None:
    """On a 7-day forecast, a drill starting at +2w is not played: one warning line says why
    and how long a forecast it needs; asked alone it exits 1, among all the drills 0."""
    warehouse, plan = _copied(one_day_built, tmp_path)
    env = {"FLEETCAST_CAPACITY": str(plan)}
    alone = fleetcast(
        "drill", "inference-surge", "--warehouse", warehouse, "--answers", "none", env=env
    )
    assert alone.returncode == 1, alone.stderr
    assert "warning: drill inference-surge not played: its start: +2w (" in alone.stderr
    assert "forecast at least 15 days ahead" in alone.stderr
    every = fleetcast(
        "drill", "--warehouse", warehouse, "--answers", "none", "--paths", "10", env=env
    )
    assert every.returncode == 0, every.stderr
    skipped = {x.split()[2] for x in every.stderr.splitlines() if x.startswith("warning: drill ")}
    assert {"inference-surge", "region-loss"} <= skipped
    assert "inference-2x" in every.stdout and "inference-2x" not in skipped


def _forecast_7_days(tmp_path: Path, rows: list[str]) -> tuple[str, Path]:
    """A warehouse of ``rows`` forecast 7 days ahead, and the sample plan beside it."""
    warehouse = str(tmp_path / "w.duckdb")
    fleetcast("ingest", str(write_csv(tmp_path / "day.csv", *rows)), "--warehouse", warehouse)
    forecast = fleetcast("forecast", "--warehouse", warehouse, "--paths", "10", "--horizon", "7")
    assert forecast.returncode == 0, forecast.stderr
    plan = tmp_path / "capacity.toml"
    plan.write_text(sample_capacity().read_text(encoding="utf-8"), encoding="utf-8")
    return warehouse, plan


def _folded_fleet(tmp_path: Path) -> tuple[str, Path]:
    """A warehouse forecast 7 days that keeps inference's 10 largest customers, folding tiny
    (1 GPU) into 'other' and dual (2 GPUs) there too while keeping its batch series; and the
    sample plan."""
    named = [*((f"big-{i:02d}", 100) for i in range(10)), ("tiny", 1), ("dual", 2)]
    rows = [
        f"2025-03-01T{h:02d}:00:00Z,eu-west,c1,{cls},{name},H100,{gpus},0"
        for h in range(24)
        for cls, name, gpus in [
            *(("inference", n, g) for (n, g) in named),
            ("batch", "bat", 999),
            ("batch", "dual", 1),
        ]
    ]
    return _forecast_7_days(tmp_path, rows)


def test_a_customer_folded_into_other_is_refused_in_one_line_with_its_share(
    tmp_path: Path,
    folded_built: tuple[str, Path],
) -> None:
    """`drill --customer tiny --factor 2` on a forecast that keeps inference's 10 largest and
    folds tiny into 'other' loaded every path, then read "has no demand in the paths (they
    name big-00, ... and 4 more)": tiny's demand is measured, and nothing said its share or
    which customers can be drilled. It now fails at once (exit 2) in one line that says so.
    dual, kept in batch but folded in inference, drilled its batch demand alone with nothing
    said: a warning line now says its inference demand is not shocked, and how much it is."""
    warehouse, plan = _copied(folded_built, tmp_path)
    drill = fleetcast(
        "drill", "--customer", "tiny", "--factor", "2", "--warehouse", warehouse,
        env={"FLEETCAST_CAPACITY": str(plan)},
    )  # fmt: skip
    assert drill.returncode == 2, drill.stderr
    said = drill.stderr.splitlines()[:-1]  # the last line: whether prefect was imported
    assert len(said) == 1, said
    assert said[0].startswith(
        "fleetcast drill: error: customer 'tiny' is folded into 'other' in inference"
    )
    assert "0.1% of inference demand and 0.05% of the fleet's" in said[0]
    drillable = ", ".join(["bat", *(f"big-{i:02d}" for i in range(10)), "dual"])
    assert f"customers with a forecast of their own, which can be drilled: {drillable}" in said[0]
    assert "has no demand in the paths" not in said[0]
    dual = fleetcast(
        "drill", "--customer", "dual", "--factor", "2", "--answers", "none", "--paths", "10",
        "--warehouse", warehouse, env={"FLEETCAST_CAPACITY": str(plan)},
    )  # fmt: skip
    assert dual.returncode in (0, 1), dual.stderr
    assert "customer:dual" in dual.stdout
    assert (
        "warning: the drill shocks customer 'dual' in batch only: its inference demand (0.2% "
        "of inference demand, GPU-hours over the 90 days to 2025-03-01) is folded into 'other'"
    ) in dual.stderr


def test_a_drill_file_naming_a_folded_customer_says_so_and_stores_the_warning(
    tmp_path: Path,
    folded_built: tuple[str, Path],
) -> None:
    """A drill file targeting a customer folded into 'other' read "has no demand in the paths"
    (the ad-hoc drill's refusal with its share was never made), and one partly folded played
    with nothing said, on the terminal or in the stored drill, of the demand left unshocked.
    Now the first is not played with the fold's reason and the second's drill keeps the
    warning in its notes."""
    import duckdb

    warehouse, plan = _copied(folded_built, tmp_path)
    folder = tmp_path / "drills"
    folder.mkdir()
    for name in ("tiny", "dual"):
        (folder / f"{name}-2x.toml").write_text(
            f'description = "{name} doubles"\nmultiplier = 2.0\ntarget = "customer:{name}"\n'
            'shape = "step"\n',
            encoding="utf-8",
        )
    env = {"FLEETCAST_CAPACITY": str(plan), "FLEETCAST_DRILLS": str(folder)}
    drill = fleetcast(
        "drill", "--answers", "none", "--paths", "10", "--warehouse", warehouse, env=env
    )  # fmt: skip
    assert drill.returncode in (0, 1), drill.stderr
    assert (
        "warning: drill tiny-2x not played: customer 'tiny' is folded into 'other' in inference"
    ) in drill.stderr
    assert "has no demand in the paths" not in drill.stderr
    unshocked = "the drill shocks customer 'dual' in batch only: its inference demand (0.2% "
    assert f"warning: {unshocked}" in drill.stderr
    with duckdb.connect(warehouse, read_only=True) as con:
        (notes,) = con.execute("SELECT notes FROM drill_runs WHERE drill = 'dual-2x'").fetchall()[0]
    assert any(note.startswith(unshocked) for note in notes), notes


@pytest.fixture(scope="module")
def one_day_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """`run` of one day's eu-west telemetry forecast 7 days against the sample plan: a whole
    pipeline with its Prefect server (about a minute on a loaded machine), run once for the
    tests that read what it said."""
    tmp_path = tmp_path_factory.mktemp("one-day-run")
    rows = [GOOD.replace("T00", f"T{h:02d}") for h in range(24)]  # eu-west only
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_csv(inbox / "day.csv", *rows)
    plan = tmp_path / "capacity.toml"
    plan.write_text(sample_capacity().read_text(encoding="utf-8"), encoding="utf-8")
    return fleetcast(
        "run", "--inbox", str(inbox), "--horizon", "7", "--warehouse", str(tmp_path / "w.duckdb"),
        "--capacity", str(plan), "--reports", str(tmp_path / "reports"),
    )  # fmt: skip


def test_run_says_each_drill_not_played_once(
    one_day_run: subprocess.CompletedProcess[str],
) -> None:
    """`run` on a one-day fleet forecast 7 days: four drills cannot be played. Each was said
    twice on the terminal, as the drill flow's Prefect WARNING line and as the CLI's own
    "warning: drill ... not played" line (8 lines for 4 drills). Now the Prefect line, kept
    for a served deployment's log, is the one; the summary counts and names them."""
    result = one_day_run
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if " not played: " in line]
    drills = [line.split("drill ", 1)[1].split()[0] for line in said]
    assert "inference-surge" in drills and len(drills) == len(set(drills)), said
    assert all("| WARNING |" in line for line in said), said
    summary = next(line for line in result.stdout.splitlines() if line.startswith("drills: "))
    assert f"{len(drills)} not played ({', '.join(sorted(drills))})" in summary


def test_run_warns_of_plan_regions_without_telemetry(
    one_day_run: subprocess.CompletedProcess[str],
) -> None:
    """`run` says which regions of the plan have blocks but no telemetry, as `report` does."""
    result = one_day_run  # eu-west's telemetry only
    assert result.returncode == 0, result.stderr
    for region in ("us-east", "us-west"):
        assert f"warning: region '{region}' has [[block]]s in " in result.stderr, result.stderr
    assert "warning: region 'eu-west'" not in result.stderr


def test_a_drill_not_played_is_the_cli_s_line_only_where_no_run_log_shows_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI's line for a drill not played is printed where the drill flow's log does not
    reach the terminal (a direct command, or a log to a file or below WARNING), and not where
    Prefect's console handler shows it already (each was printed twice)."""
    import io
    import logging

    import prefect  # noqa: F401  # the flows import it; a direct command does not

    from flows.cli import _warn_not_played
    from flows.console import run_log_on_console
    from forecasting.runs import DrillNotPlayed

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(logging.getLogger("prefect"), "level", logging.WARNING)
    skipped = [DrillNotPlayed(drill="inference-surge", reason="field start: +2w (...)")]
    assert not run_log_on_console()
    _warn_not_played(skipped)
    assert capsys.readouterr().err.count("warning: drill inference-surge not played") == 1
    for quiet in (logging.StreamHandler(io.StringIO()), logging.NullHandler()):
        monkeypatch.setattr(root, "handlers", [quiet])
        assert not run_log_on_console()
    console = logging.StreamHandler(sys.stderr)
    monkeypatch.setattr(root, "handlers", [console])
    assert run_log_on_console()
    _warn_not_played(skipped)
    assert "not played" not in capsys.readouterr().err
    console.setLevel(logging.ERROR)
    assert not run_log_on_console()


def test_outage_calendar_marks_hours_missing(tmp_path: Path) -> None:
    """`forecast --outages FILE` reads the calendar; a bad row names file, row and rule (exit 1)."""
    warehouse = str(tmp_path / "w.duckdb")
    rows = [GOOD.replace("T00", f"T{h:02d}") for h in range(24)]
    fleetcast("ingest", str(write_csv(tmp_path / "day.csv", *rows)), "--warehouse", warehouse)
    calendar = tmp_path / "outages.csv"
    calendar.write_text(
        "region,start,end,reason\neu-west,not-a-date,2025-03-02,x\n", encoding="utf-8"
    )
    result = fleetcast("forecast", "--warehouse", warehouse, "--outages", str(calendar))
    assert result.returncode == 1, result.stderr
    assert "outages.csv" in result.stderr and "row" in result.stderr and "start" in result.stderr


def test_an_outage_window_years_before_the_telemetry_is_said_to_mark_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A calendar window of 2019 against telemetry of 2025 marked nothing, silently: the
    forecast keeps the calendar's good rows and warns of the old window by file, row and
    rule; a rerun says the same and stores a run again."""
    warehouse = str(tmp_path / "w.duckdb")
    rows = [GOOD.replace("T00", f"T{h:02d}") for h in range(24)]
    telemetry = str(write_csv(tmp_path / "d.csv", *rows))
    assert main(["--warehouse", warehouse, "ingest", telemetry]) == 0
    calendar = tmp_path / "outages.csv"
    calendar.write_text(
        "region,start,end,reason\n"
        "eu-west,2019-06-01T00:00:00Z,2019-06-02T00:00:00Z,old hall\n"
        "eu-west,2025-03-01T05:00:00Z,2025-03-01T06:00:00Z,restart\n",
        encoding="utf-8",
    )
    rule = (
        f"{calendar}: row 1: the window 2019-06-01T00:00:00Z to 2019-06-02T00:00:00Z ends "
        "before the first telemetry hour of eu-west (2025-03-01T00:00Z): marks nothing"
    )
    argv = ["--warehouse", warehouse, "forecast", "--horizon-months", "0", "--outages",
            str(calendar), "--task-runner", "threads"]  # fmt: skip
    for _ in range(2):
        capsys.readouterr()
        assert main(argv) == 0
        captured = capsys.readouterr()
        said = " ".join((captured.out + captured.err).split())
        assert said.count(rule) == 1, said
        assert "row 2" not in said
    with connect(Path(warehouse), read_only=True) as wh:
        assert wh.count("forecast_runs") == 2


def test_rungs_used_are_listed_once_each_with_where() -> None:
    """The drill table names each rung once: its region, or how many regions it acted in."""
    from flows.tables import _rungs_text

    used = ["preempt", "migrate in eu-west", "migrate in us-east", "burst in a in b"]
    assert _rungs_text(used) == "preempt, migrate (2 regions), burst (a in b)"


def test_a_power_contract_date_already_past_says_it_is_late() -> None:
    """The summary's first power date reads as a deadline when ahead and as late when gone."""
    from datetime import date

    from flows.tables import power_lines
    from forecasting.runs import ReportOutcome

    def line(by: date) -> str:
        report = ReportOutcome(
            run_id="r", trigger_run_id="t", path=Path("."), statuses={}, failing_drills=[],
            stale_days=None, triggers=[], power_statuses={"red": 1, "green": 2},
            power_first=("us-east-b", by), as_of=date(2026, 11, 30),
        )  # fmt: skip
        return power_lines(report)[0]

    assert line(date(2025, 4, 6)) == (
        "power: 1 red, 0 amber, 2 green; contract power first: us-east-b by 2025-04-06 "
        "(603 days ago: late)"
    )
    assert line(date(2027, 4, 6)).endswith("us-east-b by 2027-04-06")


def test_a_power_date_ahead_on_a_site_red_for_its_ceiling_says_why_it_is_red() -> None:
    """A 200-week plan read "power: 3 red ...; contract power first: us-east-c by 2027-09-06",
    a date ahead and no lateness beside its red: part of the site's need lay past its ceiling,
    which no contract brings on. The line says so, and how many MW."""
    from datetime import date

    from flows.tables import power_lines
    from forecasting.runs import ReportOutcome

    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={}, failing_drills=[],
        stale_days=None, triggers=[], power_statuses={"red": 1},
        power_first=("us-east-c", date(2027, 9, 6)), as_of=date(2026, 12, 4),
        power_first_beyond_ceiling_mw=12.34,
    )  # fmt: skip
    assert power_lines(report)[0] == (
        "power: 1 red, 0 amber, 0 green; contract power first: us-east-c by 2027-09-06 (red "
        "whatever is contracted: 12.3 MW of its need passes its ceiling, a new site is needed "
        "for it; see its note)"
    )


def test_regions_short_with_their_largest_block_lost_follow_the_power_line() -> None:
    """The N+1 check was in no CLI line: a region short a month out with its largest block
    lost read nothing. Its line follows the power line, with or without sites."""
    from flows.tables import power_lines
    from forecasting.runs import ReportOutcome

    said = "n+1: us-west is short from 2027-01-03 if it loses us-west-pod-01 (1,024 GPUs)"
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={}, failing_drills=[],
        stale_days=None, triggers=[], power_statuses={"red": 1}, n_plus_one=[said],
    )  # fmt: skip
    assert power_lines(report) == ["power: 1 red, 0 amber, 0 green", said]
    assert power_lines(report.model_copy(update={"power_statuses": {}})) == [said]


def test_a_power_date_resting_on_a_monthly_only_order_says_so_on_the_power_line() -> None:
    """A site's contract date set by an order short at the monthly grain only read as plainly
    as any ("contract power first: s1 by ..."), beside a block trigger saying that shortfall is
    not verified at the daily grain; the line now says what the date rests on, in the
    triggers' own words (no copy of them to fall out of step)."""
    from datetime import date

    from flows import tables
    from forecasting.runs import ReportOutcome, reports
    from forecasting.triggers.common import MONTHLY_ONLY

    assert not hasattr(tables, "_MONTHLY_ONLY") and not hasattr(reports, "_MONTHLY_ONLY")
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={}, failing_drills=[],
        stale_days=None, triggers=[], power_statuses={"amber": 1},
        power_first=("s1", date(2027, 4, 6)), power_first_monthly=True, as_of=date(2026, 11, 30),
    )  # fmt: skip
    assert tables.power_lines(report)[0] == (
        "power: 0 red, 1 amber, 0 green; contract power first: s1 by 2027-04-06 (its date rests "
        f"on an order short at the monthly grain only, {MONTHLY_ONLY}: see its note)"
    )


def test_the_triggers_line_names_the_later_orders_due_before_every_trigger() -> None:
    """A long-lead later order of the plan due before every trigger's order is named on the
    summary's triggers line; several are counted and priced, the first named (the demo's cells
    were due in 13 days in three regions, and the line named eu-west's alone), with the red and
    amber among them counted; without one the line is the counts alone."""
    from datetime import date

    from flows.tables import triggers_line
    from forecasting.runs import ReportOutcome

    def line(later: list[dict[str, Any]]) -> str:
        report = ReportOutcome(
            run_id="r", trigger_run_id="t", path=Path("."), statuses={"green": 6},
            failing_drills=[], stale_days=None, triggers=[], later_due_first=later,
            as_of=date(2026, 12, 5), generated=date(2026, 12, 5),
        )  # fmt: skip
        return triggers_line(report)

    assert line([]) == "triggers: 0 red, 0 amber, 6 green"
    cell = {"region": "eu-west", "pool": "all", "blocks": 3, "candidate": "cell-gb200-8192",
            "order_by": date(2026, 12, 13), "capex_usd": 1105.92e6}  # fmt: skip
    assert line([cell]) == (
        "triggers: 0 red, 0 amber, 6 green; order first: eu-west/all 3 x cell-gb200-8192 "
        "by 2026-12-13 (a later order of the plan, due before every pool's first order)"
    )
    east = cell | {"region": "us-east", "blocks": 6, "capex_usd": 2211.84e6}
    assert line([cell, east]) == (
        "triggers: 0 red, 0 amber, 6 green; order first: 2 later orders of the plan, due "
        "before every pool's first order ($3,317.8M), the first eu-west/all 3 x "
        "cell-gb200-8192 by 2026-12-13"
    )
    # A later order already past its order-by date is counted by its status (the triggers'
    # own tally, "0 red", does not hold it) and says how late it is, as a pool's order does
    # (the demo's read "by 2026-10-13 (red)" on 2026-12-04).
    late = cell | {"order_by": date(2026, 11, 20), "status": "red"}
    assert line([late, east | {"status": "green"}]) == (
        "triggers: 0 red, 0 amber, 6 green; order first: 2 later orders of the plan, due "
        "before every pool's first order ($3,317.8M, 1 red), the first eu-west/all 3 x "
        "cell-gb200-8192 by 2026-11-20 (15 days ago: late; red)"
    )
    assert line([late]).endswith(
        "by 2026-11-20 (15 days ago: late; a later order of the plan, due before every pool's "
        "first order; red)"
    )
    # The demo's: a pool's order named "first" before orders due seven weeks ahead of it.
    pool = {"region": "us-east", "pool": "all", "status": "red", "order_by": date(2027, 2, 5),
            "blocks_to_order": 83, "note": ""}  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"red": 1},
        failing_drills=[], stale_days=None, triggers=[pool], later_due_first=[late],
        as_of=date(2026, 12, 5), generated=date(2026, 12, 5),
    )  # fmt: skip
    assert triggers_line(report) == (
        "triggers: 1 red, 0 amber, 0 green; order first: eu-west/all 3 x cell-gb200-8192 by "
        "2026-11-20 (15 days ago: late; a later order of the plan, due before every pool's "
        "first order; red); then the pools' first orders, from us-east/all by 2027-02-05"
    )


def test_the_triggers_line_orders_first_the_red_pool_due_first_and_says_how_late() -> None:
    """ "Order first" is the order whose order-by date comes first, not the first red row
    (a 45-day fleet named us-east's September date while us-west's was April's), whatever its
    status (said unless red), and a date before the as-of date says how late it is, as the
    power line does."""
    from datetime import date

    from flows.tables import triggers_line
    from forecasting.runs import ReportOutcome

    rows = [
        {"region": "us-east", "pool": "all", "status": "red", "order_by": "2026-09-03"},
        {"region": "us-west", "pool": "training", "status": "red", "order_by": "2026-04-20"},
        {"region": "eu-west", "pool": "all", "status": "green", "order_by": None},
    ]
    rows = [r | {"blocks_to_order": 2} for r in rows]
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"red": 2, "green": 1},
        failing_drills=[], stale_days=None, triggers=rows, as_of=date(2026, 12, 1),
    )  # fmt: skip
    assert triggers_line(report) == (
        "triggers: 2 red, 0 amber, 1 green; order first: us-west/training by 2026-04-20 "
        "(225 days ago: late)"
    )
    backfill = report.model_copy(update={"generated": date(2026, 12, 20)})
    assert triggers_line(backfill).endswith(
        "by 2026-04-20 (225 days before the as-of date 2026-12-01: late)"
    )
    # A red pool with nothing to order (short before any order lands, covered after) has an
    # order-by date but no order: it is named as such, never as the order to place first.
    rows[1]["blocks_to_order"] = 0
    assert triggers_line(report.model_copy(update={"triggers": rows})) == (
        "triggers: 2 red, 0 amber, 1 green; order first: us-east/all by 2026-09-03 "
        "(89 days ago: late); red with nothing to order (short before any order lands): "
        "us-west/training"
    )
    # An amber order due before every red one comes first, as on the pages' card (the line
    # named a red December date while an amber order was due in November).
    amber = {"region": "eu-west", "pool": "all", "status": "amber", "order_by": "2026-08-01",
             "blocks_to_order": 3}  # fmt: skip
    assert "order first: eu-west/all by 2026-08-01 (122 days ago: late; amber)" in triggers_line(
        report.model_copy(update={"triggers": [*rows, amber]})
    )
    ahead = amber | {"status": "green", "order_by": "2026-12-10"}
    green_first = [r | {"order_by": "2027-01-05"} for r in rows[:1]] + [ahead]
    assert "order first: eu-west/all by 2026-12-10 (green)" in triggers_line(
        report.model_copy(update={"triggers": green_first})
    )


def test_the_triggers_line_says_a_pool_short_until_planned_blocks_land_is_theirs_to_pull_in() -> (
    None
):
    """A red pool left unbought because committed blocks land within the buffer of any order's
    arrival read "red with nothing to order (short before any order lands)", false (an order
    would land first, 18 days before the blocks); it now points at the planned blocks."""
    from datetime import date

    from flows.tables import triggers_line
    from forecasting.runs import ReportOutcome
    from forecasting.triggers.notes import PULL_IN

    row = {"region": "r-east", "pool": "all", "status": "red", "order_by": "2026-08-28",
           "candidate": "rack-h100-256", "blocks_to_order": 0,
           "note": f"short from 2026-12-04 {PULL_IN}: 4 committed blocks ..."}  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"red": 1},
        failing_drills=[], stale_days=None, triggers=[row], as_of=date(2026, 12, 4),
    )  # fmt: skip
    line = triggers_line(report)
    assert "short before any order lands" not in line
    assert line.endswith(
        "red with nothing to order (short until blocks already planned land, within weeks of "
        "any order: absorb, expedite or pull them in; see its note): r-east/all"
    )


def test_the_triggers_line_reads_the_pull_in_words_the_triggers_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A copy of the triggers' pull-in words in flows.tables: reworded in the triggers alone, a
    pool short until its planned blocks land read "red with nothing to order (short before any
    order lands)" on `report`'s line, false (an order would land first). Now the line reads the
    words the triggers write."""
    from datetime import date

    from flows.tables import triggers_line
    from forecasting.runs import ReportOutcome
    from forecasting.triggers import notes

    monkeypatch.setattr(notes, "PULL_IN", "until the blocks the plan holds are in service")
    row = {"region": "r-east", "pool": "all", "status": "red", "order_by": "2026-08-28",
           "candidate": "rack-h100-256", "blocks_to_order": 0,
           "note": f"short from 2026-12-04 {notes.PULL_IN}: 4 committed blocks ..."}  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"red": 1},
        failing_drills=[], stale_days=None, triggers=[row], as_of=date(2026, 12, 4),
    )  # fmt: skip
    line = triggers_line(report)
    assert "short before any order lands" not in line
    assert line.endswith("absorb, expedite or pull them in; see its note): r-east/all")


def _report_table_text(**fields: Any) -> str:
    """The report table of an outcome with ``fields`` (no triggers unless given), as one line
    of text."""
    from rich.console import Console

    from flows.tables import report_table
    from forecasting.runs import ReportOutcome

    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={}, failing_drills=[],
        **{"stale_days": None, "triggers": [], **fields},
    )  # fmt: skip
    console = Console(width=300, record=True)
    console.print(report_table(report))
    return " ".join(console.export_text().split())


def test_the_report_table_says_a_monthly_only_order_s_size_is_not_verified() -> None:
    """The demo at 7 days printed "30 x rack-h100-256 ... $253.4M 11.5" for us-east/all, sized
    from a month read short past the daily rows, where 26 weeks read 89 racks ($751.9M): only
    the order-by date said "not verified". The order, capex and MW now say it too."""
    row = {"region": "us-east", "pool": "all", "status": "amber", "order_by": "2026-09-25",
           "exhaustion_date": "2027-01-01", "candidate": "rack-h100-256",
           "blocks_to_order": 30, "capex_usd": 253.4e6, "mw": 11.5, "monthly_only": True,
           "arrives": "2027-02-03", "note": "short at the monthly grain ..."}  # fmt: skip
    text = _report_table_text(triggers=[row], daily_days=7)
    assert (
        "30 x rack-h100-256 (size not verified at the daily grain (the daily forecast reaches "
        "only 7 days)) │ "
        "$253.4M, not verified │ 11.5, not verified │"
    ) in text
    plain = _report_table_text(triggers=[{**row, "monthly_only": False}], daily_days=7)
    assert "not verified (the daily" not in plain and "│ $253.4M │ 11.5 │" in plain


def test_a_monthly_only_order_by_before_the_as_of_date_reads_late_on_the_cli_and_pages() -> None:
    """syn95 at 1 and 4 weeks printed "2026-04-27 (monthly grain: not verified at the daily
    grain; 223 days before the as-of date)" on amber rows, and "90 days before" on the pages:
    a date a reader must act on, long passed, with no "late" where every other row's past
    order-by says it. It now reads "...; 71 days before the as-of date: late"; a date ahead
    reads as before."""
    row = {"region": "us-east", "pool": "all", "status": "amber", "order_by": "2026-09-25",
           "exhaustion_date": "2027-01-01", "candidate": "rack-h100-256",
           "blocks_to_order": 30, "capex_usd": 253.4e6, "mw": 11.5, "monthly_only": True,
           "arrives": "2027-02-03", "note": "short at the monthly grain ..."}  # fmt: skip
    text = _report_table_text(triggers=[row], as_of=date(2026, 12, 5))
    assert (
        "│ 2026-09-25 (monthly grain: not verified at the daily grain; 71 days before the as-of "
        "date: late) │"
    ) in text
    ahead = _report_table_text(triggers=[row], as_of=date(2026, 9, 1))
    assert "│ 2026-09-25 (monthly grain: not verified at the daily grain) │" in ahead
    # The pages' tables label their dates through one function, reading the row's as-of day.
    from forecasting.report.pages.common import monthly_date

    stored = {"monthly_only": True, "as_of": date(2026, 12, 5)}
    assert monthly_date(date(2026, 9, 25), stored).endswith(
        "; 71 days before the as-of date: late)"
    )
    assert monthly_date(date(2026, 12, 25), stored).endswith("daily grain)")


def test_the_report_table_says_a_past_order_by_date_is_late() -> None:
    """ServeGen at 26 weeks printed "order by 2024-10-14" plain in the report table, 97 days
    before its as-of date 2025-01-19, for racks that land 2025-03-30: a past date read as a
    plan. The cell now says it is late; a date ahead reads as before."""
    row = {"region": "servegen", "pool": "all", "status": "red", "order_by": "2024-10-14",
           "exhaustion_date": "2025-01-20", "candidate": "rack-h100-256",
           "blocks_to_order": 10, "capex_usd": 84.5e6, "mw": 3.8, "arrives": "2025-03-30",
           "note": "order 10 x rack-h100-256 ..."}  # fmt: skip
    text = _report_table_text(triggers=[row], as_of=date(2025, 1, 19))
    assert "│ 2024-10-14 (97 days late) │" in text
    ahead = _report_table_text(triggers=[row], as_of=date(2024, 10, 1))
    assert "│ 2024-10-14 │" in ahead


def test_the_report_table_sets_apart_the_capex_and_date_of_blocks_that_run_past_the_plan() -> None:
    """ServeGen at 26 weeks printed "$84.5M" and "2024-10-14 (97 days late)" for 10 racks, 8 of
    which ($67.6M) land 2025-03-30 and can run only from 2026-08-16, 504 days dark, after the
    plan's end 2025-07-20, while the pages counted them apart as not within the horizon. The
    CLI's capex and order-by cells now say it as the pages do."""
    row = {"region": "servegen", "pool": "all", "status": "red", "order_by": "2024-10-14",
           "exhaustion_date": "2025-01-20", "candidate": "rack-h100-256",
           "blocks_to_order": 10, "capex_usd": 84.48e6, "mw": 3.8, "arrives": "2025-03-30",
           "capex_past_plan_usd": 67.584e6, "blocks_past_plan": 8, "plan_end": "2025-07-20",
           "note": "order 10 x rack-h100-256 ..."}  # fmt: skip
    text = _report_table_text(triggers=[row], as_of=date(2025, 1, 19))
    assert (
        "│ 2024-10-14 (97 days late; the 8 blocks that run only after the plan's end: no "
        "order-by date within the horizon) │"
    ) in text
    assert (
        "│ $16.9M (+ $67.6M for 8 blocks that run only after the plan's end, 2025-07-20: not "
        "within the horizon) │"
    ) in text
    within = _report_table_text(
        triggers=[{**row, "capex_past_plan_usd": 0.0, "blocks_past_plan": 0}],
        as_of=date(2025, 1, 19),
    )
    assert "│ $84.5M │" in within and "│ 2024-10-14 (97 days late) │" in within


def test_the_report_rows_carry_the_capex_of_blocks_that_run_past_the_plan() -> None:
    """The CLI's trigger rows read the same placements as the pages' capital card: a first
    order waiting on power past the plan's end carries its capex, blocks and the plan's end."""
    from dataclasses import replace

    import polars as pl
    from test_report import _dark_first_order, sample_inputs

    from forecasting.runs.reports import report_trigger_rows

    inputs = sample_inputs()
    dark, first, end = _dark_first_order(inputs)
    rows = report_trigger_rows(replace(inputs, placements=dark))
    mine = rows.filter((pl.col("region") == first["region"]) & (pl.col("pool") == first["pool"]))
    assert mine["capex_past_plan_usd"].to_list() == [first["capex_usd"]]
    assert mine["blocks_past_plan"].to_list() == [first["blocks"]]
    assert mine["plan_end"].to_list() == [str(end)]
    others = rows.filter(~pl.col("region").eq(first["region"]) | ~pl.col("pool").eq(first["pool"]))
    assert set(others["capex_past_plan_usd"].to_list()) <= {0.0}


def test_the_report_table_and_line_say_a_region_is_on_the_contract_book_alone() -> None:
    """ap-south's blocks have no telemetry; its one signed contract is its demand. `report`
    read "ap-south | all | green | Jan 2028 | 4 x rack-h100-256" as a forecast's order. Its
    status now says it is the contract book's, the caption says the demand is the book's only
    (not forecast), and the triggers line counts its pools apart; us-east reads as before."""
    from flows.tables import triggers_line
    from forecasting.runs import ReportOutcome
    from forecasting.schema import BOOK_ONLY

    rows = [
        {"region": "ap-south", "pool": "all", "status": "green", "order_by": "2027-09-25",
         "exhaustion_date": "Jan 2028", "candidate": "rack-h100-256", "blocks_to_order": 4,
         "capex_usd": 33.8e6, "mw": 1.5, "arrives": "2027-12-04"},
        {"region": "us-east", "pool": "all", "status": "green", "order_by": None,
         "exhaustion_date": None, "candidate": None, "blocks_to_order": 0, "capex_usd": 0.0,
         "mw": 0.0},
    ]  # fmt: skip
    text = _report_table_text(triggers=rows, book_only=["ap-south"])
    assert "ap-south │ all │ green (contract book only) │" in text
    assert "us-east │ all │ green │" in text
    assert f"ap-south: {BOOK_ONLY}: ap-south's requirement is its contracts' ramps" in text
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"green": 2},
        failing_drills=[], stale_days=None, triggers=rows, book_only=["ap-south"],
        as_of=date(2026, 12, 4),
    )  # fmt: skip
    assert triggers_line(report).startswith(
        "triggers: 0 red, 0 amber, 2 green (1 of them judged on the contract book only, no "
        "telemetry yet (not forecast): ap-south)"
    )


def test_the_report_table_says_its_dates_are_placed() -> None:
    """A ServeGen report read "order first: servegen/all by 2024-10-14 (97 days before the
    as-of date 2025-01-19: late)" and "telemetry 683 days old" as measured dates. Now the
    table's caption opens with the placement, the age is counted from it, and the lateness
    says it is between placed dates."""
    from flows.tables import triggers_line
    from forecasting.runs import ReportOutcome

    note = "dates placed: the ServeGen trace has no calendar, and day 0 is placed on 2025-01-06"
    text = _report_table_text(placed_dates=note, stale_days=683)
    assert "telemetry 683 days before today by the placed calendar (not a measured age)" in text
    assert note in text
    row = {"region": "servegen", "pool": "all", "status": "red", "order_by": "2024-10-14",
           "blocks_to_order": 11}  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"red": 1}, failing_drills=[],
        stale_days=683, triggers=[row], as_of=date(2025, 1, 19), generated=date(2026, 12, 4),
        placed_dates=note,
    )  # fmt: skip
    assert triggers_line(report).endswith(
        "order first: servegen/all by 2024-10-14 (97 days before the as-of date 2025-01-19: "
        "late, on placed dates)"
    )
    real = _report_table_text(stale_days=683)
    assert "telemetry 683 days old" in real and "placed" not in real


def test_an_unsized_order_s_caption_reads_whatever_its_note_opens_with() -> None:
    """A region with no block read "eu-west/training, order no block of the plan is in
    service in eu-west ...": the caption's "order" reads before a note opening "not sized"
    only; another note follows the pool as it is."""
    row = {"region": "eu-west", "pool": "training", "status": "red", "order_by": "2026-03-27",
           "exhaustion_date": "2026-06-01", "capex_usd": None, "mw": None,
           "candidate": "pod-h200-1024", "blocks_to_order": None,
           "note": "no block of the plan is in service in eu-west on 2026-12-03 (it has no "
                   "block): check that the plan is this fleet's; not sized: the forecast ends "
                   "before it could arrive"}  # fmt: skip
    text = _report_table_text(triggers=[row])
    assert "eu-west/training, no block of the plan is in service in eu-west" in text
    plain = _report_table_text(triggers=[{**row, "note": "not sized: the forecast ends"}])
    assert "eu-west/training, order not sized: the forecast ends" in plain


def test_an_order_waiting_for_its_site_s_power_says_so_in_the_report_table() -> None:
    """A green trigger whose blocks arrive before their site has the MW for them serves only
    from then: the row says so (it read a plain green beside an order that waits 11 months)."""
    row = {"region": "us-east", "pool": "all", "status": "green", "exhaustion_date": "2027-06-01",
           "order_by": "2027-02-01", "candidate": "rack-h100-256", "blocks_to_order": 95,
           "capex_usd": 802.6e6, "mw": 36.5, "note": "", "powered_from": "2028-05-25"}  # fmt: skip
    shown = _report_table_text(triggers=[row])
    assert "95 x rack-h100-256 (no power until 2028-05-25)" in shown
    powered = _report_table_text(triggers=[{**row, "powered_from": None}])
    assert "no power" not in powered
    dark = _report_table_text(triggers=[{**row, "powered_from": None, "powered": False}])
    assert "95 x rack-h100-256 (no power for it in the plan: see power)" in dark
    # Some of them past the site's ceiling as well: a new site's, not waiting for power here
    # (the waiting clause came first and the ceiling went unsaid).
    past = _report_table_text(triggers=[{**row, "blocks_beyond_ceiling": 5, "site": "us-east-b"}])
    assert "(no power until 2028-05-25; 5 past us-east-b's ceiling: a new site is needed)" in past


def test_the_report_table_gives_the_part_waiting_for_power_its_own_order_by_date() -> None:
    """The demo's us-east/all read "2026-12-30" under order by beside "74 x rack-h100-256 (21
    of 74 on power on arrival; the other 53: no power for it in the plan ...)", where the 53
    are dated to land with their power and due 2028-09-25 (orders.csv, the note): one date
    for the whole order, wrong for 53 of its racks. The cell now dates each part."""
    row = {"region": "us-east", "pool": "all", "status": "red", "exhaustion_date": "2027-04-07",
           "order_by": "2026-12-30", "arrives": "2027-03-10", "candidate": "rack-h100-256",
           "blocks_to_order": 74, "capex_usd": 625.2e6, "mw": 28.4, "note": "",
           "powered": False, "blocks_waiting": 53, "runs_from": "2029-01-01",
           "waiting_order_by": "2028-09-25", "waiting_order_by_last": "2028-09-25"}  # fmt: skip
    text = _report_table_text(triggers=[row], as_of=date(2026, 12, 4))
    assert "2026-12-30 for the 21 on power; 2028-09-25 for the 53 waiting │" in text
    # Shares waiting at two sites, due apart: both dates, not the first alone.
    apart = _report_table_text(triggers=[{**row, "waiting_order_by_last": "2028-11-02"}])
    assert "2026-12-30 for the 21 on power; 2028-09-25 to 2028-11-02 for the 53 waiting" in apart
    # The waiting part due with the rest (the demo's us-west/all): one date, as before.
    same = _report_table_text(
        triggers=[{**row, "waiting_order_by": "2026-12-30", "waiting_order_by_last": "2026-12-30"}]
    )
    assert "│ 2026-12-30 │" in same


def test_the_report_table_says_blocks_power_contracted_today_runs_on_arrival() -> None:
    """A trigger whose blocks no planned power serves but power contracted today runs on their
    arrival read "(no power for it in the plan: see power)" beside a green status (the demo's
    us-west training cell): the row says it runs on arrival with power contracted today."""
    row = {"region": "us-west", "pool": "training", "status": "green",
           "exhaustion_date": "2029-02-01", "order_by": "2027-04-15",
           "candidate": "cell-gb200-8192", "blocks_to_order": 1, "capex_usd": 368.6e6,
           "mw": 14.7, "note": "", "powered_from": None, "powered": False,
           "arrives": "2029-01-04", "site": "us-west-a", "blocks_beyond_ceiling": 0,
           "runs_from": "2029-01-04"}  # fmt: skip
    shown = " ".join(_report_table_text(triggers=[row]).split())
    assert (
        "1 x cell-gb200-8192 (no power for it in the plan: runs on arrival with power "
        "contracted today; see power)"
    ) in shown


def test_the_report_table_says_when_unpowered_blocks_can_run_and_which_need_a_new_site() -> None:
    """An order "no power for it in the plan" gave an order-by date for racks that would
    stand dark ~20 months and no date they could run (the demo's 89 racks landing 2027-04-19,
    power contracted today energized 2028-12-31); blocks past their site's ceiling read the
    same. Now the row gives the earliest day they run, and counts those past the ceiling as
    a new site's, their capex apart."""
    row = {"region": "us-east", "pool": "all", "status": "red", "exhaustion_date": "2027-05-17",
           "order_by": "2027-02-08", "candidate": "rack-h100-256", "blocks_to_order": 89,
           "capex_usd": 751.9e6, "mw": 34.2, "note": "", "powered_from": None,
           "powered": False, "arrives": "2027-04-19", "site": "us-east-a",
           "blocks_beyond_ceiling": 0, "runs_from": "2028-12-31"}  # fmt: skip
    shown = _report_table_text(triggers=[row])
    assert (
        "89 x rack-h100-256 (no power for it in the plan: runs from 2028-12-31 at the earliest, "
        "power contracted today)"
    ) in shown
    past = _report_table_text(triggers=[{**row, "blocks_beyond_ceiling": 9}])
    # The cell wraps before its last words.
    assert (
        "89 x rack-h100-256 (9 past us-east-a's ceiling: a new site is needed, no order-by for "
        "them; the order-by is for the 80 under it,"
    ) in past
    assert "which run from 2028-12-31)" in past
    shown = " ".join(past.split())
    assert (
        "$675.9M (+ $76.0M for 9 blocks past their site's ceiling: a new site is needed, not "
        "in the plan's totals)"
    ) in shown
    # Later orders due first: their total leaves a new site's blocks apart, and says so.
    from flows.tables import triggers_line
    from forecasting.runs import ReportOutcome

    later = {"region": "us-east", "pool": "all", "blocks": 7, "candidate": "cell-gb200-8192",
             "order_by": date(2027, 1, 13), "status": "red", "capex_usd": 737.3e6,
             "capex_new_site_usd": 1843.2e6, "blocks_beyond_ceiling": 5}  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"red": 1}, failing_drills=[],
        stale_days=None, triggers=[row], as_of=date(2026, 12, 3),
        later_due_first=[later, {**later, "capex_new_site_usd": 0.0, "blocks_beyond_ceiling": 0}],
    )  # fmt: skip
    assert (
        "2 later orders of the plan, due before every pool's first order ($1,474.6M (+ "
        "$1,843.2M for 5 blocks past their site's ceiling: a new site is needed, not in the "
        "plan's totals), 2 red)" in triggers_line(report)
    )


def test_a_note_quoting_a_plan_table_prints_its_brackets_in_the_report_table() -> None:
    """A note naming "[response.expedite]" printed "expedited (: 4 weeks sooner ...": rich read
    the plan's table name as markup and dropped it. Captions print as plain text."""
    note = (
        "no candidate can be ordered by its order-by date; expedited ([response.expedite]: "
        "4 weeks sooner for 25% more capex, $8.4M) it lands 2027-01-14, still 41 days after "
        "exhaustion"
    )
    row = {"region": "r-east", "pool": "all", "status": "red", "exhaustion_date": "2026-12-04",
           "order_by": "2026-08-28", "candidate": "rack-h100-256", "blocks_to_order": 0,
           "capex_usd": 0.0, "mw": 0.0, "note": note}  # fmt: skip
    assert f"r-east/all, no order: {note}" in _report_table_text(triggers=[row])


def test_the_report_table_never_wraps_the_pages_path() -> None:
    """A narrow table (one short row) at a log's 160 columns wrapped its title, and so the
    pages' path, over two lines ('.../index.h' / 'tml'), which a cron log's reader copies."""
    from rich.console import Console

    from flows.tables import report_table
    from forecasting.runs import ReportOutcome

    path = Path("/tmp/sweep37_fl/decline/h182/reports/forecast-20261204153706-3e8551")
    row = {"region": "r", "pool": "all", "status": "green", "exhaustion_date": None,
           "order_by": None, "candidate": None, "blocks_to_order": 0, "capex_usd": 0.0,
           "mw": 0.0, "note": ""}  # fmt: skip
    report = ReportOutcome(
        run_id="forecast-20261204153706-3e8551", trigger_run_id="t", path=path, statuses={},
        failing_drills=[], stale_days=None, triggers=[row],
    )  # fmt: skip
    console = Console(width=160, record=True)
    console.print(report_table(report))
    assert str(path / "index.html") in console.export_text().splitlines()[0]


def test_an_order_the_forecast_ends_before_reads_not_sized_on_the_cli() -> None:
    """A 7-day ServeGen run sized its racks on days before they land, days they cannot serve:
    "2 x rack-h100-256, $16.9M" where its 26-week run orders 7 ($59.1M). Such an order has no
    blocks, capex or MW: the table reads "rack-h100-256, not sized", its note sits below, and
    the triggers line still names it first to order, and says it is not sized."""
    from datetime import date

    from flows.tables import triggers_line
    from forecasting.runs import ReportOutcome

    row = {"region": "servegen", "pool": "all", "status": "red", "exhaustion_date": "2025-01-20",
           "order_by": "2024-10-14", "candidate": "rack-h100-256", "blocks_to_order": None,
           "capex_usd": None, "mw": None, "powered_from": None,
           "note": "not sized: the forecast ends before it could arrive"}  # fmt: skip
    shown = _report_table_text(triggers=[row])
    assert "rack-h100-256, not sized (below)" in shown
    assert "servegen/all, order not sized: the forecast ends" in shown
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"red": 1},
        failing_drills=[], stale_days=None, triggers=[row], as_of=date(2025, 1, 19),
    )  # fmt: skip
    assert triggers_line(report) == (
        "triggers: 1 red, 0 amber, 0 green; order first: servegen/all by 2024-10-14 (97 days "
        "ago: late); not sized (the forecast ends before the order lands: capex not "
        "measured): servegen/all"
    )


def test_a_shortfall_on_the_first_monthly_row_alone_reads_monthly_not_late_on_the_cli() -> None:
    """A 7-day run's one-liner read "order first: us-east/all by 2026-09-04 (90 days ago:
    late)" for a pool short on the first monthly row alone, which its 182-day run read green.
    The line says the date is the monthly rows', not verified at the daily grain, the
    table's caption carries the headline that names the pool, and its order-by cell the
    label (it read as a day's date). Both read the row's monthly_only field: its note
    reworded, they still say so; the words in a row not flagged say nothing."""
    from datetime import date

    from flows.tables import triggers_line
    from forecasting.runs import ReportOutcome

    row = {"region": "us-east", "pool": "all", "status": "amber", "exhaustion_date": "Dec 2026",
           "order_by": "2026-09-04", "candidate": "rack-h100-256", "blocks_to_order": 13,
           "capex_usd": 109.8e6, "mw": 5.0, "powered_from": None, "monthly_only": True,
           "note": "short at the monthly grain: undated by the day"}  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"amber": 1},
        failing_drills=[], stale_days=None, triggers=[row], as_of=date(2026, 12, 3),
    )  # fmt: skip
    assert triggers_line(report) == (
        "triggers: 0 red, 1 amber, 0 green; order first: us-east/all by 2026-09-04 (at the "
        "monthly grain, not verified at the daily grain: see its note; amber)"
    )
    headline = (
        "amber; us-east/all amber on the monthly rows past the daily ones only: not verified at "
        "the daily grain (see the triggers' notes)"
    )
    shown = _report_table_text(triggers=[row], headline=headline, headline_qualified=True)
    assert headline in shown
    # The table's order-by cell says it too, as the pages' tables do (it read a day's date).
    assert "2026-09-04 (monthly grain: not verified at the daily grain)" in shown
    worded = row | {"monthly_only": False, "note": "... not verified at the daily grain ..."}
    plain = report.model_copy(update={"triggers": [worded]})
    assert triggers_line(plain).startswith(
        "triggers: 0 red, 1 amber, 0 green; order first: us-east/all by 2026-09-04 ("
    )
    assert "monthly grain" not in triggers_line(plain)
    assert "monthly grain" not in _report_table_text(triggers=[worded])


def test_the_report_table_carries_a_qualified_headline_whatever_its_words() -> None:
    """The CLI printed the pages' headline under its table where the headline held "not
    verified beyond" or "not verified at the daily grain": reworded, a green reaching only as
    far as the forecast printed as a plain one. Now the report says whether its headline
    qualifies the worst status (ReportOutcome.headline_qualified, set where the headline is
    made), and the table reads that."""
    from dataclasses import replace
    from types import SimpleNamespace

    import polars as pl
    from test_report import _measured, _sited, sample_inputs

    from forecasting.runs.reports import report_outcome

    headline = "green to 2026-12-09 only: nothing checked past it (see the triggers' notes)"
    assert headline in _report_table_text(headline=headline, headline_qualified=True)
    # A plan with sites: its headline is the worst status with what it is of (without, it
    # says its power is not checked, and that qualifies it too); its shortfalls on days a
    # backtest measured. Naming the pool qualifies it: the table prints it.
    sample = _sited(sample_inputs())
    inputs = _measured(
        replace(sample, triggers=sample.triggers.with_columns(exhaustion_date=pl.lit(sample.as_of)))
    )
    plain = report_outcome(inputs, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert plain.headline == f"red: us-east/all runs short {inputs.as_of}"
    assert plain.headline_qualified
    unsited = report_outcome(sample_inputs(), SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert unsited.headline.endswith("power not checked: no [[site]] in the plan")
    assert unsited.headline_qualified
    note = "q90 requirement stays within capacity, where the forecast ends: not verified beyond it"
    green = inputs.triggers.with_columns(
        status=pl.lit("green"), note=pl.lit(note), unverified_green=pl.lit(True)
    )
    unverified = replace(inputs, triggers=green, power_triggers=inputs.power_triggers.clear())
    qualified = report_outcome(unverified, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert qualified.headline.startswith("green to ") and qualified.headline_qualified


def test_the_report_table_says_where_no_demand_was_measured() -> None:
    """A report whose series are forecast as zero for want of an observed day says so under
    its green triggers (a one-hour trace read green, $0 to order, and nothing else)."""
    shown = _report_table_text(unmeasured=["azure", "azure · inference"])
    assert "no demand measured for azure, azure · inference" in shown
    assert "no demand measured" not in _report_table_text(unmeasured=[])


def test_a_region_with_no_plan_and_no_measured_demand_reads_no_plain_green() -> None:
    """A misspelt region (one stray row, no [[block]] or [[site]]) read "mars-north | training
    | green" beside the fleet's real greens: zero demand forecast for want of a whole day
    against zero capacity. Its rows now say on the row that nothing is planned or measured
    there; a planned region's green, and an unplanned region's measured rows, read as before."""
    row = {"pool": "all", "status": "green", "exhaustion_date": None, "order_by": None,
           "candidate": "rack-h100-256", "blocks_to_order": 0, "capex_usd": 0.0, "mw": 0.0,
           "powered_from": None, "monthly_only": False, "note": ""}  # fmt: skip
    rows = [row | {"region": "mars-north"}, row | {"region": "us-east"}]
    shown = _report_table_text(
        triggers=rows, unmeasured=["mars-north", "mars-north · inference"],
        unplanned_regions=["mars-north"], vacant_regions=["mars-north"],
    )  # fmt: skip
    vacant = "no capacity planned, no demand measured"
    assert f"│ mars-north │ all │ not verified │ - │ - │ none ({vacant}) │" in shown
    assert "│ us-east │ all │ green │ - │ - │ none │" in shown
    assert "│ mars-north │ all │ green │" not in shown
    measured = _report_table_text(triggers=rows, unplanned_regions=["mars-north"])
    assert "│ mars-north │ all │ green │ - │ - │ none │" in measured
    from flows.tables import triggers_line
    from forecasting.runs import ReportOutcome

    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"green": 2}, failing_drills=[],
        stale_days=None, triggers=rows, vacant_regions=["mars-north"],
    )  # fmt: skip
    assert triggers_line(report) == (
        f"triggers: 0 red, 0 amber, 1 green, 1 not verified ({vacant}: mars-north/all)"
    )


def test_the_report_table_says_a_green_reaches_only_as_far_as_the_forecast() -> None:
    """A 7-day daily-only run's greens are the pages' "green to DAY only: not verified
    beyond": the table says so under its rows (it printed plain greens); the power line gives
    the sites' statuses the table does not list, and nothing for a plan without sites."""
    from flows.tables import power_lines
    from forecasting.runs import ReportOutcome

    headline = "green to 2026-12-09 only: not verified beyond (see the triggers' notes)"
    assert headline in _report_table_text(headline=headline, headline_qualified=True)
    assert "not verified" not in _report_table_text(headline="green")
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={}, failing_drills=[],
        stale_days=None, triggers=[], as_of=date(2026, 12, 2),
        power_statuses={"red": 1, "green": 6}, power_first=("us-west-b", date(2025, 3, 6)),
    )  # fmt: skip
    assert power_lines(report) == [
        "power: 1 red, 0 amber, 6 green; contract power first: us-west-b by 2025-03-06 "
        "(636 days ago: late)"
    ]
    assert power_lines(report.model_copy(update={"power_statuses": {}})) == []


def test_the_report_table_says_which_forecasts_no_backtest_chose() -> None:
    """Triggers resting on baselines no backtest chose (a two-week fleet) say so under the
    table, the first six named and the rest counted; a run without any has no such line."""
    names = ["total", "eu-west", "us-east", "us-west", "eu-west · batch", "eu-west · inference",
             "us-east · training", "us-west · training"]  # fmt: skip
    assert (
        "not backtested: total, eu-west, us-east, us-west, eu-west · batch, eu-west · inference "
        "and 2 more forecast by a baseline"
    ) in _report_table_text(untested=names)
    assert "not backtested" not in _report_table_text(untested=[])


def test_a_red_trigger_without_an_order_says_why_under_the_table() -> None:
    """A red row whose order is "none" (an order elsewhere covers it) carries its reason
    under the table; a red row with an order and a green row add nothing."""
    row = {"exhaustion_date": "2027-01-10", "order_by": "2026-11-01", "capex_usd": 0.0,
           "mw": 0.0, "candidate": None, "blocks_to_order": 0}  # fmt: skip
    covered = "covered by the training-pool order of pod-h200-1024 (1 x)"
    shown = _report_table_text(
        triggers=[
            {**row, "region": "us-east", "pool": "all", "status": "red", "note": covered},
            {**row, "region": "us-west", "pool": "all", "status": "red", "note": "x",
             "blocks_to_order": 2, "candidate": "rack-h100-256", "capex_usd": 1.7e7},
            {**row, "region": "eu-west", "pool": "all", "status": "green", "note": "y"},
        ]
    )  # fmt: skip
    assert f"us-east/all, no order: {covered}" in shown
    assert "none (below)" in shown
    assert "us-west/all, no order" not in shown and "eu-west/all, no order" not in shown


def test_the_helios_demo_finds_another_clusters_trace_and_its_quotas(tmp_path: Path) -> None:
    """`demo --trace helios` plays Earth's trace where it is there, else the one Helios trace
    in the folder against its own cluster's quota file; with none, or two, it says why."""
    from flows.demo import _helios_files

    fixtures = ROOT / "tests" / "fixtures" / "traces"
    assert "no single Helios trace" in str(_helios_files(tmp_path))
    minutes = tmp_path / "helios_venus_vc_minute_2020-09.csv.gz"
    minutes.symlink_to(fixtures / "helios_earth_vc_minute_2020-05-12_slice.csv.gz")
    assert "no quota file helios_venus_vc_gpu_capacity_daily.csv" in str(_helios_files(tmp_path))
    quotas = tmp_path / "helios_venus_vc_gpu_capacity_daily.csv"
    quotas.symlink_to(fixtures / "helios_earth_vc_gpu_capacity_daily.csv")
    assert _helios_files(tmp_path) == (minutes, quotas, "venus")
    (tmp_path / "helios_saturn_vc_minute_2020-07.csv.gz").symlink_to(minutes)
    assert "found helios_saturn_vc_minute_2020-07.csv.gz, helios_venus" in str(
        _helios_files(tmp_path)
    )


def test_the_report_table_names_the_feeds_that_stopped() -> None:
    """`fleetcast report` says which feeds stopped under its table, as the pages' banner does,
    and how far the other regions' figures read them: a 3-day gap in us-west moved
    us-east/all 44 -> 54 racks while only us-west's feed was named (sweep48 F15); since
    silent50 they read it only through MinT's first weeks, and the caption says so. A
    customer's stopped feed reads as zero demand, and its caption says that, not the
    region's MinT pull: every synthetic fleet (one customer stops 4 days early) printed
    "a silent region moves the others' forecasts" with no region silent."""
    shown = _report_table_text(silent=["us-west (5 days)"])
    assert "telemetry stopped: us-west (5 days) reported nothing for that many days" in shown
    assert "The other regions read it only through MinT's first weeks" in shown
    assert "telemetry stopped" not in _report_table_text()
    customer = _report_table_text(silent_customers=["us-west · training · cust-010 (4 days)"])
    assert (
        "feed stopped: us-west · training · cust-010 (4 days) wrote no rows for that many days "
        "before its region's last" in customer
    )
    assert "those days read as zero demand" in customer
    assert "MinT" not in customer and "telemetry stopped" not in customer


def test_the_report_table_says_a_stopped_feed_held_at_zero() -> None:
    """`fleetcast report`'s caption said "its forecast follows them" of a customer whose
    stopped feed held its forecast at zero as one that left, as the pages' banner did; it
    now says the hold, and the pages' words."""
    held = _report_table_text(held_customers=["us-west · training · cust-010 (20 days)"])
    assert "feed stopped: us-west · training · cust-010 (20 days) wrote no rows" in held
    assert "its forecast is held at zero, as for a customer that left" in held
    assert "follows them" not in held


def test_the_report_table_says_which_days_of_a_total_are_estimated() -> None:
    """`fleetcast report` named the silent region under its table, but not that the total's
    last days are estimated, not measured: the pages' banners said so and only `forecast`'s
    warnings did on the terminal, so a reader running `report` alone never saw it."""
    line = (
        "total (mean): its last 3 days (2026-12-03 to 2026-12-05) are estimated, not measured: "
        "its reporting parts' telemetry plus us-west's own forecast across its silence"
    )
    shown = _report_table_text(silent=["us-west (3 days)"], estimated=[line])
    assert f"{line}. The forecast was fitted on those days, and no backtest scored them" in shown
    assert "estimated, not measured" not in _report_table_text(silent=["us-west (3 days)"])


def test_an_interrupted_command_says_what_it_kept_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C printed a 29-line trace and nothing of what was kept: now one line and exit 130
    (128 + SIGINT, as a shell reports it)."""
    import flows.cli

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(flows.cli, "cmd_status", interrupted)
    assert main(["status", "--warehouse", str(tmp_path / "w.duckdb")]) == 130
    err = capsys.readouterr().err
    assert "fleetcast status: interrupted; a run not finished stores nothing" in err
    assert "Traceback" not in err


def test_a_stop_signal_that_something_swallowed_still_stops_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pydantic turns the KeyboardInterrupt a signal raises inside a serializer into an error
    of its own (a 190-line trace, exit 1, the pipeline going on): after a SIGTERM, any failure
    is the stop, one line and exit 143."""
    import flows.cli

    def swallowing(args: object) -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises before this ends
        except KeyboardInterrupt:
            raise ValueError("Error calling function `_ser_model`: KeyboardInterrupt") from None
        return 0

    monkeypatch.setattr(flows.cli, "cmd_status", swallowing)
    assert main(["status", "--warehouse", str(tmp_path / "w.duckdb")]) == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert "fleetcast status: stopped by SIGTERM; a run not finished stores nothing" in err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_stop_swallowed_whole_is_raised_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A SIGTERM landing in a weakref callback was printed as "Exception ignored" and
    dropped, and the demo ran on: the stop is raised again until something catches it."""
    import flows.cli
    from flows import stopping

    def swallowing_whole(args: object) -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises before this ends
        except KeyboardInterrupt:
            pass  # dropped, as a callback's exception is
        time.sleep(10)  # the stop, raised again, ends this
        return 0

    monkeypatch.setattr(stopping, "_RESEND_SECONDS", 0.2)
    monkeypatch.setattr(flows.cli, "cmd_status", swallowing_whole)
    # Returning 0 would mean the sleep ran out: nothing raised the stop again.
    assert main(["status", "--warehouse", str(tmp_path / "w.duckdb")]) == 128 + signal.SIGTERM
    assert "stopped by SIGTERM" in capsys.readouterr().err


def test_a_sigterm_prefect_raised_in_a_weakref_callback_still_stops_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Inside a flow Prefect's SIGTERM bridge stands in for our handler: its TerminationSignal,
    raised in a weakref callback, was printed as "Exception ignored" and dropped with nothing
    recorded, and the 60-day demo ran to the end and exited 0 (a CI run). The dropped signal is
    recorded by the unraisable hook and the stop raised again."""
    import weakref

    from prefect.utilities.engine import _prefect_sigterm_handler

    import flows.cli
    from flows import stopping

    class Node:
        pass

    def dropped_in_a_callback(args: object) -> int:
        signal.signal(signal.SIGTERM, _prefect_sigterm_handler)  # as a flow run installs it
        node = Node()
        weakref.finalize(node, os.kill, os.getpid(), signal.SIGTERM)
        del node  # the finalizer's signal: the bridge raises inside the callback
        time.sleep(10)  # the stop, raised again, ends this
        return 0

    monkeypatch.setattr(stopping, "_RESEND_SECONDS", 0.2)
    monkeypatch.setattr(flows.cli, "cmd_status", dropped_in_a_callback)
    # Returning 0 would mean the sleep ran out: the dropped signal was lost.
    assert main(["status", "--warehouse", str(tmp_path / "w.duckdb")]) == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert "stopped by SIGTERM" in err
    assert "Exception ignored" not in err


@pytest.mark.slow
def test_a_sigterm_turned_into_another_error_inside_a_flow_still_stops_the_command(
    tmp_path: Path,
) -> None:
    """A SIGTERM landing in polars' ``cast`` inside a flow came out as "TypeError:
    '<unprintable str object>' is not a Polars data type": Prefect's SIGTERM bridge, standing in
    for our handler, recorded nothing, its flow logger printed the TypeError's traceback, and a
    command that went on past the failed flow exited 0. The bridge records the signal now: no
    traceback, exit 143 and the one line."""
    code = """if True:
        import os, signal, sys, time
        from prefect import flow
        import flows.cli
        import flows.ingest  # a command's flows, imported as the command runs

        @flow
        def swallowing() -> None:
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(30)
            except BaseException:  # what polars' cast made of the bridge's exception
                raise TypeError("'<unprintable str object>' is not a Polars data type") from None

        def going_on(args: object) -> int:
            try:
                swallowing()
            except TypeError:
                pass  # as a pipeline goes on past a failed step
            return 0

        flows.cli.cmd_status = going_on
        sys.exit(flows.cli.main(["status", "--warehouse", sys.argv[1]]))
    """
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_HOME": str(tmp_path / "prefect")},
    )
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert "fleetcast status: stopped by SIGTERM" in result.stderr
    assert "Traceback" not in result.stderr
    assert "TypeError" not in result.stderr


def test_every_module_defining_flows_records_a_sigterm_through_prefects_bridge() -> None:
    """A flow module that did not chain the recording bridge would lose a SIGTERM that code
    inside its flows turns into another error (the test above): each module that imports
    Prefect's ``flow`` sets it up as it is imported."""
    missing = [
        path.name
        for path in sorted((ROOT / "flows").glob("*.py"))
        if "from prefect import flow" in (text := path.read_text())
        and "\nrecording_prefect_sigterm()" not in text
    ]
    assert missing == []


@pytest.mark.slow
def test_sigterm_stops_a_run_in_seconds_and_says_so_in_one_line(tmp_path: Path) -> None:
    """A scheduler's SIGTERM crashed the flow and left the process running for about two and
    a half minutes, printing some 200 lines of errors; now it stops as Ctrl-C does, exit 143
    (128 + SIGTERM), with one line of its own."""
    code = "import sys; from flows.cli import main; sys.exit(main())"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "demo", "--days", "60", "--customers", "12"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_HOME": str(tmp_path / "prefect")},
    )
    # The ingest flow creates the warehouse: the signal lands inside a flow run.
    deadline = time.monotonic() + 240
    while not (tmp_path / "data" / "warehouse.duckdb").exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "fleetcast demo: stopped by SIGTERM; a run not finished stores nothing" in err
    assert "Traceback" not in err


def test_the_cli_and_the_pages_say_a_sum_of_money_alike() -> None:
    """The CLI printed "$0.0M" for a $40k order (the pages "$40k") and "$110.45M" beside the
    page's "$110.4M": both read forecasting.text.usd."""
    from flows.tables import whatif_table
    from forecasting.report.format import fmt_usd
    from forecasting.runs import WhatIfOutcome
    from forecasting.text import usd

    for value, said in ((40_000.0, "$40k"), (110_450_000.0, "$110.5M"), (0.0, "$0")):
        assert usd(value) == fmt_usd(value) == said
    outcome = WhatIfOutcome(
        forecast_run_id="r", as_of=date(2026, 12, 3), horizon_end=date(2029, 12, 31),
        serve_from=date(2027, 3, 1), can_serve=True, serve_note="", extra_capex_usd=40_000.0,
        extra_mw=0.0, revenue_usd=None, orders=[], notes=[], page=Path("whatif.html"),
    )  # fmt: skip
    from rich.console import Console

    console = Console(width=300, record=True)
    console.print(whatif_table(outcome))
    assert "extra capex $40k, 0.0 MW" in " ".join(console.export_text().split())


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/api", "(Connection refused)"),
        ("not-a-url", "(Request URL is missing an 'http://' or 'https://' protocol)"),
    ],
)
def test_drill_via_a_server_it_cannot_reach_is_one_line(
    tmp_path: Path, url: str, reason: str
) -> None:
    """`drill --via-server` with the server down or a PREFECT_API_URL without its scheme
    printed httpx's trace (ConnectError, UnsupportedProtocol): exit 1, naming the URL, the
    reason and the fix. (A fresh interpreter each: Prefect keeps the first URL it read.)"""
    result = fleetcast(
        *("--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(sample_capacity())),
        *("drill", "--class", "inference", "--via-server", "--timeout", "5"),
        env={"PREFECT_API_URL": url},
    )
    assert result.returncode == 1
    first = " ".join(result.stderr.split("\n")[0].split())
    assert first == (
        f"fleetcast drill: cannot reach the Prefect server at {url} {reason}; start "
        "`fleetcast serve` or fix PREFECT_API_URL"
    )


def test_the_forecast_summary_says_what_its_calibrated_count_counts() -> None:
    """The forecast table's title read "122 calibrated, 0 on a fallback" of 216 series (the
    demo), as if the other 94 had bands nobody checked: a band is recalibrated where its backtests'
    coverage missed 80 %, and the title says so."""
    from rich.console import Console

    from flows.tables import forecast_tables
    from forecasting.runs import ForecastRun

    run = ForecastRun(
        run_id="r", as_of=date(2026, 1, 1), series=216, seconds=1.0, reconciliation="mint_shrink",
        models_chosen={"ets": 212}, accuracy=[], calibrated=122, fallbacks=0,
    )  # fmt: skip
    console = Console(width=300, record=True)
    console.print(forecast_tables(run)[0])
    title = " ".join(console.export_text().split())
    assert "122 calibrated," not in title
    assert (
        "122 bands recalibrated (their backtests' q10-q90 coverage missed 80 %), 0 on a fallback"
    ) in title


def test_the_report_table_says_one_day_old_in_the_singular() -> None:
    """Telemetry one day old reads '1 day old' in the report table, not '1 days old'."""
    text = _report_table_text(stale_days=1)
    assert "telemetry 1 day old" in text and "1 days" not in text


def test_the_power_line_tells_contracting_power_from_bringing_contracted_power_forward() -> None:
    """A site whose contracted MW covers its need is not named as where to contract power."""
    from dataclasses import replace
    from types import SimpleNamespace

    import polars as pl
    from test_report import _sited, sample_inputs

    from flows.tables import power_lines
    from forecasting.runs.reports import report_outcome
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    by = date(2025, 1, 14)
    sites = [
        {"region": "eu-west", "site": "eu-west-a", "status": "red", "contract_by": by,
         "mw_to_contract": 0.0, "note": "contracted MW covers the need but is energized "
         "2027-06-01, after 2027-02-11: bring its energization forward"},
        {"region": "us-east", "site": "us-east-a", "status": "red", "contract_by": by,
         "mw_to_contract": 10.24, "note": "contract 10.24 MW by 2025-01-14"},
    ]  # fmt: skip
    inputs = _sited(sample_inputs())

    def line(rows: list[dict[str, Any]]) -> str:
        power = pl.concat(
            [POWER_TRIGGERS_SCHEMA.to_frame(), pl.DataFrame(rows).cast({"contract_by": pl.Date})],
            how="diagonal_relaxed",
        )
        outcome = report_outcome(
            replace(inputs, power_triggers=power),
            SimpleNamespace(run_id="t"),  # type: ignore[arg-type]
            Path("."),
        )
        return power_lines(outcome)[0]

    assert f"contract power first: us-east-a by {by}" in line(sites)
    from forecasting.report.pages.facilities import _cards

    def card(rows: list[dict[str, Any]]) -> str:
        power = pl.concat(
            [POWER_TRIGGERS_SCHEMA.to_frame(), pl.DataFrame(rows).cast({"contract_by": pl.Date})],
            how="diagonal_relaxed",
        )
        return dict(_cards(replace(inputs, power_triggers=power)))["power to contract"]

    assert "at us-east-a by" in card(sites) and "eu-west-a" not in card(sites)
    assert "bring eu-west-a's planned power forward (no more MW)" in card(sites[:1])
    alone = line(sites[:1])
    assert "contract power first" not in alone
    assert f"bring planned power forward first: eu-west-a by {by}" in alone


def test_an_order_wholly_past_its_site_s_ceiling_reads_its_capex_in_the_cli() -> None:
    """The demo's CLI read eu-west training capex "$0 (+ $327.7M new site)" for 8 pods all
    past eu-west-a's ceiling: $0 as if free, the pods' price as the new site's. It now reads
    the pods' capex and that none of it is in the plan's totals."""
    row = {"region": "eu-west", "pool": "training", "status": "red", "exhaustion_date": "Nov 2027",
           "order_by": "2027-02-22", "candidate": "pod-h200-1024", "blocks_to_order": 8,
           "capex_usd": 327.68e6, "mw": 13.1, "note": "", "powered_from": None,
           "powered": False, "arrives": "2027-10-04", "site": "eu-west-a",
           "blocks_beyond_ceiling": 8, "runs_from": None}  # fmt: skip
    shown = " ".join(_report_table_text(triggers=[row]).split())
    assert "$0 (+" not in shown
    assert "$327.7M for all 8 blocks past their site's ceiling" in shown


def test_the_power_line_names_no_contract_at_a_site_whose_need_passes_its_ceiling() -> None:
    """A site with no MW to contract, its need past its ceiling, read "contract power first:
    us-east-b by 2025-02-01" (a synthetic fleet whose sites stand at their ceilings) beside a
    facilities row of 0.0 MW to contract (+ 0.7 MW beyond the ceiling). The CLI and the
    facilities card say a new site is needed there, and name a site with MW to contract first."""
    from dataclasses import replace
    from types import SimpleNamespace

    import polars as pl
    from test_report import _sited, sample_inputs

    from flows.tables import power_lines
    from forecasting.report.pages.facilities import _cards
    from forecasting.runs.reports import report_outcome
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    by = date(2025, 2, 1)
    sites = [
        {"region": "us-east", "site": "us-east-b", "status": "red", "contract_by": by,
         "mw_to_contract": 0.0, "mw_beyond_ceiling": 0.68,
         "note": "0.68 MW beyond the ceiling: a new site is needed"},
        {"region": "us-east", "site": "us-east-a", "status": "red", "contract_by": by,
         "mw_to_contract": 10.24, "mw_beyond_ceiling": 0.0,
         "note": "contract 10.24 MW by 2025-02-01"},
    ]  # fmt: skip
    inputs = _sited(sample_inputs())

    def said(rows: list[dict[str, Any]]) -> tuple[str, str]:
        power = pl.concat(
            [POWER_TRIGGERS_SCHEMA.to_frame(), pl.DataFrame(rows).cast({"contract_by": pl.Date})],
            how="diagonal_relaxed",
        )
        with_power = replace(inputs, power_triggers=power)
        outcome = report_outcome(
            with_power,
            SimpleNamespace(run_id="t"),  # type: ignore[arg-type]
            Path("."),
        )
        return power_lines(outcome)[0], dict(_cards(with_power))["power to contract"]

    line, card = said(sites)
    assert f"contract power first: us-east-a by {by}" in line
    assert "contract 10.2 MW at us-east-a by" in card
    line, card = said(sites[:1])
    assert "contract power first" not in line
    assert "a new site is needed first: us-east-b" in line
    assert card == "none: us-east-b's need passes its ceiling (a new site is needed)"


def test_a_drill_on_a_forecast_no_backtest_measured_says_its_figures_are_extrapolated(
    tmp_path: Path,
    one_day_built: tuple[str, Path],
) -> None:
    """`drill` on a 45-day fleet scored 7 days ahead printed revenue at risk over 182 days
    with no word, where `report` and every page said "extrapolated, not verified". A
    one-day fleet forecast 7 days (no backtest at all) now gets that line once, after the
    drills' tables."""
    warehouse, plan = _copied(one_day_built, tmp_path)
    drill = fleetcast(
        "drill", "inference-2x", "--warehouse", warehouse, "--answers", "none", "--paths", "10",
        env={"FLEETCAST_CAPACITY": str(plan)},
    )  # fmt: skip
    assert drill.returncode == 0, drill.stderr
    said = [line for line in drill.stdout.splitlines() if line.startswith("extrapolated: ")]
    assert said == [
        "extrapolated: the daily forecast reaches 7 days ahead on 1 day of history, and no "
        "backtest measured its error (too little history for one), so demand there, and the "
        "drills' figures over those days, are extrapolated, not verified"
    ]
    assert drill.stdout.index("inference-2x") < drill.stdout.index("extrapolated: ")


def test_the_power_line_says_which_greens_were_not_checked_or_not_judged() -> None:
    """`report` printed "power: 0 red, 0 amber, 7 green" beside three orders not sized (their
    MW not measured), and on ServeGen telemetry beside a plan whose regions have none (not
    judged): the line says as the front page does which greens were not checked, and counts
    the sites of a region without telemetry as not judged."""
    from dataclasses import replace
    from types import SimpleNamespace

    import polars as pl
    from test_report import _east_unsized, _power_sites, sample_inputs

    from flows.tables import power_lines
    from forecasting.report.inputs import greens_qualified
    from forecasting.runs.reports import report_outcome

    unsized = report_outcome(_east_unsized(sample_inputs()), SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    # The green verified short of the plan's end says how far, as the blocks' greens do.
    only = greens_qualified(_east_unsized(sample_inputs()))
    assert power_lines(unsized)[0] == (
        f"power: 0 red, 0 amber, 1 green{only}; 2 not checked (not green: 2 orders not sized "
        "in us-east, the forecast ends before they land: their MW not measured)"
    )
    inputs = sample_inputs()
    power = _power_sites(
        ("east-a", "us-east", "green"), ("west-a", "eu-west", "green"),
        ("west-b", "eu-west", "red"),
    )  # fmt: skip
    east = inputs.history.filter(pl.col("region") == "us-east")
    dark = replace(inputs, history=east, power_triggers=power)
    judged = report_outcome(dark, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert power_lines(judged)[0] == (
        f"power: 1 red, 0 amber, 1 green{greens_qualified(dark)}; 1 not judged: no telemetry "
        "in eu-west (not green: not judged)"
    )


# A rack dedicated to a customer without telemetry, retiring on ``retire``.
_GHOST_RACK = """
[[block]]
id = "us-east-rack-old"
kind = "rack"
region = "us-east"
site = "us-east-a"
gpu_type = "H100"
gpus = 256
mw = 0.4
status = "retiring"
in_service = 2022-08-01
retire = {retire}
fabric = false
dedicated_customer = "ghost"
"""


def test_a_block_retired_before_the_as_of_date_is_not_said_to_serve_nobody(
    tmp_path: Path,
) -> None:
    """Helios: earth-vcXrB-01, retired 2020-04-07, was listed among the blocks dedicated to a
    VC without telemetry that "serve nobody": a block out of service on the as-of day serves
    nobody anyway. The warnings leave it out and keep the blocks still in service."""
    from forecasting.runs import plan_warnings_for

    write_csv(tmp_path / "day.csv", GOOD)  # eu-west only, 2025-03-01
    warehouse = tmp_path / "w.duckdb"
    loaded = fleetcast("ingest", str(tmp_path / "day.csv"), "--warehouse", str(warehouse))
    assert loaded.returncode == 0, loaded.stderr
    said = "'us-east-rack-old'"
    for retire, listed in (("2025-03-01", False), ("2025-03-02", True)):
        plan = tmp_path / f"plan-{retire}.toml"
        plan.write_text(sample_capacity().read_text() + _GHOST_RACK.format(retire=retire))
        lines = plan_warnings_for(warehouse, plan)
        assert any("'us-east-pod-01'" in line for line in lines)
        assert any(said in line and "serve nobody" in line for line in lines) is listed, retire
        earlier = plan_warnings_for(warehouse, plan, as_of=date(2025, 2, 1))
        assert any(said in line for line in earlier)


def test_drill_warns_of_the_plan_as_of_the_forecast_it_drills(
    tmp_path: Path, one_day_built: tuple[str, Path]
) -> None:
    """`drill` dated the plan's warnings by the newest telemetry day, not by the forecast it
    plays: telemetry ingested after the forecast (to 2025-03-05) dropped us-east-rack-old,
    dedicated to a customer with no telemetry and retired 2025-03-03, from the blocks that
    "serve nobody", though on the forecast's as-of day (2025-03-01) it is in service and the
    drills play it. The warnings are those of the forecast's as-of day."""
    warehouse, plan = _copied(one_day_built, tmp_path)
    later = [GOOD.replace("2025-03-01T00", f"2025-03-05T{h:02d}") for h in range(24)]
    loaded = fleetcast("ingest", str(write_csv(tmp_path / "later.csv", *later)),
                       "--warehouse", warehouse)  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    plan.write_text(
        plan.read_text(encoding="utf-8") + _GHOST_RACK.format(retire="2025-03-03"),
        encoding="utf-8",
    )
    drill = fleetcast(
        "drill", "inference-2x", "--warehouse", warehouse, "--answers", "none", "--paths", "10",
        env={"FLEETCAST_CAPACITY": str(plan)},
    )  # fmt: skip
    assert drill.returncode == 0, drill.stderr
    said = [line for line in drill.stderr.splitlines() if "'us-east-rack-old'" in line]
    assert len(said) == 1 and "serve nobody" in said[0]


def test_the_demo_prints_the_plan_s_warnings_as_report_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`demo --trace helios` printed none of the 9 warnings `report` prints for blocks
    dedicated to a VC with no telemetry ("its 96 GPUs serve nobody in the forecast, the
    triggers and the drills"): the demo prints the plan's warnings too."""
    from flows.demo import _printed
    from flows.pipeline import PipelineOutcome
    from forecasting.runs import ForecastRun, ReportOutcome

    write_csv(tmp_path / "day.csv", GOOD)  # eu-west only
    warehouse = tmp_path / "w.duckdb"
    loaded = fleetcast("ingest", str(tmp_path / "day.csv"), "--warehouse", str(warehouse))
    assert loaded.returncode == 0, loaded.stderr
    run = ForecastRun(
        run_id="r", as_of=date(2025, 3, 1), series=1, seconds=1.0, reconciliation="bottom_up",
        models_chosen={"ets": 1}, accuracy=[], calibrated=0, fallbacks=0,
    )  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=tmp_path / "index.html", statuses={},
        failing_drills=[], stale_days=None, triggers=[],
    )  # fmt: skip
    outcome = PipelineOutcome(ingested=[], forecast=run, drills=[], report=report)
    plan = sample_capacity()
    _printed(outcome, started=time.perf_counter(), warehouse_path=warehouse, plan_path=plan)
    printed = " ".join(capsys.readouterr().err.split())
    assert (
        f"warning: {plan}: [[block]] 'us-east-pod-01' field dedicated_customer: 'northwind-ai' has "
        "no telemetry in us-east: its 2,816 GPUs serve nobody in the forecast, the triggers "
        "and the drills"
    ) in printed


def test_a_bad_drill_file_is_not_played_and_the_good_ones_are(
    tmp_path: Path, folded_built: tuple[str, Path]
) -> None:
    """The first bad file in $FLEETCAST_DRILLS stopped every drill of the folder (`drill`
    exited on it, the good files unplayed): it is not played, with its file, field and rule
    on the terminal and in the stored runs, and the others play."""
    import duckdb

    warehouse, plan = _copied(folded_built, tmp_path)
    folder = tmp_path / "drills"
    folder.mkdir()
    (folder / "a-bad.toml").write_text(
        'description = "typo"\nmultiplier = -2.0\ntarget = "all"\n', encoding="utf-8"
    )
    (folder / "dual-2x.toml").write_text(
        'description = "dual doubles"\nmultiplier = 2.0\ntarget = "customer:dual"\n',
        encoding="utf-8",
    )
    env = {"FLEETCAST_CAPACITY": str(plan), "FLEETCAST_DRILLS": str(folder)}
    drill = fleetcast(
        "drill", "--answers", "none", "--paths", "10", "--warehouse", warehouse, env=env
    )  # fmt: skip
    assert drill.returncode in (0, 1), drill.stderr
    said = [line for line in drill.stderr.splitlines() if "drill a-bad not played" in line]
    assert len(said) == 1, drill.stderr
    assert (
        f"drill a-bad not played: {folder / 'a-bad.toml'}: invalid drill scenario\n"
        "  field multiplier: "
    ) in drill.stderr
    assert "dual-2x" in drill.stdout
    with duckdb.connect(warehouse, read_only=True) as con:
        played = con.execute("SELECT drill FROM drill_runs").fetchall()
        refused = con.execute("SELECT drill, reason FROM drills_not_played").fetchall()
    assert played == [("dual-2x",)]
    assert [d for d, _ in refused] == ["a-bad"] and "field multiplier" in refused[0][1]
    # Named, a bad file is refused alone, before any run.
    named = fleetcast("drill", "a-bad", "--warehouse", warehouse, env=env)
    assert named.returncode == 2 and "field multiplier" in named.stderr


def test_the_triggers_line_says_which_greens_measured_no_training_row() -> None:
    """A fleet whose telemetry holds no training row read "triggers: 1 red, 0 amber, 5 green"
    on the terminal, three of those greens training pools its own rows above call "not
    verified": the count says so, as it does for a vacant region, and counts them apart from
    the greens ("3 green (2 of them not verified ...)" read as three greens)."""
    from datetime import date

    from flows.tables import triggers_line
    from forecasting.runs import ReportOutcome
    from forecasting.schema import NOT_VERIFIED
    from forecasting.triggers import UNMEASURED_TRAINING

    rows = [
        {"region": r, "pool": "training", "status": NOT_VERIFIED, "order_by": None,
         "blocks_to_order": 0, "note": f"{UNMEASURED_TRAINING}: the telemetry holds none"}
        for r in ("eu-west", "us-east")
    ] + [{"region": "eu-west", "pool": "all", "status": "green", "order_by": None,
          "blocks_to_order": 0, "note": "q90 requirement stays within capacity"}]  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"green": 3},
        failing_drills=[], stale_days=None, triggers=rows, as_of=date(2026, 12, 5),
    )  # fmt: skip
    assert triggers_line(report) == (
        f"triggers: 0 red, 0 amber, 1 green, 2 {NOT_VERIFIED} ({UNMEASURED_TRAINING}: "
        "eu-west/training, us-east/training)"
    )


def test_the_report_table_labels_an_order_by_read_from_a_month_past_the_daily_rows() -> None:
    """`report` printed "eu-west | training | red | Feb 2028 | 2028-04-24" (an order-by dated
    from a month read short past the daily rows) as a day's deadline, where the pages and
    triggers.csv (order_by_grain "month") said it was the monthly grain: the table says it."""
    row = {"region": "eu-west", "pool": "training", "status": "red", "exhaustion_date": "Feb 2028",
           "order_by": "2028-04-24", "candidate": "pod-h200-1024", "blocks_to_order": 1,
           "capex_usd": 41.0e6, "mw": 1.6, "powered_from": None, "monthly_only": False,
           "month_grain": True, "note": "exhausted in February 2028"}  # fmt: skip
    assert "2028-04-24 (monthly grain)" in _report_table_text(triggers=[row])
    assert "(monthly grain)" not in _report_table_text(triggers=[row | {"month_grain": False}])


def test_a_stop_raised_inside_a_rust_callback_still_reads_as_sigterm() -> None:
    """A SIGTERM landing while polars' Rust code called back into Python (an ingest's
    collect_schema) reached the CLI as a pyo3 PanicException over Prefect's TerminationSignal:
    the demo exited 1 with crash tracebacks. It reads as the stop it is; another panic does
    not."""
    from polars.exceptions import PanicException

    from flows import stopping

    over_stop = PanicException(
        "called `Result::unwrap()` on an `Err` value: PyErr { type: <class "
        "'prefect.exceptions.TerminationSignal'>, value: TerminationSignal() }"
    )
    assert stopping.is_prefect_termination(over_stop)
    assert not stopping.is_prefect_termination(PanicException("index out of bounds"))


def test_a_trigger_with_nothing_to_order_prints_no_order_by_date() -> None:
    """A row whose decision is "nothing to order" printed "2026-08-01 (monthly grain)" in its
    order-by column, 125 days past: a missed deadline for an order nobody is told to place.
    It prints "-" as its order cell's "none" does; a row with blocks keeps its date."""
    note = "nothing to order; absorb the shortfall, expedite the planned blocks or pull them in"
    row = {"region": "us-east", "pool": "training", "status": "red",
           "exhaustion_date": "2027-06-01", "order_by": "2026-08-01", "month_grain": True,
           "candidate": "pod-gb200-576", "blocks_to_order": 0, "capex_usd": 0.0, "mw": 0.0,
           "note": note}  # fmt: skip
    shown = _report_table_text(triggers=[row])
    assert "2026-08-01" not in shown
    ordered = _report_table_text(triggers=[{**row, "blocks_to_order": 2, "capex_usd": 52e6}])
    assert "2026-08-01 (monthly grain)" in ordered


def test_a_pool_reset_over_a_cancelled_task_is_not_printed_after_a_stop() -> None:
    """After 'stopped by SIGTERM' a sqlalchemy pool logged "Exception during reset or similar"
    with a 20-line traceback ending in CancelledError (the stop cancelled the run's API calls;
    their connections reset as they were collected): that record is dropped, any other pool
    error still reads."""
    import asyncio
    import logging

    from flows import stopping

    def record(exc: BaseException) -> logging.LogRecord:
        return logging.LogRecord(
            "sqlalchemy.pool.impl.AsyncAdaptedQueuePool", logging.ERROR, __file__, 1,
            "Exception during reset or similar", None, (type(exc), exc, None),
        )  # fmt: skip

    with stopping.handling_stop_signals():
        pool = logging.getLogger("sqlalchemy.pool.impl.AsyncAdaptedQueuePool")
        assert not pool.filter(record(asyncio.CancelledError()))
        assert pool.filter(record(OSError("disk I/O error")))


def test_ingest_of_a_folder_fails_on_a_file_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fleetcast ingest DIR` with a bzip2 export beside a CSV exited 0 and named only the CSV;
    now the table lists the bz2 as failed, a line says why, and the exit status is 1."""
    import bz2

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_csv(inbox / "good.csv", GOOD)
    (inbox / "t2.csv.bz2").write_bytes(bz2.compress(b"ts\n"))
    warehouse = str(tmp_path / "w.duckdb")
    assert main(["ingest", str(inbox), "--warehouse", warehouse]) == 1
    out = capsys.readouterr()
    # The table (its names may wrap in a narrow terminal) has the file loaded and the failed one.
    assert "loaded" in out.out and "failed" in out.out
    assert any(
        line.startswith(f"failed {inbox / 't2.csv.bz2'}: not read") for line in out.err.splitlines()
    )


def test_the_run_summary_counts_rows_a_failed_file_quarantined(tmp_path: Path) -> None:
    """`fleetcast run` over an inbox whose badcol.csv had no good row said "4,085 rows loaded,
    0 quarantined" while `status` said 4,085 quarantined; now the data line counts the failed
    file's quarantined rows as the warehouse does, and says where they came from."""

    from flows.pipeline import PipelineOutcome
    from flows.tables import pipeline_summary
    from forecasting import ingest

    good = write_csv(tmp_path / "good.csv", GOOD, GOOD.replace("T00", "T01"))
    badcol = write_csv(
        tmp_path / "badcol.csv", *(GOOD.replace("T00", f"T0{h}")[:-1] + "n/a" for h in range(3))
    )
    with connect(tmp_path / "w.duckdb") as wh:
        results = [ingest.ingest_file(wh, p) for p in (good, badcol)]
        stored = wh.count("quarantine")
    assert [r.status for r in results] == ["loaded", "failed"] and stored == 3
    run, report = _a_run_and_its_report()
    outcome = PipelineOutcome(ingested=results, forecast=run, drills=[], report=report)
    (data, *_) = pipeline_summary(outcome, seconds=1.0)
    assert data.startswith(
        "data: 1 new file(s), 2 rows loaded, 3 quarantined (3 of them by 1 failed file(s); "
        "`fleetcast quarantine` lists them); 1 file(s) failed"
    )


def test_ingest_warns_of_a_region_the_plan_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fleetcast ingest` of rows in a misspelt region said nothing though it had the plan; now
    it loads them (exit 0) and warns on stderr with the file, the rows and the near miss."""
    path = write_csv(tmp_path / "typo.csv", GOOD.replace("eu-west", "eu-wset"))
    common = ["--warehouse", str(tmp_path / "w.duckdb"), "--capacity", str(sample_capacity())]
    assert main(["ingest", str(path), *common]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert f"warning: {path}: region 'eu-wset' (1 row) is in no [[block]] or [[site]] of" in err
    assert "did you mean 'eu-west'?" in err


def test_the_helios_demo_honours_the_paths_and_deletes_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`demo --trace helios` with $FLEETCAST_WAREHOUSE and $FLEETCAST_CAPACITY set wrote
    ./data/helios.duckdb and ./data/demo-helios/capacity.toml under the current folder, and
    removed ./data/demo-helios first. Now it plays into the warehouse and plan named, leaves
    ./data alone, and will not write its plan over another plan."""
    import flows.pipeline
    from flows.pipeline import PipelineStopped

    played: list[tuple[Path, Path, Path | None]] = []

    def pipeline(warehouse: Path, plan: Path, reports: Path, options: Any) -> PipelineStopped:
        assert options.inbox is not None and options.inbox.is_dir()
        played.append((warehouse, plan, options.inbox))
        return PipelineStopped(ingested=[], why="stopped by the test")

    monkeypatch.setattr(flows.pipeline, "pipeline_flow", pipeline)
    home = tmp_path / "home"
    kept = home / "data" / "demo-helios" / "mine.txt"
    kept.parent.mkdir(parents=True)
    kept.write_text("not the demo's\n")
    elsewhere = tmp_path / "x"
    monkeypatch.setenv("FLEETCAST_HOME", str(home))
    monkeypatch.setenv("FLEETCAST_TRACES", str(ROOT / "tests" / "fixtures" / "traces"))
    monkeypatch.setenv("FLEETCAST_WAREHOUSE", str(elsewhere / "wh.duckdb"))
    monkeypatch.setenv("FLEETCAST_CAPACITY", str(elsewhere / "capacity.toml"))
    monkeypatch.setenv("FLEETCAST_REPORTS", str(elsewhere / "reports"))
    assert main(["demo", "--trace", "helios"]) == 1  # the stopped pipeline
    ((warehouse, plan, inbox),) = played
    assert (warehouse, plan) == (elsewhere / "wh.duckdb", elsewhere / "capacity.toml")
    assert plan.read_text().startswith("# Generated by forecasting.traces.helios")
    assert inbox is not None and not inbox.exists()  # made for this run, and removed
    assert kept.is_file() and sorted(p.name for p in (home / "data").rglob("*")) == [
        "demo-helios", "mine.txt"
    ]  # fmt: skip
    # Again: its own plan is rewritten; another plan at that path is not overwritten.
    assert main(["demo", "--trace", "helios"]) == 1 and len(played) == 2
    plan.write_text("[[block]]\n")
    assert main(["demo", "--trace", "helios"]) == 2 and len(played) == 2
    assert plan.read_text() == "[[block]]\n"


def test_the_summary_says_the_capital_to_place_as_the_finance_card_does() -> None:
    """The CLI named the orders due first and no budget line, while the finance card read
    "$3,400.7M" of orders whose membership no date said: the summary now prints the card's
    capital in orders to place, every order of the plan whose order-by has come."""
    from dataclasses import replace
    from types import SimpleNamespace

    from test_report import _card_whole, _windowed_orders, sample_inputs

    from flows.tables import to_place_line
    from forecasting.report.pages import finance_page
    from forecasting.runs.reports import report_outcome

    inputs = sample_inputs()
    planned, end = _windowed_orders(inputs)
    windowed = replace(inputs, placements=planned)
    outcome = report_outcome(windowed, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    card = _card_whole(finance_page(windowed))
    # Its first sentence leads, the whole card after it; the idle-risk card's line follows
    # (test_report: the CLI says the idle capex).
    assert to_place_line(outcome)[1] == f"  in full: {card}"
    assert f"orders due by {end}, the as-of day" in card


def test_the_report_table_says_a_wholly_past_ceiling_order_has_no_order_by() -> None:
    """The demo's us-east/training cell, past every site's ceiling, printed "-" under "order
    by" where the pages say why there is none: the CLI now says the pages' words."""
    from flows.tables import report_table
    from forecasting.runs import ReportOutcome
    from forecasting.triggers.common import NO_ORDER_BY

    row = {"region": "us-east", "pool": "training", "status": "red", "order_by": None,
           "exhaustion_date": "2029-11-01", "candidate": "cell-gb200-8192",
           "blocks_to_order": 1, "capex_usd": 368.6e6, "mw": 14.7, "arrives": "2029-10-04",
           "blocks_beyond_ceiling": 1, "site": "us-east-c", "note": "past"}  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"red": 1}, failing_drills=[],
        stale_days=None, triggers=[row],
    )  # fmt: skip
    table = report_table(report)
    order_by = next(c for c in table.columns if c.header == "order by")
    assert list(order_by.cells) == [f"none: {NO_ORDER_BY}"]


def test_telemetry_stamped_after_the_clock_reads_ahead_of_it_not_a_negative_age() -> None:
    """Rows up to a day ahead of the clock are accepted; `status` then printed "-177 min ago"
    and `run` "newest telemetry -1 days old". Both now say how far ahead of the clock it is."""
    from datetime import UTC, datetime, timedelta

    from rich.console import Console

    from flows.pipeline import PipelineOutcome
    from flows.status import _age
    from flows.tables import pipeline_summary, report_table
    from forecasting.runs import ForecastRun, ReportOutcome

    now = datetime(2026, 12, 5, 20, 3, tzinfo=UTC)
    assert _age(now + timedelta(minutes=177), now) == "ahead of the clock by 3 h"
    assert _age(now + timedelta(minutes=40), now) == "ahead of the clock by 40 min"
    assert _age(now - timedelta(minutes=177), now) == "3 h ago"
    run = ForecastRun(
        run_id="r", as_of=date(2026, 12, 5), series=1, seconds=1.0, reconciliation="bottom_up",
        models_chosen={}, accuracy=[], calibrated=0, fallbacks=0,
    )  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("reports/r"), statuses={}, failing_drills=[],
        stale_days=0, telemetry_ahead_minutes=177, triggers=[],
    )  # fmt: skip
    lines = pipeline_summary(
        PipelineOutcome(ingested=[], forecast=run, drills=[], report=report), seconds=1.0
    )
    assert lines[0].endswith("; newest telemetry ahead of the clock by 3 h")
    console = Console(width=300, record=True)
    console.print(report_table(report))
    title = " ".join(console.export_text().split())
    assert "telemetry ahead of the clock by 3 h" in title and "-1 days" not in title


def test_a_report_s_telemetry_age_is_never_negative_and_says_how_far_ahead_it_is() -> None:
    """The newest hour stamped 2 h 57 min after the report's clock: 0 days stale, 177 minutes
    ahead (it read stale_days -1, the CLI "-1 days old")."""
    from datetime import UTC, datetime, timedelta

    from forecasting.runs.reports import telemetry_age

    now = datetime(2026, 12, 5, 20, 3, tzinfo=UTC)
    assert telemetry_age(now + timedelta(minutes=177), now) == (0, 177)
    assert telemetry_age(now - timedelta(days=3, hours=1), now) == (3, 0)
    assert telemetry_age(None, now) == (None, 0)


def test_an_order_of_blocks_declared_free_reads_0_dollars_not_unmeasured() -> None:
    """A candidate block with capex_usd = 0.0 (accepted by the plan's validator): its order of
    3 racks printed capex "-", which reads "not measured", beside "3 x rack-h100-256". It reads
    "$0" (its MW as measured); a pool with nothing to order still reads "-"."""
    row = {"region": "us-east", "pool": "all", "status": "amber", "order_by": "2026-09-25",
           "exhaustion_date": "2027-01-01", "candidate": "rack-h100-256",
           "blocks_to_order": 3, "capex_usd": 0.0, "mw": 1.2, "arrives": "2026-10-03",
           "note": "order 3 x rack-h100-256 ..."}  # fmt: skip
    text = _report_table_text(triggers=[row])
    assert "│ $0 │ 1.2 │" in text
    none = {**row, "status": "green", "blocks_to_order": 0, "mw": 0.0, "order_by": None}
    assert "│ - │ - │" in _report_table_text(triggers=[none])


def test_the_report_table_s_headline_names_what_its_worst_status_is_of() -> None:
    """A 7-day report on the demo printed "red; us-east/all amber, us-west/all amber on the
    monthly rows ..." under its table, its pools amber and green: the red was the power
    triggers', and the line gave "red" no subject. It reads as the pages' headline does,
    "worst trigger status, blocks and power: red; ..."."""
    headline = (
        "red; us-east/all amber, us-west/all amber on the monthly rows past the daily ones only: "
        "not verified at the daily grain (see the triggers' notes)"
    )
    shown = _report_table_text(
        headline=headline, headline_qualified=True, power_statuses={"red": 7}
    )
    assert f"worst trigger status, blocks and power: {headline}" in shown


def test_the_power_line_qualifies_each_site_due_first_on_its_own() -> None:
    """Two red sites due the same first day, us-east-a with part of its need past its ceiling
    and us-east-b dated by an order short at the monthly grain only: the power line named
    us-east-a alone, with its own qualifier, and said nothing of us-east-b, due that same
    day on a date not verified at the daily grain. Each site due first is now named with its
    own qualifiers, none read onto the other."""
    from dataclasses import replace
    from types import SimpleNamespace

    import polars as pl
    from test_report import _sited, sample_inputs

    from flows.tables import power_lines
    from forecasting.runs.reports import report_outcome
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    by = date(2025, 2, 1)
    sites = [
        {"region": "us-east", "site": "us-east-a", "status": "red", "contract_by": by,
         "mw_to_contract": 10.24, "mw_beyond_ceiling": 0.68, "monthly_only": False,
         "note": "contract 10.24 MW by 2025-02-01"},
        {"region": "us-east", "site": "us-east-b", "status": "red", "contract_by": by,
         "mw_to_contract": 5.0, "mw_beyond_ceiling": 0.0, "monthly_only": True,
         "note": "contract 5.00 MW by 2025-02-01"},
    ]  # fmt: skip
    power = pl.concat(
        [POWER_TRIGGERS_SCHEMA.to_frame(), pl.DataFrame(sites).cast({"contract_by": pl.Date})],
        how="diagonal_relaxed",
    )
    inputs = replace(_sited(sample_inputs()), power_triggers=power)
    outcome = report_outcome(inputs, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    line = power_lines(outcome)[0]
    first, _, second = line.partition("; and us-east-b by the same day")
    assert second, line
    assert f"contract power first: us-east-a by {by}" in first, line
    assert "0.7 MW of its need passes its ceiling" in first and "monthly grain" not in first
    assert second.startswith(" (its date rests on an order short at the monthly grain only"), line
    assert "passes its ceiling" not in second, line


def test_the_contract_card_names_each_site_due_the_first_day() -> None:
    """Two red sites due the same first day: the facilities card "contract more power by" read
    "2025-02-01, ... late (us-east-a)" while the terminal's power line names us-east-b due that
    day too; the card now names both, as the line does, and says which rests on the monthly
    grain (us-east-b's date here)."""
    from dataclasses import replace

    import polars as pl
    from test_report import _sited, sample_inputs

    from forecasting.report.pages.common import MONTHLY_GRAIN
    from forecasting.report.pages.facilities import _cards
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    by = date(2025, 2, 1)
    sites = [
        {"region": "us-east", "site": site, "status": "red", "contract_by": by,
         "mw_to_contract": mw, "mw_beyond_ceiling": 0.0, "monthly_only": monthly,
         "note": f"contract {mw:.2f} MW by 2025-02-01"}
        for site, mw, monthly in (("us-east-a", 10.24, False), ("us-east-b", 5.0, True))
    ]  # fmt: skip
    power = pl.concat(
        [POWER_TRIGGERS_SCHEMA.to_frame(), pl.DataFrame(sites).cast({"contract_by": pl.Date})],
        how="diagonal_relaxed",
    )
    card = dict(_cards(replace(_sited(sample_inputs()), power_triggers=power)))
    said = card["power to contract"]
    assert said.startswith("contract 10.2 MW at us-east-a and 5.0 MW at us-east-b by 2025-02-01")
    assert said.endswith(f"(us-east-b at the {MONTHLY_GRAIN})"), said


def test_the_contract_book_table_says_its_explanation_once() -> None:
    """`fleetcast forecast` printed "series only the contract book holds" with the same long
    words on every row ("no telemetry yet: its quantiles are the contract book's outcomes ...,
    not a forecast of telemetry; a deal at probability p adds its GPUs on p of the outcomes
    ..."), three lines of it per series: said once beside the table, each row holds only its
    own label and deals."""
    import polars as pl

    from forecasting.contracts import book_only_levels
    from forecasting.runs import ForecastRun
    from forecasting.schema import BOOK_OUTCOMES

    chosen = pl.DataFrame(
        {
            "unique_id": [
                "total/us-east", "total/us-east/training", "total/us-east/training/new",
                "total/us-east/inference", "total/us-east/inference/big",
            ],
            "model": ["ets", "contract-book", "contract-book", "ets", "contract-book"],
        }
    )  # fmt: skip
    deals = pl.DataFrame(
        {
            "id": ["new-1", "big-1"], "customer": ["new", "big"],
            "workload_class": ["training", "inference"], "region": ["us-east", "us-east"],
            "status": ["pipeline", "signed"], "probability": [0.05, 1.0],
        }
    )  # fmt: skip
    run = ForecastRun(
        run_id="r", as_of=date(2026, 1, 1), series=5, seconds=1.0, reconciliation="bottom_up",
        models_chosen={"ets": 2, "contract-book": 3}, accuracy=[], calibrated=0, fallbacks=0,
        book_only_levels=book_only_levels(chosen, deals),
    )  # fmt: skip
    text = _forecast_tables_text(run)
    assert text.count(BOOK_OUTCOMES) == 1, text
    assert text.count("a deal at probability p adds its GPUs on p of the outcomes") == 1, text
    for row in (
        "us-east · training · new pipeline only (new-1 at 5%)",
        "us-east · training pipeline only (new-1 at 5%)",
        "us-east · inference · big contract book only (big-1 signed)",
    ):
        assert row in text, text


def test_the_forecast_tables_name_the_series_only_the_contract_book_holds() -> None:
    """The models table counted "contract-book 2" and nothing said which series, nor that a
    customer of one deal at 5 % reads q90 0 beside a mean of 0.05 x its GPUs because its
    quantiles are the book's outcomes: a table names each with its label."""
    import polars as pl

    from forecasting.contracts import book_only_levels
    from forecasting.runs import ForecastRun
    from forecasting.schema import BOOK_OUTCOMES

    chosen = pl.DataFrame(
        {
            "unique_id": ["total/us-east", "total/us-east/training", "total/us-east/training/new"],
            "model": ["ets", "ets", "contract-book"],
        }
    )
    deals = pl.DataFrame(
        {
            "id": ["new-1"], "customer": ["new"], "workload_class": ["training"],
            "region": ["us-east"], "status": ["pipeline"], "probability": [0.05],
        }
    )  # fmt: skip
    levels = book_only_levels(chosen, deals)
    run = ForecastRun(
        run_id="r", as_of=date(2026, 1, 1), series=3, seconds=1.0, reconciliation="bottom_up",
        models_chosen={"ets": 2, "contract-book": 1}, accuracy=[], calibrated=0, fallbacks=0,
        book_only_levels=levels,
    )  # fmt: skip
    text = _forecast_tables_text(run)
    assert "series only the contract book holds" in text
    assert "us-east · training · new pipeline only (new-1 at 5%)" in text
    assert f"each: {BOOK_OUTCOMES}" in text


def test_a_folder_synth_wrote_ingests_whole_and_a_bad_file_in_it_still_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fleetcast ingest` on the folder `fleetcast synth` wrote exited 1: its capacity.toml
    ("unknown file type") and events.csv ("missing required column(s)") failed as bad
    telemetry, though each is a good file of another kind. A folder's plan, event calendar or
    contract book is skipped with a note that says what it is and the command that takes it;
    a file that is none of these (a bad telemetry row, a stray .toml) still fails."""
    out = tmp_path / "fleet"
    warehouse = str(tmp_path / "w.duckdb")
    assert main(["synth", "--days", "28", "--customers", "12", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["ingest", str(out), "--warehouse", warehouse]) == 0
    said = capsys.readouterr()
    table = " ".join(said.out.split())
    assert "failed" not in table and "failed" not in said.err
    # The table's two rows for them (at 80 columns the file names wrap): both skipped.
    assert table.count("skipped") == 2
    notes = " ".join(said.err.split())
    assert (
        f"skipped {out / 'capacity.toml'}: a capacity plan, not telemetry: use it with "
        f"FLEETCAST_CAPACITY={out / 'capacity.toml'} (or --capacity)"
    ) in notes
    assert (
        f"skipped {out / 'events.csv'}: an event calendar, not telemetry: load it with "
        f"`fleetcast events {out / 'events.csv'}`"
    ) in notes
    with connect(Path(warehouse), read_only=True) as wh:
        assert wh.count("telemetry") > 0
    # A genuinely bad file beside them still fails, by file, row, column and rule.
    (out / "notes.toml").write_text('title = "not a plan"\n', encoding="utf-8")
    bad = write_csv(out / "telemetry" / "late.csv", GOOD, BAD)
    assert main(["ingest", str(out), "--warehouse", warehouse]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"failed {out / 'notes.toml'}: not read: unknown file type '.toml'" in err
    assert f"quarantined {bad}: row 2, column gpus_running: negative" in err
