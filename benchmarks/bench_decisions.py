"""How long a decision backtest takes: twelve monthly as-of replays on the demo fleet.

Issue 17 asks for twelve monthly as-of replays on the demo fleet in under 10 minutes on 2
cores. Builds the demo's synthetic fleet (730 days, 200 customers, seed 0) into a warehouse
under ``--work`` unless it is there already (synth, ingest, the events and the sample
contract book, as ``fleetcast demo`` loads them), then runs the direct backtest (a process
pool of ``--workers`` replays) and prints the wall time, the seconds per replay and the
verdict counts as JSON. The backtest is stored in that warehouse and its page published
under ``--work``/reports.

Run as ``python benchmarks/bench_decisions.py [--replays 12] [--every 28] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecasting import ingest, runs, synth, warehouse  # noqa: E402 - after the path insert
from forecasting.decisions import backtest_decisions  # noqa: E402
from forecasting.options import DecisionOptions  # noqa: E402
from forecasting.resources import sample_contracts  # noqa: E402


def demo_warehouse(work: Path) -> tuple[Path, Path]:
    """The demo fleet's warehouse and plan under ``work``, built once."""
    path, folder = work / "warehouse.duckdb", work / "fleet"
    if path.is_file():
        return path, folder / "capacity.toml"
    written = synth.write_fleet(synth.synthetic_fleet(days=730, customers=200, seed=0), folder)
    with warehouse.connect(path) as wh:
        for file in written:
            if file.parent.name == "telemetry":
                ingest.ingest_file(wh, file)
    runs.load_events_file(folder / "events.csv", path)
    book = folder / "contracts.toml"
    book.write_bytes(sample_contracts().read_bytes())
    runs.load_contracts_file(book, path)
    return path, folder / "capacity.toml"


def main() -> int:
    """Build the warehouse if needed, time the backtest and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/fleetcast-bench/decisions"))
    parser.add_argument("--replays", type=int, default=12)
    parser.add_argument("--every", type=int, default=28, help="days between as-of days")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    path, capacity = demo_warehouse(args.work)
    with warehouse.connect(path, read_only=True) as wh:
        last = wh.query("SELECT max(ts)::DATE AS d FROM telemetry").item()
    # The last replay leaves 26 weeks of data to judge it against.
    until = last - timedelta(days=182)
    first = until - timedelta(days=args.every * (args.replays - 1))
    options = DecisionOptions(
        first_as_of=first, every_days=args.every, until=until, workers=args.workers
    )
    from flows.direct import backtest_decisions as direct

    started = time.perf_counter()
    run = (
        direct(path, capacity, args.work / "reports", options)
        if args.workers > 1
        else backtest_decisions(path, capacity, options, reports_path=args.work / "reports")
    )
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "run_id": run.run_id,
                "replays": len(run.as_ofs),
                "as_ofs": [str(d) for d in (run.as_ofs[0], run.as_ofs[-1])],
                "data_end": str(run.data_end),
                "workers": args.workers,
                "wall_s": round(wall, 1),
                "s_per_replay": round(wall / len(run.as_ofs), 1),
                "under_10_min": wall < 600,
                "counts": run.counts,
                "unmet_gpu_hours": round(run.unmet_gpu_hours),
                "revenue_lost_usd": run.revenue_lost_usd,
                "idle_gpu_months": round(run.idle_gpu_months),
                "idle_capital_usd": round(run.idle_capital_usd),
                "page": str(run.page),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
