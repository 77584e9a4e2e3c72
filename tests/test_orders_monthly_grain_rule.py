"""One rule says which orders rest on a month read at the monthly grain only: the power
triggers date a site by it and the report marks the orders by it."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from forecasting.report.inputs import orders_monthly_only
from forecasting.schema import DEFAULT_HORIZON_DAYS
from forecasting.triggers.common import PLACEMENTS_SCHEMA, TRIGGERS_SCHEMA, monthly_only_from

AS_OF = date(2026, 12, 7)
DAILY_END = AS_OF + timedelta(days=13)  # a 2-week run's daily rows; monthly rows follow
ON_A_DAY = AS_OF + timedelta(days=10)  # within the daily rows
ON_A_MONTH = date(2027, 3, 1)  # a monthly row a default run reads by the day
PAST_DEFAULT = AS_OF + timedelta(days=DEFAULT_HORIZON_DAYS + 60)  # every run reads months


def _placements(rows: list[tuple[str, str, int, date]]) -> pl.DataFrame:
    """PLACEMENTS rows (region, pool, tranche, exhaustion_date), one site each."""
    frame = pl.DataFrame(
        [
            {"region": r, "pool": p, "tranche": t, "exhaustion_date": d, "site": f"{r}-a"}
            for r, p, t, d in rows
        ]
    )
    return pl.concat([PLACEMENTS_SCHEMA.to_frame(), frame], how="diagonal_relaxed").select(
        PLACEMENTS_SCHEMA.keys()
    )


def _triggers(flagged: dict[tuple[str, str], date]) -> pl.DataFrame:
    """TRIGGERS rows of the pools above, ``monthly_only`` where ``flagged``."""
    rows = [
        {"region": r, "pool": p, "exhaustion_date": flagged.get((r, p), ON_A_DAY),
         "monthly_only": (r, p) in flagged}
        for r, p in (("us-east", "all"), ("us-east", "training"), ("eu-west", "all"))
    ]  # fmt: skip
    return pl.concat(
        [TRIGGERS_SCHEMA.to_frame(), pl.DataFrame(rows)], how="diagonal_relaxed"
    ).select(TRIGGERS_SCHEMA.keys())


def test_the_orders_and_the_power_triggers_read_one_rule_for_orders_on_monthly_rows() -> None:
    """triggers.power spelled out its own loop of the rule report.inputs.orders_monthly_only
    marked orders by (a pool's orders from its first read at the monthly grain only), one
    reading tranche 1 again, the other trusting its trigger's flag: a change to either left a
    site's power date called monthly beside orders of it read as measured. Both read
    triggers.common.monthly_only_from now: a pool whose trigger is flagged from its first
    order; else from its first later order short on a monthly row a default run reads by the
    day (each later order is sized after the ones before it); never for a later order on a
    daily row or past a default run's days."""
    placements = _placements(
        [
            ("us-east", "all", 1, ON_A_DAY),
            ("us-east", "all", 2, ON_A_DAY),  # on a daily row: measured
            ("us-east", "all", 3, ON_A_MONTH),  # the first read at the monthly grain only
            ("us-east", "all", 4, PAST_DEFAULT),  # sized after it: rests on it
            ("us-east", "training", 1, ON_A_MONTH),  # its trigger's: flagged there
            ("us-east", "training", 2, ON_A_DAY),
            ("eu-west", "all", 1, ON_A_DAY),
            ("eu-west", "all", 2, PAST_DEFAULT),  # every run reads months there
        ]
    )
    flagged = {("us-east", "training"): ON_A_MONTH}
    seams = monthly_only_from(placements, flagged=flagged, daily_end=DAILY_END, as_of=AS_OF)
    assert seams == {("us-east", "all"): (3, ON_A_MONTH), ("us-east", "training"): (1, ON_A_MONTH)}
    # No monthly rows, or no as-of day to measure a default run's days from: the flags alone.
    for daily_end, as_of in ((None, AS_OF), (DAILY_END, None)):
        alone = monthly_only_from(placements, flagged=flagged, daily_end=daily_end, as_of=as_of)
        assert alone == {("us-east", "training"): (1, ON_A_MONTH)}
    marked = orders_monthly_only(
        placements, _triggers(flagged), daily_end=DAILY_END, as_of=AS_OF
    ).filter(pl.col("monthly_only"))
    assert sorted(marked.select("region", "pool", "tranche").iter_rows()) == [
        ("us-east", "all", 3),
        ("us-east", "all", 4),
        ("us-east", "training", 1),
        ("us-east", "training", 2),
    ]
