"""Do drill verdicts move with ``--paths`` and ``--seed``? (session 63)

Plays each ready-made drill (no answers) on the path sets ``fleetcast drill --paths N --seed S``
would play on the newest forecast run of a warehouse, and prints per drill the plain verdict
the pass/fail rule alone gives ("before") and the verdict as stored now ("after": borderline
where the paths' sampling error allows both a pass and a fail), with the reason.

    PYTHONPATH=. python benchmarks/drill_verdict_flips.py WAREHOUSE CAPACITY "200:0 500:0,1,2,3"

``ONLY=a,b`` plays those drills alone. On a loaded 2-core machine the demo's eight drills take
one to nine minutes per path set.
"""

from __future__ import annotations

import collections
import os
import sys
import time
from pathlib import Path

import polars as pl

from forecasting import warehouse
from forecasting.capacity import load_capacity
from forecasting.options import DrillOptions
from forecasting.runs import drills as rd
from forecasting.schema import FAILS_UNDER_SHOCK, FAILS_UNSHOCKED, PASS


def main(warehouse_path: Path, capacity: Path, spec: str) -> None:
    """Print each drill's verdicts over the path sets ``spec`` names ("N:S,S N:S")."""
    plan = load_capacity(capacity)
    options = DrillOptions(answers="none")
    scenarios = rd.drill_scenarios(options)
    if only := os.environ.get("ONLY"):
        scenarios = [s for s in scenarios if s.name in only.split(",")]
    inputs = rd.drill_inputs(
        warehouse_path, None, None, 0, customers=rd.drilled_customers(scenarios)
    )
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        sample = wh.run_frame("forecast_paths", inputs.forecast.run_id)
    sample = sample.with_columns(pl.col("y").cast(pl.Float64))
    table: dict[str, dict[str, str]] = collections.defaultdict(dict)
    for part in spec.split():
        count, seeds = part.split(":")
        for seed in seeds.split(","):
            paths = rd.resampled_paths(sample, int(count), int(seed))
            started = time.perf_counter()
            for scenario in scenarios:
                played = rd.play_drill(
                    plan, paths, inputs.shapes, scenario, as_of=inputs.forecast.as_of,
                    options=options, fold=inputs.folds.get(scenario.target.name or ""),
                    book_only=inputs.book_only,
                )  # fmt: skip
                if isinstance(played, rd.DrillNotPlayed):
                    table[scenario.name][f"{count}/{seed}"] = "not played => not played"
                    continue
                r = played.result
                calm = r.baseline is None or r.baseline.passed
                plain = FAILS_UNSHOCKED if not calm else PASS if r.passed else FAILS_UNDER_SHOCK
                said = f" [{r.unverified}]" if r.unverified else ""
                table[scenario.name][f"{count}/{seed}"] = f"{plain} => {r.verdict}{said}"
            print(f"# {count} paths, seed {seed}: {time.perf_counter() - started:.0f} s")
    for name, row in table.items():
        before = collections.Counter(v.split(" => ")[0] for v in row.values())
        after = collections.Counter(v.split(" => ")[1].split(" [")[0] for v in row.values())
        print(f"{name}: before {dict(before)}; after {dict(after)}")
        for key, verdict in row.items():
            print(f"    {key}: {verdict}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
