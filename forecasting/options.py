"""What each run does: the typed options of forecast, drill, report and pipeline runs.

Plain pydantic models, importable without prefect or the model zoo, so the CLI reads its
defaults and help from these fields and runs a step without starting a flow. The fields are
also the parameters of the served deployments.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self, get_args

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic.fields import FieldInfo

from forecasting.schema import (
    DEFAULT_HORIZON_DAYS,
    MAX_HORIZON_DAYS,
    MAX_HORIZON_MONTHS,
    MAX_SHOCK_MULTIPLIER,
    MIN_HORIZON_DAYS,
    shock_multiplier_problem,
)
from forecasting.settings import RunnerKind

if TYPE_CHECKING:  # the drill and forecast modules load numba and scipy: only for types
    from forecasting.drills import Scenario
    from forecasting.forecast import ForecastSettings

__all__ = [
    "QUANTILE_CHOICES",
    "AdhocDrill",
    "Answers",
    "DecisionOptions",
    "DrillOptions",
    "ForecastOptions",
    "PipelineOptions",
    "Quantile",
    "Reconciliation",
    "ReportOptions",
    "RunnerKind",
    "WhatIfOptions",
    "every_days",
    "field_default",
    "field_help",
]

Quantile = Literal["q50", "q90", "q99"]
QUANTILE_CHOICES: tuple[str, ...] = get_args(Quantile)
Reconciliation = Literal["auto", "bottom_up", "mint_shrink"]
Answers = Literal["none", "failing", "all"]


def _default_models() -> tuple[str, ...]:
    # Lazy: forecasting.models loads scipy (~1 s), which `fleetcast --help` must not pay.
    from forecasting.models import DEFAULT_MODELS

    return DEFAULT_MODELS


class ForecastOptions(BaseModel):
    """What a forecast run does; every field has the planning default."""

    as_of: date | None = Field(default=None, description="last day of history used; default newest")
    horizon_days: int = Field(
        default=DEFAULT_HORIZON_DAYS,
        ge=MIN_HORIZON_DAYS,
        le=MAX_HORIZON_DAYS,
        description="days forecast ahead, daily; weeks as 26w",
    )
    horizon_months: int = Field(
        default=36,
        ge=0,
        le=MAX_HORIZON_MONTHS,
        description="months the plan reaches, monthly past the daily days (0: daily only); "
        "raised to the plan's longest lead time plus the buffer",
    )
    capacity: Path | None = Field(
        default=None, description="capacity plan whose lead times the plan horizon must reach"
    )
    models: tuple[str, ...] = Field(
        default_factory=_default_models, description="candidate models, chosen by backtest"
    )
    fixed_model: str | None = Field(default=None, description="use this model for every series")
    n_paths: int = Field(default=200, ge=10, le=5000, description="sample paths per series")
    n_cutoffs: int = Field(default=3, ge=1, le=12, description="backtest cutoffs")
    backtest_days: int = Field(default=28, ge=1, le=365, description="days scored per cutoff")
    min_train_days: int = Field(default=28, ge=14, le=365, description="history before a cutoff")
    backtest_step_days: int | None = Field(
        default=None, ge=1, le=365, description="days between cutoffs (default: backtest_days)"
    )
    use_events: bool = Field(default=True, description="give known events to the event models")
    use_contracts: bool = Field(
        default=True,
        description="apply the stored contract book: signed ramps floor their customer's "
        "demand, pipeline deals add on the paths where they sign",
    )
    reconciliation: Reconciliation = "auto"
    customers_per_class: int = Field(default=10, ge=1, le=200)
    outages: Path | None = Field(
        default=None,
        description="outage calendar CSV (region, start, end, reason): those hours are missing",
    )
    zero_is_outage: bool = Field(
        default=False,
        description="read hours whose rows are all zero as outages (the old rule); default: "
        "zero is zero demand, only hours without rows are gaps",
    )
    # Numpy's generators take no negative seed: -1 reached them as "expected non-negative
    # integer" in a trace, and only when paths were resampled.
    seed: int = Field(default=0, ge=0, description="seed of the sample paths")
    task_runner: RunnerKind = Field(
        default="processes", description="Prefect task runner for the fan-out"
    )
    workers: int | None = Field(default=None, ge=1, description="workers (default: cores)")
    dask_address: str | None = Field(default=None, description="an existing Dask scheduler")

    def settings(self) -> ForecastSettings:
        """The library's settings for these options (unknown model names raise ValueError)."""
        from forecasting.forecast import ForecastSettings
        from forecasting.models import MODEL_REGISTRY
        from forecasting.schema import QUANTILES

        named = (*self.models, *([] if self.fixed_model is None else [self.fixed_model]))
        unknown = [m for m in named if m not in MODEL_REGISTRY]
        if unknown:
            raise ValueError(f"unknown model(s) {unknown}; known: {', '.join(MODEL_REGISTRY)}")
        return ForecastSettings(
            horizon_days=self.horizon_days,
            quantiles=QUANTILES,
            models=self.models,
            fixed_model=self.fixed_model,
            n_cutoffs=self.n_cutoffs,
            backtest_horizon=self.backtest_days,
            min_train_days=self.min_train_days,
            backtest_step=self.backtest_step_days,
            n_paths=self.n_paths,
            seed=self.seed,
            reconciliation=self.reconciliation,
        )


class AdhocDrill(BaseModel):
    """A drill described on the command line or as deployment parameters."""

    name: str | None = None
    target: str = Field(
        default="all", description="all | class:X | customer:X | customer:top | region:X"
    )
    # A shock up, at least 1: a drill judges a plan against demand above today's (README,
    # "Shock drills"); 0.5 played and read "failing classes: inference; would pass with: no
    # order placed today arrives in time", a plan failing unshocked said as a shock's failure.
    multiplier: float = Field(
        default=2.0,
        ge=1,
        le=MAX_SHOCK_MULTIPLIER,
        allow_inf_nan=False,
        description="demand multiplier (a shock up)",
    )
    shape: str = Field(default="step", description="step, ramp:6w or spike:3d")
    start: str | None = Field(
        default=None, description="a date or +2w (default: first forecast day)"
    )
    lose: tuple[str, ...] = Field(default=(), description="BLOCK[@WHEN]: a block fails")
    slip: tuple[str, ...] = Field(default=(), description="BLOCK:8w: a delivery slips")
    region_loss: str | None = Field(
        default=None, description="REGION[@WHEN]:DAYS (largest:3): a region goes dark"
    )

    @field_validator("multiplier", mode="before")
    @classmethod
    def _a_shock_up(cls, value: Any) -> Any:
        """A number out of range refused in the drill's words (a factor below 1 is a drop in
        demand), before the bounds above say "greater than or equal to 1"; they stay for the
        range the refusal quotes. Anything else is left to the field's own checks."""
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and math.isfinite(value) and (problem := shock_multiplier_problem(value)):
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _supply_event_alone_plays_at_todays_demand(self) -> Self:
        """A lost block, a slip or a dark region with no demand shock named (target ``all``,
        no multiplier given) plays at 1x, named for what it loses. With the 2x default it
        doubled all demand too, so a block's loss was judged under a second shock."""
        supply = bool(self.lose or self.slip or self.region_loss)
        if not supply or self.target != "all" or "multiplier" in self.model_fields_set:
            return self
        self.multiplier = 1.0
        if self.name is None:
            from forecasting.drills.scenarios import adhoc_name

            # Every argument is in the name: the same loss a week later is another drill.
            self.name = adhoc_name(
                multiplier=None, lose=self.lose, slip=self.slip, region_loss=self.region_loss
            )
        return self

    def scenario(self) -> Scenario:
        """The library's scenario for these arguments (errors name the argument)."""
        from forecasting import drills

        return drills.scenario_from_args(
            name=self.name,
            multiplier=self.multiplier,
            target=self.target,
            shape=self.shape,
            start=self.start,
            lose=self.lose,
            slip=self.slip,
            region_loss=self.region_loss,
        )


class DrillOptions(BaseModel):
    """Which drills to run and how hard to look for answers."""

    drills: tuple[str, ...] = Field(default=(), description="ready-made drill names; () = all")
    adhoc: AdhocDrill | None = None
    forecast_run_id: str | None = Field(default=None, description="forecast run (default: newest)")
    # Default: every stored path up to 200; of a larger store the first 200, and a verdict
    # they leave borderline plays more of them until settled or all are played
    # (runs.drills.settled_play).
    paths: int | None = Field(
        default=None,
        ge=1,
        description="sample paths (default: all stored up to 200; a borderline verdict then "
        "draws more of the stored ones until settled, at most all)",
    )
    seed: int = Field(default=0, ge=0, description="seed of the path resampling")
    answers: Answers = Field(
        default="failing",
        description="search blocks-to-pass and the breaking multiplier: none, failing or all",
    )
    answer_paths: int | None = Field(
        default=None,
        ge=5,
        description="paths the blocks-to-pass search runs on (default: all of the drill's); "
        "a set found on fewer is verified on all",
    )
    max_blocks: int = Field(
        default=32, ge=1, le=64, description="most blocks of one candidate type for one region"
    )


class ReportOptions(BaseModel):
    """Which run to report and how cautious the triggers are."""

    forecast_run_id: str | None = Field(default=None, description="forecast run (default: newest)")
    quantile: Quantile = Field(default="q90", description="demand quantile the triggers plan for")
    buffer_weeks: int = Field(default=4, ge=0, le=52, description="safety buffer before order-by")
    idle_weeks: int = Field(default=13, ge=1, le=104)
    customers_per_class: int = Field(default=10, ge=1, le=200)


class WhatIfOptions(BaseModel):
    """A deal to weigh before it is signed, and the forecast and caution to weigh it with."""

    customer: str = Field(description="the customer, named as in telemetry, or a new one")
    workload_class: str = Field(description="the deal's workload class")
    region: str = Field(description="the region it is served in")
    ramp: str = Field(description="dated GPU counts, e.g. 2027-03-01:5000,2027-09-01:20000")
    until: date | None = Field(
        default=None, description="last day of the term (default: five years after the ramp)"
    )
    price_per_gpu_hour: float | None = Field(
        default=None, gt=0, description="USD per GPU-hour (default: the class policy's)"
    )
    forecast_run_id: str | None = Field(default=None, description="forecast run (default: newest)")
    quantile: Quantile = Field(default="q90", description="demand quantile the triggers plan for")
    buffer_weeks: int = Field(default=4, ge=0, le=52, description="safety buffer before order-by")


class PipelineOptions(BaseModel):
    """Option groups of every step, each with the planning defaults."""

    inbox: Path | None = Field(default=None, description="folder of new telemetry files")
    inbox_format: str | None = Field(
        default=None, description="file format or trace adapter of the inbox (default: suffix)"
    )
    events: list[Path] = Field(
        default_factory=list, description="event calendars (launches, holidays) to load first"
    )
    contracts: list[Path] = Field(
        default_factory=list, description="contract books (signed and pipeline) to load first"
    )
    allow_empty: bool = Field(
        default=False,
        description="load an events file or book with no entries over one it loaded before "
        "(emptying it); without it such a file is refused, as a truncated one would wipe it",
    )
    forecast: ForecastOptions = Field(default_factory=ForecastOptions)
    drill: DrillOptions = Field(default_factory=DrillOptions)
    report: ReportOptions = Field(default_factory=ReportOptions)


class DecisionOptions(BaseModel):
    """What a decision backtest replays: the as-of days and each replay's (cheaper) forecast."""

    first_as_of: date = Field(description="first as-of day replayed")
    every_days: int = Field(default=28, ge=1, le=366, description="days between as-of days")
    until: date | None = Field(
        default=None, description="last as-of day (default: the day before the data ends)"
    )
    n_paths: int = Field(default=50, ge=10, le=5000, description="sample paths per series")
    customers_per_class: int = Field(default=3, ge=1, le=200, description="named customers")
    horizon_days: int = Field(
        default=DEFAULT_HORIZON_DAYS,
        ge=MIN_HORIZON_DAYS,
        le=MAX_HORIZON_DAYS,
        description="daily forecast days",
    )
    horizon_months: int = Field(
        default=24,
        ge=1,
        le=MAX_HORIZON_MONTHS,
        description="plan months (raised to the longest lead time)",
    )
    n_cutoffs: int = Field(default=2, ge=1, le=12, description="backtest cutoffs per series")
    quantile: str = Field(default="q90", description="forecast quantile the triggers read")
    buffer_weeks: int = Field(default=4, ge=0, le=52, description="safety buffer, weeks")
    idle_weeks: int = Field(default=52, ge=1, le=260, description="weeks idle capital is judged")
    use_events: bool = True
    use_contracts: bool = True
    # Demand is read as a forecast reads it (runs.demand_read_for): without the calendar a
    # replay read a collector's zero hours as demand the forecast itself leaves out.
    outages: Path | None = Field(
        default=None, description=ForecastOptions.model_fields["outages"].description
    )
    zero_is_outage: bool = Field(
        default=False, description=ForecastOptions.model_fields["zero_is_outage"].description
    )
    seed: int = Field(default=0, ge=0, description="seed of each replay's sample paths")
    workers: int | None = Field(default=None, ge=1, description="parallel replays")

    def forecast_settings(self) -> ForecastSettings:
        """The library's forecast settings of one replay."""
        return ForecastOptions(
            horizon_days=self.horizon_days,
            n_paths=self.n_paths,
            n_cutoffs=self.n_cutoffs,
            seed=self.seed,
        ).settings()


def every_days(text: str) -> int:
    """Days in an interval written as ``4w``, ``28d`` or ``28``; ValueError names the form."""
    cleaned = text.strip().lower()
    unit = 7 if cleaned.endswith("w") else 1
    digits = cleaned.rstrip("wd").strip()
    if not digits.isdigit() or int(digits) < 1:
        raise ValueError(f"{text!r} is not an interval like 4w or 28d")
    return int(digits) * unit


def field_default(model: type[BaseModel], name: str) -> Any:
    """The default of one field of an options model (a factory's value, called)."""
    return model.model_fields[name].get_default(call_default_factory=True)


def _bounds_text(info: FieldInfo) -> str:
    """A field's bounds as help reads them: ``7 to 730``, ``at least 1``, or ''."""
    low = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in info.metadata if hasattr(m, "le")), None)
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"at least {low}"
    return f"at most {high}" if high is not None else ""


def field_help(model: type[BaseModel], name: str) -> str:
    """A field's description with its default, for ``--help``."""
    info = model.model_fields[name]
    text = info.description or name.replace("_", " ")
    # The bounds in the help, not only in the refusal ("Input should be greater than or equal
    # to 7" was the first a user heard of them).
    bounds = _bounds_text(info)
    if (
        info.is_required()
        or info.default_factory is not None
        or info.default in (None, ())
        or "default" in text
    ):
        if not bounds:
            return text
        return f"{text[:-1]}; {bounds})" if text.endswith(")") else f"{text} ({bounds})"
    return (
        f"{text} (default {info.default}; {bounds})"
        if bounds
        else f"{text} (default {info.default})"
    )
