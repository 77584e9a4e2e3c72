"""The report flow: a forecast run's triggers, drills and history -> published pages + artifacts."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from forecasting import runs
from forecasting.capacity import CapacityPlan, load_capacity
from forecasting.options import ReportOptions
from forecasting.report import ReportInputs, publish_report
from forecasting.runs import ReportOutcome, TriggerRun

__all__ = ["ReportOptions", "ReportOutcome", "report_flow"]


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE, tags=["warehouse-writer"])
def compute_triggers(
    warehouse_path: Path, capacity_path: Path, plan: CapacityPlan, options: ReportOptions
) -> TriggerRun:
    """Expansion triggers of a forecast run against the plan, stored as a new trigger run."""
    return runs.compute_triggers(warehouse_path, capacity_path, plan, options)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def gather_inputs(
    warehouse_path: Path, plan: CapacityPlan, triggers: TriggerRun, options: ReportOptions
) -> ReportInputs:
    """Everything the pages show, read from the warehouse for one trigger run."""
    return runs.report_inputs(warehouse_path, plan, triggers, options)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def publish(inputs: ReportInputs, reports_path: Path) -> Path:
    """Write the pages to a temporary folder and swap them into place."""
    return publish_report(inputs, root=reports_path)


@flow(name="report", log_prints=True)
def report_flow(
    warehouse_path: Path,
    capacity_path: Path,
    reports_path: Path,
    options: ReportOptions | None = None,
) -> ReportOutcome:
    """Compute triggers for a forecast run, publish the pages and the Prefect artifacts."""
    options = options or ReportOptions()
    logger = get_run_logger()
    plan = load_capacity(capacity_path)
    triggers = compute_triggers(warehouse_path, capacity_path, plan, options)
    inputs = gather_inputs(warehouse_path, plan, triggers, options)
    path = publish(inputs, reports_path)
    outcome = runs.report_outcome(inputs, triggers, path)
    create_markdown_artifact(
        key="fleetcast-summary",
        markdown=runs.report_summary_markdown(inputs, path),
        description="triggers and drills",
    )
    create_table_artifact(
        key="fleetcast-triggers", table=outcome.triggers, description="expansion triggers"
    )
    create_link_artifact(
        key="fleetcast-report",
        link=(path / "index.html").resolve().as_uri(),
        link_text=f"report {outcome.run_id}",
    )
    if inputs.stale:
        logger.warning(
            "telemetry is %s days old: the report says so on every page", inputs.stale_days
        )
    return outcome
