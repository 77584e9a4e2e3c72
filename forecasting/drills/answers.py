"""The two questions a drill is run to answer: what would make it pass, and where it breaks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from forecasting.capacity import Block, CandidateBlock, CapacityPlan
from forecasting.drills.kpis import DrillResult
from forecasting.drills.scenarios import Scenario
from forecasting.drills.simulate import Engine, PreparedDrill, prepare_drill
from forecasting.schema import BlockStatus, frame_schema

__all__ = [
    "ADDITIONS_SCHEMA",
    "BlocksToPass",
    "BreakingPoint",
    "blocks_to_pass",
    "breaking_multiplier",
]

ADDITIONS_SCHEMA = frame_schema("drill_additions")


@dataclass(frozen=True, slots=True)
class BlocksToPass:
    """Candidate blocks that make the drill pass, and the drill re-run with them.

    ``additions`` has one row per (region, candidate) with ``count`` blocks ordered on the run
    date (ADDITIONS_SCHEMA). ``passed`` is False when no set within ``max_blocks`` passes;
    ``notes`` then says why (typically: the shock starts before any block can arrive).
    """

    passed: bool
    baseline_passed: bool
    additions: pl.DataFrame
    capex_usd: float
    result: DrillResult
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BreakingPoint:
    """The smallest shock multiplier found to fail, bracketed to ``tolerance``.

    ``multiplier`` is None when the drill still passes at ``high``; equal to ``low`` when it
    already fails there. ``last_passing`` is the largest multiplier seen to pass.
    """

    multiplier: float | None
    last_passing: float | None
    low: float
    high: float
    tolerance: float
    evaluations: int
    note: str


def _shortfall(result: DrillResult) -> tuple[float, float]:
    """How far a result is from passing: SLO gap summed over classes, then unmet GPU-hours."""
    gap = (result.verdicts["slo_target"] - result.verdicts["attainment_p90_paths"]).clip(0.0)
    return float(gap.sum()), result.kpi("all", "unmet_gpu_hours")


def _ordered(candidate: CandidateBlock, region: str, run_date: date, serial: int) -> Block:
    """The block that ``candidate`` becomes when ordered on ``run_date`` for ``region``."""
    return Block(
        id=f"new-{region}-{candidate.name}-{serial}",
        kind=candidate.kind,
        region=region,
        site=f"{region}-new",
        gpu_type=candidate.gpu_type,
        gpus=candidate.gpus,
        mw=candidate.mw,
        status=BlockStatus.COMMITTED,
        in_service=run_date + timedelta(weeks=candidate.lead_time_weeks),
        fabric=candidate.fabric,
        classes=candidate.classes,
    )


def _additions(
    chosen: list[tuple[str, CandidateBlock]], run_date: date, shock_start: date
) -> pl.DataFrame:
    counts: dict[tuple[str, str], tuple[CandidateBlock, int]] = {}
    for region, candidate in chosen:
        _, count = counts.get((region, candidate.name), (candidate, 0))
        counts[(region, candidate.name)] = (candidate, count + 1)
    rows = []
    for (region, name), (c, count) in sorted(counts.items()):
        arrival = run_date + timedelta(weeks=c.lead_time_weeks)
        rows.append(
            (
                region,
                name,
                c.kind.value,
                c.gpu_type,
                count,
                c.gpus * count,
                c.mw * count,
                c.capex_usd * count,
                run_date,
                arrival,
                arrival <= shock_start,
            )
        )
    return pl.DataFrame(rows, schema=ADDITIONS_SCHEMA, orient="row")


def _late_notes(additions: pl.DataFrame, shock_start: date) -> list[str]:
    late = additions.filter(~pl.col("arrives_before_shock"))
    return [
        f"{row['count']} x {row['candidate']} in {row['region']} ordered on {row['order_by']} "
        f"is in service on {row['in_service']}, after the shock starts on {shock_start}: "
        "the hours before it arrive are not covered"
        for row in late.iter_rows(named=True)
    ]


def blocks_to_pass(
    plan: CapacityPlan,
    paths: pl.DataFrame,
    profile: pl.DataFrame | None,
    scenario: Scenario,
    *,
    run_date: date,
    max_blocks: int = 16,
    engine: Engine = "kernel",
) -> BlocksToPass:
    """The candidate blocks, per region, that make ``scenario`` pass, found greedily.

    Every block is ordered on ``run_date`` and enters service after its lead time. Each step
    tries one more block of every (region, candidate type) that may be ordered there, keeps
    the one that most reduces the SLO gap (then unmet GPU-hours; ties go to the cheaper,
    then smaller block), and stops when the drill passes, when no block helps, or at
    ``max_blocks``. Greedy is not guaranteed minimal, but each step is the best single
    addition, and a drill rarely needs more than a few blocks.
    """
    drill: PreparedDrill = prepare_drill(plan, paths, profile, scenario)
    current = baseline = drill.run(engine=engine)
    options = [
        (region, c)
        for region in drill.demand.regions
        for c in plan.candidate
        if c.available_in(region)
    ]
    chosen: list[tuple[str, CandidateBlock]] = []
    extra: list[Block] = []
    notes: list[str] = []
    while not current.passed and len(chosen) < max_blocks and options:
        trials = []
        for region, candidate in options:
            block = _ordered(candidate, region, run_date, len(chosen) + 1)
            result = drill.run(extra_blocks=[*extra, block], engine=engine, curves=False)
            rank = (_shortfall(result), candidate.capex_usd, candidate.gpus, region, candidate.name)
            trials.append((rank, region, candidate, block, result))
        rank, region, candidate, block, result = min(trials, key=lambda trial: trial[0])
        if rank[0] >= _shortfall(current):
            notes.append("no further candidate block improves the drill")
            break
        chosen.append((region, candidate))
        extra.append(block)
        current = result
    if not options:
        notes.append("the plan lists no candidate block that can be ordered for these regions")
    additions = _additions(chosen, run_date, baseline.shock_start)
    notes += _late_notes(additions, baseline.shock_start)
    if not current.passed and len(chosen) >= max_blocks:
        notes.append(f"still failing after {max_blocks} blocks (max_blocks)")
    return BlocksToPass(
        passed=current.passed,
        baseline_passed=baseline.passed,
        additions=additions,
        capex_usd=float(additions["capex_usd"].sum()),
        result=current,
        notes=tuple(notes),
    )


def breaking_multiplier(
    plan: CapacityPlan,
    paths: pl.DataFrame,
    profile: pl.DataFrame | None,
    scenario: Scenario,
    *,
    low: float = 1.0,
    high: float = 4.0,
    tolerance: float = 0.05,
    engine: Engine = "kernel",
) -> BreakingPoint:
    """The smallest multiplier of ``scenario``'s shock at which today's plan fails.

    Bisection on [low, high], assuming failure is monotone in the multiplier (more demand never
    helps); stops when the bracket is narrower than ``tolerance`` and returns its upper end.
    """
    if not 0 < low < high or tolerance <= 0:
        raise ValueError(f"need 0 < low < high and tolerance > 0; got {low}, {high}, {tolerance}")
    drill = prepare_drill(plan, paths, profile, scenario)
    evaluations = 0

    def passes(multiplier: float) -> bool:
        nonlocal evaluations
        evaluations += 1
        return drill.run(multiplier=multiplier, engine=engine, curves=False).passed

    def point(found: float | None, passing: float | None, note: str) -> BreakingPoint:
        return BreakingPoint(found, passing, low, high, tolerance, evaluations, note)

    if not passes(low):
        return point(low, None, f"fails already at the lower bound {low:g}x")
    if passes(high):
        return point(None, high, f"still passes at the upper bound {high:g}x")
    passing, failing = low, high
    while failing - passing > tolerance:
        middle = (passing + failing) / 2
        if passes(middle):
            passing = middle
        else:
            failing = middle
    return point(failing, passing, f"fails from {failing:.4g}x (passes at {passing:.4g}x)")
