"""N+1: does each region's plan hold with its largest shared block lost?

Per region: the largest shared block (most capacity, in service at some day of the horizon)
is lost on every day it serves; the plan holds N+1 when neither the ``all`` pool nor, for a
fabric block, the ``training`` pool then has a requirement above its capacity.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from forecasting.capacity import Block, CapacityPlan
from forecasting.schema import WorkloadClass
from forecasting.triggers.common import _TOL, N_PLUS_ONE_SCHEMA, Pool, _day, _units

__all__ = ["n_plus_one"]


def _largest_shared_block(
    plan: CapacityPlan, region: str, *, start: date, end: date
) -> Block | None:
    """The region's block with the most capacity in service at some day of [start, end],
    shared (not dedicated to one customer); ties by id."""
    shared = [
        b
        for b in plan.block
        if b.region == region
        and b.dedicated_customer is None
        and (b.in_service is None or b.in_service <= end)
        and (b.retire is None or b.retire > start)
    ]
    return min(shared, key=lambda b: (-_units(plan, b), b.id)) if shared else None


def n_plus_one(daily: pl.DataFrame, plan: CapacityPlan) -> pl.DataFrame:
    """Per region: does the plan hold with its largest shared block lost (N+1)?

    ``daily`` is (region, pool, ds, requirement_gpus, capacity_gpus) as the triggers use it.
    On every day the block is in service its GPUs leave the ``all`` pool, and the ``training``
    pool too when it has a fabric; the plan holds when no pool's requirement (demand at the
    quantile off dedicated blocks, grossed up by headroom) then exceeds what is left.
    """
    rows: list[tuple[object, ...]] = []
    for region in sorted(daily["region"].unique()):
        start, end = _day(daily["ds"].min()), _day(daily["ds"].max())
        block = _largest_shared_block(plan, region, start=start, end=end)
        if block is None:
            rows.append((region, None, None, True, None, 0.0))
            continue
        pools = [Pool.ALL.value] + (
            [Pool.TRAINING.value] if block.allows(WorkloadClass.TRAINING) else []
        )
        in_service = pl.lit(block.in_service is None) | (
            pl.col("ds") >= pl.lit(block.in_service or start)
        )
        if block.retire is not None:
            in_service = in_service & (pl.col("ds") < pl.lit(block.retire))
        lost = pl.when(in_service).then(pl.lit(_units(plan, block))).otherwise(pl.lit(0.0))
        short = daily.filter((pl.col("region") == region) & pl.col("pool").is_in(pools)).select(
            "ds",
            shortfall=pl.col("requirement_gpus") - (pl.col("capacity_gpus") - lost),
        )
        over = short.filter(pl.col("shortfall") > _TOL).sort("ds")
        worst = float(short["shortfall"].to_numpy().max(initial=0.0))
        rows.append(
            (
                region,
                block.id,
                block.gpus,
                over.is_empty(),
                None if over.is_empty() else _day(over["ds"][0]),
                max(worst, 0.0),
            )
        )
    return pl.DataFrame(rows, schema=N_PLUS_ONE_SCHEMA, orient="row")
