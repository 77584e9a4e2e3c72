"""A trigger and report run: the expansion triggers on a forecast run, the pages' inputs, and
what changed since the report before."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import BaseModel

from forecasting import hierarchy, warehouse
from forecasting.calendar import month_end
from forecasting.digest import run_versions
from forecasting.options import ReportOptions
from forecasting.runs.drills import blocks_needed, capacity_sha256, drills_folder
from forecasting.runs.forecasts import (
    named_customers,
    outages_not_known_line,
    silent_customers_for,
)
from forecasting.runs.ids import ForecastRef, forecast_run, new_run_id
from forecasting.runs.loading import stored_book
from forecasting.schema import (
    BORDERLINE,
    MAX_SHOCK_MULTIPLIER,
    MONTHLY_ONLY,
    NOT_VERIFIED,
    VACANT,
)

if TYPE_CHECKING:  # the step modules load scipy, numba and plotly: only when a step runs
    from forecasting.capacity import CapacityPlan
    from forecasting.changes import RunChanges
    from forecasting.contracts import ContractBook
    from forecasting.report import ReportInputs
    from forecasting.triggers import MonthsNotKnown, MonthsRefused, TriggerSettings


__all__ = [
    "ReportOutcome",
    "TriggerRun",
    "compute_triggers",
    "daily_only",
    "months_refused",
    "report",
    "report_changes",
    "report_inputs",
    "report_outcome",
    "report_summary_markdown",
    "report_trigger_rows",
    "telemetry_age",
    "trigger_forecast",
    "trigger_settings",
    "unpublished_said",
]


def trigger_forecast(wh: warehouse.Warehouse, run_id: str) -> pl.DataFrame:
    """What the triggers read of a forecast run: its daily and monthly rows, with ``grain``."""
    from forecasting.horizon import with_grain

    # The triggers read the rows in the monthly rows' columns (no mean_source: migration 38).
    daily = wh.run_frame("forecasts", run_id).drop("mean_source", strict=False)
    return with_grain(daily, wh.run_frame("forecast_months", run_id))


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
    # Minutes the newest telemetry is stamped after the report's clock (0: not ahead; rows up
    # to a day ahead are accepted): its age then is not a number of days old.
    telemetry_ahead_minutes: int = 0
    # Where the dates rest on a trace with no calendar: where its day 0 was placed ("" when
    # the dates are the files' own); stale_days then counts from that placement.
    placed_dates: str = ""
    # The drills that held on less than they are named for, each with why ("not verified").
    unverified_drills: list[str] = []
    # The total, regions and classes forecast as zero for want of an observed day.
    unmeasured: list[str] = []
    # The total, regions and classes forecast by a baseline no backtest chose (not zero).
    untested: list[str] = []
    # Regions whose demand is the contract book's alone (a plan region without telemetry yet
    # holding a signed contract): their triggers rest on the ramps, not on a forecast.
    book_only: list[str] = []
    # Why the daily forecast's far days are not verified: it reaches further ahead than the
    # history goes back ("" when it does not).
    extrapolated: str = ""
    # Days ahead of the as-of date the daily forecast reaches (None: not known): said beside
    # the size of an order short at the monthly grain only.
    daily_days: int | None = None
    # Regions whose telemetry stopped, and customers whose feed looks broken while their
    # region reports, with their days.
    silent: list[str] = []
    silent_customers: list[str] = []
    # Of those, the ones whose forecast is held at zero as a customer that left.
    held_customers: list[str] = []
    # Pools (a region's class, or a region) whose demand ended, zeros written, with their days
    # (report.inputs.stopped_pools): churn, said apart from the feeds that stopped.
    stopped_pools: list[str] = []
    # The day of the next scheduled report (None: not known): an order-by before it is said
    # due before it (text.before_next_report), as the pages' card says it.
    next_report: date | None = None
    # The totals whose last days are estimates while a region was silent, one line each
    # (text.estimated_days_words): the pages' banners say it, and so must the terminal.
    estimated: list[str] = []
    # Why drills of this forecast run are left out: played on another plan (empty: none).
    drills_other_plan: str = ""
    # Regions of the telemetry the plan has no block or site for (their orders are guesses).
    unplanned_regions: list[str] = []
    # Of those, the ones with no measured demand either: their greens say nothing.
    vacant_regions: list[str] = []
    triggers: list[dict[str, Any]]
    # The report's plan disagreements (forecasting.ceiling.plan_disagreements, as rows), which
    # the CLI's plan warnings word (plan_warnings_for's ``disagreements``): `run` and `report`
    # aggregated the telemetry by region and hour twice, once for the pages and once for the
    # terminal. None: not given; the warnings then read the warehouse.
    plan_disagreement_rows: list[dict[str, Any]] | None = None
    # Warnings the CLI prints under the table, each as a whole line ("warning: ..."): what the
    # pages' banners say of the plan or the warehouse that the triggers did not weigh.
    warnings: list[str] = []
    power_statuses: dict[str, int] = {}  # the sites' power triggers (empty: no [[site]])
    # Those counts as the front page says them (report.inputs.power_counts): greens not
    # checked for orders not sized, and sites in regions without telemetry, apart ("": none).
    power_counts: str = ""
    # The first power contract date among red and amber sites: (site, contract_by), or None.
    power_first: tuple[str, date] | None = None
    # Whether that date rests on an order short at the monthly grain only (its monthly_only).
    power_first_monthly: bool = False
    # Whether that site's planned MW (energized steps, contract) cover its need, energized too
    # late or given back for a while: its power is to be brought forward, no power contracted
    # ("contract power first: eu-west-a" read beside a facilities row of 0.0 MW to contract).
    power_first_forward: bool = False
    # Whether that site has no MW to contract because its need passes its ceiling: a new site
    # is needed ("contract power first: us-east-b" read beside 0.0 MW to contract there).
    power_first_new_site: bool = False
    # That site's MW needed past its ceiling where it has MW to contract too (0: none): red
    # whatever its contract date (a 200-week plan read "contract power first: us-east-c by
    # 2027-09-06", no lateness, beside its red).
    power_first_beyond_ceiling_mw: float = 0.0
    # That site's "(runs short past DAY ...: not verified)" where its need rests on orders
    # alone past the verified days (report.inputs.power_view's shortfall_only; "": none).
    power_first_not_verified: str = ""
    # The other red and amber sites due that same first day in the same way (MW to contract,
    # power to bring forward, a new site), each with its own qualifiers as the first's:
    # ``site``, ``beyond_ceiling_mw``, ``not_verified``, ``monthly`` (the line named the first
    # alone, and a qualifier read as the first's only).
    power_first_tied: list[dict[str, Any]] = []
    # The other red and amber sites, first due first after those (``site``, ``contract_by``,
    # ``new_site``, ``forward``, ``monthly``): the line named the first site's clause alone
    # while four sites were red, and a facilities reader did not learn the others' dates.
    power_then: list[dict[str, Any]] = []
    # The plan's later orders due before every trigger's order (PLACEMENTS rows, first due first).
    later_due_first: list[dict[str, Any]] = []
    # The blocks past a ceiling whose new site's order-by comes before every order above
    # (pages.common.new_site_first, as the pages' "next order-by" reads it; None: none).
    new_site_first: dict[str, Any] | None = None
    # The capital in orders to place as the finance and front pages' card says it, with whose
    # orders (every order of the plan due by the window's last day): the CLI says it alike.
    to_place: str = ""
    # Its first sentence, for a CFO: the total, how many orders, the first order-by; the
    # whole (``to_place``) follows it (pages.common.capital_lead; "": the whole is short).
    to_place_lead: str = ""
    # The finance page's idle-risk card, label and figure ("": no committed block judged).
    idle: str = ""
    # The pages' headline status: "green to Jan 2027 only: not verified beyond (...)" where a
    # green reaches only as far as the forecast; the plain worst status otherwise.
    headline: str = ""
    # Whether the headline qualifies the worst status (a green only as far as the forecast
    # reaches, a red or amber on the monthly rows only or on days no backtest measured): the
    # CLI prints it under its table.
    headline_qualified: bool = False
    # Per region whose sites' ceilings run out within the horizon, when and by when to start
    # a new site, then the regions whose ceilings hold (triggers.construction_lines; empty:
    # no sites).
    construction: list[str] = []
    # Why a status cell or line marked "†" is not verified past its day, said once under the
    # triggers table and once after the power lines (report.inputs.unverified_note).
    unverified_note: str = ""
    # Regions short within the horizon with their largest shared block lost (N+1), one line
    # each (empty: every region holds).
    n_plus_one: list[str] = []
    # The plan's blocks retiring within it, which the triggers count out of capacity from
    # their retire dates ("": none).
    retiring: str = ""

    def plan_disagreements_read(self) -> pl.DataFrame | None:
        """The report's plan disagreements as :func:`forecasting.ceiling.plan_disagreements`
        returned them (None: not given), for :func:`plan_warnings_for`."""
        from forecasting.ceiling import PLAN_DISAGREEMENTS_SCHEMA

        if self.plan_disagreement_rows is None:
            return None
        return pl.DataFrame(self.plan_disagreement_rows, schema=PLAN_DISAGREEMENTS_SCHEMA)


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
        scored_days=scored_days(wh, run_id),
        months_refused=months_refused(wh, run_id),
    )
    return settings if idle_weeks is None else replace(settings, idle_weeks=idle_weeks)


def months_refused(wh: warehouse.Warehouse, run_id: str) -> MonthsRefused | MonthsNotKnown | None:
    """Whether a stored run has no monthly rows because its forecast refuses them (None: it
    has them, or its history would give them; :class:`MonthsNotKnown`: not recorded, and its
    days do not say). A run stored since migration 42 says so itself, and why: asked for them
    and refused, or made with ``--horizon-months 0`` on a history a plan would refuse
    (runs.forecasts.months_refusal). The refusal was not stored (the forecast printed it), so
    an unsized order on a 30-day fleet asked for `--horizon-months 92`, which the forecast
    refused again, and a 90-day fleet whose onboarding ramps left two blocks, forecast
    daily-only, was asked the same.

    A run stored before reads its days: too young where it was asked for months and its
    regions and classes carry why they are not forecast past the daily days and no growth
    model, or where it was made with ``--horizon-months 0`` and no region or class has
    ``MONTHS_MIN_HISTORY_DAYS`` days of history through its as-of day, telemetry or stale
    (``n_days`` + ``stale_days``); a daily-only one with the days is not known (its onboarding
    ramps may leave too few blocks)."""
    from forecasting.longrange import MONTHS_MIN_HISTORY_DAYS
    from forecasting.triggers import MonthsNotKnown, MonthsRefused

    run = wh.forecast_runs().filter(pl.col("run_id") == run_id)
    if run.is_empty() or run.item(0, "horizon_months") != 0:
        return None
    plan = wh.run_frame("forecast_summary", run_id).filter(hierarchy.depth().is_between(1, 2))
    days = plan.get_column("n_days").drop_nulls()
    youngest = int(days.sort().item(0)) if not days.is_empty() else 0
    recorded, why = wh.months_refused(run_id)
    if recorded:
        if why is None:
            return None
        return MonthsRefused(needed_days=MONTHS_MIN_HISTORY_DAYS, history_days=youngest, why=why)
    if days.is_empty():
        return MonthsNotKnown()
    refused = MonthsRefused(needed_days=MONTHS_MIN_HISTORY_DAYS, history_days=youngest)
    if (
        "plan_reason" in plan.columns
        and not plan.filter(
            pl.col("plan_model").is_null() & pl.col("plan_reason").is_not_null()
        ).is_empty()
    ):
        return refused
    stale = pl.col("stale_days").fill_null(0) if "stale_days" in plan.columns else pl.lit(0)
    oldest = plan.select((pl.col("n_days") + stale).max()).item()
    if oldest is not None and oldest < MONTHS_MIN_HISTORY_DAYS:
        return refused
    return MonthsNotKnown()


def daily_only(wh: warehouse.Warehouse, run_id: str) -> str | None:
    """Why a stored forecast run has no monthly rows, in words
    (:func:`forecasting.triggers.daily_only_words` of :func:`months_refused`); None where it
    has them. A run made with ``--horizon-months 0``, or on a fleet too young for them,
    stored why, and `fleetcast forecast` and `status` printed neither a 36-month plan nor
    the reason."""
    from forecasting.triggers import daily_only_words

    run = wh.forecast_runs().filter(pl.col("run_id") == run_id)
    if run.is_empty() or run.item(0, "horizon_months") != 0:
        return None
    return daily_only_words(months_refused(wh, run_id))


def scored_days(wh: warehouse.Warehouse, run_id: str) -> int:
    """:func:`forecasting.horizon.scored_reach` of a stored run, each series' last observed
    day read off its days without telemetry at the end (``stale_days``; the report's history
    is not loaded here). Read as the as-of day for every series, a Helios run whose last day
    held 16 hours said "8 days ahead" in its order notes beside "7 days ahead" in the banner
    on the same page; both read 6 now, the days past the as-of day the backtests measured."""
    from forecasting.horizon import scored_reach

    as_of = wh.forecast_runs().filter(pl.col("run_id") == run_id).item(0, "as_of")
    backtest = wh.run_frame("backtests", run_id)
    last = (
        wh.run_frame("forecast_summary", run_id)
        .group_by("unique_id")
        .agg(pl.col("stale_days").fill_null(0).min(), pl.col("level_shift_days").min())
        .select(
            "unique_id",
            "level_shift_days",
            last=pl.lit(as_of, pl.Date) - pl.duration(days=pl.col("stale_days")),
        )
    )
    return scored_reach(
        backtest, wh.run_frame("horizon_accuracy", run_id), last_observed=last, as_of=as_of
    )


def compute_triggers(
    warehouse_path: Path, capacity_path: Path, plan: CapacityPlan, options: ReportOptions
) -> TriggerRun:
    """Expansion triggers of a forecast run against the plan, stored as a new trigger run."""
    from forecasting.triggers import (
        construction_triggers,
        expansion_triggers,
        mw_by_site_month,
        pool_requirements,
        unmeasured_sites_regions,
    )

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
            plan,
            result.triggers,
            start=ref.as_of,
            end=end,
            placements=result.placements,
            buffer_weeks=settings.buffer_weeks,
        )
        # To the plan's end (its monthly rows too), as the site charts: the construction
        # clock is the longest. Stored with the run, so the report and "what changed" read the
        # plan this run used, not the plan of the day.
        construction = construction_triggers(
            plan,
            result.placements,
            as_of=ref.as_of,
            end=_plan_end(forecast_frame),
            buffer_weeks=settings.buffer_weeks,
            quantile=options.quantile,
            daily_end=_daily_end(forecast_frame),
            # The demand's MW, not its orders' whole blocks, date when the ceilings run out.
            requirements=pool_requirements(
                forecast_frame, plan, as_of=ref.as_of, column=options.quantile
            ),
            unmeasured=unmeasured_sites_regions(forecast_frame, plan),
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
            "versions": run_versions(),
            "construction_recorded": True,
        }
        frames = {
            "triggers": result.triggers,
            "trigger_drivers": result.drivers,
            "idle_risk": result.idle_risk,
            "site_power": power,
            "trigger_n_plus_one": result.n_plus_one,
            "power_triggers": result.power,
            "order_placements": result.placements,
            "construction_triggers": construction,
        }
        wh.save_run("trigger_runs", run, frames)
    return TriggerRun(run_id=run_id, forecast=ref)


def _concentration(history: pl.DataFrame, paths: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """History and forecast of top-1/top-5 share and HHI, long, in the report's columns: per
    class and overall, and per region (its ``scope`` the region, the tail's share with it).

    The stored paths hold the contract book, so both views include it as the run applied it.
    """
    from forecasting import concentration

    forecasts = concentration.concentration_forecasts(paths)
    columns = ["scope", "ds", "metric", "source", "value", "q10", "q50", "q90"]

    def long(scope: concentration.Scope, named: pl.Expr) -> pl.DataFrame:
        past = (
            concentration.concentration_history(history, scope=scope)
            .unpivot(index=[scope, "ds"], variable_name="metric", value_name="value")
            .with_columns(named.alias("scope"), pl.lit("history").alias("source"))
            .with_columns(
                q10=pl.lit(None, pl.Float64),
                q50=pl.lit(None, pl.Float64),
                q90=pl.lit(None, pl.Float64),
            )
        )
        future = forecasts[scope].with_columns(
            named.alias("scope"), pl.lit("forecast").alias("source"), pl.col("q50").alias("value")
        )
        return pl.concat([past.select(columns), future.select(columns)], how="vertical_relaxed")

    classes = long(
        "workload_class",
        pl.when(pl.col("workload_class") == "all")
        .then(pl.lit("overall"))
        .otherwise(pl.col("workload_class")),
    )
    return classes, long("region", pl.col("region"))


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
    newest = played.filter(on_plan).unique("drill", keep="first", maintain_order=True)
    unmeasured = _unmeasured_runs(wh, newest)
    runs = newest.filter(~pl.col("run_id").is_in(list(unmeasured)))
    other = played.filter(~pl.col("drill").is_in(newest.get_column("drill").implode()))
    ids = runs.get_column("run_id").to_list()
    names = runs.select("run_id", "drill")
    additions = wh.runs_frame("drill_additions", ids)
    blocks = additions.group_by("run_id").agg(blocks_needed().alias("blocks_needed"))

    refused = wh.drills_not_played(forecast_run_id=forecast_run_id).select("drill", "reason")
    not_measured = pl.DataFrame(
        [(drill, reason) for drill, reason in unmeasured.values()],
        schema=refused.schema,
        orient="row",
    )
    not_played = pl.concat([refused, not_measured]).sort("drill")

    def named(table: str) -> pl.DataFrame:
        return wh.runs_frame(table, ids).join(names, on="run_id").drop("run_id")

    answers = (
        runs.join(blocks, on="run_id", how="left")
        .with_columns(
            pl.col("unshocked_failures").list.join("; "),
            pl.col("first_to_saturate").list.join("; "),
            pl.col("baseline_first_to_saturate").list.join("; "),
            # The search's one-line answer (play_drill); the drill's own notes, the search's apart.
            blocks_note=pl.col("blocks_notes").list.first(),
            drill_notes=pl.col("notes").list.join("; "),
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
        "drill_blocks": named("drill_blocks"),
        "drill_kpi_changes": named("drill_kpi_changes"),
        "drills_not_played": not_played,
        "drills_other_plan": drills_on_other_plans(other, plan_sha256=plan_sha256),
        "drills_unplayed": _unplayed(
            played.get_column("drill"), not_played.get_column("drill"), any_played=ids
        ),
    }


def telemetry_since(wh: warehouse.Warehouse, forecast_run_id: str) -> str:
    """Whether the telemetry the forecast run read has changed since it was made (its values
    inside the history, or newer rows), with the files ingested since, and that a new
    forecast is due ("" when it is as the run saw it).

    `report` republished a forecast whose history a later file had replaced ("10 key(s)
    changed value ... the later file wins"), or that newer telemetry had passed, with a fresh
    "generated" time and no word: a reader took it as current. It compares what the run
    recorded it saw (runs.forecasts.telemetry_seen): the ingest times alone made a file
    re-ingested with the same values read "Not current". A run stored before it recorded
    that reads the ingest times, and says so."""
    run = wh.query(
        "SELECT as_of, created_at, seen_before, seen_rows, seen_checksum, seen_last_ts "
        "FROM forecast_runs WHERE run_id = $1",
        [forecast_run_id],
    )
    if run.is_empty():
        return ""
    as_of, made, before, rows, checksum, last = run.row(0)
    if before is None or rows is None or checksum is None:
        return _ingested_since(wh, as_of=as_of, made=made)
    now_rows, now_checksum = wh.history_checksum(before=before)
    newest = wh.newest_telemetry()
    changed = []
    if (now_rows, now_checksum) != (rows, checksum):
        counted = (
            f"{rows:,} rows, as then" if now_rows == rows else f"{now_rows:,} rows, {rows:,} then"
        )
        changed.append(
            f"its history (to its as-of day {as_of:%Y-%m-%d}) holds other values than it "
            f"saw ({counted})"
        )
    if newest is not None and (last is None or newest > last):
        saw = "no row" if last is None else f"the {last.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        changed.append(
            f"telemetry reaches {newest.astimezone(UTC):%Y-%m-%d %H:%M} UTC, past {saw} it saw"
        )
    if not changed:
        return ""
    files = [
        Path(p).name
        for p in wh.query(
            "SELECT path FROM ingest_ledger WHERE finished_at > $1 ORDER BY finished_at", [made]
        )
        .get_column("path")
        .to_list()
    ]
    listed = ", ".join(files[:3]) + (f" and {len(files) - 3:,} more" if len(files) > 3 else "")
    return (
        f"telemetry changed after this forecast was made ({made.astimezone(UTC):%Y-%m-%d %H:%M} "
        f"UTC): {', and '.join(changed)}"
        + (f"; files ingested since: {listed}" if files else "")
        + ": the forecast, its triggers and drills do not see them; a new forecast is due "
        "(`fleetcast forecast`)"
    )


def _ingested_since(wh: warehouse.Warehouse, *, as_of: date, made: datetime) -> str:
    """:func:`telemetry_since` for a run stored before runs recorded what they saw (migration
    36): what was ingested after it was made, by the ingest ledger's times, and that this
    reading is not verified (a file an older ingest re-ingested with the same values counted its
    rows as loaded, so it reads the same)."""
    since = wh.query(
        "SELECT path, loaded, replaced, min_ts::DATE AS first, max_ts::DATE AS last "
        "FROM ingest_ledger WHERE finished_at > $1 AND (loaded > 0 OR replaced > 0) "
        "ORDER BY finished_at",
        [made],
    )
    if since.is_empty():
        return ""
    files = [Path(p).name for p in since.get_column("path").to_list()]
    listed = ", ".join(files[:3]) + (f" and {len(files) - 3:,} more" if len(files) > 3 else "")
    days: list[date] = [
        d for c in ("first", "last") for d in since.get_column(c).to_list() if d is not None
    ]
    first, last = (min(days), max(days)) if days else (as_of, as_of)
    loaded, replaced = (
        int(since.get_column("loaded").sum()),
        int(since.get_column("replaced").sum()),
    )
    where = [
        f"inside its history (to its as-of day {as_of:%Y-%m-%d})" if first <= as_of else "",
        "past it" if last > as_of else "",
    ]
    if not where[0] and where[1]:
        where[1] = f"past its as-of day {as_of:%Y-%m-%d}"
    replacing = (
        f", {replaced:,} of them replacing rows already stored (the later file wins where a "
        "value changed)"
        if replaced
        else ""
    )
    noun = "file" if len(files) == 1 else "files"
    return (
        f"telemetry was ingested after this forecast was made "
        f"({made.astimezone(UTC):%Y-%m-%d %H:%M} UTC): "
        f"{len(files):,} {noun} ({listed}) loaded {loaded:,} row{'' if loaded == 1 else 's'} "
        f"from {first:%Y-%m-%d} to {last:%Y-%m-%d}{replacing}, "
        f"{' and '.join(w for w in where if w)}: the forecast, its triggers and drills do not "
        "see them; a new forecast is due (`fleetcast forecast`) (this run recorded no "
        "checksum of the telemetry it saw: read from the times files were ingested, so a "
        "file re-ingested with the same values by an older ingest, which counted such rows "
        "as loaded, may read here too; not verified)"
    )


def _unmeasured_runs(wh: warehouse.Warehouse, runs: pl.DataFrame) -> dict[str, tuple[str, str]]:
    """The drill runs among ``runs`` whose stored figures are not finite, by run id: (drill,
    why it reads "not measured").

    A drill file's `multiplier = inf`, refused since, played and stored NaN KPIs; every
    `report` of its forecast run then crashed, and its "peak backlog 0" read as measured. A
    time to absorb stored NaN is not one of them: judged on no hour (the plan fails unshocked
    in every hour of the window), runs stored it so before it was stored empty, and such a
    drill was left out as "played with its shock, its stored figures are not finite"."""
    from forecasting.report.format import NOT_MEASURED

    kpis = wh.runs_frame("drill_kpis", runs.get_column("run_id").to_list())
    figures = ("mean", "p50", "p90")
    unjudged = (pl.col("kpi") == "time_to_absorb_hours") & pl.all_horizontal(
        pl.col(c).is_nan() for c in figures
    )
    bad_kpis = set(
        kpis.filter(
            pl.any_horizontal(pl.col(c).is_infinite() | pl.col(c).is_nan() for c in figures)
            & ~unjudged
        )
        .get_column("run_id")
        .to_list()
    )
    unmeasured: dict[str, tuple[str, str]] = {}
    for row in runs.iter_rows(named=True):
        multiplier = row["multiplier"]
        if multiplier is not None and MAX_SHOCK_MULTIPLIER < multiplier < math.inf:
            # `multiplier = 1e12` printed revenue at risk of $294,261,689,405,944,725,504.
            unmeasured[row["run_id"]] = (
                row["drill"],
                f"{NOT_MEASURED}: played with multiplier {multiplier:g}, above the plausible "
                "ceiling "
                f"of {MAX_SHOCK_MULTIPLIER:g} that drill files and --factor hold to now (a "
                "typo, 200 for 2.00?): play it again with a plausible one (`fleetcast drill`)",
            )
            continue
        odd = multiplier is not None and not math.isfinite(multiplier)
        if not odd and row["run_id"] not in bad_kpis:
            continue
        shock = f"multiplier {multiplier:g}" if multiplier is not None else "its shock"
        unmeasured[row["run_id"]] = (
            row["drill"],
            f"{NOT_MEASURED}: played with {shock}, its stored figures are not finite numbers; "
            "drill files refuse such a multiplier now: play it again with a finite one "
            "(`fleetcast drill`)",
        )
    return unmeasured


def _unplayed(
    played: pl.Series, refused: pl.Series, *, any_played: Sequence[str]
) -> tuple[str, ...]:
    """The named drills (``fleetcast drill``'s set) with no run on this forecast run, where
    some others have one: an interrupted `drill` kept the drills it finished, and the report
    read "2 of 3 drills failing" for a fleet that has eight."""
    from forecasting.drills import ScenarioError, scenario_folder

    if not any_played:
        return ()  # the pages say none was played
    try:
        folder = scenario_folder(drills_folder())
    except ScenarioError:
        return ()  # `fleetcast drill` names the missing folder; the report is no place to stop
    named = [*folder.ready, *folder.refused]
    seen = set(played.to_list()) | set(refused.to_list())
    return tuple(sorted(name for name in named if name not in seen))


def report_inputs(
    warehouse_path: Path, plan: CapacityPlan, triggers: TriggerRun, options: ReportOptions
) -> ReportInputs:
    """Everything the pages show for one trigger run and the forecast run it used."""
    from forecasting import contracts, demand
    from forecasting.capacity import capacity_timeline, site_power_by_month
    from forecasting.ceiling import plan_disagreement_lines, plan_disagreements
    from forecasting.changes import run_changes
    from forecasting.forecast import mean_of_paths_spans
    from forecasting.report import ReportInputs
    from forecasting.report.inputs import BOOK_APPLIED_SCHEMA, CHOSEN_COLUMNS, facilities_months
    from forecasting.settings import next_report_for
    from forecasting.traces import ARRIVAL_FORMATS, OUTAGE_FINDERS, placed_dates_note
    from forecasting.traces.outages import adapter_outages_not_known, adapter_outages_text
    from forecasting.triggers import (
        construction_triggers,
        pool_requirements,
        site_orders_by_need,
        unmeasured_sites_regions,
        with_new_site_notes,
    )

    run_id = triggers.forecast.run_id
    as_of = triggers.forecast.as_of
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        book_rows = wh.contracts()
        # An entry without `announced` is known from its first ramp day before the newest
        # telemetry day, as the forecast of a past as-of day read it.
        book = stored_book(wh).known_by(as_of)
        book_concentration = wh.run_frame("book_concentration", run_id)
        run_settings = json.loads(
            wh.forecast_runs().filter(pl.col("run_id") == run_id).item(0, "settings")
        )
        # The hours the forecast read: its outage windows' hours are not history's demand
        # (a calendar outage's zeros read as a day of low demand, on a day it read missing).
        hourly, outages_recorded = wh.run_hourly_demand(run_id)
        newest = wh.newest_telemetry()
        formats = wh.ingested_formats()
        # The collector outages a trace's adapter dropped at ingest: ingest alone said them.
        unknown_files = wh.adapter_outages_unknown(run_id)
        traced = bool(set(formats) & set(OUTAGE_FINDERS))
        adapter_outages = adapter_outages_text(
            wh.outage_windows(run_id), unknown=unknown_files, traced=traced
        )
        adapters_not_known = adapter_outages_not_known(unknown_files, traced=traced)
        no_months = daily_only(wh, run_id) or ""
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
        n_plus_one = wh.run_frame("trigger_n_plus_one", triggers.run_id)
        ingested_since = telemetry_since(wh, run_id)
        # Aggregated once per run: the CLI's plan warnings read these (ReportOutcome).
        disagreements = plan_disagreements(
            wh.region_hours(as_of=as_of, leave_out=ARRIVAL_FORMATS), plan
        )
        estimated = wh.estimated_days(run_id)
        stored_construction = wh.construction_triggers(triggers.run_id)
        # Only a run stored before migration 40 needs the forecast the triggers read, to
        # compute its construction rows.
        triggered_forecast = (
            trigger_forecast(wh, run_id) if stored_construction is None else pl.DataFrame()
        )
    silent = silent_customers_for(warehouse_path, as_of)
    # The history the forecast had: a back-dated run's report read telemetry past its as-of
    # day ("the top-1 share moves from 32.5 % on 2026-12-04 to 29.3 % in the week of
    # 2026-11-16", as of 2026-11-15).
    history = demand.demand_series(
        hourly,
        customers_per_class=options.customers_per_class,
        named_customers=[*named_customers(book_rows), *plan.dedicated_customers()],
    ).filter(pl.col("ds") <= as_of)
    end = forecast_frame.get_column("ds").max()
    assert isinstance(end, date)
    # Capacity is drawn under the whole plan, daily rows and the monthly ones past them.
    plan_end = max(end, _month_end(months_frame.get_column("ds").max()))
    # The facilities view: at least 36 months, or to the plan horizon's end (its monthly rows
    # too: to the daily rows' end alone, the demo's energized lines stopped at Nov 2029 while
    # its need ran to Jan 2030).
    as_of = triggers.forecast.as_of
    months = facilities_months(as_of, plan_end)
    supply = (
        site_power_by_month(
            plan,
            start=as_of,
            months=months,
            # As the power triggers count them: the chart's short months are theirs.
            orders=site_orders_by_need(placements, as_of=as_of, buffer_weeks=options.buffer_weeks),
        )
        if plan.site
        else pl.DataFrame()
    )
    first = forecast_frame.get_column("ds").min()
    assert isinstance(first, date)
    start = history.get_column("ds").min()
    assert isinstance(start, date)
    # As the trigger run stored it (the plan it used); a run stored before migration 40 kept
    # none, so it is computed as the trigger run would have, to the plan's end.
    construction = (
        stored_construction
        if stored_construction is not None
        else construction_triggers(
            plan,
            placements,
            as_of=as_of,
            end=plan_end,
            buffer_weeks=options.buffer_weeks,
            quantile=options.quantile,
            daily_end=end,
            # The demand's MW, not its orders' whole blocks, date when the ceilings run out.
            requirements=pool_requirements(
                triggered_forecast, plan, as_of=as_of, column=options.quantile
            ),
            unmeasured=unmeasured_sites_regions(triggered_forecast, plan),
        )
    )
    now = datetime.now(UTC)
    stale_days, ahead = telemetry_age(newest, now)
    concentrations = _concentration(history, paths)
    return ReportInputs(
        run_id=run_id,
        as_of=as_of,
        generated_at=now,
        next_report=next_report_for(as_of, now=now),
        plan=plan,
        stale_days=stale_days,
        telemetry_ahead_minutes=ahead,
        placed_dates=placed_dates_note(formats),
        history=history,
        forecast=forecast_frame.with_columns(pl.lit(run_id).alias("run_id")),
        forecast_months=months_frame,
        backtest=backtest,
        chosen=summary.select(CHOSEN_COLUMNS),
        capacity=capacity_timeline(plan, start=start, end=plan_end),
        # Blocks past every ceiling dated by the region's [[new_site]], where one is declared.
        triggers=with_new_site_notes(
            trigger_frame, construction, plan, as_of=as_of, placements=placements
        ),
        drivers=drivers,
        idle_risk=idle,
        mw_by_site_month=power,
        power_triggers=power_triggers,
        placements=placements,
        n_plus_one=n_plus_one,
        horizon_accuracy=horizon_accuracy,
        silent_customers=silent,
        estimated=estimated,
        site_supply=supply,
        construction=construction,
        concentration=concentrations[0],
        region_concentration=concentrations[1],
        previous_triggers=previous_triggers if previous_triggers is not None else pl.DataFrame(),
        previous_run_id=previous,
        previous_as_of=compared.previous_as_of,
        previous_daily_end=compared.previous_daily_end,
        power_changes=compared.power,
        construction_changes=compared.construction,
        construction_not_recorded=compared.construction_not_recorded,
        changed_inputs=compared.inputs,
        changed_versions=compared.versions,
        mean_of_paths=mean_of_paths_spans(forecast_frame),
        reruns_skipped=compared.reruns_skipped,
        drill_changes=compared.drills,
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
        telemetry_since=ingested_since,
        adapter_outages=adapter_outages,
        buffer_weeks=options.buffer_weeks,
        # The pages name no file: the reader is not the one who wrote it.
        plan_disagreements=tuple(plan_disagreement_lines(disagreements, plan="the capacity plan")),
        plan_disagreement_rows=disagreements,
        adapter_outages_not_known=adapters_not_known,
        daily_only=no_months,
        outages_not_known=(
            ""
            if outages_recorded
            else outages_not_known_line(
                run_id, what="the history, its measured reach and the drills' day shapes"
            )
        ),
        **drills,
    )


def _daily_end(frame: pl.DataFrame) -> date:
    """The last daily day of a :func:`trigger_forecast` frame."""
    end = frame.filter(pl.col("grain") == "day").get_column("ds").max()
    assert isinstance(end, date)  # a stored run has days
    return end


def _plan_end(frame: pl.DataFrame) -> date:
    """The last day a :func:`trigger_forecast` frame covers: its last daily day, or the end of
    its last monthly row's month past them."""
    months = frame.filter(pl.col("grain") == "month").get_column("ds").max()
    return max(_daily_end(frame), _month_end(months))


def _month_end(first_day: object) -> date:
    """The last day of the month that starts on ``first_day``; the epoch without one."""
    if not isinstance(first_day, date):
        return date.min
    return month_end(first_day)


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
    run_id = triggers.forecast.run_id
    with warehouse.connect(wh_path, read_only=True) as wh:
        frame = trigger_forecast(wh, run_id)
        settings = trigger_settings(
            wh,
            run_id,
            quantile=options.quantile,
            buffer_weeks=options.buffer_weeks,
            idle_weeks=options.idle_weeks,
        )
        # The run's paths hold each deal where its draw signed (seeded by the run's seed):
        # each deal is weighed against the forecast without it (whatif.without_pipeline_deal).
        paths = wh.run_frame("forecast_paths", run_id)
        run = wh.forecast_runs().filter(pl.col("run_id") == run_id)
        run_settings = json.loads(run.item(0, "settings"))
        # A deal loaded after the run is not in its paths: only those loaded by then are
        # taken off the forecast (a repeated id counts from its first load).
        loaded = wh.contracts()
        held = set(loaded.filter(pl.col("loaded_at") <= run.item(0, "created_at"))["id"].to_list())
    return pipeline_if_signed(
        frame, plan, book, as_of=triggers.forecast.as_of, settings=settings,
        paths=paths if paths.height else None, seed=int(run_settings.get("seed", 0)),
        held=held,
    )  # fmt: skip


def report_trigger_rows(inputs: ReportInputs) -> pl.DataFrame:
    """The triggers as the CLI and the Prefect table artifact show them (dates as text; an
    exhaustion on the plan's monthly rows as its month)."""
    from forecasting.report.format import fmt_exhaustion
    from forecasting.report.inputs import (
        daily_end,
        exhaustion_grain,
        status_only,
        unmeasured_class_rows,
        with_power,
    )
    from forecasting.triggers import new_site_order_by

    end = daily_end(inputs)
    exhaustion = [
        None if day is None else fmt_exhaustion(day, daily_end=end, as_of=inputs.as_of)
        for day in inputs.triggers.get_column("exhaustion_date")
    ]
    powered = with_power(inputs.triggers, inputs.placements)
    # An order wholly past every ceiling, dated by its region's declared new site as the
    # pages date it: the terminal read "no order-by until one is planned" beside them.
    new_site = [
        new_site_order_by(
            inputs.construction,
            inputs.plan,
            r,
            as_of=inputs.as_of,
            next_report=inputs.next_report,
        )
        if r["order_by"] is None
        and (r.get("blocks_beyond_ceiling") or 0) >= (r["blocks_to_order"] or 0) > 0
        else None
        for r in powered.iter_rows(named=True)
    ]
    return (
        powered.with_columns(pl.Series("new_site_order_by", new_site, dtype=pl.String))
        .join(_past_the_plan(inputs), on=["region", "pool"], how="left")
        # A green verified short of the plan's end, or a red or amber short past the days
        # verified, as the headline says it.
        .with_columns(
            status_only=pl.when(unmeasured_class_rows()).then(None).otherwise(status_only(inputs))
        )
        .select(
            "region",
            "pool",
            "status",
            "exhaustion_date",
            "order_by",
            "new_site_order_by",
            "candidate",
            "blocks_to_order",
            "capex_usd",
            "mw",
            "powered_from",
            "powered",
            "blocks_waiting",
            "waiting_order_by",
            "waiting_order_by_last",
            "note",
            "arrives",
            "site",
            "blocks_beyond_ceiling",
            "runs_from",
            "monthly_only",
            "unmeasured_training",
            "vacant_pool",
            "capex_past_plan_usd",
            "blocks_past_plan",
            "plan_end",
            "status_only",
        )
        .with_columns(
            pl.col(pl.Date).exclude("exhaustion_date").cast(pl.String),
            pl.Series("exhaustion_date", exhaustion, dtype=pl.String),
            # Its order-by dated from a month read short past the daily rows, as the downloads
            # say it (triggers.csv's exhaustion_grain).
            month_grain=(exhaustion_grain(end) == "month").fill_null(False),
            # No training row in the whole telemetry: its pools' green measured nothing.
            status=pl.when(unmeasured_class_rows())
            .then(pl.lit(NOT_VERIFIED))
            .otherwise(pl.col("status")),
        )
        # Its status says it; whether it is vacant (triggers_line's words) stays.
        .drop("unmeasured_training")
        .with_columns(pl.col("vacant_pool").fill_null(False))
    )


def _past_the_plan(inputs: ReportInputs) -> pl.DataFrame:
    """Per trigger, its order's capex and blocks that run only after the plan's end
    (``report.pages.common.trigger_past_the_plan``, which the finance page reads too)."""
    from forecasting.report.pages.common import trigger_past_the_plan

    return trigger_past_the_plan(inputs)


def report_summary_markdown(inputs: ReportInputs, path: Path) -> str:
    """The report's triggers and failing drills as Markdown, for the Prefect artifact."""
    from forecasting.report.format import UNVERIFIED_MARK, fmt_day_or_month
    from forecasting.report.inputs import (
        construction_only,
        daily_days,
        daily_end,
        status_only,
        unmeasured_class_rows,
        unmeasured_words,
        unplayed_text,
        unverified_note,
        vacant_regions,
        with_power,
    )
    from forecasting.text import before_next_report, size_not_verified, waiting_order_by
    from forecasting.triggers import construction_lines
    from forecasting.triggers.construction import unsited_orders

    days = daily_days(inputs)
    # With each order's part waiting for power and its own dates (report.inputs.with_power).
    triggers = (
        with_power(inputs.triggers, inputs.placements)
        .sort("status", "order_by", nulls_last=True)
        .with_columns(status_only=status_only(inputs))
    )
    lines = [
        f"# fleetcast report {inputs.run_id}",
        f"As of {inputs.as_of}; report: `{path / 'index.html'}`.",
    ]
    if inputs.placed_dates:
        lines.append(f"**Dates placed, not recorded:** {inputs.placed_dates}.")
    elif inputs.stale:
        lines.append(f"**Stale data:** the newest telemetry is {inputs.stale_days} days old.")
    # The CLI's warning lines (telemetry ingested since, candidates not weighed) say it too.
    lines += [f"**Warning:** {w.removeprefix('warning: ')}." for w in report_warnings(inputs)]
    lines += [
        "",
        "| region | pool | status | exhaustion | order by | order |",
        "|---|---|---|---|---|---|",
    ]
    end = daily_end(inputs)
    vacant = vacant_regions(inputs)
    gap = {
        (r["region"], r["pool"]): unmeasured_words(r)
        for r in triggers.filter(unmeasured_class_rows()).iter_rows(named=True)
    }
    for t in triggers.iter_rows(named=True):
        status = (
            f"{NOT_VERIFIED} ({VACANT})"
            if t["region"] in vacant
            else f"{NOT_VERIFIED} ({gap[(t['region'], t['pool'])]})"
            if (t["region"], t["pool"]) in gap
            # Verified short of the plan's end, or short past it, as the CLI's row says it.
            else f"{t['status']} {t['status_only']}"
            if t["status_only"]
            else t["status"]
        )
        order = (
            f"{t['candidate']}, not sized"
            if t["blocks_to_order"] is None and t["candidate"] is not None
            else f"{t['blocks_to_order']} x {t['candidate']}"
            if t["blocks_to_order"]
            else "none"
        )
        by = t["order_by"] or "-"
        # Short at the monthly grain only: its date and size rest on a month read past the
        # daily rows, as the CLI's table and the pages say (the demo's 30 racks at 7 days).
        if t["monthly_only"] and t["blocks_to_order"]:
            by = f"{by} (monthly grain: {MONTHLY_ONLY})"
            order += f" ({size_not_verified(days)})"
        # Due before the next scheduled report, as the pages and the CLI say it: the
        # artifact read the date plain.
        if t["blocks_to_order"] and isinstance(t["order_by"], date):
            soon = before_next_report(
                t["order_by"], as_of=inputs.as_of, next_report=inputs.next_report
            )
            by = f"{by} ({soon})" if soon else by
        # Its part waiting for power is due on its own days, as the CLI's table and the pages
        # say: the artifact gave the first share's date alone.
        by = f"{by}{waiting_order_by(t, as_of=inputs.as_of, next_report=inputs.next_report)}"
        exhaustion = fmt_day_or_month(t["exhaustion_date"], daily_end=end).replace("–", "-")
        lines.append(f"| {t['region']} | {t['pool']} | {status} | {exhaustion} | {by} | {order} |")
    # When a new site must be started, as the CLI says it: the artifact named none.
    built = construction_lines(
        inputs.construction.with_columns(not_verified=construction_only(inputs)),
        next_report=inputs.next_report,
        unsited=unsited_orders(inputs.construction, inputs.placements),
    )
    if built:
        lines += ["", *(f"- {line}" for line in built)]
    # Why a status marked "†" is not verified past its day: once, under the rows.
    if any(UNVERIFIED_MARK in line for line in lines):
        lines += ["", unverified_note(inputs)]
    failing = _failing_drills(inputs)
    lines += ["", f"Failing drills: {', '.join(failing) if failing else 'none'}."]
    if held := _unverified_drills(inputs):
        lines.append(f"**Drills not verified:** {'; '.join(held)}.")
    if inputs.drills_other_plan:
        lines.append(f"**Not verified:** {inputs.drills_other_plan}.")
    if inputs.drills_unplayed:
        lines.append(f"**Not played on this forecast run:** {unplayed_text(inputs)}.")
    return "\n".join(lines)


def _failing_drills(inputs: ReportInputs) -> list[str]:
    """The drills that failed; not a borderline one, whose fail another draw of as many paths
    reads as a pass (it is among :func:`_unverified_drills`, with why)."""
    failing = ~pl.col("passed") & pl.col("verdict").ne_missing(pl.lit(BORDERLINE))
    return inputs.drill_answers.filter(failing).get_column("drill").to_list()


def _unverified_drills(inputs: ReportInputs) -> list[str]:
    """``top-customer-2x-6w: cut short at 1.17x of 2x by the horizon (...)`` per drill that
    held on less than it is named for, and ``delivery-slip: borderline at 200 paths: ...`` per
    drill whose verdict its paths do not settle."""
    held = inputs.drill_answers.filter(
        pl.col("verdict").is_in([NOT_VERIFIED, BORDERLINE]).fill_null(False)
    )
    return [f"{r['drill']}: {r['unverified']}" for r in held.iter_rows(named=True)]


def report_outcome(inputs: ReportInputs, triggers: TriggerRun, path: Path) -> ReportOutcome:
    """What a published report says: trigger counts, failing drills, staleness, triggers."""
    from forecasting.report.inputs import (
        book_only_regions_of,
        construction_only,
        daily_days,
        daily_end,
        estimated_totals,
        extrapolated_reach,
        later_orders_due_first,
        n_plus_one_lines,
        orders_monthly_only,
        orders_status_only,
        power_counts,
        power_view,
        retiring_line,
        silent_customer_feeds,
        silent_regions,
        status_headline,
        stopped_pools,
        unmeasured_series,
        unplanned_regions_of,
        untested_series,
        unverified_note,
        vacant_regions,
    )
    from forecasting.report.pages.common import capital_lead, new_site_first, trigger_capital
    from forecasting.report.pages.finance import idle_risk_line
    from forecasting.triggers.common import power_forward, power_new_site
    from forecasting.triggers.construction import construction_lines, unsited_orders

    statuses = inputs.triggers.group_by("status").len()
    power = inputs.power_triggers.group_by("status").len()
    # A site with MW to contract goes before one whose contract only comes late, and before
    # one whose need passes its ceiling (nothing to contract: a new site), same day.
    late = (
        power_view(inputs)
        .filter(pl.col("status").is_in(["red", "amber"]) & pl.col("contract_by").is_not_null())
        .with_columns(forward=power_forward(), new_site=power_new_site())
        .sort("contract_by", "new_site", "forward")
    )
    headline = status_headline(inputs)
    return ReportOutcome(
        run_id=inputs.run_id,
        trigger_run_id=triggers.run_id,
        path=path,
        as_of=inputs.as_of,
        generated=inputs.generated_at.date(),
        statuses=dict(zip(statuses["status"], statuses["len"], strict=True)),
        plan_disagreement_rows=inputs.plan_disagreement_rows.to_dicts(),
        power_statuses=dict(zip(power["status"], power["len"], strict=True)),
        power_counts=power_counts(inputs) if power.height else "",
        power_first=(late["site"][0], late["contract_by"][0]) if late.height else None,
        power_first_monthly=bool(late.height) and bool(late["monthly_only"][0]),
        power_first_forward=bool(late.height) and bool(late["forward"][0]),
        power_first_new_site=bool(late.height) and bool(late["new_site"][0]),
        construction=construction_lines(
            inputs.construction.with_columns(not_verified=construction_only(inputs)),
            next_report=inputs.next_report,
            unsited=unsited_orders(inputs.construction, inputs.placements),
        ),
        power_first_beyond_ceiling_mw=(
            float(late["mw_beyond_ceiling"][0] or 0.0) if late.height else 0.0
        ),
        power_first_not_verified=(late["shortfall_only"][0] or "") if late.height else "",
        unverified_note=unverified_note(inputs),
        power_first_tied=_power_tied(late),
        power_then=_power_then(late),
        # Each with its grain: after an order not verified at the daily grain, neither is it,
        # nor one sized on a month a default run reads by the day (orders_monthly_only).
        # And how far its own shortfall is verified, as the pages' card says it.
        later_due_first=orders_monthly_only(
            later_orders_due_first(inputs.triggers, inputs.placements),
            inputs.triggers,
            daily_end=daily_end(inputs),
            as_of=inputs.as_of,
        )
        .pipe(lambda due: due.with_columns(orders_status_only(due, inputs)))
        .to_dicts(),
        new_site_first=new_site_first(inputs),
        to_place=trigger_capital(inputs),
        to_place_lead=capital_lead(inputs),
        idle=idle_risk_line(inputs),
        failing_drills=_failing_drills(inputs),
        unverified_drills=_unverified_drills(inputs),
        stale_days=inputs.stale_days,
        telemetry_ahead_minutes=inputs.telemetry_ahead_minutes,
        placed_dates=inputs.placed_dates,
        unmeasured=unmeasured_series(inputs.chosen),
        untested=untested_series(inputs.chosen),
        book_only=book_only_regions_of(inputs),
        extrapolated=extrapolated_reach(inputs),
        daily_days=daily_days(inputs),
        silent=silent_regions(inputs),
        silent_customers=silent_customer_feeds(inputs),
        held_customers=silent_customer_feeds(inputs, held=True),
        stopped_pools=stopped_pools(inputs),
        next_report=inputs.next_report,
        estimated=estimated_totals(inputs),
        drills_other_plan=inputs.drills_other_plan,
        unplanned_regions=unplanned_regions_of(inputs),
        vacant_regions=vacant_regions(inputs),
        triggers=report_trigger_rows(inputs).to_dicts(),
        headline=headline,
        # Unqualified, the headline is the plain worst status (report.inputs.status_headline).
        headline_qualified=inputs.worst_status not in (None, headline),
        n_plus_one=n_plus_one_lines(inputs),
        retiring=retiring_line(inputs),
        warnings=report_warnings(inputs),
    )


def _after_the_first(late: pl.DataFrame, *, tied: bool) -> pl.DataFrame:
    """The rows of ``late`` (red and amber power triggers, first due first) after the first:
    those due the first's day in the first's way (``new_site``, ``forward``) if ``tied``, else
    the others."""
    if late.height < 2:
        return late.clear()
    first = late.row(0, named=True)
    same = pl.all_horizontal(pl.col(c) == first[c] for c in ("contract_by", "new_site", "forward"))
    return late.slice(1).filter(same if tied else ~same)


def _power_tied(late: pl.DataFrame) -> list[dict[str, Any]]:
    """The sites of ``late`` due the first's day in the first's way, the first left out, with
    their own qualifiers (:attr:`ReportOutcome.power_first_tied`)."""
    return [
        {
            "site": r["site"],
            "beyond_ceiling_mw": float(r["mw_beyond_ceiling"] or 0.0),
            "not_verified": r["shortfall_only"] or "",
            "monthly": bool(r["monthly_only"]),
        }
        for r in _after_the_first(late, tied=True).iter_rows(named=True)
    ]


def _power_then(late: pl.DataFrame) -> list[dict[str, Any]]:
    """The sites of ``late`` after the first and those tied with it (:func:`_power_tied`),
    each with its contract-by date and how it is due (:attr:`ReportOutcome.power_then`)."""
    return [
        {
            "site": r["site"],
            "contract_by": r["contract_by"],
            "new_site": bool(r["new_site"]),
            "forward": bool(r["forward"]),
            "monthly": bool(r["monthly_only"]),
        }
        for r in _after_the_first(late, tied=False).iter_rows(named=True)
    ]


def report_warnings(inputs: ReportInputs) -> list[str]:
    """The report's warning lines for the CLI: candidates no trigger weighed, blocks in
    service at a site with no power (a likely plan error), telemetry ingested after the
    forecast."""
    from forecasting.report.inputs import unweighed_candidates
    from forecasting.triggers import unpowered_block_warnings

    lines = []
    if unweighed := unweighed_candidates(inputs):
        lines.append(f"warning: not weighed: {unweighed}")
    lines += [f"warning: {w}" for w in unpowered_block_warnings(inputs.plan, as_of=inputs.as_of)]
    if inputs.telemetry_since:
        lines.append(f"warning: {inputs.telemetry_since}")
    if inputs.outages_not_known:
        lines.append(f"warning: {inputs.outages_not_known}")
    if inputs.adapter_outages_not_known:
        # The pages' "Outages:" banner said it; the CLI and the summary said nothing.
        lines.append(f"warning: {inputs.adapter_outages_not_known}")
    return lines


def report(
    warehouse_path: Path, capacity_path: Path, reports_path: Path, options: ReportOptions
) -> ReportOutcome:
    """Compute a forecast run's triggers, publish the report pages and say what they show."""
    from forecasting.capacity import load_capacity
    from forecasting.report import publish_report

    plan = load_capacity(capacity_path)
    triggers = compute_triggers(warehouse_path, capacity_path, plan, options)
    inputs = report_inputs(warehouse_path, plan, triggers, options)
    with unpublished_said(triggers):
        path = publish_report(inputs, root=reports_path)
    return report_outcome(inputs, triggers, path)


@contextmanager
def unpublished_said(triggers: TriggerRun) -> Iterator[None]:
    """A failed publish's error, saying the trigger run is stored though no page shows it:
    `status` lists it, and the next report compares with it."""
    from forecasting.errors import PublishError

    try:
        yield
    except PublishError as exc:
        raise PublishError(
            f"{exc}; the trigger run {triggers.run_id} is stored (`fleetcast status` lists "
            "it) but no page shows it: run `fleetcast report` again once the folder is writable"
        ) from exc


def report_changes(warehouse_path: Path, *, trigger_run_id: str | None = None) -> RunChanges:
    """Trigger status changes and drill verdict flips of a report (default: the newest by as-of
    day) since the report before it, read through a read-only connection (see
    forecasting.changes)."""
    from forecasting.changes import run_changes

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        return run_changes(wh, trigger_run_id=trigger_run_id)


def telemetry_age(newest: datetime | None, now: datetime) -> tuple[int | None, int]:
    """The newest telemetry's age in whole days (None when there is none) and the minutes it
    is stamped after ``now`` (0 when it is not): rows up to a day ahead of the clock are
    accepted, and their age read "-1 days old"."""
    if newest is None:
        return None, 0
    age = now - newest
    if age >= timedelta(0):
        return age.days, 0
    return 0, math.ceil(-age.total_seconds() / 60)
