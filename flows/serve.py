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
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, Field, field_validator

from forecasting import runs
from forecasting.options import DrillOptions
from forecasting.runs import DrillOutcome, drill_scenarios
from forecasting.settings import Paths, RunnerKind, Settings, settings

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments.runner import RunnerDeployment

__all__ = [
    "DRILL_DEPLOYMENT",
    "WRITER_TAG",
    "ServeSettings",
    "ServerRunError",
    "api_url",
    "build_deployments",
    "drill_via_server",
    "ensure_writer_limit",
    "serve_deployments",
]

DRILL_DEPLOYMENT = "drill/adhoc"
WRITER_TAG = "warehouse-writer"
# The settings of forecasting.settings.Settings (FLEETCAST_*) that the deployments use.
SERVED = (
    "forecast_cron",
    "report_cron",
    "inbox_interval_minutes",
    "inbox",
    "task_runner",
    "workers",
    "dask_address",
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
            parameters={"inbox": str(settings.inbox), "warehouse_path": warehouse_path},
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


def serve_deployments(settings: ServeSettings, paths: Paths) -> None:
    """Register the deployments and run their flow runs until interrupted."""
    from prefect import serve

    ensure_writer_limit(settings.writer_limit)
    serve(*build_deployments(settings, paths))


def drill_via_server(
    warehouse_path: Path, capacity_path: Path, options: DrillOptions, *, timeout: float
) -> list[DrillOutcome]:
    """Run ``drill/adhoc`` on the server, wait for it, and read its stored results back."""
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    names = [s.name for s in drill_scenarios(options)]
    parameters: dict[str, Any] = {
        "warehouse_path": str(warehouse_path.resolve()),
        "capacity_path": str(capacity_path.resolve()),
        "options": options.model_dump(mode="json"),
    }
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
