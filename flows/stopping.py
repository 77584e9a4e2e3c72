"""SIGINT and SIGTERM stop a command as Ctrl-C does, in seconds and one line.

A SIGTERM (a scheduler, systemd or `kill`) used to stop a run late and loudly: one landing in
a query read as a failed step and the pipeline went on; one elsewhere left the process
printing some 200 lines of errors for minutes. Code the signal's exception passes through may
swallow it (DuckDB turns it into "Query interrupted", pydantic into a serialization error), so
the signal is also recorded here: the CLI reads a later failure as the stop, and the pipeline
stops between its steps.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Terminated", "handling_stop_signals", "raise_if_stopped", "stopped_by"]

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# The stop signals this process received. Inside a flow, Prefect's SIGTERM bridge stands in
# for our handler, and a signal landing in a query reaches us as QueryInterrupted.
_received: list[signal.Signals] = []


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl-C is."""


def _stop_now(signum: signal.Signals) -> KeyboardInterrupt:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)


def _on_signal(signum: int, frame: object) -> None:
    _received.append(signal.Signals(signum))
    raise _stop_now(signal.Signals(signum))


@contextmanager
def handling_stop_signals() -> Iterator[None]:
    """Within: SIGINT and SIGTERM are recorded and raised as KeyboardInterrupt (main thread
    only: elsewhere signals cannot be handled, and nothing changes)."""
    main = threading.current_thread() is threading.main_thread()
    handlers = {s: signal.signal(s, _on_signal) for s in _STOP_SIGNALS} if main else {}
    _received.clear()
    try:
        yield
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def raise_if_stopped() -> None:
    """Raise the stop again if a signal came and something swallowed its first raise."""
    if _received:
        raise _stop_now(_received[-1])


def stopped_by(exc: KeyboardInterrupt) -> signal.Signals:
    """The signal that stopped the command: SIGINT unless SIGTERM did."""
    from forecasting.warehouse import QueryInterrupted

    if isinstance(exc, Terminated):
        return signal.SIGTERM
    if _received:
        return _received[-1]
    # Our handler records Ctrl-C, so an interrupted query nobody recorded was stopped through
    # Prefect's SIGTERM bridge.
    return signal.SIGTERM if isinstance(exc, QueryInterrupted) else signal.SIGINT
