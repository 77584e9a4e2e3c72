"""unique_id paths: any name round-trips, and names with `/`, `%` or markup pass the pipeline.

The helpers are checked with hypothesis on arbitrary text; then one small fleet whose regions
and customers carry hostile names goes through ingest, demand, forecast, a drill, triggers
and the published report.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting import demand, drills, hierarchy, ingest, synth, warehouse
from forecasting.capacity import CapacityPlan, capacity_timeline
from forecasting.forecast import ForecastSettings, forecast_all
from forecasting.reconcile import build_hierarchy
from forecasting.report import DRILL_ANSWERS_SCHEMA, ReportInputs, publish_report
from forecasting.report.format import html_text
from forecasting.triggers import expansion_triggers, mw_by_site_month

names = st.text(min_size=1, max_size=12)
paths = st.lists(names, min_size=0, max_size=3)


@given(names)
def test_escape_round_trips_and_leaves_no_separator(name: str) -> None:
    """Escaping any name gives one level (no `/`) that unescapes to the name itself."""
    escaped = hierarchy.escape(name)
    assert hierarchy.SEP not in escaped
    assert hierarchy.unescape(escaped) == name


@given(paths)
def test_ids_round_trip_every_name_in_python(levels: list[str]) -> None:
    """id_of then levels_of gives the names back; depth and parent follow the names."""
    uid = hierarchy.id_of(*levels)
    assert hierarchy.levels_of(uid) == tuple(levels)
    assert hierarchy.depth_of(uid) == len(levels)
    parent = hierarchy.parent_of(uid)
    if levels:
        assert parent == hierarchy.id_of(*levels[:-1])
        assert hierarchy.is_under(uid, parent)
    else:
        assert parent is None


def test_a_series_reads_by_its_names_not_its_escaped_id() -> None:
    """A reader sees a customer named with a `/` as written, not percent-encoded."""
    uid = hierarchy.id_of("servegen", "inference", "m-large/61")
    assert uid == "total/servegen/inference/m-large%2F61"
    assert hierarchy.label_of(uid) == "servegen · inference · m-large/61"
    assert hierarchy.label_of(hierarchy.TOTAL) == "total"


@settings(max_examples=50)
@given(st.lists(st.tuples(names, names, names), min_size=1, max_size=5))
def test_polars_helpers_agree_with_python(rows: list[tuple[str, str, str]]) -> None:
    """unique_id, depth, level and parent as expressions read what the Python helpers read."""
    frame = pl.DataFrame(rows, schema=["region", "workload_class", "customer"], orient="row")
    for depth in range(len(hierarchy.LEVEL_NAMES)):
        columns = hierarchy.LEVEL_NAMES[1 : depth + 1]
        ids = frame.with_columns(hierarchy.unique_id(columns).alias("unique_id"))
        read = ids.select(
            "unique_id",
            hierarchy.depth().alias("depth"),
            hierarchy.parent().alias("parent"),
            *(hierarchy.level(at).alias(name) for at, name in enumerate(hierarchy.LEVEL_NAMES)),
        )
        for row, got in zip(rows, read.iter_rows(named=True), strict=True):
            assert got["unique_id"] == hierarchy.id_of(*row[:depth])
            assert got["depth"] == depth
            assert got["parent"] == hierarchy.parent_of(got["unique_id"])
            assert got["total"] == hierarchy.TOTAL
            for at, name in enumerate(hierarchy.LEVEL_NAMES[1:], start=1):
                assert got[name] == (row[at - 1] if at <= depth else None)


@settings(max_examples=50)
@given(st.lists(paths, min_size=1, max_size=8))
def test_a_looked_up_expression_reads_what_it_reads_on_every_row(levels: list[list[str]]) -> None:
    """``looked_up`` gives each row what the expression gives it row by row: parents (null for
    the total) and depths of repeated ids, any name, in the rows' own order."""
    ids = pl.Series("unique_id", [hierarchy.id_of(*names) for names in levels * 3])
    frame = ids.to_frame()
    for expr in (hierarchy.parent(), hierarchy.depth(), hierarchy.level(1)):
        assert frame.select(hierarchy.looked_up(expr, ids)).equals(frame.select(expr))


@given(st.lists(names, min_size=1, max_size=4, unique=True))
def test_reconciliation_sees_names_with_separators_as_one_level(customers: list[str]) -> None:
    """A customer called `a/b` is a leaf under its class, never a parent of a `b` series."""
    ids = [
        hierarchy.id_of(),
        hierarchy.id_of("r"),
        hierarchy.id_of("r", "inference"),
        *(hierarchy.id_of("r", "inference", c) for c in customers),
    ]
    built = build_hierarchy(ids)
    assert set(built.bottom) == set(ids[3:])
    assert built.summing[0].sum() == len(customers)


# --- hostile names through the whole pipeline ----------------------------------------------------

_FIGURES = re.compile(r'<script type="application/json" id="figures">.*?</script>', re.S)
REGIONS = ('eu/west "R&D" </title>', "東京 100% west", "us west 'quoted' %25")
CUSTOMERS = ("acme/research", "</title><script>alert(1)</script>", 'O\'Brien & "Sons" %2F')


def _rename(value: str, names: dict[str, str]) -> str:
    return names.get(value, value)


def _hostile_fleet(folder: Path) -> tuple[Path, CapacityPlan]:
    """A small synthetic fleet with hostile region and customer names, and its renamed plan."""
    fleet = synth.synthetic_fleet(days=70, customers=12, seed=3, end=date(2026, 10, 31))
    telemetry = fleet.telemetry
    regions = dict(zip(sorted(telemetry["region"].unique()), REGIONS, strict=False))
    biggest = (
        telemetry.group_by("customer")
        .agg(pl.col("gpus_running").sum())
        .sort("gpus_running", descending=True)["customer"]
    )
    customers = dict(zip(biggest.to_list(), CUSTOMERS, strict=False))
    hostile = telemetry.with_columns(
        pl.col("region").replace(regions), pl.col("customer").replace(customers)
    )
    path = folder / "telemetry.parquet"
    hostile.write_parquet(path)
    raw = tomllib.loads(fleet.capacity_toml)
    for site in (*raw.get("site", []), *raw.get("new_site", [])):
        site["region"] = _rename(site["region"], regions)
    for block in raw.get("block", []):
        block["region"] = _rename(block["region"], regions)
        if block.get("customer"):
            block["customer"] = _rename(block["customer"], customers)
    for candidate in raw.get("candidate", []):
        candidate["regions"] = [_rename(r, regions) for r in candidate.get("regions", [])]
    return path, CapacityPlan.model_validate(raw)


@pytest.mark.slow
def test_hostile_names_pass_ingest_forecast_drill_and_report(tmp_path: Path) -> None:
    """Names with `/`, `%`, quotes, markup, unicode and spaces reach the pages, escaped."""
    telemetry, plan = _hostile_fleet(tmp_path)
    with warehouse.connect(tmp_path / "warehouse.duckdb") as wh:
        assert ingest.ingest_file(wh, telemetry).status == "loaded"
        hourly = wh.hourly_demand()
    history = demand.demand_series(hourly, customers_per_class=3)
    stored = set(history["customer"].drop_nulls()) | set(history["region"].drop_nulls())
    assert set(CUSTOMERS) <= stored and set(REGIONS) <= stored
    as_of = history["ds"].max()
    assert isinstance(as_of, date)

    settings = ForecastSettings(horizon_days=28, fixed_model="seasonal_naive", n_paths=20)
    result = forecast_all(history, settings=settings)
    ids = result.paths["unique_id"].unique().to_list()
    leaves = result.paths.filter(pl.col("unique_id").is_in(build_hierarchy(ids).bottom))

    shapes = drills.day_shapes(hourly, until=as_of)
    scenario = drills.scenario_from_args(
        name=f"double {CUSTOMERS[0]}", target=f"customer:{CUSTOMERS[0]}", multiplier=2.0
    )
    drill = drills.run_drill(plan, leaves, shapes, scenario)
    assert set(drill.verdicts["workload_class"]) - {"all"}

    triggers = expansion_triggers(result.forecast, plan, as_of=as_of)
    assert set(triggers.triggers["region"]) <= set(REGIONS)
    end = result.forecast["ds"].max()
    assert isinstance(end, date)
    named = pl.lit(scenario.name).alias("drill")
    inputs = ReportInputs(
        run_id="hostile",
        as_of=as_of,
        generated_at=datetime(2026, 11, 1, 6, tzinfo=UTC),
        plan=plan,
        history=history,
        forecast=result.forecast.with_columns(pl.lit("hostile").alias("run_id")),
        capacity=capacity_timeline(plan, start=history["ds"].min(), end=end),
        triggers=triggers.triggers,
        drivers=triggers.drivers,
        idle_risk=triggers.idle_risk,
        mw_by_site_month=mw_by_site_month(plan, triggers.triggers, start=as_of, end=end),
        drill_verdicts=drill.verdicts.with_columns(named),
        drill_kpis=drill.kpis.with_columns(named),
        drill_curves=drill.backlog_curve.with_columns(named),
        drill_answers=pl.DataFrame(
            [
                {
                    "drill": scenario.name,
                    "description": scenario.description,
                    "target": str(scenario.target),
                    "shock_start": drill.shock_start,
                    "passed": drill.passed,
                }
            ],
            schema=DRILL_ANSWERS_SCHEMA,
        ),
    )
    folder = publish_report(inputs, root=tmp_path / "reports")
    pages = {p.name: p.read_text() for p in folder.glob("*.html")}
    # The figures' JSON holds names as plotly text (checked in test_report); the rest is HTML.
    html = {k: _FIGURES.sub("", v) for k, v in pages.items()}
    for name in (*REGIONS, *CUSTOMERS):
        assert html_text(name) == name or not [k for k, v in html.items() if name in v], name
    for region in REGIONS:
        assert html_text(region) in html["finance.html"], region  # a trigger's region
    assert html_text(scenario.name) in html["platform.html"]  # the drill named for a customer
    assert CUSTOMERS[1] not in "".join(pages.values())


def test_ancestor_reads_each_depth_above_an_id_and_the_id_itself_below_it() -> None:
    """A contract lifts its own series and every level above it: each depth's ancestor of a
    customer's id, the total at depth 0, and a region's own id at the depths past it."""
    frame = pl.DataFrame(
        {"unique_id": [hierarchy.id_of("us-east", "inference", "acme"), "total/eu"]}
    )
    got = [frame.select(hierarchy.ancestor(at))["unique_id"].to_list() for at in range(4)]
    assert got == [
        ["total", "total"],
        ["total/us-east", "total/eu"],
        ["total/us-east/inference", "total/eu"],
        ["total/us-east/inference/acme", "total/eu"],
    ]
