"""Sites and power, GPU generations in H100-equivalents, and triggers on a monthly-grain forecast.

One region r1 with one live rack of 1,000 GPUs (1.0 MW) at site s1; the region's peak q90 is
700 + d on day d after MONDAY (the as-of date) and every class keeps 20 % headroom, so the
requirement (700 + d) / 0.8 first exceeds 1,000 on d = 101. The largest shortfall over the
365 days is (700 + 364) / 0.8 - 1000 = 330 GPUs: two 250-GPU racks of 0.4 MW each (0.8 MW),
ordered by d = 101 - 8 - 4 weeks = 17 and arriving on d = 73.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from hand_plans import MONDAY, RACK
from hand_plans import block as _block
from hand_plans import day as _day
from hand_plans import site as _site
from hand_plans import site_plan as _plan

from forecasting.capacity import (
    SITE_POWER_MONTHLY_SCHEMA,
    SITE_POWER_TIMELINE_SCHEMA,
    CapacityError,
    CapacityPlan,
    dump_plan,
    parse_capacity,
    site_power_by_month,
    site_power_timeline,
)
from forecasting.schema import FORECAST_SCHEMA, WorkloadClass
from forecasting.triggers import (
    PLACEMENTS_SCHEMA,
    POWER_TRIGGERS_SCHEMA,
    TRIGGERS_SCHEMA,
    TriggerSettings,
    expansion_triggers,
    mw_by_site_month,
    site_orders_by_need,
)
from forecasting.triggers.common import MONTHLY_ONLY, NO_ORDER_BY

DAYS = 365
EXHAUSTION = 101
ARRIVAL = 73  # two racks ordered on their order-by date (day 17), 8 weeks lead time


def _forecast(values: np.ndarray, days: list[date], *, grain: str | None = None) -> pl.DataFrame:
    """The region's peak and mean series with the same values (no class-level series)."""
    frames = []
    for measure in ("peak", "mean"):
        frame = pl.DataFrame(
            {
                "run_id": "hand",
                "unique_id": "total/r1",
                "ds": days,
                "measure": measure,
                "model": "hand",
                **{c: values for c in ("mean", "q10", "q50", "q90", "q99")},
            },
            schema=FORECAST_SCHEMA,
        )
        frames.append(frame if grain is None else frame.with_columns(grain=pl.lit(grain)))
    return pl.concat(frames)


def _pools_forecast(training: np.ndarray, inference: np.ndarray, days: list[date]) -> pl.DataFrame:
    """Region r1's total and its training and inference pools, each a forecast frame."""
    return pl.concat(
        [
            _forecast(training + inference, days),
            *(
                _forecast(values, days).with_columns(unique_id=pl.lit(uid))
                for uid, values in (
                    ("total/r1/training", training),
                    ("total/r1/inference", inference),
                )
            ),
        ]
    )


def _linear(base: float = 700.0, slope: float = 1.0, days: int = DAYS) -> pl.DataFrame:
    d = np.arange(days, dtype=float)
    return _forecast(base + slope * d, [_day(i) for i in range(days)])


def _run(plan: CapacityPlan, forecast: pl.DataFrame | None = None, **kw: Any) -> Any:
    return expansion_triggers(_linear() if forecast is None else forecast, plan, as_of=MONDAY, **kw)


def _all_pool(result: Any) -> dict[str, Any]:
    rows = result.triggers.filter(pl.col("pool") == "all")
    assert rows.height == 1
    return rows.row(0, named=True)


def _power(result: Any, site: str) -> dict[str, Any]:
    rows = result.power.filter(pl.col("site") == site)
    assert rows.height == 1
    return rows.row(0, named=True)


# --- sites and power -------------------------------------------------------------------------


def test_a_site_without_power_refuses_the_block_and_moves_the_trigger_to_power() -> None:
    """1.3 MW energized, 1.0 drawn: no rack (0.4 MW) of the two arriving day 73 fits; power does.

    The block trigger is dated to land 4 weeks before power contracted today (2027-02-02),
    says power is the constraint, and is red: racks that wait for power past exhaustion
    leave the pool short whenever they are ordered (its order-by date still ahead read
    green). The site's power trigger dates exhaustion on the day the pool needs them (the
    buffer before its shortfall, not their later arrival: counted from that, it read amber
    while the pool went short for 292 days), contract-by 12 months and 4 weeks before it
    (already past: red), and prices the 0.5 MW beyond what is secured. (A forecast to
    2027-02-08: power after the plan's end dates no order.)
    """
    result = _run(_plan(sites=[_site(mw=1.3)]), _linear(days=400))
    row = _all_pool(result)
    assert (row["exhaustion_date"], row["order_by"]) == (_day(EXHAUSTION), date(2026, 11, 10))
    assert (row["blocks_to_order"], row["arrives"]) == (2, date(2027, 1, 5))
    assert "power is the constraint" in row["note"]
    # No power planned at s1: the racks land before power contracted today, which the note
    # names (it read "before its site's power", as of power the site has coming).
    assert (
        "lands 2027-01-05, 4 weeks before power contracted today reaches its site (s1, "
        in (row["note"])
    )
    assert row["status"] == "red"
    assert result.placements.rows() == [
        (
            "r1",
            "all",
            "rack-h100",
            "s1",
            2,
            pytest.approx(0.8),
            date(2027, 1, 5),
            False,
            1,
            date(2026, 11, 10),
            2 * 8e6,
            _day(EXHAUSTION),
            "red",
            None,  # no ceiling declared: none of its blocks is past one
            date(2027, 2, 2),  # power contracted today: 12 months and the 4-week buffer
        )
    ]
    power = _power(result, "s1")
    assert power["exhaustion_date"] == _day(ARRIVAL)  # 4 weeks before the pool's shortfall
    assert power["mw_needed_at_exhaustion"] == pytest.approx(1.8)
    assert power["energized_mw_at_exhaustion"] == pytest.approx(1.3)
    assert power["contract_by"] == date(2025, 2, 19)  # 2025-03-19 less 4 weeks
    assert power["status"] == "red"
    assert power["mw_to_contract"] == pytest.approx(0.5)
    assert power["cost_usd"] == pytest.approx(0.5 * 2e6)
    assert power["mw_beyond_ceiling"] is None  # no ceiling declared: nothing to pass


def test_an_order_waiting_for_power_is_dated_to_land_with_it_and_stays_red() -> None:
    """1.3 MW energized, 1.0 drawn (no rack's 0.4 MW free), 12 months to contract more: power
    contracted today runs the two racks from 2027-02-02. They were due 2026-01-22 and landed
    2026-03-19 to stand dark 320 days (a 400-day fleet's 56 racks, $473.1M, 689 days): the order
    is dated to land 4 weeks before the power, by 2027-02-02 less 8 weeks' lead and the buffer,
    in the trigger, its placement and the site's power trigger; it stays red (the pool is short
    from 2026-04-16 whatever is ordered now) and the note says it waits on power. An order
    already late moves from the past to that date, still red; one whose power comes within the
    buffer of ordering today stays late, its date never moved before the as-of date.
    """
    forecast = _linear(days=800)
    result = _run(_plan(sites=[_site(mw=1.3)]), forecast)
    row = _all_pool(result)
    assert (row["order_by"], row["arrives"], row["status"]) == (
        date(2026, 11, 10),
        date(2027, 1, 5),
        "red",
    )
    assert (
        "order 2 x rack-h100 by 2026-11-10 so that it lands 2027-01-05, 4 weeks before power "
        "contracted today reaches its site (s1, from 2027-02-02): the order waits on power, "
        "dated to land when its "
        f"site's power does, not to stand dark; ordered by {_day(17)} it would land "
        f"{_day(ARRIVAL)} and stand dark 320 days; its blocks serve from 2027-02-02, 292 days "
        f"after exhaustion ({_day(EXHAUSTION)}), whatever is ordered now"
    ) in row["note"]
    first = result.placements.filter(pl.col("tranche") == 1).row(0, named=True)
    assert (first["order_by"], first["arrives"], first["runs_from"], first["status"]) == (
        date(2026, 11, 10),
        date(2027, 1, 5),
        date(2027, 2, 2),
        "red",
    )
    # Its power is needed when its pool is, not from the day it is dated to land.
    assert _power(result, "s1")["exhaustion_date"] == _day(ARRIVAL)
    # Late (short from the as-of date): its order-by date was already gone.
    late = _all_pool(_run(_plan(sites=[_site(mw=1.3)]), _linear(base=820.0, days=800)))
    assert (late["order_by"], late["arrives"], late["status"]) == (
        date(2026, 11, 10),
        date(2027, 1, 5),
        "red",
    )
    # Power contracted for day 70 comes 14 days after racks ordered today land: ordering them
    # 2 weeks before today is no date to give; they stay late, red, ordered today.
    soon = _site(mw=1.3, contracted_mw=1.0, contracted_energized=_day(70))
    stays = _all_pool(_run(_plan(sites=[soon]), _linear(base=820.0, days=800)))
    assert stays["order_by"] < MONDAY and stays["arrives"] == _day(56)
    assert stays["status"] == "red" and "waits on power" not in stays["note"]


def test_an_order_dated_to_its_power_and_powered_on_its_new_day_stays_red() -> None:
    """A 90-day fleet's training pods, dated to land with their site's power for a shortfall
    from 2027-09-01, were placed again on their new day, 2028-04-29, where the orders that had
    taken the MW had moved later too: powered on arrival, the pool read green on an order-by
    date 9 months out beside "its blocks serve from 2028-04-29, 241 days after exhaustion,
    whatever is ordered now", and the note "lands 2028-04-29, 4 weeks before its site's power
    (from 2028-04-29)". Such an order waited for its power: red, and it lands with it."""
    from forecasting.triggers import notes, orders

    rack = _plan().candidate[0]
    exhaustion, landing = _day(EXHAUSTION), _day(400)
    moved = orders.Order(
        candidate=rack, blocks=2, order_by=landing - timedelta(weeks=8), arrives=landing,
        in_time=True, units=250.0, site="s1", powered=True, usable=landing, runs_from=landing,
        dark_order_by=_day(17), dark_arrives=_day(ARRIVAL),
    )  # fmt: skip
    fields = orders.order_fields(moved, as_of=MONDAY, exhaustion=exhaustion, blocks=2)
    assert fields["status"] == "red"
    note = notes._order_note(moved, exhaustion=exhaustion, buffer_weeks=4)
    assert f"so that it lands {landing}, when its site has the MW for it (s1): " in note
    assert "weeks before its site's power" not in note
    assert f"its blocks serve from {landing}, 299 days after exhaustion" in note
    # Never moved and powered on arrival in time: its order-by date's colour.
    kept = replace(moved, dark_order_by=None, dark_arrives=None)
    assert orders.order_fields(kept, as_of=MONDAY, exhaustion=landing, blocks=2)["status"] == (
        "green"
    )


def test_a_month_read_short_is_no_day_its_blocks_serve_days_after() -> None:
    """A training pool short in January 2029 at the monthly grain only (exhaustion stored as
    the month's first day) read "its blocks serve from 2029-01-03, 2 days after exhaustion
    (2029-01-01)": a count of days from a day no row measured. Against a month, the note says
    the blocks serve in (or after) the month read short; a daily exhaustion keeps its count."""
    from forecasting.triggers import notes, orders

    rack = _plan().candidate[0]
    exhaustion, runs = date(2029, 1, 1), date(2029, 1, 3)
    waiting = orders.Order(
        candidate=rack, blocks=1, order_by=date(2027, 3, 1), arrives=date(2028, 12, 6),
        in_time=False, units=250.0, site="s1", powered=True, usable=runs, runs_from=runs,
        dark_order_by=date(2026, 12, 1), dark_arrives=date(2028, 10, 1),
    )  # fmt: skip
    monthly = notes._order_note(
        waiting, exhaustion=exhaustion, buffer_weeks=4, month_end=notes.month_after(exhaustion)
    )
    assert "2 days after exhaustion" not in monthly
    assert (
        "its blocks serve from 2029-01-03, in January 2029, the month read short at the "
        "monthly grain only, whatever is ordered now"
    ) in monthly
    daily = notes._order_note(waiting, exhaustion=exhaustion, buffer_weeks=4)
    assert "its blocks serve from 2029-01-03, 2 days after exhaustion (2029-01-01)" in daily


def test_an_order_moved_past_the_window_it_was_sized_for_says_so() -> None:
    """Power contracted today comes in 24 months: the racks, dated to land with it, run from
    2028-02-02, while they were sized for the 52 weeks after exhaustion, to 2027-04-15. The
    note read "sized for the 52 weeks after exhaustion (to 2027-04-15)" and no more, as if
    that window were the demand they serve: it says the window ends before they run, and
    whose the shortfall then is. With power within the window, nothing is added."""
    far = _all_pool(_run(_plan(sites=[_site(mw=1.3, power_lead_months=24)]), _linear(days=1200)))
    assert (
        "sized for the 52 weeks after exhaustion (to 2027-04-15, which ends before its blocks "
        "can run, 2028-02-02: what is short once they run is the later orders')"
    ) in far["note"]
    near = _all_pool(_run(_plan(sites=[_site(mw=1.3)]), _linear(days=800)))
    assert "ends before its blocks can run" not in near["note"]


def test_a_site_with_power_takes_the_block_and_stays_green() -> None:
    """2 MW energized leaves 1.0 free: the racks go to s1 and the site never runs short."""
    result = _run(_plan(sites=[_site(mw=2.0)]))
    row = _all_pool(result)
    assert "power" not in row["note"] and "at s1" in row["note"]
    assert result.placements["powered"].to_list() == [True]
    power = _power(result, "s1")
    assert power["status"] == "green" and power["exhaustion_date"] is None
    assert power["mw_to_contract"] == 0.0


def test_an_order_re_sized_after_a_first_choice_finds_the_power_that_choice_did_not_use() -> None:
    """1.0 MW free: the first choice (one rack, sized from exhaustion) lands late, so the order
    is sized again for the year after its arrival (two racks, 0.8 MW). The first choice's MW
    is not held for an order never placed: the two racks are powered at s1 (the first choice's
    reservation left 0.6 MW and read "power is the constraint")."""
    result = _run(_plan(sites=[_site(mw=2.0)]), _linear(base=830, slope=0.5, days=500))
    row = _all_pool(result)
    assert row["blocks_to_order"] == 2 and "power is the constraint" not in row["note"]
    assert result.placements.select("site", "blocks", "powered").rows() == [("s1", 2, True)]


def test_the_block_goes_to_the_site_that_has_the_power() -> None:
    """s1 is full; s2 (no blocks yet) has 1 MW energized, so the order goes there."""
    result = _run(_plan(sites=[_site(mw=1.0), _site("s2", mw=1.0)]))
    assert result.placements.select("site", "powered").rows() == [("s2", True)]
    assert _power(result, "s1")["status"] == "green"
    assert _power(result, "s2")["max_shortfall_mw"] == 0.0


def test_contracted_mw_counts_from_its_energization_day() -> None:
    """0.5 MW contracted on top of 1.5: energized day 60 it powers the day-73 arrival; energized
    day 80 it does not, and the power trigger asks to bring it forward rather than contract more."""
    early = _site(mw=1.5, contracted_mw=0.5, contracted_energized=_day(60))
    assert _run(_plan(sites=[early])).placements["powered"].to_list() == [True]
    late = _site(mw=1.5, contracted_mw=0.5, contracted_energized=_day(80))
    result = _run(_plan(sites=[late]))
    assert result.placements["powered"].to_list() == [False]
    power = _power(result, "s1")
    assert power["exhaustion_date"] == _day(ARRIVAL)
    assert power["mw_to_contract"] == 0.0
    assert "bring its energization forward" in power["note"]


def test_a_block_waiting_for_power_beats_a_powered_one_that_arrives_later() -> None:
    """s1 has 1.0 MW, all drawn, and 4 MW contracted from day 120. Two racks (day 73) wait 47
    days for it; a pod with 30 weeks' lead would arrive powered on day 210, 109 days after
    exhaustion. The racks are usable first, so they are ordered, at s1, dated to land 4 weeks
    before the power (day 92), and the note says they wait for power (the old rule took the
    powered pod: capacity a year late for a region whose power was weeks away). With no power
    ever, the roomiest site whose ceiling can hold it."""
    pod = {"name": "pod-h100", "kind": "pod", "gpu_type": "H100", "gpus": 1024, "mw": 1.6,
           "lead_time_weeks": 30, "capex_usd": 40e6, "fabric": True}  # fmt: skip
    site = _site(mw=1.0, contracted_mw=4.0, contracted_energized=_day(120))
    result = _run(_plan(sites=[site], candidates=[RACK, pod]))
    row = _all_pool(result)
    assert (row["candidate"], row["arrives"]) == ("rack-h100", _day(92))
    assert f"s1 has it from {_day(120)}, 28 days later" in row["note"]
    assert result.placements.select("site", "powered").rows() == [("s1", False)]
    # Without the contract nothing is ever powered: the first to arrive, placed at the
    # roomiest site (s2, 0.5 MW free, not s1, none), as before.
    sites = [_site(mw=1.0), _site("s2", mw=0.3)]
    bare = _run(_plan(sites=sites, candidates=[RACK, pod]))
    assert _all_pool(bare)["candidate"] == "rack-h100"
    assert "the most free is 0.30 MW at s2" in _all_pool(bare)["note"]
    assert bare.placements.select("site", "powered").rows() == [("s2", False)]
    # s2's ceiling (0.6 MW) can never hold the racks' 0.8 MW, s1's (5 MW) can: placed at s1,
    # where a power contract can bring them on (s2 read "a new site is needed").
    capped = [_site(mw=1.0, ceiling_mw=5.0), _site("s2", mw=0.3, ceiling_mw=0.6)]
    held = _run(_plan(sites=capped, candidates=[RACK, pod]))
    assert held.placements.select("site", "powered").rows() == [("s1", False)]


def _racks_then_a_pod(sites: list[dict[str, Any]], *, days: int = DAYS) -> Any:
    """Training 500 + 1.2d and inference 400 + 5d on a live 1,000-GPU rack and a live
    1,000-GPU pod (1.0 MW each) at s1: the all pool runs short on day 113 and orders 4 racks
    (1.6 MW) landing day 85; the training pool runs short on day 251 and orders a 30-week
    pod (1.2 MW) landing day 223, placed first, as the training pool's order is."""
    d = np.arange(days, dtype=float)
    training, inference = 500 + 1.2 * d, 400 + 5.0 * d
    forecast = _pools_forecast(training, inference, [_day(i) for i in range(days)])
    pod = RACK | {"name": "pod-h100", "kind": "pod", "gpus": 1000, "mw": 1.2,
                  "lead_time_weeks": 30, "capex_usd": 40e6, "fabric": True}  # fmt: skip
    blocks = [_block(), _block("r1-pod", kind="pod", fabric=True)]
    return _run(_plan(sites=sites, blocks=blocks, candidates=[RACK, pod]), forecast)


def test_the_order_short_of_power_is_the_one_whose_arrival_overflows_the_site() -> None:
    """s1 has 4 MW, 2 drawn: the racks (1.6 MW, day 85) fit on arrival, the pod (1.2 MW,
    day 223) landing after them does not, and the site's power trigger dates its shortfall
    on the pod's arrival, dated to land 4 weeks before power contracted today (2027-01-02).
    The pod is flagged (red: no power for it in the plan), the racks are green at s1.

    Before, a site's MW went to orders in the order they were placed, training pool first:
    the pod took 1.2 MW and the racks landing 138 days before it read red, "no power for it
    in the plan" (the most free 0.80 MW), while the pod that overflows the site read green.
    (An 11-month power lead: power after the plan's end dates no order.)
    """
    result = _racks_then_a_pod([_site(mw=4.0, power_lead_months=11)])
    rows = {r["pool"]: r for r in result.triggers.iter_rows(named=True)}
    racks, pod = rows["all"], rows["training"]
    assert (racks["candidate"], racks["blocks_to_order"], racks["arrives"]) == (
        "rack-h100",
        4,
        _day(85),
    )
    assert (pod["candidate"], pod["arrives"]) == ("pod-h100", date(2026, 12, 5))
    assert (racks["status"], racks["powered_from"]) == ("green", None)
    assert "power is the constraint" not in racks["note"] and "4 x rack-h100 at s1" in racks["note"]
    assert (pod["status"], pod["powered_from"]) == ("red", None)
    assert (
        "power is the constraint: no site in r1 has 1.20 MW for 1 x pod-h100 energized from "
        "2026-12-05 (the most free is 0.40 MW at s1)"
    ) in pod["note"]
    placed = result.placements.sort("arrives").select("pool", "site", "powered", "status")
    assert placed.rows() == [("all", "s1", True, "green"), ("training", "s1", False, "red")]
    power = _power(result, "s1")
    # The pod waits for power past its shortfall: needed from the buffer before it.
    assert power["exhaustion_date"] == pod["exhaustion_date"] - timedelta(weeks=4)
    assert power["mw_needed_at_exhaustion"] == pytest.approx(2.0 + 1.6 + 1.2)


def test_an_order_displaced_by_an_earlier_arrival_moves_to_a_site_with_room() -> None:
    """With s2 (1.2 MW, empty) beside s1, the racks take s1, the roomiest on their arrival,
    and the pod that lands after them goes to s2, where it is powered: no site is short.

    Before, the pod (placed first) took s1's MW, and the racks, finding 0.8 MW at s1 and
    1.2 at s2, had no power: the all pool ordered a second pod at s2 instead, landing 97 days
    after exhaustion (red), with 2.8 MW free in the region for racks in time.
    """
    result = _racks_then_a_pod([_site(mw=4.0), _site("s2", mw=1.2)])
    placed = result.placements.sort("arrives")
    assert placed.select("pool", "candidate", "site", "powered", "status").rows() == [
        ("all", "rack-h100", "s1", True, "green"),
        ("training", "pod-h100", "s2", True, "green"),
    ]
    assert set(result.triggers["status"]) == {"green"}
    assert set(result.power["status"]) == {"green"}


def test_contract_power_by_is_exhaustion_less_lead_months_less_buffer() -> None:
    """A committed 0.8 MW block arriving 2026-05-31 at a 1.5 MW site already drawing 1.0: power
    runs out that day; 3 months back is 2026-02-28 (clamped), less 4 weeks is 2026-01-31,
    still ahead of the as-of date, with a 6-week buffer 2026-01-17, and with 5 months lead
    2025-12-31 less 4 weeks, past: red (lead time lost). Its 1.6 MW ceiling leaves 0.2 MW of
    the need past it, which no contract covers: red on any date; under a 2 MW ceiling, green."""
    committed = _block("r1-new", 500, mw=0.8, status="committed", in_service=date(2026, 5, 31))
    flat = _linear(base=100.0, slope=0.0)  # demand never near capacity: no block trigger

    def power(months: int, buffer_weeks: int = 4) -> dict[str, Any]:
        site = _site(mw=1.5, power_lead_months=months, ceiling_mw=1.6)
        plan = _plan(sites=[site], blocks=[_block(), committed])
        settings = TriggerSettings(buffer_weeks=buffer_weeks)
        return _power(_run(plan, flat, settings=settings), "s1")

    row = power(3)
    assert row["exhaustion_date"] == date(2026, 5, 31)
    assert row["contract_by"] == date(2026, 1, 31)
    # Its contract-by date is ahead, but 0.2 MW of the need lies past the ceiling: no contract
    # covers it, so the site is red (it read green).
    assert row["status"] == "red"
    assert row["max_shortfall_mw"] == pytest.approx(0.3)
    assert row["ceiling_room_mw"] == pytest.approx(0.1)
    assert row["mw_to_contract"] == pytest.approx(0.1)  # the ceiling caps it
    assert "beyond the ceiling" in row["note"]
    assert row["mw_beyond_ceiling"] == pytest.approx(0.2)  # 0.3 MW short, 0.1 MW of room
    assert power(3, buffer_weeks=6)["contract_by"] == date(2026, 1, 17)
    roomy = _power(
        _run(
            _plan(
                sites=[_site(mw=1.5, power_lead_months=3, ceiling_mw=2.0)],
                blocks=[_block(), committed],
            ),
            flat,
        ),
        "s1",
    )
    assert (roomy["status"], roomy["mw_beyond_ceiling"]) == ("green", 0.0)
    late = power(5)
    assert (late["contract_by"], late["status"]) == (date(2025, 12, 3), "red")


def test_a_site_s_note_asks_to_contract_only_the_mw_its_ceiling_leaves() -> None:
    """The committed 0.8 MW block at a 1.5 MW site drawing 1.0 needs 0.3 MW more: under a 1.6 MW
    ceiling only 0.1 MW can be contracted, and at a 1.5 MW ceiling none. The note read
    "contract 0.30 MW by 2026-01-31" beside 0.1 MW to contract (a synthetic fleet's sites at
    their ceilings read "contract 2.98 MW" beside 0.0 MW to contract and "2.98 MW beyond the
    ceiling: a new site is needed")."""
    committed = _block("r1-new", 500, mw=0.8, status="committed", in_service=date(2026, 5, 31))
    flat = _linear(base=100.0, slope=0.0)

    def power(ceiling: float) -> dict[str, Any]:
        site = _site(mw=1.5, power_lead_months=3, ceiling_mw=ceiling)
        return _power(_run(_plan(sites=[site], blocks=[_block(), committed]), flat), "s1")

    some = power(1.6)
    assert some["mw_to_contract"] == pytest.approx(0.1)
    assert some["note"].startswith(
        "contract 0.10 MW (the most the 1.60 MW ceiling allows) by 2026-01-31 (3 months lead"
    )
    assert "0.20 MW beyond the ceiling" in some["note"]
    none = power(1.5)
    assert none["mw_to_contract"] == pytest.approx(0.0)
    assert none["status"] == "red"
    assert "contract" not in none["note"].replace("contracted", "")
    assert none["note"] == "0.30 MW beyond the ceiling: a new site is needed"


def test_site_power_timeline_draws_blocks_in_service_and_frees_retired_ones() -> None:
    """A retiring 0.5 MW block leaves on its retire date; a placed order draws from arrival."""
    retiring = _block("r1-old", 200, mw=0.5, status="retiring", retire=_day(10))
    plan = _plan(sites=[_site(mw=2.0, energized=[{"on": _day(0), "mw": 1.5},
                                                 {"on": _day(20), "mw": 2.0}])],
                 blocks=[_block(), retiring])  # fmt: skip
    orders = pl.DataFrame({"site": ["s1"], "arrives": [_day(15)], "mw": [0.4]})
    timeline = site_power_timeline(plan, start=_day(0), end=_day(30), orders=orders)
    assert timeline.schema == SITE_POWER_TIMELINE_SCHEMA
    by_day = {r["ds"]: r for r in timeline.iter_rows(named=True)}
    assert by_day[_day(9)]["mw_in_service"] == pytest.approx(1.5)
    assert by_day[_day(10)]["mw_in_service"] == pytest.approx(1.0)
    assert (by_day[_day(14)]["mw_ordered"], by_day[_day(15)]["mw_ordered"]) == (0.0, 0.4)
    assert (by_day[_day(19)]["energized_mw"], by_day[_day(20)]["energized_mw"]) == (1.5, 2.0)
    assert by_day[_day(30)]["mw_needed"] == pytest.approx(1.4)
    monthly = site_power_by_month(plan, start=_day(0), months=36, orders=orders)
    assert monthly.schema == SITE_POWER_MONTHLY_SCHEMA
    assert monthly.height == 36
    january, february = monthly.row(0, named=True), monthly.row(1, named=True)
    # Supply is the month's lowest day: nothing is energized before the first step (Jan 5).
    assert (january["energized_mw"], january["mw_needed"]) == (0.0, pytest.approx(1.5))
    assert (february["energized_mw"], february["mw_needed"]) == (2.0, pytest.approx(1.4))
    # Short only on the days before the first step: from it, 1.5 MW meets the 1.5 MW needed.
    assert january["short_days"] == (_day(0) - january["month"]).days > 0
    assert february["short_days"] == 0


def test_retired_capacity_leaves_the_pools() -> None:
    """A 300-GPU block retiring on day 50 brings exhaustion forward: (700 + d) / 0.8 > 1000
    from day 101 with it, > 700 from day 50 (the retire date) without it."""
    retiring = _block("r1-old", 300, status="retiring", retire=_day(50))
    row = _all_pool(_run(_plan(blocks=[_block(gpus=700), retiring])))
    assert row["exhaustion_date"] == _day(50)


def test_orders_land_at_their_placed_site_in_mw_by_site_month() -> None:
    """Given the placements, the MW frame puts the order at the site the triggers chose."""
    plan = _plan(sites=[_site(mw=1.0), _site("s2", mw=1.0)])
    result = _run(plan)
    mw = mw_by_site_month(
        plan, result.triggers, start=MONDAY, end=_day(DAYS - 1), placements=result.placements
    )
    march = mw.filter(pl.col("month") == date(2026, 3, 1))
    assert dict(zip(march["site"], march["mw_new_blocks"], strict=True)) == {"s1": 0.0, "s2": 0.8}


def test_a_plan_without_sites_or_gpu_types_triggers_as_before() -> None:
    """Declaring a site with ample power changes where the order goes, nothing else."""
    plain = _run(_plan())
    with_site = _run(_plan(sites=[_site(mw=10.0)]))
    assert plain.power.is_empty() and plain.power.schema == POWER_TRIGGERS_SCHEMA
    assert plain.placements.select("site", "powered").rows() == [(None, True)]
    assert plain.placements.schema == PLACEMENTS_SCHEMA
    assert with_site.triggers.schema == TRIGGERS_SCHEMA
    assert plain.triggers.drop("note").equals(with_site.triggers.drop("note"))
    assert _all_pool(plain)["note"] == _all_pool(with_site)["note"].replace(" at s1", "")


# --- GPU generations -------------------------------------------------------------------------

GB200_RACK = {"name": "rack-gb200", "kind": "rack", "gpu_type": "GB200", "gpus": 100, "mw": 0.3,
              "lead_time_weeks": 10, "capex_usd": 9e6}  # fmt: skip
TYPES = {"H100": {"h100_equivalent": 1.0, "generation": 1},
         "GB200": {"h100_equivalent": 2.5, "generation": 2}}  # fmt: skip


def test_capacity_counts_h100_equivalents_where_the_table_exists() -> None:
    """400 GB200 at 2.5 hold what 1,000 H100 do; without a table they count as 400 GPUs."""
    block = _block(gpus=400, gpu_type="GB200")
    row = _all_pool(_run(_plan(blocks=[block], gpu_types=TYPES)))
    assert row["capacity_gpus_at_exhaustion"] == 1000
    bare = _all_pool(_run(_plan(blocks=[block])))
    assert bare["capacity_gpus_at_exhaustion"] == 400
    # Demand was measured on those GB200s, so it converts at 2.5 too: a change of unit
    # moves no date.
    assert row["exhaustion_date"] == bare["exhaustion_date"]
    assert row["requirement_gpus_at_exhaustion"] == pytest.approx(
        2.5 * bare["requirement_gpus_at_exhaustion"]
    )


def test_demand_converts_at_the_region_s_mix_in_service() -> None:
    """Half the GPUs GB200 (2.5), half H100: a GPU of demand is 1.75 H100-equivalents."""
    blocks = [_block(gpus=400, gpu_type="GB200"), _block(gpus=400, id="h")]
    row = _all_pool(_run(_plan(blocks=blocks, gpu_types=TYPES)))
    bare = _all_pool(_run(_plan(blocks=blocks)))
    assert row["requirement_gpus_at_exhaustion"] == pytest.approx(
        1.75 * bare["requirement_gpus_at_exhaustion"]
    )


def test_newer_generation_wins_when_its_lead_time_allows() -> None:
    """Both racks can be ordered in time (order-by day 17 and day 3): the GB200 rack wins with
    the table although dearer, two of them (2 x 250 H100e >= 330); without the table the
    cheaper H100 rack wins as before."""
    with_table = _all_pool(_run(_plan(candidates=[RACK, GB200_RACK], gpu_types=TYPES)))
    assert (with_table["candidate"], with_table["blocks_to_order"]) == ("rack-gb200", 2)
    assert with_table["order_by"] == _day(EXHAUSTION - 14 * 7)
    without = _all_pool(_run(_plan(candidates=[RACK, GB200_RACK])))
    assert without["candidate"] == "rack-h100"


def test_older_generation_that_arrives_in_time_wins_over_a_late_newer_one() -> None:
    """A 16-week GB200 rack would have to be ordered before today; the H100 rack is in time."""
    slow = GB200_RACK | {"lead_time_weeks": 16}
    row = _all_pool(_run(_plan(candidates=[RACK, slow], gpu_types=TYPES)))
    assert (row["candidate"], row["status"]) == ("rack-h100", "green")


CELL = {"name": "cell-gb200", "kind": "cell", "gpu_type": "GB200", "gpus": 100, "mw": 0.3,
        "lead_time_weeks": 30, "capex_usd": 5e6, "fabric": True}  # fmt: skip


def test_an_older_generation_in_time_bridges_to_a_newer_one_that_can_serve_later() -> None:
    """2,000 live GPUs, peak 1,300 + 3d: short from day 101 (the H100 rack in time, order-by day
    17); the 30-week GB200 cell, at $20k per H100-equivalent against the rack's $32k, can
    serve in time from day 238 (ordered today). The racks bridge to it: 3 racks for 514 short,
    the cell takes the rest (1 for 240 more), every day from the first arrival is covered, and
    the plan costs $29M, not 4 racks' $32M; the note says so. The plan costs as much with the
    cell ordered up to 8 weeks later (3 racks cover to day 300), so it waits 8 weeks (the
    bridge sized to day 293) and says so; with a steeper forecast ordering it today is
    cheapest, and the note says what waiting 4 weeks would give up.
    Before, the rack's window was bought whole in H100s. No bridge: to a block dearer per
    H100-equivalent; to one cheaper per H100-equivalent but so large that the plan costs more
    with it (a 5,000-H100e cell for 240 short: $114M against $32M); to one that could serve
    only after the forecast's last day (it raised); or without the [gpu_type] table."""
    blocks = [_block(gpus=2000)]
    forecast = _linear(base=1300.0, slope=3.0)
    plan = _plan(blocks=blocks, candidates=[RACK, CELL], gpu_types=TYPES)
    result = _run(plan, forecast)
    row = _all_pool(result)
    assert (row["candidate"], row["blocks_to_order"], row["order_by"]) == ("rack-h100", 3, _day(17))
    assert (
        f"sized to {_day(293)}, a bridge to cell-gb200 (GB200, a newer generation, 30 weeks), "
        f"which can serve in time from {_day(294)}"
    ) in row["note"]
    assert row["note"].endswith(
        f"; bridges to the newer generation save $3.0M of r1's orders to {_day(364)} (the "
        f"newer blocks ordered no sooner than {_day(56)}, 8 weeks from now: of waits up to 13 "
        "weeks the cheapest plan; as cheap as ordering them today, and it commits later)"
    )
    # Peak 1,250 + 4d: 3 racks to day 237, then 3 cells ordered today, $39M against 6 racks'
    # $48M. Ordered 4 weeks later, the cells serve from day 266: 4 racks, 2 cells, $42M.
    steeper = _all_pool(_run(plan, _linear(base=1250.0, slope=4.0)))
    assert (
        f"sized to {_day(237)}, a bridge to cell-gb200 (GB200, a newer generation, 30 weeks), "
        f"which can serve in time from {_day(238)}"
    ) in steeper["note"]
    assert steeper["note"].endswith(
        f"; bridges to the newer generation save $9.0M of r1's orders to {_day(364)} (ordered "
        "4 weeks later, the newer blocks would save $6.0M; no wait up to 13 weeks costs less "
        "than ordering them today)"
    )
    placed = result.placements.filter(pl.col("pool") == "all").sort("tranche")
    assert placed.select("candidate", "blocks", "order_by", "status").rows() == [
        ("rack-h100", 3, _day(17), "green"),
        ("cell-gb200", 1, _day(301 - 34 * 7), "green"),
    ]
    assert placed["capex_usd"].sum() == 29e6
    d = np.arange(DAYS)
    capacity = 2000 + sum(
        np.where(d >= (arrives - MONDAY).days, n * units, 0)
        for arrives, n, units in zip(placed["arrives"], placed["blocks"], (250, 250), strict=True)
    )
    assert ((1300 + 3 * d) / 0.8 <= capacity)[d >= (placed["arrives"][0] - MONDAY).days].all()
    for dearer in (
        _plan(blocks=blocks, candidates=[RACK, CELL | {"capex_usd": 9e6}], gpu_types=TYPES),
        _plan(
            blocks=blocks,
            candidates=[RACK, CELL | {"gpus": 2000, "capex_usd": 90e6}],
            gpu_types=TYPES,
        ),
        _plan(blocks=blocks, candidates=[RACK, CELL]),
        # Able to serve from day 448 only, past the forecast's last day (it raised before).
        _plan(blocks=blocks, candidates=[RACK, CELL | {"lead_time_weeks": 60}], gpu_types=TYPES),
    ):
        whole = _run(dearer, forecast)
        placed = whole.placements.filter(pl.col("pool") == "all")
        assert placed.select("candidate", "blocks").rows() == [("rack-h100", 4)]
        assert "bridge" not in _all_pool(whole)["note"]


def test_a_bridge_waits_to_order_the_newer_blocks_where_waiting_costs_less() -> None:
    """Peak 1,100 + 5d on 2,000 GPUs; a 26-week GB200 cell of 750 H100-equivalents at $9M.
    Ordered today, the cells serve from day 210 and the bridge is 3 racks, but the shortfall
    then needs 2 cells by the plan's end: $42M, due in 11 days, while the note said waiting 4
    weeks would save more. Waiting 4 weeks, one more rack bridges and one cell covers the
    rest: $41M, the cheapest of waits up to 13 weeks. The plan takes it, the cell is ordered
    no sooner than day 28, every day from the first arrival is covered, and the note says
    what ordering today would give up."""
    cell = CELL | {"gpus": 300, "capex_usd": 9e6, "lead_time_weeks": 26}
    plan = _plan(blocks=[_block(gpus=2000)], candidates=[RACK, cell], gpu_types=TYPES)
    result = _run(plan, _linear(base=1100.0, slope=5.0))
    placed = result.placements.filter(pl.col("pool") == "all").sort("tranche")
    assert placed.select("candidate", "blocks").rows() == [("rack-h100", 4), ("cell-gb200", 1)]
    assert placed["capex_usd"].sum() == 41e6
    assert placed["order_by"][1] >= _day(28)
    assert _all_pool(result)["note"].endswith(
        f"; bridges to the newer generation save $15.0M of r1's orders to {_day(364)} (the "
        f"newer blocks ordered no sooner than {_day(28)}, 4 weeks from now: of waits up to 13 "
        "weeks the cheapest plan; ordered from today they would save $1.0M less)"
    )
    d = np.arange(DAYS)
    capacity = 2000 + sum(
        np.where(d >= (arrives - MONDAY).days, n * units, 0)
        for arrives, n, units in zip(placed["arrives"], placed["blocks"], (250, 750), strict=True)
    )
    assert ((1100 + 5 * d) / 0.8 <= capacity)[d >= (placed["arrives"][0] - MONDAY).days].all()


def test_each_pool_takes_its_bridges_only_where_the_region_s_plan_costs_less() -> None:
    """Training (1,287 GPUs, +69 %/yr) and inference (7,546, +14 %/yr) for three years on a
    4,096-GPU pod and 8,192 GPUs of racks; a 90-week GB200 cell of 5,120 H100-equivalents at
    $28k each. Both pools propose bridges to it. With the training pool's alone the plan costs
    the least ($488.2M); the all pool's bridge, once the training pool's cells serve it too,
    only adds a cell, so it is left ($623.4M with both; $546.2M with neither, which was the
    choice when a region took all its bridges or none)."""
    d = np.arange(1095.0)
    training, inference = 1287 * np.exp(0.69 * d / 365), 7546 * np.exp(0.141 * d / 365)
    days = [_day(i) for i in range(d.size)]
    forecast = _pools_forecast(training, inference, days)
    pod = RACK | {"name": "pod-h100", "kind": "pod", "gpus": 1024, "lead_time_weeks": 20,
                  "capex_usd": 40.96e6, "fabric": True}  # fmt: skip
    cell = CELL | {"gpus": 2048, "lead_time_weeks": 90, "capex_usd": 2048 * 2.5 * 27_960}
    blocks = [_block(gpus=8192), _block("r1-pod", gpus=4096, kind="pod", fabric=True)]
    result = _run(_plan(blocks=blocks, candidates=[RACK, pod, cell], gpu_types=TYPES), forecast)
    assert result.placements["capex_usd"].sum() == pytest.approx(488.2e6, abs=0.1e6)
    notes = dict(zip(result.triggers["pool"], result.triggers["note"], strict=True))
    assert "bridges to the newer generation save $57.9M of r1's orders" in notes["training"]
    assert "bridge" not in notes["all"]


# --- monthly grain ---------------------------------------------------------------------------


def _daily_then_monthly(slope: float) -> pl.DataFrame:
    """Peak 500 + slope x d: daily for 182 days, then month rows (the month's peak day, its
    last) to 36 months from MONDAY's month."""
    daily_days = [_day(i) for i in range(182)]
    daily = _forecast(500 + slope * np.arange(182.0), daily_days, grain="day")
    months = pl.date_range(date(2026, 7, 1), date(2028, 12, 1), "1mo", eager=True).to_list()
    last_days = [(m + timedelta(days=32)).replace(day=1) - timedelta(days=1) for m in months]
    peaks = np.array([500 + slope * (d - MONDAY).days for d in last_days])
    return pl.concat([daily, _forecast(peaks, months, grain="month")])


def test_monthly_rows_carry_exhaustion_past_the_daily_weeks() -> None:
    """At 0.5 GPU a day the requirement passes 1,000 (peak 800) on day 601, in August 2027
    (month 20); the August row holds the month's peak (day 603: 801.5), so every August day
    is short and exhaustion is 2027-08-01. Daily rows alone (182 days) never get there. The
    20-week rack is ordered 24 weeks earlier, far past the daily weeks."""
    pod = RACK | {"name": "pod-h100", "kind": "pod", "lead_time_weeks": 20}
    plan = _plan(candidates=[pod])
    row = _all_pool(_run(plan, _daily_then_monthly(0.5)))
    assert row["exhaustion_date"] == date(2027, 8, 1)
    assert row["order_by"] == date(2027, 8, 1) - timedelta(weeks=24)
    assert row["status"] == "green"
    daily_only = _daily_then_monthly(0.5).filter(pl.col("grain") == "day").drop("grain")
    assert _all_pool(_run(plan, daily_only))["exhaustion_date"] is None


def test_an_exhaustion_past_the_daily_rows_reads_as_a_month() -> None:
    """Exhaustion on a monthly row is a month, not a day: the note says which month and that
    each of its days reads the month's peak day; one on a daily row says nothing of it."""
    row = _all_pool(_run(_plan(), _daily_then_monthly(0.5)))
    assert row["note"].startswith(
        f"exhausted in August 2027 (monthly rows past {_day(181)}: a month's peak day, whose "
        "quantile reads above any one day's: a stricter reading than the daily rows')"
    )
    assert "monthly rows" not in (_all_pool(_run(_plan()))["note"] or "")


def test_a_green_pool_whose_forecast_ends_before_the_lead_time_is_not_verified() -> None:
    """Within capacity for the 8 weeks forecast, with a 20-week pod the fastest block: a
    shortfall the day after the forecast would already be past its order-by date, so the green
    says it is not verified beyond; a year of forecast verifies it. The site's power green says
    the same of its 12-month power lead time."""
    pod = RACK | {"name": "pod-h100", "kind": "pod", "lead_time_weeks": 20}
    plan = _plan(candidates=[pod], sites=[_site(mw=2.0)])
    short = _run(plan, _linear(base=100.0, slope=0.0, days=56))
    row = _all_pool(short)
    assert row["status"] == "green"
    assert "not verified beyond it" in row["note"] and "pod-h100" in row["note"]
    assert row["unverified_green"] is True
    assert f"ordered by {_day(56) - timedelta(weeks=24)}, already past" in row["note"]
    assert f"ordered today it arrives {MONDAY + timedelta(weeks=20)}" in row["note"]
    power = _power(short, "s1")["note"]
    # No day past the forecast's end reads as measured room.
    assert f"stays within energized MW through {_day(55)}" in power
    assert f"not verified past {_day(55)}" in power
    year = _run(plan, _linear(base=100.0, slope=0.0, days=DAYS))
    assert "not verified" not in _all_pool(year)["note"]
    # 12 months of power lead time and 4 weeks of buffer reach past a year of forecast.
    assert "not verified" in _power(year, "s1")["note"]
    two_years = _run(plan, _linear(base=100.0, slope=0.0, days=2 * DAYS))
    assert "not verified" not in _power(two_years, "s1")["note"]


def test_a_green_whose_forecast_ends_before_an_order_could_land_reads_not_judged_past_it() -> None:
    """A 45-day fleet read "0 red, 0 amber, 6 green" at --horizon 1w and 2 red at 2w, the same
    day: at 1 week every pool's row said "green to 2026-12-13 only: not verified beyond", the
    words of a green whose backtests stop short, though its note said a shortfall the day after
    would already be past its order-by date (its fastest rack at 10 weeks). Past the forecast's
    end nothing was judged: the status now says so, "not judged past" its last day and why.
    Here r1 is flat within capacity for 14 days with an 8-week rack the fastest block; a year
    of the same forecast verifies the green to where an order still lands in time."""
    from hand_plans import ceiling_inputs

    from forecasting.report.inputs import NOT_JUDGED, status_headline, status_only

    plan = _plan()
    said, headline = {}, {}
    for days in (14, DAYS):
        triggered = _linear(base=100.0, slope=0.0, days=days)
        inputs = ceiling_inputs(plan, triggered, forecast=triggered)
        row = inputs.triggers.filter(pl.col("pool") == "all").with_columns(only=status_only(inputs))
        said[days] = row.select("status", "unverified_green", "only").row(0)
        headline[days] = status_headline(inputs)
    assert said[14][:2] == ("green", True)
    judged = f"{NOT_JUDGED} past {_day(13)}: a shortfall after it could no longer be ordered"
    assert f"{judged} in time" in said[14][2]
    assert f"r1/all {judged} in time" in headline[14]
    assert said[DAYS][:2] == ("green", False)
    assert NOT_JUDGED not in (said[DAYS][2] or "") and NOT_JUDGED not in headline[DAYS]


def test_an_uncalibrated_plan_sizes_the_order_due_now_on_its_daily_rows_only() -> None:
    """At 3 GPUs a day the requirement passes 1,000 on day 101 (2026-04-16). Sized for the
    52 weeks after, to 2027-04-15, the April 2027 row (peak 1,940 on its last day, requiring
    2,425) buys 6 racks now. With ``daily_sizing`` (a run no decision backtest calibrated)
    the order due now covers the daily rows only: day 181 (peak 1,043, requiring 1,304) takes
    2 racks, its note says why, and the rest is the plan's later orders, from the first month
    short after the daily rows; the plan buys as many racks in all."""
    plan = _plan(sites=[_site(mw=20.0)])
    calibrated = _run(plan, _daily_then_monthly(3.0))
    uncalibrated = _run(plan, _daily_then_monthly(3.0), settings=TriggerSettings(daily_sizing=True))
    year, daily = _all_pool(calibrated), _all_pool(uncalibrated)
    assert year["exhaustion_date"] == daily["exhaustion_date"] == _day(101)
    assert year["order_by"] == daily["order_by"] == _day(101) - timedelta(weeks=12)
    assert (year["blocks_to_order"], daily["blocks_to_order"]) == (6, 2)
    assert "sized for the 52 weeks after exhaustion (to 2027-04-15)" in year["note"]
    assert "no decision backtest calibrated" not in year["note"]
    assert (
        f"sized to {_day(181)}, the last daily row: past it no decision backtest calibrated "
        "this run's band (history too short for one), so the order due now does not buy on it"
    ) in daily["note"]
    later = uncalibrated.placements.filter(pl.col("tranche") == 2).row(0, named=True)
    assert later["exhaustion_date"] == date(2026, 8, 1)
    assert calibrated.placements["blocks"].sum() == uncalibrated.placements["blocks"].sum() == 15


def test_a_90_week_cell_can_be_triggered_on_a_monthly_horizon() -> None:
    """Month 20 is 573 days out, inside 90 weeks plus the buffer (658 days): there the cell
    cannot be in time and the in-time rack is taken. At 0.4 GPU a day exhaustion is January
    2028 (day 726), and the cell, newest generation and orderable in time, is chosen."""
    cell = {"name": "cell-gb200", "kind": "cell", "gpu_type": "GB200", "gpus": 4096, "mw": 7.4,
            "lead_time_weeks": 90, "capex_usd": 1.8e8, "fabric": True}  # fmt: skip
    plan = _plan(candidates=[RACK, cell], gpu_types=TYPES)
    month_20 = _all_pool(_run(plan, _daily_then_monthly(0.5)))
    assert month_20["candidate"] == "rack-h100"
    later = _all_pool(_run(plan, _daily_then_monthly(0.4)))
    assert later["exhaustion_date"] == date(2028, 1, 1)
    assert (later["candidate"], later["status"]) == ("cell-gb200", "green")
    assert later["order_by"] == date(2028, 1, 1) - timedelta(weeks=94)


def test_a_monthly_row_off_the_first_of_its_month_is_refused() -> None:
    """A month row must be dated on its month's first day; the error names the series and day."""
    bad = _daily_then_monthly(0.5).with_columns(
        ds=pl.when(pl.col("grain") == "month")
        .then(pl.col("ds") + timedelta(days=1))
        .otherwise(pl.col("ds"))
    )
    with pytest.raises(ValueError, match=r"total/r1 .* must be dated on the first"):
        _run(_plan(), bad)


# --- capacity.toml: sites and the GPU-type table ---------------------------------------------

POLICIES = "\n".join(
    f'[policy.{c.value}]\ntier = "t{i}"\npriority = {i + 1}\n' for i, c in enumerate(WorkloadClass)
)
SITE = """
[[site]]
id = "s1"
region = "r1"
energized = [{ on = 2024-01-01, mw = 10.0 }, { on = 2027-06-01, mw = 20.0 }]
contracted_mw = 5.0
contracted_energized = 2028-03-01
ceiling_mw = 40.0
power_lead_months = 24
cost_per_mw_usd = 1_500_000
"""
BLOCK = """
[[block]]
id = "b1"
kind = "rack"
region = "r1"
site = "s1"
gpu_type = "GB200"
gpus = 64
mw = 0.1
status = "live"
"""
TABLE = """
[gpu_type.GB200]
h100_equivalent = 2.5
"""


def test_sites_and_gpu_types_round_trip_through_dump_plan() -> None:
    """A plan with [[site]] and [gpu_type] comes back whole from dump_plan's text."""
    plan = parse_capacity(POLICIES + TABLE + SITE + BLOCK)
    assert plan.sites["s1"].energized_mw_on(date(2027, 6, 1)) == 20.0
    assert plan.sites["s1"].energized_mw_on(date(2028, 3, 1)) == 25.0
    assert plan.h100_equivalent("GB200") == 2.5 and plan.h100_equivalent("H100") == 1.0
    assert parse_capacity(dump_plan(plan)) == plan


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SITE.replace('"r1"', '"r2"'), "'s1' is in region 'r2', not the block's region 'r1'"),
        (SITE.replace('id = "s1"', 'id = "s9"'), "'s1' is not a \\[\\[site\\]\\]; declare it"),
        (SITE.replace("ceiling_mw = 40.0", "ceiling_mw = 24.0"), "above ceiling_mw"),
        (SITE.replace("contracted_energized = 2028-03-01\n", ""), "needs contracted_energized"),
        (SITE.replace("2027-06-01", "2023-06-01"), "increasing dates"),
        (SITE + SITE, "ids must be unique"),
    ],
)
def test_bad_sites_are_named(text: str, message: str) -> None:
    """Each site rule breaks with an error that names the entry and the fix."""
    with pytest.raises(CapacityError, match=message):
        parse_capacity(POLICIES + TABLE + text + BLOCK)


def test_gpu_type_table_must_cover_every_type_and_rank_all_or_none() -> None:
    """A type missing from the table, or a generation on some types only, is an error."""
    with pytest.raises(CapacityError, match="'b1' field gpu_type: 'GB200' has no"):
        parse_capacity(POLICIES + "[gpu_type.A100]\nh100_equivalent = 0.5\n" + BLOCK)
    partial = TABLE + "generation = 3\n[gpu_type.A100]\nh100_equivalent = 0.5\n"
    with pytest.raises(CapacityError, match="give every type a generation or none"):
        parse_capacity(POLICIES + partial + BLOCK)
    assert parse_capacity(POLICIES + BLOCK).h100_equivalent("GB200") == 1.0  # no table


def test_idle_risk_reads_h100_equivalents_back_in_the_blocks_own_gpus() -> None:
    """A committed 100-GPU GB200 block (250 H100e) that flat demand never needs is idle in all
    of its 100 GPUs, not 250."""
    committed = _block("r1-gb", 100, gpu_type="GB200", status="committed", in_service=_day(10))
    plan = _plan(blocks=[_block(), committed], candidates=[GB200_RACK], gpu_types=TYPES)
    idle = _run(plan, _linear(base=100.0, slope=0.0)).idle_risk.row(0, named=True)
    assert (idle["block_id"], idle["gpus"]) == ("r1-gb", 100)
    assert idle["idle_gpus"] == pytest.approx(100.0)
    assert idle["idle_share"] == pytest.approx(1.0)


def test_a_power_date_resting_on_a_monthly_only_order_says_so() -> None:
    """Seven daily rows within capacity (peak 700: 875 of 1,000 GPUs), then monthly rows at
    peak 850 (1,062.5): the pool's trigger is short at the monthly grain only, amber, "not
    verified at the daily grain", yet its racks' MW counted on the site's power trigger as
    plainly as any order's, and nothing there said the power date rests on it. Now the power
    note names the order and says so; a shortfall seen on the daily rows adds no such clause."""
    daily = _forecast(np.full(7, 700.0), [_day(i) for i in range(7)], grain="day")
    months = [date(2026, m, 1) for m in range(1, 13)]
    seam = pl.concat([daily, _forecast(np.full(12, 850.0), months, grain="month")])
    result = _run(_plan(sites=[_site(mw=1.0)]), seam)
    row = _all_pool(result)
    assert MONTHLY_ONLY in row["note"] and row["blocks_to_order"] == 1
    power = _power(result, "s1")
    assert power["exhaustion_date"] == max(row["exhaustion_date"] - timedelta(weeks=4), MONDAY)
    assert power["note"].endswith(
        f"the power date rests on r1/all 1 x rack-h100 (0.40 MW, arriving {row['arrives']}), "
        f"an order whose shortfall is read at the monthly grain only: {MONTHLY_ONLY}; see its "
        "trigger's note"
    )
    assert row["monthly_only"] is True and power["monthly_only"] is True
    plain = _run(_plan(sites=[_site(mw=1.0)]))
    assert MONTHLY_ONLY not in _all_pool(plain)["note"]
    assert "rests on" not in _power(plain, "s1")["note"]
    assert (
        _all_pool(plain)["monthly_only"] is False and _power(plain, "s1")["monthly_only"] is False
    )


def _stepped_in_may(daily_days: int) -> pl.DataFrame:
    """r1's peak 850 (1,062.5 GPUs required on 1,000) to April, 1,050 (1,312.5) from May 2026
    and 1,300 (1,625) from September: ``daily_days`` daily rows, then monthly rows for the
    rest of 2026."""

    def peak(d: date) -> float:
        return 850.0 if d < date(2026, 5, 1) else 1050.0 if d < date(2026, 9, 1) else 1300.0

    days = [_day(i) for i in range(daily_days)]
    daily = _forecast(np.array([peak(d) for d in days]), days, grain="day")
    months = [date(2026, m, 1) for m in range(1, 13) if date(2026, m, 1) > days[-1]]
    monthly = _forecast(np.array([peak(m) for m in months]), months, grain="month")
    return pl.concat([daily, monthly])


def test_a_power_date_resting_on_a_later_order_read_on_the_monthly_rows_says_so() -> None:
    """The same fleet read site us-west-a red at --horizon 2w ("contracted MW covers the need
    but is energized 2027-06-04, after 2027-05-16") and green at 26w, with nothing on the
    site saying why: its date rested on the pool's later orders, sized on monthly rows (a
    month's peak day) within the 26 weeks a default run reads by the day, where the daily
    rows are not short; only a trigger's own order was said to be read at the monthly grain
    only. Here r1 is short from the first day (one rack; each order is sized for 8 weeks), again
    from May on the monthly rows of a 7-day run (a second rack) and from September (a third,
    planned after May's): the site's 1.8 MW holds two, and its power trigger names the May
    and September racks as read at the monthly grain only. With 182 daily days May is dated
    by the day, September's order follows no monthly-only one, and the site says nothing of
    the grain."""
    plan = _plan(sites=[_site(mw=1.8)])
    settings = TriggerSettings(daily_sizing=True, sizing_weeks=8)
    short = _run(plan, _stepped_in_may(7), settings=settings)
    assert _all_pool(short)["monthly_only"] is False  # its own shortfall is on a daily row
    later = short.placements.filter(pl.col("tranche") > 1).sort("tranche")
    assert later["exhaustion_date"].to_list() == [date(2026, 5, 1), date(2026, 9, 1)]
    may, september = later["arrives"].to_list()
    power = _power(short, "s1")
    assert power["monthly_only"] is True
    assert power["note"].endswith(
        f"the power date rests on r1/all 1 x rack-h100 (0.40 MW, arriving {may}; a later "
        f"order, for May 2026), r1/all 1 x rack-h100 (0.40 MW, arriving {september}; a later "
        "order, for September 2026, planned after May 2026's), an order whose shortfall is "
        f"read at the monthly grain only: {MONTHLY_ONLY}; see its trigger's note"
    )
    default = _run(plan, _stepped_in_may(182), settings=settings)
    assert _power(default, "s1")["exhaustion_date"] is not None
    assert _power(default, "s1")["monthly_only"] is False
    assert "rests on" not in _power(default, "s1")["note"]


def test_a_pool_amber_on_the_monthly_rows_alone_says_so_beside_its_colour() -> None:
    """A 200-day fleet read us-west/all amber at --horizon 2w and green at 26w, on the same
    day: at 2 weeks the months to June read short on their peak days (a month's row, above
    any one day's), where the 26-week run's daily rows never were. The row's status read a
    plain "amber" in the CLI's report table (its order-by cell "-": no order), while a green
    beside it said how far it is verified. Here the daily rows (875 of 1,000 GPUs) never
    cross and the months read 1,062.5 from February: with 7 daily days r1/all is amber, and
    its status now says "(monthly grain: not verified at the daily grain)" wherever it is
    shown (the pages, the CLI, triggers.csv read ``status_only``); with 182 daily days the
    first month short is August, past them, and the pool reads green, no such words."""
    from hand_plans import ceiling_inputs

    from forecasting.report.inputs import status_only

    def forecast(daily_days: int, *, first_short: date) -> pl.DataFrame:
        days = [_day(i) for i in range(daily_days)]
        months = [date(2026, m, 1) for m in range(1, 13) if date(2026, m, 1) > days[-1]]
        peaks = np.array([850.0 if m >= first_short else 700.0 for m in months])
        daily = _forecast(np.full(daily_days, 700.0), days, grain="day")
        return pl.concat([daily, _forecast(peaks, months, grain="month")])

    plan = _plan()
    said = {}
    for daily_days, first_short in ((7, date(2026, 2, 1)), (182, date(2026, 8, 1))):
        triggered = forecast(daily_days, first_short=first_short)
        inputs = ceiling_inputs(plan, triggered)
        row = inputs.triggers.filter(pl.col("pool") == "all").with_columns(only=status_only(inputs))
        said[daily_days] = row.select("status", "monthly_only", "only").row(0)
    assert said[7] == ("amber", True, f"(monthly grain: {MONTHLY_ONLY})")
    assert said[182] == ("green", False, None)


def test_a_power_date_resting_on_a_monthly_only_order_is_read_from_its_flag_not_its_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The power triggers found the orders short at the monthly grain only by the phrase in
    their triggers' notes: a reworded note dropped the clause, and the site's power date read
    as resting on a dated shortfall. Now they read the trigger's monthly_only field: with the
    note's words changed, the site still says what its date rests on, and is flagged."""
    from forecasting.triggers import plan

    monkeypatch.setattr(plan, "MONTHLY_ONLY", "undated by the day")
    daily = _forecast(np.full(7, 700.0), [_day(i) for i in range(7)], grain="day")
    months = [date(2026, m, 1) for m in range(1, 13)]
    seam = pl.concat([daily, _forecast(np.full(12, 850.0), months, grain="month")])
    result = _run(_plan(sites=[_site(mw=1.0)]), seam)
    row = _all_pool(result)
    assert "undated by the day" in row["note"] and MONTHLY_ONLY not in row["note"]
    assert row["monthly_only"] is True
    power = _power(result, "s1")
    assert "an order whose shortfall is read at the monthly grain only" in power["note"]
    assert power["monthly_only"] is True


def test_a_monthly_only_shortfall_is_amber_at_most_at_every_horizon() -> None:
    """Seven daily rows within capacity, then April's monthly row short, at a site with no
    power to spare: the racks' order-by date (2026-01-07) is still ahead, so the amber cap of
    the monthly-only rule (run only for a past order-by date) let the power rule's red stand:
    the demo read red at 8 weeks and amber at 14 days for the same unverified shortfall. Now
    amber, and the note says the blocks wait for power. A monthly-only order that lands late
    read "29 days after exhaustion", counted from the first of a month no daily row shows
    short; now it names the month as read at the monthly grain only."""
    daily = _forecast(np.full(7, 700.0), [_day(i) for i in range(7)], grain="day")
    # To February 2027: power contracted today (2027-02-02) comes within the plan.
    months = [date(2026 + m // 12, m % 12 + 1, 1) for m in range(14)]
    peaks = np.array([700.0, 700.0, 700.0] + [850.0] * 11)
    seam = pl.concat([daily, _forecast(peaks, months, grain="month")])
    row = _all_pool(_run(_plan(sites=[_site(mw=1.0)]), seam))
    # Dated by its site's power (power contracted today runs it from 2027-02-02).
    assert (row["exhaustion_date"], row["order_by"]) == (date(2026, 4, 1), date(2026, 11, 10))
    assert MONTHLY_ONLY in row["note"] and "power is the constraint" in row["note"]
    assert row["status"] == "amber"
    assert "amber, not red, on it (its blocks wait for power" in row["note"]
    late = pl.concat([daily, _forecast(np.full(14, 850.0).copy(), months, grain="month")])
    late = late.filter(pl.col("ds") != date(2026, 1, 1))  # February the first month short
    row = _all_pool(_run(_plan(sites=[_site(mw=2.0)]), late))
    assert row["exhaustion_date"] == date(2026, 2, 1) and row["order_by"] < MONDAY
    assert "days after exhaustion" not in row["note"]
    assert (
        f"arrives first if ordered today: {row['arrives']}, after February 2026, the month read "
        "short at the monthly grain only"
    ) in row["note"]


def test_a_monthly_only_order_s_wait_for_power_is_read_from_its_order_not_its_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The monthly-only rule said "its blocks wait for power" where the note held the words
    "power is the constraint" (or a power date was set): a site with no power in the plan has
    no date, so rewording the power note dropped the clause from an amber trigger whose red
    rested on power alone. Now it is read from the order (not powered on arrival): the
    reworded note still says so, and the status is the same."""
    from forecasting.triggers import notes

    said = notes._power_note
    monkeypatch.setattr(
        notes,
        "_power_note",
        lambda *a, **k: said(*a, **k).replace("power is the constraint", "short of MW"),
    )
    daily = _forecast(np.full(7, 700.0), [_day(i) for i in range(7)], grain="day")
    months = [date(2026, m, 1) for m in range(1, 13)]
    peaks = np.array([700.0, 700.0, 700.0] + [850.0] * 9)
    seam = pl.concat([daily, _forecast(peaks, months, grain="month")])
    row = _all_pool(_run(_plan(sites=[_site(mw=1.0)]), seam))
    assert "short of MW" in row["note"] and "power is the constraint" not in row["note"]
    assert row["powered_from"] is None  # no date to read the wait from either
    assert row["status"] == "amber"
    assert "amber, not red, on it (its blocks wait for power" in row["note"]


def test_a_monthly_only_order_s_lateness_is_said_against_its_month_whatever_the_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A late order short at the monthly grain only had its "29 days after exhaustion"
    rewritten against the month by a pattern over the finished note: reworded ("29 days past
    exhaustion"), the figure counted from the first of a month no daily row shows short stood
    as measured. Now the order's clauses are written both ways where they are made, and the
    monthly-only row takes the month's."""
    from forecasting.triggers import notes

    said = notes._order_note
    monkeypatch.setattr(
        notes,
        "_order_note",
        lambda *a, **k: said(*a, **k).replace("days after exhaustion", "days past exhaustion"),
    )
    daily = _forecast(np.full(7, 700.0), [_day(i) for i in range(7)], grain="day")
    months = [date(2026, m, 1) for m in range(2, 13)]  # February the first month short
    row = _all_pool(_run(_plan(sites=[_site(mw=2.0)]), pl.concat(
        [daily, _forecast(np.full(11, 850.0), months, grain="month")]
    )))  # fmt: skip
    assert row["exhaustion_date"] == date(2026, 2, 1) and row["order_by"] < MONDAY
    assert "days past exhaustion" not in row["note"]
    assert (
        f"arrives first if ordered today: {row['arrives']}, after February 2026, the month read "
        "short at the monthly grain only"
    ) in row["note"]


def test_an_order_past_its_site_s_ceiling_needs_a_new_site_and_says_when_the_rest_can_run() -> None:
    """1.0 MW energized and drawn, ceiling 1.5 MW: of the two racks (0.4 MW each) one fits
    under the ceiling, one never can. The order read "no power for it in the plan" and its
    whole capex counted as the plan's (the demo's 7 GB200 cells, $2.58B, at a site 69.6 MW
    past its ceiling read "no power yet") while the power trigger said a new site is needed.
    Now the placement counts the block past the ceiling and the note says so; and the rack
    that fits says when it can run (power contracted today, 12 months and the 4-week buffer:
    2027-02-02), where only an order-by date was given for blocks that would stand dark; the
    order is dated to land the buffer before it (on a forecast to 2027-02-08: power after the
    plan's end dates no order)."""
    result = _run(_plan(sites=[_site(mw=1.0, ceiling_mw=1.5)]), _linear(days=400))
    placed = result.placements.row(0, named=True)
    assert (placed["blocks"], placed["blocks_beyond_ceiling"]) == (2, 1)
    assert placed["runs_from"] == date(2027, 2, 2)
    note = _all_pool(result)["note"]
    assert (
        "1 of its 2 blocks (0.40 MW) lies beyond s1's ceiling: a new site is needed for it" in note
    )
    assert (
        "its blocks can run from 2027-02-02 at the earliest (power contracted today), "
        "28 days after they land"
    ) in note
    # Under a 1.0 MW ceiling none fits: none can run anywhere the plan knows.
    none = _run(_plan(sites=[_site(mw=1.0, ceiling_mw=1.0)])).placements.row(0, named=True)
    assert (none["blocks_beyond_ceiling"], none["runs_from"]) == (2, None)
    powered = _run(_plan(sites=[_site(mw=2.0, ceiling_mw=3.0)])).placements.row(0, named=True)
    assert (powered["blocks_beyond_ceiling"], powered["runs_from"]) == (0, _day(ARRIVAL))
    # A later order past the ceiling: the trigger's note prices it apart (it read "$8.0M"),
    # by its shortfall's date (it read "by 2026-11-10", dated to power it can never run on).
    later = _run(
        _plan(sites=[_site(mw=1.3, ceiling_mw=1.5)]), settings=TriggerSettings(sizing_weeks=8)
    )
    assert later.placements["blocks_beyond_ceiling"].to_list() == [0, 1]
    assert (
        "$8.0M for one block past its site's ceiling: a new site is needed (none in the "
        "plan's totals))"
    ) in _all_pool(later)["note"]


def test_an_order_no_site_can_power_carries_no_order_by_date() -> None:
    """A later rack wholly past its site's ceiling (0.4 MW, 0.2 MW left under 1.5 MW) never
    runs on this plan, yet its placement and the trigger's note dated it "by 2026-08-10" from
    the shortfall it would cover (the demo's 1 x cell-gb200-8192 at us-east-c "by
    2028-01-13"): it now has no order-by, and the note says a new site is needed first."""
    later = _run(
        _plan(sites=[_site(mw=1.3, ceiling_mw=1.5)]), settings=TriggerSettings(sizing_weeks=8)
    )
    past = later.placements.filter(pl.col("tranche") == 2).row(0, named=True)
    assert (past["blocks"], past["blocks_beyond_ceiling"]) == (1, 1)
    assert past["order_by"] is None
    # The trigger's own order, under the ceiling, keeps its date.
    assert later.placements.filter(pl.col("tranche") == 1)["order_by"].to_list() == [_day(17)]
    note = _all_pool(later)["note"]
    assert "by 2026-08-10" not in note and "the first due" not in note
    assert f"1 planned to 2027-01-04 by the same rule: 1 x rack-h100 ({NO_ORDER_BY})" in note


def test_the_mw_to_contract_says_how_much_is_needed_by_the_first_short_day_and_the_peak() -> None:
    """1.3 MW energized, 0.2 MW contracted from day 300, racks of 0.4 MW needed from March and
    October (dated to land 4 weeks before their power): the site is 0.1 MW short when the
    first is needed and needs 1.8 MW at its peak, 0.3 MW beyond what is secured. The note
    dated all 0.30 MW to the first short day ("to have it energized by 2026-03-19") and never
    named the contracted MW it nets out (the demo's us-east-a: 47.26 MW "by 2027-04-19", 20.6
    MW short that day, the rest by its peak in Nov 2029, net of 10.5 MW contracted); now it
    says both, and the peak's month."""
    site = _site(mw=1.3, contracted_mw=0.2, contracted_energized=_day(300))
    result = _run(_plan(sites=[site]), settings=TriggerSettings(sizing_weeks=8))
    power = _power(result, "s1")
    assert power["mw_to_contract"] == pytest.approx(0.3)
    assert power["note"].startswith(
        f"contract 0.30 MW by {power['contract_by']} (12 months lead time, 4 weeks buffer): "
        "0.10 MW short of energized on 2026-03-19, the first short day, and all of it by "
        f"Oct 2026, the plan's peak (1.80 MW needed), net of 0.20 MW contracted (energized "
        f"{_day(300)})"
    )


def test_blocks_power_contracted_today_runs_on_arrival_keep_the_order_by_colour() -> None:
    """A trigger whose blocks find no power in the plan but would run on arrival with power
    contracted today is coloured by its order-by date, not red: nothing makes it short
    whatever is ordered now (the demo's us-west training cell read red, order by 2027-04-15,
    beside its site's green power trigger, contract by 2026-12-07)."""
    result = _run(_plan(sites=[_site(mw=1.5, power_lead_months=1)]))
    row = _all_pool(result)
    assert (row["order_by"], row["arrives"]) == (_day(17), _day(ARRIVAL))
    assert "power is the constraint" in row["note"]
    placed = result.placements.row(0, named=True)
    assert (placed["powered"], placed["runs_from"]) == (False, _day(ARRIVAL))
    assert _power(result, "s1")["status"] == "green"
    assert (row["status"], placed["status"]) == ("green", "green")


def test_an_order_usable_first_does_not_say_it_arrives_first_when_another_lands_sooner() -> None:
    """A late order chosen as usable first names the candidate that lands sooner, unpowered."""
    # s1's 1.0 MW is all drawn; 0.5 MW more from day 150. Two racks (0.8 MW, day 73) never
    # fit; one 30-week cell of 500 GPUs (0.3 MW) lands day 210, powered: it is usable first.
    cell = RACK | {"name": "cell-h100", "kind": "cell", "gpus": 500, "mw": 0.3,
                   "lead_time_weeks": 30, "capex_usd": 30e6}  # fmt: skip
    site = _site(energized=[{"on": date(2020, 1, 1), "mw": 1.0}, {"on": _day(150), "mw": 1.5}])
    row = _all_pool(_run(_plan(sites=[site], candidates=[RACK, cell])))
    assert (row["candidate"], row["arrives"]) == ("cell-h100", _day(210))
    assert "cell-h100 at s1 arrives first" not in row["note"]
    assert (
        f"cell-h100 at s1 is usable first if ordered today: {_day(210)}, 109 days after "
        f"exhaustion; rack-h100 lands sooner ({_day(ARRIVAL)}) but no site in r1 has its "
        "0.80 MW within the plan"
    ) in row["note"]


def test_an_order_in_time_mostly_on_power_beats_a_late_one_usable_first_as_a_whole() -> None:
    """Racks in time whose blocks the region's sites mostly power on arrival beat a cell
    usable first as a whole, 109 days after exhaustion (the demo's 28-day run ordered a
    $368.6M GB200 cell landing 146 days after its shortfall where 65 of 70 racks had power)."""
    # s1's 1.0 MW is all drawn; s2 and s3 have 0.4 MW free each (one rack apiece), s3 0.4 MW
    # more from day 300. The all pool is short from day 101; a 30-week cell (0.3 MW) lands
    # day 210, powered.
    cell = RACK | {"name": "cell-h100", "kind": "cell", "gpus": 1000, "mw": 0.3,
                   "lead_time_weeks": 30, "capex_usd": 30e6}  # fmt: skip
    later = [{"on": date(2020, 1, 1), "mw": 0.4}, {"on": _day(300), "mw": 0.8}]
    sites = [_site(mw=1.0), _site("s2", mw=0.4), _site("s3", mw=0.4, energized=later)]
    passed = (
        f"cell-h100 passed over: usable first as a whole ({_day(210)}, powered on arrival), but "
        f"109 days after exhaustion ({_day(EXHAUSTION)}), where this order's blocks, most or "
        "all, run on the MW energized by their arrival, in time"
    )
    # Two racks: s2 and s3 power one each on arrival, all of them in time.
    both = _run(_plan(sites=sites, candidates=[RACK, cell]), _linear(days=400))
    row = _all_pool(both)
    assert (row["candidate"], row["blocks_to_order"], row["status"]) == ("rack-h100", 2, "green")
    assert (row["order_by"], row["arrives"]) == (_day(17), _day(ARRIVAL))
    assert passed in row["note"]
    # Three smaller racks: two run on arrival, the third waits for s3's power on day 300.
    small = RACK | {"gpus": 180}
    most = _run(_plan(sites=sites, candidates=[small, cell]), _linear(days=400))
    shares = most.placements.filter(pl.col("tranche") == 1)
    assert shares.select("candidate", "site", "blocks", "arrives", "powered", "status").rows() == [
        ("rack-h100", "s2", 1, _day(ARRIVAL), True, "green"),
        ("rack-h100", "s3", 1, _day(ARRIVAL), True, "green"),
        ("rack-h100", "s3", 1, _day(300 - 28), False, "red"),
    ]
    assert passed in _all_pool(most)["note"]


def test_an_order_in_time_whose_blocks_wait_for_power_into_the_buffer_is_amber() -> None:
    """Racks landing in time (day 73) that wait for s1's power until day 90, 11 days before
    exhaustion, are amber and say when they run (the demo's us-west/all read green, "in
    service 2027-05-08, 4 weeks before exhaustion", for racks that ran from 2027-06-02)."""
    site = _site(energized=[{"on": date(2020, 1, 1), "mw": 1.0}, {"on": _day(90), "mw": 2.0}])
    result = _run(_plan(sites=[site]))
    row = _all_pool(result)
    assert (row["order_by"], row["arrives"], row["powered_from"]) == (
        _day(17),
        _day(ARRIVAL),
        _day(90),
    )
    assert row["status"] == "amber"
    assert result.placements.select("powered", "runs_from", "status").rows() == [
        (False, _day(90), "amber")
    ]
    assert row["note"].startswith(
        f"order 2 x rack-h100 by {_day(17)}: lands {_day(ARRIVAL)} and runs from {_day(90)}, "
        "11 days before exhaustion, when its site has the MW; "
    )
    assert "in service" not in row["note"]


def test_a_site_whose_power_steps_down_under_its_blocks_is_short_from_that_day() -> None:
    """s1 energizes 2.0 MW, then 0.5 MW from day 60 (a lease ending), under a live 1.0 MW
    rack: the power trigger read "contracted MW covers the need but is energized None, after
    2026-03-06: bring its energization forward", 0 MW to contract, as if the 2.0 MW stayed
    secured. The rack runs on 0.5 MW that is gone from that day: 0.5 MW to contract, and the
    note names the step down. (A rack at s2 holds the demand while s1's stands dark, so the
    pool orders nothing that would wait at s1 for the same power.)"""
    site = _site(energized=[{"on": date(2020, 1, 1), "mw": 2.0}, {"on": _day(60), "mw": 0.5}])
    plan = _plan(sites=[site, _site("s2")], blocks=[_block(), _block("r1-s2", site="s2")])
    row = _power(_run(plan, _linear(base=100.0, slope=0.0)), "s1")
    assert row["exhaustion_date"] == _day(60)
    assert row["mw_to_contract"] == pytest.approx(0.5)
    assert "None" not in row["note"]
    assert (
        f"energized MW steps down from 2.00 to 0.50 MW on {_day(60)}: the plan's blocks "
        "there draw 1.00 MW that day, 0.50 MW on power that is gone"
    ) in row["note"]
    assert row["status"] == "red"  # 12 months of lead time before day 60 has passed


def test_a_contract_energized_after_the_plan_is_not_netted_from_the_power_to_contract() -> None:
    """1.5 MW energized, 0.5 MW contracted but energized in 2030, past the plan's last day:
    the racks need 1.8 MW from day 73 and the site is short 0.3 MW to the plan's end. The row
    read 0 MW to contract, "bring its energization forward", netting MW that power nothing
    the plan needs (sweep S8: 5.0 MW to contract where 26.5 MW were short); it contracts the
    0.3 MW and says the contract is not counted."""
    site = _site(mw=1.5, contracted_mw=0.5, contracted_energized=date(2030, 6, 1))
    power = _power(_run(_plan(sites=[site])), "s1")
    assert power["exhaustion_date"] == _day(ARRIVAL)
    assert power["mw_to_contract"] == pytest.approx(0.3)
    assert power["cost_usd"] == pytest.approx(0.3 * 2e6)
    assert "bring its energization forward" not in power["note"]
    assert "net of 0.50 MW" not in power["note"]
    assert "0.50 MW contracted, energized 2030-06-01: after the plan's end" in power["note"]
    assert "not counted" in power["note"]


def test_a_contract_energized_after_power_contracted_today_counts_only_from_its_day() -> None:
    """1 month's lead time: power contracted today is energized within weeks, but the 0.5 MW
    contracted lands on day 200, while the racks need 1.8 MW against 1.5 MW from day 73. The
    row netted the contract against the days before it (0 MW to contract, "bring its
    energization forward"); the 0.3 MW short until day 200 are to contract, and the note says
    the contract counts from its own day only."""
    site = _site(mw=1.5, contracted_mw=0.5, contracted_energized=_day(200), power_lead_months=1)
    power = _power(_run(_plan(sites=[site])), "s1")
    assert power["exhaustion_date"] is not None and power["exhaustion_date"] < _day(200)
    assert power["mw_to_contract"] == pytest.approx(0.3)
    assert "bring its energization forward" not in power["note"]
    assert f"0.50 MW contracted, energized {_day(200)}" in power["note"]
    assert "not counted before then" in power["note"]


def test_a_contract_past_the_plan_under_a_full_ceiling_is_to_bring_forward_not_a_new_site() -> None:
    """1.5 MW energized and 0.5 MW contracted for 2030 fill s1's 2.0 MW ceiling; the racks
    need 1.8 MW from day 73. Not counting the late contract must not read its MW as past the
    ceiling ("0.30 MW beyond the ceiling: a new site is needed"): nothing more can be
    contracted, the need fits under the ceiling, and the contract is to be brought forward."""
    site = _site(mw=1.5, contracted_mw=0.5, contracted_energized=date(2030, 6, 1), ceiling_mw=2.0)
    power = _power(_run(_plan(sites=[site])), "s1")
    assert (power["mw_to_contract"], power["mw_beyond_ceiling"]) == (0.0, 0.0)
    assert "new site" not in power["note"]
    assert (
        "0.50 MW contracted, energized 2030-06-01: after the plan's end (" in power["note"]
        and "the rest of the 2.00 MW ceiling: bring its energization forward" in power["note"]
    )


def test_an_energized_step_past_the_plan_is_not_netted_and_is_named() -> None:
    """1.0 MW energized under the live 1.0 MW rack, a step to 2.0 MW in 2030, past the plan's
    last day: the racks' 0.8 MW are short from day 73 to the plan's end. The row read 0 MW to
    contract ("the MW secured covers the need"), netting MW that power nothing the plan
    needs; it contracts the 0.8 MW and names the step as not counted."""
    steps = [{"on": date(2020, 1, 1), "mw": 1.0}, {"on": date(2030, 6, 1), "mw": 2.0}]
    power = _power(_run(_plan(sites=[_site(energized=steps)])), "s1")
    assert power["mw_to_contract"] == pytest.approx(0.8)
    assert "the step to 2.00 MW energized 2030-06-01: after the plan's end (" in power["note"]
    assert "not counted" in power["note"] and "covers the need" not in power["note"]


def test_an_energized_step_after_power_contracted_today_counts_from_its_day() -> None:
    """1 month's lead time, 1.0 MW energized, a step to 2.0 MW on day 200: power contracted
    today comes within weeks, so the racks' 0.8 MW short from day 73 to day 200 are to
    contract (the row read 0 MW, "bring that step forward"), and the note says the step
    counts from its own day only."""
    steps = [{"on": date(2020, 1, 1), "mw": 1.0}, {"on": _day(200), "mw": 2.0}]
    site = _site(energized=steps, power_lead_months=1)
    power = _power(_run(_plan(sites=[site])), "s1")
    assert power["mw_to_contract"] == pytest.approx(0.8)
    assert f"the step to 2.00 MW energized {_day(200)}: after the first short day" in power["note"]
    assert "not counted before then" in power["note"]


def test_a_step_down_note_reads_the_step_days_draw_and_the_contract_then_energized() -> None:
    """2.0 MW, then 1.0 MW from day 60, 0.6 MW contracted from day 30, a live 1.0 MW rack and
    racks of 0.8 MW from day 73: on day 60 the site keeps 1.6 MW for the 1.0 MW drawn. The
    note read the first short day's need as what the blocks then draw and ignored the
    contract ("draw 1.80 MW, 0.80 MW on power that is gone"; sweep S4: 42.53 MW, 13.00 MW
    gone, where the page said 18.3 MW and none gone)."""
    steps = [{"on": date(2020, 1, 1), "mw": 2.0}, {"on": _day(60), "mw": 1.0}]
    site = _site(energized=steps, contracted_mw=0.6, contracted_energized=_day(30))
    power = _power(_run(_plan(sites=[site])), "s1")
    assert power["exhaustion_date"] == _day(ARRIVAL)
    assert (
        f"energized MW steps down from 2.00 to 1.00 MW on {_day(60)} (1.60 MW with the "
        "contract): the plan's blocks there draw 1.00 MW that day, within the 1.60 MW it keeps"
    ) in power["note"]
    assert "power that is gone" not in power["note"]


def test_a_dip_in_energized_power_is_not_read_as_a_contract_energized_late() -> None:
    """2.0 MW, 0.5 MW from day 60, 2.0 MW again from day 90 under a 1.0 MW rack: what is
    secured covers the rack once the power is back, so nothing is to contract; the note said
    to bring forward a contract the site does not have. It names the dip and its end."""
    steps = [{"on": date(2020, 1, 1), "mw": 2.0}, {"on": _day(60), "mw": 0.5},
             {"on": _day(90), "mw": 2.0}]  # fmt: skip
    row = _power(_run(_plan(sites=[_site(energized=steps)]), _linear(base=100.0, slope=0.0)), "s1")
    assert (row["exhaustion_date"], row["mw_to_contract"]) == (_day(60), 0.0)
    assert "None" not in row["note"] and "contracted MW covers" not in row["note"]
    assert f"energized MW steps down from 2.00 to 0.50 MW on {_day(60)}" in row["note"]
    assert f"back to 2.00 MW on {_day(90)}: keep the power through the dip" in row["note"]


def test_a_later_energized_step_that_covers_a_committed_block_is_named_not_a_contract() -> None:
    """1.0 MW energized, 2.0 MW from day 200, a 0.5 MW block committed for day 100: the site
    is short from day 100 until its step, no contract in the plan. The note read "contracted
    MW covers the need but is energized None"; it names the step that covers it."""
    committed = _block("r1-new", 500, mw=0.5, status="committed", in_service=_day(100))
    site = _site(energized=[{"on": date(2020, 1, 1), "mw": 1.0}, {"on": _day(200), "mw": 2.0}])
    row = _power(
        _run(_plan(sites=[site], blocks=[_block(), committed]), _linear(base=100.0, slope=0.0)),
        "s1",
    )
    assert row["exhaustion_date"] == _day(100)
    assert "None" not in row["note"]
    assert (
        row["note"]
        == f"the step to 2.00 MW energized on {_day(200)} covers it: bring that step forward"
    )


def test_the_secured_mw_of_a_site_never_reads_below_what_is_energized_that_day() -> None:
    """Before its step down from 2.0 MW to 0.5 MW, s1's 'energized + contracted' read 0.5 MW
    (the last step), under the 2.0 MW energized that day: the facilities chart drew the MW
    secured below the MW drawn. It reads the day's energized MW until the step."""
    site = _site(energized=[{"on": date(2020, 1, 1), "mw": 2.0}, {"on": _day(60), "mw": 0.5}])
    timeline = site_power_timeline(_plan(sites=[site]), start=_day(0), end=_day(90))
    by_day = {r["ds"]: r["contracted_mw"] for r in timeline.iter_rows(named=True)}
    assert (by_day[_day(59)], by_day[_day(60)]) == (2.0, 0.5)


def test_the_secured_mw_of_a_site_leave_out_what_is_energized_past_the_window() -> None:
    """0.5 MW contracted on top of 1.5 MW, energized in 2030, after the window's last day:
    the facilities chart's "energized + contracted" line drew 2.0 MW on every day, the MW
    needed beneath it read as a matter of timing (sweep S8: us-west-a's 43 MW line, 21.5 MW
    of it energized 2031-06-01, beside 48 MW needed to 2030). A contract energized within the
    window still counts from the window's first day."""
    late = _site(mw=1.5, contracted_mw=0.5, contracted_energized=date(2030, 6, 1))
    timeline = site_power_timeline(_plan(sites=[late]), start=_day(0), end=_day(90))
    assert set(timeline["contracted_mw"].to_list()) == {1.5}
    soon = _site(mw=1.5, contracted_mw=0.5, contracted_energized=_day(60))
    timeline = site_power_timeline(_plan(sites=[soon]), start=_day(0), end=_day(90))
    assert set(timeline["contracted_mw"].to_list()) == {2.0}


def test_the_power_note_contracts_what_the_ceiling_allows_and_dates_a_late_contract() -> None:
    """eu-west-a's note read "contract 1556.24 MW by 2025-01-15" beside its MW-to-contract
    column's 73.0 MW under a 146 MW ceiling (1,483.2 MW of it beyond: no contract brings it
    on), and a contract-by date 688 days gone with no word of when power contracted today is
    energized. The note now contracts what the ceiling allows, names the rest apart, and
    dates power contracted today against the first short day."""
    committed = _block("r1-new", 500, mw=0.8, status="committed", in_service=date(2026, 5, 31))
    site = _site(mw=1.5, power_lead_months=5, ceiling_mw=1.6)
    plan = _plan(sites=[site], blocks=[_block(), committed])
    row = _power(_run(plan, _linear(base=100.0, slope=0.0)), "s1")
    assert row["contract_by"] < MONDAY  # 2025-12-03: late
    assert row["mw_to_contract"] == pytest.approx(0.1)
    assert "contract 0.30 MW" not in row["note"]
    assert row["note"].startswith("contract 0.10 MW (the most the 1.60 MW ceiling allows) by ")
    # Contracted on the as-of day with the 4-week buffer: 2026-02-02 + 5 months.
    assert (
        "contracted today, it is energized 2026-07-02 at the earliest, 32 days after the "
        "first short day"
    ) in row["note"]
    assert "0.20 MW beyond the ceiling: a new site is needed" in row["note"]


def test_an_order_no_ceiling_holds_whole_goes_where_the_most_of_it_fits() -> None:
    """The demo's 2 GB200 cells for us-west (29.5 MW) went to us-west-c, 2 MW ceiling, the
    most energized MW free, and read "2 of 2 past us-west-c's ceiling: a new site is needed"
    ($737.3M) beside us-west-a with 25.8 MW of room under its 70 MW ceiling: where no site's
    ceiling holds a whole order, it goes where the most of its blocks fit under one."""
    pod = RACK | {"name": "pod-h100", "kind": "pod", "gpus": 1000, "mw": 1.2,
                  "lead_time_weeks": 30, "capex_usd": 40e6, "fabric": True}  # fmt: skip
    # s1: nothing free (its live rack draws 1.0 MW), 0.7 MW under its ceiling (1 rack);
    # s2: 0.3 MW free, no room for a 0.4 MW rack under its 0.3 MW ceiling.
    capped = [_site(mw=1.0, ceiling_mw=1.7), _site("s2", mw=0.3, ceiling_mw=0.3)]
    result = _run(_plan(sites=capped, candidates=[RACK, pod]))
    placed = result.placements.select("site", "blocks", "blocks_beyond_ceiling").rows()
    assert placed == [("s1", 2, 1)]


def test_an_order_no_one_site_can_hold_is_split_across_the_sites_that_can() -> None:
    """Two racks (0.4 MW each) for r1: s1's ceiling leaves room for one (0.5 MW, no MW free),
    s2's for one (0.4 MW free under a 0.5 MW ceiling). The order went whole to s2 and read
    "1 of its 2 blocks past s2's ceiling: a new site is needed" beside s1's room for it. Now
    one rack goes to each site, one placement row per site (the roomiest first), none past a
    ceiling; the trigger still orders 2 and its note says how the order is split."""
    capped = [_site(mw=1.0, ceiling_mw=1.5), _site("s2", mw=0.4, ceiling_mw=0.5)]
    # To 2027-02-08: s1's power contracted today (2027-02-02) comes within the plan.
    result = _run(_plan(sites=capped), _linear(days=400))
    row = _all_pool(result)
    assert row["blocks_to_order"] == 2
    placed = result.placements.select("site", "blocks", "powered", "blocks_beyond_ceiling")
    assert placed.rows() == [("s2", 1, True, 0), ("s1", 1, False, 0)]
    assert result.placements["capex_usd"].to_list() == [8e6, 8e6]
    assert (
        "split across r1's sites by what their ceilings hold: 1 at s2 (by 2026-01-22, lands "
        "2026-03-19), 1 at s1 (no power yet: by 2026-11-10, lands 2027-01-05"
    ) in row["note"]
    assert "new site" not in row["note"]
    assert (
        _power(result, "s1")["mw_beyond_ceiling"],
        _power(result, "s2")["mw_beyond_ceiling"],
    ) == (
        0.0,
        0.0,
    )
    # What no site can hold stays past the ceiling of the site the order went to.
    three = _run(_plan(sites=capped), _linear(slope=1.5, days=400))
    rows = three.placements.filter(pl.col("tranche") == 1)
    assert sum(rows["blocks"]) == _all_pool(three)["blocks_to_order"]
    assert rows.select("site", "blocks", "blocks_beyond_ceiling").rows() == [
        ("s2", 2, 1),
        ("s1", 1, 0),
    ]
    assert (
        "split across r1's sites by what their ceilings hold: 2 at s2 (by 2025-12-19, lands "
        "2026-03-02; 1 past its ceiling, held by no site: a new site is needed), 1 at s1 (no "
        "power yet: by 2026-11-10, lands 2027-01-05, 4 weeks before its power runs it from "
        "2027-02-02)"
    ) in _all_pool(three)["note"]


def test_each_share_of_a_split_order_is_dated_to_its_own_site_s_power() -> None:
    """s2 powers one rack on arrival (2026-03-19); s1's ceiling holds the other but its MW
    comes from power contracted today (2027-02-02). The s1 share kept the order's dates,
    "arriving" 2026-03-19 to stand dark 320 days (the demo's us-east/all share at us-east-c
    landed 2028-12-04 beside that site's power from 2030-01-01). Now each share carries its
    own site's dates: s2's order-by 2026-01-22 and arrival, s1's ordered by 2026-11-10 to land
    2027-01-05, the buffer before its power; the trigger's order-by is the earliest share's,
    its capex by quarter follows each share, and its note says the shares run apart."""
    capped = [_site(mw=1.0, ceiling_mw=1.5), _site("s2", mw=0.4, ceiling_mw=0.5)]
    result = _run(_plan(sites=capped), _linear(days=800))
    shares = result.placements.filter(pl.col("tranche") == 1)
    assert shares.select(
        "site", "blocks", "order_by", "arrives", "powered", "runs_from"
    ).rows() == [
        ("s2", 1, _day(17), _day(ARRIVAL), True, _day(ARRIVAL)),
        ("s1", 1, date(2026, 11, 10), date(2027, 1, 5), False, date(2027, 2, 2)),
    ]
    row = _all_pool(result)
    assert (row["order_by"], row["arrives"], row["blocks_to_order"]) == (_day(17), _day(ARRIVAL), 2)
    assert (
        "split across r1's sites by what their ceilings hold: 1 at s2 (by 2026-01-22, lands "
        "2026-03-19), 1 at s1 (no power yet: by 2026-11-10, lands 2027-01-05, 4 weeks before "
        "its power runs it from 2027-02-02); its shares run from different days: the order-by "
        "date is the first share's"
    ) in row["note"]


def test_the_order_landing_first_keeps_its_site_s_ceiling_room_once_dated_to_its_power() -> None:
    """Training 500 + 2d and inference 400 + 5d on a live rack and pod at s1 (2.3 MW, no
    rack's 0.4 MW free; 4.0 MW ceiling, 2.0 MW of it left): the all pool's 5 racks (2.0 MW,
    landing 2026-03-19 on their shortfall's dates) wait for power contracted today and are
    dated to land 2027-01-05, the day the training pool's 2 pods (2.4 MW, landing 2026-08-03
    on theirs) were dated to. Placed first on that day, the pods took the ceiling's room; the
    racks went back to their shortfall's dates, "5 of its 5 blocks lie beyond s1's ceiling: a
    new site is needed" (G11: a one-region fleet's order due now, beside a site with 129 MW
    under its ceiling). The racks land first: they keep the room from 2026-03-19, dated to
    their power (running from 2027-02-02); the pods, landing after them, are past the
    ceiling, on their shortfall's dates. The racks are 9, not 5: the all pool counts no pod
    past the ceiling, and the one it counted (sized before the racks took the room) from
    2027-02-02, when it could run; the 4 racks past the room under the ceiling are a new
    site's."""
    d = np.arange(800, dtype=float)
    days = [_day(i) for i in range(800)]
    forecast = _pools_forecast(500 + 2.0 * d, 400 + 5.0 * d, days)
    pod = RACK | {"name": "pod-h100", "kind": "pod", "gpus": 1000, "mw": 1.2,
                  "lead_time_weeks": 30, "capex_usd": 40e6, "fabric": True}  # fmt: skip
    blocks = [_block(), _block("r1-pod", kind="pod", fabric=True)]
    plan = _plan(sites=[_site(mw=2.3, ceiling_mw=4.0)], blocks=blocks, candidates=[RACK, pod])
    result = _run(plan, forecast)
    first = result.placements.filter(pl.col("tranche") == 1).sort("pool")
    assert first.select(
        "pool", "blocks", "order_by", "arrives", "runs_from", "blocks_beyond_ceiling"
    ).rows() == [
        ("all", 9, date(2026, 11, 10), date(2027, 1, 5), date(2027, 2, 2), 4),
        ("training", 2, None, date(2026, 8, 3), None, 2),
    ]
    row = _all_pool(result)
    assert (row["order_by"], row["arrives"], row["status"]) == (
        date(2026, 11, 10),
        date(2027, 1, 5),
        "red",
    )
    assert "4 of its 9 blocks (1.60 MW) lie beyond s1's ceiling" in row["note"]
    pods = result.triggers.filter(pl.col("pool") == "training").row(0, named=True)
    assert (
        "all 2 of its blocks (2.40 MW) lie beyond s1's ceiling: a new site is needed"
        in pods["note"]
    )
    # No site can power the pods: no order-by, in the row and the note's opening (they read
    # "by 2025-10-10: in service 2026-08-03, 4 weeks before exhaustion").
    assert (pods["order_by"], pods["status"]) == (None, "red")
    assert pods["note"].startswith(f"order 2 x pod-h100: {NO_ORDER_BY}")
    assert _power(result, "s1")["exhaustion_date"] == _day(ARRIVAL)


def test_the_all_pool_sized_net_of_a_training_order_dated_to_its_power_says_when_it_runs() -> None:
    """Training 500 + 2d and inference 400 + 5d on a live rack and pod at s1 (2.5 MW): the
    training pool's 2 pods, ordered on their shortfall to land 2026-08-03, wait for power
    contracted today and are dated to land 2027-01-05 (running from 2027-02-02). The all
    pool's 5 racks are sized net of those pods as planned, and the note said "(2 x pod-h100
    in service 2026-08-03)", a day the pods no longer land on. The racks are now sized
    counting the pods from 2027-02-02, when their power runs them, and the note says so."""
    d = np.arange(800, dtype=float)
    days = [_day(i) for i in range(800)]
    forecast = _pools_forecast(500 + 2.0 * d, 400 + 5.0 * d, days)
    pod = RACK | {"name": "pod-h100", "kind": "pod", "gpus": 1000, "mw": 1.2,
                  "lead_time_weeks": 30, "capex_usd": 40e6, "fabric": True}  # fmt: skip
    blocks = [_block(), _block("r1-pod", kind="pod", fabric=True)]
    result = _run(_plan(sites=[_site(mw=2.5)], blocks=blocks, candidates=[RACK, pod]), forecast)
    rows = {r["pool"]: r for r in result.triggers.iter_rows(named=True)}
    pods = rows["training"]
    assert (pods["blocks_to_order"], pods["arrives"]) == (2, date(2027, 1, 5))
    racks = rows["all"]
    assert racks["blocks_to_order"] == 5
    assert "in service 2026-08-03" not in racks["note"]
    assert (
        "sized net of the training-pool order (2 x pod-h100 in service 2027-02-02)"
        in (racks["note"])
    )
    assert "not measured for the days between" not in racks["note"]


def test_an_all_pool_covered_by_a_training_order_dated_to_its_power_reads_its_dates() -> None:
    """Training 500 + 2d and inference 300 + 0.2d on a live rack and pod at s1 (2.5 MW): the
    training pool's 2 pods cover the all pool's shortfall, counted from 2026-08-03, but wait
    for power contracted today and are dated to land 2027-01-05 (running from 2027-02-02).
    The all pool's row read "covered by the training-pool order: 2 x pod-h100 in service
    2026-08-03", arriving 2026-08-03, a day the pods no longer land on. It now carries their
    dates, reads red (nothing serves it until 2027-02-02, after its exhaustion), and says
    the cover is counted from 2027-02-02, when the pods run (no rack, which would wait for
    the same power, serves the days before)."""
    d = np.arange(800, dtype=float)
    days = [_day(i) for i in range(800)]
    forecast = _pools_forecast(500 + 2.0 * d, 300 + 0.2 * d, days)
    pod = RACK | {"name": "pod-h100", "kind": "pod", "gpus": 1000, "mw": 1.2,
                  "lead_time_weeks": 30, "capex_usd": 40e6, "fabric": True}  # fmt: skip
    blocks = [_block(), _block("r1-pod", kind="pod", fabric=True)]
    result = _run(_plan(sites=[_site(mw=2.5)], blocks=blocks, candidates=[RACK, pod]), forecast)
    rows = {r["pool"]: r for r in result.triggers.iter_rows(named=True)}
    pods, covered = rows["training"], rows["all"]
    assert (pods["order_by"], pods["arrives"]) == (date(2026, 6, 9), date(2027, 1, 5))
    assert covered["blocks_to_order"] == 0
    assert (covered["order_by"], covered["arrives"]) == (date(2026, 6, 9), date(2027, 1, 5))
    assert covered["exhaustion_date"] < date(2027, 2, 2) and covered["status"] == "red"
    assert (
        covered["note"] == "covered by the training-pool order: 2 x pod-h100 in service 2027-02-02"
    )


def test_the_mw_by_month_counts_a_waiting_order_from_when_its_pool_needs_it() -> None:
    """Two racks (0.8 MW) at s1 (1.3 MW energized, 1.0 drawn) wait for power contracted today
    and are dated to land 2027-01-05; s1's power trigger counts their MW from 2026-03-19, when
    the pool needs them (the buffer before its shortfall), and reads s1 short from then. The
    facilities chart counted them from their arrival: 1.0 MW needed until Jan 2027, beside a
    power trigger short from 2026-03-19 on the same page. Counted as the trigger counts them,
    March 2026 needs 1.8 MW, and the site's supply reads short days that month."""
    plan = _plan(sites=[_site(mw=1.3)])
    result = _run(plan, _linear(days=800))
    assert _power(result, "s1")["exhaustion_date"] == _day(ARRIVAL)
    first = result.placements.filter(pl.col("tranche") == 1)
    assert first["arrives"].to_list() == [date(2027, 1, 5)]
    mw = mw_by_site_month(
        plan,
        result.triggers,
        start=MONDAY,
        end=_day(799),
        placements=result.placements,
        buffer_weeks=4,
    )
    s1 = {r["month"]: r for r in mw.filter(pl.col("site") == "s1").iter_rows(named=True)}
    assert s1[date(2026, 2, 1)]["mw_needed"] == pytest.approx(1.0)
    assert s1[date(2026, 3, 1)]["mw_new_blocks"] == pytest.approx(0.8)
    assert s1[date(2026, 3, 1)]["mw_needed"] == pytest.approx(1.8)
    assert s1[date(2027, 1, 1)]["mw_new_blocks"] == pytest.approx(0.0)
    orders = site_orders_by_need(result.placements, as_of=MONDAY, buffer_weeks=4)
    supply = site_power_by_month(plan, start=MONDAY, months=24, orders=orders)
    march = supply.filter(pl.col("month") == date(2026, 3, 1)).row(0, named=True)
    assert march["short_days"] == 13  # 2026-03-19 to 2026-03-31


def test_an_order_takes_the_power_energized_by_its_arrival_and_only_the_rest_waits() -> None:
    """s1 has 2.0 MW energized (1.0 drawn) and 4.0 MW from 2026-10-01; the pool is short from
    2026-02-25 and needs 4 racks (0.4 MW each), late, landing 2026-03-02 ordered today. The
    whole lot waited on power, dated to land 2026-09-03, though s1 powers 2 of them on
    arrival (a 52-week sweep's 53 us-west racks waited on power beside the MW for 9). Now 2
    are ordered on the shortfall's dates, powered on arrival, red as the shortfall says, and
    2 wait on power, dated to land 4 weeks before it: one placement row each, capex and MW
    counted once (the trigger's totals are the shares' sums); the note says both; s1's power
    trigger counts the waiting 2 from when the pool needs them (2026-01-28, 1.8 MW that fits)
    and the 2 on power from their arrival, short from 2026-03-02 (2.6 MW), no longer from
    2026-01-28 for racks the site already powers."""
    energized = [{"on": date(2020, 1, 1), "mw": 2.0}, {"on": date(2026, 10, 1), "mw": 4.0}]
    plan = _plan(sites=[_site(energized=energized)])
    result = _run(plan, _linear(slope=2.0, days=800))
    shares = result.placements.filter(pl.col("tranche") == 1)
    assert shares.select(
        "site", "blocks", "order_by", "arrives", "powered", "runs_from", "status"
    ).rows() == [
        ("s1", 2, date(2025, 12, 3), date(2026, 3, 2), True, date(2026, 3, 2), "red"),
        ("s1", 2, date(2026, 7, 9), date(2026, 9, 3), False, date(2026, 10, 1), "red"),
    ]
    row = _all_pool(result)
    assert (row["blocks_to_order"], row["order_by"], row["arrives"], row["status"]) == (
        4,
        date(2025, 12, 3),
        date(2026, 3, 2),
        "red",
    )
    assert row["capex_usd"] == pytest.approx(sum(shares["capex_usd"])) == pytest.approx(32e6)
    assert row["mw"] == pytest.approx(sum(shares["mw"])) == pytest.approx(1.6)
    assert row["powered_from"] == date(2026, 10, 1)
    note = row["note"]
    assert note.startswith(
        "order 4 x rack-h100 in two parts: 2 on the MW energized by the order's arrival (at "
        "s1), ordered on the shortfall's dates, and 2 waiting on power; the 2 on power: no "
        "candidate can be ordered by its order-by date; rack-h100 at s1 arrives first if "
        "ordered today: 2026-03-02, 5 days after exhaustion; "
    )
    assert (
        "the 2 waiting: order 2 x rack-h100 by 2026-07-09 so that it lands 2026-09-03, 4 "
        "weeks before its site's power (s1, from 2026-10-01): the order waits on power, dated "
        "to land when its site's power does, not to stand dark; ordered by 2025-12-03 it would "
        "land 2026-03-02 and stand dark 213 days"
    ) in note
    assert "split across r1's sites by what their ceilings hold" not in note
    power = _power(result, "s1")
    assert (power["exhaustion_date"], power["mw_needed_at_exhaustion"]) == (
        date(2026, 3, 2),
        pytest.approx(2.6),
    )
    mw = mw_by_site_month(
        plan, result.triggers, start=MONDAY, end=_day(799), placements=result.placements
    )
    s1 = {
        r["month"]: r["mw_new_blocks"]
        for r in mw.filter(pl.col("site") == "s1").iter_rows(named=True)
    }
    assert (s1[date(2026, 1, 1)], s1[date(2026, 3, 1)], s1[date(2026, 9, 1)]) == (
        pytest.approx(0.8),
        pytest.approx(0.8),
        pytest.approx(0.0),
    )
    # In time on its shortfall's dates, the share on power reads its own green; the row reads
    # red for the share that waits.
    timely = _run(_plan(sites=[_site(mw=1.5)]), _linear(days=800))
    first = timely.placements.filter(pl.col("tranche") == 1)
    assert first.select("blocks", "order_by", "powered", "status").rows() == [
        (1, _day(17), True, "green"),
        (1, date(2026, 11, 10), False, "red"),
    ]
    assert _all_pool(timely)["status"] == "red"
    # No one site has the MW for both racks, s1 and s2 together do: both ordered in time,
    # none waits (they waited whole for power contracted today, red).
    apart = _run(_plan(sites=[_site(mw=1.5), _site("s2", mw=0.4)]), _linear(days=800))
    shares = apart.placements.filter(pl.col("tranche") == 1)
    assert shares.select("site", "blocks", "order_by", "powered", "status").rows() == [
        ("s1", 1, _day(17), True, "green"),
        ("s2", 1, _day(17), True, "green"),
    ]
    row = _all_pool(apart)
    assert (row["status"], row["blocks_to_order"], row["powered_from"]) == ("green", 2, None)
    assert row["note"].startswith(
        "split across r1's sites by the MW they have energized by its arrival (1 at s1, 1 at "
        "s2): order 2 x rack-h100 by 2026-01-22: in service 2026-03-19, 4 weeks before "
        "exhaustion; "
    )


def test_an_order_whose_power_comes_after_the_plan_s_end_is_not_dated_past_it() -> None:
    """A 60-month power lead on a 37-month plan dated eu-west's pods to be ordered 2031-04-24
    for a shortfall from Jun 2028, the plan ending 2030-01-31, and their capital fell in
    quarters past it. Here the forecast ends 2027-01-04 and power contracted today comes
    2027-02-02: the racks serve nothing the plan covers, so they keep their shortfall's dates
    (by day 17, landing day 73), red, and the note says the shortfall is not within the
    horizon to fix by ordering; the placement keeps when they can run. (Dated to 2027-01-05
    they read as sized on days before they run: no longer said, never dated past the end.)"""
    result = _run(_plan(sites=[_site(mw=1.3)]))
    row = _all_pool(result)
    assert (row["order_by"], row["arrives"], row["status"]) == (_day(17), _day(ARRIVAL), "red")
    assert (
        "not within the horizon: its power (contracted today) comes 2027-02-02, after the "
        "plan's end 2027-01-04"
    ) in row["note"]
    assert "dated to land when its site's power does" not in row["note"]
    assert "what it was sized on ends" not in row["note"]
    first = result.placements.filter(pl.col("tranche") == 1).row(0, named=True)
    assert (first["order_by"], first["arrives"], first["runs_from"]) == (
        _day(17),
        _day(ARRIVAL),
        date(2027, 2, 2),
    )


def test_later_orders_whose_power_comes_after_the_plan_s_end_are_priced_apart() -> None:
    """eu-west's trigger note read "later orders (2 planned ...; $983.0M)" where $737.2M of
    it ran only from 2032-01-01, after the plan's end: the note's total holds only what runs
    within the plan, the rest named apart, not within the horizon."""
    later = _run(_plan(sites=[_site(mw=1.3)]), settings=TriggerSettings(sizing_weeks=8))
    placed = later.placements.filter(pl.col("tranche") > 1)
    past = placed.filter(~pl.col("powered") & (pl.col("runs_from") > date(2027, 1, 4)))
    assert past.height == placed.height > 0
    capex = float(past["capex_usd"].sum())
    assert (
        f"$0 (+ ${capex / 1e6:,.1f}M for blocks that can run only after the plan's end, "
        "2027-01-04: not within the horizon, not in the plan's totals)"
    ) in _all_pool(later)["note"]


def test_a_site_s_room_past_the_forecast_says_where_its_power_calendar_ends() -> None:
    """ServeGen at 7 days, a plan with no new block: sg-a's note read "the plan's blocks alone
    fit through 2026-08-16", as if they stopped fitting then, where that day is only where the
    power calendar the triggers read ends (power contracted today energized). It says so."""
    pod = RACK | {"name": "pod-h100", "kind": "pod", "lead_time_weeks": 20}
    plan = _plan(candidates=[pod], sites=[_site(mw=2.0)])
    note = _power(_run(plan, _linear(base=100.0, slope=0.0, days=56)), "s1")["note"]
    calendar_end = date(2027, 2, 2)  # as of + 4 weeks' buffer + 12 months' power lead time
    assert "alone fit through" not in note
    assert (
        f"past it no block is ordered, and the plan's own blocks stay within it to "
        f"{calendar_end}, where the power calendar ends (power contracted today is energized "
        "then, or the longest lead time reaches it)"
    ) in note
