"""The drill flow: shocked demand played against the capacity plan on every forecast path."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from flows.stopping import recording_prefect_sigterm
from forecasting import runs
from forecasting.capacity import CapacityPlan, load_capacity
from forecasting.drills import Scenario, fields_said_as
from forecasting.options import AdhocDrill, DrillOptions
from forecasting.runs import (
    DrillBatch,
    DrillInputs,
    DrillNotPlayed,
    DrillOutcome,
    PlayedDrill,
    drill_scenarios,
)
from forecasting.schema import BORDERLINE

__all__ = [
    "AdhocDrill",
    "DrillBatch",
    "DrillOptions",
    "DrillOutcome",
    "drill_flow",
    "drill_scenarios",
]

recording_prefect_sigterm()  # before any flow here runs: flows/stopping.py says why


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def load_drill_inputs(
    warehouse_path: Path,
    forecast_run_id: str | None,
    paths: int | None,
    seed: int,
    *,
    customers: tuple[str, ...] = (),
) -> DrillInputs:
    """The forecast run's bottom-level paths, each class's day shapes from history, and the
    fold of each customer drilled by name."""
    return runs.drill_inputs(warehouse_path, forecast_run_id, paths, seed, customers=customers)


@task(cache_policy=NO_CACHE)
def run_scenario(
    plan: CapacityPlan,
    paths: pl.DataFrame,
    shapes: pl.DataFrame,
    scenario: Scenario,
    *,
    as_of: date,
    options: DrillOptions,
    fold: runs.CustomerFold | None = None,
    book_only: tuple[str, ...] = (),
    stored: pl.DataFrame | None = None,
) -> PlayedDrill | DrillNotPlayed:
    """Play one scenario on every path, or say why it cannot be played here."""
    return runs.play_drill(
        plan, paths, shapes, scenario, as_of=as_of, options=options, fold=fold,
        book_only=book_only, stored=stored,
    )  # fmt: skip


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE, tags=["warehouse-writer"])
def save_drill(
    warehouse_path: Path, forecast_run_id: str, played: PlayedDrill, seed: int, *, plan_sha256: str
) -> DrillOutcome:
    """Store one drill's verdicts, KPIs, blocks and answers in one transaction, with the
    sha256 of the plan file it was played on."""
    return runs.save_drill(warehouse_path, forecast_run_id, played, seed, plan_sha256=plan_sha256)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE, tags=["warehouse-writer"])
def record_not_played(
    warehouse_path: Path, forecast_run_id: str, not_played: DrillNotPlayed
) -> DrillNotPlayed:
    """Store why a drill was not played on this forecast run, for the platform page."""
    return runs.save_not_played(warehouse_path, forecast_run_id, not_played)


def _replay(
    plan: CapacityPlan,
    inputs: DrillInputs,
    scenario: Scenario,
    options: DrillOptions,
    paths: pl.DataFrame,
) -> PlayedDrill | DrillNotPlayed:
    """``scenario`` played again on ``paths`` (more of those the forecast stored)."""
    return run_scenario(
        plan, paths, inputs.shapes, scenario, as_of=inputs.forecast.as_of, options=options,
        fold=inputs.folds.get(scenario.target.name or ""), book_only=inputs.book_only,
        stored=inputs.stored,
    )  # fmt: skip


@flow(name="drill", log_prints=True)
def drill_flow(
    warehouse_path: Path,
    capacity_path: Path,
    options: DrillOptions | None = None,
    field_names: dict[str, str] | None = None,
) -> DrillBatch:
    """Run drills on the newest (or a chosen) forecast run and store every result.

    ``field_names``: the caller's words for the scenario's fields (`fleetcast drill`'s flags,
    forecasting.drills.field_said_as), in which a drill not played is logged; its stored
    reason names the fields as a drill file does."""
    options = options or DrillOptions()
    names = field_names or {}
    logger = get_run_logger()
    plan = load_capacity(capacity_path)
    plan_sha256 = runs.capacity_sha256(capacity_path)
    scenarios = drill_scenarios(options)
    inputs = load_drill_inputs(
        warehouse_path, options.forecast_run_id, options.paths, options.seed,
        customers=runs.drilled_customers(scenarios),
    )  # fmt: skip
    batch = DrillBatch(played=[])
    for refused in runs.refused_drills(options):
        logger.warning("drill %s not played: %s", refused.drill, refused.reason)
        batch.not_played.append(record_not_played(warehouse_path, inputs.forecast.run_id, refused))
    for scenario in scenarios:
        played = run_scenario(
            plan,
            inputs.paths,
            inputs.shapes,
            scenario,
            as_of=inputs.forecast.as_of,
            options=options,
            fold=inputs.folds.get(scenario.target.name or ""),
            book_only=inputs.book_only,
            stored=inputs.stored,
        )
        if inputs.stored is not None and isinstance(played, PlayedDrill):
            # A verdict the first paths leave borderline draws on the rest the forecast stored.
            played = runs.settled_play(
                played, inputs.stored, partial(_replay, plan, inputs, scenario, options)
            )
        if isinstance(played, DrillNotPlayed):
            said = fields_said_as(played.reason, names)
            logger.warning("drill %s not played: %s", played.drill, said)
            batch.not_played.append(
                record_not_played(warehouse_path, inputs.forecast.run_id, played)
            )
            continue
        outcome = save_drill(
            warehouse_path, inputs.forecast.run_id, played, options.seed, plan_sha256=plan_sha256
        )
        verdict = outcome.verdict or ("pass" if outcome.passed else "fail")
        if outcome.verdict == BORDERLINE and outcome.unverified:
            verdict = outcome.unverified  # "borderline at 200 paths: pass or fails ..."
        elif not outcome.passed:
            verdict += f" {outcome.unshocked_failures or outcome.failing_classes}"
        if outcome.unverified and outcome.verdict != BORDERLINE:
            verdict += f": {outcome.unverified}"
        logger.info(
            "drill %s: %s; time to absorb %s", scenario.name, verdict, outcome.absorb_text or "n/a"
        )
        batch.played.append(outcome)
    return batch
