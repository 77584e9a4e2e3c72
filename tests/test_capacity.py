"""capacity.toml parsing errors and the daily capacity timelines built from a plan."""

from __future__ import annotations

import io
import re
import tomllib
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from flows.tables import capacity_tables
from forecasting import synth
from forecasting.capacity import (
    ALL_CLASSES,
    BLOCK_TIMELINE_SCHEMA,
    CAPACITY_TIMELINE_SCHEMA,
    CapacityError,
    CapacityPlan,
    block_timeline,
    capacity_timeline,
    dump_plan,
    load_capacity,
    parse_capacity,
    stray_dedicated_warnings,
    unplanned_regions,
)
from forecasting.resources import sample_capacity
from forecasting.schema import WorkloadClass
from forecasting.traces.helios import helios_capacity_toml

HELIOS_QUOTAS = Path(__file__).parent / "fixtures/traces/helios_earth_vc_gpu_capacity_daily.csv"

POLICIES = "\n".join(
    f'[policy.{c.value}]\ntier = "t{i}"\npriority = {i + 1}\n' for i, c in enumerate(WorkloadClass)
)

# Five blocks in one region, one of each case the timeline must get right.
HAND_BUILT = (
    POLICIES
    + """
[[block]]
id = "pod-1"
kind = "pod"
region = "r1"
site = "r1-a"
gpu_type = "H100"
gpus = 1024
mw = 1.5
status = "live"
in_service = 2026-01-01
fabric = true

[[block]]
id = "rack-always"
kind = "rack"
region = "r1"
site = "r1-b"
gpu_type = "H100"
gpus = 256
mw = 0.4
status = "live"

[[block]]
id = "rack-new"
kind = "rack"
region = "r1"
site = "r1-b"
gpu_type = "H100"
gpus = 128
mw = 0.2
status = "committed"
in_service = 2026-03-10

[[block]]
id = "rack-old"
kind = "rack"
region = "r1"
site = "r1-b"
gpu_type = "A100"
gpus = 64
mw = 0.08
status = "retiring"
in_service = 2020-01-01
retire = 2026-03-05

[[block]]
id = "pod-acme"
kind = "pod"
region = "r1"
site = "r1-a"
gpu_type = "H100"
gpus = 512
mw = 0.75
status = "live"
in_service = 2026-03-01
fabric = true
classes = ["inference"]
dedicated_customer = "acme"
"""
)


def _block(**fields: object) -> str:
    base: dict[str, object] = {
        "id": "b1",
        "kind": "rack",
        "region": "r1",
        "site": "r1-a",
        "gpu_type": "H100",
        "gpus": 64,
        "mw": 0.1,
        "status": "live",
    }
    base.update(fields)
    lines = [f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}" for k, v in base.items()]
    return "[[block]]\n" + "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def plan() -> CapacityPlan:
    return parse_capacity(HAND_BUILT)


@pytest.fixture(scope="module")
def timeline(plan: CapacityPlan) -> pl.DataFrame:
    return capacity_timeline(plan, start=date(2026, 3, 1), end=date(2026, 3, 15))


def _gpus(timeline: pl.DataFrame, day: date, workload_class: str) -> int:
    row = timeline.filter(pl.col("ds") == day, pl.col("workload_class") == workload_class)
    assert row.height == 1
    return int(row["gpus"][0])


def test_the_sample_plan_parses() -> None:
    """The sample plan shipped as package data (from `fleetcast synth`) is valid, every region."""
    plan = parse_capacity(sample_capacity().read_text(encoding="utf-8"))
    assert plan.regions == ("eu-west", "us-east", "us-west")
    assert {c for c in plan.policy} == set(WorkloadClass)


@pytest.mark.parametrize(
    ("path", "named"),
    [
        (("gpu_type", "H100", "h100_equivalent"), "gpu_type.H100.h100_equivalent"),
        (("candidate", 0, "capex_usd"), "[[candidate]] 'rack-h100-256' field capex_usd"),
        (("candidate", 0, "mw"), "[[candidate]] 'rack-h100-256' field mw"),
        (("block", 0, "mw"), "[[block]] 'us-east-pod-01' field mw"),
        (("policy", "inference", "price_per_gpu_hour"), "policy.inference.price_per_gpu_hour"),
        (("policy", "training", "mean_job_hours"), "policy.training.mean_job_hours"),
        (("site", 0, "cost_per_mw_usd"), "[[site]] 'us-east-a' field cost_per_mw_usd"),
        (("site", 0, "ceiling_mw"), "[[site]] 'us-east-a' field ceiling_mw"),
        (("response", "burst", "price_per_gpu_hour"), "response.burst.price_per_gpu_hour"),
        (("response", "migrate", "cost_per_gpu_hour"), "response.migrate.cost_per_gpu_hour"),
    ],
)
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_plan_figure_names_entry_and_field(
    path: tuple[str | int, ...], named: str, value: float
) -> None:
    """TOML's inf passed every bound (ge=0): an infinite H100-equivalent reached the triggers
    as an OverflowError and an infinite capex read "$infM". Every float must be finite."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    entry = document
    for key in path[:-1]:
        entry = entry[key]
    entry[path[-1]] = value
    with pytest.raises(CapacityError, match=re.escape(named) + ": Input should be a finite"):
        parse_capacity(tomli_w.dumps(document), source="plan.toml")


def test_a_folder_as_the_plan_is_named(tmp_path: Path) -> None:
    """--capacity naming a folder is a clear error, not IsADirectoryError's trace."""
    with pytest.raises(CapacityError, match="a folder, not a capacity plan"):
        load_capacity(tmp_path)


def test_a_candidate_region_the_plan_lacks_is_refused() -> None:
    """A candidate's ``regions`` naming a region with no block and no site ("eu-wets") is a
    typo that left the real region without that block type: the check names it."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    document["candidate"][1]["regions"] = ["eu-wets"]
    with pytest.raises(
        CapacityError,
        match=re.escape("[[candidate]] 'rack-h200-256' field regions: 'eu-wets' has no [[block]]"),
    ):
        parse_capacity(tomli_w.dumps(document))


def test_a_response_region_the_plan_lacks_is_refused() -> None:
    """`[response] regions = ["mars"]` left every real region without the migrate, spares,
    burst and expedite rungs, silently: it is refused as a candidate's unknown region is."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    document.setdefault("response", {})["regions"] = ["eu-west", "mars"]
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    assert (
        str(raised.value)
        .splitlines()[1]
        .startswith(
            "  plan: [response] field regions: 'mars' has no [[block]] and no [[site]] in the plan "
            "(its regions: eu-west, us-east, us-west)"
        )
    )
    document["response"]["regions"] = ["eu-west"]
    assert parse_capacity(tomli_w.dumps(document)).ladder.regions == ("eu-west",)


def test_unplanned_regions_are_those_without_a_block_or_a_site() -> None:
    """A region counts as planned when the plan has a block or a site there; the others of
    the telemetry are named, sorted."""
    plan = parse_capacity(sample_capacity().read_text(encoding="utf-8"))
    site_only = plan.model_copy(update={"block": ()})
    assert unplanned_regions(plan, ["mars-1", "eu-west", "a-typo", "eu-west"]) == [
        "a-typo",
        "mars-1",
    ]
    assert unplanned_regions(site_only, ["us-east"]) == []


def test_a_block_dedicated_to_a_customer_without_telemetry_is_named() -> None:
    """The sample plan dedicates a us-east pod to northwind-ai: telemetry spelling it
    "Northwind-AI" (or lacking it) leaves the pod serving nobody, and the warning names the
    block, the field and the nearest name; the exact name warns of nothing. It starts with
    the plan's path, as the plan's other doubtful entries and refusals do (it read "[[block]]
    'x' in plan.toml: ..." beside "plan.toml: [[candidate]] ...")."""
    plan = parse_capacity(sample_capacity().read_text(encoding="utf-8"))
    (block,) = [b for b in plan.block if b.dedicated_customer]
    exact = {block.region: [block.dedicated_customer, "other"]}
    assert stray_dedicated_warnings(plan, exact, plan_path="plan.toml") == []
    (line,) = stray_dedicated_warnings(
        plan, {block.region: ["Northwind-AI", "other"]}, plan_path="plan.toml"
    )
    assert line.startswith(
        f"warning: plan.toml: [[block]] {block.id!r} field dedicated_customer: 'northwind-ai' has "
        f"no telemetry in {block.region} (did you mean 'Northwind-AI'?): its {block.gpus:,} GPUs"
    )
    (far,) = stray_dedicated_warnings(plan, {}, plan_path="plan.toml")
    assert "did you mean" not in far


def test_bad_gpus_names_block_and_field() -> None:
    """A non-positive GPU count names the block id and the gpus field."""
    with pytest.raises(CapacityError, match=r"\[\[block\]\] 'b1' field gpus"):
        parse_capacity(POLICIES + _block(gpus=0))


def test_a_number_at_its_bound_is_quoted_back() -> None:
    """`gpus = 0` read "field gpus: Input should be greater than 0" with no "(got 0)", though
    -2816 read "(got -2816)": the 0 in the rule's own words was taken for the value already
    quoted. The value is quoted back unless the rule quotes it as a value."""
    with pytest.raises(CapacityError) as raised:
        parse_capacity(POLICIES + _block(gpus=0), source="plan.toml")
    assert "[[block]] 'b1' field gpus: Input should be greater than 0 (got 0)" in str(raised.value)
    text = POLICIES.replace("priority = 1\n", "priority = 1\nheadroom = 1\n", 1)
    assert text != POLICIES
    with pytest.raises(CapacityError) as raised:
        parse_capacity(text + _block(), source="plan.toml")
    assert "headroom: Input should be less than 1 (got 1)" in str(raised.value)


def test_gpus_above_the_telemetry_ceiling_name_the_entry_and_field() -> None:
    """A block of 1,024,000,000 GPUs loaded and hid every shortfall of its region (and a
    candidate that size made one order cover any deficit): a block's or a candidate's gpus
    above 1,000,000 breaks the ceiling telemetry rows and contract steps have, in its words;
    1,000,000 itself is still a plan."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    document["block"][0]["gpus"] = 1_024_000_000
    document["candidate"][0]["gpus"] = 1_000_001
    block, candidate = document["block"][0]["id"], document["candidate"][0]["name"]
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    assert str(raised.value).splitlines()[1:] == [
        f"  [[block]] {block!r} field gpus: GPUs above the plausible ceiling of 1,000,000 "
        "(got 1024000000)",
        f"  [[candidate]] {candidate!r} field gpus: GPUs above the plausible ceiling of "
        "1,000,000 (got 1000001)",
    ]
    document["block"][0]["gpus"] = document["candidate"][0]["gpus"] = 1_000_000
    parse_capacity(tomli_w.dumps(document))


def test_a_misspelt_field_or_table_is_named_with_the_one_it_was_meant_to_be() -> None:
    """`in_servce` read "Extra inputs are not permitted (got datetime.date(2025, 10, 12))",
    and a misspelt table dumped its content: each now names the field and suggests the
    nearest one the table has (or lists them when none is near), in blocks, class policies
    and the plan's own tables."""
    text = POLICIES + _block().replace("gpus =", "gpu =").replace(
        'site = "r1-a"', 'site = "r1-a"\ncolour = "red"'
    )
    text = text.replace("priority = 1\n", "priority = 1\nheadrom = 0.2\n", 1)
    text += '\n[[candidates]]\nname = "x"\n'
    with pytest.raises(CapacityError) as raised:
        parse_capacity(text, source="plan.toml")
    lines = str(raised.value).splitlines()
    assert "  [[block]] 'b1' field gpu: not a field this table has; did you mean 'gpus'?" in lines
    assert "  candidates: not a field this table has; did you mean 'candidate'?" in lines
    policy = [line for line in lines if "headrom" in line]
    assert policy and policy[0].endswith(
        "headrom: not a field this table has; did you mean 'headroom'?"
    )
    (colour,) = [line for line in lines if "colour" in line]
    assert "its fields: " in colour and "in_service" in colour
    # The field the typo was meant to be is not also reported missing: `lead_time_week` read
    # "field lead_time_weeks: Field required" above the line that named the typo, a second
    # problem per entry for one mistake.
    assert not [line for line in lines if "field gpus: Field required" in line], lines


def test_a_block_without_a_site_is_told_what_a_site_is() -> None:
    """A hand-written plan without [[site]] still names each block's facility; leaving it out
    said only "Field required", now also what to write there. Other missing fields stay as
    pydantic says them."""
    text = POLICIES + _block().replace('site = "r1-a"\n', "").replace('kind = "rack"\n', "")
    with pytest.raises(CapacityError) as raised:
        parse_capacity(text, source="plan.toml")
    lines = str(raised.value).splitlines()
    assert "  [[block]] 'b1' field kind: Field required" in lines
    assert (
        "  [[block]] 'b1' field site: Field required (the facility it stands in: a [[site]] id, "
        "or any name in a plan without [[site]]; the facilities page groups MW by it)" in lines
    )


def test_many_blocks_breaking_one_rule_in_one_field_share_one_line() -> None:
    """A plan whose 124 blocks lacked a site read 124 identical lines. Entries breaking the
    same rule in the same field share a line naming the first three and counting the rest;
    three or fewer are listed one a line, and another rule keeps its own line."""
    blocks = "".join(
        _block(id=f"b{i}").replace('site = "r1-a"\n', "") for i in range(1, 7)
    ) + _block(id="b7", gpus=-1)
    with pytest.raises(CapacityError) as raised:
        parse_capacity(POLICIES + blocks, source="plan.toml")
    lines = str(raised.value).splitlines()
    assert lines[1] == (
        "  [[block]] 'b1', 'b2', 'b3' and 3 more (6 in all) field site: Field required (the "
        "facility it stands in: a [[site]] id, or any name in a plan without [[site]]; the "
        "facilities page groups MW by it)"
    )
    assert len(lines) == 3 and lines[2].startswith("  [[block]] 'b7' field gpus: ")


def test_every_problem_a_check_across_entries_finds_is_said_not_only_the_first() -> None:
    """The checks across entries and within one stopped at their first problem: two blocks at
    undeclared sites, a repeated id and a candidate region the plan lacks read one line (the
    first block's site), and a [[site]] whose steps were unsorted and whose contract had no
    energization day read only the steps; each fix met the next problem one load at a time.
    Every problem is now a line of its own, each naming its entry, field and rule."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    blocks = document["block"]
    blocks[0]["site"] = "nowhere"
    blocks[1]["site"] = "elsewhere"
    blocks[2]["id"] = blocks[3]["id"]
    document["candidate"][1]["regions"] = ["eu-wets"]
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    lines = str(raised.value).splitlines()
    assert lines[0] == "plan.toml: invalid capacity plan"
    said = "\n".join(lines[1:])
    assert f"  plan: block id {blocks[3]['id']!r} appears twice" in said
    assert f"[[block]] {blocks[0]['id']!r} field site: 'nowhere' is not a [[site]]" in said
    assert f"[[block]] {blocks[1]['id']!r} field site: 'elsewhere' is not a [[site]]" in said
    assert "[[candidate]] 'rack-h200-256' field regions: 'eu-wets' has no [[block]]" in said
    assert len(lines) == 5
    site = document["site"][0]
    site["energized"] = list(reversed(site["energized"]))
    site["contracted_mw"] = 5.0
    site.pop("contracted_energized", None)
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8")) | {
        "site": [site, *document["site"][1:]]
    }
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    lines = str(raised.value).splitlines()[1:]
    assert lines == [
        f"  [[site]] {site['id']!r}: energized steps must have increasing dates (`on`); sort them",
        f"  [[site]] {site['id']!r}: contracted_mw needs contracted_energized (the day it is "
        "energized)",
    ]


def test_duplicate_block_id_is_named() -> None:
    """Two blocks with one id are refused, naming the id, without pydantic's prefix."""
    with pytest.raises(CapacityError, match="'b1' appears twice") as raised:
        parse_capacity(POLICIES + _block() + _block(), source="plan.toml")
    assert str(raised.value).splitlines() == [
        "plan.toml: invalid capacity plan",
        "  plan: block id 'b1' appears twice (the 1st and 2nd [[block]]); ids must be unique: "
        "rename one",
    ]


def test_duplicate_candidate_name_and_site_id_are_named() -> None:
    """A repeated [[candidate]] name or [[site]] id read "candidate names must be unique" /
    "[[site]] ids must be unique" without saying which; each is now named, as a block id is."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    name = document["candidate"][0]["name"]
    document["candidate"].append(dict(document["candidate"][0]))
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    assert str(raised.value).splitlines()[1:] == [
        f"  plan: candidate name {name!r} appears twice; names must be unique"
    ]
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    site = document["site"][0]["id"]
    document["site"].append(dict(document["site"][0]))
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    last = len(document["site"])
    assert str(raised.value).splitlines()[1:] == [
        f"  plan: [[site]] id {site!r} appears twice (the 1st and {last}th [[site]]); ids must "
        "be unique: rename one"
    ]


def test_missing_policy_is_named() -> None:
    """A plan without a policy for some class names the class."""
    text = POLICIES.replace('[policy.batch]\ntier = "t3"\npriority = 4\n', "")
    with pytest.raises(CapacityError, match="missing for: batch"):
        parse_capacity(text + _block())


@pytest.mark.parametrize(
    ("block", "rule"),
    [
        (
            _block(in_service=date(2026, 6, 2)),
            "  [[block]] 'b1': status live, but in_service 2026-06-02 is after today (2026-06-01): "
            'a block not yet in service is status = "committed"',
        ),
        (
            _block(dedicated_customer=""),
            "  [[block]] 'b1' field dedicated_customer: blank: name the customer the block is "
            "dedicated to, or leave the field out for a shared block (got '')",
        ),
        (
            _block() + "[response.expedite]\nweeks_saved = 6\npremium = 15\n",
            "  response.expedite.premium: a share of 0..1 (0.15 is 15 %), got 15: write 0.15 "
            "for 15 %",
        ),
        (
            _block() + "[response.expedite]\nweeks_saved = 6\npremium = -0.1\n",
            "  response.expedite.premium: a share of 0..1 (0.15 is 15 %), got -0.1",
        ),
        (
            _block(status="committed", in_service=date(1, 10, 25)),
            "  [[block]] 'b1' field in_service: before 2010-01-01, telemetry's floor (a zero "
            "or epoch default?): check the year (got 0001-10-25)",
        ),
        (
            _block()
            + '[[site]]\nid = "r1-a"\nregion = "r1"\npower_lead_months = 24\n'
            + "cost_per_mw_usd = 1e7\nenergized = [{ on = 1970-01-01, mw = 5.0 }]\n",
            "  [[site]] 'r1-a' field energized.0.on: before 2010-01-01, telemetry's floor (a "
            "zero or epoch default?): check the year (got 1970-01-01)",
        ),
    ],
    ids=[
        "live-not-yet-in-service",
        "blank-dedicated-customer",
        "premium-as-percent",
        "negative",
        "in-service-in-year-1",
        "energized-on-the-epoch",
    ],
)
def test_a_wrong_plan_value_names_entry_field_and_rule(block: str, rule: str) -> None:
    """A live block not yet in service, a blank dedicated customer, an expedite premium
    written as a percentage, and a committed block in service from 0001-10-25 (a zero date;
    it read only that its site "has 0.0 MW energized then") or a site energized from the
    epoch were accepted silently; each is refused with its entry, field and the fix."""
    with pytest.raises(CapacityError) as raised:
        parse_capacity(POLICIES + block, source="plan.toml", today=date(2026, 6, 1))
    assert str(raised.value).splitlines() == ["plan.toml: invalid capacity plan", rule]


def test_a_live_block_in_service_today_and_a_whole_premium_load() -> None:
    """The bounds are inclusive: a live block in service today, a premium of 1 (capex
    doubled) and a named dedicated customer are all valid."""
    text = POLICIES + _block(in_service=date(2026, 6, 1), dedicated_customer="acme")
    plan = parse_capacity(
        text + "[response.expedite]\nweeks_saved = 6\npremium = 1\n", today=date(2026, 6, 1)
    )
    assert plan.block[0].dedicated_customer == "acme"
    assert plan.ladder.expedite and plan.ladder.expedite.premium == 1.0


def test_committed_block_needs_in_service() -> None:
    """A committed block without an in-service date names the block and the missing date."""
    with pytest.raises(CapacityError, match=r"'b1'.*in_service"):
        parse_capacity(POLICIES + _block(status="committed"))


def test_unknown_class_is_named() -> None:
    """A class that is not one of the five names the block and the classes field."""
    with pytest.raises(CapacityError, match=r"'b1' field classes\.1.*'gaming'"):
        parse_capacity(POLICIES + _block() + 'classes = ["inference", "gaming"]\n')


def test_training_listed_on_a_block_without_fabric_is_refused() -> None:
    """A rack listing training, or a pod whose fabric is switched off, is refused rather than
    given 0 training GPUs silently; a pod or cell has a fabric unless the plan says not."""
    training = 'classes = ["inference", "training"]\n'
    with pytest.raises(CapacityError, match=r"'b1'.*training runs only on a fabric"):
        parse_capacity(POLICIES + _block() + training)
    with pytest.raises(CapacityError, match=r"'b1'.*training runs only on a fabric"):
        parse_capacity(POLICIES + _block(kind="pod") + "fabric = false\n" + training)
    for kind in ("pod", "cell"):
        plan = parse_capacity(POLICIES + _block(kind=kind) + training)
        assert plan.block[0].fabric and plan.block[0].allows(WorkloadClass.TRAINING)
    plan = parse_capacity(POLICIES + _block() + 'fabric = true\nclasses = ["training"]\n')
    assert plan.block[0].allows(WorkloadClass.TRAINING)
    assert not parse_capacity(POLICIES + _block()).block[0].fabric


def test_timeline_counts_every_block_in_service(timeline: pl.DataFrame) -> None:
    """The 'all' rows add every block in service once, retire day excluded, in-service included."""
    assert _gpus(timeline, date(2026, 3, 4), ALL_CLASSES) == 1024 + 256 + 64 + 512
    assert _gpus(timeline, date(2026, 3, 5), ALL_CLASSES) == 1024 + 256 + 512
    assert _gpus(timeline, date(2026, 3, 9), ALL_CLASSES) == 1024 + 256 + 512
    assert _gpus(timeline, date(2026, 3, 10), ALL_CLASSES) == 1024 + 256 + 512 + 128


def test_training_counts_only_fabric_blocks(timeline: pl.DataFrame) -> None:
    """Training sees only the shared fabric pod: racks lack fabric, the acme pod is inference."""
    for day in (date(2026, 3, 1), date(2026, 3, 15)):
        assert _gpus(timeline, day, "training") == 1024


def test_dedicated_blocks_count_for_their_classes_only(timeline: pl.DataFrame) -> None:
    """A dedicated inference pod adds to inference and reports as dedicated, not to batch."""
    day = timeline.filter(pl.col("ds") == date(2026, 3, 10))
    inference = day.filter(pl.col("workload_class") == "inference")
    batch = day.filter(pl.col("workload_class") == "batch")
    assert inference["gpus"][0] == 1024 + 256 + 128 + 512
    assert inference["dedicated_gpus"][0] == 512
    assert batch["gpus"][0] == 1024 + 256 + 128
    assert batch["dedicated_gpus"][0] == 0


def test_timeline_is_a_complete_grid_with_mw(timeline: pl.DataFrame) -> None:
    """Every day x region x class (and 'all') has a row; MW follows the same blocks."""
    assert timeline.schema == CAPACITY_TIMELINE_SCHEMA
    assert timeline.height == 15 * 1 * (len(WorkloadClass) + 1)
    first = timeline.filter(pl.col("ds") == date(2026, 3, 1), pl.col("workload_class") == "all")
    assert first["mw"][0] == pytest.approx(1.5 + 0.4 + 0.08 + 0.75)


def test_timeline_is_zero_before_any_block(plan: CapacityPlan) -> None:
    """Days with nothing in service appear with zero GPUs rather than going missing."""
    early = capacity_timeline(plan, start=date(2019, 12, 30), end=date(2019, 12, 31))
    assert early.filter(pl.col("workload_class") == "batch")["gpus"].to_list() == [256, 256]
    assert early.filter(pl.col("workload_class") == "training")["gpus"].to_list() == [0, 0]


def test_block_timeline_rows_follow_service_dates(plan: CapacityPlan) -> None:
    """One row per block per day in service: the new rack starts and the old one stops on time."""
    days = block_timeline(plan, start=date(2026, 3, 1), end=date(2026, 3, 15))
    assert days.schema == BLOCK_TIMELINE_SCHEMA
    span = days.group_by("block_id").agg(first=pl.col("ds").min(), last=pl.col("ds").max())
    spans = {row[0]: (row[1], row[2]) for row in span.iter_rows()}
    assert spans["rack-new"] == (date(2026, 3, 10), date(2026, 3, 15))
    assert spans["rack-old"] == (date(2026, 3, 1), date(2026, 3, 4))
    assert days.filter(pl.col("block_id") == "pod-acme")["dedicated_customer"][0] == "acme"
    with pytest.raises(ValueError, match="before start"):
        block_timeline(plan, start=date(2026, 3, 2), end=date(2026, 3, 1))


def test_inventory_tables_render(plan: CapacityPlan) -> None:
    """capacity_tables gives blocks, candidates, policies and 12 months of capacity."""
    tables = capacity_tables(plan, today=date(2026, 3, 8))
    blocks, _, policies, monthly = tables
    assert blocks.row_count == len(plan.block)
    assert policies.row_count == len(WorkloadClass)
    assert monthly.row_count == len(plan.regions) * (len(WorkloadClass) + 1)
    assert len(monthly.columns) == 2 + 12
    out = io.StringIO()
    console = Console(file=out, width=220)
    for table in tables:
        console.print(table)
    assert "pod-acme" in out.getvalue()
    assert "Mar 26" in out.getvalue()


# --- one writer: dump_plan ---------------------------------------------------------------------


def test_dump_plan_round_trips_the_committed_plan() -> None:
    """load -> dump -> load gives the same plan for the committed capacity.toml."""
    plan = parse_capacity(sample_capacity().read_text(encoding="utf-8"))
    assert parse_capacity(dump_plan(plan)) == plan


def test_dump_plan_round_trips_generated_plans() -> None:
    """The synthetic fleet's and the Helios adapter's plans come back whole from their text."""
    texts = [
        synth.synthetic_fleet(days=60, customers=12, seed=1).capacity_toml,
        helios_capacity_toml(HELIOS_QUOTAS),
    ]
    for text in texts:
        plan = parse_capacity(text)
        assert parse_capacity(dump_plan(plan)) == plan
        assert text.startswith("# ")  # the generator's header stays as comments


@given(
    names=st.lists(
        st.text(min_size=1, max_size=12).filter(lambda t: t.strip() == t and t.strip()),
        min_size=1,
        max_size=4,
        unique=True,
    )
)
def test_dump_plan_round_trips_any_names(names: list[str]) -> None:
    """Ids, sites and customers holding quotes, brackets, '#' or unicode survive the writer."""
    plan = parse_capacity(HAND_BUILT)
    blocks = tuple(
        b.model_copy(update={"id": f"{name}-{i}", "site": name, "dedicated_customer": name})
        for i, (b, name) in enumerate(zip(plan.block, names * len(plan.block), strict=False))
    )
    plan = plan.model_copy(update={"block": blocks})
    assert parse_capacity(dump_plan(plan, header="a # header\nwith ] two lines")) == plan


def test_a_site_without_the_power_its_blocks_draw_is_named() -> None:
    """The sample plan powers every block in service. The same plan with one site's energized
    steps left out (it loaded silently, and only the facilities page read it red) names that
    site and the MW its blocks draw."""
    plan = parse_capacity(sample_capacity().read_text(encoding="utf-8"))
    today = date(2026, 12, 3)
    assert plan.overdrawn_sites(today) == []
    site = next(s for s in plan.site if any(b.site == s.id for b in plan.block))
    dark = site.model_copy(update={"energized": ()})
    unpowered = plan.model_copy(
        update={"site": tuple(dark if s.id == site.id else s for s in plan.site)}
    )
    drawn = sum(b.mw for b in plan.block if b.site == site.id and b.in_service_on(today))
    assert unpowered.overdrawn_sites(today) == [
        f"[[site]] {site.id!r}: its blocks in service on 2026-12-03 draw {drawn:,.1f} MW, but "
        "0.0 MW is energized there; add the energized steps that power them, or fix the blocks' "
        "site"
    ]


def test_a_committed_block_its_site_cannot_power_on_arrival_is_named() -> None:
    """A committed pod at us-east-a for a day its energized MW is already drawn would stand
    dark: the plan names it and the blocks the triggers count dark; the sample plan as shipped
    names nothing."""
    text = sample_capacity().read_text(encoding="utf-8")
    assert parse_capacity(text).dark_committed_blocks() == []
    dark = (
        '\n[[block]]\nid = "us-east-pod-new"\nkind = "pod"\nregion = "us-east"\n'
        'site = "us-east-a"\ngpu_type = "H100"\ngpus = 4096\nmw = 30.0\n'
        'status = "committed"\nin_service = 2027-03-01\nfabric = true\n'
    )
    (line,) = parse_capacity(text + dark).dark_committed_blocks()
    assert line.startswith("[[block]] 'us-east-pod-new': committed for 2027-03-01 at us-east-a")
    # 4,096 GPUs on 30 MW hold the fewest per MW at the site: it is the block left dark.
    assert line.endswith(
        "the triggers count us-east-pod-new (4,096 GPUs) as dark from that day, the blocks of "
        "fewest H100-equivalents per MW first; bring the site's power forward or move the "
        "block's in_service"
    )


def test_a_committed_block_names_apart_the_blocks_its_site_left_dark_already() -> None:
    """A site with no MW energized for its live blocks read, for a pod committed there in
    2027, "the triggers count eu-west-pod-01, eu-west-pod-02, eu-west-rack-01 and 8 more
    (8,192 GPUs) as dark from that day": the live blocks were dark from the first day, as the
    triggers counted them (short on the first forecast day). The committed block's line names
    the blocks it darkens, and those dark already the day before apart."""
    from hand_plans import block, site, site_plan

    pod = block("r1-pod", gpus=500, status="committed", in_service=date(2027, 3, 1))
    plan = site_plan(sites=[site(mw=0.5)], blocks=[block(), pod])
    (line,) = plan.dark_committed_blocks()
    assert line == (
        "[[block]] 'r1-pod': committed for 2027-03-01 at s1, which has 0.5 MW energized then "
        "for 2.0 MW of blocks in service: the triggers count r1-pod (500 GPUs) as dark from "
        "that day, the blocks of fewest H100-equivalents per MW first; r1-rack (1,000 GPUs) "
        "dark already the day before, without it; bring the site's power forward or move the "
        "block's in_service"
    )


def test_many_committed_blocks_one_site_cannot_power_read_as_one_warning() -> None:
    """A plan whose sites' power was cut to 0.5 MW (the demo's plan, its energized steps and
    ceilings lowered) printed 29 warnings under `report` and `forecast`, one per committed
    block, each naming the same site short of power again with the blocks dark already. A
    site with more than three such blocks reads one line naming them, the span of their
    in-service days and what stands dark by the last; three or fewer keep a line each."""
    from hand_plans import block, site, site_plan

    pods = [
        block(f"r1-pod-{i}", gpus=500, status="committed", in_service=date(2027, 3, i))
        for i in range(1, 6)
    ]
    plan = site_plan(sites=[site(mw=0.5)], blocks=[block(), *pods])
    (line,) = plan.dark_committed_blocks()
    assert line == (
        "[[site]] 's1': 5 committed blocks, r1-pod-1, r1-pod-2, r1-pod-3 and 2 more (2,500 "
        "GPUs), come into service from 2027-03-01 to 2027-03-05 without the MW energized for "
        "them (0.5 MW energized on 2027-03-05 for 6.0 MW of blocks in service): by 2027-03-05 "
        "the triggers count r1-rack, r1-pod-1, r1-pod-2 and 3 more (3,500 GPUs) as dark, the "
        "blocks of fewest H100-equivalents per MW first; bring the site's power forward or "
        "move the blocks' in_service"
    )
    three = site_plan(sites=[site(mw=0.5)], blocks=[block(), *pods[:3]])
    assert len(three.dark_committed_blocks()) == 3


def test_a_plan_saved_with_a_bom_reads_as_without(tmp_path: Path) -> None:
    """An editor's byte-order mark read as "not valid TOML: Invalid statement (at line 1,
    column 1)"; the plan reads as it does without one."""
    text = sample_capacity().read_text(encoding="utf-8")
    plain, bom = tmp_path / "plain.toml", tmp_path / "bom.toml"
    plain.write_text(text, encoding="utf-8")
    bom.write_text("\ufeff" + text, encoding="utf-8")
    assert load_capacity(bom) == load_capacity(plain)


def test_a_number_field_refuses_a_boolean() -> None:
    """`gpus = true` loaded a 1-GPU block and `capex_usd = true` a $1 one, without a word
    (contracts refuse the same value); a boolean field still takes a boolean."""
    plan = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    first = plan["block"][0]

    def parsed(**changes: object) -> CapacityPlan:
        return parse_capacity(tomli_w.dumps({**plan, **changes}))

    with pytest.raises(CapacityError) as raised:
        parsed(block=[{**first, "gpus": True}, *plan["block"][1:]])
    # Said once, as TOML writes it: it read "not true (got True)".
    assert str(raised.value).endswith(f"'{first['id']}' field gpus: must be a number, not true")
    with pytest.raises(CapacityError, match="capex_usd: must be a number, not false"):
        parsed(candidate=[{**plan["candidate"][0], "capex_usd": False}, *plan["candidate"][1:]])
    parsed(block=[{**first, "fabric": not first.get("fabric", False)}, *plan["block"][1:]])


@pytest.mark.parametrize(
    ("table", "field", "value", "rule"),
    [
        (
            "candidate",
            "lead_time_weeks",
            600_000,
            "weeks above the plausible ceiling of 520 (ten years: a unit slip? the lead time "
            "is in weeks) (got 600000)",
        ),
        (
            "site",
            "power_lead_months",
            200_000,
            "months above the plausible ceiling of 120 (ten years: a unit slip? the power lead "
            "time is in months) (got 200000)",
        ),
        (
            "site",
            "power_lead_months",
            1_200,
            "months above the plausible ceiling of 120 (ten years: a unit slip? the power lead "
            "time is in months) (got 1200)",
        ),
    ],
)
def test_an_implausible_lead_time_names_the_entry_field_and_ceiling(
    table: str, field: str, value: int, rule: str
) -> None:
    """`lead_time_weeks = 600000` and `power_lead_months = 200000` loaded, then `report` died
    with OverflowError / "year -14640 is out of range"; 1,200 months ordered power "by
    1927-01-14". A lead time above ten years is refused with the entry, field and ceiling;
    the ceiling itself is still a plan."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    entry = document[table][0]
    label = entry["name" if table == "candidate" else "id"]
    entry[field] = value
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    assert str(raised.value).splitlines()[1] == f"  [[{table}]] {label!r} field {field}: {rule}"
    entry[field] = 520 if table == "candidate" else 120
    parse_capacity(tomli_w.dumps(document))


def test_a_quoted_number_is_refused() -> None:
    """`gpus = "1792"` loaded as 1,792 GPUs (pydantic's lax mode): a figure in quotes is
    refused with the fix, as a boolean is."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    first = document["block"][0]
    first["gpus"] = "1792"
    with pytest.raises(
        CapacityError,
        match=re.escape(
            f"[[block]] {first['id']!r} field gpus: must be a number, not the text '1792'; "
            "drop the quotes"
        ),
    ):
        parse_capacity(tomli_w.dumps(document))


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        # 1760227200 seconds after 1970 is 2025-10-12 00:00 UTC: pydantic took it for a day.
        (
            1_760_227_200,
            "must be a date written bare as YYYY-MM-DD (2027-06-01), not the number 1760227200",
        ),
        (
            20251012,
            "must be a date written bare as YYYY-MM-DD (2027-06-01), not the number 20251012",
        ),
        (True, "must be a date, not true"),
    ],
)
def test_a_number_or_a_boolean_in_a_date_field_is_refused(value: object, rule: str) -> None:
    """`in_service = 1760227200` loaded a block in service on 2025-10-12 (pydantic reads a
    number as Unix seconds), and `in_service = 20251012` was refused as "Datetimes provided to
    dates should have zero time" (got 20251012), which named no fix: a number or a boolean in a
    date field is refused naming the entry, the field and how to write a date; an energized
    step's ``on`` too."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    block = next(b for b in document["block"] if "in_service" in b)
    block["in_service"] = value
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    assert str(raised.value).splitlines() == [
        "plan.toml: invalid capacity plan",
        f"  [[block]] {block['id']!r} field in_service: {rule}",
    ]
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    site = document["site"][0]
    site["energized"][0]["on"] = value
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    assert f"  [[site]] {site['id']!r} field energized.0.on: {rule}" in str(raised.value)


def test_an_h100_equivalent_cannot_carry_a_block_past_the_gpu_ceiling() -> None:
    """`h100_equivalent = 1e9` loaded, and a 1,792-GPU block counted 1.8e12 H100-equivalents:
    the GPU ceiling was bypassed through the conversion. It is refused naming the block and the
    type to fix; a plausible 2.5 loads."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    first = document["block"][0]
    document["gpu_type"] = {first["gpu_type"]: {"h100_equivalent": 1e9}} | {
        e["gpu_type"]: {"h100_equivalent": 1.0}
        for e in [*document["block"], *document["candidate"]]
        if e["gpu_type"] != first["gpu_type"]
    }
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document))
    assert f"[[block]] {first['id']!r}: {first['gpus']:,} {first['gpu_type']} GPUs are" in str(
        raised.value
    )
    assert f"fix [gpu_type.{first['gpu_type']}] h100_equivalent" in str(raised.value)
    document["gpu_type"][first["gpu_type"]] = {"h100_equivalent": 2.5}
    parse_capacity(tomli_w.dumps(document))


def test_a_free_candidate_and_falling_energized_steps_are_warned_of() -> None:
    """A candidate with `capex_usd = 0` (ordered as free over every other type) and a site
    whose energized steps fall (44 MW then 15.5 MW: an increment written as a level) loaded
    silently; both are named now, and the sample plan names nothing."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    assert parse_capacity(tomli_w.dumps(document)).doubtful_entries() == []
    candidate, site = document["candidate"][0], document["site"][0]
    candidate["capex_usd"] = 0
    site["energized"] = [
        {"on": date(2022, 1, 1), "mw": 44.0},
        {"on": date(2027, 6, 1), "mw": 15.5},
    ]
    site.pop("ceiling_mw", None)
    free, falling = parse_capacity(tomli_w.dumps(document)).doubtful_entries()
    assert free == (
        f"[[candidate]] {candidate['name']!r} field capex_usd: 0, so the triggers order it as "
        "free over every other block type; give its capital cost"
    )
    assert falling.startswith(
        f"[[site]] {site['id']!r} field energized: 44 MW from 2022-01-01, then 15.5 MW from "
        "2027-06-01: the MW fall, read as power given back that day (a decommission, a lease "
        "ending); if the steps are increments, write each as the level energized from its date"
    )


def test_two_gpu_types_of_one_generation_orderable_in_one_region_are_warned_of() -> None:
    """Two [gpu_type] entries with the same generation loaded silently, so which counts as
    newest was left to chance: with H200 given GB200's generation 4, eu-west (where both
    can be ordered) orders whichever is cheaper, and no order bridges from H200 to GB200.
    That is warned of, naming both entries, the generation, the region and the rule. Types
    of one generation are legitimate: a shared generation that decides no order (H200 given
    H100's 2, never orderable in one region; A100, no candidate) says nothing."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    types = document["gpu_type"]
    types["H200"]["generation"] = 2
    types["A100"]["generation"] = 2
    assert parse_capacity(tomli_w.dumps(document)).doubtful_entries() == []
    types["H200"]["generation"] = 4
    (line,) = parse_capacity(tomli_w.dumps(document)).doubtful_entries()
    assert line == (
        "[gpu_type.GB200] and [gpu_type.H200] field generation: both 4, and both can be "
        "ordered in eu-west, so neither counts as newer there: the triggers order the newest "
        "generation that can arrive in time, then the cheapest order, so between these two "
        "the cheaper wins whichever is newer, and no order bridges from one to the other; if "
        "one is newer, give it a higher generation (types of one generation may share it)"
    )


def test_two_gpu_types_of_one_h100_equivalent_with_no_generation_are_warned_of() -> None:
    """Without any ``generation``, types rank by ``h100_equivalent``: H200 written at 2.5,
    GB200's figure, loaded silently, and "take the newer generation" had no newer to take
    between them where both can be ordered (the cheaper won, whichever was newer). The tie is
    warned of as a shared generation is, naming both entries, the field, the value, the
    regions and the rule; distinct figures, or a tie with no candidate, say nothing."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    types = document["gpu_type"]
    for entry in types.values():
        entry.pop("generation")
    assert parse_capacity(tomli_w.dumps(document)).doubtful_entries() == []
    types["A100"]["h100_equivalent"] = 2.5  # GB200's figure, but no A100 can be ordered
    assert parse_capacity(tomli_w.dumps(document)).doubtful_entries() == []
    types["H200"]["h100_equivalent"] = 2.5
    plan = parse_capacity(tomli_w.dumps(document))
    (line,) = plan.doubtful_entries()
    both = [
        r
        for r in sorted(plan.planned_regions)
        if all(
            any(c.gpu_type == t and c.available_in(r) for c in plan.candidate)
            for t in ("GB200", "H200")
        )
    ]
    assert both
    assert line == (
        "[gpu_type.GB200] and [gpu_type.H200] field h100_equivalent: both 2.5 and no generation "
        f"is declared, and both can be ordered in {', '.join(both)}, so neither counts as "
        "newer there: without generations types rank by h100_equivalent, and the triggers "
        "order the newest that can arrive in time, then the cheapest order, so between these "
        "two the cheaper wins whichever is newer, and no order bridges from one to the other; "
        "if one is newer, give every type a generation (types of one generation may share it)"
    )


def test_a_contract_energized_before_the_sites_steps_is_warned_of() -> None:
    """A site whose utility contract is energized before its energized steps (us-east-c: 30.5
    MW from 2027-08-19, 10 MW contracted for 2026-03-01) loaded with no word, while the plan
    reads the contract's MW with nothing energized and then on top of each step (40.5 MW from
    2027-08-19), where each step is the whole site's MW from its date: the steps may well
    hold the contract, counted twice. It is warned of (not refused: a site can take its
    utility power before its own steps), naming the site, the field and the rule; a contract
    energized between steps or after them, and contracted MW below the energized (an
    addition to it, not a level), say nothing."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    site = next(s for s in document["site"] if s["id"] == "us-east-c")
    site["contracted_mw"], site["contracted_energized"] = 10.0, date(2026, 3, 1)
    (line,) = [w for w in parse_capacity(tomli_w.dumps(document)).doubtful_entries() if w]
    assert line == (
        "[[site]] 'us-east-c' field contracted_energized: 2026-03-01, before its first "
        "energized step (30.5 MW from 2027-08-19), so its 10 MW are read from that day with "
        "nothing energized, and added to each step (40.5 MW from 2027-08-19), where each step "
        "is the whole site's MW from its date; if the steps hold the contract, drop the "
        "contract (contracted_mw = 0), else check the dates"
    )
    # Energized between steps (us-west-a: 8 MW, then 17.5 MW from 2027-01-08) or after them:
    # a plan's own (power given back under a contract, synth's plans).
    between = next(s for s in document["site"] if s["id"] == "us-west-a")
    between["contracted_energized"] = date(2026, 3, 1)
    site["contracted_energized"] = date(2027, 8, 20)
    assert parse_capacity(tomli_w.dumps(document)).doubtful_entries() == []
    site["contracted_mw"] = 1.0
    assert parse_capacity(tomli_w.dumps(document)).doubtful_entries() == []


def test_a_step_down_under_blocks_in_service_is_warned_of_as_a_power_shortfall() -> None:
    """A site stepping down from 44 MW to 15.5 MW on 2027-06-01 under more MW of blocks than
    that: the warning read as a typo only ("steps are the level, not increments"), where the
    plan's blocks run on power that is gone from that day. It says how much, and from when."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    site = document["site"][0]
    site["energized"] = [
        {"on": date(2022, 1, 1), "mw": 44.0},
        {"on": date(2027, 6, 1), "mw": 15.5},
    ]
    site.pop("ceiling_mw", None)
    plan = parse_capacity(tomli_w.dumps(document))
    drawn = sum(
        b.mw for b in plan.block if b.site == site["id"] and b.in_service_on(date(2027, 6, 1))
    )
    assert drawn > 15.5  # the sample's blocks at the site draw more than it keeps
    (line,) = [w for w in plan.doubtful_entries() if w.startswith("[[site]]")]
    assert line.endswith(
        f"; its blocks in service on 2027-06-01 draw {drawn:,.1f} MW, {drawn - 15.5:,.1f} MW "
        "more than it keeps: a power shortfall from that day (see the site's power trigger); "
        # Pods alike in H100-equivalents per MW: the latest in service go dark first, 3 pods'
        # 4.6 MW for the 4.1 MW given back.
        "the triggers count us-east-pod-09, us-east-pod-10, us-east-pod-11 (3,072 GPUs) as dark "
        "from that day, the blocks of fewest H100-equivalents per MW first"
    )


def test_migrate_to_training_is_refused() -> None:
    """`[response.migrate] to = ["training"]` loaded: migrate moves GPUs from training pods,
    so moving them to training is no relief; it is refused naming the field."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    document.setdefault("response", {})["migrate"] = {
        "delay_hours": 12,
        "gpus": 512,
        "to": ["inference", "training"],
    }
    with pytest.raises(
        CapacityError, match=re.escape("response.migrate.to: lists training, but migrate moves")
    ):
        parse_capacity(tomli_w.dumps(document))


def test_a_contract_in_steps_is_refused_in_toml_and_told_how_to_write_steps() -> None:
    """`contracted_mw = [{ on = 2027-06-01, mw = 10.0 }, ...]` was refused with a Python repr
    ("got [{'on': datetime.date(2027, 6, 1), 'mw': 10.0}, ...]") and no word of how a contract
    delivered in tranches is written: the value reads as TOML, and the rule names the fields
    that hold it."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    document["site"][0]["contracted_mw"] = [
        {"on": date(2027, 6, 1), "mw": 10.0},
        {"on": date(2028, 6, 1), "mw": 10.0},
    ]
    with pytest.raises(CapacityError) as error:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    message = str(error.value)
    assert "datetime.date" not in message
    assert (
        "[[site]] 'us-east-a' field contracted_mw: Input should be a valid number (got "
        "[{ on = 2027-06-01, mw = 10.0 }, { on = 2028-06-01, mw = 10.0 }])"
    ) in message
    assert (
        "one utility contract per site: contracted_mw is its MW (a number) and "
        "contracted_energized the day they are energized; MW that arrive in steps are written "
        "as energized levels, energized = [{ on = <date>, mw = <the site's MW from then> }, "
        "...], each step the whole site's MW from its date"
    ) in message


def test_a_site_in_a_misspelt_region_is_warned_of() -> None:
    """A [[site]] whose region is a typo of one with blocks ('us-eastt' for 'us-east') loaded
    without a word: its MW power no block and none of the region's orders, which wait on
    power it does not count. It is named with the region meant; a site in a new region (no
    close name) says nothing, as a greenfield site has no blocks yet."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    site = dict(document["site"][0], id="us-eastt-d", region="us-eastt")
    greenfield = dict(document["site"][0], id="ap-south-a", region="ap-south")
    document["site"] += [site, greenfield]
    (line,) = parse_capacity(tomli_w.dumps(document)).doubtful_entries()
    assert line.startswith(
        "[[site]] 'us-eastt-d' field region: 'us-eastt' has no [[block]], and is close to "
        "'us-east', which has"
    )
    assert "fix the region" in line
    # Neighbouring names are regions of their own, not slips: a letter for another
    # ('eu-west' beside 'us-west') or a suffix ('us-east-2').
    site["region"] = "eu-wset"
    (line,) = parse_capacity(tomli_w.dumps(document)).doubtful_entries()
    assert "close to 'eu-west'" in line
    for region in ("us-east-2", "uk-west"):
        site["region"] = region
        assert parse_capacity(tomli_w.dumps(document)).doubtful_entries() == []


def test_a_ranked_table_without_the_reference_type_is_refused() -> None:
    """A [gpu_type] table ranking A100, H200 and GB200 by generation but leaving out H100 (the
    reference type, implicit at 1.0) loaded, and H100 ranked as generation 0, older than A100:
    the triggers never bridged to it or preferred it. The "every type or none" rule only saw
    the table's entries. It is refused naming the file, the table, the rule and the fix; a
    ranked table with no H100 block or candidate (H100 only the unit) still loads."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    del document["gpu_type"]["H100"]
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    assert str(raised.value).splitlines() == [
        "plan.toml: invalid capacity plan",
        "  plan: [gpu_type] field generation: set for ['A100', 'GB200', 'H200'] but H100, the "
        "reference type its blocks and candidates use, has no entry, so it ranks as "
        "generation 0, older than every type; give every type a generation or none: give "
        "[gpu_type.H100] a generation (with h100_equivalent = 1.0)",
    ]
    for entry in [*document["block"], *document["candidate"]]:
        if entry["gpu_type"] == "H100":
            entry["gpu_type"] = "H200"
    parse_capacity(tomli_w.dumps(document))


@pytest.mark.parametrize(
    ("table", "field", "text"),
    [
        ("policy", "preemptible", "false"),
        ("policy", "failover", "no"),
        ("block", "fabric", "yes"),
        ("candidate", "fabric", "false"),
    ],
)
def test_a_quoted_boolean_is_refused(table: str, field: str, text: str) -> None:
    """`preemptible = "false"` and `fabric = "yes"` loaded as false and true (pydantic's lax
    mode) while `gpus = "1792"` was refused: a quoted boolean is refused the same way, in
    every boolean field of the plan, and the unquoted value still loads."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    entry = document["policy"]["inference"] if table == "policy" else document[table][0]
    label = entry.get("id", entry.get("name"))
    where = (
        f"policy.inference.{field}" if table == "policy" else f"[[{table}]] {label!r} field {field}"
    )
    unquoted = entry.get(field, False)
    entry[field] = text
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    assert str(raised.value).splitlines() == [
        "plan.toml: invalid capacity plan",
        f"  {where}: must be true or false, not the text {text!r}; drop the quotes",
    ]
    entry[field] = unquoted
    parse_capacity(tomli_w.dumps(document))


@pytest.mark.parametrize(("field", "number"), [("fabric", 1), ("fabric", 0), ("fabric", 1.0)])
def test_a_number_in_a_boolean_field_is_refused(field: str, number: float) -> None:
    """`fabric = 1` loaded as true (pydantic's lax mode) while `gpus = true` was refused as a
    boolean in a number field: a number in a boolean field is refused the same way."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    entry = document["block"][0]
    entry[field] = number
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document), source="plan.toml")
    assert str(raised.value).splitlines() == [
        "plan.toml: invalid capacity plan",
        f"  [[block]] {entry['id']!r} field {field}: must be true or false, not {number}",
    ]


def test_a_gpu_type_in_another_case_is_named_with_the_type_the_plan_has() -> None:
    """`gpu_type = "h200"` beside `[gpu_type.H200]` read "'h200' has no [gpu_type.h200]
    entry; add its h100_equivalent", which sent the reader to add a second entry for one
    type: the error names the type the plan has, to write as it is written there."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    types = {e["gpu_type"] for e in [*document["block"], *document["candidate"]]}
    document["gpu_type"] = {t: {"h100_equivalent": 1.0} for t in types} | {
        "H200": {"h100_equivalent": 1.8}
    }
    first = document["block"][0]
    first["gpu_type"] = "h200"
    with pytest.raises(CapacityError) as raised:
        parse_capacity(tomli_w.dumps(document))
    assert (
        f"[[block]] {first['id']!r} field gpu_type: 'h200' has no [gpu_type.h200] entry; "
        "[gpu_type.H200] differs only in case: write 'H200'"
    ) in str(raised.value)


def test_a_site_of_no_cost_per_mw_is_warned_of() -> None:
    """A site with `cost_per_mw_usd = 0` (a blank cell in the sheet the plan came from)
    loaded without a word, while a candidate of no capex is warned of: the facilities page
    then priced its power to contract at $0 and the what-if left it out of the deal's extra
    capex. It is named now, as the free candidate is."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    site = document["site"][0]
    site["cost_per_mw_usd"] = 0
    assert parse_capacity(tomli_w.dumps(document)).doubtful_entries() == [
        f"[[site]] {site['id']!r} field cost_per_mw_usd: 0, so the power to contract there is "
        "not priced (the pages and the what-if leave it out of every cost); give its cost per MW"
    ]


def test_capacity_table_shows_h100_equivalents_beside_gpus_as_the_pages_count() -> None:
    """`fleetcast capacity` on the demo's plan read eu-west "all" at 14,912 GPUs in Dec 2026
    where the finance page said "the 20,877 H100-equivalents in service", and us-east's GB200
    cell added 8,192 where the pages counted 20,480: two units, one unlabelled gap. With a
    [gpu_type] table the pools the triggers judge (training, all) get a row in
    H100-equivalents, each the lowest day's sum of GPUs x their type's factor, under the
    GPUs rows; a plan without one prints GPUs alone."""
    plan = parse_capacity(sample_capacity().read_text(encoding="utf-8"))
    assert plan.gpu_type
    today = date(2026, 12, 6)
    monthly = capacity_tables(plan, today=today)[-1]
    out = io.StringIO()
    Console(file=out, width=400).print(monthly)
    text = out.getvalue()
    assert "the H100e rows count H100-equivalents" in " ".join(text.split())
    assert monthly.row_count == len(plan.regions) * (len(WorkloadClass) + 1 + 2)
    days = block_timeline(plan, start=date(2026, 12, 1), end=date(2026, 12, 31), powered=True)
    lowest = (
        days.group_by("region", "ds")
        .agg(pl.col("gpus").sum(), pl.col("h100e").sum())
        .group_by("region")
        .agg(pl.col("gpus").min(), pl.col("h100e").min())
    )
    rows = {
        (cells[1].strip(), cells[2].strip()): cells[3].strip()
        for line in text.splitlines()
        if len(cells := line.split("│")) > 3
    }
    differs = 0
    for region, gpus, h100e in lowest.iter_rows():
        assert rows[(region, "all")] == f"{gpus:,}"
        assert rows[(region, "all, H100e")] == f"{h100e:,.0f}"
        differs += round(h100e) != gpus
    assert differs, "the sample plan mixes GPU types: some region's two units differ"
    plain = capacity_tables(parse_capacity(HAND_BUILT), today=today)[-1]
    assert plain.row_count == len(parse_capacity(HAND_BUILT).regions) * (len(WorkloadClass) + 1)


def test_a_class_without_a_price_is_warned_of() -> None:
    """A plan whose [policy.batch] left out ``price_per_gpu_hour`` (0 by default) loaded
    silently, and every drill priced batch's unmet GPU-hours at $0: "revenue at risk $0 ->
    $0" for a class the shock left short, read as measured. The class is named with the
    field, what the drills do with it and what to write; the sample plan names nothing."""
    document = tomllib.loads(sample_capacity().read_text(encoding="utf-8"))
    assert parse_capacity(tomli_w.dumps(document)).doubtful_entries() == []
    document["policy"]["batch"].pop("price_per_gpu_hour")
    (line,) = parse_capacity(tomli_w.dumps(document)).doubtful_entries()
    assert line == (
        "[policy.batch] field price_per_gpu_hour: 0 (or left out), so the drills count its "
        "unmet GPU-hours at $0 and their revenue at risk leaves them out (not priced); give "
        "the price its GPU-hours earn"
    )
