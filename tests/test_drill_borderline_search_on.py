"""Blocks to pass goes on searching when its first set passes only within its sampling error:
on more of the paths the forecast stored, then on larger sets, within a bounded budget, and
says what it tried. "Would pass with 1 x rack-256: borderline" stood where two racks pass
on every path, or where the forecast's other stored paths settle the one rack as a pass."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from hand_plans import flat_inference_paths, fluid_policies

from forecasting.capacity import CapacityPlan
from forecasting.drills import blocks_to_pass, scenario_from_args

MONDAY = date(2026, 1, 5)
RACK = {
    "name": "rack-256", "kind": "rack", "gpu_type": "H100", "gpus": 256, "mw": 0.384,
    "capex_usd": 8_448_000, "lead_time_weeks": 1,
}  # fmt: skip
# 182 of the first 200 paths hold with one rack more (91.0 %, 95 % interval 86.2-94.2 %,
# borderline); the other 18 need a second rack.
FIRST_200 = [560.0 + 60.0 * s / 182 for s in range(182)] + [
    640.0 + 100.0 * s / 18 for s in range(18)
]
SHOCK = scenario_from_args(target="class:inference", start="+2w")


def _plan() -> CapacityPlan:
    block: dict[str, Any] = {
        "id": "a", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
        "gpus": 1000, "mw": 1.0, "status": "live", "classes": ["inference"],
    }  # fmt: skip
    return CapacityPlan.model_validate(
        {
            "policy": fluid_policies(inference={"headroom": 0.0}),
            "block": [block],
            "candidate": [RACK],
        }
    )


def test_a_borderline_set_is_followed_by_the_next_larger_set_that_passes_plainly() -> None:
    """The reader saw "would pass with 1 x rack-256 in r1 ($8.4M): borderline at 200 paths",
    no set stored as passing, where 2 x rack-256 ($16.9M) hold on all 200 paths: the search
    never tried it. Now the answer is the two racks, passed, and a note says the one rack was
    borderline and what was tried."""
    search = blocks_to_pass(
        _plan(), flat_inference_paths(FIRST_200, days=28), None, SHOCK, run_date=MONDAY
    )
    assert search.passed and not search.borderline
    assert search.additions["count"].to_list() == [2]
    assert search.summary == "2 x rack-256 in r1 ($16.9M)"
    tried = next(n for n in search.notes if n.startswith("1 x rack-256 in r1 ($8.4M) passes only"))
    assert "the forecast stored no more paths to draw" in tried
    assert "2 x rack-256 in r1 ($16.9M) passes plainly on 200 paths" in tried


def test_a_borderline_set_is_settled_on_more_of_the_paths_the_forecast_stored() -> None:
    """The forecast stored 1,000 paths; the drill played the first 200, on which one rack
    more holds on 91 % (borderline). The other 800 all hold with it (98.2 % of 1,000, settled):
    the reader saw "borderline" where the paths at hand settle it. Now the one rack is the
    answer, settled on the 1,000 stored paths, and the note says on how many."""
    stored = flat_inference_paths(FIRST_200 + [500.0 + 0.1 * s for s in range(800)], days=28)
    first = stored.filter(pl.col("sample_id") < 200)
    search = blocks_to_pass(_plan(), first, None, SHOCK, run_date=MONDAY, stored=stored)
    assert search.passed and not search.borderline
    assert search.summary == "1 x rack-256 in r1 ($8.4M)"
    assert search.result.paths == 1000
    assert any(
        "on 1,000 of the 1,000 paths the forecast stored; it passes there, settled" in n
        for n in search.notes
    )


def test_the_search_on_stops_within_its_budget_and_says_so() -> None:
    """With no larger set allowed (``larger_sets=0``) and no more stored paths, the answer
    stays the borderline set, and the note says the budget stopped it."""
    search = blocks_to_pass(
        _plan(),
        flat_inference_paths(FIRST_200, days=28),
        None,
        SHOCK,
        run_date=MONDAY,
        larger_sets=0,
    )
    assert not search.passed and search.borderline
    assert search.summary.startswith("would pass with 1 x rack-256 in r1 ($8.4M): borderline")
    assert "stopped after 0 larger sets (the search's budget)" in search.why


def test_a_larger_set_that_moves_no_share_ends_the_search_on() -> None:
    """18 of 200 paths miss in the shock's first week, before any rack can land: one rack more
    holds 182 of 200 paths (91 %, borderline), and so do two, three and four: the search tried
    every larger set its budget allowed, runs that could not move the share (on the demo,
    block-loss's 9 racks held the same 92.5 % as 8). It stops at the first larger set that
    moves no unsettled group's share, and says so."""
    fixable = [
        [300.0 + s] * 14 + [560.0 + s] * 14 for s in range(22)
    ]  # short from day 14 until one rack lands
    early = [[700.0 + s] * 7 + [300.0] * 21 for s in range(18)]  # short before any rack lands
    calm = [[300.0 + 0.5 * s] * 28 for s in range(160)]
    rows = [
        ("total/r1/inference/other", MONDAY + timedelta(days=d), sample, level)
        for sample, days in enumerate(calm + fixable + early)
        for d, level in enumerate(days)
    ]
    paths = pl.DataFrame(
        rows, schema=["unique_id", "ds", "sample_id", "y"], orient="row"
    ).with_columns(pl.col("sample_id").cast(pl.Int32))
    shock = scenario_from_args(target="class:inference")
    search = blocks_to_pass(_plan(), paths, None, shock, run_date=MONDAY)
    assert not search.passed and search.borderline
    assert search.additions["count"].to_list() == [1]
    assert "2 x rack-256 in r1 ($16.9M) is borderline too" in search.why
    assert "it moves no unsettled group's share of paths (inference in r1 91.0%)" in search.why
    assert "3 x rack-256" not in search.why
