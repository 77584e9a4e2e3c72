"""A region of the plan with no demand measured (no telemetry, or not one whole day of it) is
"not judged" on every surface: the power triggers' notes, the construction lines and table,
the facilities page, and the terminal's counts (a sweep of unusual fleets, session 61)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hand_plans import MONDAY, ceiling_inputs
from hand_plans import block as _block
from hand_plans import site as _site
from hand_plans import site_plan as _plan
from test_report import _visible
from test_sites import _linear

from forecasting.report.inputs import construction_only, power_counts
from forecasting.report.pages import facilities_page
from forecasting.schema import DEMAND_SCHEMA
from forecasting.triggers import expansion_triggers
from forecasting.triggers.construction import construction_lines


def _two_regions() -> Any:
    """r1 at s1 (forecast), and r2 at s2 with a live rack and a ceiling, no telemetry."""
    return _plan(
        sites=[
            _site(ceiling_mw=3.0),
            _site("s2", region="r2", mw=2.0, ceiling_mw=3.0),
        ],
        blocks=[_block(), _block("r2-rack", region="r2", site="s2")],
    )


def _history() -> pl.DataFrame:
    """r1's telemetry alone (r2 has none)."""
    return pl.DataFrame(
        [{"unique_id": "total/r1", "ds": MONDAY, "measure": "peak", "y": 700.0,
          "region": "r1", "workload_class": None, "customer": None}],
        schema=DEMAND_SCHEMA,
    )  # fmt: skip


def test_a_site_in_a_region_without_telemetry_is_not_judged_in_its_power_note() -> None:
    """The tiny fleet (one region of telemetry, three in the plan): the power page read
    eu-west and us-west "not judged", yet their power table notes said "MW needed stays
    within energized MW through 2030-01-31", a measured-sounding fact of sites where no demand
    was read. The note now opens with "not judged: no demand measured in r2"."""
    result = expansion_triggers(_linear(), _two_regions(), as_of=MONDAY)
    notes = dict(result.power.select("site", "note").iter_rows())
    assert notes["s2"].startswith("not judged: no demand measured in r2 (no telemetry")
    assert not notes["s1"].startswith("not judged")


def test_construction_says_a_region_without_telemetry_is_not_judged() -> None:
    """The CLI read "construction: eu-west, us-west stay within their sites' ceilings through
    ..., the plan's end: no new site is needed" and the facilities page's new-site table
    showed them green, for regions no demand was measured in. They read "not judged"."""
    plan = _two_regions()
    power = expansion_triggers(_linear(), plan, as_of=MONDAY).power
    inputs = ceiling_inputs(plan, _linear(), history=_history(), power_triggers=power)
    rows = inputs.construction.with_columns(not_verified=construction_only(inputs))
    lines = construction_lines(rows)
    assert not any("r2" in line and "stay" in line for line in lines), lines
    assert any(
        line.startswith("construction: r2 not judged (no telemetry in r2): no demand measured")
        for line in lines
    ), lines
    page = _visible(facilities_page(inputs))
    assert "r2 not judged (no telemetry in r2)" in page
    assert "s2 r2 not judged (no telemetry in r2)" in page
    assert "not judged in r2 (no demand measured)" in page
    assert power_counts(inputs).endswith("1 not judged: no telemetry in r2 (not green: not judged)")


def test_the_triggers_line_counts_greens_no_demand_measured_as_not_verified() -> None:
    """The Azure trace (two hours, no whole day) read "triggers: 0 red, 0 amber, 2 green"
    while the status line above said azure/all and azure/training are "not verified: no
    demand measured": the count must agree with the statuses. Such greens, a vacant region's
    and a class no telemetry row measured count as "not verified", not green."""
    from pathlib import Path

    from flows.tables import triggers_line
    from forecasting.runs import ReportOutcome

    rows = [
        {"region": "azure", "pool": pool, "status": "green", "order_by": None,
         "exhaustion_date": None, "candidate": None, "blocks_to_order": 0, "capex_usd": 0.0,
         "mw": 0.0, "note": "no demand measured in azure: ...",
         "status_only": "(no backtest measured the forecast's error: not verified)"}
        for pool in ("all", "training")
    ]  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={"green": 2},
        failing_drills=[], stale_days=None, triggers=rows,
        unmeasured=["total", "azure", "azure · inference"],
    )  # fmt: skip
    assert triggers_line(report) == (
        "triggers: 0 red, 0 amber, 0 green, 2 not verified (no demand measured, not one whole "
        "day of telemetry: azure/all, azure/training)"
    )
    # The table's rows say it where they stand: they read "green (no backtest ...)".
    from rich.console import Console

    from flows.tables import report_table

    console = Console(width=300, record=True)
    console.print(report_table(report))
    shown = " ".join(console.export_text().split())
    assert "│ azure │ all │ not verified (no demand measured) │" in shown


def test_capital_and_power_are_not_judged_where_no_region_has_a_whole_day() -> None:
    """The Azure trace (no whole day of telemetry) read "capital in orders to place: $0 in 0
    orders" and "power: 0 red, 0 amber, 3 green" beside triggers "not verified: no demand
    measured": figures nothing stands behind. Both now say not judged, and why."""
    from test_report import sample_inputs

    from forecasting import hierarchy
    from forecasting.report.pages.common import trigger_capital

    plan = _plan(sites=[_site(ceiling_mw=3.0)])
    flat = _linear(base=0.0, slope=0.0)
    chosen = sample_inputs().chosen.head(2).with_columns(
        unique_id=pl.lit(hierarchy.id_of("r1")), measure=pl.Series(["mean", "peak"]),
        model=pl.lit("zero"), fallback=pl.lit("no observed day in its 1 day(s) of rows"),
    )  # fmt: skip
    power = expansion_triggers(flat, plan, as_of=MONDAY).power
    inputs = ceiling_inputs(plan, flat, chosen=chosen, power_triggers=power)
    why = "no demand measured in r1: not one complete day of telemetry"
    assert trigger_capital(inputs) == (
        f"not judged ({why}): no order is sized, so no figure stands here"
    )
    assert power_counts(inputs) == (
        f"0 red, 0 amber, 0 green; 1 not judged: {why} (not green: not judged)"
    )


def test_the_new_site_card_names_the_regions_it_judged_beside_those_it_did_not() -> None:
    """The facilities card read "none: no region's site ceilings run out within the horizon
    ...; not judged in r2 (no demand measured)": "no region's" took in r2, which nothing
    judged. It names the regions judged where any region is not."""
    plan = _two_regions()
    power = expansion_triggers(_linear(), plan, as_of=MONDAY).power
    inputs = ceiling_inputs(plan, _linear(), history=_history(), power_triggers=power)
    page = _visible(facilities_page(inputs))
    assert "no region's site ceilings" not in page
    assert "none: the site ceilings of r1 (the regions judged) do not run out" in page
    assert "not judged in r2 (no demand measured)" in page


def test_a_site_no_demand_was_measured_for_is_stored_not_judged_not_green() -> None:
    """Every page said s2 (in r2, no telemetry) was "not judged", yet its stored power row
    (power_triggers.status) read "green": a status that looks measured where nothing was.
    The row now stores "not judged" (its note says why); the counts, the worst status, the
    CLI's power line and "what changed" against a run stored before (green, its note opening
    "not judged:") all read as before."""
    from datetime import timedelta

    from forecasting.capacity import NOT_JUDGED
    from forecasting.changes import power_changes

    plan = _two_regions()
    power = expansion_triggers(_linear(), plan, as_of=MONDAY).power
    status = dict(power.select("site", "status").iter_rows())
    assert status["s2"] == NOT_JUDGED, status
    assert status["s1"] != NOT_JUDGED, status
    inputs = ceiling_inputs(plan, _linear(), history=_history(), power_triggers=power)
    assert power_counts(inputs).endswith("1 not judged: no telemetry in r2 (not green: not judged)")
    assert inputs.worst_status == status["s1"]
    # A run stored before this: s2 green, its note "not judged: ...". Not a change.
    before = power.with_columns(
        status=pl.when(pl.col("site") == "s2").then(pl.lit("green")).otherwise("status"),
        as_of=pl.col("as_of") - timedelta(days=7),
    )
    assert power_changes(before, power).is_empty()
    assert power_changes(power, power).is_empty()


def test_a_region_no_demand_was_measured_in_is_stored_not_judged_in_construction() -> None:
    """`fleetcast status` read "new site changes: eu-north new, none -> green" while the
    construction line said "eu-north not judged": the stored construction row was green for a
    region no demand was measured in. It stores "not judged" (its note says why), as the power
    row does; the pages and the terminal's lines read as before."""
    from forecasting.capacity import NOT_JUDGED
    from forecasting.triggers import pool_requirements, unmeasured_sites_regions
    from forecasting.triggers.construction import construction_triggers

    plan = _two_regions()
    result = expansion_triggers(_linear(), plan, as_of=MONDAY)
    unmeasured = unmeasured_sites_regions(_linear(), plan)
    assert unmeasured == {"r2": "no telemetry in r2"}
    construction = construction_triggers(
        plan, result.placements, as_of=MONDAY, end=MONDAY.replace(month=12, day=28),
        buffer_weeks=4, quantile="q90", unmeasured=unmeasured,
        requirements=pool_requirements(_linear(), plan, as_of=MONDAY, column="q90"),
    )  # fmt: skip
    stored = {r["region"]: r for r in construction.iter_rows(named=True)}
    assert stored["r2"]["status"] == NOT_JUDGED
    assert stored["r2"]["note"].startswith(f"{NOT_JUDGED}: no demand measured in r2 (no telemetry")
    assert stored["r1"]["status"] != NOT_JUDGED
    inputs = ceiling_inputs(
        plan, _linear(), history=_history(), power_triggers=result.power, construction=construction
    )
    rows = inputs.construction.with_columns(not_verified=construction_only(inputs))
    assert any(
        line.startswith("construction: r2 not judged (no telemetry in r2): no demand measured")
        for line in construction_lines(rows)
    )
    page = _visible(facilities_page(inputs))
    assert "r2 not judged (no telemetry in r2)" in page
    assert "not judged (not judged" not in page


def test_a_green_site_past_its_contracting_window_says_how_far_it_is_judged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 45-day fleet forecast one week ahead read "power: 0 red, 0 amber, 7 green" on the
    terminal and the front page and a plain green per site on the facilities page, while each
    site's note said power needed the day after the forecast would have had to be contracted
    two years before: the counts and the cells say the green is judged to the forecast's end
    only. A forecast that reaches past the lead time reads plain."""
    from datetime import timedelta

    from forecasting.report import inputs as report_inputs
    from forecasting.report.inputs import power_green_to

    # The backtests verify the week (no other qualifier): the fixture has none.
    monkeypatch.setattr(report_inputs, "greens_qualified", lambda _: "")
    plan = _plan(sites=[_site(power_lead_months=24)])
    week = _linear(base=300.0, slope=0.0, days=7)
    power = expansion_triggers(week, plan, as_of=MONDAY).power
    inputs = ceiling_inputs(plan, week, power_triggers=power, forecast=week)
    end = MONDAY + timedelta(days=6)
    assert power_green_to(inputs, lead_months=24) == end
    judged = f"green to {end} only: not judged beyond, power needed after it could no longer"
    assert power_counts(inputs) == f"0 red, 0 amber, 1 green ({judged} be contracted in time)"
    assert f"s1 r1 {judged}" in _visible(facilities_page(inputs))
    # Power with no lead time nor buffer, contracted the day after the week, is in time; a
    # buffer of 4 weeks puts its date before the as-of day.
    from dataclasses import replace

    assert power_green_to(replace(inputs, buffer_weeks=0), lead_months=0) is None
    assert power_green_to(inputs, lead_months=0) == end


def test_a_region_whose_ceilings_hold_only_as_far_as_a_week_says_so_in_its_cell() -> None:
    """The facilities page's new-site table read a plain "green" for regions whose sites take
    30 months to build, on a forecast of one week, while their notes and the terminal said it
    was not verified past the week: the cell carries the note's clause; a region that ran
    out, or whose note says nothing of it, reads as before."""
    from forecasting.triggers import held_unverified

    note = (
        "ceilings run out: not within the horizon (r1's sites stay under their ceilings, "
        "66.0 MW in all, at most 9.8 MW needed, through 2026-12-13, where it ends); not verified "
        "past 2026-12-13: ceilings running out the day after would have needed a new site "
        "started by 2024-06-14 (30 months to build), already past"
    )
    row = {"note": note, "exhaustion_date": None}
    assert held_unverified(row) == (
        "not verified past 2026-12-13: ceilings running out the day after would have needed a "
        "new site started by 2024-06-14 (30 months to build), already past"
    )
    assert held_unverified({"note": note.split("; not")[0], "exhaustion_date": None}) == ""
    assert held_unverified({**row, "exhaustion_date": MONDAY}) == ""


@pytest.mark.parametrize("buffer_weeks", [0, 4])
def test_the_power_view_dates_a_green_s_reach_as_power_green_to_does_without_a_call_per_site(
    monkeypatch: pytest.MonkeyPatch, buffer_weeks: int
) -> None:
    """The power view dated each green site's "green to DAY only" by a Python call per site
    (map_elements over power_lead_months), which read the forecast's end again for every site.
    It is one expression now, and must read the very day power_green_to reads for every lead
    time, across the month-end clamp (a forecast ending 2026-01-30, contracted 23 months
    before its day after, 2026-01-31, is 2024-02-29, not March)."""
    from dataclasses import replace
    from datetime import date, timedelta

    from forecasting.report import inputs as report_inputs
    from forecasting.report.inputs import power_green_to, power_view

    plan = _plan(sites=[_site(power_lead_months=24)])
    days = _linear(base=300.0, slope=0.0, days=26)  # MONDAY 2026-01-05 to 2026-01-30
    power = expansion_triggers(days, plan, as_of=MONDAY).power
    leads = list(range(41))
    many = pl.concat(
        [power.with_columns(site=pl.lit(f"s{m}"), power_lead_months=pl.lit(m)) for m in leads]
    )
    inputs = ceiling_inputs(plan, days, power_triggers=many, forecast=days)
    inputs = replace(inputs, as_of=date(2024, 3, 1), buffer_weeks=buffer_weeks)
    expected = [power_green_to(inputs, lead_months=m) for m in leads]
    end = MONDAY + timedelta(days=25)
    assert set(expected) == {None, end}  # both sides of the threshold are read
    monkeypatch.setattr(
        report_inputs,
        "power_green_to",
        lambda *a, **k: pytest.fail("power_view called power_green_to per site"),
    )
    view = power_view(inputs)
    assert view["status"].unique().to_list() == ["green"]
    assert view["green_to"].to_list() == expected
