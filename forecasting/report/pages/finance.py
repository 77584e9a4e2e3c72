"""The finance page: orders and capital, revenue and idle risk, concentration, what changed."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any, NamedTuple

import polars as pl

from forecasting import hierarchy
from forecasting.capacity import ALL_CLASSES, CapacityPlan
from forecasting.concentration import (
    customers_within_top,
    largest_customer_forecast,
    largest_customer_history,
    top_is_all_text,
)
from forecasting.report.figures import capital_chart, concentration_charts, orders_chart
from forecasting.report.format import (
    MISSING,
    NOT_MEASURED,
    fmt_count,
    fmt_date,
    fmt_day_or_month,
    fmt_exhaustion,
    fmt_gpu_hours,
    fmt_gpus,
    fmt_hhi,
    fmt_lateness,
    fmt_mw,
    fmt_pct,
    fmt_usd,
)
from forecasting.report.inputs import (
    ReportInputs,
    construction_only,
    daily_days,
    daily_end,
    green_verified_to,
    later_orders,
    low_missed,
    low_verified_to,
    orders_monthly_only,
    orders_status_only,
    past_the_plan,
    plan_orders,
    status_headline,
    status_only,
    unforecast_regions_of,
    unmeasured_class_rows,
    unmeasured_words,
    vacant_regions,
    with_power,
)
from forecasting.report.pages.common import (
    MONTH_GRAIN,
    MONTHLY_GRAIN,
    MONTHLY_ONLY_ORDER,
    PRICED_BY_NEW_SITE,
    Badge,
    Cell,
    Folded,
    Page,
    Said,
    Stacked,
    Table,
    below_mean,
    blocks_text,
    by_date,
    changes_view,
    class_key,
    cut_short_text,
    every_order_capital,
    in_service_text,
    month,
    monthly_date,
    monthly_only_beside,
    new_site_due,
    new_site_parts,
    new_site_priced,
    next_report_words,
    none_sized,
    order_cards,
    orders_to_place,
    past_the_horizon,
    plan_last_day,
    render,
    shell,
    signed_gpus,
    to_place_by,
    total,
    trigger_past_the_plan,
    triggers_due,
)
from forecasting.schema import DEFAULT_HORIZON_DAYS, NOT_VERIFIED, VACANT
from forecasting.text import (
    CapexBound,
    capex_past_ceiling,
    counted,
    extra_capex,
    listed,
    size_not_verified,
    usd_shown,
    usd_step,
    waiting_order_by,
)
from forecasting.triggers import new_site_arrival, new_site_order_by
from forecasting.triggers.common import NO_ORDER_BY, TriggerSettings
from forecasting.triggers.drivers import GROWTH_FLOOR_GPUS, NEGLIGIBLE_GROWTH

__all__ = [
    "finance_page",
    "idle_risk_card",
    "idle_risk_line",
    "region_concentration_summary",
    "region_hhi",
    "region_top_customer",
]


def _capacity_unit(plan: CapacityPlan) -> str:
    """What capacity, demand and shortfalls count: H100-equivalents where the plan converts
    GPU types, GPUs where it does not (an H200 pool's shortfall read 1.4x its GPUs under
    "GPUs")."""
    return "H100-equivalents" if plan.gpu_type else "GPUs"


def _orders_table(
    triggers: pl.DataFrame,
    *,
    daily_end: date | None,
    unit: str,
    vacant: Collection[str] = (),
    as_of: date | None = None,
    end: date | None = None,
    today: date | None = None,
    new_site: Callable[[dict[str, Any]], str | None] | None = None,
    arrives_with: Callable[[dict[str, Any]], str | None] | None = None,
    next_report: date | None = None,
) -> Table:
    """One row per trigger; a ``vacant`` region's (report.inputs.vacant_regions) status says
    that nothing is planned or measured there instead of its green, and so does a training
    pool's where no training row was in the telemetry (report.inputs.unmeasured_class_rows).
    An order-by date before ``as_of`` reads late; blocks waiting on power that comes after
    ``end`` (the plan's last day) have no order-by date within the horizon."""
    gap = {
        (r["region"], r["pool"]): unmeasured_words(r)
        for r in triggers.filter(unmeasured_class_rows()).iter_rows(named=True)
    }
    reach = None if daily_end is None or as_of is None else (daily_end - as_of).days
    rows = [
        [
            r["region"],
            r["pool"],
            Stacked(Badge(NOT_VERIFIED), VACANT)
            if r["region"] in vacant
            else Stacked(Badge(NOT_VERIFIED), gap[(r["region"], r["pool"])])
            if (r["region"], r["pool"]) in gap
            # Verified short of the plan's end, or short past the days verified: the day, as
            # the headline says it.
            else Stacked(Badge(r["status"]), str(r["status_only"]))
            if r.get("status_only")
            else Badge(r["status"]),
            # Nothing to order: no deadline and no arrival (the stored dates, kept for the
            # replays, are the unplaced candidate's; a past one read as missed).
            MISSING
            if r["blocks_to_order"] == 0
            else _order_by_text(
                r,
                daily_end=daily_end,
                as_of=as_of,
                end=end,
                today=today,
                new_site=new_site(r) if new_site else None,
                next_report=next_report,
            ),
            fmt_exhaustion(r["exhaustion_date"], daily_end=daily_end, as_of=as_of),
            MISSING
            if r["blocks_to_order"] == 0
            else in_service_text(r, new_site=arrives_with(r) if arrives_with else None),
            blocks_text(r)
            # Sized from a month read short past the daily rows: its size swings with them.
            + (
                f", {size_not_verified(reach)}"
                if r.get("monthly_only") and r["blocks_to_order"]
                else ""
            ),
            _order_capex_text(r) + (f", {NOT_VERIFIED}" if r.get("monthly_only") else "")
            if r["blocks_to_order"]
            else MISSING,
            _mw_text(r["mw"], r.get("blocks_beyond_ceiling"), r["blocks_to_order"])
            + (f", {NOT_VERIFIED}" if r.get("monthly_only") else "")
            if r["blocks_to_order"]
            else MISSING,
            fmt_gpus(r["max_shortfall_gpus"]),
            r["note"] or "",
        ]
        for r in _orders_first(triggers).iter_rows(named=True)
    ]
    headers = [
        "region",
        "pool",
        "status",
        "order by",
        "exhausted",
        "arrives",
        "blocks",
        "capex",
        "power",
        # Short: a long header in a column that never wraps squeezed the note to a sliver.
        f"largest shortfall, {unit}",
        "note",
    ]
    return Table.of(
        headers, rows, numeric=(7, 8, 9), detail=(10,), empty="no expansion triggers in this run"
    )


def _order_by_text(
    row: dict[str, Any],
    *,
    daily_end: date | None,
    as_of: date | None,
    end: date | None,
    today: date | None = None,
    new_site: str | None = None,
    next_report: date | None = None,
) -> str:
    """A trigger's order-by date, late where it came before ``as_of``, due before the next
    scheduled report (``next_report``: :func:`before_next_report`), and for its blocks
    waiting on power that comes only after ``end`` that they have none within the horizon.

    ServeGen at 26 weeks read "order by 2024-10-14" plain, 97 days before its as-of date, for
    10 racks of which 8 could run only from 2026-08-16, past the plan's end: ordered by then,
    they land and stand dark 504 days."""
    beyond, blocks = row.get("blocks_beyond_ceiling") or 0, row.get("blocks_to_order") or 0
    if row["order_by"] is None and blocks and beyond >= blocks:
        # No site can power its blocks (triggers.placement): dated only by a declared new site.
        return new_site or f"none: {NO_ORDER_BY}"
    text = monthly_date(row["order_by"], row, daily_end=daily_end)
    day = row["order_by"]
    # A monthly-only date is the earliest a daily shortfall could need: not "late".
    late = (
        fmt_lateness(day, as_of, today=today)
        if as_of is not None and isinstance(day, date) and not row.get("monthly_only")
        else None
    )
    if late is not None:
        text += f", {late}"
    elif as_of is not None and isinstance(day, date):
        # The front page's card said it of the first order alone: this row read plain green.
        text += next_report_words(day, as_of=as_of, next_report=next_report, lead=", ")
    # Its part waiting for power dated to land with it: due on other days (the demo's
    # us-east/all read 2026-12-30 for 74 racks, 53 of them due 2028-09-25).
    text += waiting_order_by(row, as_of=as_of, next_report=next_report)
    if 0 < beyond < blocks and row["order_by"] is not None:
        # One date read as every block's: the blocks past the ceiling wait for a new site.
        text += f" for the {fmt_count(blocks - beyond)} under the ceiling; " + (
            f"the {fmt_count(beyond)} past it: {new_site}"
            if new_site
            else f"none for the {fmt_count(beyond)} past it: {NO_ORDER_BY}"
        )
    runs, waiting = row.get("runs_from"), row.get("blocks_waiting")
    if end is not None and isinstance(runs, date) and runs > end and waiting:
        whose = "its" if waiting == row["blocks_to_order"] else "the"
        text += (
            f"; {whose} {fmt_count(waiting)} blocks waiting on power: no order-by date within the "
            f"horizon (they can run only from {fmt_date(runs)}, after the plan's end "
            f"{fmt_date(end)})"
        )
    return text


def _orders_first(triggers: pl.DataFrame) -> pl.DataFrame:
    """``triggers`` in the orders table's order: the rows with an order to place by order-by
    date, then those with nothing to order by the date they are judged on (exhaustion, none
    last).

    The table is read as a to-do list down its order-by column; a row with nothing to order
    shows "-" there, and sorted by its hidden order-by date (the unplaced candidate's, kept
    for the replays) a red one stood first, above orders due in weeks, as if it were the next
    deadline. After the orders, not among them: it asks nothing of the reader by any date,
    and its exhaustion date, shown, is the one it is read by."""
    nothing = pl.col("blocks_to_order") == 0
    return triggers.sort(
        nothing.fill_null(False),
        pl.when(nothing).then(pl.col("exhaustion_date")).otherwise(pl.col("order_by")),
        "region",
        "pool",
        nulls_last=True,
    )


def _order_capex_text(row: dict[str, Any]) -> str:
    """A trigger's capex as the CLI's table gives it (``flows.tables``): the part for blocks
    that run only after the plan's end apart (``capex_past_plan_usd``, from
    :func:`trigger_past_the_plan`), else the part past its site's ceiling. The cell read the
    whole order, $515.3M, beside a capital card and a CLI row of $33.8M (+ $481.5M not within
    the horizon) for 57 of its 61 racks waiting for power that comes after the plan."""
    if past := row.get("capex_past_plan_usd") or 0.0:
        n, end = row.get("blocks_past_plan") or 0, row.get("plan_end")
        return (
            f"{fmt_usd(row['capex_usd'] - past)} (+ {fmt_usd(past)} for {n:,} blocks that run "
            f"only after the plan's end, {end}: not within the horizon)"
        )
    return _capex_text(row["capex_usd"], row.get("blocks_beyond_ceiling"), row["blocks_to_order"])


def _capex_text(capex: float, beyond: int | None, blocks: int) -> str:
    """An order's capex, the part for blocks past their site's ceiling apart: those are a new
    site's, not an order the plan can place."""
    apart = capex * (beyond or 0) / blocks if blocks else 0.0
    return capex_past_ceiling(capex - apart, apart, beyond=beyond or 0 if blocks else 0)


def blocks_by_kind(ordering: pl.DataFrame, *, column: str = "blocks_to_order") -> str:
    """Blocks to order counted per kind ("234 racks, 3 cells"): a 256-GPU rack and an
    8,192-GPU cell added up to "237 blocks", a count of nothing."""
    if ordering.is_empty():
        return fmt_count(0)
    # Ties by name: the same counts read in one order from run to run.
    kinds = (
        ordering.group_by("kind")
        .agg(pl.col(column).sum())
        .sort(column, "kind", descending=[True, False])
    )
    return ", ".join(
        f"{fmt_count(n)} {kind}{'' if n == 1 else 's'}" for kind, n in kinds.iter_rows()
    )


def _blocks_to_place(inputs: ReportInputs, ordering: pl.DataFrame) -> str:
    """The blocks of the orders to place (:func:`orders_to_place`, the capital card's orders)
    per kind, those of the pools' first orders short at the monthly grain only said apart.
    ``ordering``: the triggers with blocks to order, read where the run stored no placements.

    "211 racks, 3 cells" counted the triggers' orders whole (us-east's 53 racks due
    2028-09-25 among them) beside a capital card that had to say otherwise."""
    due = orders_to_place(inputs)
    days = daily_days(inputs)
    if due is None and (by := to_place_by(inputs)) is not None:
        ordering = ordering.filter(pl.col("order_by") <= by)
    # Every order due unsized: "0" read as a measured count, as "$0" did on the capital card.
    if (ordering if due is None else due.filter(pl.col("blocks").fill_null(0) > 0)).is_empty() and (
        nothing := none_sized(triggers_due(inputs), unmeasured="size")
    ):
        return nothing
    if due is None:
        # "169 racks" counted 30 sized from a month read short past 7 daily days (89 at 26
        # weeks) as the others.
        return blocks_by_kind(ordering) + monthly_only_beside(
            ordering, column="blocks_to_order", days=days, counted=blocks_by_kind
        )
    # The capital card's rule: blocks past a ceiling counted by their new site's order-by.
    dated = new_site_due(inputs).select(
        "region", "pool", "tranche", "candidate", pl.col("blocks_beyond_ceiling").alias("blocks")
    )
    due = pl.concat([due.select(dated.columns), dated], how="vertical_relaxed")
    kinds = {c.name: c.kind.value for c in inputs.plan.candidate}
    rows = due.filter(pl.col("blocks").fill_null(0) > 0).with_columns(
        kind=pl.col("candidate").replace_strict(kinds, default=pl.col("candidate"))
    )
    text = blocks_by_kind(rows, column="blocks")
    flags = inputs.triggers.filter(pl.col("monthly_only").fill_null(False))
    monthly = rows.filter(pl.col("tranche").fill_null(1) == 1).join(
        flags.select("region", "pool"), on=["region", "pool"], how="semi"
    )
    if monthly.height:
        n = monthly.select("region", "pool").n_unique()
        whose = "1 pool's first order" if n == 1 else f"{n:,} pools' first orders"
        text += (
            f" (of which {blocks_by_kind(monthly, column='blocks')} for {whose} "
            f"{MONTHLY_ONLY_ORDER}: {size_not_verified(days)})"
        )
    by = to_place_by(inputs)
    return text if by is None else f"{text} (the orders due by {fmt_date(by)}, as the capital card)"


def _cards(inputs: ReportInputs) -> list[tuple[str, str | Folded]]:
    t = inputs.triggers
    ordering = t.filter(pl.col("blocks_to_order").fill_null(0) > 0)
    # The same cards of orders as the front page's: they count the later orders due first too.
    orders = order_cards(inputs)
    cards = [
        ("worst trigger status, blocks and power", status_headline(inputs)),
        (
            "blocks to order",
            _blocks_to_place(inputs, ordering),
        ),
        orders[0],
    ]
    if len(orders) == 1:
        # Nothing due: "0 (the orders due by ...)" beside the next order's card, which says
        # its blocks and that none are due.
        del cards[1]
    if (every := every_order_capital(inputs)) is not None:
        cards.append((inputs.every_order_label, every))
    if power := _power_cost(inputs.power_triggers, priced=new_site_priced(inputs.construction)):
        cards.append(("power to contract (facilities page), not in the capital above", power))
    if sites := _new_sites(inputs):
        # Beside power: a new site is the MW past the ceilings that power leaves out.
        cards.append(("new sites to build (facilities page), not in the capital above", sites))
    return [*cards, *orders[1:], idle_risk_card(inputs)]


def _power_cost(power: pl.DataFrame, *, priced: Collection[str] = ()) -> str:
    """The cost of the power the sites must contract, with the MW past their ceilings that
    it does not price, or '' where no site has any to contract. The finance page counted
    block capex alone and never named the power facilities priced beside it (the demo's
    $1,866.3M for 169.7 MW at 7 sites). MW past the ceilings of a region in ``priced`` (whose
    [[new_site]] prices them) point to the new sites; they read "not priced" beside them."""
    due = power.filter(pl.col("mw_to_contract").fill_null(0.0) > 0)
    in_priced = pl.col("region").is_in(pl.Series(sorted(priced), dtype=pl.String))
    by_site = total(power.filter(in_priced), "mw_beyond_ceiling")
    unpriced = total(power.filter(~in_priced), "mw_beyond_ceiling")
    beyond = [
        f"{fmt_mw(mw)} beyond their ceilings: {said}"
        for mw, said in ((by_site, PRICED_BY_NEW_SITE), (unpriced, "not priced"))
        if mw > 0
    ]
    if due.is_empty():
        if not beyond:
            return ""
        return (
            f"none to contract: {'; '.join(beyond)}"
            if by_site > 0
            else f"none priced: {fmt_mw(unpriced)} beyond their ceilings"
        )
    # A site of cost_per_mw_usd 0 prices its MW at $0 (power.py multiplies): its MW read as
    # free power inside "$X for N MW", where the what-if says "not priced".
    free = due.filter(pl.col("cost_usd").fill_null(0.0) <= 0)
    due = due.filter(pl.col("cost_usd").fill_null(0.0) > 0)
    if free.height:
        names = ", ".join(sorted(free["site"].to_list()))
        its = "its" if free.height == 1 else "their"
        beyond.insert(
            0,
            f"{fmt_mw(total(free, 'mw_to_contract'))} at {names} not priced: {its} "
            "cost_per_mw_usd is 0 in the plan",
        )
    if due.is_empty():
        return "; ".join(beyond)
    sites = due.height
    text = (
        f"{fmt_usd(total(due, 'cost_usd'))} for {fmt_mw(total(due, 'mw_to_contract'))} at "
        f"{sites} site{'' if sites == 1 else 's'}"
    )
    return text + "".join(f" (+ {b})" for b in beyond)


def _new_sites(inputs: ReportInputs) -> str:
    """Per region whose site ceilings run out within the horizon, the new site's declared
    cost for the MW past them, its start-by date and status; where no [[new_site]] is
    declared, the MW past them, not priced (no cost made up). '' where none runs out. The
    facilities page priced us-east's new site ($1,474.6M on the demo) and finance had no word
    of it."""
    rows = (
        inputs.construction.with_columns(not_verified=construction_only(inputs))
        .filter(pl.col("exhaustion_date").is_not_null())
        .sort("start_by", "exhaustion_date", "region", nulls_last=True)
    )
    today = inputs.generated_at.date()
    said = []
    for r in rows.iter_rows(named=True):
        unverified = f" {r['not_verified']}" if r["not_verified"] else ""
        past = f"{fmt_mw(r['mw_past_ceilings'])} past {r['region']}'s site ceilings"
        if r["cost_usd"] is None or r["start_by"] is None:
            ran_out = (
                f"{month(r['exhaustion_date'])} ({MONTH_GRAIN})"
                if r["exhaustion_monthly"]
                else fmt_date(r["exhaustion_date"])
            )
            said.append(
                f"{past} (ceilings run out {ran_out}){unverified}: not priced, no [[new_site]] "
                f"declared for {r['region']}"
            )
            continue
        # The declared cost per MW is the cost over the MW it prices (construction._dated).
        per_mw = r["cost_usd"] / r["mw_past_ceilings"] if r["mw_past_ceilings"] else 0.0
        # Due before the next scheduled report, as every order-by says it (the rule of
        # next_report_words): a start-by on the as-of day read plain.
        soon = next_report_words(r["start_by"], as_of=inputs.as_of, next_report=inputs.next_report)
        said.append(
            f"{fmt_usd(r['cost_usd'])} for {past}: start a new site by "
            f"{by_date(r['start_by'], inputs.as_of, today=today)} ({r['status']}{soon}; "
            f"{r['build_months']} months to build, at the declared ${per_mw / 1e6:,.2f}M per MW)"
            + unverified
        )
    priced = rows.filter(pl.col("cost_usd").is_not_null())
    if priced.height > 1:
        said.insert(0, f"{fmt_usd(total(priced, 'cost_usd'))} in {priced.height} regions")
    return "; ".join(said)


def _idle_clauses(inputs: ReportInputs) -> list[str]:
    """What the idle-risk figure covers: the weeks of each block judged, and whether they
    reach a band no backtest calibrated."""
    end = daily_end(inputs)
    idle = inputs.idle_risk
    # Over what: the card read a figure with no period (each block's first weeks in service).
    window = idle["window_days"].max() if idle.height else None
    clauses = (
        [f"each committed block's first {int(window) // 7} weeks in service"]  # type: ignore[arg-type]  # a number when not None
        if window is not None
        else []
    )
    if end is None or idle.is_empty():
        return clauses
    last = _judged_to(idle).max()
    if not inputs.plan_calibrated and isinstance(last, date) and last > end:
        clauses.append(f"judged past {fmt_date(end)} on a band no backtest calibrated")
    return clauses


def _idle_label(inputs: ReportInputs) -> str:
    """The idle-risk card's label: where a judged block's window reaches past the daily rows
    onto a band no backtest calibrated, it says so, as the capital card does (a cell judged
    on monthly rows was 21 % of the headline, unlabelled)."""
    clauses = _idle_clauses(inputs)
    label = "capex at idle risk"
    if clauses:
        label += f" ({clauses[0]})" + "".join(f", {clause}" for clause in clauses[1:])
    # Days past what any backtest measured: a 45-day fleet's blocks were all judged there and
    # the card read unmarked beside a headline "not verified beyond".
    if (unverified := _idle_unverified(inputs)) is not None:
        day = fmt_date(unverified.day)
        why = (
            "no backtest measured the forecast's error there"
            if unverified.missed is None
            else unverified.missed
        )
        label += (
            "; not verified: no backtest measured the forecast's error"
            if unverified.day <= inputs.as_of
            else f"; not verified past {day}: {why}{unverified.statuses_apart()}"
        )
    return label


def idle_risk_card(inputs: ReportInputs) -> tuple[str, str]:
    """The idle-risk card, label and figure, as the finance and front pages show it."""
    return _idle_label(inputs), _idle_card(inputs.idle_risk) + _dark_orders(inputs.placements)


def idle_risk_line(inputs: ReportInputs) -> str:
    """The idle-risk card as one line, label then figure, for the CLI ("" where no committed
    block was judged or priced: no "$0" for a figure nothing stands behind). A fleet whose
    demand fell 60 % read $1,366.5M here, and `run` said nothing of it."""
    if inputs.idle_risk.is_empty():
        return ""
    # The figure first, then what it covers: "capex at idle risk (...); not verified past
    # 2027-12-04: no backtest measured the forecast's error there: $1,366.5M" read as if the
    # whole figure were unverified, where 1 block of 28 was judged on such days.
    clauses = _idle_clauses(inputs)
    unverified = _idle_unverified(inputs)
    if unverified is not None:
        clauses.append(f"{_idle_unverified_part(inputs, unverified)}: not verified there")
        # The blocks not judged are said here, beside the judged, not in the figure too: "24
        # blocks not judged" and "all 24 blocks judged on days past ..." read as one set.
        if unjudged := _unjudged_said(inputs.idle_risk):
            clauses[-1] += f"; {unjudged}"
    said = f" ({'; '.join(clauses)})" if clauses else ""
    card = _idle_card(inputs.idle_risk, unjudged_apart=unverified is None)
    return f"capex at idle risk: {card}{said}{_dark_orders(inputs.placements)}"


def _unjudged_said(idle: pl.DataFrame, *, verb: bool = False) -> str:
    """ "the other 24 not judged (in service 2030-02-03 to 2030-06-01, after the forecast
    ends)" of the committed blocks idle risk did not judge, after the judged are said (``verb``:
    "... are not judged ..."); "" where it judged every one. Their in-service days are said
    where each entered service after the forecast's end (their notes say so); else their
    notes give why."""
    unjudged = idle.filter(pl.col("idle_gpus").is_null())
    if unjudged.is_empty():
        return ""
    n = unjudged.height
    is_ = (" is" if n == 1 else " are") if verb else ""
    other = f"the other block{is_} not judged" if n == 1 else f"the other {n:,}{is_} not judged"
    after = unjudged["note"].fill_null("").str.starts_with("enters service after").all()
    if not after:
        return f"{other} (see {'its note' if n == 1 else 'their notes'})"
    first, last = unjudged["in_service"].min(), unjudged["in_service"].max()
    days = fmt_date(first) if first == last else f"{fmt_date(first)} to {fmt_date(last)}"  # type: ignore[arg-type]  # dates here
    return f"{other} (in service {days}, after the forecast ends)"


def _idle_unverified_part(
    inputs: ReportInputs, unverified: _IdleUnverified, *, verb: bool = False
) -> str:
    """ "1 of the 2 blocks judged on days past DAY, where ..." (``verb``: "... is judged on"),
    with the statuses' day where it differs."""
    judged = _judged_part(unverified.past, unverified.judged)
    committed = inputs.idle_risk.height
    if committed > unverified.judged:
        # Of the committed blocks, those judged: the count of the blocks not judged beside
        # them read as the same set ("24 blocks not judged", "all 24 blocks judged ...").
        judged = f"of the {counted(committed, 'committed block')}, {judged}"
    if verb:
        judged += " is judged" if unverified.past == 1 else " are judged"
    if unverified.day <= inputs.as_of:
        return f"{judged} on forecast days, where no backtest measured the forecast's error"
    return (
        f"{judged} on days past {fmt_date(unverified.day)}, {unverified.where()}"
        f"{unverified.statuses_apart()}"
    )


def _judged_part(past: int, judged: int) -> str:
    """The blocks judged past the verified days, of those judged: "1 of the 2 blocks judged",
    "all 3 blocks judged", "the 1 block judged" (Helios at 2 weeks read "1 of the 1 blocks")."""
    if past < judged:
        return f"{past} of the {counted(judged, 'block')} judged"
    return "the 1 block judged" if judged == 1 else f"all {judged} blocks judged"


def _judged_to(idle: pl.DataFrame) -> pl.Series:
    """The last day each judged block was judged on (null: not judged, or live before)."""
    # The days it was judged on, not its window: a daily-only run judges none past its rows,
    # and read "judged past" them all the same. Rows before migration 19: the window.
    days = pl.coalesce("days_judged", "window_days").fill_null(0)
    judged_to = pl.col("in_service") + pl.duration(days=days) - pl.duration(days=1)
    return idle.filter(pl.col("idle_gpus").is_not_null()).select(judged_to).to_series()


class _IdleUnverified(NamedTuple):
    """The last day idle risk's P10 is verified to (:func:`low_verified_to`), how many of the
    judged blocks were judged past it, of how many, why it ends there (:func:`low_missed`:
    None, no backtest measured past it) and the statuses' day where it differs (None: the same
    day, or the statuses read plain)."""

    day: date
    past: int
    judged: int
    missed: str | None
    statuses: date | None

    def where(self) -> str:
        """Why the days past ``day`` are not verified, as a clause after them."""
        if self.missed is None:
            return "where no backtest measured the forecast's error"
        return f"past the last day the backtests held the q10 ({self.missed})"

    def statuses_apart(self) -> str:
        """ " (the statuses' q90 held to DAY only)" where the statuses end on another day: the
        demo's card read "not verified past 2027-12-05" beside greens "to 2027-06-06 only",
        the two days unexplained side by side."""
        if self.statuses is None:
            return ""
        only = " only" if self.statuses < self.day else ""
        return f" (the q90 the statuses read held to {fmt_date(self.statuses)}{only})"


def _idle_unverified(inputs: ReportInputs) -> _IdleUnverified | None:
    """Where idle risk judged blocks past the last day its P10 is verified to (None: none)."""
    measured = low_verified_to(inputs)
    if inputs.idle_risk.is_empty() or measured is None:
        return None
    judged_to = _judged_to(inputs.idle_risk)
    past = int((judged_to > measured).sum())
    if not past:
        return None
    statuses = green_verified_to(inputs)
    apart = statuses if statuses is not None and statuses != measured else None
    return _IdleUnverified(measured, past, judged_to.len(), low_missed(inputs), apart)


# Days an order dated to land with its site's power lands before it can run: the triggers'
# safety buffer (TriggerSettings.buffer_weeks), a wait the plan chose, not capital left dark.
_LANDS_BEFORE_POWER_DAYS = TriggerSettings().buffer_weeks * 7


def _dark_orders(placements: pl.DataFrame | None) -> str:
    """' (+ $X in N orders to place whose blocks would stand dark D days ...)' for the
    triggers' orders whose blocks land well before their site's power lets them run, or ''.

    Idle risk judges committed blocks only: on ServeGen at 26 weeks, 8 racks ($67.6M) to
    order now landed 2025-03-30 and could run from 2026-08-16, 504 days dark, beside "capex at
    idle risk $0"."""
    planned = plan_orders(placements)
    if planned is None or "runs_from" not in planned.columns:
        return ""
    first = planned.filter(pl.col("tranche") == 1)
    waits = (pl.col("runs_from") - pl.col("arrives")).dt.total_days()
    dark = first.filter(
        ~pl.col("powered").fill_null(True) & (waits > _LANDS_BEFORE_POWER_DAYS).fill_null(False)
    ).with_columns(waits.alias("dark_days"))
    if dark.is_empty():
        return ""
    n = dark.select("region", "pool").n_unique()
    orders = "1 order" if n == 1 else f"{n:,} orders"
    blocks = int(dark["blocks"].sum())
    low, high = int(dark["dark_days"].min()), int(dark["dark_days"].max())  # type: ignore[arg-type]  # not null here
    days = f"{low:,}" if low == high else f"{low:,} to {high:,}"
    return (
        f" (+ {fmt_usd(total(dark, 'capex_usd'))} in {orders} to place whose {blocks:,} blocks "
        f"would stand dark {days} days after they land, waiting for power: capital tied up "
        "without serving, not in the idle figure)"
    )


def _idle_card(idle: pl.DataFrame, *, unjudged_apart: bool = True) -> str:
    """Capex at idle risk over the blocks judged on their whole window, and apart from it the
    blocks judged on part of it or not at all.

    $0 read as "no risk" where every block entered service after the forecast horizon and none
    was judged; and a block in service on the forecast's last day only read 100 % idle on that
    day, its whole capital in the headline.
    """
    if idle.is_empty():
        return fmt_usd(0.0)
    judged = pl.col("idle_gpus").is_not_null()
    unjudged = idle.filter(~judged).height
    if unjudged == idle.height:
        # "not judged for any of the 1 committed blocks" on a one-block plan.
        if unjudged == 1:
            return "not judged for the 1 committed block (see its note)"
        return f"not judged for any of the {unjudged} committed blocks (see their notes)"
    # Rows stored before migration 19 have no days: read as judged whole, as they were shown.
    part = (pl.col("days_judged") < pl.col("window_days")).fill_null(False)
    partly, whole = idle.filter(judged & part), idle.filter(judged & ~part)
    apart = []
    if partly.height:
        weeks = int(partly["window_days"].max()) // 7  # type: ignore[arg-type]  # not null here
        blocks = "1 block" if partly.height == 1 else f"{partly.height} blocks"
        their = "its" if partly.height == 1 else "their"
        # A sum over blocks no candidate prices is no figure: a plan without candidates read
        # "13 blocks judged on part ...: $0, not in the total".
        nulls = partly["capex_at_risk_usd"].null_count()
        if nulls == partly.height:
            priced = "not priced"
        else:
            of_them = f" ({nulls} of them not priced)" if nulls else ""
            priced = f"{fmt_usd(total(partly, 'capex_at_risk_usd'))}{of_them}, not in the total"
        apart.append(f"{blocks} judged on part of {their} first {weeks} weeks only: {priced}")
    if unjudged and unjudged_apart:
        apart.append(f"{unjudged} {'block' if unjudged == 1 else 'blocks'} not judged")
    # Judged but unpriced (no candidate of its kind and GPU type to price it): counted in no
    # figure, which read as idle capital falling by $1.3B when the candidate list changed.
    unpriced = idle.filter(judged & pl.col("capex_at_risk_usd").is_null()).height
    # A share of 100 % for want of any demand at P10 is no lull measured: said apart.
    empty = whole.filter(_no_low_demand(whole))
    if empty.height:
        blocks = "1 block" if empty.height == 1 else f"{empty.height} blocks"
        apart.append(
            f"of it {fmt_usd(total(empty, 'capex_at_risk_usd'))} on {blocks} wholly idle for "
            f"{_NO_P10}"
        )
    if unpriced:
        apart.append(
            f"{unpriced} {'block' if unpriced == 1 else 'blocks'} not priced: no candidate of "
            "the same kind and GPU type"
        )
    headline = fmt_usd(total(whole, "capex_at_risk_usd"))
    # A sum over no block is no measurement: an 8-week run judged its 10 blocks on part of
    # their window only and read "$0 (10 blocks judged on part ...: $370.2M, not in the total)".
    if whole.is_empty():
        weeks = int(idle["window_days"].max()) // 7  # type: ignore[arg-type]  # judged: not null
        headline = f"none judged on its whole first {weeks} weeks"
    elif whole["capex_at_risk_usd"].is_null().all():
        headline = "not priced"
    return f"{headline} ({'; '.join(apart)})" if apart else headline


def nothing_to_order(inputs: ReportInputs) -> str | None:
    """Where no pool runs short at all: every trigger green on the whole plan, none only as
    far as the forecast verifies, and no order of the plan; the plain sentence that says so
    (None otherwise). Without it a plan with far more capacity than demand read "No data: no
    order-by dates", "No data: no blocks to order" and "no later orders: the orders due now
    cover the plan", as if something were missing or ordered."""
    t = inputs.triggers
    if t.is_empty() or (t["status"] != "green").any():
        return None
    if t["unverified_green"].any():
        return None
    placed = inputs.placements
    if placed is not None and not placed.is_empty():
        return None
    reach = _plan_reach(inputs)
    if reach is None:
        return None
    quantile = str(t["quantile"][0])
    # A vacant region's green (zero demand against zero capacity) verifies nothing: its rows
    # read "not verified", and so does this sentence.
    vacant = vacant_regions(inputs)
    # Past the daily rows the green reads a band nothing scored, as the capital and idle cards
    # beside it say: a flat 150-day fleet read "stays within ... to Jan 2030" unqualified.
    end = daily_end(inputs)
    band = (
        f" (past {fmt_date(end)} on a band no backtest calibrated)"
        if end is not None and inputs.forecast_months.height and not inputs.plan_calibrated
        else ""
    )
    # Past the last day a backtest measured, as the headline's "green to ... only" (a 26-week
    # daily plan on 120 days read "stays within ... to 2027-06-05" scored 28 days ahead).
    verified = green_verified_to(inputs)
    if verified is not None and verified <= inputs.as_of:
        # Nothing measured (too little history): no "past <the last history day>".
        band = " (not verified: no backtest measured the forecast's error" + (
            f"; {band.strip(' ()')})" if band else ")"
        )
    elif verified is not None and end is not None and verified < end:
        band = (
            f" (not verified past {fmt_date(verified)}: no backtest measured the forecast's "
            "error there" + (f"; {band.strip(' ()')})" if band else ")")
        )
    if not vacant:
        return Said(
            f"nothing to order: every pool's {quantile} requirement stays within the capacity "
            f"already planned to {reach}, the plan's end{band}"
        )
    names = ", ".join(vacant)
    return Said(
        f"nothing to order: the {quantile} requirement of every pool outside {names} stays "
        f"within the capacity already planned to {reach}, the plan's end{band}; {names}: "
        f"{NOT_VERIFIED} ({VACANT})"
    )


def _plan_reach(inputs: ReportInputs) -> str | None:
    """The plan's end as a reader names it: its last month where monthly rows follow the daily
    ones (``Jan 2030``), else the last daily day; None without a forecast."""
    last_month = inputs.forecast_months.get_column("ds").max()
    end = daily_end(inputs)
    if isinstance(last_month, date):
        return f"{last_month:%b %Y}"
    return fmt_date(end) if end is not None else None


def _later_orders_table(
    placements: pl.DataFrame,
    *,
    triggers: pl.DataFrame | None = None,
    daily_end: date | None,
    end: date | None = None,
    nothing: str | None = None,
    new_site: Callable[[dict[str, Any]], str | None] | None = None,
    arrives_with: Callable[[dict[str, Any]], str | None] | None = None,
    as_of: date | None = None,
    next_report: date | None = None,
    inputs: ReportInputs | None = None,
) -> Table:
    """The orders the plan places after the triggers', by order-by date: with the shortfall
    each is for and its status (a later order landing a year after its shortfall sat among
    green rows, its lateness on no page), and whether its site has the power on arrival.
    ``nothing``: why the table is empty where no pool runs short (:func:`nothing_to_order`).

    An order whose blocks run only after ``end``, the plan's last day, says so beside its
    arrival and its capital (not in the plan's totals: report.inputs.past_the_plan), and an
    order-by date read from a month short past the daily rows says its grain, as the
    triggers' rows do: plain, "$737.3M" and "2027-03-15" read as measured figures. With
    ``inputs``, a status says how far its own shortfall is verified (:func:`orders_status_only`),
    as a pool's row does: the demo's Oct 2028 cell read a plain "green"."""
    # Blocks past every site's ceiling have no order-by date (triggers.common.NO_ORDER_BY):
    # listed after the dated orders, not first as a missing date sorts.
    later = past_the_plan(later_orders(placements), end=end).sort(
        "order_by", "region", "pool", "tranche", nulls_last=True, maintain_order=True
    )
    if triggers is not None:
        # After a first order short at the monthly grain only (``triggers``' monthly_only),
        # its later orders are not verified at the daily grain either, and say so as it does;
        # so does one sized on a month a default run reads by the day, and those after it.
        later = orders_monthly_only(later, triggers, daily_end=daily_end, as_of=as_of)
    only = [None] * later.height if inputs is None else orders_status_only(later, inputs)
    later = later.with_columns(pl.Series("status_only", only, dtype=pl.String))
    rows: list[list[Cell]] = [
        [
            r["region"],
            r["pool"],
            (
                Stacked(Badge(r["status"]), r["status_only"])
                if r["status_only"]
                else Badge(r["status"])
            )
            if r["status"]
            else MISSING,
            _later_order_by_text(
                r,
                daily_end=daily_end,
                new_site=new_site(r) if new_site else None,
                as_of=as_of,
                next_report=next_report,
            ),
            in_service_text(r, later=True, new_site=arrives_with(r) if arrives_with else None)
            + past_the_horizon(r, end=end),
            fmt_day_or_month(r["exhaustion_date"], daily_end=daily_end),
            f"{fmt_count(r['blocks'])} × {r['candidate']}",
            _later_capex_text(r) + (f", {NOT_VERIFIED}" if r.get("monthly_only") else ""),
            _mw_text(r["mw"], r["blocks_beyond_ceiling"], r["blocks"]),
            r["site"] or "to be sited",
        ]
        for r in later.iter_rows(named=True)
    ]
    headers = [
        "region",
        "pool",
        "status",
        "order by",
        "arrives",
        "short from",
        "blocks",
        "capex",
        "power",
        "site",
    ]
    return Table.of(
        headers,
        rows,
        numeric=(7, 8),
        empty=nothing or "no later orders: the orders due now cover the plan",
    )


def _later_order_by_text(
    row: dict[str, Any],
    *,
    daily_end: date | None,
    new_site: str | None = None,
    as_of: date | None = None,
    next_report: date | None = None,
) -> str:
    """A later order's order-by date: none for blocks past their site's ceiling, which wait
    for a new site (:data:`NO_ORDER_BY`), the date the others' where some fit under it.

    The demo's 7 GB200 cells at us-east-b, 6 of them past its ceiling, read "2028-03-14" as
    if all 7 were due then, where a cell wholly past us-east-c's read no order-by."""
    blocks, beyond = row["blocks"] or 0, min(row["blocks_beyond_ceiling"] or 0, row["blocks"])
    if row["order_by"] is None and beyond >= blocks > 0:
        return new_site or f"none: {NO_ORDER_BY}"
    dated = monthly_date(row["order_by"], row, daily_end=daily_end) + next_report_words(
        row["order_by"], as_of=as_of, next_report=next_report, lead=", "
    )
    if not beyond or row["order_by"] is None:
        return dated
    return f"{dated} for the {fmt_count(blocks - beyond)} under the ceiling; " + (
        f"the {fmt_count(beyond)} past it: {new_site}"
        if new_site
        else f"none for the {fmt_count(beyond)} past it: {NO_ORDER_BY}"
    )


def _mw_text(mw: float | None, beyond: int | None, blocks: int | None) -> str:
    """An order's MW: its blocks' under their site's ceiling, those past it apart (a new
    site's power draw, not this site's): the demo's 7 GB200 cells read "103.2 MW" at
    us-east-b, whose ceiling holds 1 of them (14.7 MW)."""
    if mw is None or not beyond or not blocks:
        return fmt_mw(mw)
    past = mw * min(beyond, blocks) / blocks
    under = mw - past
    return f"{fmt_mw(under) if under > 0 else 'none'} (+ {fmt_mw(past)} past its site's ceiling)"


def _later_capex_text(row: dict[str, Any]) -> str:
    """A later order's capex (:func:`_later_orders_table`), the blocks past their site's
    ceiling apart, and all of it said not within the horizon where its blocks run only after
    the plan's end (``capex_past_plan_usd``, report.inputs.past_the_plan)."""
    past = row["capex_past_plan_usd"] or 0.0
    text = capex_past_ceiling(
        row["capex_usd"] + past,
        row["capex_new_site_usd"] or 0.0,
        beyond=row["blocks_beyond_ceiling"] or 0,
    )
    if not past:
        return text
    return (
        f"{text}: not within the horizon (its blocks run only after the plan's end; not in "
        "the plan's totals)"
    )


def _revenue_table(
    kpis: pl.DataFrame,
    changes: pl.DataFrame,
    answers: pl.DataFrame | None = None,
    *,
    not_played: pl.DataFrame | None = None,
    unplayed: Sequence[str] = (),
) -> Table:
    """Revenue at risk per drill and class over its window (from the shock's start, so many
    days: $538k over 7 days and $29.7M over 182 read alike without it): unshocked, shocked,
    what the shock adds (means over paths; missing for a drill stored without its baseline),
    then the shocked P50 and P90.

    A drill "not verified" (its shock cut short by the horizon, or nothing in its target) is
    one row saying so and why, never its figures: top-customer-2x-6w read $0 in every cell
    on a 14-day run that played 1.33x of its 2x. So is a failing one the horizon cut short
    (its ``horizon_days_needed``; its verdict stands, its figures are of part of the shock):
    a 400-day spike played for 182 days read +$156.8M as the shock's cost. A drill this run
    could not play is a row saying why (``not_played``: refused on this run, with the reason;
    ``unplayed``: named drills with no run on it yet): region-loss and two others were simply
    absent."""
    windows: dict[str, str] = {}
    unverified: dict[str, str] = {}
    if answers is not None:
        for drill, start, hours, verdict, why, needed, reached in answers.select(
            "drill", "shock_start", "window_hours", "verdict", "unverified",
            "horizon_days_needed", "shock_reached",
        ).iter_rows():  # fmt: skip
            if start is not None and hours:
                windows[drill] = f"{fmt_date(start)}, {hours / 24:,.0f} d"
            if verdict == NOT_VERIFIED:
                unverified[drill] = why or "its shock was not played whole"
            elif needed is not None:
                unverified[drill] = cut_short_text(needed, reached=reached, hours=hours)
    risk = kpis.filter(pl.col("kpi") == "revenue_at_risk_usd").join(
        changes.filter(pl.col("kpi") == "revenue_at_risk_usd").select(
            "drill", "workload_class", "baseline_mean", "increment_mean"
        ),
        on=["drill", "workload_class"],
        how="left",
    )
    ordered = sorted(
        risk.iter_rows(named=True), key=lambda r: (r["drill"], class_key(r["workload_class"]))
    )
    rows: list[list[Cell]] = [
        [
            r["drill"],
            windows.get(r["drill"], "–"),
            "all classes" if r["workload_class"] == ALL_CLASSES else r["workload_class"],
            fmt_usd(r["baseline_mean"]),
            fmt_usd(r["mean"]),
            _increment_usd(r["baseline_mean"], r["mean"], r["increment_mean"]),
            fmt_usd(r["p50"]),
            # "$134 ... $0" read as if even the worst paths lost nothing (the platform page
            # said what such a P90 is; this table did not).
            fmt_usd(r["p90"])
            + (below_mean(r["p90"], r["mean"]) if fmt_usd(r["p90"]) != fmt_usd(r["mean"]) else ""),
        ]
        for r in ordered
        if r["drill"] not in unverified
    ]
    refused = [] if not_played is None else list(not_played.select("drill", "reason").iter_rows())
    refused += [
        (d, "no run on this forecast run yet: `fleetcast drill` plays it") for d in unplayed
    ]
    for drill, why, label, window in sorted(
        [(d, w, NOT_VERIFIED, windows.get(d, "–")) for d, w in unverified.items()]
        # A run whose stored figures are no measurement (an inf multiplier) was played.
        + [
            (d, w, NOT_MEASURED if w.startswith(NOT_MEASURED) else "not played", "–")
            for d, w in refused
        ]
    ):
        rows.append([drill, window, "all classes", Stacked(Badge(label), why), *[MISSING] * 4])
    rows.sort(key=lambda row: str(row[0]))
    return Table.of(
        [
            "drill",
            "window (from, days)",
            "class",
            "baseline (mean)",
            "shocked (mean)",
            "increment",
            "P50",
            "P90",
        ],
        rows,
        numeric=(3, 4, 5, 6, 7),
        empty="no drill played on this forecast run on this plan reported revenue at risk",
    )


def _increment_usd(baseline: float | None, shocked: float | None, increment: float | None) -> str:
    """What the shock adds, as the difference of its two cells as printed, with its sign
    (``+$63.8M`` beside $9.1M and $72.9M): printed on its own it read ``$3 | $3 | +$1`` and
    ``$9.1M | $72.9M | +$63.7M``. One that is not zero but shows no difference at their
    rounding reads ``under +$1`` rather than ``$0``."""
    if baseline is None or shocked is None or increment is None:
        return fmt_usd(increment)
    if not all(math.isfinite(v) for v in (baseline, shocked, increment)):
        # A stored NaN crashed the page in the rounding below (a drill file's inf multiplier).
        return NOT_MEASURED
    shown = usd_shown(shocked) - usd_shown(baseline)
    if usd_shown(shown) == 0.0:
        if increment == 0.0:
            return fmt_usd(0.0)
        # Each cell is within half its step of its mean, so the two differ by under a step.
        step = max(usd_step(shocked), usd_step(baseline))
        return f"under {'+' if increment > 0 else '-'}{fmt_usd(step)}"
    return f"+{fmt_usd(shown)}" if shown > 0 else fmt_usd(shown)


# Beside an idle share whose pool has no demand at P10 (its ``no_low_demand`` field).
_NO_P10 = "no P10 demand in its pool"


def _no_low_demand(idle: pl.DataFrame) -> pl.Expr:
    """Rows wholly idle for no demand at the low quantile: their field, never their note's
    words (a rewording read such a block as a lull measured)."""
    return pl.col("no_low_demand").fill_null(False)


def _idle_intro(inputs: ReportInputs) -> str:
    """What the idle table measures: it read "idle share 100.0%" with no word of what the
    share is of, over what, or why it can be whole; and which of its rows no backtest
    verifies."""
    idle = inputs.idle_risk
    window = idle["window_days"].max() if idle.height else None
    weeks = f"first {int(window) // 7} weeks" if window is not None else "first weeks"  # type: ignore[arg-type]  # a number when not None
    intro = (
        "Committed capacity that even low demand (P10) will not fill: capital standing idle. "
        "Idle share: the part of the block's GPUs that the pool's P10 requirement leaves unused "
        "(demand at its 10th percentile plus the headroom policy), on average over the "
        f"block's {weeks} in service, forecast days only. The newest block stands idle first, "
        "so 100 % means the capacity in service before it covers even P10 demand (the note "
        "gives both); the triggers read the upper quantile, so a pool can be short at P90 "
        "while its newest block is idle at P10: the two ends of one band."
    )
    if (unverified := _idle_unverified(inputs)) is None:
        return intro
    unjudged = _unjudged_said(inputs.idle_risk, verb=True)
    unjudged = f"; {unjudged}" if unjudged else ""
    return (
        f"{intro} Not verified: {_idle_unverified_part(inputs, unverified, verb=True)}{unjudged}."
    )


def _idle_table(idle: pl.DataFrame) -> Table:
    empty = set(idle.filter(_no_low_demand(idle))["block_id"].to_list())
    rows = [
        [
            r["block_id"],
            r["region"],
            r["site"],
            r["kind"],
            fmt_date(r["in_service"]),
            fmt_gpus(r["gpus"]),
            fmt_gpus(r["idle_gpus"]),
            fmt_pct(r["idle_share"]) + (f" ({_NO_P10})" if r["block_id"] in empty else ""),
            fmt_usd(r["capex_at_risk_usd"]),
            r["note"] or "",
        ]
        for r in idle.sort("capex_at_risk_usd", descending=True, nulls_last=True).iter_rows(
            named=True
        )
    ]
    headers = [
        "block",
        "region",
        "site",
        "kind",
        "in service",
        "GPUs",
        "idle GPUs (P10 demand)",
        "idle share",
        "capex at risk",
        "note",
    ]
    return Table.of(
        headers,
        rows,
        numeric=(5, 6, 7, 8),
        detail=(9,),
        empty="no committed capacity at idle risk",
    )


DRIVERS_TOP = 15


def _drivers_intro(drivers: pl.DataFrame, *, unit: str = "GPUs") -> str:
    """What the drivers' two means are, in ``unit`` (see :func:`_capacity_unit`), and the day
    the first is read on."""
    first = drivers.get_column("from_date").drop_nulls().min() if drivers.height else None
    on = f" ({fmt_date(first)})" if isinstance(first, date) else ""
    # The triggers convert demand where the plan has a [gpu_type] table, and only there: the
    # intro said H100-equivalents over columns headed GPUs, on plans with and without one.
    return (
        f"Each class or customer's forecast mean {unit} a day: on the first "
        f"forecast day{on}, and then: on the day its pool runs out at the trigger quantile, or "
        "the plan's last day where it does not (26 weeks on where it runs out within four "
        "weeks: short of today's demand, its order is sized for the growth after); the growth "
        "between them and its share of the "
        "growth of the pool's classes or customers that grew (one that shrank has none: its "
        f"fall is in its growth), largest {DRIVERS_TOP} first. Both are forecasts, not "
        "measurements: past the first four weeks a customer's mean is its class's, split over "
        "the class's customers by their sample paths' means to the daily forecast's last day, "
        "and past it (the monthly rows) by its share of the class in the first forecast week, "
        "whatever the daily horizon." + _not_growing(drivers, unit=unit)
    )


def _not_growing(drivers: pl.DataFrame, *, unit: str) -> str:
    """A sentence naming the pools that do not grow ('' when each does): their parts grew by
    less than :data:`~forecasting.triggers.drivers.NEGLIGIBLE_GROWTH` of the first day's demand,
    so no part has a share; a customer who had left, 0 -> 0 GPUs, read 42.6 % to 100 % of its
    pools' growth (0.015 GPUs of it)."""
    if drivers.is_empty():
        return ""
    pools = (
        drivers.group_by("region", "pool")
        .agg(
            pl.col("share").is_not_null().any().alias("grows"),
            net=pl.col("growth_gpus").sum(),
        )
        .filter(~pl.col("grows"))
        .sort("region", "pool")
    )
    if pools.is_empty():
        return ""
    named = ", ".join(
        f"{r['region']}/{r['pool']} (net {signed_gpus(r['net'])} {unit})"
        for r in pools.iter_rows(named=True)
    )
    return (
        f" Not growing: {named}: their classes and customers that grew add less than "
        f"{NEGLIGIBLE_GROWTH:.0%} of the first day's demand (or 1 {unit.removesuffix('s')}), "
        "so no share of "
        f"growth is given; a part that neither grew nor shrank by {GROWTH_FLOOR_GPUS:g} {unit} "
        "is left out."
    )


def _pipeline_mark(row: dict[str, Any], contracts: pl.DataFrame | None) -> str:
    """`` (pipeline ID at 35%: not signed)`` where the driver's customer has a pipeline deal in
    its region and class holding GPUs over its window ('' otherwise): a deal at its odds read
    as the customer's forecast growth (orion-foundation's 0 -> 1,434 GPUs is 0.35 x 4,096)."""
    if contracts is None or contracts.is_empty() or row["customer"] is None:
        return ""
    start, end = row["from_date"], row["to_date"]
    deals = contracts.filter(
        (pl.col("status") == "pipeline")
        & (pl.col("customer") == row["customer"])
        & (pl.col("region") == row["region"])
        & (pl.col("workload_class") == row["workload_class"])
        & (pl.col("first_date") <= end if end is not None else pl.lit(True))
        & (pl.col("term_end") >= start if start is not None else pl.lit(True))
    )
    listed = ", ".join(
        f"{d['id']} at {fmt_pct(d['probability'], digits=0)}" for d in deals.iter_rows(named=True)
    )
    return f" (pipeline {listed}: not signed)" if listed else ""


def _drivers_table(
    drivers: pl.DataFrame,
    *,
    daily_end: date | None,
    top: int = DRIVERS_TOP,
    contracts: pl.DataFrame | None = None,
    unit: str = "GPUs",
) -> Table:
    """The largest growth drivers; a customer whose pipeline deal (``contracts``, the book's
    list) holds GPUs over the driver's window is marked, its odds being no forecast growth."""
    # A date on the plan's monthly rows reads as its month, as the orders table beside it
    # reads it ("2029-12-01" here, "Dec 2029" there, for one exhaustion).
    rows = [
        [
            r["region"],
            r["pool"],
            r["workload_class"],
            f"{r['customer']}{_pipeline_mark(r, contracts)}" if r["customer"] else r["customer"],
            fmt_gpus(r["from_gpus"]),
            fmt_gpus(r["to_gpus"]),
            fmt_day_or_month(r["to_date"], daily_end=daily_end),
            signed_gpus(r["growth_gpus"]),
            fmt_pct(r["share"]),
        ]
        # A part that moved by less than half a GPU ("+0") drives nothing: listed first, a
        # customer who had left read as the pool's growth.
        # Then the largest falls: where no pool grows, the smallest falls led the table.
        for r in drivers.filter(pl.col("growth_gpus").abs() >= GROWTH_FLOOR_GPUS)
        # Ties on growth (customers splitting a class alike) by name: a rerun of the same
        # run listed them in whatever order the stored drivers held.
        .sort(
            pl.col("growth_gpus") < 0,
            pl.col("growth_gpus").abs(),
            "region",
            "pool",
            "workload_class",
            "customer",
            descending=[False, True, False, False, False, False],
        )
        .head(top)
        .iter_rows(named=True)
    ]
    return Table.of(
        [
            "region",
            "pool",
            "class",
            "customer",
            f"first day ({unit})",
            f"then ({unit})",
            "then (date)",
            f"growth ({unit})",
            "share of growth",
        ],
        rows,
        numeric=(4, 5, 7, 8),
        empty="no growth drivers in this run",
    )


def _fallback_customers(chosen: pl.DataFrame) -> dict[str, str]:
    """Per scope (class, and "all"), "k of n" customer series (a customer's forecast in one
    region and class) whose mean forecast is a fallback (zero, the naive), where any is: a
    young class's forecast share stood on them (a top-1 share forecast at 29 % beside 32-87 %
    every recent day, most of its customers forecast as zero for want of history). Counted
    as series, said as series: a 60-customer fleet read "2 of 80 customers"."""
    customers = chosen.filter(
        (hierarchy.depth() == 3) & (pl.col("measure") == "mean")
    ).with_columns(cls=hierarchy.level(2), fell=pl.col("fallback").is_not_null())
    if customers.is_empty():
        return {}
    counts = pl.concat(
        [
            customers.group_by(scope="cls").agg(k=pl.col("fell").sum(), n=pl.len()),
            customers.select(scope=pl.lit("all"), k=pl.col("fell").sum(), n=pl.len()),
        ],
        how="vertical_relaxed",
    )
    return {
        str(r["scope"]): f"{r['k']} of {r['n']} customer series"
        for r in counts.iter_rows(named=True)
        if r["k"]
    }


def _monday(day: date) -> date:
    """The Monday naming ``day``'s week, as the weekly concentration rows are named."""
    return day - timedelta(days=day.weekday())


def _leaders(frame: pl.DataFrame) -> dict[tuple[str, date], str]:
    """(scope, day) -> the customer a top-1 share is of, from
    :func:`~forecasting.concentration.largest_customer_history` or ``_forecast``."""
    return {(str(r[0]), r[1]): str(r[2]) for r in frame.iter_rows()}


def _concentration_table(
    concentration: pl.DataFrame,
    chosen: pl.DataFrame,
    *,
    history: pl.DataFrame | None = None,
    forecast: pl.DataFrame | None = None,
) -> Table:
    """Per scope and metric: the last history value and the forecast q50 in the last week
    (its rows are weeks, named by their Monday), and
    how many of the scope's customers the forecast holds by a fallback. A top-1 share names
    its customer (``history``, DEMAND_SCHEMA, and ``forecast``, the chosen FORECAST_SCHEMA
    rows, where given): "38 %" left finance asking whose."""
    fallbacks = _fallback_customers(chosen)
    led = _leaders(largest_customer_history(history)) if history is not None else {}
    # No more customers than the top 5 and no tail: the top-5 share is all of the demand by
    # construction, and "100.0%" read as a measured concentration (the tiny fleet's 2).
    whole = customers_within_top(history) if history is not None else {}
    leads = _leaders(largest_customer_forecast(forecast)) if forecast is not None else {}

    def whose(value: str, leader: str | None, *, expected: bool = False) -> str:
        if leader is None or value == MISSING:
            return value
        return f"{value} ({leader}, largest mean)" if expected else f"{value} ({leader})"

    rows: list[list[Cell]] = []
    for (scope, metric), part in concentration.sort("ds").group_by(
        "scope", "metric", maintain_order=True
    ):
        show: Callable[[float | None], str] = fmt_hhi if metric == "hhi" else fmt_pct
        past = part.filter(pl.col("source") == "history")
        ahead = part.filter(pl.col("source") == "forecast")
        key = "all" if scope in ("overall", "all") else str(scope)
        top1 = metric == "top1_share"
        if metric == "top5_share" and key in whole:
            rows.append(
                [
                    str(scope),
                    "top-5 share",
                    top_is_all_text(whole[key]),
                    fmt_date(past["ds"][-1]) if past.height else MISSING,
                    "all of them",
                    "all of them",
                    fmt_date(ahead["ds"][-1]) if ahead.height else MISSING,
                    fallbacks.get(key, ""),
                ]
            )
            continue
        rows.append(
            [
                str(scope),
                {"top1_share": "top-1 share", "top5_share": "top-5 share"}.get(str(metric), "HHI"),
                (
                    whose(show(past["value"][-1]), led.get((key, past["ds"][-1])) if top1 else None)
                    if past.height
                    else MISSING
                ),
                fmt_date(past["ds"][-1]) if past.height else MISSING,
                (
                    whose(
                        show(ahead["q50"][-1]),
                        leads.get((key, _monday(ahead["ds"][-1]))) if top1 else None,
                        expected=True,
                    )
                    if ahead.height
                    else MISSING
                ),
                (
                    f"{show(ahead['q10'][-1])} – {show(ahead['q90'][-1])}"
                    if ahead.height
                    else MISSING
                ),
                fmt_date(ahead["ds"][-1]) if ahead.height else MISSING,
                fallbacks.get(key, ""),
            ]
        )

    def order(row: list[Cell]) -> tuple[tuple[int, str], str]:
        scope, metric = str(row[0]), str(row[1])
        return (class_key("all" if scope in ("overall", "all") else scope), metric)

    rows.sort(key=order)
    return Table.of(
        [
            "scope",
            "metric",
            "last history",
            "on",
            "forecast q50",
            "q10 – q90",
            "in the week of",
            "forecast by a fallback",
        ],
        rows,
        numeric=(2, 4, 5),
        empty="no concentration figures",
    )


def _region_last(frame: pl.DataFrame, source: str) -> pl.DataFrame:
    """Per region, its last day's (or week's) rows of ``source``, wide: region, ds and one
    column per metric and field (``hhi_value``, ``hhi_q10``...)."""
    rows = frame.filter(pl.col("source") == source)
    last = rows.filter(pl.col("ds") == pl.col("ds").max().over("scope"))
    return last.pivot(
        on="metric",
        index=["scope", "ds"],
        values=["value", "q10", "q90"],
        aggregate_function="first",
    ).rename({"scope": "region"})


def region_concentration_summary(
    concentration: pl.DataFrame,
    *,
    history: pl.DataFrame | None = None,
    forecast: pl.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """Per region, most concentrated first (HHI q50 at the horizon, else now): its last
    history day ``now`` with the top customer ``leader``, ``top1``, ``hhi`` and ``tail``
    shares, and its last forecast week ``week`` with ``leader_ahead``, ``top1_ahead``,
    ``hhi_ahead`` (q50), ``hhi_low``/``hhi_high`` (q10/q90) and ``tail_ahead``. A value is
    None where it was not measured (no demand, or the tail alone)."""
    if concentration.is_empty():
        return []
    past = _region_last(concentration, "history")
    ahead = _region_last(concentration, "forecast")
    # Leaders of the days shown only: the history's every day cost a pass over all of it.
    led: dict[tuple[str, date], str] = {}
    if history is not None and past.height:
        days = history.filter(pl.col("ds").is_in(past["ds"].unique().implode()))
        led = _leaders(largest_customer_history(days, scope="region"))
    leads: dict[tuple[str, date], str] = {}
    if forecast is not None and ahead.height:
        weeks = ahead["ds"].unique().to_list()
        days = forecast.filter(pl.col("ds").dt.truncate("1w").is_in(weeks))
        leads = _leaders(largest_customer_forecast(days, scope="region"))
    regions = sorted(set(past["region"]) | set(ahead["region"]))
    now = {r["region"]: r for r in past.iter_rows(named=True)}
    later = {r["region"]: r for r in ahead.iter_rows(named=True)}
    out: list[dict[str, Any]] = []
    for region in regions:
        p, f = now.get(region, {}), later.get(region, {})
        out.append(
            {
                "region": region,
                "now": p.get("ds"),
                "leader": led.get((region, p["ds"])) if p else None,
                "top1": p.get("value_top1_share"),
                "hhi": p.get("value_hhi"),
                "tail": p.get("value_tail_share"),
                "week": f.get("ds"),
                "leader_ahead": leads.get((region, f["ds"])) if f else None,
                "top1_ahead": f.get("value_top1_share"),
                "hhi_ahead": f.get("value_hhi"),
                "hhi_low": f.get("q10_hhi"),
                "hhi_high": f.get("q90_hhi"),
                "tail_ahead": f.get("value_tail_share"),
            }
        )

    def most_concentrated(row: dict[str, Any]) -> tuple[bool, float, str]:
        hhi = row["hhi_ahead"] if row["hhi_ahead"] is not None else row["hhi"]
        return (hhi is None, -(hhi or 0.0), row["region"])

    return sorted(out, key=most_concentrated)


def region_top_customer(
    leader: str | None, top1: float | None, tail: float | None, *, expected: bool = False
) -> str:
    """A region's top customer and share, read honestly: the tail alone names no one and has
    no share; one customer is said to be the only one; where the tail is larger than the top
    named customer, a tail customer may lead, so the share is a floor."""
    if top1 is None:
        return f"only the long tail ({fmt_pct(tail)}): {NOT_MEASURED}" if tail else MISSING
    who = leader or "a named customer"
    if expected:
        who = f"{who}, largest mean"
    if top1 >= 1.0 and not tail:
        return f"{fmt_pct(top1)} ({who}: the only customer)"
    floor = "at least " if tail is not None and tail > top1 else ""
    return f"{floor}{fmt_pct(top1)} ({who})"


def region_hhi(hhi: float | None, tail: float | None) -> str:
    """A region's HHI with the most its long tail could add: the tail is counted as customers
    no larger than the smallest named one, so one larger tail customer raises the index by
    at most the tail's share squared (on the 0..10,000 scale)."""
    if hhi is None:
        return NOT_MEASURED
    said = fmt_hhi(hhi)
    ceiling = fmt_hhi(min(10_000.0, hhi + (tail or 0.0) ** 2 * 10_000))
    return said if ceiling == said else f"{said} (up to {ceiling} with the tail)"


def _region_concentration_table(
    concentration: pl.DataFrame,
    *,
    history: pl.DataFrame | None = None,
    forecast: pl.DataFrame | None = None,
) -> Table:
    """Per region, most concentrated first: the top customer and its share on the last
    history day and at the horizon, HHI now and at the horizon (q50, q10-q90), the tail."""
    rows: list[list[Cell]] = []
    summary = region_concentration_summary(concentration, history=history, forecast=forecast)
    latest = max((r["now"] for r in summary if r["now"] is not None), default=None)
    for r in summary:
        measured_now = r["now"] is not None
        ahead = r["week"] is not None
        top = region_top_customer(r["leader"], r["top1"], r["tail"]) if measured_now else MISSING
        if measured_now and r["now"] != latest:
            # A region whose feed stopped: its share is of its own last day, not the others'.
            top = f"{top}, on {fmt_date(r['now'])}: its last day"
        rows.append(
            [
                r["region"],
                top,
                region_hhi(r["hhi"], r["tail"]) if measured_now else MISSING,
                (
                    region_top_customer(
                        r["leader_ahead"], r["top1_ahead"], r["tail_ahead"], expected=True
                    )
                    if ahead
                    else MISSING
                ),
                region_hhi(r["hhi_ahead"], r["tail_ahead"]) if ahead else MISSING,
                f"{fmt_hhi(r['hhi_low'])} – {fmt_hhi(r['hhi_high'])}"
                if ahead and r["hhi_low"] is not None
                else MISSING,
                fmt_pct(r["tail"]) if measured_now else MISSING,
            ]
        )
    return Table.of(
        [
            "region",
            "top customer, last history day",
            "HHI now",
            "top customer at the horizon (q50)",
            "HHI at the horizon (q50)",
            "q10 – q90",
            "long tail now",
        ],
        rows,
        numeric=(2, 4, 5, 6),
        empty="no concentration figures per region",
    )


def _region_concentration_intro(concentration: pl.DataFrame) -> str:
    """What the region table measures, and on which days."""
    days = concentration.filter(pl.col("source") == "history")["ds"].max()
    weeks = concentration.filter(pl.col("source") == "forecast")["ds"].max()
    when = []
    if isinstance(days, date):
        when.append(f"now is the last history day ({fmt_date(days)})")
    if isinstance(weeks, date):
        when.append(f"the horizon the forecast's last week (of {fmt_date(weeks)})")
    said = f" {'; '.join(when).capitalize()}." if when else ""
    return (
        "Per region, where capacity is bought: every class of the region, a customer's "
        "classes there counted as one, most concentrated region first (HHI at the horizon)."
        f"{said} The long tail is folded per class over the fleet, so in one region a tail "
        "customer may be larger than the top named one: where the tail holds more than the "
        "top customer, its share reads 'at least'. A region's HHI counts its tail as equal "
        "customers no larger than its smallest named one (the fleet's rule); where a tail "
        "customer is larger there, the HHI reads low, by at most the tail's share squared "
        "(a 30% tail: up to 900): the HHI now and at the horizon (q50) give that bound "
        "('up to ... with the tail')."
    )


# The two rules of forecasting/contracts.py, one sentence each, shown beside the book's figures.
FLOOR_RULE = (
    "Signed contracts are a floor: on each day a customer's demand is the larger of its own "
    "forecast and its signed ramp, never their sum, because telemetry already holds what the "
    "contract has ramped so far."
)
PIPELINE_RULE = (
    "Pipeline deals are added on top: each deal's ramp joins the sample paths where it signs, "
    "every path signing with the deal's probability p, so expected demand carries p × GPUs."
)


def _book_applied(inputs: ReportInputs) -> str:
    """What the forecast run did with the book, in one sentence."""
    if inputs.book_applied.is_empty():
        return "This forecast run did not record a contract book (made before books existed)."
    signed, pipeline = inputs.book_applied.row(0)
    if not signed and not pipeline:
        return (
            "This forecast run applied no contract: none held GPUs within its horizon, the "
            "book was empty, or the run was made with --no-contracts."
        )
    # Counted over the daily rows: "2 pipeline deals" sat beside a table of three, the third
    # starting in month 10 of the plan.
    return (
        f"This forecast run (as of {fmt_date(inputs.as_of)}) applied {signed} signed "
        f"contract(s) and {pipeline} pipeline deal(s) holding GPUs within its daily rows (to "
        f"{fmt_date(daily_end(inputs))}); its demand, triggers and drills include them. Deals "
        "that start later enter the monthly plan only (the table below has every month)."
    )


def _book_months_table(finance: pl.DataFrame) -> Table:
    """Per month of the plan: signed GPUs, pipeline GPUs and their expectation, revenue."""

    def of(status: str, column: str) -> pl.Expr:
        return pl.col(column).filter(pl.col("status") == status).sum()

    def revenue(status: str) -> pl.Expr:
        return pl.col("expected_revenue_usd").filter(pl.col("status") == status)

    monthly = (
        finance.group_by("month", "days")
        .agg(
            of("signed", "gpus_avg").alias("signed"),
            of("pipeline", "gpus_avg").alias("pipeline"),
            of("pipeline", "expected_gpus_avg").alias("pipeline_expected"),
            # Null, shown as missing, when nothing of that status is priced: never a $0.
            *(
                pl.when(revenue(status).is_not_null().any())
                .then(revenue(status).sum())
                .alias(f"{status}_revenue")
                for status in ("signed", "pipeline")
            ),
            pl.col("unpriced_gpu_hours").sum().alias("unpriced"),
        )
        .sort("month")
    )
    rows = [
        [
            r["month"].strftime("%Y-%m"),
            fmt_count(r["days"]),
            fmt_gpus(r["signed"]),
            fmt_gpus(r["pipeline"]),
            fmt_gpus(r["pipeline_expected"]),
            fmt_gpus(r["signed"] + r["pipeline_expected"]),
            fmt_usd(r["signed_revenue"]),
            fmt_usd(r["pipeline_revenue"]),
            fmt_gpu_hours(r["unpriced"]) if r["unpriced"] else MISSING,
        ]
        for r in monthly.iter_rows(named=True)
    ]
    return Table.of(
        [
            "month",
            "days in plan",
            "signed GPUs",
            "pipeline GPUs (if all sign)",
            "pipeline expected (p × GPUs)",
            "expected total",
            "signed revenue",
            "pipeline expected revenue",
            "unpriced",
        ],
        rows,
        numeric=range(1, 9),
        empty="no contract holds GPUs within the plan",
    )


def _term_end(term_end: date | None, *, as_of: date) -> str:
    """A contract's term end, and where it is before ``as_of``, that it ended and is not
    applied (a contract ended 2026-09-30 read as any other in a book as of 2026-12-04)."""
    if term_end is None or term_end >= as_of:
        return fmt_date(term_end)
    return f"{fmt_date(term_end)} (ended: not applied)"


def _book_list_table(contracts: pl.DataFrame, *, as_of: date) -> Table:
    """Every contract of the book: who, where, status and p, first and last step, term (an
    ended one said so)."""
    rows = [
        [
            r["id"],
            r["customer"],
            r["workload_class"],
            r["region"],
            r["status"],
            fmt_pct(r["probability"], digits=0),
            f"{fmt_date(r['first_date'])}: {fmt_gpus(r['first_gpus'])}",
            f"{fmt_date(r['last_date'])}: {fmt_gpus(r['last_gpus'])}",
            _term_end(r["term_end"], as_of=as_of),
            f"${r['price_per_gpu_hour']:,.2f}" if r["price_per_gpu_hour"] else "class price",
            fmt_date(r["announced"]),
        ]
        for r in contracts.iter_rows(named=True)
    ]
    return Table.of(
        [
            "contract",
            "customer",
            "class",
            "region",
            "status",
            "p",
            "first step (GPUs)",
            "last step (GPUs)",
            "term end",
            "price / GPU-h",
            "announced",
        ],
        rows,
        numeric=(5,),
        empty="no contract book loaded (fleetcast contracts FILE)",
    )


def _concentration_intro(inputs: ReportInputs) -> str | None:
    """What the shares leave out: the customers of plan regions with blocks but no telemetry
    (report.inputs.unforecast_regions_of), whose demand no series holds; None when none."""
    dark = unforecast_regions_of(inputs)
    if not dark:
        return None
    has = "has" if len(dark) == 1 else "have"
    them = "its" if len(dark) == 1 else "their"
    return (
        f"Shares of the demand measured in the regions with telemetry: {listed(dark)} {has} "
        f"blocks in the plan but no telemetry, so {them} customers are in no share here (not "
        "judged)."
    )


_BOOK_CONCENTRATION = (
    "Share of the largest customer and HHI (0–10,000) of the whole fleet's expected demand "
    "per month, measured by the forecast run on its sample paths without and with the book."
)


def _book_concentration_intro(inputs: ReportInputs) -> str:
    """The section's intro, and where its months stop: they ran to 2027-06 beside a book
    table to 2030-01, the last month measured on 4 days, with no word of either."""
    end = daily_end(inputs)
    last = inputs.book_concentration.get_column("month").max()
    if end is None or not isinstance(last, date):
        return _BOOK_CONCENTRATION
    text = (
        f"{_BOOK_CONCENTRATION} Over the daily rows only, to {fmt_date(end)}: the sample paths "
        "stop there, so later months have no figure"
    )
    month_end = pl.select(pl.lit(last).dt.month_end()).item()
    if last <= end < month_end:
        text += f", and {last:%Y-%m} counts its days to {fmt_date(end)} only"
    return text + "."


def _book_concentration_table(concentration: pl.DataFrame) -> Table:
    """Fleet-wide top-1 share and HHI per month, without and with the book."""
    fleet = concentration.filter(
        (pl.col("region") == "total") & (pl.col("workload_class") == ALL_CLASSES)
    )
    wide = (
        fleet.filter(pl.col("book") == "without")
        .join(fleet.filter(pl.col("book") == "with"), on="month", suffix="_with")
        .sort("month")
    )
    rows = [
        [
            r["month"].strftime("%Y-%m"),
            fmt_pct(r["top1_share"]),
            fmt_pct(r["top1_share_with"]),
            fmt_hhi(r["hhi"]),
            fmt_hhi(r["hhi_with"]),
        ]
        for r in wide.iter_rows(named=True)
    ]
    return Table.of(
        ["month", "top-1 share without", "with the book", "HHI without", "with the book"],
        rows,
        numeric=(1, 2, 3, 4),
        empty="the forecast run measured no concentration with the book (none applied)",
    )


def _capex_bound(deal: dict[str, Any]) -> CapexBound | None:
    """What a pipeline deal's capex figures are where an order is not sized (None: measured
    in full)."""
    return None if deal["capex_bound"] is None else CapexBound(deal["capex_bound"])


def _pipeline_table(
    deals: pl.DataFrame, *, as_of: date | None = None, next_report: date | None = None
) -> Table:
    """Each pipeline deal weighed as if it signed: what it adds to the plan's orders; its
    first order-by before the next scheduled report (``next_report``) says so, as the orders
    tables do."""
    rows = [
        [
            r["contract_id"],
            r["customer"],
            r["workload_class"],
            r["region"],
            fmt_pct(r["probability"], digits=0),
            fmt_date(r["first_day"]),
            fmt_gpus(r["peak_gpus"]),
            # An order not sized counted $0: which bound the figure is, as the note says.
            MISSING
            if r["extra_capex_usd"] is None
            else extra_capex(r["extra_capex_usd"], bound=_capex_bound(r)),
            MISSING
            if r["expected_capex_usd"] is None
            else extra_capex(r["expected_capex_usd"], bound=_capex_bound(r)),
            fmt_date(r["order_by"])
            + next_report_words(r["order_by"], as_of=as_of, next_report=next_report, lead=", "),
            r["note"] or "",
        ]
        for r in deals.sort("expected_capex_usd", descending=True, nulls_last=True).iter_rows(
            named=True
        )
    ]
    headers = [
        "deal",
        "customer",
        "class",
        "region",
        "odds",
        "first GPUs",
        "GPUs at peak",
        "extra capex if it signs",
        "x odds",
        "order by",
        "served",
    ]
    return Table.of(
        headers, rows, numeric=(4, 6, 7, 8), wrap=(10,), empty="no pipeline deals in the book"
    )


# The rule of forecasting.triggers (trigger_status and the power override): "red: the
# order-by date has passed" sat beside red rows ordered 17 months ahead (red for power) and
# amber rows whose order-by date had passed.
_STATUS_RULES = (
    "Green: the order-by date is ahead. Amber: the order-by date has passed, but an order "
    "placed now still lands before the shortfall (inside the safety buffer), or its blocks "
    "land in time but run only from inside the buffer, when their site has the power. Red: a "
    "shortfall comes whatever is ordered now: the lead time is lost, the blocks would wait for "
    "their site's power past the shortfall, or no block type can serve the pool (the note says "
    "which). "
)


def _monthly_rules(inputs: ReportInputs) -> str:
    """When a shortfall read on the monthly rows alone is amber at most: within a default run's
    daily days (``triggers.plan._monthly_only``), where a default run dates it by the day.

    The legend said so of every shortfall on the monthly rows, beside monthly-grain reds past
    those 26 weeks (a 5-customer fleet's eu-west training, red, exhausted Apr 2028), which
    every run reads by the month and the rule leaves red."""
    end = daily_end(inputs)
    if inputs.forecast_months.is_empty() or end is None:
        return ""
    reach = inputs.as_of + timedelta(days=DEFAULT_HORIZON_DAYS)
    past = (
        f'keeps its colour, red included, and its order-by date reads "{MONTH_GRAIN}" (it is '
        "dated from the month read short). "
    )
    if end >= reach:
        return f"A shortfall on the monthly rows, past the daily ones ({fmt_date(end)}), {past}"
    return (
        f"A shortfall on the monthly rows only up to {fmt_date(reach)} (the {DEFAULT_HORIZON_DAYS}"
        " daily days of a default run, which dates it by the day) is amber at most, whatever "
        "would make it red (a late order-by date, blocks waiting for power): its order-by date "
        f'reads "{MONTHLY_GRAIN}" and its note says so. Past {fmt_date(reach)} every run reads '
        f"months: a shortfall there {past}"
    )


_SIZING = (
    "Orders are sized for the 52 weeks after exhaustion, or after they arrive when they land "
    "later, or to the day a newer block cheaper per H100-equivalent can serve in time when that "
    "makes the region's plan cheaper (a bridge: the note says how much). "
)
_LARGEST = (
    "The largest shortfall is the most {unit} short, at the trigger quantile, on any day to the "
    "end of the plan"
)


def _sizing(inputs: ReportInputs) -> str:
    """How the orders due now were sized: on the daily rows only where no decision backtest
    calibrated the band past them (``runs.trigger_settings``)."""
    end = daily_end(inputs)
    if inputs.forecast_months.is_empty() or inputs.plan_calibrated or end is None:
        return _SIZING
    return (
        f"Orders due now are sized for the shortfall to the last daily day ({end}), or for "
        "four weeks where they start later: past it no decision backtest calibrated the band, "
        "so what is short after is left to the later orders, which read it. "
    )


def _orders_intro(inputs: ReportInputs) -> str:
    """The orders section's rules, and what the band the orders read was calibrated on: it
    said "calibrated at 26 weeks ahead" on runs no decision backtest calibrated."""
    if inputs.forecast_months.is_empty():
        # Why, as the run stored it and `forecast` and `status` print it.
        why = f" ({inputs.daily_only})" if inputs.daily_only else ""
        basis = (
            "; the forecast ends with its daily days: nothing is planned past them"
            f"{why}, so a green there is not verified beyond them (see the notes and the "
            "platform page)."
        )
    elif not inputs.plan_calibrated:
        basis = (
            ", where the forecast's band is wide and not calibrated: the history is too short "
            "for a decision backtest (see the platform page)."
        )
    else:
        basis = (
            ", where the forecast's band is wide: it is calibrated at 26 weeks ahead only, and "
            f"its median past them {_growth_assumption(inputs.forecast_months)} (see the "
            "platform page)."
        )
    return (
        _STATUS_RULES
        + _monthly_rules(inputs)
        + _sizing(inputs)
        + _LARGEST.format(unit=_capacity_unit(inputs.plan))
        + (f" ({reach})" if (reach := _plan_reach(inputs)) else "")
        + basis
    )


def _growth_assumption(months: pl.DataFrame) -> str:
    """What the monthly median assumes about growth past 26 weeks, by the growth model most of
    the regions' monthly rows carry: nothing scores it that far out, so finance reads it as
    an assumption."""
    regions = months.filter(hierarchy.depth() == 1)
    models = (regions if regions.height else months)["model"].drop_nulls()
    model = str(models.mode().sort()[0]) if models.len() else "growth model"
    if model == "damped_trend":
        return f"fades the growth of the history ({model}): it assumes growth slows"
    return (
        f"carries the history's growth forward at the pace the growth model reads ({model}): "
        "it does not assume growth slows, and nothing scores it that far out"
    )


def _new_site_dates(inputs: ReportInputs) -> Callable[[dict[str, Any]], str | None]:
    """The order-by text of an order's blocks past every ceiling, where its region's
    [[new_site]] dates them (:func:`~forecasting.triggers.new_site_order_by`)."""
    return partial(
        new_site_order_by,
        inputs.construction,
        inputs.plan,
        as_of=inputs.as_of,
        next_report=inputs.next_report,
    )


def _new_site_arrivals(inputs: ReportInputs) -> Callable[[dict[str, Any]], str | None]:
    """When an order's blocks past every ceiling arrive, where its region's [[new_site]] dates
    them (:func:`~forecasting.triggers.new_site_arrival`)."""
    return partial(new_site_arrival, inputs.construction, inputs.plan, as_of=inputs.as_of)


def finance_page(inputs: ReportInputs) -> str:
    """Orders and capital, revenue and idle risk, concentration, and what changed."""
    page = Page()
    t = inputs.triggers
    nothing = nothing_to_order(inputs)
    context: dict[str, Any] = {
        "cards": _cards(inputs),
        "orders_missing": nothing or "no order-by dates",
        "capital_missing": nothing or "no blocks to order",
        "orders_chart": page.figure(
            orders_chart(
                t,
                as_of=inputs.as_of,
                placements=inputs.placements,
                next_report=inputs.next_report,
            )
        ),
        "orders": _orders_table(
            with_power(t, inputs.placements)
            .join(trigger_past_the_plan(inputs), on=["region", "pool"], how="left")
            .with_columns(status_only=status_only(inputs)),
            daily_end=daily_end(inputs),
            unit=_capacity_unit(inputs.plan),
            vacant=vacant_regions(inputs),
            as_of=inputs.as_of,
            end=plan_last_day(inputs),
            today=inputs.generated_at.date(),
            new_site=_new_site_dates(inputs),
            arrives_with=_new_site_arrivals(inputs),
            next_report=inputs.next_report,
        ),
        "orders_intro": _orders_intro(inputs),
        "capital_chart": page.figure(
            capital_chart(
                t,
                as_of=inputs.as_of,
                pipeline=inputs.pipeline_deals,
                placements=inputs.placements,
                end=plan_last_day(inputs),
                construction=inputs.construction,
                new_site_blocks=new_site_parts(inputs),
            )
        ),
        "later_orders": _later_orders_table(
            inputs.placements,
            triggers=t,
            daily_end=daily_end(inputs),
            end=plan_last_day(inputs),
            nothing=nothing,
            new_site=_new_site_dates(inputs),
            arrives_with=_new_site_arrivals(inputs),
            as_of=inputs.as_of,
            next_report=inputs.next_report,
            inputs=inputs,
        ),
        "pipeline": _pipeline_table(
            inputs.pipeline_deals, as_of=inputs.as_of, next_report=inputs.next_report
        ),
        "revenue": _revenue_table(
            inputs.drill_kpis,
            inputs.drill_kpi_changes,
            inputs.drill_answers,
            not_played=inputs.drills_not_played,
            unplayed=inputs.drills_unplayed,
        ),
        "idle": _idle_table(inputs.idle_risk),
        "idle_intro": _idle_intro(inputs),
        "concentration_charts": page.figures(
            concentration_charts(inputs.concentration, whole=customers_within_top(inputs.history))
        ),
        "concentration_intro": _concentration_intro(inputs),
        "concentration": _concentration_table(
            inputs.concentration, inputs.chosen, history=inputs.history, forecast=inputs.forecast
        ),
        "region_concentration": _region_concentration_table(
            inputs.region_concentration, history=inputs.history, forecast=inputs.forecast
        ),
        "region_concentration_intro": _region_concentration_intro(inputs.region_concentration),
        "drivers": _drivers_table(
            inputs.drivers,
            daily_end=daily_end(inputs),
            contracts=inputs.contracts,
            unit=_capacity_unit(inputs.plan),
        ),
        "drivers_intro": _drivers_intro(inputs.drivers, unit=_capacity_unit(inputs.plan)),
        "changes": changes_view(inputs),
        "book_rules": (FLOOR_RULE, PIPELINE_RULE),
        "book_applied": _book_applied(inputs),
        "book_months": _book_months_table(inputs.contract_finance),
        "book_list": _book_list_table(inputs.contracts, as_of=inputs.as_of),
        "book_concentration": _book_concentration_table(inputs.book_concentration),
        "book_concentration_intro": _book_concentration_intro(inputs),
    }
    return render(
        "finance.html",
        page=page,
        **shell(inputs, file="finance.html", title="Finance: orders, capital and risk"),
        **context,
    )
