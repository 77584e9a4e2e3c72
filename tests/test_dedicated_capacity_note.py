"""A pool's capacity at exhaustion where its blocks are dedicated to customers."""

from __future__ import annotations

import polars as pl
from test_triggers import _block, _plan, _series, _trigger


def _solo_forecast() -> pl.DataFrame:
    """solo is r1's whole training class (mean 300, peak 430 GPUs); inference is 100."""
    return pl.concat(
        [
            _series("total/r1", "peak", q90=530.0),
            _series("total/r1", "mean", q90=400.0),
            _series("total/r1/training", "peak", q90=430.0),
            _series("total/r1/training", "mean", q90=300.0),
            _series("total/r1/training/solo", "peak", q90=430.0),
            _series("total/r1/training/solo", "mean", q90=300.0),
            _series("total/r1/inference", "peak", q90=100.0),
            _series("total/r1/inference", "mean", q90=100.0),
            _series("total/r1/inference/other", "peak", q90=100.0),
            _series("total/r1/inference/other", "mean", q90=100.0),
        ]
    )


def test_a_pool_of_dedicated_blocks_says_its_zero_is_shared_capacity_only() -> None:
    """Helios' triggers.csv read capacity_gpus_at_exhaustion 0 for both pools of a cluster
    of 856 GPUs: every block is dedicated to a VC, so the shared capacity is truly 0, but the
    row read as a measured fleet of zero GPUs beside a requirement of 26. The 0 stays (it is
    the shared pool's), and the note now starts by saying the dedicated GPUs left out and
    that the requirement is the demand overflowing them."""
    solo = {"kind": "pod", "fabric": True, "dedicated_customer": "solo"}
    plan = _plan([_block("r1-rack", 400), _block("r1-solo", 400, **solo)])
    row = _trigger(plan, _solo_forecast(), "r1", "training")
    assert row["capacity_gpus_at_exhaustion"] == 0
    assert row["note"].startswith(
        "capacity at exhaustion counts the shared blocks only, and no shared block serves "
        "the training pool on 2026-01-05: 400 GPUs in 1 block dedicated to 1 customer (solo) "
        "serve only it and are left out with the demand they serve, so the requirement is "
        "the demand that overflows them; "
    ), row["note"]


def test_a_pool_without_dedicated_blocks_keeps_its_note() -> None:
    """A pool with no dedicated block in service says nothing of them."""
    plan = _plan([_block("r1-rack", 100, kind="pod", fabric=True)])
    row = _trigger(plan, _solo_forecast(), "r1", "training")
    assert row["capacity_gpus_at_exhaustion"] == 100
    assert "dedicated" not in row["note"]


def test_a_dedicated_block_of_another_generation_is_counted_in_the_columns_unit() -> None:
    """With a [gpu_type] table the row's capacity and requirement are H100-equivalents, while
    the note counted the dedicated blocks' physical GPUs: 400 B200s (1,000 H100-equivalents)
    read "400 GPUs" beside a requirement in H100-equivalents. The note gives the column's
    unit, and the GPUs beside it."""
    from forecasting.capacity import CapacityPlan

    solo = {"kind": "pod", "fabric": True, "dedicated_customer": "solo", "gpu_type": "B200"}
    base = _plan([_block("r1-rack", 400), _block("r1-solo", 400, **solo)])
    plan = CapacityPlan.model_validate(
        {**base.model_dump(), "gpu_type": {"B200": {"h100_equivalent": 2.5}}}
    )
    row = _trigger(plan, _solo_forecast(), "r1", "training")
    assert "1,000 H100-equivalents (400 B200 GPUs) in 1 block dedicated" in row["note"], row["note"]
