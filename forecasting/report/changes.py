"""What changed in the expansion triggers since the previous run."""

from __future__ import annotations

from datetime import date

import polars as pl

__all__ = [
    "CHANGES_SCHEMA",
    "CONSTRUCTION_CHANGES_SCHEMA",
    "POWER_CHANGES_SCHEMA",
    "VERDICT_CHANGES_SCHEMA",
    "change_kind",
    "trigger_changes",
    "version_caveat",
]

CHANGES_SCHEMA = pl.Schema(
    {
        "region": pl.String,
        "pool": pl.String,
        "change": pl.String,  # new | resolved | changed | unchanged
        "status_before": pl.String,
        "status_now": pl.String,
        "exhaustion_before": pl.Date,
        "exhaustion_now": pl.Date,
        "exhaustion_shift_days": pl.Int64,
        "order_by_before": pl.Date,
        "order_by_now": pl.Date,
        "order_by_shift_days": pl.Int64,
        "blocks_before": pl.Int64,
        "blocks_now": pl.Int64,
        # The day the current order's site has its MW, where the order waits on power (null
        # when it does not): a later order-by on such a row is no slack.
        "powered_from_now": pl.Date,
        # Whether the status got worse (green -> amber or red, amber -> red).
        "worsened": pl.Boolean,
    }
)

# One row per drill whose verdict differs between two reports (forecasting.changes).
VERDICT_CHANGES_SCHEMA = pl.Schema(
    {
        "drill": pl.String,
        "verdict_before": pl.String,
        "verdict_now": pl.String,
        "run_id_before": pl.String,
        "run_id_now": pl.String,
    }
)

POWER_CHANGES_SCHEMA = pl.Schema(
    {
        "region": pl.String,
        "site": pl.String,
        "change": pl.String,  # new | resolved | changed (forecasting.changes.power_changes)
        "status_before": pl.String,
        "status_now": pl.String,
        "contract_by_before": pl.Date,
        "contract_by_now": pl.Date,
        "exhaustion_before": pl.Date,
        "exhaustion_now": pl.Date,
    }
)

# One row per region whose construction trigger (start a new site by) moved between two
# reports: its status, start-by or run-out day (forecasting.changes.construction_changes).
CONSTRUCTION_CHANGES_SCHEMA = pl.Schema(
    {
        "region": pl.String,
        "change": pl.String,  # new | resolved | changed
        "status_before": pl.String,
        "status_now": pl.String,
        "start_by_before": pl.Date,
        "start_by_now": pl.Date,
        "exhaustion_before": pl.Date,
        "exhaustion_now": pl.Date,
    }
)

_KEY = ("region", "pool")
_COMPARED = {
    "status": "status",
    "exhaustion": "exhaustion_date",
    "order_by": "order_by",
    "blocks": "blocks_to_order",
}
_ORDER = {"new": 0, "changed": 1, "resolved": 2, "unchanged": 3}
# How bad a status is, to tell a worsened pool: other statuses ("not verified") rank none.
_SEVERITY = {"green": 0, "amber": 1, "red": 2}


def _one_per_pool(triggers: pl.DataFrame, suffix: str) -> pl.DataFrame:
    """The most urgent trigger per (region, pool), its compared columns renamed with suffix."""
    return (
        triggers.sort("order_by", nulls_last=True)
        .unique(subset=list(_KEY), keep="first", maintain_order=True)
        .select(
            *_KEY,
            *(pl.col(src).alias(f"{name}_{suffix}") for name, src in _COMPARED.items()),
            (
                pl.col("powered_from")
                if "powered_from" in triggers.columns
                else pl.lit(None, pl.Date)
            ).alias(f"powered_from_{suffix}"),
        )
        .with_columns(pl.lit(True).alias(f"present_{suffix}"))
    )


def _severity(column: str) -> pl.Expr:
    return pl.col(column).replace_strict(_SEVERITY, default=None, return_dtype=pl.Int64)


def change_kind(moved: pl.Expr) -> pl.Expr:
    """``new`` (only the current run lists the key), ``resolved`` (only the previous one),
    ``changed`` where ``moved``, else ``unchanged``; from the ``present_now`` and
    ``present_before`` flags of a full join of the two runs."""
    return (
        pl.when(pl.col("present_before").is_null())
        .then(pl.lit("new"))
        .when(pl.col("present_now").is_null())
        .then(pl.lit("resolved"))
        .when(moved)
        .then(pl.lit("changed"))
        .otherwise(pl.lit("unchanged"))
    )


def _shift(name: str) -> pl.Expr:
    return (pl.col(f"{name}_now") - pl.col(f"{name}_before")).dt.total_days().cast(pl.Int64)


def _within(column: str, daily_end: date | None) -> pl.Expr:
    """Whether ``column`` is a day of the daily rows (true without a known end, or a date)."""
    return pl.lit(True) if daily_end is None else pl.col(column).fill_null(daily_end) <= daily_end


def trigger_changes(
    current: pl.DataFrame,
    previous: pl.DataFrame,
    *,
    daily_end_now: date | None = None,
    daily_end_before: date | None = None,
) -> pl.DataFrame:
    """One row per (region, pool) in either run: what its status and dates did.

    A pool is ``new`` when only this run flags it, ``resolved`` when only the previous one
    did, ``changed`` when status, exhaustion date, order-by date or block count moved.
    Shifts are in days, positive when a date moved later: more time, unless the row
    ``worsened`` (its status got worse, e.g. an order-by that moved later because the order now
    waits on power, ``powered_from_now``: "+425 d" read as slack on a pool gone red); the
    exhaustion's is
    null where either run's exhaustion is past its last daily day (``daily_end_*``): a
    monthly row's date stands for its month, and "2029-01-01 -> 2026-11-16, -777 d" read as
    measured to the day. Rows come most newsworthy first.
    """
    both = _one_per_pool(current, "now").join(
        _one_per_pool(previous, "before"), on=list(_KEY), how="full", coalesce=True
    )
    moved = pl.any_horizontal(
        *(pl.col(f"{n}_now").ne_missing(pl.col(f"{n}_before")) for n in _COMPARED)
    )
    return (
        both.with_columns(
            change=change_kind(moved),
            exhaustion_shift_days=pl.when(
                _within("exhaustion_now", daily_end_now)
                & _within("exhaustion_before", daily_end_before)
            ).then(_shift("exhaustion")),
            order_by_shift_days=_shift("order_by"),
            worsened=(_severity("status_now") > _severity("status_before")).fill_null(False),
        )
        .with_columns(rank=pl.col("change").replace_strict(_ORDER, return_dtype=pl.Int64))
        .sort("rank", *_KEY)
        .select(CHANGES_SCHEMA.names())
        .cast(CHANGES_SCHEMA)
    )


def version_caveat(versions: tuple[str, str] | None) -> str:
    """The sentence saying two reports were made by different fleetcast versions (earlier
    first), or '' for None: the same forecast and plan reported by two checkouts read "us-west
    red -> green, order by -519 d" with no word that only the code had changed."""
    if versions is None:
        return ""
    before, now = versions
    return (
        f"The two runs were made by different fleetcast versions ({before}, then {now}): "
        "changes may come from the code, not from demand or the plan."
    )
