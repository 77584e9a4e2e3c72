"""A drill verdict read off a share of Monte Carlo paths carries its sampling error."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hand_plans import flat_inference_paths, one_rack_plan
from scipy.stats import binomtest

from forecasting.capacity import CapacityPlan
from forecasting.drills import run_drill, scenario_from_args
from forecasting.drills.kpis import independent_paths, paths_to_settle, share_interval
from forecasting.drills.simulate import prepare_drill
from forecasting.runs.drills import resampled_paths
from forecasting.schema import (
    BORDERLINE,
    BORDERLINE_REACHES,
    FAILS_UNDER_SHOCK,
    FAILS_UNSHOCKED,
    PASS,
    borderline_classes,
)

MONDAY = date(2026, 1, 5)
DAYS = 14


def _plan() -> CapacityPlan:
    """One rack of 100 GPUs in r1; inference keeps 20 % free, so 80 GPUs hold its SLO."""
    return one_rack_plan(100, classes=["inference"], inference={"headroom": 0.2})


def _paths(levels: list[float]) -> pl.DataFrame:
    """One path per level: flat inference demand of that many GPUs every day."""
    return flat_inference_paths(levels, days=DAYS)


def _mixed(holding: int, short: int) -> pl.DataFrame:
    """``holding`` paths at 30-39 GPUs (60-78 doubled: under 80) and ``short`` at 45-49 (90-98
    doubled: over 80), each path its own level: the 2x shock holds inference's SLO on the
    first only."""
    return _paths(
        [30.0 + 9.0 * s / holding for s in range(holding)]
        + [45.0 + 4.0 * s / short for s in range(short)]
    )


def test_the_wilson_interval_and_the_paths_that_settle_it() -> None:
    """The interval is the Wilson score 95 % interval (scipy's, on whole counts), and the paths
    that settle a share are the fewest whose interval clears 90 %; a share on 90 % never does."""
    for k, n in ((180, 200), (178, 200), (200, 200), (0, 20), (19, 20)):
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        low, high = share_interval(k / n, n)
        assert (low, high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    settle = paths_to_settle(0.89, most=5000)
    assert settle is not None
    assert share_interval(0.89, settle)[1] < 0.9 <= share_interval(0.89, settle - 1)[1]
    assert paths_to_settle(0.9, most=5000) is None


def test_a_verdict_within_its_sampling_error_of_the_threshold_is_borderline() -> None:
    """The demo's drills read "pass" at one `--paths` and "fails under the shock" at another,
    each a plain verdict: the verdict reads whether 90 % of paths hold the SLO, and a share of
    a few hundred paths near 90 % moves by more than the step between them. Here 180 and 178
    of 200 paths hold under a 2x shock (90.0 % and 89.0 %): they read "pass" and "fails under
    the shock". Both are "borderline at 200 paths", say the class's interval and the paths
    that would settle it; 195 of 200 (97.5 %, interval 94.3-98.9 %) is a plain pass, and 20 of
    200 a plain fail."""
    plan = _plan()
    doubled = scenario_from_args(multiplier=2.0)
    shares = {}
    for holding, short in ((180, 20), (178, 22)):
        result = run_drill(plan, _mixed(holding, short), None, doubled)
        assert result.verdict == BORDERLINE
        share = holding / 200
        low, high = share_interval(share, 200)
        settle = paths_to_settle(share, most=5000)
        assert result.unverified == (
            f"borderline at 200 paths: pass or fails under the shock; inference in r1 reaches "
            f"its SLO target under the shock on {share:.1%} of paths, {short} of 200 short in "
            f"over 5% of its hours (95% interval "
            f"{low:.1%}-{high:.1%}; the verdict asks 90%); "
            + (
                "no forecast of up to 5,000 paths would settle it: it sits on its threshold, "
                "so read it as neither pass nor fail"
                if settle is None
                else f"about {settle:,} independent paths would settle it (`fleetcast forecast "
                f"--paths {settle}`, then the drill: a drill's --paths above the paths its "
                "forecast stored draws the same paths again)"
            )
        )
        shares[holding] = result.passed
        # A borderline verdict is not absorbed or passed in its time to absorb's words either.
        assert "passes its SLO" not in (result.absorb_text or "")
    assert shares == {180: True, 178: False}  # the point verdicts that read as plain before
    assert run_drill(plan, _mixed(195, 5), None, doubled).verdict == PASS
    assert run_drill(plan, _mixed(20, 180), None, doubled).verdict == FAILS_UNDER_SHOCK


def test_paths_drawn_again_weigh_as_the_independent_paths_they_repeat() -> None:
    """`--paths 2000` on a forecast that stored 200 draws the 200 again: an interval read as
    if on 2,000 independent paths settled a verdict the 200 leave open. The drill weighs them
    as Kish's effective count, says so, and stays borderline."""
    plan = _plan()
    stored = _mixed(178, 22)
    drawn = resampled_paths(stored, 2000, 0)
    demand = prepare_drill(plan, drawn, None, scenario_from_args(multiplier=2.0)).demand
    weight = independent_paths(demand)
    assert 170 < weight < 200  # about 1 / (1/200 + 1/2000) = 182
    result = run_drill(plan, drawn, None, scenario_from_args(multiplier=2.0))
    assert result.verdict == BORDERLINE
    assert result.unverified.startswith(
        f"borderline at 2,000 paths (they weigh as {weight:,.0f} independent ones: more paths "
        "than the forecast stored draw its paths again): "
    )
    distinct = prepare_drill(plan, stored, None, scenario_from_args(multiplier=2.0)).demand
    assert independent_paths(distinct) == 200


def test_a_borderline_drill_reads_so_on_every_page_and_in_the_download(tmp_path: Path) -> None:
    """A failing drill whose fail another draw of as many paths reads as a pass was counted
    among "drills failing" on the front page and in `report`'s summary, its row and SLO cell
    read "fails under the shock" and drills.csv "drill_passed false". It reads "borderline"
    now, with its interval and the paths that settle it, and is counted as such; the classes
    it does not name keep their verdicts."""
    from test_report import sample_inputs

    from forecasting.report import publish_report
    from forecasting.report.format import html_text
    from forecasting.report.pages import platform_page, run_index_page
    from forecasting.runs.reports import _failing_drills, _unverified_drills

    inputs = sample_inputs()
    name = inputs.drill_answers["drill"][0]
    classes = inputs.drill_verdicts.filter(pl.col("drill") == name)["workload_class"].to_list()
    named, other = classes[0], classes[1]
    why = (
        "borderline at 200 paths: pass or fails under the shock; "
        f"{named} in us-east{BORDERLINE_REACHES}under the shock on 89.0% of paths (95% "
        "interval 83.9%-92.6%; the verdict asks 90%); about 3,458 independent paths would "
        "settle it"
    )
    drill = pl.col("drill") == name
    answers = inputs.drill_answers.with_columns(
        verdict=pl.when(drill).then(pl.lit(BORDERLINE)).otherwise("verdict"),
        unverified=pl.when(drill).then(pl.lit(why)).otherwise("unverified"),
        passed=pl.when(drill).then(False).otherwise("passed"),
    )
    verdicts = inputs.drill_verdicts.with_columns(
        passed=pl.when(drill & (pl.col("workload_class") == named)).then(False).otherwise("passed")
    )
    borderline = replace(inputs, drill_answers=answers, drill_verdicts=verdicts)
    assert borderline_classes(why) == {named}
    platform = platform_page(borderline)
    # The verdict cell says the interval, the notes what would settle it (the whole reason
    # ran to nine lines in the cell): test_drill_borderline_answers reads the cell.
    assert html_text(f"{named} in us-east 89.0% of 200 paths (95% interval 83.9-92.6%") in platform
    assert html_text("about 3,458 independent paths would settle it") in platform
    badge = f'<span class="badge unknown">{BORDERLINE}</span>'
    assert platform.count(badge) == 2  # the drill's row and its named class's SLO cell
    front = run_index_page(borderline)
    # The front card reads the verdict cell's line, not the whole reason (the demo's ran to
    # 90 words in the "drills failing" card): the platform page's notes keep the rest.
    short = f"{named} in us-east 89.0% of 200 paths (95% interval 83.9-92.6%, asks 90%)"
    assert html_text(f"1 {BORDERLINE} ({name}: {short}; see Platform)") in front
    assert "independent paths would settle it" not in front
    assert name not in _failing_drills(borderline)
    assert f"{name}: {why}" in _unverified_drills(borderline)
    folder = publish_report(borderline, root=tmp_path)
    rows = pl.read_csv(folder / "drills.csv").filter(pl.col("drill") == name)
    assert rows["verdict"].eq(BORDERLINE).all() and rows["unverified"].eq(why).all()
    assert rows["drill_passed"].is_null().all()
    assert rows.filter(pl.col("workload_class") == named)["class_passed"].is_null().all()
    assert rows.filter(pl.col("workload_class") == other)["class_passed"].is_not_null().all()


def test_a_drill_that_fails_either_way_keeps_its_failure_and_says_which_is_open() -> None:
    """On the demo, 6 of 8 drills fail under the shock whatever the draw, while inference in
    us-east holds without the shock on 93.5 % of 200 paths (95 % interval 89.2-96.2 %): only
    whether the plan fails unshocked is open. Called "borderline", a drill that fails on every
    draw read as one that might pass; it keeps its failure and a note says which is open."""
    plan = _plan()
    calm_short = _paths(
        [30.0 + 9.0 * s / 178 for s in range(178)] + [85.0 + 4.0 * s / 22 for s in range(22)]
    )
    result = run_drill(plan, calm_short, None, scenario_from_args(multiplier=3.0))
    assert result.verdict == FAILS_UNSHOCKED and result.unverified == ""
    opened = [n for n in result.notes if n.startswith("which failure it is, is not settled: ")]
    assert len(opened) == 1
    assert "borderline at 200 paths: fails under the shock or plan fails unshocked; " in opened[0]
    assert "inference in r1 reaches its SLO target without the shock on 89.0% of paths" in opened[0]


def test_a_borderline_pass_is_not_said_to_pass_as_planned_on_the_terminal() -> None:
    """`fleetcast drill`'s answers table read "nothing: it passes as planned" beside a pass
    its paths did not settle; it says the verdict is borderline, and its verdict cell is the
    reason itself."""
    from flows.tables import _verdict, _would_pass_with
    from forecasting.runs.drills import DrillOutcome

    why = "borderline at 200 paths: pass or fails under the shock; ..."
    outcome = DrillOutcome(
        run_id="d-1", drill="delivery-slip", target="all", passed=True, failing_classes=[],
        breaking_multiplier=None, breaking_note=None, blocks_needed=None,
        capex_needed_usd=None, kpis=[], verdict=BORDERLINE, unverified=why,
    )  # fmt: skip
    assert _would_pass_with(outcome) == "not searched: borderline (see its verdict)"
    assert _verdict(outcome).plain == why


def test_a_borderline_verdict_cell_on_the_terminal_is_its_intervals_the_rest_below() -> None:
    """`make demo`'s verdicts table gave delivery-slip's borderline reason 19 lines of its
    verdict cell: the verdicts allowed, one class's interval twice (with and without the
    shock) and the command that would settle it. The cell reads the verdict and each class's
    share with its interval once, as the platform page's does; the rest is under the table,
    named by its drill."""
    from flows.tables import drill_tables
    from forecasting.runs.drills import DrillOutcome

    why = (
        "borderline at 200 paths: pass or fails under the shock or plan fails unshocked; "
        f"inference in us-east{BORDERLINE_REACHES}without the shock on 94.0% of paths (95% "
        "interval 89.8%-96.5%; the verdict asks 90%); "
        f"inference in us-east{BORDERLINE_REACHES}under the shock on 94.0% of paths (95% "
        "interval 89.8%-96.5%; the verdict asks 90%); about 217 independent paths would "
        "settle it (`fleetcast forecast --paths 217`, then the drill)"
    )
    outcome = DrillOutcome(
        run_id="d-1", drill="delivery-slip", target="all", passed=True, failing_classes=[],
        breaking_multiplier=None, breaking_note=None, blocks_needed=None,
        capex_needed_usd=None, kpis=[], verdict=BORDERLINE, unverified=why,
    )  # fmt: skip
    verdicts = drill_tables([outcome])[0]
    cell = str(next(iter(verdicts.columns[2]._cells)))
    assert cell == (
        f"{BORDERLINE}: inference in us-east 94.0% of 200 paths (95% interval 89.8-96.5%, asks 90%)"
    )
    assert str(verdicts.caption) == (
        "delivery-slip: borderline at 200 paths: pass or fails under the shock or plan fails "
        "unshocked; about 217 independent paths would settle it (`fleetcast forecast --paths "
        "217`, then the drill)"
    )
