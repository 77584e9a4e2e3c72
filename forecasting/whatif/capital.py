"""The deal's capital in words: its blocks, power and pulled orders, and what of the extra capex is
not measured."""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import polars as pl

from forecasting.capacity import CapacityPlan
from forecasting.contracts import Contract
from forecasting.text import CAPEX_NOT_SIZED, CapexBound, days_count, usd
from forecasting.triggers.common import NEW_SITE, MonthsNotKnown, MonthsRefused, reach_to_size
from forecasting.whatif.orders import USD_TOL, deal_pools

__all__ = [
    "deal_blocks_text",
    "deal_power_text",
    "extra_mw_text",
    "past_ceiling_text",
    "pulled_text",
]


class _NotSized(NamedTuple):
    """What :func:`not_sized_note` finds: the note, the bound the extra capex is (None and
    '' where every order is sized), and the "region/pool" keys of the pools whose order is not
    sized, with the deal and without it."""

    note: str = ""
    bound: CapexBound | None = None
    with_: tuple[str, ...] = ()
    without: tuple[str, ...] = ()


# Why the extra capex is each bound, after the bound's own words in the note.
_BOUND_WHY: dict[CapexBound, str] = {
    CapexBound.LOWER: "an order with the deal is not sized, so the capital it adds is at least "
    "this",
    CapexBound.UPPER: "the plan's own order without the deal is not sized, so the capital the "
    "deal adds is at most this",
    CapexBound.NEITHER: "orders with and without the deal are not sized",
}


def not_sized_note(
    without: pl.DataFrame,
    with_: pl.DataFrame,
    deal: Contract,
    *,
    as_of: date,
    months_refused: MonthsRefused | MonthsNotKnown | None = None,
) -> _NotSized:
    """What the extra capex is where a trigger of the deal's pools (``without``, ``with_``:
    TRIGGERS rows) orders a block the forecast ends before (``triggers.rows.NOT_SIZED``: no
    size or capex): the note, the bound, and the "region/pool" keys of those pools with the
    deal and without it (all empty when every order is sized).

    Such an order counts $0 in its side's capital, so "plan with the deal minus plan without"
    read a deal whose only order is not sized as "$0 extra capital: signing adds no order",
    with nothing saying the order was never sized. Unsized with the deal only, the figure is
    a lower bound; without it only, an upper bound; on both sides, neither.
    ``months_refused``: the run's forecast refused monthly rows as too young
    (``triggers.common.reach_to_size`` then says what would give them), or whether it did is
    not known (a run stored before that was recorded).
    """

    def unsized(triggers: pl.DataFrame) -> pl.DataFrame:
        return deal_pools(triggers, deal).filter(
            pl.col("blocks_to_order").is_null() & pl.col("candidate").is_not_null()
        )

    with_rows, without_rows = unsized(with_), unsized(without)
    if with_rows.is_empty() and without_rows.is_empty():
        return _NotSized()
    bound = (
        CapexBound.NEITHER
        if with_rows.height and without_rows.height
        else CapexBound.LOWER
        if with_rows.height
        else CapexBound.UPPER
    )
    parts = [
        f"{r['region']}/{r['pool']} {side} ({r['candidate']}, landing {r['arrives']}: "
        f"{reach_to_size(r['arrives'], as_of=as_of, months_refused=months_refused)})"
        for side, rows in (("with the deal", with_rows), ("without it", without_rows))
        for r in rows.iter_rows(named=True)
    ]

    def keys(rows: pl.DataFrame) -> tuple[str, ...]:
        return tuple(f"{r}/{p}" for r, p in rows.select("region", "pool").iter_rows())

    return _NotSized(
        f"{CAPEX_NOT_SIZED}: {bound}: {_BOUND_WHY[bound]}; not sized (the forecast ends before "
        "the order lands): " + "; ".join(parts),
        bound,
        keys(with_rows),
        keys(without_rows),
    )


def pulled_text(pulled: pl.DataFrame, *, daily_end: date | None = None) -> str:
    """The plan's orders the deal needs sooner, as the extra capex's basis reads them ('' where
    none): ``orders of the plan this deal needs sooner (1 order, $591.4M): eu-west all 70 x
    rack-h200-256: in
    service 2027-09-01 instead of 2027-09-03, ordered by 2027-06-23 instead of 2027-06-25 (2
    days sooner)``. Past ``daily_end`` (the forecast's last daily row) the day needed is a
    monthly row's: its month's peak, on no known day, counted from the 1st, so the month is
    said, not a day (the demo's "in service 2028-09-01" read as a measured date)."""
    if pulled.is_empty():
        return ""
    listed = []
    for r in pulled.iter_rows(named=True):
        needed, by, was = r["needed"], r["order_by_needed"], r["order_by"]
        monthly = daily_end is not None and needed > daily_end
        when = (
            f"for {needed:%B %Y} (a monthly row: its peak, on no known day, counted from the 1st)"
            if monthly
            else str(needed)
        )
        text = f"{r['region']} {r['pool']} {r['blocks']} x {r['candidate']}: in service {when} "
        text += f"instead of {r['in_service']}"
        if by is not None and was is not None:
            text += f", ordered by {by} instead of {was}"
            text += " to land by the 1st" if monthly else f" ({days_count((was - by).days)} sooner)"
        listed.append(text)
    capex = usd(float(pulled["capex_usd"].sum()))
    # Labelled as the deal's need: beside the triggers' re-run's "sooner" (the sooner note),
    # "it needs 2 of the plan's orders ($960.0M) sooner" and "it moves $566.0M of the plan's
    # orders sooner" read as two figures for one thing.
    count = f"{pulled.height} order{'' if pulled.height == 1 else 's'}"
    return f"orders of the plan this deal needs sooner ({count}, {capex}): " + "; ".join(listed)


def deal_blocks_text(deal_blocks: pl.DataFrame) -> str:
    """The deal's own blocks as a note reads them: ``2 x rack-h100-256 for us-west all``, and
    ``(1 of them past the ceilings of us-east's sites: not costed, a new site is needed)``
    where some fit under no ceiling."""
    rows = deal_blocks.filter(pl.col("blocks") > 0)
    listed = [
        f"{r['blocks']} x {r['candidate']} for {r['region']} {r['pool']}"
        for r in rows.iter_rows(named=True)
    ]
    text = ", ".join(listed) or "no block"
    if past := past_ceiling_text(deal_blocks):
        text += f" ({past})"
    return text


def past_ceiling_text(deal_blocks: pl.DataFrame) -> str:
    """The deal's own blocks that fit under no ceiling of its region's sites, their capex and
    the new site they need ('' where none): ``3 x rack-h100-256 ($25.3M of blocks) past the
    ceilings of us-east's sites: a new site is needed, which capacity.toml does not price; its
    1.2 MW priced at $11.0M per MW (every us-east site's cost per MW), an assumption: $12.7M;
    when a new site could power them is not in the plan``, or "(us-east-a's, the dearest of
    us-east's sites)" where they differ. Never a smaller total: the
    blocks' capex and the new site's priced MW are in the extra capex (at least). It read "not
    costed" with the new site's MW at $0 where capacity.toml prices every site's MW."""
    rows = deal_blocks.filter(pl.col("blocks_beyond_ceiling").fill_null(0) > 0)
    if rows.is_empty():
        return ""
    parts = ", ".join(
        f"{r['blocks_beyond_ceiling']} x {r['candidate']}" for r in rows.iter_rows(named=True)
    )
    capex = float(
        rows.select(pl.col("capex_usd") * pl.col("blocks_beyond_ceiling") / pl.col("blocks"))
        .sum()
        .item()
    )
    region = rows["region"][0]
    text = (
        f"{parts} ({usd(capex)} of blocks) past the ceilings of {region}'s sites: {NEW_SITE}, "
        "which capacity.toml does not price"
    )
    mw = float(rows["new_site_mw"].fill_null(0.0).sum())
    priced = rows.filter(pl.col("cost_basis").is_not_null())
    if priced.is_empty():
        return f"{text}; not costed: no site of {region} prices a MW"
    first = priced.row(0, named=True)
    if first["new_site_from"] is not None:
        # Declared in capacity.toml: its price is the plan's, and so is when it could come.
        return (
            f"{parts} ({usd(capex)} of blocks) past the ceilings of {region}'s sites: "
            f"{NEW_SITE}; its {mw:,.1f} MW priced at {usd(first['cost_per_mw_usd'])} per MW "
            f"({first['cost_basis']}; declared, not an assumption): "
            f"{usd(float(priced['new_site_usd'].sum()))}; a new site started today could power "
            f"them from {first['new_site_from']}"
        )
    return (
        f"{text}; its {mw:,.1f} MW priced at {usd(first['cost_per_mw_usd'])} per MW "
        f"({first['cost_basis']}), an assumption: {usd(float(priced['new_site_usd'].sum()))}; "
        "when a new site could power them is not in the plan"
    )


def deal_power_text(power: pl.DataFrame, *, daily_end: date | None = None) -> str:
    """The power the deal's blocks need under the site ceilings beyond the plan's, as the extra
    capex's basis reads it ('' where none): ``the power they need beyond what the plan secures
    or contracts ($21.1M): 1.9 MW at us-west-a ($11.0M per MW), short of it from 2027-03-01,
    contract by 2025-02-01 (its 24 months' power lead time and the triggers' buffer before):
    passed, contracted today it is energized 2029-01-02 at the earliest``. A site whose cost per
    MW is 0 is said not priced, its MW out of the figure. Past ``daily_end`` a day needed is a
    monthly row's, said as its month."""
    if power.is_empty():
        return ""
    parts = []
    for r in power.iter_rows(named=True):
        needed = r["needed"]
        when = (
            f"{needed:%B %Y} (a monthly row)"
            if daily_end is not None and needed > daily_end
            else str(needed)
        )
        price = (
            f"{usd(r['cost_per_mw_usd'])} per MW"
            if r["usd"] is not None
            else "not priced: its cost_per_mw_usd is 0, so not in the figure"
        )
        text = (
            f"{r['mw']:,.1f} MW at {r['site']} ({price}), short of it from {when}, contract by "
            f"{r['contract_by']} (its {r['power_lead_months']} months' power lead time and the "
            "triggers' buffer before)"
        )
        if r["energized_from"] is not None:
            text += (
                f": passed, contracted today it is energized {r['energized_from']} at the earliest"
            )
        parts.append(text)
    priced = float(power["usd"].fill_null(0.0).sum())
    return (
        f"the power they need beyond what the plan secures or contracts ({usd(priced)}): "
        + "; ".join(parts)
    )


def extra_mw_of(deal_blocks: pl.DataFrame) -> float:
    """The MW of the deal's own blocks: its extra MW (module docstring, "Capital")."""
    return float(deal_blocks["mw"].sum())


def extra_mw_text(mw: float, *, bound: CapexBound | None) -> str:
    """A deal's extra MW as the CLI's headline reads it: ``3.8 MW``, or ``MW not measured``
    where an order of its pools is not sized (the MW rest on the same orders as the capex:
    "0.0 MW" stood beside "extra capex not sized")."""
    measured = bound is None or bound is CapexBound.NEW_SITE
    return f"{mw:,.1f} MW" if measured else "MW not measured"


def blocks_unmeasured(
    plan: CapacityPlan, deal: Contract, orders: pl.DataFrame, *, as_of: date, horizon_end: date
) -> str:
    """Why the blocks the deal's own GPUs need are not measured ('' where they are): the
    forecast ends before its pool's candidate can land if ordered today, so
    :func:`blocks_for_deal` has no day to count them on (a 14-day forecast read "0.0 MW (its own
    GPUs need no block of their own)" beside an extra capex not sized)."""
    kinds = {c.name: c for c in plan.candidate}
    parts = []
    for r in deal_pools(orders, deal).iter_rows(named=True):
        kind = kinds.get(r["candidate"] or "")
        if kind is None:
            continue
        lands = as_of + timedelta(weeks=kind.lead_time_weeks)
        if lands > horizon_end:
            parts.append(f"{kind.name} ordered today for {r['region']} {r['pool']} ({lands})")
    if not parts:
        return ""
    return (
        f"the blocks its own GPUs need are not measured: the forecast ends {horizon_end}, "
        f"before {'; '.join(parts)} lands"
    )


def capex_basis_note(
    deal_blocks: pl.DataFrame,
    pulled: pl.DataFrame,
    *,
    daily_end: date | None,
    power: pl.DataFrame | None = None,
    power_unchecked: str = "",
) -> str:
    """What the deal's extra capex is, in a few words (:attr:`WhatIf.capex_basis`), with the
    plan's orders it needs sooner than the plan lands them (:func:`_pulled_orders`): $0 there
    is no block beyond the plan's, never free; and the power its blocks need beyond the plan's
    (:func:`deal_power_text`), with the blocks' and the power's capital apart, or why that
    power is not priced (``power_unchecked``)."""
    blocks = deal_blocks_text(deal_blocks)
    sooner = pulled_text(pulled, daily_end=daily_end)
    if blocks == "no block":
        if sooner:
            return f"no block beyond the plan's; {sooner}"
        return "its own GPUs need no block of their own"
    text = f"the blocks its own GPUs need: {blocks}"
    if sooner:
        text += f"; beyond them, {sooner}"
    if power is not None and (powered := deal_power_text(power, daily_end=daily_end)):
        capex = usd(float(deal_blocks["capex_usd"].sum()))
        priced = usd(float(power["usd"].fill_null(0.0).sum()))
        text += f"; {powered}; so {capex} of blocks and {priced} of power"
        if (site := float(deal_blocks["new_site_usd"].fill_null(0.0).sum())) > USD_TOL:
            text += f" and {usd(site)} of a new site's MW"
    elif power_unchecked:
        text += f"; {power_unchecked}"
    return text


def _order_list(placements: pl.DataFrame, plan: CapacityPlan) -> tuple[str, float, float]:
    """A pool's orders to the plan's end as a note reads them (blocks x type, in service on),
    their capex and the GPUs they add (in H100-equivalents where the plan counts them)."""
    units = {c.name: c.gpus * plan.h100_equivalent(c.gpu_type) for c in plan.candidate}
    rows = placements.sort("arrives").iter_rows(named=True)
    listed = ", ".join(f"{r['blocks']} x {r['candidate']} ({r['arrives']})" for r in rows)
    gpus = sum(
        r["blocks"] * units.get(r["candidate"], 0.0) for r in placements.iter_rows(named=True)
    )
    return listed or "none", float(placements["capex_usd"].sum()), gpus


def less_capital_note(
    without: pl.DataFrame,
    with_: pl.DataFrame,
    orders: pl.DataFrame,
    plan: CapacityPlan,
    *,
    horizon_end: date,
) -> str:
    """Why adding demand lowers the capital of the plan's orders, measured: each pool whose
    capital falls, its orders to the plan's end without and with the deal, and the GPUs they
    add. A deal read "extra capex $-191.2M, -6.1 MW" with nothing saying why.

    The deal moves a pool's shortfalls: each order is sized for the weeks after its own
    shortfall and chosen for its own window, so the plan buys another mix of blocks (and,
    where its last order's window runs past the plan's end, fewer GPUs within it). That is a
    different plan to the same end, not a saving from signing."""
    parts = []
    for r in orders.filter(pl.col("extra_capex_usd") < -USD_TOL).iter_rows(named=True):
        pool = (pl.col("region") == r["region"]) & (pl.col("pool") == r["pool"])
        before, capex_before, gpus_before = _order_list(without.filter(pool), plan)
        after, capex_after, gpus_after = _order_list(with_.filter(pool), plan)
        parts.append(
            f"{r['region']} {r['pool']}: without the deal {before} = "
            f"{usd(capex_before)}, {gpus_before:,.0f} GPUs (H100-equivalents); with it "
            f"{after} = {usd(capex_after)}, {gpus_after:,.0f} GPUs"
        )
    return (
        "the extra capex and MW are negative because the deal moves its pools' shortfalls, "
        "and each order is chosen and sized for the weeks after its own shortfall, so the "
        f"plan places other orders to {horizon_end} (in service on the dates shown): "
        f"{'; '.join(parts)}. Not a saving from signing: the capital of a different plan to "
        "the same end (blocks come in lumps, so a plan for more demand can hold fewer GPUs "
        "at its end)"
    )


_NO_EXTRA_CAPITAL = "$0 extra capital"
# Ends the note on a deal not served within the horizon whose extra capital is not $0; the
# finance page's pipeline rows carry it too.
NOT_PRICE = "it is not the price of the deal"


def no_extra_capital_note(extra_capex: float, serve_from: date | None, deal: Contract) -> str:
    """Why a deal not served from its first ramp day adds no capital ('' otherwise): $0
    beside "not within the horizon" or "served in full from 2028-12-01" read as a deal
    served for free. A deal served from its first day says so in its serve note already."""
    if abs(extra_capex) > USD_TOL or serve_from == deal.ramp[0].day:
        return ""
    anyway = "signing adds no order to those the plan places anyway (it moves their dates at most)"
    if serve_from is None:
        return (
            f"{_NO_EXTRA_CAPITAL} does not mean served for free: {anyway}, and they do not serve "
            "it in full within the horizon"
        )
    return (
        f"{_NO_EXTRA_CAPITAL} does not mean served as it ramps: {anyway}, and they serve it in "
        f"full only from {serve_from}"
    )
