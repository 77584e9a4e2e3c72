"""SIGINT and SIGTERM stop a command as Ctrl-C does, in seconds and one line.

A SIGTERM (a scheduler, systemd or `kill`) used to stop a run late and loudly: one landing in
a query read as a failed step and the pipeline went on; one elsewhere left the process
printing some 200 lines of errors for minutes. Code the signal's exception passes through may
swallow it (DuckDB turns it into "Query interrupted", pydantic into a serialization error), so
the signal is also recorded here: the CLI reads a later failure as the stop, and the pipeline
stops between its steps.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

__all__ = [
    "Terminated",
    "handling_stop_signals",
    "is_prefect_termination",
    "raise_if_stopped",
    "recording_prefect_sigterm",
    "stopped_by",
]

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# The stop signals this process received. Inside a flow, Prefect's SIGTERM bridge stands in
# for our handler, and a signal landing in a query reaches us as QueryInterrupted.
_received: list[signal.Signals] = []
# Set within handling_stop_signals: outside it (a test calling a flow, a served flow run)
# nothing would ever catch a recorded stop, and its resending would not end.
_handling = threading.Event()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl-C is."""


def _stop_now(signum: signal.Signals) -> KeyboardInterrupt:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)


# A stop something swallowed whole (a weakref callback prints it as "Exception ignored" and
# carries on: the demo ran on past a SIGTERM) is raised again this often until it is caught;
# longer than a stop takes to unwind through Prefect (up to 26 s measured under load).
_RESEND_SECONDS = 30.0
_caught = threading.Event()
_lock = threading.Lock()


def _on_signal(signum: int, frame: object) -> None:
    stop = signal.Signals(signum)
    _record(stop)
    raise _stop_now(stop)


def _record(stop: signal.Signals) -> None:
    """Remember ``stop``; the first one starts raising it again until it is caught."""
    if not _handling.is_set():
        return
    if not _received:
        threading.Thread(target=_resend, args=(stop,), daemon=True, name="stop-resend").start()
    _received.append(stop)


def is_prefect_termination(exc: BaseException) -> bool:
    """Whether ``exc`` is what Prefect's SIGTERM bridge raises (prefect.exceptions'
    TerminationSignal: a BaseException, not a KeyboardInterrupt), named, not imported, to keep
    Prefect out of the CLI's start; or a Rust extension's panic over it.

    Raised while polars' Rust code called back into Python (a SIGTERM landing in an ingest's
    ``collect_schema``), the bridge's exception became a pyo3 ``PanicException`` (also a
    BaseException) whose only record of it is its message: the 60-day demo then exited 1 with
    four crash tracebacks instead of 143 and one line."""
    kind = type(exc)
    if kind.__name__ == "TerminationSignal" and kind.__module__ == "prefect.exceptions":
        return True
    return (
        kind.__name__ == "PanicException"
        and kind.__module__ == "pyo3_runtime"
        and "prefect.exceptions.TerminationSignal" in str(exc)
    )


def recording_prefect_sigterm() -> None:
    """Have Prefect's SIGTERM bridge record the signal here before it raises.

    Within a flow run the bridge stands in for our handler, and its exception can be turned
    into another before anything of ours sees it: raised inside polars' ``cast``, it came out
    as "TypeError: '<unprintable str object>' is not a Polars data type", the flow failed
    with that traceback logged, and the command went on and exited 0 (reproduced in
    tests/test_cli.py). Prefect looks the bridge up by its module name each time it installs
    or checks it, so the recording one stands in everywhere. Called where flows are defined,
    as Prefect is imported: the CLI's start stays without it. Idempotent."""
    from prefect.utilities import engine

    bridge = engine._prefect_sigterm_handler  # private: the only place Prefect keeps it
    if getattr(bridge, "records_for_fleetcast", False):
        return

    def recording_bridge(sig_num: int, *args: object) -> NoReturn:
        _record(signal.Signals(sig_num))
        bridge(sig_num, *args)

    recording_bridge.records_for_fleetcast = True  # type: ignore[attr-defined]  # a marker
    engine._prefect_sigterm_handler = recording_bridge


def _resend(stop: signal.Signals) -> None:
    main = threading.main_thread().ident
    assert main is not None
    while not _caught.wait(_RESEND_SECONDS):
        with _lock:
            if not _caught.is_set():
                signal.pthread_kill(main, stop)


def _caught_now() -> None:
    with _lock:
        _caught.set()


def _quiet_stops(unraisable: sys.UnraisableHookArgs) -> None:
    """Python's hook, but silent for a stop raised where it cannot propagate (its "Exception
    ignored in ... Traceback" read as a crash): the stop is raised again where it can.

    Inside a flow run Prefect's SIGTERM bridge stands in for our handler, so a SIGTERM it
    raised in a weakref callback reached nothing of ours: recorded nowhere, dropped, and the
    60-day demo ran to its end and exited 0. It is recorded here, and raised again."""
    exc = unraisable.exc_value
    if exc is not None and is_prefect_termination(exc):
        _record(signal.SIGTERM)
        return
    if _received and isinstance(exc, KeyboardInterrupt):
        return
    sys.__unraisablehook__(unraisable)


# The loggers of the connection pools Prefect's ephemeral API runs on (sqlalchemy names a
# pool's logger after its class).
_POOL_LOGGERS = tuple(
    f"sqlalchemy.pool.impl.{kind}"
    for kind in ("AsyncAdaptedQueuePool", "QueuePool", "NullPool", "StaticPool")
)


def _not_a_cancelled_reset(record: logging.LogRecord) -> bool:
    """False for a pool's "Exception during reset or similar" over a cancelled task: a stop
    cancels the run's API calls, and the connections they leave are reset as they are
    collected, each logging a 20-line traceback after the command's one line (a SIGTERM read
    "stopped by SIGTERM" and then a sqlalchemy traceback ending in CancelledError)."""
    import asyncio  # only once a pool logs: the CLI's start stays without it

    kind = record.exc_info[0] if record.exc_info else None
    return not (kind is not None and issubclass(kind, asyncio.CancelledError))


# The loggers Prefect's engines log a run's failure on, with its traceback.
_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


def _not_after_a_stop(record: logging.LogRecord) -> bool:
    """False for a run's error logged after a stop signal: it is the stop, swallowed or
    turned into another exception on its way (a 15-line TypeError traceback printed before
    the command's one line); the command says it was stopped."""
    return not (_received and record.levelno >= logging.ERROR)


@contextmanager
def handling_stop_signals() -> Iterator[None]:
    """Within: SIGINT and SIGTERM are recorded and raised as KeyboardInterrupt (main thread
    only: elsewhere signals cannot be handled, and nothing changes)."""
    main = threading.current_thread() is threading.main_thread()
    handlers = {s: signal.signal(s, _on_signal) for s in _STOP_SIGNALS} if main else {}
    _received.clear()
    _caught.clear()
    _handling.set()
    hook, sys.unraisablehook = sys.unraisablehook, _quiet_stops
    # Left on: the connections are collected as late as the interpreter's exit (adding it
    # again is a no-op).
    for name in _POOL_LOGGERS:
        logging.getLogger(name).addFilter(_not_a_cancelled_reset)
    for name in _RUN_LOGGERS:
        logging.getLogger(name).addFilter(_not_after_a_stop)
    try:
        yield
    finally:
        _caught_now()
        _handling.clear()
        for name in _RUN_LOGGERS:
            logging.getLogger(name).removeFilter(_not_after_a_stop)
        sys.unraisablehook = hook
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def raise_if_stopped() -> None:
    """Raise the stop again if a signal came and something swallowed its first raise."""
    if _received:
        raise _stop_now(_received[-1])


def stopped_by(exc: KeyboardInterrupt) -> signal.Signals:
    """The signal that stopped the command (SIGINT unless SIGTERM did); the stop is caught,
    so it is not raised again."""
    from forecasting.warehouse import QueryInterrupted

    _caught_now()
    if isinstance(exc, Terminated):
        return signal.SIGTERM
    if _received:
        return _received[-1]
    # Our handler records Ctrl-C, so an interrupted query nobody recorded was stopped through
    # Prefect's SIGTERM bridge.
    return signal.SIGTERM if isinstance(exc, QueryInterrupted) else signal.SIGINT
