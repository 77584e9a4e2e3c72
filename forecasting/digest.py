"""Content hashes that agree in every process: the cache keys of frames, settings and code.

Pickles of equal polars frames differ from process to process, so a cache keyed on them (as
Prefect's ``INPUTS`` policy keys) misses on every rerun in a new process.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["code_digest", "content_digest"]


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
