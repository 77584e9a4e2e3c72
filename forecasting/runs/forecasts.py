"""A forecast run: the demand series, the contract book applied, the forecast to the plan
horizon and what is stored of it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import BaseModel

from forecasting import hierarchy, warehouse
from forecasting.options import ForecastOptions
from forecasting.runs.ids import MapFn, NoHistoryError, new_run_id
from forecasting.runs.loading import contract_book, stray_contracts
from forecasting.schema import BOOK_ONLY, STALE_WARN_DAYS, frame_schema
from forecasting.text import days_count

if TYPE_CHECKING:  # the step modules load scipy, numba and plotly: only when a step runs
    from forecasting.contracts import ContractBook
    from forecasting.forecast import ForecastResult, ForecastSettings
    from forecasting.horizon import Extended, Growth


__all__ = [
    "OUTAGES_NOT_KNOWN",
    "BookApplied",
    "DemandRead",
    "ForecastRun",
    "apply_book",
    "book_only_region_warning",
    "demand_read_for",
    "demand_series_for",
    "forecast",
    "history_missing",
    "known_events",
    "months_refusal",
    "outages_not_known_line",
    "partial_as_of_lines",
    "plan_growth",
    "plan_horizon_months",
    "plan_past_lead_times",
    "plan_warnings_for",
    "silent_customer_lines",
    "silent_customers_for",
    "store_forecast",
    "stray_region_lines",
    "stray_regions_for",
    "unplanned_regions_for",
]


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
    horizon_months_asked: int = 0  # the months asked for (--horizon-months; 0: not known)
    plan_gap: str | None = None  # why the plan stops at the daily days, where it could not reach
    # Why a run with no monthly rows has none, as stored (runs.reports.daily_only): made with
    # `--horizon-months 0`, or its fleet too young; "" where it has them.
    daily_only: str = ""
    plan_change: str | None = None  # a growth change the series share, which the plan follows
    # Out-of-sample accuracy of the daily peak 26 weeks ahead, per series and cut-off.
    decision_accuracy: list[dict[str, Any]] = []
    contracts_signed: int = 0  # signed contracts holding GPUs within the horizon, applied
    contracts_pipeline: int = 0  # pipeline deals holding GPUs within the horizon, applied
    # Classes and customers only the book holds (no telemetry yet), each with its label: their
    # quantiles are the book's outcomes, not a forecast (contracts.book_only_levels).
    book_only_levels: dict[str, str] = {}
    # Where the history's dates rest on a trace with no calendar (ServeGen): where its day 0
    # was placed (forecasting.traces.placed_dates_note); "" when the dates are the files' own.
    placed_dates: str = ""
    # The outage windows trace adapters found at ingest that touch the history, or that they
    # are not known (files ingested before migration 43), in words
    # (forecasting.traces.outages.adapter_outages_text); "" where no trace was read.
    adapter_outages: str = ""
    # The last day any series' history holds: the day before the as-of day where that day
    # reads as missing (a partial newest day); None where the run forecast nothing.
    history_end: date | None = None
    # Series backtested on a shorter layout than the settings' (ForecastSettings.for_history),
    # in words; "" when every backtest ran the settings' own.
    short_backtests: str = ""
    # Whether any series has an observed day (False: every day had too few hours; "history to
    # DAY" then named a day nothing was observed on).
    observed: bool = True

    @property
    def history_to(self) -> str:
        """The history's last day in words, with the as-of day where it is not that day."""
        if not self.observed:
            return f"no observed day of history (its rows to {self.as_of} read as missing)"
        if self.history_end is None or self.history_end >= self.as_of:
            return f"history to {self.as_of}"
        return f"history to {self.history_end} (the as-of day {self.as_of} reads as missing)"


def _telemetry_spans(hourly: pl.DataFrame) -> dict[str, tuple[datetime, datetime]]:
    """Each region's first and last telemetry hour (what an outage calendar is checked
    against)."""
    spans = hourly.group_by("region").agg(first=pl.col("ts").min(), last=pl.col("ts").max())
    return {r: (f, t) for r, f, t in spans.iter_rows() if r is not None}


def history_missing(warehouse_path: Path) -> str | None:
    """Why nothing can be forecast from the warehouse at ``warehouse_path`` (no file, or no
    telemetry in it), in the words `fleetcast forecast` uses; None when it holds telemetry."""
    if not Path(warehouse_path).exists():
        return f"no warehouse at {warehouse_path}; run `fleetcast ingest` or `fleetcast demo` first"
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        if wh.count("telemetry"):
            return None
    return f"{warehouse_path} holds no telemetry; run `fleetcast ingest` first"


def telemetry_seen(wh: warehouse.Warehouse, *, as_of: date | None) -> dict[str, Any]:
    """What a forecast run reads of the telemetry, as its forecast_runs columns: the rows up
    to ``as_of``'s end (None: all of them), their checksum and the newest ts stored. Taken
    before the series are read, so an ingest while the run fits never counts as seen."""
    last = wh.newest_telemetry()
    if last is None:
        return {}
    # Past the newest row when no as-of day is given: the run forecasts from its last day.
    before = last + timedelta(microseconds=1)
    if as_of is not None:
        before = min(before, datetime.combine(as_of + timedelta(days=1), time_of_day(), tzinfo=UTC))
    rows, checksum = wh.history_checksum(before=before)
    return {
        "seen_before": before,
        "seen_rows": rows,
        "seen_checksum": checksum,
        "seen_last_ts": last,
    }


def telemetry_seen_in(warehouse_path: Path, *, as_of: date | None) -> dict[str, Any]:
    """:func:`telemetry_seen` of the warehouse at ``warehouse_path``."""
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        return telemetry_seen(wh, as_of=as_of)


@dataclass(frozen=True, slots=True)
class DemandRead:
    """A run's daily demand series, and the lines on its outage calendar's windows that mark
    no telemetry hour (they end before its first hour), from one read of each: the run's
    warnings say those lines, which a second read of the calendar and the telemetry gave."""

    series: pl.DataFrame
    outage_notes: tuple[str, ...] = ()
    # The outage windows the read applied (forecasting.traces.outages.APPLIED_OUTAGES_SCHEMA:
    # its calendar's, its zero rule's hours), which the run stores so that its drills and
    # reports mask the same hours (warehouse.Warehouse.run_hourly_demand); None: none.
    outages: pl.DataFrame | None = None
    # The trace files read whose adapter outage windows are not known (ingested before
    # migration 43), stored with the run so no page reads "none found" for them.
    adapter_outages_unknown: tuple[str, ...] = ()


def demand_series_for(warehouse_path: Path, options: ForecastOptions) -> pl.DataFrame:
    """Daily demand series at every level from the warehouse's hourly telemetry
    (:func:`demand_read_for`'s)."""
    return demand_read_for(warehouse_path, options).series


def demand_read_for(warehouse_path: Path, options: ForecastOptions) -> DemandRead:
    """Daily demand series at every level from the warehouse's hourly telemetry, with the
    lines on the outage calendar's windows that mark nothing (none without a calendar; a
    window years before the telemetry marked nothing without a word).

    Hours without rows, and hours in the options' outage calendar, are missing; hours whose
    rows read zero are zero demand unless ``options.zero_is_outage``. With
    ``options.use_contracts``, every customer of the contract book keeps its own series in
    its classes (never folded into ``other``), so its ramp floors its own demand; so does
    every customer a block of the plan at ``options.capacity`` is dedicated to, in each class
    the block may run, so its demand meets its own block.
    """
    from forecasting import demand
    from forecasting.traces import OUTAGE_FINDERS
    from forecasting.traces.outages import (
        OUTAGE_FROM_CALENDAR,
        applied_windows,
        outage_calendar_read,
        zero_hour_windows,
    )

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        hourly = wh.hourly_demand()
        stored = wh.contracts() if options.use_contracts else None
        found = wh.adapter_outages()
        unrecorded = wh.adapter_outages_unrecorded(formats=OUTAGE_FINDERS)
    if hourly.is_empty():
        raise NoHistoryError(f"{warehouse_path} holds no telemetry; run `fleetcast ingest` first")
    outages, notes = (
        outage_calendar_read(
            options.outages,
            regions=hourly["region"].unique().to_list(),
            spans=_telemetry_spans(hourly),
        )
        if options.outages is not None
        else (None, [])
    )
    dedicated: list[tuple[str, str]] = []
    if options.capacity is not None and options.capacity.is_file():
        from forecasting.capacity import load_capacity

        dedicated = load_capacity(options.capacity).dedicated_customers()
    series = demand.demand_series(
        hourly,
        customers_per_class=options.customers_per_class,
        zero_is_outage=options.zero_is_outage,
        outages=outages,
        named_customers=[*named_customers(stored), *dedicated],
    )
    if options.as_of is not None:
        series = history_until(series, options.as_of)
    history = _history_spans(hourly, as_of=options.as_of)
    applied = pl.concat(
        [
            applied_windows(outages, source=OUTAGE_FROM_CALENDAR),
            *([zero_hour_windows(hourly)] if options.zero_is_outage else []),
            # Listed, not applied again: their minutes are not in the telemetry
            # (Warehouse.run_hourly_demand leaves their hours as the forecast read them).
            _adapter_windows(found, history),
        ]
    )
    return DemandRead(
        series=series,
        outage_notes=tuple(notes),
        outages=applied,
        adapter_outages_unknown=_unrecorded_files(unrecorded, history),
    )


def _history_spans(
    hourly: pl.DataFrame, *, as_of: date | None
) -> dict[str, tuple[datetime, datetime]]:
    """Each region's first and last hour of the history a run reads: up to the end of its
    ``as_of`` day where given (regions with no hour by then left out)."""
    if as_of is not None:
        end = datetime.combine(as_of + timedelta(days=1), time_of_day(), tzinfo=UTC)
        hourly = hourly.filter(pl.col("ts") < end)
    return _telemetry_spans(hourly)


def _adapter_windows(
    found: pl.DataFrame, spans: Mapping[str, tuple[datetime, datetime]]
) -> pl.DataFrame:
    """The adapter windows stored at ingest (``ingest_outages``) that touch a history whose
    regions span ``spans`` (first and last hour), as a run stores them (source adapter)."""
    from forecasting.traces.outages import APPLIED_OUTAGES_SCHEMA, OUTAGE_FROM_ADAPTER

    rows = [
        {
            "region": region,
            "start": start,
            "end": end,
            "source": OUTAGE_FROM_ADAPTER,
            "reason": f"{adapter} adapter: {path} ({minutes:,} minutes dropped at ingest)",
        }
        for path, adapter, region, start, end, minutes in found.select(
            "path", "adapter", "region", "start", "end", "minutes"
        ).iter_rows()
        # An hour [h, h + 1 h) of the span is touched where the window overlaps it.
        if any(
            start < last + timedelta(hours=1) and end > first
            for r, (first, last) in spans.items()
            if region is None or r == region
        )
    ]
    return pl.DataFrame(rows, schema=APPLIED_OUTAGES_SCHEMA)


def _unrecorded_files(
    unrecorded: pl.DataFrame, spans: Mapping[str, tuple[datetime, datetime]]
) -> tuple[str, ...]:
    """The trace files (``Warehouse.adapter_outages_unrecorded``) whose rows overlap the
    history read, ``spans`` giving each region's first and last hour: their adapter windows
    are not known."""
    if not spans:
        return ()
    first = min(f for f, _ in spans.values())
    last = max(t for _, t in spans.values())
    return tuple(
        dict.fromkeys(
            path
            for path, _, low, high in unrecorded.iter_rows()
            if low is not None and high is not None and low <= last and high >= first
        )
    )


# Where a run stored before migration 41 is read: it kept no outage windows, so its telemetry
# is read raw, every hour as demand, whatever calendar or zero rule the run applied.
OUTAGES_NOT_KNOWN = (
    "outage hours not known for runs stored before migration 41 (run {run_id}): {what} "
    "read every telemetry hour as demand, a calendar's or a zero rule's outage hours too; "
    "forecast again (with its --outages or --zero-is-outage) to record them"
)


def outages_not_known_line(run_id: str, *, what: str) -> str:
    """The line saying forecast run ``run_id``, stored before migration 41, recorded no outage
    windows, so ``what`` (the history, the day shapes, the measured reach) read its telemetry
    raw: it may count a calendar outage's hours as demand, and nothing said so."""
    return OUTAGES_NOT_KNOWN.format(run_id=run_id, what=what)


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


def plan_warnings_for(
    warehouse_path: Path,
    capacity_path: Path | None,
    *,
    as_of: date | None = None,
    disagreements: pl.DataFrame | None = None,
) -> list[str]:
    """Warning lines where the plan at ``capacity_path`` misstates what the triggers and drills
    read: committed blocks their site has no power for on arrival, blocks dedicated to a
    customer with no telemetry in their region (but those retired on or before ``as_of``,
    by default the newest telemetry day), telemetry GPU types its [gpu_type] table lacks,
    and regions whose telemetry ran at the plan's ceiling with nothing queued or past it
    (:mod:`forecasting.ceiling`; none when no plan). ``disagreements``: those hours as the
    run's report read them (:meth:`ReportOutcome.plan_disagreements_read`), so the telemetry
    is aggregated by region and hour once per run; None reads them from the warehouse."""
    from forecasting.capacity import (
        load_capacity,
        stray_dedicated_warnings,
        unforecast_region_warning,
        unforecast_regions,
        unknown_gpu_type_warning,
    )
    from forecasting.ceiling import plan_disagreement_lines, plan_disagreements
    from forecasting.traces import ARRIVAL_FORMATS

    if capacity_path is None or not capacity_path.is_file():
        return []
    plan = load_capacity(capacity_path)
    dark = [f"warning: {line}" for line in plan.dark_committed_blocks()] + [
        # An entry to fix names its file, as the plan's refusals do.
        f"warning: {capacity_path}: {entry}"
        for entry in plan.doubtful_entries()
    ]
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        pairs = wh.query("SELECT DISTINCT region, customer FROM telemetry_series")
        newest = wh.query("SELECT max(ts)::DATE AS day FROM telemetry")
        types = wh.query(
            "SELECT gpu_type, count(*) AS n, list(DISTINCT region ORDER BY region) AS regions "
            "FROM telemetry GROUP BY gpu_type ORDER BY gpu_type"
        )
        if disagreements is None:
            # A trace whose GPUs are the requests that arrived is demand, not a censored floor.
            hourly = wh.region_hours(as_of=as_of, leave_out=ARRIVAL_FORMATS)
            disagreements = plan_disagreements(hourly, plan)
    dark += [
        f"warning: {line}"
        for line in plan_disagreement_lines(disagreements, plan=str(capacity_path))
    ]
    if plan.gpu_type:
        # A plan without a [gpu_type] table counts GPUs as they are: no type is unknown to it.
        dark += [
            unknown_gpu_type_warning(t, rows=n, regions=regions, plan=str(capacity_path))
            for t, n, regions in types.iter_rows()
            if t not in plan.gpu_type
        ]
    if not pairs.is_empty():
        # A region whose contracts the book holds is judged on them: it is not "not judged".
        booked: dict[str, list[str]] = {}
        for c in contract_book(warehouse_path, capacity_path=capacity_path).contracts:
            booked.setdefault(c.region, []).append(c.id)
        dark += [
            book_only_region_warning(region, booked[region], plan=str(capacity_path))
            if region in booked
            else unforecast_region_warning(region, plan=str(capacity_path))
            for region in unforecast_regions(plan, pairs["region"].to_list())
        ]
    if not any(b.dedicated_customer for b in plan.block):
        return dark
    customers: dict[str, list[str]] = {}
    for region, customer in pairs.iter_rows():
        customers.setdefault(region, []).append(customer)
    # A run's as-of defaults to the newest telemetry day: a block retired by then is out of
    # service, not capacity set aside.
    day = as_of if as_of is not None else newest["day"][0]
    strays = stray_dedicated_warnings(plan, customers, plan_path=str(capacity_path), as_of=day)
    return [*dark, *strays]


def book_only_region_warning(region: str, contract_ids: Sequence[str], *, plan: str) -> str:
    """The one line a command prints for a region of ``plan`` without telemetry whose demand
    is the contract book's alone (``contract_ids``, a greenfield site's anchor customer)."""
    return (
        f"warning: region {region!r} has [[block]]s in {plan} and contracts "
        f"({', '.join(repr(i) for i in contract_ids)}) but no telemetry: {BOOK_ONLY}; its "
        "triggers are judged on the contracts' ramps alone, until its telemetry is ingested"
    )


def silent_customers_for(warehouse_path: Path, as_of: date) -> pl.DataFrame:
    """The customers whose feed looks broken by ``as_of``'s end (see
    :func:`forecasting.demand.silent_customers`)."""
    from forecasting import demand

    until = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        reports = wh.quiet_customers(
            until=until,
            quiet_hours=STALE_WARN_DAYS * 24,
            lookback_days=demand.QUIET_LOOKBACK_DAYS,
        )
    return demand.silent_customers(reports)


def silent_customer_lines(silent: pl.DataFrame, *, held: Collection[str] = ()) -> list[str]:
    """One warning line per customer of :func:`silent_customers_for`; a customer of ``held``
    (unique ids forecast at zero as stopped, ForecastResult.held_at_zero) is said held there."""
    from forecasting import demand

    def forecast(uid: str) -> str:
        if uid in held:
            return (
                "its forecast is held at zero, as for a customer that left, until its "
                "telemetry returns"
            )
        return "its forecast follows them"

    return [
        f"{hierarchy.label_of(uid)} has no "
        f"telemetry rows since {last:%Y-%m-%d %H:00} UTC, {days_count(days)} before "
        f"{region}'s last, "
        f"though it wrote a row in {cover:.0%} of {region}'s {hours:,} hours before (zeros "
        f"included) and had {share:.0%} of its demand in the {demand.QUIET_LOOKBACK_DAYS} days "
        f"before: its days since read as zero demand and {forecast(uid)}; if its feed "
        "broke, backfill it"
        for region, cls, customer, last, days, cover, share, hours in silent.iter_rows()
        for uid in (hierarchy.id_of(region, cls, customer),)
    ]


def stray_regions_for(warehouse_path: Path, as_of: date) -> pl.DataFrame:
    """The regions whose rows up to ``as_of``'s end are too few to be a feed (see
    :func:`forecasting.demand.stray_regions`), which the total does not wait on."""
    from forecasting import demand

    until = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    # The hours and rows per region alone: summing the demand took 8 s on the demo's 3.9M rows.
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        hours = wh.query(
            "SELECT date_trunc('hour', ts) AS ts, region, count(*) AS rows FROM telemetry "
            "WHERE ts < ? GROUP BY ALL",
            [until],
        )
    return demand.stray_regions(hours)


def partial_as_of_lines(warehouse_path: Path, as_of: date, *, observed: bool = True) -> list[str]:
    """One warning line when ``as_of`` has telemetry in fewer hours than a day needs
    (:data:`forecasting.demand.MIN_HOURS_PER_DAY`): the newest day of a run made mid-day, which
    every series reads as missing. ``observed``: whether any series has an observed day (else
    no history ends the day before: an Azure trace of two hours read so)."""
    from forecasting import demand

    start = datetime.combine(as_of, datetime.min.time(), tzinfo=UTC)
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        day = wh.query(
            "SELECT count(DISTINCT date_trunc('hour', ts)) AS hours, max(ts) AS last "
            "FROM telemetry WHERE ts >= ? AND ts < ?",
            [start, start + timedelta(days=1)],
        )
    hours, last = day.row(0)
    if not hours or hours >= demand.MIN_HOURS_PER_DAY:
        return []
    before, after = as_of - timedelta(days=1), as_of + timedelta(days=1)
    if not observed:
        return [
            f"{as_of} (the as-of day) has telemetry in {hours} of 24 hours (to {last:%H:00} UTC), "
            f"fewer than the {demand.MIN_HOURS_PER_DAY} a day needs: it reads as missing, and no "
            f"series has an observed day, so every forecast starts {after} from no measured "
            "demand"
        ]
    return [
        f"{as_of} (the as-of day) has telemetry in {hours} of 24 hours (to {last:%H:00} UTC), "
        f"fewer than the {demand.MIN_HOURS_PER_DAY} a day needs: it reads as missing, so every "
        f"series' history ends {before} and its forecast starts {after}; give "
        f"`--as-of {before}` to forecast from the last whole day"
    ]


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def stray_region_lines(stray: pl.DataFrame, *, zero: Mapping[str, int] | None = None) -> list[str]:
    """One warning line per region of :func:`stray_regions_for`: its rows, hours and days, and
    what the total and its own series make of them; ``zero`` counts, per region, its series
    forecast by zero for want of a whole day, whose own lines this one stands for."""
    lines = []
    for region, rows, hours, days, first, last, fleet_hours in stray.iter_rows():
        when = f"{first:%Y-%m-%d %H:00}" + ("" if last == first else f" to {last:%Y-%m-%d %H:00}")
        zeroed = (zero or {}).get(region, 0)
        lines.append(
            f"{region} has telemetry in {_counted(hours, 'hour')} of {_counted(days, 'day')} "
            f"({_counted(rows, 'row')}, {when} UTC), against the {fleet_hours:,} hours "
            "the fleet reported: too few to be a feed, so the total does not wait on it: it "
            "holds those rows' GPUs in their hours and nothing in its other hours, and its own "
            "series reads those as missing"
            + (
                f"; {zeroed:,} of its series have no whole day and are forecast as zero"
                if zeroed
                else ""
            )
            + "; fix the region's name in the telemetry, or backfill it"
        )
    return lines


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


def named_customers(stored: pl.DataFrame | None) -> list[tuple[str, str]]:
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
    # The classes and customers only the book holds, each with its label
    # (contracts.book_only_levels): their quantiles are its outcomes, not a forecast.
    levels: Mapping[str, str] = field(default_factory=dict)


def apply_book(
    result: ForecastResult, book: ContractBook, *, seed: int, as_of: date
) -> tuple[ForecastResult, BookApplied]:
    """The run with the book as known on ``as_of`` applied (see
    :func:`forecasting.contracts.apply_to_run` for the rules), and what it applied.

    Only the bottom-level paths are kept (they are what is stored); a series the book adds
    gets a summary row with model ``contract-book`` and no scores. Concentration with and
    without the book is measured here, on the paths before and after, since the stored paths
    hold the book; with the book it is measured on those stored paths themselves.
    """
    from forecasting import hierarchy
    from forecasting.contracts import (
        CONTRACT_MODEL,
        apply_to_run,
        book_concentration,
        book_only_levels,
        contract_list,
    )
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
            # "With" on the paths as stored: what the what-if reads as "without the deal".
            concentration=book_concentration(leaves, applied.paths),
            levels=book_only_levels(applied.forecast, contract_list(known)),
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
    grown: Growth | None = None,
) -> tuple[ForecastResult, Extended | None, BookApplied | None]:
    """A forecast run made into a plan: extended to ``months`` ahead (forecasting.horizon;
    ``months`` 0 keeps it daily), then the contract book as known on ``as_of`` applied to its
    daily rows and paths and to its monthly rows. The extension comes first, so the growth
    models blend into demand the book then floors, and the book's effect is not blended away.
    ``grown``: the plan's growth calls (:func:`plan_growth`) where the run fitted them beside
    its daily models.
    """
    from forecasting.contracts import apply_to_months
    from forecasting.horizon import (
        customer_peaks_within_classes,
        extend_horizon,
        months_at_least_their_days,
    )

    extended = (
        extend_horizon(
            series,
            result,
            as_of=as_of,
            months=months,
            measure_accuracy=measure_accuracy,
            grown=grown,
        )
        if months
        else None
    )
    if extended is not None:
        result = extended.result
    else:
        # A plan holds its customers within their classes; a daily-only run's peaks too.
        result = replace(
            result,
            forecast=customer_peaks_within_classes(result.forecast, constant=result.constant),
        )
    applied = None
    if book is not None:
        result, applied = apply_book(result, book, seed=seed, as_of=as_of)
        if extended is not None:
            known = book.known_by(as_of)
            # The book lifts the daily rows' quantiles by its deals' draws on the paths, the
            # monthly rows' means only: a month's peak still reads at least its days (on the
            # demo 18 of 529 months read below them, a pipeline customer's q90 among them).
            booked = months_at_least_their_days(
                apply_to_months(extended.months, known), result.forecast, as_of=as_of
            )
            extended = replace(extended, result=result, months=booked)
    return result, extended, applied


def months_refusal(
    series: pl.DataFrame, extended: Extended | None, *, as_of: date, months: int
) -> str | None:
    """Why the run has no monthly rows where its forecast refused them, to store with it:
    asked (``months``) and refused, the plan's gap; made with ``--horizon-months 0``, the gap
    a plan on its history would have (:func:`forecasting.horizon.months_gap`); None where it
    made them or its history would give them. Only the forecast printed it: a 90-day fleet
    whose onboarding ramps leave two blocks, forecast daily-only, was told `--horizon-months
    92` by its unsized orders, which the forecast then refused."""
    if extended is not None:
        return None if extended.horizon_months else extended.gap
    if months:
        return None
    from forecasting.horizon import months_gap

    return months_gap(series, as_of=as_of)


def _decision_accuracy(accuracy: pl.DataFrame) -> list[dict[str, Any]]:
    """The scored rows of the decision backtest, 26 weeks ahead first, then 52 where the
    history reached (orders are sized for the 52 weeks after their shortfall), newest cut-off
    first, for the summary."""
    if accuracy.is_empty():
        return []
    return (
        accuracy.filter(pl.col("mae").is_not_null())
        .sort("horizon_days", "cutoff", "unique_id", descending=[False, True, False])
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
    seen: Mapping[str, Any] | None = None,
    capacity_path: Path | None = None,
    months_refused: str | None,
    months_asked: int = 0,
    outage_notes: Sequence[str] = (),
    outages: pl.DataFrame | None = None,
    adapter_outages_unknown: Sequence[str] = (),
) -> ForecastRun:
    """Store a forecast under a new run id (forecasts, leaf paths, backtests, and the monthly
    rows and decision-horizon accuracy of ``extended``) in one transaction.

    ``book`` is what the contract book did to the run (None: it was not applied); when given,
    ``result`` already carries it and ``extended`` only lends its monthly rows and accuracy.
    ``seen`` is :func:`telemetry_seen` as the run read its series (None: taken as it is
    stored, which counts a file ingested while it ran as seen). ``capacity_path``: the plan
    whose regions without telemetry yet hold contracts the book applied (not warned of).
    ``months_asked``: the plan horizon the run was asked for (``--horizon-months``), which the
    plan's lead times may have raised. ``outage_notes``: the run's outage calendar's windows
    that mark nothing (:class:`DemandRead`, as the run read its series), warned of.
    ``outages``: the windows the run applied (:attr:`DemandRead.outages`; None: none),
    stored so that its drills and reports read the hours it read. ``months_refused``: why its
    forecast made no monthly rows where it refused them (:func:`months_refusal`; None: it
    made them or could), stored so the triggers say it rather than ask for
    ``--horizon-months``.
    ``adapter_outages_unknown``: the trace files whose adapter windows are not known
    (:attr:`DemandRead.adapter_outages_unknown`), stored and said.
    """
    book = book or BookApplied()
    run_id = new_run_id("forecast")
    ran = _layout_that_ran(result, settings)
    run = {
        "run_id": run_id,
        "as_of": as_of,
        "created_at": datetime.now(UTC),
        "horizon_days": settings.horizon_days,
        "horizon_months": 0 if extended is None else extended.horizon_months,
        "series": _series_count(result.summary),
        "reconciliation": result.reconciliation,
        "seconds": seconds,
        "settings": json.dumps(
            asdict(settings)
            | ran
            | {"events": events, "contracts": {"signed": book.signed, "pipeline": book.pipeline}},
            default=str,
        ),
        "versions": json.dumps(
            {p: version(p) for p in ("polars", "statsmodels", "prophet", "duckdb")}
        ),
        "outages_recorded": True,
        "months_refused": months_refused,
        "months_refusal_recorded": True,
        "adapter_outages_unknown": list(adapter_outages_unknown),
    }
    from forecasting.forecast import with_mean_source
    from forecasting.measures import bands_on_their_means

    frames = {
        # Each row says whether its mean is the model's or its paths' (the warnings alone did).
        # No quantile crosses its mean by the last bits of sums made apart (measures.py).
        "forecasts": with_mean_source(
            bands_on_their_means(result.forecast), result.mean_of_paths_days
        ),
        "forecast_paths": _leaf_paths(result),
        "backtests": result.backtest,
        "forecast_summary": result.summary,
        # The totals' days that hold estimates, for the pages (the warnings alone said them).
        "forecast_estimated": result.estimated,
        "book_concentration": book.concentration,
        "forecast_outages": (
            pl.DataFrame(schema=frame_schema("forecast_outages")) if outages is None else outages
        ),
    }
    # A daily-only run (--horizon-months 0) stores no monthly rows and no decision accuracy:
    # empty frames, so the run is whole.
    accuracy = pl.DataFrame(schema=frame_schema("horizon_accuracy"))
    frames["forecast_months"] = pl.DataFrame(schema=frame_schema("forecast_months"))
    if extended is not None:
        accuracy = extended.accuracy
        frames["forecast_months"] = bands_on_their_means(extended.months)
    frames["horizon_accuracy"] = accuracy
    from forecasting.traces import OUTAGE_FINDERS, placed_dates_note
    from forecasting.traces.outages import adapter_outages_text

    with warehouse.connect(warehouse_path, create=False, wait=warehouse.STORE_WAIT) as wh:
        run |= dict(telemetry_seen(wh, as_of=as_of) if seen is None else seen)
        wh.save_run("forecast_runs", run, frames)
        placed = placed_dates_note(wh.ingested_formats())
        adapters = adapter_outages_text(
            frames["forecast_outages"],
            unknown=adapter_outages_unknown,
            traced=bool(set(wh.ingested_formats()) & set(OUTAGE_FINDERS)),
        )
        # The report's count of the days past the as-of day the backtests measured, which the
        # layout's line names beside each window's length (7 there read as 5 here).
        from forecasting.runs.reports import daily_only, scored_days  # it imports this module

        reach = scored_days(wh, run_id)
        # What the run stored of why it has no monthly rows, read as the triggers read it.
        no_months = daily_only(wh, run_id) or ""
    # A customer whose feed stopped and whose forecast is held at zero for it: one fact, said
    # once in its feed's line (two lines read as two findings).
    silent = silent_customers_for(warehouse_path, as_of)
    held = set(result.held_at_zero) & {
        hierarchy.id_of(*row)
        for row in silent.select("region", "workload_class", "customer").rows()
    }
    # A stray region's series forecast by zero are said in its one line, not one line each.
    stray = stray_regions_for(warehouse_path, as_of)
    zero = result.flagged.filter(pl.col("model") == "zero")["unique_id"].unique().to_list()
    under = {
        r: [u for u in zero if hierarchy.is_under(u, hierarchy.id_of(r))] for r in stray["region"]
    }
    folded = [u for uids in under.values() for u in uids]
    zeroed = {r: len(uids) for r, uids in under.items()}
    backtested = result.summary.get_column("fallback").is_null()
    chosen, fallback = (
        result.summary.filter(rows).group_by("model").len().sort("len", "model", descending=True)
        for rows in (backtested, ~backtested)
    )
    observed = result.summary.is_empty() or bool((result.summary["n_days"] > 0).any())
    return ForecastRun(
        run_id=run_id,
        as_of=as_of,
        series=_series_count(result.summary),
        seconds=seconds,
        reconciliation=result.reconciliation,
        models_chosen=dict(zip(chosen["model"], chosen["len"], strict=True)),
        models_fallback=dict(zip(fallback["model"], fallback["len"], strict=True)),
        fixed_model=settings.fixed_model,
        accuracy=_accuracy(result.summary),
        calibrated=int(result.summary.get_column("calibrated").sum()),
        fallbacks=_series_count(result.summary.filter(pl.col("fallback").is_not_null())),
        warnings=[
            *partial_as_of_lines(warehouse_path, as_of, observed=observed),
            *outage_notes,
            *result.warnings(folded=folded, stopped_feeds=held),
            *silent_customer_lines(silent, held=held),
            *stray_region_lines(stray, zero=zeroed),
            *stray_contracts(warehouse_path, capacity_path=capacity_path),
        ],
        events=events,
        horizon_months=0 if extended is None else extended.horizon_months,
        horizon_months_asked=months_asked,
        plan_gap=None if extended is None else extended.gap,
        daily_only=no_months,
        plan_change=None if extended is None else extended.change,
        decision_accuracy=_decision_accuracy(accuracy),
        contracts_signed=book.signed,
        contracts_pipeline=book.pipeline,
        book_only_levels=dict(book.levels),
        placed_dates=placed,
        adapter_outages=adapters,
        history_end=_history_end(result),
        observed=observed,
        short_backtests=_short_backtests(
            ran["backtest_layouts"],
            settings,
            reach=reach,
            as_of=as_of,
            top_short=_top_ran_short(result.summary, settings),
        ),
    )


def _series_count(summary: pl.DataFrame) -> int:
    """The series of a run summary (one row per series and measure): each counted once, as
    the platform page counts them. `fleetcast forecast` read "34 series ... 34 on a fallback"
    of a 14-day ServeGen export while the page said "all 17 series"."""
    return summary["unique_id"].n_unique()


def _layout_that_ran(result: ForecastResult, settings: ForecastSettings) -> dict[str, Any]:
    """The backtest layouts the run's series ran, each with its series count
    (``backtest_layouts``), and the layout keys of ``settings`` set to the one they all ran.

    A series too short for the settings' layout is backtested on a short one
    (``ForecastSettings.for_history``): Helios' runs stored 28-day windows while every series
    ran 7-day windows a day apart. Series on a fallback ran no backtest and are not counted.
    """
    keys = ("backtest_horizon", "backtest_step", "min_train_days")
    # One count per series (its longest history of the two measures), as the run counts them.
    ran = (
        result.summary.filter(pl.col("fallback").is_null(), pl.col("n_days").is_not_null())
        .group_by("unique_id")
        .agg(pl.col("n_days").max())["n_days"]
        .to_list()
    )
    counts: dict[tuple[Any, ...], int] = {}
    for n_days in ran:
        layout = settings.for_history(int(n_days))
        key = tuple(getattr(layout, k) for k in keys)
        counts[key] = counts.get(key, 0) + 1
    layouts = [
        dict(zip(keys, k, strict=True)) | {"series": n}
        for k, n in sorted(counts.items(), key=lambda kv: -kv[1])
    ]
    one = dict(zip(keys, next(iter(counts)), strict=True)) if len(counts) == 1 else {}
    return one | {"backtest_layouts": layouts}


def _top_ran_short(summary: pl.DataFrame, settings: ForecastSettings) -> bool:
    """Whether the total or a region (the series the report's reach is read from) ran a
    backtest layout shorter than ``settings``' own."""
    own = (settings.backtest_horizon, settings.backtest_step, settings.min_train_days)
    top = summary.filter(
        hierarchy.depth() <= 1, pl.col("fallback").is_null(), pl.col("n_days").is_not_null()
    )
    return any(
        (lay.backtest_horizon, lay.backtest_step, lay.min_train_days) != own
        for lay in (settings.for_history(int(n)) for n in top["n_days"])
    )


def _short_backtests(
    layouts: list[dict[str, Any]],
    settings: ForecastSettings,
    *,
    reach: int,
    as_of: date,
    top_short: bool = True,
) -> str:
    """The backtest layouts other than the settings' own, in words, with ``reach``, the days
    past ``as_of`` their windows measured as the report counts them; "" when none ran.

    Helios' forecast read "backtested 7 days ahead" where its report read "scored 5 days
    ahead": the 7 is each window's length from its own cut-off, the report's count starts at
    the as-of day. The line names the window as a window and gives the report's count.

    The report's count is the total's and the regions' (``top_short``: whether they ran a
    short layout). Where only younger series did, the count is not theirs and is left out:
    the demo read "14 series backtested on 7-day windows ...; they scored 364 days ahead",
    fourteen young customers credited with the total's decision backtest."""
    own = (settings.backtest_horizon, settings.backtest_step, settings.min_train_days)
    short = [
        f"{lay['series']:,} series backtested on {lay['backtest_horizon']}-day windows from "
        f"cut-offs {lay['backtest_step'] or lay['backtest_horizon']} day(s) apart after "
        f"{lay['min_train_days']} days of training"
        for lay in layouts
        if (lay["backtest_horizon"], lay["backtest_step"], lay["min_train_days"]) != own
    ]
    if not short:
        return ""
    scored = (
        f"they scored {days_count(reach)} ahead (to {as_of + timedelta(days=reach)})"
        if reach > 0
        else "they scored no day past it"
    )
    too_short = (
        f"for {settings.backtest_horizon}-day backtests after {settings.min_train_days} days "
        "of training"
    )
    if not top_short:
        ran = "which the total and the regions ran"
        return f"{'; '.join(short)} (their history too short {too_short}, {ran})"
    return (
        f"{'; '.join(short)} (history too short {too_short}); counted from the as-of day "
        f"{as_of}, as the report counts them, {scored}"
    )


def _history_end(result: ForecastResult) -> date | None:
    """The last day observed in any series of ``result``: the run's last day less the fewest
    days any series went without telemetry at its end."""
    last = result.last_day
    fewest = None if result.summary.is_empty() else result.summary["stale_days"].min()
    if last is None or fewest is None:
        return last
    return last - timedelta(days=int(fewest))  # type: ignore[arg-type]


def plan_growth(
    series: pl.DataFrame, *, as_of: date, months: int, daily_days: int
) -> Growth | None:
    """The growth calls a plan reaching ``months`` ahead blends past the ``daily_days`` of its
    daily forecast (forecasting.horizon.grow), with their decision backtest; None for a plan
    that stays daily. They read the demand alone, so a run fits them beside its daily models.
    """
    from forecasting.horizon import grow

    return grow(series, as_of=as_of, months=months, daily_days=daily_days) if months else None


def forecast(
    warehouse_path: Path,
    options: ForecastOptions,
    *,
    map_fn: MapFn = map,
    submit: Callable[..., Future[Any]] | None = None,
) -> ForecastRun:
    """Forecast every demand series and store the run; ``map_fn`` fans out the series, and
    ``submit`` (an executor's, the one ``map_fn`` runs on) fits the plan's growth models
    beside them: about 6.5 CPU s on the demo, which one core did alone after the fan-out
    while the other idled (README, "Performance")."""
    from forecasting.forecast import forecast_all

    started = time.perf_counter()
    settings = options.settings()
    # Before the series: an ingest while the run fits is not what it saw.
    seen = telemetry_seen_in(warehouse_path, as_of=options.as_of)
    read = demand_read_for(warehouse_path, options)
    series = read.series
    as_of = options.as_of or series.get_column("ds").max()
    assert isinstance(as_of, date)  # a non-empty frame has a newest day
    months = plan_horizon_months(options)
    # Submitted first, so a worker takes it while the others start on the series.
    growing = (
        submit(plan_growth, series, as_of=as_of, months=months, daily_days=settings.horizon_days)
        if submit is not None and months
        else None
    )
    known = known_events(warehouse_path) if options.use_events else None
    result = forecast_all(series, settings=settings, events=known, map_fn=map_fn)
    result, extended, applied = plan_past_lead_times(
        series,
        result,
        as_of=as_of,
        months=months,
        grown=None if growing is None else growing.result(),
        book=(
            contract_book(warehouse_path, capacity_path=options.capacity)
            if options.use_contracts
            else None
        ),
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
        seen=seen,
        capacity_path=options.capacity,
        months_refused=months_refusal(series, extended, as_of=as_of, months=months),
        months_asked=options.horizon_months,
        outage_notes=read.outage_notes,
        outages=read.outages,
        adapter_outages_unknown=read.adapter_outages_unknown,
    )
