"""Shock drills: play a shocked demand scenario against the capacity blocks on every path.

The pieces, in the order a drill uses them:

- :mod:`~forecasting.drills.scenarios`: what the shock is (TOML files or CLI args);
- :mod:`~forecasting.drills.profile`: history's day shapes that turn daily means into hours;
- :mod:`~forecasting.drills.inputs`: streams, eligibility pools and capacity by hour;
- :mod:`~forecasting.drills.kernel`: the hourly simulation (numba, and the same step uncompiled);
- :mod:`~forecasting.drills.kpis`: KPI distributions, verdicts, per-block figures;
- :mod:`~forecasting.drills.curves`: hourly backlog curves and daily service per class;
- :mod:`~forecasting.drills.answers`: blocks that would make a drill pass, breaking multiplier.

The semantics of sharing, headroom and backlog are documented in the kernel module.
"""

from forecasting.drills.answers import (
    ADDITIONS_SCHEMA,
    BlocksToPass,
    BreakingPoint,
    blocks_to_pass,
    breaking_multiplier,
)
from forecasting.drills.curves import BACKLOG_CURVE_SCHEMA, DAILY_SERVICE_SCHEMA
from forecasting.drills.kpis import ALL_CLASSES, KPI_SUMMARY_SCHEMA, DrillResult
from forecasting.drills.profile import SHAPES_SCHEMA, day_shapes
from forecasting.drills.scenarios import (
    BlockLoss,
    BlockSlip,
    FieldProblem,
    InvalidScenarioError,
    Scenario,
    ScenarioError,
    ScenarioFolder,
    Shape,
    Target,
    field_said_as,
    fields_said_as,
    in_its_own_words,
    load_scenarios,
    multiplier_curve,
    scenario_folder,
    scenario_from_args,
)
from forecasting.drills.simulate import Engine, PreparedDrill, prepare_drill, run_drill

__all__ = [
    "ADDITIONS_SCHEMA",
    "ALL_CLASSES",
    "BACKLOG_CURVE_SCHEMA",
    "DAILY_SERVICE_SCHEMA",
    "KPI_SUMMARY_SCHEMA",
    "SHAPES_SCHEMA",
    "BlockLoss",
    "BlockSlip",
    "BlocksToPass",
    "BreakingPoint",
    "DrillResult",
    "Engine",
    "FieldProblem",
    "InvalidScenarioError",
    "PreparedDrill",
    "Scenario",
    "ScenarioError",
    "ScenarioFolder",
    "Shape",
    "Target",
    "blocks_to_pass",
    "breaking_multiplier",
    "day_shapes",
    "field_said_as",
    "fields_said_as",
    "in_its_own_words",
    "load_scenarios",
    "multiplier_curve",
    "prepare_drill",
    "run_drill",
    "scenario_folder",
    "scenario_from_args",
]
