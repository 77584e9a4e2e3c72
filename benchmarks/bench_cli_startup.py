"""The CLI's fixed cost: a one-row `fleetcast ingest` (imports, settings, warehouse migrations)
against a bare interpreter that imports the libraries every command needs (polars, duckdb,
pydantic, rich), each in a fresh process, median of ``--repeats``.

With ``--before PATH`` (another checkout, e.g. the main branch's) the same command runs from
that tree too, interleaved with this one's so that load on the machine hits both alike; the
ratio this/before is the change's effect. Run:
    python benchmarks/bench_cli_startup.py [--before /path/to/checkout] [--repeats 7]
        [--out benchmarks/results/cli_startup.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW = "2025-03-01T00:00:00Z,eu-west,c1,inference,acme,H100,10,1"
HEADER = "ts,region,cluster,workload_class,customer,gpu_type,gpus_running,gpus_queued"
BARE = "import polars, duckdb, pydantic, rich"


def _seconds(args: list[str], *, tree: Path, home: Path) -> float:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLEETCAST_", "PREFECT_API"))},
        "PYTHONPATH": str(tree),
        "PREFECT_HOME": str(home),
    }
    started = time.perf_counter()
    subprocess.run(args, check=True, cwd=tree, env=env, capture_output=True)
    return time.perf_counter() - started


def ingest_seconds(tree: Path, folder: Path, i: int) -> float:
    """Wall time of a one-row `fleetcast ingest` into a new warehouse, from ``tree``."""
    csv = folder / "one.csv"
    if not csv.exists():
        csv.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    warehouse = folder / f"w{i}-{tree.name}.duckdb"
    command = [sys.executable, "-m", "flows.cli", "ingest", str(csv), "--warehouse", str(warehouse)]
    return _seconds(command, tree=tree, home=folder / "prefect")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, help="another checkout to compare against")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    trees = {"this": ROOT, **({"before": args.before.resolve()} if args.before else {})}
    times: dict[str, list[float]] = {"bare": [], **{name: [] for name in trees}}
    with tempfile.TemporaryDirectory(prefix="fleetcast-cli-bench-") as tmp:
        folder = Path(tmp)
        for tree in trees.values():  # warm the file cache and the .pyc files, unmeasured
            ingest_seconds(tree, folder, -1)
        for i in range(args.repeats):
            times["bare"].append(_seconds([sys.executable, "-c", BARE], tree=ROOT, home=folder))
            for name, tree in trees.items():
                times[name].append(ingest_seconds(tree, folder, i))
    medians = {name: statistics.median(values) for name, values in times.items()}
    result: dict[str, float] = {f"{name}_seconds": value for name, value in medians.items()}
    result["this_over_bare"] = medians["this"] / medians["bare"]
    print(f"bare interpreter ({BARE}): {medians['bare']:.2f} s")
    print(f"one-row ingest, this tree: {medians['this']:.2f} s ({result['this_over_bare']:.2f}x)")
    if "before" in medians:
        result["before_over_bare"] = medians["before"] / medians["bare"]
        result["this_over_before"] = medians["this"] / medians["before"]
        print(
            f"one-row ingest, {trees['before']}: {medians['before']:.2f} s "
            f"({result['before_over_bare']:.2f}x); this/before {result['this_over_before']:.2f}"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
