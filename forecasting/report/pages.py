"""HTML pages for finance, facilities and the platform team, and the two index pages.

Pages are plain HTML with one stylesheet inline. Figures are not inlined as scripts: their
JSON sits in one ``application/json`` block and a single nonce-carrying script draws them,
so the page can ship a Content-Security-Policy that refuses every other script. Escaping
(format.html_text / plot_text) is the defence; the policy is the second line.

Every page's ``<body>`` carries ``data-figures``, the number of figures it draws, and every
figure a ``data-figure`` key, so a test can check that each one rendered.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import plotly.io as pio
import polars as pl

from forecasting.capacity import ALL_CLASSES
from forecasting.report.changes import trigger_changes
from forecasting.report.figures import (
    Chart,
    backlog_chart,
    capital_chart,
    concentration_charts,
    fan_chart,
    orders_chart,
    site_power_chart,
    slo_chart,
)
from forecasting.report.format import (
    MISSING,
    fmt_count,
    fmt_date,
    fmt_datetime,
    fmt_days,
    fmt_gpu_hours,
    fmt_gpus,
    fmt_hhi,
    fmt_hours,
    fmt_multiplier,
    fmt_mw,
    fmt_pct,
    fmt_usd,
    html_text,
)
from forecasting.report.inputs import STATUSES, ReportInputs
from forecasting.schema import SEP, BlockStatus, Measure, WorkloadClass

__all__ = [
    "PAGES",
    "PLOTLY_JS",
    "Html",
    "RunEntry",
    "facilities_page",
    "finance_page",
    "fmt_kpi",
    "platform_page",
    "run_index_page",
    "runs_index_page",
]

PLOTLY_JS = "plotly.min.js"
# File name -> (link text, who reads it).
PAGES: dict[str, tuple[str, str]] = {
    "finance.html": ("Finance", "orders to place, capital by quarter, revenue and idle risk"),
    "facilities.html": ("Facilities", "megawatts per site by month, blocks and in-service dates"),
    "platform.html": ("Platform", "demand against capacity, drill verdicts, forecast accuracy"),
}
_CLASS_ORDER = [c.value for c in WorkloadClass]


class Html(str):
    """Markup assembled here from escaped parts; inserted into a page as it is."""

    __slots__ = ()


def _text(value: object) -> str:
    return value if isinstance(value, Html) else html_text(value)


def _join(parts: Iterable[str]) -> Html:
    return Html("".join(_text(p) for p in parts))


def _tag(name: str, *content: object, cls: str | None = None) -> Html:
    attrs = f' class="{html_text(cls)}"' if cls else ""
    return Html(f"<{name}{attrs}>" + "".join(_text(c) for c in content) + f"</{name}>")


def _no_data(what: str) -> Html:
    return _tag("p", f"No data: {what}.", cls="no-data")


def _badge(status: object) -> Html:
    if status is None:
        return Html(MISSING)
    label = str(status)
    known = label if label in (*STATUSES, "pass", "fail") else "unknown"
    return _tag("span", label, cls=f"badge {known}")


def _verdict(passed: bool | None) -> Html:
    return _badge(None if passed is None else "pass" if passed else "fail")


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    numeric: Iterable[int] = (),
    wrap: Iterable[int] = (),
    empty: str,
) -> Html:
    """A table of formatted cells: ``numeric`` columns right-aligned, only ``wrap`` wrapping.

    Cells do not wrap by default, so a date or an amount never breaks across lines.
    """
    body = list(rows)
    if not body:
        return _no_data(empty)
    right, free = set(numeric), set(wrap)

    def cell(tag: str, i: int, value: object) -> str:
        cls = ' class="num"' if i in right else ' class="wrap"' if i in free else ""
        return f"<{tag}{cls}>{_text(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    lines = ["<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in body]
    return Html(
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>'
        + "".join(lines)
        + "</tbody></table></div>"
    )


def _class_key(name: str) -> tuple[int, str]:
    if name == ALL_CLASSES:
        return (-1, name)
    return (_CLASS_ORDER.index(name) if name in _CLASS_ORDER else len(_CLASS_ORDER), name)


@dataclass
class _Page:
    """Collects the figures a page draws while its sections are written."""

    charts: list[Chart] = field(default_factory=list)

    def chart(self, chart: Chart | None, *, missing: str) -> Html:
        if chart is None:
            return _no_data(missing)
        key = f"{len(self.charts)}-{chart.key}"
        self.charts.append(Chart(key, chart.figure, chart.takeaway))
        height = int(chart.figure.layout.height or 400)
        return Html(
            f'<figure class="chart"><div class="plot" data-figure="{html_text(key)}" '
            f'style="height:{height}px"></div>'
            f'<figcaption class="takeaway">{html_text(chart.takeaway)}</figcaption></figure>'
        )

    def charts_or_none(self, charts: Sequence[Chart], *, missing: str) -> Html:
        if not charts:
            return _no_data(missing)
        return _join(self.chart(c, missing=missing) for c in charts)


def _section(title: str, *content: str, intro: str | None = None) -> Html:
    lead = _tag("p", intro, cls="intro") if intro else ""
    return _tag("section", _tag("h2", title), lead, *content)


def _figures_json(charts: Sequence[Chart]) -> str:
    """All figures as one JSON object, safe inside a <script> element."""
    body = ",".join(f"{json.dumps(c.key)}:{pio.to_json(c.figure, validate=False)}" for c in charts)
    # JSON allows these as escapes; the HTML parser then never sees a tag or an entity.
    return (
        ("{" + body + "}").replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )


_STYLE = """
:root { --ink:#1d2330; --muted:#5b6475; --line:#dde1e8; --bg:#f6f7f9; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  color:var(--ink); background:var(--bg); }
header { background:#1d2330; color:#fff; padding:14px 28px; }
header h1 { margin:0; font-size:20px; }
header .meta { color:#c8cedb; font-size:12px; margin-top:4px; }
nav { margin-top:8px; }
nav a { color:#fff; margin-right:18px; text-decoration:none; border-bottom:1px solid #7d89a3; }
nav a.here { border-bottom:2px solid #fff; font-weight:600; }
main { max-width:1200px; margin:0 auto; padding:8px 28px 40px; }
section { background:#fff; border:1px solid var(--line); border-radius:6px; padding:6px 20px 16px;
  margin:18px 0; }
h2 { font-size:17px; margin:12px 0 8px; }
h3 { font-size:14px; margin:14px 0 6px; }
p.intro, p.note { color:var(--muted); margin:4px 0 10px; }
.banner { padding:10px 28px; font-weight:600; }
.banner.stale { background:#fff4d6; color:#6b4b00; border-bottom:1px solid #e9c46a; }
figure.chart { margin:12px 0 20px; }
figcaption.takeaway { font-weight:600; margin-top:4px; }
.table-wrap { overflow-x:auto; }
table { border-collapse:collapse; width:100%; margin:6px 0 12px; font-size:13px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line);
  vertical-align:top; white-space:nowrap; }
td.wrap { white-space:normal; min-width:14em; }
th { background:#f0f2f5; font-weight:600; white-space:nowrap; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
td small { color:var(--muted); }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px;
  font-weight:600; color:#fff; background:#888; }
.badge.green, .badge.pass { background:#2e7d32; }
.badge.amber { background:#ef8f00; }
.badge.red, .badge.fail { background:#c62828; }
.no-data { color:var(--muted); font-style:italic; }
.cards { display:flex; flex-wrap:wrap; gap:12px; margin:10px 0; }
.card { flex:1 1 200px; border:1px solid var(--line); border-radius:6px; padding:10px 14px;
  background:#fafbfc; }
.card .big { font-size:20px; font-weight:700; }
.card .label { color:var(--muted); font-size:12px; }
"""

# Draws every figure of the page from the JSON block; the only inline script on a page.
_RENDER = """
const specs = JSON.parse(document.getElementById('figures').textContent);
for (const el of document.querySelectorAll('[data-figure]')) {
  const spec = specs[el.dataset.figure];
  Plotly.newPlot(el, spec.data, spec.layout, {displaylogo: false, responsive: true});
}
"""


def _nav(here: str) -> Html:
    links = [("index.html", "Summary")] + [(f, t) for f, (t, _) in PAGES.items()]
    items = [
        f'<a href="{html_text(f)}"{" class=here" if f == here else ""}>{html_text(t)}</a>'
        for f, t in links
    ]
    items.append('<a href="../index.html">All runs</a>')
    return Html("<nav>" + "".join(items) + "</nav>")


def _stale_banner(inputs: ReportInputs) -> Html:
    if not inputs.stale:
        return Html("")
    return _tag(
        "div",
        f"Stale data: the newest telemetry is {inputs.stale_days} days old. Forecasts, triggers "
        "and drills in this report do not see what happened since.",
        cls="banner stale",
    )


def _document(
    inputs: ReportInputs, *, file: str, title: str, body: Sequence[str], page: _Page
) -> str:
    """A whole page: head with the policy, header, banner, sections, figures."""
    nonce = secrets.token_urlsafe(16)
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
        "img-src data:; font-src data:; base-uri 'none'; form-action 'none'"
    )
    scripts = ""
    if page.charts:
        scripts = (
            f'<script type="application/json" id="figures">{_figures_json(page.charts)}</script>'
            f'<script nonce="{nonce}">{_RENDER}</script>'
        )
    head_script = f'<script nonce="{nonce}" src="{PLOTLY_JS}"></script>' if page.charts else ""
    meta = (
        f"run {inputs.run_id} · as of {fmt_date(inputs.as_of)} · generated "
        f"{fmt_datetime(inputs.generated_at)}"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html_text(title)} · fleetcast {html_text(inputs.run_id)}</title>"
        f"<style>{_STYLE}</style>{head_script}</head>"
        f'<body data-figures="{len(page.charts)}">'
        f"<header><h1>{html_text(title)}</h1>"
        f'<div class="meta">{html_text(meta)}</div>{_nav(file)}</header>'
        f"{_stale_banner(inputs)}<main>{_join(body)}</main>{scripts}</body></html>\n"
    )


# --- shared pieces --------------------------------------------------------------------------------


def _total(frame: pl.DataFrame, column: str) -> float:
    """The sum of a numeric column as a float (0 for an empty frame)."""
    return float(frame[column].cast(pl.Float64).sum())


def _month(day: date) -> str:
    return day.strftime("%b %Y")


def _signed_gpus(value: float | None) -> str:
    return MISSING if value is None else ("+" if value > 0 else "") + fmt_gpus(value)


def _changes_section(inputs: ReportInputs) -> Html:
    title = "What changed since the last run"
    if inputs.previous_triggers.is_empty() and inputs.previous_run_id is None:
        return _section(title, _tag("p", "First run: nothing to compare with.", cls="note"))
    changes = trigger_changes(inputs.triggers, inputs.previous_triggers)
    moved = changes.filter(pl.col("change") != "unchanged")
    quiet = changes.height - moved.height
    since = f"Compared with run {inputs.previous_run_id}." if inputs.previous_run_id else ""
    rows = [
        [
            r["region"],
            r["pool"],
            r["change"],
            _join([_badge(r["status_before"]), " → ", _badge(r["status_now"])]),
            f"{fmt_date(r['exhaustion_before'])} → {fmt_date(r['exhaustion_now'])}",
            fmt_days(r["exhaustion_shift_days"]),
            f"{fmt_date(r['order_by_before'])} → {fmt_date(r['order_by_now'])}",
            fmt_days(r["order_by_shift_days"]),
            f"{fmt_count(r['blocks_before'])} → {fmt_count(r['blocks_now'])}",
        ]
        for r in moved.iter_rows(named=True)
    ]
    note = f"{since} {quiet} trigger{'s' if quiet != 1 else ''} unchanged.".strip()
    return _section(
        title,
        _tag("p", note, cls="note"),
        _table(
            [
                "region",
                "pool",
                "change",
                "status",
                "exhaustion",
                "shift",
                "order by",
                "shift",
                "blocks to order",
            ],
            rows,
            numeric=(5, 7),
            empty="no trigger changed",
        ),
        intro="Shifts are in days; positive means later, i.e. more time.",
    )


# --- finance --------------------------------------------------------------------------------------


def _blocks(row: dict[str, Any]) -> str:
    """'2 × pod-h100-1024', or 'none' when nothing is to be ordered."""
    count = row["blocks_to_order"] or 0
    return f"{fmt_count(count)} × {row['candidate'] or 'block'}" if count else "none"


def _orders_table(triggers: pl.DataFrame) -> Html:
    rows = [
        [
            r["region"],
            r["pool"],
            _badge(r["status"]),
            fmt_date(r["order_by"]),
            fmt_date(r["exhaustion_date"]),
            fmt_date(r["arrives"]),
            _blocks(r),
            fmt_usd(r["capex_usd"]) if r["blocks_to_order"] else MISSING,
            fmt_mw(r["mw"]) if r["blocks_to_order"] else MISSING,
            fmt_gpus(r["max_shortfall_gpus"]),
            r["note"] or "",
        ]
        for r in triggers.sort("order_by", "region", "pool", nulls_last=True).iter_rows(named=True)
    ]
    return _table(
        [
            "region",
            "pool",
            "status",
            "order by",
            "exhausted",
            "arrives",
            "blocks",
            "capex",
            "power",
            "max shortfall (GPUs)",
            "note",
        ],
        rows,
        numeric=(7, 8, 9),
        wrap=(10,),
        empty="no expansion triggers in this run",
    )


def _finance_cards(inputs: ReportInputs) -> Html:
    t = inputs.triggers
    ordering = t.filter(pl.col("blocks_to_order").fill_null(0) > 0)
    dated = t.filter(pl.col("order_by").is_not_null()).sort("order_by")
    next_order = (
        f"{fmt_date(dated['order_by'][0])} ({dated['region'][0]} · {dated['pool'][0]})"
        if dated.height
        else "none due"
    )
    cards = [
        ("worst trigger status", inputs.worst_status or "no triggers"),
        ("blocks to order", fmt_count(_total(ordering, "blocks_to_order"))),
        ("capital for them", fmt_usd(_total(ordering, "capex_usd"))),
        ("next order-by", next_order),
        ("capex at idle risk", fmt_usd(_total(inputs.idle_risk, "capex_at_risk_usd"))),
    ]
    return _cards(cards)


def _cards(cards: Sequence[tuple[str, str]]) -> Html:
    return Html(
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="big">{html_text(v)}</div>'
            f'<div class="label">{html_text(k)}</div></div>'
            for k, v in cards
        )
        + "</div>"
    )


def _revenue_table(kpis: pl.DataFrame) -> Html:
    risk = kpis.filter(pl.col("kpi") == "revenue_at_risk_usd")
    ordered = sorted(
        risk.iter_rows(named=True), key=lambda r: (r["drill"], _class_key(r["workload_class"]))
    )
    rows = [
        [
            r["drill"],
            "all classes" if r["workload_class"] == ALL_CLASSES else r["workload_class"],
            fmt_usd(r["mean"]),
            fmt_usd(r["p50"]),
            fmt_usd(r["p90"]),
        ]
        for r in ordered
    ]
    return _table(
        ["drill", "class", "mean", "P50", "P90"],
        rows,
        numeric=(2, 3, 4),
        empty="no drill reported revenue at risk",
    )


def _idle_table(idle: pl.DataFrame) -> Html:
    rows = [
        [
            r["block_id"],
            r["region"],
            r["site"],
            r["kind"],
            fmt_date(r["in_service"]),
            fmt_gpus(r["gpus"]),
            fmt_gpus(r["idle_gpus"]),
            fmt_pct(r["idle_share"]),
            fmt_usd(r["capex_at_risk_usd"]),
            r["note"] or "",
        ]
        for r in idle.sort("capex_at_risk_usd", descending=True, nulls_last=True).iter_rows(
            named=True
        )
    ]
    return _table(
        [
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
        ],
        rows,
        numeric=(5, 6, 7, 8),
        wrap=(9,),
        empty="no committed capacity at idle risk",
    )


def _drivers_table(drivers: pl.DataFrame, *, top: int = 15) -> Html:
    rows = [
        [
            r["region"],
            r["pool"],
            r["workload_class"],
            r["customer"],
            _signed_gpus(r["growth_gpus"]),
            fmt_pct(r["share"]),
        ]
        for r in drivers.sort("growth_gpus", descending=True, nulls_last=True)
        .head(top)
        .iter_rows(named=True)
    ]
    return _table(
        ["region", "pool", "class", "customer", "growth (GPUs)", "share of growth"],
        rows,
        numeric=(4, 5),
        empty="no growth drivers in this run",
    )


def _concentration_table(concentration: pl.DataFrame) -> Html:
    """Per scope and metric: the last history value and the forecast q50 at horizon end."""
    rows = []
    for (scope, metric), part in concentration.sort("ds").group_by(
        "scope", "metric", maintain_order=True
    ):
        show: Callable[[float | None], str] = fmt_hhi if metric == "hhi" else fmt_pct
        past = part.filter(pl.col("source") == "history")
        ahead = part.filter(pl.col("source") == "forecast")
        rows.append(
            [
                str(scope),
                {"top1_share": "top-1 share", "top5_share": "top-5 share"}.get(str(metric), "HHI"),
                show(past["value"][-1]) if past.height else MISSING,
                fmt_date(past["ds"][-1]) if past.height else MISSING,
                show(ahead["q50"][-1]) if ahead.height else MISSING,
                (
                    f"{show(ahead['q10'][-1])} – {show(ahead['q90'][-1])}"
                    if ahead.height
                    else MISSING
                ),
                fmt_date(ahead["ds"][-1]) if ahead.height else MISSING,
            ]
        )
    rows.sort(key=lambda r: (_class_key("all" if r[0] in ("overall", "all") else r[0]), r[1]))
    return _table(
        ["scope", "metric", "last history", "on", "forecast q50", "q10 – q90", "by"],
        rows,
        numeric=(2, 4, 5),
        empty="no concentration figures",
    )


def finance_page(inputs: ReportInputs) -> str:
    """Orders and capital, revenue and idle risk, concentration, and what changed."""
    page = _Page()
    t = inputs.triggers
    body = [
        _section("At a glance", _finance_cards(inputs)),
        _section(
            "Orders to place",
            page.chart(orders_chart(t, as_of=inputs.as_of), missing="no order-by dates"),
            _orders_table(t),
            intro="Red: the order-by date has passed, a shortfall comes whatever is ordered now. "
            "Amber: inside the safety buffer. Green: comfortably ahead.",
        ),
        _section(
            "Capital by quarter",
            page.chart(capital_chart(t, as_of=inputs.as_of), missing="no blocks to order"),
        ),
        _section(
            "Revenue at risk in shock drills",
            _revenue_table(inputs.drill_kpis),
            intro="Unmet GPU-hours priced at each class's rate, over the drill window.",
        ),
        _section(
            "Idle risk",
            _idle_table(inputs.idle_risk),
            intro="Committed capacity that even low demand (P10) will not fill: capital standing "
            "idle.",
        ),
        _section(
            "Concentration of demand",
            page.charts_or_none(
                concentration_charts(inputs.concentration),
                missing="no fleet-wide concentration figures",
            ),
            _concentration_table(inputs.concentration),
            _tag("h3", "Who drives the growth"),
            _drivers_table(inputs.drivers),
        ),
        _changes_section(inputs),
    ]
    return _document(
        inputs, file="finance.html", title="Finance: orders, capital and risk", body=body, page=page
    )


# --- facilities -----------------------------------------------------------------------------------


def _facilities_cards(inputs: ReportInputs) -> Html:
    power = inputs.mw_by_site_month
    ordering = inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)
    if power.height:
        months = power["month"].sort().to_list()
        first, last = months[0], months[-1]
        span = [
            (
                f"in service, {_month(first)}",
                fmt_mw(_total(power.filter(pl.col("month") == first), "mw_in_service")),
            ),
            (
                f"needed by {_month(last)}",
                fmt_mw(_total(power.filter(pl.col("month") == last), "mw_needed")),
            ),
        ]
    else:
        span = [("power by month", "no data")]
    return _cards(
        [
            *span,
            ("power in orders to place", fmt_mw(_total(ordering, "mw"))),
            ("sites", fmt_count(power["site"].n_unique())),
        ]
    )


def _blocks_table(inputs: ReportInputs) -> Html:
    """Committed and retiring blocks from the plan, then blocks still to order."""
    rows: list[tuple[date, list[object]]] = []
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
    for r in inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0).iter_rows(
        named=True
    ):
        per_block = sizes.get(r["candidate"] or "")
        gpus = per_block * r["blocks_to_order"] if per_block else None
        rows.append(
            (
                r["arrives"] or inputs.as_of,
                [
                    _blocks(r),
                    r["kind"] or MISSING,
                    r["region"],
                    "to be sited",
                    fmt_gpus(gpus),
                    fmt_mw(r["mw"]),
                    _join(["to order ", _badge(r["status"])]),
                    fmt_date(r["arrives"]),
                    MISSING,
                    fmt_date(r["order_by"]),
                ],
            )
        )
    rows.sort(key=lambda item: item[0])
    return _table(
        [
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
        ],
        [r for _, r in rows],
        numeric=(4, 5),
        empty="no committed blocks and nothing to order",
    )


def _power_orders_table(triggers: pl.DataFrame) -> Html:
    rows = [
        [
            fmt_mw(r["mw"]),
            r["region"],
            r["pool"],
            _blocks(r),
            fmt_date(r["order_by"]),
            fmt_date(r["arrives"]),
            _badge(r["status"]),
        ]
        for r in triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)
        .sort("mw", descending=True, nulls_last=True)
        .iter_rows(named=True)
    ]
    return _table(
        ["power", "region", "pool", "blocks", "order by", "in service", "status"],
        rows,
        numeric=(0,),
        empty="no blocks to order",
    )


def facilities_page(inputs: ReportInputs) -> str:
    """Megawatts per site by month, committed blocks and arrivals, power-heavy orders."""
    page = _Page()
    power = inputs.mw_by_site_month
    sites = (
        power.group_by("site")
        .agg(pl.col("mw_needed").max())
        .sort("mw_needed", descending=True)["site"]
        .to_list()
    )
    charts = [site_power_chart(power, site=s, key=f"site-{i}") for i, s in enumerate(sites)]
    body = [
        _section("At a glance", _facilities_cards(inputs)),
        _section(
            "Power needed per site by month",
            page.charts_or_none([c for c in charts if c], missing="no power figures by site"),
            intro="Facility MW (cooling included) of blocks in service and of blocks ordered or to "
            "order, by the month they are in service. Sites with the most power needed come first.",
        ),
        _section("Blocks and in-service dates", _blocks_table(inputs)),
        _section(
            "Orders by power draw",
            _power_orders_table(inputs.triggers),
            intro="The heaviest orders first: these need power and cooling ready on arrival.",
        ),
    ]
    return _document(
        inputs,
        file="facilities.html",
        title="Facilities: power, blocks and dates",
        body=body,
        page=page,
    )


# --- platform -------------------------------------------------------------------------------------


def _fan_charts(inputs: ReportInputs) -> list[Chart]:
    """One fan chart per region (all classes) and per region and class with any data."""
    ids = set(inputs.history["unique_id"].unique().to_list()) | set(
        inputs.forecast["unique_id"].unique().to_list()
    )
    pairs: set[tuple[str, str]] = set()
    for uid in ids:
        parts = uid.split(SEP)
        if len(parts) == 2:
            pairs.add((parts[1], ALL_CLASSES))
        elif len(parts) == 3:
            pairs.add((parts[1], parts[2]))
    charts = []
    for i, (region, cls) in enumerate(sorted(pairs, key=lambda p: (p[0], _class_key(p[1])))):
        policy = inputs.plan.policy.get(WorkloadClass(cls)) if cls in _CLASS_ORDER else None
        chart = fan_chart(
            key=f"fan-{i}",
            history=inputs.history,
            forecast=inputs.forecast,
            capacity=inputs.capacity,
            region=region,
            workload_class=cls,
            headroom=policy.headroom if policy else 0.0,
        )
        if chart:
            charts.append(chart)
    return charts


def _answers_table(answers: pl.DataFrame) -> Html:
    rows = [
        [
            r["drill"],
            r["description"],
            r["target"],
            fmt_date(r["shock_start"]),
            _verdict(r["passed"]),
            fmt_multiplier(r["breaking_multiplier"]),
            r["blocks_needed"] or MISSING,
            fmt_usd(r["capex_needed_usd"]),
        ]
        for r in answers.iter_rows(named=True)
    ]
    return _table(
        [
            "drill",
            "shock",
            "target",
            "starts",
            "verdict",
            "breaks at",
            "blocks to pass",
            "capex to pass",
        ],
        rows,
        numeric=(5, 7),
        wrap=(1, 6),
        empty="no drills in this run",
    )


def _verdicts_table(verdicts: pl.DataFrame) -> Html:
    classes = sorted(verdicts["workload_class"].unique().to_list(), key=_class_key)
    rows = []
    for (drill,), part in verdicts.group_by("drill", maintain_order=True):
        by_class = {r["workload_class"]: r for r in part.iter_rows(named=True)}
        cells: list[object] = [str(drill)]
        for cls in classes:
            r = by_class.get(cls)
            cells.append(
                _join(
                    [
                        _verdict(r["passed"]),
                        Html("<br><small>"),
                        f"{fmt_pct(r['attainment_p90_paths'])} of "
                        f"{fmt_pct(r['slo_target'], digits=0)}",
                        Html("</small>"),
                    ]
                )
                if r
                else MISSING
            )
        rows.append(cells)
    return _table(["drill", *classes], rows, empty="no drill verdicts")


_KPI_LABELS = {
    "unmet_gpu_hours": "unmet demand",
    "peak_backlog_gpu_hours": "peak backlog",
    "queue_delay_hours": "queue delay",
    "time_to_absorb_hours": "time to absorb",
    "preempted_gpu_hours": "preempted",
    "revenue_at_risk_usd": "revenue at risk",
    "slo_attainment": "SLO attainment",
}


def fmt_kpi(kpi: str, value: float | None) -> str:
    """A drill KPI in its unit, read from the KPI's name."""
    if kpi.endswith("_usd"):
        return fmt_usd(value)
    if kpi.endswith("gpu_hours"):
        return fmt_gpu_hours(value)
    if kpi.endswith("_hours"):
        return fmt_hours(value)
    if kpi.endswith(("_share", "attainment")) or "utilisation" in kpi:
        return fmt_pct(value)
    if kpi.endswith("_gpus"):
        return fmt_gpus(value)
    return MISSING if value is None else f"{value:,.2f}"


def _kpi_tables(kpis: pl.DataFrame) -> Html:
    if kpis.is_empty():
        return _no_data("no drill KPIs")
    known = list(_KPI_LABELS)
    parts = []
    for (drill,), part in kpis.group_by("drill", maintain_order=True):
        classes = sorted(part["workload_class"].unique().to_list(), key=_class_key)
        names = sorted(
            part["kpi"].unique().to_list(),
            key=lambda k: (k not in known, known.index(k) if k in known else 0, k),
        )
        cell = {(r["kpi"], r["workload_class"]): r for r in part.iter_rows(named=True)}
        rows = []
        for kpi in names:
            row: list[object] = [_KPI_LABELS.get(kpi, kpi.replace("_", " "))]
            for cls in classes:
                r = cell.get((kpi, cls))
                row.append(
                    _join(
                        [
                            fmt_kpi(kpi, r["mean"]),
                            Html("<br><small>"),
                            f"P90 {fmt_kpi(kpi, r['p90'])}",
                            Html("</small>"),
                        ]
                    )
                    if r
                    else MISSING
                )
            rows.append(row)
        headers = ["KPI (mean, P90)", *("all classes" if c == ALL_CLASSES else c for c in classes)]
        parts.append(
            _join(
                [
                    _tag("h3", f"Drill {drill}"),
                    _table(headers, rows, numeric=range(1, len(headers)), empty="no KPIs"),
                ]
            )
        )
    return _join(parts)


def _backlog_charts(inputs: ReportInputs) -> list[Chart]:
    failing = inputs.drill_answers.filter(~pl.col("passed").fill_null(False))["drill"].to_list()
    failing += inputs.drill_verdicts.filter(~pl.col("passed").fill_null(False))["drill"].to_list()
    seen = list(dict.fromkeys(failing))
    charts = [
        backlog_chart(inputs.drill_curves, drill=d, key=f"backlog-{i}") for i, d in enumerate(seen)
    ]
    return [c for c in charts if c]


def _level(uid: str) -> str:
    return ("total", "region", "region / class", "region / class / customer")[
        min(uid.count(SEP), 3)
    ]


def _accuracy_table(backtest: pl.DataFrame, chosen: pl.DataFrame) -> Html:
    """MASE of the chosen model against the seasonal naive, per level and measure."""
    if backtest.is_empty() or chosen.is_empty():
        return _no_data("no backtest scores")
    scores = backtest.group_by("unique_id", "measure", "model").agg(pl.col("mase").mean())
    picked = chosen.join(scores, on=["unique_id", "measure", "model"], how="left")
    naive = scores.filter(pl.col("model") == "seasonal_naive").select(
        "unique_id", "measure", pl.col("mase").alias("naive")
    )
    per_series = picked.join(naive, on=["unique_id", "measure"], how="left").with_columns(
        level=pl.col("unique_id").map_elements(_level, return_dtype=pl.String)
    )
    order = ["total", "region", "region / class", "region / class / customer"]
    summary = (
        per_series.group_by("level", "measure")
        .agg(
            series=pl.len(),
            chosen=pl.col("mase").median(),
            naive=pl.col("naive").median(),
            beats=(pl.col("mase") < pl.col("naive")).mean(),
            models=pl.col("model").value_counts(sort=True),
        )
        .with_columns(
            rank=pl.col("level").replace_strict(
                order, list(range(len(order))), return_dtype=pl.Int64
            )
        )
        .sort("rank", "measure")
    )
    rows = [
        [
            r["level"],
            r["measure"],
            fmt_count(r["series"]),
            MISSING if r["chosen"] is None else f"{r['chosen']:.2f}",
            MISSING if r["naive"] is None else f"{r['naive']:.2f}",
            fmt_pct(r["beats"], digits=0),
            ", ".join(f"{m['model']} ({m['count']})" for m in r["models"]),
        ]
        for r in summary.iter_rows(named=True)
    ]
    return _table(
        [
            "level",
            "measure",
            "series",
            "median MASE, chosen",
            "median MASE, seasonal naive",
            "series where chosen beats naive",
            "models chosen",
        ],
        rows,
        numeric=(2, 3, 4, 5),
        empty="no backtest scores",
    )


def platform_page(inputs: ReportInputs) -> str:
    """Demand against capacity, drill verdicts and KPIs, backlog, forecast accuracy."""
    page = _Page()
    has_failures = bool(
        inputs.drill_answers.filter(~pl.col("passed").fill_null(False)).height
        or inputs.drill_verdicts.filter(~pl.col("passed").fill_null(False)).height
    )
    body = [
        _changes_section(inputs),
        _section(
            "Peak demand against capacity",
            page.charts_or_none(_fan_charts(inputs), missing="no demand history or forecast"),
            intro=f"Daily peak-hour demand ({Measure.PEAK.value} measure): history, forecast "
            "median and the q10–q90 band, against GPUs in service that the class may use. "
            "Classes share blocks, so per-class capacities overlap.",
        ),
        _section("Shock drills", _answers_table(inputs.drill_answers)),
        _section(
            "SLO attainment",
            # Without verdicts the table below says so; one "no data" line is enough.
            page.chart(slo_chart(inputs.drill_verdicts), missing="no drill verdicts")
            if inputs.drill_verdicts.height
            else "",
            _verdicts_table(inputs.drill_verdicts),
            intro="A class passes when the share of hours its headroom holds, reached on 90% of "
            "paths, meets its SLO target.",
        ),
        _section("Drill KPIs", _kpi_tables(inputs.drill_kpis)),
        _section(
            "Backlog in failing drills",
            page.charts_or_none(
                _backlog_charts(inputs), missing="no failing drill with backlog curves"
            )
            if has_failures
            else _tag(
                "p",
                "Every drill passed."
                if inputs.drill_verdicts.height
                else "No data: no drills in this run.",
                cls="note" if inputs.drill_verdicts.height else "no-data",
            ),
        ),
        _section(
            "Forecast accuracy in backtests",
            _accuracy_table(inputs.backtest, inputs.chosen),
            intro="MASE below 1 beats last week's values repeated; the chosen model should beat "
            "the seasonal naive at most levels.",
        ),
    ]
    return _document(
        inputs,
        file="platform.html",
        title="Platform: demand, drills and accuracy",
        body=body,
        page=page,
    )


# --- index pages ----------------------------------------------------------------------------------


def run_index_page(inputs: ReportInputs) -> str:
    """The run's front page: the headline figures and links to the three readers' pages."""
    t = inputs.triggers
    counts = ", ".join(f"{t.filter(pl.col('status') == s).height} {s}" for s in reversed(STATUSES))
    failing = inputs.drill_answers.filter(~pl.col("passed").fill_null(False)).height
    links = _tag(
        "ul",
        *(
            Html(f'<li><a href="{html_text(f)}">{html_text(t_)}</a>: {html_text(what)}</li>')
            for f, (t_, what) in PAGES.items()
        ),
    )
    cards = _cards(
        [
            ("worst trigger status", inputs.worst_status or "no triggers"),
            ("triggers", counts if t.height else "none"),
            (
                "capital in orders to place",
                fmt_usd(_total(t.filter(pl.col("blocks_to_order").fill_null(0) > 0), "capex_usd")),
            ),
            (
                "drills failing",
                f"{failing} of {inputs.drill_answers.height}"
                if inputs.drill_answers.height
                else "no drills",
            ),
        ]
    )
    downloads = _tag(
        "p",
        Html(
            'Data: <a href="triggers.csv">triggers.csv</a> · '
            '<a href="triggers.json">triggers.json</a> · <a href="drills.csv">drills.csv</a>'
        ),
        cls="note",
    )
    body = [_section("Summary", cards, links, downloads), _changes_section(inputs)]
    return _document(
        inputs, file="index.html", title="fleetcast capacity report", body=body, page=_Page()
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
            Html(
                f'<a href="{html_text(r.folder)}/index.html">{html_text(r.run_id)}</a>'
                + (" <small>(latest)</small>" if r.folder == latest else "")
            ),
            fmt_date(r.as_of),
            fmt_datetime(r.generated_at),
            _badge(r.worst_status) if r.worst_status else "no triggers",
        ]
        for r in ordered
    ]
    table = _table(["run", "as of", "generated", "worst status"], rows, empty="no runs published")
    latest_link = (
        Html('<p class="note"><a href="latest/index.html">Open the latest run</a></p>')
        if latest
        else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>fleetcast reports</title><style>{_STYLE}</style></head>"
        '<body data-figures="0"><header><h1>fleetcast reports</h1>'
        f'<div class="meta">{html_text(fmt_count(len(ordered)))} runs, newest first</div></header>'
        f"<main>{_section('Runs', latest_link, table)}</main></body></html>\n"
    )
