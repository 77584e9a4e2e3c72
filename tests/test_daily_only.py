"""A forecast run with no monthly rows says why, as it stored it, on every surface: the
`forecast` output, `fleetcast status`, the pages and a deal's refusal; and a run whose
adapter outage windows are not known says so in `fleetcast report`'s warnings as on its
pages."""

from __future__ import annotations

import io
import re
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from forecasting import ingest, runs, synth, warehouse
from forecasting.options import ForecastOptions, ReportOptions, WhatIfOptions
from forecasting.report.format import html_text
from forecasting.runs import ForecastRun
from forecasting.triggers import daily_only_words


class _Fleet:
    """A 45-day synthetic fleet (too young for monthly rows), ingested: its warehouse and
    capacity plan."""

    def __init__(self, folder: Path) -> None:
        written = synth.write_fleet(synth.synthetic_fleet(days=45, customers=12, seed=3), folder)
        self.warehouse = folder / "warehouse.duckdb"
        self.capacity = folder / "capacity.toml"
        with warehouse.connect(self.warehouse) as wh:
            for file in written:
                if file.parent.name == "telemetry":
                    assert ingest.ingest_file(wh, file).status == "loaded"


@pytest.fixture(scope="module")
def young(tmp_path_factory: pytest.TempPathFactory) -> _Fleet:
    return _Fleet(tmp_path_factory.mktemp("young"))


def _forecast(fleet: _Fleet, folder: Path, *, horizon_months: int) -> tuple[Path, ForecastRun]:
    """A copy of the fleet's warehouse and a cheap 14-day forecast on it."""
    path = folder / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    options = ForecastOptions(
        horizon_days=14,
        horizon_months=horizon_months,
        n_paths=20,
        customers_per_class=3,
        models=("seasonal_naive", "drift"),
    )
    return path, runs.forecast(path, options)


def _folded(text: str) -> str:
    """Text with its table frames dropped and its whitespace folded, as a reader reads it."""
    return " ".join(re.sub(r"[│┃]", " ", text).split())


def _forecast_text(run: ForecastRun) -> str:
    from flows.tables import forecast_tables

    console = Console(record=True, width=400, file=io.StringIO())
    for table in forecast_tables(run):
        console.print(table)
    return _folded(console.export_text())


def _status_text(path: Path) -> str:
    from flows.status import warehouse_status_tables

    console = Console(record=True, width=400, file=io.StringIO())
    for view in warehouse_status_tables(path, limit=5):
        console.print(view)
    return _folded(console.export_text())


def _page_text(page: Path) -> str:
    """A published page's text, tags dropped and whitespace folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")).split())


def test_a_daily_only_run_of_a_young_fleet_says_why_on_forecast_status_and_pages(
    young: _Fleet, tmp_path: Path
) -> None:
    """`forecast --horizon-months 0` on a 45-day fleet stored why a plan past the daily days
    would be refused (its series too young), but `fleetcast forecast` printed no plan
    horizon at all, `fleetcast status` read "14 d" alone, the platform page guessed "too
    little history for a 26-week backtest (or a daily-only run)" and finance said nothing
    is planned past the daily days without why: a reader saw no 36-month plan and no reason.
    Each now says the stored reason, in the same words."""
    path, run = _forecast(young, tmp_path, horizon_months=0)
    with warehouse.connect(path, read_only=True) as wh:
        recorded, why = wh.months_refused(run.run_id)
    assert recorded and why, "a 45-day fleet is too young for monthly rows"
    assert why in run.daily_only
    assert run.daily_only.startswith("no monthly rows past the daily days: the forecast refuses")
    printed = _forecast_text(run)
    assert "plan horizon: the daily days only" in printed and run.daily_only in printed, printed
    status = _status_text(path)
    assert "14 d only (why: below)" in status, status
    assert f"{run.run_id}: {run.daily_only}" in status, status
    runs.report(path, young.capacity, tmp_path / "reports", ReportOptions())
    latest = tmp_path / "reports" / "latest"
    said = " ".join(html_text(run.daily_only).split())
    assert f"not backtested: {said}" in _page_text(latest / "platform.html")
    finance = _page_text(latest / "finance.html")
    assert f"nothing is planned past them ({said}), so a green" in finance


def test_a_deal_past_a_daily_only_plan_says_the_reason_the_run_stored(
    young: _Fleet, tmp_path: Path
) -> None:
    """A deal ramping after a daily-only plan's end was refused with "this forecast has no
    monthly rows: its history was too short for them, or it was made with --horizon-months
    0" where the run had stored which: it says the stored reason, and on a fleet whose
    history gives monthly rows, that the run was made without them."""
    from forecasting.whatif import DealError

    path, run = _forecast(young, tmp_path, horizon_months=0)
    deal = WhatIfOptions(
        customer="newco",
        workload_class="inference",
        region="us-east",
        ramp=f"{run.as_of + timedelta(days=400)}:200",
    )
    with pytest.raises(DealError) as refused:
        runs.weigh_deal(path, young.capacity, tmp_path / "reports", deal)
    message = str(refused.value)
    assert f"this forecast has {run.daily_only};" in message, message
    assert "or it was made with --horizon-months 0" not in message
    # A run made daily-only on purpose, its history giving monthly rows (stored: no refusal).
    con = duckdb.connect(str(path))
    try:
        con.execute("UPDATE forecast_runs SET months_refused = NULL WHERE run_id = ?", [run.run_id])
    finally:
        con.close()
    with pytest.raises(DealError) as made:
        runs.weigh_deal(path, young.capacity, tmp_path / "reports", deal)
    assert f"this forecast has {daily_only_words(None)};" in str(made.value)
    assert "`--horizon-months 0`" in str(made.value)


def test_report_warns_that_adapter_outage_windows_are_not_known_as_its_pages_do(
    young: _Fleet, tmp_path: Path
) -> None:
    """A run over a trace file ingested before migration 43 read "Outages: adapter outage
    windows not known for files ingested before migration 43 (...)" on every page, while
    `fleetcast report`'s warnings (and its summary) said nothing of it. One rule gives the
    words, and the warnings say them as the pages' banner does."""
    from forecasting.capacity import load_capacity
    from forecasting.runs.reports import report_warnings

    path, run = _forecast(young, tmp_path, horizon_months=0)
    plan = load_capacity(young.capacity)
    options = ReportOptions()
    triggers = runs.compute_triggers(path, young.capacity, plan, options)
    inputs = runs.report_inputs(path, plan, triggers, options)
    assert not any("adapter outage" in w for w in report_warnings(inputs))
    trace = "/traces/helios_earth_vc_minute.csv.gz"
    con = duckdb.connect(str(path))
    try:  # the run read a Helios file ingested before migration 43
        con.execute(
            "UPDATE forecast_runs SET adapter_outages_unknown = [?] WHERE run_id = ?",
            [trace, run.run_id],
        )
    finally:
        con.close()
    inputs = runs.report_inputs(path, plan, triggers, options)
    words = f"adapter outage windows not known for files ingested before migration 43 ({trace})"
    assert f"warning: {words}" in report_warnings(inputs), report_warnings(inputs)
    assert words in inputs.adapter_outages
