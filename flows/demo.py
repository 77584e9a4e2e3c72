"""`fleetcast demo`: a synthetic fleet through the whole pipeline, in one process."""

from __future__ import annotations

import shlex
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import polars as pl

from flows.console import console, failed_line, run_log_on_console, say
from forecasting import synth
from forecasting.resources import sample_contracts

if TYPE_CHECKING:  # prefect starts with the flows, not at import
    from flows.pipeline import PipelineOutcome, PipelineStopped
    from forecasting.options import PipelineOptions
from forecasting.settings import settings
from forecasting.traces import ADAPTERS, HeliosOptions, helios_capacity_toml

__all__ = ["helios_plan", "next_commands_line", "run_demo", "run_helios_demo"]

HELIOS_MINUTES = "helios_earth_vc_minute_2020-05.csv.gz"
HELIOS_QUOTAS = "helios_{cluster}_vc_gpu_capacity_daily.csv"
HELIOS_ANY_MINUTES = "helios_*_vc_minute_*.csv*"


def _helios_files(traces: Path) -> tuple[Path, Path, str] | str:
    """The Helios minute trace, its cluster's daily quota file and the cluster's name: Earth's
    May 2020 where it is in ``traces``, else the one trace there; or why there is none."""
    found = sorted(traces.glob(HELIOS_ANY_MINUTES))
    if (traces / HELIOS_MINUTES).is_file():
        found = [traces / HELIOS_MINUTES]
    if len(found) != 1:
        what = "none" if not found else ", ".join(f.name for f in found)
        return (
            f"no single Helios trace in {traces} (looked for {HELIOS_MINUTES}, else one file "
            f"named {HELIOS_ANY_MINUTES}; found {what}); set FLEETCAST_TRACES to the folder "
            "holding it"
        )
    cluster = found[0].name.split("_")[1]
    quotas = traces / HELIOS_QUOTAS.format(cluster=cluster)
    if not quotas.is_file():
        return f"no quota file {quotas.name} beside {found[0]}: the demo plays the trace against it"
    return found[0], quotas, cluster


def _printed(
    outcome: PipelineOutcome | PipelineStopped,
    *,
    started: float,
    warehouse_path: Path,
    plan_path: Path,
) -> int:
    """Print every step's tables, the plan's warnings and the five-line summary; the exit
    status of the run."""
    from flows.pipeline import PipelineStopped
    from flows.tables import (
        drill_tables,
        fallback_lines,
        forecast_tables,
        ingest_table,
        not_played_lines,
        pipeline_summary,
        report_table,
        shock_cut_lines,
    )

    console.print(ingest_table(outcome.ingested))
    if isinstance(outcome, PipelineStopped):
        for result in outcome.ingested:
            if result.status == "failed":
                say(failed_line(result.message), error=True)
        say(f"demo: {outcome.why}", error=True)
        return 1
    drills = drill_tables(outcome.drills) if outcome.drills else []
    for table in (*forecast_tables(outcome.forecast), *drills):
        console.print(table)
    console.print(report_table(outcome.report))
    # As `report` and `run` say them: `demo --trace helios` printed none of the 9 blocks
    # dedicated to a VC with no telemetry (592 GPUs serving nobody), which only `report` said.
    from forecasting.runs import plan_warnings_for

    disagreements = outcome.report.plan_disagreements_read()  # the report's: aggregated once
    for warning in plan_warnings_for(
        warehouse_path, plan_path, as_of=outcome.report.as_of, disagreements=disagreements
    ):
        say(warning, error=True)
    # The drill flow's warning for a drill not played is on the console already where
    # Prefect's log shows there (each read twice); the summary counts and names them.
    unplayed = [] if run_log_on_console() else not_played_lines(outcome.drills_not_played)
    for line in (*fallback_lines(outcome.forecast), *shock_cut_lines(outcome.drills), *unplayed):
        say(line)
    # The ingest table says "see below" for a file that could not be read: here is why.
    for result in outcome.ingested:
        if result.status == "failed":
            say(failed_line(result.message), error=True)
    for line in pipeline_summary(outcome, seconds=time.perf_counter() - started):
        say(line)
    return 1 if any(r.status == "failed" for r in outcome.ingested) else 0


def run_demo(
    *,
    warehouse_path: Path,
    reports_path: Path,
    days: int,
    customers: int,
    seed: int,
) -> int:
    """Generate a fleet and run the pipeline on it; print where the reports are."""
    from flows.pipeline import pipeline_flow
    from forecasting.options import PipelineOptions

    started = time.perf_counter()
    with console.status(f"generating a synthetic fleet: {days} days, {customers} customers"):
        fleet = synth.synthetic_fleet(days=days, customers=customers, seed=seed)
        folder = settings().data_dir / "demo"
        shutil.rmtree(folder, ignore_errors=True)
        synth.write_fleet(fleet, folder)
    say(f"synthetic fleet: {fleet.telemetry.height:,} hourly rows -> {folder}")
    # The demo owns its capacity plan: the one generated with the fleet, sized to its demand.
    plan_path = folder / "capacity.toml"
    # The sample contract book is written for the synthetic fleet's customers and regions.
    book = folder / "contracts.toml"
    book.write_bytes(sample_contracts().read_bytes())
    options = PipelineOptions(
        inbox=folder / "telemetry", events=[folder / "events.csv"], contracts=[book]
    )
    outcome = pipeline_flow(warehouse_path, plan_path, reports_path, options)
    status = _printed(outcome, started=started, warehouse_path=warehouse_path, plan_path=plan_path)
    say(
        next_commands_line(
            plan_path=plan_path, warehouse_path=warehouse_path, reports_path=reports_path
        )
    )
    return status


def next_commands_line(*, plan_path: Path, warehouse_path: Path, reports_path: Path) -> str:
    """What to export before the drills the line suggests: the demo's plan, and the warehouse
    and reports folder it used where a bare command would not read them (`demo --warehouse W`
    suggested `fleetcast drill inference-surge`, which read the default warehouse, not W)."""
    # The plan is the demo's own, not data/capacity.toml: later commands must be pointed at it.
    exports = [f"FLEETCAST_CAPACITY={shlex.quote(str(plan_path))}"]
    bare = settings().paths
    for name, used, default in (
        ("WAREHOUSE", warehouse_path, bare.warehouse),
        ("REPORTS", reports_path, bare.reports),
    ):
        if used.resolve() != default.resolve():
            exports.append(f"FLEETCAST_{name}={shlex.quote(str(used))}")
    return (
        f"next: export {' '.join(exports)}, then e.g. `fleetcast drill inference-surge`"
        " or `fleetcast drill --class training --factor 1.5 --shape ramp:6w`"
    )


def _written_by_the_demo(plan: Path) -> bool:
    """Whether the plan file at ``plan`` is one the Helios demo wrote (its header says so)."""
    try:
        with plan.open(encoding="utf-8", errors="replace") as fh:
            return fh.readline().startswith(_HELIOS_PLAN_HEADER)
    except OSError:
        return False


_HELIOS_PLAN_HEADER = "# Generated by forecasting.traces.helios.helios_capacity_toml"


def run_helios_demo(*, warehouse_path: Path, plan_path: Path, reports_path: Path) -> int:
    """The Helios Earth trace (SC'21) through the pipeline, against its real VC quota plan.

    Each VC is a customer with its quota as a dedicated block; the trace's 31 days forecast
    8 weeks ahead (three 7-day backtests one day apart after two weeks of training, the
    setting tests/test_helios_accuracy.py measures), and the drills are the two a training
    cluster asks about: training-2x and top-customer-2x-6w. Another Helios cluster's trace
    in the same shape (``helios_<cluster>_vc_minute_*.csv.gz`` beside its
    ``helios_<cluster>_vc_gpu_capacity_daily.csv``) runs the same way, as of its last day.

    The plan made from the quotas is written to ``plan_path``, never over a plan the demo did
    not write; the trace reaches the pipeline through an inbox folder made for this run and
    removed after it. Nothing else is deleted.
    """
    from flows.pipeline import pipeline_flow

    # The public traces live beside the repository (../shared/data), or in $FLEETCAST_TRACES.
    files = _helios_files(settings().traces)
    if isinstance(files, str):
        say(files)
        return 1
    source, quota_file, cluster = files
    if plan_path.exists() and not _written_by_the_demo(plan_path):
        say(
            f"demo --trace helios writes its own plan (the cluster's VC quotas) to {plan_path}, "
            "which holds another plan: not overwritten; name a new file with --capacity or "
            "$FLEETCAST_CAPACITY",
            error=True,
        )
        return 2
    started = time.perf_counter()
    made = helios_plan(source, quota_file, cluster=cluster)
    if isinstance(made, str):
        say(made)
        return 1
    plan_path.parent.mkdir(parents=True, exist_ok=True)
    plan_path.write_text(made[0], encoding="utf-8")
    # The run's own inbox, beside the warehouse: it removed ./data/demo-helios whole before,
    # whoever's files were in it. The ledger keeps the trace's own path, not the link's.
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        prefix="fleetcast-helios-inbox-", dir=warehouse_path.parent
    ) as folder:
        inbox = Path(folder)
        (inbox / source.name).symlink_to(source.resolve())
        outcome = pipeline_flow(warehouse_path, plan_path, reports_path, _helios_options(inbox))
    return _printed(outcome, started=started, warehouse_path=warehouse_path, plan_path=plan_path)


def helios_plan(source: Path, quota_file: Path, *, cluster: str) -> tuple[str, date] | str:
    """The Helios demo's plan (capacity.toml text) for the minute trace ``source`` and the day
    its statuses are as of (the trace's last, in the cluster's clock), or why there is none.
    Only the VCs the trace has telemetry for get blocks: the plan dedicated one to every VC
    of the quota file, and its own report warned of 6 (432 GPUs) serving nobody."""
    telemetry, report = ADAPTERS["helios"].read(source)
    last_hour = report().last_ts
    if last_hour is None:
        return f"no hour of telemetry in {source}"
    as_of = last_hour.astimezone(ZoneInfo(HeliosOptions().source_timezone)).date()
    measured = telemetry.select(pl.col("customer").unique()).collect()["customer"].to_list()
    return helios_capacity_toml(quota_file, as_of=as_of, site=cluster, measured=measured), as_of


def _helios_options(inbox: Path) -> PipelineOptions:
    """The pipeline's options for the Helios trace in ``inbox`` (see run_helios_demo)."""
    from forecasting.options import DrillOptions, ForecastOptions, PipelineOptions

    return PipelineOptions(
        inbox=inbox,
        inbox_format="helios",
        forecast=ForecastOptions(
            horizon_days=56,
            backtest_days=7,
            n_cutoffs=3,
            backtest_step_days=1,
            min_train_days=14,
            customers_per_class=16,
        ),
        drill=DrillOptions(drills=("training-2x", "top-customer-2x-6w")),
    )
