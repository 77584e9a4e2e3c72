"""The `fleetcast` command.

Exit status: 0 when the work was done, 1 when some input could not be used (a file that
cannot be read, an invalid plan, a busy warehouse), 2 for usage errors. Commands that must
answer at once (--help, capacity, validation errors) never import prefect; the ones that run
flows import it when they start.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from flows.console import console, errors
from forecasting.settings import DATA_DIR, resolve_paths

if TYPE_CHECKING:  # prefect loads only for the commands that run flows
    from flows.drill import DrillOptions, DrillOutcome

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments that argparse itself cannot see (exit status 2)."""


class RunFailedError(Exception):
    """A run did not complete (exit status 1); the message says why."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="DuckDB file (default data/warehouse.duckdb, or $FLEETCAST_WAREHOUSE)",
    )
    parser.add_argument(
        "--capacity",
        type=Path,
        default=None,
        help="capacity plan (default data/capacity.toml, or $FLEETCAST_CAPACITY)",
    )


# --- commands ----------------------------------------------------------------------------------


def cmd_synth(args: argparse.Namespace) -> int:
    """Write a synthetic fleet's telemetry files and capacity.toml."""
    from forecasting import synth

    with console.status(f"generating {args.days} days x {args.customers} customers"):
        fleet = synth.synthetic_fleet(days=args.days, customers=args.customers, seed=args.seed)
        written = synth.write_fleet(fleet, args.out, file_format=args.file_format)
    console.print(
        f"wrote {fleet.telemetry.height:,} telemetry rows in "
        f"{sum(1 for p in written if 'telemetry' in p.name)} files and capacity.toml to {args.out}"
    )
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    """Validate and load telemetry files through the ingest flow."""
    from flows.tables import ingest_table
    from forecasting import ingest

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(map(str, missing))}")
    files = ingest.telemetry_files(args.paths)
    if not files:
        raise UsageError(
            f"no telemetry files under {', '.join(map(str, args.paths))} "
            f"(looked for {', '.join(ingest.FILE_SUFFIXES)})"
        )
    paths = resolve_paths(warehouse=args.warehouse)
    from flows.ingest import ingest_files

    results = ingest_files(files, paths.warehouse, args.file_format)
    console.print(ingest_table(results))
    failed = [r for r in results if r.status == "failed"]
    for result in failed:
        errors.print(f"[red]failed[/red] {result.message}", markup=True, highlight=False)
    quarantined = sum(r.entry.quarantined for r in results if r.entry and r.status == "loaded")
    if failed:
        return EXIT_FAILED
    if args.strict and quarantined:
        errors.print(f"--strict: {quarantined} row(s) quarantined; see `fleetcast quarantine`")
        return EXIT_FAILED
    return EXIT_OK


def cmd_events(args: argparse.Namespace) -> int:
    """Load event calendars into the warehouse, or list the known events."""
    from flows.tables import events_tables, stored_events_table
    from forecasting import warehouse

    path = resolve_paths(warehouse=args.warehouse).warehouse
    if not args.paths:
        with warehouse.connect(path, read_only=True) as wh:
            console.print(stored_events_table(wh.events(), limit=args.limit))
        return EXIT_OK
    missing = [p for p in args.paths if not p.is_file()]
    if missing:
        raise UsageError(f"no such file: {', '.join(map(str, missing))}")
    from flows.ingest import ingest_events

    loads = ingest_events(list(args.paths), path)
    for table in events_tables(loads, limit=args.limit):
        console.print(table)
    for load in loads:
        if load.status == "failed":
            errors.print(f"failed {load.message}", highlight=False, markup=False)
    if any(load.status == "failed" for load in loads):
        return EXIT_FAILED
    refused = sum(len(load.refused) for load in loads)
    if args.strict and refused:
        errors.print(f"--strict: {refused} event row(s) refused")
        return EXIT_FAILED
    return EXIT_OK


def cmd_capacity(args: argparse.Namespace) -> int:
    """Print the capacity inventory and its timeline per region and class."""
    from flows.tables import capacity_tables
    from forecasting.capacity import load_capacity

    plan = load_capacity(resolve_paths(capacity=args.capacity).capacity)
    for table in capacity_tables(plan):
        console.print(table)
    return EXIT_OK


def cmd_quarantine(args: argparse.Namespace) -> int:
    """Print quarantined rows with the file, row, column and rule they broke."""
    from flows.tables import quarantine_table
    from forecasting import warehouse

    with warehouse.connect(resolve_paths(warehouse=args.warehouse).warehouse, read_only=True) as wh:
        rows = wh.quarantine()
    console.print(quarantine_table(rows, limit=args.limit))
    return EXIT_OK


def cmd_demand(args: argparse.Namespace) -> int:
    """Print a summary of daily demand per region and class from the warehouse."""
    from flows.tables import demand_table
    from forecasting import demand, warehouse

    with warehouse.connect(resolve_paths(warehouse=args.warehouse).warehouse, read_only=True) as wh:
        hourly = wh.hourly_demand()
    series = demand.demand_series(hourly, customers_per_class=args.customers_per_class)
    console.print(demand_table(series, outages=demand.outage_hours(hourly)))
    return EXIT_OK


def horizon_days(text: str) -> int:
    """Days in a horizon written as ``26w``, ``182d`` or ``182``."""
    match = re.fullmatch(r"\s*(\d+)\s*([wd]?)\s*", text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a horizon like 26w or 182d")
    n = int(match.group(1))
    return n * 7 if match.group(2) == "w" else n


def cmd_forecast(args: argparse.Namespace) -> int:
    """Forecast every demand series and store the run."""
    from pydantic import ValidationError

    from flows.forecast import ForecastOptions, forecast
    from flows.tables import forecast_tables

    try:
        options = ForecastOptions(
            as_of=args.as_of,
            horizon_days=args.horizon,
            models=tuple(args.models.split(",")) if args.models else ForecastOptions().models,
            fixed_model=args.fixed_model,
            n_paths=args.paths,
            n_cutoffs=args.cutoffs,
            backtest_days=args.backtest_days,
            backtest_step_days=args.backtest_step,
            min_train_days=args.min_train_days,
            use_events=not args.no_events,
            task_runner=args.task_runner,
            workers=args.workers,
            dask_address=args.dask_address,
        )
        options.settings()
    except (ValidationError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    run = forecast(resolve_paths(warehouse=args.warehouse).warehouse, options)
    for table in forecast_tables(run):
        console.print(table)
    return EXIT_OK


def cmd_drill(args: argparse.Namespace) -> int:
    """Run ready-made or ad-hoc shock drills on the newest forecast run."""
    from flows.drill import AdhocDrill, DrillOptions, drill_flow, drill_scenarios
    from flows.tables import drill_tables
    from forecasting.drills import ScenarioError

    targets = [t for t in (args.cls, args.customer, args.region) if t]
    if args.name and (targets or args.all):
        raise UsageError("name a ready-made drill or describe one with --class/--customer/...")
    adhoc = None
    if targets or args.all or args.lose or args.slip:
        if len(targets) > 1:
            raise UsageError("give one of --class, --customer, --region, --all")
        target = "all"
        if args.cls:
            target = f"class:{args.cls}"
        elif args.customer:
            target = f"customer:{args.customer}"
        elif args.region:
            target = f"region:{args.region}"
        adhoc = AdhocDrill(
            target=target,
            multiplier=args.factor,
            shape=args.shape,
            start=args.start,
            lose=tuple(args.lose),
            slip=tuple(args.slip),
        )
    options = DrillOptions(
        drills=(args.name,) if args.name else (),
        adhoc=adhoc,
        forecast_run_id=args.forecast_run,
        paths=args.paths,
        seed=args.seed,
        answers=args.answers,
    )
    paths = resolve_paths(warehouse=args.warehouse, capacity=args.capacity)
    try:
        drill_scenarios(options)  # bad names and shapes fail here, before prefect starts
    except (ScenarioError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    if args.via_server:
        outcomes = _drill_via_server(paths.warehouse, paths.capacity, options, args.timeout)
    else:
        outcomes = drill_flow(paths.warehouse, paths.capacity, options)
    for table in drill_tables(outcomes):
        console.print(table)
    return EXIT_OK


def _drill_via_server(
    warehouse_path: Path, capacity_path: Path, options: DrillOptions, timeout: float
) -> list[DrillOutcome]:
    """The drill run by the server's ``drill/adhoc`` deployment, read back from the warehouse."""
    from flows.serve import ServerRunError, api_url, drill_via_server

    if not api_url():
        raise UsageError("--via-server needs PREFECT_API_URL (the server `fleetcast serve` uses)")
    try:
        return drill_via_server(warehouse_path, capacity_path, options, timeout=timeout)
    except ServerRunError as exc:
        raise RunFailedError(str(exc)) from exc


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the scheduled and ad-hoc deployments until interrupted."""
    from pydantic import ValidationError

    from flows.serve import ServeSettings, api_url, serve_deployments

    try:
        settings = ServeSettings.from_env()
    except ValidationError as exc:
        raise UsageError(f"bad FLEETCAST_* schedule setting: {exc}") from exc
    if not api_url():
        raise UsageError(
            "serve needs a Prefect server: start `prefect server start` and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    paths = resolve_paths(warehouse=args.warehouse, capacity=args.capacity, reports=args.reports)
    serve_deployments(settings, paths)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """The last runs in the warehouse, the age of its data and, with a server, Prefect's runs."""
    from flows.status import prefect_runs_table, warehouse_status_tables

    path = resolve_paths(warehouse=args.warehouse).warehouse
    for table in warehouse_status_tables(path, limit=args.limit):
        console.print(table)
    if os.environ.get("PREFECT_API_URL"):  # never start an ephemeral server just to look
        console.print(prefect_runs_table(limit=args.limit))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Compute triggers for a forecast run and publish the reports."""
    from flows.report import ReportOptions, report_flow
    from flows.tables import report_table

    paths = resolve_paths(warehouse=args.warehouse, capacity=args.capacity, reports=args.reports)
    options = ReportOptions(
        forecast_run_id=args.forecast_run, quantile=args.quantile, buffer_weeks=args.buffer_weeks
    )
    outcome = report_flow(paths.warehouse, paths.capacity, paths.reports, options)
    console.print(report_table(outcome))
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Ingest new files, forecast, drill and publish, as one pipeline flow."""
    from flows.drill import DrillOptions
    from flows.forecast import ForecastOptions
    from flows.pipeline import PipelineOptions, pipeline_flow
    from flows.tables import pipeline_summary, report_table

    if args.inbox is not None and not args.inbox.is_dir():
        raise UsageError(f"--inbox {args.inbox} is not a folder")
    paths = resolve_paths(warehouse=args.warehouse, capacity=args.capacity, reports=args.reports)
    missing = [p for p in args.events if not p.is_file()]
    if missing:
        raise UsageError(f"--events: no such file: {', '.join(map(str, missing))}")
    options = PipelineOptions(
        inbox=args.inbox,
        events=args.events,
        forecast=ForecastOptions(
            horizon_days=args.horizon,
            n_paths=args.paths,
            task_runner=args.task_runner,
            workers=args.workers,
            dask_address=args.dask_address,
        ),
        drill=DrillOptions(answers=args.answers),
    )
    started = time.perf_counter()
    outcome = pipeline_flow(paths.warehouse, paths.capacity, paths.reports, options)
    console.print(report_table(outcome.report))
    for line in pipeline_summary(outcome, seconds=time.perf_counter() - started):
        console.print(line, highlight=False)
    return EXIT_FAILED if any(r.status == "failed" for r in outcome.ingested) else EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """A synthetic fleet through the whole pipeline; prints where the reports are."""
    from flows.demo import run_demo, run_helios_demo

    if args.trace == "helios":
        warehouse = args.warehouse or DATA_DIR / "helios.duckdb"
        return run_helios_demo(
            warehouse_path=resolve_paths(warehouse=warehouse).warehouse,
            reports_path=resolve_paths(reports=args.reports).reports,
            console=console,
        )
    return run_demo(
        warehouse_path=resolve_paths(warehouse=args.warehouse).warehouse,
        reports_path=resolve_paths(reports=args.reports).reports,
        days=args.days,
        customers=args.customers,
        seed=args.seed,
        console=console,
    )


# --- parser ------------------------------------------------------------------------------------


def _runner_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--task-runner",
        choices=("threads", "processes", "dask"),
        default=os.environ.get("FLEETCAST_TASK_RUNNER", "processes"),
        help="Prefect task runner for the fan-out (default processes, or $FLEETCAST_TASK_RUNNER)",
    )
    parser.add_argument("--workers", type=int, default=None, help="workers (default: cores)")
    parser.add_argument(
        "--dask-address",
        default=os.environ.get("FLEETCAST_DASK_ADDRESS"),
        help="scheduler of an existing Dask cluster (with --task-runner dask)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from forecasting.ingest import FORMATS

    parser = argparse.ArgumentParser(
        prog="fleetcast",
        description="GPU-cloud demand forecasts, shock drills and expansion triggers.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _common(p)
        p.set_defaults(func=func)
        return p

    p = add(
        "synth", cmd_synth, "write a realistic synthetic fleet (telemetry files + capacity.toml)"
    )
    p.add_argument("--out", type=Path, default=Path("data/synth"), help="output directory")
    p.add_argument("--days", type=int, default=730)
    p.add_argument("--customers", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--file-format", choices=("parquet", "csv"), default="parquet")

    p = add("ingest", cmd_ingest, "validate and load telemetry files (directories expand)")
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    p.add_argument(
        "--format",
        dest="file_format",
        default=None,
        choices=FORMATS,
        help="csv, parquet or jsonl when the suffix does not say; or a public trace: "
        "helios, servegen, azure-llm (see forecasting/traces)",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 if any row was quarantined")

    add("capacity", cmd_capacity, "print the capacity inventory and timeline")

    p = add("events", cmd_events, "load event calendars (launches, holidays), or list them")
    p.add_argument("paths", type=Path, nargs="*", metavar="FILE", help="CSV or Parquet calendars")
    p.add_argument("--strict", action="store_true", help="exit 1 if any row was refused")
    p.add_argument("--limit", type=int, default=50, help="rows to show")

    p = add("forecast", cmd_forecast, "forecast demand per level with quantiles and store the run")
    p.add_argument("--as-of", type=date.fromisoformat, default=None, help="last day of history")
    p.add_argument("--horizon", type=horizon_days, default=182, help="e.g. 26w (default) or 90d")
    p.add_argument("--models", default=None, help="comma-separated candidates, e.g. ets,theta")
    p.add_argument("--fixed-model", default=None, help="use this model for every series")
    p.add_argument("--paths", type=int, default=200, help="sample paths per series")
    p.add_argument("--cutoffs", type=int, default=3, help="backtest cutoffs (default 3)")
    p.add_argument("--backtest-days", type=int, default=28, help="days scored per cutoff")
    p.add_argument(
        "--backtest-step", type=int, default=None, help="days between cutoffs (default: 28)"
    )
    p.add_argument("--min-train-days", type=int, default=28, help="history before a cutoff")
    p.add_argument("--no-events", action="store_true", help="forecast without the known events")
    _runner_options(p)

    p = add("drill", cmd_drill, "shock drills: ready-made by NAME, or ad hoc with --class etc.")
    p.add_argument("name", nargs="?", help="a drill in data/drills/ (default: all of them)")
    p.add_argument("--class", dest="cls", help="shock one workload class")
    p.add_argument("--customer", help="shock one customer ('top' for the largest)")
    p.add_argument("--region", help="shock one region")
    p.add_argument("--all", action="store_true", help="shock everything")
    p.add_argument("--factor", type=float, default=2.0, help="demand multiplier (default 2)")
    p.add_argument("--shape", default="step", help="step, ramp:6w or spike:3d")
    p.add_argument("--start", default=None, help="a date or +2w (default: first forecast day)")
    p.add_argument("--lose", action="append", default=[], help="BLOCK[@WHEN]: a block fails")
    p.add_argument("--slip", action="append", default=[], help="BLOCK:8w: a delivery slips")
    p.add_argument("--paths", type=int, default=None, help="sample paths (default: all stored)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--forecast-run", default=None, help="forecast run id (default: newest)")
    p.add_argument(
        "--answers",
        choices=("none", "failing", "all"),
        default="failing",
        help="search blocks-to-pass and the breaking multiplier (default: for failing drills)",
    )

    p.add_argument(
        "--via-server",
        action="store_true",
        help="run through the server's drill/adhoc deployment (needs PREFECT_API_URL)",
    )
    p.add_argument(
        "--timeout", type=float, default=600, help="seconds to wait with --via-server (600)"
    )

    p = add("report", cmd_report, "expansion triggers and the published reports of a forecast run")
    p.add_argument("--forecast-run", default=None, help="forecast run id (default: newest)")
    p.add_argument("--quantile", default="q90", choices=("q50", "q90", "q99"))
    p.add_argument("--buffer-weeks", type=int, default=4, help="safety buffer before order-by")
    p.add_argument(
        "--reports",
        type=Path,
        default=None,
        help="output folder (default reports/, $FLEETCAST_REPORTS)",
    )

    p = add("quarantine", cmd_quarantine, "list quarantined rows and the rule each broke")
    p.add_argument("--limit", type=int, default=50)

    p = add("demand", cmd_demand, "summarise daily demand per region and class")
    p.add_argument("--customers-per-class", type=int, default=10)

    p = add("run", cmd_run, "the whole job: ingest the inbox, forecast, drill, report")
    p.add_argument("--inbox", type=Path, default=None, help="folder of new telemetry files")
    p.add_argument(
        "--events", type=Path, action="append", default=[], help="event calendar to load first"
    )
    p.add_argument("--reports", type=Path, default=None, help="output folder (default reports/)")
    p.add_argument("--paths", type=int, default=200, help="sample paths per series")
    p.add_argument("--horizon", type=horizon_days, default=182, help="e.g. 26w (default)")
    p.add_argument(
        "--answers", choices=("none", "failing", "all"), default="failing", help="drill answers"
    )
    _runner_options(p)

    p = add("serve", cmd_serve, "serve the scheduled and ad-hoc deployments on a Prefect server")
    p.add_argument("--reports", type=Path, default=None, help="output folder (default reports/)")

    p = add("status", cmd_status, "last runs, their state and the age of the newest telemetry")
    p.add_argument("--limit", type=int, default=5, help="runs of each kind to show")

    p = add("demo", cmd_demo, "synthetic fleet (or a real trace) -> the whole pipeline")
    p.add_argument(
        "--trace",
        choices=("helios",),
        default=None,
        help="run on a real public trace instead (warehouse data/helios.duckdb by default)",
    )
    p.add_argument("--reports", type=Path, default=None, help="output folder (default reports/)")
    p.add_argument("--days", type=int, default=730)
    p.add_argument("--customers", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (also used by the console script)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from forecasting.capacity import CapacityError
    from forecasting.ingest import IngestFileError
    from forecasting.warehouse import WarehouseError

    try:
        return int(args.func(args))
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        errors.print(f"fleetcast {args.command}: error: {exc}", highlight=False)
        return EXIT_USAGE
    except (CapacityError, WarehouseError, IngestFileError, RunFailedError) as exc:
        errors.print(f"fleetcast {args.command}: {exc}", highlight=False, markup=False)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
