"""What a report is made of: one frozen bundle of frames, checked once when it is built.

Every frame may be empty (a run without drills, a first run, a fleet without customers); the
pages then say "no data" where a chart or table would be. A frame given as ``pl.DataFrame()``
(no columns) counts as empty. A frame with rows must carry the columns below; extra columns
are ignored, so producers can add fields without breaking the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, NamedTuple

import polars as pl

from forecasting import hierarchy
from forecasting.calendar import month_end
from forecasting.capacity import (
    CAPACITY_TIMELINE_SCHEMA,
    NOT_JUDGED,
    SITE_POWER_MONTHLY_SCHEMA,
    Block,
    CapacityPlan,
    stray_dedicated_blocks,
    unforecast_regions,
    unplanned_regions,
)
from forecasting.ceiling import PLAN_DISAGREEMENTS_SCHEMA
from forecasting.contracts import BOOK_CONCENTRATION_SCHEMA, CONTRACT_LIST_SCHEMA, FINANCE_SCHEMA
from forecasting.report.changes import (
    CONSTRUCTION_CHANGES_SCHEMA,
    POWER_CHANGES_SCHEMA,
    VERDICT_CHANGES_SCHEMA,
)
from forecasting.report.format import UNVERIFIED_MARK, fmt_date, fmt_pct
from forecasting.schema import (
    BOOK_STATUS,
    DEMAND_SCHEMA,
    FORECAST_SCHEMA,
    MAX_HORIZON_MONTHS,
    MONTHLY_ONLY,
    NOT_VERIFIED,
    STOPPED_NOTE,
    VACANT,
    frame_schema,
    table,
)
from forecasting.text import days_count, estimated_days_words, size_not_verified
from forecasting.triggers import CONSTRUCTION_SCHEMA, TRIGGERS_SCHEMA, UNMEASURED_TRAINING
from forecasting.triggers.common import (
    monthly_only_from,
    months_before,
    months_to_reach,
    trigger_placements,
    weeks_delta,
)
from forecasting.whatif import PIPELINE_SCHEMA

__all__ = [
    "BACKTEST_COLUMNS",
    "BOOK_APPLIED_SCHEMA",
    "BOOK_CONCENTRATION_SCHEMA",
    "CHOSEN_COLUMNS",
    "CHOSEN_SCHEMA",
    "CONCENTRATION_SCHEMA",
    "CONTRACT_LIST_SCHEMA",
    "DRILLS_REST",
    "DRILL_ANSWERS_SCHEMA",
    "DRILL_CURVES_SCHEMA",
    "DRILL_KPIS_SCHEMA",
    "DRILL_KPI_CHANGES_SCHEMA",
    "DRILL_RUNGS_SCHEMA",
    "DRILL_VARIANT_CURVES_SCHEMA",
    "DRILL_VERDICTS_SCHEMA",
    "DRIVERS_SCHEMA",
    "ESTIMATED_SCHEMA",
    "EVERY_ORDER",
    "FINANCE_SCHEMA",
    "IDLE_RISK_SCHEMA",
    "MW_BY_SITE_SCHEMA",
    "NOT_CHECKED",
    "NOT_JUDGED",
    "POWER_PAST_CONTRACTING",
    "STATUSES",
    "TRIGGERS_SCHEMA",
    "UNVERIFIED_MARK",
    "WORST_NAMED",
    "ReportInputs",
    "arrival_shown",
    "book_only_levels_of",
    "book_only_regions_of",
    "construction_only",
    "daily_days",
    "daily_end",
    "estimated_totals",
    "exhaustion_grain",
    "extrapolated_reach",
    "extrapolated_text",
    "green_only",
    "green_verified_to",
    "greens_qualified",
    "held_silent_ids",
    "later_orders",
    "later_orders_due_first",
    "low_missed",
    "low_verified_to",
    "measured_reach",
    "measured_reach_of",
    "monthly_grain_only",
    "n_plus_one_lines",
    "n_plus_one_unverified",
    "n_plus_one_view",
    "no_arrival",
    "order_by_grain",
    "orders_frame",
    "orders_monthly_only",
    "orders_status_only",
    "past_the_plan",
    "past_the_plan_capital",
    "plan_orders",
    "planned_capital",
    "power_counts",
    "power_green_to",
    "power_notes_marked",
    "power_view",
    "q90_missed",
    "red_for_power",
    "region_verified_to",
    "retiring_line",
    "shortfall_only",
    "shortfall_unverified",
    "silent_customer_feeds",
    "silent_regions",
    "size_note",
    "split_new_site",
    "status_headline",
    "status_only",
    "status_shown",
    "statuses_verified_to",
    "stopped_pools",
    "unforecast_regions_of",
    "unjudged_regions_of",
    "unjudged_why",
    "unmeasured_class_rows",
    "unmeasured_series",
    "unmeasured_words",
    "unplanned_regions_of",
    "unplayed_text",
    "unserved_blocks_of",
    "unserved_marked",
    "unsized_by_region",
    "untested_regions",
    "untested_series",
    "unverified_note",
    "unweighed_candidates",
    "vacant_regions",
    "with_power",
    "with_unverified_note",
]

# Worst last: the index shows the worst status of a run.
STATUSES: tuple[str, ...] = ("green", "amber", "red")


def _columns(schema: pl.Schema, names: Sequence[str]) -> pl.Schema:
    """The columns of ``schema`` a page shows; the table registry owns their types."""
    return pl.Schema({name: schema[name] for name in names})


_DRILL_RUNS = table("drill_runs").schema


def _per_drill(name: str, names: Sequence[str] | None = None) -> pl.Schema:
    """A drill run's frame as a page reads it: the drill's name, then the frame's columns."""
    frame = frame_schema(name)
    return pl.Schema({"drill": _DRILL_RUNS["drill"], **_columns(frame, names or frame.names())})


DRIVERS_SCHEMA = _columns(
    frame_schema("trigger_drivers"),
    (
        "region",
        "pool",
        "workload_class",
        "customer",
        "growth_gpus",
        "share",
        "from_date",
        "to_date",
        "from_gpus",
        "to_gpus",
    ),
)

IDLE_RISK_SCHEMA = _columns(
    frame_schema("idle_risk"),
    (
        "block_id",
        "region",
        "site",
        "kind",
        "in_service",
        "gpus",
        "idle_gpus",
        "idle_share",
        "capex_at_risk_usd",
        "note",
        "days_judged",
        "window_days",
        "no_low_demand",
    ),
)

MW_BY_SITE_SCHEMA = frame_schema("site_power")
POWER_TRIGGERS_SCHEMA = frame_schema("power_triggers")
PLACEMENTS_SCHEMA = frame_schema("order_placements")
N_PLUS_ONE_SCHEMA = frame_schema("trigger_n_plus_one")
HORIZON_ACCURACY_SCHEMA = frame_schema("horizon_accuracy")
FORECAST_MONTHS_SCHEMA = frame_schema("forecast_months")

DRILL_VERDICTS_SCHEMA = _per_drill("drill_verdicts")

DRILL_KPIS_SCHEMA = _per_drill("drill_kpis")

# A drill's answers are its drill_runs row (verdict against the unshocked plan, time to absorb
# with its censoring, cost of absorbing), with the blocks that would pass as one line of text.
DRILL_ANSWERS_SCHEMA = pl.Schema(
    {
        **_columns(
            _DRILL_RUNS,
            (
                "drill",
                "description",
                "target",
                "shock_start",
                "passed",
                "verdict",
                "time_to_absorb_hours",
                "absorb_censored",
                "short_until_shock_end_hours",
                "window_hours",
                "absorb_cost_usd",
                "failover_share",
                "breaking_multiplier",
                "breaking_note",
                "breaking_text",
                "blocks_pass",
                # Why a drill that held is "not verified", how far a ramp cut short got, and
                # the daily horizon that plays the shock whole (migration 22).
                "unverified",
                "shock_reached",
                "horizon_days_needed",
                # Whether a block was lost for good (migration 26): a time to absorb then
                # holds within the window only.
                "loss_lasts_past_window",
            ),
        ),
        # Where the plan fails unshocked, "; "-joined (the CSV export holds no lists).
        "unshocked_failures": pl.String(),
        # The blocks of the pool that ran full first on most paths, "; "-joined; and without
        # the shock (null where no baseline was played).
        "first_to_saturate": pl.String(),
        "baseline_first_to_saturate": pl.String(),
        # The blocks-to-pass search's one-line answer when it found no verified set.
        "blocks_note": pl.String(),
        "blocks_needed": pl.String(),
        **_columns(_DRILL_RUNS, ("capex_needed_usd",)),
        # The drill's other notes (censoring, failures without the shock, idle rungs), "; "-joined.
        "drill_notes": pl.String(),
    }
)

DRILL_CURVES_SCHEMA = _per_drill(
    "drill_curves", ("ts", "workload_class", "backlog_p50", "backlog_p90")
)

# The same backlog without the shock (``baseline``) and with the response ladder (``ladder``).
DRILL_VARIANT_CURVES_SCHEMA = _per_drill(
    "drill_variant_curves", ("variant", "ts", "workload_class", "backlog_p50", "backlog_p90")
)

DRILL_RUNGS_SCHEMA = _per_drill("drill_rungs")

# Each block's utilisation and stranded GPU-hours in the drill window (means over paths).
DRILL_BLOCKS_SCHEMA = _per_drill("drill_blocks")

DRILL_KPI_CHANGES_SCHEMA = _per_drill("drill_kpi_changes")

# The forecast run's totals whose last days held estimates, not telemetry, as a part of them
# was silent (forecasting.forecast.ForecastResult.estimated, stored since migration 39).
ESTIMATED_SCHEMA = frame_schema("forecast_estimated")

# Drills the forecast run could not play (a start past its horizon, ...), and why.
DRILLS_NOT_PLAYED_SCHEMA = _columns(table("drills_not_played").schema, ("drill", "reason"))

CONCENTRATION_SCHEMA = pl.Schema(
    {
        "scope": pl.String,
        "ds": pl.Date,
        "metric": pl.String,
        "source": pl.String,
        "value": pl.Float64,
        "q10": pl.Float64,
        "q50": pl.Float64,
        "q90": pl.Float64,
    }
)

# ``fallback`` is the reason a series was forecast by a fallback instead of a backtested choice;
# ``stale_days`` how many days it went without telemetry at the end; ``plan_model`` and
# ``plan_reason`` the growth model past the daily days and why it fell back, where it did;
# ``level_shift`` a recent step the forecast held as a level (forecasting.shifts), and
# ``level_shift_days`` the days before the series' last day its backtests' windows end;
# ``spike`` the isolated spike days the forecast held at the usual level (forecasting.spikes);
# ``plan_calibrated`` whether a decision backtest calibrated the band past the daily days.
CHOSEN_COLUMNS = (
    "unique_id",
    "measure",
    "model",
    "fallback",
    "stale_days",
    "plan_model",
    "plan_reason",
    "level_shift",
    "level_shift_days",
    "spike",
    "plan_calibrated",
)
CHOSEN_SCHEMA = _columns(frame_schema("forecast_summary"), CHOSEN_COLUMNS)


def unmeasured_series(chosen: pl.DataFrame) -> list[str]:
    """The total, regions and classes forecast as zero for want of an observed day, as a reader
    names them (``azure · inference``). A one-hour trace read "green, $0 to order" on every
    page with every series at zero: the pages and the terminal say so beside it."""
    zero = chosen.filter(
        (pl.col("model") == "zero") & pl.col("fallback").is_not_null() & (hierarchy.depth() <= 2)
    )
    ids = sorted(set(zero["unique_id"].to_list()), key=lambda u: (hierarchy.depth_of(u), u))
    return [hierarchy.label_of(u) for u in ids]


def unmeasured_class_rows() -> pl.Expr:
    """Whether a trigger row is a green training pool resting on no training demand measured
    anywhere (its ``unmeasured_training`` field; the note says triggers.UNMEASURED_TRAINING):
    maybe a feed gap, no measured zero, which read "training | green" in every region. The
    terminal, the finance orders and the headline say "not verified" for it."""
    # The field, not the note's words: a reworded note changed what the pages said.
    return (pl.col("status") == "green") & pl.col("unmeasured_training").fill_null(False)


def unmeasured_words(row: Mapping[str, Any]) -> str:
    """Why an :func:`unmeasured_class_rows` row is not verified: VACANT where its region plans
    no block that hosts training (zero demand against zero capacity, its ``vacant_pool``),
    else triggers.UNMEASURED_TRAINING (a feed that may have lost the class). A vacant pool
    read "no training demand measured in any region", as if a feed gap."""
    return VACANT if row.get("vacant_pool") else UNMEASURED_TRAINING


def vacant_regions(inputs: ReportInputs) -> list[str]:
    """The regions with no block or site in the plan and no measured demand (forecast as zero
    for want of one whole day): their triggers read green, zero demand against zero capacity,
    which says nothing (a misspelt region's one stray row read "mars-north | all | green")."""
    zero = inputs.chosen.filter(
        (hierarchy.depth() == 1) & (pl.col("model") == "zero") & pl.col("fallback").is_not_null()
    )
    unmeasured = set(zero.select(hierarchy.level(1)).to_series().to_list())
    return [r for r in unplanned_regions_of(inputs) if r in unmeasured]


def unjudged_regions_of(inputs: ReportInputs) -> dict[str, str]:
    """The regions of the plan no demand was measured in, each with why: no telemetry
    (:func:`unforecast_regions_of`), or not one complete day of it (forecast as zero). Nothing
    is ordered there, so their sites' power and ceilings hold on the plan's own blocks alone:
    "not judged" on every surface (the tiny fleet's eu-west read "not judged" on the power
    page and green in the new-site table and on the terminal's construction line)."""
    why = {r: f"no telemetry in {r}" for r in unforecast_regions_of(inputs)}
    zero = inputs.chosen.filter(
        (hierarchy.depth() == 1) & (pl.col("model") == "zero") & pl.col("fallback").is_not_null()
    )
    for region in sorted(set(zero.select(hierarchy.level(1)).to_series().to_list())):
        why.setdefault(region, f"no demand measured in {region}: not one complete day of telemetry")
    return why


def unjudged_why(inputs: ReportInputs, regions: Sequence[str]) -> str:
    """Why ``regions`` (of :func:`unjudged_regions_of`) are not judged, in one clause: "no
    telemetry in eu-west, us-west; no demand measured in azure: not one complete day of
    telemetry" (the Azure trace read "no telemetry in azure" beside its two hours)."""
    why = unjudged_regions_of(inputs)
    silent = [r for r in regions if r in unforecast_regions_of(inputs)]
    said = [f"no telemetry in {', '.join(silent)}"] if silent else []
    return "; ".join([*said, *(why[r] for r in regions if r not in silent)])


def status_shown(inputs: ReportInputs) -> pl.Expr:
    """A trigger row's status as the pages and `report` show it: in a vacant region
    (:func:`vacant_regions`) "not verified (no capacity planned, no demand measured)", its
    green saying nothing; in a region whose demand is the contract book's alone
    (:func:`book_only_regions_of`) the status with "(contract book only)"; elsewhere the
    stored status."""
    vacant = pl.Series(vacant_regions(inputs), dtype=pl.String)
    book = pl.Series(book_only_regions_of(inputs), dtype=pl.String)
    # A pool whose class only the book holds in a region with telemetry (a training deal in a
    # region that runs none yet) is judged on the book's outcomes: said as its pages say it.
    levels = book_only_levels_of(inputs)
    pools = pl.Series([uid for uid in levels if hierarchy.depth_of(uid) == 2], dtype=pl.String)
    pool_id = pl.concat_str(
        [pl.lit(hierarchy.TOTAL), *(hierarchy.escape_expr(pl.col(c)) for c in ("region", "pool"))],
        separator=hierarchy.SEP,
    )
    return (
        pl.when(pl.col("region").is_in(vacant))
        .then(pl.lit(f"{NOT_VERIFIED} ({VACANT})"))
        .when(pl.col("region").is_in(book))
        .then(pl.format("{} ({})", "status", pl.lit(BOOK_STATUS)))
        .when(pool_id.is_in(pools))
        .then(pl.format("{} ({})", "status", pool_id.replace_strict(levels, default=None)))
        .otherwise(pl.col("status"))
    )


def silent_regions(inputs: ReportInputs) -> list[str]:
    """The regions whose telemetry stopped two or more days before the run's last day, as a
    reader names them with their days of silence ("us-west (5 days)"). A region cut off for
    its last 5 days read "sg-large · all · green" on the front and finance pages; only the
    platform page's flagged series named it."""
    from forecasting.schema import STALE_WARN_DAYS

    regions = (
        inputs.chosen.filter(
            (hierarchy.depth() == 1) & (pl.col("stale_days").fill_null(0) >= STALE_WARN_DAYS)
        )
        .group_by("unique_id")
        .agg(pl.col("stale_days").max())
        .sort("unique_id")
    )
    return [f"{hierarchy.label_of(u)} ({days_count(d)})" for u, d in regions.iter_rows()]


def estimated_totals(inputs: ReportInputs) -> list[str]:
    """The totals whose last days hold estimates because a part of them was silent, one line
    each (:func:`forecasting.text.estimated_days_words`): only the run's warnings said so, and
    the platform page showed the total's history and accuracy with no sign of them."""
    return [
        estimated_days_words(hierarchy.label_of(uid), measure, days, first, last, nowcast)
        for uid, measure, first, last, days, nowcast in inputs.estimated.sort(
            "unique_id", "measure"
        )
        .select(ESTIMATED_SCHEMA.names())
        .iter_rows()
    ]


def held_silent_ids(chosen: pl.DataFrame, silent: pl.DataFrame | None) -> set[str]:
    """The unique ids of the customers whose feed looks broken (``silent``,
    :func:`forecasting.demand.silent_customers`) and whose forecast is held at zero as a
    customer that left (a ``level_shift`` note of :data:`forecasting.schema.STOPPED_NOTE`)."""
    if silent is None or silent.is_empty() or "level_shift" not in chosen.columns:
        return set()
    fed = {
        hierarchy.id_of(*row)
        for row in silent.select("region", "workload_class", "customer").rows()
    }
    return set(
        chosen.filter(
            pl.col("unique_id").is_in(sorted(fed)),
            pl.col("level_shift").str.starts_with(STOPPED_NOTE).fill_null(False),
        )["unique_id"]
    )


def silent_customer_feeds(inputs: ReportInputs, *, held: bool = False) -> list[str]:
    """The customers whose feed looks broken (:func:`forecasting.demand.silent_customers`),
    with their days of silence: their region reports, so their days read as zero demand.
    ``held``: those whose forecast is held at zero for it (:func:`held_silent_ids`), else the
    others, whose forecast follows their zero days."""
    silent = inputs.silent_customers
    if silent.is_empty():
        return []
    zero = held_silent_ids(inputs.chosen, silent)
    return [
        f"{hierarchy.label_of(uid)} ({days_count(d)})"
        for r, k, c, d in silent.select(
            "region", "workload_class", "customer", "silent_days"
        ).iter_rows()
        for uid in (hierarchy.id_of(r, k, c),)
        if (uid in zero) == held
    ]


# The days a stopped series' note names (forecast._stopped_note): "its last 16 days (from D)".
_STOPPED_SPAN = re.compile(
    rf"^{re.escape(STOPPED_NOTE)}zero demand on each of its last (.+?) \(from (\d{{4}}-\d\d-\d\d)\)"
)


def stopped_pools(inputs: ReportInputs) -> list[str]:
    """The regions and regions' classes whose demand ended (held at zero by the stop rule,
    :func:`forecasting.shifts.stopped_days`: a ``level_shift`` of
    :data:`forecasting.schema.STOPPED_NOTE`), as a reader names them with their days ("us-west
    · training (zero from 2026-11-06: 16 days)"); a region's classes fold
    into it. Every customer of us-west · training stopping read only in the platform page's
    flagged series and the per-series warnings: the front and finance pages read its pool as
    any other. A pool with a customer whose feed stopped (no rows while its region reported,
    ``inputs.silent_customers``) is left to the "Feed stopped" banner: its zeros may be the
    gap, not churn; a region whose telemetry stopped has missing days, never a stop."""
    if "level_shift" not in inputs.chosen.columns:
        return []
    rows = (
        inputs.chosen.filter(
            hierarchy.depth().is_in([1, 2]),
            pl.col("level_shift").str.starts_with(STOPPED_NOTE).fill_null(False),
        )
        .sort("unique_id", "measure")
        .unique("unique_id", keep="first", maintain_order=True)
    )
    gaps = inputs.silent_customers
    fed = (
        set()
        if gaps.is_empty()
        else {
            *gaps["region"].to_list(),
            *(hierarchy.id_of(r, k) for r, k in gaps.select("region", "workload_class").rows()),
        }
    )
    stopped = dict(rows.select("unique_id", "level_shift").iter_rows())
    names = []
    for uid, note in stopped.items():
        parent = hierarchy.parent_of(uid)
        if uid in fed or (parent in stopped and hierarchy.depth_of(uid) == 2):
            continue
        span = _STOPPED_SPAN.match(note)
        # No comma inside: the names are listed with commas.
        when = f" (zero from {span[2]}: {span[1]})" if span else ""
        names.append(f"{hierarchy.label_of(uid)}{when}")
    return names


def untested_series(chosen: pl.DataFrame) -> list[str]:
    """The total, regions and classes forecast by a baseline that no backtest chose (too short
    a history, or every candidate failed), zero aside (:func:`unmeasured_series`), as a reader
    names them. A fleet of two weeks ordered racks on the naive's band, and no page said that
    no error of it had been measured."""
    fallback = chosen.filter(
        (pl.col("model") != "zero") & pl.col("fallback").is_not_null() & (hierarchy.depth() <= 2)
    )
    ids = sorted(set(fallback["unique_id"].to_list()), key=lambda u: (hierarchy.depth_of(u), u))
    return [hierarchy.label_of(u) for u in ids]


def untested_regions(inputs: ReportInputs) -> list[str]:
    """The regions whose own demand (their region-level series) a baseline forecast that no
    backtest measured (:func:`untested_series`; zero aside: :func:`unmeasured_series`), so
    that no day of their statuses is verified whatever the other regions' backtests reach."""
    rows = inputs.chosen.filter(
        (hierarchy.depth() == 1) & (pl.col("model") != "zero") & pl.col("fallback").is_not_null()
    )
    return sorted(set(rows.select(hierarchy.level(1)).to_series().to_list()))


def region_verified_to(inputs: ReportInputs) -> dict[str, date]:
    """Per region whose own backtests (its region-level series': daily windows and decision
    horizons) verify its statuses to an earlier day than the run's (:func:`green_verified_to`,
    the furthest any region's reach), that day; the regions no backtest measured aside
    (:func:`untested_regions`: none of their days is verified). A region that started
    reporting later than the others, its decision backtests too short for the run's 26-week
    horizon, read "green to 2027-06-06 only", the others' day, as if its own reached it."""
    from forecasting.horizon import q90_held, scored_reach  # pulls scipy: only when asked

    run = green_verified_to(inputs)
    end = daily_end(inputs)
    if end is None:
        return {}
    region = hierarchy.level(1)
    own = (hierarchy.depth() == 1) & region.is_not_null()
    tested = inputs.backtest.filter(own).select(region).to_series().unique().to_list()
    untested = set(untested_regions(inputs))
    observed = inputs.history.filter(
        own & pl.col("y").is_not_null() & (pl.col("ds") <= inputs.as_of)
    )
    last = observed.group_by("unique_id").agg(pl.col("ds").max().alias("last"))
    if "level_shift_days" in inputs.chosen.columns:
        moved = inputs.chosen.group_by("unique_id").agg(pl.col("level_shift_days").min())
        last = last.join(moved, on="unique_id", how="left")
    # How far the q90 held is pooled over the regions, as the run reads it (one region's
    # window over a step is all or nothing); how far each region was scored is its own.
    held = q90_held(inputs.horizon_accuracy).days
    days: dict[str, date] = {}
    for name in sorted(str(r) for r in tested if r is not None and r not in untested):
        daily = scored_reach(
            inputs.backtest.filter(own & (region == name)),
            inputs.horizon_accuracy.clear(),
            last_observed=last,
            as_of=inputs.as_of,
        )
        scored = inputs.horizon_accuracy.filter(
            own & (region == name) & pl.col("mae").is_not_null()
        )["horizon_days"].max()
        decision = min(int(scored), held) if isinstance(scored, int) else 0
        reach = max(daily, decision)
        day = statuses_verified_to(
            as_of=inputs.as_of,
            daily_end=end,
            reach=reach,
            plan_end=plan_end(inputs),
            calibrated=inputs.plan_calibrated,
        )
        # Only a day its backtests measured: none at all reads as an untested region's.
        if day is not None and day > inputs.as_of and (run is None or day < run):
            days[name] = day
    return days


def _region_day(days: Mapping[str, date]) -> pl.Expr:
    """Each row's region's own verified day of ``days`` (:func:`region_verified_to`), else
    null."""
    return pl.col("region").replace_strict(
        {r: d for r, d in days.items()}, default=None, return_dtype=pl.Date
    )


def measured_reach(
    inputs: ReportInputs, *, q90_held_only: bool = False, q10_held_only: bool = False
) -> int:
    """Days past the as-of day to which some backtest measured the total or a region (0: none
    did), as :func:`forecasting.horizon.scored_reach` counts them: the most steps ahead a daily
    backtest window scored less the unobserved days from the series' last observed day to the
    as-of day, or the decision backtest's horizon where it scored one (with
    ``q90_held_only``, as far as the regions' q90 held there: the statuses' reach; with
    ``q10_held_only``, as far as their q10 did: idle risk's)."""
    return measured_reach_of(
        inputs.history,
        inputs.chosen,
        backtest=inputs.backtest,
        horizon_accuracy=inputs.horizon_accuracy,
        as_of=inputs.as_of,
        q90_held_only=q90_held_only,
        q10_held_only=q10_held_only,
    )


def measured_reach_of(
    history: pl.DataFrame,
    chosen: pl.DataFrame,
    *,
    backtest: pl.DataFrame,
    horizon_accuracy: pl.DataFrame,
    as_of: date,
    q90_held_only: bool = False,
    q10_held_only: bool = False,
) -> int:
    """:func:`measured_reach` of a run's frames."""
    from forecasting.horizon import scored_reach  # pulls scipy: only when asked

    observed = history.filter(
        (hierarchy.depth() <= 1) & pl.col("y").is_not_null() & (pl.col("ds") <= as_of)
    )
    last = observed.group_by("unique_id").agg(pl.col("ds").max().alias("last"))
    if "level_shift_days" in chosen.columns:
        moved = chosen.group_by("unique_id").agg(pl.col("level_shift_days").min())
        last = last.join(moved, on="unique_id", how="left")
    return scored_reach(
        backtest,
        horizon_accuracy,
        last_observed=last,
        as_of=as_of,
        q90_held_only=q90_held_only,
        q10_held_only=q10_held_only,
    )


# What rests on the days past the backtests' reach, as the report says it and as a drill does.
ORDERS_REST = "the exhaustion dates and orders that rest on it"
DRILLS_REST = "the drills' figures over those days"
WHATIF_REST = "the deal's verdict, orders, capex, MW and revenue that rest on it"


def extrapolated_reach(inputs: ReportInputs) -> str:
    """What a reader must know when the daily forecast reaches further ahead than any backtest
    measured its error, else "": four weeks of growth extended for six months ordered a
    billion dollars of racks, and nothing on the page said what it rested on. (It compared
    with the days of history: a 31-day trace whose backtests scored 7 days ahead read
    measured to day 31, and one no backtest scored at all read measured to day 5.)"""
    return extrapolated_text(
        inputs.history,
        inputs.chosen,
        backtest=inputs.backtest,
        horizon_accuracy=inputs.horizon_accuracy,
        as_of=inputs.as_of,
        end=daily_end(inputs),
    )


def extrapolated_text(
    history: pl.DataFrame,
    chosen: pl.DataFrame,
    *,
    backtest: pl.DataFrame,
    horizon_accuracy: pl.DataFrame,
    as_of: date,
    end: date | None,
    rests: str = ORDERS_REST,
) -> str:
    """:func:`extrapolated_reach` of a run's frames (``end``: its last daily day), saying what
    ``rests`` on the days past the backtests: the drill command printed revenue at risk over
    182 days on a forecast scored 7 days ahead, with nothing said, as the report did."""
    # The total's observed days, or its regions' where it has none of its own.
    observed = history.filter(
        (hierarchy.depth() <= 1) & (pl.col("ds") <= as_of) & pl.col("y").is_not_null()
    )
    if end is None or observed.is_empty():
        return ""  # no forecast, or no observed day: the unmeasured banner says so
    # Counted as the union of the total's and its regions' days, a region silent three days
    # mid-history read "30 observed days in 31" where the total had 27.
    own = observed.filter(hierarchy.depth() == 0)
    days = (observed if own.is_empty() else own).get_column("ds").n_unique()
    # Days of the span with too few hours are missing: "on 4 days of history" where the
    # forecast's warning read "6 days" (the span); both say "4 observed days in 6" now.
    top = history.filter((hierarchy.depth() <= 1) & (pl.col("ds") <= as_of))
    first, last = top.get_column("ds").min(), top.get_column("ds").max()
    span = (last - first).days + 1 if isinstance(first, date) and isinstance(last, date) else days
    held = (
        f"{days_count(days)} of history"
        if days >= span
        else f"{days} observed day{'' if days == 1 else 's'} in {days_count(span)} of history"
    )
    ahead = (end - as_of).days
    reach = measured_reach_of(
        history, chosen, backtest=backtest, horizon_accuracy=horizon_accuracy, as_of=as_of
    )
    if ahead <= reach:
        return ""
    rest = f"so demand there, and {rests}, are extrapolated, not verified"
    if reach == 0:
        return (
            f"the daily forecast reaches {days_count(ahead)} ahead on {held}, and no backtest "
            f"measured its error (too little history for one), {rest}"
        )
    return (
        f"the daily forecast reaches {days_count(ahead)} ahead on {held}, "
        f"and its backtests scored {reach} days ahead: past "
        f"{fmt_date(as_of + timedelta(days=reach))} no backtest measured its error, {rest}"
    )


# The power status shown for a site whose region has an order not sized (its MW not measured):
# its stored green counted only the orders sized (power_view, the pages, the CLI).
NOT_CHECKED = "not checked"


# Beside the headline of a plan without [[site]]: its card reads "worst trigger status, blocks
# and power", and a plain "green" there claimed power that nothing checked.
POWER_NOT_CHECKED = "power not checked: no [[site]] in the plan"


def status_headline(inputs: ReportInputs) -> str:
    """The run's worst status for a headline, and where a green is only as far as the forecast
    reaches: a 28-day run read "green" on every page while each pool's note said a shortfall
    the day after the forecast could no longer be ordered in time. A plan without sites says
    its power is not checked (:data:`POWER_NOT_CHECKED`)."""
    headline = _worst_with_reach(inputs) + _greens_not_judged(inputs)
    if inputs.worst_status is None:
        # Sites stored "not judged" have no colour: with no other status they are all there is
        # to say ("no triggers" would hide them).
        return _not_judged_clause(inputs).removeprefix("; ") or headline
    if not inputs.plan.site:
        return f"{headline}; {POWER_NOT_CHECKED}"
    clause = _not_judged_clause(inputs)
    power = power_view(inputs) if clause else None
    if power is not None and inputs.triggers.is_empty() and power["not_judged"].all():
        return clause.removeprefix("; ")  # no green judged anywhere: nothing reads green
    return headline + clause


def _greens_not_judged(inputs: ReportInputs) -> str:
    """Where greens' forecast ends too soon to verify them (``unverified_green``: a shortfall
    the day after would already be past its fastest block's order-by date), the clause that
    names them "not judged" past the plan's end, else "". A 45-day fleet's headline read "green
    to 2026-12-13 only: not verified beyond" at --horizon 1w, as for greens whose backtests
    stop short, and "red" at 2w: past 2026-12-13 the 1-week run judged nothing."""
    flagged = inputs.triggers.filter(
        (pl.col("status") == "green") & pl.col("unverified_green").fill_null(value=False)
    )
    end = daily_end(inputs)
    if flagged.is_empty() or end is None:
        return ""
    last_month = inputs.forecast_months.get_column("ds").max()
    plan = fmt_date(end) if not isinstance(last_month, date) else f"{last_month:%b %Y}"
    every = flagged.height == inputs.triggers.height
    pools = ", ".join(
        f"{r['region']}/{r['pool']}" for r in flagged.sort("region", "pool").iter_rows(named=True)
    )
    return (
        f"; {'every pool' if every else pools} {NOT_JUDGED} past {plan}: a shortfall after it "
        "could no longer be ordered in time"
    )


def _not_judged_clause(inputs: ReportInputs) -> str:
    """Where the headline's green counts the stored green of sites not judged on power (their
    region has no telemetry: :func:`power_view`), the clause that sets them apart, else "": a
    plain "green" read as if their power were checked while the power line said "not
    judged". Beside an amber or a red the worst status stands as it is."""
    if inputs.worst_status not in ("green", None) or inputs.power_triggers.is_empty():
        return ""
    unjudged = power_view(inputs).filter(pl.col("not_judged"))
    if unjudged.is_empty():
        return ""
    sites = sorted(set(unjudged["site"].to_list()))
    regions = sorted(set(unjudged["region"].to_list()))
    noun = "site" if len(sites) == 1 else "sites"
    return (
        f"; {len(sites)} {noun} {NOT_JUDGED} on power ({', '.join(sites)}): "
        f"{unjudged_why(inputs, regions)} (not green: {NOT_JUDGED})"
    )


def _worst_with_reach(inputs: ReportInputs) -> str:
    """:func:`status_headline` without the sites' clause."""
    worst = inputs.worst_status
    if worst is None:
        return "no triggers"
    end = daily_end(inputs)
    # What the worst status is of, first: where a date is measured, or a site is short by a
    # fact of the plan, the demo's headline read "red; every other pool green ...", no pool
    # named before "every other".
    worst += _shortfall_not_verified(inputs, worst, end) or _worst_named(inputs, worst, end)
    # Short on the first monthly row alone: the same fleet read red with 7 daily days and
    # green with 182, and the headline said "red" unqualified.
    seam = inputs.triggers.filter(pl.col("status").is_in(["amber", "red"]) & pl.col("monthly_only"))
    if not seam.is_empty():
        pools = ", ".join(
            f"{r['region']}/{r['pool']} {r['status']}"
            for r in seam.sort("region", "pool").iter_rows(named=True)
        )
        worst += (
            f"; {pools} on the monthly rows past the daily ones only: {MONTHLY_ONLY} (see the "
            "triggers' notes)"
        )
    vacant = inputs.triggers.filter(pl.col("region").is_in(vacant_regions(inputs)))
    if not vacant.is_empty():
        pools = ", ".join(
            f"{r['region']}/{r['pool']}"
            for r in vacant.sort("region", "pool").iter_rows(named=True)
        )
        said = f"{pools} {NOT_VERIFIED} ({VACANT})"
        # Zero demand against zero capacity reads green and says nothing: where every pool is
        # such (the azure-llm trace's two hours against another fleet's plan), no green.
        if vacant.height == inputs.triggers.height and worst == "green":
            return said
        worst += f"; {said}"
    # A planned region forecast as zero for want of one whole day: its greens rest on no
    # demand, which `report` said right above a plain "green" headline.
    zero = inputs.chosen.filter(
        (hierarchy.depth() == 1) & (pl.col("model") == "zero") & pl.col("fallback").is_not_null()
    )
    unmeasured = zero.select(hierarchy.level(1)).to_series().unique().to_list()
    blind = inputs.triggers.filter(
        pl.col("region").is_in(unmeasured)
        & ~pl.col("region").is_in(vacant_regions(inputs))
        & (pl.col("status") == "green")
    )
    if not blind.is_empty():
        pools = ", ".join(
            f"{r['region']}/{r['pool']}" for r in blind.sort("region", "pool").iter_rows(named=True)
        )
        said = f"{pools} {NOT_VERIFIED}: no demand measured (not one whole day of telemetry)"
        if blind.height == inputs.triggers.height and worst == "green":
            return said
        worst += f"; {said}"
    # A region no backtest measured (too short a history) is not verified to the day the other
    # regions' backtests reach: "every other pool green to 2027-01-03 only" named it with them.
    untested = [r for r in untested_regions(inputs) if r not in vacant_regions(inputs)]
    unbacked = inputs.triggers.filter(
        pl.col("region").is_in(untested) & (pl.col("status") == "green")
    )
    verified = green_verified_to(inputs)
    # Where the run verifies nothing, every green says so already (_green_uncalibrated).
    if not unbacked.is_empty() and (verified is None or verified > inputs.as_of):
        pools = ", ".join(
            f"{r['region']}/{r['pool']}"
            for r in unbacked.sort("region", "pool").iter_rows(named=True)
        )
        worst += f"; {pools} green ({UNMEASURED_GREEN})"
    # A region whose own backtests reach less than the run's: its greens to its own day, said
    # apart (they read the other regions' day, or none, among "every other pool").
    own = region_verified_to(inputs)
    for region, day in sorted(own.items()):
        shorter = inputs.triggers.filter(
            (pl.col("region") == region)
            & (pl.col("status") == "green")
            & ~pl.col("region").is_in(vacant_regions(inputs))
        )
        if not shorter.is_empty():
            pools = ", ".join(f"{region}/{p}" for p in sorted(shorter["pool"].to_list()))
            worst += f"; {pools} green to {fmt_date(day)} only: {NOT_VERIFIED_BEYOND}"
    gap = inputs.triggers.filter(unmeasured_class_rows())
    if not gap.is_empty():
        for why in sorted({unmeasured_words(r) for r in gap.iter_rows(named=True)}):
            pools = ", ".join(
                f"{r['region']}/{r['pool']}"
                for r in gap.sort("region", "pool").iter_rows(named=True)
                if unmeasured_words(r) == why
            )
            worst += f"; {pools} {NOT_VERIFIED}: {why} (see the triggers' notes)"
    # Where every green is verified short of the plan's end, each pool's row says so
    # (green_only): beside a red, the headline names them all, not the notes' alone. The
    # pools said "not verified" above are not named again.
    apart = (
        pl.col("region").is_in([*vacant_regions(inputs), *unmeasured, *untested, *own])
        | unmeasured_class_rows()
    )
    unverified = inputs.triggers.filter(
        (pl.col("status") == "green")
        & (pl.col("unverified_green") | (pl.lit(verified is not None) & ~apart))
    )
    if unverified.is_empty() or end is None or (worst == "green" and verified is not None):
        # Every green is verified to that day alone, the unverified pools' with the rest.
        return _green_uncalibrated(inputs, end) if worst == "green" else worst
    # The plan's end: its last month where monthly rows follow the daily ones (the backtests'
    # last day where sooner: a pool's green reads the same day, green_only).
    last_month = inputs.forecast_months.get_column("ds").max()
    reach = fmt_date(end) if not isinstance(last_month, date) else f"{last_month:%b %Y}"
    if worst == "green" and seam.is_empty():
        return f"green to {reach} only: not verified beyond (see the triggers' notes)"
    # Beside a red pool the greens read as verified ones on the CLI and the front page, while
    # their notes said a shortfall past the forecast could no longer be ordered in time.
    pools = ", ".join(
        f"{r['region']}/{r['pool']}"
        for r in unverified.sort("region", "pool").iter_rows(named=True)
    )
    if verified is not None:
        # The backtests' day and why, as a green headline says them; every green named one by
        # one read as a list of five pools on a 120-day fleet's CLI.
        # "Every other pool" only where the pools not green are all named before: beside an
        # amber the headline named for nothing, "every other pool green" read false.
        named = (pl.col("status") == inputs.worst_status) | pl.col("monthly_only").fill_null(
            value=False
        )
        greens = inputs.triggers.filter(pl.col("status") == "green").height
        others = inputs.triggers.filter(pl.col("status") != "green")
        every = unverified.height == greens and bool(others.select(named.all()).item())
        return (
            f"{worst}; {'every other pool' if every else pools} {_green_uncalibrated(inputs, end)}"
        )
    return f"{worst}; {pools} green to {reach} only: not verified beyond (see the triggers' notes)"


def _shortfall_not_verified(inputs: ReportInputs, worst: str, end: date | None) -> str:
    """Where every shortfall behind a red or amber ``worst`` falls past the last day the run
    verifies (:func:`green_verified_to`, the greens' day too), the clause that names them and
    says their dates are not verified, else "". The headline read a plain "red" for a pool
    short on a day the "Extrapolated" banner said no backtest measured, as if its shortfall
    date were measured. Triggers short on the first monthly row alone are said apart
    (``monthly_only``), and a shortfall with no date is not judged here. A site short of power
    of that status leaves it as it is unless its row says it is not verified
    (:func:`_power_shortfall_only`: orders alone past the verified days): its need may be its
    committed blocks' MW outgrowing the energized steps, a fact of the plan (a 120-day fleet's
    red site read "not verified")."""
    bound = _shortfall_bound(inputs)
    if worst not in ("red", "amber") or end is None or bound is None:
        return ""
    sites = power_view(inputs).filter(pl.col("status") == worst)
    if sites["shortfall_only"].is_null().any():
        return ""
    verified = bound.day
    shown: list[tuple[date, str, str]] = []
    rows = inputs.triggers.filter(
        (pl.col("status") == worst) & ~pl.col("monthly_only").fill_null(value=False)
    )
    for row in rows.iter_rows(named=True):
        day = row["exhaustion_date"]
        if not isinstance(day, date):
            return ""
        if _latest_day(day, daily_end=end) <= verified:
            return ""  # a shortfall measured: the worst status stands as it is
        pool = f"{row['region']}/{row['pool']}"
        shown.append((day, pool, f"{day:%b %Y}" if day > end else fmt_date(day)))
    # Sites short past the verified days on orders alone (shortfall_only), on the daily
    # power calendar.
    shown.extend(
        (r["exhaustion_date"], f"{r['site']}'s power", fmt_date(r["exhaustion_date"]))
        for r in sites.iter_rows(named=True)
    )
    if not shown:
        return ""
    shown.sort()
    (_, first, when), *rest = shown
    named = ", ".join([f"{first} runs short {when}", *(f"{n} {d}" for _, n, d in rest)])
    return f": {named}, {_unverified_why(bound)}: {NOT_VERIFIED}"


def _worst_named(inputs: ReportInputs, worst: str, end: date | None) -> str:
    """The pools and sites of a red or amber ``worst`` where :func:`_shortfall_not_verified`
    does not name them (a date measured, or a site short by a fact of the plan): ": us-east/all
    runs short 2027-04-08, us-east-a's power 2027-02-01", a date past the verified days marked
    "(not verified)"; "" otherwise. Pools short on the monthly rows alone are said apart."""
    if worst not in ("red", "amber") or end is None:
        return ""
    bound = _shortfall_bound(inputs)
    verified = bound.day if bound is not None else None
    own = region_verified_to(inputs) if bound is not None else {}
    # The pools first, then the sites, each by date: the demo's four red sites' power hid
    # its two red pools in "and 4 more".
    found: list[tuple[int, date, str, str]] = []
    rows = inputs.triggers.filter(
        (pl.col("status") == worst) & ~pl.col("monthly_only").fill_null(value=False)
    )
    for row in rows.iter_rows(named=True):
        pool, day = f"{row['region']}/{row['pool']}", row["exhaustion_date"]
        if not isinstance(day, date):
            found.append((0, date.max, pool, ""))
            continue
        when = f"{day:%b %Y}" if day > end else fmt_date(day)
        # Against its region's own day where its backtests reach less (region_verified_to).
        limit = own.get(row["region"], verified)
        past = limit is not None and _latest_day(day, daily_end=end) > limit
        found.append((0, day, pool, f"{when} ({NOT_VERIFIED})" if past else when))
    for r in power_view(inputs).filter(pl.col("status") == worst).iter_rows(named=True):
        day = r["exhaustion_date"]
        when = fmt_date(day) if isinstance(day, date) else ""
        if when and r["shortfall_only"] is not None:
            when += f" ({NOT_VERIFIED})"
        found.append((1, day if isinstance(day, date) else date.max, f"{r['site']}'s power", when))
    if not found:
        return ""
    found.sort()
    shown = found[:WORST_NAMED]
    (_, _, first, when), *rest = shown
    named = [f"{first} runs short {when}".rstrip(), *(f"{n} {d}".rstrip() for _, _, n, d in rest)]
    more = f" and {len(found) - len(shown)} more" if len(found) > len(shown) else ""
    return f": {', '.join(named)}{more}"


# Pools and sites a red or amber headline names; more are counted.
WORST_NAMED = 4


def _latest_day(day: date, *, daily_end: date) -> date:
    """The latest day a shortfall dated ``day`` may fall on: the day itself on the daily rows;
    past them the month's last day, since a monthly row stands for its month's peak day, any
    day of it."""
    if day <= daily_end:
        return day
    return month_end(day)


def _unverified_why(bound: _Bound, *, subject: str = "") -> str:
    """Why a date past ``bound``'s day is not verified, by its kind (:func:`_shortfall_bound`):
    after a ``subject`` as a row says it ("runs short past 2027-01-02, the last day a backtest
    measured"), or after a date as the headline does ("past the last day a backtest measured
    (2027-01-02)")."""
    day = fmt_date(bound.day)
    lead = f"{subject} " if subject else ""
    measured = (
        f"past {day}, the last day a backtest measured"
        if subject
        else f"past the last day a backtest measured ({day})"
    )
    if bound.kind == "missed":
        # Measured further, and missed there: "past the last day a backtest measured
        # (2027-12-04)" would read as if the q90 had held to it.
        seen = q90_missed(bound.missed_days, bound.missed_share, which=True)
        if subject:
            return f"{lead}past {day}, the last day the backtests held the q90, {seen}"
        return f"past the last day the backtests held the q90 ({day}), {seen}"
    return {
        "unmeasured": f"{lead}where no backtest measured the forecast's error",
        "measured": f"{lead}{measured}",
        # Measured past the daily rows, on a band past them no backtest calibrated: "past
        # the last day a backtest measured (2027-12-04)" read for a red in Aug 2027.
        "band": f"{lead}past the daily rows ({day}), on a band no backtest calibrated",
        "plan": f"{lead}past the plan's end ({day})",
    }[bound.kind]


class _Bound(NamedTuple):
    """The last day a red's or amber's exhaustion date is verified to (:func:`_shortfall_bound`),
    why it ends there, and for a ``missed`` one how many days ahead the backtest past it scored
    and on what share of the regions' days demand passed q90 there."""

    day: date
    kind: str
    missed_days: int = 0
    missed_share: float = 0.0


def q90_missed(days: int, share: float, *, which: bool = False) -> str:
    """What a decision backtest ``days`` ahead saw where the regions' demand passed q90 on
    ``share`` of days, more than the target allows: "52 weeks out the regions' demand passed
    q90 on 20% of days, against at most 15%", or as a clause after "the q90" (``which``)."""
    if which:
        return _tail_missed(days, share, tail="", which=True)
    return _tail_missed(days, share, tail="passed q90")


def _tail_missed(days: int, share: float, *, tail: str, which: bool = False) -> str:
    """:func:`q90_missed` for either tail: ``tail`` says how demand left the band ("passed
    q90", "fell below q10"); with ``which``, a clause after "the q90"."""
    from forecasting.longrange import ABOVE_Q90_TARGET  # pulls scipy: only when asked

    _, high = ABOVE_Q90_TARGET
    share_said = f"on {fmt_pct(share, digits=0)} of days, against at most {fmt_pct(high, digits=0)}"
    weeks = f"{days // 7} weeks out"
    if which:
        return f"which {weeks} the regions' demand passed {share_said}"
    return f"{weeks} the regions' demand {tail} {share_said}"


def _shortfall_bound(inputs: ReportInputs) -> _Bound | None:
    """The last day a red's or amber's exhaustion date is verified to, and why it ends there:
    "unmeasured" (no backtest measured), "measured" (the backtests' last day), "missed" (a
    decision backtest measured further, and the regions' demand passed q90 there more often
    than the target allows), "band" (the daily rows' end, an uncalibrated band past it) or
    "plan" (the plan's end: a date past every row of the forecast rests on none); None without
    a forecast. The day is :func:`green_verified_to`'s, the greens' too, and the plan's end
    where that is None."""
    from forecasting.horizon import q90_held  # pulls scipy: only when asked

    end = daily_end(inputs)
    if end is None:
        return None
    verified = green_verified_to(inputs)
    measured = inputs.as_of + timedelta(days=measured_reach(inputs))
    if verified is None:
        last = plan_end(inputs) or end
        return _Bound(last, "measured" if measured == last else "plan")
    if measured <= inputs.as_of:
        return _Bound(verified, "unmeasured")
    held = q90_held(inputs.horizon_accuracy)
    if verified < measured and held.missed_days is not None and held.missed_share is not None:
        return _Bound(verified, "missed", held.missed_days, held.missed_share)
    return _Bound(verified, "measured" if verified == measured else "band")


def shortfall_only(inputs: ReportInputs) -> pl.Expr:
    """A red or amber trigger row's "(runs short past DAY ...: not verified)" where its
    exhaustion date (a monthly row's: the month's last day) lies past the last day the run
    verifies (:func:`green_verified_to`, the day a green's row reads "to DAY only"), or past
    its region's own day where its backtests reach less (:func:`region_verified_to`), else
    null. The headline said "us-east/all runs short 2027-01-14, past the last day a backtest
    measured (2027-01-02): not verified" while the finance page's orders table, the CLI's and
    the Prefect artifact read the pool's row a plain "red". Rows short on the first monthly row
    alone say it in their order-by (``monthly_only``), as the headline says them apart."""
    bound = _shortfall_bound(inputs)
    end = daily_end(inputs)
    if bound is None or end is None:
        return pl.lit(None, pl.String)
    day = pl.col("exhaustion_date")
    # A monthly row stands for its month's peak day, any day of it.
    last = pl.when(day > pl.lit(end)).then(day.dt.month_end()).otherwise(day)
    shown = pl.col("status").is_in(["red", "amber"]) & ~pl.col("monthly_only").fill_null(
        value=False
    )
    return _past_verified_cell(inputs, bound, subject="runs short", last=last, shown=shown)


def _past_verified_cell(
    inputs: ReportInputs, bound: _Bound, *, subject: str, last: pl.Expr, shown: pl.Expr
) -> pl.Expr:
    """A status cell's "(SUBJECT past DAY: not verified†)" for the rows of ``shown`` whose
    ``last`` day lies past the day their status is verified to: their region's own
    (:func:`region_verified_to`, where its backtests reach less than the run's), else the
    run's (``bound``'s, :func:`_shortfall_bound`); null for the rest. A red in a region whose
    backtests reached 28 days read plain where the run's day was the plan's end, and "past
    2027-06-06" (the other regions' day) where it was not, beside its own greens "to
    2026-12-20 only"."""
    run_past = (last > pl.lit(bound.day)).fill_null(value=False)
    run_cell = pl.when(run_past).then(pl.lit(_unverified_cell(bound, subject=subject)))
    own = region_verified_to(inputs)
    if not own:
        return pl.when(shown).then(run_cell)
    region_day = _region_day(own)
    own_cell = pl.format(
        f"({subject} past {{}}: {NOT_VERIFIED}{UNVERIFIED_MARK})",
        region_day.dt.to_string("%Y-%m-%d"),
    )
    own_past = (last > region_day).fill_null(value=False)
    return (
        pl.when(shown & region_day.is_not_null())
        .then(pl.when(own_past).then(own_cell))
        .when(shown)
        .then(run_cell)
    )


def _unverified_cell(bound: _Bound, *, subject: str) -> str:
    """A status cell's "(runs short past DAY: not verified†)": the day and the marker, the
    reason in the table's note (:func:`unverified_note`)."""
    if bound.kind == "unmeasured":
        return f"({subject}: {NOT_VERIFIED}{UNVERIFIED_MARK})"
    return f"({subject} past {fmt_date(bound.day)}: {NOT_VERIFIED}{UNVERIFIED_MARK})"


def unverified_note(inputs: ReportInputs) -> str:
    """The note under a table whose status cells carry :data:`UNVERIFIED_MARK`, said once:
    "† Not verified past 2027-06-06, the last day the backtests held the q90, which 52 weeks
    out the regions' demand passed on 20% of days, against at most 15%." ("" without a
    forecast), and the regions whose own backtests reach less, with their days (their cells
    read those: :func:`_past_verified_cell`)."""
    bound = _shortfall_bound(inputs)
    if bound is None:
        return ""
    own = region_verified_to(inputs)
    regions = "; ".join(
        f"in {region} past {fmt_date(day)}, the last day its own backtests reach"
        for region, day in sorted(own.items())
    )
    if regions and green_verified_to(inputs) is None:
        # The run verifies to the plan's end: only the regions' own days mark a cell.
        return f"{UNVERIFIED_MARK} {NOT_VERIFIED.capitalize()} {regions}."
    said = f"{UNVERIFIED_MARK} {NOT_VERIFIED.capitalize()} {_unverified_why(bound)}"
    return f"{said}; {regions}." if regions else f"{said}."


# A power note's span of demand left unserved while an order waits for its site's power
# (triggers.power._waiting_clause): "is unserved from 2027-05-06 to 2029-01-03 (608 days)",
# "from Jun 2028 (monthly grain) to 2029-01-03", "from 2029-02-01 on, through the plan's end".
_UNSERVED_SPAN = re.compile(
    r"is unserved from (?P<since>\d{4}-\d\d-\d\d|[A-Z][a-z]{2} \d{4})(?: \(monthly grain\))? "
    r"(?:to (?P<to>\d{4}-\d\d-\d\d)(?: \((?P<days>[\d,]+ days?)\))?|on, through the plan's end)"
)


def unserved_marked(note: str, *, verified: date | None, unmeasured: bool = False) -> str:
    """``note`` (a site's power note) with each span of demand left unserved
    (:data:`_UNSERVED_SPAN`) that runs past ``verified``, the last day its status is verified
    to, marked: "(608 days; the days past 2027-06-06: not verified†)", "(past 2027-06-06: not
    verified†)" where the whole span is past it (a month's from its first day), "(608 days:
    not verified†)" where no backtest measured anything (``unmeasured``). The reason is the
    marker's note under the table (:func:`unverified_note`). The facilities page read "the
    demand of us-east/all they serve is unserved from 2027-05-06 to 2029-01-03 (608 days)"
    plainly, 576 of those days past the verified day, while a status cell beside a like note
    said "not verified"."""
    if verified is None and not unmeasured:
        return note

    def marked(span: re.Match[str]) -> str:
        since, to, days = span["since"], span["to"], span["days"]
        start = (
            date.fromisoformat(since)
            if since[0].isdigit()
            else datetime.strptime(since, "%b %Y").date()
        )
        if verified is not None and to is not None and date.fromisoformat(to) <= verified:
            return span[0]
        if unmeasured or verified is None:
            said = f": {NOT_VERIFIED}{UNVERIFIED_MARK}"
        elif start > verified:
            said = f"; past {fmt_date(verified)}: {NOT_VERIFIED}{UNVERIFIED_MARK}"
        else:
            said = f"; the days past {fmt_date(verified)}: {NOT_VERIFIED}{UNVERIFIED_MARK}"
        if days is not None:
            return span[0].removesuffix(f"({days})") + f"({days}{said})"
        return f"{span[0]} ({said.removeprefix('; ').removeprefix(': ')})"

    return _UNSERVED_SPAN.sub(marked, note)


def power_notes_marked(inputs: ReportInputs, power: pl.DataFrame) -> pl.DataFrame:
    """``power`` (power trigger rows) with each ``note``'s unserved spans past its region's
    verified day marked (:func:`unserved_marked`): the region's own day where its backtests
    reach less (:func:`region_verified_to`), else the run's (:func:`green_verified_to`)."""
    if power.is_empty() or "note" not in power.columns:
        return power
    verified = green_verified_to(inputs)
    own = region_verified_to(inputs)
    unmeasured = verified is not None and verified <= inputs.as_of
    notes = [
        None
        if note is None
        else unserved_marked(
            note, verified=own.get(region, verified), unmeasured=unmeasured and region not in own
        )
        for region, note in power.select("region", "note").iter_rows()
    ]
    return power.with_columns(note=pl.Series(notes, dtype=pl.String))


def with_unverified_note(cells: Iterable[object], inputs: ReportInputs) -> str:
    """:func:`unverified_note` where any of ``cells`` (a table's, as text) carries the
    marker, else ""."""
    if any(UNVERIFIED_MARK in str(c) for c in cells):
        return unverified_note(inputs)
    return ""


def construction_only(inputs: ReportInputs) -> pl.Expr:
    """A construction row's "(ceilings run out past DAY ...: not verified)" where its run-out
    day (a monthly one's: the month's last day) lies past the last day the run verifies
    (:func:`green_verified_to`, the statuses' day), or "(to DAY only: not verified beyond)"
    where its ceilings hold to the plan's end and the run verifies less ("(no backtest
    measured ...: not verified)" where it verifies nothing, as a green says); else null. A pool's
    red short past that day said "not verified" while the new site started for ceilings
    running out later read a plain "start a new site by ... (red)". A region no demand was
    measured in whose ceilings hold reads "(not judged: no telemetry in eu-west)"
    (:func:`unjudged_regions_of`): its ceilings hold on the plan's own blocks alone, and the
    terminal read "eu-west, us-west stay within their sites' ceilings" beside a power page
    calling them not judged."""
    unjudged = unjudged_regions_of(inputs)
    held_unjudged = (
        pl.col("exhaustion_date").is_null()
        & pl.col("ceilings_mw").is_not_null()
        & pl.col("region").is_in(list(unjudged))
    )
    said = pl.format(
        "({}: {})",
        pl.lit(NOT_JUDGED),
        pl.col("region").replace_strict(unjudged, default="", return_dtype=pl.String),
    )
    return pl.when(held_unjudged).then(said).otherwise(_construction_verified(inputs))


def _construction_verified(inputs: ReportInputs) -> pl.Expr:
    """:func:`construction_only` for the regions judged."""
    verified = green_verified_to(inputs)
    bound = _shortfall_bound(inputs)
    end = daily_end(inputs)
    # A region whose own backtests reach less holds its ceilings to its own day only.
    own = region_verified_to(inputs)
    held_own = pl.format(
        "(to {} only: {})", _region_day(own).dt.to_string("%Y-%m-%d"), pl.lit(NOT_VERIFIED_BEYOND)
    )
    if bound is None or end is None:
        return pl.lit(None, pl.String)
    ran_out = pl.col("exhaustion_date")
    last = pl.when(pl.col("exhaustion_monthly").fill_null(value=False)).then(ran_out.dt.month_end())
    # Run out past the run's day, or its region's own where that is shorter: a region whose
    # backtests reached 28 days read its ceilings running out a year out plainly.
    past = _past_verified_cell(
        inputs,
        bound,
        subject="ceilings run out",
        last=last.otherwise(ran_out),
        shown=ran_out.is_not_null(),
    )
    held = ran_out.is_null() & pl.col("ceilings_mw").is_not_null()
    if verified is None:
        held_said = pl.when(held & _region_day(own).is_not_null()).then(held_own) if own else None
        return past if held_said is None else pl.coalesce(past, held_said)
    day = fmt_date(verified)
    # Where no backtest measured anything, the verified day is the as-of day: "to 2026-12-06
    # only" on a 15-day fleet read as a verified day beside greens saying nothing was.
    holds = (
        f"({UNMEASURED_GREEN})"
        if verified <= inputs.as_of
        else f"(to {day} only: {NOT_VERIFIED_BEYOND})"
    )
    return pl.coalesce(
        past,
        pl.when(held & _region_day(own).is_not_null() & pl.lit(verified > inputs.as_of))
        .then(held_own)
        .when(held)
        .then(pl.lit(holds)),
    )


def status_only(inputs: ReportInputs, *, own_power: bool = False) -> pl.Expr:
    """What a trigger row's status cell says after its colour: :func:`red_for_power` where a
    red is its site's power, then, where the run does not verify it to the plan's end,
    :func:`green_only` for a green, :func:`monthly_grain_only` for a red or an amber short on
    the monthly rows alone, :func:`shortfall_only` for one short past the verified days; null
    where neither. ``own_power``: the rows are orders, each with its own ``powered_from``."""
    only = pl.coalesce(green_only(inputs), monthly_grain_only(), shortfall_only(inputs))
    power = red_for_power(None if own_power else inputs)
    both = pl.concat_str([power, only], separator=" ")
    return (
        pl.when(power.is_not_null() & only.is_not_null())
        .then(both)
        .otherwise(pl.coalesce(power, only))
    )


def red_for_power(inputs: ReportInputs | None = None) -> pl.Expr:
    """A red row's "for power: its blocks wait for their site's power to DAY, past the
    shortfall" where its order's blocks run only from their site's power and that comes
    after its shortfall (``exhaustion_date``); null otherwise. The day is the row's
    ``powered_from``, else, with ``inputs``, the last day a share of the pool's first order
    waits to (:func:`_first_order_waits`: the trigger keeps no day where no planned power
    has the MW, only power contracted today).

    A training pool red for its site's MW, its order-by eight months ahead, read a bare "red"
    in the orders table: a capacity shortfall the order is too late for, to a reader, where
    the order is on time and the timeline that binds is the power's (its note said "power is
    the constraint" 150 words in)."""
    waits_to = pl.col("powered_from")
    if inputs is not None:
        waits_to = pl.coalesce(waits_to, _first_order_waits(inputs))
    late = (pl.col("status") == "red") & (waits_to > pl.col("exhaustion_date")).fill_null(False)
    return pl.when(late).then(
        pl.format(
            "for power: its blocks wait for their site's power to {}, past the shortfall",
            waits_to.dt.to_string("%Y-%m-%d"),
        )
    )


def _first_order_waits(inputs: ReportInputs) -> pl.Expr:
    """Per trigger row (region, pool), the last day a share of its first order not powered
    on arrival runs from (PLACEMENTS ``runs_from``); null where none waits."""
    planned = inputs.placements
    if planned is None or planned.is_empty() or "runs_from" not in planned.columns:
        return pl.lit(None, pl.Date)
    waits = (
        planned.filter(
            (pl.col("tranche").fill_null(1) == 1)
            & ~pl.col("powered").fill_null(True)
            & pl.col("runs_from").is_not_null()
        )
        .group_by("region", "pool")
        .agg(pl.col("runs_from").max())
    )
    days = {f"{r}\x1f{p}": d for r, p, d in waits.iter_rows()}
    key = pl.concat_str([pl.col("region"), pl.col("pool")], separator="\x1f")
    return key.replace_strict(days, default=None, return_dtype=pl.Date)


def orders_status_only(orders: pl.DataFrame, inputs: ReportInputs) -> pl.Series:
    """What each order of the plan's status says after its colour (``orders``: PLACEMENTS
    rows), read off its own shortfall (``exhaustion_date``) by the rule of a trigger row's
    (:func:`status_only`). The demo's front card read "2026-12-13 (eu-west · all, green, a
    later order: 1 × cell-gb200-8192 ...: place it by then)", plain, for a shortfall in Oct
    2028 where the run verifies its statuses to 2027-06-06 only; its pool read "green to
    2027-06-06 only: not verified beyond"."""
    missing = [
        pl.lit(value=False).alias(name)
        for name in ("monthly_only", "unverified_green")
        if name not in orders.columns
    ]
    if "powered_from" not in orders.columns:
        # An order's first day its blocks run, where its site's power and not its arrival
        # sets it (:func:`red_for_power` reads a trigger's ``powered_from`` alike).
        powered = pl.col("powered").fill_null(True) if "powered" in orders.columns else pl.lit(True)
        runs = pl.col("runs_from") if "runs_from" in orders.columns else pl.lit(None, pl.Date)
        missing.append(pl.when(~powered).then(runs).alias("powered_from"))
    said = status_only(inputs, own_power=True).alias("status_only")
    return orders.with_columns(missing).select(said).to_series()


def monthly_grain_only() -> pl.Expr:
    """A red or amber trigger row's "(monthly grain: not verified at the daily grain)" where
    its shortfall is read on the monthly rows alone (its ``monthly_only`` field: amber at
    most), else null. A 200-day fleet read us-west/all a plain "amber" at --horizon 2w (no
    order, so no order-by cell to carry the label) and "green" at 26w, the same day: a month's
    peak day reads above any one day's, and only the headline said which pools rest on it."""
    flagged = pl.col("monthly_only").fill_null(value=False) & pl.col("status").is_in(
        ["red", "amber"]
    )
    return pl.when(flagged).then(pl.lit(f"(monthly grain: {MONTHLY_ONLY})"))


def _green_uncalibrated(inputs: ReportInputs, end: date | None) -> str:
    """A plain "green" where the plan past the daily rows (``end``) is a band no backtest
    calibrated: green to the first day not verified only. A 37-month plan on 150 days of
    history read "green" on the front page and the CLI, its plan past the daily rows a random
    walk nothing scored and its daily rows scored 28 days ahead, which only the banner said.
    The day is :func:`green_verified_to`'s (the reds' too), the band's the capital cards'
    (``plan_calibrated``). A plan of daily rows only keeps the rule: a 120-day fleet forecast
    26 weeks ahead read a plain "green" with its backtests scored 28 days ahead."""
    verified = green_verified_to(inputs)
    if end is None or verified is None:
        return "green"
    measured = inputs.as_of + timedelta(days=measured_reach(inputs))
    if measured <= inputs.as_of:
        return f"green ({UNMEASURED_GREEN})"
    if inputs.forecast_months.is_empty() or inputs.plan_calibrated:
        bound = _shortfall_bound(inputs)
        why = (
            q90_missed(bound.missed_days, bound.missed_share)
            if bound is not None and bound.kind == "missed"
            else "no backtest measured the forecast's error past it"
        )
        return f"green to {fmt_date(verified)} only: {NOT_VERIFIED_BEYOND} ({why})"
    if measured < end:
        return (
            f"green to {fmt_date(measured)} only: {NOT_VERIFIED_BEYOND} (no backtest measured "
            f"the forecast's error past it, nor calibrated the plan's band past {fmt_date(end)})"
        )
    return (
        f"green to {fmt_date(end)} only: {NOT_VERIFIED_BEYOND} (no backtest calibrated the "
        "plan's band past the daily rows)"
    )


# How the headline qualifies a green the forecast does not verify to the plan's end.
NOT_VERIFIED_BEYOND = "not verified beyond"
# A green where no backtest measured anything (too little history): "green to 2026-12-05
# only", the last history day, read as a day its green was verified to. Worded as the red's.
UNMEASURED_GREEN = f"no backtest measured the forecast's error: {NOT_VERIFIED}"


def green_verified_to(inputs: ReportInputs) -> date | None:
    """The last day a status of this run is verified to, where that falls short of the plan's
    end (None: every status reads plain), one rule for every colour: a green reads "to DAY
    only" (:func:`green_only`) and a red or amber short past it says so (:func:`shortfall_only`,
    the headline's :func:`_shortfall_not_verified`).

    The day is the last a backtest measured the forecast's error, a decision backtest counted
    only as far as the regions' q90 held there (:func:`forecasting.horizon.q90_held`: the
    statuses act on q90). Past the daily rows it is their last day where no decision backtest
    calibrated the band there. A calibrated band counts as verified as far as its backtests
    held, no further: the demo's statuses read plain to Jan 2030 on a band calibrated at 26
    weeks, while 52 weeks out its regions' demand passed q90 on 20 % of days and nothing
    scored a forecast past that. A calibrated plan's greens read plain while a red in a month
    of the same band read "not verified", and one whose daily rows outran the backtests read
    plain greens on days the banner called extrapolated."""
    return statuses_verified_to(
        as_of=inputs.as_of,
        daily_end=daily_end(inputs),
        reach=measured_reach(inputs, q90_held_only=True),
        plan_end=plan_end(inputs),
        calibrated=inputs.plan_calibrated,
    )


def statuses_verified_to(
    *, as_of: date, daily_end: date | None, reach: int, plan_end: date | None, calibrated: bool
) -> date | None:
    """:func:`green_verified_to` of a run's figures: its daily rows' last day, the days ahead
    its backtests verified (``measured_reach`` with ``q90_held_only``), its monthly rows' last
    day (None: none) and whether a decision backtest calibrated their band."""
    if daily_end is None:
        return None
    verified = as_of + timedelta(days=reach)
    if verified < daily_end:
        return verified
    if plan_end is None:
        return None
    if not calibrated:
        return daily_end
    return None if verified >= plan_end else verified


def low_verified_to(inputs: ReportInputs) -> date | None:
    """The last day the band's lower tail (the P10 that idle risk reads) is verified to: the
    last day a backtest measured the forecast's error, a decision backtest counted only as far
    as the regions' q10 held there (:func:`forecasting.horizon.q10_held`), as the statuses
    count one only as far as their q90 held (None: no forecast)."""
    if daily_end(inputs) is None:
        return None
    return inputs.as_of + timedelta(days=measured_reach(inputs, q10_held_only=True))


def low_missed(inputs: ReportInputs) -> str | None:
    """Why idle risk's P10 is not verified past :func:`low_verified_to`'s day where a decision
    backtest measured further and the regions' demand fell below q10 there more often than the
    target allows: what it saw ("52 weeks out the regions' demand fell below q10 on 31% of
    days, against at most 15%"); None where no backtest measured past the day."""
    from forecasting.horizon import q10_held  # pulls scipy: only when asked

    held = q10_held(inputs.horizon_accuracy)
    measured = measured_reach(inputs)
    low = measured_reach(inputs, q10_held_only=True)
    if low < measured and held.missed_days is not None and held.missed_share is not None:
        return _tail_missed(held.missed_days, held.missed_share, tail="fell below q10")
    return None


def green_only(inputs: ReportInputs) -> pl.Expr:
    """A trigger row's "to DAY only: not verified beyond" where its green is verified short of
    the plan's end, else null: the day :func:`green_verified_to` gives, or for a pool whose
    forecast ends too soon to verify it (``unverified_green``) the plan's end. The headline
    said "green to 2027-01-02 only" while every pool's row on the finance page and the CLI
    read a plain "green". A green whose forecast ends too soon to verify it also says it is
    "not judged" past the plan's end, and why."""
    verified = green_verified_to(inputs)
    end = daily_end(inputs)
    last_month = inputs.forecast_months.get_column("ds").max()
    plan = fmt_date(end) if not isinstance(last_month, date) else f"{last_month:%b %Y}"
    green = pl.col("status") == "green"
    flagged = green & pl.col("unverified_green").fill_null(value=False)
    # Past the forecast's end of a green whose fastest block could no longer be ordered in time
    # for a shortfall there, nothing is judged: a 45-day fleet read "green to 2026-12-13 only:
    # not verified beyond" at --horizon 1w, as a green whose backtests stop short, and red at
    # 2w, the same day.
    why = "a shortfall after it could no longer be ordered in time"
    judged = f"{NOT_JUDGED} past {plan}: {why}"
    # Where the green reads "to DAY only", the day is said once: "to 2026-12-13 only: not
    # judged past 2026-12-13" read as two limits.
    judged_to = f"to {plan} only: {NOT_JUDGED} beyond, {why}"
    last = last_month if isinstance(last_month, date) else end
    unmeasured = (
        pl.when(flagged)
        .then(pl.lit(f"({UNMEASURED_GREEN}; {judged})"))
        .when(green)
        .then(pl.lit(f"({UNMEASURED_GREEN})"))
    )
    if verified is not None and verified <= inputs.as_of:
        return unmeasured
    # The run's day is the furthest any region's backtests reached: a region that started
    # reporting 20 days before the as-of day, forecast by a baseline no backtest measured,
    # read "green to 2027-01-03 only", the other regions' day, as if its own were verified.
    untested = pl.col("region").is_in(pl.Series(untested_regions(inputs), dtype=pl.String))
    # So too a region whose own backtests reach less than the run's (region_verified_to).
    own = _region_day(region_verified_to(inputs))
    own_short = pl.format(
        "to {} only: {}", own.dt.to_string("%Y-%m-%d"), pl.lit(NOT_VERIFIED_BEYOND)
    )
    own_either = pl.format("{}; {}", own_short, pl.lit(judged))
    # The regions said apart first, then the run's day for the rest.
    apart = (
        pl.when(green & untested)
        .then(unmeasured)
        .when(flagged & own.is_not_null())
        .then(own_either)
        .when(green & own.is_not_null())
        .then(own_short)
    )
    if verified is not None:
        short = f"to {fmt_date(verified)} only: {NOT_VERIFIED_BEYOND}"
        either = f"{short}; {judged}" if last is None or verified < last else judged_to
        return apart.when(flagged).then(pl.lit(either)).when(green).then(pl.lit(short))
    if end is None:
        return pl.lit(None, pl.String)
    return apart.when(flagged).then(pl.lit(judged_to))


def greens_qualified(inputs: ReportInputs) -> str:
    """Beside a count of greens: " (green to DAY only: not verified beyond)" where the run
    verifies its statuses short of the plan's end (:func:`green_verified_to`), " (green: no
    backtest measured ...)" where it verifies none, else "". The demo's front page and
    terminal counted "4 red, 0 amber, 2 green" blocks and "6 red, 0 amber, 1 green" sites
    beside rows and a headline reading "green to 2027-06-05 only: not verified beyond"."""
    verified = green_verified_to(inputs)
    if verified is None:
        return ""
    if verified <= inputs.as_of:
        return f" (green: {UNMEASURED_GREEN})"
    return f" (green to {fmt_date(verified)} only: {NOT_VERIFIED_BEYOND})"


def plan_end(inputs: ReportInputs) -> date | None:
    """The last day the forecast's monthly rows reach (None: none past the daily rows)."""
    last = inputs.forecast_months.get_column("ds").max()
    if not isinstance(last, date):
        return None
    return month_end(last)


# The facilities page's view: at least this many months from the as-of month.
FACILITIES_MONTHS = 36


def facilities_months(as_of: date, end: date) -> int:
    """How many months the facilities page draws from ``as_of``'s month: 36, or to ``end``'s
    month (the plan's last day) where later. The daily rows' end cut the demo's energized
    lines at Nov 2029, 36 months, while the need ran to the plan's Jan 2030."""
    return max(FACILITIES_MONTHS, (end.year - as_of.year) * 12 + end.month - as_of.month + 1)


def facilities_last_month(inputs: ReportInputs) -> date:
    """The first day of the facilities page's last month (:func:`facilities_months`)."""
    end = plan_end(inputs) or daily_end(inputs) or inputs.as_of
    index = inputs.as_of.year * 12 + inputs.as_of.month - 2 + facilities_months(inputs.as_of, end)
    return date(index // 12, index % 12 + 1, 1)


def unweighed_candidates(inputs: ReportInputs) -> str:
    """The candidates that land past the forecast's plan end if ordered today, which no
    trigger weighed (or a pool ordered unsized, for want of another), and how far ahead to
    forecast to weigh them ("" when every one lands in time, or the run has no monthly rows:
    its unsized orders say it then).

    A 260-week pod dropped out of the triggers and `report` ordered 90-week cells in its
    stead without a word, though `forecast --help` promises the plan horizon reaches the
    plan's longest lead time."""
    end = plan_end(inputs)
    if end is None:
        return ""
    late = [
        (c, inputs.as_of + timedelta(weeks=c.lead_time_weeks))
        for c in inputs.plan.candidate
        if inputs.as_of + timedelta(weeks=c.lead_time_weeks) > end
    ]
    if not late:
        return ""
    # The months that reach the last landing, as the unsized orders' notes ask
    # (triggers.common.reach_to_size): the lead time plus the buffer asked one more.
    months = max(months_to_reach(day, as_of=inputs.as_of) for _, day in late)
    # A pool with no other candidate orders it anyway, unsized: "no trigger weighed it"
    # contradicted that order's row.
    unsized = inputs.triggers.filter(
        pl.col("blocks_to_order").is_null() & pl.col("candidate").is_not_null()
    ).sort("region", "pool")
    ordered = {
        c.name: ", ".join(
            f"{r['region']}/{r['pool']}"
            for r in unsized.filter(pl.col("candidate") == c.name).iter_rows(named=True)
        )
        for c, _ in late
    }
    named = "; ".join(
        f"candidate {c.name} (lead time {c.lead_time_weeks:,} weeks) lands {fmt_date(day)}"
        for c, day in late
    )
    them = "it" if len(late) == 1 else "them"
    weighed = (
        f"no trigger weighed {them}, so the orders pick among the other candidates"
        if not any(ordered.values())
        else "; ".join(
            f"{pools} orders {c.name if len(late) > 1 else 'it'} unsized"
            if (pools := ordered[c.name])
            else f"no trigger weighed {c.name}"
            for c, _ in late
        )
    )
    how = (
        f"`fleetcast forecast --horizon-months {months}`; a forecast made with this plan "
        "reaches that by itself"
        if months <= MAX_HORIZON_MONTHS
        else "a forecast made with this capacity plan reaches that by itself"
    )
    return (
        f"{named} if ordered today, past the forecast's plan end ({fmt_date(end)}): {weighed}; "
        f"forecast at least {months} months ahead ({how})"
    )


def unplayed_text(inputs: ReportInputs) -> str:
    """The named drills this forecast run has no result for, and how to play them."""
    names = inputs.drills_unplayed
    # "6 named drill(s)" on the Helios demo's pages: the count says its own noun.
    drills, them, it = (
        ("1 named drill", "it", "plays it")
        if len(names) == 1
        else (f"{len(names)} named drills", "them", "plays them")
    )
    return (
        f"{drills} not played on this forecast run ({', '.join(names)}), "
        f"so the drill figures leave {them} out: `fleetcast drill` {it}"
    )


def unforecast_regions_of(inputs: ReportInputs) -> list[str]:
    """The regions of the report's plan with a block and no demand in its telemetry: no
    trigger judges them (a fleet's eu-west and us-west blocks read in no table, unsaid). A
    region whose demand is the contract book's alone is judged, on its contracts' ramps
    (:func:`book_only_regions_of`), so it is not among them."""
    regions = inputs.history.filter(hierarchy.depth() == 1).select(hierarchy.level(1))
    known = regions.to_series().unique().to_list()
    judged = [*known, *book_only_regions_of(inputs)]
    return unforecast_regions(inputs.plan, judged) if known else []


def book_only_regions_of(inputs: ReportInputs) -> list[str]:
    """The regions of the report's forecast run whose demand is the contract book's alone (a
    greenfield site's anchor contract, no telemetry yet): their triggers rest on the signed
    ramps, which every reader says (contracts.BOOK_ONLY), not on a forecast."""
    from forecasting.contracts import book_only_regions

    return book_only_regions(inputs.chosen)


def book_only_levels_of(inputs: ReportInputs) -> dict[str, str]:
    """The classes and customers, in regions with telemetry, that only the contract book holds
    (a new customer's deal, a class a customer does not run yet), each with its label: their
    quantiles are the book's outcomes, not a forecast (contracts.book_only_levels)."""
    from forecasting.contracts import book_only_levels

    return book_only_levels(inputs.chosen, inputs.contracts)


def unserved_blocks_of(inputs: ReportInputs) -> list[Block]:
    """The plan's blocks dedicated to a customer with no telemetry in their region: they serve
    nobody in the forecast, the triggers and the drills (`demo --trace helios`: 9 blocks, 592
    GPUs, said on `report`'s terminal only). None where the history names no customer; none
    retired on or before the as-of day (out of service, they serve nobody anyway)."""
    named = inputs.history.filter(pl.col("customer").is_not_null())
    if named.is_empty():
        return []
    customers: dict[str, list[str]] = {}
    for region, customer in named.select("region", "customer").unique().iter_rows():
        customers.setdefault(region, []).append(customer)
    return stray_dedicated_blocks(inputs.plan, customers, as_of=inputs.as_of)


def unsized_by_region(triggers: pl.DataFrame) -> dict[str, int]:
    """Per region, the triggers' orders not sized (a candidate and no blocks: the forecast ends
    before they land), whose MW no power trigger counts."""
    unsized = triggers.filter(
        pl.col("blocks_to_order").is_null() & pl.col("candidate").is_not_null()
    )
    counts = unsized.group_by("region").len()
    return dict(zip(counts["region"], counts["len"], strict=True))


def power_view(inputs: ReportInputs) -> pl.DataFrame:
    """The power triggers, with why a green site is not plainly green: ``not_judged`` where
    its region has no telemetry (no order is judged there), ``unsized_orders`` the orders not
    sized in its region, whose MW it was not checked for (a 45-day fleet read "7 green" beside
    three orders not sized, and on ServeGen telemetry beside regions not judged), and
    ``green_to`` the forecast's last day where power needed the day after could no longer be
    contracted in time (:func:`power_green_to`)."""
    unjudged = unjudged_regions_of(inputs)
    unsized = unsized_by_region(inputs.triggers)
    green = pl.col("status") == "green"
    # Stored "not judged" since triggers.power says it of a site no demand was measured for;
    # a run stored before reads green there, told apart by its region as before.
    stored = pl.col("status") == NOT_JUDGED
    return _power_shortfall_only(inputs).with_columns(
        not_judged=stored | (green & pl.col("region").is_in(list(unjudged))),
        not_judged_why=pl.col("region").replace_strict(
            unjudged, default=None, return_dtype=pl.String
        ),
        unsized_orders=pl.when(green)
        .then(pl.col("region").replace_strict(unsized, default=0, return_dtype=pl.Int64))
        .otherwise(0),
        green_to=pl.when(green).then(_green_to(inputs, lead_months=pl.col("power_lead_months"))),
    )


def _green_to(inputs: ReportInputs, *, lead_months: pl.Expr) -> pl.Expr:
    """:func:`power_green_to` as an expression of each site's ``lead_months``, the same days:
    a Python call per site (map_elements) read the forecast's end again for every site."""
    end = plan_end(inputs) or daily_end(inputs)
    if end is None:
        return pl.lit(None, dtype=pl.Date)
    # offset_by's "-Nmo" clamps to the month's last day, as months_before does.
    contract_by = pl.lit(end + timedelta(days=1)).dt.offset_by(
        pl.format("-{}mo", lead_months)
    ) - pl.lit(weeks_delta(inputs.buffer_weeks))
    return pl.when(contract_by < pl.lit(inputs.as_of)).then(pl.lit(end)).otherwise(None)


def power_green_to(inputs: ReportInputs, *, lead_months: int) -> date | None:
    """The forecast's last day, where a site with ``lead_months`` of power lead time could
    no longer contract in time for power needed the day after (None: it could): its green
    judges nothing past that day, as its note says ("not verified past DAY: power needed the
    day after would have had to be contracted by ..., already past"). A 45-day fleet's 1-week
    run read "power: 0 red, 0 amber, 7 green" plain on the terminal, the front page and the
    facilities page, beside block triggers "green to 2026-12-13 only: not judged beyond"."""
    end = plan_end(inputs) or daily_end(inputs)
    if end is None:
        return None
    contract_by = months_before(end + timedelta(days=1), lead_months) - weeks_delta(
        inputs.buffer_weeks
    )
    return end if contract_by < inputs.as_of else None


# What a green site past its contracting window judges nothing of (power_green_to).
POWER_PAST_CONTRACTING = "power needed after it could no longer be contracted in time"


def _power_shortfall_only(inputs: ReportInputs) -> pl.DataFrame:
    """The power triggers with ``shortfall_only``: a red or amber site's "(runs short past DAY
    ...: not verified)" as :func:`shortfall_only` says it of a block trigger, where its need
    rests on orders alone (the MW of its blocks in service in its exhaustion month, live and
    committed, within its MW energized then) and its date lies past the verified days; else
    null. A site whose own blocks outgrow its energized MW is short by a fact of the plan,
    whatever the forecast (dae19b9), and one with no row of ``mw_by_site_month`` that month is
    not judged resting on orders. A site short only for orders the forecast sized past the
    measured days read a plain "red" on the facilities page, the CLI and the headline."""
    in_service = inputs.mw_by_site_month.group_by("region", "site", "month").agg(
        _in_service=pl.col("mw_in_service").max()
    )
    rests = pl.col("_in_service") <= pl.col("energized_mw_at_exhaustion") + _MW_TOL
    return (
        inputs.power_triggers.with_columns(month=pl.col("exhaustion_date").dt.truncate("1mo"))
        .join(in_service, on=["region", "site", "month"], how="left", maintain_order="left")
        .with_columns(
            shortfall_only=pl.when(rests.fill_null(value=False)).then(shortfall_only(inputs))
        )
        .drop("month", "_in_service")
    )


# MW within this of the energized MW count as within it (sums of floats).
_MW_TOL = 1e-9


def power_counts(inputs: ReportInputs) -> str:
    """``4 red, 0 amber, 3 green`` of the sites' power triggers, the greens not checked for
    orders not sized and the sites not judged apart (the front page and the CLI say it)."""
    power = power_view(inputs)
    plain = power.filter(~pl.col("not_judged") & (pl.col("unsized_orders") == 0))
    text = ", ".join(
        f"{plain.filter(pl.col('status') == s).height} {s}" for s in reversed(STATUSES)
    )
    # A site's green reads the same demand past the day the statuses are verified to.
    greens = plain.filter(pl.col("status") == "green")
    if greens.height:
        qualified = greens_qualified(inputs)
        ends = greens.get_column("green_to").drop_nulls()
        if not qualified and ends.len():
            end = ends.max()
            assert isinstance(end, date)
            qualified = (
                f" (green to {fmt_date(end)} only: {NOT_JUDGED} beyond, {POWER_PAST_CONTRACTING})"
            )
        text += qualified
    unchecked = power.filter(pl.col("unsized_orders") > 0)
    if unchecked.height:
        regions = sorted(set(unchecked["region"].to_list()))
        n = sum(unsized_by_region(inputs.triggers)[r] for r in regions)
        orders, land = ("order", "it lands: its") if n == 1 else ("orders", "they land: their")
        # Not counted green: "1 green, not checked" read green on a site whose need the
        # unsized order's MW may pass (ServeGen 7 d: +3.8 MW at 26 weeks, red).
        text += (
            f"; {unchecked.height} {NOT_CHECKED} (not green: {n} {orders} not sized in "
            f"{', '.join(regions)}, the forecast ends before {land} MW not measured)"
        )
    unjudged = power.filter(pl.col("not_judged"))
    if unjudged.height:
        # Azure's two hours read "3 green" beside triggers "not verified: no demand measured".
        why = unjudged_why(inputs, sorted(set(unjudged["region"].to_list())))
        text += f"; {unjudged.height} {NOT_JUDGED}: {why} (not green: {NOT_JUDGED})"
    return text


def unplanned_regions_of(inputs: ReportInputs) -> list[str]:
    """The regions of the report's telemetry its plan has no block or site for: their
    triggers order for all their demand (a "mars-1" typo read red with a $368M order)."""
    regions = inputs.history.filter(hierarchy.depth() == 1).select(hierarchy.level(1))
    return unplanned_regions(inputs.plan, regions.to_series().unique().to_list())


def daily_end(inputs: ReportInputs) -> date | None:
    """The forecast's last daily day (None: no forecast): past it the plan is monthly."""
    end = inputs.forecast.get_column("ds").max()
    return end if isinstance(end, date) else None


def daily_days(inputs: ReportInputs) -> int | None:
    """How many days ahead of the as-of date the daily forecast reaches (None: no forecast)."""
    end = daily_end(inputs)
    return None if end is None else (end - inputs.as_of).days


# The card that prices every order of the plan, on the front and finance pages.
EVERY_ORDER = "capital in every order of the plan"


def plan_orders(placements: pl.DataFrame | None) -> pl.DataFrame | None:
    """Every order of the plan to its end with a capex (PLACEMENTS_SCHEMA rows), or None where
    the run stored its triggers' orders alone (before migration 16: no capex, no tranche).

    ``capex_usd`` is the capex of the blocks the plan can place; ``capex_new_site_usd`` that of
    the blocks past their site's ceiling (:func:`split_new_site`)."""
    if placements is None or placements.is_empty() or placements["capex_usd"].is_null().any():
        return None
    return split_new_site(placements).sort("order_by", "region", "pool", "tranche")


def split_new_site(placements: pl.DataFrame) -> pl.DataFrame:
    """``placements`` with the capex of the blocks no site can ever power (past their site's
    ceiling: ``blocks_beyond_ceiling``) moved from ``capex_usd`` to ``capex_new_site_usd``.

    Those blocks are not an order the plan can place, only a new site's: they read "no power
    yet" and counted in the plan's capital (the demo's $8,858.1M held 7 GB200 cells, $2.58B,
    at a site 69.6 MW past its ceiling) while the facilities page said a new site is needed.
    Runs stored before migration 25 (no count) keep their capex whole."""
    beyond = pl.col("blocks_beyond_ceiling").fill_null(0)
    share = pl.when(pl.col("blocks") > 0).then(beyond / pl.col("blocks")).otherwise(0.0)
    apart = (pl.col("capex_usd") * share).alias("capex_new_site_usd")
    return placements.with_columns(apart).with_columns(
        pl.col("capex_usd") - pl.col("capex_new_site_usd")
    )


def planned_capital(placeable: float, planned: pl.DataFrame, *, dated: int = 0) -> str:
    """``placeable`` (the capex of ``planned``'s blocks that the plan can place) as money,
    with the capex of its blocks past their site's ceiling apart, not in the total
    (:func:`forecasting.text.capex_past_ceiling`); said to go into a new site where ``dated``
    of them, all, are dated by their region's declared [[new_site]]."""
    from forecasting.text import capex_past_ceiling

    if "capex_new_site_usd" not in planned.columns:
        return capex_past_ceiling(placeable, 0.0, beyond=0)
    beyond = int(planned["blocks_beyond_ceiling"].fill_null(0).sum())
    apart = float(planned["capex_new_site_usd"].sum())
    return capex_past_ceiling(
        placeable, apart, beyond=beyond, into_new_site=beyond > 0 and dated >= beyond
    )


def past_the_plan(planned: pl.DataFrame, *, end: date | None) -> pl.DataFrame:
    """``planned`` (:func:`plan_orders` rows) with the capex of the orders waiting on power
    whose blocks can run only after ``end``, the plan's last day (their power, contracted
    today, comes later), moved from ``capex_usd`` to ``capex_past_plan_usd``: not within the
    horizon, they serve nothing the plan covers.

    A 60-month power lead put $1,720.3M of eu-west orders that run from 2032-01-01 in
    "capital in every order of the plan" and in quarters past a plan ending 2030-01-31
    ("$7,579.9M over 19 quarters" on a 37-month plan)."""
    # Waiting on power (not on a lead time: an order landing past the plan's end is said
    # apart as not sized, see pages.common._run_past_the_forecast).
    past = (
        ~pl.col("powered").fill_null(True) & (pl.col("runs_from") > end)
        if end is not None and "runs_from" in planned.columns
        else pl.lit(False)
    )
    apart = pl.when(past.fill_null(False)).then(pl.col("capex_usd")).otherwise(0.0)
    return planned.with_columns(apart.alias("capex_past_plan_usd")).with_columns(
        pl.col("capex_usd") - pl.col("capex_past_plan_usd")
    )


def past_the_plan_capital(planned: pl.DataFrame, *, end: date | None) -> str:
    """' (+ $X for N orders whose blocks can run only after the plan's end, <end>: ...)' for
    ``planned`` rows read by :func:`past_the_plan`, or '' where none is past it."""
    if end is None or "capex_past_plan_usd" not in planned.columns:
        return ""
    past = planned.filter(pl.col("capex_past_plan_usd") > 0)
    if past.is_empty():
        return ""
    from forecasting.report.format import fmt_usd

    # A split order has a row per site: it is one order.
    n = past.select("region", "pool", "tranche").n_unique()
    whose = "1 order whose blocks" if n == 1 else f"{n:,} orders whose blocks"
    return (
        f" (+ {fmt_usd(float(past['capex_past_plan_usd'].sum()))} for {whose} can run only "
        f"after the plan's end, {fmt_date(end)}: not within the horizon, not in the plan's "
        "totals)"
    )


def with_power(triggers: pl.DataFrame, placements: pl.DataFrame | None) -> pl.DataFrame:
    """``triggers`` with ``powered``: whether each trigger's order has its site's power on
    arrival (null where no placement was stored), ``blocks_waiting``: how many of its
    blocks do not (the rest of an order split on power run on arrival), and those blocks'
    own order-by dates (``waiting_order_by`` to ``waiting_order_by_last``). An order for which no
    site in the plan ever has the power has no ``powered_from`` day, and read as served on
    arrival."""
    if placements is None or placements.is_empty():
        return triggers.with_columns(
            powered=pl.lit(None, pl.Boolean),
            site=pl.lit(None, pl.String),
            blocks_beyond_ceiling=pl.lit(None, pl.Int64),
            runs_from=pl.lit(None, pl.Date),
            blocks_waiting=pl.lit(None, pl.Int64),
            waiting_order_by=pl.lit(None, pl.Date),
            waiting_order_by_last=pl.lit(None, pl.Date),
        )
    first = trigger_placements(placements)
    columns = [
        "powered",
        "site",
        "blocks_beyond_ceiling",
        "runs_from",
        "blocks_waiting",
        "waiting_order_by",
        "waiting_order_by_last",
    ]
    return triggers.join(
        first.select("region", "pool", *columns), on=["region", "pool"], how="left"
    )


def later_orders(placements: pl.DataFrame | None) -> pl.DataFrame:
    """The plan's orders after its triggers' (tranche 2 on), by order-by date; empty where
    there are none or the run did not store them."""
    planned = plan_orders(placements)
    if planned is None:
        return pl.DataFrame(schema=PLACEMENTS_SCHEMA)
    return planned.filter(pl.col("tranche") > 1)


def later_orders_due_first(triggers: pl.DataFrame, placements: pl.DataFrame | None) -> pl.DataFrame:
    """The plan's later orders due before every trigger's order (PLACEMENTS rows by order-by
    date; empty when none): a long-lead block for a later shortfall (a 90-week cell for the
    year after the trigger's racks) can be due before the trigger itself, in several regions
    at once (the demo's cells, due in 13 days in three regions)."""
    # Blocks past every ceiling have no order-by date: never "due first" (read as due, the
    # card took the missing date of a plan whose every order lies past its ceilings).
    later = later_orders(placements).filter(pl.col("order_by").is_not_null())
    first = triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)["order_by"].min()
    return later if first is None else later.filter(pl.col("order_by") < first)


def orders_monthly_only(
    placements: pl.DataFrame, triggers: pl.DataFrame, *, daily_end: date | None, as_of: date | None
) -> pl.DataFrame:
    """``placements`` (PLACEMENTS rows, any tranche) with ``monthly_only``: every order of a
    pool whose trigger is short at the monthly grain only (its ``monthly_only``), and, from
    the first of a pool's later orders whose own shortfall is read on a monthly row a default run
    reads by the day, that order and every one after it: each is sized after the ones before
    it (:func:`~forecasting.triggers.common.monthly_only_from`, the one rule triggers.power
    dates a site's power by). A 28-day run's later orders, sized on months'
    peak days (above any one day's q90), read as measured in orders.csv and the finance
    table while the power triggers called the site's date monthly."""
    flagged = {
        (region, pool): day
        for region, pool, day in triggers.filter(pl.col("monthly_only").fill_null(False))
        .select("region", "pool", "exhaustion_date")
        .iter_rows()
    }
    seams = {
        key: tranche
        for key, (tranche, _day) in monthly_only_from(
            placements, flagged=flagged, daily_end=daily_end, as_of=as_of
        ).items()
    }
    first = pl.DataFrame(
        [(region, pool, tranche) for (region, pool), tranche in seams.items()],
        schema={"region": pl.String, "pool": pl.String, "seam": pl.Int64},
        orient="row",
    )
    own = pl.col("tranche").fill_null(1) >= pl.col("seam")
    return (
        placements.join(first, on=["region", "pool"], how="left", maintain_order="left")
        .with_columns(monthly_only=own.fill_null(False))
        .drop("seam")
    )


def order_by_grain(daily_end: date | None) -> pl.Expr:
    """How to read a trigger's ``order_by``: its exhaustion's grain (:func:`exhaustion_grain`),
    or ``month, not verified at the daily grain`` where the shortfall is on a monthly row
    alone (its ``monthly_only`` field: the monthly rows' date, the earliest a daily shortfall
    could need, which the CSV's order_by column gave as any day's); null without an order-by
    date."""
    return (
        pl.when(pl.col("order_by").is_null())
        .then(None)
        .when(pl.col("monthly_only"))
        .then(pl.lit(f"month, {MONTHLY_ONLY}"))
        .otherwise(exhaustion_grain(daily_end))
    )


def size_note(daily_days: int | None, *, blocks: str = "blocks_to_order") -> pl.Expr:
    """Beside an order's size in the downloads: ``size not verified at the daily grain (the
    daily forecast reaches only N days)`` where its trigger is short at the monthly grain only
    (its ``monthly_only`` field; the demo's us-east/all, 30 racks at 7 days, 89 at 26 weeks,
    where only order_by_grain said it), else null. ``blocks`` names the count column."""
    flagged = pl.col("monthly_only").fill_null(False) & (pl.col(blocks).fill_null(0) > 0)
    return pl.when(flagged).then(pl.lit(size_not_verified(daily_days))).otherwise(None)


def exhaustion_grain(daily_end: date | None) -> pl.Expr:
    """``day`` where ``exhaustion_date`` is within the forecast's daily rows, ``month`` past
    them (the date is then its month's first day and stands for the month), null without one:
    the downloads keep ISO dates for other tools, and this says how to read them."""
    exhausted = pl.col("exhaustion_date")
    within = pl.lit(True) if daily_end is None else exhausted <= daily_end
    return (
        pl.when(exhausted.is_null())
        .then(None)
        .when(within)
        .then(pl.lit("day"))
        .otherwise(pl.lit("month"))
    )


def no_arrival(blocks: str = "blocks") -> pl.Expr:
    """Whether an order (``blocks`` names its count column) lies wholly past its site's
    ceiling: no site can power it, so it has no order-by date and no arrival, only a new
    site's (the stored ``arrives`` is its shortfall's, read as a delivery date)."""
    count = pl.col(blocks).fill_null(0)
    return (
        pl.col("order_by").is_null()
        & (count > 0)
        & (pl.col("blocks_beyond_ceiling").fill_null(0) >= count)
    )


def arrival_shown(blocks: str = "blocks") -> pl.Expr:
    """``arrives`` for the downloads: null on an order wholly past its site's ceiling
    (:func:`no_arrival`)."""
    return pl.when(no_arrival(blocks)).then(None).otherwise(pl.col("arrives")).alias("arrives")


def orders_frame(placements: pl.DataFrame, *, end: date | None) -> pl.DataFrame:
    """Every order of the plan to its end for the ``orders.csv`` download, by order-by date:
    tranche 1 is a trigger's order, later tranches what the plan orders after it. ``end`` is
    the plan's last day (:func:`past_the_plan`)."""
    columns = ["region", "pool", "tranche", "status", "order_by", "arrives", "exhaustion_date",
               "candidate", "blocks", "capex_usd", "mw", "site", "powered",
               "blocks_beyond_ceiling", "capex_new_site_usd", "capex_past_plan_usd",
               "runs_from"]  # fmt: skip
    # capex_usd the blocks the plan can place within the horizon, as the pages total it
    # (split_new_site, past_the_plan).
    frame = past_the_plan(split_new_site(placements), end=end).with_columns(arrival_shown())
    # The blocks its order-by date is for: those under their site's ceiling; none past it,
    # which wait for a new site (the demo's 7 cells at us-east-b read one order-by,
    # 2028-03-14, for the 6 past its ceiling too). Added last: the columns before keep their
    # place.
    beyond = pl.col("blocks_beyond_ceiling").fill_null(0).clip(0, pl.col("blocks"))
    dated = (
        pl.when(pl.col("order_by").is_null())
        .then(0)
        .otherwise(pl.col("blocks") - beyond)
        .cast(pl.Int64)
        .alias("order_by_blocks")
    )
    # An order no site can power has no order-by (a new site is needed): listed last.
    return (
        frame.with_columns(dated)
        .select([*columns, "order_by_blocks"])
        .sort("order_by", "region", "pool", "tranche", nulls_last=True)
    )


def n_plus_one_view(inputs: ReportInputs) -> pl.DataFrame:
    """The N+1 rows (region, block lost, holds, first short day, largest shortfall) with
    ``short_anyway``: the region's first exhaustion without the loss (its triggers'), to read
    the N+1 date against. Stored by every trigger run and shown nowhere: the demo's us-west
    could not lose one 1,024-GPU pod from 2027-01-03, a month out, while its triggers read
    Aug 2027."""
    first = inputs.triggers.group_by("region").agg(
        pl.col("exhaustion_date").min().alias("short_anyway")
    )
    return inputs.n_plus_one.join(first, on="region", how="left").sort("region")


def retiring_line(inputs: ReportInputs) -> str:
    """``retiring: 1 block (512 GPUs) retires by 2027-02-18, within the plan (to ...): ...``:
    the plan's blocks that leave service after the as-of day and by the plan's end ("" when
    none). The triggers count them out of capacity from their retire dates, and only the
    facilities page said so: the terminal of `report` and `run` read a plan resting on a
    retirement with no word of it."""
    end = plan_end(inputs) or daily_end(inputs)
    if end is None:
        return ""
    gone = sorted(
        (b for b in inputs.plan.block if b.retire is not None and inputs.as_of < b.retire <= end),
        key=lambda b: (b.retire or end, b.id),
    )
    if not gone:
        return ""
    gpus = sum(b.gpus for b in gone)
    last = max(b.retire or end for b in gone)
    if len(gone) <= _RETIRING_NAMED:
        named = ", ".join(
            f"{b.id} ({b.region}, {b.gpus:,} {b.gpu_type}) on {b.retire}" for b in gone
        )
    else:
        # A fleet retiring a generation names dozens of racks: per region, the count and span.
        regions: dict[str, list[Block]] = {}
        for b in gone:
            regions.setdefault(b.region, []).append(b)
        named = ", ".join(
            f"{region} {len(bs)} block{'' if len(bs) == 1 else 's'} "
            f"({sum(b.gpus for b in bs):,} GPUs) from "
            f"{bs[0].retire} to {bs[-1].retire}"
            for region, bs in sorted(regions.items())
        )
    blocks, it = ("1 block", "it") if len(gone) == 1 else (f"{len(gone)} blocks", "them")
    verb = "retires" if len(gone) == 1 else "retire"
    when = "then" if len(gone) == 1 else "those days"
    return (
        f"retiring: {blocks} ({gpus:,} GPUs) {verb} by {last}, within the plan (to "
        f"{fmt_date(end)}): {named}; the triggers count {it} out of capacity from {when}"
    )


# Blocks the retiring line names one by one; more are summed per region.
_RETIRING_NAMED = 4


def shortfall_unverified(inputs: ReportInputs) -> tuple[Callable[[date | None], bool], str] | None:
    """Where the run verifies its statuses to a day short of the plan's end
    (:func:`green_verified_to`): whether a shortfall day lies past it (a monthly one's: its
    month's last day) and the words that say why, as the headline's; None otherwise."""
    verified = green_verified_to(inputs)
    bound = _shortfall_bound(inputs)
    end = daily_end(inputs)
    if verified is None or bound is None or end is None:
        return None
    why = _unverified_why(bound)

    def past(short: date | None) -> bool:
        return short is not None and _latest_day(short, daily_end=end) > verified

    return past, why


def n_plus_one_unverified(inputs: ReportInputs) -> Callable[[date | None], bool]:
    """Whether an N+1 table's date lies past the day the run verifies its statuses to (the
    table marks it "not verified", as the CLI's line says it)."""
    said = shortfall_unverified(inputs)
    return said[0] if said is not None else (lambda _: False)


def n_plus_one_lines(inputs: ReportInputs) -> list[str]:
    """One line per region the plan leaves short within the horizon with its largest shared
    block lost, for the CLI: 'n+1: us-west is short from 2027-01-03 if it loses
    us-west-pod-01 (1,024 GPUs); without the loss its first shortfall is Aug 2027'. (Its
    largest shortfall is the growth to the plan's end as much as the loss: the table says so.)"""
    from forecasting.report.format import fmt_day_or_month

    end = daily_end(inputs)
    bound = _shortfall_bound(inputs)
    verified = green_verified_to(inputs)
    own = region_verified_to(inputs) if bound is not None else {}
    lines = []
    for r in n_plus_one_view(inputs).filter(~pl.col("holds")).iter_rows(named=True):
        if r["first_short_date"] is None:
            continue
        short = r["first_short_date"]
        day = fmt_day_or_month(short, daily_end=end)
        anyway = r["short_anyway"]
        monthly = end is not None and anyway is not None and min(short, anyway) > end
        if anyway is None:
            then = "without the loss it is not short within the horizon"
        elif anyway <= inputs.as_of + timedelta(days=1):
            # Short from the first day either way: no day is left to tell what the loss adds.
            then = (
                "short from the first forecast day without the loss too: what losing it adds "
                "is not measured"
            )
        elif monthly and (anyway.year, anyway.month) == (short.year, short.month):
            then = (
                f"the same month without the loss ({fmt_day_or_month(anyway, daily_end=end)}): "
                "at the monthly grain, what losing it adds within the month is not measured"
            )
        elif anyway <= short:
            then = (
                f"no earlier than without the loss ({fmt_day_or_month(anyway, daily_end=end)}): "
                "losing it adds nothing before the triggers' shortfall"
            )
        else:
            then = (
                f"without the loss its first shortfall is {fmt_day_or_month(anyway, daily_end=end)}"
            )
        # Dates past the verified days read plain here while the headline said the same
        # shortfall date was not verified. The day and the marker, as a status cell says
        # them; the ~35-word reason once, in the note after the lines (unverified_note). The
        # day is the region's own where its backtests reach less (region_verified_to).
        limit = own.get(r["region"], verified)
        if limit is not None and end is not None and bound is not None:
            dates = [
                said
                for said, d in (
                    ("the date with the loss", short),
                    ("the date without the loss", anyway),
                )
                if d is not None and _latest_day(d, daily_end=end) > limit
            ]
            past = (
                ""
                if bound.kind == "unmeasured" and r["region"] not in own
                else f" past {fmt_date(limit)}"
            )
            if len(dates) == 2:
                then += f"; both dates{past}: {NOT_VERIFIED}{UNVERIFIED_MARK}"
            elif dates:
                then += f"; {dates[0]}{past}: {NOT_VERIFIED}{UNVERIFIED_MARK}"
        lines.append(
            f"n+1: {r['region']} is short from {day} if it loses {r['largest_block']} "
            f"({r['largest_block_gpus']:,} GPUs); {then}"
        )
    return lines


# run_id is optional in a backtest handed to the report: a run's own scores need no key.
BACKTEST_COLUMNS = frame_schema("backtests")


# How many contracts the forecast run applied: one row, or none when the run did not record it.
BOOK_APPLIED_SCHEMA = pl.Schema({"signed": pl.Int64(), "pipeline": pl.Int64()})


def _empty(schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


_REQUIRED: dict[str, pl.Schema] = {
    "history": DEMAND_SCHEMA,
    "forecast": FORECAST_SCHEMA,
    "forecast_months": FORECAST_MONTHS_SCHEMA,
    "backtest": BACKTEST_COLUMNS,
    "chosen": CHOSEN_SCHEMA,
    "capacity": CAPACITY_TIMELINE_SCHEMA,
    "triggers": TRIGGERS_SCHEMA,
    "drivers": DRIVERS_SCHEMA,
    "idle_risk": IDLE_RISK_SCHEMA,
    "mw_by_site_month": MW_BY_SITE_SCHEMA,
    "power_triggers": POWER_TRIGGERS_SCHEMA,
    "placements": PLACEMENTS_SCHEMA,
    "n_plus_one": N_PLUS_ONE_SCHEMA,
    "horizon_accuracy": HORIZON_ACCURACY_SCHEMA,
    "site_supply": SITE_POWER_MONTHLY_SCHEMA,
    "construction": CONSTRUCTION_SCHEMA,
    "drill_verdicts": DRILL_VERDICTS_SCHEMA,
    "drill_kpis": DRILL_KPIS_SCHEMA,
    "drill_answers": DRILL_ANSWERS_SCHEMA,
    "drill_curves": DRILL_CURVES_SCHEMA,
    "drill_variant_curves": DRILL_VARIANT_CURVES_SCHEMA,
    "drill_rungs": DRILL_RUNGS_SCHEMA,
    "drill_blocks": DRILL_BLOCKS_SCHEMA,
    "drill_kpi_changes": DRILL_KPI_CHANGES_SCHEMA,
    "drills_not_played": DRILLS_NOT_PLAYED_SCHEMA,
    "estimated": ESTIMATED_SCHEMA,
    "concentration": CONCENTRATION_SCHEMA,
    "region_concentration": CONCENTRATION_SCHEMA,
    "previous_triggers": TRIGGERS_SCHEMA,
    "power_changes": POWER_CHANGES_SCHEMA,
    "construction_changes": CONSTRUCTION_CHANGES_SCHEMA,
    "drill_changes": VERDICT_CHANGES_SCHEMA,
    "contracts": CONTRACT_LIST_SCHEMA,
    "contract_finance": FINANCE_SCHEMA,
    "book_concentration": BOOK_CONCENTRATION_SCHEMA,
    "book_applied": BOOK_APPLIED_SCHEMA,
    "pipeline_deals": PIPELINE_SCHEMA,
}


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """Everything one report shows, for one run.

    ``stale_days`` is the age of the newest telemetry in days (None when unknown); the pages
    carry a warning banner when it is above one day. ``previous_triggers`` and
    ``previous_run_id`` are the last run's triggers, for "what changed"; empty on a first run.
    The contract book as known on ``as_of``: ``contracts`` lists it, ``contract_finance``
    sums it per month over the horizon, ``book_concentration`` is what the forecast run
    measured without and with it; ``book_applied`` is how many contracts the run applied
    (one row; none when the run did not record it).
    """

    run_id: str
    as_of: date
    generated_at: datetime
    plan: CapacityPlan
    stale_days: int | None = None
    # Minutes the newest telemetry is stamped after ``generated_at`` (0: not ahead).
    telemetry_ahead_minutes: int = 0
    history: pl.DataFrame = field(default_factory=partial(_empty, DEMAND_SCHEMA))
    forecast: pl.DataFrame = field(default_factory=partial(_empty, FORECAST_SCHEMA))
    # The plan past the daily horizon: each month's peak day, to the plan horizon (may be empty).
    forecast_months: pl.DataFrame = field(default_factory=partial(_empty, FORECAST_MONTHS_SCHEMA))
    backtest: pl.DataFrame = field(default_factory=partial(_empty, BACKTEST_COLUMNS))
    chosen: pl.DataFrame = field(default_factory=partial(_empty, CHOSEN_SCHEMA))
    capacity: pl.DataFrame = field(default_factory=partial(_empty, CAPACITY_TIMELINE_SCHEMA))
    triggers: pl.DataFrame = field(default_factory=partial(_empty, TRIGGERS_SCHEMA))
    drivers: pl.DataFrame = field(default_factory=partial(_empty, DRIVERS_SCHEMA))
    idle_risk: pl.DataFrame = field(default_factory=partial(_empty, IDLE_RISK_SCHEMA))
    mw_by_site_month: pl.DataFrame = field(default_factory=partial(_empty, MW_BY_SITE_SCHEMA))
    power_triggers: pl.DataFrame = field(default_factory=partial(_empty, POWER_TRIGGERS_SCHEMA))
    # Where each order draws its MW and whether that MW is energized by its arrival.
    placements: pl.DataFrame = field(default_factory=partial(_empty, PLACEMENTS_SCHEMA))
    # Per region: does the plan hold with its largest shared block lost (N+1)?
    n_plus_one: pl.DataFrame = field(default_factory=partial(_empty, N_PLUS_ONE_SCHEMA))
    horizon_accuracy: pl.DataFrame = field(default_factory=partial(_empty, HORIZON_ACCURACY_SCHEMA))
    # Customers whose feed looks broken: forecasting.demand.silent_customers (may be empty).
    silent_customers: pl.DataFrame = field(default_factory=pl.DataFrame)
    # Totals whose last days hold estimates, not telemetry (ESTIMATED_SCHEMA; empty on a run
    # stored before migration 39, which did not record them).
    estimated: pl.DataFrame = field(default_factory=partial(_empty, ESTIMATED_SCHEMA))
    # Declared sites' MW energized and contracted by month (empty for a plan without sites).
    site_supply: pl.DataFrame = field(default_factory=partial(_empty, SITE_POWER_MONTHLY_SCHEMA))
    # Per region with sites: when demand passes its sites' ceilings and by when a new site must
    # be started (forecasting.triggers.construction; empty for a plan without sites).
    construction: pl.DataFrame = field(default_factory=partial(_empty, CONSTRUCTION_SCHEMA))
    drill_verdicts: pl.DataFrame = field(default_factory=partial(_empty, DRILL_VERDICTS_SCHEMA))
    drill_kpis: pl.DataFrame = field(default_factory=partial(_empty, DRILL_KPIS_SCHEMA))
    drill_answers: pl.DataFrame = field(default_factory=partial(_empty, DRILL_ANSWERS_SCHEMA))
    drill_curves: pl.DataFrame = field(default_factory=partial(_empty, DRILL_CURVES_SCHEMA))
    drill_variant_curves: pl.DataFrame = field(
        default_factory=partial(_empty, DRILL_VARIANT_CURVES_SCHEMA)
    )
    drill_rungs: pl.DataFrame = field(default_factory=partial(_empty, DRILL_RUNGS_SCHEMA))
    drill_blocks: pl.DataFrame = field(default_factory=partial(_empty, DRILL_BLOCKS_SCHEMA))
    drill_kpi_changes: pl.DataFrame = field(
        default_factory=partial(_empty, DRILL_KPI_CHANGES_SCHEMA)
    )
    drills_not_played: pl.DataFrame = field(
        default_factory=partial(_empty, DRILLS_NOT_PLAYED_SCHEMA)
    )
    # Drills of this forecast run played on another capacity plan, left out of every drill
    # frame above: the sentence the pages and the CLI show ("" when none).
    drills_other_plan: str = ""
    # Named drills with no run on this forecast run where others have one (an interrupted
    # `fleetcast drill`): the drill figures leave them out.
    drills_unplayed: tuple[str, ...] = ()
    # What was ingested after the forecast run was made, and that a new forecast is due
    # (runs.reports.telemetry_since; "" when nothing was).
    telemetry_since: str = ""
    # Where the forecast run was stored before migration 41 and kept no outage windows, the
    # sentence saying its history read every telemetry hour raw (runs.outages_not_known_line;
    # "" when the run recorded them, and its history leaves out the hours it read as outages).
    outages_not_known: str = ""
    # The outage windows trace adapters found at ingest that the run lists (their minutes
    # dropped there, missing), or that they are not known (files ingested or the run stored
    # before migration 43), in words (traces.outages.adapter_outages_text); "" for none.
    adapter_outages: str = ""
    # Regions whose telemetry ran at the plan's ceiling with nothing queued (demand there a
    # floor, censored at capacity) or past the plan's GPUs in service, one sentence each
    # (forecasting.ceiling); the CLI says them with the plan's warnings.
    plan_disagreements: tuple[str, ...] = ()
    # Those hours as forecasting.ceiling.plan_disagreements returns them, read once per run:
    # the CLI's plan warnings word them from here (ReportOutcome.plan_disagreement_rows).
    plan_disagreement_rows: pl.DataFrame = field(
        default_factory=partial(_empty, PLAN_DISAGREEMENTS_SCHEMA)
    )
    # The triggers' safety buffer (ReportOptions.buffer_weeks): a site's power must be
    # contracted this long before its lead time, as the power triggers date it.
    buffer_weeks: int = 4
    # Its part saying the windows are not known (traces.outages.adapter_outages_not_known):
    # a warning of `fleetcast report` too, which said nothing of it; "" where they are known.
    adapter_outages_not_known: str = ""
    # Why the run has no monthly rows, as it stored it (runs.reports.daily_only, the words
    # `forecast` and `status` print); "" where it has them. The pages guessed "too little
    # history (or a daily-only run)".
    daily_only: str = ""
    concentration: pl.DataFrame = field(default_factory=partial(_empty, CONCENTRATION_SCHEMA))
    # The same per region, its ``scope`` the region; ``metric`` adds ``tail_share``
    # (forecasting.concentration.REGION_METRICS).
    region_concentration: pl.DataFrame = field(
        default_factory=partial(_empty, CONCENTRATION_SCHEMA)
    )
    previous_triggers: pl.DataFrame = field(default_factory=partial(_empty, TRIGGERS_SCHEMA))
    previous_run_id: str | None = None
    previous_as_of: date | None = None  # that run's forecast as-of day
    previous_daily_end: date | None = None  # its last daily day (past it, months)
    # Sites whose power status moved since that run (forecasting.changes.power_changes).
    power_changes: pl.DataFrame = field(default_factory=partial(_empty, POWER_CHANGES_SCHEMA))
    # Regions whose new site's start-by, status or run-out day moved since that run
    # (forecasting.changes.construction_changes), and the compared runs that recorded no
    # construction (stored before migration 40: not compared, and the page says so).
    construction_changes: pl.DataFrame = field(
        default_factory=partial(_empty, CONSTRUCTION_CHANGES_SCHEMA)
    )
    construction_not_recorded: tuple[str, ...] = ()
    changed_inputs: tuple[str, ...] = ()  # settings the previous run differs in
    # The fleetcast versions of that run and this one, where they differ
    # (forecasting.changes.RunChanges.versions).
    changed_versions: tuple[str, str] | None = None
    # Series whose stored mean is their sample paths' mean on some days, not the model's point
    # forecast (forecasting.forecast.mean_of_paths_spans: unique_id, days, first, last).
    mean_of_paths: pl.DataFrame = field(default_factory=pl.DataFrame)
    # Reports of this forecast run and settings made before this one and identical to it, that
    # the comparison reached past (forecasting.changes.RunChanges.reruns_skipped).
    reruns_skipped: int = 0
    # Drills whose verdict flipped since that run (forecasting.changes.verdict_changes).
    drill_changes: pl.DataFrame = field(default_factory=partial(_empty, VERDICT_CHANGES_SCHEMA))
    contracts: pl.DataFrame = field(default_factory=partial(_empty, CONTRACT_LIST_SCHEMA))
    contract_finance: pl.DataFrame = field(default_factory=partial(_empty, FINANCE_SCHEMA))
    book_concentration: pl.DataFrame = field(
        default_factory=partial(_empty, BOOK_CONCENTRATION_SCHEMA)
    )
    book_applied: pl.DataFrame = field(default_factory=partial(_empty, BOOK_APPLIED_SCHEMA))
    # Each pipeline deal weighed as if it signed (whatif.pipeline_if_signed).
    pipeline_deals: pl.DataFrame = field(default_factory=partial(_empty, PIPELINE_SCHEMA))
    # Where the telemetry's dates rest on a trace with no calendar (ServeGen), the sentence
    # saying where its day 0 was placed (forecasting.traces.placed_dates_note); "" when the
    # dates are the files' own. The as-of, order-by and stale-age figures count from it.
    placed_dates: str = ""
    # The day of the next scheduled report (settings.next_report_day on FLEETCAST_REPORT_CRON;
    # None: not known, or the run stands on a past as-of date): an order-by before it reads
    # late at that report, so this one says it (text.before_next_report).
    next_report: date | None = None

    def __post_init__(self) -> None:
        # Fail here, naming the frame and columns, rather than deep inside a chart.
        for f in fields(self):
            schema = _REQUIRED.get(f.name)
            if schema is None:
                continue
            frame: pl.DataFrame = getattr(self, f.name)
            if frame.width == 0:
                object.__setattr__(self, f.name, _empty(schema))
                continue
            missing = [c for c in schema.names() if c not in frame.columns]
            if missing:
                raise ValueError(f"ReportInputs.{f.name} lacks columns: {', '.join(missing)}")
            # Only our columns, in our types, so an Int `y` or a String status cannot surprise a
            # chart later; timestamps keep their own zone (a naive UTC ts is as good).
            target: dict[str, pl.DataType] = {
                name: frame.schema[name] if dtype == pl.Datetime else dtype
                for name, dtype in schema.items()
            }
            object.__setattr__(self, f.name, frame.select(schema.names()).cast(pl.Schema(target)))

    @property
    def plan_calibrated(self) -> bool:
        """Whether a decision backtest calibrated the band past the daily days (at 26 weeks):
        not when the history was too short for one, and not when nothing is planned there."""
        from forecasting.horizon import band_calibrated  # pulls scipy: only when asked

        return not self.forecast_months.is_empty() and band_calibrated(self.chosen)

    @property
    def every_order_label(self) -> str:
        """The card label of the plan's capital: said to rest on an uncalibrated band where it
        does (a 120-day fleet's $27.9B read like a figure its backtests stood behind)."""
        if self.forecast_months.height and not self.plan_calibrated:
            return f"{EVERY_ORDER}, on a band no backtest calibrated"
        return EVERY_ORDER

    @property
    def stale(self) -> bool:
        """Whether the telemetry behind this run is more than a day old."""
        return self.stale_days is not None and self.stale_days > 1

    @property
    def worst_status(self) -> str | None:
        """The worst status of the run's block and power triggers (red > amber > green), None
        without triggers: a green order whose site has no power in time is not a green run. A
        site stored "not judged" (no demand measured in its region) has no colour to count."""
        present = set(self.triggers["status"].drop_nulls().to_list()) | set(
            self.power_triggers["status"].drop_nulls().to_list()
        )
        worst = [s for s in STATUSES if s in present]
        return worst[-1] if worst else None
