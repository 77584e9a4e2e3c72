"""Demand series: served + queued, levels, peaks of aggregates, outages as missing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from forecasting.demand import OTHER, demand_series, outage_hours, stray_regions

START = datetime(2025, 1, 1, tzinfo=UTC)


def hourly(rows: list[tuple[int, str, str, str, float]]) -> pl.DataFrame:
    """Hourly demand rows from (hour offset, region, class, customer, GPUs)."""
    return pl.DataFrame(
        [(START + timedelta(hours=h), r, c, k, y) for h, r, c, k, y in rows],
        schema={
            "ts": pl.Datetime("us", "UTC"),
            "region": pl.String,
            "workload_class": pl.String,
            "customer": pl.String,
            "y": pl.Float64,
        },
        orient="row",
    )


def value(series: pl.DataFrame, uid: str, day: date, measure: str) -> float | None:
    return series.filter(
        (pl.col("unique_id") == uid) & (pl.col("ds") == day) & (pl.col("measure") == measure)
    ).item(0, "y")


def two_customers(days: int = 2) -> pl.DataFrame:
    """Customer a peaks at 10:00, customer b at 20:00, in one region."""
    rows = []
    for h in range(24 * days):
        rows.append((h, "eu", "inference", "a", 100.0 if h % 24 == 10 else 10.0))
        rows.append((h, "eu", "inference", "b", 50.0 if h % 24 == 20 else 5.0))
    return hourly(rows)


def test_levels_and_ids_follow_the_hierarchy() -> None:
    """Every level from total to customer is present with path-like unique_ids."""
    series = demand_series(two_customers())
    ids = set(series.get_column("unique_id"))
    assert ids == {
        "total",
        "total/eu",
        "total/eu/inference",
        "total/eu/inference/a",
        "total/eu/inference/b",
    }


def test_peak_of_an_aggregate_is_its_own_peak_hour_not_a_sum_of_peaks() -> None:
    """Peaks at different hours do not add: the class peak is max of the summed hours."""
    series = demand_series(two_customers())
    day = date(2025, 1, 1)
    assert value(series, "total/eu/inference/a", day, "peak") == 100.0
    assert value(series, "total/eu/inference/b", day, "peak") == 50.0
    assert value(series, "total/eu/inference", day, "peak") == 105.0


def test_means_add_up_across_levels() -> None:
    """Daily means are coherent: children sum to their parent."""
    series = demand_series(two_customers())
    day = date(2025, 1, 1)
    a = value(series, "total/eu/inference/a", day, "mean")
    b = value(series, "total/eu/inference/b", day, "mean")
    assert a == pytest.approx((23 * 10 + 100) / 24)
    assert value(series, "total", day, "mean") == pytest.approx(a + b)


def test_small_customers_fold_into_other() -> None:
    """Beyond the top customers of a class, customers are summed into 'other'."""
    rows = [(h, "eu", "batch", f"c{i}", float(10 - i)) for h in range(48) for i in range(5)]
    series = demand_series(hourly(rows), customers_per_class=2)
    customers = set(series.filter(pl.col("customer").is_not_null()).get_column("customer"))
    assert customers == {"c0", "c1", OTHER}
    assert value(series, f"total/eu/batch/{OTHER}", date(2025, 1, 1), "mean") == pytest.approx(
        8 + 7 + 6
    )


def test_outage_hours_are_missing_not_zero() -> None:
    """A region with a gap in its rows gets null days, and so does the total; zeros stay zeros."""
    rows = []
    for h in range(72):
        day, hour = divmod(h, 24)
        rows.append((h, "us", "inference", "a", 20.0))
        if day == 1 and hour < 6:
            continue  # eu rows missing: an outage
        zero = day == 2 and hour < 5
        rows.append((h, "eu", "inference", "a", 0.0 if zero else 10.0))
    frame = hourly(rows)
    series = demand_series(frame, min_hours_per_day=20)
    assert value(series, "total/eu", date(2025, 1, 2), "mean") is None
    assert value(series, "total/eu", date(2025, 1, 2), "peak") is None
    assert value(series, "total", date(2025, 1, 2), "mean") is None
    # Five hours of rows reading zero are zero demand, not missing: day 3 is whole.
    assert value(series, "total/eu", date(2025, 1, 3), "mean") == pytest.approx(19 * 10 / 24)
    assert value(series, "total/us", date(2025, 1, 2), "mean") == 20.0
    assert outage_hours(frame).height == 6


def test_zero_is_outage_restores_the_older_rule() -> None:
    """With zero_is_outage, all-zero hours are missing: 19 hours on day 3 fall below 20."""
    rows = [(h, "eu", "inference", "a", 0.0 if 48 <= h < 53 else 10.0) for h in range(72)]
    frame = hourly(rows)
    series = demand_series(frame, min_hours_per_day=20, zero_is_outage=True)
    assert value(series, "total/eu", date(2025, 1, 3), "mean") is None
    assert outage_hours(frame, zero_is_outage=True).height == 5
    assert outage_hours(frame).is_empty()


def test_idle_at_night_serving_region_has_zero_hours_and_nothing_missing() -> None:
    """A small serving region idle from 00:00 to 07:00 and sub-GPU by day: every day is whole.

    Under the older rule (all-zero hours are outages) every day had 17 present hours and was
    null, which stopped `fleetcast forecast`; zeros with rows are zero demand.
    """
    rows = []
    for h in range(24 * 16):
        hour = h % 24
        rows.append((h, "small", "inference", "acme", 0.0 if hour < 7 else 0.01 * (1 + hour % 5)))
        rows.append((h, "small", "inference", "tiny", 0.0 if hour < 7 or hour % 3 else 0.2))
    frame = hourly(rows)
    series = demand_series(frame)
    assert series["y"].null_count() == 0
    assert outage_hours(frame).is_empty()
    region = series.filter((pl.col("unique_id") == "total/small") & (pl.col("measure") == "mean"))
    assert region.height == 16 and region["y"].min() > 0  # type: ignore[operator]
    old = demand_series(frame, zero_is_outage=True)
    assert old.filter(pl.col("unique_id") == "total/small")["y"].null_count() == 32


def test_gap_inside_a_region_is_missing_but_its_edges_are_not_outages() -> None:
    """Hours before a region's first row are not outages; a gap between rows is."""
    rows = [(h, "eu", "inference", "a", 5.0) for h in range(48) if not 30 <= h < 36]
    rows += [(h, "us", "inference", "a", 5.0) for h in range(10, 48)]
    frame = hourly(rows)
    gaps = outage_hours(frame)
    assert gaps["region"].to_list() == ["eu"] * 6
    assert gaps["ts"].min() == START + timedelta(hours=30)
    series = demand_series(frame, min_hours_per_day=20)
    assert value(series, "total/eu", date(2025, 1, 1), "mean") == 5.0
    assert value(series, "total/eu", date(2025, 1, 2), "mean") is None  # 18 hours < 20
    # us began at 10:00: 14 hours on its first day is a partial day, null but not an outage.
    assert value(series, "total/us", date(2025, 1, 1), "mean") is None
    assert value(series, "total/us", date(2025, 1, 2), "mean") == 5.0


def test_outage_windows_mark_hours_missing_even_with_rows() -> None:
    """A calendar window makes the hours it overlaps missing for its region only."""
    rows = [(h, r, "inference", "a", 0.0 if 26 <= h < 31 else 8.0) for h in range(48) for r in "ab"]
    frame = hourly(rows)
    windows = pl.DataFrame(
        {
            "region": ["a"],
            "start": [START + timedelta(hours=26)],
            "end": [START + timedelta(hours=30, minutes=30)],
            "reason": ["collector wrote zeros"],
        }
    )
    gaps = outage_hours(frame, outages=windows)
    assert gaps["region"].to_list() == ["a"] * 5
    series = demand_series(frame, outages=windows, min_hours_per_day=18)
    # The mean is over the 19 hours left, so the zeros the collector wrote do not pull it down.
    assert value(series, "total/a", date(2025, 1, 2), "mean") == pytest.approx(8.0)
    assert demand_series(frame, outages=windows)["y"].null_count() > 0  # 19 < 20 hours
    assert value(series, "total/b", date(2025, 1, 2), "mean") == pytest.approx(19 * 8 / 24)
    every = windows.with_columns(pl.lit(None, pl.String).alias("region"))
    assert outage_hours(frame, outages=every).height == 10


def test_outage_windows_without_start_or_end_are_refused() -> None:
    """A window frame must say when: the error names the missing columns and the fix."""
    with pytest.raises(ValueError, match=r"lack columns \['end'\]"):
        demand_series(two_customers(), outages=pl.DataFrame({"start": [START]}))


def test_partial_day_above_the_threshold_keeps_its_mean_over_present_hours() -> None:
    """A two-hour outage leaves the day's mean computed over the hours that were seen."""
    rows = [
        (h, "eu", "inference", "a", 10.0 + (h % 24)) for h in range(48) if not 24 + 3 <= h < 24 + 5
    ]
    series = demand_series(hourly(rows), min_hours_per_day=20)
    present = [10.0 + h for h in range(24) if not 3 <= h < 5]
    assert value(series, "total/eu", date(2025, 1, 2), "mean") == pytest.approx(sum(present) / 22)


def test_absent_customer_hours_are_zero_demand() -> None:
    """A customer with no rows on a day the region reported has zero demand that day."""
    rows = [(h, "eu", "inference", "a", 10.0) for h in range(48)]
    rows += [(h, "eu", "inference", "b", 4.0) for h in range(24)]
    series = demand_series(hourly(rows))
    assert value(series, "total/eu/inference/b", date(2025, 1, 2), "mean") == 0.0
    assert value(series, "total/eu/inference/b", date(2025, 1, 1), "mean") == 4.0


def test_a_region_silent_for_weeks_has_ended_for_the_total_but_a_short_silence_has_not() -> None:
    """A stray region that reported three hours long ago no longer blanks the total: past 28
    days of silence the total counts it up to its last report, and its days are whole with the
    regions still reporting. Silent for three days, a region still leaves them unknown."""
    days = 40
    rows = [(h, "eu", "inference", "a", 10.0) for h in range(24 * days)]
    stray = hourly([*rows, *[(h, "ap", "inference", "x", 8.0) for h in range(3)]])
    series = demand_series(stray)
    last = (START + timedelta(days=days - 1)).date()
    assert value(series, "total", last, "mean") == 10.0
    assert value(series, "total", last, "peak") == 10.0
    assert value(series, "total/ap", last, "mean") is None  # its own series: still missing
    # ap's three hours are too few for a feed: the total counts them on day one, whole.
    assert value(series, "total", START.date(), "mean") == pytest.approx(10.0 + 3 * 8.0 / 24)

    recent = [(h, "us", "inference", "b", 5.0) for h in range(24 * (days - 3))]
    stopped = demand_series(hourly([*rows, *recent]))
    assert value(stopped, "total", last, "mean") is None
    assert value(stopped, "total", last - timedelta(days=3), "mean") == 15.0


def test_a_stray_row_months_before_a_region_s_first_day_leaves_the_total_whole() -> None:
    """A region launched on day 60 of 90, with one row stamped on day 5 (a test row, a clock
    error), held the total unknown from day 5 to day 59: the region's history began at its
    stray row. It begins at its first day otherwise (``reporting_starts``): the total is the
    older region's before it, and the region's own series starts on its launch day."""
    days, launch, stray_day = 90, 60, 5
    rows = [(h, "eu", "inference", "a", 10.0) for h in range(24 * days)]
    rows += [(h, "us", "inference", "b", 4.0) for h in range(24 * launch, 24 * days)]
    rows.append((24 * stray_day + 12, "us", "inference", "b", 4.0))
    series = demand_series(hourly(rows))
    total = series.filter((pl.col("unique_id") == "total") & (pl.col("measure") == "mean"))
    assert total["y"].null_count() == 0
    assert value(series, "total", (START + timedelta(days=30)).date(), "mean") == 10.0
    assert value(series, "total", (START + timedelta(days=launch)).date(), "mean") == 14.0
    us = series.filter((pl.col("unique_id") == "total/us") & (pl.col("measure") == "mean"))
    assert us["ds"].min() == (START + timedelta(days=launch)).date()


def test_a_region_with_a_few_hours_of_rows_neither_cuts_the_total_nor_leaves_it() -> None:
    """One row in a misspelt region 4 days before the end left the total unknown from that day
    (fitted 4 days short); a region with rows in so few hours was never a feed: the total stays
    whole, holds its GPUs in the hour they were written, and the region is listed with its
    rows and hours. A small region that wrote every hour for six days and then stopped is a
    feed that stopped: the total stays unknown across its silence."""
    days = 40
    rows = [(h, "eu", "inference", "a", 10.0) for h in range(24 * days)]
    stray_hour = 24 * (days - 4) + 12
    frame = hourly([*rows, (stray_hour, "mars", "inference", "x", 48.0)])
    series = demand_series(frame)
    day = (START + timedelta(hours=stray_hour)).date()
    total = series.filter(pl.col("unique_id") == "total")
    assert total.height == 2 * days and total["y"].null_count() == 0
    assert value(series, "total", day, "mean") == pytest.approx(10.0 + 48.0 / 24)
    assert value(series, "total", day, "peak") == 58.0
    assert value(series, "total", day + timedelta(days=1), "mean") == 10.0
    assert value(series, "total/mars", day, "mean") is None  # its own series: no whole day
    listed = stray_regions(frame)
    assert listed.select("region", "rows", "hours", "days").rows() == [("mars", 1, 1, 1)]
    assert listed["fleet_hours"].to_list() == [24 * days]

    last = (START + timedelta(days=days - 1)).date()
    small = [(h, "ap", "inference", "y", 2.0) for h in range(24 * (days - 9), 24 * (days - 3))]
    stopped = hourly([*rows, *small])
    assert stray_regions(stopped).is_empty()
    assert value(demand_series(stopped), "total", last, "mean") is None
    assert value(demand_series(stopped), "total", last - timedelta(days=3), "mean") == 12.0
