"""The synthetic fleet: deterministic, schema-exact, and shaped like a real GPU cloud."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from forecasting.capacity import ALL_CLASSES, capacity_timeline, parse_capacity
from forecasting.events import read_events
from forecasting.schema import (
    EVENTS_SCHEMA,
    TELEMETRY_KEY,
    TELEMETRY_SCHEMA,
    BlockKind,
    BlockStatus,
)
from forecasting.synth import (
    ANCHOR_CUSTOMER,
    SyntheticFleet,
    synthetic_fleet,
    write_fleet,
)

END = date(2026, 6, 30)
DEMAND = pl.col("gpus_running") + pl.col("gpus_queued")


@pytest.fixture(scope="module")
def fleet() -> SyntheticFleet:
    """A fleet long enough for seasonal and growth measurements, small enough to be quick."""
    return synthetic_fleet(days=400, customers=120, seed=3, end=END)


@pytest.fixture(scope="module")
def small() -> SyntheticFleet:
    return synthetic_fleet(days=45, customers=20, seed=1, end=END)


def _hourly(telemetry: pl.DataFrame, *filters: pl.Expr) -> pl.DataFrame:
    """Summed hourly demand over the rows matching ``filters``, sorted by hour."""
    return telemetry.filter(*filters).group_by("ts").agg(y=DEMAND.sum()).sort("ts")


def _autocorrelation(values: np.ndarray, lag: int) -> float:
    centred = values - values.mean()
    return float(np.dot(centred[:-lag], centred[lag:]) / np.dot(centred, centred))


def test_same_seed_gives_identical_fleet(small: SyntheticFleet) -> None:
    """Same arguments reproduce the telemetry, capacity text and events exactly."""
    again = synthetic_fleet(days=45, customers=20, seed=1, end=END)
    assert again.telemetry.hash_rows().sum() == small.telemetry.hash_rows().sum()
    assert again.telemetry.equals(small.telemetry)
    assert again.capacity_toml == small.capacity_toml
    assert again.events.equals(small.events)


def test_different_seed_gives_different_fleet(small: SyntheticFleet) -> None:
    """Another seed changes the data."""
    other = synthetic_fleet(days=45, customers=20, seed=2, end=END)
    assert other.telemetry.hash_rows().sum() != small.telemetry.hash_rows().sum()


def test_telemetry_matches_the_schema_exactly(fleet: SyntheticFleet) -> None:
    """Columns, order and dtypes are TELEMETRY_SCHEMA; the key is unique; ts is hourly UTC."""
    telemetry = fleet.telemetry
    assert telemetry.schema == TELEMETRY_SCHEMA
    assert telemetry.select(TELEMETRY_KEY).is_duplicated().sum() == 0
    assert telemetry.filter(pl.col("ts").dt.truncate("1h") != pl.col("ts")).is_empty()
    assert telemetry["ts"].min() == datetime(2025, 5, 27, tzinfo=UTC)
    assert telemetry["ts"].max() == datetime(2026, 6, 30, 23, tzinfo=UTC)
    assert telemetry.select(pl.col("gpus_running", "gpus_queued").min()).min_horizontal()[0] >= 0
    assert fleet.events.schema == EVENTS_SCHEMA


def test_end_defaults_to_yesterday_utc() -> None:
    """Without ``end`` the data ends on the last full UTC day, so it reads as current."""
    fleet = synthetic_fleet(days=28, customers=12)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert fleet.telemetry["ts"].max().date() == yesterday


def test_too_small_a_fleet_is_refused() -> None:
    """Arguments too small for the fleet's structure raise ValueError naming the argument."""
    with pytest.raises(ValueError, match="days"):
        synthetic_fleet(days=5)
    with pytest.raises(ValueError, match="customers"):
        synthetic_fleet(customers=3)


def test_inference_has_a_daily_cycle(fleet: SyntheticFleet) -> None:
    """Detrended hourly inference correlates strongly at lag 24 h and negatively at 12 h."""
    hourly = _hourly(
        fleet.telemetry, pl.col("workload_class") == "inference", pl.col("region") == "us-east"
    )
    y = hourly["y"].to_numpy()
    detrended = y / np.convolve(y, np.ones(168) / 168, mode="same")
    inner = detrended[168:-168]
    assert _autocorrelation(inner, 24) > 0.5
    assert _autocorrelation(inner, 12) < 0.0


def test_inference_has_a_weekly_cycle(fleet: SyntheticFleet) -> None:
    """Weekday inference runs at least 5 % above weekends once the trend is divided out."""
    daily = (
        fleet.telemetry.filter(pl.col("workload_class") == "inference")
        .group_by(day=pl.col("ts").dt.date())
        .agg(y=DEMAND.sum())
        .sort("day")
        .with_columns(ratio=pl.col("y") / pl.col("y").rolling_mean(7, center=True))
        .drop_nulls()
    )
    weekend = daily.filter(pl.col("day").dt.weekday() >= 6)["ratio"].mean()
    weekday = daily.filter(pl.col("day").dt.weekday() < 6)["ratio"].mean()
    assert isinstance(weekend, float)
    assert isinstance(weekday, float)
    assert weekday / weekend > 1.05


def test_inference_grows_40_to_80_percent_a_year(fleet: SyntheticFleet) -> None:
    """Annualised growth of inference between the first and last 60 days is in a real range."""
    daily = (
        fleet.telemetry.filter(pl.col("workload_class") == "inference")
        .group_by(day=pl.col("ts").dt.date())
        .agg(y=DEMAND.sum())
        .sort("day")
    )
    first, last = daily["y"].head(60).mean(), daily["y"].tail(60).mean()
    assert isinstance(first, float)
    assert isinstance(last, float)
    years = (daily.height - 60) / 365.25
    annual = (last / first) ** (1 / years) - 1
    # Launches add their steps on top of the 40-80 % trend.
    assert 0.4 < annual < 1.6


def test_top_customer_holds_a_quarter_to_two_fifths_of_inference(fleet: SyntheticFleet) -> None:
    """The anchor customer's share of inference GPU-hours is within 25-40 %; a long tail exists."""
    shares = (
        fleet.telemetry.filter(pl.col("workload_class") == "inference")
        .group_by("customer")
        .agg(y=DEMAND.sum())
        .with_columns(share=pl.col("y") / pl.col("y").sum())
        .sort("share", descending=True)
    )
    assert shares["customer"][0] == ANCHOR_CUSTOMER
    assert 0.25 <= shares["share"][0] <= 0.40
    assert shares.filter(pl.col("share") < 0.005).height >= 20


def test_customers_are_sparse(fleet: SyntheticFleet) -> None:
    """Every customer is active in one or two regions and at most three classes."""
    spread = fleet.telemetry.group_by("customer").agg(
        pl.col("region").n_unique(), pl.col("workload_class").n_unique()
    )
    assert spread["region"].max() <= 2
    assert spread["workload_class"].max() <= 3


def test_training_is_step_like(fleet: SyntheticFleet) -> None:
    """Training holds whole jobs: most hours change nothing, and changes are 256+ GPU steps."""
    training = fleet.telemetry.filter(pl.col("workload_class") == "training")
    steps = (
        training.sort("ts")
        .with_columns(step=DEMAND.diff().over("region", "customer"))
        .drop_nulls("step")
    )
    assert (steps["step"] == 0).mean() > 0.9
    moves = steps.filter(pl.col("step") != 0)["step"].abs()
    assert (moves >= 256).mean() > 0.5
    job_sizes = set(training["gpus_running"].filter(training["gpus_queued"] == 0).unique())
    assert {256.0, 512.0, 1024.0, 2048.0} & job_sizes


def test_evaluation_bursts_follow_training(fleet: SyntheticFleet) -> None:
    """The training customers' evaluation runs in bursts: present on some days, absent on others."""
    evaluation = fleet.telemetry.filter(
        pl.col("workload_class") == "evaluation", pl.col("customer") == ANCHOR_CUSTOMER
    )
    active_days = evaluation["ts"].dt.date().n_unique()
    assert 10 < active_days < 400 * 0.9


def test_queued_demand_appears_only_near_capacity(fleet: SyntheticFleet) -> None:
    """Hours queue only where demand reaches 90 % of the capacity it may use.

    The anchor's dedicated pod serves nobody else, so it is left out on both sides; training
    may also queue on its own when the fabric pods are full.
    """
    queued = fleet.telemetry.filter(pl.col("gpus_queued") > 0)
    assert queued.height > 0
    plan = parse_capacity(fleet.capacity_toml)
    start = fleet.telemetry["ts"].min().date()
    capacity = capacity_timeline(plan, start=start, end=END)
    shared = capacity.filter(pl.col("workload_class") == ALL_CLASSES).select(
        "ds", "region", "dedicated_gpus", shared=pl.col("gpus") - pl.col("dedicated_gpus")
    )
    fabric = capacity.filter(pl.col("workload_class") == "training").select(
        "ds", "region", fabric="gpus"
    )
    anchor = (pl.col("customer") == ANCHOR_CUSTOMER) & (pl.col("workload_class") == "inference")
    training = pl.col("workload_class") == "training"
    busy = (
        fleet.telemetry.join(queued.select("region", "ts").unique(), on=["region", "ts"])
        .group_by("region", "ts")
        .agg(
            total=DEMAND.sum(),
            anchor=DEMAND.filter(anchor).sum(),
            training=DEMAND.filter(training).sum(),
            others_queued=pl.col("gpus_queued").filter(~training).sum(),
        )
        .with_columns(ds=pl.col("ts").dt.date())
        .join(shared, on=["ds", "region"])
        .join(fabric, on=["ds", "region"])
    )
    assert busy.height == queued.select("region", "ts").n_unique()
    near = busy.select(
        shared=(pl.col("total") - pl.min_horizontal("anchor", "dedicated_gpus")) / pl.col("shared")
        >= 0.9,
        fabric=(pl.col("others_queued") == 0) & (pl.col("training") / pl.col("fabric") >= 0.9),
    )
    assert (near["shared"] | near["fabric"]).all()


def test_inference_is_served_before_lower_tiers(fleet: SyntheticFleet) -> None:
    """Queued GPU-hours fall mostly on the deferrable and preemptible classes."""
    queued = fleet.telemetry.group_by("workload_class").agg(pl.col("gpus_queued").sum())
    by_class = dict(queued.iter_rows())
    lower = by_class["batch"] + by_class["experimentation"] + by_class["evaluation"]
    assert by_class["inference"] <= lower


def test_a_telemetry_outage_leaves_a_gap(fleet: SyntheticFleet) -> None:
    """One region misses a few consecutive hours that the other regions report."""
    hours = fleet.telemetry.select("region", "ts").unique()
    every_hour = hours["ts"].unique()
    gaps = {
        region: every_hour.filter(~every_hour.is_in(hours.filter(pl.col("region") == region)["ts"]))
        for region in hours["region"].unique()
    }
    missing = {region: gap for region, gap in gaps.items() if gap.len()}
    assert list(missing) == ["eu-west"]
    gap = missing["eu-west"].sort()
    assert 3 <= gap.len() <= 6
    assert (gap.diff().drop_nulls() == timedelta(hours=1)).all()


def test_gpu_type_matches_the_blocks_of_each_cluster(fleet: SyntheticFleet) -> None:
    """Every (cluster, gpu_type) in telemetry is a site of the plan with blocks of that GPU."""
    plan = parse_capacity(fleet.capacity_toml)
    sites = {(b.site, b.gpu_type) for b in plan.block}
    used = set(fleet.telemetry.select("cluster", "gpu_type").unique().iter_rows())
    assert used <= sites
    assert len(fleet.telemetry["region"].unique()) == 3


def test_launches_are_recorded_as_events(fleet: SyntheticFleet) -> None:
    """Events name real customers and regions; one announced launch lies after the data."""
    events = fleet.events
    assert events.height >= 3
    assert set(events["customer"]) <= set(fleet.telemetry["customer"])
    assert events.filter(pl.col("date") > END)["customer"].to_list() == [ANCHOR_CUSTOMER]
    # Every launch is announced before it happens; the planned one before the data ends.
    assert (events["announced"] < events["date"]).all()
    assert events.filter(pl.col("date") > END)["announced"].max() <= END  # type: ignore[operator]


def test_capacity_plan_keeps_every_region_ahead_past_the_horizon(
    fleet: SyntheticFleet,
) -> None:
    """The plan covers today's peaks and its pipeline grows past the horizon everywhere (us-east
    is planned at the thinnest cover over its projected need, 1.15x against 1.25x)."""
    plan = parse_capacity(fleet.capacity_toml)
    statuses = {b.status for b in plan.block}
    assert statuses == {BlockStatus.LIVE, BlockStatus.COMMITTED, BlockStatus.RETIRING}
    assert all(b.in_service and b.in_service > END for b in plan.block if b.status == "committed")
    assert [b.dedicated_customer for b in plan.block if b.dedicated_customer] == [ANCHOR_CUSTOMER]
    lead = {c.kind: c.lead_time_weeks for c in plan.candidate}
    assert 8 <= lead[BlockKind.RACK] <= 12
    assert 26 <= lead[BlockKind.POD] <= 40
    assert 78 <= lead[BlockKind.CELL] <= 104
    assert all(30_000 <= c.capex_usd / c.gpus <= 45_000 for c in plan.candidate)
    assert all(1.2 <= round(1000 * b.mw / b.gpus, 2) <= 1.8 for b in plan.block)  # kW/GPU

    daily = (
        fleet.telemetry.group_by("region", "ts")
        .agg(y=DEMAND.sum())
        .group_by("region", day=pl.col("ts").dt.date())
        .agg(pl.col("y").max())
    )
    horizon = END + timedelta(days=182)
    cover, last_commit = {}, {}
    for region in plan.regions:
        peak = daily.filter(pl.col("region") == region)["y"].tail(28).max()
        gpus = (
            capacity_timeline(plan, start=END, end=horizon)
            .filter(pl.col("region") == region, pl.col("workload_class") == ALL_CLASSES)
            .sort("ds")["gpus"]
        )
        assert peak <= gpus[0], f"{region} is short already"
        cover[region] = gpus[-1] / peak
        last_commit[region] = max(
            b.in_service
            for b in plan.block
            if b.region == region and b.status == "committed" and b.kind is not BlockKind.CELL
        )
    assert all(last > horizon for last in last_commit.values())
    # The pipeline grows capacity with the projected need in every region.
    assert all(c > 1.2 for c in cover.values())


def test_power_is_secured_ahead_except_in_the_tight_region(fleet: SyntheticFleet) -> None:
    """Every site has power for its blocks on every day (energized MW at least their draw).
    us-west and eu-west have contracted as much again, energized six months after the data;
    us-east, the tight region, a quarter more and 18 months out, so its sites carry the power
    triggers."""
    plan = parse_capacity(fleet.capacity_toml)
    for site in plan.site:
        blocks = [b for b in plan.block if b.site == site.id]
        for day in sorted({b.in_service for b in blocks if b.in_service} | {END}):
            drawn = sum(b.mw for b in blocks if b.in_service_on(day))
            energized = max((s.mw for s in site.energized if s.on <= day), default=0.0)
            assert drawn <= energized + 1e-9, f"{site.id} has {energized} MW for {drawn} on {day}"
        if site.contracted_mw == 0:
            continue  # a site that only retires blocks
        last = site.energized[-1].mw
        assert site.contracted_energized is not None
        months_out = (site.contracted_energized - END).days / 30.4
        if site.region == "us-east":
            assert site.contracted_mw <= 0.3 * last and months_out >= 17
        else:
            assert site.contracted_mw >= last and months_out <= 7


def test_every_region_with_sites_declares_its_next_site(fleet: SyntheticFleet) -> None:
    """The plan says what one more site takes in each region that has sites (a build time in
    the 18-36 months of DOMAIN.md, a cost per MW no cheaper than its sites' and a ceiling), so
    the demo's construction trigger is dated, not "build time not declared"."""
    plan = parse_capacity(fleet.capacity_toml)
    declared = plan.new_sites
    assert set(declared) == {s.region for s in plan.site}
    for region, new in declared.items():
        assert 18 <= new.build_months <= 36
        dearest = max(s.cost_per_mw_usd for s in plan.site if s.region == region)
        assert new.cost_per_mw_usd >= dearest
        assert new.ceiling_mw is not None and new.ceiling_mw > 0


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_write_fleet_round_trips(small: SyntheticFleet, tmp_path: Path, file_format: str) -> None:
    """Monthly telemetry files read back equal to the frame; capacity and events come along."""
    written = write_fleet(small, tmp_path, file_format=file_format)  # type: ignore[arg-type]
    names = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert {"capacity.toml", "events.csv"} <= set(names)
    assert not [n for n in names if n.endswith(".tmp")]
    months = sorted(p for p in written if p.parent == tmp_path / "telemetry")
    assert [p.name for p in months] == [
        f"telemetry-2026-05.{file_format}",
        f"telemetry-2026-06.{file_format}",
    ]
    if file_format == "parquet":
        back = pl.concat([pl.read_parquet(p) for p in months])
    else:
        assert months[0].read_text().splitlines()[1].split(",")[0].endswith("Z")
        text_schema = TELEMETRY_SCHEMA | {"ts": pl.String}
        back = pl.concat([pl.read_csv(p, schema=text_schema) for p in months]).with_columns(
            pl.col("ts").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_unit="us", time_zone="UTC")
        )
    assert back.equals(small.telemetry)
    assert (tmp_path / "capacity.toml").read_text() == small.capacity_toml
    events = read_events(tmp_path / "events.csv")
    assert events.problems.is_empty()
    assert events.events.equals(small.events)


@pytest.mark.parametrize("seed", range(16))
def test_any_seed_makes_a_fleet(seed: int) -> None:
    """Small fleets generate for every seed, also when a class draws no customer series."""
    fleet = synthetic_fleet(days=70, customers=12, seed=seed, end=END)
    assert fleet.telemetry.height > 0
    assert parse_capacity(fleet.capacity_toml).block
