"""The outage windows a trace adapter finds at ingest: stored with the ingest (migration 43),
listed by every forecast run whose history they touch, never applied to demand twice."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from forecasting import ingest, warehouse
from forecasting.demand import demand_series
from forecasting.options import ForecastOptions
from forecasting.runs.forecasts import demand_read_for
from forecasting.schema import frame_schema
from forecasting.traces.outages import OUTAGE_FROM_ADAPTER, adapter_outages_text
from forecasting.warehouse import MIGRATIONS, RUN_TABLES, Warehouse

HELIOS = (
    Path(__file__).parent / "fixtures" / "traces" / "helios_earth_vc_minute_2020-05-12_slice.csv.gz"
)
# The fixture's collector outage as the adapter finds it: 06:01 to 08:01 UTC, both included.
START = datetime(2020, 5, 12, 6, 1, tzinfo=UTC)
END = datetime(2020, 5, 12, 8, 2, tzinfo=UTC)


def _ingest_helios(wh: Warehouse, folder: Path) -> Path:
    """The Helios fixture copied into ``folder`` and ingested; its resolved path."""
    path = folder / HELIOS.name
    shutil.copyfile(HELIOS, path)
    result = ingest.ingest_file(wh, path, file_format="helios")
    assert result.status == "loaded", result.message
    return path.resolve()


def _store_run(wh: Warehouse, run_id: str, windows: pl.DataFrame) -> None:
    """A forecast run whose only frame with rows is its applied outage windows."""
    frames = {n: pl.DataFrame(schema=frame_schema(n)) for n in RUN_TABLES["forecast_runs"]}
    frames["forecast_outages"] = windows
    run = {
        "run_id": run_id,
        "as_of": date(2020, 5, 12),
        "created_at": datetime.now(UTC),
        "horizon_days": 7,
        "series": 1,
        "reconciliation": "none",
        "seconds": 1.0,
        "settings": "{}",
        "versions": "{}",
        "outages_recorded": True,
        "adapter_outages_unknown": [],
    }
    wh.save_run("forecast_runs", run, frames)


def test_helios_ingest_stores_the_outage_window_it_dropped(wh: Warehouse, tmp_path: Path) -> None:
    """Ingest of the Helios fixture said "outage minutes dropped 121 in 1 windows" and kept
    nothing of it: no table held the window, so no run could say which hours it was. It is
    stored with its ingest, file, region, start, exclusive end and minutes, once: the same
    file again, or a copy of it, adds no row."""
    path = _ingest_helios(wh, tmp_path)
    stored = wh.adapter_outages()
    ingest_id = wh.ledger()["ingest_id"].item()
    assert stored.rows(named=True) == [
        {
            "ingest_id": ingest_id,
            "path": str(path),
            "adapter": "helios",
            "region": "helios",
            "start": START,
            "end": END,
            "minutes": 121,
        }
    ]
    assert wh.query("SELECT outages_recorded FROM ingest_ledger")["outages_recorded"].to_list() == [
        True
    ]
    assert ingest.ingest_file(wh, path, file_format="helios").status == "skipped"
    copy = tmp_path / "copy.csv.gz"
    shutil.copyfile(HELIOS, copy)
    assert ingest.ingest_file(wh, copy, file_format="helios").status == "skipped"
    assert wh.adapter_outages().height == 1
    assert wh.adapter_outages_unrecorded(formats=("helios",)).is_empty()


def test_a_forecast_run_lists_the_helios_window_without_changing_demand(
    warehouse_path: Path, tmp_path: Path
) -> None:
    """A Helios run's forecast_outages held no window of source "adapter", so its pages never
    said that 06:01-08:01 UTC was a collector outage. The run lists it (source adapter) and
    says it; its minutes are already absent from the telemetry, so the demand the forecast
    reads and the hours every later step reads (run_hourly_demand) are those read without it:
    masked again, hours 06:00 and 08:00 (means over their live minutes) were lost."""
    with warehouse.connect(warehouse_path) as wh:
        path = _ingest_helios(wh, tmp_path)
        raw = wh.hourly_demand()
    read = demand_read_for(warehouse_path, ForecastOptions())
    assert read.outages is not None
    adapter = read.outages.filter(pl.col("source") == OUTAGE_FROM_ADAPTER)
    assert adapter.select("region", "start", "end").rows() == [("helios", START, END)]
    assert str(path) in adapter["reason"].item()
    assert read.adapter_outages_unknown == ()
    assert_frame_equal(read.series, demand_series(raw))
    with warehouse.connect(warehouse_path) as wh:
        _store_run(wh, "f1", read.outages)
        again = wh.run_hourly_demand("f1")
    assert again.outages_recorded
    assert_frame_equal(again.hourly, raw.sort("ts", "region", "workload_class", "customer"))
    assert sorted(set(raw["ts"].dt.hour().to_list())) == sorted(
        set(again.hourly["ts"].dt.hour().to_list())
    )
    assert 6 in raw["ts"].dt.hour().to_list() and 8 in raw["ts"].dt.hour().to_list()
    text = adapter_outages_text(read.outages, unknown=(), traced=True)
    assert "helios 2020-05-12 06:01 to 2020-05-12 08:02 UTC (121 minutes)" in text


def test_files_ingested_before_migration_43_read_not_known(
    warehouse_path: Path, tmp_path: Path
) -> None:
    """A warehouse whose Helios file was ingested before migration 43 kept no window: a run
    over it must not read "no adapter outages". It migrates cleanly, its ingest reads as not
    recorded (on a read-only open before the migration too), and the run says the windows
    are not known for files ingested before migration 43, naming the file."""
    with warehouse.connect(warehouse_path) as wh:
        path = _ingest_helios(wh, tmp_path)
    con = duckdb.connect(str(warehouse_path))
    try:  # back to the shape before migration 43, the file ingested then
        con.execute("DROP TABLE ingest_outages")
        con.execute("ALTER TABLE ingest_ledger DROP COLUMN outages_recorded")
        con.execute("ALTER TABLE forecast_runs DROP COLUMN adapter_outages_unknown")
        con.execute("DELETE FROM schema_migrations WHERE version >= 43")
    finally:
        con.close()
    with warehouse.connect(warehouse_path, read_only=True) as wh:
        assert wh.schema_version() < 43
        assert wh.adapter_outages().is_empty()
        assert wh.adapter_outages_unrecorded(formats=("helios",))["path"].to_list() == [str(path)]
        assert wh.adapter_outages_unknown("f0") is None
        assert wh.ledger().height == 1  # the ledger reads without the new column
    with warehouse.connect(warehouse_path) as wh:
        assert wh.schema_version() == MIGRATIONS[-1].version >= 43
        assert wh.adapter_outages().is_empty()
        assert wh.adapter_outages_unrecorded(formats=("helios",))["path"].to_list() == [str(path)]
    read = demand_read_for(warehouse_path, ForecastOptions())
    assert read.adapter_outages_unknown == (str(path),)
    assert read.outages is not None
    assert read.outages.filter(pl.col("source") == OUTAGE_FROM_ADAPTER).is_empty()
    text = adapter_outages_text(read.outages, unknown=read.adapter_outages_unknown, traced=True)
    assert text == (
        f"adapter outage windows not known for files ingested before migration 43 ({path})"
    )
    assert "no outage window" not in text
    assert adapter_outages_text(None, unknown=None, traced=True) == (
        "adapter outage windows not known for runs stored before migration 43"
    )


def test_every_page_of_a_helios_report_says_the_adapter_window() -> None:
    """The pages of a Helios run said nothing of the collector outage its adapter dropped:
    every page says the windows the run lists (or that they are not known), and a fleet of
    plain telemetry files, with none, says nothing."""
    from dataclasses import replace

    from test_report import html_text, sample_inputs

    from forecasting.report.pages import finance_page, platform_page, run_index_page
    from forecasting.traces.outages import APPLIED_OUTAGES_SCHEMA

    windows = pl.DataFrame(
        [{"region": "helios", "start": START, "end": END, "source": "adapter", "reason": "x"}],
        schema=APPLIED_OUTAGES_SCHEMA,
    )
    said = adapter_outages_text(windows, unknown=(), traced=True)
    inputs = replace(sample_inputs(), adapter_outages=said)
    for page in (finance_page(inputs), run_index_page(inputs), platform_page(inputs)):
        assert html_text("Outages: 1 outage window(s) the trace adapters found at ingest") in page
        assert html_text("helios 2020-05-12 06:01 to 2020-05-12 08:02 UTC (121 minutes)") in page
    assert "Outages:" not in platform_page(sample_inputs())
    assert adapter_outages_text(None, unknown=None, traced=False) == ""


def test_ingesting_a_file_of_before_migration_43_again_records_its_windows(
    warehouse_path: Path, tmp_path: Path
) -> None:
    """A run over a Helios file ingested before migration 43 says its windows are not known,
    and ingesting the file again only said "already ingested": it left them not known for
    good. The rerun is still skipped (its rows stay), but it records the windows the adapter
    finds in it; a further rerun adds no row."""
    with warehouse.connect(warehouse_path) as wh:
        path = _ingest_helios(wh, tmp_path)
    con = duckdb.connect(str(warehouse_path))
    try:  # the ingest as one before migration 43 left it
        con.execute("DELETE FROM ingest_outages")
        con.execute("UPDATE ingest_ledger SET outages_recorded = NULL")
    finally:
        con.close()
    assert demand_read_for(warehouse_path, ForecastOptions()).adapter_outages_unknown == (
        str(path),
    )
    with warehouse.connect(warehouse_path) as wh:
        again = ingest.ingest_file(wh, path, file_format="helios")
        assert again.status == "skipped"
        assert "recorded the 1 outage window(s) its helios adapter found" in (again.message or "")
        assert ingest.ingest_file(wh, path, file_format="helios").message.count("recorded") == 0
        stored = wh.adapter_outages()
    assert stored.select("path", "region", "start", "end", "minutes").rows() == [
        (str(path), "helios", START, END, 121)
    ]
    read = demand_read_for(warehouse_path, ForecastOptions())
    assert read.adapter_outages_unknown == ()
    assert read.outages is not None
    assert read.outages.filter(pl.col("source") == OUTAGE_FROM_ADAPTER).height == 1


def test_a_trace_whose_adapter_has_no_outage_test_reads_neither_none_found_nor_unknown(
    warehouse_path: Path,
) -> None:
    """ServeGen's adapter looks for no outage: "no outage window found" would read as a test
    it passed, and "not known" for its files ingested before migration 43 as a test it
    skipped. Its runs say nothing of adapter windows."""
    servegen = HELIOS.parent / "servegen_client_rates_10min_slice.csv"
    with warehouse.connect(warehouse_path) as wh:
        assert ingest.ingest_file(wh, servegen, file_format="servegen").status == "loaded"
        assert wh.adapter_outages().is_empty()
    con = duckdb.connect(str(warehouse_path))
    try:  # as an ingest before migration 43 left it
        con.execute("UPDATE ingest_ledger SET outages_recorded = NULL")
    finally:
        con.close()
    read = demand_read_for(warehouse_path, ForecastOptions())
    assert read.adapter_outages_unknown == ()
    with warehouse.connect(warehouse_path) as wh:
        assert (
            ingest.ingest_file(wh, servegen, file_format="servegen").message.count("recorded") == 0
        )
