"""Alerts between runs: status changes and verdict flips, their events, and the webhook they reach.

The fast tests build trigger and drill runs by hand in a fresh warehouse and check
forecasting.changes, the events flows.report builds from them and the "changes since the
previous run" of `fleetcast status`. The server test starts a real `prefect server` (triggers and
actions services on), a local HTTP receiver on 127.0.0.1, creates the alert block and automation
through flows.serve.ensure_alert_automation, runs two reports whose buffer differs so triggers
change, and waits until the receiver got a notification naming each changed region/pool. Every
wait has a timeout and every child process group is killed in a finalizer.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import polars as pl
import pytest
from conftest import FleetFiles
from rich.console import Console
from test_cli import fleetcast
from test_server import ROOT, healthy, prefect_env, prefect_server, wait_for

from forecasting import runs, warehouse
from forecasting.changes import (
    POWER_CHANGES_SCHEMA,
    STATUS_CHANGES_SCHEMA,
    VERDICT_CHANGES_SCHEMA,
    power_changes,
    run_changes,
    status_changes,
    verdict_changes,
)
from forecasting.options import ForecastOptions, ReportOptions
from forecasting.schema import REGISTRY, frame_schema
from forecasting.warehouse import RUN_TABLES

T0 = datetime(2026, 11, 2, 6, tzinfo=UTC)
DAY = timedelta(days=1)


# --- hand-made runs ---------------------------------------------------------------------------


def _filler(dtype: pl.DataType) -> Any:
    """A harmless value of a stored column's type, for columns a test does not look at."""
    if dtype == pl.String:
        return "x"
    if dtype == pl.Boolean:
        return False
    if dtype == pl.Date:
        return date(2026, 11, 1)
    if dtype.is_temporal():
        return T0
    if dtype.is_numeric():
        return 0
    return []


def _row(table: str, **values: Any) -> dict[str, Any]:
    """A full row of a runs table: the given values, null where allowed, else a filler."""
    t = REGISTRY[table]
    row = {name: None if name in t.nullable else _filler(dtype) for name, dtype in t.schema.items()}
    return row | values


def _empty_frames(runs_table: str, **frames: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Every frame table of a runs table, empty unless given."""
    empty = {name: pl.DataFrame(schema=frame_schema(name)) for name in RUN_TABLES[runs_table]}
    return empty | frames


def _triggers(
    statuses: dict[tuple[str, str], str], *, order_by: date | None = None
) -> pl.DataFrame:
    """A triggers frame: one row per (region, pool) with the given status."""
    rows = [
        _row("triggers", region=region, pool=pool, status=status, order_by=order_by)
        for (region, pool), status in statuses.items()
    ]
    return pl.DataFrame(rows, schema=frame_schema("triggers"))


def _power(
    statuses: dict[tuple[str, str], str], *, contract_by: date | None = None
) -> pl.DataFrame:
    """A power_triggers frame: one row per (region, site) with the given status."""
    rows = [
        _row("power_triggers", region=region, site=site, status=status, contract_by=contract_by)
        for (region, site), status in statuses.items()
    ]
    return pl.DataFrame(rows, schema=frame_schema("power_triggers"))


def _drills(*runs_: tuple[str, str, str | None, bool, datetime]) -> pl.DataFrame:
    """drill_runs rows from (drill, run_id, verdict, passed, created_at)."""
    return pl.DataFrame(
        [
            {"drill": d, "run_id": r, "verdict": v, "passed": p, "created_at": c}
            for d, r, v, p, c in runs_
        ],
        schema={
            "drill": pl.String,
            "run_id": pl.String,
            "verdict": pl.String,
            "passed": pl.Boolean,
            "created_at": pl.Datetime("us", "UTC"),
        },
    )


def _store_forecast(
    wh: warehouse.Warehouse, run_id: str, created_at: datetime, **settings: Any
) -> None:
    wh.save_run(
        "forecast_runs",
        _row("forecast_runs", run_id=run_id, created_at=created_at, settings="{}", **settings),
        _empty_frames("forecast_runs"),
    )


def _store_report(
    wh: warehouse.Warehouse,
    run_id: str,
    forecast_run_id: str,
    created_at: datetime,
    statuses: dict[tuple[str, str], str],
    *,
    power: dict[tuple[str, str], str] | None = None,
    **settings: Any,
) -> None:
    run = _row("trigger_runs", run_id=run_id, forecast_run_id=forecast_run_id, **settings)
    frames = {"triggers": _triggers(statuses), "power_triggers": _power(power or {})}
    wh.save_run(
        "trigger_runs", run | {"created_at": created_at}, _empty_frames("trigger_runs", **frames)
    )


def _store_drill(
    wh: warehouse.Warehouse,
    run_id: str,
    forecast_run_id: str,
    drill: str,
    verdict: str,
    created_at: datetime,
    **fields: Any,
) -> None:
    row = _row(
        "drill_runs",
        run_id=run_id,
        forecast_run_id=forecast_run_id,
        drill=drill,
        verdict=verdict,
        passed=verdict in ("pass", "not verified"),
        created_at=created_at,
        **fields,
    )
    wh.save_run("drill_runs", row, _empty_frames("drill_runs"))


GREEN = {("us-east", "all"): "green", ("eu-west", "all"): "green"}
RED = {("us-east", "all"): "red", ("eu-west", "all"): "green"}
POWERED = {("us-east", "us-east-a"): "green", ("eu-west", "eu-west-a"): "amber"}
SHORT_OF_POWER = {("us-east", "us-east-a"): "red", ("eu-west", "eu-west-a"): "amber"}


# --- forecasting.changes ----------------------------------------------------------------------


def test_first_run_has_no_changes_and_says_so(wh: warehouse.Warehouse) -> None:
    """No previous triggers or drills: no rows; one stored report: 'first run', none: 'no
    report yet'."""
    assert status_changes(None, _triggers(GREEN)).schema == STATUS_CHANGES_SCHEMA
    assert status_changes(None, _triggers(GREEN)).is_empty()
    assert verdict_changes(None, _drills(("d", "r1", "pass", True, T0))).is_empty()
    assert run_changes(wh).summary() == "no report yet: nothing to compare"
    _store_forecast(wh, "f1", T0)
    _store_report(wh, "t1", "f1", T0 + timedelta(hours=1), RED)
    first = run_changes(wh)
    assert first.first_run and first.count == 0
    assert first.summary().startswith("no earlier report by as-of day: nothing to compare")


def test_unchanged_triggers_and_verdicts_give_no_rows() -> None:
    """The same statuses with other dates, and the same verdicts, are not changes."""
    before = _triggers(GREEN, order_by=date(2027, 1, 1))
    now = _triggers(GREEN, order_by=date(2027, 3, 1))
    assert status_changes(before, now).is_empty()
    drills = _drills(("d", "r1", "pass", True, T0))
    assert verdict_changes(drills, _drills(("d", "r2", "pass", True, T0 + DAY))).is_empty()


def test_green_to_red_is_one_change_and_a_new_pool_counts() -> None:
    """us-east/all green -> red is 'changed' with its dates; a pool only the new run lists is
    'new' with no status before."""
    before = _triggers(GREEN, order_by=date(2027, 5, 1))
    now = _triggers(RED | {("us-west", "all"): "amber"}, order_by=date(2026, 10, 1))
    changes = status_changes(before, now)
    assert changes.schema == STATUS_CHANGES_SCHEMA
    rows = {(r["region"], r["pool"]): r for r in changes.iter_rows(named=True)}
    assert set(rows) == {("us-east", "all"), ("us-west", "all")}
    east = rows["us-east", "all"]
    assert (east["change"], east["status_before"], east["status_now"]) == (
        "changed",
        "green",
        "red",
    )
    assert (east["order_by_before"], east["order_by_now"]) == (date(2027, 5, 1), date(2026, 10, 1))
    west = rows["us-west", "all"]
    assert (west["change"], west["status_before"], west["status_now"]) == ("new", None, "amber")


def test_a_site_whose_power_status_moved_is_a_change_and_its_dates_come_with_it() -> None:
    """us-east-a green -> red is 'changed' with its contract-power-by dates; a site only the
    new run lists is 'new'; one only the old run lists is 'resolved'; an unmoved status with
    another date is no change; a first run compares nothing."""
    before = _power(POWERED | {("us-west", "us-west-a"): "red"}, contract_by=date(2027, 9, 1))
    now = _power(SHORT_OF_POWER | {("us-east", "us-east-b"): "green"}, contract_by=date(2026, 1, 1))
    changes = power_changes(before, now)
    assert changes.schema == POWER_CHANGES_SCHEMA
    assert changes.select("region", "site", "change", "status_before", "status_now").rows() == [
        ("us-east", "us-east-a", "changed", "green", "red"),
        ("us-east", "us-east-b", "new", None, "green"),
        ("us-west", "us-west-a", "resolved", "red", None),
    ]
    first = changes.row(0, named=True)
    assert (first["contract_by_before"], first["contract_by_now"]) == (
        date(2027, 9, 1),
        date(2026, 1, 1),
    )
    assert power_changes(None, now).is_empty()


def test_a_site_green_only_for_the_orders_sized_reads_not_checked_in_the_changes() -> None:
    """ServeGen forecast at 26 weeks read its site red; at 7 days the pool's order is not
    sized (the forecast ends before it lands), so the site's stored green counts the orders
    sized only and the pages read "not checked". "What changed" read "sg-a changed red ->
    green", news of power no longer needed where nothing measured it: it now reads red ->
    not checked, and a site whose region's orders are all sized keeps its green."""
    before = _power(SHORT_OF_POWER)
    now = _power(POWERED)
    sized = _triggers({("us-east", "all"): "green"})
    unsized = sized.with_columns(
        pl.lit(None, pl.Int64).alias("blocks_to_order"), pl.lit("rack-h100").alias("candidate")
    )
    moved = power_changes(before, now, previous_triggers=sized, current_triggers=unsized)
    assert moved.select("site", "status_before", "status_now").rows() == [
        ("us-east-a", "red", "not checked")
    ]
    plain = power_changes(before, now, previous_triggers=sized, current_triggers=sized)
    assert plain.select("site", "status_before", "status_now").rows() == [
        ("us-east-a", "red", "green")
    ]


def test_a_verdict_flip_compares_the_newest_run_of_each_drill() -> None:
    """Only the newest run of a drill counts on each side; a drill on one side only is no flip;
    a run stored without a verdict falls back to whether it passed."""
    before = _drills(
        ("inference-2x", "a0", "fails under the shock", False, T0 - DAY),
        ("inference-2x", "a1", "pass", True, T0),
        ("region-loss", "b1", None, True, T0),
        ("only-before", "c1", "pass", True, T0),
    )
    now = _drills(
        ("inference-2x", "a2", "fails under the shock", False, T0 + DAY),
        ("region-loss", "b2", "pass", True, T0 + DAY),
        ("only-now", "e2", "plan fails unshocked", False, T0 + DAY),
    )
    flips = verdict_changes(before, now)
    assert flips.schema == VERDICT_CHANGES_SCHEMA
    assert flips.rows() == [("inference-2x", "pass", "fails under the shock", "a1", "a2")]
    legacy = _drills(("region-loss", "b0", None, False, T0))
    (flip,) = verdict_changes(legacy, now).iter_rows(named=True)
    assert (flip["verdict_before"], flip["verdict_now"]) == ("fail (no verdict stored)", "pass")


def test_a_report_compares_with_the_report_before_not_the_forecast_before(
    wh: warehouse.Warehouse,
) -> None:
    """Daily forecasts, reports on some: a report compares with the newest earlier report on a
    forecast run not newer than its own, with the drills each report could see."""
    for i in range(3):
        _store_forecast(wh, f"f{i + 1}", T0 + i * DAY)
    _store_drill(wh, "d1", "f1", "inference-2x", "pass", T0 + timedelta(hours=1))
    _store_report(wh, "t1", "f1", T0 + timedelta(hours=2), GREEN, power=POWERED)
    # A drill stored on f1 after t1 was never shown by t1: not the "before" side.
    _store_drill(wh, "d1b", "f1", "inference-2x", "fails under the shock", T0 + timedelta(hours=3))
    # f2 is never reported; f3's report compares with t1.
    _store_drill(
        wh, "d3", "f3", "inference-2x", "fails under the shock", T0 + 2 * DAY + 1 * DAY / 24
    )
    _store_report(wh, "t3", "f3", T0 + 2 * DAY + 2 * DAY / 24, RED, power=SHORT_OF_POWER)
    changes = run_changes(wh)
    assert (changes.trigger_run_id, changes.previous_trigger_run_id) == ("t3", "t1")
    assert changes.previous_forecast_run_id == "f1"
    assert changes.triggers.select("region", "status_before", "status_now").rows() == [
        ("us-east", "green", "red")
    ]
    assert changes.drills.rows() == [("inference-2x", "pass", "fails under the shock", "d1", "d3")]
    assert changes.power.select("site", "status_before", "status_now").rows() == [
        ("us-east-a", "green", "red")
    ]
    assert (
        "1 trigger status change, 1 power status change, 1 drill verdict flip" in changes.summary()
    )
    assert changes.count == 3
    # A report on the old forecast run f1, made after t3, compares with t1, never with t3.
    _store_report(wh, "t4", "f1", T0 + 3 * DAY, GREEN)
    rerun = run_changes(wh, trigger_run_id="t4")
    assert rerun.previous_trigger_run_id == "t1" and rerun.triggers.is_empty()
    with pytest.raises(warehouse.WarehouseError, match="no trigger run 'nope'"):
        run_changes(wh, trigger_run_id="nope")


def test_a_drill_not_played_or_not_verified_now_is_a_change_shown_with_why(
    wh: warehouse.Warehouse,
) -> None:
    """A 7-day run after a 26-week one: region-loss failed and is not played now (its start is
    past the horizon), and top-customer failed and held only on a ramp the horizon cut short.
    "What changed" listed "top-customer: fails under the shock -> pass" and nothing for
    region-loss, as if a failure had gone. Both are listed now, with why; a drill cut short
    on both sides, at another level, is no flip."""
    cut = "cut short at {}x of 2x by the horizon (forecast at least 42 days ahead)"
    _store_forecast(wh, "f1", T0)
    hour = timedelta(hours=1)
    _store_drill(wh, "d1", "f1", "region-loss", "fails under the shock", T0 + hour)
    _store_drill(wh, "d2", "f1", "top-customer", "fails under the shock", T0 + hour)
    _store_drill(wh, "d3", "f1", "ramp-3x", "not verified", T0 + hour, unverified=cut.format(1.3))
    _store_report(wh, "t1", "f1", T0 + 2 * hour, GREEN)
    _store_forecast(wh, "f2", T0 + DAY)
    why = "field start: +2w (2026-11-16) is after the forecast horizon 2026-11-02..2026-11-08"
    wh.save_not_played("f2", "region-loss", why)
    now = datetime.now(UTC)
    _store_drill(wh, "d4", "f2", "top-customer", "not verified", now, unverified=cut.format(1.17))
    _store_drill(wh, "d5", "f2", "ramp-3x", "not verified", now, unverified=cut.format(1.1))
    _store_report(wh, "t2", "f2", now + hour, GREEN)
    changes = run_changes(wh)
    assert changes.previous_trigger_run_id == "t1"
    assert changes.drills.rows() == [
        ("region-loss", "fails under the shock", f"not played: {why}", "d1", None),
        ("top-customer", "fails under the shock", f"not verified: {cut.format(1.17)}", "d2", "d4"),
    ]
    assert "2 drill verdict flips" in changes.summary()


def test_a_backfilled_report_compares_in_as_of_order_not_in_the_order_it_was_made(
    wh: warehouse.Warehouse,
) -> None:
    """Reports as of May then June, then a backfill as of March made last: June stays the
    newest report, the backfill is the first by as-of day (nothing before it), June still
    compares with May, and a report as of April made later compares with the March backfill;
    the summary names both as-of days."""
    may, june, march, april = (date(2026, m, 1) for m in (5, 6, 3, 4))
    for i, (name, as_of) in enumerate((("may", may), ("june", june), ("march", march))):
        _store_forecast(wh, f"f-{name}", T0 + i * DAY, as_of=as_of)
        _store_report(wh, f"t-{name}", f"f-{name}", T0 + i * DAY + DAY / 24, GREEN)
    # The default report is the newest by as-of day, not the backfill made last.
    assert run_changes(wh).trigger_run_id == "t-june"
    backfill = run_changes(wh, trigger_run_id="t-march")
    assert (backfill.trigger_run_id, backfill.previous_trigger_run_id) == ("t-march", None)
    assert backfill.summary() == (
        "no earlier report by as-of day: nothing to compare (t-march, as of 2026-03-01, is the "
        "first)"
    )
    assert run_changes(wh, trigger_run_id="t-june").previous_trigger_run_id == "t-may"
    _store_forecast(wh, "f-april", T0 + 3 * DAY, as_of=april)
    _store_report(wh, "t-april", "f-april", T0 + 3 * DAY + DAY / 24, RED)
    changes = run_changes(wh, trigger_run_id="t-april")
    assert (changes.previous_trigger_run_id, changes.previous_as_of) == ("t-march", march)
    # Each side's last daily day (as of + its daily horizon, 0 days here): past it, months.
    assert (changes.previous_daily_end, changes.daily_end) == (march, april)
    assert changes.summary().startswith(
        "report t-april (forecast f-april, as of 2026-04-01) against t-march "
        "(forecast f-march, as of 2026-03-01): 1 trigger status change"
    )


def test_a_report_made_again_after_drills_compares_with_the_previous_forecast_run(
    wh: warehouse.Warehouse,
) -> None:
    """A 14-day forecast reported, drilled, then reported again compared with its own first
    report ("Compared with run <this run>. 6 triggers unchanged"): the drills played in
    between made the first report count as news although no verdict could flip. The move from
    the previous forecast run (green -> red here) was gone. It compares with that run now."""
    _store_forecast(wh, "f1", T0)
    _store_report(wh, "t1", "f1", T0 + DAY / 24, GREEN)
    _store_forecast(wh, "f2", T0 + DAY)
    _store_report(wh, "t2", "f2", T0 + DAY + DAY / 24, RED)
    _store_drill(wh, "d2", "f2", "inference-2x", "pass", T0 + DAY + DAY / 12)
    _store_report(wh, "t2b", "f2", T0 + DAY + DAY / 8, RED)
    again = run_changes(wh)
    assert (again.trigger_run_id, again.previous_trigger_run_id) == ("t2b", "t1")
    assert again.previous_forecast_run_id == "f1" and again.triggers.height == 1


def test_a_report_made_again_compares_past_its_identical_reruns(
    wh: warehouse.Warehouse,
) -> None:
    """f2's report made twice, showing the same: the second compares with f1's report, as the
    first did, and says one identical rerun was not compared (it read "no trigger changed"
    against itself and the move from f1 was gone from the pages). A rerun that shows
    something new (a drill verdict flipped since) is compared with, one that only saw new
    drills played is not, and a lone report still says it is the first."""
    _store_forecast(wh, "f1", T0)
    _store_report(wh, "t1", "f1", T0 + DAY / 24, GREEN)
    _store_forecast(wh, "f2", T0 + DAY)
    _store_drill(wh, "d2", "f2", "inference-2x", "pass", T0 + DAY + DAY / 48)
    _store_report(wh, "t2", "f2", T0 + DAY + DAY / 24, RED)
    _store_report(wh, "t2b", "f2", T0 + DAY + DAY / 12, RED)
    again = run_changes(wh)
    assert (again.trigger_run_id, again.previous_trigger_run_id) == ("t2b", "t1")
    assert again.count == 1 and again.reruns_skipped == 1
    assert again.summary().endswith(
        "; 1 report of the same forecast run and settings, with the same statuses and verdicts, "
        "not compared"
    )
    _store_drill(wh, "d2b", "f2", "inference-2x", "fails under the shock", T0 + DAY + DAY / 8)
    _store_report(wh, "t2c", "f2", T0 + DAY + DAY / 6, RED)
    news = run_changes(wh)
    assert (news.previous_trigger_run_id, news.reruns_skipped) == ("t2b", 0)
    assert news.drills.height == 1
    # A drill played since (a new one, no flip) does not make the rerun news: compared with
    # t2c it read "nothing changed" against itself; it reaches past it to the report whose
    # verdicts differ.
    _store_drill(wh, "d3", "f2", "block-loss", "pass", T0 + DAY + DAY / 5)
    _store_report(wh, "t2d", "f2", T0 + DAY + DAY / 4, RED)
    played = run_changes(wh)
    assert (played.previous_trigger_run_id, played.reruns_skipped, played.count) == ("t2b", 1, 1)
    _store_report(wh, "t1b", "f1", T0 + DAY / 12, GREEN)
    lone = run_changes(wh, trigger_run_id="t1b")
    assert (lone.previous_trigger_run_id, lone.reruns_skipped) == (None, 1)
    assert lone.first_run and "1 report of the same forecast run" in lone.summary()


def test_a_report_on_other_settings_says_its_changes_may_come_from_them(
    wh: warehouse.Warehouse,
) -> None:
    """Same data, a 7-day daily horizon and another capacity file: the comparison names both
    (a pool that went red on them is not news about demand); equal settings name nothing."""
    _store_forecast(wh, "f1", T0, horizon_days=182, horizon_months=37)
    _store_report(wh, "t1", "f1", T0 + DAY / 24, GREEN, capacity_sha256="aaa")
    _store_forecast(wh, "f2", T0 + DAY / 12, horizon_days=7, horizon_months=37)
    _store_report(wh, "t2", "f2", T0 + DAY / 8, RED, capacity_sha256="bbb")
    changes = run_changes(wh)
    assert changes.inputs == (
        "the capacity plan (another file or an edited one)",
        "the daily horizon: 182 days → 7 days",
    )
    assert "the runs differ in the capacity plan" in changes.summary()
    _store_forecast(wh, "f3", T0 + DAY / 6, horizon_days=7, horizon_months=37)
    _store_report(wh, "t3", "f3", T0 + DAY / 5, RED, capacity_sha256="bbb")
    assert run_changes(wh).inputs == ()


def test_a_report_by_another_fleetcast_version_says_its_changes_may_come_from_the_code(
    wh: warehouse.Warehouse,
) -> None:
    """Same forecast run and plan, reports by two fleetcast versions: the comparison says the
    versions differ (us-west red -> green with nothing else moved read as news about demand);
    a report stored without a version reads "version not recorded"; equal versions say
    nothing."""
    _store_forecast(wh, "f1", T0)
    _store_report(wh, "t1", "f1", T0 + DAY / 24, RED)
    _store_report(wh, "t2", "f1", T0 + DAY / 12, GREEN, versions='{"fleetcast": "0.1.0+aaa"}')
    unknown = run_changes(wh)
    assert unknown.versions == ("version not recorded", "0.1.0+aaa")
    caveat = (
        "The two runs were made by different fleetcast versions (version not recorded, then "
        "0.1.0+aaa): changes may come from the code, not from demand or the plan."
    )
    assert unknown.version_caveat == caveat
    assert "made by different fleetcast versions" in unknown.summary()
    _store_report(wh, "t3", "f1", T0 + DAY / 8, RED, versions='{"fleetcast": "0.1.0+bbb"}')
    assert run_changes(wh).versions == ("0.1.0+aaa", "0.1.0+bbb")
    _store_report(wh, "t4", "f1", T0 + DAY / 6, GREEN, versions='{"fleetcast": "0.1.0+bbb"}')
    same = run_changes(wh)
    assert same.count == 1 and same.version_caveat == ""
    assert "fleetcast versions" not in same.summary()


def test_a_trigger_run_stores_the_fleetcast_version_that_made_it(
    wh: warehouse.Warehouse,
) -> None:
    """Migration 37: trigger_runs has a versions column, written with the code's fleetcast
    version (package version and source digest) and the forecast's package versions."""
    from forecasting.digest import code_digest, fleetcast_version, run_versions

    stored = json.loads(run_versions())
    assert stored["fleetcast"] == fleetcast_version()
    assert {"polars", "statsmodels", "prophet", "duckdb"} <= stored.keys()
    assert fleetcast_version().endswith("+" + code_digest()[:12])
    assert "versions" in wh.query("SELECT * FROM trigger_runs LIMIT 0").columns


# --- events and status ------------------------------------------------------------------------


def test_each_change_becomes_one_event_with_labels_and_dates(wh: warehouse.Warehouse) -> None:
    """change_events: one valid Prefect event per status change and verdict flip, labelled for
    the automation's templates; none when nothing changed, nor for a rerun of a report."""
    from prefect.events import Event

    from flows.report import POWER_CHANGED, STATUS_CHANGED, VERDICT_CHANGED, change_events

    _store_forecast(wh, "f1", T0)
    _store_drill(wh, "d1", "f1", "inference-2x", "pass", T0 + timedelta(hours=1))
    _store_report(wh, "t1", "f1", T0 + timedelta(hours=2), GREEN, power=POWERED)
    assert change_events(run_changes(wh)) == []  # first run
    _store_report(wh, "t2", "f1", T0 + timedelta(hours=3), GREEN, power=POWERED)
    assert change_events(run_changes(wh)) == []  # nothing changed
    _store_forecast(wh, "f2", T0 + DAY)
    _store_drill(wh, "d2", "f2", "inference-2x", "plan fails unshocked", T0 + DAY)
    _store_report(wh, "t3", "f2", T0 + DAY + timedelta(hours=1), RED, power=SHORT_OF_POWER)
    events = [Event(**kwargs) for kwargs in change_events(run_changes(wh))]
    assert [e.event for e in events] == [STATUS_CHANGED, POWER_CHANGED, VERDICT_CHANGED]
    trigger, power, drill = events
    assert trigger.resource.id == "fleetcast.trigger.us-east.all"
    assert trigger.resource["fleetcast.region"] == "us-east"
    assert trigger.resource["fleetcast.pool"] == "all"
    assert trigger.resource["fleetcast.status-before"] == "green"
    assert trigger.resource["fleetcast.status-now"] == "red"
    assert trigger.payload["trigger_run_id"] == "t3"
    assert trigger.payload["previous_trigger_run_id"] == "t2"
    assert {"order_by_before", "order_by_now", "exhaustion_before", "exhaustion_now"} <= set(
        trigger.payload
    )
    assert {(r.role, r.id) for r in trigger.related} == {
        ("trigger-run", "fleetcast.trigger-run.t3"),
        ("forecast-run", "fleetcast.forecast-run.f2"),
        ("previous-trigger-run", "fleetcast.trigger-run.t2"),
        ("previous-forecast-run", "fleetcast.forecast-run.f1"),
    }
    assert power.resource.id == "fleetcast.power.us-east.us-east-a"
    assert power.resource["fleetcast.site"] == "us-east-a"
    assert (power.resource["fleetcast.status-before"], power.resource["fleetcast.status-now"]) == (
        "green",
        "red",
    )
    assert {"contract_by_before", "contract_by_now", "exhaustion_before", "exhaustion_now"} <= set(
        power.payload
    )
    assert drill.resource.id == "fleetcast.drill.inference-2x"
    assert drill.resource["fleetcast.verdict-before"] == "pass"
    assert drill.resource["fleetcast.verdict-now"] == "plan fails unshocked"
    assert (drill.payload["drill_run_id_before"], drill.payload["drill_run_id_now"]) == ("d1", "d2")
    # The same report made again: its page still shows the moves since t2, but t3 raised the
    # events already, so the rerun raises none.
    _store_report(wh, "t3b", "f2", T0 + DAY + timedelta(hours=2), RED, power=SHORT_OF_POWER)
    again = run_changes(wh)
    assert (again.previous_trigger_run_id, again.reruns_skipped, again.count) == ("t2", 1, 3)
    assert change_events(again) == []


def _rendered(path: Path) -> str:
    """`fleetcast status`'s warehouse views as plain text."""
    from flows.status import warehouse_status_tables

    console = Console(record=True, width=200, file=io.StringIO())
    for view in warehouse_status_tables(path, limit=5):
        console.print(view)
    return console.export_text()


def test_status_says_why_a_run_table_is_empty(warehouse_path: Path) -> None:
    """After a forecast alone, `fleetcast status` drew the drill and trigger tables as empty
    frames under their titles (the sweep's 75-day fleet): each says there is no run yet and
    which command makes one; a table with rows says nothing of the kind."""
    with warehouse.connect(warehouse_path) as wh:
        _store_forecast(wh, "f1", T0)
    text = _rendered(warehouse_path)
    assert "no drill run yet: `fleetcast drill` plays them" in text
    assert "no trigger run yet: `fleetcast report` computes them" in text
    assert "no forecast run yet" not in text


def test_status_says_how_many_runs_its_limit_left_out(warehouse_path: Path) -> None:
    """After the demo (eight drills), `fleetcast status` listed five drill runs under "drill
    runs, newest first" and said nothing of the other three (all-2x, the worst, among them):
    a table cut at --limit says how many runs there are and how to see them all."""
    with warehouse.connect(warehouse_path) as wh:
        _store_forecast(wh, "f1", T0)
        for i in range(8):
            _store_drill(wh, f"d{i}", "f1", f"drill-{i}", "pass", T0 + timedelta(hours=i + 1))
    text = " ".join(_rendered(warehouse_path).split())
    assert "drill runs, newest first: 5 of 8 (`--limit 8` shows all)" in text
    assert "forecast runs, newest first: 5 of" not in text  # one run: nothing left out


def test_status_lists_the_changes_since_the_previous_run(warehouse_path: Path) -> None:
    """The status views say 'first run' after one report and list the changed trigger and the
    flipped drill after two; the CLI prints them without importing prefect."""
    with warehouse.connect(warehouse_path) as wh:
        _store_forecast(wh, "f1", T0)
        _store_drill(wh, "d1", "f1", "inference-2x", "pass", T0 + timedelta(hours=1))
        _store_report(wh, "t1", "f1", T0 + timedelta(hours=2), GREEN, power=POWERED)
    assert "changes since the previous run: no earlier report by as-of day" in _rendered(
        warehouse_path
    )
    with warehouse.connect(warehouse_path) as wh:
        _store_forecast(wh, "f2", T0 + DAY, horizon_days=182, horizon_months=37)
        _store_drill(wh, "d2", "f2", "inference-2x", "fails under the shock", T0 + DAY)
        _store_report(wh, "t2", "f2", T0 + DAY + timedelta(hours=1), RED, power=SHORT_OF_POWER)
    text = _rendered(warehouse_path)
    assert "report t2 (forecast f2, as of 2026-11-01) against t1 (forecast f1, as of" in text
    # A run that reaches past its daily days says how far: the plan, not only the 182 days.
    assert "182 d, then monthly to 37 months" in text
    assert "trigger status changes" in text and "green -> red" in text
    assert "power status changes" in text and "us-east-a" in text
    assert "drill verdict flips" in text and "fails under the shock" in text
    # The drill runs list their verdicts against the unshocked plan, not a bare FAIL.
    drills = text.split("drill runs, newest first")[1].split("trigger runs")[0]
    assert "d2" in drills and "fails under the shock" in drills and "FAIL" not in drills
    done = fleetcast("status", "--warehouse", str(warehouse_path))
    assert done.returncode == 0, done.stderr
    assert "green -> red" in done.stdout and "drill verdict flips" in done.stdout
    assert done.stderr.strip().endswith("False")  # prefect was not imported


def test_serve_creates_the_automation_only_when_the_webhook_is_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """FLEETCAST_ALERT_WEBHOOK reaches ServeSettings, and serve_deployments calls
    ensure_alert_automation with it (and not at all without it) before serving."""
    import prefect

    from flows import serve
    from forecasting.settings import resolve_paths

    calls: list[str] = []
    monkeypatch.setattr(serve, "ensure_writer_limit", lambda limit: calls.append("limit"))
    monkeypatch.setattr(serve, "ensure_alert_automation", lambda url: calls.append(url))
    monkeypatch.setattr(serve, "build_deployments", lambda settings, paths: [])
    monkeypatch.setattr(prefect, "serve", lambda *deployments: calls.append("serve"))
    paths = resolve_paths(warehouse=tmp_path / "w.duckdb")
    monkeypatch.delenv("FLEETCAST_ALERT_WEBHOOK", raising=False)
    serve.serve_deployments(serve.ServeSettings.from_env(), paths)
    assert calls == ["limit", "serve"]
    calls.clear()
    monkeypatch.setenv("FLEETCAST_ALERT_WEBHOOK", "http://127.0.0.1:9/alerts")
    served = serve.ServeSettings.from_env()
    assert served.alert_webhook == "http://127.0.0.1:9/alerts"
    serve.serve_deployments(served, paths)
    assert calls == ["limit", "http://127.0.0.1:9/alerts", "serve"]


# --- a real server --------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    """Records each POST body (JSON) on the server object; answers 200."""

    def do_POST(self) -> None:
        """Store the body and say OK."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.received.append(json.loads(body or b"{}"))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows failures, not every request."""


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP receiver on 127.0.0.1 in a thread; yields its URL and the bodies received."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    httpd.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/alerts", httpd.received  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture
def alert_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`prefect server start` on a free port, SQLite in tmp_path, the services that evaluate
    automations and send their notifications switched on explicitly; yields its API URL."""
    with prefect_server(
        tmp_path,
        PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED="true",
        PREFECT_SERVER_SERVICES_ACTIONS_ENABLED="true",
    ) as running:
        yield running


@pytest.mark.server
@pytest.mark.slow
@pytest.mark.timeout(360)
def test_a_changed_trigger_reaches_the_webhook_through_a_real_server(
    fleet: FleetFiles,
    alert_server: tuple[str, Path],
    receiver: tuple[str, list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    """Two reports whose buffer differs: the second report flow, run against a real server,
    emits one event per changed trigger and the automation serve creates posts a notification
    naming each changed region/pool to a local receiver."""
    from prefect.automations import Automation
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.serve import ALERT_AUTOMATION, ALERT_BLOCK, ensure_alert_automation

    url, server_log = alert_server
    hook, received = receiver
    wh_path, capacity = tmp_path / "warehouse.duckdb", tmp_path / "capacity.toml"
    shutil.copy(fleet.warehouse, wh_path)
    shutil.copy(fleet.capacity, capacity)
    reports = tmp_path / "reports"
    # While the server boots: a small forecast and a first report, directly (no Prefect).
    options = ForecastOptions(
        horizon_days=28, n_paths=30, customers_per_class=3, models=("seasonal_naive", "drift")
    )
    forecast = runs.forecast(wh_path, options).run_id

    def statuses(buffer: int) -> dict[tuple[str, str], str]:
        """The trigger statuses with ``buffer`` weeks, reported on a scratch copy (so the
        warehouse holds only the two reports compared below)."""
        scratch = tmp_path / f"scratch-{buffer}.duckdb"
        shutil.copy(wh_path, scratch)
        done = runs.report(
            scratch, capacity, tmp_path / "scratch", ReportOptions(buffer_weeks=buffer)
        )
        return {(t["region"], t["pool"]): t["status"] for t in done.triggers}

    # The fleet ends yesterday and its shortfalls fall on month starts, so which buffer turns
    # a pool amber moves with the day the suite runs (4 -> 26 weeks changed none on
    # 2026-12-06): the longer buffer is the first that changes a status.
    base = statuses(0)
    longer = next(b for b in (4, 13, 26, 52) if statuses(b) != base)
    # A drill verdict that flips between the reports (stored by hand: a real drill that flips
    # would need a second plan).
    with warehouse.connect(wh_path) as wh:
        _store_drill(wh, "drill-a", forecast, "inference-2x", "pass", datetime.now(UTC))
    runs.report(wh_path, capacity, reports, ReportOptions(buffer_weeks=0))
    with warehouse.connect(wh_path) as wh:
        _store_drill(
            wh, "drill-b", forecast, "inference-2x", "fails under the shock", datetime.now(UTC)
        )

    wait_for(lambda: healthy(url), timeout=120, what="prefect server healthy", log=server_log)
    with temporary_settings(updates={PREFECT_API_URL: url}):
        first = ensure_alert_automation(hook)
        assert ensure_alert_automation(hook) == first  # by name: updated, not duplicated
        automation = cast("Automation", Automation.read(name=ALERT_AUTOMATION))
        with get_client(sync_client=True) as client:
            assert len(client.read_automations_by_name(ALERT_AUTOMATION)) == 1
            block = client.read_block_document_by_name(ALERT_BLOCK, "custom-webhook")
    assert automation.enabled and block.data["url"] == hook

    # A longer safety buffer moves order-by dates earlier: some pools turn amber.
    started = time.monotonic()
    env = prefect_env(tmp_path / "cli-home", PREFECT_API_URL=url)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "flows.cli", "report", "--buffer-weeks", str(longer)),
            *("--warehouse", str(wh_path), "--capacity", str(capacity)),
            *("--reports", str(reports)),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=200,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    changes = runs.report_changes(wh_path)
    assert not changes.first_run and changes.triggers.height > 0, changes.summary()
    assert changes.drills.rows() == [
        ("inference-2x", "pass", "fails under the shock", "drill-a", "drill-b")
    ]
    expected = {f"{r['region']}/{r['pool']}" for r in changes.triggers.iter_rows(named=True)}
    expected.add("drill inference-2x pass -> fails under the shock")

    def notified() -> bool:
        subjects = " ".join(str(body.get("subject")) for body in received)
        return all(pool in subjects for pool in expected)

    wait_for(notified, timeout=90, what=f"notifications for {sorted(expected)}", log=server_log)
    seconds = time.monotonic() - started
    assert len(received) == changes.count, received  # one notification per change, no more
    for body in received:
        assert body["subject"].startswith("fleetcast: ")
        assert f"Report {changes.trigger_run_id} on forecast {forecast}" in body["body"]
    drill_body = next(b["body"] for b in received if "drill" in b["subject"])
    assert "Drill inference-2x: verdict pass -> fails under the shock" in drill_body
    assert "(drill runs drill-a -> drill-b)" in drill_body
    assert seconds < 200


def test_status_colours_a_verdict_that_is_none_apart_from_pass_and_fail() -> None:
    """`fleetcast status` showed "not verified" in green beside the passes and "not played" in
    red beside the failures; both are yellow now, neither a pass nor a failure."""
    from flows.status import _verdict_style

    assert _verdict_style("pass") == "green"
    assert _verdict_style("fails under the shock") == "red"
    assert _verdict_style("not verified: cut short at 1.17x of 2x by the horizon") == "yellow"
    assert _verdict_style("not played: field start: +2w is after the horizon") == "yellow"


def _construction(region: str, status: str | None, start_by: date | None) -> pl.DataFrame:
    """A construction_triggers frame of one region with the given status and start-by."""
    row = _row(
        "construction_triggers",
        region=region,
        status=status,
        start_by=start_by,
        exhaustion_date=None if start_by is None else start_by + timedelta(days=1000),
    )
    return pl.DataFrame([row], schema=frame_schema("construction_triggers"))


def test_a_region_whose_new_site_start_by_moved_is_a_change_and_an_unrecorded_run_says_so(
    wh: warehouse.Warehouse,
) -> None:
    """The construction trigger was not stored, so "what changed" and `fleetcast status` could
    not say that a region's "start a new site by" date moved or turned red. A region whose
    start-by, status or run-out day moved between two reports is a change; a report stored
    before trigger runs recorded construction reads "not recorded", never as no construction."""
    from flows.status import changes_view

    for i in range(3):
        _store_forecast(wh, f"f{i + 1}", T0 + i * DAY)
    # t0: stored as before migration 40 (nothing recorded).
    _store_report(wh, "t0", "f1", T0 + timedelta(hours=1), GREEN)
    for run_id, forecast, at, frame in (
        ("t1", "f2", T0 + DAY, _construction("us-east", "green", date(2028, 6, 1))),
        ("t2", "f3", T0 + 2 * DAY, _construction("us-east", "red", date(2026, 10, 1))),
    ):
        at += timedelta(hours=1)
        run = _row("trigger_runs", run_id=run_id, forecast_run_id=forecast, created_at=at)
        frames = _empty_frames(
            "trigger_runs", triggers=_triggers(GREEN), construction_triggers=frame
        )
        wh.save_run("trigger_runs", run | {"construction_recorded": True}, frames)
    changes = run_changes(wh)
    assert (changes.trigger_run_id, changes.previous_trigger_run_id) == ("t2", "t1")
    assert changes.construction.select(
        "region", "change", "status_before", "status_now", "start_by_before", "start_by_now"
    ).rows() == [("us-east", "changed", "green", "red", date(2028, 6, 1), date(2026, 10, 1))]
    assert changes.count == 1
    assert "1 new-site change" in changes.summary()
    shown = "\n".join(
        str(v.title) if hasattr(v, "title") else str(v) for v in changes_view(changes)
    )
    assert "new site changes" in shown
    older = run_changes(wh, trigger_run_id="t1")
    assert older.previous_trigger_run_id == "t0" and older.construction.is_empty()
    assert "new sites not compared: construction not recorded for t0" in older.summary()
    assert "0 new-site change" not in older.summary()


def test_a_rerun_compares_with_an_earlier_report_that_recorded_no_construction(
    wh: warehouse.Warehouse,
) -> None:
    """A report rerun on the same forecast run passed over the earlier report on it stored
    before migration 40 as one "with the same statuses and verdicts": its construction was
    never stored, so nothing showed the two were the same, and "what changed" compared with
    the report before it (or read "nothing to compare: t-new is the first"). It compares with
    that earlier report what both stored and says the new sites were not compared for it;
    a report that recorded none itself passes over its reruns as before."""
    _store_forecast(wh, "f0", T0)
    _store_forecast(wh, "f1", T0 + DAY)
    _store_report(wh, "t-prev", "f0", T0 + timedelta(hours=1), {**GREEN, ("us-east", "all"): "red"})
    # Stored as before migration 40: no construction recorded.
    _store_report(wh, "t-old", "f1", T0 + DAY + timedelta(hours=1), GREEN)
    run = _row(
        "trigger_runs",
        run_id="t-new",
        forecast_run_id="f1",
        created_at=T0 + DAY + timedelta(hours=2),
    )
    frames = _empty_frames(
        "trigger_runs",
        triggers=_triggers(GREEN),
        construction_triggers=_construction("us-east", "red", date(2026, 10, 1)),
    )
    wh.save_run("trigger_runs", run | {"construction_recorded": True}, frames)
    changes = run_changes(wh)
    assert (changes.trigger_run_id, changes.previous_trigger_run_id) == ("t-new", "t-old")
    assert changes.reruns_skipped == 0 and changes.triggers.is_empty()
    summary = changes.summary()
    assert "0 trigger status changes" in summary
    assert "new sites not compared: construction not recorded for t-old" in summary
    assert "not compared" not in summary.replace("new sites not compared", "")
    # A report that recorded none itself has no construction to compare: the reruns before it
    # with its statuses are passed over as before.
    _store_report(wh, "t-old2", "f1", T0 + DAY + timedelta(hours=3), GREEN)
    older = run_changes(wh, trigger_run_id="t-old2")
    assert (older.previous_trigger_run_id, older.reruns_skipped) == ("t-prev", 2)


def test_a_new_site_s_moved_start_by_raises_one_event(wh: warehouse.Warehouse) -> None:
    """A region whose "start a new site by" turned red showed on the pages and `fleetcast
    status`, but raised no Prefect event, where a block trigger or a site's power turning red
    raises one: an automation watching fleetcast's events never heard of it. It raises one,
    resource ``fleetcast.construction.<region>``, with the start-by and run-out dates."""
    from prefect.events import Event

    from flows.report import CONSTRUCTION_CHANGED, change_events

    for i in range(2):
        _store_forecast(wh, f"f{i + 1}", T0 + i * DAY)
    for run_id, forecast, at, frame in (
        ("t1", "f1", T0, _construction("us-east", "green", date(2028, 6, 1))),
        ("t2", "f2", T0 + DAY, _construction("us-east", "red", date(2026, 10, 1))),
    ):
        run = _row(
            "trigger_runs",
            run_id=run_id,
            forecast_run_id=forecast,
            created_at=at + timedelta(hours=1),
        )
        frames = _empty_frames(
            "trigger_runs", triggers=_triggers(GREEN), construction_triggers=frame
        )
        wh.save_run("trigger_runs", run | {"construction_recorded": True}, frames)
    (event,) = [Event(**kwargs) for kwargs in change_events(run_changes(wh))]
    assert event.event == CONSTRUCTION_CHANGED
    assert event.resource.id == "fleetcast.construction.us-east"
    assert event.resource["fleetcast.region"] == "us-east"
    assert (event.resource["fleetcast.status-before"], event.resource["fleetcast.status-now"]) == (
        "green",
        "red",
    )
    assert (event.payload["start_by_before"], event.payload["start_by_now"]) == (
        "2028-06-01",
        "2026-10-01",
    )
    assert {"exhaustion_before", "exhaustion_now", "trigger_run_id"} <= set(event.payload)
    # The alert automation hears it and writes it out (its templates, rendered as the server
    # renders them).
    from jinja2 import Template

    from flows.serve import ALERT_BODY, ALERT_SUBJECT

    assert Template(ALERT_SUBJECT).render(event=event) == "fleetcast: new site us-east green -> red"
    body = Template(ALERT_BODY).render(event=event)
    assert "New site in us-east (changed): status green -> red; start a new site by" in body
    assert "2028-06-01 -> 2026-10-01" in body


def test_status_shows_each_trigger_run_s_worst_new_site_status(warehouse_path: Path) -> None:
    """`fleetcast status` counted the block triggers' red, amber and green per trigger run and
    said nothing of the new sites: a region whose "start a new site by" had passed (red) was
    not on it. The trigger runs table shows the worst new-site status and how many regions have
    it; a run stored before construction was recorded reads "not recorded", not green."""
    with warehouse.connect(warehouse_path) as wh:
        _store_forecast(wh, "f1", T0)
        _store_report(wh, "t-old", "f1", T0 + timedelta(hours=1), GREEN)
        frame = pl.concat(
            [
                _construction("us-east", "red", date(2026, 10, 1)),
                _construction("eu-west", "green", date(2029, 1, 1)),
            ]
        )
        run = _row("trigger_runs", run_id="t-new", forecast_run_id="f1")
        wh.save_run(
            "trigger_runs",
            run | {"created_at": T0 + timedelta(hours=2), "construction_recorded": True},
            _empty_frames("trigger_runs", triggers=_triggers(GREEN), construction_triggers=frame),
        )
    text = _rendered(warehouse_path)
    assert "new sites" in text
    # The table's rows: the changes line names both runs too (t-new against t-old).
    rows = {
        run: line
        for line in text.splitlines()
        for run in ("t-new", "t-old")
        if line.startswith("│") and f" {run} " in line
    }
    assert "red (1 of 2)" in rows["t-new"]
    assert "not recorded" in rows["t-old"]


def test_status_says_a_green_new_site_column_is_not_verified_where_the_notes_do(
    wh: warehouse.Warehouse,
) -> None:
    """`fleetcast status` on a 21-day fleet (its plan the 26 daily weeks alone) read "new
    sites: green (3 of 3)" for sites that take 30 months to build, while each region's note
    said "not verified past 2027-06-05: ... already past". The column says so; a green the
    horizon verifies reads as before."""
    _store_forecast(wh, "f1", T0)
    held = _construction("us-east", "green", None).with_columns(
        ceilings_mw=pl.lit(100.0),
        note=pl.lit(
            "ceilings run out: not within the horizon (...); not verified past 2027-06-05: "
            "ceilings running out the day after would have needed a new site started by "
            "2024-11-20 (30 months to build), already past"
        ),
    )
    run = _row("trigger_runs", run_id="t1", forecast_run_id="f1", created_at=T0 + DAY)
    frames = _empty_frames("trigger_runs", triggers=_triggers(GREEN), construction_triggers=held)
    wh.save_run("trigger_runs", run | {"construction_recorded": True}, frames)
    (said,) = wh.recent_trigger_runs(limit=5).get_column("new_sites").to_list()
    assert said == "green (1 of 1), not verified", said
    verified = held.with_columns(note=pl.lit("ceilings run out: not within the horizon (...)"))
    run = _row("trigger_runs", run_id="t2", forecast_run_id="f1", created_at=T0 + 2 * DAY)
    frames = _empty_frames(
        "trigger_runs", triggers=_triggers(GREEN), construction_triggers=verified
    )
    wh.save_run("trigger_runs", run | {"construction_recorded": True}, frames)
    assert wh.recent_trigger_runs(limit=1).get_column("new_sites").to_list() == ["green (1 of 1)"]


def test_status_counts_a_training_pool_no_demand_was_measured_for_apart(
    wh: warehouse.Warehouse,
) -> None:
    """An inference-only fleet: `fleetcast status` counted its training pools, zero demand
    against zero capacity, among "2 green" where the pages say they are not verified. The
    count sets them apart; a run without such a pool reads as before."""
    _store_forecast(wh, "f1", T0)
    statuses = {("us-east", "all"): "green", ("us-east", "training"): "green"}
    flagged = _triggers(statuses).with_columns(unmeasured_training=pl.col("pool") == "training")
    run = _row("trigger_runs", run_id="t1", forecast_run_id="f1", created_at=T0 + DAY)
    wh.save_run("trigger_runs", run, _empty_frames("trigger_runs", triggers=flagged))
    (row,) = wh.recent_trigger_runs(limit=5).select("green", "green_not_verified").rows()
    assert row == (1, 1)  # flows.status shows "1, 1 not verified"
    plain = _triggers(statuses).with_columns(unmeasured_training=pl.lit(False))
    run = _row("trigger_runs", run_id="t2", forecast_run_id="f1", created_at=T0 + 2 * DAY)
    wh.save_run("trigger_runs", run, _empty_frames("trigger_runs", triggers=plain))
    (row,) = wh.recent_trigger_runs(limit=1).select("green", "green_not_verified").rows()
    assert row == (2, 0)


def test_status_counts_a_new_site_region_no_demand_was_measured_in_as_not_judged(
    wh: warehouse.Warehouse,
) -> None:
    """A plan with a site in a region without telemetry: `fleetcast status` read its new-site
    column "green (2 of 2)" where the pages said that region was not judged. Its stored row
    reads "not judged" now, and the column counts it apart: "green (1 of 2), 1 not judged"."""
    _store_forecast(wh, "f1", T0)
    rows = pl.concat(
        [
            _construction("us-east", "green", None).with_columns(ceilings_mw=pl.lit(100.0)),
            _construction("eu-north", "not judged", None).with_columns(ceilings_mw=pl.lit(50.0)),
        ]
    )
    run = _row("trigger_runs", run_id="t1", forecast_run_id="f1", created_at=T0 + DAY)
    frames = _empty_frames("trigger_runs", triggers=_triggers(GREEN), construction_triggers=rows)
    wh.save_run("trigger_runs", run | {"construction_recorded": True}, frames)
    (said,) = wh.recent_trigger_runs(limit=5).get_column("new_sites").to_list()
    assert said == "green (1 of 2), 1 not judged", said
    alone = rows.filter(pl.col("region") == "eu-north")
    run = _row("trigger_runs", run_id="t2", forecast_run_id="f1", created_at=T0 + 2 * DAY)
    frames = _empty_frames("trigger_runs", triggers=_triggers(GREEN), construction_triggers=alone)
    wh.save_run("trigger_runs", run | {"construction_recorded": True}, frames)
    (said,) = wh.recent_trigger_runs(limit=1).get_column("new_sites").to_list()
    assert said == "not judged (1 of 1)", said
