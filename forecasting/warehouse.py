"""The one module that speaks SQL: the DuckDB connection, table names, DDL, writes and reads.

Every value reaches DuckDB as a bound parameter (``?`` or ``$n``); the only names pasted into
SQL are table and column names of the table registry (:data:`forecasting.schema.REGISTRY`,
which admits only plain identifiers), table names checked by :func:`table_name`. The DDL is
generated from the registry; schema changes are numbered migrations recorded in
``schema_migrations`` that create registry tables or add registry columns, so later versions
add tables and columns safely and every file ends in the registry's shape.

One process may hold the file for writing at a time (a DuckDB rule); a second one gets a
:class:`WarehouseBusyError` naming the pid that holds it instead of DuckDB's trace.
"""

from __future__ import annotations

import logging
import os
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal, NamedTuple

import duckdb
import polars as pl

from forecasting import schema
from forecasting.schema import EVENTS_SCHEMA, LEVELS, TELEMETRY_KEY, TELEMETRY_SCHEMA

__all__ = [
    "ADAPTER_OUTAGES_SCHEMA",
    "CONFLICT_RULE",
    "LEDGER_COLUMNS",
    "MIGRATIONS",
    "QUARANTINE_COLUMNS",
    "RUN_TABLES",
    "STORE_WAIT",
    "TABLES",
    "LedgerEntry",
    "Loaded",
    "Migration",
    "Overlap",
    "Pruned",
    "QueryInterrupted",
    "Reloaded",
    "Replaced",
    "RunHourly",
    "Warehouse",
    "WarehouseBusyError",
    "WarehouseError",
    "add_column_statement",
    "connect",
    "create_statements",
    "damaged_warehouse_error",
    "sql_type",
    "table_name",
]


class WarehouseError(RuntimeError):
    """The warehouse could not be opened or used; the message says what to do."""


class WarehouseBusyError(WarehouseError):
    """Another process holds the warehouse file."""


class QueryInterrupted(KeyboardInterrupt):
    """A signal (Ctrl-C, SIGTERM) stopped a statement.

    DuckDB turns the exception a signal handler raises inside a query into a RuntimeError
    ("Query interrupted"), which every ``except Exception`` takes for a failure: a SIGTERM in
    an ingest read as a failed file, and the pipeline went on to forecast for a minute more.
    """


# What DuckDB's RuntimeError says when a signal handler raised inside a query.
_SIGNAL_IN_QUERY = "Query interrupted"


def sql_type(dtype: pl.DataType) -> str:
    """DuckDB's type for a polars dtype, spelled as ``information_schema`` spells it."""
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        return f"{sql_type(inner if isinstance(inner, pl.DataType) else inner())}[]"
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone != "UTC":
            raise WarehouseError(f"stored timestamps are UTC; {dtype} has no DuckDB column type")
        return "TIMESTAMP WITH TIME ZONE"
    try:
        return _SQL_TYPES[dtype.base_type()]
    except KeyError:
        raise WarehouseError(
            f"no DuckDB column type for polars {dtype}; add it to warehouse._SQL_TYPES"
        ) from None


_SQL_TYPES: dict[type[pl.DataType], str] = {
    pl.String: "VARCHAR",
    pl.Boolean: "BOOLEAN",
    pl.Int32: "INTEGER",
    pl.Int64: "BIGINT",
    pl.Float32: "FLOAT",
    pl.Float64: "DOUBLE",
    pl.Date: "DATE",
}


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def create_statements(name: str, *, if_not_exists: bool = False) -> tuple[str, ...]:
    """The DDL of registry table ``name``: its sequence, if it numbers a column, then the table.

    Identifiers come from the registry, which admits only plain lower-case names; column
    names are quoted all the same (``column`` is a keyword).
    """
    table = schema.table(name)
    columns = []
    for column, dtype in table.stored_schema.items():
        parts = [f'"{column}"', sql_type(dtype)]
        if column == table.serial:
            parts.append(f"DEFAULT nextval('{table.sequence}')")
        if column not in table.nullable:
            parts.append("NOT NULL")
        columns.append(" ".join(parts))
    if table.key_enforced:
        columns.append(f"PRIMARY KEY ({_quoted(table.key)})")
    if table.unique:
        columns.append(f"UNIQUE ({_quoted(table.unique)})")
    exists = "IF NOT EXISTS " if if_not_exists else ""
    body = ",\n    ".join(columns)
    create = f"CREATE TABLE {exists}{table.name} (\n    {body}\n)"
    if table.sequence is None:
        return (create,)
    return (f"CREATE SEQUENCE {exists}{table.sequence} START 1", create)


def add_column_statement(name: str, column: str) -> str:
    """ALTER TABLE giving registry table ``name`` its ``column``; a no-op where it exists."""
    table = schema.table(name)
    if column not in table.nullable:
        raise WarehouseError(
            f"{name}.{column}: a column added to stored rows must be nullable (old rows have "
            "no value); list it in the table's nullable columns in forecasting/schema.py"
        )
    dtype = sql_type(table.stored_schema[column])
    return f'ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS "{column}" {dtype}'


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered, append-only schema change, in terms of the table registry.

    ``creates`` makes tables in the registry's current shape; ``adds`` lists (table, column)
    pairs that a later version gave a table. A column a table gains goes at the end of its
    registry schema, nullable, with a new migration that adds it: a file created before gets
    it by ALTER; on a newer file ``creates`` made it already and the ALTER changes nothing.
    So every file, old or new, ends with the registry's columns in the registry's order.
    ``backfills`` are UPDATE statements with their bound values, run after the DDL, giving
    rows stored before the change the value the code of the day would have written; like
    every migration they are history: their words and values are frozen as written.
    """

    version: int
    name: str
    creates: tuple[str, ...] = ()
    adds: tuple[tuple[str, str], ...] = ()
    backfills: tuple[tuple[str, tuple[object, ...]], ...] = ()

    @property
    def statements(self) -> tuple[str, ...]:
        """The DDL of this migration, generated from the registry; a no-op where it was done,
        as an ALTER is: a file rolled back to an older version by its records (as the tests
        of migrations 33 to 36 do) keeps a later migration's tables, and re-creating one
        stopped the open with DuckDB's "already exists"."""
        return (
            *(s for name in self.creates for s in create_statements(name, if_not_exists=True)),
            *(add_column_statement(name, column) for name, column in self.adds),
        )


# The words the trigger notes flagged with up to migration 33 (schema.MONTHLY_ONLY and
# triggers.notes.UNVERIFIED_GREEN as they read then), which it reads its backfill from: frozen
# here, not imported, so a later rewording of the notes leaves the rows stored before alone.
_MONTHLY_ONLY_WORDS = "not verified at the daily grain"
_UNVERIFIED_GREEN_WORDS = "not verified beyond it"
# The words an idle-risk note opened its no-demand reason with up to migration 34
# (triggers.idle.NO_LOW_DEMAND as it read then), and those a decision replay's note said
# never powered, unmet censored and a short history with before migrations 30 and 32
# (decisions.NEVER_POWERED, UNMET_CENSORED and SHORT_HISTORY then), frozen likewise.
_NO_LOW_DEMAND_WORDS = "no demand at the low quantile"
_NEVER_POWERED_WORDS = "no site of the plan can power its blocks"
_UNMET_CENSORED_WORDS = "unmet counted to the data end"
_SHORT_HISTORY_DAYS = r"^short history: (\d+) days"
# The words a training pool's green said no training telemetry was measured anywhere with up
# to migration 35 (triggers.UNMEASURED_TRAINING as it read then), frozen likewise.
_UNMEASURED_TRAINING_WORDS = "no training demand measured in any region"
# The words such a note said its region plans no block that hosts training with, up to
# migration 44 (triggers._unverified_where_class_unmeasured as it read then), frozen likewise.
_NO_TRAINING_BLOCK_WORDS = " plans no block that hosts training: "
# The prefixes a drill's stored notes marked the blocks-to-pass search's notes and a shock the
# horizon cut short with before migration 36 (runs.drills.BLOCKS_NOTE, schema.SHOCK_CUT_NOTE
# and HORIZON_CUT_NOTE as they read then), frozen likewise.
_BLOCKS_NOTE_WORDS = "blocks to pass: "
_SHOCK_CUT_WORDS = "the shock reaches "
_HORIZON_CUT_WORDS = "cut short by the forecast horizon: "

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "telemetry, quarantine and ingest ledger",
        creates=("telemetry_series", "telemetry", "quarantine", "ingest_ledger"),
    ),
    Migration(
        2,
        "forecast runs: forecasts, sample paths, backtests, per-series summary",
        creates=("forecast_runs", "forecasts", "forecast_paths", "backtests", "forecast_summary"),
    ),
    Migration(
        3,
        "drill runs: verdicts, KPIs, per-block figures, blocks that would pass",
        creates=("drill_runs", "drill_verdicts", "drill_kpis", "drill_blocks", "drill_additions"),
    ),
    Migration(
        4,
        "expansion triggers with drivers, idle risk and site power; drill curves",
        creates=(
            "trigger_runs",
            "triggers",
            "trigger_drivers",
            "idle_risk",
            "site_power",
            "drill_curves",
        ),
    ),
    Migration(
        5,
        "known events (launches, migrations, holidays) from calendar files",
        creates=("events",),
    ),
    Migration(
        6,
        "drills next to their baseline: verdict, time to absorb, response ladder, failover; "
        "N+1 per region in triggers",
        creates=("drill_kpi_changes", "drill_rungs", "drill_variant_curves", "trigger_n_plus_one"),
        adds=tuple(
            ("drill_runs", column)
            for column in (
                "verdict",
                "unshocked_failures",
                "baseline_passed",
                "time_to_absorb_hours",
                "absorb_censored",
                "window_hours",
                "absorb_cost_usd",
                "failover_share",
            )
        ),
    ),
    Migration(
        7,
        "triggers on every timeline: power per site and where each order is placed",
        creates=("power_triggers", "order_placements"),
    ),
    Migration(
        8,
        "the contract book: signed contracts and pipeline deals; concentration with and "
        "without the book per forecast run",
        creates=("contracts", "book_concentration"),
    ),
    Migration(
        9,
        "a plan past the lead times: monthly forecasts to the plan horizon and accuracy at the "
        "decision horizon",
        creates=("forecast_months", "horizon_accuracy"),
        adds=(("forecast_runs", "horizon_months"),),
    ),
    Migration(
        10,
        "decision backtests: would the triggers have fired in time, replayed as of past days",
        creates=("decision_runs", "decision_replays"),
    ),
    Migration(
        11,
        "drills a forecast run could not play, with the reason, for the platform page",
        creates=("drills_not_played",),
    ),
    Migration(
        12,
        "forecast summary: days a series went without telemetry at the end (a stopped feed)",
        adds=(("forecast_summary", "stale_days"),),
    ),
    Migration(
        13,
        "forecast summary: each series' growth model past the daily days and why it fell back",
        adds=(("forecast_summary", "plan_model"), ("forecast_summary", "plan_reason")),
    ),
    Migration(
        14,
        "drill runs: the capacity plan each drill was played on (sha256) and a spike's length "
        "when its shortfall ended only with the spike",
        adds=(
            ("drill_runs", "short_until_shock_end_hours"),
            ("drill_runs", "capacity_sha256"),
        ),
    ),
    Migration(
        15,
        "triggers: the day an order's site has its MW, where that comes after its arrival",
        adds=(("triggers", "powered_from"),),
    ),
    Migration(
        16,
        "order placements: every order of the plan to its end (tranche), its order-by date, "
        "capex, exhaustion date and status",
        adds=(
            ("order_placements", "tranche"),
            ("order_placements", "order_by"),
            ("order_placements", "capex_usd"),
            ("order_placements", "exhaustion_date"),
            ("order_placements", "status"),
        ),
    ),
    Migration(
        17,
        "trigger drivers: each part's forecast mean GPUs on the first day and at exhaustion",
        adds=(("trigger_drivers", "from_gpus"), ("trigger_drivers", "to_gpus")),
    ),
    Migration(
        18,
        "decision replays: the day each order serves, its arrival or its site's power",
        adds=(("decision_replays", "in_service"),),
    ),
    Migration(
        19,
        "idle risk: the forecast days each block's idleness is judged on, of its window",
        adds=(("idle_risk", "days_judged"), ("idle_risk", "window_days")),
    ),
    Migration(
        20,
        "power triggers: the MW a site needs past the most it can ever contract (its ceiling)",
        adds=(("power_triggers", "mw_beyond_ceiling"),),
    ),
    Migration(
        21,
        "drill runs: the level a ramp cut short reached where it broke, and the breaks-at text",
        adds=(("drill_runs", "breaking_reached"), ("drill_runs", "breaking_text")),
    ),
    Migration(
        22,
        "drill runs: why a drill that held is not verified, how far its shock got, and the "
        "daily horizon that plays it whole",
        adds=(
            ("drill_runs", "unverified"),
            ("drill_runs", "shock_reached"),
            ("drill_runs", "horizon_days_needed"),
        ),
    ),
    Migration(
        23,
        "drill verdicts: whether the class had any demand in the drill window",
        adds=(("drill_verdicts", "has_demand"),),
    ),
    Migration(
        24,
        "forecast summary: a recent level shift each series' forecast held as a level",
        adds=(("forecast_summary", "level_shift"), ("forecast_summary", "level_shift_days")),
    ),
    Migration(
        25,
        "order placements: the blocks no site can ever power (past its ceiling) and the first "
        "day each order's blocks can serve",
        adds=(("order_placements", "blocks_beyond_ceiling"), ("order_placements", "runs_from")),
    ),
    Migration(
        26,
        "drill runs: whether a block lost for good still acts at the window's end, so a time "
        "to absorb is read within the window only",
        adds=(("drill_runs", "loss_lasts_past_window"),),
    ),
    Migration(
        27,
        "forecast summary: whether a decision backtest calibrated each series' band past the "
        "daily days (read before from the words of its plan_reason)",
        adds=(("forecast_summary", "plan_calibrated"),),
    ),
    Migration(
        28,
        "drill runs: the blocks that ran full first without the shock, beside those with it",
        adds=(("drill_runs", "baseline_first_to_saturate"),),
    ),
    Migration(
        29,
        "forecast summary: the isolated spike days each series' forecast held at its usual level",
        adds=(("forecast_summary", "spike"),),
    ),
    Migration(
        30,
        "decision replays: whether no site can ever power the order, and whether its unmet "
        "GPU-hours stop at the data end (read before from the words of its note)",
        adds=(("decision_replays", "never_powered"), ("decision_replays", "unmet_censored")),
    ),
    Migration(
        31,
        "decision replays: whether a verdict was judged on the data to its end only, short of "
        "the span it is judged over",
        adds=(("decision_replays", "censored_at_data_end"),),
    ),
    Migration(
        32,
        "decision replays: the days of telemetry the region had on the as-of day (read "
        "before from the words of the short-history flag)",
        adds=(("decision_replays", "history_days"),),
    ),
    Migration(
        33,
        "triggers and power triggers: whether a shortfall is read at the monthly grain only, "
        "and whether a green is not verified past the forecast (read before from the words "
        "of their notes)",
        adds=(
            ("triggers", "monthly_only"),
            ("triggers", "unverified_green"),
            ("power_triggers", "monthly_only"),
        ),
        backfills=(
            (
                "UPDATE triggers SET monthly_only = coalesce(contains(note, ?), false) "
                "WHERE monthly_only IS NULL",
                (_MONTHLY_ONLY_WORDS,),
            ),
            (
                "UPDATE triggers "
                "SET unverified_green = status = ? AND coalesce(contains(note, ?), false) "
                "WHERE unverified_green IS NULL",
                ("green", _UNVERIFIED_GREEN_WORDS),
            ),
            (
                "UPDATE power_triggers SET monthly_only = coalesce(contains(note, ?), false) "
                "WHERE monthly_only IS NULL",
                (_MONTHLY_ONLY_WORDS,),
            ),
        ),
    ),
    Migration(
        34,
        "idle risk: whether a block is wholly idle for no demand at the low quantile; decision "
        "replays stored before migrations 30 and 32: their flags and history days (all read "
        "before from the words of their notes)",
        adds=(("idle_risk", "no_low_demand"),),
        backfills=(
            (
                "UPDATE idle_risk SET no_low_demand = coalesce(contains(note, ?), false) "
                "WHERE no_low_demand IS NULL",
                (_NO_LOW_DEMAND_WORDS,),
            ),
            (
                "UPDATE decision_replays SET never_powered = coalesce(contains(note, ?), false) "
                "WHERE never_powered IS NULL",
                (_NEVER_POWERED_WORDS,),
            ),
            (
                "UPDATE decision_replays "
                "SET unmet_censored = coalesce(contains(note, ?), false) "
                "WHERE unmet_censored IS NULL",
                (_UNMET_CENSORED_WORDS,),
            ),
            (
                # Only a flagged row: null stays null elsewhere (the region unknown, or not
                # said), as the page read it.
                "UPDATE decision_replays "
                "SET history_days = CAST(regexp_extract(note, ?, 1) AS BIGINT) "
                "WHERE history_days IS NULL AND regexp_matches(note, ?)",
                (_SHORT_HISTORY_DAYS, _SHORT_HISTORY_DAYS),
            ),
        ),
    ),
    Migration(
        35,
        "triggers: whether a training pool's green rests on no training demand measured in "
        "any region (read before from the words of its note)",
        adds=(("triggers", "unmeasured_training"),),
        backfills=(
            (
                # Contained, not opening: a region's lead (no block in service, ...) may
                # open the note, as the readers matched it.
                "UPDATE triggers "
                "SET unmeasured_training = status = ? AND coalesce(contains(note, ?), false) "
                "WHERE unmeasured_training IS NULL",
                ("green", _UNMEASURED_TRAINING_WORDS),
            ),
        ),
    ),
    Migration(
        36,
        "drill runs: the blocks-to-pass search's notes and how far a shock the horizon cut "
        "short got (read before from the prefixes of the drill's notes); forecast runs: the "
        "telemetry they read (rows, checksum, newest ts), to tell a changed value from a "
        "file re-ingested with the same ones",
        adds=(
            ("drill_runs", "blocks_notes"),
            ("drill_runs", "shock_cut"),
            ("forecast_runs", "seen_before"),
            ("forecast_runs", "seen_rows"),
            ("forecast_runs", "seen_checksum"),
            ("forecast_runs", "seen_last_ts"),
        ),
        backfills=(
            (
                # One statement: every right side reads the notes as stored, before the
                # search's leave them (the code of the day stores them apart).
                "UPDATE drill_runs SET "
                "blocks_notes = nullif(list_transform("
                "list_filter(notes, lambda n: starts_with(n, ?)), "
                "lambda n: substr(n, length(?) + 1)), []), "
                "shock_cut = nullif(array_to_string("
                "list_filter(notes, lambda n: starts_with(n, ?) OR starts_with(n, ?)), '; '), ''), "
                "notes = list_filter(notes, lambda n: NOT starts_with(n, ?)) "
                "WHERE blocks_notes IS NULL AND shock_cut IS NULL",
                (
                    _BLOCKS_NOTE_WORDS,
                    _BLOCKS_NOTE_WORDS,
                    _SHOCK_CUT_WORDS,
                    _HORIZON_CUT_WORDS,
                    _BLOCKS_NOTE_WORDS,
                ),
            ),
        ),
    ),
    Migration(
        37,
        "trigger runs: the fleetcast version and package versions that made them (null "
        "before: a comparison with such a run says the version was not recorded)",
        adds=(("trigger_runs", "versions"),),
    ),
    Migration(
        38,
        "forecasts: whether each row's mean is the model's point forecast or its sample "
        "paths' mean (null before: not recorded)",
        adds=(("forecasts", "mean_source"),),
    ),
    Migration(
        39,
        "forecast runs: the days of each total that held estimates, not telemetry, as a part "
        "of it was silent (none on runs stored before: not recorded)",
        creates=("forecast_estimated",),
    ),
    Migration(
        40,
        "trigger runs: the construction trigger per region (when its sites' ceilings run out "
        "and by when a new site must be started), and whether the run recorded it (null "
        "before: a comparison with such a run says construction was not recorded)",
        creates=("construction_triggers",),
        adds=(("trigger_runs", "construction_recorded"),),
    ),
    Migration(
        41,
        "forecast runs: the outage windows each applied to the telemetry (its calendar's, an "
        "adapter's, its zero rule's hours), and whether the run recorded them (null before: "
        "drills and reports read such a run's telemetry raw, and say its outage hours are not "
        "known)",
        creates=("forecast_outages",),
        adds=(("forecast_runs", "outages_recorded"),),
    ),
    Migration(
        42,
        "forecast runs: why each one's forecast made no monthly rows where it refused them "
        "(asked, or a daily-only run whose history a plan would refuse), and whether the run "
        "recorded it (null before: such a run's refusal is not known)",
        adds=(
            ("forecast_runs", "months_refused"),
            ("forecast_runs", "months_refusal_recorded"),
        ),
    ),
    Migration(
        43,
        "ingest: the outage windows a trace adapter found in each file (helios drops their "
        "minutes), and whether the ingest recorded them; forecast runs: the trace files whose "
        "adapter windows are not known (null before: ingested or stored before this, not known)",
        creates=("ingest_outages",),
        adds=(
            ("ingest_ledger", "outages_recorded"),
            ("forecast_runs", "adapter_outages_unknown"),
        ),
    ),
    Migration(
        44,
        "triggers: whether a training pool no training demand was measured for is also "
        "vacant, its region planning no block that hosts training (read before as a feed gap: "
        "'no training demand measured in any region')",
        adds=(("triggers", "vacant_pool"),),
        backfills=(
            (
                "UPDATE triggers SET vacant_pool = coalesce(unmeasured_training, false) "
                "AND coalesce(contains(note, ?), false) WHERE vacant_pool IS NULL",
                (_NO_TRAINING_BLOCK_WORDS,),
            ),
        ),
    ),
)

# The migration that made trigger runs store their construction rows.
_CONSTRUCTION_SINCE = 40
# The migration that made forecast runs store the outage windows they applied.
_OUTAGES_SINCE = 41
# The migration that made forecast runs store why their forecast refused monthly rows.
_MONTHS_REFUSED_SINCE = 42
# The migration that made ingest store the outage windows a trace adapter found.
_ADAPTER_OUTAGES_SINCE = 43

# Demand (served + queued GPUs) per hour, region, class and customer (Warehouse.hourly_demand).
_HOURLY_DEMAND_SQL = """
    WITH per_key AS (
        SELECT date_trunc('hour', ts) AS ts, region, cluster, workload_class, customer,
               gpu_type,
               avg((gpus_running + gpus_queued)::DECIMAL(18, 6)) AS y,
               avg(gpus_running::DECIMAL(18, 6)) AS served
        FROM telemetry
        GROUP BY ALL
    )
    SELECT ts, region, workload_class, customer,
           sum(y::DECIMAL(18, 6))::DOUBLE AS y,
           sum(served::DECIMAL(18, 6))::DOUBLE AS served
    FROM per_key
    GROUP BY ts, region, workload_class, customer
"""


class RunHourly(NamedTuple):
    """A forecast run's hourly demand as it read it (:meth:`Warehouse.run_hourly_demand`),
    and whether the run recorded the outage windows it applied (False: stored before
    migration 41, read raw, its outage hours not known)."""

    hourly: pl.DataFrame
    outages_recorded: bool


TABLES: frozenset[str] = frozenset(schema.REGISTRY)
# The frames each kind of run writes beside its row in the runs table, stored whole in one
# transaction with it.
RUN_TABLES: dict[str, tuple[str, ...]] = {
    runs: tuple(t.name for t in schema.REGISTRY.values() if t.run_of == runs)
    for runs in dict.fromkeys(t.run_of for t in schema.REGISTRY.values() if t.run_of)
}

# A quarantined row as ingest stages it; the warehouse adds the ingest id and file.
QUARANTINE_COLUMNS: tuple[str, ...] = tuple(
    c for c in schema.table("quarantine").schema.names() if c not in ("ingest_id", "file")
)
# The ledger's columns a LedgerEntry holds; outages_recorded (migration 43) is written by the
# load and read on its own, so a read-only open of a file before 43 still reads the ledger.
LEDGER_COLUMNS: tuple[str, ...] = tuple(
    c for c in schema.table("ingest_ledger").schema.names() if c != "outages_recorded"
)
_INGEST_OUTAGE_COLUMNS = tuple(schema.table("ingest_outages").schema.names())
# What an adapter hands the load of one file: its windows without the ingest's id and path.
ADAPTER_OUTAGES_SCHEMA = pl.Schema(
    [
        (c, t)
        for c, t in schema.table("ingest_outages").schema.items()
        if c not in ("ingest_id", "path")
    ]
)

_SERIES_COLUMNS = schema.table("telemetry_series").unique
_CONTRACT_COLUMNS = tuple(schema.table("contracts").schema.names())
_TELEMETRY_COLUMNS = tuple(c for c in schema.table("telemetry").schema.names() if c != "series_id")
_VALUE_COLUMNS = tuple(c for c in TELEMETRY_SCHEMA.names() if c not in TELEMETRY_KEY)
CONFLICT_RULE = "duplicate key with other values: a later row of the file replaces it"
_LOCK_PID = re.compile(r"PID (\d+)")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def table_name(name: str) -> str:
    """``name`` if it is one of the warehouse's tables; identifiers never come from data."""
    if name not in TABLES:
        raise WarehouseError(f"unknown table {name!r}; known tables: {', '.join(sorted(TABLES))}")
    return name


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What one ingest of one file did; rows_read = loaded + quarantined + deduplicated.

    ``replaced`` counts the keys an earlier ingest had stored that this file gave other
    values (ingests before session 63 also counted those it repeated exactly).
    ``deduplicated`` counts the rows repeated within the file and, since session 66, those
    an earlier ingest had stored with the same values (``loaded`` counted these before)."""

    ingest_id: str
    sha256: str
    path: str
    file_format: str
    rows_read: int
    loaded: int
    quarantined: int
    deduplicated: int
    replaced: int
    naive_timestamps: int
    extra_columns: tuple[str, ...]
    min_ts: datetime | None
    max_ts: datetime | None
    started_at: datetime
    finished_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class Overlap:
    """Keys of one load that an earlier ingest had stored: how many the load gave other values
    (a conflict: the later file wins) and how many it repeated exactly (a harmless overlap)."""

    ingest_id: str
    path: str | None  # None when the ledger no longer names the ingest
    changed: int
    identical: int


@dataclass(frozen=True, slots=True)
class Pruned:
    """What :meth:`Warehouse.prune` removed (or, on a dry run, would remove): runs per runs
    table, and rows over every table."""

    runs: dict[str, int]
    rows: int


@dataclass(frozen=True, slots=True)
class Loaded:
    """A file's load: its ledger entry, the earlier ingests whose keys it replaced, and how
    many quarantine rows of earlier content at the same path it dropped as superseded."""

    entry: LedgerEntry
    overlaps: tuple[Overlap, ...] = ()
    superseded: int = 0
    # Telemetry rows of earlier content at the same path, inside the period this content
    # covers, under keys this content lacks: dropped with it (see _replaced_rows), or kept
    # where this content has quarantined rows.
    dropped: Replaced = field(default_factory=lambda: Replaced())
    kept: Replaced = field(default_factory=lambda: Replaced())


@dataclass(frozen=True, slots=True)
class Replaced:
    """Rows of earlier content of a path inside the period (start to end) a new version of
    it covers, under keys the new version lacks; ``keys`` are their region/class/customer,
    the most rows first."""

    rows: int = 0
    keys: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reloaded:
    """What making a file's rows the stored ones of its source did to the rows stored before:
    ``replaced`` (removed, or stored again with other values) and ``unchanged`` (stored again
    as they were), so a rerun of the same file is not read as a change."""

    replaced: int = 0
    unchanged: int = 0


def _unchanged(before: pl.DataFrame, after: pl.DataFrame, columns: Sequence[str]) -> int:
    """How many rows of ``before`` one of ``after`` repeats on ``columns`` (each row of
    ``after`` repeats one at most)."""

    def rows(frame: pl.DataFrame) -> Counter[tuple[Any, ...]]:
        # A list cell (a contract's ramp) is unhashable as read: a tuple compares the same.
        return Counter(
            tuple(tuple(v) if isinstance(v, list) else v for v in row)
            for row in frame.select(columns).iter_rows()
        )

    return sum((rows(before) & rows(after)).values())


class Warehouse:
    """An open warehouse. Use :func:`connect`; all SQL of the project goes through here."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self._con = con
        self.path = path

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        # fetchall, not fetchone: a result left unfetched blocks the next call (DuckDB 2).
        rows = self._con.execute(sql, list(params)).fetchall()
        return rows[0][0] if rows else None

    # --- schema ---------------------------------------------------------------------------

    def migrate(self) -> list[Migration]:
        """Apply the migrations not applied yet, each in its own transaction; return them."""
        for statement in create_statements("schema_migrations", if_not_exists=True):
            self._con.execute(statement)
        done = {
            row[0] for row in self._con.execute("SELECT version FROM schema_migrations").fetchall()
        }
        applied = []
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            with self.transaction():
                for statement in migration.statements:
                    self._con.execute(statement)
                for statement, values in migration.backfills:
                    self._con.execute(statement, list(values))
                self._con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [migration.version, migration.name, datetime.now(UTC)],
                )
            applied.append(migration)
        return applied

    def schema_version(self) -> int:
        """The highest migration applied, 0 for an empty file."""
        return int(self._scalar("SELECT coalesce(max(version), 0) FROM schema_migrations"))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit: committed whole on success, rolled back on any error."""
        self._con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")

    # --- ingest -----------------------------------------------------------------------------

    def ledger_entry_for(self, sha256: str) -> LedgerEntry | None:
        """The ledger row of an earlier successful ingest of this content, if any."""
        rows = self._con.execute(
            f"SELECT {', '.join(LEDGER_COLUMNS)} FROM ingest_ledger WHERE sha256 = ?",  # noqa: S608 - column names are constants
            [sha256],
        ).fetchall()
        return _ledger_entry(rows[0]) if rows else None

    def later_version(self, entry: LedgerEntry) -> LedgerEntry | None:
        """The newest ingest of ``entry``'s path loaded after it over a period that overlaps
        its own, or None: the version whose rows replaced this content's.

        Content in the ledger is "already ingested" only while no such version exists: once
        a later version of the path replaced its rows, putting this content back makes it
        the newest version again (a rollback after a wrong export), and it must load.
        """
        rows = self._con.execute(
            f"SELECT {', '.join(LEDGER_COLUMNS)} FROM ingest_ledger "  # noqa: S608 - column names are constants
            "WHERE path = ? AND started_at > ? AND min_ts <= ? AND max_ts >= ? "
            "ORDER BY started_at DESC LIMIT 1",
            [entry.path, entry.started_at, entry.max_ts, entry.min_ts],
        ).fetchall()
        return _ledger_entry(rows[0]) if rows else None

    def load_staged(
        self,
        *,
        ingest_id: str,
        sha256: str,
        path: str,
        file_format: str,
        good: Sequence[Path],
        bad: Path,
        extra_columns: tuple[str, ...],
        started_at: datetime,
        replaces: str | None = None,
        outages: pl.DataFrame | None = None,
    ) -> Loaded:
        """Load one file's staged rows, quarantine and ledger entry as one transaction.

        ``outages`` (:data:`ADAPTER_OUTAGES_SCHEMA`; None: a plain file, no adapter) are the
        outage windows a trace's adapter found, whose minutes it dropped: stored with the
        ingest, so a forecast can say which hours were outages. Windows of earlier content of
        the same path that this content's period overlaps give way, as its rows do.

        ``replaces`` is the ingest id of an earlier load of the same content that a later
        version of its path replaced: its ledger entry (the hash is unique) and any rows it
        still holds give way to this load.

        ``good`` Parquet files hold judged rows (``__row``, the telemetry columns, ``__naive``);
        ``bad`` holds quarantined rows (``__row``, column, rule, value, raw). Within the file
        the later row of a key wins; a key already stored is replaced (a late correction), and
        :attr:`Loaded.overlaps` says per earlier ingest how many of those keys changed value.
        Quarantine rows of earlier, other content at the same path are dropped: that file is
        gone, so its rows no longer say what is wrong.
        """
        load = partial(
            self._load,
            ingest_id,
            sha256,
            path,
            file_format,
            [str(p) for p in good],
            bad,
            extra_columns,
            started_at,
            replaces,
            outages,
        )
        try:
            with self.transaction():
                return load(fast=True)
        except duckdb.ConstraintException:
            # The fast path found a duplicate key, in the file or against stored rows: redo
            # the file with deduplication and replacement, still as one transaction.
            with self.transaction():
                return load(fast=False)

    def _quarantine_conflicts(self, ingest_id: str, path: str, keyed: str, files: list[str]) -> int:
        """Quarantine the rows of a file that a later row with the same key but other values
        replaces (the row kept is in ``_deduped``); return how many.

        An exact repeat is deduplicated silently; a repeat that disagrees loses information,
        so the dropped row is kept in quarantine, naming the first column that differs and
        the row that won."""
        differs = {c: f"g.{c} IS DISTINCT FROM d.{c}" for c in _VALUE_COLUMNS}
        column = " ".join(f"WHEN {d} THEN '{c}'" for c, d in differs.items())
        value = " ".join(
            f"WHEN {d} THEN concat(coalesce(g.{c}::VARCHAR, ''), ' (row ', d.__row, ': ', "
            f"coalesce(d.{c}::VARCHAR, ''), ')')"
            for c, d in differs.items()
        )
        raw = ", ".join(f"coalesce(g.{c}::VARCHAR, '')" for c in TELEMETRY_SCHEMA.names())
        before = int(self._scalar("SELECT count(*) FROM quarantine"))
        # Column names and CASE arms come from the schema's constants; values are bound.
        self._con.execute(
            'INSERT INTO quarantine (ingest_id, file, row_number, "column", rule, value, raw) '  # noqa: S608 - see above
            f"SELECT ?, ?, g.__row, CASE {column} END, ?, CASE {value} END, "
            f"concat_ws(',', {raw}) FROM ({keyed}) g JOIN _deduped d USING (series_id, ts) "
            f"WHERE g.__row <> d.__row AND ({' OR '.join(differs.values())})",
            [ingest_id, path, CONFLICT_RULE, ingest_id, files],
        )
        return int(self._scalar("SELECT count(*) FROM quarantine")) - before

    def _load(
        self,
        ingest_id: str,
        sha256: str,
        path: str,
        file_format: str,
        files: list[str],
        bad: Path,
        extra_columns: tuple[str, ...],
        started_at: datetime,
        replaces: str | None,
        outages: pl.DataFrame | None,
        *,
        fast: bool,
    ) -> Loaded:
        # First: the rows of this file's own within-file conflicts are quarantined below.
        superseded = self._drop_superseded_quarantine(path)
        series = ", ".join(_SERIES_COLUMNS)
        self._con.execute(
            f"INSERT INTO telemetry_series ({series}) "  # noqa: S608 - column names are constants
            f"SELECT DISTINCT {series} FROM read_parquet(?) "
            f"EXCEPT SELECT {series} FROM telemetry_series",
            [files],
        )
        stats = self._con.execute(
            "SELECT count(*), coalesce(sum(__naive::INTEGER), 0), min(ts), max(ts) "
            "FROM read_parquet(?)",
            [files],
        ).fetchall()[0]
        judged_good, naive, min_ts, max_ts = int(stats[0]), int(stats[1]), stats[2], stats[3]
        columns = ", ".join(_TELEMETRY_COLUMNS)
        keyed = (
            "SELECT s.series_id, g.*, ? AS ingest_id FROM read_parquet(?) g "  # noqa: S608 - constants
            f"JOIN telemetry_series s USING ({series})"
        )
        if fast:
            self._con.execute(
                f"INSERT INTO telemetry (series_id, {columns}) "  # noqa: S608 - constants
                f"SELECT series_id, {columns} FROM ({keyed})",
                [ingest_id, files],
            )
            overlaps: tuple[Overlap, ...] = ()
            loaded, replaced, conflicts = judged_good, 0, 0
        else:
            self._con.execute(
                f"CREATE TEMP TABLE _deduped AS SELECT * FROM ({keyed}) "  # noqa: S608 - constants
                "QUALIFY row_number() OVER (PARTITION BY series_id, ts ORDER BY __row DESC) = 1",
                [ingest_id, files],
            )
            try:
                conflicts = self._quarantine_conflicts(ingest_id, path, keyed, files)
                overlaps = self._overlaps()
                # A key stored before with the same values replaced nothing a reader would
                # call data: a file of repeats read "replaced 199". Those are unchanged, and
                # duplicates, not loaded: a second file of the same rows read "loaded 5".
                replaced = sum(o.changed for o in overlaps)
                loaded = int(self._scalar("SELECT count(*) FROM _deduped")) - sum(
                    o.identical for o in overlaps
                )
                self._con.execute(
                    f"INSERT OR REPLACE INTO telemetry (series_id, {columns}) "  # noqa: S608 - constants
                    f"SELECT series_id, {columns} FROM _deduped"
                )
            finally:
                self._con.execute("DROP TABLE _deduped")
        rejected = int(self._scalar("SELECT count(*) FROM read_parquet(?)", [str(bad)]))
        # A version with rows it could not read may lack a key only because its row there is
        # broken: three corrupted rows of a re-export deleted the good values stored for their
        # keys. Its earlier rows stay until a clean version replaces them.
        replaced_rows = self._replaced_rows(path, sha256, min_ts, max_ts, drop=not rejected)
        dropped, kept = (Replaced(), replaced_rows) if rejected else (replaced_rows, Replaced())
        self._con.execute(
            'INSERT INTO quarantine (ingest_id, file, row_number, "column", rule, value, raw) '
            'SELECT ?, ?, __row, "column", rule, value, raw FROM read_parquet(?)',
            [ingest_id, path, str(bad)],
        )
        entry = LedgerEntry(
            ingest_id=ingest_id,
            sha256=sha256,
            path=path,
            file_format=file_format,
            rows_read=judged_good + rejected,
            loaded=loaded,
            quarantined=rejected + conflicts,
            deduplicated=judged_good - loaded - conflicts,
            replaced=replaced,
            naive_timestamps=naive,
            extra_columns=extra_columns,
            min_ts=min_ts,
            max_ts=max_ts,
            started_at=started_at,
            finished_at=datetime.now(UTC),
            status="loaded",
        )
        if replaces is not None:
            # After the load, so the overlap notes above still name the earlier ingest's file.
            self._con.execute("DELETE FROM quarantine WHERE ingest_id = ?", [replaces])
            self._con.execute("DELETE FROM ingest_outages WHERE ingest_id = ?", [replaces])
            self._con.execute("DELETE FROM ingest_ledger WHERE ingest_id = ?", [replaces])
        self._con.execute(
            f"INSERT INTO ingest_ledger ({', '.join(LEDGER_COLUMNS)}, outages_recorded) "  # noqa: S608 - constants
            f"VALUES ({', '.join('?' for _ in LEDGER_COLUMNS)}, ?)",
            [
                *(
                    list(v) if isinstance(v, tuple) else v
                    for v in (getattr(entry, c) for c in LEDGER_COLUMNS)
                ),
                True,
            ],
        )
        self._store_adapter_outages(ingest_id, path, sha256, min_ts, max_ts, outages)
        return Loaded(
            entry=entry, overlaps=overlaps, superseded=superseded, dropped=dropped, kept=kept
        )

    def _store_adapter_outages(
        self,
        ingest_id: str,
        path: str,
        sha256: str,
        min_ts: datetime | None,
        max_ts: datetime | None,
        outages: pl.DataFrame | None,
    ) -> None:
        """Store the windows an adapter found in this ingest; drop those of earlier content
        of ``path`` inside the period this content covers (its hours replaced theirs, and a
        re-export whose collector data came back would otherwise keep an outage it no longer
        has). Rows of this ingest are written once: same content is skipped before loading."""
        if min_ts is not None and max_ts is not None:
            self._con.execute(
                "DELETE FROM ingest_outages WHERE path = ? AND ingest_id IN (SELECT ingest_id "
                "FROM ingest_ledger WHERE path = ? AND sha256 <> ?) "
                'AND "start" < ? + INTERVAL 1 HOUR AND "end" > ?',
                [path, path, sha256, max_ts, min_ts],
            )
        if outages is None or outages.is_empty():
            return
        frame = outages.select(ADAPTER_OUTAGES_SCHEMA.names()).with_columns(
            pl.lit(ingest_id).alias("ingest_id"), pl.lit(path).alias("path")
        )
        self._insert_frame("ingest_outages", frame.select(_INGEST_OUTAGE_COLUMNS))

    def adapter_outages_recorded(self, ingest_id: str) -> bool:
        """Whether ingest ``ingest_id`` recorded the outage windows its adapter found (every
        ingest since migration 43); False for one before, which kept none."""
        return bool(
            self._scalar(
                "SELECT outages_recorded FROM ingest_ledger WHERE ingest_id = ?", [ingest_id]
            )
        )

    def record_adapter_outages(self, ingest_id: str, path: str, outages: pl.DataFrame) -> None:
        """Store the windows (:data:`ADAPTER_OUTAGES_SCHEMA`) an adapter finds in the content
        of an ingest made before migration 43, and mark it recorded, in one transaction; its
        windows stored before (none, or a rerun's) give way, so a rerun adds no row."""
        with self.transaction():
            self._con.execute("DELETE FROM ingest_outages WHERE ingest_id = ?", [ingest_id])
            self._store_adapter_outages(ingest_id, path, "", None, None, outages)
            self._con.execute(
                "UPDATE ingest_ledger SET outages_recorded = true WHERE ingest_id = ?", [ingest_id]
            )

    def _overlaps(self) -> tuple[Overlap, ...]:
        """Per earlier ingest, the keys of ``_deduped`` it stored, changed and identical.

        "replaced" alone cannot tell a conflicting file from a harmless overlap, so the
        values are compared before the later file's rows replace them."""
        differs = " OR ".join(f"d.{c} IS DISTINCT FROM t.{c}" for c in _VALUE_COLUMNS)
        rows = self._con.execute(
            f"SELECT t.ingest_id, any_value(l.path), count(*) FILTER (WHERE {differs}), "  # noqa: S608 - column names are constants
            f"count(*) FILTER (WHERE NOT ({differs})) "
            "FROM _deduped d JOIN telemetry t USING (series_id, ts) "
            "LEFT JOIN ingest_ledger l ON l.ingest_id = t.ingest_id "
            "GROUP BY t.ingest_id ORDER BY min(l.started_at), t.ingest_id"
        ).fetchall()
        return tuple(
            Overlap(ingest_id=i, path=p, changed=int(c), identical=int(n)) for i, p, c, n in rows
        )

    def _replaced_rows(
        self,
        path: str,
        sha256: str,
        min_ts: datetime | None,
        max_ts: datetime | None,
        *,
        drop: bool,
    ) -> Replaced:
        """The telemetry rows still stored from earlier content of ``path`` inside the period
        this content covers (``min_ts`` to ``max_ts``, whatever the key); deleted with ``drop``.

        Its rows of the keys this content holds were just replaced, so what is left are keys
        it no longer holds. A file re-exported for a period is a correction over that period:
        the keys it dropped (a region spelled "US-EAST" before the fix) must go, or following
        the case note's advice to reload counted the region twice; a rolling window (the fix
        exported a day later, starting an hour later) kept all of them before, as the rule
        asked the new version to cover the old one's whole period. The period is the file's
        own, not each key's: a key the fix renamed has no period of its own in it. Earlier
        rows outside that period (before a rolling window's start, or another day's export
        on a path reused daily) are history and stay.
        """
        if min_ts is None or max_ts is None:
            return Replaced()
        earlier = self._con.execute(
            "SELECT ingest_id FROM ingest_ledger "
            "WHERE path = ? AND sha256 <> ? AND min_ts <= ? AND max_ts >= ?",
            [path, sha256, max_ts, min_ts],
        ).fetchall()
        if not earlier:
            return Replaced()
        ids = [row[0] for row in earlier]
        inside = "list_contains(?, t.ingest_id) AND t.ts BETWEEN ? AND ?"
        params = [ids, min_ts, max_ts]
        rows = self._con.execute(
            "SELECT s.region, s.workload_class, s.customer, count(*) AS n "  # noqa: S608 - constant condition
            f"FROM telemetry t JOIN telemetry_series s USING (series_id) WHERE {inside} "
            "GROUP BY ALL ORDER BY n DESC, s.region, s.workload_class, s.customer",
            params,
        ).fetchall()
        stale = sum(int(r[3]) for r in rows)
        if stale and drop:
            self._con.execute(f"DELETE FROM telemetry t WHERE {inside}", params)  # noqa: S608 - constant condition
        keys = tuple(f"{r[0]}/{r[1]}/{r[2]}" for r in rows)
        return Replaced(rows=stale, keys=keys, start=min_ts, end=max_ts)

    def _drop_superseded_quarantine(self, path: str) -> int:
        """Delete the quarantine rows of earlier ingests of ``path``; return how many.

        Content already ingested is skipped before loading, so an earlier ingest of the same
        path held other content: the rows it quarantined are of a file that is gone, and
        `fleetcast quarantine` should show what is wrong now."""
        before = int(self._scalar("SELECT count(*) FROM quarantine"))
        self._con.execute("DELETE FROM quarantine WHERE file = ?", [path])
        return before - int(self._scalar("SELECT count(*) FROM quarantine"))

    # --- known events -------------------------------------------------------------------------

    def replace_events(
        self, source: str, events: pl.DataFrame, *, keep: pl.DataFrame | None = None
    ) -> Reloaded:
        """Make ``events`` (EVENTS_SCHEMA) the events of ``source``, with the stored rows of
        ``keep`` (rows of the ``events`` table) left as they were; return how many of its
        stored events it removed or replaced, and how many it stored again as they were.

        A calendar file is the authority for its own events: loading it again replaces what it
        loaded before (so a corrected date does not leave the old one behind), and a rerun
        changes nothing. Events of other sources stay. ``keep`` holds the stored events whose
        new row was refused: they stay, with their load time, until the row is fixed.
        """
        frame = events.select(EVENTS_SCHEMA.names()).with_columns(
            pl.lit(source).alias("source"), pl.lit(datetime.now(UTC)).alias("loaded_at")
        )
        kept = 0 if keep is None else keep.height
        with self.transaction():
            before = self.events_of(source)
            self._con.execute("DELETE FROM events WHERE source = ?", [source])
            self._insert_frame("events", frame)
            if keep is not None and keep.height:
                self._insert_frame("events", keep.select(frame.columns))
        # A kept row's key is not among the new rows', so it never counts as unchanged.
        unchanged = _unchanged(before, frame, EVENTS_SCHEMA.names())
        return Reloaded(replaced=before.height - kept - unchanged, unchanged=unchanged)

    def events_of(self, source: str) -> pl.DataFrame:
        """The stored events of one calendar file (every column of the ``events`` table)."""
        return self.query("SELECT * FROM events WHERE source = ? ORDER BY date, event", [source])

    def events(self) -> pl.DataFrame:
        """Every known event (EVENTS_SCHEMA), one row per name, date and scope, by date.

        When two sources list the same event, the one loaded last wins.
        """
        key = ", ".join(("event", "date", *LEVELS))
        cols = ", ".join(EVENTS_SCHEMA.names())
        frame = self.query(
            f"SELECT {cols} FROM events "  # noqa: S608 - constants
            f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY loaded_at DESC) = 1 "
            f"ORDER BY date, event"
        )
        return frame.cast(EVENTS_SCHEMA)

    def event_sources(self) -> pl.DataFrame:
        """Per calendar file: how many events it holds and when it was loaded."""
        return self.query(
            "SELECT source, count(*) AS events, max(loaded_at) AS loaded_at "
            "FROM events GROUP BY source ORDER BY source"
        )

    # --- the contract book ----------------------------------------------------------------------

    def replace_contracts(
        self, source: str, contracts: pl.DataFrame, *, keep: Sequence[str] = ()
    ) -> Reloaded:
        """Make ``contracts`` (the ``contracts`` table's columns but source and loaded_at) the
        book of ``source``, keeping its stored contracts with an id in ``keep`` as they were;
        return how many contracts of that source it removed or replaced, and how many it stored
        again as they were (an entry moved to another row of the file is unchanged).

        As with events, a book file is the authority for its own contracts: loading it again
        replaces what it loaded before (a deal dropped from the file leaves the book), a rerun
        changes nothing, and the contracts of other files stay. ``keep`` holds the ids whose
        new version was refused: the version loaded before stays until the entry is fixed.
        """
        columns = [c for c in _CONTRACT_COLUMNS if c not in ("source", "loaded_at")]
        frame = contracts.select(columns).with_columns(
            pl.lit(source).alias("source"), pl.lit(datetime.now(UTC)).alias("loaded_at")
        )
        with self.transaction():
            removed = self.query(
                f"SELECT {', '.join(columns)} FROM contracts "  # noqa: S608 - constants
                "WHERE source = ? AND NOT list_contains(?, id)",
                [source, list(keep)],
            )
            self._con.execute(
                "DELETE FROM contracts WHERE source = ? AND NOT list_contains(?, id)",
                [source, list(keep)],
            )
            self._insert_frame("contracts", frame)
        # Where an entry sits in the file is no term of it.
        unchanged = _unchanged(removed, frame, [c for c in columns if c != "row_number"])
        return Reloaded(replaced=removed.height - unchanged, unchanged=unchanged)

    def contracts_elsewhere(self, source: str, ids: Sequence[str]) -> pl.DataFrame:
        """The stored contracts with one of ``ids`` that other files than ``source`` loaded
        (every column of the ``contracts`` table), oldest load first."""
        frame = self.query(
            f"SELECT {', '.join(_CONTRACT_COLUMNS)} FROM contracts "  # noqa: S608 - constants
            "WHERE source <> ? AND list_contains(?, id) ORDER BY loaded_at, source, row_number",
            [source, list(ids)],
        )
        return frame.cast(schema.table("contracts").schema)

    def contracts(self) -> pl.DataFrame:
        """The stored book, one row per contract id (every column of the ``contracts`` table).

        When two files hold the same id, the one loaded last wins. Rows come by source, then
        in file order. A file opened read-only before migration 8 reached it has no book.
        """
        stored = schema.table("contracts").schema
        if not self._scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'contracts'"
        ):
            return pl.DataFrame(schema=stored)
        frame = self.query(
            f"SELECT {', '.join(_CONTRACT_COLUMNS)} FROM contracts "  # noqa: S608 - constants
            "QUALIFY row_number() OVER (PARTITION BY id ORDER BY loaded_at DESC) = 1 "
            "ORDER BY source, row_number"
        )
        return frame.cast(stored)

    # --- forecast runs ------------------------------------------------------------------------

    def save_run(
        self,
        runs_table: str,
        run: dict[str, Any],
        frames: dict[str, pl.DataFrame],
        *,
        replace: bool = False,
    ) -> None:
        """Store a run's row and its frames in one transaction: all of it or nothing.

        ``runs_table`` is a key of :data:`RUN_TABLES`; ``run`` holds its columns and
        ``frames`` maps each of its frame tables to a frame of that table's columns but run_id.
        With ``replace``, a run stored before under the same id is replaced, so a rerun is
        idempotent.
        """
        if runs_table not in RUN_TABLES:
            raise WarehouseError(f"{runs_table!r} is not a runs table: {', '.join(RUN_TABLES)}")
        missing = set(RUN_TABLES[runs_table]) - set(frames)
        if missing:
            raise WarehouseError(f"{runs_table}: run lacks frames for {sorted(missing)}")
        columns = _checked_columns(runs_table, list(run))
        with self.transaction():
            if replace:
                for name in (runs_table, *RUN_TABLES[runs_table]):
                    self._con.execute(
                        f"DELETE FROM {table_name(name)} WHERE run_id = ?",  # noqa: S608 - allow-listed
                        [run["run_id"]],
                    )
            for name in RUN_TABLES[runs_table]:
                frame = frames[name].with_columns(pl.lit(run["run_id"]).alias("run_id"))
                self._insert_frame(name, frame)
            self._con.execute(
                f"INSERT INTO {table_name(runs_table)} ({', '.join(columns)}) "  # noqa: S608 - allow-listed and checked
                f"VALUES ({', '.join('?' for _ in columns)})",
                [list(v) if isinstance(v, tuple) else v for v in (run[c] for c in columns)],
            )

    def _insert_frame(self, table: str, frame: pl.DataFrame) -> None:
        """Append ``frame`` to ``table`` by column name (arrow, no per-row SQL)."""
        columns = _checked_columns(table, frame.columns)
        self._con.register("_frame", frame.to_arrow())
        try:
            names = ", ".join(f'"{c}"' for c in columns)
            self._con.execute(
                f"INSERT INTO {table_name(table)} ({names}) SELECT {names} FROM _frame"  # noqa: S608 - allow-listed
            )
        finally:
            self._con.unregister("_frame")

    def forecast_runs(self) -> pl.DataFrame:
        """Every forecast run, newest first."""
        return self.query("SELECT * FROM forecast_runs ORDER BY created_at DESC")

    def drill_runs(self, *, forecast_run_id: str | None = None) -> pl.DataFrame:
        """Drill runs, newest first; those on one forecast run when it is given."""
        if forecast_run_id is None:
            return self.query("SELECT * FROM drill_runs ORDER BY created_at DESC")
        return self.query(
            "SELECT * FROM drill_runs WHERE forecast_run_id = $1 ORDER BY created_at DESC",
            [forecast_run_id],
        )

    def trigger_plan_sha256(self, run_id: str) -> str | None:
        """The sha256 of the capacity plan file a trigger run read (None: not recorded)."""
        rows = self._con.execute(
            "SELECT capacity_sha256 FROM trigger_runs WHERE run_id = ?", [run_id]
        ).fetchall()
        return rows[0][0] if rows else None

    def save_not_played(self, forecast_run_id: str, drill: str, reason: str) -> None:
        """Store why ``drill`` could not be played on a forecast run; a rerun replaces it."""
        with self.transaction():
            self._con.execute(
                "DELETE FROM drills_not_played WHERE forecast_run_id = ? AND drill = ?",
                [forecast_run_id, drill],
            )
            self._con.execute(
                "INSERT INTO drills_not_played (forecast_run_id, drill, reason, created_at) "
                "VALUES (?, ?, ?, ?)",
                [forecast_run_id, drill, reason, datetime.now(UTC)],
            )

    def prune(self, *, keep: int, dry_run: bool = False) -> Pruned:
        """Remove every forecast run but the newest ``keep`` (by creation), with the drill and
        trigger runs made on them and all their frames, in one transaction; a dry run counts
        only. Telemetry, contracts, events and decision backtests stay.

        Each scheduled run stores a whole forecast (about 25 MB a day on the demo fleet) even
        when nothing is new, and nothing removed them.
        """
        if keep < 1:
            raise WarehouseError("keep at least the newest forecast run (--keep 1 or more)")
        ordered = self._con.execute(
            "SELECT run_id FROM forecast_runs ORDER BY created_at DESC, run_id DESC"
        ).fetchall()
        old = [row[0] for row in ordered[keep:]]
        runs: dict[str, list[str]] = {"forecast_runs": old}
        for runs_table in ("drill_runs", "trigger_runs"):
            runs[runs_table] = [
                row[0]
                for row in self._con.execute(
                    f"SELECT run_id FROM {table_name(runs_table)} "  # noqa: S608 - allow-listed
                    "WHERE list_contains(?, forecast_run_id)",
                    [old],
                ).fetchall()
            ]
        rows = 0
        with self.transaction():
            for runs_table, ids in runs.items():
                for name in (*RUN_TABLES[runs_table], runs_table):
                    where = f"FROM {table_name(name)} WHERE list_contains(?, run_id)"
                    rows += int(self._scalar(f"SELECT count(*) {where}", [ids]))
                    if not dry_run:
                        self._con.execute(f"DELETE {where}", [ids])
            where = "FROM drills_not_played WHERE list_contains(?, forecast_run_id)"
            rows += int(self._scalar(f"SELECT count(*) {where}", [old]))
            if not dry_run:
                self._con.execute(f"DELETE {where}", [old])
        if rows and not dry_run:
            # Deleted rows free their blocks for reuse at a checkpoint.
            self._con.execute("CHECKPOINT")
        return Pruned(runs={name: len(ids) for name, ids in runs.items()}, rows=rows)

    def drills_not_played(self, *, forecast_run_id: str) -> pl.DataFrame:
        """The drills not played on a forecast run and why, unless one was played since."""
        return self.query(
            "SELECT n.drill, n.reason, n.created_at FROM drills_not_played n "
            "WHERE n.forecast_run_id = $1 AND NOT EXISTS (SELECT 1 FROM drill_runs r "
            "WHERE r.forecast_run_id = n.forecast_run_id AND r.drill = n.drill "
            "AND r.created_at > n.created_at) ORDER BY n.drill",
            [forecast_run_id],
        )

    def latest_forecast_run(self, *, before: str | None = None) -> str | None:
        """The newest run id, or the newest one created before run ``before``."""
        if before is None:
            rows = self.query("SELECT run_id FROM forecast_runs ORDER BY created_at DESC LIMIT 1")
        else:
            rows = self.query(
                "SELECT run_id FROM forecast_runs WHERE created_at < "
                "(SELECT created_at FROM forecast_runs WHERE run_id = $1) "
                "ORDER BY created_at DESC LIMIT 1",
                [before],
            )
        return rows.item(0, 0) if rows.height else None

    def latest_trigger_run(self, *, forecast_run_id: str) -> str | None:
        """The newest trigger run computed from forecast run ``forecast_run_id``."""
        rows = self.query(
            "SELECT run_id FROM trigger_runs WHERE forecast_run_id = $1 "
            "ORDER BY created_at DESC LIMIT 1",
            [forecast_run_id],
        )
        return rows.item(0, 0) if rows.height else None

    def runs_frame(self, table: str, run_ids: Sequence[str]) -> pl.DataFrame:
        """One stored frame of several runs, with their run_id."""
        name = table_name(table)
        return self.query(
            f"SELECT * FROM {name} WHERE list_contains($1, run_id)",  # noqa: S608 - allow-listed
            [list(run_ids)],
        )

    def recent_forecast_runs(self, *, limit: int) -> pl.DataFrame:
        """The newest forecast runs: id, as_of, created, series, horizon (daily days and the
        plan's months) and seconds."""
        return self.query(
            "SELECT run_id, as_of, created_at, series, horizon_days, horizon_months, seconds "
            "FROM forecast_runs ORDER BY created_at DESC LIMIT $1",
            [limit],
        )

    def recent_drill_runs(self, *, limit: int) -> pl.DataFrame:
        """The newest drill runs, their verdicts and the classes that failed each."""
        return self.query(
            "SELECT d.run_id, d.drill, d.forecast_run_id, d.created_at, d.passed, d.verdict, "
            "  list(v.workload_class ORDER BY v.workload_class) "
            "    FILTER (WHERE NOT v.passed) AS failing "
            "FROM (SELECT * FROM drill_runs ORDER BY created_at DESC LIMIT $1) d "
            "LEFT JOIN drill_verdicts v USING (run_id) "
            "GROUP BY ALL ORDER BY d.created_at DESC",
            [limit],
        )

    def recent_trigger_runs(self, *, limit: int) -> pl.DataFrame:
        """The newest trigger runs, their forecast runs and their red, amber and green counts
        (``green_not_verified``: the greens no training demand was measured for, apart);
        ``new_sites`` the worst status of their construction rows ("red (1 of 3)": how many
        regions have it; a green ", not verified" where a region's note says so, and ", 1 not
        judged" beside it for the regions no demand was measured in), "not dated" where a
        region's ceilings run out with no build time declared, "-" for a run whose plan has no
        [[site]], and "not recorded" for a run stored before migration 40 (or any run of a
        file read-only before it)."""
        if self.schema_version() < _CONSTRUCTION_SINCE:
            sites = "SELECT NULL::VARCHAR AS run_id, NULL::VARCHAR AS new_sites WHERE false"
            recorded = "NULL::BOOLEAN"
        else:
            worst = (
                "CASE WHEN count(*) FILTER (WHERE status = '{0}') > 0 THEN '{0} (' || "
                "count(*) FILTER (WHERE status = '{0}') || ' of ' || count(*) || ')' "
            )
            sites = (
                "SELECT run_id, "
                + worst.format("red")
                + worst.format("amber").replace("CASE WHEN", "WHEN", 1)
                + "WHEN count(*) FILTER (WHERE status IS NULL AND exhaustion_date IS NOT NULL) "
                "> 0 THEN 'not dated' "
                + worst.format("green").replace("CASE WHEN", "WHEN", 1)
                # A green whose notes say the horizon ends before a new site could be built
                # (construction._holds) read "green (3 of 3)" on a 21-day fleet's 26 weeks.
                + "|| CASE WHEN bool_or(status = 'green' AND note LIKE '%; not verified past %') "
                "THEN ', not verified' ELSE '' END "
                # A region no demand was measured in (construction_triggers' "not judged")
                # counted in "green (2 of 2)" while the pages said it was not judged.
                "|| CASE WHEN count(*) FILTER (WHERE status = 'not judged') > 0 THEN ', ' || "
                "count(*) FILTER (WHERE status = 'not judged') || ' not judged' ELSE '' END "
                + worst.format("not judged").replace("CASE WHEN", "WHEN", 1)
                + "ELSE 'not dated' END AS new_sites "
                "FROM construction_triggers GROUP BY run_id"
            )
            recorded = "r.construction_recorded"
        return self.query(
            "SELECT * EXCLUDE (recorded) REPLACE (CASE WHEN recorded IS NULL THEN "  # noqa: S608 - fixed SQL
            "'not recorded' ELSE coalesce(new_sites, '-') END AS new_sites) FROM ("
            "SELECT r.run_id, r.forecast_run_id, r.as_of, r.created_at, r.quantile, "
            "  count(*) FILTER (WHERE t.status = 'red') AS red, "
            "  count(*) FILTER (WHERE t.status = 'amber') AS amber, "
            # A green no training demand was measured for (triggers._unverified_where_class_
            # unmeasured: an inference-only fleet's training pool, zero against zero) is not
            # verified: counted apart, as the pages count it.
            "  count(*) FILTER (WHERE t.status = 'green' "
            "    AND NOT coalesce(t.unmeasured_training, false)) AS green, "
            "  count(*) FILTER (WHERE t.status = 'green' "
            "    AND coalesce(t.unmeasured_training, false)) AS green_not_verified, "
            f"  {recorded} AS recorded, c.new_sites "
            "FROM (SELECT * FROM trigger_runs ORDER BY created_at DESC LIMIT $1) r "
            "LEFT JOIN triggers t USING (run_id) "
            f"LEFT JOIN ({sites}) c USING (run_id) "
            "GROUP BY ALL) ORDER BY created_at DESC",
            [limit],
        )

    def ledger_totals(self) -> dict[str, Any]:
        """Files ingested (``files``: paths, however often each was loaded; ``ingests``: ledger
        entries), the rows quarantined now and the files they are in (``quarantined``,
        ``quarantined_files``: what `fleetcast quarantine` lists), and the last ingest's time.

        The quarantine is counted from its table, not summed over the ledger: a bad file
        ingested again with new content drops its old rows there, and the sum read 2 where
        `fleetcast quarantine` listed 1."""
        return self.query(
            "SELECT count(DISTINCT path) AS files, count(*) AS ingests, "
            "  (SELECT count(*) FROM quarantine) AS quarantined, "
            "  (SELECT count(DISTINCT file) FROM quarantine) AS quarantined_files, "
            "  max(finished_at) AS last_ingest "
            "FROM ingest_ledger"
        ).to_dicts()[0]

    def drill_runs_between(
        self, names: Sequence[str], *, since: datetime, until: datetime
    ) -> pl.DataFrame:
        """Drill runs of the named drills created between ``since`` and ``until``, newest first."""
        return self.query(
            "SELECT * FROM drill_runs WHERE list_contains($1, drill) "
            "AND created_at BETWEEN $2 AND $3 ORDER BY created_at DESC",
            [list(names), since, until],
        )

    def run_frame(self, table: str, run_id: str) -> pl.DataFrame:
        """One stored frame of a run (forecasts, paths, backtests, ...) without run_id."""
        name = table_name(table)
        return self.query(f"SELECT * EXCLUDE (run_id) FROM {name} WHERE run_id = $1", [run_id])  # noqa: S608 - allow-listed

    def region_hours(
        self, *, as_of: date | None = None, leave_out: Sequence[str] = ()
    ) -> pl.DataFrame:
        """Each region's hourly sums of the telemetry (``region``, ``pool``, ``ts``,
        ``served``, ``queued``: GPUs running and queued), of every class (pool ``all``) and of
        training alone (pool ``training``), up to the end of ``as_of`` (all when None), without
        the rows of ingests whose format is in ``leave_out``."""
        return self.query(
            "WITH rows AS (SELECT t.region, t.workload_class, t.ts, t.gpus_running, "
            "t.gpus_queued FROM telemetry t LEFT JOIN ingest_ledger l "
            "ON l.ingest_id = t.ingest_id WHERE ($1::DATE IS NULL OR t.ts < $1::DATE + 1) "
            "AND NOT coalesce(list_contains($2::VARCHAR[], l.file_format), false)) "
            "SELECT region, 'all' AS pool, ts, sum(gpus_running) AS served, "
            "sum(gpus_queued) AS queued FROM rows GROUP BY region, ts "
            "UNION ALL SELECT region, 'training' AS pool, ts, sum(gpus_running), "
            "sum(gpus_queued) FROM rows WHERE workload_class = 'training' GROUP BY region, ts "
            "ORDER BY region, pool, ts",
            [as_of, list(leave_out)],
        )

    def estimated_days(self, run_id: str) -> pl.DataFrame:
        """The forecast run's series whose last days held estimates, not telemetry
        (``forecast_estimated`` without run_id). A run stored before migration 39 has none
        recorded, and reads as none, as does any run of a file opened read-only before
        migration 39 reached it."""
        stored = schema.frame_schema("forecast_estimated")
        if not self._scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            ["forecast_estimated"],
        ):
            return pl.DataFrame(schema=stored)
        return self.run_frame("forecast_estimated", run_id).cast(stored)

    def construction_triggers(self, run_id: str) -> pl.DataFrame | None:
        """The construction rows a trigger run stored (``construction_triggers`` without
        run_id), or None where it recorded none: a run stored before migration 40, or any run
        of a file opened read-only before migration 40 reached it. None is "not recorded",
        never "no construction" (a plan without [[site]] stores no rows, recorded)."""
        stored = schema.frame_schema("construction_triggers")
        if self.schema_version() < _CONSTRUCTION_SINCE:
            return None
        recorded = self._scalar(
            "SELECT construction_recorded FROM trigger_runs WHERE run_id = ?", [run_id]
        )
        if not recorded:
            return None
        return self.run_frame("construction_triggers", run_id).cast(stored)

    def outage_windows(self, run_id: str) -> pl.DataFrame | None:
        """The outage windows a forecast run applied (``forecast_outages`` without run_id), or
        None where it recorded none: a run stored before migration 41, or any run of a file
        opened read-only before migration 41 reached it. None is "not known", never "no
        outages" (a run without a calendar or zero rule stores no rows, recorded)."""
        if self.schema_version() < _OUTAGES_SINCE:
            return None
        recorded = self._scalar(
            "SELECT outages_recorded FROM forecast_runs WHERE run_id = ?", [run_id]
        )
        if not recorded:
            return None
        return self.run_frame("forecast_outages", run_id).cast(
            schema.frame_schema("forecast_outages")
        )

    def months_refused(self, run_id: str) -> tuple[bool, str | None]:
        """Whether forecast run ``run_id`` recorded why its forecast refused monthly rows, and
        the words (None: it made them, or its history would give them). Not recorded (False):
        a run stored before migration 42, or any run of a file opened read-only before it
        reached it; its refusal is not known, never "none"."""
        if self.schema_version() < _MONTHS_REFUSED_SINCE:
            return False, None
        rows = self._con.execute(
            "SELECT months_refusal_recorded, months_refused FROM forecast_runs WHERE run_id = ?",
            [run_id],
        ).fetchall()
        if not rows or not rows[0][0]:
            return False, None
        return True, rows[0][1]

    def adapter_outages(self) -> pl.DataFrame:
        """The outage windows trace adapters found at ingest (``ingest_outages``), oldest
        first; none on a file opened read-only before migration 43 reached it (its ingests'
        windows are not known: :meth:`adapter_outages_unrecorded` names them)."""
        stored = schema.table("ingest_outages").schema
        if self.schema_version() < _ADAPTER_OUTAGES_SINCE:
            return pl.DataFrame(schema=stored)
        return self.query(
            f"SELECT {_quoted(_INGEST_OUTAGE_COLUMNS)} FROM ingest_outages "  # noqa: S608 - constants
            'ORDER BY "start", region NULLS FIRST, path'
        ).cast(stored)

    def adapter_outages_unrecorded(self, *, formats: Sequence[str]) -> pl.DataFrame:
        """The ledger's ingests of a trace (``file_format`` one of ``formats``, the adapters'
        names) whose adapter windows were not recorded: ingested before migration 43, which
        counted them in a note only (path, file_format, min_ts, max_ts). Their windows are
        not known, which is never "none found"."""
        recorded = (
            "outages_recorded IS NULL AND "
            if self.schema_version() >= _ADAPTER_OUTAGES_SINCE
            else ""  # a read-only file before 43: no ingest of it recorded them
        )
        return self.query(
            "SELECT path, file_format, min_ts, max_ts FROM ingest_ledger "  # noqa: S608 - constant
            f"WHERE {recorded}list_contains($1, file_format) ORDER BY started_at, path",
            [list(formats)],
        )

    def adapter_outages_unknown(self, run_id: str) -> tuple[str, ...] | None:
        """The trace files forecast run ``run_id`` read whose adapter outage windows are not
        known (ingested before migration 43); () where every one's are (those touching its
        history are in its ``forecast_outages``, source adapter); None for a run stored
        before migration 43 (or any run of a file opened read-only before it), which stored
        no adapter window: not known, never "none found"."""
        if self.schema_version() < _ADAPTER_OUTAGES_SINCE:
            return None
        files = self._scalar(
            "SELECT adapter_outages_unknown FROM forecast_runs WHERE run_id = ?", [run_id]
        )
        return None if files is None else tuple(files)

    def run_hourly_demand(self, run_id: str) -> RunHourly:
        """:meth:`hourly_demand` as forecast run ``run_id`` read it: without the rows of every
        hour an outage window it applied overlaps (its calendar's, its zero rule's), the one
        read every later step of the run (drills, reports) makes of its telemetry. A drill
        reread it raw: a collector's four hours of zeros that the forecast left out flattened
        the class's day shape. A run that recorded no windows (stored before migration 41)
        reads raw, with ``outages_recorded`` False for the pages to say so."""
        from forecasting.traces.outages import OUTAGE_FROM_ADAPTER

        windows = self.outage_windows(run_id)
        if windows is None:
            return RunHourly(self.hourly_demand(), outages_recorded=False)
        # An adapter's window is not masked again: its minutes were dropped at ingest, and
        # the hours at its edges are means over the minutes left, as the forecast read them
        # (it masks only its calendar's and zero rule's hours); masked, Helios's 06:01-08:01
        # window took out hours 06:00 and 08:00 that the forecast read as demand.
        if windows.filter(pl.col("source") != OUTAGE_FROM_ADAPTER).is_empty():
            return RunHourly(self.hourly_demand(), outages_recorded=True)
        # The hour [ts, ts + 1 h) is masked where a window overlaps it: as
        # forecasting.demand.present_hours marks the hours a window touches (end exclusive).
        return RunHourly(
            self.query(
                f"WITH hours AS ({_HOURLY_DEMAND_SQL}) "  # noqa: S608 - fixed SQL
                "SELECT * FROM hours h WHERE NOT EXISTS (SELECT 1 FROM forecast_outages w "
                "WHERE w.run_id = $1 AND w.source <> $2 "
                "AND (w.region IS NULL OR w.region = h.region) "
                'AND w."start" < h.ts + INTERVAL 1 HOUR AND w."end" > h.ts) '
                "ORDER BY ts, region, workload_class, customer",
                [run_id, OUTAGE_FROM_ADAPTER],
            ),
            outages_recorded=True,
        )

    # --- reads ------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
        """A read-only query as a polars frame; values bound as ``$1, $2, ...``."""
        return self._con.sql(sql, params=list(params) or None).pl()

    def count(self, table: str) -> int:
        """Rows in one of the warehouse's tables."""
        return int(self._scalar(f"SELECT count(*) FROM {table_name(table)}"))  # noqa: S608 - allow-listed

    def telemetry_checksum(self) -> str:
        """An order-independent digest of the telemetry rows (without ingest ids)."""
        cols = ", ".join(c for c in _TELEMETRY_COLUMNS if c != "ingest_id")
        rows = self._con.execute(
            f"SELECT count(*), coalesce(bit_xor(hash({cols})), 0) FROM telemetry"  # noqa: S608 - constants
        ).fetchall()
        return f"{rows[0][0]}:{rows[0][1]:x}"

    def ingested_formats(self) -> tuple[str, ...]:
        """The formats (csv, servegen, ...) of the ingests that loaded rows, sorted: a trace
        adapter's name among them says which trace the warehouse's dates rest on."""
        rows = self._con.execute(
            "SELECT DISTINCT file_format FROM ingest_ledger WHERE loaded > 0 ORDER BY 1"
        ).fetchall()
        return tuple(str(r[0]) for r in rows)

    def ledger(self) -> pl.DataFrame:
        """Every ingest, newest first."""
        return self.query(
            f"SELECT {', '.join(LEDGER_COLUMNS)} FROM ingest_ledger ORDER BY finished_at DESC"  # noqa: S608 - constants
        )

    def quarantine(self, *, ingest_id: str | None = None) -> pl.DataFrame:
        """Quarantined rows with their reasons, for one ingest or all."""
        if ingest_id is None:
            return self.query("SELECT * FROM quarantine ORDER BY file, row_number")
        return self.query(
            "SELECT * FROM quarantine WHERE ingest_id = $1 ORDER BY row_number", [ingest_id]
        )

    def telemetry(self) -> pl.DataFrame:
        """All telemetry in the contract's columns, ordered by key."""
        cols = ", ".join(TELEMETRY_SCHEMA.names())
        return self.query(f"SELECT {cols} FROM telemetry ORDER BY {', '.join(TELEMETRY_KEY)}")  # noqa: S608 - constants

    def history_checksum(self, *, before: datetime) -> tuple[int, str]:
        """How many telemetry rows have ts before ``before``, and a checksum of their series,
        ts and GPUs (running, queued: what the forecast reads, at the 6 decimals it sums in).

        Integer arithmetic, so it reads the same in any order, on any DuckDB version (its
        hash() is not stable across versions); a changed value of one row changes it unless
        two 31-bit residues collide. About 0.5 s on the demo's 3.9M rows."""
        n, checksum = self._con.execute(
            """
            SELECT count(*),
                   coalesce(sum(
                       (( (round(gpus_running * 1e6)::BIGINT % 2147483647) * 1048573
                        + (round(gpus_queued * 1e6)::BIGINT % 2147483647) * 1048571 + 1)
                        % 2147483629)
                       * ((series_id::BIGINT * 1000003 + epoch_us(ts)) % 2147483587 + 1)
                   ), 0)::VARCHAR
            FROM telemetry WHERE ts < ?
            """,
            [before],
        ).fetchone() or (0, "0")
        return int(n), str(checksum)

    def hourly_demand(self) -> pl.DataFrame:
        """Demand (served + queued GPUs) per hour, region, class and customer.

        Sub-hourly rows are averaged within the hour per key first (they are means over
        shorter intervals), then summed over clusters and GPU types. Sums run in DECIMAL:
        parallel double sums differ in the last bits from read to read, and forecasts (and
        their cache keys) must not.
        """
        return self.query(
            f"SELECT * FROM ({_HOURLY_DEMAND_SQL}) "  # noqa: S608 - fixed SQL
            "ORDER BY ts, region, workload_class, customer"
        )

    def customer_demand_shares(
        self, customer: str, *, since: datetime, until: datetime
    ) -> pl.DataFrame:
        """Per workload class the customer has telemetry in (ever), its GPU-hours of demand
        (served + queued) from ``since`` to before ``until`` and its class's, as
        :meth:`hourly_demand` sums them: a ratio of them is its measured share.
        Columns: workload_class, customer_gpu_hours, class_gpu_hours, fleet_gpu_hours (every
        class's; 0 where none)."""
        return self.query(
            """
            WITH per_key AS (
                SELECT date_trunc('hour', ts) AS ts, region, cluster, workload_class, customer,
                       gpu_type, avg(gpus_running + gpus_queued)::DOUBLE AS y
                FROM telemetry WHERE ts >= $2 AND ts < $3
                GROUP BY ALL
            ),
            classes AS (SELECT DISTINCT workload_class FROM telemetry_series WHERE customer = $1)
            SELECT c.workload_class,
                   coalesce(sum(p.y) FILTER (WHERE p.customer = $1), 0)::DOUBLE
                       AS customer_gpu_hours,
                   coalesce(sum(p.y), 0)::DOUBLE AS class_gpu_hours,
                   coalesce((SELECT sum(y) FROM per_key), 0)::DOUBLE AS fleet_gpu_hours
            FROM classes c LEFT JOIN per_key p USING (workload_class)
            GROUP BY c.workload_class
            ORDER BY c.workload_class
            """,
            [customer, since, until],
        )

    def quiet_customers(
        self, *, until: datetime, quiet_hours: int, lookback_days: int
    ) -> pl.DataFrame:
        """Customers whose last telemetry row (before ``until``) is ``quiet_hours`` or more
        before their region's last row, each with how it reported over the ``lookback_days``
        to its last row: hours with its rows (zero rows count) and the region's, its
        GPU-hours of demand and the region's (sums of rows: a ratio of them is a share).
        Columns: region, workload_class, customer, last_report, region_last, reported_hours,
        region_hours, customer_gpu_hours, region_gpu_hours."""
        return self.query(
            """
            WITH per_hour AS (
                SELECT date_trunc('hour', ts) AS ts, region, workload_class, customer,
                       sum(gpus_running + gpus_queued)::DOUBLE AS y
                FROM telemetry WHERE ts < $1
                GROUP BY ALL
            ),
            ends AS (SELECT region, max(ts) AS region_last FROM per_hour GROUP BY region),
            lasts AS (
                SELECT region, workload_class, customer, max(ts) AS last_report
                FROM per_hour GROUP BY ALL
            ),
            quiet AS (
                SELECT l.*, e.region_last
                FROM lasts l JOIN ends e USING (region)
                WHERE e.region_last >= l.last_report + to_hours($2::BIGINT)
            )
            SELECT q.region, q.workload_class, q.customer, q.last_report, q.region_last,
                   count(DISTINCT p.ts) FILTER (
                       WHERE p.workload_class = q.workload_class AND p.customer = q.customer
                   ) AS reported_hours,
                   count(DISTINCT p.ts) AS region_hours,
                   coalesce(sum(p.y) FILTER (
                       WHERE p.workload_class = q.workload_class AND p.customer = q.customer
                   ), 0) AS customer_gpu_hours,
                   sum(p.y) AS region_gpu_hours
            FROM quiet q JOIN per_hour p
              ON p.region = q.region
             AND p.ts > q.last_report - to_days($3::BIGINT) AND p.ts <= q.last_report
            GROUP BY ALL
            ORDER BY q.region, q.workload_class, q.customer
            """,
            [until, quiet_hours, lookback_days],
        )

    def case_variants(self, column: Literal["region", "customer"]) -> list[list[str]]:
        """Names of ``column`` in the telemetry written in more than one spelling: another
        case ('US-EAST' and 'us-east'), or a look-alike dash or space ('acme\u2011labs', a
        word processor's non-breaking hyphen, beside 'acme-labs'); each group sorted. Loaded
        as written, they are told apart."""
        if column not in ("region", "customer"):
            raise ValueError(f"case_variants reads region or customer, not {column!r}")
        names = self.query(
            f"SELECT DISTINCT {column} AS name FROM telemetry_series"  # noqa: S608 - checked above
        )["name"].to_list()
        groups: dict[str, list[str]] = {}
        for name in names:
            groups.setdefault(_folded(name), []).append(name)
        return sorted(
            (sorted(group) for group in groups.values() if len(group) > 1),
            key=lambda group: _folded(group[0]),
        )

    def newest_telemetry(self) -> datetime | None:
        """Timestamp of the newest telemetry row, or None when there is none."""
        newest: datetime | None = self._scalar("SELECT max(ts) FROM telemetry")
        return newest

    def oldest_telemetry(self) -> datetime | None:
        """Timestamp of the oldest telemetry row, or None when there is none."""
        oldest: datetime | None = self._scalar("SELECT min(ts) FROM telemetry")
        return oldest

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._con.close()


# Dashes and spaces a word processor or a locale writes where an exporter meant '-' and ' '.
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_SPACES = re.compile(r"\s+")


def _folded(name: str) -> str:
    """``name`` as a reader would say it: compatibility forms, case, dashes and runs of
    spaces made one, so two spellings of one name fold together."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return _SPACES.sub(" ", _DASHES.sub("-", folded)).strip()


def _ledger_entry(row: Sequence[Any]) -> LedgerEntry:
    values = list(row)
    at = LEDGER_COLUMNS.index("extra_columns")
    values[at] = tuple(values[at])
    return LedgerEntry(*values)


def _checked_columns(table: str, columns: Sequence[str]) -> list[str]:
    """``columns`` if each is a plain identifier: names reach SQL, so they must be safe."""
    bad = [c for c in columns if not _IDENTIFIER.fullmatch(c)]
    if bad:
        raise WarehouseError(f"{table}: refusing column names {bad}")
    return list(columns)


def _holder(exc: duckdb.Error) -> str:
    match = _LOCK_PID.search(str(exc))
    return f"pid {match.group(1)}" if match else "unknown pid"


def _busy_error(path: Path, exc: duckdb.Error) -> WarehouseBusyError:
    return WarehouseBusyError(
        f"warehouse is in use by another fleetcast process ({_holder(exc)}): {path}. "
        "Wait for it to finish, or point --warehouse at another file."
    )


# How long a step that stores what it computed waits for another process's hold on the
# warehouse: a `report` started during a drill made the drill, not the report, fail at store
# time, its minutes of work thrown away.
STORE_WAIT = timedelta(minutes=10)
_BUSY_POLL_SECONDS = 0.5
_log = logging.getLogger(__name__)


def damaged_warehouse_error(path: Path, exc: duckdb.Error) -> WarehouseError:
    """The one line for a DuckDB file that opens (its first bytes are DuckDB's) but cannot be
    read whole: a partial copy or a full disk cut it short, and a query reached the user as
    DuckDB's IOException trace."""
    return WarehouseError(
        f"{path}: the warehouse file is damaged ({str(exc).strip()}); restore it from a "
        "backup, or rebuild it: `fleetcast ingest` the telemetry (and `events`, `contracts`) "
        "into a new --warehouse"
    )


def _damaged(exc: duckdb.Error) -> bool:
    """Whether DuckDB's error says the file is cut short or corrupt (not locked, not denied)."""
    text = str(exc).lower()
    return any(s in text for s in ("could not read enough bytes", "corrupt", "checksum"))


def _opened(path: Path, *, read_only: bool, wait: timedelta) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to ``path``; while another process holds it, retried for ``wait``
    (saying so once) before the busy error."""
    deadline = time.monotonic() + wait.total_seconds()
    said = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if _damaged(exc):
                raise damaged_warehouse_error(path, exc) from exc
            if "lock" not in str(exc).lower():
                raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise _busy_error(path, exc) from None
            if not said:
                _log.warning(
                    "warehouse %s is in use by another fleetcast process (%s): waiting up to "
                    "%d minutes for it, to store this run's work",
                    path,
                    _holder(exc),
                    wait.total_seconds() // 60,
                )
                said = True
            time.sleep(_BUSY_POLL_SECONDS)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, create: bool = True, wait: timedelta = timedelta(0)
) -> Iterator[Warehouse]:
    """Open (creating and migrating if needed) the warehouse at ``path``.

    Read-only connections never migrate; they, and writers that must not create one
    (``create=False``: a step that stores results about data already there), fail with a clear
    message on a missing file instead of making an empty warehouse of a mistyped path. While
    another process holds the file, the open is retried for ``wait`` (``STORE_WAIT`` where
    work already done would be lost).
    """
    path = Path(path)
    if (read_only or not create) and not path.exists():
        raise WarehouseError(
            f"no warehouse at {path}; run `fleetcast ingest` or `fleetcast demo` first"
        )
    problem = _not_a_warehouse(path)
    if problem is not None:
        raise WarehouseError(
            f"{path} is not a DuckDB warehouse: {problem}; pass --warehouse a .duckdb file "
            "(a new path is created by `fleetcast ingest`)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if not read_only and not os.access(path.parent, os.W_OK):
        # DuckDB writes its log, and ingest its staging files, beside the file: a read-only
        # folder failed a commit (or a staging folder) in a 30-line trace.
        raise WarehouseError(
            f"cannot write in {path.parent}, the warehouse's folder (DuckDB keeps its "
            "write-ahead log beside the file): make it writable, or point --warehouse at a "
            "file in a folder you can write in"
        )
    con = _opened(path, read_only=read_only, wait=wait)
    # UTC everywhere: TIMESTAMPTZ values must not be rendered in the machine's local zone.
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB's own progress bar would write into the CLI's tables.
    con.execute("SET enable_progress_bar = false")
    warehouse = Warehouse(con, path)
    try:
        found = _known_schema_version(warehouse)
        if found == 0 and (read_only or not create):
            # A DuckDB file fleetcast never wrote (created empty, or another tool's): `drill`
            # and `status` read it as a warehouse and died in a catalog trace.
            raise WarehouseError(
                f"{path} is a DuckDB file but no fleetcast warehouse (it has none of its "
                "tables); run `fleetcast ingest` into it first, or pass --warehouse the "
                "warehouse file"
            )
        if not read_only:
            warehouse.migrate()
        yield warehouse
    except duckdb.InterruptException as exc:
        raise QueryInterrupted(str(exc)) from exc
    except RuntimeError as exc:
        if str(exc) != _SIGNAL_IN_QUERY:
            raise
        raise QueryInterrupted(str(exc)) from exc
    finally:
        warehouse.close()


def _known_schema_version(warehouse: Warehouse) -> int:
    """The warehouse's schema version (0: never migrated); a warehouse a newer fleetcast
    migrated is refused before anything reads or writes it: its tables may differ from the
    ones this code knows (a 35-line DuckDB trace where one did, silent reads and writes where
    none did)."""
    known = MIGRATIONS[-1].version
    exists = warehouse._scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    )
    found = warehouse.schema_version() if exists else 0
    if found > known:
        raise WarehouseError(
            f"warehouse {warehouse.path} has schema version {found}, newer than this "
            f"fleetcast knows ({known}): upgrade fleetcast, or point --warehouse at another file"
        )
    return found


# Bytes 8..11 of every DuckDB database file (after an 8-byte checksum).
_DUCKDB_MAGIC = (8, b"DUCK")


def _not_a_warehouse(path: Path) -> str | None:
    """Why the existing ``path`` is no DuckDB database, or None (a database, or no file yet).

    DuckDB opens an existing CSV or Parquet file as an in-memory view of it: every write would
    vanish at exit with a success status, so such a file is refused before DuckDB sees it.
    """
    if path.is_dir():
        return "it is a folder"
    if not path.exists():
        return None
    offset, magic = _DUCKDB_MAGIC
    try:
        with path.open("rb") as fh:
            head = fh.read(offset + len(magic))
    except OSError as exc:
        return f"cannot read it ({exc.strerror})"
    if head[offset:] == magic:
        return None
    if head.startswith(b"PAR1"):
        return "it is a Parquet file"
    return "its first bytes are not DuckDB's (a CSV or text file?)"
