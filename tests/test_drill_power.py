"""Drills and site power: blocks a site cannot power serve nothing in a replay or a drill."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hand_plans import fluid_policies

from forecasting.capacity import CapacityPlan
from forecasting.drills import blocks_to_pass, run_drill, scenario_from_args
from forecasting.drills.replay import LEVELS_SCHEMA, replay_levels

POLICY = {
    c: {"tier": t, "priority": p}
    for c, t, p in (
        ("inference", "premium", 1),
        ("training", "standard", 2),
        ("evaluation", "standard", 3),
        ("batch", "batch", 4),
        ("experimentation", "overflow", 5),
    )
}


def _replay_plan(energized: list[dict[str, object]]) -> CapacityPlan:
    """Two 64-GPU pods of 0.1 MW each at site s, dedicated to team-a, under ``energized``."""
    block = {
        "kind": "pod", "region": "r", "site": "s", "gpu_type": "H100", "gpus": 64, "mw": 0.1,
        "status": "live", "in_service": date(2026, 1, 1), "fabric": True,
        "dedicated_customer": "team-a",
    }  # fmt: skip
    return CapacityPlan.model_validate(
        {
            "policy": POLICY,
            "site": [
                {"id": "s", "region": "r", "energized": energized,
                 "power_lead_months": 12, "cost_per_mw_usd": 1e6}
            ],
            "block": [{**block, "id": "pod-1"}, {**block, "id": "pod-2"}],
        }
    )  # fmt: skip


def test_replay_leaves_out_a_block_its_site_cannot_power() -> None:
    """A site energized for one of two 64-GPU pods replays 64 GPUs until its second step."""
    start = datetime(2026, 3, 2, tzinfo=UTC)
    plan = _replay_plan([{"on": date(2025, 1, 1), "mw": 0.1}, {"on": date(2026, 3, 4), "mw": 0.2}])
    hours = 96
    levels = pl.DataFrame(
        {
            "ts": [start + timedelta(hours=h) for h in range(hours)],
            "region": ["r"] * hours,
            "customer": ["team-a"] * hours,
            "gpus_running": [100.0] * hours,
            "gpus_queued": [0.0] * hours,
        },
        schema=LEVELS_SCHEMA,
    )
    replayed = replay_levels(plan, levels)
    dark = replayed.filter(pl.col("ts") < datetime(2026, 3, 4, tzinfo=UTC))
    lit = replayed.filter(pl.col("ts") >= datetime(2026, 3, 4, tzinfo=UTC))
    assert dark["capacity_gpus"].unique().to_list() == [64.0]
    assert lit["capacity_gpus"].unique().to_list() == [128.0]
    # The level is 100 GPUs: 36 wait while one pod is dark, none once both run.
    assert dark["simulated_backlog"].to_numpy() == pytest.approx(36.0, rel=0.01)
    assert lit["simulated_backlog"].tail(24).max() < 0.5


# --- the blocks a drill's search adds run only where and when their site has the MW ---------

MONDAY = date(2026, 1, 5)
RACK_50: dict[str, Any] = {
    "name": "rack-50", "kind": "rack", "gpu_type": "H100", "gpus": 50, "mw": 0.1,
    "capex_usd": 2e6, "lead_time_weeks": 1,
}  # fmt: skip


def _site(ident: str, steps: list[tuple[date, float]]) -> dict[str, Any]:
    return {
        "id": ident, "region": "r1", "energized": [{"on": on, "mw": mw} for on, mw in steps],
        "power_lead_months": 12, "cost_per_mw_usd": 2e6,
    }  # fmt: skip


def _powered_plan(sites: list[dict[str, Any]], *, lead_weeks: int = 1) -> CapacityPlan:
    """One live 100-GPU rack of 1.0 MW at r1-a, and rack-50 (0.1 MW) orderable."""
    block = {
        "id": "a", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
        "gpus": 100, "mw": 1.0, "status": "live",
    }  # fmt: skip
    return CapacityPlan.model_validate(
        {
            "policy": fluid_policies(),
            "block": [block],
            "candidate": [{**RACK_50, "lead_time_weeks": lead_weeks}],
            "site": sites,
        }
    )


def _batch_paths(level: float, *, days: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "unique_id": "total/r1/batch/other",
            "ds": [MONDAY + timedelta(days=d) for d in range(days)],
            "sample_id": 0,
            "y": level,
        }
    ).with_columns(pl.col("sample_id").cast(pl.Int32))


def test_unlimited_blocks_restore_the_slo_only_once_their_site_has_power() -> None:
    """Racks ordered today land on day 14, a week after batch doubles, but r1-a has no MW
    free for them until its step on day 21: unlimited blocks restore the SLO from day 21,
    and the answer names that power and the day blocks alone would have done it. It read
    "holds from" day 14, as if the racks ran on arrival."""
    plan = _powered_plan(
        [_site("r1-a", [(date(2020, 1, 1), 1.0), (MONDAY + timedelta(days=21), 2.0)])],
        lead_weeks=2,
    )
    shock = scenario_from_args(target="class:batch", start="+1w")
    found = blocks_to_pass(plan, _batch_paths(75.0, days=42), None, shock, run_date=MONDAY)
    assert not found.passed and found.arrives_in_time is False
    # Whole again a day or two after the racks run (the backlog drains), on power or not.
    restored = found.restores_slo_on
    assert restored is not None
    assert MONDAY + timedelta(days=21) <= restored <= MONDAY + timedelta(days=24)
    alone = found.blocks_alone.removeprefix("blocks alone would do it from ")
    assert MONDAY + timedelta(days=14) <= date.fromisoformat(alone) <= restored - timedelta(7)
    assert found.summary == (
        "no order placed today arrives in time (earliest in service 2026-01-19); with "
        "unlimited blocks (preemption and deferral only, no response ladder) the SLO holds "
        f"from {restored}, when r1-a's energized MW step to 2 MW (2026-01-26); blocks alone "
        f"would do it from {alone}"
    )


def test_a_set_would_pass_only_with_blocks_its_sites_can_power() -> None:
    """Batch doubles to 175 GPUs on day 14 over 100: two 50-GPU racks are needed. r1-a has
    0.1 MW free (one rack); with r1-b's 0.1 MW from day 10 the second runs there before the
    shock and the set passes, with it from day 21 (or never) no set passes and the answer
    says power binds. It read "would pass with 2 x rack-50" on 0.1 MW."""
    shock = scenario_from_args(target="class:batch", start="+2w")
    paths = _batch_paths(87.5, days=42)
    r1_a = _site("r1-a", [(date(2020, 1, 1), 1.1)])

    lone = blocks_to_pass(_powered_plan([r1_a]), paths, None, shock, run_date=MONDAY)
    assert not lone.passed and lone.arrives_in_time is False
    assert lone.summary == (
        "no set of orderable blocks passes (earliest in service 2026-01-12); SLO not restored "
        "within the horizon even by unlimited blocks: their sites have MW for only 1 x rack-50 "
        "in r1 within the plan (power contracted today is energized at r1-a on 2027-02-02); "
        "blocks alone (their sites' power not counted) would pass"
    )

    def with_r1_b(day: int) -> Any:
        sites = [r1_a, _site("r1-b", [(MONDAY + timedelta(days=day), 0.1)])]
        return blocks_to_pass(_powered_plan(sites), paths, None, shock, run_date=MONDAY)

    early = with_r1_b(10)
    assert early.passed
    assert early.additions.select("candidate", "count").rows() == [("rack-50", 2)]
    late = with_r1_b(21)
    assert not late.passed
    assert late.summary == (
        "no set of orderable blocks passes (earliest in service 2026-01-12); with unlimited "
        "blocks (preemption and deferral only, no response ladder) the SLO holds from "
        f"{late.restores_slo_on}, when r1-b's energized MW step to 0.1 MW (2026-01-26); blocks "
        "alone (their sites' power not counted) would pass"
    )


def test_a_class_no_candidate_serves_still_says_power_binds_the_others() -> None:
    """Racks could take inference's doubled 80 GPUs off the 100-GPU pod and leave it to
    training's 60, but r1-a has no MW for any rack: inference takes the pod and training is
    short, which no rack may serve. The answer said only that, as if a training block were
    the cure; it now says the racks lack power and would pass alone."""
    pod = {
        "id": "pod", "kind": "pod", "region": "r1", "site": "r1-a", "gpu_type": "H100",
        "gpus": 100, "mw": 1.0, "status": "live", "fabric": True,
    }  # fmt: skip
    plan = CapacityPlan.model_validate(
        {
            "policy": fluid_policies(training={"headroom": 0.0}),
            "block": [pod],
            "candidate": [RACK_50],
            "site": [_site("r1-a", [(date(2020, 1, 1), 1.0)])],
        }
    )
    paths = pl.concat(
        [
            _batch_paths(level, days=28).with_columns(unique_id=pl.lit(f"total/r1/{k}/other"))
            for k, level in (("training", 30.0), ("inference", 40.0))
        ]
    )
    shock = scenario_from_args(target="all", start="+2w")
    found = blocks_to_pass(plan, paths, None, shock, run_date=MONDAY)
    assert not found.passed
    assert found.summary == (
        "no set of orderable blocks passes: no candidate that "
        "training (in r1) may run on can be ordered in time for the horizon, but blocks of the "
        "classes it shares blocks with make room for it, power allowing; with unlimited "
        "blocks where their sites have power, the SLO is not restored within the horizon: no "
        "site in r1 has MW for them within the plan (power contracted today is energized at "
        "r1-a on 2027-02-02); blocks alone (their sites' power not counted) would pass"
    )


def test_a_search_out_of_runs_says_power_was_not_weighed() -> None:
    """With two simulation runs allowed, the plan's own and the gate spend them and the run
    without power limits is not made: the search says so in its notes instead of stopping
    with an error."""
    plan = _powered_plan(
        [_site("r1-a", [(date(2020, 1, 1), 1.0), (MONDAY + timedelta(days=21), 2.0)])],
        lead_weeks=2,
    )
    shock = scenario_from_args(target="class:batch", start="+1w")
    paths = _batch_paths(75.0, days=42)
    found = blocks_to_pass(plan, paths, None, shock, run_date=MONDAY, max_runs=2)
    assert (found.runs, found.power_binds) == (2, "")
    assert found.notes[-1].endswith("the search stopped at its simulation runs (max_runs)")


def test_a_set_that_waits_for_power_says_when_its_blocks_run() -> None:
    """Both racks land on day 7; r1-a powers one, r1-b has MW for the other from day 10: the
    set passes (batch doubles on day 14), and its notes say the second stands dark until
    day 10 where they read only "in service on" day 7."""
    sites = [_site("r1-a", [(date(2020, 1, 1), 1.1)])]
    sites.append(_site("r1-b", [(MONDAY + timedelta(days=10), 0.1)]))
    shock = scenario_from_args(target="class:batch", start="+2w")
    found = blocks_to_pass(
        _powered_plan(sites), _batch_paths(87.5, days=42), None, shock, run_date=MONDAY
    )
    assert found.passed
    assert (
        "1 x rack-50 in r1 ordered on 2026-01-05 lands on 2026-01-12 but stands dark until "
        "2026-01-15, when r1-b has its MW free"
    ) in found.notes


def test_power_contracted_today_is_dated_at_each_short_region_s_own_site() -> None:
    """Batch doubles in r1 and r2 alike. r1-a has MW for one more rack, r2-a none (its
    rack holds all of it, and its power comes 6 months after it is contracted, r1-a's 12):
    the answer named r2-a's date beside r1's racks ("MW for only 1 x rack-50 in r1 ...
    power contracted today is energized at r2-a on ...", ServeGen beside an ap-south site)
    and left r2 out. Each region now says its own."""
    plan = _powered_plan([_site("r1-a", [(date(2020, 1, 1), 1.1)])]).model_dump(
        mode="json", exclude_none=True
    )
    plan["block"].append(plan["block"][0] | {"id": "b", "region": "r2", "site": "r2-a"})
    plan["site"].append(
        _site("r2-a", [(date(2020, 1, 1), 1.0)]) | {"region": "r2", "power_lead_months": 6}
    )
    paths = pl.concat(
        [
            _batch_paths(87.5, days=42),
            _batch_paths(87.5, days=42).with_columns(unique_id=pl.lit("total/r2/batch/other")),
        ]
    )
    shock = scenario_from_args(target="class:batch", start="+2w")
    found = blocks_to_pass(CapacityPlan.model_validate(plan), paths, None, shock, run_date=MONDAY)
    assert not found.passed
    assert (
        "their sites have MW for only 1 x rack-50 in r1 within the plan and none in r2 "
        "(power contracted today is energized at r1-a on 2027-02-02, r2-a on 2026-08-02)"
    ) in found.summary


DENSE_100: dict[str, Any] = {
    **RACK_50, "name": "dense-100", "gpus": 100, "capex_usd": 6e6, "lead_time_weeks": 2,
}  # fmt: skip


def test_unlimited_blocks_of_two_types_share_their_sites_power_in_what_they_claim() -> None:
    """Batch at 125 GPUs doubles on day 7 over one 100-GPU rack. r1-a has 0.1 MW free, r1-b
    0.1 MW from day 21; rack-50 and dense-100 (both 0.1 MW) land on day 14. Each type's
    "unlimited" stand-ins took every site's whole MW, 0.2 MW on 0.1 at each: the answer read
    "the SLO holds from 2026-01-31", where dense-100 alone (the most GPUs any set of them can
    run) reads "not restored within the horizon". The date is said as a bound it is; the
    sites' counts as one type or the other."""
    block = {
        "id": "a", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
        "gpus": 100, "mw": 1.0, "status": "live",
    }  # fmt: skip
    sites = [
        _site("r1-a", [(date(2020, 1, 1), 1.1)]),
        _site("r1-b", [(MONDAY + timedelta(days=21), 0.1)]),
    ]

    def found(*candidates: dict[str, Any], level: float = 125.0, at: Any = sites) -> Any:
        plan = CapacityPlan.model_validate(
            {"policy": fluid_policies(), "block": [block], "candidate": list(candidates),
             "site": at}
        )  # fmt: skip
        shock = scenario_from_args(target="class:batch", start="+1w")
        return blocks_to_pass(plan, _batch_paths(level, days=42), None, shock, run_date=MONDAY)

    dense = found(DENSE_100)
    assert dense.restores_slo_on is None
    both = found({**RACK_50, "lead_time_weeks": 2}, DENSE_100)
    assert not both.passed and both.restores_slo_on is not None
    assert both.restores_at_earliest
    assert (
        f"the SLO holds from {both.restores_slo_on} at the earliest (each candidate type "
        "counted on its sites' whole free MW, more than they can run together: no set was "
        "measured to hold from then)"
    ) in both.summary
    # One type alone draws no more than its sites have: its date is measured.
    assert not found({**RACK_50, "lead_time_weeks": 1}).restores_at_earliest
    # Not restored: the sites' MW runs one rack of either type, not one of each.
    short = found({**RACK_50, "lead_time_weeks": 2}, DENSE_100, level=150.0, at=sites[:1])
    assert short.restores_slo_on is None
    assert "their sites have MW for only 1 x rack-50 or 1 x dense-100 in r1 within" in short.summary


def test_a_block_its_site_cannot_power_is_named_with_the_site_of_its_region_that_could() -> None:
    """Rack b (50 GPUs, 0.5 MW) is committed at r1-a from day 3, where rack a takes all 1.0 MW:
    it stands dark, and the drill counts it out, while r1-b in the same region has 1.0 MW free.
    Nothing said so: the drill moves no block and places no replacement at another site, and
    its notes now say which block stands dark, where it could run, and that it is not moved."""
    blocks = [
        {"id": "a", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
         "gpus": 100, "mw": 1.0, "status": "live"},
        {"id": "b", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
         "gpus": 50, "mw": 0.5, "status": "committed", "in_service": MONDAY + timedelta(3)},
    ]  # fmt: skip
    sites = [_site("r1-a", [(date(2020, 1, 1), 1.0)]), _site("r1-b", [(date(2020, 1, 1), 1.0)])]
    plan = CapacityPlan.model_validate(
        {"policy": fluid_policies(), "block": blocks, "candidate": [RACK_50], "site": sites}
    )
    shock = scenario_from_args(target="class:batch", start="+1w")
    result = run_drill(plan, _batch_paths(60.0, days=28), None, shock)
    assert (
        "b (50 GPUs, r1) stands dark at r1-a for want of its MW from 2026-01-08 to the drill "
        "window's end, and the drill counts it out: r1-b in r1 has its 0.5 MW free from then, "
        "but the drill neither moves it there nor places a replacement, so what it would "
        "serve there is not measured"
    ) in result.notes
    # With the MW for both racks at r1-a, nothing stands dark: nothing to say.
    roomy = sites[0] | {"energized": [{"on": date(2020, 1, 1), "mw": 1.5}]}
    powered = CapacityPlan.model_validate(
        {"policy": fluid_policies(), "block": blocks, "candidate": [RACK_50],
         "site": [roomy, sites[1]]}
    )  # fmt: skip
    lit = run_drill(powered, _batch_paths(60.0, days=28), None, shock)
    assert not any("stands dark" in note for note in lit.notes)


def test_two_dark_blocks_are_not_both_told_one_site_s_mw_is_theirs() -> None:
    """Racks b and c (0.5 MW each) are committed at r1-a, which rack a fills: both stand dark,
    and r1-b has 0.5 MW free, enough for one. Each note named r1-b's 0.5 MW for its rack, as
    if both could run there; the second now says r1-b's MW is named for b above."""
    blocks = [
        {"id": "a", "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
         "gpus": 100, "mw": 1.0, "status": "live"},
        *({"id": rack, "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
           "gpus": 50, "mw": 0.5, "status": "committed", "in_service": MONDAY + timedelta(3)}
          for rack in ("b", "c")),
    ]  # fmt: skip
    sites = [_site("r1-a", [(date(2020, 1, 1), 1.0)]), _site("r1-b", [(date(2020, 1, 1), 0.5)])]
    plan = CapacityPlan.model_validate(
        {"policy": fluid_policies(), "block": blocks, "candidate": [RACK_50], "site": sites}
    )
    shock = scenario_from_args(target="class:batch", start="+1w")
    notes = [
        n
        for n in run_drill(plan, _batch_paths(60.0, days=28), None, shock).notes
        if "stands dark" in n
    ]
    assert len(notes) == 2
    assert sum("r1-b in r1 has its 0.5 MW free" in note for note in notes) == 1
    assert any(
        note.startswith("c (50 GPUs, r1) stands dark at r1-a")
        and note.endswith(
            "no other site in r1 has its 0.5 MW free while it stands dark once the blocks "
            "named above have theirs (r1-b: b)"
        )
        for note in notes
    )


def test_a_lost_block_s_mw_powers_its_replacement_at_its_own_site() -> None:
    """Rack a (100 GPUs, 1.0 MW, all of r1-a's) fails on day 7 for good, and racks ordered today
    land that day. The search counted a's MW as still drawn, so no replacement could run at
    r1-a: "SLO not restored within the horizon even by unlimited blocks: no site in r1 has MW
    for them within the plan". From the loss on its MW is free (as for the site's dark blocks),
    and two racks there pass."""
    plan = _powered_plan([_site("r1-a", [(date(2020, 1, 1), 1.0)])])
    shock = scenario_from_args(multiplier=1.0, lose=("a@+1w",))
    found = blocks_to_pass(plan, _batch_paths(60.0, days=28), None, shock, run_date=MONDAY)
    assert found.passed, found.summary
    assert found.additions.select("region", "candidate", "count").rows() == [("r1", "rack-50", 2)]
    assert not any("stands dark" in note or "serves nothing" in note for note in found.notes)


def test_unlimited_blocks_take_the_site_of_their_region_that_powers_them_first() -> None:
    """r1-a has no MW free until its step to 101 MW on day 100, after the window; r1-b has
    0.2 MW free now. The unlimited stand-ins filled r1-a first (first by id, and it powers
    them all from day 100) and never reached r1-b: the answer read "SLO not restored within
    the horizon even by unlimited blocks: their sites have MW for more of them only when
    r1-a's energized MW step to 101 MW", where one rack at r1-b passes. Each site's power is
    taken by day, the earliest first."""
    sites = [
        _site("r1-a", [(date(2020, 1, 1), 1.0), (MONDAY + timedelta(days=100), 101.0)]),
        _site("r1-b", [(date(2020, 1, 1), 0.2)]),
    ]
    shock = scenario_from_args(target="class:batch", start="+2w")
    found = blocks_to_pass(
        _powered_plan(sites), _batch_paths(75.0, days=42), None, shock, run_date=MONDAY
    )
    assert found.passed, found.summary
    assert found.additions.select("candidate", "count").rows() == [("rack-50", 1)]
