"""Runs: what each step of the pipeline reads, computes and stores, as plain library calls.

Every Prefect task in flows/ wraps one function here, and the CLI calls the same functions
directly when no Prefect server is configured, so a tracked run and a direct one share all
their code. Run ids have one format for every kind (:func:`new_run_id`); a trigger run has
its own id and points at the forecast run it used through ``forecast_run_id``.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import BaseModel

from forecasting import warehouse
from forecasting.options import DrillOptions, ForecastOptions, ReportOptions, WhatIfOptions
from forecasting.resources import ready_made_drills
from forecasting.schema import (
    FAILS_UNSHOCKED,
    PARTLY_JUDGED,
    RUNG_USED_SHARE,
    SHOCK_CUT_NOTE,
    frame_schema,
    short_until_shock_end_text,
)
from forecasting.settings import settings

if TYPE_CHECKING:  # the step modules load scipy, numba and plotly: only when a step runs
    from forecasting.capacity import CapacityPlan
    from forecasting.changes import RunChanges
    from forecasting.contracts import ContractBook
    from forecasting.drills import DrillResult, Scenario
    from forecasting.forecast import ForecastResult, ForecastSettings, SeriesForecast
    from forecasting.horizon import Extended
    from forecasting.ingest import IngestResult
    from forecasting.report import ReportInputs
    from forecasting.triggers import TriggerSettings

__all__ = [
    "BLOCKS_NOTE",
    "BookApplied",
    "ContractsLoaded",
    "DrillBatch",
    "DrillInputs",
    "DrillNotPlayed",
    "DrillOutcome",
    "EventsLoaded",
    "ForecastRef",
    "ForecastRun",
    "MapFn",
    "NoHistoryError",
    "PlayedDrill",
    "ReportOutcome",
    "RunNotFoundError",
    "TriggerRun",
    "WhatIfOutcome",
    "apply_book",
    "blocks_needed",
    "compute_triggers",
    "contract_book",
    "demand_series_for",
    "drill",
    "drill_inputs",
    "drill_outcome",
    "drill_scenarios",
    "drills_folder",
    "forecast",
    "forecast_run",
    "known_events",
    "load_contracts_file",
    "load_events_file",
    "load_telemetry_file",
    "new_run_id",
    "plan_horizon_months",
    "plan_past_lead_times",
    "play_drill",
    "report",
    "report_changes",
    "report_inputs",
    "report_outcome",
    "report_summary_markdown",
    "report_trigger_rows",
    "resampled_paths",
    "save_drill",
    "save_not_played",
    "store_forecast",
    "stored_drill_outcomes",
    "trigger_forecast",
    "trigger_settings",
    "unplanned_regions_for",
    "weigh_deal",
]

MapFn = Callable[[Callable[[pl.DataFrame], "SeriesForecast"], Iterable[pl.DataFrame]], Any]


class RunNotFoundError(ValueError):
    """The warehouse holds no run of the kind asked for (or not the one named)."""


class NoHistoryError(ValueError):
    """The warehouse holds no telemetry for the history asked for: none at all, or none up
    to the as-of day, or an as-of day past the newest telemetry."""


# --- run ids -----------------------------------------------------------------------------------


def new_run_id(kind: str, *, now: datetime | None = None) -> str:
    """``<kind>-<UTC yyyymmddHHMMSS>-<6 hex>``: sortable within a kind, slug-safe, unique.

    ``kind`` is ``forecast``, ``triggers`` or a drill's name (kept readable: letters, digits,
    ``.``, ``_`` and ``-``; anything else becomes ``-``).
    """
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", kind).strip("-") or "run"
    return f"{slug}-{(now or datetime.now(UTC)):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class ForecastRef:
    """A stored forecast run: its id and the last day of history it used."""

    run_id: str
    as_of: date


def forecast_run(wh: warehouse.Warehouse, run_id: str | None = None) -> ForecastRef:
    """The named forecast run, or the newest; RunNotFoundError says what to run first."""
    chosen = run_id or wh.latest_forecast_run()
    if chosen is None:
        raise RunNotFoundError(f"{wh.path} holds no forecast run; run `fleetcast forecast` first")
    runs = wh.forecast_runs().filter(pl.col("run_id") == chosen)
    if runs.is_empty():
        raise RunNotFoundError(
            f"no forecast run {chosen!r} in {wh.path}; `fleetcast status` lists the stored runs"
        )
    return ForecastRef(run_id=chosen, as_of=runs.item(0, "as_of"))


# --- ingest ------------------------------------------------------------------------------------


class EventsLoaded(BaseModel):
    """What loading one calendar file did; ``refused`` lists each bad row and its rule."""

    path: Path
    status: str  # loaded or failed
    loaded: int = 0
    replaced: int = 0
    duplicates: int = 0
    # Rows a later row of the same event replaced, each naming the row kept.
    duplicate_rows: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    ignored_columns: list[str] = []
    message: str = ""
    # Events whose scope matches no telemetry series yet: loaded, but they touch nothing.
    unmatched: list[str] = []


def load_telemetry_file(path: Path, warehouse_path: Path, file_format: str | None) -> IngestResult:
    """Validate one telemetry file and load it into the warehouse in one transaction."""
    from forecasting import ingest

    with warehouse.connect(warehouse_path) as wh:
        return ingest.ingest_file(wh, path, file_format=file_format)


def load_events_file(path: Path, warehouse_path: Path) -> EventsLoaded:
    """Read one events calendar and make its good rows the warehouse's events from that file."""
    from forecasting import events

    try:
        read = events.read_events(path)
    except events.EventsFileError as exc:
        return EventsLoaded(path=path, status="failed", message=str(exc))
    with warehouse.connect(warehouse_path) as wh:
        replaced = wh.replace_events(str(path.resolve()), read.events)
        known = wh.query("SELECT DISTINCT region, workload_class, customer FROM telemetry_series")
    return EventsLoaded(
        path=path,
        status="loaded",
        loaded=read.events.height,
        replaced=replaced,
        duplicates=read.duplicates,
        duplicate_rows=read.duplicate_rows.to_dicts(),
        refused=read.problems.to_dicts(),
        ignored_columns=list(read.ignored_columns),
        unmatched=_unmatched_events(read.events, known),
    )


def _unmatched_events(events: pl.DataFrame, known: pl.DataFrame) -> list[str]:
    """One line per event whose scope matches no telemetry series (a misspelt region, or a
    customer with no telemetry yet); none when the warehouse holds no telemetry to judge by."""
    if known.is_empty():
        return []
    scope = ("region", "workload_class", "customer")
    lines = []
    for event in events.iter_rows(named=True):
        given = {c: event[c] for c in scope if event[c] is not None}
        matches = known.filter(*(pl.col(c) == v for c, v in given.items())) if given else known
        if matches.is_empty():
            where = ", ".join(f"{c} {v!r}" for c, v in given.items())
            lines.append(
                f"event {event['event']} on {event['date']} ({where}) matches no telemetry "
                "series: it touches no forecast until such telemetry arrives"
            )
    return lines


class ContractsLoaded(BaseModel):
    """What loading one contract book did; ``refused`` lists each bad entry and its rule."""

    path: Path
    status: str  # loaded or failed
    loaded: int = 0
    replaced: int = 0
    signed: int = 0
    pipeline: int = 0
    refused: list[dict[str, Any]] = []  # contracts.REFUSALS_SCHEMA rows
    message: str = ""
    # Ids another book holds with other terms: this load wins them (contracts.ids_in_other_books).
    warnings: list[str] = []


def load_contracts_file(path: Path, warehouse_path: Path) -> ContractsLoaded:
    """Read one contract book and make its good entries the warehouse's contracts from it.

    Once the warehouse holds telemetry, a contract in a region it has never seen is refused
    (``unknown region``): a typo would otherwise make a region of its own.
    """
    from forecasting import contracts

    with warehouse.connect(warehouse_path) as wh:
        known = wh.query("SELECT DISTINCT region FROM telemetry_series")["region"].to_list()
        try:
            book = contracts.load_contracts(path, regions=known or None)
        except contracts.ContractError as exc:
            return ContractsLoaded(path=path, status="failed", message=str(exc))
        rows = [r.row for r in book.refusals]
        good_rows = _good_rows(len(book.contracts) + len(rows), rows)
        source = str(path.resolve())
        frame = contracts.book_frame(book, rows=good_rows)
        elsewhere = wh.contracts_elsewhere(source, frame["id"].to_list())
        replaced = wh.replace_contracts(source, frame)
    return ContractsLoaded(
        path=path,
        status="loaded",
        loaded=len(book.contracts),
        replaced=replaced,
        signed=len(book.signed),
        pipeline=len(book.pipeline),
        refused=book.refusals_frame().to_dicts(),
        warnings=contracts.ids_in_other_books(frame, elsewhere),
    )


def _good_rows(entries: int, refused: list[int]) -> list[int]:
    """The file rows of the kept entries: 1..entries without the refused ones, in order."""
    skip = set(refused)
    return [row for row in range(1, entries + 1) if row not in skip]


def contract_book(warehouse_path: Path) -> ContractBook:
    """The warehouse's contract book (every loaded file; a repeated id: the newest load)."""
    from forecasting import contracts

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        return contracts.book_of(wh.contracts(), source=str(warehouse_path))


# --- forecast ----------------------------------------------------------------------------------


class ForecastRun(BaseModel):
    """What a stored forecast run holds, for the CLI summary and later flows."""

    run_id: str
    as_of: date
    series: int
    seconds: float
    reconciliation: str
    models_chosen: dict[str, int]  # series per model the backtests chose
    models_fallback: dict[str, int] = {}  # series per fallback model (too short, or failed)
    fixed_model: str | None = None  # the model every series was given (--fixed-model), if any
    accuracy: list[dict[str, Any]]
    calibrated: int
    fallbacks: int
    warnings: list[str] = []  # one line per series forecast by a fallback, with the reason
    events: int = 0  # known events the run gave to the event models
    horizon_months: int = 0  # months the plan reaches (0: daily rows only)
    plan_gap: str | None = None  # why the plan stops at the daily days, where it could not reach
    plan_change: str | None = None  # a growth change the series share, which the plan follows
    # Out-of-sample accuracy of the daily peak 26 weeks ahead, per series and cut-off.
    decision_accuracy: list[dict[str, Any]] = []
    contracts_signed: int = 0  # signed contracts holding GPUs within the horizon, applied
    contracts_pipeline: int = 0  # pipeline deals holding GPUs within the horizon, applied


def demand_series_for(warehouse_path: Path, options: ForecastOptions) -> pl.DataFrame:
    """Daily demand series at every level from the warehouse's hourly telemetry.

    Hours without rows, and hours in the options' outage calendar, are missing; hours whose
    rows read zero are zero demand unless ``options.zero_is_outage``. With
    ``options.use_contracts``, every customer of the contract book keeps its own series in
    its classes (never folded into ``other``), so its ramp floors its own demand.
    """
    from forecasting import demand
    from forecasting.traces.outages import read_outage_calendar

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        hourly = wh.hourly_demand()
        stored = wh.contracts() if options.use_contracts else None
    if hourly.is_empty():
        raise NoHistoryError(f"{warehouse_path} holds no telemetry; run `fleetcast ingest` first")
    outages = (
        read_outage_calendar(options.outages, regions=hourly["region"].unique().to_list())
        if options.outages is not None
        else None
    )
    series = demand.demand_series(
        hourly,
        customers_per_class=options.customers_per_class,
        zero_is_outage=options.zero_is_outage,
        outages=outages,
        named_customers=_named_customers(stored),
    )
    return series if options.as_of is None else history_until(series, options.as_of)


def unplanned_regions_for(warehouse_path: Path, capacity_path: Path | None) -> list[str]:
    """Regions of the warehouse's telemetry that the plan at ``capacity_path`` has no block
    or site for; none when no plan is there (a forecast needs none)."""
    from forecasting.capacity import load_capacity, unplanned_regions

    if capacity_path is None or not capacity_path.is_file():
        return []
    plan = load_capacity(capacity_path)
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        regions = wh.query("SELECT DISTINCT region FROM telemetry_series")["region"].to_list()
    return unplanned_regions(plan, regions)


def history_until(series: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The daily series up to ``as_of``; NoHistoryError when the telemetry does not reach it.

    An as-of day past the newest telemetry would read the days between as no demand: the
    run became the newest and reported every pool green. One before the telemetry leaves
    nothing to fit.
    """
    first, last = series.get_column("ds").min(), series.get_column("ds").max()
    assert isinstance(first, date) and isinstance(last, date)  # a non-empty frame has days
    if as_of > last:
        raise NoHistoryError(
            f"as-of {as_of} is after the newest telemetry day, {last}: the days between have "
            f"no telemetry to forecast from; give an as-of day on or before {last} (or none, "
            "for the newest), or ingest the newer telemetry first"
        )
    if as_of < first:
        raise NoHistoryError(
            f"no telemetry on or before {as_of} (the telemetry starts {first}); give an as-of "
            f"day from {first} to {last}"
        )
    return series.filter(pl.col("ds") <= as_of)


def _named_customers(stored: pl.DataFrame | None) -> list[tuple[str, str]]:
    """(workload_class, customer) of every stored contract: they keep their own series."""
    if stored is None or stored.is_empty():
        return []
    return list(stored.select("workload_class", "customer").unique().sort(pl.all()).iter_rows())


@dataclass(frozen=True, slots=True)
class BookApplied:
    """What the contract book did to a forecast run: contracts applied (those holding GPUs
    within the horizon) and concentration measured without and with the book."""

    signed: int = 0
    pipeline: int = 0
    concentration: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=frame_schema("book_concentration"))
    )


def apply_book(
    result: ForecastResult, book: ContractBook, *, seed: int, as_of: date
) -> tuple[ForecastResult, BookApplied]:
    """The run with the book as known on ``as_of`` applied (see
    :func:`forecasting.contracts.apply_to_run` for the rules), and what it applied.

    Only the bottom-level paths are kept (they are what is stored); a series the book adds
    gets a summary row with model ``contract-book`` and no scores. Concentration with and
    without the book is measured here, on the paths before and after, since the stored paths
    hold the book.
    """
    from forecasting import hierarchy
    from forecasting.contracts import CONTRACT_MODEL, apply_to_run, concentration_with_book
    from forecasting.schema import PATHS_SCHEMA

    known = book.known_by(as_of)
    if not known.contracts or result.paths.is_empty():
        return result, BookApplied()
    # The customer-level paths in full precision: the forecast's quantiles were read off them
    # before storage rounds them to FLOAT, and the shift must start from the same numbers.
    leaves = result.paths.filter(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
    applied = apply_to_run(result.forecast, leaves, known, seed=seed)
    if not applied.touched:  # nothing the book holds falls within the horizon
        return result, BookApplied()
    new = (
        applied.forecast.filter(pl.col("model") == CONTRACT_MODEL)
        .select("unique_id", "measure", "model")
        .unique()
        .join(result.summary, on=["unique_id", "measure"], how="anti")
    )
    summary = pl.concat([result.summary, new], how="diagonal").cast(result.summary.schema)
    paths = applied.paths.select(PATHS_SCHEMA.names()).cast(PATHS_SCHEMA)
    return (
        replace(result, forecast=applied.forecast, paths=paths, summary=summary),
        BookApplied(
            signed=applied.signed,
            pipeline=applied.pipeline,
            concentration=concentration_with_book(leaves, known),
        ),
    )


def known_events(warehouse_path: Path) -> pl.DataFrame:
    """Every known event in the warehouse (launches, migrations, holidays)."""
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        return wh.events()


def _leaf_paths(result: ForecastResult) -> pl.DataFrame:
    from forecasting.reconcile import build_hierarchy

    ids = result.paths.get_column("unique_id").unique().to_list()
    leaves = list(build_hierarchy(ids).bottom) if ids else []
    return result.paths.filter(pl.col("unique_id").is_in(leaves)).with_columns(
        pl.col("y").cast(pl.Float32)
    )


def _accuracy(summary: pl.DataFrame) -> list[dict[str, Any]]:
    """Median MASE of the chosen models vs the seasonal naive, and mean q10-q90 coverage, per
    level and measure, over the series a backtest scored."""
    from forecasting import hierarchy

    level = hierarchy.depth()
    names = dict(enumerate(hierarchy.LEVEL_NAMES))
    # A series on a fallback was never backtested (NaN scores): left in, one such customer
    # turned its level's coverage into "n/a" and pushed its median MASE up.
    scored = [pl.col(c).fill_nan(None) for c in ("mase", "mase_seasonal_naive", "coverage_80")]
    return (
        summary.with_columns(level.replace_strict(names, default="deeper").alias("level"), *scored)
        .group_by("level", "measure")
        .agg(
            pl.len().alias("series"),
            pl.col("mase").median().alias("mase"),
            pl.col("mase_seasonal_naive").median().alias("mase_seasonal_naive"),
            pl.col("coverage_80").mean().alias("coverage_80"),
        )
        .sort("level", "measure")
        .to_dicts()
    )


def plan_horizon_months(options: ForecastOptions) -> int:
    """Months the plan must reach: the option, raised to the longest lead time in the plan
    (blocks and power) plus the buffer when ``options.capacity`` names a readable plan."""
    from forecasting.capacity import load_capacity
    from forecasting.horizon import plan_months_for

    if options.horizon_months == 0:
        return 0
    if options.capacity is None or not options.capacity.is_file():
        return options.horizon_months
    return plan_months_for(load_capacity(options.capacity), minimum=options.horizon_months)


def plan_past_lead_times(
    series: pl.DataFrame,
    result: ForecastResult,
    *,
    as_of: date,
    months: int,
    book: ContractBook | None,
    seed: int,
    measure_accuracy: bool = True,
) -> tuple[ForecastResult, Extended | None, BookApplied | None]:
    """A forecast run made into a plan: extended to ``months`` ahead (forecasting.horizon;
    ``months`` 0 keeps it daily), then the contract book as known on ``as_of`` applied to its
    daily rows and paths and to its monthly rows. The extension comes first, so the growth
    models blend into demand the book then floors, and the book's effect is not blended away.
    """
    from forecasting.contracts import apply_to_months
    from forecasting.horizon import extend_horizon

    extended = (
        extend_horizon(
            series, result, as_of=as_of, months=months, measure_accuracy=measure_accuracy
        )
        if months
        else None
    )
    if extended is not None:
        result = extended.result
    applied = None
    if book is not None:
        result, applied = apply_book(result, book, seed=seed, as_of=as_of)
        if extended is not None:
            known = book.known_by(as_of)
            extended = replace(
                extended, result=result, months=apply_to_months(extended.months, known)
            )
    return result, extended, applied


def _decision_accuracy(accuracy: pl.DataFrame) -> list[dict[str, Any]]:
    """The 26-week rows of the decision backtest, newest cut-off first, for the summary."""
    if accuracy.is_empty():
        return []
    from forecasting.horizon import DECISION_HORIZON_DAYS

    return (
        accuracy.filter(pl.col("horizon_days") == DECISION_HORIZON_DAYS)
        .sort("cutoff", "unique_id", descending=[True, False])
        .to_dicts()
    )


def store_forecast(
    warehouse_path: Path,
    result: ForecastResult,
    *,
    settings: ForecastSettings,
    as_of: date,
    events: int,
    seconds: float,
    extended: Extended | None = None,
    book: BookApplied | None = None,
) -> ForecastRun:
    """Store a forecast under a new run id (forecasts, leaf paths, backtests, and the monthly
    rows and decision-horizon accuracy of ``extended``) in one transaction.

    ``book`` is what the contract book did to the run (None: it was not applied); when given,
    ``result`` already carries it and ``extended`` only lends its monthly rows and accuracy.
    """
    book = book or BookApplied()
    run_id = new_run_id("forecast")
    run = {
        "run_id": run_id,
        "as_of": as_of,
        "created_at": datetime.now(UTC),
        "horizon_days": settings.horizon_days,
        "horizon_months": 0 if extended is None else extended.horizon_months,
        "series": result.summary.height,
        "reconciliation": result.reconciliation,
        "seconds": seconds,
        "settings": json.dumps(
            asdict(settings)
            | {"events": events, "contracts": {"signed": book.signed, "pipeline": book.pipeline}},
            default=str,
        ),
        "versions": json.dumps(
            {p: version(p) for p in ("polars", "statsmodels", "prophet", "duckdb")}
        ),
    }
    frames = {
        "forecasts": result.forecast,
        "forecast_paths": _leaf_paths(result),
        "backtests": result.backtest,
        "forecast_summary": result.summary,
        "book_concentration": book.concentration,
    }
    # A daily-only run (--horizon-months 0) stores no monthly rows and no decision accuracy:
    # empty frames, so the run is whole.
    accuracy = pl.DataFrame(schema=frame_schema("horizon_accuracy"))
    frames["forecast_months"] = pl.DataFrame(schema=frame_schema("forecast_months"))
    if extended is not None:
        accuracy = extended.accuracy
        frames["forecast_months"] = extended.months
    frames["horizon_accuracy"] = accuracy
    with warehouse.connect(warehouse_path, create=False) as wh:
        wh.save_run("forecast_runs", run, frames)
    backtested = result.summary.get_column("fallback").is_null()
    chosen, fallback = (
        result.summary.filter(rows).group_by("model").len().sort("len", "model", descending=True)
        for rows in (backtested, ~backtested)
    )
    return ForecastRun(
        run_id=run_id,
        as_of=as_of,
        series=result.summary.height,
        seconds=seconds,
        reconciliation=result.reconciliation,
        models_chosen=dict(zip(chosen["model"], chosen["len"], strict=True)),
        models_fallback=dict(zip(fallback["model"], fallback["len"], strict=True)),
        fixed_model=settings.fixed_model,
        accuracy=_accuracy(result.summary),
        calibrated=int(result.summary.get_column("calibrated").sum()),
        fallbacks=int(result.summary.get_column("fallback").is_not_null().sum()),
        warnings=result.warnings(),
        events=events,
        horizon_months=0 if extended is None else extended.horizon_months,
        plan_gap=None if extended is None else extended.gap,
        plan_change=None if extended is None else extended.change,
        decision_accuracy=_decision_accuracy(accuracy),
        contracts_signed=book.signed,
        contracts_pipeline=book.pipeline,
    )


def forecast(warehouse_path: Path, options: ForecastOptions, *, map_fn: MapFn = map) -> ForecastRun:
    """Forecast every demand series and store the run; ``map_fn`` fans out the series."""
    from forecasting.forecast import forecast_all

    started = time.perf_counter()
    settings = options.settings()
    series = demand_series_for(warehouse_path, options)
    as_of = options.as_of or series.get_column("ds").max()
    assert isinstance(as_of, date)  # a non-empty frame has a newest day
    known = known_events(warehouse_path) if options.use_events else None
    result = forecast_all(series, settings=settings, events=known, map_fn=map_fn)
    result, extended, applied = plan_past_lead_times(
        series,
        result,
        as_of=as_of,
        months=plan_horizon_months(options),
        book=contract_book(warehouse_path) if options.use_contracts else None,
        seed=settings.seed,
    )
    return store_forecast(
        warehouse_path,
        result,
        settings=settings,
        as_of=as_of,
        events=0 if known is None else known.height,
        seconds=time.perf_counter() - started,
        extended=extended,
        book=applied,
    )


# --- drills ------------------------------------------------------------------------------------


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
    # Against the baseline (None on runs stored before the baseline existed).
    verdict: str | None = None
    unshocked_failures: list[str] = []
    changes: list[dict[str, Any]] = []
    time_to_absorb_hours: float | None = None
    absorb_censored: bool | None = None
    # A spike's length when its shortfall ended with it (no time to absorb was measured).
    short_until_shock_end_hours: float | None = None
    window_hours: int | None = None
    absorb_cost_usd: float | None = None
    failover_share: float | None = None
    rungs_used: list[str] = []
    # The blocks-to-pass search: whether its set was verified, else its one-line answer.
    blocks_pass: bool | None = None
    blocks_note: str | None = None
    # How far a shock the horizon cut short got (its drill note); None when it played whole.
    shock_cut: str | None = None

    @property
    def absorb_text(self) -> str | None:
        """``36 h``, ``> 42 d, not absorbed within the drill window``, ``not judged`` (the plan
        fails unshocked in every hour, so no hour can show the shock absorbed); None when not
        measured otherwise. On a plan that fails unshocked a measured time says it saw only
        the hours the plan holds in."""
        if self.absorb_censored:
            days = f"{self.window_hours / 24:.0f}" if self.window_hours else "?"
            return f"> {days} d, not absorbed within the drill window"
        if self.short_until_shock_end_hours is not None:
            return short_until_shock_end_text(self.short_until_shock_end_hours)
        unshocked = self.verdict == FAILS_UNSHOCKED
        if self.time_to_absorb_hours is None:
            return "not judged" if unshocked else None
        return f"{self.time_to_absorb_hours:,.0f} h" + (PARTLY_JUDGED if unshocked else "")


class DrillNotPlayed(BaseModel):
    """A drill this forecast run or plan cannot play, and why: it has no verdict at all."""

    drill: str
    reason: str


class DrillBatch(BaseModel):
    """The drills one call played, in order, and the ones it could not play."""

    played: list[DrillOutcome]
    not_played: list[DrillNotPlayed] = []


@dataclass(frozen=True, slots=True)
class DrillInputs:
    """What every drill on one forecast run plays on: its leaf paths and history's day shapes."""

    forecast: ForecastRef
    paths: pl.DataFrame
    shapes: pl.DataFrame


@dataclass(frozen=True, slots=True)
class PlayedDrill:
    """One scenario played on every path, with the answers searched for it."""

    result: DrillResult
    answers: dict[str, Any]
    additions: pl.DataFrame


# The blocks-to-pass search's notes are stored among the drill's notes with this prefix; the
# first of them is its one-line answer (the verified set, or why there is none).
BLOCKS_NOTE = "blocks to pass: "


def blocks_needed() -> pl.Expr:
    """``2 x pod-h100 in eu-west; ...``: the blocks of a drill_additions frame, as one text."""
    return pl.format("{} x {} in {}", "count", "candidate", "region").str.join("; ")


def drills_folder() -> Traversable:
    """Where the named drills are: ``FLEETCAST_DRILLS``, else the ready-made ones shipped."""
    folder = settings().drills
    return folder if folder is not None else ready_made_drills()


def drill_scenarios(
    options: DrillOptions, *, directory: Traversable | None = None
) -> list[Scenario]:
    """The scenarios the options name: ones from TOML (``directory``, else
    :func:`drills_folder`), or the ad-hoc one."""
    from forecasting import drills

    if options.adhoc is not None:
        return [options.adhoc.scenario()]
    directory = directory if directory is not None else drills_folder()
    ready = drills.load_scenarios(directory)
    unknown = [d for d in options.drills if d not in ready]
    if unknown:
        raise drills.ScenarioError(
            f"no drill named {', '.join(unknown)} in {directory}; known: {', '.join(sorted(ready))}"
        )
    return [ready[d] for d in (options.drills or tuple(sorted(ready)))]


def resampled_paths(sample: pl.DataFrame, paths: int | None, seed: int) -> pl.DataFrame:
    """``paths`` of the stored sample paths: the first ones, or whole ones drawn again.

    Drawing with replacement when more paths are asked than the forecast kept keeps each drawn
    path coherent across series and days.
    """
    import numpy as np

    stored = sample.get_column("sample_id").n_unique()
    if paths is None or paths == stored:
        return sample
    if paths < stored:
        return sample.filter(pl.col("sample_id") < paths)
    source = np.random.default_rng(seed).integers(0, stored, size=paths)
    draws = pl.DataFrame(
        {"sample_id": range(paths), "source": source},
        schema={"sample_id": pl.Int32, "source": pl.Int32},
    )
    return draws.join(sample.rename({"sample_id": "source"}), on="source").drop("source")


def drill_inputs(
    warehouse_path: Path, forecast_run_id: str | None, paths: int | None, seed: int
) -> DrillInputs:
    """The forecast run's bottom-level paths and each class's day shapes from the history the
    forecast knew (up to its as-of date)."""
    from forecasting import drills

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        ref = forecast_run(wh, forecast_run_id)
        sample = wh.run_frame("forecast_paths", ref.run_id)
        hourly = wh.hourly_demand()
    sample = resampled_paths(sample.with_columns(pl.col("y").cast(pl.Float64)), paths, seed)
    shapes = drills.day_shapes(hourly, until=ref.as_of)
    return DrillInputs(forecast=ref, paths=sample, shapes=shapes)


def play_drill(
    plan: CapacityPlan,
    paths: pl.DataFrame,
    shapes: pl.DataFrame,
    scenario: Scenario,
    *,
    as_of: date,
    options: DrillOptions,
) -> PlayedDrill | DrillNotPlayed:
    """Play one scenario on every path; search the answers when the options ask.

    A scenario this forecast or plan cannot place (a date outside the forecast horizon, no
    committed block to slip, a target with no demand) is not played, with the reason: one
    ready-made drill that does not apply never stops the others.
    """
    from forecasting import drills

    started = time.perf_counter()
    try:
        # Prepared once: the searches below start from this drill and its shocked run.
        drill = drills.prepare_drill(plan, paths, shapes, scenario)
        result = drill.play()
    except drills.ScenarioError as exc:
        return DrillNotPlayed(drill=scenario.name, reason=str(exc))
    answers: dict[str, Any] = {
        "breaking_multiplier": None,
        "breaking_note": None,
        "blocks_pass": None,
        "capex_needed_usd": None,
    }
    additions = pl.DataFrame(schema=drills.ADDITIONS_SCHEMA)
    wanted = options.answers == "all" or (options.answers == "failing" and not result.passed)
    baseline_passed = result.baseline is None or result.baseline.passed
    if wanted:
        # The searches read the paths the verdict read: on a subset, one whose unshocked plan
        # failed (sampling) made a passing plan "break below 1x" and sized blocks for a
        # shortfall the drill did not have. The breaking search costs a few runs: all paths.
        few = (
            paths
            if options.answer_paths is None
            else paths.filter(pl.col("sample_id") < options.answer_paths)
        )
        if baseline_passed:
            point = drills.breaking_multiplier(plan, paths, shapes, scenario, prepared=drill)
            answers["breaking_multiplier"] = point.multiplier
            answers["breaking_note"] = point.note
        else:
            # A plan failing unshocked breaks at any multiplier: there is nothing to search.
            answers["breaking_note"] = "not searched: the plan fails without the shock"
        if not result.passed:
            search = drills.blocks_to_pass(
                plan, few, shapes, scenario, run_date=as_of, max_blocks=options.max_blocks,
                verify_on=None if few is paths else paths,
                prepared=drill if few is paths else None,
            )  # fmt: skip
            # Only a set the whole drill was re-run with and passed is stored as "would pass".
            additions = search.additions if search.passed else additions
            answers["blocks_pass"] = search.passed
            answers["capex_needed_usd"] = search.capex_usd if search.passed else None
            runs_text = {0: "no simulation run", 1: "1 simulation run"}.get(
                search.runs, f"{search.runs} simulation runs"
            )
            searched = [search.summary, *search.notes, f"{runs_text} beyond the drill's own"]
            notes = (*result.notes, *(f"{BLOCKS_NOTE}{note}" for note in searched))
            result = replace(result, notes=notes)
    answers["seconds"] = time.perf_counter() - started
    return PlayedDrill(result=result, answers=answers, additions=additions)


def drill_outcome(
    *,
    run_id: str,
    run: dict[str, Any],
    verdicts: pl.DataFrame,
    kpis: pl.DataFrame,
    additions: pl.DataFrame,
    rungs: pl.DataFrame | None = None,
    changes: pl.DataFrame | None = None,
) -> DrillOutcome:
    """One drill's outcome from its run row (as stored) and its verdict, KPI, block and rung
    frames."""
    blocks = additions.select(blocks_needed()).item() if additions.height else ""
    used = rungs.filter(pl.col("used_share") >= RUNG_USED_SHARE) if rungs is not None else None
    return DrillOutcome(
        run_id=run_id,
        drill=run["drill"],
        target=run["target"],
        passed=run["passed"],
        failing_classes=verdicts.filter(~pl.col("passed")).get_column("workload_class").to_list(),
        breaking_multiplier=run["breaking_multiplier"],
        breaking_note=run["breaking_note"],
        blocks_needed=blocks or None,
        capex_needed_usd=run["capex_needed_usd"],
        kpis=kpis.filter(pl.col("workload_class") == "all").drop("run_id", strict=False).to_dicts(),
        verdict=run.get("verdict"),
        changes=(
            []
            if changes is None
            else changes.filter(pl.col("workload_class") == "all")
            .drop("run_id", strict=False)
            .to_dicts()
        ),
        unshocked_failures=list(run.get("unshocked_failures") or []),
        time_to_absorb_hours=run.get("time_to_absorb_hours"),
        absorb_censored=run.get("absorb_censored"),
        short_until_shock_end_hours=run.get("short_until_shock_end_hours"),
        window_hours=run.get("window_hours"),
        absorb_cost_usd=run.get("absorb_cost_usd"),
        failover_share=run.get("failover_share"),
        rungs_used=(
            []
            if used is None
            else [
                f"{r['rung']}" + ("" if r["region"] == "all" else f" in {r['region']}")
                for r in used.iter_rows(named=True)
            ]
        ),
        blocks_pass=run.get("blocks_pass"),
        # The search's one-line answer is the first of its notes (see play_drill).
        blocks_note=next(
            (
                n.removeprefix(BLOCKS_NOTE)
                for n in run.get("notes") or ()
                if n.startswith(BLOCKS_NOTE)
            ),
            None,
        ),
        shock_cut=next((n for n in run.get("notes") or () if n.startswith(SHOCK_CUT_NOTE)), None),
    )


def capacity_sha256(capacity_path: Path) -> str:
    """The plan file's sha256: what trigger and drill runs record of the plan they read."""
    return hashlib.sha256(capacity_path.read_bytes()).hexdigest()


def save_drill(
    warehouse_path: Path,
    forecast_run_id: str,
    played: PlayedDrill,
    seed: int,
    *,
    plan_sha256: str,
) -> DrillOutcome:
    """Store one drill's verdicts, KPIs, blocks and answers in one transaction, with the
    sha256 of the plan file it was played on (``plan_sha256``)."""
    result, scenario = played.result, played.result.scenario
    run_id = new_run_id(scenario.name)
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
        "verdict": result.verdict or None,
        "unshocked_failures": list(result.unshocked_failures),
        "baseline_passed": None if result.baseline is None else result.baseline.passed,
        "time_to_absorb_hours": result.absorb_hours,
        "absorb_censored": result.absorb_censored if result.baseline is not None else None,
        "window_hours": result.window_hours,
        "absorb_cost_usd": result.absorb_cost_usd,
        "failover_share": result.failover_share,
        "short_until_shock_end_hours": result.short_until_shock_end_hours,
        "capacity_sha256": plan_sha256,
        **played.answers,
    }
    variants = [
        curve.select(pl.lit(name).alias("variant"), pl.all())
        for name, curve in (
            ("baseline", result.baseline.backlog_curve if result.baseline else None),
            ("ladder", result.ladder_curve),
        )
        if curve is not None and curve.height
    ]
    frames = {
        "drill_verdicts": result.verdicts,
        "drill_kpis": result.kpis,
        "drill_blocks": result.blocks,
        "drill_additions": played.additions,
        "drill_curves": result.backlog_curve,
        "drill_kpi_changes": result.changes,
        "drill_rungs": result.rungs,
        "drill_variant_curves": (
            pl.concat(variants)
            if variants
            else pl.DataFrame(schema=frame_schema("drill_variant_curves"))
        ),
    }
    with warehouse.connect(warehouse_path, create=False) as wh:
        wh.save_run("drill_runs", run, frames)
    return drill_outcome(
        run_id=run_id,
        run=run,
        verdicts=result.verdicts,
        kpis=result.kpis,
        additions=played.additions,
        rungs=result.rungs,
        changes=result.changes,
    )


def save_not_played(
    warehouse_path: Path, forecast_run_id: str, not_played: DrillNotPlayed
) -> DrillNotPlayed:
    """Store why a drill was not played on this forecast run, for the platform page."""
    with warehouse.connect(warehouse_path, create=False) as wh:
        wh.save_not_played(forecast_run_id, not_played.drill, not_played.reason)
    return not_played


def stored_drill_outcomes(
    warehouse_path: Path, names: list[str], *, since: datetime, until: datetime
) -> DrillBatch:
    """The newest stored result of each named drill created between ``since`` and ``until``,
    or the reason it was not played stored in that window.

    Raises RunNotFoundError naming the drills with neither in the window.
    """
    slack = timedelta(seconds=60)  # the run's clock is the serving host's, not the server's
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        runs = wh.drill_runs_between(names, since=since - slack, until=until + slack).unique(
            "drill", keep="first", maintain_order=True
        )
        ids = runs.get_column("run_id").to_list()
        verdicts = wh.runs_frame("drill_verdicts", ids)
        kpis = wh.runs_frame("drill_kpis", ids)
        additions = wh.runs_frame("drill_additions", ids)
        rungs = wh.runs_frame("drill_rungs", ids)
        changes = wh.runs_frame("drill_kpi_changes", ids)
        skipped = wh.query(
            "SELECT drill, reason FROM drills_not_played WHERE list_contains($1, drill) "
            "AND created_at BETWEEN $2 AND $3 ORDER BY drill",
            [names, since - slack, until + slack],
        )
    missing = sorted(set(names) - set(runs.get_column("drill")) - set(skipped["drill"]))
    if missing:
        raise RunNotFoundError(
            f"{warehouse_path} holds no result for {', '.join(missing)} from this run: does the "
            "server write to the same warehouse?"
        )
    by_name = {row["drill"]: row for row in runs.iter_rows(named=True)}

    def mine(frame: pl.DataFrame, run_id: str) -> pl.DataFrame:
        return frame.filter(pl.col("run_id") == run_id)

    played = [
        drill_outcome(
            run_id=(run_id := by_name[name]["run_id"]),
            run=by_name[name],
            verdicts=mine(verdicts, run_id),
            kpis=mine(kpis, run_id),
            additions=mine(additions, run_id),
            rungs=mine(rungs, run_id),
            changes=mine(changes, run_id),
        )
        for name in names
        if name in by_name
    ]
    not_played = [
        DrillNotPlayed(**row)
        for row in skipped.iter_rows(named=True)
        if row["drill"] not in by_name
    ]
    return DrillBatch(played=played, not_played=not_played)


def drill(warehouse_path: Path, capacity_path: Path, options: DrillOptions) -> DrillBatch:
    """Run the drills the options name on one forecast run and store every result."""
    from forecasting.capacity import load_capacity

    plan = load_capacity(capacity_path)
    plan_sha256 = capacity_sha256(capacity_path)
    scenarios = drill_scenarios(options)
    inputs = drill_inputs(warehouse_path, options.forecast_run_id, options.paths, options.seed)
    batch = DrillBatch(played=[])
    for scenario in scenarios:
        played = play_drill(
            plan, inputs.paths, inputs.shapes, scenario, as_of=inputs.forecast.as_of,
            options=options,
        )  # fmt: skip
        if isinstance(played, DrillNotPlayed):
            batch.not_played.append(save_not_played(warehouse_path, inputs.forecast.run_id, played))
        else:
            batch.played.append(
                save_drill(
                    warehouse_path,
                    inputs.forecast.run_id,
                    played,
                    options.seed,
                    plan_sha256=plan_sha256,
                )
            )
    return batch


# --- triggers and reports ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TriggerRun:
    """A stored trigger run and the forecast run it was computed from."""

    run_id: str
    forecast: ForecastRef


class ReportOutcome(BaseModel):
    """Where the report went and what it says, for the CLI and the pipeline.

    ``run_id`` is the forecast run reported on; ``trigger_run_id`` the trigger run it shows.
    """

    run_id: str
    trigger_run_id: str
    path: Path
    # The triggers' as-of date: an order-by or contract-by date before it is already late.
    as_of: date | None = None
    # The day the report was generated: lateness on a past as-of date says whose day it counts
    # from (None: counted as days ago).
    generated: date | None = None
    statuses: dict[str, int]
    failing_drills: list[str]
    stale_days: int | None
    # The total, regions and classes forecast as zero for want of an observed day.
    unmeasured: list[str] = []
    # The total, regions and classes forecast by a baseline no backtest chose (not zero).
    untested: list[str] = []
    # Why the daily forecast's far days are not verified: it reaches further ahead than the
    # history goes back ("" when it does not).
    extrapolated: str = ""
    # Why drills of this forecast run are left out: played on another plan (empty: none).
    drills_other_plan: str = ""
    # Regions of the telemetry the plan has no block or site for (their orders are guesses).
    unplanned_regions: list[str] = []
    triggers: list[dict[str, Any]]
    power_statuses: dict[str, int] = {}  # the sites' power triggers (empty: no [[site]])
    # The first power contract date among red and amber sites: (site, contract_by), or None.
    power_first: tuple[str, date] | None = None
    # The plan's later orders due before every trigger's order (PLACEMENTS rows, first due first).
    later_due_first: list[dict[str, Any]] = []
    # The pages' headline status: "green to Jan 2027 only: not verified beyond (...)" where a
    # green reaches only as far as the forecast; the plain worst status otherwise.
    headline: str = ""


def trigger_settings(
    wh: warehouse.Warehouse,
    run_id: str,
    *,
    quantile: str,
    buffer_weeks: int,
    idle_weeks: int | None = None,
) -> TriggerSettings:
    """The triggers' settings on a stored forecast run (``idle_weeks`` None keeps the triggers'
    default): its orders due now sized on the daily rows where no decision backtest calibrated
    the band past them (too short a history)."""
    from forecasting.horizon import band_calibrated
    from forecasting.triggers import TriggerSettings

    settings = TriggerSettings(
        quantile=quantile,
        buffer_weeks=buffer_weeks,
        daily_sizing=not band_calibrated(wh.run_frame("forecast_summary", run_id)),
    )
    return settings if idle_weeks is None else replace(settings, idle_weeks=idle_weeks)


def compute_triggers(
    warehouse_path: Path, capacity_path: Path, plan: CapacityPlan, options: ReportOptions
) -> TriggerRun:
    """Expansion triggers of a forecast run against the plan, stored as a new trigger run."""
    from forecasting.triggers import expansion_triggers, mw_by_site_month

    with warehouse.connect(warehouse_path, create=False) as wh:
        ref = forecast_run(wh, options.forecast_run_id)
        forecast_frame = trigger_forecast(wh, ref.run_id)
        settings = trigger_settings(
            wh,
            ref.run_id,
            quantile=options.quantile,
            buffer_weeks=options.buffer_weeks,
            idle_weeks=options.idle_weeks,
        )
        result = expansion_triggers(forecast_frame, plan, as_of=ref.as_of, settings=settings)
        end = forecast_frame.get_column("ds").max()
        assert isinstance(end, date)  # a stored run has days
        power = mw_by_site_month(
            plan, result.triggers, start=ref.as_of, end=end, placements=result.placements
        )
        run_id = new_run_id("triggers")
        run = {
            "run_id": run_id,
            "forecast_run_id": ref.run_id,
            "as_of": ref.as_of,
            "quantile": options.quantile,
            "buffer_weeks": options.buffer_weeks,
            "capacity_sha256": capacity_sha256(capacity_path),
            "created_at": datetime.now(UTC),
        }
        frames = {
            "triggers": result.triggers,
            "trigger_drivers": result.drivers,
            "idle_risk": result.idle_risk,
            "site_power": power,
            "trigger_n_plus_one": result.n_plus_one,
            "power_triggers": result.power,
            "order_placements": result.placements,
        }
        wh.save_run("trigger_runs", run, frames)
    return TriggerRun(run_id=run_id, forecast=ref)


def _concentration(history: pl.DataFrame, paths: pl.DataFrame) -> pl.DataFrame:
    """History and forecast of top-1/top-5 share and HHI, long, in the report's columns."""
    from forecasting import concentration

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


def drills_on_other_plans(other: pl.DataFrame, *, plan_sha256: str | None) -> str:
    """The sentence a report gives for the drills of its forecast run that it leaves out
    because none of their runs was played on its plan; "" when there are none."""
    if not other.height:
        return ""
    names = ", ".join(sorted(other.get_column("drill").unique().to_list()))
    shas = sorted({s[:12] for s in other.get_column("capacity_sha256").drop_nulls().to_list()})
    played_on = f"plan sha256 {', '.join(shas)}" if shas else "a plan they did not record"
    unrecorded = other.get_column("capacity_sha256").null_count()
    if shas and unrecorded:
        played_on += " or a plan they did not record"
    this = f" (sha256 {plan_sha256[:12]})" if plan_sha256 else ""
    return (
        f"drills {names} were played on another capacity plan ({played_on}), not on this "
        f"report's plan{this}: they are not verified against this plan and are left out; run "
        "`fleetcast drill` with this plan to show them"
    )


def _drill_frames(
    wh: warehouse.Warehouse, forecast_run_id: str, *, plan_sha256: str | None
) -> dict[str, Any]:
    """The newest stored result of each drill on this forecast run played on the report's plan
    (``plan_sha256``), shaped for the report, and the sentence for those played on another.

    A drill played on another plan (or before drills recorded their plan) is left out, never
    shown as this plan's result: its verdicts and blocks answer a different fleet."""
    from forecasting.report.inputs import DRILL_ANSWERS_SCHEMA

    played = wh.drill_runs(forecast_run_id=forecast_run_id)
    on_plan = pl.col("capacity_sha256").is_not_null() & (
        pl.col("capacity_sha256") == pl.lit(plan_sha256, pl.String)
    )
    runs = played.filter(on_plan).unique("drill", keep="first", maintain_order=True)
    other = played.filter(~pl.col("drill").is_in(runs.get_column("drill").implode()))
    ids = runs.get_column("run_id").to_list()
    names = runs.select("run_id", "drill")
    additions = wh.runs_frame("drill_additions", ids)
    blocks = additions.group_by("run_id").agg(blocks_needed().alias("blocks_needed"))

    def named(table: str) -> pl.DataFrame:
        return wh.runs_frame(table, ids).join(names, on="run_id").drop("run_id")

    answers = (
        runs.join(blocks, on="run_id", how="left")
        .with_columns(
            pl.col("unshocked_failures").list.join("; "),
            blocks_note=pl.col("notes")
            .list.eval(pl.element().filter(pl.element().str.starts_with(BLOCKS_NOTE)))
            .list.first()
            .str.strip_prefix(BLOCKS_NOTE),
            drill_notes=pl.col("notes")
            .list.eval(pl.element().filter(~pl.element().str.starts_with(BLOCKS_NOTE)))
            .list.join("; "),
        )
        .select(DRILL_ANSWERS_SCHEMA.names())
    )
    return {
        "drill_verdicts": named("drill_verdicts"),
        "drill_kpis": named("drill_kpis"),
        "drill_answers": answers,
        "drill_curves": named("drill_curves"),
        "drill_variant_curves": named("drill_variant_curves"),
        "drill_rungs": named("drill_rungs"),
        "drill_kpi_changes": named("drill_kpi_changes"),
        "drills_not_played": wh.drills_not_played(forecast_run_id=forecast_run_id),
        "drills_other_plan": drills_on_other_plans(other, plan_sha256=plan_sha256),
    }


def report_inputs(
    warehouse_path: Path, plan: CapacityPlan, triggers: TriggerRun, options: ReportOptions
) -> ReportInputs:
    """Everything the pages show for one trigger run and the forecast run it used."""
    from forecasting import contracts, demand
    from forecasting.capacity import capacity_timeline, site_power_by_month
    from forecasting.changes import run_changes
    from forecasting.report import ReportInputs
    from forecasting.report.inputs import BOOK_APPLIED_SCHEMA, CHOSEN_COLUMNS

    run_id = triggers.forecast.run_id
    as_of = triggers.forecast.as_of
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        stored_book = wh.contracts()
        book_concentration = wh.run_frame("book_concentration", run_id)
        run_settings = json.loads(
            wh.forecast_runs().filter(pl.col("run_id") == run_id).item(0, "settings")
        )
        hourly = wh.hourly_demand()
        newest = wh.newest_telemetry()
        forecast_frame = wh.run_frame("forecasts", run_id)
        months_frame = wh.run_frame("forecast_months", run_id)
        summary = wh.run_frame("forecast_summary", run_id)
        backtest = wh.run_frame("backtests", run_id)
        paths = wh.run_frame("forecast_paths", run_id).with_columns(pl.col("y").cast(pl.Float64))
        # "What changed" compares with the report alerts and `fleetcast status` compare with:
        # the newest earlier report whose forecast is not newer (a weekly report over daily
        # forecasts compares with last week's report, not a forecast that had none).
        compared = run_changes(wh, trigger_run_id=triggers.run_id)
        previous = compared.previous_forecast_run_id
        previous_triggers = (
            wh.run_frame("triggers", compared.previous_trigger_run_id)
            if compared.previous_trigger_run_id
            else None
        )
        drills = _drill_frames(wh, run_id, plan_sha256=wh.trigger_plan_sha256(triggers.run_id))
        trigger_frame = wh.run_frame("triggers", triggers.run_id)
        drivers = wh.run_frame("trigger_drivers", triggers.run_id)
        idle = wh.run_frame("idle_risk", triggers.run_id)
        power = wh.run_frame("site_power", triggers.run_id)
        power_triggers = wh.run_frame("power_triggers", triggers.run_id)
        horizon_accuracy = wh.run_frame("horizon_accuracy", run_id)
        placements = wh.run_frame("order_placements", triggers.run_id)
    history = demand.demand_series(
        hourly,
        customers_per_class=options.customers_per_class,
        named_customers=_named_customers(stored_book),
    )
    end = forecast_frame.get_column("ds").max()
    assert isinstance(end, date)
    # Capacity is drawn under the whole plan, daily rows and the monthly ones past them.
    plan_end = max(end, _month_end(months_frame.get_column("ds").max()))
    # The facilities view: at least 36 months, or to the plan horizon's end.
    as_of = triggers.forecast.as_of
    months = max(36, (end.year - as_of.year) * 12 + end.month - as_of.month + 1)
    supply = (
        site_power_by_month(
            plan,
            start=as_of,
            months=months,
            orders=placements.filter(pl.col("site").is_not_null()).select("site", "arrives", "mw"),
        )
        if plan.site
        else pl.DataFrame()
    )
    book = contracts.book_of(stored_book).known_by(as_of)
    first = forecast_frame.get_column("ds").min()
    assert isinstance(first, date)
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
        forecast=forecast_frame.with_columns(pl.lit(run_id).alias("run_id")),
        forecast_months=months_frame,
        backtest=backtest,
        chosen=summary.select(CHOSEN_COLUMNS),
        capacity=capacity_timeline(plan, start=start, end=plan_end),
        triggers=trigger_frame,
        drivers=drivers,
        idle_risk=idle,
        mw_by_site_month=power,
        power_triggers=power_triggers,
        placements=placements,
        horizon_accuracy=horizon_accuracy,
        site_supply=supply,
        concentration=_concentration(history, paths),
        previous_triggers=previous_triggers if previous_triggers is not None else pl.DataFrame(),
        previous_run_id=previous,
        previous_as_of=compared.previous_as_of,
        previous_daily_end=compared.previous_daily_end,
        power_changes=compared.power,
        changed_inputs=compared.inputs,
        contracts=contracts.contract_list(book),
        # To the plan's end, not the daily days': finance reads the book over the 36 months its
        # orders are sized for (a term to 2032 read six months of it).
        contract_finance=contracts.committed_and_pipeline(
            book,
            start=first,
            end=plan_end,
            # A policy without a price (0) leaves its contracts unpriced, never at $0.
            default_prices={
                c.value: p.price_per_gpu_hour
                for c, p in plan.policy.items()
                if p.price_per_gpu_hour > 0
            },
        ),
        book_concentration=book_concentration,
        pipeline_deals=_pipeline_deals(
            wh_path=warehouse_path, plan=plan, book=book, triggers=triggers, options=options
        ),
        book_applied=pl.DataFrame(
            [run_settings["contracts"]] if "contracts" in run_settings else [],
            schema=BOOK_APPLIED_SCHEMA,
        ),
        **drills,
    )


def _month_end(first_day: object) -> date:
    """The last day of the month that starts on ``first_day``; the epoch without one."""
    if not isinstance(first_day, date):
        return date.min
    following = (first_day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _pipeline_deals(
    *,
    wh_path: Path,
    plan: CapacityPlan,
    book: ContractBook,
    triggers: TriggerRun,
    options: ReportOptions,
) -> pl.DataFrame:
    """Each pipeline deal weighed as if it signed, on the forecast the triggers read."""
    from forecasting.whatif import pipeline_if_signed

    if not book.pipeline:
        return pl.DataFrame()
    with warehouse.connect(wh_path, read_only=True) as wh:
        frame = trigger_forecast(wh, triggers.forecast.run_id)
        settings = trigger_settings(
            wh,
            triggers.forecast.run_id,
            quantile=options.quantile,
            buffer_weeks=options.buffer_weeks,
            idle_weeks=options.idle_weeks,
        )
    return pipeline_if_signed(frame, plan, book, as_of=triggers.forecast.as_of, settings=settings)


def report_trigger_rows(inputs: ReportInputs) -> pl.DataFrame:
    """The triggers as the CLI and the Prefect table artifact show them (dates as text; an
    exhaustion on the plan's monthly rows as its month)."""
    from forecasting.report.format import fmt_day_or_month
    from forecasting.report.inputs import daily_end

    end = daily_end(inputs)
    exhaustion = [
        None if day is None else fmt_day_or_month(day, daily_end=end)
        for day in inputs.triggers.get_column("exhaustion_date")
    ]
    return inputs.triggers.select(
        "region",
        "pool",
        "status",
        "exhaustion_date",
        "order_by",
        "candidate",
        "blocks_to_order",
        "capex_usd",
        "mw",
        "powered_from",
        "note",
    ).with_columns(
        pl.col(pl.Date).exclude("exhaustion_date").cast(pl.String),
        pl.Series("exhaustion_date", exhaustion, dtype=pl.String),
    )


def report_summary_markdown(inputs: ReportInputs, path: Path) -> str:
    """The report's triggers and failing drills as Markdown, for the Prefect artifact."""
    from forecasting.report.format import fmt_day_or_month
    from forecasting.report.inputs import daily_end

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
    end = daily_end(inputs)
    for t in triggers.iter_rows(named=True):
        order = f"{t['blocks_to_order']} x {t['candidate']}" if t["blocks_to_order"] else "none"
        exhaustion = fmt_day_or_month(t["exhaustion_date"], daily_end=end).replace("–", "-")
        lines.append(
            f"| {t['region']} | {t['pool']} | {t['status']} | {exhaustion} "
            f"| {t['order_by'] or '-'} | {order} |"
        )
    failing = inputs.drill_answers.filter(~pl.col("passed")).get_column("drill").to_list()
    lines += ["", f"Failing drills: {', '.join(failing) if failing else 'none'}."]
    if inputs.drills_other_plan:
        lines.append(f"**Not verified:** {inputs.drills_other_plan}.")
    return "\n".join(lines)


def report_outcome(inputs: ReportInputs, triggers: TriggerRun, path: Path) -> ReportOutcome:
    """What a published report says: trigger counts, failing drills, staleness, triggers."""
    from forecasting.report.inputs import (
        extrapolated_reach,
        later_orders_due_first,
        status_headline,
        unmeasured_series,
        unplanned_regions_of,
        untested_series,
    )

    statuses = inputs.triggers.group_by("status").len()
    power = inputs.power_triggers.group_by("status").len()
    late = inputs.power_triggers.filter(
        pl.col("status").is_in(["red", "amber"]) & pl.col("contract_by").is_not_null()
    ).sort("contract_by")
    return ReportOutcome(
        run_id=inputs.run_id,
        trigger_run_id=triggers.run_id,
        path=path,
        as_of=inputs.as_of,
        generated=inputs.generated_at.date(),
        statuses=dict(zip(statuses["status"], statuses["len"], strict=True)),
        power_statuses=dict(zip(power["status"], power["len"], strict=True)),
        power_first=(late["site"][0], late["contract_by"][0]) if late.height else None,
        later_due_first=later_orders_due_first(inputs.triggers, inputs.placements).to_dicts(),
        failing_drills=inputs.drill_answers.filter(~pl.col("passed")).get_column("drill").to_list(),
        stale_days=inputs.stale_days,
        unmeasured=unmeasured_series(inputs.chosen),
        untested=untested_series(inputs.chosen),
        extrapolated=extrapolated_reach(inputs),
        drills_other_plan=inputs.drills_other_plan,
        unplanned_regions=unplanned_regions_of(inputs),
        triggers=report_trigger_rows(inputs).to_dicts(),
        headline=status_headline(inputs),
    )


def report(
    warehouse_path: Path, capacity_path: Path, reports_path: Path, options: ReportOptions
) -> ReportOutcome:
    """Compute a forecast run's triggers, publish the report pages and say what they show."""
    from forecasting.capacity import load_capacity
    from forecasting.report import publish_report

    plan = load_capacity(capacity_path)
    triggers = compute_triggers(warehouse_path, capacity_path, plan, options)
    inputs = report_inputs(warehouse_path, plan, triggers, options)
    return report_outcome(inputs, triggers, publish_report(inputs, root=reports_path))


# --- what-if -----------------------------------------------------------------------------------


def trigger_forecast(wh: warehouse.Warehouse, run_id: str) -> pl.DataFrame:
    """What the triggers read of a forecast run: its daily and monthly rows, with ``grain``."""
    from forecasting.horizon import with_grain

    return with_grain(wh.run_frame("forecasts", run_id), wh.run_frame("forecast_months", run_id))


class WhatIfOutcome(BaseModel):
    """A weighed deal for the CLI and the flow: the answer's headline and where its page is."""

    forecast_run_id: str
    as_of: date
    horizon_end: date
    serve_from: date | None
    can_serve: bool
    serve_note: str
    extra_capex_usd: float
    extra_mw: float
    revenue_usd: float | None
    orders: list[dict[str, Any]]
    notes: list[str]
    page: Path
    revenue_in_horizon_usd: float | None = None  # the part of revenue_usd to the plan's end
    # Served from its first day until it goes short then (a day, or a month on monthly rows),
    # and in full again from serve_from (None: served throughout, or short at once).
    short_from: str | None = None
    daily_end: date | None = None  # the forecast's last daily row: past it a date is a month


def weigh_deal(
    warehouse_path: Path, capacity_path: Path, reports_path: Path, options: WhatIfOptions
) -> WhatIfOutcome:
    """Weigh a deal against the plan on a stored forecast run and publish its what-if page."""
    from forecasting.capacity import load_capacity
    from forecasting.report.pages.whatif import whatif_page
    from forecasting.whatif import deal_contract, what_if

    plan = load_capacity(capacity_path)
    deal = deal_contract(
        customer=options.customer,
        workload_class=options.workload_class,
        region=options.region,
        ramp=options.ramp,
        until=options.until,
        price_per_gpu_hour=options.price_per_gpu_hour,
    )
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        ref = forecast_run(wh, options.forecast_run_id)
        frame = trigger_forecast(wh, ref.run_id)
        paths = wh.run_frame("forecast_paths", ref.run_id).with_columns(
            pl.col("y").cast(pl.Float64)
        )
        settings = trigger_settings(
            wh, ref.run_id, quantile=options.quantile, buffer_weeks=options.buffer_weeks
        )
    book = contract_book(warehouse_path).known_by(ref.as_of)
    answer = what_if(frame, plan, deal, as_of=ref.as_of, paths=paths, settings=settings, book=book)
    slug = re.sub(
        r"[^a-z0-9]+", "-", f"{deal.customer}-{deal.workload_class}-{deal.region}".lower()
    )
    page = reports_path / "whatif" / f"{slug.strip('-') or 'deal'}-{new_run_id('whatif')[7:]}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(
        whatif_page(answer, forecast_run_id=ref.run_id, quantile=options.quantile), encoding="utf-8"
    )
    return WhatIfOutcome(
        forecast_run_id=ref.run_id,
        as_of=ref.as_of,
        horizon_end=answer.horizon_end,
        serve_from=answer.serve_from,
        can_serve=answer.can_serve,
        serve_note=answer.serve_note,
        short_from=answer.short_from,
        daily_end=answer.daily_end,
        extra_capex_usd=answer.extra_capex_usd,
        extra_mw=answer.extra_mw,
        revenue_usd=answer.revenue_usd,
        revenue_in_horizon_usd=answer.revenue_in_horizon_usd,
        orders=answer.orders.to_dicts(),
        notes=list(answer.notes),
        page=page,
    )


# --- changes between reports ---------------------------------------------------------------------


def report_changes(warehouse_path: Path, *, trigger_run_id: str | None = None) -> RunChanges:
    """Trigger status changes and drill verdict flips of a report (default: the newest by as-of
    day) since the report before it, read through a read-only connection (see
    forecasting.changes)."""
    from forecasting.changes import run_changes

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        return run_changes(wh, trigger_run_id=trigger_run_id)
