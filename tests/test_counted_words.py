"""Counts and figures said in their own words on unusual fleets (a sweep of session 61):
"1 of the 1 blocks", "block(s)", a top-5 share on a 2-customer fleet."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
from test_report import sample_inputs

from forecasting.report.format import html_text
from forecasting.report.pages import finance_page
from forecasting.report.pages.finance import idle_risk_line


def test_the_idle_card_says_the_one_block_judged_not_1_of_the_1_blocks() -> None:
    """Helios at 2 weeks printed "capex at idle risk: ... (1 of the 1 blocks judged on days
    past ..., where no backtest measured the forecast's error: not verified there)", and the
    finance page "Not verified: 1 of the 1 blocks judged is judged on ...". One block judged
    reads as one; every block judged past the day reads "all"; a part reads "1 of the 2"."""
    inputs = sample_inputs()
    # The sample judges 2 blocks, west-pod-2 past 2026-12-19: keep only that one.
    one = inputs.idle_risk.filter(pl.col("block_id") == "west-pod-2")
    alone = replace(inputs, idle_risk=one)
    line = idle_risk_line(alone)
    assert "1 of the 1 blocks" not in line
    assert "; the 1 block judged on days past 2026-12-19, where no backtest measured" in line
    page = finance_page(alone)
    assert "1 of the 1 blocks" not in page
    assert html_text("Not verified: the 1 block judged is judged on days past 2026-12-19") in page
    both = replace(
        inputs, idle_risk=inputs.idle_risk.with_columns(in_service=pl.lit(date(2027, 1, 6)))
    )
    assert "all 2 blocks judged on days past 2026-12-19" in idle_risk_line(both)
    assert "1 of the 2 blocks judged on days past 2026-12-19" in idle_risk_line(inputs)
    # A plan with a single committed block, none judged: "any of the 1 committed blocks".
    unjudged = one.with_columns(idle_gpus=pl.lit(None, pl.Float64))
    card = idle_risk_line(replace(inputs, idle_risk=unjudged))
    assert "not judged for the 1 committed block (see its note)" in card


def _two_customers_history() -> pl.DataFrame:
    """The sample's history with two named customers of inference and no tail: the tiny
    fleet's shape (2 customers, one region, one class)."""
    history = sample_inputs().history
    named = history.filter(pl.col("customer") == "northwind-ai")
    second = named.with_columns(
        customer=pl.lit("zephyr"),
        unique_id=pl.col("unique_id").str.replace("northwind-ai", "zephyr"),
    )
    return pl.concat([history.filter(pl.col("customer").is_null()), named, second])


def test_a_top_5_share_on_a_fleet_of_2_customers_says_it_is_all_of_them() -> None:
    """The tiny fleet (2 customers) read "top-5 share 100.0% -> 100.0%" and "the top-5
    customers' share moves from 100.0% ... to 100.0%", as if a measured concentration: with
    no more customers than the top 5 and no tail, the top 5 are all of them, and it says so."""
    from forecasting.concentration import customers_within_top
    from forecasting.report.figures import concentration_charts
    from forecasting.report.pages.finance import _concentration_table

    inputs = sample_inputs()
    history = _two_customers_history()
    whole = customers_within_top(history)
    assert whole == {"all": 2, "inference": 2, "training": 2}
    full = inputs.concentration.with_columns(
        value=pl.when(pl.col("metric") == "top5_share").then(1.0).otherwise(pl.col("value")),
        q50=pl.when(pl.col("metric") == "top5_share").then(1.0).otherwise(pl.col("q50")),
    )
    table = _concentration_table(full, inputs.chosen, history=history)
    said = {(str(r[0]), str(r[1])): r for r in table.rows}
    assert said[("overall", "top-5 share")][2] == "2 customers: top-5 is all of them"
    assert said[("overall", "top-5 share")][4] == "all of them"
    assert "100.0%" not in " ".join(str(c) for c in said[("overall", "top-5 share")])
    caption = concentration_charts(full, whole=whole)[0].takeaway
    # The chart says it in the table's words (it read "2 customers: the top-5 customers'
    # share is all of them" beside the table's "2 customers: top-5 is all of them").
    assert "2 customers: top-5 is all of them" in caption, caption
    assert "top-5 customers' share moves" not in caption
