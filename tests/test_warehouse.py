"""Warehouse: migrations, one writer at a time, and crash safety under SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import polars as pl
import pytest
from telemetry_files import telemetry_frame

from forecasting import ingest, warehouse
from forecasting.schema import EVENTS_SCHEMA
from forecasting.warehouse import (
    MIGRATIONS,
    QueryInterrupted,
    Reloaded,
    Warehouse,
    WarehouseBusyError,
    WarehouseError,
    connect,
)

CHILD = Path(__file__).with_name("ingest_child.py")
ROOT = Path(__file__).resolve().parent.parent


def child(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args], stdout=subprocess.PIPE, text=True, env=env
    )


def test_migrations_apply_once_and_record_their_version(warehouse_path: Path) -> None:
    """A new file gets every migration; reopening applies none again."""
    with warehouse.connect(warehouse_path) as wh:
        assert wh.schema_version() == MIGRATIONS[-1].version
    with warehouse.connect(warehouse_path) as wh:
        assert wh.migrate() == []
        assert wh.count("schema_migrations") == len(MIGRATIONS)


def test_triggers_stored_before_migration_33_get_their_grain_flags_from_their_notes(
    warehouse_path: Path,
) -> None:
    """The pages, the CLI and the decision backtest counted a trigger short at the monthly
    grain only, and a green not verified past the forecast, by phrases in its note: rewording
    a note silently changed what they count. The flags are columns since migration 33; a file
    of version 32 gets them on its stored rows from the words its notes held then, so an old
    run reads as it did, and a row without those words reads unflagged."""
    import duckdb

    with warehouse.connect(warehouse_path):
        pass
    con = duckdb.connect(str(warehouse_path))
    try:  # back to the shape of version 32
        con.execute("ALTER TABLE triggers DROP COLUMN monthly_only")
        con.execute("ALTER TABLE triggers DROP COLUMN unverified_green")
        con.execute("ALTER TABLE power_triggers DROP COLUMN monthly_only")
        con.execute("DELETE FROM schema_migrations WHERE version >= 33")
        day = date(2026, 12, 4)
        for pool, status, note in [
            ("all", "amber", "short at the monthly grain ...: not verified at the daily grain (.)"),
            ("training", "green", "stays within capacity, where the forecast ends: not verified "
             "beyond it (a shortfall the day after would need ...)"),
            ("inference", "red", "short from 2027-01-05"),
            ("batch", "green", None),
        ]:  # fmt: skip
            con.execute(
                "INSERT INTO triggers (run_id, region, pool, quantile, as_of, status, note) "
                "VALUES ('t1', 'us-east', ?, 'q90', ?, ?, ?)",
                [pool, day, status, note],
            )
        for site, note in [
            ("us-east-a", "the power date rests on ...: not verified at the daily grain; see"),
            ("us-east-b", "contract 3.20 MW by 2027-03-18"),
        ]:
            con.execute(
                "INSERT INTO power_triggers (run_id, region, site, as_of, power_lead_months, "
                "status, max_shortfall_mw, mw_to_contract, cost_usd, note) "
                "VALUES ('t1', 'us-east', ?, ?, 24, 'amber', 1.0, 1.0, 1e6, ?)",
                [site, day, note],
            )
    finally:
        con.close()
    with warehouse.connect(warehouse_path) as wh:
        assert wh.schema_version() == MIGRATIONS[-1].version
        triggers = wh.run_frame("triggers", "t1").sort("pool")
        power = wh.run_frame("power_triggers", "t1").sort("site")
    assert triggers.select("pool", "monthly_only", "unverified_green").rows() == [
        ("all", True, False),
        ("batch", False, False),
        ("inference", False, False),
        ("training", False, True),
    ]
    assert power["monthly_only"].to_list() == [True, False]


def test_idle_risk_stored_before_migration_34_gets_its_no_low_demand_flag_from_its_note(
    warehouse_path: Path,
) -> None:
    """The finance page told a block wholly idle for no demand at P10 ("100.0% (no P10 demand
    in its pool)") by the words of its note. The flag is a column since migration 34; a file
    of version 33 gets it on its stored rows from the words its notes held then, so an old run
    reads as it did, and a row without them reads unflagged."""
    import duckdb

    with warehouse.connect(warehouse_path):
        pass
    con = duckdb.connect(str(warehouse_path))
    try:  # back to the shape of version 33
        con.execute("ALTER TABLE idle_risk DROP COLUMN no_low_demand")
        con.execute("DELETE FROM schema_migrations WHERE version >= 34")
        for block, note in [
            ("b-empty", "judged in pool all; no demand at the low quantile in pool all on any of "
             "the 91 days judged (its P10 forecast is zero): wholly idle for that"),
            ("b-covered", "judged in pool all; wholly idle at P10: the 900 GPUs in service ..."),
            ("b-none", None),
        ]:  # fmt: skip
            con.execute(
                "INSERT INTO idle_risk (run_id, block_id, region, site, kind, gpu_type, gpus, "
                "note) VALUES ('t1', ?, 'us-east', 'us-east-a', 'rack', 'h100', 256, ?)",
                [block, note],
            )
    finally:
        con.close()
    with warehouse.connect(warehouse_path) as wh:
        assert wh.schema_version() == MIGRATIONS[-1].version
        idle = wh.run_frame("idle_risk", "t1").sort("block_id")
    assert idle.select("block_id", "no_low_demand").rows() == [
        ("b-covered", False),
        ("b-empty", True),
        ("b-none", False),
    ]


def test_triggers_stored_before_migration_35_get_their_unmeasured_training_flag_from_notes(
    warehouse_path: Path,
) -> None:
    """The terminal, the finance orders, the front page and the Prefect summary told a training
    pool's green with no training telemetry anywhere ("not verified") by the words of its note.
    The flag is a column since migration 35; a file of version 34 gets it on its stored rows
    from the words its notes held then (a green's, opening the note or after a region's lead),
    so an old run reads as it did, and a row without them, or not green, reads unflagged."""
    import duckdb

    with warehouse.connect(warehouse_path):
        pass
    con = duckdb.connect(str(warehouse_path))
    try:  # back to the shape of version 34
        con.execute("ALTER TABLE triggers DROP COLUMN unmeasured_training")
        con.execute("DELETE FROM schema_migrations WHERE version >= 35")
        day = date(2026, 12, 4)
        words = "no training demand measured in any region: the telemetry holds no training row"
        for region, pool, status, note in [
            ("us-east", "training", "green", words),
            ("eu-west", "training", "green", f"no block of the plan is in service ...; {words}"),
            ("ap-south", "training", "red", f"short from 2027-01-05; {words}"),
            ("us-east", "all", "green", "q90 requirement stays within capacity"),
            ("eu-west", "all", "green", None),
        ]:
            con.execute(
                "INSERT INTO triggers (run_id, region, pool, quantile, as_of, status, note) "
                "VALUES ('t1', ?, ?, 'q90', ?, ?, ?)",
                [region, pool, day, status, note],
            )
    finally:
        con.close()
    with warehouse.connect(warehouse_path) as wh:
        assert wh.schema_version() == MIGRATIONS[-1].version
        triggers = wh.run_frame("triggers", "t1").sort("region", "pool")
    assert triggers.select("region", "pool", "unmeasured_training").rows() == [
        ("ap-south", "training", False),
        ("eu-west", "all", False),
        ("eu-west", "training", True),
        ("us-east", "all", False),
        ("us-east", "training", True),
    ]


def test_drill_runs_stored_before_migration_36_get_their_search_and_cut_from_their_notes(
    warehouse_path: Path,
) -> None:
    """The terminal and the platform page read a drill's blocks-to-pass answer and how far a
    shock the horizon cut short got by the prefixes of its stored notes ("blocks to pass: ",
    "the shock reaches ", "cut short by the forecast horizon: "): a reworded prefix lost them
    from every run stored before. They are columns since migration 36; a file of version 35
    gets them from the words its notes held then (the search's notes leave the drill's notes,
    as the code of the day stores them), and a run without those words reads null."""
    import duckdb

    with warehouse.connect(warehouse_path):
        pass
    con = duckdb.connect(str(warehouse_path))
    cut = "the shock reaches 1.67x of its 2x by the forecast horizon's end on 2027-01-01"
    dark = "cut short by the forecast horizon: eu-west is dark past the forecast horizon's end"
    try:  # back to the shape of version 35
        con.execute("ALTER TABLE drill_runs DROP COLUMN blocks_notes")
        con.execute("ALTER TABLE drill_runs DROP COLUMN shock_cut")
        con.execute("DELETE FROM schema_migrations WHERE version >= 36")
        for run_id, notes in [
            ("d1", ["blocks to pass: no set of up to 4 blocks passes", cut, "a fold note",
                    dark, "blocks to pass: 12 simulation runs beyond the drill's own"]),
            ("d2", ["no pool ran full in the drill window"]),
            ("d3", []),
        ]:  # fmt: skip
            con.execute(
                "INSERT INTO drill_runs (run_id, forecast_run_id, drill, description, target, "
                "multiplier, shape, shock_start, horizon_end, paths, seed, passed, "
                "first_to_saturate, notes, seconds, created_at) VALUES (?, 'f', ?, '', 'all', "
                "2.0, 'step', DATE '2026-12-05', DATE '2027-01-01', 5, 1, false, [], ?, 1.0, "
                "now())",
                [run_id, run_id, notes],
            )
    finally:
        con.close()
    with warehouse.connect(warehouse_path) as wh:
        assert wh.schema_version() == MIGRATIONS[-1].version
        runs = wh.drill_runs().sort("run_id")
    assert runs.select("run_id", "blocks_notes", "shock_cut", "notes").rows() == [
        ("d1", ["no set of up to 4 blocks passes", "12 simulation runs beyond the drill's own"],
         f"{cut}; {dark}", [cut, "a fold note", dark]),
        ("d2", None, None, ["no pool ran full in the drill window"]),
        ("d3", None, None, []),
    ]  # fmt: skip


def test_forecast_runs_stored_before_migration_39_read_as_nothing_estimated(
    warehouse_path: Path,
) -> None:
    """A run did not keep which of its totals' last days were estimates (a part silent), so
    the pages could not say it. Migration 39 adds the table that keeps them; a file of version
    38 gets it, and its runs read as nothing estimated, as they do on a read-only open before
    the migration reached the file (no catalog error)."""
    import duckdb

    from forecasting.forecast import ESTIMATED_SCHEMA

    with warehouse.connect(warehouse_path):
        pass
    con = duckdb.connect(str(warehouse_path))
    try:  # back to the shape of version 38
        con.execute("DROP TABLE forecast_estimated")
        con.execute("DELETE FROM schema_migrations WHERE version >= 39")
    finally:
        con.close()
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        assert wh.schema_version() == 38
        before = wh.estimated_days("f1")
    assert before.is_empty() and before.schema == ESTIMATED_SCHEMA
    with warehouse.connect(warehouse_path) as wh:
        assert wh.schema_version() == MIGRATIONS[-1].version >= 39
        assert wh.count("forecast_estimated") == 0
        after = wh.estimated_days("f1")
    assert after.is_empty() and after.schema == ESTIMATED_SCHEMA


def test_a_warehouse_of_a_newer_fleetcast_is_refused_in_one_line(warehouse_path: Path) -> None:
    """A file a newer fleetcast migrated was read and written without a check, and where its
    tables differed every command died in a 35-line DuckDB trace: it is refused, read-only
    too, naming both versions."""
    latest = MIGRATIONS[-1].version
    with warehouse.connect(warehouse_path) as wh:
        wh._con.execute(
            "INSERT INTO schema_migrations VALUES (?, 'from the future', now())", [latest + 1]
        )
    for read_only in (False, True):
        with (
            pytest.raises(
                WarehouseError,
                match=rf"schema version {latest + 1}, newer than this "
                rf"fleetcast knows \({latest}\): upgrade fleetcast",
            ),
            warehouse.connect(warehouse_path, read_only=read_only),
        ):
            pass


def test_table_names_come_from_an_allow_list(wh: Warehouse) -> None:
    """A table name that is not the warehouse's own is refused before reaching SQL."""
    with pytest.raises(WarehouseError, match="unknown table"):
        wh.count("telemetry; DROP TABLE telemetry")


def test_read_only_open_of_a_missing_file_says_what_to_run(tmp_path: Path) -> None:
    """Opening a missing warehouse read-only tells the user to ingest first."""
    with (
        pytest.raises(WarehouseError, match="fleetcast ingest"),
        warehouse.connect(tmp_path / "none.duckdb", read_only=True),
    ):
        pass


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".txt"])
def test_a_file_that_is_not_duckdb_is_refused_and_left_as_it_was(
    tmp_path: Path, suffix: str
) -> None:
    """A CSV or Parquet file named as the warehouse is refused by name, not opened as DuckDB's
    in-memory view of it (every write lost with a success status), and keeps its bytes."""
    path = tmp_path / f"telemetry{suffix}"
    frame = telemetry_frame(hours=3)
    if suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_csv(path)
    before = path.read_bytes()
    for read_only in (False, True):
        with (
            pytest.raises(WarehouseError, match=f"{path.name} is not a DuckDB warehouse"),
            warehouse.connect(path, read_only=read_only),
        ):
            pass
    assert path.read_bytes() == before


def test_a_folder_named_as_the_warehouse_is_refused(tmp_path: Path) -> None:
    """A folder is not a warehouse either: the message says so instead of DuckDB's trace."""
    with (
        pytest.raises(WarehouseError, match="is a folder"),
        warehouse.connect(tmp_path, read_only=True),
    ):
        pass


def test_a_writer_that_must_not_create_refuses_a_missing_warehouse(tmp_path: Path) -> None:
    """Steps that store results about data already there (triggers, drills) refuse a mistyped
    path instead of creating its folder and an empty warehouse."""
    path = tmp_path / "typo" / "w.duckdb"
    with (
        pytest.raises(WarehouseError, match=r"no warehouse at .*fleetcast ingest"),
        warehouse.connect(path, create=False),
    ):
        pass
    assert not path.parent.exists()


def test_second_writer_gets_a_clear_error_naming_the_pid(warehouse_path: Path) -> None:
    """While another process holds the file, opening it fails with that process's pid."""
    holder = child("hold", str(warehouse_path))
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseBusyError) as err, warehouse.connect(warehouse_path):
            pass
        assert f"in use by another fleetcast process (pid {holder.pid})" in str(err.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_store_waits_for_another_process_s_hold_instead_of_losing_its_work(
    warehouse_path: Path,
) -> None:
    """A `report` started during a drill made the drill fail at store time, its work thrown
    away: a store waits while another process holds the file, and opens once it lets go."""
    with warehouse.connect(warehouse_path):
        pass
    holder = child("hold", str(warehouse_path), "2")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with warehouse.connect(warehouse_path, create=False, wait=warehouse.STORE_WAIT) as wh:
            assert wh.schema_version() == MIGRATIONS[-1].version
        # It opened only once the holder let go, two seconds after saying so.
        assert time.monotonic() - started > 1.5
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow
def test_sigkill_at_any_point_then_rerun_leaves_the_clean_result(tmp_path: Path) -> None:
    """Killing ingest mid-run, then rerunning, gives the rows and checksum of one clean run."""
    files = []
    for i in range(6):
        path = tmp_path / f"t{i}.parquet"
        # Overlapping hours between files exercise the replace path under a crash too.
        start = datetime(2025, 1, 1, tzinfo=UTC).replace(day=1 + i)
        telemetry_frame(hours=24 * 30, customers=100, start=start, seed=i).write_parquet(path)
        files.append(str(path))
    clean = tmp_path / "clean.duckdb"
    with warehouse.connect(clean) as wh:
        for name in files:
            ingest.ingest_file(wh, Path(name))
        expected = (wh.count("telemetry"), wh.telemetry_checksum())

    # Kill points inside the run: after k files are done, a little into file k + 1 (its
    # validation, its transaction, or its commit), so every phase is hit across the cases.
    for k, delay in ((0, 0.0), (0, 0.05), (1, 0.02), (2, 0.08), (3, 0.15), (5, 0.01)):
        db = tmp_path / f"crash{k}-{delay}.duckdb"
        proc = child("ingest", str(db), *files)
        assert proc.stdout is not None
        for _ in range(k):
            proc.stdout.readline()
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rerun = child("ingest", str(db), *files)
        assert rerun.wait(timeout=120) == 0
        with warehouse.connect(db) as wh:
            assert (wh.count("telemetry"), wh.telemetry_checksum()) == expected, (
                f"killed at {k}+{delay}s"
            )
            assert wh.count("ingest_ledger") == len(files)


def test_a_signal_inside_a_query_stays_a_stop(warehouse_path: Path) -> None:
    """DuckDB turns what a signal handler raises inside a query into a RuntimeError ("Query
    interrupted"), which every `except Exception` took for a failed step (a SIGTERM in an
    ingest, and the pipeline forecast on); it leaves the warehouse as a KeyboardInterrupt."""

    def stop(signum: int, frame: FrameType | None) -> None:
        # Raised inside DuckDB only: raised in our own frames it would not pass through it.
        if frame is not None and "duckdb" in frame.f_code.co_filename:
            raise KeyboardInterrupt

    def long_query() -> None:
        with connect(warehouse_path) as wh:
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            # About 3 s on an idle machine: a signal DuckDB swallows as it starts a statement
            # (2 runs in 8 over range(10^11) here, which ran 613 s in CI) lets it run to its
            # end, and the attempt is made again. (The CLI raises a swallowed stop again until
            # it is caught: flows.stopping.)
            wh.query("SELECT count(*) FROM range(1000000000) t(x) WHERE x % 7 = 3")

    previous = signal.signal(signal.SIGALRM, stop)
    interrupted = 0
    try:
        for _ in range(3):
            try:
                long_query()
            except QueryInterrupted:
                interrupted += 1
                break
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert interrupted == 1
    with connect(warehouse_path) as wh:
        assert wh.schema_version() > 0


def test_events_file_replaces_its_own_events_only(wh: Warehouse) -> None:
    """Reloading a calendar replaces what it loaded before; another calendar's events stay."""

    def calendar(*days: date, event: str = "launch") -> pl.DataFrame:
        rows = [{"event": event, "date": d, "lower_window": 0, "upper_window": 7} for d in days]
        return pl.DataFrame(rows, schema=EVENTS_SCHEMA)

    assert wh.replace_events("a.csv", calendar(date(2026, 1, 1), date(2026, 2, 1))) == Reloaded()
    assert wh.replace_events("b.csv", calendar(date(2026, 12, 25), event="holiday")) == Reloaded()
    # a.csv corrected: its February launch moved to March; rerun, the same rows, unchanged.
    corrected = calendar(date(2026, 1, 1), date(2026, 3, 1))
    assert wh.replace_events("a.csv", corrected) == Reloaded(replaced=1, unchanged=1)
    assert wh.replace_events("a.csv", corrected) == Reloaded(replaced=0, unchanged=2)
    events = wh.events()
    assert events.schema == EVENTS_SCHEMA
    assert events["date"].to_list() == [date(2026, 1, 1), date(2026, 3, 1), date(2026, 12, 25)]
    assert wh.event_sources()["events"].to_list() == [2, 1]


def test_a_warehouse_in_a_folder_it_cannot_write_in_is_refused_in_one_line(
    warehouse_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only folder failed ingest, drill and report in 22-30-line traces (DuckDB's log,
    the staging folder): a writer is refused before any work, naming the folder; a reader is
    not."""
    with warehouse.connect(warehouse_path):
        pass
    writable = os.access

    def access(path: Any, mode: int) -> bool:
        return False if Path(path) == warehouse_path.parent else writable(path, mode)

    monkeypatch.setattr(warehouse.os, "access", access)
    with (
        pytest.raises(WarehouseError, match=r"cannot write in .*, the warehouse's folder"),
        warehouse.connect(warehouse_path),
    ):
        pass
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        assert wh.schema_version() == MIGRATIONS[-1].version


def test_a_duckdb_file_fleetcast_never_wrote_is_refused_by_readers(tmp_path: Path) -> None:
    """An empty DuckDB file (or another tool's) passed as the warehouse: `drill` and `status`
    died in "Catalog Error: Table with name forecast_runs does not exist". Readers, and
    writers that must not create a warehouse, now refuse it in one line; ingest still
    migrates it."""
    import duckdb

    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    for options in ({"read_only": True}, {"create": False}):
        with (
            pytest.raises(WarehouseError, match=r"no fleetcast warehouse .*fleetcast ingest"),
            warehouse.connect(path, **options),  # type: ignore[arg-type]
        ):
            pass
    with warehouse.connect(path) as wh:
        assert wh.schema_version() > 0
    with warehouse.connect(path, read_only=True) as wh:
        assert wh.latest_forecast_run() is None


def test_trigger_runs_stored_before_migration_40_read_as_construction_not_recorded(
    warehouse_path: Path,
) -> None:
    """The construction trigger was not stored with a trigger run. Migration 40 adds its table
    and the run's mark that it recorded them; a file of version 39 gets both, and a run stored
    before reads as not recorded (None), never as no construction, as it does on a read-only
    open before the migration reached the file (no catalog error)."""
    import duckdb

    with warehouse.connect(warehouse_path):
        pass
    con = duckdb.connect(str(warehouse_path))
    try:  # back to the shape of version 39, with one trigger run stored then
        con.execute("DROP TABLE construction_triggers")
        con.execute("ALTER TABLE trigger_runs DROP COLUMN construction_recorded")
        con.execute("DELETE FROM schema_migrations WHERE version >= 40")
        con.execute(
            "INSERT INTO trigger_runs (run_id, forecast_run_id, as_of, quantile, buffer_weeks, "
            "capacity_sha256, created_at) VALUES ('t1', 'f1', DATE '2026-12-05', 'q90', 4, "
            "'', now())"
        )
    finally:
        con.close()
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        assert wh.schema_version() == 39
        assert wh.construction_triggers("t1") is None
    with warehouse.connect(warehouse_path) as wh:
        assert wh.schema_version() == MIGRATIONS[-1].version >= 40
        assert wh.count("construction_triggers") == 0
        assert wh.construction_triggers("t1") is None


def test_forecast_runs_stored_before_migration_41_read_as_outages_not_recorded(
    warehouse_path: Path,
) -> None:
    """A forecast run did not keep the outage windows it applied (its calendar, its zero
    rule), so drills and reports reread the telemetry raw. Migration 41 adds the table that
    keeps them and the run's mark that it recorded them; a file of version 40 gets both, and a
    run stored before reads as not recorded (None), never as no outages, as it does on a
    read-only open before the migration reached the file (no catalog error)."""
    import duckdb

    with warehouse.connect(warehouse_path):
        pass
    con = duckdb.connect(str(warehouse_path))
    try:  # back to the shape of version 40, with one forecast run stored then
        con.execute("DROP TABLE forecast_outages")
        for column in ("months_refusal_recorded", "months_refused", "outages_recorded"):
            con.execute(f"ALTER TABLE forecast_runs DROP COLUMN {column}")
        con.execute("DELETE FROM schema_migrations WHERE version >= 41")
        con.execute(
            "INSERT INTO forecast_runs (run_id, as_of, created_at, horizon_days, series, "
            "reconciliation, seconds, settings, versions) VALUES ('f1', DATE '2026-12-05', "
            "now(), 7, 1, 'none', 1.0, '{}', '{}')"
        )
    finally:
        con.close()
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        assert wh.schema_version() == 40
        assert wh.outage_windows("f1") is None
        raw = wh.run_hourly_demand("f1")
    assert raw.outages_recorded is False and raw.hourly.is_empty()
    with warehouse.connect(warehouse_path) as wh:
        assert wh.schema_version() == MIGRATIONS[-1].version >= 41
        assert wh.count("forecast_outages") == 0
        assert wh.outage_windows("f1") is None


def test_forecast_runs_stored_before_migration_42_read_their_months_refusal_as_not_known(
    warehouse_path: Path,
) -> None:
    """A forecast run did not keep why its forecast refused monthly rows (it printed it), so a
    daily-only run of a 90-day fleet whose onboarding ramps leave two blocks was told to pass
    `--horizon-months`, which the forecast refused again. Migration 42 adds the words and the
    run's mark that it recorded them; a file of version 41 gets both, and a run stored before
    reads as not recorded, never as "not refused", as on a read-only open before the
    migration reached the file."""
    import duckdb

    with warehouse.connect(warehouse_path):
        pass
    con = duckdb.connect(str(warehouse_path))
    try:  # back to the shape of version 41, with one forecast run stored then
        for column in ("months_refusal_recorded", "months_refused"):
            con.execute(f"ALTER TABLE forecast_runs DROP COLUMN {column}")
        con.execute("DELETE FROM schema_migrations WHERE version >= 42")
        con.execute(
            "INSERT INTO forecast_runs (run_id, as_of, created_at, horizon_days, series, "
            "reconciliation, seconds, settings, versions, outages_recorded) VALUES ('f1', "
            "DATE '2026-12-05', now(), 7, 1, 'none', 1.0, '{}', '{}', true)"
        )
    finally:
        con.close()
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        assert wh.schema_version() == 41
        assert wh.months_refused("f1") == (False, None)
    with warehouse.connect(warehouse_path) as wh:
        assert wh.schema_version() == MIGRATIONS[-1].version >= 42
        assert wh.months_refused("f1") == (False, None)
        assert wh.forecast_runs().columns[-2:] == ["months_refused", "months_refusal_recorded"]


def test_a_run_s_hourly_demand_leaves_out_every_hour_its_windows_touch(
    wh: Warehouse, tmp_path: Path
) -> None:
    """Drills and reports read a forecast run's telemetry raw, a calendar outage's hours as
    demand. ``run_hourly_demand`` leaves out the rows of every hour one of the run's stored
    windows overlaps, as the forecast's reader marks them (end exclusive; a window from 05:30
    to 06:10 touches 05:00 and 06:00; a blank region is every region); another run's windows
    mask nothing of it."""
    from telemetry_files import write_csv

    from forecasting.schema import frame_schema
    from forecasting.traces.outages import APPLIED_OUTAGES_SCHEMA
    from forecasting.warehouse import RUN_TABLES

    rows = [
        f"2026-03-01T{h:02d}:00:00Z,{r},c1,inference,acme,H100,10,0"
        for h in range(12)
        for r in ("eu-west", "us-east")
    ]
    assert ingest.ingest_file(wh, write_csv(tmp_path / "d.csv", *rows)).status == "loaded"

    def store(run_id: str, windows: list[tuple[str | None, int, int, int, int]]) -> None:
        frames = {n: pl.DataFrame(schema=frame_schema(n)) for n in RUN_TABLES["forecast_runs"]}
        frames["forecast_outages"] = pl.DataFrame(
            [
                {
                    "region": region,
                    "start": datetime(2026, 3, 1, h0, m0, tzinfo=UTC),
                    "end": datetime(2026, 3, 1, h1, m1, tzinfo=UTC),
                    "source": "calendar",
                    "reason": None,
                }
                for region, h0, m0, h1, m1 in windows
            ],
            schema=APPLIED_OUTAGES_SCHEMA,
        )
        run = {
            "run_id": run_id,
            "as_of": date(2026, 3, 1),
            "created_at": datetime.now(UTC),
            "horizon_days": 7,
            "series": 1,
            "reconciliation": "none",
            "seconds": 1.0,
            "settings": "{}",
            "versions": "{}",
            "outages_recorded": True,
        }
        wh.save_run("forecast_runs", run, frames)

    store("f1", [("eu-west", 5, 30, 6, 10), (None, 9, 0, 10, 0)])
    store("f2", [("us-east", 0, 0, 12, 0)])
    read = wh.run_hourly_demand("f1")
    assert read.outages_recorded
    hours = {
        r: sorted(read.hourly.filter(pl.col("region") == r)["ts"].dt.hour().to_list())
        for r in ("eu-west", "us-east")
    }
    assert hours == {
        "eu-west": [0, 1, 2, 3, 4, 7, 8, 10, 11],
        "us-east": [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11],
    }
    assert wh.run_hourly_demand("f1").hourly.columns == wh.hourly_demand().columns


def test_triggers_stored_before_migration_44_get_their_vacant_pool_flag_from_notes(
    warehouse_path: Path,
) -> None:
    """A training pool with no training demand and no block hosting it read "no training
    demand measured in any region" on every page, the words of a lost feed, since only its note
    said its region plans no block that hosts training. The flag is a column since migration
    44; a file of version 43 gets it from the words its notes held then, only on rows flagged
    unmeasured."""
    import duckdb

    with warehouse.connect(warehouse_path):
        pass
    con = duckdb.connect(str(warehouse_path))
    try:  # back to the shape of version 43
        con.execute("ALTER TABLE triggers DROP COLUMN vacant_pool")
        con.execute("DELETE FROM schema_migrations WHERE version >= 44")
        day = date(2026, 12, 4)
        gap = "no training demand measured in any region"
        for region, pool, unmeasured, note in [
            ("r1", "training", True, f"{gap}, and r1 plans no block that hosts training: no ..."),
            ("r2", "training", True, f"{gap}: the telemetry holds no training row at all"),
            ("r2", "all", False, "quoting ' plans no block that hosts training: ' here"),
        ]:
            con.execute(
                "INSERT INTO triggers (run_id, region, pool, quantile, as_of, status, note, "
                "unmeasured_training) VALUES ('t1', ?, ?, 'q90', ?, 'green', ?, ?)",
                [region, pool, day, note, unmeasured],
            )
    finally:
        con.close()
    with warehouse.connect(warehouse_path) as wh:
        assert wh.schema_version() == MIGRATIONS[-1].version
        triggers = wh.run_frame("triggers", "t1").sort("region", "pool")
    assert triggers.select("region", "pool", "vacant_pool").rows() == [
        ("r1", "training", True),
        ("r2", "all", False),
        ("r2", "training", False),
    ]
