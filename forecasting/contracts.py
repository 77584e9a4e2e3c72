"""The contract book: signed contracts and pipeline deals, and how they enter the forecast.

Much future demand is known before telemetry shows it (DOMAIN.md, "Contracts and pipeline"):
a signed contract ramps a customer to N GPUs from a date, M from a later one, until its term
ends; a pipeline deal may or may not sign, with a probability. The book is a file edited by
people, TOML (``[[contract]]`` tables) or CSV with the same fields::

    [[contract]]
    id = "nw-inference-2027"          # unique in the book
    customer = "northwind-ai"
    workload_class = "inference"      # one of the five classes
    region = "us-east"
    ramp = [                          # dated GPU counts, dates strictly increasing
        { date = 2027-01-01, gpus = 3000 },
        { date = 2027-07-01, gpus = 4500 },
    ]
    term_end = 2029-12-31             # last day of service (inclusive)
    status = "signed"                 # signed | pipeline
    probability = 0.4                 # pipeline only, in (0, 1]; a signed contract is 1
    price_per_gpu_hour = 2.9          # optional, USD
    announced = 2026-10-15            # optional: the day the entry became known as it stands
                                      # (blank: known from its first ramp day when a forecast
                                      # or replay is as of an earlier day than the newest
                                      # telemetry; see ContractBook.known_by)
    description = "..."               # optional

In CSV the ramp is one cell, ``"2027-01-01:3000,2027-07-01:4500"`` (``;`` also separates).

**The ramp** is a step function: from each step's date its GPU count holds until the next
step; it is zero before the first step and after ``term_end``. A step of 0 GPUs is a pause.

**Signed contracts are a floor.** For the bottom-level series (region, class, customer) of a
signed contract, demand on a day is ``max(own, committed)``, where ``own`` is the customer's
own forecast on that path and ``committed`` the sum of the signed ramps of that series on that
day. Why not add: the customer's telemetry already holds what the contract has ramped so far,
and the forecast extrapolates it, so adding the ramp would count those GPUs twice. Why not
replace: the customer may run more than the contract (on-demand usage above the reservation),
and the forecast knows that. The floor is also what capacity must honour: reserved GPUs are
held for the customer whether or not they use them. A floor never lowers demand, so a ramp
below the forecast changes nothing and one above lifts demand exactly to the ramp.

**Pipeline deals are incremental.** A deal not yet signed is not in telemetry, so its ramp is
added on top of the series' demand (after the floor) on the sample paths where the deal
signs. Each (deal, path) draw is Bernoulli(p). The draws are stratified over the paths (a
Latin hypercube per deal): path k's uniform is ``(perm[k] + jitter[k]) / n`` with a random
permutation of the n paths, so every path's draw is Bernoulli(p) exactly, while the number
of paths where the deal signs is ``floor(p n)`` or one more. Plain independent draws would
leave the expected demand off by a relative ``sqrt((1 - p) / (p n))`` (7 % at p = 0.3 and
n = 500), which would move an order-by date on sampling noise alone. Permutations are drawn
from ``numpy.random.SeedSequence([seed, *sha256(contract id)])``, so a deal's draws depend on
the seed, its id and the number of paths, not on the other deals in the book or their order,
and different deals are independent of each other and of the forecast paths. A deal that
expands a customer with a signed contract adds on top of the floor.

**New customers** (a contract whose series is not among the paths) get a new bottom-level
series, ``hierarchy.id_of(region, class, customer)``, whose own demand is zero. A known
limit: a customer folded into the ``other`` tail has its current usage inside ``other``, so a
contract for it is counted once in the tail and once in its new series, up to that
customer's current usage (small, since it is not a top customer). Keep contract customers as
named series in the demand hierarchy to avoid it: a forecast run does
(``demand.demand_series(named_customers=...)`` with every customer of the stored book).
``other`` itself is refused as a customer.

**A whole run** (:func:`apply_to_run`): the book is applied to the bottom-level paths, and
every forecast series (aggregates too) is shifted by the book's effect measured on the sums
of its paths, so a series no contract touches is unchanged to the bit; the ``peak`` measure
gets the mean's shift (exact for pipeline deals, an upper bound for floors) on the
aggregates; a contract's own series reads its peak's quantiles on its paths mapped to its peak
band, so a floor moves each to ``max(q, floor)``, as a month's. A contract's own series never
has a mean below its floor plus its deals' expected GPUs.

**Quantile frames** (:func:`apply_to_forecast`): a floor moves each quantile exactly,
``q -> max(q, committed)`` (max with a constant is monotone). The mean becomes
``max(mean, committed) + sum(p x gpus)``: the pipeline term is exact (the draw is independent
of the customer's own demand); ``max(mean, committed)`` is exact when the ramp lies outside
the series' range and otherwise a lower bound of ``E[max(own, committed)]``. Pipeline deals
do not move the quantiles here: a Bernoulli mixture's quantiles need the whole distribution.
For exact figures apply the book to the paths (:func:`apply_to_paths`) and summarise those.

**Prices** are optional: a contract without ``price_per_gpu_hour`` is priced from
``default_prices`` (e.g. the class policies of capacity.toml) when given, else its revenue is
null and its GPU-hours are reported as unpriced, never as zero revenue.

Bad entries are refused with every reason they give, one refusal each with file, row (the n-th
``[[contract]]`` or CSV data row), line, field and rule (each ramp step's own: a step whose date
and count are both unreadable is two), in this order (a rule that needs a value that could not
be read is not judged; it named the first rule alone, so a file with five faults took five
loads to fix): the entry's shape (``not a
table``, ``more cells than columns``, ``the row has fewer cells than the header`` (a line cut
short loaded with its missing fields blank: a price cut from 2.75 to 2), ``a header line inside
the data``), ``unknown field``, ``missing value``, a type rule
(``not text``, ``not a date (YYYY-MM-DD)``, ``not a whole number``, ``not a number``, ``must
be a number, got the text "3500"`` (a TOML number in quotes: a CSV cell is text, a TOML value
is typed), ``must be a number, not true or false``, ``ramp step not date:gpus``), then the
meaning (``unknown workload class``, ``unknown status``,
``customer 'other' is reserved``, ``ramp has no steps``, ``GPUs below 0``, ``GPUs above the
plausible ceiling of 1,000,000``, ``date before 2010-01-01`` (a ramp step's: telemetry's
floor), ``ramp dates not increasing``, ``term_end before the first
ramp date``, ``ramp step after term_end``,
``probability required for a pipeline deal``, ``probability outside (0, 1]``, ``signed
contract with a probability other than 1``, ``price not above 0``, ``unknown region`` when the
fleet's regions are given and the region is in neither them nor the capacity plan's), then
``the ramp holds 0 GPUs at every step`` (a contract of nothing), and last ``duplicate id``.
A blank CSV line, or one of commas alone, holds no entry and is skipped (each was refused
with a ``missing value`` per required field); rows are still counted across it. The good
entries are kept. The checks run per entry in Python rather than as polars
expressions (forecasting.rules): a ramp is a nested list, and a book holds tens of entries,
not millions of rows.
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import io
import itertools
import math
import re
import tomllib
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

import numpy as np
import polars as pl
import tomli_w

from forecasting import hierarchy, sums
from forecasting.calendar import month_end
from forecasting.concentration import OTHER, concentration
from forecasting.errors import (
    column_name_hint,
    date_time_for_date,
    delimiter_hint,
    not_a_number,
    text_misnamed,
    toml_text,
)
from forecasting.schema import (
    BOOK_ONLY,
    EARLIEST_TIMESTAMP,
    GPU_CEILING_RULE,
    MAX_GPUS_PER_ROW,
    PATHS_SCHEMA,
    QUANTILES,
    Measure,
    WorkloadClass,
    book_level_words,
    frame_schema,
    quantile_column,
    table,
)

__all__ = [
    "BOOK_CONCENTRATION_SCHEMA",
    "BOOK_ONLY",
    "CONTRACT_LIST_SCHEMA",
    "CONTRACT_MODEL",
    "FAR_AHEAD_YEARS",
    "FIELDS",
    "FINANCE_SCHEMA",
    "RAMP_SCHEMA",
    "REFUSALS_SCHEMA",
    "REQUIRED_FIELDS",
    "ZERO_RAMP_RULE",
    "Contract",
    "ContractBook",
    "ContractError",
    "ContractFaultsError",
    "ContractRuleError",
    "ContractStatus",
    "Refusal",
    "RunWithBook",
    "Step",
    "announced_ahead",
    "apply_to_forecast",
    "apply_to_months",
    "apply_to_paths",
    "apply_to_run",
    "book_concentration",
    "book_frame",
    "book_of",
    "book_only_levels",
    "book_only_regions",
    "certain_pipeline",
    "committed_and_pipeline",
    "concentration_with_book",
    "contract_faults",
    "contract_list",
    "customers_near_telemetry",
    "dump_contracts",
    "ended_before_telemetry",
    "far_ahead",
    "floor_lift",
    "ids_in_other_books",
    "in_force_changes",
    "load_contracts",
    "near_customer",
    "parse_contracts",
    "pipeline_draws",
    "quantile_of",
    "ramp_frame",
    "ramp_steps",
    "same_terms",
    "same_terms_other_ids",
]

REQUIRED_FIELDS: tuple[str, ...] = (
    "id",
    "customer",
    "workload_class",
    "region",
    "ramp",
    "term_end",
    "status",
)
FIELDS: tuple[str, ...] = (
    *REQUIRED_FIELDS,
    "probability",
    "price_per_gpu_hour",
    "announced",
    "description",
)
# The model name new series carry in a quantile frame: their demand is the book's alone.
CONTRACT_MODEL = "contract-book"
_CLASSES = tuple(c.value for c in WorkloadClass)
_HOURS_PER_DAY = 24
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_WHOLE = re.compile(r"[+-]?\d+")
_CONTRACT_HEADER = re.compile(r"^\s*\[\[\s*(contract|\"contract\"|'contract')\s*\]\]")
_STEP_SEPARATORS = re.compile(r"[,;]")

RAMP_SCHEMA = pl.Schema(
    {
        "contract_id": pl.String(),
        "status": pl.String(),
        "probability": pl.Float64(),
        "customer": pl.String(),
        "workload_class": pl.String(),
        "region": pl.String(),
        "unique_id": pl.String(),
        "ds": pl.Date(),
        "gpus": pl.Float64(),
    }
)
REFUSALS_SCHEMA = pl.Schema(
    {
        "file": pl.String(),
        "row_number": pl.Int64(),
        "line": pl.Int64(),
        "contract_id": pl.String(),
        "field": pl.String(),
        "rule": pl.String(),
        "value": pl.String(),
    }
)
FINANCE_SCHEMA = pl.Schema(
    {
        "month": pl.Date(),
        "status": pl.String(),
        "region": pl.String(),
        "workload_class": pl.String(),
        "contracts": pl.UInt32(),
        "days": pl.UInt32(),
        "gpus_avg": pl.Float64(),
        "expected_gpus_avg": pl.Float64(),
        "gpu_hours": pl.Float64(),
        "expected_gpu_hours": pl.Float64(),
        "expected_revenue_usd": pl.Float64(),
        "unpriced_gpu_hours": pl.Float64(),
    }
)
# Stored per forecast run that applies the book (the table registry owns the columns).
BOOK_CONCENTRATION_SCHEMA = frame_schema("book_concentration")


class ContractStatus(StrEnum):
    """A signed contract is committed demand; a pipeline deal is weighted by its odds."""

    SIGNED = "signed"
    PIPELINE = "pipeline"


# A contract of nothing is most likely a unit or column slip; the what-if says the same.
ZERO_RAMP_RULE = "the ramp holds 0 GPUs at every step: there is no demand to weigh"


class ContractError(ValueError):
    """The contract file as a whole cannot be read; the message names it and the fix."""


class ContractRuleError(ValueError):
    """One contract breaks one rule: the field at fault, the rule and the value quoted back."""

    def __init__(self, field: str, rule: str, value: object = None) -> None:
        self.field = field
        self.rule = rule
        # As the file wrote it: TOML's true read "got 'True'".
        self.value = (
            None if value is None else toml_text(value) if isinstance(value, bool) else str(value)
        )
        shown = "" if _quotes(rule, self.value) else f" (got {self.value!r})"
        super().__init__(f"field {field}: {rule}{shown}")


def _quotes(rule: str, value: str | None) -> bool:
    """Whether ``rule`` already quotes ``value`` as the file wrote it (or there is none): a
    rule naming the text of a quoted number quotes it once, not twice."""
    return value is None or f'"{value}"' in rule or repr(value) in rule


@dataclass(frozen=True, slots=True)
class Step:
    """From ``day`` on, the contract holds ``gpus`` GPUs (until the next step or term end)."""

    day: date
    gpus: int


_UNREAD: Any = object()  # a field whose value could not be read: its own fault is said
# The fields contract_faults judges.
_RULED = frozenset(
    {"id", "customer", "workload_class", "region", "ramp", "term_end", "status", "probability",
     "price_per_gpu_hour"}
)  # fmt: skip


def contract_faults(
    *,
    id: Any = _UNREAD,
    customer: Any = _UNREAD,
    workload_class: Any = _UNREAD,
    region: Any = _UNREAD,
    ramp: Any = _UNREAD,
    term_end: Any = _UNREAD,
    status: Any = _UNREAD,
    probability: Any = None,
    price_per_gpu_hour: Any = None,
) -> list[ContractRuleError]:
    """Every meaning rule the values break, in the documented order, each ramp step's too.

    A value that could not be read (``_UNREAD``: its type fault is said by whoever read it)
    breaks no rule here, and no rule that needs it is judged: a file's entry reported its first
    fault only, so each fix met the next one, one load at a time."""
    faults: list[ContractRuleError] = []
    for name, value in (("id", id), ("customer", customer), ("region", region)):
        if value is not _UNREAD and not str(value).strip():
            faults.append(ContractRuleError(name, "missing value", value))
    if workload_class is not _UNREAD and workload_class not in _CLASSES:
        faults.append(
            ContractRuleError(
                "workload_class",
                f"unknown workload class (expected one of {', '.join(_CLASSES)})",
                workload_class,
            )
        )
    known_status = status is not _UNREAD and status in tuple(ContractStatus)
    if status is not _UNREAD and not known_status:
        faults.append(
            ContractRuleError("status", "unknown status (expected signed or pipeline)", status)
        )
    if customer == OTHER:
        faults.append(
            ContractRuleError(
                "customer", f"customer {OTHER!r} is reserved for the long tail", customer
            )
        )
    if ramp is not _UNREAD:
        faults += _ramp_faults(tuple(ramp), term_end)
    if known_status and probability is not _UNREAD:
        faults += _probability_faults(ContractStatus(status), probability)
    if price_per_gpu_hour not in (None, _UNREAD) and not price_per_gpu_hour > 0:
        faults.append(
            ContractRuleError(
                "price_per_gpu_hour",
                "price not above 0 (a price is per GPU-hour, above 0): write the price, or "
                "leave the field blank to price the contract at its class's price",
                price_per_gpu_hour,
            )
        )
    return faults


_EARLIEST_DAY = EARLIEST_TIMESTAMP.date()
# Telemetry's and the events' floor: no GPU cloud's book reaches back before it.
_RULE_PAST = f"date before {_EARLIEST_DAY} (a zero or epoch default?): check the year"


def _ramp_faults(ramp: tuple[Step, ...], term_end: Any) -> list[ContractRuleError]:
    """Steps exist, hold no negative count, rise in date and lie within the term: every step
    that breaks one (steps unread are left out by the reader, their faults its own)."""
    if not ramp:
        return [ContractRuleError("ramp", "ramp has no steps")]
    faults = []
    for i, step in enumerate(ramp):
        if step.gpus < 0:
            faults.append(ContractRuleError(f"ramp[{i + 1}].gpus", "GPUs below 0", step.gpus))
        if step.gpus > MAX_GPUS_PER_ROW:
            faults.append(ContractRuleError(f"ramp[{i + 1}].gpus", GPU_CEILING_RULE, step.gpus))
        if step.day < _EARLIEST_DAY:
            # 0001-01-01 (an export's zero date) held the step's GPUs from the year 1 on.
            faults.append(ContractRuleError(f"ramp[{i + 1}].date", _RULE_PAST, step.day))
        if i and step.day <= ramp[i - 1].day:
            faults.append(
                ContractRuleError(
                    f"ramp[{i + 1}].date",
                    # What to write, as the plan's energized steps say it ("sort them").
                    f"ramp dates not increasing (after {ramp[i - 1].day}): write the steps in "
                    "date order, each date after the one before",
                    step.day,
                )
            )
    if term_end is _UNREAD:
        return faults
    if term_end < ramp[0].day:
        # Every step lies past it then: the term end is the fault, said once.
        faults.append(
            ContractRuleError("term_end", "term_end before the first ramp date", term_end)
        )
        return faults
    faults += [
        ContractRuleError(f"ramp[{i + 1}].date", "ramp step after term_end", step.day)
        for i, step in enumerate(ramp)
        if step.day > term_end
    ]
    return faults


def _probability_faults(status: ContractStatus, p: Any) -> list[ContractRuleError]:
    """A pipeline deal needs p in (0, 1]; a signed contract is 1 (or none)."""
    if status is ContractStatus.PIPELINE:
        if p is None:
            return [ContractRuleError("probability", "probability required for a pipeline deal")]
        if not 0.0 < p <= 1.0:
            # As typed (0, not 0.0), with what to write: a lost deal at 0 or a percent (35)
            # read "outside (0, 1] (got '0.0')" with no word of either.
            hint = (
                ": a deal at 0 never signs and adds nothing; take a lost deal out of the book"
                if p == 0
                else f": a percent? write {p:g} % as {p / 100:g}"
                if 1.0 < p <= 100.0
                else ""
            )
            return [ContractRuleError("probability", f"probability outside (0, 1]{hint}", f"{p:g}")]
    elif p is not None and p != 1.0:
        return [
            ContractRuleError("probability", "signed contract with a probability other than 1", p)
        ]
    return []


@dataclass(frozen=True, slots=True, kw_only=True)
class Contract:
    """One entry of the book; construction checks every rule of the module docstring.

    ``probability`` is None for a signed contract (it is 1: see :attr:`p`).
    """

    id: str
    customer: str
    workload_class: WorkloadClass
    region: str
    ramp: tuple[Step, ...]
    term_end: date
    status: ContractStatus
    probability: float | None = None
    price_per_gpu_hour: float | None = None
    announced: date | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        """Coerce class and status from text, then check the rules in the documented order:
        the first broken is raised (:func:`contract_faults` lists them all)."""
        faults = contract_faults(
            id=self.id,
            customer=self.customer,
            workload_class=self.workload_class,
            region=self.region,
            ramp=self.ramp,
            term_end=self.term_end,
            status=self.status,
            probability=self.probability,
            price_per_gpu_hour=self.price_per_gpu_hour,
        )
        if faults:
            raise faults[0]
        object.__setattr__(self, "workload_class", WorkloadClass(self.workload_class))
        object.__setattr__(self, "status", ContractStatus(self.status))
        object.__setattr__(self, "ramp", tuple(self.ramp))
        if self.status is ContractStatus.SIGNED:
            # A signed contract is 1 and stores None.
            object.__setattr__(self, "probability", None)

    @property
    def p(self) -> float:
        """The chance the contract's ramp is demand: 1 when signed."""
        return 1.0 if self.probability is None else self.probability

    @property
    def unique_id(self) -> str:
        """The bottom-level series the contract's demand belongs to."""
        return hierarchy.id_of(self.region, self.workload_class.value, self.customer)

    def gpus_on(self, day: date) -> int:
        """GPUs the ramp holds on ``day``: 0 before the first step and after the term."""
        if day > self.term_end:
            return 0
        held = 0
        for step in self.ramp:
            if step.day > day:
                break
            held = step.gpus
        return held


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    """One refused entry: where it is, the field at fault and the rule it breaks."""

    file: str
    row: int  # 1-based: the n-th [[contract]] table or CSV data row
    line: int | None  # the line the entry starts on, when known
    contract_id: str | None
    field: str
    rule: str
    value: str | None

    @property
    def message(self) -> str:
        """One line naming file, line, row, contract, field and rule, and what to do."""
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        who = f" ({self.contract_id!r})" if self.contract_id else ""
        got = "" if _quotes(self.rule, self.value) else f" (got {self.value!r})"
        return (
            f"{where}: contract row {self.row}{who} field {self.field}: {self.rule}{got}; fix the "
            "entry and load the book again"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractBook:
    """The good contracts of a book and the refused entries, in file order."""

    contracts: tuple[Contract, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    source: str | None = None
    # The day the book stands as known: the warehouse's newest telemetry day (None: a file
    # read as it stands today). Read as of an earlier day, an entry without ``announced`` is
    # known from its first ramp day only (see :meth:`known_by`).
    known_on: date | None = None

    @property
    def signed(self) -> tuple[Contract, ...]:
        """The signed contracts."""
        return tuple(c for c in self.contracts if c.status is ContractStatus.SIGNED)

    @property
    def pipeline(self) -> tuple[Contract, ...]:
        """The pipeline deals."""
        return tuple(c for c in self.contracts if c.status is ContractStatus.PIPELINE)

    def known_by(self, day: date) -> ContractBook:
        """The book as known on ``day``: entries announced by then.

        A replay as of a past day uses this, so no contract signed later leaks into it. An
        entry without ``announced`` is known on :attr:`known_on` and after (the book as it
        stands) and, before it, from its first ramp day: a contract serves only once signed,
        so that is the latest day it was known, and counting it earlier would let a replay
        see a deal nobody had then. Its later terms (an amendment) show from that day too,
        which only ``announced`` can tell apart.
        """
        return replace(self, contracts=tuple(c for c in self.contracts if self._known(c, day)))

    def _known(self, contract: Contract, day: date) -> bool:
        """Whether ``contract`` is known on ``day`` (:meth:`known_by`)."""
        if contract.announced is not None:
            return contract.announced <= day
        return self.known_on is None or day >= self.known_on or contract.ramp[0].day <= day

    def refusals_frame(self) -> pl.DataFrame:
        """The refusals as a frame (REFUSALS_SCHEMA), as the quarantine keeps telemetry's."""
        return pl.DataFrame(
            [
                (r.file, r.row, r.line, r.contract_id, r.field, r.rule, r.value)
                for r in self.refusals
            ],
            schema=REFUSALS_SCHEMA,
            orient="row",
        )


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """One raw entry: its row, its line, its fields as the file gave them, and a shape fault."""

    row: int
    line: int | None
    fields: Mapping[str, object]
    fault: ContractRuleError | None = None
    # TOML types its values: a number there is written bare, so a quoted one is a type slip.
    # A CSV cell is always text, and a number is read from it.
    typed: bool = False


# Sums of paths and lifts run in integers of a billionth of a GPU: the same in any order, and
# far below any figure shown (a millionth moved a q10 by 1e-6 against the float sum).
_SUM_SCALE = 1e9


def _text(name: str, value: object) -> str | None:
    """A text field stripped of blanks and of invisible format characters (Unicode Cf: a
    zero-width space, a byte-order mark) around it, as telemetry's names are: a pasted
    'northwind-ai\u200b' was a customer of its own. Blank is absent."""
    if not isinstance(value, str):
        raise ContractRuleError(name, "not text", value)
    start, end = 0, len(value)
    while start < end and _invisible(value[start]):
        start += 1
    while end > start and _invisible(value[end - 1]):
        end -= 1
    return value[start:end] or None


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf"


def _day(name: str, value: object) -> date:
    """A TOML date or an ISO-8601 ``YYYY-MM-DD`` text; a date-time is refused with the day to
    write, as capacity.toml refuses one (:func:`forecasting.errors.date_time_for_date`)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if (rule := date_time_for_date(value)) is not None:
        # As the book wrote it, which the rule quotes: TOML's 2025-10-26T00:00:00, a cell's text.
        written = value.isoformat() if isinstance(value, date | time) else str(value).strip()
        raise ContractRuleError(name, rule, written)
    if isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ContractRuleError(name, "not a date (YYYY-MM-DD)", value)


def _not_typed_as_number(name: str, value: object, *, what: str, typed: bool) -> None:
    """Refuse a boolean, and in TOML (``typed``) a number written as text, for a field that
    takes ``what`` ("a number", "a whole number"). ``gpus = "3500"`` loaded 3500 GPUs without a
    word, while capacity.toml refuses a quoted number; TOML's ``true`` is not 1."""
    if isinstance(value, bool):
        raise ContractRuleError(
            name, f"must be {what}, not true or false (TOML true is not 1)", value
        )
    if typed and isinstance(value, str) and _reads_as_number(value):
        raise ContractRuleError(
            name, f'must be {what}, got the text "{value}": write it without the quotes', value
        )


def _reads_as_number(text: str) -> bool:
    """Whether ``text`` is a number written as text ("3500", "0.4")."""
    try:
        float(text.strip())
    except ValueError:
        return False
    return True


def _whole(name: str, value: object, *, typed: bool = False) -> int:
    """A whole number: a TOML integer, or integer text in a CSV cell (``typed``: a TOML
    value, where text is refused)."""
    _not_typed_as_number(name, value, what="a whole number", typed=typed)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    raise ContractRuleError(name, "not a whole number", value)


def _number(name: str, value: object, *, typed: bool = False) -> float:
    """A finite number: a TOML integer or float, or number text in a CSV cell (``typed``: a
    TOML value, where text is refused)."""
    _not_typed_as_number(name, value, what="a number", typed=typed)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ContractRuleError(name, not_a_number(value), value) from None
    else:
        raise ContractRuleError(name, "not a number", value)
    if not math.isfinite(number):
        raise ContractRuleError(name, "not a number", value)
    return number


def _steps(value: object) -> tuple[Step, ...]:
    """The ramp from TOML ``[{date, gpus}, ...]`` or CSV ``"date:gpus,date:gpus"``; the first
    step that cannot be read raises (:func:`_read_steps` says every one)."""
    steps, faults = _read_steps(value, typed=False)
    if faults:
        raise faults[0]
    return steps


def _read_steps(value: object, *, typed: bool) -> tuple[tuple[Step, ...], list[ContractRuleError]]:
    """The ramp's readable steps and a fault for each part of a step that is not (its date,
    its count, or its form), so every bad step of a ramp is said at once. ``typed``: a TOML
    ramp, whose counts are numbers, not text."""
    faults: list[ContractRuleError] = []
    steps: list[Step] = []

    def step(i: int, day: object, gpus: object) -> None:
        read: list[Any] = []
        try:
            read.append(_day(f"ramp[{i}].date", day))
        except ContractRuleError as bad:
            faults.append(bad)
        try:
            read.append(_whole(f"ramp[{i}].gpus", gpus, typed=typed))
        except ContractRuleError as bad:
            faults.append(bad)
        if len(read) == 2:
            steps.append(Step(read[0], read[1]))

    if isinstance(value, str):
        parts = [p.strip() for p in _STEP_SEPARATORS.split(value) if p.strip()]
        for i, part in enumerate(parts, start=1):
            day, colon, gpus = part.partition(":")
            if not colon:
                faults.append(ContractRuleError(f"ramp[{i}]", "ramp step not date:gpus", part))
                continue
            step(i, day, gpus)
        return tuple(steps), faults
    if not isinstance(value, list):
        return (), [ContractRuleError("ramp", "ramp step not date:gpus", value)]
    for i, item in enumerate(value, start=1):
        if not isinstance(item, dict) or set(item) != {"date", "gpus"}:
            faults.append(
                ContractRuleError(f"ramp[{i}]", "ramp step not {date = YYYY-MM-DD, gpus = N}", item)
            )
            continue
        step(i, item["date"], item["gpus"])
    return tuple(steps), faults


def ramp_steps(text: str) -> tuple[Step, ...]:
    """The ramp of ``"2027-03-01:5000,2027-09-01:20000"``; ContractRuleError names a bad step.

    Only the steps' own form is checked here; their order and counts are a Contract's rules.
    """
    return _steps(text)


def _optional(fields: Mapping[str, object], name: str) -> object | None:
    """The field's value, None when absent or blank text."""
    value = fields.get(name)
    return None if isinstance(value, str) and not value.strip() else value


def _unknown_region(regions: Collection[str], planned: Collection[str]) -> str:
    """The rule refusing a region in neither the telemetry (``regions``) nor the capacity plan
    (``planned``), naming both lists: a typo would otherwise make a region of its own."""
    told = ", ".join(sorted(regions))
    greenfield = sorted(set(planned) - set(regions))
    if greenfield:
        told += f" with telemetry, or {', '.join(greenfield)} of the capacity plan"
    return f"unknown region (expected one of {told})"


class ContractFaultsError(ValueError):
    """Every rule one entry breaks (each a ContractRuleError), in the documented order."""

    def __init__(self, faults: Sequence[ContractRuleError]) -> None:
        self.faults = tuple(faults)
        super().__init__("; ".join(str(f) for f in self.faults))


def _contract(
    fields: Mapping[str, object],
    *,
    regions: Collection[str] | None,
    planned: Collection[str] = (),
    typed: bool = False,
) -> Contract:
    """The contract an entry stands for, or ContractFaultsError naming every rule it breaks: the
    shape (unknown fields, missing values), each field's type, each ramp step's, then the
    meaning of what could be read. It named the first alone, so a file with five faults took
    five loads to fix. ``typed``: the entry is TOML's, whose numbers are not text."""
    faults = [
        ContractRuleError(name, f"unknown field (known: {', '.join(FIELDS)})", fields[name])
        for name in fields
        if name not in FIELDS
    ]
    missing = {n for n in REQUIRED_FIELDS if _optional(fields, n) is None}
    faults += [ContractRuleError(n, "missing value") for n in REQUIRED_FIELDS if n in missing]
    read: dict[str, Any] = {}

    def take(name: str, reader: Callable[[str, object], Any]) -> None:
        value = _optional(fields, name)
        if name in missing:
            read[name] = _UNREAD
        elif value is None:
            read[name] = None
        else:
            try:
                read[name] = reader(name, value)
            except ContractRuleError as bad:
                faults.append(bad)
                read[name] = _UNREAD

    for name in ("id", "customer", "workload_class", "region"):
        take(name, _text)
    if "ramp" in missing:
        read["ramp"] = _UNREAD
    else:
        steps, bad_steps = _read_steps(fields["ramp"], typed=typed)
        faults += bad_steps
        # A ramp with an unreadable step is judged on no rule that needs every step.
        read["ramp"] = _UNREAD if bad_steps else steps
    take("term_end", _day)
    take("status", _text)
    number = functools.partial(_number, typed=typed)
    take("probability", number)
    take("price_per_gpu_hour", number)
    take("announced", _day)
    take("description", _text)
    faults += contract_faults(**{k: v for k, v in read.items() if k in _RULED})
    region = read["region"]
    if (
        regions is not None
        and region not in (_UNREAD, None)
        and region not in regions
        and region not in planned
    ):
        faults.append(ContractRuleError("region", _unknown_region(regions, planned), region))
    if faults:
        raise ContractFaultsError(faults)
    return Contract(**cast(dict[str, Any], read))


def _toml_entries(text: str, source: str) -> list[_Entry]:
    """The ``[[contract]]`` tables of a TOML book, with the line each one starts on."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContractError(
            f"{source}: not valid TOML: {exc}; fix the syntax at that line (contracts are "
            "[[contract]] tables, see forecasting/contracts.py)"
        ) from exc
    unknown = [k for k in document if k != "contract"]
    if unknown:
        raise ContractError(
            f"{source}: unknown top-level key(s) {unknown}; a contract book holds only "
            "[[contract]] tables"
        )
    entries = document.get("contract", [])
    if not isinstance(entries, list):
        raise ContractError(f"{source}: 'contract' must be [[contract]] tables, not one value")
    headers = [
        n for n, line in enumerate(text.splitlines(), start=1) if _CONTRACT_HEADER.match(line)
    ]
    # Lines are known only when every entry is a [[contract]] header (not an inline array).
    lines: list[int | None] = (
        list(headers) if len(headers) == len(entries) else [None] * len(entries)
    )
    return [
        _Entry(i, line, item, typed=True)
        if isinstance(item, dict)
        else _Entry(i, line, {}, ContractRuleError("(entry)", "not a table", item))
        for i, (item, line) in enumerate(zip(entries, lines, strict=True), start=1)
    ]


_TOO_FEW_CELLS_RULE = (
    "the row has fewer cells than the header (a line cut short?): its missing fields would "
    "read as blank; write every column, blank where a field has no value"
)
_INNER_HEADER_RULE = "a header line inside the data (books joined into one file?): delete the line"


def _csv_records(reader: Iterator[list[str]], *, source: str) -> Iterator[list[str]]:
    """The records of ``reader`` (the header first); a csv error names the row it met.

    A quote opened and not closed took every line after it as one description: the book
    loaded the contracts before it and none after, without a word, and a description past
    the csv module's 128 KiB field limit was a traceback. The rows after the quote cannot be
    told apart, so nothing of the book is loaded."""
    row = -1  # the header's; data rows count from 1
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            where = "the header" if row == 0 else f"row {row}"
            raise ContractError(
                f"{source}: {where}: malformed quoting ({exc}): a quote opened and not closed, "
                "taking every line after it as its text, or text after a closing quote? fix "
                "the quoting; nothing of the book was loaded"
            ) from None
        yield cells


def _csv_entries(text: str, source: str) -> list[_Entry]:
    """The data rows of a CSV book, with the line each one starts on."""
    # Strict: a quote left open ran to the end of the book, its rows read as one description.
    reader = csv.reader(io.StringIO(text), strict=True)
    records = _csv_records(reader, source=source)
    try:
        # Any case, as telemetry's header: "Customer" failed the whole book.
        header = [h.strip().lower() for h in next(records)]
    except StopIteration:
        raise ContractError(
            f"{source}: empty file; a contracts CSV starts with a header row"
        ) from None
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise ContractError(f"{source}: column(s) {repeated} appear twice in the header; keep one")
    missing = [c for c in REQUIRED_FIELDS if c not in header]
    unknown = [c for c in header if c not in FIELDS]
    if missing or unknown:
        hint = delimiter_hint(header)
        raise ContractError(
            f"{source}: "
            + (f"missing required column(s) {missing}; " if missing else "")
            + (f"unknown column(s) {unknown}; " if unknown else "")
            + f"a contracts CSV needs {list(REQUIRED_FIELDS)} and may have "
            f"{[c for c in FIELDS if c not in REQUIRED_FIELDS]}; found {header}.{hint}"
            + column_name_hint(header, list(FIELDS))
        )
    entries = []
    start = reader.line_num + 1
    # Rows count every record after the header, blank ones too, so a row's number stays its
    # line's less one, as telemetry and the outage calendar number theirs.
    for row, cells in enumerate(records, start=1):
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            # A blank line, or a spreadsheet's emptied row of commas, holds no contract; it
            # was refused with a 'missing value' for each required field.
            continue
        fields = {h: c for h, c in zip(header, cells, strict=False) if c.strip()}
        fault = None
        if [c.strip().lower() for c in cells] == header:
            fields = {}
            fault = ContractRuleError("(row)", _INNER_HEADER_RULE, ",".join(cells))
        elif len(cells) > len(header):
            extra = ",".join(cells[len(header) :])
            fault = ContractRuleError("(row)", "more cells than columns", extra)
        elif len(cells) < len(header):
            fault = ContractRuleError("(row)", _TOO_FEW_CELLS_RULE, ",".join(cells))
        entries.append(_Entry(row, line, fields, fault))
    return entries


def _judged(
    entries: Iterable[_Entry],
    *,
    source: str,
    regions: Collection[str] | None,
    planned: Collection[str] = (),
) -> ContractBook:
    """The good contracts and one refusal per bad entry; a repeated id is refused."""
    contracts: list[Contract] = []
    refusals: list[Refusal] = []
    first_row: dict[str, int] = {}
    for entry in entries:
        raw_id = entry.fields.get("id")
        ident = _text("id", raw_id) if isinstance(raw_id, str) else None
        faults: list[ContractRuleError] = []
        contract = None
        if entry.fault is not None:
            faults.append(entry.fault)
        else:
            try:
                contract = _contract(
                    entry.fields, regions=regions, planned=planned, typed=entry.typed
                )
            except ContractFaultsError as broken:
                faults += broken.faults
        ramp, unread = _read_steps(entry.fields.get("ramp"), typed=entry.typed)
        if entry.fault is None and ramp and not unread and not any(s.gpus for s in ramp):
            # Checked on a file's entries, not in Contract: a book stored before this rule
            # must still read. The what-if refuses the same ramp.
            faults.append(ContractRuleError("ramp", ZERO_RAMP_RULE))
        if ident is not None and ident in first_row:
            faults.append(
                ContractRuleError("id", f"duplicate id (first at row {first_row[ident]})", ident)
            )
        if faults or contract is None:
            # Every fault of the entry, each a refusal naming its field and rule.
            refusals += [
                Refusal(
                    file=source,
                    row=entry.row,
                    line=entry.line,
                    contract_id=ident,
                    field=broken.field,
                    rule=broken.rule,
                    value=broken.value,
                )
                for broken in faults
            ]
            continue
        first_row[contract.id] = entry.row
        contracts.append(contract)
    return ContractBook(contracts=tuple(contracts), refusals=tuple(refusals), source=source)


def parse_contracts(
    text: str,
    *,
    file_format: str = "toml",
    source: str = "contracts.toml",
    regions: Collection[str] | None = None,
    planned: Collection[str] = (),
) -> ContractBook:
    """The book in ``text`` (``toml`` or ``csv``); refusals name ``source``.

    ``regions``, when given, are the regions the fleet has telemetry for: a contract elsewhere
    is refused, but in a region of ``planned`` (the capacity plan's, with blocks but no
    telemetry yet: a greenfield site's anchor customer), where the book is the region's only
    demand (see :func:`book_only_regions`).
    """
    if file_format == "toml":
        entries = _toml_entries(text, source)
    elif file_format == "csv":
        entries = _csv_entries(text, source)
    else:
        raise ContractError(f"{source}: file_format must be 'toml' or 'csv', got {file_format!r}")
    return _judged(entries, source=source, regions=regions, planned=planned)


def load_contracts(
    path: Path, *, regions: Collection[str] | None = None, planned: Collection[str] = ()
) -> ContractBook:
    """Read a contract book file (``.toml`` or ``.csv``); bad entries come back refused
    (``regions`` and ``planned`` as :func:`parse_contracts`)."""
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".csv"):
        raise ContractError(f"{path}: a contract book is a .toml or .csv file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ContractError(
            f"{path}: no contract book here; write one (see forecasting/contracts.py for the "
            "format, forecasting/resources/contracts.toml for a sample)"
        ) from exc
    except UnicodeDecodeError as exc:
        why = text_misnamed(path) or f"not UTF-8 text ({exc}); save the file as UTF-8"
        raise ContractError(f"{path}: {why}") from exc
    return parse_contracts(
        text, file_format=suffix[1:], source=str(path), regions=regions, planned=planned
    )


def _toml_entry(contract: Contract) -> dict[str, Any]:
    """A contract as a TOML table, fields in :data:`FIELDS` order, absent ones left out."""
    entry: dict[str, Any] = {
        "id": contract.id,
        "customer": contract.customer,
        "workload_class": contract.workload_class.value,
        "region": contract.region,
        "ramp": [{"date": s.day, "gpus": s.gpus} for s in contract.ramp],
        "term_end": contract.term_end,
        "status": contract.status.value,
        "probability": contract.probability,
        "price_per_gpu_hour": contract.price_per_gpu_hour,
        "announced": contract.announced,
        "description": contract.description,
    }
    return {k: v for k, v in entry.items() if v is not None}


def dump_contracts(book: ContractBook | Iterable[Contract], *, header: str = "") -> str:
    """TOML text of the book's contracts: :func:`parse_contracts` of it gives them back.

    ``header`` becomes comment lines at the top. Refusals are not written.
    """
    contracts = book.contracts if isinstance(book, ContractBook) else tuple(book)
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    body = tomli_w.dumps({"contract": [_toml_entry(c) for c in contracts]})
    return comments + ("\n" if comments else "") + body


# --- ramps as frames ----------------------------------------------------------------------------


def _steps_frame(contracts: Sequence[Contract]) -> pl.LazyFrame:
    """One row per ramp step: the contract's columns and the days the step holds."""
    rows = []
    for c in contracts:
        ends = [s.day - timedelta(days=1) for s in c.ramp[1:]] + [c.term_end]
        for step, last in zip(c.ramp, ends, strict=True):
            rows.append(
                (
                    c.id,
                    c.status.value,
                    c.p,
                    c.customer,
                    c.workload_class.value,
                    c.region,
                    c.unique_id,
                    step.day,
                    last,
                    float(step.gpus),
                )
            )
    schema = {
        **{k: v for k, v in RAMP_SCHEMA.items() if k != "ds" and k != "gpus"},
        "first": pl.Date(),
        "last": pl.Date(),
        "gpus": pl.Float64(),
    }
    return pl.LazyFrame(rows, schema=schema, orient="row")


def ramp_frame(
    book: ContractBook,
    *,
    start: date,
    end: date,
    status: ContractStatus | str | None = None,
) -> pl.DataFrame:
    """The daily GPUs of every contract from ``start`` to ``end`` (RAMP_SCHEMA).

    Days before a ramp's first step and after its term have no row (they are zero).
    ``status`` keeps only signed contracts or only pipeline deals. ``gpus`` is the ramp
    itself; a pipeline deal's expectation is ``probability x gpus``.
    """
    contracts = book.contracts
    if status is not None:
        contracts = tuple(c for c in contracts if c.status is ContractStatus(status))
    first = pl.max_horizontal("first", pl.lit(start))
    last = pl.min_horizontal("last", pl.lit(end))
    return (
        _steps_frame(contracts)
        .filter(first <= last)
        .with_columns(pl.date_ranges(first, last).alias("ds"))
        .explode("ds")
        .select(RAMP_SCHEMA.names())
        .sort("contract_id", "ds")
        .collect()
    )


# --- sample paths -------------------------------------------------------------------------------


def _id_words(contract_id: str) -> list[int]:
    """The contract id as eight 32-bit words of its SHA-256: a stable seed part."""
    digest = hashlib.sha256(contract_id.encode("utf-8")).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 32, 4)]


def pipeline_draws(book: ContractBook, *, sample_ids: Sequence[int], seed: int) -> pl.DataFrame:
    """Whether each pipeline deal signs on each path: contract_id, sample_id, signs.

    Stratified Bernoulli(p) per (deal, path), as the module docstring explains: each path
    signs with probability p, and the deal signs on ``floor(p n)`` or ``floor(p n) + 1`` of
    the n paths. ``sample_ids`` are taken sorted and distinct; ``seed`` is a non-negative int.
    """
    ids = np.unique(np.asarray(sample_ids, dtype=np.int64))
    n = len(ids)
    rows_id: list[str] = []
    signs: list[np.ndarray] = []
    for deal in book.pipeline:
        rng = np.random.default_rng(np.random.SeedSequence([seed, *_id_words(deal.id)]))
        uniform = (rng.permutation(n) + rng.random(n)) / n
        signs.append(uniform < deal.p)
        rows_id.extend([deal.id] * n)
    return pl.DataFrame(
        {
            "contract_id": pl.Series(rows_id, dtype=pl.String),
            "sample_id": pl.Series(np.tile(ids, len(signs)), dtype=pl.Int32),
            "signs": pl.Series(
                np.concatenate(signs) if signs else np.zeros(0, dtype=bool), dtype=pl.Boolean
            ),
        }
    )


def _bottom_only(frame: pl.DataFrame, what: str) -> None:
    """Raise unless every id of ``frame`` is a bottom-level (customer) series."""
    aggregates = frame.filter(hierarchy.depth() != hierarchy.BOTTOM_DEPTH)
    if aggregates.height:
        example = aggregates.item(0, "unique_id")
        raise ValueError(
            f"{what} must hold bottom-level (region/class/customer) series only, got "
            f"{example!r}; pass the bottom level and sum aggregates from the result"
        )


def _window(frame: pl.DataFrame, start: date | None, end: date | None) -> tuple[date, date] | None:
    """The days the book applies to: ``start``..``end``, defaulting to the frame's span."""
    if frame.is_empty():
        return None
    lo = start if start is not None else frame["ds"].min()
    hi = end if end is not None else frame["ds"].max()
    return cast(date, lo), cast(date, hi)


def _signed_floor(ramps: pl.DataFrame) -> pl.LazyFrame:
    """unique_id, ds, floor: the sum of the signed ramps of each series and day."""
    return (
        ramps.lazy()
        .filter(pl.col("status") == ContractStatus.SIGNED.value)
        .group_by("unique_id", "ds")
        .agg(pl.col("gpus").sum().alias("floor"))
    )


def floor_lift(value: str, floor: str) -> pl.Expr:
    """What lifting column ``value`` to the floor in column ``floor`` adds: ``max(value, floor)
    - value``, a missing value or floor counting as zero."""
    return (pl.col(floor).fill_null(0.0) - pl.col(value).fill_null(0.0)).clip(lower_bound=0.0)


def _floored(value: pl.Expr) -> pl.Expr:
    """``value`` lifted to the signed floor where one applies (column ``floor``)."""
    return (
        pl.when(pl.col("floor").is_not_null())
        .then(pl.max_horizontal(value, "floor"))
        .otherwise(value)
    )


def apply_to_paths(
    paths: pl.DataFrame,
    book: ContractBook,
    *,
    seed: int,
    start: date | None = None,
    end: date | None = None,
) -> pl.DataFrame:
    """Bottom-level sample paths (PATHS_SCHEMA) with the book applied.

    Signed ramps are a floor on their series, pipeline deals add their ramp on the paths
    where they sign (:func:`pipeline_draws`), and a contract whose series is not among the
    paths gets a new series on every day and path of ``paths`` (zero where no contract
    holds). Contracts count from ``start`` to ``end`` (default: the paths' span).
    """
    _bottom_only(paths, "paths")
    window = _window(paths, start, end)
    if window is None or not book.contracts:
        return paths.select(PATHS_SCHEMA.names()).cast(PATHS_SCHEMA)
    days = paths.select(pl.col("ds").unique().sort())
    samples = paths.select(pl.col("sample_id").unique().sort())
    ramps = ramp_frame(book, start=window[0], end=window[1]).join(days, on="ds", how="semi")
    known = paths.select(pl.col("unique_id").unique())
    new_ids = (
        ramps.select(pl.col("unique_id").unique())
        .join(known, on="unique_id", how="anti")
        .sort("unique_id")
    )
    new_rows = (
        new_ids.join(days, how="cross")
        .join(samples, how="cross")
        .with_columns(pl.lit(0.0).alias("y"))
        .select(PATHS_SCHEMA.names())
        .cast(PATHS_SCHEMA)
    )
    draws = pipeline_draws(book, sample_ids=samples["sample_id"].to_list(), seed=seed)
    added = (
        ramps.lazy()
        .filter(pl.col("status") == ContractStatus.PIPELINE.value)
        .join(draws.lazy().filter("signs"), on="contract_id")
        .group_by("unique_id", "ds", "sample_id")
        .agg(pl.col("gpus").sum().alias("added"))
    )
    # Rows keep the input's order, new series after it, so a seed gives the same frame.
    return (
        pl.concat([paths.select(PATHS_SCHEMA.names()).cast(PATHS_SCHEMA), new_rows])
        .lazy()
        .join(_signed_floor(ramps), on=["unique_id", "ds"], how="left", maintain_order="left")
        .join(added, on=["unique_id", "ds", "sample_id"], how="left", maintain_order="left")
        .with_columns((_floored(pl.col("y")) + pl.col("added").fill_null(0.0)).alias("y"))
        .select(PATHS_SCHEMA.names())
        .collect()
    )


# --- quantile frames ----------------------------------------------------------------------------


def _quantile_columns(frame: pl.DataFrame) -> list[str]:
    """The frame's quantile columns (``q10``...), in QUANTILES order first."""
    known = [quantile_column(q) for q in QUANTILES]
    extra = [c for c in frame.columns if re.fullmatch(r"q\d+(\.\d+)?", c) and c not in known]
    return [c for c in known if c in frame.columns] + extra


def apply_to_forecast(
    forecast: pl.DataFrame,
    book: ContractBook,
    *,
    start: date | None = None,
    end: date | None = None,
) -> pl.DataFrame:
    """A bottom-level forecast (FORECAST_SCHEMA, any measures) with the book applied.

    Quantiles: ``max(q, committed)``, exact. Mean: ``max(mean, committed) + sum(p x gpus)``
    (a lower bound where the ramp cuts through the range; see the module docstring).
    Pipeline deals do not move the quantiles. A contract's series missing from the forecast
    is added, per run and measure, with model :data:`CONTRACT_MODEL`, mean
    ``committed + sum(p x gpus)`` and every quantile ``committed``. Aggregate rows are
    refused: sum them again from the paths of :func:`apply_to_paths`.
    """
    _bottom_only(forecast, "forecast")
    window = _window(forecast, start, end)
    if window is None or not book.contracts:
        return forecast
    quantiles = _quantile_columns(forecast)
    days = forecast.select(pl.col("ds").unique().sort())
    ramps = ramp_frame(book, start=window[0], end=window[1]).join(days, on="ds", how="semi")
    expected = (
        ramps.lazy()
        .filter(pl.col("status") == ContractStatus.PIPELINE.value)
        .group_by("unique_id", "ds")
        .agg((pl.col("gpus") * pl.col("probability")).sum().alias("expected"))
    )
    runs = forecast.select("run_id", "measure").unique().sort("run_id", "measure")
    new_ids = (
        ramps.select(pl.col("unique_id").unique())
        .join(forecast.select(pl.col("unique_id").unique()), on="unique_id", how="anti")
        .sort("unique_id")
    )
    new_rows = (
        new_ids.join(days, how="cross")
        .join(runs, how="cross")
        .with_columns(
            pl.lit(CONTRACT_MODEL).alias("model"),
            *(pl.lit(0.0).alias(c) for c in ["mean", *quantiles]),
        )
        .select(forecast.columns)
        .cast(forecast.schema)
    )
    return (
        pl.concat([forecast.lazy(), new_rows.lazy()])
        .join(_signed_floor(ramps), on=["unique_id", "ds"], how="left", maintain_order="left")
        .join(expected, on=["unique_id", "ds"], how="left", maintain_order="left")
        .with_columns(
            (_floored(pl.col("mean")) + pl.col("expected").fill_null(0.0)).alias("mean"),
            *(_floored(pl.col(c)).alias(c) for c in quantiles),
        )
        .select(forecast.columns)
        .collect()
    )


def apply_to_months(months: pl.DataFrame, book: ContractBook) -> pl.DataFrame:
    """Monthly forecast rows (a month's peak day, or average day for the mean measure; any
    levels, both measures) with the book.

    In the peak measure a contract's month is its ramp's largest count in the month (the peak
    day): on a signed contract's own series each value ``v`` becomes ``max(v, committed)``,
    exactly as daily. In the mean measure a month is its average day: each day of the month
    lifts ``v`` to ``max(v, committed that day)`` (no lift before the ramp's first step), and
    the row takes the average lift over the month's days, so a ramp from mid-month lifts half
    a month. The levels above a series (its class, region and the total, where present) gain
    the same lift, value by value, since the floor lifts the whole of what contains it; each
    row's quantiles are then put back in order (each at least the one below), as
    :func:`apply_to_run` does, since a level's band can be narrower than its series' lifts
    differ, and ``v + (floor - v)`` is not ``floor`` to the last bit.
    Pipeline deals add ``p x GPUs`` (their peak day, or their GPU-days over the month's days)
    to the mean of the series and the levels above; past the daily horizon there are no
    sample paths to mix their draws into, so they do not move the quantiles here. A contract
    series the frame lacks, and each region or class above it the frame lacks (a region
    without telemetry), gets rows of its own (model :data:`CONTRACT_MODEL`): those levels hold
    the book's contracts alone, so their quantiles are the book's outcomes'
    (:func:`_book_only_quantiles`: a deal at p = 0.3 reads its GPUs from q90, 0 at q50). The
    total never does: a frame without total rows (the plan's
    monthly rows hold regions, classes and customers, not the total) gets none, since the
    total's lift alone is the book's GPUs, not the fleet's plan. The demo stored it as the
    total's monthly rows: a July 2027 peak q50 of 902 GPUs where the regions' summed to
    52,558, its q10 1,487 above it and its q90 87 below.
    """
    if months.is_empty() or not book.contracts:
        return months
    values = [c for c in months.columns if c == "mean" or re.fullmatch(r"q[0-9.]+", c)]
    first: date = months["ds"].min()  # type: ignore[assignment]
    last: date = months["ds"].max()  # type: ignore[assignment]
    end = month_end(last)
    days = ramp_frame(book, start=first, end=end).with_columns(
        pl.col("ds").dt.truncate("1mo").alias("month")
    )
    signed = pl.col("status") == ContractStatus.SIGNED.value
    pipeline = pl.col("status") == ContractStatus.PIPELINE.value
    month_days = pl.col("month").first().dt.days_in_month()
    # A peak day: each contract's largest count in the month.
    peaks = days.group_by("contract_id", "status", "probability", "unique_id", "month").agg(
        pl.col("gpus").max()
    )
    floors = peaks.filter(signed).group_by("unique_id", "month").agg(floor=pl.col("gpus").sum())
    expected = pl.concat(
        [
            peaks.filter(pipeline)
            .group_by("unique_id", "month")
            .agg(expected=(pl.col("gpus") * pl.col("probability")).sum())
            .with_columns(measure=pl.lit(Measure.PEAK.value)),
            # An average day: each deal's GPU-days in the month over the month's days.
            days.filter(pipeline)
            .group_by("unique_id", "month")
            .agg(expected=(pl.col("gpus") * pl.col("probability")).sum() / month_days)
            .with_columns(measure=pl.lit(Measure.MEAN.value)),
        ]
    ).rename({"month": "ds"})
    grid = months.select("ds", "measure").unique()
    own = months.select("unique_id", "ds", "measure", *values)
    touched = pl.concat(
        [
            floors.select("unique_id", pl.col("month").alias("ds")),
            expected.select("unique_id", "ds"),
        ]
    ).unique()
    rows = touched.join(grid, on="ds").join(own, on=["unique_id", "ds", "measure"], how="left")

    peak_lifts = (
        rows.filter(pl.col("measure") != Measure.MEAN.value)
        .join(floors.rename({"month": "ds"}), on=["unique_id", "ds"], how="left")
        .select("unique_id", "ds", "measure", *(floor_lift(v, "floor").alias(v) for v in values))
    )
    # The month of an average day: each day's floor lifts that day (zero on days before the
    # ramp), averaged over the month's days; a month with no floor (a pipeline deal's) lifts 0.
    daily_floors = (
        days.filter(signed)
        .group_by("unique_id", "ds", "month")
        .agg(floor=pl.col("gpus").sum())
        .drop("ds")
        .rename({"month": "ds"})
    )
    mean_lifts = (
        rows.filter(pl.col("measure") == Measure.MEAN.value)
        .join(daily_floors, on=["unique_id", "ds"], how="left")
        .group_by("unique_id", "ds", "measure")
        .agg(
            (floor_lift(v, "floor").sum() / pl.col("ds").first().dt.days_in_month()).alias(v)
            for v in values
        )
    )
    lifts = (
        pl.concat([peak_lifts, mean_lifts])
        .join(expected, on=["unique_id", "ds", "measure"], how="left")
        .with_columns(pl.col("mean") + pl.col("expected").fill_null(0.0))
        .drop("expected")
    )
    # Each contract series lifts itself and every level above it.
    ancestors = pl.concat(
        [
            lifts.with_columns(hierarchy.ancestor(depth).alias("unique_id"))
            for depth in range(hierarchy.BOTTOM_DEPTH + 1)
        ]
    )
    total_lift = ancestors.group_by("unique_id", "ds", "measure").agg(
        sums.exact_sum(pl.col(v), scale=_SUM_SCALE).alias(v) for v in values
    )
    keys = ["unique_id", "ds", "measure"]
    lifted = (
        months.join(total_lift, on=keys, how="left", suffix="_lift")
        .with_columns((pl.col(v) + pl.col(f"{v}_lift").fill_null(0.0)).alias(v) for v in values)
        .drop([f"{v}_lift" for v in values])
    )
    # A series the frame lacks, and its levels above it the frame lacks too (a region without
    # telemetry: only its customer's rows read the ramp, and its pools read green past the
    # daily days), is the book's alone.
    new_rows = (
        total_lift.join(months.select(keys), on=keys, how="anti")
        .filter((pl.col("mean") > 0) & (pl.col("unique_id") != hierarchy.TOTAL))
        .with_columns(pl.lit(CONTRACT_MODEL).alias("model"))
    )
    quantiles = sorted((v for v in values if v != "mean"), key=quantile_of)
    # A level the book alone holds is the book's outcomes: its quantiles are read off them, as
    # the daily rows read them off the paths (its mean is already their expectation).
    outcomes = pl.concat(
        [
            peaks.with_columns(measure=pl.lit(Measure.PEAK.value)),
            days.group_by("contract_id", "status", "probability", "unique_id", "month")
            .agg(gpus=pl.col("gpus").sum() / month_days)
            .with_columns(measure=pl.lit(Measure.MEAN.value)),
        ]
    ).select(
        "unique_id",
        pl.col("month").alias("ds"),
        "measure",
        "gpus",
        pl.when(signed).then(1.0).otherwise(pl.col("probability")).alias("probability"),
    )
    new_rows = _book_only_quantiles(new_rows, outcomes, quantiles)
    return (
        pl.concat([lifted, new_rows.select(months.columns)], how="vertical_relaxed")
        .with_columns(
            # Each quantile at least the one below: cumulative max in quantile order.
            pl.max_horizontal(quantiles[: i + 1]).alias(c)
            for i, c in enumerate(quantiles)
        )
        .cast(months.schema)
    )


def _outcome_quantiles(
    atoms: Sequence[tuple[float, float]], levels: Sequence[float]
) -> list[float]:
    """The ``levels`` quantiles of a sum of independent draws, each ``(gpus, p)`` adding
    ``gpus`` with probability ``p`` (a signed contract: p = 1): the smallest sum whose
    cumulative probability reaches each level. One Bernoulli(p) x G reads G at levels above
    1 - p and 0 at and below it. The sums are enumerated: a book holds tens of deals, and a
    level only the book holds has a few of them."""
    dist: dict[float, float] = {0.0: 1.0}
    for gpus, p in atoms:
        grown: dict[float, float] = {}
        for total, weight in dist.items():
            if p < 1.0:
                grown[total] = grown.get(total, 0.0) + weight * (1.0 - p)
            grown[total + gpus] = grown.get(total + gpus, 0.0) + weight * p
        dist = grown
    support = sorted(dist)
    cumulative = np.cumsum([dist[v] for v in support])
    # A level equal to a cumulative probability (q90 of a deal at p = 0.1) is that outcome's:
    # the slack keeps float sums such as 0.7 + 0.2 from stepping past it.
    return [
        support[min(int(np.searchsorted(cumulative, a - 1e-12)), len(support) - 1)] for a in levels
    ]


def _book_only_quantiles(
    rows: pl.DataFrame, outcomes: pl.DataFrame, quantiles: Sequence[str]
) -> pl.DataFrame:
    """``rows`` (levels only the book holds: unique_id, ds, measure, mean, quantiles) with each
    quantile read off the book's outcomes under it (``outcomes``: each contract's unique_id,
    ds, measure, gpus and probability), not left at the lift of a floor alone. Pipeline deals
    moved such a row's mean only: a customer of one deal at p = 0.3 read q90 = 0 beside a
    mean of 0.3 x its GPUs, where the deal signs on 30 % of outcomes (its q90 is the GPUs)."""
    if rows.is_empty() or not quantiles:
        return rows
    under = pl.concat(
        [
            outcomes.with_columns(hierarchy.ancestor(depth).alias("unique_id"))
            for depth in range(hierarchy.BOTTOM_DEPTH + 1)
        ]
    ).unique()  # a leaf's own id repeats at the depths past it
    atoms = (
        under.filter(pl.col("gpus") > 0)
        .group_by("unique_id", "ds", "measure")
        .agg(pl.struct("gpus", "probability").sort_by("gpus", "probability").alias("atoms"))
    )
    levels = [quantile_of(c) for c in quantiles]
    read = {
        (uid, ds, measure): _outcome_quantiles(
            [(a["gpus"], a["probability"]) for a in found], levels
        )
        for uid, ds, measure, found in atoms.iter_rows()
    }
    keyed = [
        read.get(key, [0.0] * len(levels))
        for key in rows.select("unique_id", "ds", "measure").iter_rows()
    ]
    return rows.with_columns(
        pl.Series(c, [values[i] for values in keyed], dtype=pl.Float64)
        for i, c in enumerate(quantiles)
    )


# --- finance ------------------------------------------------------------------------------------


def _month_days(days: pl.DataFrame) -> pl.LazyFrame:
    """month, days: how many of ``days`` (column ``ds``) fall in each month."""
    return (
        days.lazy()
        .group_by(pl.col("ds").dt.month_start().alias("month"))
        .agg(pl.col("ds").n_unique().cast(pl.UInt32).alias("days"))
    )


def committed_and_pipeline(
    book: ContractBook,
    *,
    start: date,
    end: date,
    default_prices: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """Per month, status, region and class: GPUs and GPU-hours signed vs pipeline (FINANCE_SCHEMA).

    ``gpus_avg`` is the mean daily GPUs over the month's days in ``start``..``end`` (``days``
    of them); ``expected_*`` weigh each contract by its probability (signed: 1).
    ``expected_revenue_usd`` is ``p x price x GPU-hours``, the price the contract's own or
    ``default_prices[workload_class]``; GPU-hours with neither are ``unpriced_gpu_hours`` and
    a group with nothing priced has a null revenue.
    """
    prices = pl.DataFrame(
        {
            "workload_class": list((default_prices or {}).keys()),
            "default_price": list((default_prices or {}).values()),
        },
        schema={"workload_class": pl.String(), "default_price": pl.Float64()},
    )
    own = pl.DataFrame(
        {
            "contract_id": [c.id for c in book.contracts],
            "own_price": [c.price_per_gpu_hour for c in book.contracts],
        },
        schema={"contract_id": pl.String(), "own_price": pl.Float64()},
    )
    hours = pl.col("gpus") * _HOURS_PER_DAY
    price = pl.coalesce("own_price", "default_price")
    keys = ["month", "status", "region", "workload_class"]
    return (
        ramp_frame(book, start=start, end=end)
        .lazy()
        .join(own.lazy(), on="contract_id", how="left")
        .join(prices.lazy(), on="workload_class", how="left")
        .with_columns(pl.col("ds").dt.month_start().alias("month"))
        .group_by(keys)
        .agg(
            pl.col("contract_id").n_unique().alias("contracts"),
            pl.col("gpus").sum().alias("gpu_days"),
            (pl.col("gpus") * pl.col("probability")).sum().alias("expected_gpu_days"),
            hours.sum().alias("gpu_hours"),
            (hours * pl.col("probability")).sum().alias("expected_gpu_hours"),
            pl.when(price.is_not_null())
            .then(hours * pl.col("probability") * price)
            .sum()
            .alias("expected_revenue_usd"),
            pl.when(price.is_not_null())
            .then(0.0)
            .otherwise(hours)
            .sum()
            .alias("unpriced_gpu_hours"),
            price.is_not_null().any().alias("priced"),
        )
        .join(_month_days(pl.date_range(start, end, eager=True).to_frame("ds")), on="month")
        .with_columns(
            (pl.col("gpu_days") / pl.col("days")).alias("gpus_avg"),
            (pl.col("expected_gpu_days") / pl.col("days")).alias("expected_gpus_avg"),
            pl.when("priced").then("expected_revenue_usd").alias("expected_revenue_usd"),
        )
        .select(FINANCE_SCHEMA.names())
        .sort(keys)
        .collect()
        .cast(FINANCE_SCHEMA)
    )


# --- concentration ------------------------------------------------------------------------------


def _monthly_customers(expected: pl.LazyFrame, days: pl.DataFrame) -> pl.LazyFrame:
    """Mean daily demand per series and month over ``days``, level columns read from the id.

    A day without a row counts as zero: a contract that starts mid-month holds part of it.
    """
    return (
        expected.group_by("book", "unique_id", pl.col("ds").dt.month_start().alias("month"))
        .agg(pl.col("y").sum())
        .join(_month_days(days), on="month")
        .with_columns(pl.col("y") / pl.col("days"))
        .select(
            "book",
            "month",
            hierarchy.level(hierarchy.LEVEL_NAMES.index("region")).alias("region"),
            hierarchy.level(hierarchy.LEVEL_NAMES.index("workload_class")).alias("workload_class"),
            hierarchy.level(hierarchy.LEVEL_NAMES.index("customer")).alias("customer"),
            "y",
        )
    )


def concentration_with_book(
    paths: pl.DataFrame,
    book: ContractBook,
    *,
    start: date | None = None,
    end: date | None = None,
    other: str = OTHER,
) -> pl.DataFrame:
    """Top-1/top-5 share and HHI per month without and with the book (BOOK_CONCENTRATION_SCHEMA).

    Expected demand per series and day is the mean over ``paths`` (bottom level) of the
    customer's own demand (``book`` = ``without``), or of ``max(own, signed)`` plus
    ``sum(p x gpus)`` of pipeline deals (``with``); a month is its mean day. Concentration
    follows :func:`forecasting.concentration.concentration` (shares of the scope, tail rule,
    0..10,000 HHI) per region and over the total (``region`` = ``total``), per class and
    over all classes (``workload_class`` = ``all``).
    """
    _bottom_only(paths, "paths")
    window = _window(paths, start, end)
    if window is None:
        return pl.DataFrame(schema=BOOK_CONCENTRATION_SCHEMA)
    days = paths.select(pl.col("ds").unique())
    ramps = ramp_frame(book, start=window[0], end=window[1]).join(days, on="ds", how="semi")
    own = paths.lazy().group_by("unique_id", "ds").agg(pl.col("y").mean())
    floored = (
        paths.lazy()
        .join(_signed_floor(ramps), on=["unique_id", "ds"], how="left")
        .group_by("unique_id", "ds")
        .agg(_floored(pl.col("y")).mean().alias("y"))
    )
    # A new customer's own demand is 0 on every path, so its floored mean is the floor itself.
    new_floor = _signed_floor(ramps).join(own, on=["unique_id", "ds"], how="anti")
    expected = (
        ramps.lazy()
        .filter(pl.col("status") == ContractStatus.PIPELINE.value)
        .group_by("unique_id", "ds")
        .agg((pl.col("gpus") * pl.col("probability")).sum().alias("expected"))
    )
    with_book = (
        pl.concat([floored, new_floor.select("unique_id", "ds", pl.col("floor").alias("y"))])
        .join(expected, on=["unique_id", "ds"], how="full", coalesce=True)
        .select(
            "unique_id",
            "ds",
            (pl.col("y").fill_null(0.0) + pl.col("expected").fill_null(0.0)).alias("y"),
        )
    )
    both = pl.concat(
        [
            own.with_columns(pl.lit("without").alias("book")),
            with_book.with_columns(pl.lit("with").alias("book")),
        ],
        how="diagonal",
    ).filter(pl.col("ds").is_between(*window))
    monthly = _monthly_customers(both, days.filter(pl.col("ds").is_between(*window)))
    scoped = pl.concat([monthly, monthly.with_columns(pl.lit(hierarchy.TOTAL).alias("region"))])
    return (
        concentration(scoped, by=["book", "region", "month"], other=other)
        .select(BOOK_CONCENTRATION_SCHEMA.names())
        .sort("book", "region", "workload_class", "month", descending=[True, False, False, False])
        .collect()
        .cast(BOOK_CONCENTRATION_SCHEMA)
    )


def book_concentration(
    before: pl.DataFrame, after: pl.DataFrame, *, other: str = OTHER
) -> pl.DataFrame:
    """Concentration without and with the book (BOOK_CONCENTRATION_SCHEMA) of a run that
    applied it: ``without`` on ``before``, its bottom-level paths without the book; ``with`` on
    ``after``, the same paths with the book applied (:func:`apply_to_paths`) in the precision
    the run stores them (``forecast_paths.y`` is FLOAT).

    "With" read as :func:`concentration_with_book` reads it (``sum(p x gpus)`` for a pipeline
    deal) differed from the paths the run stores, which hold each deal where it signs: the
    finance page's HHI with the book read 1,607 where the what-if's without the deal, on those
    stored paths, read 1,605 for the same run and month. Measured on the stored paths, both
    pages read one figure, the one the run's forecast and triggers stand on.
    """
    none = ContractBook(contracts=(), source="no contracts")
    stored = after.with_columns(
        pl.col("y").cast(table("forecast_paths").stored_schema["y"]).cast(pl.Float64)
    )
    # With no contracts its two books are one: each side keeps its "without" rows.
    without = concentration_with_book(before, none, other=other).filter(pl.col("book") == "without")
    with_book = (
        concentration_with_book(stored, none, other=other)
        .filter(pl.col("book") == "without")
        .with_columns(book=pl.lit("with"))
    )
    return (
        pl.concat([without, with_book])
        .sort("book", "region", "workload_class", "month", descending=[True, False, False, False])
        .cast(BOOK_CONCENTRATION_SCHEMA)
    )


# --- storage ------------------------------------------------------------------------------------


def _stored_columns() -> pl.Schema:
    """The ``contracts`` table's columns that a book fills: all but source and loaded_at."""
    stored = table("contracts").schema
    return pl.Schema({k: v for k, v in stored.items() if k not in ("source", "loaded_at")})


def book_frame(book: ContractBook, *, rows: Sequence[int] | None = None) -> pl.DataFrame:
    """The book's contracts as rows of the ``contracts`` table (without source and loaded_at).

    ``rows`` are each contract's row in its file (default: 1, 2, ... in book order); the ramp
    is two parallel lists, step dates and GPUs.
    """
    numbers = list(rows) if rows is not None else list(range(1, len(book.contracts) + 1))
    if len(numbers) != len(book.contracts):
        raise ValueError(f"{len(numbers)} row numbers for {len(book.contracts)} contracts")
    records = [
        {
            "id": c.id,
            "row_number": row,
            "customer": c.customer,
            "workload_class": c.workload_class.value,
            "region": c.region,
            "ramp_dates": [s.day for s in c.ramp],
            "ramp_gpus": [s.gpus for s in c.ramp],
            "term_end": c.term_end,
            "status": c.status.value,
            "probability": c.probability,
            "price_per_gpu_hour": c.price_per_gpu_hour,
            "announced": c.announced,
            "description": c.description,
        }
        for c, row in zip(book.contracts, numbers, strict=True)
    ]
    return pl.DataFrame(records, schema=_stored_columns())


def ids_in_other_books(new: pl.DataFrame, stored: pl.DataFrame) -> list[str]:
    """One warning per contract of ``new`` (a :func:`book_frame`) whose id another book in
    ``stored`` (rows of the ``contracts`` table) holds with other terms.

    The book loaded last wins an id, so without a word a reload order decided which terms a
    forecast used; an identical entry in two books is harmless and not named."""
    terms = [c for c in new.columns if c not in ("id", "row_number")]
    mine = {r["id"]: r for r in new.iter_rows(named=True)}
    warnings = []
    for other in stored.iter_rows(named=True):
        ours = mine.get(other["id"])
        differ = [] if ours is None else [c for c in terms if ours[c] != other[c]]
        if differ:
            warnings.append(
                f"duplicate id {other['id']} (also in {other['source']} row "
                f"{other['row_number']}, different terms: {', '.join(differ)}): this book, loaded "
                "last, wins; give one of them another id if both are deals, or drop the stale one"
            )
    return warnings


# Columns of a stored contract that are no term of it: where it sits and when it was loaded.
_NOT_TERMS = frozenset({"source", "row_number", "loaded_at"})


def _term_text(name: str, row: Mapping[str, Any] | None) -> str:
    """One term of a stored contract as a reader writes it: a ramp as dated steps."""
    if row is None:
        return "none"
    if name == "ramp":
        steps = zip(row["ramp_dates"] or [], row["ramp_gpus"] or [], strict=True)
        return "; ".join(f"{day}: {gpus:,}" for day, gpus in steps)
    value = row[name]
    return "none" if value is None else str(value)


def _terms(row: Mapping[str, Any]) -> dict[str, str]:
    names = [c for c in row if c not in _NOT_TERMS and c not in ("ramp_dates", "ramp_gpus")]
    return {"ramp": _term_text("ramp", row), **{c: _term_text(c, row) for c in names}}


def same_terms(one: Mapping[str, Any] | None, other: Mapping[str, Any] | None) -> bool:
    """Whether two stored contracts (or a stored one and a :func:`book_frame` row) hold the
    same terms, wherever they sit and whenever they were loaded; None (no such contract)
    holds none."""
    return one is not None and other is not None and _terms(one) == _terms(other)


@dataclass(frozen=True, slots=True)
class BookChange:
    """One deal whose terms in force a book load changed: ``line`` says the deal, each field
    old -> new, and the file it comes from now (and came from, when another)."""

    id: str
    line: str


def in_force_changes(before: pl.DataFrame, after: pl.DataFrame, *, source: str) -> list[BookChange]:
    """The deals whose terms in force (rows of :meth:`Warehouse.contracts`, one per id) differ
    between ``before`` and ``after`` a load of the book ``source``, one per deal in file order.

    A reload read "replaced 1" naming no deal, and a second book winning an id read
    "unchanged" with only a warning: the terms a forecast uses changed either way. Deals
    added by the book are counted by the load, not listed here; one whose terms are the same
    from another file is no change."""
    old = {r["id"]: r for r in before.iter_rows(named=True)}
    changes = []
    for row in after.iter_rows(named=True):
        was = old.get(row["id"])
        if was is None or row["source"] != source:
            continue
        now_terms, was_terms = _terms(row), _terms(was)
        fields = [
            f"{name} {was_terms[name]} -> {text}"
            for name, text in now_terms.items()
            if text != was_terms[name]
        ]
        if not fields:
            continue
        whence = f"from {row['source']}" + (
            f"; was from {was['source']}" if was["source"] != row["source"] else ""
        )
        changes.append(BookChange(row["id"], f"{row['id']}: {', '.join(fields)} ({whence})"))
    gone = {r["id"] for r in after.iter_rows(named=True)}
    changes += [
        BookChange(i, f"{i}: removed (it left {source}; no other book holds it)")
        for i, was in old.items()
        if i not in gone and was["source"] == source
    ]
    return changes


def _spelling(name: str) -> str:
    return re.sub(r"[\s_.-]+", "-", name.strip().lower())


def customers_near_telemetry(new: pl.DataFrame, customers: Sequence[str]) -> list[str]:
    """One warning per contract of ``new`` (a :func:`book_frame`) whose customer no telemetry
    series has but one differs from only by case, separators or a close spelling.

    Such a contract gets a series of its own beside the customer's real one, so its floor
    lifts nothing the customer runs and the two are counted apart. A customer with no close
    name is a new customer, which is normal and not named. Names that differ only in digits
    (cust-012, cust-013) are different customers, not a misspelling."""
    warnings = []
    for row in new.iter_rows(named=True):
        customer = row["customer"]
        if (near := near_customer(customer, customers)) is not None:
            warnings.append(
                f"contract {row['id']}: customer {customer!r} matches no telemetry series "
                f"(did you mean {near!r}?): it gets a series of its own"
            )
    return warnings


def near_customer(customer: str, customers: Sequence[str]) -> str | None:
    """The telemetry customer ``customer`` is a misspelling of (case, separators or a close
    spelling), None where it is one of ``customers`` or close to none. Names that differ only
    in digits (cust-012, cust-013) are different customers."""
    if customer in set(customers):
        return None
    spelt = {_spelling(c): c for c in sorted(set(customers))}
    mine = _spelling(customer)
    near = [
        spelt[m]
        for m in difflib.get_close_matches(mine, list(spelt), n=3, cutoff=0.85)
        if m == mine or re.sub(r"\d", "", m) != re.sub(r"\d", "", mine)
    ]
    return near[0] if near else None


_SAME_TERMS = ("customer", "workload_class", "region", "ramp_dates", "ramp_gpus", "term_end")


def same_terms_other_ids(book: pl.DataFrame, *, source: str) -> list[str]:
    """One warning per pair of contracts in force (``book``: rows of the ``contracts`` table,
    one per id) with the same customer, class, region, ramp and term under different ids, at
    least one of them loaded from ``source``.

    Both count, so one deal entered twice (copied under a new id) doubles its GPUs; two real
    deals on identical terms are rare enough to be worth a look."""
    first: dict[tuple[object, ...], dict[str, Any]] = {}
    warnings = []
    for row in book.iter_rows(named=True):
        key = tuple(tuple(v) if isinstance(v, list) else v for v in (row[c] for c in _SAME_TERMS))
        seen = first.setdefault(key, row)
        if seen is row or source not in (seen["source"], row["source"]):
            continue
        ours, other = (row, seen) if row["source"] == source else (seen, row)
        where = "" if other["source"] == source else f"{other['source']} "
        warnings.append(
            f"contract {ours['id']}: the same customer, class, region, ramp and term as "
            f"contract {other['id']} ({where}row {other['row_number']}): both count, so one "
            "deal entered twice counts twice; drop one if they are the same deal"
        )
    return warnings


def announced_ahead(new: pl.DataFrame, *, newest: date | None, today: date) -> list[str]:
    """One warning per contract of ``new`` announced after today, or after ``newest`` (the
    newest telemetry day, None without telemetry): a forecast as of a day reads only the
    entries announced by then (:meth:`ContractBook.known_by`), so none applies it yet."""
    warnings = []
    for row in new.iter_rows(named=True):
        announced = row["announced"]
        if announced is None:
            continue
        if announced > today:
            after = f"today ({today})"
        elif newest is not None and announced > newest:
            after = f"the newest telemetry day ({newest})"
        else:
            continue
        warnings.append(
            f"contract {row['id']}: announced {announced} is after {after}: no forecast "
            "applies it until then"
        )
    return warnings


FAR_AHEAD_YEARS = 20
"""Past this many years after today a term or ramp date is most likely a year typed wrong."""


def far_ahead(new: pl.DataFrame, *, today: date) -> list[str]:
    """One warning per contract of ``new`` (a :func:`book_frame`) with a ramp step or term end
    more than :data:`FAR_AHEAD_YEARS` after today, naming the first such date: `term_end =
    2929-12-31` for 2029 loaded without a word, and the signed floor held to the plan's last
    day instead of ending in 2029. Not refused: a long reservation is a deal's own."""
    # 02-29 has no day in most years; the 28th is as far ahead to a day.
    limit = date(today.year + FAR_AHEAD_YEARS, today.month, min(today.day, 28))
    warnings = []
    for row in new.iter_rows(named=True):
        dated = [("ramp step", d) for d in row["ramp_dates"]] + [("term_end", row["term_end"])]
        far = [(field, day) for field, day in dated if day > limit]
        if far:
            field, day = far[0]
            warnings.append(
                f"contract {row['id']}: {field} {day} is {day.year - today.year} years after "
                f"today ({today}): a year typo? The contract holds its GPUs to the plan's last "
                "day; check the year"
            )
    return warnings


def ended_before_telemetry(new: pl.DataFrame, *, first: date | None) -> list[str]:
    """One warning per contract of ``new`` (a :func:`book_frame`) whose term ends before
    ``first``, the telemetry's first day (None: no telemetry, nothing to say): `term_end =
    2020-12-31` for 2030 loaded without a word, and its GPUs were never counted anywhere.
    Not refused: a book may keep a deal gone by. A ramp starting before the telemetry whose
    term runs into it is a reservation older than the data, and says nothing."""
    if first is None:
        return []
    return [
        f"contract {row['id']}: term_end {row['term_end']} is before the telemetry's first day "
        f"({first}): it floors no day of the telemetry, of a forecast or of a replay; a year "
        "typo?"
        for row in new.iter_rows(named=True)
        if row["term_end"] < first
    ]


def certain_pipeline(new: pl.DataFrame, series: pl.DataFrame) -> list[str]:
    """One warning per pipeline deal of ``new`` (a :func:`book_frame`) at probability 1 whose
    customer runs in its region (``series``: the telemetry's region and customer pairs).

    Such a deal signs on every path and its ramp is added on top of the customer's own
    forecast, where the same terms signed are a floor under it: a CRM's "closed won" deal not
    yet flipped to signed counted the GPUs the customer already runs twice. A new customer's
    deal reads the same either way (its own forecast is zero), so it is not named. Not
    refused: an expansion that is certain and incremental is a deal's own."""
    running = set(series.select("region", "customer").iter_rows())
    return [
        f"contract {row['id']}: a pipeline deal at probability 1 signs on every path, and its "
        f"ramp is added on top of {row['customer']}'s own forecast in {row['region']}; if it "
        f'is signed, give status = "signed": a floor under what {row["customer"]} runs, so '
        "GPUs it already runs are not counted twice"
        for row in new.iter_rows(named=True)
        if row["status"] == ContractStatus.PIPELINE.value
        and row["probability"] is not None
        and row["probability"] >= 1.0
        and (row["region"], row["customer"]) in running
    ]


def book_of(frame: pl.DataFrame, *, source: str | None = None) -> ContractBook:
    """The book stored in ``frame`` (rows of the ``contracts`` table), in row order.

    Stored rows passed every rule when their file was loaded; they are checked again here, so
    a row edited in the warehouse by hand fails loudly (ContractRuleError) rather than
    entering a forecast.
    """
    contracts = tuple(
        Contract(
            id=r["id"],
            customer=r["customer"],
            workload_class=cast(WorkloadClass, r["workload_class"]),
            region=r["region"],
            ramp=tuple(
                Step(day, gpus) for day, gpus in zip(r["ramp_dates"], r["ramp_gpus"], strict=True)
            ),
            term_end=r["term_end"],
            status=cast(ContractStatus, r["status"]),
            probability=r["probability"],
            price_per_gpu_hour=r["price_per_gpu_hour"],
            announced=r["announced"],
            description=r["description"],
        )
        for r in frame.iter_rows(named=True)
    )
    return ContractBook(contracts=contracts, source=source)


CONTRACT_LIST_SCHEMA = pl.Schema(
    {
        "id": pl.String(),
        "customer": pl.String(),
        "workload_class": pl.String(),
        "region": pl.String(),
        "status": pl.String(),
        "probability": pl.Float64(),
        "first_date": pl.Date(),
        "first_gpus": pl.Int64(),
        "last_date": pl.Date(),
        "last_gpus": pl.Int64(),
        "term_end": pl.Date(),
        "price_per_gpu_hour": pl.Float64(),
        "announced": pl.Date(),
    }
)


def contract_list(book: ContractBook) -> pl.DataFrame:
    """One row per contract (CONTRACT_LIST_SCHEMA): who, where, status, p (signed: 1), the
    first and last ramp step and the term end, in book order."""
    return pl.DataFrame(
        [
            (
                c.id,
                c.customer,
                c.workload_class.value,
                c.region,
                c.status.value,
                c.p,
                c.ramp[0].day,
                c.ramp[0].gpus,
                c.ramp[-1].day,
                c.ramp[-1].gpus,
                c.term_end,
                c.price_per_gpu_hour,
                c.announced,
            )
            for c in book.contracts
        ],
        schema=CONTRACT_LIST_SCHEMA,
        orient="row",
    )


# --- a whole forecast run -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RunWithBook:
    """A forecast run with the book applied: its forecast frame, its bottom-level paths, and
    how many contracts held GPUs within the horizon (signed, pipeline)."""

    forecast: pl.DataFrame
    paths: pl.DataFrame
    signed: int
    pipeline: int
    touched: tuple[str, ...]  # every series id the book moved, bottom and aggregates


def _least_means(ramps: pl.DataFrame) -> pl.LazyFrame:
    """unique_id, ds, least: the least mean a contract's own series can have on a day, its
    signed floor plus its pipeline deals' expected GPUs."""
    signed = pl.col("status") == ContractStatus.SIGNED.value
    return (
        ramps.lazy()
        .group_by("unique_id", "ds")
        .agg(
            (
                pl.when(signed).then(pl.col("gpus")).otherwise(0).sum()
                + pl.when(signed).then(0.0).otherwise(pl.col("gpus") * pl.col("probability")).sum()
            ).alias("least")
        )
    )


def _with_bottom_peak_shift(
    shift: pl.LazyFrame,
    forecast: pl.DataFrame,
    paths: pl.DataFrame,
    book: ContractBook,
    *,
    moved: Sequence[str],
    quantiles: Sequence[str],
    seed: int,
) -> pl.LazyFrame:
    """``shift`` (unique_id, ds, ``<stat>_shift``: the book's effect on the mean paths) per
    measure: the mean's and every aggregate's peak take it as it is; a contract's own series
    takes its peak's shift from its paths read as peak hours (:func:`_peak_paths`), floored and
    drawn as the mean paths are: a floor moves each of its peak's quantiles to ``max(q,
    floor)``, as it does a month's (:func:`apply_to_months`).

    The mean paths' shift lifts a peak by the floor less the daily *mean*, where the floor
    lifts the peak hour only to itself: a customer averaging 450 GPUs and peaking at 780 under
    a floor of 768 read a peak of 1,091 at every quantile, above its mean."""
    stats = ["mean", *quantiles]
    measures = forecast.select(pl.col("measure").unique())
    per_measure = shift.join(measures.lazy(), how="cross")
    if len(quantiles) < 2:  # no band to read a peak path off
        return per_measure
    own = _peak_paths(paths, forecast, moved, quantiles)
    if own.is_empty():
        return per_measure
    ids = pl.DataFrame({"bottom": moved, "unique_id": moved})
    before = _level_stats(None, _path_sums(own.lazy(), ids), quantiles)
    after = _level_stats(
        None, _path_sums(apply_to_paths(own, book, seed=seed).lazy(), ids), quantiles
    )
    peak = after.join(before, on=["unique_id", "ds"], how="left", suffix="_raw").select(
        "unique_id",
        "ds",
        pl.lit(Measure.PEAK.value).alias("measure"),
        *((pl.col(c) - pl.col(f"{c}_raw").fill_null(0.0)).alias(f"{c}_shift") for c in stats),
    )
    keys = ["unique_id", "ds", "measure"]
    return pl.concat(
        [per_measure.join(peak, on=keys, how="anti"), peak.select(*per_measure.collect_schema())]
    )


def _peak_paths(
    paths: pl.DataFrame, forecast: pl.DataFrame, ids: Sequence[str], quantiles: Sequence[str]
) -> pl.DataFrame:
    """The bottom paths of ``ids`` read as each day's peak hour: each path keeps its rank
    among the day's paths and takes the peak's own quantile at that rank (linear between the
    stored quantiles, the end segments carried on, never below zero). The peak's model is not
    the mean's: scaled mean paths were twice as wide as a customer's own peak band, and a
    floor lifted them by 290 GPUs where it lifted the peak by none."""
    peak = forecast.filter(
        pl.col("unique_id").is_in(ids) & (pl.col("measure") == Measure.PEAK.value)
    ).select("unique_id", "ds", *quantiles)
    day = ["unique_id", "ds"]
    rank = (pl.col("y").rank("ordinal").over(day) - 1) / (pl.len().over(day) - 1).clip(1)
    return (
        paths.join(peak, on=day)
        .with_columns(_piecewise_linear(rank, quantiles).clip(lower_bound=0.0).alias("y"))
        .select(PATHS_SCHEMA.names())
    )


def _piecewise_linear(u: pl.Expr, quantiles: Sequence[str]) -> pl.Expr:
    """The quantile function through columns ``quantiles`` (in order) at ``u``: linear between
    neighbours, the first and last segments carried on beyond them."""
    knots = [(quantile_of(c), pl.col(c)) for c in quantiles]
    segments = list(itertools.pairwise(knots))

    def along(segment: tuple[tuple[float, pl.Expr], tuple[float, pl.Expr]]) -> pl.Expr:
        (p0, v0), (p1, v1) = segment
        return v0 + (v1 - v0) * (u - p0) / (p1 - p0)

    expr = along(segments[-1])
    for segment in reversed(segments[:-1]):
        expr = pl.when(u < segment[1][0]).then(along(segment)).otherwise(expr)
    return expr


def _ancestry(ids: Iterable[str]) -> pl.DataFrame:
    """bottom, unique_id: each bottom id with itself and every aggregate above it."""
    pairs = []
    for uid in ids:
        up: str | None = uid
        while up is not None:
            pairs.append((uid, up))
            up = hierarchy.parent_of(up)
    return pl.DataFrame(
        pairs, schema={"bottom": pl.String(), "unique_id": pl.String()}, orient="row"
    )


def _path_sums(
    paths: pl.LazyFrame, ancestry: pl.DataFrame, *, only: pl.DataFrame | None = None
) -> pl.LazyFrame:
    """unique_id, ds, sample_id, units: each path's sum over the bottom series under each id
    of ``ancestry`` (of those in ``only``, when given), in integer units of ``1 / _SUM_SCALE``
    GPUs. In integers: summed as floats in a parallel group-by's order, two reruns' quantiles
    differed in the last bits on 3,013 of 39,312 rows; and integer parts add up exactly."""
    if only is not None:
        paths = paths.join(only.lazy(), on="unique_id", how="semi")
    return (
        paths.join(ancestry.lazy(), left_on="unique_id", right_on="bottom")
        .group_by(pl.col("unique_id_right").alias("unique_id"), "ds", "sample_id")
        .agg((pl.col("y") * _SUM_SCALE).round().cast(pl.Int64, strict=False).sum().alias("units"))
    )


def _level_stats(
    rest: pl.LazyFrame | None, moved: pl.LazyFrame, quantiles: Sequence[str]
) -> pl.LazyFrame:
    """unique_id, ds, mean and each quantile over paths of the sums ``rest`` plus ``moved``
    (:func:`_path_sums`, two parts of the bottom series under each id; ``rest`` None: none).
    Quantiles interpolate linearly, as numpy's (forecast.py) do."""
    keys = ["unique_id", "ds", "sample_id"]
    y = (pl.col("units").fill_null(0) + pl.col("units_moved").fill_null(0)) / _SUM_SCALE
    parts = (
        moved.rename({"units": "units_moved"}).with_columns(units=pl.lit(0, dtype=pl.Int64))
        if rest is None
        else rest.join(moved, on=keys, how="full", coalesce=True, suffix="_moved")
    )
    return (
        parts.select(*keys, y.alias("y"))
        .group_by("unique_id", "ds")
        .agg(
            (sums.exact_sum(pl.col("y"), scale=_SUM_SCALE) / pl.len()).alias("mean"),
            *(
                pl.col("y").quantile(quantile_of(c), interpolation="linear").alias(c)
                for c in quantiles
            ),
        )
    )


def quantile_of(column: str) -> float:
    """The quantile a column stands for: ``q10`` -> 0.1, ``q97.5`` -> 0.975."""
    return float(column[1:]) / 100


def book_only_regions(frame: pl.DataFrame) -> list[str]:
    """The regions whose own series is the book's alone in ``frame`` (a forecast, its monthly
    rows or its summary: ``unique_id`` and ``model``), sorted: every row of the region's
    series has model :data:`CONTRACT_MODEL`, since no telemetry gave it one. A region whose
    telemetry came since is forecast, its contracts on top, and is not among them."""
    if "model" not in frame.columns or frame.is_empty():
        return []
    regions = (
        frame.filter(hierarchy.depth() == 1)
        .group_by(region=hierarchy.level(1))
        .agg(book=(pl.col("model") == CONTRACT_MODEL).all())
        .filter("book")
    )
    return sorted(regions["region"].to_list())


def book_only_levels(frame: pl.DataFrame, contracts: pl.DataFrame) -> dict[str, str]:
    """The series below a region with telemetry that only the book holds in ``frame`` (a
    forecast, its monthly rows or its summary: ``unique_id`` and ``model``; a new customer's
    deal, a class a customer does not run yet), each with its label
    (:func:`~forecasting.schema.book_level_words`, read off ``contracts``:
    CONTRACT_LIST_SCHEMA): its quantiles are the book's outcomes, not a forecast. A region the
    book alone holds (:func:`book_only_regions`) is said as a region, with every level in it."""
    if "model" not in frame.columns or frame.is_empty():
        return {}
    regions = book_only_regions(frame)
    ids = (
        frame.filter(hierarchy.depth() >= 2)
        .group_by("unique_id")
        .agg(book=(pl.col("model") == CONTRACT_MODEL).all())
        .filter(pl.col("book") & ~hierarchy.level(1).is_in(regions))
        .sort("unique_id")["unique_id"]
        .to_list()
    )
    deals = [
        (hierarchy.id_of(r["region"], r["workload_class"], r["customer"]), r)
        for r in contracts.iter_rows(named=True)
    ]
    return {
        uid: book_level_words(
            [
                (r["id"], r["status"], r["probability"])
                for held, r in deals
                if hierarchy.is_under(held, uid)
            ]
        )
        for uid in ids
    }


def apply_to_run(
    forecast: pl.DataFrame, paths: pl.DataFrame, book: ContractBook, *, seed: int
) -> RunWithBook:
    """A whole run with the book applied: bottom-level paths and every level's forecast.

    ``paths`` are the run's bottom-level sample paths (PATHS_SCHEMA, daily mean GPUs);
    ``forecast`` holds every level and measure (FORECAST_SCHEMA, with or without run_id).
    The paths go through :func:`apply_to_paths` (signed floors, pipeline draws seeded by
    ``seed``). Each forecast series is shifted by the book's effect measured on the paths: for
    an id and day, with ``S`` the sum over paths of the bottom series under that id (the id
    itself at the bottom), ``q -> q + (quantile_q(S with book) - quantile_q(S without))`` and
    ``mean -> mean + (mean(S with) - mean(S without))``. So:

    - a series no contract touches is unchanged, to the bit (it is not recomputed);
    - a reconciled mean-measure forecast, whose quantiles are the quantiles of its paths,
      becomes exactly the quantiles of the paths with the book, and stays coherent;
    - the ``peak`` measure of an aggregate gets the same shift as the mean (a contract's own
      series: see :func:`_with_bottom_peak_shift`). A contracted GPU count is flat
      through the day, so a pipeline deal lifts the peak hour exactly as much as the mean; for
      a signed floor this is an upper bound (the floor lifts the low hours most, and the peak
      hour at most to the floor), erring towards capacity;
    - the shifted quantiles of a series are put back in order (each at least the one below)
      where the peak's own spread was narrower than the paths' shift differences.

    A contract series or aggregate the forecast lacks (a new customer, a class a customer does
    not run yet) gets rows for every day and measure with model :data:`CONTRACT_MODEL`: its
    forecast is the book's own. Contracts count on the paths' days only.
    """
    _bottom_only(paths, "paths")
    window = _window(paths, None, None)
    if window is None or not book.contracts:
        return RunWithBook(forecast=forecast, paths=paths, signed=0, pipeline=0, touched=())
    days = paths.select(pl.col("ds").unique())
    ramps = ramp_frame(book, start=window[0], end=window[1]).join(days, on="ds", how="semi")
    holding = ramps.filter(pl.col("gpus") > 0)
    held = set(holding["contract_id"].to_list())
    signed = sum(1 for c in book.signed if c.id in held)
    pipeline = sum(1 for c in book.pipeline if c.id in held)
    adjusted = apply_to_paths(paths, book, seed=seed)
    moved = sorted(set(holding["unique_id"].to_list()))
    if not moved:
        return RunWithBook(forecast=forecast, paths=adjusted, signed=0, pipeline=0, touched=())
    touched = sorted(set(_ancestry(moved)["unique_id"].to_list()))
    bottoms = adjusted.select(pl.col("unique_id").unique()).to_series().to_list()
    ancestry = _ancestry(bottoms).filter(pl.col("unique_id").is_in(touched))
    quantiles = sorted(_quantile_columns(forecast), key=quantile_of)
    stats = ["mean", *quantiles]
    # Only the series with a ramp (and new ones) move: what the others add to each level is
    # summed once for both sides.
    changed = ramps.select(pl.col("unique_id").unique())
    rest = _path_sums(paths.lazy().join(changed.lazy(), on="unique_id", how="anti"), ancestry)
    before = _level_stats(rest, _path_sums(paths.lazy(), ancestry, only=changed), quantiles)
    after = _level_stats(rest, _path_sums(adjusted.lazy(), ancestry, only=changed), quantiles)
    shift = after.join(before, on=["unique_id", "ds"], how="left", suffix="_raw").select(
        "unique_id",
        "ds",
        *((pl.col(c) - pl.col(f"{c}_raw").fill_null(0.0)).alias(f"{c}_shift") for c in stats),
    )
    shift = _with_bottom_peak_shift(
        shift, forecast, paths, book, moved=moved, quantiles=quantiles, seed=seed
    )
    # Series the forecast lacks start from zero: their forecast is the book's alone.
    per_run = [c for c in forecast.columns if c not in ("unique_id", "ds", "model", *stats)]
    missing = (
        pl.DataFrame({"unique_id": touched}, schema={"unique_id": pl.String()})
        .join(forecast.select("unique_id").unique(), on="unique_id", how="anti")
        .join(forecast.select(pl.col("ds").unique()), how="cross")
        .join(forecast.select(per_run).unique(), how="cross")
        .with_columns(pl.lit(CONTRACT_MODEL).alias("model"), *(pl.lit(0.0).alias(c) for c in stats))
        .select(forecast.columns)
        .cast(forecast.schema)
    )
    moved_rows = (
        pl.concat([forecast.filter(pl.col("unique_id").is_in(touched)), missing])
        .lazy()
        .join(shift, on=["unique_id", "ds", "measure"], how="left", maintain_order="left")
        .with_columns(*((pl.col(c) + pl.col(f"{c}_shift").fill_null(0.0)).alias(c) for c in stats))
        # E[max(own, floor) + deals] is at least floor + E[deals]; a point forecast below its
        # own paths' mean (paths clipped at zero) shifted by theirs read 1,947 under a 2,048 floor.
        .join(_least_means(ramps), on=["unique_id", "ds"], how="left", maintain_order="left")
        .with_columns(pl.max_horizontal("mean", pl.col("least").fill_null(0.0)).alias("mean"))
        .with_columns(
            # Each quantile at least the one below: cumulative max in quantile order.
            *(pl.max_horizontal(quantiles[: i + 1]).alias(c) for i, c in enumerate(quantiles))
        )
        .select(forecast.columns)
        .collect()
    )
    shifted = pl.concat([forecast.filter(~pl.col("unique_id").is_in(touched)), moved_rows]).sort(
        *[c for c in ("run_id", "unique_id", "measure", "ds") if c in forecast.columns]
    )
    return RunWithBook(
        forecast=shifted, paths=adjusted, signed=signed, pipeline=pipeline, touched=tuple(touched)
    )
