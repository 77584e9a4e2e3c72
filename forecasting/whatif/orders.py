"""The triggers' orders of each pool without and with the deal, and which of them are the deal's
pools."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from forecasting.capacity import NOT_JUDGED, not_judged_in
from forecasting.contracts import Contract
from forecasting.schema import WorkloadClass
from forecasting.triggers import TriggerResult

__all__ = ["ORDERS_SCHEMA", "no_block_type"]

ORDERS_SCHEMA = pl.Schema(
    {
        "region": pl.String(),
        "pool": pl.String(),
        "status_without": pl.String(),
        "status_with": pl.String(),
        "exhaustion_without": pl.Date(),
        "exhaustion_with": pl.Date(),
        "candidate": pl.String(),
        # The trigger's block without the deal, where another (a cell without it, pods with
        # it: "1 -> 4 x pod-h100-1024" read the cell as a pod).
        "candidate_without": pl.String(),
        "order_by_without": pl.Date(),  # the trigger's order-by date without the deal
        "order_by": pl.Date(),
        "arrives": pl.Date(),
        "blocks_without": pl.Int64(),
        "blocks_with": pl.Int64(),
        # Every order of the pool to the plan's end (the trigger's and the later ones).
        "capex_without_usd": pl.Float64(),
        "capex_with_usd": pl.Float64(),
        "extra_capex_usd": pl.Float64(),
        "extra_mw": pl.Float64(),
        "note": pl.String(),
    }
)


USD_TOL = 0.5  # dollars: a pool's capital moves when it moves by more than rounding


def unwatched_orders(orders: pl.DataFrame, region: str) -> pl.DataFrame:
    """``orders`` with ``region``'s statuses not judged where it has no telemetry: weighed on
    zero demand without the deal, and on the deal alone with it (read green "without the
    deal", "q90 requirement stays within capacity" where `report` judges nothing). Red with
    the deal stays red: the region's own demand can only add to it."""
    here = pl.col("region") == region
    red = pl.col("status_with") == "red"
    unknown = f"what {region} already runs is not known"
    reason = (
        pl.when(red)
        .then(pl.lit(f"no telemetry in {region}: {unknown} and can only add to it; "))
        .otherwise(pl.lit(f"{not_judged_in([region])}: {unknown}; "))
    )
    return orders.with_columns(
        status_without=pl.when(here).then(pl.lit(NOT_JUDGED)).otherwise("status_without"),
        status_with=pl.when(here & ~red).then(pl.lit(NOT_JUDGED)).otherwise("status_with"),
        note=pl.when(here)
        .then(
            pl.concat_str(
                reason, pl.lit("on the deal's GPUs alone: "), pl.col("note").fill_null("")
            )
        )
        .otherwise("note"),
    )


def _every_order(result: TriggerResult) -> pl.DataFrame:
    """Per (region, pool): capex and MW of every order of the plan to its end."""
    return result.placements.group_by("region", "pool").agg(
        pl.col("capex_usd").sum().alias("capex_all"), pl.col("mw").sum().alias("mw_all")
    )


def orders_with_and_without(without: TriggerResult, with_: TriggerResult) -> pl.DataFrame:
    """Per (region, pool): status, exhaustion and the trigger's blocks without and with the
    deal, and the capex and MW of every order to the plan's end."""
    cols = ["region", "pool", "status", "exhaustion_date", "order_by", "blocks_to_order",
            "candidate"]  # fmt: skip
    keys = ["region", "pool"]
    joined = (
        with_.triggers.join(without.triggers.select(cols), on=keys, how="left", suffix="_without")
        .join(_every_order(with_), on=keys, how="left")
        .join(_every_order(without), on=keys, how="left", suffix="_without")
        .with_columns(
            pl.col("capex_all", "mw_all", "capex_all_without", "mw_all_without").fill_null(0.0)
        )
    )
    return joined.select(
        "region",
        "pool",
        pl.col("status_without"),
        pl.col("status").alias("status_with"),
        pl.col("exhaustion_date_without").alias("exhaustion_without"),
        pl.col("exhaustion_date").alias("exhaustion_with"),
        "candidate",
        "candidate_without",
        "order_by_without",
        "order_by",
        "arrives",
        pl.col("blocks_to_order_without").fill_null(0).alias("blocks_without"),
        pl.col("blocks_to_order").fill_null(0).alias("blocks_with"),
        pl.col("capex_all_without").alias("capex_without_usd"),
        pl.col("capex_all").alias("capex_with_usd"),
        (pl.col("capex_all") - pl.col("capex_all_without")).alias("extra_capex_usd"),
        (pl.col("mw_all") - pl.col("mw_all_without")).alias("extra_mw"),
        "note",
    ).cast(ORDERS_SCHEMA)


def deal_pools(orders: pl.DataFrame, deal: Contract) -> pl.DataFrame:
    """The ORDERS rows of the pools the deal draws on: its region's all-classes pool, and the
    training pool too for a training deal."""
    region = orders.filter(pl.col("region") == deal.region)
    if deal.workload_class is not WorkloadClass.TRAINING:
        region = region.filter(pl.col("pool") == "all")
    return region


def no_block_type(order: Mapping[str, Any]) -> bool:
    """Whether an ORDERS row is a pool short with the deal that no block type can be ordered
    for: its "$0" of orders re-planned is nothing measured, not nothing to buy (a ServeGen
    training deal's row read "every order re-planned $0" where only racks can be ordered)."""
    return order["candidate"] is None and order["exhaustion_with"] is not None


def unservable_pools(orders: pl.DataFrame, deal: Contract) -> list[str]:
    """The deal's pools ("region pool") short with it that no block type can serve: the blocks
    its own GPUs need there are not measured, and another pool's block is not theirs (a
    training deal read "the blocks its own GPUs need: 9 x rack-c for r2 all", racks that host
    no training)."""
    return [
        f"{r['region']} {r['pool']}"
        for r in deal_pools(orders, deal).iter_rows(named=True)
        if no_block_type(r)
    ]
