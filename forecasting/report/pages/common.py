"""What every page shares: the jinja2 environment, table cells, figures, the document shell.

Pages are jinja2 templates (``forecasting/report/templates``) rendered with autoescape, so
every name from data is escaped by the template engine; markup built in Python is a
:class:`markupsafe.Markup` and nothing else. Figures are not inlined as scripts: their JSON
sits in one ``application/json`` block and a single nonce-carrying script draws them, so the
page can ship a Content-Security-Policy that refuses every other script. Escaping is the
defence; the policy is the second line.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import jinja2
import plotly.io as pio
import polars as pl
from markupsafe import Markup

from forecasting.calendar import month_end
from forecasting.capacity import ALL_CLASSES, NOT_JUDGED, Block, gpus_in_blocks
from forecasting.report.changes import trigger_changes, version_caveat
from forecasting.report.figures import Chart
from forecasting.report.format import (
    MISSING,
    fmt_count,
    fmt_date,
    fmt_datetime,
    fmt_day_or_month,
    fmt_days,
    fmt_gpus,
    fmt_lateness,
    fmt_listed,
    fmt_usd,
)
from forecasting.report.inputs import (
    STATUSES,
    UNVERIFIED_MARK,
    ReportInputs,
    book_only_regions_of,
    daily_days,
    daily_end,
    estimated_totals,
    extrapolated_reach,
    green_verified_to,
    later_orders_due_first,
    orders_status_only,
    past_the_plan,
    past_the_plan_capital,
    plan_orders,
    planned_capital,
    shortfall_unverified,
    silent_customer_feeds,
    silent_regions,
    stopped_pools,
    unforecast_regions_of,
    unjudged_regions_of,
    unmeasured_series,
    unplanned_regions_of,
    untested_series,
    unverified_note,
    unweighed_candidates,
    vacant_regions,
)
from forecasting.schema import (
    MONTHLY_ONLY,
    NOT_VERIFIED,
    VACANT,
    WorkloadClass,
    book_only_words,
)
from forecasting.text import (
    before_as_of,
    days_count,
    estimated_words,
    next_report_words,
    silent_customers_words,
    silent_regions_words,
    size_not_verified,
    stopped_pools_words,
    waiting_part,
)
from forecasting.triggers.common import NEW_SITE, RUNS_ON_ARRIVAL

__all__ = [
    "CLASS_ORDER",
    "MONTHLY_GRAIN",
    "MONTH_GRAIN",
    "PAGES",
    "PLOTLY_JS",
    "PRICED_BY_NEW_SITE",
    "Badge",
    "Cell",
    "Changes",
    "Figure",
    "Folded",
    "Link",
    "Page",
    "Stacked",
    "Table",
    "below_mean",
    "blocks_text",
    "by_date",
    "changes_view",
    "class_key",
    "cut_short_text",
    "every_order_capital",
    "in_service_text",
    "month",
    "month_grain",
    "monthly_date",
    "monthly_only_first",
    "new_site_beside",
    "new_site_due",
    "new_site_first",
    "new_site_parts",
    "new_site_priced",
    "next_order_by",
    "next_orders",
    "next_report_words",
    "order_cards",
    "orders_due_after",
    "orders_to_place",
    "past_the_horizon",
    "render",
    "revenue_cut_short",
    "shell",
    "signed_gpus",
    "total",
    "trigger_past_the_plan",
    "verdict",
]

PLOTLY_JS = "plotly.min.js"
# File name -> (link text, who reads it).
PAGES: dict[str, tuple[str, str]] = {
    "finance.html": ("Finance", "orders to place, capital by quarter, revenue and idle risk"),
    "facilities.html": ("Facilities", "megawatts per site by month, blocks and in-service dates"),
    "platform.html": ("Platform", "demand against capacity, drill verdicts, forecast accuracy"),
}
# Workload classes in the schema's order: tables and charts list them so.
CLASS_ORDER = [c.value for c in WorkloadClass]
_TEMPLATES = "templates"


# --- table cells -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Badge:
    """A coloured status label; ``None`` shows as missing."""

    label: str | None

    @property
    def css(self) -> str:
        """The badge's colour class: a known status, or ``unknown``."""
        known = (*STATUSES, "pass", "fail")
        if self.label in known:
            return self.label
        # Drill verdicts: "fails under the shock", "plan fails unshocked".
        return "fail" if self.label and "fails" in self.label else "unknown"


@dataclass(frozen=True, slots=True)
class Stacked:
    """A cell value with a small second line under it."""

    main: Cell
    small: str


class Said(str):
    """An empty section's answer, shown as it is: "No data: nothing to order: ..." read as
    if something were missing where the plan needs nothing."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Link:
    """A link with an optional small note after it."""

    href: str
    text: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Folded:
    """A card's figure said in one sentence, the rest of it folded under a disclosure."""

    lead: str
    rest: str

    def __str__(self) -> str:
        return f"{self.lead}. {self.rest}"


@dataclass(frozen=True, slots=True)
class NotedLabel:
    """A card's label with the note its figure's marker points to, shown under the label.

    Joined into the label, the facilities card read "start a new site by; † Not verified past
    ...", one run-on phrase."""

    label: str
    note: str

    def __str__(self) -> str:
        return f"{self.label} ({self.note})"


# A cell is text (escaped by the template), one of the above, or a tuple of cells in a row.
Cell = str | Badge | Stacked | Link | tuple[Any, ...]


def verdict(passed: bool | None) -> Badge:
    """A pass/fail badge; missing when the drill gave no verdict."""
    return Badge(None if passed is None else "pass" if passed else "fail")


@dataclass(frozen=True, slots=True)
class Table:
    """Formatted cells: ``numeric`` columns right-aligned, only ``wrap`` columns wrapping.

    Cells do not wrap by default, so a date or an amount never breaks across lines. ``detail``
    columns hold sentences and are shown as one full-width line under their row, each part
    after its header, not as columns: beside ten columns that never wrap, a note column was
    squeezed to a few words per line. No rows renders as a "no data" line naming ``empty``.
    """

    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    empty: str
    numeric: frozenset[int] = frozenset()
    wrap: frozenset[int] = frozenset()
    detail: tuple[int, ...] = ()
    # A sentence under the table, said once for the cells that carry its marker
    # (:func:`with_cell_notes`: why a status is not verified past a day).
    note: str = ""

    @classmethod
    def of(
        cls,
        headers: Sequence[str],
        rows: Iterable[Sequence[Cell]],
        *,
        numeric: Iterable[int] = (),
        wrap: Iterable[int] = (),
        detail: Iterable[int] = (),
        empty: str,
    ) -> Table:
        """A table from any iterable of rows."""
        return cls(
            list(headers), list(rows), empty, frozenset(numeric), frozenset(wrap), tuple(detail)
        )

    def css(self, column: int) -> str:
        """The class of a column's cells: ``num``, ``wrap`` or none."""
        return "num" if column in self.numeric else "wrap" if column in self.wrap else ""

    @property
    def columns(self) -> list[int]:
        """The columns drawn as columns: all but the ``detail`` ones."""
        return [c for c in range(len(self.headers)) if c not in self.detail]

    def details(self, row: Sequence[Cell]) -> list[tuple[str, Cell]]:
        """The row's detail cells that say something, with their headers, in column order."""
        return [(self.headers[c], row[c]) for c in self.detail if row[c] not in (None, "", MISSING)]


def below_mean(p90: float | None, mean: float | None) -> str:
    """What a P90 under its mean is, said after it: a tenth of paths or fewer are hit (a P90
    of nothing), else the worst tenth carry the mean; "" where it is not under it. For a figure
    where higher is worse (GPU-hours, dollars), read beside its formatted mean."""
    if p90 is None or mean is None or not p90 < mean:
        return ""
    if p90 == 0:
        return ", below the mean: a tenth of paths or fewer are hit"
    return ", below the mean, which the worst tenth of paths carry"


# --- figures -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    """Where a page draws one chart: its key in the figures JSON, height and takeaway."""

    key: str
    height: int
    takeaway: str


@dataclass
class Page:
    """Collects the figures a page draws, in the order its sections are built."""

    charts: list[Chart] = field(default_factory=list)

    def figure(self, chart: Chart | None) -> Figure | None:
        """The chart's place on the page, or None (the template then says "no data")."""
        if chart is None:
            return None
        key = f"{len(self.charts)}-{chart.key}"
        self.charts.append(Chart(key, chart.figure, chart.takeaway))
        return Figure(key, int(chart.figure.layout.height or 400), chart.takeaway)

    def figures(self, charts: Iterable[Chart | None]) -> list[Figure]:
        """The places of every chart that has data."""
        return [f for f in (self.figure(c) for c in charts) if f is not None]

    def json(self) -> Markup:
        """All figures as one JSON object, safe inside a <script> element."""
        body = ",".join(
            f"{json.dumps(c.key)}:{pio.to_json(c.figure, validate=False)}" for c in self.charts
        )
        # JSON allows these as escapes; the HTML parser then never sees a tag or an entity.
        text = "{" + body + "}"
        return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


# --- rendering ---------------------------------------------------------------------------------


def _static(name: str) -> Markup:
    """A file shipped beside the templates (the stylesheet, the figures script), verbatim."""
    return Markup(resources.files("forecasting.report").joinpath(_TEMPLATES, name).read_text())


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("forecasting.report", _TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.tests.update(
        badge=lambda v: isinstance(v, Badge),
        stacked=lambda v: isinstance(v, Stacked),
        link=lambda v: isinstance(v, Link),
        folded_card=lambda v: isinstance(v, Folded),
        noted_label=lambda v: isinstance(v, NotedLabel),
        said=lambda v: isinstance(v, Said),
        row=lambda v: isinstance(v, tuple),
    )
    env.globals.update(MISSING=MISSING, css=_static("report.css"), draw=_static("figures.js"))
    return env


def render(template: str, *, page: Page, policy_scripts: bool = True, **context: Any) -> str:
    """The page ``template`` with the policy, nonce and figures filled in.

    ``policy_scripts=False`` is for pages that never run a script: their policy allows none.
    """
    context = with_cell_notes(context, context.pop("unverified_note", ""))
    nonce = secrets.token_urlsafe(16)
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
        "img-src data:; font-src data:; base-uri 'none'; form-action 'none'"
        if policy_scripts
        else "default-src 'none'; style-src 'unsafe-inline'"
    )
    return (
        _environment()
        .get_template(template)
        .render(
            policy=policy,
            nonce=nonce,
            plotly_js=PLOTLY_JS,
            figure_count=len(page.charts),
            figures_json=page.json() if page.charts else "",
            **context,
        )
    )


def cell_text(cell: object) -> str:
    """A cell's words, whatever its kind (a badge's label, a stacked cell's two lines)."""
    if isinstance(cell, Badge):
        return cell.label or ""
    if isinstance(cell, Stacked):
        return f"{cell_text(cell.main)} {cell.small}"
    if isinstance(cell, Link):
        return f"{cell.text} {cell.note or ''}"
    if isinstance(cell, tuple):
        return " ".join(cell_text(c) for c in cell)
    return "" if cell is None else str(cell)


def _noted(value: Any, note: str) -> Any:
    """``value`` with ``note`` under every table in it (a table, or one in a list, tuple or
    dict of them) whose cells carry :data:`UNVERIFIED_MARK`, and in the label of every card
    (a (label, value) pair of ``cards``) whose value does."""
    if isinstance(value, Table):
        marked = any(UNVERIFIED_MARK in cell_text(c) for r in value.rows for c in r)
        return replace(value, note=note) if marked and not value.note else value
    if isinstance(value, list | tuple) and not isinstance(value, str):
        noted = [_noted(v, note) for v in value]
        return noted if isinstance(value, list) else tuple(noted)
    if isinstance(value, dict):
        return {k: _noted(v, note) for k, v in value.items()}
    return value


def with_cell_notes(context: dict[str, Any], note: str) -> dict[str, Any]:
    """A page's ``context`` with ``note`` (:func:`~forecasting.report.inputs.unverified_note`)
    under each table whose status cells carry its marker, and under the label of the first
    card whose figure does (once per row of cards): the reason a status is not verified past a
    day, said once per table. Every red and
    amber cell of the demo's orders, power and construction tables repeated it, 35 words each
    ("the last day the backtests held the q90, which 52 weeks out ...")."""
    if not note:
        return context
    noted = {k: _noted(v, note) for k, v in context.items() if k != "cards"}
    if "cards" in context:
        # Once per row of cards, under the first marked one: the front page's next order-by
        # and every-order cards, side by side, each carried the same 35 words.
        marked = [UNVERIFIED_MARK in cell_text(value) for _, value in context["cards"]]
        first = marked.index(True) if any(marked) else -1
        noted["cards"] = [
            (NotedLabel(label, note), value) if i == first else (label, value)
            for i, (label, value) in enumerate(context["cards"])
        ]
    return noted


def _words_for(names: list[str], words: Callable[[str], str]) -> str:
    """``words`` of ``names`` listed, or "" where there are none (no banner)."""
    return words(fmt_listed(names)) if names else ""


def shell(inputs: ReportInputs, *, file: str, title: str) -> dict[str, Any]:
    """What base.html needs of a run's page: title, header line, navigation, banners."""
    links = [("index.html", "Summary")] + [(f, t) for f, (t, _) in PAGES.items()]
    return {
        "title": title,
        "run_id": inputs.run_id,
        # Said under each table whose status cells carry its marker (render, with_cell_notes).
        "unverified_note": unverified_note(inputs),
        "meta": f"run {inputs.run_id} · as of {fmt_date(inputs.as_of)} · generated "
        f"{fmt_datetime(inputs.generated_at)}",
        "nav": [(f, t, f == file) for f, t in links],
        # Said as the terminal says it ("2,380 days"; the banner read "2380 days old").
        "stale_days": days_count(inputs.stale_days)
        if inputs.stale and inputs.stale_days is not None
        else None,
        "placed_dates": inputs.placed_dates,
        "past_as_of": _past_as_of(inputs),
        "unmeasured": ", ".join(unmeasured_series(inputs.chosen)),
        "untested": fmt_listed(untested_series(inputs.chosen)),
        "extrapolated": extrapolated_reach(inputs),
        "unweighed": unweighed_candidates(inputs),
        "telemetry_since": inputs.telemetry_since,
        "outages_not_known": inputs.outages_not_known,
        "adapter_outages": inputs.adapter_outages,
        "plan_disagreements": inputs.plan_disagreements,
        "unplanned": ", ".join(unplanned_regions_of(inputs)),
        "unforecast": ", ".join(unforecast_regions_of(inputs)),
        "book_only": [(r, book_only_words(r)) for r in book_only_regions_of(inputs)],
        "silent_regions": _words_for(silent_regions(inputs), silent_regions_words),
        # Beside it: the totals whose last days that silence left to estimates.
        "estimated": estimated_words(lines) if (lines := estimated_totals(inputs)) else "",
        "silent_customers": silent_customers_words(
            silent_customer_feeds(inputs), held=silent_customer_feeds(inputs, held=True)
        )
        if not inputs.silent_customers.is_empty()
        else "",
        # Churn, beside the feeds that stopped: zeros written, not rows missing.
        "stopped_pools": _words_for(stopped_pools(inputs), stopped_pools_words),
    }


def _past_as_of(inputs: ReportInputs) -> str:
    """A sentence where the run stands on a day more than one before it was generated ('' when
    not): the pages say "ordered today", "power contracted today" and "no order placed today"
    of the as-of date, which on a trace of 2020 or a backfill is not the day they are read."""
    gap = (inputs.generated_at.date() - inputs.as_of).days
    if gap <= 1:
        return ""
    return (
        f"This report stands on its as-of date, {fmt_date(inputs.as_of)}, {days_count(gap)} before "
        f'it was generated: "today" here ("ordered today", "power contracted today", '
        f'"no order placed today") means {fmt_date(inputs.as_of)}, and lateness is counted '
        "from it."
    )


# --- shared pieces -----------------------------------------------------------------------------


def total(frame: pl.DataFrame, column: str) -> float:
    """The sum of a numeric column as a float (0 for an empty frame)."""
    return float(frame[column].cast(pl.Float64).sum())


def next_order_by(inputs: ReportInputs) -> str:
    """The first order-by date and whose: a trigger's with blocks to order, or a later order of
    the plan due before every trigger's (a long-lead block for a later shortfall), counting the
    others due first."""
    t = inputs.triggers
    today = inputs.generated_at.date()
    if (site := new_site_first(inputs)) is not None:
        return _new_site_next(site, inputs, today=today)
    if (early := later_orders_due_first(t, inputs.placements)).height:
        due = early.row(0, named=True)
        more = f", and {early.height - 1} more before the triggers" if early.height > 1 else ""
        # Its status too: the CLI said "(red)" where the card named a red order without it;
        # and how far its own shortfall is verified, as its pool's row says it.
        only = orders_status_only(early.head(1), inputs)[0]
        said = f"{due['status']} {only}" if only else due.get("status")
        status = f"{said}, " if said else ""
        return (
            f"{by_date(due['order_by'], inputs.as_of, today=today)} "
            f"({due['region']} · {due['pool']}, {status}a later "
            f"order: {fmt_count(due['blocks'])} × {due['candidate']}{more}"
            f"{_card_soon(due['order_by'], inputs)})"
        )
    dated = _dated_orders(t)
    if dated.is_empty():
        return "none due"
    first = dated.row(0, named=True)
    if first["monthly_only"]:
        # The monthly rows' date, earliest a daily shortfall could need; gone by, it is late
        # all the same, as the orders table says (a 6-week run's card read "2026-10-12" plain
        # under "next order-by" on a run as of 2026-12-06).
        return (
            f"{fmt_date(first['order_by'])} at the monthly grain, {MONTHLY_ONLY} "
            f"({first['region']} · {first['pool']}, {first['status']}: see its note"
            f"{before_as_of(first['order_by'], inputs.as_of)}"
            f"{_card_soon(first['order_by'], inputs)})"
        )
    # Dated from a month read short past the daily rows: its grain, as the tables say it.
    grain = f", {MONTH_GRAIN}" if month_grain(first, daily_end=daily_end(inputs)) else ""
    soon = _card_soon(first["order_by"], inputs)
    return (
        f"{by_date(first['order_by'], inputs.as_of, today=today)} "
        f"({first['region']} · {first['pool']}{grain}{soon})"
    )


def order_cards(inputs: ReportInputs) -> list[tuple[str, str | Folded]]:
    """The cards of orders, the front and finance pages' alike: the capital in orders to place
    and the next order-by; or, where no order is due by the as-of day and the next falls due
    later, one card of that next order, whole (:func:`_next_order_whole`).

    The demo's front page read "none due by 2026-12-06, the as-of day (...)" under "capital
    in orders to place" beside "2026-12-13 (eu-west · all, ..., a later order: 1 ×
    cell-gb200-8192 ...)" under "next order-by": one fact in two cards, and neither said what
    the order costs. The later orders' capital is the every-order card's, beside it."""
    capital: str | Folded = trigger_capital(inputs)
    if _nothing_due(inputs) and (whole := _next_order_whole(inputs)) is not None:
        return [("next order to place", whole)]
    if lead := capital_lead(inputs):
        capital = Folded(lead, str(capital))
    return [("capital in orders to place", capital), ("next order-by", next_order_by(inputs))]


def _nothing_due(inputs: ReportInputs) -> bool:
    """Whether the capital to place holds nothing: no order of the plan due by
    :func:`to_place_by`, none past a ceiling due by its new site's order-by, none not sized."""
    due = orders_to_place(inputs)
    if due is None:
        by = to_place_by(inputs)
        due = inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)
        if by is not None:
            due = due.filter(pl.col("order_by") <= by)
    unsized = triggers_due(inputs).filter(unsized_order()).height
    return due.is_empty() and not new_site_due(inputs).height and not unsized


# The fields that say which order and when, of a trigger or a PLACEMENTS row.
_WHICH_ORDER = ("order_by", "region", "pool", "candidate")


def _next_order_whole(inputs: ReportInputs) -> str | None:
    """ "2 × pod-h100-1024 for us-east · all, $84.0M, by 2026-11-29 (...); none due by
    2026-11-22, the as-of day": the first order :func:`next_order_by` names (a new site's
    blocks, a later order due first, or a pool's first order), what it costs and when it is
    due; None where no order is dated after the as-of day."""
    today = inputs.generated_at.date()
    said: list[str] = []
    if (site := new_site_first(inputs)) is not None:
        day, region, pool = site["order_by"], site["region"], site["pool"]
        blocks, candidate = site["blocks_beyond_ceiling"], site["candidate"]
        cost = fmt_usd(site["capex_new_site_usd"])
        said.append("past the site ceilings, into a new site, by the new site's order-by")
    elif (early := later_orders_due_first(inputs.triggers, inputs.placements)).height:
        first = early.row(0, named=True)
        day, region, pool, candidate = (
            first[k] for k in ("order_by", "region", "pool", "candidate")
        )
        # An order split across sites is one: its every row, the first's count and capex.
        keys = ("region", "pool", "tranche", "order_by")
        one = early.filter(pl.all_horizontal(pl.col(k).eq_missing(first[k]) for k in keys))
        blocks = int(one["blocks"].sum())
        cost = planned_capital(total(one, "capex_usd"), one)
        only = orders_status_only(early.head(1), inputs)[0]
        said.append(f"a later order, {first['status']}" + (f" {only}" if only else ""))
    elif (dated := _dated_orders(inputs.triggers)).height:
        first = dated.row(0, named=True)
        day, region, pool, candidate = (
            first[k] for k in ("order_by", "region", "pool", "candidate")
        )
        blocks = first["blocks_to_order"]
        cost = fmt_usd(first["capex_usd"]) if blocks else "not sized"
        if first["monthly_only"]:
            said.append(MONTHLY_ONLY)
        elif month_grain(first, daily_end=daily_end(inputs)):
            said.append(MONTH_GRAIN)
        only = orders_status_only(dated.head(1), inputs)[0]
        said.append(f"{first['status']}" + (f" {only}" if only else ""))
    else:
        return None
    if not isinstance(day, date) or day <= inputs.as_of:
        return None
    if soon := _card_soon(day, inputs).removeprefix("; "):
        said.append(soon)
    what = f"{fmt_count(blocks)} × {candidate}" if blocks else str(candidate)
    why = f" ({'; '.join(said)})" if said else ""
    return (
        f"{what} for {region} · {pool}, {cost}, by {by_date(day, inputs.as_of, today=today)}"
        f"{why}; none due by {fmt_date(inputs.as_of)}, the as-of day"
    )


def _card_soon(day: date | None, inputs: ReportInputs) -> str:
    """:func:`next_report_words` of a "next order-by" card's ``day``, on ``inputs``' days."""
    return next_report_words(day, as_of=inputs.as_of, next_report=inputs.next_report)


def _dated_orders(triggers: pl.DataFrame) -> pl.DataFrame:
    """The triggers with an order to place and its order-by date, the first due first."""
    # A trigger with nothing to order (its shortfall comes before any order could land, and
    # planned capacity covers the need after) has an order-by date but no order to place.
    # An order the forecast ends before is due all the same: only its size is not measured.
    ordered = (pl.col("blocks_to_order") > 0) | (
        pl.col("blocks_to_order").is_null() & pl.col("candidate").is_not_null()
    )
    return triggers.filter(pl.col("order_by").is_not_null() & ordered).sort("order_by")


def new_site_first(inputs: ReportInputs) -> dict[str, Any] | None:
    """The blocks past a ceiling (a :func:`new_site_parts` row) whose new site's order-by comes
    before every other order-by the next order-by weighs (the triggers' orders, the later
    orders due before them), or where none has one; None where no [[new_site]] dates any
    block or another order is due first (or the same day). The pages' "next order-by" and the
    terminal's "order first" both read it.

    A red region whose every order lay past its site's ceiling, dated by its new site to
    2026-01-22, read "next order-by: 2026-05-02 (r2 · all)", a green region's order."""
    parts = new_site_parts(inputs).sort("order_by", "region", "pool", "tranche")
    if parts.is_empty():
        return None
    first = parts.row(0, named=True)
    early = later_orders_due_first(inputs.triggers, inputs.placements)["order_by"]
    others = [d for d in (early.min(), _dated_orders(inputs.triggers)["order_by"].min()) if d]
    return first if all(first["order_by"] < d for d in others) else None


def _new_site_next(first: dict[str, Any], inputs: ReportInputs, *, today: date) -> str:
    """The next order-by card of ``first``, the blocks past a ceiling due first
    (:func:`new_site_first`).

    Every order past the ceilings read "none due" while the finance page dated them by the
    region's declared new site ("order by 2026-01-22, in a new site that must be started by
    2026-01-19")."""
    blocks = first["blocks_beyond_ceiling"]
    soon = _card_soon(first["order_by"], inputs)
    return (
        f"{by_date(first['order_by'], inputs.as_of, today=today)} ({first['region']} · "
        f"{first['pool']}, for a new site: {fmt_count(blocks)} × {first['candidate']} past "
        f"the site ceilings, by the new site's order-by{soon})"
    )


def monthly_date(
    day: date | None,
    row: dict[str, Any],
    *,
    daily_end: date | None = None,
    as_of: date | None = None,
) -> str:
    """An order-by or contract-by date, labelled where its row (a trigger or a power trigger)
    rests on a shortfall at the monthly grain only (its ``monthly_only`` field): the
    date is the monthly rows', the earliest a daily shortfall could need, and it read as a
    day's in the orders, blocks and power tables while only the cards said so.

    An order-by date dated from a month read short past the forecast's daily rows
    (``daily_end``; the row's ``exhaustion_date`` after it) reads its grain too: "order by
    2026-12-23" beside an exhaustion of "Sep 2027" read as a measured deadline while the
    legend and triggers.csv (``order_by_grain``) called it monthly. A monthly-only date before
    the as-of day (``as_of``, else the row's) says how long before (:func:`before_as_of`)."""
    shown = fmt_date(day)
    if day is None:
        return shown
    if row.get("monthly_only"):
        return f"{shown} ({MONTHLY_GRAIN}{before_as_of(day, as_of or row.get('as_of'))})"
    if month_grain(row, daily_end=daily_end):
        return f"{shown} ({MONTH_GRAIN})"
    return shown


def month_grain(row: dict[str, Any], *, daily_end: date | None) -> bool:
    """Whether ``row``'s exhaustion (and the dates read from it) is at the monthly grain: a
    month read short past the forecast's daily rows, which end on ``daily_end``
    (``report.inputs.exhaustion_grain``, the downloads' column)."""
    exhausted = row.get("exhaustion_date")
    return isinstance(exhausted, date) and daily_end is not None and exhausted > daily_end


# Beside a date that monthly_date labels; the CLI's report table says it alike.
MONTHLY_GRAIN = f"monthly grain: {MONTHLY_ONLY}"
# Beside an order-by date read from a month short past the daily rows (verified at that grain).
MONTH_GRAIN = "monthly grain"


# Said of MW past a site's ceiling where the region's [[new_site]] prices them (the
# construction trigger's cost): the power figures read "not priced" beside the New sites
# table that prices them.
PRICED_BY_NEW_SITE = "a new site's, priced under New sites to build"


def new_site_priced(construction: pl.DataFrame) -> set[str]:
    """The regions whose MW past their sites' ceilings a declared [[new_site]] prices (a
    construction row with a cost); elsewhere they are not priced."""
    return set(construction.filter(pl.col("cost_usd").is_not_null())["region"].to_list())


def by_date(day: date, as_of: date, *, today: date | None = None) -> str:
    """An order-by or contract-by date, and how late it is when it came before ``as_of``
    (:func:`~forecasting.report.format.fmt_lateness`): a date that is gone under "next
    order-by" would read as a deadline still to meet."""
    late = fmt_lateness(day, as_of, today=today)
    return fmt_date(day) if late is None else f"{fmt_date(day)}, {late}"


def month(day: date) -> str:
    """``Nov 2026``."""
    return day.strftime("%b %Y")


def signed_gpus(value: float | None) -> str:
    """GPUs with a sign for growth: ``+1,200``."""
    return MISSING if value is None else ("+" if value > 0 else "") + fmt_gpus(value)


def class_key(name: str) -> tuple[int, str]:
    """Sort key of a workload class: all classes, then the schema's order, then others."""
    if name == ALL_CLASSES:
        return (-1, name)
    return (CLASS_ORDER.index(name) if name in CLASS_ORDER else len(CLASS_ORDER), name)


def blocks_text(row: dict[str, Any]) -> str:
    """'2 × pod-h100-1024', 'pod-h100-1024, not sized' for an order the forecast ends before
    (see :func:`is_unsized`), or 'none' when nothing is to be ordered."""
    if is_unsized(row):
        return f"{row['candidate']}, not sized"
    count = row["blocks_to_order"] or 0
    return f"{fmt_count(count)} × {row['candidate'] or 'block'}" if count else "none"


def is_unsized(row: dict[str, Any]) -> bool:
    """Whether a trigger names a block to order that the forecast ends before (its note opens
    with ``triggers.rows.NOT_SIZED``): a candidate, and no blocks, capex or MW measured."""
    return row["blocks_to_order"] is None and row["candidate"] is not None


def unsized_beside(triggers: pl.DataFrame, *, unmeasured: str | None = None) -> str:
    """' (+ 2 orders not sized: ...)' beside a capital total that leaves them out, or ''; with
    ``unmeasured`` (``"MW"``), beside a total of that, which it says is not measured for them
    (the facilities card read "0.0 MW power in orders to place" beside three unsized orders)."""
    n = triggers.filter(unsized_order()).height
    if not n:
        return ""
    orders, land, its = ("order", "it lands", "its") if n == 1 else ("orders", "they land", "their")
    if unmeasured is not None:
        return (
            f" (+ {n} {orders} not sized: the forecast ends before {land}, {its} {unmeasured} "
            "not measured; see the notes)"
        )
    return f" (+ {n} {orders} not sized: the forecast ends before {land}, see the notes)"


def none_sized(triggers: pl.DataFrame, *, unmeasured: str) -> str:
    """'none sized: 2 orders not sized (the forecast ends before they land, their capex not
    measured; see the notes)' for a total of ``unmeasured`` (capex, MW) that no order sized
    counts, where ``triggers`` hold orders not sized; '' where they hold none. A red fleet
    whose every order was unsized read "$0 in 0 orders (+ 6 orders not sized ...)": a "$0"
    that read as a measured zero."""
    n = triggers.filter(unsized_order()).height
    if not n:
        return ""
    orders, land, its = ("order", "it lands", "its") if n == 1 else ("orders", "they land", "their")
    return (
        f"none sized: {n} {orders} not sized (the forecast ends before {land}, {its} "
        f"{unmeasured} not measured; see the notes)"
    )


def unsized_order() -> pl.Expr:
    """Whether a trigger's order is not sized (:func:`is_unsized`), as an expression."""
    return pl.col("blocks_to_order").is_null() & pl.col("candidate").is_not_null()


def to_order() -> pl.Expr:
    """Whether a trigger has an order to place: blocks to order, or an order not sized (the
    forecast ends before it lands), which is due all the same."""
    return (pl.col("blocks_to_order").fill_null(0) > 0) | unsized_order()


def unserved_text(blocks: Sequence[Block], *, as_of: date | None) -> str:
    """The sentence for blocks dedicated to a customer with no telemetry in their region
    (:func:`~forecasting.report.inputs.unserved_blocks_of`), or '' for none. Their GPUs are
    said as the terminal's warning says them: the Helios slice's "21 blocks (808 GPUs)" summed
    blocks that follow one another, where at most 640 are in service at once."""
    if not blocks:
        return ""
    count = "1 block" if len(blocks) == 1 else f"{len(blocks)} blocks"
    named = ", ".join(
        f"{b.id} ({b.dedicated_customer}, {b.region}, {fmt_gpus(b.gpus)} GPUs)" for b in blocks
    )
    return (
        f"{count} ({gpus_in_blocks(blocks, as_of=as_of)}) "
        f"{'is' if len(blocks) == 1 else 'are'} dedicated to a "
        f"customer with no telemetry in {'its' if len(blocks) == 1 else 'their'} region: "
        f"{named}; {'it serves' if len(blocks) == 1 else 'they serve'} nobody in the forecast, "
        "the triggers and the drills. Fix dedicated_customer in the capacity plan, or ingest "
        "those customers' telemetry."
    )


def trigger_past_the_plan(inputs: ReportInputs) -> pl.DataFrame:
    """Per trigger (region, pool), the capex and blocks of its own order (tranche 1) whose
    blocks can run only after the plan's end (:func:`past_the_plan`, as the capital cards
    count them), and that end as text: zero where none. The CLI's table and the finance
    page's orders table both read it."""
    end = plan_last_day(inputs)
    planned = plan_orders(inputs.placements)
    keys = inputs.triggers.select("region", "pool")
    if planned is None or end is None:
        past = keys.with_columns(capex_past_plan_usd=pl.lit(0.0), blocks_past_plan=pl.lit(0))
    else:
        first = past_the_plan(planned.filter(pl.col("tranche") == 1), end=end)
        dark = pl.col("capex_past_plan_usd") > 0
        sums = first.group_by("region", "pool").agg(
            pl.col("capex_past_plan_usd").sum(),
            pl.col("blocks").filter(dark).sum().alias("blocks_past_plan"),
        )
        past = keys.join(sums, on=["region", "pool"], how="left").with_columns(
            pl.col("capex_past_plan_usd").fill_null(0.0),
            pl.col("blocks_past_plan").fill_null(0).cast(pl.Int64),
        )
    return past.with_columns(plan_end=pl.lit(None if end is None else str(end), pl.String))


def plan_last_day(inputs: ReportInputs) -> date | None:
    """The forecast's last day: its last month's where monthly rows follow the daily ones."""
    month = inputs.forecast_months.get_column("ds").max()
    if isinstance(month, date):
        return month_end(month)
    return daily_end(inputs)


def every_order_capital(inputs: ReportInputs) -> str | None:
    """The capital card of every order of the plan (None where the run stored no orders): the
    placeable capex, the blocks past a ceiling and the orders that run only after the plan's
    end apart, and what is not sized beside it; the front and finance pages read it alike."""
    planned = plan_orders(inputs.placements)
    if planned is None:
        return None
    end = plan_last_day(inputs)
    planned = past_the_plan(planned, end=end)
    # Every order holds the triggers' own: one sized from a month read short past the daily
    # rows swings with the horizon here as on the card of orders to place. Said of the
    # triggers' capex whole, "of which $X for N orders" read as N of every order, priced
    # otherwise than the total: the pools' first orders, as the total counts them.
    first = planned.filter(pl.col("tranche").fill_null(1) == 1)
    # The blocks past a ceiling that a declared new site dates: "into a new site", as the
    # capital to place says of the same blocks beside this card.
    dated = int(new_site_parts(inputs)["blocks_beyond_ceiling"].fill_null(0).sum())
    unverified = _unverified_orders(inputs, planned, marked=True)
    return (
        planned_capital(total(planned, "capex_usd"), planned, dated=dated)
        + unverified
        + monthly_only_first(first, inputs.triggers, days=daily_days(inputs))
        + past_the_plan_capital(planned, end=end)
        + _sized_past_verified(
            inputs,
            planned,
            of=f"the {fmt_usd(total(planned, 'capex_usd'))}",
            why_said=bool(unverified),
        )
        + unsized_beside(inputs.triggers)
    )


# Said of an order whose pool is short at the monthly grain only (its trigger's monthly_only):
# its size, capex and MW, as its order-by date is.
MONTHLY_ONLY_ORDER = "short at the monthly grain only"


def monthly_only_beside(
    triggers: pl.DataFrame,
    *,
    column: str,
    days: int | None,
    shown: Any = None,
    counted: Callable[[pl.DataFrame], str] | None = None,
) -> str:
    """' (of which X for N orders short at the monthly grain only: size not verified at the
    daily grain (...))' beside a total of ``column`` (capex or MW) over ``triggers``' orders,
    or ''; ``counted`` reads X off those orders instead (the blocks per kind)."""
    rows = triggers.filter(
        pl.col("monthly_only").fill_null(False) & (pl.col("blocks_to_order").fill_null(0) > 0)
    )
    if rows.is_empty():
        return ""
    figure = counted(rows) if counted is not None else (shown or fmt_usd)(total(rows, column))
    n = rows.height
    orders = "1 order" if n == 1 else f"{n:,} orders"
    return f" (of which {figure} for {orders} {MONTHLY_ONLY_ORDER}: {size_not_verified(days)})"


def to_place_by(inputs: ReportInputs) -> date | None:
    """The last day of the order window: the run's as-of day. Every order of the plan whose
    order-by has come by then is an order to place (:func:`orders_to_place`); one due later
    is the plan's outlook, dated again by the next run.

    The window was the forecast's last daily day, a flag's choice, not the demand's nor the
    lead times': the demo's capital to place read $740.4M at ``--horizon 2w`` and $2,150.4M
    at the default 26 weeks, because 26 weeks counted every order due by 2027-06-05 (a GB200
    cell due 2026-12-13, racks due from 2026-12-30) as orders to place today. What the daily
    grain still changes is each order's own dates and size (a month's row is its peak day,
    whose q90 reads above any one day's: a short horizon dates a shortfall to its month, said
    as :data:`MONTHLY_ONLY_ORDER`), not which dates count as today."""
    return inputs.as_of


def orders_to_place(inputs: ReportInputs) -> pl.DataFrame | None:
    """Every order of the plan due by :func:`to_place_by`, whichever tranche, one row per share
    (a part waiting on power by its own order-by), with
    :func:`~forecasting.report.inputs.past_the_plan`'s columns; None where the run stored no
    placements (before migration 16). The blocks past a ceiling that a declared new site
    dates are not in it (:func:`_undated_apart`): they fall due by the new site's order-by,
    :func:`new_site_due`. Every card of orders to place (capital, blocks, MW) counts these
    two, so that one rule says which blocks are due.

    The demo's "capital in orders to place" ($3,400.7M) counted the six triggers' orders
    whole, us-east's 68 racks dated to land with power (order-by 2028-09-25, $574.5M)
    included, and left out $1,105.9M of later orders due 2027-03-15, before three of them:
    a budget line whose members no date said."""
    planned = plan_orders(inputs.placements)
    if planned is None:
        return None
    by = to_place_by(inputs)
    # An order no site can power has no order-by: a new site's, never due (its capex is apart).
    due = pl.col("order_by").is_not_null() & (
        pl.lit(True) if by is None else pl.col("order_by") <= by
    )
    placed = past_the_plan(planned.filter(due), end=plan_last_day(inputs))
    return _undated_apart(placed, new_site_parts(inputs))


def triggers_due(inputs: ReportInputs) -> pl.DataFrame:
    """The triggers whose order-by falls by :func:`to_place_by` (or has none), as the capital
    to place counts them: an order not sized due later is not one to place yet."""
    by = to_place_by(inputs)
    if by is None:
        return inputs.triggers
    return inputs.triggers.filter(pl.col("order_by").is_null() | (pl.col("order_by") <= by))


def _n_orders(rows: pl.DataFrame) -> int:
    """How many orders ``rows`` (PLACEMENTS rows) hold: an order split across sites is one,
    a part waiting on power (its own order-by) another."""
    return rows.select("region", "pool", "tranche", "order_by").n_unique() if rows.height else 0


def _orders_count(n: int) -> str:
    return "1 order" if n == 1 else f"{n:,} orders"


def to_place_membership(inputs: ReportInputs) -> str:
    """Which orders the capital to place holds, dated, to follow "N orders" or "none": 'due
    by 2026-12-05, the as-of day (an order of the plan is due once its order-by has come,
    whatever the daily horizon; any tranche, a part waiting on power by its own order-by)'.

    It read "none due, of every order of the plan due by 2026-12-05 (the as-of day: its
    order-by has come, whatever the daily horizon), whichever tranche; ...": the day a
    finance reader looks for came after two clauses about which orders count."""
    by = to_place_by(inputs)
    if by is None:
        return "with an order-by date (every order of the plan, any tranche)"
    return (
        f"due by {fmt_date(by)}, the as-of day (an order of the plan is due once its order-by "
        "has come, whatever the daily horizon; any tranche, a part waiting on power by its own "
        "order-by)"
    )


def trigger_capital(inputs: ReportInputs) -> str:
    """The capital in orders to place: every order of the plan due by :func:`to_place_by`
    (:func:`orders_to_place`), how many and what they are, with the blocks past their site's
    ceiling and the orders waiting for power that comes only after the plan's end apart
    (:func:`~forecasting.report.inputs.past_the_plan`, as :func:`every_order_capital` keeps
    them), how much of it is for blocks that run only after the forecast ends, what the
    plan has due after the window, and the orders due not sized (:func:`unsized_beside`):
    "none sized" where no order due is (:func:`none_sized`). The CLI, the front page and the
    finance page read it alike.

    Kept in, a due-now order whose power comes after the plan's end (the demo's us-east
    training cell, $368.6M, run from 2031) counted in "capital for them" while the card of
    every order beside it left it out: the triggers' capital read more than every order's."""
    by = to_place_by(inputs)
    ordering = inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)
    if by is not None:
        ordering = ordering.filter(pl.col("order_by") <= by)
    unjudged = unjudged_regions_of(inputs)
    regions = set(inputs.triggers["region"].to_list())
    if regions and regions <= set(unjudged) and ordering.is_empty():
        # No demand measured in any region: the Azure trace's two hours read "$0 in 0 orders"
        # beside triggers "not verified: no demand measured", a figure nothing stands behind.
        said = "; ".join(unjudged[r] for r in sorted(regions))
        return f"{NOT_JUDGED} ({said}): no order is sized, so no figure stands here"
    due = orders_to_place(inputs)
    days = daily_days(inputs)
    parts = new_site_parts(inputs)
    if (
        (ordering if due is None else due).is_empty()
        and not new_site_due(inputs).height
        and (nothing := none_sized(triggers_due(inputs), unmeasured="capex"))
    ):
        return (
            f"{nothing}, of the orders {to_place_membership(inputs)}"
            + _due_after(inputs, by=by)
            + new_site_beside(parts, by=by, due=False)
        )
    if due is None:
        # No placements stored: the triggers' orders due by then, each whole.
        monthly = monthly_only_beside(ordering, column="capex_usd", days=days)
        return (
            f"{fmt_usd(total(ordering, 'capex_usd'))} in {_orders_count(ordering.height)} "
            f"{to_place_membership(inputs)}{monthly}{unsized_beside(triggers_due(inputs))}"
        )
    if due.is_empty() and parts.height:
        # Only blocks past the ceilings fall due, dated by their new site: "$0 in 0 orders"
        # read as nothing to place beside them. With none of those due either (no order-by
        # has come: the demo at 26 weeks), "none under the site ceilings" read as if some were.
        nothing_due = (
            f"none under the site ceilings, of the orders {to_place_membership(inputs)}"
            if new_site_due(inputs).height
            else f"none {to_place_membership(inputs)}"
        )
        return (
            nothing_due
            + new_site_beside(parts, by=by, due=True)
            + _due_after(inputs, by=by)
            + new_site_beside(parts, by=by, due=False)
            + unsized_beside(triggers_due(inputs))
        )
    end = plan_last_day(inputs)
    placeable = total(due, "capex_usd")
    first = due.filter(pl.col("tranche").fill_null(1) == 1)
    monthly = monthly_only_first(first, inputs.triggers, days=days)
    later = due.filter(pl.col("tranche").fill_null(1) > 1)
    later_unverified = _unverified_part(inputs, later) if later.height else ""
    # The pools' first orders for shortfalls past the verified days, said as the card of every
    # order says them: Helios at 26 weeks read "$25.3M in 2 orders due" plain beside that
    # card's "$25.3M in 2 orders for shortfalls past ... (2020-06-07): not verified".
    first_unverified = _unverified_orders(inputs, first, of=placeable)
    of_later = (
        f" (of which {fmt_usd(total(later, 'capex_usd'))} in {_orders_count(_n_orders(later))} "
        f"after their pools' first, for later shortfalls{later_unverified})"
        if later.height
        else ""
    )
    return (
        planned_capital(placeable, due)
        + f" in {_orders_count(_n_orders(due))} {to_place_membership(inputs)}"
        + of_later
        # After "of which": before it, "of which" read as of this clause's sum.
        + first_unverified
        + monthly
        + new_site_beside(parts, by=by, due=True)
        + past_the_plan_capital(due, end=end)
        + _run_past_the_forecast(due.filter(pl.col("capex_past_plan_usd") == 0), end=end)
        + _sized_past_verified(
            inputs,
            due,
            of=f"the {fmt_usd(placeable)}",
            why_said=bool(later_unverified or first_unverified),
        )
        + _due_after(inputs, by=by)
        + new_site_beside(parts, by=by, due=False)
        + unsized_beside(triggers_due(inputs))
    )


def next_orders(inputs: ReportInputs, column: str) -> tuple[date, pl.DataFrame, date] | None:
    """The day orders are due to be placed by, the plan's orders after it with ``column`` above
    zero, and the first of their order-by days: what a card says where none is due yet; None
    where no such order follows."""
    by, after = to_place_by(inputs), orders_due_after(inputs)
    if by is None or after is None:
        return None
    rows = after.filter(pl.col(column).fill_null(0.0) > 0)
    first = rows["order_by"].min()
    if rows.is_empty() or not isinstance(first, date):
        return None
    return by, rows, first


def capital_lead(inputs: ReportInputs) -> str:
    """The capital in orders to place as one sentence a CFO reads first: the total, how many
    orders and the first order-by ("$777.2M in 2 orders, the first by 2027-01-28, 12 days
    ago: late"), or, where none is due yet, the plan's next ("none due by 2026-12-06; next:
    $6,412.8M in 15 orders of the plan, the first by 2026-12-13"); "" where neither holds (the
    whole text, :func:`trigger_capital`, is short then). The rest of :func:`trigger_capital`
    follows it, folded: the demo's terminal line and front card ran to 130 words, the total
    and the first date in the middle of them."""
    due = orders_to_place(inputs)
    if due is None:
        return ""
    first = due["order_by"].min()
    if due.height and isinstance(first, date):
        money = total(due, "capex_usd")
        return (
            f"{fmt_usd(money)} in {_orders_count(_n_orders(due))}, the first by "
            f"{by_date(first, inputs.as_of)}"
        )
    later = next_orders(inputs, "capex_usd")
    if later is None:
        return ""
    by, rows, first = later
    return (
        f"none due by {fmt_date(by)}; next: {fmt_usd(total(rows, 'capex_usd'))} in "
        f"{_orders_count(_n_orders(rows))} of the plan, the first by {fmt_date(first)}"
    )


_PART_KEYS = ["region", "pool", "tranche", "site"]


def new_site_parts(inputs: ReportInputs) -> pl.DataFrame:
    """The blocks of the plan's orders past their site's ceiling that their region's declared
    [[new_site]] dates (:func:`~forecasting.triggers.new_site_dates`): one row per PLACEMENTS
    row holding some (region, pool, tranche, site), with ``blocks_beyond_ceiling``, their
    capex ``capex_new_site_usd``, their MW ``mw`` and ``order_by``, the new site's order-by
    for them; empty
    where no [[new_site]] dates any (or no placements were stored)."""
    from forecasting.triggers import new_site_dates

    schema = {
        "region": pl.String(),
        "pool": pl.String(),
        "tranche": pl.Int64(),
        "site": pl.String(),
        "candidate": pl.String(),
        "blocks": pl.Int64(),
        "blocks_beyond_ceiling": pl.Int64(),
        "capex_new_site_usd": pl.Float64(),
        "mw": pl.Float64(),
        "order_by": pl.Date(),
    }
    planned = plan_orders(inputs.placements)
    if planned is None or inputs.construction.is_empty():
        return pl.DataFrame(schema=schema)
    rows = []
    for r in planned.filter(pl.col("blocks_beyond_ceiling").fill_null(0) > 0).iter_rows(named=True):
        dated = new_site_dates(inputs.construction, inputs.plan, r, as_of=inputs.as_of)
        if dated is not None:
            mw = (r["mw"] or 0.0) * r["blocks_beyond_ceiling"] / r["blocks"] if r["blocks"] else 0.0
            kept = {k: r[k] for k in schema if k not in ("order_by", "mw")}
            rows.append(kept | {"mw": mw, "order_by": dated[0]})
    return pl.DataFrame(rows, schema=schema, orient="row")


def _undated_apart(due: pl.DataFrame, parts: pl.DataFrame) -> pl.DataFrame:
    """``due`` (orders to place) without the blocks past a ceiling that ``parts`` dates by their
    new site (their count, capex and MW out of their rows): those fall due by that date, not
    by the order-by of the blocks under it (the demo's us-west cell past us-west-a's ceiling,
    new-site order-by 2027-09-14, counted among orders due by 2027-06-05 by its order's
    2027-03-16)."""
    if parts.is_empty():
        return due
    dated = parts.select(*_PART_KEYS, pl.lit(True).alias("_dated"))
    marked = due.join(dated, on=_PART_KEYS, how="left", nulls_equal=True, maintain_order="left")
    new_site = pl.col("_dated").fill_null(False)
    return (
        marked.filter(~(new_site & (pl.col("blocks") <= pl.col("blocks_beyond_ceiling"))))
        .with_columns(
            pl.when(new_site)
            .then(pl.col("mw") * (1 - pl.col("blocks_beyond_ceiling") / pl.col("blocks")))
            .otherwise(pl.col("mw"))
            .alias("mw"),
            pl.when(new_site)
            .then(pl.col("blocks") - pl.col("blocks_beyond_ceiling"))
            .otherwise(pl.col("blocks"))
            .alias("blocks"),
            pl.when(new_site)
            .then(0.0)
            .otherwise(pl.col("capex_new_site_usd"))
            .alias("capex_new_site_usd"),
            pl.when(new_site)
            .then(0)
            .otherwise(pl.col("blocks_beyond_ceiling"))
            .alias("blocks_beyond_ceiling"),
        )
        .drop("_dated")
    )


def new_site_due(inputs: ReportInputs) -> pl.DataFrame:
    """The blocks past a ceiling (:func:`new_site_parts` rows) whose new site's order-by falls
    by :func:`to_place_by`: orders to place beside :func:`orders_to_place`, which leaves them
    out of their orders' rows."""
    return _new_site_due(new_site_parts(inputs), by=to_place_by(inputs))


def _new_site_due(parts: pl.DataFrame, *, by: date | None) -> pl.DataFrame:
    """The rows of ``parts`` (:func:`new_site_parts`) whose new-site order-by falls by ``by``."""
    return parts if by is None else parts.filter(pl.col("order_by") <= by)


def new_site_beside(
    parts: pl.DataFrame,
    *,
    by: date | None,
    due: bool,
    column: str = "capex_new_site_usd",
    shown: Callable[[float], str] = fmt_usd,
    apart: str = "not in the plan's totals",
) -> str:
    """' (+ $X for N blocks past their site's ceiling, into the new site their region declares,
    due by <by> (order by D1 to D2): not in the plan's totals)', or due after ``by`` (not to
    place yet) where ``due`` is False; '' where ``parts`` holds none of them. ``column`` read
    by ``shown`` is the figure (their capex, or their MW), ``apart`` what it is not in."""
    if due:
        rows = _new_site_due(parts, by=by)
    else:
        rows = parts.filter(pl.col("order_by") > by) if by is not None else parts.clear()
    if rows.is_empty():
        return ""
    blocks = int(rows["blocks_beyond_ceiling"].sum())
    first, last = rows["order_by"].min(), rows["order_by"].max()
    assert isinstance(first, date) and isinstance(last, date)
    dates = fmt_date(first) if first == last else f"{fmt_date(first)} to {fmt_date(last)}"
    when = (
        f"due by {fmt_date(by)}"
        if due and by is not None
        else "due"
        if due
        else f"due after {fmt_date(by)}"
    )
    return (
        f" (+ {shown(float(rows[column].sum()))} for {fmt_count(blocks)} "
        f"block{'' if blocks == 1 else 's'} past {'its' if blocks == 1 else 'their'} site's "
        f"ceiling, into a new site, {when} by the new site's order-by ({dates}): "
        + ("" if due else "not to place yet, ")
        + f"{apart})"
    )


def _past_verified(inputs: ReportInputs, orders: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """The rows of ``orders`` (PLACEMENTS rows) whose shortfall lies past the day the run
    verifies its statuses to, and why it ends there in the words a red's row uses
    (:func:`~forecasting.report.inputs.shortfall_unverified`); none where it verifies them all."""
    said = shortfall_unverified(inputs)
    if said is None:
        return orders.clear(), ""
    past, why = said
    return orders.filter(
        pl.Series([past(day) for day in orders["exhaustion_date"]], dtype=pl.Boolean)
    ), why


def _unverified_part(inputs: ReportInputs, later: pl.DataFrame) -> str:
    """', $X of it for shortfalls past the last day a backtest measured (D): not verified'
    (', all of it ...') for ``later`` (orders to place after their pools' first) whose
    shortfall lies past the day the run verifies its statuses to (:func:`_past_verified`);
    or ''.

    Such orders are due now on a q90 nothing verified that far: an 8-10x over-provisioned
    fleet read $4,423.7M of GB200 cells to place within six weeks for shortfalls 22 months
    out, on a band no backtest calibrated, and the demo's $368.6M cell due 2026-12-13 for
    eu-west's 2028 shortfall read plain on a band whose 52-week backtest missed its q90."""
    shown, why = _past_verified(inputs, later)
    if shown.is_empty():
        return ""
    capex = total(shown, "capex_usd")
    share = "all of it" if capex >= total(later, "capex_usd") else f"{fmt_usd(capex)} of it"
    return f", {share} for shortfalls {why}: {NOT_VERIFIED}"


def _unverified_orders(
    inputs: ReportInputs, planned: pl.DataFrame, *, of: float | None = None, marked: bool = False
) -> str:
    """' (of the $T, $X in N orders for shortfalls past ...: not verified)' beside the capital in
    every order of the plan (``planned``), for its orders whose shortfall lies past the day
    the run verifies its statuses to (:func:`_past_verified`); or ''. The demo's $6,086.4M read
    plain while the rows of nearly every pool it sums said "not verified". ``of`` is $T where
    ``planned`` is part of the figure said (the pools' first orders among those to place);
    by default it is ``planned``'s own capex. ``marked``: the day and the marker, "past
    2027-06-06: not verified†", the reason said once beside the card's label
    (:func:`with_cell_notes`), as a status cell says it: the finance card repeated the ~35
    words of the tables' note."""
    shown, why = _past_verified(inputs, planned)
    said = f"for shortfalls {why}: {NOT_VERIFIED}"
    if marked and (day := _marked_why(inputs)) is not None:
        past = f" {day}" if day else ""
        said = f"for shortfalls{past}: {NOT_VERIFIED}{UNVERIFIED_MARK}"
    # An order that runs only after the plan's end is apart, its capex out of the total.
    shown = shown.filter(pl.col("capex_usd").fill_null(0) > 0)
    if shown.is_empty():
        return ""
    whole = total(planned, "capex_usd") if of is None else of
    # "Of the $6,086.4M": after the new-site clause, "of which" read as of that clause's sum.
    return (
        f" (of the {fmt_usd(whole)}, {fmt_usd(total(shown, 'capex_usd'))} "
        f"in {_orders_count(_n_orders(shown))} {said})"
    )


def _marked_why(inputs: ReportInputs) -> str | None:
    """The words "past DAY", the last day the run verifies its statuses to, said before ": not
    verified†" (the marker's note, :func:`~forecasting.report.inputs.unverified_note`, says
    why it ends there); "" where no backtest measured anything (the note says so); None
    where the run verifies them to the plan's end."""
    verified = green_verified_to(inputs)
    if verified is None:
        return None
    if verified <= inputs.as_of:
        return ""
    return f"past {fmt_date(verified)}"


def _sized_past_verified(
    inputs: ReportInputs, orders: pl.DataFrame, *, of: str, why_said: bool = False
) -> str:
    """' (of <of>, $X in N orders dated on verified days that land past ...: sized on demand
    there, not verified)' for the rows of ``orders`` (PLACEMENTS rows) whose shortfall lies
    within the days the run verifies its statuses to but whose blocks land past that day (the
    first day their size is read on); or ''.

    Helios at 26 weeks (backtests scored to 2020-06-05) read "capital in every order of the
    plan $26.5M" plain: both shortfalls fall on measured days, so nothing said that the 178
    racks, landing 2020-07-26, were sized on demand to 2020-11-29 that no backtest measured
    (their triggers' notes said so). An order dated past that day is said by
    :func:`_unverified_orders` and :func:`_unverified_part`; where a clause beside it already
    said why the day ends there (``why_said``), only the day is named."""
    said = shortfall_unverified(inputs)
    if said is None or orders.is_empty():
        return ""
    past, why = said
    if why_said and (verified := green_verified_to(inputs)) is not None:
        why = f"past that day ({fmt_date(verified)})"
    flagged = [
        not past(short) and past(lands)
        for short, lands in orders.select("exhaustion_date", "arrives").iter_rows()
    ]
    shown = orders.filter(pl.Series(flagged, dtype=pl.Boolean) & (pl.col("capex_usd") > 0))
    if shown.is_empty():
        return ""
    return (
        f" (of {of}, {fmt_usd(total(shown, 'capex_usd'))} in "
        f"{_orders_count(_n_orders(shown))} dated on measured days whose blocks land {why}: "
        f"sized on demand there, {NOT_VERIFIED})"
    )


def monthly_only_first(
    first: pl.DataFrame,
    triggers: pl.DataFrame,
    *,
    days: int | None,
    column: str = "capex_usd",
    shown: Callable[[float], str] = fmt_usd,
) -> str:
    """' (of which $X for N pools' first orders short at the monthly grain only: ...)' for
    ``first`` (tranche-1 PLACEMENTS rows) whose trigger is short at the monthly grain only
    (its ``monthly_only``), their ``column`` (the placeable capex, as the total counts it, or
    the MW) read by ``shown``; or ''."""
    flags = triggers.filter(pl.col("monthly_only").fill_null(False)).select("region", "pool")
    rows = first.join(flags, on=["region", "pool"], how="semi")
    if rows.is_empty():
        return ""
    n = rows.select("region", "pool").n_unique()
    whose = "1 pool's first order" if n == 1 else f"{n:,} pools' first orders"
    return (
        f" (of which {shown(total(rows, column))} for {whose} {MONTHLY_ONLY_ORDER}: "
        f"{size_not_verified(days)})"
    )


def orders_due_after(inputs: ReportInputs) -> pl.DataFrame | None:
    """The plan's orders due after :func:`to_place_by` (PLACEMENTS rows with
    :func:`~forecasting.report.inputs.past_the_plan`'s columns), without the blocks a new site
    dates (:func:`orders_to_place`'s rule); None where the run stored no placements or there
    is no window."""
    planned = plan_orders(inputs.placements)
    by = to_place_by(inputs)
    if planned is None or by is None:
        return None
    # The blocks a new site dates are due by its order-by, not by their order's.
    later = past_the_plan(planned.filter(pl.col("order_by") > by), end=plan_last_day(inputs))
    return _undated_apart(later, new_site_parts(inputs))


def _due_after(inputs: ReportInputs, *, by: date | None) -> str:
    """' (+ $X in N orders of the plan due after <by>, from <first> to <last order-by>: not to
    place yet)' or ''. The first day is the next order-by among them: "due after 2026-12-05,
    to 2028-09-26" left the reader to find that the next one fell 8 days on."""
    after = orders_due_after(inputs)
    if after is None or by is None:
        return ""
    rows = after.filter(pl.col("capex_usd") > 0)
    first, last = rows["order_by"].min(), rows["order_by"].max()
    if rows.is_empty() or not isinstance(first, date) or not isinstance(last, date):
        return ""
    on = fmt_date(first)
    when = f"on {on}" if first == last else f"from {on} to {fmt_date(last)}"
    return (
        f" (+ {fmt_usd(total(rows, 'capex_usd'))} in {_orders_count(_n_orders(rows))} of the "
        f"plan due after {fmt_date(by)}, {when}: not to place yet)"
    )


def _run_past_the_forecast(first: pl.DataFrame, *, end: date | None) -> str:
    """' (of which ... run only after the forecast ends ...)' for the triggers' orders whose
    blocks run only past ``end``, or ''. Dated to land with power contracted today, a 45-day
    fleet's 104 racks ($878.6M) run from 2029-01-01 on a forecast to 2027-06-04: sized on
    the days before, their capital read as measured beside an order left unsized."""
    if end is None or "runs_from" not in first.columns:
        return ""
    past = first.filter(pl.col("runs_from") > end)
    if past.is_empty():
        return ""
    # capex_usd is net of the blocks past a ceiling already (report.inputs.split_new_site).
    capex = total(past, "capex_usd")
    orders = past.select("region", "pool").unique().height
    whose = "1 order whose blocks run" if orders == 1 else f"{orders} orders whose blocks run"
    return (
        f" (of which {fmt_usd(capex)} for {whose} only after the forecast ends, {fmt_date(end)}:"
        " sized on the days before, not measured for when they run; see the notes)"
    )


def n_plus_one_table(inputs: ReportInputs) -> Table:
    """Per region: whether the plan holds with each day's largest shared block lost (N+1),
    the block lost on the first short day, that day and the largest shortfall, beside the
    region's first shortfall with nothing lost. Computed and stored by every trigger run, it
    was shown nowhere."""
    from forecasting.report.inputs import n_plus_one_unverified, n_plus_one_view

    end = daily_end(inputs)
    past = n_plus_one_unverified(inputs)

    def dated(day: date | None) -> str:
        # Past the verified days, as the headline says of the same shortfall dates.
        said = fmt_day_or_month(day, daily_end=end)
        return f"{said} ({NOT_VERIFIED})" if past(day) else said

    unit = "H100-equivalents" if inputs.plan.gpu_type else "GPUs"
    rows: list[list[Cell]] = [
        [
            r["region"],
            r["largest_block"] or MISSING,
            fmt_gpus(r["largest_block_gpus"]),
            Badge("pass") if r["holds"] else Badge("fail"),
            dated(r["first_short_date"]),
            fmt_gpus(r["max_shortfall_gpus"]) if not r["holds"] else MISSING,
            dated(r["short_anyway"]),
        ]
        for r in n_plus_one_view(inputs).iter_rows(named=True)
    ]
    # Each day loses its own largest block: the one named is lost on the first short day.
    headers = [
        "region",
        "block lost (first short day)",
        "its GPUs",
        "N+1",
        "short from, each day's largest lost",
        # Over the plan to its end: growth as much as the loss.
        f"largest shortfall to the plan's end, each day's largest lost, {unit}",
        "short from, nothing lost",
    ]
    return Table.of(headers, rows, numeric=(2, 5), empty="no N+1 check in this run")


def in_service_text(
    row: dict[str, Any], *, later: bool = False, new_site: str | None = None
) -> str:
    """An order's arrival, and when its site's power lets it serve where that is later: an
    order waiting for power serves from then, not from its arrival (the facilities page
    printed the arrival under "in service" beside finance's "no power for it in the plan").
    ``row`` is a trigger's (with :func:`~forecasting.report.inputs.with_power`'s columns), or
    with ``later`` a plan order's, which stores no planned power date but ``runs_from``.

    Blocks past their site's ceiling read "a new site is needed" (they read "no power yet");
    blocks that wait for power no plan has say when they can run at the earliest (an order-by
    date alone was given for blocks that would stand dark 20 months). ``new_site``: when those
    blocks arrive with the new site their region declares
    (:func:`~forecasting.triggers.new_site_arrival`), where it dates them."""
    arrives = fmt_date(row["arrives"])
    beyond = row.get("blocks_beyond_ceiling") or 0
    runs_from = row.get("runs_from")
    if beyond:
        blocks = row.get("blocks") or row.get("blocks_to_order") or 0
        if beyond >= blocks and row.get("order_by") is None:
            # No site can power it: its stored arrival is its shortfall's, no delivery date,
            # unless a declared new site dates it (as the order-by column does).
            if new_site:
                return f"all past {row['site']}'s ceiling: {new_site}"
            return (
                f"none: all past {row['site']}'s ceiling, {NEW_SITE}; no arrival until one is "
                "planned"
            )
        text = f"{arrives}; {beyond:,} of {blocks:,} past {row['site']}'s ceiling: " + (
            f"they arrive {new_site}" if new_site else NEW_SITE
        )
        if runs_from is not None:
            text += f"; the rest run from {fmt_date(runs_from)} at the earliest"
        return text
    if later:
        if row["powered"] is not False:
            return arrives
        if runs_from is not None and runs_from > row["arrives"]:
            return f"{arrives}, no power yet: runs from {fmt_date(runs_from)} at the earliest"
        if runs_from is not None:
            return f"{arrives}, no power yet: {RUNS_ON_ARRIVAL} (see the power triggers)"
        return f"{arrives}, no power yet (see the power triggers)"
    if row["powered_from"]:
        return f"{arrives}, {waiting_part(row)}no power until {fmt_date(row['powered_from'])}"
    if row["blocks_to_order"] and row["powered"] is False:
        text = f"{arrives}, {waiting_part(row)}no power for it in the plan"
        if runs_from is not None and runs_from > row["arrives"]:
            text += f": runs from {fmt_date(runs_from)} at the earliest (power contracted today)"
        elif runs_from is not None:
            # Not red for power: the bare words sat beside a green status with nothing to act on.
            text += f": {RUNS_ON_ARRIVAL} (see power)"
        return text
    return arrives


def past_the_horizon(row: dict[str, Any], *, end: date | None) -> str:
    """'; not within the horizon (the plan ends <end>)' beside the arrival of a plan order
    (PLACEMENTS row) whose blocks run only after ``end``, the plan's last day (from
    ``runs_from``, or its arrival where that is not stored); '' else. The forecast does not
    reach the day they run: a later order's arrival and capital read as the plan's."""
    runs = row.get("runs_from") or row.get("arrives")
    if end is None or not isinstance(runs, date) or runs <= end:
        return ""
    return f"; not within the horizon (the plan ends {fmt_date(end)})"


@dataclass(frozen=True, slots=True)
class Changes:
    """The "what changed" section: a note and the moved triggers, or None on a first run."""

    note: str
    table: Table | None
    power: Table | None = None  # sites whose power status moved; None when none did
    drills: Table | None = None  # drills whose verdict flipped; None when none did
    # Regions whose new site's start-by, status or run-out day moved; None when none did.
    construction: Table | None = None


def changes_view(inputs: ReportInputs) -> Changes:
    """What changed in the triggers since the previous run."""
    n = inputs.reruns_skipped
    # A report made again reads past its identical predecessors, and says so.
    again = (
        f" {n} earlier report{'s' if n != 1 else ''} of this forecast run and settings, "
        "with the same statuses and verdicts, not compared."
        if n
        else ""
    )
    if inputs.previous_triggers.is_empty() and inputs.previous_run_id is None:
        return Changes(f"No earlier report by as-of day: nothing to compare with.{again}", None)
    end, end_before = daily_end(inputs), inputs.previous_daily_end
    changes = trigger_changes(
        inputs.triggers, inputs.previous_triggers, daily_end_now=end, daily_end_before=end_before
    )
    moved = changes.filter(pl.col("change") != "unchanged")
    quiet = changes.height - moved.height
    # With no earlier forecast run, a run reported again is compared with its own first report
    # (runs.reports): "Compared with run <this very run>" read as another run.
    against = (
        "this run's earlier report"
        if inputs.previous_run_id == inputs.run_id
        else f"run {inputs.previous_run_id}"
        + (f" (as of {fmt_date(inputs.previous_as_of)})" if inputs.previous_as_of else "")
    )
    since = f"Compared with {against}." if inputs.previous_run_id else ""
    if inputs.changed_inputs:
        since += (
            f" The two runs differ in {'; '.join(inputs.changed_inputs)}: changes below may "
            "come from that, not from demand."
        )
    if inputs.changed_versions:
        since += f" {version_caveat(inputs.changed_versions)}"
    if inputs.construction_not_recorded:
        # Nothing to compare with, which is not "no new site changed".
        since += (
            " New sites not compared: construction not recorded for "
            f"{' and '.join(inputs.construction_not_recorded)}."
        )
    # A vacant region's green is no verdict: its row reads "not verified", as in the orders
    # tables (it read "– → green" here).
    vacant = set(vacant_regions(inputs))
    rows = [
        [
            r["region"],
            r["pool"],
            r["change"],
            (
                Badge(r["status_before"]),
                " → ",
                Stacked(Badge(NOT_VERIFIED), VACANT)
                if r["region"] in vacant and r["status_now"] is not None
                else Badge(r["status_now"]),
            ),
            f"{fmt_day_or_month(r['exhaustion_before'], daily_end=end_before)} → "
            f"{fmt_day_or_month(r['exhaustion_now'], daily_end=end)}",
            fmt_days(r["exhaustion_shift_days"]),
            f"{fmt_date(r['order_by_before'])} → {fmt_date(r['order_by_now'])}"
            # Due before the next scheduled report, as the orders tables say it: the row
            # read like any other.
            + next_report_words(
                r["order_by_now"], as_of=inputs.as_of, next_report=inputs.next_report, lead=", "
            ),
            _order_by_shift(r, as_of=inputs.as_of),
            f"{fmt_count(r['blocks_before'])} → {fmt_count(r['blocks_now'])}",
        ]
        for r in moved.iter_rows(named=True)
    ]
    note = f"{since} {quiet} trigger{'s' if quiet != 1 else ''} unchanged.{again}".strip()
    headers = [
        "region",
        "pool",
        "change",
        "status",
        "exhaustion",
        "shift",
        "order by",
        "shift",
        "blocks to order",
    ]
    return Changes(
        note,
        Table.of(headers, rows, numeric=(5, 7), empty="no trigger changed"),
        _power_changes_table(
            inputs.power_changes, as_of=inputs.as_of, next_report=inputs.next_report
        ),
        _drill_changes_table(inputs.drill_changes),
        _construction_changes_table(
            inputs.construction_changes,
            daily_ends=(end_before, end),
            as_of=inputs.as_of,
            next_report=inputs.next_report,
        ),
    )


def _order_by_shift(row: dict[str, Any], *, as_of: date | None = None) -> Cell:
    """An order-by's shift in days, and on a row whose status worsened, why a later date is
    not more time: "+425 d" stood under "positive means later, i.e. more time" for a pool gone
    green -> red whose order now waits on power. On a row whose status improved while its
    order-by moved earlier, to a day already past ``as_of``, that it is no better: a 14-day
    run read "red -> amber" beside a 26-week one, the order 136 days earlier and 70 days late.
    """
    shift = fmt_days(row["order_by_shift_days"])
    moved = row["order_by_shift_days"] or 0
    now = row["order_by_now"]
    improved = row["status_before"] != row["status_now"] and not row["worsened"]
    if improved and moved < 0 and as_of is not None and now is not None and now < as_of:
        late = (as_of - now).days
        return Stacked(
            shift,
            f"no better: status {row['status_before']} → {row['status_now']}, but the order-by "
            f"is {days_count(late)} past",
        )
    if not row["worsened"] or not moved > 0:
        return shift
    why = f"not more time: status {row['status_before']} → {row['status_now']}"
    if row["powered_from_now"] is not None:
        why += f"; the order now waits on power (from {fmt_date(row['powered_from_now'])})"
    return Stacked(shift, why)


def _drill_changes_table(flipped: pl.DataFrame) -> Table | None:
    """The drills whose verdict flipped, or None when none did (`fleetcast status` listed
    them and raised an alert while the page said nothing of them)."""
    if flipped.is_empty():
        return None
    rows = [
        [r["drill"], f"{r['verdict_before']} → {r['verdict_now']}"]
        for r in flipped.iter_rows(named=True)
    ]
    return Table.of(["drill", "verdict"], rows, empty="no drill verdict flipped")


def _construction_changes_table(
    moved: pl.DataFrame,
    *,
    daily_ends: tuple[date | None, date | None],
    as_of: date | None = None,
    next_report: date | None = None,
) -> Table | None:
    """The regions whose new site's start-by, status or the day their sites' ceilings run out
    moved, or None when none did; a start-by now due before ``next_report`` says so
    (:func:`next_report_words`)."""
    if moved.is_empty():
        return None
    before_end, now_end = daily_ends
    rows = [
        [
            r["region"],
            r["change"],
            (Badge(r["status_before"]), " → ", Badge(r["status_now"])),
            f"{fmt_date(r['start_by_before'])} → {fmt_date(r['start_by_now'])}"
            + next_report_words(r["start_by_now"], as_of=as_of, next_report=next_report, lead=", "),
            f"{fmt_day_or_month(r['exhaustion_before'], daily_end=before_end)} → "
            f"{fmt_day_or_month(r['exhaustion_now'], daily_end=now_end)}",
        ]
        for r in moved.iter_rows(named=True)
    ]
    headers = ["region", "change", "new site status", "start a new site by", "ceilings run out"]
    return Table.of(headers, rows, empty="no region's new site changed")


def _power_changes_table(
    moved: pl.DataFrame, *, as_of: date | None = None, next_report: date | None = None
) -> Table | None:
    """The sites whose "contract power by" status moved, or None when none did; a contract-by
    now due before ``next_report`` says so (:func:`next_report_words`)."""
    if moved.is_empty():
        return None
    rows = [
        [
            r["region"],
            r["site"],
            r["change"],
            (Badge(r["status_before"]), " → ", Badge(r["status_now"])),
            f"{fmt_date(r['contract_by_before'])} → {fmt_date(r['contract_by_now'])}"
            + next_report_words(
                r["contract_by_now"], as_of=as_of, next_report=next_report, lead=", "
            ),
            f"{fmt_date(r['exhaustion_before'])} → {fmt_date(r['exhaustion_now'])}",
        ]
        for r in moved.iter_rows(named=True)
    ]
    headers = ["region", "site", "change", "power status", "contract power by", "MW exhausted"]
    return Table.of(headers, rows, empty="no site's power status changed")


def cut_short_text(days: int, *, reached: float | None, hours: int | None) -> str:
    """Why a drill the horizon cut short has no revenue figures, from its stored fields (the
    horizon that plays it whole, how far a ramp got, the hours played)."""
    level = f" at {reached:.2f}x" if reached is not None else ""
    played = f" of the {hours / 24:,.0f} days played," if hours else ""
    return (
        f"cut short{level} by the horizon: its revenue at risk would be{played} not the "
        f"whole shock's (forecast at least {days_count(days)} ahead, `--horizon {days}`, to play "
        "it whole)"
    )


def revenue_cut_short(answers: pl.DataFrame) -> dict[str, str]:
    """Per drill the horizon cut short whose verdict stands (a failing one: its stored
    ``horizon_days_needed``), why its revenue at risk is not figures: a 400-day spike played
    for 182 days read +$156.8M as the shock's cost. Drills "not verified" outright say so
    themselves."""
    from forecasting.schema import NOT_VERIFIED

    if "horizon_days_needed" not in answers.columns:
        return {}
    cut = answers.filter(
        pl.col("horizon_days_needed").is_not_null()
        & pl.col("verdict").ne_missing(pl.lit(NOT_VERIFIED))
    )
    return {
        drill: cut_short_text(needed, reached=reached, hours=hours)
        for drill, needed, reached, hours in cut.select(
            "drill", "horizon_days_needed", "shock_reached", "window_hours"
        ).iter_rows()
    }
