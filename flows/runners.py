"""Which Prefect task runner fans out the per-series work: a setting, never home-made.

``threads`` and ``processes`` run on this machine; ``dask`` runs on a Dask cluster through
prefect-dask (a LocalCluster when no address is given, else the scheduler at the address).
"""

from __future__ import annotations

import os
from typing import Any

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from forecasting.settings import RunnerKind

__all__ = ["RunnerKind", "task_runner_for"]


def task_runner_for(
    kind: RunnerKind, *, workers: int | None = None, dask_address: str | None = None
) -> TaskRunner[Any]:
    """A task runner of ``kind`` with ``workers`` workers (default: one per core)."""
    workers = workers or os.cpu_count() or 1
    if kind == "threads":
        return ThreadPoolTaskRunner(max_workers=workers)
    if kind == "processes":
        return ProcessPoolTaskRunner(max_workers=workers)
    if kind == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:
            raise RuntimeError(
                "the dask task runner needs prefect-dask: pip install 'fleetcast[dask]'"
            ) from exc
        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True}
        )
    raise ValueError(f"unknown task runner {kind!r}; expected threads, processes or dask")
