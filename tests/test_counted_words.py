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
