"""N+1: does each region's plan hold, on every day, with its largest shared block lost?

Per region and day: the largest shared block in service that day (most capacity; ties by id)
is lost; the plan holds N+1 when neither the ``all`` pool nor, for a fabric block, the
``training`` pool then has a requirement above its capacity. The block is chosen per day:
with one block chosen over the whole horizon, a cell committed for month ten stood for every
day, and the months before it, when losing the live pod would leave the region short, were
checked against losing nothing.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from forecasting.capacity import Block, CapacityPlan
from forecasting.schema import WorkloadClass
from forecasting.triggers.common import _TOL, N_PLUS_ONE_SCHEMA, Pool, _day, _units

__all__ = ["n_plus_one"]


def _shared_blocks(plan: CapacityPlan, region: str, *, start: date, end: date) -> list[Block]:
    """The region's blocks in service at some day of [start, end] and shared (not dedicated
    to one customer), largest first, ties by id."""
    shared = [
        b
        for b in plan.block
        if b.region == region
        and b.dedicated_customer is None
        and (b.in_service is None or b.in_service <= end)
        and (b.retire is None or b.retire > start)
    ]
    return sorted(shared, key=lambda b: (-_units(plan, b), b.id))


def _serves(block: Block) -> pl.Expr:
    """Whether ``block`` is in service on the day in column ``ds``."""
    serves = pl.lit(True)
    if block.in_service is not None:
        serves = serves & (pl.col("ds") >= pl.lit(block.in_service))
    if block.retire is not None:
        serves = serves & (pl.col("ds") < pl.lit(block.retire))
    return serves


def _lost(blocks: list[Block], plan: CapacityPlan, *, training: bool) -> tuple[pl.Expr, pl.Expr]:
    """The id and capacity of each day's largest block in service (``blocks`` largest first),
    among those that serve the pool (any for ``all``, fabric blocks for ``training``); a day
    without one loses nothing."""
    candidates = [b for b in blocks if not training or b.allows(WorkloadClass.TRAINING)]
    block_id: pl.Expr = pl.lit(None, pl.String)
    units: pl.Expr = pl.lit(0.0)
    # Smallest first so the largest in service is the last `when` to match, and so wins.
    for block in reversed(candidates):
        serves = _serves(block)
        block_id = pl.when(serves).then(pl.lit(block.id)).otherwise(block_id)
        units = pl.when(serves).then(pl.lit(_units(plan, block))).otherwise(units)
    return block_id, units


def n_plus_one(daily: pl.DataFrame, plan: CapacityPlan) -> pl.DataFrame:
    """Per region: does the plan hold, on every day, with that day's largest shared block lost?

    ``daily`` is (region, pool, ds, requirement_gpus, capacity_gpus) as the triggers use it.
    Each day the largest shared block in service leaves the ``all`` pool, and the ``training``
    pool too when it has a fabric (the training pool loses its own largest fabric block when
    the region's largest has none); the plan holds when no pool's requirement (demand at the
    quantile off dedicated blocks, grossed up by headroom) then exceeds what is left. The
    block named is the one whose loss leaves the most short on the first short day, or, where
    the plan holds, the largest over the horizon.
    """
    rows: list[tuple[object, ...]] = []
    for region in sorted(daily["region"].unique()):
        start, end = _day(daily["ds"].min()), _day(daily["ds"].max())
        blocks = _shared_blocks(plan, region, start=start, end=end)
        if not blocks:
            rows.append((region, None, None, True, None, 0.0))
            continue
        parts = []
        for pool in (Pool.ALL.value, Pool.TRAINING.value):
            block_id, units = _lost(blocks, plan, training=pool == Pool.TRAINING.value)
            parts.append(
                daily.filter((pl.col("region") == region) & (pl.col("pool") == pool)).select(
                    "ds",
                    block=block_id,
                    shortfall=pl.col("requirement_gpus") - (pl.col("capacity_gpus") - units),
                )
            )
        short = pl.concat(parts)
        # On the first short day, the loss that leaves the most short is named.
        over = short.filter(pl.col("shortfall") > _TOL).sort(
            "ds", "shortfall", "block", descending=[False, True, False]
        )
        worst = float(short["shortfall"].to_numpy().max(initial=0.0))
        by_id = {b.id: b for b in blocks}
        # A day short with no shared block in service loses none: the largest is named.
        lost = over["block"][0] if not over.is_empty() else None
        named = by_id.get(lost, blocks[0]) if lost is not None else blocks[0]
        rows.append(
            (
                region,
                named.id,
                named.gpus,
                over.is_empty(),
                None if over.is_empty() else _day(over["ds"][0]),
                max(worst, 0.0),
            )
        )
    return pl.DataFrame(rows, schema=N_PLUS_ONE_SCHEMA, orient="row")
