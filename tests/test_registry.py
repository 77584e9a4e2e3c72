"""The table registry: the warehouse's tables are exactly what it declares, old files included."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from forecasting import warehouse
from forecasting.schema import REGISTRY, Table, frame_schema, table
from forecasting.warehouse import (
    LEDGER_COLUMNS,
    MIGRATIONS,
    RUN_TABLES,
    LedgerEntry,
    Warehouse,
    WarehouseError,
    add_column_statement,
    sql_type,
)

OLD_DDL = Path(__file__).with_name("fixtures") / "warehouse_v5.sql"

Columns = dict[str, list[tuple[str, str, bool, str | None]]]
Constraints = dict[str, dict[str, list[tuple[str, ...]]]]


def _columns(con: duckdb.DuckDBPyConnection) -> Columns:
    """Per table: (name, type, nullable, default) of each column, in column order."""
    rows = con.sql(
        "SELECT table_name, column_name, data_type, is_nullable = 'YES', column_default "
        "FROM information_schema.columns WHERE table_schema = 'main' "
        "ORDER BY table_name, ordinal_position"
    ).fetchall()
    out: Columns = {}
    for name, column, dtype, nullable, default in rows:
        out.setdefault(name, []).append((column, dtype, nullable, default))
    return out


def _constraints(con: duckdb.DuckDBPyConnection) -> Constraints:
    """Per table: its PRIMARY KEY and UNIQUE constraints, as column tuples."""
    rows = con.sql(
        "SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints() "
        "WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE') ORDER BY ALL"
    ).fetchall()
    out: Constraints = {}
    for name, kind, columns in rows:
        out.setdefault(name, {}).setdefault(kind, []).append(tuple(columns))
    return out


def _expected_columns(t: Table) -> list[tuple[str, str, bool, str | None]]:
    return [
        (
            name,
            sql_type(dtype),
            name in t.nullable,
            f"nextval('{t.sequence}')" if name == t.serial else None,
        )
        for name, dtype in t.stored_schema.items()
    ]


def _snapshot(path: Path) -> tuple[Columns, Constraints]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return _columns(con), _constraints(con)
    finally:
        con.close()


def test_a_migrated_warehouse_has_exactly_the_registrys_columns_and_types(
    warehouse_path: Path,
) -> None:
    """Each table of a new file has the registry's columns, in order, with its types and nulls."""
    with warehouse.connect(warehouse_path):
        pass
    columns, _ = _snapshot(warehouse_path)
    assert set(columns) == set(REGISTRY)
    for name, t in REGISTRY.items():
        assert columns[name] == _expected_columns(t), name


def test_keys_and_unique_constraints_are_the_registrys(warehouse_path: Path) -> None:
    """An enforced key is the table's primary key, column for column; others have no index."""
    with warehouse.connect(warehouse_path):
        pass
    _, constraints = _snapshot(warehouse_path)
    for name, t in REGISTRY.items():
        expected: dict[str, list[tuple[str, ...]]] = {}
        if t.key_enforced:
            expected["PRIMARY KEY"] = [t.key]
        if t.unique:
            expected["UNIQUE"] = [t.unique]
        assert constraints.get(name, {}) == expected, name


def test_reads_come_back_in_the_registrys_stored_types(wh: Warehouse) -> None:
    """Each table read into polars has its stored schema: the two type mappings agree."""
    for name, t in REGISTRY.items():
        frame = wh.query(f"SELECT * FROM {warehouse.table_name(name)} LIMIT 0")
        assert frame.schema == t.stored_schema, name


def test_a_warehouse_made_by_the_old_ddl_opens_and_matches(tmp_path: Path) -> None:
    """A file made by the hand-written DDL of version 5 needs only the later migrations and
    then equals a new one."""
    old, new = tmp_path / "old.duckdb", tmp_path / "new.duckdb"
    con = duckdb.connect(str(old))
    con.execute(OLD_DDL.read_text())
    for m in MIGRATIONS[:5]:
        con.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, ?)", [m.version, m.name, datetime.now(UTC)]
        )
    con.close()
    with warehouse.connect(old) as wh:
        assert wh.migrate() == []  # connect applied the later ones
        assert wh.schema_version() == MIGRATIONS[-1].version
        run = {
            "run_id": "r1",
            "forecast_run_id": "f1",
            "as_of": date(2026, 1, 5),
            "quantile": "q90",
            "buffer_weeks": 4,
            "capacity_sha256": "0" * 64,
            "created_at": datetime.now(UTC),
        }
        frames = {
            name: pl.DataFrame(schema=frame_schema(name)) for name in RUN_TABLES["trigger_runs"]
        }
        wh.save_run("trigger_runs", run, frames)
        assert wh.count("trigger_runs") == 1
    with warehouse.connect(new):
        pass
    assert _snapshot(old) == _snapshot(new)


def test_every_table_is_created_by_exactly_one_migration() -> None:
    """The migrations create each registry table once (schema_migrations before them all)."""
    created = [name for m in MIGRATIONS for name in m.creates]
    assert len(created) == len(set(created))
    assert {*created, "schema_migrations"} == set(REGISTRY)


def test_a_column_added_later_reaches_old_files_and_leaves_new_ones(
    warehouse_path: Path,
) -> None:
    """An ALTER migration adds a registry column to a file without it, and is a no-op after.

    The column is the registry's last (ALTER appends: a column added later is declared last).
    """
    with warehouse.connect(warehouse_path):
        pass
    last = table("triggers").schema.names()[-1]
    con = duckdb.connect(str(warehouse_path))
    try:
        con.execute(f"ALTER TABLE triggers DROP COLUMN {last}")
        assert last not in [c[0] for c in _columns(con)["triggers"]]
        for _ in range(2):
            con.execute(add_column_statement("triggers", last))
            assert _columns(con)["triggers"] == _expected_columns(table("triggers"))
    finally:
        con.close()


def test_an_added_column_must_be_nullable() -> None:
    """Old rows have no value for a new column, so a NOT NULL one is refused with the fix."""
    with pytest.raises(WarehouseError, match=r"triggers.status: .* must be nullable"):
        add_column_statement("triggers", "status")


def test_run_tables_and_column_lists_derive_from_the_registry() -> None:
    """Runs tables own the frames the registry assigns them; the ledger row is LedgerEntry."""
    assert RUN_TABLES == {
        "forecast_runs": (
            "forecasts",
            "forecast_months",
            "horizon_accuracy",
            "forecast_paths",
            "backtests",
            "forecast_summary",
            "forecast_estimated",
            "forecast_outages",
            "book_concentration",
        ),
        "drill_runs": (
            "drill_verdicts",
            "drill_kpis",
            "drill_blocks",
            "drill_additions",
            "drill_curves",
            "drill_kpi_changes",
            "drill_rungs",
            "drill_variant_curves",
        ),
        "trigger_runs": (
            "triggers",
            "trigger_drivers",
            "idle_risk",
            "site_power",
            "trigger_n_plus_one",
            "power_triggers",
            "construction_triggers",
            "order_placements",
        ),
        "decision_runs": ("decision_replays",),
    }
    for runs, frames in RUN_TABLES.items():
        assert table(runs).key == ("run_id",)
        for name in frames:
            assert table(name).key[0] == "run_id"
            assert "run_id" not in frame_schema(name)
    assert tuple(f.name for f in fields(LedgerEntry)) == LEDGER_COLUMNS


def test_every_table_has_a_meaning_and_a_key() -> None:
    """A declaration says what a row is and which columns identify it."""
    for t in REGISTRY.values():
        assert t.meaning.startswith("one row per"), t.name
        assert t.key, t.name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"key": ("nope",)}, "key names unknown columns"),
        ({"nullable": ("a",)}, "enforced key cannot hold nullable"),
        ({"name": "Bad-Name"}, "not plain identifiers"),
        ({"serial": "a"}, "serial column needs its sequence"),
    ],
)
def test_a_bad_declaration_fails_at_import(change: dict[str, Any], message: str) -> None:
    """Key, nullable and serial columns must exist and fit; names must be safe for SQL."""
    spec: dict[str, Any] = {
        "name": "t",
        "meaning": "one row per test",
        "schema": pl.Schema({"a": pl.String(), "b": pl.Int64()}),
        "key": ("a",),
    }
    with pytest.raises(ValueError, match=message):
        Table(**(spec | change))
