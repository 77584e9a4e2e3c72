"""Blocks on power a site gives back, and demand per pool in H100-equivalents.

The fleet of tests/test_sites.py: region r1 at site s1, the region's peak q90 700 + d on day d
after MONDAY (the as-of date), 20 % headroom in every class, so 1,000 GPUs are short from day
101. Here s1 gives power back on day STEP, and pools mix GPU generations.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import polars as pl
import pytest

from forecasting.capacity import block_timeline, capacity_timeline
from forecasting.triggers import pool_requirements
from tests.test_sites import (
    DAYS,
    EXHAUSTION,
    MONDAY,
    _all_pool,
    _block,
    _day,
    _linear,
    _plan,
    _pools_forecast,
    _power,
    _run,
    _site,
)

# --- blocks on power a site gives back; demand per pool in H100-equivalents -----------------

STEP = 50  # s1 steps down from 2.0 MW to 1.2 MW on this day


def _given_back() -> list[dict[str, Any]]:
    """s1 energized 2.0 MW, then 1.2 MW from day STEP: power given back."""
    steps = [{"on": date(2020, 1, 1), "mw": 2.0}, {"on": _day(STEP), "mw": 1.2}]
    return [_site(energized=steps)]


def _two_racks() -> list[dict[str, Any]]:
    """A 1,000-GPU rack and a 500-GPU one, 1.0 MW each: the second holds half the GPUs per MW."""
    return [_block(), _block("r1-old", gpus=500)]


def test_blocks_on_power_given_back_leave_the_pools_from_the_step() -> None:
    """s1 keeps 1.2 MW from day 50 under 2.0 MW of racks: the 500-GPU rack (fewer GPUs per MW)
    stands dark from that day, so the pool's capacity falls from 1,500 to 1,000 and it is short
    from day 101. Before, both racks counted on power that was gone: never short in the year,
    nothing to order, while only the power trigger saw the shortfall. The note counts the dark
    blocks in their own number: it read "1 block(s), 500 GPUs"."""
    plan = _plan(sites=_given_back(), blocks=_two_racks())
    daily = pool_requirements(_linear(), plan, as_of=MONDAY, column="q90")
    capacity = dict(daily.filter(pl.col("pool") == "all").select("ds", "capacity_gpus").iter_rows())
    assert (capacity[_day(STEP - 1)], capacity[_day(STEP)]) == (1500.0, 1000.0)
    row = _all_pool(_run(plan))
    assert (row["exhaustion_date"], row["capacity_gpus_at_exhaustion"]) == (_day(EXHAUSTION), 1000)
    assert row["blocks_to_order"] == 2
    assert row["note"].startswith(
        "blocks stand dark for want of their site's energized MW, so this pool's capacity is "
        "without them (the blocks of fewest H100-equivalents per MW go dark first): s1 from "
        f"{_day(STEP)}: 1 block, 500 GPUs; "
    )
    # Racks have no fabric: the training pool's capacity never held them, and its note is mute.
    training = _run(plan).triggers.filter(pl.col("pool") == "training")["note"].item()
    assert "stand dark" not in training
    # The power trigger still reads the site short from the step, as before.
    assert _power(_run(plan), "s1")["exhaustion_date"] == _day(STEP)


def test_the_blocks_left_dark_are_those_of_least_h100_equivalents_per_mw() -> None:
    """With a [gpu_type] table the older rack's 1,000 A100s (0.4) hold 400 H100-equivalents per
    MW against the newer rack's 500 H100s' 500: the A100 rack goes dark from the step, though
    it has more GPUs; the timeline lists each block in service on each day it is powered."""
    blocks = [_block("r1-a100", gpu_type="A100"), _block("r1-h100", gpus=500)]
    types = {"H100": {"h100_equivalent": 1.0}, "A100": {"h100_equivalent": 0.4}}
    plan = _plan(sites=_given_back(), blocks=blocks, gpu_types=types)
    days = block_timeline(plan, start=_day(STEP - 1), end=_day(STEP), powered=True)
    assert days.select("ds", "block_id").rows() == [
        (_day(STEP - 1), "r1-a100"),
        (_day(STEP - 1), "r1-h100"),
        (_day(STEP), "r1-h100"),
    ]
    assert block_timeline(plan, start=_day(STEP), end=_day(STEP)).height == 2
    # The hand plan prices no class: those warnings are test_capacity's.
    (line,) = [w for w in plan.doubtful_entries() if w.startswith("[[site]]")]
    assert line.endswith(
        f"; its blocks in service on {_day(STEP)} draw 2.0 MW, 0.8 MW more than it keeps: a "
        "power shortfall from that day (see the site's power trigger); the triggers count "
        "r1-a100 (1,000 GPUs) as dark from that day, the blocks of fewest H100-equivalents per "
        "MW first"
    )


def test_training_demand_converts_at_the_mix_of_the_blocks_training_runs_on() -> None:
    """An H100 pod (training's only fabric) beside an A100 rack of as many GPUs: the region's
    mix is 0.7 H100-equivalents per GPU, but training ran on the pod, so its demand is 1:1 and
    the training pool reads as it does without the table; the whole region's demand (all
    classes on every block) converts at 0.7. Before, training was scaled by 0.7 too: its
    requirement read 30 % low and its exhaustion came later."""
    pod = _block("r1-pod", kind="pod", fabric=True)
    blocks = [pod, _block("r1-a100", gpu_type="A100")]
    types = {"H100": {"h100_equivalent": 1.0}, "A100": {"h100_equivalent": 0.4}}
    d = np.arange(DAYS, dtype=float)
    frame = _pools_forecast(500.0 + 2.0 * d, 600.0 + d, [_day(i) for i in range(DAYS)])

    def requirement(gpu_types: dict[str, Any]) -> dict[str, list[float]]:
        daily = pool_requirements(
            frame, _plan(blocks=blocks, gpu_types=gpu_types), as_of=MONDAY, column="q90"
        )
        return {
            pool: daily.filter(pl.col("pool") == pool)["requirement_gpus"].to_list()
            for pool in ("training", "all")
        }

    typed, bare = requirement(types), requirement({})
    assert typed["training"] == pytest.approx(bare["training"])
    assert typed["all"] == pytest.approx([0.7 * v for v in bare["all"]])
    # Training short when 500 + 2d passes 800 GPUs (1,000 at 20 % headroom): day 151.
    training = _run(_plan(blocks=blocks, gpu_types=types), frame).triggers.filter(
        pl.col("pool") == "training"
    )
    assert training["exhaustion_date"].to_list() == [_day(151)]


def test_a_retiring_generation_leaves_demand_in_the_units_it_was_measured_in() -> None:
    """The A100 rack retires on day 200: the training pool still converts 1:1 and the region's
    demand stays at the as-of mix (0.7), not the later all-H100 mix, because it is work
    measured on the blocks that ran it; re-read at each day's mix, a newer block committed to
    the plan would raise demand by its own arrival."""
    pod = _block("r1-pod", kind="pod", fabric=True)
    retiring = _block("r1-a100", gpu_type="A100", status="retiring", retire=_day(200))
    types = {"H100": {"h100_equivalent": 1.0}, "A100": {"h100_equivalent": 0.4}}
    d = np.arange(DAYS, dtype=float)
    frame = _pools_forecast(500.0 + 2.0 * d, 600.0 + d, [_day(i) for i in range(DAYS)])
    typed = pool_requirements(
        frame, _plan(blocks=[pod, retiring], gpu_types=types), as_of=MONDAY, column="q90"
    )
    bare = pool_requirements(frame, _plan(blocks=[pod, retiring]), as_of=MONDAY, column="q90")
    ratio = (typed["requirement_gpus"] / bare["requirement_gpus"]).alias("ratio")
    by_pool = (
        typed.with_columns(ratio).group_by("pool").agg(low=pl.min("ratio"), high=pl.max("ratio"))
    )
    assert sorted(by_pool.rows()) == [
        ("all", pytest.approx(0.7), pytest.approx(0.7)),
        ("training", pytest.approx(1.0), pytest.approx(1.0)),
    ]


def test_the_capacity_timeline_leaves_out_blocks_on_power_given_back() -> None:
    """The platform page's capacity (capacity_timeline) drops the dark rack from the step as
    the triggers do: 1,500 GPUs and 2.0 MW the day before, 1,000 GPUs and 1.0 MW from it; it
    drew both racks in service on power that was gone."""
    plan = _plan(sites=_given_back(), blocks=_two_racks())
    timeline = capacity_timeline(plan, start=_day(STEP - 1), end=_day(STEP)).filter(
        pl.col("workload_class") == "all"
    )
    assert timeline.select("ds", "gpus", "mw").rows() == [
        (_day(STEP - 1), 1500, 2.0),
        (_day(STEP), 1000, 1.0),
    ]


def test_n_plus_one_loses_a_powered_block_and_its_mw_powers_a_dark_one() -> None:
    """s1 keeps 0.6 MW from day 50: the 1,000-GPU rack (1.0 MW) stands dark and the 500-GPU
    one (0.5 MW) runs, holding the 125 required. N+1 lost the dark rack again (500 - 1,000:
    625 short); it now loses the largest rack that runs, the 500-GPU one, whose 0.5 MW does
    not bring the other back: 125 short from day 50. With 1.2 MW kept, losing the 1,000-GPU
    rack frees its 1.0 MW for the dark 500-GPU one: 500 left for 125, the plan holds (it read
    125 short)."""
    demand = _linear(base=100.0, slope=0.0)
    expected = {
        0.6: ("r1-old", False, _day(STEP), 125.0),
        1.2: ("r1-rack", True, None, 0.0),
    }
    for mw, small in ((0.6, 0.5), (1.2, 1.0)):
        steps = [{"on": date(2020, 1, 1), "mw": 2.0}, {"on": _day(STEP), "mw": mw}]
        blocks = [_block(), _block("r1-old", gpus=500, mw=small)]
        result = _run(_plan(sites=[_site(energized=steps)], blocks=blocks), demand)
        (row,) = result.n_plus_one.rows(named=True)
        got = ("largest_block", "holds", "first_short_date", "max_shortfall_gpus")
        assert tuple(row[k] for k in got) == pytest.approx(expected[mw])


# --- power that brings back blocks already owned, before new blocks -------------------------


def _half_short() -> list[dict[str, Any]]:
    """s1 energized 2.0 MW, then 1.5 MW from day STEP: 0.5 MW short under two 1.0 MW racks."""
    steps = [{"on": date(2020, 1, 1), "mw": 2.0}, {"on": _day(STEP), "mw": 1.5}]
    return [_site(energized=steps)]


def test_power_that_brings_back_a_dark_rack_is_contracted_instead_of_new_racks() -> None:
    """s1 keeps 1.5 MW from day 50 under 2.0 MW of racks: the 500-GPU rack stands dark and the
    pool (500 + d at q90, 20 % headroom) is short from day 301, by 123.75 GPUs at most. No
    site has MW for a new rack: one would wait at s1 for power contracted today (2027-02-02),
    the power that brings the dark rack back first. Nothing is ordered; s1's power trigger
    reads 0.50 MW ($1.0M). Before, the plan ordered 1 x rack-h100 ($8.0M, 0.40 MW) waiting
    for that power, and s1 read "contract 0.90 MW" ($1.8M) for both."""
    plan = _plan(sites=_half_short(), blocks=_two_racks())
    result = _run(plan, _linear(base=500.0, days=400))
    row = _all_pool(result)
    assert (row["exhaustion_date"], row["blocks_to_order"], row["capex_usd"]) == (
        _day(301),
        0,
        0.0,
    )
    assert row["status"] == "red"  # short from day 301 whatever is done; power lands later
    assert result.placements.is_empty()
    assert (
        "r1-old (500 GPUs) stands dark at s1 for want of its power: the power s1 contracts "
        "(see its power trigger) brings it back from 2027-02-02 at the earliest, and covers "
        "the need to 2027-02-08; nothing to order: 1 x rack-h100 ordered now ($8.0M) would "
        "wait at s1 for the same power"
    ) in row["note"]
    power = _power(result, "s1")
    assert (power["mw_to_contract"], power["cost_usd"]) == (pytest.approx(0.5), pytest.approx(1e6))
    assert power["exhaustion_date"] == _day(STEP)


def test_an_order_waiting_for_power_is_sized_net_of_the_dark_blocks_it_brings_back() -> None:
    """Demand 900 + d: the pool is short from day 50 (the step), by 623.75 GPUs on day 399.
    Power contracted today runs s1's blocks from 2027-02-02 (day 393): the 500-GPU rack it
    brings back leaves 123.75 short, one rack-h100 (250 GPUs, 0.40 MW, $8.0M), and s1 reads
    0.90 MW to contract: 0.50 for the dark rack, 0.40 for the new one. Before, 3 racks
    ($24.0M, 1.20 MW) waited for the same power and s1 read 1.70 MW."""
    plan = _plan(sites=_half_short(), blocks=_two_racks())
    result = _run(plan, _linear(base=900.0, days=400))
    row = _all_pool(result)
    assert (row["exhaustion_date"], row["blocks_to_order"], row["mw"]) == (
        _day(STEP),
        1,
        pytest.approx(0.4),
    )
    assert (
        "sized net of r1-old (500 GPUs), which the power it waits for at s1 brings back "
        "first (from 2027-02-02): s1's power trigger counts the dark blocks' MW and this "
        "order's, once each"
    ) in row["note"]
    assert _power(result, "s1")["mw_to_contract"] == pytest.approx(0.9)


def test_the_power_trigger_says_which_of_its_mw_bring_back_blocks_already_owned() -> None:
    """s1's 0.50 MW to contract is the dark 500-GPU rack's: its note now names the rack, its
    MW and since when it stands dark, and that orders waiting there are sized net of it; it
    read only "0.50 MW on power that is gone", the rack nowhere on the facilities row."""
    plan = _plan(sites=_half_short(), blocks=_two_racks())
    power = _power(_run(plan, _linear(base=500.0, days=400)), "s1")
    assert power["note"].endswith(
        f"of the MW needed, 1.00 MW is r1-old (500 GPUs), standing dark here from {_day(STEP)}: "
        "blocks already owned, which the power contracted brings back first; orders waiting "
        "here for power are sized net of them (see their triggers)"
    )
    # A site short for an order alone, nothing dark, says nothing of it.
    plain = _power(_run(_plan(sites=[_site(mw=1.3)]), _linear(days=400)), "s1")
    assert "standing dark here" not in plain["note"]


# --- idle risk: dark for want of power is not idle for want of demand -------------------------


def _dark_committed(*, back_on: int | None) -> Any:
    """s1 energized 1.5 MW (2.0 MW from day ``back_on``) under the live 1,000-GPU rack and a
    500-GPU rack of 1.0 MW committed for day 10: the newer rack stands dark while s1 is short."""
    steps = [{"on": date(2020, 1, 1), "mw": 1.5}]
    if back_on is not None:
        steps.append({"on": _day(back_on), "mw": 2.0})
    new = _block("r1-new", gpus=500, status="committed", in_service=_day(10))
    return _plan(sites=[_site(energized=steps)], blocks=[_block(), new])


def test_a_committed_block_standing_dark_is_not_demand_idle_capital() -> None:
    """Flat demand of 100 GPUs (125 with headroom) beside 1,000 powered: the committed 500-GPU
    rack stands dark on all 91 days of its first 13 weeks. It read "wholly idle at P10", 500
    GPUs and $16.0M of capital at risk for want of demand; it is idle for want of power, so
    its demand idleness is not judged and it is in no idle capital."""
    result = _run(_dark_committed(back_on=None), _linear(base=100.0, slope=0.0))
    row = result.idle_risk.row(0, named=True)
    assert row["block_id"] == "r1-new"
    assert (row["idle_gpus"], row["capex_at_risk_usd"], row["days_judged"]) == (None, None, 0)
    assert row["note"] == (
        f"stands dark for want of its site's power (s1) on all 91 days judged of its first 13 "
        f"weeks from {_day(10)}: idle for lack of power, not of demand, so not judged for demand "
        "and in no idle capital; the site's power trigger dates the MW that would run it"
    )


def test_a_committed_block_dark_for_part_of_its_window_is_judged_on_the_days_it_runs() -> None:
    """s1 steps up to 2.0 MW on day 40: the committed rack stands dark days 10 to 39 and runs
    from day 40. Its idleness (500 GPUs: demand never needs it) is a mean over the 61 days it
    runs, the 30 dark days said apart; it was a mean over all 91 as if it had run on them."""
    result = _run(_dark_committed(back_on=40), _linear(base=100.0, slope=0.0))
    row = result.idle_risk.row(0, named=True)
    assert (row["idle_gpus"], row["days_judged"]) == (pytest.approx(500.0), 61)
    assert row["note"].endswith(
        f"; judged on its first 61 days in service only, not 91: it stands dark for want of "
        f"its site's power (s1) on 30 of them from {_day(10)}, idle for lack of power, not of "
        "demand"
    )
