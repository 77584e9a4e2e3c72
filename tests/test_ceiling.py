"""Regions whose telemetry ran at the plan's ceiling with nothing queued, or past it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from telemetry_files import write_csv

from forecasting import runs
from forecasting.capacity import CapacityPlan, parse_capacity
from forecasting.ceiling import MIN_HOURS, plan_disagreement_lines, plan_disagreements
from forecasting.schema import WorkloadClass

POLICIES = "\n".join(
    f'[policy.{c.value}]\ntier = "t{i}"\npriority = {i + 1}\n' for i, c in enumerate(WorkloadClass)
)

# 256 GPUs in eu-west from the start; 256 more from 2025-03-02 (a block landing mid-history).
PLAN = (
    POLICIES
    + """
[[block]]
id = "eu-rack-1"
kind = "rack"
region = "eu-west"
site = "eu-west-a"
gpu_type = "H100"
gpus = 256
mw = 0.4
status = "live"
in_service = 2025-01-01

[[block]]
id = "eu-rack-2"
kind = "rack"
region = "eu-west"
site = "eu-west-a"
gpu_type = "H100"
gpus = 256
mw = 0.4
status = "live"
in_service = 2025-03-02
"""
)

START = datetime(2025, 3, 1, tzinfo=UTC)


def _plan() -> CapacityPlan:
    return parse_capacity(PLAN, today=(START + timedelta(days=1)).date())


def _hours(
    served: list[float], queued: list[float], *, region: str = "eu-west", pool: str = "all"
) -> pl.DataFrame:
    """A region's hourly sums in one pool from START on."""
    return pl.DataFrame(
        {
            "region": region,
            "pool": pool,
            "ts": [START + timedelta(hours=h) for h in range(len(served))],
            "served": served,
            "queued": queued,
        }
    ).with_columns(pl.col("ts").dt.cast_time_unit("us"))


def test_a_full_region_that_queued_nothing_is_a_floor_not_a_measure() -> None:
    """A region that ran 252 of its 256 GPUs for 8 hours while its file wrote 0 queued (a
    scheduler that does not export its queue) loaded as demand of 252 and was forecast as
    such, without a word: a planner reading it forecasts its own ceiling. Those hours are
    named, and said to be a floor censored at capacity."""
    served = [100.0] * 4 + [252.0] * 8 + [100.0] * 4
    found = plan_disagreements(_hours(served, [0.0] * 16), _plan())
    assert found.select("region", "pool", "rule", "hours", "served", "capacity").rows() == [
        ("eu-west", "all", "ceiling", 8, 252.0, 256)
    ]
    assert found["first"][0] == START + timedelta(hours=4)
    (line,) = plan_disagreement_lines(found, plan="capacity.toml")
    assert line.startswith(
        "eu-west served at its ceiling with nothing queued for 8 hours (2025-03-01 04:00 to "
        "2025-03-01 11:00 UTC; at least 98% of the GPUs capacity.toml has in service there, "
        "up to 252 of 256)"
    )
    assert "a floor censored at capacity" in line and "export the scheduler's queue" in line


def test_a_full_region_with_a_queue_says_its_demand_and_is_not_flagged() -> None:
    """The same hours with work queued are measured demand (served plus queued): no line.
    Nor are fewer than MIN_HOURS full hours (a queue that drained), nor a region at 97 %."""
    served = [100.0] * 4 + [252.0] * 8 + [100.0] * 4
    queued = [0.0] * 4 + [30.0] * 8 + [0.0] * 4
    assert plan_disagreements(_hours(served, queued), _plan()).is_empty()
    brief = [252.0] * (MIN_HOURS - 1) + [100.0] * 10
    assert plan_disagreements(_hours(brief, [0.0] * len(brief)), _plan()).is_empty()
    below = [0.97 * 256] * 24
    assert plan_disagreements(_hours(below, [0.0] * 24), _plan()).is_empty()


def test_the_ceiling_is_the_plans_gpus_in_service_that_day() -> None:
    """A block landing on 2025-03-02 doubles the region: 300 GPUs ran on its first day are
    well under the 512 then in service, while on the day before they ran past the 256 the
    plan had: the over-plan hours are those of 2025-03-01 alone, against 256."""
    served = [300.0] * 48
    found = plan_disagreements(_hours(served, [0.0] * 48), _plan())
    assert found.select("rule", "hours", "capacity").rows() == [("over", 24, 256)]
    (line,) = plan_disagreement_lines(found, plan="capacity.toml")
    assert line.startswith(
        "eu-west ran more GPUs than capacity.toml has in service there for 24 hours "
        "(2025-03-01 00:00 to 2025-03-01 23:00 UTC; up to 300 against 256)"
    )


def test_training_at_its_fabric_ceiling_is_said_apart_from_its_region() -> None:
    """Training runs only on a fabric: a region with 256 GPUs of racks beside a 128-GPU pod
    has room, but training holding all 128 pod GPUs for 8 hours with nothing queued is a full
    training pool, its demand a floor the training trigger reads. Said as training's, against
    the pod's GPUs; the region's own hours (racks idle) are not flagged."""
    pod = (
        "\n[[block]]\n"
        'id = "eu-pod"\nkind = "pod"\nregion = "eu-west"\nsite = "eu-west-a"\n'
        'gpu_type = "H100"\ngpus = 128\nmw = 0.2\nstatus = "live"\nin_service = 2025-01-01\n'
        "fabric = true\n"
    )
    plan = parse_capacity(PLAN + pod, today=(START + timedelta(days=1)).date())
    training = _hours([128.0] * 8, [0.0] * 8, pool="training")
    region = _hours([200.0] * 8, [0.0] * 8)
    found = plan_disagreements(pl.concat([region, training]), plan)
    assert found.select("region", "pool", "rule", "hours", "capacity").rows() == [
        ("eu-west", "training", "ceiling", 8, 128)
    ]
    (line,) = plan_disagreement_lines(found, plan="capacity.toml")
    assert line.startswith(
        "training in eu-west served at its ceiling with nothing queued for 8 hours "
        "(2025-03-01 00:00 to 2025-03-01 07:00 UTC; at least 98% of the GPUs capacity.toml has "
        "in service there on blocks training may run on, up to 128 of 128)"
    )


def test_a_region_the_plan_has_nothing_in_service_for_is_not_judged() -> None:
    """Telemetry of a region without blocks is another warning's (the plan lacks it): no
    ceiling of zero GPUs is read as run past."""
    found = plan_disagreements(_hours([50.0] * 12, [0.0] * 12, region="mars-north"), _plan())
    assert found.is_empty()
    assert plan_disagreements(_hours([1.0], [0.0]).clear(), _plan()).is_empty()


def test_the_plans_warnings_name_a_region_censored_at_its_ceiling(tmp_path: Path) -> None:
    """Through ingest and `plan_warnings_for` (what forecast, drill, report and run print): a
    file whose eu-west ran full with 0 queued for 10 hours reads one warning naming the
    region and the plan's file; the same file with a queue in those hours reads none."""
    plan = tmp_path / "capacity.toml"
    plan.write_text(PLAN, encoding="utf-8")
    for queued, flagged in ((0, True), (12, False)):
        rows = [
            f"2025-03-01T{h:02d}:00:00Z,eu-west,c1,inference,acme,H100,"
            f"{254 if 6 <= h < 16 else 120},{queued if 6 <= h < 16 else 0}"
            for h in range(24)
        ]
        warehouse = tmp_path / f"w{queued}.duckdb"
        csv = write_csv(tmp_path / f"day{queued}.csv", *rows)
        assert runs.load_telemetry_file(csv, warehouse, None).status == "loaded"
        said = [w for w in runs.plan_warnings_for(warehouse, plan) if "ceiling" in w]
        assert bool(said) is flagged, said
        if flagged:
            assert said == [
                f"warning: eu-west served at its ceiling with nothing queued for 10 hours "
                f"(2025-03-01 06:00 to 2025-03-01 15:00 UTC; at least 98% of the GPUs {plan} "
                "has in service there, up to 254 of 256): what it turned away left no "
                "telemetry, so its demand there reads as what ran, a floor censored at "
                "capacity, and its forecast and triggers read low; export the scheduler's "
                "queue as gpus_queued (or queued_gpu_hours), or check the plan's blocks in "
                "eu-west"
            ]


def test_every_page_says_a_region_censored_at_its_ceiling() -> None:
    """Finance read a region's orders off demand that was a floor, and the pages never said
    so: each page carries the line under "Telemetry against the plan", and a report without
    one shows no such banner."""
    from dataclasses import replace

    from test_report import html_text, sample_inputs

    from forecasting.report.pages import facilities_page, finance_page, platform_page

    served = [252.0] * 8
    (line,) = plan_disagreement_lines(
        plan_disagreements(_hours(served, [0.0] * 8), _plan()), plan="the capacity plan"
    )
    inputs = replace(sample_inputs(), plan_disagreements=(line,))
    for page in (finance_page(inputs), facilities_page(inputs), platform_page(inputs)):
        assert html_text(f"Telemetry against the plan: {line}.") in page
    assert "Telemetry against the plan" not in finance_page(sample_inputs())


def test_a_trace_of_arrivals_at_its_plans_ceiling_is_demand_not_a_floor(tmp_path: Path) -> None:
    """ServeGen's GPUs are the requests that arrived, its queue 0 by construction: on a plan
    whose GPUs equal its busiest hour, the rule read the trace as a full region hiding its
    queue ("a floor censored at capacity"), which arrivals never are. Its rows are left out of
    both rules; the same hours read from a file of served GPUs are flagged."""
    from forecasting import ingest, warehouse
    from forecasting.traces import ARRIVAL_FORMATS

    # One client at 1 request/s in every 10-minute window of a day: 10 GPUs of deepseek-r1.
    trace = tmp_path / "sg.csv"
    trace.write_text(
        "category,model,client_id,t_s,rate_rps,cv,arrival_pattern,pat_arg1,pat_arg2\n"
        + "".join(
            f"language,deepseek-r1,0,{t},1.0,1.0,Gamma,1.0,1.0\n" for t in range(0, 86_400, 600)
        ),
        encoding="utf-8",
    )
    path = tmp_path / "s.duckdb"
    with warehouse.connect(path) as wh:
        ingest.ingest_file(wh, trace, file_format="servegen")
        hours = wh.region_hours()
    assert "servegen" in ARRIVAL_FORMATS
    (region,) = hours["region"].unique().to_list()
    busiest = round(hours["served"].max())  # type: ignore[arg-type]
    plan = tmp_path / "capacity.toml"
    plan.write_text(
        PLAN.replace('region = "eu-west"', f'region = "{region}"')
        .replace("gpus = 256", f"gpus = {busiest}", 1)
        .replace("in_service = 2025-01-01", "in_service = 2020-01-01")
        .replace("in_service = 2025-03-02", "in_service = 2030-01-01")
        .replace('status = "live"\nin_service = 2030', 'status = "committed"\nin_service = 2030'),
        encoding="utf-8",
    )
    from forecasting.capacity import load_capacity

    assert not plan_disagreements(hours, load_capacity(plan)).is_empty()  # as if served
    said = [w for w in runs.plan_warnings_for(path, plan) if "ceiling" in w or "ran more" in w]
    assert said == []


def test_report_aggregates_the_telemetry_by_region_and_hour_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fleetcast report` (and `run`, `demo`) summed the telemetry by region and hour twice:
    once for the pages' "Telemetry against the plan", once more for the terminal's plan
    warnings, the same hours of the same as-of day (0.26 to 0.32 s a pass on the demo's
    warehouse). It is read once, and the terminal still says the warning naming the plan."""
    from flows.cli import main
    from forecasting.warehouse import Warehouse

    plan = tmp_path / "capacity.toml"
    plan.write_text(PLAN, encoding="utf-8")
    rows = [
        f"2025-03-{d:02d}T{h:02d}:00:00Z,eu-west,c1,inference,acme,H100,"
        f"{254 if d == 1 and 6 <= h < 16 else 120},0"
        for d in range(1, 11)
        for h in range(24)
    ]
    warehouse = tmp_path / "w.duckdb"
    assert (
        runs.load_telemetry_file(write_csv(tmp_path / "t.csv", *rows), warehouse, None).status
        == "loaded"
    )
    argv = ["--warehouse", str(warehouse), "--capacity", str(plan)]
    argv += ["--reports", str(tmp_path / "reports")]
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert main([*argv, "forecast", "--horizon", "7"]) == 0
    capsys.readouterr()
    calls = []
    region_hours = Warehouse.region_hours

    def counted(self: Warehouse, **kwargs: object) -> pl.DataFrame:
        calls.append(kwargs)
        return region_hours(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Warehouse, "region_hours", counted)
    assert main([*argv, "report"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "warning: eu-west served at its ceiling with nothing queued for 10 hours" in err
    assert f"at least 98% of the GPUs {plan} has in service there" in err
    assert len(calls) == 1, calls
