"""Customer concentration: top-1 and top-5 share and the Herfindahl-Hirschman index.

Computed per workload class and over the whole fleet ('all'), from history (the demand
frame's mean measure at customer level) and from reconciled sample paths (a distribution
per day or week, summarised as q10/q50/q90), so a report can say how concentration is
expected to move over the horizon.

Conventions:

- Shares are fractions of the scope's total mean demand (0..1), the tail included.
- HHI is on the 0..10,000 scale: the sum of squared shares in percent (a single customer
  is 10,000; the US DoJ calls a market above 2,500 highly concentrated).
- A customer present in several regions (or, for 'all', several classes) is one customer:
  its series are summed before shares are taken.
- The long tail arrives as one series per scope (customer ``other``), but it stands for many
  small customers. It is never a top-1/top-5 candidate, and in the HHI it counts as
  ``k = ceil(tail / smallest)`` equal customers, where ``smallest`` is the share of the
  smallest named customer: the coarsest split in which no tail customer outranks a named one,
  so the tail's term ``tail^2 / k`` is an upper bound on its true contribution (the lower
  bound is 0). With no named customer to compare against, the tail contributes 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import polars as pl

from forecasting import hierarchy, schema
from forecasting.sums import exact_sum

__all__ = [
    "ALL_CLASSES",
    "METRICS",
    "OTHER",
    "concentration",
    "concentration_forecast",
    "concentration_history",
    "largest_customer_forecast",
    "largest_customer_history",
    "largest_customers",
]

OTHER = "other"
ALL_CLASSES = "all"
METRICS: tuple[str, ...] = ("top1_share", "top5_share", "hhi")
# Shares (and their squares) are summed to 1 / this: far below any share a page shows.
_SHARE_SCALE = 1e15


def concentration(
    customers: pl.LazyFrame, *, by: Sequence[str], other: str = OTHER
) -> pl.LazyFrame:
    """Top-1/top-5 share and HHI per group ``by`` of rows (``by``..., customer, y).

    Scopes are the workload classes and 'all' (every class); ``by`` names the remaining
    group keys (e.g. ``ds``, or ``sample_id`` and ``ds``). Groups with zero total get nulls.
    """
    keys = [*by, "workload_class"]
    shares = _shares(customers, by=by, other=other)
    named = pl.col("share").filter(~pl.col("is_tail"))
    # One 'other' row per group at most: its sum is that row, in any order.
    tail = pl.col("share").filter(pl.col("is_tail")).sum()
    smallest = named.min()
    tail_customers = (tail / smallest).ceil()
    tail_term = pl.when((smallest > 0) & (tail > 0)).then(tail**2 / tail_customers).otherwise(0.0)
    return (
        shares.group_by(keys)
        .agg(
            named.max().fill_null(0.0).alias("top1_share"),
            exact_sum(named.top_k(5), scale=_SHARE_SCALE).alias("top5_share"),
            (10_000 * (exact_sum(named**2, scale=_SHARE_SCALE) + tail_term)).alias("hhi"),
            exact_sum(pl.col("y")).alias("total"),
        )
        .with_columns(
            # A scope with no demand has no concentration, not a perfect spread.
            pl.when(pl.col("total") > 0).then(pl.col(m)).otherwise(None).alias(m)
            for m in METRICS
        )
        .drop("total")
    )


def _shares(customers: pl.LazyFrame, *, by: Sequence[str], other: str) -> pl.LazyFrame:
    """Each customer's share of its scope (class, and 'all') per group ``by``: by...,
    workload_class, customer, y, share, is_tail (the long tail's row)."""
    keys = [*by, "workload_class"]
    per_class = customers.group_by([*keys, "customer"]).agg(exact_sum(pl.col("y")))
    overall = (
        customers.group_by([*by, "customer"])
        .agg(exact_sum(pl.col("y")))
        .with_columns(pl.lit(ALL_CLASSES).alias("workload_class"))
    )
    rows = pl.concat([per_class, overall.select(per_class.collect_schema().names())])
    return rows.with_columns(
        (pl.col("y") / exact_sum(pl.col("y")).over(keys)).alias("share"),
        (pl.col("customer") == other).alias("is_tail"),
    )


def largest_customers(
    customers: pl.LazyFrame, *, by: Sequence[str], other: str = OTHER
) -> pl.LazyFrame:
    """The named customer with the largest share per group ``by`` and scope, the one a
    top-1 share is of: by..., workload_class, customer (no row where no named customer has
    demand). Ties go to the first name in order, so the answer does not depend on row order."""
    named = _shares(customers, by=by, other=other).filter(~pl.col("is_tail") & (pl.col("y") > 0))
    return named.group_by([*by, "workload_class"]).agg(
        pl.col("customer").sort_by("share", "customer", descending=[True, False]).first()
    )


def _history_customers(demand: pl.DataFrame) -> pl.LazyFrame:
    """Customer-level rows of the mean measure: ds, workload_class, customer, y."""
    return (
        demand.lazy()
        .filter(
            (pl.col("measure") == schema.Measure.MEAN.value)
            & pl.col("customer").is_not_null()
            & pl.col("y").is_not_null()
        )
        .select("ds", "workload_class", "customer", "y")
    )


def concentration_history(demand: pl.DataFrame, *, other: str = OTHER) -> pl.DataFrame:
    """Daily concentration per class and overall from a DEMAND_SCHEMA frame.

    Returns workload_class, ds, top1_share, top5_share, hhi. Days where a customer's
    telemetry is missing use the customers that were observed.
    """
    return (
        concentration(_history_customers(demand), by=["ds"], other=other)
        .select("workload_class", "ds", *METRICS)
        .sort("workload_class", "ds")
        .collect()
    )


def largest_customer_history(demand: pl.DataFrame, *, other: str = OTHER) -> pl.DataFrame:
    """Per class and overall, each day's largest named customer (the one its top-1 share is
    of) from a DEMAND_SCHEMA frame: workload_class, ds, customer."""
    return (
        largest_customers(_history_customers(demand), by=["ds"], other=other)
        .select("workload_class", "ds", "customer")
        .sort("workload_class", "ds")
        .collect()
    )


def largest_customer_forecast(forecast: pl.DataFrame, *, other: str = OTHER) -> pl.DataFrame:
    """Per class and overall, each week's named customer with the largest forecast mean
    (FORECAST_SCHEMA, mean measure; a week is named by its Monday, as in
    :func:`concentration_forecast`): workload_class, ds, customer. The customer the forecast
    expects to lead, not the one that leads on every path: paths may rank customers of
    similar size either way."""
    days = (
        forecast.lazy()
        .filter(pl.col("measure") == schema.Measure.MEAN.value)
        .select("unique_id", "ds", pl.col("mean").alias("y"))
        .pipe(_bottom_customers)
        .group_by("workload_class", "customer", "ds")
        .agg(exact_sum(pl.col("y")))
    )
    weeks = days.group_by("workload_class", "customer", pl.col("ds").dt.truncate("1w")).agg(
        exact_sum(pl.col("y")) / pl.len()
    )
    return (
        largest_customers(weeks, by=["ds"], other=other)
        .select("workload_class", "ds", "customer")
        .sort("workload_class", "ds")
        .collect()
    )


def _bottom_customers(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Customer-level rows (unique_id at the bottom of the hierarchy) with class and customer
    read from the unique_id; the unique_id dropped."""
    return (
        rows.filter(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
        .with_columns(
            hierarchy.level(hierarchy.LEVEL_NAMES.index("workload_class")).alias("workload_class"),
            hierarchy.level(hierarchy.LEVEL_NAMES.index("customer")).alias("customer"),
        )
        .drop("unique_id")
    )


def _path_customers(paths: pl.DataFrame) -> pl.LazyFrame:
    """Customer-level path rows with class and customer read from the unique_id."""
    return (
        paths.lazy()
        .select("unique_id", "sample_id", "ds", "y")
        .pipe(_bottom_customers)
        .select("sample_id", "ds", "workload_class", "customer", "y")
    )


def concentration_forecast(
    paths: pl.DataFrame,
    *,
    freq: Literal["day", "week"] = "week",
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    other: str = OTHER,
) -> pl.DataFrame:
    """Forecast concentration from reconciled sample paths (PATHS_SCHEMA, mean measure).

    Each path is one joint scenario of every customer, so each gives one concentration
    series; the quantiles are taken across paths per class and day (or week, on the mean
    daily demand of the week starting Monday). Returns workload_class, ds, metric and one
    column per quantile (``q10``...).
    """
    keys = ["sample_id", "workload_class", "customer"]
    # A customer's regions are summed per day first; only then are days averaged per week.
    rows = _path_customers(paths).group_by([*keys, "ds"]).agg(exact_sum(pl.col("y")))
    if freq == "week":
        rows = rows.group_by([*keys, pl.col("ds").dt.truncate("1w")]).agg(
            exact_sum(pl.col("y")) / pl.len()
        )
    elif freq != "day":
        raise ValueError(f"freq must be 'day' or 'week', got {freq!r}")
    per_path = concentration(rows, by=["sample_id", "ds"], other=other)
    long = per_path.unpivot(
        index=["workload_class", "ds", "sample_id"],
        on=list(METRICS),
        variable_name="metric",
        value_name="value",
    )
    return (
        long.group_by("workload_class", "ds", "metric")
        .agg(
            pl.col("value").quantile(q, "linear").alias(schema.quantile_column(q))
            for q in quantiles
        )
        .sort("workload_class", "metric", "ds")
        .collect()
    )
