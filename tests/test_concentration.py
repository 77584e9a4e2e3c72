"""Shares and HHI of forecasting.concentration on hand-built cases with exact answers."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from forecasting import schema
from forecasting.concentration import (
    METRICS,
    concentration,
    concentration_forecast,
    concentration_forecasts,
    concentration_history,
    largest_customer_forecast,
    largest_customer_history,
    path_customers,
)

DAY = date(2024, 1, 1)


def demand(rows: list[tuple[str, str, str, float]]) -> pl.DataFrame:
    """Customer-level mean demand rows (region, class, customer, y) on DAY."""
    return pl.DataFrame(
        {
            "unique_id": [f"total/{r}/{c}/{k}" for r, c, k, _ in rows],
            "ds": [DAY] * len(rows),
            "measure": "mean",
            "y": [y for *_, y in rows],
            "region": [r for r, *_ in rows],
            "workload_class": [c for _, c, *_ in rows],
            "customer": [k for _, _, k, _ in rows],
        },
        schema=schema.DEMAND_SCHEMA,
    )


CASE = demand(
    [
        ("us", "inference", "acme", 30.0),
        ("us", "inference", "globex", 30.0),
        ("us", "inference", "other", 20.0),
        ("eu", "inference", "acme", 20.0),  # same customer in another region: one customer
        ("us", "training", "initech", 100.0),
    ]
)


def metrics(frame: pl.DataFrame, scope: str) -> dict[str, float]:
    return frame.filter(pl.col("workload_class") == scope).row(0, named=True)


def test_shares_and_hhi_per_class_and_overall() -> None:
    """Exact top-1/top-5 shares and HHI (0..10,000) for each class and for 'all'."""
    hist = concentration_history(CASE)
    inference = metrics(hist, "inference")  # acme .5, globex .3, tail .2 -> tail is 1 customer
    assert inference["top1_share"] == pytest.approx(0.5)
    assert inference["top5_share"] == pytest.approx(0.8)
    assert inference["hhi"] == pytest.approx(10_000 * (0.25 + 0.09 + 0.04))
    training = metrics(hist, "training")
    assert training["top1_share"] == 1.0
    assert training["hhi"] == pytest.approx(10_000)
    overall = metrics(hist, "all")  # initech .5, acme .25, globex .15, tail .1
    assert overall["top1_share"] == pytest.approx(0.5)
    assert overall["top5_share"] == pytest.approx(0.9)
    assert overall["hhi"] == pytest.approx(10_000 * (0.25 + 0.0625 + 0.0225 + 0.01))


def test_tail_counts_as_many_small_customers() -> None:
    """A 60 % tail beside a 10 % customer is six customers of 10 %, never the top customer."""
    hist = concentration_history(
        demand(
            [
                ("us", "batch", "acme", 30.0),
                ("us", "batch", "globex", 10.0),
                ("us", "batch", "other", 60.0),
            ]
        )
    )
    batch = metrics(hist, "batch")
    assert batch["top1_share"] == pytest.approx(0.3)
    assert batch["top5_share"] == pytest.approx(0.4)
    assert batch["hhi"] == pytest.approx(10_000 * (0.09 + 0.01 + 0.36 / 6))


def test_scope_without_demand_has_no_concentration() -> None:
    """A class whose customers all show zero demand gets nulls, not a perfect spread."""
    hist = concentration_history(demand([("us", "evaluation", "acme", 0.0)]))
    assert metrics(hist, "evaluation")["hhi"] is None


def test_forecast_quantiles_across_paths() -> None:
    """Forecast concentration is computed per path, then summarised across paths."""
    leaves = CASE.select("unique_id", "y")
    paths = pl.concat(
        [
            leaves.with_columns(ds=pl.lit(DAY), sample_id=pl.lit(0, pl.Int32)),
            # In path 1 initech triples: 300 / 400 of the fleet.
            leaves.with_columns(
                ds=pl.lit(DAY),
                sample_id=pl.lit(1, pl.Int32),
                y=pl.when(pl.col("unique_id").str.ends_with("initech"))
                .then(pl.col("y") * 3)
                .otherwise(pl.col("y")),
            ),
        ]
    ).select(list(schema.PATHS_SCHEMA))
    fc = concentration_forecast(paths, freq="day", quantiles=(0.0, 0.5, 1.0))
    top1 = fc.filter((pl.col("workload_class") == "all") & (pl.col("metric") == "top1_share"))
    assert top1.row(0, named=True) == {
        "workload_class": "all",
        "ds": DAY,
        "metric": "top1_share",
        "q0": pytest.approx(0.5),
        "q50": pytest.approx(0.625),
        "q100": pytest.approx(0.75),
    }


def test_weekly_forecast_averages_days_within_a_week() -> None:
    """Weekly concentration averages each customer's daily total (all regions) over the week."""
    rows = []
    for day, acme in ((1, 10.0), (2, 30.0)):  # 2024-01-01 is a Monday
        for customer, y in (("acme", acme), ("globex", 10.0)):
            rows.append((f"total/us/inference/{customer}", date(2024, 1, day), 0, y))
        # globex runs in a second region too: its regions add up before days are averaged.
        rows.append(("total/eu/inference/globex", date(2024, 1, day), 0, 10.0))
    paths = pl.DataFrame(rows, schema=schema.PATHS_SCHEMA, orient="row")
    fc = concentration_forecast(paths, freq="week", quantiles=(0.5,))
    top1 = fc.filter((pl.col("workload_class") == "inference") & (pl.col("metric") == "top1_share"))
    assert top1["ds"].to_list() == [DAY]
    assert top1["q50"].item() == pytest.approx(0.5)  # acme and globex both average 20


def test_concentration_is_the_same_to_the_bit_whatever_the_row_order() -> None:
    """Sums run in one order whatever order the rows come in: two reports of one run read an
    HHI of 890.7009062601531 and 890.7009062601528."""
    import numpy as np

    rng = np.random.default_rng(7)
    rows = [
        (f"r{i % 3}", "inference" if i % 2 else "training", f"c{i % 40}", float(v))
        for i, v in enumerate(rng.lognormal(3, 1.5, 4000))
    ]
    frame = demand(rows)
    first = concentration_history(frame)
    for seed in range(3):
        shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
        assert concentration_history(shuffled).equals(first)


def test_the_largest_customer_is_the_one_the_top1_share_is_of() -> None:
    """A top-1 share named no customer. The largest named customer per class and overall is
    the one its share is of: a customer's regions add up (acme 30 + 20 beats globex 30), the
    long tail is never it (a 60 % tail beside acme's 30 %), and a scope without demand has
    none."""
    leaders = largest_customer_history(
        pl.concat([CASE, demand([("us", "batch", "other", 60.0), ("us", "batch", "acme", 30.0)])])
    )
    named = {r["workload_class"]: r["customer"] for r in leaders.iter_rows(named=True)}
    assert named == {"inference": "acme", "training": "initech", "batch": "acme", "all": "initech"}
    assert largest_customer_history(demand([("us", "evaluation", "acme", 0.0)])).is_empty()


def test_the_forecast_s_largest_customer_is_read_from_its_weekly_means() -> None:
    """The forecast's leader per week is the customer with the largest mean that week, its
    regions added (globex 10 + 10 in two regions against acme's 10 then 30: acme's week mean
    20 ties globex's 20, the first name wins; a week later globex leads)."""
    rows = []
    for day, acme in ((1, 10.0), (2, 30.0), (8, 5.0)):  # 2024-01-01 and 01-08 are Mondays
        for uid, y in (("us/inference/acme", acme), ("us/inference/globex", 10.0)):
            rows.append((f"total/{uid}", date(2024, 1, day), y))
        rows.append(("total/eu/inference/globex", date(2024, 1, day), 10.0))
    forecast = pl.DataFrame(
        rows, schema={"unique_id": pl.String, "ds": pl.Date, "mean": pl.Float64}, orient="row"
    ).with_columns(measure=pl.lit("mean"))
    leaders = largest_customer_forecast(forecast).filter(pl.col("workload_class") == "inference")
    assert leaders.rows() == [
        ("inference", date(2024, 1, 1), "acme"),
        ("inference", date(2024, 1, 8), "globex"),
    ]


def test_a_region_s_concentration_is_of_every_class_in_it() -> None:
    """Concentration was per class and fleet-wide only, where capacity is bought per region:
    a customer at a modest fleet share can hold most of one region. Per region, a customer's
    classes there are one customer (acme's inference and batch in us), its other regions are
    not counted, and a region of one customer reads 100 % and 10,000, its tail share 0."""
    frame = pl.concat([CASE, demand([("us", "batch", "acme", 40.0)])])
    hist = concentration_history(frame, scope="region")
    us = hist.filter(pl.col("region") == "us").row(0, named=True)
    # us: acme 30 + 40 = 70, globex 30, tail 20, initech 100 of 220.
    assert us["top1_share"] == pytest.approx(100 / 220)
    assert us["top5_share"] == pytest.approx(200 / 220)
    assert us["tail_share"] == pytest.approx(20 / 220)
    shares = [100 / 220, 70 / 220, 30 / 220]  # the tail is one customer of 20 / 220
    assert us["hhi"] == pytest.approx(10_000 * (sum(s**2 for s in shares) + (20 / 220) ** 2))
    eu = hist.filter(pl.col("region") == "eu").row(0, named=True)
    assert (eu["top1_share"], eu["hhi"], eu["tail_share"]) == (1.0, pytest.approx(10_000), 0.0)
    leaders = largest_customer_history(frame, scope="region")
    assert dict(zip(leaders["region"], leaders["customer"], strict=True)) == {
        "eu": "acme",
        "us": "initech",
    }


def test_a_scope_of_the_tail_alone_measures_no_share() -> None:
    """A region (or class) whose demand is all in the long tail read top-1 0 % and HHI 0, a
    perfect spread, where its largest customer is simply not known: its shares and HHI are
    null and its tail share says why."""
    frame = pl.concat([CASE, demand([("ap", "batch", "other", 50.0)])])
    ap = concentration_history(frame, scope="region").filter(pl.col("region") == "ap")
    assert ap.select("top1_share", "top5_share", "hhi", "tail_share").row(0) == (
        None,
        None,
        None,
        1.0,
    )
    batch = concentration_history(frame).filter(pl.col("workload_class") == "batch")
    assert batch.select("top1_share", "hhi").row(0) == (None, None)
    assert (
        largest_customer_history(frame, scope="region").filter(pl.col("region") == "ap").is_empty()
    )


def test_region_forecast_quantiles_across_paths() -> None:
    """Per region, forecast concentration is taken per path and summarised across paths, the
    tail's share with it; the forecast's leader per region is the largest weekly mean."""
    leaves = CASE.select("unique_id", "y")
    paths = pl.concat(
        [
            leaves.with_columns(ds=pl.lit(DAY), sample_id=pl.lit(0, pl.Int32)),
            # In path 1 initech triples: 300 / 380 of us.
            leaves.with_columns(
                ds=pl.lit(DAY),
                sample_id=pl.lit(1, pl.Int32),
                y=pl.when(pl.col("unique_id").str.ends_with("initech"))
                .then(pl.col("y") * 3)
                .otherwise(pl.col("y")),
            ),
        ]
    ).select(list(schema.PATHS_SCHEMA))
    fc = concentration_forecast(paths, freq="day", quantiles=(0.0, 1.0), scope="region")
    us = {
        r["metric"]: (r["q0"], r["q100"])
        for r in fc.filter(pl.col("region") == "us").iter_rows(named=True)
    }
    assert us["top1_share"] == (pytest.approx(100 / 180), pytest.approx(300 / 380))
    assert us["tail_share"] == (pytest.approx(20 / 380), pytest.approx(20 / 180))
    assert set(fc["region"]) == {"us", "eu"}
    forecast = CASE.select(
        "unique_id", pl.col("y").alias("mean"), ds=pl.lit(DAY), measure=pl.lit("mean")
    )
    leaders = largest_customer_forecast(forecast, scope="region")
    assert sorted(leaders.select("region", "customer").rows()) == [
        ("eu", "acme"),
        ("us", "initech"),
    ]


def test_the_report_reads_concentration_per_region_from_the_stored_paths() -> None:
    """The report's inputs held concentration per class and overall only. They now hold it
    per region too, history and forecast (from the stored paths, which hold the contract book
    as the run applied it), the class view unchanged beside it."""
    from forecasting.runs.reports import _concentration

    leaves = CASE.select("unique_id", "y")
    paths = leaves.with_columns(ds=pl.lit(DAY), sample_id=pl.lit(0, pl.Int32)).select(
        list(schema.PATHS_SCHEMA)
    )
    classes, regions = _concentration(CASE, paths)
    assert set(classes["scope"]) == {"overall", "inference", "training"}
    assert set(regions["scope"]) == {"us", "eu"}
    assert set(regions["metric"]) == {"top1_share", "top5_share", "hhi", "tail_share"}
    us = regions.filter((pl.col("scope") == "us") & (pl.col("metric") == "top1_share"))
    assert dict(zip(us["source"], us["value"], strict=True)) == {
        "history": pytest.approx(100 / 180),
        "forecast": pytest.approx(100 / 180),
    }


def test_both_scopes_from_one_pass_read_the_class_view_to_the_bit() -> None:
    """Both scopes are read from one weekly sum per series (the second scope cost 1.6x the
    CPU of the class view alone on the demo fleet's paths): the class view is still the days
    summed over regions, then averaged over the week, to the bit."""
    import numpy as np

    from forecasting.sums import exact_sum

    rng = np.random.default_rng(3)
    ids = [
        f"total/{r}/{k}/c{i}"
        for r in ("us", "eu")
        for k in ("inference", "batch")
        for i in range(4)
    ]
    rows = [
        (uid, date(2024, 1, day), sample, float(rng.lognormal(3, 1)))
        for uid in [*ids, "total/us/batch/other"]
        for day in range(1, 10)  # a whole week and two days of the next
        for sample in range(3)
    ]
    paths = pl.DataFrame(rows, schema=schema.PATHS_SCHEMA, orient="row")
    both = concentration_forecasts(paths)
    days = (
        path_customers(paths)
        .group_by("sample_id", "workload_class", "customer", "ds")
        .agg(exact_sum(pl.col("y")))
        .group_by("sample_id", "workload_class", "customer", pl.col("ds").dt.truncate("1w"))
        .agg(exact_sum(pl.col("y")) / pl.len())
    )
    per_path = concentration(days, by=["sample_id", "ds"])
    reference = (
        per_path.unpivot(
            index=["workload_class", "ds", "sample_id"], on=list(METRICS), variable_name="metric"
        )
        .group_by("workload_class", "ds", "metric")
        .agg(
            pl.col("value").quantile(q, "linear").alias(f"q{round(q * 100)}")
            for q in (0.1, 0.5, 0.9)
        )
        .sort("workload_class", "metric", "ds")
        .collect()
    )
    assert both["workload_class"].equals(reference)
    assert both["region"]["region"].unique().sort().to_list() == ["eu", "us"]
