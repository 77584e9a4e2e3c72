"""The drill flow: drills on a stored forecast run, stored with the run they used."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from conftest import FleetFiles
from prefect.task_runners import ThreadPoolTaskRunner

from flows.drill import AdhocDrill, DrillOptions, drill_flow, drill_scenarios
from flows.forecast import ForecastOptions, forecast_flow
from forecasting import warehouse
from forecasting.drills import ScenarioError
from forecasting.schema import VERDICTS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def forecast_run(fleet: FleetFiles) -> str:
    """A short forecast run of the session fleet."""
    options = ForecastOptions(horizon_days=28, n_paths=30, customers_per_class=3)
    flow = forecast_flow.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    return flow(fleet.warehouse, options).run_id


def test_ready_made_drill_is_stored_with_its_forecast_run(
    fleet: FleetFiles, forecast_run: str
) -> None:
    """A ready-made drill stores verdicts per class, KPIs and blocks under its forecast run."""
    options = DrillOptions(drills=("inference-2x",), forecast_run_id=forecast_run, answers="none")
    (outcome,) = drill_flow(fleet.warehouse, fleet.capacity, options).played
    assert outcome.drill == "inference-2x" and outcome.target == "class:inference"
    with warehouse.connect(fleet.warehouse, read_only=True) as wh:
        runs = wh.drill_runs(forecast_run_id=forecast_run)
        verdicts = wh.run_frame("drill_verdicts", outcome.run_id)
        kpis = wh.run_frame("drill_kpis", outcome.run_id)
        blocks = wh.run_frame("drill_blocks", outcome.run_id)
    assert outcome.run_id in runs.get_column("run_id").to_list()
    assert set(verdicts.get_column("workload_class")) == {
        "training",
        "inference",
        "evaluation",
        "batch",
        "experimentation",
    }
    assert verdicts.get_column("passed").all() == outcome.passed
    assert "revenue_at_risk_usd" in set(kpis.get_column("kpi"))
    assert blocks.height > 0 and blocks.get_column("utilisation_mean").is_between(0, 1).all()


def test_drill_is_stored_next_to_its_baseline(fleet: FleetFiles, forecast_run: str) -> None:
    """The run row carries the verdict against the baseline and time to absorb (a number,
    censored, or short until the shock ended, as the region loss is here: never two); KPI
    changes, rungs and the baseline's curves are stored with it."""
    options = DrillOptions(drills=("region-loss",), forecast_run_id=forecast_run, answers="none")
    (outcome,) = drill_flow(fleet.warehouse, fleet.capacity, options).played
    with warehouse.connect(fleet.warehouse, read_only=True) as wh:
        run = wh.drill_runs().filter(pl.col("run_id") == outcome.run_id).row(0, named=True)
        changes = wh.run_frame("drill_kpi_changes", outcome.run_id)
        rungs = wh.run_frame("drill_rungs", outcome.run_id)
        curves = wh.run_frame("drill_variant_curves", outcome.run_id)
    assert run["verdict"] in VERDICTS
    assert run["verdict"] == outcome.verdict
    unmeasured = run["absorb_censored"] or run["short_until_shock_end_hours"] is not None
    assert (run["time_to_absorb_hours"] is None) == unmeasured
    assert not (run["absorb_censored"] and run["short_until_shock_end_hours"] is not None)
    assert run["failover_share"] is not None and 0.0 <= run["failover_share"] <= 1.0
    unmet = changes.filter(
        (pl.col("workload_class") == "all") & (pl.col("kpi") == "unmet_gpu_hours")
    )
    row = unmet.row(0, named=True)
    assert row["increment_mean"] == pytest.approx(row["shocked_mean"] - row["baseline_mean"])
    assert {"preempt", "defer"} <= set(rungs.get_column("rung"))
    # The synthetic plan keeps a response ladder, so the ladder variant is played and stored too.
    assert set(curves.get_column("variant")) == {"baseline", "ladder"}


def test_adhoc_drill_with_more_paths_than_stored_redraws_whole_paths(
    fleet: FleetFiles, forecast_run: str
) -> None:
    """Asking for more paths than the forecast kept redraws stored paths, seeded."""
    adhoc = AdhocDrill(target="region:us-east", multiplier=1.5, shape="ramp:2w")
    options = DrillOptions(adhoc=adhoc, forecast_run_id=forecast_run, paths=45, answers="none")
    (outcome,) = drill_flow(fleet.warehouse, fleet.capacity, options).played
    with warehouse.connect(fleet.warehouse, read_only=True) as wh:
        run = wh.drill_runs().filter(pl.col("run_id") == outcome.run_id).row(0, named=True)
    assert run["paths"] == 45 and run["shape"] == "ramp:2w" and run["multiplier"] == 1.5


def test_unknown_drill_name_lists_the_known_ones() -> None:
    """A drill name not among the ready-made drills fails before any work, listing what exists."""
    with pytest.raises(ScenarioError, match="known: all-2x"):
        drill_scenarios(DrillOptions(drills=("nope",)))


def test_a_drill_stored_with_figures_that_are_not_finite_reads_not_measured(
    fleet: FleetFiles, forecast_run: str
) -> None:
    """A drill file's `multiplier = inf` (refused since) stored NaN KPIs, and every `report`
    of its forecast run then crashed in the finance page: such a run is left out of the
    figures and named as not measured, never as measured or played on another plan."""
    from forecasting.runs.reports import _drill_frames

    def played(name: str) -> str:
        """The run id of a 1.5x drill of everything named ``name``, played and stored."""
        adhoc = AdhocDrill(name=name, target="all", multiplier=1.5)
        options = DrillOptions(adhoc=adhoc, forecast_run_id=forecast_run, answers="none")
        (outcome,) = drill_flow(fleet.warehouse, fleet.capacity, options).played
        return outcome.run_id

    run_id = played("infinite")
    with warehouse.connect(fleet.warehouse) as wh:
        wh._con.execute("UPDATE drill_runs SET multiplier = 'inf' WHERE run_id = ?", [run_id])
        wh._con.execute(
            "UPDATE drill_kpis SET mean = 'NaN', p50 = 'NaN' WHERE run_id = ?", [run_id]
        )
        sha = wh.drill_runs().filter(pl.col("run_id") == run_id)["capacity_sha256"][0]
        frames = _drill_frames(wh, forecast_run, plan_sha256=sha)
    assert "infinite" not in frames["drill_kpis"].get_column("drill").to_list()
    assert "infinite" not in frames["drills_other_plan"]
    reason = dict(frames["drills_not_played"].select("drill", "reason").iter_rows())["infinite"]
    assert reason.startswith("not measured: played with multiplier inf")
    # `multiplier = 1e12` (refused since too) printed revenue at risk of $294e18: left out.
    run_id = played("typo")
    with warehouse.connect(fleet.warehouse) as wh:
        wh._con.execute("UPDATE drill_runs SET multiplier = 1e12 WHERE run_id = ?", [run_id])
        frames = _drill_frames(wh, forecast_run, plan_sha256=sha)
    assert "typo" not in frames["drill_kpis"].get_column("drill").to_list()
    reason = dict(frames["drills_not_played"].select("drill", "reason").iter_rows())["typo"]
    assert reason.startswith("not measured: played with multiplier 1e+12, above the plausible")


def test_a_drill_not_played_under_the_flow_names_the_flag_typed(
    fleet: FleetFiles, forecast_run: str, tmp_path: Path
) -> None:
    """`FLEETCAST_TRACK=1 fleetcast drill --lose nosuch` logged "drill lose-nosuch not played:
    field lose.0.block: no block 'nosuch' ...", where the same command without Prefect says
    "--lose nosuch: ...": the flow's warning, the one line the terminal shows, names the flag
    and the value typed too."""
    copy = tmp_path / "w.duckdb"
    shutil.copy(fleet.warehouse, copy)
    code = "import sys; from flows.cli import main; sys.exit(main())"
    where = ["--warehouse", str(copy), "--capacity", str(fleet.capacity)]
    args = ["drill", "--lose", "nosuch", "--paths", "5", "--answers", "none"]
    result = subprocess.run(
        [sys.executable, "-c", code, *where, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "FLEETCAST_TRACK": "1", "COLUMNS": "250"},
    )
    assert result.returncode == 1, result.stderr
    said = " ".join(result.stderr.split())
    assert "Flow run" in said, said  # the flow ran and its log is what the terminal shows
    assert (
        "drill lose-nosuch not played: --lose nosuch: no block 'nosuch' in the capacity plan"
        in said
    ), said
    assert "field " not in said, said
