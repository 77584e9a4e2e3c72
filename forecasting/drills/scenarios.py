"""Drill scenarios: what shock hits which demand, with what shape, and which supply fails.

A scenario is declared in a TOML file (one file per drill, named by its stem unless it sets
``name``; the ready-made ones are in forecasting/resources/drills/) or built from CLI-like
arguments with :func:`scenario_from_args`::

    description = "The largest customer doubles over a six-week ramp"
    multiplier = 2.0            # demand of the target is multiplied by this at full shock
                                # (a finite number above 0, at most 20: `drill --factor`'s cap)
    target = "customer:top"     # all | class:<workload_class> | customer:<name|top> | region:<r>
    shape = "ramp:6w"           # step | ramp:<N>(w|d|h) | spike:<N>(w|d|h)
    start = "+2w"               # a date, or an offset from the first forecast day; default +0d

    [[lose]]                    # a block that fails; it serves nothing from `on` onwards
    block = "largest-live"      # a block id, or largest-live (most GPUs in service on `on`)
    on = 2026-07-01             # optional; default the shock start

    [[slip]]                    # a committed block whose in-service date moves later
    block = "next-committed"    # a block id, or next-committed (earliest in-service date ahead)
    weeks = 8

    [region_loss]               # every block of a region dark for `days`, then back
    region = "largest"          # a region, or largest (most GPUs in service at the loss)
    days = 3
    on = "+2w"                  # optional; default the shock start

A scenario's *baseline* is the same plan, paths and seed without the shock: multiplier 1 and
none of the supply events above (a lost block, a slip and a dark region are the shock of
their drills).

Symbolic references (``customer:top``, ``largest-live``, ``next-committed``) are kept as
written and resolved against the forecast and the capacity plan when the drill runs.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib.resources.abc import Traversable
from typing import Annotated, Any, Literal, Self

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from forecasting.errors import meant_field, not_a_number, rule_text
from forecasting.schema import WorkloadClass, shock_multiplier_problem

__all__ = [
    "LARGEST_LIVE",
    "LARGEST_REGION",
    "NEXT_COMMITTED",
    "OWN_WORDS",
    "TOP_CUSTOMER",
    "BlockLoss",
    "BlockSlip",
    "FieldProblem",
    "InvalidScenarioError",
    "Offset",
    "RegionLoss",
    "Scenario",
    "ScenarioError",
    "ScenarioFolder",
    "Shape",
    "Target",
    "field_said_as",
    "fields_said_as",
    "in_its_own_words",
    "load_scenarios",
    "multiplier_curve",
    "parse_scenario",
    "scenario_folder",
    "scenario_from_args",
]

TOP_CUSTOMER = "top"
LARGEST_LIVE = "largest-live"
LARGEST_REGION = "largest"
NEXT_COMMITTED = "next-committed"

_HOURS_PER_UNIT = {"h": 1, "d": 24, "w": 168}
_DURATION = re.compile(r"^(\d+)\s*([hdw])$")
_OFFSET = re.compile(r"^\+\s*(\d+)\s*([hdw])$")


class ScenarioError(ValueError):
    """A drill scenario is unreadable or invalid; the message names the source and field."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One field of a scenario refused: its path as a drill file names it (``shape``,
    ``lose.0.block``; '' for a rule of the whole scenario), the rule it breaks and the value
    given (None when the rule names none, or quotes it itself)."""

    field: str
    rule: str
    value: object = None

    @property
    def text(self) -> str:
        """The rule with the value given quoted once, as a drill file's refusal reads."""
        if self.value is None:  # TOML has no null: a rule that names no value, or names it
            return self.rule
        return rule_text({"msg": self.rule, "input": self.value})


class InvalidScenarioError(ScenarioError):
    """A scenario whose fields break their rules, each in ``problems``: a caller that names
    the fields its own way (a command's flags) reads them there, not off the message, which
    names them as a drill file does ("SOURCE: invalid drill scenario / field shape: ...")."""

    def __init__(self, source: str, problems: Sequence[FieldProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = (f"  field {p.field or '(scenario)'}: {p.text}" for p in self.problems)
        super().__init__(f"{source}: invalid drill scenario\n" + "\n".join(lines))

    def __reduce__(self) -> tuple[type[InvalidScenarioError], tuple[str, tuple[FieldProblem, ...]]]:
        # Pickled as it was made (a flow's exception crosses processes), not from its message.
        return (type(self), (self.source, self.problems))


# "field lose.0.block", "field region_loss.days", "field shape": a scenario's field in a
# refusal, as a drill file names it.
_FIELD = re.compile(r"\bfield (\w+(?:\.\w+)*)")


def field_said_as(field: str, names: Mapping[str, str]) -> str:
    """A scenario's ``field`` (``lose.1.block``) in a caller's words: ``names``' word for its
    longest leading part that has one ("lose.1", else "lose"), else ``field lose.1.block``."""
    parts = field.split(".")
    for end in range(len(parts), 0, -1):
        said = names.get(".".join(parts[:end]))
        if said is not None:
            return said
    return f"field {field}"


# A scenario's fields in its own words, where nobody typed them (a ready-made drill, a drill
# file's): "field slip:" and "field start:" beside a custom drill's "--slip:" read as
# something the reader had typed and should fix.
OWN_WORDS: Mapping[str, str] = {
    "multiplier": "its multiplier",
    "target": "its target",
    "shape": "its shape",
    "start": "its start",
    "lose": "its loss",
    "slip": "its slip",
    "region_loss": "its region loss",
}


def in_its_own_words(text: str) -> str:
    """``text``, a reason a scenario was not played ("field slip: ..."), with each field said
    as the scenario's own (:data:`OWN_WORDS`: "its slip: ...")."""
    return fields_said_as(text, OWN_WORDS)


def fields_said_as(text: str, names: Mapping[str, str]) -> str:
    """``text``, a refusal naming scenario fields ("field lose.0.block: no block ..."), with
    each field said in ``names``' words (:func:`field_said_as`)."""
    return _FIELD.sub(lambda found: field_said_as(found[1], names), text)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _hours(amount: str, unit: str) -> int:
    return int(amount) * _HOURS_PER_UNIT[unit]


class Offset(_Strict):
    """A point in time relative to the first forecast day (``+2w`` is 336 hours)."""

    hours: Annotated[int, Field(ge=0)]

    def __str__(self) -> str:
        if self.hours == 0:
            return "+0d"
        for unit in ("w", "d"):
            if self.hours % _HOURS_PER_UNIT[unit] == 0:
                return f"+{self.hours // _HOURS_PER_UNIT[unit]}{unit}"
        return f"+{self.hours}h"


def _when(value: Any) -> Any:
    """``+2w`` becomes an :class:`Offset`; ISO strings become dates; TOML dates pass through."""
    if isinstance(value, str):
        text = value.strip()
        offset = _OFFSET.match(text)
        if offset:
            return Offset(hours=_hours(*offset.groups()))
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(
                f"expected a date (YYYY-MM-DD) or an offset like +2w, got {text!r}"
            ) from exc
    return value


When = Annotated[date | Offset, BeforeValidator(_when)]


class Target(_Strict):
    """Whose demand the shock multiplies: everything, one class, one customer or one region."""

    kind: Literal["all", "class", "customer", "region"]
    name: str | None = None

    def __str__(self) -> str:
        return self.kind if self.name is None else f"{self.kind}:{self.name}"


def _target(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    kind, _, name = value.strip().partition(":")
    if kind == "all":
        if name:
            raise ValueError("target 'all' takes no name")
        return {"kind": "all"}
    if kind not in ("class", "customer", "region") or not name.strip():
        raise ValueError(
            f"expected all, class:<name>, customer:<name|top> or region:<name>, got {value!r}"
        )
    name = name.strip()
    if kind == "class" and name not in {c.value for c in WorkloadClass}:
        known = ", ".join(c.value for c in WorkloadClass)
        raise ValueError(f"unknown workload class {name!r}; expected one of {known}")
    return {"kind": kind, "name": name}


class Shape(_Strict):
    """How the multiplier unfolds from the shock start: at once, linearly, or for a while."""

    kind: Literal["step", "ramp", "spike"]
    hours: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _length_fits_kind(self) -> Self:
        if (self.kind == "step") != (self.hours == 0):
            raise ValueError("ramp and spike need a positive length in hours; step takes none")
        return self

    def __str__(self) -> str:
        if self.kind == "step":
            return "step"
        return f"{self.kind}:{str(Offset(hours=self.hours)).lstrip('+')}"


def _shape(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    kind, _, length = value.strip().partition(":")
    if kind == "step" and not length:
        return {"kind": "step"}
    duration = _DURATION.match(length.strip())
    if kind in ("ramp", "spike") and duration:
        hours = _hours(*duration.groups())
        if hours == 0:
            raise ValueError(f"{kind} needs a positive length, got {value!r}")
        return {"kind": kind, "hours": hours}
    raise ValueError(f"expected step, ramp:<N>w|d|h or spike:<N>w|d|h, got {value!r}")


class BlockLoss(_Strict):
    """A block that fails and serves nothing from ``on`` (default: the shock start)."""

    block: Annotated[str, Field(min_length=1)]
    on: When | None = None


class BlockSlip(_Strict):
    """A committed block whose in-service date moves ``weeks`` later."""

    block: Annotated[str, Field(min_length=1)]
    weeks: Annotated[int, Field(ge=1)]


class RegionLoss(_Strict):
    """Every block of ``region`` serves nothing for ``days`` from ``on`` (default: the start)."""

    region: Annotated[str, Field(min_length=1)]
    days: Annotated[int, Field(ge=1)]
    on: When | None = None


def _plausible_multiplier(value: float) -> float:
    if (problem := shock_multiplier_problem(value)) is not None:
        raise ValueError(problem)
    return value


class Scenario(_Strict):
    """One drill: a demand shock on a target, its shape and start, and supply events."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    # Finite and at most the CLI's --factor ceiling: a file's `multiplier = inf` played and
    # printed "peak backlog 0" and "queue delay 0.0" as if measured.
    multiplier: Annotated[
        float, Field(gt=0.0, allow_inf_nan=False), AfterValidator(_plausible_multiplier)
    ] = 2.0
    target: Annotated[Target, BeforeValidator(_target)] = Target(kind="all")
    shape: Annotated[Shape, BeforeValidator(_shape)] = Shape(kind="step")
    start: When | None = None
    lose: tuple[BlockLoss, ...] = ()
    slip: tuple[BlockSlip, ...] = ()
    region_loss: RegionLoss | None = None

    @property
    def has_supply_events(self) -> bool:
        """Whether a block is lost, slips or a region goes dark."""
        return bool(self.lose or self.slip or self.region_loss)

    def baseline(self) -> Scenario:
        """The same drill without the shock: multiplier 1 and no supply events."""
        return self.model_copy(
            update={"multiplier": 1.0, "lose": (), "slip": (), "region_loss": None}
        )

    def with_multiplier(self, multiplier: float) -> Scenario:
        """The same drill at another shock multiplier (bisection and sensitivity runs)."""
        return self.model_copy(update={"multiplier": float(multiplier)})

    def summary(self) -> str:
        """One line for tables and logs: ``2x customer:top ramp:6w from +0d``."""
        parts = [f"{self.multiplier:g}x {self.target} {self.shape}"]
        parts.append(f"from {self.start if self.start is not None else '+0d'}")
        parts += [f"lose {e.block}" + (f" on {e.on}" if e.on else "") for e in self.lose]
        parts += [f"slip {e.block} {e.weeks}w" for e in self.slip]
        if self.region_loss is not None:
            loss = self.region_loss
            parts.append(
                f"region {loss.region} dark {loss.days}d" + (f" on {loss.on}" if loss.on else "")
            )
        return ", ".join(parts)


# The table each array or table of a drill file is, and what a refusal calls it.
_ENTRIES: Mapping[str, tuple[type[BaseModel], str]] = {
    "lose": (BlockLoss, "a [[lose]] entry"),
    "slip": (BlockSlip, "a [[slip]] entry"),
    "region_loss": (RegionLoss, "the [region_loss] table"),
}


def _unknown_field(loc: tuple[int | str, ...]) -> str:
    """The rule a field the drill file's table does not have breaks, with the one it was
    likely meant to be: `Multiplier = 2` read "Extra inputs are not permitted (got 2)"."""
    model, table = (
        _ENTRIES.get(str(loc[0]), (Scenario, "a drill file")) if len(loc) > 1 else (Scenario, "")
    )
    fields = sorted(model.model_fields)
    meant = meant_field(str(loc[-1]), fields)
    hint = f"did you mean {meant!r}?" if meant else f"its fields: {', '.join(fields)}"
    return f"not a field {table or 'a drill file'} has; {hint}"


def _problem(err: Mapping[str, Any]) -> FieldProblem:
    """One pydantic error as a drill file's refusal says it: an unknown field with the one
    meant, a decimal comma with what to write."""
    loc = tuple(err["loc"])
    field = ".".join(str(p) for p in loc)
    given = err.get("input")
    if err["type"] == "extra_forbidden":
        return FieldProblem(field=field, rule=_unknown_field(loc))
    if err["type"] == "float_parsing" and isinstance(given, str):
        # "2,0" read "unable to parse string as a number", with no word of the comma; the
        # rule quotes the value itself.
        return FieldProblem(field=field, rule=not_a_number(given))
    return FieldProblem(field=field, rule=rule_text(err, quote=False), value=given)


def _validated(raw: dict[str, Any], *, source: str) -> Scenario:
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = [_problem(err) for err in exc.errors()]
        raise InvalidScenarioError(source, problems) from exc


# What a drill file sets beyond its name and description: an empty file (or comments alone)
# played "all demand x2" from the defaults, a drill nobody wrote.
_WHAT_A_DRILL_HOLDS = (
    "a drill file holds its shock, e.g. multiplier = 2.0 (with target, shape and start as "
    "it needs), or a supply event, a [[lose]], [[slip]] or [region_loss] entry; the "
    "ready-made ones in forecasting/resources/drills/ show each"
)


# `multiplier = 2,0`: a number with a decimal comma, which TOML reads as a broken statement.
_COMMA_NUMBER = re.compile(r"^\s*(\w+)\s*=\s*([+-]?\d+,\d+)\s*(#.*)?$")


def _comma_hint(text: str) -> str:
    """For TOML text with a number written with a decimal comma, its line, field and what to
    write; "" when it has none (the parser's "Expected newline or end of document after a
    statement" said nothing of the comma)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if found := _COMMA_NUMBER.match(line):
            return f"; line {number}, field {found[1]}: {not_a_number(found[2])}"
    return ""


def parse_scenario(text: str, *, source: str, default_name: str) -> Scenario:
    """Parse one scenario's TOML text; errors name ``source`` and the field at fault."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}{_comma_hint(text)}") from exc
    if not raw.keys() - {"name", "description"}:
        raise ScenarioError(
            f"{source}: no drill in the file (only {_said(raw)}): {_WHAT_A_DRILL_HOLDS}"
        )
    raw.setdefault("name", default_name)
    return _validated(raw, source=source)


def _said(raw: Mapping[str, Any]) -> str:
    """What an empty drill file holds, as its refusal says it."""
    return " and ".join(sorted(raw)) if raw else "comments, or nothing"


@dataclass(frozen=True, slots=True)
class ScenarioFolder:
    """The drills of one folder: those that load, by scenario name, and each file that does not,
    by its name without ``.toml``, with its error (file, field and rule)."""

    ready: dict[str, Scenario]
    refused: dict[str, str]


def scenario_folder(directory: Traversable) -> ScenarioFolder:
    """Every ``*.toml`` drill in ``directory``: those that load, in name order, and the files
    refused, each alone (a bad file stopped every drill of the folder).

    ``directory`` is a folder on disk or a package resource (the ready-made drills).
    """
    if not directory.is_dir():
        raise ScenarioError(f"{directory}: no drill directory here")
    scenarios: dict[str, Scenario] = {}
    refused: dict[str, str] = {}
    origin: dict[str, str] = {}
    files = sorted((f for f in directory.iterdir() if f.name.endswith(".toml")), key=_name)
    for file in files:
        stem = file.name[: -len(".toml")]
        try:
            try:
                # utf-8-sig: an editor's BOM read as "Invalid statement (line 1, column 1)".
                text = file.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ScenarioError(f"{file}: not UTF-8 text ({exc})") from exc
            scenario = parse_scenario(text, source=str(file), default_name=stem)
            if scenario.name in scenarios:
                raise ScenarioError(
                    f"{file}: field name: {scenario.name!r} is already used by "
                    f"{origin[scenario.name]}"
                )
        except ScenarioError as exc:
            refused[stem] = str(exc)
            continue
        scenarios[scenario.name] = scenario
        origin[scenario.name] = str(file)
    return ScenarioFolder(dict(sorted(scenarios.items())), refused)


def load_scenarios(directory: Traversable) -> dict[str, Scenario]:
    """Every ``*.toml`` drill in ``directory``, keyed by scenario name, in name order;
    ScenarioError on the first file refused (:func:`scenario_folder` keeps the others)."""
    folder = scenario_folder(directory)
    if folder.refused:
        raise ScenarioError(next(iter(folder.refused.values())))
    return folder.ready


def _name(file: Traversable) -> str:
    return file.name


def _loss_arg(text: str) -> dict[str, str]:
    block, _, on = text.partition("@")
    return {"block": block.strip(), "on": on.strip()} if on else {"block": block.strip()}


def _slip_arg(text: str) -> dict[str, str]:
    block, sep, weeks = text.rpartition(":")
    if not sep or not block.strip() or not weeks.strip().removesuffix("w"):
        raise ScenarioError(
            f"slip {text!r}: write BLOCK:WEEKS, a block id (or next-committed) and the weeks its "
            "arrival slips, e.g. next-committed:8w"
        )
    return {"block": block.strip(), "weeks": weeks.strip().removesuffix("w")}


def _region_loss_arg(text: str) -> dict[str, str]:
    where, sep, days = text.rpartition(":")
    region, _, on = where.partition("@")
    if not sep or not region.strip() or not days.strip().removesuffix("d"):
        raise ScenarioError(
            f"region loss {text!r}: write REGION:DAYS or REGION@WHEN:DAYS, a region (or "
            "largest), when it goes dark (a date or +2w; default the shock start) and for how "
            "many days, e.g. largest:3d or us-east@+2w:2d"
        )
    loss = {"region": region.strip(), "days": days.strip().removesuffix("d")}
    return {**loss, "on": on.strip()} if on else loss


def _dated(event: str) -> str:
    """``BLOCK`` or ``BLOCK@WHEN`` as a name part: ``BLOCK`` or ``BLOCK-at-WHEN``."""
    what, _, when = event.partition("@")
    return f"{what}-at-{when}" if when else what


def adhoc_name(
    *,
    multiplier: float | None = 2.0,
    target: str = "all",
    shape: str = "step",
    start: str | date | None = None,
    lose: Sequence[str] = (),
    slip: Sequence[str] = (),
    region_loss: str | None = None,
) -> str:
    """A name for an ad-hoc drill that holds every argument it was given (``multiplier``
    None: a supply event alone, at today's demand): two drills that differ in any argument
    differ in name. A 3-day and a 9-day region loss shared one name, so the page showed one
    of them and `status` read a verdict flip where none was."""
    parts = (
        []
        if multiplier is None
        else [f"{target.replace(':', '-')}-{multiplier:g}x-{shape.replace(':', '-')}"]
    )
    if multiplier is not None and start is not None:
        parts.append(f"from-{start}")
    parts += [f"lose-{_dated(x)}" for x in lose]
    parts += [f"slip-{x.replace(':', '-')}" for x in slip]
    if region_loss:
        where, _, days = region_loss.rpartition(":")
        length = f"-{days.removesuffix('d')}d" if where else ""
        parts.append(f"region-loss-{_dated(where or region_loss)}{length}")
    return "-".join(parts)


def scenario_from_args(
    *,
    name: str | None = None,
    multiplier: float = 2.0,
    target: str = "all",
    shape: str = "step",
    start: str | date | None = None,
    lose: tuple[str, ...] = (),
    slip: tuple[str, ...] = (),
    region_loss: str | None = None,
    description: str = "",
) -> Scenario:
    """A scenario from command-line style strings.

    ``lose`` items are ``BLOCK`` or ``BLOCK@WHEN`` (WHEN a date or ``+2w``); ``slip`` items are
    ``BLOCK:WEEKS`` (``next-committed:8w``); ``region_loss`` is ``REGION:DAYS`` or
    ``REGION@WHEN:DAYS`` (``largest:3d``). Errors name the argument at fault.
    """
    raw: dict[str, Any] = {
        "name": name
        or adhoc_name(
            multiplier=multiplier,
            target=target,
            shape=shape,
            start=start,
            lose=lose,
            slip=slip,
            region_loss=region_loss,
        ),
        "description": description,
        "multiplier": multiplier,
        "target": target,
        "shape": shape,
        "lose": [_loss_arg(item) for item in lose],
        "slip": [_slip_arg(item) for item in slip],
    }
    if region_loss is not None:
        raw["region_loss"] = _region_loss_arg(region_loss)
    if start is not None:
        raw["start"] = start
    return _validated(raw, source="drill arguments")


def multiplier_curve(*, shape: Shape, multiplier: float, start_hour: int, hours: int) -> np.ndarray:
    """The demand multiplier of the target for each hour of the horizon (1.0 = no shock).

    step: ``multiplier`` from ``start_hour`` on. ramp over L hours: rises linearly by
    ``(multiplier - 1) / L`` per hour, reaching ``multiplier`` in the L-th hour of the shock and
    staying there. spike of L hours: ``multiplier`` for L hours, then back to 1.
    """
    curve = np.ones(hours, dtype=np.float64)
    if start_hour >= hours:
        return curve
    since = np.arange(hours - start_hour, dtype=np.float64)
    if shape.kind == "step":
        curve[start_hour:] = multiplier
    elif shape.kind == "ramp":
        curve[start_hour:] = 1.0 + (multiplier - 1.0) * np.minimum(1.0, (since + 1) / shape.hours)
    else:
        curve[start_hour : start_hour + shape.hours] = multiplier
    return curve
