"""Idle risk: the GPUs of committed blocks that low demand would leave unneeded.

For each committed block: the GPUs that the requirement at ``idle_quantile`` leaves unneeded,
averaged over the ``idle_weeks`` after it enters service (forecast days only). The newest
blocks are the marginal ones: within a pool, committed blocks fill last, the latest
in-service first to stand idle. Shared blocks are judged in the ``all`` pool, or in
``training`` when their ``classes`` restrict them to a list that includes training; dedicated
blocks against their customer's demand (the sum of its class peaks at the quantile, an upper
bound on its peak, so idle GPUs are never overstated). Capital at risk prices idle GPUs at the
per-GPU capex of the cheapest candidate of the same kind and GPU type (the plan holds no capex
for blocks already bought).

A committed block standing dark for want of its site's energized MW
(:meth:`~forecasting.capacity.CapacityPlan.dark_blocks`) is idle for lack of power, not of
demand: it is out of its pool's capacity and out of the stack on those days, and its idleness
is a mean over the days it runs only (its note says how many days it stood dark); dark on
every day judged, it is not judged for demand and is in no idle capital. A committed rack
landing on a site 0.5 MW short read "wholly idle at P10", $16.0M of capital at risk, beside a
power trigger that dated the MW it lacked.
"""

from __future__ import annotations

import math
from datetime import date

import polars as pl

from forecasting.capacity import Block, CapacityPlan, block_timeline, dark_spans
from forecasting.schema import BlockStatus, Measure, WorkloadClass
from forecasting.text import days_count
from forecasting.triggers.common import IDLE_RISK_SCHEMA, Pool, TriggerSettings, weeks_delta
from forecasting.triggers.levels import daily_pools, levels_at


def _idle_pool(block: Block) -> str:
    """The pool a block's idleness is judged in (see the module docstring)."""
    if block.dedicated_customer is not None:
        return f"dedicated:{block.dedicated_customer}"
    if block.classes and block.allows(WorkloadClass.TRAINING):
        return Pool.TRAINING.value
    return Pool.ALL.value


# A dedicated customer's pool: this prefix and the customer's name.
_DEDICATED = "dedicated:"
# Opens the reason, in its note, of a block wholly idle because the pool's low quantile is zero
# on every day judged: its 100 % stands for no demand there, not a lull measured. The row's
# ``no_low_demand`` field says it (the finance page reads that); these words are for the reader.
NO_LOW_DEMAND = "no demand at the low quantile"
# An idle share that reads 100.0 % on the page.
_WHOLLY = 0.9995


def _dedicated_need(
    levels: pl.DataFrame, plan: CapacityPlan, *, column: str, start: date, end: date
) -> pl.LazyFrame:
    """(region, ds, pool, requirement_gpus, capacity_gpus) for each dedicated customer."""
    capacity = (
        block_timeline(plan, start=start, end=end)
        .lazy()
        .filter(pl.col("dedicated_customer").is_not_null())
        .group_by("region", "ds", customer="dedicated_customer")
        .agg(capacity_gpus=pl.col("h100e").sum())
    )
    served = pl.DataFrame(
        [
            (b.region, b.dedicated_customer, c.value)
            for b in plan.block
            if b.dedicated_customer is not None
            for c in WorkloadClass
            if b.allows(c)
        ],
        schema={"region": pl.String, "customer": pl.String, "workload_class": pl.String},
        orient="row",
    ).unique()
    need = (
        levels_at(levels, depth=3, measure=Measure.PEAK)
        .join(served.lazy(), on=["region", "customer", "workload_class"])
        .group_by("region", "ds", "customer")
        .agg(requirement_gpus=pl.col(column).sum())
    )
    return capacity.join(need, on=["region", "ds", "customer"], how="left").select(
        "region",
        "ds",
        "capacity_gpus",
        pool=pl.lit(_DEDICATED) + pl.col("customer"),
        requirement_gpus=pl.col("requirement_gpus").fill_null(0.0),
    )


def _committed(plan: CapacityPlan) -> pl.DataFrame:
    """The committed blocks' IDLE_RISK key columns, plus ``per_gpu``: one GPU's capacity."""
    rows = [
        (
            b.id,
            b.region,
            b.site,
            b.kind.value,
            b.gpu_type,
            b.in_service,
            b.gpus,
            _idle_pool(b),
            plan.h100_equivalent(b.gpu_type),
            b.retire,
        )
        for b in plan.block
        if b.status is BlockStatus.COMMITTED
    ]
    schema = {k: IDLE_RISK_SCHEMA[k] for k in IDLE_RISK_SCHEMA.names()[:8]}
    return pl.DataFrame(
        rows, schema={**schema, "per_gpu": pl.Float64, "retire": pl.Date}, orient="row"
    )


def _dark_days(plan: CapacityPlan, *, start: date, end: date) -> pl.LazyFrame:
    """(block_id, ds, dark): the days a block stands dark for want of its site's MW."""
    return (
        pl.LazyFrame(
            dark_spans(plan, start=start, end=end),
            schema={"block_id": pl.String, "first": pl.Date, "last": pl.Date},
            orient="row",
        )
        .select("block_id", ds=pl.date_ranges("first", "last"), dark=pl.lit(True))
        .explode("ds")
    )


def _dark_note(row: dict[str, object], *, dark_days: int, first: date, weeks: int) -> str:
    """The note of a committed block dark on every day of its window judged (``dark_days``,
    from ``first``): idle for lack of power, not judged for demand."""
    return (
        f"stands dark for want of its site's power ({row['site']}) on all {dark_days} days "
        f"judged of its first {weeks} weeks from {first}: idle for lack of power, not of "
        "demand, so not judged for demand and in no idle capital; the site's power trigger "
        "dates the MW that would run it"
    )


def _marginal_idle() -> pl.Expr:
    """Idle GPUs of a committed block: the pool's excess left after newer committed blocks.

    Rows must be sorted newest in-service first within (region, pool, ds). The stack is in
    capacity units (H100-equivalents with a [gpu_type] table), read back in the block's GPUs.
    """
    units = pl.col("gpus") * pl.col("per_gpu")
    newer = units.cum_sum().over("region", "pool", "ds") - units
    excess = pl.col("capacity_gpus") - pl.col("requirement_gpus") - newer
    return excess.clip(lower_bound=0.0).clip(upper_bound=units) / pl.col("per_gpu")


def _older() -> pl.Expr:
    """Capacity in the pool before a block (live and older committed ones), in capacity
    units; rows sorted as :func:`_marginal_idle` reads them."""
    units = pl.col("gpus") * pl.col("per_gpu")
    return (pl.col("capacity_gpus") - units.cum_sum().over("region", "pool", "ds")).clip(
        lower_bound=0.0
    )


def _wholly_idle(
    row: dict[str, object],
    *,
    need: float,
    need_most: float,
    older: float,
    column: str,
    plan: CapacityPlan,
) -> str:
    """Why a block reads 100 % idle: the capacity before it covers the pool's low quantile
    (a share with no reason read as a fault of the figure), or there is no demand at that
    quantile at all, which is no lull measured."""
    label, days = column.upper().replace("Q", "P"), row["days_judged"]
    if need_most <= 0.0:
        return (
            f"{NO_LOW_DEMAND} in pool {row['pool']} on "
            f"{'the 1 day' if days == 1 else f'any of the {days} days'} judged (its "
            f"{label} forecast is zero): wholly idle for that, not for a lull measured"
        )
    unit = "H100-equivalents" if plan.gpu_type else "GPUs"
    return (
        f"wholly idle at {label}: the {older:,.0f} {unit} in service before it cover the "
        f"pool's {label} requirement (demand plus headroom), {need:,.0f} on average over the "
        f"{days_count(days) if isinstance(days, int) else f'{days} days'} judged"
    )


def _per_gpu_capex(plan: CapacityPlan) -> dict[tuple[str, str], float]:
    """Cheapest capex per GPU by (kind, gpu_type) among the candidates."""
    prices: dict[tuple[str, str], float] = {}
    for c in plan.candidate:
        key = (c.kind.value, c.gpu_type)
        prices[key] = min(prices.get(key, math.inf), c.capex_usd / c.gpus)
    return prices


def _unknown_customer(row: dict[str, object], customers: set[tuple[str, str]]) -> bool:
    """Whether ``row`` is a block dedicated to a customer with no telemetry in its region."""
    pool = str(row["pool"])
    return pool.startswith(_DEDICATED) and (
        (str(row["region"]), pool[len(_DEDICATED) :]) not in customers
    )


def _idle_note(
    row: dict[str, object],
    *,
    priced: bool,
    regions: set[str],
    end: date,
    customers: set[tuple[str, str]],
) -> str:
    if row["region"] not in regions:
        return f"no forecast for region {row['region']}"
    if _unknown_customer(row, customers):
        return (
            f"not measured: its customer {str(row['pool'])[len(_DEDICATED) :]} has no telemetry "
            f"in {row['region']}, so nothing is known of its demand; its idle GPUs and capital "
            "are not estimated and are in no total"
        )
    if row["idle_gpus"] is None:
        return f"enters service after the forecast horizon ({end})"
    parts = [f"judged in pool {row['pool']}"]
    if priced:
        parts.append(f"priced at the cheapest {row['kind']} {row['gpu_type']} candidate per GPU")
    else:
        parts.append(f"no {row['kind']} {row['gpu_type']} candidate to price it")
    return "; ".join(parts)


def idle_risk(
    levels: pl.DataFrame, plan: CapacityPlan, *, settings: TriggerSettings, start: date, end: date
) -> pl.DataFrame:
    committed = _committed(plan)
    if committed.is_empty():
        return pl.DataFrame(schema=IDLE_RISK_SCHEMA)
    column = settings.idle_quantile
    need = pl.concat(
        [
            daily_pools(levels, plan, column=column, start=start, end=end).lazy(),
            _dedicated_need(levels, plan, column=column, start=start, end=end).select(
                "region", "pool", "ds", "requirement_gpus", "capacity_gpus"
            ),
        ]
    )
    days = pl.LazyFrame({"ds": pl.date_range(start, end, interval="1d", eager=True)})
    idle = (
        committed.lazy()
        .join(days, how="cross")
        # In service only: a block retired inside its window stands idle on none of the days
        # after (the pool's capacity no longer holds it).
        .filter(
            (pl.col("ds") >= pl.col("in_service"))
            & (pl.col("retire").is_null() | (pl.col("ds") < pl.col("retire")))
        )
        .join(need, on=["region", "pool", "ds"])
        # A block standing dark is out of its pool's capacity: out of the stack too, idle for
        # lack of power on those days, not of demand.
        .join(_dark_days(plan, start=start, end=end), on=["block_id", "ds"], how="left")
        .with_columns(
            dark=pl.col("dark").fill_null(False),
            gpus=pl.when(pl.col("dark")).then(0).otherwise(pl.col("gpus")),
        )
        # Newer blocks stand idle first: stack them newest in-service first.
        .sort(
            ["region", "pool", "ds", "in_service", "block_id"],
            descending=[*[False] * 3, True, True],
        )
        .with_columns(idle_gpus=_marginal_idle(), older=_older())
        .filter(pl.col("ds") < pl.col("in_service") + weeks_delta(settings.idle_weeks))
        .group_by("block_id")
        .agg(
            pl.col("idle_gpus").filter(~pl.col("dark")).mean(),
            days_judged=(~pl.col("dark")).sum().cast(pl.Int64),
            need=pl.col("requirement_gpus").filter(~pl.col("dark")).mean(),
            need_most=pl.col("requirement_gpus").filter(~pl.col("dark")).max(),
            older=pl.col("older").filter(~pl.col("dark")).mean(),
            dark_days=pl.col("dark").sum().cast(pl.Int64),
            dark_from=pl.col("ds").filter(pl.col("dark")).min(),
        )
    )
    prices = _per_gpu_capex(plan)
    regions = set(levels["region"].drop_nulls().unique())
    customers = set(
        levels.filter(pl.col("depth") == 3).select("region", "customer").unique().iter_rows()
    )
    retires = dict(zip(committed["block_id"], committed["retire"], strict=True))
    rows = []
    for row in (
        committed.lazy()
        .drop("per_gpu", "retire")
        .join(idle, on="block_id", how="left")
        .collect()
        .iter_rows(named=True)
    ):
        price = prices.get((row["kind"], row["gpu_type"]))
        if _unknown_customer(row, customers):
            # Idle for want of data on its customer, not measured idle: a trace's quota file
            # named 25 VCs, its minute file 16, and four blocks read "100 % idle, $3.6M at
            # risk" beside a note saying so.
            row["idle_gpus"] = row["days_judged"] = None
        dark_days, dark_from = row.pop("dark_days") or 0, row.pop("dark_from")
        gpus = row["idle_gpus"]
        row["idle_share"] = None if gpus is None else gpus / row["gpus"]
        row["capex_at_risk_usd"] = None if gpus is None or price is None else gpus * price
        row["note"] = _idle_note(
            row, priced=price is not None, regions=regions, end=end, customers=customers
        )
        need, need_most, older = row.pop("need"), row.pop("need_most"), row.pop("older")
        row["window_days"] = settings.idle_weeks * 7
        if dark_days and row["days_judged"] == 0:
            # Dark on every day judged: no day says what demand would leave of it.
            row["note"] = _dark_note(
                row, dark_days=dark_days, first=dark_from, weeks=settings.idle_weeks
            )
            row["no_low_demand"] = False
            rows.append(row)
            continue
        wholly = row["idle_share"] is not None and row["idle_share"] >= _WHOLLY
        # Decided with the note's words, from the same figure, so the two cannot part.
        row["no_low_demand"] = wholly and need_most <= 0.0
        if wholly:
            row["note"] += "; " + _wholly_idle(
                row, need=need, need_most=need_most, older=older, column=column, plan=plan
            )
        judged, window = row["days_judged"], settings.idle_weeks * 7
        row["window_days"] = window
        if judged is not None and judged < window:
            # A mean over a few days is not the first weeks' idleness it stands for; and a
            # block retired inside its window is judged on its days in service, whatever the
            # forecast's reach (a retirement read as "the forecast ends" 145 days later).
            retire = retires.get(row["block_id"])
            why = (
                f"it retires on {retire}"
                if retire is not None and retire <= end
                else f"the forecast ends on {end}"
            )
            if dark_days:
                dark = (
                    f"it stands dark for want of its site's power ({row['site']}) on "
                    f"{dark_days} of them from {dark_from}, idle for lack of power, not of demand"
                )
                # Dark days and a cut window both: say each.
                why = dark if judged + dark_days >= window else f"{dark}; {why}"
            row["note"] += (
                f"; judged on its first {days_count(judged)} in service only, not {window}: {why}"
            )
        rows.append(row)
    return pl.DataFrame(rows, schema=IDLE_RISK_SCHEMA, orient="row").sort(
        "capex_at_risk_usd", "block_id", descending=[True, False], nulls_last=True
    )
