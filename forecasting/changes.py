"""What changed between two reports: trigger statuses, power statuses and drill verdicts.

The alerts of the report flow and the "changes since the previous run" of ``fleetcast status``
both read these. A report's previous report is the newest trigger run stored before it whose
forecast run is not newer than its own: a weekly report over daily forecasts compares with last
week's report (the forecast runs in between were never reported), a report rerun on the same
forecast run compares past the earlier reports on it that showed the same statuses and verdicts
(so an unchanged rerun alerts nothing, and a rerun after drills were played is compared with the
previous forecast run's report, not with itself), and a report on an old forecast run never
compares with a newer one.

Power statuses are compared per (region, site): a site whose "contract power by" status moved
(or that only one report lists) is a change, as a block trigger's is per (region, pool).

New sites are compared per region: a region whose construction trigger moved (its status, its
"start a new site by" day or the day its sites' ceilings run out), or that only one report
lists, is a change. A report stored before trigger runs recorded construction (migration 40)
has nothing to compare: the comparison says construction was not recorded for it, never that
nothing changed, and a rerun is compared with it (what both stored), not passed over as one
that showed the same.

Drill verdicts are compared per drill name: the newest run of each drill on the report's forecast
run, stored by the time of the report, against the same for the previous report. A drill the
forecast run could not play (a start past a shorter horizon) has the verdict "not played", with
its reason: a drill that failed last week and is not played this week is a change, and leaving it
out read as the failure gone. A verdict "not verified" or "not played" is shown with its reason,
but compared without it: the same drill cut short at 1.17x and at 1.3x is not news. A drill with
neither a run nor a reason on one side has nothing to flip from and is not listed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import polars as pl

from forecasting import warehouse
from forecasting.report.changes import (
    CONSTRUCTION_CHANGES_SCHEMA,
    POWER_CHANGES_SCHEMA,
    VERDICT_CHANGES_SCHEMA,
    change_kind,
    trigger_changes,
    version_caveat,
)
from forecasting.report.inputs import NOT_CHECKED, NOT_JUDGED

__all__ = [
    "CONSTRUCTION_CHANGES_SCHEMA",
    "NOT_PLAYED",
    "POWER_CHANGES_SCHEMA",
    "STATUS_CHANGES_SCHEMA",
    "VERDICT_CHANGES_SCHEMA",
    "VERSION_NOT_RECORDED",
    "RunChanges",
    "construction_changes",
    "drill_verdict",
    "power_changes",
    "run_changes",
    "status_changes",
    "status_moved",
    "verdict_changes",
]

STATUS_CHANGES_SCHEMA = pl.Schema(
    {
        "region": pl.String,
        "pool": pl.String,
        # new (only this report lists the pool) | resolved (only the previous one) | changed
        "change": pl.String,
        "status_before": pl.String,
        "status_now": pl.String,
        "order_by_before": pl.Date,
        "order_by_now": pl.Date,
        "exhaustion_before": pl.Date,
        "exhaustion_now": pl.Date,
    }
)


# Drill runs stored before migration 6 have no verdict, only whether they passed.
_NO_VERDICT_FAIL = "fail (no verdict stored)"
# The verdict of a drill the forecast run could not play (drills_not_played).
NOT_PLAYED = "not played"
# The migration that added drill_runs.unverified, and the drill runs a report saw, with and
# without it.
_UNVERIFIED_SINCE = 22
_SEEN_RUNS = (
    "SELECT drill, run_id, verdict, passed, created_at, unverified AS why FROM drill_runs "
    "WHERE forecast_run_id = $1 AND created_at <= $2 "
    "UNION ALL SELECT drill, NULL, $3, NULL, created_at, reason FROM drills_not_played "
    "WHERE forecast_run_id = $1 AND created_at <= $2"
)
# The migration that added trigger_runs.versions; a run stored before it, or stored without
# one, reads as below.
_VERSIONS_SINCE = 37
VERSION_NOT_RECORDED = "version not recorded"
_SEEN_RUNS_BEFORE_22 = (
    "SELECT drill, run_id, verdict, passed, created_at, NULL::VARCHAR AS why FROM drill_runs "
    "WHERE forecast_run_id = $1 AND created_at <= $2 "
    "UNION ALL SELECT drill, NULL, $3, NULL, created_at, reason FROM drills_not_played "
    "WHERE forecast_run_id = $1 AND created_at <= $2"
)


def _empty(schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def status_moved() -> pl.Expr:
    """Whether a (region, pool) row of ``trigger_changes`` changed status (nulls compared too)."""
    return pl.col("status_now").ne_missing(pl.col("status_before"))


def status_changes(
    previous_triggers: pl.DataFrame | None,
    current_triggers: pl.DataFrame,
    *,
    daily_end_now: date | None = None,
    daily_end_before: date | None = None,
) -> pl.DataFrame:
    """One row per (region, pool) whose status differs between two trigger runs' triggers.

    ``previous_triggers`` is None on a first run: nothing to compare, so no rows. A pool only one
    of the runs lists (a region added to or removed from the plan) counts, with a null status on
    the side that lacks it. Columns and types are :data:`STATUS_CHANGES_SCHEMA`.
    """
    if previous_triggers is None:
        return _empty(STATUS_CHANGES_SCHEMA)
    return (
        trigger_changes(
            current_triggers,
            previous_triggers,
            daily_end_now=daily_end_now,
            daily_end_before=daily_end_before,
        )
        .filter(status_moved())
        .select(STATUS_CHANGES_SCHEMA.names())
        .cast(STATUS_CHANGES_SCHEMA)
    )


def _per_site(power: pl.DataFrame, suffix: str) -> pl.DataFrame:
    return power.select(
        "region",
        "site",
        pl.col("status").alias(f"status_{suffix}"),
        pl.col("contract_by").alias(f"contract_by_{suffix}"),
        pl.col("exhaustion_date").alias(f"exhaustion_{suffix}"),
        pl.lit(True).alias(f"present_{suffix}"),
    )


def _as_shown(power: pl.DataFrame, triggers: pl.DataFrame | None) -> pl.DataFrame:
    """``power`` with a green site whose region has an order not sized (a candidate and no
    blocks: the forecast ends before it lands) reading "not checked", as the pages and the CLI
    show it (``report.inputs.power_view``): its stored green counted the orders sized only.
    A green stored before triggers.power stored "not judged" (its note opens so) reads "not
    judged": against a run of today, "green -> not judged" was no change of the site."""
    power = power.with_columns(
        pl.when((pl.col("status") == "green") & pl.col("note").str.starts_with(f"{NOT_JUDGED}:"))
        .then(pl.lit(NOT_JUDGED))
        .otherwise(pl.col("status"))
        .alias("status")
    )
    if triggers is None or not {"blocks_to_order", "candidate"} <= set(triggers.columns):
        return power
    unsized = (
        triggers.filter(pl.col("blocks_to_order").is_null() & pl.col("candidate").is_not_null())
        .get_column("region")
        .unique()
        .to_list()
    )
    return power.with_columns(
        pl.when((pl.col("status") == "green") & pl.col("region").is_in(unsized))
        .then(pl.lit(NOT_CHECKED))
        .otherwise(pl.col("status"))
        .alias("status")
    )


def power_changes(
    previous_power: pl.DataFrame | None,
    current_power: pl.DataFrame,
    *,
    previous_triggers: pl.DataFrame | None = None,
    current_triggers: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per (region, site) whose power status differs between two trigger runs'
    ``power_triggers``: a site the facilities must contract power for sooner (or no longer)
    is news as a block trigger is. With each run's ``triggers``, a green site not checked
    for an order not sized reads so (a 7-day ServeGen run read "sg-a changed red -> green"
    beside a 26-week run, where it only did not measure the order's MW). None (first run)
    gives no rows; columns and types are :data:`POWER_CHANGES_SCHEMA`."""
    if previous_power is None:
        return _empty(POWER_CHANGES_SCHEMA)
    return (
        _per_site(_as_shown(current_power, current_triggers), "now")
        .join(
            _per_site(_as_shown(previous_power, previous_triggers), "before"),
            on=["region", "site"],
            how="full",
            coalesce=True,
        )
        .filter(status_moved())
        .with_columns(change=change_kind(status_moved()))
        .sort("region", "site")
        .select(POWER_CHANGES_SCHEMA.names())
        .cast(POWER_CHANGES_SCHEMA)
    )


# A region whose ceilings run out with no [[new_site]] build time: its status is null, which
# read "none" beside "red" as if nothing were due (triggers.construction).
NOT_DATED = "not dated"


def _per_region(construction: pl.DataFrame, suffix: str) -> pl.DataFrame:
    undated = pl.col("status").is_null() & pl.col("exhaustion_date").is_not_null()
    return construction.select(
        "region",
        pl.when(undated)
        .then(pl.lit(NOT_DATED))
        .otherwise(pl.col("status"))
        .alias(f"status_{suffix}"),
        pl.col("start_by").alias(f"start_by_{suffix}"),
        pl.col("exhaustion_date").alias(f"exhaustion_{suffix}"),
        pl.lit(True).alias(f"present_{suffix}"),
    )


def construction_changes(
    previous: pl.DataFrame | None, current: pl.DataFrame | None
) -> pl.DataFrame:
    """One row per region whose construction trigger (``construction_triggers``) moved
    between two trigger runs: its status, start-by or run-out day, or a region only one lists.
    None on either side (a first run, or a run that recorded none) gives no rows: the caller
    says which run did not record it. Columns and types are
    :data:`CONSTRUCTION_CHANGES_SCHEMA`."""
    if previous is None or current is None:
        return _empty(CONSTRUCTION_CHANGES_SCHEMA)
    moved = (
        pl.col("status_now").ne_missing(pl.col("status_before"))
        | pl.col("start_by_now").ne_missing(pl.col("start_by_before"))
        | pl.col("exhaustion_now").ne_missing(pl.col("exhaustion_before"))
    )
    return (
        _per_region(current, "now")
        .join(_per_region(previous, "before"), on="region", how="full", coalesce=True)
        .with_columns(change=change_kind(moved))
        .filter(pl.col("change") != "unchanged")
        .sort("region")
        .select(CONSTRUCTION_CHANGES_SCHEMA.names())
        .cast(CONSTRUCTION_CHANGES_SCHEMA)
    )


def drill_verdict() -> pl.Expr:
    """A drill run's verdict; for a run stored before verdicts existed, whether it passed."""
    fallback = pl.when(pl.col("passed")).then(pl.lit("pass")).otherwise(pl.lit(_NO_VERDICT_FAIL))
    return pl.coalesce(pl.col("verdict"), fallback)


def _shown_verdict(verdict: pl.Expr) -> pl.Expr:
    """``verdict`` with its reason where it has one (``why``): "not verified: cut short at
    1.17x of 2x by the horizon (...)", "not played: field start: ...". Without it, a drill
    failing last week read "pass" this week with no word that only part of its shock played."""
    return (
        pl.when(pl.col("why").is_not_null())
        .then(pl.format("{}: {}", verdict, pl.col("why")))
        .otherwise(verdict)
    )


def _newest_verdicts(drills: pl.DataFrame, suffix: str) -> pl.DataFrame:
    """The newest run (or not-played reason) of each drill: its verdict as compared
    (``verdict_key_*``), as shown, and its run id, columns suffixed ``_before``/``_now``.

    ``drills`` are drill_runs rows (drill, run_id, verdict, passed, created_at), optionally with
    ``why`` (the reason a verdict is "not verified" or "not played") and not-played rows
    (verdict "not played", run_id null)."""
    if "why" not in drills.columns:
        drills = drills.with_columns(why=pl.lit(None, pl.String))
    return (
        drills.sort("created_at", descending=True)
        .unique(subset=["drill"], keep="first", maintain_order=True)
        .select(
            "drill",
            drill_verdict().alias(f"verdict_key_{suffix}"),
            _shown_verdict(drill_verdict()).alias(f"verdict_{suffix}"),
            pl.col("run_id").alias(f"run_id_{suffix}"),
        )
    )


def verdict_changes(
    previous_drills: pl.DataFrame | None, current_drills: pl.DataFrame
) -> pl.DataFrame:
    """One row per drill whose verdict differs between two sets of stored drill runs.

    Both frames are ``drill_runs`` rows (drill, run_id, verdict, passed, created_at), with
    ``why`` and not-played rows as :func:`_newest_verdicts` reads them; the newest of each
    drill is compared, on its verdict alone, and shown with its reason. A drill on only one
    side is not a flip. None (first run) gives no rows. Columns and types are
    :data:`VERDICT_CHANGES_SCHEMA`.
    """
    if previous_drills is None:
        return _empty(VERDICT_CHANGES_SCHEMA)
    return (
        _newest_verdicts(current_drills, "now")
        .join(_newest_verdicts(previous_drills, "before"), on="drill", how="inner")
        .filter(pl.col("verdict_key_now") != pl.col("verdict_key_before"))
        .sort("drill")
        .select(VERDICT_CHANGES_SCHEMA.names())
        .cast(VERDICT_CHANGES_SCHEMA)
    )


@dataclass(frozen=True, slots=True)
class RunChanges:
    """The changes of one report (trigger run) against the report before it.

    ``trigger_run_id`` is None when the warehouse holds no report yet;
    ``previous_trigger_run_id`` is None on the first report (nothing to compare).
    """

    trigger_run_id: str | None
    forecast_run_id: str | None
    previous_trigger_run_id: str | None = None
    previous_forecast_run_id: str | None = None
    # The two forecasts' as-of days: reports are compared in as-of order, not creation order.
    as_of: date | None = None
    previous_as_of: date | None = None
    # Their last daily days: an exhaustion past one is a month (monthly rows), not a day.
    daily_end: date | None = None
    previous_daily_end: date | None = None
    triggers: pl.DataFrame = field(default_factory=partial(_empty, STATUS_CHANGES_SCHEMA))
    drills: pl.DataFrame = field(default_factory=partial(_empty, VERDICT_CHANGES_SCHEMA))
    power: pl.DataFrame = field(default_factory=partial(_empty, POWER_CHANGES_SCHEMA))
    # Regions whose new-site start-by, status or run-out day moved (construction_changes).
    construction: pl.DataFrame = field(default_factory=partial(_empty, CONSTRUCTION_CHANGES_SCHEMA))
    # The compared runs that recorded no construction (stored before migration 40), earlier
    # first: with one, the new sites are not compared, and the summary says so.
    construction_not_recorded: tuple[str, ...] = ()
    # Settings the two reports differ in ("the daily horizon: 182 -> 7 days"): a change they
    # explain is not news about demand.
    inputs: tuple[str, ...] = ()
    # The fleetcast versions that made the previous report and this one, where they differ
    # (same forecast, same plan: the reports of two checkouts read "us-west red -> green, order
    # by -519 d" as news about demand); None when they are the same or neither was recorded.
    versions: tuple[str, str] | None = None
    # Reports made again on the same forecast run and settings that showed exactly this one's
    # statuses and verdicts: compared with, they read "nothing changed" and hid what the
    # forecast itself had moved, so the comparison reaches past them.
    reruns_skipped: int = 0

    @property
    def first_run(self) -> bool:
        """Whether there is no earlier report to compare with."""
        return self.previous_trigger_run_id is None

    @property
    def version_caveat(self) -> str:
        """The sentence saying the two reports were made by different code, or ''."""
        return version_caveat(self.versions)

    @property
    def count(self) -> int:
        """Trigger, power and new-site changes plus drill verdict flips."""
        return (
            self.triggers.height + self.power.height + self.construction.height + self.drills.height
        )

    @property
    def construction_summary(self) -> str:
        """ "N new-site change(s)", or that they were not compared and why."""
        if self.construction_not_recorded:
            return "new sites not compared: construction not recorded for " + " and ".join(
                self.construction_not_recorded
            )
        n = self.construction.height
        return f"{n} new-site change{'s' if n != 1 else ''}"

    def summary(self) -> str:
        """One line saying what was compared and how much changed."""
        if self.trigger_run_id is None:
            return "no report yet: nothing to compare"
        skipped = (
            f"; {self.reruns_skipped} report{'s' if self.reruns_skipped != 1 else ''} of the "
            "same forecast run and settings, with the same statuses and verdicts, not compared"
            if self.reruns_skipped
            else ""
        )
        if self.first_run:
            named = f"{self.trigger_run_id}{_as_of_text(self.as_of)}{',' if self.as_of else ''}"
            return (
                f"no earlier report by as-of day: nothing to compare ({named} is the first)"
                f"{skipped}"
            )
        moved, power, flipped = self.triggers.height, self.power.height, self.drills.height
        differ = f"; the runs differ in {'; '.join(self.inputs)}" if self.inputs else ""
        if self.versions:
            differ += f"; {self.version_caveat[0].lower()}{self.version_caveat[1:-1]}"
        return (
            f"report {self.trigger_run_id} (forecast {self.forecast_run_id}"
            f"{_as_of_text(self.as_of)}) against {self.previous_trigger_run_id} "
            f"(forecast {self.previous_forecast_run_id}{_as_of_text(self.previous_as_of)}): "
            f"{moved} trigger status change{'s' if moved != 1 else ''}, "
            f"{power} power status change{'s' if power != 1 else ''}, "
            f"{flipped} drill verdict flip{'s' if flipped != 1 else ''}, "
            f"{self.construction_summary}{differ}{skipped}"
        )


def _daily_end(run: dict[str, Any]) -> date | None:
    """A trigger run's forecast's last daily day: as of plus its daily horizon."""
    if run["as_of"] is None or run["horizon_days"] is None:
        return None
    return run["as_of"] + timedelta(days=run["horizon_days"])


def _as_of_text(day: date | None) -> str:
    """ ", as of DAY" for a summary, or nothing when the day is not known."""
    return f", as of {day.isoformat()}" if day else ""


def _input_differences(now: dict[str, Any], before: dict[str, Any]) -> tuple[str, ...]:
    """What two reports' settings differ in, as a reader says it (empty when nothing): the
    settings of a report and its forecast that move triggers without any change in demand."""
    out = []
    if now["capacity_sha256"] != before["capacity_sha256"]:
        out.append("the capacity plan (another file or an edited one)")
    for key, name, unit in (
        ("quantile", "the trigger quantile", ""),
        ("buffer_weeks", "the safety buffer", " weeks"),
        ("horizon_days", "the daily horizon", " days"),
        ("horizon_months", "the plan horizon", " months"),
    ):
        if now[key] != before[key]:
            out.append(f"{name}: {before[key]}{unit} → {now[key]}{unit}")
    return tuple(out)


def _fleetcast_version(run: dict[str, Any]) -> str:
    """The fleetcast version a trigger run stored, or :data:`VERSION_NOT_RECORDED`."""
    stored = json.loads(run["versions"]) if run["versions"] else {}
    return str(stored.get("fleetcast") or VERSION_NOT_RECORDED)


def _version_difference(now: dict[str, Any], before: dict[str, Any]) -> tuple[str, str] | None:
    """The two reports' fleetcast versions, earlier first, where they differ; None where they
    are equal or neither report recorded one (nothing known to differ)."""
    pair = (_fleetcast_version(before), _fleetcast_version(now))
    if pair[0] == pair[1]:
        return None
    return pair


def _run_columns(wh: warehouse.Warehouse) -> str:
    """The columns of a trigger run and its forecast run that a comparison reads."""
    # A warehouse not yet migrated (read-only, `fleetcast status`) has no versions column.
    versions = "r.versions" if wh.schema_version() >= _VERSIONS_SINCE else "NULL::VARCHAR"
    return (
        "SELECT r.run_id, r.forecast_run_id, r.created_at, f.created_at AS forecast_created_at, "
        "f.as_of, r.capacity_sha256, r.quantile, r.buffer_weeks, f.horizon_days, "
        f"f.horizon_months, {versions} AS versions "
    )


def _trigger_run(wh: warehouse.Warehouse, trigger_run_id: str | None) -> dict[str, Any] | None:
    """The trigger run (when None, the newest by as-of day, then by creation: a backfill made
    last is not the current report) with its forecast run's creation time."""
    select = (
        _run_columns(wh)
        + "FROM trigger_runs r LEFT JOIN forecast_runs f ON f.run_id = r.forecast_run_id "
    )
    if trigger_run_id is None:
        rows = wh.query(select + "ORDER BY f.as_of DESC NULLS LAST, r.created_at DESC LIMIT 1")
    else:
        rows = wh.query(select + "WHERE r.run_id = $1", [trigger_run_id])
    return rows.to_dicts()[0] if rows.height else None


def _previous_trigger_run(
    wh: warehouse.Warehouse, current: dict[str, Any]
) -> dict[str, Any] | None:
    """The report before ``current`` in as-of order: the newest report on an earlier as-of day,
    or on the same day made before it on a forecast run not newer than its own.

    As-of order, not creation order: a backfill (a forecast as of March made after May's)
    compares with February's report, and May's next report still compares with May's.
    """
    rows = wh.query(
        _run_columns(wh)
        + "FROM trigger_runs r JOIN forecast_runs f ON f.run_id = r.forecast_run_id "
        "WHERE f.as_of < $1 OR (f.as_of = $1 AND r.created_at < $2 "
        "AND ($3 IS NULL OR f.created_at <= $3)) "
        "ORDER BY f.as_of DESC, r.created_at DESC LIMIT 1",
        [current["as_of"], current["created_at"], current["forecast_created_at"]],
    )
    return rows.to_dicts()[0] if rows.height else None


def _drills_seen(wh: warehouse.Warehouse, forecast_run_id: str, until: datetime) -> pl.DataFrame:
    """Drill runs on a forecast run stored by ``until``, and the drills it could not play by
    then (verdict "not played", their reason as ``why``): what a report made then could show.
    A run's ``why`` is the reason a verdict is "not verified"."""
    # A warehouse not yet migrated (read-only, `fleetcast status`) has no reason column.
    migrated = wh.schema_version() >= _UNVERIFIED_SINCE
    return wh.query(
        _SEEN_RUNS if migrated else _SEEN_RUNS_BEFORE_22, [forecast_run_id, until, NOT_PLAYED]
    )


def run_changes(wh: warehouse.Warehouse, *, trigger_run_id: str | None = None) -> RunChanges:
    """What changed in trigger run ``trigger_run_id`` (default: the newest by as-of day, as
    ``reports/latest``) since the report
    before it: statuses by (region, pool) and by (region, site), drill verdicts by name."""
    current = _trigger_run(wh, trigger_run_id)
    if current is None:
        if trigger_run_id is not None:
            raise warehouse.WarehouseError(
                f"{wh.path}: no trigger run {trigger_run_id!r}; `fleetcast status` lists them"
            )
        return RunChanges(trigger_run_id=None, forecast_run_id=None)
    skipped = 0
    previous = _previous_trigger_run(wh, current)
    while previous is not None:
        changes = _changes_between(wh, current, previous)
        # A report of the same forecast run and settings that showed the same statuses and
        # verdicts is passed over, even where drills were played since it (a drill new to
        # this run has no verdict there to flip from): compared with, it read "no trigger
        # changed" against itself and hid the move from the previous forecast run (horizon
        # 182 -> 14 days, us-east red -> amber). The new drills' verdicts are compared with
        # that run's.
        # One that recorded no construction (stored before migration 40) beside one that did
        # is not known to show the same: passed over, "what changed" compared with the report
        # before it and said nothing of the new sites it never compared.
        unknown = changes.construction_not_recorded == (previous["run_id"],)
        same = (
            previous["forecast_run_id"] == current["forecast_run_id"]
            and not changes.count
            and not changes.inputs
            and not unknown
        )
        if not same:
            return replace(changes, reruns_skipped=skipped)
        skipped += 1
        previous = _previous_trigger_run(wh, previous)
    return RunChanges(
        trigger_run_id=current["run_id"],
        forecast_run_id=current["forecast_run_id"],
        as_of=current["as_of"],
        daily_end=_daily_end(current),
        reruns_skipped=skipped,
    )


def _changes_between(
    wh: warehouse.Warehouse, current: dict[str, Any], previous: dict[str, Any]
) -> RunChanges:
    """What differs between two reports (``_trigger_run`` rows), ``current`` the later."""
    run_id, forecast_run_id = current["run_id"], current["forecast_run_id"]
    construction_before = wh.construction_triggers(previous["run_id"])
    construction_now = wh.construction_triggers(run_id)
    return RunChanges(
        trigger_run_id=run_id,
        forecast_run_id=forecast_run_id,
        previous_trigger_run_id=previous["run_id"],
        previous_forecast_run_id=previous["forecast_run_id"],
        as_of=current["as_of"],
        previous_as_of=previous["as_of"],
        daily_end=_daily_end(current),
        previous_daily_end=_daily_end(previous),
        triggers=status_changes(
            wh.run_frame("triggers", previous["run_id"]),
            wh.run_frame("triggers", run_id),
            daily_end_now=_daily_end(current),
            daily_end_before=_daily_end(previous),
        ),
        power=power_changes(
            wh.run_frame("power_triggers", previous["run_id"]),
            wh.run_frame("power_triggers", run_id),
            previous_triggers=wh.run_frame("triggers", previous["run_id"]),
            current_triggers=wh.run_frame("triggers", run_id),
        ),
        construction=construction_changes(construction_before, construction_now),
        construction_not_recorded=tuple(
            r["run_id"]
            for r, rows in ((previous, construction_before), (current, construction_now))
            if rows is None
        ),
        drills=verdict_changes(
            _drills_seen(wh, previous["forecast_run_id"], previous["created_at"]),
            _drills_seen(wh, forecast_run_id, current["created_at"]),
        ),
        inputs=_input_differences(current, previous),
        versions=_version_difference(current, previous),
    )
