"""The decision backtest on a hand-built history whose exhaustion day is known to the day.

Region r1 runs inference only on one live rack of 1,000 GPUs; every class keeps 20 % headroom.
The observed daily peak is 500 + d on day d after START, so the requirement (500 + d) / 0.8
first exceeds 1,000 on d = 301: EXHAUSTION. The one candidate is a 250-GPU rack with an
8-week lead time, and the buffer is 4 weeks, so an order must be placed 84 days before it.
A replay's forecast is the truth itself (a perfect forecast) unless a test says otherwise, so
every verdict below follows from the rules alone.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from forecasting import decisions, warehouse
from forecasting.capacity import CapacityPlan
from forecasting.contracts import Contract, ContractBook, ContractStatus, Step
from forecasting.decisions import (
    DECISION_REPLAYS_SCHEMA,
    Replayed,
    Verdict,
    actual_exhaustion,
    as_of_days,
    judge_replay,
    plan_as_of,
    score_replay,
)
from forecasting.options import DecisionOptions, every_days
from forecasting.schema import WorkloadClass
from forecasting.triggers import TriggerSettings, expansion_triggers

START = date(2025, 1, 6)
DAYS = 500
EXHAUSTION = START + timedelta(days=301)
LEAD_DAYS, BUFFER_DAYS = 56, 28
RACK = {"name": "rack-c", "kind": "rack", "gpu_type": "H100", "gpus": 250, "mw": 0.4,
        "lead_time_weeks": 8, "capex_usd": 8e6}  # fmt: skip
Peak = Callable[[np.ndarray], np.ndarray]


def _linear(d: np.ndarray) -> np.ndarray:
    return 500.0 + d


def _block(ident: str, gpus: int, **fields: Any) -> dict[str, Any]:
    return {"id": ident, "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
            "gpus": gpus, "mw": 1.0, "status": "live", **fields}  # fmt: skip


def _plan(*extra: dict[str, Any]) -> CapacityPlan:
    policy = {
        c.value: {
            "tier": c.value,
            "priority": i + 1,
            "headroom": 0.2,
            "price_per_gpu_hour": 2.0 if c is WorkloadClass.INFERENCE else 0.0,
        }
        for i, c in enumerate(WorkloadClass)
    }
    blocks = [_block("r1-rack", 1000, in_service=START - timedelta(days=400)), *extra]
    return CapacityPlan.model_validate({"policy": policy, "block": blocks, "candidate": [RACK]})


def _history(peak: Peak = _linear, *, days: int = DAYS, first: int = 0) -> pl.DataFrame:
    """Observed demand of r1 (all of it inference) on days ``first`` to ``days - 1`` after
    START: the peak as given, the mean at 80 % of it."""
    d = np.arange(first, days, dtype=float)
    ds = [START + timedelta(days=int(i)) for i in d]
    parts = []
    for uid in ("total/r1", "total/r1/inference"):
        for measure, scale in (("peak", 1.0), ("mean", 0.8)):
            parts.append(
                pl.DataFrame({"unique_id": uid, "ds": ds, "measure": measure, "y": peak(d) * scale})
            )
    return pl.concat(parts)


def _as_forecast(history: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """The days after ``as_of`` as a forecast whose every quantile is what happened."""
    return history.filter(pl.col("ds") > as_of).select(
        "unique_id",
        "ds",
        "measure",
        model=pl.lit("truth"),
        **{c: pl.col("y") for c in ("mean", "q10", "q50", "q90", "q99")},
    )


def _judged(
    as_of: date,
    *,
    history: pl.DataFrame | None = None,
    forecast: pl.DataFrame | None = None,
    plan: CapacityPlan | None = None,
    idle_weeks: int = 52,
) -> dict[str, Any]:
    """The replay row of r1's ``all`` pool as of ``as_of`` (perfect forecast by default)."""
    history = _history() if history is None else history
    plan = _plan() if plan is None else plan
    frame = _as_forecast(history, as_of=as_of) if forecast is None else forecast
    triggers = decisions.replayed_triggers(
        expansion_triggers(
            frame, plan_as_of(plan, as_of), as_of=as_of, settings=TriggerSettings(buffer_weeks=4)
        )
    )
    end = frame.get_column("ds").max()
    assert isinstance(end, date)
    replays = judge_replay(
        Replayed(as_of, triggers, end, 0.0),
        series=history,
        plan=plan,
        options=DecisionOptions(first_as_of=as_of, idle_weeks=idle_weeks),
    )
    rows = replays.filter(pl.col("pool") == "all")
    assert rows.height == 1
    return rows.row(0, named=True)


def _requirement(day: date) -> float:
    return (500.0 + (day - START).days) / 0.8


@pytest.mark.parametrize("ahead", [LEAD_DAYS + BUFFER_DAYS, LEAD_DAYS + BUFFER_DAYS + 60, 150])
def test_order_placed_lead_time_and_buffer_ahead_is_in_time(ahead: int) -> None:
    """Replays at least lead time + buffer before the known exhaustion day are in time."""
    row = _judged(EXHAUSTION - timedelta(days=ahead))
    assert row["forecast_exhaustion"] == EXHAUSTION
    assert row["actual_exhaustion"] == EXHAUSTION
    assert row["order_by"] == EXHAUSTION - timedelta(days=LEAD_DAYS + BUFFER_DAYS)
    assert row["status"] == "green"
    assert row["verdict"] == Verdict.IN_TIME
    assert row["days_late"] == 0 and row["unmet_gpu_hours"] == 0.0
    assert row["arrives"] == EXHAUSTION - timedelta(days=BUFFER_DAYS)


def test_order_inside_the_buffer_still_arrives_in_time() -> None:
    """Inside the buffer (amber) the order, placed on the as-of day, still arrives first."""
    row = _judged(EXHAUSTION - timedelta(days=LEAD_DAYS + 10))
    assert row["status"] == "amber"
    assert row["verdict"] == Verdict.IN_TIME
    assert row["arrives"] == EXHAUSTION - timedelta(days=10)


def test_replay_too_late_is_late_by_the_right_days_and_gpu_hours() -> None:
    """Less than the lead time ahead: late by arrival - exhaustion; unmet summed over them."""
    as_of = EXHAUSTION - timedelta(days=30)
    row = _judged(as_of)
    arrives = as_of + timedelta(days=LEAD_DAYS)
    assert row["verdict"] == Verdict.LATE
    assert row["days_late"] == (arrives - EXHAUSTION).days == 26
    short = [
        _requirement(EXHAUSTION + timedelta(days=i)) - 1000.0
        for i in range((arrives - EXHAUSTION).days)
    ]
    assert row["unmet_gpu_hours"] == pytest.approx(24 * sum(short))
    assert row["revenue_lost_usd"] == pytest.approx(2.0 * row["unmet_gpu_hours"])


def test_flat_history_needs_no_order_and_raises_no_alarm() -> None:
    """A flat history never runs short: no order needed, no false alarm, nothing idle."""
    history = _history(lambda d: np.full_like(d, 600.0))
    row = _judged(START + timedelta(days=100), history=history)
    assert row["forecast_exhaustion"] is None and row["actual_exhaustion"] is None
    assert row["verdict"] == Verdict.NO_ORDER_NEEDED
    assert row["idle_capital_usd"] is None
    assert "censored" in row["note"]


def _rising_then_falling(d: np.ndarray) -> np.ndarray:
    """Grows like the linear history to day 150, then falls back to 500."""
    return np.where(d <= 150, 500.0 + d, np.maximum(650.0 - 2 * (d - 150), 500.0))


def test_trigger_on_demand_that_then_falls_is_a_false_alarm_with_idle_capital() -> None:
    """The forecast keeps the growth, demand falls: a false alarm; the order stands idle whole."""
    as_of = START + timedelta(days=150)
    forecast = _as_forecast(_history(), as_of=as_of)  # what the rising trend promised
    row = _judged(as_of, history=_history(_rising_then_falling), forecast=forecast)
    assert row["forecast_exhaustion"] == EXHAUSTION
    assert row["actual_exhaustion"] is None
    assert row["verdict"] == Verdict.FALSE_ALARM
    blocks = row["blocks_to_order"]
    assert blocks > 0
    arrives = row["arrives"]
    idle_days = min(52 * 7, (START + timedelta(days=DAYS - 1) - arrives).days + 1)
    assert row["idle_gpu_months"] == pytest.approx(blocks * 250 * idle_days / (365.25 / 12))
    assert row["idle_capital_usd"] == pytest.approx(blocks * 8e6)


def test_data_ending_before_the_forecast_exhaustion_is_not_verified() -> None:
    """With no shortfall yet and the data ending before the forecast date: censored."""
    as_of = START + timedelta(days=150)
    forecast = _as_forecast(_history(), as_of=as_of)
    row = _judged(as_of, history=_history(days=250), forecast=forecast)
    assert row["actual_exhaustion"] is None
    assert row["verdict"] == Verdict.NOT_VERIFIED
    assert "censored" in row["note"]
    assert row["idle_capital_usd"] is None


def test_forecast_that_misses_a_real_exhaustion_is_a_miss_not_late() -> None:
    """No exhaustion forecast, yet the capacity ran short within the horizon: a miss, its own
    verdict (it was counted as "late", beside orders that were placed and arrived late)."""
    as_of = START + timedelta(days=250)
    flat = _as_forecast(_history(lambda d: np.full_like(d, 600.0)), as_of=as_of)
    row = _judged(as_of, forecast=flat)
    assert row["verdict"] == Verdict.MISSED
    assert row["days_late"] is None
    assert row["note"].startswith("missed")
    expected = sum(_requirement(EXHAUSTION + timedelta(days=i)) - 1000.0 for i in range(LEAD_DAYS))
    assert row["unmet_gpu_hours"] == pytest.approx(24 * expected)


def test_replay_without_later_data_is_not_verified() -> None:
    """An as-of day on the data's last day has nothing to be judged against."""
    plan = _plan()
    history = _history()
    last = START + timedelta(days=DAYS - 1)
    triggers = expansion_triggers(
        _as_forecast(_history(days=DAYS + 30), as_of=last), plan, as_of=last
    ).triggers
    known = decisions.actual_pools(history, plan, as_of=last)
    rows = score_replay(
        triggers, known, plan, as_of=last, data_end=last, horizon_end=last, prices={}
    )
    assert set(rows["verdict"]) == {Verdict.NOT_VERIFIED.value}
    assert rows.schema == DECISION_REPLAYS_SCHEMA


def test_actual_exhaustion_is_the_known_day_or_censored() -> None:
    """The first day the observed requirement beats capacity; null when never in the data."""
    plan = _plan()
    found = actual_exhaustion(_history(), plan, as_of=START)
    assert found.row(0, named=True)["actual_exhaustion"] == EXHAUSTION
    short = actual_exhaustion(_history(days=250), plan, as_of=START)
    assert short.row(0, named=True)["actual_exhaustion"] is None


def test_plan_as_of_keeps_what_was_in_service_or_already_ordered() -> None:
    """In service: kept (committed becomes live); ordered (in service - lead <= day): kept as
    committed; not yet ordered: removed; no matching candidate: the default lead time."""
    day = date(2026, 1, 1)
    plan = _plan(
        _block("arrived", 100, status="committed", in_service=day - timedelta(days=1)),
        _block("ordered", 100, status="committed", in_service=day + timedelta(weeks=8)),
        _block("later", 100, status="committed", in_service=day + timedelta(weeks=8, days=1)),
        _block("b200", 100, gpu_type="B200", status="committed",
               in_service=day + timedelta(weeks=26)),
        _block("b200-later", 100, gpu_type="B200", status="committed",
               in_service=day + timedelta(weeks=26, days=1)),
    )  # fmt: skip
    kept = {b.id: b.status.value for b in plan_as_of(plan, day).block}
    assert kept == {
        "r1-rack": "live",
        "arrived": "live",
        "ordered": "committed",
        "b200": "committed",
    }


def test_capacity_ordered_after_the_as_of_day_is_not_in_the_yardstick() -> None:
    """A block ordered later (by people) moves the fleet's exhaustion, not the one judged."""
    as_of = EXHAUSTION - timedelta(days=150)
    later = _block("later", 500, status="committed", in_service=EXHAUSTION - timedelta(days=20))
    row = _judged(as_of, plan=_plan(later))
    assert row["actual_exhaustion"] == EXHAUSTION
    # (500 + d) / 0.8 first beats 1,500 on d = 701, after the data ends: censored.
    assert row["fleet_exhaustion"] is None
    assert row["verdict"] == Verdict.IN_TIME


def _undated_book(*, known_on: date) -> ContractBook:
    """Two signed contracts without `announced`, ramps from START + 50 and START + 150 days,
    and one announced on START + 10 days with a ramp from START + 300."""

    def contract(cid: str, first: int, announced: date | None = None) -> Contract:
        return Contract(
            id=cid,
            customer=cid,
            workload_class=WorkloadClass.INFERENCE,
            region="r1",
            ramp=(Step(START + timedelta(days=first), 100),),
            term_end=START + timedelta(days=DAYS + 400),
            status=ContractStatus.SIGNED,
            announced=announced,
        )

    return ContractBook(
        contracts=(
            contract("early", 50),
            contract("late", 150),
            contract("told", 300, announced=START + timedelta(days=10)),
        ),
        known_on=known_on,
    )


def test_a_replay_sees_a_contract_without_announced_only_from_its_first_ramp_day() -> None:
    """A replay as of day 100 saw 'late' (ramp from day 150, no announced date) as if signed
    all along, flooring demand with a deal nobody had then; it now sees only 'early' (serving
    since day 50) and 'told' (announced on day 10), and its cache key moves when 'late' starts."""
    whole = _history()
    book = _undated_book(known_on=START + timedelta(days=DAYS - 1))
    day = START + timedelta(days=100)
    known = decisions.known_then(day, series=whole, plan=_plan(), book=book, events=None)
    assert known.book is not None
    assert [c.id for c in known.book.contracts] == ["early", "told"]
    after = decisions.known_then(
        START + timedelta(days=150), series=whole, plan=_plan(), book=book, events=None
    )
    assert after.book is not None
    assert [c.id for c in after.book.contracts] == ["early", "late", "told"]


def test_the_backtest_says_from_when_it_counts_each_contract_without_announced() -> None:
    """Nothing said a replay counted a contract with no `announced` date from some day: the
    note names the rule and, per such contract, the replays it is in."""
    book = _undated_book(known_on=START + timedelta(days=DAYS - 1))
    as_ofs = [START + timedelta(days=d) for d in (40, 100, 200)]
    assert decisions.undated_contracts_note(book, as_ofs) == (
        "2 contracts have no announced date: a replay counts each from its first ramp day, "
        "the latest it can have been signed (an amendment made later shows from that day "
        "too: give it `announced`): early from 2025-02-25 (in 2 of 3 replays), late from "
        "2025-06-05 (in 1 of 3 replays)"
    )
    told = ContractBook(contracts=book.contracts[2:], known_on=book.known_on)
    assert decisions.undated_contracts_note(told, as_ofs) == ""


def test_known_then_cuts_the_inputs_and_digests_their_content() -> None:
    """Only what was known on the day is kept, and equal content gives an equal cache key
    however the frames were built; new telemetry after the day leaves the key as it was."""
    plan = _plan(_block("later", 100, status="committed", in_service=START + timedelta(days=400)))
    day = START + timedelta(days=100)
    whole = _history()
    known = decisions.known_then(day, series=whole, plan=plan, book=None, events=None)
    assert known.series["ds"].max() == day
    assert [b.id for b in known.plan.block] == ["r1-rack"]
    rebuilt = pl.concat([whole.slice(0, 7), whole.slice(7)], rechunk=False)
    again = decisions.known_then(day, series=rebuilt, plan=plan, book=None, events=None)
    longer = decisions.known_then(
        day, series=_history(days=DAYS + 50), plan=plan, book=None, events=None
    )
    assert known.digest() == again.digest() == longer.digest()
    changed = whole.with_columns(
        pl.col("y") + pl.when(pl.col("ds") == day).then(1.0).otherwise(0.0)
    )
    other = decisions.known_then(day, series=changed, plan=plan, book=None, events=None)
    assert other.digest() != known.digest()


def test_as_of_days_and_intervals() -> None:
    """Every N days from the first through the last; 4w and 28d are both 28 days."""
    assert every_days("4w") == every_days("28d") == 28
    with pytest.raises(ValueError, match="4w"):
        every_days("monthly")
    days = as_of_days(date(2026, 1, 1), every=28, until=date(2026, 3, 26))
    assert days == [date(2026, 1, 1), date(2026, 1, 29), date(2026, 2, 26), date(2026, 3, 26)]


def test_replay_days_name_what_is_wrong_with_the_range() -> None:
    """An --until before --from says so (it read as a --from outside the data); a --from after
    the data or before it names the data's span; an --until on or after the data's last day is
    refused (it replayed as-of days with no telemetry after them, on the same data)."""
    series = pl.DataFrame({"ds": [date(2026, 1, 1), date(2026, 6, 30)]})
    days, end = decisions.replay_days(series, DecisionOptions(first_as_of=date(2026, 3, 1)))
    assert (
        days[0] == date(2026, 3, 1) and days[-1] <= date(2026, 6, 29) and end == date(2026, 6, 30)
    )
    cases = [
        (
            DecisionOptions(first_as_of=date(2026, 5, 1), until=date(2026, 4, 1)),
            "--until 2026-04-01 is before --from 2026-05-01",
        ),
        (DecisionOptions(first_as_of=date(2026, 8, 1)), "the data runs 2026-01-01 to 2026-06-30"),
        (DecisionOptions(first_as_of=date(2025, 8, 1)), "before the data starts (2026-01-01)"),
        (
            DecisionOptions(first_as_of=date(2026, 5, 1), until=date(2026, 9, 1)),
            "--until 2026-09-01 is not before the data ends (2026-06-30)",
        ),
    ]
    for options, said in cases:
        with pytest.raises(ValueError, match=re.escape(said)):
            decisions.replay_days(series, options)


def test_a_backtest_is_stored_and_read_back(tmp_path: Path) -> None:
    """The run's row holds the counts; its replays come back as stored."""
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path):
        pass
    plan = _plan()
    history = _history()
    rows = []
    for ahead in (150, 30):
        as_of = EXHAUSTION - timedelta(days=ahead)
        frame = _as_forecast(history, as_of=as_of)
        triggers = expansion_triggers(frame, plan, as_of=as_of).triggers
        end = frame.get_column("ds").max()
        assert isinstance(end, date)
        rows.append(
            judge_replay(
                Replayed(as_of, triggers, end, 0.0),
                series=history,
                plan=plan,
                options=DecisionOptions(first_as_of=as_of),
            )
        )
    replays = pl.concat(rows)
    run = decisions.store_decisions(
        path,
        replays,
        options=DecisionOptions(first_as_of=EXHAUSTION - timedelta(days=150)),
        as_ofs=[EXHAUSTION - timedelta(days=150), EXHAUSTION - timedelta(days=30)],
        data_end=START + timedelta(days=DAYS - 1),
        seconds=1.0,
    )
    assert run.counts["in_time"] == 1 and run.counts["late"] == 1
    with warehouse.connect(path, read_only=True) as wh:
        stored, frame = decisions.stored_decisions(wh)
    assert stored["run_id"] == run.run_id and stored["late"] == 1
    assert frame.height == replays.height
    assert run.unmet_gpu_hours > 0
    assert stored["unmet_gpu_hours"] == pytest.approx(run.unmet_gpu_hours)
    page = decisions.publish_page(path, tmp_path / "reports", run).page
    assert page == tmp_path / "reports" / "decisions" / f"{run.run_id}.html"
    html = page.read_text(encoding="utf-8")
    assert "Would we have ordered in time?" in html
    assert "r1 · all: 1 in time, 1 late; worst 26 days late" in html
    assert page.stat().st_size < 3_000_000
    assert (page.parent / "plotly.min.js").is_file()


def test_one_replay_end_to_end_fires_in_time() -> None:
    """A real (cheap) forecast of the linear history, 150 days ahead, orders in time.

    The history starts 300 days before START: the growth models need six 28-day blocks
    before they fit a trend (a younger series is forecast flat, and would miss).
    """
    history = _history(lambda d: 500.0 + d + 20 * np.sin(2 * np.pi * d / 7), first=-300)
    as_of = EXHAUSTION - timedelta(days=150)
    options = DecisionOptions(
        first_as_of=as_of, n_paths=20, n_cutoffs=1, horizon_days=56, horizon_months=12
    )
    replayed = decisions.replay_as_of(
        as_of, series=history, plan=_plan(), book=None, events=None, options=options
    )
    row = (
        judge_replay(replayed, series=history, plan=_plan(), options=options)
        .filter(pl.col("pool") == "all")
        .row(0, named=True)
    )
    assert row["forecast_exhaustion"] is not None
    assert row["verdict"] == Verdict.IN_TIME, row["note"]


@pytest.mark.slow
def test_three_replays_on_a_small_synthetic_fleet(
    fleet: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fleetcast backtest-decisions` replays three as-of days, stores them and the page."""
    import shutil

    from flows.cli import main

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    path = tmp_path / "w.duckdb"
    shutil.copy(fleet.warehouse, path)
    with warehouse.connect(path, read_only=True) as wh:
        last = wh.query("SELECT max(ts)::DATE AS d FROM telemetry").item()
    first = last - timedelta(days=90)
    argv = ["--warehouse", str(path), "--capacity", str(fleet.capacity)]
    argv += ["--reports", str(tmp_path / "reports"), "backtest-decisions"]
    argv += ["--from", str(first), "--every", "4w", "--until", str(first + timedelta(days=56))]
    assert main([*argv, "--paths", "20", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "decision backtest" in out and "3 as-of days" in out
    with warehouse.connect(path, read_only=True) as wh:
        row, replays = decisions.stored_decisions(wh)
    assert len(row["as_ofs"]) == 3
    assert replays.height == 3 * replays.select("region", "pool").unique().height
    counts = decisions.decision_counts(replays)
    assert sum(counts.values()) == replays.height
    assert all(row[v.value] == counts[v.value] for v in decisions.STORED_COUNTS)
    assert (tmp_path / "reports" / "decisions" / f"{row['run_id']}.html").is_file()


@pytest.mark.parametrize(
    ("after", "verdict"), [(13, Verdict.NOT_VERIFIED), (28, Verdict.FALSE_ALARM)]
)
def test_an_alarm_is_false_only_once_the_data_passes_its_date_by_the_buffer(
    after: int, verdict: Verdict
) -> None:
    """Demand falls before the forecast exhaustion and the data ends ``after`` days past it:
    13 days are inside the 4-week safety buffer, where a shortfall can still come as early as
    the buffer allows for (it read "false alarm" before), 28 days are not."""
    as_of = START + timedelta(days=150)
    forecast = _as_forecast(_history(), as_of=as_of)
    days = (EXHAUSTION - START).days + after + 1
    row = _judged(as_of, history=_history(_rising_then_falling, days=days), forecast=forecast)
    assert row["forecast_exhaustion"] == EXHAUSTION and row["actual_exhaustion"] is None
    assert row["verdict"] == verdict
    if verdict is Verdict.NOT_VERIFIED:
        assert "within the 4-week safety buffer" in row["note"]
        assert row["idle_capital_usd"] is None


def _covered_later() -> CapacityPlan:
    """The plan plus 1,000 GPUs ordered before the as-of days below and in service 20 days
    after EXHAUSTION: sooner than any order placed then could land, so the triggers say red
    with nothing to order (the shortfall until then is absorbed)."""
    block = _block("coming", 1000, status="committed", in_service=EXHAUSTION + timedelta(days=20))
    return _plan(block)


def test_a_red_trigger_with_nothing_to_order_that_ran_short_is_not_late() -> None:
    """Nothing to order: the forecast shortfall came, but there is no order to be late, no
    in-service date, no days late and no unmet or idle figures (it read "late, 26 days")."""
    row = _judged(EXHAUSTION - timedelta(days=30), plan=_covered_later())
    assert row["status"] == "red" and row["blocks_to_order"] == 0
    assert row["actual_exhaustion"] == EXHAUSTION
    assert row["verdict"] == Verdict.NOTHING_ORDERED
    assert row["arrives"] is None and row["order_by"] is None
    assert row["days_late"] is None and row["unmet_gpu_hours"] is None
    assert row["idle_capital_usd"] is None
    assert f"came on {EXHAUSTION}" in row["note"] and "nothing to order" in row["note"]


def _fell_after(day: int) -> Peak:
    """The linear peak to ``day``, then back at 500 GPUs: the shortfall forecast never comes."""
    return lambda d: np.where(d <= day, 500.0 + d, 500.0)


@pytest.mark.parametrize(
    ("after", "verdict"), [(13, Verdict.NOT_VERIFIED), (28, Verdict.NOT_BORNE_OUT)]
)
def test_a_red_trigger_with_nothing_to_order_that_did_not_run_short_is_not_borne_out(
    after: int, verdict: Verdict
) -> None:
    """Nothing ordered and demand fell: the red's shortfall never came in data reaching past
    its date by the buffer, yet it read "nothing ordered" beside those whose shortfall came,
    and the counts said nothing of a wrong call. It is "not borne out" (no capital was called
    for: not a false alarm, no order-by, days late or idle); with the data ending inside the
    buffer it stays not verified."""
    as_of = EXHAUSTION - timedelta(days=30)
    forecast = _as_forecast(_history(), as_of=as_of)
    days = (EXHAUSTION - START).days + after + 1
    history = _history(_fell_after(260), days=days)
    row = _judged(as_of, history=history, forecast=forecast, plan=_covered_later())
    assert row["status"] == "red" and row["blocks_to_order"] == 0
    assert row["actual_exhaustion"] is None
    assert row["verdict"] == verdict
    assert row["order_by"] is None and row["arrives"] is None and row["in_service"] is None
    assert row["days_late"] is None and row["unmet_gpu_hours"] is None
    assert row["idle_capital_usd"] is None and row["idle_gpu_months"] is None
    if verdict is Verdict.NOT_VERIFIED:
        assert "within the 4-week safety buffer" in row["note"]
        return
    assert row["note"].startswith(
        f"not borne out: the red call forecast a shortfall from {EXHAUSTION}, and the capacity "
        f"known then did not run short in the data to {row['data_end']}, {after} days past it"
    )
    assert "nothing to order" in row["note"]


def test_a_red_with_nothing_to_order_short_at_the_monthly_grain_only_is_not_verified() -> None:
    """A trigger short on a monthly row only forecast no dated shortfall: with nothing to
    order and demand that fell, it is not verified, as a false alarm on it is, not "not borne
    out"; one whose shortfall came stays "nothing ordered", its note saying the grain."""
    as_of = EXHAUSTION - timedelta(days=30)
    plan = _covered_later()

    def scored(history: pl.DataFrame) -> dict[str, Any]:
        forecast = _as_forecast(_history(), as_of=as_of)
        said = expansion_triggers(forecast, plan_as_of(plan, as_of), as_of=as_of).triggers
        monthly = said.with_columns(status=pl.lit("amber"), monthly_only=pl.lit(True))
        end = forecast.get_column("ds").max()
        assert isinstance(end, date)
        rows = judge_replay(
            Replayed(as_of, monthly, end, 0.0),
            series=history,
            plan=plan,
            options=DecisionOptions(first_as_of=as_of),
        )
        return rows.filter(pl.col("pool") == "all").row(0, named=True)

    fell = scored(_history(_fell_after(260)))
    assert fell["blocks_to_order"] == 0 and fell["actual_exhaustion"] is None
    assert fell["verdict"] == Verdict.NOT_VERIFIED
    assert fell["note"].startswith(
        f"not verified: forecast short at the monthly grain only ({EXHAUSTION:%B %Y})"
    )
    came = scored(_history())
    assert came["verdict"] == Verdict.NOTHING_ORDERED
    assert came["note"].startswith(f"forecast short at the monthly grain only ({EXHAUSTION:%B %Y})")


def test_an_order_wholly_idle_over_its_judged_window_is_not_in_time() -> None:
    """In service before the shortfall, but not one day of the judged window short: the whole
    order stood idle, so it is "not needed yet", not "in time" beside its idle capital."""
    row = _judged(EXHAUSTION - timedelta(days=150), idle_weeks=2)
    assert row["arrives"] == EXHAUSTION - timedelta(days=BUFFER_DAYS)
    assert row["verdict"] == Verdict.NOT_NEEDED_YET
    assert row["days_late"] is None
    blocks = row["blocks_to_order"]
    assert row["idle_capital_usd"] == pytest.approx(blocks * 8e6)


@pytest.mark.parametrize("idle_weeks", [26, 52])
def test_an_order_the_shortfall_used_only_part_of_says_it_was_oversized(idle_weeks: int) -> None:
    """The forecast grew ten times faster after EXHAUSTION than demand did: the order arrives
    in time and the shortfall in the data uses one rack of it. Judged over its full window
    (26 weeks of the 227 days of data after arrival) it is oversized; over a window the data
    end cut short (52 weeks), whether the rest was needed later is not verified."""
    as_of = EXHAUSTION - timedelta(days=150)
    steep = _history(lambda d: np.where(d <= 301, 500.0 + d, 801.0 + 10 * (d - 301)))
    row = _judged(as_of, forecast=_as_forecast(steep, as_of=as_of), idle_weeks=idle_weeks)
    blocks = row["blocks_to_order"]
    assert row["verdict"] == Verdict.IN_TIME and blocks > 2
    used = f"the shortfall used at most 1 of the {blocks} blocks over those days"
    assert used in row["note"]
    if idle_weeks == 26:
        assert f"oversized: {used}, {blocks - 1} never" in row["note"]
    else:
        assert "oversized" not in row["note"] and "is not verified" in row["note"]


def test_a_replay_on_short_history_is_flagged_and_an_overdue_order_reads_so() -> None:
    """A region with under 168 days of telemetry has its rows flagged; an order-by date before
    the as-of day reads "overdue as of", not as a plan."""
    as_of = START + timedelta(days=100)
    steep = _history(lambda d: 500.0 + 5 * d)
    row = _judged(as_of, history=steep)
    assert row["note"].startswith("short history: 101 days of telemetry")
    assert row["order_by"] < as_of
    assert decisions.order_by_text(row["order_by"], as_of=as_of) == (
        f"overdue as of {as_of} (due {row['order_by']})"
    )
    assert "overdue" in row["note"]
    grown = _judged(START + timedelta(days=200), history=steep)
    assert "short history" not in grown["note"]
    assert decisions.order_by_text(as_of, as_of=as_of) == as_of.isoformat()


def test_a_short_history_is_a_field_a_reworded_note_cannot_change() -> None:
    """The page's and the CLI's short-history warning read the days back from the flag's
    words: reworded, a replay on 101 days of telemetry would read as the tool's considered
    call. The days are stored (``history_days``) and read alone (a row stored before them
    gets them from its note's words in migration 34)."""
    as_of = START + timedelta(days=100)
    row = _judged(as_of, history=_history(lambda d: 500.0 + 5 * d))
    assert row["history_days"] == 101
    reworded = row | {"note": row["note"].replace("short history", "young region")}
    grown = _judged(START + timedelta(days=200)) | {"as_of": START + timedelta(days=200)}
    frame = pl.DataFrame([reworded, grown], schema=DECISION_REPLAYS_SCHEMA, orient="row")
    assert decisions.short_history_as_ofs(frame) == {as_of: 101}


def _replay_rows(as_of: date, *, plan: CapacityPlan, forecast: pl.DataFrame) -> pl.DataFrame:
    """Every replay row of r1 as of ``as_of`` on the linear history."""
    history = _history()
    triggers = expansion_triggers(forecast, plan_as_of(plan, as_of), as_of=as_of).triggers
    end = forecast.get_column("ds").max()
    assert isinstance(end, date)
    return judge_replay(
        Replayed(as_of, triggers, end, 0.0),
        series=history,
        plan=plan,
        options=DecisionOptions(first_as_of=as_of),
    )


def test_counts_page_and_table_keep_misses_and_empty_orders_apart(tmp_path: Path) -> None:
    """A miss, a trigger with nothing to order and a late order are three counts on the page
    and in the CLI table (the page said "2 late (or missed)" and gave the empty order an
    in-service date), in words (the CLI printed "nothing_ordered"); an overdue order-by date
    reads as such; short history is warned of."""
    from rich.console import Console

    from flows.tables import decisions_tables

    path = tmp_path / "w.duckdb"
    with warehouse.connect(path):
        pass
    history = _history()
    late = EXHAUSTION - timedelta(days=30)
    missed = START + timedelta(days=250)
    nothing = EXHAUSTION - timedelta(days=29)
    flat = _as_forecast(_history(lambda d: np.full_like(d, 600.0)), as_of=missed)
    replays = pl.concat(
        [
            _replay_rows(late, plan=_plan(), forecast=_as_forecast(history, as_of=late)),
            _replay_rows(missed, plan=_plan(), forecast=flat),
            _replay_rows(
                nothing, plan=_covered_later(), forecast=_as_forecast(history, as_of=nothing)
            ),
        ]
    ).filter(pl.col("pool") == "all")
    run = decisions.store_decisions(
        path,
        replays,
        options=DecisionOptions(first_as_of=missed),
        as_ofs=sorted(replays["as_of"]),
        data_end=START + timedelta(days=DAYS - 1),
        seconds=1.0,
    )
    assert {k: v for k, v in run.counts.items() if v} == {
        "late": 1,
        "missed": 1,
        "nothing_ordered": 1,
    }
    with warehouse.connect(path, read_only=True) as wh:
        stored, _ = decisions.stored_decisions(wh)
    assert stored["late"] == 1
    html = decisions.publish_page(path, tmp_path / "reports", run).page
    assert html is not None
    text = html.read_text(encoding="utf-8")
    assert '<div class="big">1</div><div class="label">orders late</div>' in text
    assert '<div class="big">1</div><div class="label">missed (no trigger, ran short)' in text
    assert '<div class="big">1</div><div class="label">nothing ordered (ran short)' in text
    assert "late (or missed)" not in text
    assert f"overdue as of {late.isoformat()}" in text
    assert "short history" not in text.split("How the verdicts")[0]
    console = Console(width=400, record=True)
    for table in decisions_tables(run):
        console.print(table)
    out = console.export_text()
    # Verdicts in words, as the summary's columns name them (it printed "nothing_ordered").
    assert "missed" in out and "nothing ordered" in out and "nothing_ordered" not in out
    assert f"overdue as of {late}" in out


def test_a_red_not_borne_out_is_counted_apart_alike_on_the_page_and_the_cli(
    tmp_path: Path,
) -> None:
    """Two reds with nothing to order, one whose shortfall came and one whose shortfall never
    did: the CLI's summary read "nothing ordered 2" and the page "2 (1)", the wrong call
    counted with the right one. Each is its own count, read from the verdicts, in the CLI's
    summary and replay rows, on the page's cards, in its table and its rules; both judged."""
    came_on = EXHAUSTION - timedelta(days=30)
    fell_on = EXHAUSTION - timedelta(days=29)
    came = _judged(came_on, plan=_covered_later())
    fell = _judged(
        fell_on,
        history=_history(_fell_after(260)),
        forecast=_as_forecast(_history(), as_of=fell_on),
        plan=_covered_later(),
    )
    assert (came["verdict"], fell["verdict"]) == (Verdict.NOTHING_ORDERED, Verdict.NOT_BORNE_OUT)
    path = tmp_path / "w.duckdb"
    run = decisions.store_decisions(
        path,
        pl.DataFrame([came, fell], schema=DECISION_REPLAYS_SCHEMA, orient="row"),
        options=DecisionOptions(first_as_of=came_on),
        as_ofs=[came_on, fell_on],
        data_end=START + timedelta(days=DAYS - 1),
        seconds=1.0,
    )
    assert {k: v for k, v in run.counts.items() if v} == {"nothing_ordered": 1, "not_borne_out": 1}
    page = decisions.publish_page(path, tmp_path / "reports", run).page
    assert page is not None
    text = html.unescape(page.read_text(encoding="utf-8"))
    cards = dict(
        (label, big)
        for big, label in re.findall(
            r'<div class="big">([^<]*)</div><div class="label">([^<]*)</div>', text
        )
    )
    assert cards["nothing ordered (ran short)"] == "1"
    assert cards["not borne out (nothing ordered, never short)"] == "1"
    assert cards["false alarms"] == "0"
    assert cards["judged / not verified"] == "2 / 0"
    table = text.split("How the verdicts")[0]
    assert ">not borne out<" in table and ">nothing ordered<" in table
    assert "Not borne out:" in text.split("How the verdicts")[1]
    from flows.tables import decisions_tables

    summary, rows = decisions_tables(run)
    cells = {str(c.header): [str(x) for x in c.cells] for c in summary.columns}
    assert cells["not borne out"] == ["1"] and cells["nothing ordered"] == ["1"]
    assert cells["false alarm"] == ["0"] and cells["judged"] == ["2"]
    said = {str(c.header): [str(x) for x in c.cells] for c in rows.columns}
    assert said["verdict"] == ["nothing ordered", "not borne out"]
    # As the page's cell: the CLI's bare "censored" read as too soon to tell beside the verdict.
    end = fell["data_end"]
    assert said["ran short (actual)"] == [str(EXHAUSTION), f"censored: not by {end}"]
    assert f"censored: not by {end}" in table


def test_the_page_warns_of_as_of_days_on_short_history(tmp_path: Path) -> None:
    """An as-of day 100 days into the data is named at the top of the page."""
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path):
        pass
    as_of = START + timedelta(days=100)
    replays = _replay_rows(as_of, plan=_plan(), forecast=_as_forecast(_history(), as_of=as_of))
    assert decisions.short_history_as_ofs(replays) == {as_of: 101}
    run = decisions.store_decisions(
        path,
        replays,
        options=DecisionOptions(first_as_of=as_of),
        as_ofs=[as_of],
        data_end=START + timedelta(days=DAYS - 1),
        seconds=1.0,
    )
    page = decisions.publish_page(path, tmp_path / "reports", run).page
    assert page is not None
    glance = page.read_text(encoding="utf-8").split("What the tool said")[0]
    assert (
        "Short history: every as-of day (1 of 1) sized its orders on 101 days of history, "
        "under the 168 the growth models need"
    ) in glance
    assert f"{as_of.isoformat()} (101 days)" in glance


def test_an_order_waiting_for_its_sites_power_is_judged_from_its_power(tmp_path: Path) -> None:
    """The rack's site has no MW for it until 60 days after the known exhaustion, so it is
    dated to land 28 days before that power (not 28 days before exhaustion, to stand dark):
    it serves from then, late by 60 days with the unmet GPU-hours of those days, and the note
    says it waited for power (judged from its arrival, it read "in time"); its idle capital
    counts the days it waited whole, and the page's in-service column gives its power's day
    beside its arrival."""
    powered = EXHAUSTION + timedelta(days=60)
    site = {"id": "r1-a", "region": "r1", "energized": [{"on": START - timedelta(days=500),
            "mw": 1.0}], "contracted_mw": 4.0, "contracted_energized": powered,
            "power_lead_months": 12, "cost_per_mw_usd": 2e6}  # fmt: skip
    plan = CapacityPlan.model_validate(_plan().model_dump() | {"site": [site]})
    row = _judged(EXHAUSTION - timedelta(days=150), plan=plan)
    assert row["arrives"] == powered - timedelta(days=BUFFER_DAYS)
    assert row["verdict"] == Verdict.LATE and row["days_late"] == 60
    assert (
        f"in service {powered} (it arrives {row['arrives']} and waits for its site's power)"
        in (row["note"])
    )
    short = [_requirement(EXHAUSTION + timedelta(days=i)) - 1000.0 for i in range(60)]
    assert row["unmet_gpu_hours"] == pytest.approx(24 * sum(short))
    # Unpowered, it served nothing: the 28 days it waited count wholly idle (judged from its
    # arrival, the shortfall read as using it from its arrival).
    assert row["in_service"] == powered
    waited = (powered - row["arrives"]).days
    assert f"the first {waited} waiting for its site's power (wholly idle)" in row["note"]
    ordered = next(c.gpus for c in plan.candidate if c.name == row["candidate"])
    judged = (row["data_end"] - row["arrives"]).days + 1
    served = [
        min(max(_requirement(powered + timedelta(days=i)) - 1000.0, 0.0), ordered)
        for i in range(judged - waited)
    ]
    assert row["idle_gpu_months"] == pytest.approx((judged * ordered - sum(served)) / (365.25 / 12))
    path = tmp_path / "w.duckdb"
    run = decisions.store_decisions(
        path,
        pl.DataFrame([row], schema=DECISION_REPLAYS_SCHEMA, orient="row"),
        options=DecisionOptions(first_as_of=row["as_of"]),
        as_ofs=[row["as_of"]],
        data_end=row["data_end"],
        seconds=1.0,
    )
    page = decisions.publish_page(path, tmp_path / "reports", run).page
    assert page is not None
    cell = f"{powered.isoformat()} (arrives {row['arrives'].isoformat()}, waits for its site"
    assert cell in page.read_text(encoding="utf-8")


def test_idle_totals_count_the_orders_whose_idle_was_not_measured() -> None:
    """Two false alarms whose orders arrive after the data read "$0 idle capital" and "0 idle
    GPU-months" as if measured: the totals say how many orders they leave out."""
    from forecasting.report.pages.decisions import _cards

    def replay(verdict: str, blocks: int, idle: float | None) -> dict[str, Any]:
        row: dict[str, Any] = dict.fromkeys(decisions.DECISION_REPLAYS_SCHEMA.names())
        return row | {"verdict": verdict, "blocks_to_order": blocks, "idle_capital_usd": idle}

    replays = pl.DataFrame(
        [
            replay("false_alarm", 4, None),
            replay("false_alarm", 2, None),
            replay("in_time", 3, 1e6),
            replay("not_verified", 5, None),
            replay("no_order_needed", 0, None),
        ],
        schema=decisions.DECISION_REPLAYS_SCHEMA,
        orient="row",
    )
    assert decisions.idle_not_verified(replays) == 2
    run = {"idle_capital_usd": 1e6, "idle_gpu_months": 3.0, "unmet_gpu_hours": 0.0}
    cards = dict(_cards(run | {"revenue_lost_usd": None}, replays))
    said = " (+ 2 order(s) not verified: they arrive after the data)"
    assert cards["idle capital, as if ordered (sum of replays)"].endswith(said)
    assert cards["idle GPU-months (sum)"] == "3" + said


def test_a_forecast_exhaustion_on_a_monthly_row_reads_as_its_month() -> None:
    """The backtest printed an exhaustion on the replay's monthly rows as "2027-09-01", read
    as a forecast day where it stood for September: past the daily days the page and the CLI
    read "Sep 2027"; within them, the day."""
    from rich.console import Console

    from flows.tables import decisions_tables
    from forecasting.report.pages.decisions import _replays_table

    as_of = date(2027, 1, 4)
    within = as_of + timedelta(days=182)

    def replay(exhaustion: date) -> dict[str, Any]:
        row: dict[str, Any] = dict.fromkeys(decisions.DECISION_REPLAYS_SCHEMA.names())
        return row | {
            "as_of": as_of, "region": "r1", "pool": "all", "status": "green",
            "forecast_exhaustion": exhaustion, "verdict": "not_verified", "blocks_to_order": 0,
            "data_end": within,
        }  # fmt: skip

    replays = pl.DataFrame(
        [replay(date(2027, 9, 1)), replay(within)],
        schema=decisions.DECISION_REPLAYS_SCHEMA,
        orient="row",
    )
    page = _replays_table(replays, daily_days=182)
    assert [row[4] for row in page.rows] == ["Sep 2027", within.isoformat()]
    run = decisions.DecisionRun(
        run_id="d", as_ofs=[as_of], data_end=within, counts={}, unmet_gpu_hours=0.0,
        revenue_lost_usd=None, idle_gpu_months=0.0, idle_capital_usd=0.0, seconds=1.0,
        replays=replays.to_dicts(), daily_days=182,
    )  # fmt: skip
    console = Console(width=400, record=True)
    for table in decisions_tables(run):
        console.print(table)
    out = console.export_text()
    assert "Sep 2027" in out and within.isoformat() in out and "2027-09-01" not in out


def test_an_order_the_replay_s_forecast_ends_before_is_not_verified_not_nothing_ordered(
    tmp_path: Path,
) -> None:
    """Forecast 40 days ahead 30 days before EXHAUSTION, the replay's rack lands on day 56,
    after the forecast ends: the trigger names rack-c and its order-by date but no size. Its
    null blocks read as none: judged "nothing ordered ... no order to judge in time, late or
    idle", the order-by date dropped and the page's and CLI's order column "none". Now it is
    not verified, the note says it was not sized and that the shortfall came; order-by and
    arrival stay, and both tables read "rack-c, not sized"."""
    from rich.console import Console

    from flows.tables import decisions_tables
    from forecasting.report.pages.decisions import _replays_table

    as_of = EXHAUSTION - timedelta(days=30)
    forecast = _as_forecast(_history(), as_of=as_of).filter(
        pl.col("ds") <= as_of + timedelta(days=40)
    )
    row = _judged(as_of, forecast=forecast)
    assert (row["candidate"], row["blocks_to_order"]) == ("rack-c", None)
    assert row["verdict"] == Verdict.NOT_VERIFIED
    assert row["note"].startswith(
        "not verified: the order (rack-c, by 2025-08-11) was not sized (the trigger: not sized:"
    )
    assert row["note"].endswith(
        f"the shortfall forecast for {EXHAUSTION} came on {EXHAUSTION}: an order of no size is "
        "not judged in time, late or idle"
    )
    assert row["order_by"] == date(2025, 8, 11) and row["arrives"] == date(2025, 11, 29)
    assert row["days_late"] is None and row["idle_capital_usd"] is None
    replays = pl.DataFrame([row], schema=DECISION_REPLAYS_SCHEMA)
    assert _replays_table(replays, daily_days=182).rows[0][6] == "rack-c, not sized"
    run = decisions.DecisionRun(
        run_id="d", as_ofs=[as_of], data_end=row["data_end"], counts={"not_verified": 1},
        unmet_gpu_hours=0.0, revenue_lost_usd=None, idle_gpu_months=0.0, idle_capital_usd=0.0,
        seconds=1.0, replays=replays.to_dicts(),
    )  # fmt: skip
    console = Console(width=400, record=True)
    for table in decisions_tables(run):
        console.print(table)
    assert "rack-c, not sized" in console.export_text()


def test_a_false_alarm_on_a_trigger_short_at_the_monthly_grain_only_is_not_verified() -> None:
    """A trigger short on a monthly row only (its monthly_only field, amber at most)
    forecast no dated shortfall: demand that then falls made it a "false alarm" against the
    month's first day. Now it is not verified, and says the grain; an order of such a trigger
    that arrives before the real shortfall stays in time, its note saying the grain too. The
    field is read, not the words of the trigger's note (here reworded)."""
    from forecasting.triggers.common import MONTHLY_ONLY

    history = _history(_rising_then_falling)
    plan = _plan()
    as_of = START + timedelta(days=150)

    def monthly_only(triggers: pl.DataFrame, *, words: str, flagged: bool) -> pl.DataFrame:
        return triggers.with_columns(
            status=pl.lit("amber"),
            note=pl.lit(f"short at the monthly grain from ...: {words}; ") + pl.col("note"),
            monthly_only=pl.lit(flagged),
        )

    def scored(
        history: pl.DataFrame,
        as_of: date,
        *,
        words: str = "undated by the day",
        flagged: bool = True,
    ) -> dict[str, Any]:
        forecast = _as_forecast(_history(), as_of=as_of)
        said = expansion_triggers(forecast, plan_as_of(plan, as_of), as_of=as_of).triggers
        end = forecast.get_column("ds").max()
        assert isinstance(end, date)
        rows = judge_replay(
            Replayed(as_of, monthly_only(said, words=words, flagged=flagged), end, 0.0),
            series=history,
            plan=plan,
            options=DecisionOptions(first_as_of=as_of),
        )
        return rows.filter(pl.col("pool") == "all").row(0, named=True)

    row = scored(history, as_of)
    assert row["blocks_to_order"] > 0 and row["actual_exhaustion"] is None
    assert row["verdict"] == Verdict.NOT_VERIFIED
    assert (  # after the short-history flag (151 days on the as-of day)
        f"not verified: forecast short at the monthly grain only ({EXHAUSTION:%B %Y}): "
        f"{MONTHLY_ONLY}; forecast exhaustion {EXHAUSTION}, but the capacity known then did "
        "not run short"
    ) in row["note"]
    assert row["idle_capital_usd"] is None
    # The old words on a trigger not flagged say nothing: a dated shortfall, refuted.
    worded = scored(history, as_of, words=MONTHLY_ONLY, flagged=False)
    assert worded["verdict"] == Verdict.FALSE_ALARM
    in_time = scored(_history(), EXHAUSTION - timedelta(days=LEAD_DAYS + BUFFER_DAYS))
    assert in_time["verdict"] == Verdict.IN_TIME
    assert in_time["note"].startswith(
        f"forecast short at the monthly grain only ({EXHAUSTION:%B %Y}): {MONTHLY_ONLY}; order"
    )


def _one_replay_published(
    tmp_path: Path, row: dict[str, Any], *, as_of: date
) -> tuple[decisions.DecisionRun, str]:
    """The decision run storing the one replay ``row`` (judged as of ``as_of``) in a new
    warehouse, and the text of the page it publishes."""
    path = tmp_path / "w.duckdb"
    run = decisions.store_decisions(
        path,
        pl.DataFrame([row], schema=DECISION_REPLAYS_SCHEMA, orient="row"),
        options=DecisionOptions(first_as_of=as_of),
        as_ofs=[as_of],
        data_end=row["data_end"],
        seconds=1.0,
    )
    page = decisions.publish_page(path, tmp_path / "reports", run).page
    assert page is not None
    return run, page.read_text(encoding="utf-8")


def test_an_order_no_site_of_the_plan_powers_says_it_waits_for_power_and_serves_from_it(
    tmp_path: Path,
) -> None:
    """r1-a's 1.0 MW is all drawn and the plan has no more power there: the trigger's racks
    arrive with none (the triggers table read "no power for it in the plan: runs from ... at
    the earliest (power contracted today)"), but the decisions page's red row read an
    in-service date, its arrival, with no word of power, judged as serving from it. The
    replay serves it from the day power contracted on the as-of day can run it, the note says
    so, and the page's in-service cell points to that day. (A 6-month power lead: power
    after the replayed plan's end dates no order.)"""
    site = {"id": "r1-a", "region": "r1", "energized": [{"on": START - timedelta(days=500),
            "mw": 1.0}], "power_lead_months": 6, "cost_per_mw_usd": 2e6}  # fmt: skip
    plan = CapacityPlan.model_validate(_plan().model_dump() | {"site": [site]})
    as_of = EXHAUSTION - timedelta(days=150)
    row = _judged(as_of, plan=plan)
    runs = row["in_service"]
    # Dated to land the buffer before that power, not to stand dark from before exhaustion.
    assert runs is not None and row["arrives"] == runs - timedelta(days=BUFFER_DAYS)
    assert row["verdict"] == Verdict.LATE
    assert (
        f"in service {runs} (it arrives {row['arrives']} and waits for power no site of the "
        f"plan has: it runs from {runs} at the earliest, with power contracted on the as-of day)"
    ) in row["note"]
    _, text = _one_replay_published(tmp_path, row, as_of=as_of)
    cell = f"{runs.isoformat()} (arrives {row['arrives'].isoformat()}, waits for its site"
    assert cell in text


def test_unmet_hours_cut_at_the_data_end_read_as_a_lower_bound(tmp_path: Path) -> None:
    """A late order still not in service when the data ends has its unmet GPU-hours counted to
    that day only: its note said "censored", but the page's cell, the sums on the cards and
    the CLI's summary read "3,203,954 GPU-h" and "$8.9M" as measured. They read "at least"
    and say why."""
    from rich.console import Console

    from flows.tables import decisions_tables
    from forecasting.report.format import fmt_usd

    site = {"id": "r1-a", "region": "r1", "energized": [{"on": START - timedelta(days=500),
            "mw": 1.0}], "power_lead_months": 12, "cost_per_mw_usd": 2e6}  # fmt: skip
    plan = CapacityPlan.model_validate(_plan().model_dump() | {"site": [site]})
    as_of = EXHAUSTION - timedelta(days=150)
    row = _judged(as_of, plan=plan)
    assert row["verdict"] == Verdict.LATE and row["in_service"] > row["data_end"]
    assert row["revenue_lost_usd"] > 0
    assert decisions.unmet_censored(pl.DataFrame([row], schema=DECISION_REPLAYS_SCHEMA)) == 1
    run, text = _one_replay_published(tmp_path, row, as_of=as_of)
    text = html.unescape(text)
    hours, money = f"{row['unmet_gpu_hours']:,.0f} GPU-h", fmt_usd(row["revenue_lost_usd"])
    assert f"at least {hours} (censored at the data end)" in text
    assert f"at least {money}" in text
    beside = "(at least: 1 replay censored at the data end)"
    assert f"{hours} {beside}" in text and f"{money} {beside}" in text
    console = Console(width=400, record=True)
    for table in decisions_tables(run):
        console.print(table)
    assert f"{row['unmet_gpu_hours']:,.0f} (at least: 1 censored)" in console.export_text()


def test_an_order_no_site_can_ever_power_is_not_judged_as_serving_on_arrival(
    tmp_path: Path,
) -> None:
    """r1-a's 1.0 MW are all drawn under its 1.0 MW ceiling: no contract can power the racks
    (a new site is needed). The replay judged them as serving on arrival ("in time", idle
    capital counted) with no word of power; they are not verified, the note says why, and
    the page's in-service cell says no site of the plan can power them."""
    from forecasting.decisions import NEVER_POWERED

    site = {"id": "r1-a", "region": "r1", "energized": [{"on": START - timedelta(days=500),
            "mw": 1.0}], "ceiling_mw": 1.0, "power_lead_months": 12,
            "cost_per_mw_usd": 2e6}  # fmt: skip
    plan = CapacityPlan.model_validate(_plan().model_dump() | {"site": [site]})
    as_of = EXHAUSTION - timedelta(days=150)
    row = _judged(as_of, plan=plan)
    assert row["blocks_to_order"]
    assert row["verdict"] == Verdict.NOT_VERIFIED
    assert row["idle_capital_usd"] is None and row["days_late"] is None
    assert f"{NEVER_POWERED} (past its site's ceiling: a new site is needed)" in row["note"]
    _, text = _one_replay_published(tmp_path, row, as_of=as_of)
    assert f"{row['arrives'].isoformat()} (arrives; {NEVER_POWERED})" in html.unescape(text)


def _cli_text(run: decisions.DecisionRun) -> str:
    """What `fleetcast backtest-decisions` prints of ``run``'s tables."""
    from rich.console import Console

    from flows.tables import decisions_tables

    console = Console(width=400, record=True)
    for table in decisions_tables(run):
        console.print(table)
    return console.export_text()


def _unpowered_plan(*, ceiling: bool) -> CapacityPlan:
    """The plan with r1-a's 1.0 MW all drawn: no power for an order (none ever, with its
    ceiling at 1.0 MW)."""
    site = {"id": "r1-a", "region": "r1", "energized": [{"on": START - timedelta(days=500),
            "mw": 1.0}], "power_lead_months": 12, "cost_per_mw_usd": 2e6,
            **({"ceiling_mw": 1.0} if ceiling else {})}  # fmt: skip
    return CapacityPlan.model_validate(_plan().model_dump() | {"site": [site]})


def test_a_replay_whose_note_is_reworded_keeps_its_flags(tmp_path: Path) -> None:
    """Never powered and unmet censored are stored fields of a replay, not words matched in
    its note: with the note reworded, the page still says no site can power the order and
    reads the unmet GPU-hours as "at least", and so does the CLI."""
    from forecasting.decisions import NEVER_POWERED

    as_of = EXHAUSTION - timedelta(days=150)
    never = _judged(as_of, plan=_unpowered_plan(ceiling=True))
    cut = _judged(as_of, plan=_unpowered_plan(ceiling=False))
    assert never["never_powered"] is True and never["unmet_censored"] is False
    assert cut["unmet_censored"] is True and cut["never_powered"] is False
    for row in (never, cut):
        row["note"] = "reworded"
    (tmp_path / "never").mkdir()
    (tmp_path / "cut").mkdir()
    _, text = _one_replay_published(tmp_path / "never", never, as_of=as_of)
    assert f"{never['arrives'].isoformat()} (arrives; {NEVER_POWERED})" in html.unescape(text)
    run, text = _one_replay_published(tmp_path / "cut", cut, as_of=as_of)
    hours = f"{cut['unmet_gpu_hours']:,.0f} GPU-h"
    assert f"at least {hours} (censored at the data end)" in html.unescape(text)
    assert f"{cut['unmet_gpu_hours']:,.0f} (at least: 1 censored)" in _cli_text(run)


def test_replays_stored_before_the_flags_get_them_from_their_notes_words(tmp_path: Path) -> None:
    """Replays stored before migrations 30 and 32 had no flags (null), and the page and the CLI
    read never powered, unmet censored and a short history from their notes' words on every
    read. Migration 34 gives those rows the fields from the words their notes held then, so
    the stored rows read flagged and no code reads words: a file of version 33 opens with
    them set, and its page still says no site powers the order and "at least" of the unmet."""
    import duckdb

    from forecasting.decisions import NEVER_POWERED

    as_of = EXHAUSTION - timedelta(days=150)
    never = _judged(as_of, plan=_unpowered_plan(ceiling=True))
    cut = _judged(as_of, plan=_unpowered_plan(ceiling=False))
    cut["as_of"] = as_of + timedelta(days=7)  # a row of its own (as_of, region, pool)
    young = _judged(START + timedelta(days=100), history=_history(lambda d: 500.0 + 5 * d))
    plain = _judged(EXHAUSTION - timedelta(days=30))
    rows = pl.DataFrame([never, cut, young, plain], schema=DECISION_REPLAYS_SCHEMA, orient="row")
    path = tmp_path / "w.duckdb"
    run = decisions.store_decisions(
        path, rows, options=DecisionOptions(first_as_of=young["as_of"]),
        as_ofs=sorted(rows["as_of"]), data_end=plain["data_end"], seconds=1.0,
    )  # fmt: skip
    con = duckdb.connect(str(path))
    try:  # back to version 33, its replays as those stored before the flags read there
        con.execute(
            "UPDATE decision_replays SET never_powered = NULL, unmet_censored = NULL, "
            "history_days = NULL"
        )
        con.execute("ALTER TABLE idle_risk DROP COLUMN no_low_demand")
        con.execute("DELETE FROM schema_migrations WHERE version >= 34")
    finally:
        con.close()
    with warehouse.connect(path) as wh:
        stored = wh.run_frame("decision_replays", run.run_id).sort("as_of")
    # Days only where the note flagged a short history (under 168 days of telemetry).
    assert stored.select("never_powered", "unmet_censored", "history_days").rows() == [
        (False, False, 101),  # young: "short history: 101 days of telemetry ..."
        (True, False, 152),  # never
        (False, True, 152),  # cut, judged as of the same day
        (False, False, None),  # plain, on 272 days
    ]
    assert decisions.short_history_as_ofs(stored) == {
        young["as_of"]: 101, never["as_of"]: 152, cut["as_of"]: 152,
    }  # fmt: skip
    assert decisions.unmet_censored(stored) == 1
    text = html.unescape(decisions.publish_page(path, tmp_path / "reports", run).page.read_text())  # type: ignore[union-attr]  # published
    assert f"{never['arrives'].isoformat()} (arrives; {NEVER_POWERED})" in text
    assert f"at least {cut['unmet_gpu_hours']:,.0f} GPU-h (censored at the data end)" in text


def test_a_green_call_with_less_data_than_its_window_is_censored_at_the_data_end(
    tmp_path: Path,
) -> None:
    """Replayed the day before the data ends, a flat fleet's green call read "no order needed
    ... none in 0.0 months of data" and was tallied as judged like any other. It is judged on
    the one day there is, short of the lead time + buffer (12 weeks) a green call needs: the
    note, the field and the tallies of the page and the CLI say "censored at the data end"."""
    history = _history(lambda d: np.full_like(d, 600.0))
    last = START + timedelta(days=DAYS - 2)
    row = _judged(last, history=history)
    assert row["verdict"] == Verdict.NO_ORDER_NEEDED
    assert row["censored_at_data_end"] is True
    assert "0.0 months" not in row["note"]
    window = LEAD_DAYS + BUFFER_DAYS
    assert (
        f"none in the 1 day of data to {row['data_end']}: censored at the data end, short of "
        f"the {window} days (lead time + safety buffer) a call for no order is judged over"
    ) in row["note"]
    full = _judged(START + timedelta(days=100), history=history)
    assert full["verdict"] == Verdict.NO_ORDER_NEEDED and full["censored_at_data_end"] is False
    run, text = _one_replay_published(tmp_path, row, as_of=last)
    text = html.unescape(text)
    assert '<div class="big">1 (1 censored at the data end)</div><div class="label">no order' in (
        text
    )
    assert "1 (1 censored at the data end) / 0</div>" in text
    assert "1 (1 censored)" in _cli_text(run)


def _replayed_where_telemetry_stopped(as_of: date) -> pl.DataFrame:
    """The replay rows of a flat r1 as of ``as_of``, its telemetry stopped 100 days before the
    data (of other regions) ends."""
    history = _history(lambda d: np.full_like(d, 600.0), days=DAYS - 100)
    plan = _plan()
    triggers = decisions.replayed_triggers(
        expansion_triggers(
            _as_forecast(_history(lambda d: np.full_like(d, 600.0), days=DAYS + 200), as_of=as_of),
            plan,
            as_of=as_of,
        )
    )
    return score_replay(
        triggers,
        decisions.actual_pools(history, plan, as_of=as_of),
        plan,
        as_of=as_of,
        data_end=START + timedelta(days=DAYS - 1),
        horizon_end=as_of + timedelta(days=200),
        prices={},
    )


def test_a_pool_with_no_data_after_its_as_of_day_is_not_verified() -> None:
    """r1's telemetry stops 100 days before the data (of other regions) ends: as of a day
    after it stopped, its green call read "no order needed ... none in 3.3 months of data" with
    not one day of r1 to judge it by. It is not verified, and says why."""
    as_of = START + timedelta(days=DAYS - 50)
    rows = _replayed_where_telemetry_stopped(as_of)
    assert set(rows["verdict"]) == {Verdict.NOT_VERIFIED.value}
    assert all(n.startswith("not verified: no data after the as-of day") for n in rows["note"])
    # Its data end is its own: the page's "ran short" cell read "censored: not by" the other
    # regions' last day, and its timeline marked it not short by then.
    assert rows["data_end"].to_list() == [as_of] * rows.height
    from forecasting.report.format import MISSING
    from forecasting.report.pages.decisions import _actual

    assert {_actual(r) for r in rows.iter_rows(named=True)} == {MISSING}


def test_a_pool_whose_telemetry_stops_early_is_judged_on_its_own_data_only() -> None:
    """r1's telemetry stops 100 days before the other regions': as of 150 days before the
    data end, its green call read "none in 4.9 months of data", 100 of those days with no
    telemetry of r1. It is judged on its own 50 days."""
    as_of = START + timedelta(days=DAYS - 150)
    rows = _replayed_where_telemetry_stopped(as_of)
    own_end = START + timedelta(days=DAYS - 101)
    assert rows["data_end"].to_list() == [own_end] * rows.height
    assert all(str(own_end) in n and "4.9 months" not in n for n in rows["note"])
