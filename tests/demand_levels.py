"""Demand frames for forecast tests: customers' daily series summed into every level above."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np
import polars as pl


def customers_daily(series: Iterable[tuple[str, str, np.ndarray]], *, as_of: date) -> pl.DataFrame:
    """Customers' rows (unique_id, ds, measure, y) from (unique_id, measure, daily values)
    triples, each series' last value on ``as_of``."""
    return pl.concat(
        pl.DataFrame(
            {
                "unique_id": uid,
                "ds": [as_of - timedelta(days=y.size - 1 - d) for d in range(y.size)],
                "measure": measure,
                "y": y,
            }
        )
        for uid, measure, y in series
    )


def with_every_level(bottom: pl.DataFrame) -> pl.DataFrame:
    """``bottom`` (unique_id of customers, ds, measure, y) with its class, region and total
    summed from it, and the level columns (region, class, customer) of every row."""
    levels = [
        bottom.with_columns(pl.col("unique_id").str.replace(r"/[^/]+$", "")),
        bottom.with_columns(pl.col("unique_id").str.extract(r"^(total/[^/]+)")),
        bottom.with_columns(pl.lit("total").alias("unique_id")),
    ]
    parts = pl.col("unique_id").str.split("/")
    return (
        pl.concat([bottom, *levels])
        .group_by("unique_id", "ds", "measure")
        .agg(pl.col("y").sum())
        .with_columns(
            parts.list.get(1, null_on_oob=True).alias("region"),
            parts.list.get(2, null_on_oob=True).alias("class"),
            parts.list.get(3, null_on_oob=True).alias("customer"),
        )
        .sort("unique_id", "measure", "ds")
    )
