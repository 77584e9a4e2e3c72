"""Column names, enums, the polars schema of every frame that crosses a module boundary, and
the table registry.

The contracts are those of ARCHITECTURE.md. Every other module imports names from here
instead of spelling column names again, so a rename happens in one place.

The registry (:data:`REGISTRY`) declares every table the warehouse stores once: its polars
schema, key, nullable columns and a one-line meaning. The warehouse generates its DDL and
migrations from it, and the library builds each stored frame in
:func:`frame_schema` (the table's columns but ``run_id``, which the warehouse adds on save).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from types import MappingProxyType

import polars as pl

__all__ = [
    "BACKTEST_SCHEMA",
    "BOOK_ONLY",
    "BOOK_ONLY_LABEL",
    "BOOK_OUTCOMES",
    "BOOK_STATUS",
    "DAY_SHAPE_WEEKS",
    "DEFAULT_HORIZON_DAYS",
    "DEMAND_SCHEMA",
    "EARLIEST_TIMESTAMP",
    "EVENTS_SCHEMA",
    "FORECAST_SCHEMA",
    "GPU_CEILING_RULE",
    "LEVELS",
    "MAX_GPUS_PER_ROW",
    "MAX_HORIZON_DAYS",
    "MAX_HORIZON_MONTHS",
    "MAX_SHOCK_MULTIPLIER",
    "MAX_UTC_OFFSET_MINUTES",
    "MEAN_FROM_MODEL",
    "MEAN_FROM_PATHS",
    "MIN_HORIZON_DAYS",
    "MONTHLY_ONLY",
    "NEW_SITE",
    "NO_ZONE_RULE",
    "PATHS_SCHEMA",
    "PIPELINE_ONLY",
    "QUANTILES",
    "REGISTRY",
    "RUNGS_USED_RULE",
    "RUNG_USED_SHARE",
    "RUNS_ON_ARRIVAL",
    "SEP",
    "SHORT_ALREADY",
    "STALE_FIT",
    "STALE_WARN_DAYS",
    "STOPPED_NOTE",
    "TELEMETRY_KEY",
    "TELEMETRY_OPTIONAL",
    "TELEMETRY_REQUIRED",
    "TELEMETRY_SCHEMA",
    "TOTAL",
    "UNJUDGED_ABSORB",
    "UNJUDGED_KPI",
    "UTC_OFFSET_RULE",
    "BlockKind",
    "BlockStatus",
    "Measure",
    "Table",
    "WorkloadClass",
    "book_labelled",
    "book_level_words",
    "book_levels_said_once",
    "book_only_note",
    "book_only_noted",
    "book_only_words",
    "censored_absorb_text",
    "frame_schema",
    "group_name",
    "group_of",
    "ladder_played",
    "lasting_loss_absorb_text",
    "quantile_column",
    "shock_multiplier_problem",
    "short_until_shock_end_text",
    "table",
    "utc_offset_out_of_range",
]


class WorkloadClass(StrEnum):
    """The five workload classes of DOMAIN.md; forecasts are made per class."""

    TRAINING = "training"
    INFERENCE = "inference"
    EVALUATION = "evaluation"
    BATCH = "batch"
    EXPERIMENTATION = "experimentation"


class BlockKind(StrEnum):
    """Modular capacity units, smallest first."""

    RACK = "rack"
    POD = "pod"
    CELL = "cell"


class BlockStatus(StrEnum):
    """Lifecycle of a capacity block in capacity.toml."""

    LIVE = "live"
    COMMITTED = "committed"
    RETIRING = "retiring"


class Measure(StrEnum):
    """Daily demand is kept as two measures; capacity is checked against the peak."""

    MEAN = "mean"
    PEAK = "peak"


# --- telemetry ---------------------------------------------------------------------------------

# The plausible floor of a telemetry timestamp (and of an event's date). GPU clouds began in
# 2010 (the first rented GPU instances), so an earlier time is an exporter's zero or epoch
# default (1970-01-01, 0001-01-01), not an hour of demand; loaded, it would stretch every daily
# grid back to it (from year 1, more days than memory holds).
EARLIEST_TIMESTAMP = datetime(2010, 1, 1, tzinfo=UTC)

# The plausible ceiling of GPUs in one telemetry row (one customer, cluster and hour) or one
# contract step. The largest clusters built hold a few hundred thousand GPUs, so more than a
# million is a unit or export error (bytes, a counter, a sum over hours), or a typo in a
# contract, not demand; loaded, it sets every daily peak it touches and orders blocks for it
# (a 900,000,000-GPU ramp ordered 4,394,459 racks, $37.1 trillion).
MAX_GPUS_PER_ROW = 1_000_000
# The rule a contract step or a capacity block's GPU count above that ceiling breaks.
GPU_CEILING_RULE = f"GPUs above the plausible ceiling of {MAX_GPUS_PER_ROW:,}"

# The widest UTC offsets in use are -12:00 and +14:00 (Kiribati); anything past them, or with
# minutes of 60 or more (+99:99, -00:75, +24:00), is a broken exporter, and reading it anyway
# shifts the row by hours or days without a word.
MAX_UTC_OFFSET_MINUTES = 14 * 60
UTC_OFFSET_RULE = "time-zone offset beyond ±14:00 or with minutes ≥ 60"
# One rule for a time written without a zone, in telemetry and the outage calendar alike: read
# as UTC, and the reader told how many (the calendar read them as UTC without a word).
NO_ZONE_RULE = (
    "had no zone and were read as UTC; if they are local times, write the zone "
    "(2026-03-01T02:00:00Z, or an offset such as +01:00)"
)
_UTC_OFFSET = re.compile(r"[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*([+-])(\d{2}):?(\d{2})$")


def utc_offset_out_of_range(text: str) -> bool:
    """Whether ``text``, an ISO 8601 instant, ends in an offset that breaks UTC_OFFSET_RULE."""
    match = _UTC_OFFSET.search(text.strip())
    if match is None:
        return False
    hours, minutes = int(match.group(2)), int(match.group(3))
    return minutes >= 60 or hours * 60 + minutes > MAX_UTC_OFFSET_MINUTES


TELEMETRY_KEY: tuple[str, ...] = (
    "ts",
    "region",
    "cluster",
    "workload_class",
    "customer",
    "gpu_type",
)
TELEMETRY_REQUIRED: tuple[str, ...] = (*TELEMETRY_KEY, "gpus_running", "gpus_queued")
TELEMETRY_OPTIONAL: tuple[str, ...] = ("requests", "tokens")

TELEMETRY_SCHEMA = pl.Schema(
    {
        "ts": pl.Datetime("us", "UTC"),
        "region": pl.String(),
        "cluster": pl.String(),
        "workload_class": pl.String(),
        "customer": pl.String(),
        "gpu_type": pl.String(),
        "gpus_running": pl.Float64(),
        "gpus_queued": pl.Float64(),
        "requests": pl.Float64(),
        "tokens": pl.Float64(),
    }
)

# --- demand series (statsforecast's long frame plus level columns) -----------------------------

TOTAL = "total"
SEP = "/"
LEVELS: tuple[str, ...] = ("region", "workload_class", "customer")

DEMAND_SCHEMA = pl.Schema(
    {
        "unique_id": pl.String,
        "ds": pl.Date,
        "measure": pl.String,
        "y": pl.Float64,
        "region": pl.String,
        "workload_class": pl.String,
        "customer": pl.String,
    }
)

# --- known events (launches, migrations, holidays) ----------------------------------------------

# A null scope column means every value: an event with region us-east and nothing else touches
# every series of us-east and the aggregates that contain them. ``lower_window`` (<= 0) and
# ``upper_window`` (>= 0) extend its effect to days around ``date``. ``announced`` is the day it
# became known; null means known in advance (a scheduled launch or holiday).
EVENTS_SCHEMA = pl.Schema(
    {
        "event": pl.String,
        "date": pl.Date,
        "region": pl.String,
        "workload_class": pl.String,
        "customer": pl.String,
        "lower_window": pl.Int32,
        "upper_window": pl.Int32,
        "announced": pl.Date,
        "description": pl.String,
    }
)

# --- forecasts ---------------------------------------------------------------------------------

QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9, 0.99)
# drill_runs.verdict: a drill against the same plan without its shock (the baseline).
PASS = "pass"
FAILS_UNDER_SHOCK = "fails under the shock"
FAILS_UNSHOCKED = "plan fails unshocked"
# A drill that held its SLO on less than it is named for (the horizon cut its shock short, or
# its target had no demand to shock): "pass, 0 h" read as the named question answered. A drill
# that fails on the part it played still fails: failing at 1.17x is a finding.
NOT_VERIFIED = "not verified"
# What every reader (the triggers' notes, `report`, the pages, the warnings) says of a region
# whose demand is the contract book's alone: a region of the capacity plan without telemetry
# yet, whose contracts (a greenfield site's anchor customer) are all it holds. Its figures are
# the ramps (a signed one the same at every quantile): no band was fitted, so none reads as a
# forecast's.
BOOK_ONLY = "demand here is the contract book's only: no telemetry yet (not forecast)"
# Beside a status judged on the book alone, where the status stands (a table's cell).
BOOK_STATUS = "contract book only"
# What a region with no block or site in the plan and no measured demand reads beside its
# triggers, in place of their green: zero demand against zero capacity says nothing.
VACANT = "no capacity planned, no demand measured"
# A drill whose verdict sits within its Monte Carlo sampling error of its threshold: the share
# of paths on which a class holds its SLO target has a 95 % interval that straddles the 90 %
# the verdict asks, so another draw of as many paths can read the other verdict.
# ``drill_runs.unverified`` says which class, its interval and the paths that would settle it.
BORDERLINE = "borderline"
# How a borderline reason names each class whose share straddles 90 % ("inference in us-east
# reaches its SLO target under the shock on 89.0% of paths ..."): the pages read its classes.
BORDERLINE_REACHES = " reaches its SLO target "


def borderline_classes(reason: str | None) -> set[str]:
    """The classes a borderline verdict's reason (``drill_runs.unverified``) names as within
    their sampling error of 90 %: their per-class verdict is borderline too, where the other
    classes' verdicts stand."""
    return {
        part.partition(BORDERLINE_REACHES)[0].partition(" in ")[0]
        for part in (reason or "").split("; ")
        if BORDERLINE_REACHES in part
    }


# One group of a borderline reason, as kpis._borderline_text writes it.
_BORDERLINE_GROUP = re.compile(
    r"(?P<name>[^;]+?)" + re.escape(BORDERLINE_REACHES.rstrip())
    + r"(?: without the shock| under the shock)? on (?P<share>[\d.]+%) of paths"
    r"(?:, (?P<short>[\d,]+) of [\d,]+ short in over (?P<hours>[\d.]+%) of its hours)? "
    r"\(95% interval (?P<low>[\d.]+)%-(?P<high>[\d.]+%); the verdict asks (?P<asks>\d+%)\)"
)  # fmt: skip
_BORDERLINE_HEAD = re.compile(r"^borderline at (?P<paths>[\d,]+ paths)(?: \([^)]*\))?: ")


def _borderline_group_cell(name: str, share: str, paths: str, m: re.Match[str]) -> str:
    """One group of a borderline cell: the paths short and the sampling noise they sit in
    ("inference in us-east: 12 of 200 paths short in over 5% of its hours, within sampling
    noise of the 10% of paths allowed (94.0% hold, 95% interval 89.8-96.5%, asks 90%)"), or,
    from a reason stored before it counted them, the share and its interval."""
    interval = f"95% interval {m['low']}-{m['high']}, asks {m['asks']}"
    if m["short"] is None:
        return f"{name} {share} of {paths} ({interval})"
    allowed = 100 - int(m["asks"].rstrip("%"))
    return (
        f"{name}: {m['short']} of {paths} short in over {m['hours']} of its hours, within "
        f"sampling noise of the {allowed}% of paths allowed ({share} hold, {interval})"
    )


def borderline_short(reason: str) -> tuple[str, str]:
    """A borderline reason (``drill_runs.unverified``) as a table cell's one line, the share
    and interval of each group it names ("inference in us-east 92.5% of 200 paths (95%
    interval 88.0-95.4%, asks 90%)", a group read alike with and without the shock once),
    and the rest (the verdicts allowed, what would settle it) for the notes. The whole reason
    in the platform page's verdict cell ran to nine lines at 160 columns. A reason not in
    these words is its own cell, with no rest."""
    head = _BORDERLINE_HEAD.match(reason)
    groups = list(_BORDERLINE_GROUP.finditer(reason))
    if head is None or not groups:
        return reason, ""
    seen: dict[tuple[str, str], re.Match[str]] = {}
    for m in groups:
        seen.setdefault((m["name"].strip(), m["share"]), m)
    cell = "; ".join(
        _borderline_group_cell(name, share, head["paths"], m) for (name, share), m in seen.items()
    )
    rest = reason
    for m in reversed(groups):
        rest = rest[: m.start()] + rest[m.end() :]
    parts = [p.strip() for p in rest.split(";") if p.strip()]
    return cell, "; ".join(parts)


VERDICTS: tuple[str, ...] = (
    PASS,
    NOT_VERIFIED,
    BORDERLINE,
    FAILS_UNDER_SHOCK,
    FAILS_UNSHOCKED,
)
# A time to absorb measured on a plan that fails unshocked saw only the hours it holds in.
PARTLY_JUDGED = " (judged only where the plan holds unshocked)"
# A time to absorb judged on no hour: the baseline misses the SLO in every hour of the window,
# so no hour can show the shock absorbed. The drill's cell, and a KPI cell's short form (the
# KPI tables read "not judged" or "censored" there, and a stored NaN read as a bad figure).
UNJUDGED_ABSORB = "not judged: the plan fails unshocked in every hour of the window"
UNJUDGED_KPI = "fails unshocked"
# The largest demand multiplier a drill plays (`drill --factor`, a drill file's `multiplier`):
# past it a figure is a typo (200 for 2.00), and `1e12` printed revenue at risk of $294e18.
MAX_SHOCK_MULTIPLIER = 20.0


def shock_multiplier_problem(value: float) -> str | None:
    """Why a drill does not play demand multiplied by ``value``, in the drill's words, or None
    when it does (1 to :data:`MAX_SHOCK_MULTIPLIER`). One rule for `drill --factor` and a drill
    file's `multiplier`: the flag read "Input should be greater than or equal to 1", range
    words that did not say a factor below 1 is a drop in demand. The value is not quoted: the
    flag's refusal and a file's each quote it as typed."""
    if 1 <= value <= MAX_SHOCK_MULTIPLIER:
        return None
    ceiling = f"{MAX_SHOCK_MULTIPLIER:g}"
    rule = f"a drill multiplies demand up, from 1 (today's demand) to {ceiling}"
    if value <= 0:
        return f"a factor of 0 or below leaves no demand at all, which drills do not play: {rule}"
    if value < 1:
        # It played and read as a shock's failure where the plan fails unshocked
        # (`drill --factor 0.5` on a 60-customer fleet).
        return f"a factor below 1 is a drop in demand, which drills do not play: {rule}"
    return f"a factor above {ceiling} is past the plausible ceiling (a typo, 200 for 2.00?): {rule}"


# The longest daily forecast a run makes (`fleetcast forecast --horizon`); past it, monthly rows.
MAX_HORIZON_DAYS = 730
# The most months `--horizon-months` takes; a capacity plan's lead times raise a run past it.
MAX_HORIZON_MONTHS = 120
# Fewer daily days than a week leaves no weekday a forecast would stand on.
MIN_HORIZON_DAYS = 7
# The daily days a run forecasts unless told (`--horizon`, ForecastOptions, DecisionOptions,
# ForecastSettings): 26 weeks. The triggers read a monthly-only shortfall within them as a
# shorter run's reading, which a default run dates by the day (triggers.plan._monthly_only).
DEFAULT_HORIZON_DAYS = 182
# The weeks of history a drill draws its days' hourly shapes from (drills/profile.py). Half a
# year: 26 days per weekday to draw from, and a mix that changes is followed within months. On
# the demo's fleet all of two years' days scored a little better (pinball 0.823x the average
# shape's against 0.826x; 8 weeks 0.842x), but a real fleet's mix is not stationary.
DAY_SHAPE_WEEKS = 26

# Said of a trigger whose first shortfall is on a monthly row where a default run reads days
# (triggers.plan._monthly_only), and of a power trigger whose date rests on its order. What
# the pages, the CLI and the decision backtest count is the rows' ``monthly_only`` field, never
# these words: here, not in the triggers package, so the CLI shows them without importing it.
MONTHLY_ONLY = "not verified at the daily grain"
# What an exhaustion on the first day forecast reads beside its date: the pool's q90 is over
# its usable capacity from the start, and a date like any other read as a deadline ahead.
SHORT_ALREADY = "the first forecast day: short already"
# Said of MW, and of an order's blocks, past a site's ceiling: no power contract brings them on
# there (triggers.power's notes, triggers.placement's placements, the pages and the CLI).
NEW_SITE = "a new site is needed"
# Said of an order no planned power serves that power contracted today would run on its
# arrival (the pages, the CLI): not red for power, and the site's power trigger dates it.
RUNS_ON_ARRIVAL = "runs on arrival with power contracted today"

SHOCK_CUT_NOTE = "the shock reaches "
# How a drill note starts where the horizon's end cuts a spike, a dark region or a slip short.
HORIZON_CUT_NOTE = "cut short by the forecast horizon: "


# Share of paths on which a rung must act to be listed as used: the tenth of the paths that
# a drill's P90 figures leave out. A rung that preempted 1.5 GPU-h on 1 % of the paths is not
# how the drill was absorbed; the platform page's ladder table still shows every share.
RUNG_USED_SHARE = 0.1
RUNGS_USED_RULE = f"on at least {RUNG_USED_SHARE:.0%} of paths"


def censored_absorb_text(window_hours: float | None, *, passed: bool) -> str:
    """A time to absorb censored at the drill window's end. A drill that passes its SLO can
    still be behind its baseline in the window's last week (whole again must hold a day, or a
    week while the shock still acts): "pass" beside a bare "not absorbed" read as a
    contradiction, so that case says both."""
    days = f"{window_hours / 24:,.0f}" if window_hours else "?"
    if passed:
        return (
            "passes its SLO; still behind its baseline near the window's end, not absorbed "
            f"within the {days} d window"
        )
    return f"> {days} d, not absorbed within the drill window"


# A drill's verdict for a class with no demand on any path in its window: not a pass.
NO_DEMAND = "no demand"


# Drill KPIs whose bad tail is low: their P90 over paths is the level 90 % of paths reach
# (forecasting.drills.kpis); the pages read it too.
BETTER_HIGHER = frozenset({"slo_attainment"})


# What a series below its region reads where the contract book alone holds it (no telemetry
# yet: a new customer's deal, a class a customer does not run yet). Its quantiles are read off
# the book's outcomes, so a customer of one deal at p = 0.05 read q90 0 beside a mean of
# 0.05 x its GPUs, and no page, download or table said why.
PIPELINE_ONLY = "pipeline only"
BOOK_OUTCOMES = (
    "no telemetry yet: its quantiles are the contract book's outcomes (signed contracts plus "
    "pipeline deals at their probabilities), not a forecast of telemetry"
)
_ODDS = (
    "a deal at probability p adds its GPUs on p of the outcomes, so its q90 reads 0 where p "
    "is below 0.1 while its mean reads p x its GPUs"
)


def book_level_words(deals: Sequence[tuple[str, str, float | None]]) -> str:
    """The label of a series only the contract book holds, from its ``deals`` (contract id,
    status, probability): "pipeline only" where no signed contract is among them, else
    "contract book only", the deals, and that its quantiles are the book's outcomes."""
    signed = [cid for cid, status, _ in deals if status == "signed"]
    pipeline = [(cid, p) for cid, status, p in deals if status != "signed"]
    named = [f"{cid} signed" for cid in signed] + [
        f"{cid} at {p:.0%}" if p is not None else cid for cid, p in pipeline
    ]
    head = BOOK_STATUS if signed else PIPELINE_ONLY
    listed = f" ({', '.join(named)})" if named else ""
    return f"{head}{listed}: {_book_reason(odds=bool(pipeline))}"


def _book_reason(*, odds: bool) -> str:
    """Why a series only the book holds reads as it does; ``odds``: a pipeline deal is among
    its deals, so its q90 can read 0 beside a mean of p x its GPUs."""
    return f"{BOOK_OUTCOMES}; {_ODDS}" if odds else BOOK_OUTCOMES


def book_levels_said_once(levels: Mapping[str, str]) -> tuple[dict[str, str], str | None]:
    """``levels`` (unique_id to :func:`book_level_words`) as a table says them: each row its
    own label and deals, and the reason they share said once (None for no level). The CLI
    table repeated three lines of the same reason on every row."""
    reasons = [_book_reason(odds=True), _book_reason(odds=False)]
    rows: dict[str, str] = {}
    odds = False
    for uid, words in levels.items():
        for reason in reasons:
            if words.endswith(f": {reason}"):
                odds = odds or reason == reasons[0]
                words = words.removesuffix(f": {reason}")
                break
        rows[uid] = words
    return rows, (_book_reason(odds=odds) if levels else None)


def book_only_words(region: str) -> str:
    """What leads every trigger row of ``region``, whose demand is the contract book's alone,
    and what `report` says beside its pools: the figures are the signed ramps (a floor), not
    a forecast with a band."""
    return (
        f"{BOOK_ONLY}: {region}'s requirement is its contracts' ramps (a signed ramp the same "
        "at every quantile, a pipeline deal at its odds)"
    )


def absorb_cost_text(
    cost: float | None,
    *,
    censored: bool,
    shock_end_hours: float | None,
    usd: Callable[[float], str],
    unjudged: bool = False,
    unverified: bool = False,
) -> str | None:
    """A drill's response-ladder spend (``drill_runs.absorb_cost_usd``) as what it is: the cost
    of absorbing only where the shock was absorbed. Censored, it is what the ladder had spent
    when the window ended, a lower bound that grows with ``--horizon`` ("$2.5M" at 7 days,
    "$83.4M" at 26 weeks for the same never-absorbed all-2x); short until the shock ended, it
    is the window's spend on a shortfall the response did not end; ``unjudged`` (the plan
    fails unshocked in every hour, so no time to absorb was judged), the window's spend beside
    a time nobody judged; ``unverified`` (a drill NOT_VERIFIED: its shock cut short, or no
    demand to shock), of what was played, as its time to absorb says ("$267" read as the cost
    of absorbing the whole shock beside "0 h on what was played (not verified)"). None without
    a cost."""
    if cost is None:
        return None
    if censored:
        # "≥ $0" says nothing: the ladder had spent nothing yet.
        spent = f"≥ {usd(cost)}" if cost > 0 else "nothing"
        text = f"{spent} spent by the window's end (not absorbed)"
    elif shock_end_hours is not None:
        text = f"{usd(cost)} spent in the window (not absorbed by the response)"
    elif unjudged:
        text = f"{usd(cost)} spent in the window (not a cost of absorbing: not judged)"
    else:
        text = usd(cost)
    return unverified_absorb_text(text) if unverified else text


def lasting_loss_absorb_text(hours: float, window_hours: float | None) -> str:
    """A time to absorb of a drill whose block is lost for good: the loss still acts when the
    window ends, so what was measured holds within the window only, and demand that grows
    past the smaller plan can make it short again later. A block-loss drill read "0 h" at 14
    days (no shortfall yet), "595 h" at 8 weeks and "3,961 h" at 26 weeks, bare figures that
    grew with the horizon."""
    days = f"{window_hours / 24:,.0f} d" if window_hours else "drill"
    if hours <= 0:
        return (
            f"no shortfall within the {days} window; the loss lasts past it (a longer "
            "--horizon may find one)"
        )
    return (
        f"{hours:,.0f} h, then whole to the {days} window's end; the loss lasts past it (a "
        "longer --horizon may find it short again)"
    )


def unverified_absorb_text(text: str) -> str:
    """A time to absorb measured on a drill that is NOT_VERIFIED: of the shock as far as it
    played, never of the shock the drill is named for ("0 h" read as the answer)."""
    return f"{text} on what was played (not verified)"


def ladder_played(rungs: pl.DataFrame) -> bool:
    """Whether a drill's rungs (drill_rungs) include a ladder rung beyond preemption and
    deferral, which only a plan with migrate, spares or burst has: then the drill's time to
    absorb and its cost are the ladder run's, not those of the KPIs' shocked run."""
    return bool(rungs.filter(~pl.col("rung").is_in(["preempt", "defer"])).height)


def group_name(region: str, workload_class: str) -> str:
    """How a drill names a (region, class) group it finds short: ``training in us-west``."""
    return f"{workload_class} in {region}"


def group_of(name: str) -> tuple[str, str] | None:
    """(region, class) of a :func:`group_name`; None for a class short only across regions
    (``training (across regions)``), which names no region."""
    workload_class, sep, region = name.partition(" in ")
    return (region, workload_class) if sep and region else None


# A drill row's own label for a region whose demand is the contract book's alone (no telemetry:
# its paths are the contracts' ramps, not a forecast): only a page banner said so, and its
# rows read as forecast demand drilled.
BOOK_ONLY_LABEL = f"{BOOK_STATUS} (not forecast)"
_BOOK_ONLY_NOTE = (
    f"{BOOK_ONLY_LABEL}: its demand in this drill is its contracts' ramps (a signed ramp the "
    "same on every path, a pipeline deal at its odds), not forecast paths"
)


def book_only_note(region: str) -> str:
    """The drill note that ``region``'s demand is the contract book's alone."""
    return f"{region}: {_BOOK_ONLY_NOTE}"


def book_only_noted(notes: Sequence[str]) -> list[str]:
    """The regions a drill's ``notes`` say are the contract book's alone
    (:func:`book_only_note`), sorted."""
    return sorted(
        n.removesuffix(f": {_BOOK_ONLY_NOTE}") for n in notes if n.endswith(_BOOK_ONLY_NOTE)
    )


def book_labelled(groups: Sequence[str], book_only: Collection[str]) -> list[str]:
    """``groups`` (``inference in ap-south``), those in a ``book_only`` region labelled:
    ``inference in ap-south: contract book only (not forecast)``."""
    return [
        f"{g}: {BOOK_ONLY_LABEL}" if (named := group_of(g)) and named[0] in book_only else g
        for g in groups
    ]


# Opens a drill note giving, for a (region, class) group short without the shock, how many
# paths were short in more hours than its SLO target allows (drills.kpis); the verdict cells
# read it back (unshocked_paths_noted) beside the group, with UNSHOCKED_WHY: "plan fails
# unshocked (training in eu-west)" stood beside the green trigger of the same pool, the
# reason only in the drill's long note.
UNSHOCKED_PATHS_NOTE = "short without the shock, by path: "
UNSHOCKED_WHY = "its trigger reads each day's q90 forecast, not hours across paths"


def unshocked_paths_noted(notes: Sequence[str] | None) -> dict[str, str]:
    """Group (``training in eu-west``) -> ``22 of 200 paths short in over 10% of its hours``,
    from a drill's notes (:data:`UNSHOCKED_PATHS_NOTE`); empty on drills stored before them."""
    noted = (
        n.removeprefix(UNSHOCKED_PATHS_NOTE)
        for n in notes or ()
        if n.startswith(UNSHOCKED_PATHS_NOTE)
    )
    return dict(text.split(": ", 1) for text in noted if ": " in text)


def unshocked_cell(groups: Sequence[str], notes: Sequence[str] | None) -> str:
    """The groups a plan fails in unshocked as a verdict cell says them, each with its paths
    short where the notes give them, and why a trigger can be green beside it:
    ``training in eu-west: 22 of 200 paths short in over 10% of its hours; its trigger reads
    each day's q90 forecast, not hours across paths``."""
    counts = unshocked_paths_noted(notes)
    named = []
    for group in groups:
        # A group labelled book-only (book_labelled) keeps its label after its count.
        base, _, label = group.partition(": ")
        if base not in counts:
            named.append(group)
            continue
        named.append(f"{group}, {counts[base]}" if label else f"{group}: {counts[base]}")
    why = f"; {UNSHOCKED_WHY}" if any(g.partition(": ")[0] in counts for g in groups) else ""
    return ", ".join(named) + why


# Opens the note of a drill judged from its target's first hour with demand in the shock
# (drills.kpis.late_target_note); the time-to-absorb cells read it (absorb_from_text).
LATE_TARGET_NOTE = "judged from its target's arrival: "


# Opens the note of a drill of supply events and a demand shock whose target arrives after the
# first event acts (drills.kpis.late_target_note): judged from the event's start, the demand
# shock from its target's first demand; the time-to-absorb cells read it (absorb_from_text).
SUPPLY_FIRST_NOTE = "judged from its supply event's start: "
_SUPPLY_FIRST = re.compile(
    "^" + re.escape(SUPPLY_FIRST_NOTE)
    + r"(?P<event>.+?) acts from (?P<start>[^,]+), and .+? before (?P<arrives>[^,]+), "
    r"(?P<later>[\d,]+) h later: "
)  # fmt: skip


def supply_first_noted(notes: Sequence[str] | None) -> tuple[str, str, int] | None:
    """From a drill's notes (:data:`SUPPLY_FIRST_NOTE`), the supply event it was judged from,
    its target's first demand in the shock and the hours between: ("the loss of spare",
    "2026-02-04", 384); None where the drill has no such note."""
    for note in notes or ():
        m = _SUPPLY_FIRST.match(note)
        if m is not None:
            return m["event"], m["arrives"], int(m["later"].replace(",", ""))
    return None


def absorb_from_text(
    notes: Sequence[str] | None, shock_start: date | None, hours: float | None = None
) -> str:
    """The time-to-absorb cell's ", counted from DAY, its target's first demand in the shock" where
    the drill was judged from its target's arrival (drills.kpis.late_target_note; the drill's
    ``shock_start`` is then that day), else "". A customer arriving on day 145 of 182 read
    "3,792 h" counted from the forecast's first day.

    A drill judged from its supply event's start, its demand target arriving later
    (:data:`SUPPLY_FIRST_NOTE`), says both parts: ", counted from DAY, the loss of X's start;
    49 h from DAY2, its target's first demand in the shock" where ``hours`` (the measured time
    to absorb) reaches past that arrival, "whole again before DAY2, ..." where it does not,
    and the arrival alone where no time was measured."""
    if shock_start is None:
        return ""
    parts = supply_first_noted(notes)
    if parts is not None:
        event, arrives, later = parts
        head = f", counted from {shock_start}, {event}'s start"
        target = f"{arrives}, its target's first demand in the shock"
        if hours is None or not math.isfinite(hours):
            return f"{head} (its target's first demand in the shock on {arrives})"
        if hours > later:
            return f"{head}; {hours - later:,.0f} h from {target}"
        return f"{head}; whole again before {target}"
    if not any(n.startswith(LATE_TARGET_NOTE) for n in notes or ()):
        return ""
    return f", counted from {shock_start}, its target's first demand in the shock"


def short_until_shock_end_text(shock_hours: float) -> str:
    """How the terminal, the pages, drills.csv and the notes say a time to absorb that is the
    shock's own length (or more, a backlog draining after it): the shortfall ended because the
    shock did (a spike over, a dark region back, a slipped delivery landed), not because
    failover or the response ladder absorbed it. A three-day region loss read "73 h"."""
    return (
        f"short until the shock ended ({shock_hours:,.0f} h) or later: not absorbed by the response"
    )


# Days without telemetry at the end of a series (forecast_summary.stale_days) that flag it.
# One is the partial last day of an export; two whole days of silence from a region is a feed
# to check.
STALE_WARN_DAYS = 2
# Days of silence at the end after which a region has ended for the total: the total counts
# it up to its last report and is whole without it after. A shorter silence is a feed to fix,
# and the total is unknown across it; four weekly cycles of nothing is a region retired, or a
# stray export of one, and would otherwise leave the fleet without a single whole day.
REGION_ENDED_DAYS = 28
# What the forecast does with such a series, as every warning and page says it.
STALE_FIT = "fitted up to its last observed day and forecast across the silence"
# How the note of a series held at zero because its demand stopped begins (forecast_summary
# level_shift; forecasting.shifts.stopped_days): the warnings and pages that say its stopped
# feed say the hold there, once.
STOPPED_NOTE = "stopped: "


def quantile_column(q: float) -> str:
    """Column name of quantile ``q``: 0.1 -> ``q10``, 0.99 -> ``q99``, 0.975 -> ``q97.5``."""
    pct = round(q * 100, 6)
    return f"q{int(pct)}" if pct == int(pct) else f"q{pct:g}"


_FORECAST_COLUMNS: dict[str, pl.DataType] = {
    "run_id": pl.String(),
    "unique_id": pl.String(),
    "ds": pl.Date(),
    "measure": pl.String(),
    "model": pl.String(),
    "mean": pl.Float64(),
    **{quantile_column(q): pl.Float64() for q in QUANTILES},
}
FORECAST_SCHEMA = pl.Schema(_FORECAST_COLUMNS)

# A stored forecast row's ``mean_source`` (migration 38): its mean is the model's point forecast
# (reconciled), or, where that lay outside the q10-q90 band read off the same paths, the mean of
# its sample paths (reconcile.means_within_their_bands; the run's warnings name those series).
MEAN_FROM_MODEL = "model"
MEAN_FROM_PATHS = "paths"


# --- the table registry ------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
_UTC = pl.Datetime("us", "UTC")
_TEXT_LIST = pl.List(pl.String)


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """One stored table: its columns in a polars schema, its key and what a row means.

    ``key`` names the columns that identify a row, in index order; ``key_enforced`` False
    means DuckDB keeps no index for it (frames written whole, per run, where an index would
    only slow the write, or a key with nullable columns). ``nullable`` columns may be null;
    every other one is NOT NULL. ``stored_as`` overrides a column's storage type where the
    table keeps less than the frame carries. ``serial`` is a column numbered by the sequence
    ``sequence``. ``run_of`` names the runs table whose rows this table's frames belong to.
    """

    name: str
    meaning: str
    schema: pl.Schema
    key: tuple[str, ...]
    key_enforced: bool = True
    nullable: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    stored_as: Mapping[str, pl.DataType] = field(default_factory=dict)
    serial: str | None = None
    sequence: str | None = None
    run_of: str | None = None

    def __post_init__(self) -> None:
        names = [
            self.name,
            *self.schema.names(),
            *(() if self.sequence is None else [self.sequence]),
        ]
        bad = [n for n in names if not _IDENTIFIER.fullmatch(n)]
        if bad:
            raise ValueError(f"table {self.name!r}: names {bad} are not plain identifiers")
        for role, columns in (
            ("key", self.key),
            ("nullable", self.nullable),
            ("unique", self.unique),
            ("stored_as", tuple(self.stored_as)),
            ("serial", () if self.serial is None else (self.serial,)),
        ):
            unknown = [c for c in columns if c not in self.schema]
            if unknown:
                raise ValueError(f"table {self.name!r}: {role} names unknown columns {unknown}")
        if self.key_enforced and set(self.key) & set(self.nullable):
            raise ValueError(f"table {self.name!r}: an enforced key cannot hold nullable columns")
        if (self.serial is None) != (self.sequence is None):
            raise ValueError(f"table {self.name!r}: a serial column needs its sequence and back")

    @property
    def frame_schema(self) -> pl.Schema:
        """The columns a library function builds: all but ``run_id``, which save adds."""
        return pl.Schema([(k, v) for k, v in self.schema.items() if k != "run_id"])

    @property
    def stored_schema(self) -> pl.Schema:
        """The columns as the warehouse keeps them (``stored_as`` applied)."""
        return pl.Schema([(k, self.stored_as.get(k, v)) for k, v in self.schema.items()])


def _run_frame(
    name: str,
    meaning: str,
    runs: str,
    columns: Mapping[str, pl.DataType],
    *,
    key: tuple[str, ...],
    nullable: tuple[str, ...] = (),
    key_enforced: bool = False,
    stored_as: Mapping[str, pl.DataType] | None = None,
) -> Table:
    """A frame stored per run: ``run_id`` first, then ``columns``; the key starts with run_id."""
    return Table(
        name=name,
        meaning=meaning,
        schema=pl.Schema({"run_id": pl.String(), **columns}),
        key=("run_id", *key),
        key_enforced=key_enforced,
        nullable=nullable,
        stored_as=stored_as or {},
        run_of=runs,
    )


_SERIES_LEVELS = tuple(k for k in TELEMETRY_KEY if k != "ts")

_TABLES: tuple[Table, ...] = (
    Table(
        name="schema_migrations",
        meaning="one row per schema migration applied to this file",
        schema=pl.Schema({"version": pl.Int32(), "name": pl.String(), "applied_at": _UTC}),
        key=("version",),
    ),
    # telemetry keeps the contract's columns for readers, and a primary key on (series_id, ts):
    # a 2-column key indexes at about 2.5x the speed of the 6-column natural key (measured in
    # benchmarks/bench_ingest.py); telemetry_series maps series_id 1:1 to the natural key.
    Table(
        name="telemetry_series",
        meaning="one row per telemetry series: its number and its region, cluster, class, "
        "customer and GPU type",
        schema=pl.Schema({"series_id": pl.Int32(), **{c: pl.String() for c in _SERIES_LEVELS}}),
        key=("series_id",),
        unique=_SERIES_LEVELS,
        serial="series_id",
        sequence="telemetry_series_id",
    ),
    Table(
        name="telemetry",
        meaning="one row per series and interval: GPUs running and queued (the contract's "
        "columns), and the ingest that loaded it",
        schema=pl.Schema({"series_id": pl.Int32(), **TELEMETRY_SCHEMA, "ingest_id": pl.String()}),
        key=("series_id", "ts"),
        nullable=TELEMETRY_OPTIONAL,
    ),
    Table(
        name="quarantine",
        meaning="one row per rejected input row: its file, row number, column, rule and text",
        schema=pl.Schema(
            {
                "ingest_id": pl.String(),
                "file": pl.String(),
                "row_number": pl.Int64(),
                "column": pl.String(),
                "rule": pl.String(),
                "value": pl.String(),
                "raw": pl.String(),
            }
        ),
        key=("ingest_id", "row_number"),
        nullable=("column", "value", "raw"),
    ),
    Table(
        name="ingest_ledger",
        meaning="one row per file ingested: its hash, row counts, time span and outcome",
        schema=pl.Schema(
            {
                "ingest_id": pl.String(),
                "sha256": pl.String(),
                "path": pl.String(),
                "file_format": pl.String(),
                "rows_read": pl.Int64(),
                "loaded": pl.Int64(),
                "quarantined": pl.Int64(),
                "deduplicated": pl.Int64(),
                "replaced": pl.Int64(),
                "naive_timestamps": pl.Int64(),
                "extra_columns": _TEXT_LIST,
                "min_ts": _UTC,
                "max_ts": _UTC,
                "started_at": _UTC,
                "finished_at": _UTC,
                "status": pl.String(),
                # Since migration 43: whether the ingest stored the outage windows its trace
                # adapter found (ingest_outages; true on every ingest since, none where the
                # adapter found none or the file is no trace); null on ingests before, whose
                # adapter windows were counted in a note and forgotten: not known.
                "outages_recorded": pl.Boolean(),
            }
        ),
        key=("ingest_id",),
        unique=("sha256",),
        nullable=("min_ts", "max_ts", "outages_recorded"),
    ),
    # Since migration 43: a trace adapter (helios) dropped the minutes of a collector outage at
    # ingest and only counted them in a note, so no run could say which hours were its outages.
    Table(
        name="ingest_outages",
        meaning="one row per outage window a trace adapter found in a file at ingest (its "
        "minutes dropped, not loaded): the ingest and file it came from, the adapter, its "
        "region (null: every region), start, exclusive end and minutes",
        schema=pl.Schema(
            {
                "ingest_id": pl.String(),
                "path": pl.String(),
                "adapter": pl.String(),
                "region": pl.String(),
                "start": _UTC,
                "end": _UTC,
                "minutes": pl.Int64(),
            }
        ),
        key=("ingest_id", "region", "start"),
        # region may be null (every region): an index cannot hold it; an ingest's windows are
        # written whole in its one transaction and deleted with it.
        key_enforced=False,
        nullable=("region",),
    ),
    Table(
        name="forecast_runs",
        meaning="one row per forecast run: as-of day, horizon, series, settings and versions",
        schema=pl.Schema(
            {
                "run_id": pl.String(),
                "as_of": pl.Date(),
                "created_at": _UTC,
                "horizon_days": pl.Int32(),
                "series": pl.Int32(),
                "reconciliation": pl.String(),
                "seconds": pl.Float64(),
                "settings": pl.String(),
                "versions": pl.String(),
                "horizon_months": pl.Int32(),
                # Since migration 36: what the run read of the telemetry, so `report` can tell
                # whether it is still current by the values, not by when files were ingested
                # (a file re-ingested with the same values read "Not current"): the rows with
                # ts before ``seen_before`` (its as-of day's end, or past the newest row),
                # their checksum (warehouse.Warehouse.history_checksum) and the newest ts
                # stored then. Null on runs stored before.
                "seen_before": _UTC,
                "seen_rows": pl.Int64(),
                "seen_checksum": pl.String(),
                "seen_last_ts": _UTC,
                # Since migration 41: whether the run stored the outage windows it applied
                # (forecast_outages; true, none where it applied none); null on runs stored
                # before, whose outage hours later steps cannot know (they read raw).
                "outages_recorded": pl.Boolean(),
                # Since migration 42: why the run's forecast made no monthly rows where it
                # refused them, asked (``--horizon-months N``) or not (a daily-only run whose
                # history a plan past the daily days would refuse: horizon.months_gap); null
                # where it made them or could. ``months_refusal_recorded`` true on every run
                # stored since, null before: such a run's refusal is not known (its orders
                # asked a 90-day fleet whose onboarding ramps leave two blocks for
                # `--horizon-months`, which its forecast refused again).
                "months_refused": pl.String(),
                "months_refusal_recorded": pl.Boolean(),
                # Since migration 43: the trace files the run read whose adapter outage
                # windows are not known (ingested before migration 43, which kept none); empty
                # where every file's are (forecast_outages holds those touching its history,
                # source adapter); null on runs stored before, which stored none of them.
                "adapter_outages_unknown": _TEXT_LIST,
            }
        ),
        key=("run_id",),
        nullable=(
            "horizon_months",
            "seen_before",
            "seen_rows",
            "seen_checksum",
            "seen_last_ts",
            "outages_recorded",
            "months_refused",
            "months_refusal_recorded",
            "adapter_outages_unknown",
        ),
    ),
    Table(
        name="forecasts",
        meaning="one row per run, series, measure and day: the chosen, reconciled forecast",
        schema=pl.Schema(
            {
                **_FORECAST_COLUMNS,
                # Since migration 38: whether the row's mean is the model's point forecast
                # (MEAN_FROM_MODEL) or its sample paths' mean (MEAN_FROM_PATHS); null on runs
                # stored before, which did not record it.
                "mean_source": pl.String(),
            }
        ),
        key=("run_id", "unique_id", "measure", "ds"),
        run_of="forecast_runs",
        nullable=("mean_source",),
    ),
    # Past the daily horizon the plan is monthly: a month's peak day, to the plan horizon.
    _run_frame(
        "forecast_months",
        "one row per run, series, measure and month: the month's peak-day demand (for the "
        "mean measure, its average day) from the growth models, out to the plan horizon",
        "forecast_runs",
        {
            "unique_id": pl.String(),
            "ds": pl.Date(),
            "measure": pl.String(),
            "model": pl.String(),
            "mean": pl.Float64(),
            **{quantile_column(q): pl.Float64() for q in QUANTILES},
        },
        key=("unique_id", "measure", "ds"),
    ),
    _run_frame(
        "horizon_accuracy",
        "one row per run, series, cut-off and horizon: the growth models' out-of-sample "
        "accuracy at the decision horizon against the seasonal naive and a log-linear trend",
        "forecast_runs",
        {
            "unique_id": pl.String(),
            "measure": pl.String(),
            "cutoff": pl.Date(),
            "horizon_days": pl.Int32(),
            "model": pl.String(),
            "scale": pl.Float64(),
            "days": pl.Int32(),
            "mae": pl.Float64(),
            "mae_seasonal_naive": pl.Float64(),
            "mae_log_linear": pl.Float64(),
            "coverage_80": pl.Float64(),
            "exceed_q90": pl.Float64(),
            "bias": pl.Float64(),
        },
        key=("unique_id", "measure", "cutoff", "horizon_days"),
        nullable=(
            "mae",
            "mae_seasonal_naive",
            "mae_log_linear",
            "coverage_80",
            "exceed_q90",
            "bias",
        ),
    ),
    # Paths of the bottom-level series only: every aggregate is their sum, and the drills
    # consume the bottom level. FLOAT halves the largest table of a run.
    _run_frame(
        "forecast_paths",
        "one row per run, bottom-level series, day and sample path: the path's demand in GPUs",
        "forecast_runs",
        {"unique_id": pl.String(), "ds": pl.Date(), "sample_id": pl.Int32(), "y": pl.Float64()},
        key=("unique_id", "ds", "sample_id"),
        stored_as={"y": pl.Float32()},
    ),
    _run_frame(
        "backtests",
        "one row per run, series, measure, candidate model and cutoff: its backtest scores",
        "forecast_runs",
        {
            "unique_id": pl.String(),
            "measure": pl.String(),
            "model": pl.String(),
            "cutoff": pl.Date(),
            "mase": pl.Float64(),
            "smape": pl.Float64(),
            "pinball": pl.Float64(),
            "coverage_80": pl.Float64(),
        },
        key=("unique_id", "measure", "model", "cutoff"),
        nullable=("mase", "smape", "pinball", "coverage_80"),
    ),
    _run_frame(
        "forecast_summary",
        "one row per run, series and measure: the chosen model, its MASE against the "
        "seasonal naive and its calibration",
        "forecast_runs",
        {
            "unique_id": pl.String(),
            "measure": pl.String(),
            "model": pl.String(),
            "n_days": pl.Int64(),
            "fallback": pl.String(),
            "mase": pl.Float64(),
            "mase_seasonal_naive": pl.Float64(),
            "mase_ratio": pl.Float64(),
            "coverage_80_raw": pl.Float64(),
            "coverage_80": pl.Float64(),
            "calibrated": pl.Boolean(),
            # Days at the end without telemetry: the fit stops before them (migration 12).
            "stale_days": pl.Int64(),
            # The plan past the daily days (regions and classes; migration 13): its growth
            # model and, where it fell back or left blocks out, why.
            "plan_model": pl.String(),
            "plan_reason": pl.String(),
            # A recent level shift the short model held as a level (forecasting.shifts;
            # migration 24), in words; null when none.
            "level_shift": pl.String(),
            # ... and how many days before the series' last day it was: its backtests' windows
            # end there (their cutoffs moved back before it).
            "level_shift_days": pl.Int64(),
            # Whether a decision backtest calibrated the series' band past the daily days
            # (migration 27); null where nothing is planned there, and on runs stored before
            # (forecasting.horizon.band_calibrated reads their plan_reason).
            "plan_calibrated": pl.Boolean(),
            # Isolated spike days the short model read held at the usual level
            # (forecasting.spikes; migration 29), in words; null when none.
            "spike": pl.String(),
        },
        key=("unique_id", "measure"),
        key_enforced=True,
        nullable=(
            "n_days",
            "fallback",
            "mase",
            "mase_seasonal_naive",
            "mase_ratio",
            "coverage_80_raw",
            "coverage_80",
            "calibrated",
            "stale_days",
            "plan_model",
            "plan_reason",
            "level_shift",
            "level_shift_days",
            "spike",
            "plan_calibrated",
        ),
    ),
    # Since migration 39: the run's warnings alone said which totals' last days were
    # estimates, so the published pages showed the total's history and accuracy with no sign
    # of them (forecasting.forecast.ForecastResult.estimated; no rows on runs stored before).
    _run_frame(
        "forecast_estimated",
        "one row per run, series and measure whose last days hold estimates, not telemetry (a "
        "part of it was silent): the first and last such day, how many, and the silent parts "
        "read off their own forecast there",
        "forecast_runs",
        {
            "unique_id": pl.String(),
            "measure": pl.String(),
            "first": pl.Date(),
            "last": pl.Date(),
            "days": pl.Int64(),
            "nowcast": pl.String(),
        },
        key=("unique_id", "measure"),
    ),
    # Since migration 41: the run's outage windows lived only in its calendar file and options,
    # so drills and reports reread its telemetry raw, a calendar outage's hours as demand
    # (forecasting.traces.outages.OUTAGE_SOURCES; no rows on runs stored before, whose
    # forecast_runs.outages_recorded is null).
    _run_frame(
        "forecast_outages",
        "one row per run and outage window it applied to the telemetry: its region (null: "
        "every region), start, exclusive end, source (calendar, adapter or zero-is-outage) and "
        "reason, as the run read them",
        "forecast_runs",
        {
            "region": pl.String(),
            "start": _UTC,
            "end": _UTC,
            "source": pl.String(),
            "reason": pl.String(),
        },
        key=("source", "region", "start"),
        nullable=("region", "reason"),
    ),
    Table(
        name="drill_runs",
        meaning="one row per drill run: the scenario, its verdict and the answers searched",
        schema=pl.Schema(
            {
                "run_id": pl.String(),
                "forecast_run_id": pl.String(),
                "drill": pl.String(),
                "description": pl.String(),
                "target": pl.String(),
                "multiplier": pl.Float64(),
                "shape": pl.String(),
                "shock_start": pl.Date(),
                "horizon_end": pl.Date(),
                "paths": pl.Int32(),
                "seed": pl.Int32(),
                "passed": pl.Boolean(),
                "first_to_saturate": _TEXT_LIST,
                "breaking_multiplier": pl.Float64(),
                "breaking_note": pl.String(),
                "blocks_pass": pl.Boolean(),
                "capex_needed_usd": pl.Float64(),
                "notes": _TEXT_LIST,
                "seconds": pl.Float64(),
                "created_at": _UTC,
                # Since migration 6: the verdict against the baseline (pass | fails under the
                # shock | plan fails unshocked) and where the baseline fails, time to absorb
                # with the response ladder (P90 over paths; null and censored when more than a
                # tenth of the paths were not absorbed within the window), what absorbing cost,
                # and for a region loss the share of the dark region's demand that failed over.
                "verdict": pl.String(),
                "unshocked_failures": _TEXT_LIST,
                "baseline_passed": pl.Boolean(),
                "time_to_absorb_hours": pl.Float64(),
                "absorb_censored": pl.Boolean(),
                "window_hours": pl.Int32(),
                "absorb_cost_usd": pl.Float64(),
                "failover_share": pl.Float64(),
                # Since migration 14: the shock's length when its shortfall lasted until the
                # shock ended (a spike, a dark region, a slipped delivery; time to absorb null:
                # failover and the ladder absorbed nothing), and the
                # sha256 of the capacity plan file the drill was played on, so a report on
                # another plan can say the drills are not verified against it.
                "short_until_shock_end_hours": pl.Float64(),
                "capacity_sha256": pl.String(),
                # Since migration 21: the level a shock the horizon cut short (a ramp) reached
                # by its end at the breaking multiplier, and the "breaks at" cell as the CLI
                # and the page show it ("1.70x, reaching 1.23x by the horizon's end").
                "breaking_reached": pl.Float64(),
                "breaking_text": pl.String(),
                # Since migration 22: why a drill that held its SLO is "not verified" (its
                # shock cut short by the horizon, or no demand in its target), the level a
                # ramp cut short reached, and the daily horizon (days) that plays the shock
                # whole; null where it played whole. Since session 63 (no migration), on a
                # "borderline" verdict, why: the class whose share of paths holding its SLO
                # straddles 90 % within its sampling error, and the paths that would settle it.
                "unverified": pl.String(),
                "shock_reached": pl.Float64(),
                "horizon_days_needed": pl.Int32(),
                # Since migration 26: whether the drill lost a block for good, so its loss
                # still acts at the window's end and a time to absorb (0 h: no shortfall) is
                # read within the window only: a block-loss drill read 0 h at 14 days, 595 h
                # at 8 weeks and 3,961 h at 26 weeks. Null on runs stored before.
                "loss_lasts_past_window": pl.Boolean(),
                # Since migration 28: the blocks of the pool that ran full first without the
                # shock, so a reader can tell a bottleneck the shock made from one the plan has
                # anyway. Null where no baseline was played and on runs stored before.
                "baseline_first_to_saturate": _TEXT_LIST,
                # Since migration 36: the blocks-to-pass search's notes, its one-line answer
                # (the verified set, or why there is none) first (null: not searched), and how
                # far a shock the forecast horizon cut short got (its notes that say so, in
                # ``notes`` too; null: played whole). Fields: they were told apart from the
                # drill's notes by prefixes, and a rewording lost them from every run.
                "blocks_notes": _TEXT_LIST,
                "shock_cut": pl.String(),
            }
        ),
        key=("run_id",),
        nullable=(
            "breaking_multiplier",
            "breaking_note",
            "blocks_pass",
            "capex_needed_usd",
            "verdict",
            "unshocked_failures",
            "baseline_passed",
            "time_to_absorb_hours",
            "absorb_censored",
            "window_hours",
            "absorb_cost_usd",
            "failover_share",
            "short_until_shock_end_hours",
            "capacity_sha256",
            "breaking_reached",
            "breaking_text",
            "unverified",
            "shock_reached",
            "horizon_days_needed",
            "loss_lasts_past_window",
            "baseline_first_to_saturate",
            "blocks_notes",
            "shock_cut",
        ),
    ),
    _run_frame(
        "drill_verdicts",
        "one row per drill run and class: its SLO target, the attainment reached and the verdict",
        "drill_runs",
        {
            "workload_class": pl.String(),
            "slo_target": pl.Float64(),
            "attainment_mean": pl.Float64(),
            "attainment_p90_paths": pl.Float64(),
            "passed": pl.Boolean(),
            # Whether the class had demand on any path in the drill window (migration 23): a
            # class without any held its headroom trivially, and "pass 100 %" read as measured.
            # Null on runs stored before.
            "has_demand": pl.Boolean(),
        },
        key=("workload_class",),
        nullable=("has_demand",),
    ),
    _run_frame(
        "drill_kpis",
        "one row per drill run, class (or all) and KPI: its mean, P50 and P90 over paths",
        "drill_runs",
        {
            "workload_class": pl.String(),
            "kpi": pl.String(),
            "mean": pl.Float64(),
            "p50": pl.Float64(),
            "p90": pl.Float64(),
        },
        key=("workload_class", "kpi"),
        nullable=("mean", "p50", "p90"),
    ),
    _run_frame(
        "drill_blocks",
        "one row per drill run and block: utilisation, stranded GPU-hours and saturation",
        "drill_runs",
        {
            "block_id": pl.String(),
            "region": pl.String(),
            "kind": pl.String(),
            "gpus": pl.Int64(),
            "pool": pl.String(),
            "in_service_gpu_hours": pl.Float64(),
            "utilisation_mean": pl.Float64(),
            "utilisation_p90": pl.Float64(),
            "stranded_gpu_hours_mean": pl.Float64(),
            "stranded_gpu_hours_p90": pl.Float64(),
            "saturated_share": pl.Float64(),
            "saturation_hour_p50": pl.Float64(),
        },
        key=("block_id",),
        nullable=(
            "in_service_gpu_hours",
            "utilisation_mean",
            "utilisation_p90",
            "stranded_gpu_hours_mean",
            "stranded_gpu_hours_p90",
            "saturated_share",
            "saturation_hour_p50",
        ),
    ),
    _run_frame(
        "drill_additions",
        "one row per drill run, region and candidate block type: the blocks that make it pass",
        "drill_runs",
        {
            "region": pl.String(),
            "candidate": pl.String(),
            "kind": pl.String(),
            "gpu_type": pl.String(),
            "count": pl.Int64(),
            "gpus": pl.Int64(),
            "mw": pl.Float64(),
            "capex_usd": pl.Float64(),
            "order_by": pl.Date(),
            "in_service": pl.Date(),
            "arrives_before_shock": pl.Boolean(),
        },
        key=("region", "candidate"),
    ),
    Table(
        name="drills_not_played",
        meaning=(
            "one row per forecast run and drill it could not play (a date past its horizon, no "
            "block to slip, a target without demand): the newest reason"
        ),
        schema=pl.Schema(
            {
                "forecast_run_id": pl.String(),
                "drill": pl.String(),
                "reason": pl.String(),
                "created_at": _UTC,
            }
        ),
        key=("forecast_run_id", "drill"),
    ),
    Table(
        name="trigger_runs",
        meaning="one row per trigger run: its forecast run, quantile, buffer and capacity file",
        schema=pl.Schema(
            {
                "run_id": pl.String(),
                "forecast_run_id": pl.String(),
                "as_of": pl.Date(),
                "quantile": pl.String(),
                "buffer_weeks": pl.Int32(),
                "capacity_sha256": pl.String(),
                "created_at": _UTC,
                # Since migration 37: JSON of the fleetcast version (package version and
                # source digest, digest.fleetcast_version) and the package versions the
                # forecast stores, so "what changed" can tell a change made by the code; null
                # on runs stored before.
                "versions": pl.String(),
                # Since migration 40: whether the run stored its construction_triggers rows
                # (true; none for a plan without [[site]]); null on runs stored before, which
                # a comparison reads as construction not recorded, never as none.
                "construction_recorded": pl.Boolean(),
            }
        ),
        key=("run_id",),
        nullable=("versions", "construction_recorded"),
    ),
    _run_frame(
        "triggers",
        "one row per trigger run, region and pool: exhaustion date, order-by date, blocks "
        "to order and status",
        "trigger_runs",
        {
            "region": pl.String(),
            "pool": pl.String(),
            "quantile": pl.String(),
            "as_of": pl.Date(),
            "exhaustion_date": pl.Date(),
            "requirement_gpus_at_exhaustion": pl.Float64(),
            "capacity_gpus_at_exhaustion": pl.Int64(),
            "max_shortfall_gpus": pl.Float64(),
            "candidate": pl.String(),
            "kind": pl.String(),
            "gpu_type": pl.String(),
            "lead_time_weeks": pl.Int64(),
            "order_by": pl.Date(),
            "arrives": pl.Date(),
            "status": pl.String(),
            "blocks_to_order": pl.Int64(),
            "capex_usd": pl.Float64(),
            "mw": pl.Float64(),
            "note": pl.String(),
            # The day the order's site has its MW, where that comes after its arrival (null:
            # powered on arrival, or no [[site]], or no site has it within the plan).
            "powered_from": pl.Date(),
            # Since migration 33: whether the first shortfall is on a monthly row alone within
            # a default run's daily days, read at the monthly grain only and amber at most
            # (the note says MONTHLY_ONLY: triggers.plan._monthly_only); and whether a green
            # ends with a forecast too short to verify it (the note says UNVERIFIED_GREEN).
            # Fields, so a reworded note cannot change what the pages, the CLI and the
            # decision backtest count; rows stored before it took them from their notes' words.
            "monthly_only": pl.Boolean(),
            "unverified_green": pl.Boolean(),
            # Since migration 35: whether a training pool's green rests on no training demand
            # measured in any region (the note opens with triggers.UNMEASURED_TRAINING, after
            # a region's lead): maybe a feed gap, so the terminal, the pages and the Prefect
            # summary read it "not verified". A field for the same reason as the two above.
            "unmeasured_training": pl.Boolean(),
            # Since migration 44: whether such a training pool is also vacant, zero demand
            # against zero capacity (its region plans no block that hosts training): it reads
            # VACANT, as a region with neither does, where the others read
            # triggers.UNMEASURED_TRAINING (a fleet with training blocks and no training row
            # may have lost a feed). Told apart by the note's words before.
            "vacant_pool": pl.Boolean(),
        },
        key=("region", "pool"),
        nullable=(
            "exhaustion_date",
            "requirement_gpus_at_exhaustion",
            "capacity_gpus_at_exhaustion",
            "max_shortfall_gpus",
            "candidate",
            "kind",
            "gpu_type",
            "lead_time_weeks",
            "order_by",
            "arrives",
            "blocks_to_order",
            "capex_usd",
            "mw",
            "note",
            "powered_from",
            "monthly_only",
            "unverified_green",
            "unmeasured_training",
            "vacant_pool",
        ),
    ),
    _run_frame(
        "trigger_drivers",
        "one row per trigger run, region, pool and class or customer: its forecast mean GPUs "
        "on the first forecast day (from) and on the pool's exhaustion day or the horizon's end "
        "(to), the growth between them and its share of the pool's (from_gpus and to_gpus since "
        "migration 17)",
        "trigger_runs",
        {
            "region": pl.String(),
            "pool": pl.String(),
            "from_date": pl.Date(),
            "to_date": pl.Date(),
            "workload_class": pl.String(),
            "customer": pl.String(),
            "growth_gpus": pl.Float64(),
            "share": pl.Float64(),
            "from_gpus": pl.Float64(),
            "to_gpus": pl.Float64(),
        },
        key=("region", "pool", "workload_class", "customer"),
        nullable=(
            "from_date",
            "to_date",
            "workload_class",
            "customer",
            "growth_gpus",
            "share",
            "from_gpus",
            "to_gpus",
        ),
    ),
    _run_frame(
        "idle_risk",
        "one row per trigger run and arriving block: GPUs likely idle and capex at risk",
        "trigger_runs",
        {
            "block_id": pl.String(),
            "region": pl.String(),
            "site": pl.String(),
            "kind": pl.String(),
            "gpu_type": pl.String(),
            "in_service": pl.Date(),
            "gpus": pl.Int64(),
            "pool": pl.String(),
            "idle_gpus": pl.Float64(),
            "idle_share": pl.Float64(),
            "capex_at_risk_usd": pl.Float64(),
            "note": pl.String(),
            # Since migration 19: forecast days the idleness is a mean over, of the window of
            # its first weeks in service it stands for (null: not judged, or stored before).
            "days_judged": pl.Int32(),
            "window_days": pl.Int32(),
            # Since migration 34: wholly idle because the pool's low quantile is zero on every
            # day judged (no demand there, not a lull measured), which the finance page says
            # beside the share; its note's words (triggers.idle.NO_LOW_DEMAND) are for the
            # reader. Backfilled from those words on rows stored before.
            "no_low_demand": pl.Boolean(),
        },
        key=("block_id",),
        nullable=(
            "in_service",
            "pool",
            "idle_gpus",
            "idle_share",
            "capex_at_risk_usd",
            "note",
            "days_judged",
            "window_days",
            "no_low_demand",
        ),
    ),
    _run_frame(
        "site_power",
        "one row per trigger run, site and month: MW in service, MW of new blocks and MW needed",
        "trigger_runs",
        {
            "region": pl.String(),
            "site": pl.String(),
            "month": pl.Date(),
            "mw_in_service": pl.Float64(),
            "mw_new_blocks": pl.Float64(),
            "mw_needed": pl.Float64(),
        },
        key=("region", "site", "month"),
    ),
    _run_frame(
        "drill_curves",
        "one row per drill run, hour and class: backlog and unmet GPU-hours, P50 and P90",
        "drill_runs",
        {
            "ts": _UTC,
            "workload_class": pl.String(),
            "backlog_p50": pl.Float64(),
            "backlog_p90": pl.Float64(),
            "unmet_p50": pl.Float64(),
            "unmet_p90": pl.Float64(),
        },
        key=("ts", "workload_class"),
        nullable=("backlog_p50", "backlog_p90", "unmet_p50", "unmet_p90"),
    ),
    _run_frame(
        "drill_kpi_changes",
        "one row per drill run, class (or all) and KPI: baseline, shocked and the increment",
        "drill_runs",
        {
            "workload_class": pl.String(),
            "kpi": pl.String(),
            "baseline_mean": pl.Float64(),
            "shocked_mean": pl.Float64(),
            "increment_mean": pl.Float64(),
            "baseline_p90": pl.Float64(),
            "shocked_p90": pl.Float64(),
        },
        key=("workload_class", "kpi"),
        nullable=(
            "baseline_mean",
            "shocked_mean",
            "increment_mean",
            "baseline_p90",
            "shocked_p90",
        ),
    ),
    _run_frame(
        "drill_rungs",
        "one row per drill run, rung of the response ladder and region: its delay after the "
        "shock is seen, how much it was used, when first, the cost of using it (means over "
        "paths) and its standing cost (spares held idle over the window)",
        "drill_runs",
        {
            "rung": pl.String(),
            "region": pl.String(),
            "available_after_hours": pl.Float64(),
            "cap_gpus": pl.Float64(),
            "used_mean": pl.Float64(),
            "used_unit": pl.String(),
            "used_share": pl.Float64(),
            "first_used_hour_p50": pl.Float64(),
            "cost_usd_mean": pl.Float64(),
            "standing_cost_usd": pl.Float64(),
        },
        key=("rung", "region"),
        nullable=("available_after_hours", "cap_gpus", "first_used_hour_p50"),
    ),
    _run_frame(
        "drill_variant_curves",
        "one row per drill run, variant (baseline | ladder), hour and class: backlog and unmet "
        "GPU-hours, P50 and P90, to draw next to the shocked curve of drill_curves",
        "drill_runs",
        {
            "variant": pl.String(),
            "ts": _UTC,
            "workload_class": pl.String(),
            "backlog_p50": pl.Float64(),
            "backlog_p90": pl.Float64(),
            "unmet_p50": pl.Float64(),
            "unmet_p90": pl.Float64(),
        },
        key=("variant", "ts", "workload_class"),
        nullable=("backlog_p50", "backlog_p90", "unmet_p50", "unmet_p90"),
    ),
    _run_frame(
        "trigger_n_plus_one",
        "one row per trigger run and region: does the plan hold its demand at the quantile "
        "plus headroom with the region's largest block lost (N+1)?",
        "trigger_runs",
        {
            "region": pl.String(),
            "largest_block": pl.String(),
            "largest_block_gpus": pl.Int64(),
            "holds": pl.Boolean(),
            "first_short_date": pl.Date(),
            "max_shortfall_gpus": pl.Float64(),
        },
        key=("region",),
        nullable=("largest_block", "largest_block_gpus", "first_short_date"),
    ),
    _run_frame(
        "power_triggers",
        "one row per trigger run and site: when its MW need passes the MW energized, and by "
        "when more power must be contracted",
        "trigger_runs",
        {
            "region": pl.String(),
            "site": pl.String(),
            "as_of": pl.Date(),
            "exhaustion_date": pl.Date(),
            "mw_needed_at_exhaustion": pl.Float64(),
            "energized_mw_at_exhaustion": pl.Float64(),
            "power_lead_months": pl.Int64(),
            "contract_by": pl.Date(),
            "status": pl.String(),
            "max_shortfall_mw": pl.Float64(),
            "mw_to_contract": pl.Float64(),
            "ceiling_room_mw": pl.Float64(),
            "cost_usd": pl.Float64(),
            "note": pl.String(),
            "mw_beyond_ceiling": pl.Float64(),
            # Since migration 33: whether the site's date rests on an order whose trigger is
            # short at the monthly grain only (triggers.power._monthly_only_note), a field as
            # the triggers' is; rows stored before it took it from their notes' words.
            "monthly_only": pl.Boolean(),
        },
        key=("region", "site"),
        nullable=(
            "exhaustion_date",
            "mw_needed_at_exhaustion",
            "energized_mw_at_exhaustion",
            "contract_by",
            "ceiling_room_mw",
            # Null where the site declares no ceiling, and on runs before migration 20.
            "mw_beyond_ceiling",
            "monthly_only",
        ),
    ),
    # Since migration 40: computed at report time before, from the plan of the day, so no
    # comparison could say a start-by moved (triggers.construction; no rows on runs stored
    # before, whose trigger_runs.construction_recorded is null).
    _run_frame(
        "construction_triggers",
        "one row per trigger run and region with [[site]]: when its demand passes its sites' "
        "ceilings, and by when a new site must be started",
        "trigger_runs",
        {
            "region": pl.String(),
            "as_of": pl.Date(),
            "quantile": pl.String(),
            # The sum of the region's site ceilings; null where a site declares none.
            "ceilings_mw": pl.Float64(),
            # The first day the region's need passes them (null: not within the horizon).
            "exhaustion_date": pl.Date(),
            # Whether that day is past the forecast's daily rows: it stands for its month.
            "exhaustion_monthly": pl.Boolean(),
            # What set that day: "demand" (its MW pass the ceilings' sum), "placement" (it
            # first needs a block no one site's ceiling takes whole), "orders" (read without
            # the requirement: the orders whole from their need day), or "in_service" (the
            # blocks in service already draw more on the as-of day: no forecast); null where
            # none runs out.
            "exhaustion_set_by": pl.String(),
            "mw_needed_at_exhaustion": pl.Float64(),
            # The most a new site must hold by the horizon's end: the need past the ceilings
            # at its peak, or the MW of orders no site's ceiling holds, whichever is more.
            "mw_past_ceilings": pl.Float64(),
            "horizon_end": pl.Date(),
            # From the region's [[new_site]]; null where none is declared.
            "build_months": pl.Int64(),
            "start_by": pl.Date(),
            "ready_if_started_today": pl.Date(),
            # The safety buffer the start-by date keeps (weeks), as the triggers' order-by
            # dates do.
            "buffer_weeks": pl.Int64(),
            # green | amber | red; null where no start date can be given (build time not
            # declared, or no ceiling to run out of); "not judged" where no demand was
            # measured in the region and its ceilings hold on the plan's own blocks alone
            # (its note says why; stored green before session 62).
            "status": pl.String(),
            "cost_usd": pl.Float64(),
            "note": pl.String(),
        },
        key=("region",),
        nullable=(
            "ceilings_mw",
            "exhaustion_date",
            "exhaustion_monthly",
            "exhaustion_set_by",
            "mw_needed_at_exhaustion",
            "build_months",
            "start_by",
            "ready_if_started_today",
            "status",
            "cost_usd",
        ),
    ),
    _run_frame(
        "order_placements",
        "one row per trigger run, order of the plan to its end and site whose MW it draws "
        "(an order no one site's ceiling holds is split across its region's sites), and "
        "whether that MW is energized by its arrival; tranche 1 is the trigger's order, "
        "later tranches what the plan orders after it by the same rule (since migration 16; "
        "earlier runs hold the trigger's order alone, tranche null)",
        "trigger_runs",
        {
            "region": pl.String(),
            "pool": pl.String(),
            "candidate": pl.String(),
            "site": pl.String(),
            "blocks": pl.Int64(),
            "mw": pl.Float64(),
            "arrives": pl.Date(),
            "powered": pl.Boolean(),
            "tranche": pl.Int64(),
            "order_by": pl.Date(),
            "capex_usd": pl.Float64(),
            "exhaustion_date": pl.Date(),
            "status": pl.String(),
            # Since migration 25: how many of its blocks its site can never power (past the
            # site's ceiling: a new site is needed; null where the site declares no ceiling),
            # and the first day its blocks can serve: the arrival when powered, else the
            # site's planned power, else power contracted today (null: no site, or none of
            # its blocks under the ceiling).
            "blocks_beyond_ceiling": pl.Int64(),
            "runs_from": pl.Date(),
        },
        # An order split across sites has a row per site (site first by its own).
        key=("region", "pool", "tranche", "site"),
        # Null in runs stored before migration 16 (the trigger's order alone).
        nullable=(
            "site",
            "tranche",
            "order_by",
            "capex_usd",
            "exhaustion_date",
            "status",
            "blocks_beyond_ceiling",
            "runs_from",
        ),
    ),
    # A calendar file is the authority for its own events, so the source is part of a row's
    # identity; the scope columns are null for "every value", hence no index on the key.
    Table(
        name="events",
        meaning="one row per known event, date and scope, with the calendar file it came from",
        schema=pl.Schema({**EVENTS_SCHEMA, "source": pl.String(), "loaded_at": _UTC}),
        key=("source", "event", "date", *LEVELS),
        key_enforced=False,
        nullable=(*LEVELS, "announced", "description"),
    ),
    # Since migration 8: the contract book (forecasting/contracts.py), one row per contract, its
    # ramp as two parallel lists (step dates, GPUs). A book file is the authority for its own
    # contracts, as a calendar is for its events: the source is part of a row's identity.
    Table(
        name="contracts",
        meaning="one row per contract or pipeline deal of a book file: customer, class, region, "
        "ramp (dated GPU counts), term end, status, probability and price",
        schema=pl.Schema(
            {
                "source": pl.String(),
                "id": pl.String(),
                "row_number": pl.Int64(),
                "customer": pl.String(),
                "workload_class": pl.String(),
                "region": pl.String(),
                "ramp_dates": pl.List(pl.Date()),
                "ramp_gpus": pl.List(pl.Int64()),
                "term_end": pl.Date(),
                "status": pl.String(),
                "probability": pl.Float64(),
                "price_per_gpu_hour": pl.Float64(),
                "announced": pl.Date(),
                "description": pl.String(),
                "loaded_at": _UTC,
            }
        ),
        key=("source", "id"),
        nullable=("probability", "price_per_gpu_hour", "announced", "description"),
    ),
    # Measured when the run applies the book, on its paths before and after: the stored paths
    # hold the book already, so "without" cannot be measured again later.
    _run_frame(
        "book_concentration",
        "one row per forecast run, book (with | without), region (or total), class (or all) "
        "and month: top-1 and top-5 share and HHI of expected demand",
        "forecast_runs",
        {
            "book": pl.String(),
            "region": pl.String(),
            "workload_class": pl.String(),
            "month": pl.Date(),
            "top1_share": pl.Float64(),
            "top5_share": pl.Float64(),
            "hhi": pl.Float64(),
        },
        key=("book", "region", "workload_class", "month"),
        nullable=("top1_share", "top5_share", "hhi"),
    ),
    # Since migration 10: the decision backtest (forecasting/decisions.py), one row per run and
    # one per replayed as-of day, region and pool, judged against what happened later.
    Table(
        name="decision_runs",
        meaning="one row per decision backtest: its as-of days, the verdict counts, the data "
        "it was judged on, seconds and settings",
        schema=pl.Schema(
            {
                "run_id": pl.String(),
                "created_at": _UTC,
                "first_as_of": pl.Date(),
                "every_days": pl.Int32(),
                "as_ofs": pl.List(pl.Date()),
                "data_end": pl.Date(),
                "in_time": pl.Int32(),
                "late": pl.Int32(),
                "false_alarm": pl.Int32(),
                "no_order_needed": pl.Int32(),
                "not_verified": pl.Int32(),
                "unmet_gpu_hours": pl.Float64(),
                "revenue_lost_usd": pl.Float64(),
                "idle_gpu_months": pl.Float64(),
                "idle_capital_usd": pl.Float64(),
                "seconds": pl.Float64(),
                "settings": pl.String(),
            }
        ),
        key=("run_id",),
        nullable=("revenue_lost_usd",),
    ),
    _run_frame(
        "decision_replays",
        "one row per decision backtest, as-of day, region and pool: what the triggers said "
        "then, when the capacity known then really ran short, and the verdict",
        "decision_runs",
        {
            "as_of": pl.Date(),
            "region": pl.String(),
            "pool": pl.String(),
            "status": pl.String(),
            "forecast_exhaustion": pl.Date(),
            "order_by": pl.Date(),
            "arrives": pl.Date(),
            "candidate": pl.String(),
            "blocks_to_order": pl.Int64(),
            "lead_time_weeks": pl.Int64(),
            "capex_usd": pl.Float64(),
            "actual_exhaustion": pl.Date(),
            "fleet_exhaustion": pl.Date(),
            "data_end": pl.Date(),
            "verdict": pl.String(),
            "days_late": pl.Int64(),
            "unmet_gpu_hours": pl.Float64(),
            "revenue_lost_usd": pl.Float64(),
            "idle_gpu_months": pl.Float64(),
            "idle_capital_usd": pl.Float64(),
            "note": pl.String(),
            # Since migration 18: the day the order serves, its arrival or its site's power
            # when that comes later (null: no order, or a replay stored before it).
            "in_service": pl.Date(),
            # Since migration 30: whether no site of the plan can ever power the order's
            # blocks, and whether its unmet GPU-hours stop at the data end (a lower bound).
            # Fields, so a reworded note cannot change them; null: stored before it, when
            # the note's words were all that said so (decisions.never_powered, unmet_cut).
            "never_powered": pl.Boolean(),
            "unmet_censored": pl.Boolean(),
            # Since migration 31: whether the verdict was judged on the data to its end only,
            # short of the span it is judged over (a call for no order: its lead time + safety
            # buffer); null: stored before it.
            "censored_at_data_end": pl.Boolean(),
            # Since migration 32: the days of telemetry its region had on the as-of day (the
            # short-history flag's measure); null: stored before it, or the region unknown.
            "history_days": pl.Int64(),
        },
        key=("as_of", "region", "pool"),
        nullable=(
            "status",
            "forecast_exhaustion",
            "order_by",
            "arrives",
            "candidate",
            "blocks_to_order",
            "lead_time_weeks",
            "capex_usd",
            "actual_exhaustion",
            "fleet_exhaustion",
            "days_late",
            "unmet_gpu_hours",
            "revenue_lost_usd",
            "idle_gpu_months",
            "idle_capital_usd",
            "in_service",
            "never_powered",
            "unmet_censored",
            "censored_at_data_end",
            "history_days",
        ),
    ),
)

REGISTRY: Mapping[str, Table] = MappingProxyType({t.name: t for t in _TABLES})


def table(name: str) -> Table:
    """The registry's declaration of table ``name``; an error lists the known tables."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no table {name!r} in the registry; known: {', '.join(REGISTRY)}") from None


def frame_schema(name: str) -> pl.Schema:
    """The schema of the frame the library builds for table ``name``: all columns but run_id."""
    return table(name).frame_schema


PATHS_SCHEMA = frame_schema("forecast_paths")
BACKTEST_SCHEMA = table("backtests").schema
