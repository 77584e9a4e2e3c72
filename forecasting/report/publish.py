"""Write a run's report folder atomically, point ``latest`` at the newest, rebuild the index.

Layout under ``root``::

    root/index.html            every run, newest first
    root/latest -> <folder>    the newest as-of day (then the newest generated): a symlink,
                               a copy where symlinks are not possible
    root/<folder>/             index.html, finance.html, facilities.html, platform.html,
                               triggers.csv, triggers.json, orders.csv, drills.csv,
                               plotly.min.js, run.json

A run is written into a hidden temporary folder inside ``root`` and renamed into place, so a
reader sees either no report or a whole one. Folder names come only from :func:`run_slug`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import plotly.offline
import polars as pl

from forecasting.errors import PublishError
from forecasting.report.format import UNVERIFIED_MARK
from forecasting.report.inputs import (
    ReportInputs,
    arrival_shown,
    construction_only,
    daily_days,
    daily_end,
    exhaustion_grain,
    order_by_grain,
    orders_frame,
    orders_monthly_only,
    orders_status_only,
    past_the_plan,
    size_note,
    split_new_site,
    status_only,
    status_shown,
    unverified_note,
)
from forecasting.report.pages import (
    PLOTLY_JS,
    RunEntry,
    busiest_blocks_text,
    drill_absorb_cost_text,
    drill_absorb_text,
    facilities_page,
    finance_page,
    platform_page,
    run_index_page,
    runs_index_page,
)
from forecasting.report.pages.common import plan_last_day, to_place_by
from forecasting.schema import BORDERLINE, NOT_VERIFIED, book_only_noted, borderline_classes
from forecasting.text import before_next_report

__all__ = [
    "LATEST",
    "RUN_META",
    "PublishError",
    "drills_frame",
    "list_runs",
    "publish_report",
    "run_slug",
]

LATEST = "latest"
RUN_META = "run.json"
_TEMP_PREFIX = ".tmp-"
_RESERVED = {LATEST, "index.html"}
_MAX_SLUG = 80
# Spreadsheet programs run cells that start with these as formulas (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def run_slug(run_id: str) -> str:
    """A folder name for ``run_id``: letters, digits, ``.``, ``_`` and ``-`` only.

    An id that is already safe is used as it is. Any other id (path separators, ``..``, spaces,
    a leading dot, a reserved name, over-long) is reduced to its safe characters plus a short
    hash of the original, so two different ids never share a folder.
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", run_id).strip(".-")[:_MAX_SLUG].strip(".-")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    if cleaned == run_id and cleaned and cleaned not in _RESERVED:
        return cleaned
    digest = hashlib.sha256(run_id.encode("utf-8")).hexdigest()[:10]
    return f"{cleaned or 'run'}-{digest}"


def _csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """String cells that a spreadsheet would run as a formula get a leading apostrophe."""
    risky = pl.col(pl.String).str.starts_with(_FORMULA_START[0])
    for start in _FORMULA_START[1:]:
        risky = risky | pl.col(pl.String).str.starts_with(start)
    return frame.with_columns(
        pl.when(risky)
        .then(pl.lit("'") + pl.col(pl.String))
        .otherwise(pl.col(pl.String))
        .name.keep()
    )


def drills_frame(inputs: ReportInputs) -> pl.DataFrame:
    """One row per drill and class: the drill's answer beside the class's verdict.

    A drill "not verified" (``unverified`` says why) has neither passed nor failed:
    ``drill_passed`` and ``class_passed`` are empty there. ``drill_passed true`` on a 2x ramp
    the horizon cut at 1.17x read as the named question answered; nor is ``class_passed`` true
    for a class with no demand in the drill window (``has_demand`` false): nothing was served.
    ``absorb_cost_lower_bound`` is true where the time to absorb is censored:
    ``absorb_cost_usd`` is then what the ladder had spent by the window's end (it grows with
    ``--horizon``), not a cost of absorbing. ``first_to_saturate`` (the blocks of the pool
    that ran full first; ``baseline_first_to_saturate`` the same without the shock),
    ``busiest_blocks`` (top three by utilisation) and
    ``stranded_gpu_hours_mean`` (idle while demand in the region waited, summed over blocks)
    are the drill's block figures, on the platform page too (stored, they were published
    nowhere). ``time_to_absorb_text`` and ``absorb_cost_text``
    say both as the platform page does: a shock that ended inside the window with some class
    short until then reads "short until the shock ended (72 h) or later: not absorbed by the
    response" (a three-day region loss read ``time_to_absorb_hours`` 73, not censored)."""
    unverified = pl.col("verdict").eq_missing(pl.lit(NOT_VERIFIED))
    # A borderline drill neither passed nor failed at its paths; nor did the classes its reason
    # names (another draw of as many paths read the other verdict).
    unsettled = pl.col("verdict").eq_missing(pl.lit(BORDERLINE))
    unsettled_classes = pl.struct("unverified", "workload_class").map_elements(
        lambda r: r["workload_class"] in borderline_classes(r["unverified"]),
        return_dtype=pl.Boolean,
    )
    answers = inputs.drill_answers.rename({"passed": "drill_passed"}).with_columns(
        absorb_cost_lower_bound=pl.when(pl.col("absorb_cost_usd").is_not_null()).then(
            pl.col("absorb_censored").fill_null(False)
        )
    )
    rows = inputs.drill_answers.to_dicts()
    blocks = inputs.drill_blocks
    answers = answers.with_columns(
        time_to_absorb_text=pl.Series([drill_absorb_text(r) for r in rows], dtype=pl.String),
        absorb_cost_text=pl.Series([drill_absorb_cost_text(r) for r in rows], dtype=pl.String),
        busiest_blocks=pl.Series(
            [busiest_blocks_text(blocks.filter(pl.col("drill") == r["drill"])) for r in rows],
            dtype=pl.String,
        ),
        # The regions whose demand the drill played is the contract book's alone (its notes
        # say which): a CSV row read as forecast demand drilled.
        book_only_regions=pl.Series(
            [
                "; ".join(book_only_noted((r["drill_notes"] or "").split("; "))) or None
                for r in rows
            ],
            dtype=pl.String,
        ),
    ).join(
        blocks.group_by("drill").agg(pl.col("stranded_gpu_hours_mean").sum()),
        on="drill",
        how="left",
    )
    verdicts = inputs.drill_verdicts.rename({"passed": "class_passed"})
    return (
        answers.join(verdicts, on="drill", how="full", coalesce=True)
        .with_columns(
            pl.when(unverified).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("drill_passed", "class_passed")
        )
        .with_columns(
            drill_passed=pl.when(unsettled).then(None).otherwise(pl.col("drill_passed")),
            class_passed=pl.when(unsettled & unsettled_classes.fill_null(False))
            .then(None)
            .otherwise(pl.col("class_passed")),
        )
        .with_columns(
            class_passed=pl.when(pl.col("has_demand").eq_missing(pl.lit(False)))
            .then(None)
            .otherwise(pl.col("class_passed"))
        )
        .sort("drill", "workload_class", nulls_last=True)
    )


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _meta(inputs: ReportInputs) -> dict[str, str | None]:
    return {
        "run_id": inputs.run_id,
        "as_of": inputs.as_of.isoformat(),
        "generated_at": inputs.generated_at.isoformat(),
        "worst_status": inputs.worst_status,
        "dates_placed": inputs.placed_dates or None,
    }


def _placeable_capex(
    triggers: pl.DataFrame, placements: pl.DataFrame | None, *, end: date | None
) -> pl.DataFrame:
    """``triggers`` with ``capex_usd`` the capex of the blocks the plan can place within the
    horizon, and ``blocks_beyond_ceiling``, ``capex_new_site_usd`` and ``capex_past_plan_usd``
    beside it, as ``orders.csv`` and the pages count them (:func:`split_new_site`,
    :func:`past_the_plan` to ``end``, the plan's last day). The demo's triggers.csv summed to
    $7,161.6M, a figure on no page: it held 243 racks past eu-west-a's ceiling with nothing to
    say so; ServeGen's held $67.6M of racks that run only after the plan's end. Runs that
    stored no placements keep their capex whole, the new columns null."""
    columns = ["blocks_beyond_ceiling", "capex_new_site_usd", "capex_past_plan_usd"]
    if placements is None or placements.is_empty() or "blocks_beyond_ceiling" not in placements:
        return triggers.with_columns(
            blocks_beyond_ceiling=pl.lit(None, pl.Int64),
            capex_new_site_usd=pl.lit(None, pl.Float64),
            capex_past_plan_usd=pl.lit(None, pl.Float64),
        )
    # An order split across sites or by power has a row per share: one row per trigger
    # (joined share by share, a trigger read once per share, each with the whole capex).
    first = (
        past_the_plan(
            split_new_site(placements.filter(pl.col("tranche").fill_null(1) == 1)), end=end
        )
        .group_by("region", "pool", maintain_order=True)
        .agg(
            pl.when(pl.col("blocks_beyond_ceiling").is_null().all())
            .then(None)
            .otherwise(pl.col("blocks_beyond_ceiling").sum())
            .alias("blocks_beyond_ceiling"),
            pl.col("capex_new_site_usd").sum(),
            pl.col("capex_past_plan_usd").sum(),
        )
    )
    return triggers.join(
        first.select("region", "pool", *columns),
        on=["region", "pool"],
        how="left",
        maintain_order="left",
    ).with_columns(
        pl.col("capex_usd")
        - pl.col("capex_new_site_usd").fill_null(0.0)
        - pl.col("capex_past_plan_usd").fill_null(0.0),
    )


def _with_new_site_dates(orders: pl.DataFrame, inputs: ReportInputs) -> pl.DataFrame:
    """``orders`` (orders.csv) with ``new_site_order_by`` and ``new_site_arrives`` (added last):
    the dates every page gives the blocks past their site's ceiling by their region's declared
    new site (:func:`~forecasting.triggers.new_site_dates`), null on the others and without
    [[new_site]]. The download's order_by and arrives stay the blocks under the ceiling's:
    those past it read null in the pivot every page dated. Read from the stored placements,
    whose arrival the download blanks where no site can power the order."""
    from forecasting.triggers import new_site_dates

    keys = ["region", "pool", "tranche", "site"]
    past = (
        inputs.placements.filter(pl.col("blocks_beyond_ceiling").fill_null(0) > 0)
        if not inputs.placements.is_empty() and "tranche" in inputs.placements.columns
        else pl.DataFrame()
    )
    rows = [
        {k: r[k] for k in keys}
        | dict(
            zip(
                ("new_site_order_by", "new_site_arrives"),
                new_site_dates(inputs.construction, inputs.plan, r, as_of=inputs.as_of)
                or (None, None),
                strict=True,
            )
        )
        for r in past.iter_rows(named=True)
    ]
    schema = {k: orders.schema[k] for k in keys} | {
        "new_site_order_by": pl.Date(),
        "new_site_arrives": pl.Date(),
    }
    # One row per key: an order split by power at one site has one part past its ceiling.
    dated = pl.DataFrame(rows, schema=schema, orient="row").unique(keys, keep="first")
    return orders.join(dated, on=keys, how="left", nulls_equal=True, maintain_order="left")


def _triggers_new_site_dates(triggers: pl.DataFrame, inputs: ReportInputs) -> pl.DataFrame:
    """``triggers`` (triggers.csv) with ``new_site_order_by`` and ``new_site_arrives`` (added
    last): the dates of its own order's blocks past their site's ceiling by the region's
    declared new site, as orders.csv gives its tranche-1 rows (the earliest where they lie at
    several sites); null on the others and without [[new_site]].

    Its order-by read null for an order wholly past every ceiling that every page dated
    ("order by 2027-12-14, in a new site that must be started by 2027-03-04"): the date was
    in the note's text alone."""
    from forecasting.triggers import new_site_dates

    past = (
        inputs.placements.filter(
            (pl.col("tranche") == 1) & (pl.col("blocks_beyond_ceiling").fill_null(0) > 0)
        )
        if not inputs.placements.is_empty() and "tranche" in inputs.placements.columns
        else pl.DataFrame()
    )
    rows = []
    for r in past.iter_rows(named=True):
        dated = new_site_dates(inputs.construction, inputs.plan, r, as_of=inputs.as_of)
        if dated is not None:
            rows.append((r["region"], r["pool"], *dated))
    schema = {
        "region": pl.String(),
        "pool": pl.String(),
        "new_site_order_by": pl.Date(),
        "new_site_arrives": pl.Date(),
    }
    dated_rows = (
        pl.DataFrame(rows, schema=schema, orient="row")
        .group_by("region", "pool")
        .agg(pl.col("new_site_order_by", "new_site_arrives").min())
    )
    return triggers.join(dated_rows, on=["region", "pool"], how="left", maintain_order="left")


def _with_new_sites(orders: pl.DataFrame, inputs: ReportInputs, *, placed: pl.Expr) -> pl.DataFrame:
    """``orders`` (orders.csv) with a row per region whose sites' ceilings run out within the
    horizon (``inputs.construction``): the new site its construction trigger dates,
    ``order_by`` its start-by date, ``status`` its colour, ``exhaustion_date`` the day the
    ceilings run out, and its MW and declared cost in ``new_site_mw`` and
    ``new_site_capex_usd`` (added last), null on the orders. Its ``capex_usd``, ``mw`` and
    ``blocks`` stay null, so their sums stay the blocks' and the cost is counted once; without
    [[new_site]] its date and cost are null. The download held the blocks alone, the new site
    the facilities page priced in none."""
    rows = inputs.construction.filter(pl.col("exhaustion_date").is_not_null())
    grain = pl.when(pl.col("exhaustion_monthly")).then(pl.lit("month")).otherwise(pl.lit("day"))
    sites = rows.select(
        "region",
        "status",
        pl.col("start_by").alias("order_by"),
        "exhaustion_date",
        grain.alias("exhaustion_grain"),
        pl.when(pl.col("start_by").is_null()).then(None).otherwise(grain).alias("order_by_grain"),
        placed,
        # What its construction line says after the colour (ceilings running out past the
        # day the run verifies read a plain "red" here).
        pl.concat_str("status", pl.lit(" "), construction_only(inputs))
        .fill_null(pl.col("status"))
        .alias("status_shown"),
        pl.col("mw_past_ceilings").alias("new_site_mw"),
        pl.col("cost_usd").alias("new_site_capex_usd"),
    )
    empty = {
        "new_site_mw": pl.lit(None, pl.Float64),
        "new_site_capex_usd": pl.lit(None, pl.Float64),
    }
    with_columns = orders.with_columns(**empty)
    # Dated among the orders by start-by (stable: the orders keep their order), undated last.
    return pl.concat([with_columns, sites], how="diagonal_relaxed").sort(
        "order_by", nulls_last=True, maintain_order=True
    )


# The order-by dates a download's row may carry, each read by the one rule of the next report.
_ORDER_BY_COLUMNS = ("order_by", "waiting_order_by", "new_site_order_by")


def _with_next_report(frame: pl.DataFrame, inputs: ReportInputs) -> pl.DataFrame:
    """``frame`` (orders.csv or triggers.csv) with ``due_before_next_report``, added last: on a
    row any of whose order-by dates falls before the next scheduled report (its ``order_by``,
    a new site's start-by on its row, the new-site order-by of blocks past every ceiling, the
    own order-by of a part waiting for power), the words every page and the CLI say beside it
    (text.before_next_report, the one rule); null otherwise. A new site's start-by on the
    as-of day and a share waiting for power due four days on read plain in orders.csv while
    the pages said to act before the next report; triggers.csv had no such column, and a row
    whose new-site order-by fell before the report read plain beside its late order_by."""
    dated = [c for c in _ORDER_BY_COLUMNS if c in frame.columns]
    words = [
        next(
            (
                said
                for day in days
                if isinstance(day, date)
                and (
                    said := before_next_report(
                        day, as_of=inputs.as_of, next_report=inputs.next_report
                    )
                )
            ),
            None,
        )
        for days in frame.select(dated).iter_rows()
    ]
    return frame.with_columns(pl.Series("due_before_next_report", words, dtype=pl.String))


def _to_place_by(by: date | None) -> pl.Expr:
    """``to_place_by``: the last day of the order window on an order due by it (one of the
    orders to place, which the finance card sums), null on one due later or never."""
    due = pl.col("order_by").is_not_null()
    if by is not None:
        due = due & (pl.col("order_by") <= by)
    return pl.when(due).then(pl.lit(by, pl.Date)).otherwise(None).alias("to_place_by")


def _write_run(inputs: ReportInputs, folder: Path) -> None:
    pages: dict[str, Callable[[ReportInputs], str]] = {
        "index.html": run_index_page,
        "finance.html": finance_page,
        "facilities.html": facilities_page,
        "platform.html": platform_page,
    }
    for name, render in pages.items():
        _write_text(folder / name, render(inputs))
    _write_text(folder / PLOTLY_JS, plotly.offline.get_plotlyjs())
    end = daily_end(inputs)
    days = daily_days(inputs)
    last = plan_last_day(inputs)
    triggers = _placeable_capex(inputs.triggers, inputs.placements, end=last).with_columns(
        # An order no site can power has no arrival (its stored one is its shortfall's).
        arrival_shown("blocks_to_order"),
        exhaustion_grain=exhaustion_grain(end),
        order_by_grain=order_by_grain(end),
        size_note=size_note(days),
    )
    # Every dated row says so where its dates rest on a placed calendar (a ServeGen
    # "order by 2024-10-14" read as a real date).
    placed = pl.lit(inputs.placed_dates or None, pl.String).alias("dates_placed")
    # Beside the stored status, the one the pages show: a vacant region's green read "green"
    # here where every page read "not verified (no capacity planned, no demand measured)".
    # And what the pages say after the colour where the run does not verify it to the plan's
    # end: "green" read here beside the pages' "green to 2026-12-18 only: not verified
    # beyond".
    shown, only = status_shown(inputs), status_only(inputs)
    triggers = triggers.with_columns(
        placed,
        status_shown=pl.when(only.is_not_null() & (shown == pl.col("status")))
        .then(pl.format("{} {}", "status", only))
        .otherwise(shown),
    )
    triggers = _with_next_report(_triggers_new_site_dates(triggers, inputs), inputs)
    triggers = _with_status_note(triggers, inputs)
    _csv_safe(triggers).write_csv(folder / "triggers.csv")
    triggers.write_json(folder / "triggers.json")
    # A trigger's own order (tranche 1) is dated as its trigger is: its flag says the grain.
    # So are the later orders after it, whose shortfalls start where its size, not verified
    # at the daily grain, ends (a 28-day run's us-west cell, due first, read as measured),
    # and a later order sized on a month a default run reads by the day, and those after it.
    orders = orders_monthly_only(
        orders_frame(inputs.placements, end=last),
        inputs.triggers,
        daily_end=end,
        as_of=inputs.as_of,
    )
    # A later order's own shortfall (or a share of a trigger's order whose status is its own)
    # says how far it is verified, as the pages read it: the demo's eu-west cell-gb200 for Oct
    # 2028 read a plain "green" here beside the pages' "green to 2027-06-06 only: not verified
    # beyond".
    own = orders_status_only(orders, inputs)
    orders = (
        orders.with_columns(own.alias("_own_only"))
        .with_columns(
            exhaustion_grain=exhaustion_grain(end),
            order_by_grain=order_by_grain(end),
            size_note=size_note(days, blocks="blocks"),
        )
        .drop("monthly_only")
        # The capital card's orders to place: every order due by the window's last day, as
        # the pages and the CLI count them (pages.common.orders_to_place).
        .with_columns(_to_place_by(to_place_by(inputs)))
        # As triggers.csv shows its pool: a region on the contract book alone says so, and a
        # pool whose status the run does not verify to the plan's end says how far it does
        # (every order read a plain "green" beside triggers.csv's "green to ... only").
        .with_columns(placed)
        .join(
            triggers.select("region", "pool", "status_shown", pool_status="status"),
            on=["region", "pool"],
            how="left",
            maintain_order="left",
        )
        # An order whose own status is not its pool's (a later order, a share split by power)
        # shows its own, as the facilities and finance pages do: a fleet 3x over its plan
        # read "green" beside "red" in one row, its pool's colour on a green later order.
        .with_columns(
            status_shown=pl.when(
                ((pl.col("tranche") > 1) | (pl.col("status") != pl.col("pool_status")))
                & pl.col("_own_only").is_not_null()
            )
            .then(pl.format("{} {}", "status", "_own_only"))
            .when(pl.col("status") == pl.col("pool_status"))
            .then(pl.coalesce("status_shown", status_shown(inputs)))
            .otherwise(status_shown(inputs))
        )
        .drop("pool_status", "_own_only")
    )
    # Added columns go last: a reader of the download by position keeps its columns.
    orders = orders.select(pl.exclude("order_by_blocks"), "order_by_blocks")
    orders = _with_new_sites(orders, inputs, placed=placed)
    orders = _with_new_site_dates(orders, inputs)
    orders = _with_next_report(orders, inputs)
    orders = _with_status_note(orders, inputs)
    _csv_safe(orders).write_csv(folder / "orders.csv")
    _csv_safe(drills_frame(inputs).with_columns(placed)).write_csv(folder / "drills.csv")
    _write_text(folder / RUN_META, json.dumps(_meta(inputs), indent=2))


def _with_status_note(frame: pl.DataFrame, inputs: ReportInputs) -> pl.DataFrame:
    """``frame`` (triggers.csv or orders.csv) with ``status_note``, added last: why its
    ``status_shown`` is not verified past its day where it carries the marker
    (:func:`~forecasting.report.inputs.unverified_note`), else empty. The reason is its own
    column so that ``status_shown`` reads in one line: it repeated ~35 words in every red."""
    marked = pl.col("status_shown").str.contains(UNVERIFIED_MARK, literal=True).fill_null(False)
    note = unverified_note(inputs) or None
    return frame.with_columns(
        status_note=pl.when(marked).then(pl.lit(note, pl.String)).otherwise(None)
    )


def _swap_in(staged: Path, final: Path) -> None:
    """Rename ``staged`` to ``final``; an existing ``final`` is moved aside first, then removed."""
    if final.is_symlink() or final.is_file():
        final.unlink()
    if not final.exists():
        staged.rename(final)
        return
    # A directory cannot be renamed over a non-empty one: move the old one aside, so `final`
    # is missing only between two renames, never half-written.
    old = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=final.parent))
    final.rename(old / final.name)
    staged.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _point_latest(root: Path, folder: str) -> None:
    """Make ``root/latest`` the run ``folder``: a symlink swapped in with os.replace."""
    link = root / LATEST
    temp = root / f"{_TEMP_PREFIX}{LATEST}-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        os.symlink(folder, temp, target_is_directory=True)
    except OSError:
        # No symlinks here (some Windows setups, some mounts): a copy, swapped in whole.
        staged = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=root))
        shutil.copytree(root / folder, staged / LATEST)
        _swap_in(staged / LATEST, link)
        shutil.rmtree(staged, ignore_errors=True)
        return
    if link.is_dir() and not link.is_symlink():
        _swap_in(temp, link)
    else:
        os.replace(temp, link)


def list_runs(root: Path) -> list[RunEntry]:
    """Every run folder under ``root`` with a readable run.json, in no particular order."""
    runs = []
    for meta in root.glob(f"*/{RUN_META}"):
        folder = meta.parent
        if folder.name.startswith(".") or folder.name == LATEST:
            continue
        try:
            raw = json.loads(meta.read_text(encoding="utf-8"))
            runs.append(
                RunEntry(
                    folder=folder.name,
                    run_id=str(raw["run_id"]),
                    as_of=date.fromisoformat(raw["as_of"]),
                    generated_at=datetime.fromisoformat(raw["generated_at"]),
                    worst_status=raw.get("worst_status"),
                )
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a foreign or damaged folder is not a run; it must not break the index
    return runs


def _write_index(root: Path, runs: list[RunEntry], *, latest: str) -> None:
    temp = root / f"{_TEMP_PREFIX}index-{os.getpid()}-{os.urandom(4).hex()}.html"
    _write_text(temp, runs_index_page(runs, latest=latest))
    os.replace(temp, root / "index.html")


# A staging entry untouched this long belongs to a publish that was killed: a live one
# writes its files within seconds.
ABANDONED_AFTER = timedelta(hours=1)


def _remove_abandoned(root: Path) -> None:
    """Remove staging folders and files of publishes killed mid-way (SIGKILL leaves them:
    each kill left half a report, up to tens of MB, which no later publish removed)."""
    cutoff = time.time() - ABANDONED_AFTER.total_seconds()
    for entry in root.glob(f"{_TEMP_PREFIX}*"):
        try:
            if entry.lstat().st_mtime >= cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        except OSError:
            continue  # another publish removed it, or it is not ours to remove


def publish_report(inputs: ReportInputs, *, root: Path) -> Path:
    """Write the run's report under ``root``, point ``latest`` at the newest, rebuild the
    runs index.

    Returns the run's folder. Publishing the same run id again replaces its folder whole.
    ``latest`` is the run of the newest as-of day (the last generated among equals, this one
    among ties), not the last published: a backfill, or a report redone on an old run, took
    it over, and readers who keep ``latest`` open read an old plan as the current one.

    A folder that cannot be made or written raises :class:`PublishError` (a PermissionError
    under /sys, a full disk), not the OS error's trace.
    """
    try:
        return _published(inputs, root=root)
    except OSError as exc:
        raise PublishError(
            f"cannot write the pages to {root} ({exc.strerror or exc}); pass --reports a "
            "folder you can write in"
        ) from exc


def _published(inputs: ReportInputs, *, root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(root)
    name = run_slug(inputs.run_id)
    staged = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=root))
    try:
        _write_run(inputs, staged)
        staged.chmod(0o755)  # mkdtemp makes it private; a report is for others to read
        _swap_in(staged, root / name)
    finally:
        if staged.exists():
            shutil.rmtree(staged, ignore_errors=True)
    runs = list_runs(root)
    newest = (
        max(runs, key=lambda r: (r.as_of, r.generated_at, r.folder == name)).folder
        if runs
        else name
    )
    _point_latest(root, newest)
    _write_index(root, runs, latest=newest)
    return root / name
