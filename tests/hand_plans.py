"""Class policies shared by the hand-built drill plans whose closed forms the tests check, and
the one-region site plans (region r1, site s1) the site-power and ceiling tests build."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from forecasting.capacity import CapacityPlan
from forecasting.report import ReportInputs
from forecasting.schema import WorkloadClass
from forecasting.triggers import construction_triggers, expansion_triggers, pool_requirements

__all__ = [
    "MONDAY",
    "RACK",
    "block",
    "ceiling_inputs",
    "day",
    "flat_inference_paths",
    "fluid_policies",
    "site",
    "site_plan",
]

MONDAY = date(2026, 1, 5)

# A 250-GPU H100 rack candidate of 0.4 MW, 8 weeks lead time.
RACK = {"name": "rack-h100", "kind": "rack", "gpu_type": "H100", "gpus": 250, "mw": 0.4,
        "lead_time_weeks": 8, "capex_usd": 8e6}  # fmt: skip


def fluid_policies(**overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``[policy.<class>]`` tables with batch as a fluid queue (one-hour jobs, no wait allowed).

    ``overrides`` maps a class to fields that replace its defaults, e.g.
    ``inference={"headroom": 0.2}``.
    """
    policies: dict[str, dict[str, Any]] = {
        "inference": {"tier": "premium", "priority": 1, "price_per_gpu_hour": 3.0},
        "training": {"tier": "standard", "priority": 2, "price_per_gpu_hour": 2.0},
        "evaluation": {"tier": "batch", "priority": 3},
        # One-hour jobs and no tolerance to wait: the fluid queue of the closed forms.
        "batch": {
            "tier": "batch",
            "priority": 3,
            "price_per_gpu_hour": 1.0,
            "mean_job_hours": 1.0,
            "max_wait_hours": 0,
        },
        "experimentation": {"tier": "overflow", "priority": 4, "preemptible": True},
    }
    for name, values in overrides.items():
        policies[name] = {**policies[name], **values}
    return policies


def day(d: int) -> date:
    """The day ``d`` days after MONDAY."""
    return MONDAY + timedelta(days=d)


def flat_inference_paths(levels: list[float], *, days: int) -> pl.DataFrame:
    """One sample path per level: flat inference demand of that many GPUs in r1 on each of
    ``days`` days from MONDAY (the drills' paths frame)."""
    return pl.DataFrame(
        {
            "unique_id": "total/r1/inference/other",
            "ds": [MONDAY + timedelta(days=d) for d in range(days)] * len(levels),
            "sample_id": [s for s in range(len(levels)) for _ in range(days)],
            "y": [v for v in levels for _ in range(days)],
        },
        schema_overrides={"sample_id": pl.Int32},
    )


def block(ident: str = "r1-rack", gpus: int = 1000, **fields: Any) -> dict[str, Any]:
    """A live 1 MW rack at r1's site s1, ``fields`` replacing its defaults."""
    return {"id": ident, "kind": "rack", "region": "r1", "site": "s1", "gpu_type": "H100",
            "gpus": gpus, "mw": 1.0, "status": "live", **fields}  # fmt: skip


def one_rack_plan(
    gpus: int, *, classes: list[str] | None = None, **policies: dict[str, Any]
) -> CapacityPlan:
    """A plan of one live rack ``a`` of ``gpus`` at r1 (site r1-a, none declared), serving
    ``classes`` (every class when None), under ``fluid_policies(**policies)``."""
    fields: dict[str, Any] = {"site": "r1-a"} | ({"classes": classes} if classes else {})
    return CapacityPlan.model_validate(
        {"policy": fluid_policies(**policies), "block": [block("a", gpus, **fields)]}
    )


def site(ident: str = "s1", mw: float = 2.0, **fields: Any) -> dict[str, Any]:
    """A site of r1 with ``mw`` energized since 2020, 12 months' power lead time."""
    return {"id": ident, "region": "r1", "energized": [{"on": date(2020, 1, 1), "mw": mw}],
            "power_lead_months": 12, "cost_per_mw_usd": 2e6, **fields}  # fmt: skip


def site_plan(
    *,
    sites: list[dict[str, Any]] | None = None,
    blocks: list[dict[str, Any]] | None = None,
    candidates: list[dict[str, Any]] | None = None,
    gpu_types: dict[str, Any] | None = None,
    new_sites: list[dict[str, Any]] | None = None,
) -> CapacityPlan:
    """A plan of ``sites`` and ``blocks`` (default: one live rack) with ``candidates`` (default:
    RACK) and ``new_sites`` ([[new_site]] entries), every class a tier of its own with 20 %
    headroom."""
    policy = {
        c.value: {"tier": c.value, "priority": i + 1, "headroom": 0.2}
        for i, c in enumerate(WorkloadClass)
    }
    return CapacityPlan.model_validate(
        {
            "policy": policy,
            "site": sites or [],
            "new_site": new_sites or [],
            "gpu_type": gpu_types or {},
            "block": blocks if blocks is not None else [block()],
            "candidate": candidates if candidates is not None else [RACK],
        }
    )


def ceiling_inputs(
    plan: CapacityPlan, triggered: pl.DataFrame, /, *, as_of: date = MONDAY, **fields: Any
) -> ReportInputs:
    """The report inputs of ``plan`` triggered on the forecast ``triggered`` as of ``as_of``
    (MONDAY unless given), its construction rows computed to MONDAY's year end at q90 with a
    4-week buffer, as the report does; ``fields`` replace or add ReportInputs fields
    (``forecast``: the one the pages read)."""
    result = expansion_triggers(triggered, plan, as_of=as_of)
    construction = construction_triggers(
        plan,
        result.placements,
        as_of=as_of,
        end=day(364),
        buffer_weeks=4,
        quantile="q90",
        requirements=pool_requirements(triggered, plan, as_of=as_of, column="q90"),
    )
    given: dict[str, Any] = {
        "run_id": "r",
        "as_of": as_of,
        "generated_at": datetime(as_of.year, as_of.month, as_of.day, 6, tzinfo=UTC),
        "plan": plan,
        "triggers": result.triggers,
        "placements": result.placements,
        "construction": construction,
    }
    return ReportInputs(**(given | fields))
