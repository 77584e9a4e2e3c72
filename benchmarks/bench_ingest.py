"""Ingest throughput: validated fleetcast ingest vs DuckDB's own raw load of the same file.

Telemetry as Parquet and CSV (DuckDB loads it as is), and an Azure LLM request log of as many
requests through the azure-llm adapter (DuckDB sums it to hours: requests and tokens).

Each measurement runs in a fresh process so its peak RSS is its own. Then, where the public
traces are found ($FLEETCAST_TRACES, else ../shared/data), each adapter's one-pass ``read``
against its ``scan`` and ``report`` (how ingest read a trace before: three passes over a Helios
file, three over ServeGen, two over an Azure log). Run:
    python benchmarks/bench_ingest.py [--rows 10000000] [--out benchmarks/results/ingest.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
CLASSES = ["training", "inference", "evaluation", "batch", "experimentation"]


def write_inputs(rows: int, folder: Path) -> dict[str, Path]:
    """A realistic telemetry file of ``rows`` unique hourly keys, as Parquet and as CSV."""
    keys = 2_000
    hours = -(-rows // keys)
    rng = np.random.default_rng(0)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    frame = (
        pl.DataFrame({"k": np.arange(keys)})
        .join(pl.DataFrame({"h": np.arange(hours)}), how="cross")
        .head(rows)
        .with_columns(
            (pl.lit(start) + pl.duration(hours=pl.col("h"))).dt.cast_time_unit("us").alias("ts"),
            pl.format("region-{}", pl.col("k") % 3).alias("region"),
            pl.format("cluster-{}", pl.col("k") % 7).alias("cluster"),
            pl.lit(pl.Series(CLASSES)).gather(pl.col("k") % 5).alias("workload_class"),
            pl.format("cust-{}", pl.col("k") // 5).alias("customer"),
            pl.lit("H100").alias("gpu_type"),
            pl.Series("gpus_running", rng.uniform(0, 500, rows).round(2)),
            pl.Series("gpus_queued", rng.uniform(0, 20, rows).round(2)),
        )
        .drop("k", "h")
    )
    paths = {
        "parquet": folder / "t.parquet",
        "csv": folder / "t.csv",
        "azure-llm": folder / "AzureLLMInferenceTrace_code_1week.csv",
    }
    frame.write_parquet(paths["parquet"])
    frame.with_columns(pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).write_csv(paths["csv"])
    write_request_log(rows, paths["azure-llm"], rng=rng)
    return paths


def write_request_log(rows: int, path: Path, *, rng: np.random.Generator) -> None:
    """An Azure LLM request log shaped like the 2024 week files: a request a row, over 7 days."""
    start = np.datetime64("2024-05-10T00:00:00", "us")
    arrivals = start + np.sort(rng.integers(0, 7 * 86_400 * 10**6, rows)).astype("timedelta64[us]")
    pl.DataFrame(
        {
            "TIMESTAMP": pl.Series(arrivals).dt.strftime("%Y-%m-%d %H:%M:%S%.6f+00:00"),
            "ContextTokens": rng.integers(10, 8_000, rows),
            "GeneratedTokens": rng.integers(1, 500, rows),
        }
    ).write_csv(path)


def child(kind: str, fmt: str, path: Path, db: Path) -> dict[str, float]:
    """One measurement in this process: load ``path`` the ``kind`` way; seconds and peak RSS."""
    import duckdb

    from forecasting import ingest, warehouse

    start = time.perf_counter()
    if kind == "duckdb":
        con = duckdb.connect(str(db))
        reader = (
            "read_parquet($1)"
            if fmt == "parquet"
            else "read_csv($1, delim=',', quote='\"', header=true, auto_detect=false, columns={"
            "'ts':'TIMESTAMPTZ','region':'VARCHAR','cluster':'VARCHAR','workload_class':'VARCHAR',"
            "'customer':'VARCHAR','gpu_type':'VARCHAR','gpus_running':'DOUBLE','gpus_queued':'DOUBLE'})"
        )
        if fmt == "azure-llm":
            reader = (
                "(SELECT date_trunc('hour', TIMESTAMP::TIMESTAMPTZ) AS ts, count(*) AS requests, "
                "sum(ContextTokens + GeneratedTokens) AS tokens FROM read_csv($1, header=true, "
                "auto_detect=false, columns={'TIMESTAMP':'VARCHAR','ContextTokens':'BIGINT',"
                "'GeneratedTokens':'BIGINT'}) GROUP BY 1)"
            )
        con.execute(f"CREATE TABLE raw AS SELECT * FROM {reader}", [str(path)])  # noqa: S608 - constant
        con.close()
    else:
        with warehouse.connect(db) as wh:
            result = ingest.ingest_file(
                wh, path, file_format="azure-llm" if fmt == "azure-llm" else None
            )
            assert result.status == "loaded", result.message
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_rss_mib": peak_rss_mib(),
    }


def peak_rss_mib() -> float:
    """This process's own peak RSS.

    Not ``getrusage``: Linux carries ru_maxrss across exec, so a child forked from a parent
    holding the generated frame would report the parent's peak. VmHWM starts afresh at exec.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, fmt: str, path: Path, folder: Path) -> dict[str, float]:
    db = folder / f"{kind}-{fmt}.duckdb"
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, fmt, str(path), str(db)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    db.unlink(missing_ok=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


REAL_TRACES = {
    "helios": "helios_earth_vc_minute_2020-05.csv.gz",
    "servegen": "servegen_client_rates_10min.csv.gz",
    "azure-llm": "AzureLLMInferenceTrace_conv_2023.csv",
}


def trace_reads(*, repeats: int = 3) -> list[dict[str, float | str]]:
    """Median seconds of each real trace's one-pass ``read`` and of ``scan`` + ``report``."""
    import statistics

    from forecasting.settings import settings
    from forecasting.traces import ADAPTERS

    found = []
    for name, file in REAL_TRACES.items():
        path = settings().traces / file
        if not path.is_file():
            continue
        adapter = ADAPTERS[name]
        apart, together = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            adapter.scan(path).collect()
            adapter.report(path)
            apart.append(time.perf_counter() - start)
            start = time.perf_counter()
            rows, report = adapter.read(path)
            rows.collect()
            report()
            together.append(time.perf_counter() - start)
        found.append(
            {
                "trace": name,
                "file": file,
                "scan_report_s": statistics.median(apart),
                "read_s": statistics.median(together),
                "ratio": statistics.median(together) / statistics.median(apart),
            }
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ingest.json")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, fmt, path, db = args.child
        print(json.dumps(child(kind, fmt, Path(path), Path(db))))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="fleetcast-bench-") as tmp:
        folder = Path(tmp)
        paths = write_inputs(args.rows, folder)
        for fmt, path in paths.items():
            raw = measure("duckdb", fmt, path, folder)
            ours = measure("fleetcast", fmt, path, folder)
            results.append(
                {
                    "format": fmt,
                    "rows": args.rows,
                    "duckdb_rows_per_s": args.rows / raw["seconds"],
                    "fleetcast_rows_per_s": args.rows / ours["seconds"],
                    "ratio": raw["seconds"] / ours["seconds"],
                    "fleetcast_peak_rss_mib": ours["peak_rss_mib"],
                    "duckdb_peak_rss_mib": raw["peak_rss_mib"],
                }
            )
    print(
        f"{'format':9} {'rows':>11} {'duckdb rows/s':>14} {'fleetcast rows/s':>17} "
        f"{'ratio':>6} {'peak RSS MiB':>13}"
    )
    for r in results:
        print(
            f"{r['format']:9} {r['rows']:>11,} {r['duckdb_rows_per_s']:>14,.0f} "
            f"{r['fleetcast_rows_per_s']:>17,.0f} {r['ratio']:>6.2f} "
            f"{r['fleetcast_peak_rss_mib']:>13,.0f}"
        )
    reads = trace_reads()
    if reads:
        print(f"\n{'trace':9} {'scan + report s':>16} {'read s':>7} {'ratio':>6}")
        for t in reads:
            print(
                f"{t['trace']:9} {t['scan_report_s']:>16.2f} {t['read_s']:>7.2f} {t['ratio']:>6.2f}"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"files": results, "traces": reads}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
