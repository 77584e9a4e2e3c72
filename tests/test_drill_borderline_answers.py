"""A drill's answers (blocks to pass, where it breaks) read their runs by the verdict's rule:
a pass or fail within its paths' sampling error of 90 % is borderline, not plain."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hand_plans import flat_inference_paths, fluid_policies

from forecasting.capacity import CapacityPlan
from forecasting.drills import blocks_to_pass, breaking_multiplier, scenario_from_args
from forecasting.drills.kpis import share_interval

MONDAY = date(2026, 1, 5)
RACK = {
    "name": "rack-256", "kind": "rack", "gpu_type": "H100", "gpus": 256, "mw": 0.384,
    "capex_usd": 8_448_000, "lead_time_weeks": 1,
}  # fmt: skip


def _plan(gpus: int, *, headroom: float, candidates: list[dict[str, Any]]) -> CapacityPlan:
    block: dict[str, Any] = {
        "id": "a", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
        "gpus": gpus, "mw": 1.0, "status": "live", "classes": ["inference"],
    }  # fmt: skip
    return CapacityPlan.model_validate(
        {
            "policy": fluid_policies(inference={"headroom": headroom}),
            "block": [block],
            "candidate": candidates,
        }
    )


def test_a_set_of_blocks_passing_within_its_sampling_error_is_not_printed_as_passing() -> None:
    """Inference 2x from +2w on 1,000 GPUs: one rack more (1,256) holds on 182 of 200 paths
    (91.0 %, 95 % interval 86.2-94.2 %), two hold on all. "Would pass with" read "1 x rack-256
    in r1 ($8.4M)", stored as the set that passes, where another draw of 200 paths fails it.
    It says "would pass with ...: borderline at 200 paths" with the interval and the paths
    that would settle it, and stores no set as passing. Here no larger set may be tried (at
    most one block per type), so the search's going on (test_drill_borderline_search_on.py)
    ends on this set, and its note says so."""
    plan = _plan(1000, headroom=0.0, candidates=[RACK])
    levels = [560.0 + 60.0 * s / 182 for s in range(182)] + [
        640.0 + 100.0 * s / 18 for s in range(18)
    ]
    shock = scenario_from_args(target="class:inference", start="+2w")
    search = blocks_to_pass(
        plan, flat_inference_paths(levels, days=28), None, shock, run_date=MONDAY, max_blocks=1
    )
    assert search.result.passed  # the plain rule's pass: 182 of 200 paths hold
    assert not search.passed
    assert search.additions.rows() and search.additions["count"].to_list() == [1]
    low, high = share_interval(0.91, 200)
    assert search.summary.startswith(
        "would pass with 1 x rack-256 in r1 ($8.4M): borderline at 200 paths: pass or fail; "
        "inference in r1 reaches its SLO target on 91.0% of paths, 18 of 200 short in over 5% "
        f"of its hours (95% interval {low:.1%}-"
        f"{high:.1%}; the verdict asks 90%); about "
    )
    assert "would settle it" in search.summary
    assert "no larger set: no orderable type may host inference in r1 within 1 blocks" in (
        search.why
    )


def test_where_a_drill_breaks_says_the_band_its_paths_do_not_settle() -> None:
    """100 GPUs, inference keeps 20 % free (80 hold); 200 paths at 10-50 GPUs. The plain rule
    read "breaks at 1.70x", a point inside a band (about 1.68x-1.82x) where the share of
    paths holding is within its sampling error of 90 %: another draw of 200 paths moves it
    anywhere in it. The break is now the first multiplier that fails whatever the draw, and
    the cell says from where the verdict is borderline."""
    plan = _plan(100, headroom=0.2, candidates=[])
    levels = [10.0 + 0.2 * s for s in range(200)]
    point = breaking_multiplier(
        plan, flat_inference_paths(levels, days=14), None, scenario_from_args()
    )
    assert point.borderline_from is not None and point.multiplier is not None
    # Fails whatever the draw: the share holding has its interval below 90 %.
    share = sum(80.0 / point.multiplier >= v for v in levels) / 200
    assert share_interval(share, 200)[1] < 0.9
    assert 1.62 < point.borderline_from < 1.74 < 1.78 < point.multiplier < 1.9
    assert point.last_passing is not None and point.last_passing < point.borderline_from
    assert share_interval(sum(80.0 / point.last_passing >= v for v in levels) / 200, 200)[0] > 0.9
    assert point.text == (
        f"{point.multiplier:.2f}x, borderline from {point.borderline_from:.2f}x at 200 paths"
    )


def test_a_ramp_cut_short_names_the_scale_of_each_multiplier_it_breaks_at() -> None:
    """The same paths, the shock a 4-week ramp on a 14-day forecast: it reaches about half its
    height by the forecast's last day. The cell read "2.56x, reaching 1.78x by the horizon's
    end, borderline from 2.27x at 200 paths": the first and last the ramp's nominal height,
    the middle the level demand reached, none saying which. Each says what it multiplies now,
    the borderline edge too, with the level its ramp reached."""
    plan = _plan(100, headroom=0.2, candidates=[])
    levels = [10.0 + 0.2 * s for s in range(200)]
    point = breaking_multiplier(
        plan, flat_inference_paths(levels, days=14), None, scenario_from_args(shape="ramp:4w")
    )
    assert point.multiplier is not None and point.reached is not None
    assert point.borderline_from is not None and point.border_reached is not None
    # The ramp's level by the last day (hour 336 of 672) is about half its height.
    assert point.reached == pytest.approx(1 + (point.multiplier - 1) * 336 / 672)
    assert point.border_reached == pytest.approx(1 + (point.borderline_from - 1) * 336 / 672)
    assert point.text == (
        f"a {point.multiplier:.2f}x shock (all demand at {point.reached:.2f}x its forecast by "
        f"2026-01-18), borderline from a {point.borderline_from:.2f}x shock "
        f"({point.border_reached:.2f}x its forecast by then) at 200 paths"
    )
