"""The terminal: one console for output, one for errors, and a progress bar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["console", "errors", "progress_bar"]

console = Console()
errors = Console(stderr=True)


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
