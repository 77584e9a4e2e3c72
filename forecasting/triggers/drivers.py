"""What drives each pool's growth: the increase of expected demand by class and customer.

The increase of expected MEAN demand from the first forecast day on or after ``as_of`` to the
exhaustion date (horizon end when the pool never exhausts; 26 weeks on, or the horizon end if
sooner, when it exhausts within four weeks), by class and customer at the
bottom level (class level where a region has no customer series): ``from_gpus`` and
``to_gpus`` are the two means, ``growth_gpus`` their difference and ``share`` each part's
growth over the growth of the pool's parts that grew, so the shares of those sum to 1 (null
for a part that shrank or grew by less than half a GPU, and for all when the pool's parts grew
by less than a negligible amount: see :func:`_share`).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from forecasting.schema import Measure
from forecasting.triggers.common import DRIVERS_SCHEMA
from forecasting.triggers.levels import class_in_pool, levels_at, pool_frame

# A pool short within this many days of the first is read over the days orders are sized for.
_SOON_DAYS = 28
_SIZED_DAYS = 182
# GPUs: a part that grew by less (shown "+0") drives nothing.
GROWTH_FLOOR_GPUS = 0.5
# A pool whose parts grew by less than this share of its first day's demand, or by less than
# one GPU, does not grow: its shares would be of noise.
NEGLIGIBLE_GROWTH = 0.01


def _share() -> pl.Expr:
    """Each part's growth over the growth of its pool's parts that grew; null for a part that
    shrank or grew by less than ``GROWTH_FLOOR_GPUS``, and for every part where the parts that
    grew add less than ``NEGLIGIBLE_GROWTH`` of the pool's first-day demand, or one GPU.

    Over the pool's net growth, a pool whose parts grew and shrank by about as much read
    shares of 350 % and -7,130 % (a 28-day fleet's eu-west): finance asks who adds the demand,
    and a shrinking part's fall is in its growth column. Over any growth at all, a customer
    who had left, 0 -> 0 GPUs, was 42.6 % to 100 % of its pools' growth (0.015 GPUs of it).
    """
    pool = ("region", "pool")
    grew = pl.col("growth_gpus") >= GROWTH_FLOOR_GPUS
    gross = pl.col("growth_gpus").filter(grew).sum().over(pool)
    first = pl.col("from_gpus").clip(lower_bound=0.0).sum().over(pool)
    grows = gross >= pl.max_horizontal(pl.lit(1.0), first * NEGLIGIBLE_GROWTH)
    return pl.when(grew & grows).then(pl.col("growth_gpus") / gross).alias("share")


def _parts(levels: pl.DataFrame) -> pl.LazyFrame:
    """Mean-measure series of the finest level each region has: customers, else classes."""
    bottom = levels_at(levels, depth=3, measure=Measure.MEAN)
    classes = levels_at(levels, depth=2, measure=Measure.MEAN).join(
        bottom.select("region").unique(), on="region", how="anti"
    )
    return pl.concat([bottom, classes]).select(
        "region", "workload_class", "customer", "ds", "until", "mean"
    )


def _covers(day: str) -> pl.Expr:
    """Whether a level row (its days ``ds`` to ``until``) covers the date in column ``day``."""
    return (pl.col("ds") <= pl.col(day)) & (pl.col("until") >= pl.col(day))


def growth_drivers(levels: pl.DataFrame, triggers: pl.DataFrame, *, start: date) -> pl.DataFrame:
    end = pl.lit(levels["until"].max())
    # A pool short within four weeks is short of today's demand, not of growth: read the growth
    # over the span its order is sized for (a Helios pool short on its first day read growth 0
    # for every customer beside a $21.3M order).
    soon = pl.col("exhaustion_date") < pl.lit(start + timedelta(days=_SOON_DAYS))
    windows = triggers.lazy().select(
        "region",
        "pool",
        from_date=pl.lit(start),
        to_date=pl.when(soon)
        .then(pl.min_horizontal(end, pl.lit(start + timedelta(days=_SIZED_DAYS))))
        .otherwise(pl.coalesce("exhaustion_date", end)),
    )
    parts = _parts(levels).join(pool_frame(), how="cross").filter(class_in_pool())
    keys = ["region", "pool", "workload_class", "customer"]
    at = parts.join(windows, on=["region", "pool"])
    first = at.filter(_covers("from_date")).select(*keys, from_mean="mean")
    last = at.filter(_covers("to_date")).select(*keys, "from_date", "to_date", to_mean="mean")
    return (
        last.join(first, on=keys, how="left", nulls_equal=True)
        .with_columns(from_gpus=pl.col("from_mean").fill_null(0.0), to_gpus=pl.col("to_mean"))
        .with_columns(growth_gpus=pl.col("to_gpus") - pl.col("from_gpus"))
        .with_columns(_share())
        .select(DRIVERS_SCHEMA.names())
        # Ties on growth by class and customer, so a rerun stores them in one order.
        .sort(
            ["region", "pool", "growth_gpus", "workload_class", "customer"],
            descending=[False, False, True, False, False],
        )
        .collect()
        .cast(DRIVERS_SCHEMA)
    )
