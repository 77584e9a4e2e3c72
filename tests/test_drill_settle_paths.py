"""A borderline drill draws more of the paths its forecast stored, until settled or all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
from test_drill_borderline import DAYS, MONDAY, _plan

from forecasting.drills import scenario_from_args
from forecasting.options import DrillOptions
from forecasting.runs import PlayedDrill, play_drill, settled_play
from forecasting.schema import BORDERLINE, PASS


def _stored(count: int) -> pl.DataFrame:
    """``count`` paths, each its own flat level; 93 of every 100 hold under a 2x shock (30-39
    GPUs, doubled under 80), the others do not (45-49)."""
    levels = [
        45.0 + 4.0 * s / count if s % 100 >= 93 else 30.0 + 9.0 * s / count for s in range(count)
    ]
    return pl.DataFrame(
        {
            "unique_id": "total/r1/inference/other",
            "ds": [MONDAY + timedelta(days=d) for d in range(DAYS)] * count,
            "sample_id": [s for s in range(count) for _ in range(DAYS)],
            "y": [v for v in levels for _ in range(DAYS)],
        },
        schema_overrides={"sample_id": pl.Int32},
    )


def _play(paths: pl.DataFrame) -> Any:
    return play_drill(
        _plan(), paths, None, scenario_from_args(multiplier=2.0), as_of=MONDAY,  # type: ignore[arg-type]
        options=DrillOptions(answers="none"),
    )  # fmt: skip


def test_a_borderline_drill_plays_more_stored_paths_until_settled_or_all() -> None:
    """93 % of 200 paths hold (95 % interval 88.6-95.8 %): "borderline at 200 paths ... about
    385 independent paths would settle it", though the forecast stored 1,000, and the reader
    had to re-run the drill with --paths by hand. Played without --paths, it draws on the
    stored paths: 500 (385 and a quarter, in hundreds) settle it, a pass, and its notes say
    so; with only 300 stored it stops at all 300, still borderline, and says that is the cap."""
    stored = _stored(1000)
    first = _play(stored.filter(pl.col("sample_id") < 200))
    assert isinstance(first, PlayedDrill) and first.result.verdict == BORDERLINE
    assert "about 385 independent paths would settle it" in first.result.unverified
    settled = settled_play(first, stored, _play)
    assert (settled.result.paths, settled.result.verdict) == (500, PASS)
    assert settled.result.notes[-1] == (
        "played on 500 of the 1,000 paths the forecast stored: borderline on the first 200, so "
        "more were drawn, settled at 500 (pass)"
    )
    capped = settled_play(first, _stored(300), _play)
    assert (capped.result.paths, capped.result.verdict) == (300, BORDERLINE)
    assert capped.result.notes[-1].endswith(
        "and still borderline at 300, every path stored (the cap)"
    )
