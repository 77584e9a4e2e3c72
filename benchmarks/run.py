"""`make bench`: every benchmark in its own process, then one summary.

Each benchmark reports ratios against a baseline measured in the same run (DuckDB's raw
load, Nixtla statsforecast, a plain Python loop), so figures compare across machines.
Results go to benchmarks/results/*.json. Sizes can be cut for a quick look:
    python benchmarks/run.py --quick
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def _run(args: list[str], *, env: dict[str, str] | None = None) -> None:
    print(f"\n$ {' '.join(args)}", flush=True)
    subprocess.run(args, check=True, cwd=ROOT, env={**os.environ, **(env or {})})


def demo_seconds() -> dict[str, float]:
    """Wall time of `fleetcast demo` from an empty warehouse and a fresh Prefect home."""
    with tempfile.TemporaryDirectory(prefix="fleetcast-demo-bench-") as tmp:
        env = {**os.environ, "PREFECT_HOME": str(Path(tmp) / "prefect")}
        started = time.perf_counter()
        subprocess.run(
            [
                str(Path(sys.executable).with_name("fleetcast")),
                "demo",
                "--warehouse",
                str(Path(tmp) / "warehouse.duckdb"),
                "--reports",
                str(Path(tmp) / "reports"),
            ],
            check=True,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        return {"demo_seconds": time.perf_counter() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    rows = "1000000" if args.quick else "10000000"
    series = "100" if args.quick else "1000"
    _run(
        [
            python,
            "benchmarks/bench_ingest.py",
            "--rows",
            rows,
            "--out",
            str(RESULTS / "ingest.json"),
        ]
    )
    _run(
        [
            python,
            "benchmarks/bench_forecast.py",
            "--series",
            series,
            "--out",
            str(RESULTS / "forecast.json"),
        ],
        env={"OPENBLAS_NUM_THREADS": "1"},
    )
    _run([python, "benchmarks/bench_drills.py", "--out", str(RESULTS / "drills.json")])
    # A failing drill's answers searched from the played drill against from scratch.
    _run([python, "benchmarks/bench_drill_answers.py", "--paths", "50" if args.quick else "200"])
    # The plan past the lead times: growth models on their own, then their cost against the
    # forecast step (ratio in one run), then twelve decision replays (4 with --quick).
    _run([python, "benchmarks/bench_longrange.py", "--out", str(RESULTS / "longrange.json")])
    _run([python, "benchmarks/bench_horizon.py"], env={"OPENBLAS_NUM_THREADS": "1"})
    _run([python, "benchmarks/bench_decisions.py", "--replays", "4" if args.quick else "12"])
    # Bridges to a newer generation: capital with them over without, and their time.
    _run([python, "benchmarks/bench_bridges.py", "--plans", "40" if args.quick else "400"])
    # The CLI's fixed cost: a one-row ingest against a bare interpreter's imports.
    _run([python, "benchmarks/bench_cli_startup.py", "--out", str(RESULTS / "cli_startup.json")])
    demo = demo_seconds()
    (RESULTS / "demo.json").write_text(json.dumps(demo, indent=2), encoding="utf-8")
    print(
        f"\nfleetcast demo from an empty warehouse: {demo['demo_seconds']:.0f} s (target < 120 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
