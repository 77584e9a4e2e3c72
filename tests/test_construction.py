"""The fourth clock: a new site's build time, declared per region as [[new_site]] in
capacity.toml, and the construction trigger that dates when to start one."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hand_plans import MONDAY, block, ceiling_inputs, day, site, site_plan

from forecasting.capacity import CapacityError, dump_plan, load_capacity, parse_capacity
from forecasting.report import ReportInputs
from forecasting.report.pages.facilities import facilities_page
from forecasting.schema import FORECAST_SCHEMA, WorkloadClass
from forecasting.text import megawatts
from forecasting.triggers import (
    CONSTRUCTION_SCHEMA,
    PLACEMENTS_SCHEMA,
    TriggerSettings,
    construction_lines,
    construction_triggers,
    expansion_triggers,
    pool_requirements,
)

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


# --- the construction trigger ----------------------------------------------------------------

AS_OF = MONDAY
# The hand plan's linear demand (700 GPUs + 1 a day, 20 % headroom) passes its one 1,000-GPU
# rack on day 101: its order of 0.4 MW racks is needed from then.
SHORT = day(101)


def _construction(
    *, ceiling_mw: float, new_site: dict[str, Any] | None = None, days: int = 365
) -> dict[str, Any]:
    """The construction row of r1: one site of 1 MW energized under ``ceiling_mw``."""
    plan = site_plan(
        sites=[site(mw=1.0, ceiling_mw=ceiling_mw)],
        new_sites=[{"region": "r1", **new_site}] if new_site else None,
    )
    d = np.arange(days, dtype=float)
    forecast = _forecast(700.0 + d, days)
    result = expansion_triggers(forecast, plan, as_of=AS_OF)
    rows = construction_triggers(
        plan,
        result.placements,
        as_of=AS_OF,
        end=day(days - 1),
        buffer_weeks=TriggerSettings().buffer_weeks,
        quantile="q90",
        requirements=pool_requirements(forecast, plan, as_of=AS_OF, column="q90"),
    )
    assert rows.height == 1 and rows.schema == CONSTRUCTION_SCHEMA
    return rows.row(0, named=True)


def _forecast(values: np.ndarray, days: int) -> pl.DataFrame:
    """Region r1's peak and mean series, every quantile ``values``."""
    return pl.concat(
        pl.DataFrame(
            {
                "run_id": "hand",
                "unique_id": "total/r1",
                "ds": [day(i) for i in range(days)],
                "measure": measure,
                "model": "hand",
                **{c: values for c in ("mean", "q10", "q50", "q90", "q99")},
            },
            schema=FORECAST_SCHEMA,
        )
        for measure in ("peak", "mean")
    )


@pytest.mark.parametrize(
    ("build_months", "start_by", "status"),
    [
        # 2 months before 2026-04-16, less the 4-week buffer: ahead of the as-of day.
        (2, date(2026, 1, 19), "green"),
        # Started today (2026-01-05) a 3-month build lands 2026-04-05, before the ceilings run
        # out but inside the buffer.
        (3, date(2025, 12, 19), "amber"),
        # 12 months: too late whatever is started now.
        (12, date(2025, 3, 19), "red"),
    ],
)
def test_demand_past_the_region_s_ceilings_dates_when_to_start_a_new_site(
    build_months: int, start_by: date, status: str
) -> None:
    """q90 plus headroom needs 0.4 MW racks from 2026-04-16 at a site already at its 1.0 MW
    ceiling: the product said only "past the site ceilings: a new site is needed; no order-by
    until one is planned", with no date for the facilities reader. Now the region's ceilings
    run out that day, and a new site of ``build_months`` must be started that many months and
    the buffer before, with the block triggers' status rule."""
    row = _construction(
        ceiling_mw=1.0,
        new_site={"build_months": build_months, "cost_per_mw_usd": 10e6},
    )
    assert date(2026, 4, 16) == SHORT
    assert (row["exhaustion_date"], row["ceilings_mw"]) == (SHORT, 1.0)
    assert (row["build_months"], row["start_by"], row["status"]) == (
        build_months,
        start_by,
        status,
    )
    assert row["mw_past_ceilings"] > 0 and row["cost_usd"] == pytest.approx(
        row["mw_past_ceilings"] * 10e6
    )
    note = row["note"]
    assert (
        "r1's sites run out of room under their ceilings (1.0 MW in all) on 2026-04-16 at q90"
    ) in note
    assert f"a new site takes {build_months} months to build: start it by {start_by}" in note
    if status == "red":
        assert "started today, its first MW come 2027-01-05 at the earliest" in note


def test_without_a_declared_new_site_the_start_date_is_not_made_up() -> None:
    """No [[new_site]] for r1: the ceilings still run out on 2026-04-16 and the row says so,
    with no start date nor status, and says the build time is not declared."""
    row = _construction(ceiling_mw=1.0)
    assert row["exhaustion_date"] == SHORT
    assert (row["build_months"], row["start_by"], row["status"], row["cost_usd"]) == (
        None,
        None,
        None,
        None,
    )
    assert "a new site's build time is not declared" in row["note"]
    assert "[[new_site]]" in row["note"]


def test_a_region_within_its_ceilings_reads_not_within_the_horizon() -> None:
    """A 100 MW ceiling holds every order of the year: no date, green, and the note says the
    ceilings hold through the horizon's last day."""
    row = _construction(ceiling_mw=100.0, new_site={"build_months": 24, "cost_per_mw_usd": 10e6})
    assert (row["exhaustion_date"], row["start_by"], row["status"]) == (None, None, "green")
    assert row["mw_past_ceilings"] == 0.0
    assert "not within the horizon" in row["note"]
    assert f"through {day(364)}" in row["note"]
    # The terminal read "r1 within their sites' ceilings through ...: ceilings run out not
    # within the horizon", a clause with no verb.
    held = pl.DataFrame([row], schema=CONSTRUCTION_SCHEMA)
    assert construction_lines(held)[0].startswith(
        f"construction: r1 stays within its sites' ceilings through {day(364)}, the plan's "
        "end: no new site is needed within the horizon"
    )


def test_ceilings_that_hold_to_a_horizon_shorter_than_the_build_say_it_is_not_verified() -> None:
    """A 45-day fleet forecast 2 weeks ahead printed "construction: eu-west, us-east, us-west
    stay within their sites' ceilings through 2026-12-19, the plan's end: no new site is
    needed within the horizon", and the facilities page's card "none: no region's site
    ceilings run out within the horizon", for sites that take 30 months to build: their own
    notes said "not verified past 2026-12-19: ... already past". The line and the card say
    it too; a horizon past the build time reads as before."""
    from test_report import sample_inputs

    from forecasting.report.pages.facilities import _construction_card

    short = _construction(ceiling_mw=100.0, new_site={"build_months": 24, "cost_per_mw_usd": 1e7})
    held = pl.DataFrame([short], schema=CONSTRUCTION_SCHEMA)
    said = (
        f"not verified past {day(364)}: ceilings running out the day after would have needed a "
        "new site started by"
    )
    assert said in short["note"]
    (line,) = construction_lines(held)
    assert line.startswith("construction: r1 stays within") and said in line, line
    ((_, card),) = _construction_card(replace(sample_inputs(), construction=held))
    assert card.startswith("none: no region's site ceilings run out") and said in card, card
    quick = _construction(ceiling_mw=100.0, new_site={"build_months": 2, "cost_per_mw_usd": 1e7})
    assert "not verified" not in quick["note"]
    assert (
        "not verified"
        not in construction_lines(pl.DataFrame([quick], schema=CONSTRUCTION_SCHEMA))[0]
    )


def _rows(*new_site: dict[str, Any]) -> pl.DataFrame:
    """The construction frame of r1 under a 1.0 MW ceiling, with ``new_site`` declared."""
    plan = site_plan(
        sites=[site(mw=1.0, ceiling_mw=1.0)],
        new_sites=[{"region": "r1", **n} for n in new_site] or None,
    )
    d = np.arange(365, dtype=float)
    forecast = _forecast(700.0 + d, 365)
    result = expansion_triggers(forecast, plan, as_of=AS_OF)
    return construction_triggers(
        plan,
        result.placements,
        as_of=AS_OF,
        end=day(364),
        buffer_weeks=4,
        quantile="q90",
        requirements=pool_requirements(forecast, plan, as_of=AS_OF, column="q90"),
    )


def test_the_facilities_page_and_the_terminal_say_when_to_start_a_new_site() -> None:
    """The facilities page and `report`'s summary said of demand past the ceilings only "a new
    site is needed"; they now give the day the ceilings run out, the start date with its
    colour, the build time and the declared cost, and say "not dated" without [[new_site]]."""
    dated = _rows({"build_months": 12, "cost_per_mw_usd": 10e6})
    inputs = ReportInputs(
        run_id="r",
        as_of=AS_OF,
        generated_at=datetime(2026, 1, 5, 6, tzinfo=UTC),
        plan=site_plan(sites=[site(mw=1.0, ceiling_mw=1.0)]),
        construction=dated,
    )
    page = html.unescape(facilities_page(inputs))
    assert "New sites to build" in page
    assert "start a new site by" in page
    assert "2025-03-19, 292 days ago" in page  # the start date, late
    assert "12 months" in page and "$8.0M" in page
    # The card says what set the day: here the demand's MW pass the ceiling's sum.
    assert "ceilings run out 2026-04-16, when demand passes their sum)" in page
    assert "r1's sites run out of room under their ceilings (1.0 MW in all) on 2026-04-16" in page
    assert construction_lines(dated) == [
        "construction: r1's sites run out of room under their ceilings (1.0 MW) on 2026-04-16 "
        "at q90, when demand passes their sum; start a new site by 2025-03-19 (red, 292 days "
        "ago: late; 12 months to build): 0.8 MW past them, $8.0M at the declared cost per MW"
    ]
    undated = _rows()
    page = html.unescape(facilities_page(replace(inputs, construction=undated)))
    assert "not dated (build time not declared)" in page
    assert "not dated for r1: its ceilings run out 2026-04-16" in page
    assert construction_lines(undated) == [
        "construction: r1's sites run out of room under their ceilings (1.0 MW) on 2026-04-16 "
        "at q90, when demand passes their sum; no start date: a new site's build time is not "
        "declared (add a [[new_site]] for r1)"
    ]
    # Past the daily rows the first of a month stands for the month, and is said so.
    monthly = construction_triggers(
        site_plan(sites=[site(mw=1.0, ceiling_mw=1.0)]),
        pl.DataFrame(schema=PLACEMENTS_SCHEMA),
        as_of=AS_OF,
        end=day(364),
        buffer_weeks=4,
        quantile="q90",
        daily_end=day(100),
    )
    assert monthly["exhaustion_date"].to_list() == [None]  # one live 1 MW rack: within
    moved = undated.with_columns(exhaustion_monthly=pl.lit(True))
    assert "in Apr 2026 (monthly grain) at q90" in construction_lines(moved)[0]
    assert "its ceilings run out Apr 2026 (monthly grain)" in html.unescape(
        facilities_page(replace(inputs, construction=moved))
    )
    # A plan without sites: no card, and the table says why it is empty.
    bare = html.unescape(facilities_page(replace(inputs, construction=undated.clear())))
    assert "start a new site by" not in bare.split("New sites to build")[0]


def test_a_what_if_past_the_ceilings_prices_the_declared_new_site_and_says_when() -> None:
    """20,000 us-west inference GPUs need blocks past us-west's ceilings: the what-if priced
    their MW at the dearest existing site's cost per MW "an assumption", "at least $X", and
    said "when a new site could power them is not in the plan". With us-west's [[new_site]]
    declared ($14M per MW, 24 months to build) their MW are priced at it, said as declared, the
    figure is no lower bound on that account, and a new site started on the as-of day
    (2026-12-05) could power them from 2028-12-05."""
    from forecasting.capacity import NewSite
    from forecasting.whatif import deal_contract, what_if
    from tests.test_whatif_ladder import _AS_OF, _SETTINGS, _fleet

    forecast, plan, without = _fleet()
    declared = plan.model_copy(
        update={"new_site": (NewSite(region="us-west", build_months=24, cost_per_mw_usd=14e6),)}
    )
    deal = deal_contract(
        customer="newco", workload_class="inference", region="us-west", ramp="2027-03-01:20000"
    )
    answer = what_if(forecast, declared, deal, as_of=_AS_OF, settings=_SETTINGS, without=without)
    row = answer.deal_blocks.filter(pl.col("blocks_beyond_ceiling") > 0).row(0, named=True)
    assert row["new_site_usd"] == pytest.approx(row["new_site_mw"] * 14e6)
    assert row["new_site_from"] == date(2028, 12, 5)
    assert answer.capex_bound is None
    assert (
        "priced at $14.0M per MW (the new site us-west declares in capacity.toml, 24 months to "
        "build; declared, not an assumption)"
    ) in answer.capex_basis, answer.capex_basis
    assert "a new site started today could power them from 2028-12-05" in answer.capex_basis
    assert "not in the plan" not in answer.capex_basis
    assert "an assumption:" not in answer.capex_basis
    said = " ".join(answer.notes)
    assert "as declared are in the extra capex" in said and "a lower bound" not in said


def test_an_order_stored_with_no_date_is_not_read_as_needed_today() -> None:
    """A placement stored with neither a shortfall day nor an arrival (a run before migration
    16) was counted from the as-of day, and read the region's ceilings as run out today."""
    undated = pl.DataFrame(
        [
            {
                "region": "r1",
                "pool": "all",
                "candidate": "rack-h100",
                "site": "s1",
                "blocks": 5,
                "mw": 5.0,
                "powered": False,
                "blocks_beyond_ceiling": 0,
            }
        ],
        schema=PLACEMENTS_SCHEMA,
    )
    row = construction_triggers(
        site_plan(sites=[site(mw=1.0, ceiling_mw=1.0)]),
        undated,
        as_of=AS_OF,
        end=day(364),
        buffer_weeks=4,
        quantile="q90",
    ).row(0, named=True)
    assert (row["exhaustion_date"], row["status"]) == (None, "green")


def _power_past_ceiling() -> pl.DataFrame:
    """r1's one site, 0.5 MW to contract and 0.8 MW of orders past its ceiling."""
    from forecasting.triggers import POWER_TRIGGERS_SCHEMA

    row = {"region": "r1", "site": "s1", "status": "red", "contract_by": AS_OF,
           "mw_to_contract": 0.5, "mw_beyond_ceiling": 0.8, "power_lead_months": 24,
           "cost_usd": 0.75e6}  # fmt: skip
    return pl.concat(
        [POWER_TRIGGERS_SCHEMA.to_frame(), pl.DataFrame([row])], how="diagonal_relaxed"
    )


def test_finance_dates_and_prices_the_new_site_it_did_not_see() -> None:
    """The demo's facilities page priced us-east's new site ($1,474.6M for 118.0 MW, start by
    2026-04-03, red) while the finance page had no word of it: its power card read "+ 118.0 MW
    beyond their ceilings: not priced", as did the facilities power table beside the New
    sites table that prices them. Finance now carries a new-sites card (cost, MW, start-by,
    status), capital by quarter stacks it apart at its start-by date (a passed one in the
    run's quarter) and says so, and both power figures point to it; without [[new_site]] the
    MW stay "not priced" and no cost is made up."""
    from forecasting.report.pages.finance import finance_page

    dated = _rows({"build_months": 12, "cost_per_mw_usd": 10e6})
    inputs = ReportInputs(
        run_id="r",
        as_of=AS_OF,
        generated_at=datetime(2026, 1, 5, 6, tzinfo=UTC),
        plan=site_plan(sites=[site(mw=1.0, ceiling_mw=1.0)]),
        construction=dated,
        power_triggers=_power_past_ceiling(),
    )
    page = html.unescape(finance_page(inputs))
    assert "new sites to build" in page
    assert (
        "$8.0M for 0.8 MW past r1's site ceilings: start a new site by 2025-03-19, 292 days "
        "ago: late (red; 12 months to build, at the declared $10.00M per MW)"
    ) in page, page
    assert "(+ 0.8 MW beyond their ceilings: a new site's, priced under New sites to build)" in (
        page
    )
    assert "not priced" not in page
    # Capital by quarter: its own series, at its start-by, passed: the run's quarter.
    assert "new sites (at start-by)" in page
    assert (
        "New sites: $8.0M for r1's, in 2026 Q1: dated at its start-by date (2025-03-19, "
        "passed: this run's quarter), when the site is committed, as an order is at its "
        "order-by; not spread over its 12 months of building"
    ) in page
    facilities = html.unescape(facilities_page(inputs))
    assert "(the 0.8 MW beyond the ceiling: a new site's, priced under New sites to build)" in (
        facilities
    )
    # Without [[new_site]]: today's wording, no cost.
    undated = replace(inputs, construction=_rows())
    page = html.unescape(finance_page(undated))
    assert "(+ 0.8 MW beyond their ceilings: not priced)" in page
    assert (
        "0.8 MW past r1's site ceilings (ceilings run out 2026-04-16): not priced, no "
        "[[new_site]] declared for r1"
    ) in page
    assert "new sites (at start-by)" not in page
    assert "(the 0.8 MW beyond the ceiling: not priced)" in html.unescape(facilities_page(undated))


def test_orders_csv_carries_the_new_site_apart_from_the_blocks(tmp_path: Path) -> None:
    """orders.csv, the download finance pivots by quarter of order, held the blocks alone: the
    new site the facilities page priced (the demo's $1,474.6M for us-east, start by
    2026-04-03) was in no download. A row per region whose ceilings run out now carries it:
    order_by its start-by date, status its colour, exhaustion_date the day the ceilings run
    out, its MW and declared cost in two columns of their own, added last (new_site_mw,
    new_site_capex_usd); capex_usd and mw stay null there, so their sums stay the blocks'.
    Without [[new_site]] the row has no date and no cost."""
    from forecasting.report import publish_report

    inputs = ReportInputs(
        run_id="r",
        as_of=AS_OF,
        generated_at=datetime(2026, 1, 5, 6, tzinfo=UTC),
        plan=site_plan(sites=[site(mw=1.0, ceiling_mw=1.0)]),
        construction=_rows({"build_months": 12, "cost_per_mw_usd": 10e6}),
    )
    folder = publish_report(inputs, root=tmp_path / "dated")
    orders = pl.read_csv(folder / "orders.csv", try_parse_dates=True)
    # Then the new-site dates and the next report's words (test_orders_before_next_report).
    assert orders.columns[-7:-4] == ["order_by_blocks", "new_site_mw", "new_site_capex_usd"]
    row = orders.filter(pl.col("new_site_mw").is_not_null()).row(0, named=True)
    assert (row["region"], row["order_by"], row["status"]) == ("r1", date(2025, 3, 19), "red")
    assert row["exhaustion_date"] == date(2026, 4, 16)
    assert row["new_site_mw"] == pytest.approx(0.8, abs=0.01)
    assert row["new_site_capex_usd"] == pytest.approx(row["new_site_mw"] * 10e6)
    assert (row["capex_usd"], row["mw"], row["blocks"]) == (None, None, None)
    undated = publish_report(replace(inputs, construction=_rows()), root=tmp_path / "undated")
    row = pl.read_csv(undated / "orders.csv", try_parse_dates=True).row(0, named=True)
    assert row["new_site_mw"] == pytest.approx(0.8, abs=0.01)
    assert (row["order_by"], row["status"], row["new_site_capex_usd"]) == (None, None, None)


def _tiny_past_the_ceilings() -> pl.DataFrame:
    """r1's construction row for 0.03 MW past its 1.0 MW of ceilings, a new site at $12.5M
    per MW, its start-by long passed."""
    row = {
        "region": "r1",
        "as_of": AS_OF,
        "quantile": "q90",
        "ceilings_mw": 1.0,
        "exhaustion_date": day(200),
        "exhaustion_monthly": False,
        "mw_needed_at_exhaustion": 1.03,
        "mw_past_ceilings": 0.03,
        "horizon_end": day(364),
        "build_months": 24,
        "start_by": day(-600),
        "ready_if_started_today": day(730),
        "status": "red",
        "cost_usd": 0.03 * 12.5e6,
        "note": "",
    }
    return pl.DataFrame([row], schema=CONSTRUCTION_SCHEMA)


def test_a_new_site_under_a_million_reads_in_thousands() -> None:
    """A new site for 0.03 MW at $12.5M per MW read "$0.4M" on the terminal, the rounding the
    CLI's money already avoids elsewhere ($375k); it reads as every other amount does."""
    [line] = construction_lines(_tiny_past_the_ceilings())
    assert "$375k at the declared cost per MW" in line


# --- the demand's MW, not whole blocks, date when the ceilings run out -----------------------


def test_the_ceilings_run_out_when_the_demand_needs_the_mw_not_when_an_order_starts() -> None:
    """An order counted whole from its need day ran the ceilings out the day its pool first
    needed one GPU of it: 4 racks (1.6 MW) needed from day 10 read r1's 2.2 MW ceiling as
    passed on day 10, beside 1.0 MW in service, though the demand (4 H100-equivalents more
    short each day, 0.0016 MW each) passes it on day 188. The day is now the demand's own
    crossing, and the note says the demand's MW set it."""
    plan = site_plan(sites=[site(mw=2.2, ceiling_mw=2.2)])
    placed = pl.DataFrame(
        [{"region": "r1", "pool": "all", "candidate": "rack-h100", "site": "s1", "blocks": 4,
          "mw": 1.6, "arrives": day(10), "powered": True, "tranche": 1,
          "exhaustion_date": day(10), "blocks_beyond_ceiling": 0}],
        schema=PLACEMENTS_SCHEMA,
    )  # fmt: skip
    requirements = pl.DataFrame(
        {
            "region": "r1",
            "pool": ["all"] * 365 + ["training"] * 365,
            "ds": [day(i) for i in range(365)] * 2,
            "requirement_gpus": [1000.0 + 4 * i for i in range(365)] + [0.0] * 365,
            "capacity_gpus": 1000.0,
        }
    )
    row = construction_triggers(
        plan, placed, as_of=AS_OF, end=day(364), buffer_weeks=4, quantile="q90",
        requirements=requirements,
    ).row(0, named=True)  # fmt: skip
    assert row["exhaustion_date"] == day(188)
    assert row["mw_needed_at_exhaustion"] == pytest.approx(1.0 + 4 * 188 * 0.0016)
    assert "(the day the demand's MW at q90 plus headroom pass their sum)" in row["note"]
    # The blocks a new site must hold are whole: 0.4 MW past the ceiling at the most.
    assert row["mw_past_ceilings"] == pytest.approx(0.4)


def test_ceilings_already_passed_by_the_blocks_in_service_say_so_not_a_q90_day() -> None:
    """r1's blocks in service draw 2.0 MW at a site whose ceiling is 1.5 MW. The row read
    "r1's sites run out of room under their ceilings (1.5 MW in all) on 2026-01-05 at q90
    (the day the demand's MW at q90 plus headroom pass their sum)": the as-of day, on which no
    forecast row falls (they start the day after), passed by the plan's own blocks. It says
    they are already past their ceilings, by the MW in service against the ceilings."""
    plan = site_plan(sites=[site(mw=1.0, ceiling_mw=1.5)], blocks=[block(mw=2.0)])
    requirements = pl.DataFrame(
        {
            "region": "r1",
            "pool": ["all"] * 30 + ["training"] * 30,
            "ds": [day(i) for i in range(1, 31)] * 2,
            "requirement_gpus": [900.0] * 60,
            "capacity_gpus": 1000.0,
        }
    )
    rows = construction_triggers(
        plan, pl.DataFrame(schema=PLACEMENTS_SCHEMA), as_of=AS_OF, end=day(30), buffer_weeks=4,
        quantile="q90", requirements=requirements,
    )  # fmt: skip
    row = rows.row(0, named=True)
    assert (row["exhaustion_date"], row["exhaustion_set_by"]) == (AS_OF, "in_service")
    assert row["mw_needed_at_exhaustion"] == pytest.approx(2.0)
    assert row["note"].startswith(
        "r1's sites are already past their ceilings on the as-of day (2026-01-05): the blocks "
        "in service there draw 2.0 MW against 1.5 MW of ceilings in all, the plan's own MW, "
        "not a q90 forecast; 0.5 MW needed past them at the most"
    ), row["note"]
    assert "at q90" not in row["note"]
    (line,) = construction_lines(rows)
    assert line.startswith(
        "construction: r1's sites are already past their ceilings (1.5 MW) on the as-of day "
        "2026-01-05: the blocks in service alone draw more (2.0 MW needed then)"
    ), line
    assert "at q90" not in line
    # The demand passing the ceilings a day later is still the q90's day.
    later = site_plan(sites=[site(mw=2.0, ceiling_mw=2.0)], blocks=[block(mw=2.0)])
    short = requirements.with_columns(requirement_gpus=pl.lit(1100.0))
    placed = pl.DataFrame(
        [{"region": "r1", "pool": "all", "candidate": "rack-h100", "site": "s1", "blocks": 1,
          "mw": 0.4, "arrives": day(1), "powered": True, "tranche": 1,
          "exhaustion_date": day(1), "blocks_beyond_ceiling": 0}],
        schema=PLACEMENTS_SCHEMA,
    )  # fmt: skip
    demand = construction_triggers(
        later, placed, as_of=AS_OF, end=day(30), buffer_weeks=4, quantile="q90",
        requirements=short,
    ).row(0, named=True)  # fmt: skip
    assert (demand["exhaustion_date"], demand["exhaustion_set_by"]) == (day(1), "demand")
    assert "on 2026-01-06 at q90" in demand["note"], demand["note"]


def test_a_block_no_site_takes_sets_the_day_the_demand_first_needs_it() -> None:
    """r1's site holds one 0.4 MW rack more under its 1.5 MW ceiling; the pool's order of 2
    racks, needed from day 101, read the ceilings run out that day (its second rack counted
    whole from the order's first day). The second rack is needed from day 301, when the
    shortfall passes the first rack's 250 GPUs: a block cannot be split, so that is the day,
    set by where the blocks go, and the note says the demand's own MW pass the ceilings'
    sum on day 351."""
    plan = site_plan(sites=[site(mw=1.5, ceiling_mw=1.5)])
    d = np.arange(365, dtype=float)
    forecast = _forecast(700.0 + d, 365)
    result = expansion_triggers(forecast, plan, as_of=AS_OF)
    assert result.placements["blocks"].sum() == 2
    row = construction_triggers(
        plan,
        result.placements,
        as_of=AS_OF,
        end=day(364),
        buffer_weeks=4,
        quantile="q90",
        requirements=pool_requirements(forecast, plan, as_of=AS_OF, column="q90"),
    ).row(0, named=True)
    assert row["exhaustion_date"] == day(301)
    assert (
        f"(set by where the blocks go: 1 x rack-h100 of r1/all, needed from {day(301)}, fit "
        f"under no one site's ceiling, though the demand's MW pass the ceilings' sum on "
        f"{day(351)})"
    ) in row["note"], row["note"]
    assert row["mw_past_ceilings"] == pytest.approx(0.4)


def test_a_tiny_mw_past_the_ceilings_reads_under_a_tenth_not_zero() -> None:
    """0.03 MW past r1's ceilings read "0.0 MW past them" on the terminal (and "0.0 MW" on the
    pages), a new site priced for nothing; a figure above zero that rounds to 0.0 now reads
    "under 0.1 MW", on the terminal, the note and every page's MW, and zero stays 0.0 MW."""
    from forecasting.report.format import fmt_mw

    [line] = construction_lines(_tiny_past_the_ceilings())
    assert "): under 0.1 MW past them, $375k" in line, line
    assert (fmt_mw(0.03), fmt_mw(0.0), fmt_mw(0.05), fmt_mw(12.34)) == (
        "under 0.1 MW",
        "0.0 MW",
        "0.1 MW",
        "12.3 MW",
    )
    plan = site_plan(
        sites=[site(mw=1.0, ceiling_mw=1.0)],
        new_sites=[{"region": "r1", "build_months": 24, "cost_per_mw_usd": 12.5e6}],
    )
    tiny = pl.DataFrame(
        [{"region": "r1", "pool": "all", "candidate": "rack-h100", "site": "s1", "blocks": 1,
          "mw": 0.03, "arrives": day(200), "powered": False, "tranche": 1,
          "exhaustion_date": day(200), "blocks_beyond_ceiling": 1}],
        schema=PLACEMENTS_SCHEMA,
    )  # fmt: skip
    note = construction_triggers(
        plan, tiny, as_of=AS_OF, end=day(364), buffer_weeks=4, quantile="q90"
    )["note"][0]
    assert "under 0.1 MW needed past them" in note and "$375k for under 0.1 MW" in note, note
    assert "0.0 MW" not in note


# --- blocks past every ceiling, dated by the region's new site -------------------------------


def _past_every_ceiling(*new_site: dict[str, Any]) -> tuple[ReportInputs, pl.DataFrame]:
    """r1's racks, needed from 2026-04-16 at a site already at its 1.0 MW ceiling: the report
    inputs with ``new_site`` declared, and the trigger rows with their notes dated."""
    from forecasting.triggers import with_new_site_notes

    plan = site_plan(
        sites=[site(mw=1.0, ceiling_mw=1.0)],
        new_sites=[{"region": "r1", **n} for n in new_site] or None,
    )
    forecast = _forecast(700.0 + np.arange(365, dtype=float), 365)
    result = expansion_triggers(forecast, plan, as_of=AS_OF)
    construction = _rows(*new_site)
    triggers = with_new_site_notes(result.triggers, construction, plan, as_of=AS_OF)
    inputs = ReportInputs(
        run_id="r",
        as_of=AS_OF,
        generated_at=datetime(2026, 1, 5, 6, tzinfo=UTC),
        plan=plan,
        triggers=triggers,
        placements=result.placements,
        construction=construction,
    )
    return inputs, triggers.filter(pl.col("pool") == "all")


def test_blocks_past_every_ceiling_are_dated_by_the_declared_new_site() -> None:
    """Racks no site's ceiling holds read "past the site ceilings: a new site is needed; no
    order-by until one is planned" on the trigger's note and the finance page, beside the New
    sites table that plans that site (start by 2026-01-19, 2 months to build). They are now
    dated: the ordinary order-by (the shortfall's day less lead time and buffer), in a new
    site that must be started by its start-by date."""
    from forecasting.report.pages.finance import finance_page

    inputs, row = _past_every_ceiling({"build_months": 2, "cost_per_mw_usd": 10e6})
    said = "order by 2026-01-22, in a new site that must be started by 2026-01-19"
    note = row["note"][0]
    assert f"past the site ceilings, {said}" in note, note
    assert "no order-by until one is planned" not in note
    page = html.unescape(finance_page(inputs))
    assert said in page
    assert "no order-by until one is planned" not in page
    # The facilities page's blocks to order: the same date in its order-by column.
    assert said in html.unescape(facilities_page(inputs))


def test_a_new_site_too_late_for_the_need_dates_them_to_land_with_it() -> None:
    """With 12 months to build, the new site's start-by (2025-03-19) has passed: started today
    it holds the racks from 2027-01-05 at the earliest, 264 days after they are needed. They
    are dated to land then, and the need until then is said unmet; without a [[new_site]] no
    date is made up."""
    from forecasting.report.pages.finance import finance_page

    inputs, row = _past_every_ceiling({"build_months": 12, "cost_per_mw_usd": 10e6})
    said = (
        "order by 2026-11-10, to land with a new site started today (2027-01-05 at the "
        "earliest; its start-by date, 2025-03-19, has passed): the need from 2026-04-16 until "
        "then is unmet"
    )
    assert said in row["note"][0], row["note"][0]
    assert said in html.unescape(finance_page(inputs))
    inputs, row = _past_every_ceiling()
    assert "no order-by until one is planned" in row["note"][0]
    page = html.unescape(finance_page(inputs))
    assert "none: past the site ceilings: a new site is needed; no order-by until one" in page
    assert "in a new site that must be started by" not in page


@cache
def _later_past_every_ceiling() -> tuple[Any, Any, pl.DataFrame]:
    """r1's racks past its 1.0 MW ceiling, sized 8 weeks at a time: the trigger's order
    (tranche 1) and one later order (tranche 2, landing 2026-10-05), the new site declared
    with 2 months to build (start by 2026-01-19): the plan, the trigger result and the
    construction rows."""
    declared = {"build_months": 2, "cost_per_mw_usd": 10e6}
    plan = site_plan(sites=[site(mw=1.0, ceiling_mw=1.0)], new_sites=[{"region": "r1", **declared}])
    forecast = _forecast(700.0 + np.arange(365, dtype=float), 365)
    settings = TriggerSettings(sizing_weeks=8)
    return plan, expansion_triggers(forecast, plan, as_of=AS_OF, settings=settings), _rows(declared)


def test_a_plan_whose_every_order_is_past_the_ceilings_renders_its_next_order_by() -> None:
    """Where every trigger's order lies past the ceilings (no order-by date) and a later one
    does too, the finance and index pages' "next order-by" card raised a TypeError: it read
    every later order as due before the triggers and took the first one's missing date. It
    now names the first dated one, or none."""
    from forecasting.report.pages.common import next_order_by

    plan, result, construction = _later_past_every_ceiling()
    inputs = ReportInputs(
        run_id="r",
        as_of=AS_OF,
        generated_at=datetime(2026, 1, 5, 6, tzinfo=UTC),
        plan=plan,
        triggers=result.triggers,
        placements=result.placements,
        construction=construction,
    )
    assert "a later order" not in next_order_by(inputs)


def test_later_orders_past_every_ceiling_in_a_trigger_note_are_dated_too() -> None:
    """A trigger's note listed its later orders past every ceiling as "1 x rack-h100 (past the
    site ceilings: a new site is needed; no order-by until one is planned)" (written when the
    triggers ran, before the construction rows), while the finance page's later orders dated
    the same rack by the declared new site. The note now gives the finance page's date, one
    per later order where the list summed them; without a [[new_site]] no date is made up."""
    from forecasting.report.pages.finance import finance_page
    from forecasting.triggers import with_new_site_notes
    from forecasting.triggers.common import NO_ORDER_BY

    plan, result, construction = _later_past_every_ceiling()
    triggers = with_new_site_notes(
        result.triggers, construction, plan, as_of=AS_OF, placements=result.placements
    )
    note = triggers.filter(pl.col("pool") == "all")["note"][0]
    # Tranche 2 lands 2026-10-05 (8 weeks' lead): the finance page's date for it.
    said = "order by 2026-08-10, in a new site that must be started by 2026-01-19"
    assert f"1 x rack-h100 (past the site ceilings, {said})" in note, note
    assert NO_ORDER_BY not in note
    inputs = ReportInputs(
        run_id="r",
        as_of=AS_OF,
        generated_at=datetime(2026, 1, 5, 6, tzinfo=UTC),
        plan=plan,
        triggers=triggers,
        placements=result.placements,
        construction=construction,
    )
    page = html.unescape(finance_page(inputs))
    assert said in page and NO_ORDER_BY not in page
    # Two later orders summed in one clause read one date each, in the note's order.
    later = result.placements.filter(pl.col("tranche") == 2)
    third = later.with_columns(
        tranche=pl.lit(3, pl.Int64),
        arrives=pl.lit(day(330)),
        exhaustion_date=pl.lit(day(358)),
    )
    summed = result.triggers.filter(pl.col("pool") == "all").with_columns(
        note=pl.lit(f"later orders (2 planned: 2 x rack-h100 ({NO_ORDER_BY}); $16.0M)")
    )
    two = with_new_site_notes(
        summed,
        construction,
        plan,
        as_of=AS_OF,
        placements=pl.concat([result.placements, third]),
    )["note"][0]
    assert (
        f"1 x rack-h100 (past the site ceilings, {said}), 1 x rack-h100 (past the site "
        "ceilings, order by 2026-10-06, in a new site that must be started by 2026-01-19)"
    ) in two, two
    # No [[new_site]]: no construction start date, the clause stands.
    bare = site_plan(sites=[site(mw=1.0, ceiling_mw=1.0)])
    kept = with_new_site_notes(
        result.triggers, _rows(), bare, as_of=AS_OF, placements=result.placements
    )
    assert f"1 x rack-h100 ({NO_ORDER_BY})" in kept.filter(pl.col("pool") == "all")["note"][0]


@pytest.mark.parametrize(
    ("build_months", "said"),
    [
        # Started by 2026-01-19, a 2-month build is ready 2026-03-19, as the racks land.
        (2, "2026-03-19 (with the new site ready on 2026-03-19)"),
        # Its start-by has passed: ordered by 2026-11-10 (8 weeks' lead) they land the day a
        # site started today is ready, not before it.
        (
            12,
            "2027-01-05 (with a new site started today ready on 2027-01-05; the need from "
            "2026-04-16 until then is unmet)",
        ),
    ],
)
def test_blocks_past_every_ceiling_arrive_with_the_declared_new_site(
    build_months: int, said: str
) -> None:
    """The facilities and finance pages' "arrives" read "none: all past s1's ceiling, a new
    site is needed; no arrival until one is planned" for racks their order-by column dates by
    the declared new site. They now say when the racks arrive, ordered by that date, and when
    the new site is ready; without a [[new_site]] no arrival is made up."""
    from forecasting.report.pages.finance import finance_page

    inputs, _ = _past_every_ceiling({"build_months": build_months, "cost_per_mw_usd": 10e6})
    for page in (facilities_page(inputs), finance_page(inputs)):
        text = html.unescape(page)
        assert said in text
        assert "no arrival until one is planned" not in text
    inputs, _ = _past_every_ceiling()
    assert "no arrival until one is planned" in html.unescape(facilities_page(inputs))


def test_the_terminal_construction_line_says_what_set_the_day_the_ceilings_run_out() -> None:
    """`fleetcast report`'s construction lines read "us-west's sites run out of room under
    their ceilings (90.0 MW) in Jul 2029" alike whether the demand's MW passed the ceilings'
    sum then or a block no one site's ceiling takes whole was first needed (the demo's
    us-west: its MW pass the sum only in Dec 2029). Each line now says which set it."""
    base = {
        "region": "r1",
        "as_of": AS_OF,
        "quantile": "q90",
        "ceilings_mw": 1.0,
        "exhaustion_date": day(200),
        "exhaustion_monthly": False,
        "mw_needed_at_exhaustion": 1.5,
        "mw_past_ceilings": 0.5,
        "horizon_end": day(364),
        "build_months": 24,
        "start_by": day(-600),
        "ready_if_started_today": day(730),
        "status": "red",
        "cost_usd": 0.5 * 12.5e6,
        "note": "",
    }
    rows = [
        base | {"region": region, "exhaustion_set_by": by}
        for region, by in (("r1", "demand"), ("r2", "placement"), ("r3", "orders"))
    ]
    lines = construction_lines(pl.DataFrame(rows, schema=CONSTRUCTION_SCHEMA))
    said = {line.split("'s sites")[0].removeprefix("construction: "): line for line in lines}
    on = f"on {day(200)} at q90"
    assert f"{on}, when demand passes their sum;" in said["r1"], said["r1"]
    needs = "when demand first needs a block no one site's ceiling takes"
    assert f"{on}, {needs};" in said["r2"], said["r2"]
    assert f"{on}, when its orders, whole, pass their sum;" in said["r3"], said["r3"]


def test_an_arrival_with_a_new_site_started_today_says_so() -> None:
    """Where the new site's start-by has passed but one started today is ready before the
    blocks are needed, their arrival read "(with the new site ready on 2029-06-05)", as if
    the site started by its start-by date were: the order-by beside it says "passed: started
    today it is ready 2029-06-05". The arrival now says the site is started today."""
    from forecasting.triggers import new_site_arrival

    plan = site_plan(
        sites=[site(mw=1.0, ceiling_mw=1.0)],
        new_sites=[{"region": "r1", "build_months": 2, "cost_per_mw_usd": 10e6}],
    )
    row = {
        "region": "r1",
        "as_of": AS_OF,
        "exhaustion_date": day(200),
        "build_months": 2,
        "start_by": day(-10),
        "ready_if_started_today": day(59),
        "buffer_weeks": 4,
    }
    construction = pl.DataFrame([row], schema=CONSTRUCTION_SCHEMA)
    order = {"region": "r1", "candidate": "rack-h100", "exhaustion_date": day(200)}
    said = new_site_arrival(construction, plan, order | {"arrives": day(172)}, as_of=AS_OF)
    assert said == f"{day(172)} (with a new site started today ready on {day(59)})", said


def test_the_terminal_dates_an_order_past_every_ceiling_by_the_new_site() -> None:
    """`fleetcast report`'s triggers table read "none: past the site ceilings: a new site is
    needed; no order-by until one is planned" in the order-by column of racks the finance and
    facilities pages date by the region's declared new site. It now reads their date; without
    a [[new_site]] the words stand."""
    from rich.console import Console

    from flows.tables import report_table
    from forecasting.runs import ReportOutcome
    from forecasting.runs.reports import report_trigger_rows

    def table(inputs: ReportInputs) -> str:
        outcome = ReportOutcome(
            run_id="r", trigger_run_id="t", path=Path("."), statuses={}, failing_drills=[],
            stale_days=None, triggers=report_trigger_rows(inputs).to_dicts(), as_of=AS_OF,
        )  # fmt: skip
        console = Console(width=400, record=True)
        console.print(report_table(outcome))
        return " ".join(console.export_text().split())

    inputs, _ = _past_every_ceiling({"build_months": 2, "cost_per_mw_usd": 10e6})
    text = table(inputs)
    assert "│ order by 2026-01-22, in a new site that must be started by 2026-01-19 │" in text
    assert "no order-by until one is planned" not in text
    inputs, _ = _past_every_ceiling()
    assert "none: past the site ceilings: a new site is needed; no order-by until" in table(inputs)


@cache
def _one_past_a_ceiling() -> ReportInputs:
    """Two racks ordered at s1, one under its 1.4 MW ceiling, one past it; r1's new site
    declared with 2 months to build: the report inputs."""
    plan = site_plan(
        sites=[site(mw=1.0, ceiling_mw=1.4)],
        new_sites=[{"region": "r1", "build_months": 2, "cost_per_mw_usd": 10e6}],
    )
    return ceiling_inputs(plan, _forecast(700.0 + np.arange(365, dtype=float), 365))


def test_blocks_past_a_ceiling_are_not_dated_to_land_before_their_new_site() -> None:
    """Two racks, one under s1's 1.4 MW ceiling: the one past it was dated by the order's own
    arrival ("order by 2026-01-22", arriving 2026-03-19) in a new site started by 2026-08-05
    and ready 2026-10-05: a block landing seven months before the site that holds it. It is
    now dated to land when the site is ready (its start-by already holds the buffer), as one
    past a passed start-by is; it read "arrive 2026-09-07", four weeks before that site."""
    from forecasting.report.pages.finance import finance_page

    inputs = _one_past_a_ceiling()
    page = html.unescape(finance_page(inputs))
    assert (
        "the 1 past it: order by 2026-08-10, in a new site that must be started by 2026-08-05"
    ) in page
    assert "they arrive 2026-10-05 (with the new site ready on 2026-10-05)" in page


def test_the_facilities_order_by_of_an_order_partly_past_a_ceiling_dates_both_parts() -> None:
    """The facilities page's blocks to order and power-by-order tables read "2026-01-22" for
    two racks of which one lies past s1's ceiling, where the finance page reads that date for
    the one under it and the new site's for the other. They now read as the finance page."""
    page = html.unescape(facilities_page(_one_past_a_ceiling()))
    said = (
        "2026-01-22 for the 1 under the ceiling; the 1 past it: order by 2026-08-10, in a new "
        "site that must be started by 2026-08-05"
    )
    assert page.count(said) == 2, page.count(said)


def test_orders_csv_dates_the_blocks_past_every_ceiling_by_the_new_site(tmp_path: Path) -> None:
    """orders.csv read a null order_by and arrives for racks past every ceiling that every
    page dates by the region's declared new site ("order by 2026-01-22, in a new site that must
    be started by 2026-01-19"): a pivot of the download by order date left them out. Two
    columns, added last, now carry that order-by and arrival; null without a [[new_site]]."""
    from forecasting.report import publish_report

    inputs, _ = _past_every_ceiling({"build_months": 2, "cost_per_mw_usd": 10e6})
    folder = publish_report(inputs, root=tmp_path / "dated")
    orders = pl.read_csv(folder / "orders.csv", try_parse_dates=True)
    assert orders.columns[-4:-2] == ["new_site_order_by", "new_site_arrives"]
    row = orders.filter(pl.col("tranche") == 1).row(0, named=True)
    assert (row["order_by"], row["new_site_order_by"]) == (None, date(2026, 1, 22))
    assert row["new_site_arrives"] == date(2026, 3, 19)
    inputs, _ = _past_every_ceiling()
    undated = pl.read_csv(publish_report(inputs, root=tmp_path / "bare") / "orders.csv")
    assert undated["new_site_order_by"].is_null().all()


def test_the_new_sites_intro_states_the_rule_the_trigger_applies() -> None:
    """The facilities page's "New sites to build" said the MW needed counts every order "from
    the day its pool first needs it", the rule the trigger dropped when it began to read the
    demand's own MW (a 20 MW block first needed for a few GPUs ran the ceilings out that day):
    the intro now states the rule the rows follow."""
    text = " ".join(html.unescape(facilities_page(_one_past_a_ceiling())).split())
    assert "each from the day its pool first needs it" not in text
    assert "its pools' shortfall at the triggers' quantile plus headroom read in MW" in text


def test_an_order_in_a_region_with_no_site_is_on_the_construction_line() -> None:
    """A fleet whose r2 (demand, no block yet) declares no [[site]] ordered racks there "to be
    sited", while the
    construction line said r1's sites hold their ceilings "at most ... needed" and "no new site
    is needed within the horizon": r2's MW were counted on no line. The line, the artifact's
    and the facilities card now say "no site: r2 needs N MW" beside it."""
    from forecasting.report.pages.facilities import _construction_card

    plan = site_plan(
        sites=[site(mw=5.0, ceiling_mw=100.0)],
    )
    d = np.arange(365, dtype=float)
    forecast = pl.concat(
        [
            _forecast(700.0 + 0 * d, 365),  # r1 within its one live rack
            _forecast(700.0 + 2 * d, 365).with_columns(unique_id=pl.lit("total/r2")),
        ]
    )
    inputs = ceiling_inputs(plan, forecast)
    placed = inputs.placements
    assert placed is not None
    r2 = placed.filter(pl.col("region") == "r2")
    assert r2.height and r2["site"].is_null().all()  # r2's orders have no site
    mw = float(r2["mw"].sum())
    assert mw > 0
    assert inputs.construction["region"].to_list() == ["r1"]
    said = f"no site: r2 needs {megawatts(mw)} for its orders"
    ((_, card),) = _construction_card(inputs)
    assert said in card, card
    page = html.unescape(facilities_page(inputs))
    assert said in page.split("Power needed per site by month")[0]
    from forecasting.triggers.construction import unsited_orders

    (line,) = construction_lines(
        inputs.construction, unsited=unsited_orders(inputs.construction, placed)
    )
    assert "no new site is needed within the horizon" in line and said in line, line
