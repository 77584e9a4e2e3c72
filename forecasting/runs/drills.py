"""A drill run: the scenarios, their inputs from a forecast run and the capacity plan, each
drill played and stored."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import polars as pl
from pydantic import BaseModel

from forecasting import warehouse
from forecasting.calendar import month_end
from forecasting.options import DrillOptions
from forecasting.resources import ready_made_drills
from forecasting.runs.ids import ForecastRef, RunNotFoundError, forecast_run, new_run_id
from forecasting.schema import (
    BORDERLINE,
    FAILS_UNSHOCKED,
    HORIZON_CUT_NOTE,
    NOT_VERIFIED,
    PARTLY_JUDGED,
    PASS,
    RUNG_USED_SHARE,
    SHOCK_CUT_NOTE,
    UNJUDGED_ABSORB,
    UNSHOCKED_PATHS_NOTE,
    absorb_from_text,
    book_only_noted,
    censored_absorb_text,
    frame_schema,
    ladder_played,
    lasting_loss_absorb_text,
    short_until_shock_end_text,
    unverified_absorb_text,
)
from forecasting.settings import settings

if TYPE_CHECKING:  # the step modules load scipy, numba and plotly: only when a step runs
    from collections.abc import Callable, Sequence

    from forecasting.capacity import CapacityPlan
    from forecasting.drills import DrillResult, Scenario


__all__ = [
    "CustomerFold",
    "DrillBatch",
    "DrillInputs",
    "DrillNotPlayed",
    "DrillOutcome",
    "PlayedDrill",
    "StatusesVerified",
    "blocks_needed",
    "capacity_sha256",
    "customer_fold",
    "drill",
    "drill_inputs",
    "drill_outcome",
    "drill_scenarios",
    "drilled_as_of",
    "drilled_customers",
    "drills_folder",
    "extrapolated_warning",
    "outages_not_known_warning",
    "play_drill",
    "refused_drills",
    "resampled_paths",
    "save_drill",
    "save_not_played",
    "settled_play",
    "statuses_verified",
    "stored_drill_outcomes",
    "unmeasured_demand_warning",
]


class DrillOutcome(BaseModel):
    """One drill's verdict for the CLI and the report flow."""

    run_id: str
    drill: str
    target: str
    passed: bool
    failing_classes: list[str]
    breaking_multiplier: float | None
    breaking_note: str | None
    # The "breaks at" cell (None on runs stored before migration 21: read the two above).
    breaking_text: str | None = None
    breaking_reached: float | None = None
    blocks_needed: str | None
    capex_needed_usd: float | None
    kpis: list[dict[str, Any]]
    # Against the baseline (None on runs stored before the baseline existed).
    verdict: str | None = None
    unshocked_failures: list[str] = []
    changes: list[dict[str, Any]] = []
    time_to_absorb_hours: float | None = None
    absorb_censored: bool | None = None
    # A shock's length when its shortfall ended with it (no time to absorb was measured).
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
    # Why a drill that held its SLO is "not verified" (None: verified, or it fails), and the
    # daily horizon that plays its shock whole (None: it played whole; both None on runs
    # stored before migration 22).
    unverified: str | None = None
    horizon_days_needed: int | None = None
    # Whether a block was lost for good (its time to absorb holds within the window only);
    # None on runs stored before migration 26.
    loss_lasts_past_window: bool | None = None
    # Whether a response ladder beyond preemption and deferral played (migrate, spares,
    # burst): then time to absorb and its cost are the ladder run's, not the KPI tables'.
    # None when the rungs are not known.
    ladder_played: bool | None = None
    # Regions whose demand the drill played is the contract book's alone (its notes say so).
    book_only: list[str] = []
    # ", counted from DAY, its target's first demand in the shock" where the drill was judged from
    # its target's arrival (drills.absorb_from_text), else "".
    absorb_from: str = ""
    # Its notes on the groups short without the shock, paths short in each (the verdict cell
    # reads them: schema.unshocked_cell).
    unshocked_paths: list[str] = []

    @property
    def absorb_text(self) -> str | None:
        """``36 h``, ``> 42 d, not absorbed within the drill window`` (for a drill that passes
        its SLO, ``passes its SLO; still behind its baseline ...``), ``not judged: the plan
        fails unshocked in every hour ...`` (no hour can show the shock absorbed); None when not
        measured otherwise. On a plan that fails unshocked a measured time says it saw only
        the hours the plan holds in; on a drill not verified, that it is of what was played."""
        text = self._absorb_text()
        if text is not None:
            text += self.absorb_from
        # A loss lasting past the window says what part was judged itself (DrillResult's).
        lasting = bool(self.loss_lasts_past_window) and not self.absorb_censored
        if text is not None and self.verdict == NOT_VERIFIED and not lasting:
            return unverified_absorb_text(text)
        return text

    def _absorb_text(self) -> str | None:
        if self.absorb_censored:
            held = self.verdict in (PASS, NOT_VERIFIED)
            return censored_absorb_text(self.window_hours, passed=held)
        if self.short_until_shock_end_hours is not None:
            return short_until_shock_end_text(self.short_until_shock_end_hours)
        unshocked = self.verdict == FAILS_UNSHOCKED
        if self.time_to_absorb_hours is None:
            return UNJUDGED_ABSORB if unshocked else None
        text = (
            lasting_loss_absorb_text(self.time_to_absorb_hours, self.window_hours)
            if self.loss_lasts_past_window
            else f"{self.time_to_absorb_hours:,.0f} h"
        )
        return text + (PARTLY_JUDGED if unshocked else "")


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
    # What the forecast's fold into "other" means for each customer a drill targets by name.
    folds: dict[str, CustomerFold] = field(default_factory=dict)
    # Regions whose paths are the contract book's alone (no telemetry: not forecast).
    book_only: tuple[str, ...] = ()
    # Every path the forecast stored, where the drills play the first FIRST_PATHS of more
    # (no --paths): a borderline verdict draws on them (:func:`settled_play`). None otherwise.
    stored: pl.DataFrame | None = None


@dataclass(frozen=True, slots=True)
class PlayedDrill:
    """One scenario played on every path, with the answers searched for it."""

    result: DrillResult
    answers: dict[str, Any]
    additions: pl.DataFrame


def shock_cut_text(notes: Sequence[str]) -> str | None:
    """The notes of a drill just played that say how far the forecast horizon cut its shock
    short (kpis writes them with SHOCK_CUT_NOTE and HORIZON_CUT_NOTE), as one text; None when
    it played whole. Read once, as the drill is played, and stored as ``shock_cut``."""
    return "; ".join(n for n in notes if n.startswith((SHOCK_CUT_NOTE, HORIZON_CUT_NOTE))) or None


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
    folder = drills.scenario_folder(directory)
    if named_bad := [d for d in options.drills if d in folder.refused]:
        raise drills.ScenarioError(folder.refused[named_bad[0]])
    ready = folder.ready
    unknown = [d for d in options.drills if d not in ready]
    if unknown:
        raise drills.ScenarioError(
            f"no drill named {', '.join(unknown)} in {directory}; known: {', '.join(sorted(ready))}"
        )
    return [ready[d] for d in (options.drills or tuple(sorted(ready)))]


def refused_drills(
    options: DrillOptions, *, directory: Traversable | None = None
) -> list[DrillNotPlayed]:
    """The drill files of the folder that do not load, as drills not played with their error,
    when the options play the whole folder (none for an ad-hoc or named drill)."""
    from forecasting import drills

    if options.adhoc is not None or options.drills:
        return []
    folder = drills.scenario_folder(directory if directory is not None else drills_folder())
    return [DrillNotPlayed(drill=name, reason=error) for name, error in folder.refused.items()]


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
    warehouse_path: Path,
    forecast_run_id: str | None,
    paths: int | None,
    seed: int,
    *,
    customers: Sequence[str] = (),
) -> DrillInputs:
    """The forecast run's bottom-level paths, each class's day shapes from the history the
    forecast knew (up to its as-of date), and the fold of each of ``customers``."""
    from forecasting import drills
    from forecasting.contracts import book_only_regions

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        ref = forecast_run(wh, forecast_run_id)
        sample = wh.run_frame("forecast_paths", ref.run_id)
        # The hours the forecast read: its outage windows' hours are not demand's shape.
        hourly = wh.run_hourly_demand(ref.run_id).hourly
        book = book_only_regions(wh.run_frame("forecast_summary", ref.run_id))
    sample = sample.with_columns(pl.col("y").cast(pl.Float64))
    stored = sample if paths is None and sample["sample_id"].n_unique() > FIRST_PATHS else None
    # Without --paths, the first FIRST_PATHS of a larger store, the rest kept for a verdict
    # they do not settle: every drill on all 1,000 took 2-5 times as long as on 200.
    sample = resampled_paths(sample, FIRST_PATHS if stored is not None else paths, seed)
    shapes = drills.day_shapes(hourly, until=ref.as_of)
    folds = {name: customer_fold(warehouse_path, ref.run_id, name) for name in customers}
    return DrillInputs(
        forecast=ref, paths=sample, shapes=shapes, folds=folds, book_only=tuple(book),
        stored=stored,
    )  # fmt: skip


# The paths a drill plays first when the forecast stored more and no --paths was given.
FIRST_PATHS = 200
# The paths a borderline reason says would settle it (kpis._borderline_text).
_TO_SETTLE = re.compile(r"about ([\d,]+) independent paths would settle it")


def _paths_to_settle(result: DrillResult) -> int | None:
    """The independent paths a borderline verdict's reason says would settle it; None when
    it is not borderline, or sits on its threshold (no count would)."""
    if result.verdict != BORDERLINE:
        return None
    found = _TO_SETTLE.search(result.unverified or "")
    return None if found is None else int(found.group(1).replace(",", ""))


def _paths_as(
    play: Callable[..., PlayedDrill | DrillNotPlayed], paths: pl.DataFrame
) -> PlayedDrill | DrillNotPlayed:
    return play(paths=paths)


def settled_play(
    first: PlayedDrill,
    stored: pl.DataFrame,
    play: Callable[[pl.DataFrame], PlayedDrill | DrillNotPlayed],
) -> PlayedDrill:
    """``first`` (played on the first paths of ``stored``), or, where its verdict is
    borderline, the drill played again on more of the stored paths (``play``): the paths its
    reason says would settle it and a quarter more (the share moves as paths are added), in
    hundreds, then all of them if still borderline; it stops once settled or at every stored
    path (the cap), and its notes say which. The demo's delivery-slip read "borderline at 200
    paths ... about 554 would settle it" on a forecast that stored 1,000: 500 settle it."""
    total = stored.get_column("sample_id").n_unique()
    played, start = first, first.result.paths
    while (needed := _paths_to_settle(played.result)) is not None and played.result.paths < total:
        count = min(total, max(-(-needed * 5 // 4 // 100) * 100, played.result.paths + 100))
        # A second step goes to the cap: the share moved, and the estimate with it.
        count = count if played is first else total
        again = play(stored.filter(pl.col("sample_id") < count))
        if isinstance(again, DrillNotPlayed):
            break
        played = again
    if played is first:
        return first
    n = played.result.paths
    note = (
        f"played on {n:,} of the {total:,} paths the forecast stored: borderline on the first "
        f"{start:,}, so more were drawn, "
        + (
            f"and still borderline at {n:,}, every path stored (the cap)"
            if played.result.verdict == BORDERLINE
            else f"settled at {n:,} ({played.result.verdict})"
        )
    )
    return replace(played, result=replace(played.result, notes=(*played.result.notes, note)))


def drilled_customers(scenarios: Sequence[Scenario]) -> tuple[str, ...]:
    """The customers the scenarios target by name (not the largest, resolved on the paths)."""
    from forecasting.drills.scenarios import TOP_CUSTOMER

    return tuple(
        sorted(
            {
                s.target.name
                for s in scenarios
                if s.target.kind == "customer" and s.target.name not in (None, TOP_CUSTOMER)
            }
        )
    )


def _percent(part: float, whole: float) -> str:
    """``part`` of ``whole`` as a percentage to two figures: ``0.05%``, ``12%``."""
    if whole <= 0 or part <= 0:
        return "0%"
    share = 100 * part / whole
    return "under 0.01%" if share < 0.01 else f"{share:.2g}%"


# How a fold's warning starts on the terminal; its drill's notes keep the rest.
WARNING = "warning: "


class CustomerFold(NamedTuple):
    """What the forecast's fold into ``other`` means for drilling one customer
    (:func:`customer_fold`): ``error``, why it cannot be drilled at all, and ``warning``, the
    demand of it the drill leaves unshocked ('' where none)."""

    error: str = ""
    warning: str = ""


def customer_fold(warehouse_path: Path, forecast_run_id: str | None, customer: str) -> CustomerFold:
    """Whether ``customer`` can be drilled on the forecast run, where the forecast folded its
    measured demand in some class into ``other`` (nothing where no class is folded, or no
    telemetry names it: the drill's own error lists the names then, with a did-you-mean
    hint).

    Folded in every class, it has no forecast of its own: drilling ``other`` would shock every
    customer folded there, and its share of ``other``'s paths would be a forecast nothing
    made. So it is refused, with its measured share of its classes' demand and the fleet's and
    the customers that can be drilled (`drill --customer cust-147` loaded every path, then
    read "has no demand in the paths", with 34 of the names left out). Folded in some classes
    only, the drill shocks the others: the warning says which demand is left out, and its
    share (the demo's cust-168 doubled its experimentation alone, nothing said of its
    inference)."""
    from forecasting import hierarchy
    from forecasting.demand import FOLD_LOOKBACK_DAYS, OTHER
    from forecasting.text import listed

    if customer == OTHER:
        return CustomerFold()
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        ref = forecast_run(wh, forecast_run_id)
        ids = wh.query(
            "SELECT DISTINCT unique_id FROM forecast_paths WHERE run_id = $1", [ref.run_id]
        )["unique_id"]
        # (class, customer) of every bottom-level series: the customers kept in each class.
        kept = {
            hierarchy.levels_of(uid)[-2:]
            for uid in ids
            if hierarchy.depth_of(uid) == hierarchy.BOTTOM_DEPTH
        }
        until = datetime.combine(ref.as_of + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        since = until - timedelta(days=FOLD_LOOKBACK_DAYS)
        shares = wh.customer_demand_shares(customer, since=since, until=until)
    own = sorted({name for _, name in kept} - {OTHER})
    drilled = sorted(cls for cls, name in kept if name == customer)
    folded = shares.filter(~pl.col("workload_class").is_in(drilled))
    if folded.is_empty():
        return CustomerFold()
    classes = " and ".join(folded["workload_class"].to_list())
    of_class = ", ".join(
        f"{_percent(r['customer_gpu_hours'], r['class_gpu_hours'])} of {r['workload_class']} demand"
        for r in folded.iter_rows(named=True)
    )
    window = f"GPU-hours over the {FOLD_LOOKBACK_DAYS} days to {ref.as_of}"
    if drilled:
        return CustomerFold(
            warning=f"{WARNING}the drill shocks customer {customer!r} in {' and '.join(drilled)} "
            f"only: its {classes} demand ({of_class}, {window}) is folded into {OTHER!r}, "
            "with no forecast of its own, and is not shocked"
        )
    fleet = _percent(float(folded["customer_gpu_hours"].sum()), folded["fleet_gpu_hours"][0])
    return CustomerFold(
        error=f"customer {customer!r} is folded into {OTHER!r} in {classes}: the forecast "
        "keeps a series of its own for each class's largest customers and the contract book's "
        f"only, so it has no forecast of its own to drill, and drilling {OTHER!r} would shock "
        f"every customer folded there; its measured demand is {of_class} and {fleet} of the "
        f"fleet's ({window}); customers with a forecast of their own, which can be drilled: "
        f"{listed(own, most=len(own)) or 'none'}"
    )


def drilled_as_of(warehouse_path: Path, forecast_run_id: str | None) -> date:
    """The as-of day of the forecast run the drills play (the named one, or the newest): the
    day the plan they play is read on, whatever telemetry came in after."""
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        return forecast_run(wh, forecast_run_id).as_of


def unmeasured_demand_warning(warehouse_path: Path, forecast_run_id: str | None) -> str | None:
    """A warning line when the forecast run the drills played forecast the total, a region or
    a class as zero for want of one complete day of telemetry (None otherwise): an hour of an
    Azure trace read "pass, 0 h" on seven drills, with nothing to say demand was never seen."""
    from forecasting.report.inputs import unmeasured_series

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        ref = forecast_run(wh, forecast_run_id)
        unmeasured = unmeasured_series(wh.run_frame("forecast_summary", ref.run_id))
    if not unmeasured:
        return None
    return (
        f"warning: no demand measured for {', '.join(unmeasured)}: not one complete day of "
        "telemetry, so forecast as zero and drilled as zero; a pass there is not verified"
    )


def outages_not_known_warning(warehouse_path: Path, forecast_run_id: str | None) -> str | None:
    """A warning line when the forecast run the drills played was stored before migration 41
    and kept no outage windows, so the drills' day shapes read its telemetry raw (a calendar
    outage's zeros as an hour of demand); None where it recorded them."""
    from forecasting.runs.forecasts import outages_not_known_line

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        ref = forecast_run(wh, forecast_run_id)
        recorded = wh.outage_windows(ref.run_id) is not None
    if recorded:
        return None
    return "warning: " + outages_not_known_line(
        ref.run_id, what="the drills' day shapes and measured reach"
    )


def extrapolated_warning(
    warehouse_path: Path, forecast_run_id: str | None, *, rests: str | None = None
) -> str | None:
    """The report's "extrapolated:" line for the forecast run the drills played (or a what-if
    weighed, saying what ``rests`` on it), when its daily forecast reaches past what its
    backtests measured (None otherwise): `drill` on a 45-day fleet scored 7 days ahead printed
    revenue at risk over 182 days with nothing said, while `report` and every page said
    "extrapolated, not verified"."""
    from forecasting import demand, hierarchy
    from forecasting.report.inputs import DRILLS_REST, extrapolated_text

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        ref = forecast_run(wh, forecast_run_id)
        accuracy = wh.run_frame("horizon_accuracy", ref.run_id)
        end = wh.run_frame("forecasts", ref.run_id).get_column("ds").max()
        # A decision backtest that scored as far as the daily rows reach settles it without
        # the telemetry (4 s of the demo's what-if went to reading it for no banner).
        scored = int(
            accuracy.filter((hierarchy.depth() <= 1) & pl.col("mae").is_not_null())
            .select(pl.col("horizon_days").max().fill_null(0))
            .item()
        )
        if isinstance(end, date) and (end - ref.as_of).days <= scored:
            return None
        hourly = wh.run_hourly_demand(ref.run_id).hourly
        summary = wh.run_frame("forecast_summary", ref.run_id)
        backtest = wh.run_frame("backtests", ref.run_id)
    # The total and its regions alone are read, whatever the customers kept below them.
    text = extrapolated_text(
        demand.demand_series(hourly),
        summary,
        backtest=backtest,
        horizon_accuracy=accuracy,
        as_of=ref.as_of,
        end=end if isinstance(end, date) else None,
        rests=DRILLS_REST if rests is None else rests,
    )
    return f"extrapolated: {text}" if text else None


class StatusesVerified(NamedTuple):
    """How far a forecast run's statuses are verified, where that falls short of its plan's
    end: the last day (``day``), the plan's last day (``plan_end``) and why it ends there."""

    day: date
    plan_end: date
    why: str
    # Whether monthly rows follow the daily ones: a daily-only plan's short reach is the
    # extrapolated line's to say (extrapolated_warning).
    monthly: bool


def statuses_verified(wh: warehouse.Warehouse, forecast_run_id: str) -> StatusesVerified | None:
    """The day the statuses of forecast run ``forecast_run_id`` are verified to, read off its
    stored frames as the report reads it (``green_verified_to``), or None where every status
    reads plain to the plan's end (or the run stored no forecast rows). The telemetry is read
    only where the daily backtests could reach past the decision ones."""
    from forecasting import demand
    from forecasting.horizon import band_calibrated, q90_held
    from forecasting.report.inputs import measured_reach_of, q90_missed, statuses_verified_to

    ref = forecast_run(wh, forecast_run_id)
    accuracy = wh.run_frame("horizon_accuracy", ref.run_id)
    end = wh.run_frame("forecasts", ref.run_id).get_column("ds").max()
    months = wh.run_frame("forecast_months", ref.run_id).get_column("ds").max()
    summary = wh.run_frame("forecast_summary", ref.run_id)
    backtest = wh.run_frame("backtests", ref.run_id)
    if not isinstance(end, date):
        return None
    held = q90_held(accuracy)
    # The daily backtests reach no further than from their first cut-off: where the decision
    # backtests held further, the telemetry (4 s on the demo) settles nothing.
    first = backtest.get_column("cutoff").min()
    bound = (ref.as_of - first).days if isinstance(first, date) else 0
    if held.days >= bound:
        reach = held.days
    else:
        reach = measured_reach_of(
            demand.demand_series(wh.run_hourly_demand(ref.run_id).hourly),
            summary,
            backtest=backtest,
            horizon_accuracy=accuracy,
            as_of=ref.as_of,
            q90_held_only=True,
        )
    plan_end = month_end(months) if isinstance(months, date) else end
    calibrated = band_calibrated(summary)
    verified = statuses_verified_to(
        as_of=ref.as_of,
        daily_end=end,
        reach=reach,
        plan_end=plan_end if isinstance(months, date) else None,
        calibrated=calibrated,
    )
    if verified is None or verified >= plan_end:
        return None
    if isinstance(months, date) and not calibrated:
        why = "no backtest calibrated the plan's band past the daily rows"
    elif held.missed_days is not None and held.missed_share is not None:
        why = q90_missed(held.missed_days, held.missed_share)
    else:
        why = "no backtest measured the forecast's error past it"
    return StatusesVerified(verified, plan_end, why, monthly=isinstance(months, date))


def unverified_statuses(verified: StatusesVerified | None, *, rests: str) -> str:
    """What a reader of a what-if must know where the run's statuses are verified short of its
    plan's end (``verified``, :func:`statuses_verified`), else "": "the plan's statuses are
    verified to 2027-06-05 only (52 weeks out the regions' demand passed q90 on 20% of days,
    against at most 15%); demand past that day, and <rests>, are not verified". The demo's
    what-if said a deal ramping to 6,000 GPUs in Sep 2027 is served "from 2027-09-01", as if
    verified, where its report says every status past 2027-06-05 is not. Daily rows past the
    measured days are the extrapolated line's (:func:`extrapolated_warning`)."""
    if verified is None or not verified.monthly:
        return ""
    return (
        f"not verified: the plan's statuses are verified to {verified.day} only "
        f"({verified.why}); demand past that day, and {rests}, are not verified"
    )


def play_drill(
    plan: CapacityPlan,
    paths: pl.DataFrame,
    shapes: pl.DataFrame,
    scenario: Scenario,
    *,
    as_of: date,
    options: DrillOptions,
    fold: CustomerFold | None = None,
    book_only: Sequence[str] = (),
    stored: pl.DataFrame | None = None,
) -> PlayedDrill | DrillNotPlayed:
    """Play one scenario on every path; search the answers when the options ask.

    ``stored``: every path the forecast stored, of which ``paths`` are the first, for a
    blocks-to-pass set borderline on ``paths`` to be settled on more of them.

    A scenario this forecast or plan cannot place (a date outside the forecast horizon, no
    committed block to slip, a target with no demand, a customer ``fold`` leaves without a
    forecast of its own) is not played, with the reason: one ready-made drill that does not
    apply never stops the others. The demand of its customer ``fold`` leaves unshocked is
    said in its notes.
    """
    from forecasting import drills

    if fold is not None and fold.error:
        return DrillNotPlayed(drill=scenario.name, reason=fold.error)
    started = time.perf_counter()
    try:
        # Prepared once: the searches below start from this drill and its shocked run.
        drill = drills.prepare_drill(plan, paths, shapes, scenario, book_only=book_only)
        result = drill.play()
    except drills.ScenarioError as exc:
        # A drill nobody typed names its fields in its own words ("its slip: ..."); an ad-hoc
        # one keeps "field slip" for its caller to say as the flag typed (flows.cli).
        said = str(exc) if options.adhoc is not None else drills.in_its_own_words(str(exc))
        return DrillNotPlayed(drill=scenario.name, reason=said)
    if fold is not None and fold.warning:
        result = replace(result, notes=(*result.notes, fold.warning.removeprefix(WARNING)))
    answers: dict[str, Any] = {
        "breaking_multiplier": None,
        "breaking_note": None,
        "breaking_reached": None,
        "breaking_text": None,
        "blocks_pass": None,
        "capex_needed_usd": None,
        "blocks_notes": None,
        "shock_cut": shock_cut_text(result.notes),
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
            answers["breaking_reached"] = point.reached
            answers["breaking_text"] = point.text
        else:
            # A plan failing unshocked breaks at any multiplier: there is nothing to search.
            answers["breaking_note"] = "not searched: the plan fails without the shock"
        if not result.passed:
            search = drills.blocks_to_pass(
                plan, few, shapes, scenario, run_date=as_of, max_blocks=options.max_blocks,
                verify_on=None if few is paths else paths,
                prepared=drill if few is paths else None, stored=stored,
            )  # fmt: skip
            # Only a set the whole drill was re-run with and passed is stored as "would pass".
            additions = search.additions if search.passed else additions
            answers["blocks_pass"] = search.passed
            answers["capex_needed_usd"] = search.capex_usd if search.passed else None
            runs_text = {0: "no simulation run", 1: "1 simulation run"}.get(
                search.runs, f"{search.runs} simulation runs"
            )
            # Apart from the drill's notes: the first is the search's one-line answer.
            answers["blocks_notes"] = [
                search.summary,
                *search.notes,
                f"{runs_text} beyond the drill's own",
            ]
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
        breaking_text=run.get("breaking_text"),
        breaking_reached=run.get("breaking_reached"),
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
        book_only=book_only_noted(run.get("notes") or []),
        absorb_from=absorb_from_text(
            run.get("notes"), run.get("shock_start"), run.get("time_to_absorb_hours")
        ),
        unshocked_paths=[n for n in run.get("notes") or [] if n.startswith(UNSHOCKED_PATHS_NOTE)],
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
        blocks_note=next(iter(run.get("blocks_notes") or ()), None),
        shock_cut=run.get("shock_cut"),
        ladder_played=None if rungs is None else ladder_played(rungs),
        unverified=run.get("unverified"),
        horizon_days_needed=run.get("horizon_days_needed"),
        loss_lasts_past_window=run.get("loss_lasts_past_window"),
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
        "baseline_first_to_saturate": (
            None if result.baseline is None else list(result.baseline.first_to_saturate)
        ),
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
        "unverified": result.unverified or None,
        "shock_reached": result.shock_reached,
        "horizon_days_needed": result.horizon_days_needed,
        "loss_lasts_past_window": result.loss_lasts_past_window,
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
    with warehouse.connect(warehouse_path, create=False, wait=warehouse.STORE_WAIT) as wh:
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
    with warehouse.connect(warehouse_path, create=False, wait=warehouse.STORE_WAIT) as wh:
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
    inputs = drill_inputs(
        warehouse_path, options.forecast_run_id, options.paths, options.seed,
        customers=drilled_customers(scenarios),
    )  # fmt: skip
    batch = DrillBatch(played=[])
    for refused in refused_drills(options):
        batch.not_played.append(save_not_played(warehouse_path, inputs.forecast.run_id, refused))
    for scenario in scenarios:
        played = play_drill(
            plan, inputs.paths, inputs.shapes, scenario, as_of=inputs.forecast.as_of,
            options=options, fold=inputs.folds.get(scenario.target.name or ""),
            book_only=inputs.book_only, stored=inputs.stored,
        )  # fmt: skip
        if inputs.stored is not None and isinstance(played, PlayedDrill):
            replay = partial(
                play_drill, plan, shapes=inputs.shapes, scenario=scenario,
                as_of=inputs.forecast.as_of, options=options,
                fold=inputs.folds.get(scenario.target.name or ""), book_only=inputs.book_only,
                stored=inputs.stored,
            )  # fmt: skip
            played = settled_play(played, inputs.stored, partial(_paths_as, replay))
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
