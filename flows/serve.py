"""`fleetcast serve`: the flows as scheduled deployments on a Prefect server.

Five deployments, served by one long-running process (``prefect.serve``):

- ``forecast/daily``: the forecast flow on a cron schedule (``FLEETCAST_FORECAST_CRON``,
  default ``0 2 * * *``, UTC) on the task runner of ``FLEETCAST_TASK_RUNNER``;
- ``report/weekly``: triggers and published reports (``FLEETCAST_REPORT_CRON``, default
  ``0 6 * * 1``, Mondays 06:00 UTC);
- ``ingest-inbox/every-15-minutes``: new files of the inbox folder (``FLEETCAST_INBOX``, default
  ``data/inbox``) every ``FLEETCAST_INBOX_INTERVAL_MINUTES`` (default 15) minutes;
- ``drill/adhoc``: no schedule; ``fleetcast drill ... --via-server`` or
  ``prefect deployment run 'drill/adhoc' --param ...`` runs it;
- ``whatif/adhoc``: no schedule; ``prefect deployment run 'whatif/adhoc' --param
  options='{"customer": ..., "workload_class": ..., "region": ..., "ramp": ...}'`` weighs a deal
  and publishes its page under ``reports/whatif/``.

Every deployment's parameters are its flow's typed parameters, with the warehouse, capacity and
reports paths filled in from ``FLEETCAST_WAREHOUSE`` etc. Only one task writes the warehouse at a
time: the writing tasks carry the tag ``warehouse-writer``, whose concurrency limit of 1 is
created here; the warehouse's own lock (WarehouseBusyError) stays the last line of defence.

Alerts: with ``FLEETCAST_ALERT_WEBHOOK`` set, serve also creates (or updates, by name) a Custom
Webhook notification block ``fleetcast-alerts`` posting to that URL and an automation
``fleetcast alerts`` that sends it one notification per ``fleetcast.trigger.status-changed`` or
``fleetcast.drill.verdict-changed`` event the report flow emits. The Prefect server's triggers
and actions services (on by default) evaluate the automation and send the notification.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from forecasting import runs
from forecasting.options import DrillOptions
from forecasting.runs import DrillBatch, drill_scenarios
from forecasting.settings import Paths, RunnerKind, Settings, settings

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments.runner import RunnerDeployment

__all__ = [
    "ALERT_AUTOMATION",
    "ALERT_BLOCK",
    "ALERT_BODY",
    "ALERT_SUBJECT",
    "DRILL_DEPLOYMENT",
    "WRITER_TAG",
    "ServeSettings",
    "ServerRunError",
    "api_url",
    "build_deployments",
    "drill_via_server",
    "ensure_alert_automation",
    "ensure_writer_limit",
    "serve_deployments",
]

DRILL_DEPLOYMENT = "drill/adhoc"
WRITER_TAG = "warehouse-writer"
ALERT_BLOCK = "fleetcast-alerts"  # the Custom Webhook block document's name
ALERT_AUTOMATION = "fleetcast alerts"
# Jinja templates the server renders with the triggering event (labels set by flows.report).
ALERT_SUBJECT = (
    "fleetcast: {% if event.event == 'fleetcast.trigger.status-changed' %}"
    "{{ event.resource['fleetcast.region'] }}/{{ event.resource['fleetcast.pool'] }} "
    "{{ event.resource['fleetcast.status-before'] }} -> "
    "{{ event.resource['fleetcast.status-now'] }}"
    "{% elif event.event == 'fleetcast.power.status-changed' %}power "
    "{{ event.resource['fleetcast.region'] }}/{{ event.resource['fleetcast.site'] }} "
    "{{ event.resource['fleetcast.status-before'] }} -> "
    "{{ event.resource['fleetcast.status-now'] }}"
    "{% elif event.event == 'fleetcast.construction.status-changed' %}new site "
    "{{ event.resource['fleetcast.region'] }} "
    "{{ event.resource['fleetcast.status-before'] }} -> "
    "{{ event.resource['fleetcast.status-now'] }}"
    "{% else %}drill {{ event.resource['fleetcast.drill'] }} "
    "{{ event.resource['fleetcast.verdict-before'] }} -> "
    "{{ event.resource['fleetcast.verdict-now'] }}{% endif %}"
)
ALERT_BODY = (
    "{% if event.event == 'fleetcast.trigger.status-changed' %}"
    "Expansion trigger {{ event.resource['fleetcast.region'] }}/"
    "{{ event.resource['fleetcast.pool'] }} ({{ event.resource['fleetcast.change'] }}): "
    "status {{ event.resource['fleetcast.status-before'] }} -> "
    "{{ event.resource['fleetcast.status-now'] }}; "
    "order by {{ event.payload.order_by_before or 'none' }} -> "
    "{{ event.payload.order_by_now or 'none' }}; "
    "exhaustion {{ event.payload.exhaustion_before or 'none' }} -> "
    "{{ event.payload.exhaustion_now or 'none' }}."
    "{% elif event.event == 'fleetcast.power.status-changed' %}"
    "Power at site {{ event.resource['fleetcast.region'] }}/"
    "{{ event.resource['fleetcast.site'] }} ({{ event.resource['fleetcast.change'] }}): "
    "status {{ event.resource['fleetcast.status-before'] }} -> "
    "{{ event.resource['fleetcast.status-now'] }}; "
    "contract power by {{ event.payload.contract_by_before or 'none' }} -> "
    "{{ event.payload.contract_by_now or 'none' }}; "
    "MW exhausted {{ event.payload.exhaustion_before or 'none' }} -> "
    "{{ event.payload.exhaustion_now or 'none' }}."
    "{% elif event.event == 'fleetcast.construction.status-changed' %}"
    "New site in {{ event.resource['fleetcast.region'] }} "
    "({{ event.resource['fleetcast.change'] }}): "
    "status {{ event.resource['fleetcast.status-before'] }} -> "
    "{{ event.resource['fleetcast.status-now'] }}; "
    "start a new site by {{ event.payload.start_by_before or 'none' }} -> "
    "{{ event.payload.start_by_now or 'none' }}; "
    "site ceilings run out {{ event.payload.exhaustion_before or 'none' }} -> "
    "{{ event.payload.exhaustion_now or 'none' }}."
    "{% else %}Drill {{ event.resource['fleetcast.drill'] }}: verdict "
    "{{ event.resource['fleetcast.verdict-before'] }} -> "
    "{{ event.resource['fleetcast.verdict-now'] }} (drill runs "
    "{{ event.payload.drill_run_id_before }} -> {{ event.payload.drill_run_id_now }}).{% endif %}"
    "\nReport {{ event.payload.trigger_run_id }} on forecast {{ event.payload.forecast_run_id }}, "
    "compared with report {{ event.payload.previous_trigger_run_id }} on forecast "
    "{{ event.payload.previous_forecast_run_id }}."
)
# The settings of forecasting.settings.Settings (FLEETCAST_*) that the deployments use.
SERVED = (
    "forecast_cron",
    "report_cron",
    "inbox_interval_minutes",
    "inbox",
    "task_runner",
    "workers",
    "dask_address",
    "alert_webhook",
)
_DEFAULTS = Settings.model_fields


class ServerRunError(RuntimeError):
    """A run through the Prefect server did not complete; the message says why."""


class ServeSettings(BaseModel):
    """Schedules and runner of the served deployments (all times UTC)."""

    forecast_cron: str = _DEFAULTS["forecast_cron"].default
    report_cron: str = _DEFAULTS["report_cron"].default
    inbox_interval_minutes: int = Field(
        default=_DEFAULTS["inbox_interval_minutes"].default, ge=1, le=24 * 60
    )
    inbox: Path = _DEFAULTS["inbox"].default
    task_runner: RunnerKind = _DEFAULTS["task_runner"].default
    workers: int | None = Field(default=None, ge=1)
    dask_address: str | None = None
    writer_limit: int = Field(default=1, ge=1, description="tasks writing the warehouse at once")
    alert_webhook: str | None = Field(
        default=None, description=_DEFAULTS["alert_webhook"].description
    )

    @field_validator("forecast_cron", "report_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from prefect.client.schemas.schedules import CronSchedule

        CronSchedule(cron=value, timezone="UTC")  # raises with the reason on a bad expression
        return value

    @classmethod
    def from_env(cls) -> ServeSettings:
        """Settings from ``FLEETCAST_*`` variables (forecasting.settings); unset keep defaults."""
        return cls.model_validate(settings().model_dump(include=set(SERVED)))


def api_url() -> str | None:
    """The Prefect API this process talks to (PREFECT_API_URL or the active profile)."""
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def build_deployments(settings: ServeSettings, paths: Paths) -> list[RunnerDeployment]:
    """The five deployments with their schedules and filled-in default parameters."""
    from prefect.schedules import Cron, Interval

    from flows.drill import drill_flow
    from flows.forecast import ForecastOptions, forecast_flow
    from flows.ingest import ingest_inbox
    from flows.report import report_flow
    from flows.runners import task_runner_for
    from flows.whatif import whatif_flow

    forecast_options = ForecastOptions(
        task_runner=settings.task_runner,
        workers=settings.workers,
        dask_address=settings.dask_address,
    )
    runner = task_runner_for(
        settings.task_runner, workers=settings.workers, dask_address=settings.dask_address
    )
    warehouse_path, capacity_path = str(paths.warehouse), str(paths.capacity)
    minutes = settings.inbox_interval_minutes
    # to_deployment and run_deployment are sync here (no event loop); cast() tells mypy so.
    deployments = [
        forecast_flow.with_options(task_runner=runner).to_deployment(
            name="daily",
            description="Forecast every demand series and store the run.",
            schedules=[Cron(settings.forecast_cron, timezone="UTC")],
            parameters={
                "warehouse_path": warehouse_path,
                "options": forecast_options.model_dump(mode="json"),
            },
            concurrency_limit=1,
            tags=["fleetcast", "forecast"],
        ),
        report_flow.to_deployment(
            name="weekly",
            description="Expansion triggers of the newest forecast run; publish the reports.",
            schedules=[Cron(settings.report_cron, timezone="UTC")],
            parameters={
                "warehouse_path": warehouse_path,
                "capacity_path": capacity_path,
                "reports_path": str(paths.reports),
            },
            concurrency_limit=1,
            tags=["fleetcast", "report"],
        ),
        ingest_inbox.to_deployment(
            name=f"every-{minutes}-minutes",
            description="Ingest new telemetry files from the inbox; seen files are skipped.",
            schedules=[Interval(timedelta(minutes=minutes), timezone="UTC")],
            parameters={
                "inbox": str(settings.inbox),
                "warehouse_path": warehouse_path,
                "capacity_path": capacity_path,
            },
            concurrency_limit=1,
            tags=["fleetcast", "ingest"],
        ),
        drill_flow.to_deployment(
            name="adhoc",
            description="Shock drills on demand: ready-made by name, or options.adhoc.",
            parameters={"warehouse_path": warehouse_path, "capacity_path": capacity_path},
            tags=["fleetcast", "drill"],
        ),
        whatif_flow.to_deployment(
            name="adhoc",
            description="Weigh a deal before it is signed: serve from when, orders, capex.",
            parameters={
                "warehouse_path": warehouse_path,
                "capacity_path": capacity_path,
                "reports_path": str(paths.reports),
            },
            tags=["fleetcast", "whatif"],
        ),
    ]
    return cast("list[RunnerDeployment]", deployments)


def ensure_writer_limit(limit: int = 1) -> None:
    """Create (or reset) the ``warehouse-writer`` tag concurrency limit; safe to repeat."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        # POST /concurrency_limits/ upserts by tag: a second serve updates, never duplicates.
        client.create_concurrency_limit(tag=WRITER_TAG, concurrency_limit=limit)


def ensure_alert_automation(url: str) -> UUID:
    """Create or update the alert webhook block and automation (by name); their automation id.

    The block (``ALERT_BLOCK``) posts JSON ``{"subject": ..., "body": ...}`` to ``url``; the
    automation (``ALERT_AUTOMATION``) fires once per status-changed or verdict-changed event
    (reactive, threshold 1, within 0) and sends the block :data:`ALERT_SUBJECT` and
    :data:`ALERT_BODY` rendered with the event. Safe to repeat: a second call updates both,
    and removes any extra automation of the same name.
    """
    from prefect.automations import Automation, EventTrigger, Posture, SendNotification
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client

    from flows.report import (
        CONSTRUCTION_CHANGED,
        POWER_CHANGED,
        STATUS_CHANGED,
        VERDICT_CHANGED,
    )

    block = CustomWebhookNotificationBlock(
        name=ALERT_BLOCK,
        url=url,
        method="POST",
        json_data={"subject": "{{subject}}", "body": "{{body}}"},
        headers=None,
        cookies=None,
    )
    # save() returns the block document's id; overwrite keeps one document under the name.
    block_id = cast("UUID", block.save(ALERT_BLOCK, overwrite=True))
    automation = Automation(
        name=ALERT_AUTOMATION,
        description=(
            "fleetcast: a trigger's, a site's power or a new site's status, or a drill's "
            "verdict, changed between reports"
        ),
        enabled=True,
        trigger=EventTrigger(
            expect={STATUS_CHANGED, POWER_CHANGED, CONSTRUCTION_CHANGED, VERDICT_CHANGED},
            match={
                "prefect.resource.id": [
                    "fleetcast.trigger.*",
                    "fleetcast.power.*",
                    "fleetcast.construction.*",
                    "fleetcast.drill.*",
                ]
            },
            for_each={"prefect.resource.id"},
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[
            SendNotification(block_document_id=block_id, subject=ALERT_SUBJECT, body=ALERT_BODY)
        ],
    )
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(ALERT_AUTOMATION)
        for extra in existing[1:]:
            client.delete_automation(extra.id)
    if existing:
        automation.id = existing[0].id
        automation.update()
        return existing[0].id
    created = cast("Automation", automation.create())
    assert created.id is not None  # set by create()
    return created.id


def serve_deployments(settings: ServeSettings, paths: Paths) -> None:
    """Register the deployments (and, with an alert webhook, the alert automation) and run
    their flow runs until interrupted."""
    from prefect import serve

    ensure_writer_limit(settings.writer_limit)
    if settings.alert_webhook:
        ensure_alert_automation(settings.alert_webhook)
    serve(*build_deployments(settings, paths))


def drill_via_server(
    warehouse_path: Path,
    capacity_path: Path,
    options: DrillOptions,
    *,
    timeout: float,
    field_names: dict[str, str] | None = None,
) -> DrillBatch:
    """Run ``drill/adhoc`` on the server, wait for it, and read its stored results back.
    ``field_names``: the caller's words for the scenario's fields, which the server's log of a
    drill not played then uses (:func:`flows.drill.drill_flow`)."""
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    names = [s.name for s in drill_scenarios(options)]
    parameters: dict[str, Any] = {
        "warehouse_path": str(warehouse_path.resolve()),
        "capacity_path": str(capacity_path.resolve()),
        "options": options.model_dump(mode="json"),
    }
    if field_names:
        parameters["field_names"] = field_names
    try:
        flow_run = cast(
            "FlowRun",
            run_deployment(
                DRILL_DEPLOYMENT,
                parameters=parameters,
                timeout=timeout,
                poll_interval=2,
                as_subflow=False,
            ),
        )
    except ObjectNotFound:
        raise ServerRunError(
            f"no deployment {DRILL_DEPLOYMENT!r} on {api_url()}; start `fleetcast serve` first"
        ) from None
    state = flow_run.state
    where = f"flow run {flow_run.name} ({flow_run.id})"
    if state is None or not state.is_final():
        raise ServerRunError(
            f"{where} did not finish within {timeout:.0f} s (state "
            f"{state.name if state else 'unknown'}); is `fleetcast serve` running?"
        )
    if not state.is_completed():
        raise ServerRunError(f"{where} ended {state.name}: {state.message or 'no message'}")
    started = flow_run.start_time or flow_run.created or datetime.now(UTC)
    ended = flow_run.end_time or datetime.now(UTC)
    try:
        return runs.stored_drill_outcomes(warehouse_path, names, since=started, until=ended)
    except runs.RunNotFoundError as exc:
        raise ServerRunError(f"{where} completed but {exc}") from None
