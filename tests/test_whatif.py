"""Contract what-if on a hand-built plan and forecast whose every date is known to the day.

Region r2 has 900 GPUs (a 400-GPU rack and a 500-GPU pod), its peak q90 is 600 + d on day d
after MONDAY, and every class keeps 20 % headroom: without a deal the region runs short when
(600 + d) / 0.8 > 900, on day 121. Candidate racks take 8 weeks, pods 20.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from forecasting.capacity import CapacityPlan
from forecasting.contracts import Contract, ContractBook, ContractRuleError, Step
from forecasting.runs import WhatIfOutcome
from forecasting.triggers import (
    PLACEMENTS_SCHEMA,
    MonthsRefused,
    TriggerSettings,
    expansion_triggers,
)
from forecasting.whatif import (
    ORDERS_SCHEMA,
    DealError,
    WhatIf,
    deal_contract,
    what_if,
    with_deal,
)
from forecasting.whatif.serving import _short_from, served_in_full_from
from tests.test_triggers import MONDAY, _block, _plan, _r2_blocks, _row, _series


def _day(d: int) -> date:
    return MONDAY + timedelta(days=d)


def _forecast() -> pl.DataFrame:
    return pl.concat(
        [
            _series("total/r2", "peak", q90=lambda d: 600 + d),
            _series("total/r2", "mean", q90=500.0),
            _series("total/r2/inference", "peak", q90=lambda d: 600 + d),
            _series("total/r2/inference", "mean", q90=500.0),
            _series("total/r2/inference/acme", "mean", q90=100.0),
            _series("total/r2/inference/acme", "peak", q90=120.0),
            _series("total/r2/inference/other", "mean", q90=400.0),
        ]
    )


def _value(frame: pl.DataFrame, uid: str, measure: str, day: int, column: str = "q90") -> float:
    row = frame.filter(
        (pl.col("unique_id") == uid) & (pl.col("measure") == measure) & (pl.col("ds") == _day(day))
    )
    assert row.height == 1
    return float(row[column][0])


def test_a_new_customer_lifts_every_level_above_it_by_its_ramp() -> None:
    """A customer the forecast does not know adds its whole ramp to its class, region and a
    new series of its own; days before the ramp and other series are untouched."""
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(30)}:200"
    )
    lifted = with_deal(_forecast(), deal)
    assert _value(lifted, "total/r2", "peak", 40) == 600 + 40 + 200
    assert _value(lifted, "total/r2/inference", "mean", 40, "mean") == 500 + 200
    assert _value(lifted, "total/r2/inference/newco", "peak", 40) == 200
    assert _value(lifted, "total/r2", "peak", 29) == 600 + 29
    assert _value(lifted, "total/r2/inference/other", "mean", 40) == 400


def test_a_known_customer_is_floored_not_added_to() -> None:
    """acme already runs 100 (mean) and 120 (peak): a 150-GPU contract lifts it to 150, so
    its region gains 50 on the mean and 30 on the peak, not 150."""
    deal = deal_contract(
        customer="acme", workload_class="inference", region="r2", ramp=f"{_day(0)}:150"
    )
    lifted = with_deal(_forecast(), deal)
    assert _value(lifted, "total/r2/inference/acme", "mean", 10, "mean") == 150
    assert _value(lifted, "total/r2", "mean", 10, "mean") == 500 + 50
    assert _value(lifted, "total/r2", "peak", 10) == 600 + 10 + 30
    # A contract below what the customer runs changes nothing.
    small = deal_contract(
        customer="acme", workload_class="inference", region="r2", ramp=f"{_day(0)}:80"
    )
    assert with_deal(_forecast(), small).equals(_forecast())


def test_a_monthly_row_takes_a_mid_month_ramp_as_its_peak_day_or_its_average_day() -> None:
    """Past the daily rows a month is its peak day (peak measure) or its average day (mean
    measure): a 310-GPU deal from the 11th of a 31-day month lifts the peak month by 310 and
    the mean month by 310 x 21/31 = 210, every level above the new customer alike."""
    daily = _forecast().with_columns(pl.lit("day").alias("grain"))
    month = date(2027, 3, 1)
    monthly = daily.filter(pl.col("ds") == daily["ds"].max()).with_columns(
        pl.lit(month).alias("ds"), pl.lit("month").alias("grain")
    )
    forecast = pl.concat([daily, monthly])
    deal = deal_contract(
        customer="newco",
        workload_class="inference",
        region="r2",
        ramp=f"{month.replace(day=11)}:310",
    )
    lifted = with_deal(forecast, deal)

    def at_month(uid: str, measure: str) -> float:
        row = lifted.filter(
            (pl.col("unique_id") == uid) & (pl.col("measure") == measure) & (pl.col("ds") == month)
        )
        return float(row["mean"][0])

    def before(uid: str, measure: str) -> float:
        row = monthly.filter((pl.col("unique_id") == uid) & (pl.col("measure") == measure))
        return float(row["mean"][0])

    for uid in ("total/r2", "total/r2/inference"):
        assert at_month(uid, "peak") == pytest.approx(before(uid, "peak") + 310)
        assert at_month(uid, "mean") == pytest.approx(before(uid, "mean") + 210)


def test_a_deal_that_outruns_the_lead_times_is_served_from_the_first_arrival() -> None:
    """200 GPUs from day 30 put r2 short at once ((630 + 200) / 0.8 > 900); racks ordered on
    MONDAY arrive on day 56, so the deal is served in full from then, not from day 30."""
    plan = _plan(_r2_blocks())
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(30)}:200"
    )
    answer = what_if(_forecast(), plan, deal, as_of=MONDAY)
    assert answer.orders.schema == ORDERS_SCHEMA
    row = answer.orders.filter(pl.col("pool") == "all").row(0, named=True)
    assert row["exhaustion_without"] == _day(121)
    assert row["exhaustion_with"] == _day(30)
    assert row["status_with"] == "red"
    assert answer.serve_from == _day(56)
    assert not answer.can_serve
    assert answer.short_from is None  # short on its first day: never served before day 56
    assert answer.extra_capex_usd > 0
    assert row["blocks_with"] > row["blocks_without"]


def test_revenue_counts_only_the_hours_the_plan_serves_in_full() -> None:
    """200 GPUs from day 30 are served in full only from day 56, when the racks arrive: the
    revenue counts days 56-100 and a note says so (it counted from day 30, as if served)."""
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(30)}:200",
        until=_day(100), price_per_gpu_hour=3.0,
    )  # fmt: skip
    answer = what_if(_forecast(), _plan(_r2_blocks()), deal, as_of=MONDAY)
    assert answer.serve_from == _day(56)
    assert answer.gpu_hours == 200 * 24 * 71
    assert answer.revenue_usd == pytest.approx(200 * 24 * 45 * 3.0)
    assert any(
        n.startswith(f"revenue counts only the hours served in full: from {_day(56)}")
        for n in answer.notes
    )


def test_a_deal_served_on_the_plan_until_its_ramp_outruns_it_says_both() -> None:
    """20 GPUs from day 10 fit the plan; the step to 200 on day 30 puts r2 short until the
    racks ordered today arrive on day 56. The deal is served from day 10, short from day 30
    and in full again from day 56: "served from day 56" alone read as if it could not start."""
    plan = _plan(_r2_blocks())
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2",
        ramp=f"{_day(10)}:20,{_day(30)}:200",
    )  # fmt: skip
    answer = what_if(_forecast(), plan, deal, as_of=MONDAY)
    assert answer.serve_from == _day(56)
    assert answer.short_from == str(_day(30))
    assert answer.serve_note.startswith(
        f"served from its first ramp day on the capacity planned until the shortfall from "
        f"{_day(30)}, then short until blocks ordered today are in service on {_day(56)}"
    )


def _priced(ramp: str) -> Contract:
    """newco's inference deal in r2 on ``ramp``, to day 40, at $3 per GPU-hour."""
    return deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=ramp, until=_day(40),
        price_per_gpu_hour=3.0,
    )  # fmt: skip


def test_a_deal_the_plan_absorbs_is_served_from_its_first_day_and_priced() -> None:
    """A 20-GPU deal from day 10 to day 40 moves nothing: served from day 10, no new capital
    (and it says so, not that its orders arrive in time), revenue = GPU-hours x the class
    price."""
    answer = what_if(_forecast(), _plan(_r2_blocks()), _priced(f"{_day(10)}:20"), as_of=MONDAY)
    assert answer.serve_from == _day(10)
    assert answer.can_serve
    assert answer.gpu_hours == 20 * 24 * 31
    assert answer.revenue_usd == pytest.approx(20 * 24 * 31 * 3.0)
    assert answer.extra_capex_usd == 0
    assert answer.serve_note.startswith(
        "served from its first ramp day on the capacity already planned: it needs no extra block"
    )


def test_a_ramp_dated_before_the_forecast_is_weighed_from_its_first_day() -> None:
    """Steps before the forecast's first day become one step on it, at the count in force
    then: nothing before it is served or earned (a 2020 ramp earned five years of revenue)."""
    deal = _priced(f"{_day(-300)}:10,{_day(-100)}:20,{_day(20)}:30")
    answer = what_if(_forecast(), _plan(_r2_blocks()), deal, as_of=MONDAY)
    assert answer.deal.ramp == (Step(_day(0), 20), Step(_day(20), 30))
    assert answer.serve_from == _day(0)
    assert answer.gpu_hours == 20 * 24 * 20 + 30 * 24 * 21
    assert answer.revenue_usd == pytest.approx(answer.gpu_hours * 3.0)
    assert any(f"the forecast's first day ({_day(0)})" in n for n in answer.notes)


def test_a_deal_over_before_the_forecast_starts_is_refused_with_the_fix() -> None:
    """A term that ends before the forecast's first day leaves nothing to weigh: the error
    says so and names --until, and that the end was assumed when none was given."""
    plan = _plan(_r2_blocks())
    ended = deal_contract(
        customer="x", workload_class="inference", region="r2", ramp=f"{_day(-3000)}:5"
    )
    with pytest.raises(DealError, match=r"before the forecast's first day .*--until .*no end"):
        what_if(_forecast(), plan, ended, as_of=MONDAY)


def test_a_deal_with_no_gpus_or_none_before_the_plan_ends_is_refused_with_the_fix() -> None:
    """A ramp of zeros has no demand to weigh, and one whose GPUs start after the plan's last
    day has none the plan reaches: both refused with why (they were answered "served from
    2028-11-01" and "not within the horizon: no power", with a revenue beside them)."""
    plan = _plan(_r2_blocks())

    def deal(ramp: str) -> Contract:
        return deal_contract(customer="x", workload_class="inference", region="r2", ramp=ramp)

    with pytest.raises(DealError, match="0 GPUs at every step"):
        what_if(_forecast(), plan, deal(f"{_day(10)}:0"), as_of=MONDAY)
    with pytest.raises(DealError, match=rf"first GPUs \({_day(400)}\) come after the plan's end"):
        what_if(_forecast(), plan, deal(f"{_day(10)}:0,{_day(400)}:50"), as_of=MONDAY)


def test_bad_deals_name_the_field() -> None:
    """A ramp step without a count, or a region outside the plan, is refused with the reason."""
    with pytest.raises(ContractRuleError, match=r"ramp\[1\]"):
        deal_contract(customer="x", workload_class="inference", region="r2", ramp="2027-01-01")
    deal = deal_contract(
        customer="x", workload_class="inference", region="mars", ramp="2027-01-01:5"
    )
    with pytest.raises(DealError, match="not in the capacity plan"):
        what_if(_forecast(), _plan(_r2_blocks()), deal, as_of=MONDAY)


def test_each_pipeline_deal_is_weighed_as_if_it_signed_and_weighted_by_its_odds() -> None:
    """A 200-GPU deal at 40 % moves r2's order: its extra capex if it signs is the what-if's,
    the expected capex 40 % of it; a deal in a region outside the plan, and one whose term
    ended before the forecast starts, are left out (the report must not stop on either)."""
    from forecasting.contracts import parse_contracts
    from forecasting.whatif import PIPELINE_SCHEMA, pipeline_if_signed

    book = parse_contracts(
        f"""
[[contract]]
id = "newco-1"
customer = "newco"
workload_class = "inference"
region = "r2"
ramp = [{{ date = {_day(30)}, gpus = 200 }}]
term_end = 2030-12-31
status = "pipeline"
probability = 0.4

[[contract]]
id = "elsewhere"
customer = "newco"
workload_class = "inference"
region = "mars"
ramp = [{{ date = {_day(30)}, gpus = 200 }}]
term_end = 2030-12-31
status = "pipeline"
probability = 0.4

[[contract]]
id = "expired"
customer = "newco"
workload_class = "inference"
region = "r2"
ramp = [{{ date = {_day(-400)}, gpus = 200 }}]
term_end = {_day(-1)}
status = "pipeline"
probability = 0.4
"""
    )
    plan = _plan(_r2_blocks())
    deals = pipeline_if_signed(_forecast(), plan, book, as_of=MONDAY)
    assert deals.schema == PIPELINE_SCHEMA
    assert deals["contract_id"].to_list() == ["newco-1"]
    deal = deals.row(0, named=True)
    signed = what_if(
        _forecast(),
        plan,
        deal_contract(
            customer="newco", workload_class="inference", region="r2", ramp=f"{_day(30)}:200"
        ),
        as_of=MONDAY,
    )
    assert deal["extra_capex_usd"] == signed.extra_capex_usd > 0
    assert deal["expected_capex_usd"] == pytest.approx(0.4 * signed.extra_capex_usd)
    assert deal["serve_from"] == _day(56)


def test_a_pipeline_deal_past_the_plan_s_end_is_listed_unweighed_not_raised() -> None:
    """A deal whose first GPUs come after the plan's last day (a young fleet plans 26 weeks
    only) cannot be weighed; it stopped `fleetcast demo --days 28` with a traceback. It is
    listed with null figures and the reason, and the other deals are still weighed."""
    from forecasting.contracts import parse_contracts
    from forecasting.whatif import PIPELINE_SCHEMA, pipeline_if_signed

    end: date = _forecast()["ds"].max()  # type: ignore[assignment]
    book = parse_contracts(
        f"""
[[contract]]
id = "soon"
customer = "newco"
workload_class = "inference"
region = "r2"
ramp = [{{ date = {_day(30)}, gpus = 200 }}]
term_end = 2040-12-31
status = "pipeline"
probability = 0.4

[[contract]]
id = "late"
customer = "later-co"
workload_class = "inference"
region = "r2"
ramp = [{{ date = {end + timedelta(days=60)}, gpus = 300 }}]
term_end = 2040-12-31
status = "pipeline"
probability = 0.5
"""
    )
    deals = pipeline_if_signed(_forecast(), _plan(_r2_blocks()), book, as_of=MONDAY)
    assert deals.schema == PIPELINE_SCHEMA
    by_id = {r["contract_id"]: r for r in deals.iter_rows(named=True)}
    assert by_id["soon"]["extra_capex_usd"] > 0
    late = by_id["late"]
    assert late["extra_capex_usd"] is None and late["expected_capex_usd"] is None
    assert late["peak_gpus"] == 300
    assert late["note"].startswith("not weighed: the ramp's first GPUs")
    assert str(end) in late["note"]


def test_a_deal_no_order_can_serve_in_time_at_no_extra_capital_says_it_is_not_free() -> None:
    """Only a 60-week cell can be ordered, and r2 orders one anyway: it lands on day 421,
    after the forecast ends, so neither side's order is sized and the deal is served only
    after the horizon. Its "$0 extra capital" was the two unsized orders' $0 and "signing adds
    no order" was not measured: the row and what-if now say neither bound holds (the row read
    "$0 if it signs" beside "not within the horizon"); a block r2 orders anyway, sized, that
    serves a deal only weeks after its ramp says $0 is no service as it ramps; a deal whose
    signing adds capital says nothing of the kind."""
    from forecasting.contracts import parse_contracts
    from forecasting.whatif import pipeline_if_signed

    cell = {"name": "cell-c", "kind": "cell", "gpu_type": "H100", "gpus": 4000, "mw": 6,
            "lead_time_weeks": 60, "capex_usd": 150e6, "fabric": True}  # fmt: skip
    plan = CapacityPlan.model_validate(
        _plan(_r2_blocks()).model_dump(exclude_none=True) | {"candidate": [cell]}
    )
    ramp = f"{_day(30)}:400"
    deal = deal_contract(customer="newco", workload_class="inference", region="r2", ramp=ramp)
    answer = what_if(_forecast(), plan, deal, as_of=MONDAY)
    assert answer.serve_from is None and answer.extra_capex_usd == 0
    assert answer.capex_bound == "neither bound holds"
    assert not any("does not mean served for free" in n for n in answer.notes)
    book = parse_contracts(
        f"""
[[contract]]
id = "big"
customer = "newco"
workload_class = "inference"
region = "r2"
ramp = [{{ date = {_day(30)}, gpus = 400 }}]
term_end = 2040-12-31
status = "pipeline"
probability = 0.5
"""
    )
    (row,) = pipeline_if_signed(_forecast(), plan, book, as_of=MONDAY).iter_rows(named=True)
    assert row["extra_capex_usd"] == 0 and row["serve_from"] is None
    assert row["note"].startswith("not within the horizon (blocks ordered today arrive")
    assert "; extra capex not measured in full: neither bound holds" in row["note"]
    assert "$0 extra capital does not mean served for free" not in row["note"]
    # A 4,000-GPU rack in 8 weeks: the one r2 orders anyway serves 200 GPUs more, from day
    # 56 while the deal starts on day 30.
    big = {**cell, "name": "big-rack", "kind": "rack", "lead_time_weeks": 8}
    roomy = CapacityPlan.model_validate(
        _plan(_r2_blocks()).model_dump(exclude_none=True) | {"candidate": [big]}
    )
    smaller = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(30)}:200"
    )
    later = what_if(_forecast(), roomy, smaller, as_of=MONDAY)
    assert (later.serve_from, later.extra_capex_usd) == (_day(56), 0)
    assert f"$0 extra capital does not mean served as it ramps: signing adds no order to those " \
        f"the plan places anyway (it moves their dates at most), and they serve it in full " \
        f"only from {_day(56)}" in later.notes  # fmt: skip
    served = what_if(_forecast(), _plan(_r2_blocks()), deal, as_of=MONDAY)
    assert served.serve_from is not None and served.extra_capex_usd > 0
    assert not any(n.startswith("$0 extra capital") for n in served.notes)


def test_a_deal_that_pulls_an_order_forward_says_so_on_the_cli_and_the_page() -> None:
    """50 GPUs from day 30 need no extra 4,000-GPU rack, but r2 runs short 50 days sooner
    and its rack is due 2025-12-23, not 2026-02-11: the serve note, the CLI's table and the
    page say so (the CLI printed no row and "it needs no extra block" while the page showed
    a $368.6M cell due in ten days instead of fifteen weeks)."""
    from rich.console import Console

    from flows.tables import whatif_table
    from forecasting.report.pages.whatif import whatif_page
    from forecasting.runs import WhatIfOutcome

    big = {"name": "big-rack", "kind": "rack", "gpu_type": "H100", "gpus": 4000, "mw": 6,
           "lead_time_weeks": 8, "capex_usd": 150e6}  # fmt: skip
    plan = CapacityPlan.model_validate(
        _plan(_r2_blocks()).model_dump(exclude_none=True) | {"candidate": [big]}
    )
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(30)}:50"
    )
    answer = what_if(_forecast(), plan, deal, as_of=MONDAY)
    assert answer.extra_capex_usd == 0 and answer.serve_from == _day(30)
    moved = "r2/all 2026-02-11 -> 2025-12-23"
    assert answer.serve_note.endswith(f"the orders already planned are due sooner ({moved})")
    (row,) = answer.orders.filter(pl.col("pool") == "all").iter_rows(named=True)
    assert (row["order_by_without"], row["order_by"]) == (date(2026, 2, 11), date(2025, 12, 23))
    assert "2026-02-11 → 2025-12-23" in whatif_page(answer, forecast_run_id="hand", quantile="q90")
    outcome = WhatIfOutcome(
        forecast_run_id="hand", as_of=MONDAY, horizon_end=answer.horizon_end,
        serve_from=answer.serve_from, can_serve=answer.can_serve, serve_note=answer.serve_note,
        extra_capex_usd=0.0, extra_mw=0.0, revenue_usd=None,
        orders=answer.orders.to_dicts(), notes=[], page=Path("whatif.html"),
    )  # fmt: skip
    console = Console(width=200, record=True)
    console.print(whatif_table(outcome))
    assert "2026-02-11 -> 2025-12-23" in console.export_text()
    unmoved = [{**r, "order_by_without": r["order_by"], "status_without": r["status_with"],
                "exhaustion_without": r["exhaustion_with"]} for r in outcome.orders]  # fmt: skip
    console = Console(width=200, record=True)
    console.print(whatif_table(outcome.model_copy(update={"orders": unmoved})))
    assert "no pool's status, orders or capex change with the deal" in console.export_text()


def test_an_expansion_adds_to_the_customer_s_signed_contract_not_under_it() -> None:
    """acme has a signed 150 (its forecast already floored there); an expansion of 100 more
    lifts it to 250, so the region gains 100 on the mean, not max(150, 100) - 150 = 0."""
    from forecasting.contracts import parse_contracts

    book = parse_contracts(
        f"""
[[contract]]
id = "acme-base"
customer = "acme"
workload_class = "inference"
region = "r2"
ramp = [{{ date = {_day(0)}, gpus = 150 }}]
term_end = 2030-12-31
status = "signed"
"""
    )
    floored = _forecast().with_columns(
        pl.when(pl.col("unique_id") == "total/r2/inference/acme")
        .then(pl.max_horizontal("mean", pl.lit(150.0)))
        .otherwise(pl.col("mean"))
        .alias("mean")
    )
    expansion = deal_contract(
        customer="acme", workload_class="inference", region="r2", ramp=f"{_day(0)}:100"
    )
    lifted = with_deal(floored, expansion, book=book)
    assert _value(lifted, "total/r2/inference/acme", "mean", 10, "mean") == 250
    assert _value(lifted, "total/r2", "mean", 10, "mean") == 500 + 100
    # Without the book the deal alone sits under the signed floor and lifts nothing.
    assert _value(with_deal(floored, expansion), "total/r2", "mean", 10, "mean") == 500


def _unpowered_r2_plan(
    *, ceiling_mw: float | None = None, lead_months: int = 10, steps: tuple[dict, ...] = ()
) -> CapacityPlan:
    """r2 with its two sites energized for exactly the blocks they hold (10 months' power
    lead time): every order the plan places there arrives without MW; ``ceiling_mw`` caps
    what each site can ever contract; ``steps``: r2-b's planned energized steps after it."""
    base = _plan(_r2_blocks()).model_dump(mode="json", exclude_none=True)
    ceiling = {} if ceiling_mw is None else {"ceiling_mw": ceiling_mw}
    base["site"] = [
        {"id": site, "region": "r2",
         "energized": [{"on": "2020-01-01", "mw": mw}, *(steps if site == "r2-b" else ())],
         "power_lead_months": lead_months, "cost_per_mw_usd": 1e6, **ceiling}
        for site, mw in (("r2-a", 0.5), ("r2-b", 1.0))
    ]  # fmt: skip
    return CapacityPlan.model_validate(base)


def test_blocks_without_power_wait_for_power_contracted_today_to_the_day() -> None:
    """r2's sites are energized for exactly the blocks they hold: the racks the deal needs
    arrive in time but have no MW, so the deal is served from the day power contracted today
    is energized: as of 2026-01-05, + 4 weeks' buffer (as the power triggers keep) + 10
    months = 2026-12-02. It read 2026-11-01 (the 1st of the month of as-of + lead, with no
    buffer), and revenue was counted from it; with 12 months' lead it read 2027-01-01, a day
    the power could not come by, where it comes after the plan's end (2027-01-04)."""
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(100)}:200"
    )
    answer = what_if(_forecast(), _unpowered_r2_plan(), deal, as_of=MONDAY)
    assert answer.serve_from == date(2026, 12, 2)
    assert "have no power" in answer.serve_note
    assert (
        "until 2026-12-02 (power contracted today: 10 months' lead time and the 4 weeks' "
        "buffer the power triggers keep)" in answer.serve_note
    )
    assert not answer.can_serve
    later = what_if(_forecast(), _unpowered_r2_plan(lead_months=12), deal, as_of=MONDAY)
    assert later.serve_from is None
    assert later.serve_note.startswith("not within the horizon")


def test_a_deal_whose_blocks_pass_the_sites_power_ceiling_is_not_served_on_this_plan() -> None:
    """The same unpowered r2, its sites capped at 1 MW each: the racks the deal needs cannot
    be powered whatever is contracted, so the deal is not served within the horizon and earns
    nothing (a 150,000-GPU deal read "served in full from 2028-12-01" with $5.2B of revenue
    while the facilities page said a new site was needed)."""
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(100)}:200",
        price_per_gpu_hour=2.0,
    )  # fmt: skip
    capped = what_if(_forecast(), _unpowered_r2_plan(ceiling_mw=1.0), deal, as_of=MONDAY)
    assert capped.serve_from is None
    assert capped.serve_note.startswith("not within the horizon: the blocks it needs draw more")
    assert "a new site is needed" in capped.serve_note
    assert capped.revenue_usd == 0
    # Its extra capital is not the deal's price: the note says it does not serve the deal.
    # One more rack, never powered, and the new site's 0.4 MW at r2's $1.0M per MW.
    assert capped.extra_capex_usd == pytest.approx(8.4e6)
    assert (
        "the $8.4M of extra capital is the blocks its own GPUs need and a new site's MW as priced"
        in " ".join(capped.notes)
    )
    roomy = what_if(_forecast(), _unpowered_r2_plan(ceiling_mw=100.0), deal, as_of=MONDAY)
    assert roomy.serve_from == date(2026, 12, 2)
    assert not any("is not the price of the deal" in n for n in roomy.notes)


def _r2_deal(ramp: str) -> Contract:
    return deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=ramp,
        until=_day(360), price_per_gpu_hour=2.0,
    )  # fmt: skip


def test_a_ramp_step_that_changes_nothing_does_not_change_the_verdict_or_the_revenue() -> None:
    """The same unpowered r2: its rack lands on 2026-04-08 without MW and the pool is short
    from 2026-04-16 (with a 20-GPU deal from day 10) until power contracted today is energized
    on 2026-12-02. Only orders landing by the ramp's last step were checked for power, so
    ``20 from day 10`` read "served from its first day" with $336,960 of revenue and the
    same deal with a repeated step on day 300 read "served in full from 2027-01-01" with $0
    (the demo: $43.6M against $17.4M for one 500-GPU deal). Both now read served until the
    shortfall and in full again from the power, and the hours served before the shortfall
    count (they are served)."""
    plan = _unpowered_r2_plan()
    one = what_if(_forecast(), plan, _r2_deal(f"{_day(10)}:20"), as_of=MONDAY)
    two = what_if(_forecast(), plan, _r2_deal(f"{_day(10)}:20,{_day(300)}:20"), as_of=MONDAY)
    for answer in (one, two):
        assert answer.serve_from == date(2026, 12, 2)
        assert answer.short_from == "2026-04-16"
        assert answer.serve_note.startswith(
            "served from its first ramp day on the capacity planned, but short while the blocks "
            "its pools need wait for power at r2-a: short from 2026-04-16 until 2026-12-02"
        )
        served_days = (date(2026, 4, 16) - _day(10)).days + (_day(360) - date(2026, 12, 2)).days + 1
        assert answer.revenue_usd == pytest.approx(20 * 24 * 2.0 * served_days)
    assert one.serve_note == two.serve_note and one.revenue_usd == two.revenue_usd
    assert (
        "revenue counts only the hours served in full: every hour from 2026-01-15 but those "
        "its pools are short (2026-04-16 to 2026-12-01), which are at risk and not counted; "
        "in full from 2026-12-02"
    ) in one.notes


def test_a_one_step_deal_whose_order_waits_for_power_is_not_served_from_its_arrival() -> None:
    """200 GPUs from day 30 on the unpowered r2: racks ordered today would land on 2026-03-02
    with no MW at their site until power contracted today is energized (2026-12-02). A
    one-step ramp skipped the power check (its racks land after its only step), so it read
    "served in full from 2026-03-02" with revenue from then (the demo: "served from its first
    day", $169.2M, beside a red pool whose order waited 74 days for power). The racks are
    dated to land with that power: the note says they wait for it, not "ordered today"."""
    answer = what_if(_forecast(), _unpowered_r2_plan(), _r2_deal(f"{_day(30)}:200"), as_of=MONDAY)
    assert answer.serve_from == date(2026, 12, 2)
    assert answer.serve_note.startswith(
        "the blocks its pools need wait for power, but the sites they go to (r2-a) have no "
        "power for them when its pools run short: short from 2026-02-04 until 2026-12-02"
    )
    assert answer.revenue_usd == pytest.approx(200 * 24 * 2.0 * 30)


def test_a_site_s_planned_power_step_counts_before_power_contracted_today() -> None:
    """r2-b's plan energizes 5 MW from 2026-06-01: the racks the deal needs land there on
    2026-04-08 and are powered from that step. The what-if assumed power must be contracted
    today (10 months' lead, "served in full from 2026-11-01"), where the site's own plan (and
    the trigger's note: "r2-b has it from 2026-06-01") carries them from 2026-06-01 (the
    short fleet: "not within the horizon", $0, beside a note giving power 40 days later)."""
    plan = _unpowered_r2_plan(steps=({"on": "2026-06-01", "mw": 5.0},))
    answer = what_if(_forecast(), plan, _r2_deal(f"{_day(100)}:200"), as_of=MONDAY)
    assert (
        "r2-b has it from 2026-06-01"
        in expansion_triggers(
            with_deal(_forecast(), answer.deal), plan, as_of=MONDAY
        ).triggers.filter(pl.col("pool") == "all")["note"][0]
    )
    assert answer.serve_from == date(2026, 6, 1)
    assert "short from 2026-04-15 until 2026-06-01 (the power planned at r2-b)" in (
        answer.serve_note
    )


def test_a_deal_without_an_end_says_the_term_it_assumed() -> None:
    """No --until: the term is five years past the last step, and the answer says so."""
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp="2026-03-01:10"
    )
    assert deal.term_end == date(2031, 3, 1)
    answer = what_if(_forecast(), _plan(_r2_blocks()), deal, as_of=MONDAY)
    assert any("five years after the last ramp step" in note for note in answer.notes)


def test_the_whatif_help_names_no_default_for_a_required_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Required deal fields are shown without a '(default ...)' that has no value."""
    from flows.cli import main

    with pytest.raises(SystemExit):
        main(["whatif", "--help"])
    text = capsys.readouterr().out
    assert "--customer" in text
    assert "Undefined" not in text


def test_the_whatif_page_says_its_capital_counts_every_order_to_the_plan_s_end() -> None:
    """The page's blocks are each pool's trigger order, as on the finance page, and its capex
    every order to the plan's end: it says so (a reader saw 812 racks there against 84 on the
    finance page for the same pool and forecast, when each run sized one order for the whole
    horizon)."""
    from forecasting.report.format import html_text
    from forecasting.report.pages.whatif import whatif_page

    answer = what_if(_forecast(), _plan(_r2_blocks()), _priced(f"{_day(10)}:20"), as_of=MONDAY)
    page = whatif_page(answer, forecast_run_id="forecast-1", quantile="q90")
    assert (
        html_text(f"capex and MW count every order of the plan to its end, {answer.horizon_end}")
        in page
    )
    assert "as on the finance page" in page


def test_a_deal_never_served_in_full_reads_its_revenue_not_counted() -> None:
    """A deal the plan cannot serve in full within its horizon read "revenue $0" and a ratio
    of 0.00 to its capital, as if measured: revenue counts only the hours served in full, so
    none is counted, and the page says so (no ratio)."""
    from dataclasses import replace

    from forecasting.report.pages.whatif import _cards

    answer = what_if(_forecast(), _plan(_r2_blocks()), _priced(f"{_day(10)}:20"), as_of=MONDAY)
    never = replace(answer, serve_from=None, revenue_usd=0.0)
    cards = dict(_cards(never))
    revenue = next(v for k, v in cards.items() if k.startswith("revenue to") and "per $" not in k)
    assert revenue == "not counted: never served in full within the horizon"
    assert next(v for k, v in cards.items() if "per $ of capital" in k) == "–"
    assert "not counted" not in str(_cards(answer))


def test_a_deal_is_priced_over_every_order_and_its_trigger_matches_the_plan_s() -> None:
    """r2 sized for 8 weeks: without a deal the plan orders a rack now and a second later
    (day 237). A 300-GPU deal from day 200 moves the later shortfall, not the trigger: the
    trigger's order is the plan's own (the finance page's), and the extra capex is the change
    in every order to the plan's end, with the earliest order the deal adds as its order-by.
    Whole-horizon sizing priced one order per pool and disagreed with the finance page."""
    plan, settings = _plan(_r2_blocks()), TriggerSettings(sizing_weeks=8)
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(200)}:300"
    )
    answer = what_if(_forecast(), plan, deal, as_of=MONDAY, settings=settings)
    row = answer.orders.filter(pl.col("pool") == "all").row(0, named=True)
    plain = expansion_triggers(_forecast(), plan, as_of=MONDAY, settings=settings)
    assert row["blocks_without"] == _row(plain.triggers, "r2", "all")["blocks_to_order"]
    every = float(plain.placements.filter(pl.col("region") == "r2")["capex_usd"].sum())
    assert row["capex_without_usd"] == pytest.approx(every)
    assert answer.extra_capex_usd == pytest.approx(row["capex_with_usd"] - every)
    assert answer.extra_capex_usd > 0
    # Its 340 H100-equivalents lacking took two racks of its own where the re-plan pulls the
    # plan's later rack forward and adds one: the plan's orders now count from as soon as
    # they can land, so its own blocks share that rack too, and the two agree; the rack it
    # needs sooner than the plan lands it is said beside them (it read the one rack alone).
    assert answer.capex_basis.startswith(
        "the blocks its own GPUs need: 1 x rack-c for r2 all; beyond them, orders of the plan "
        "this deal needs sooner (1 order, $8.0M): r2 all 1 x rack-c: in service "
    )
    assert answer.replan_note.startswith("with the deal the triggers move 1 of the plan's")
    assert answer.new_orders.height >= 1
    assert answer.new_orders["order_by"].min() >= MONDAY


def test_a_deal_whose_signing_lowers_an_order_says_why_and_names_the_pool() -> None:
    """Signing the demo's training deal made the training pool order a GB200 cell, which also
    serves the `all` pool, whose orders fell ("-$155.1M if it signs"); the note names both
    pools' capital over every order and says it is not a saving. Capital it only raises says
    nothing."""
    from forecasting.whatif import ORDERS_SCHEMA
    from forecasting.whatif.pipeline import _lowered_orders_note

    def orders(all_with: float) -> pl.DataFrame:
        rows = [("training", 0.0, 368.6e6), ("all", 6859.0e6, all_with)]
        return pl.DataFrame(
            [
                ("us-east", pool, "green", "green", None, None, None, None, None, None, None,
                 0, 0,
                 without, with_, with_ - without, 0.0, "")
                for pool, without, with_ in rows
            ],
            schema=ORDERS_SCHEMA,
            orient="row",
        )  # fmt: skip

    note = _lowered_orders_note(orders(6335.3e6))
    assert "for us-east all: $6,859.0M -> $6,335.3M" in note
    assert "raises us-east training: $0 -> $368.6M" in note
    assert "not a saving" in note
    assert _lowered_orders_note(orders(7000e6)) == ""
    alone = _lowered_orders_note(orders(6335.3e6).filter(pl.col("pool") == "all"))
    assert "raises" not in alone and "chosen for its own window" in alone


def test_a_deal_served_between_two_spans_short_says_short_at_times() -> None:
    """The demo's 2,000-GPU deal is short 2027-04-16..2027-06-01 (its racks wait for
    eu-west-a's planned power) and May 2028..2028-12-31 (power contracted today), served in
    full between: the headline read "short from 2027-04-16 until 2028-12-31", hiding the 11
    months served. Two spans read "short at times"; overlapping spans are one."""
    from rich.console import Console

    from flows.tables import whatif_table
    from forecasting.runs import WhatIfOutcome
    from forecasting.whatif.serving import short_span_count

    d = date
    two = [(d(2027, 4, 16), d(2027, 6, 1)), (d(2028, 5, 1), d(2028, 12, 31))]
    assert short_span_count(two, after=d(2027, 3, 1)) == 2
    assert short_span_count([(d(2027, 4, 16), d(2028, 6, 1)), *two[1:]], after=d(2027, 3, 1)) == 1
    assert short_span_count([(d(2027, 1, 1), d(2027, 2, 1)), *two[1:]], after=d(2027, 3, 1)) == 1
    outcome = WhatIfOutcome(
        forecast_run_id="r", as_of=d(2026, 12, 3), horizon_end=d(2030, 1, 31),
        serve_from=d(2028, 12, 31), can_serve=False, serve_note="", extra_capex_usd=0.0,
        extra_mw=0.0, revenue_usd=None, orders=[], notes=[], page=Path("p.html"),
        short_from="2027-04-16", short_at_times=True,
    )  # fmt: skip

    def title(o: WhatIfOutcome) -> str:
        console = Console(width=400, record=True)
        console.print(whatif_table(o))
        return " ".join(console.export_text().split())

    assert "short at times from 2027-04-16 until 2028-12-31" in title(outcome)
    # One span: "served from its first day, short from ..." read as two claims at odds.
    once = outcome.model_copy(update={"short_at_times": False})
    assert "served from its first day but short from 2027-04-16 until 2028-12-31" in title(once)
    # Short at once, served between spans: it read "served from 2028-12-31" alone, beside a
    # revenue that counts the months served between.
    at_once = outcome.model_copy(update={"short_from": None})
    assert "served in full from 2028-12-31, at times before (see below)" in title(at_once)


def test_a_deal_that_lowers_the_capital_of_the_orders_says_which_orders_change() -> None:
    """Adding demand read "extra capex $-191.2M, -6.1 MW" on the CLI and the page with no word
    why (the demo: eu-west's 74 racks and 3 cells became 95 racks and 2 cells as the deal
    moved the shortfalls a month earlier). The note lists each lowered pool's orders to the
    plan's end without and with the deal, their capital and GPUs, and says it is no saving."""
    from forecasting.whatif.capital import less_capital_note

    def placed(*orders: tuple[str, int, int]) -> pl.DataFrame:
        capex = {"rack-c": 8e6, "pod-c": 40e6}
        return pl.DataFrame(
            [("r2", "all", name, "r2-a", n, 0.4 * n, _day(day), True, i + 1, _day(day - 60),
              n * capex[name], _day(day + 20), "green", None, _day(day))
             for i, (name, n, day) in enumerate(orders)],
            schema=PLACEMENTS_SCHEMA, orient="row",
        )  # fmt: skip

    without = placed(("rack-c", 2, 100), ("pod-c", 2, 200))
    with_ = placed(("rack-c", 3, 90), ("rack-c", 4, 190))
    orders = pl.DataFrame(
        [("r2", "all", "green", "green", None, None, None, None, None, None, None, 2, 3,
          96e6, 56e6, -40e6, -0.4, "")],
        schema=ORDERS_SCHEMA, orient="row",
    )  # fmt: skip
    note = less_capital_note(without, with_, orders, _plan(_r2_blocks()), horizon_end=_day(364))
    assert note.startswith("the extra capex and MW are negative because the deal moves")
    assert (
        f"r2 all: without the deal 2 x rack-c ({_day(100)}), 2 x pod-c ({_day(200)}) = $96.0M, "
        f"2,500 GPUs (H100-equivalents); with it 3 x rack-c ({_day(90)}), 4 x rack-c "
        f"({_day(190)}) = $56.0M, 1,750 GPUs"
    ) in note
    assert "Not a saving from signing" in note
    # The what-if adds it to its notes (the CLI and the page print them) only when negative.
    answer = what_if(_forecast(), _plan(_r2_blocks()), _priced(f"{_day(30)}:200"), as_of=MONDAY)
    assert answer.extra_capex_usd >= 0
    assert not any("are negative" in n for n in answer.notes)


def test_a_shortfall_on_the_monthly_rows_reads_as_its_month_on_the_page_and_the_cli() -> None:
    """Past the forecast's daily rows a monthly row stands on its month's first day, which is
    no measured date: the pool that runs short in May without the deal (its monthly peak)
    reads "May 2026" in the what-if page's orders and the CLI's table, not "2026-05-01", while
    the deal's own shortfall on a daily row keeps its day; the orders frame keeps the dates,
    for other tools."""
    from rich.console import Console

    from flows.tables import whatif_table
    from forecasting.report.pages.whatif import whatif_page

    last_daily = date(2026, 4, 30)
    full = _forecast()
    monthly = (
        full.filter(pl.col("ds") > last_daily)
        .group_by("run_id", "unique_id", "measure", "model", pl.col("ds").dt.month_start())
        .agg(pl.col("mean", "q10", "q50", "q90", "q99").max())
        .with_columns(grain=pl.lit("month"))
    )
    forecast = pl.concat(
        [
            full.filter(pl.col("ds") <= last_daily).with_columns(grain=pl.lit("day")),
            monthly.select(*full.columns, "grain"),
        ]
    )
    answer = what_if(forecast, _plan(_r2_blocks()), _priced(f"{_day(30)}:200"), as_of=MONDAY)
    assert answer.daily_end == last_daily
    row = answer.orders.filter((pl.col("region") == "r2") & (pl.col("pool") == "all"))
    assert row["exhaustion_without"].item() == date(2026, 5, 1)

    page = whatif_page(answer, forecast_run_id="hand", quantile="q90")
    assert "May 2026" in page and "2026-05-01" not in page
    outcome = _outcome_of(answer, daily_end=answer.daily_end)
    console = Console(width=200, record=True)
    console.print(whatif_table(outcome))
    text = console.export_text()
    assert f"May 2026 -> {_day(30)}" in text and "2026-05-01" not in text


def test_a_later_order_of_the_plan_landing_after_its_shortfall_delays_the_deal() -> None:
    """The trigger's order is in time, but the plan's second order (tranche 2) is red: ordered
    today it lands on day 400, after its pool runs short on day 200. The deal is served from
    its first day until then and in full again only from day 400 (it read "served from its
    first ramp day: every order it needs can still arrive in time"). A later order that is
    red only for its site's power, arriving before its shortfall, is not this rule's."""
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(30)}:200"
    )
    orders = pl.DataFrame(
        [{"region": "r2", "pool": "all", "status_without": "green", "status_with": "green",
          "exhaustion_with": _day(120), "order_by": _day(20), "arrives": _day(76),
          "blocks_without": 1, "blocks_with": 2, "extra_capex_usd": 8e6}],
        schema=ORDERS_SCHEMA,
    )  # fmt: skip

    def placements(arrives: int) -> pl.DataFrame:
        return pl.DataFrame(
            [{"region": "r2", "pool": "all", "tranche": 1, "arrives": _day(76),
              "exhaustion_date": _day(120), "status": "green"},
             {"region": "r2", "pool": "all", "tranche": 2, "arrives": _day(arrives),
              "exhaustion_date": _day(200), "status": "red"}],
            schema=PLACEMENTS_SCHEMA,
        )  # fmt: skip

    late = placements(400)
    served, note = served_in_full_from(
        orders, deal, horizon_end=_day(600), forecast=_forecast(), placements=late
    )
    assert served == _day(400)
    assert "until the shortfall from" in note and f"in full again from {_day(400)}" in note
    assert _short_from(orders, deal, served, _forecast(), late) is not None
    in_time = placements(150)  # red for power only: its blocks arrive before the shortfall
    served, note = served_in_full_from(
        orders, deal, horizon_end=_day(600), forecast=_forecast(), placements=in_time
    )
    assert served == _day(30) and "can still arrive in time" in note


def test_a_deal_for_a_near_miss_of_a_known_customer_says_so() -> None:
    """`--customer Northwind-AI` was weighed as a new customer, its 2,000 GPUs on top of the
    2,496 that "northwind-ai" runs, with no word: the what-if names the customer meant. A
    known customer, a new one and one differing only in digits raise nothing."""
    from forecasting.runs.whatifs import _spelling_notes

    known = ["northwind-ai", "cust-012", "acme"]
    (note,) = _spelling_notes("Northwind-AI", known)
    assert note.startswith("customer 'Northwind-AI' matches no telemetry series (did you mean")
    assert "weighed as a new customer" in note and "--customer northwind-ai" in note
    assert _spelling_notes("northwind_ai", known)
    for fine in ("northwind-ai", "orion-labs", "cust-013"):
        assert _spelling_notes(fine, known) == []


def test_concentration_says_when_the_deal_starts_after_the_months_it_shows() -> None:
    """A deal from month 10 read "no change" in every month the concentration table shows
    (the daily horizon's): the intro says the deal starts after them, and an early deal's
    page says nothing of the kind."""

    from forecasting.report.pages.whatif import _concentration_intro

    answer = what_if(_forecast(), _plan(_r2_blocks()), _priced(f"{_day(10)}:20"), as_of=MONDAY)
    months = pl.DataFrame({"month": [date(2026, 1, 1), date(2026, 2, 1)]})
    shown = replace(answer, concentration=months)
    term = date(2027, 1, 1)
    later = replace(
        shown, deal=replace(answer.deal, ramp=(Step(date(2026, 3, 1), 20),), term_end=term)
    )
    assert "after the last month shown (Feb 2026)" in _concentration_intro(later)
    early = replace(
        shown, deal=replace(answer.deal, ramp=(Step(date(2026, 2, 27), 20),), term_end=term)
    )
    assert "after the last month shown" not in _concentration_intro(early)


def _acme_on_unpowered_r2() -> Contract:
    """acme's 100-GPU inference deal in r2 from day 10 to day 360 at $2: below the 100 mean /
    120 peak acme already runs, so it lifts no demand (a pipeline deal the forecast already
    carries, as the demo's are)."""
    return deal_contract(
        customer="acme", workload_class="inference", region="r2", ramp=f"{_day(10)}:100",
        until=_day(360), price_per_gpu_hour=2.0,
    )  # fmt: skip


_R2_SHORT_TOO = (
    "the plan is short of power at r2-a from 2026-05-06 until 2026-12-02 (power contracted "
    "today) without this deal too: the deal's verdict counts only the days its pools lack more "
    "GPUs with it than without"
)


def test_a_deal_in_a_pool_short_of_power_without_it_is_served_and_the_plan_s_shortfall_named() -> (
    None
):
    """Without any deal r2 runs short on day 121 (2026-05-06) and its rack waits at r2-a for
    power contracted today (2026-12-02). acme's deal changes nothing in r2 (the same orders,
    the same GPUs lacking each day): it is served from its first day, and the plan's own
    shortfall is named apart. It read "short from 2026-05-06 until 2026-12-02" and earned
    $676,800 of $1,684,800 (the demo: lumen-batch-eu read "not within the horizon" beside
    shortfalls of eu-west-a that come after its term ends). The hours on the plan's short
    days count, and the note says how much and that who waits there is not measured."""
    answer = what_if(_forecast(), _unpowered_r2_plan(), _acme_on_unpowered_r2(), as_of=MONDAY)
    assert answer.serve_from == _day(10) and answer.can_serve and answer.short_from is None
    assert answer.serve_note.startswith("served from its first ramp day")
    assert "r2-a" not in answer.serve_note
    assert answer.baseline_note.startswith(_R2_SHORT_TOO)
    assert answer.revenue_usd == pytest.approx(100 * 24 * 2.0 * 351)
    on_short_days = 100 * 24 * 2.0 * (date(2026, 12, 2) - date(2026, 5, 6)).days
    assert f"${on_short_days / 1e6:,.1f}M of the deal's revenue falls on those days" in (
        answer.baseline_note
    )
    assert "preemption order's call, not measured here" in answer.baseline_note


def test_the_plan_s_own_orders_past_their_site_s_ceiling_are_not_powered_by_a_contract() -> None:
    """r2's sites capped at the MW they hold: the plan's own rack at r2-a can never be powered,
    whatever is contracted. The note on the plan's shortfall without the deal read "short of
    power at r2-a from 2026-05-06 until 2026-12-02 (power contracted today)" (a synthetic
    fleet's what-if printed it beside "whatever is contracted: a new site is needed"); no
    contract ends it within the plan."""
    capped = _unpowered_r2_plan().model_dump(mode="json", exclude_none=True)
    for site in capped["site"]:
        site["ceiling_mw"] = site["energized"][0]["mw"]
    answer = what_if(
        _forecast(), CapacityPlan.model_validate(capped), _acme_on_unpowered_r2(), as_of=MONDAY
    )
    assert answer.baseline_note.startswith(
        "the plan is short of power at r2-a from 2026-05-06 on, not within the horizon"
    )
    assert "power contracted today" not in answer.baseline_note


def test_only_the_placeable_blocks_of_an_order_past_its_site_s_ceiling_serve_the_deal() -> None:
    """r2-a capped at 0.9 MW and r2-b at the MW it holds: the plan's 2-rack order at r2-a has
    room for one rack under r2-a's ceiling, the other past it. 100 GPUs from 2026-12-11 need
    (940 + 100) / 0.8 = 1,300 GPUs against 900 + the one placeable rack's 250, so the deal is
    not served on this plan. Both racks counted as serving, so it read "served from its first
    ramp day on the capacity already planned: it needs no extra block" with $100,800 of
    revenue; the rack past the ceiling serves from nowhere until a new site, and the plan's
    own shortfall says so. With r2-a capped at the MW it holds, neither rack is ever powered:
    they counted as serving from their arrival, and 100 GPUs from 2026-07-24 read served with
    $772,800."""

    def capped_at(ceiling_a: float) -> CapacityPlan:
        capped = _unpowered_r2_plan().model_dump(mode="json", exclude_none=True)
        for site, ceiling in zip(capped["site"], (ceiling_a, 1.0), strict=True):
            site["ceiling_mw"] = ceiling
        return CapacityPlan.model_validate(capped)

    for ceiling_a, start, past in ((0.9, 340, 1), (0.5, 200, 2)):
        plan = capped_at(ceiling_a)
        placed = expansion_triggers(_forecast(), plan, as_of=MONDAY).placements
        assert placed.select("site", "blocks", "blocks_beyond_ceiling").rows() == [
            ("r2-a", 2, past)
        ]
        answer = what_if(_forecast(), plan, _r2_deal(f"{_day(start)}:100"), as_of=MONDAY)
        assert answer.serve_from is None and not answer.can_serve
        # The plan's own order passes r2-a's ceiling as far without the deal (sweep47 S15).
        assert answer.serve_note.startswith(
            "not within the horizon: the plan's own orders pass the ceiling of r2-a as far "
            "with or without the deal: a new site is needed for the plan"
        )
        assert answer.revenue_usd == 0
        assert answer.baseline_note.startswith(
            "the plan is short of power at r2-a from 2026-05-06 on, not within the horizon: "
            "past r2-a's ceiling, which no contract powers (a new site is needed)"
        )


def test_the_plan_s_shortfall_partly_past_a_ceiling_says_what_the_contract_powers() -> None:
    """The plan's 2-rack order at r2-a (capped at 0.9 MW) has one rack under the ceiling: power
    contracted today ends the wait of that one only, and the other never serves. Said as two
    spans, the first read as ending the shortfall, and their order changed from run to run."""
    capped = _unpowered_r2_plan().model_dump(mode="json", exclude_none=True)
    for site, ceiling in zip(capped["site"], (0.9, 1.0), strict=True):
        site["ceiling_mw"] = ceiling
    plan = CapacityPlan.model_validate(capped)
    for start in (100, 200, 250):
        answer = what_if(_forecast(), plan, _r2_deal(f"{_day(start)}:100"), as_of=MONDAY)
        assert answer.baseline_note.startswith(
            "the plan is short of power at r2-a from 2026-05-06 until 2026-12-02 (power "
            "contracted today, for the blocks under its ceiling); short of power at r2-a from "
            "2026-05-06 on, not within the horizon: past r2-a's ceiling"
        )


def test_a_deal_that_itself_lacks_power_reads_short_with_its_dates_beside_the_plan_s() -> None:
    """200 new GPUs from day 30 on the unpowered r2 need racks of their own, which wait for
    power at r2-a until 2026-12-02: the pool lacks more GPUs with the deal than without on
    every day from day 30, so the deal reads short with its own dates (from 2026-02-04, not
    the plan's 2026-05-06) and earns only from the power, while the plan's own shortfall is
    named beside it with no revenue counted in it."""
    answer = what_if(_forecast(), _unpowered_r2_plan(), _r2_deal(f"{_day(30)}:200"), as_of=MONDAY)
    assert answer.serve_from == date(2026, 12, 2) and not answer.can_serve
    assert "short from 2026-02-04 until 2026-12-02 (power contracted today" in answer.serve_note
    assert answer.baseline_note.startswith(_R2_SHORT_TOO)
    assert "of the deal's revenue falls on those days" not in answer.baseline_note
    assert answer.revenue_usd == pytest.approx(200 * 24 * 2.0 * 30)
    # A deal whose term ends before the plan's shortfall names none of it.
    early = deal_contract(
        customer="acme", workload_class="inference", region="r2", ramp=f"{_day(10)}:100",
        until=_day(100),
    )  # fmt: skip
    assert what_if(_forecast(), _unpowered_r2_plan(), early, as_of=MONDAY).baseline_note == ""


def test_the_cli_the_page_and_the_pipeline_say_the_plan_is_short_without_the_deal_too() -> None:
    """The CLI's headline and the page's card read the verdict, then that the plan is short
    without the deal too; the CLI prints the baseline note after the serve note, the page
    shows it under it, and the finance page's pipeline row carries it after the verdict (it
    read "short from 2026-05-06 until 2026-12-02" there, as the deal's own)."""
    from rich.console import Console

    from flows.tables import whatif_table
    from forecasting.contracts import parse_contracts
    from forecasting.report.format import html_text
    from forecasting.report.pages.whatif import whatif_page
    from forecasting.whatif import pipeline_if_signed

    plan = _unpowered_r2_plan()
    answer = what_if(_forecast(), plan, _acme_on_unpowered_r2(), as_of=MONDAY)
    outcome = _outcome_of(answer, baseline_note=answer.baseline_note)
    console = Console(width=400, record=True)
    console.print(whatif_table(outcome))
    title = " ".join(console.export_text().split())
    assert "served from its first day (the plan is short without it too, see below)" in title
    page = whatif_page(answer, forecast_run_id="hand", quantile="q90")
    assert html_text("yes, from its first day (the plan is short without it too, see below)") in (
        page
    )
    assert html_text(_R2_SHORT_TOO) in page
    book = parse_contracts(
        f"""
[[contract]]
id = "acme-more"
customer = "acme"
workload_class = "inference"
region = "r2"
ramp = [{{ date = {_day(10)}, gpus = 100 }}]
term_end = {_day(360)}
status = "pipeline"
probability = 0.5
"""
    )
    # A pipeline deal adds its 100 GPUs on top of acme's own (it is not yet in telemetry), so
    # it lacks power of its own from 2026-01-26; the plan's shortfall is still named apart.
    (row,) = pipeline_if_signed(_forecast(), plan, book, as_of=MONDAY).iter_rows(named=True)
    assert row["serve_from"] == date(2026, 12, 2)
    assert "short from 2026-01-26 until 2026-12-02 (power contracted today" in row["note"]
    assert f"; {_R2_SHORT_TOO}" in row["note"]


def test_a_deal_whose_order_is_not_sized_says_its_extra_capex_is_a_lower_bound() -> None:
    """Forecast to day 39 only, 200 GPUs from day 10 put r2 short at once and its racks land
    on day 56, after the forecast ends: the order with the deal is not sized (no capex), the
    plan without the deal orders nothing. "Plan with minus plan without" read "extra capex $0"
    and "$0 extra capital: signing adds no order". Now the extra capex is a lower bound on the
    CLI, the page and the finance page's pipeline row, the pool's row reads "not sized", and
    the note says how far ahead to forecast to size it (57 days); no $0 note, no ratio."""

    from forecasting.report.format import html_text
    from forecasting.report.pages.finance import _pipeline_table
    from forecasting.report.pages.whatif import whatif_page
    from forecasting.whatif import pipeline_if_signed

    short = _forecast().filter(pl.col("ds") < _day(40))
    plan = _plan(_r2_blocks())
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(10)}:200",
        until=_day(39), price_per_gpu_hour=3.0,
    )  # fmt: skip
    answer = what_if(short, plan, deal, as_of=MONDAY)
    assert answer.extra_capex_usd == 0.0
    assert answer.not_sized_pools == ("r2/all",)
    assert answer.capex_bound == "a lower bound"
    assert answer.capex_not_sized.startswith(
        "extra capex not measured in full: a lower bound: an order with the deal is not sized"
    )
    assert "r2/all with the deal (rack-c, landing 2026-03-02: forecast at least 57 days" in (
        answer.capex_not_sized
    )
    assert answer.notes[0] == answer.capex_not_sized
    assert not any(n.startswith("$0 extra capital") for n in answer.notes)
    page = whatif_page(answer, forecast_run_id="hand", quantile="q90")
    assert html_text("at least $0 (an order is not sized)") in page
    assert "not sized (see the notes)" in page
    assert html_text("0 → not sized × rack-c") in page
    shown = _whatif_table_text(answer)
    assert "extra capex at least $0 (an order is not sized), MW not measured" in shown
    assert "│ green -> red │ - -> 2026-01-15 │ 0 -> not sized x rack-c │" in shown
    assert "│ 0 -> not sized x rack-c │ - -> 2025-10-23 │ not sized │" in shown
    book = _newco_pipeline_book()
    deals = pipeline_if_signed(short, plan, book, as_of=MONDAY)
    assert "; extra capex not measured in full: a lower bound" in deals["note"][0]
    cells = _pipeline_table(deals).rows[0]
    assert cells[7] == cells[8] == "at least $0 (an order is not sized)"


def test_a_deal_s_unsized_order_on_a_fleet_too_young_says_what_would_give_monthly_rows() -> None:
    """The unsized deal above with racks that take 400 weeks, on a fleet whose forecast refused
    monthly rows as too young: the finance page's deal note asked for `--horizon-months 92`
    (as the trigger's did), which the forecast refuses again. It says what would give them."""
    short = _forecast().filter(pl.col("ds") < _day(40))
    plan = _plan(_r2_blocks())
    slow = plan.model_copy(
        update={
            "candidate": [c.model_copy(update={"lead_time_weeks": 400}) for c in plan.candidate]
        }
    )
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(10)}:200",
        until=_day(39), price_per_gpu_hour=3.0,
    )  # fmt: skip
    young = TriggerSettings(months_refused=MonthsRefused(needed_days=84, history_days=40))
    note = what_if(short, slow, deal, as_of=MONDAY, settings=young).capex_not_sized
    assert "not sized" in note, note
    assert "`--horizon-months 9" not in note and "reaches that by itself" not in note, note
    said = "which only monthly rows reach, and this fleet is too young for them: they need 84 "
    assert said in note, note
    assert "its youngest region or class has 40, and `--horizon-months` gives none" in note


def _whatif_table_text(answer: WhatIf) -> str:
    """The CLI's what-if table for ``answer`` (a WhatIf), as one line of text."""
    from rich.console import Console

    from flows.tables import whatif_table

    outcome = _outcome_of(
        answer,
        capex_not_sized=answer.capex_not_sized,
        capex_bound=answer.capex_bound,
        not_sized_with=list(answer.not_sized_with),
        not_sized_without=list(answer.not_sized_without),
    )
    console = Console(width=400, record=True)
    console.print(whatif_table(outcome))
    return " ".join(console.export_text().split())


def _newco_pipeline_book() -> ContractBook:
    """newco's 200-GPU pipeline deal in r2 inference, days 10-39, at 50 %."""
    from forecasting.contracts import parse_contracts

    return parse_contracts(
        f"""
[[contract]]
id = "newco-1"
customer = "newco"
workload_class = "inference"
region = "r2"
ramp = [{{ date = {_day(10)}, gpus = 200 }}]
term_end = {_day(39)}
status = "pipeline"
probability = 0.5
"""
    )


def test_the_bound_on_an_unsized_deal_s_extra_capex_is_carried_not_read_from_its_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CLI, the what-if page and the finance page's pipeline row found whether the extra
    capex is a lower or an upper bound by looking for "extra capex not measured in full: a
    lower bound" in the note: reworded, the unsized order's $0 read "$0", measured. Now the
    bound travels as a field (WhatIf.capex_bound, the pipeline's capex_bound column) set
    where it is decided, and a reworded note leaves every figure "at least $0"."""

    from forecasting import whatif
    from forecasting.report.pages.finance import _pipeline_table
    from forecasting.whatif import capital

    monkeypatch.setattr(capital, "CAPEX_NOT_SIZED", "capex partly unmeasured")
    short = _forecast().filter(pl.col("ds") < _day(40))
    plan = _plan(_r2_blocks())
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(10)}:200",
        until=_day(39),
    )  # fmt: skip
    answer = what_if(short, plan, deal, as_of=MONDAY)
    assert answer.capex_not_sized.startswith("capex partly unmeasured: a lower bound")
    assert answer.capex_bound == "a lower bound"
    shown = _whatif_table_text(answer)
    assert "extra capex at least $0 (an order is not sized), MW not measured" in shown
    book = _newco_pipeline_book()
    deals = whatif.pipeline_if_signed(short, plan, book, as_of=MONDAY)
    cells = _pipeline_table(deals).rows[0]
    assert cells[7] == cells[8] == "at least $0 (an order is not sized)"
    assert deals["capex_bound"].to_list() == ["a lower bound"]


def test_a_pipeline_row_carries_the_what_if_s_capital_note_whatever_its_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pipeline's row took the what-if's note on its $0 of extra capital by its opening
    words ("$0 extra capital"): reworded, the row dropped it and read "$0 if it signs" for a
    deal served only weeks after its ramp. Now the what-if carries that note as a field
    (WhatIf.capital_note) and the row copies it."""
    from forecasting import whatif
    from forecasting.contracts import parse_contracts
    from forecasting.whatif import answer

    said = answer.no_extra_capital_note
    monkeypatch.setattr(
        answer,
        "no_extra_capital_note",
        lambda *a, **k: said(*a, **k).replace(
            "$0 extra capital does not", "no capital added does not"
        ),
    )
    big = {"name": "big-rack", "kind": "rack", "gpu_type": "H100", "gpus": 4000, "mw": 6,
           "lead_time_weeks": 8, "capex_usd": 150e6}  # fmt: skip
    roomy = CapacityPlan.model_validate(
        _plan(_r2_blocks()).model_dump(exclude_none=True) | {"candidate": [big]}
    )
    book = parse_contracts(
        f"""
[[contract]]
id = "newco-1"
customer = "newco"
workload_class = "inference"
region = "r2"
ramp = [{{ date = {_day(30)}, gpus = 200 }}]
term_end = 2040-12-31
status = "pipeline"
probability = 0.5
"""
    )
    (row,) = whatif.pipeline_if_signed(_forecast(), roomy, book, as_of=MONDAY).iter_rows(named=True)
    assert (row["serve_from"], row["extra_capex_usd"]) == (_day(56), 0)
    assert "no capital added does not mean served as it ramps" in row["note"]


def test_the_finance_page_and_the_what_if_print_one_hhi_for_the_same_run() -> None:
    """One run, one book: acme signed to 300 GPUs, beta's 500-GPU expansion at 30 %. The
    finance page's "HHI with the book" read the book at its odds (beta + 0.3 x 500) on the
    paths without it, while the what-if's "HHI without" the deal read the run's stored paths,
    which hold the expansion on the paths where it signs (and in FLOAT): 1,607 against 1,605
    on the demo's December. The formatter and the concentration function were one already;
    the figures were of two demands. Now the run measures "with the book" on the paths it
    stores, and both pages print the same HHI for every month (a deal in another month)."""
    from types import SimpleNamespace

    from forecasting.contracts import apply_to_paths, book_concentration, concentration_with_book
    from forecasting.report.format import fmt_hhi
    from forecasting.report.pages.finance import _book_concentration_table
    from forecasting.report.pages.whatif import _concentration
    from tests.test_contracts import book_of, paths_frame, pipeline, signed

    jan = date(2027, 1, 1)
    acme, beta = "total/us/inference/acme", "total/us/inference/beta"
    before = paths_frame(
        {acme: [210.3, 250.7, 190.1, 280.9, 230.2, 260.6], beta: [400.2, 380.9, 420.4, 390.8,
         410.1, 405.5]}, days=59, start=jan,
    )  # fmt: skip
    book = book_of(
        signed("acme-1", "acme", [(jan, 300)]),
        pipeline("beta-more", "beta", [(date(2027, 2, 1), 500)], 0.3),
    )
    run = book_concentration(before, apply_to_paths(before, book, seed=7))
    assert run.filter(pl.col("book") == "with").height == run.height // 2 == 2 * 2 * 2
    stored = apply_to_paths(before, book, seed=7).with_columns(pl.col("y").cast(pl.Float32))
    deal = deal_contract(
        customer="newco", workload_class="inference", region="us", ramp="2027-06-01:10"
    )
    answer = SimpleNamespace(
        concentration=concentration_with_book(
            stored.with_columns(pl.col("y").cast(pl.Float64)), book_of(deal)
        )
    )
    finance = {row[0]: row[4] for row in _book_concentration_table(run).rows}  # HHI with
    whatif = _concentration(answer).rows  # type: ignore[arg-type]
    assert [(r[0], r[3]) for r in whatif] == [
        (date.fromisoformat(f"{m}-01").strftime("%b %Y"), hhi) for m, hhi in finance.items()
    ]
    # The book at its odds is another demand: February's HHI differs.
    odds = concentration_with_book(before, book).filter(
        (pl.col("book") == "with") & (pl.col("region") == "total")
        & (pl.col("workload_class") == "all") & (pl.col("month") == date(2027, 2, 1))
    )  # fmt: skip
    assert fmt_hhi(odds["hhi"].item()) != finance["2027-02"]


def _plan_with_a_dark_region(*, r3_mw: float = 0.0, r3_ceiling: float | None = 5.0) -> CapacityPlan:
    """r2 as ever (its sites roomy), and r3: a site with ``r3_mw`` energized (none by
    default: a dark region) under ``r3_ceiling``, one committed 64-GPU rack from day 10, and
    no forecast series (no telemetry there)."""
    base = _plan(
        _r2_blocks(
            {"id": "r3-rack", "kind": "rack", "region": "r3", "site": "r3-a",
             "gpu_type": "H100", "gpus": 64, "mw": 0.1, "status": "committed",
             "in_service": str(_day(10))}
        )
    ).model_dump(mode="json", exclude_none=True)  # fmt: skip
    r3 = {"id": "r3-a", "region": "r3", "energized": [{"on": "2020-01-01", "mw": r3_mw}],
          "power_lead_months": 10, "cost_per_mw_usd": 1e6}  # fmt: skip
    base["site"] = [
        *({"id": s, "region": "r2", "energized": [{"on": "2020-01-01", "mw": 50.0}],
           "power_lead_months": 10, "cost_per_mw_usd": 1e6} for s in ("r2-a", "r2-b")),
        r3 if r3_ceiling is None else r3 | {"ceiling_mw": r3_ceiling},
    ]  # fmt: skip
    return CapacityPlan.model_validate(base)


def test_a_deal_in_a_region_without_forecast_series_is_weighed_against_its_blocks() -> None:
    """A region the plan has but telemetry does not (r3: one dark 64-GPU rack, no MW, a 5 MW
    ceiling) has no forecast series, so the deal's demand reached no pool: 100,000 training
    GPUs read "served from its first day ... needs no extra block", $0 capex and billions of
    revenue (later the triggers refused the frame with a traceback). Now the region's pools
    carry the ramp alone (zero without the deal), and the deal is weighed against r3's
    blocks, site and candidates: not within the horizon, no revenue; r2 is untouched."""
    forecast = pl.concat(
        [
            _forecast(),
            _series("total", "peak", q90=lambda d: 600 + d),
            _series("total", "mean", q90=500.0),
        ]
    )
    deal = deal_contract(
        customer="newco", workload_class="training", region="r3", ramp=f"{_day(30)}:100000",
        until=_day(200), price_per_gpu_hour=2.0,
    )  # fmt: skip
    answer = what_if(forecast, _plan_with_a_dark_region(), deal, as_of=MONDAY)
    assert answer.serve_from is None
    assert answer.serve_note.startswith("not within the horizon")
    assert answer.revenue_usd == 0
    r3 = answer.orders.filter(pl.col("region") == "r3")
    assert sorted(r3["pool"].to_list()) == ["all", "training"]
    # Without the deal r3 is weighed on zero demand: not judged, not green (no telemetry).
    assert set(r3["status_without"].to_list()) == {"not judged"}
    assert set(r3["status_with"].to_list()) == {"red"}
    assert not answer.not_judged  # short on its GPUs alone: r3's own demand only adds
    assert answer.extra_capex_usd > 0
    r2 = answer.orders.filter(pl.col("region") == "r2")
    assert (r2["status_without"] == r2["status_with"]).all()
    # A deal the dark rack could hold still waits for its power.
    small = replace(deal, ramp=(Step(_day(30), 40),))
    assert what_if(forecast, _plan_with_a_dark_region(), small, as_of=MONDAY).serve_from != _day(30)


def test_revenue_counts_only_the_plan_s_horizon_and_shows_the_rest_apart() -> None:
    """20 GPUs from day 10, 40 from day 400, to day 500, at $3: the plan (to day 364) checks
    nothing past its end, yet the headline revenue "over the term" counted days 365-500 as
    served (84 % of the demo's $587.9M card). Now the revenue is the hours served within the
    plan (days 10-364) and the hours past its end are apart, "not verified (past the plan's
    end)", on the page's cards and the CLI's headline."""
    from rich.console import Console

    from flows.tables import whatif_table
    from forecasting.report.format import html_text
    from forecasting.report.pages.whatif import whatif_page

    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2",
        ramp=f"{_day(10)}:20,{_day(400)}:40", until=_day(500), price_per_gpu_hour=3.0,
    )  # fmt: skip
    answer = what_if(_forecast(), _plan(_r2_blocks()), deal, as_of=MONDAY)
    assert answer.horizon_end == _day(364)
    assert answer.revenue_usd == pytest.approx(20 * 24 * 355 * 3.0)
    assert answer.revenue_past_plan_usd == pytest.approx((20 * 24 * 35 + 40 * 24 * 101) * 3.0)
    page = whatif_page(answer, forecast_run_id="hand", quantile="q90")
    assert html_text(f"revenue to {_day(364)}") in page
    assert html_text("not verified (past the plan's end)") in page
    outcome = _outcome_of(answer, revenue_past_plan_usd=answer.revenue_past_plan_usd)
    console = Console(width=400, record=True)
    console.print(whatif_table(outcome))
    text = " ".join(console.export_text().split())
    assert "revenue $511k to the plan's end ($341k past it: not verified)" in text


def _r2_paths() -> pl.DataFrame:
    """r2's bottom-level paths over January and February 2026 (the daily rows concentration
    reads): acme 100 GPUs, the inference tail 400, on every path and day."""
    from tests.test_contracts import paths_frame

    return paths_frame(
        {"total/r2/inference/acme": [100.0, 100.0], "total/r2/inference/other": [400.0, 400.0]},
        days=55, start=MONDAY,
    )  # fmt: skip


def _with_total(forecast: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(
        [forecast, _series("total", "mean", q90=500.0), _series("total", "peak", q90=600.0)]
    )


def test_concentration_says_where_it_stops_and_no_direction_the_ramp_past_it_may_reverse() -> None:
    """Concentration is measured on the daily paths only (here to Feb 2026). A deal of 20 GPUs
        there and 2,000 from June read as lowering the top-1 share (acme's 20.0% -> 19.2%), the
        opposite of its full ramp, with no word that June was never measured; the CLI said
        nothing on concentration at all. Now the page and the CLI say where it stops, give no
        direction, and bound the deal's own share at its full ramp from the plan's total demand
        (2,000 / (500 + 2,000) = at least 80.0%). A deal wholly inside the measured months gets
        one CLI line with both figures and who becomes the largest customer (in February it holds
    200 GPUs for 24 of 28 days: 171.4 / 671.4 = 25.5%)."""
    from flows.tables import whatif_lines
    from forecasting.report.format import html_text
    from forecasting.report.pages.whatif import whatif_page

    forecast = _with_total(_forecast())
    grows = deal_contract(
        customer="newco", workload_class="inference", region="r2",
        ramp=f"{_day(10)}:20,2026-06-01:2000", until=_day(300), price_per_gpu_hour=2.0,
    )  # fmt: skip
    answer = what_if(forecast, _plan(_r2_blocks()), grows, as_of=MONDAY, paths=_r2_paths())
    line = answer.concentration_line
    assert line.startswith("concentration: forecast through 2026-02-28 only (the daily rows)")
    assert "->" not in line and "lower" not in line
    assert "2,000 GPUs from 2026-06-01" in line and "at least 80.0%" in line
    page = whatif_page(answer, forecast_run_id="hand", quantile="q90")
    assert html_text(line.removeprefix("concentration")) in page
    outcome = _outcome_of(answer, concentration_line=answer.concentration_line)
    assert line in whatif_lines(outcome)

    inside = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(10)}:200",
        until=_day(50), price_per_gpu_hour=2.0,
    )  # fmt: skip
    within = what_if(forecast, _plan(_r2_blocks()), inside, as_of=MONDAY, paths=_r2_paths())
    assert within.concentration_line == (
        "concentration in Feb 2026 (forecast through 2026-02-28): top-1 20.0% -> 25.5% "
        "(newco becomes the largest customer), HHI 2,000 -> 1,761"
    )


def test_concentration_is_measured_on_the_days_the_paths_hold_not_their_whole_month() -> None:
    """Paths to 2026-02-13 measure February only to the 13th: a deal from 2026-02-19 read
    "measured through Feb 2026 ..., where the deal holds up to 2,000 GPUs" beside a table
    showing no change (the paths never reach it). The line says concentration is not
    measured before the deal holds GPUs, and names the last measured day."""
    from tests.test_contracts import paths_frame

    short = paths_frame(
        {"total/r2/inference/acme": [100.0, 100.0], "total/r2/inference/other": [400.0, 400.0]},
        days=40, start=MONDAY,
    )  # fmt: skip
    assert short["ds"].max() == date(2026, 2, 13)
    late = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp="2026-02-19:2000",
        until=_day(300), price_per_gpu_hour=2.0,
    )  # fmt: skip
    answer = what_if(_with_total(_forecast()), _plan(_r2_blocks()), late, as_of=MONDAY, paths=short)
    assert answer.concentration_line == (
        "concentration: not measured, forecast through 2026-02-13 only (the daily rows), "
        "before the deal holds GPUs (from 2026-02-19)"
    )


def test_concentration_in_a_month_the_paths_end_in_says_the_days_it_stands_on() -> None:
    """Paths to 2026-02-13 and a flat 200-GPU deal from 2026-01-15: the line read
    "concentration in Feb 2026 (forecast through 2026-02-13)", a month's shares taken on its
    first 13 days read as the month's (the demo's June 2027, on 5 days). It names the days."""
    from tests.test_contracts import paths_frame

    short = paths_frame(
        {"total/r2/inference/acme": [100.0, 100.0], "total/r2/inference/other": [400.0, 400.0]},
        days=40, start=MONDAY,
    )  # fmt: skip
    flat = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(10)}:200",
        until=_day(300), price_per_gpu_hour=2.0,
    )  # fmt: skip
    answer = what_if(_with_total(_forecast()), _plan(_r2_blocks()), flat, as_of=MONDAY, paths=short)
    assert answer.concentration_line.startswith(
        "concentration in Feb 2026 (2026-02-01 to 2026-02-13 only, forecast through 2026-02-13)"
    ), answer.concentration_line


def test_the_forecast_s_first_day_is_its_first_daily_row_not_its_first_month() -> None:
    """A monthly row is dated by its month's first day: a ramp dated before the forecast was
    said to start "before the forecast's first day (2026-12-01)" on a run whose first day is
    2026-12-04. The first day is the daily rows' first."""
    forecast = _forecast().with_columns(grain=pl.lit("day"))
    month = forecast.filter(pl.col("ds") == _day(0)).with_columns(
        ds=pl.lit(_day(0).replace(day=1)), grain=pl.lit("month")
    )
    assert month["ds"][0] < _day(0)
    deal = _priced(f"{_day(-100)}:20,{_day(20)}:30")
    answer = what_if(pl.concat([month, forecast]), _plan(_r2_blocks()), deal, as_of=MONDAY)
    assert answer.deal.ramp[0] == Step(_day(0), 20)
    assert any(f"the forecast's first day ({_day(0)})" in n for n in answer.notes)


def test_a_pipeline_deal_the_plan_cannot_serve_says_its_capex_is_not_its_price() -> None:
    """A pipeline deal whose racks pass its sites' ceiling ("a new site is needed") carried its
    extra capex to the finance page's row with no caveat, beside the CLI's "it is not the price
    of the deal" for the same deal. Its row's note now says it too."""
    from forecasting.contracts import parse_contracts
    from forecasting.whatif import pipeline_if_signed

    book = parse_contracts(
        f"""
[[contract]]
id = "newco-1"
customer = "newco"
workload_class = "inference"
region = "r2"
ramp = [{{ date = {_day(100)}, gpus = 200 }}]
term_end = 2026-12-31
status = "pipeline"
probability = 0.4
"""
    )
    deals = pipeline_if_signed(_forecast(), _unpowered_r2_plan(ceiling_mw=1.0), book, as_of=MONDAY)
    row = deals.row(0, named=True)
    assert row["serve_from"] is None and row["extra_capex_usd"] > 0
    assert "is not the price of the deal" in row["note"]


def test_a_deal_short_for_most_of_its_term_leads_with_the_shortfall() -> None:
    """20 GPUs from day 10, 200 from day 30, to day 60: served days 10-29, short days 30-55
    until the racks ordered today arrive (26 of its 51 days). The verdict read "served from
    its first day but short from day 30 until day 56", as if served (the demo's acme deal:
    short 21 of its first 22 months). A deal short for most of its term now leads with when it
    is served in full; one short for less of it keeps "from its first day but short"."""
    from rich.console import Console

    from flows.tables import whatif_table
    from forecasting.report.pages.whatif import _verdict
    from forecasting.runs import WhatIfOutcome

    def deal(until: int) -> Contract:
        return deal_contract(
            customer="newco", workload_class="inference", region="r2",
            ramp=f"{_day(10)}:20,{_day(30)}:200", until=_day(until),
        )  # fmt: skip

    mostly = what_if(_forecast(), _plan(_r2_blocks()), deal(60), as_of=MONDAY)
    assert (mostly.serve_from, mostly.short_from) == (_day(56), str(_day(30)))
    assert mostly.short_most
    assert _verdict(mostly) == (
        f"in full only from {_day(56)}: short from {_day(30)} until then, served only from its "
        f"first day ({_day(10)}) to the shortfall"
    )
    outcome = WhatIfOutcome(
        forecast_run_id="hand", as_of=MONDAY, horizon_end=mostly.horizon_end,
        serve_from=mostly.serve_from, can_serve=mostly.can_serve, serve_note="",
        extra_capex_usd=0.0, extra_mw=0.0, revenue_usd=None, orders=[], notes=[],
        page=Path("p.html"), short_from=mostly.short_from, short_most=mostly.short_most,
        first_day=mostly.deal.ramp[0].day,
    )  # fmt: skip
    console = Console(width=400, record=True)
    console.print(whatif_table(outcome))
    text = " ".join(console.export_text().split())
    assert (
        f"served in full only from {_day(56)}: short from {_day(30)} until then, served only "
        f"from its first day ({_day(10)}) to the shortfall (see below)"
    ) in text
    partly = what_if(_forecast(), _plan(_r2_blocks()), deal(100), as_of=MONDAY)
    assert not partly.short_most
    assert _verdict(partly).startswith("from its first day but short from")


def test_a_deal_not_served_within_the_horizon_reads_so_on_the_cli() -> None:
    """The CLI's headline put "served" before every verdict: "served not within the horizon"
    for a deal the plan cannot serve (the new-region deal of 100,000 GPUs). It reads "not
    served within the horizon"."""
    from rich.console import Console

    from flows.tables import whatif_table
    from forecasting.runs import WhatIfOutcome

    outcome = WhatIfOutcome(
        forecast_run_id="r", as_of=MONDAY, horizon_end=_day(364), serve_from=None,
        can_serve=False, serve_note="", extra_capex_usd=0.0, extra_mw=0.0, revenue_usd=0.0,
        orders=[], notes=[], page=Path("p.html"),
    )  # fmt: skip
    console = Console(width=400, record=True)
    console.print(whatif_table(outcome))
    text = " ".join(console.export_text().split())
    assert f"plan to {_day(364)}): not served within the horizon; extra capex" in text


def test_a_new_customer_s_deal_past_the_daily_rows_reaches_a_region_with_a_dedicated_block() -> (
    None
):
    """r2 holds a block dedicated to acme, so its shared pool's peak is bounded by the peaks
    of the customers left on it, monthly rows included. A new customer's deal added its own
    series on the daily rows only: on the monthly rows the bound held no newco, and 1,000
    GPUs from May read "served from its first ramp day on the capacity already planned: it
    needs no extra block" at $0 (the sweep's 75-day fleet: 100,000 training GPUs in us-east,
    $0 capex, $6,468.5M revenue counted as served). Its monthly rows now carry the ramp:
    r2 runs short from May ((380 + 1,000) / 0.8 GPUs needed on 900 shared) and orders."""
    daily_end = _day(59)

    def flat(uid: str, measure: str, value: float) -> pl.DataFrame:
        return _series(uid, measure, q90=value).filter(pl.col("ds") <= daily_end)

    daily = pl.concat(
        [
            flat("total/r2", "peak", 500.0),
            flat("total/r2", "mean", 400.0),
            flat("total/r2/inference", "peak", 500.0),
            flat("total/r2/inference", "mean", 400.0),
            flat("total/r2/inference/acme", "peak", 120.0),
            flat("total/r2/inference/acme", "mean", 100.0),
            flat("total/r2/inference/other", "peak", 380.0),
            flat("total/r2/inference/other", "mean", 300.0),
        ]
    ).with_columns(pl.lit("day").alias("grain"))
    last = daily.filter(pl.col("ds") == daily_end)
    months = [date(2026, m, 1) for m in range(3, 13)]
    monthly = pl.concat(
        last.with_columns(pl.lit(m).alias("ds"), pl.lit("month").alias("grain")) for m in months
    )
    forecast = pl.concat([daily, monthly])
    acme = _block("r2-acme", 200, region="r2", site="r2-a", dedicated_customer="acme")
    plan = _plan(_r2_blocks(acme))
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp="2026-05-01:1000"
    )
    lifted = with_deal(forecast, deal)
    newco_may = lifted.filter(
        (pl.col("unique_id") == "total/r2/inference/newco")
        & (pl.col("grain") == "month")
        & (pl.col("ds") == date(2026, 5, 1))
    )
    assert sorted(newco_may["measure"]) == ["mean", "peak"]
    assert newco_may["q90"].to_list() == [1000.0, 1000.0]
    answer = what_if(forecast, plan, deal, as_of=MONDAY)
    row = answer.orders.filter(pl.col("pool") == "all").row(0, named=True)
    assert (row["status_without"], row["exhaustion_without"]) == ("green", None)
    assert row["exhaustion_with"] == date(2026, 5, 1)
    assert answer.extra_capex_usd > 0
    assert not answer.serve_note.startswith("served from its first ramp day on the capacity")


def test_a_ramp_under_the_customer_s_own_forecast_says_it_adds_no_gpus() -> None:
    """acme runs 100 GPUs (mean): an 80-GPU contract is a floor under that and adds nothing,
    which the answer says (the Helios what-if on vc6YE read "$0, needs no extra block" and a
    revenue, unexplained); a 150-GPU one adds at most 50 over acme's own forecast."""
    plan = _plan(_r2_blocks())

    def deal(gpus: int) -> Contract:
        return deal_contract(
            customer="acme", workload_class="inference", region="r2",
            ramp=f"{_day(10)}:{gpus}", until=_day(40), price_per_gpu_hour=3.0,
        )  # fmt: skip

    under = what_if(_forecast(), plan, deal(80), as_of=MONDAY)
    said = [n for n in under.notes if "floor under" in n]
    assert said == [
        "the ramp (80 GPUs) is at or below acme's own forecast (inference, r2: mean 100 GPUs "
        "on the ramp's days in the plan): a signed contract is a floor under the customer's own "
        "demand, so it adds no GPUs here, and its revenue is for GPUs the customer is forecast "
        "to run anyway"
    ]
    over = what_if(_forecast(), plan, deal(150), as_of=MONDAY)
    assert [n for n in over.notes if "floor under" in n] == [
        "it adds at most 50 GPUs a day to acme's own forecast (mean 100 GPUs): a signed "
        "contract is a floor under the customer's own demand, not added to it"
    ]
    new = what_if(_forecast(), plan, _priced(f"{_day(10)}:20"), as_of=MONDAY)
    assert not [n for n in new.notes if "floor under" in n]


def test_a_deal_past_two_sites_ceilings_names_their_ceilings() -> None:
    """The demo's orion-training-2027 read "the blocks it needs draw more power at us-east-b,
    us-east-c than its ceiling allows": two sites have two ceilings; one keeps "its"."""
    from forecasting.whatif.power import served_once_powered

    deal = deal_contract(customer="x", workload_class="training", region="r2", ramp="2027-05-01:5")
    waits = pl.DataFrame({"site": ["s-b", "s-c"], "powered_from": [None, None]})
    power = pl.DataFrame({"site": ["s-b", "s-c"], "mw_beyond_ceiling": [54.9, 16.0]})
    plan = _plan(_r2_blocks())
    day, said = served_once_powered(
        waits, plan, deal, horizon_end=date(2030, 1, 31), served=(date(2027, 5, 1), ""),
        power=power, buffer_weeks=4, forecast=_forecast(),
    )  # fmt: skip
    assert day is None
    assert "more power at s-b, s-c than their ceilings allow, whatever is contracted" in said
    _, alone = served_once_powered(
        waits.head(1), plan, deal, horizon_end=date(2030, 1, 31),
        served=(date(2027, 5, 1), ""), power=power, buffer_weeks=4, forecast=_forecast(),
    )  # fmt: skip
    assert "more power at s-b than its ceiling allows, whatever is contracted" in alone


def test_a_deal_past_a_daily_only_plan_is_refused_with_a_fix_that_daily_plan_can_take() -> None:
    """Past a plan of daily rows only, the refusal names a longer --horizon, not monthly rows."""
    deal = deal_contract(
        customer="x", workload_class="inference", region="r2", ramp=f"{_day(400)}:5"
    )
    with pytest.raises(DealError) as refused:
        what_if(_forecast(), _plan(_r2_blocks()), deal, as_of=MONDAY)
    assert "this forecast has no monthly rows" in str(refused.value)
    assert "`fleetcast forecast --horizon`" in str(refused.value)


def test_a_deal_in_a_region_without_telemetry_is_not_judged_where_it_would_read_served() -> None:
    """r3 has a powered rack but no telemetry: 40 GPUs there read "yes, from its first day",
    "$0 extra capital" and r3's pools green "without the deal", while `report` says no order
    is judged in r3 (not green: not judged). Its own demand is not known, so the answer, the
    capex and r3's statuses read "not judged: no telemetry in r3" on the page, the CLI and
    the finance page's pipeline row."""
    from rich.console import Console

    from flows.cli import whatif_answer_table
    from forecasting.contracts import parse_contracts
    from forecasting.report.format import html_text
    from forecasting.report.pages.whatif import whatif_page
    from forecasting.whatif import pipeline_if_signed

    forecast = pl.concat(
        [_forecast(), _series("total", "peak", q90=lambda d: 600 + d),
         _series("total", "mean", q90=500.0)]
    )  # fmt: skip
    # r3's rack is powered: what r3 already runs is unknown, not its power.
    plan = _plan_with_a_dark_region(r3_mw=50.0, r3_ceiling=None)
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r3", ramp=f"{_day(30)}:40",
        until=_day(200), price_per_gpu_hour=2.0,
    )  # fmt: skip
    answer = what_if(forecast, plan, deal, as_of=MONDAY, paths=_r2_paths())
    assert answer.not_judged == "not judged: no telemetry in r3"
    # Concentration's expected demand leaves r3's own out: its shares are no bound there.
    assert answer.concentration_line.endswith(
        "r3's own demand is in none of these shares (not judged: no telemetry in r3), so they "
        "are not verified"
    )
    assert not answer.can_serve
    assert answer.serve_note.startswith("not judged: no telemetry in r3")
    r3 = answer.orders.filter(pl.col("region") == "r3")
    assert set(r3["status_without"].to_list()) == {"not judged"}
    assert set(r3["status_with"].to_list()) == {"not judged"}
    assert all(n.startswith("not judged: no telemetry in r3") for n in r3["note"].to_list())
    r2 = answer.orders.filter(pl.col("region") == "r2")
    assert "not judged" not in r2["status_without"].to_list()
    page = whatif_page(answer, forecast_run_id="hand", quantile="q90")
    assert "yes, from its first day" not in page
    assert html_text("not judged: no telemetry in r3") in page
    outcome = _outcome_of(answer, not_judged=answer.not_judged)
    console = Console(width=400, record=True)
    console.print(whatif_answer_table(outcome))
    text = " ".join(console.export_text().split())
    assert f"plan to {answer.horizon_end}): not judged: no telemetry in r3; extra capex" in text
    assert "served from its first day" not in text
    assert "extra capex $0" not in text
    book = parse_contracts(
        f"""
[[contract]]
id = "r3-deal"
customer = "newco"
workload_class = "inference"
region = "r3"
ramp = [{{ date = {_day(30)}, gpus = 40 }}]
term_end = 2030-12-31
status = "pipeline"
probability = 0.5
"""
    )
    row = pipeline_if_signed(forecast, plan, book, as_of=MONDAY).row(0, named=True)
    assert row["extra_capex_usd"] is None and row["serve_from"] is None and row["order_by"] is None
    assert row["note"].startswith("not judged: no telemetry in r3")


def _outcome_of(answer: WhatIf, **fields: object) -> WhatIfOutcome:
    """The CLI's outcome of a what-if ``answer`` on the hand fleet, with ``fields`` beside."""
    return WhatIfOutcome(
        forecast_run_id="hand", as_of=MONDAY, horizon_end=answer.horizon_end,
        serve_from=answer.serve_from, can_serve=answer.can_serve, serve_note=answer.serve_note,
        extra_capex_usd=answer.extra_capex_usd, extra_mw=answer.extra_mw,
        revenue_usd=answer.revenue_usd, orders=answer.orders.to_dicts(), notes=[],
        page=Path("whatif.html"), **fields,
    )  # fmt: skip


def test_a_deal_s_own_blocks_are_counted_against_the_plan_s_blocks_only_once_they_can_run() -> None:
    """r2's sites are energized for exactly the blocks they hold: the plan's 2 racks arrive
    2026-11-04 and wait for power contracted today (2026-12-02). A 300-GPU deal from day 150
    needs 375 GPUs with headroom on the days before; counted from their arrival (pulled to
    as soon as they could land) the plan's dark racks absorbed half of it: 1 rack of its own.
    On the demo an 8,000-GPU us-east deal read "extra capex $0, 0.0 MW" beside 68 racks dark
    until 2029. Blocks now serve from when their site can power them."""
    plan = _unpowered_r2_plan()
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(150)}:300"
    )
    answer = what_if(_forecast(), plan, deal, as_of=MONDAY)
    own = answer.deal_blocks.row(0, named=True)
    assert (own["pool"], own["candidate"], own["blocks"]) == ("all", "rack-c", 2)
    assert own["lacking_gpus"] == pytest.approx(375.0)


def test_a_wait_for_power_at_two_sites_names_the_site_of_each_span() -> None:
    """A deal whose blocks wait for power at two sites: the note read "the sites they go to
    (us-east-a, us-east-b) have no power for them when its pools run short: short from June
    2027 until 2029-01-03 (power contracted today ...); short from October 2028 until
    2029-01-03 (power contracted today ...)", so a facilities reader could not tell which
    site is short when. Each span names its site where more than one waits."""
    from forecasting.whatif.power import _WAITS_SCHEMA, served_once_powered

    waits = pl.DataFrame(
        {
            "site": ["r2-b", "r2-a"],
            "exhaustion_with": [_day(200), _day(110)],
            "powered_from": [_day(330), _day(300)],
            "contracted": [False, True],
            "new_site": [False, False],
        },
        schema=_WAITS_SCHEMA,
    )
    deal = _r2_deal(f"{_day(100)}:200")
    _, note = served_once_powered(
        waits, _unpowered_r2_plan(), deal, horizon_end=_day(360),
        served=(_day(30), "served"), buffer_weeks=4, forecast=_forecast(),
    )  # fmt: skip
    assert (
        f"short at r2-a from {_day(110)} until {_day(300)} (power contracted today: 10 "
        f"months' lead time and the 4 weeks' buffer the power triggers keep); short at r2-b "
        f"from {_day(200)} until {_day(330)} (the power planned at r2-b)"
    ) in note


def test_the_revenue_per_capital_ratio_of_unverified_revenue_says_so() -> None:
    """A 2,048-GPU training deal whose revenue ($99.7M) all falls after the last day the
    plan's statuses are verified: the revenue card said "not verified", while the card beside
    it read "revenue per $ of capital 1.22" bare, a ratio that looks measured on that same
    revenue. It now says how much of the revenue it divides is not verified."""
    from dataclasses import replace

    from forecasting.report.format import fmt_usd
    from forecasting.report.pages.whatif import _cards

    served = what_if(_forecast(), _plan(_r2_blocks()), _priced(f"{_day(10)}:20"), as_of=MONDAY)
    # Its revenue against a capital of $1M: the ratio the card divides.
    answer = replace(served, extra_capex_usd=1e6)
    assert answer.revenue_usd
    unverified = replace(answer, revenue_unverified_usd=answer.revenue_usd, verified_to=_day(5))
    ratio = next(v for k, v in _cards(unverified) if "per $ of capital" in k)
    assert ratio == (
        f"{answer.revenue_usd / answer.extra_capex_usd:.2f} (not verified: all of the revenue "
        f"falls after {_day(5)}, the last day the plan's statuses are verified)"
    )
    part = replace(answer, revenue_unverified_usd=answer.revenue_usd / 4, verified_to=_day(5))
    assert next(v for k, v in _cards(part) if "per $ of capital" in k).endswith(
        f"(not verified: {fmt_usd(answer.revenue_usd / 4)} of the revenue falls after "
        f"{_day(5)}, the last day the plan's statuses are verified)"
    )
    plain = next(v for k, v in _cards(answer) if "per $ of capital" in k)
    assert plain == f"{answer.revenue_usd / answer.extra_capex_usd:.2f}"
