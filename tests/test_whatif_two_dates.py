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
        "two dates for one site: us-west-b is short from July 2028 without the deal (the "
        "plan's own date) and from October 2027 with it (the deal's date)"
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
    assert "two dates" not in same and same == plain == other
