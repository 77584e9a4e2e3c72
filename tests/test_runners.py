"""Task runners: the process pool's workers report to the flow's own ephemeral server."""

from __future__ import annotations

import os

import pytest
from prefect import flow, task
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.runners import SharedServerProcessPool, _parent_ephemeral_api, task_runner_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@task
def api_url_here() -> tuple[str | None, int]:
    """The API URL this task's process reports to, and the process."""
    return PREFECT_API_URL.value(), os.getpid()


@flow
def urls_seen() -> tuple[str, list[tuple[str | None, int]]]:
    """The flow's ephemeral server URL, and what two tasks on worker processes saw."""
    futures = [api_url_here.submit() for _ in range(2)]
    return SubprocessASGIServer().api_url, [f.result() for f in futures]


def test_process_pool_workers_use_the_flows_ephemeral_server() -> None:
    """Each worker process reports to the server of the flow that submitted it: before, each
    started a temporary server of its own on the same SQLite file (about 10 s each, and up to
    a minute to stop them after `fleetcast demo`'s forecast)."""
    runner = task_runner_for("processes", workers=1)
    assert isinstance(runner, SharedServerProcessPool)
    parent, seen = urls_seen.with_options(task_runner=runner)()
    assert parent.startswith("http://127.0.0.1:")
    assert {url for url, _ in seen} == {parent}
    assert all(pid != os.getpid() for _, pid in seen)


def test_a_configured_server_is_left_as_it_is() -> None:
    """With PREFECT_API_URL set (a real server), submit leaves the URL alone."""
    url = "http://prefect.example:4200/api"
    with temporary_settings(updates={PREFECT_API_URL: url}), _parent_ephemeral_api():
        assert PREFECT_API_URL.value() == url
