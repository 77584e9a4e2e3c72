"""Customer concentration: top-1 and top-5 share and the Herfindahl-Hirschman index.

Computed per workload class and over the whole fleet ('all'), and per region (every class
of the region), from history (the demand frame's mean measure at customer level) and from
reconciled sample paths (a distribution per day or week, summarised as q10/q50/q90), so a
report can say how concentration is expected to move over the horizon. Capacity is bought
per region: a customer at 12 % of the fleet can hold 55 % of one region.

Conventions:

- Shares are fractions of the scope's total mean demand (0..1), the tail included.
- HHI is on the 0..10,000 scale: the sum of squared shares in percent (a single customer
  is 10,000; the US DoJ calls a market above 2,500 highly concentrated).
- A customer present in several regions (or, for 'all' and for a region, several classes) is
  one customer: its series are summed before shares are taken.
- The long tail arrives as one series per scope (customer ``other``), but it stands for many
  small customers. It is never a top-1/top-5 candidate, and in the HHI it counts as
  ``k = ceil(tail / smallest)`` equal customers, where ``smallest`` is the share of the
  smallest named customer: the coarsest split in which no tail customer outranks a named one,
  so the tail's term ``tail^2 / k`` is an upper bound on its true contribution (the lower
  bound is 0). With no named customer to compare against (a scope of the tail alone) no
  share is measured: top-1, top-5 and HHI are null, never 0 % (the tail's largest customer
  is not known). ``tail_share`` is the tail's share, so a page can say which it was.
- The tail is folded per class over the fleet, so in one region a tail customer may be
  larger than a named customer there: a region's top-1 is a lower bound where its
  ``tail_share`` exceeds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import polars as pl

from forecasting import hierarchy, schema
from forecasting.sums import exact_sum
from forecasting.text import counted

__all__ = [
    "ALL_CLASSES",
    "METRICS",
    "OTHER",
    "REGION_METRICS",
    "Scope",
    "concentration",
    "concentration_forecast",
    "concentration_forecasts",
    "concentration_history",
    "customer_region_shares",
    "customers_within_top",
    "largest_customer_forecast",
    "largest_customer_history",
    "largest_customers",
    "path_customers",
    "top_is_all_text",
]

OTHER = "other"
ALL_CLASSES = "all"
METRICS: tuple[str, ...] = ("top1_share", "top5_share", "hhi")
# The region view also carries the tail's share: a region can be mostly (or only) tail.
REGION_METRICS: tuple[str, ...] = (*METRICS, "tail_share")
# What a share is of: a workload class (and 'all', every class), or a region (every class).
Scope = Literal["workload_class", "region"]
# Shares (and their squares) are summed to 1 / this: far below any share a page shows.
_SHARE_SCALE = 1e15


def concentration(
    customers: pl.LazyFrame,
    *,
    by: Sequence[str],
    other: str = OTHER,
    scope: Scope = "workload_class",
) -> pl.LazyFrame:
    """Top-1/top-5 share, HHI and the tail's share per group ``by`` of rows (``by``...,
    ``scope``, customer, y; plus workload_class for the class scope's 'all').

    Scopes are the workload classes and 'all' (every class), or with ``scope="region"`` the
    regions (every class of each); ``by`` names the remaining group keys (e.g. ``ds``, or
    ``sample_id`` and ``ds``). Groups with zero total, or with demand in the tail alone, get
    null shares and HHI.
    """
    keys = [*by, scope]
    shares = _shares(customers, by=by, other=other, scope=scope)
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
            tail.alias("tail_share"),
            exact_sum(pl.col("y")).alias("total"),
        )
        .with_columns(
            # A scope with no demand has no concentration, not a perfect spread; one of the
            # tail alone has a largest customer no series names, not a 0 % top-1.
            pl.when((pl.col("total") > 0) & (pl.col("top1_share") > 0))
            .then(pl.col(m))
            .otherwise(None)
            .alias(m)
            for m in METRICS
        )
        .with_columns(
            pl.when(pl.col("total") > 0).then(pl.col("tail_share")).otherwise(None),
        )
        .drop("total")
    )


def _shares(
    customers: pl.LazyFrame, *, by: Sequence[str], other: str, scope: Scope = "workload_class"
) -> pl.LazyFrame:
    """Each customer's share of its scope per group ``by``: by..., scope, customer, y, share,
    is_tail (the long tail's row). The class scope has each class and 'all'; the region
    scope each region, a customer's classes in it summed."""
    keys = [*by, scope]
    per_scope = customers.group_by([*keys, "customer"]).agg(exact_sum(pl.col("y")))
    if scope == "workload_class":
        overall = (
            customers.group_by([*by, "customer"])
            .agg(exact_sum(pl.col("y")))
            .with_columns(pl.lit(ALL_CLASSES).alias("workload_class"))
        )
        rows = pl.concat([per_scope, overall.select(per_scope.collect_schema().names())])
    elif scope == "region":
        rows = per_scope
    else:
        raise ValueError(f"scope must be 'workload_class' or 'region', got {scope!r}")
    return rows.with_columns(
        (pl.col("y") / exact_sum(pl.col("y")).over(keys)).alias("share"),
        (pl.col("customer") == other).alias("is_tail"),
    )


def _metrics(scope: Scope) -> tuple[str, ...]:
    """The metrics a scope's frames carry: the region view adds the tail's share."""
    return REGION_METRICS if scope == "region" else METRICS


def largest_customers(
    customers: pl.LazyFrame,
    *,
    by: Sequence[str],
    other: str = OTHER,
    scope: Scope = "workload_class",
) -> pl.LazyFrame:
    """The named customer with the largest share per group ``by`` and scope, the one a
    top-1 share is of: by..., scope, customer (no row where no named customer has
    demand). Ties go to the first name in order, so the answer does not depend on row order."""
    named = _shares(customers, by=by, other=other, scope=scope).filter(
        ~pl.col("is_tail") & (pl.col("y") > 0)
    )
    return named.group_by([*by, scope]).agg(
        pl.col("customer").sort_by("share", "customer", descending=[True, False]).first()
    )


def _history_customers(demand: pl.DataFrame) -> pl.LazyFrame:
    """Customer-level rows of the mean measure: ds, region, workload_class, customer, y."""
    return (
        demand.lazy()
        .filter(
            (pl.col("measure") == schema.Measure.MEAN.value)
            & pl.col("customer").is_not_null()
            & pl.col("y").is_not_null()
        )
        .select("ds", "region", "workload_class", "customer", "y")
    )


def concentration_history(
    demand: pl.DataFrame, *, other: str = OTHER, scope: Scope = "workload_class"
) -> pl.DataFrame:
    """Daily concentration per class and overall (or per region) from a DEMAND_SCHEMA frame.

    Returns workload_class (or region), ds, top1_share, top5_share, hhi (and, per region,
    tail_share). Days where a customer's telemetry is missing use the customers that were
    observed.
    """
    return (
        concentration(_history_customers(demand), by=["ds"], other=other, scope=scope)
        .select(scope, "ds", *_metrics(scope))
        .sort(scope, "ds")
        .collect()
    )


def customers_within_top(
    demand: pl.DataFrame, *, top: int = 5, other: str = OTHER
) -> dict[str, int]:
    """Per class and overall (``all``), how many customers the history of ``demand``
    (DEMAND_SCHEMA) names, where they are no more than ``top`` and no tail demand is beside
    them: there the top-``top`` share is all of the demand by construction, not a measured
    concentration (the tiny fleet's 2 customers read "top-5 share 100.0% -> 100.0%")."""
    rows = _history_customers(demand).filter(pl.col("y") > 0).collect()
    tail = set(rows.filter(pl.col("customer") == other)["workload_class"].to_list())
    named = rows.filter(pl.col("customer") != other)
    counts = {
        str(cls): int(n)
        for cls, n in named.group_by("workload_class")
        .agg(pl.col("customer").n_unique())
        .iter_rows()
        if n <= top and cls not in tail
    }
    if not tail and 0 < (n := named["customer"].n_unique()) <= top:
        counts[ALL_CLASSES] = n
    return dict(sorted(counts.items()))


def top_is_all_text(customers: int, *, top: int = 5) -> str:
    """How every surface says a top-``top`` share over no more than ``top`` customers and no
    tail (:func:`customers_within_top`): "2 customers: top-5 is all of them". The finance
    table said so and its chart "2 customers: the top-5 customers' share is all of them"."""
    return f"{counted(customers, 'customer')}: top-{top} is all of them"


def largest_customer_history(
    demand: pl.DataFrame, *, other: str = OTHER, scope: Scope = "workload_class"
) -> pl.DataFrame:
    """Per class and overall (or per region), each day's largest named customer (the one its
    top-1 share is of) from a DEMAND_SCHEMA frame: workload_class (or region), ds, customer."""
    return (
        largest_customers(_history_customers(demand), by=["ds"], other=other, scope=scope)
        .select(scope, "ds", "customer")
        .sort(scope, "ds")
        .collect()
    )


def customer_region_shares(demand: pl.DataFrame, *, other: str = OTHER) -> pl.DataFrame:
    """Each named customer's share of each region it has demand in, on that region's last
    history day (every class of the region; the tail in the total) from a DEMAND_SCHEMA
    frame: region, ds, customer, share. A drill of one customer names where it weighs most."""
    rows = _history_customers(demand)
    last = rows.filter(pl.col("ds") == pl.col("ds").max().over("region"))
    return (
        _shares(last, by=["ds"], other=other, scope="region")
        .filter(~pl.col("is_tail") & (pl.col("y") > 0))
        .select("region", "ds", "customer", "share")
        .sort("region", "customer")
        .collect()
    )


def largest_customer_forecast(
    forecast: pl.DataFrame, *, other: str = OTHER, scope: Scope = "workload_class"
) -> pl.DataFrame:
    """Per class and overall (or per region), each week's named customer with the largest
    forecast mean (FORECAST_SCHEMA, mean measure; a week is named by its Monday, as in
    :func:`concentration_forecast`): workload_class (or region), ds, customer. The customer
    the forecast expects to lead, not the one that leads on every path: paths may rank
    customers of similar size either way."""
    days = (
        forecast.lazy()
        .filter(pl.col("measure") == schema.Measure.MEAN.value)
        .select("unique_id", "ds", pl.col("mean").alias("y"))
        .pipe(_bottom_customers)
        .group_by(scope, "customer", "ds")
        .agg(exact_sum(pl.col("y")))
    )
    weeks = days.group_by(scope, "customer", pl.col("ds").dt.truncate("1w")).agg(
        exact_sum(pl.col("y")) / pl.len()
    )
    return (
        largest_customers(weeks, by=["ds"], other=other, scope=scope)
        .select(scope, "ds", "customer")
        .sort(scope, "ds")
        .collect()
    )


def _bottom_customers(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Customer-level rows (unique_id at the bottom of the hierarchy) with region, class and
    customer read from the unique_id; the unique_id dropped."""
    return (
        rows.filter(hierarchy.depth() == hierarchy.BOTTOM_DEPTH)
        .with_columns(
            hierarchy.level(hierarchy.LEVEL_NAMES.index(level)).alias(level)
            for level in ("region", "workload_class", "customer")
        )
        .drop("unique_id")
    )


def path_customers(paths: pl.DataFrame) -> pl.LazyFrame:
    """Customer-level path rows (PATHS_SCHEMA, bottom level) with region, class and customer
    read from the unique_id: sample_id, ds, region, workload_class, customer, y."""
    return (
        paths.lazy()
        .select("unique_id", "sample_id", "ds", "y")
        .pipe(_bottom_customers)
        .select("sample_id", "ds", "region", "workload_class", "customer", "y")
    )


def concentration_forecast(
    paths: pl.DataFrame,
    *,
    freq: Literal["day", "week"] = "week",
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    other: str = OTHER,
    scope: Scope = "workload_class",
) -> pl.DataFrame:
    """Forecast concentration from reconciled sample paths (PATHS_SCHEMA, mean measure).

    Each path is one joint scenario of every customer, so each gives one concentration
    series; the quantiles are taken across paths per class (or region) and day (or week, on
    the mean daily demand of the week starting Monday). Returns workload_class (or region),
    ds, metric and one column per quantile (``q10``...).
    """
    return concentration_forecasts(
        paths, freq=freq, quantiles=quantiles, other=other, scopes=(scope,)
    )[scope]


def concentration_forecasts(
    paths: pl.DataFrame,
    *,
    freq: Literal["day", "week"] = "week",
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    other: str = OTHER,
    scopes: Sequence[Scope] = ("workload_class", "region"),
) -> dict[Scope, pl.DataFrame]:
    """:func:`concentration_forecast` of each of ``scopes``, the paths read once: the ids are
    parsed and each series' week summed once for all scopes (a second scope read the 3.2
    million path rows of the demo fleet again, 1.6x the CPU of the class view alone)."""
    if freq not in ("day", "week"):
        raise ValueError(f"freq must be 'day' or 'week', got {freq!r}")
    rows = path_customers(paths)
    series = ["sample_id", "region", "workload_class", "customer"]
    if freq == "week":
        # Sums to the grid of exact_sum add up to the same bits in any grouping, so a
        # customer's week summed series by series, then over its regions (or classes), is its
        # days summed over them, then over the week. The paths share one grid of days, so a
        # series' days in a week are its group's.
        rows = rows.group_by([*series, pl.col("ds").dt.truncate("1w")]).agg(
            exact_sum(pl.col("y")), pl.len().alias("days")
        )
    shared = rows.collect().lazy() if len(scopes) > 1 else rows
    out: dict[Scope, pl.DataFrame] = {}
    for scope in scopes:
        keys = ["sample_id", scope, "customer", "ds"]
        # A customer's other regions (or classes) are summed per day (or week) first.
        if freq == "week":
            scoped = shared.group_by(keys).agg(exact_sum(pl.col("y")) / pl.col("days").max())
        else:
            scoped = shared.group_by(keys).agg(exact_sum(pl.col("y")))
        per_path = concentration(scoped, by=["sample_id", "ds"], other=other, scope=scope)
        long = per_path.unpivot(
            index=[scope, "ds", "sample_id"],
            on=list(_metrics(scope)),
            variable_name="metric",
            value_name="value",
        )
        out[scope] = (
            long.group_by(scope, "ds", "metric")
            .agg(
                pl.col("value").quantile(q, "linear").alias(schema.quantile_column(q))
                for q in quantiles
            )
            .sort(scope, "metric", "ds")
            .collect()
        )
    return out
