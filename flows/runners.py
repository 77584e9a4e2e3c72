"""Which Prefect task runner fans out the per-series work: a setting, never home-made.

``threads`` and ``processes`` run on this machine; ``dask`` runs on a Dask cluster through
prefect-dask (a LocalCluster when no address is given, else the scheduler at the address).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from forecasting.settings import RunnerKind

__all__ = ["RunnerKind", "SharedServerProcessPool", "task_runner_for"]


def task_runner_for(
    kind: RunnerKind, *, workers: int | None = None, dask_address: str | None = None
) -> TaskRunner[Any]:
    """A task runner of ``kind`` with ``workers`` workers (default: one per core)."""
    workers = workers or os.cpu_count() or 1
    if kind == "threads":
        return ThreadPoolTaskRunner(max_workers=workers)
    if kind == "processes":
        return SharedServerProcessPool(max_workers=workers)
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


class SharedServerProcessPool(ProcessPoolTaskRunner):
    """Prefect's process pool, whose workers report to this process's ephemeral server.

    Without a configured API URL each worker process started a temporary server of its own
    (uvicorn, migrations, services) on the same SQLite file: about 10 s per worker before its
    first task, lock contention while they ran, and up to a minute to stop them after the last
    one (62 s in one `fleetcast demo`'s forecast step). A task's settings are serialized at
    submit, so the parent's server URL is set for the submit only; with a server configured
    nothing changes.
    """

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        """Submit as Prefect does, with the parent's ephemeral server as the API URL."""
        with _parent_ephemeral_api():
            return super().submit(*args, **kwargs)


@contextmanager
def _parent_ephemeral_api() -> Iterator[None]:
    """The running ephemeral server's URL as the API URL, where no URL is configured."""
    if PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the instance `get_client` started for this process
    process = server.server_process
    running = server.running and process is not None and process.poll() is None
    with (
        temporary_settings(updates={PREFECT_API_URL: server.api_url}) if running else nullcontext()
    ):
        yield
