"""Each thing said once, short, where finance, facilities and the platform team read it (a
review of session 66's demo pages and terminal): a status cell in one line with why it is not
verified under its table, the capital to place led by one sentence, the idle card's judged and
unjudged blocks as one set, and each of a pool chart's two dates on its own measure."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import polars as pl
from test_cli import _report_table_text
from test_headline_reach import _red_past_measured, _verified_to
from test_report import _visible, sample_inputs

from forecasting.report.pages import finance_page


def test_a_red_cell_past_the_verified_days_reads_in_one_line_and_its_reason_once(
    tmp_path: Path,
) -> None:
    """Every red and amber status cell of the demo's orders, power and construction tables,
    the CLI's trigger table and triggers.csv repeated "(runs short past 2027-06-06, the last
    day the backtests held the q90, which 52 weeks out the regions' demand passed on 20% of
    days, against at most 15%: not verified)", 35 words a cell. The cell now reads "red (runs
    short past DAY: not verified†)" and the reason is said once, under the table (in the CSV,
    its own column)."""
    from forecasting.report.publish import publish_report
    from forecasting.runs.reports import report_outcome

    inputs = _red_past_measured()
    reach = _verified_to(inputs)
    cell = f"red (runs short past {reach}: not verified†)"
    why = f"† Not verified past the last day a backtest measured ({reach})."
    long = f"runs short past {reach}, the last day a backtest measured"
    page = _visible(finance_page(inputs))
    assert cell in page, page
    assert long not in page
    # Once per table that marks a cell: the orders table, and no other table of this page.
    assert page.count(why) == 1, page.count(why)
    outcome = report_outcome(inputs, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    shown = _report_table_text(triggers=outcome.triggers, unverified_note=outcome.unverified_note)
    assert shown.count(cell) == 1, shown
    assert shown.count(why) == 1, shown
    assert long not in shown
    folder = publish_report(inputs, root=tmp_path)
    with (folder / "triggers.csv").open() as f:
        rows = list(csv.DictReader(f))
    marked = [r for r in rows if "†" in r["status_shown"]]
    assert marked and all(r["status_shown"] == cell for r in marked), marked
    assert all(r["status_note"] == why for r in marked)
    assert all(r["status_note"] == "" for r in rows if r not in marked)


def _facilities_with_a_new_site_short_past_the_verified_day() -> tuple[str, date]:
    """The sample's facilities page with a new site whose ceilings run out 40 days past the
    day the run verifies its statuses to (red, its start date gone by), and that day."""
    from test_construction import _rows
    from test_report import _sited

    from forecasting.report.inputs import green_verified_to
    from forecasting.report.pages import facilities_page

    sample = _sited(sample_inputs())
    verified = green_verified_to(sample)
    assert verified is not None
    dated = _rows({"build_months": 12, "cost_per_mw_usd": 10e6}).with_columns(
        as_of=pl.lit(sample.as_of),
        exhaustion_date=pl.lit(verified + timedelta(days=40)),
        exhaustion_monthly=pl.lit(value=False),
        start_by=pl.lit(sample.as_of - timedelta(days=30)),
        status=pl.lit("red"),
    )
    return facilities_page(replace(sample, construction=dated)), verified


def test_a_new_site_s_run_out_cell_says_its_reason_under_the_table_once() -> None:
    """The facilities page's construction table read "red (ceilings run out past DAY, the last
    day a backtest measured: not verified)" in its cell; the cell now reads "(ceilings run
    out past DAY: not verified†)" and the reason is under the table."""
    raw, verified = _facilities_with_a_new_site_short_past_the_verified_day()
    page = _visible(raw)
    day = f"{verified:%Y-%m-%d}"
    assert f"(ceilings run out past {day}: not verified†)" in page, page
    assert f"ceilings run out past {day}, the last day" not in page
    assert f"† Not verified past the last day a backtest measured ({day})." in page


def test_a_marked_card_shows_its_note_under_its_label_not_joined_to_it() -> None:
    """A card whose figure carries the marker took the note into its label: the facilities
    card read "start a new site by; † Not verified past ...", one run-on phrase. The label
    reads alone and the note sits under it."""
    import html

    raw, verified = _facilities_with_a_new_site_short_past_the_verified_day()
    page = html.unescape(raw)
    note = f"† Not verified past the last day a backtest measured ({verified:%Y-%m-%d})."
    assert f'<div class="label">start a new site by<div class="card-note">{note}</div>' in page
    assert "start a new site by; †" not in page


def test_the_capital_to_place_leads_with_one_sentence_the_rest_folded() -> None:
    """The terminal's "capital in orders to place" line and the finance and front pages'
    card ran to 130 words on a fleet with several orders, the total and the first date in the
    middle of clauses on which orders count. They now lead with one sentence (the total, how
    many orders, the first order-by); the whole follows, indented on the terminal and folded
    under a disclosure on the pages."""
    from test_report import _planned

    from flows.tables import to_place_line
    from forecasting.report.format import fmt_date, fmt_usd, html_text
    from forecasting.report.pages import run_index_page
    from forecasting.report.pages.common import orders_to_place, trigger_capital
    from forecasting.runs.reports import report_outcome

    sample = sample_inputs()
    inputs = replace(sample, placements=_planned(sample, later_capex=600e6))
    due = orders_to_place(inputs)
    assert due is not None and due.height > 1
    first = due["order_by"].min()
    assert isinstance(first, date)
    outcome = report_outcome(inputs, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    lead, whole = to_place_line(outcome)[:2]
    money = fmt_usd(float(due["capex_usd"].sum()))
    said = f"{money} in {due.select('region', 'pool', 'tranche', 'order_by').n_unique()} orders"
    assert lead.startswith(f"capital in orders to place: {said}, the first by {fmt_date(first)}")
    assert len(lead.split()) <= 20, lead
    assert whole == f"  in full: {trigger_capital(inputs)}"
    for page in (finance_page, run_index_page):
        card = page(inputs).split('</div><div class="label">capital in orders to place')[0]
        card = card.rsplit('<div class="card">', 1)[1]
        summary = html_text(lead.removeprefix("capital in orders to place: "))
        assert f'<details class="more"><summary>{summary}</summary>' in card, card
        assert html_text(trigger_capital(inputs)) in card


def test_the_idle_line_says_the_judged_and_unjudged_blocks_as_one_set() -> None:
    """The idle-capacity line read "24 blocks not judged" in its figure and "all 24 blocks
    judged on days past ..." after it: two sets with one count. It now says the committed
    blocks once, those judged and on which days, then the others not judged and when they
    enter service."""
    from forecasting.report.pages.finance import idle_risk_line

    inputs = sample_inputs()
    judged = inputs.idle_risk.with_columns(in_service=pl.lit(date(2027, 1, 6)))
    later = judged.with_columns(
        block_id=pl.col("block_id") + "-b",
        in_service=pl.lit(date(2027, 9, 1)),
        idle_gpus=pl.lit(None, pl.Float64),
        idle_share=pl.lit(None, pl.Float64),
        capex_at_risk_usd=pl.lit(None, pl.Float64),
        days_judged=pl.lit(None, pl.Int64),
        note=pl.lit("enters service after the forecast horizon (2027-06-04)"),
    )
    both = replace(inputs, idle_risk=pl.concat([judged, later], how="vertical_relaxed"))
    line = idle_risk_line(both)
    assert "2 blocks not judged" not in line, line
    assert (
        "of the 4 committed blocks, all 2 blocks judged on days past 2026-12-19, where no "
        "backtest measured the forecast's error: not verified there; the other 2 not judged "
        "(in service 2027-09-01, after the forecast ends)"
    ) in line, line
    page = _visible(finance_page(both))
    assert (
        "Not verified: of the 4 committed blocks, all 2 blocks judged are judged on days past "
        "2026-12-19, where no backtest measured the forecast's error; the other 2 are not "
        "judged (in service 2027-09-01, after the forecast ends)."
    ) in page, page


def test_a_power_note_s_unserved_days_past_the_verified_day_are_marked() -> None:
    """The demo's facilities page read us-east-b's note "the demand of us-east/all they serve
    is unserved from 2027-05-06 to 2029-01-03 (608 days)" plainly, 576 of those days past
    2027-06-06, the last day its statuses are verified (a site's status cell beside read
    "not verified" of a span like it). The part past that day is marked, its reason said once
    under the table; a span within the verified days reads as before."""
    from test_report import _power_sites, _sited, _visible

    from forecasting.report.inputs import green_verified_to, unserved_marked, unverified_note
    from forecasting.report.pages import facilities_page

    sample = _sited(sample_inputs())
    verified = green_verified_to(sample)
    assert verified is not None
    day = f"{verified:%Y-%m-%d}"
    start, end = verified - timedelta(days=10), verified + timedelta(days=100)
    across = f"the demand of eu-west/all they serve is unserved from {start} to {end} (110 days)"
    within = (
        f"the demand of eu-west/all they serve is unserved from {start - timedelta(days=30)} "
        f"to {start} (30 days)"
    )
    power = _power_sites(("west-a", "eu-west", "red"), ("west-b", "eu-west", "red")).with_columns(
        exhaustion_date=pl.lit(start - timedelta(days=30)),
        note=pl.Series([f"short from {start}; {across}", f"short from {start}; {within}"]),
    )
    page = _visible(facilities_page(replace(sample, power_triggers=power)))
    assert f"{across[:-1]}; the days past {day}: not verified†)" in page, page
    assert within in page
    assert page.count(unverified_note(sample)) == 1
    # A span wholly past the day, a month's, and one through the plan's end.
    later = f"is unserved from Mar 2027 (monthly grain) to {end}"
    assert unserved_marked(later, verified=verified) == f"{later} (past {day}: not verified†)"
    plan = "is unserved from 2026-12-01 on, through the plan's end"
    assert unserved_marked(plan, verified=verified) == (
        f"{plan} (the days past {day}: not verified†)"
    )


def test_the_power_in_orders_to_place_leads_with_one_sentence_the_rest_folded() -> None:
    """The facilities card "power in orders to place" ran to 70 words on the demo ("none due in
    the orders due by 2026-12-06, as the capital to place (finance page) (the MW needed counts
    every block ...) (+ 103.2 MW for 7 blocks past their site's ceiling ...)"), its MW, sites
    and first date nowhere first. It now leads with one sentence, the MW, at how many sites
    and the first order-by, and folds the whole under a disclosure, as the capital card
    does; where none is due yet the lead names the plan's next."""
    import html

    from test_report import _planned

    from forecasting.report.format import fmt_date, fmt_mw
    from forecasting.report.pages import facilities_page
    from forecasting.report.pages.common import orders_to_place

    sample = sample_inputs()
    planned = _planned(sample, later_capex=600e6).with_columns(
        site=pl.concat_str(pl.col("region"), pl.lit("-a"))
    )
    inputs = replace(sample, placements=planned)
    due = orders_to_place(inputs)
    assert due is not None and due.height
    sites = due["site"].drop_nulls().n_unique()
    assert sites >= 1
    first = due["order_by"].min()
    assert isinstance(first, date)
    lead = (
        f"{fmt_mw(float(due['mw'].sum()))} at {sites} site{'s' if sites > 1 else ''}, the first by "
    )
    page = html.unescape(facilities_page(inputs))
    card = page.split('</div><div class="label">power in orders to place')[0]
    card = card.rsplit('<div class="card">', 1)[1]
    assert f'<details class="more"><summary>{lead}{fmt_date(first)}' in card, card
    summary = card.split("<summary>", 1)[1].split("</summary>", 1)[0]
    assert len(summary.split()) <= 20, summary
    assert "as the capital to place (finance page)" in card.split("</summary>", 1)[1]
    # None due by the as-of day: the plan's next, its MW and first date.
    later = planned.with_columns(order_by=pl.lit(sample.as_of + timedelta(days=30)))
    page = html.unescape(facilities_page(replace(sample, placements=later)))
    card = page.split('</div><div class="label">power in orders to place')[0]
    card = card.rsplit('<div class="card">', 1)[1]
    after = fmt_date(sample.as_of + timedelta(days=30))
    assert f"<summary>none due by {fmt_date(sample.as_of)}; next: " in card, card
    spread = later.filter(pl.col("mw") > 0)["site"].n_unique()
    assert f" MW in orders of the plan at {spread} site" in card, card
    assert f", the first by {after}</summary>" in card, card
