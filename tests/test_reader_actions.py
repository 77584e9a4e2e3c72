"""The cards a reader acts on say the action whole: what, how much, where, by when."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import polars as pl
from test_report import _sited, _visible, sample_inputs

from forecasting.capacity import Site
from forecasting.report.inputs import ReportInputs
from forecasting.report.pages.common import MONTHLY_GRAIN
from forecasting.triggers import POWER_TRIGGERS_SCHEMA


def _with_power(rows: list[dict[str, Any]]) -> ReportInputs:
    power = POWER_TRIGGERS_SCHEMA.to_frame()
    if rows:
        power = pl.concat(
            [power, pl.DataFrame(rows).cast({"contract_by": pl.Date})], how="diagonal_relaxed"
        ).select(POWER_TRIGGERS_SCHEMA.keys())
    inputs = _sited(sample_inputs())
    # Both regions sited: power is checked everywhere, so "nothing to contract" means it.
    east = Site(id="us-east-a", region="us-east", power_lead_months=24, cost_per_mw_usd=11e6)
    plan = inputs.plan.model_copy(update={"site": (*inputs.plan.site, east)})
    return replace(inputs, plan=plan, power_triggers=power)


def _power_card(inputs: ReportInputs) -> str:
    from forecasting.report.pages.facilities import _cards

    return dict(_cards(inputs))["power to contract"]


def test_the_power_card_says_how_many_mw_to_contract_where_and_by_when() -> None:
    """The facilities page's power card read "contract more power by: 2024-02-05, 1,035 days
    ago: late (us-east-c; monthly grain ...)": a date and a site, but not what to contract
    there; the 21.4 MW stood in the table below it. The card now reads the action whole:
    how many MW, at which site, by when, each site due that first day with its own MW."""
    by = date(2025, 2, 1)
    sites = [
        {"region": "us-east", "site": site, "status": "red", "contract_by": by,
         "mw_to_contract": mw, "mw_beyond_ceiling": 0.0, "monthly_only": monthly,
         "note": f"contract {mw:.2f} MW by 2025-02-01"}
        for site, mw, monthly in (("us-east-a", 21.43, False), ("us-east-b", 5.0, True))
    ]  # fmt: skip
    card = _power_card(_with_power(sites))
    assert card.startswith("contract 21.4 MW at us-east-a and 5.0 MW at us-east-b by 2025-02-01"), (
        card
    )
    assert f"us-east-b at the {MONTHLY_GRAIN}" in card, card
    alone = _power_card(_with_power(sites[:1]))
    assert alone.startswith("contract 21.4 MW at us-east-a by 2025-02-01"), alone
    # A site whose planned MW cover its need, energized late: the action is to bring it forward.
    forward = [sites[0] | {"mw_to_contract": 0.0}]
    said = _power_card(_with_power(forward))
    assert said.startswith("bring us-east-a's planned power forward (no more MW) by 2025-02-01"), (
        said
    )


def test_the_power_card_with_nothing_due_says_nothing_to_contract() -> None:
    """With no site short of power, the card read "none within the horizon" under "contract
    more power by": none of what? It says there is nothing to contract within the horizon."""
    assert _power_card(_with_power([])) == "nothing to contract within the horizon"


def _red_for_power() -> ReportInputs:
    """The sample with us-east's training order on time (order-by 36 days ahead, landing 14
    days before its shortfall) but red: its site has the MW only 58 days after the shortfall."""
    inputs = sample_inputs()
    training = (pl.col("region") == "us-east") & (pl.col("pool") == "training")
    exhausted = inputs.triggers.filter(training)["exhaustion_date"][0]
    triggers = inputs.triggers.with_columns(
        status=pl.when(training).then(pl.lit("red")).otherwise(pl.col("status")),
        powered_from=pl.when(training)
        .then(pl.lit(exhausted + timedelta(days=58)))
        .otherwise(pl.col("powered_from")),
    )
    return replace(inputs, triggers=triggers)


def test_a_pool_red_for_power_says_so_in_its_status_cell() -> None:
    """A training pool whose order-by was eight months ahead read a bare "red" in the finance
    orders table: a reader took it for a capacity shortfall the order is too late for, while
    the order is on time and the cause is its site's MW, energized after the shortfall (the
    note said "power is the constraint" 150 words in). The status cell names the timeline
    that binds, power, and the day the site's power comes."""
    from forecasting.report.pages.finance import finance_page

    inputs = _red_for_power()
    exhausted = inputs.triggers.filter(pl.col("pool") == "training")["exhaustion_date"][0]
    page = _visible(finance_page(inputs))
    powered = exhausted + timedelta(days=58)
    said = f"red for power: its blocks wait for their site's power to {powered}, past the shortfall"
    assert said in page
    # The other red pool (us-east/all) is red for its lead time: no word of power.
    assert page.count("red for power") == 1


def _nothing_due_yet() -> ReportInputs:
    """The sample with no order due by its as-of day: us-east's first order falls due in a
    week, the rest later."""
    inputs = sample_inputs()
    east = (pl.col("region") == "us-east") & (pl.col("pool") == "all")
    triggers = inputs.triggers.with_columns(
        order_by=pl.when(east)
        .then(pl.lit(inputs.as_of + timedelta(days=7)))
        .otherwise(pl.col("order_by")),
        status=pl.when(east).then(pl.lit("green")).otherwise(pl.col("status")),
    )
    return replace(inputs, triggers=triggers)


def _cards_of(page: str) -> dict[str, str]:
    """The page's cards, label to value, as a reader reads them."""
    import html
    import re

    found = re.findall(
        r'<div class="big">(.*?)</div>\s*<div class="label">(.*?)</div>', page, flags=re.S
    )
    text = {v: " ".join(html.unescape(re.sub(r"<[^>]+>", " ", v)).split()) for v, _ in found}
    return {" ".join(html.unescape(k).split()): text[v] for v, k in found}


def test_nothing_due_and_the_next_order_read_as_one_card_a_reader_acts_on() -> None:
    """The front page read "none due by 2026-12-06, the as-of day (...)" under "capital in
    orders to place" beside "2026-12-13 (eu-west · all, ...)" under "next order-by": one fact
    in two cards, and neither said what the order is and what it costs. With nothing due yet
    one card says the next order whole: what, for which pool, how much, by when; and that
    nothing is due by the as-of day. The finance page's cards read the same."""
    from forecasting.report.pages.finance import finance_page
    from forecasting.report.pages.index import run_index_page

    inputs = _nothing_due_yet()
    week = inputs.as_of + timedelta(days=7)
    for page in (run_index_page(inputs), finance_page(inputs)):
        cards = _cards_of(page)
        assert "capital in orders to place" not in cards and "next order-by" not in cards, cards
        said = cards["next order to place"]
        assert said.startswith(f"2 × pod-h100-1024 for us-east · all, $84.0M, by {week}"), said
        assert f"none due by {inputs.as_of}" in said, said
        assert "blocks to order" not in cards  # "0 (the orders due by ...)" beside it
    # With an order due, the two cards stand: the capital due now, and the first order-by.
    cards = _cards_of(run_index_page(sample_inputs()))
    assert "capital in orders to place" in cards and "next order-by" in cards


def test_a_pool_red_for_power_its_trigger_undated_reads_its_first_order_s_wait() -> None:
    """The demo's us-west training pool, red, read its power only in the arrives cell ("no
    power for it in the plan: runs from 2029-01-03 at the earliest") while its status said
    a bare "red": its trigger keeps no powered-from day where only power contracted today
    has the MW. The status reads the day its first order's blocks wait to."""
    from forecasting.report.pages.finance import finance_page

    inputs = sample_inputs()
    training = inputs.triggers.filter(pl.col("pool") == "training").row(0, named=True)
    runs = training["exhaustion_date"] + timedelta(days=30)
    share = {
        "region": "us-east", "pool": "training", "candidate": training["candidate"],
        "site": "us-east-b", "blocks": 1, "mw": 1.6, "arrives": training["arrives"],
        "powered": False, "tranche": 1, "order_by": training["order_by"],
        "capex_usd": training["capex_usd"], "exhaustion_date": training["exhaustion_date"],
        "status": "red", "blocks_beyond_ceiling": 0, "runs_from": runs,
    }  # fmt: skip
    placements = pl.concat([inputs.placements, pl.DataFrame([share])], how="diagonal_relaxed")
    triggers = inputs.triggers.with_columns(
        status=pl.when(pl.col("pool") == "training").then(pl.lit("red")).otherwise("status")
    )
    page = _visible(finance_page(replace(inputs, triggers=triggers, placements=placements)))
    assert f"red for power: its blocks wait for their site's power to {runs}" in page


def test_a_next_order_by_at_the_monthly_grain_gone_by_says_late() -> None:
    """A 6-week run's front page read "next order-by: 2026-10-12 at the monthly grain, not
    verified at the daily grain (eu-west · all, amber: see its note)" on a run as of
    2026-12-06: a date 55 days gone under "next", read as a deadline still ahead, while the
    orders table beside it said "55 days before the as-of date: late". The card says so too."""
    from forecasting.report.pages.common import next_order_by

    inputs = sample_inputs()
    east = (pl.col("region") == "us-east") & (pl.col("pool") == "all")
    gone = inputs.as_of - timedelta(days=55)
    triggers = inputs.triggers.with_columns(
        monthly_only=east,
        status=pl.when(east).then(pl.lit("amber")).otherwise(pl.col("status")),
        order_by=pl.when(east).then(pl.lit(gone)).otherwise(pl.col("order_by")),
    )
    said = next_order_by(replace(inputs, triggers=triggers))
    assert said.startswith(f"{gone} at the monthly grain"), said
    assert "55 days before the as-of date: late" in said, said
