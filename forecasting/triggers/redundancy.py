"""N+1: does each region's plan hold, on every day, with its largest shared block lost?

Per region and day: the largest shared block in service that day (most capacity; ties by id)
is lost; the plan holds N+1 when neither the ``all`` pool nor, for a fabric block, the
``training`` pool then has a requirement above its capacity. The block is chosen per day:
with one block chosen over the whole horizon, a cell committed for month ten stood for every
day, and the months before it, when losing the live pod would leave the region short, were
checked against losing nothing. The block lost is the largest that runs: one standing dark
for want of its site's MW is lost already (losing it again read 625 GPUs short where losing
the rack that ran leaves 125), and the MW a lost block frees power its site's dark blocks
first, as
:meth:`~forecasting.capacity.CapacityPlan.dark_blocks` orders them.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from forecasting.capacity import Block, CapacityPlan, block_timeline
from forecasting.schema import WorkloadClass
from forecasting.triggers.common import N_PLUS_ONE_SCHEMA, TOL, Pool, as_date, block_units

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
    return sorted(shared, key=lambda b: (-block_units(plan, b), b.id))


def _losses(
    blocks: list[Block], plan: CapacityPlan, *, training: bool, start: date, end: date
) -> pl.LazyFrame:
    """(ds, block, units): each day's largest block that runs (in service and powered;
    ``blocks`` largest first), among those that serve the pool (any for ``all``, fabric blocks
    for ``training``), and the capacity its loss takes from the pool: its own, less what the MW
    it frees brings back of its site's dark blocks. A day without one loses nothing."""
    none = pl.LazyFrame(schema={"ds": pl.Date, "block": pl.String, "units": pl.Float64})
    candidates = [b for b in blocks if not training or b.allows(WorkloadClass.TRAINING)]
    if not candidates:
        return none
    rank = {b.id: i for i, b in enumerate(candidates)}
    members = list(rank)
    running = block_timeline(plan, start=start, end=end, powered=True).filter(
        pl.col("block_id").is_in(members)
    )
    chosen = (
        running.with_columns(rank=pl.col("block_id").replace_strict(rank, return_dtype=pl.Int64))
        .sort("ds", "rank")
        .group_by("ds", maintain_order=True)
        .first()
        .select("ds", "block_id")
    )
    by_id = {b.id: b for b in candidates}
    parts = []
    for block_id in chosen["block_id"].unique().sort():
        block = by_id[block_id]
        at_site = pl.col("site") == block.site
        with_it = running.filter(at_site).group_by("ds").agg(units=pl.col("h100e").sum())
        # Without it, its MW may power a block of the site that stood dark.
        without = plan.model_copy(
            update={"block": tuple(b for b in plan.block if b.id != block_id)}
        )
        left = (
            block_timeline(without, start=start, end=end, powered=True)
            .filter(at_site & pl.col("block_id").is_in(members))
            .group_by("ds")
            .agg(left=pl.col("h100e").sum())
        )
        parts.append(
            chosen.filter(pl.col("block_id") == block_id)
            .join(with_it, on="ds", how="left")
            .join(left, on="ds", how="left")
            .select(
                "ds",
                block="block_id",
                units=(pl.col("units").fill_null(0.0) - pl.col("left").fill_null(0.0)).clip(
                    lower_bound=0.0
                ),
            )
        )
    # No block runs on any day (every one dark, or not yet in service): nothing to lose.
    return pl.concat(parts).lazy() if parts else none


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
        start, end = as_date(daily["ds"].min()), as_date(daily["ds"].max())
        blocks = _shared_blocks(plan, region, start=start, end=end)
        if not blocks:
            rows.append((region, None, None, True, None, 0.0))
            continue
        parts = []
        for pool in (Pool.ALL.value, Pool.TRAINING.value):
            losses = _losses(
                blocks, plan, training=pool == Pool.TRAINING.value, start=start, end=end
            )
            parts.append(
                daily.lazy()
                .filter((pl.col("region") == region) & (pl.col("pool") == pool))
                .join(losses, on="ds", how="left")
                .select(
                    "ds",
                    "block",
                    shortfall=pl.col("requirement_gpus")
                    - (pl.col("capacity_gpus") - pl.col("units").fill_null(0.0)),
                )
            )
        short = pl.concat(parts).collect()
        # On the first short day, the loss that leaves the most short is named.
        over = short.filter(pl.col("shortfall") > TOL).sort(
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
                None if over.is_empty() else as_date(over["ds"][0]),
                max(worst, 0.0),
            )
        )
    return pl.DataFrame(rows, schema=N_PLUS_ONE_SCHEMA, orient="row")
