"""Class policies shared by the hand-built drill plans whose closed forms the tests check."""

from __future__ import annotations

from typing import Any

__all__ = ["fluid_policies"]


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
