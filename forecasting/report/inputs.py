"""What a report is made of: one frozen bundle of frames, checked once when it is built.

Every frame may be empty (a run without drills, a first run, a fleet without customers); the
pages then say "no data" where a chart or table would be. A frame given as ``pl.DataFrame()``
(no columns) counts as empty. A frame with rows must carry the columns below; extra columns
are ignored, so producers can add fields without breaking the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from functools import partial

import polars as pl

from forecasting import triggers
from forecasting.capacity import CAPACITY_TIMELINE_SCHEMA, CapacityPlan
from forecasting.schema import BACKTEST_SCHEMA, DEMAND_SCHEMA, FORECAST_SCHEMA
from forecasting.triggers import TRIGGERS_SCHEMA

__all__ = [
    "BACKTEST_COLUMNS",
    "CHOSEN_SCHEMA",
    "CONCENTRATION_SCHEMA",
    "DRILL_ANSWERS_SCHEMA",
    "DRILL_CURVES_SCHEMA",
    "DRILL_KPIS_SCHEMA",
    "DRILL_VERDICTS_SCHEMA",
    "DRIVERS_SCHEMA",
    "IDLE_RISK_SCHEMA",
    "MW_BY_SITE_SCHEMA",
    "STATUSES",
    "TRIGGERS_SCHEMA",
    "ReportInputs",
]

# Worst last: the index shows the worst status of a run.
STATUSES: tuple[str, ...] = ("green", "amber", "red")


def _columns(schema: pl.Schema, names: Sequence[str]) -> pl.Schema:
    """The columns of ``schema`` a page shows; the producer's schema owns their types."""
    return pl.Schema({name: schema[name] for name in names})


DRIVERS_SCHEMA = _columns(
    triggers.DRIVERS_SCHEMA,
    ("region", "pool", "workload_class", "customer", "growth_gpus", "share"),
)

IDLE_RISK_SCHEMA = _columns(
    triggers.IDLE_RISK_SCHEMA,
    (
        "block_id",
        "region",
        "site",
        "kind",
        "in_service",
        "gpus",
        "idle_gpus",
        "idle_share",
        "capex_at_risk_usd",
        "note",
    ),
)

MW_BY_SITE_SCHEMA = pl.Schema(
    {
        "site": pl.String,
        "region": pl.String,
        "month": pl.Date,
        "mw_in_service": pl.Float64,
        "mw_new_blocks": pl.Float64,
        "mw_needed": pl.Float64,
    }
)

DRILL_VERDICTS_SCHEMA = pl.Schema(
    {
        "drill": pl.String,
        "workload_class": pl.String,
        "slo_target": pl.Float64,
        "attainment_mean": pl.Float64,
        "attainment_p90_paths": pl.Float64,
        "passed": pl.Boolean,
    }
)

DRILL_KPIS_SCHEMA = pl.Schema(
    {
        "drill": pl.String,
        "workload_class": pl.String,
        "kpi": pl.String,
        "mean": pl.Float64,
        "p50": pl.Float64,
        "p90": pl.Float64,
    }
)

DRILL_ANSWERS_SCHEMA = pl.Schema(
    {
        "drill": pl.String,
        "description": pl.String,
        "target": pl.String,
        "shock_start": pl.Date,
        "passed": pl.Boolean,
        "breaking_multiplier": pl.Float64,
        "blocks_needed": pl.String,
        "capex_needed_usd": pl.Float64,
    }
)

DRILL_CURVES_SCHEMA = pl.Schema(
    {
        "drill": pl.String(),
        "ts": pl.Datetime("us", "UTC"),
        "workload_class": pl.String(),
        "backlog_p50": pl.Float64(),
        "backlog_p90": pl.Float64(),
    }
)

CONCENTRATION_SCHEMA = pl.Schema(
    {
        "scope": pl.String,
        "ds": pl.Date,
        "metric": pl.String,
        "source": pl.String,
        "value": pl.Float64,
        "q10": pl.Float64,
        "q50": pl.Float64,
        "q90": pl.Float64,
    }
)

CHOSEN_SCHEMA = pl.Schema({"unique_id": pl.String, "measure": pl.String, "model": pl.String})

# run_id is optional in a backtest handed to the report: a run's own scores need no key.
BACKTEST_COLUMNS = pl.Schema([(k, v) for k, v in BACKTEST_SCHEMA.items() if k != "run_id"])


def _empty(schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


_REQUIRED: dict[str, pl.Schema] = {
    "history": DEMAND_SCHEMA,
    "forecast": FORECAST_SCHEMA,
    "backtest": BACKTEST_COLUMNS,
    "chosen": CHOSEN_SCHEMA,
    "capacity": CAPACITY_TIMELINE_SCHEMA,
    "triggers": TRIGGERS_SCHEMA,
    "drivers": DRIVERS_SCHEMA,
    "idle_risk": IDLE_RISK_SCHEMA,
    "mw_by_site_month": MW_BY_SITE_SCHEMA,
    "drill_verdicts": DRILL_VERDICTS_SCHEMA,
    "drill_kpis": DRILL_KPIS_SCHEMA,
    "drill_answers": DRILL_ANSWERS_SCHEMA,
    "drill_curves": DRILL_CURVES_SCHEMA,
    "concentration": CONCENTRATION_SCHEMA,
    "previous_triggers": TRIGGERS_SCHEMA,
}


# Older names for the same columns: mw_ordered / mw_total are now mw_new_blocks / mw_needed,
# the names triggers.py stores.
_ALIASES: dict[str, dict[str, str]] = {
    "mw_by_site_month": {"mw_ordered": "mw_new_blocks", "mw_total": "mw_needed"},
}


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """Everything one report shows, for one run.

    ``stale_days`` is the age of the newest telemetry in days (None when unknown); the pages
    carry a warning banner when it is above one day. ``previous_triggers`` and
    ``previous_run_id`` are the last run's triggers, for "what changed"; empty on a first run.
    """

    run_id: str
    as_of: date
    generated_at: datetime
    plan: CapacityPlan
    stale_days: int | None = None
    history: pl.DataFrame = field(default_factory=partial(_empty, DEMAND_SCHEMA))
    forecast: pl.DataFrame = field(default_factory=partial(_empty, FORECAST_SCHEMA))
    backtest: pl.DataFrame = field(default_factory=partial(_empty, BACKTEST_COLUMNS))
    chosen: pl.DataFrame = field(default_factory=partial(_empty, CHOSEN_SCHEMA))
    capacity: pl.DataFrame = field(default_factory=partial(_empty, CAPACITY_TIMELINE_SCHEMA))
    triggers: pl.DataFrame = field(default_factory=partial(_empty, TRIGGERS_SCHEMA))
    drivers: pl.DataFrame = field(default_factory=partial(_empty, DRIVERS_SCHEMA))
    idle_risk: pl.DataFrame = field(default_factory=partial(_empty, IDLE_RISK_SCHEMA))
    mw_by_site_month: pl.DataFrame = field(default_factory=partial(_empty, MW_BY_SITE_SCHEMA))
    drill_verdicts: pl.DataFrame = field(default_factory=partial(_empty, DRILL_VERDICTS_SCHEMA))
    drill_kpis: pl.DataFrame = field(default_factory=partial(_empty, DRILL_KPIS_SCHEMA))
    drill_answers: pl.DataFrame = field(default_factory=partial(_empty, DRILL_ANSWERS_SCHEMA))
    drill_curves: pl.DataFrame = field(default_factory=partial(_empty, DRILL_CURVES_SCHEMA))
    concentration: pl.DataFrame = field(default_factory=partial(_empty, CONCENTRATION_SCHEMA))
    previous_triggers: pl.DataFrame = field(default_factory=partial(_empty, TRIGGERS_SCHEMA))
    previous_run_id: str | None = None

    def __post_init__(self) -> None:
        # Fail here, naming the frame and columns, rather than deep inside a chart.
        for f in fields(self):
            schema = _REQUIRED.get(f.name)
            if schema is None:
                continue
            frame: pl.DataFrame = getattr(self, f.name)
            if frame.width == 0:
                object.__setattr__(self, f.name, _empty(schema))
                continue
            aliases = {
                old: new
                for old, new in _ALIASES.get(f.name, {}).items()
                if old in frame.columns and new not in frame.columns
            }
            frame = frame.rename(aliases)
            missing = [c for c in schema.names() if c not in frame.columns]
            if missing:
                raise ValueError(f"ReportInputs.{f.name} lacks columns: {', '.join(missing)}")
            # Only our columns, in our types, so an Int `y` or a String status cannot surprise a
            # chart later; timestamps keep their own zone (a naive UTC ts is as good).
            target: dict[str, pl.DataType] = {
                name: frame.schema[name] if dtype == pl.Datetime else dtype
                for name, dtype in schema.items()
            }
            object.__setattr__(self, f.name, frame.select(schema.names()).cast(pl.Schema(target)))

    @property
    def stale(self) -> bool:
        """Whether the telemetry behind this run is more than a day old."""
        return self.stale_days is not None and self.stale_days > 1

    @property
    def worst_status(self) -> str | None:
        """The worst trigger status of the run (red > amber > green), None without triggers."""
        present = set(self.triggers["status"].drop_nulls().to_list())
        worst = [s for s in STATUSES if s in present]
        return worst[-1] if worst else None
