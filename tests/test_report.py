"""The report: pages, atomic publishing, slugs, escaping of names from data, formatting.

``sample_inputs`` builds a small but complete run by hand (two regions, two classes, three
drills, a previous run); the browser test imports it too.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from forecasting import hierarchy
from forecasting.capacity import ALL_CLASSES, CapacityPlan, GpuType, capacity_timeline
from forecasting.report import (
    LATEST,
    TRIGGERS_SCHEMA,
    ReportInputs,
    list_runs,
    publish_report,
    run_slug,
    trigger_changes,
)
from forecasting.report.changes import POWER_CHANGES_SCHEMA
from forecasting.report.figures import (
    backlog_chart,
    concentration_charts,
    fan_chart,
    orders_chart,
    slo_chart,
)
from forecasting.report.format import (
    MISSING,
    fmt_date,
    fmt_day_or_month,
    fmt_days,
    fmt_gpu_hours,
    fmt_gpus,
    fmt_hours,
    fmt_mw,
    fmt_pct,
    fmt_usd,
    html_text,
    plot_text,
)
from forecasting.report.inputs import (
    CONCENTRATION_SCHEMA,
    daily_end,
    exhaustion_grain,
    extrapolated_reach,
    order_by_grain,
    status_headline,
    status_only,
    unverified_note,
    with_power,
)
from forecasting.report.pages import (
    facilities_page,
    finance_page,
    fmt_kpi,
    platform_page,
    run_index_page,
)
from forecasting.report.pages.common import Badge, Folded, Stacked, blocks_text, unsized_beside
from forecasting.report.pages.finance import (
    _concentration_table,
    _drivers_intro,
    _drivers_table,
    _later_orders_table,
    _region_concentration_intro,
    _region_concentration_table,
    _revenue_table,
)
from forecasting.report.pages.platform import (
    _accuracy_table,
    _answers_table,
    _change_tables,
    _kpi_tables,
    _no_demand,
    _verdicts_table,
    customer_regions,
)
from forecasting.schema import (
    DEMAND_SCHEMA,
    FAILS_UNDER_SHOCK,
    FAILS_UNSHOCKED,
    FORECAST_SCHEMA,
    NO_DEMAND,
    NOT_VERIFIED,
    SHORT_ALREADY,
    STOPPED_NOTE,
    WorkloadClass,
    frame_schema,
)
from forecasting.text import capex_past_ceiling
from forecasting.warehouse import Warehouse

AS_OF = date(2026, 11, 22)
PAGES = ("index.html", "finance.html", "facilities.html", "platform.html")

# Names an attacker (or an unlucky customer) could put in telemetry or capacity.toml.
SCRIPT = "<script>alert(1)</script>"
PWN = '<img src=x onerror="window.__pwned=1">'
TEX = "$\\href{javascript:alert(1)}{x}$"
HOSTILE = (SCRIPT, PWN, TEX)


def _policies() -> dict[str, dict[str, Any]]:
    rows = {
        "inference": ("premium", 1, 0.2, 0.95, 3.4),
        "training": ("standard", 2, 0.1, 0.9, 2.4),
        "evaluation": ("standard", 3, 0.05, 0.9, 2.2),
        "batch": ("batch", 4, 0.0, 0.8, 1.6),
        "experimentation": ("overflow", 5, 0.0, 0.5, 0.9),
    }
    return {
        c: {"tier": t, "priority": p, "headroom": h, "slo_target": s, "price_per_gpu_hour": r}
        for c, (t, p, h, s, r) in rows.items()
    }


def sample_plan(*, east: str, west: str, block: str) -> CapacityPlan:
    """Two regions: a live pod and rack in ``east``, a live and a committed pod in ``west``."""
    blocks = [
        dict(id="east-pod-1", kind="pod", region=east, site=f"{east}-a", gpu_type="H100",
             gpus=2048, mw=3.1, status="live", fabric=True),
        dict(id=block, kind="rack", region=east, site=f"{east}-b", gpu_type="H100",
             gpus=512, mw=0.8, status="live"),
        dict(id="west-pod-1", kind="pod", region=west, site="west-a", gpu_type="H100",
             gpus=1024, mw=1.6, status="live", fabric=True),
        dict(id="west-pod-2", kind="pod", region=west, site="west-a", gpu_type="H200",
             gpus=1024, mw=1.9, status="committed", in_service=AS_OF + timedelta(days=45),
             fabric=True),
    ]  # fmt: skip
    candidates = [
        dict(name="pod-h100-1024", kind="pod", gpu_type="H100", gpus=1024, mw=1.6,
             lead_time_weeks=30, capex_usd=42_000_000, fabric=True),
        dict(name="rack-h100-256", kind="rack", gpu_type="H100", gpus=256, mw=0.4,
             lead_time_weeks=8, capex_usd=9_500_000),
    ]  # fmt: skip
    return CapacityPlan.model_validate(
        {"policy": _policies(), "block": blocks, "candidate": candidates}
    )


def _demand(regions: tuple[str, str], customer: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """History (120 days) and forecast (90 days) with a steady climb in east inference."""
    base = {
        (regions[0], "inference"): (700.0, 6.0),
        (regions[0], "training"): (1000.0, 2.0),
        (regions[1], "inference"): (300.0, 1.0),
        (regions[1], "training"): (500.0, 0.5),
    }
    hist, fc = [], []
    for (region, cls), (level, slope) in base.items():
        uid = f"total/{region}/{cls}"
        for d in range(-120, 90):
            day = AS_OF + timedelta(days=d)
            mean = level + slope * (d + 120) + 40 * math.sin(2 * math.pi * d / 7)
            for measure, y in (("mean", mean), ("peak", mean * 1.25)):
                if d < 0:
                    hist.append((uid, day, measure, y, region, cls, None))
                else:
                    spread = 0.04 * y * math.sqrt(d + 1) ** 0.5
                    fc.append(("run", uid, day, measure, "ets", y, y - 1.3 * spread, y,
                               y + 1.3 * spread, y + 2.3 * spread))  # fmt: skip
        for d in range(-30, 0):
            day = AS_OF + timedelta(days=d)
            hist.append((f"{uid}/{customer}", day, "mean", 200.0, region, cls, customer))
    history = pl.DataFrame(hist, schema=DEMAND_SCHEMA, orient="row")
    regional = (
        history.filter(pl.col("unique_id").str.count_matches("/") == 2)
        .group_by("ds", "measure", "region")
        .agg(pl.col("y").sum())
        .with_columns(
            unique_id=pl.lit("total/") + pl.col("region"),
            workload_class=pl.lit(None, pl.String),
            customer=pl.lit(None, pl.String),
        )
        .select(DEMAND_SCHEMA.names())
    )
    forecast = pl.DataFrame(fc, schema=FORECAST_SCHEMA, orient="row")
    # Region forecasts as the sum of their classes: good enough for a picture.
    region_fc = (
        forecast.with_columns(unique_id=pl.col("unique_id").str.replace(r"/[^/]+$", ""))
        .group_by("run_id", "unique_id", "ds", "measure", "model")
        .agg(pl.col("mean", "q10", "q50", "q90", "q99").sum() * 0.8)  # peaks do not add up
        .select(FORECAST_SCHEMA.names())
    )
    return (
        pl.concat([history, regional]).sort("unique_id", "ds"),
        pl.concat([forecast, region_fc]).sort("unique_id", "ds"),
    )


def _trigger(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(TRIGGERS_SCHEMA.names())
    row.update(quantile="q90", as_of=AS_OF)  # as the triggers store it
    row.update(values)
    return row


def sample_triggers(east: str, west: str) -> pl.DataFrame:
    rows = [
        _trigger(region=east, pool="all", exhaustion_date=AS_OF + timedelta(days=120),
                 requirement_gpus_at_exhaustion=2700.0, capacity_gpus_at_exhaustion=2560.0,
                 max_shortfall_gpus=1240.5, candidate="pod-h100-1024", kind="pod",
                 gpu_type="H100", lead_time_weeks=30, order_by=AS_OF - timedelta(days=104),
                 arrives=AS_OF + timedelta(days=210), status="red", blocks_to_order=2,
                 capex_usd=84_000_000.0, mw=3.2, note="=HYPERLINK(\"http://x\")"),
        _trigger(region=east, pool="training", exhaustion_date=AS_OF + timedelta(days=260),
                 requirement_gpus_at_exhaustion=2100.0, capacity_gpus_at_exhaustion=2048.0,
                 max_shortfall_gpus=310.0, candidate="pod-h100-1024", kind="pod",
                 gpu_type="H100", lead_time_weeks=30, order_by=AS_OF + timedelta(days=36),
                 arrives=AS_OF + timedelta(days=246), status="amber", blocks_to_order=1,
                 capex_usd=42_000_000.0, mw=1.6, note="fabric pod"),
        _trigger(region=west, pool="all", exhaustion_date=AS_OF + timedelta(days=400),
                 requirement_gpus_at_exhaustion=2100.0, capacity_gpus_at_exhaustion=2048.0,
                 max_shortfall_gpus=120.0, candidate="rack-h100-256", kind="rack",
                 gpu_type="H100", lead_time_weeks=8, order_by=AS_OF + timedelta(days=330),
                 arrives=AS_OF + timedelta(days=386), status="green", blocks_to_order=1,
                 capex_usd=9_500_000.0, mw=0.4, note=None),
        _trigger(region=west, pool="training", status="green", blocks_to_order=0,
                 capex_usd=0.0, mw=0.0, note="no exhaustion within the horizon"),
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=TRIGGERS_SCHEMA, orient="row")


def _drills(drill: str, customer: str, region: str) -> dict[str, pl.DataFrame]:
    names = ("double-inference", drill, "lose-east-pod")
    passed = {"double-inference": False, drill: False, "lose-east-pod": True}
    verdicts, kpis, curves, answers = [], [], [], []
    variants: list[tuple[Any, ...]] = []
    changes: list[tuple[Any, ...]] = []
    rungs: list[tuple[Any, ...]] = []
    targets = {"inference": 0.95, "training": 0.9, "batch": 0.8}
    for i, name in enumerate(names):
        for j, (cls, target) in enumerate(targets.items()):
            att = target + 0.03 if passed[name] else target - 0.1 * (i + 1) / (j + 1)
            verdicts.append((name, cls, target, att + 0.02, att, att >= target, True))
        for cls in (*targets, "all"):
            for kpi, value in (
                ("unmet_gpu_hours", 5200.0 * (i + 1)),
                ("peak_backlog_gpu_hours", 830.0),
                ("queue_delay_hours", 3.5),
                ("time_to_absorb_hours", 96.0),
                ("preempted_gpu_hours", 120.0),
                ("revenue_at_risk_usd", 17_680.0 * (i + 1) * (3 if cls == "all" else 1)),
                ("slo_attainment", 0.91),
            ):
                kpis.append((name, cls, kpi, value, value * 0.9, value * 1.4))
                # Without the shock the plan carries 40% of it (the mean) and 50% (the P90).
                changes.append(
                    (name, cls, kpi, value * 0.4, value, value * 0.6, value * 0.5, value * 1.4)
                )
        unit = "GPU-hours in use on the rung's GPUs"
        rungs += [
            (name, "preempt", "all", 0.0, None, 310.0, "GPU-hours preempted beyond the baseline",
             0.7, None, 0.0, 0.0),
            (name, "migrate", region, 6.0, 256.0, 1_800.0, unit, 0.8, 30.0, 4_500.0, 0.0),
            (name, "spares", region, 48.0, 128.0, 900.0, unit, 0.4, 60.0, 0.0, 250_000.0),
            (name, "burst", "eu-west", 72.0, 512.0, 0.0, unit, 0.0, None, 0.0, 0.0),
        ]  # fmt: skip
        if not passed[name]:
            start = datetime(2026, 12, 1, tzinfo=UTC)
            for h in range(0, 24 * 14, 3):
                for cls, scale in (("inference", 1.0), ("training", 2.5)):
                    level = max(0.0, scale * 400 * math.sin(math.pi * h / (24 * 14)))
                    curves.append((name, start + timedelta(hours=h), cls, level, level * 1.6))
                    for variant, share in (("baseline", 0.25), ("ladder", 0.6)):
                        at = start + timedelta(hours=h)
                        variants.append(
                            (name, variant, at, cls, level * share, level * share * 1.6)
                        )
        answers.append(
            (name, f"2x {customer} within 6 weeks" if name == drill else f"shock {name}",
             customer if name == drill else "inference", date(2026, 12, 1), passed[name],
             "pass" if passed[name] else "fails under the shock",
             None if not passed[name] and i % 2 else 30.0 + i, not passed[name] and bool(i % 2),
             4368, 1_200.0 * i, None,
             None if passed[name] else 1.6 + i / 10, None,
             None if passed[name] else True, None, None,
             None if passed[name] else f"2 x pod-h100-1024 in {customer}",
             None if passed[name] else 84_000_000.0,
             "migrate has nothing to move in us-west" if i == 0 else None, None, None,
             None, None, None, False, None, None)
        )  # fmt: skip
    return {
        "drill_verdicts": pl.DataFrame(
            verdicts,
            orient="row",
            schema=[
                "drill",
                "workload_class",
                "slo_target",
                "attainment_mean",
                "attainment_p90_paths",
                "passed",
                "has_demand",
            ],
        ),
        "drill_kpis": pl.DataFrame(
            kpis, orient="row", schema=["drill", "workload_class", "kpi", "mean", "p50", "p90"]
        ),
        "drill_curves": pl.DataFrame(
            curves,
            orient="row",
            schema=["drill", "ts", "workload_class", "backlog_p50", "backlog_p90"],
        ),
        "drill_variant_curves": pl.DataFrame(
            variants,
            orient="row",
            schema=["drill", "variant", "ts", "workload_class", "backlog_p50", "backlog_p90"],
        ),
        "drill_kpi_changes": pl.DataFrame(
            changes,
            orient="row",
            schema=[
                "drill",
                "workload_class",
                "kpi",
                "baseline_mean",
                "shocked_mean",
                "increment_mean",
                "baseline_p90",
                "shocked_p90",
            ],
        ),
        "drill_rungs": pl.DataFrame(
            rungs,
            orient="row",
            schema={
                "drill": pl.String,
                "rung": pl.String,
                "region": pl.String,
                "available_after_hours": pl.Float64,
                "cap_gpus": pl.Float64,
                "used_mean": pl.Float64,
                "used_unit": pl.String,
                "used_share": pl.Float64,
                "first_used_hour_p50": pl.Float64,
                "cost_usd_mean": pl.Float64,
                "standing_cost_usd": pl.Float64,
            },
        ),
        "drill_answers": pl.DataFrame(
            answers,
            orient="row",
            schema={
                "drill": pl.String,
                "description": pl.String,
                "target": pl.String,
                "shock_start": pl.Date,
                "passed": pl.Boolean,
                "verdict": pl.String,
                "time_to_absorb_hours": pl.Float64,
                "absorb_censored": pl.Boolean,
                "window_hours": pl.Int32,
                "absorb_cost_usd": pl.Float64,
                "failover_share": pl.Float64,
                "breaking_multiplier": pl.Float64,
                "breaking_note": pl.String,
                "blocks_pass": pl.Boolean,
                "unshocked_failures": pl.String,
                "blocks_note": pl.String,
                "blocks_needed": pl.String,
                "capex_needed_usd": pl.Float64,
                "drill_notes": pl.String,
                "short_until_shock_end_hours": pl.Float64,
                "breaking_text": pl.String,
                "unverified": pl.String,
                "shock_reached": pl.Float64,
                "horizon_days_needed": pl.Int32,
                "loss_lasts_past_window": pl.Boolean,
                "first_to_saturate": pl.String,
                "baseline_first_to_saturate": pl.String,
            },
        ),
    }


def _concentration(scopes: tuple[str, ...]) -> pl.DataFrame:
    rows = []
    for scope in scopes:
        for d in range(-60, 90, 3):
            day = AS_OF + timedelta(days=d)
            source = "history" if d < 0 else "forecast"
            for metric, level in (("top1_share", 0.31), ("top5_share", 0.72), ("hhi", 1650.0)):
                v = level * (1 + 0.001 * d)
                band = 0.0 if d < 0 else level * 0.0008 * d
                q = (None, None, None) if d < 0 else (v - band, v, v + band)
                rows.append((scope, day, metric, source, None if d >= 0 else v, *q))
    return pl.DataFrame(
        rows,
        orient="row",
        schema=["scope", "ds", "metric", "source", "value", "q10", "q50", "q90"],
    )


def sample_inputs(
    *, hostile: bool = False, run_id: str = "2026-11-22T06-00", as_of: date = AS_OF
) -> ReportInputs:
    """A complete run; with ``hostile`` every name from data is an injection attempt."""
    east = SCRIPT if hostile else "us-east"
    west = "eu-west"
    customer = PWN if hostile else "northwind-ai"
    drill = TEX if hostile else "double-northwind"
    block = PWN if hostile else "east-rack-7"
    plan = sample_plan(east=east, west=west, block=block)
    history, forecast = _demand((east, west), customer)
    triggers = sample_triggers(east, west)
    previous = triggers.with_columns(
        status=pl.when(pl.col("pool") == "all").then(pl.lit("amber")).otherwise("status"),
        order_by=pl.col("order_by") + pl.duration(days=21),
        exhaustion_date=pl.col("exhaustion_date") + pl.duration(days=21),
    ).filter(pl.col("region") != west)
    ids = forecast.select("unique_id", "measure").unique()
    backtest = pl.concat(
        [
            ids.with_columns(
                model=pl.lit(model),
                cutoff=pl.lit(AS_OF - timedelta(days=28 * k)),
                mase=pl.lit(score + 0.05 * k),
                smape=pl.lit(0.1),
                pinball=pl.lit(12.0),
                coverage_80=pl.lit(0.78),
            )
            for model, score in (("seasonal_naive", 1.0), ("ets", 0.72))
            for k in (1, 2)
        ]
    )
    months = [date(2026 + (10 + m) // 12, (10 + m) % 12 + 1, 1) for m in range(8)]
    power = pl.DataFrame(
        [
            (site, region, month, base, extra * (m >= 3), base + extra * (m >= 3))
            for site, region, base, extra in (
                (f"{east}-a", east, 3.9, 3.2),
                ("west-a", west, 1.6, 2.3),
            )
            for m, month in enumerate(months)
        ],
        orient="row",
        schema=["site", "region", "month", "mw_in_service", "mw_new_blocks", "mw_needed"],
    )
    return ReportInputs(
        run_id=run_id,
        as_of=as_of,
        generated_at=datetime(as_of.year, as_of.month, as_of.day, 6, 0, tzinfo=UTC),
        plan=plan,
        stale_days=3,
        history=history,
        forecast=forecast,
        backtest=backtest,
        chosen=ids.with_columns(
            model=pl.lit("ets"),
            fallback=pl.lit(None, pl.String),
            stale_days=pl.lit(0),
            plan_model=pl.lit("combination"),
            plan_reason=pl.lit(None, pl.String),
            level_shift=pl.lit(None, pl.String),
            level_shift_days=pl.lit(None, pl.Int64),
            spike=pl.lit(None, pl.String),
            plan_calibrated=pl.lit(True),
        ),
        capacity=capacity_timeline(
            plan, start=as_of - timedelta(days=120), end=as_of + timedelta(days=90)
        ),
        triggers=triggers,
        drivers=pl.DataFrame(
            {
                "region": [east, east, west],
                "pool": ["all", "all", "all"],
                "workload_class": ["inference", "training", "inference"],
                "customer": [customer, "other", "acme"],
                "growth_gpus": [640.0, 210.5, 90.0],
                "share": [0.68, 0.22, 0.1],
                "from_date": [as_of] * 3,
                "to_date": [as_of + timedelta(days=70)] * 3,
                "from_gpus": [1200.0, 400.0, 310.0],
                "to_gpus": [1840.0, 610.5, 400.0],
            }
        ),
        idle_risk=pl.DataFrame(
            {
                "block_id": ["west-pod-2", block],
                "region": [west, east],
                "site": ["west-a", f"{east}-b"],
                "kind": ["pod", "rack"],
                "in_service": [AS_OF + timedelta(days=45), None],
                "gpus": [1024, 512],
                "idle_gpus": [610.0, 40.0],
                "idle_share": [0.596, 0.078],
                "capex_at_risk_usd": [25_020_000.0, 742_000.0],
                "note": ["P10 demand leaves most of it idle", None],
                "days_judged": [91, 91],
                "window_days": [91, 91],
                "no_low_demand": [False, False],
            }
        ),
        mw_by_site_month=power,
        concentration=_concentration(("overall", "inference")),
        previous_triggers=previous,
        previous_run_id="2026-11-15T06-00",
        **_drills(drill, customer, east),
    )


def empty_inputs(run_id: str = "empty-run") -> ReportInputs:
    return ReportInputs(
        run_id=run_id,
        as_of=AS_OF,
        generated_at=datetime(2026, 11, 22, 6, tzinfo=UTC),
        plan=CapacityPlan.model_validate({"policy": _policies()}),
    )


class _Collect(HTMLParser):
    """Tags, attributes and script bodies of a page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def _parse(text: str) -> _Collect:
    parser = _Collect()
    parser.feed(text)
    return parser


def _figure_strings(text: str) -> list[str]:
    """Every string inside the page's figure JSON."""
    match = re.search(r'<script type="application/json" id="figures">(.*?)</script>', text, re.S)
    if not match:
        return []
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(match.group(1)))
    return found


# --- publishing -----------------------------------------------------------------------------------


def test_publish_writes_every_file_and_points_latest(tmp_path: Path) -> None:
    folder = publish_report(sample_inputs(), root=tmp_path)

    assert folder == tmp_path / "2026-11-22T06-00"
    expected = {
        *PAGES,
        "triggers.csv",
        "triggers.json",
        "orders.csv",
        "drills.csv",
        "plotly.min.js",
        "run.json",
    }
    assert expected <= {p.name for p in folder.iterdir()}
    assert (folder / "plotly.min.js").stat().st_size > 1_000_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    assert (tmp_path / LATEST).resolve() == folder.resolve()
    index = (tmp_path / "index.html").read_text()
    assert 'href="2026-11-22T06-00/index.html"' in index
    for page in PAGES:
        text = (folder / page).read_text()
        assert "cdn.plot.ly" not in text and "https://" not in text
        assert all(f'href="{p}"' in text for p in PAGES[1:])


# Every page must open at once: a browser parses a page's figure JSON before it draws anything.
PAGE_LIMIT_BYTES = 3_000_000


def _full_horizon_drills(inputs: ReportInputs, *, drills: int, days: int) -> ReportInputs:
    """``inputs`` with ``drills`` failing drills whose backlog curves are hourly over ``days``,
    each with its baseline and ladder variants and its rungs.

    The shape of a real run (six ready-made drills, 26 weeks, five classes and "all"), which
    is what made platform.html 12.9 MB when the curves were drawn hour by hour.
    """
    classes = (*(c.value for c in WorkloadClass), "all")
    hours = days * 24
    start = datetime(2026, 11, 23, tzinfo=UTC)
    ts = pl.datetime_range(
        start, start + timedelta(hours=hours - 1), "1h", time_unit="us", time_zone="UTC",
        eager=True,
    )  # fmt: skip
    names = [f"drill-{i}" for i in range(drills)]
    curves = pl.concat(
        [
            pl.DataFrame({"ts": ts})
            .join(pl.DataFrame({"workload_class": classes}), how="cross")
            .with_columns(
                drill=pl.lit(name),
                # An irregular curve (no run of equal values a serialiser could shorten).
                backlog_p50=(pl.int_range(pl.len()) * (i + 7) % 1009).cast(pl.Float64) * 1.37,
            )
            .with_columns(backlog_p90=pl.col("backlog_p50") * 1.6)
            for i, name in enumerate(names)
        ]
    )
    variants = pl.concat(
        [
            curves.with_columns(
                variant=pl.lit(variant),
                backlog_p50=pl.col("backlog_p50") * share,
                backlog_p90=pl.col("backlog_p90") * share,
            )
            for variant, share in (("baseline", 0.3), ("ladder", 0.7))
        ]
    )
    answers = pl.concat([inputs.drill_answers.head(1).with_columns(drill=pl.lit(n)) for n in names])
    rungs = pl.concat([inputs.drill_rungs.head(4).with_columns(drill=pl.lit(n)) for n in names])
    return replace(
        inputs,
        drill_curves=curves.select(inputs.drill_curves.columns),
        drill_variant_curves=variants.select(inputs.drill_variant_curves.columns),
        drill_rungs=rungs,
        drill_answers=answers.with_columns(passed=pl.lit(False)),
    )


def test_every_page_stays_under_the_size_limit_with_full_horizon_drills(tmp_path: Path) -> None:
    """Six failing drills with 26 weeks of hourly curves still give pages under 3 MB each."""
    inputs = _full_horizon_drills(sample_inputs(), drills=6, days=182)
    folder = publish_report(inputs, root=tmp_path)
    sizes = {page: (folder / page).stat().st_size for page in PAGES}
    assert max(sizes.values()) < PAGE_LIMIT_BYTES, sizes
    # The backlog charts are still drawn, one per failing drill.
    platform = platform_page(inputs)
    assert platform.count("Backlog during drill drill-") == 6


def test_pages_load_plotly_only_from_the_run_folder(tmp_path: Path) -> None:
    folder = publish_report(sample_inputs(), root=tmp_path)
    for page in PAGES[1:]:
        sources = [
            a.get("src") for t, a in _parse((folder / page).read_text()).tags if t == "script"
        ]
        assert [s for s in sources if s] == ["plotly.min.js"]


def test_every_script_carries_the_nonce_of_the_page_policy(tmp_path: Path) -> None:
    """Only the page's own scripts run: each carries the nonce its policy names, new per page."""
    folder = publish_report(sample_inputs(), root=tmp_path)
    nonces = []
    for page in PAGES[1:]:
        parsed = _parse((folder / page).read_text())
        policy = next(a["content"] for t, a in parsed.tags if a.get("http-equiv"))
        nonce = re.search(r"script-src 'nonce-([^']+)'", policy or "")
        assert nonce, policy
        executable = [a for t, a in parsed.tags if t == "script" and a.get("type") is None]
        assert executable and all(a.get("nonce") == nonce.group(1) for a in executable), page
        nonces.append(nonce.group(1))
    assert len(set(nonces)) == len(nonces)
    runs = _parse((tmp_path / "index.html").read_text())
    assert not [t for t, _ in runs.tags if t == "script"]
    assert next(a["content"] for t, a in runs.tags if a.get("http-equiv")) == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )


def test_the_runs_index_counts_one_run_as_one_run(tmp_path: Path) -> None:
    """The all-runs page of a first publish read "1 runs, newest first" (the demo): one run
    is "1 run", more are "runs"."""
    publish_report(sample_inputs(run_id="run-a"), root=tmp_path)
    assert "1 run, newest first" in (tmp_path / "index.html").read_text()
    publish_report(sample_inputs(run_id="run-b"), root=tmp_path)
    assert "2 runs, newest first" in (tmp_path / "index.html").read_text()


def test_latest_follows_the_newest_run_and_index_lists_newest_first(tmp_path: Path) -> None:
    """latest is the newest as-of day, also after an older run is published again (a backfill
    or a redone report took it over); the index lists the newest first."""
    older = sample_inputs(run_id="run-a", as_of=AS_OF - timedelta(days=7))
    newer = sample_inputs(run_id="run-b")
    publish_report(older, root=tmp_path)
    publish_report(newer, root=tmp_path)

    assert os.readlink(tmp_path / LATEST) == "run-b"
    index = (tmp_path / "index.html").read_text()
    assert index.index("run-b/index.html") < index.index("run-a/index.html")
    assert "red" in index  # the worst trigger status of each run
    assert {r.run_id for r in list_runs(tmp_path)} == {"run-a", "run-b"}

    # Publishing a run again replaces its folder whole and leaves nothing behind.
    (tmp_path / "run-a" / "stray.txt").write_text("from the first publish")
    publish_report(replace(older, stale_days=None), root=tmp_path)
    assert not (tmp_path / "run-a" / "stray.txt").exists()
    assert os.readlink(tmp_path / LATEST) == "run-b"
    # Another run as of the same day, published last, is the newest.
    publish_report(sample_inputs(run_id="run-c"), root=tmp_path)
    assert os.readlink(tmp_path / LATEST) == "run-c"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "index.html",
        LATEST,
        "run-a",
        "run-b",
        "run-c",
    ]


def test_latest_falls_back_to_a_copy_without_symlinks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_symlinks(*args: object, **kwargs: object) -> None:
        raise OSError("symlinks are not supported here")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    publish_report(sample_inputs(run_id="first"), root=tmp_path)
    publish_report(sample_inputs(run_id="second"), root=tmp_path)

    latest = tmp_path / LATEST
    assert latest.is_dir() and not latest.is_symlink()
    assert json.loads((latest / "run.json").read_text())["run_id"] == "second"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.parametrize(
    "run_id",
    ["../../escape", "a/b", "..", ".", "", "latest", "index.html", ".hidden", "x" * 300,
     "a\\b", "run id with spaces", "nul\x00byte", "ünïcode"],
)  # fmt: skip
def test_run_slug_is_a_safe_single_folder_name(run_id: str) -> None:
    slug = run_slug(run_id)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", slug)
    assert ".." not in slug and slug not in ("latest", "index.html")
    assert len(slug) <= 100


def test_run_slug_keeps_safe_ids_and_separates_mangled_ones() -> None:
    assert run_slug("2026-11-22T06-00") == "2026-11-22T06-00"
    assert run_slug("drill_v1.2") == "drill_v1.2"
    assert run_slug("a/b") != run_slug("a-b")
    assert run_slug("a/b") == run_slug("a/b")


def test_hostile_run_id_stays_inside_root(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    folder = publish_report(sample_inputs(run_id="../../outside"), root=root)
    assert folder.parent == root
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
    assert "../../outside" in html_text((folder / "index.html").read_text())


# --- escaping -------------------------------------------------------------------------------------


def test_hostile_names_are_escaped_in_html_and_figures(tmp_path: Path) -> None:
    folder = publish_report(sample_inputs(hostile=True), root=tmp_path)
    for page in PAGES:
        text = (folder / page).read_text()
        parsed = _parse(text)
        # No element or attribute came from data: only the tags the report writes.
        assert not [t for t, _ in parsed.tags if t == "img"]
        assert not [a for _, attrs in parsed.tags for a in attrs if a.startswith("on")]
        assert all("alert" not in s for s in parsed.scripts if not s.lstrip().startswith("{"))
        assert SCRIPT not in text and PWN not in text
        strings = _figure_strings(text)
        for name in HOSTILE:
            assert not [s for s in strings if name in s], (page, name)
        assert not [s for s in strings if "$" in s], page
    finance = (folder / "finance.html").read_text()
    assert html_text(SCRIPT) in finance  # the region, shown as text
    platform = (folder / "platform.html").read_text()
    assert html_text(TEX) in platform  # the drill, in a table
    assert any(plot_text(TEX) in s for s in _figure_strings(platform))  # and in a chart
    assert html_text(PWN) in finance  # the block at idle risk and the customer driving growth
    facilities = (folder / "facilities.html").read_text()
    assert html_text(f"{SCRIPT}-a needs") in facilities  # the site, in a takeaway


def test_plot_text_neutralises_markup_and_mathjax() -> None:
    assert plot_text(TEX) == "&#36;\\href{javascript:alert(1)}{x}&#36;"
    assert plot_text(SCRIPT) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert plot_text("R&D") == "R&amp;D"
    assert html_text(PWN) == "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;"


def test_csv_cells_that_spreadsheets_would_run_are_neutralised(tmp_path: Path) -> None:
    folder = publish_report(sample_inputs(hostile=True), root=tmp_path)
    notes = pl.read_csv(folder / "triggers.csv")["note"].to_list()
    assert '\'=HYPERLINK("http://x")' in notes


# --- contents -------------------------------------------------------------------------------------


def test_finance_reads_each_driver_between_two_dated_means(tmp_path: Path) -> None:
    """Who drives the growth: each part's mean GPUs on the first day and at its pool's
    exhaustion, dated, beside the growth between them: a growth alone has no basis."""
    folder = publish_report(sample_inputs(), root=tmp_path)
    finance = (folder / "finance.html").read_text()
    drivers = finance[finance.index("Who drives the growth") :]
    assert f"on the first forecast day ({AS_OF.isoformat()})" in drivers
    row = drivers[drivers.index("1,200") :]
    then = (AS_OF + timedelta(days=70)).isoformat()
    assert row.index("1,840") < row.index(then) < row.index("+640")


def test_csv_and_json_hold_the_triggers_frame(tmp_path: Path) -> None:
    """triggers.csv and triggers.json hold the triggers frame, and how to read its exhaustion
    dates; a note a spreadsheet would run as a formula is quoted in the CSV."""
    inputs = sample_inputs()
    folder = publish_report(inputs, root=tmp_path)
    end = daily_end(inputs)
    published = inputs.triggers.with_columns(
        # No placements stored: no block is known past a ceiling, the capex stays whole.
        blocks_beyond_ceiling=pl.lit(None, pl.Int64),
        capex_new_site_usd=pl.lit(None, pl.Float64),
        capex_past_plan_usd=pl.lit(None, pl.Float64),
        exhaustion_grain=exhaustion_grain(end),
        order_by_grain=order_by_grain(end),
        size_note=pl.lit(None, pl.String),  # no trigger short at the monthly grain only
        dates_placed=pl.lit(None, pl.String),  # the dates are the telemetry's own
        # No vacant region: as stored, then what the pages say after the colour (the sample's
        # greens are verified to its 26 measured days only: test_headline_reach).
        status_shown=pl.when(status_only(inputs).is_not_null())
        .then(pl.format("{} {}", "status", status_only(inputs)))
        .otherwise("status"),
        # No [[new_site]]: no block past a ceiling is dated by one.
        new_site_order_by=pl.lit(None, pl.Date),
        new_site_arrives=pl.lit(None, pl.Date),
        # No next report known (sample_inputs): no order-by is flagged before it.
        due_before_next_report=pl.lit(None, pl.String),
    ).with_columns(
        # Why a status marked "†" is not verified past its day, on its row only.
        status_note=pl.when(pl.col("status_shown").str.contains("†", literal=True))
        .then(pl.lit(unverified_note(inputs)))
        .otherwise(pl.lit(None, pl.String))
    )
    expected = published.with_columns(
        note=pl.when(pl.col("note").str.starts_with("="))
        .then("'" + pl.col("note"))
        .otherwise("note")
    )
    schema = {
        **TRIGGERS_SCHEMA,
        "blocks_beyond_ceiling": pl.Int64(),
        "capex_new_site_usd": pl.Float64(),
        "capex_past_plan_usd": pl.Float64(),
        "exhaustion_grain": pl.String(),
        "order_by_grain": pl.String(),
        "size_note": pl.String(),
        "dates_placed": pl.String(),
        "status_shown": pl.String(),
        "new_site_order_by": pl.Date(),
        "new_site_arrives": pl.Date(),
        "due_before_next_report": pl.String(),
        "status_note": pl.String(),
    }
    from_csv = pl.read_csv(folder / "triggers.csv", schema=schema)
    assert from_csv.equals(expected)
    from_json = json.loads((folder / "triggers.json").read_text())
    assert from_json == json.loads(
        json.dumps(published.to_dicts(), default=lambda d: d.isoformat())
    )
    drills = pl.read_csv(folder / "drills.csv")
    assert drills.height == inputs.drill_verdicts.height
    assert set(drills["drill"]) == set(inputs.drill_answers["drill"])


def test_the_downloads_say_which_exhaustion_dates_stand_for_a_month(tmp_path: Path) -> None:
    """Past the forecast's daily rows an exhaustion is a month, stored on its first day: the
    CSV and JSON downloads keep the ISO date for other tools and say "month" beside it (they
    read as a measured day: "2029-10-01"); "day" within the daily rows, nothing without one."""
    inputs = sample_inputs()
    end = daily_end(inputs)
    assert end is not None
    month = (end + timedelta(days=40)).replace(day=1)
    triggers = inputs.triggers.with_columns(
        exhaustion_date=pl.when(pl.col("status") == "green")
        .then(pl.when(pl.col("exhaustion_date").is_not_null()).then(pl.lit(month)))
        .otherwise(pl.lit(end))
    )
    folder = publish_report(replace(inputs, triggers=triggers), root=tmp_path)
    csv = pl.read_csv(folder / "triggers.csv", try_parse_dates=True)
    grains = dict(zip(csv["exhaustion_date"], csv["exhaustion_grain"], strict=True))
    assert grains == {end: "day", month: "month", None: None}
    rows = json.loads((folder / "triggers.json").read_text())
    assert {(r["exhaustion_date"], r["exhaustion_grain"]) for r in rows} == {
        (end.isoformat(), "day"),
        (month.isoformat(), "month"),
        (None, None),
    }
    orders = pl.read_csv(folder / "orders.csv")
    assert "exhaustion_grain" in orders.columns


def test_an_order_waiting_for_its_site_s_power_says_so_on_the_finance_page() -> None:
    """An order whose blocks arrive before their site has the MW serves from that day: the
    finance page says so beside its arrival, and that no site in the plan has it where none
    does; a powered order says nothing of the kind."""
    inputs = sample_inputs()
    waiting = inputs.triggers.with_columns(
        powered_from=pl.when(pl.col("region") == "us-east")
        .then(pl.lit(date(2028, 5, 25)))
        .otherwise(None)
    )
    page = finance_page(replace(inputs, triggers=waiting))
    assert ", no power until 2028-05-25" in page
    assert "no power until" not in finance_page(inputs)
    # No site in the plan ever has its power: no day to give, and it says so.
    dark = _planned(inputs, later_capex=500e6).with_columns(powered=pl.lit(False))
    assert ", no power for it in the plan" in finance_page(replace(inputs, placements=dark))
    assert "no power for it" not in finance_page(replace(inputs, placements=_planned(
        inputs, later_capex=500e6)))  # fmt: skip


def test_capital_for_blocks_that_run_only_after_the_forecast_ends_is_said_apart() -> None:
    """A 45-day fleet's 104 racks ($878.6M), dated to land with power contracted today and
    running from 2029-01-01 on a forecast to 2027-06-04, were sized on the days before and
    their capital read as measured on the front and finance cards, beside an order the same
    run left unsized. The cards now say how much of the capital runs only after the forecast
    ends; an order running within it adds nothing."""
    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=500e6)
    first = planned.filter(pl.col("tranche") == 1).sort("order_by").row(0, named=True)
    late = planned.with_columns(
        runs_from=pl.when((pl.col("tranche") == 1) & (pl.col("region") == first["region"])
                          & (pl.col("pool") == first["pool"]))
        .then(pl.lit(date(2031, 1, 1)))
        .otherwise(pl.lit(inputs.as_of))
    )  # fmt: skip
    end = inputs.forecast_months.get_column("ds").max() or inputs.forecast["ds"].max()
    assert isinstance(end, date) and end < date(2031, 1, 1)
    said = f"(of which {fmt_usd(first['capex_usd'])} for 1 order whose blocks run only after"
    for page in (finance_page, run_index_page):
        assert said in page(replace(inputs, placements=late))
        assert "only after the forecast ends" not in page(
            replace(inputs, placements=planned.with_columns(runs_from=pl.lit(inputs.as_of)))
        )


def test_capital_run_past_the_forecast_counts_the_blocks_past_a_ceiling_once() -> None:
    """The "of which ... run only after the forecast ends" figure took the capex of the blocks
    past their site's ceiling off an order's capex already net of it: 1 of its 2 pods past the
    ceiling read "of which $0" for the $42.0M the plan can place; it reads that $42.0M."""
    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=500e6)
    first = planned.filter(pl.col("tranche") == 1).sort("order_by").row(0, named=True)
    assert first["blocks"] == 2
    due_now = (
        (pl.col("tranche") == 1)
        & (pl.col("region") == first["region"])
        & (pl.col("pool") == first["pool"])
    )
    late = planned.with_columns(
        runs_from=pl.when(due_now).then(pl.lit(date(2031, 1, 1))).otherwise(None),
        blocks_beyond_ceiling=pl.when(due_now).then(1).otherwise(0),
        site=pl.lit("s"),
    )
    said = f"(of which {fmt_usd(first['capex_usd'] / 2)} for 1 order whose blocks run only after"
    assert said in html.unescape(finance_page(replace(inputs, placements=late)))


def test_an_order_that_power_contracted_today_runs_on_arrival_says_so() -> None:
    """An order no planned power serves, whose blocks power contracted today runs on their
    arrival, read only "no power for it in the plan" beside a green status (the demo's us-west
    training cell): its arrival says it runs then with power contracted today, the trigger's
    and a later order's alike; one that runs later still gives that day."""
    from forecasting.report.pages.common import in_service_text

    row = {"arrives": date(2029, 1, 4), "powered": False, "powered_from": None,
           "blocks_to_order": 1, "site": "us-west-a", "runs_from": date(2029, 1, 4)}  # fmt: skip
    said = "2029-01-04, no power for it in the plan: runs on arrival with power contracted today"
    assert in_service_text(row).startswith(said)
    assert in_service_text(row, later=True).startswith(
        "2029-01-04, no power yet: runs on arrival with power contracted today"
    )
    later = {**row, "runs_from": date(2029, 3, 1)}
    assert in_service_text(later) == (
        "2029-01-04, no power for it in the plan: runs from 2029-03-01 at the earliest (power "
        "contracted today)"
    )


def test_facilities_date_the_power_needed_by_the_month_it_is_first_needed() -> None:
    """The facilities card read "483.3 MW needed by Jan 2030" on the demo, the plan's last
    month, where every site's need had reached it by Sep 2029 (eu-west-a's chart: "it needs
    up to 122.4 MW by Sep 2029"): the card dates the most MW the plan needs by the first
    month it is needed, and says how far the plan runs."""
    inputs = sample_inputs()  # 12.0 MW needed from Feb 2027, the plan's months to Jun 2027
    page = html.unescape(facilities_page(inputs))
    assert '<div class="label">needed by Feb 2027 (the most to Jun 2027)</div>' in page
    assert '<div class="label">needed by Jun 2027</div>' not in page
    # Where the most is needed in the last month, that month alone.
    power = inputs.mw_by_site_month.with_columns(
        mw_needed=pl.col("mw_needed") + (pl.col("month") == date(2027, 6, 1)).cast(pl.Float64)
    )
    page = html.unescape(facilities_page(replace(inputs, mw_by_site_month=power)))
    assert '<div class="label">needed by Jun 2027</div>' in page


def test_facilities_power_needed_card_keeps_to_the_months_the_charts_show() -> None:
    """The "needed by" card read the most MW of any month stored, past the last month the
    site charts draw (their takeaways say "Not drawn: ... not within the horizon"): it reads
    the months shown, and the MW needed only past them as not within the horizon."""
    from forecasting.report.inputs import facilities_last_month
    from forecasting.report.pages.facilities import _cards

    inputs = sample_inputs()
    last = facilities_last_month(inputs)
    after = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    sites = inputs.mw_by_site_month.filter(pl.col("month") == pl.col("month").max())
    past = sites.with_columns(month=pl.lit(after), mw_new_blocks=40.0 - pl.col("mw_in_service"))
    power = pl.concat([inputs.mw_by_site_month, past.with_columns(mw_needed=pl.lit(40.0))])
    within = dict(_cards(inputs))["needed by Feb 2027 (the most to Jun 2027)"]
    cards = dict(_cards(replace(inputs, mw_by_site_month=power)))
    assert not any(f"{after:%b %Y}" in label for label in cards)
    shown = cards["needed by Feb 2027 (the most to Jun 2027)"]
    more = 40.0 * sites.height - float(within.split(" MW")[0])
    assert shown == (
        f"{within} (+ {fmt_mw(more)} more from {after:%b %Y}, after the last month shown "
        f"({last:%b %Y}): not within the horizon)"
    )


def test_the_platform_page_names_the_series_whose_mean_is_their_paths_mean() -> None:
    """The platform page weighs the all-classes usable line by the class means, and only the
    forecast's warnings said where a mean was its sample paths' mean, not the model's point
    forecast: a footnote names the series and days; a run with none says nothing of it."""
    inputs = sample_inputs()
    spans = pl.DataFrame(
        {
            "unique_id": ["total/us-east/inference"],
            "days": [12],
            "first": [date(2026, 12, 17)],
            "last": [date(2027, 1, 8)],
        }
    )
    page = _visible(platform_page(replace(inputs, mean_of_paths=spans)))
    assert (
        "Mean demand is the model's point forecast except for us-east · inference (12 days, "
        "2026-12-17 to 2027-01-08), where it is the mean of its sample paths"
    ) in page
    assert "mean of its sample paths" not in _visible(platform_page(inputs))
    # The demo's 26-week run has 106 such series: six are named, the rest counted.
    many = pl.DataFrame(
        {
            "unique_id": [f"total/us-east/inference/c{i:02d}" for i in range(9)],
            "days": [58] * 8 + [95],
            "first": [date(2027, 3, 8)] * 8 + [date(2027, 1, 28)],
            "last": [date(2027, 6, 4)] * 9,
        }
    )
    page = _visible(platform_page(replace(inputs, mean_of_paths=many)))
    assert "us-east · inference · c05 (58 days, 2027-03-08 to 2027-06-04) and 3 more" in page
    assert "and 3 more series (58–95 days each, within 2027-01-28 to 2027-06-04)" in page
    assert "c06" not in page


def test_facilities_orders_by_power_draw_say_when_an_order_has_power() -> None:
    """The facilities page's orders by power draw printed the arrival under "in service"
    beside finance's "no power until 2028-05-25" for the same order: both pages say it."""
    inputs = sample_inputs()
    waiting = inputs.triggers.with_columns(
        powered_from=pl.when(pl.col("region") == "us-east")
        .then(pl.lit(date(2028, 5, 25)))
        .otherwise(None),
    )
    east = waiting.filter(pl.col("region") == "us-east", pl.col("blocks_to_order") > 0).row(
        0, named=True
    )
    said = f"{east['arrives']}, no power until 2028-05-25"
    assert said in facilities_page(replace(inputs, triggers=waiting))
    assert said in finance_page(replace(inputs, triggers=waiting))
    assert "no power until" not in facilities_page(inputs)


def test_finance_names_the_unit_its_shortfalls_count() -> None:
    """With a [gpu_type] table shortfalls count H100-equivalents: an H200 pool's read 1.4x
    its GPUs under "largest shortfall, GPUs". The header and the legend name the unit."""
    inputs = sample_inputs()
    assert not inputs.plan.gpu_type
    plain = finance_page(inputs)
    assert "largest shortfall, GPUs" in plain and "the most GPUs short" in plain
    converting = inputs.plan.model_copy(update={"gpu_type": {"H200": GpuType(h100_equivalent=1.4)}})
    page = finance_page(replace(inputs, plan=converting))
    assert "largest shortfall, H100-equivalents" in page
    assert "the most H100-equivalents short" in page and "shortfall, GPUs" not in page


def test_the_growth_drivers_name_the_unit_the_triggers_counted() -> None:
    """ "Who drives the growth" said "mean GPUs a day (H100-equivalents)" over columns headed
    "(GPUs)" on every plan: the triggers convert demand only where the plan has a [gpu_type]
    table. The intro and the headers name one unit, the plan's."""
    inputs = sample_inputs()
    plain = finance_page(inputs)
    assert "forecast mean GPUs a day" in plain and "first day (GPUs)" in plain
    assert "H100-equivalents a day" not in plain
    converting = inputs.plan.model_copy(update={"gpu_type": {"H200": GpuType(h100_equivalent=1.4)}})
    page = finance_page(replace(inputs, plan=converting))
    assert "forecast mean H100-equivalents a day" in page
    assert "first day (H100-equivalents)" in page and "growth (H100-equivalents)" in page
    assert "first day (GPUs)" not in page


def test_an_unmeasured_time_to_absorb_or_queue_delay_says_why_on_the_platform_page() -> None:
    """A time to absorb or queue delay no path ended within the window is "censored" on the
    page as in the terminal (the page printed "–"), in the KPI tables and in the baseline
    against shock table; one judged on no path (stored NaN before it was stored empty) says
    the plan fails unshocked."""
    from forecasting.report.pages.common import Stacked
    from forecasting.report.pages.platform import _change_tables, platform_page

    inputs = sample_inputs()
    kpis = inputs.drill_kpis.with_columns(
        p90=pl.when(pl.col("kpi").is_in(["time_to_absorb_hours", "queue_delay_hours"]))
        .then(None)
        .otherwise(pl.col("p90"))
    )
    page = " ".join(platform_page(replace(inputs, drill_kpis=kpis)).split())
    assert "P90 censored" in page
    judged = kpis.with_columns(
        mean=pl.when(pl.col("kpi") == "time_to_absorb_hours")
        .then(float("nan"))
        .otherwise(pl.col("mean"))
    )
    assert "fails unshocked" in platform_page(replace(inputs, drill_kpis=judged))
    # The baseline-against-shock table reads the same way (it printed "–" there too).
    drill = inputs.drill_kpi_changes["drill"][0]
    delay = pl.DataFrame(
        [{"drill": drill, "workload_class": "all", "kpi": "queue_delay_hours",
          "baseline_mean": 0.0, "baseline_p90": 0.0, "shocked_mean": None, "shocked_p90": None}],
        schema=inputs.drill_kpi_changes.schema,
    )  # fmt: skip
    rows = pl.concat([inputs.drill_kpi_changes.filter(pl.col("kpi") != "queue_delay_hours"), delay])
    ((_, table),) = [t for t in _change_tables(rows) if t[0] == drill]
    (cells,) = [r for r in table.rows if r[0] == "queue delay"]
    assert cells[2] == Stacked("censored", "P90 censored")
    assert cells[1] == Stacked("0.0 h", "P90 0.0 h")


def test_the_idle_card_says_where_it_judged_on_an_uncalibrated_band() -> None:
    """west-pod-2's 13 weeks from 2027-01-06 reach past the daily rows (to 2027-02-19) of a run
    no decision backtest calibrated: the card's label says so, as the capital card's does;
    windows within the daily rows keep the plain label."""
    inputs = sample_inputs()
    label = (
        "capex at idle risk (each committed block's first 13 weeks in service), judged past "
        "2027-02-19 on a band no backtest calibrated"
    )
    assert html_text(label) in finance_page(inputs)
    early = inputs.idle_risk.with_columns(in_service=pl.lit(date(2026, 11, 1)))
    assert html_text(label) not in finance_page(replace(inputs, idle_risk=early))
    # Judged only to the daily rows' end (a daily-only run): nothing was judged past them.
    cut = inputs.idle_risk.with_columns(
        days_judged=pl.min_horizontal(
            pl.col("days_judged"),
            (pl.lit(date(2027, 2, 19)) - pl.col("in_service")).dt.total_days() + 1,
        ).cast(pl.Int32)
    )
    assert html_text(label) not in finance_page(replace(inputs, idle_risk=cut))
    # Every reading names the period the figure covers: it read "capex at idle risk" alone.
    assert html_text("capex at idle risk (each committed block's first 13 weeks in service)") in (
        finance_page(replace(inputs, idle_risk=cut))
    )


def test_the_drills_card_says_when_the_failures_need_no_shock() -> None:
    """Every drill failing unshocked read "8 of 8" failing, as if the shocks broke the plan;
    the card now says the plan is short with no shock (an order, not a drill)."""
    inputs = sample_inputs()
    answers = inputs.drill_answers.with_columns(
        passed=pl.lit(False), verdict=pl.lit(FAILS_UNSHOCKED)
    )
    n = answers.height
    front = run_index_page(replace(inputs, drill_answers=answers))
    assert html_text(f"{n} of {n} (all fail unshocked: the plan is short with no shock") in front
    shocked = answers.with_columns(verdict=pl.lit(FAILS_UNDER_SHOCK))
    assert "short with no shock" not in run_index_page(replace(inputs, drill_answers=shocked))
    # Some of them: "(2 of them plan fails unshocked: ...)" read ungrammatically.
    two = shocked.with_columns(
        verdict=pl.when(pl.int_range(pl.len()) < 2)
        .then(pl.lit(FAILS_UNSHOCKED))
        .otherwise(pl.col("verdict"))
    )
    assert html_text(f"{n} of {n} (2 of them fail unshocked: the plan is short") in (
        run_index_page(replace(inputs, drill_answers=two))
    )
    one = shocked.with_columns(
        verdict=pl.when(pl.int_range(pl.len()) < 1)
        .then(pl.lit(FAILS_UNSHOCKED))
        .otherwise(pl.col("verdict"))
    )
    assert html_text(f"{n} of {n} (1 of them fails unshocked: the plan is short") in (
        run_index_page(replace(inputs, drill_answers=one))
    )


def test_a_drill_not_verified_reads_so_on_every_page_and_in_the_download(tmp_path: Path) -> None:
    """A 2x ramp the 7-day horizon cut at 1.17x held: the drill table read "pass", "0 h", the
    SLO table "pass 100 %" in every class, drills.csv "drill_passed true", and the front page
    counted it among the drills that hold. Each says "not verified" now, with why."""
    inputs = sample_inputs()
    passing = inputs.drill_answers.filter(pl.col("passed"))["drill"].to_list()
    name = passing[0]
    why = "cut short at 1.17x of 2x by the horizon (forecast at least 42 days ahead)"
    held = pl.col("drill") == name
    answers = inputs.drill_answers.with_columns(
        verdict=pl.when(held).then(pl.lit(NOT_VERIFIED)).otherwise("verdict"),
        unverified=pl.when(held).then(pl.lit(why)),
        time_to_absorb_hours=pl.when(held).then(0.0).otherwise("time_to_absorb_hours"),
        absorb_censored=pl.when(held).then(False).otherwise("absorb_censored"),
    )
    unverified = replace(inputs, drill_answers=answers)
    platform = platform_page(unverified)
    assert html_text(why) in platform
    assert html_text("0 h on what was played (not verified)") in platform
    # The SLO table (a badge per class, and one in the drill table) and its chart's caption.
    classes = inputs.drill_verdicts.filter(held)["workload_class"].n_unique()
    badge = f'<span class="badge unknown">{NOT_VERIFIED}</span>'
    assert platform.count(badge) == classes + 1
    assert f"not verified ({name})" in platform
    front = run_index_page(unverified)
    assert html_text(f"1 {NOT_VERIFIED} ({name}: {why})") in front
    folder = publish_report(unverified, root=tmp_path)
    drills = pl.read_csv(folder / "drills.csv").filter(pl.col("drill") == name)
    assert drills.height and drills["verdict"].eq(NOT_VERIFIED).all()
    assert drills["unverified"].eq(why).all()
    assert drills["drill_passed"].is_null().all() and drills["class_passed"].is_null().all()
    assert badge not in platform_page(inputs)


def test_empty_inputs_render_every_page_with_no_data(tmp_path: Path) -> None:
    """Every page renders with "No data" and nothing to draw; a run without drills says none
    was played on it (after a rerun it read "no drills on this plan")."""
    folder = publish_report(empty_inputs(), root=tmp_path)
    front = (folder / "index.html").read_text()
    assert "none played on this forecast run (fleetcast drill plays them)" in front
    for page in PAGES[1:]:
        text = (folder / page).read_text()
        assert 'data-figures="0"' in text
        assert "No data" in text
        assert "plotly.min.js" not in text  # nothing to draw, nothing to load
    assert "No earlier report by as-of day" in (folder / "finance.html").read_text()
    columns = [
        *TRIGGERS_SCHEMA.names(),
        "blocks_beyond_ceiling",
        "capex_new_site_usd",
        "capex_past_plan_usd",
        "exhaustion_grain",
        "order_by_grain",
        "size_note",
        "dates_placed",
        "status_shown",
        "new_site_order_by",
        "new_site_arrives",
        "due_before_next_report",
        "status_note",
    ]
    assert pl.read_csv(folder / "triggers.csv").columns == columns
    assert json.loads((folder / "triggers.json").read_text()) == []
    index = (tmp_path / "index.html").read_text()
    assert "no triggers" in index


def test_frames_without_columns_count_as_empty_and_missing_columns_fail() -> None:
    inputs = replace(empty_inputs(), triggers=pl.DataFrame())
    assert inputs.triggers.schema == TRIGGERS_SCHEMA
    with pytest.raises(ValueError, match=r"triggers lacks columns: .*order_by"):
        replace(empty_inputs(), triggers=pl.DataFrame({"region": ["x"]}))


def test_figure_counts_and_takeaways(tmp_path: Path) -> None:
    inputs = sample_inputs()
    finance, facilities = finance_page(inputs), facilities_page(inputs)
    platform = platform_page(inputs)
    # Orders, capital, share and HHI; one chart per site; 2 regions x (all + 2 classes) fans,
    # SLO attainment and one backlog chart per failing drill.
    assert 'data-figures="4"' in finance
    assert 'data-figures="2"' in facilities
    assert 'data-figures="9"' in platform
    assert finance.count('class="takeaway"') == 4
    assert "us-east inference peak reaches capacity on" in platform
    assert "at q90" in platform
    assert "The first order is due for us-east · all by 2026-08-10 (red)" in finance
    assert "2026 Q4 needs the most capital, $126.0M of $135.5M" in finance
    assert (
        "us-east-a needs 7.1 MW by Feb 2027, 3.2 MW more than the 3.9 MW in service in Nov 2026"
        in facilities
    )
    assert "2 of 3 drills fail" in platform
    assert "Stale data: the newest telemetry is 3 days old" in finance


def _fan_frames(monthly_q90: list[float]) -> dict[str, pl.DataFrame]:
    """Ten days of history and of daily forecast at 80 GPUs, then three monthly rows; capacity
    100 GPUs every day from the history's start to the last month's end."""
    uid, start = "total/r1", date(2027, 1, 1)
    days = [start + timedelta(days=d) for d in range(20)]
    history = pl.DataFrame(
        {"unique_id": uid, "ds": days[:10], "measure": "peak", "y": 80.0},
        schema_overrides={"ds": pl.Date},
    )
    daily = pl.DataFrame(
        {"unique_id": uid, "ds": days[10:], "measure": "peak", "q10": 70.0, "q50": 80.0,
         "q90": 90.0},
    )  # fmt: skip
    months = pl.DataFrame(
        {"unique_id": uid, "ds": [date(2027, m, 1) for m in (2, 3, 4)], "measure": "peak",
         "q10": [70.0] * 3, "q50": [85.0] * 3, "q90": monthly_q90},
    )  # fmt: skip
    capacity = pl.DataFrame(
        {"ds": pl.date_range(start, date(2027, 4, 30), eager=True), "region": "r1",
         "workload_class": "all", "gpus": 100.0},
    )  # fmt: skip
    return {"history": history, "forecast": daily, "months": months, "capacity": capacity}


def test_fan_chart_continues_monthly_past_the_daily_rows() -> None:
    """The monthly rows extend the fan as steps with their own band; the takeaway names the
    first month whose q90 peak is above capacity, or says they stay within it; the capacity
    line keeps only the days it changes."""
    crossing = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.0, **_fan_frames([95.0, 105.0, 99.0])
    )
    assert crossing is not None
    names = [trace.name for trace in crossing.figure.data]
    assert "monthly peak q10–q90 (q90 calibrated at 26 weeks only)" in names
    young = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.0, calibrated=False,
        **_fan_frames([95.0, 105.0, 99.0]),
    )  # fmt: skip
    assert young is not None
    assert "monthly peak q10–q90 (not calibrated)" in [t.name for t in young.figure.data]
    monthly = next(t for t in crossing.figure.data if t.name == "monthly peak q50")
    assert list(monthly.x)[:2] == [date(2027, 2, 1), date(2027, 2, 28)]
    assert "At the monthly grain the q90 peak reaches capacity in March 2027." in crossing.takeaway
    supply = next(t for t in crossing.figure.data if t.name == "capacity in service")
    assert len(supply.x) == 2  # 120 days of one level: its first and last day
    within = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.0, **_fan_frames([95.0] * 3)
    )
    assert within is not None
    assert "Monthly peaks stay within capacity at q90 to April 2027." in within.takeaway
    # Over capacity in the first month: it does not "reach" it there (a pool already above
    # capacity on its first day read "reaches capacity in June 2027" six months on).
    first = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.0, **_fan_frames([105.0, 99.0, 99.0])
    )
    assert first is not None
    assert "the q90 peak is above capacity in its first month, February 2027." in first.takeaway
    assert "reaches capacity" not in first.takeaway


def test_a_fan_chart_of_a_region_on_the_contract_book_alone_labels_the_book_not_a_forecast() -> (
    None
):
    """A greenfield region's chart drew its signed ramp as "forecast q50" inside a
    "forecast q10–q90" band and read "peak stays within capacity ... at q90", a forecast's
    words for a figure nobody forecast. Drawn with ``book_only`` its traces and takeaway name
    the contract book; without it the chart reads as before."""
    from forecasting.schema import BOOK_ONLY

    frames = _fan_frames([95.0, 105.0, 99.0])
    frames["history"] = frames["history"].clear()
    book = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.0, book_only=True, **frames
    )
    assert book is not None
    names = [t.name for t in book.figure.data]
    assert names == [
        "contract book (no telemetry yet: not forecast)",
        "contract book (no telemetry yet: not forecast), monthly",
        "capacity in service",
    ]
    assert book.takeaway.startswith(f"r1 all classes: {BOOK_ONLY}. ")
    plain = fan_chart(key="f", region="r1", workload_class="all", headroom=0.0, **frames)
    assert plain is not None and "forecast q50" in [t.name for t in plain.figure.data]


def test_monthly_takeaway_reads_the_headroom_as_the_daily_one_does() -> None:
    """A monthly q90 above the usable capacity (the headroom the triggers keep free) is said,
    not "within capacity": the triggers call that day a shortfall."""
    into = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.1, **_fan_frames([89.0, 95.0, 99.0])
    )
    assert into is not None
    assert (
        "At the monthly grain the q90 peak eats into the 10% headroom in March 2027 but stays "
        "within capacity to April 2027." in into.takeaway
    )
    over = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.1, **_fan_frames([95.0, 101.0, 99.0])
    )
    assert over is not None
    assert (
        "At the monthly grain the q90 peak reaches capacity in March 2027 (usable capacity in "
        "February 2027)." in over.takeaway
    )


def test_an_all_classes_chart_keeps_the_headroom_of_its_class_mix_by_date() -> None:
    """Dated headroom steps (the class mix moving it, as the triggers weigh it): the usable
    line and the takeaway follow the step in force on each day."""
    steps = pl.DataFrame({"ds": [date(2027, 1, 1), date(2027, 3, 1)], "headroom": [0.1, 0.2]})
    chart = fan_chart(
        key="f",
        region="r1",
        workload_class="all",
        headroom=steps,
        **_fan_frames([89.0, 85.0, 85.0]),
    )
    assert chart is not None
    usable = next(t for t in chart.figure.data if str(t.name).startswith("usable"))
    assert usable.name == "usable (10–20% headroom kept free)"
    assert usable.y[0] == pytest.approx(90.0) and usable.y[-1] == pytest.approx(80.0)
    assert "eats into the 10–20% headroom in March 2027" in chart.takeaway


def test_order_notes_are_full_width_lines_under_their_row() -> None:
    """The orders table's note is no column of its own (it was squeezed to a few words per
    line beside ten columns that never wrap) but a line under each row that has one."""
    page = finance_page(sample_inputs())
    orders = page[page.index("<h2>Orders to place</h2>") : page.index("<h2>Capital by quarter")]
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", orders)
    assert "note" not in headers and headers[-1] == "largest shortfall, GPUs"
    details = re.findall(r'<tr class="detail"><td colspan="(\d+)"><small>note:</small>', orders)
    assert details and set(details) == {str(len(headers))}


def test_drill_notes_show_under_their_drill() -> None:
    """A drill's answer, where it fails unshocked and its notes (here an idle migration rung)
    are lines under its row on the platform page, not columns."""
    page = platform_page(sample_inputs())
    assert "<small>notes:</small> migrate has nothing to move in us-west" in page
    drills = page[page.index("<h2>Shock drills</h2>") : page.index("<h2>SLO attainment")]
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", drills)
    assert not {"notes", "would pass with", "fails unshocked in"} & set(headers)
    # A failing drill's answer and its notes share one line under its row.
    assert re.search(r"<small>would pass with:</small> [^<]*<br><small>notes:</small>", drills)


def test_the_demand_charts_say_where_the_triggers_count_differently() -> None:
    """The chart section says the usable line is the class mix's headroom; it warns that the
    triggers' dates can differ only where the plan counts H100-equivalents or dedicates
    blocks."""
    inputs = sample_inputs()
    shared = [b.model_copy(update={"dedicated_customer": None}) for b in inputs.plan.block]
    plain = inputs.plan.model_copy(update={"gpu_type": {}, "block": shared})
    page = platform_page(replace(inputs, plan=plain))
    assert "weighted by the forecast class mix at the trigger quantile, as the triggers" in page
    assert "exhaustion dates can differ" not in page
    one = shared[0].model_copy(update={"dedicated_customer": "northwind-ai"})
    dedicated = plain.model_copy(update={"block": [one, *shared[1:]]})
    page = platform_page(replace(inputs, plan=dedicated))
    assert "also set dedicated blocks and their customers" in page
    assert "exhaustion dates can differ" in page


def test_what_changed_lists_moves_against_the_previous_run() -> None:
    """Moves, new and resolved pools against the previous run, which the page names with its
    as-of day when known; a report made again says which identical reports it reached past."""
    inputs = sample_inputs()
    changes = trigger_changes(inputs.triggers, inputs.previous_triggers)
    by_pool = {(r["region"], r["pool"]): r for r in changes.iter_rows(named=True)}
    assert by_pool[("us-east", "all")]["change"] == "changed"
    assert by_pool[("us-east", "all")]["status_before"] == "amber"
    assert by_pool[("us-east", "all")]["order_by_shift_days"] == -21
    assert by_pool[("eu-west", "all")]["change"] == "new"
    gone = trigger_changes(inputs.previous_triggers, inputs.triggers)
    assert set(gone.filter(pl.col("change") == "resolved")["region"]) == {"eu-west"}
    same = trigger_changes(inputs.triggers, inputs.triggers)
    assert set(same["change"]) == {"unchanged"}
    page = finance_page(inputs)
    assert "Compared with run 2026-11-15T06-00" in page
    assert "-21 d" in page
    assert "differ in" not in page
    horizon = "the daily horizon: 182 days → 7 days"
    page = finance_page(replace(inputs, changed_inputs=(horizon,)))
    assert f"The two runs differ in {horizon}: changes below may come from that" in page
    # Same forecast and plan, another checkout's code: the page says so (S5).
    versions = ("version not recorded", "0.1.0+3f2a9c1b7e4d")
    assert "fleetcast versions" not in page
    page = finance_page(replace(inputs, changed_versions=versions))
    assert (
        "The two runs were made by different fleetcast versions (version not recorded, then "
        "0.1.0+3f2a9c1b7e4d): changes may come from the code, not from demand or the plan."
    ) in page
    dated = finance_page(replace(inputs, previous_as_of=date(2026, 11, 8)))
    assert "Compared with run 2026-11-15T06-00 (as of 2026-11-08)." in dated
    # A run reported again with no earlier forecast run is compared with its own first
    # report: it read "Compared with run <this very run>", as if another run.
    again = html.unescape(finance_page(replace(inputs, previous_run_id=inputs.run_id)))
    assert f"Compared with run {inputs.run_id}" not in again
    assert "Compared with this run's earlier report." in again
    # A drill whose verdict flipped is listed too (only `fleetcast status` showed it).
    flipped = pl.DataFrame(
        [{"drill": "region-loss", "verdict_before": "pass", "verdict_now": "fails under the shock",
          "run_id_before": "d1", "run_id_now": "d2"}]
    )  # fmt: skip
    assert html_text("pass → fails under the shock") in finance_page(
        replace(inputs, drill_changes=flipped)
    )
    assert "fails under the shock" not in finance_page(inputs).split("What changed")[-1]
    # A report made again says it reached past its identical predecessor.
    again = (
        "1 earlier report of this forecast run and settings, with the same statuses and "
        "verdicts, not compared."
    )
    assert again in finance_page(replace(inputs, reruns_skipped=1))
    assert again in finance_page(
        replace(
            inputs,
            reruns_skipped=1,
            previous_run_id=None,
            previous_triggers=inputs.triggers.clear(),
        )
    )
    # Both exhaustions lie past the daily rows (to 2027-02-19): months, and no day shift.
    end = daily_end(inputs)
    monthly = trigger_changes(
        inputs.triggers, inputs.previous_triggers, daily_end_now=end, daily_end_before=end
    )
    east = monthly.filter((pl.col("region") == "us-east") & (pl.col("pool") == "all"))
    assert east["exhaustion_shift_days"].to_list() == [None]
    assert east["order_by_shift_days"].to_list() == [-21]
    page = finance_page(replace(inputs, previous_daily_end=end))
    assert "Apr 2027 → Mar 2027" in page and "2027-04-12 → 2027-03-22" not in page


def test_what_changed_lists_the_sites_whose_power_status_moved() -> None:
    """A site that went amber -> red since the previous run is listed under "what changed"
    with its contract-power-by dates; with no site moved there is no power table."""
    inputs = sample_inputs()
    moved = pl.DataFrame(
        [
            {
                "region": "us-east",
                "site": "us-east-b",
                "change": "changed",
                "status_before": "amber",
                "status_now": "red",
                "contract_by_before": date(2027, 2, 1),
                "contract_by_now": date(2026, 12, 1),
                "exhaustion_before": date(2029, 2, 1),
                "exhaustion_now": date(2028, 12, 1),
            }
        ],
        schema=POWER_CHANGES_SCHEMA,
    )
    for page in (
        finance_page(replace(inputs, power_changes=moved)),
        facilities_page(replace(inputs, power_changes=moved)),
    ):
        changed = page.split("What changed")[1]
        assert "contract power by" in changed and "us-east-b" in changed
        assert "2027-02-01 → 2026-12-01" in changed
    assert "contract power by" not in finance_page(inputs).split("What changed")[1]


def test_what_changed_lists_the_regions_whose_new_site_start_by_moved() -> None:
    """The construction trigger was not stored, so "what changed" could not say that a
    region's "start a new site by" moved or turned red. A region that went green -> red is
    listed with its start-by dates; a comparison with a run that recorded no construction says
    so, never that no new site changed."""
    from forecasting.report.changes import CONSTRUCTION_CHANGES_SCHEMA

    inputs = sample_inputs()
    moved = pl.DataFrame(
        [
            {
                "region": "us-east",
                "change": "changed",
                "status_before": "green",
                "status_now": "red",
                "start_by_before": date(2028, 6, 1),
                "start_by_now": date(2026, 10, 1),
                "exhaustion_before": date(2031, 1, 1),
                "exhaustion_now": date(2029, 5, 1),
            }
        ],
        schema=CONSTRUCTION_CHANGES_SCHEMA,
    )
    changed = facilities_page(replace(inputs, construction_changes=moved)).split("What changed")[1]
    assert "start a new site by" in changed and "2028-06-01 → 2026-10-01" in changed
    assert "start a new site by" not in finance_page(inputs).split("What changed")[1]
    unrecorded = replace(inputs, construction_not_recorded=("t-old",))
    assert "construction not recorded for t-old" in finance_page(unrecorded)


def test_the_orders_takeaway_names_the_first_order_not_a_pool_with_nothing_to_order() -> None:
    """A red pool short before any other but with nothing to order (covered by another pool's
    order, or by capacity already planned) is not "the first order due"; with no order at
    all the takeaway says there is nothing to order."""
    from forecasting.report.figures import orders_chart

    triggers = sample_triggers("us-east", "us-west")
    covered = pl.col("pool") == "all"
    early = triggers.with_columns(
        blocks_to_order=pl.when(covered & (pl.col("region") == "us-east"))
        .then(0)
        .otherwise(pl.col("blocks_to_order"))
    )
    chart = orders_chart(early, as_of=AS_OF)
    assert chart is not None
    assert chart.takeaway.startswith("The first order is due for us-east · training")
    assert "1 of them with nothing to order" in chart.takeaway
    none = triggers.with_columns(blocks_to_order=pl.lit(0))
    chart = orders_chart(none, as_of=AS_OF)
    assert chart is not None and chart.takeaway.startswith("Nothing to order: of 3 dated")


def test_the_orders_section_says_what_its_band_was_calibrated_on() -> None:
    """ "Calibrated at 26 weeks ahead" only where a decision backtest calibrated the plan, with
    what its median assumes about growth past them (nothing scores it); a run without one says
    its band is not calibrated, and one planned to its daily days says nothing is planned past
    them (every young fleet read "calibrated" before)."""
    inputs = sample_inputs()
    month = inputs.forecast.filter(pl.col("ds") == pl.col("ds").max()).with_columns(
        pl.col("ds").dt.truncate("1mo"), grain=pl.lit("month")
    )
    planned = replace(inputs, forecast_months=month.select(inputs.forecast_months.columns))
    assert "calibrated at 26 weeks ahead only" in finance_page(planned)
    growth = planned.forecast_months.with_columns(model=pl.lit("combination"))
    assert "it does not assume growth slows" in finance_page(
        replace(planned, forecast_months=growth)
    )
    damped = growth.with_columns(model=pl.lit("damped_trend"))
    assert "it assumes growth slows" in finance_page(replace(planned, forecast_months=damped))
    young = replace(
        planned,
        chosen=planned.chosen.with_columns(
            plan_reason=pl.lit("no decision backtest to choose a growth model on (7 blocks)"),
            plan_calibrated=False,
        ),
    )
    page = finance_page(young)
    assert "not calibrated: the history is too short for a decision backtest" in page
    assert "calibrated at 26 weeks ahead only" not in page
    # Its orders due now were sized on the daily rows (runs.trigger_settings), and it says so.
    end = inputs.forecast["ds"].max()
    assert f"Orders due now are sized for the shortfall to the last daily day ({end})" in page
    assert "Orders are sized for the 52 weeks after exhaustion" not in page
    assert "Orders are sized for the 52 weeks after exhaustion" in finance_page(planned)
    assert "nothing is planned past them" in finance_page(inputs)
    # A run whose every series is under six blocks: the walk's reason, then the run's.
    walking = young.chosen.with_columns(
        plan_reason=pl.lit(
            "4 blocks of 28 days, fewer than 6: random walk on the level, drifting +11.3% a "
            "block; history too short for a decision backtest: scale 1, uncalibrated"
        )
    )
    assert planned.plan_calibrated and not young.plan_calibrated and not inputs.plan_calibrated
    assert not replace(planned, chosen=walking).plan_calibrated
    # The plan's capital card says what it rests on.
    assert planned.every_order_label == "capital in every order of the plan"
    assert young.every_order_label.endswith(", on a band no backtest calibrated")


def test_stale_banner_only_when_older_than_a_day() -> None:
    assert "Stale data" not in finance_page(replace(empty_inputs(), stale_days=1))
    assert "Stale data" not in finance_page(replace(empty_inputs(), stale_days=None))
    assert "Stale data" in platform_page(replace(empty_inputs(), stale_days=2))


# --- formatting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (fmt_usd(42_000_000), "$42.0M"),
        (fmt_usd(1_234_567_890), "$1,234.6M"),
        (fmt_usd(850_000), "$850k"),
        (fmt_usd(999), "$999"),
        (fmt_usd(-2_500_000), "-$2.5M"),
        (fmt_mw(12.345), "12.3 MW"),
        (fmt_gpus(12345.6), "12,346"),
        (fmt_pct(0.947), "94.7%"),
        (fmt_pct(0.2, digits=0), "20%"),
        (fmt_date(date(2027, 3, 14)), "2027-03-14"),
        (fmt_date(datetime(2027, 3, 14, 5, tzinfo=UTC)), "2027-03-14"),
        (fmt_hours(36.54), "36.5 h"),
        (fmt_gpu_hours(12345.4), "12,345 GPU-h"),
        (fmt_days(14), "+14 d"),
        (fmt_days(-3), "-3 d"),
        (fmt_days(0), "0 d"),
        (fmt_gpus(None), "–"),
        (fmt_usd(float("nan")), "–"),
        (fmt_kpi("revenue_at_risk_usd", 17_680.0), "$18k"),
        (fmt_kpi("queue_delay_hours", 3.5), "3.5 h"),
        (fmt_kpi("unmet_gpu_hours", 5200.0), "5,200 GPU-h"),
        (fmt_kpi("slo_attainment", 0.91), "91.0%"),
    ],
)
def test_numbers_read_as_people_write_them(value: str, text: str) -> None:
    assert value == text


def test_a_change_that_rounds_to_zero_reads_zero_not_minus_zero() -> None:
    """A drill's increment a hair below zero read "-0 GPU-h" and "-0.0%" on the platform page
    (a 45-day fleet's "still waiting at the window's end", a 2-week horizon's SLO attainment):
    a loss the page then says is nothing. What rounds to zero reads as zero."""
    assert fmt_gpu_hours(-0.4) == "0 GPU-h"
    assert fmt_gpus(-0.3) == "0"
    assert fmt_pct(-0.00004) == "0.0%"
    assert fmt_hours(-0.04) == "0.0 h"
    assert fmt_kpi("waiting_at_end_gpu_hours", -1e-9) == "0 GPU-h"
    assert fmt_gpu_hours(-0.6) == "-1 GPU-h"


def test_one_day_reads_as_one_day_in_dates_and_notes() -> None:
    """A count of one day reads "1 day": the demo's finance page read "its blocks serve from
    2029-01-02, 1 days after exhaustion" (us-west training, session 51)."""
    from forecasting.report.format import fmt_lateness
    from forecasting.triggers.notes import _after_exhaustion

    assert fmt_lateness(date(2027, 3, 13), date(2027, 3, 14)) == "1 day ago: late"
    assert fmt_lateness(date(2027, 3, 12), date(2027, 3, 14)) == "2 days ago: late"
    exhaustion = date(2029, 1, 1)
    one, many = (_after_exhaustion(n, exhaustion=exhaustion, month_end=None) for n in (1, 41))
    assert (one, many) == ("1 day after exhaustion", "41 days after exhaustion")


def test_pages_show_formatted_numbers_not_raw_floats() -> None:
    inputs = sample_inputs()
    finance = finance_page(inputs)
    assert "$84.0M" in finance and "84000000" not in finance.split("<script")[0]
    assert "1,240" in finance  # max shortfall GPUs
    assert "59.6%" in finance  # idle share
    facilities = facilities_page(inputs)
    assert "3.2 MW" in facilities
    body = platform_page(inputs).split("<script")[0]
    assert not re.search(r"\d\.\d{4,}", body)  # no unformatted floats in tables


def test_facilities_place_orders_where_finance_does_and_say_when_power_is_missing() -> None:
    """An order the triggers placed at a site reads that site on the facilities page (it read
    "to be sited" beside finance's "placed at eu-west-a"), and one whose MW is not energized
    by its arrival says so beside the date; an order with no site stays "to be sited"."""
    inputs = sample_inputs()
    east = inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0).row(0, named=True)
    placements = pl.DataFrame(
        [
            {
                "region": east["region"],
                "pool": east["pool"],
                "candidate": east["candidate"],
                "site": "us-east-z",
                "blocks": east["blocks_to_order"],
                "mw": east["mw"],
                "arrives": east["arrives"],
                "powered": False,
            }
        ],
        schema=frame_schema("order_placements"),
    )
    assert "us-east-z" not in facilities_page(inputs)
    page = facilities_page(replace(inputs, placements=placements))
    assert "us-east-z" in page
    # In finance's words (the blocks table read "no power yet (see the power triggers)").
    said = f"{east['arrives']}, no power for it in the plan"
    assert said in page and said in finance_page(replace(inputs, placements=placements))
    assert "to be sited" in page  # the other orders have no placement


def test_the_blocks_table_shows_each_sites_part_of_an_order_split_between_sites() -> None:
    """The demo's us-east/all order of 89 racks read "89 x rack-h100-256 ... us-east-a" where
    7 of them go to us-east-b (orders.csv has the split rows): each site's part is its own
    row, with its blocks, GPUs and MW, and whether its own part runs on arrival."""
    from forecasting.report.pages.facilities import _blocks_table

    inputs = sample_inputs()
    east = (
        inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)
        .sort("order_by")
        .row(0, named=True)
    )
    blocks, mw, candidate = east["blocks_to_order"], east["mw"], east["candidate"]
    per_block = {c.name: c.gpus for c in inputs.plan.candidate}[candidate]
    share = {"region": east["region"], "pool": east["pool"], "candidate": candidate,
             "arrives": east["arrives"], "tranche": 1, "order_by": east["order_by"]}  # fmt: skip
    placements = pl.DataFrame(
        [
            share
            | {
                "site": "site-a",
                "blocks": blocks - 1,
                "mw": mw * (blocks - 1) / blocks,
                "powered": True,
            },
            share | {"site": "site-b", "blocks": 1, "mw": mw / blocks, "powered": False},
        ],
        schema=frame_schema("order_placements"),
    )
    table = _blocks_table(replace(inputs, placements=placements))
    rows = {str(r[3]): r for r in table.rows if str(r[3]).startswith("site-")}
    assert set(rows) == {"site-a", "site-b"}
    a, b = rows["site-a"], rows["site-b"]
    assert str(a[0]).startswith(f"{blocks - 1:,} × {candidate}")
    assert str(b[0]).startswith(f"1 × {candidate}")
    assert f"of {blocks:,}" in str(b[0])
    assert (a[4], b[4]) == (fmt_gpus((blocks - 1) * per_block), fmt_gpus(per_block))
    assert (a[5], b[5]) == (fmt_mw(mw * (blocks - 1) / blocks), fmt_mw(mw / blocks))
    assert str(a[7]) == fmt_date(east["arrives"])
    assert "no power for it in the plan" in str(b[7])


def test_the_blocks_table_dates_a_site_s_part_waiting_for_power_on_its_own_order_by() -> None:
    """The demo's us-east/all order: 14 racks at us-east-a run on arrival (order by
    2027-02-08, landing 2027-04-19); the 68 that wait for us-east-a's power are dated to land
    with it (order by 2028-09-25, landing 2028-12-04, orders.csv and finance). The facilities
    table read "82 x rack-h100-256 ... 2027-04-19 ... 2027-02-08": 82 racks of floor and
    cooling landing in April 2027, the 68's own dates nowhere. Each dated part is its own
    row, with its own order-by, arrival and status."""
    from forecasting.report.pages.facilities import _blocks_table

    inputs = sample_inputs()
    east = (
        inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)
        .sort("order_by")
        .row(0, named=True)
    )
    candidate, mw = east["candidate"], east["mw"] / east["blocks_to_order"]
    later_by, later_lands = (
        east["order_by"] + timedelta(days=600),
        east["arrives"] + timedelta(days=600),
    )
    share = {"region": east["region"], "pool": east["pool"], "candidate": candidate,
             "tranche": 1, "site": "site-a"}  # fmt: skip
    placements = pl.DataFrame(
        [
            share
            | {
                "blocks": 14,
                "mw": 14 * mw,
                "powered": True,
                "status": "green",
                "order_by": east["order_by"],
                "arrives": east["arrives"],
            },
            share
            | {
                "blocks": 68,
                "mw": 68 * mw,
                "powered": False,
                "status": "red",
                "order_by": later_by,
                "arrives": later_lands,
                "runs_from": later_lands + timedelta(days=28),
            },
        ],
        schema=frame_schema("order_placements"),
    )
    table = _blocks_table(replace(inputs, placements=placements))
    rows = [r for r in table.rows if str(r[3]) == "site-a"]
    assert len(rows) == 2, [str(r[0]) for r in rows]
    now, waiting = sorted(rows, key=lambda r: str(r[0]))
    now, waiting = (now, waiting) if str(now[0]).startswith("14 ") else (waiting, now)
    assert str(now[0]).startswith(f"14 × {candidate}") and "split by power date" in str(now[0])
    assert str(waiting[0]).startswith(f"68 × {candidate}")
    assert str(now[7]) == fmt_date(east["arrives"])
    assert fmt_date(later_lands) in str(waiting[7])
    assert str(waiting[9]).startswith(fmt_date(later_by))
    assert "green" in str(now[6]) and "red" in str(waiting[6])


def _planned(inputs: Any, *, later_capex: float) -> pl.DataFrame:
    """The sample triggers' orders as tranche 1, and one later order for the first of them,
    due a day before every trigger's order (a long-lead block for a later shortfall)."""
    ordering = inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)
    first = ordering.sort("order_by").row(0, named=True)
    rows = [
        {
            "region": r["region"], "pool": r["pool"], "candidate": r["candidate"],
            "site": None, "blocks": r["blocks_to_order"], "mw": r["mw"],
            "arrives": r["arrives"], "powered": True, "tranche": 1, "order_by": r["order_by"],
            "capex_usd": r["capex_usd"], "exhaustion_date": r["exhaustion_date"],
            "status": r["status"],
        }
        for r in ordering.iter_rows(named=True)
    ]  # fmt: skip
    later = rows[0] | {
        "region": first["region"], "pool": first["pool"], "candidate": "cell-later",
        "blocks": 3, "mw": 44.0, "tranche": 2, "capex_usd": later_capex,
        "order_by": first["order_by"] - timedelta(days=1),
        "arrives": first["arrives"] + timedelta(days=400),
    }  # fmt: skip
    return pl.DataFrame([*rows, later], schema=frame_schema("order_placements"))


def test_the_concentration_table_says_how_many_customers_a_fallback_forecasts() -> None:
    """A 45-day fleet's evaluation top-1 share was forecast at 29 % beside 32-87 % on every
    recent day, with most of its customers forecast as zero for want of history: the table
    now says, per class and overall, how many customers' forecasts are fallbacks."""
    inputs = sample_inputs()
    chosen = pl.DataFrame(
        {
            "unique_id": [f"total/us-east/inference/c{i}" for i in range(3)],
            "measure": "mean",
            "model": "zero",
            "fallback": ["1 day(s) of history", None, "1 day(s) of history"],
        },
    ).with_columns(pl.lit(None).cast(dtype).alias(name) for name, dtype in
                   inputs.chosen.schema.items() if name not in ("unique_id", "measure", "model",
                                                                "fallback"))  # fmt: skip
    table = _concentration_table(inputs.concentration, chosen.select(inputs.chosen.columns))
    said = {(str(r[0]), str(r[1])): r[-1] for r in table.rows}
    assert said[("inference", "top-1 share")] == "2 of 3 customer series"
    assert said[("overall", "HHI")] == "2 of 3 customer series"
    plain = _concentration_table(inputs.concentration, inputs.chosen)
    assert {r[-1] for r in plain.rows} == {""}


def test_the_fallback_count_of_a_customer_in_two_regions_counts_series_not_customers() -> None:
    """A 60-customer fleet's concentration table read "2 of 80 customers" forecast by a
    fallback: 80 was its customer series (a customer in two regions or three classes counted
    once in each), not customers. The cell says what it counts."""
    inputs = sample_inputs()
    ids = ["total/us-east/inference/c0", "total/us-west/inference/c0", "total/us-east/batch/c0"]
    chosen = pl.DataFrame(
        {"unique_id": ids, "measure": "mean", "model": "zero",
         "fallback": ["1 day(s) of history", None, None]},
    ).with_columns(pl.lit(None).cast(dtype).alias(name) for name, dtype in
                   inputs.chosen.schema.items() if name not in ("unique_id", "measure", "model",
                                                                "fallback"))  # fmt: skip
    table = _concentration_table(inputs.concentration, chosen.select(inputs.chosen.columns))
    said = {(str(r[0]), str(r[1])): r[-1] for r in table.rows}
    assert said[("overall", "HHI")] == "1 of 3 customer series"


def test_a_report_of_a_past_as_of_date_says_what_today_means_on_every_page() -> None:
    """A trace of May 2020 (or a backfill) read "ordered today", "power contracted today" and
    "no order placed today" of its as-of date on pages read years later, with nothing saying
    so. Every page carries one sentence naming the as-of date and the gap; a report generated
    on (or the day after) its as-of date has none."""
    inputs = sample_inputs()
    later = replace(inputs, generated_at=inputs.generated_at + timedelta(days=2_000))
    said = html_text(
        f"This report stands on its as-of date, {AS_OF}, 2,000 days before it was generated: "
        f'"today" here ("ordered today", "power contracted today", "no order placed today") '
        f"means {AS_OF}, and lateness is counted from it."
    )
    for page in (finance_page, facilities_page, platform_page, run_index_page):
        assert said in page(later)
        assert "stands on its as-of date" not in page(inputs)


def test_the_slo_legend_says_a_class_is_judged_in_each_region() -> None:
    """A class's drill verdict is its regions' (each reaches its target on 90 % of paths, the
    cell its weakest region's share), where the legend still described one fleet-wide share."""
    page = platform_page(sample_inputs())
    assert html_text("A class passes when, in each region it runs in, the share of hours") in page
    assert html_text("the cell shows its weakest region's share") in page


def test_a_top1_share_names_the_customer_it_is_of() -> None:
    """The concentration table read "top-1 share 30.9 %" and left finance asking whose. The
    last history day's share names its customer; the forecast week's names the customer the
    forecast expects to lead (the largest mean: paths may rank near-equals either way), and
    no other metric names anyone."""
    inputs = sample_inputs()
    last = inputs.concentration.filter(pl.col("source") == "forecast")["ds"].max()
    week = [last - timedelta(days=last.weekday() - d) for d in range(7)]
    forecast = pl.DataFrame(
        [(f"total/us-east/inference/{c}", d, "mean", y)
         for d in week for c, y in (("zephyr", 900.0), ("northwind-ai", 400.0))],
        schema={"unique_id": pl.String, "ds": pl.Date, "measure": pl.String, "mean": pl.Float64},
        orient="row",
    )  # fmt: skip
    table = _concentration_table(
        inputs.concentration, inputs.chosen, history=inputs.history, forecast=forecast
    )
    said = {(str(r[0]), str(r[1])): r for r in table.rows}
    top1 = said[("inference", "top-1 share")]
    assert str(top1[2]).endswith("(northwind-ai)")
    assert str(top1[4]).endswith("(zephyr, largest mean)")
    assert "(" not in str(said[("inference", "HHI")][2])
    assert "(" not in str(said[("overall", "top-5 share")][4])


def _region_concentration() -> pl.DataFrame:
    """Four regions on AS_OF - 1 (history) and in the week of the last forecast Monday: a
    single customer's, a concentrated one, one whose tail outweighs its top customer, and
    one of the tail alone."""
    now, week = AS_OF - timedelta(days=1), date(2027, 2, 1)
    cases = {  # region: (top1, hhi, tail) now; the horizon's q50 HHI adds 10 %
        "solo": (1.0, 10_000.0, 0.0),
        "eu-west": (0.55, 3_400.0, 0.05),
        "us-east": (0.2, 1_200.0, 0.3),
        "ap-south": (None, None, 1.0),
    }
    rows = []
    for region, (top1, hhi, tail) in cases.items():
        for metric, v in (("top1_share", top1), ("top5_share", top1), ("hhi", hhi)):
            rows.append((region, now, metric, "history", v, None, None, None))
            q = None if v is None else v * (1.1 if metric == "hhi" else 1.0)
            band = (None, None) if q is None else (0.8 * q, 1.2 * q)
            rows.append((region, week, metric, "forecast", q, band[0], q, band[1]))
        rows.append((region, now, "tail_share", "history", tail, None, None, None))
        rows.append((region, week, "tail_share", "forecast", tail, tail, tail, tail))
    return pl.DataFrame(rows, orient="row", schema=CONCENTRATION_SCHEMA)


def test_concentration_is_shown_per_region_most_concentrated_first() -> None:
    """Concentration read per class and fleet-wide only: a customer at a modest fleet share
    holding 55 % of eu-west, where its capacity is bought, showed nowhere. The finance page has
    a region table, most concentrated first, naming each region's top customer, HHI now and
    at the horizon (q50, q10-q90); a region of one customer says so, one of the tail alone
    reads not measured (never a 0 % share), and where the tail outweighs the top customer its
    share is a floor."""
    now = AS_OF - timedelta(days=1)
    history = pl.DataFrame(
        [(f"total/{r}/inference/{c}", now, "mean", y, r, "inference", c)
         for r, c, y in (("solo", "acme", 10.0), ("eu-west", "zephyr", 55.0),
                         ("eu-west", "globex", 40.0), ("us-east", "initech", 20.0),
                         ("ap-south", "other", 5.0))],
        schema=DEMAND_SCHEMA, orient="row",
    )  # fmt: skip
    table = _region_concentration_table(_region_concentration(), history=history)
    assert [r[0] for r in table.rows] == ["solo", "eu-west", "us-east", "ap-south"]
    said = {str(r[0]): r for r in table.rows}
    assert said["solo"][1] == "100.0% (acme: the only customer)"
    assert said["eu-west"][1] == "55.0% (zephyr)"
    assert said["eu-west"][2] == "3,400 (up to 3,425 with the tail)"
    assert said["eu-west"][4] == "3,740 (up to 3,765 with the tail)"
    assert said["eu-west"][5] == "2,992 – 4,488"
    assert said["us-east"][1] == "at least 20.0% (initech)"
    assert said["ap-south"][1] == "only the long tail (100.0%): not measured"
    assert said["ap-south"][2] == said["ap-south"][4] == "not measured"
    assert not re.search(r"(?<![\d.,])0\.0%", " ".join(str(c) for c in said["ap-south"][1:6]))
    page = finance_page(replace(sample_inputs(), region_concentration=_region_concentration()))
    assert html_text("most concentrated region first") in page


def test_the_region_table_says_its_hhi_may_read_low_where_the_tail_holds_larger_customers() -> None:
    """The long tail is folded per class over the fleet, so inside one region a tail customer
    can outweigh a named one; the region HHI counts the tail as customers no larger than the
    smallest named one, an upper bound fleet-wide but not there, and the page read it as a
    plain figure. The intro says it can read low, and by how much at most."""
    said = _region_concentration_intro(_region_concentration())
    assert "HHI reads low, by at most the tail's share squared" in said


def test_a_region_hhi_cell_gives_the_most_its_tail_could_add() -> None:
    """The page said a region's HHI reads low by at most its tail's share squared, then
    printed a plain figure: us-east's 1,200 with a 30 % tail could be up to 2,100, past the
    2,500 line or not, and the reader had to do the sum. Each HHI cell of a region with a
    tail now gives that bound (now and at the horizon, from each day's own tail); a region
    without a tail keeps its plain figure."""
    said = {str(r[0]): r for r in _region_concentration_table(_region_concentration()).rows}
    assert said["us-east"][2] == "1,200 (up to 2,100 with the tail)"
    assert said["us-east"][4] == "1,320 (up to 2,220 with the tail)"
    assert said["eu-west"][2] == "3,400 (up to 3,425 with the tail)"
    assert said["solo"][2] == "10,000"


def test_a_region_whose_telemetry_stopped_says_the_day_its_share_is_of() -> None:
    """The region table's "last history day" is each region's own: a region whose feed
    stopped two weeks ago read its old share beside the others' of yesterday, as of one day."""
    frame = _region_concentration()
    early = AS_OF - timedelta(days=15)
    frame = frame.with_columns(
        ds=pl.when((pl.col("scope") == "eu-west") & (pl.col("source") == "history"))
        .then(pl.lit(early))
        .otherwise(pl.col("ds"))
    )
    said = {str(r[0]): r for r in _region_concentration_table(frame).rows}
    assert said["eu-west"][1] == f"55.0% (a named customer), on {fmt_date(early)}: its last day"
    assert "on " not in str(said["us-east"][1])


def test_the_top_customer_drill_says_which_region_its_customer_weighs_most_in() -> None:
    """The "top customer 2x" drill named the fleet's largest customer and not where it lands:
    a customer at a modest fleet share can be most of one region, where capacity is bought.
    The drill's target now says the customer's largest share of a region (every class of it,
    the tail in the total) on the region's last history day; other targets are unchanged."""
    now = AS_OF - timedelta(days=1)
    history = pl.DataFrame(
        [(f"total/{r}/{k}/{c}", now, "mean", y, r, k, c)
         for r, k, c, y in (("us-east", "inference", "acme", 20.0),
                            ("us-east", "inference", "globex", 80.0),
                            ("eu-west", "inference", "acme", 30.0),
                            ("eu-west", "training", "acme", 25.0),
                            ("eu-west", "inference", "other", 45.0))],
        schema=DEMAND_SCHEMA, orient="row",
    )  # fmt: skip
    regions = customer_regions(history)
    assert regions["acme"] == f"55.0% of eu-west's demand on {fmt_date(now)}"
    answers = sample_inputs().drill_answers.head(1)
    drills = pl.concat(
        [answers.with_columns(target=pl.lit(t)) for t in ("customer:acme", "class:inference")]
    )
    table = _answers_table(drills, regions=regions)
    assert [str(r[2]) for r in table.rows] == [
        f"customer:acme (55.0% of eu-west's demand on {fmt_date(now)}, its largest regional share)",
        "class:inference",
    ]


def test_a_later_order_says_its_status_and_the_shortfall_it_is_for() -> None:
    """A later order landing a year after its shortfall sat among green rows with its
    lateness on no page: the later-orders table shows its status, its shortfall (a month past
    the daily rows) and an arrival its site has no power for yet."""
    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=500e6)
    short = date(2028, 3, 1)
    late = planned.with_columns(
        status=pl.when(pl.col("tranche") == 2).then(pl.lit("red")).otherwise("status"),
        exhaustion_date=pl.when(pl.col("tranche") == 2).then(short).otherwise("exhaustion_date"),
        powered=pl.col("tranche") != 2,
    )
    table = _later_orders_table(late, daily_end=daily_end(inputs))
    (row,) = table.rows
    assert row[2] == Badge("red") and row[5] == "Mar 2028"
    assert str(row[4]).endswith(", no power yet (see the power triggers)")


def test_finance_prices_every_order_of_the_plan_and_names_a_later_order_due_first() -> None:
    """With later orders placed, finance reads capital in every order to the plan's end (the
    triggers' orders and the later one), lists the later order, and its "next order-by" card
    names it when it is due before every trigger's order; facilities lists it as planned.
    Before, the plan priced the triggers' orders alone and the card named the first trigger."""
    inputs = sample_inputs()
    ordering = inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)
    planned = replace(inputs, placements=_planned(inputs, later_capex=500e6))
    page = finance_page(planned)
    everything = float(ordering["capex_usd"].sum()) + 500e6
    assert "capital in every order of the plan" in page
    assert fmt_usd(everything) in page
    assert "Later orders in the plan" in page and "3 × cell-later" in page
    due = planned.placements.filter(pl.col("tranche") == 2)["order_by"][0]
    assert f"{due} (" in page and "a later order: 3 × cell-later" in page
    # Listed under the blocks and among the orders by power draw.
    assert facilities_page(planned).count("later order ") == 2
    chart = orders_chart(planned.triggers, as_of=planned.as_of, placements=planned.placements)
    assert chart is not None
    first = ordering.sort("order_by").row(0, named=True)
    assert f"{first['region']} · {first['pool']} · later 1" in chart.figure.to_json()
    assert f"A later order of the plan is due before them: {first['region']} · " in chart.takeaway
    # Two due before the triggers: counted and priced, the first named.
    second = planned.placements.filter(pl.col("tranche") == 2).with_columns(
        tranche=pl.lit(3, pl.Int64)
    )
    twice = replace(
        planned,
        placements=pl.concat([planned.placements, second]).with_columns(
            status=pl.when(pl.col("tranche") > 1).then(pl.lit("green")).otherwise("status")
        ),
    )
    chart = orders_chart(twice.triggers, as_of=twice.as_of, placements=twice.placements)
    assert chart is not None
    assert f"2 later orders of the plan are due before them ({fmt_usd(1000e6)}), " in chart.takeaway
    assert "a later order: 3 × cell-later, and 1 more before the triggers" in finance_page(twice)
    # The card says the later order's status, as the CLI does ("(red)"): it read none.
    # (and how far its own shortfall is verified: the sample verifies to 2026-12-19 only).
    said = "· all, green to 2026-12-19 only: not verified beyond, a later order: 3 × cell-later"
    assert html_text(said) in finance_page(twice)
    # Past their order-by dates the later orders are red, and the takeaway counts them: the
    # triggers' tally above it does not hold them.
    late = twice.placements.with_columns(
        status=pl.when(pl.col("tranche") > 1).then(pl.lit("red")).otherwise("status")
    )
    chart = orders_chart(twice.triggers, as_of=twice.as_of, placements=late)
    assert chart is not None
    assert f"({fmt_usd(1000e6)}, 2 red), the first " in chart.takeaway
    assert chart.takeaway.endswith("(red).")
    # Without later orders the card names the first trigger, and the table says none.
    plain = finance_page(replace(inputs, placements=_planned(inputs, later_capex=500e6).filter(
        pl.col("tranche") == 1
    )))  # fmt: skip
    assert "a later order" not in plain
    assert "no later orders: the orders due now cover the plan" in plain


def test_the_capital_in_every_order_says_how_much_rests_on_unverified_shortfalls() -> None:
    """The demo's "capital in every order of the plan $6,086.4M" read plain, while every order
    of it but the first racks was for a shortfall past 2027-06-05, the last day its statuses
    are verified (52 weeks out the regions' demand passed q90 on 20 % of days): the pools' rows
    said "not verified", the card summing their orders did not. It now says how much of it is
    for such shortfalls; within the verified days, as before. The day and the marker only, as
    a status cell says them: the card carried the ~35-word reason the note under its label
    (and under every marked table) says once."""
    from forecasting.report.inputs import green_verified_to
    from forecasting.report.pages.common import every_order_capital

    inputs = _planned_36_months()
    verified = green_verified_to(inputs)
    assert verified is not None
    planned = _planned(inputs, later_capex=600e6).with_columns(
        exhaustion_date=pl.when(pl.col("tranche") == 2)
        .then(pl.lit(verified + timedelta(days=400)))
        .otherwise(pl.lit(verified))
    )
    said = every_order_capital(replace(inputs, placements=planned))
    assert said is not None
    every = float(planned["capex_usd"].sum())
    assert (
        f" (of the {fmt_usd(every)}, {fmt_usd(600e6)} in 1 order for shortfalls past "
        f"{fmt_date(verified)}: not verified†)"
    ) in said, said
    assert "the last day a backtest measured" not in said, said
    note = f"† Not verified past the last day a backtest measured ({fmt_date(verified)})."
    for page in (finance_page, run_index_page):
        shown = html.unescape(page(replace(inputs, placements=planned)))
        card = shown.split('<div class="label">capital in every order of the plan')
        assert len(card) == 2, page.__name__
        assert (
            "for shortfalls past the last day a backtest measured"
            not in card[0].rsplit('<div class="card">', 1)[1]
        ), page.__name__
        assert card[1].startswith(f'<div class="card-note">{note}</div>'), page.__name__
    within = planned.with_columns(
        exhaustion_date=pl.lit(verified), arrives=pl.lit(verified - timedelta(days=30))
    )
    plain = every_order_capital(replace(inputs, placements=within))
    assert plain is not None and "not verified" not in plain, plain


def test_the_capital_in_every_order_says_how_much_is_sized_on_days_past_the_verified_ones() -> None:
    """Helios at 26 weeks (its backtests scored to 2020-06-05) read "capital in every order of
    the plan $26.5M" plain: both shortfalls fell on measured days, so nothing on the card said
    that the racks, landing 2020-07-26, were sized on demand to 2020-11-29 that no backtest
    measured (their triggers' notes said so). The cards now say how much of it lands past the
    verified day, sized on demand there; an order landing within it reads as before."""
    from forecasting.report.inputs import green_verified_to
    from forecasting.report.pages.common import every_order_capital, trigger_capital

    inputs = _planned_36_months()
    verified = green_verified_to(inputs)
    assert verified is not None
    planned = _planned(inputs, later_capex=600e6).with_columns(
        exhaustion_date=pl.lit(verified),
        arrives=pl.when(pl.col("tranche") == 2)
        .then(pl.lit(verified + timedelta(days=30)))
        .otherwise(pl.lit(verified - timedelta(days=30))),
    )
    shown = replace(inputs, placements=planned)
    said = every_order_capital(shown)
    assert said is not None
    every = float(planned["capex_usd"].sum())
    assert (
        f" (of the {fmt_usd(every)}, {fmt_usd(600e6)} in 1 order dated on measured days whose "
        f"blocks land past the last day a backtest measured ({fmt_date(verified)}): sized on "
        "demand there, not verified)"
    ) in said, said
    for page in (finance_page, run_index_page):
        assert html_text("sized on demand there, not verified") in page(shown), page.__name__
    landed = planned.with_columns(arrives=pl.lit(verified))
    plain = every_order_capital(replace(inputs, placements=landed))
    assert plain is not None and "sized on demand there" not in plain, plain
    assert "sized on demand there" not in trigger_capital(replace(inputs, placements=landed))


def test_the_report_publishes_every_order_of_the_plan(tmp_path: Path) -> None:
    """orders.csv holds the triggers' orders and the later ones, by order-by date, and the
    front page prices them all beside the orders due now and names the first order due: the
    later one, due before every trigger's (it named none, and the demo's $3.7B of cells due
    in 13 days read nowhere on it)."""
    inputs = sample_inputs()
    planned = replace(inputs, placements=_planned(inputs, later_capex=500e6))
    folder = publish_report(planned, root=tmp_path)
    orders = pl.read_csv(folder / "orders.csv", try_parse_dates=True)
    assert orders.height == planned.placements.height
    assert orders["order_by"].is_sorted()
    # A column added later goes last: order_by_blocks went in mid-file, moving the six
    # published after it one place for a reader by position.
    # The new sites' columns (test_construction) after them, then the new-site dates, then
    # the next report's words (test_orders_before_next_report).
    # Then why a marked status is not verified (test_said_once).
    assert orders.columns[-13:] == ["exhaustion_grain", "order_by_grain", "size_note",
        "to_place_by", "dates_placed", "status_shown", "order_by_blocks", "new_site_mw",
        "new_site_capex_usd", "new_site_order_by", "new_site_arrives",
        "due_before_next_report", "status_note"]  # fmt: skip
    assert orders.filter(pl.col("tranche") == 2)["candidate"].to_list() == ["cell-later"]
    front = (folder / "index.html").read_text()
    total = float(planned.placements["capex_usd"].sum())
    assert "capital in every order of the plan" in front and fmt_usd(total) in front
    due = planned.placements.filter(pl.col("tranche") == 2)["order_by"][0]
    late = (planned.as_of - due).days  # due before the as-of date: late, and it says so
    assert "next order-by" in front and f"{due}, {late} days ago: late (" in front
    assert "a later order: 3 × cell-later" in front


def test_an_order_with_no_order_by_is_listed_last_in_orders_csv() -> None:
    """An order no site can power has no order-by date (a new site is needed): sorted
    first, it opened orders.csv above every order due; it is listed after them."""
    from forecasting.report.inputs import orders_frame

    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=500e6)
    undated = planned.with_columns(
        pl.when(pl.col("tranche") == 2).then(None).otherwise(pl.col("order_by")).alias("order_by")
    )
    orders = orders_frame(undated, end=None)
    assert orders["order_by"][-1] is None and orders["tranche"][-1] == 2
    assert orders["order_by"].drop_nulls().is_sorted()


def test_blocks_past_their_site_s_ceiling_are_a_new_site_not_capital_of_the_plan(
    tmp_path: Path,
) -> None:
    """A later order of 3 cells, 2 of them past their site's ceiling: they read "no power
    yet" and their capex counted in the plan's capital (the demo: 7 GB200 cells, $2.58B, at a
    site 69.6 MW past its ceiling, in a $8,858.1M total) while the facilities page said a
    new site is needed. Now finance, the front page and orders.csv total the blocks the plan
    can place and give the rest apart as a new site's; the later-orders rows of finance and
    facilities say how many blocks are past the ceiling and when the rest can run."""
    inputs = sample_inputs()
    # Short on days the statuses are verified: no "not verified" part between the figures.
    planned = _planned(inputs, later_capex=600e6).with_columns(
        exhaustion_date=pl.lit(inputs.as_of),
        site=pl.when(pl.col("tranche") == 2).then(pl.lit("us-east-b")).otherwise("site"),
        powered=pl.col("tranche") != 2,
        blocks_beyond_ceiling=pl.when(pl.col("tranche") == 2).then(2).otherwise(0),
        runs_from=pl.when(pl.col("tranche") == 2).then(date(2028, 12, 31)).otherwise("arrives"),
    )
    beyond = replace(inputs, placements=planned)
    placeable = float(planned["capex_usd"].sum()) - 400e6
    page = html.unescape(finance_page(beyond))
    # The rest run from 2028-12-31, after the plan's end: apart too, not within the horizon.
    assert (
        f"{fmt_usd(placeable - 200e6)} (+ {fmt_usd(400e6)} for 2 blocks past their site's "
        f"ceiling: a new site is needed, not in the plan's totals) (+ {fmt_usd(200e6)} for 1 "
        "order whose blocks can run only after the plan's end"
    ) in page
    arrives = planned.filter(pl.col("tranche") == 2)["arrives"][0]
    text = (
        f"{arrives}; 2 of 3 past us-east-b's ceiling: a new site is needed; the rest run from "
        "2028-12-31 at the earliest"
    )
    assert (
        text in page
        and (
            f"{fmt_usd(200e6)} (+ {fmt_usd(400e6)} for 2 blocks past their site's ceiling: a new "
            "site is needed, not in the plan's totals)"
        )
        in page
    )
    assert "no power yet" not in page
    # Among the blocks, and the orders by power draw.
    assert html.unescape(facilities_page(beyond)).count(text) == 2
    folder = publish_report(beyond, root=tmp_path)
    orders = pl.read_csv(folder / "orders.csv", try_parse_dates=True)
    # As the pages total it: the block that runs only after the plan's end apart too.
    assert orders["capex_usd"].sum() == pytest.approx(placeable - 200e6)
    later = orders.filter(pl.col("tranche") == 2).row(0, named=True)
    assert (later["blocks_beyond_ceiling"], later["capex_new_site_usd"]) == (2, 400e6)
    assert later["capex_past_plan_usd"] == pytest.approx(200e6)
    assert fmt_usd(placeable - 200e6) in (folder / "index.html").read_text()


def test_the_n_plus_one_check_is_published_on_the_platform_page_and_the_cli() -> None:
    """Every trigger run stored whether each region holds with its largest shared block lost,
    and no page, download or CLI line showed it: on the demo us-west cannot lose one 1,024-GPU
    pod from 2027-01-03 while its triggers read Aug 2027. Now the platform page has a table
    (the loss's first short day beside the region's first shortfall with nothing lost) and
    the report's outcome a line per region short without its block."""
    from forecasting.report.inputs import N_PLUS_ONE_SCHEMA, n_plus_one_lines

    inputs = sample_inputs()
    first = inputs.triggers.filter(pl.col("exhaustion_date").is_not_null()).sort("exhaustion_date")
    region, anyway = first["region"][0], first["exhaustion_date"][0]
    early = anyway - timedelta(days=90)
    rows = [(region, f"{region}-pod-01", 1024, False, early, 5000.0), ("zz-quiet", "zz-rack",
            256, True, None, 0.0)]  # fmt: skip
    checked = replace(inputs, n_plus_one=pl.DataFrame(rows, schema=N_PLUS_ONE_SCHEMA, orient="row"))
    assert "no N+1 check in this run" in platform_page(inputs)
    page = html.unescape(platform_page(checked))
    assert "N+1: the largest block lost" in page and f"{region}-pod-01" in page
    # Each day loses its own largest block (a cell committed for month ten stood for every day).
    assert "each day's largest shared block in service lost that day" in page
    assert "most capacity in service at some day of the horizon" not in page
    assert "block lost (first short day)" in page
    assert n_plus_one_lines(checked) == [
        f"n+1: {region} is short from {fmt_date(early)} if it loses {region}-pod-01 (1,024 "
        f"GPUs); without the loss its first shortfall is "
        f"{fmt_day_or_month(anyway, daily_end=daily_end(inputs))}"
        # Past the 27 days the sample's backtests measured (test_headline_reach).
        "; both dates past 2026-12-19: not verified†"
    ]
    assert n_plus_one_lines(inputs) == []


def test_blocks_retiring_within_the_plan_are_said_on_the_cli() -> None:
    """The demo's us-west-rack-01 (512 A100) retires on 2027-02-18, inside the plan, and the
    triggers count it out of capacity from then; `report` and `run` printed no word of it,
    so a facilities or finance reader of the terminal could not see that the plan rests on a
    retirement. The report's outcome now has a line naming the blocks that retire within
    the plan and by when; a block retiring past the plan's end, or already gone, is not on it."""
    from forecasting.report.inputs import retiring_line

    inputs = sample_inputs()
    assert retiring_line(inputs) == ""
    end = daily_end(inputs)
    assert end is not None
    soon, later = inputs.as_of + timedelta(days=30), end + timedelta(days=10)
    blocks = [
        b.model_copy(update={"status": "retiring", "retire": soon})
        if b.id == "west-pod-1"
        else b.model_copy(update={"retire": later})
        if b.id == "east-pod-1"
        else b
        for b in inputs.plan.block
    ]
    retiring = replace(inputs, plan=inputs.plan.model_copy(update={"block": blocks}))
    assert retiring_line(retiring) == (
        f"retiring: 1 block (1,024 GPUs) retires by {soon}, within the plan (to {end}): "
        f"west-pod-1 (eu-west, 1,024 H100) on {soon}; the triggers count it out of capacity "
        "from then"
    )


def test_many_retiring_blocks_are_counted_per_region_in_their_own_number() -> None:
    """The Helios demo's summary read "retiring: 5 blocks (296 GPUs) retire by 2020-07-02
    ...: helios 5 block(s) (296 GPUs) from ...": past four blocks the line counts them per
    region, each count with its own noun (1 block, 5 blocks), never "block(s)"."""
    from forecasting.report.inputs import retiring_line

    inputs = sample_inputs()
    soon = inputs.as_of + timedelta(days=30)
    retiring = [
        b.model_copy(update={"status": "retiring", "retire": soon}) for b in inputs.plan.block
    ]
    # A second block beside one region's first: past four blocks, counted per region.
    blocks = [*retiring, retiring[0].model_copy(update={"id": f"{retiring[0].id}-b"})]
    assert len(blocks) > 4
    line = retiring_line(replace(inputs, plan=inputs.plan.model_copy(update={"block": blocks})))
    assert "block(s)" not in line
    counts = {b.region: 0 for b in blocks}
    for b in blocks:
        counts[b.region] += 1
    for region, n in counts.items():
        assert f"{region} {n} block{'' if n == 1 else 's'} (" in line


def test_the_n_plus_one_line_says_not_measured_where_no_day_could_tell_the_loss_apart() -> None:
    """'no earlier than without the loss (2026-11-16): losing it adds nothing' was printed
    where the region was short on the first forecast day anyway, or where both dates were the
    same month at the monthly grain: nothing could have been earlier, or a day's difference
    was not measured, yet it read as a measured margin. Those say "not measured"."""
    from forecasting.report.inputs import N_PLUS_ONE_SCHEMA, n_plus_one_lines

    inputs = sample_inputs()
    region = inputs.triggers["region"][0]
    first_day = inputs.as_of + timedelta(days=1)
    end = daily_end(inputs)
    assert end is not None
    month = date(end.year + 1, end.month, 1)

    def line(short: date, anyway: date) -> str:
        triggers = inputs.triggers.with_columns(
            pl.when(pl.col("region") == region)
            .then(pl.lit(anyway))
            .otherwise(None)
            .alias("exhaustion_date")
        )
        rows = [(region, f"{region}-pod-01", 1024, False, short, 5000.0)]
        n_plus_one = pl.DataFrame(rows, schema=N_PLUS_ONE_SCHEMA, orient="row")
        (said,) = n_plus_one_lines(replace(inputs, triggers=triggers, n_plus_one=n_plus_one))
        return said

    assert line(first_day, first_day).endswith(
        "short from the first forecast day without the loss too: what losing it adds is not "
        "measured"
    )
    assert "at the monthly grain, what losing it adds within the month is not measured" in line(
        month, month
    )
    # A day of the daily rows after the first: the loss adds nothing before it, measured.
    later = first_day + timedelta(days=10)
    assert line(later, later).endswith("losing it adds nothing before the triggers' shortfall")
    assert "not measured" not in line(later, later)


def test_blocks_to_order_are_counted_per_kind() -> None:
    """Finance's "blocks to order" read "237" for 234 256-GPU racks and 3 8,192-GPU cells
    added up; now each kind is counted apart."""
    from forecasting.report.pages.finance import blocks_by_kind

    ordering = pl.DataFrame(
        {"kind": ["rack", "rack", "cell", "rack"], "blocks_to_order": [89, 71, 3, 74]}
    )
    assert blocks_by_kind(ordering) == "234 racks, 3 cells"
    assert blocks_by_kind(ordering.head(1)) == "89 racks"
    assert blocks_by_kind(ordering.filter(pl.col("kind") == "cell").with_columns(
        blocks_to_order=pl.lit(1)
    )) == "1 cell"  # fmt: skip


def test_facilities_say_where_orders_have_no_site_to_draw_power_from() -> None:
    """A plan with sites in one region and orders in another: the headline does not read "none
    within the horizon" and the power section names the unsited region and the fix."""
    from forecasting.capacity import Site

    inputs = sample_inputs()
    west = inputs.plan.block[-1].region
    site = Site(id="west-a", region=west, power_lead_months=24, cost_per_mw_usd=1e6)
    plan = inputs.plan.model_copy(update={"site": [site]})
    ordering = inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)
    unsited = sorted(set(ordering["region"].to_list()) - {west})
    assert unsited  # the sample orders blocks outside the one site's region
    page = facilities_page(replace(inputs, plan=plan, power_triggers=inputs.power_triggers.clear()))
    assert f"not checked in {', '.join(unsited)} (no site)" in page
    assert f"No site is declared in {unsited[0]} (" in page
    assert "nothing to contract within the horizon" not in page


def test_every_class_in_the_sample_has_a_policy() -> None:
    plan = sample_inputs().plan
    assert set(plan.policy) == set(WorkloadClass)


def test_platform_page_shows_time_to_absorb_measured_or_censored(tmp_path: Path) -> None:
    """A censored time to absorb reads "> N d ... (censored)", never the window as a number;
    a measured one is a number; verified blocks say so."""
    inputs = sample_inputs()
    html = (publish_report(inputs, root=tmp_path) / "platform.html").read_text(encoding="utf-8")
    answers = inputs.drill_answers
    assert answers.filter(pl.col("absorb_censored")).height  # the fixture has a censored drill
    assert "not absorbed within the drill window (censored)" in html
    assert "&gt; 182 d" in html
    measured = answers.filter(pl.col("time_to_absorb_hours").is_not_null())
    assert measured.height
    hours = measured["time_to_absorb_hours"][0]
    assert f"{hours:,.0f} h" in html
    assert "4,368 h" not in html
    assert answers.filter(pl.col("blocks_pass").fill_null(False)).height
    assert "verified" in html


def test_the_drills_section_says_how_a_drill_plays_its_hours() -> None:
    """The assumption behind every drill figure is on the page that shows them: a path's day
    takes the hours of a recent day of its weekday and level; without drills it is not said."""
    said = "day takes the hours of a day of the last 26 weeks with the same weekday"
    assert said in platform_page(sample_inputs())
    assert said not in platform_page(empty_inputs())


def test_the_platform_page_flags_series_on_a_fallback_or_without_recent_telemetry() -> None:
    """A series forecast by a fallback is listed with its reason, and the accuracy table
    names its model as a fallback, never as a backtest's choice; a series silent for its
    last days is listed too."""
    inputs = sample_inputs()
    # The deepest series, named as only the flagged table names it ("us-east · inference").
    first = inputs.chosen.sort(hierarchy.depth(), "unique_id", descending=[True, False])[
        "unique_id"
    ][0]
    assert hierarchy.depth_of(first) >= 2
    reason = "14 days of history; backtesting needs 23"
    chosen = inputs.chosen.with_columns(
        model=pl.when(pl.col("unique_id") == first)
        .then(pl.lit("seasonal_naive"))
        .otherwise(pl.col("model")),
        fallback=pl.when(pl.col("unique_id") == first).then(pl.lit(reason)),
    )
    html = platform_page(replace(inputs, chosen=chosen))
    flagged = chosen.filter(pl.col("unique_id") == first)
    assert html.count(reason) == flagged.height > 0
    assert html.count(f"<td>{html_text(hierarchy.label_of(first))}</td>") == flagged.height
    assert f"seasonal_naive as fallback ({flagged.height // flagged['measure'].n_unique()})" in html
    last = inputs.chosen["unique_id"][-1]
    silent = inputs.chosen.with_columns(
        stale_days=pl.when(pl.col("unique_id") == last).then(6).otherwise(1)
    )
    quiet = platform_page(replace(inputs, chosen=silent))
    flagged_days = silent.filter(pl.col("unique_id") == last).height
    assert quiet.count("no telemetry in its last 6 days") == flagged_days > 0
    assert "no telemetry in its last 1 days" not in quiet  # a partial last day flags nothing
    calm = platform_page(inputs)
    assert (
        '<p class="note">Every series was backtested, has recent telemetry and a fitted growth '
        "model past the daily days.</p>"
    ) in calm
    assert "as fallback" not in calm


def test_the_platform_page_names_a_recent_level_shift_held_as_a_level() -> None:
    """A series whose recent step the forecast held as a level is listed under the flagged
    series with the step's day and size (sweep 37, F6: a 3x step read as a slope, and nothing
    named it but the generic Extrapolated banner)."""
    inputs = sample_inputs()
    region = inputs.chosen.filter(hierarchy.depth() == 1)["unique_id"].sort()[0]
    note = (
        "level shift on 2026-11-20: x3.05 (held 14 days); trend fitted from it: the post-step "
        "level is carried forward at the pre-step trend, the step is not extrapolated"
    )
    chosen = inputs.chosen.with_columns(
        level_shift=pl.when(pl.col("unique_id") == region).then(pl.lit(note))
    )
    html = platform_page(replace(inputs, chosen=chosen))
    assert html.count(html_text(note)) == chosen.filter(pl.col("unique_id") == region).height > 0
    assert "level shift on" not in platform_page(inputs)


def test_the_platform_page_names_a_spike_held_at_the_usual_level() -> None:
    """A series whose isolated spike the forecast held is listed under the flagged series with
    the spike's day, size and the level it was held at; a run without one says nothing."""
    inputs = sample_inputs()
    region = inputs.chosen.filter(hierarchy.depth() == 1)["unique_id"].sort()[0]
    note = (
        "one-day spike on 2020-05-25: 5,000 GPUs against a usual peak of 1-2; held at 2 for "
        "the forecast: if demand like it will return, it needs a contract or an event, not a "
        "trend"
    )
    chosen = inputs.chosen.with_columns(
        spike=pl.when((pl.col("unique_id") == region) & (pl.col("measure") == "peak")).then(
            pl.lit(note)
        )
    )
    html = platform_page(replace(inputs, chosen=chosen))
    assert html.count(html_text(note)) == 1
    assert "one-day spike" not in platform_page(inputs)


def test_every_page_says_where_no_demand_was_measured() -> None:
    """A region forecast as zero for want of an observed day gets a banner on every page: its
    green triggers read no demand, not measured room. A run without one has no banner."""
    inputs = sample_inputs()
    region = inputs.chosen.filter(hierarchy.depth() == 1)["unique_id"].sort()[0]
    zero = inputs.chosen.with_columns(
        model=pl.when(pl.col("unique_id") == region).then(pl.lit("zero")).otherwise("model"),
        fallback=pl.when(pl.col("unique_id") == region)
        .then(pl.lit("ValueError: no observed values"))
        .otherwise("fallback"),
    )
    banner = f"No demand measured for {html_text(hierarchy.label_of(region))}: not one complete"
    for page in (run_index_page, finance_page, facilities_page, platform_page):
        assert banner in page(replace(inputs, chosen=zero)), page.__name__
        assert "No demand measured" not in page(inputs), page.__name__


def test_every_page_says_which_forecasts_no_backtest_chose() -> None:
    """The total and a region forecast by the naive on two weeks of history (a fallback, no
    error measured) get a banner on every page naming them: the orders read those forecasts. A
    customer's fallback alone, or a run where backtests chose every model, has none; a series
    forecast as zero has its own banner, not this one."""
    inputs = sample_inputs()
    region = inputs.chosen.filter(hierarchy.depth() == 1)["unique_id"].sort()[0]
    customer = f"{region}/inference/cust-001"
    more = inputs.chosen.head(2).with_columns(unique_id=pl.Series(["total", customer]))
    inputs = replace(inputs, chosen=pl.concat([inputs.chosen, more]))

    def fallback(*ids: str, model: str = "naive") -> ReportInputs:
        hit = pl.col("unique_id").is_in(list(ids))
        reason = "14 days of history; backtesting needs 23"
        return replace(inputs, chosen=inputs.chosen.with_columns(
            model=pl.when(hit).then(pl.lit(model)).otherwise("model"),
            fallback=pl.when(hit).then(pl.lit(reason)).otherwise("fallback"),
        ))  # fmt: skip

    label = html_text(hierarchy.label_of(region))
    banner = f"Not backtested: total, {label} forecast by a baseline"
    for page in (run_index_page, finance_page, facilities_page, platform_page):
        assert banner in page(fallback("total", region, customer)), page.__name__
        assert "Not backtested" not in page(inputs), page.__name__
        assert "Not backtested" not in page(fallback(customer)), page.__name__
        assert "Not backtested" not in page(fallback(region, model="zero")), page.__name__


def test_every_page_says_when_the_forecast_reaches_past_what_a_backtest_measured() -> None:
    """A 90-day forecast whose backtests scored 28 days ahead is extrapolated past day 28, on
    every page (four weeks of growth extended six months ordered $971M of racks, and no page
    said so); a decision backtest scoring 182 days ahead measured all of it, no word. With no
    backtest at all (every series on a fallback) it says none measured anything: a 5-day
    Helios slice read "past 2020-05-10 no backtest measured its error", as if one had before."""
    inputs = sample_inputs()
    end = inputs.forecast.get_column("ds").max()
    assert isinstance(end, date)
    ahead = (end - AS_OF).days
    said = extrapolated_reach(inputs)
    # 120 days of history to the day before AS_OF; 28-day windows cut off 28 and 56 days
    # before AS_OF, ending on it: the earlier scored all 28 steps, so the forecast from the
    # day before AS_OF was measured to AS_OF + 27. (It read 26: the silent as-of day taken
    # off the last window's observed days and again off the count.)
    assert said.startswith(
        f"the daily forecast reaches {ahead} days ahead on 120 days of history, and its "
        f"backtests scored 27 days ahead: past {fmt_date(AS_OF + timedelta(days=27))} no "
        "backtest measured its error"
    )
    scored = pl.DataFrame(
        {"unique_id": ["total"], "measure": ["peak"], "cutoff": [AS_OF - timedelta(days=182)],
         "horizon_days": [182], "model": ["combination"], "mae": [10.0]},
    )  # fmt: skip
    accuracy = pl.concat([inputs.horizon_accuracy, scored], how="diagonal_relaxed")
    measured = replace(inputs, horizon_accuracy=accuracy.select(inputs.horizon_accuracy.columns))
    assert extrapolated_reach(measured) == ""
    unscored = replace(inputs, backtest=inputs.backtest.clear())
    assert "and no backtest measured its error (too little history" in extrapolated_reach(unscored)
    for page in (run_index_page, finance_page, facilities_page, platform_page):
        assert html_text(f"Extrapolated: {said}.") in page(inputs), page.__name__
        assert "Extrapolated:" not in page(measured), page.__name__


def test_every_page_says_which_regions_of_the_telemetry_the_plan_lacks() -> None:
    """A region with telemetry and no block or site in the plan (a "mars-1" typo) read red with
    a $368M order and nothing else: every page carries a banner naming it. A run whose plan
    covers every region has none."""
    inputs = sample_inputs()
    region = inputs.history.filter(hierarchy.depth() == 1)["unique_id"].sort()[0]
    mars = inputs.history.filter(pl.col("unique_id") == region).with_columns(
        unique_id=pl.lit(hierarchy.id_of("mars-1"))
    )
    unplanned = replace(inputs, history=pl.concat([inputs.history, mars]))
    banner = "No capacity planned for mars-1: the telemetry has demand there"
    for page in (run_index_page, finance_page, facilities_page, platform_page):
        assert banner in page(unplanned), page.__name__
        assert "No capacity planned" not in page(inputs), page.__name__


def _with_vacant_region(inputs: ReportInputs) -> ReportInputs:
    """``inputs`` with a misspelt region mars-north: eu-west's triggers (green), no block or
    site, and a zero forecast for want of one observed day."""
    mars = hierarchy.id_of("mars-north")
    eu = inputs.triggers.filter(pl.col("region") == "eu-west")
    zero = inputs.chosen.head(2).with_columns(
        unique_id=pl.lit(mars), measure=pl.Series(["mean", "peak"]), model=pl.lit("zero"),
        fallback=pl.lit("no observed day in its 4 day(s) of rows"),
    )  # fmt: skip
    history = inputs.history.filter(pl.col("unique_id") == hierarchy.id_of("eu-west"))
    return replace(
        inputs,
        triggers=pl.concat([inputs.triggers, eu.with_columns(region=pl.lit("mars-north"))]),
        chosen=pl.concat([inputs.chosen, zero]),
        history=pl.concat([inputs.history, history.with_columns(unique_id=pl.lit(mars))]),
    )


def test_a_region_with_no_plan_and_no_measured_demand_reads_no_plain_green_on_finance() -> None:
    """A misspelt region (no block or site, not one whole day of telemetry) read "mars-north
    · all · green" in the finance page's orders table, its note on the line under it, and
    counted among the front page's greens: zero demand forecast against zero capacity. Its
    rows now say on the row that nothing is planned or measured there, and the count which
    greens those are; the planned regions' greens stay green."""
    from forecasting.report.inputs import vacant_regions

    inputs = sample_inputs()
    vacant = _with_vacant_region(inputs)
    assert vacant_regions(vacant) == ["mars-north"] and vacant_regions(inputs) == []
    page = finance_page(vacant)
    # The orders table's rows: region, pool, then the status cell with its badge.
    row = re.compile(
        r"<td>(mars-north|eu-west)</td><td>(all|training)</td><td>(<span class=\"badge.*?)</td>"
    )
    status = {(r, p): cell for r, p, cell in row.findall(page)}
    assert set(status) == {(r, p) for r in ("mars-north", "eu-west") for p in ("all", "training")}
    for pool in ("all", "training"):
        assert 'class="badge green"' in status[("eu-west", pool)]
        assert "green" not in status[("mars-north", pool)]
        assert "no capacity planned, no demand measured" in status[("mars-north", pool)]
    # The front page's count of block triggers says which of its greens say nothing.
    # Counted apart from the greens: "4 green (2 of them not verified ...)" read as four.
    front = html_text(run_index_page(vacant))
    assert "1 red, 1 amber, 2 green (" in front
    assert ", 2 not verified (no capacity planned, no demand measured: mars-north)" in front


def test_the_headline_reads_no_green_where_every_pool_is_a_vacant_region() -> None:
    """`fleetcast ingest --format azure-llm` (two hours, no whole day) against a plan of other
    regions: every pool read "not verified (no capacity planned, no demand measured)", every
    site "not judged", yet the "worst trigger status, blocks and power" card and `report`
    read "green; 7 sites not judged on power ...". The headline now names the vacant pools
    as not verified and reads no green; beside judged pools it says which pools those are."""
    from forecasting.report.inputs import status_headline

    vacant = _with_vacant_region(sample_inputs())
    only = replace(vacant, triggers=vacant.triggers.filter(pl.col("region") == "mars-north"))
    said = status_headline(only)
    assert not said.startswith("green"), said
    assert said.startswith(
        f"mars-north/all, mars-north/training {NOT_VERIFIED} (no capacity planned, no demand "
        "measured)"
    ), said
    card = _visible(run_index_page(only)).split("worst trigger status")[0].rsplit("Summary", 1)[-1]
    assert "green" not in card and NOT_VERIFIED in card, card
    # Beside judged pools the worst status stands, and the vacant pools are named.
    mixed = replace(
        vacant,
        triggers=vacant.triggers.filter(pl.col("region") != "us-east").with_columns(
            status=pl.lit("green")
        ),
    )
    assert status_headline(mixed).startswith(
        f"green; mars-north/all, mars-north/training {NOT_VERIFIED} (no capacity planned"
    ), status_headline(mixed)
    assert "mars-north" not in status_headline(sample_inputs())


def test_the_headline_reads_no_plain_green_where_a_planned_region_has_no_demand_measured() -> None:
    """Two hours of us-east telemetry (no whole day) against a plan with blocks there: every
    series forecast as zero, its pools "green", and `report` printed "no demand measured for
    total, us-east ...: their green ... not verified" right above "worst trigger status,
    blocks and power: green". The headline now names those pools as not verified and reads
    no green where they are all it has; beside measured pools the worst status stands."""
    from forecasting.report.inputs import status_headline

    inputs = sample_inputs()
    east = hierarchy.id_of("us-east")
    zero = inputs.chosen.head(2).with_columns(
        unique_id=pl.lit(east), measure=pl.Series(["mean", "peak"]), model=pl.lit("zero"),
        fallback=pl.lit("no observed day in its 1 day(s) of rows"),
    )  # fmt: skip
    unmeasured = replace(
        inputs,
        chosen=pl.concat([inputs.chosen.filter(pl.col("unique_id") != east), zero]),
        triggers=inputs.triggers.with_columns(status=pl.lit("green")),
    )
    said = status_headline(unmeasured)
    assert said.startswith(
        f"green; us-east/all, us-east/training {NOT_VERIFIED}: no demand measured"
    ), said
    only = replace(unmeasured, triggers=unmeasured.triggers.filter(pl.col("region") == "us-east"))
    assert not status_headline(only).startswith("green"), status_headline(only)
    assert "no demand measured" not in status_headline(inputs)


def test_the_cli_says_the_idle_capex_the_finance_card_says(tmp_path: Path) -> None:
    """A fleet whose demand fell 60 % over its last 3 months (`fleetcast run --horizon 52w`):
    the finance page's card read "$1,366.5M capex at idle risk", while `run` and `report`
    printed "triggers: 0 red, 0 amber, 6 green" and "$0 in 0 orders", no word of it: the
    opposite error to a shortfall went unsaid on the terminal. Both now print the card's
    label and figure under the capital line; a plan with no committed block prints none (no
    "$0" for a figure nothing was judged for)."""
    from types import SimpleNamespace

    from flows.tables import to_place_line
    from forecasting.report.pages.finance import _idle_card, _idle_label
    from forecasting.runs.reports import report_outcome

    inputs = sample_inputs()
    assert inputs.idle_risk.height
    outcome = report_outcome(inputs, SimpleNamespace(run_id="t"), tmp_path)  # type: ignore[arg-type]
    lines = to_place_line(outcome)
    # The figure first, then what it covers ("capex at idle risk (...); not verified past
    # ...: $1,366.5M" read as if the whole figure were unverified).
    said = f"capex at idle risk: {_idle_card(inputs.idle_risk)} ("
    assert lines[-1].startswith(said), lines
    assert _idle_label(inputs).removeprefix("capex at idle risk (").split(")")[0] in lines[-1]
    assert html_text(_idle_card(inputs.idle_risk)) in finance_page(inputs)
    none = replace(inputs, idle_risk=inputs.idle_risk.clear())
    quiet = report_outcome(none, SimpleNamespace(run_id="t"), tmp_path)  # type: ignore[arg-type]
    assert not any("idle" in line for line in to_place_line(quiet))


def test_the_triggers_download_says_a_vacant_region_is_not_verified_as_the_pages_do(
    tmp_path: Path,
) -> None:
    """A misspelt region (no block or site, not one whole day of telemetry) read "not verified
    (no capacity planned, no demand measured)" on the finance page and in `report`, and
    "mars-north,all,...,green" in triggers.csv and triggers.json, with nothing beside it to
    say the green says nothing. The downloads keep the stored status and add ``status_shown``,
    the status as the pages show it."""
    folder = publish_report(_with_vacant_region(sample_inputs()), root=tmp_path)
    said = "not verified (no capacity planned, no demand measured)"
    csv = pl.read_csv(folder / "triggers.csv")
    shown = {(r, p): (s, v) for r, p, s, v in csv.select("region", "pool", "status",
                                                          "status_shown").iter_rows()}  # fmt: skip
    # Elsewhere the stored status first, then what the pages say after it (the sample's greens
    # read "to 2026-12-19 only": test_headline_reach).
    for pool in ("all", "training"):
        assert shown[("mars-north", pool)] == ("green", said)
        assert shown[("eu-west", pool)][0] == "green"
        assert shown[("eu-west", pool)][1].startswith("green")
    assert all(v.startswith(s) for (r, _), (s, v) in shown.items() if r != "mars-north")
    rows = json.loads((folder / "triggers.json").read_text())
    assert {r["status_shown"] for r in rows if r["region"] == "mars-north"} == {said}


def test_training_pools_no_training_telemetry_measured_read_not_verified_not_green() -> None:
    """A fleet whose telemetry holds no training row (a feed gap) read "training | green" in
    every region on the terminal, the finance orders and the headline, each note saying "no
    training demand in the forecast", where a region missing from the telemetry reads not
    judged. Those rows (the triggers' note says no training demand was measured anywhere) now
    read "not verified" on the terminal's rows, the finance table and the headline; the all
    pools stay green. They are told by the rows' ``unmeasured_training`` field, not by the
    words of their notes: a reworded note reads the same, and an all pool whose note quotes
    the words stays green."""
    from forecasting.report.inputs import status_headline
    from forecasting.runs import report_trigger_rows
    from forecasting.triggers import UNMEASURED_TRAINING

    inputs = sample_inputs()
    training = pl.col("pool") == "training"
    gap = replace(
        inputs,
        triggers=inputs.triggers.with_columns(
            status=pl.lit("green"),
            note=pl.when(training)
            .then(pl.lit("nothing of training was in the feed: reworded"))
            .otherwise(pl.lit(f"quoting '{UNMEASURED_TRAINING}' in another pool's note")),
            unmeasured_training=training,
        ),
    )
    rows = {(r["region"], r["pool"]): r for r in report_trigger_rows(gap).to_dicts()}
    assert {r["status"] for (_, pool), r in rows.items() if pool == "training"} == {"not verified"}
    assert {r["status"] for (_, pool), r in rows.items() if pool == "all"} == {"green"}
    page = finance_page(gap)
    row = re.compile(r"<td>eu-west</td><td>(all|training)</td><td>(<span class=\"badge.*?)</td>")
    status = dict(row.findall(page))
    assert 'class="badge green"' in status["all"]
    assert "badge green" not in status["training"] and UNMEASURED_TRAINING in status["training"]
    assert f"{NOT_VERIFIED}: {UNMEASURED_TRAINING}" in status_headline(gap)


def test_what_changed_says_a_vacant_region_is_not_verified_not_green() -> None:
    """The orders tables read mars-north (no capacity planned, no demand measured) "not
    verified", yet the "What changed" tables of the front and finance pages listed it new
    with a "– → green" badge. They now read the same flag as the row."""
    inputs = _with_vacant_region(sample_inputs())
    vacant = replace(inputs, previous_triggers=sample_inputs().triggers)
    row = re.compile(r"<td>mars-north</td><td>(?:all|training)</td><td>new</td><td>(.*?)</td>")
    for page in (run_index_page, finance_page):
        cells = row.findall(page(vacant))
        assert len(cells) == 2, page.__name__
        for cell in cells:
            assert "badge green" not in cell and "no capacity planned, no demand measured" in cell


def test_nothing_to_order_names_the_vacant_regions_it_did_not_verify() -> None:
    """Every pool green and nothing ordered: finance said "nothing to order: every pool's ...
    requirement stays within the capacity already planned" while mars-north's rows read "not
    verified (no capacity planned, no demand measured)". The sentence now sets them apart."""
    from forecasting.report.pages.finance import nothing_to_order

    green = _measured(sample_inputs())
    green = replace(
        green,
        triggers=green.triggers.with_columns(
            status=pl.lit("green"), unverified_green=pl.lit(value=False)
        ),
        placements=green.placements.clear(),
    )
    plain = nothing_to_order(green)
    assert plain is not None and "not verified" not in str(plain)
    said = str(nothing_to_order(_with_vacant_region(green)))
    assert "every pool's" not in said
    assert "mars-north: not verified (no capacity planned, no demand measured)" in said


def test_the_baseline_column_has_nothing_to_absorb() -> None:
    """Time to absorb and its censored share are the shock's: the unshocked column and the
    increment stay empty, while other KPIs show baseline, shocked and increment."""
    changes = pl.DataFrame(
        {
            "drill": ["d", "d"],
            "workload_class": ["all", "all"],
            "kpi": ["time_to_absorb_hours", "unmet_gpu_hours"],
            "baseline_mean": [4322.0, 100.0],
            "shocked_mean": [36.0, 300.0],
            "increment_mean": [-4286.0, 200.0],
            "baseline_p90": [4322.0, 150.0],
            "shocked_p90": [40.0, 400.0],
        }
    )
    ((_, table),) = _change_tables(changes)
    rows = {row[0]: row for row in table.rows}
    assert rows["unmet demand"][1] == Stacked("100 GPU-h", "P90 150 GPU-h")
    assert rows["unmet demand"][3] == "+200 GPU-h"
    absorb = rows["time to absorb"]
    assert absorb[1] == MISSING and absorb[3] == MISSING
    assert absorb[2] == Stacked("36.0 h", "P90 40.0 h")


def test_pages_show_baseline_against_shock_and_the_response_ladder() -> None:
    """Backlog charts draw the unshocked and laddered P90 and mark when rungs came into use;
    the platform page tabulates baseline -> shocked and the ladder; finance the increment."""
    inputs = sample_inputs()
    platform = platform_page(inputs)
    strings = _figure_strings(platform)
    assert "inference P90 unshocked" in strings
    assert "training P90 with the ladder" in strings
    # Rungs first used 30 h and 60 h after the shock (2026-12-01); unused ones are not marked.
    assert "migrate from +30 h in us-east" in strings
    assert "spares from +60 h in us-east" in strings
    assert not [s for s in strings if s.startswith(("burst", "preempt"))]
    chart = backlog_chart(
        inputs.drill_curves,
        drill="double-inference",
        key="backlog",
        variants=inputs.drill_variant_curves,
        rungs=inputs.drill_rungs,
        shock_start=date(2026, 12, 1),
    )
    assert chart is not None
    lines = [shape.x0 for shape in chart.figure.layout.shapes]
    assert lines == [datetime(2026, 12, 2, 6, tzinfo=UTC), datetime(2026, 12, 3, 12, tzinfo=UTC)]
    # Training's hourly P90 peaks at 1,600 GPU-h shocked, 400 unshocked, 960 with the ladder;
    # named as the hourly P90, since the KPI table's P90 peak backlog is another statistic.
    assert "hourly P90 of the backlog across paths peaks at 1,600 GPU-h for training" in platform
    assert "400 GPU-h unshocked; 960 GPU-h with the ladder." in platform
    body = platform.split('<script type="application/json"')[0]
    assert "Baseline against shock" in body
    # Fleet-wide revenue at risk in the first drill: $21k unshocked, $53k shocked, +$32k.
    assert "$21k" in body and "$53k" in body and "+$32k" in body
    assert "Response ladder" in body
    assert html_text("GPU-hours in use on the rung's GPUs") in body
    assert "$250k" in body  # the spares' standing cost
    assert "+30.0 h" in body
    finance = finance_page(inputs)
    assert "baseline (mean)" in finance and "increment" in finance
    assert "+$32k" in finance and "$21k" in finance
    # Over which days: $538k over 7 days and $29.7M over 182 read alike without it.
    assert "window (from, days)" in finance and "2026-12-01, 182 d" in finance


def test_the_all_classes_headroom_weighs_the_class_mix_at_the_trigger_quantile() -> None:
    """The platform page draws the usable capacity of all classes as the triggers size it: the
    class headrooms (inference 20 %, training 10 %) weighted by each class's mean demand at
    the triggers' quantile. A training deal carried at its odds (q90 three times the
    expected mean) weighs at q90, not at its expected mean."""
    from forecasting.report.pages.platform import _blended_headroom

    inputs = sample_inputs()
    training = (pl.col("unique_id") == "total/us-east/training") & (pl.col("measure") == "mean")
    forecast = inputs.forecast.with_columns(q90=pl.when(training).then(pl.col("mean") * 3))
    forecast = forecast.with_columns(pl.col("q90").fill_null(pl.col("mean")))
    first = forecast.filter(pl.col("ds") == pl.col("ds").min(), pl.col("measure") == "mean")
    q90 = {uid: v for uid, v in first.select("unique_id", "q90").iter_rows()}
    inference, train = q90["total/us-east/inference"], q90["total/us-east/training"]
    expected = (0.2 * inference + 0.1 * train) / (inference + train)
    steps = _blended_headroom(replace(inputs, forecast=forecast))["us-east"]
    assert steps["headroom"][0] == pytest.approx(expected)


def test_the_capital_chart_says_how_much_of_its_total_is_weighted_deals() -> None:
    """The chart stacks the pipeline deals' capex at their odds on the plan's orders, so its
    total is more than the page's "capital in every order of the plan": the takeaway says by
    how much (the demo's read $8,553.6M beside a card of $8,503.3M, with nothing to say why)."""
    from forecasting.report.figures import capital_chart
    from forecasting.whatif import PIPELINE_SCHEMA

    inputs = sample_inputs()
    plain = capital_chart(inputs.triggers, as_of=inputs.as_of)
    assert plain is not None and plain.takeaway.endswith(
        "$135.5M over 5 quarters, 2 of them with orders."
    )
    deal = {
        "contract_id": "d1", "customer": "acme", "workload_class": "training",
        "region": "us-east", "probability": 0.5, "first_day": inputs.as_of,
        "peak_gpus": 512, "extra_capex_usd": 20e6, "expected_capex_usd": 10e6,
        "order_by": inputs.as_of, "serve_from": inputs.as_of, "note": "",
    }  # fmt: skip
    pipeline = pl.DataFrame([deal], schema=PIPELINE_SCHEMA)
    chart = capital_chart(inputs.triggers, as_of=inputs.as_of, pipeline=pipeline)
    assert chart is not None
    assert chart.takeaway.endswith(
        "of $145.5M over 5 quarters, 2 of them with orders ($135.5M in the plan's orders and "
        "$10.0M of pipeline deals at their odds)."
    )


def test_the_capital_chart_counts_the_quarters_with_orders_apart_from_its_span() -> None:
    """The demo's finance page read "$2,211.8M of $6,122.5M over 7 quarters" where 6 quarters
    held orders: a quiet quarter is in the span, and the takeaway counts those with orders."""
    from forecasting.report.figures import capital_chart

    inputs = sample_inputs()
    ordered = inputs.triggers.filter(
        (pl.col("blocks_to_order").fill_null(0) > 0) & (pl.col("capex_usd") > 0)
    )
    first, second = ordered.head(2).iter_rows(named=True)
    gapped = pl.DataFrame(
        [first | {"order_by": date(2027, 1, 15)}, second | {"order_by": date(2027, 7, 15)}],
        schema=inputs.triggers.schema,
    )
    chart = capital_chart(gapped, as_of=date(2027, 1, 1))
    assert chart is not None
    assert " over 3 quarters, 2 of them with orders." in chart.takeaway


def test_a_pipeline_deal_the_plan_cannot_serve_is_not_stacked_as_capital_to_commit() -> None:
    """A pipeline deal "not within the horizon ... a new site is needed" still stacked its
    capex at its odds on "capital by quarter" (the demo's orion-training-2027: $53.2M of
    $8,911.3M), budgeted as if ordering it served the deal. Now only deals the plan serves
    are stacked; the others are named apart in the takeaway, not as capital to commit."""
    from forecasting.report.figures import capital_chart
    from forecasting.whatif import PIPELINE_SCHEMA

    inputs = sample_inputs()
    deal = {
        "contract_id": "d1", "customer": "acme", "workload_class": "training",
        "region": "us-east", "probability": 0.5, "first_day": inputs.as_of,
        "peak_gpus": 512, "extra_capex_usd": 20e6, "expected_capex_usd": 10e6,
        "order_by": inputs.as_of, "serve_from": None,
        "note": "not within the horizon: ... a new site is needed",
    }  # fmt: skip
    pipeline = pl.DataFrame([deal], schema=PIPELINE_SCHEMA)
    chart = capital_chart(inputs.triggers, as_of=inputs.as_of, pipeline=pipeline)
    assert chart is not None
    assert "of $135.5M over 5 quarters" in chart.takeaway
    assert chart.takeaway.endswith(
        "Not stacked: $10.0M of pipeline deals at their odds that the plan cannot serve within "
        "the horizon (d1): their capex is not the price of the deal."
    )
    assert all("pipeline" not in str(trace.name) for trace in chart.figure.data)


def test_a_group_short_unshocked_where_its_triggers_are_green_is_named() -> None:
    """A drill that finds training in us-west short without any shock, while both of its
    trigger pools are green, is named; one whose pool is amber, and a class short only
    across regions, are not (the triggers already say so, or name no pool)."""
    from forecasting.schema import group_name, group_of
    from forecasting.triggers import unshocked_beside_green

    failures = [group_name("us-west", "training"), "inference in eu-west", "batch (across regions)"]
    assert group_of(failures[0]) == ("us-west", "training") and group_of(failures[2]) is None
    triggers = pl.DataFrame(
        {
            "region": ["us-west", "us-west", "eu-west", "eu-west"],
            "pool": ["training", "all", "training", "all"],
            "status": ["green", "green", "green", "amber"],
        }
    )
    assert unshocked_beside_green(failures, triggers.iter_rows(named=True)) == [
        "training in us-west"
    ]
    amber = triggers.with_columns(
        pl.when(pl.col("pool") == "training")
        .then(pl.lit("amber"))
        .otherwise("status")
        .alias("status")
    )
    assert unshocked_beside_green(failures, amber.iter_rows(named=True)) == []


def test_an_exhaustion_on_the_monthly_rows_reads_as_its_month() -> None:
    """Past the daily forecast a pool's exhaustion stands on a month's row, whose first day
    is no measured date: the finance orders and the CLI's trigger rows read "Oct 2029" there
    (they read 2029-10-01) and keep the day where the daily rows found it."""
    from forecasting.report.inputs import daily_end
    from forecasting.runs import report_trigger_rows

    inputs = sample_inputs()
    end = daily_end(inputs)
    assert end is not None
    month = date(end.year + 2, 10, 1)
    day = end - timedelta(days=5)
    triggers = inputs.triggers.with_columns(
        exhaustion_date=pl.when(pl.col("region") == "eu-west")
        .then(pl.lit(month))
        .when(pl.col("exhaustion_date").is_not_null())
        .then(pl.lit(day))
    )
    inputs = replace(inputs, triggers=triggers)
    rows = {(r["region"], r["pool"]): r for r in report_trigger_rows(inputs).to_dicts()}
    assert rows["eu-west", "all"]["exhaustion_date"] == f"Oct {end.year + 2}"
    assert rows["us-east", "all"]["exhaustion_date"] == str(day)
    page = finance_page(inputs)
    orders = page[page.index("<h2>Orders to place</h2>") : page.index("<h2>Capital by quarter")]
    assert f"Oct {end.year + 2}" in orders and str(month) not in orders


def test_the_next_order_by_card_says_when_its_date_is_already_gone() -> None:
    """A red trigger's order-by date is before the as-of date: the "next order-by" card says
    how late it is (it read "2026-04-20 (us-west · training)" on a fleet as of December, a
    deadline seemingly still to meet); a date ahead reads as before. (The sample's triggers
    are exhausted past its daily rows: their dates say the monthly grain.)"""
    inputs = sample_inputs()
    plain = replace(inputs, placements=_planned(inputs, later_capex=500e6).filter(
        pl.col("tranche") == 1
    ))  # fmt: skip
    assert "2026-08-10, 104 days ago: late (us-east · all, monthly grain)" in finance_page(plain)
    # Generated weeks after its as-of date (a backfill), "104 days ago" read as from today.
    later = replace(plain, generated_at=plain.generated_at + timedelta(days=18))
    said = (
        "2026-08-10, 104 days before the as-of date 2026-11-22: late (us-east · all, monthly grain)"
    )
    assert said in finance_page(later)
    # A red trigger with nothing to order has an order-by date but no order to place.
    nothing = pl.when(pl.col("status") == "red").then(0).otherwise(pl.col("blocks_to_order"))
    absorbed = replace(plain, triggers=plain.triggers.with_columns(blocks_to_order=nothing))
    assert "(us-east · all)" not in html_text(finance_page(absorbed)).split("next order-by")[0]
    ahead = replace(plain, triggers=plain.triggers.filter(pl.col("status") != "red"))
    assert "2026-12-28 (us-east · training, monthly grain)" in finance_page(ahead)
    # The facilities card's contract-power date alike.
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    def power(by: date) -> str:
        row = {"region": "us-east", "site": "us-east-b", "status": "red", "contract_by": by}
        frame = pl.DataFrame([row]).cast({"contract_by": pl.Date})
        triggers = pl.concat([POWER_TRIGGERS_SCHEMA.to_frame(), frame], how="diagonal_relaxed")
        return facilities_page(replace(plain, power_triggers=triggers))

    # No MW stored on the row: the card says power, not a MW figure it does not have.
    assert "contract power at us-east-b by 2025-03-18, 614 days ago: late" in power(
        date(2025, 3, 18)
    )
    assert "contract power at us-east-b by 2027-03-18" in power(date(2027, 3, 18))


def test_a_site_is_called_short_of_power_only_on_a_day_it_is() -> None:
    """February needs up to 33 MW and has 30 MW energized on its leanest day, but the power
    steps up on the 8th and the blocks land on the 10th: no day is short, so the takeaway
    does not say power is the constraint (it did). One short day says it, with the count,
    and a later, larger need is named as the most the site needs."""
    from forecasting.capacity import SITE_POWER_MONTHLY_SCHEMA
    from forecasting.report.figures import site_power_chart

    month = date(2027, 2, 1)
    power = pl.DataFrame(
        {"site": ["a"], "region": ["r"], "month": [month], "mw_in_service": [27.2],
         "mw_new_blocks": [5.8], "mw_needed": [33.0]}
    )  # fmt: skip

    def supply(short_days: int) -> pl.DataFrame:
        row = {"month": month, "region": "r", "site": "a", "energized_mw": 30.0,
               "contracted_mw": 52.5, "ceiling_mw": None, "mw_in_service": 27.2,
               "mw_ordered": 5.8, "mw_needed": 33.0, "short_days": short_days}  # fmt: skip
        return pl.DataFrame([row], schema=SITE_POWER_MONTHLY_SCHEMA)

    fine = site_power_chart(power, site="a", key="k", supply=supply(0))
    assert fine is not None and "constraint" not in fine.takeaway
    short = site_power_chart(power, site="a", key="k", supply=supply(2))
    assert short is not None
    assert short.takeaway == (
        "a is short of power from Feb 2027 (read day by day: the first month with a day whose "
        "MW needed (the blocks in service and the plan's orders placed here, from when their "
        "pool needs them) passes that day's MW energized; drawn by month, each month's busiest "
        "day against its leanest day energized): up to 33.0 MW needed that month, more than is "
        "energized there on 2 of its days (from 30.0 MW). Power, not blocks, is the constraint "
        "there."
    )
    # A later, larger need is the most the site needs: it read "needs up to 33.0 MW in Feb
    # 2027" where the chart peaks later, far higher.
    later = date(2027, 9, 1)
    grown = pl.concat([power, power.with_columns(month=pl.lit(later), mw_needed=pl.lit(80.0))])
    both = pl.concat(
        [supply(2), supply(30).with_columns(month=pl.lit(later), mw_needed=pl.lit(80.0))]
    )
    peaked = site_power_chart(grown, site="a", key="k", supply=both)
    assert peaked is not None
    assert "energized): up to 33.0 MW needed that month" in peaked.takeaway
    assert "; it needs up to 80.0 MW by Sep 2027. Power, not blocks" in peaked.takeaway


def test_a_site_short_past_its_ceiling_says_a_new_site_is_needed() -> None:
    """The demo's us-east-b chart read "short of power from Sep 2028: 107.9 MW needed ...
    Power, not blocks, is the constraint there." where 54.9 MW of it lay past the site's
    ceiling, which no contract brings on (the power table said "a new site is needed"): the
    takeaway says how much of the most the site needs is past its ceiling, and that a new
    site is needed for it; a site within its ceiling says nothing of the kind."""
    from forecasting.capacity import SITE_POWER_MONTHLY_SCHEMA
    from forecasting.report.figures import site_power_chart

    month = date(2027, 2, 1)
    power = pl.DataFrame(
        {"site": ["a"], "region": ["r"], "month": [month], "mw_in_service": [27.2],
         "mw_new_blocks": [52.8], "mw_needed": [80.0]}
    )  # fmt: skip

    def supply(ceiling: float) -> pl.DataFrame:
        row = {"month": month, "region": "r", "site": "a", "energized_mw": 30.0,
               "contracted_mw": 30.0, "ceiling_mw": ceiling, "mw_in_service": 27.2,
               "mw_ordered": 52.8, "mw_needed": 80.0, "short_days": 28}  # fmt: skip
        return pl.DataFrame([row], schema=SITE_POWER_MONTHLY_SCHEMA)

    capped = site_power_chart(power, site="a", key="k", supply=supply(50.0))
    assert capped is not None
    assert capped.takeaway.endswith(
        "30.0 MW of the 80.0 MW it needs is past its 50.0 MW ceiling, which no contract brings "
        "on: a new site is needed for it."
    )
    roomy = site_power_chart(power, site="a", key="k", supply=supply(100.0))
    assert roomy is not None and "ceiling" not in roomy.takeaway


def test_a_site_chart_draws_no_need_past_the_plan_without_saying_so() -> None:
    """The demo's energized and contracted lines stopped at Nov 2029 (36 months) while
    "needed" ran to Jan 2030 (38): the chart draws every line to its last month, the plan's,
    and a need past it (an order landing after the plan's end) is not drawn but said, with
    its MW and month."""
    from forecasting.capacity import SITE_POWER_MONTHLY_SCHEMA
    from forecasting.report.figures import site_power_chart

    months = [date(2029, 11, 1), date(2029, 12, 1), date(2030, 1, 1), date(2030, 3, 1)]
    needed = [40.0, 40.0, 40.0, 54.7]
    power = pl.DataFrame(
        {"site": "a", "region": "r", "month": months, "mw_in_service": 40.0,
         "mw_new_blocks": [0.0, 0.0, 0.0, 14.7], "mw_needed": needed}
    )  # fmt: skip
    supply = pl.DataFrame(
        {"month": months, "region": "r", "site": "a", "energized_mw": 45.0,
         "contracted_mw": 60.0, "ceiling_mw": None, "mw_in_service": 40.0,
         "mw_ordered": 0.0, "mw_needed": needed, "short_days": [0, 0, 0, 31]},
        schema=SITE_POWER_MONTHLY_SCHEMA,
    )  # fmt: skip
    chart = site_power_chart(power, site="a", key="k", supply=supply, last_month=months[2])
    assert chart is not None
    for trace in chart.figure.data:
        assert list(trace.x)[-1] == months[2], trace.name
        assert len(trace.x) == 3, trace.name
    assert "short of power" not in chart.takeaway
    assert chart.takeaway.endswith(
        "Not drawn: 14.7 MW more from Mar 2030, after the last month shown (Jan 2030), for "
        "orders or blocks landing past the plan's end: not within the horizon."
    )
    # Within the plan, nothing is left out nor said.
    whole = site_power_chart(power, site="a", key="k", supply=supply, last_month=months[3])
    assert whole is not None and "Not drawn" not in whole.takeaway


def test_the_facilities_window_runs_to_the_plans_last_month() -> None:
    """The facilities page's months ran to the daily rows' end, at least 36 (Dec 2026 to Nov
    2029 on the demo) while the need ran to the plan's Jan 2030: they run to the plan's last
    month, and the charts stop there."""
    from forecasting.report.inputs import facilities_last_month, facilities_months

    assert facilities_months(date(2026, 12, 4), date(2030, 1, 31)) == 38
    assert facilities_months(date(2026, 12, 4), date(2027, 6, 4)) == 36
    inputs = sample_inputs()
    months = inputs.forecast.head(2).with_columns(
        ds=pl.Series([date(2029, 12, 1), date(2030, 1, 1)])
    )
    planned = replace(inputs, forecast_months=months.select(inputs.forecast_months.columns))
    assert facilities_last_month(planned) == date(2030, 1, 1)
    assert facilities_last_month(inputs) == date(2029, 10, 1)


def test_a_trigger_with_nothing_to_order_is_listed_after_the_orders() -> None:
    """A red trigger with nothing to order shows "-" for order-by but was listed first, by its
    hidden order-by date (104 days past), above the orders due in 36 and 330 days: the rows
    with orders come by order-by date, those without after them, by the date they are judged
    on (their exhaustion date, none last)."""
    from forecasting.report.pages.finance import _orders_table

    inputs = sample_inputs()
    absorbed = (pl.col("region") == "us-east") & (pl.col("pool") == "all")
    triggers = inputs.triggers.with_columns(
        blocks_to_order=pl.when(absorbed).then(0).otherwise(pl.col("blocks_to_order"))
    )
    table = _orders_table(with_power(triggers, None), daily_end=None, unit="GPUs")
    listed = [(str(row[0]), str(row[1]), str(row[3])) for row in table.rows]
    due = [fmt_date(AS_OF + timedelta(days=d)) for d in (36, 330)]
    assert listed == [
        ("us-east", "training", due[0]),
        ("eu-west", "all", due[1]),
        ("us-east", "all", MISSING),
        ("eu-west", "training", MISSING),
    ]


def test_the_orders_chart_draws_no_order_for_a_trigger_with_nothing_to_order() -> None:
    """A red trigger with nothing to order reads "-" for order-by and arrival in the finance
    table, yet the chart above it drew a red order-by dot 104 days past ("0 × pod-h100-1024")
    and a lead-time bar to an arrival nobody orders: it now draws only its exhaustion."""
    from forecasting.report.figures import orders_chart

    inputs = sample_inputs()
    absorbed = (pl.col("region") == "us-east") & (pl.col("pool") == "all")
    triggers = inputs.triggers.with_columns(
        blocks_to_order=pl.when(absorbed).then(0).otherwise(pl.col("blocks_to_order"))
    )
    chart = orders_chart(triggers, as_of=inputs.as_of)
    assert chart is not None
    drawn = {trace.name: [y for y in trace.y if y] for trace in chart.figure.data}
    assert "us-east · all" in drawn["capacity exhausted"]
    for name, labels in drawn.items():
        if name != "capacity exhausted":
            assert "us-east · all" not in labels, name
    assert "order by (red)" not in drawn
    assert "us-east · training" in drawn["order by (amber)"]


def test_the_idle_risk_card_says_what_it_could_not_judge() -> None:
    """Every committed block entering service after the forecast left nothing judged, and the
    card read "$0 capex at idle risk"; it now says none was judged, or how many were not, and
    how many it judged but could not price."""
    inputs = sample_inputs()
    shown = finance_page(inputs)
    assert "$25.8M" in shown and "not judged" not in shown
    unjudged = inputs.idle_risk.with_columns(
        idle_gpus=pl.lit(None, pl.Float64), capex_at_risk_usd=pl.lit(None, pl.Float64)
    )
    shown = finance_page(replace(inputs, idle_risk=unjudged))
    assert html_text("not judged for any of the 2 committed blocks (see their notes)") in shown
    one = inputs.idle_risk.with_columns(
        idle_gpus=pl.when(pl.col("kind") == "rack").then(None).otherwise(pl.col("idle_gpus"))
    )
    assert html_text("(1 block not judged)") in finance_page(replace(inputs, idle_risk=one))
    # A block in service for the forecast's last day only read 100 % idle on that one day, and
    # its capital went into the headline: a block judged on part of its window is shown apart.
    partly = inputs.idle_risk.with_columns(
        days_judged=pl.when(pl.col("kind") == "pod").then(1).otherwise(91).cast(pl.Int32)
    )
    shown = finance_page(replace(inputs, idle_risk=partly))
    apart = "$742k (1 block judged on part of its first 13 weeks only: $25.0M, not in the total)"
    assert html_text(apart) in shown
    # Judged but with no candidate to price it: said, not silently left out of the total.
    unpriced = inputs.idle_risk.with_columns(
        capex_at_risk_usd=pl.when(pl.col("kind") == "pod").then(None).otherwise("capex_at_risk_usd")
    )
    said = "1 block not priced: no candidate of the same kind and GPU type"
    assert html_text(said) in finance_page(replace(inputs, idle_risk=unpriced))


def test_a_green_the_forecast_cannot_verify_says_how_far_it_reaches() -> None:
    """A 28-day run read "green" on the front and finance pages while each pool's note said
    a shortfall the day after the forecast could no longer be ordered in time: the headline
    now says green to the forecast's end only. A red run, or a verified green, reads as it is.
    The headline counts the triggers' unverified_green field, not the words of their notes (a
    reworded note dropped the qualifier)."""
    sample = _sited(sample_inputs())
    # Its shortfalls on days a backtest measured (test_headline_reach says the others).
    inputs = _measured(
        replace(sample, triggers=sample.triggers.with_columns(exhaustion_date=pl.lit(sample.as_of)))
    )
    # Named, no qualifier (test_headline_reach names what a red is of).
    assert status_headline(inputs) == f"red: us-east/all runs short {fmt_date(inputs.as_of)}"
    note = "q90 requirement stays within capacity, where the forecast ends: unchecked past it"
    green = inputs.triggers.with_columns(
        status=pl.lit("green"), note=pl.lit(note), unverified_green=pl.lit(True)
    )
    unverified = _measured(
        replace(inputs, triggers=green, power_triggers=inputs.power_triggers.clear())
    )
    end = daily_end(unverified)
    said = f"green to {fmt_date(end)} only: not verified beyond (see the triggers' notes)"
    # Past the forecast's end nothing was judged (test_sites: ...reads_not_judged_past_it).
    judged = f"every pool not judged past {fmt_date(end)}: a shortfall after it could no longer"
    assert status_headline(unverified) == f"{said}; {judged} be ordered in time"
    for page in (run_index_page, finance_page):
        assert html_text(said) in page(unverified), page.__name__
    # Each row names its last day once: it read "to DAY only: not judged past DAY: ...".
    from forecasting.report.inputs import status_only

    cells = unverified.triggers.select(status_only(unverified)).to_series().unique().to_list()
    assert cells == [
        f"to {fmt_date(end)} only: not judged beyond, a shortfall after it could no longer be "
        "ordered in time"
    ]
    # The old words in a note of a green not flagged count for nothing.
    worded = green.with_columns(note=pl.lit("not verified beyond it"), unverified_green=False)
    assert status_headline(_measured(replace(unverified, triggers=worded))) == "green"
    # Where monthly rows follow the daily ones: on a calibrated band no decision backtest
    # scored, green to the last day a backtest measured (test_headline_reach); on a band no
    # backtest calibrated, to the daily rows' end.
    from forecasting.report.inputs import FORECAST_MONTHS_SCHEMA, measured_reach

    months = pl.DataFrame({"ds": [date(2029, 10, 1), date(2029, 11, 1)]}).with_columns(
        pl.lit(None).cast(dtype).alias(name)
        for name, dtype in FORECAST_MONTHS_SCHEMA.items()
        if name != "ds"
    )
    planned = replace(unverified, forecast_months=months)
    measured = planned.as_of + timedelta(days=measured_reach(planned))
    assert planned.plan_calibrated
    assert status_headline(planned).startswith(f"green to {fmt_date(measured)} only")
    uncalibrated = planned.chosen.with_columns(plan_calibrated=pl.lit(False))
    assert status_headline(replace(planned, chosen=uncalibrated)) == (
        f"green to {fmt_date(end)} only: not verified beyond (no backtest calibrated the plan's "
        "band past the daily rows); every pool not judged past Nov 2029: a shortfall after it "
        "could no longer be ordered in time"
    )
    # Beside a red pool an unverified green still says so, naming its pools (it read "red"
    # and the greens as verified ones).
    mixed = pl.concat([green.head(1).with_columns(status=pl.lit("red")), green.slice(1)])
    named = green.slice(1).sort("region", "pool")
    pools = ", ".join(f"{r}/{p}" for r, p in named.select("region", "pool").iter_rows())
    assert status_headline(replace(unverified, triggers=mixed)) == (
        f"red: us-east/all runs short {fmt_date(inputs.as_of)}; {pools} green to "
        f"{fmt_date(end)} only: not verified beyond (see the triggers' "
        f"notes); {pools} not judged past {fmt_date(end)}: a shortfall after it could no "
        "longer be ordered in time"
    )


def test_a_shortfall_on_the_first_monthly_row_alone_is_said_as_monthly_late_as_the_table() -> None:
    """A 7-day run's us-east/all read "red" in the headline and "order by 2026-09-04, 90 days
    ago: late" on the next order-by card, where its 182-day run read green: its only shortfall
    was on the first monthly row. Such a trigger (amber, its note saying it is not verified at
    the daily grain) is named in the headline as monthly only, and the card gives its date as
    the monthly rows', late by the orders table's words ("N days before the as-of date").
    Both read the trigger's monthly_only field: its note
    reworded, the pages still say so, and the phrase in a note not flagged says nothing."""
    from forecasting.text import before_as_of
    from forecasting.triggers.common import MONTHLY_ONLY

    inputs = _sited(sample_inputs())
    ordered = inputs.triggers.filter(pl.col("blocks_to_order") > 0).sort("order_by")
    first = ordered.row(0, named=True)
    note = "short at the monthly grain from December 2026 ...: undated by the day (...)"
    seam = (pl.col("region") == first["region"]) & (pl.col("pool") == first["pool"])
    triggers = inputs.triggers.with_columns(
        status=pl.when(seam).then(pl.lit("amber")).otherwise(pl.lit("green")),
        note=pl.when(seam).then(pl.lit(note)).otherwise(pl.col("note")),
        monthly_only=seam,
    )
    monthly = _measured(
        replace(inputs, triggers=triggers, power_triggers=inputs.power_triggers.clear())
    )
    assert status_headline(monthly) == (
        f"amber; {first['region']}/{first['pool']} amber on the monthly rows past the daily "
        f"ones only: {MONTHLY_ONLY} (see the triggers' notes)"
    )
    # Gone by, the monthly rows' date says how long before the as-of day, as the orders
    # table's does (text.before_as_of): "late", but not "N days ago: late" as a daily date.
    card = (
        f"{fmt_date(first['order_by'])} at the monthly grain, {MONTHLY_ONLY} "
        f"({first['region']} · {first['pool']}, amber: see its note"
        f"{before_as_of(first['order_by'], monthly.as_of)})"
    )
    for page in (run_index_page, finance_page):
        shown = page(monthly)
        assert html_text(card) in shown, page.__name__
        assert "days ago: late" not in html_text(shown).split("next order-by")[0]
    worded = triggers.with_columns(
        note=pl.when(seam).then(pl.lit(f"... {MONTHLY_ONLY} ...")).otherwise(pl.col("note")),
        monthly_only=pl.lit(False),
    )
    # Its date lies past the days the sample's backtests measured: said so (test_headline_reach),
    # and not as monthly only.
    assert MONTHLY_ONLY not in status_headline(replace(monthly, triggers=worded))
    assert status_headline(replace(monthly, triggers=worded)).startswith("amber: ")
    assert html_text(card) not in run_index_page(replace(monthly, triggers=worded))


def test_an_order_short_at_the_monthly_grain_only_says_its_size_is_not_verified() -> None:
    """The demo at 7 days: us-east/all read 30 racks ($253.4M, 11.5 MW), amber, where 26 weeks
    read 89 racks ($751.9M), red: sized for a window from a month read short past the 7 daily
    days, its size swings with the horizon (the other five triggers were the same at both).
    Its date was marked not verified, its size not: the capital and MW cards, the blocks and
    every-order cards and the finance orders table now say the size is not verified at the
    daily grain, and how far the daily forecast reaches."""
    from forecasting.report.pages.facilities import _cards
    from forecasting.report.pages.finance import _orders_table

    inputs = sample_inputs()
    first = (
        inputs.triggers.filter(pl.col("blocks_to_order") > 0).sort("order_by").row(0, named=True)
    )
    seam = (pl.col("region") == first["region"]) & (pl.col("pool") == first["pool"])
    monthly = replace(inputs, triggers=inputs.triggers.with_columns(monthly_only=seam))
    end = daily_end(inputs)
    assert end is not None
    reach = (
        "size not verified at the daily grain (the daily forecast reaches only "
        f"{(end - inputs.as_of).days} days)"
    )
    clause = (
        f"(of which {fmt_usd(first['capex_usd'])} for 1 order short at the monthly grain only: "
        f"{reach})"
    )
    assert clause in _visible(run_index_page(monthly))
    assert clause in _visible(finance_page(monthly))
    # The blocks it counts and the capital of every order, which holds it, say it too.
    n = first["blocks_to_order"]
    blocks = f"{n:,} {first['kind']}{'' if n == 1 else 's'}"
    assert (
        f"(of which {blocks} for 1 order short at the monthly grain only: {reach}) blocks to order"
        in _visible(finance_page(monthly))
    )
    planned = replace(monthly, placements=_planned(monthly, later_capex=1e6))
    # Read off the plan's orders, it names the pool's first order the total counts.
    named = clause.replace("for 1 order short", "for 1 pool's first order short")
    every = f"{named} {planned.every_order_label}"
    assert every in _visible(finance_page(planned)) and every in _visible(run_index_page(planned))
    power = dict(_cards(monthly))["power in orders to place"]
    assert (
        f"(of which {fmt_mw(first['mw'])} for 1 order short at the monthly grain only: {reach})"
        in power
    )
    shown = with_power(monthly.triggers, monthly.placements)
    table = _orders_table(shown, daily_end=end, unit="GPUs", as_of=inputs.as_of)
    row = next(r for r in table.rows if (r[0], r[1]) == (first["region"], first["pool"]))
    assert str(row[6]).endswith(f", {reach}")
    assert str(row[7]).endswith(", not verified") and str(row[8]).endswith(", not verified")
    assert clause not in _visible(run_index_page(inputs))


def test_a_monthly_only_order_by_date_is_labelled_in_every_table_and_the_csv(
    tmp_path: Path,
) -> None:
    """A trigger short on the first monthly row alone has the monthly rows' order-by date;
    only the cards said so. The finance orders table, the facilities blocks and power-heavy
    orders tables, the power contracts table (a site whose date rests on such an order), the
    facilities card, triggers.csv and orders.csv printed it as any day's date. Now each labels
    it, reading the triggers' and power triggers' monthly_only field, whatever their notes say."""
    import csv

    from forecasting.report.pages.common import MONTHLY_GRAIN
    from forecasting.report.pages.facilities import (
        _blocks_table,
        _cards,
        _power_contracts_table,
        _power_orders_table,
    )
    from forecasting.report.pages.finance import _orders_table
    from forecasting.triggers.common import MONTHLY_ONLY

    inputs = sample_inputs()
    first = (
        inputs.triggers.filter(pl.col("blocks_to_order") > 0).sort("order_by").row(0, named=True)
    )
    seam = (pl.col("region") == first["region"]) & (pl.col("pool") == first["pool"])
    note = "short at the monthly grain from December 2026 ...: undated by the day (...)"
    triggers = inputs.triggers.with_columns(
        status=pl.when(seam).then(pl.lit("amber")).otherwise(pl.col("status")),
        note=pl.when(seam).then(pl.lit(note)).otherwise(pl.col("note")),
        monthly_only=seam,
    )
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    site = {"region": "us-east", "site": "us-east-b", "status": "amber",
            "contract_by": date(2027, 3, 18), "power_lead_months": 24,
            "note": "the power date rests on ...: undated by the day; see its note",
            "monthly_only": True}  # fmt: skip
    power = pl.concat(
        [POWER_TRIGGERS_SCHEMA.to_frame(), pl.DataFrame([site]).cast({"contract_by": pl.Date})],
        how="diagonal_relaxed",
    )
    monthly = replace(inputs, triggers=triggers, power_triggers=power)
    monthly = replace(monthly, placements=_planned(monthly, later_capex=1e6))
    from forecasting.text import before_as_of

    # Before the as-of day, it says how long before, and that it is late.
    ago = before_as_of(first["order_by"], inputs.as_of)
    labelled = f"{fmt_date(first['order_by'])} ({MONTHLY_GRAIN}{ago})"

    def cells(table: Any) -> list[str]:
        return [str(c) for row in table.rows for c in row]

    powered = with_power(triggers, monthly.placements)
    assert labelled in cells(_orders_table(powered, daily_end=None, unit="GPUs"))
    assert labelled in cells(_blocks_table(monthly))
    assert labelled in cells(_power_orders_table(powered, monthly.placements))
    contract = (
        power.filter(pl.col("contract_by").is_not_null()).sort("contract_by").row(0, named=True)
    )
    assert f"{fmt_date(contract['contract_by'])} ({MONTHLY_GRAIN})" in cells(
        _power_contracts_table(power)
    )
    assert MONTHLY_GRAIN in dict(_cards(monthly))["power to contract"]
    # The CLI's lines read the same fields: the power line's flag, and each trigger row's.
    from types import SimpleNamespace

    from forecasting.runs.reports import report_outcome

    outcome = report_outcome(monthly, SimpleNamespace(run_id="t"), tmp_path)  # type: ignore[arg-type]
    assert outcome.power_first_monthly
    flagged = {(t["region"], t["pool"]) for t in outcome.triggers if t["monthly_only"]}
    assert flagged == {(first["region"], first["pool"])}
    folder = publish_report(monthly, root=tmp_path)
    with (folder / "triggers.csv").open(encoding="utf-8") as handle:
        rows = {(r["region"], r["pool"]): r for r in csv.DictReader(handle)}
    assert rows[(first["region"], first["pool"])]["order_by_grain"] == f"month, {MONTHLY_ONLY}"
    others = {r["order_by_grain"] for k, r in rows.items() if k != (first["region"], first["pool"])}
    assert others <= {"day", "month", ""}
    # The trigger's own order in orders.csv (tranche 1) alike.
    with (folder / "orders.csv").open(encoding="utf-8") as handle:
        orders = [r for r in csv.DictReader(handle) if r["tranche"] == "1"]
    grains = {(r["region"], r["pool"]): r["order_by_grain"] for r in orders}
    assert grains[(first["region"], first["pool"])] == f"month, {MONTHLY_ONLY}"
    # Its size, capex and MW alike, in both files (the demo at 7 days: 30 racks, 89 at 26 weeks).
    days = (daily_end(inputs) - inputs.as_of).days  # type: ignore[operator]
    size = f"size {MONTHLY_ONLY} (the daily forecast reaches only {days} days)"
    assert rows[(first["region"], first["pool"])]["size_note"] == size
    assert {r["size_note"] for k, r in rows.items() if k != (first["region"], first["pool"])} == {
        ""
    }
    notes = {(r["region"], r["pool"]): r["size_note"] for r in orders}
    assert notes.pop((first["region"], first["pool"])) == size
    assert set(notes.values()) <= {""}


def test_a_later_order_after_a_monthly_only_order_is_marked_not_verified(tmp_path: Path) -> None:
    """A later order after a pool's first order short at the monthly grain only is marked as
    that order is (a 28-day run's us-west cell, due first, carried no mark in orders.csv or
    finance and headed the CLI's "order first" line as a measured date)."""
    import csv
    from types import SimpleNamespace

    from flows.tables import triggers_line
    from forecasting.report.pages.common import MONTHLY_GRAIN
    from forecasting.report.pages.finance import _later_orders_table
    from forecasting.runs.reports import report_outcome
    from forecasting.triggers.common import MONTHLY_ONLY

    inputs = sample_inputs()
    first = (
        inputs.triggers.filter(pl.col("blocks_to_order") > 0).sort("order_by").row(0, named=True)
    )
    seam = (pl.col("region") == first["region"]) & (pl.col("pool") == first["pool"])
    monthly = replace(inputs, triggers=inputs.triggers.with_columns(monthly_only=seam))
    monthly = replace(monthly, placements=_planned(monthly, later_capex=1e6))
    day = first["order_by"] - timedelta(days=1)  # the later order's (_planned)
    folder = publish_report(monthly, root=tmp_path)
    with (folder / "orders.csv").open(encoding="utf-8") as handle:
        later = [r for r in csv.DictReader(handle) if r["tranche"] == "2"]
    assert [(r["order_by"], r["order_by_grain"]) for r in later] == [
        (str(day), f"month, {MONTHLY_ONLY}")
    ]
    assert later[0]["size_note"].startswith(f"size {MONTHLY_ONLY} (the daily forecast reaches")
    table = _later_orders_table(monthly.placements, triggers=monthly.triggers, daily_end=None)
    cells = [str(c) for row in table.rows for c in row]
    assert f"{fmt_date(day)} ({MONTHLY_GRAIN})" in cells
    assert f"$1.0M, {NOT_VERIFIED}" in cells
    # Unflagged, the same order reads as before.
    plain = _later_orders_table(monthly.placements, triggers=inputs.triggers, daily_end=None)
    assert f"$1.0M, {NOT_VERIFIED}" not in [str(c) for row in plain.rows for c in row]
    outcome = report_outcome(monthly, SimpleNamespace(run_id="t"), tmp_path)  # type: ignore[arg-type]
    assert [o["monthly_only"] for o in outcome.later_due_first] == [True]
    assert (
        f"order first: {first['region']}/{first['pool']} 3 x cell-later by {day} (after an "
        f"order at the monthly grain, {MONTHLY_ONLY}: see its pool's note; a later order of the "
        "plan, due before every pool's first order"
    ) in triggers_line(outcome)


def test_the_sites_card_counts_declared_sites_without_blocks_yet() -> None:
    """A declared site with no block yet is in the power table but was missing from the
    "sites" card (6 against 7); without [[site]] the card counts the sites blocks name."""
    from forecasting.capacity import Site

    inputs = sample_inputs()

    def sites_card(page: str) -> str:
        return page.split('<div class="label">sites</div>')[0].rsplit('<div class="big">', 1)[1]

    assert sites_card(facilities_page(inputs)).startswith("2<")
    new = Site(id="north-a", region="eu-west", power_lead_months=24, cost_per_mw_usd=1e6)
    plan = inputs.plan.model_copy(update={"site": (new,)})
    assert sites_card(facilities_page(replace(inputs, plan=plan))).startswith("3<")


def test_concentration_takeaways_say_only_what_was_measured() -> None:
    """A fleet with history and forecast reads "moves from A to B"; one with no observed day
    (an hour of an Azure trace: every value null) read "HHI moves from – (q50) by 2023-11-20"
    and now says no HHI was measured; history alone reads "was"."""
    days = [AS_OF - timedelta(days=1), AS_OF + timedelta(days=30)]

    def frame(value: float | None, q50: float | None) -> pl.DataFrame:
        return pl.DataFrame(
            [
                ("all", days[0], metric, "history", value, None, None, None)
                for metric in ("top1_share", "top5_share", "hhi")
            ]
            + [
                ("all", days[1], metric, "forecast", None, q50, q50, q50)
                for metric in ("top1_share", "top5_share", "hhi")
            ],
            schema=CONCENTRATION_SCHEMA,
            orient="row",
        )

    said = [c.takeaway for c in concentration_charts(frame(0.3, 0.4))]
    assert said[0].startswith("The top-1 customer's share moves from 30")
    # The forecast's rows are weeks named by their Monday ("by 2025-01-20" on a 7-day run
    # read as a jump in one day).
    assert f"(q50) in the week of {days[1]}" in said[0]
    assert said[1].startswith("HHI moves from ") and " to " in said[1]
    assert [c.takeaway for c in concentration_charts(frame(None, None))] == [
        "No customer's share was measured.",
        "No HHI was measured.",
    ]
    assert concentration_charts(frame(0.3, None))[1].takeaway.startswith("HHI was ")


def test_every_page_names_the_feeds_that_stopped() -> None:
    """A region silent for its last 5 days, and a customer whose every-hour feed stopped 8
    days early, are named on every page (a silent region read "green" on the front and
    finance pages, named only among the platform page's flagged series), each with what its
    silence does: a customer's alone says nothing of MinT (it read "a silent region moves the
    others' forecasts" with no region silent); a run whose feeds all report has no banner."""
    inputs = sample_inputs()
    region = inputs.chosen.filter(hierarchy.depth() == 1)["unique_id"].sort()[0]
    stale = inputs.chosen.with_columns(
        stale_days=pl.when(pl.col("unique_id") == region).then(5).otherwise(pl.col("stale_days"))
    )
    silent = pl.DataFrame(
        {"region": ["helios"], "workload_class": ["training"], "customer": ["vc6YE"],
         "last_report": [datetime(2026, 11, 14, 15, tzinfo=UTC)], "silent_days": [8],
         "cover": [1.0], "share": [0.32], "region_hours": [672]},
    )  # fmt: skip
    quiet = replace(inputs, chosen=stale, silent_customers=silent)
    label = html_text(f"{hierarchy.label_of(region)} (5 days)")
    customer = html_text("helios · training · vc6YE (8 days)")
    customer_only = replace(inputs, silent_customers=silent)
    for page in (run_index_page, finance_page, facilities_page, platform_page):
        shown = html.unescape(page(quiet))
        assert f"Telemetry stopped: {html.unescape(label)} reported nothing" in shown
        assert "The other regions read it only through MinT's first weeks" in shown
        assert f"Feed stopped: {html.unescape(customer)} wrote no rows" in shown
        assert "Telemetry stopped" not in page(inputs), page.__name__
        # A customer's feed alone: zero demand in its region, no region's MinT pull.
        alone = html.unescape(page(customer_only))
        assert "Feed stopped" in alone and "MinT" not in alone, page.__name__


def test_a_stopped_feed_held_at_zero_is_one_row_of_the_flagged_series() -> None:
    """A customer whose feed stopped 20 days before its region's last, and whose forecast is
    held at zero for it, read twice in the platform page's flagged series: a "stopped: ...
    held at zero" row per measure and a feed row saying "its forecast follows them". It is
    one row now, saying the hold; a customer held at zero whose rows read zero (no feed
    stopped) keeps its own rows."""
    region, cls, customer = "us-east", "inference", "acme"
    uid = hierarchy.id_of(region, cls, customer)
    sample = sample_inputs()
    # The sample's runs keep no customer series: acme is its class's row, renamed.
    own = sample.chosen.filter(pl.col("unique_id") == hierarchy.id_of(region, cls))
    inputs = replace(
        sample, chosen=pl.concat([sample.chosen, own.with_columns(unique_id=pl.lit(uid))])
    )
    note = f"{STOPPED_NOTE}zero demand on each of its last 20 days (from 2026-11-15)"
    held = inputs.chosen.with_columns(
        level_shift=pl.when(pl.col("unique_id") == uid).then(pl.lit(note)).otherwise(None)
    )
    silent = pl.DataFrame(
        {"region": [region], "workload_class": [cls], "customer": [customer],
         "last_report": [datetime(2026, 11, 14, 15, tzinfo=UTC)], "silent_days": [20],
         "cover": [1.0], "share": [0.32], "region_hours": [672]},
    )  # fmt: skip
    page = html.unescape(platform_page(replace(inputs, chosen=held, silent_customers=silent)))
    assert note not in page
    assert "its forecast is held at zero, as for a customer that left, until its" in page
    assert "its forecast follows them" not in page.split("Flagged series")[-1]
    departed = html.unescape(platform_page(replace(inputs, chosen=held)))
    assert departed.count(note) == inputs.chosen.filter(pl.col("unique_id") == uid).height


def test_the_feed_stopped_banner_says_which_customers_are_held_at_zero() -> None:
    """The every-page "Feed stopped" banner said "its forecast follows them" of a customer
    whose forecast is held at zero as one that left, beside a flagged row saying the hold.
    The banner now says the hold of a held customer, "follows them" of the others, and both,
    each of its own, when a run has one of each."""
    sample = sample_inputs()
    cls_row = sample.chosen.filter(pl.col("unique_id") == hierarchy.id_of("us-east", "inference"))
    ids = {c: hierarchy.id_of("us-east", "inference", c) for c in ("acme", "globex")}
    chosen = pl.concat(
        [sample.chosen, *(cls_row.with_columns(unique_id=pl.lit(u)) for u in ids.values())]
    )
    note = f"{STOPPED_NOTE}zero demand on each of its last 20 days (from 2026-11-15)"
    chosen = chosen.with_columns(
        level_shift=pl.when(pl.col("unique_id") == ids["acme"]).then(pl.lit(note)).otherwise(None)
    )

    def silent(*customers: str) -> pl.DataFrame:
        n = len(customers)
        return pl.DataFrame(
            {"region": ["us-east"] * n, "workload_class": ["inference"] * n,
             "customer": list(customers),
             "last_report": [datetime(2026, 11, 14, 15, tzinfo=UTC)] * n,
             "silent_days": [20] * n, "cover": [1.0] * n, "share": [0.32] * n,
             "region_hours": [672] * n},
        )  # fmt: skip

    def banner(*customers: str) -> str:
        page = _visible(
            platform_page(replace(sample, chosen=chosen, silent_customers=silent(*customers)))
        )
        return page[page.index("Feed stopped") : page.index("pool's triggers")]

    held = banner("acme")
    assert "its forecast is held at zero, as for a customer that left" in held
    assert "follows them" not in held
    assert "its forecast follows them" in banner("globex")
    both = banner("acme", "globex")
    assert (
        "the forecast of us-east · inference · globex (20 days) follows them, that of "
        "us-east · inference · acme (20 days) is held at zero"
    ) in both


def test_the_platform_page_says_which_days_of_a_total_are_estimated_not_measured() -> None:
    """eu-west silent for its last 3 days: the forecast read the total's last 3 days as the
    reporting regions' telemetry plus eu-west's own forecast, and only the run's warnings
    said so; the platform page showed the total's history and accuracy with no sign of it.
    It now says so beside the silent-region banner, naming the days and the silent part; a
    run with nothing estimated (or stored before migration 39) says nothing of it."""
    inputs = sample_inputs()
    estimated = pl.DataFrame(
        {"unique_id": ["total"], "measure": ["mean"], "first": [date(2026, 12, 3)],
         "last": [date(2026, 12, 5)], "days": [3], "nowcast": ["eu-west"]},
    )  # fmt: skip
    page = _visible(platform_page(replace(inputs, estimated=estimated)))
    assert (
        "total (mean): its last 3 days (2026-12-03 to 2026-12-05) are estimated, not measured: "
        "its reporting parts' telemetry plus eu-west's own forecast across its silence. The "
        "forecast was fitted on those days, and no backtest scored them"
    ) in page
    for shown in (inputs, replace(inputs, estimated=pl.DataFrame())):
        assert "estimated, not measured" not in _visible(platform_page(shown))


def test_named_drills_not_played_on_the_run_are_named_beside_the_drill_figures() -> None:
    """An interrupted `fleetcast drill` kept the drills it finished, and the report read "2 of
    3 drills failing" for a fleet with eight named drills: the front page, the platform page
    and the summary name the ones with no run on this forecast run."""
    from forecasting.runs.reports import _unplayed

    played = pl.Series(["all-2x", "block-loss", "inference-2x"])
    refused = pl.Series(["region-loss"])
    unplayed = _unplayed(played, refused, any_played=["r1"])
    assert unplayed == ("delivery-slip", "inference-surge", "top-customer-2x-6w", "training-2x")
    assert _unplayed(played.clear(), refused.clear(), any_played=[]) == ()
    inputs = replace(sample_inputs(), drills_unplayed=unplayed)
    said = "4 named drills not played on this forecast run (delivery-slip, inference-surge"
    for page in (run_index_page(inputs), platform_page(inputs)):
        assert said in page and "`fleetcast drill` plays them" in page
    assert said not in run_index_page(sample_inputs())
    # The Helios demo's pages read "6 named drill(s)": one drill is said in the singular.
    one = platform_page(replace(sample_inputs(), drills_unplayed=("region-loss",)))
    assert "1 named drill not played on this forecast run (region-loss)" in one
    assert "leave it out: `fleetcast drill` plays it" in one


def test_revenue_at_risk_says_not_verified_and_not_played_instead_of_figures() -> None:
    """Finance's "Revenue at risk in shock drills" read $0 in every cell for
    top-customer-2x-6w on a 14-day run whose verdict was "not verified: cut short at 1.33x of
    2x", and region-loss (not played: its dark days past the horizon) had no row at all. The
    not-verified drill is one row saying so and why, the drills not played are rows saying
    why, and the verified drills keep their figures."""
    inputs = sample_inputs()
    name = inputs.drill_answers["drill"][0]
    why = "cut short at 1.33x of 2x by the horizon (forecast at least 42 days ahead)"
    answers = inputs.drill_answers.with_columns(
        verdict=pl.when(pl.col("drill") == name).then(pl.lit("not verified")).otherwise("verdict"),
        unverified=pl.when(pl.col("drill") == name).then(pl.lit(why)),
    )
    refused = pl.DataFrame({"drill": ["region-loss"], "reason": ["dark past the horizon"]})
    table = _revenue_table(
        inputs.drill_kpis, inputs.drill_kpi_changes, answers, not_played=refused,
        unplayed=("training-2x",),
    )  # fmt: skip
    by_drill: dict[str, list[Any]] = {}
    for row in table.rows:
        by_drill.setdefault(str(row[0]), []).append(row)
    (row,) = by_drill[name]
    assert row[3] == Stacked(Badge("not verified"), why)
    assert all(cell == "–" for cell in row[4:])
    (lost,) = by_drill["region-loss"]
    assert lost[3] == Stacked(Badge("not played"), "dark past the horizon")
    assert by_drill["training-2x"][0][3].main == Badge("not played")
    others = [r for d, rows in by_drill.items() if d not in (name, "region-loss", "training-2x")
              for r in rows]  # fmt: skip
    assert others and all(str(r[4]).startswith("$") for r in others)
    page = finance_page(replace(inputs, drill_answers=answers, drills_not_played=refused))
    assert html_text(why) in page and "dark past the horizon" in page


def test_revenue_at_risk_says_where_its_p90_is_below_its_mean() -> None:
    """Finance's revenue at risk read "$134 | +$81 | $0 | $0" for the demo's block-loss (mean,
    increment, P50, P90): a P90 under its mean, which a tenth of paths or fewer carry, with no
    word (the platform page says so of the same figure). The P90 cell says so too; one at or
    above its mean says nothing."""
    inputs = sample_inputs()
    revenue = pl.col("kpi") == "revenue_at_risk_usd"
    few = inputs.drill_kpis.with_columns(
        mean=pl.when(revenue).then(134.0).otherwise("mean"),
        p50=pl.when(revenue).then(0.0).otherwise("p50"),
        p90=pl.when(revenue).then(0.0).otherwise("p90"),
    )
    table = _revenue_table(few, inputs.drill_kpi_changes, inputs.drill_answers)
    assert table.rows
    assert {str(r[7]) for r in table.rows} == {
        "$0, below the mean: a tenth of paths or fewer are hit"
    }
    skewed = few.with_columns(p90=pl.when(revenue).then(100.0).otherwise("p90"))
    table = _revenue_table(skewed, inputs.drill_kpi_changes, inputs.drill_answers)
    assert {str(r[7]) for r in table.rows} == {
        "$100, below the mean, which the worst tenth of paths carry"
    }
    even = few.with_columns(p90=pl.when(revenue).then(134.0).otherwise("p90"))
    table = _revenue_table(even, inputs.drill_kpi_changes, inputs.drill_answers)
    assert {str(r[7]) for r in table.rows} == {"$134"}


def test_a_contract_whose_term_ended_reads_ended_in_the_book_list() -> None:
    """A contract whose term ended 2026-09-30, in a book read as of 2026-12-04, was listed
    under "Contracts and deals" like any other, with no word that it ended and is not
    applied; one running past the as-of date reads its term end alone."""
    from forecasting.contracts import CONTRACT_LIST_SCHEMA
    from forecasting.report.pages.finance import _book_list_table

    row = {
        "id": "c", "customer": "acme", "workload_class": "inference", "region": "us-east",
        "status": "signed", "probability": 1.0, "first_date": date(2026, 1, 1),
        "first_gpus": 64, "last_date": date(2026, 3, 1), "last_gpus": 128,
        "price_per_gpu_hour": None, "announced": None,
    }  # fmt: skip
    book = pl.DataFrame(
        [row | {"id": "ended", "term_end": date(2026, 9, 30)},
         row | {"id": "running", "term_end": date(2027, 9, 30)}],
        schema=CONTRACT_LIST_SCHEMA,
    )  # fmt: skip
    cells = {r[0]: r[8] for r in _book_list_table(book, as_of=date(2026, 12, 4)).rows}
    assert cells == {"ended": "2026-09-30 (ended: not applied)", "running": "2027-09-30"}


def test_the_book_count_says_it_counts_the_daily_rows() -> None:
    """ "2 pipeline deal(s) holding GPUs within its horizon" sat beside a table of three, the
    third starting in month 10 of a 37-month plan: the count says it is over the daily rows."""
    inputs = replace(sample_inputs(), book_applied=pl.DataFrame({"signed": [3], "pipeline": [2]}))
    page = finance_page(inputs)
    end = daily_end(inputs)
    assert end is not None
    assert f"2 pipeline deal(s) holding GPUs within its daily rows (to {end})" in page
    assert "Deals that start later enter the monthly plan only" in page


def test_power_to_contract_shows_the_mw_beyond_the_ceiling_beside_what_it_prices() -> None:
    """The "MW to contract" column read 26.5 MW (the part within the site's ceiling, which the
    cost prices) beside a note to contract 96.11: the cell shows both parts."""
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    row = {
        "region": "us-east",
        "site": "us-east-b",
        "status": "red",
        "contract_by": date(2026, 9, 6),
        "mw_to_contract": 26.5,
        "mw_beyond_ceiling": 69.61,
        "power_lead_months": 24,
        "cost_usd": 291.5e6,
    }
    frame = pl.DataFrame([row]).cast({"contract_by": pl.Date})
    triggers = pl.concat([POWER_TRIGGERS_SCHEMA.to_frame(), frame], how="diagonal_relaxed")
    page = facilities_page(replace(sample_inputs(), power_triggers=triggers))
    assert "26.5 MW (+ 69.6 MW beyond the ceiling)" in page
    within = pl.concat(
        [POWER_TRIGGERS_SCHEMA.to_frame(), frame.with_columns(mw_beyond_ceiling=0.0)],
        how="diagonal_relaxed",
    )
    assert "beyond the ceiling)" not in facilities_page(
        replace(sample_inputs(), power_triggers=within)
    )


def test_power_to_contract_shows_the_contracted_mw_it_nets_out() -> None:
    """The power table's "MW to contract" is net of the MW already contracted with the
    utility, which no column showed (us-east-a's 10.5 MW from 2028-05-26): a "MW contracted"
    column gives it with its energization day, and a site without a contract reads none."""
    from forecasting.capacity import Site
    from forecasting.report.pages.facilities import _power_contracts_table
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    row = {"region": "us-east", "site": "us-east-a", "status": "red",
           "contract_by": date(2025, 3, 22), "mw_to_contract": 47.3, "power_lead_months": 24,
           "cost_usd": 519.9e6}  # fmt: skip
    frame = pl.concat(
        [POWER_TRIGGERS_SCHEMA.to_frame(), pl.DataFrame([row]).cast({"contract_by": pl.Date})],
        how="diagonal_relaxed",
    )
    declared = {"id": "us-east-a", "region": "us-east", "power_lead_months": 24,
                "energized": [{"on": date(2020, 1, 1), "mw": 42.0}], "cost_per_mw_usd": 11e6,
                "contracted_mw": 10.5, "contracted_energized": date(2028, 5, 26)}  # fmt: skip
    site = Site.model_validate(declared)
    table = _power_contracts_table(frame, [site])
    assert "MW contracted" in table.headers
    (cells,) = table.rows
    assert cells[table.headers.index("MW contracted")] == "10.5 MW from 2028-05-26"
    (bare,) = _power_contracts_table(frame).rows
    assert bare[table.headers.index("MW contracted")] == MISSING


def test_a_site_with_no_mw_left_to_contract_has_no_contract_date_to_act_on() -> None:
    """A site whose need passes its ceiling with 0 MW left to contract read "contract power
    by 2025-02-01" in the facilities table, a date to act on where no contract brings the MW
    on: the cell says nothing is left to contract and points at the new site; a site with MW
    to contract (some of it past its ceiling too) keeps its date."""
    from forecasting.report.pages.facilities import _power_contracts_table
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    row = {"region": "us-east", "site": "us-east-b", "status": "red",
           "contract_by": date(2025, 2, 1), "mw_to_contract": 0.0, "mw_beyond_ceiling": 0.7,
           "power_lead_months": 24, "cost_usd": 0.0}  # fmt: skip
    frame = pl.concat(
        [POWER_TRIGGERS_SCHEMA.to_frame(), pl.DataFrame([row]).cast({"contract_by": pl.Date})],
        how="diagonal_relaxed",
    )
    table = _power_contracts_table(frame)
    (cells,) = table.rows
    by = cells[table.headers.index("contract power by")]
    assert "2025-02-01" not in str(by)
    assert by == "nothing left to contract (ceiling reached): a new site is needed"
    (some,) = _power_contracts_table(frame.with_columns(mw_to_contract=pl.lit(2.5))).rows
    assert some[table.headers.index("contract power by")] == "2025-02-01"


def test_a_publish_removes_what_killed_publishes_left_behind(tmp_path: Path) -> None:
    """A SIGKILLed publish left its `.tmp-*` staging folder (half a report, up to tens of MB)
    and no later publish removed it: staging entries untouched for an hour go; a fresh one,
    maybe another publish at work, stays."""
    import os

    from forecasting.report.publish import ABANDONED_AFTER

    stale_dir, stale_file, fresh = (
        tmp_path / ".tmp-r8jmq90y",
        tmp_path / ".tmp-index-1-ab.html",
        tmp_path / ".tmp-live",
    )
    stale_dir.mkdir()
    (stale_dir / "platform.html").write_text("half", encoding="utf-8")
    stale_file.write_text("x", encoding="utf-8")
    fresh.mkdir()
    old = (datetime.now(UTC) - ABANDONED_AFTER - timedelta(minutes=5)).timestamp()
    for entry in (stale_dir, stale_file):
        os.utime(entry, (old, old))
    publish_report(sample_inputs(), root=tmp_path)
    assert not stale_dir.exists() and not stale_file.exists()
    assert fresh.exists()


def test_an_order_the_forecast_ends_before_is_named_not_sized_beside_the_capital() -> None:
    """An order landing after the forecast's last day was sized on days it cannot serve and
    priced among the capital ($16.9M for a pool the 26-week run orders $59.1M for). It has no
    blocks or capex now: the orders table reads "rack-h100-256, not sized" and the capital
    cards, which leave it out, say so beside their figure."""
    from forecasting.triggers import TRIGGERS_SCHEMA

    unsized = {"region": "sg", "pool": "all", "candidate": "rack-h100-256", "blocks_to_order": None}
    sized = {"region": "sg", "pool": "training", "candidate": "pod", "blocks_to_order": 2}
    assert blocks_text(unsized) == "rack-h100-256, not sized"
    assert blocks_text(sized) == "2 × pod"
    assert blocks_text(sized | {"blocks_to_order": 0}) == "none"
    rows = [unsized, sized, {"region": "x", "pool": "all", "candidate": None}]
    frame = pl.concat([TRIGGERS_SCHEMA.to_frame(), pl.DataFrame(rows)], how="diagonal_relaxed")
    assert unsized_beside(frame) == (
        " (+ 1 order not sized: the forecast ends before it lands, see the notes)"
    )
    assert unsized_beside(frame.filter(pl.col("pool") == "training")) == ""


def test_growth_drivers_tied_on_growth_list_in_one_order_on_every_rerun() -> None:
    """A rerun of `fleetcast report` on one forecast run (a 90-day synthetic fleet, seed 3,
    forecast 1 week) swapped two rows of the finance page's "Who drives the growth": eu-west
    training's cust-009 and lumen-systems, both +1,263 GPUs, came in the order the stored
    drivers happened to hold. Ties on growth now list by region, pool, class and customer."""
    from forecasting.triggers import DRIVERS_SCHEMA

    rows = [
        {"region": "eu-west", "pool": "training", "workload_class": "training", "customer": c,
         "growth_gpus": 1263.0, "share": 0.176}
        for c in ("lumen-systems", "cust-009", "tidewater-search")
    ] + [{"region": "eu-west", "pool": "all", "workload_class": "inference",
          "customer": "northwind-ai", "growth_gpus": 1634.0, "share": 0.27}]  # fmt: skip
    frame = pl.concat([DRIVERS_SCHEMA.to_frame(), pl.DataFrame(rows)], how="diagonal_relaxed")
    listed = [
        [(row[1], row[3]) for row in _drivers_table(f, daily_end=None).rows]
        for f in (frame, frame.reverse())
    ]
    assert (
        listed[0]
        == listed[1]
        == [
            ("all", "northwind-ai"),
            ("training", "cust-009"),
            ("training", "lumen-systems"),
            ("training", "tidewater-search"),
        ]
    )


def test_growth_drivers_say_a_pool_does_not_grow_and_list_no_plus_zero_driver() -> None:
    """A customer who left, 0 -> 0 GPUs (+0.015), topped "Who drives the growth" with 100 % of
    a pool whose other parts all shrank. The table lists no part that moved by less than half
    a GPU, puts the largest falls first after the growers, and the intro says the pool does
    not grow, one of its unit singular."""
    from forecasting.triggers import DRIVERS_SCHEMA

    rows = [
        {"region": "r-west", "pool": "all", "customer": "borealis", "growth_gpus": 0.015},
        {"region": "r-west", "pool": "all", "customer": "ember", "growth_gpus": -2.0},
        {"region": "r-west", "pool": "all", "customer": "acme", "growth_gpus": -151.0},
        {"region": "r-east", "pool": "all", "customer": "acme", "growth_gpus": 40.0, "share": 1.0},
    ]
    frame = pl.concat([DRIVERS_SCHEMA.to_frame(), pl.DataFrame(rows)], how="diagonal_relaxed")
    table = _drivers_table(frame, daily_end=None)
    assert [(row[0], row[3]) for row in table.rows] == [
        ("r-east", "acme"),
        ("r-west", "acme"),
        ("r-west", "ember"),
    ]
    intro = _drivers_intro(frame)
    assert "Not growing: r-west/all (net -153 GPUs)" in intro
    assert "r-east/all" not in intro
    # One of a unit is singular: it read "(or 1 H100-equivalents)" on the demo.
    assert "(or 1 GPU)" in intro
    assert "(or 1 H100-equivalent)" in _drivers_intro(frame, unit="H100-equivalents")


def test_a_growth_driver_carried_by_a_pipeline_deal_says_it_is_not_signed() -> None:
    """orion-foundation's "growth" in us-east training, 0 -> 1,434 GPUs, is its pipeline deal
    at its odds (0.35 x 4,096), and read as the customer's forecast growth with no mark. A
    driver whose customer has a pipeline deal in its region and class over its window names
    the deal and its odds; a customer with only a signed contract, or a deal elsewhere, has no
    mark."""
    from forecasting.contracts import CONTRACT_LIST_SCHEMA
    from forecasting.triggers import DRIVERS_SCHEMA

    rows = [
        {"region": "us-east", "pool": "training", "workload_class": "training",
         "customer": "orion", "from_date": date(2026, 12, 4), "to_date": date(2029, 12, 1),
         "growth_gpus": 1434.0, "share": 0.2},
        {"region": "us-east", "pool": "training", "workload_class": "training",
         "customer": "acme", "from_date": date(2026, 12, 4), "to_date": date(2029, 12, 1),
         "growth_gpus": 900.0, "share": 0.1},
    ]  # fmt: skip
    frame = pl.concat([DRIVERS_SCHEMA.to_frame(), pl.DataFrame(rows)], how="diagonal_relaxed")
    book = pl.DataFrame(
        [
            {"id": "orion-2027", "customer": "orion", "workload_class": "training",
             "region": "us-east", "status": "pipeline", "probability": 0.35,
             "first_date": date(2027, 5, 1), "term_end": date(2030, 4, 30)},
            {"id": "acme-eu", "customer": "acme", "workload_class": "training",
             "region": "eu-west", "status": "pipeline", "probability": 0.5,
             "first_date": date(2027, 5, 1), "term_end": date(2030, 4, 30)},
            {"id": "acme-1", "customer": "acme", "workload_class": "training",
             "region": "us-east", "status": "signed", "probability": 1.0,
             "first_date": date(2027, 1, 1), "term_end": date(2030, 4, 30)},
        ],
        schema_overrides=dict(CONTRACT_LIST_SCHEMA),
    )  # fmt: skip
    table = _drivers_table(frame, daily_end=None, contracts=book)
    assert [row[3] for row in table.rows] == [
        "orion (pipeline orion-2027 at 35%: not signed)",
        "acme",
    ]


def test_growth_drivers_read_a_monthly_date_as_its_month() -> None:
    """ "Who drives the growth" printed an exhaustion on the monthly rows as "2029-12-01",
    where the orders table beside it read "Dec 2029" for the same date: it reads the month
    too, and a day within the daily rows stays a day."""
    from forecasting.triggers import DRIVERS_SCHEMA

    end = date(2027, 6, 3)
    rows = [
        {"region": "us-east", "pool": "training", "to_date": date(2029, 12, 1), "growth_gpus": 9.0},
        {"region": "eu-west", "pool": "all", "to_date": date(2027, 5, 2), "growth_gpus": 5.0},
    ]
    frame = pl.concat([DRIVERS_SCHEMA.to_frame(), pl.DataFrame(rows)], how="diagonal_relaxed")
    table = _drivers_table(frame, daily_end=end)
    assert [row[6] for row in table.rows] == ["Dec 2029", "2027-05-02"]


def test_a_censored_drills_ladder_spend_reads_as_a_lower_bound_not_a_cost_of_absorbing(
    tmp_path: Path,
) -> None:
    """all-2x, never absorbed, read "> 7 d, not absorbed (censored)" beside "cost of absorbing
    $2.5M" on a 7-day run and $83.4M at 26 weeks: the ladder's spend until the window ended,
    not what absorbing cost. It reads "≥ $2.5M spent by the window's end (not absorbed)" now,
    and drills.csv flags it (``absorb_cost_lower_bound``); an absorbed drill's cost is as it was."""
    inputs = sample_inputs()
    name = inputs.drill_answers["drill"][0]
    hit = pl.col("drill") == name
    answers = inputs.drill_answers.with_columns(
        absorb_censored=hit,
        time_to_absorb_hours=pl.when(hit).then(None).otherwise(pl.lit(36.0)),
        short_until_shock_end_hours=pl.lit(None, pl.Float64),
        absorb_cost_usd=pl.when(hit).then(2_500_000.0).otherwise(pl.lit(640_000.0)),
    )
    censored = replace(inputs, drill_answers=answers)
    platform = platform_page(censored)
    assert html_text("≥ $2.5M spent by the window's end (not absorbed)") in platform
    assert ">$2.5M<" not in platform
    folder = publish_report(censored, root=tmp_path)
    drills = pl.read_csv(folder / "drills.csv")
    flagged = drills.filter(pl.col("absorb_cost_lower_bound"))["drill"].unique().to_list()
    assert flagged == [name]
    spent_nothing = replace(inputs, drill_answers=answers.with_columns(absorb_cost_usd=pl.lit(0.0)))
    assert html_text("nothing spent by the window's end (not absorbed)") in platform_page(
        spent_nothing
    )
    others = drills.filter(pl.col("drill") != name)
    assert others.height and not others["absorb_cost_lower_bound"].any()


def test_a_drill_short_until_its_shock_ended_reads_the_same_on_the_page_and_in_drills_csv(
    tmp_path: Path,
) -> None:
    """A three-day region loss read "73 h" on the platform page and ``time_to_absorb_hours 73``,
    not censored, in drills.csv: the region's return, not an absorption. Stored as short until
    the shock ended (72 h), the page and drills.csv (``time_to_absorb_text``, with the spend
    in ``absorb_cost_text``) say the same words."""
    inputs = sample_inputs()
    name = inputs.drill_answers["drill"][0]
    hit = pl.col("drill") == name
    answers = inputs.drill_answers.with_columns(
        absorb_censored=pl.lit(False),
        time_to_absorb_hours=pl.when(hit).then(None).otherwise(pl.lit(36.0)),
        short_until_shock_end_hours=pl.when(hit).then(72.0).otherwise(None),
        absorb_cost_usd=pl.lit(532_000.0),
        verdict=pl.lit(FAILS_UNDER_SHOCK),
    )
    ended = replace(inputs, drill_answers=answers)
    words = "short until the shock ended (72 h) or later: not absorbed by the response"
    assert html_text(words) in platform_page(ended)
    drills = pl.read_csv(publish_report(ended, root=tmp_path) / "drills.csv")
    row = drills.filter(pl.col("drill") == name).row(0, named=True)
    assert row["time_to_absorb_text"] == words
    assert row["time_to_absorb_hours"] is None
    assert row["absorb_cost_text"] == "$532k spent in the window (not absorbed by the response)"
    other = drills.filter(pl.col("drill") != name).row(0, named=True)
    assert other["time_to_absorb_text"] == "36 h (1.5 d)"


def test_a_block_lost_for_good_reads_no_shortfall_within_the_window_on_the_page(
    tmp_path: Path,
) -> None:
    """block-loss read "0 h" on a 14-day run (no shortfall yet; the loss lasts past the
    window) and "3,961 h (165.0 d)" at 26 weeks, bare figures that grew with the horizon. The
    page and drills.csv say the time holds within the window only."""
    inputs = sample_inputs()
    name = inputs.drill_answers["drill"][0]
    hit = pl.col("drill") == name
    answers = inputs.drill_answers.with_columns(
        absorb_censored=pl.lit(False),
        short_until_shock_end_hours=pl.lit(None, pl.Float64),
        time_to_absorb_hours=pl.when(hit).then(0.0).otherwise(pl.lit(36.0)),
        window_hours=pl.lit(336),
        loss_lasts_past_window=hit,
        verdict=pl.lit("pass"),
    )
    lost = replace(inputs, drill_answers=answers)
    words = (
        "no shortfall within the 14 d window; the loss lasts past it (a longer --horizon may "
        "find one)"
    )
    assert html_text(words) in platform_page(lost)
    drills = pl.read_csv(publish_report(lost, root=tmp_path) / "drills.csv")
    assert drills.filter(pl.col("drill") == name)["time_to_absorb_text"][0] == words


def test_the_blocks_a_drill_ran_full_and_left_stranded_are_published(tmp_path: Path) -> None:
    """The first block to saturate, each block's utilisation and its stranded GPU-hours were
    stored for every drill (block-loss: us-east-rack-01 ... rack-34 first to run full) and on
    no page nor in drills.csv. The platform page names them per drill, a pool of many blocks
    by its first and last, and drills.csv carries them."""
    inputs = sample_inputs()
    name = inputs.drill_answers["drill"][0]
    racks = [f"us-east-rack-{i:02d}" for i in range(1, 35)]
    answers = inputs.drill_answers.with_columns(
        first_to_saturate=pl.when(pl.col("drill") == name).then(pl.lit("; ".join(racks)))
    )
    blocks = pl.DataFrame(
        {
            "drill": [name] * 3,
            "block_id": ["us-east-rack-01", "us-east-pod-01", "eu-west-rack-01"],
            "region": ["us-east", "us-east", "eu-west"],
            "kind": ["rack", "pod", "rack"],
            "gpus": [256, 1024, 256],
            "pool": ["p1", "p2", "p3"],
            "in_service_gpu_hours": [1e5, 4e5, 1e5],
            "utilisation_mean": [0.99, 0.97, 0.40],
            "utilisation_p90": [1.0, 1.0, 0.5],
            "stranded_gpu_hours_mean": [0.0, 0.0, 1200.0],
            "stranded_gpu_hours_p90": [0.0, 0.0, 2000.0],
            "saturated_share": [1.0, 0.9, 0.0],
            "saturation_hour_p50": [3.0, 5.0, None],
        }
    )
    shown = replace(inputs, drill_answers=answers, drill_blocks=blocks)
    page = platform_page(shown)
    assert html_text("us-east-rack-01 … us-east-rack-34 (34 blocks of one pool)") in page
    assert html_text("us-east-rack-01 99%, us-east-pod-01 97%, eu-west-rack-01 40%") in page
    assert html_text("most on eu-west-rack-01 (1,200 GPU-h)") in page
    drills = pl.read_csv(publish_report(shown, root=tmp_path) / "drills.csv")
    row = drills.filter(pl.col("drill") == name).row(0, named=True)
    assert row["first_to_saturate"] == "; ".join(racks)
    assert row["busiest_blocks"] == "us-east-rack-01 99%, us-east-pod-01 97%, eu-west-rack-01 40%"
    assert row["stranded_gpu_hours_mean"] == 1200.0


def test_a_block_of_a_customer_without_telemetry_is_in_no_stranded_total(tmp_path: Path) -> None:
    """A drill stores no stranded figure for a block dedicated to a customer with no
    telemetry (None): the page named it "most on earth-vcVP5-01 (114,048 GPU-h)" and summed
    it into the drill's stranded total. Now the total and the "most on" leave it out, and
    the cell names it as not measured."""
    inputs = sample_inputs()
    name = inputs.drill_answers["drill"][0]
    blocks = pl.DataFrame(
        {
            "drill": [name] * 2,
            "block_id": ["us-east-rack-01", "us-east-ghost-01"],
            "region": ["us-east", "us-east"],
            "kind": ["rack", "rack"],
            "gpus": [256, 176],
            "pool": ["p1", "p2"],
            "in_service_gpu_hours": [1e5, 1e5],
            "utilisation_mean": [0.5, 0.0],
            "utilisation_p90": [0.6, 0.0],
            "stranded_gpu_hours_mean": [1200.0, None],
            "stranded_gpu_hours_p90": [2000.0, None],
            "saturated_share": [0.0, 0.0],
            "saturation_hour_p50": [None, None],
        }
    )
    shown = replace(inputs, drill_blocks=blocks)
    page = platform_page(shown)
    assert (
        html_text(
            "most on us-east-rack-01 (1,200 GPU-h); not measured on us-east-ghost-01 (dedicated "
            "to customers with no telemetry: in no total)"
        )
        in page
    )
    drills = pl.read_csv(publish_report(shown, root=tmp_path) / "drills.csv")
    assert drills.filter(pl.col("drill") == name)["stranded_gpu_hours_mean"][0] == 1200.0


def test_dates_placed_on_a_trace_with_no_calendar_are_said_on_every_page_and_csv(
    tmp_path: Path,
) -> None:
    """A ServeGen run's dates are placed (day 0 on 2025-01-06) and its pages read them as
    real: "order by 2024-10-14", "the newest telemetry is 683 days old". Now every page
    carries the placement as a banner, the age reads as counted from it, and each CSV row
    and run.json say the dates are placed; a run on real dates says nothing of it."""
    note = "dates placed: the ServeGen trace has no calendar, and day 0 is placed on 2025-01-06"
    placed = replace(sample_inputs(), placed_dates=note, stale_days=683)
    folder = publish_report(placed, root=tmp_path / "placed")
    for page in PAGES:
        text = (folder / page).read_text()
        assert (
            html_text(
                "Dates placed: the ServeGen trace has no calendar, and day 0 is placed on "
                "2025-01-06. Read every date in this report as days from that placement."
            )
            in text
        )
        assert "683 days before today by the placed calendar: not a measured age" in text
        assert "Stale data" not in text
    for name in ("triggers.csv", "orders.csv", "drills.csv"):
        assert pl.read_csv(folder / name)["dates_placed"].eq(note).all()
    assert json.loads((folder / "run.json").read_text())["dates_placed"] == note
    real = publish_report(replace(sample_inputs(), stale_days=683), root=tmp_path / "real")
    assert "Dates placed" not in (real / "platform.html").read_text()
    assert "Stale data" in (real / "platform.html").read_text()
    assert pl.read_csv(real / "triggers.csv")["dates_placed"].is_null().all()


def test_the_block_a_drill_ran_full_first_says_whether_it_runs_full_unshocked() -> None:
    """ "First to run full: us-east-pod-01" read as the shock's bottleneck where the plan ran
    that pool full first without the shock too (the plan's bottleneck, not the drill's). The
    cell compares with the baseline: the same pool, another one, none, or no baseline."""
    inputs = sample_inputs()
    names = inputs.drill_answers["drill"].to_list()
    cases = {
        names[0]: ("us-east-pod-01", "us-east-pod-01", "us-east-pod-01 (first unshocked too)"),
        names[1]: ("us-east-pod-01", "eu-west-rack-01", "us-east-pod-01 (unshocked: "
                   "eu-west-rack-01 first)"),
    }  # fmt: skip
    answers = inputs.drill_answers.with_columns(
        first_to_saturate=pl.col("drill").replace_strict(
            {k: v[0] for k, v in cases.items()}, default=None
        ),
        baseline_first_to_saturate=pl.col("drill").replace_strict(
            {k: v[1] for k, v in cases.items()}, default=None
        ),
    )
    page = platform_page(replace(inputs, drill_answers=answers))
    for _, _, said in cases.values():
        assert html_text(said) in page
    from forecasting.report.pages.platform import saturated_first_text

    assert saturated_first_text("a; b", unshocked="") == "a, b (unshocked, no pool ran full)"
    assert saturated_first_text("", unshocked="a") == "no pool ran full (unshocked: a did)"
    assert saturated_first_text("", unshocked="") == "no pool ran full, with or without the shock"
    assert saturated_first_text("a", unshocked=None) == "a"


def test_a_p90_below_its_mean_and_a_censored_mean_over_a_finite_p90_say_why() -> None:
    """training-2x at 7 days read "late work 66 GPU-h / P90 0 GPU-h" (inference-2x "preempted
    2 GPU-h / P90 0 GPU-h") and "queue delay censored
    / P90 2.6 h" under a legend calling the P90 "the worse tenth of paths": a tenth of paths or
    fewer were hit (or censored), so the P90 path had none. The legend says the P90 is the
    path at the 90th percentile and when it reads below the mean, and each such cell says so;
    a P90 above its mean and an SLO attainment's P90 (higher is better) read as before."""
    from forecasting.report.pages.common import Stacked

    changes = pl.DataFrame(
        {
            "drill": ["d"] * 4,
            "workload_class": ["all"] * 4,
            "kpi": [
                "preempted_gpu_hours",
                "queue_delay_hours",
                "unmet_gpu_hours",
                "slo_attainment",
            ],
            "baseline_mean": [0.0, 0.0, 100.0, 0.99],
            "shocked_mean": [66.0, None, 300.0, 0.97],
            "increment_mean": [66.0, None, 200.0, -0.02],
            "baseline_p90": [0.0, 0.0, 15.0, 0.98],
            "shocked_p90": [0.0, 2.6, 400.0, 0.9],
        }
    )
    ((_, table),) = _change_tables(changes)
    rows = {row[0]: row for row in table.rows}
    hit = "P90 0 GPU-h, below the mean: a tenth of paths or fewer are hit"
    assert rows["preempted"][2] == Stacked("66 GPU-h", hit)
    assert rows["queue delay"][2] == Stacked("censored on a tenth of paths or fewer", "P90 2.6 h")
    assert rows["unmet demand"][2] == Stacked("300 GPU-h", "P90 400 GPU-h")
    # Baseline unmet 100 GPU-h over a P90 of 15: the paths above the P90 carry the mean.
    assert rows["unmet demand"][1] == Stacked(
        "100 GPU-h", "P90 15 GPU-h, below the mean, which the worst tenth of paths carry"
    )
    assert "below the mean" not in str(rows["SLO attainment"][2])
    page = " ".join(platform_page(sample_inputs()).split())
    assert "the worse tenth of paths" not in page
    assert (
        html_text("The P90 is the path at the 90th percentile: a tenth of paths are worse") in page
    )


def test_a_class_with_no_demand_reads_no_demand_not_pass_in_the_slo_table(tmp_path: Path) -> None:
    """On an inference-only fleet (no training row, forecast or pod), the SLO attainment table
    read "pass 100.0% of 90%" for training, evaluation, batch and experimentation. A class with
    no demand in the drill window reads "no demand" now, drills.csv leaves its class_passed
    empty, and the SLO chart draws no bar for it; a class with demand reads as before."""
    inputs = sample_inputs()
    cls = inputs.drill_verdicts["workload_class"][0]
    idle = pl.col("workload_class") == cls
    verdicts = inputs.drill_verdicts.with_columns(
        has_demand=~idle,
        passed=pl.when(idle).then(True).otherwise("passed"),
        attainment_p90_paths=pl.when(idle).then(1.0).otherwise("attainment_p90_paths"),
    )
    empty = replace(inputs, drill_verdicts=verdicts)
    table = _verdicts_table(verdicts)
    column = table.headers.index(cls)
    assert {row[column].main for row in table.rows} == {Badge(NO_DEMAND)}
    assert all("%" not in row[column].small for row in table.rows)
    other = table.headers.index(inputs.drill_verdicts["workload_class"][1])
    assert all("% of" in row[other].small for row in table.rows)
    folder = publish_report(empty, root=tmp_path)
    drills = pl.read_csv(folder / "drills.csv")
    assert drills.filter(pl.col("workload_class") == cls)["class_passed"].is_null().all()
    assert drills.filter(pl.col("workload_class") != cls)["class_passed"].is_not_null().any()


def test_a_class_with_no_demand_reads_no_demand_in_the_drill_kpi_tables() -> None:
    """On an inference-only fleet forecast 4 weeks ahead, the platform page's SLO table read
    "no demand: nothing to serve in the drill window" for training while the Drill KPIs table
    below it read "100.0%" SLO attainment and "0.0 h" time to absorb for the same class and
    drill, figures of serving nothing. Its cells read "no demand" there too; a class with
    demand keeps its figures."""
    inputs = sample_inputs()
    drill = inputs.drill_kpis["drill"][0]
    classes = [c for c in inputs.drill_kpis["workload_class"].unique() if c != ALL_CLASSES]
    idle, busy = sorted(classes)[:2]
    verdicts = inputs.drill_verdicts.with_columns(
        has_demand=~((pl.col("drill") == drill) & (pl.col("workload_class") == idle))
    )
    tables = dict(_kpi_tables(inputs.drill_kpis, no_demand=_no_demand(verdicts)))
    table = tables[drill]
    column, other = table.headers.index(idle), table.headers.index(busy)
    assert {row[column] for row in table.rows} == {NO_DEMAND}
    assert all(row[other] != NO_DEMAND for row in table.rows)
    # Unknown (null, runs stored before has_demand) is not read as empty.
    assert not _no_demand(verdicts.with_columns(has_demand=pl.lit(None, pl.Boolean)))


def test_an_empty_accuracy_table_says_why_there_are_no_backtest_scores() -> None:
    """A 21-day fleet's platform page read "No data: no backtest scores." under "Forecast
    accuracy in backtests", and nothing more: every series had been forecast by a fallback
    for want of history. The table says so, quoting the reason most series give."""
    inputs = sample_inputs()
    why = "21 days of history; backtesting needs 23 (14 training + 2 steps of 1 between cutoffs"
    chosen = inputs.chosen.with_columns(fallback=pl.lit(why))
    table = _accuracy_table(inputs.backtest.clear(), chosen)
    series = chosen["unique_id"].n_unique()
    assert table.empty == (
        f"no backtest scores: all {series:,} series forecast by a fallback, chosen by no "
        f"backtest ({why})"
    )
    assert _accuracy_table(inputs.backtest.clear(), inputs.chosen).empty == "no backtest scores"


def test_the_stale_banner_counts_days_as_the_terminal_does() -> None:
    """The Helios demo's pages read "Stale data: the newest telemetry is 2380 days old" under
    a banner saying "2,381 days before it was generated", and the terminal said "telemetry
    2,380 days old": the banner counts with a thousands separator too."""
    page = platform_page(replace(empty_inputs(), stale_days=2380))
    assert "Stale data: the newest telemetry is 2,380 days old." in " ".join(page.split())


def test_a_reports_folder_that_cannot_be_written_is_one_error_saying_what_is_stored(
    tmp_path: Path,
) -> None:
    """A reports folder that cannot be made (PermissionError under /sys, FileNotFoundError
    under /proc, here a file on its path) reached the user as the OS error's trace after the
    trigger run was stored: the publish raises PublishError naming the folder and the OS's
    reason, and the report adds that its trigger run is stored but shown on no page."""
    from forecasting.errors import PublishError
    from forecasting.runs import TriggerRun, unpublished_said
    from forecasting.runs.ids import ForecastRef

    (tmp_path / "afile").touch()
    root = tmp_path / "afile" / "reports"
    with pytest.raises(PublishError) as raised:
        publish_report(sample_inputs(), root=root)
    assert str(raised.value) == (
        f"cannot write the pages to {root} (Not a directory); pass --reports a folder you can "
        "write in"
    )
    ref = ForecastRef(run_id="forecast-1", as_of=date(2026, 11, 22))
    with pytest.raises(PublishError) as said, unpublished_said(TriggerRun("triggers-1", ref)):
        publish_report(sample_inputs(), root=root)
    assert str(said.value).endswith(
        "; the trigger run triggers-1 is stored (`fleetcast status` lists it) but no page shows "
        "it: run `fleetcast report` again once the folder is writable"
    )


def test_every_drill_kpi_the_kernel_reports_reads_in_words_on_the_platform_page() -> None:
    """The platform page's KPI rows printed the kernel's names ("dark demand gpu hours",
    "failed over gpu hours", "late work gpu hours"): every class KPI the kernel reports has
    a label a reader would use."""
    from forecasting.drills.kernel import CLASS_METRICS
    from forecasting.report.pages.platform import _KPI_LABELS

    unlabelled = [kpi for kpi in CLASS_METRICS if kpi not in _KPI_LABELS]
    assert not unlabelled
    assert not any("gpu hours" in label or "_" in label for label in _KPI_LABELS.values())


def test_a_plan_with_nothing_to_order_says_so_plainly_on_the_finance_page() -> None:
    """Far more capacity than demand (the sweep's s75 plan with 20x the GPUs): every pool
    green through the plan's end and no order anywhere. The finance page read "No data: no
    order-by dates", "No data: no blocks to order" and "no later orders: the orders due now
    cover the plan", as if data were missing or orders due. It says nothing is to be ordered,
    at which quantile and to when, as the answer it is (not after "No data:"); a run with a
    red pool keeps the old empty-table texts."""
    inputs = _measured(sample_inputs())
    green = inputs.triggers.with_columns(
        status=pl.lit("green"),
        exhaustion_date=pl.lit(None, dtype=pl.Date),
        order_by=pl.lit(None, dtype=pl.Date),
        arrives=pl.lit(None, dtype=pl.Date),
        blocks_to_order=pl.lit(0, dtype=pl.Int64),
        capex_usd=pl.lit(0.0),
        mw=pl.lit(0.0),
        note=pl.lit("q90 requirement stays within capacity through 2030-01-31"),
    )
    calm = replace(inputs, triggers=green, placements=inputs.placements.clear())
    page = finance_page(calm)
    end = calm.forecast_months["ds"].max()
    reach = f"{end:%b %Y}" if isinstance(end, date) else str(calm.forecast["ds"].max())
    said = html_text(
        "Nothing to order: every pool's q90 requirement stays within the capacity already "
        f"planned to {reach}, the plan's end."
    )
    assert page.count(said) == 3
    assert "No data: nothing" not in page and "no order-by dates" not in page
    assert "the orders due now cover the plan" not in page
    assert said not in finance_page(inputs)
    # A green the forecast ends too soon to verify is no "nothing to order", whatever its
    # note's words: the field says so.
    unverified = green.with_columns(unverified_green=pl.lit(True))
    assert said not in finance_page(replace(calm, triggers=unverified))


def _measured(inputs: ReportInputs) -> ReportInputs:
    """``inputs`` with its daily forecast cut to 26 days, within the 27 its backtests measured, so a
    green reads plain (a green past them reads "green to ... only", test_headline_reach)."""
    cut = inputs.as_of + timedelta(days=26)
    return replace(inputs, forecast=inputs.forecast.filter(pl.col("ds") <= cut))


def _sited(inputs: ReportInputs) -> ReportInputs:
    """``inputs`` on a plan with a [[site]], so its power counts as checked."""
    from forecasting.capacity import Site

    site = Site(id="west-a", region="eu-west", power_lead_months=24, cost_per_mw_usd=11e6)
    return replace(inputs, plan=inputs.plan.model_copy(update={"site": (site,)}))


def test_a_plan_without_sites_says_its_power_is_not_checked_beside_the_worst_status() -> None:
    """The front and finance cards read "green: worst trigger status, blocks and power" for a
    plan with no [[site]] (the sweep's s75 plan with its sites removed), while no power was
    checked at all: the headline says so. A plan with sites reads its status alone."""
    inputs = _measured(sample_inputs())
    green = inputs.triggers.with_columns(status=pl.lit("green"), note=pl.lit("stays within"))
    calm = replace(inputs, triggers=green, power_triggers=inputs.power_triggers.clear())
    said = "green; power not checked: no [[site]] in the plan"
    assert status_headline(calm) == said
    for page in (run_index_page, finance_page):
        assert html_text(said) in page(calm), page.__name__
    assert status_headline(_sited(calm)) == "green"


def test_every_page_says_which_regions_of_the_plan_have_no_telemetry() -> None:
    """A plan region with blocks and no demand in the telemetry (the sweep's us-east-only
    fleet on a three-region plan: eu-west and us-west) was judged by no trigger and read in no
    table, unsaid: every page carries a banner naming it, and says it is not judged. A run
    whose telemetry covers every planned region has none."""
    from forecasting.capacity import Block

    inputs = sample_inputs()
    block = Block.model_validate(
        {
            "id": "ap-rack-1",
            "kind": "rack",
            "region": "ap-south",
            "site": "ap-a",
            "gpu_type": "H100",
            "gpus": 256,
            "mw": 0.4,
            "status": "live",
        }
    )
    plan = inputs.plan.model_copy(update={"block": (*inputs.plan.block, block)})
    dark = replace(inputs, plan=plan)
    banner = html_text(
        "No telemetry for ap-south: the capacity plan has blocks there, the telemetry no "
        "demand, so no trigger or order is judged there (not green: not judged)."
    )
    for page in (run_index_page, finance_page, facilities_page, platform_page):
        assert banner in page(dark), page.__name__
        assert "No telemetry for" not in page(inputs), page.__name__


def test_a_run_without_drills_does_not_say_the_plan_has_no_response_ladder() -> None:
    """With no drill played, the platform page says so instead of judging the plan's ladder."""
    from forecasting.report.pages.platform import platform_page

    plan = CapacityPlan.model_validate(
        {"policy": _policies(), "response": {"spares": {"activation_hours": 6, "gpus": 512}}}
    )
    page = " ".join(platform_page(replace(empty_inputs(), plan=plan)).split())
    assert "the plan has no response ladder" not in page
    assert "no response ladder in this run" not in page
    assert "no drill played on this forecast run" in page


def test_the_idle_table_says_what_its_share_measures_and_when_it_stands_for_no_demand() -> None:
    """The idle table read "idle GPUs (P10 demand) 1,024, idle share 100.0%" with no word of
    what the share is of, over what, or why it can be whole; and a block whose pool has no
    demand at P10 read the same 100 % as one whose older blocks cover the demand. The section
    says what the share measures, and a share that stands for no demand says so in its cell
    and on the card."""
    from forecasting.triggers.idle import NO_LOW_DEMAND

    inputs = sample_inputs()
    shown = finance_page(inputs)
    assert (
        html_text(
            "Idle share: the part of the block's GPUs that the pool's P10 requirement leaves unused"
        )
        in shown
    )
    assert html_text("100 % means the capacity in service before it covers even P10") in shown
    empty = _pod_idle_for_no_low_demand(inputs.idle_risk, NO_LOW_DEMAND)
    shown = finance_page(replace(inputs, idle_risk=empty))
    assert html_text("100.0% (no P10 demand in its pool)") in shown
    assert shown.count("no P10 demand in its pool") == 1 + 1  # the pod's cell and the card
    assert html_text("1 block wholly idle for no P10 demand in its pool") in shown


def _pod_idle_for_no_low_demand(idle_risk: pl.DataFrame, words: str) -> pl.DataFrame:
    """``idle_risk`` with every block wholly idle, the pod flagged (and its note saying
    ``words``) for no demand at the low quantile in its pool."""
    return idle_risk.with_columns(
        idle_gpus=pl.col("gpus").cast(pl.Float64),
        idle_share=pl.lit(1.0),
        note=pl.when(pl.col("kind") == "pod")
        .then(pl.lit(f"judged in pool all; {words} in pool all on any of the 91 days"))
        .otherwise(pl.lit("judged in pool all")),
        no_low_demand=pl.col("kind") == "pod",
    )


def test_the_idle_table_reads_no_low_demand_from_its_flag_not_from_the_words_of_its_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The finance page matched "no demand at the low quantile" in an idle note: a block stored
    with those words read "100.0% (no P10 demand in its pool)" and a card "$25.0M on 1 block
    wholly idle for no P10 demand in its pool" only while the triggers kept the phrase, and a
    rewording read it as a lull measured. The page reads the row's ``no_low_demand`` flag."""
    from forecasting.triggers import idle

    inputs = sample_inputs()
    stored = _pod_idle_for_no_low_demand(inputs.idle_risk, idle.NO_LOW_DEMAND)
    monkeypatch.setattr(idle, "NO_LOW_DEMAND", "no P10 requirement at all")
    shown = finance_page(replace(inputs, idle_risk=stored))
    assert html_text("100.0% (no P10 demand in its pool)") in shown
    assert html_text("$25.0M on 1 block wholly idle for no P10 demand in its pool") in shown
    quoted = stored.with_columns(no_low_demand=pl.lit(False))
    assert "no P10 demand in its pool" not in finance_page(replace(inputs, idle_risk=quoted))


def test_the_idle_card_is_not_verified_where_it_judges_days_no_backtest_measured() -> None:
    """A 45-day fleet whose backtests scored 7 days ahead read "capex at idle risk ...
    $329.8M" with no mark, every block judged on extrapolated days, while the headline beside
    it read "not verified beyond". The sample's backtests scored 27 days (to 2026-12-19):
    west-pod-2, judged from 2027-01-06, makes the card not verified past that day; windows
    that end by it keep the label unmarked."""
    inputs = sample_inputs()
    said = html_text(
        "; not verified past 2026-12-19: no backtest measured the forecast's error there"
    )
    assert said in finance_page(inputs)
    # The table says which rows: 1 of the 2 judged, the other live before it all.
    rows = html_text(
        "Not verified: 1 of the 2 blocks judged is judged on days past 2026-12-19, where no "
        "backtest measured the forecast's error."
    )
    assert rows in finance_page(inputs)
    # The terminal's line counts them too, after the figure: it read as if all were unverified.
    from forecasting.report.pages.finance import idle_risk_line

    assert (
        "; 1 of the 2 blocks judged on days past 2026-12-19, where no backtest measured the "
        "forecast's error: not verified there)"
    ) in idle_risk_line(inputs)
    early = inputs.idle_risk.with_columns(in_service=pl.lit(date(2026, 9, 1)))
    assert said not in finance_page(replace(inputs, idle_risk=early))
    assert "Not verified:" not in finance_page(replace(inputs, idle_risk=early))
    # Unjudged blocks (no idle figure) are not what the card counts.
    unjudged = inputs.idle_risk.with_columns(idle_gpus=pl.lit(None, pl.Float64))
    assert said not in finance_page(replace(inputs, idle_risk=unjudged))
    # A daily-only run (no monthly rows, so no band past the daily days) is marked all the same.
    daily_only = replace(inputs, forecast_months=inputs.forecast_months.clear())
    assert said in finance_page(daily_only)


def test_the_facilities_page_names_a_site_whose_power_steps_down() -> None:
    """A site energized at 12 MW, then 4 MW from 2027-09-01 (a lease ending), read on the
    facilities page only as a chart line that drops, and not at all where its blocks still
    fit: the page says the power given back, when, and what its blocks draw that day."""
    from forecasting.capacity import PowerStep, Site

    inputs = sample_inputs()
    site = Site(
        id="west-a",
        region="eu-west",
        energized=(
            PowerStep(on=date(2024, 1, 1), mw=12.0),
            PowerStep(on=date(2027, 9, 1), mw=4.0),
        ),
        power_lead_months=24,
        cost_per_mw_usd=11e6,
    )
    plan = inputs.plan.model_copy(update={"site": (site,)})
    shown = facilities_page(replace(inputs, plan=plan))
    assert (
        html_text(
            "west-a steps down from 12.0 MW to 4.0 MW energized on 2027-09-01: power given back"
        )
        in shown
    )
    assert "steps down" not in facilities_page(_sited(inputs))


def test_the_book_concentration_says_it_stops_where_the_sample_paths_do() -> None:
    """The demo's 'Concentration with the book' ran to 2027-06 beside a book table to
    2030-01, its last month measured on the 4 days to 2027-06-04, with no word of why it
    stops or that its last month is partial: the intro says both."""
    inputs = sample_inputs()
    months = [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]
    rows = [
        {"book": book, "region": "total", "workload_class": ALL_CLASSES, "month": m,
         "top1_share": 0.3, "top5_share": 0.6, "hhi": 1100.0}
        for book in ("without", "with")
        for m in months
    ]  # fmt: skip
    frame = pl.DataFrame(rows, schema=inputs.book_concentration.schema)
    said = html_text(
        "Over the daily rows only, to 2027-02-19: the sample paths stop there, so later months "
        "have no figure, and 2027-02 counts its days to 2027-02-19 only."
    )
    assert said in finance_page(replace(inputs, book_concentration=frame))
    assert said not in finance_page(inputs)


def test_the_largest_shortfall_says_to_which_day_it_is_read() -> None:
    """The orders table's 'largest shortfall' (220,681 H100-equivalents on the demo) is the
    most short on any day to the end of the plan, a day the page never gave: read beside an
    exhaustion date, it looked like the shortfall on that day. The intro dates the plan's end."""
    said = html_text("on any day to the end of the plan (2027-02-19)")
    assert said in finance_page(sample_inputs())


def test_an_order_wholly_past_its_site_s_ceiling_reads_its_capex_not_zero() -> None:
    """The demo's 8 pods, all past eu-west-a's ceiling, read capex "$0 (+ $327.7M: a new site
    is needed)": $0 read as free, and the $327.7M (the pods' own price) as the new site's.
    The cell now gives the blocks' capex and says it is theirs and not in the totals."""
    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=600e6).with_columns(
        site=pl.lit("us-east-b"),
        powered=pl.lit(False),
        blocks_beyond_ceiling=pl.when(pl.col("tranche") == 1).then(pl.col("blocks")).otherwise(1),
        runs_from=pl.lit(None, pl.Date),
    )
    page = html.unescape(finance_page(replace(inputs, placements=planned)))
    first = planned.filter(pl.col("tranche") == 1).row(0, named=True)
    blocks = first["blocks"]
    assert "$0 (+" not in page
    assert blocks == 2
    assert (
        f"{fmt_usd(first['capex_usd'])} for both blocks past their site's ceiling: a new site "
        "is needed (none in the plan's totals)"
    ) in page
    # The later order, 1 of its 3 cells past the ceiling.
    assert (
        f"{fmt_usd(400e6)} (+ {fmt_usd(200e6)} for 1 block past its site's ceiling: a new "
        "site is needed, not in the plan's totals)"
    ) in page


def test_capex_past_a_ceiling_is_worded_by_how_many_blocks_lie_past_it() -> None:
    """Blocks wholly past their site's ceiling read "one block", "both blocks" or "all 8
    blocks", and one block has "its" site: "for all 2 blocks" read oddly beside a 2-block
    order, and "for all 1 blocks" would be wrong."""
    tail = ": a new site is needed (none in the plan's totals)"
    assert capex_past_ceiling(0.0, 8e6, beyond=1) == (
        f"{fmt_usd(8e6)} for one block past its site's ceiling{tail}"
    )
    assert capex_past_ceiling(0.0, 16e6, beyond=2) == (
        f"{fmt_usd(16e6)} for both blocks past their site's ceiling{tail}"
    )
    assert capex_past_ceiling(0.0, 64e6, beyond=8) == (
        f"{fmt_usd(64e6)} for all 8 blocks past their site's ceiling{tail}"
    )
    assert capex_past_ceiling(400e6, 200e6, beyond=1) == (
        f"{fmt_usd(400e6)} (+ {fmt_usd(200e6)} for 1 block past its site's ceiling: a new site "
        "is needed, not in the plan's totals)"
    )


def test_the_capital_chart_names_the_capex_past_a_ceiling_that_its_bars_leave_out() -> None:
    """The demo's capital by quarter read "2026 Q4 needs the most capital, $3,716.1M of
    $6,217.0M" while $21,959.4M more of blocks past their site's ceiling fell due in that
    quarter, on no bar and in no word. The takeaway now gives that capex, with no quarter:
    blocks past a ceiling wait for a new site, whatever the order-by of those that fit."""
    from forecasting.report.figures import capital_chart

    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=600e6).with_columns(
        blocks_beyond_ceiling=pl.when(pl.col("tranche") == 2).then(2).otherwise(0)
    )
    chart = capital_chart(inputs.triggers, as_of=inputs.as_of, placements=planned)
    assert chart is not None
    assert (
        f"Not in the bars: {fmt_usd(400e6)} for 2 blocks past their site's ceiling (a new site "
        "is needed), with no order-by until one is planned."
    ) in chart.takeaway
    total = float(planned["capex_usd"].sum()) - 400e6
    assert f"of {fmt_usd(total)} over" in chart.takeaway
    one = capital_chart(
        inputs.triggers,
        as_of=inputs.as_of,
        placements=planned.with_columns(
            blocks_beyond_ceiling=pl.col("blocks_beyond_ceiling").clip(upper_bound=1)
        ),
    )
    assert one is not None
    assert "for 1 block past its site's ceiling (a new site is needed)" in one.takeaway


def test_a_later_order_no_site_can_power_reads_a_new_site_not_an_order_by_date() -> None:
    """The demo's later orders table read "2028-01-13 (monthly grain)" for 1 x cell-gb200-8192
    wholly past us-east-c's ceiling, and the capital chart put it in "2028 Q1" by that date:
    blocks that never run on this plan, dated from the shortfall they would cover. The
    triggers now store no order-by for them: the row says a new site is needed first, after
    the dated rows, and the chart's takeaway gives their capex with no quarter (not in the
    run's own quarter, where a missing date would put it)."""
    from forecasting.report.figures import capital_chart
    from forecasting.report.pages.finance import _later_orders_table
    from forecasting.triggers.common import NO_ORDER_BY

    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=600e6)
    dated = planned.filter(pl.col("tranche") == 2).with_columns(
        tranche=pl.lit(3, pl.Int64), candidate=pl.lit("cell-dated")
    )
    past = pl.concat([planned, dated]).with_columns(
        blocks_beyond_ceiling=pl.when(pl.col("tranche") == 2).then(3).otherwise(0),
        order_by=pl.when(pl.col("tranche") == 2).then(None).otherwise(pl.col("order_by")),
    )
    table = _later_orders_table(past, daily_end=daily_end(inputs))
    assert [str(r[6]) for r in table.rows] == ["3 × cell-dated", "3 × cell-later"]
    assert str(table.rows[1][3]) == f"none: {NO_ORDER_BY}"
    chart = capital_chart(inputs.triggers, as_of=inputs.as_of, placements=past)
    assert chart is not None
    assert (
        f"Not in the bars: {fmt_usd(600e6)} for 3 blocks past their site's ceiling (a new site "
        "is needed), with no order-by until one is planned."
    ) in chart.takeaway
    # A trigger's own order wholly past the ceiling reads so in the orders table too.
    from forecasting.report.pages.finance import _orders_table

    first = (
        inputs.triggers.filter(pl.col("blocks_to_order") > 0).sort("order_by").row(0, named=True)
    )
    this = (pl.col("region") == first["region"]) & (pl.col("pool") == first["pool"])
    own = with_power(inputs.triggers, None).with_columns(
        order_by=pl.when(this).then(None).otherwise(pl.col("order_by")),
        blocks_beyond_ceiling=pl.when(this).then(pl.col("blocks_to_order")).otherwise(0),
    )
    table = _orders_table(own, daily_end=None, unit="GPUs")
    cells = [str(r[3]) for r in table.rows if r[0] == first["region"] and r[1] == first["pool"]]
    assert cells == [f"none: {NO_ORDER_BY}"]


def test_the_capital_chart_says_which_orders_wait_on_their_site_s_power() -> None:
    """Orders whose blocks wait for their site's power are dated to land with it, in a later
    quarter than their shortfall's date: the capital by quarter said nothing of why, and
    read as the plan's own timing. The takeaway names them, their capex and the latest
    power date, and sends the reader to the power triggers, which carry the urgency."""
    from forecasting.report.figures import capital_chart

    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=600e6)
    plain = capital_chart(inputs.triggers, as_of=inputs.as_of, placements=planned)
    assert plain is not None and "power" not in plain.takeaway
    later = planned.filter(pl.col("tranche") == 2).row(0, named=True)
    runs = later["arrives"] + timedelta(days=28)
    waiting = planned.with_columns(
        powered=pl.col("tranche") != 2,
        runs_from=pl.when(pl.col("tranche") == 2).then(pl.lit(runs)).otherwise(pl.col("arrives")),
    )
    chart = capital_chart(inputs.triggers, as_of=inputs.as_of, placements=waiting)
    assert chart is not None
    assert chart.takeaway.endswith(
        f" Waiting on power: 1 order ({fmt_usd(600e6)}), dated to land when its site's power "
        f"does (runs from {runs} at the latest), not to stand dark: the sites' power triggers "
        "carry the urgency (facilities page)."
    )
    # Split across two sites it is one order, a row per site (it read "2 orders").
    share = waiting.filter(pl.col("tranche") == 2).with_columns(site=pl.lit("other-site"))
    split = capital_chart(
        inputs.triggers, as_of=inputs.as_of, placements=pl.concat([waiting, share])
    )
    assert split is not None
    assert f" Waiting on power: 1 order ({fmt_usd(1200e6)}), dated" in split.takeaway


def test_triggers_csv_totals_capex_as_orders_csv_and_the_pages_do(tmp_path: Path) -> None:
    """The demo's triggers.csv summed to $7,161.6M of capex, a figure on no page: its
    capex_usd held eu-west's 243 racks past eu-west-a's ceiling ($2,052.9M) that orders.csv's
    capex_usd and every card leave apart, with no column to tell them. Now both CSVs count
    the placeable blocks in capex_usd and give the rest in capex_new_site_usd."""
    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=600e6).with_columns(
        blocks_beyond_ceiling=pl.when(pl.col("tranche") == 1)
        .then(pl.col("blocks") // 2)
        .otherwise(0)
    )
    folder = publish_report(replace(inputs, placements=planned), root=tmp_path)
    triggers = pl.read_csv(folder / "triggers.csv")
    first = pl.read_csv(folder / "orders.csv").filter(pl.col("tranche") == 1)
    assert first["capex_new_site_usd"].sum() > 0
    for column in ("capex_usd", "capex_new_site_usd", "blocks_beyond_ceiling"):
        assert triggers[column].sum() == pytest.approx(first[column].sum()), column
    listed = json.loads((folder / "triggers.json").read_text())
    assert sum(r["capex_new_site_usd"] or 0 for r in listed) == pytest.approx(
        first["capex_new_site_usd"].sum()
    )


def test_triggers_csv_holds_one_row_per_trigger_whose_order_is_split(tmp_path: Path) -> None:
    """An order split across sites or by power is one placement row per share: triggers.csv
    joined them all and held a trigger once per share, each row with the whole order's capex
    (a 52-week fleet's us-west/all 4 times, $422.4M each) and one share's new-site capex. It
    now holds each trigger once, its blocks past a ceiling and their capex summed."""
    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=600e6)
    first = planned.filter(pl.col("tranche") == 1)
    halves = pl.concat(
        [
            first.with_columns(
                blocks=pl.col("blocks") // 2,
                capex_usd=pl.col("capex_usd") / 2,
                blocks_beyond_ceiling=pl.lit(1, pl.Int64),
            ),
            first.with_columns(
                blocks=pl.col("blocks") - pl.col("blocks") // 2,
                capex_usd=pl.col("capex_usd") / 2,
                blocks_beyond_ceiling=pl.lit(0, pl.Int64),
                site=pl.lit("other-site"),
            ),
            planned.filter(pl.col("tranche") == 2),
        ]
    )
    folder = publish_report(replace(inputs, placements=halves), root=tmp_path)
    triggers = pl.read_csv(folder / "triggers.csv")
    assert triggers.height == inputs.triggers.height
    shares = pl.read_csv(folder / "orders.csv").filter(pl.col("tranche") == 1)
    assert shares.height == 2 * first.height
    for column in ("capex_usd", "capex_new_site_usd", "blocks_beyond_ceiling"):
        assert triggers[column].sum() == pytest.approx(shares[column].sum()), column


def test_facilities_say_how_much_of_the_power_needed_no_site_can_hold() -> None:
    """The demo's facilities cards read "1,977.7 MW needed by Nov 2029" and "324.4 MW power
    in orders to place" where 1,558 MW and 112.7 MW of them lie past their sites' ceilings,
    which no contract brings on; and eu-west-a's cost read $803.0M beside "73.0 MW (+ 1,483.2
    MW beyond the ceiling)", pricing the 73.0 MW alone unsaid. Each now says so."""
    from forecasting.capacity import Site
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    inputs = sample_inputs()
    site = Site(
        id="us-east-a", region="us-east", energized=({"on": date(2024, 1, 1), "mw": 4.0},),
        ceiling_mw=5.0, power_lead_months=24, cost_per_mw_usd=11e6,
    )  # fmt: skip
    planned = _planned(inputs, later_capex=600e6).with_columns(
        blocks_beyond_ceiling=pl.when(
            (pl.col("tranche") == 1) & (pl.col("pool") == "all") & (pl.col("region") == "us-east")
        )
        .then(1)
        .otherwise(0)
    )
    power = pl.DataFrame(
        [
            {
                "region": "us-east",
                "site": "us-east-a",
                "status": "red",
                "contract_by": date(2025, 1, 5),
                "mw_to_contract": 1.0,
                "mw_beyond_ceiling": 2.1,
                "power_lead_months": 24,
                "cost_usd": 11e6,
            }
        ]
    ).cast({"contract_by": pl.Date})
    power = pl.concat([POWER_TRIGGERS_SCHEMA.to_frame(), power], how="diagonal_relaxed")
    plan = inputs.plan.model_copy(update={"site": (site,)})
    page = html.unescape(
        facilities_page(replace(inputs, plan=plan, placements=planned, power_triggers=power))
    )
    peak = inputs.mw_by_site_month.filter(pl.col("month") == date(2027, 2, 1))
    past = float(peak.filter(pl.col("site") == "us-east-a")["mw_needed"].sum()) - 5.0
    assert (
        f"{fmt_mw(float(peak['mw_needed'].sum()))} ({fmt_mw(past)} of it past their sites' "
        "ceilings: a new site is needed)"
    ) in page
    # The orders to place: every order whose order-by has come, the later one too.
    due = planned.filter(pl.col("order_by") <= inputs.as_of)
    rack = inputs.triggers.filter(pl.col("pool") == "all", pl.col("region") == "us-east")
    assert (
        f"{fmt_mw(float(due['mw'].sum()))} in the orders due by "
        f"{fmt_date(inputs.as_of)}, as the capital to place (finance page) "
        f"({fmt_mw(rack['mw'][0] / 2)} of it past their sites' ceilings: a new site is needed)"
    ) in page
    assert f"{fmt_usd(11e6)} for 1.0 MW (the 2.1 MW beyond the ceiling: not priced)" in page


def test_finance_names_the_power_to_contract_that_its_capital_leaves_out() -> None:
    """The demo's finance page gave $4,781.1M of capital for the orders and never the power
    the facilities page prices ($1,866.3M for 169.7 MW at 7 sites, at $11M a MW), nor that
    its capital holds none of it. A card now gives that cost, what it does not price, and
    that the capital cards leave it out."""
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    rows = [
        {"region": "us-east", "site": "us-east-a", "status": "red", "mw_to_contract": 42.5,
         "mw_beyond_ceiling": 0.0, "power_lead_months": 24, "cost_usd": 467.5e6},
        {"region": "eu-west", "site": "eu-west-a", "status": "red", "mw_to_contract": 73.0,
         "mw_beyond_ceiling": 1483.2, "power_lead_months": 24, "cost_usd": 803e6},
        {"region": "eu-west", "site": "eu-west-b", "status": "green", "mw_to_contract": 0.0,
         "mw_beyond_ceiling": None, "power_lead_months": 24, "cost_usd": 0.0},
    ]  # fmt: skip
    power = pl.concat(
        [POWER_TRIGGERS_SCHEMA.to_frame(), pl.DataFrame(rows)], how="diagonal_relaxed"
    )
    page = html.unescape(finance_page(replace(sample_inputs(), power_triggers=power)))
    assert (
        f"{fmt_usd(1270.5e6)} for 115.5 MW at 2 sites (+ 1,483.2 MW beyond their ceilings: "
        "not priced)"
    ) in page
    assert "power to contract (facilities page), not in the capital above" in page


def test_the_orders_chart_prices_blocks_past_a_ceiling_as_the_tables_do() -> None:
    """The demo's orders chart hovered eu-west all's 527 racks at $4,452.1M, the pods past
    the ceiling in, while its later orders hovered their placeable capex alone ("$0" for 47
    cells all past the ceiling) and the tables beside them read $2,399.2M: each point now
    reads as the tables do."""
    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=600e6).with_columns(
        blocks_beyond_ceiling=pl.when(pl.col("tranche") == 2)
        .then(3)
        .when((pl.col("region") == "us-east") & (pl.col("pool") == "all"))
        .then(1)
        .otherwise(0)
    )
    chart = orders_chart(inputs.triggers, as_of=inputs.as_of, placements=planned)
    assert chart is not None
    hovers = {
        text
        for trace in chart.figure.data
        if trace.customdata is not None
        for _, text in trace.customdata
    }
    rack = inputs.triggers.filter(pl.col("pool") == "all", pl.col("region") == "us-east")
    half = float(rack["capex_usd"][0]) / 2
    assert plot_text(capex_past_ceiling(half, half, beyond=1)) in hovers
    assert plot_text(capex_past_ceiling(0.0, 600e6, beyond=3)) in hovers
    assert plot_text(fmt_usd(0.0)) not in hovers


def test_revenue_at_risk_of_a_failing_drill_cut_short_by_the_horizon_is_not_figures() -> None:
    """Finance read "class-training-2x-spike-400d | 2026-12-05, 182 d | $9.1M | $165.9M |
    +$156.8M" for a 400-day spike a 182-day forecast played 4,368 h of (the plan failed
    unshocked, so the verdict was no "not verified"), against its legend: a drill whose shock
    the horizon cut short (its stored horizon_days_needed) reads not verified, with why."""
    inputs = sample_inputs()
    failing = inputs.drill_answers.filter(~pl.col("passed"))["drill"][0]
    answers = inputs.drill_answers.with_columns(
        horizon_days_needed=pl.when(pl.col("drill") == failing).then(pl.lit(491, pl.Int32))
    )
    table = _revenue_table(inputs.drill_kpis, inputs.drill_kpi_changes, answers)
    rows = [r for r in table.rows if r[0] == failing]
    (row,) = rows
    assert row[2] == "all classes"
    why = row[3]
    assert isinstance(why, Stacked) and why.main == Badge("not verified")
    assert "cut short by the horizon" in why.small and "`--horizon 491`" in why.small
    assert "182 days" in why.small
    assert all(cell == "–" for cell in row[4:])
    # The drills the horizon played whole keep their figures.
    others = [r for r in table.rows if r[0] != failing]
    assert others and all(str(r[4]).startswith("$") for r in others)
    page = finance_page(replace(inputs, drill_answers=answers))
    assert "`--horizon 491`" in html.unescape(page)


def test_platform_baseline_revenue_of_a_failing_drill_cut_short_is_not_figures() -> None:
    """Finance read "not verified" for the revenue at risk of a failing 400-day spike the
    182-day horizon cut short, while the platform page's "Baseline against shock" table still
    read "$9.1M | $165.9M | +$156.8M" for it. Its revenue cells now say not verified, with the
    horizon that plays it whole; the other KPIs and the other drills keep their figures."""
    inputs = sample_inputs()
    failing = inputs.drill_answers.filter(~pl.col("passed"))["drill"][0]
    answers = inputs.drill_answers.with_columns(
        horizon_days_needed=pl.when(pl.col("drill") == failing).then(pl.lit(491, pl.Int32))
    )
    page = _visible(platform_page(replace(inputs, drill_answers=answers)))
    section = page.split("Baseline against shock", 1)[1].split("Response ladder", 1)[0]
    drills = {d.split(" ", 1)[0]: d for d in section.split("Drill ")[1:]}
    cut = drills[failing].split("revenue at risk ", 1)[1].split(" SLO attainment", 1)[0]
    assert cut.startswith("not verified cut short by the horizon")
    assert cut.endswith("(forecast at least 491 days ahead, `--horizon 491`, to play it whole) – –")
    assert "$" not in cut
    assert "unmet demand 2,080 GPU-h" in drills[failing]  # its other KPIs keep their figures
    others = [d for name, d in drills.items() if name != failing]
    assert others and all("revenue at risk $" in d for d in others)
    assert "revenue at risk $" in _visible(platform_page(inputs))


@pytest.mark.parametrize(
    ("baseline", "shocked", "cells"),
    [
        # The 45-day fleet's experimentation class: $2.6 -> $3.4 read "$3 | $3 | +$1".
        (2.6, 3.4, ("$3", "$3", "under +$1")),
        # Its training ramp, fleet-wide: "$9.1M | $72.9M | +$63.7M".
        (9_132_502.0, 72_866_739.0, ("$9.1M", "$72.9M", "+$63.8M")),
        (591_000.0, 905_400.0, ("$591k", "$905k", "+$314k")),
        (3_163_000.0, 3_913_000.0, ("$3.2M", "$3.9M", "+$700k")),
    ],
)
def test_revenue_at_risk_increment_agrees_with_its_two_cells_as_printed(
    baseline: float, shocked: float, cells: tuple[str, str, str]
) -> None:
    """Finance read "experimentation | $3 | $3 | +$1" and "$9.1M | $72.9M | +$63.7M": the
    increment is the difference of the two cells as printed, and one too small to show at
    their rounding says it is under it rather than "$0"."""
    inputs = sample_inputs()
    revenue = pl.col("kpi") == "revenue_at_risk_usd"
    kpis = inputs.drill_kpis.with_columns(mean=pl.when(revenue).then(shocked).otherwise("mean"))
    changes = inputs.drill_kpi_changes.with_columns(
        baseline_mean=pl.when(revenue).then(baseline).otherwise("baseline_mean"),
        increment_mean=pl.when(revenue).then(shocked - baseline).otherwise("increment_mean"),
    )
    table = _revenue_table(kpis, changes, inputs.drill_answers)
    assert table.rows
    assert {tuple(str(c) for c in r[3:6]) for r in table.rows} == {cells}


def _card_whole(page: str, label: str = "capital in orders to place") -> str:
    """A card's figure as the page holds it, whole (``page`` unescaped or not): a folded
    figure's body, whose first sentence is the disclosure's summary (pages.common.Folded)."""
    before = html.unescape(page).split(f'</div><div class="label">{label}')[0]
    if before.endswith("</details>"):
        return before.removesuffix("</details>").split("</summary>")[-1]
    return before.split(">")[-1]


def _visible(page: str) -> str:
    """A page's text as a reader sees it: tags dropped, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _power_sites(*rows: tuple[str, str, str]) -> pl.DataFrame:
    """Power triggers of (site, region, status), with nothing to contract."""
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    frame = pl.DataFrame([{"site": s, "region": r, "status": st} for s, r, st in rows])
    return pl.concat([POWER_TRIGGERS_SCHEMA.to_frame(), frame], how="diagonal_relaxed")


def _east_unsized(inputs: ReportInputs) -> ReportInputs:
    """``inputs`` with us-east's two orders not sized (the forecast ends before they land),
    its two sites and eu-west's one green on power."""
    east = pl.col("region") == "us-east"
    unsized = inputs.triggers.with_columns(
        [
            pl.when(east).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("blocks_to_order", "capex_usd", "mw")
        ]
    )
    power = _power_sites(
        ("us-east-a", "us-east", "green"), ("us-east-b", "us-east", "green"),
        ("west-a", "eu-west", "green"),
    )  # fmt: skip
    return replace(inputs, triggers=unsized, power_triggers=power)


def test_power_is_said_not_checked_for_orders_not_sized() -> None:
    """A 45-day fleet at 14 days had three red pools whose orders were "not sized" (the
    forecast ends before they land): the front page read "0 red, 0 amber, 7 green" for power,
    and the facilities page "0.0 MW power in orders to place", "none within the horizon",
    every site green and "no blocks to order", never "not sized". The sites of a region with
    an order not sized read "not checked" (not green) for those orders; the MW card, the
    contract card and both order tables say the orders are not sized and their MW not
    measured. With no order due sized, the MW card says none was ("0.0 MW" beside the
    orders not sized read as a measured zero, as "$0 in 0 orders" did on the capital card)."""
    from forecasting.report.inputs import greens_qualified

    shown = _east_unsized(_sited(sample_inputs()))
    unchecked = (
        f"0 red, 0 amber, 1 green{greens_qualified(shown)}; 2 not checked (not green: 2 orders "
        "not sized in us-east, the forecast ends before they land: their MW not measured)"
    )
    assert unchecked in _visible(run_index_page(shown))
    page = _visible(facilities_page(shown))
    # The sized order (eu-west's 0.4 MW) is due after the as-of day: not to place; nor is
    # us-east's training order (36 days after it): of the two not sized, one is due.
    assert (
        "none sized: 1 order not sized (the forecast ends before it lands, its MW not "
        f"measured; see the notes) in the orders due by {fmt_date(shown.as_of)}, as the "
        "capital to place (finance page) power in orders to place"
    ) in page
    assert "0.0 MW in the orders due" not in page
    assert (
        "nothing to contract within the horizon for the orders sized; not checked for 2 orders "
        "not sized (us-east) power to contract"
    ) in page
    assert page.count("us-east not checked for 2 orders not sized in us-east") == 2
    assert "us-east green" not in page
    assert "west-a eu-west green" in page
    # Both tables list the orders, their size and MW not measured.
    assert page.count("pod-h100-1024, not sized") == 4
    sized = replace(shown, triggers=sample_inputs().triggers)
    assert "0 red, 0 amber, 3 green" in _visible(run_index_page(sized))
    assert "not sized" not in _visible(facilities_page(sized))


def test_the_mw_needed_is_said_not_measured_for_orders_not_sized() -> None:
    """ServeGen at 7 days: facilities read "3.1 MW needed by Jan 2025" and "sg-a needs no more
    than the 3.1 MW in service in Jan 2025" while its pool's order was not sized (the 26-week
    run needs +3.8 MW for it): the MW-needed card and each site's sentence in a region with an
    order not sized now say that order's MW is not measured, not a flat "no more"."""
    from forecasting.report.figures import site_power_chart

    shown = _east_unsized(_sited(sample_inputs()))
    page = _visible(facilities_page(shown))
    needed = page.split(" needed by ")[0].rsplit(" in service, ", 1)[1]
    # The card's figure is "not measured", the sized part said as what it is.
    month, value = needed[: len("Jan 2025")], needed[len("Jan 2025 ") :]
    assert value.startswith(
        "not measured (2 orders not sized: the forecast ends before they land; see the notes); "
    ), (month, value[:200])
    assert value.endswith("MW for the blocks in service and the orders sized"), value[-200:]
    month = date(2025, 1, 1)
    power = pl.DataFrame(
        {"site": ["sg-a"], "region": ["servegen"], "month": [month], "mw_in_service": [3.1],
         "mw_new_blocks": [0.0], "mw_needed": [3.1]}
    )  # fmt: skip
    flat = site_power_chart(power, site="sg-a", key="k")
    assert flat is not None and flat.takeaway == (
        "sg-a needs no more than the 3.1 MW in service in Jan 2025."
    )
    chart = site_power_chart(power, site="sg-a", key="k", unsized=1)
    assert chart is not None and chart.takeaway == (
        "What sg-a needs is not measured (1 order not sized in servegen: the forecast ends "
        "before it lands); its blocks in service and the orders sized need no more than the "
        "3.1 MW in service in Jan 2025."
    )


def test_sites_in_regions_without_telemetry_are_not_judged_on_power() -> None:
    """ServeGen telemetry against a three-region plan: the banner said no trigger is judged
    there ("not green: not judged") while the power card read "0 red, 0 amber, 7 green". A
    site in a region without telemetry counts as not judged, on the card and in the table."""
    from forecasting.capacity import Block

    inputs = sample_inputs()
    block = Block.model_validate(
        {"id": "ap-rack-1", "kind": "rack", "region": "ap-south", "site": "ap-a",
         "gpu_type": "H100", "gpus": 256, "mw": 0.4, "status": "live"}
    )  # fmt: skip
    plan = inputs.plan.model_copy(update={"block": (*inputs.plan.block, block)})
    power = _power_sites(("ap-a", "ap-south", "green"), ("west-a", "eu-west", "green"))
    dark = replace(inputs, plan=plan, power_triggers=power)
    from forecasting.report.inputs import greens_qualified

    said = (
        f"0 red, 0 amber, 1 green{greens_qualified(dark)}; 1 not judged: no telemetry in "
        "ap-south (not green: not judged)"
    )
    assert said in _visible(run_index_page(dark))
    page = _visible(facilities_page(dark))
    assert "ap-a ap-south not judged (no telemetry in ap-south)" in page
    assert "west-a eu-west green" in page


def test_the_headline_is_no_plain_green_beside_sites_not_judged_on_power() -> None:
    """ServeGen telemetry against a plan with a site in a region without telemetry: every
    judged pool and site green, and the "worst trigger status, blocks and power" card read a
    plain "green", counting the stored green of a site the power line calls "not judged". The
    headline now says which sites were not judged; without them it stays "green"."""
    from forecasting.capacity import Block, Site
    from forecasting.report.inputs import status_headline

    inputs = _measured(sample_inputs())
    inputs = replace(
        inputs,
        triggers=inputs.triggers.with_columns(
            status=pl.lit("green"), unverified_green=pl.lit(value=False)
        ),
    )
    block = Block.model_validate(
        {"id": "ap-rack-1", "kind": "rack", "region": "ap-south", "site": "ap-a",
         "gpu_type": "H100", "gpus": 256, "mw": 0.4, "status": "live"}
    )  # fmt: skip
    sites = tuple(
        Site(id=name, region=region, power_lead_months=24, cost_per_mw_usd=1e6)
        for name, region in (("west-a", "eu-west"), ("ap-a", "ap-south"))
    )
    plan = inputs.plan.model_copy(update={"block": (*inputs.plan.block, block), "site": sites})
    judged = replace(inputs, plan=plan, power_triggers=_power_sites(("west-a", "eu-west", "green")))
    assert status_headline(judged) == "green"
    power = _power_sites(("ap-a", "ap-south", "green"), ("west-a", "eu-west", "green"))
    dark = replace(inputs, plan=plan, power_triggers=power)
    said = (
        "green; 1 site not judged on power (ap-a): no telemetry in ap-south (not green: not judged)"
    )
    assert status_headline(dark) == said
    for page in (run_index_page, finance_page):
        assert said in _visible(page(dark)), page.__name__
    # Nothing judged at all: no green to read.
    alone = replace(dark, triggers=dark.triggers.clear(), power_triggers=power.head(1))
    assert status_headline(alone).startswith("1 site not judged on power (ap-a)")


def test_blocks_retired_by_the_as_of_date_are_not_said_to_serve_nobody() -> None:
    """Helios: earth-vcXrB-01, retired 2020-04-07, was listed on the platform and facilities
    pages among the blocks that "serve nobody" (dedicated to a VC without telemetry); out of
    service on the as-of day, it serves nobody anyway. Only blocks still in service are
    listed."""
    from forecasting.report.inputs import unserved_blocks_of

    inputs = sample_inputs()
    first = inputs.plan.block[0]
    blocks = (
        first.model_copy(
            update={"dedicated_customer": "ghost", "retire": inputs.as_of, "in_service": None}
        ),
        *inputs.plan.block[1:],
    )
    retired = replace(inputs, plan=inputs.plan.model_copy(update={"block": blocks}))
    assert unserved_blocks_of(retired) == []
    assert "nobody in the forecast" not in _visible(platform_page(retired))
    later = (blocks[0].model_copy(update={"retire": inputs.as_of + timedelta(days=1)}), *blocks[1:])
    serving = replace(inputs, plan=inputs.plan.model_copy(update={"block": later}))
    assert [b.id for b in unserved_blocks_of(serving)] == [first.id]
    assert "nobody in the forecast" in _visible(platform_page(serving))


def test_blocks_dedicated_to_a_customer_without_telemetry_are_said_to_serve_nobody() -> None:
    """`demo --trace helios`: 9 blocks (592 GPUs) dedicated to VCs with no minute telemetry
    serve nobody in the forecast, the triggers and the drills; only `report`'s terminal said
    so, no page did. The platform page says it once, naming the blocks (a case typo too), and
    the facilities page beside its blocks table where one of them is listed there."""
    inputs = sample_inputs()
    dedicated = {"east-pod-1": "ghost", "west-pod-1": "northwind-ai", "west-pod-2": "Northwind-AI"}
    blocks = tuple(
        b.model_copy(update={"dedicated_customer": dedicated.get(b.id)}) for b in inputs.plan.block
    )
    shown = replace(inputs, plan=inputs.plan.model_copy(update={"block": blocks}))
    said = (
        "2 blocks (3,072 GPUs) are dedicated to a customer with no telemetry in their region: "
        "east-pod-1 (ghost, us-east, 2,048 GPUs), west-pod-2 (Northwind-AI, eu-west, 1,024 "
        "GPUs); they serve nobody in the forecast, the triggers and the drills"
    )
    assert _visible(platform_page(shown)).count(said) == 1
    assert said in _visible(facilities_page(shown))
    live_only = replace(
        shown,
        plan=shown.plan.model_copy(
            update={"block": tuple(b for b in blocks if b.id != "west-pod-2")}
        ),
    )
    assert "nobody in the forecast" not in _visible(facilities_page(live_only))
    assert "1 block (2,048 GPUs) is dedicated" in _visible(platform_page(live_only))
    for page in (platform_page, facilities_page):
        assert "nobody in the forecast" not in _visible(page(inputs)), page.__name__


def test_a_revenue_at_risk_that_is_not_a_finite_number_reads_not_measured() -> None:
    """A stored NaN or infinite KPI (a drill file's `multiplier = inf`, refused since) crashed
    the finance page in the increment's rounding ("cannot convert float NaN to integer"); it
    reads "not measured", and a cell of it is never "$infM"."""
    from forecasting.report.format import fmt_usd
    from forecasting.report.pages.finance import _increment_usd

    assert _increment_usd(9.1e6, math.nan, math.nan) == "not measured"
    assert _increment_usd(9.1e6, math.inf, math.inf) == "not measured"
    assert _increment_usd(9.1e6, 72.9e6, 63.8e6) == "+$63.8M"
    assert "inf" not in fmt_usd(math.inf)
    # Such a drill, left out of the figures, reads "not measured" there, not "not played".
    inputs = sample_inputs()
    why = "not measured: played with multiplier inf, its stored figures are not finite numbers"
    refused = pl.DataFrame({"drill": ["inf"], "reason": [why]})
    table = _revenue_table(
        inputs.drill_kpis, inputs.drill_kpi_changes, inputs.drill_answers, not_played=refused
    )
    (row,) = [r for r in table.rows if r[0] == "inf"]
    assert row[3] == Stacked(Badge("not measured"), why)
    # The front page read "none played on this forecast run" beside them.
    alone = replace(inputs, drill_answers=inputs.drill_answers.clear(), drills_not_played=refused)
    front = html.unescape(run_index_page(alone))
    assert "none measured on this forecast run; 1 not measured (inf: see Finance)" in front
    assert "none played" not in front


def test_an_order_by_that_moved_later_on_a_worsened_pool_does_not_read_as_more_time() -> None:
    """us-east/all went green -> red and its order-by moved 425 days later because the order
    now waits on power; "What changed" said "+425 d" under "positive means later, i.e. more
    time". The shift says the status worsened and what the order waits on."""
    inputs = sample_inputs()
    east = (pl.col("region") == "us-east") & (pl.col("pool") == "all")
    previous = inputs.triggers.with_columns(
        status=pl.when(east).then(pl.lit("green")).otherwise("status"),
        order_by=pl.when(east)
        .then(pl.col("order_by") - pl.duration(days=425))
        .otherwise("order_by"),
    )
    now = inputs.triggers.with_columns(
        powered_from=pl.when(east).then(pl.lit(date(2028, 5, 27))).otherwise("powered_from")
    )
    page = html.unescape(finance_page(replace(inputs, triggers=now, previous_triggers=previous)))
    changed = page.split("What changed since the last run")[1]
    assert "i.e. more time" not in changed
    assert "+425 d" in changed
    assert "not more time: status green → red; the order now waits on power (from 2028-05-27)" in (
        changed
    )
    # A later order-by on a pool whose status held is more time, and reads as a plain shift.
    held = previous.with_columns(status=pl.when(east).then(pl.lit("red")).otherwise("status"))
    calm = html.unescape(finance_page(replace(inputs, previous_triggers=held)))
    assert "not more time" not in calm.split("What changed since the last run")[1]


def test_a_better_status_beside_an_order_by_moved_earlier_and_past_reads_no_better() -> None:
    """A 14-day run of the demo beside a 26-week one read "us-east all changed red -> amber"
    (an improvement) while its order-by moved 136 days earlier and now lay 70 days past.
    The shift says the order is late, not that the pool got better."""
    inputs = sample_inputs()
    east = (pl.col("region") == "us-east") & (pl.col("pool") == "all")
    late = inputs.as_of - timedelta(days=70)
    now = inputs.triggers.with_columns(
        status=pl.when(east).then(pl.lit("amber")).otherwise("status"),
        order_by=pl.when(east).then(pl.lit(late)).otherwise("order_by"),
    )
    previous = now.with_columns(
        status=pl.when(east).then(pl.lit("red")).otherwise("status"),
        order_by=pl.when(east).then(pl.lit(late + timedelta(days=136))).otherwise("order_by"),
    )
    page = html.unescape(finance_page(replace(inputs, triggers=now, previous_triggers=previous)))
    changed = page.split("What changed since the last run")[1]
    assert "-136 d" in changed
    assert "no better: status red → amber, but the order-by is 70 days past" in changed
    # Moved earlier to a day still ahead: a plain shift.
    ahead = inputs.as_of + timedelta(days=30)
    soon = now.with_columns(order_by=pl.when(east).then(pl.lit(ahead)).otherwise("order_by"))
    calm = html.unescape(finance_page(replace(inputs, triggers=soon, previous_triggers=previous)))
    assert "no better" not in calm.split("What changed since the last run")[1]


def _planned_36_months() -> ReportInputs:
    """The sample inputs with 36 monthly rows of the total (a plan to 2029-11)."""
    inputs = sample_inputs()
    months = [date(2026, 12, 1) + timedelta(days=31 * m) for m in range(36)]
    monthly = pl.DataFrame(
        {"ds": [d.replace(day=1) for d in months]}, schema={"ds": pl.Date}
    ).with_columns(
        unique_id=pl.lit("total"), measure=pl.lit("peak"), model=pl.lit("combination"),
        mean=pl.lit(1.0), q10=pl.lit(1.0), q50=pl.lit(1.0), q90=pl.lit(1.0), q99=pl.lit(1.0),
    )  # fmt: skip
    return replace(inputs, forecast_months=monthly.select(inputs.forecast_months.columns))


def test_a_candidate_landing_past_the_plan_horizon_is_named_as_not_weighed() -> None:
    """A 260-week pod lands after the forecast's plan ends: no trigger weighed it and `report`
    picked other candidates without a word. The pages and the report's warnings name it, when
    it would land and how far ahead to forecast; a plan whose candidates all land in time says
    nothing."""
    from forecasting.report.inputs import unweighed_candidates
    from forecasting.runs.reports import report_warnings

    planned = _planned_36_months()
    assert unweighed_candidates(planned) == ""
    slow = [
        c.model_copy(update={"lead_time_weeks": 260}) if c.name == "pod-h100-1024" else c
        for c in planned.plan.candidate
    ]
    late = replace(planned, plan=planned.plan.model_copy(update={"candidate": slow}))
    said = unweighed_candidates(late)
    assert said == (
        "candidate pod-h100-1024 (lead time 260 weeks) lands 2031-11-16 if ordered today, past "
        "the forecast's plan end (2029-11-30): no trigger weighed it, so the "
        "orders pick among the other candidates; forecast at least 60 months ahead "
        "(`fleetcast forecast --horizon-months 60`; a forecast made with this plan reaches "
        "that by itself)"
    )
    for page in (finance_page(late), run_index_page(late)):
        assert html_text(said) in page
    assert html_text(said) not in finance_page(planned)
    assert report_warnings(late) == [f"warning: not weighed: {said}"]
    assert report_warnings(planned) == []


def test_the_not_weighed_warning_and_the_unsized_note_ask_for_the_same_months() -> None:
    """A 400-week pod landing 2034-08-05 on a forecast as of 2026-12-05: the unsized order's
    note said "forecast at least 92 months ahead to size it" while the warning in the same
    run said "forecast at least 93 months ahead" (the lead time plus the buffer, rounded up),
    and that "no trigger weighed it, so the orders pick among the other candidates" though
    the eu-west/training trigger, with no other candidate, ordered it unsized. Both now ask
    for the months that reach its landing, and the warning names the trigger that ordered it
    unsized."""
    from forecasting.report.inputs import unweighed_candidates
    from forecasting.triggers.common import reach_to_size

    inputs = _planned_36_months()
    slow = [
        c.model_copy(update={"lead_time_weeks": 400}) if c.name == "pod-h100-1024" else c
        for c in inputs.plan.candidate
    ]
    lands = inputs.as_of + timedelta(weeks=400)
    pod = (pl.col("region") == "us-east") & (pl.col("pool") == "training")
    unsized = inputs.triggers.with_columns(
        candidate=pl.when(pod).then(pl.lit("pod-h100-1024")).otherwise("candidate"),
        blocks_to_order=pl.when(pod).then(None).otherwise("blocks_to_order"),
    )
    late = replace(
        inputs, plan=inputs.plan.model_copy(update={"candidate": slow}), triggers=unsized
    )
    said = unweighed_candidates(late)
    note = reach_to_size(lands, as_of=inputs.as_of)
    asked = re.search(r"at least (\d+) months", note)
    assert asked is not None, note
    assert f"forecast at least {asked[1]} months ahead" in said, (note, said)
    assert f"--horizon-months {asked[1]}`" in said, said
    assert "no trigger weighed it" not in said, said
    assert "us-east/training orders it unsized" in said, said


def test_telemetry_ingested_after_the_forecast_says_a_new_forecast_is_due(
    wh: Warehouse, tmp_path: Path
) -> None:
    """`report` republished a forecast whose history had since been replaced (ingest said
    "10 key(s) changed value ... the later file wins") or extended, with no word: the report
    says what was ingested after the forecast was made, where, and that a new one is due.
    Replacing counts the one row whose value changed, not the identical one beside it."""
    from telemetry_files import write_csv

    from forecasting import ingest
    from forecasting.runs.reports import telemetry_since

    row = "2026-12-0{d}T0{h}:00:00Z,eu-west,c1,inference,acme,H100,{g},0"
    first = write_csv(
        tmp_path / "a.csv", *(row.format(d=d, h=h, g=10) for d in (3, 4) for h in (0, 1))
    )
    assert ingest.ingest_file(wh, first).status == "loaded"
    wh._con.execute(
        "INSERT INTO forecast_runs (run_id, as_of, created_at, horizon_days, series, "
        "reconciliation, seconds, settings, versions) VALUES "
        "('f1', DATE '2026-12-04', now(), 7, 1, 'mint', 1.0, '{}', '{}')"
    )
    assert telemetry_since(wh, "f1") == ""
    fixed = write_csv(
        tmp_path / "fixed.csv", row.format(d=4, h=0, g=100), row.format(d=4, h=1, g=10)
    )
    assert ingest.ingest_file(wh, fixed).status == "loaded"
    said = telemetry_since(wh, "f1")
    assert said.startswith("telemetry was ingested after this forecast was made (")
    # Its second row repeats a stored one with the same value: a duplicate, not loaded.
    assert (
        "1 file (fixed.csv) loaded 1 row from 2026-12-04 to 2026-12-04, 1 of them replacing "
        "rows already stored (the later file wins where a value changed), inside its history "
        "(to its as-of day 2026-12-04): the forecast, its triggers and drills do not see them; "
        "a new forecast is due (`fleetcast forecast`)"
    ) in said
    newer = write_csv(tmp_path / "newer.csv", row.format(d=5, h=0, g=10))
    assert ingest.ingest_file(wh, newer).status == "loaded"
    assert (
        "2 files (fixed.csv, newer.csv) loaded 2 rows from 2026-12-04 to 2026-12-05, 1 of "
        "them replacing rows already stored (the later file wins where a value changed), "
        "inside its history (to its as-of day 2026-12-04) and past it"
    ) in telemetry_since(wh, "f1")


def test_a_forecast_is_not_current_when_the_telemetry_it_saw_changed_not_when_reingested(
    wh: Warehouse, tmp_path: Path
) -> None:
    """Re-ingesting a file with the same values after a forecast (its rows in another order)
    put "Not current: telemetry was ingested after this forecast was made ... a new forecast
    is due" on every page, from the ingest times alone. A run records what it saw (the rows of
    its history, their checksum, the newest hour): the same values read current, a value
    changed inside its history or a newer hour reads not current, saying which; a run stored
    before it recorded that says its reading is from ingest times and not verified."""
    from telemetry_files import write_csv

    from forecasting import ingest
    from forecasting.runs.forecasts import telemetry_seen
    from forecasting.runs.reports import telemetry_since

    row = "2026-12-0{d}T0{h}:00:00Z,eu-west,c1,inference,acme,H100,{g},0"
    rows = [row.format(d=d, h=h, g=10 + h) for d in (3, 4) for h in (0, 1)]
    assert ingest.ingest_file(wh, write_csv(tmp_path / "a.csv", *rows)).status == "loaded"
    for run_id, seen in (("f1", telemetry_seen(wh, as_of=date(2026, 12, 4))), ("f0", {})):
        columns = {"run_id": run_id, "as_of": date(2026, 12, 4), "created_at": datetime.now(UTC),
                   "horizon_days": 7, "series": 1, "reconciliation": "mint", "seconds": 1.0,
                   "settings": "{}", "versions": "{}", **seen}  # fmt: skip
        wh._con.execute(
            f"INSERT INTO forecast_runs ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            list(columns.values()),
        )
    same = write_csv(tmp_path / "same.csv", *reversed(rows))
    assert ingest.ingest_file(wh, same).status == "loaded"
    assert telemetry_since(wh, "f1") == ""
    # A run stored before runs recorded what they saw can only read the ingest times, and
    # since session 66 the ledger counts rows stored with the same values as duplicates, not
    # loaded: the same values read nothing new there either.
    assert telemetry_since(wh, "f0") == ""
    fixed = write_csv(tmp_path / "fixed.csv", row.format(d=4, h=1, g=99))
    assert ingest.ingest_file(wh, fixed).status == "loaded"
    said = telemetry_since(wh, "f1")
    assert said.startswith("telemetry changed after this forecast was made (")
    assert (
        "UTC): its history (to its as-of day 2026-12-04) holds other values than it saw (4 "
        "rows, as then); files ingested since: same.csv, fixed.csv: the forecast, its "
        "triggers and drills do not see them; a new forecast is due (`fleetcast forecast`)"
    ) in said
    newer = write_csv(tmp_path / "newer.csv", row.format(d=5, h=0, g=10))
    assert ingest.ingest_file(wh, newer).status == "loaded"
    assert (
        "holds other values than it saw (4 rows, as then), and telemetry reaches "
        "2026-12-05 00:00 UTC, past the 2026-12-04 01:00 UTC it saw; files ingested since: "
        "same.csv, fixed.csv, newer.csv: "
    ) in telemetry_since(wh, "f1")


def test_telemetry_ingested_after_the_forecast_reads_on_every_page_and_the_cli() -> None:
    """The sentence of what was ingested since the forecast is a banner on every page and a
    warning line of `report`; a report with nothing ingested since says neither."""
    from forecasting.runs.reports import report_summary_markdown, report_warnings

    said = (
        "telemetry was ingested after this forecast was made (2026-11-22 06:00 UTC): 1 file "
        "(fixed.csv) loaded 816 rows from 2026-11-01 to 2026-11-21, 816 of them replacing rows "
        "already stored (the later file wins where a value changed), inside its history (to "
        "its as-of day 2026-11-22): the forecast, its triggers and drills do not see them; a "
        "new forecast is due (`fleetcast forecast`)"
    )
    inputs = replace(sample_inputs(), telemetry_since=said)
    for page in (finance_page(inputs), run_index_page(inputs), platform_page(inputs)):
        assert html_text("Not current: T" + said[1:]) in page
    assert report_warnings(inputs) == [f"warning: {said}"]
    assert f"**Warning:** {said}." in report_summary_markdown(inputs, Path("reports"))
    assert "Not current" not in finance_page(sample_inputs())
    assert report_warnings(sample_inputs()) == []


def test_a_run_stored_before_migration_41_says_its_outage_hours_are_not_known() -> None:
    """A forecast run stored before migration 41 kept no outage windows, so its report's
    history and measured reach read every telemetry hour raw, a calendar outage's zeros as
    demand, and no page said so. Every page and `report`'s warnings say it now; a run that
    recorded them says nothing."""
    from forecasting.runs import outages_not_known_line
    from forecasting.runs.reports import report_warnings

    said = outages_not_known_line("f1", what="the history")
    inputs = replace(sample_inputs(), outages_not_known=said)
    for page in (finance_page(inputs), run_index_page(inputs), platform_page(inputs)):
        assert html_text("Outage hours not known for runs stored before migration 41") in page
    assert report_warnings(inputs) == [f"warning: {said}"]
    assert "not known for runs stored before" not in finance_page(sample_inputs())


def test_an_order_by_date_read_from_a_month_short_past_the_daily_rows_says_its_grain() -> None:
    """A trigger exhausted in "Sep 2027" (a month past the daily rows: triggers.json's
    order_by_grain "month") printed its order-by as "2026-12-23" in the finance orders table,
    the facilities blocks and power tables and the next order-by card, read as a measured
    deadline. Each now says "monthly grain" beside it; a trigger dated within the daily rows
    reads its day alone."""
    from forecasting.report.pages.common import MONTH_GRAIN, next_order_by
    from forecasting.report.pages.facilities import _blocks_table, _power_orders_table
    from forecasting.report.pages.finance import _orders_table

    inputs = _sited(sample_inputs())
    end = daily_end(inputs)
    assert end is not None
    first = (
        inputs.triggers.filter(pl.col("blocks_to_order") > 0).sort("order_by").row(0, named=True)
    )
    seam = (pl.col("region") == first["region"]) & (pl.col("pool") == first["pool"])
    month = (end + timedelta(days=62)).replace(day=1)
    triggers = inputs.triggers.with_columns(
        exhaustion_date=pl.when(seam).then(pl.lit(month)).otherwise(pl.lit(end)),
        monthly_only=pl.lit(False),
    )
    monthly = replace(inputs, triggers=triggers)
    labelled = f"{fmt_date(first['order_by'])} ({MONTH_GRAIN})"

    def cells(table: Any) -> list[str]:
        return [str(c) for row in table.rows for c in row]

    powered = with_power(triggers, monthly.placements)
    for table in (
        _orders_table(powered, daily_end=end, unit="GPUs"),
        _blocks_table(monthly),
        _power_orders_table(powered, monthly.placements, daily_end=end),
    ):
        shown = cells(table)
        assert labelled in shown
        # Every other trigger is exhausted on a daily row: its order-by date reads its day.
        assert sum(MONTH_GRAIN in c for c in shown) == 1, shown
    assert f"· {first['pool']}, {MONTH_GRAIN})" in next_order_by(monthly)
    daily = replace(inputs, triggers=triggers.with_columns(exhaustion_date=pl.lit(end)))
    assert MONTH_GRAIN not in next_order_by(daily)


def test_the_status_legend_says_when_a_monthly_only_shortfall_is_amber_at_most() -> None:
    """The legend said a shortfall on the monthly rows only is amber at most, while the rule
    (triggers.plan._monthly_only) holds only within a default run's 26 weeks of daily days:
    a monthly-grain red past them (c5 fleet: eu-west training red, exhausted Apr 2028) sat
    beside it. The legend now dates the rule's reach, and says that past it a monthly
    shortfall keeps its colour, red included; with 26 weeks of daily rows no shortfall is
    on the monthly rows alone before that day, and the legend says only the second."""
    from forecasting.report.pages.finance import _orders_intro
    from forecasting.schema import DEFAULT_HORIZON_DAYS

    daily = sample_inputs()
    month = daily.forecast.filter(pl.col("ds") == pl.col("ds").max()).with_columns(
        pl.col("ds").dt.offset_by("1y").dt.truncate("1mo")
    )
    inputs = replace(daily, forecast_months=month.select(daily.forecast_months.columns))
    reach = inputs.as_of + timedelta(days=DEFAULT_HORIZON_DAYS)
    short = inputs.forecast.filter(pl.col("ds") <= inputs.as_of + timedelta(days=14))
    said = _orders_intro(replace(inputs, forecast=short))
    assert f"on the monthly rows only up to {fmt_date(reach)}" in said
    assert "keeps its colour, red included" in said
    days = (reach - inputs.as_of).days
    longer = inputs.forecast.filter(pl.col("ds") == pl.col("ds").max()).join(
        pl.DataFrame({"k": list(range(days))}), how="cross"
    )
    longer = longer.with_columns(ds=pl.lit(inputs.as_of) + pl.duration(days=pl.col("k") + 1))
    full = replace(inputs, forecast=longer.drop("k"))
    assert daily_end(full) == reach
    said = _orders_intro(full)
    assert "amber at most" not in said
    assert "keeps its colour, red included" in said
    # Planned to its daily days alone: no monthly row, no monthly rule.
    assert "monthly rows" not in _orders_intro(daily)


def test_the_cli_rows_say_which_order_by_is_read_from_a_month_past_the_daily_rows() -> None:
    """The CLI's trigger rows carry ``month_grain`` where the exhaustion is a month past the
    daily rows (the pages' and triggers.csv's reading), and only there."""
    from forecasting.report.inputs import daily_end
    from forecasting.runs import report_trigger_rows

    inputs = sample_inputs()
    end = daily_end(inputs)
    assert end is not None
    rows = report_trigger_rows(inputs)
    past = (inputs.triggers["exhaustion_date"] > end).fill_null(False)
    assert rows["month_grain"].to_list() == past.to_list()
    assert past.any()
    within = replace(inputs, triggers=inputs.triggers.with_columns(exhaustion_date=pl.lit(end)))
    assert not report_trigger_rows(within)["month_grain"].any()


def test_an_exhaustion_on_the_first_forecast_day_says_the_pool_is_short_already() -> None:
    """A fleet short from its first forecast day read "2026-12-06" under exhaustion beside
    "2026-08-30 (97 days late)": a date like any other, where the pool is short already (its
    q90 over usable capacity on the first day forecast). The CLI rows and the finance page's
    orders now say so; a later exhaustion reads its date alone."""
    from forecasting.runs import report_trigger_rows

    inputs = sample_inputs()
    first = inputs.as_of + timedelta(days=1)
    now = replace(inputs, triggers=inputs.triggers.with_columns(exhaustion_date=pl.lit(first)))
    words = f"{first:%Y-%m-%d} ({SHORT_ALREADY})"
    assert set(report_trigger_rows(now)["exhaustion_date"].to_list()) == {words}
    assert words in _visible(finance_page(now))
    assert SHORT_ALREADY not in " ".join(
        str(d) for d in report_trigger_rows(inputs)["exhaustion_date"].to_list()
    )
    assert SHORT_ALREADY not in _visible(finance_page(inputs))


def test_concentration_says_it_leaves_out_the_regions_without_telemetry() -> None:
    """The finance page's concentration shares count the customers of the regions with
    telemetry only; a plan region with blocks and no telemetry (ap-south) was left out of
    them unsaid, under a section that reads as the whole fleet's: its intro says so."""
    from forecasting.capacity import Block

    inputs = sample_inputs()
    block = Block.model_validate(
        {"id": "ap-rack-1", "kind": "rack", "region": "ap-south", "site": "ap-a",
         "gpu_type": "H100", "gpus": 256, "mw": 0.4, "status": "live"}
    )  # fmt: skip
    plan = inputs.plan.model_copy(update={"block": (*inputs.plan.block, block)})
    said = html_text(
        "Shares of the demand measured in the regions with telemetry: ap-south has blocks in "
        "the plan but no telemetry, so its customers are in no share here (not judged)."
    )
    assert said in finance_page(replace(inputs, plan=plan))
    assert "customers are in no share here" not in finance_page(inputs)


def test_the_demand_charts_read_capacity_at_the_triggers_quantile() -> None:
    """`report --quantile q50`: the platform page's takeaways read "reaches capacity ... at q90"
    beside triggers judged at q50, dates the reader could not compare; they read the peak at
    the triggers' quantile (q90 when none is stored)."""
    inputs = sample_inputs()
    at_q50 = replace(inputs, triggers=inputs.triggers.with_columns(quantile=pl.lit("q50")))
    page = platform_page(at_q50)
    said = re.findall(
        r"peak (?:reaches capacity on [0-9-]+ at|stays within capacity to [0-9-]+ at|at) (q\d+)",
        page,
    )
    assert said and set(said) == {"q50"}, said
    default = re.findall(
        r"peak (?:reaches capacity on [0-9-]+ at|stays within capacity to [0-9-]+ at|at) (q\d+)",
        platform_page(inputs),
    )
    assert default and set(default) == {"q90"}


def test_an_order_split_on_power_says_how_many_of_its_blocks_run_on_arrival() -> None:
    """An order split on power (the blocks its site's energized MW takes run on arrival, the
    rest wait) read "50 x rack-h100-256 (no power until 2027-06-02)" on the terminal and
    "no power until" on the finance page, as if all 50 waited: both say how many run."""
    from forecasting.report.inputs import with_power
    from forecasting.text import waiting_part

    inputs = sample_inputs()
    east = inputs.triggers.filter(
        (pl.col("region") == "us-east") & (pl.col("blocks_to_order").fill_null(0) > 0)
    ).row(0, named=True)
    blocks = east["blocks_to_order"]
    assert blocks >= 2, "the sample's us-east order must have two blocks to split"
    plan = _planned(inputs, later_capex=500e6)
    share = plan.filter((pl.col("region") == "us-east") & (pl.col("tranche") == 1))
    split = pl.concat(
        [
            plan.filter(~((pl.col("region") == "us-east") & (pl.col("tranche") == 1))),
            share.with_columns(blocks=pl.lit(blocks - 1, pl.Int64)),
            share.with_columns(blocks=pl.lit(1, pl.Int64), powered=pl.lit(False)),
        ]
    )
    waiting = inputs.triggers.with_columns(
        powered_from=pl.when(pl.col("region") == "us-east")
        .then(pl.lit(date(2028, 5, 25)))
        .otherwise(None)
    )
    row = with_power(waiting, split).filter(pl.col("region") == "us-east").row(0, named=True)
    said = f"{blocks - 1:,} of {blocks:,} on power on arrival; the other 1: "
    assert waiting_part(row) == said
    page = finance_page(replace(inputs, triggers=waiting, placements=split))
    assert f"{said}no power until 2028-05-25" in page
    # Waiting whole: nothing said of a part.
    assert waiting_part(with_power(waiting, plan).row(0, named=True)) == ""


def test_the_facilities_page_says_how_many_of_a_split_order_run_on_arrival() -> None:
    """The demo's us-east order of 89 racks read "21 of 89 on power on arrival; the other 68:
    no power for it in the plan" on the finance page, and "no power yet" (blocks table) and
    "no power for it in the plan" (orders by power draw) for all 89 on the facilities page:
    both facilities tables now say what finance says."""
    from forecasting.report.pages.facilities import _blocks_table, _power_orders_table

    inputs = sample_inputs()
    east = inputs.triggers.filter(
        (pl.col("region") == "us-east") & (pl.col("blocks_to_order").fill_null(0) > 0)
    ).row(0, named=True)
    blocks = east["blocks_to_order"]
    plan = _planned(inputs, later_capex=500e6)
    mine = (pl.col("region") == "us-east") & (pl.col("pool") == east["pool"])
    share = plan.filter(mine & (pl.col("tranche") == 1))
    split = pl.concat(
        [
            plan.filter(~(mine & (pl.col("tranche") == 1))),
            share.with_columns(blocks=pl.lit(blocks - 1, pl.Int64), site=pl.lit("e-a")),
            share.with_columns(
                blocks=pl.lit(1, pl.Int64), powered=pl.lit(False), site=pl.lit("e-a")
            ),
        ]
    )
    waiting = inputs.triggers.with_columns(
        powered_from=pl.when(mine).then(pl.lit(date(2028, 5, 25))).otherwise(None)
    )
    said = (
        f"{fmt_date(east['arrives'])}, {blocks - 1:,} of {blocks:,} on power on arrival; the "
        "other 1: no power until 2028-05-25"
    )
    shown = replace(inputs, triggers=waiting, placements=split)
    assert said in finance_page(shown)
    powered = with_power(waiting, split)
    for table in (_blocks_table(shown), _power_orders_table(powered, split)):
        assert said in [str(c) for row in table.rows for c in row]


def test_an_order_whose_blocks_run_only_after_the_plan_s_end_is_not_in_its_capital() -> None:
    """A 60-month power lead put $1,720.3M of eu-west orders that run from 2032-01-01 in
    "capital in every order of the plan" and its bars (a 37-month plan read "$7,579.9M over
    19 quarters"): they serve nothing the plan covers. The finance page's card and capital by
    quarter now leave the later order out and say it apart, not within the horizon."""
    from forecasting.report.pages.common import plan_last_day

    inputs = sample_inputs()
    # Short on days the statuses are verified: no "not verified" part between the figures.
    planned = _planned(inputs, later_capex=600e6).with_columns(exhaustion_date=pl.lit(inputs.as_of))
    end = plan_last_day(inputs)
    assert end is not None
    runs = end + timedelta(days=400)
    past = planned.with_columns(
        powered=pl.col("tranche") != 2,
        runs_from=pl.when(pl.col("tranche") == 2).then(pl.lit(runs)).otherwise(pl.col("arrives")),
    )
    every = float(planned["capex_usd"].sum())
    page = html.unescape(finance_page(replace(inputs, placements=past)))
    apart = (
        f"(+ {fmt_usd(600e6)} for 1 order whose blocks can run only after the plan's end, "
        f"{fmt_date(end)}: not within the horizon, not in the plan's totals)"
    )
    assert f"{fmt_usd(every - 600e6)} {apart}" in page
    assert f"of {fmt_usd(every - 600e6)} over" in page
    assert f"of {fmt_usd(every)} over" not in page
    # Running within the plan, it is the plan's capital as before.
    kept = html.unescape(finance_page(replace(inputs, placements=planned)))
    assert "only after the plan's end" not in kept and f"of {fmt_usd(every)} over" in kept


def test_a_due_now_order_whose_blocks_run_only_after_the_plan_is_not_in_its_capital() -> None:
    """A trigger's order waiting for power that comes only after the plan's end (the demo's
    us-east training cell, $368.6M, run from 2031) stayed in "capital for them" ($3,032.1M)
    while "capital in every order of the plan" left it out and said so: the finance and front
    cards now leave it out of the triggers' capital too, and say it apart, not within the
    horizon; an order running within the plan is in it as before."""
    from forecasting.report.pages.common import plan_last_day

    inputs = sample_inputs()
    # The later order due after the triggers' (one due first is theirs to place too), before
    # the as-of day: an order to place beside the dark one.
    planned = _planned(inputs, later_capex=600e6).with_columns(
        order_by=pl.when(pl.col("tranche") == 2)
        .then(pl.col("order_by") + timedelta(days=50))
        .otherwise(pl.col("order_by"))
    )
    end = plan_last_day(inputs)
    assert end is not None
    first = planned.filter(pl.col("tranche") == 1).sort("order_by").row(0, named=True)
    due_now = (
        (pl.col("tranche") == 1)
        & (pl.col("region") == first["region"])
        & (pl.col("pool") == first["pool"])
    )
    dark = planned.with_columns(
        powered=~due_now,
        runs_from=pl.when(due_now).then(pl.lit(end + timedelta(days=400))).otherwise("runs_from"),
    )
    # The orders to place: those whose order-by has come by the as-of day.
    due = planned.filter(pl.col("order_by") <= inputs.as_of)
    capital = float(due["capex_usd"].sum())
    apart = f"{fmt_usd(capital - first['capex_usd'])} in {due.height} orders"
    past = (
        f"(+ {fmt_usd(first['capex_usd'])} for 1 order whose blocks can run only after the "
        f"plan's end, {fmt_date(end)}: not within the horizon, not in the plan's totals)"
    )

    def card(shown: str, label: str) -> str:
        return _card_whole(shown, label)

    for page, label in ((finance_page, "capital in orders"), (run_index_page, "capital in orders")):
        kept = card(page(replace(inputs, placements=dark)), label)
        assert kept.startswith(f"{apart} due by ") and past in kept, label
        plain = card(page(replace(inputs, placements=planned)), label)
        assert plain.startswith(f"{fmt_usd(capital)} in {due.height} orders due by "), label
        assert "only after the plan's end" not in plain, label


def test_the_capital_to_place_counts_a_later_order_due_before_the_triggers_orders() -> None:
    """The demo's "capital in orders to place $3,032.1M" (the triggers' orders) left out the
    order due first, a later order of the plan ($368.6M by 2026-12-13) that "next order-by"
    names: the front and finance cards now count the orders due before the triggers' in the
    capital to place, and say which, so the figure and the next order-by agree."""
    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=600e6)
    later = planned.filter(pl.col("tranche") == 2).row(0, named=True)
    ordering = inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0)
    capital = float(ordering["capex_usd"].sum())
    # Due by the as-of day with the triggers' orders due by then, it is counted.
    end = inputs.as_of
    assert later["order_by"] <= end
    due = ordering.filter(pl.col("order_by") <= end)
    said = (
        f"{fmt_usd(float(due['capex_usd'].sum()) + 600e6)} in {due.height + 1} orders due by "
        f"{fmt_date(end)}, the as-of day"
    )
    # (Its shortfall lies past the measured days: what follows says so, test below.)
    of = f"(of which {fmt_usd(600e6)} in 1 order after their pools' first, for later shortfalls"

    def card(shown: str) -> str:
        return _card_whole(shown)

    for page in (finance_page, run_index_page):
        shown = card(page(replace(inputs, placements=planned)))
        assert shown.startswith(said) and of in shown, page.__name__
    assert capital > float(due["capex_usd"].sum())  # an order due later is left out


def test_the_capital_to_place_says_which_later_orders_rest_on_days_no_status_is_verified() -> None:
    """A 120-day fleet with 8-10x headroom in every region (all triggers green, nothing short
    on any daily row) read "capital in orders to place $4,423.7M ... (of which $4,423.7M in 3
    orders after their pools' first, for later shortfalls)": 12 GB200 cells due within six
    weeks for shortfalls 22 months out, read on the q90 of a random walk no backtest
    calibrated. On a calibrated band the same clause read plain: the demo's $368.6M GB200 cell
    due 2026-12-13 for eu-west's shortfall in 2028, past 2027-06-05, the last day its statuses
    are verified (52 weeks out the regions' demand passed q90 on 20 % of days). The card,
    front page and CLI now say how much of the capital to place is for shortfalls past the
    day the statuses are verified, and why they end there, on either band."""
    from forecasting.report.inputs import green_verified_to

    inputs = _planned_36_months()
    uncalibrated = replace(
        inputs,
        chosen=inputs.chosen.with_columns(
            plan_reason=pl.lit("no decision backtest to choose a growth model on (4 blocks)"),
            plan_calibrated=False,
        ),
    )
    end = inputs.forecast["ds"].max()
    planned = _planned(inputs, later_capex=600e6).with_columns(
        exhaustion_date=pl.when(pl.col("tranche") == 2)
        .then(pl.lit(end + timedelta(days=400)))
        .otherwise("exhaustion_date")
    )
    of = f"(of which {fmt_usd(600e6)} in 1 order after their pools' first, for later shortfalls"

    def card(shown: str) -> str:
        return _card_whole(shown)

    for case in (inputs, uncalibrated):
        verified = green_verified_to(case)
        assert verified is not None
        said = (
            f"{of}, all of it for shortfalls past the last day a backtest measured "
            f"({fmt_date(verified)}): not verified)"
        )
        for page in (finance_page, run_index_page):
            assert said in card(page(replace(case, placements=planned))), page.__name__
        # Short on a day the statuses are verified: as before.
        within = planned.with_columns(exhaustion_date=pl.lit(verified))
        for page in (finance_page, run_index_page):
            plain = card(page(replace(case, placements=within)))
            assert f"{of})" in plain, page.__name__


def test_the_blocks_to_order_name_the_later_order_due_before_the_triggers_orders() -> None:
    """The demo's finance cards read "228 racks, 3 cells" to order beside a capital to place
    that counts a later order's cell due first ($368.6M by 2026-12-13): the blocks card now
    names the blocks the capital card counts beside the triggers'."""
    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=600e6)
    text = html.unescape(finance_page(replace(inputs, placements=planned)))
    card = text.split('</div><div class="label">blocks to order')[0].split(">")[-1]
    # East's training pod (order by 36 days after the as-of day) is not due yet.
    assert card.startswith("3 cell-laters, 2 pods (the orders due by "), card
    alone = html.unescape(finance_page(inputs))
    assert "cell-later" not in alone.split('<div class="label">blocks to order')[0]


def _dark_first_order(inputs: Any) -> tuple[pl.DataFrame, dict[str, Any], date]:
    """The sample's placements with the first trigger's order waiting on power that comes
    400 days after the plan's end, its blocks landing on its shortfall's dates; that order's
    row, and the plan's end."""
    from forecasting.report.pages.common import plan_last_day

    planned = _planned(inputs, later_capex=600e6).filter(pl.col("tranche") == 1)
    end = plan_last_day(inputs)
    assert end is not None
    first = planned.sort("order_by").row(0, named=True)
    due_now = (pl.col("region") == first["region"]) & (pl.col("pool") == first["pool"])
    dark = planned.with_columns(
        powered=~due_now,
        runs_from=pl.when(due_now).then(pl.lit(end + timedelta(days=400))).otherwise("arrives"),
    )
    return dark, first, end


def test_an_order_to_place_whose_blocks_would_stand_dark_is_said_beside_idle_risk() -> None:
    """ServeGen at 26 weeks: 8 racks ($67.6M) to order now land 2025-03-30 and can run from
    2026-08-16, 504 days dark, while "capex at idle risk" read $0: the card now says the
    capital of orders to place whose blocks would stand dark waiting for power, and how long."""
    inputs = sample_inputs()
    dark, first, end = _dark_first_order(inputs)
    days = (end + timedelta(days=400) - first["arrives"]).days
    page = html.unescape(finance_page(replace(inputs, placements=dark)))
    card = page.split('</div><div class="label">capex at idle risk')[0].split(">")[-1]
    assert (
        f"(+ {fmt_usd(first['capex_usd'])} in 1 order to place whose "
        f"{first['blocks']:,} blocks would stand dark {days:,} days after they land, waiting "
        "for power: capital tied up without serving, not in the idle figure)"
    ) in card
    lit = html.unescape(finance_page(replace(inputs, placements=_planned(inputs, later_capex=1))))
    assert "would stand dark" not in lit


def test_a_past_order_by_reads_late_and_a_share_waiting_past_the_plan_has_none() -> None:
    """ServeGen at 26 weeks: the orders table read "order by 2024-10-14" (97 days before the
    as-of date) plain for 10 racks, 8 of which wait on power that comes after the plan's end:
    the date now reads late, and the waiting blocks say they have no order-by date within
    the horizon (ordered then, they would stand dark until their power)."""
    from forecasting.report.pages.finance import _orders_table

    inputs = sample_inputs()
    dark, first, end = _dark_first_order(inputs)
    shown = with_power(inputs.triggers, dark)
    as_of = first["order_by"] + timedelta(days=97)
    table = _orders_table(shown, daily_end=daily_end(inputs), unit="GPUs", as_of=as_of, end=end)
    row = next(r for r in table.rows if (r[0], r[1]) == (first["region"], first["pool"]))
    assert str(row[3]).startswith(fmt_date(first["order_by"]))
    assert str(row[3]).endswith(
        f", 97 days ago: late; its {first['blocks']:,} blocks "
        f"waiting on power: no order-by date within the horizon (they can run only from "
        f"{fmt_date(end + timedelta(days=400))}, after the plan's end {fmt_date(end)})"
    )


def test_a_later_order_past_the_plan_s_end_says_it_is_not_within_the_horizon() -> None:
    """A later order whose blocks run only after the plan's end read "2028-12-04, no power
    yet: runs from 2031-01-01 at the earliest | ... | $737.3M" (demo, eu-west), its capital
    plain beside the every-order card that leaves it out, and its order-by date as a measured
    day's beside "Oct 2028": the row says its run and its capital are not within the horizon,
    and the order-by date its grain, as the triggers' rows do."""
    from forecasting.report.pages.common import MONTH_GRAIN, plan_last_day
    from forecasting.report.pages.finance import _later_orders_table

    inputs = sample_inputs()
    end = plan_last_day(inputs)
    assert end is not None
    planned = _planned(inputs, later_capex=600e6)
    later = planned.filter(pl.col("tranche") == 2).row(0, named=True)
    runs = later["arrives"] + timedelta(days=100)
    assert runs > end
    past = planned.with_columns(
        powered=pl.col("tranche") != 2,
        runs_from=pl.when(pl.col("tranche") == 2).then(pl.lit(runs)).otherwise(pl.col("arrives")),
    )
    table = _later_orders_table(past, daily_end=daily_end(inputs), end=end)
    row = [str(c) for c in table.rows[0]]
    assert row[3] == f"{fmt_date(later['order_by'])} ({MONTH_GRAIN})"
    assert row[4] == (
        f"{fmt_date(later['arrives'])}, no power yet: runs from {fmt_date(runs)} at the "
        f"earliest; not within the horizon (the plan ends {fmt_date(end)})"
    )
    assert row[7] == (
        f"{fmt_usd(600e6)}: not within the horizon (its blocks run only after the plan's end; "
        "not in the plan's totals)"
    )
    page = html.unescape(finance_page(replace(inputs, placements=past)))
    assert row[4] in page and row[7] in page
    # The facilities page's blocks and power orders tables list it alike.
    facilities = html.unescape(facilities_page(replace(inputs, placements=past)))
    assert row[4] in facilities
    assert facilities.count(f"not within the horizon (the plan ends {fmt_date(end)})") == 2
    # Running within the plan (one ending the day it lands), the row is as before.
    within = later["arrives"]
    kept = _later_orders_table(planned, daily_end=daily_end(inputs), end=within).rows[0]
    assert "not within the horizon" not in " ".join(str(c) for c in kept)
    assert str(kept[7]) == fmt_usd(600e6)


def test_a_trigger_with_nothing_to_order_shows_no_order_by_date_or_arrival() -> None:
    """The finance table read "red | 2026-08-01 (monthly grain) | Jun 2027 | 2027-09-10 |
    none" for a row whose note says "nothing to order": an order-by date 125 days past and
    the arrival of an order nobody is told to place. Both cells read "–", as its capex does;
    the stored dates stay (replays read them)."""
    from forecasting.report.pages.finance import _orders_table

    inputs = sample_inputs()
    first = (
        inputs.triggers.filter(pl.col("blocks_to_order") > 0).sort("order_by").row(0, named=True)
    )
    this = (pl.col("region") == first["region"]) & (pl.col("pool") == first["pool"])
    nothing = inputs.triggers.with_columns(
        blocks_to_order=pl.when(this).then(0).otherwise(pl.col("blocks_to_order")),
        note=pl.when(this).then(pl.lit("nothing to order; absorb the shortfall")),
    )
    table = _orders_table(with_power(nothing, None), daily_end=None, unit="GPUs")
    row = next(r for r in table.rows if str(r[-1]).startswith("nothing to order"))
    assert [str(c) for c in row[3:9:2]] == ["–", "–", "–"]  # order by, arrives, capex
    kept = _orders_table(with_power(inputs.triggers, None), daily_end=None, unit="GPUs")
    assert any(str(r[3]) == fmt_date(first["order_by"]) for r in kept.rows)


def test_a_region_whose_demand_is_the_contract_book_s_alone_says_so_on_every_page(
    tmp_path: Path,
) -> None:
    """eu-west is a greenfield region: blocks in the plan, no telemetry, and a signed anchor
    contract whose ramp is all its series hold (model contract-book). Its rows read plain
    "green" in triggers.csv and every page said "No telemetry for eu-west ... no trigger or
    order is judged there" beside its judged triggers. Every page now says its demand is the
    book's only, not a forecast, the downloads' shown status says so, and us-east reads as
    before."""
    from forecasting.contracts import CONTRACT_MODEL
    from forecasting.schema import BOOK_ONLY

    inputs = sample_inputs()
    west = pl.col("unique_id").str.starts_with("total/eu-west")
    inputs = replace(
        inputs,
        history=inputs.history.filter(~west),
        chosen=inputs.chosen.with_columns(
            model=pl.when(west).then(pl.lit(CONTRACT_MODEL)).otherwise("model")
        ),
    )
    folder = publish_report(inputs, root=tmp_path)
    for page in PAGES:
        text = html.unescape((folder / page).read_text())
        assert f"eu-west: {BOOK_ONLY}" in text, page
        assert "No telemetry for eu-west" not in text, page
    shown = pl.read_csv(folder / "triggers.csv").select("region", "status", "status_shown")
    for region, status, said in shown.iter_rows():
        if region == "eu-west":
            assert said == f"{status} (contract book only)"
        else:
            # Then what the pages say after it: the sample's dates past its 26 measured days
            # read "not verified" (test_headline_reach).
            assert said.startswith(status) and "contract book" not in said


def test_the_csvs_set_apart_the_capex_of_blocks_that_run_past_the_plan(tmp_path: Path) -> None:
    """ServeGen at 26 weeks: triggers.csv read capex_usd $84.5M for servegen/all and
    orders.csv $67.6M for its 8 racks that can run only from 2026-08-16, after the plan's end
    2025-07-20, where every page counts them apart ("not within the horizon, not in the plan's
    totals"). Both files now total capex_usd as the pages do and give the rest in
    capex_past_plan_usd."""
    inputs = sample_inputs()
    dark, first, _ = _dark_first_order(inputs)
    folder = publish_report(replace(inputs, placements=dark), root=tmp_path)
    key = (pl.col("region") == first["region"]) & (pl.col("pool") == first["pool"])
    triggers = pl.read_csv(folder / "triggers.csv")
    row = triggers.filter(key).row(0, named=True)
    assert row["capex_past_plan_usd"] == pytest.approx(first["capex_usd"])
    assert row["capex_usd"] == pytest.approx(0.0)
    assert triggers.filter(~key)["capex_past_plan_usd"].fill_null(0.0).eq(0.0).all()
    orders = pl.read_csv(folder / "orders.csv").filter(key & (pl.col("tranche") == 1))
    assert orders["capex_past_plan_usd"].to_list() == [pytest.approx(first["capex_usd"])]
    assert orders["capex_usd"].to_list() == [pytest.approx(0.0)]


def test_the_report_artifact_says_a_monthly_only_order_s_date_and_size_are_not_verified() -> None:
    """The Prefect artifact's triggers table read the demo's 7-day us-east/all as "2026-09-25"
    and "30 x rack-h100-256", plain, where the CLI and every page say both rest on a month
    read short past the daily rows (26 weeks: 89 racks, red): it says so as the CLI does."""
    from forecasting.runs.reports import report_summary_markdown
    from forecasting.triggers.common import MONTHLY_ONLY

    inputs = sample_inputs()
    first = (
        inputs.triggers.filter(pl.col("blocks_to_order") > 0).sort("order_by").row(0, named=True)
    )
    seam = (pl.col("region") == first["region"]) & (pl.col("pool") == first["pool"])
    monthly = replace(inputs, triggers=inputs.triggers.with_columns(monthly_only=seam))
    days = (daily_end(inputs) - inputs.as_of).days  # type: ignore[operator]
    said = report_summary_markdown(monthly, Path("reports"))
    assert (
        f"| {first['order_by']} (monthly grain: {MONTHLY_ONLY}) | {first['blocks_to_order']} x "
        f"{first['candidate']} (size {MONTHLY_ONLY} (the daily forecast reaches only {days} "
        "days)) |"
    ) in said
    assert MONTHLY_ONLY not in report_summary_markdown(inputs, Path("reports"))


def test_the_mw_to_contract_of_a_site_not_checked_is_not_measured() -> None:
    """ServeGen at 7 days: sg-a's power row read "not checked for 1 order not sized" beside
    "MW to contract 0.0 MW", a figure for the orders sized only (the 26-week run contracts
    2.9 MW there). The cell now says the MW is not measured, the sized part as what it is."""
    from forecasting.report.inputs import power_view
    from forecasting.report.pages.facilities import _power_contracts_table

    shown = _east_unsized(_sited(sample_inputs()))
    # As a green power trigger stores it: nothing to contract for the orders it counted.
    stored = shown.power_triggers.with_columns(mw_to_contract=pl.lit(0.0))
    shown = replace(shown, power_triggers=stored)
    rows = {r[0]: r for r in _power_contracts_table(power_view(shown)).rows}
    assert str(rows["us-east-a"][8]) == (
        "not measured (2 orders not sized in us-east); 0.0 MW for the orders sized"
    )
    assert str(rows["west-a"][8]) == "0.0 MW"


def _windowed_orders(inputs: ReportInputs) -> tuple[pl.DataFrame, date]:
    """The sample's orders with its first trigger's split on power, 40 of its blocks waiting
    and dated to land with it (their own order-by past the daily forecast's end), and a later
    order of the plan due the day before the as-of day, after the first trigger's order; and
    the window's last day, the as-of day (an order whose order-by has come is one to place)."""
    end = inputs.as_of
    daily = inputs.forecast["ds"].max()
    assert isinstance(daily, date)
    planned = _planned(inputs, later_capex=600e6).with_columns(
        order_by=pl.when(pl.col("tranche") == 2)
        .then(pl.lit(AS_OF - timedelta(days=1)))
        .otherwise(pl.col("order_by"))
    )
    first = planned.filter(pl.col("tranche") == 1).sort("order_by").row(0, named=True)
    dark = first | {
        "blocks": 40, "capex_usd": 400e6, "mw": 16.0, "powered": False,
        "order_by": daily + timedelta(days=200), "arrives": daily + timedelta(days=260),
    }  # fmt: skip
    return pl.concat([planned, pl.DataFrame([dark], schema=planned.schema)]), end


def test_the_capital_to_place_is_every_order_whose_order_by_has_come() -> None:
    """The demo's "capital in orders to place $3,400.7M" counted the six triggers' orders
    whole, us-east's 68 racks dated to land with power (order-by 2028-09-25) among them, and
    left out $1,105.9M of later orders due 2027-03-15, before three of them: the card is
    every order of the plan whose order-by has come by the as-of day (it was the daily
    forecast's last day, which moved with --horizon), whichever tranche, a part waiting on
    power by its own order-by, and says so with its date; the blocks card counts the same
    orders."""
    from forecasting.report.inputs import green_verified_to

    inputs = sample_inputs()
    planned, end = _windowed_orders(inputs)
    due = planned.filter(pl.col("order_by") <= end)
    later = planned.filter(pl.col("order_by") > end)
    verified = green_verified_to(inputs)
    assert verified is not None
    first_due = float(due.filter(pl.col("tranche") == 1)["capex_usd"].sum())
    said = (
        f"{fmt_usd(float(due['capex_usd'].sum()))} in {due.height} orders due by "
        f"{fmt_date(end)}, the as-of day (an order of the plan is due once its order-by has "
        "come, whatever the daily horizon; any tranche, a part waiting on power by its own "
        "order-by) (of which "
        f"{fmt_usd(600e6)} in 1 order after their pools' first, for later shortfalls, all of "
        f"it for shortfalls past the last day a backtest measured ({fmt_date(verified)}): not "
        # The pools' first order is for a shortfall past that day too, and says so.
        f"verified) (of the {fmt_usd(float(due['capex_usd'].sum()))}, {fmt_usd(first_due)} in 1 "
        f"order for shortfalls past the last day a backtest measured ({fmt_date(verified)}): "
        "not verified) (+ "
        f"{fmt_usd(float(later['capex_usd'].sum()))} in {later.height} orders of the plan due "
        f"after {fmt_date(end)}, from {fmt_date(later['order_by'].min())} to "
        f"{fmt_date(later['order_by'].max())}: not to place yet)"
    )
    for page in (finance_page, run_index_page):
        card = _card_whole(page(replace(inputs, placements=planned)))
        assert card == said, page.__name__
    text = html.unescape(finance_page(replace(inputs, placements=planned)))
    blocks = text.split('</div><div class="label">blocks to order')[0].split(">")[-1]
    counted = int(due["blocks"].sum())
    kinds = re.findall(r"(\d+) [a-z-]+", blocks.split(" (")[0])
    assert sum(int(n) for n in kinds) == counted, blocks
    assert blocks.endswith(f"(the orders due by {fmt_date(end)}, as the capital card)"), blocks


def test_orders_csv_marks_the_orders_the_capital_to_place_sums(tmp_path: Path) -> None:
    """orders.csv listed every order with nothing to say which the "capital in orders to
    place" card summed: its to_place_by column holds the window's last day on exactly those
    orders, and their capex adds up to the card's figure."""
    inputs = sample_inputs()
    planned, end = _windowed_orders(inputs)
    folder = publish_report(replace(inputs, placements=planned), root=tmp_path)
    orders = pl.read_csv(folder / "orders.csv", try_parse_dates=True)
    marked = orders.filter(pl.col("to_place_by").is_not_null())
    assert marked["to_place_by"].unique().to_list() == [end]
    assert marked["order_by"].max() <= end < orders["order_by"].max()
    card = _card_whole((folder / "finance.html").read_text())
    assert card.startswith(f"{fmt_usd(float(marked['capex_usd'].sum()))} in {marked.height} ")


def test_the_power_in_orders_to_place_is_the_capital_cards_orders_and_says_the_need_apart() -> None:
    """A 28-day demo read "130.3 MW needed" on the facilities page beside "0.0 MW power in
    orders to place", two figures of two memberships no card named: the orders' MW is now
    the capital card's orders (due by the daily forecast's end), and it says that the need
    counts every block and every order of the plan, with the MW due after the window."""
    from forecasting.report.pages.facilities import _cards

    inputs = sample_inputs()
    planned, end = _windowed_orders(inputs)
    due = planned.filter(pl.col("order_by") <= end)
    after = planned.filter(pl.col("order_by") > end)
    power = dict(_cards(replace(inputs, placements=planned)))["power in orders to place"]
    # The whole, under the card's one-sentence lead (test_said_once).
    assert isinstance(power, Folded)
    assert power.rest == (
        f"{fmt_mw(float(due['mw'].sum()))} in the orders due by {fmt_date(end)}, as the capital "
        "to place (finance page) (the MW needed counts every block live or committed and every "
        f"order of the plan: + {fmt_mw(float(after['mw'].sum()))} in orders due after "
        f"{fmt_date(end)})"
    )


def test_every_orders_monthly_only_part_names_the_pools_first_orders_it_counts() -> None:
    """ "Capital in every order of the plan" read "(of which $692.7M for 2 orders short at the
    monthly grain only ...)": 2 of which orders, priced how, under a total of every order?
    It now names the pools' first orders and counts them as the total does."""
    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=600e6)
    first = inputs.triggers.filter(pl.col("blocks_to_order").fill_null(0) > 0).sort("order_by")
    flagged = first.row(0, named=True)
    monthly = inputs.triggers.with_columns(
        monthly_only=(pl.col("region") == flagged["region"]) & (pl.col("pool") == flagged["pool"])
    )
    text = html.unescape(finance_page(replace(inputs, triggers=monthly, placements=planned)))
    card = text.split('</div><div class="label">capital in every order')[0].split(">")[-1]
    assert (
        f"(of which {fmt_usd(flagged['capex_usd'])} for 1 pool's first order short at the "
        "monthly grain only: "
    ) in card, card


def test_an_order_past_every_ceiling_has_no_arrival(tmp_path: Path) -> None:
    """The demo's us-east 4th order, one cell past us-east-c's ceiling with no order-by, read
    "2029-10-04; 1 of 1 past us-east-c's ceiling" as its arrival and kept that date in
    orders.csv: an order no site can power has no arrival (the date was its shortfall's)."""
    inputs = sample_inputs()
    planned = _planned(inputs, later_capex=600e6).with_columns(
        order_by=pl.when(pl.col("tranche") == 2).then(None).otherwise(pl.col("order_by")),
        blocks_beyond_ceiling=pl.when(pl.col("tranche") == 2).then(3).otherwise(0),
        site=pl.lit("us-east-c"),
        powered=pl.col("tranche") == 1,
    )
    past = planned.filter(pl.col("tranche") == 2).row(0, named=True)
    page = html.unescape(finance_page(replace(inputs, placements=planned)))
    words = (
        "none: all past us-east-c's ceiling, a new site is needed; no arrival until one is planned"
    )
    assert words in page
    assert f"{fmt_date(past['arrives'])}; 3 of 3 past" not in page
    folder = publish_report(replace(inputs, placements=planned), root=tmp_path)
    orders = pl.read_csv(folder / "orders.csv", try_parse_dates=True)
    assert orders.filter(pl.col("tranche") == 2)["arrives"].to_list() == [None]
    assert orders.filter(pl.col("tranche") == 1)["arrives"].null_count() == 0


def test_the_status_legend_says_amber_for_blocks_that_run_inside_the_buffer() -> None:
    """The triggers read amber where an order lands in time but its blocks run only from
    inside the buffer, when their site has the power (the demo's us-west: 41 racks running 3
    days before exhaustion), while the legend defined amber by the order-by date alone
    (sweep48 F9 with F4): the legend says both."""
    from forecasting.report.pages.finance import _orders_intro

    said = _orders_intro(sample_inputs())
    assert "or its blocks land in time but run only from inside the buffer" in said


def test_a_drill_not_verified_shows_no_kpi_figures_as_measured_on_the_platform_page() -> None:
    """An Azure trace of an hour, forecast as zero: the platform page's drill table read "not
    verified: no demand measured", and its "Baseline against shock" and "Drill KPIs" tables
    below read "100.0%", "$0" as if measured, and the SLO chart's caption named that drill's
    100.0% as the lowest against target. Those tables read "not verified" in place of its
    figures, and the caption reads the verified drills only."""
    inputs = sample_inputs()
    passing = inputs.drill_answers.filter(pl.col("passed"))["drill"].unique().to_list()
    name = passing[0]
    why = "no demand measured: all is zero on every path in the drill window"
    held = pl.col("drill") == name
    answers = inputs.drill_answers.with_columns(
        verdict=pl.when(held).then(pl.lit(NOT_VERIFIED)).otherwise("verdict"),
        unverified=pl.when(held).then(pl.lit(why)),
    )
    platform = platform_page(replace(inputs, drill_answers=answers))
    for section in ("Baseline against shock", "Drill KPIs"):
        start = platform.index(f">{section}<")
        part = platform[start : platform.index("</section>", start)]
        table = part.split(f"<h3>Drill {name}</h3>")[1].split("<h3>")[0]
        cells = re.findall(r"<td[^>]*>(.*?)</td>", table, flags=re.S)
        assert NOT_VERIFIED in table, section
        assert not [c for c in cells if "$" in c or "%" in c], section
    chart = slo_chart(inputs.drill_verdicts, unverified=[name])
    assert chart is not None and f" in {name} at " not in chart.takeaway
    every = inputs.drill_verdicts["drill"].unique().to_list()
    chart = slo_chart(inputs.drill_verdicts, unverified=every)
    assert chart is not None and "lowest against target" not in chart.takeaway


def test_the_idle_card_reads_no_dollar_figure_where_no_block_was_judged_whole() -> None:
    """A 150-day fleet forecast 8 weeks ahead (`fleetcast synth --days 150 --customers 15
    --seed 5`, `forecast --horizon 8w --horizon-months 0`) judged its 10 committed blocks on
    part of their first 13 weeks only and 55 not at all: the CLI and the finance card read
    "capex at idle risk: $0 (10 blocks judged on part ...: $370.2M, not in the total; ...)",
    a $0 over no block judged, which reads as no idle capital measured. The headline now says
    that no block was judged on its whole window; the same where every block judged whole
    could not be priced."""
    from forecasting.report.pages.finance import _idle_card

    inputs = sample_inputs()
    partly = inputs.idle_risk.with_columns(days_judged=pl.lit(1, pl.Int32))
    card = _idle_card(partly)
    assert not card.startswith("$0"), card
    assert card.startswith("none judged on its whole first 13 weeks"), card
    assert "2 blocks judged on part of their first 13 weeks only" in card
    unpriced = inputs.idle_risk.with_columns(capex_at_risk_usd=pl.lit(None, pl.Float64))
    card = _idle_card(unpriced)
    assert not card.startswith("$0"), card
    assert card.startswith("not priced"), card
    # A judged and priced block at 0 % idle is a measured $0, and reads so.
    busy = inputs.idle_risk.with_columns(capex_at_risk_usd=pl.lit(0.0), idle_gpus=pl.lit(0.0))
    assert _idle_card(busy) == "$0"


def test_the_idle_card_reads_no_dollar_figure_for_blocks_judged_in_part_but_not_priced() -> None:
    """A plan with no [[candidate]] (nothing to price a block by) read "capex at idle risk:
    not priced (13 blocks judged on part of their first 13 weeks only: $0, not in the total;
    ...; 23 blocks not priced ...)" on the CLI and the finance card: a $0 over blocks that
    could not be priced, which reads as no idle capital measured on them. Their part now
    reads "not priced" too, and where only some are priced it says how many are not."""
    from forecasting.report.pages.finance import _idle_card

    inputs = sample_inputs()
    partly = inputs.idle_risk.with_columns(
        days_judged=pl.when(pl.col("kind") == "pod").then(1).otherwise(91).cast(pl.Int32)
    )
    unpriced = partly.with_columns(capex_at_risk_usd=pl.lit(None, pl.Float64))
    card = _idle_card(unpriced)
    assert "1 block judged on part of its first 13 weeks only: not priced" in card, card
    assert "$0" not in card, card
    both = inputs.idle_risk.with_columns(days_judged=pl.lit(1, pl.Int32))
    some = both.with_columns(
        capex_at_risk_usd=pl.when(pl.col("kind") == "pod").then(None).otherwise("capex_at_risk_usd")
    )
    priced = some.filter(pl.col("capex_at_risk_usd").is_not_null())
    figure = fmt_usd(float(priced["capex_at_risk_usd"].sum()))
    said = f"2 blocks judged on part of their first 13 weeks only: {figure} (1 of them not priced)"
    assert said in _idle_card(some), _idle_card(some)


def test_the_front_page_says_the_idle_capital_the_finance_page_says() -> None:
    """A fleet whose demand fell 17 % over its last 90 days (`fleetcast synth --days 200
    --customers 20 --seed 3`, the last 90 days scaled down to 70 %) read on the front page
    "green", "$368.6M in 1 order" and nothing of the $1,862.2M of committed blocks its P10
    demand leaves idle: the opposite error to a shortfall was on the finance page and the
    CLI only. The front page now carries the finance page's idle card; a plan with no
    committed block judged carries none (no "$0" for a figure nothing was judged for)."""
    from forecasting.report.pages.finance import _idle_card

    inputs = sample_inputs()
    assert inputs.idle_risk.height
    front = run_index_page(inputs)
    assert "capex at idle risk" in front
    assert html_text(_idle_card(inputs.idle_risk)) in front
    assert "capex at idle risk" not in run_index_page(
        replace(inputs, idle_risk=inputs.idle_risk.clear())
    )


def test_the_orders_table_sets_apart_the_capex_of_blocks_that_run_past_the_plan() -> None:
    """A 35-day one-region fleet forecast 26 weeks (`fleetcast synth --days 35 --customers 12
    --seed 7`, us-east only): us-east/all ordered 61 racks, 57 of them waiting for power that
    comes only in 2029. The CLI row, triggers.csv and the capital cards read "$33.8M (+ $481.5M
    for 57 blocks that run only after the plan's end ...: not within the horizon)", while the
    finance page's orders table read "$515.3M" in the same row's capex cell (a 90 %-one-customer
    fleet: $2,128.9M against a card of $261.9M). The cell now splits it as the CLI does."""
    inputs = sample_inputs()
    dark, first, end = _dark_first_order(inputs)
    key = (pl.col("region") == first["region"]) & (pl.col("pool") == first["pool"])
    row = inputs.triggers.filter(key).row(0, named=True)
    past = float(dark.filter(key)["capex_usd"].sum())
    assert row["capex_usd"] and past
    page = html.unescape(finance_page(replace(inputs, placements=dark)))
    said = (
        f"{fmt_usd(row['capex_usd'] - past)} (+ {fmt_usd(past)} for {first['blocks']:,} blocks "
        f"that run only after the plan's end, {fmt_date(end)}: not within the horizon)"
    )
    assert said in page


def test_the_facilities_mw_card_says_when_it_rests_on_an_uncalibrated_band() -> None:
    """A 200-day fleet whose demand fell 17 % over its last 90 days (`fleetcast synth --days
    200 --customers 20 --seed 3`, 37-month plan): the finance page's plan capital read
    "$1,105.9M, capital in every order of the plan, on a band no backtest calibrated", while
    the facilities page's card read "181.0 MW needed by Sep 2029 (the most to Jan 2030)", the
    MW of the same orders with nothing to say what they rest on. The card's label now says
    so where the plan past the daily rows is not calibrated; a calibrated plan's is plain."""
    from forecasting.report.pages.facilities import _cards as facilities_cards

    inputs = sample_inputs()
    month = inputs.forecast.filter(pl.col("ds") == pl.col("ds").max()).with_columns(
        pl.col("ds").dt.truncate("1mo"), grain=pl.lit("month")
    )
    planned = replace(inputs, forecast_months=month.select(inputs.forecast_months.columns))
    young = replace(
        planned,
        chosen=planned.chosen.with_columns(
            plan_reason=pl.lit("no decision backtest to choose a growth model on (7 blocks)"),
            plan_calibrated=False,
        ),
    )
    assert planned.plan_calibrated and not young.plan_calibrated

    def needed(cards: list[tuple[str, str]]) -> str:
        return next(label for label, _ in cards if label.startswith("needed by"))

    said = ", on a band no backtest calibrated"
    assert needed(facilities_cards(young)).endswith(said)
    assert said not in needed(facilities_cards(planned))
    assert html_text(needed(facilities_cards(young))) in facilities_page(young)


def test_nothing_to_order_says_when_the_plan_past_the_daily_rows_is_not_calibrated() -> None:
    """A flat 150-day fleet at a third of its capacity (`fleetcast synth --days 150
    --customers 15 --seed 11`, detrended, 37-month plan) read "Nothing to order: every pool's
    q90 requirement stays within the capacity already planned to Jan 2030, the plan's end",
    while its plan past the daily rows (2027-06-05) rests on a random walk no decision
    backtest calibrated, as the capital and idle cards beside it say. The sentence now says
    so; a calibrated plan's reads as before."""
    from forecasting.report.pages.finance import nothing_to_order

    inputs = sample_inputs()
    month = inputs.forecast.filter(pl.col("ds") == pl.col("ds").max()).with_columns(
        pl.col("ds").dt.truncate("1mo"), grain=pl.lit("month")
    )
    green = replace(
        inputs,
        forecast_months=month.select(inputs.forecast_months.columns),
        triggers=inputs.triggers.with_columns(
            status=pl.lit("green"), unverified_green=pl.lit(value=False)
        ),
        placements=inputs.placements.clear(),
    )
    young = replace(
        green,
        chosen=green.chosen.with_columns(
            plan_reason=pl.lit("no decision backtest to choose a growth model on (7 blocks)"),
            plan_calibrated=False,
        ),
    )
    assert green.plan_calibrated and not young.plan_calibrated
    end = fmt_date(daily_end(young))
    said = f"past {end} on a band no backtest calibrated"
    assert said in str(nothing_to_order(young))
    assert "calibrated" not in str(nothing_to_order(green))


def test_a_green_on_monthly_rows_no_backtest_calibrated_says_how_far_it_is_verified() -> None:
    """A 37-month plan on 150 days of history read a plain "green" on the front page and the
    CLI, while past its daily rows the plan was a band no backtest calibrated and its daily
    rows were scored 28 days ahead only (the "Extrapolated" banner): the headline now says
    green to the first day not verified only. A green whose plan is daily only, or whose
    band a backtest calibrated, says the last day a backtest measured (the calibrated band
    is verified as far as its backtests held the q90, test_headline_reach)."""
    from forecasting.report.inputs import FORECAST_MONTHS_SCHEMA, measured_reach

    inputs = _sited(sample_inputs())
    green = inputs.triggers.with_columns(status=pl.lit("green"), note=pl.lit("stays within"))
    calm = replace(inputs, triggers=green, power_triggers=inputs.power_triggers.clear())
    # Daily rows only: green to the measured days alike (test_headline_reach).
    assert status_headline(calm).startswith("green to ")
    months = pl.DataFrame({"ds": [date(2029, 10, 1), date(2029, 11, 1)]}).with_columns(
        pl.lit(None).cast(dtype).alias(name)
        for name, dtype in FORECAST_MONTHS_SCHEMA.items()
        if name != "ds"
    )
    # A band a decision backtest calibrated, its daily rows measured to their end or not:
    # green to the last day a backtest measured, as a red short past it says (test_headline_
    # reach: one rule for every colour).
    for case in (
        replace(_measured(calm), forecast_months=months),
        replace(calm, forecast_months=months),
    ):
        reach = fmt_date(case.as_of + timedelta(days=measured_reach(case)))
        assert status_headline(case) == (
            f"green to {reach} only: not verified beyond (no backtest measured the forecast's "
            "error past it)"
        )
    uncalibrated = calm.chosen.with_columns(plan_calibrated=pl.lit(False))
    planned = replace(calm, forecast_months=months, chosen=uncalibrated)
    assert not planned.plan_calibrated
    measured = planned.as_of + timedelta(days=measured_reach(planned))
    end = daily_end(planned)
    assert end is not None and measured < end
    said = (
        f"green to {fmt_date(measured)} only: not verified beyond (no backtest measured the "
        f"forecast's error past it, nor calibrated the plan's band past {fmt_date(end)})"
    )
    assert status_headline(planned) == said
    for page in (run_index_page, finance_page):
        assert html_text(said) in page(planned), page.__name__


def test_a_capital_card_with_every_order_unsized_says_none_sized_not_zero() -> None:
    """A 35-day fleet at 14 days, six pools red and every order "not sized" (the forecast ends
    before they land): the CLI, the front page and the finance card read "$0 in 0 orders ...
    (+ 6 orders not sized ...)", a "$0" that reads as a measured zero, and finance's blocks
    card "0 blocks to order". Where no order due is
    sized and some are not, the card says none could be sized; beside a sized order it reads
    as before."""
    from types import SimpleNamespace

    from forecasting.runs.reports import report_outcome

    shown = _east_unsized(_sited(sample_inputs()))
    # us-east's training order is due 36 days after the as-of day: one of the two is due.
    said = (
        "none sized: 1 order not sized (the forecast ends before it lands, its capex not "
        "measured; see the notes), of the orders due by "
        f"{fmt_date(shown.as_of)}"
    )
    for page in (run_index_page, finance_page):
        text = _visible(page(shown))
        assert said in text, page.__name__
        assert "$0 in 0 orders" not in text, page.__name__
    outcome = report_outcome(shown, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert outcome.to_place.startswith(said), outcome.to_place
    # The finance card of blocks beside it read "0 blocks to order" alike.
    blocks = (
        "none sized: 1 order not sized (the forecast ends before it lands, its size not "
        "measured; see the notes) blocks to order"
    )
    assert blocks in _visible(finance_page(shown))
    # Nothing unsized: a plan with no order due reads its $0 as it is.
    calm = replace(shown, triggers=shown.triggers.filter(pl.col("region") != "us-east"))
    assert "none sized" not in _visible(run_index_page(calm))


def test_the_front_page_drill_card_counts_the_drills_the_horizon_refused() -> None:
    """A 2-week forecast's front page read "drills failing: 5 of 5 (all fail unshocked ...)"
    where 8 drills were asked: delivery-slip, inference-surge and region-loss were refused
    ("+2w (2026-12-20) is after the forecast horizon"), said only in the finance and platform
    tables and on the terminal. The card names them, with where to read why."""
    inputs = sample_inputs()
    why = (
        "field start: +2w (2026-12-20) is after the forecast horizon 2026-12-06..2026-12-19: "
        "forecast at least 15 days ahead (`--horizon 15`) to play it"
    )
    refused = pl.DataFrame({"drill": ["region-loss", "inference-surge"], "reason": [why, why]})
    front = html.unescape(run_index_page(replace(inputs, drills_not_played=refused)))
    assert "2 not played (inference-surge, region-loss: see Platform)" in front
    alone = replace(inputs, drill_answers=inputs.drill_answers.clear(), drills_not_played=refused)
    front = html.unescape(run_index_page(alone))
    assert "none played on this forecast run" not in front
    assert "2 not played (inference-surge, region-loss: see Platform)" in front


def test_the_counts_of_greens_say_how_far_they_are_verified(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The demo's front page and terminal counted "4 red, 0 amber, 2 green" blocks and "6 red,
    0 amber, 1 green" sites beside a headline and rows reading "green to 2027-06-05 only: not
    verified beyond": the counts read the greens as verified to the plan's end. Both counts
    now say how far, on the page and the terminal; a run verified to its end reads plain."""
    from types import SimpleNamespace

    from flows.tables import triggers_line
    from forecasting.report.inputs import green_verified_to, power_counts
    from forecasting.runs.reports import report_outcome

    inputs = _planned_36_months()
    verified = green_verified_to(inputs)
    assert verified is not None
    greens = inputs.triggers.filter(pl.col("status") == "green").height
    assert greens, "the fixture needs a green pool"
    said = f"{greens} green (green to {verified} only: not verified beyond)"
    assert said in html.unescape(run_index_page(inputs))
    outcome = report_outcome(inputs, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert said in triggers_line(outcome), triggers_line(outcome)
    sites = _sited(inputs)
    if sites.power_triggers.filter(pl.col("status") == "green").height:
        assert f"green (green to {green_verified_to(sites)} only" in power_counts(sites)
    # Where every status is verified to the plan's end (no day short of it), the counts read
    # plain.
    from forecasting.report.pages import index

    monkeypatch.setattr(index, "greens_qualified", lambda _: "")
    assert f"{greens} green (" not in html.unescape(run_index_page(inputs))


def test_a_pool_whose_demand_ended_is_named_on_every_page_and_the_terminal(
    tmp_path: Path,
) -> None:
    """Every customer of us-east · inference stopped sending demand (rows of zeros) 16 days
    before the as-of day: its forecast was held at zero and only the platform page's flagged
    series and the run's per-series warnings said so; the front, finance and facilities pages
    and the terminal's report table read its pool as any other, and a finance reader did not
    learn that the pool's demand had ended. Every page and the terminal now say "Demand
    ended" with the pool and its day. A pool whose zeros are a customer's feed that stopped
    (no rows, its region reporting) is the "Feed stopped" banner's, not churn; a run with no
    pool stopped has no such banner."""
    from types import SimpleNamespace

    from flows.tables import report_table
    from forecasting.runs.reports import report_outcome

    sample = sample_inputs()
    pool = hierarchy.id_of("us-east", "inference")
    note = (
        f"{STOPPED_NOTE}zero demand on each of its last 16 days (from 2026-11-06) after demand "
        "on most days before, up to 310.0 GPUs: held at zero, as demand that ended; a return "
        "needs new telemetry (or a backfill) or a contract"
    )
    churned = replace(
        sample,
        chosen=sample.chosen.with_columns(
            level_shift=pl.when(pl.col("unique_id") == pool).then(pl.lit(note)).otherwise(None)
        ),
    )
    said = "Demand ended: us-east · inference (zero from 2026-11-06: 16 days)"
    for page in (run_index_page, finance_page, facilities_page, platform_page):
        assert said in _visible(page(churned)), page.__name__
        assert "Demand ended" not in _visible(page(sample)), page.__name__
    outcome = report_outcome(churned, SimpleNamespace(run_id="t"), tmp_path)  # type: ignore[arg-type]
    caption = " ".join(str(report_table(outcome).caption).split())
    assert said.replace("Demand ended", "demand ended") in caption, caption
    calm = report_outcome(sample, SimpleNamespace(run_id="t"), tmp_path)  # type: ignore[arg-type]
    assert "emand ended" not in str(report_table(calm).caption)

    # The same zeros where the pool's customer wrote no rows while its region reported: a
    # feed gap, said by the "Feed stopped" banner, not a churn.
    silent = pl.DataFrame(
        {"region": ["us-east"], "workload_class": ["inference"], "customer": ["acme"],
         "last_report": [datetime(2026, 11, 5, 15, tzinfo=UTC)], "silent_days": [16],
         "cover": [1.0], "share": [0.8], "region_hours": [672]},
    )  # fmt: skip
    gap = _visible(run_index_page(replace(churned, silent_customers=silent)))
    assert "Feed stopped: us-east · inference · acme (16 days)" in gap
    assert "Demand ended" not in gap


def test_an_order_by_before_the_next_weekly_report_says_order_now() -> None:
    """The weekly report (Mondays, FLEETCAST_REPORT_CRON) of 2026-11-23 read "next order-by:
    2026-11-25 (eu-west · all)", green, and the next report, a week later, read it "5 days
    ago: late": the one report a reader had before the date gave it no urgency. An order-by
    that falls before the next scheduled report now says so on the card and the terminal; one
    after it, or on a report with no schedule known, reads as before."""
    from types import SimpleNamespace

    from flows.tables import triggers_line
    from forecasting.runs.reports import report_outcome
    from forecasting.settings import next_report_day

    assert next_report_day("0 6 * * 1", datetime(2026, 11, 23, 6, 0, tzinfo=UTC)) == date(
        2026, 11, 30
    )
    assert next_report_day("0 6 * * 1", datetime(2026, 11, 25, 9, 0, tzinfo=UTC)) == date(
        2026, 11, 30
    )
    # The run's own: on FLEETCAST_REPORT_CRON, none for a past as-of date (a trace, a backfill)
    # or a cron that does not parse (serve refuses it, naming it).
    from forecasting.settings import next_report_for

    monday_6 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FLEETCAST_REPORT_CRON", "0 6 * * 3")
        assert next_report_for(date(2026, 11, 22), now=monday_6) == date(2026, 11, 25)
        assert next_report_for(date(2026, 11, 1), now=monday_6) is None
        env.setenv("FLEETCAST_REPORT_CRON", "every monday")
        assert next_report_for(date(2026, 11, 22), now=monday_6) is None
    sample = sample_inputs()
    due = AS_OF + timedelta(days=3)
    # A rack of 8 weeks' lead for a shortfall 12 weeks out (4 weeks' buffer), on daily rows.
    west = sample.triggers.filter(pl.col("region") == "eu-west").with_columns(
        order_by=pl.when(pl.col("pool") == "all").then(pl.lit(due)).otherwise(None),
        exhaustion_date=pl.when(pl.col("pool") == "all")
        .then(pl.lit(due + timedelta(weeks=12)))
        .otherwise(None),
    )
    monday = replace(
        sample,
        triggers=west,
        placements=sample.placements.clear(),
        generated_at=datetime(2026, 11, 23, 6, 0, tzinfo=UTC),
        next_report=date(2026, 11, 30),
    )
    said = "falls before the next scheduled report (2026-11-30): place it by then"
    # Nothing is due by the as-of day: the one card of the next order (common.order_cards).
    for page in (run_index_page, finance_page):
        text = _visible(page(monday))
        card = f"for eu-west · all, $9.5M, by {due.isoformat()} (green to 2026-12-19 only"
        assert card in text and f"not verified beyond; {said})" in text, page.__name__
    outcome = report_outcome(monday, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
    assert f"order first: eu-west/all by {due} (green; {said})" in triggers_line(outcome)
    # After the next report, or with no schedule known: as before.
    for calm in (replace(monday, next_report=due), replace(monday, next_report=None)):
        assert "next scheduled report" not in _visible(run_index_page(calm))
        quiet = report_outcome(calm, SimpleNamespace(run_id="t"), Path("."))  # type: ignore[arg-type]
        assert "next scheduled report" not in triggers_line(quiet)


def test_a_class_and_a_customer_only_the_book_holds_say_their_quantiles_are_its_outcomes(
    tmp_path: Path,
) -> None:
    """eu-west runs no training yet and one pipeline deal at 5 % holds it; us-east has a new
    customer of one deal at 5 % too. Their rows (model contract-book) read q90 0 beside a mean
    of 0.05 x their GPUs, and nothing on a page, in triggers.csv or on the chart said they
    are the book's outcomes, not a forecast of telemetry: eu-west · training's pool read plain
    "green" and its chart a forecast's fan. Each now says "pipeline only" and why, and the
    series the book does not hold read as before."""
    from forecasting.contracts import CONTRACT_LIST_SCHEMA, CONTRACT_MODEL
    from forecasting.schema import BOOK_ONLY, BOOK_OUTCOMES

    inputs = sample_inputs()
    cls = pl.col("unique_id") == "total/eu-west/training"
    newco = inputs.chosen.filter(pl.col("unique_id") == "total/us-east/inference").with_columns(
        unique_id=pl.lit("total/us-east/inference/newco")
    )
    deal = {
        "customer": "x", "workload_class": "training", "region": "eu-west",
        "status": "pipeline", "probability": 0.05, "first_date": date(2027, 1, 1),
        "first_gpus": 1024, "last_date": date(2027, 1, 1), "last_gpus": 1024,
        "term_end": date(2028, 1, 1), "price_per_gpu_hour": None, "announced": None,
    }  # fmt: skip
    book = pl.DataFrame(
        [
            deal | {"id": "orion-eu"},
            deal | {"id": "newco-1", "customer": "newco", "workload_class": "inference",
                    "region": "us-east"},
        ],
        schema=CONTRACT_LIST_SCHEMA,
    )  # fmt: skip
    inputs = replace(
        inputs,
        history=inputs.history.filter(~cls),
        chosen=pl.concat([inputs.chosen, newco]).with_columns(
            model=pl.when(cls | pl.col("unique_id").str.ends_with("/newco"))
            .then(pl.lit(CONTRACT_MODEL))
            .otherwise("model")
        ),
        contracts=book,
    )
    folder = publish_report(inputs, root=tmp_path)
    platform = html.unescape((folder / "platform.html").read_text())
    named = (("eu-west · training", "orion-eu"), ("us-east · inference · newco", "newco-1"))
    for series, deal_id in named:
        assert f"pipeline only ({deal_id} at 5%): {BOOK_OUTCOMES}" in platform, series
        assert series in platform
    # Its chart is the book's line, named as the book's, not a forecast's fan.
    assert f"eu-west training: {BOOK_ONLY}" in platform
    assert f"us-east training: {BOOK_ONLY}" not in platform
    shown = pl.read_csv(folder / "triggers.csv").select("region", "pool", "status", "status_shown")
    for region, pool, status, said in shown.iter_rows():
        if (region, pool) == ("eu-west", "training"):
            assert said.startswith(f"{status} (pipeline only (orion-eu at 5%): {BOOK_OUTCOMES}")
        else:
            assert said.startswith(status) and "pipeline only" not in said


def test_power_at_a_site_of_no_cost_per_mw_reads_not_priced_not_zero() -> None:
    """A plan with `cost_per_mw_usd = 0` at its sites (left blank in a sheet): the
    facilities page's cost column read "$0" beside 48.6 MW to contract, and the finance card
    counted those MW in "$X for N MW", as if that power were free, where the what-if says
    the same MW are "not priced: its cost_per_mw_usd is 0". Both pages now say so."""
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    rows = [
        {"region": "us-east", "site": "us-east-a", "status": "red", "mw_to_contract": 42.5,
         "mw_beyond_ceiling": 0.0, "power_lead_months": 24, "cost_usd": 467.5e6,
         "contract_by": date(2026, 5, 1)},
        {"region": "us-east", "site": "us-east-b", "status": "red", "mw_to_contract": 48.6,
         "mw_beyond_ceiling": 0.0, "power_lead_months": 24, "cost_usd": 0.0,
         "contract_by": date(2026, 5, 1)},
    ]  # fmt: skip
    power = pl.concat(
        [POWER_TRIGGERS_SCHEMA.to_frame(), pl.DataFrame(rows)], how="diagonal_relaxed"
    )
    inputs = replace(sample_inputs(), power_triggers=power)
    finance = html.unescape(finance_page(inputs))
    assert (
        f"{fmt_usd(467.5e6)} for 42.5 MW at 1 site (+ 48.6 MW at us-east-b not priced: its "
        "cost_per_mw_usd is 0 in the plan)"
    ) in finance
    facilities = html.unescape(facilities_page(inputs))
    assert "not priced: us-east-b's cost_per_mw_usd is 0 in the plan" in facilities
    assert "<td>$0</td>" not in facilities


def test_the_capital_to_place_says_how_much_rests_on_unverified_first_shortfalls() -> None:
    """Helios exported as telemetry (31 days, backtests scored to 2020-06-07) and forecast 26
    weeks read "capital in orders to place: $25.3M in 2 orders due by 2020-05-31" plain on the
    CLI, the front page and the finance page, while the card beside it said of the same
    $25.3M "in 2 orders for shortfalls past the last day a backtest measured (2020-06-07): not
    verified", and both pools' rows said so too: only later orders' shortfalls were checked.
    The pools' first orders are now said alike; within the verified days, as before."""
    from forecasting.report.inputs import green_verified_to
    from forecasting.report.pages.common import to_place_by, trigger_capital

    inputs = _planned_36_months()
    verified = green_verified_to(inputs)
    assert verified is not None
    first = _planned(inputs, later_capex=600e6).filter(pl.col("tranche") == 1)
    past = first.with_columns(exhaustion_date=pl.lit(verified + timedelta(days=20)))
    said = trigger_capital(replace(inputs, placements=past))
    by = to_place_by(replace(inputs, placements=past))
    assert by is not None
    due = past.filter(pl.col("order_by") <= by)
    assert due.height and due.height < past.height  # one order due, the rest later
    whole = fmt_usd(float(due["capex_usd"].sum()))
    assert (
        f"(of the {whole}, {whole} in {due.height} order{'' if due.height == 1 else 's'} "
        f"for shortfalls past the last day a backtest measured ({fmt_date(verified)}): "
        "not verified)"
    ) in said, said
    for page in (finance_page, run_index_page):
        card = html.unescape(page(replace(inputs, placements=past))).split(
            '</div><div class="label">capital in orders to place'
        )[0]
        assert "for shortfalls past the last day a backtest measured" in card, page.__name__
    within = first.with_columns(
        exhaustion_date=pl.lit(verified), arrives=pl.lit(verified - timedelta(days=30))
    )
    assert "not verified" not in trigger_capital(replace(inputs, placements=within))


def test_a_pool_chart_dates_its_shortfall_by_the_triggers_rule_not_its_own_gpu_lines() -> None:
    """The demo's platform page read "us-west all classes peak at q90 eats into the 13–14%
    headroom on 2027-05-13" (a day inside the daily rows) beside triggers, CLI and finance
    page that date us-west/all short in Jun 2027 at the monthly grain only, "not verified"; and
    "us-east ... on 2027-04-02" beside their 2027-04-08. The chart compared GPUs of every block;
    the triggers compare H100-equivalents of the blocks the pool may share. A pool's chart
    (all classes, training) now dates the shortfall by the triggers' verdict and says where
    its drawn lines cross the usable line on another day. It then read "us-east training ...
    runs short in January 2030 ... by the triggers' rule (...) The lines drawn, in GPUs of
    every block, cross the usable line in September 2029": two dates for one pool, the
    measure of the first after it. Each date now has its measure beside it, the triggers'
    said to be the one the orders follow and the drawn one not a second shortfall date."""
    from forecasting.report.figures import PoolExhaustion

    frames = _fan_frames([95.0, 105.0, 99.0])
    # Daily q90 90 against 100 GPUs with 15% kept free: the lines drawn cross 85 on day one.
    first_daily = frames["forecast"]["ds"].min()
    monthly = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.15, **frames,
        exhaustion=PoolExhaustion(day=date(2027, 3, 1), monthly=True),
    )  # fmt: skip
    assert monthly is not None
    said = monthly.takeaway
    assert "eats into" not in said and "reaches capacity" not in said, said
    assert "runs short in March 2027 (monthly grain)" in said, said
    assert "in H100-equivalents of the blocks the pool may use (demand plus headroom" in said
    assert (
        f"In GPUs of every block in the region, as the chart draws them, its lines cross the "
        f"usable line on {first_daily}: another measure, not a second shortfall date."
    ) in said, said
    daily = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.15, **frames,
        exhaustion=PoolExhaustion(day=first_daily, monthly=False),
    )  # fmt: skip
    assert daily is not None
    assert f"is short already on {first_daily} at q90" in daily.takeaway, daily.takeaway
    assert "as the chart draws them" not in daily.takeaway, daily.takeaway
    never = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.0, **_fan_frames([95.0] * 3),
        exhaustion=PoolExhaustion(day=None, monthly=False),
    )  # fmt: skip
    assert never is not None
    assert "stays within the capacity the triggers count at q90 to April 2027" in never.takeaway
    assert "as the chart draws them" not in never.takeaway, never.takeaway
    assert "not verified" not in never.takeaway + monthly.takeaway
    # Past the day the run verifies its statuses to, the date says so, as the finance page.
    reach = date(2027, 2, 15)
    unverified = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.15, **frames,
        exhaustion=PoolExhaustion(day=date(2027, 3, 1), monthly=True, verified_to=reach),
    )  # fmt: skip
    assert unverified is not None
    assert (
        "runs short in March 2027 (monthly grain) in H100-equivalents of the blocks the pool "
        "may use (demand plus headroom: the triggers' date, which the orders follow), past "
        "2027-02-15, the last day the statuses are verified: not verified."
    ) in unverified.takeaway, unverified.takeaway
    green = fan_chart(
        key="f", region="r1", workload_class="all", headroom=0.0, **_fan_frames([95.0] * 3),
        exhaustion=PoolExhaustion(day=None, monthly=False, verified_to=reach),
    )  # fmt: skip
    assert green is not None
    assert "to 2027-02-15 only: not verified beyond." in green.takeaway, green.takeaway


def test_the_platform_page_dates_each_pool_chart_as_its_trigger_row_does() -> None:
    """The platform page's pool charts read their own GPU lines, not the trigger rows the
    finance page and CLI show, and gave another day for the same shortfall. Each all-classes
    and training chart now names its trigger row's exhaustion; a pool no trigger dates says
    it stays within capacity by the same rule."""
    inputs = sample_inputs()
    page = platform_page(inputs)
    assert (
        "us-east all classes stays within the capacity the triggers count at q90 on the daily "
        "rows and runs short in March 2027 (monthly grain) in H100-equivalents"
    ) in page
    assert (
        "us-east training stays within the capacity the triggers count at q90 on the daily "
        "rows and runs short in August 2027 (monthly grain)"
    ) in page
    assert "eu-west training stays within the capacity the triggers count at q90 to " in page
    assert "us-east all classes peak" not in page and "eu-west training peak" not in page


def test_a_site_s_short_month_says_its_mw_is_the_month_s_most_not_the_first_short_day_s() -> None:
    """The demo's facilities page read "us-west-a is short of power from May 2027: 32.6 MW
    needed" under a power table whose us-west-a row said "short from 2027-05-10 ... 31.1 MW
    needed": one site, one first short day, two figures. The monthly figure is the month's
    most; the sentence now says so."""
    from forecasting.capacity import SITE_POWER_MONTHLY_SCHEMA
    from forecasting.report.figures import site_power_chart

    month = date(2027, 5, 1)
    power = pl.DataFrame(
        {"site": ["a"], "region": ["r"], "month": [month], "mw_in_service": [17.5],
         "mw_new_blocks": [15.1], "mw_needed": [32.6]}
    )  # fmt: skip
    row = {"month": month, "region": "r", "site": "a", "energized_mw": 17.5,
           "contracted_mw": 17.5, "ceiling_mw": None, "mw_in_service": 17.5,
           "mw_ordered": 15.1, "mw_needed": 32.6, "short_days": 22}  # fmt: skip
    supply = pl.DataFrame([row], schema=SITE_POWER_MONTHLY_SCHEMA)
    chart = site_power_chart(power, site="a", key="k", supply=supply)
    assert chart is not None
    assert chart.takeaway.startswith("a is short of power from May 2027 (read day by day: ")
    assert chart.takeaway.split("energized): ", 1)[1].startswith(
        "up to 32.6 MW needed that month, more than is energized there on 22 of its days "
        "(from 17.5 MW)."
    ), chart.takeaway


def test_a_site_s_short_month_says_in_its_caption_what_it_reads() -> None:
    """The demo's charts read "us-east-b is short of power from Apr 2027" under a power table
    short from 2027-04-08, with nothing saying what the month reads: on which grain, MW
    needed against what, from which rows. The caption says it: the power table's day, read
    day by day, the blocks in service and the plan's orders against the MW energized, and
    the month drawn as its busiest day against its leanest."""
    from forecasting.capacity import SITE_POWER_MONTHLY_SCHEMA
    from forecasting.report.figures import site_power_chart

    month = date(2027, 4, 1)
    power = pl.DataFrame(
        {"site": ["b"], "region": ["r"], "month": [month], "mw_in_service": [20.5],
         "mw_new_blocks": [26.9], "mw_needed": [47.4]}
    )  # fmt: skip
    row = {"month": month, "region": "r", "site": "b", "energized_mw": 20.5,
           "contracted_mw": 20.5, "ceiling_mw": None, "mw_in_service": 20.5,
           "mw_ordered": 26.9, "mw_needed": 47.4, "short_days": 23}  # fmt: skip
    supply = pl.DataFrame([row], schema=SITE_POWER_MONTHLY_SCHEMA)
    chart = site_power_chart(power, site="b", key="k", supply=supply, short_from=date(2027, 4, 8))
    assert chart is not None
    assert chart.takeaway.startswith(
        "b is short of power from Apr 2027 (read day by day: 2027-04-08 in the power table is "
        "the first day the MW needed (the blocks in service and the plan's orders placed here, "
        "from when their pool needs them) passes that day's MW energized; drawn by month, each "
        "month's busiest day against its leanest day energized): up to 47.4 MW needed"
    ), chart.takeaway
    # A power day in another month is not this month's: the month's own words stand.
    other = site_power_chart(power, site="b", key="k", supply=supply, short_from=date(2027, 5, 2))
    assert other is not None and "2027-05-02" not in other.takeaway
    assert "the first month with a day whose MW needed" in other.takeaway


def test_a_long_order_note_opens_with_its_first_words_and_folds_the_rest() -> None:
    """The demo's finance page gave each order a note of about 250 words under its row (the
    row already says status, order-by, blocks, capex and MW): six of them made the table a
    wall. A note over 60 words shows its first 30 and folds the rest into a disclosure that
    continues the sentence; a short note stays a plain line."""
    inputs = sample_inputs()
    words = [f"w{i}" for i in range(90)]
    long_note, short_note = " ".join(words), "order 2 x rack-h100-256 by 2027-01-04"
    first = inputs.triggers["region"][0]
    triggers = inputs.triggers.with_columns(
        note=pl.when(pl.col("region") == first)
        .then(pl.lit(long_note))
        .otherwise(pl.lit(short_note))
    )
    page = finance_page(replace(inputs, triggers=triggers))
    orders = page[page.index("<h2>Orders to place</h2>") : page.index("<h2>Capital by quarter")]
    assert (
        '<small>note:</small> <details class="more"><summary>'
        + " ".join(words[:30])
        + " …</summary>"
        + " ".join(words[30:])
        + "</details>"
    ) in orders
    assert f"<small>note:</small> {short_note}</td>" in orders
