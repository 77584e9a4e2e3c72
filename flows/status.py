"""`fleetcast status`: what the warehouse holds and, with a server, what Prefect ran.

It must answer at once: the warehouse is opened read-only (a busy one gives the
WarehouseBusyError message), and prefect is imported only when PREFECT_API_URL names a server,
so no ephemeral server is ever started just to look.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from rich.table import Table
from rich.text import Text

from forecasting import warehouse
from forecasting.changes import NOT_PLAYED, RunChanges, run_changes
from forecasting.report.format import fmt_day_or_month
from forecasting.schema import BORDERLINE, NOT_VERIFIED, PASS
from forecasting.settings import next_report_for
from forecasting.text import ahead_of_clock, next_report_words

__all__ = [
    "WarehouseStatus",
    "changes_view",
    "prefect_runs_table",
    "read_status",
    "verified_caption",
    "warehouse_status_tables",
]

_STATE_STYLE = {
    "COMPLETED": "green",
    "FAILED": "red",
    "CRASHED": "red",
    "CANCELLED": "yellow",
    "RUNNING": "cyan",
}


@dataclass(frozen=True, slots=True)
class WarehouseStatus:
    """The newest runs of each kind, the telemetry's age, the ingest ledger's totals and what
    the newest report changed since the one before."""

    forecasts: pl.DataFrame
    drills: pl.DataFrame
    triggers: pl.DataFrame
    newest_telemetry: datetime | None
    telemetry_rows: int
    ledger: dict[str, Any]
    changes: RunChanges
    # Runs of each kind stored ("forecast_runs": 12): a table cut at --limit says what it left.
    stored: dict[str, int]


def read_status(path: Path, *, limit: int) -> WarehouseStatus:
    """Read the status of the warehouse at ``path`` through a read-only connection."""
    from forecasting.runs.reports import daily_only

    with warehouse.connect(path, read_only=True) as wh:
        forecasts = wh.recent_forecast_runs(limit=limit)
        # Why a run has no monthly rows, as it stored it: a daily-only run read "182 d" alone.
        forecasts = forecasts.with_columns(
            pl.Series(
                "daily_only", [daily_only(wh, r) for r in forecasts["run_id"]], dtype=pl.String
            )
        )
        drills = wh.recent_drill_runs(limit=limit)
        triggers = _with_verified_to(wh, wh.recent_trigger_runs(limit=limit))
        ledger = wh.ledger_totals()
        newest = wh.newest_telemetry()
        rows = wh.count("telemetry")
        changes = run_changes(wh)
        stored = {t: wh.count(t) for t in ("forecast_runs", "drill_runs", "trigger_runs")}
    return WarehouseStatus(forecasts, drills, triggers, newest, rows, ledger, changes, stored)


def _with_verified_to(wh: warehouse.Warehouse, triggers: pl.DataFrame) -> pl.DataFrame:
    """``triggers`` (trigger runs) with how far each one's statuses are verified
    (``verified_to``: "2027-06-05 only", "the plan's end") and why it ends there (``why``,
    null where they reach it), read off its forecast run as the report reads it.

    The table counted the demo's "2 green" beside a report whose greens read "green to
    2027-06-05 only: not verified beyond": a count of statuses no backtest verified past
    that day read as plain as a verified one."""
    if triggers.is_empty():
        return triggers.with_columns(
            verified_to=pl.lit(None, pl.String), why=pl.lit(None, pl.String)
        )
    from forecasting.runs.drills import statuses_verified
    from forecasting.runs.ids import RunNotFoundError

    reads: dict[str, tuple[str, str | None]] = {}
    as_of = dict(triggers.select("forecast_run_id", "as_of").iter_rows())
    for run_id in triggers.get_column("forecast_run_id").unique().to_list():
        try:
            verified = statuses_verified(wh, run_id)
        except RunNotFoundError:
            reads[run_id] = ("not recorded", None)
            continue
        if verified is None:
            reads[run_id] = ("the plan's end", None)
        elif verified.day <= as_of[run_id]:
            # Verified to the as-of day is verified to none: a 15-day fleet read "2026-12-06
            # only", its last history day, as the report once read "green to 2026-12-05 only".
            reads[run_id] = ("none", "no backtest measured the forecast's error")
        else:
            reads[run_id] = (f"{verified.day} only", verified.why)
    ids = triggers.get_column("forecast_run_id")
    return triggers.with_columns(
        verified_to=pl.Series([reads[i][0] for i in ids], dtype=pl.String),
        why=pl.Series([reads[i][1] for i in ids], dtype=pl.String),
    )


def verified_caption(verified_to: str, why: str) -> str:
    """Under the trigger runs: how far the newest run's statuses are verified, and why."""
    if verified_to == "none":
        return f"no status verified ({why}): every status, of any colour, is not verified"
    return (
        f"statuses verified to {verified_to} ({why}): a status past that day, of any colour, "
        "is not verified"
    )


def _age(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    delta = now - when
    if delta < timedelta(0):
        return ahead_of_clock(math.ceil(-delta.total_seconds() / 60))
    if delta < timedelta(hours=1):
        return f"{delta.total_seconds() / 60:.0f} min ago"
    if delta < timedelta(days=2):
        return f"{delta.total_seconds() / 3600:.0f} h ago"
    return f"{delta.days} days ago"


def _when(value: datetime | None) -> str:
    return "-" if value is None else f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


_STATUS_STYLE = {"red": "red", "amber": "yellow", "green": "green"}


def _status(value: str | None) -> Text:
    return Text(value or "none", style=_STATUS_STYLE.get(value or "", "dim"))


def _day(value: Any) -> str:
    return "-" if value is None else str(value)


def _day_or_month(value: date | None, daily_end: date | None) -> str:
    return "-" if value is None else fmt_day_or_month(value, daily_end=daily_end)


def _status_changes_table(
    frame: pl.DataFrame,
    *,
    title: str,
    key: str | None,
    by: tuple[str, str],
    daily_ends: tuple[date | None, date | None] = (None, None),
    as_of: date | None = None,
    next_report: date | None = None,
) -> Table:
    """Status changes per region (and ``key``, where given): the status, the date ``by``
    names (its column and its heading) and the exhaustion day, before -> now; an exhaustion
    past its run's last daily day (``daily_ends``, before and now) is its month. A date now
    on or after ``as_of`` and before ``next_report`` says so, in the pages' words
    (text.before_next_report): "order by 2027-01-18 -> 2026-12-28" read like any other row
    with the next report two days after it."""
    before_end, now_end = daily_ends
    column, heading = by
    table = Table(title=title, title_justify="left")
    keys = (key,) if key else ()
    exhaustion = "exhaustion" if key else "ceilings run out"
    for name in ("region", *keys, "change", "status", heading, exhaustion):
        table.add_column(name)
    for r in frame.iter_rows(named=True):
        table.add_row(
            Text(r["region"]),
            *(Text(r[k]) for k in keys),
            r["change"],
            _status(r["status_before"]) + Text(" -> ") + _status(r["status_now"]),
            f"{_day(r[f'{column}_before'])} -> {_day(r[f'{column}_now'])}"
            + next_report_words(
                r[f"{column}_now"], as_of=as_of, next_report=next_report, lead=", "
            ),
            f"{_day_or_month(r['exhaustion_before'], before_end)} -> "
            f"{_day_or_month(r['exhaustion_now'], now_end)}",
        )
    return table


def changes_view(changes: RunChanges, *, next_report: date | None = None) -> list[Table | Text]:
    """ "Changes since the previous run": a line saying what was compared, then tables of
    trigger status changes, power status changes, new site changes and drill verdict flips
    (each only when there are some). A date now due before ``next_report`` (the next
    scheduled report) says so."""
    title = Text("changes since the previous run: ", style="bold")
    views: list[Table | Text] = [title + Text(changes.summary())]
    ends = (changes.previous_daily_end, changes.daily_end)
    for name, key, by, frame, daily_ends in (
        ("trigger status changes", "pool", ("order_by", "order by"), changes.triggers, ends),
        (
            "power status changes",
            "site",
            ("contract_by", "contract power by"),
            changes.power,
            (None, None),
        ),
        (
            "new site changes",
            None,
            ("start_by", "start a new site by"),
            changes.construction,
            ends,
        ),
    ):
        if not frame.is_empty():
            views.append(
                _status_changes_table(
                    frame,
                    title=name,
                    key=key,
                    by=by,
                    daily_ends=daily_ends,
                    as_of=changes.as_of,
                    next_report=next_report,
                )
            )
    if not changes.drills.is_empty():
        table = Table(title="drill verdict flips", title_justify="left")
        for name in ("drill", "verdict before", "verdict now", "drill runs"):
            table.add_column(name)
        for r in changes.drills.iter_rows(named=True):
            table.add_row(
                Text(r["drill"]),
                Text(r["verdict_before"]),
                Text(r["verdict_now"], style=_verdict_style(r["verdict_now"])),
                # A drill not played on one side has no run there.
                Text(f"{r['run_id_before'] or '-'} -> {r['run_id_now'] or '-'}"),
            )
        views.append(table)
    return views


def _runs_title(kind: str, *, shown: pl.DataFrame, stored: int) -> str:
    """``drill runs, newest first``, and how many --limit left out where it did (the demo's
    eight drills listed five, the worst of them not among them, and nothing said so)."""
    title = f"{kind} runs, newest first"
    if stored > shown.height:
        title += f": {shown.height} of {stored} (`--limit {stored}` shows all)"
    return title


def warehouse_status_tables(
    path: Path, *, limit: int = 5, now: datetime | None = None
) -> list[Table | Text]:
    """Tables of the data's age, the ingest totals, the newest forecast/drill/trigger runs and
    the changes of the newest report since the one before."""
    status = read_status(path, limit=limit)
    now = now or datetime.now(UTC)
    ledger = status.ledger
    # The path on a line of its own, not in a table title that wraps at the table's width.
    where = Text(f"warehouse {path}", style="bold")
    data = Table(title="telemetry and ingest", title_justify="left")
    # Counts of what the warehouse holds now, as `fleetcast quarantine` lists it: sums over
    # the ingest history read "files ingested 2, loaded 38, quarantined 2" for one file of 19
    # rows ingested twice, one of them quarantined.
    for name in ("newest telemetry", "age", "rows", "files", "quarantined now"):
        data.add_column(name, justify="left" if name in ("newest telemetry", "age") else "right")
    data.add_column("last ingest")
    quarantined = int(ledger["quarantined"])
    in_files = int(ledger["quarantined_files"])
    data.add_row(
        _when(status.newest_telemetry),
        _age(status.newest_telemetry, now),
        f"{status.telemetry_rows:,}",
        f"{ledger['files']:,}",
        f"{quarantined:,} in {in_files:,} file{'' if in_files == 1 else 's'}"
        if quarantined
        else "0",
        _when(ledger["last_ingest"]),
    )

    forecasts = Table(
        title=_runs_title(
            "forecast", shown=status.forecasts, stored=status.stored["forecast_runs"]
        ),
        title_justify="left",
    )
    for name in ("run", "as of", "created", "series", "horizon", "seconds"):
        forecasts.add_column(name, justify="right" if name in ("series", "seconds") else "left")
    for r in status.forecasts.iter_rows(named=True):
        forecasts.add_row(
            Text(r["run_id"]),
            str(r["as_of"]),
            f"{_when(r['created_at'])} ({_age(r['created_at'], now)})",
            f"{r['series']:,}",
            f"{r['horizon_days']} d"
            + (f", then monthly to {r['horizon_months']} months" if r["horizon_months"] else "")
            + (" only (why: below)" if r["daily_only"] else ""),
            f"{r['seconds']:.0f}",
        )
    # Each daily-only run's stored reason, once per reason (runs.reports.daily_only).
    said = status.forecasts.filter(pl.col("daily_only").is_not_null())
    if said.height:
        grouped = said.group_by("daily_only", maintain_order=True).agg("run_id")
        forecasts.caption = "\n".join(
            f"{', '.join(ids)}: {why}" for why, ids in grouped.iter_rows()
        )
        forecasts.caption_justify = "left"

    drills = Table(
        title=_runs_title("drill", shown=status.drills, stored=status.stored["drill_runs"]),
        title_justify="left",
    )
    for name in ("run", "drill", "forecast run", "created", "verdict", "failing classes"):
        drills.add_column(name)
    for r in status.drills.iter_rows(named=True):
        drills.add_row(
            Text(r["run_id"]),
            Text(r["drill"]),
            Text(r["forecast_run_id"]),
            _when(r["created_at"]),
            # The verdict against the unshocked plan; runs stored before it had pass/fail only.
            Text(
                r["verdict"] or ("pass" if r["passed"] else "FAIL"),
                style=_verdict_style(r["verdict"] or ("pass" if r["passed"] else "FAIL")),
            ),
            Text(", ".join(r["failing"] or [])),
        )

    triggers = Table(
        title=_runs_title("trigger", shown=status.triggers, stored=status.stored["trigger_runs"]),
        title_justify="left",
    )
    for name in ("run", "forecast run", "as of", "created", "quantile", "red", "amber", "green"):
        triggers.add_column(name, justify="right" if name in ("red", "amber", "green") else "left")
    triggers.add_column("statuses verified to")
    # The construction clock beside the blocks': the worst "start a new site by" status.
    triggers.add_column("new sites")
    for r in status.triggers.iter_rows(named=True):
        triggers.add_row(
            Text(r["run_id"]),
            Text(r["forecast_run_id"]),
            str(r["as_of"]),
            _when(r["created_at"]),
            r["quantile"],
            Text(str(r["red"]), style="red" if r["red"] else ""),
            str(r["amber"]),
            # An inference-only fleet's training pool read green beside pages saying it is
            # not verified (no demand, no capacity): counted apart.
            str(r["green"])
            + (f", {n} not verified" if (n := r.get("green_not_verified") or 0) else ""),
            Text(r["verified_to"], style="yellow" if r["why"] else ""),
            Text(r["new_sites"], style=_STATUS_STYLE.get(r["new_sites"].split(" ")[0], "dim")),
        )
    newest = status.triggers.head(1).filter(pl.col("why").is_not_null())
    if newest.height:
        # Why the newest run's statuses stop short: the report's words, once.
        triggers.caption = verified_caption(newest.item(0, "verified_to"), newest.item(0, "why"))
        triggers.caption_justify = "left"
    # An empty table under its title read as if the rows were lost; it says why it is empty
    # and which command fills it.
    for table, frame, why in (
        (forecasts, status.forecasts, "no forecast run yet: `fleetcast forecast` makes one"),
        (drills, status.drills, "no drill run yet: `fleetcast drill` plays them"),
        (triggers, status.triggers, "no trigger run yet: `fleetcast report` computes them"),
    ):
        if frame.is_empty():
            table.caption, table.caption_justify = why, "left"
    # The next scheduled report as the newest report's pages count it (from now, on
    # FLEETCAST_REPORT_CRON; none for a run on a past as-of day).
    as_of = status.changes.as_of
    next_report = None if as_of is None else next_report_for(as_of, now=now)
    return [
        where,
        data,
        forecasts,
        drills,
        triggers,
        *changes_view(status.changes, next_report=next_report),
    ]


def prefect_runs_table(*, limit: int = 5, timeout: float = 5.0) -> Table | Text:
    """The last flow runs on the Prefect server of PREFECT_API_URL, or why they are unknown."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import (
        PREFECT_API_REQUEST_TIMEOUT,
        PREFECT_API_URL,
        PREFECT_CLIENT_MAX_RETRIES,
        temporary_settings,
    )

    url = PREFECT_API_URL.value()
    scheduled = FlowRunFilterStateType(any_=[StateType.SCHEDULED])
    done = FlowRunFilterStateType(not_any_=[StateType.SCHEDULED])
    # Fail fast: status must answer at once even when the server is down.
    quick = {PREFECT_API_REQUEST_TIMEOUT: timeout, PREFECT_CLIENT_MAX_RETRIES: 0}
    try:
        with temporary_settings(updates=quick), get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=done)),
                sort=FlowRunSort.START_TIME_DESC,
                limit=limit,
            )
            upcoming = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=scheduled)),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=limit,
            )
            runs = [*runs, *upcoming]
            flow_ids = list({r.flow_id for r in runs})
            names = {f.id: f.name for f in client.read_flows()} if flow_ids else {}
            deployment_ids = {r.deployment_id for r in runs if r.deployment_id}
            deployments = {
                d: client.read_deployment(d).name  # a handful at most
                for d in deployment_ids
            }
    except (httpx.HTTPError, OSError, RuntimeError) as exc:
        return Text(f"Prefect API {url} did not answer: {exc}", style="yellow")
    table = Table(
        title=f"Prefect flow runs on {url}: the last ones, then the next scheduled",
        title_justify="left",
    )
    for name in ("flow/deployment", "run", "state", "started / due", "duration"):
        table.add_column(name, justify="right" if name == "duration" else "left")
    for r in runs:
        flow_name = names.get(r.flow_id, str(r.flow_id))
        deployment = deployments.get(r.deployment_id) if r.deployment_id else None
        state = r.state_type.value if r.state_type else "UNKNOWN"
        table.add_row(
            Text(f"{flow_name}/{deployment}" if deployment else flow_name),
            Text(r.name),
            Text(r.state_name or state, style=_STATE_STYLE.get(state, "")),
            _when(r.start_time or r.expected_start_time),
            f"{r.total_run_time.total_seconds():.0f} s" if r.start_time else "-",
        )
    return table


def _verdict_style(verdict: str) -> str:
    """Green for a pass, yellow for a verdict that is none ("not verified: ...", "not played:
    ..."), red for a failure: a 2x ramp cut short at 1.17x showed green beside the passes."""
    if verdict == PASS:
        return "green"
    return "yellow" if verdict.startswith((NOT_VERIFIED, NOT_PLAYED, BORDERLINE)) else "red"
