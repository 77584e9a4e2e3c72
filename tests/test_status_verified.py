"""`fleetcast status`: how far a trigger run's statuses are verified, where nothing was."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest


def test_status_says_no_status_is_verified_where_no_backtest_measured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 15-day fleet (no backtest: too little history) read, under `fleetcast status`,
    "statuses verified to 2026-12-06 only (no backtest measured the forecast's error past
    it)", where 2026-12-06 was its as-of day, the last history day: a day that looks
    verified where nothing was, while its report read "no backtest measured the forecast's
    error: not verified". The table and its caption now say that no status is verified."""
    import flows.status as status
    from forecasting.runs import drills

    as_of = date(2026, 12, 6)
    unmeasured = drills.StatusesVerified(
        as_of, date(2027, 6, 6), "no backtest measured the forecast's error past it", False
    )
    measured = unmeasured._replace(day=date(2027, 1, 3))
    reads = {"f-young": unmeasured, "f-old": measured}
    monkeypatch.setattr(drills, "statuses_verified", lambda _wh, run_id: reads[run_id])
    runs = pl.DataFrame({"forecast_run_id": ["f-young", "f-old"], "as_of": [as_of, as_of]})
    shown = status._with_verified_to(None, runs)  # type: ignore[arg-type]  # not read
    young, old = shown.iter_rows(named=True)
    assert young["verified_to"] == "none", young
    assert young["why"] == "no backtest measured the forecast's error", young
    assert (old["verified_to"], old["why"]) == ("2027-01-03 only", measured.why)
    assert status.verified_caption(young["verified_to"], young["why"]) == (
        "no status verified (no backtest measured the forecast's error): every status, of any "
        "colour, is not verified"
    )
    assert status.verified_caption(old["verified_to"], old["why"]) == (
        f"statuses verified to 2027-01-03 only ({measured.why}): a status past that day, of any "
        "colour, is not verified"
    )
