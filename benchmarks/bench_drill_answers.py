"""Benchmark a drill with its answers: searched from scratch against from the played drill.

A failing drill is followed by two searches, the breaking multiplier and blocks to pass. Each
used to prepare the drill again and simulate runs the drill had just made: the shocked run at
the scenario's own multiplier (blocks-to-pass's first step) and the bisection's steps that run
bounds (a drill failing at 2x fails at 4x and 2.5x). ``runs.play_drill`` now prepares once and
hands the played drill to both. Both ways run here, in one process, on the synthetic fleet of
``bench_drills.py`` (three regions, 50 blocks, a response ladder) at ``--paths`` x 26 weeks,
for three ready-made drills that fail there; the answers must be the same, and the figure is
the ratio of the two times. Run as ``python benchmarks/bench_drill_answers.py [--paths 200]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_drills import (  # noqa: E402  - after the path above
    START,
    synthetic_paths,
    synthetic_plan,
    synthetic_shapes,
)
from forecasting.drills import (  # noqa: E402
    blocks_to_pass,
    breaking_multiplier,
    load_scenarios,
    prepare_drill,
    run_drill,
)
from forecasting.resources import ready_made_drills  # noqa: E402

# The ready-made drills that fail on this fleet (a passing drill searches nothing).
DRILLS = ("all-2x", "inference-2x", "training-2x")


def answers(*, reuse: bool, name: str, paths: int) -> tuple[float, int, tuple[Any, ...]]:
    """Seconds and simulation runs of one drill and its two searches, and what they
    answered. The runs count is the figure a shared machine cannot blur: every run of the
    kernel costs about the same."""
    plan = synthetic_plan()
    scenario = load_scenarios(ready_made_drills())[name]
    shapes = synthetic_shapes()
    sample = synthetic_paths(paths, 26 * 7)
    tic = time.perf_counter()
    if reuse:
        drill = prepare_drill(plan, sample, shapes, scenario)
        result = drill.play()
        prepared = drill
    else:
        result = run_drill(plan, sample, shapes, scenario)
        prepared = None
    if result.passed:
        raise SystemExit(f"{name} passes on this fleet: it has no answers to search")
    point = breaking_multiplier(plan, sample, shapes, scenario, prepared=prepared)
    search = blocks_to_pass(
        plan, sample, shapes, scenario, run_date=START, max_blocks=32, prepared=prepared
    )
    seconds = time.perf_counter() - tic
    added = tuple(search.additions.select("candidate", "region", "count").rows())
    # The drill itself: baseline, shocked and (this plan has a ladder) shocked with the ladder.
    simulations = 3 + point.evaluations + search.runs
    return seconds, simulations, (point.multiplier, point.last_passing, search.passed, added)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=200)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "drill_answers.json"
    )
    args = parser.parse_args(argv)
    # Compile (or load) the kernel before either way is timed.
    answers(reuse=True, name=DRILLS[0], paths=2)
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(DRILLS):
        # Alternate which way runs first: on a shared machine the first of two runs is often
        # the slower one.
        if i % 2:
            reused_s, reused_n, reused = answers(reuse=True, name=name, paths=args.paths)
            scratch_s, scratch_n, scratch = answers(reuse=False, name=name, paths=args.paths)
        else:
            scratch_s, scratch_n, scratch = answers(reuse=False, name=name, paths=args.paths)
            reused_s, reused_n, reused = answers(reuse=True, name=name, paths=args.paths)
        if scratch != reused:
            raise SystemExit(f"{name}: the answers differ: {scratch} against {reused}")
        rows.append(
            {"drill": name, "from_scratch_s": scratch_s, "from_played_s": reused_s,
             "ratio": reused_s / scratch_s, "from_scratch_runs": scratch_n,
             "from_played_runs": reused_n, "answers": repr(reused)}
        )  # fmt: skip
        print(
            f"{name:<20} from scratch {scratch_s:6.1f} s, {scratch_n:2d} runs, 3 preparations"
            f"   from the played drill {reused_s:6.1f} s, {reused_n:2d} runs, 1 preparation"
            f"   {reused_s / scratch_s:.2f}x   {reused}",
            flush=True,
        )
    total = sum(r["from_played_s"] for r in rows) / sum(r["from_scratch_s"] for r in rows)
    n_ratio = sum(r["from_played_runs"] for r in rows) / sum(r["from_scratch_runs"] for r in rows)
    print(f"all {len(rows)} drills: {total:.2f}x the time, {n_ratio:.2f}x the runs, same answers")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"paths": args.paths, "drills": rows, "ratio": total, "runs_ratio": n_ratio}
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
