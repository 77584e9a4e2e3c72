"""What a what-if's headline, cards and notes say it measured, and no more.

On the sweep's us-west fleet (tests/fixtures/whatif_replan, as of 2026-12-04) and the hand
plan of tests/test_whatif.py: the plan's orders a deal places sooner, beside its extra capex;
its blocks in service long before it holds a GPU; a first order smaller with the deal than
without it; a short forecast's MW; a ramp dated before the forecast.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from forecasting.capacity import CapacityPlan
from forecasting.runs import WhatIfOutcome
from forecasting.triggers import TriggerSettings
from forecasting.whatif import WhatIf, deal_contract, what_if
from tests.test_whatif import MONDAY, _day, _forecast, _plan, _priced, _r2_blocks
from tests.test_whatif_capital import _SETTINGS, _inference_deal

_SCORED = TriggerSettings(scored_days=7)


def _printed(answer: WhatIf) -> str:
    """The CLI's what-if headline and table for ``answer``, as the terminal shows them."""
    from rich.console import Console

    from flows.tables import whatif_table

    outcome = WhatIfOutcome(
        forecast_run_id="r", as_of=answer.as_of, horizon_end=answer.horizon_end,
        serve_from=answer.serve_from, can_serve=answer.can_serve, serve_note=answer.serve_note,
        extra_capex_usd=answer.extra_capex_usd, extra_mw=answer.extra_mw,
        revenue_usd=answer.revenue_usd, orders=answer.orders.to_dicts(), notes=[],
        page=Path("p.html"), capex_basis=answer.capex_basis, capex_bound=answer.capex_bound,
        sooner_note=answer.sooner_note, ramp_warning=answer.ramp_warning,
        revenue_basis=answer.revenue_basis, not_sized_with=list(answer.not_sized_with),
        not_sized_without=list(answer.not_sized_without),
    )  # fmt: skip
    console = Console(width=1000, record=True)
    console.print(whatif_table(outcome))
    return console.export_text()


def _title(answer: WhatIf) -> str:
    """The CLI's what-if headline (the table's title) for ``answer``, as one line."""
    return " ".join(_printed(answer).split("┏")[0].split())


def _page(answer: WhatIf) -> str:
    from forecasting.report.pages.whatif import whatif_page

    return whatif_page(answer, forecast_run_id="r", quantile="q90")


def test_the_capital_a_deal_places_sooner_stands_beside_its_extra_capex() -> None:
    """The capital a deal places sooner stands beside its extra capex in the CLI's headline
    and the page's cards, not only the note below (the demo's "$84.5M" stood alone while
    $2,918.4M of orders moved up to 426 days sooner). A 3,000-GPU deal from 2027-06-01 pulled
    the plan's GB200 cell 365 days sooner, due 83 days before the as-of date, for "extra
    capex $0"; racks in time, most on power, now serve it: its own 15 racks, $126.7M (the
    re-plan's $118.3M before "Capital" rule 2) and $60.8M of the power they need beyond the
    plan's ("Capital", 4), nothing moved sooner."""
    from dataclasses import replace

    from forecasting.report.format import html_text
    from forecasting.whatif.replan import moved_orders, sooner_capital_note

    answer = _inference_deal("2027-06-01:3000", _SETTINGS)
    # Its racks and the power they need beyond the plan's ("Capital", 4).
    power = float(answer.deal_power["usd"].sum())
    assert (answer.extra_capex_usd, answer.sooner_note) == (
        pytest.approx(15 * 8_448_000.0 + power),
        "",
    )
    moves = moved_orders(_placed(date(2028, 3, 14), beyond=0), _placed(date(2026, 9, 12), beyond=0))
    sooner = sooner_capital_note(moves, as_of=answer.as_of)
    assert sooner == (
        "the triggers re-run with the deal move $400.0M of the plan's orders sooner, up to 549 "
        "days (the first due 2026-09-12, 83 days before the as-of date: late): a re-plan, not "
        "the deal's capital"
    )
    moved = replace(answer, sooner_note=sooner)
    assert f"extra capex $187.5M, 5.8 MW ({answer.capex_basis}); {sooner}; revenue" in _title(moved)
    assert html_text(sooner) in _page(moved)
    # A deal that moves nothing sooner says nothing of it.
    later = _inference_deal("2027-10-01:2000", _SCORED)
    assert later.sooner_note == "" and "sooner" not in _title(later)


def test_a_deal_s_blocks_in_service_months_before_it_say_how_long_and_why() -> None:
    """A 2,000-GPU deal from 2027-10-01 grows the first order's share waiting on power from 42
    to 52 racks, in service from 2027-06-02: 10 racks ($84.5M) stand 121 days before the deal
    holds a GPU, which the what-if listed as "moved" and no more. The note and a card now say
    how many, the capital, how long, that the pool needs none of them then, the order they
    ride in and how far it is sized, and when they could be ordered instead."""
    from forecasting.report.format import html_text

    answer = _inference_deal("2027-10-01:2000", _SCORED)
    head = (
        "10 x rack-h100-256 ($84.5M) of the plan with the deal are in service from 2027-06-02, "
        "121 days (about 4 months) before the deal holds a GPU (2027-10-01), beyond the plan "
        "without it: more than its pools need at q90 (headroom included) on every day until "
        "then: capital standing idle"
    )
    assert answer.early_note.startswith(head)
    assert (
        "They come in the us-west all order of 52 x rack-h100-256 by 2027-02-24, the pool's "
        "first order, sized to 2028-02-11 (the weeks after its shortfall), which takes in the "
        "deal's first months"
    ) in answer.early_note
    assert answer.early_note in answer.notes
    assert html_text(head) in _page(answer)
    # Blocks in service within the triggers' buffer before the deal (14 racks, 28 days
    # before a deal from 2027-04-01) are on time, not early.
    assert _inference_deal("2027-04-01:3000", _SCORED).early_note == ""


def test_a_first_order_smaller_with_the_deal_says_why() -> None:
    """A 3,000-GPU deal from 2027-04-01 reads "trigger blocks 60 -> 13" though it adds demand:
    the first order is stopped the day before the deal (what is short from then is the later
    orders'), and every order of the pool to the plan's end is said: 175 racks without the
    deal, a GB200 cell and 174 racks with it (131 -> 145 racks and a cell either way before
    the all pool's later orders counted the training cell from when it runs as placed,
    2029-01-01, not as sized)."""
    answer = _inference_deal("2027-04-01:3000", _SCORED)
    first = answer.orders.filter(pl.col("pool") == "all").row(0, named=True)
    assert (first["blocks_without"], first["blocks_with"]) == (60, 13)
    assert (
        "us-west all: trigger blocks 60 -> 13 x rack-h100-256 though the deal adds demand: the "
        "first order is sized to 2028-02-11 without the deal and to 2027-03-31 with it (the day "
        "before the deal starts: what is short from then, the deal's GPUs with it, is the later "
        "orders'), so what it no longer covers falls to the later orders; every order of the "
        "pool to the plan's end: 0 -> 1 x cell-gb200-8192, 175 -> 174 x rack-h100-256"
    ) in answer.notes
    # A deal from 2027-03-01 leaves nothing for the first order to buy before it: 60 -> 0.
    none = _inference_deal("2027-03-01:3000", _SCORED)
    assert (
        "us-west all: trigger blocks 60 -> 0 x rack-h100-256 though the deal adds demand: with "
        "the deal the first order is sized no further than the day before it starts "
        "(2027-02-28; grown by the deal's months it would land later than without it), for "
        "which the trigger finds nothing to order (its note says why), so what is short from "
        "the deal's first day, its GPUs with it, falls to the later orders; every order of the "
        "pool to the plan's end: "
    ) in " ".join(none.notes)
    # A first order that grows with the deal needs no such word.
    grown = _inference_deal("2027-10-01:2000", _SCORED)
    assert not any("though the deal adds demand" in n for n in grown.notes)


def test_a_forecast_that_ends_before_a_block_lands_measures_no_mw_nor_blocks() -> None:
    """Forecast to day 39, racks land on day 56: the extra capex reads "at least $0 (an order
    is not sized)" and the MW beside it read "0.0 MW (its own GPUs need no block of their
    own)" (S18, ServeGen's 14-day run): neither was measured, and now neither reads as if."""
    from forecasting.report.format import html_text

    short = _forecast().filter(pl.col("ds") < _day(40))
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(10)}:200",
        until=_day(39),
    )  # fmt: skip
    answer = what_if(short, _plan(_r2_blocks()), deal, as_of=MONDAY)
    assert answer.capex_basis == (
        "the blocks its own GPUs need are not measured: the forecast ends 2026-02-13, before "
        "rack-c ordered today for r2 all (2026-03-02) lands"
    )
    assert (
        f"extra capex at least $0 (an order is not sized), MW not measured ({answer.capex_basis})"
    ) in _title(answer)
    page = _page(answer)
    assert html_text("not measured (an order is not sized: see the notes)") in page
    assert "need no block of their own" not in page


def test_a_ramp_dated_before_the_forecast_is_a_warning_on_the_headline() -> None:
    """A ramp from 300 days before the forecast (a deal "already running" that telemetry does
    not show) was weighed from the first day with a note among the others: the headline, a
    card and the first note now warn, and say how it was weighed instead."""
    from forecasting.report.format import html_text

    answer = what_if(
        _forecast(), _plan(_r2_blocks()), _priced(f"{_day(-300)}:10,{_day(20)}:30"), as_of=MONDAY
    )
    first = (
        "warning: the ramp starts on 2025-03-11, 300 days before the as-of date "
        "(2026-01-05), as if the deal were already running"
    )
    assert answer.ramp_warning.startswith(f"{first}; telemetry shows no inference GPUs of ")
    assert answer.notes[0] == answer.ramp_warning
    assert _title(answer).startswith(
        f"what-if on r (as of 2026-01-05, plan to {answer.horizon_end}): {first} (see the "
        "notes); served"
    )
    assert html_text(first.removeprefix("warning: ")) in _page(answer)
    # A customer the forecast knows is floored, not added to: said so.
    acme = deal_contract(
        customer="acme", workload_class="inference", region="r2",
        ramp=f"{_day(-300)}:10,{_day(20)}:30",
    )  # fmt: skip
    weighed = what_if(_forecast(), _plan(_r2_blocks()), acme, as_of=MONDAY)
    assert "the ramp is a floor under acme's own forecast there" in weighed.ramp_warning
    on_time = what_if(_forecast(), _plan(_r2_blocks()), _priced(f"{_day(20)}:30"), as_of=MONDAY)
    assert on_time.ramp_warning == "" and "warning" not in _title(on_time)
    # A ramp on the as-of date itself is today's, not a deal already running: the forecast's
    # first day (the day after) takes it, said in a plain note.
    today = what_if(_forecast(), _plan(_r2_blocks()), _priced(f"{_day(-1)}:30"), as_of=_day(-1))
    assert today.ramp_warning == "" and "warning" not in _title(today)
    assert any(
        n.startswith(f"the ramp starts on {_day(-1)}, before the forecast") for n in today.notes
    )


def _placed(order_by: date | None, *, beyond: int) -> pl.DataFrame:
    """One order of 4 cells ($100M each) in r2's all pool, ``beyond`` of them past the
    ceiling of their site."""
    from forecasting.triggers import PLACEMENTS_SCHEMA

    row = {
        "region": "r2", "pool": "all", "candidate": "cell", "site": "r2-a", "blocks": 4,
        "mw": 40.0, "arrives": date(2029, 1, 1), "powered": False, "tranche": 2,
        "order_by": order_by, "capex_usd": 400e6, "exhaustion_date": date(2029, 2, 1),
        "status": "red", "blocks_beyond_ceiling": beyond, "runs_from": None,
    }  # fmt: skip
    return pl.DataFrame([row], schema=PLACEMENTS_SCHEMA)


def test_the_orders_placed_sooner_say_how_much_of_them_lies_past_a_site_s_ceiling() -> None:
    """The demo's deal pulled 7 GB200 cells ($2,580.5M) 426 days sooner, every one past its
    site's ceiling (a new site is needed): the headline's capital placed sooner says how much
    of it is such capital, here 3 of 4 cells ($300.0M of $400.0M)."""
    from forecasting.whatif.replan import moved_orders, sooner_capital_note

    moves = moved_orders(_placed(date(2028, 3, 14), beyond=3), _placed(date(2027, 1, 13), beyond=3))
    assert sooner_capital_note(moves, as_of=date(2026, 12, 4)) == (
        "the triggers re-run with the deal move $400.0M of the plan's orders sooner, up to 426 "
        "days (the first due 2027-01-13); $300.0M of them past their site's ceiling (a new site "
        "is needed): a re-plan, not the deal's capital"
    )
    within = moved_orders(
        _placed(date(2028, 3, 14), beyond=0), _placed(date(2027, 1, 13), beyond=0)
    )
    assert sooner_capital_note(within, as_of=date(2026, 12, 4)).endswith(
        "(the first due 2027-01-13): a re-plan, not the deal's capital"
    )
    later = moved_orders(_placed(date(2027, 1, 13), beyond=0), _placed(date(2028, 3, 14), beyond=0))
    assert sooner_capital_note(later, as_of=date(2026, 12, 4)) == ""


def test_an_order_the_deal_leaves_past_every_ceiling_is_not_placed_sooner() -> None:
    """With the demo's deal its 7 GB200 cells ($2,580.5M) left us-east-b, where one ran on
    power from 2029-12-04, for us-east-c, wholly past its ceiling, and were dated from their
    shortfall: "by 2028-03-14 -> 2027-01-13 (426 days sooner)", counted as pulled sooner.
    Blocks no site can power have no order-by: the move says a new site is needed, and the
    capital placed sooner holds none of it."""
    from forecasting.triggers.common import NO_ORDER_BY
    from forecasting.whatif.replan import moved_note, moved_orders, sooner_capital_note

    without, with_ = _placed(date(2028, 3, 14), beyond=3), _placed(None, beyond=4)
    moves = moved_orders(without, with_)
    assert (moves.sooner_usd, moves.sooner_days, moves.sooner_first) == (0.0, 0, None)
    assert moves.moves == [f"r2 all: 4 x cell by 2028-03-14 -> none ({NO_ORDER_BY}), $400.0M"]
    assert sooner_capital_note(moves, as_of=date(2026, 12, 4)) == (
        "the triggers re-run with the deal leave $400.0M of the plan's orders with no order-by "
        f"date ({NO_ORDER_BY}): a re-plan, not the deal's capital"
    )
    assert "sooner" not in moved_note(without, with_)


def test_a_first_order_whose_shortfall_comes_sooner_says_its_window_ends_sooner() -> None:
    """The demo's 2,000-GPU us-east deal brings the pool's shortfall from 2027-05-12 to
    2027-02-22: its first order, sized for the 52 weeks after the shortfall, covers to
    2028-02-21 instead of 2028-05-10 and shrinks 89 -> 40 racks while the pool's orders to the
    plan's end grow 216 -> 226 (the triggers' frames of that run, cut to what the note reads)."""
    from forecasting.triggers import PLACEMENTS_SCHEMA, TriggerResult
    from forecasting.whatif import ORDERS_SCHEMA
    from forecasting.whatif.replan import shrunk_order_note

    def result(sized_to: str, racks: list[int]) -> TriggerResult:
        triggers = pl.DataFrame({"region": ["us-east"], "pool": ["all"], "note": [""]})
        placed = pl.DataFrame(
            {"region": "us-east", "pool": "all", "candidate": "rack-h100-256", "blocks": racks},
            schema_overrides={"blocks": pl.Int64()},
        )
        return TriggerResult(
            triggers=triggers,
            drivers=pl.DataFrame(),
            idle_risk=pl.DataFrame(),
            placements=pl.concat([placed, pl.DataFrame(schema=PLACEMENTS_SCHEMA)], how="diagonal"),
            sized_to=pl.DataFrame(
                {"region": ["us-east"], "pool": ["all"], "sized_to": [date.fromisoformat(sized_to)]}
            ),
        )

    without = result("2028-05-10", [14, 7, 68, 96, 31])
    with_ = result("2028-02-21", [14, 7, 19, 145, 41])
    row = {"region": "us-east", "pool": "all", "candidate": "rack-h100-256",
           "blocks_without": 89, "blocks_with": 40, "exhaustion_without": date(2027, 5, 12),
           "exhaustion_with": date(2027, 2, 22)}  # fmt: skip
    orders = pl.DataFrame([row], schema={k: ORDERS_SCHEMA[k] for k in row})
    deal = deal_contract(
        customer="newco", workload_class="inference", region="us-east", ramp="2027-02-01:2000"
    )
    assert shrunk_order_note(orders, without, with_, deal, cut=False) == (
        "us-east all: trigger blocks 89 -> 40 x rack-h100-256 though the deal adds demand: the "
        "first order is sized to 2028-05-10 without the deal and to 2028-02-21 with it (the "
        "weeks after its shortfall, which the deal brings from 2027-05-12 to 2027-02-22), so "
        "what it no longer covers falls to the later orders; every order of the pool to the "
        "plan's end: 216 -> 226 x rack-h100-256"
    )


def test_a_pool_whose_trigger_block_changes_with_the_deal_names_both_blocks() -> None:
    """A 4,000-GPU us-west training deal turned the pool's trigger from 1 cell-gb200-8192 to 4
    pods: the what-if row read "1 -> 4 x pod-h100-1024", the cell read as a pod. Each count
    now stands beside its own block."""
    from rich.console import Console

    from flows.tables import whatif_table

    order = {
        "region": "us-west", "pool": "training", "status_without": "green",
        "status_with": "red", "exhaustion_without": None, "exhaustion_with": date(2027, 9, 1),
        "candidate": "pod-h100-1024", "candidate_without": "cell-gb200-8192",
        "order_by_without": date(2027, 1, 13), "order_by": date(2027, 2, 1),
        "arrives": date(2027, 9, 1), "blocks_without": 1, "blocks_with": 4,
        "capex_without_usd": 368.6e6, "capex_with_usd": 164.0e6, "extra_capex_usd": -204.6e6,
        "extra_mw": 0.0, "note": None,
    }  # fmt: skip
    outcome = WhatIfOutcome(
        forecast_run_id="r", as_of=date(2026, 12, 4), horizon_end=date(2029, 12, 31),
        serve_from=None, can_serve=False, serve_note="", extra_capex_usd=0.0, extra_mw=0.0,
        revenue_usd=None, orders=[order], notes=[], page=Path("p.html"),
    )  # fmt: skip
    console = Console(width=1000, record=True)
    console.print(whatif_table(outcome))
    text = " ".join(console.export_text().split())
    assert "1 x cell-gb200-8192 -> 4 x pod-h100-1024" in text
    assert "1 -> 4 x pod-h100-1024" not in text


def test_revenue_for_gpus_the_customer_runs_anyway_says_so_on_the_headline_and_page() -> None:
    """acme runs 100 GPUs (mean): an 80-GPU contract adds none, and a note said its revenue is
    for GPUs acme is forecast to run anyway, while the headline and the page's card counted
    "revenue $5.8k" as the deal's (ServeGen m-large/61: "$57k ... ($14.8M past it)"). Both now
    say so beside the figure; a ramp above acme's own forecast does not."""
    from forecasting.report.format import html_text
    from forecasting.whatif import REVENUE_ANYWAY

    def deal(gpus: int) -> WhatIf:
        contract = deal_contract(
            customer="acme", workload_class="inference", region="r2",
            ramp=f"{_day(10)}:{gpus}", until=_day(40), price_per_gpu_hour=3.0,
        )  # fmt: skip
        return what_if(_forecast(), _plan(_r2_blocks()), contract, as_of=MONDAY)

    under, over = deal(80), deal(150)
    assert under.revenue_usd and under.revenue_basis == REVENUE_ANYWAY
    assert f"({REVENUE_ANYWAY})" in _title(under)
    assert html_text(REVENUE_ANYWAY) in _page(under)
    assert over.revenue_basis == "" and REVENUE_ANYWAY not in _title(over)


def _rack_only_plan() -> CapacityPlan:
    """r2's blocks with racks the only block type that can be ordered: none serves training."""
    from forecasting.schema import WorkloadClass
    from tests.test_triggers import RACK

    policy = {
        c.value: {"tier": c.value, "priority": i + 1, "headroom": 0.2}
        for i, c in enumerate(WorkloadClass)
    }
    return CapacityPlan.model_validate(
        {"policy": policy, "block": _r2_blocks(), "candidate": [RACK]}
    )


def _table_text(answer: WhatIf) -> str:
    """The CLI's what-if headline and table for ``answer``, as one line of words."""
    return " ".join(_printed(answer).replace("│", " ").split())


def test_a_training_deal_no_block_type_can_serve_measures_no_capex_and_names_no_rack() -> None:
    """A 2,000-GPU training deal in r2, where only racks (no fabric) can be ordered, read
    "extra capex $72.0M, 3.6 MW (the blocks its own GPUs need: 9 x rack-c for r2 all)" and
    its training row "every order re-planned $0"; on a forecast ending before the racks land
    it named "rack-c ordered today for r2 all" as the block its own GPUs need (ServeGen's
    7-day run). No block type can serve the training pool: capex and MW are not measured,
    and no other pool's block is named as the deal's."""
    from forecasting.report.format import html_text
    from forecasting.text import CapexBound

    deal = deal_contract(
        customer="newco", workload_class="training", region="r2", ramp=f"{_day(10)}:2000",
        until=_day(300),
    )  # fmt: skip
    basis = (
        "no block type can serve the r2 training pool, so the blocks its own GPUs need are not "
        "measured"
    )
    for forecast in (_forecast(), _forecast().filter(pl.col("ds") < _day(40))):
        answer = what_if(forecast, _rack_only_plan(), deal, as_of=MONDAY)
        assert answer.capex_bound is CapexBound.UNSERVABLE
        assert answer.capex_basis == basis
        assert answer.deal_blocks.is_empty()
        text = _table_text(answer)
        assert f"extra capex not measured, MW not measured ({basis})" in text
        assert "r2 training green -> red - -> 2026-01-15 none - not measured" in text
        assert "for r2 all" not in text and "$72.0M" not in " ".join(answer.notes)
        page = _page(answer)
        assert html_text("not measured (no block type can serve a pool the deal needs: see") in page


def test_what_an_order_is_sized_to_reaches_the_what_if_as_data_not_the_note_s_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The what-if read how far the triggers sized an order from their note with a regex
    ("sized for the 52 weeks after exhaustion (to 2028-02-11)"): reworded, the first-order
    and early-blocks notes lost "sized to 2028-02-11 ... and to 2027-03-31 with it" with no
    error. The triggers now return the day with the order, and the notes keep it."""
    from forecasting.triggers import TriggerResult, expansion_triggers
    from forecasting.whatif import answer

    def reworded(*args: object, **kwargs: object) -> TriggerResult:
        result = expansion_triggers(*args, **kwargs)  # type: ignore[arg-type]
        notes = pl.col("note").str.replace_all("sized", "bought")
        return replace(result, triggers=result.triggers.with_columns(notes))

    monkeypatch.setattr(answer, "expansion_triggers", reworded)
    smaller = _inference_deal("2027-04-01:3000", _SCORED)
    assert (
        "the first order is sized to 2028-02-11 without the deal and to 2027-03-31 with it"
    ) in " ".join(smaller.notes)
    early = _inference_deal("2027-10-01:2000", _SCORED)
    assert "the pool's first order, sized to 2028-02-11 (the weeks after its shortfall)" in (
        early.early_note
    )


def test_a_deal_s_blocks_in_service_months_early_say_when_they_could_be_ordered_instead() -> None:
    """A 2,000-GPU deal from 2027-10-01 puts 10 racks ($84.5M) in service 121 days before it,
    as the first order's 52-week window takes in its months: the note said when they "would
    be due for the deal alone", not that the order could leave them out. The first sentence,
    which the page's card shows, now says they could be ordered by 2027-06-25 instead, 121
    days after the order they come in (due 2027-02-24), and still land before the deal."""
    from forecasting.report.format import html_text

    answer = _inference_deal("2027-10-01:2000", _SCORED)
    later = (
        "they could be ordered by 2027-06-25 instead, 121 days after the order they come in "
        "(due 2027-02-24), and still land within the 4-week buffer before the deal (10 weeks' "
        "lead; power then not checked)"
    )
    first, _ = answer.early_note.split(". ", 1)
    assert first.endswith(later)
    assert html_text(later) in _page(answer)


def test_a_deal_is_not_sent_to_a_new_site_for_the_plans_own_breach() -> None:
    """A 2,000-GPU us-east deal needing 10 racks read "a new site is needed: the blocks it needs
    draw more power at us-east-b, us-east-c than their ceilings allow" where the plan's own
    cells passed us-east-b's ceiling in 2028 with or without the deal (sweep47 S15): only MW
    past a ceiling that the deal adds is the deal's; the plan's own breach is said as the
    plan's."""
    from forecasting.whatif.power import served_once_powered

    waits = pl.DataFrame(
        {"site": ["b"], "exhaustion_with": [date(2027, 2, 16)],
         "powered_from": [date(2027, 6, 1)], "contracted": [False], "new_site": [False]}
    )  # fmt: skip
    served = (date(2027, 2, 1), "served from its first ramp day")
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2",
        ramp=f"{date(2027, 2, 1)}:2000", until=date(2027, 12, 31), price_per_gpu_hour=3.0,
    )  # fmt: skip
    power = pl.DataFrame({"site": ["b"], "mw_beyond_ceiling": [88.0]})

    def note_beside(beyond_without: float) -> str:
        day, note = served_once_powered(
            waits, _plan(_r2_blocks()), deal, horizon_end=date(2029, 12, 31), served=served,
            power=power, power_without=power.with_columns(mw_beyond_ceiling=beyond_without),
            buffer_weeks=4, forecast=_forecast(),
        )  # fmt: skip
        assert day is None
        return note

    assert note_beside(88.0).startswith(
        "not within the horizon: the plan's own orders pass the ceiling of b as far with or "
        "without the deal: a new site is needed for the plan"
    )
    assert note_beside(80.0).startswith(
        "not within the horizon: the blocks it needs draw more power at b than its ceiling "
        "allows, whatever is contracted: a new site is needed"
    )


def test_a_first_order_that_shrinks_to_a_better_status_says_the_status_is_its_alone() -> None:
    """A 200,000-GPU eu-west deal the plan cannot serve within its horizon read "eu-west all
    red -> amber" in the what-if table, a pool a finance reader took for better off with the
    deal: its first order, sized to the day before the deal starts, shrank from 11 racks (8
    waiting on power past the shortfall: red) to 2 that land in time (amber). The note on the
    shrunk order says the status is that smaller order's, not the pool's with the deal."""
    from forecasting.triggers import PLACEMENTS_SCHEMA, TriggerResult
    from forecasting.whatif import ORDERS_SCHEMA
    from forecasting.whatif.replan import shrunk_order_note

    def result(sized_to: str, racks: list[int]) -> TriggerResult:
        return TriggerResult(
            triggers=pl.DataFrame({"region": ["eu-west"], "pool": ["all"], "note": [""]}),
            drivers=pl.DataFrame(),
            idle_risk=pl.DataFrame(),
            placements=pl.concat(
                [
                    pl.DataFrame(
                        {
                            "region": "eu-west",
                            "pool": "all",
                            "candidate": "rack-h200-256",
                            "blocks": racks,
                        },
                        schema_overrides={"blocks": pl.Int64()},
                    ),
                    pl.DataFrame(schema=PLACEMENTS_SCHEMA),
                ],
                how="diagonal",
            ),
            sized_to=pl.DataFrame(
                {"region": ["eu-west"], "pool": ["all"], "sized_to": [date.fromisoformat(sized_to)]}
            ),
        )

    row = {"region": "eu-west", "pool": "all", "candidate": "rack-h200-256",
           "blocks_without": 11, "blocks_with": 2, "exhaustion_without": date(2027, 2, 27),
           "exhaustion_with": date(2027, 2, 27), "status_without": "red",
           "status_with": "amber"}  # fmt: skip
    orders = pl.DataFrame([row], schema={k: ORDERS_SCHEMA[k] for k in row})
    deal = deal_contract(
        customer="bigco", workload_class="inference", region="eu-west", ramp="2027-03-01:200000"
    )
    note = shrunk_order_note(
        orders, result("2027-06-06", [11, 86]), result("2027-02-28", [2, 1067]), deal, cut=False
    )
    assert (
        "; its status red -> amber is that smaller first order's alone, not the pool's with the "
        "deal: what the deal's GPUs lack is in the verdict above"
    ) in note
    same = orders.with_columns(status_with=pl.lit("red"))
    assert "is that smaller first order's alone" not in shrunk_order_note(
        same, result("2027-06-06", [11, 86]), result("2027-02-28", [2, 1067]), deal, cut=False
    )
