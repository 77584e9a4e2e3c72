"""The report flow: a forecast run's triggers, drills and history -> published pages + artifacts,
and one Prefect event per change since the previous report (the alerts of ``fleetcast serve``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import Event, emit_event
from prefect.logging import get_run_logger

from flows.stopping import recording_prefect_sigterm
from forecasting import runs
from forecasting.capacity import CapacityPlan, load_capacity
from forecasting.changes import RunChanges
from forecasting.options import ReportOptions
from forecasting.report import ReportInputs, publish_report
from forecasting.runs import ReportOutcome, TriggerRun

__all__ = [
    "CONSTRUCTION_CHANGED",
    "POWER_CHANGED",
    "STATUS_CHANGED",
    "VERDICT_CHANGED",
    "ReportOptions",
    "ReportOutcome",
    "change_events",
    "emit_change_events",
    "report_flow",
]

recording_prefect_sigterm()  # before any flow here runs: flows/stopping.py says why

STATUS_CHANGED = "fleetcast.trigger.status-changed"
VERDICT_CHANGED = "fleetcast.drill.verdict-changed"
POWER_CHANGED = "fleetcast.power.status-changed"
CONSTRUCTION_CHANGED = "fleetcast.construction.status-changed"


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


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_changes(warehouse_path: Path, trigger_run_id: str) -> RunChanges:
    """Trigger status changes and drill verdict flips of this report since the one before."""
    return runs.report_changes(warehouse_path, trigger_run_id=trigger_run_id)


def _label(value: str | None) -> str:
    # Resource labels are strings: a pool only one report lists has no status on the other side.
    return "none" if value is None else value


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _related(changes: RunChanges) -> list[dict[str, str]]:
    """The reports compared, as related resources (Prefect adds the flow run itself)."""
    runs_compared = {
        "trigger-run": changes.trigger_run_id,
        "forecast-run": changes.forecast_run_id,
        "previous-trigger-run": changes.previous_trigger_run_id,
        "previous-forecast-run": changes.previous_forecast_run_id,
    }
    return [
        {
            "prefect.resource.id": f"fleetcast.{role.removeprefix('previous-')}.{run_id}",
            "prefect.resource.role": role,
            "prefect.resource.name": run_id,
        }
        for role, run_id in runs_compared.items()
        if run_id is not None
    ]


def _status_event(event: str, row: dict[str, Any], kind: tuple[str, str]) -> dict[str, Any]:
    """The event and resource of a status change of a (region, pool) trigger or a (region,
    site) power trigger: ``kind`` is (the resource's kind, the key beside the region)."""
    what, key = kind
    return {
        "event": event,
        "resource": {
            "prefect.resource.id": f"fleetcast.{what}.{row['region']}.{row[key]}",
            "prefect.resource.name": f"{row['region']}/{row[key]}",
            "fleetcast.region": row["region"],
            f"fleetcast.{key}": row[key],
            "fleetcast.change": row["change"],
            "fleetcast.status-before": _label(row["status_before"]),
            "fleetcast.status-now": _label(row["status_now"]),
        },
    }


def _dates(row: dict[str, Any], *names: str) -> dict[str, str | None]:
    """``<name>_before`` and ``<name>_now`` of ``row`` as ISO days (null when none)."""
    return {f"{n}_{when}": _day(row[f"{n}_{when}"]) for n in names for when in ("before", "now")}


def change_events(changes: RunChanges) -> list[dict[str, Any]]:
    """One event (``emit_event`` keyword arguments) per status change and per verdict flip.

    Trigger events: resource ``fleetcast.trigger.<region>.<pool>`` labelled with
    ``fleetcast.region``, ``fleetcast.pool``, ``fleetcast.change`` (new | resolved | changed),
    ``fleetcast.status-before`` and ``fleetcast.status-now`` ("none" where a report lacks the
    pool); payload: the runs compared and the order-by and exhaustion dates before and now
    (ISO days, null when not within the horizon). Drill events: resource
    ``fleetcast.drill.<name>`` labelled ``fleetcast.drill``, ``fleetcast.verdict-before`` and
    ``fleetcast.verdict-now``; payload: the drill runs compared. Power events: resource
    ``fleetcast.power.<region>.<site>`` labelled as trigger events with ``fleetcast.site`` for
    the pool; payload: the contract-power-by and exhaustion dates before and now. New-site
    events: resource ``fleetcast.construction.<region>`` labelled ``fleetcast.region``,
    ``fleetcast.change`` and the statuses ("not dated" where no build time is declared);
    payload: the start-by and ceilings' run-out dates before and now. No changes,
    no events; and none for a report whose comparison reached past identical reruns
    (``reruns_skipped``): the report before it already raised them, and an unchanged rerun
    alerts nothing.
    """
    if changes.reruns_skipped:
        return []
    related = _related(changes)
    compared = {
        "trigger_run_id": changes.trigger_run_id,
        "forecast_run_id": changes.forecast_run_id,
        "previous_trigger_run_id": changes.previous_trigger_run_id,
        "previous_forecast_run_id": changes.previous_forecast_run_id,
    }
    events: list[dict[str, Any]] = [
        _status_event(STATUS_CHANGED, r, ("trigger", "pool"))
        | {"related": related, "payload": {**compared, **_dates(r, "order_by", "exhaustion")}}
        for r in changes.triggers.iter_rows(named=True)
    ]
    events += [
        _status_event(POWER_CHANGED, r, ("power", "site"))
        | {"related": related, "payload": {**compared, **_dates(r, "contract_by", "exhaustion")}}
        for r in changes.power.iter_rows(named=True)
    ]
    for r in changes.construction.iter_rows(named=True):
        events.append(
            {
                "event": CONSTRUCTION_CHANGED,
                "resource": {
                    "prefect.resource.id": f"fleetcast.construction.{r['region']}",
                    "prefect.resource.name": r["region"],
                    "fleetcast.region": r["region"],
                    "fleetcast.change": r["change"],
                    "fleetcast.status-before": _label(r["status_before"]),
                    "fleetcast.status-now": _label(r["status_now"]),
                },
                "related": related,
                "payload": {**compared, **_dates(r, "start_by", "exhaustion")},
            }
        )
    for r in changes.drills.iter_rows(named=True):
        events.append(
            {
                "event": VERDICT_CHANGED,
                "resource": {
                    "prefect.resource.id": f"fleetcast.drill.{r['drill']}",
                    "prefect.resource.name": r["drill"],
                    "fleetcast.drill": r["drill"],
                    "fleetcast.verdict-before": r["verdict_before"],
                    "fleetcast.verdict-now": r["verdict_now"],
                },
                "related": related,
                "payload": {
                    **compared,
                    "drill_run_id_before": r["run_id_before"],
                    "drill_run_id_now": r["run_id_now"],
                },
            }
        )
    return events


def emit_change_events(changes: RunChanges) -> list[Event]:
    """Emit :func:`change_events` to the Prefect API; the events Prefect accepted to send."""
    emitted = (emit_event(**kwargs) for kwargs in change_events(changes))
    return [e for e in emitted if e is not None]


@flow(name="report", log_prints=True)
def report_flow(
    warehouse_path: Path,
    capacity_path: Path,
    reports_path: Path,
    options: ReportOptions | None = None,
) -> ReportOutcome:
    """Compute triggers for a forecast run, publish the pages and the Prefect artifacts, then
    emit one event per trigger or power status change and drill verdict flip since the previous
    report."""
    options = options or ReportOptions()
    logger = get_run_logger()
    plan = load_capacity(capacity_path)
    triggers = compute_triggers(warehouse_path, capacity_path, plan, options)
    inputs = gather_inputs(warehouse_path, plan, triggers, options)
    with runs.unpublished_said(triggers):
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
    changes = read_changes(warehouse_path, triggers.run_id)
    emitted = emit_change_events(changes)
    logger.info("%s; %s alert event(s) emitted", changes.summary(), len(emitted))
    if inputs.placed_dates:
        logger.warning("%s", inputs.placed_dates)
    elif inputs.stale:
        logger.warning(
            "telemetry is %s days old: the report says so on every page", inputs.stale_days
        )
    return outcome
