"""A what-if's extra capital on the fleet the sweep found it on (tests/fixtures/whatif_replan:
the synth fleet's us-west rows of `forecast` as of 2026-12-04, its capacity.toml).

Without a deal us-west/all is red from 2027-01-01 (16 racks due, then a cell and 81 racks to
the plan's end) and the training pool green with a 1024-GPU pod; the triggers re-run with a
flat training deal from 2027-03-01 re-choose those later orders, which jumped with its size.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from forecasting.capacity import CapacityPlan, load_capacity
from forecasting.triggers import TriggerSettings
from forecasting.whatif import REPLANNED, WhatIf, deal_contract, what_if

_FIXTURE = Path(__file__).parent / "fixtures" / "whatif_replan"
_AS_OF = date(2026, 12, 4)
_SETTINGS = TriggerSettings(daily_sizing=True, scored_days=7)


@cache
def _fleet() -> tuple[pl.DataFrame, CapacityPlan]:
    return pl.read_parquet(_FIXTURE / "forecast.parquet"), load_capacity(_FIXTURE / "capacity.toml")


@cache
def _training_deal(gpus: int) -> WhatIf:
    forecast, plan = _fleet()
    deal = deal_contract(
        customer="orbit-ai",
        workload_class="training",
        region="us-west",
        ramp=f"2027-03-01:{gpus}",
        until=date(2029, 12, 31),
    )
    return what_if(forecast, plan, deal, as_of=_AS_OF, settings=_SETTINGS)


def test_a_deal_s_extra_capex_is_the_blocks_its_own_gpus_need_not_the_re_plan() -> None:
    """A flat 500-GPU training deal read "extra capex $263.2M, 12.3 MW" (34 racks, 8,704
    GPUs, ~$526k a GPU) and 100 GPUs $0, 1,000 GPUs $371.7M: the difference of two greedy
    re-plans. Taken as the cheaper of the re-plan and its own blocks (session 48), 100 GPUs
    read $0 and 1,000 GPUs one pod (the re-plan), 500 GPUs one pod of their own. Its capex is
    now the blocks its own GPUs need, growing with its GPUs, the re-plan's figure apart
    (forecasting.whatif, "Capital", 1 and 2)."""
    _, plan = _fleet()
    kinds = {c.name: c for c in plan.candidate}
    pod = kinds["pod-h100-1024"]
    answers = {gpus: _training_deal(gpus) for gpus in (100, 500, 1000)}
    capex = [answers[g].extra_capex_usd for g in (100, 500, 1000)]
    assert capex == sorted(capex)
    own = {
        100: [("training", "pod-h100-1024", 1)],
        500: [("training", "pod-h100-1024", 1)],
        1000: [("training", "pod-h100-1024", 2)],
    }
    for gpus, blocks in own.items():
        answer = answers[gpus]
        rows = answer.deal_blocks.filter(pl.col("blocks") > 0)
        assert rows.select("pool", "candidate", "blocks").rows() == blocks
        # The blocks, and the power they need beyond what the plan secures ("Capital", 4).
        power = float(answer.deal_power["usd"].fill_null(0.0).sum())
        assert answer.extra_capex_usd == pytest.approx(blocks[0][2] * pod.capex_usd + power)
        assert answer.extra_mw == pytest.approx(blocks[0][2] * pod.mw)
        assert answer.capex_basis.startswith("the blocks its own GPUs need")
        assert answer.capex_bound is None
    # 1,000 GPUs: the re-plan places one pod more, cheaper than their two, and is said apart,
    # not taken as the deal's capital.
    assert answers[1000].replan_capex_usd == pytest.approx(pod.capex_usd)
    assert "so it is not the deal's extra capex" in answers[1000].replan_note
    # The re-plan is still measured, and said apart: not the deal's capital (+$108.5M before
    # the all pool's later orders counted the training cell from when it runs as placed).
    assert answers[500].replan_capex_usd == pytest.approx(24.1e6, abs=0.05e6)
    assert answers[500].replan_note.startswith(REPLANNED)
    assert "+$24.1M" in answers[500].replan_note
    assert "us-west training +$41.0M, us-west all -$16.9M" in answers[500].replan_note
    assert "so it is not the deal's extra capex" in answers[500].replan_note
    assert "1 x pod-h100-1024 for us-west training ($41.0M)" in answers[500].replan_note


def test_the_cli_and_the_page_say_which_capex_is_the_deal_s_and_which_the_re_plan_s() -> None:
    """The CLI's title and the page's card priced the re-plan as the deal's capital, with
    -$41.0M beside the pool it runs in: both now name the deal's own blocks, and the re-plan
    is a line of its own under a column that says it is re-planned."""
    from rich.console import Console

    from flows.tables import whatif_lines, whatif_table
    from forecasting.report.format import html_text
    from forecasting.report.pages.whatif import whatif_page
    from forecasting.runs import WhatIfOutcome

    answer = _training_deal(500)
    outcome = WhatIfOutcome(
        forecast_run_id="r", as_of=answer.as_of, horizon_end=answer.horizon_end,
        serve_from=answer.serve_from, can_serve=answer.can_serve, serve_note=answer.serve_note,
        extra_capex_usd=answer.extra_capex_usd, extra_mw=answer.extra_mw,
        revenue_usd=answer.revenue_usd, orders=answer.orders.to_dicts(), notes=[],
        page=Path("p.html"), capex_basis=answer.capex_basis,
        replan_note=answer.replan_note,
    )  # fmt: skip
    console = Console(width=400, record=True)
    console.print(whatif_table(outcome))
    text = " ".join(console.export_text().split())
    # The pod's $41.0M and the power it needs beyond the plan's, $14.3M ("Capital", 4).
    assert (
        "extra capex $55.3M, 1.5 MW (the blocks its own GPUs need: 1 x pod-h100-1024 for "
        "us-west training; the power they need beyond what the plan secures or contracts "
        "($14.3M)"
    ) in text
    assert "so $41.0M of blocks and $14.3M of power)" in text
    assert "every order re-planned" in text
    assert answer.replan_note in whatif_lines(outcome)
    page = whatif_page(answer, forecast_run_id="r", quantile="q90")
    assert html_text("$55.3M (the blocks its own GPUs need: 1 x pod-h100-1024") in page
    assert html_text(answer.replan_note) in page
    assert "1 × pod-h100-1024, $41.0M" in page


def test_the_plan_s_power_wait_ends_when_the_triggers_say_its_blocks_serve() -> None:
    """r2-a has 0.78 MW spare from 2026-03-01 and 3 MW from 2026-08-01; of the plan's 0.8 MW of
    racks there, the one that spare holds runs on arrival and the other is dated to land
    2026-07-04, four weeks before that step, and the triggers say it serves from 2026-08-01.
    The what-if, taking a 0.05 MW deficit as powered, read "short of power at r2-a ... until
    2026-07-04 (the power planned at r2-a)", a day with no power step (the sweep's fleet:
    2027-05-05 against the triggers' 2027-06-02)."""
    from forecasting.triggers import expansion_triggers
    from tests.test_triggers import MONDAY
    from tests.test_whatif import _acme_on_unpowered_r2, _forecast, _unpowered_r2_plan

    base = _unpowered_r2_plan().model_dump(mode="json", exclude_none=True)
    base["site"][0]["energized"] = [
        {"on": "2020-01-01", "mw": 0.5},
        {"on": "2026-03-01", "mw": 1.28},
        {"on": "2026-08-01", "mw": 3.0},
    ]
    plan = CapacityPlan.model_validate(base)
    # Split on power: the rack the spare MW holds runs on arrival, the other waits.
    powered, waiting = (
        expansion_triggers(_forecast(), plan, as_of=MONDAY)
        .placements.sort("arrives")
        .iter_rows(named=True)
    )
    assert powered["powered"] and powered["runs_from"] == powered["arrives"]
    assert (waiting["arrives"], waiting["runs_from"]) == (date(2026, 7, 4), date(2026, 8, 1))
    answer = what_if(_forecast(), plan, _acme_on_unpowered_r2(), as_of=MONDAY)
    assert (
        "short of power at r2-a from 2026-05-06 until 2026-08-01 (the power planned at r2-a)"
        in answer.baseline_note
    )


def _p_one_run(probability: float) -> tuple[pl.DataFrame, pl.DataFrame, object]:
    """r2's hand forecast and 4 paths (acme 100 GPUs, the tail 400) with a book holding
    acme's pipeline deal of 200 more GPUs from day 30 at ``probability``, applied as a
    forecast run applies it (seed 0): the stored forecast, the stored paths and the book."""
    from forecasting.contracts import apply_to_run, parse_contracts
    from tests.test_contracts import paths_frame
    from tests.test_triggers import DAYS, MONDAY, _day
    from tests.test_whatif import _forecast

    book = parse_contracts(
        f"""
[[contract]]
id = "acme-more"
customer = "acme"
workload_class = "inference"
region = "r2"
ramp = [{{ date = {_day(30)}, gpus = 200 }}]
term_end = 2030-12-31
status = "pipeline"
probability = {probability}
"""
    )
    paths = paths_frame(
        {"total/r2/inference/acme": [100.0] * 4, "total/r2/inference/other": [400.0] * 4},
        days=DAYS, start=MONDAY,
    )  # fmt: skip
    run = apply_to_run(_forecast(), paths, book, seed=0)
    return run.forecast, run.paths, book


def _newcomer_of_200(plan: CapacityPlan) -> WhatIf:
    """A new customer's signed 200 inference GPUs in r2 from day 30, weighed on ``plan``: the
    same ramp as the pipeline deal of :func:`_p_one_run`, with no demand of its own before."""
    from tests.test_triggers import MONDAY, _day
    from tests.test_whatif import _forecast

    return what_if(
        _forecast(), plan,
        deal_contract(customer="newco", workload_class="inference", region="r2",
                      ramp=f"{_day(30)}:200", until=date(2030, 12, 31)),
        as_of=MONDAY,
    )  # fmt: skip


@pytest.mark.parametrize("probability", [1.0, 0.5])
def test_a_pipeline_deal_is_weighed_as_signing_on_every_path_against_the_forecast_without_it(
    probability: float,
) -> None:
    """The finance page weighed a pipeline deal as a signed floor on a forecast that already
    held it: a p=1 deal always read "served from its first ramp day on the capacity already
    planned: it needs no extra block, $0" (us-east red, 154 racks past a ceiling), and a deal
    of a customer already running GPUs lost them from its lift. acme's 200 more GPUs now weigh
    as 200 GPUs on top of what acme runs, as a new customer's 200 GPUs do, whatever its odds."""
    from forecasting.whatif import pipeline_if_signed
    from tests.test_triggers import MONDAY, _plan, _r2_blocks

    stored, paths, book = _p_one_run(probability)
    plan = _plan(_r2_blocks())
    (row,) = pipeline_if_signed(stored, plan, book, as_of=MONDAY, paths=paths, seed=0).iter_rows(
        named=True
    )
    newcomer = _newcomer_of_200(plan)
    assert newcomer.extra_capex_usd > 0
    assert (row["extra_capex_usd"], row["serve_from"]) == (
        newcomer.extra_capex_usd,
        newcomer.serve_from,
    )
    assert "it needs no extra block" not in row["note"]


def test_an_ad_hoc_deal_says_the_customer_s_own_forecast_holds_its_pipeline_deals() -> None:
    """`whatif` for arcadia-ml read "the ramp (1,000 GPUs) is at or below arcadia-ml's own
    forecast (mean 1,838-12,883 GPUs): ... its revenue is for GPUs the customer is forecast to
    run anyway", where that forecast was its ~650 GPUs plus its own pipeline deal at 100 %:
    the note now names the pipeline deals the forecast holds at their odds."""
    from tests.test_triggers import MONDAY, _day, _plan, _r2_blocks

    stored, _, book = _p_one_run(1.0)
    deal = deal_contract(
        customer="acme", workload_class="inference", region="r2", ramp=f"{_day(30)}:200",
        until=date(2030, 12, 31),
    )  # fmt: skip
    answer = what_if(stored, _plan(_r2_blocks()), deal, as_of=MONDAY, book=book)
    (floor,) = [n for n in answer.notes if "own forecast" in n]
    assert "at or below acme's own forecast" in floor
    assert (
        f"acme's own forecast holds its pipeline deal acme-more (200 GPUs from {_day(30)}, "
        "at 100%, not signed)"
    ) in floor


def test_a_pipeline_deal_loaded_after_the_forecast_run_is_not_taken_off_it() -> None:
    """A deal loaded after the run is not in its paths: taking its ramp off them would weigh
    it on a forecast 200 GPUs short of what acme runs. Only the deals the run held are taken
    off; the others are weighed on the forecast as it is."""
    from forecasting.whatif import pipeline_if_signed
    from tests.test_contracts import paths_frame
    from tests.test_triggers import DAYS, MONDAY, _plan, _r2_blocks
    from tests.test_whatif import _forecast

    _, _, book = _p_one_run(1.0)
    raw = paths_frame(
        {"total/r2/inference/acme": [100.0] * 4, "total/r2/inference/other": [400.0] * 4},
        days=DAYS, start=MONDAY,
    )  # fmt: skip
    plan = _plan(_r2_blocks())
    (row,) = pipeline_if_signed(
        _forecast(), plan, book, as_of=MONDAY, paths=raw, seed=0, held=frozenset()
    ).iter_rows(named=True)
    newcomer = _newcomer_of_200(plan)
    assert (row["extra_capex_usd"], row["serve_from"]) == (
        newcomer.extra_capex_usd,
        newcomer.serve_from,
    )


def _inference_deal(ramp: str, settings: TriggerSettings) -> WhatIf:
    forecast, plan = _fleet()
    deal = deal_contract(
        customer="newco", workload_class="inference", region="us-west", ramp=ramp,
        until=date(2029, 12, 31),
    )  # fmt: skip
    return what_if(forecast, plan, deal, as_of=_AS_OF, settings=settings)


def test_a_later_deal_leaves_the_plan_s_first_order_its_size_and_its_dates() -> None:
    """A 20,000-GPU deal from 2027-10-01 grew us-west/all's first order from 60 to 156 racks
    (its 52 weeks took in the deal's months) and dated 138 of them to land 2028-12-04 with
    power, leaving the plan's own 2027 shortfall unserved; the order now stops the day before."""
    answer = _inference_deal("2027-10-01:20000", TriggerSettings(scored_days=7))
    first = answer.orders.filter(pl.col("pool") == "all").row(0, named=True)
    assert first["order_by"] == first["order_by_without"] == date(2026, 9, 25)
    assert first["blocks_with"] <= first["blocks_without"] == 60

    note = answer.triggers_with.filter(pl.col("pool") == "all")["note"][0]
    assert "sized to 2027-09-30, the day before the deal weighed on this plan starts" in note
    # No share of it lands later than the plan without the deal lands its own (2027-05-05).
    shares = answer.new_orders.filter((pl.col("pool") == "all") & (pl.col("tranche") == 1))
    assert shares.height
    assert shares["arrives"].max() == date(2027, 5, 5)


def test_every_order_the_deal_moves_is_said_with_its_dates_and_capital() -> None:
    """A 2,000-GPU deal pulled a later 7-cell order ($2.6B) 14 months sooner while the what-if
    named only the first order's date; here a 3,000-GPU deal re-sizes three of the plan's rack
    orders, each said as its move with both sides' blocks and capital. (It pulled the plan's
    GB200 cell 365 days sooner, due 83 days before the as-of date, beside "extra capex $0";
    racks in time, most on power, now serve it instead: its own 15 racks, $126.7M, where the
    re-plan's 14, $118.3M, read as its capital before "Capital" rule 2.)"""
    answer = _inference_deal("2027-06-01:3000", _SETTINGS)
    # Its racks' blocks and the power they need beyond the plan's ("Capital", 4).
    assert answer.extra_capex_usd == pytest.approx(
        15 * 8_448_000.0 + float(answer.deal_power["usd"].sum())
    )
    assert float(answer.deal_power["usd"].sum()) > 0
    assert answer.replan_capex_usd == 118_272_000.0
    moved = answer.replan_note
    assert (
        "with the deal the triggers move 3 of the plan's orders to its end (capital past a "
        "site's ceiling included): " in moved
    )
    assert "cell-gb200-8192" not in moved
    # Without the deal the first order, waiting for power, is sized from the day its racks
    # run (16 + 16 racks before that, 14 + 18 since; the same 32).
    assert "us-west all: 14 -> 28 x rack-h100-256 by 2026-09-25, $118.3M -> $236.5M" in moved
    assert "us-west all: 18 -> 4 x rack-h100-256 by 2027-02-27, $152.1M -> $33.8M" in moved
    assert "us-west all: 69 -> 83 x rack-h100-256 by 2028-09-25, $582.9M -> $701.2M" in moved
