"""Every order-by and contract-by date due before the next scheduled report says so, on every
surface, from one rule (text.before_next_report); the CLI's power line names the red and
amber sites after the first."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl
from test_construction import _one_past_a_ceiling
from test_report import AS_OF, _planned, _visible, sample_inputs

from forecasting.report import ReportInputs
from forecasting.text import before_next_report

# The sample's amber us-east/training order is due AS_OF + 36 days (2026-12-28), dated from a
# month past its daily rows; its red us-east/all order is late, its green eu-west/all one due
# AS_OF + 330 days.
NEXT = date(2026, 12, 30)
SOON = f"falls before the next scheduled report ({NEXT}): place it by then"
DUE = AS_OF + timedelta(days=36)
LATER_DUE = AS_OF + timedelta(days=5)


def _weekly(next_report: date | None = NEXT, *, later_first: bool = False) -> ReportInputs:
    """The sample inputs with a later order due ``LATER_DUE`` and the next report on
    ``next_report``; ``later_first``: the late us-east/all order moved to ``DUE``, so that
    the later order is due before every pool's first."""
    sample = sample_inputs()
    placements = _planned(sample, later_capex=50e6).with_columns(
        order_by=pl.when(pl.col("tranche") == 2).then(LATER_DUE).otherwise("order_by")
    )
    triggers = sample.triggers.with_columns(
        order_by=pl.when(pl.col("order_by") < AS_OF).then(DUE).otherwise("order_by")
    )
    return replace(
        sample,
        placements=placements,
        triggers=triggers if later_first else sample.triggers,
        next_report=next_report,
    )


def _cells(table: Any) -> list[str]:
    return [str(c) for row in table.rows for c in row]


def test_the_finance_tables_say_an_order_due_before_the_next_report() -> None:
    """The front page's "next order-by" card said "falls before the next scheduled report:
    place it by then" of the first order alone: the finance page's orders table read the
    amber us-east/training order due 2026-12-28 plain, beside a report next due 2026-12-30,
    and so did the later orders table of a later order due in five days. A finance reader of
    the table saw nothing due before the next report. Every such row now says it; a row due
    after it, or a run with no schedule known, reads as before."""
    from forecasting.report.pages.finance import finance_page

    weekly = _weekly()
    page = _visible(finance_page(weekly))
    assert f"{DUE} (monthly grain), {SOON}" in page
    assert f"{LATER_DUE} (monthly grain: not verified at the daily grain), {SOON}" in page
    # The green eu-west/all order, due next October, is no more urgent than before; the
    # us-east/training order-by says it again where "what changed" lists its move.
    assert page.count(SOON) == 3, page.count(SOON)
    assert f"2027-01-18 → {DUE}, {SOON}" in html.unescape(page)
    assert "next scheduled report" not in _visible(finance_page(_weekly(None)))
    # The orders chart's takeaway names the first order and a later one due before it.
    first = _visible(finance_page(_weekly(later_first=True)))
    assert f"by {LATER_DUE} (red; {SOON})." in first
    assert f"by {DUE} (red; {SOON}); of 3 dated triggers" in first


def test_the_front_card_says_it_of_a_later_order_due_first() -> None:
    """The card said it only where a pool's first order came first: a later order of the plan
    due first (the demo's eu-west cell, due 2026-12-13, a week before the next report) read
    "2026-12-13 (eu-west · all, green, a later order: 1 × cell-gb200-8192)", plain."""
    from forecasting.report.pages import run_index_page

    page = _visible(run_index_page(_weekly(later_first=True)))
    # Its shortfall lies past the verified days: its status says so (see the test below).
    unverified = "runs short past 2026-12-19: not verified†"
    assert (
        f"{LATER_DUE} (us-east · all, red ({unverified}), a later order: 3 × cell-later; {SOON})"
        in page
    )
    # Why, once, beside the card (the cell reads in one line).
    assert page.count("† Not verified past the last day a backtest measured (2026-12-19).") == 1
    calm = _weekly(None, later_first=True)
    assert "next scheduled report" not in _visible(run_index_page(calm))


def test_the_facilities_tables_say_an_order_due_before_the_next_report() -> None:
    """The facilities page's blocks-to-order and power-by-order tables read the same orders
    plain."""
    from forecasting.report.pages.facilities import facilities_page

    page = _visible(facilities_page(_weekly()))
    # Blocks to order and power by order: the order, and the later order.
    for said in (
        f"{DUE} (monthly grain), {SOON}",
        f"{LATER_DUE} (monthly grain: not verified at the daily grain), {SOON}",
    ):
        assert page.count(said) == 2, (said, page.count(said))
    assert "next scheduled report" not in _visible(facilities_page(_weekly(None)))


def _power(contract_by: date, site: str = "us-east-b", **row: Any) -> pl.DataFrame:
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    one = {"region": "us-east", "site": site, "status": "red", "as_of": AS_OF,
           "contract_by": contract_by, "mw_to_contract": 4.0, "power_lead_months": 12,
           "cost_usd": 4e6, "monthly_only": False} | row  # fmt: skip
    return pl.concat(
        [POWER_TRIGGERS_SCHEMA.to_frame(), pl.DataFrame([one]).cast({"contract_by": pl.Date})],
        how="diagonal_relaxed",
    ).select(POWER_TRIGGERS_SCHEMA.keys())


def test_a_contract_by_date_before_the_next_report_says_so() -> None:
    """The facilities power table's "contract power by" and its "contract more power by" card
    read a date four days out plain, where an order-by as close said to act before the next
    report: one rule for both."""
    from forecasting.report.pages.facilities import _power_contracts_table, facilities_page

    soon, far = AS_OF + timedelta(days=4), AS_OF + timedelta(days=90)
    table = _power_contracts_table(_power(soon), as_of=AS_OF, next_report=NEXT)
    by = table.headers.index("contract power by")
    assert table.rows[0][by] == f"{soon}, {SOON}"
    plain = _power_contracts_table(_power(far), as_of=AS_OF, next_report=NEXT)
    assert plain.rows[0][by] == str(far)
    page = _visible(facilities_page(replace(_weekly(), power_triggers=_power(soon))))
    assert f"at us-east-b by {soon} ({SOON})" in page


def test_a_new_site_order_by_before_the_next_report_says_so() -> None:
    """The blocks past a ceiling, dated by the region's declared new site ("order by
    2026-08-10, in a new site that must be started by 2026-08-05"), read plain on the
    finance and facilities pages a week before that date."""
    from forecasting.report.pages.facilities import facilities_page
    from forecasting.report.pages.finance import finance_page

    inputs = _one_past_a_ceiling()
    week = replace(inputs, as_of=date(2026, 8, 5), next_report=date(2026, 8, 12))
    said = (
        "order by 2026-08-10 (falls before the next scheduled report (2026-08-12): place it by "
        "then), in a new site that must be started by 2026-08-05"
    )
    assert said in html.unescape(finance_page(week))
    assert said in html.unescape(facilities_page(week))
    assert "next scheduled report" not in html.unescape(finance_page(inputs))


def test_the_terminal_and_the_prefect_summary_say_it_too(tmp_path: Path) -> None:
    """The CLI's report table, its "order first" clause for a later order, and the Prefect
    summary artifact read the same dates plain: only the triggers line's first pool order
    said it."""
    from flows.tables import report_table, triggers_line
    from forecasting.runs.reports import report_outcome, report_summary_markdown

    weekly = _weekly()
    outcome = report_outcome(weekly, SimpleNamespace(run_id="t"), tmp_path)  # type: ignore[arg-type]
    rows = [" ".join(str(c) for c in r) for r in _rich_rows(report_table(outcome))]
    (training,) = [r for r in rows if r.startswith("us-east training")]
    assert f"{DUE} (monthly grain) ({SOON})" in training, training
    first = report_outcome(_weekly(later_first=True), SimpleNamespace(run_id="t"), tmp_path)  # type: ignore[arg-type]
    line = triggers_line(first)
    # The later order is sized on a monthly row (its shortfall 2027-03-22, past the daily rows).
    assert (
        f"3 x cell-later by {LATER_DUE} (sized at the monthly grain, not verified at the daily "
        f"grain: see its pool's note; {SOON}; a later order of the plan"
    ) in line, line
    summary = report_summary_markdown(weekly, tmp_path)
    assert f"| {DUE} ({SOON}) |" in summary, summary
    calm = report_outcome(_weekly(None), SimpleNamespace(run_id="t"), tmp_path)  # type: ignore[arg-type]
    assert "next scheduled report" not in triggers_line(calm)
    assert "next scheduled report" not in report_summary_markdown(_weekly(None), tmp_path)


def _rich_rows(table: Any) -> list[list[str]]:
    """A rich table's rows as plain text."""
    columns = [[str(c) for c in col._cells] for col in table.columns]
    return [list(row) for row in zip(*columns, strict=True)]


def _report(**fields: Any) -> Any:
    from forecasting.runs import ReportOutcome

    return ReportOutcome(
        run_id="r", trigger_run_id="t", path=Path("."), statuses={}, failing_drills=[],
        stale_days=None, triggers=[], as_of=AS_OF, **fields,
    )  # fmt: skip


def test_the_power_line_says_a_contract_date_before_the_next_report() -> None:
    """The CLI's power line read "contract power first: us-east-b by 2026-11-26", plain, four
    days before it was due and a week before the next report."""
    from flows.tables import power_lines

    soon = AS_OF + timedelta(days=4)
    report = _report(power_statuses={"red": 1}, power_first=("us-east-b", soon), next_report=NEXT)
    assert power_lines(report)[0] == (
        f"power: 1 red, 0 amber, 0 green; contract power first: us-east-b by {soon} ({SOON})"
    )
    quiet = report.model_copy(update={"next_report": None})
    assert power_lines(quiet)[0].endswith(f"us-east-b by {soon}")
    assert before_next_report(soon, as_of=AS_OF, next_report=NEXT) == SOON


def test_the_power_line_names_the_other_red_and_amber_sites_with_their_dates() -> None:
    """The demo's power line read "power: 6 red, 0 amber, 1 green; contract power first:
    us-east-b by 2025-02-11 (663 days ago: late)": five other red sites, late too, named
    nowhere on the terminal. It now names them after the first with their dates, as many as
    the headline names (4), and counts the rest."""
    from flows.tables import power_lines

    def site(name: str, days: int, **kw: Any) -> dict[str, Any]:
        by = AS_OF + timedelta(days=days)
        return {"site": name, "contract_by": by, "new_site": False, "forward": False,
                "monthly": False} | kw  # fmt: skip

    then = [
        site("us-west-a", -30),
        site("eu-west-a", 3),
        site("us-east-c", 60, new_site=True),
        site("us-west-b", 90),
        site("eu-west-b", 120),
    ]
    report = _report(
        power_statuses={"red": 6},
        power_first=("us-east-b", AS_OF - timedelta(days=60)),
        power_then=then,
        next_report=NEXT,
    )
    assert power_lines(report)[0] == (
        "power: 6 red, 0 amber, 0 green; contract power first: us-east-b by 2026-09-23 (60 "
        "days ago: late); then us-west-a by 2026-10-23 (30 days ago: late), eu-west-a by "
        f"2026-11-25 ({SOON}), us-east-c (a new site is needed: its need passes its "
        "ceiling) and 2 more"
    )
    # One site only: as before.
    alone = report.model_copy(update={"power_then": []})
    assert "; then" not in power_lines(alone)[0]


def test_a_later_order_sized_on_a_month_a_default_run_reads_by_the_day_is_marked(
    tmp_path: Path,
) -> None:
    """A later order whose shortfall lies on a monthly row within the days a default run
    reads by the day (a month's row is its peak day, above any one day's q90: a stricter
    reading) read as measured in orders.csv ("month" grain, no size note) and on the finance
    and facilities pages, while its pool's first order, sized the same way, carried
    "(monthly grain: not verified at the daily grain)" and the power triggers called a site's
    date resting on it monthly (triggers.common.short_at_the_monthly_grain_only). It is now
    marked as the first order is, and so is every later order of its pool after it; one whose
    shortfall is on a daily row, or past a default run's days, is not."""
    import csv

    from forecasting.report import publish_report
    from forecasting.report.inputs import daily_end
    from forecasting.report.pages.facilities import facilities_page
    from forecasting.report.pages.finance import finance_page
    from forecasting.schema import MONTHLY_ONLY

    sample = sample_inputs()
    end = daily_end(sample)
    assert end is not None and end < date(2027, 3, 22) <= AS_OF + timedelta(days=182)

    def later_short_on(day: date) -> ReportInputs:
        placements = _planned(sample, later_capex=7e6).with_columns(
            exhaustion_date=pl.when(pl.col("tranche") == 2).then(day).otherwise("exhaustion_date")
        )
        return replace(sample, placements=placements)

    def later_rows(inputs: ReportInputs, root: Path) -> list[dict[str, str]]:
        folder = publish_report(inputs, root=root)
        with (folder / "orders.csv").open(encoding="utf-8") as handle:
            return [r for r in csv.DictReader(handle) if r["tranche"] == "2"]

    monthly = later_short_on(date(2027, 3, 1))
    (row,) = later_rows(monthly, tmp_path / "monthly")
    assert row["order_by_grain"] == f"month, {MONTHLY_ONLY}", row
    assert row["size_note"].startswith(f"size {MONTHLY_ONLY}"), row
    said = f"2026-08-09 (monthly grain: {MONTHLY_ONLY})"
    assert said in html.unescape(_visible(finance_page(monthly)))
    assert "$7.0M, not verified" in html.unescape(_visible(finance_page(monthly)))
    assert said in html.unescape(_visible(facilities_page(monthly)))
    # On a daily row, or past the days a default run reads by the day: as before.
    for day, name in ((date(2027, 2, 1), "daily"), (date(2027, 8, 2), "past")):
        inputs = later_short_on(day)
        (plain,) = later_rows(inputs, tmp_path / name)
        assert MONTHLY_ONLY not in plain["order_by_grain"] and not plain["size_note"], plain
        assert "$7.0M, not verified" not in _visible(finance_page(inputs))


# r1's new site, started by 2026-08-05 (2 months to build), on a report made that day with
# the next one a week on (test_construction._one_past_a_ceiling).
START = date(2026, 8, 5)
WEEK_ON = date(2026, 8, 12)
START_SOON = f"falls before the next scheduled report ({WEEK_ON}): place it by then"


def _start_this_week(next_report: date | None = WEEK_ON) -> ReportInputs:
    return replace(_one_past_a_ceiling(), as_of=START, next_report=next_report)


def _orders_csv(inputs: ReportInputs, root: Path) -> list[dict[str, str]]:
    import csv

    from forecasting.report import publish_report

    with (publish_report(inputs, root=root) / "orders.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_start_a_new_site_by_date_before_the_next_report_says_so(tmp_path: Path) -> None:
    """r1's sites run out of room and its new site must be started by 2026-08-05, the as-of
    day, a week before the next weekly report: the facilities card and new-sites table, the
    finance page's new site, the CLI's construction line and orders.csv's new-site row read
    the date plain (the Prefect summary named no new site at all), while the blocks' order-by
    five days later said to act before the next report. Each says it now, by the one rule
    (text.before_next_report); with no next report known, none does."""
    from forecasting.report.pages.facilities import _construction_card, _construction_table
    from forecasting.report.pages.finance import finance_page
    from forecasting.runs.reports import report_outcome, report_summary_markdown

    week = _start_this_week()
    assert week.construction.drop_nulls("start_by")["start_by"].to_list() == [START]
    status = week.construction.drop_nulls("start_by")["status"][0]
    table = _construction_table(week)
    assert table.rows[0][table.headers.index("start a new site by")] == f"{START}, {START_SOON}"
    ((label, card),) = _construction_card(week)
    assert label == "start a new site by" and card.startswith(f"{START} (r1, "), card
    assert card.endswith(f"; {START_SOON})"), card
    finance = html.unescape(_visible(finance_page(week)))
    assert f"start a new site by {START} ({status}; {START_SOON}; 2 months to build" in finance
    outcome = report_outcome(week, SimpleNamespace(run_id="t"), tmp_path)  # type: ignore[arg-type]
    (line,) = [c for c in outcome.construction if "start a new site by" in c]
    assert f"start a new site by {START} ({status}; {START_SOON}; 2 months to build)" in line, line
    summary = report_summary_markdown(week, tmp_path)
    assert f"start a new site by {START} ({status}; {START_SOON}; 2 months to build)" in summary
    (site,) = [r for r in _orders_csv(week, tmp_path / "week") if not r["pool"]]
    assert (site["order_by"], site["due_before_next_report"]) == (str(START), START_SOON), site
    # No next report known: the same dates, plain.
    calm = _start_this_week(None)
    ((_, card),) = _construction_card(calm)
    outcome = report_outcome(calm, SimpleNamespace(run_id="t"), tmp_path)  # type: ignore[arg-type]
    for text in (card, *outcome.construction, report_summary_markdown(calm, tmp_path)):
        assert "next scheduled report" not in text, text
    (site,) = [r for r in _orders_csv(calm, tmp_path / "calm") if not r["pool"]]
    assert site["due_before_next_report"] == "", site


def test_a_part_waiting_on_power_due_before_the_next_report_says_so(tmp_path: Path) -> None:
    """An order split on power read "2026-11-12, 10 days ago: late for the 21 on power;
    2026-11-26 for the 53 waiting": the waiting part, due four days later and before the next
    weekly report, read plain on the CLI's table and the finance and facilities pages, while
    an order-by as close said to act before then; the Prefect summary gave the order's first
    date alone. Each says it of the waiting part now (text.waiting_order_by, by the one
    rule), and orders.csv's row of that share says it too."""
    from flows.tables import report_table
    from forecasting.text import waiting_order_by

    waits = AS_OF + timedelta(days=4)
    row = {"order_by": AS_OF - timedelta(days=10), "blocks_to_order": 74, "blocks_waiting": 53,
           "waiting_order_by": waits, "waiting_order_by_last": waits}  # fmt: skip
    said = f" for the 21 on power; {waits} for the 53 waiting ({SOON})"
    assert waiting_order_by(row, as_of=AS_OF, next_report=NEXT) == said
    assert "next scheduled report" not in waiting_order_by(row, as_of=AS_OF, next_report=None)
    far = row | {"waiting_order_by": NEXT, "waiting_order_by_last": NEXT}
    assert "next scheduled report" not in waiting_order_by(far, as_of=AS_OF, next_report=NEXT)

    # The CLI's report table reads the stored rows as text.
    cli = {"region": "us-east", "pool": "all", "status": "red", "exhaustion_date": "2027-04-07",
           "candidate": "rack-h100-256", "capex_usd": 625.2e6, "mw": 28.4, "note": "",
           "powered": False, "runs_from": "2029-01-01", "arrives": "2027-03-10"} | {
        k: str(v) for k, v in row.items() if k.endswith("order_by") or k.endswith("_last")
    } | {"blocks_to_order": 74, "blocks_waiting": 53}  # fmt: skip
    report = _report(next_report=NEXT).model_copy(update={"triggers": [cli]})
    from rich.console import Console

    console = Console(width=1000, record=True)  # one line a row: no cell wraps
    console.print(report_table(report))
    assert said.strip() in " ".join(console.export_text().split())

    # The pages and the downloads: the sample's us-east order split, its waiting share due
    # four days on.
    inputs = _split_on_power(waits)
    from forecasting.report.pages.facilities import facilities_page
    from forecasting.report.pages.finance import finance_page
    from forecasting.runs.reports import report_summary_markdown

    for page in (finance_page(inputs), facilities_page(inputs)):
        assert f"{waits} for the 1 waiting ({SOON})" in html.unescape(_visible(page))
    assert f"{waits} for the 1 waiting ({SOON})" in report_summary_markdown(inputs, tmp_path)
    (share,) = [r for r in _orders_csv(inputs, tmp_path / "split") if r["order_by"] == str(waits)]
    assert share["due_before_next_report"] == SOON, share


def _split_on_power(waits: date) -> ReportInputs:
    """The sample's us-east order (tranche 1) split on power: one block waiting for it, due
    ``waits``, the rest due on the trigger's order-by date; the next report on ``NEXT``."""
    sample = sample_inputs()
    mine = (pl.col("region") == "us-east") & (pl.col("blocks_to_order").fill_null(0) > 0)
    east = sample.triggers.filter(mine).row(0, named=True)
    blocks = east["blocks_to_order"]
    plan = _planned(sample, later_capex=500e6)
    own = (pl.col("region") == "us-east") & (pl.col("pool") == east["pool"])
    share = plan.filter(own & (pl.col("tranche") == 1))
    split = pl.concat(
        [
            plan.filter(~(own & (pl.col("tranche") == 1))),
            share.with_columns(blocks=pl.lit(blocks - 1, pl.Int64), site=pl.lit("e-a")),
            share.with_columns(
                blocks=pl.lit(1, pl.Int64),
                powered=pl.lit(False),
                site=pl.lit("e-a"),
                order_by=pl.lit(waits),
                runs_from=pl.lit(date(2027, 6, 1)),
            ),
        ]
    )
    triggers = sample.triggers.with_columns(
        powered_from=pl.when(own & mine).then(pl.lit(date(2027, 6, 1))).otherwise(None)
    )
    return replace(sample, triggers=triggers, placements=split, next_report=NEXT)


def _triggers_csv(inputs: ReportInputs, root: Path) -> list[dict[str, str]]:
    import csv

    from forecasting.report import publish_report

    with (publish_report(inputs, root=root) / "triggers.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_triggers_csv_says_which_order_by_falls_before_the_next_report(tmp_path: Path) -> None:
    """triggers.csv had no ``due_before_next_report``: the amber us-east/training trigger due
    2026-12-28, two days before the next weekly report, read as plain as eu-west's a year on,
    while orders.csv and every page said "place it by then". A reader of triggers.csv could not
    tell which order-by dates must be acted on before the next report. It carries the column
    now, last, in orders.csv's words (text.before_next_report); a run with no next report
    known leaves it empty."""
    rows = {(r["region"], r["pool"]): r for r in _triggers_csv(_weekly(), tmp_path / "weekly")}
    assert list(rows[("us-east", "training")])[-2:] == ["due_before_next_report", "status_note"]
    assert rows[("us-east", "training")]["order_by"] == str(DUE)
    assert rows[("us-east", "training")]["due_before_next_report"] == SOON
    # Late (before the as-of day) or due after the next report: no words.
    for key in (("us-east", "all"), ("eu-west", "all"), ("eu-west", "training")):
        assert rows[key]["due_before_next_report"] == "", rows[key]
    calm = _triggers_csv(_weekly(None), tmp_path / "calm")
    assert {r["due_before_next_report"] for r in calm} == {""}


def test_a_new_site_order_by_before_the_next_report_is_flagged_in_both_downloads(
    tmp_path: Path,
) -> None:
    """r1/all's blocks under its ceiling were due 2026-01-22 (late) and those past it, by the
    new site, 2026-08-10, five days before the next weekly report: orders.csv read the row's
    order_by alone for its flag, so the row whose new-site order-by falls before the next
    report read plain, and triggers.csv had no flag at all. Both say it now, from any of the
    row's order-by dates that falls before the next report."""
    week = _start_this_week()
    soon = date(2026, 8, 10)
    words = before_next_report(soon, as_of=START, next_report=WEEK_ON)
    assert words == START_SOON
    (trigger,) = [r for r in _triggers_csv(week, tmp_path / "t") if r["pool"] == "all"]
    assert (trigger["order_by"], trigger["new_site_order_by"]) == ("2026-01-22", str(soon))
    assert trigger["due_before_next_report"] == START_SOON, trigger
    orders = [r for r in _orders_csv(week, tmp_path / "o") if r["new_site_order_by"] == str(soon)]
    assert orders, "no order row carries the new-site order-by"
    assert {r["due_before_next_report"] for r in orders} == {START_SOON}, orders


def test_what_changed_flags_a_date_now_due_before_the_next_report() -> None:
    """The "what changed" tables read "2027-01-18 → 2026-12-28" for us-east/training's order-by,
    "start a new site by ... → 2026-12-28" and "contract power by ... → 2026-12-28" with the
    next weekly report on 2026-12-30: a row now due before the next report read like any
    other, while the orders tables said "place it by then" of the same date. Each table says
    it after the date now (text.before_next_report); no next report known, none does."""
    from forecasting.report.changes import CONSTRUCTION_CHANGES_SCHEMA, POWER_CHANGES_SCHEMA
    from forecasting.report.pages.common import changes_view

    power = pl.DataFrame(
        [{"region": "us-east", "site": "us-east-b", "change": "changed", "status_before": "amber",
          "status_now": "red", "contract_by_before": date(2027, 2, 1), "contract_by_now": DUE,
          "exhaustion_before": date(2029, 2, 1), "exhaustion_now": date(2028, 12, 1)}],
        schema=POWER_CHANGES_SCHEMA,
    )  # fmt: skip
    construction = pl.DataFrame(
        [{"region": "us-east", "change": "changed", "status_before": "green", "status_now": "red",
          "start_by_before": date(2028, 6, 1), "start_by_now": DUE,
          "exhaustion_before": date(2031, 1, 1), "exhaustion_now": date(2029, 5, 1)}],
        schema=CONSTRUCTION_CHANGES_SCHEMA,
    )  # fmt: skip
    inputs = replace(
        sample_inputs(), next_report=NEXT, power_changes=power, construction_changes=construction
    )
    view = changes_view(inputs)
    assert view.table is not None and view.power is not None and view.construction is not None
    now = f"→ {DUE}, {SOON}"
    (east,) = [r for r in view.table.rows if r[:2] == ["us-east", "training"]]
    assert f"2027-01-18 {now}" in _cells(view.table), east
    assert f"2027-02-01 {now}" in _cells(view.power)
    assert f"2028-06-01 {now}" in _cells(view.construction)
    # The late us-east/all order-by (before the as-of day) stays plain, as everywhere.
    (late,) = [r for r in view.table.rows if r[:2] == ["us-east", "all"]]
    assert "next scheduled report" not in " ".join(str(c) for c in late)
    calm = changes_view(replace(inputs, next_report=None))
    for table in (calm.table, calm.power, calm.construction):
        assert table is not None
        assert not any("next scheduled report" in c for c in _cells(table))


def test_status_flags_a_changed_date_now_due_before_the_next_report() -> None:
    """`fleetcast status` listed "order by 2027-01-18 -> 2026-12-28" (and a new site's start-by,
    a site's contract-power-by) with the next scheduled report two days after it, plain: a
    row due before the next report read like any other. It says so after the date now, in
    the pages' words; with no next report known, as before."""
    from rich.console import Console

    from flows.status import changes_view
    from forecasting.changes import RunChanges
    from forecasting.report.changes import trigger_changes

    sample = sample_inputs()
    triggers = trigger_changes(sample.triggers, sample.previous_triggers).filter(
        pl.col("change") != "unchanged"
    )
    changes = RunChanges("t2", "f2", "t1", "f1", as_of=AS_OF, triggers=triggers)

    def shown(next_report: date | None) -> str:
        console = Console(width=400, record=True)
        for view in changes_view(changes, next_report=next_report):
            console.print(view)
        return " ".join(console.export_text().split())

    assert f"2027-01-18 -> {DUE}, {SOON}" in shown(NEXT)
    assert "next scheduled report" not in shown(None)


def test_the_what_if_says_an_order_by_before_the_next_report() -> None:
    """A deal pulls r2's rack order forward to three days after the as-of day: the what-if
    page's orders table and the CLI's table read "2026-02-11 → 2026-01-08" plain with the
    next scheduled report after it, while the report's tables say "place it by then" of such
    a date. Both say it now (text.before_next_report); with no next report known, as before."""
    from rich.console import Console
    from test_whatif import _day, _forecast

    from flows.tables import whatif_table
    from forecasting.capacity import CapacityPlan
    from forecasting.report.pages.whatif import whatif_page
    from forecasting.runs import WhatIfOutcome
    from forecasting.whatif import deal_contract, what_if
    from tests.test_triggers import MONDAY, _plan, _r2_blocks

    big = {"name": "big-rack", "kind": "rack", "gpu_type": "H100", "gpus": 4000, "mw": 6,
           "lead_time_weeks": 8, "capex_usd": 150e6}  # fmt: skip
    plan = CapacityPlan.model_validate(
        _plan(_r2_blocks()).model_dump(exclude_none=True) | {"candidate": [big]}
    )
    deal = deal_contract(
        customer="newco", workload_class="inference", region="r2", ramp=f"{_day(30)}:50"
    )
    pulled = what_if(_forecast(), plan, deal, as_of=MONDAY)
    # Pulled forward to three days after the as-of day (the sample's lands already late).
    due = MONDAY + timedelta(days=3)
    r2 = pl.col("pool") == "all"
    answer = replace(
        pulled,
        orders=pulled.orders.with_columns(order_by=pl.when(r2).then(due).otherwise("order_by")),
    )
    following = due + timedelta(days=2)
    soon = before_next_report(due, as_of=answer.as_of, next_report=following)
    assert soon, "due before the next report"
    page = whatif_page(answer, forecast_run_id="hand", quantile="q90", next_report=following)
    assert f"2026-02-11 → {due}, {soon}" in html.unescape(page)
    plain = whatif_page(answer, forecast_run_id="hand", quantile="q90")
    assert "next scheduled report" not in plain
    outcome = WhatIfOutcome(
        forecast_run_id="hand", as_of=answer.as_of, horizon_end=answer.horizon_end,
        serve_from=answer.serve_from, can_serve=answer.can_serve, serve_note=answer.serve_note,
        extra_capex_usd=0.0, extra_mw=0.0, revenue_usd=None,
        orders=answer.orders.to_dicts(), notes=[], page=Path("whatif.html"),
        next_report=following,
    )  # fmt: skip
    console = Console(width=400, record=True)
    console.print(whatif_table(outcome))
    assert f"2026-02-11 -> {due}, {soon}" in " ".join(console.export_text().split())
    console = Console(width=400, record=True)
    console.print(whatif_table(outcome.model_copy(update={"next_report": None})))
    assert "next scheduled report" not in console.export_text()


def test_the_finance_pipeline_table_says_a_deal_s_order_by_before_the_next_report() -> None:
    """The finance page's pipeline table (each deal weighed as if it signed, its extra capex
    and the first order-by it adds) read "2026-12-28" plain beside a report next due
    2026-12-30, while the orders tables above it said "place it by then" of the same date: a
    deal that signs this week needs its order before the next report. It says so now, by
    the one rule; no next report known, as before."""
    from forecasting.report.pages.finance import _pipeline_table
    from forecasting.whatif.pipeline import PIPELINE_SCHEMA

    deals = pl.DataFrame(
        [{"contract_id": "p-1", "customer": "newco", "workload_class": "inference",
          "region": "us-east", "probability": 0.5, "first_day": DUE, "peak_gpus": 512,
          "extra_capex_usd": 8e6, "expected_capex_usd": 4e6, "order_by": DUE,
          "serve_from": DUE, "note": "", "capex_bound": None}],
        schema=PIPELINE_SCHEMA,
    )  # fmt: skip
    column = _pipeline_table(deals).headers.index("order by")
    soon = _pipeline_table(deals, as_of=AS_OF, next_report=NEXT).rows[0][column]
    assert soon == f"{DUE}, {SOON}", soon
    assert _pipeline_table(deals, as_of=AS_OF, next_report=None).rows[0][column] == str(DUE)


def test_a_later_order_for_a_shortfall_past_the_verified_days_says_so_on_card_and_table(
    tmp_path: Path,
) -> None:
    """The demo's front card read "next order-by: 2026-12-13 (eu-west · all, green, a later
    order: 1 × cell-gb200-8192; falls before the next scheduled report ...: place it by then)"
    and the finance later-orders table a plain "green" on that $368.6M order, for a shortfall
    in Oct 2028, where the run verifies its statuses to 2027-06-06 only; its pool's row read
    "green to 2027-06-06 only: not verified beyond". A later order's status now says what its
    own shortfall's date allows, by the rule of a trigger row's."""
    from forecasting.report.inputs import daily_end, green_verified_to
    from forecasting.report.pages.common import next_order_by
    from forecasting.report.pages.finance import _later_orders_table

    weekly = _weekly(later_first=True)
    verified = green_verified_to(weekly)
    assert verified is not None
    later = weekly.placements.filter(pl.col("tranche") == 2)
    assert later["exhaustion_date"].min() > verified  # a shortfall past the verified days
    card = next_order_by(weekly)
    assert f"(us-east · all, red (runs short past {verified}" in card, card
    assert ": not verified†), a later order: 3 × cell-later" in card, card
    table = _later_orders_table(
        weekly.placements, triggers=weekly.triggers, daily_end=daily_end(weekly), inputs=weekly
    )
    (row,) = table.rows
    assert "not verified" in str(row[2]), row[2]
    green = replace(weekly, placements=weekly.placements.with_columns(status=pl.lit("green")))
    assert f"green to {verified} only: not verified beyond, a later order" in next_order_by(green)
    # The terminal's "order first" clause says it too.
    from types import SimpleNamespace

    from flows.tables import triggers_line
    from forecasting.runs.reports import report_outcome

    outcome = report_outcome(green, SimpleNamespace(run_id="t"), tmp_path)  # type: ignore[arg-type]
    assert f"first order; green to {verified} only: not verified beyond)" in triggers_line(outcome)


def test_the_facilities_tables_say_a_later_order_s_status_as_finance_does() -> None:
    """After the finance page's later orders said how far their own shortfalls are verified,
    the facilities page's blocks and power-by-order tables still read "later order red",
    plain, for the same orders: both now carry the same words."""
    from forecasting.report.pages.facilities import facilities_page

    weekly = _weekly(later_first=True)
    page = _visible(facilities_page(weekly))
    # The later order, once under Blocks and once under Orders by power draw; sized after an
    # order short at the monthly grain only, it says so, as finance's later-orders table does.
    said = "later order red (monthly grain: not verified at the daily grain)"
    assert page.count(said) == 2, page


def test_orders_csv_says_a_later_order_s_own_status_as_the_pages_do(tmp_path: Path) -> None:
    """orders.csv's ``status_shown`` read a later order by its pool's words: a green later
    order for a shortfall past the verified days read a plain "green" there (and a red one a
    plain "red" where its pool's own date is verified), while the front card, the finance and
    facilities tables read "green to DAY only: not verified beyond". The download says the
    order's own, by the one rule (``orders_status_only``)."""
    from forecasting.report import publish_report
    from forecasting.report.inputs import green_verified_to

    green = _weekly(later_first=True)
    green = replace(green, placements=green.placements.with_columns(status=pl.lit("green")))
    verified = green_verified_to(green)
    assert verified is not None
    folder = publish_report(green, root=tmp_path)
    orders = pl.read_csv(folder / "orders.csv").filter(pl.col("tranche") == 2)
    assert (
        orders.height
        and orders["status_shown"].to_list()
        == [f"green to {verified} only: not verified beyond"] * orders.height
    ), orders["status_shown"].to_list()
