"""The report flow: a forecast run's triggers, drills and history -> published pages + artifacts."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger
from pydantic import BaseModel, Field

from forecasting import concentration, demand, warehouse
from forecasting.capacity import CapacityPlan, capacity_timeline, load_capacity
from forecasting.report import ReportInputs, publish_report
from forecasting.triggers import TriggerSettings, expansion_triggers, mw_by_site_month

__all__ = ["ReportOptions", "ReportOutcome", "report_flow"]


class ReportOptions(BaseModel):
    """Which run to report and how cautious the triggers are."""

    forecast_run_id: str | None = Field(default=None, description="default: the newest run")
    quantile: str = Field(default="q90", pattern="^q(10|50|90|99)$")
    buffer_weeks: int = Field(default=4, ge=0, le=52)
    idle_weeks: int = Field(default=13, ge=1, le=104)
    customers_per_class: int = Field(default=10, ge=1, le=200)


class ReportOutcome(BaseModel):
    """Where the report went and what it says, for the CLI and the pipeline."""

    run_id: str
    path: Path
    statuses: dict[str, int]
    failing_drills: list[str]
    stale_days: int | None
    triggers: list[dict[str, Any]]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE, tags=["warehouse-writer"])
def compute_triggers(
    warehouse_path: Path, capacity_path: Path, plan: CapacityPlan, options: ReportOptions
) -> tuple[str, date]:
    """Expansion triggers of a forecast run against the plan, stored (replacing a rerun's)."""
    with warehouse.connect(warehouse_path) as wh:
        run_id = options.forecast_run_id or wh.latest_forecast_run()
        if run_id is None:
            raise ValueError(
                f"{warehouse_path} holds no forecast run; run `fleetcast forecast` first"
            )
        runs = wh.forecast_runs().filter(pl.col("run_id") == run_id)
        if runs.is_empty():
            raise ValueError(f"no forecast run {run_id!r} in {warehouse_path}")
        as_of: date = runs.item(0, "as_of")
        forecast = wh.run_frame("forecasts", run_id)
        settings = TriggerSettings(
            quantile=options.quantile,
            buffer_weeks=options.buffer_weeks,
            idle_weeks=options.idle_weeks,
        )
        result = expansion_triggers(forecast, plan, as_of=as_of, settings=settings)
        end = forecast.get_column("ds").max()
        assert isinstance(end, date)  # a stored run has days
        power = mw_by_site_month(plan, result.triggers, start=as_of, end=end)
        run = {
            "run_id": run_id,
            "forecast_run_id": run_id,
            "as_of": as_of,
            "quantile": options.quantile,
            "buffer_weeks": options.buffer_weeks,
            "capacity_sha256": _sha256(capacity_path),
            "created_at": datetime.now(UTC),
        }
        frames = {
            "triggers": result.triggers,
            "trigger_drivers": result.drivers,
            "idle_risk": result.idle_risk,
            "site_power": power,
        }
        wh.save_run("trigger_runs", run, frames, replace=True)
    return run_id, as_of


def _concentration(history: pl.DataFrame, paths: pl.DataFrame) -> pl.DataFrame:
    """History and forecast of top-1/top-5 share and HHI, long, in the report's columns."""
    metrics = ["top1_share", "top5_share", "hhi"]
    scope = (
        pl.when(pl.col("workload_class") == "all")
        .then(pl.lit("overall"))
        .otherwise(pl.col("workload_class"))
    )
    past = (
        concentration.concentration_history(history)
        .unpivot(
            index=["workload_class", "ds"], on=metrics, variable_name="metric", value_name="value"
        )
        .with_columns(scope.alias("scope"), pl.lit("history").alias("source"))
        .with_columns(
            q10=pl.lit(None, pl.Float64), q50=pl.lit(None, pl.Float64), q90=pl.lit(None, pl.Float64)
        )
    )
    future = concentration.concentration_forecast(paths).with_columns(
        scope.alias("scope"), pl.lit("forecast").alias("source"), pl.col("q50").alias("value")
    )
    columns = ["scope", "ds", "metric", "source", "value", "q10", "q50", "q90"]
    return pl.concat([past.select(columns), future.select(columns)], how="vertical_relaxed")


def _drill_frames(wh: warehouse.Warehouse, forecast_run_id: str) -> dict[str, pl.DataFrame]:
    """The newest stored result of each drill on this forecast run, shaped for the report."""
    runs = wh.drill_runs(forecast_run_id=forecast_run_id).unique("drill", keep="first")
    ids = runs.get_column("run_id").to_list()
    names = runs.select("run_id", "drill")
    additions = wh.runs_frame("drill_additions", ids)
    blocks_needed = additions.group_by("run_id").agg(
        pl.format("{} x {} in {}", "count", "candidate", "region")
        .str.join("; ")
        .alias("blocks_needed")
    )

    def named(table: str) -> pl.DataFrame:
        return wh.runs_frame(table, ids).join(names, on="run_id").drop("run_id")

    answers = runs.join(blocks_needed, on="run_id", how="left").select(
        "drill",
        "description",
        "target",
        "shock_start",
        "passed",
        "breaking_multiplier",
        "blocks_needed",
        "capex_needed_usd",
    )
    return {
        "drill_verdicts": named("drill_verdicts"),
        "drill_kpis": named("drill_kpis"),
        "drill_answers": answers,
        "drill_curves": named("drill_curves"),
    }


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def gather_inputs(
    warehouse_path: Path, plan: CapacityPlan, run_id: str, as_of: date, options: ReportOptions
) -> ReportInputs:
    """Everything the pages show, read from the warehouse for one forecast run."""
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        hourly = wh.hourly_demand()
        newest = wh.newest_telemetry()
        forecast = wh.run_frame("forecasts", run_id)
        summary = wh.run_frame("forecast_summary", run_id)
        backtest = wh.run_frame("backtests", run_id)
        paths = wh.run_frame("forecast_paths", run_id).with_columns(pl.col("y").cast(pl.Float64))
        previous = wh.latest_forecast_run(before=run_id)
        previous_triggers = wh.run_frame("triggers", previous) if previous else None
        drills = _drill_frames(wh, run_id)
        triggers = wh.run_frame("triggers", run_id)
        drivers = wh.run_frame("trigger_drivers", run_id)
        idle = wh.run_frame("idle_risk", run_id)
        power = wh.run_frame("site_power", run_id)
    history = demand.demand_series(hourly, customers_per_class=options.customers_per_class)
    end = forecast.get_column("ds").max()
    assert isinstance(end, date)
    start = history.get_column("ds").min()
    assert isinstance(start, date)
    now = datetime.now(UTC)
    return ReportInputs(
        run_id=run_id,
        as_of=as_of,
        generated_at=now,
        plan=plan,
        stale_days=None if newest is None else (now - newest).days,
        history=history,
        forecast=forecast.with_columns(pl.lit(run_id).alias("run_id")),
        backtest=backtest,
        chosen=summary.select("unique_id", "measure", "model"),
        capacity=capacity_timeline(plan, start=start, end=end),
        triggers=triggers,
        drivers=drivers,
        idle_risk=idle,
        mw_by_site_month=power,
        concentration=_concentration(history, paths),
        previous_triggers=previous_triggers if previous_triggers is not None else pl.DataFrame(),
        previous_run_id=previous,
        **drills,
    )


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def publish(inputs: ReportInputs, reports_path: Path) -> Path:
    """Write the pages to a temporary folder and swap them into place."""
    return publish_report(inputs, root=reports_path)


def _summary_markdown(inputs: ReportInputs, path: Path) -> str:
    triggers = inputs.triggers.sort("status", "order_by", nulls_last=True)
    lines = [
        f"# fleetcast report {inputs.run_id}",
        f"As of {inputs.as_of}; report: `{path / 'index.html'}`.",
    ]
    if inputs.stale:
        lines.append(f"**Stale data:** the newest telemetry is {inputs.stale_days} days old.")
    lines += [
        "",
        "| region | pool | status | exhaustion | order by | order |",
        "|---|---|---|---|---|---|",
    ]
    for t in triggers.iter_rows(named=True):
        order = f"{t['blocks_to_order']} x {t['candidate']}" if t["blocks_to_order"] else "none"
        lines.append(
            f"| {t['region']} | {t['pool']} | {t['status']} | {t['exhaustion_date'] or '-'} "
            f"| {t['order_by'] or '-'} | {order} |"
        )
    failing = inputs.drill_answers.filter(~pl.col("passed")).get_column("drill").to_list()
    lines += ["", f"Failing drills: {', '.join(failing) if failing else 'none'}."]
    return "\n".join(lines)


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
    run_id, as_of = compute_triggers(warehouse_path, capacity_path, plan, options)
    inputs = gather_inputs(warehouse_path, plan, run_id, as_of, options)
    path = publish(inputs, reports_path)
    create_markdown_artifact(
        key="fleetcast-summary",
        markdown=_summary_markdown(inputs, path),
        description="triggers and drills",
    )
    table = inputs.triggers.select(
        "region",
        "pool",
        "status",
        "exhaustion_date",
        "order_by",
        "candidate",
        "blocks_to_order",
        "capex_usd",
        "mw",
    ).with_columns(pl.col(pl.Date).cast(pl.String))
    create_table_artifact(
        key="fleetcast-triggers", table=table.to_dicts(), description="expansion triggers"
    )
    create_link_artifact(
        key="fleetcast-report",
        link=(path / "index.html").resolve().as_uri(),
        link_text=f"report {run_id}",
    )
    if inputs.stale:
        logger.warning(
            "telemetry is %s days old: the report says so on every page", inputs.stale_days
        )
    statuses = inputs.triggers.group_by("status").len()
    return ReportOutcome(
        run_id=run_id,
        path=path,
        statuses=dict(zip(statuses["status"], statuses["len"], strict=True)),
        failing_drills=inputs.drill_answers.filter(~pl.col("passed")).get_column("drill").to_list(),
        stale_days=inputs.stale_days,
        triggers=table.to_dicts(),
    )
