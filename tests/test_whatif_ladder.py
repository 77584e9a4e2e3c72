"""A what-if's capital over a ladder of deal sizes (tests/fixtures/whatif_ladder: the demo
fleet's us-west region, class and total rows of the trigger forecast as of 2026-12-05, its
eu-west rows in forecast_eu_west.parquet, and its capacity.toml): the rule of
forecasting.whatif's "Capital".

Taken as the cheaper of the deal's own blocks and the triggers' re-plan, a 1,000-GPU
inference deal there read $42.2M and a 1,500-GPU one $0 (its re-plan $143.6M cheaper than the
plan), a 750-GPU training deal $0 beside $41.0M for 1,000.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from forecasting.capacity import CapacityPlan, load_capacity
from forecasting.report.format import html_text
from forecasting.text import CapexBound, extra_capex, usd
from forecasting.triggers import TriggerResult, TriggerSettings, expansion_triggers
from forecasting.whatif import WhatIf, deal_contract, what_if
from tests.test_whatif_headline import _page, _printed

_FIXTURE = Path(__file__).parent / "fixtures" / "whatif_ladder"
_AS_OF = date(2026, 12, 5)
_SETTINGS = TriggerSettings(scored_days=364)


@cache
def _fleet() -> tuple[pl.DataFrame, CapacityPlan, TriggerResult]:
    forecast = pl.read_parquet(_FIXTURE / "forecast.parquet")
    plan = load_capacity(_FIXTURE / "capacity.toml")
    return forecast, plan, expansion_triggers(forecast, plan, as_of=_AS_OF, settings=_SETTINGS)


@cache
def _eu_west() -> tuple[pl.DataFrame, CapacityPlan, TriggerResult]:
    forecast = pl.read_parquet(_FIXTURE / "forecast_eu_west.parquet")
    plan = load_capacity(_FIXTURE / "capacity.toml")
    return forecast, plan, expansion_triggers(forecast, plan, as_of=_AS_OF, settings=_SETTINGS)


@cache
def _deal(workload_class: str, gpus: int, region: str = "us-west") -> WhatIf:
    forecast, plan, without = _eu_west() if region == "eu-west" else _fleet()
    deal = deal_contract(
        customer="newco",
        workload_class=workload_class,
        region=region,
        ramp=f"2027-03-01:{gpus}",
    )
    return what_if(forecast, plan, deal, as_of=_AS_OF, settings=_SETTINGS, without=without)


def test_a_deal_s_capital_never_falls_as_it_grows() -> None:
    """Every plan that serves a larger deal serves a smaller one, so its capital never falls
    as it grows: 1,500 inference GPUs read $0 beside $42.2M for 1,000, and 1,500 training GPUs
    $0 beside $41.0M for 1,000, where the re-plan (which jumps with demand) was taken when
    cheaper. The re-plan is still measured, said apart."""
    for workload_class, ladder in (
        ("inference", (100, 1000, 1500, 8000, 20000)),
        ("training", (500, 1000, 1500)),
    ):
        answers = [_deal(workload_class, gpus) for gpus in ladder]
        capex = [a.extra_capex_usd for a in answers]
        assert capex == sorted(capex), (workload_class, ladder, capex)
        assert all(c > 0 for c in capex)
        for answer in answers:
            assert answer.capex_basis.startswith("the blocks its own GPUs need")
    assert _deal("inference", 1500).replan_capex_usd < 0  # the re-plan, said apart


def test_blocks_past_the_ceilings_are_counted_and_their_new_site_priced_as_assumed() -> None:
    """20,000 inference GPUs need more MW than us-west's sites have left under their ceilings
    once the plan is placed: the blocks that do not fit need a new site. It read "at least $X
    (a new site is needed ...: not costed)" with the site's MW at $0, though capacity.toml
    prices every us-west site's MW ($11.0M per MW). The new site's MW are priced at the dearest
    of the region's sites' cost per MW, named as an assumption, and counted in the figure,
    which stays "at least" (a new site's own cost and build time are not in the plan); never a
    smaller total than a deal that fits (15,000 GPUs, measured in full)."""
    fits, past = _deal("inference", 15000), _deal("inference", 20000)
    assert fits.capex_bound is None
    assert past.capex_bound is CapexBound.NEW_SITE
    assert past.extra_capex_usd > fits.extra_capex_usd
    rows = past.deal_blocks.filter(pl.col("blocks_beyond_ceiling") > 0)
    assert rows.height == 1
    row = rows.row(0, named=True)
    mw = row["blocks_beyond_ceiling"] * row["mw"] / row["blocks"]
    assert row["new_site_mw"] == pytest.approx(mw)
    assert row["new_site_usd"] == pytest.approx(mw * 11_000_000.0)
    # Every block is in the capex, those past the ceilings too, the new site's MW, and the
    # power the blocks under the ceilings need beyond the plan's ("Capital", 4).
    assert past.extra_capex_usd == pytest.approx(
        row["capex_usd"] + row["new_site_usd"] + row["power_usd"]
    )
    assert 0 < row["blocks_beyond_ceiling"] <= row["blocks"]
    said = f"{row['blocks_beyond_ceiling']} x rack-h100-256 ("
    assert said in past.capex_basis
    priced = (
        f"its {mw:,.1f} MW priced at $11.0M per MW (every us-west site's cost per MW), an "
        f"assumption: {usd(row['new_site_usd'])}"
    )
    assert priced in past.capex_basis, past.capex_basis
    assert "not costed" not in past.capex_basis
    assert any("past the ceilings of us-west's sites" in note for note in past.notes)
    text = extra_capex(past.extra_capex_usd, bound=past.capex_bound)
    assert text.startswith("at least $") and "not costed" not in text


def test_the_cli_and_the_page_read_blocks_past_the_ceilings_alike() -> None:
    """The CLI's headline and the what-if page say the same lower bound for a deal whose blocks
    pass the ceilings, and its MW as measured: the page's power card read "not measured (an
    order is not sized)" for any bound."""
    from forecasting.report.format import fmt_mw, html_text

    answer = _deal("inference", 20000)
    said = extra_capex(answer.extra_capex_usd, bound=answer.capex_bound)
    assert said.startswith("at least $") and "an existing site's cost per MW" in said
    text, page = _cli_and_page(answer)
    assert f"extra capex {said}, {answer.extra_mw:,.1f} MW" in text
    assert html_text(said) in page
    assert html_text(fmt_mw(answer.extra_mw)) in page
    # The orders table's own-blocks cell sums to the extra capex: the new site's MW with it.
    row = answer.deal_blocks.filter(pl.col("new_site_usd") > 0).row(0, named=True)
    assert html_text(f"for a new site's {fmt_mw(row['new_site_mw'])} (assumed)") in page
    assert "not measured (an order is not sized" not in page


def test_a_deal_served_by_the_plan_s_orders_landing_sooner_says_which_and_by_when() -> None:
    """200 inference GPUs in eu-west read "extra capex $0 (its own GPUs need no block of their
    own)": the capital rule counts the plan's orders from as soon as they could land, and the
    deal was served on 2028-09-01 only by the plan's GB200 cell counted from then, where the
    plan lands it 2028-09-03. No block beyond the plan's, but an order pulled forward: the
    figure says which, its capital and its dates, never a bare $0 read as free."""
    answer = _deal("inference", 200, "eu-west")
    assert answer.extra_capex_usd == 0
    pulled = answer.pulled_orders
    assert pulled.height == 1
    row = pulled.row(0, named=True)
    assert (row["pool"], row["candidate"], row["blocks"]) == ("all", "cell-gb200-8192", 1)
    assert row["needed"] < row["in_service"] and row["order_by_needed"] < row["order_by"]
    said = (
        "no block beyond the plan's; orders of the plan this deal needs sooner (1 order, "
        "$368.6M): "
        "eu-west all 1 x cell-gb200-8192: in service for September 2028 (a monthly row: its "
        f"peak, on no known day, counted from the 1st) instead of {row['in_service']}, "
        f"ordered by {row['order_by_needed']} instead of {row['order_by']} to land by the 1st"
    )
    assert answer.capex_basis == said, answer.capex_basis
    assert "its own GPUs need no block of their own" not in answer.capex_basis
    # The CLI's headline and the page carry it beside the $0.
    text, page = _cli_and_page(answer)
    assert f"extra capex $0, 0.0 MW ({said})" in text
    assert html_text(said) in page


def _cli_and_page(answer: WhatIf) -> tuple[str, str]:
    """The CLI's table as text (one line a row) and the what-if page of ``answer``."""
    return " ".join(_printed(answer).split()), _page(answer)


def test_eu_west_s_ladder_never_falls_and_says_every_pull() -> None:
    """eu-west's ladder keeps the rule: its capital never falls as the deal grows, and every
    rung served by the plan's orders counted sooner than the plan lands them says so beside
    the figure (50, 200, 500 and 1,000 inference GPUs read a bare "$0")."""
    answers = [_deal("inference", gpus, "eu-west") for gpus in (50, 200, 500, 1000, 3000)]
    capex = [a.extra_capex_usd for a in answers]
    assert capex == sorted(capex)
    for answer in answers:
        if answer.pulled_orders.height:
            assert "orders of the plan this deal needs sooner (" in answer.capex_basis
        else:
            assert answer.extra_capex_usd > 0


def test_the_all_pool_s_note_says_which_days_nothing_measured_when_the_pods_move() -> None:
    """12,000 training GPUs in us-east from 2027-03-01 (forecast_us_east.parquet: the demo's
    us-east rows): the all pool's racks are sized to 2028-02-28 counting 2 training pods from
    2027-07-17, and placement dates the pods to their site's power, running from 2028-05-28.
    The note said "not measured for the days between" (2027-07-17 to 2028-05-28), but the
    pool's later orders, sized again on the pods as placed, measure the days after its
    window: only 2027-07-17 to 2028-02-28 is not measured, and the note says so."""
    forecast = pl.read_parquet(_FIXTURE / "forecast_us_east.parquet")
    plan = load_capacity(_FIXTURE / "capacity.toml")
    deal = deal_contract(
        customer="newco", workload_class="training", region="us-east", ramp="2027-03-01:12000"
    )
    answer = what_if(forecast, plan, deal, as_of=_AS_OF, settings=_SETTINGS)
    note = answer.triggers_with.filter(pl.col("pool") == "all")["note"][0]
    assert "which lands 2028-04-30 and runs from 2028-05-28" in note
    assert "not measured for the days between" not in note
    assert (
        "not measured from 2027-07-17 to 2028-02-28, the end of its sizing window (the later "
        "orders count them from when they run)" in note
    ), note


def _pipeline_note(region: str, gpus: int) -> str:
    """The finance page's pipeline row note of a deal of ``gpus`` inference GPUs in ``region``
    from 2027-03-01, at 50 %."""
    from forecasting.contracts import parse_contracts
    from forecasting.whatif import pipeline_if_signed

    forecast, plan, _ = _eu_west() if region == "eu-west" else _fleet()
    book = parse_contracts(
        f"""
[[contract]]
id = "newco-deal"
customer = "newco"
workload_class = "inference"
region = "{region}"
ramp = [{{ date = 2027-03-01, gpus = {gpus} }}]
term_end = 2029-12-31
status = "pipeline"
probability = 0.5
"""
    )
    rows = pipeline_if_signed(forecast, plan, book, as_of=_AS_OF, settings=_SETTINGS)
    return str(rows["note"][0])


def test_the_finance_page_s_pipeline_row_says_the_pull_and_the_new_site_s_price() -> None:
    """The finance page's pipeline rows read "$0" for 200 eu-west GPUs with no word of the
    plan's order they need sooner, and "at least $X (... an assumption)" for 20,000 us-west
    GPUs with no word of whose cost per MW the new site took: the row's note says both, as
    the what-if's headline does."""
    assert "extra capex: no block beyond the plan's; orders of the plan this deal needs" in (
        _pipeline_note("eu-west", 200)
    )
    assert "priced at $11.0M per MW (every us-west site's cost per MW), an assumption" in (
        _pipeline_note("us-west", 20000)
    )


def test_the_capital_rule_s_sooner_and_the_re_plan_s_sooner_are_said_apart() -> None:
    """1,000 eu-west inference GPUs: the CLI's headline read "extra capex $0, 0.0 MW (no block
    beyond the plan's, but it needs 2 of the plan's orders ($960.0M) sooner: ...); it moves
    $566.0M of the plan's orders sooner, up to 30 days", two "sooner" figures for the deal
    where one is the capital rule's (the orders its own GPUs need sooner) and the other the
    triggers' re-run with the deal (a re-plan, said and never counted). Each is labelled as
    whose it is on the headline, the what-if page and the finance page's pipeline row."""
    answer = _deal("inference", 1000, "eu-west")
    needs = "orders of the plan this deal needs sooner (2 orders, $960.0M): eu-west all 70 x"
    replan = (
        "the triggers re-run with the deal move $566.0M of the plan's orders sooner, up to 30 "
        "days (the first due 2027-05-26): a re-plan, not the deal's capital"
    )
    assert needs in answer.capex_basis, answer.capex_basis
    assert answer.sooner_note == replan, answer.sooner_note
    text, page = _cli_and_page(answer)
    pipeline = _pipeline_note("eu-west", 1000)
    for said in (text, page, pipeline):
        assert "it needs 2 of the plan's orders" not in said
        assert "it moves $566.0M" not in said
    assert needs in text and f"; {replan}; revenue" in text
    assert html_text(needs) in page and html_text(replan) in page
    # The pipeline row carries the re-plan's note, whose orders placed sooner say whose.
    assert f"extra capex: no block beyond the plan's; {needs}" in pipeline
    assert (
        "$566.0M of orders placed up to 30 days sooner: a re-plan, not the deal's capital"
        in pipeline
    )


def test_a_ramp_stepping_up_past_the_plan_s_end_says_its_capital_stops_there() -> None:
    """1,000 inference GPUs from 2027-03-01 stepping to 50,000 on 2031-01-01, past the plan's
    end: the CLI's headline read "extra capex $42.2M, 1.9 MW (the blocks its own GPUs need: 5
    x rack-h100-256 ...)" beside revenue "$84.5M to the plan's end ($7,481.4M past it: not
    verified)", a capital figure for 1,000 GPUs read as the deal's. The basis says the figure
    stops at the plan's end and the steps after it are not measured."""
    forecast, plan, without = _fleet()
    deal = deal_contract(
        customer="newco",
        workload_class="inference",
        region="us-west",
        ramp="2027-03-01:1000,2031-01-01:50000",
    )
    answer = what_if(forecast, plan, deal, as_of=_AS_OF, settings=_SETTINGS, without=without)
    assert answer.capex_basis.startswith("the blocks its own GPUs need: ")
    assert answer.capex_basis.endswith(
        f"; to the plan's end ({answer.horizon_end}) only: the capital of its steps after it "
        "(2031-01-01: 50,000 GPUs) is not measured"
    ), answer.capex_basis
    text, page = _cli_and_page(answer)
    assert "(2031-01-01: 50,000 GPUs) is not measured)" in text
    assert html_text("(2031-01-01: 50,000 GPUs) is not measured") in page


def test_the_power_a_deal_s_blocks_need_under_the_ceilings_is_in_its_extra_capex() -> None:
    """A 1,000-GPU us-west inference deal read "extra capex $42.2M, 1.9 MW (the blocks its own
    GPUs need: 5 x rack-h100-256 for us-west all)": its 1.92 MW fit under the sites' ceilings,
    but us-west-a and -b are short of power on the plan without it (their triggers contract
    14.69 and 18.76 MW), so every MW of those racks is power to contract beyond the plan's,
    priced nowhere, while a rack past the ceilings had its MW priced ($11.0M per MW): the
    figure read low without saying so. By hand from capacity.toml: us-west-c has 1.0 MW
    energized and the plan's 2 racks there draw 0.768 MW, so 0.232 MW are spare; the rest,
    1.688 MW, is contracted at $11.0M per MW: $18.6M, itemized and dated (us-west-a, power
    lead time 24 months, short of it from December 2028: contract by 2026-11-03, passed)."""
    _, plan, without = _fleet()
    answer = _deal("inference", 1000)
    rack = next(c for c in plan.candidate if c.name == "rack-h100-256")
    at_c = without.placements.filter(pl.col("site") == "us-west-c")["mw"].sum()
    spare = 1.0 - at_c
    assert spare == pytest.approx(0.232)
    power_mw = 5 * rack.mw - spare
    assert answer.extra_capex_usd == pytest.approx(5 * rack.capex_usd + power_mw * 11e6)
    assert answer.extra_capex_usd == pytest.approx(60.808e6, abs=0.01e6)
    assert answer.capex_bound is None
    power = answer.deal_power
    assert power.select("site", "mw").rows() == [("us-west-a", pytest.approx(power_mw))]
    row = power.row(0, named=True)
    assert row["contract_by"] == date(2026, 11, 3) and row["needed"] == date(2028, 12, 1)
    assert row["energized_from"] == date(2029, 1, 2)
    assert answer.capex_basis.startswith("the blocks its own GPUs need: 5 x rack-h100-256")
    assert (
        "the power they need beyond what the plan secures or contracts ($18.6M): 1.7 MW at "
        "us-west-a ($11.0M per MW), short of it from December 2028 (a monthly row), contract "
        "by 2026-11-03 (its 24 months' power lead time and the triggers' buffer before): "
        "passed, contracted today it is energized 2029-01-02 at the earliest; so $42.2M of "
        "blocks and $18.6M of power"
    ) in answer.capex_basis
    text, page = _cli_and_page(answer)
    assert "extra capex $60.8M, 1.9 MW (the blocks its own GPUs need" in text
    assert html_text("5 × rack-h100-256, $42.2M + $18.6M for 1.7 MW of power") in page
    assert html_text("1.7 MW of it to contract beyond the plan's, $18.6M") in page


def test_a_deal_past_the_ceilings_prices_the_power_of_its_blocks_under_them_too() -> None:
    """20,000 us-west inference GPUs: 1 rack past the ceilings had its MW priced as a new
    site's ($4.2M), the 95 under them $0 (36.5 MW that us-west-a, -b and -c must contract
    beyond the plan's). Every MW of the deal's blocks is now priced but the 0.232 MW spare at
    us-west-c, and a rack under a ceiling never costs less power than one past it."""
    _, plan, _ = _fleet()
    answer = _deal("inference", 20000)
    rack = next(c for c in plan.candidate if c.name == "rack-h100-256")
    blocks = answer.deal_blocks.row(0, named=True)
    assert blocks["blocks"] == 96 and blocks["blocks_beyond_ceiling"] == 1
    power_mw = float(answer.deal_power["mw"].sum())
    assert power_mw == pytest.approx(95 * rack.mw - 0.232)
    priced = (96 * rack.mw - 0.232) * 11e6  # the rack past the ceilings' MW too
    assert answer.extra_capex_usd == pytest.approx(96 * rack.capex_usd + priced)
    assert answer.deal_power["site"].to_list() == ["us-west-a", "us-west-b", "us-west-c"]
    assert answer.capex_basis.endswith(
        "so $811.0M of blocks and $398.7M of power and $4.2M of a new site's MW"
    )


def test_power_that_cannot_be_priced_is_said_beside_the_figure() -> None:
    """Where a site prices its MW at $0, or the region declares no [[site]] (no power is
    checked), the power the deal's blocks need is not in the figure: the basis says so beside
    it, never a bare figure that reads as the whole capital."""
    forecast, plan, _ = _fleet()
    deal = deal_contract(
        customer="newco", workload_class="inference", region="us-west", ramp="2027-03-01:1000"
    )
    free = plan.model_copy(
        update={
            "site": tuple(
                s.model_copy(update={"cost_per_mw_usd": 0.0}) if s.region == "us-west" else s
                for s in plan.site
            )
        }
    )
    answer = what_if(forecast, free, deal, as_of=_AS_OF, settings=_SETTINGS)
    assert answer.deal_power.height and answer.deal_power["usd"].null_count() == 1
    assert answer.extra_capex_usd == pytest.approx(5 * 8_448_000.0)
    assert "(not priced: its cost_per_mw_usd is 0, so not in the figure)" in answer.capex_basis
    bare = plan.model_copy(update={"site": ()})
    answer = what_if(forecast, bare, deal, as_of=_AS_OF, settings=_SETTINGS)
    assert answer.deal_power.is_empty()
    assert answer.capex_basis.endswith(
        "; the power they need is not priced: no [[site]] of us-west in the plan, so no power "
        "is checked there"
    )
