"""The terminal: one console for output, one for errors, and a progress bar."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

__all__ = ["console", "errors", "failed_line", "progress_bar", "say"]

# Columns of output that goes to a pipe or a log (a scheduled run, CI): Rich's 80 cut the
# demo's tables to "2029-10…" and "cell-g…", so the dates and blocks could not be read there.
LOG_WIDTH = 160


def _width(stream: TextIO) -> int | None:
    """LOG_WIDTH for a pipe or file; None (the terminal's own width, or $COLUMNS) otherwise."""
    return None if stream.isatty() or os.environ.get("COLUMNS") else LOG_WIDTH


console = Console(width=_width(sys.stdout))
errors = Console(stderr=True, width=_width(sys.stderr))


def say(line: str | Text, *, error: bool = False) -> None:
    """Print one line as it is, on stdout or with ``error`` on stderr.

    No markup or highlighting is read into it (file, region and customer names are data and
    may hold [brackets]), and it is never wrapped: a path or file name broken over two lines
    at the 80 columns of a pipe cannot be copied or searched for.
    """
    (errors if error else console).print(line, markup=False, highlight=False, soft_wrap=True)


def failed_line(message: str) -> Text:
    """``failed <message>``, the word in red: why a file could not be loaded."""
    return Text.assemble(("failed", "red"), " ", message)


@contextmanager
def progress_bar(description: str, *, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (silent elsewhere); yields ``advance(n)``."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    ) as progress:
        task_id = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task_id, n)
