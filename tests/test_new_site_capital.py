"""The capital figures of blocks past every site ceiling, dated by their region's declared
[[new_site]]: the capital to place, the next order-by, triggers.csv and capital by quarter."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from hand_plans import MONDAY, ceiling_inputs, day, site, site_plan

from forecasting.report import ReportInputs
from forecasting.report.inputs import FORECAST_MONTHS_SCHEMA
from forecasting.schema import FORECAST_SCHEMA

AS_OF = MONDAY
# The daily rows' last day: between the rack under s1's ceiling (order by 2026-01-22) and the
# one past it (its new site's order-by, 2026-08-10).
DAILY_DAYS = 150
# A run as of the rack's order-by day: the orders to place are those whose order-by has come
# (pages.common.to_place_by), so the rack under s1's ceiling is one of them, the one past it
# (its new site's 2026-08-10) not yet.
DUE_DAY = date(2026, 1, 22)


def _forecast(days: int) -> pl.DataFrame:
    """Region r1's peak and mean series, every quantile rising from 700 GPUs."""
    values = 700.0 + np.arange(days, dtype=float)
    return pl.concat(
        pl.DataFrame(
            {
                "run_id": "hand",
                "unique_id": "total/r1",
                "ds": [day(i) for i in range(days)],
                "measure": measure,
                "model": "hand",
                **{c: values for c in ("mean", "q10", "q50", "q90", "q99")},
            },
            schema=FORECAST_SCHEMA,
        )
        for measure in ("peak", "mean")
    )


@cache
def _one_past_a_ceiling(*, declared: bool = True, as_of: date = DUE_DAY) -> ReportInputs:
    """Two racks ordered at s1, one under its 1.4 MW ceiling, one past it; r1's new site
    declared with 2 months to build (or none); the daily rows end on day 149, one monthly row
    follows (March 2027: the plan holds the rack under the ceiling, waiting on power to
    2027-02-02). Run as of DUE_DAY, the rack's order-by, unless ``as_of`` says otherwise."""
    new_sites = [{"region": "r1", "build_months": 2, "cost_per_mw_usd": 10e6}]
    plan = site_plan(
        sites=[site(mw=1.0, ceiling_mw=1.4)], new_sites=new_sites if declared else None
    )
    forecast = _forecast(365)
    month = pl.DataFrame(
        {"unique_id": "total/r1", "ds": date(2027, 3, 1), "measure": ["peak", "mean"],
         "model": "hand", **{c: 1_100.0 for c in ("mean", "q10", "q50", "q90", "q99")}},
        schema=FORECAST_MONTHS_SCHEMA,
    )  # fmt: skip
    daily: Any = forecast.filter(pl.col("ds") < day(DAILY_DAYS))
    return ceiling_inputs(plan, forecast, as_of=as_of, forecast=daily, forecast_months=month)


def test_capital_to_place_dates_blocks_past_a_ceiling_by_their_new_site() -> None:
    """The "capital in orders to place" counted the rack past s1's ceiling among the orders
    due by the daily rows' last day ("(+ $8.4M for 1 block past its site's ceiling: a new site
    is needed, not in the plan's totals) ... due by 2026-06-03") by its order's order-by
    (2026-01-22), while its new site dates it 2026-08-10. It now falls due by that date,
    after the window, said to go into a new site; without a [[new_site]] the words stand."""
    from forecasting.report.pages.common import trigger_capital

    said = trigger_capital(_one_past_a_ceiling())
    end = DUE_DAY.isoformat()
    assert f"due by {end}, the as-of day (an order of the plan is due once its" in said, said
    assert "a new site is needed, not in the plan's totals) in" not in said, said
    assert (
        f"for 1 block past its site's ceiling, into a new site, due after {end} by the new "
        "site's order-by (2026-08-10): not to place yet, not in the plan's totals)"
    ) in said, said
    bare = trigger_capital(_one_past_a_ceiling(declared=False))
    assert "for 1 block past its site's ceiling: a new site is needed, not in the plan's" in bare
    assert "into a new site" not in bare


def test_a_capital_to_place_with_nothing_due_says_none_due() -> None:
    """The demo at 26 weeks, no order-by come by its as-of day, read "capital in orders to
    place: none under the site ceilings, of every order of the plan due by 2026-12-05 ...",
    as if blocks past a ceiling were due beside nothing else; none were. As of MONDAY (the
    rack due 2026-01-22, the one past the ceiling by its new site's 2026-08-10) the capital
    and MW cards say none is due; "none under the site ceilings" stays for a run where only
    such blocks fall due."""
    from forecasting.report.pages.common import trigger_capital
    from forecasting.report.pages.facilities import _order_mw

    early = _one_past_a_ceiling(as_of=MONDAY)
    said = trigger_capital(early)
    assert said.startswith("none due by 2026-01-05, the as-of day (an order"), said
    assert "(+ $8.0M in 1 order of the plan due after 2026-01-05, on 2026-01-22" in said, said
    mw = _order_mw(early, early.triggers.filter(pl.col("blocks_to_order") > 0))
    assert mw.startswith("none due in the orders due by 2026-01-05"), mw
    only = trigger_capital(_every_order_past_the_ceilings(due=True))
    assert only.startswith("none under the site ceilings"), only


@cache
def _every_order_past_the_ceilings(*, declared: bool = True, due: bool = False) -> ReportInputs:
    """r1's racks, needed from 2026-04-16 at a site already at its 1.0 MW ceiling, r1's new
    site declared with 2 months to build (start by 2026-01-19) or none. ``due``: run as of
    DUE_DAY, the racks' order-by, with a 1-month build (start by 2026-02-16, not late), so
    that the racks past the ceiling fall due by their new site's order-by (a late site's
    dates move with the as-of day: never due)."""
    build = 1 if due else 2
    new_sites = [{"region": "r1", "build_months": build, "cost_per_mw_usd": 10e6}]
    plan = site_plan(
        sites=[site(mw=1.0, ceiling_mw=1.0)], new_sites=new_sites if declared else None
    )
    return ceiling_inputs(plan, _forecast(365), as_of=DUE_DAY if due else MONDAY)


def test_next_order_by_names_the_new_site_s_when_every_order_is_past_the_ceilings() -> None:
    """Every order past the ceilings: the "next order-by" card read "none due" while the
    finance page dated the racks "order by 2026-01-22, in a new site that must be started by
    2026-01-19". It now names that date, for a new site; without a [[new_site]], "none due"."""
    from forecasting.report.pages.common import next_order_by

    card = next_order_by(_every_order_past_the_ceilings())
    assert card.startswith("2026-01-22"), card
    assert "(r1 · all, for a new site: " in card and "past the site ceilings" in card, card
    assert next_order_by(_every_order_past_the_ceilings(declared=False)) == "none due"
    # The capital card beside it: not "$0 in 0 orders" where only new-site blocks fall due.
    from forecasting.report.pages.common import trigger_capital

    said = trigger_capital(_every_order_past_the_ceilings(due=True))
    assert said.startswith("none under the site ceilings, of the orders due by"), said
    assert (
        "2 blocks past their site's ceiling, into a new site, due by 2026-01-22 by the new "
        "site's order-by (2026-01-22)"
    ) in said, said


def test_triggers_csv_dates_an_order_past_every_ceiling_by_the_new_site(tmp_path: Path) -> None:
    """triggers.csv read a null order_by for racks past every ceiling that every page (and
    orders.csv since its two columns) dates by the region's declared new site ("order by
    2026-01-22, in a new site that must be started by 2026-01-19"): only its note's text held
    the date. Two columns, added last as in orders.csv, carry that order-by and arrival; null
    without a [[new_site]]."""
    from forecasting.report import publish_report

    folder = publish_report(_every_order_past_the_ceilings(), root=tmp_path / "dated")
    triggers = pl.read_csv(folder / "triggers.csv", try_parse_dates=True)
    # Then the next report's words (test_orders_before_next_report), then why a marked
    # status is not verified (test_said_once).
    assert triggers.columns[-4:] == [
        "new_site_order_by",
        "new_site_arrives",
        "due_before_next_report",
        "status_note",
    ]
    row = triggers.filter(pl.col("pool") == "all").row(0, named=True)
    assert (row["order_by"], row["new_site_order_by"]) == (None, date(2026, 1, 22))
    assert row["new_site_arrives"] == date(2026, 3, 19)
    orders = pl.read_csv(folder / "orders.csv", try_parse_dates=True)
    first = orders.filter(pl.col("tranche") == 1).row(0, named=True)
    assert (first["new_site_order_by"], first["new_site_arrives"]) == (
        row["new_site_order_by"],
        row["new_site_arrives"],
    )
    bare = publish_report(_every_order_past_the_ceilings(declared=False), root=tmp_path / "bare")
    undated = pl.read_csv(bare / "triggers.csv")
    assert undated.columns[-4:-2] == ["new_site_order_by", "new_site_arrives"]
    assert undated["new_site_order_by"].is_null().all()


def test_capital_by_quarter_stacks_blocks_past_a_ceiling_at_their_new_site_s_order_by() -> None:
    """Finance's capital by quarter read "Not in the bars: $8.0M for 1 block past its site's
    ceiling (a new site is needed), dated by the new site their region must start (the
    orders' order-by)": on no bar, dated by nothing the chart showed, while the new site
    dates the rack 2026-08-10. It is now stacked in 2026 Q3, a series of its own, and the
    takeaway counts it apart from the plan's orders; without a [[new_site]] it stays apart."""
    import html

    from forecasting.report.pages.finance import finance_page

    inputs = _one_past_a_ceiling()
    page = html.unescape(finance_page(inputs))
    assert "dated by the new site their region must start (the orders' order-by)" not in page
    assert "$8.0M of blocks past their site's ceiling, into a new site at its order-by" in page
    from forecasting.report.figures import NEW_SITE_BLOCKS_SERIES, capital_chart
    from forecasting.report.pages.common import new_site_parts, plan_last_day

    chart = capital_chart(
        inputs.triggers,
        as_of=inputs.as_of,
        placements=inputs.placements,
        end=plan_last_day(inputs),
        construction=inputs.construction,
        new_site_blocks=new_site_parts(inputs),
    )
    assert chart is not None
    [bar] = [t for t in chart.figure.data if t.name == NEW_SITE_BLOCKS_SERIES]
    assert (list(bar.x), list(bar.y)) == (["2026 Q3"], [8.0])
    bare = html.unescape(finance_page(_one_past_a_ceiling(declared=False)))
    assert "Not in the bars: $8.0M for 1 block past its site's ceiling" in bare
    assert "into a new site at its order-by" not in bare


def test_blocks_to_order_count_a_block_past_a_ceiling_by_its_new_site_s_order_by() -> None:
    """Finance's "blocks to order" card read "2 racks (the orders due by 2026-06-03, as the
    capital card)" while that card, dating the rack past s1's ceiling by its new site
    (2026-08-10), counts it due after: the card now counts 1 rack; without a [[new_site]],
    both as before."""
    from forecasting.report.pages.finance import _blocks_to_place

    inputs = _one_past_a_ceiling()
    ordering = inputs.triggers.filter(pl.col("blocks_to_order") > 0)
    said = _blocks_to_place(inputs, ordering)
    assert said.startswith("1 rack (the orders due by 2026-01-22, as the capital card)"), said
    bare = _one_past_a_ceiling(declared=False)
    said = _blocks_to_place(bare, bare.triggers.filter(pl.col("blocks_to_order") > 0))
    assert said.startswith("2 racks (the orders due by"), said


def test_every_order_s_capital_says_the_blocks_past_a_ceiling_go_into_the_new_site() -> None:
    """The front page read "(+ $8.4M for 1 block past its site's ceiling, into a new site, ...)"
    on the capital to place and "(+ $8.4M for 1 block past its site's ceiling: a new site is
    needed, ...)" on the card beside it, capital in every order of the plan, for the same rack
    and the new site the plan declares. Both say it goes into the new site; without a
    [[new_site]] the words stand."""
    from forecasting.report.pages.common import every_order_capital

    said = every_order_capital(_one_past_a_ceiling())
    assert said is not None
    assert "for 1 block past its site's ceiling, into a new site, not in the plan's totals" in said
    assert "a new site is needed" not in said
    bare = every_order_capital(_one_past_a_ceiling(declared=False))
    assert bare is not None and "past its site's ceiling: a new site is needed" in bare


def test_facilities_mw_to_place_counts_blocks_past_a_ceiling_by_their_new_site() -> None:
    """The facilities card "power in orders to place" read "0.8 MW in the orders due by
    2026-06-03, as the capital to place (finance page) (0.4 MW of it past their sites'
    ceilings: a new site is needed)", counting the rack past s1's ceiling by its order's
    order-by (2026-01-22), while the capital card it names dates that rack by its new site
    (2026-08-10), due after: not to place yet. Where only new-site blocks fall due, it read
    "0.0 MW" beside "none under the site ceilings (+ $16.0M for 2 blocks ..., due by the new
    site's order-by ...)". Both now count by the capital card's rule; without a [[new_site]]
    the words stand."""
    from forecasting.report.pages.facilities import _order_mw

    def mw(inputs: ReportInputs) -> str:
        return _order_mw(inputs, inputs.triggers.filter(pl.col("blocks_to_order") > 0))

    said = mw(_one_past_a_ceiling())
    assert said.startswith("0.4 MW in the orders due by 2026-01-22, as the capital to place"), said
    assert "of it past their sites' ceilings" not in said, said
    assert (
        "(+ 0.4 MW for 1 block past its site's ceiling, into a new site, due after 2026-01-22 "
        "by the new site's order-by (2026-08-10): not to place yet, not in the MW above)"
    ) in said, said
    bare = mw(_one_past_a_ceiling(declared=False))
    assert bare.startswith("0.8 MW in the orders due by 2026-01-22"), bare
    assert "(0.4 MW of it past their sites' ceilings: a new site is needed)" in bare, bare
    only = mw(_every_order_past_the_ceilings(due=True))
    assert only.startswith("none under the site ceilings"), only
    assert (
        "(+ 0.8 MW for 2 blocks past their site's ceiling, into a new site, due by 2026-01-22 "
        "by the new site's order-by (2026-01-22): not in the MW above)"
    ) in only, only


def _series(unique_id: str, values: Any) -> pl.DataFrame:
    """Peak and mean rows of ``unique_id`` from MONDAY, every quantile ``values``."""
    return pl.concat(
        pl.DataFrame(
            {
                "run_id": "hand",
                "unique_id": unique_id,
                "ds": [day(i) for i in range(len(values))],
                "measure": measure,
                "model": "hand",
                **{c: values for c in ("mean", "q10", "q50", "q90", "q99")},
            },
            schema=FORECAST_SCHEMA,
        )
        for measure in ("peak", "mean")
    )


@cache
def _new_site_before_a_trigger() -> ReportInputs:
    """r1's racks all past s1's 1.0 MW ceiling, dated by r1's new site (order-by 2026-01-22);
    r2's rack under s2's, due by its trigger's own order-by, 2026-05-02."""
    from hand_plans import block

    plan = site_plan(
        sites=[site(mw=1.0, ceiling_mw=1.0), site("s2", mw=5.0, region="r2")],
        blocks=[block(), block("r2-rack", region="r2", site="s2")],
        new_sites=[{"region": "r1", "build_months": 2, "cost_per_mw_usd": 10e6}],
    )
    forecast = pl.concat([_forecast(365), _series("total/r2", 600.0 + np.arange(365.0))])
    return ceiling_inputs(plan, forecast)


def _triggers_line(inputs: ReportInputs) -> str:
    from types import SimpleNamespace

    from flows.tables import triggers_line
    from forecasting.runs.reports import report_outcome

    return triggers_line(report_outcome(inputs, SimpleNamespace(run_id="t"), Path(".")))  # type: ignore[arg-type]


def test_order_first_names_blocks_past_a_ceiling_due_first_by_their_new_site() -> None:
    """The terminal's triggers line said "order first" off the triggers' order-by dates alone:
    with every order past the ceilings (no trigger dated) it said no order at all, beside the
    pages' "next order-by: 2026-01-22 (r1 · all, for a new site ...)"; with r2's green rack
    due 2026-05-02 it read "order first: r2/all by 2026-05-02 (green)", and so did the
    pages' card, while red r1's racks were due 2026-01-22 by their new site's order-by. Both
    now name the new site's date where it comes first."""
    from forecasting.report.pages.common import next_order_by

    new_site = (
        "r1/all by 2026-01-22 (for a new site: 2 x rack-h100 past the site ceilings, by the "
        "new site's order-by)"
    )
    alone = _every_order_past_the_ceilings()
    assert next_order_by(alone).startswith("2026-01-22 (r1 · all, for a new site"), alone
    assert f"; order first: {new_site}" in _triggers_line(alone)
    both = _new_site_before_a_trigger()
    card = next_order_by(both)
    assert card.startswith("2026-01-22 (r1 · all, for a new site: 2 × rack-h100"), card
    line = _triggers_line(both)
    assert f"; order first: {new_site}; then the pools' first orders, from r2/all by " in line
    assert "order first: r2/all" not in line, line
    assert "order first" not in _triggers_line(_every_order_past_the_ceilings(declared=False))


def test_blocks_to_order_keep_a_share_on_power_beside_a_later_share_past_the_ceiling() -> None:
    """A fleet planned at five times its capacity read "blocks to order: 0 (the orders due by
    2027-06-05, as the capital card)" beside that card's "$194.3M in 1 order": eu-west's first
    order was split into 23 racks on power, due now, and 228 waiting on power, 32 of them past
    the ceiling and dated by the new site; the 32 were taken out of both shares (one site, one
    tranche), leaving the 23 at -9. Only the share that holds them loses them."""
    from dataclasses import replace

    from forecasting.report.pages.finance import _blocks_to_place

    inputs = _one_past_a_ceiling()
    (row,) = inputs.placements.to_dicts()
    on_power = row | {"blocks": 1, "blocks_beyond_ceiling": 0, "powered": True,
                      "capex_usd": 8e6, "mw": 0.4, "runs_from": row["arrives"]}  # fmt: skip
    waiting = row | {"blocks": 2, "order_by": date(2026, 12, 1)}
    split = replace(
        inputs, placements=pl.DataFrame([on_power, waiting], schema=inputs.placements.schema)
    )
    ordering = split.triggers.filter(pl.col("blocks_to_order") > 0)
    said = _blocks_to_place(split, ordering)
    assert said.startswith("1 rack (the orders due by 2026-01-22, as the capital card)"), said
