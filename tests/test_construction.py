"""The fourth clock: a new site's build time, declared per region as [[new_site]] in
capacity.toml, and the construction trigger that dates when to start one."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecasting.capacity import CapacityError, dump_plan, load_capacity, parse_capacity
from forecasting.schema import WorkloadClass

POLICIES = "".join(
    f'[policy.{c.value}]\ntier = "t{i}"\npriority = {i + 1}\n' for i, c in enumerate(WorkloadClass)
)
SITE = """
[[site]]
id = "s1"
region = "r1"
energized = [{ on = 2024-01-01, mw = 10.0 }]
ceiling_mw = 40.0
power_lead_months = 24
cost_per_mw_usd = 1_500_000
"""
BLOCK = """
[[block]]
id = "b1"
kind = "rack"
region = "r1"
site = "s1"
gpu_type = "H100"
gpus = 64
mw = 0.1
status = "live"
"""
NEW_SITE = """
[[new_site]]
region = "r1"
build_months = 30
cost_per_mw_usd = 12_000_000
ceiling_mw = 60.0
"""


def test_a_new_site_is_declared_per_region_and_round_trips() -> None:
    """capacity.toml could not say how long a new site takes to build or what its MW cost: the
    plan had three of the four clocks. [[new_site]] declares both per region."""
    plan = parse_capacity(POLICIES + SITE + BLOCK + NEW_SITE)
    declared = plan.new_sites["r1"]
    assert (declared.build_months, declared.cost_per_mw_usd, declared.ceiling_mw) == (
        30,
        12_000_000,
        60.0,
    )
    assert parse_capacity(dump_plan(plan)) == plan
    # Optional: a plan without it loads as before, with no new site anywhere.
    assert parse_capacity(POLICIES + SITE + BLOCK).new_sites == {}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            NEW_SITE.replace("build_months = 30", "build_months = 0"),
            "[[new_site]] 'r1' field build_months: Input should be greater than or equal to 1",
        ),
        (
            NEW_SITE.replace("build_months = 30", "build_months = 130"),
            "[[new_site]] 'r1' field build_months: months above the plausible ceiling of 120",
        ),
        (
            NEW_SITE.replace("build_months = 30\n", ""),
            "[[new_site]] 'r1' field build_months: Field required",
        ),
        (
            NEW_SITE.replace("12_000_000", "-1"),
            "[[new_site]] 'r1' field cost_per_mw_usd: Input should be greater than 0",
        ),
        (
            NEW_SITE.replace("ceiling_mw = 60.0", "ceiling_mw = 0.0"),
            "[[new_site]] 'r1' field ceiling_mw: Input should be greater than 0",
        ),
        (
            NEW_SITE.replace("build_months", "build_month"),
            "[[new_site]] 'r1' field build_month: not a field this table has; did you mean "
            "'build_months'?",
        ),
        (
            NEW_SITE.replace('"r1"', '"r9"'),
            "[[new_site]] 'r9' field region: 'r9' has no [[site]] in the plan (regions with "
            "sites: r1)",
        ),
        (NEW_SITE + NEW_SITE, "[[new_site]] 'r1' field region: declared twice"),
    ],
)
def test_bad_new_sites_are_refused_naming_file_entry_field_and_rule(
    tmp_path: Path, entry: str, message: str
) -> None:
    """Each [[new_site]] rule breaks with the file, the entry (its region), the field and the
    rule, as a [[site]] does."""
    path = tmp_path / "capacity.toml"
    path.write_text(POLICIES + SITE + BLOCK + entry)
    with pytest.raises(CapacityError) as refused:
        load_capacity(path)
    said = str(refused.value)
    assert said.startswith(f"{path}: invalid capacity plan")
    assert message in said, said
