"""The `fleetcast` command.

Exit status: 0 when the work was done, 1 when some input could not be used (a file that
cannot be read, an invalid plan, a busy warehouse), 2 for usage errors (one line on stderr).

The global options (--warehouse, --capacity, --reports) go before or after the command.
Defaults and help come from forecasting.settings (FLEETCAST_* variables) and the option models
of forecasting.options, never restated here.

Single-step commands (ingest, events, contracts, forecast, drill, report) answer at once: without a
Prefect server (PREFECT_API_URL unset) they call the flows' library functions directly and
never import prefect, whose ephemeral server would take ~20 s to start for a one-second step.
With a server configured, and always under run, demo and serve, they run as tracked flows.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import math
import os
import re
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, get_args

from pydantic import BaseModel, ValidationError
from rich.text import Text

from flows import stopping
from flows.console import console, failed_line, run_log_on_console, say
from forecasting.errors import rule_text
from forecasting.options import (
    QUANTILE_CHOICES,
    AdhocDrill,
    Answers,
    DecisionOptions,
    DrillOptions,
    ForecastOptions,
    PipelineOptions,
    ReportOptions,
    WhatIfOptions,
    field_default,
    field_help,
)
from forecasting.schema import MAX_HORIZON_DAYS, MIN_HORIZON_DAYS
from forecasting.settings import (
    Paths,
    RunnerKind,
    Settings,
    prefect_server_configured,
    resolve_paths,
    settings,
)

if TYPE_CHECKING:
    from rich.table import Table

    from flows.pipeline import PipelineOutcome, PipelineStopped
    from forecasting.contracts import ContractRuleError
    from forecasting.drills import InvalidScenarioError
    from forecasting.runs import (
        ContractsLoaded,
        DrillBatch,
        DrillNotPlayed,
        EventsLoaded,
        WhatIfOutcome,
    )

__all__ = ["adhoc_drill", "main", "whatif_answer_table"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line, naming where the help is, and a
    numeric flag's refusal (:class:`_Number`) as an options model's reads: "--paths: Input
    should be a whole number (got 1.5; allowed 10 to 5000)", not argparse's "argument --paths:
    invalid int value: '1.5'"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Argument errors reach parse_known_args below, which says them, instead of error().
        super().__init__(*args, **{**kwargs, "exit_on_error": False})

    def parse_known_args(  # type: ignore[override]  # typeshed overloads its Namespace type
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        try:
            return super().parse_known_args(args, namespace)
        except argparse.ArgumentError as exc:
            self.error(self._argument_error_text(exc))

    def _argument_error_text(self, exc: argparse.ArgumentError) -> str:
        """argparse's words for ``exc`` (a negative value said as one), but a numeric flag's
        refusal led by the flag alone, as a refusal of the options model is (:func:`_problem`)."""
        flag = exc.argument_name
        if flag is None:
            return exc.message
        message = _negative_value(flag, exc.message) or exc.message
        for action in self._actions:
            if isinstance(action.type, _Number) and flag == "/".join(action.option_strings):
                return f"{flag}: {message}"
        return f"argument {flag}: {message}"

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


# The words being parsed, for an error to look at: argparse's error() is not given them.
_ARGV: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("argv", default=())


def _negative_value(flag: str, message: str) -> str | None:
    """argparse's "expected one argument" for ``flag`` where the value given starts with '-'
    (argparse took ``--every -4w`` for two options), said as what it is: a negative value;
    None otherwise."""
    words = _ARGV.get()
    if message != "expected one argument" or flag not in words:
        return None
    at = words.index(flag) + 1
    value = words[at] if at < len(words) else ""
    if len(value) < 2 or value[0] != "-" or not (value[1].isdigit() or value[1] == "."):
        return None
    return f"{value} is negative; give a value above zero"


class UsageError(Exception):
    """Bad arguments that argparse itself cannot see (exit status 2)."""


class RunFailedError(Exception):
    """A run did not complete (exit status 1); the message says why."""


def _check_files(paths: Sequence[Path], *, flag: str, reads: str) -> None:
    """Refuse paths that are not files (UsageError): a folder is named as a folder, with
    what the command reads (``reads``); ``flag`` prefixes the message when given. A folder
    that existed was refused "no such file", which sent the reader looking for a typo."""
    lead = f"{flag}: " if flag else ""
    folders = [p for p in paths if p.is_dir()]
    if folders:
        raise UsageError(
            f"{lead}{', '.join(map(str, folders))} is a folder, not a file: {reads}; name the "
            "files in it"
        )
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"{lead}no such file: {', '.join(map(str, missing))}")


def _global_options(*, suppress: bool) -> _Parser:
    """--warehouse, --capacity and --reports, for the main parser and every subcommand.

    SUPPRESS as default on the subcommands keeps a value given before the command from
    being overwritten by the subcommand's own (absent) default.
    """
    parent = _Parser(add_help=False)
    group = parent.add_argument_group("global options (before or after the command)")
    fields = Settings.model_fields
    for name in ("warehouse", "capacity", "reports"):
        info = fields[name]
        group.add_argument(
            f"--{name}",
            type=Path,
            default=argparse.SUPPRESS if suppress else None,
            help=f"{info.description} (default {info.default} under $FLEETCAST_HOME or the "
            f"current directory, or ${Settings.model_config.get('env_prefix', '')}{name.upper()})",
        )
    return parent


def _given(args: argparse.Namespace, name: str) -> Any:
    return getattr(args, name, None)


def _set_by_user(args: argparse.Namespace, name: str) -> bool:
    """Whether the path ``name`` was given, as an option or its ``FLEETCAST_*`` variable."""
    prefix = Settings.model_config.get("env_prefix", "")
    return _given(args, name) is not None or bool(os.environ.get(f"{prefix}{name.upper()}"))


def _paths(args: argparse.Namespace, *, publishes: bool = False) -> Paths:
    """The working paths; for a command that ``publishes`` pages, a --reports that can be a
    folder (checked before any work, so a failed publish stores no half a run)."""
    paths = resolve_paths(
        warehouse=_given(args, "warehouse"),
        capacity=_given(args, "capacity"),
        reports=_given(args, "reports"),
    )
    if publishes:
        _check_publishable(paths.reports)
    return paths


def _check_publishable(reports: Path) -> None:
    """A usage error unless ``reports`` is, or can be made, a folder this user may write in:
    a file on its path, or a folder without write permission, stored a trigger run the pages
    never showed, and `status` compared with it as published."""
    if reports.exists() and not reports.is_dir():
        raise UsageError(
            f"--reports {reports} is a file, not a folder; name a folder for the pages "
            "(a missing one is created)"
        )
    # The nearest existing folder on the way: a missing reports folder is created there.
    existing = next((p for p in (reports, *reports.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise UsageError(
            f"--reports {reports}: {existing} is a file, so no folder can be made there; name "
            "a folder for the pages"
        )
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(
            f"--reports {reports}: {existing} is not writable by this user; name a folder "
            "you can write in"
        )
    problem = _unwritable(reports)
    if problem is not None:
        raise UsageError(
            f"--reports {reports}: cannot write the pages there ({problem}); nothing was run "
            "or stored: name a folder you can write in"
        )


def _unwritable(folder: Path) -> str | None:
    """The OS's reason no file can be written in ``folder`` (made if missing), or None.

    Permission bits do not tell: root may write anywhere by them, yet /sys refuses a folder
    (EPERM) and /proc has none to make (ENOENT), and the report failed after storing its
    trigger run. So a folder is made and a file written, then both removed."""
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        for created in made:  # innermost first: the run makes them again when it publishes
            with contextlib.suppress(OSError):
                created.rmdir()
    return None


# Options-model fields whose flag is not the field's name in kebab case.
FLAGS = {
    "horizon_days": "--horizon",
    "n_paths": "--paths",
    "n_cutoffs": "--cutoffs",
    "backtest_step_days": "--backtest-step",
    "multiplier": "--factor",
    "forecast_run_id": "--forecast-run",
    "every_days": "--every",
}


def _problems(
    exc: ValidationError, name: Callable[[str], str], *, model: type[BaseModel] | None = None
) -> str:
    """A validation error on one line: each field by ``name(field)`` and its rule; with the
    options ``model`` whose flags were typed, the value as typed and the field's range too."""
    return "; ".join(_problem(e, name, model=model) for e in exc.errors())


def _problem(
    error: Mapping[str, Any], name: Callable[[str], str], *, model: type[BaseModel] | None
) -> str:
    """One field's refusal: ``--flag: rule (got VALUE; allowed RANGE)``.

    The rule is not quoted back by pydantic's input (``rule_text(quote=False)``): that input is
    the value after the flag's conversion (--horizon 26w reaches the model as 182 days), which
    the user never typed. The value quoted is the text typed after the flag (`forecast
    --horizon-months 500` read "Input should be less than or equal to 120", neither the 500
    nor the 0 the range starts at)."""
    loc = error.get("loc") or ()
    if not loc:  # a rule of the whole model (a model validator): no one flag to name
        return rule_text(error, quote=False)
    field = str(loc[-1])
    flag = name(field)
    extras = [
        f"got {typed}" if (typed := _typed_after(flag)) is not None else None,
        f"allowed {bounds}"
        if model is not None and (bounds := _allowed_range(model, field)) is not None
        else None,
    ]
    said = "; ".join(x for x in extras if x)
    rule = rule_text(error, quote=False)
    return f"{flag}: {rule} ({said})" if said else f"{flag}: {rule}"


def _typed_after(flag: str) -> str | None:
    """The text typed for ``flag`` on the command line being parsed (``--flag VALUE`` or
    ``--flag=VALUE``; the last one given, as argparse keeps), or None when it was not typed
    (a default, or a $FLEETCAST_* variable)."""
    words = _ARGV.get()
    found = None
    for at, word in enumerate(words):
        if word == flag and at + 1 < len(words):
            found = words[at + 1]
        elif word.startswith(f"{flag}="):
            found = word.removeprefix(f"{flag}=")
    return None if found is None else _typed_text(found)


def _typed_text(text: str) -> str:
    """A value typed, as a refusal quotes it: a number bare (``got 500``), else quoted."""
    return text if _plain_number(text) else repr(text)


def _plain_number(text: str) -> bool:
    """Whether ``text`` reads as a number (echoed bare: ``got 500``, not ``got '500'``)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _allowed_range(model: type[BaseModel], field: str) -> str | None:
    """The bounds of ``model``'s numeric ``field`` in words ("0 to 120", "at least 10",
    "above 0 and at most 16"), or None when it has none."""
    info = model.model_fields.get(field)
    if info is None:
        return None
    return _bounds_text(
        {
            key: value
            for meta in info.metadata
            for key in ("ge", "gt", "le", "lt")
            if (value := getattr(meta, key, None)) is not None
        }
    )


def _bounds_text(bound: Mapping[str, object]) -> str | None:
    """Bounds keyed as pydantic's (``ge``, ``gt``, ``le``, ``lt``) in words, or None."""
    if "ge" in bound and "le" in bound:
        return f"{_bound_text(bound['ge'])} to {_bound_text(bound['le'])}"
    words = {"ge": "at least", "gt": "above", "le": "at most", "lt": "below"}
    said = [f"{words[k]} {_bound_text(v)}" for k, v in bound.items()]
    return " and ".join(said) or None


def _bound_text(value: object) -> str:
    """A bound as the flag takes it: ``120``, ``0.5``."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _model(model: type[BaseModel], **values: Any) -> Any:
    """An options model from the arguments; a bad value is a usage error naming the flag, the
    value typed and the range allowed."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise UsageError(_problems(exc, _flag, model=model)) from None


def _flag(field: str) -> str:
    """The command-line flag of an options-model field."""
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def _direct() -> bool:
    """Whether a single-step command runs without Prefect: no server, no FLEETCAST_TRACK."""
    return not prefect_server_configured() and not settings().track


# --- commands ----------------------------------------------------------------------------------


def cmd_synth(args: argparse.Namespace) -> int:
    """Write a synthetic fleet's telemetry files and capacity.toml."""
    from forecasting import synth

    with console.status(f"generating {args.days} days x {args.customers} customers"):
        try:
            fleet = synth.synthetic_fleet(days=args.days, customers=args.customers, seed=args.seed)
        except ValueError as exc:  # --days or --customers out of bounds
            raise UsageError(f"--days/--customers: {exc}") from None
        written = synth.write_fleet(fleet, args.out, file_format=args.file_format)
    out = args.out
    say(
        f"wrote {fleet.telemetry.height:,} telemetry rows in "
        f"{sum(1 for p in written if 'telemetry' in p.name)} files to {out / 'telemetry'}, "
        f"the capacity plan to {out / 'capacity.toml'} and {fleet.events.height} known events "
        f"to {out / 'events.csv'}"
    )
    # The folder holds three kinds of file, and `fleetcast ingest` takes telemetry only.
    # Quoted: pasted into a shell, a folder with a space read as two words.
    say(
        f"next: fleetcast ingest {shlex.quote(str(out / 'telemetry'))}, fleetcast events "
        f"{shlex.quote(str(out / 'events.csv'))}, then forecast, drill and report with "
        f"FLEETCAST_CAPACITY={shlex.quote(str(out / 'capacity.toml'))}"
    )
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    """Validate and load telemetry files (through the ingest flow when a server is set)."""
    from flows.tables import ingest_table
    from forecasting import ingest

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(map(str, missing))}")
    paths = _paths(args)
    path = paths.warehouse
    files, others = ingest.telemetry_files_and_others(args.paths, warehouse=path)
    if not files and not others:
        raise UsageError(
            f"no files under {', '.join(map(str, args.paths))} "
            f"(telemetry files end {', '.join(ingest.FILE_SUFFIXES)})"
        )
    if _direct():
        from flows import direct

        results = direct.ingest_files(files, path, args.file_format, capacity_path=paths.capacity)
    else:
        from flows.ingest import ingest_files

        results = ingest_files(files, path, args.file_format, paths.capacity)
    # A folder's plan or event calendar is no failure: its row says what it is, and the line
    # below the table the command that takes it.
    skipped = [
        ingest.IngestResult(o.path, "skipped", message=f"{o.kind}, not telemetry (see below)")
        for o in others
    ]
    console.print(ingest_table([*results, *skipped]))
    for other in others:
        say(f"skipped {other.note}", error=True)
    # Loaded all the same, but in no table: a region the plan lacks (a typo, or a plan behind).
    for result in results:
        for line in result.warnings:
            say(f"warning: {line}", error=True)
        # The bad rows of a loaded file, by row, column and rule: "quarantined 2" named none.
        for line in result.quarantined_rows:
            say(f"quarantined {line}", error=True)
    failed = [r for r in results if r.status == "failed"]
    for result in failed:
        say(failed_line(result.message), error=True)
    # --strict judges the files as they stand: a file skipped as already ingested fails on
    # the rows its content still has in quarantine (a retried gate went green on the same bad
    # file), not on the ledger's count (2 rows a fixed version dropped since failed a copy).
    quarantined = sum(r.entry.quarantined for r in results if r.entry and r.status == "loaded")
    earlier = sum(r.quarantine_standing for r in results if r.status == "skipped")
    if failed:
        return EXIT_FAILED
    if args.strict and (quarantined or earlier):
        since = f", {earlier:,} by an earlier ingest of a file skipped now" if earlier else ""
        say(
            f"--strict: {quarantined + earlier:,} row(s) of these files in quarantine "
            f"({quarantined:,} quarantined by this run{since}); see `fleetcast quarantine`",
            error=True,
        )
        return EXIT_FAILED
    return EXIT_OK


def cmd_events(args: argparse.Namespace) -> int:
    """Load event calendars into the warehouse, or list the known events."""
    from flows.tables import events_tables, stored_events_table
    from forecasting import warehouse

    paths = _paths(args)
    path = paths.warehouse
    if not args.paths:
        with warehouse.connect(path, read_only=True) as wh:
            console.print(stored_events_table(wh.events(), limit=args.limit))
        return EXIT_OK
    _check_files(args.paths, flag="", reads="events reads CSV or Parquet calendars")
    if _direct():
        from flows.direct import ingest_events
    else:
        from flows.ingest import ingest_events  # same signature as the direct one

    # The plan names the regions with blocks but no telemetry yet, which an event may name.
    loads = ingest_events(
        list(args.paths), path, allow_empty=args.allow_empty, capacity_path=paths.capacity
    )
    for table in events_tables(loads, limit=args.limit):
        console.print(table)
    _say_event_problems(loads)
    if any(load.status == "failed" for load in loads):
        return EXIT_FAILED
    refused = sum(load.refused_rows for load in loads)
    if args.strict and refused:
        say(f"--strict: {refused} event row(s) refused", error=True)
        return EXIT_FAILED
    if args.strict and (empty := [str(load.path) for load in loads if load.empty]):
        say(f"--strict: {', '.join(empty)} hold(s) no event rows", error=True)
        return EXIT_FAILED
    return EXIT_OK


def _say_event_problems(loads: Sequence[EventsLoaded]) -> None:
    """Each calendar file that failed, and each warning of one that loaded (events matching
    no series, columns ignored), one line each."""
    from forecasting.events import EVENTS_SCHEMA

    for load in loads:
        if load.status == "failed":
            say(failed_line(load.message), error=True)
        lines = list(load.unmatched)
        if load.ignored_columns:
            # A misspelt optional column (upper_windw) would otherwise vanish without a word.
            lines.append(
                f"column(s) {load.ignored_columns} are not event columns and were ignored "
                f"(event columns: {list(EVENTS_SCHEMA)})"
            )
        lines.extend(load.notes)
        for line in lines:
            say(f"warning: {load.path}: {line}", error=True)
        # A refused row of a reload: the event it stands for is kept, or out of the calendar.
        for line in load.kept_lines:
            say(f"{load.path}: {line}", error=True)


def _say_contract_problems(loads: Sequence[ContractsLoaded]) -> None:
    """Each contract book that failed, its warnings, and each refused entry with its row,
    field and rule and what the book holds for it now, one line each."""
    from forecasting import contracts

    for load in loads:
        if load.status == "failed":
            say(failed_line(load.message), error=True)
        # What the load changed in force, deal by deal: "replaced 1" named none.
        for change in load.changes:
            say(f"changed {load.path}: {change}")
        for warning in load.warnings:
            say(f"warning {load.path}: {warning}", error=True)
        for n, refused in enumerate(load.refused):
            line = contracts.Refusal(
                row=refused["row_number"], **{k: v for k, v in refused.items() if k != "row_number"}
            ).message
            # "the other entries were kept" left unsaid that the refused one was dropped, or
            # that an earlier version of it still counts; said once per entry, after its last
            # fault (an entry with several faults has a line for each).
            following = load.refused[n + 1 : n + 2]
            last = not following or following[0]["row_number"] != refused["row_number"]
            outcome = load.outcomes.get(refused["row_number"]) if last else None
            say(f"refused {line}" + (f"; {outcome}" if outcome else ""), error=True)


def cmd_contracts(args: argparse.Namespace) -> int:
    """Load contract books into the warehouse, or list the stored book."""
    from flows.tables import contract_loads_table, contracts_table
    from forecasting import contracts, warehouse

    paths = _paths(args)
    path = paths.warehouse
    loads = []
    if args.paths:
        _check_files(args.paths, flag="", reads="contracts reads TOML or CSV books")
        if _direct():
            from flows.direct import ingest_contracts
        else:
            from flows.ingest import ingest_contracts  # same signature as the direct one

        # The plan names the regions with blocks but no telemetry yet in the refusals.
        loads = ingest_contracts(
            list(args.paths), path, allow_empty=args.allow_empty, capacity_path=paths.capacity
        )
        console.print(contract_loads_table(loads))
    with warehouse.connect(path, read_only=True) as wh:
        stored = wh.contracts()
    book = contracts.book_of(stored)
    console.print(contracts_table(contracts.contract_list(book), limit=args.limit))
    _say_contract_problems(loads)
    if any(load.status == "failed" for load in loads):
        return EXIT_FAILED
    refused_count = sum(load.refused_entries for load in loads)
    if args.strict and refused_count:
        say(f"--strict: {refused_count} contract(s) refused", error=True)
        return EXIT_FAILED
    if args.strict and (empty := [str(load.path) for load in loads if load.empty]):
        say(f"--strict: {', '.join(empty)} hold(s) no contract entries", error=True)
        return EXIT_FAILED
    return EXIT_OK


def cmd_capacity(args: argparse.Namespace) -> int:
    """Print the capacity inventory and its timeline per region and class."""
    from flows.tables import capacity_tables
    from forecasting.capacity import load_capacity, parse_capacity
    from forecasting.resources import sample_capacity

    today = datetime.now(UTC).date()
    day = today
    if args.sample:
        source = sample_capacity()
        plan = parse_capacity(source.read_text(encoding="utf-8"), source="sample plan")
        say(f"sample plan: {source} (copy it and edit it to start your own)")
    else:
        paths = _paths(args)
        source = paths.capacity
        plan = load_capacity(source)
        # A trace's plan is read as of its telemetry, as the report reads it: the Helios plan
        # printed the wall clock's twelve months, 792 GPUs flat, where its quotas move in 2020.
        newest = _newest_telemetry_day(paths.warehouse)
        day = newest if newest is not None and newest < today else today
    for table in capacity_tables(plan, today=day, from_telemetry=day != today):
        console.print(table)
    for line in (
        *plan.overdrawn_sites(day),
        *plan.dark_committed_blocks(),
        # An entry to fix names its file, as the plan's refusals do.
        *(f"{source}: {entry}" for entry in plan.doubtful_entries()),
    ):
        say(f"warning: {line}", error=True)
    return EXIT_OK


def _newest_telemetry_day(warehouse_path: Path) -> date | None:
    """The UTC day of the warehouse's newest telemetry (None: no warehouse, or no telemetry,
    or none readable: `capacity` prints a plan, which needs no warehouse, and its timeline
    then starts today, as it did before it read one)."""
    from forecasting import warehouse
    from forecasting.warehouse import WarehouseError

    if not warehouse_path.is_file():
        return None
    try:
        with warehouse.connect(warehouse_path, read_only=True) as wh:
            newest = wh.newest_telemetry()
    except WarehouseError:
        return None
    return None if newest is None else newest.astimezone(UTC).date()


def cmd_quarantine(args: argparse.Namespace) -> int:
    """Print quarantined rows with the file, row, column and rule they broke."""
    from flows.tables import quarantine_table
    from forecasting import warehouse
    from forecasting.traces import ADAPTERS

    with warehouse.connect(_paths(args).warehouse, read_only=True) as wh:
        rows = wh.quarantine()
        ledger = wh.ledger()
    traces = {
        ingest_id: fmt
        for ingest_id, fmt in ledger.select("ingest_id", "file_format").iter_rows()
        if fmt in ADAPTERS
    }
    console.print(quarantine_table(rows, limit=args.limit, traces=traces))
    return EXIT_OK


def cmd_demand(args: argparse.Namespace) -> int:
    """Print a summary of daily demand per region and class from the warehouse."""
    from flows.tables import demand_table
    from forecasting import demand, warehouse
    from forecasting.runs import NoHistoryError

    # Bounded as the forecast's: `demand --customers-per-class 0` printed a table of classes
    # with no customer named, and 201 was taken, where `forecast` refuses both.
    options: ForecastOptions = _model(ForecastOptions, customers_per_class=args.customers_per_class)
    path = _paths(args).warehouse
    with warehouse.connect(path, read_only=True) as wh:
        hourly = wh.hourly_demand()
    if hourly.is_empty():
        # The same words as `fleetcast forecast`: a warehouse of events or contracts alone
        # (or a header-only file) has nothing to summarise, and polars fails on the empty frame.
        raise NoHistoryError(f"{path} holds no telemetry; run `fleetcast ingest` first")
    series = demand.demand_series(hourly, customers_per_class=options.customers_per_class)
    console.print(demand_table(series, outages=demand.outage_hours(hourly)))
    return EXIT_OK


class _Number:
    """An argparse type: a number read by ``read`` (``int``, ``float`` or a reader of units,
    raising ValueError for text that is none), refused in the shape an options model's
    refusal has: the rule, the value typed and the range allowed. `forecast --paths 1.5` read
    argparse's "invalid int value: '1.5'" and `--paths 3` "Input should be greater than or
    equal to 10 (got 3; allowed 10 to 5000)".

    ``allowed`` is the range in words (an options model's field's: :func:`_allowed_range`);
    ``least`` and ``above`` are checked here for a flag no options model bounds."""

    def __init__(
        self,
        read: Callable[[str], float],
        *,
        expected: str,
        allowed: str | None,
        least: float | None = None,
        above: float | None = None,
    ) -> None:
        self.read, self.expected, self.allowed = read, expected, allowed
        self.least, self.above = least, above

    def __call__(self, text: str) -> float:
        try:
            value = self.read(text)
        except ValueError:
            raise self._refused(text, f"Input should be {self.expected}") from None
        # float() reads "inf" and "nan", which no price, factor or timeout can be (an infinite
        # price reached the what-if page as "$inf").
        if isinstance(value, float) and not math.isfinite(value):
            raise self._refused(text, "Input should be a finite number")
        if self.least is not None and value < self.least:
            least = _bound_text(self.least)
            raise self._refused(text, f"Input should be greater than or equal to {least}")
        if self.above is not None and value <= self.above:
            raise self._refused(text, f"Input should be greater than {_bound_text(self.above)}")
        return value

    def _refused(self, text: str, rule: str) -> argparse.ArgumentTypeError:
        said = [f"got {_typed_text(text)}", f"allowed {self.allowed}" if self.allowed else ""]
        return argparse.ArgumentTypeError(f"{rule} ({'; '.join(s for s in said if s)})")


def _whole(model: type[BaseModel], field: str) -> _Number:
    """The argparse type of an options model's whole-number field, its range the field's."""
    return _Number(int, expected="a whole number", allowed=_allowed_range(model, field))


def _figure(model: type[BaseModel], field: str) -> _Number:
    """The argparse type of an options model's number field, finite, its range the field's."""
    return _Number(float, expected="a number", allowed=_allowed_range(model, field))


def at_least(least: int) -> _Number:
    """An argparse type: an integer no smaller than ``least``."""
    return _Number(int, expected="a whole number", allowed=_bounds_text({"ge": least}), least=least)


def positive_number() -> _Number:
    """An argparse type: a finite number above 0 (a negative --timeout reached Prefect as
    "`timeout` cannot be negative" in a trace, after the drill was sent)."""
    return _Number(float, expected="a number", allowed=_bounds_text({"gt": 0}), above=0)


def _horizon() -> _Number:
    """The argparse type of --horizon: :func:`horizon_days`, its range in days and weeks."""
    low, high = MIN_HORIZON_DAYS, MAX_HORIZON_DAYS
    return _Number(
        horizon_days,
        expected="a horizon like 26w or 182d",
        allowed=f"{low}d to {high}d, {math.ceil(low / 7)}w to {high // 7}w",
    )


def horizon_days(text: str) -> int:
    """Days in a horizon written as ``26w``, ``182d`` or ``182`` (ValueError: none of them)."""
    match = re.fullmatch(r"\s*(\d+)\s*([wd]?)\s*", text.lower())
    if not match:
        raise ValueError(f"{text!r} is not a horizon like 26w or 182d")
    n = int(match.group(1))
    days = n * 7 if match.group(2) == "w" else n
    low, high = MIN_HORIZON_DAYS, MAX_HORIZON_DAYS
    if not low <= days <= high:
        from forecasting.text import days_count

        # Said in the reader's unit: "105w" was answered "less than or equal to 730".
        raise argparse.ArgumentTypeError(
            f"{text.strip()!r} is {days_count(days)}; the daily horizon is {low} to {high} days "
            f"({high // 7}w)"
        )
    return days


def cmd_forecast(args: argparse.Namespace) -> int:
    """Forecast every demand series and store the run."""
    from flows.tables import fallback_lines, forecast_tables
    from forecasting.runs import NoHistoryError, plan_warnings_for, unplanned_regions_for

    given: dict[str, Any] = {}
    if args.models is not None:
        names = tuple(m.strip() for m in args.models.split(",") if m.strip())
        if not names:
            # "," split into two blank names that no check caught: every series fell back to
            # a baseline, one warning line each, and the run exited 0.
            from forecasting.models import MODEL_REGISTRY

            raise UsageError(
                f"--models {args.models!r} names no model; give one or more of "
                f"{', '.join(MODEL_REGISTRY)}, comma-separated"
            )
        given["models"] = names
    options: ForecastOptions = _model(
        ForecastOptions,
        as_of=args.as_of,
        horizon_days=args.horizon,
        fixed_model=args.fixed_model,
        n_paths=args.paths,
        n_cutoffs=args.cutoffs,
        backtest_days=args.backtest_days,
        backtest_step_days=args.backtest_step,
        min_train_days=args.min_train_days,
        use_events=not args.no_events,
        use_contracts=not args.no_contracts,
        outages=args.outages,
        zero_is_outage=args.zero_is_outage,
        task_runner=args.task_runner,
        workers=args.workers,
        dask_address=args.dask_address,
        horizon_months=args.horizon_months,
        capacity=_paths(args).capacity,
        **given,
    )
    try:
        options.settings()
    except ValueError as exc:  # unknown model names
        raise UsageError(str(exc)) from None
    path = _paths(args).warehouse
    if _direct() and options.task_runner != "dask":
        from flows.direct import forecast
    else:
        from flows.forecast import forecast  # same signature as the direct one
    try:
        run = forecast(path, options)
    except NoHistoryError as exc:
        if options.as_of is None:
            raise
        raise UsageError(f"--as-of: {exc}") from None
    for table in forecast_tables(run):
        console.print(table)
    for line in fallback_lines(run):
        say(line, error=True)
    _warn_unplanned(unplanned_regions_for(path, options.capacity), plan=options.capacity)
    for line in plan_warnings_for(path, options.capacity, as_of=run.as_of):
        say(line, error=True)
    if args.strict and run.warnings:
        say(
            f"--strict: {len(run.warnings)} warning(s): series forecast by a fallback or "
            "without recent telemetry, feeds that stopped, or contracts not applied",
            error=True,
        )
        return EXIT_FAILED
    return EXIT_OK


def adhoc_drill(args: argparse.Namespace) -> AdhocDrill | None:
    """The ad-hoc drill ``fleetcast drill`` describes, or None for ready-made ones. A supply
    event alone plays at today's demand unless --factor is given (``AdhocDrill``)."""
    targets = [t for t in (args.cls, args.customer, args.region) if t]
    if not (targets or args.all or args.lose or args.slip or args.region_loss):
        return None
    if len(targets) > 1:
        raise UsageError("give one of --class, --customer, --region, --all")
    target = "all"
    if args.cls:
        target = f"class:{args.cls}"
    elif args.customer:
        target = f"customer:{args.customer}"
    elif args.region:
        target = f"region:{args.region}"
    # --all names a demand shock: with a supply event it keeps its 2x unless --factor says.
    factor = field_default(AdhocDrill, "multiplier") if args.all else None
    factor = args.factor if args.factor is not None else factor
    given = {"multiplier": factor} if factor is not None else {}
    supply = bool(args.lose or args.slip or args.region_loss)
    if factor == 1 and not supply:
        # It played and passed, "0 h", a drill of nothing that read as a shock survived.
        say(
            "warning: --factor 1 is no shock: the drill plays today's demand unchanged; give "
            "a factor other than 1",
            error=True,
        )
    return _model(
        AdhocDrill,
        target=target,
        shape=args.shape,
        start=args.start,
        lose=_once("--lose", args.lose),
        slip=_once("--slip", args.slip),
        region_loss=args.region_loss,
        **given,
    )


def _once(flag: str, given: Sequence[str]) -> tuple[str, ...]:
    """Each value of a repeatable flag once, in the order typed, warning of a repeat: a pasted
    `--lose X --lose X` played one loss under the name lose-X-lose-X, read as two."""
    kept = tuple(dict.fromkeys(given))
    for value in kept:
        if given.count(value) > 1:
            say(
                f"warning: {flag} {value} given {given.count(value)} times: played once",
                error=True,
            )
    return kept


# The ad-hoc drill's scenario fields and the flags that give them.
_DRILL_FLAGS = {
    "multiplier": "--factor",
    "shape": "--shape",
    "start": "--start",
    "lose": "--lose",
    "slip": "--slip",
    "region_loss": "--region-loss",
}


def _drill_field_names(args: argparse.Namespace) -> dict[str, str]:
    """How `fleetcast drill` names its ad-hoc scenario's fields: by the flag typed and, for a
    repeated flag, the value typed (``lose.1`` is "--lose nosuch"); the target by the one of
    --class, --customer, --region, --all typed."""
    names = dict(_DRILL_FLAGS)
    targets = {"--class": args.cls, "--customer": args.customer, "--region": args.region}
    typed = [flag for flag, value in {**targets, "--all": args.all}.items() if value]
    if typed:
        names["target"] = typed[0]
    for field in ("lose", "slip"):
        for nth, value in enumerate(dict.fromkeys(getattr(args, field) or ())):
            names[f"{field}.{nth}"] = f"{_DRILL_FLAGS[field]} {value}"
    return names


def _said_by_flags(message: str, args: argparse.Namespace) -> str:
    """A drill scenario's refusal with each field it names said as the flag typed (and, for a
    repeated flag, the value typed): `drill --shape zigzag` read "field shape: expected
    step, ...", `--lose nosuch` "field lose.0.block: no block ...", names no flag has."""
    from forecasting.drills import fields_said_as

    return fields_said_as(message, _drill_field_names(args))


def _scenario_refusal(exc: InvalidScenarioError, args: argparse.Namespace) -> str:
    """An ad-hoc drill's fields refused, on one line, each by the flag typed: read from the
    fields the library lists, never from its message's wording."""
    from forecasting.drills import field_said_as

    names = _drill_field_names(args)
    return "; ".join(
        f"{field_said_as(p.field, names)}: {p.text}" if p.field else p.text for p in exc.problems
    )


def cmd_drill(args: argparse.Namespace) -> int:
    """Run ready-made or ad-hoc shock drills on the newest forecast run."""
    from flows.tables import drill_tables, shock_cut_lines
    from forecasting import runs
    from forecasting.drills import InvalidScenarioError, ScenarioError

    if args.name and (args.cls or args.customer or args.region or args.all):
        raise UsageError("name a ready-made drill or describe one with --class/--customer/...")
    adhoc = adhoc_drill(args)
    options: DrillOptions = _model(
        DrillOptions,
        drills=(args.name,) if args.name else (),
        adhoc=adhoc,
        forecast_run_id=args.forecast_run,
        paths=args.paths,
        seed=args.seed,
        answers=args.answers,
        answer_paths=args.answer_paths,
    )
    paths = _paths(args)
    try:
        scenarios = runs.drill_scenarios(options)  # bad names and shapes fail here, before any run
    except InvalidScenarioError as exc:
        raise UsageError(str(exc) if adhoc is None else _scenario_refusal(exc, args)) from exc
    except (ScenarioError, ValueError) as exc:
        raise UsageError(str(exc) if adhoc is None else _said_by_flags(str(exc), args)) from exc
    for customer in runs.drilled_customers(scenarios):
        fold = runs.customer_fold(paths.warehouse, args.forecast_run, customer)
        if fold.error and adhoc is not None:
            # A customer folded into "other" has no forecast of its own: said before any path
            # loads. A drill file's is not played, with that reason, and the others play.
            raise UsageError(fold.error)
        if fold.warning:
            say(fold.warning, error=True)
    # The flow's log of a drill not played is what the terminal shows: in the flags typed.
    names = None if adhoc is None else _drill_field_names(args)
    if args.via_server:
        batch = _drill_via_server(
            paths.warehouse, paths.capacity, options, args.timeout, field_names=names
        )
    elif _direct():
        batch = runs.drill(paths.warehouse, paths.capacity, options)
    else:
        from flows.drill import drill_flow

        batch = drill_flow(paths.warehouse, paths.capacity, options, field_names=names)
    if batch.played:
        for table in drill_tables(batch.played):
            console.print(table)
        for line in shock_cut_lines(batch.played):
            say(line)
        # As `report` and the pages say it: the figures above rest on days no backtest scored.
        extrapolated = runs.extrapolated_warning(paths.warehouse, args.forecast_run)
        if extrapolated:
            say(extrapolated)
    _warn_not_played(
        batch.not_played
        if adhoc is None
        else [
            d.model_copy(update={"reason": _said_by_flags(d.reason, args)})
            for d in batch.not_played
        ]
    )
    unmeasured = runs.unmeasured_demand_warning(paths.warehouse, args.forecast_run)
    if batch.played and unmeasured:
        say(unmeasured, error=True)
    # A forecast stored before migration 41 kept no outage windows: its shapes read raw.
    outages_unknown = runs.outages_not_known_warning(paths.warehouse, args.forecast_run)
    if batch.played and outages_unknown:
        say(outages_unknown, error=True)
    # The plan as of the forecast the drills played, not the newest telemetry day: telemetry
    # ingested since dropped a block retired in between from the blocks that serve nobody.
    as_of = runs.drilled_as_of(paths.warehouse, args.forecast_run)
    for line in runs.plan_warnings_for(paths.warehouse, paths.capacity, as_of=as_of):
        say(line, error=True)
    # Drills asked for and none played is a failed command; some skipped among many is not.
    return EXIT_OK if batch.played else EXIT_FAILED


def _warn_unplanned(regions: Sequence[str], *, plan: Path | None) -> None:
    """One warning line for each region of the telemetry the capacity plan has no block or
    site for: its red and its order are read against zero capacity."""
    from forecasting.capacity import unplanned_region_warning

    for region in regions:
        line = unplanned_region_warning(region, plan=str(plan))
        say(line, error=True)


def _warn_not_played(not_played: Sequence[DrillNotPlayed]) -> None:
    """Print why each drill that could not be played was not, one warning line each, unless
    the drill flow's own warning for it is on the console already (:func:`run_log_on_console`:
    Prefect's log at WARNING, as a served deployment's log keeps it): then the terminal read
    each one twice, and `run`'s summary counts and names them below."""
    from flows.tables import not_played_lines

    if run_log_on_console():
        return
    for line in not_played_lines(not_played):
        say(line, error=True)


def _drill_via_server(
    warehouse_path: Path,
    capacity_path: Path,
    options: DrillOptions,
    timeout: float,
    *,
    field_names: dict[str, str] | None,
) -> DrillBatch:
    """The drill run by the server's ``drill/adhoc`` deployment, read back from the warehouse
    (its log of a drill not played in ``field_names``, the flags typed)."""
    if not prefect_server_configured():
        raise UsageError("--via-server needs PREFECT_API_URL (the server `fleetcast serve` uses)")
    import httpx

    from flows.serve import ServerRunError, api_url, drill_via_server

    try:
        return drill_via_server(
            warehouse_path, capacity_path, options, timeout=timeout, field_names=field_names
        )
    except ServerRunError as exc:
        raise RunFailedError(str(exc)) from exc
    except httpx.TransportError as exc:
        # A server down or a URL without its scheme: httpx's whole trace before.
        reason = re.sub(r"^\[Errno \d+\]\s*", "", str(exc)).rstrip(".") or type(exc).__name__
        raise RunFailedError(
            f"cannot reach the Prefect server at {api_url()} ({reason}); start `fleetcast "
            "serve` or fix PREFECT_API_URL"
        ) from None


# The whatif flags whose options-model field is named otherwise: "--price-per-gpu-hour: Input
# should be greater than 0" named a flag the command does not have.
_WHATIF_FLAGS = {"price_per_gpu_hour": "--price", "workload_class": "--class", "until": "--until"}


def _whatif_flag(field: str) -> str:
    """The whatif flag of an options-model field."""
    return _WHATIF_FLAGS.get(field) or _flag(field)


def _deal_rule_text(exc: ContractRuleError) -> str:
    """A contract rule the deal breaks, by the flags typed: the contract book's field names
    (``term_end``, ``ramp[2].date``) named nothing on the command line."""
    step = re.fullmatch(r"ramp\[(\d+)\](?:\.(\w+))?", exc.field)
    if exc.field == "term_end":
        where = "--until"
    elif step is not None:
        part = {"date": "its date", "gpus": "its GPUs"}.get(step[2] or "", "")
        where = f"--ramp, step {step[1]}" + (f" ({part})" if part else "")
    else:
        where = "--" + exc.field.replace("_", "-")
    rule = (
        exc.rule.replace("term_end before the first ramp date", "before the ramp's first date")
        .replace("ramp step after term_end", "after the end of the term (--until)")
        .replace("term_end", "the end of the term (--until)")
    )
    shown = "" if exc.value is None else f" (got {exc.value!r})"
    return f"the deal's {where}: {rule}{shown}"


def _deal_day(text: str) -> date:
    """A day flag (whatif's ``--until``, backtest-decisions' ``--from`` and ``--until``,
    forecast's ``--as-of``): "invalid fromisoformat value" was Python's word for a bad date."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def whatif_answer_table(outcome: WhatIfOutcome) -> Table:
    """The what-if's table, its headline "not judged" where the deal's region has no telemetry
    and the deal alone would be served: it read "served from its first day; extra capex $0"
    where `report` judges no order in that region."""
    from flows.tables import whatif_table
    from forecasting.capacity import NOT_JUDGED
    from forecasting.text import usd

    table = whatif_table(outcome)
    if not outcome.not_judged:
        return table
    revenue = (
        "" if outcome.revenue_usd is None else f"; revenue {usd(outcome.revenue_usd)} if served"
    )
    # Text(), not markup, as whatif_table's own headline: region names are data.
    table.title = Text(
        f"what-if on {outcome.forecast_run_id} (as of {outcome.as_of}, plan to "
        f"{outcome.horizon_end}): {outcome.not_judged}; extra capex {NOT_JUDGED}{revenue}"
    )
    if table.caption:
        table.caption = Text(f"{outcome.not_judged}: its pools' statuses are not measured")
    return table


def cmd_whatif(args: argparse.Namespace) -> int:
    """Weigh a deal before it is signed: serve from when, which orders, what it brings."""
    from flows.tables import whatif_lines
    from forecasting.contracts import ContractRuleError
    from forecasting.whatif import DealError

    try:
        options = WhatIfOptions(
            customer=args.customer,
            workload_class=args.cls,
            region=args.region,
            ramp=args.ramp,
            until=args.until,
            price_per_gpu_hour=args.price,
            forecast_run_id=args.forecast_run,
            quantile=args.quantile,
            buffer_weeks=args.buffer_weeks,
        )
    except ValidationError as exc:
        raise UsageError(_problems(exc, _whatif_flag, model=WhatIfOptions)) from None
    paths = _paths(args, publishes=True)
    try:
        if _direct():
            from forecasting.runs import weigh_deal

            outcome = weigh_deal(paths.warehouse, paths.capacity, paths.reports, options)
        else:
            from flows.whatif import whatif_flow

            outcome = whatif_flow(paths.warehouse, paths.capacity, paths.reports, options)
    except ContractRuleError as exc:
        raise UsageError(_deal_rule_text(exc)) from exc
    except DealError as exc:
        raise UsageError(str(exc)) from exc
    console.print(whatif_answer_table(outcome))
    for line in whatif_lines(outcome):
        say(line)
    return EXIT_OK


def _every_most() -> int:
    """The most days --every may be, the options model's."""
    return int(
        next(m.le for m in DecisionOptions.model_fields["every_days"].metadata if hasattr(m, "le"))
    )


def _interval() -> _Number:
    """The argparse type of --every: :func:`interval_days`, its range in days and weeks."""
    most = _every_most()
    return _Number(
        interval_days,
        expected="an interval like 4w or 28d",
        allowed=f"1d to {most}d, 1w to {most // 7}w",
    )


def interval_days(text: str) -> int:
    """Days in an interval written as ``4w``, ``28d`` or ``28`` (ValueError: none of them)."""
    from forecasting.options import every_days

    days = every_days(text)
    # Bounded here, in the unit typed: the options model's refusal named its field,
    # "--every-days: Input should be less than or equal to 366", a flag that does not exist.
    most = _every_most()
    if days > most:
        raise argparse.ArgumentTypeError(
            f"{text!r} is {days:,} days, above the most allowed, {most} days ({most // 7}w or "
            f"{most}d)"
        )
    return days


def cmd_backtest_decisions(args: argparse.Namespace) -> int:
    """Replay the triggers as of past days and judge them against what happened."""
    import polars as pl

    from flows.tables import decisions_tables
    from forecasting.decisions import (
        DECISION_REPLAYS_SCHEMA,
        MIN_HISTORY_DAYS,
        short_history_as_ofs,
    )

    paths = _paths(args, publishes=True)
    options: DecisionOptions = _model(
        DecisionOptions,
        first_as_of=args.first_as_of,
        every_days=args.every,
        until=args.until,
        n_paths=args.paths,
        quantile=args.quantile,
        buffer_weeks=args.buffer_weeks,
        workers=args.workers,
        outages=args.outages,
        zero_is_outage=args.zero_is_outage,
    )
    if _direct():
        from flows.direct import backtest_decisions
    else:
        from flows.decisions import backtest_decisions  # same signature as the direct one
    try:
        run = backtest_decisions(paths.warehouse, paths.capacity, paths.reports, options)
    except ValueError as exc:  # --from/--until outside the data
        raise UsageError(str(exc)) from None
    for table in decisions_tables(run):
        console.print(table)
    # As `forecast --outages` says them: a calendar that marked nothing printed nothing here.
    for note in run.outage_notes:
        say(f"warning: {note}", error=True)
    # A replay on too little history still reads like a measured call: say so where it shows.
    short = short_history_as_ofs(pl.DataFrame(run.replays, schema=DECISION_REPLAYS_SCHEMA))
    if short:
        days = ", ".join(f"{day} ({n} days)" for day, n in short.items())
        say(
            f"warning: {len(short)} as-of {'day' if len(short) == 1 else 'days'} with a region "
            f"under {MIN_HISTORY_DAYS} days of telemetry, too few for the growth models to fit "
            f"a trend: {days}; their calls are flagged 'short history' in their notes"
        )
    if options.use_contracts:
        # A replay counts an undated contract from its first ramp day: say which and where.
        from forecasting.decisions import undated_contracts_note
        from forecasting.runs import contract_book

        undated = undated_contracts_note(
            contract_book(paths.warehouse, capacity_path=paths.capacity), run.as_ofs
        )
        if undated:
            say(f"note: {undated}")
    if run.page is not None:
        say(f"page: {run.page}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the scheduled and ad-hoc deployments until interrupted."""
    if not prefect_server_configured():
        raise UsageError(
            "serve needs a Prefect server: start `prefect server start` and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    from flows.serve import ServeSettings, serve_deployments

    try:
        served = ServeSettings.from_env()
    except ValidationError as exc:
        # One line, as every usage error (it printed pydantic's three-line dump).
        problems = "; ".join(
            f"$FLEETCAST_{str(e['loc'][0]).upper()}: {rule_text(e, quote=False)}"
            for e in exc.errors()
        )
        raise UsageError(f"bad schedule setting: {problems}") from None
    import httpx

    try:
        serve_deployments(served, _paths(args, publishes=True))
    except httpx.TransportError as exc:
        # The server named by PREFECT_API_URL is down or elsewhere (a whole httpx trace before).
        raise RunFailedError(
            f"cannot reach the Prefect API (PREFECT_API_URL) at "
            f"{os.environ.get('PREFECT_API_URL', 'the active profile')}: {exc}; is `prefect "
            "server start` running there?"
        ) from None
    return EXIT_OK


def _serve_epilog() -> str:
    """What `serve --help` says of the server and the schedule variables, with defaults."""
    from forecasting.settings import Settings

    fields = Settings.model_fields
    lines = [
        "needs PREFECT_API_URL, the Prefect server's API (e.g. http://127.0.0.1:4200/api, after",
        "`prefect server start`); schedules and runner from the environment (UTC):",
    ]
    for name in (
        "forecast_cron", "report_cron", "inbox_interval_minutes", "inbox", "task_runner",
        "alert_webhook",
    ):  # fmt: skip
        field = fields[name]
        default = "unset" if field.default is None else repr(str(field.default))
        lines.append(f"  FLEETCAST_{name.upper()}: {field.description} (default {default})")
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    """The last runs in the warehouse, the age of its data, what the newest report changed
    since the one before and, with a server, Prefect's runs."""
    from flows.status import prefect_runs_table, warehouse_status_tables

    path = _paths(args).warehouse
    for view in warehouse_status_tables(path, limit=args.limit):
        if isinstance(view, Text):
            say(view)
        else:
            console.print(view)
    if prefect_server_configured():  # never start an ephemeral server just to look
        console.print(prefect_runs_table(limit=args.limit))
    return EXIT_OK


def cmd_prune(args: argparse.Namespace) -> int:
    """Remove old forecast runs and what was made on them; published pages stay."""
    from forecasting import warehouse

    with warehouse.connect(_paths(args).warehouse, create=False) as wh:
        pruned = wh.prune(keep=args.keep, dry_run=args.dry_run)
    counts = ", ".join(
        f"{n:,} {name.removesuffix('_runs')} run(s)" for name, n in pruned.runs.items()
    )
    verb = "would remove" if args.dry_run else "removed"
    say(
        f"prune: {verb} {counts} ({pruned.rows:,} rows); kept the newest {args.keep} forecast "
        "run(s). Telemetry, contracts, events, decision backtests and published pages stay."
    )
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Compute triggers for a forecast run and publish the reports."""
    from flows.tables import (
        power_lines,
        report_table,
        retiring_lines,
        to_place_line,
        triggers_line,
    )

    paths = _paths(args, publishes=True)
    options: ReportOptions = _model(
        ReportOptions,
        forecast_run_id=args.forecast_run,
        quantile=args.quantile,
        buffer_weeks=args.buffer_weeks,
    )
    if _direct():
        from forecasting.runs import report

        outcome = report(paths.warehouse, paths.capacity, paths.reports, options)
    else:
        from flows.report import report_flow

        outcome = report_flow(paths.warehouse, paths.capacity, paths.reports, options)
    console.print(report_table(outcome))
    # The table lists each pool's first order; a later order due before them all (a long-lead
    # cell) and a site short of power are as urgent (the pipeline's summary says them too).
    for line in (
        triggers_line(outcome),
        *to_place_line(outcome),
        *power_lines(outcome),
        *retiring_lines(outcome),
    ):
        say(line)  # never wrapped: a log's reader greps these lines
    _warn_unplanned(outcome.unplanned_regions, plan=paths.capacity)
    from forecasting.runs import plan_warnings_for

    disagreements = outcome.plan_disagreements_read()  # the report's: aggregated once
    for warning in plan_warnings_for(
        paths.warehouse, paths.capacity, as_of=outcome.as_of, disagreements=disagreements
    ):
        say(warning, error=True)
    for warning in outcome.warnings:
        say(warning, error=True)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Ingest new files, forecast, drill and publish, as one pipeline flow."""
    from flows.pipeline import PipelineStopped, pipeline_flow
    from flows.tables import fallback_lines, pipeline_summary, report_table
    from forecasting.capacity import load_capacity
    from forecasting.runs import plan_warnings_for
    from forecasting.traces.outages import read_outage_calendar

    if args.inbox is not None and not args.inbox.is_dir():
        raise UsageError(f"--inbox {args.inbox} is not a folder")
    if args.inbox_format is not None and args.inbox is None:
        raise UsageError(f"--format {args.inbox_format} reads the --inbox files: give --inbox DIR")
    paths = _paths(args, publishes=True)
    _check_files(args.events, flag="--events", reads="give each CSV or Parquet calendar")
    _check_files(args.contracts, flag="--contracts", reads="give each TOML or CSV book")
    load_capacity(paths.capacity)  # refused before any work, and without the flow's traceback
    if args.outages is not None:
        # Its rows too (the regions it names are judged once the inbox is in the warehouse).
        read_outage_calendar(args.outages)
    options = PipelineOptions(
        inbox=args.inbox,
        inbox_format=args.inbox_format,
        events=args.events,
        contracts=args.contracts,
        allow_empty=args.allow_empty,
        forecast=_model(
            ForecastOptions,
            horizon_days=args.horizon,
            horizon_months=args.horizon_months,
            outages=args.outages,
            zero_is_outage=args.zero_is_outage,
            n_paths=args.paths,
            task_runner=args.task_runner,
            workers=args.workers,
            dask_address=args.dask_address,
        ),
        drill=_model(DrillOptions, answers=args.answers),
    )
    started = time.perf_counter()
    outcome = pipeline_flow(paths.warehouse, paths.capacity, paths.reports, options)
    if isinstance(outcome, PipelineStopped):
        _say_loads(outcome)
        raise RunFailedError(outcome.why)
    console.print(report_table(outcome.report))
    _warn_unplanned(outcome.report.unplanned_regions, plan=paths.capacity)
    # As `report` and `forecast` say them: a plan region with no telemetry is in no table of
    # the run, its absence easy to take for a green (every page says it; the run did not).
    disagreements = outcome.report.plan_disagreements_read()  # the report's: aggregated once
    for warning in plan_warnings_for(
        paths.warehouse, paths.capacity, as_of=outcome.report.as_of, disagreements=disagreements
    ):
        say(warning, error=True)
    for line in fallback_lines(outcome.forecast):
        say(line, error=True)
    _warn_not_played(outcome.drills_not_played)
    _say_loads(outcome)
    for line in pipeline_summary(outcome, seconds=time.perf_counter() - started):
        say(line)
    if any(r.status == "failed" for r in outcome.ingested):
        return EXIT_FAILED
    if args.strict and outcome.forecast.warnings:
        say(f"--strict: {len(outcome.forecast.warnings)} forecast warning(s)", error=True)
        return EXIT_FAILED
    return EXIT_OK


def _say_loads(outcome: PipelineOutcome | PipelineStopped) -> None:
    """The files, event rows and contracts a run could not load, each with why, as `ingest`
    does (the run listed none of them, or a bare count)."""
    from flows.tables import events_tables

    for result in outcome.ingested:
        for line in result.warnings:
            say(f"warning: {line}", error=True)
        for line in result.quarantined_rows:
            say(f"quarantined {line}", error=True)
        if result.status == "failed":
            say(failed_line(result.message), error=True)
    if any(load.refused or load.duplicate_rows for load in outcome.events):
        for table in events_tables(outcome.events, limit=50)[1:]:
            console.print(table)
    _say_event_problems(outcome.events)
    _say_contract_problems(outcome.contracts)


def cmd_demo(args: argparse.Namespace) -> int:
    """A synthetic fleet through the whole pipeline; prints where the reports are."""
    from flows.demo import run_demo, run_helios_demo

    if args.trace == "helios":
        # As every command: --warehouse or $FLEETCAST_WAREHOUSE, --capacity or
        # $FLEETCAST_CAPACITY (both were ignored: it wrote ./data/helios.duckdb). Unset, the
        # trace keeps files of its own, apart from the synthetic fleet's.
        paths = _paths(args, publishes=True)
        own = settings().data_dir
        return run_helios_demo(
            warehouse_path=paths.warehouse
            if _set_by_user(args, "warehouse")
            else own / "helios.duckdb",
            plan_path=paths.capacity
            if _set_by_user(args, "capacity")
            else own / "demo-helios" / "capacity.toml",
            reports_path=paths.reports,
        )
    return run_demo(
        warehouse_path=_paths(args).warehouse,
        reports_path=_paths(args, publishes=True).reports,
        days=args.days,
        customers=args.customers,
        seed=args.seed,
    )


# --- parser ------------------------------------------------------------------------------------


def _runner_options(parser: argparse.ArgumentParser, current: Settings) -> None:
    env = f"${Settings.model_config.get('env_prefix', '')}"
    parser.add_argument(
        "--task-runner",
        choices=get_args(RunnerKind),
        default=current.task_runner,
        help=f"{field_help(ForecastOptions, 'task_runner')}; or {env}TASK_RUNNER",
    )
    parser.add_argument(
        "--workers",
        type=_whole(ForecastOptions, "workers"),
        default=current.workers,
        help=f"{field_help(ForecastOptions, 'workers')}; or {env}WORKERS",
    )
    parser.add_argument(
        "--dask-address",
        default=current.dask_address,
        help=f"{field_help(ForecastOptions, 'dask_address')} (with --task-runner dask); "
        f"or {env}DASK_ADDRESS",
    )


def _option(
    parser: argparse.ArgumentParser,
    flag: str,
    model: type[BaseModel],
    field: str,
    **kwargs: Any,
) -> None:
    """An argument whose default and help are the options model's field's; a number field's
    refusal of a non-number names its range (:class:`_Number`)."""
    kind = kwargs.setdefault("type", type(field_default(model, field)))
    if kind is int:
        kwargs["type"] = _whole(model, field)
    elif kind is float:
        kwargs["type"] = _figure(model, field)
    parser.add_argument(
        flag, default=field_default(model, field), help=field_help(model, field), **kwargs
    )


def _allow_empty_option(p: argparse.ArgumentParser) -> None:
    """--allow-empty: a file with no entries empties what it loaded before, on purpose."""
    p.add_argument(
        "--allow-empty", action="store_true", help=field_help(PipelineOptions, "allow_empty")
    )


def _reading_options(p: argparse.ArgumentParser) -> None:
    """How telemetry is read into demand, and what a warning costs: forecast and run alike."""
    p.add_argument(
        "--outages", type=Path, default=None, help=field_help(ForecastOptions, "outages")
    )
    p.add_argument(
        "--zero-is-outage", action="store_true", help=field_help(ForecastOptions, "zero_is_outage")
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 if any series was forecast by a fallback or lacks recent telemetry",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    import inspect

    from forecasting.ingest import FORMATS
    from forecasting.schema import WorkloadClass
    from forecasting.synth import synthetic_fleet

    current = settings()
    fleet_defaults = inspect.signature(synthetic_fleet).parameters
    parser = _Parser(
        prog="fleetcast",
        description="GPU-cloud demand forecasts, shock drills and expansion triggers.",
        parents=[_global_options(suppress=False)],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _global_options(suppress=True)

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(func=func)
        return p

    def fleet_options(p: argparse.ArgumentParser) -> None:
        from forecasting.synth import MIN_CUSTOMERS, MIN_DAYS

        least = {"days": MIN_DAYS, "customers": MIN_CUSTOMERS, "seed": 0}
        for name in ("days", "customers", "seed"):
            default = fleet_defaults[name].default
            p.add_argument(
                f"--{name}", type=at_least(least[name]), default=default,
                help=f"(default {default}; at least {least[name]})",
            )  # fmt: skip

    p = add(
        "synth", cmd_synth, "write a realistic synthetic fleet (telemetry files + capacity.toml)"
    )
    p.add_argument(
        "--out", type=Path, default=Path("data/synth"), help="output folder (default data/synth)"
    )
    fleet_options(p)
    p.add_argument(
        "--file-format",
        choices=("parquet", "csv"),
        default="parquet",
        help="telemetry file format (default parquet)",
    )

    p = add("ingest", cmd_ingest, "validate and load telemetry files (directories expand)")
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    p.add_argument(
        "--format",
        dest="file_format",
        default=None,
        choices=FORMATS,
        help="csv, parquet or jsonl when the suffix does not say; or a public trace: "
        "helios, servegen, azure-llm (see forecasting/traces)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 if any row of these files is in quarantine: quarantined by this run, or "
        "by the earlier ingest of a file skipped as unchanged",
    )

    p = add("capacity", cmd_capacity, "print the capacity inventory and timeline")
    p.add_argument(
        "--sample", action="store_true", help="show the sample plan shipped with fleetcast"
    )

    p = add("events", cmd_events, "load event calendars (launches, holidays), or list them")
    p.add_argument("paths", type=Path, nargs="*", metavar="FILE", help="CSV or Parquet calendars")
    p.add_argument("--strict", action="store_true", help="exit 1 if any row was refused")
    p.add_argument(
        "--limit", type=at_least(1), default=50, help="events to show (default 50; at least 1)"
    )
    _allow_empty_option(p)

    p = add("contracts", cmd_contracts, "load contract books (signed and pipeline), or list them")
    p.add_argument("paths", type=Path, nargs="*", metavar="FILE", help="TOML or CSV books")
    p.add_argument("--strict", action="store_true", help="exit 1 if any contract was refused")
    p.add_argument(
        "--limit", type=at_least(1), default=50, help="contracts to show (default 50; at least 1)"
    )
    _allow_empty_option(p)

    p = add("forecast", cmd_forecast, "forecast demand per level with quantiles and store the run")
    p.add_argument(
        "--as-of",
        type=_deal_day,
        default=None,
        help="last day of history, YYYY-MM-DD (default: the newest telemetry day)",
    )
    _option(p, "--horizon", ForecastOptions, "horizon_days", type=_horizon())
    _option(p, "--horizon-months", ForecastOptions, "horizon_months")
    p.add_argument("--models", default=None, help="comma-separated candidates, e.g. ets,theta")
    _option(p, "--fixed-model", ForecastOptions, "fixed_model", type=str)
    _option(p, "--paths", ForecastOptions, "n_paths")
    _option(p, "--cutoffs", ForecastOptions, "n_cutoffs")
    _option(p, "--backtest-days", ForecastOptions, "backtest_days")
    _option(p, "--backtest-step", ForecastOptions, "backtest_step_days", type=int)
    _option(p, "--min-train-days", ForecastOptions, "min_train_days")
    p.add_argument("--no-events", action="store_true", help="forecast without the known events")
    p.add_argument(
        "--no-contracts", action="store_true", help="forecast without the stored contract book"
    )
    _reading_options(p)
    _runner_options(p, current)

    p = add("drill", cmd_drill, "shock drills: ready-made by NAME, or ad hoc with --class etc.")
    p.add_argument(
        "name", nargs="?", help="a ready-made drill, or one in $FLEETCAST_DRILLS (default: all)"
    )
    p.add_argument("--class", dest="cls", help="shock one workload class")
    p.add_argument("--customer", help="shock one customer ('top' for the largest)")
    p.add_argument("--region", help="shock one region")
    p.add_argument("--all", action="store_true", help="shock everything")
    p.add_argument(
        "--factor",
        type=_figure(AdhocDrill, "multiplier"),
        default=None,
        help=(
            f"demand multiplier, a shock up: at least 1 (default "
            f"{field_default(AdhocDrill, 'multiplier'):g} with "
            "--class/--customer/--region/--all; 1 with --lose/--slip/--region-loss alone)"
        ),
    )
    _option(p, "--shape", AdhocDrill, "shape")
    _option(p, "--start", AdhocDrill, "start", type=str)
    for flag in ("lose", "slip"):
        p.add_argument(f"--{flag}", action="append", default=[], help=field_help(AdhocDrill, flag))
    _option(p, "--region-loss", AdhocDrill, "region_loss", type=str)
    _option(p, "--paths", DrillOptions, "paths", type=int)
    _option(p, "--seed", DrillOptions, "seed")
    _option(p, "--forecast-run", DrillOptions, "forecast_run_id", type=str)
    _option(p, "--answers", DrillOptions, "answers", choices=get_args(Answers))
    _option(p, "--answer-paths", DrillOptions, "answer_paths", type=int)
    p.add_argument(
        "--via-server",
        action="store_true",
        help="run through the server's drill/adhoc deployment (needs PREFECT_API_URL)",
    )
    p.add_argument(
        "--timeout",
        type=positive_number(),
        default=600,
        help="seconds to wait with --via-server (600; above 0)",
    )

    p = add("report", cmd_report, "expansion triggers and the published reports of a forecast run")
    _option(p, "--forecast-run", ReportOptions, "forecast_run_id", type=str)
    _option(p, "--quantile", ReportOptions, "quantile", choices=QUANTILE_CHOICES)
    _option(p, "--buffer-weeks", ReportOptions, "buffer_weeks")

    p = add("quarantine", cmd_quarantine, "list quarantined rows and the rule each broke")
    p.add_argument(
        "--limit", type=at_least(1), default=50, help="rows to show (default 50; at least 1)"
    )

    p = add("demand", cmd_demand, "summarise daily demand per region and class")
    _option(p, "--customers-per-class", ForecastOptions, "customers_per_class")

    p = add("run", cmd_run, "the whole job: ingest the inbox, forecast, drill, report")
    p.add_argument(
        "--inbox",
        type=Path,
        default=None,
        help="folder of new telemetry files (default: none, nothing is ingested first)",
    )
    # A trace in the inbox could not be run: the ingest said "ingest it with --format
    # servegen", and `run` had no such option.
    p.add_argument(
        "--format",
        dest="inbox_format",
        default=None,
        choices=FORMATS,
        help="format of the --inbox files, as ingest's --format: csv, parquet or jsonl when "
        "the suffix does not say; or a public trace: helios, servegen, azure-llm",
    )
    p.add_argument(
        "--events", type=Path, action="append", default=[], help="event calendar to load first"
    )
    p.add_argument(
        "--contracts", type=Path, action="append", default=[], help="contract book to load first"
    )
    _allow_empty_option(p)
    _option(p, "--paths", ForecastOptions, "n_paths")
    _option(p, "--horizon", ForecastOptions, "horizon_days", type=_horizon())
    _option(p, "--horizon-months", ForecastOptions, "horizon_months")
    _option(p, "--answers", DrillOptions, "answers", choices=get_args(Answers))
    _reading_options(p)
    _runner_options(p, current)

    p = add(
        "whatif", cmd_whatif, "weigh a deal before it is signed: serve from when, orders, capex"
    )
    p.add_argument("--customer", required=True, help=field_help(WhatIfOptions, "customer"))
    p.add_argument(
        "--class",
        dest="cls",
        required=True,
        choices=[c.value for c in WorkloadClass],
        help=field_help(WhatIfOptions, "workload_class"),
    )
    p.add_argument("--region", required=True, help=field_help(WhatIfOptions, "region"))
    p.add_argument("--ramp", required=True, help=field_help(WhatIfOptions, "ramp"))
    p.add_argument("--until", type=_deal_day, default=None, help=field_help(WhatIfOptions, "until"))
    p.add_argument(
        "--price",
        type=_figure(WhatIfOptions, "price_per_gpu_hour"),
        default=None,
        help=field_help(WhatIfOptions, "price_per_gpu_hour"),
    )
    _option(p, "--forecast-run", WhatIfOptions, "forecast_run_id", type=str)
    _option(p, "--quantile", WhatIfOptions, "quantile", choices=QUANTILE_CHOICES)
    _option(p, "--buffer-weeks", WhatIfOptions, "buffer_weeks")

    p = add(
        "backtest-decisions",
        cmd_backtest_decisions,
        "would the triggers have fired in time? replay them as of past days and judge them",
    )
    p.add_argument(
        "--from",
        dest="first_as_of",
        type=_deal_day,
        required=True,
        help="first as-of day replayed (YYYY-MM-DD)",
    )
    p.add_argument(
        "--every", type=_interval(), default=28, help="days between as-of days: 4w, 28d (4w)"
    )
    p.add_argument(
        "--until",
        type=_deal_day,
        default=None,
        help="last as-of day (default: the day before the data ends)",
    )
    _option(p, "--paths", DecisionOptions, "n_paths")
    _option(p, "--quantile", ReportOptions, "quantile", choices=QUANTILE_CHOICES)
    _option(p, "--buffer-weeks", DecisionOptions, "buffer_weeks")
    p.add_argument(
        "--workers",
        type=_whole(DecisionOptions, "workers"),
        default=current.workers,
        help=f"as-of days replayed in parallel (default {current.workers or 'one per core'})",
    )
    # Demand read as `forecast` reads it: a replay without the calendar read its outage hours
    # as demand.
    p.add_argument(
        "--outages", type=Path, default=None, help=field_help(DecisionOptions, "outages")
    )
    p.add_argument(
        "--zero-is-outage", action="store_true", help=field_help(DecisionOptions, "zero_is_outage")
    )

    p = add("serve", cmd_serve, "serve the scheduled and ad-hoc deployments on a Prefect server")
    p.epilog = _serve_epilog()
    p.formatter_class = argparse.RawDescriptionHelpFormatter

    p = add("status", cmd_status, "last runs, their state and the age of the newest telemetry")
    p.add_argument(
        "--limit",
        type=at_least(1),
        default=5,
        help="runs of each kind to show (default 5; at least 1)",
    )

    p = add(
        "prune",
        cmd_prune,
        "remove all but the newest forecast runs, with their drill and trigger runs",
    )
    p.add_argument(
        "--keep",
        type=at_least(1),
        required=True,
        help="forecast runs to keep, the newest (at least 1)",
    )
    p.add_argument("--dry-run", action="store_true", help="count what would go, remove nothing")

    p = add("demo", cmd_demo, "synthetic fleet (or a real trace) -> the whole pipeline")
    p.add_argument(
        "--trace",
        choices=("helios",),
        default=None,
        help="run on a real public trace instead, into --warehouse/$FLEETCAST_WAREHOUSE with "
        "its plan written to --capacity/$FLEETCAST_CAPACITY (unset: data/helios.duckdb and "
        "data/demo-helios/capacity.toml); the trace is read from $FLEETCAST_TRACES, else "
        "../shared/data under $FLEETCAST_HOME or the current directory",
    )
    fleet_options(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (also used by the console script)."""
    try:
        parser = build_parser()
    except ValidationError as exc:  # a bad FLEETCAST_* variable
        prefix = Settings.model_config.get("env_prefix", "")
        problems = _problems(exc, lambda field: f"${prefix}{field.upper()}")
        say(f"fleetcast: error: {problems}", error=True)
        return EXIT_USAGE
    _ARGV.set(tuple(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    import duckdb

    from forecasting.capacity import CapacityError
    from forecasting.errors import PublishError
    from forecasting.ingest import IngestFileError
    from forecasting.runs import NoHistoryError, RunNotFoundError
    from forecasting.traces.outages import OutageCalendarError
    from forecasting.warehouse import WarehouseError, damaged_warehouse_error

    try:
        with stopping.handling_stop_signals():
            try:
                code = int(args.func(args))
                # A stop whose failure the command took for a step's (a drill that failed
                # on it, the run going on) still ends the command as a stop.
                stopping.raise_if_stopped()
                return code
            except Exception:
                # After a stop signal, a failure is the stop that something swallowed.
                stopping.raise_if_stopped()
                raise
            except BaseException as exc:
                # Prefect's SIGTERM bridge raised outside a flow run that would handle it.
                if stopping.is_prefect_termination(exc):
                    raise stopping.Terminated(signal.SIGTERM) from exc
                raise
    except UsageError as exc:
        say(
            f"fleetcast {args.command}: error: {exc} (see `fleetcast {args.command} --help`)",
            error=True,
        )
        return EXIT_USAGE
    except (
        CapacityError,
        WarehouseError,
        IngestFileError,
        RunFailedError,
        RunNotFoundError,
        NoHistoryError,
        OutageCalendarError,
        PublishError,
    ) as exc:
        say(f"fleetcast {args.command}: {exc}", error=True)
        return EXIT_FAILED
    except duckdb.IOException as exc:
        # A warehouse that opens but is cut short (a partial copy, a full disk) fails at the
        # first read of a missing block, in whatever command reads it.
        warehouse_path = resolve_paths(warehouse=_given(args, "warehouse")).warehouse
        if not any(str(p) in str(exc) for p in (warehouse_path, warehouse_path.resolve())):
            raise  # another file's read: not the warehouse's damage
        say(f"fleetcast {args.command}: {damaged_warehouse_error(warehouse_path, exc)}", error=True)
        return EXIT_FAILED
    except KeyboardInterrupt as exc:
        # Every run is stored in one transaction at its end: an interrupted one stored nothing
        # (Ctrl-C printed a 29-line trace and said nothing of what was kept). A command of
        # several runs keeps the ones it finished ("stores nothing" read as all or nothing
        # after a drill kept three of its eight drills).
        by = stopping.stopped_by(exc)
        stopped = "interrupted" if by == signal.SIGINT else f"stopped by {by.name}"
        say(
            f"fleetcast {args.command}: {stopped}; a run not finished stores nothing, the ones "
            "it finished (each file ingested, each drill played, a report's triggers) stay "
            "stored: run it again to finish (`fleetcast status` lists what is stored)",
            error=True,
        )
        return 128 + by


if __name__ == "__main__":
    sys.exit(main())
