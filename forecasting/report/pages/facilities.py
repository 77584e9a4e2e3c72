"""The facilities page: megawatts per site by month, blocks and arrivals, power-heavy orders."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date
from functools import partial
from typing import Any

import polars as pl

from forecasting.capacity import Site
from forecasting.report.figures import site_power_chart
from forecasting.report.format import MISSING, fmt_count, fmt_date, fmt_gpus, fmt_mw, fmt_usd
from forecasting.report.inputs import (
    NOT_CHECKED,
    NOT_JUDGED,
    POWER_PAST_CONTRACTING,
    ReportInputs,
    construction_only,
    daily_days,
    daily_end,
    facilities_last_month,
    later_orders,
    orders_monthly_only,
    orders_status_only,
    power_notes_marked,
    power_view,
    unjudged_regions_of,
    unserved_blocks_of,
    unsized_by_region,
    with_power,
)
from forecasting.report.pages.common import (
    MONTH_GRAIN,
    MONTHLY_GRAIN,
    PRICED_BY_NEW_SITE,
    Badge,
    Cell,
    Folded,
    Page,
    Stacked,
    Table,
    blocks_text,
    by_date,
    changes_view,
    in_service_text,
    is_unsized,
    month,
    monthly_date,
    monthly_only_beside,
    monthly_only_first,
    new_site_beside,
    new_site_due,
    new_site_parts,
    new_site_priced,
    next_orders,
    next_report_words,
    none_sized,
    orders_due_after,
    orders_to_place,
    past_the_horizon,
    plan_last_day,
    render,
    shell,
    to_order,
    to_place_by,
    total,
    triggers_due,
    unserved_text,
    unsized_beside,
    unsized_order,
)
from forecasting.schema import BlockStatus
from forecasting.text import waiting_order_by
from forecasting.triggers import (
    held_not_verified,
    held_unverified,
    new_site_arrival,
    new_site_order_by,
)
from forecasting.triggers.common import NEW_SITE, NO_ORDER_BY, power_forward, power_new_site
from forecasting.triggers.construction import not_judged_why, unsited_orders, unsited_words

__all__ = ["facilities_page"]

# Below what fmt_mw shows (one decimal): "0.0 MW of it past" says nothing.
_MW_SHOWN = 0.05


def _uncalibrated(inputs: ReportInputs) -> bool:
    """Whether the MW needed reads a plan past the daily rows that no decision backtest
    calibrated (``ReportInputs.every_order_label``'s rule)."""
    return bool(inputs.forecast_months.height) and not inputs.plan_calibrated


def _cards(inputs: ReportInputs) -> list[tuple[str, str | Folded]]:
    power = inputs.mw_by_site_month
    ordering = inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)
    # The months the site charts draw: a need stored past them (an order landing after the
    # plan's end) is not within the horizon, and "needed by" read a month no chart showed.
    window = facilities_last_month(inputs)
    shown = power.filter(pl.col("month") <= window)
    if shown.height:
        months = shown["month"].sort().to_list()
        first, last = months[0], months[-1]
        needed = shown.group_by("month").agg(pl.col("mw_needed").sum()).sort("month")
        most = float(needed["mw_needed"].max())  # type: ignore[arg-type]
        # The first month the most is needed: the plan's last month ("483.3 MW needed by Jan
        # 2030") put four months after the demo's sites needed it all, by Sep 2029.
        peak = needed.filter(pl.col("mw_needed") >= most - 0.05)["month"][0]
        span = [
            (
                f"in service, {month(first)}",
                fmt_mw(total(power.filter(pl.col("month") == first), "mw_in_service")),
            ),
            (
                f"needed by {month(peak)}"
                + (f" (the most to {month(last)})" if peak != last else "")
                # The MW of the plan's orders past the daily rows, as the finance page's plan
                # capital says: "181.0 MW needed by Sep 2029" read as measured beside it.
                + (", on a band no backtest calibrated" if _uncalibrated(inputs) else ""),
                _mw_needed(
                    inputs,
                    most=most,
                    past=_past_ceilings(_mw_past_ceilings(inputs, peak))
                    + _orders_past_beside(sum(_order_mw_past_ceiling_by_site(inputs).values()))
                    + _past_the_window(power, most=most, window=window),
                ),
            ),
        ]
    else:
        span = [("power by month", "no data")]
    # A site whose planned MW (steps, contract) cover its need, energized late or given back
    # for a while, has none to contract: it goes after a site that has on the same day, and
    # says what is due there.
    # A site whose need passes its ceiling has none to contract either: it goes last, and
    # alone it says a new site is needed.
    contracts = (
        inputs.power_triggers.filter(pl.col("contract_by").is_not_null())
        .with_columns(forward=power_forward(), new_site=power_new_site())
        .sort("contract_by", "new_site", "forward")
    )
    unsited = _unsited_regions(inputs)
    first_forward = contracts.height and contracts["forward"][0]
    first_new_site = contracts.height and contracts["new_site"][0]
    if first_new_site:
        next_contract = f"none: {contracts['site'][0]}'s need passes its ceiling ({NEW_SITE})"
    elif contracts.height:
        day = contracts["contract_by"][0]
        by = by_date(day, inputs.as_of, today=inputs.generated_at.date())
        # Every site due that first day in the first's way, as the terminal's power line names
        # them: the first alone read as the only one.
        keys = ("contract_by", "new_site", "forward")
        tied = contracts.filter(pl.all_horizontal(pl.col(k) == contracts[k][0] for k in keys))
        # Which of them rest on the monthly grain, said of those alone.
        monthly = tied.filter(pl.col("monthly_only").fill_null(False))["site"].to_list()
        grain = (
            ""
            if not monthly
            else f"; {MONTHLY_GRAIN}"
            if tied.height == 1
            else f"; {', '.join(monthly)} at the {MONTHLY_GRAIN}"
        )
        # The action whole, as the reader places it: how many MW at which site, by when. The
        # card read "2024-02-05, 1,035 days ago: late (us-east-c)", its 21.4 MW in the table.
        if first_forward:
            owners = _and([f"{site}'s" for site in tied["site"]])
            what = f"bring {owners} planned power forward (no more MW)"
        else:
            rows = tied.select("site", "mw_to_contract").iter_rows()
            # A row without its MW (stored before they were) says power, not "–".
            what = "contract " + _and(
                [f"{'power' if mw is None else fmt_mw(mw)} at {site}" for site, mw in rows]
            )
        soon = next_report_words(day, as_of=inputs.as_of, next_report=inputs.next_report)
        said = f"{grain[2:]}{soon}" if grain else soon.removeprefix("; ")
        next_contract = f"{what} by {by}" + (f" ({said})" if said else "")
    else:
        next_contract = (
            f"not checked in {', '.join(unsited)} (no site)"
            if unsited
            else _NONE_DUE
            if inputs.plan.site
            else "power not checked (no [[site]])"
        )
    return [
        *span,
        ("power in orders to place", _order_mw_card(inputs, ordering)),
        (
            "power to contract",
            _with_unchecked(next_contract, inputs, none_due=next_contract == _NONE_DUE),
        ),
        *_construction_card(inputs),
        # Declared sites count too before any block stands there (the power table lists them).
        ("sites", fmt_count(len({*power["site"].to_list(), *(s.id for s in inputs.plan.site)}))),
    ]


def _and(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _construction_card(inputs: ReportInputs) -> list[tuple[str, str]]:
    """The first region to start a new site by, or when the first region's site ceilings run
    out where no build time is declared, or that none runs out within the horizon; no card
    for a plan without sites (no ceilings: power is not checked either)."""
    rows = inputs.construction.with_columns(not_verified=construction_only(inputs))
    if rows.is_empty():
        return []
    # No demand measured there: "none: no region's site ceilings run out" read as judged.
    why = {
        r: w
        for r, v in rows.select("region", "not_verified").iter_rows()
        if (w := not_judged_why(v)) is not None
    }
    rows = rows.filter(~pl.col("region").is_in(list(why)))
    unjudged = f"{NOT_JUDGED} in {', '.join(why)} (no demand measured)" if why else ""
    if rows.is_empty():
        return [("start a new site by", unjudged)]
    dated = rows.filter(pl.col("start_by").is_not_null()).sort("start_by", "region")
    undated = rows.filter(
        pl.col("start_by").is_null() & pl.col("exhaustion_date").is_not_null()
    ).sort("exhaustion_date", "region")
    said = []
    if dated.height:
        r = dated.row(0, named=True)
        by = by_date(r["start_by"], inputs.as_of, today=inputs.generated_at.date())
        # Due before the next scheduled report, as the "contract more power by" card says.
        soon = next_report_words(r["start_by"], as_of=inputs.as_of, next_report=inputs.next_report)
        said.append(
            f"{by} ({r['region']}, {r['status']}: ceilings run out {_ran_out(r)}{_set_by(r)}"
            f"{soon})" + _not_verified(r)
        )
    if undated.height:
        r = undated.row(0, named=True)
        said.append(
            f"not dated for {r['region']}: its ceilings run out {_ran_out(r)}{_set_by(r)}, a new "
            "site's build time is not declared" + _not_verified(r)
        )
    if not said:
        held = rows["not_verified"].drop_nulls()
        # Beside regions not judged, "no region's" read as if they had been judged too.
        judged = ", ".join(rows["region"].unique(maintain_order=True).to_list())
        held_up = (
            f"the site ceilings of {judged} (the regions judged) do not run out"
            if why
            else "no region's site ceilings run out"
        )
        said.append(
            f"none: {held_up} within the horizon (to "
            f"{rows['horizon_end'][0]})"
            + (f" {held[0]}" if held.len() else "")
            + held_not_verified(rows)
        )
    # Orders in regions with no site are held against no ceiling: "none: no region's site
    # ceilings run out" spoke for the sited regions alone beside an order "to be sited".
    unsited = unsited_words(unsited_orders(inputs.construction, inputs.placements))
    return [
        (
            "start a new site by",
            "; ".join([*said, *([unjudged] if unjudged else []), *([unsited] if unsited else [])]),
        )
    ]


def _not_verified(row: dict[str, Any]) -> str:
    """' (ceilings run out past DAY ...: not verified)' where the run does not verify a
    region's run-out day (:func:`construction_only`), else ''."""
    return f" {row['not_verified']}" if row.get("not_verified") else ""


def _ran_out(row: dict[str, Any]) -> str:
    """The day a region's ceilings run out, or its month past the daily rows."""
    day = row["exhaustion_date"]
    return f"{month(day)} ({MONTH_GRAIN})" if row["exhaustion_monthly"] else fmt_date(day)


def _set_by(row: dict[str, Any]) -> str:
    """What set the day a region's ceilings run out (construction's ``exhaustion_set_by``):
    the card named a day without saying whether demand passes the ceilings' sum then or a
    block first needed then fits under no one site's ceiling."""
    return {
        "demand": ", when demand passes their sum",
        "placement": ", when it first needs a block no one site's ceiling takes",
        "orders": ", when its orders, whole, pass their sum",
        "in_service": ", already on the as-of day: the blocks in service draw more than their "
        "sum, the plan's own MW, not a forecast",
    }.get(row.get("exhaustion_set_by") or "", "")


def _construction_status(row: dict[str, Any]) -> Cell:
    """A region's construction status; not dated where no build time is declared or no
    ceiling is (no colour is made up)."""
    if (why := not_judged_why(row.get("not_verified"))) is not None:
        # No demand measured there: its stored green holds the plan's own blocks alone.
        return (Badge(NOT_JUDGED), f" ({why})")
    if row["status"] is not None:
        if row.get("not_verified"):
            return (Badge(row["status"]), f" {row['not_verified']}")
        if held := held_unverified(row):
            # A 1-week run read a plain green for sites that take 30 months to build.
            return (Badge(row["status"]), f" ({held})")
        return Badge(row["status"])
    if row["ceilings_mw"] is None:
        return "not dated (no ceiling declared)"
    return "not dated (build time not declared)"


def _construction_table(inputs: ReportInputs) -> Table:
    """Per region with sites: when demand passes its sites' ceilings, and by when a new site
    must be started."""
    today = inputs.generated_at.date()
    rows = [
        [
            r["region"],
            _construction_status(r),
            MISSING
            if r["start_by"] is None
            else by_date(r["start_by"], inputs.as_of, today=today)
            + next_report_words(
                r["start_by"], as_of=inputs.as_of, next_report=inputs.next_report, lead=", "
            ),
            (
                _ran_out(r)
                if r["exhaustion_date"] is not None
                else "not within the horizon"
                if r["ceilings_mw"] is not None
                else MISSING
            ),
            fmt_mw(r["ceilings_mw"]),
            fmt_mw(r["mw_needed_at_exhaustion"]),
            fmt_mw(r["mw_past_ceilings"]) if r["exhaustion_date"] is not None else MISSING,
            "not declared" if r["build_months"] is None else f"{r['build_months']} months",
            (
                fmt_usd(r["cost_usd"])
                if r["cost_usd"] is not None
                else "not priced (no [[new_site]])"
                if r["exhaustion_date"] is not None and r["build_months"] is None
                else MISSING
            ),
            r["note"] or "",
        ]
        for r in inputs.construction.with_columns(not_verified=construction_only(inputs))
        .sort("start_by", "exhaustion_date", "region", nulls_last=True)
        .iter_rows(named=True)
    ]
    headers = [
        "region",
        "status",
        "start a new site by",
        "ceilings run out",
        "site ceilings",
        "MW needed then",
        "MW past ceilings",
        "build time",
        "cost",
        "note",
    ]
    return Table.of(
        headers,
        rows,
        numeric=(4, 5, 6, 8),
        detail=(9,),
        empty="no [[site]] entries in the capacity plan, so no site ceiling is checked",
    )


def _order_mw_card(inputs: ReportInputs, ordering: pl.DataFrame) -> str | Folded:
    """The "power in orders to place" card: one sentence first (:func:`_order_mw_lead`), the
    whole (:func:`_order_mw`) folded under it. It ran to 70 words on the demo, "none due in
    the orders due by 2026-12-06, as the capital to place (finance page) (the MW needed counts
    ...) (+ 103.2 MW for 7 blocks past ...)", its MW and first date nowhere in the lead."""
    whole = _order_mw(inputs, ordering)
    lead = _order_mw_lead(inputs)
    return Folded(lead, whole) if lead else whole


def _order_mw_lead(inputs: ReportInputs) -> str:
    """The MW in orders to place as one sentence: the MW, at how many sites, the first
    order-by ("35.3 MW at 2 sites, the first by 2027-01-28"), or, where none is due yet, the
    plan's next ("none due by 2026-12-06; next: 277.3 MW in orders of the plan at 7 sites, the
    first by 2026-12-13"), as the capital card leads (:func:`capital_lead`); "" where neither
    holds (no placements stored, nothing with MW due)."""
    due = orders_to_place(inputs)
    if due is None:
        return ""
    rows = due.filter(pl.col("mw").fill_null(0.0) > 0)
    first = rows["order_by"].min()
    if rows.height and isinstance(first, date):
        return (
            f"{fmt_mw(total(due, 'mw'))}{_at_sites(rows)}, the first by "
            f"{by_date(first, inputs.as_of)}"
        )
    later = None if due.height else next_orders(inputs, "mw")
    if later is None:
        return ""
    by, rows, first = later
    return (
        f"none due by {fmt_date(by)}; next: {fmt_mw(total(rows, 'mw'))} in orders of the plan"
        f"{_at_sites(rows)}, the first by {fmt_date(first)}"
    )


def _at_sites(orders: pl.DataFrame) -> str:
    """' at 2 sites' of the sites ``orders`` (PLACEMENTS rows) are placed at; '' where none is
    (a plan without [[site]])."""
    n = orders["site"].drop_nulls().n_unique() if "site" in orders.columns else 0
    return "" if n == 0 else f" at {n} site" if n == 1 else f" at {n} sites"


def _order_mw(inputs: ReportInputs, ordering: pl.DataFrame) -> str:
    """The MW of the orders to place: the capital card's (finance page), every order of the
    plan due by the window's last day (:func:`orders_to_place`, the blocks past a ceiling that
    a declared new site dates counted by its order-by, :func:`new_site_due`), and why the MW
    needed beside it is more. ``ordering``: the triggers with blocks to order, read where the
    run stored no placements.

    A 28-day demo read "130.3 MW needed" here beside "0.0 MW power in orders to place", two
    figures of two memberships no card named: the need counts every block in service and
    every order of the plan to its end."""
    due = orders_to_place(inputs)
    by = to_place_by(inputs)
    days = daily_days(inputs)
    unsized = unsized_beside(triggers_due(inputs), unmeasured="MW")
    whose = f" in the orders due by {fmt_date(by)}, as the capital to place (finance page)"
    whose = whose if by is not None else ""
    # The demo's us-west cell past us-west-a's ceiling read "of it past their sites'
    # ceilings" in the MW due by 2027-06-05, while the capital card dates it by its new site,
    # 2027-09-14: not to place yet.
    new_site = partial(
        new_site_beside,
        new_site_parts(inputs),
        by=by,
        column="mw",
        shown=fmt_mw,
        apart="not in the MW above",
    )
    later = new_site(due=False)
    if due is None and by is not None:
        ordering = ordering.filter(pl.col("order_by") <= by)
    under = ordering if due is None else due
    # Every order due unsized: "0.0 MW" read as a measured zero, as "$0" did on the capital card.
    if (
        under.is_empty()
        and not new_site_due(inputs).height
        and (nothing := none_sized(triggers_due(inputs), unmeasured="MW"))
    ):
        return nothing + whose + _mw_due_after(inputs, by=by) + later
    if due is None:
        return (
            fmt_mw(total(ordering, "mw"))
            + whose
            + monthly_only_beside(ordering, column="mw", days=days, shown=fmt_mw)
            + _past_ceilings(_order_mw_past_ceilings(inputs))
            + unsized
        )
    if due.is_empty():
        # Only blocks past the ceilings fall due, dated by their new site, as the capital card
        # says: "0.0 MW" read as nothing to place beside them. With none of those due either
        # (no order-by has come), "none under the site ceilings" read as if some were.
        return (
            ("none under the site ceilings" if new_site_due(inputs).height else "none due")
            + whose
            + new_site(due=True)
            + _mw_due_after(inputs, by=by)
            + later
            + unsized
        )
    share = pl.when(pl.col("blocks") > 0).then(
        pl.col("blocks_beyond_ceiling").fill_null(0) / pl.col("blocks")
    )
    past = float(due.select((pl.col("mw").fill_null(0.0) * share.fill_null(0.0)).sum()).item())
    first = due.filter(pl.col("tranche").fill_null(1) == 1)
    text = (
        fmt_mw(total(due, "mw"))
        + whose
        + monthly_only_first(first, inputs.triggers, days=days, column="mw", shown=fmt_mw)
        + _past_ceilings(past)
        + new_site(due=True)
        + unsized
    )
    return text + _mw_due_after(inputs, by=by) + later


def _mw_due_after(inputs: ReportInputs, *, by: date | None) -> str:
    """' (the MW needed counts ... + X MW in orders due after <by>)', or ''."""
    after = orders_due_after(inputs)
    if after is not None and by is not None and total(after, "mw") > _MW_SHOWN:
        return (
            f" (the MW needed counts every block live or committed and every order of the plan: "
            f"+ {fmt_mw(total(after, 'mw'))} in orders due after {fmt_date(by)})"
        )
    return ""


def _mw_needed(inputs: ReportInputs, *, most: float, past: str) -> str:
    """The MW-needed card's figure: ``most`` (with ``past``, what lies past the ceilings), or,
    where an order is not sized, "not measured": its MW is in no month's need, and "3.1 MW
    needed" beside it read as all of it (ServeGen at 7 days; +3.8 MW at 26 weeks)."""
    n = inputs.triggers.filter(unsized_order()).height
    if not n:
        return fmt_mw(most) + past
    orders, land = ("1 order", "it lands") if n == 1 else (f"{n:,} orders", "they land")
    return (
        f"not measured ({orders} not sized: the forecast ends before {land}; see the notes); "
        f"{fmt_mw(most)}{past} for the blocks in service and the orders sized"
    )


# The contract card where no site has power to contract within the horizon.
_NONE_DUE = "nothing to contract within the horizon"


def _with_unchecked(said: str, inputs: ReportInputs, *, none_due: bool) -> str:
    """The contract card's answer, and what it did not check: the sites of a region with
    orders not sized (their MW not measured), and those of regions without telemetry (no
    order judged). A 45-day fleet read "none within the horizon" beside three unsized orders.
    ``none_due``: ``said`` is that no site has power to contract."""
    sited = set(inputs.power_triggers["region"].to_list())
    unsized = {r: n for r, n in unsized_by_region(inputs.triggers).items() if r in sited}
    unjudged = [r for r in unjudged_regions_of(inputs) if r in sited]
    if not unsized and not unjudged:
        return said
    caveats = []
    if unsized:
        n = sum(unsized.values())
        regions = ", ".join(sorted(unsized))
        caveats.append(f"not checked for {n} order{'' if n == 1 else 's'} not sized ({regions})")
        if none_due:
            said += " for the orders sized"
    if unjudged:
        caveats.append(f"{NOT_JUDGED} in {', '.join(unjudged)} (no demand measured)")
        if set(unjudged) >= sited:
            return "; ".join(caveats)
        if none_due and not unsized:
            said += " in the regions judged"
    return "; ".join([said, *caveats])


def _past_the_window(power: pl.DataFrame, *, most: float, window: date) -> str:
    """' (+ X MW more from <month>, after the last month shown (<window>): not within the
    horizon)' where ``power`` (MW by site and month) needs more than ``most`` in a month after
    ``window``, the charts' last month, as their takeaways say; '' else."""
    later = (
        power.filter(pl.col("month") > window)
        .group_by("month")
        .agg(pl.col("mw_needed").sum())
        .filter(pl.col("mw_needed") > most + _MW_SHOWN)
        .sort("month")
    )
    if later.is_empty():
        return ""
    more = float(later["mw_needed"].max()) - most  # type: ignore[arg-type]
    return (
        f" (+ {fmt_mw(more)} more from {month(later['month'][0])}, after the last month "
        f"shown ({month(window)}): not within the horizon)"
    )


def _past_ceilings(mw: float) -> str:
    """' (1,558.0 MW of it past their sites' ceilings: a new site is needed)', or '': the
    demo's cards read 1,977.7 MW needed and 324.4 MW in orders with no word that most of it
    no contract at its site can bring on."""
    if mw <= _MW_SHOWN:
        return ""
    return f" ({fmt_mw(mw)} of it past their sites' ceilings: {NEW_SITE})"


def _orders_past_beside(mw: float) -> str:
    """' (+ 103.2 MW of orders past their sites' ceilings, not in it: a new site is needed)',
    or '': beside the MW needed, which counts only the MW under each site's ceiling."""
    if mw <= _MW_SHOWN:
        return ""
    return f" (+ {fmt_mw(mw)} of orders past their sites' ceilings, not in it: {NEW_SITE})"


def _mw_past_ceilings(inputs: ReportInputs, month: date) -> float:
    """The MW needed in ``month`` past each declared site's ceiling, summed over sites."""
    ceilings = {s.id: s.ceiling_mw for s in inputs.plan.site if s.ceiling_mw is not None}
    rows = inputs.mw_by_site_month.filter(pl.col("month") == month)
    return sum(
        max(float(mw) - ceilings[site], 0.0)
        for site, mw in zip(rows["site"], rows["mw_needed"], strict=True)
        if site in ceilings and mw is not None
    )


def _order_mw_past_ceiling_by_site(inputs: ReportInputs) -> dict[str, float]:
    """The MW of every order of the plan placed past its site's ceiling, per site: in no
    month's need there (``mw_by_site_month`` counts the MW under the ceiling, as the power
    triggers do)."""
    placed = inputs.placements
    if placed is None or placed.is_empty() or "blocks_beyond_ceiling" not in placed.columns:
        return {}
    beyond = pl.col("blocks_beyond_ceiling").fill_null(0).clip(0, pl.col("blocks"))
    per_block = pl.when(pl.col("blocks") > 0).then(pl.col("mw") / pl.col("blocks"))
    past = (
        placed.filter(pl.col("site").is_not_null())
        .group_by("site")
        .agg((beyond * per_block.fill_null(0.0)).sum().alias("mw"))
    )
    return {str(s): float(mw) for s, mw in past.iter_rows() if mw > 0}


def _order_mw_past_ceilings(inputs: ReportInputs) -> float:
    """The MW of the triggers' orders that lie past their site's ceiling."""
    ordering = with_power(inputs.triggers, inputs.placements).filter(
        pl.col("blocks_to_order").fill_null(0) > 0
    )
    return float(
        (
            ordering["blocks_beyond_ceiling"].fill_null(0)
            * ordering["mw"].fill_null(0.0)
            / ordering["blocks_to_order"]
        ).sum()
    )


def _unsited_regions(inputs: ReportInputs) -> list[str]:
    """Regions with orders to place but no [[site]], in a plan that declares sites elsewhere:
    their power is not checked, which "none within the horizon" would hide."""
    if not inputs.plan.site:
        return []
    sited = {site.region for site in inputs.plan.site}
    ordering = inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)
    return sorted(set(ordering["region"].to_list()) - sited)


def _unsited_note(inputs: ReportInputs) -> str:
    """The sentence under the power table for regions whose orders have no site to draw from."""
    unsited = _unsited_regions(inputs)
    if not unsited:
        return ""
    needs = inputs.triggers.filter(
        pl.col("region").is_in(unsited) & (pl.col("blocks_to_order").fill_null(0) > 0)
    )
    parts = [
        f"{region} ({fmt_mw(total(needs.filter(pl.col('region') == region), 'mw'))} in orders)"
        for region in unsited
    ]
    return (
        f"No site is declared in {', '.join(parts)}: its orders have no MW to draw from and "
        "no power date can be set. Declare the region's sites with their energized and "
        "contracted MW in the capacity plan."
    )


def _construction_unsited(inputs: ReportInputs) -> str:
    """The sentence under the New sites table for the MW of orders in regions with no site
    (:func:`~forecasting.triggers.construction.unsited_orders`), held against no ceiling; ''
    where every order has a site."""
    said = unsited_words(unsited_orders(inputs.construction, inputs.placements))
    return f"Not in the table: {said}." if said else ""


def _step_downs(inputs: ReportInputs) -> list[str]:
    """One sentence per energized step that falls from the one before: power given back,
    which read only as a chart line that drops, and nowhere where the blocks still fit."""
    said = []
    for site in inputs.plan.site:
        for before, after in site.step_downs():
            drawn = inputs.plan.mw_drawn(site.id, after.on)
            kept = site.energized_mw_on(after.on)
            text = (
                f"{site.id} steps down from {fmt_mw(before.mw)} to {fmt_mw(after.mw)} "
                f"energized on {fmt_date(after.on)}: power given back (a decommission, a lease "
                f"ending); the plan's blocks there draw {fmt_mw(drawn)} that day"
            )
            if drawn > kept + 1e-9:
                text += f", {fmt_mw(drawn - kept)} more than it keeps: see its power trigger"
            said.append(text + ".")
    return said


# A later order's status cell: its order-by date can be near (a 90-week cell for the year
# after a trigger's racks), so the badge stays beside the word.
_LATER = "later order "


def _later_status(row: dict[str, Any]) -> Cell:
    """A later order's status cell, with what its own shortfall's date allows where the row
    carries it (``status_only``: report.inputs.orders_status_only)."""
    cell = (_LATER, Badge(row["status"]))
    only = row.get("status_only")
    return Stacked(cell, only) if only else cell


def _placed(
    placement: dict[str, Any] | None, arrives: date | None, *, new_site: str | None = None
) -> tuple[str, str]:
    """An order's site and arrival as the finance page places it: the site whose MW it
    draws, and an arrival that says when that MW is not energized yet (the block stands
    idle until the site's power trigger is met); ``new_site``: when its blocks past every
    ceiling arrive with its region's declared new site."""
    if placement is None or placement["site"] is None:
        return "to be sited", fmt_date(arrives)
    if placement["powered"]:
        return placement["site"], fmt_date(arrives)
    return placement["site"], in_service_text(
        placement | {"arrives": arrives}, later=True, new_site=new_site
    )


def _site_shares(placements: pl.DataFrame) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Each trigger's own order (tranche 1; null in runs stored before later orders were) by
    (region, pool): one entry per site it draws MW from and order-by date, its own site first,
    with that part in the trigger's columns (``blocks_to_order``, ``mw``, ``powered``,
    ``blocks_waiting``, ``blocks_beyond_ceiling``, ``runs_from``, ``order_by``, ``arrives``,
    ``status``) and ``powered_from`` cleared where the part runs on arrival. The blocks of a
    site's part that wait for power are dated to land with it (``triggers.placement``): one
    row read the demo's 68 such racks in service with the 14 that run, on the 14's dates."""
    first = placements.filter(pl.col("tranche").fill_null(1) == 1)
    parts = first.group_by(
        "region", "pool", "site", "order_by", "arrives", maintain_order=True
    ).agg(
        pl.col("blocks").sum().alias("blocks_to_order"),
        pl.col("mw").sum(),
        pl.col("powered").all(),
        pl.col("blocks").filter(pl.col("powered").not_()).sum().alias("blocks_waiting"),
        pl.when(pl.col("blocks_beyond_ceiling").is_null().all())
        .then(None)
        .otherwise(pl.col("blocks_beyond_ceiling").sum())
        .alias("blocks_beyond_ceiling"),
        pl.col("runs_from").max(),
        pl.col("status").first(),
    )
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for part in parts.iter_rows(named=True):
        region, pool = part.pop("region"), part.pop("pool")
        if part["powered"]:
            part["powered_from"] = None
        out.setdefault((region, pool), []).append(part)
    return out


def _blocks_table(inputs: ReportInputs) -> Table:
    """Committed and retiring blocks from the plan, then blocks still to order."""
    rows: list[tuple[date, list[Cell]]] = []
    end = daily_end(inputs)
    for b in inputs.plan.block:
        if b.status is BlockStatus.LIVE:
            continue
        when = b.in_service or b.retire or inputs.as_of
        rows.append(
            (
                when,
                [
                    b.id,
                    b.kind.value,
                    b.region,
                    b.site,
                    fmt_gpus(b.gpus),
                    fmt_mw(b.mw),
                    b.status.value,
                    fmt_date(b.in_service),
                    fmt_date(b.retire),
                    MISSING,
                ],
            )
        )
    sizes = {c.name: c.gpus for c in inputs.plan.candidate}
    kinds = {c.name: c.kind.value for c in inputs.plan.candidate}
    shares = _site_shares(inputs.placements)
    # Blocks past every ceiling arrive with the region's declared new site, as dated there.
    arrival = partial(new_site_arrival, inputs.construction, inputs.plan, as_of=inputs.as_of)
    by = partial(
        new_site_order_by,
        inputs.construction,
        inputs.plan,
        as_of=inputs.as_of,
        next_report=inputs.next_report,
    )
    # An order-by before the next scheduled report says so, as every surface does.
    soon = partial(next_report_words, as_of=inputs.as_of, next_report=inputs.next_report, lead=", ")
    # An order not sized is due all the same: listed, its GPUs and MW not measured.
    # Its arrival as the finance page gives it: one placement row stood for the whole order
    # (the demo's 89 racks read "no power yet", the 21 that run on arrival too).
    ordering = with_power(inputs.triggers, inputs.placements).filter(to_order())
    for trigger in ordering.iter_rows(named=True):
        # An order split between sites is a row per site with its part: the demo's 89 racks
        # read at us-east-a where 7 of them go to us-east-b; and its part that waits for its
        # site's power a row on its own dates.
        parts = shares.get((trigger["region"], trigger["pool"]), [])
        split = len(parts) > 1 and not is_unsized(trigger)
        how = " and ".join(
            said
            for said, parted in (
                ("between sites", len({p["site"] for p in parts}) > 1),
                ("by power date", len({p["order_by"] for p in parts}) > 1),
            )
            if parted
        )
        for part in parts if split else [None]:
            r = trigger if part is None else trigger | part
            per_block = sizes.get(r["candidate"] or "")
            gpus = per_block * r["blocks_to_order"] if per_block and r["blocks_to_order"] else None
            site, _ = _placed(part or (parts[0] if parts else None), r["arrives"])
            unsized = is_unsized(r)
            block = blocks_text(r)
            if split:
                block += f" (of {fmt_count(trigger['blocks_to_order'])}, split {how})"
            rows.append(
                (
                    r["arrives"] or inputs.as_of,
                    [
                        block,
                        r["kind"] or MISSING,
                        r["region"],
                        site,
                        _NOT_SIZED if unsized else fmt_gpus(gpus),
                        _NOT_SIZED if unsized else fmt_mw(r["mw"]),
                        ("to order ", Badge(r["status"])),
                        in_service_text(r, new_site=arrival(r)),
                        MISSING,
                        (
                            by(r)
                            # Past every ceiling: dated only by the region's new site.
                            if r["order_by"] is None
                            and (r.get("blocks_beyond_ceiling") or 0)
                            >= (r.get("blocks") or r["blocks_to_order"] or 0)
                            > 0
                            else None
                        )
                        or monthly_date(r["order_by"], r, daily_end=end)
                        + soon(r["order_by"])
                        + _past_part(r, by),
                    ],
                )
            )
    later = orders_monthly_only(
        later_orders(inputs.placements), inputs.triggers, daily_end=end, as_of=inputs.as_of
    )
    # How far each one's own shortfall is verified, as the finance page's later orders say.
    later = later.with_columns(orders_status_only(later, inputs))
    for p in later.iter_rows(named=True):
        per_block = sizes.get(p["candidate"])
        site, arrives = _placed(p, p["arrives"], new_site=arrival(p))
        # Past every ceiling: no order-by, no arrival (in_service_text says why), no horizon.
        beyond = (p["blocks_beyond_ceiling"] or 0) >= p["blocks"] > 0 and p["order_by"] is None
        if not beyond:
            arrives += past_the_horizon(p, end=plan_last_day(inputs))
        rows.append(
            (
                p["arrives"],
                [
                    f"{fmt_count(p['blocks'])} × {p['candidate']}",
                    kinds.get(p["candidate"], MISSING),
                    p["region"],
                    site,
                    fmt_gpus(per_block * p["blocks"] if per_block else None),
                    fmt_mw(p["mw"]),
                    _later_status(p),
                    arrives,
                    MISSING,
                    (by(p) or f"none: {NO_ORDER_BY}")
                    if beyond
                    else monthly_date(p["order_by"], p, daily_end=end)
                    + soon(p["order_by"])
                    + _past_part(p, by),
                ],
            )
        )
    rows.sort(key=lambda item: item[0])
    headers = [
        "block",
        "kind",
        "region",
        "site",
        "GPUs",
        "power",
        "status",
        "in service / arrives",
        "retires",
        "order by",
    ]
    return Table.of(
        headers,
        [r for _, r in rows],
        numeric=(4, 5),
        empty="no committed blocks and nothing to order",
    )


# The GPUs and MW of an order the forecast ends before: not measured.
_NOT_SIZED = "not sized"
# What a region's declared new site says of an order's blocks past every ceiling (None: none).
Dated = Callable[[dict[str, Any]], str | None]


def _past_part(row: dict[str, Any], by: Dated) -> str:
    """Beside the order-by date of an order partly past its site's ceiling, that it is the
    blocks' under it and the others' date by the region's new site, as the finance page says
    it (one date read as every block's); '' for an order wholly on one side."""
    blocks = row.get("blocks") or row.get("blocks_to_order") or 0
    beyond = min(row.get("blocks_beyond_ceiling") or 0, blocks)
    if not beyond or beyond >= blocks or row["order_by"] is None:
        return ""
    dated = by(row)
    return f" for the {fmt_count(blocks - beyond)} under the ceiling; " + (
        f"the {fmt_count(beyond)} past it: {dated}"
        if dated
        else f"none for the {fmt_count(beyond)} past it: {NO_ORDER_BY}"
    )


def _all_past(row: dict[str, Any]) -> bool:
    """Whether every block of ``row`` (a trigger's order or a later one) lies past its site's
    ceiling: it has no order-by date of its own."""
    blocks = row.get("blocks") or row.get("blocks_to_order") or 0
    return row["order_by"] is None and (row.get("blocks_beyond_ceiling") or 0) >= blocks > 0


def _power_orders_table(
    triggers: pl.DataFrame,
    placements: pl.DataFrame,
    *,
    daily_end: date | None = None,
    end: date | None = None,
    new_site: tuple[Dated, Dated] | None = None,
    as_of: date | None = None,
    next_report: date | None = None,
    inputs: ReportInputs | None = None,
) -> Table:
    """The triggers' orders and the plan's later ones, the heaviest first; the orders not
    sized last, their MW not measured ("No data: no blocks to order" read beside three). A
    later order whose blocks run only after ``end`` (the plan's last day) says so.
    ``new_site``: the order-by and arrival of blocks past every ceiling by their region's
    declared new site (:func:`~forecasting.triggers.new_site_order_by`, ``new_site_arrival``);
    the order-by column read "–" beside the blocks table's date."""
    by, arrival = new_site or (lambda _: None, lambda _: None)
    due = triggers.filter(to_order()).select(
        "mw", "region", "pool", "blocks_to_order", "candidate", "order_by", "arrives",
        "powered", "powered_from", "status", pl.lit(False).alias("later"), "note",
        "site", "blocks_beyond_ceiling", "runs_from", "monthly_only", "exhaustion_date",
        "blocks_waiting", "waiting_order_by", "waiting_order_by_last",
        # A monthly-only date before it says how long before (common.monthly_date).
        pl.col("as_of") if "as_of" in triggers.columns else pl.lit(None, pl.Date).alias("as_of"),
    )  # fmt: skip
    # A later order sized on a month's peak day says its grain, as orders.csv does.
    later = orders_monthly_only(
        later_orders(placements), triggers, daily_end=daily_end, as_of=as_of
    ).select(
        "mw", "region", "pool", pl.col("blocks").alias("blocks_to_order"), "candidate",
        "order_by", "arrives", "powered", pl.lit(None, pl.Date).alias("powered_from"),
        "status", pl.lit(True).alias("later"), pl.lit(None, pl.String).alias("note"),
        "site", "blocks_beyond_ceiling", "runs_from", "monthly_only",
        "exhaustion_date", pl.lit(None, pl.Int64).alias("blocks_waiting"),
        pl.lit(None, pl.Date).alias("waiting_order_by"),
        pl.lit(None, pl.Date).alias("waiting_order_by_last"), pl.lit(None, pl.Date).alias("as_of"),
    )  # fmt: skip
    # With ``inputs``, a later order says how far its own shortfall is verified, as on finance.
    only = [None] * later.height if inputs is None else orders_status_only(later, inputs)
    later = later.with_columns(pl.Series("status_only", only, dtype=pl.String))
    due = due.with_columns(pl.lit(None, pl.String).alias("status_only"))
    due = pl.concat([due, later], how="vertical_relaxed")
    rows = [
        [
            _NOT_SIZED if not r["later"] and is_unsized(r) else fmt_mw(r["mw"]),
            r["region"],
            r["pool"],
            blocks_text(r),
            # Its part waiting for power is due on its own days (text.waiting_order_by).
            (by(r) if _all_past(r) else None)
            or monthly_date(r["order_by"], r, daily_end=daily_end)
            + next_report_words(r["order_by"], as_of=as_of, next_report=next_report, lead=", ")
            + waiting_order_by(r, as_of=as_of, next_report=next_report)
            + _past_part(r, by),
            in_service_text(r, later=r["later"], new_site=arrival(r))
            + (past_the_horizon(r, end=end) if r["later"] else ""),
            _later_status(r) if r["later"] else Badge(r["status"]),
        ]
        for r in due.sort("mw", descending=True, nulls_last=True).iter_rows(named=True)
    ]
    return Table.of(
        ["power", "region", "pool", "blocks", "order by", "in service", "status"],
        rows,
        numeric=(0,),
        empty="no blocks to order",
    )


def _to_contract(row: dict[str, Any]) -> str:
    """The MW to contract within the site's ceiling (what the cost prices), and what the
    shortfall needs beyond it: the column read 26.5 MW beside a note to contract 96.11; not
    measured at a site not checked for its region's orders not sized."""
    within = fmt_mw(row["mw_to_contract"])
    if n := row.get("unsized_orders") or 0:
        # A site not checked (:func:`_power_status`): "0.0 MW" read as measured where the
        # 26-week run of the same ServeGen fleet contracts 2.9 MW.
        orders = "1 order" if n == 1 else f"{n:,} orders"
        return (
            f"not measured ({orders} not sized in {row['region']}); {within} for the orders sized"
        )
    beyond = row.get("mw_beyond_ceiling") or 0.0
    return f"{within} (+ {fmt_mw(beyond)} beyond the ceiling)" if beyond > 0 else within


def _cost(row: dict[str, Any], *, priced: Collection[str] = ()) -> str:
    """The cost of the MW to contract, which prices the MW within the ceiling only: eu-west-a
    read $803.0M beside "73.0 MW (+ 1,483.2 MW beyond the ceiling)", as if for both. The MW
    beyond it are a new site's where the region is in ``priced`` (its [[new_site]] prices
    them in the New sites table, which read the cost beside "not priced" here)."""
    beyond = row.get("mw_beyond_ceiling") or 0.0
    if row["region"] in priced:
        unpriced = f"the {fmt_mw(beyond)} beyond the ceiling: {PRICED_BY_NEW_SITE}"
        if not row["mw_to_contract"]:
            return f"none to contract: {unpriced}" if beyond > 0 else MISSING
    else:
        unpriced = f"the {fmt_mw(beyond)} beyond the ceiling: not priced"
    if not row["mw_to_contract"]:
        return f"not priced: {fmt_mw(beyond)} beyond the ceiling" if beyond > 0 else MISSING
    # Power priced at a site of cost_per_mw_usd 0 reads $0, as if free: the what-if says so.
    cost = (
        fmt_usd(row["cost_usd"])
        if (row["cost_usd"] or 0.0) > 0
        else f"not priced: {row['site']}'s cost_per_mw_usd is 0 in the plan"
    )
    return f"{cost} for {fmt_mw(row['mw_to_contract'])} ({unpriced})" if beyond > 0 else cost


def _contracted(site: Site | None) -> str:
    """A site's MW contracted with the utility and the day it is energized: the MW to contract
    is net of it, and it was on no column (us-east-a's 10.5 MW from 2028-05-26)."""
    if site is None or not site.contracted_mw:
        return MISSING
    return f"{fmt_mw(site.contracted_mw)} from {fmt_date(site.contracted_energized)}"


# Said where a site's need passes its ceiling and nothing is left to contract there.
NOTHING_TO_CONTRACT = f"nothing left to contract (ceiling reached): {NEW_SITE}"


def _contract_by(row: dict[str, Any], *, as_of: date | None, next_report: date | None) -> str:
    """The contract-by date of a site with MW to contract, and where it falls before the next
    scheduled report, that it does (:func:`next_report_words`: the orders' rule); none where
    its ceiling is reached and its need passes it: a site with 0 MW left read "contract power
    by 2025-02-01", a date to act on that no contract meets."""
    beyond = row.get("mw_beyond_ceiling") or 0.0
    if beyond > 0 and not row["mw_to_contract"]:
        return NOTHING_TO_CONTRACT
    return monthly_date(row["contract_by"], row) + next_report_words(
        row["contract_by"], as_of=as_of, next_report=next_report, lead=", "
    )


def _power_status(row: dict[str, Any]) -> Cell:
    """A site's power status, and why a green is not plainly one (:func:`power_view`): its
    region has no telemetry (not judged), or orders not sized whose MW it was not checked for;
    and a red or amber's "(runs short past DAY ...: not verified)" (``shortfall_only``)."""
    if row.get("not_judged"):
        return (Badge(NOT_JUDGED), f" ({row.get('not_judged_why') or 'no telemetry'})")
    n = row.get("unsized_orders") or 0
    if n:
        # Not its stored green: that counted the orders sized only (ServeGen at 7 days read
        # sg-a green beside an order whose 26-week size, +3.8 MW, turns it red).
        orders = "order" if n == 1 else "orders"
        return (Badge(NOT_CHECKED), f" for {n} {orders} not sized in {row['region']}")
    if row.get("shortfall_only"):
        # Short on orders alone past the verified days: its date is a forecast's.
        return (Badge(row["status"]), f" {row['shortfall_only']}")
    if row.get("green_to"):
        # Past the forecast's end, power needed could no longer be contracted in time.
        return (
            Badge(row["status"]),
            f" to {fmt_date(row['green_to'])} only: {NOT_JUDGED} beyond, {POWER_PAST_CONTRACTING}",
        )
    return Badge(row["status"])


def _power_contracts_table(
    power: pl.DataFrame,
    sites: Sequence[Site] = (),
    *,
    priced: Collection[str] = (),
    as_of: date | None = None,
    next_report: date | None = None,
) -> Table:
    """Per declared site: when its MW need passes what is energized, what is contracted, and
    the contract date; ``priced``: the regions whose [[new_site]] prices the MW past their
    ceilings."""
    by_id = {s.id: s for s in sites}
    rows = [
        [
            r["site"],
            r["region"],
            _power_status(r),
            _contract_by(r, as_of=as_of, next_report=next_report),
            fmt_date(r["exhaustion_date"]),
            fmt_mw(r["mw_needed_at_exhaustion"]),
            fmt_mw(r["energized_mw_at_exhaustion"]),
            _contracted(by_id.get(r["site"])),
            _to_contract(r),
            f"{r['power_lead_months']} months",
            _cost(r, priced=priced),
            r["note"] or "",
        ]
        for r in power.sort("contract_by", "site", nulls_last=True).iter_rows(named=True)
    ]
    headers = [
        "site",
        "region",
        "status",
        "contract power by",
        # Short: the intro says these are read on the day power runs short, and longer
        # headers that never wrap pushed the cost column off the page.
        "short from",
        "MW needed",
        "MW energized",
        "MW contracted",
        # Net of the contracted MW, to the plan's peak: the note says how much by when.
        "MW to contract",
        "lead time",
        "cost",
        "note",
    ]
    return Table.of(
        headers,
        rows,
        numeric=(5, 6, 8, 10),
        detail=(11,),
        empty="no [[site]] entries in the capacity plan, so no power is checked",
    )


def _unserved_listed(inputs: ReportInputs) -> str:
    """The sentence for the blocks that serve nobody (dedicated to a customer with no
    telemetry), where the blocks table lists one of them (it lists no live block); '' else."""
    unserved = unserved_blocks_of(inputs)
    if all(b.status is BlockStatus.LIVE for b in unserved):
        return ""
    return unserved_text(unserved, as_of=inputs.as_of)


def _site_region(power: pl.DataFrame, site: str) -> str | None:
    """The region of ``site`` in the MW-by-month rows (None where it has none)."""
    regions = power.filter(pl.col("site") == site)["region"]
    return str(regions[0]) if regions.len() else None


def facilities_page(inputs: ReportInputs) -> str:
    """Megawatts per site by month, committed blocks and arrivals, power-heavy orders."""
    page = Page()
    power = inputs.mw_by_site_month
    last = facilities_last_month(inputs)
    unsized = unsized_by_region(inputs.triggers)
    sites = (
        power.group_by("site")
        .agg(pl.col("mw_needed").max())
        .sort("mw_needed", descending=True)["site"]
        .to_list()
    )
    past = _order_mw_past_ceiling_by_site(inputs)
    # Each site's first short day, as the power table dates it: the chart's caption names it.
    short_from = dict(inputs.power_triggers.select("site", "exhaustion_date").iter_rows())
    charts = [
        site_power_chart(
            power,
            site=s,
            key=f"site-{i}",
            supply=inputs.site_supply,
            last_month=last,
            unsized=unsized.get(_site_region(power, s) or "", 0),
            past_ceiling_mw=past.get(s, 0.0),
            short_from=short_from.get(s),
        )
        for i, s in enumerate(sites)
    ]
    return render(
        "facilities.html",
        page=page,
        **shell(inputs, file="facilities.html", title="Facilities: power, blocks and dates"),
        cards=_cards(inputs),
        site_charts=page.figures(charts),
        blocks=_blocks_table(inputs),
        unserved=_unserved_listed(inputs),
        power_orders=_power_orders_table(
            with_power(inputs.triggers, inputs.placements),
            inputs.placements,
            daily_end=daily_end(inputs),
            end=plan_last_day(inputs),
            new_site=(
                partial(
                    new_site_order_by,
                    inputs.construction,
                    inputs.plan,
                    as_of=inputs.as_of,
                    next_report=inputs.next_report,
                ),
                partial(new_site_arrival, inputs.construction, inputs.plan, as_of=inputs.as_of),
            ),
            as_of=inputs.as_of,
            next_report=inputs.next_report,
            inputs=inputs,
        ),
        power_contracts=_power_contracts_table(
            # Each note's unserved span past the verified day marked, as the status cells.
            power_notes_marked(inputs, power_view(inputs)),
            inputs.plan.site,
            priced=new_site_priced(inputs.construction),
            as_of=inputs.as_of,
            next_report=inputs.next_report,
        ),
        construction=_construction_table(inputs),
        construction_unsited=_construction_unsited(inputs),
        unsited=_unsited_note(inputs),
        step_downs=_step_downs(inputs),
        changes=changes_view(inputs),
    )
