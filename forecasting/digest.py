"""Content hashes that agree in every process: the cache keys of frames, settings and code.

Pickles of equal polars frames differ from process to process, so a cache keyed on them (as
Prefect's ``INPUTS`` policy keys) misses on every rerun in a new process.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["code_digest", "content_digest", "fleetcast_version", "run_versions"]


def _part(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, pl.DataFrame):
        rows = value.hash_rows(seed=0).to_numpy().tobytes()
        return f"{value.schema}:{hashlib.sha256(rows).hexdigest()}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_part(v) for v in value) + "]"
    return repr(value)


def content_digest(*values: Any) -> str:
    """A SHA-256 of ``values``: frames by their rows' hashes, lists and tuples item by item,
    anything else by its ``repr``; with the polars version, whose row hashes may change from
    one release to the next."""
    parts = [f"polars {pl.__version__}", *(_part(v) for v in values)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@cache
def code_digest() -> str:
    """A SHA-256 of the forecasting package's source: a result cached by other code is stale."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# The packages whose versions a forecast run stores (runs.forecasts), stored with a report too.
_PACKAGES = ("polars", "statsmodels", "prophet", "duckdb")


def _installed(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


@cache
def fleetcast_version() -> str:
    """The code's version: the package's, with the first 12 hex digits of its source digest
    ("0.1.0+3f2a9c1b7e4d"). The package version alone is the same in every checkout, and two
    reports of one forecast by different code read as a change in demand."""
    return f"{_installed('fleetcast')}+{code_digest()[:12]}"


def run_versions() -> str:
    """JSON of the fleetcast version and the package versions, as a run stores them."""
    return json.dumps({"fleetcast": fleetcast_version()} | {p: _installed(p) for p in _PACKAGES})
