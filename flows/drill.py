"""The drill flow: shocked demand played against the capacity plan on every forecast path."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger
from pydantic import BaseModel, Field

from forecasting import drills, warehouse
from forecasting.capacity import CapacityPlan, load_capacity
from forecasting.drills import DrillResult, Scenario
from forecasting.settings import DATA_DIR

__all__ = [
    "DRILLS_DIR",
    "AdhocDrill",
    "DrillOptions",
    "DrillOutcome",
    "drill_flow",
    "drill_scenarios",
]

DRILLS_DIR = DATA_DIR / "drills"


class AdhocDrill(BaseModel):
    """A drill described on the command line or as deployment parameters."""

    name: str | None = None
    target: str = Field(
        default="all", description="all | class:X | customer:X | customer:top | region:X"
    )
    multiplier: float = Field(default=2.0, gt=0, le=20)
    shape: str = Field(default="step", description="step | ramp:6w | spike:3d")
    start: str | None = Field(
        default=None, description="a date or +2w; default the first forecast day"
    )
    lose: tuple[str, ...] = ()
    slip: tuple[str, ...] = ()

    def scenario(self) -> Scenario:
        """The library's scenario for these arguments (errors name the argument)."""
        return drills.scenario_from_args(
            name=self.name,
            multiplier=self.multiplier,
            target=self.target,
            shape=self.shape,
            start=self.start,
            lose=self.lose,
            slip=self.slip,
        )


class DrillOptions(BaseModel):
    """Which drills to run and how hard to look for answers."""

    drills: tuple[str, ...] = Field(default=(), description="ready-made drill names; () = all")
    adhoc: AdhocDrill | None = None
    forecast_run_id: str | None = Field(default=None, description="default: the newest run")
    paths: int | None = Field(default=None, ge=1, description="default: every stored path")
    seed: int = 0
    answers: Literal["none", "failing", "all"] = "failing"
    answer_paths: int = Field(default=50, ge=5, description="paths used by the answer searches")
    max_blocks: int = Field(default=8, ge=1, le=64)


class DrillOutcome(BaseModel):
    """One drill's verdict for the CLI and the report flow."""

    run_id: str
    drill: str
    target: str
    passed: bool
    failing_classes: list[str]
    breaking_multiplier: float | None
    breaking_note: str | None
    blocks_needed: str | None
    capex_needed_usd: float | None
    kpis: list[dict[str, Any]]


def drill_scenarios(options: DrillOptions, *, directory: Path = DRILLS_DIR) -> list[Scenario]:
    """The scenarios the options name: ready-made ones from TOML, or the ad-hoc one."""
    if options.adhoc is not None:
        return [options.adhoc.scenario()]
    ready = drills.load_scenarios(directory)
    unknown = [d for d in options.drills if d not in ready]
    if unknown:
        raise drills.ScenarioError(
            f"no drill named {', '.join(unknown)} in {directory}; known: {', '.join(sorted(ready))}"
        )
    return [ready[d] for d in (options.drills or tuple(sorted(ready)))]


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def load_drill_inputs(
    warehouse_path: Path, forecast_run_id: str | None, paths: int | None, seed: int
) -> tuple[str, date, pl.DataFrame, pl.DataFrame]:
    """The forecast run's bottom-level paths and each class's hourly profile from history."""
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        run_id = forecast_run_id or wh.latest_forecast_run()
        if run_id is None:
            raise ValueError(
                f"{warehouse_path} holds no forecast run; run `fleetcast forecast` first"
            )
        runs = wh.forecast_runs().filter(pl.col("run_id") == run_id)
        if runs.is_empty():
            raise ValueError(f"no forecast run {run_id!r} in {warehouse_path}")
        sample = wh.run_frame("forecast_paths", run_id).with_columns(pl.col("y").cast(pl.Float64))
        hourly = wh.hourly_demand()
    stored = sample.get_column("sample_id").n_unique()
    if paths is not None and paths < stored:
        sample = sample.filter(pl.col("sample_id") < paths)
    elif paths is not None and paths > stored:
        # More paths than the forecast kept: draw whole stored paths again, with replacement,
        # so each drawn path stays coherent across series and days.
        draws = pl.DataFrame(
            {"sample_id": list(range(paths)), "source": _draws(stored, paths, seed)},
            schema={"sample_id": pl.Int32, "source": pl.Int32},
        )
        sample = draws.join(sample.rename({"sample_id": "source"}), on="source").drop("source")
    profile = drills.hourly_profile(
        hourly.group_by("ts", "region", "workload_class").agg(pl.col("y").sum())
    )
    as_of = runs.item(0, "as_of")
    return run_id, as_of, sample, profile


def _draws(stored: int, wanted: int, seed: int) -> list[int]:
    import numpy as np

    return [int(i) for i in np.random.default_rng(seed).integers(0, stored, size=wanted)]


def _blocks_text(additions: pl.DataFrame) -> str:
    return "; ".join(
        f"{r['count']} x {r['candidate']} in {r['region']}" for r in additions.iter_rows(named=True)
    )


@task(cache_policy=NO_CACHE)
def run_scenario(
    plan: CapacityPlan,
    paths: pl.DataFrame,
    profile: pl.DataFrame,
    scenario: Scenario,
    *,
    as_of: date,
    options: DrillOptions,
) -> tuple[DrillResult, dict[str, Any], pl.DataFrame]:
    """Play one scenario on every path; search the answers when the options ask."""
    started = time.perf_counter()
    result = drills.run_drill(plan, paths, profile, scenario)
    answers: dict[str, Any] = {
        "breaking_multiplier": None,
        "breaking_note": None,
        "blocks_pass": None,
        "capex_needed_usd": None,
    }
    additions = pl.DataFrame(schema=drills.ADDITIONS_SCHEMA)
    wanted = options.answers == "all" or (options.answers == "failing" and not result.passed)
    if wanted:
        few = paths.filter(pl.col("sample_id") < options.answer_paths)
        point = drills.breaking_multiplier(plan, few, profile, scenario)
        answers["breaking_multiplier"], answers["breaking_note"] = point.multiplier, point.note
        if not result.passed:
            search = drills.blocks_to_pass(
                plan, few, profile, scenario, run_date=as_of, max_blocks=options.max_blocks
            )
            additions = search.additions
            answers["blocks_pass"] = search.passed
            answers["capex_needed_usd"] = search.capex_usd
    answers["seconds"] = time.perf_counter() - started
    return result, answers, additions


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE, tags=["warehouse-writer"])
def save_drill(
    warehouse_path: Path,
    forecast_run_id: str,
    result: DrillResult,
    answers: dict[str, Any],
    additions: pl.DataFrame,
    seed: int,
) -> str:
    """Store one drill's verdicts, KPIs, blocks and answers in one transaction."""
    run_id = f"{result.scenario.name}-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    scenario = result.scenario
    run = {
        "run_id": run_id,
        "forecast_run_id": forecast_run_id,
        "drill": scenario.name,
        "description": scenario.description,
        "target": result.target,
        "multiplier": scenario.multiplier,
        "shape": str(scenario.shape),
        "shock_start": result.shock_start,
        "horizon_end": result.horizon_end,
        "paths": result.paths,
        "seed": seed,
        "passed": result.passed,
        "first_to_saturate": list(result.first_to_saturate),
        "notes": list(result.notes),
        "created_at": datetime.now(UTC),
        **answers,
    }
    frames = {
        "drill_verdicts": result.verdicts,
        "drill_kpis": result.kpis,
        "drill_blocks": result.blocks,
        "drill_additions": additions,
        "drill_curves": result.backlog_curve,
    }
    with warehouse.connect(warehouse_path) as wh:
        wh.save_run("drill_runs", run, frames)
    return run_id


@flow(name="drill", log_prints=True)
def drill_flow(
    warehouse_path: Path, capacity_path: Path, options: DrillOptions | None = None
) -> list[DrillOutcome]:
    """Run drills on the newest (or a chosen) forecast run and store every result."""
    options = options or DrillOptions()
    logger = get_run_logger()
    plan = load_capacity(capacity_path)
    scenarios = drill_scenarios(options)
    run_id, as_of, paths, profile = load_drill_inputs(
        warehouse_path, options.forecast_run_id, options.paths, options.seed
    )
    outcomes = []
    for scenario in scenarios:
        result, answers, additions = run_scenario(
            plan, paths, profile, scenario, as_of=as_of, options=options
        )
        drill_run = save_drill(warehouse_path, run_id, result, answers, additions, options.seed)
        failing = result.verdicts.filter(~pl.col("passed")).get_column("workload_class").to_list()
        logger.info("drill %s: %s", scenario.name, "pass" if result.passed else f"fail {failing}")
        outcomes.append(
            DrillOutcome(
                run_id=drill_run,
                drill=scenario.name,
                target=result.target,
                passed=result.passed,
                failing_classes=failing,
                breaking_multiplier=answers["breaking_multiplier"],
                breaking_note=answers["breaking_note"],
                blocks_needed=_blocks_text(additions) or None,
                capex_needed_usd=answers["capex_needed_usd"],
                kpis=result.kpis.filter(pl.col("workload_class") == "all").to_dicts(),
            )
        )
    return outcomes
