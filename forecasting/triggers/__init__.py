"""Expansion triggers: when each region must order its next block, which one, and idle risk.

The decision of DOMAIN.md ("Expansion triggers"), made per region and per *pool* of eligible
capacity, from the chosen forecast (FORECAST_SCHEMA) and the capacity plan. Each rule is
stated in the module that applies it, in the order a run takes them:

- :mod:`~forecasting.triggers.levels`: pools, dedicated blocks, the requirement on a day,
  the monthly grain and demand in H100-equivalents;
- :mod:`~forecasting.triggers.plan`: exhaustion, block choice and status, later orders,
  bridges between GPU generations, and where each order is placed (its docstring states the
  rule; ``orders``, ``sizing``, ``choice``, ``notes``, ``power_waits``, ``rows``, ``later``
  and ``placement`` apply it, in that order of import);
- :mod:`~forecasting.triggers.power`: per site, when more MW must be contracted, and the MW
  per site and month the facilities page charts;
- :mod:`~forecasting.triggers.construction`: per region, when demand passes its sites'
  ceilings and by when a new site must be started (from the placements; not run here);
- :mod:`~forecasting.triggers.drivers`: which classes and customers drive the growth;
- :mod:`~forecasting.triggers.idle`: the GPUs of committed blocks that demand leaves idle;
- :mod:`~forecasting.triggers.redundancy`: whether the plan holds without its largest block
  (N+1);
- :mod:`~forecasting.triggers.common`: the settings, statuses and frames they share.

:func:`expansion_triggers` runs them all; :func:`pool_requirements` gives the daily
requirement and capacity alone (the decision backtest judges observed demand by it).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from forecasting import hierarchy
from forecasting.capacity import CapacityPlan
from forecasting.contracts import book_only_regions
from forecasting.schema import VACANT, Measure, WorkloadClass, book_only_words
from forecasting.triggers.common import (
    DRIVERS_SCHEMA,
    IDLE_RISK_SCHEMA,
    MW_SCHEMA,
    N_PLUS_ONE_SCHEMA,
    PLACEMENTS_SCHEMA,
    POWER_TRIGGERS_SCHEMA,
    TOL,
    TRIGGERS_SCHEMA,
    MonthsNotKnown,
    MonthsRefused,
    Pool,
    Status,
    TriggerResult,
    TriggerSettings,
    as_date,
    daily_only_words,
    months_before,
    trigger_status,
    unshocked_beside_green,
    weeks_delta,
)
from forecasting.triggers.construction import (
    CONSTRUCTION_SCHEMA,
    construction_lines,
    construction_triggers,
    held_not_verified,
    held_unverified,
    new_site_arrival,
    new_site_dates,
    new_site_order_by,
    with_new_site_notes,
)
from forecasting.triggers.drivers import growth_drivers
from forecasting.triggers.idle import idle_risk
from forecasting.triggers.levels import (
    blended_headroom,
    daily_levels,
    daily_pools,
    dark_notes,
    forecast_levels,
    in_h100_equivalents,
)
from forecasting.triggers.plan import MONTHLY_ONLY, trigger_frames
from forecasting.triggers.power import (
    Power,
    mw_by_site_month,
    power_triggers,
    site_orders_by_need,
    unpowered_block_warnings,
)
from forecasting.triggers.redundancy import n_plus_one

__all__ = [
    "CONSTRUCTION_SCHEMA",
    "DRIVERS_SCHEMA",
    "IDLE_RISK_SCHEMA",
    "MONTHLY_ONLY",
    "MW_SCHEMA",
    "N_PLUS_ONE_SCHEMA",
    "PLACEMENTS_SCHEMA",
    "POWER_TRIGGERS_SCHEMA",
    "TRIGGERS_SCHEMA",
    "UNMEASURED_TRAINING",
    "MonthsNotKnown",
    "MonthsRefused",
    "Pool",
    "Status",
    "TriggerResult",
    "TriggerSettings",
    "blended_headroom",
    "construction_lines",
    "construction_triggers",
    "daily_only_words",
    "expansion_triggers",
    "held_not_verified",
    "held_unverified",
    "mw_by_site_month",
    "n_plus_one",
    "new_site_arrival",
    "new_site_dates",
    "new_site_order_by",
    "pool_requirements",
    "site_orders_by_need",
    "trigger_status",
    "unmeasured_sites_regions",
    "unpowered_block_warnings",
    "unshocked_beside_green",
    "with_new_site_notes",
]


def expansion_triggers(
    forecast: pl.DataFrame,
    plan: CapacityPlan,
    *,
    as_of: date,
    settings: TriggerSettings = TriggerSettings(),
) -> TriggerResult:
    """Exhaustion and order-by dates, blocks to order, drivers and idle risk per region and pool.

    ``forecast`` is the chosen forecast (FORECAST_SCHEMA) with region-level, class-level and
    customer-level series of both measures, optionally with a ``grain`` column ('day' or
    'month', see "Monthly grain"); days before ``as_of`` are ignored and the horizon ends on
    its last covered day. The rules are those of the modules the package docstring lists.
    """
    # The median beside the trigger quantile: an order sized far out says what it would be
    # at q50 (sizing.py, "median_size").
    median = "q50" if "q50" in forecast.columns and settings.quantile != "q50" else None
    columns = (settings.quantile, settings.idle_quantile, *([median] if median else []))
    ranged = in_h100_equivalents(
        forecast_levels(forecast, as_of=as_of, columns=columns), plan, as_of=as_of
    )
    levels = daily_levels(ranged, plan)
    start, end = as_date(ranged["ds"].min()), as_date(ranged["until"].max())
    daily = daily_pools(levels, plan, column=settings.quantile, start=start, end=end)
    if median is not None:
        at_median = daily_pools(levels, plan, column=median, start=start, end=end)
        daily = daily.join(
            at_median.select("region", "pool", "ds", requirement_q50="requirement_gpus"),
            on=["region", "pool", "ds"],
            how="left",
        )
    longest = max((c.lead_time_weeks for c in plan.candidate), default=0)
    # To the day power contracted today is energized at the latest site too: an order waiting
    # for it is dated to land then (power_waits.with_its_power), and past the calendar its MW
    # was on no day of its site's power trigger.
    powered = months_before(
        as_of + weeks_delta(settings.buffer_weeks),
        -max((s.power_lead_months for s in plan.site), default=0),
    )
    power = Power.of(
        plan,
        start=start,
        end=max(end, as_of + weeks_delta(longest + settings.buffer_weeks), powered),
    )
    triggers, placements, sized_to = trigger_frames(
        daily, plan, as_of=as_of, settings=settings, power=power, daily_end=daily_end_of(forecast)
    )
    # Every row says whether it rests on no training telemetry at all (orders leaves it unset).
    triggers = triggers.with_columns(unmeasured_training=pl.lit(False), vacant_pool=pl.lit(False))
    if not _class_measured(forecast, WorkloadClass.TRAINING):
        triggers = _unverified_where_class_unmeasured(triggers, plan, end=end)
    homeless = _homeless(ranged, plan, column=settings.quantile, start=start)
    triggers = _led_by(triggers, homeless, pool=Pool.ALL)
    book_only = book_only_regions(forecast)
    # A greenfield site's blocks are not in service yet by nature: no sign of another plan.
    empty = _empty_regions(triggers, plan, as_of=as_of)
    triggers = _led_by(triggers, {r: n for r, n in empty.items() if r not in book_only})
    for pool in Pool:
        triggers = _led_by(triggers, dark_notes(plan, start=start, end=end, pool=pool), pool=pool)
    triggers = _unverified_where_unmeasured(triggers, _unmeasured_regions(forecast), end=end)
    # Last, so it opens every row of the region: whatever else the note says rests on it.
    triggers = _led_by(triggers, {r: book_only_words(r) for r in book_only})
    return TriggerResult(
        triggers=triggers,
        drivers=growth_drivers(ranged, triggers, start=start),
        idle_risk=idle_risk(levels, plan, settings=settings, start=start, end=end),
        n_plus_one=n_plus_one(daily, plan),
        power=power_triggers(
            plan,
            placements,
            as_of=as_of,
            end=end if power is None else power.end,
            buffer_weeks=settings.buffer_weeks,
            forecast_end=end,
            monthly_pools={
                (region, pool): day
                for region, pool, day in triggers.filter(pl.col("monthly_only"))
                .select("region", "pool", "exhaustion_date")
                .iter_rows()
            },
            daily_end=daily_end_of(forecast),
            unmeasured=unmeasured_sites_regions(forecast, plan),
        ),
        placements=placements,
        sized_to=sized_to,
    )


def _homeless(
    levels: pl.DataFrame, plan: CapacityPlan, *, column: str, start: date
) -> dict[str, str]:
    """Per region, the classes with demand that no block of the region hosts, as a note: such
    a class is short there from its first day of demand (``start``, the first forecast day,
    as a rule), for certain. Where the region has other blocks, the pool counts that demand
    against blocks it cannot run on (a plan whose blocks all left batch out ordered exactly
    as one that hosts it), so the pool's dates are not verified; where it has none, the pool
    has no capacity and its dates are as certain as the class's."""
    demand = (
        levels.filter(
            (pl.col("depth") == 2)
            & (pl.col("measure") == Measure.PEAK.value)
            & (pl.col(column) > TOL)
        )
        .group_by("region", "workload_class")
        .agg(pl.col(column).max().alias("most"), pl.col("ds").min().alias("first"))
        .sort("region", "workload_class")
    )
    notes: dict[str, list[str]] = {}
    for r in demand.iter_rows(named=True):
        cls = WorkloadClass(r["workload_class"])
        if cls is WorkloadClass.TRAINING:
            continue  # the training pool counts it against fabric blocks, and orders them
        hosted = any(b.region == r["region"] and b.allows(cls) for b in plan.block)
        if not hosted:
            first = as_date(r["first"])
            since = (
                f"the first forecast day ({start})"
                if first <= start
                else f"{first} (no {cls.value} demand before it)"
            )
            notes.setdefault(r["region"], []).append(
                f"{cls.value} demand (up to {r['most']:,.0f} GPUs at {column}) has no block in "
                f"{r['region']} that hosts {cls.value}: {r['region']} is short of it from "
                f"{since}, no capacity being planned for that demand"
            )
    blocked = {b.region for b in plan.block}
    return {
        region: "; ".join(found)
        + (
            "; this pool counts that demand against blocks it cannot run on, so this pool's "
            "dates are not verified"
            if region in blocked
            else ""
        )
        for region, found in notes.items()
    }


def _led_by(
    triggers: pl.DataFrame, notes: dict[str, str], *, pool: Pool | None = None
) -> pl.DataFrame:
    """Each region's trigger notes (``pool``'s only, when given) led by ``notes[region]``."""
    if not notes:
        return triggers
    lead = pl.col("region").replace_strict(notes, default=None, return_dtype=pl.String)
    skip = lead.is_null() if pool is None else (pl.col("pool") != pool.value) | lead.is_null()
    return triggers.with_columns(
        note=pl.when(skip)
        .then(pl.col("note"))
        .when(pl.col("note").is_null())
        .then(lead)
        .otherwise(pl.concat_str(lead, pl.lit("; "), pl.col("note")))
    )


def _empty_regions(triggers: pl.DataFrame, plan: CapacityPlan, *, as_of: date) -> dict[str, str]:
    """Per region with no block in service on ``as_of``, a note saying so and when its first
    block enters service: a plan whose blocks all start years after the telemetry (a sample
    plan on an old trace) read red with an order-by date years past, and nothing said the
    plan was not the fleet's."""
    notes = {}
    for region in sorted(triggers["region"].unique()):
        blocks = [b for b in plan.block if b.region == region]
        if any(b.in_service_on(as_of) for b in blocks):
            continue
        starts = sorted(b.in_service for b in blocks if b.in_service is not None)
        first = f"its first block enters service {starts[0]}" if starts else "it has no block"
        notes[region] = (
            f"no block of the plan is in service in {region} on {as_of} ({first}): check that "
            "the plan is this fleet's"
        )
    return notes


def _unmeasured_regions(forecast: pl.DataFrame) -> set[str]:
    """The regions forecast as zero for want of one observed day (the forecast's ``zero``
    fallback on every row of the region's own series)."""
    if "model" not in forecast.columns:
        return set()
    regions = (
        forecast.filter(hierarchy.depth() == 1)
        .group_by(region=hierarchy.level(1))
        .agg(zero=(pl.col("model") == "zero").all())
        .filter("zero")
    )
    return set(regions["region"].to_list())


def unmeasured_sites_regions(forecast: pl.DataFrame, plan: CapacityPlan) -> dict[str, str]:
    """The regions of the plan's sites no demand was measured in, each with why: no telemetry
    (no series of the region in ``forecast``), or not one complete day of it. Their power
    triggers judge the plan's own blocks alone (forecasting.triggers.power), and where their
    sites' ceilings hold, so do their construction rows (:func:`construction_triggers`)."""
    forecast_regions = set(
        forecast.filter(hierarchy.depth() == 1).select(hierarchy.level(1)).to_series().to_list()
    )
    zero = _unmeasured_regions(forecast)
    why: dict[str, str] = {}
    for region in sorted({s.region for s in plan.site}):
        if region not in forecast_regions:
            why[region] = f"no telemetry in {region}"
        elif region in zero:
            why[region] = "not one complete day of telemetry"
    return why


def _unverified_where_unmeasured(
    triggers: pl.DataFrame, regions: set[str], *, end: date
) -> pl.DataFrame:
    """The green rows of ``regions`` say that no demand was measured there: a one-hour Azure
    trace's triggers.csv read "green, 0.0 GPUs short, no all demand in the forecast through
    2023-11-30" where the terminal and the pages said its green was not verified."""
    if not regions:
        return triggers
    unmeasured = pl.col("region").is_in(sorted(regions)) & (pl.col("status") == Status.GREEN.value)
    note = pl.format(
        "no demand measured in {}: not one complete day of telemetry, so its forecast is zero "
        "through {}; this green is not verified",
        "region",
        pl.lit(str(end)),
    )
    return _said_unmeasured(triggers, unmeasured, note, training=False)


def _said_unmeasured(
    triggers: pl.DataFrame, rows: pl.Expr, note: pl.Expr, *, training: bool
) -> pl.DataFrame:
    """``triggers`` with the green ``rows`` reading ``note`` and no shortfall figure: nothing
    was measured there, so the note gives no reach to verify the green to either. Their
    ``unmeasured_training`` is ``training``: whether the note says no training demand was
    measured anywhere (a region's own note replaces it)."""
    return triggers.with_columns(
        note=pl.when(rows).then(note).otherwise(pl.col("note")),
        max_shortfall_gpus=pl.when(rows).then(None).otherwise(pl.col("max_shortfall_gpus")),
        unverified_green=~rows & pl.col("unverified_green"),
        unmeasured_training=pl.when(rows)
        .then(pl.lit(training))
        .otherwise(pl.col("unmeasured_training")),
    )


# Opens the note of a training pool's green where no training demand was measured anywhere; the
# row's ``unmeasured_training`` field says it, which the report reads to say "not verified".
UNMEASURED_TRAINING = "no training demand measured in any region"


def _class_measured(forecast: pl.DataFrame, cls: WorkloadClass) -> bool:
    """Whether some region's ``cls`` series holds measured demand: a row of the class level
    that is neither the forecast's ``zero`` fallback nor a what-if's padding for a region
    without telemetry (its ``model`` reads "none: ...")."""
    rows = forecast.filter((hierarchy.depth() == 2) & (hierarchy.level(2) == cls.value))
    if "model" in rows.columns:
        rows = rows.filter((pl.col("model") != "zero") & ~pl.col("model").str.starts_with("none"))
    return not rows.is_empty()


def _unverified_where_class_unmeasured(
    triggers: pl.DataFrame, plan: CapacityPlan, *, end: date
) -> pl.DataFrame:
    """The green training pools of regions whose blocks host training say that no training
    demand was measured anywhere: a fleet whose telemetry dropped every training row read
    green "no training demand in the forecast through 2030-01-31" in every region, beside
    fabric pods reserved for it, where a region missing from telemetry reads not judged. A
    class gone from the whole feed may be a gap, not a measured zero. The training pools of
    regions without such blocks (an inference-only fleet) have neither demand nor capacity:
    they read green "no training demand in the forecast", zero against zero, and say now that
    they are not judged, as a region with neither does. Before the notes that lead a region's
    rows (no block in service, demand no block hosts), which still lead."""
    hosts = sorted({b.region for b in plan.block if b.allows(WorkloadClass.TRAINING)})
    training = (pl.col("pool") == Pool.TRAINING.value) & (pl.col("status") == Status.GREEN.value)
    hosted = pl.col("region").is_in(hosts)
    note = (
        pl.when(hosted)
        .then(
            pl.format(
                "{}: the telemetry holds no training row at all, though the plan has blocks in "
                "{} that host training, and a feed that lost them reads the same as a fleet "
                "without training, so its forecast is zero through {}; this green is not "
                "verified",
                pl.lit(UNMEASURED_TRAINING),
                "region",
                pl.lit(str(end)),
            )
        )
        # An inference-only fleet's training pool: zero demand against zero capacity read
        # green ("no training demand in the forecast") where a region with neither reads
        # "no capacity planned, no demand measured": the pool is not judged.
        .otherwise(
            pl.format(
                "{}, and {} plans no block that hosts training: {} (zero demand against "
                "zero capacity through {}), so this pool is not judged",
                pl.lit(UNMEASURED_TRAINING),
                "region",
                pl.lit(VACANT),
                pl.lit(str(end)),
            )
        )
    )
    said = _said_unmeasured(triggers, training, note, training=True)
    # Zero demand against zero capacity: vacant, which the pages say in VACANT's words.
    return said.with_columns(vacant_pool=training & ~hosted)


def daily_end_of(forecast: pl.DataFrame) -> date | None:
    """The last day of the forecast's daily rows where monthly rows follow them (past it a
    date stands for its month); else None."""
    if "grain" not in forecast.columns or not (forecast["grain"] == "month").any():
        return None
    days = forecast.filter(pl.col("grain") == "day")["ds"]
    return None if days.is_empty() else as_date(days.max())


def pool_requirements(
    frame: pl.DataFrame, plan: CapacityPlan, *, as_of: date, column: str
) -> pl.DataFrame:
    """(region, pool, ds, requirement_gpus, capacity_gpus) from ``as_of`` to the frame's end.

    The requirement and capacity the triggers compare, by the rules of
    :mod:`~forecasting.triggers.levels`, read off ``column`` of ``frame`` (FORECAST_SCHEMA-like:
    unique_id, ds, measure, mean and ``column``). A decision backtest passes observed demand as
    ``column`` to date when the fleet really ran short by the same rule the triggers forecast
    it with.
    """
    ranged = in_h100_equivalents(
        forecast_levels(frame, as_of=as_of, columns=(column,)), plan, as_of=as_of
    )
    levels = daily_levels(ranged, plan)
    start, end = as_date(ranged["ds"].min()), as_date(ranged["until"].max())
    return daily_pools(levels, plan, column=column, start=start, end=end)
