"""A region whose own backtests reach less than the run's (a region that started reporting
later than the others, early enough for some backtests) reads its own verified day, not the
furthest any region's backtests reached."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
from test_report import AS_OF, _sited, sample_inputs

from forecasting import hierarchy
from forecasting.report.inputs import (
    ReportInputs,
    construction_only,
    green_verified_to,
    region_verified_to,
    status_only,
)
from forecasting.triggers import CONSTRUCTION_SCHEMA

LATE = "eu-west"
EARLY = "us-east"


def _late_region() -> ReportInputs:
    """The sited sample, every pool green, whose eu-west started reporting 60 days before the
    as-of day: its history starts then, its daily backtests keep their last cut-off only, and
    its decision backtest scored 28 days ahead, where us-east's scored 182 (the demand above
    q90 on 8 % of days: the q90 held). Both regions' ceilings hold to the horizon's end."""
    sample = _sited(sample_inputs())
    late = (hierarchy.level(1) == LATE).fill_null(value=False)
    start = AS_OF - timedelta(days=60)
    first_cutoff = sample.backtest["cutoff"].min()
    scored = pl.DataFrame(
        {
            "unique_id": [hierarchy.id_of(EARLY), hierarchy.id_of(LATE)],
            "measure": ["peak", "peak"],
            "cutoff": [AS_OF - timedelta(days=182), AS_OF - timedelta(days=28)],
            "horizon_days": [182, 28],
            "model": ["combination", "combination"],
            "mae": [10.0, 10.0],
            "days": [28, 28],
            "coverage_80": [0.8, 0.8],
            "exceed_q90": [0.08, 0.08],
        }
    )
    accuracy = pl.concat([sample.horizon_accuracy, scored], how="diagonal_relaxed")
    held = [
        {
            "region": region,
            "as_of": AS_OF,
            "quantile": "q90",
            "ceilings_mw": 100.0,
            "horizon_end": sample.forecast["ds"].max(),
            "buffer_weeks": 4,
            "build_months": 30,
            "mw_past_ceilings": 0.0,
            "status": "green",
            "note": "ceilings run out: not within the horizon",
        }
        for region in (EARLY, LATE)
    ]
    return replace(
        sample,
        history=sample.history.filter(~late | (pl.col("ds") >= start)),
        backtest=sample.backtest.filter(~late | (pl.col("cutoff") > first_cutoff)),
        horizon_accuracy=accuracy.select(sample.horizon_accuracy.columns),
        triggers=sample.triggers.with_columns(
            status=pl.lit("green"), unverified_green=pl.lit(value=False)
        ),
        construction=pl.DataFrame(held, schema=CONSTRUCTION_SCHEMA),
    )


def test_a_region_whose_backtests_reach_less_reads_its_own_verified_day() -> None:
    """us-east's decision backtest scored 182 days ahead, past the daily rows: the run's
    greens read plain. eu-west, reporting for 60 days, was scored 28 days ahead at most, yet
    its greens and its sites' ceilings read as plainly (or, in a run verified short of the
    plan's end, the other regions' day). Its rows now read "to 2026-12-20 only: not verified
    beyond", its own day; us-east's stay plain."""
    inputs = _late_region()
    assert green_verified_to(inputs) is None  # us-east's 182 days reach past the daily rows
    own = AS_OF + timedelta(days=28)
    assert own == date(2026, 12, 20)
    said = dict(
        inputs.triggers.select(
            pl.concat_str("region", "pool", separator="/"), status_only(inputs)
        ).iter_rows()
    )
    expected = "to 2026-12-20 only: not verified beyond"
    assert said[f"{LATE}/all"] == expected, said
    assert said[f"{LATE}/training"] == expected, said
    assert said[f"{EARLY}/all"] is None and said[f"{EARLY}/training"] is None, said
    rows = dict(inputs.construction.select("region", construction_only(inputs)).iter_rows())
    assert rows == {EARLY: None, LATE: f"({expected})"}, rows
    assert region_verified_to(inputs) == {LATE: own}


def test_the_headline_says_the_region_s_own_day_apart() -> None:
    """The same fleet's headline read a plain "green" while eu-west's rows are verified to
    2026-12-20 only; it names eu-west's pools with their own day, and not us-east's."""
    from forecasting.report.inputs import status_headline

    headline = status_headline(_late_region())
    said = f"{LATE}/all, {LATE}/training green to 2026-12-20 only: not verified beyond"
    assert said in headline, headline
    assert EARLY not in headline, headline


def _late_region_red() -> ReportInputs:
    """:func:`_late_region` with eu-west/all red, short 2027-01-01 (past eu-west's own day,
    2026-12-20, within the daily rows), its ceilings running out 2027-02-01 (a new site
    late to start: red), and its site west-a red for power from 2027-01-10 on orders alone
    (its blocks in service within the MW energized then)."""
    from test_report import _power_sites

    inputs = _late_region()
    short = date(2027, 1, 1)
    west_all = (pl.col("region") == LATE) & (pl.col("pool") == "all")
    triggers = inputs.triggers.with_columns(
        status=pl.when(west_all).then(pl.lit("red")).otherwise("status"),
        exhaustion_date=pl.when(west_all).then(pl.lit(short)).otherwise("exhaustion_date"),
    )
    construction = inputs.construction.with_columns(
        exhaustion_date=pl.when(pl.col("region") == LATE).then(pl.lit(date(2027, 2, 1))),
        exhaustion_monthly=pl.lit(value=False),
        status=pl.when(pl.col("region") == LATE).then(pl.lit("red")).otherwise("status"),
    )
    power = _power_sites(("west-a", LATE, "red")).with_columns(
        exhaustion_date=pl.lit(date(2027, 1, 10)),
        energized_mw_at_exhaustion=pl.lit(5.0),
        mw_needed_at_exhaustion=pl.lit(6.0),
    )
    return replace(inputs, triggers=triggers, construction=construction, power_triggers=power)


def test_every_status_cell_of_a_region_whose_backtests_reach_less_reads_its_own_day() -> None:
    """eu-west's backtests reach 2026-12-20, us-east's past the daily rows (the run verifies
    to the plan's end). eu-west's greens read "to 2026-12-20 only", yet its red pool short
    2027-01-01, its ceilings running out 2027-02-01 and its site short of power 2027-01-10
    read a plain "red" (in a run verified short of the plan's end, "past" the other regions'
    day). Each now reads "(... past 2026-12-20: not verified†)", the note under the tables
    names eu-west's own day and the headline marks the date; us-east's red, short within its
    own reach, stays plain."""
    from forecasting.report.inputs import power_view, status_headline, unverified_note
    from forecasting.report.pages import facilities_page

    inputs = _late_region_red()
    said = dict(
        inputs.triggers.select(
            pl.concat_str("region", "pool", separator="/"), status_only(inputs)
        ).iter_rows()
    )
    assert said[f"{LATE}/all"] == "(runs short past 2026-12-20: not verified†)", said
    assert said[f"{EARLY}/all"] is None, said
    rows = dict(inputs.construction.select("region", construction_only(inputs)).iter_rows())
    assert rows[LATE] == "(ceilings run out past 2026-12-20: not verified†)", rows
    power = dict(power_view(inputs).select("site", "shortfall_only").iter_rows())
    assert power == {"west-a": "(runs short past 2026-12-20: not verified†)"}, power
    note = "† Not verified in eu-west past 2026-12-20, the last day its own backtests reach."
    assert unverified_note(inputs) == note
    headline = status_headline(inputs)
    assert headline.startswith("red: eu-west/all runs short 2027-01-01 (not verified)"), headline
    page = " ".join(facilities_page(inputs).split())
    assert "past 2026-12-20: not verified†" in page
    assert note.replace("'", "&#39;") in page
