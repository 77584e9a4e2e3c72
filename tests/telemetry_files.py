"""Small telemetry files for tests, written the way real exporters write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

__all__ = ["HEADER", "csv_text", "telemetry_frame", "write_csv"]

HEADER = "ts,region,cluster,workload_class,customer,gpu_type,gpus_running,gpus_queued"


def telemetry_frame(
    *,
    hours: int,
    customers: int = 3,
    start: datetime = datetime(2025, 1, 1, tzinfo=UTC),
    seed: int = 0,
) -> pl.DataFrame:
    """Hourly rows for ``customers`` inference customers in one region, typed as the contract."""
    rng = np.random.default_rng(seed)
    ts = [start + timedelta(hours=h) for h in range(hours)]
    frames = [
        pl.DataFrame(
            {
                "ts": ts,
                "region": "eu-west",
                "cluster": "eu-west-1",
                "workload_class": "inference",
                "customer": f"cust-{c:03d}",
                "gpu_type": "H100",
                "gpus_running": rng.uniform(0, 100, hours).round(3),
                "gpus_queued": rng.uniform(0, 5, hours).round(3),
            }
        )
        for c in range(customers)
    ]
    return pl.concat(frames).with_columns(pl.col("ts").dt.cast_time_unit("us"))


def csv_text(*rows: str, header: str = HEADER) -> str:
    """A CSV file's text from a header and rows."""
    return "\n".join((header, *rows)) + "\n"


def write_csv(path: Path, *rows: str, header: str = HEADER) -> Path:
    """Write a CSV file from a header and rows; returns the path."""
    path.write_text(csv_text(*rows, header=header), encoding="utf-8")
    return path
