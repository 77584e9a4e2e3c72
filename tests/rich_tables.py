"""Reading a rich table the terminal prints, as a test checks it."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

__all__ = ["first_row"]


def first_row(*renderables: Any) -> dict[str, str]:
    """The first row of the first printed table whose header has a "status" or "loaded"
    column, keyed by header (cells split on whitespace, so one word each)."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(*renderables)
    head, row = [
        line.replace("│", " ").replace("┃", " ").split()
        for line in console.export_text().splitlines()
        if "status" in line or "loaded" in line
    ][:2]
    return dict(zip(head[1:], row[1:], strict=True))
