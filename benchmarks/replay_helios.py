"""Replay Helios Earth, May 2020, at factor 1 against its VC quota plan; print the per-VC table.

DOMAIN.md's check of a simulator: played against the capacity really in service, with no
shock, it should reproduce the queues really observed. Each VC's observed level (GPUs running
plus pending, both job-size splits merged into one deferrable class, hourly) runs through the
drill kernel on its own quota blocks (``helios_capacity_toml``, status as of 2020-05-31); the
table compares the kernel's hourly backlog with the observed pending GPUs, per VC and overall.
The work follows the training policy (deferrable, waits up to 24 h); its mean job length sets
how fast running work ends, so the script also sweeps it (``--job-hours``; the table is printed
for the first). Run as ``python benchmarks/replay_helios.py [--traces DIR] [--job-hours 2 48]``;
the traces folder defaults to FLEETCAST_TRACES (../shared/data beside the repository).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecasting.capacity import parse_capacity  # noqa: E402
from forecasting.drills.replay import replay_error, replay_levels  # noqa: E402
from forecasting.schema import WorkloadClass  # noqa: E402
from forecasting.settings import settings  # noqa: E402
from forecasting.traces.helios import (  # noqa: E402
    HeliosOptions,
    helios_capacity_toml,
    scan_helios,
)

MINUTES = "helios_earth_vc_minute_2020-05.csv.gz"
QUOTAS = "helios_earth_vc_gpu_capacity_daily.csv"


def main() -> int:
    """Replay the trace, print the per-VC table and the overall figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=Path, default=None, help="folder with the Helios files")
    parser.add_argument(
        "--job-hours",
        type=float,
        nargs="+",
        default=[48.0, 12.0, 4.0, 2.0, 1.0],
        help="mean job lengths to replay with (48 h is the training default)",
    )
    args = parser.parse_args()
    traces = args.traces or settings().traces
    training = WorkloadClass.TRAINING
    merged = {"noless_8": training, "less_8": training}
    telemetry = scan_helios(traces / MINUTES, HeliosOptions(size_classes=merged)).collect()
    levels = telemetry.group_by("ts", "region", "customer").agg(
        pl.col("gpus_running").sum(), pl.col("gpus_queued").sum()
    )
    plan = parse_capacity(helios_capacity_toml(traces / QUOTAS, as_of=date(2020, 5, 31)))
    for n, hours in enumerate(args.job_hours):
        policy = plan.policy[training].model_copy(update={"mean_job_hours": hours})
        started = time.perf_counter()
        replayed = replay_levels(
            plan.model_copy(update={"policy": {**plan.policy, training: policy}}), levels
        )
        table = replay_error(replayed)
        seconds = time.perf_counter() - started
        seen = replayed.filter(pl.col("observed"))
        mae = float((seen["simulated_backlog"] - seen["observed_queued"]).abs().mean())  # type: ignore[arg-type]
        pending = float(seen["observed_queued"].mean())  # type: ignore[arg-type]
        queued = table.filter(pl.col("observed_queued_mean") > 0)
        if n == 0:
            with pl.Config(tbl_rows=60, tbl_cols=20, tbl_width_chars=220, float_precision=2):
                print(table.drop("region"))
            print(f"{table.height} VCs x {seen['ts'].n_unique()} observed hours")
        print(
            f"mean job {hours:g} h: MAE {mae:.2f} GPUs against a mean of {pending:.2f} pending "
            f"GPUs per VC-hour ({mae / pending:.0%}); median per-VC relative MAE over the "
            f"{queued.height} VCs that queued {queued['mae_relative'].median():.0%} "
            f"(replayed in {seconds:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
