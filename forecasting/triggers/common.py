"""What every part of the triggers shares: pools, statuses, settings, the result frames.

Status rule (block and power triggers alike): green when ``as_of <= order_by``; amber when
``order_by < as_of <= exhaustion - lead time`` (inside the buffer); red when
``as_of > exhaustion - lead time`` (a shortfall is coming whatever is ordered now).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import polars as pl

from forecasting.capacity import Block, CapacityPlan
from forecasting.schema import (
    DEFAULT_HORIZON_DAYS,
    MAX_HORIZON_DAYS,
    MAX_HORIZON_MONTHS,
    MONTHLY_ONLY,
    NEW_SITE,
    RUNS_ON_ARRIVAL,
    WorkloadClass,
    frame_schema,
    group_of,
)

__all__ = [
    "DRIVERS_SCHEMA",
    "IDLE_RISK_SCHEMA",
    "MONTHLY_ONLY",
    "MW_SCHEMA",
    "NEW_SITE",
    "NO_ORDER_BY",
    "N_PLUS_ONE_SCHEMA",
    "PLACEMENTS_SCHEMA",
    "POWER_TRIGGERS_SCHEMA",
    "RUNS_ON_ARRIVAL",
    "SIZED_TO_SCHEMA",
    "TOL",
    "TRIGGERS_SCHEMA",
    "WAITS_ON_POWER",
    "MonthsNotKnown",
    "MonthsRefused",
    "Pool",
    "Status",
    "TriggerResult",
    "TriggerSettings",
    "daily_only_words",
    "monthly_only_from",
    "months_before",
    "months_to_reach",
    "power_forward",
    "power_new_site",
    "reach_to_size",
    "short_at_the_monthly_grain_only",
    "trigger_placements",
    "trigger_status",
    "unshocked_beside_green",
]


# GPUs; a requirement must beat capacity by more than float noise to count as a shortfall.
TOL = 1e-9
DAYS_PER_WEEK = 7


class Pool(StrEnum):
    """Pools of eligible capacity that a trigger is computed for."""

    TRAINING = "training"
    ALL = "all"


class Status(StrEnum):
    """Traffic light of a trigger: how the order-by date stands against ``as_of``."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


# The frames of a trigger run, as the table registry declares them (without run_id).
TRIGGERS_SCHEMA = frame_schema("triggers")
DRIVERS_SCHEMA = frame_schema("trigger_drivers")
IDLE_RISK_SCHEMA = frame_schema("idle_risk")
MW_SCHEMA = frame_schema("site_power")
N_PLUS_ONE_SCHEMA = frame_schema("trigger_n_plus_one")
POWER_TRIGGERS_SCHEMA = frame_schema("power_triggers")
# The last day each pool's trigger order (tranche 1) is sized for, where it places one: what
# its note says in words ("sized for the 52 weeks after exhaustion (to 2028-02-11)"), as data
# for the what-if (it parsed the note before). Not stored.
SIZED_TO_SCHEMA = pl.Schema({"region": pl.String(), "pool": pl.String(), "sized_to": pl.Date()})
PLACEMENTS_SCHEMA = frame_schema("order_placements")
# MONTHLY_ONLY (forecasting.schema) is said of a trigger whose first shortfall is on a monthly
# row where a default run reads days (triggers.plan._monthly_only), and of a power trigger
# whose date rests on its order; the CLI and the pages say it where they would say "late"
# (report.format.fmt_lateness), for the rows whose ``monthly_only`` field is set.
# NEW_SITE and RUNS_ON_ARRIVAL (forecasting.schema, where the CLI reads them without this
# package's import time) are said of blocks past a site's ceiling, and of an order power
# contracted today would run on arrival.
# Said of an order dated to land with its site's power rather than on its shortfall's date
# (triggers.power_waits.with_its_power): the note, the finance page's capital by quarter.
WAITS_ON_POWER = (
    "the order waits on power, dated to land when its site's power does, not to stand dark"
)
# Said in place of an order-by date for blocks past every site's ceiling (no site of the
# plan can power them): dated from the shortfall they would cover, "by 2027-01-13" read as a
# deadline for blocks that never run on this plan.
NO_ORDER_BY = f"past the site ceilings: {NEW_SITE}; no order-by until one is planned"


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthsRefused:
    """A forecast run that has no monthly rows because its history was too young for them:
    the days of history after a series' onboarding ramp they need (``needed_days``,
    ``forecasting.longrange.MONTHS_MIN_HISTORY_DAYS``) and the days its youngest region or
    class had (``history_days``). ``--horizon-months`` gives such a fleet none: its forecast
    refuses them again. ``why``: the forecast's own words for the refusal, as the run stored
    them (None: a run stored before it did, read off its days): a 90-day fleet whose
    onboarding ramps left two blocks read "its youngest region or class has 41" where its
    oldest had the 84 days and the ramps were why."""

    needed_days: int
    history_days: int
    why: str | None = None

    def __post_init__(self) -> None:
        if self.needed_days < 1 or self.history_days < 0:
            raise ValueError("needed_days must be >= 1 and history_days >= 0")

    def text(self) -> str:
        """What would give the monthly rows ("them"), in words."""
        if self.why:
            return (
                f"the forecast refuses them: {self.why}; `--horizon-months` gives none until "
                f"a series has {self.needed_days} days of history after its onboarding ramp"
            )
        ramp = ", its onboarding ramp among them" if self.history_days >= self.needed_days else ""
        return (
            f"this fleet is too young for them: they need {self.needed_days} days of history "
            "after a series' onboarding ramp, its youngest region or class has "
            f"{self.history_days:,}{ramp}, and `--horizon-months` gives none until it has"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthsNotKnown:
    """A forecast run with no monthly rows, stored before runs recorded whether their forecast
    refused them (migration 42), whose days do not say it either: `--horizon-months` may give
    them or be refused, and the words asking for it say so rather than promise them."""

    def text(self) -> str:
        """Why the months asked for may not come, in words."""
        return (
            "not known whether this fleet's history gives them: its forecast run was stored "
            "before runs recorded a refusal of monthly rows"
        )


def daily_only_words(refused: MonthsRefused | MonthsNotKnown | None) -> str:
    """Why a forecast run has no monthly rows (no plan past its daily days), as it stored it,
    for every surface that shows such a run: `fleetcast forecast` and `status`, the pages and
    a deal's refusal. ``refused`` is :func:`forecasting.runs.reports.months_refused` of the
    run; None: made with ``--horizon-months 0`` on a history that gives them. A daily-only
    run printed no 36-month plan and no reason, and a deal's refusal guessed "history too
    short, or made with --horizon-months 0" where the run had stored which."""
    if refused is None:
        return (
            "no monthly rows past the daily days: the run was made with `--horizon-months 0`; "
            "its history would give them (`fleetcast forecast --horizon-months`)"
        )
    return f"no monthly rows past the daily days: {refused.text()}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TriggerSettings:
    """How cautious the triggers are; the horizon end is the forecast's last day.

    ``quantile`` and ``idle_quantile`` name forecast columns (``q90``, ``q10``). An order is
    sized for the largest shortfall within ``sizing_weeks`` of the exhaustion date, or of its
    arrival when it lands after exhaustion (it serves from then only): on a 36-month plan,
    buying three years of growth at the first shortfall would idle capital for years; what is
    short after the window is the next order's (the note says how much). With
    ``daily_sizing``, the orders due now are sized no further than the forecast's daily rows
    (see :mod:`~forecasting.triggers.plan`, "Uncalibrated plans"): set for a run no decision
    backtest calibrated past them (:func:`forecasting.horizon.band_calibrated`).
    ``sized_before`` names, per region, a day no order serving a shortfall that starts before
    it is sized past (the first day of a deal weighed on the plan, :mod:`forecasting.whatif`):
    the orders for the plan's own shortfall are not grown by the deal nor dated to its power,
    and what is short from that day is the later orders' (a 20,000-GPU deal from 2028-06-01
    grew us-west's first order from 69 to 165 racks, dated 17 months later to land with 2029
    power).
    ``scored_days`` is how many days ahead the run's backtests scored its band (the pages'
    measured reach, :func:`forecasting.report.inputs.measured_reach`; 0 when none did): an
    order sized past them says what the median would order, and that no backtest measured
    the band it reads. None (not given) reads the decision backtest's horizon, and the note
    says it is that horizon, not what this run scored.
    ``months_refused``: the run's forecast refused monthly rows as too young
    (:class:`MonthsRefused`; None: it did not; :class:`MonthsNotKnown`: a run stored before
    that was recorded); an order landing past the daily rows says what would give them
    rather than ask for ``--horizon-months``, or that it may not.
    """

    quantile: str = "q90"
    buffer_weeks: int = 4
    idle_weeks: int = 13
    idle_quantile: str = "q10"
    sizing_weeks: int = 52
    daily_sizing: bool = False
    scored_days: int | None = None
    sized_before: tuple[tuple[str, date], ...] = ()
    months_refused: MonthsRefused | MonthsNotKnown | None = None

    def __post_init__(self) -> None:
        if self.buffer_weeks < 0 or self.idle_weeks < 1 or self.sizing_weeks < 1:
            raise ValueError("buffer_weeks must be >= 0, idle_weeks and sizing_weeks >= 1")
        if self.scored_days is not None and self.scored_days < 0:
            raise ValueError("scored_days must be >= 0")


@dataclass(frozen=True, slots=True)
class TriggerResult:
    """Frames of one trigger run: TRIGGERS_SCHEMA, DRIVERS_SCHEMA, IDLE_RISK_SCHEMA, N+1, and
    the power triggers per site (POWER_TRIGGERS_SCHEMA; empty for a plan without [[site]]) and
    where each order goes (PLACEMENTS_SCHEMA; site null for a plan without [[site]]), and how
    far each trigger's order is sized (SIZED_TO_SCHEMA)."""

    triggers: pl.DataFrame
    drivers: pl.DataFrame
    idle_risk: pl.DataFrame
    n_plus_one: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=N_PLUS_ONE_SCHEMA))
    power: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=POWER_TRIGGERS_SCHEMA))
    placements: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PLACEMENTS_SCHEMA))
    sized_to: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SIZED_TO_SCHEMA))


def as_date(value: object) -> date:
    """A date read back from a frame (polars types it loosely)."""
    if not isinstance(value, date):
        raise ValueError(f"expected a date, got {value!r}")
    return value


def weeks_delta(n: int) -> timedelta:
    return timedelta(days=n * DAYS_PER_WEEK)


def months_before(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months back (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    first_of_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (first_of_next - timedelta(days=1)).day))


def short_at_the_monthly_grain_only(
    shortfall: date | None, *, daily_end: date | None, as_of: date
) -> bool:
    """Whether a shortfall dated ``shortfall`` is read on a monthly row (past ``daily_end``,
    the daily rows' last day; None: no monthly rows) within the ``DEFAULT_HORIZON_DAYS`` a
    default run reads by the day: a month's peak day, whose quantile reads above any one
    day's, where a default run's daily rows may not be short at all. The one rule for a
    trigger's first shortfall (triggers.plan._monthly_only) and for every later order a
    site's power date rests on (triggers.power): a 2-week run read a site red on later orders
    sized on such months, the 26-week run green, and only the first order was said to be read
    at the monthly grain."""
    if daily_end is None or shortfall is None or shortfall <= daily_end:
        return False
    return shortfall <= as_of + timedelta(days=DEFAULT_HORIZON_DAYS)


def monthly_only_from(
    placements: pl.DataFrame,
    *,
    flagged: Mapping[tuple[str, str], date],
    daily_end: date | None,
    as_of: date | None,
) -> dict[tuple[str, str], tuple[int, date]]:
    """Per (region, pool), the first of its orders read at the monthly grain only, as (its
    tranche, its shortfall's day): every order of the pool from it on rests on it, each being
    sized after the ones before it. A pool in ``flagged`` (its trigger's ``monthly_only``, with
    its exhaustion) from its first order (tranche 1); else its first later order
    (``placements``, PLACEMENTS rows, tranche 2 on) whose own shortfall is short at the
    monthly grain only (:func:`short_at_the_monthly_grain_only`; none where ``as_of`` is None).
    A pool's first order is its trigger's, flagged by the same rule there.

    The one rule the power triggers date a site by and the report marks orders by
    (report.inputs.orders_monthly_only): each spelled the loop out apart, a 2-week run's later
    orders sized on months' peak days set a site's date (red) that the 26-week run's daily
    rows never reached (green), and only a trigger's own order was said to be monthly."""
    seams = {key: (1, day) for key, day in flagged.items()}
    if as_of is None or placements.is_empty():
        return seams
    later = placements.filter(pl.col("tranche") > 1).sort("tranche", maintain_order=True)
    for r in later.iter_rows(named=True):
        key, day = (r["region"], r["pool"]), r["exhaustion_date"]
        if key not in seams and short_at_the_monthly_grain_only(
            day, daily_end=daily_end, as_of=as_of
        ):
            seams[key] = (int(r["tranche"]), day)
    return seams


def trigger_status(
    *, as_of: date, exhaustion: date, order_by: date, lead_time: timedelta
) -> Status:
    """Green up to the order-by date, amber inside the buffer, red once lead time is lost."""
    if as_of <= order_by:
        return Status.GREEN
    if as_of <= exhaustion - lead_time:
        return Status.AMBER
    return Status.RED


def unshocked_beside_green(
    failures: Iterable[str], triggers: Iterable[Mapping[str, Any]]
) -> list[str]:
    """The groups a drill found short without any shock (``training in us-west``, from its
    ``unshocked_failures``) whose trigger pools are all green: all classes, and training's
    own for training. A class short only across regions names no pool and is left out."""
    status = {(t["region"], t["pool"]): t["status"] for t in triggers}
    green = []
    for group in sorted(set(failures)):
        if (named := group_of(group)) is None:
            continue
        region, cls = named
        pools = [Pool.ALL, Pool.TRAINING] if cls == WorkloadClass.TRAINING.value else [Pool.ALL]
        if all(status.get((region, p.value)) == Status.GREEN.value for p in pools):
            green.append(group)
    return green


def block_units(plan: CapacityPlan, block: Block) -> float:
    """A block's capacity: H100-equivalents with a [gpu_type] table, else its GPUs."""
    return block.gpus * plan.h100_equivalent(block.gpu_type)


def trigger_placements(placements: pl.DataFrame) -> pl.DataFrame:
    """Each trigger's own order (tranche 1; null in runs before migration 16) as one row per
    region and pool: an order split across sites (one PLACEMENTS row per site, its own
    site's first) is powered only where every share is, its site is its own site's, its
    blocks past a ceiling are summed and it runs from its last share's day; ``blocks_waiting``
    counts the blocks of its shares without power on arrival (an order split on power: the
    rest run on arrival), and ``waiting_order_by`` / ``waiting_order_by_last`` the first and
    last order-by dates of those shares: dated to land with their power, their order-by is
    not the trigger's (the demo's us-east/all: 21 racks by 2026-12-30, the 53 waiting by
    2028-09-25)."""
    first = placements.filter(pl.col("tranche").fill_null(1) == 1)
    waiting = pl.col("order_by").filter(pl.col("powered").not_())
    return first.group_by("region", "pool", maintain_order=True).agg(
        pl.col("powered").all(),
        pl.col("blocks").filter(pl.col("powered").not_()).sum().alias("blocks_waiting"),
        waiting.min().alias("waiting_order_by"),
        waiting.max().alias("waiting_order_by_last"),
        pl.col("site").first(),
        pl.when(pl.col("blocks_beyond_ceiling").is_null().all())
        .then(None)
        .otherwise(pl.col("blocks_beyond_ceiling").sum())
        .alias("blocks_beyond_ceiling"),
        pl.col("runs_from").max(),
    )


def power_forward() -> pl.Expr:
    """A power trigger whose planned MW (steps, contract) cover the need, energized late or
    given back for a while: its power is to be brought forward, none contracted."""
    return (pl.col("mw_to_contract") <= 0.0).fill_null(False) & (
        pl.col("mw_beyond_ceiling").fill_null(0.0) <= 0.0
    )


def power_new_site() -> pl.Expr:
    """A power trigger with no MW to contract because its need passes the site's ceiling."""
    return (pl.col("mw_to_contract") <= 0.0).fill_null(False) & (
        pl.col("mw_beyond_ceiling").fill_null(0.0) > 0.0
    )


def months_to_reach(day: date, *, as_of: date) -> int:
    """The `--horizon-months` whose monthly rows reach ``day``: a plan of N months ends with
    the as-of month plus N. The unsized order's note and the "not weighed" warning both ask
    for it; the warning's lead time plus buffer asked 93 months where the note asked 92."""
    return (day.year - as_of.year) * 12 + day.month - as_of.month


def reach_to_size(
    arrives: date, *, as_of: date, months_refused: MonthsRefused | MonthsNotKnown | None = None
) -> str:
    """How far ahead a forecast must reach to size an order landing on ``arrives``: days where
    `--horizon` reaches them, else the months of the plan past the daily days. A 400-week
    candidate's note said "forecast at least 2801 days ahead", which `--horizon` refuses.

    On a run whose forecast refused monthly rows as too young (``months_refused``) the months
    say what would give them: a 30-day fleet's note asked for `--horizon-months 92`, which
    refused them again."""
    ahead = (arrives - as_of).days + 1
    if ahead <= MAX_HORIZON_DAYS:
        return f"forecast at least {ahead} days ahead to size it"
    months = months_to_reach(arrives, as_of=as_of)
    if isinstance(months_refused, MonthsRefused):
        return (
            f"forecast at least {months} months ahead to size it, which only monthly rows "
            f"reach, and {months_refused.text()}"
        )
    how = (
        f"`--horizon-months {months}`"
        if months <= MAX_HORIZON_MONTHS
        else "a forecast made with this capacity plan reaches that by itself"
    )
    if months_refused is not None:
        # A run stored before refusals were: the months may be refused again.
        how = f"{how}; {months_refused.text()}"
    return f"forecast at least {months} months ahead to size it ({how})"
