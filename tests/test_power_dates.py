"""A site's power note says what its two dates are: the day its energized MW stop covering
the blocks planned on it (its short-from day), and the day the ordered blocks can arrive given
the power; and the demand left unserved between them, with its dates."""

from __future__ import annotations

from datetime import date

from test_sites import _linear, _plan, _power, _run, _site


def test_a_power_note_says_what_its_dates_are_and_the_demand_unserved_between() -> None:
    """s1 has 1.3 MW energized, its live rack draws 1.0: the pool's two racks (0.8 MW) are
    needed from 2026-03-19 (4 weeks before its shortfall, 2026-04-16) but can only land
    2027-01-05 and run from 2027-02-02, when power contracted today comes. The note read
    "to have it energized by 2026-03-19" with nothing saying what that day is beside racks
    arriving in 2027 (the demo's us-east-c: "short of power from 2027-03-04" beside "31 x
    rack-h100-256 arriving 2029-12-06"). It says both dates and the unserved span."""
    result = _run(_plan(sites=[_site(mw=1.3)]), _linear(days=400))
    placed = result.placements.row(0, named=True)
    assert (placed["arrives"], placed["runs_from"], placed["exhaustion_date"]) == (
        date(2027, 1, 5),
        date(2027, 2, 2),
        date(2026, 4, 16),
    )
    note = _power(result, "s1")["note"]
    assert (
        "short from 2026-03-19, the first day the MW energized at s1 stop covering the blocks "
        "planned there (2 x rack-h100 of r1/all counted from 2026-03-19, when their pool needs "
        "them)"
    ) in note, note
    assert (
        "they arrive 2027-01-05 and can run from 2027-02-02, when the power does: the demand "
        "of r1/all they serve is unserved from 2026-04-16 to 2027-02-02 (292 days)"
    ) in note, note


def test_a_site_whose_orders_run_on_arrival_says_no_unserved_span() -> None:
    """With the MW free (5 MW energized), the racks run the day they land: no span is said."""
    result = _run(_plan(sites=[_site(mw=5.0)]), _linear(days=400))
    assert result.placements["powered"].all()
    note = _power(result, "s1")["note"] or ""
    assert "unserved" not in note, note


def test_a_span_resting_on_an_order_read_at_the_monthly_grain_says_so() -> None:
    """Seven daily rows within capacity, then monthly rows short (the brief's us-east-c rested
    on such an order, "31 x rack-h100-256 arriving 2029-12-06"): the unserved span is read on a
    month's peak day, past the 7 daily rows: it names the month, not a day, counts no days
    (the demo's "unserved from 2030-01-01 to 2030-01-03 (2 days)" was January's first-of-month
    standing for the month) and says it is not verified at the daily grain."""
    import numpy as np
    import polars as pl
    from test_sites import _day, _forecast

    daily = _forecast(np.full(7, 700.0), [_day(i) for i in range(7)], grain="day")
    months = [date(2026, m, 1) for m in range(1, 13)]
    seam = pl.concat([daily, _forecast(np.full(12, 850.0), months, grain="month")])
    note = _power(_run(_plan(sites=[_site(mw=1.0)]), seam), "s1")["note"]
    assert (
        "they arrive 2026-03-02 and can run from 2027-02-02, when the power does: the demand of "
        "r1/all they serve is unserved from Jan 2026 to 2027-02-02 (monthly grain: not verified "
        "at the daily grain)"
    ) in note, note
