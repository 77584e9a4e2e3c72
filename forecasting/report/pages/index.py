"""The two index pages: a run's front page, and the list of every published run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from forecasting.report.format import NOT_MEASURED, fmt_count, fmt_date, fmt_datetime
from forecasting.report.inputs import (
    STATUSES,
    UNMEASURED_GREEN,
    ReportInputs,
    greens_qualified,
    power_counts,
    status_headline,
    unjudged_regions_of,
    unmeasured_class_rows,
    unplayed_text,
    untested_regions,
    vacant_regions,
)
from forecasting.report.pages.common import (
    PAGES,
    Badge,
    Link,
    Page,
    Table,
    changes_view,
    every_order_capital,
    order_cards,
    render,
    shell,
)
from forecasting.report.pages.finance import idle_risk_card
from forecasting.schema import (
    BORDERLINE,
    FAILS_UNSHOCKED,
    NOT_VERIFIED,
    VACANT,
    borderline_short,
)
from forecasting.triggers import UNMEASURED_TRAINING

__all__ = ["RunEntry", "run_index_page", "runs_index_page"]


def _power_counts(inputs: ReportInputs) -> str:
    """``4 red, 0 amber, 3 green`` of the sites' power triggers (:func:`power_counts`: the
    greens not checked or not judged apart), or why there are none."""
    if inputs.power_triggers.is_empty():
        return "none (no [[site]] in the plan)" if not inputs.plan.site else "none"
    return power_counts(inputs)


def _drills_failing(inputs: ReportInputs, failing: int) -> str:
    """``2 of 8``; drills played on another plan are counted nowhere and the card says so."""
    shown = inputs.drill_answers.height
    refused = inputs.drills_not_played
    unmeasured = sorted(
        refused.filter(pl.col("reason").str.starts_with(NOT_MEASURED)).get_column("drill")
    )
    # Refused before playing (a start or a slip past a 2-week horizon): "5 of 5" read as every
    # drill asked, where 8 were and 3 were refused, said in the tables alone.
    unplayed = sorted(
        refused.filter(~pl.col("reason").str.starts_with(NOT_MEASURED)).get_column("drill")
    )
    not_played = (
        f"{len(unplayed)} not played ({', '.join(unplayed)}: see Platform)" if unplayed else ""
    )
    if shown:
        text = f"{failing} of {shown}"
        unshocked = inputs.drill_answers.filter(pl.col("verdict") == FAILS_UNSHOCKED).height
        if unshocked:
            # "8 of 8" read as the shocks breaking the plan, where it was short with no shock
            # at all: that needs an order (the triggers), not a drill.
            if unshocked == failing:
                who = "it" if failing == 1 else "all"
            else:
                who = f"{unshocked} of them"
            verb = "fails" if unshocked == 1 else "fail"
            text += f" ({who} {verb} unshocked: the plan is short with no shock, see the triggers)"
        held = inputs.drill_answers.filter(pl.col("verdict").eq_missing(pl.lit(NOT_VERIFIED)))
        if held.height:
            # Not failing is not passing: a 2x ramp the horizon cut at 1.17x counted among
            # the drills that hold.
            # One clause per reason: seven drills on a trace of zeros read one reason seven times.
            by_reason = held.group_by("unverified", maintain_order=True).agg("drill")
            why = "; ".join(
                f"{', '.join(r['drill'])}: {r['unverified']}"
                for r in by_reason.iter_rows(named=True)
            )
            text += f"; {held.height} {NOT_VERIFIED} ({why})"
        unsettled = inputs.drill_answers.filter(pl.col("verdict").eq_missing(pl.lit(BORDERLINE)))
        if unsettled.height:
            # Neither failing nor passing at their paths: counted among the failing, a drill
            # that failed at 200 paths and passed at 500 read as a failure found.
            # Each class's share and interval, as the verdict cell reads it: the whole reason
            # (the verdicts allowed, the command that would settle it) ran to 90 words here.
            said = "; ".join(
                f"{r['drill']}: {borderline_short(r['unverified'])[0]}"
                for r in unsettled.iter_rows(named=True)
            )
            text += f"; {unsettled.height} {BORDERLINE} ({said}; see Platform)"
    elif inputs.drills_other_plan:
        text = "no drills on this plan"
    elif unmeasured:
        text = "none measured on this forecast run"
    elif not_played:
        text, not_played = not_played, ""
    else:
        # A new forecast run has none until `fleetcast drill` plays them: "no drills on this
        # plan" after a rerun read as if the plan had none, where the last run had 6 failing.
        text = "none played on this forecast run (fleetcast drill plays them)"
    if not_played:
        text += f"; {not_played}"
    if unmeasured:
        # Played with an inf multiplier (or past the cap): it read "none played" beside the
        # finance page's rows for them.
        text += f"; {len(unmeasured)} {NOT_MEASURED} ({', '.join(unmeasured)}: see Finance)"
    if inputs.drills_other_plan:
        text += "; others not verified against this plan (see Platform)"
    if inputs.drills_unplayed:
        text += f"; {unplayed_text(inputs)}"
    return text


def run_index_page(inputs: ReportInputs) -> str:
    """The run's front page: the headline figures and links to the three readers' pages."""
    t = inputs.triggers
    # Greens that rest on nothing measured count as not verified, not green (as `report`'s
    # triggers line): zero demand against zero capacity (a vacant region), a planned region
    # with not one whole day of telemetry, a class no telemetry row measured. "4 green (2 of
    # them not verified ...)" read as four greens.
    vacant = vacant_regions(inputs)
    green = pl.col("status") == "green"
    unjudged = [r for r in unjudged_regions_of(inputs) if r not in vacant]
    blind = sorted(set(t.filter(pl.col("region").is_in(unjudged) & green)["region"].to_list()))
    # A region no backtest measured (too short a history) borrowed the others' verified day in
    # the count: "4 green (green to 2026-12-19 only ...)" beside its rows' "not verified".
    untested = [r for r in untested_regions(inputs) if r not in vacant and r not in blind]
    untested_greens = pl.col("region").is_in(untested) & green & ~unmeasured_class_rows()
    apart = {
        f"{VACANT}: {', '.join(vacant)}": t.filter(pl.col("region").is_in(vacant) & green).height,
        "no demand measured, not one whole day of telemetry: " + ", ".join(blind): t.filter(
            pl.col("region").is_in(blind) & green
        ).height,
        f"green ({UNMEASURED_GREEN}): " + ", ".join(untested): t.filter(untested_greens).height,
        UNMEASURED_TRAINING: t.filter(
            unmeasured_class_rows()
            & ~pl.col("vacant_pool").fill_null(False)
            & ~pl.col("region").is_in([*vacant, *blind])
        ).height,
        # A training pool no block in its region hosts, none measured: vacant, not a feed gap.
        f"{VACANT}: training pools no block hosts": t.filter(
            unmeasured_class_rows()
            & pl.col("vacant_pool").fill_null(False)
            & ~pl.col("region").is_in([*vacant, *blind])
        ).height,
    }
    shown = {s: t.filter(pl.col("status") == s).height for s in reversed(STATUSES)}
    shown["green"] -= sum(apart.values())
    counts = ", ".join(f"{n} {s}" for s, n in shown.items())
    # The greens verified short of the plan's end, as the headline above says them.
    if shown["green"]:
        counts += greens_qualified(inputs)
    if n := sum(apart.values()):
        why = "; ".join(said for said, k in apart.items() if k)
        counts += f", {n} {NOT_VERIFIED} ({why})"
    failing = inputs.drill_answers.filter(
        ~pl.col("passed").fill_null(False) & pl.col("verdict").ne_missing(pl.lit(BORDERLINE))
    ).height
    cards = [
        ("worst trigger status, blocks and power", status_headline(inputs)),
        ("block triggers", counts if t.height else "none"),
        ("power triggers", _power_counts(inputs)),
        *order_cards(inputs),
        ("drills failing", _drills_failing(inputs, failing)),
    ]
    if (every := every_order_capital(inputs)) is not None:
        cards.insert(4, (inputs.every_order_label, every))
    # The opposite error to a shortfall: a fleet whose demand fell read "green" and its
    # orders here, and its $1.9B of committed blocks idle at P10 on the finance page only.
    if not inputs.idle_risk.is_empty():
        cards.append(idle_risk_card(inputs))
    return render(
        "run_index.html",
        page=Page(),
        **shell(inputs, file="index.html", title="fleetcast capacity report"),
        cards=cards,
        pages=[(f, text, what) for f, (text, what) in PAGES.items()],
        changes=changes_view(inputs),
    )


@dataclass(frozen=True, slots=True)
class RunEntry:
    """One published run as the all-runs index lists it."""

    folder: str
    run_id: str
    as_of: date
    generated_at: datetime
    worst_status: str | None


def runs_index_page(runs: Sequence[RunEntry], *, latest: str | None) -> str:
    """Every published run, newest first, with its date and worst trigger status."""
    ordered = sorted(runs, key=lambda r: (r.as_of, r.generated_at), reverse=True)
    rows = [
        [
            Link(f"{r.folder}/index.html", r.run_id, "latest" if r.folder == latest else None),
            fmt_date(r.as_of),
            fmt_datetime(r.generated_at),
            Badge(r.worst_status) if r.worst_status else "no triggers",
        ]
        for r in ordered
    ]
    return render(
        "runs_index.html",
        page=Page(),
        policy_scripts=False,
        title="fleetcast reports",
        meta=f"{fmt_count(len(ordered))} run{'' if len(ordered) == 1 else 's'}, newest first",
        latest=latest,
        runs=Table.of(
            ["run", "as of", "generated", "worst status"], rows, empty="no runs published"
        ),
    )
