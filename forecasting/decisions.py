"""Would the triggers have fired in time? The planning process replayed as of past days.

A decision backtest (issue 17) replays the expansion triggers as of past days and judges
each of their order-by and exhaustion dates against what the telemetry later showed. It
answers the question a finance reader asks before believing the next red trigger: when the
tool said "order by X", was that early enough, was the order needed, and what would idle or
missing capacity have cost?

What a replay sees (nothing learnt later leaks in)
    Telemetry through the as-of day (the demand series cut at it), the events announced by
    then (the forecast reads each event only from its ``announced`` day, blank: always
    known), the contracts announced by then (:meth:`ContractBook.known_by`: one without an
    ``announced`` date from its first ramp day, the latest it can have been signed, which
    the CLI says per contract: :func:`undated_contracts_note`), and the plan as it stood
    (:func:`plan_as_of`). Each replay forecasts with cheaper settings than a planning
    run (fewer paths and customers, see :class:`DecisionOptions`), extends the forecast to the
    plan horizon with the growth models (:func:`forecasting.horizon.extend_horizon`) and
    runs :func:`forecasting.triggers.expansion_triggers` on it.

The plan as it stood (:func:`plan_as_of`)
    A block in service on the day stays (a committed block whose in-service date has passed
    is live). A block arriving later was known on the day when it had been ordered by then:
    its in-service date less the lead time of the cheapest candidate (capex per GPU) of the
    same kind and GPU type, or :data:`DEFAULT_LEAD_WEEKS` when the plan has no such
    candidate, is on or before the day; it stays as committed. Any other later block is
    removed. Retirement dates and site power are taken as known (they are planned years
    ahead); candidates are unchanged.

What happened (:func:`actual_pools`, :func:`actual_exhaustion`)
    The observed daily demand after the as-of day is read through the triggers' own rule
    (:func:`forecasting.triggers.pool_requirements`): the region's own peak (the training
    class's peak for the training pool), less what dedicated blocks take, grossed up by the
    headroom policy. The *actual exhaustion* is the first day after the as-of day on which
    that requirement exceeds the capacity of the plan as it stood on the as-of day: the day
    the capacity the triggers were judging really ran short without a new order. It is None
    ("censored: not within the data") when that never happens before the data ends. The
    *fleet exhaustion* is the same against the full plan, every block as it really arrived
    (orders placed after the as-of day included): shown for context, never judged on,
    because a later order by people is what the trigger was meant to prompt.

Verdicts, per as-of day, region and pool
    An order is placed on its order-by date, or on the as-of day when that has passed (an
    order-by date before the as-of day reads "overdue as of" that day: :func:`order_by_text`),
    and is in service ``lead_time_weeks`` later (the trigger's ``arrives``), or when its site
    has the MW for it if that comes later (the trigger's ``powered_from``: a block that waits
    for power serves from then), or, where no site of the plan has it, when power contracted
    on the as-of day lets it run (its placement's ``runs_from``). A verdict judges the order's
    timing; its size shows as idle capital (below), counted from its arrival.

    ``in_time``
        The triggers forecast an exhaustion and ordered blocks, the known capacity really ran
        short, and the order arrives on or before that day (the note gives the days to spare),
        within ``idle_weeks`` of it.
    ``not_needed_yet``
        As ``in_time``, but the shortfall came ``idle_weeks`` or more after the arrival: the
        whole order stood idle over its judged window (its idle capital is counted).
    ``late``
        The known capacity ran short before the order arrives: ``days_late`` = arrival less
        the actual exhaustion. ``unmet_gpu_hours`` sums, over the late days, the requirement
        (peak plus headroom) not in service, times 24 (the requirement holds the headroom
        policy, so this is the requirement short, an upper bound on demand turned away or
        queued). Days after the data end are not counted (the note says so).
        ``revenue_lost_usd`` prices them at the training price (training pool) or the class
        prices weighted by the region's observed mean demand after the as-of day (``all``);
        null when the plan sets no price.
    ``missed``
        No exhaustion forecast (the trigger was green with nothing to order), yet the known
        capacity ran short within the forecast horizon. ``days_late`` is null (no order was
        placed to be late); ``unmet_gpu_hours`` is summed over the lead time of the cheapest
        candidate serving the pool from the actual exhaustion (what an order placed that day
        could not have prevented), priced as for ``late``.
    ``false_alarm``
        An exhaustion was forecast and blocks ordered, but the known capacity never ran short
        in the data, which reaches past the forecast exhaustion date by the safety buffer at
        least: "not needed within N months of data". (Within the buffer of it, a shortfall
        can still come as early as the buffer allows for: not verified.)
    ``nothing_ordered``
        An exhaustion was forecast (red or amber) but the trigger had no blocks to order:
        capacity already planned covers the need before any order could land, the
        training-pool order covers it, or no candidate can serve the pool (the note quotes
        the trigger); and the known capacity ran short (the note says when). There is no
        order to be in time, late or idle: no order-by or in-service date is kept, and no
        days late, unmet GPU-hours or idle capital.
    ``not_borne_out``
        As ``nothing_ordered``, but the known capacity never ran short in the data, which
        reaches past the forecast exhaustion date by the safety buffer at least (within it:
        not verified, as for a false alarm): the red or amber call was wrong. Not a false
        alarm, which is an order not needed: no capital was called for. (It read "nothing
        ordered", counted with the calls whose shortfall came.)
    ``no_order_needed``
        No exhaustion forecast, and none within the forecast horizon in the data (or one
        past the horizon: a later replay's decision). It is judged over the lead time of the
        cheapest candidate serving the pool (:data:`DEFAULT_LEAD_WEEKS` when none) plus the
        safety buffer after the as-of day: a shortfall within them needed an order that day.
        Where the data end sooner it is judged on the days there are, its note says
        "censored at the data end" and so does its ``censored_at_data_end`` field, which
        the page's and the CLI's counts read.

    The data end of a row (``data_end``) is its pool's own last day of telemetry: a region
    whose telemetry stops before the others' is judged on its days only (its as-of day when
    it has none after it).
    ``not_verified``
        Not counted: no data after the as-of day for its pool (the region's telemetry
        stopped before it, though other regions' runs on), or an exhaustion was forecast and
        the data ends before that date, or within the safety buffer after it, without a shortfall
        (censored: too soon to tell), with or without an order. Also an order not sized (it
        lands after the replay's forecast ends: a candidate and an order-by date, no blocks):
        no size, so no timing, unmet or idle to judge (it read "nothing ordered"); the note
        says whether the shortfall came. An order no site of the plan can power
        (:data:`NEVER_POWERED`: its blocks past their site's ceiling): when it could serve is
        not known. And a false alarm on a trigger short at the monthly
        grain only (its ``monthly_only`` field), or a call not borne out on one: it forecast
        no dated shortfall to refute. Its other
        verdicts stand (an order's timing is measured against the real shortfall whatever
        the grain), their notes opening with the grain.

Short history
    A row whose region had under :data:`MIN_HISTORY_DAYS` (168) days of telemetry on the
    as-of day has a note starting "short history": the growth models need six 28-day blocks
    to fit a trend, so its forecast is flat or a random walk. Its verdict stands (it is what
    the tool would have said) but is not the tool's considered call; the CLI warns and the
    page lists those as-of days.

Idle capital
    Every order with blocks, as if placed: from its arrival, each day's idle capacity is the
    ordered units (H100-equivalents with a [gpu_type] table, else GPUs) less the actual
    shortfall of the known capacity that day, clipped to [0, ordered units] (before the
    order is in service, while it waits for its site's power, the whole order: it serves
    nothing yet, and its capital stands idle all the same); over at most
    ``idle_weeks`` (52) of data after arrival. ``idle_gpu_months`` is the sum in GPU-days /
    (365.25 / 12); ``idle_capital_usd`` is the mean idle units over those days times the
    candidate's capex per unit: capital standing idle on average. Null when the order arrives
    after the data ends. Only the capacity the shortfall left unused counts, so an order in
    time is not also counted idle for what it served; when the shortfall used some of its
    blocks but not all at its peak, the note says "oversized: ... used at most N of the M
    blocks" when its judged window ran the full ``idle_weeks`` (cut short by the data end,
    whether the rest was needed later is "not verified").

Counts
    :func:`decision_counts` counts every verdict from the replays. The run's row in
    ``decision_runs`` has columns for the verdicts of migration 10 (:data:`STORED_COUNTS`);
    ``missed``, ``not_needed_yet``, ``nothing_ordered`` and ``not_borne_out`` are counted from
    ``decision_replays``, as the page does.

Speed
    :func:`backtest_decisions` reads the warehouse once, then fans the as-of days out with
    ``map_fn`` (a process pool in direct mode, Prefect tasks in flows/decisions.py); each
    replay forecasts its series one after another. :func:`known_then` cuts the inputs to
    what was known on a day and :meth:`KnownThen.digest` hashes their content, the cache
    key of a replay task: later data leaves it unchanged.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import polars as pl
from pydantic import BaseModel

from forecasting import warehouse
from forecasting.capacity import Block, CandidateBlock, CapacityPlan
from forecasting.digest import content_digest
from forecasting.longrange import BLOCK_DAYS, MIN_BLOCKS
from forecasting.options import DecisionOptions
from forecasting.schema import BlockStatus, Measure, WorkloadClass, frame_schema
from forecasting.text import days_count
from forecasting.triggers.common import MONTHLY_ONLY, TriggerResult, trigger_placements

if TYPE_CHECKING:
    from forecasting.contracts import ContractBook

__all__ = [
    "DECISION_REPLAYS_SCHEMA",
    "DEFAULT_LEAD_WEEKS",
    "MIN_HISTORY_DAYS",
    "NEVER_POWERED",
    "SHORT_HISTORY",
    "STORED_COUNTS",
    "UNMET_CENSORED",
    "BacktestInputs",
    "DecisionRun",
    "KnownThen",
    "Replayed",
    "Verdict",
    "actual_exhaustion",
    "actual_pools",
    "as_of_days",
    "backtest_decisions",
    "backtest_inputs",
    "censored_at_data_end",
    "days_late_text",
    "decision_counts",
    "history_days",
    "idle_not_verified",
    "judge_replay",
    "known_then",
    "never_powered",
    "order_by_text",
    "plan_as_of",
    "pool_prices",
    "power_wait_days",
    "publish_page",
    "replay_as_of",
    "replay_days",
    "replayed_triggers",
    "score_replay",
    "short_history_as_ofs",
    "short_history_headline",
    "store_decisions",
    "stored_decisions",
    "unmet_censored",
    "unmet_cut",
    "unsized",
]

DECISION_REPLAYS_SCHEMA = frame_schema("decision_replays")
# Lead time assumed for a block whose kind and GPU type no candidate of the plan matches.
DEFAULT_LEAD_WEEKS = 26
# Under six 28-day blocks a series gets no trend of its own (forecasting/longrange.py).
MIN_HISTORY_DAYS = MIN_BLOCKS * BLOCK_DAYS
# How a replay row's note starts when its region had fewer days than that.
SHORT_HISTORY = "short history"
_TOL = 1e-9
_DAYS_PER_MONTH = 365.25 / 12
_HOURS = 24


class Verdict(StrEnum):
    """How one replayed trigger stood against what happened (see the module docstring)."""

    IN_TIME = "in_time"
    NOT_NEEDED_YET = "not_needed_yet"
    LATE = "late"
    MISSED = "missed"
    FALSE_ALARM = "false_alarm"
    NOTHING_ORDERED = "nothing_ordered"
    NOT_BORNE_OUT = "not_borne_out"
    NO_ORDER_NEEDED = "no_order_needed"
    NOT_VERIFIED = "not_verified"


# The verdicts decision_runs has a count column for (migration 10); the others are counted
# from decision_replays (decision_counts), which holds every row's verdict.
STORED_COUNTS = (
    Verdict.IN_TIME,
    Verdict.LATE,
    Verdict.FALSE_ALARM,
    Verdict.NO_ORDER_NEEDED,
    Verdict.NOT_VERIFIED,
)


class DecisionRun(BaseModel):
    """A stored decision backtest, for the CLI summary and the page."""

    run_id: str
    as_ofs: list[date]
    data_end: date
    counts: dict[str, int]
    unmet_gpu_hours: float
    revenue_lost_usd: float | None
    idle_gpu_months: float
    idle_capital_usd: float
    seconds: float
    replays: list[dict[str, Any]]
    page: Path | None = None  # the published page, when reports were asked for
    # Each replay forecast's daily days: an exhaustion past them is on a monthly row, whose
    # first day stands for the month ("2027-09-01" read as a forecast day).
    daily_days: int = DecisionOptions.model_fields["horizon_days"].default
    # What the outage calendar (--outages) marked, as a forecast says it: windows that mark
    # nothing, a calendar that marks no hour (printed nothing before). Not stored.
    outage_notes: list[str] = []


# --- the as-of days and the plan as it stood ----------------------------------------------------


def as_of_days(first: date, *, every: int, until: date) -> list[date]:
    """``first``, then every ``every`` days, through ``until`` (empty when first is later)."""
    if every < 1:
        raise ValueError(f"every must be at least 1 day (got {every})")
    count = (until - first).days // every + 1 if until >= first else 0
    return [first + timedelta(days=i * every) for i in range(count)]


def _lead_weeks(plan: CapacityPlan, block: Block, default: int) -> int:
    """Lead time of the cheapest candidate (capex per GPU) of the block's kind and GPU type."""
    same = [c for c in plan.candidate if c.kind == block.kind and c.gpu_type == block.gpu_type]
    if not same:
        return default
    return min(same, key=lambda c: (c.capex_usd / c.gpus, c.name)).lead_time_weeks


def plan_as_of(
    plan: CapacityPlan, day: date, *, default_lead_weeks: int = DEFAULT_LEAD_WEEKS
) -> CapacityPlan:
    """The plan as it stood on ``day`` (see the module docstring, "The plan as it stood")."""
    kept = []
    for block in plan.block:
        if block.in_service is None or block.in_service <= day:
            live = block.status is BlockStatus.COMMITTED
            kept.append(block.model_copy(update={"status": BlockStatus.LIVE}) if live else block)
            continue
        ordered = block.in_service - timedelta(weeks=_lead_weeks(plan, block, default_lead_weeks))
        if ordered <= day:
            known = block.status if block.status is BlockStatus.RETIRING else BlockStatus.COMMITTED
            kept.append(block.model_copy(update={"status": known}))
    return plan.model_copy(update={"block": tuple(kept)})


# --- what happened --------------------------------------------------------------------------------


def _observed(history: pl.DataFrame) -> pl.DataFrame:
    """Observed demand (unique_id, ds, measure, y) as a forecast frame: mean = observed = y."""
    return history.select(
        "unique_id", "ds", "measure", mean=pl.col("y"), observed=pl.col("y")
    ).with_columns(pl.lit("day").alias("grain"))


_POOLS_SCHEMA = pl.Schema(
    {
        "region": pl.String,
        "pool": pl.String,
        "ds": pl.Date,
        "requirement_gpus": pl.Float64,
        "capacity_gpus": pl.Float64,
    }
)


def actual_pools(history: pl.DataFrame, plan: CapacityPlan, *, as_of: date) -> pl.DataFrame:
    """(region, pool, ds, requirement_gpus, capacity_gpus) observed on each day after ``as_of``.

    ``history`` is the daily demand (DEMAND_SCHEMA, or unique_id, ds, measure, y) with both
    measures at region, class and (for dedicated blocks) customer level; the rule is the
    triggers' (:func:`forecasting.triggers.pool_requirements`). Empty when no day follows.
    """
    from forecasting.triggers import pool_requirements

    after = history.filter(pl.col("ds") > as_of)
    if after.is_empty():
        return pl.DataFrame(schema=_POOLS_SCHEMA)
    start = after.get_column("ds").min()
    assert isinstance(start, date)  # a non-empty frame has a first day
    daily = pool_requirements(_observed(after), plan, as_of=start, column="observed")
    return daily.select(_POOLS_SCHEMA.names()).cast(_POOLS_SCHEMA)


def _first_short(daily: pl.DataFrame) -> pl.DataFrame:
    """(region, pool, exhaustion): the first day each pool's requirement beats its capacity."""
    return (
        daily.filter(pl.col("requirement_gpus") - pl.col("capacity_gpus") > _TOL)
        .group_by("region", "pool")
        .agg(exhaustion=pl.col("ds").min())
    )


def actual_exhaustion(history: pl.DataFrame, plan: CapacityPlan, *, as_of: date) -> pl.DataFrame:
    """(region, pool, actual_exhaustion, data_end) per pool: the first day after ``as_of`` the
    observed requirement exceeded ``plan``'s capacity in service; null when never within the
    data (censored), ``data_end`` being the last day of the data."""
    daily = actual_pools(history, plan, as_of=as_of)
    end = history.get_column("ds").max()
    pools = daily.select("region", "pool").unique()
    return (
        pools.join(_first_short(daily), on=["region", "pool"], how="left")
        .select("region", "pool", actual_exhaustion=pl.col("exhaustion"))
        .with_columns(data_end=pl.lit(end, dtype=pl.Date))
        .sort("region", "pool")
    )


def pool_prices(
    history: pl.DataFrame, plan: CapacityPlan, *, as_of: date
) -> dict[tuple[str, str], float]:
    """Price per GPU-hour of each (region, pool): training's own price for the training pool;
    for ``all`` the class prices weighted by the region's observed mean demand after ``as_of``
    (every day to the data end). 0 when the plan sets no price."""
    from forecasting import hierarchy

    price = {c.value: p.price_per_gpu_hour for c, p in plan.policy.items()}
    training = price[WorkloadClass.TRAINING.value]
    classes = (
        history.filter(
            (pl.col("ds") > as_of)
            & (pl.col("measure") == Measure.MEAN.value)
            & (hierarchy.depth() == 2)
        )
        .with_columns(region=hierarchy.level(1), workload_class=hierarchy.level(2))
        .group_by("region", "workload_class")
        .agg(gpus=pl.col("y").clip(lower_bound=0.0).sum())
    )
    prices: dict[tuple[str, str], float] = {}
    for (region,), part in classes.group_by("region"):
        total = float(part["gpus"].sum())
        weighted = sum(
            price.get(str(c), 0.0) * float(g)
            for c, g in zip(part["workload_class"], part["gpus"], strict=True)
        )
        prices[(str(region), "all")] = weighted / total if total > 0 else 0.0
        prices[(str(region), "training")] = training
    return prices


# --- scoring one replay ---------------------------------------------------------------------------


def _candidate(plan: CapacityPlan, name: object) -> CandidateBlock | None:
    return next((c for c in plan.candidate if c.name == name), None)


def _shortfall(daily: pl.DataFrame, *, start: date, stop: date) -> pl.Series:
    """Requirement not in service on each day in [start, stop) (0 where capacity suffices)."""
    return daily.filter(pl.col("ds").is_between(start, stop, closed="left")).select(
        (pl.col("requirement_gpus") - pl.col("capacity_gpus")).clip(lower_bound=0.0)
    )["requirement_gpus"]


def _cheapest_lead(plan: CapacityPlan, *, region: str, pool: str) -> int | None:
    """Lead time (weeks) of the cheapest candidate that can serve the pool in the region."""
    options = [
        c
        for c in plan.candidate
        if c.available_in(region) and (pool == "all" or c.allows(WorkloadClass.TRAINING))
    ]
    if not options:
        return None
    return min(options, key=lambda c: (c.capex_usd / c.gpus, c.name)).lead_time_weeks


# How a replay's note says no site of the plan can ever power the order's blocks (all past
# their site's ceiling): it is not judged (the page's in-service cell says so). The replay's
# ``never_powered`` field says it; these words are for the reader.
NEVER_POWERED = "no site of the plan can power its blocks"
# How a replay's note says its unmet GPU-hours are counted to the data end only, the order
# still not in service then: the figure is a lower bound (its ``unmet_censored`` field).
# Replays stored before migration 30 got both fields from their notes' words in migration 34.
UNMET_CENSORED = "unmet counted to the data end"


@dataclass(frozen=True, slots=True)
class _Judged:
    verdict: Verdict
    note: str
    days_late: int | None = None
    unmet: float | None = None
    never_powered: bool = False  # no site of the plan can ever power the order
    unmet_censored: bool = False  # ``unmet`` stops at the data end: a lower bound
    # Judged on the data to its end only, short of the span the verdict is judged over.
    censored_at_data_end: bool = False


def _unmet(
    daily: pl.DataFrame, *, start: date, stop: date, data_end: date, what: str
) -> tuple[float, str, bool]:
    """GPU-hours of requirement short over [start, stop), counted to the data end; the note;
    whether the data ended first (the hours are then a lower bound)."""
    counted_to = min(stop, data_end + timedelta(days=1))
    hours = float(_shortfall(daily, start=start, stop=counted_to).sum()) * _HOURS
    note = f"{what} from {start} to {stop - timedelta(days=1)}"
    cut = stop > counted_to
    if cut:
        note += f"; {UNMET_CENSORED} {data_end} only (censored)"
    return hours, note, cut


def _censored(forecast: date, *, data_end: date, buffer_weeks: int) -> _Judged | None:
    """Not verified when the data ends before the forecast exhaustion, or within the safety
    buffer after it, with no shortfall yet; None when the data reaches past both."""
    if data_end < forecast:
        return _Judged(
            Verdict.NOT_VERIFIED,
            f"censored: the data ends {data_end}, before the forecast exhaustion "
            f"{forecast}, with no shortfall yet: too soon to tell",
        )
    if data_end < forecast + timedelta(weeks=buffer_weeks):
        # A shortfall a few days after the forecast date is the error the buffer is there
        # for: judged a false alarm 1-13 days after it, replays of a 300-day fleet counted red
        # triggers whose shortfall the data could not yet show.
        return _Judged(
            Verdict.NOT_VERIFIED,
            f"censored: the data ends {data_end}, {days_count((data_end - forecast).days)} "
            f"after the forecast exhaustion {forecast}, within the {buffer_weeks}-week "
            "safety buffer, with no shortfall yet: too soon to call it a false alarm",
        )
    return None


def _nothing_ordered(
    row: dict[str, Any], *, actual: date | None, data_end: date, buffer_weeks: int
) -> _Judged:
    """A forecast exhaustion with no blocks to order: the forecast is checked, but there is
    no order to be in time, late or idle (it read as one placed before, in service and late).

    Called once the data reach past the forecast date by the buffer, or the shortfall came
    (:func:`_censored` first): a shortfall that did not come is a red (or amber) not borne
    out, its own verdict. It read "nothing ordered" beside the calls whose shortfall came,
    and the counts said nothing of a wrong call; it is no false alarm, no capital was called
    for."""
    forecast, said = row["exhaustion_date"], row["note"] or "no blocks to order"
    if actual is None:
        past = (data_end - forecast).days
        return _Judged(
            Verdict.NOT_BORNE_OUT,
            f"not borne out: the {row['status']} call forecast a shortfall from {forecast}, and "
            f"the capacity known then did not run short in the data to {data_end}, {past} "
            f"days past it (at least the {buffer_weeks}-week safety buffer); nothing was "
            f"ordered (the trigger: {said}), so no capital was called for",
        )
    return _Judged(
        Verdict.NOTHING_ORDERED,
        f"nothing ordered (the trigger: {said}); the shortfall forecast for {forecast} "
        f"came on {actual}: no order to judge in time, late or idle",
    )


def unsized(row: dict[str, Any]) -> bool:
    """Whether a trigger (or replay) row names a block to order that its forecast ends before
    (``triggers.rows.NOT_SIZED``): a candidate, and no blocks, capex or MW measured."""
    return row["blocks_to_order"] is None and row["candidate"] is not None


def _not_sized(row: dict[str, Any], *, actual: date | None, months: float) -> _Judged:
    """An order the replay's forecast ended before: what to order and by when, but no size.

    Its null blocks read as none, and it was judged "nothing ordered" ("no order to judge
    in time, late or idle") while the trigger called for an order: with no size there is
    no unmet, idle or timing to measure, so it is not verified, and says why.
    """
    forecast = row["exhaustion_date"]
    if actual is None:
        outcome = f"did not come within {months:.1f} months of data"
    else:
        outcome = f"came on {actual}"
    return _Judged(
        Verdict.NOT_VERIFIED,
        f"not verified: the order ({row['candidate']}, by {row['order_by']}) was not sized "
        f"(the trigger: {row['note']}); the shortfall forecast for {forecast} {outcome}: an "
        "order of no size is not judged in time, late or idle",
    )


def _monthly_only(judged: _Judged, *, forecast: date) -> _Judged:
    """A verdict on a trigger short at the monthly grain only (its ``monthly_only`` field),
    read as what the trigger said: a shortfall of a month's peak day,
    undated at the daily grain.

    An order's timing against the day the capacity really ran short is measured whatever
    the grain (in time, late, not needed yet stand), but a false alarm, or a red with nothing
    ordered not borne out, refutes a dated shortfall the trigger never forecast: it is not
    verified. Every verdict says the grain.
    """
    said = f"forecast short at the monthly grain only ({forecast:%B %Y}): {MONTHLY_ONLY}"
    if judged.verdict in (Verdict.FALSE_ALARM, Verdict.NOT_BORNE_OUT):
        return _Judged(Verdict.NOT_VERIFIED, f"not verified: {said}; {judged.note}")
    return replace(judged, note=f"{said}; {judged.note}")


def _placed(row: dict[str, Any], *, as_of: date) -> str:
    """When the order is placed: its order-by date, or the as-of day when that had passed."""
    order_by = row["order_by"]
    if order_by is not None and order_by < as_of:
        return f"placed {as_of}, overdue (order by {order_by})"
    return f"placed {order_by}"


def _unforecast(
    row: dict[str, Any],
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    actual: date | None,
    as_of: date,
    data_end: date,
    horizon_end: date,
    months: float,
    buffer_weeks: int,
) -> _Judged:
    """No exhaustion forecast: a miss when the capacity ran short within the horizon; no
    order needed otherwise, censored at the data end when the data stop short of the lead
    time + safety buffer (a shortfall within it needed an order on the as-of day)."""
    if actual is not None and actual <= horizon_end:
        lead = _cheapest_lead(plan, region=row["region"], pool=row["pool"])
        stop = data_end + timedelta(days=1) if lead is None else actual + timedelta(weeks=lead)
        hours, span, cut = _unmet(daily, start=actual, stop=stop, data_end=data_end, what="short")
        return _Judged(
            Verdict.MISSED,
            f"missed: no exhaustion forecast within the horizon (to {horizon_end}), yet the "
            f"capacity known then ran short on {actual}; {span} (an order placed that day "
            "could not arrive sooner)",
            None,
            hours,
            unmet_censored=cut,
        )
    if actual is not None:
        return _Judged(
            Verdict.NO_ORDER_NEEDED,
            f"ran short on {actual}, past the forecast horizon (to {horizon_end}): "
            "a later replay's decision",
        )
    lead = _cheapest_lead(plan, region=row["region"], pool=row["pool"])
    window = timedelta(weeks=(DEFAULT_LEAD_WEEKS if lead is None else lead) + buffer_weeks)
    seen = (data_end - as_of).days
    if seen < window.days:
        # Replayed the day before the data ended, "none in 0.0 months of data" was tallied
        # as judged like a call the data had tested over its whole window.
        return _Judged(
            Verdict.NO_ORDER_NEEDED,
            f"no exhaustion forecast and none in the {seen} day{'' if seen == 1 else 's'} of "
            f"data to {data_end}: censored at the data end, short of the {days_count(window.days)} "
            "(lead time + safety buffer) a call for no order is judged over",
            censored_at_data_end=True,
        )
    return _Judged(
        Verdict.NO_ORDER_NEEDED,
        f"no exhaustion forecast and none in {months:.1f} months of data (to {data_end}); "
        "censored after it",
    )


def _in_service(row: dict[str, Any]) -> date | None:
    """When an order serves: its arrival, or the day its site has the MW when that is later
    (racks that arrived with no power for a year were judged from their arrival), or, where
    no site of the plan has the MW, the day power contracted on the as-of day lets it run
    (``runs_from``; judged from its arrival, a red row said nothing of power)."""
    arrives: date | None = row["arrives"]
    powered: date | None = row.get("powered_from")
    if arrives is not None and powered is not None and powered > arrives:
        return powered
    runs: date | None = row.get("runs_from")
    if arrives is not None and _unpowered(row) and runs is not None and runs > arrives:
        return runs
    return arrives


def _unpowered(row: dict[str, Any]) -> bool:
    """Whether the order's blocks find no power in the plan (no site has their MW within it)."""
    return row.get("powered") is False and row.get("powered_from") is None


def _service_text(row: dict[str, Any], serves: date) -> str:
    """The order's in-service day for a note, and why when it is not its arrival."""
    if serves == row["arrives"]:
        return f"{serves}"
    if _unpowered(row):
        return (
            f"{serves} (it arrives {row['arrives']} and waits for power no site of the plan "
            f"has: it runs from {serves} at the earliest, with power contracted on the as-of "
            "day)"
        )
    return f"{serves} (it arrives {row['arrives']} and waits for its site's power)"


def replayed_triggers(result: TriggerResult) -> pl.DataFrame:
    """The TRIGGERS rows a replay judges, with their own order's ``powered`` and
    ``runs_from`` (its placement): an order no site of the plan powers has no
    ``powered_from``, and was judged as serving on its arrival."""
    first = trigger_placements(result.placements)
    return result.triggers.join(
        first.select("region", "pool", "powered", "runs_from"), on=["region", "pool"], how="left"
    )


def _judge(
    row: dict[str, Any],
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    actual: date | None,
    data_end: date,
    horizon_end: date,
    as_of: date,
    buffer_weeks: int = 4,
    idle_weeks: int = 52,
) -> _Judged:
    """The verdict of one trigger row (see the module docstring, "Verdicts")."""
    forecast: date | None = row["exhaustion_date"]
    arrives: date | None = _in_service(row)
    if data_end <= as_of or daily.is_empty():
        # A pool whose telemetry stopped before the as-of day has no day to be judged on,
        # though other regions' data run on: it read "none in 3.3 months of data".
        return _Judged(
            Verdict.NOT_VERIFIED, "not verified: no data after the as-of day to judge it by"
        )
    months = (data_end - as_of).days / _DAYS_PER_MONTH
    if forecast is None:
        return _unforecast(
            row, daily, plan, actual=actual, as_of=as_of, data_end=data_end,
            horizon_end=horizon_end, months=months, buffer_weeks=buffer_weeks,
        )  # fmt: skip
    if unsized(row):
        return _not_sized(row, actual=actual, months=months)
    if row["blocks_to_order"] and _unpowered(row) and row.get("runs_from") is None:
        # Judged from its arrival, it read "in time" with idle capital, serving nothing.
        return _Judged(
            Verdict.NOT_VERIFIED,
            f"not verified: {NEVER_POWERED} (past its site's ceiling: a new site is needed), "
            "so when it could serve is not known: its timing, unmet and idle are not judged",
            never_powered=True,
        )
    if actual is None and (
        censored := _censored(forecast, data_end=data_end, buffer_weeks=buffer_weeks)
    ):
        return censored
    if not row["blocks_to_order"] or arrives is None:
        return _nothing_ordered(row, actual=actual, data_end=data_end, buffer_weeks=buffer_weeks)
    placed = _placed(row, as_of=as_of)
    service = _service_text(row, arrives)
    if actual is None:
        return _Judged(
            Verdict.FALSE_ALARM,
            f"forecast exhaustion {forecast}, but the capacity known then did not run short "
            f"within {months:.1f} months of data (to {data_end}): not needed within them",
        )
    if actual >= arrives + timedelta(weeks=idle_weeks):
        # In service before the shortfall, but no day of its judged window was short: the
        # whole order stood idle, which an "in time" beside the idle capital hid.
        return _Judged(
            Verdict.NOT_NEEDED_YET,
            f"order {placed}, in service {service}; the capacity known then ran short only on "
            f"{actual}, {days_count((actual - arrives).days)} later: wholly idle over the "
            f"{idle_weeks} weeks judged (forecast {forecast})",
        )
    if arrives <= actual:
        spare = (actual - arrives).days
        return _Judged(
            Verdict.IN_TIME,
            f"order {placed}, in service {service}, {days_count(spare)} before the capacity known "
            f"then ran short on {actual} (forecast {forecast})",
            0,
            0.0,
        )
    hours, span, cut = _unmet(daily, start=actual, stop=arrives, data_end=data_end, what="short")
    return _Judged(
        Verdict.LATE,
        f"ran short {actual}, order {placed}, in service {service} (forecast {forecast}); {span}",
        (arrives - actual).days,
        hours,
        unmet_censored=cut,
    )


def _idle(
    row: dict[str, Any],
    daily: pl.DataFrame,
    plan: CapacityPlan,
    *,
    data_end: date,
    idle_weeks: int,
) -> tuple[float | None, float | None, str]:
    """Idle GPU-months and capital of the row's order, as if placed (module docstring)."""
    blocks, arrives, serves = row["blocks_to_order"], row["arrives"], _in_service(row)
    candidate = _candidate(plan, row["candidate"])
    if not blocks or arrives is None or serves is None or candidate is None:
        return None, None, ""
    if arrives > data_end:
        return None, None, f"idle capital not verified: the order arrives {arrives}, after the data"
    units = candidate.gpus * plan.h100_equivalent(candidate.gpu_type)
    ordered = blocks * units
    stop = min(arrives + timedelta(weeks=idle_weeks), data_end + timedelta(days=1))
    # Unpowered, the order serves no shortfall: racks judged from arrival read as used for a
    # year they stood waiting for their site's MW.
    short = _shortfall(daily, start=serves, stop=stop)
    waited = max(min((serves - arrives).days, (stop - arrives).days), 0)
    used = pl.concat([pl.zeros(waited, dtype=pl.Float64, eager=True), short.cast(pl.Float64)])
    idle = ordered - used.clip(0.0, ordered)
    if idle.is_empty():
        return None, None, ""
    gpu_months = float(idle.sum()) / _DAYS_PER_MONTH
    capital = float(idle.mean()) * candidate.capex_usd / units
    note = f"idle judged over {days_count(idle.len())} from {arrives}"
    if waited:
        note += f", the first {waited} waiting for its site's power (wholly idle)"
    whole = stop == arrives + timedelta(weeks=idle_weeks)
    return gpu_months, capital, note + _oversized(short, blocks=blocks, units=units, whole=whole)


def _oversized(short: pl.Series, *, blocks: int, units: float, whole: bool) -> str:
    """What of an order the shortfall used at its peak, when it used some but not all: an
    order in time whose idle capital is most of its capex reads as oversized, not as a
    success beside a cost. ``whole``: the judged window ran its full length, not cut by the
    data end (then the rest may still be needed later: not verified)."""
    peak = float(short.max()) if short.len() else 0.0  # type: ignore[arg-type]
    used = min(math.ceil(peak / units - _TOL), blocks) if peak > _TOL else 0
    if used == 0 or used == blocks:
        return ""
    if whole:
        return (
            f"; oversized: the shortfall used at most {used} of the {blocks} blocks over "
            f"those days, {blocks - used} never"
        )
    return (
        f"; the shortfall used at most {used} of the {blocks} blocks over those days, to "
        f"the data end: whether the other {blocks - used} were needed later is not verified"
    )


def history_days(series: pl.DataFrame, *, as_of: date) -> dict[str, int]:
    """Days of telemetry each region had on ``as_of``: from its first observed day through
    ``as_of`` (regions with none by then are left out)."""
    from forecasting import hierarchy

    return dict(
        series.filter((pl.col("ds") <= as_of) & (hierarchy.depth() == 1))
        .group_by(region=hierarchy.level(1))
        .agg(days=(pl.lit(as_of) - pl.col("ds").min()).dt.total_days() + 1)
        .iter_rows()
    )


def _short_history(days: int | None) -> str:
    """The flag a row carries when its region's history is too short for the growth models."""
    if days is None or days >= MIN_HISTORY_DAYS:
        return ""
    return (
        f"{SHORT_HISTORY}: {days_count(days)} of telemetry to the as-of day, under the "
        f"{MIN_HISTORY_DAYS} the growth models need to fit a trend (a younger series is "
        "forecast flat or as a random walk), so this call is not the tool's considered one"
    )


def short_history_as_ofs(replays: pl.DataFrame) -> dict[date, int]:
    """The as-of days whose rows carry the short-history flag, with the fewest days of
    telemetry a region had on each: their ``history_days`` under :data:`MIN_HISTORY_DAYS`
    (migration 34 gave replays stored before migration 32 the days their flag's words said)."""
    if "history_days" not in replays.columns:
        return {}
    stored = pl.col("history_days")
    days = pl.when(stored < MIN_HISTORY_DAYS).then(stored)
    flagged = replays.select("as_of", days=days).drop_nulls("days")
    return dict(flagged.group_by("as_of").agg(pl.col("days").min()).sort("as_of").iter_rows())


def short_history_headline(replays: pl.DataFrame) -> str:
    """What a decision backtest's counts rest on where its replays sized their orders on
    under :data:`MIN_HISTORY_DAYS` of telemetry, for the summary's title and the page's first
    card ('' when none did).

    ServeGen's 14 days, replayed as of days 5 to 11, sized orders and counted them "late"
    with "short history" said only in each row's note and in a warning after the tables."""
    short = short_history_as_ofs(replays)
    if not short:
        return ""
    days = sorted(short.values())
    span = f"{days[0]}" if days[0] == days[-1] else f"{days[0]} to {days[-1]}"
    total = replays.get_column("as_of").n_unique()
    which = (
        f"every as-of day ({len(short)} of {total})"
        if len(short) == total
        else f"{len(short)} of {total} as-of days"
    )
    return (
        f"{which} sized {'its' if len(short) == total else 'their'} orders on {span} days of "
        f"history, under the {MIN_HISTORY_DAYS} the growth models need to fit a trend: flat "
        "or random-walk forecasts, too short to judge the planning rule (its verdicts not "
        "verified as the tool's considered calls)"
    )


def power_wait_days(row: dict[str, Any]) -> int:
    """Of a late order's ``days_late``, the days its blocks had arrived and stood waiting for
    power (its site's, or power contracted on the as-of day) after the shortfall came; 0 for
    an order that serves on arrival, or one not late."""
    late, arrives, serves, actual = (
        row.get("days_late"),
        row.get("arrives"),
        row.get("in_service"),
        row.get("actual_exhaustion"),
    )
    if not late or arrives is None or serves is None or actual is None or serves <= arrives:
        return 0
    return max(min(int(late), (serves - max(arrives, actual)).days), 0)


def days_late_text(row: dict[str, Any], *, missing: str = "-") -> str:
    """A replay's days late, with those spent waiting for power named: ServeGen's "573" was
    70 days of rack lead time and 504 of racks standing without power, read as one miss."""
    late = row.get("days_late")
    if late is None:
        return missing
    waited = power_wait_days(row)
    return f"{late:,} ({waited:,} waiting for power)" if waited else f"{late:,}"


def order_by_text(order_by: date | None, *, as_of: date, missing: str = "-") -> str:
    """An order-by date as a reader should take it: a date still ahead of the as-of day is a
    plan; one behind it (even before the data began) is an order already overdue."""
    if order_by is None:
        return missing
    if order_by < as_of:
        return f"overdue as of {as_of} (due {order_by})"
    return order_by.isoformat()


def score_replay(
    triggers: pl.DataFrame,
    known: pl.DataFrame,
    plan: CapacityPlan,
    *,
    as_of: date,
    data_end: date,
    horizon_end: date,
    prices: dict[tuple[str, str], float],
    fleet: pl.DataFrame | None = None,
    idle_weeks: int = 52,
    buffer_weeks: int = 4,
    history_days: dict[str, int] | None = None,
) -> pl.DataFrame:
    """DECISION_REPLAYS_SCHEMA rows of one replay, judged against what happened.

    ``triggers`` is what :func:`forecasting.triggers.expansion_triggers` said as of ``as_of``
    (TRIGGERS_SCHEMA); ``known`` is :func:`actual_pools` against the plan as it stood then;
    ``fleet`` the same against the full plan (context only); ``plan`` prices the candidates;
    ``horizon_end`` is the replay forecast's last day; ``prices`` from :func:`pool_prices`;
    ``history_days`` the days of telemetry each region had on ``as_of`` (:func:`history_days`),
    whose short ones the notes flag.
    """
    actual = _first_short(known)
    built = _first_short(fleet) if fleet is not None else actual.clear()
    rows = []
    for row in triggers.sort("region", "pool").iter_rows(named=True):
        key = (pl.col("region") == row["region"]) & (pl.col("pool") == row["pool"])
        daily = known.filter(key).sort("ds")
        first = actual.filter(key)["exhaustion"]
        built_first = built.filter(key)["exhaustion"]
        when = first.item() if first.len() else None
        # Its own data end: a region whose telemetry stopped before the others' read "none in
        # 4.9 months of data", and "censored: not by" their last day, on days it has none.
        last = daily.get_column("ds").max()
        end = min(data_end, last) if isinstance(last, date) else as_of
        judged = _judge(
            row, daily, plan, actual=when, data_end=end, horizon_end=horizon_end,
            as_of=as_of, buffer_weeks=buffer_weeks, idle_weeks=idle_weeks,
        )  # fmt: skip
        if row["monthly_only"] and row["exhaustion_date"] is not None:
            judged = _monthly_only(judged, forecast=row["exhaustion_date"])
        gpu_months, capital, idle_note = (
            _idle(row, daily, plan, data_end=end, idle_weeks=idle_weeks)
            if judged.verdict is not Verdict.NOT_VERIFIED
            else (None, None, "")
        )
        price = prices.get((row["region"], row["pool"]), 0.0)
        revenue = None if judged.unmet is None or price <= 0 else judged.unmet * price
        # A row with no blocks has no order: the trigger's dates of a 0-block order read as a
        # plan and an in-service date (and were judged as one placed). An order not sized is
        # one: what to order and by when stand, its size is not measured.
        ordered = bool(row["blocks_to_order"]) or unsized(row)
        region_days = (history_days or {}).get(row["region"])
        flag = _short_history(region_days)
        rows.append(
            {
                "as_of": as_of,
                "region": row["region"],
                "pool": row["pool"],
                "status": row["status"],
                "forecast_exhaustion": row["exhaustion_date"],
                "order_by": row["order_by"] if ordered else None,
                "arrives": row["arrives"] if ordered else None,
                "candidate": row["candidate"],
                "blocks_to_order": row["blocks_to_order"],
                "lead_time_weeks": row["lead_time_weeks"],
                "capex_usd": row["capex_usd"],
                "actual_exhaustion": when,
                "fleet_exhaustion": built_first.item() if built_first.len() else None,
                "data_end": end,
                "verdict": judged.verdict.value,
                "days_late": judged.days_late,
                "unmet_gpu_hours": judged.unmet,
                "revenue_lost_usd": revenue,
                "idle_gpu_months": gpu_months,
                "idle_capital_usd": capital,
                "note": "; ".join(n for n in (flag, judged.note, idle_note) if n),
                "in_service": _in_service(row) if ordered else None,
                "never_powered": judged.never_powered,
                "unmet_censored": judged.unmet_censored,
                "censored_at_data_end": judged.censored_at_data_end,
                "history_days": region_days,
            }
        )
    return pl.DataFrame(rows, schema=DECISION_REPLAYS_SCHEMA, orient="row")


def never_powered(row: dict[str, Any]) -> bool:
    """Whether no site of the plan can ever power the replay's order: its field, never its
    note's words (migration 34 set it on replays stored before migration 30)."""
    return bool(row.get("never_powered"))


def unmet_cut(row: dict[str, Any]) -> bool:
    """Whether the replay's unmet GPU-hours stop at the data end, a lower bound: its field
    (migration 34 set it on replays stored before migration 30)."""
    return bool(row.get("unmet_censored"))


def unmet_censored(replays: pl.DataFrame) -> int:
    """Replays whose unmet GPU-hours stop at the data end, short still (:func:`unmet_cut`):
    a lower bound, which read as measured in the sums."""
    return replays.filter(pl.col("unmet_censored").fill_null(False)).height


def censored_at_data_end(replays: pl.DataFrame) -> int:
    """Replays judged on the data to its end only, short of the span their verdict is judged
    over ("no order needed" on a day of data read as a call the data had tested). Replays
    stored before migration 31 (null) are not counted: their notes did not tell."""
    return replays.filter(pl.col("censored_at_data_end").fill_null(False)).height


def idle_not_verified(replays: pl.DataFrame) -> int:
    """Judged orders whose idle capital was not measured (they arrive after the data): the
    totals leave them out, and "$0 idle capital" beside two false alarms read as measured."""
    return replays.filter(
        (pl.col("verdict") != Verdict.NOT_VERIFIED.value)
        & (pl.col("blocks_to_order").fill_null(0) > 0)
        & pl.col("idle_capital_usd").is_null()
    ).height


def decision_counts(replays: pl.DataFrame) -> dict[str, int]:
    """Rows per verdict, every verdict named (0 when none)."""
    counts = dict(replays.group_by("verdict").len().iter_rows())
    return {v.value: int(counts.get(v.value, 0)) for v in Verdict}


# --- one replay and the whole backtest ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Replayed:
    """One as-of day replayed: what the triggers said and the forecast's last day."""

    as_of: date
    triggers: pl.DataFrame
    horizon_end: date
    seconds: float


@dataclass(frozen=True, slots=True)
class KnownThen:
    """What a replay may see on its as-of day: the demand through it, the plan as it stood,
    the contracts announced by then (blank: from the first ramp day) and the events announced
    by then (blank: always known)."""

    series: pl.DataFrame
    plan: CapacityPlan
    book: ContractBook | None
    events: pl.DataFrame | None

    def digest(self) -> str:
        """A content hash of what was known: equal inputs give equal digests in any process
        (pickles of equal polars frames differ, so caches key on this instead)."""
        book = "no book" if self.book is None else repr(self.book.contracts)
        return content_digest(self.plan.model_dump_json(), book, self.series, self.events)


def known_then(
    as_of: date,
    *,
    series: pl.DataFrame,
    plan: CapacityPlan,
    book: ContractBook | None,
    events: pl.DataFrame | None,
) -> KnownThen:
    """The inputs cut to what was known on ``as_of``: a replay's cache key does not change
    when later telemetry, contracts or events arrive."""
    return KnownThen(
        series=series.filter(pl.col("ds") <= as_of),
        plan=plan_as_of(plan, as_of),
        book=None if book is None else book.known_by(as_of),
        events=None
        if events is None
        else events.filter(pl.col("announced").is_null() | (pl.col("announced") <= as_of)),
    )


def undated_contracts_note(book: ContractBook | None, as_ofs: Sequence[date]) -> str:
    """One line naming the rule a replay counts a contract without ``announced`` by (from
    its first ramp day, :meth:`ContractBook.known_by`) and, per such contract, the replays of
    ``as_ofs`` it is in; '' when every contract is dated or there is no book."""
    undated = [] if book is None else [c for c in book.contracts if c.announced is None]
    if not undated or not as_ofs:
        return ""
    assert book is not None  # undated holds contracts only when there is a book
    seen = [
        f"{c.id} from {c.ramp[0].day} (in "
        f"{sum(1 for d in as_ofs if c in book.known_by(d).contracts)} of {len(as_ofs)} replays)"
        for c in undated
    ]
    noun = "contract has" if len(undated) == 1 else "contracts have"
    return (
        f"{len(undated)} {noun} no announced date: a replay counts each from its first ramp "
        "day, the latest it can have been signed (an amendment made later shows from that day "
        f"too: give it `announced`): {', '.join(seen)}"
    )


def replay_as_of(
    as_of: date,
    *,
    series: pl.DataFrame,
    plan: CapacityPlan,
    book: ContractBook | None,
    events: pl.DataFrame | None,
    options: DecisionOptions,
) -> Replayed:
    """The triggers as of ``as_of``, seeing only what was known then (module docstring).

    ``series`` is the whole daily demand (cut here at ``as_of``); ``book`` and ``events`` are
    the stored ones (None: not used), read as known on ``as_of``.
    """
    from forecasting import horizon
    from forecasting.forecast import forecast_all
    from forecasting.runs import plan_past_lead_times
    from forecasting.triggers import TriggerSettings, expansion_triggers

    started = time.perf_counter()
    settings = options.forecast_settings()
    history = series.filter(pl.col("ds") <= as_of)
    if history.is_empty():
        raise ValueError(f"no telemetry on or before the as-of day {as_of}; start later")
    result = forecast_all(history, settings=settings, events=events)
    months = horizon.plan_months_for(
        plan, minimum=options.horizon_months, buffer_weeks=options.buffer_weeks
    )
    result, extended, _ = plan_past_lead_times(
        history,
        result,
        as_of=as_of,
        months=months,
        book=book,
        seed=settings.seed,
        measure_accuracy=False,
    )
    monthly = extended.months if extended is not None else pl.DataFrame()
    frame = horizon.with_grain(result.forecast, monthly)
    triggers = replayed_triggers(
        expansion_triggers(
            frame,
            plan_as_of(plan, as_of),
            as_of=as_of,
            settings=TriggerSettings(
                quantile=options.quantile,
                buffer_weeks=options.buffer_weeks,
                idle_weeks=min(options.idle_weeks, 13),
                daily_sizing=not horizon.band_calibrated(result.summary),
            ),
        )
    )
    end = frame.get_column("ds").max()
    assert isinstance(end, date)  # a forecast has days
    # The last covered day: a monthly row covers its whole month.
    horizon_end = pl.select(pl.lit(end).dt.month_end()).item() if monthly.height else end
    return Replayed(as_of, triggers, horizon_end, time.perf_counter() - started)


ReplayFn = Callable[[date], Replayed]
DecisionMapFn = Callable[[ReplayFn, Iterable[date]], Iterable[Replayed]]


def judge_replay(
    replayed: Replayed, *, series: pl.DataFrame, plan: CapacityPlan, options: DecisionOptions
) -> pl.DataFrame:
    """DECISION_REPLAYS_SCHEMA rows of one replay against the whole observed history."""
    data_end = series.get_column("ds").max()
    assert isinstance(data_end, date)  # a non-empty history has a last day
    as_of = replayed.as_of
    known = plan_as_of(plan, as_of)
    return score_replay(
        replayed.triggers,
        actual_pools(series, known, as_of=as_of),
        known,
        as_of=as_of,
        data_end=data_end,
        horizon_end=replayed.horizon_end,
        prices=pool_prices(series, plan, as_of=as_of),
        fleet=actual_pools(series, plan, as_of=as_of),
        idle_weeks=options.idle_weeks,
        buffer_weeks=options.buffer_weeks,
        history_days=history_days(series, as_of=as_of),
    )


def store_decisions(
    warehouse_path: Path,
    replays: pl.DataFrame,
    *,
    options: DecisionOptions,
    as_ofs: Sequence[date],
    data_end: date,
    seconds: float,
) -> DecisionRun:
    """Store the backtest (decision_runs row and decision_replays frame) under a new run id."""
    from forecasting.runs import new_run_id

    counts = decision_counts(replays)
    judged = replays.filter(pl.col("verdict") != Verdict.NOT_VERIFIED.value)
    revenue = judged["revenue_lost_usd"].drop_nulls()
    unmet = float(judged["unmet_gpu_hours"].fill_null(0.0).sum())
    lost = float(revenue.sum()) if revenue.len() else None
    idle_months = float(judged["idle_gpu_months"].fill_null(0.0).sum())
    idle_capital = float(judged["idle_capital_usd"].fill_null(0.0).sum())
    totals = {
        "unmet_gpu_hours": unmet,
        "revenue_lost_usd": lost,
        "idle_gpu_months": idle_months,
        "idle_capital_usd": idle_capital,
    }
    run_id = new_run_id("decisions")
    run = {
        "run_id": run_id,
        "created_at": datetime.now(UTC),
        "first_as_of": options.first_as_of,
        "every_days": options.every_days,
        "as_ofs": list(as_ofs),
        "data_end": data_end,
        **{v.value: counts[v.value] for v in STORED_COUNTS},
        **totals,
        "seconds": seconds,
        "settings": options.model_dump_json(),
    }
    with warehouse.connect(warehouse_path) as wh:
        wh.save_run("decision_runs", run, {"decision_replays": replays})
    return DecisionRun(
        run_id=run_id,
        as_ofs=list(as_ofs),
        data_end=data_end,
        counts=counts,
        seconds=seconds,
        replays=replays.to_dicts(),
        unmet_gpu_hours=unmet,
        revenue_lost_usd=lost,
        idle_gpu_months=idle_months,
        idle_capital_usd=idle_capital,
        daily_days=options.horizon_days,
    )


class BacktestInputs(NamedTuple):
    """What a decision backtest reads once: the whole daily demand, the contract book, the
    events, and the lines on its outage calendar (a forecast's ``outage_notes``)."""

    series: pl.DataFrame
    book: ContractBook | None
    events: pl.DataFrame | None
    outage_notes: tuple[str, ...] = ()


def backtest_inputs(
    warehouse_path: Path, options: DecisionOptions, *, capacity_path: Path | None = None
) -> BacktestInputs:
    """The whole daily demand, the contract book and the events, read once (the customers of
    the plan at ``capacity_path``'s dedicated blocks keep their own series).

    Demand is read by the forecast's reader, with the options' outage calendar and zero rule:
    read without them, a replay took a collector's zero hours, which the forecast leaves out
    as outages, for demand, and judged its calls on a day the forecast never saw. The
    calendar's lines are the forecast's too (`backtest-decisions --outages` said none)."""
    from forecasting.options import ForecastOptions
    from forecasting.runs import contract_book, demand_read_for, known_events

    read = demand_read_for(
        warehouse_path,
        ForecastOptions(
            customers_per_class=options.customers_per_class,
            use_contracts=options.use_contracts,
            capacity=capacity_path,
            outages=options.outages,
            zero_is_outage=options.zero_is_outage,
        ),
    )
    book = (
        contract_book(warehouse_path, capacity_path=capacity_path)
        if options.use_contracts
        else None
    )
    events = known_events(warehouse_path) if options.use_events else None
    return BacktestInputs(read.series, book, events, read.outage_notes)


def replay_days(series: pl.DataFrame, options: DecisionOptions) -> tuple[list[date], date]:
    """The as-of days to replay and the data's last day; ValueError when there are none."""
    data_end = series.get_column("ds").max()
    first = series.get_column("ds").min()
    assert isinstance(data_end, date) and isinstance(first, date)
    until = options.until or data_end - timedelta(days=1)
    days = as_of_days(options.first_as_of, every=options.every_days, until=until)
    if options.until is not None and options.until < options.first_as_of:
        raise ValueError(
            f"--until {options.until} is before --from {options.first_as_of}; swap them, or "
            "leave --until out (the day before the data ends)"
        )
    if options.until is not None and options.until >= data_end:
        # An as-of day after the data replays the same data as the last one, and its orders
        # read as decisions made on telemetry nobody had (22 racks, then 200, then 154).
        raise ValueError(
            f"--until {options.until} is not before the data ends ({data_end}): an as-of day "
            f"needs data after it to be judged; pick --until {data_end - timedelta(days=1)} "
            "or earlier, or leave it out"
        )
    if not days:
        raise ValueError(
            f"no as-of day from {options.first_as_of} to {until}: the data runs {first} to "
            f"{data_end}; pick --from within it"
        )
    if days[0] < first:
        raise ValueError(
            f"--from {options.first_as_of} is before the data starts ({first}); pick a later day"
        )
    return days, data_end


def publish_page(warehouse_path: Path, reports_path: Path, run: DecisionRun) -> DecisionRun:
    """``run`` with its page published at ``reports_path/decisions/<run_id>.html``."""
    from forecasting.report.pages.decisions import publish_decisions

    with warehouse.connect(warehouse_path, read_only=True) as wh:
        row, replays = stored_decisions(wh, run.run_id)
    return run.model_copy(update={"page": publish_decisions(row, replays, root=reports_path)})


def backtest_decisions(
    warehouse_path: Path,
    capacity_path: Path,
    options: DecisionOptions,
    *,
    reports_path: Path | None = None,
    map_fn: DecisionMapFn = map,
) -> DecisionRun:
    """Replay the triggers as of each as-of day, judge them, store the run and, with
    ``reports_path``, publish its page.

    ``map_fn(replay, days)`` runs the replays; pass a pool's or a task runner's map to fan
    them out (each replay is a picklable partial of :func:`replay_as_of`).
    """
    from forecasting.capacity import load_capacity

    started = time.perf_counter()
    plan = load_capacity(capacity_path)
    series, book, events, outage_notes = backtest_inputs(
        warehouse_path, options, capacity_path=capacity_path
    )
    days, data_end = replay_days(series, options)
    replay = partial(
        replay_as_of, series=series, plan=plan, book=book, events=events, options=options
    )
    replayed = list(map_fn(replay, days))
    replays = pl.concat(
        [judge_replay(r, series=series, plan=plan, options=options) for r in replayed]
    )
    run = store_decisions(
        warehouse_path,
        replays,
        options=options,
        as_ofs=days,
        data_end=data_end,
        seconds=time.perf_counter() - started,
    ).model_copy(update={"outage_notes": list(outage_notes)})
    return run if reports_path is None else publish_page(warehouse_path, reports_path, run)


def stored_decisions(
    wh: warehouse.Warehouse, run_id: str | None = None
) -> tuple[dict[str, Any], pl.DataFrame]:
    """A stored decision backtest (the newest when ``run_id`` is None): its row and replays."""
    from forecasting.runs import RunNotFoundError

    runs = wh.query("SELECT * FROM decision_runs ORDER BY created_at DESC")
    if run_id is not None:
        runs = runs.filter(pl.col("run_id") == run_id)
    if runs.is_empty():
        raise RunNotFoundError(
            f"{wh.path} holds no decision backtest{'' if run_id is None else ' ' + run_id}; "
            "run `fleetcast backtest-decisions --from DATE` first"
        )
    row = runs.row(0, named=True)
    return row, wh.run_frame("decision_replays", row["run_id"]).sort("as_of", "region", "pool")
