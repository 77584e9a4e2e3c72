"""A forecast run on the session's synthetic fleet with a contract book loaded, against one
without it: the signed ramp is in the stored paths and forecasts of its customer and region,
the pipeline deal's new customer has its own series, and a region without contracts is the
same to the bit."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from conftest import FleetFiles

from flows import cli
from flows.cli import main
from forecasting import runs, warehouse
from forecasting.options import ReportOptions
from forecasting.runs import ForecastRun

pytestmark = pytest.mark.slow

NORTHWIND = "total/us-east/inference/northwind-ai"
NEO = "total/us-east/training/neo-labs"


def test_a_signed_ramp_appears_in_demand_and_a_region_without_contracts_does_not_move(
    fleet: FleetFiles,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`fleetcast forecast` applies the stored book and says so; --no-contracts does not."""
    monkeypatch.setattr(cli.console, "width", 200)
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    with warehouse.connect(path, read_only=True) as wh:
        newest = wh.newest_telemetry()
    assert newest is not None
    as_of = newest.date()
    ramp, deal = as_of + timedelta(days=10), as_of + timedelta(days=5)
    book = tmp_path / "contracts.toml"
    book.write_text(
        f"""
[[contract]]
id = "northwind-2027"
customer = "northwind-ai"
workload_class = "inference"
region = "us-east"
ramp = [{{ date = {ramp}, gpus = 20000 }}]
term_end = {ramp + timedelta(days=365)}
status = "signed"

[[contract]]
id = "neo-training"
customer = "neo-labs"
workload_class = "training"
region = "us-east"
ramp = [{{ date = {deal}, gpus = 500 }}]
term_end = {deal + timedelta(days=365)}
status = "pipeline"
probability = 0.5
""",
        encoding="utf-8",
    )
    assert runs.load_contracts_file(book, path).loaded == 2
    args = ["forecast", "--warehouse", str(path), "--horizon", "28", "--paths", "40"]
    args += ["--models", "seasonal_naive,ets", "--cutoffs", "1", "--task-runner", "threads"]
    assert main([*args, "--no-contracts"]) == 0
    assert main(args) == 0
    printed = " ".join(capsys.readouterr().out.split())  # the title wraps
    assert "1 signed contract(s) and 1 pipeline deal(s) applied" in printed
    with warehouse.connect(path, read_only=True) as wh:
        # Newest first; the session's warehouse may hold runs of other tests before these.
        with_id, without_id = wh.forecast_runs()["run_id"].to_list()[:2]
        settings = {r["run_id"]: json.loads(r["settings"]) for r in wh.forecast_runs().to_dicts()}
        forecasts = {r: wh.run_frame("forecasts", r) for r in (without_id, with_id)}
        paths = wh.run_frame("forecast_paths", with_id)
        summary = wh.run_frame("forecast_summary", with_id)
        concentration = wh.run_frame("book_concentration", with_id)
        stored_months = wh.run_frame("forecast_months", with_id)
    assert settings[with_id]["contracts"] == {"signed": 1, "pipeline": 1}
    assert settings[without_id]["contracts"] == {"signed": 0, "pipeline": 0}
    held = pl.col("ds") >= ramp
    # The customer's paths and every quantile of both measures sit at or above the ramp.
    assert paths.filter((pl.col("unique_id") == NORTHWIND) & held)["y"].to_numpy().min() >= 20000
    mine = forecasts[with_id].filter((pl.col("unique_id") == NORTHWIND) & held)
    assert mine["q10"].to_numpy().min() >= 20000 - 1e-6 and set(mine["measure"]) == {"mean", "peak"}
    # Its region's q90 peak rises by the ramp less what northwind ran anyway (a few thousand).
    region = [
        f.filter((pl.col("unique_id") == "total/us-east") & (pl.col("measure") == "peak") & held)
        .sort("ds")["q90"]
        .to_numpy()
        for f in (forecasts[without_id], forecasts[with_id])
    ]
    assert (region[1] - region[0]).min() > 10_000
    # The pipeline deal's new customer: paths on about half of them, its own series.
    assert set(paths.filter((pl.col("unique_id") == NEO) & held)["y"].unique()) == {0.0, 500.0}
    assert summary.filter(pl.col("unique_id") == NEO)["model"].to_list() == ["contract-book"] * 2
    # The stored monthly rows: regions, classes and customers, not the total (the book wrote
    # it its lifts alone, inverted), and every row's quantiles in order.
    assert stored_months.height and stored_months.filter(pl.col("unique_id") == "total").is_empty()
    inverted = stored_months.filter(
        (pl.col("q10") > pl.col("q50"))
        | (pl.col("q50") > pl.col("q90"))
        | (pl.col("q90") > pl.col("q99"))
    )
    assert inverted.is_empty(), inverted.select("unique_id", "ds", "measure", "q10", "q50", "q90")
    # No contract in eu-west: every eu-west series is the same in both runs.
    eu = pl.col("unique_id").str.starts_with("total/eu-west")
    assert forecasts[with_id].filter(eu).height > 0
    assert (
        forecasts[with_id]
        .filter(eu)
        .sort("unique_id", "measure", "ds")
        .equals(forecasts[without_id].filter(eu).sort("unique_id", "measure", "ds"))
    )
    # Concentration measured both ways: the book raises the fleet's top-1 share.
    fleet_wide = concentration.filter(
        (pl.col("region") == "total") & (pl.col("workload_class") == "all")
    )
    last = fleet_wide["month"].max()
    top1 = {
        r["book"]: r["top1_share"] for r in fleet_wide.filter(pl.col("month") == last).to_dicts()
    }
    assert top1["with"] > top1["without"]
    # The published finance page shows the book this run applied.
    outcome = runs.report(path, fleet.capacity, tmp_path / "reports", ReportOptions())
    assert outcome.run_id == with_id
    finance = (outcome.path / "finance.html").read_text(encoding="utf-8")
    assert "applied 1 signed contract(s) and 1 pipeline deal(s)" in finance
    assert "northwind-2027" in finance and "neo-training" in finance
    # The book by month reaches the plan's end, not the 28 daily days: the signed term's last
    # month is there (it read one month of a year's contract).
    book_months = finance[finance.index("Signed and pipeline GPUs by month") :]
    book_months = book_months[: book_months.index("Contracts and deals")]
    assert (ramp + timedelta(days=364)).strftime("%Y-%m") in book_months


def _small_forecast(
    fleet: FleetFiles,
    tmp_path: Path,
    *,
    horizon_days: int,
    as_of: date | None = None,
    horizon_months: int = 0,
) -> tuple[Path, ForecastRun]:
    """A copy of the fleet's warehouse and a cheap forecast on it (daily only by default)."""
    from forecasting.options import ForecastOptions

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    options = ForecastOptions(
        horizon_days=horizon_days,
        horizon_months=horizon_months,
        n_paths=20,
        customers_per_class=3,
        models=("seasonal_naive", "drift"),
        as_of=as_of,
    )
    return path, runs.forecast(path, options)


def test_a_back_dated_report_reads_only_the_history_its_forecast_had(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """A forecast as of 20 days before the newest telemetry: its report read the later days as
    history too ("the top-1 customer's share moves from 32.5 % on 2026-12-04 to 29.3 % in the
    week of 2026-11-16", as of 2026-11-15; sweep48 F10). The report's history ends on the
    forecast's as-of day, as the forecast's did."""
    from forecasting.capacity import load_capacity

    with warehouse.connect(fleet.warehouse, read_only=True) as wh:
        newest = wh.newest_telemetry()
    assert newest is not None
    as_of = newest.date() - timedelta(days=20)
    path, _ = _small_forecast(fleet, tmp_path, horizon_days=7, as_of=as_of)
    plan = load_capacity(fleet.capacity)
    report_options = ReportOptions()
    triggers = runs.compute_triggers(path, fleet.capacity, plan, report_options)
    inputs = runs.report_inputs(path, plan, triggers, report_options)
    assert inputs.as_of == as_of
    assert inputs.history["ds"].max() == as_of
    history = inputs.concentration.filter(pl.col("source") == "history")
    assert (history["ds"] <= as_of).all()


def test_a_what_if_on_a_forecast_past_its_backtests_says_it_is_extrapolated(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """A deal weighed on a 200-day fleet's 182-day forecast, whose backtests scored 28 days
    ahead: the report opened with "Extrapolated: ... not verified" while the what-if's page
    and terminal gave its verdict, capex and MW as plain figures (a 120-day fleet's "$76.0M,
    3.5 MW"; sweep48 F14). Both now carry the run's line, saying what rests on it."""
    from flows.tables import whatif_lines
    from forecasting.options import WhatIfOptions

    path, run = _small_forecast(fleet, tmp_path, horizon_days=182)
    deal = WhatIfOptions(
        customer="newco",
        workload_class="inference",
        region="us-east",
        ramp=f"{run.as_of + timedelta(days=60)}:200",
    )
    outcome = runs.weigh_deal(path, fleet.capacity, tmp_path / "reports", deal)
    assert outcome.extrapolated.startswith("extrapolated: the daily forecast reaches 182 days")
    rests = "the deal's verdict, orders, capex, MW and revenue that rest on it"
    assert rests in outcome.extrapolated
    assert outcome.extrapolated in whatif_lines(outcome)
    assert "Extrapolated: the daily forecast reaches 182 days" in outcome.page.read_text()


def test_a_what_if_past_the_days_the_run_verifies_says_its_verdict_is_not_verified(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """On the demo, a deal ramping to 6,000 GPUs in Sep 2027 read "served from 2027-09-01"
    with no word that the report it was weighed on verifies no status past 2027-06-05 (its
    regions' demand passed q90 on 20 % of days 52 weeks out). A what-if whose daily rows are
    measured (no extrapolated line) but whose plan runs past the day the statuses are
    verified to now says so on its terminal lines and its page; a daily-only plan measured to
    its end says nothing."""
    from flows.tables import whatif_lines
    from forecasting.options import WhatIfOptions
    from forecasting.report.format import html_text

    path, run = _small_forecast(fleet, tmp_path, horizon_days=14, horizon_months=12)
    deal = WhatIfOptions(
        customer="newco",
        workload_class="inference",
        region="us-east",
        ramp=f"{run.as_of + timedelta(days=60)}:200",
    )
    outcome = runs.weigh_deal(path, fleet.capacity, tmp_path / "reports", deal)
    assert outcome.extrapolated == ""
    said = outcome.unverified
    assert said.startswith("not verified: the plan's statuses are verified to "), said
    assert (
        "; demand past that day, and the deal's verdict, orders, capex, MW and revenue that rest "
        "on it, are not verified"
    ) in said
    assert said in whatif_lines(outcome)
    page = outcome.page.read_text(encoding="utf-8")
    assert html_text(f"Not verified: {said.removeprefix('not verified: ')}.") in page
    (tmp_path / "daily").mkdir()
    daily, _ = _small_forecast(fleet, tmp_path / "daily", horizon_days=14)
    soon = deal.model_copy(update={"ramp": f"{run.as_of + timedelta(days=7)}:200"})
    plain = runs.weigh_deal(daily, fleet.capacity, tmp_path / "reports", soon)
    assert plain.unverified == "" and plain.extrapolated == ""


def test_a_trigger_run_stores_its_construction_rows_and_the_report_reads_them(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """The construction trigger ("start a new site by DATE") was computed at report time and
    not stored: "what changed" and `fleetcast status` could not say a start-by moved, and the
    report recomputed it from the current capacity plan even where the trigger run used
    another. The trigger run stores its rows (the same rows on a rerun), and the report reads
    those: a plan edited since (its [[new_site]] removed) does not change them."""
    from forecasting.capacity import load_capacity
    from forecasting.triggers import CONSTRUCTION_SCHEMA

    path, _ = _small_forecast(fleet, tmp_path, horizon_days=7)
    plan = load_capacity(fleet.capacity)
    assert plan.new_site, "the synthetic fleet declares a new site per region"
    options = ReportOptions()
    first = runs.compute_triggers(path, fleet.capacity, plan, options)
    again = runs.compute_triggers(path, fleet.capacity, plan, options)
    with warehouse.connect(path, read_only=True) as wh:
        stored = wh.construction_triggers(first.run_id)
        rerun = wh.construction_triggers(again.run_id)
    assert stored is not None and rerun is not None
    assert stored.schema == CONSTRUCTION_SCHEMA
    assert stored.height == len({s.region for s in plan.site})
    assert stored.sort("region").equals(rerun.sort("region"))
    assert stored["build_months"].is_not_null().all()
    edited = plan.model_copy(update={"new_site": ()})
    inputs = runs.report_inputs(path, edited, first, options)
    assert inputs.construction.sort("region").equals(stored.sort("region"))


def test_status_says_how_far_each_trigger_run_s_statuses_are_verified(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """`fleetcast status` counted the demo's "4 red, 0 amber, 2 green" beside a report whose
    greens read "green to 2027-06-05 only: not verified beyond": counts of statuses no
    backtest verified past that day read as plain as verified ones. Each trigger run now
    says how far its statuses are verified, the day the report and the what-if give, and why
    under the table; a daily-only plan measured to its end reads "the plan's end"."""
    import io

    from rich.console import Console

    from flows.status import warehouse_status_tables
    from forecasting.options import ReportOptions
    from forecasting.runs.drills import statuses_verified

    def rendered(path: Path) -> str:
        console = Console(record=True, width=250, file=io.StringIO())
        for view in warehouse_status_tables(path, limit=5):
            console.print(view)
        return " ".join(console.export_text().split())

    path, run = _small_forecast(fleet, tmp_path, horizon_days=14, horizon_months=12)
    runs.report(path, fleet.capacity, tmp_path / "reports", ReportOptions())
    with warehouse.connect(path, read_only=True) as wh:
        verified = statuses_verified(wh, run.run_id)
    assert verified is not None and verified.day < verified.plan_end
    text = rendered(path)
    assert f"│ {verified.day} only │" in text, text
    assert f"statuses verified to {verified.day} only ({verified.why}): a status past" in text
    (tmp_path / "daily").mkdir()
    daily, _ = _small_forecast(fleet, tmp_path / "daily", horizon_days=14)
    runs.report(daily, fleet.capacity, tmp_path / "daily" / "reports", ReportOptions())
    plain = rendered(daily)
    assert "│ the plan's end │" in plain and "statuses verified to" in plain
    assert "a status past that day" not in plain


def test_a_what_if_says_which_part_of_its_revenue_falls_past_the_verified_statuses(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """The demo's deal (200 GPUs from March 2027, 600 from September) read "revenue $46.3M to
    the plan's end", and only a line below said no status past 2027-06-05 is verified:
    $44.7M of it was earned on days whose service no backtest verified. The revenue now says
    how much of it falls after that day, on the terminal and the page."""
    from flows.tables import whatif_table
    from forecasting.capacity import load_capacity
    from forecasting.options import WhatIfOptions
    from forecasting.report.format import html_text

    path, run = _small_forecast(fleet, tmp_path, horizon_days=14, horizon_months=12)
    deal = WhatIfOptions(
        customer="newco",
        workload_class="inference",
        region="eu-west",
        ramp=f"{run.as_of + timedelta(days=7)}:20",
        until=run.as_of + timedelta(days=300),
    )
    outcome = runs.weigh_deal(path, fleet.capacity, tmp_path / "reports", deal)
    with warehouse.connect(path, read_only=True) as wh:
        verified = runs.drills.statuses_verified(wh, run.run_id)
    assert verified is not None and outcome.verified_to == verified.day
    assert outcome.serve_from == run.as_of + timedelta(days=7), outcome.serve_note
    price = load_capacity(fleet.capacity).policy["inference"].price_per_gpu_hour
    days_after = (run.as_of + timedelta(days=300) - verified.day).days
    assert outcome.revenue_unverified_usd == pytest.approx(20 * 24 * price * days_after)
    assert outcome.revenue_usd is not None and outcome.revenue_unverified_usd < outcome.revenue_usd
    said = (
        f"of it after {verified.day}, the last day the plan's statuses are verified: not verified"
    )
    assert said in " ".join(str(whatif_table(outcome).title).split())
    assert html_text(said) in outcome.page.read_text(encoding="utf-8")
