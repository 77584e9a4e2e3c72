"""The cards a reader acts on say the action whole: what, how much, where, by when."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import polars as pl
from test_report import _sited, sample_inputs

from forecasting.capacity import Site
from forecasting.report.inputs import ReportInputs
from forecasting.report.pages.common import MONTHLY_GRAIN
from forecasting.triggers import POWER_TRIGGERS_SCHEMA


def _with_power(rows: list[dict[str, Any]]) -> ReportInputs:
    power = POWER_TRIGGERS_SCHEMA.to_frame()
    if rows:
        power = pl.concat(
            [power, pl.DataFrame(rows).cast({"contract_by": pl.Date})], how="diagonal_relaxed"
        ).select(POWER_TRIGGERS_SCHEMA.keys())
    inputs = _sited(sample_inputs())
    # Both regions sited: power is checked everywhere, so "nothing to contract" means it.
    east = Site(id="us-east-a", region="us-east", power_lead_months=24, cost_per_mw_usd=11e6)
    plan = inputs.plan.model_copy(update={"site": (*inputs.plan.site, east)})
    return replace(inputs, plan=plan, power_triggers=power)


def _power_card(inputs: ReportInputs) -> str:
    from forecasting.report.pages.facilities import _cards

    return dict(_cards(inputs))["power to contract"]


def test_the_power_card_says_how_many_mw_to_contract_where_and_by_when() -> None:
    """The facilities page's power card read "contract more power by: 2024-02-05, 1,035 days
    ago: late (us-east-c; monthly grain ...)": a date and a site, but not what to contract
    there; the 21.4 MW stood in the table below it. The card now reads the action whole:
    how many MW, at which site, by when, each site due that first day with its own MW."""
    by = date(2025, 2, 1)
    sites = [
        {"region": "us-east", "site": site, "status": "red", "contract_by": by,
         "mw_to_contract": mw, "mw_beyond_ceiling": 0.0, "monthly_only": monthly,
         "note": f"contract {mw:.2f} MW by 2025-02-01"}
        for site, mw, monthly in (("us-east-a", 21.43, False), ("us-east-b", 5.0, True))
    ]  # fmt: skip
    card = _power_card(_with_power(sites))
    assert card.startswith("contract 21.4 MW at us-east-a and 5.0 MW at us-east-b by 2025-02-01"), (
        card
    )
    assert f"us-east-b at the {MONTHLY_GRAIN}" in card, card
    alone = _power_card(_with_power(sites[:1]))
    assert alone.startswith("contract 21.4 MW at us-east-a by 2025-02-01"), alone
    # A site whose planned MW cover its need, energized late: the action is to bring it forward.
    forward = [sites[0] | {"mw_to_contract": 0.0}]
    said = _power_card(_with_power(forward))
    assert said.startswith("bring us-east-a's planned power forward (no more MW) by 2025-02-01"), (
        said
    )


def test_the_power_card_with_nothing_due_says_nothing_to_contract() -> None:
    """With no site short of power, the card read "none within the horizon" under "contract
    more power by": none of what? It says there is nothing to contract within the horizon."""
    assert _power_card(_with_power([])) == "nothing to contract within the horizon"
