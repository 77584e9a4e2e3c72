"""What a decision backtest's tables and page say first: days late waiting for power, and
orders sized on too little history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from rich.console import Console

from forecasting import decisions
from forecasting.decisions import DECISION_REPLAYS_SCHEMA


def _late(as_of: date, *, history: int) -> dict[str, Any]:
    """A ServeGen replay (backtest-decisions --from 2025-01-10 --every 3d on a 2-rack plan
    whose site has no MW for more): short the next day, 15 racks ordered overdue, arriving 70
    days later and running only 504 days after that, when power contracted that day comes."""
    row: dict[str, Any] = dict.fromkeys(DECISION_REPLAYS_SCHEMA.names())
    arrives = as_of + timedelta(days=70)
    return row | {
        "run_id": "d", "as_of": as_of, "region": "servegen", "pool": "all", "status": "red",
        "forecast_exhaustion": as_of + timedelta(days=1), "order_by": date(2024, 10, 5),
        "arrives": arrives, "in_service": arrives + timedelta(days=504),
        "candidate": "rack-h100-256", "blocks_to_order": 15, "lead_time_weeks": 10,
        "actual_exhaustion": as_of + timedelta(days=1), "data_end": date(2025, 1, 19),
        "verdict": "late", "days_late": 573, "unmet_gpu_hours": 1000.0, "history_days": history,
        "never_powered": False, "unmet_censored": True, "censored_at_data_end": False,
        "note": "short history: ...",
    }  # fmt: skip


def _run() -> decisions.DecisionRun:
    replays = [_late(date(2025, 1, 10), history=5), _late(date(2025, 1, 16), history=11)]
    return decisions.DecisionRun(
        run_id="d", as_ofs=[r["as_of"] for r in replays], data_end=date(2025, 1, 19),
        counts={"late": 2}, unmet_gpu_hours=2000.0, revenue_lost_usd=None,
        idle_gpu_months=0.0, idle_capital_usd=0.0, seconds=1.0, replays=replays,
    )  # fmt: skip


def _printed(run: decisions.DecisionRun) -> list[str]:
    from flows.tables import decisions_tables

    console = Console(width=400, record=True)
    for table in decisions_tables(run):
        console.print(table)
    return [" ".join(line.split()) for line in console.export_text().splitlines()]


def test_days_late_say_the_days_an_arrived_order_waited_for_power() -> None:
    """`backtest-decisions` on ServeGen printed "days late 573" (757 on another plan) for
    racks that arrived 70 days after the shortfall and then stood 504 days waiting for power:
    the cell read as a hardware lead-time miss. The CLI's and the page's cells now say how
    many of the days late were waiting for power, and so does the page's worst-case line."""
    from forecasting.report.pages.decisions import _replays_table, _takeaway

    lines = _printed(_run())
    rows = [line for line in lines if "rack-h100-256" in line]
    assert rows and all("573 (504 waiting for power)" in line for line in rows), lines
    replays = pl.DataFrame(_run().replays, schema=DECISION_REPLAYS_SCHEMA)
    table = _replays_table(replays, daily_days=182)
    late = table.headers.index("days late")
    assert [row[late] for row in table.rows] == ["573 (504 waiting for power)"] * 2
    assert "worst 573 days late, 504 of them waiting for power" in _takeaway(
        replays, region="servegen", pool="all"
    )


def test_the_summary_says_the_orders_were_sized_on_days_of_history() -> None:
    """On 5 to 11 days of ServeGen history every replay sized orders and was judged "late";
    only each row's note (and a warning after both tables) said "short history". The
    summary's title and the page's warning above its cards now say the orders were sized on 5 to 11
    days of history and that this is too short to judge the planning rule: not verified."""
    from forecasting.report.pages.decisions import _warnings

    said = (
        "every as-of day (2 of 2) sized its orders on 5 to 11 days of history, under the 168 "
        "the growth models need to fit a trend: flat or random-walk forecasts, too short to "
        "judge the planning rule (its verdicts not verified as the tool's considered calls)"
    )
    lines = _printed(_run())
    title = " ".join(lines[: next(i for i, s in enumerate(lines) if s.startswith("┏"))])
    assert said in title, title
    replays = pl.DataFrame(_run().replays, schema=DECISION_REPLAYS_SCHEMA)
    assert _warnings(replays)[0].startswith(f"Short history: {said}: 2025-01-10 (5 days)")
