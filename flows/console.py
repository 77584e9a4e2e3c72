"""The terminal: one console for output, one for errors, and a progress bar."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

__all__ = ["console", "errors", "failed_line", "progress_bar", "run_log_on_console", "say"]

# Columns of output that goes to a pipe or a log (a scheduled run, CI): Rich's 80 cut the
# demo's tables to "2029-10…" and "cell-g…", so the dates and blocks could not be read there.
LOG_WIDTH = 160


def _width(stream: TextIO) -> int | None:
    """LOG_WIDTH for a pipe or file; None (the terminal's own width, or $COLUMNS) otherwise."""
    return None if stream.isatty() or os.environ.get("COLUMNS") else LOG_WIDTH


# No emoji codes: text is printed as written. With them a refusal on line 100 of a book
# ("book.toml:100: ...") lost its line number to an emoji, as did a name holding ":ok:".
console = Console(width=_width(sys.stdout), emoji=False)
errors = Console(stderr=True, width=_width(sys.stderr), emoji=False)


def say(line: str | Text, *, error: bool = False) -> None:
    """Print one line as it is, on stdout or with ``error`` on stderr.

    No markup or highlighting is read into it (file, region and customer names are data and
    may hold [brackets]), and it is never wrapped: a path or file name broken over two lines
    at the 80 columns of a pipe cannot be copied or searched for.
    """
    (errors if error else console).print(line, markup=False, highlight=False, soft_wrap=True)


def run_log_on_console(level: int = logging.WARNING) -> bool:
    """Whether a flow run's log record at ``level`` reaches a console: the run logger
    (``prefect.flow_runs``) lets it through and a stream handler on it, or on a logger it
    propagates to, prints it (Prefect's logging.yml: the root's console handler, at
    ``PREFECT_LOGGING_LEVEL``). A file handler is no console.

    A warning the flow logs is then on the terminal already: the CLI's own line for it
    printed it a second time ("drill all-2x not played: ..." twice per drill on `run`)."""
    if "prefect" not in sys.modules:  # a direct command: no flow ran, nothing logged
        return False
    logger: logging.Logger | None = logging.getLogger("prefect.flow_runs")
    if logger is None or not logger.isEnabledFor(level):
        return False
    while logger is not None:
        for handler in logger.handlers:
            # A terminal's stream: pytest's capture and a file handler are no console.
            stream = getattr(handler, "stream", None)
            terminal = stream is not None and stream in (
                sys.stdout,
                sys.stderr,
                sys.__stdout__,
                sys.__stderr__,
            )
            if terminal and handler.level <= level:
                return True
        logger = logger.parent if logger.propagate else None
    return False


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
