"""A what-if that shows two "short from" dates for one site says which is which."""

from __future__ import annotations

from datetime import date

import polars as pl

from forecasting.whatif.baseline import baseline_short_note


def _daily_forecast(last: date) -> pl.DataFrame:
    """A forecast frame whose daily rows end on ``last``, monthly rows after (what
    day_or_month reads)."""
    return pl.DataFrame(
        {
            "unique_id": ["total", "total"],
            "ds": [last, date(2027, 7, 1)],
            "grain": ["day", "month"],
        },
        schema={"unique_id": pl.String, "ds": pl.Date, "grain": pl.String},
    )


def _gaps(site: str, begin: date, until: date) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "site": site,
                "region": "us-west",
                "pool": None,
                "exhaustion_with": begin,
                "until": until,
                "contracted": True,
                "new_site": False,
            }
        ],
        schema={
            "site": pl.String,
            "region": pl.String,
            "pool": pl.String,
            "exhaustion_with": pl.Date,
            "until": pl.Date,
            "contracted": pl.Boolean,
            "new_site": pl.Boolean,
        },
    )


def _waits(site: str, day: date) -> pl.DataFrame:
    return pl.DataFrame(
        {"site": [site], "exhaustion_with": [day]},
        schema={"site": pl.String, "exhaustion_with": pl.Date},
    )


def test_a_site_short_with_and_without_the_deal_on_different_days_says_which_is_which() -> None:
    """The demo's what-if of 8,000 inference GPUs in us-west read "short at us-west-b from
    October 2027 until 2029-01-03" (the deal's wait for power) and "the plan is short of
    power at us-west-b from July 2028 until 2029-01-03 ... without this deal too" (the
    plan's own): two dates for one site, and finance could not tell which was whose. The
    plan's note now names both, each with whose date it is; a site short on the same day
    either way, or only in the plan, reads as before."""
    forecast = _daily_forecast(date(2027, 6, 6))
    gaps = _gaps("us-west-b", date(2028, 7, 1), date(2029, 1, 3))
    note = baseline_short_note(
        gaps,
        forecast=forecast,
        buffer_weeks=4,
        revenue_on=None,
        deal_waits=_waits("us-west-b", date(2027, 10, 1)),
    )
    assert "short of power at us-west-b from July 2028 until 2029-01-03" in note
    assert (
        "dates of one site: us-west-b is short from July 2028 without the deal (the "
        "plan's own date) and, with it, lacks more from October 2027 (the deal's date, from "
        "which its verdict counts)"
    ) in note, note
    same = baseline_short_note(
        gaps,
        forecast=forecast,
        buffer_weeks=4,
        revenue_on=None,
        deal_waits=_waits("us-west-b", date(2028, 7, 1)),
    )
    other = baseline_short_note(
        gaps,
        forecast=forecast,
        buffer_weeks=4,
        revenue_on=None,
        deal_waits=_waits("us-west-a", date(2027, 10, 1)),
    )
    plain = baseline_short_note(gaps, forecast=forecast, buffer_weeks=4, revenue_on=None)
    assert "dates of one site" not in same and same == plain == other


def test_a_site_the_facilities_page_dates_otherwise_says_what_each_date_is() -> None:
    """The demo's pipeline deals read "the plan is short of power at us-east-b from
    2027-04-08" on the finance page, where the facilities page read us-east-b "short from
    2027-03-11": the power trigger counts the blocks' MW from when they are due (4 weeks'
    buffer before), the what-if from the day the pool runs short. The note names both."""
    forecast = _daily_forecast(date(2027, 6, 6))
    gaps = _gaps("us-east-b", date(2027, 4, 8), date(2029, 1, 3))
    power = pl.DataFrame(
        {"site": ["us-east-b", "us-east-a"], "exhaustion_date": [date(2027, 3, 11), None]},
        schema={"site": pl.String, "exhaustion_date": pl.Date},
    )
    note = baseline_short_note(
        gaps, forecast=forecast, buffer_weeks=4, revenue_on=None, power_short=power
    )
    assert (
        "dates of one site: us-east-b's power trigger (facilities page) dates it 2027-03-11, "
        "the day the MW its blocks need, counted from when they are due, passes the MW "
        "energized; 2027-04-08 is the day its pool runs short"
    ) in note, note
    same = power.with_columns(pl.lit(date(2027, 4, 8)).alias("exhaustion_date"))
    assert "dates of one site" not in baseline_short_note(
        gaps, forecast=forecast, buffer_weeks=4, revenue_on=None, power_short=same
    )
