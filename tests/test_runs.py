"""forecasting.runs: run ids, the newest forecast run or a clear error, drill outcomes, and
trigger runs with their own id that point at their forecast run."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from conftest import FleetFiles
from polars.testing import assert_frame_equal

from forecasting import ingest, runs, synth, warehouse
from forecasting.digest import fleetcast_version
from forecasting.options import DrillOptions, ForecastOptions, ReportOptions
from forecasting.runs import forecasts

RUN_ID = re.compile(r"^(?P<kind>[A-Za-z0-9._-]+)-(?P<when>\d{14})-(?P<hex>[0-9a-f]{6})$")


def test_run_ids_have_one_format_for_every_kind() -> None:
    """`<kind>-<UTC yyyymmddHHMMSS>-<6 hex>`; odd characters of a drill name become dashes."""
    ids = [runs.new_run_id(kind) for kind in ("forecast", "triggers", "inference-2x", "a b/c")]
    kinds = [m.group("kind") for m in map(RUN_ID.match, ids) if m]
    assert kinds == ["forecast", "triggers", "inference-2x", "a-b-c"]
    assert len({runs.new_run_id("forecast") for _ in range(50)}) == 50


def test_no_forecast_run_is_a_clear_error(wh: warehouse.Warehouse) -> None:
    """An empty warehouse says which command to run; an unknown id is named."""
    with pytest.raises(runs.RunNotFoundError, match="run `fleetcast forecast` first"):
        runs.forecast_run(wh)
    with pytest.raises(runs.RunNotFoundError, match="no forecast run 'nope'"):
        runs.forecast_run(wh, "nope")


def _sample(paths: int) -> pl.DataFrame:
    """Stored sample paths: two series, three days, path i has the value 10*i + day."""
    return pl.DataFrame(
        [
            {"unique_id": uid, "sample_id": i, "ds": day, "y": float(10 * i + day)}
            for uid in ("a", "b")
            for i in range(paths)
            for day in range(3)
        ],
        schema={"unique_id": pl.String, "sample_id": pl.Int32, "ds": pl.Int64, "y": pl.Float64},
    )


def test_accuracy_pools_the_series_a_backtest_scored() -> None:
    """A customer on a fallback (never backtested: NaN scores) neither blanks its level's
    coverage nor counts in its median MASE; the level still counts it as a series."""
    nan = float("nan")
    summary = pl.DataFrame(
        {
            "unique_id": [f"total/us-east/inference/c{i}" for i in range(3)],
            "measure": ["mean"] * 3,
            "mase": [0.8, 1.0, nan],
            "mase_seasonal_naive": [1.0, 1.2, nan],
            "coverage_80": [0.75, 0.85, nan],
        }
    )
    (row,) = forecasts._accuracy(summary)
    assert row["level"] == "customer" and row["series"] == 3
    assert row["mase"] == pytest.approx(0.9) and row["mase_seasonal_naive"] == pytest.approx(1.1)
    assert row["coverage_80"] == pytest.approx(0.8)


def test_resampled_paths_keep_whole_paths() -> None:
    """Fewer paths keep the first ones; more redraw whole stored paths, seeded."""
    sample = _sample(4)
    assert runs.resampled_paths(sample, None, 0).equals(sample)
    assert runs.resampled_paths(sample, 2, 0).get_column("sample_id").unique().to_list() == [0, 1]
    more = runs.resampled_paths(sample, 9, seed=7)
    assert more.get_column("sample_id").n_unique() == 9
    # every drawn path is one stored path across both series and all days
    source = (
        more.with_columns((pl.col("y") - pl.col("ds")).alias("stored"))
        .group_by("sample_id")
        .agg(pl.col("stored").n_unique())
    )
    assert source.get_column("stored").max() == 1
    assert runs.resampled_paths(sample, 9, seed=7).sort(pl.all()).equals(more.sort(pl.all()))


def test_drill_outcome_names_the_blocks_needed() -> None:
    """The outcome's blocks read `N x block in region`, failing classes from the verdicts."""
    additions = pl.DataFrame(
        {"count": [2, 1], "candidate": ["pod-h100", "pod-b200"], "region": ["eu", "us"]}
    )
    verdicts = pl.DataFrame({"workload_class": ["training", "batch"], "passed": [False, True]})
    kpis = pl.DataFrame({"workload_class": ["all", "batch"], "kpi": ["x", "y"]})
    run = {
        "drill": "d",
        "target": "all",
        "passed": False,
        "breaking_multiplier": 1.5,
        "breaking_note": None,
        "capex_needed_usd": 3e6,
    }
    outcome = runs.drill_outcome(
        run_id="d-1", run=run, verdicts=verdicts, kpis=kpis, additions=additions
    )
    assert outcome.blocks_needed == "2 x pod-h100 in eu; 1 x pod-b200 in us"
    assert outcome.failing_classes == ["training"]
    assert outcome.kpis == [{"workload_class": "all", "kpi": "x"}]
    empty = runs.drill_outcome(
        run_id="d-2", run=run, verdicts=verdicts, kpis=kpis, additions=additions.clear()
    )
    assert empty.blocks_needed is None


def test_drill_outcome_reads_the_search_answer_and_the_cut_from_fields_not_note_words() -> None:
    """A drill's blocks-to-pass answer and how far a shock the horizon cut short got were
    rebuilt from its notes' prefixes: a reworded prefix dropped them from the terminal. They
    are the run's ``blocks_notes`` (first: the one-line answer) and ``shock_cut`` fields; notes
    that merely carry the old words are not read for them."""
    verdicts = pl.DataFrame({"workload_class": ["all"], "passed": [False]})
    kpis = pl.DataFrame({"workload_class": ["all"], "kpi": ["x"]})
    run = {"drill": "d", "target": "all", "passed": False, "breaking_multiplier": None,
           "breaking_note": None, "capex_needed_usd": None}  # fmt: skip
    typed = runs.drill_outcome(
        run_id="d-1",
        run=run | {
            "notes": ["the blocks search, reworded", "ramp stopped by the forecast's end"],
            "blocks_notes": ["no set of up to 4 blocks passes", "12 simulation runs"],
            "shock_cut": "ramp stopped at 1.67x of 2x by the forecast's end",
        },
        verdicts=verdicts, kpis=kpis, additions=pl.DataFrame(),
    )  # fmt: skip
    assert typed.blocks_note == "no set of up to 4 blocks passes"
    assert typed.shock_cut == "ramp stopped at 1.67x of 2x by the forecast's end"
    words = runs.drill_outcome(
        run_id="d-2",
        run=run | {"notes": ["blocks to pass: a set", "the shock reaches 1.5x of its 2x"],
                   "blocks_notes": None, "shock_cut": None},
        verdicts=verdicts, kpis=kpis, additions=pl.DataFrame(),
    )  # fmt: skip
    assert (words.blocks_note, words.shock_cut) == (None, None)


def test_the_report_reads_a_drills_search_answer_from_its_field(wh: warehouse.Warehouse) -> None:
    """The platform page's "blocks to pass" cell and its drill notes split the stored notes by
    the prefix "blocks to pass: ": the answer is the run's ``blocks_notes`` field now, and
    every stored note is the drill's own."""
    from forecasting.runs.reports import _drill_frames
    from forecasting.schema import frame_schema

    run_id = runs.new_run_id("all-2x")
    run = {
        "run_id": run_id, "forecast_run_id": "f-1", "drill": "all-2x", "description": "",
        "target": "all", "multiplier": 2.0, "shape": "step",
        "shock_start": datetime(2026, 12, 5).date(), "horizon_end": datetime(2027, 1, 1).date(),
        "paths": 5, "seed": 1, "passed": False, "first_to_saturate": [], "seconds": 1.0,
        "created_at": datetime.now(UTC), "capacity_sha256": "abc",
        "notes": ["blocks to pass: read as the drill's own note now", "no pool ran full"],
        "blocks_notes": ["no set of up to 4 blocks passes", "3 simulation runs"],
    }  # fmt: skip
    frames = {
        name: pl.DataFrame(schema=frame_schema(name)) for name in warehouse.RUN_TABLES["drill_runs"]
    }
    wh.save_run("drill_runs", run, frames)
    answers = _drill_frames(wh, "f-1", plan_sha256="abc")["drill_answers"]
    assert answers.select("blocks_note", "drill_notes").row(0) == (
        "no set of up to 4 blocks passes",
        "blocks to pass: read as the drill's own note now; no pool ran full",
    )


def test_a_drill_stored_with_a_nan_time_to_absorb_where_it_fails_unshocked_is_shown(
    wh: warehouse.Warehouse,
) -> None:
    """A drill whose plan fails unshocked in every hour stored its time to absorb as NaN (judged
    on no hour), and the report left it out as "played with its shock, its stored figures are
    not finite numbers ... play it again with a finite one": it is shown, its KPIs as stored."""
    from forecasting.runs.reports import _drill_frames
    from forecasting.schema import FAILS_UNSHOCKED, frame_schema

    run_id = runs.new_run_id("delivery-slip")
    run = {
        "run_id": run_id, "forecast_run_id": "f-1", "drill": "delivery-slip",
        "description": "", "target": "all", "multiplier": 1.0, "shape": "step",
        "shock_start": date(2026, 12, 5), "horizon_end": date(2027, 1, 1), "paths": 5,
        "seed": 1, "passed": False, "first_to_saturate": [], "seconds": 1.0,
        "created_at": datetime.now(UTC), "capacity_sha256": "abc", "verdict": FAILS_UNSHOCKED,
        "absorb_censored": False, "notes": [],
    }  # fmt: skip
    frames = {
        name: pl.DataFrame(schema=frame_schema(name)) for name in warehouse.RUN_TABLES["drill_runs"]
    }
    nan = float("nan")
    frames["drill_kpis"] = pl.DataFrame(
        [("all", "time_to_absorb_hours", nan, nan, nan), ("all", "unmet_gpu_hours", 5.0, 4.0, 9.0)],
        schema=frame_schema("drill_kpis"),
        orient="row",
    )
    wh.save_run("drill_runs", run, frames)
    shown = _drill_frames(wh, "f-1", plan_sha256="abc")
    assert shown["drill_answers"].get_column("drill").to_list() == ["delivery-slip"]
    assert shown["drills_not_played"].is_empty()
    # Any other figure not finite still reads "not measured".
    wh._con.execute(
        "UPDATE drill_kpis SET mean = 'NaN' WHERE run_id = ? AND kpi = 'unmet_gpu_hours'",
        [run_id],
    )
    refused = _drill_frames(wh, "f-1", plan_sha256="abc")["drills_not_played"]
    assert refused.get_column("drill").to_list() == ["delivery-slip"]


def test_a_rung_used_on_a_few_paths_is_not_listed_as_used() -> None:
    """ "rungs used: preempt" stood on 1.5 GPU-h preempted on 1 % of the paths; a rung is
    listed when it acted on at least a tenth of them, and the CLI's column says that rule."""
    from flows.tables import drill_tables

    rungs = pl.DataFrame(
        {"rung": ["preempt", "defer", "burst"], "region": ["all", "all", "eu"],
         "used_share": [0.01, 0.5, 0.1], "used_mean": [1.5, 9e4, 4e3]}
    )  # fmt: skip
    run = {"drill": "all-2x", "target": "all", "passed": False, "breaking_multiplier": None,
           "breaking_note": None, "capex_needed_usd": None}  # fmt: skip
    outcome = runs.drill_outcome(
        run_id="d-1", run=run,
        verdicts=pl.DataFrame({"workload_class": ["training"], "passed": [False]}),
        kpis=pl.DataFrame({"workload_class": ["all"], "kpi": ["x"]}),
        additions=pl.DataFrame(),
        rungs=rungs,
    )  # fmt: skip
    assert outcome.rungs_used == ["defer", "burst in eu"]
    answers = drill_tables([outcome])[1]
    assert answers.columns[2].header == "rungs used (on at least 10% of paths)"


@pytest.mark.slow
def test_direct_steps_store_runs_and_triggers_point_at_their_forecast(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """Forecast, drill and report called directly; each report is a new trigger run whose
    forecast_run_id is the forecast's, and readers find the newest one by it."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    options = ForecastOptions(
        horizon_days=28, n_paths=30, customers_per_class=3, models=("seasonal_naive", "drift")
    )
    run = runs.forecast(path, options)
    assert RUN_ID.match(run.run_id) and run.run_id.startswith("forecast-")
    (drill,) = runs.drill(
        path, fleet.capacity, DrillOptions(drills=("inference-2x",), answers="none")
    ).played
    assert drill.run_id.startswith("inference-2x-")
    first = runs.report(path, fleet.capacity, tmp_path / "reports", ReportOptions())
    second = runs.report(path, fleet.capacity, tmp_path / "reports", ReportOptions())
    assert first.run_id == second.run_id == run.run_id
    assert first.trigger_run_id != second.trigger_run_id
    assert second.trigger_run_id.startswith("triggers-")
    with warehouse.connect(path, read_only=True) as wh:
        stored = wh.query(
            "SELECT run_id, forecast_run_id, versions FROM trigger_runs ORDER BY created_at"
        )
        assert stored.get_column("forecast_run_id").to_list() == [run.run_id] * 2
        # The code that made each report, so "what changed" can tell a code change (S5).
        assert {json.loads(v)["fleetcast"] for v in stored["versions"]} == {fleetcast_version()}
        # Each stored forecast row says whether its mean is the model's or its paths'.
        sources = wh.run_frame("forecasts", run.run_id)["mean_source"]
        assert sources.null_count() == 0 and set(sources) <= {"model", "paths"}
        assert wh.latest_trigger_run(forecast_run_id=run.run_id) == second.trigger_run_id
        assert wh.run_frame("triggers", second.trigger_run_id).height == len(second.triggers)
        recent = wh.recent_trigger_runs(limit=5)
    assert recent.get_column("forecast_run_id").to_list() == [run.run_id] * 2
    assert (tmp_path / "reports" / "latest" / "index.html").is_file()


@pytest.mark.slow
def test_a_run_fits_its_growth_models_beside_its_series_and_stores_the_same_plan(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """Handed an executor's submit, a run hands it the plan's growth models first (so a
    worker fits them while the others fit the series) and stores the plan a run without it
    stores: the same monthly rows and decision backtest (none here: too short a history)."""
    from collections.abc import Callable
    from concurrent.futures import Future, ThreadPoolExecutor
    from typing import Any

    options = ForecastOptions(
        horizon_days=28, n_paths=20, customers_per_class=3, models=("seasonal_naive",)
    )
    stored = {}
    submitted = []
    for beside in (False, True):
        path = tmp_path / f"warehouse-{beside}.duckdb"
        shutil.copy(fleet.warehouse, path)
        with ThreadPoolExecutor(2) as pool:

            def submit(
                fn: Callable[..., Any], /, *args: Any, _pool: ThreadPoolExecutor = pool, **kw: Any
            ) -> Future[Any]:
                submitted.append(fn)
                return _pool.submit(fn, *args, **kw)

            run = runs.forecast(path, options, submit=submit if beside else None)
        with warehouse.connect(path, read_only=True) as wh:
            stored[beside] = (
                wh.run_frame("forecast_months", run.run_id),
                wh.run_frame("horizon_accuracy", run.run_id),
            )
    assert submitted == [runs.plan_growth]
    keys = ["unique_id", "ds", "measure"]
    # Two runs differ by 1e-7 GPUs: polars' threads sum in any order.
    assert_frame_equal(
        stored[True][0].sort(keys), stored[False][0].sort(keys), rtol=1e-9, atol=1e-6
    )
    assert not stored[True][0].is_empty()
    order = ["unique_id", "cutoff", "horizon_days"]
    assert_frame_equal(stored[True][1].sort(order), stored[False][1].sort(order), rtol=1e-9)


@pytest.mark.slow
def test_a_report_on_another_plan_leaves_out_drills_played_on_the_first(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """A drill records the plan file it was played on; a report on a plan with every block
    twenty times larger showed those results ("0 of 1 drills failing" read as this plan's)
    without a word. It leaves them out and the pages and the CLI say they are not verified
    against this plan; a report on the drill's own plan shows them as before."""
    import hashlib
    import re as regex

    from flows.tables import report_table

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    options = ForecastOptions(
        horizon_days=28, n_paths=20, customers_per_class=3, models=("seasonal_naive",)
    )
    run = runs.forecast(path, options)
    runs.drill(path, fleet.capacity, DrillOptions(drills=("inference-2x",), answers="none"))
    with warehouse.connect(path, read_only=True) as wh:
        stored = wh.drill_runs(forecast_run_id=run.run_id)["capacity_sha256"].to_list()
    assert stored == [hashlib.sha256(fleet.capacity.read_bytes()).hexdigest()]
    bigger = tmp_path / "bigger.toml"
    text = fleet.capacity.read_text(encoding="utf-8")
    bigger.write_text(
        regex.sub(r"(?m)^gpus = (\d+)", lambda m: f"gpus = {int(m[1]) * 20}", text),
        encoding="utf-8",
    )
    other = runs.report(path, bigger, tmp_path / "reports", ReportOptions())
    assert other.failing_drills == []
    assert "inference-2x were played on another capacity plan" in other.drills_other_plan
    assert "not verified against this plan" in other.drills_other_plan
    assert "not verified against this plan" in str(report_table(other).caption)
    folder = tmp_path / "reports" / "latest"
    platform = (folder / "platform.html").read_text(encoding="utf-8")
    assert "Not verified against this plan" in platform
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "no drills on this plan; others not verified against this plan" in index
    same = runs.report(path, fleet.capacity, tmp_path / "reports", ReportOptions())
    assert same.drills_other_plan == ""
    platform = (folder / "platform.html").read_text(encoding="utf-8")
    assert "Not verified against this plan" not in platform and "inference-2x" in platform


@pytest.mark.slow
def test_drills_a_short_forecast_cannot_place_are_not_played_and_the_rest_are(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """On a 7-day forecast a drill starting at +2w is not played, with the horizon it needs,
    while the others play and are stored; a slip with no committed block is not played either,
    and neither has a stored verdict; the platform page and a read-back through the warehouse
    (the server path) list them with the reason. A ready-made drill's reason names its fields
    in its own words ("its start", "its slip"): it read "field start:", "field slip:", as a
    flag or file field for the reader to fix, where nobody typed either."""
    from forecasting.capacity import load_capacity
    from forecasting.schema import BlockStatus

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    # Daily only (--horizon-months 0): the run stores no monthly rows and is still whole.
    options = ForecastOptions(horizon_days=7, n_paths=20, customers_per_class=3,
                              models=("seasonal_naive",), horizon_months=0)  # fmt: skip
    run = runs.forecast(path, options)
    assert run.horizon_months == 0 and run.decision_accuracy == []
    started = datetime.now(UTC)
    batch = runs.drill(
        path,
        fleet.capacity,
        DrillOptions(drills=("inference-2x", "inference-surge", "region-loss"), answers="none"),
    )
    # What `fleetcast drill --via-server` reads back from the warehouse: the same batch.
    stored_batch = runs.stored_drill_outcomes(
        path, ["inference-2x", "inference-surge"], since=started, until=datetime.now(UTC)
    )
    assert [d.drill for d in stored_batch.played] == ["inference-2x"]
    assert [d.drill for d in stored_batch.not_played] == ["inference-surge"]
    assert [d.drill for d in batch.played] == ["inference-2x"]
    reasons = {d.drill: d.reason for d in batch.not_played}
    assert set(reasons) == {"inference-surge", "region-loss"}
    first = run.as_of + timedelta(days=1)
    assert reasons["inference-surge"] == (
        f"its start: +2w ({first + timedelta(days=14)}) is after the forecast horizon "
        f"{first}..{first + timedelta(days=6)}: forecast at least 15 days ahead "
        "(`--horizon 15`) to play it"
    )
    with warehouse.connect(path, read_only=True) as wh:
        stored = wh.query(
            "SELECT drill FROM drill_runs WHERE forecast_run_id = $1", [run.run_id]
        ).get_column("drill")
    assert stored.to_list() == ["inference-2x"]
    runs.report(path, fleet.capacity, tmp_path / "reports", ReportOptions())
    platform = (tmp_path / "reports" / "latest" / "platform.html").read_text(encoding="utf-8")
    assert "drill not played" in platform and "forecast at least 15 days ahead" in platform
    runs.drill(path, fleet.capacity, DrillOptions(drills=("inference-surge",), answers="none"))
    with warehouse.connect(path, read_only=True) as wh:
        # A rerun replaces the reason: one row per drill and forecast run.
        assert wh.drills_not_played(forecast_run_id=run.run_id)["drill"].to_list() == [
            "inference-surge",
            "region-loss",
        ]

    plan = load_capacity(fleet.capacity)
    uncommitted = plan.model_copy(
        update={"block": [b for b in plan.block if b.status is not BlockStatus.COMMITTED]}
    )
    inputs = runs.drill_inputs(path, run.run_id, 20, 0)
    (slip,) = runs.drill_scenarios(DrillOptions(drills=("delivery-slip",)))
    skipped = runs.play_drill(
        uncommitted, inputs.paths, inputs.shapes, slip, as_of=run.as_of,
        options=DrillOptions(answers="none"),
    )  # fmt: skip
    assert isinstance(skipped, runs.DrillNotPlayed)
    assert skipped.reason.startswith("its slip: next-committed, but no block is committed")


def test_a_month_old_fleet_is_planned_to_its_daily_days_only_and_says_why(tmp_path: Path) -> None:
    """30 days of telemetry: nothing measures how far a level moves in months, so the run
    stores no monthly rows and a plan horizon of 0 with the reason, and the platform page flags
    each region and class (a band of +-1 % three years out read green through 2029 before)."""
    written = synth.write_fleet(synth.synthetic_fleet(days=30, customers=12, seed=7), tmp_path)
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path) as wh:
        for file in written:
            if file.parent.name == "telemetry":
                ingest.ingest_file(wh, file)
    options = ForecastOptions(horizon_days=28, n_paths=30, models=("seasonal_naive", "drift"))
    run = runs.forecast(path, options)
    assert run.horizon_months == 0 and run.plan_gap is not None
    assert "nothing in the run measures how far a level moves" in run.plan_gap
    with warehouse.connect(path, read_only=True) as wh:
        assert wh.run_frame("forecast_months", run.run_id).is_empty()
        summary = wh.run_frame("forecast_summary", run.run_id)
    planned = summary.filter(pl.col("unique_id").str.count_matches("/").is_between(1, 2))
    assert planned["plan_model"].is_null().all()
    assert planned["plan_reason"].str.starts_with("not forecast past the daily days").all()
    runs.report(path, tmp_path / "capacity.toml", tmp_path / "reports", ReportOptions())
    page = (tmp_path / "reports" / run.run_id / "platform.html").read_text(encoding="utf-8")
    assert ", then nothing" in page and "not forecast past the daily days" in page


def test_a_young_fleets_plan_says_which_growth_model_it_fell_back_to_and_why(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """200 days of history leave no decision backtest: every region and class is planned past
    the daily days by the random walk, and the stored summary and the platform page say so per
    series (the reasons were computed and dropped before, so a 36-month plan read as fitted)."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    options = ForecastOptions(
        horizon_days=28, n_paths=30, customers_per_class=3, models=("seasonal_naive", "drift")
    )
    run = runs.forecast(path, options)
    with warehouse.connect(path, read_only=True) as wh:
        summary = wh.run_frame("forecast_summary", run.run_id)
    planned = summary.filter(pl.col("unique_id").str.count_matches("/").is_between(1, 2))
    assert planned.height and set(planned["plan_model"]) == {"level_random_walk"}
    assert planned["plan_reason"].str.contains("no decision backtest").all()
    assert not planned["plan_calibrated"].any()  # stored as a field, not only said in words
    customers = summary.filter(pl.col("unique_id").str.count_matches("/") == 3)
    assert customers["plan_reason"].is_null().all()  # a customer's months are its class's share
    outcome = runs.report(path, fleet.capacity, tmp_path / "reports", ReportOptions())
    page = (tmp_path / "reports" / run.run_id / "platform.html").read_text(encoding="utf-8")
    assert (
        "seasonal_naive, then level_random_walk" in page or "drift, then level_random_walk" in page
    )
    assert "past the daily days, level_random_walk: no decision backtest" in page
    # Nothing calibrated the band past the daily days, so no order due now is bought on it.
    with warehouse.connect(path, read_only=True) as wh:
        settings = runs.trigger_settings(wh, run.run_id, quantile="q90", buffer_weeks=4)
        notes = wh.run_frame("triggers", outcome.trigger_run_id)["note"].drop_nulls()
    sized = notes.filter(notes.str.contains("sized "))
    assert settings.daily_sizing and sized.len()
    assert sized.str.contains("no decision backtest calibrated this run's band").all()
    # Its daily backtests scored weeks, not the decision backtest's 182 days: the notes read
    # the run's own reach.
    assert settings.scored_days is not None and 0 < settings.scored_days < 60
    assert not notes.str.contains("182 days").any()


def test_drills_on_a_forecast_of_no_measured_day_are_warned_of(
    wh: warehouse.Warehouse, warehouse_path: Path
) -> None:
    """A run whose total and region were forecast as zero (no complete day of telemetry) gets
    one warning line naming them for its drills (an hour of an Azure trace read "pass, 0 h" on
    seven drills); a run whose zero is a customer's only, or measured, gets none."""
    from forecasting.schema import REGISTRY, frame_schema
    from forecasting.warehouse import RUN_TABLES

    def store(run_id: str, zero: list[str]) -> None:
        t = REGISTRY["forecast_runs"]
        row = {name: None for name in t.schema} | {
            "run_id": run_id, "as_of": datetime(2023, 11, 16).date(), "horizon_days": 7,
            "series": 3, "created_at": datetime(2023, 11, 17, tzinfo=UTC), "settings": "{}",
            "reconciliation": "bottom_up", "seconds": 1.0, "versions": "{}", "horizon_months": 0,
        }  # fmt: skip
        ids = ["total", "total/azure", "total/azure/inference/acme"]
        summary = pl.DataFrame(
            {
                "unique_id": ids,
                "measure": "mean",
                "model": ["zero" if u in zero else "ets" for u in ids],
                "fallback": ["no observed day" if u in zero else None for u in ids],
            }
        )
        schema = frame_schema("forecast_summary")
        frames = {
            name: pl.DataFrame(schema=frame_schema(name)) for name in RUN_TABLES["forecast_runs"]
        }
        frames["forecast_summary"] = pl.DataFrame(
            [{name: None for name in schema} | r for r in summary.to_dicts()], schema=schema
        )
        wh.save_run("forecast_runs", row, frames)

    store("forecast-a", ["total", "total/azure", "total/azure/inference/acme"])
    store("forecast-b", ["total/azure/inference/acme"])
    wh.close()
    warned = runs.unmeasured_demand_warning(warehouse_path, "forecast-a")
    assert warned is not None and warned.startswith("warning: no demand measured for ")
    assert "a pass there is not verified" in warned
    assert runs.unmeasured_demand_warning(warehouse_path, "forecast-b") is None


def test_a_customer_whose_every_hour_feed_stops_is_warned_of_not_an_idle_one(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """cust-000 wrote a row every hour (zeros too) for 7 days and stopped 3 days before its
    region did: its feed looks broken, and the forecast's warnings and the pages say so (the
    largest Helios VC, 45 % of demand, stopped 8 days early and read 0 GPUs without a word).
    A customer that wrote rows only when busy (cust-002), or one with a hundredth of the
    region's demand (cust-003), is idle when its rows stop: no warning."""
    from telemetry_files import telemetry_frame

    from forecasting.report.pages import platform_page

    frame = pl.concat(
        [
            telemetry_frame(hours=24 * 10, customers=3),
            telemetry_frame(hours=24 * 10, customers=1).with_columns(
                customer=pl.lit("cust-003"), gpus_running=pl.lit(0.01), gpus_queued=pl.lit(0.0)
            ),
        ]
    )
    cut = datetime(2025, 1, 8, tzinfo=UTC)
    hour = pl.col("ts").dt.hour()
    frame = frame.filter(
        (pl.col("customer") == "cust-001")
        | ((pl.col("customer") == "cust-002") & (hour % 5 == 0) & (pl.col("ts") < cut))
        | (pl.col("customer").is_in(["cust-000", "cust-003"]) & (pl.col("ts") < cut))
    )
    frame.write_parquet(tmp_path / "t.parquet")
    assert runs.load_telemetry_file(tmp_path / "t.parquet", warehouse_path, None).status == (
        "loaded"
    )
    silent = runs.silent_customers_for(warehouse_path, datetime(2025, 1, 10).date())
    assert silent["customer"].to_list() == ["cust-000"]
    assert silent["silent_days"].to_list() == [3] and silent["cover"].to_list() == [1.0]
    (line,) = runs.silent_customer_lines(silent)
    # The CLI prefixes every forecast warning once ("warning: warning: ..." before).
    from flows.tables import fallback_lines

    run = runs.ForecastRun(
        run_id="r", as_of=datetime(2025, 1, 10).date(), series=1, seconds=1.0,
        reconciliation="bottom_up", models_chosen={}, models_fallback={}, accuracy=[],
        calibrated=0, fallbacks=0, warnings=[line],
    )  # fmt: skip
    assert fallback_lines(run) == [f"warning: {line}"] and not line.startswith("warning")
    assert line.startswith(
        "eu-west · inference · cust-000 has no telemetry rows since 2025-01-07 23:00 "
        "UTC, 3 days before eu-west's last, though it wrote a row in 100% of eu-west's 168 "
        "hours before"
    )
    # A week earlier nothing had stopped yet.
    assert runs.silent_customers_for(warehouse_path, datetime(2025, 1, 6).date()).is_empty()
    from test_report import sample_inputs

    page = platform_page(replace(sample_inputs(), silent_customers=silent))
    assert "no telemetry rows since 2025-01-07 23:00 UTC, 3 days before eu-west" in page


def _stopped_fleet_warnings(tmp_path: Path, warehouse_path: Path) -> list[str]:
    """The forecast run's warnings on 60 days of eu-west where cust-000's rows stop on
    2025-02-10 (its feed), cust-001's read zero from then (it left) and cust-002 runs on."""
    from telemetry_files import telemetry_frame

    cut = datetime(2025, 2, 10, tzinfo=UTC)
    frame = telemetry_frame(hours=24 * 60, customers=3)
    left = (pl.col("customer") == "cust-001") & (pl.col("ts") >= cut)
    frame = frame.filter((pl.col("customer") != "cust-000") | (pl.col("ts") < cut)).with_columns(
        gpus_running=pl.when(left).then(0.0).otherwise(pl.col("gpus_running")),
        gpus_queued=pl.when(left).then(0.0).otherwise(pl.col("gpus_queued")),
    )
    frame.write_parquet(tmp_path / "t.parquet")
    assert runs.load_telemetry_file(tmp_path / "t.parquet", warehouse_path, None).status == (
        "loaded"
    )
    options = ForecastOptions(horizon_days=7, n_paths=20, models=("seasonal_naive", "drift"))
    return runs.forecast(warehouse_path, options).warnings


def test_a_customer_held_at_zero_is_not_said_to_publish_its_paths_mean(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """Two customers held at zero (one whose feed stopped, one that left) were named in the
    run's "the daily model's mean is the mean of its sample paths ... the point forecast lay
    outside the q10-q90 band" line for every forecast day, and stored so (mean_source): a
    series with no leaf left under it after reconciliation read as all its leaves switched.
    Held at zero, it has no band to lie outside: nothing names them there."""
    warnings = _stopped_fleet_warnings(tmp_path, warehouse_path)
    assert not [w for w in warnings if "mean of its sample paths" in w and "cust-00" in w], [
        w for w in warnings if "mean of its sample paths" in w
    ]


def test_a_customer_whose_feed_stopped_weeks_ago_is_said_once_as_held_at_zero(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """cust-000 wrote a row every hour and its rows stopped 20 days before its region's last:
    the run's warnings said it twice, two lines for one fact that read as two findings ("has no
    telemetry rows since ... its forecast follows them; if its feed broke, backfill it" and,
    in the level-shift line, "stopped: zero demand on each of its last 20 days ... held at
    zero, as demand that ended"). Its feed-stopped line now says its forecast is held at zero
    and the held-at-zero note is not repeated for it; cust-001, whose rows went on with zeros
    in them (it left), keeps its held-at-zero note and no feed-stopped line."""
    warnings = _stopped_fleet_warnings(tmp_path, warehouse_path)
    # The level-shift line names its first series and counts the rest: read the count too.
    (held,) = [w for w in warnings if "level shift on" in w]
    assert held.endswith("; and 4 more series (the platform page lists them)"), held
    assert not [w for w in warnings if "cust-000 (mean): stopped" in w or "cust-000 (peak)" in w]
    (line,) = [w for w in warnings if "cust-000 has no telemetry rows" in w]
    assert line.startswith("eu-west · inference · cust-000 has no telemetry rows since 2025-02-09")
    assert "its forecast follows them" not in line, line
    assert "its forecast is held at zero" in line and "backfill it" in line, line
    assert not [w for w in warnings if "cust-001 has no telemetry rows" in w], warnings


def test_a_stray_row_in_a_misspelt_region_is_said_once_and_the_total_runs_to_the_end(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """One row under a region nobody runs made the fleet total "incomplete since" the day
    before it, 4 days of history dropped from every total figure, with no word on why: the
    run's warnings now name the region once, with its rows and hours, and the total is fitted
    to the fleet's last day with no "incomplete since" line."""
    from telemetry_files import telemetry_frame

    frame = telemetry_frame(hours=24 * 10, customers=2)
    stray = frame.head(1).with_columns(
        ts=pl.lit(datetime(2025, 1, 7, 12, tzinfo=UTC)).dt.cast_time_unit("us"),
        region=pl.lit("mars-north"),
        gpus_running=pl.lit(96.0),
    )
    pl.concat([frame, stray]).write_parquet(tmp_path / "t.parquet")
    assert runs.load_telemetry_file(tmp_path / "t.parquet", warehouse_path, None).status == (
        "loaded"
    )
    listed = runs.stray_regions_for(warehouse_path, datetime(2025, 1, 10).date())
    assert runs.stray_region_lines(listed) == [
        "mars-north has telemetry in 1 hour of 1 day (1 row, 2025-01-07 12:00 UTC), "
        "against the 240 hours the fleet reported: too few to be a feed, so the total does not "
        "wait on it: it holds those rows' GPUs in their hours and nothing in its other hours, "
        "and its own series reads those as missing; fix the region's name in the telemetry, "
        "or backfill it"
    ]
    options = ForecastOptions(horizon_days=7, n_paths=20, models=("seasonal_naive", "drift"))
    run = runs.forecast(warehouse_path, options)
    # Its three series (region, class, customer) have no whole day: said in the same line.
    assert [w for w in run.warnings if "mars-north" in w] == [
        runs.stray_region_lines(listed, zero={"mars-north": 3})[0]
    ]
    assert (
        "; 3 of its series have no whole day and are forecast as zero; fix"
        in (runs.stray_region_lines(listed, zero={"mars-north": 3})[0])
    )
    assert not [w for w in run.warnings if "incomplete since" in w]
    assert runs.stray_regions_for(warehouse_path, datetime(2025, 1, 6).date()).is_empty()


def test_a_gpu_type_the_plans_table_lacks_is_named_once(fleet: FleetFiles, tmp_path: Path) -> None:
    """A telemetry row typed TPUv5, absent from the plan's [gpu_type] table, loaded and was
    never mentioned: the plan's warnings name it once, with its rows and regions, and say that
    no figure rests on it (demand converts by the region's blocks, not the row's type). The
    fleet as synthesized, every type in the table, raises none."""
    from telemetry_files import telemetry_frame

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    row = telemetry_frame(hours=1).head(1).with_columns(
        ts=pl.lit(datetime(2025, 1, 1, 12, tzinfo=UTC)).dt.cast_time_unit("us"),
        region=pl.lit("us-east"), gpu_type=pl.lit("TPUv5"),
    )  # fmt: skip
    row.write_parquet(tmp_path / "t.parquet")
    assert runs.load_telemetry_file(tmp_path / "t.parquet", path, None).status == "loaded"
    typed = [w for w in runs.plan_warnings_for(path, fleet.capacity) if "gpu_type" in w]
    assert typed == [
        f"warning: gpu_type 'TPUv5' has telemetry (1 row, in us-east) but no [gpu_type.TPUv5] "
        f"in {fleet.capacity}: a row's gpu_type converts nothing (a region's demand counts in "
        "H100-equivalents by its blocks' mix), so no figure changes; fix the type's name in the "
        "telemetry, or add it to [gpu_type]"
    ]
    assert not [
        w for w in runs.plan_warnings_for(fleet.warehouse, fleet.capacity) if "gpu_type" in w
    ]


def test_a_client_that_wrote_every_hour_for_a_day_is_no_broken_feed() -> None:
    """A row in every hour of one day, then none, is a short client, not a feed that broke:
    ServeGen publishes two models for one day each, and both read "wrote a row in 100 % of
    servegen's hours ... if its feed broke, backfill it" on every page. A week of every-hour
    rows is the evidence the warning needs."""
    from forecasting.demand import SILENT_MIN_HOURS, silent_customers

    def reports(hours: int) -> pl.DataFrame:
        return pl.DataFrame({
            "region": ["servegen"], "workload_class": ["inference"],
            "customer": ["deepseek-r1/35"], "last_report": [datetime(2025, 1, 6, 23, tzinfo=UTC)],
            "region_last": [datetime(2025, 1, 19, 23, tzinfo=UTC)], "reported_hours": [hours],
            "region_hours": [hours], "customer_gpu_hours": [30.0 * hours],
            "region_gpu_hours": [1000.0 * hours],
        })  # fmt: skip

    assert silent_customers(reports(24)).is_empty()
    week = silent_customers(reports(SILENT_MIN_HOURS))
    assert week["customer"].to_list() == ["deepseek-r1/35"]
    assert week["region_hours"].to_list() == [SILENT_MIN_HOURS]


def test_a_dedicated_customer_keeps_its_own_series_however_small(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """Five inference customers, two kept per class: the smallest one (cust-004), whose block
    the plan dedicates to it, keeps its own series, so its demand meets its block (folded into
    'other', it was served from the shared pools while its block stood idle)."""
    from telemetry_files import telemetry_frame

    frame = telemetry_frame(hours=24 * 30, customers=5).with_columns(
        gpus_running=pl.when(pl.col("customer") == "cust-004")
        .then(pl.col("gpus_running") / 100)
        .otherwise(pl.col("gpus_running"))
    )
    frame.write_parquet(tmp_path / "t.parquet")
    runs.load_telemetry_file(tmp_path / "t.parquet", warehouse_path, None)
    policies = "\n".join(
        f'[policy.{c}]\ntier = "t"\npriority = {i + 1}\n'
        for i, c in enumerate(["inference", "training", "evaluation", "batch", "experimentation"])
    )
    plan = tmp_path / "capacity.toml"
    plan.write_text(
        f'{policies}\n[[block]]\nid = "c4"\nkind = "rack"\nregion = "eu-west"\n'
        'site = "eu-west-a"\ngpu_type = "H100"\ngpus = 8\nmw = 0.1\nstatus = "live"\n'
        'classes = ["inference"]\ndedicated_customer = "cust-004"\n'
    )
    options = ForecastOptions(customers_per_class=2)
    customers = set(
        runs.demand_series_for(warehouse_path, options)["customer"].drop_nulls().to_list()
    )
    assert "cust-004" not in customers and "other" in customers
    with_plan = runs.demand_series_for(
        warehouse_path, options.model_copy(update={"capacity": plan})
    )
    assert "cust-004" in set(with_plan["customer"].drop_nulls().to_list())


def test_prune_keeps_the_newest_forecast_runs_and_removes_what_was_made_on_the_rest(
    fleet: FleetFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each scheduled run stored a whole forecast, even with nothing new, and nothing removed
    them: `fleetcast prune --keep N` removes the older forecast runs with their trigger and
    drill runs; a dry run counts and removes nothing; telemetry stays."""
    from flows.cli import main

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    options = ForecastOptions(
        horizon_days=28, n_paths=20, customers_per_class=3, models=("seasonal_naive",)
    )
    first = runs.forecast(path, options)
    runs.report(path, fleet.capacity, tmp_path / "reports", ReportOptions())
    second = runs.forecast(path, options)

    def counts() -> tuple[int, int, int, int]:
        with warehouse.connect(path, read_only=True) as wh:
            tables = ("forecast_runs", "drill_runs", "trigger_runs", "telemetry")
            return tuple(wh.count(t) for t in tables)  # type: ignore[return-value]

    # The fleet's warehouse may hold runs of its own: all but the newest go.
    before = counts()
    assert before[0] >= 2 and before[2] >= 1
    argv = ["prune", "--keep", "1", "--warehouse", str(path)]
    assert main([*argv, "--dry-run"]) == 0
    said = (
        f"would remove {before[0] - 1} forecast run(s), {before[1]} drill run(s), "
        f"{before[2]} trigger run(s)"
    )
    assert said in capsys.readouterr().out
    assert counts() == before
    assert main(argv) == 0
    assert counts() == (1, 0, 0, before[3])
    with warehouse.connect(path, read_only=True) as wh:
        assert wh.forecast_runs()["run_id"].to_list() == [second.run_id]
        assert wh.run_frame("forecasts", first.run_id).is_empty()
    with pytest.raises(SystemExit) as refused:
        main(["prune", "--keep", "0", "--warehouse", str(path)])
    assert refused.value.code == 2


def test_drills_on_a_forecast_past_its_backtests_say_so_as_the_report_does(
    fleet: FleetFiles, tmp_path: Path
) -> None:
    """`drill` on a 45-day fleet scored 7 days ahead printed revenue at risk over 182 days
    with nothing said, while `report` said "extrapolated, not verified": the drills' line
    gives the report's figures (days ahead, history, backtests' reach), and a run its
    backtests measured to its end gets none."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(fleet.warehouse, path)
    models = ("seasonal_naive", "drift")
    short = runs.forecast(path, ForecastOptions(horizon_days=7, n_paths=10, models=models))
    long = runs.forecast(path, ForecastOptions(horizon_days=60, n_paths=10, models=models))
    said = runs.extrapolated_warning(path, long.run_id)
    report = runs.report(path, fleet.capacity, tmp_path / "reports", ReportOptions())
    assert report.run_id == long.run_id and report.extrapolated
    assert said is not None and said.startswith("extrapolated: the daily forecast reaches 60 ")
    figures, _, rest = report.extrapolated.partition("so demand there")
    assert figures and said == f"extrapolated: {figures}so demand there, and the drills' " + (
        "figures over those days, are extrapolated, not verified"
    )
    assert rest
    assert runs.extrapolated_warning(path, short.run_id) is None


def _forecast_from_a_partial_day(
    tmp_path: Path, warehouse_path: Path
) -> tuple[datetime, date, ForecastOptions, runs.ForecastRun]:
    """Ten whole days of telemetry and 9 hours of the next, loaded and forecast 7 days ahead
    as of the newest day: the last whole hour, that partial day, the options and the run."""
    from telemetry_files import telemetry_frame

    frame = telemetry_frame(hours=24 * 10, customers=2)
    last = frame["ts"].max()
    assert isinstance(last, datetime)
    partial = frame.filter(pl.col("ts") > last - timedelta(hours=24)).with_columns(
        pl.col("ts") + timedelta(hours=24)
    )
    partial = partial.filter(pl.col("ts").dt.hour() < 9)
    pl.concat([frame, partial]).write_parquet(tmp_path / "t.parquet")
    assert runs.load_telemetry_file(tmp_path / "t.parquet", warehouse_path, None).status == (
        "loaded"
    )
    options = ForecastOptions(horizon_days=7, n_paths=20, models=("seasonal_naive", "drift"))
    run = runs.forecast(warehouse_path, options)
    return last, (last + timedelta(hours=24)).date(), options, run


def test_a_partial_newest_day_is_said_where_it_becomes_the_as_of_day(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """A forecast run at 09:00 took the newest telemetry day, 9 of its 24 hours in, as its
    as-of day: the day reads as missing (under 20 hours), so every history ends the day before
    and the forecast starts the day after, and nothing said so (a sweep's fleet went green ->
    red beside it). One warning line names the day, its hours and the as-of to give."""
    last, day, options, run = _forecast_from_a_partial_day(tmp_path, warehouse_path)
    assert run.as_of == day
    lines = [w for w in run.warnings if "of 24 hours" in w]
    assert lines == [
        f"{day} (the as-of day) has telemetry in 9 of 24 hours (to 08:00 UTC), fewer than the "
        f"20 a day needs: it reads as missing, so every series' history ends {last.date()} "
        f"and its forecast starts {day + timedelta(days=1)}; give `--as-of {last.date()}` "
        "to forecast from the last whole day"
    ]
    # Forecast from its last whole day, nothing is said.
    whole = runs.forecast(warehouse_path, options.model_copy(update={"as_of": last.date()}))
    assert not [w for w in whole.warnings if "of 24 hours" in w]


def test_the_forecast_headline_names_the_last_day_of_history_not_a_partial_as_of_day(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """Helios' headline read "history to 2020-05-31" beside the warning that every history
    ends 2020-05-30 (the as-of day, 16 of 24 hours, reads as missing): it now names the last
    day the history holds, and says the as-of day apart when they differ."""
    from flows.tables import forecast_tables

    last, day, options, run = _forecast_from_a_partial_day(tmp_path, warehouse_path)
    assert run.as_of == day and run.history_end == last.date()
    title = str(forecast_tables(run)[0].title)
    assert f"history to {last.date()} (the as-of day {day} reads as missing)" in title
    whole = runs.forecast(warehouse_path, options.model_copy(update={"as_of": last.date()}))
    title = str(forecast_tables(whole)[0].title)
    assert f"history to {last.date()}, in " in title


def test_a_history_with_no_observed_day_says_so_in_the_headline_and_the_warning(
    tmp_path: Path, warehouse_path: Path
) -> None:
    """An Azure trace of two hours: the headline read "history to 2023-11-16" beside the
    warning that every series' history ends 2023-11-15, and neither day was observed (no day
    had the hours a day needs). Both now say no series has an observed day."""
    from telemetry_files import telemetry_frame

    from flows.tables import forecast_tables

    frame = telemetry_frame(hours=2, customers=1)
    frame.write_parquet(tmp_path / "t.parquet")
    assert runs.load_telemetry_file(tmp_path / "t.parquet", warehouse_path, None).status == (
        "loaded"
    )
    options = ForecastOptions(horizon_days=7, n_paths=20, models=("seasonal_naive", "drift"))
    run = runs.forecast(warehouse_path, options)
    title = str(forecast_tables(run)[0].title)
    day = run.as_of
    assert f"history to {day}" not in title and "no observed day" in title, title
    lines = [w for w in run.warnings if "of 24 hours" in w]
    assert lines and f"history ends {day - timedelta(days=1)}" not in lines[0], lines
    assert "no series has an observed day" in lines[0]


def test_a_short_history_stores_the_backtest_layout_that_ran(tmp_path: Path) -> None:
    """30 days of telemetry are backtested on 7-day windows a day apart after 14 days of
    training, while the run stored the 28-day layout it was given: it now stores what ran."""
    import json

    written = synth.write_fleet(synth.synthetic_fleet(days=30, customers=12, seed=7), tmp_path)
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path) as wh:
        for file in written:
            if file.parent.name == "telemetry":
                ingest.ingest_file(wh, file)
    options = ForecastOptions(
        horizon_days=7, horizon_months=0, n_paths=20, models=("seasonal_naive", "drift")
    )
    run = runs.forecast(path, options)
    with warehouse.connect(path, read_only=True) as wh:
        stored = wh.query("select settings from forecast_runs where run_id = ?", [run.run_id])
        backtests = wh.run_frame("backtests", run.run_id)
        first = wh.run_frame("forecasts", run.run_id)["ds"].min()
    settings = json.loads(stored.item())
    cutoffs = backtests["cutoff"].unique().sort()
    # The last cut-off's window ends on the day before the first forecast day.
    scored = (first - cutoffs.max()).days - 1  # type: ignore[operator]
    assert (settings["backtest_horizon"], settings["backtest_step"]) == (scored, 1) == (7, 1)
    assert settings["min_train_days"] == 14
    assert cutoffs.diff().drop_nulls().dt.total_days().to_list() == [1, 1]
    backtested = run.series - run.fallbacks  # the rest are too short even for this layout
    assert backtested > 0
    assert settings["backtest_layouts"] == [
        {"backtest_horizon": 7, "backtest_step": 1, "min_train_days": 14, "series": backtested}
    ]
    from flows.tables import forecast_tables

    title = str(forecast_tables(run)[0].title)
    assert (
        f"; {backtested} series backtested on 7-day windows from cut-offs 1 day(s) apart after "
        "14 days of training (history too short for 28-day backtests after 28 days of "
        "training); counted from the as-of day"
    ) in title
