"""Power triggers and placements at a site's ceiling: blocks past it are a new site's.

One region r1 with one live rack of 1,000 GPUs (1.0 MW) at site s1; the region's peak q90 is
700 + slope * d on day d after MONDAY (the as-of date), every class keeping 20 % headroom,
and racks of 250 GPUs, 0.4 MW, 8 weeks lead time, to order (as tests/test_sites.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hand_plans import MONDAY, RACK
from hand_plans import block as _block
from hand_plans import day as _day
from hand_plans import site as _site
from hand_plans import site_plan as _plan

from forecasting.capacity import CandidateBlock, CapacityPlan
from forecasting.report.figures import _past_ceiling_capital, site_power_chart
from forecasting.report.inputs import orders_frame, plan_orders
from forecasting.report.pages.finance import _later_orders_table, _order_by_text
from forecasting.schema import FORECAST_SCHEMA
from forecasting.triggers import (
    PLACEMENTS_SCHEMA,
    TriggerSettings,
    expansion_triggers,
    mw_by_site_month,
    pool_requirements,
)
from forecasting.triggers.common import NO_ORDER_BY
from forecasting.triggers.orders import Order, relieved_shortfall
from forecasting.triggers.power import Power, unpowered_block_warnings


def _linear(*, slope: float = 1.0, days: int = 400) -> pl.DataFrame:
    """The region's peak and mean series, both 700 + slope * d."""
    values = 700.0 + slope * np.arange(days, dtype=float)
    return pl.concat(
        pl.DataFrame(
            {
                "run_id": "hand",
                "unique_id": "total/r1",
                "ds": [_day(i) for i in range(days)],
                "measure": measure,
                "model": "hand",
                **{c: values for c in ("mean", "q10", "q50", "q90", "q99")},
            },
            schema=FORECAST_SCHEMA,
        )
        for measure in ("peak", "mean")
    )


def _run(plan: CapacityPlan, forecast: pl.DataFrame, **kw: Any) -> Any:
    return expansion_triggers(forecast, plan, as_of=MONDAY, **kw)


def _power(result: Any, site: str = "s1") -> dict[str, Any]:
    rows = result.power.filter(pl.col("site") == site)
    assert rows.height == 1
    return rows.row(0, named=True)


def test_a_site_s_mw_needed_leaves_out_the_blocks_placed_past_its_ceiling() -> None:
    """1.0 MW energized and drawn under a 1.5 MW ceiling: of the order's two racks (0.4 MW
    each) one fits, one is past the ceiling. The power row read 1.80 MW needed (both racks)
    and "0.30 MW beyond the ceiling" beside a placement with one rack, 0.40 MW, past it: the
    MW needed counted a rack the order itself put at a new site. Now it reads the 1.40 MW the
    site draws and the 0.40 MW the placement puts past its ceiling, named as a new site's."""
    result = _run(_plan(sites=[_site(mw=1.0, ceiling_mw=1.5)]), _linear())
    placed = result.placements.row(0, named=True)
    assert (placed["blocks"], placed["blocks_beyond_ceiling"]) == (2, 1)
    power = _power(result)
    assert power["mw_needed_at_exhaustion"] == pytest.approx(1.4)
    assert power["mw_beyond_ceiling"] == pytest.approx(0.4)
    assert power["mw_to_contract"] == pytest.approx(0.4)
    assert power["status"] == "red"
    assert (
        "0.40 MW of orders past its ceiling (1 of 2 x rack-h100 of r1/all): a new site is "
        "needed for them, not counted in its MW needed"
    ) in power["note"]


def test_a_site_s_peak_need_stops_at_what_it_can_hold() -> None:
    """1.3 MW energized under a 1.5 MW ceiling, 1.0 drawn: the trigger's rack (0.4 MW) fits
    under the ceiling and waits for power; the later rack is wholly past the ceiling. The
    power row read "all of it by Oct 2026, the plan's peak (1.80 MW needed)" and "0.30 MW
    beyond the ceiling", counting the later rack as the site's need; now its need peaks at
    the 1.40 MW it can hold and the later rack's 0.40 MW reads as a new site's."""
    result = _run(
        _plan(sites=[_site(mw=1.3, ceiling_mw=1.5)]),
        _linear(days=365),
        settings=TriggerSettings(sizing_weeks=8),
    )
    assert result.placements["blocks_beyond_ceiling"].to_list() == [0, 1]
    power = _power(result)
    assert power["mw_beyond_ceiling"] == pytest.approx(0.4)
    assert power["max_shortfall_mw"] == pytest.approx(0.1)
    assert "1.80 MW needed" not in power["note"]
    assert (
        "0.40 MW of orders past its ceiling (1 x rack-h100 of r1/all): a new site is needed "
        "for them, not counted in its MW needed"
    ) in power["note"]


def test_blocks_past_a_site_s_ceiling_hold_none_of_its_room() -> None:
    """An order wholly past s1's ceiling (a 1.2 MW pod where 1.0 MW is left under it) held
    its whole MW there: on a synthetic fleet (seed 7) 2 GB200 cells past us-east-b's ceiling
    took its 13.7 MW of room, and 200 racks landing after them read "200 of 200 past the
    ceiling". Now it holds none, and a part past the ceiling holds only the part that fits."""
    pod = CandidateBlock.model_validate(
        RACK | {"name": "pod-h100", "kind": "pod", "gpus": 1000, "mw": 1.2, "fabric": True}
    )
    plan = _plan(sites=[_site(mw=3.0, ceiling_mw=3.0)], blocks=[_block(), _block("r1-b")])
    power = Power.of(plan, start=MONDAY, end=_day(365))
    assert power is not None
    day = _day(100)
    assert power.ceiling_room("s1", day) == pytest.approx(1.0)
    past = Order(pod, blocks=1, order_by=MONDAY, arrives=day, in_time=True, units=1000.0,
                  site="s1", beyond_ceiling=1)  # fmt: skip
    assert power.after(past).ceiling_room("s1", day) == pytest.approx(1.0)
    rack = CandidateBlock.model_validate(RACK)
    part = replace(past, candidate=rack, blocks=3, beyond_ceiling=1)
    assert power.after(part).ceiling_room("s1", day) == pytest.approx(0.2)


def _partly_past(**fields: Any) -> pl.DataFrame:
    """A later order of 7 GB200 cells (14.746 MW, $368.64M each) at us-east-b, 6 of them past
    its ceiling, due 2028-03-14 (the demo's us-east/all tranche 3), and 1 cell wholly past
    us-east-c's ceiling with no order-by."""
    cell = {"region": "us-east", "pool": "all", "candidate": "cell-gb200-8192", "powered": False,
            "exhaustion_date": date(2028, 11, 1), "status": "red"}  # fmt: skip
    rows = [
        cell | {"site": "us-east-b", "blocks": 7, "mw": 7 * 14.746, "arrives": date(2029, 12, 4),
                "tranche": 3, "order_by": date(2028, 3, 14), "capex_usd": 7 * 368.64e6,
                "blocks_beyond_ceiling": 6, "runs_from": date(2029, 12, 4)},
        cell | {"site": "us-east-c", "blocks": 1, "mw": 14.746, "arrives": date(2029, 10, 4),
                "tranche": 4, "order_by": None, "capex_usd": 368.64e6,
                "blocks_beyond_ceiling": 1, "runs_from": None},
    ]  # fmt: skip
    return pl.DataFrame([r | fields for r in rows], schema=PLACEMENTS_SCHEMA, orient="row")


def test_blocks_past_a_ceiling_have_no_quarter_of_order_even_beside_blocks_that_fit() -> None:
    """The demo's finance page read "Not in the bars: $2,580.5M for 7 blocks past their site's
    ceiling (a new site is needed), by quarter of order: 2028 Q1 $2,211.8M, and $368.6M with
    no order-by": the 6 cells past us-east-b's ceiling took the order-by of the 1 that fits
    beside them, where the cell wholly past us-east-c's had none. No block past a ceiling has
    a quarter now: all $2,580.5M wait for a new site."""
    planned = plan_orders(_partly_past())
    assert planned is not None
    said = _past_ceiling_capital(planned)
    assert "2028 Q1" not in said and "by quarter of order" not in said
    assert said == (
        " Not in the bars: $2,580.5M for 7 blocks past their site's ceiling (a new site is "
        "needed), with no order-by until one is planned."
    )


def test_a_later_order_partly_past_its_ceiling_dates_and_powers_only_the_part_that_fits() -> None:
    """The demo's later-orders table read "2028-03-14" and "103.2 MW" for 7 cells of which 6
    are past us-east-b's ceiling: an order-by and a power draw for blocks that wait for a new
    site. The row now dates the cell that fits and draws its 14.7 MW, the rest said apart."""
    table = _later_orders_table(_partly_past(), daily_end=None)
    headers = list(table.headers)
    row = table.rows[0]
    assert row[headers.index("power")] == "14.7 MW (+ 88.5 MW past its site's ceiling)"
    assert row[headers.index("order by")] == (
        f"2028-03-14 for the 1 under the ceiling; none for the 6 past it: {NO_ORDER_BY}"
    )
    # Wholly past: no order-by, its MW all past the ceiling.
    past = table.rows[1]
    assert past[headers.index("order by")] == f"none: {NO_ORDER_BY}"
    assert past[headers.index("power")] == "none (+ 14.7 MW past its site's ceiling)"


def _dark_until_it_retires() -> Any:
    """s1 has 0 MW energized under its live 1.0 MW rack, which retires on day 200
    (2026-07-24), before power contracted today (12 months and the 4-week buffer) could be
    energized, 2027-02-02; s2, 10 MW energized, takes the orders."""
    rack = _block(retire=_day(200), in_service=date(2024, 1, 1))
    plan = _plan(sites=[_site(mw=0.0), _site("s2", mw=10.0)], blocks=[rack])
    return _run(plan, _linear())


def test_a_dark_block_that_retires_before_power_could_come_is_not_brought_back() -> None:
    """A rack standing dark on a 0 MW site until it retires on 2026-07-24 read red, "contract
    1.00 MW by 2025-02-05 ... to bring back" a rack gone 193 days before power contracted
    today is energized (the demo's us-west-rack-01, retiring 2027-02-17, and "contract 0.61
    MW ($6.8M) by 2024-11-06" for power that comes 2029-01-01). No contract brings it back:
    none of its MW is counted, and the note says why."""
    power = _power(_dark_until_it_retires())
    assert power["mw_to_contract"] == 0.0 and power["cost_usd"] == 0.0
    assert power["status"] == "green" and power["contract_by"] is None
    assert (
        "r1-rack (1.00 MW, 1,000 GPUs) stands dark here from 2026-01-05 until it retires "
        "2026-07-24, before power contracted today could be energized (2027-02-02): not "
        "brought back, none of its MW counted"
    ) in power["note"]


def test_a_block_in_service_on_a_site_with_no_power_is_flagged_as_a_likely_plan_error() -> None:
    """A rack in service at a site whose energized MW is 0 has never run there: a plan that
    says so is more likely wrong (a missing energized step) than a fleet standing dark, and
    nothing said it beyond "standing dark"."""
    rack = _block(retire=_day(200), in_service=date(2024, 1, 1))
    plan = _plan(sites=[_site(mw=0.0), _site("s2", mw=10.0)], blocks=[rack])
    assert unpowered_block_warnings(plan, as_of=MONDAY) == [
        "s1 has 0 MW energized on 2026-01-05 but r1-rack (1.00 MW) is in service there: "
        "likely a plan error (check the site's energized steps)"
    ]
    powered = _plan(sites=[_site(mw=2.0)], blocks=[rack])
    assert unpowered_block_warnings(powered, as_of=MONDAY) == []


def test_a_site_whose_contract_by_date_has_passed_is_red_as_its_note_says() -> None:
    """A committed 1.0 MW rack lands 2027-01-20 at s1 (1.5 MW energized, 1.0 drawn): power
    is short from that day, to be contracted by 2025-12-23 (12 months and the 4-week buffer
    before), 13 days before the as-of day. The row read amber beside its note "contracted
    today, it is energized 2027-02-02 at the earliest, 13 days after the first short day" and
    a legend whose red is "that date has passed": a passed contract-by date is red now."""
    committed = _block("r1-new", status="committed", in_service=date(2027, 1, 20))
    plan = _plan(sites=[_site(mw=1.5)], blocks=[_block(), committed])
    power = _power(_run(plan, _linear(slope=0.0)))
    assert (power["exhaustion_date"], power["contract_by"]) == (
        date(2027, 1, 20),
        date(2025, 12, 23),
    )
    assert power["status"] == "red"
    assert (
        "contracted today, it is energized 2027-02-02 at the earliest, 13 days after the "
        "first short day"
    ) in power["note"]


POD = RACK | {"name": "pod-h100", "kind": "pod", "gpus": 1000, "mw": 1.2,
              "lead_time_weeks": 30, "capex_usd": 40e6, "fabric": True}  # fmt: skip


def _pools_run(*, ceiling_mw: float) -> Any:
    """Training 500 + 2d and inference 300 + 0.2d over 800 days on a live rack and pod at s1
    (2.5 MW energized, 2.0 drawn, under ``ceiling_mw``): the training pool orders 2 pods
    (1.2 MW each), whose MW s1 has energized for neither."""
    d = np.arange(800, dtype=float)
    frames = []
    series = {"total/r1": 800 + 2.2 * d, "total/r1/training": 500 + 2.0 * d,
              "total/r1/inference": 300 + 0.2 * d}  # fmt: skip
    for uid, values in series.items():
        both = pl.Series(np.concatenate([values, values]))  # the peak's rows, then the mean's
        columns = {c: both for c in ("mean", "q10", "q50", "q90", "q99")}
        frames.append(_linear(days=800).with_columns(unique_id=pl.lit(uid), **columns))
    blocks = [_block(), _block("r1-pod", kind="pod", fabric=True)]
    plan = _plan(
        sites=[_site(mw=2.5, ceiling_mw=ceiling_mw)], blocks=blocks, candidates=[RACK, POD]
    )
    result = _run(plan, pl.concat(frames))
    return {r["pool"]: r for r in result.triggers.iter_rows(named=True)}, result.placements


def test_the_all_pool_is_not_covered_by_a_training_order_wholly_past_its_ceiling() -> None:
    """Under a 2.5 MW ceiling (0.5 MW left) neither training pod can run at s1: a new site is
    needed for both. The all pool read "covered by the training-pool order: 2 x pod-h100",
    0 racks ordered, its need met by blocks that never run. It now orders its own racks and
    says the pods serve it nothing."""
    rows, placements = _pools_run(ceiling_mw=2.5)
    pods = placements.filter(pl.col("pool") == "training", pl.col("tranche") == 1).row(
        0, named=True
    )
    assert (pods["blocks"], pods["blocks_beyond_ceiling"]) == (2, 2)
    racks = rows["all"]
    assert racks["blocks_to_order"] == 5
    assert "covered by" not in racks["note"]
    assert (
        "not net of the training-pool order (2 x pod-h100): none of its blocks can run, all "
        "past their site's ceiling (a new site is needed for them)"
    ) in racks["note"]


def test_the_all_pool_counts_only_the_training_blocks_under_the_ceiling() -> None:
    """Under a 3.7 MW ceiling (1.7 MW left) one training pod fits and runs from 2027-02-02
    (power contracted today), the other is past the ceiling. The all pool read "covered by
    the training-pool order: 2 x pod-h100", counting both; it now orders a rack, sized net of
    the one pod that runs, and says the other counts for nothing."""
    rows, _ = _pools_run(ceiling_mw=3.7)
    racks = rows["all"]
    assert racks["blocks_to_order"] == 1
    assert (
        "sized net of the training-pool order (2 x pod-h100 in service 2027-02-02, 1 of them "
        "past s1's ceiling: counted for nothing, a new site is needed for it)"
    ) in racks["note"]


def test_the_all_pool_s_later_orders_count_no_training_block_placed_past_the_ceiling() -> None:
    """Training 500 + 2d and inference 300 + 1d on a live rack and pod at s1 (2.5 MW energized,
    a 4.0 MW ceiling), sized 13 weeks at a time: the training pool's later pod, placed by
    arrival, is wholly past s1's ceiling. The all pool's later orders were sized counting it
    as 1,000 GPUs in service, so its note read "the shortfall grows by 1,654 more by
    2028-03-14: later orders" and none followed (the demo's us-west, with a 20,000-GPU
    training deal, counted 6 pods and a GB200 cell no site powers). They now count only the
    training blocks that run as placed, and order what is short (here past the ceiling too:
    a new site is needed), so what is ordered covers the pool's need at the plan's end."""
    d = np.arange(800, dtype=float)
    frames = []
    series = {"total/r1": 800 + 3.0 * d, "total/r1/training": 500 + 2.0 * d,
              "total/r1/inference": 300 + 1.0 * d}  # fmt: skip
    for uid, values in series.items():
        both = pl.Series(np.concatenate([values, values]))  # the peak's rows, then the mean's
        columns = {c: both for c in ("mean", "q10", "q50", "q90", "q99")}
        frames.append(_linear(days=800).with_columns(unique_id=pl.lit(uid), **columns))
    forecast = pl.concat(frames)
    blocks = [_block(), _block("r1-pod", kind="pod", fabric=True)]
    plan = _plan(sites=[_site(mw=2.5, ceiling_mw=4.0)], blocks=blocks, candidates=[RACK, POD])
    result = _run(plan, forecast, settings=TriggerSettings(sizing_weeks=13))
    placed = result.placements
    later_pod = placed.filter(pl.col("pool") == "training", pl.col("tranche") == 2)
    assert later_pod.select("blocks", "blocks_beyond_ceiling").rows() == [(1, 1)]
    # What runs of the training pool's orders, and every all-pool block ordered, against the
    # all pool's shortfall on the plan's last day.
    need = pool_requirements(forecast, plan, as_of=MONDAY, column="q90").filter(
        pl.col("pool") == "all"
    )
    last = need.sort("ds").row(-1, named=True)
    short = last["requirement_gpus"] - last["capacity_gpus"]
    training = placed.filter(pl.col("pool") == "training")
    running = float(
        (training["blocks"] - training["blocks_beyond_ceiling"].fill_null(0)).sum() * 1000
    )
    ordered = float(placed.filter(pl.col("pool") == "all")["blocks"].sum() * 250)
    assert running + ordered >= short
    later = placed.filter(pl.col("pool") == "all", pl.col("tranche") > 1)
    assert later.height and later["blocks"].sum() > 0
    note = result.triggers.filter(pl.col("pool") == "all")["note"][0]
    assert "later orders (1 planned to" in note


def test_a_training_order_relieves_the_all_pool_by_its_running_blocks_from_when_they_run() -> None:
    """3 racks (250 GPUs each) landing day 10, 1 past the ceiling, the other 2 running from day
    20: a shortfall of 600 GPUs is relieved by 500 from day 20, by nothing before (it was
    relieved by 750 from day 10, a rack that never runs and days the racks stand dark)."""
    rack = CandidateBlock.model_validate(RACK)
    order = Order(rack, blocks=3, order_by=MONDAY, arrives=_day(10), in_time=True,
                   units=250.0, site="s1", beyond_ceiling=1, runs_from=_day(20))  # fmt: skip
    shortfall = pl.DataFrame({"ds": [_day(i) for i in range(30)], "shortfall_gpus": [600.0] * 30})
    relieved = relieved_shortfall(shortfall, order)["shortfall_gpus"].to_list()
    assert relieved == [600.0] * 20 + [100.0] * 10


def test_a_site_s_mw_by_month_and_chart_leave_out_the_orders_past_its_ceiling() -> None:
    """1.0 MW drawn under a 1.5 MW ceiling, an order of 2 racks (0.4 MW each), 1 past it: the
    facilities chart needed 1.8 MW (both racks) and its paragraph read "0.3 MW of the 1.8 MW
    it needs is past its ceiling" beside a power row of 1.40 MW needed and 0.40 MW of orders
    past the ceiling (the demo's us-east-b: 88.2 of 138.2 MW beside a row of 49.69 MW). The
    chart now needs the 1.4 MW the row does, and names the 0.4 MW past the ceiling apart."""
    plan = _plan(sites=[_site(mw=1.0, ceiling_mw=1.5)])
    result = _run(plan, _linear())
    power = mw_by_site_month(
        plan, result.triggers, start=MONDAY, end=_day(399), placements=result.placements
    )
    assert power["mw_needed"].max() == pytest.approx(1.4)
    assert _power(result)["mw_beyond_ceiling"] == pytest.approx(0.4)
    chart = site_power_chart(power, site="s1", key="s1", past_ceiling_mw=0.4)
    assert chart is not None
    assert "1.8 MW" not in chart.takeaway
    assert chart.takeaway.startswith("s1 needs 1.4 MW by ")
    assert (
        "Not counted: 0.4 MW of orders placed here past its ceiling, which no contract brings "
        "on: a new site is needed for them."
    ) in chart.takeaway


def test_an_order_partly_past_its_ceiling_dates_only_the_blocks_under_it_in_the_orders_table() -> (
    None
):
    """The finance page's orders table read "2028-03-14" for 7 cells at us-east-b of which 6
    are past its ceiling, one date for blocks that wait for a new site too (the later-orders
    table already said it apart). It now says the date is the 1's under the ceiling."""
    row = {"order_by": date(2028, 3, 14), "blocks_to_order": 7, "blocks_beyond_ceiling": 6,
           "monthly_only": False, "month_grain": False}  # fmt: skip
    assert _order_by_text(row, daily_end=None, as_of=None, end=None) == (
        f"2028-03-14 for the 1 under the ceiling; none for the 6 past it: {NO_ORDER_BY}"
    )
    whole = _order_by_text(row | {"blocks_beyond_ceiling": 0}, daily_end=None, as_of=None, end=None)
    assert whole == "2028-03-14"


def test_orders_csv_says_how_many_blocks_each_order_by_date_is_for() -> None:
    """orders.csv gave the 7 cells at us-east-b one order_by, 2028-03-14, with 6 of them past
    its ceiling and no column to tell which blocks the date was for. ``order_by_blocks``, added
    after the documented columns, reads 1 there and 0 for the cell wholly past us-east-c's."""
    frame = orders_frame(_partly_past(), end=None)
    assert frame.columns[-1] == "order_by_blocks"
    assert frame.select("site", "order_by", "blocks", "order_by_blocks").rows() == [
        ("us-east-b", date(2028, 3, 14), 7, 1),
        ("us-east-c", None, 1, 0),
    ]


def test_the_cli_report_table_says_the_order_by_is_for_the_blocks_under_the_ceiling() -> None:
    """The CLI's report table read "2028-03-14 ... 7 x cell-gb200-8192 (6 past us-east-b's
    ceiling: a new site is needed)", the date beside all 7. The order cell now says the 6 have
    no order-by and the date is the 1's under the ceiling."""
    from rich.console import Console

    from flows.tables import report_table
    from forecasting.runs import ReportOutcome

    row = {"region": "us-east", "pool": "all", "status": "red", "order_by": "2028-03-14",
           "exhaustion_date": "2028-11-01", "candidate": "cell-gb200-8192", "blocks_to_order": 7,
           "capex_usd": 7 * 368.64e6, "mw": 103.2, "arrives": "2029-12-04", "site": "us-east-b",
           "blocks_beyond_ceiling": 6, "note": ""}  # fmt: skip
    report = ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={}, failing_drills=[],
        stale_days=None, triggers=[row],
    )  # fmt: skip
    console = Console(width=400, record=True)
    console.print(report_table(report))
    text = " ".join(console.export_text().split())
    assert (
        "7 x cell-gb200-8192 (6 past us-east-b's ceiling: a new site is needed, no order-by "
        "for them; the order-by is for the 1 under it)"
    ) in text


def test_the_room_under_a_ceiling_counts_the_holds_that_start_after_the_order_s_day() -> None:
    """1.0 MW left under s1's 3.0 MW ceiling and 0.8 MW of it held from day 200 by an order
    placed for good (the pass by arrival): an order arriving day 100 read 1.0 MW of room,
    all of it, though from day 200 on its blocks and the hold cannot both run. It now reads
    the 0.2 MW left on every day it runs. A hold kept for a trigger's order placed again
    later, and any hold in the first pass (every order is placed again by arrival), still
    count from their own day only: the order landing first wins the room."""
    plan = _plan(sites=[_site(mw=3.0, ceiling_mw=3.0)], blocks=[_block(), _block("r1-b")])
    first = Power.of(plan, start=MONDAY, end=_day(365))
    assert first is not None
    settled = replace(first.copy(), settled=True)
    settled.take("s1", 0.8, _day(200))
    assert settled.ceiling_room("s1", _day(100)) == pytest.approx(0.2)
    assert settled.ceiling_room("s1", _day(250)) == pytest.approx(0.2)
    assert not settled.fits_ceiling("s1", 0.4, _day(100))
    kept = replace(first.copy(), settled=True)
    kept.reserve("s1", 0.8, _day(200), pending=True)
    assert kept.ceiling_room("s1", _day(100)) == pytest.approx(1.0)
    assert kept.ceiling_room("s1", _day(250)) == pytest.approx(0.2)
    first.take("s1", 0.8, _day(200))
    assert first.ceiling_room("s1", _day(100)) == pytest.approx(1.0)


def _split_on_power() -> pl.DataFrame:
    """The demo's us-east/all order as placed: 21 racks on power due 2026-12-30, and 53
    waiting for power (40 at us-east-a due 2028-09-25, 13 at us-east-b due 2028-10-09)."""
    rack = {"region": "us-east", "pool": "all", "candidate": "rack-h100-256", "tranche": 1,
            "status": "red", "exhaustion_date": date(2027, 4, 7)}  # fmt: skip
    rows = [
        rack | {"site": "us-east-a", "blocks": 21, "powered": True, "order_by": date(2026, 12, 30),
                "arrives": date(2027, 3, 10), "runs_from": date(2027, 3, 10), "mw": 8.1},
        rack | {"site": "us-east-a", "blocks": 40, "powered": False, "order_by": date(2028, 9, 25),
                "arrives": date(2028, 12, 4), "runs_from": date(2029, 1, 1), "mw": 15.4},
        rack | {"site": "us-east-b", "blocks": 13, "powered": False, "order_by": date(2028, 10, 9),
                "arrives": date(2028, 12, 18), "runs_from": date(2029, 1, 15), "mw": 5.0},
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=PLACEMENTS_SCHEMA, orient="row")


def test_a_trigger_s_placement_gives_the_order_by_dates_of_its_part_waiting_for_power() -> None:
    """The demo's us-east/all: 21 racks on power due 2026-12-30 and 53 waiting for power due
    from 2028-09-25 (orders.csv); the trigger's row carried only 2026-12-30, which the CLI
    table read as all 74's date. Its placement now gives the 53's own dates."""
    from forecasting.triggers.common import trigger_placements

    row = trigger_placements(_split_on_power()).row(0, named=True)
    assert (row["blocks_waiting"], row["waiting_order_by"], row["waiting_order_by_last"]) == (
        53,
        date(2028, 9, 25),
        date(2028, 10, 9),
    )


def test_the_pages_give_the_part_waiting_for_power_its_own_order_by_date() -> None:
    """The demo's finance orders table and facilities power table read "2026-12-30" under
    order by for us-east/all's 74 racks, 53 of them waiting for power and due 2028-09-25 (the
    note, orders.csv): one date, wrong for 53 racks. Both now date each part."""
    from forecasting.report.inputs import with_power
    from forecasting.report.pages.facilities import _power_orders_table

    trigger = {"region": "us-east", "pool": "all", "status": "red", "order_by": date(2026, 12, 30),
               "arrives": date(2027, 3, 10), "exhaustion_date": date(2027, 4, 7),
               "candidate": "rack-h100-256", "blocks_to_order": 74, "capex_usd": 625.2e6,
               "mw": 28.4, "note": "", "powered_from": None, "monthly_only": False}  # fmt: skip
    triggers = pl.DataFrame([trigger])
    row = with_power(triggers, _split_on_power()).row(0, named=True)
    said = "2026-12-30 for the 21 on power; 2028-09-25 to 2028-10-09 for the 53 waiting"
    assert _order_by_text(row, daily_end=None, as_of=date(2026, 12, 4), end=None) == said
    table = _power_orders_table(with_power(triggers, _split_on_power()), _split_on_power())
    assert said in [str(c) for r in table.rows for c in r]


def test_an_order_with_mw_energized_but_no_room_under_its_ceiling_is_red_and_not_run() -> None:
    """Under a 4.5 MW ceiling the training pool's 2 pods wait on power and claim the ceiling's
    room; s1 still has 0.5 MW energized free, so the all pool's rack, wholly past the ceiling,
    read "powered": green, in service on arrival (2026-12-07), beside its note's "a new site is
    needed" (a fleet 3x over its plan showed such later orders green on the facilities page
    and in orders.csv, status green beside status_shown red). It is red and runs nowhere, as
    its note says."""
    rows, placements = _pools_run(ceiling_mw=4.5)
    racks = rows["all"]
    assert racks["status"] == "red"
    placed = placements.filter(pl.col("pool") == "all").row(0, named=True)
    assert (placed["blocks"], placed["blocks_beyond_ceiling"]) == (1, 1)
    assert placed["powered"] is False
    assert placed["runs_from"] is None
    assert placed["status"] == "red"
    assert "past the site ceilings: a new site is needed" in racks["note"]
