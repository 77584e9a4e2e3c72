"""The capacity inventory: blocks, candidate block types and class policies from capacity.toml.

capacity.toml is edited by people, so every error names the entry and the field at fault.
The format (dates are TOML dates, fractions are 0..1)::

    [policy.inference]          # one table per workload class; all five are required
    tier = "premium"
    priority = 1                # lower is served first and preempted last; classes may
                                # share a level (its headroom is held together)
    headroom = 0.20             # share of the class's capacity that must stay free
    preemptible = false
    slo_target = 0.95           # share of hours the headroom must hold for a drill to pass
    price_per_gpu_hour = 2.50   # revenue at risk per unmet GPU-hour
    demand = "interactive"      # optional: interactive | deferrable (default: see below)
    max_wait_hours = 24         # optional, deferrable: queueing longer than this costs revenue
    mean_job_hours = 6.0        # optional, deferrable: mean job length; running work ends at
                                # 1 / mean_job_hours of its GPUs per hour

    failover = true             # optional: moves to another region when its region goes dark
    failover_delay_hours = 1    # optional: hours before it runs there, without manual action

Defaults for the three demand fields follow the workload-class table in DOMAIN.md: inference
is interactive (a level that cannot wait), the other classes are deferrable work with the job
length and wait tolerance of :data:`DEMAND_DEFAULTS`. Failover defaults to inference only
(:data:`FAILOVER_DEFAULTS`): a training run cannot move mid-run.

    [response]                  # optional: the response ladder a drill plays (DOMAIN.md)
    regions = []                # optional; empty means every region
    [response.migrate]          # move GPUs of training pods to the classes in `to`
    delay_hours = 12            # after the shock is seen (its start)
    gpus = 512                  # cap per region
    to = ["inference"]
    cost_per_gpu_hour = 0.0     # cost of each migrated GPU-hour
    [response.spares]           # warm spare capacity, held idle until activated
    activation_hours = 48
    gpus = 256                  # per region
    carrying_cost_per_gpu_hour = 0.6   # paid for every spare GPU-hour of the drill window
    classes = []                # optional; default every class but training (no fabric)
    [response.burst]            # a partner cloud
    after_days = 3
    gpus = 1024                 # cap per region
    price_per_gpu_hour = 4.0    # paid for each GPU-hour used
    classes = []                # optional; default every class but training
    [response.expedite]         # orders delivered earlier, at a premium
    weeks_saved = 6
    premium = 0.15              # share of the block's capex, 0..1

Preemption and deferral, the first two rungs, need no section: the policies above describe
them (``preemptible``, ``max_wait_hours``), and a plan without ``[response]`` plays only them.

    [[block]]
    id = "us-east-pod-01"
    kind = "pod"                # rack | pod | cell
    region = "us-east"
    site = "us-east-a"
    gpu_type = "H100"
    gpus = 1024
    mw = 1.6                    # facility MW, cooling included
    status = "live"             # live | committed | retiring
    in_service = 2024-01-15     # required unless live; a live block's is not after today
    retire = 2027-03-31         # optional; required when retiring
    fabric = true               # NVLink/InfiniBand: training may run here (default: pods
                                # and cells have one, racks none)
    classes = ["training", "evaluation"]  # optional; default every class the block can host
    dedicated_customer = "acme" # optional, not blank; only this customer may use the block

    [[candidate]]
    name = "pod-h100-1024"
    kind = "pod"
    gpu_type = "H100"
    gpus = 1024
    mw = 1.6
    lead_time_weeks = 30
    capex_usd = 42_000_000
    fabric = true
    classes = []                # optional, as for blocks
    regions = []                # optional; empty means any region

Sites and power (optional; DOMAIN.md "Four timelines")::

    [[site]]
    id = "us-east-a"
    region = "us-east"
    energized = [{ on = 2022-01-01, mw = 12.0 }, { on = 2027-06-01, mw = 20.0 }]
                                # MW energized from each date on (levels, dates increasing)
    contracted_mw = 8.0         # optional: MW contracted with the utility on top of the last
    contracted_energized = 2028-03-01   # step, and the day they are energized (required with it)
    ceiling_mw = 40.0           # optional: the most the site can ever take (substation, halls)
    power_lead_months = 24      # from signing a power contract to energized MW
    cost_per_mw_usd = 1_500_000

    [[new_site]]                # optional, one per region with [[site]]: the fourth clock
    region = "us-east"
    build_months = 30           # construction lead: from starting a new site to its first MW
                                # (18 to 36 months is typical)
    cost_per_mw_usd = 12_000_000  # a new site's cost per MW (land, halls, substation, power)
    ceiling_mw = 60.0           # optional: the MW one new site holds

A region's [[new_site]] dates when to start building once demand passes the ceilings of its
declared sites (the construction trigger); without it that date is not made up: the trigger
says when the ceilings run out and that the build time is not declared.

A plan without ``[[site]]`` behaves as before: no power checks, blocks' ``site`` is a label.
A plan with ``[[site]]`` must declare every site its blocks name, in the block's region:
blocks draw MW from their site, and candidates are placed only where MW is energized
(contracted MW counting from its energization day) on their arrival. A block its site's
energized MW cannot power stands dark and counts as no capacity while it does (the site powers
its blocks of most H100-equivalents per MW first: :meth:`CapacityPlan.dark_blocks`).
A date of the plan (``in_service``, ``retire``, an energized step's ``on``,
``contracted_energized``) before 2010-01-01, telemetry's floor, is refused: a zero date.

GPU generations (optional)::

    [gpu_type.H100]
    h100_equivalent = 1.0       # capacity of one GPU of this type in H100-equivalents
    generation = 2              # optional rank, higher is newer; default: h100_equivalent
                                # (types of one rank that compete for an order are warned of)
    [gpu_type.GB200]
    h100_equivalent = 2.5
    generation = 3

A plan without ``[gpu_type]`` counts every GPU as one unit, whatever its type (capacity in
GPUs, as before; mixing types is then the plan's own approximation), and the triggers choose
candidates on cost alone. With the table, every ``gpu_type`` of a block or candidate must be
listed (H100 defaults to 1.0 when left out), capacity is counted in H100-equivalents (so the
forecast's demand is read in H100-equivalents too, at the as-of mix of the blocks each pool's
demand ran on: :mod:`forecasting.triggers.levels`), and the triggers prefer the newest
generation that can be ordered in time. ``generation`` is given for every type or for none,
H100 included when a block or candidate is an H100 (left out, it would rank oldest).
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, Self, cast, get_args

import polars as pl
import tomli_w
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from forecasting.errors import date_time_for_date, meant_field, rule_text, text_misnamed
from forecasting.schema import (
    EARLIEST_TIMESTAMP,
    GPU_CEILING_RULE,
    MAX_GPUS_PER_ROW,
    BlockKind,
    BlockStatus,
    WorkloadClass,
)

__all__ = [
    "ALL_CLASSES",
    "BLOCK_TIMELINE_SCHEMA",
    "CAPACITY_TIMELINE_SCHEMA",
    "DEMAND_DEFAULTS",
    "FAILOVER_DEFAULTS",
    "MAX_LEAD_TIME_WEEKS",
    "MAX_POWER_LEAD_MONTHS",
    "NOT_JUDGED",
    "ORDERS_SCHEMA",
    "REFERENCE_GPU",
    "SITE_POWER_MONTHLY_SCHEMA",
    "SITE_POWER_TIMELINE_SCHEMA",
    "Block",
    "BurstRung",
    "CandidateBlock",
    "CapacityError",
    "CapacityPlan",
    "ClassPolicy",
    "DemandKind",
    "ExpediteRung",
    "GpuType",
    "MigrateRung",
    "NewSite",
    "PowerStep",
    "Response",
    "Site",
    "SparesRung",
    "block_timeline",
    "capacity_timeline",
    "dark_spans",
    "dump_plan",
    "gpus_in_blocks",
    "load_capacity",
    "monthly_capacity",
    "most_in_service",
    "not_judged_in",
    "parse_capacity",
    "site_power_by_month",
    "site_power_timeline",
    "stray_dedicated_blocks",
    "stray_dedicated_warnings",
    "unforecast_region_warning",
    "unforecast_regions",
    "unknown_gpu_type_warning",
    "unplanned_region_warning",
    "unplanned_regions",
]

Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]
PositiveFloat = Annotated[float, Field(gt=0.0)]
NonNegativeFloat = Annotated[float, Field(ge=0.0)]
Name = Annotated[str, Field(min_length=1)]


def _after_floor(value: date) -> date:
    # Telemetry's, the events' and the contracts' floor: a committed block in service from
    # 0001-10-25 (an export's zero date) read only that its site "has 0.0 MW energized then".
    if value < EARLIEST_TIMESTAMP.date():
        raise ValueError(
            f"before {EARLIEST_TIMESTAMP:%Y-%m-%d}, telemetry's floor (a zero or epoch "
            "default?): check the year"
        )
    return value


PlanDay = Annotated[date, AfterValidator(_after_floor)]


def _share(value: float) -> float:
    """``value`` if it is a share 0..1; a percentage (15 for 15 %) is refused with the fix."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(
            f"a share of 0..1 (0.15 is 15 %), got {value:g}"
            + (f": write {value / 100:g} for {value:g} %" if 1.0 < value <= 100.0 else "")
        )
    return value


Share = Annotated[float, AfterValidator(_share)]

# The unit capacity is counted in when a plan has a [gpu_type] table.
REFERENCE_GPU = "H100"


class CapacityError(ValueError):
    """capacity.toml is unreadable or invalid; the message names the entry and field."""


class _Strict(BaseModel):
    # TOML spells infinity `inf`, and a bound like ge=0 lets it through: an infinite price, MW
    # or H100-equivalent reached the triggers as an OverflowError or "$infM". No plan figure
    # is infinite (or NaN), so every float is refused unless finite.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_lax_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        """A number field refuses ``true``/``false``: pydantic reads them as 1 and 0, and
        ``gpus = true`` loaded a 1-GPU block without a word (contracts refuse it too); a
        boolean field refuses a number (``fabric = 1`` read as true). A
        number or boolean field refuses text: pydantic's lax mode read ``gpus = "1792"`` as
        1792 and ``fabric = "yes"`` as true. A date field refuses a number or a boolean:
        pydantic read ``in_service = 1760227200`` as the Unix time of 2025-10-12, and
        ``in_service = 20251012`` was refused as "Datetimes provided to dates should have zero
        time". A date field refuses a date-time too, midnight or not
        (:func:`forecasting.errors.date_time_for_date`)."""
        field = cls.model_fields.get(info.field_name or "")
        takes = None if field is None else _takes(field.annotation)
        if takes is None:
            return value
        if takes == "a date":
            if (rule := date_time_for_date(value)) is not None:
                # A TOML date-time read as its day when it was midnight (and refused with
                # pydantic's words when not): one rule with the contract book's, refused.
                raise ValueError(rule)
            if isinstance(value, bool):
                raise ValueError(f"must be a date, not {str(value).lower()}")
            if isinstance(value, int | float):
                raise ValueError(
                    f"must be a date written bare as YYYY-MM-DD (2027-06-01), not the number "
                    f"{value}"
                )
            return value
        if isinstance(value, bool) and takes == "a number":
            raise ValueError(f"must be a number, not {str(value).lower()}")
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and takes == "true or false"
        ):
            # Lax mode read ``fabric = 1`` as true: the other half of the rule above.
            raise ValueError(f"must be true or false, not {value}")
        if isinstance(value, str):
            # A quoted figure or boolean is most often a cell pasted from a sheet (one with a
            # unit in it would not be), so the fix is to drop the quotes.
            raise ValueError(f"must be {takes}, not the text {value!r}; drop the quotes")
        return value


def _takes(annotation: Any) -> Literal["a number", "true or false", "a date"] | None:
    """What a field's type takes, optional or annotated: a number (int or float), a boolean
    (``true or false``), a date, or none of them."""
    if annotation is bool:
        return "true or false"
    if annotation in (int, float):
        return "a number"
    if annotation is date:
        return "a date"
    return next((t for t in map(_takes, get_args(annotation)) if t is not None), None)


DemandKind = Literal["interactive", "deferrable"]

# (demand, max_wait_hours, mean_job_hours) per class when capacity.toml does not say. From the
# class table in DOMAIN.md: inference cannot wait; training runs long gang-scheduled jobs and
# tolerates a day in the queue; evaluation is short bursts wanted within half a day; batch is
# throughput work that may wait a day; experimentation is short spot-like work that may wait
# two days. Interactive classes have no job length (their demand is re-placed every hour).
DEMAND_DEFAULTS: dict[WorkloadClass, tuple[DemandKind, int, float]] = {
    WorkloadClass.INFERENCE: ("interactive", 0, 1.0),
    WorkloadClass.TRAINING: ("deferrable", 24, 48.0),
    WorkloadClass.EVALUATION: ("deferrable", 12, 4.0),
    WorkloadClass.BATCH: ("deferrable", 24, 4.0),
    WorkloadClass.EXPERIMENTATION: ("deferrable", 48, 2.0),
}


# (failover, failover_delay_hours) per class when capacity.toml does not say: inference is
# served from another region an hour after its own goes dark; work in flight of the other
# classes is tied to its region (a training run cannot move mid-run).
FAILOVER_DEFAULTS: dict[WorkloadClass, tuple[bool, int]] = {
    WorkloadClass.INFERENCE: (True, 1),
    WorkloadClass.TRAINING: (False, 0),
    WorkloadClass.EVALUATION: (False, 0),
    WorkloadClass.BATCH: (False, 0),
    WorkloadClass.EXPERIMENTATION: (False, 0),
}


class ClassPolicy(_Strict):
    """How one workload class may use capacity: its tier, priority, headroom and demand kind.

    ``demand``, ``max_wait_hours`` and ``mean_job_hours`` are None until the policy sits in a
    :class:`CapacityPlan`, which fills what the file left out from :data:`DEMAND_DEFAULTS`.
    """

    tier: str
    priority: Annotated[int, Field(ge=1)]
    headroom: Fraction = 0.0
    preemptible: bool = False
    slo_target: Annotated[float, Field(gt=0.0, le=1.0)] = 0.95
    price_per_gpu_hour: Annotated[float, Field(ge=0.0)] = 0.0
    demand: DemandKind | None = None
    max_wait_hours: Annotated[int, Field(ge=0)] | None = None
    # At least the simulation step: a job shorter than an hour still holds its GPUs that hour.
    mean_job_hours: Annotated[float, Field(ge=1.0)] | None = None
    failover: bool | None = None
    failover_delay_hours: Annotated[int, Field(ge=0)] | None = None

    def for_class(self, workload_class: WorkloadClass) -> ClassPolicy:
        """This policy with the demand fields the file left out taken from the class default."""
        demand, max_wait, job = DEMAND_DEFAULTS[workload_class]
        failover, delay = FAILOVER_DEFAULTS[workload_class]
        return self.model_copy(
            update={
                "demand": self.demand or demand,
                "max_wait_hours": max_wait if self.max_wait_hours is None else self.max_wait_hours,
                "mean_job_hours": job if self.mean_job_hours is None else self.mean_job_hours,
                "failover": failover if self.failover is None else self.failover,
                "failover_delay_hours": (
                    delay if self.failover_delay_hours is None else self.failover_delay_hours
                ),
            }
        )

    @property
    def interactive(self) -> bool:
        """Whether unserved demand is lost in its hour (True) or queues as work (False)."""
        return self.demand == "interactive"

    @property
    def turnover_per_hour(self) -> float:
        """Share of running GPUs whose jobs end each hour: 0 for interactive demand."""
        if self.interactive:
            return 0.0
        if self.mean_job_hours is None:
            raise ValueError("policy demand fields are unresolved; call for_class first")
        return 1.0 / self.mean_job_hours


class _BlockShape(_Strict):
    kind: BlockKind
    gpu_type: Annotated[str, Field(min_length=1)]
    gpus: Annotated[int, Field(gt=0)]
    mw: PositiveFloat
    fabric: bool = False
    classes: tuple[WorkloadClass, ...] = ()

    @field_validator("gpus")
    @classmethod
    def _plausible_gpus(cls, value: int) -> int:
        # The ceiling telemetry and contracts have: a billion GPUs in one block is a typo or
        # a unit error, and counted it hides every shortfall of its region behind it.
        if value > MAX_GPUS_PER_ROW:
            raise ValueError(GPU_CEILING_RULE)
        return value

    @model_validator(mode="before")
    @classmethod
    def _fabric_by_kind(cls, data: Any) -> Any:
        # A pod is GPUs on one fabric and a cell is several pods (DOMAIN.md): unless the plan
        # says otherwise, they have one and a rack has none.
        if isinstance(data, dict) and "fabric" not in data and "kind" in data:
            return {**data, "fabric": str(data["kind"]) != BlockKind.RACK.value}
        return data

    @model_validator(mode="after")
    def _training_has_fabric(self) -> Self:
        # Listing training on a block without fabric would silently give it 0 GPUs there.
        if WorkloadClass.TRAINING in self.classes and not self.fabric:
            raise ValueError(
                "classes lists training, but training runs only on a fabric: "
                "set fabric = true or drop training from classes"
            )
        return self

    def allows(self, workload_class: WorkloadClass) -> bool:
        """Whether ``workload_class`` may run here: training needs a fabric."""
        if workload_class is WorkloadClass.TRAINING and not self.fabric:
            return False
        return not self.classes or workload_class in self.classes


class Block(_BlockShape):
    """A capacity block that exists or is committed."""

    id: Annotated[str, Field(min_length=1)]
    region: Annotated[str, Field(min_length=1)]
    site: Annotated[
        str,
        Field(
            min_length=1,
            description="the facility it stands in: a [[site]] id, or any name in a plan "
            "without [[site]]; the facilities page groups MW by it",
        ),
    ]
    status: BlockStatus
    in_service: PlanDay | None = None
    retire: PlanDay | None = None
    dedicated_customer: str | None = None

    @field_validator("dedicated_customer")
    @classmethod
    def _named_customer(cls, value: str | None) -> str | None:
        # A blank name would dedicate the block to a customer nobody has: no demand would
        # ever reach its GPUs.
        if value is not None and not value:
            raise ValueError(
                "blank: name the customer the block is dedicated to, or leave the field out "
                "for a shared block"
            )
        return value

    @model_validator(mode="after")
    def _dates_fit_status(self, info: ValidationInfo) -> Self:
        today = (info.context or {}).get("today") or date.today()
        problems = []
        if self.status is BlockStatus.LIVE and self.in_service and self.in_service > today:
            # Live means serving now: counted so, a block still being built would hold demand
            # from today and its lead time would never show in the triggers.
            problems.append(
                f"status live, but in_service {self.in_service} is after today ({today}): "
                'a block not yet in service is status = "committed"'
            )
        if self.status is BlockStatus.COMMITTED and self.in_service is None:
            problems.append("a committed block needs in_service (its in-service date)")
        if self.status is BlockStatus.RETIRING and self.retire is None:
            problems.append("a retiring block needs retire (its retirement date)")
        if self.in_service and self.retire and self.retire <= self.in_service:
            problems.append(f"retire {self.retire} is not after in_service {self.in_service}")
        if self.in_service and (far := _past_lead_ceiling(self.in_service, today)):
            problems.append(f"in_service {far}")
        _refuse(problems)
        return self

    def in_service_on(self, day: date) -> bool:
        """Whether the block serves demand on ``day``."""
        started = self.in_service is None or self.in_service <= day
        return started and (self.retire is None or day < self.retire)


# The longest lead times a plan may state. The slowest GPU deliveries and data-hall builds
# take two to three years and a new substation five to seven; ten years is past any of them and
# past any plan horizon (the forecast reaches 120 months at most). A larger figure is a unit
# slip (days or hours written as weeks, weeks as months), and counted it sent `report` into a
# date past the calendar (OverflowError, "year -14640 is out of range") or ordered power in
# 1927.
MAX_LEAD_TIME_WEEKS = 520
MAX_POWER_LEAD_MONTHS = 120


def _past_lead_ceiling(day: date, today: date) -> str | None:
    """Why a block's in-service day or a site's energized day is a typo, with the fix, where
    it lies past today plus the longest lead time a plan may state (ten years, for blocks and
    power alike: nothing ordered or contracted today arrives later); None when it does not.
    A committed block in service in 2076 for 2026 loaded without a word, and stood outside
    every horizon: the region's capacity read without it, and the triggers ordered it again."""
    limit = today + timedelta(weeks=MAX_LEAD_TIME_WEEKS)
    if day <= limit:
        return None
    return (
        f"{day} is more than ten years after today ({today}), past the longest lead time a "
        f"plan may state ({MAX_LEAD_TIME_WEEKS} weeks for a block, {MAX_POWER_LEAD_MONTHS} "
        "months for power): a year typo? check the year"
    )


# Between the problems one validator found, each a line of the plan's refusal
# (parse_capacity splits them): it raised the first alone.
_PROBLEMS_APART = "\n"


def _refuse(problems: Sequence[str]) -> None:
    """Raise every problem a validator found at once (none: return)."""
    if problems:
        raise ValueError(_PROBLEMS_APART.join(problems))


def _plausible_lead_weeks(value: int) -> int:
    if value > MAX_LEAD_TIME_WEEKS:
        raise ValueError(
            f"weeks above the plausible ceiling of {MAX_LEAD_TIME_WEEKS} (ten years: a unit "
            "slip? the lead time is in weeks)"
        )
    return value


def _plausible_lead_months(value: int) -> int:
    if value > MAX_POWER_LEAD_MONTHS:
        raise ValueError(
            f"months above the plausible ceiling of {MAX_POWER_LEAD_MONTHS} (ten years: a unit "
            "slip? the power lead time is in months)"
        )
    return value


class CandidateBlock(_BlockShape):
    """A block type that can be ordered, with its lead time and capital cost."""

    name: Annotated[str, Field(min_length=1)]
    lead_time_weeks: Annotated[int, Field(ge=0), AfterValidator(_plausible_lead_weeks)]
    capex_usd: Annotated[float, Field(ge=0.0)]
    regions: tuple[str, ...] = ()

    def available_in(self, region: str) -> bool:
        """Whether this block type can be ordered for ``region``."""
        return not self.regions or region in self.regions


_NO_FABRIC = tuple(c for c in WorkloadClass if c is not WorkloadClass.TRAINING)


class MigrateRung(_Strict):
    """Move up to ``gpus`` GPUs per region from training pods to the classes in ``to``."""

    delay_hours: Annotated[int, Field(ge=0)]
    gpus: Annotated[int, Field(gt=0)]
    to: tuple[WorkloadClass, ...] = (WorkloadClass.INFERENCE,)
    cost_per_gpu_hour: Annotated[float, Field(ge=0.0)] = 0.0

    @field_validator("to")
    @classmethod
    def _not_to_training(cls, value: tuple[WorkloadClass, ...]) -> tuple[WorkloadClass, ...]:
        # The GPUs migrated are training's: moving them to training is no move, and the drill
        # would have counted the rung as relief it is not.
        if WorkloadClass.TRAINING in value:
            raise ValueError(
                "lists training, but migrate moves GPUs from training pods to other classes; "
                "drop training from `to`"
            )
        return value


class SparesRung(_Strict):
    """Warm spares: ``gpus`` per region, serving ``activation_hours`` after the shock is seen."""

    activation_hours: Annotated[int, Field(ge=0)]
    gpus: Annotated[int, Field(gt=0)]
    carrying_cost_per_gpu_hour: Annotated[float, Field(ge=0.0)] = 0.0
    classes: tuple[WorkloadClass, ...] = ()

    @property
    def serves(self) -> tuple[WorkloadClass, ...]:
        """Classes that may run on the spares (default: all but training, no fabric)."""
        return self.classes or _NO_FABRIC


class BurstRung(_Strict):
    """A partner cloud: up to ``gpus`` per region, ``after_days`` after the shock is seen."""

    after_days: Annotated[int, Field(ge=0)]
    gpus: Annotated[int, Field(gt=0)]
    price_per_gpu_hour: Annotated[float, Field(ge=0.0)]
    classes: tuple[WorkloadClass, ...] = ()

    @property
    def serves(self) -> tuple[WorkloadClass, ...]:
        """Classes that may burst (default: all but training, which needs the fabric)."""
        return self.classes or _NO_FABRIC


class ExpediteRung(_Strict):
    """Orders delivered ``weeks_saved`` earlier for ``premium`` x capex more."""

    weeks_saved: Annotated[int, Field(ge=1)]
    premium: Share

    def candidate(self, candidate: CandidateBlock) -> CandidateBlock:
        """``candidate`` ordered expedited: shorter lead time, higher capex."""
        return candidate.model_copy(
            update={
                "name": f"{candidate.name}-expedited",
                "lead_time_weeks": max(candidate.lead_time_weeks - self.weeks_saved, 0),
                "capex_usd": candidate.capex_usd * (1.0 + self.premium),
            }
        )


class Response(_Strict):
    """The rungs of the response ladder beyond preemption and deferral (DOMAIN.md)."""

    regions: tuple[str, ...] = ()
    migrate: MigrateRung | None = None
    spares: SparesRung | None = None
    burst: BurstRung | None = None
    expedite: ExpediteRung | None = None

    def covers(self, region: str) -> bool:
        """Whether the rungs act in ``region``."""
        return not self.regions or region in self.regions


class PowerStep(_Strict):
    """MW energized at a site from ``on`` onwards (a level, not an increment)."""

    on: PlanDay
    mw: NonNegativeFloat


class Site(_Strict):
    """A site's power: energized steps, a utility contract, a ceiling, lead time and cost."""

    id: Name
    region: Name
    energized: tuple[PowerStep, ...] = ()
    contracted_mw: NonNegativeFloat = 0.0
    contracted_energized: PlanDay | None = None
    ceiling_mw: PositiveFloat | None = None
    power_lead_months: Annotated[int, Field(ge=0), AfterValidator(_plausible_lead_months)]
    cost_per_mw_usd: NonNegativeFloat

    @model_validator(mode="after")
    def _power_fits(self, info: ValidationInfo) -> Self:
        days = [step.on for step in self.energized]
        problems = []
        today = (info.context or {}).get("today") or date.today()
        problems += [
            f"energized step on {far}"
            for step in self.energized
            if (far := _past_lead_ceiling(step.on, today))
        ]
        if self.contracted_energized and (
            far := _past_lead_ceiling(self.contracted_energized, today)
        ):
            problems.append(f"contracted_energized {far}")
        if any(later <= earlier for earlier, later in pairwise(days)):
            problems.append("energized steps must have increasing dates (`on`); sort them")
        if self.contracted_mw > 0 and self.contracted_energized is None:
            problems.append("contracted_mw needs contracted_energized (the day it is energized)")
        if self.contracted_mw == 0 and self.contracted_energized is not None:
            problems.append("contracted_energized is set but contracted_mw is 0; set both")
        # The most the site ever holds: a step down later does not lift an earlier step
        # above the ceiling back under it.
        most = max((step.mw for step in self.energized), default=0.0) + self.contracted_mw
        if self.ceiling_mw is not None and most > self.ceiling_mw + 1e-9:
            problems.append(
                f"energized plus contracted MW ({most:g}) is above ceiling_mw "
                f"({self.ceiling_mw:g}); raise the ceiling or lower the contract"
            )
        _refuse(problems)
        return self

    @property
    def secured_mw(self) -> float:
        """MW the site will have once every step and the contract are energized: the last
        step's level, not the highest (a step down is power given back: a site of 2.0 MW
        stepping down to 0.5 read 2.0 MW secured, and its blocks on the lost 1.5 MW read
        "contracted MW covers the need")."""
        last = self.energized[-1].mw if self.energized else 0.0
        return last + self.contracted_mw

    def step_downs(self) -> list[tuple[PowerStep, PowerStep]]:
        """(earlier, later) for each energized step whose level falls from the one before:
        power given back on the later step's date (a decommission, a lease ending)."""
        return [(a, b) for a, b in pairwise(self.energized) if b.mw < a.mw]

    def energized_mw_on(self, day: date) -> float:
        """MW energized on ``day``: the last step on or before it, plus the contract once live."""
        level = 0.0
        for step in self.energized:
            if step.on <= day:
                level = step.mw
        live = self.contracted_energized is not None and self.contracted_energized <= day
        return level + (self.contracted_mw if live else 0.0)


def _plausible_build_months(value: int) -> int:
    if value > MAX_POWER_LEAD_MONTHS:
        raise ValueError(
            f"months above the plausible ceiling of {MAX_POWER_LEAD_MONTHS} (ten years: a unit "
            "slip? build_months is in months, 18 to 36 typical)"
        )
    return value


class NewSite(_Strict):
    """A region's next site, not yet planned: how long one takes to build (the construction
    clock of DOMAIN.md "Four timelines"), what its MW cost and, optionally, how many MW one
    holds. Dates the construction trigger; the plan has no such site until one is declared
    as a [[site]]."""

    region: Name
    build_months: Annotated[int, Field(ge=1), AfterValidator(_plausible_build_months)]
    cost_per_mw_usd: PositiveFloat
    ceiling_mw: PositiveFloat | None = None


class GpuType(_Strict):
    """One GPU type's capacity in H100-equivalents and its generation rank (higher is newer)."""

    h100_equivalent: PositiveFloat
    generation: Annotated[int, Field(ge=1)] | None = None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _repeated_ids(label: str, table: str, ids: Sequence[str]) -> list[str]:
    """One line per id that more than one ``table`` entry holds, naming which entries by their
    place in the file: "appears twice" alone did not say which two to tell apart."""
    places: dict[str, list[int]] = {}
    for n, entry_id in enumerate(ids, start=1):
        places.setdefault(entry_id, []).append(n)
    lines = []
    for entry_id, at in places.items():
        if len(at) < 2:
            continue
        which = ", ".join(_ordinal(n) for n in at[:-1]) + f" and {_ordinal(at[-1])}"
        times = "twice" if len(at) == 2 else f"{len(at)} times"
        lines.append(
            f"{label} {entry_id!r} appears {times} (the {which} {table}); ids must be unique: "
            "rename one"
        )
    return lines


class CapacityPlan(_Strict):
    """The whole inventory: class policies, blocks and what can be ordered."""

    policy: dict[WorkloadClass, ClassPolicy]
    gpu_type: dict[str, GpuType] = Field(default_factory=dict)
    site: tuple[Site, ...] = ()
    new_site: tuple[NewSite, ...] = ()
    block: tuple[Block, ...] = ()
    candidate: tuple[CandidateBlock, ...] = ()
    response: Response | None = None

    @property
    def ladder(self) -> Response:
        """The response section, or an empty one (preemption and deferral only)."""
        return self.response if self.response is not None else Response()

    @model_validator(mode="before")
    @classmethod
    def _policy_defaults(cls, data: Any) -> Any:
        """Fill each policy's demand fields from its class default (see DEMAND_DEFAULTS)."""
        if not isinstance(data, dict) or not isinstance(data.get("policy"), dict):
            return data
        names = {c.value: c for c in WorkloadClass}
        policy: dict[object, object] = {}
        for key, value in data["policy"].items():
            workload_class = names.get(str(getattr(key, "value", key)))
            if workload_class is None:
                policy[key] = value  # field validation names the unknown class
            elif isinstance(value, ClassPolicy):
                policy[key] = value.for_class(workload_class)
            elif isinstance(value, dict):
                demand, max_wait, job = DEMAND_DEFAULTS[workload_class]
                failover, delay = FAILOVER_DEFAULTS[workload_class]
                policy[key] = {
                    "demand": demand, "max_wait_hours": max_wait, "mean_job_hours": job,
                    "failover": failover, "failover_delay_hours": delay, **value,
                }  # fmt: skip
            else:
                policy[key] = value
        return {**data, "policy": policy}

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # Every problem across entries, not the first alone: two blocks at undeclared sites
        # and a repeated id read one line, the next met one load at a time.
        problems = []
        missing = [c.value for c in WorkloadClass if c not in self.policy]
        if missing:
            problems.append(f"[policy.<class>] missing for: {', '.join(missing)}")
        problems += _repeated_ids("block id", "[[block]]", [b.id for b in self.block])
        names: set[str] = set()
        for candidate in self.candidate:
            if candidate.name in names:
                problems.append(
                    f"candidate name {candidate.name!r} appears twice; names must be unique"
                )
            names.add(candidate.name)
        problems += self._check_sites()
        problems += self._check_new_sites()
        problems += self._check_gpu_types()
        problems += self._check_candidate_regions()
        _refuse(problems)
        return self

    def _check_candidate_regions(self) -> list[str]:
        """A candidate's and the response ladder's ``regions`` name regions the plan has: a
        typo ("eu-wets") would leave the real region without that block type, or every region
        without the migrate, spares, burst and expedite rungs, silently."""
        planned = self.planned_regions
        entries = [(f"[[candidate]] {c.name!r}", c.regions) for c in self.candidate]
        if self.response is not None:
            entries.append(("[response]", self.response.regions))
        return [
            f"{label} field regions: {region!r} has no "
            f"[[block]] and no [[site]] in the plan (its regions: "
            f"{', '.join(sorted(planned)) or 'none'}); fix the name, or add the "
            "region's blocks or site"
            for label, regions in entries
            for region in regions
            if region not in planned
        ]

    def _check_sites(self) -> list[str]:
        """With [[site]] declared, every block sits at a declared site of its own region."""
        problems = _repeated_ids("[[site]] id", "[[site]]", [s.id for s in self.site])
        if not self.site:
            return problems
        sites = self.sites
        for block in self.block:
            site = sites.get(block.site)
            if site is None:
                problems.append(
                    f"[[block]] {block.id!r} field site: {block.site!r} is not a [[site]]; "
                    "declare it (a plan with [[site]] entries must declare every site)"
                )
            elif site.region != block.region:
                problems.append(
                    f"[[block]] {block.id!r} field site: {block.site!r} is in region "
                    f"{site.region!r}, not the block's region {block.region!r}"
                )
        return problems

    def _check_new_sites(self) -> list[str]:
        """A [[new_site]] extends a region whose [[site]] ceilings it follows, once per region:
        a typo'd region would leave the real one's construction date undeclared, silently."""
        problems = []
        sited = sorted({s.region for s in self.site})
        seen: set[str] = set()
        for declared in self.new_site:
            label = f"[[new_site]] {declared.region!r} field region"
            if declared.region in seen:
                problems.append(f"{label}: declared twice; one [[new_site]] per region")
            seen.add(declared.region)
            if declared.region not in sited:
                problems.append(
                    f"{label}: {declared.region!r} has no [[site]] in the plan (regions with "
                    f"sites: {', '.join(sited) or 'none'}); a new site follows the ceilings of "
                    "its region's sites: fix the name, or declare the region's sites"
                )
        return problems

    def _check_gpu_types(self) -> list[str]:
        """With a [gpu_type] table, it covers every type and ranks all or none by generation."""
        if not self.gpu_type:
            return []
        problems = []
        for kind, entries in (("block", self.block), ("candidate", self.candidate)):
            for entry in entries:
                label = entry.id if isinstance(entry, Block) else entry.name
                if entry.gpu_type not in self.gpu_type and entry.gpu_type != REFERENCE_GPU:
                    # "h200" beside [gpu_type.H200] was told to add an entry of its own.
                    known = sorted({*self.gpu_type, REFERENCE_GPU})
                    same = next((t for t in known if t.lower() == entry.gpu_type.lower()), None)
                    # "H1OO" (a letter O for a zero) was told to add an entry of its own too.
                    near = difflib.get_close_matches(entry.gpu_type, known, n=1, cutoff=0.5)
                    fix = (
                        f"[gpu_type.{same}] differs only in case: write {same!r}"
                        if same is not None
                        else f"did you mean {near[0]!r}? else add its h100_equivalent"
                        if near
                        else "add its h100_equivalent"
                    )
                    problems.append(
                        f"[[{kind}]] {label!r} field gpu_type: {entry.gpu_type!r} has no "
                        f"[gpu_type.{entry.gpu_type}] entry; {fix}"
                    )
                    continue
                # The GPU ceiling is on capacity: an h100_equivalent of 1e9 made a 1,792-GPU
                # block 1.8e12 H100-equivalents, past the ceiling its gpus field keeps.
                h100e = entry.gpus * self.h100_equivalent(entry.gpu_type)
                if h100e > MAX_GPUS_PER_ROW:
                    problems.append(
                        f"[[{kind}]] {label!r}: {entry.gpus:,} {entry.gpu_type} GPUs are "
                        f"{h100e:,.0f} H100-equivalents, above the plausible ceiling of "
                        f"{MAX_GPUS_PER_ROW:,}; fix [gpu_type.{entry.gpu_type}] "
                        "h100_equivalent (one GPU's capacity in H100s, e.g. 2.5)"
                    )
        ranked = [name for name, t in self.gpu_type.items() if t.generation is not None]
        if ranked and len(ranked) != len(self.gpu_type):
            unranked = sorted(set(self.gpu_type) - set(ranked))
            problems.append(
                f"[gpu_type] generation is set for {sorted(ranked)} but not for {unranked}; "
                "give every type a generation or none"
            )
        # H100 may be left out of the table (it is the unit, 1.0), but a type the plan's
        # blocks or candidates use is a type to rank: left out of a ranked table it read
        # generation 0, older than A100, and the triggers took every other type for newer.
        used = {e.gpu_type for e in [*self.block, *self.candidate]}
        if ranked and REFERENCE_GPU not in self.gpu_type and REFERENCE_GPU in used:
            problems.append(
                f"[gpu_type] field generation: set for {sorted(ranked)} but {REFERENCE_GPU}, "
                "the reference type its blocks and candidates use, has no entry, so it ranks "
                "as generation 0, older than every type; give every type a generation or "
                f"none: give [gpu_type.{REFERENCE_GPU}] a generation (with h100_equivalent = "
                "1.0)"
            )
        return problems

    @property
    def sites(self) -> dict[str, Site]:
        """Declared sites by id (empty when the plan has no [[site]])."""
        return {s.id: s for s in self.site}

    @property
    def new_sites(self) -> dict[str, NewSite]:
        """Declared [[new_site]] entries by region (empty when the plan has none)."""
        return {s.region: s for s in self.new_site}

    def overdrawn_sites(self, day: date) -> list[str]:
        """One line per declared site whose blocks in service on ``day`` draw more MW than it
        has energized then: no block serves without power, so the plan misstates one of them
        (a site declared without its energized steps loaded silently, and only the facilities
        page read it red)."""
        lines = []
        for site in self.site:
            drawn = sum(b.mw for b in self.block if b.site == site.id and b.in_service_on(day))
            energized = site.energized_mw_on(day)
            if drawn > energized + 1e-9:
                lines.append(
                    f"[[site]] {site.id!r}: its blocks in service on {day} draw {drawn:,.1f} MW, "
                    f"but {energized:,.1f} MW is energized there; add the energized steps that "
                    "power them, or fix the blocks' site"
                )
        return lines

    def dark_blocks(self, site: str, day: date) -> list[Block]:
        """The blocks at ``site`` in service on ``day`` that its energized MW cannot power.

        Blocks are powered in order of H100-equivalents per MW, most first (among equals the
        earlier in service, then the id), each while its MW fits in what is left; the rest
        stand dark: on power given back an operator keeps the most capacity the MW can run.
        Empty at a site the plan does not declare (no power is checked there).
        """
        declared = self.sites.get(site)
        if declared is None:
            return []
        standing = [b for b in self.block if b.site == site and b.in_service_on(day)]
        left = declared.energized_mw_on(day)
        if sum(b.mw for b in standing) <= left + 1e-9:
            return []
        dark = []
        for block in sorted(standing, key=self._power_rank):
            if block.mw <= left + 1e-9:
                left -= block.mw
            else:
                dark.append(block)
        return dark

    def _dark_from(self, site: str, day: date, *, before: frozenset[str] = frozenset()) -> str:
        """The blocks the triggers count as dark at ``site`` from ``day``, for a warning; those
        in ``before`` (ids dark the day before) said apart, as dark already."""
        dark = self.dark_blocks(site, day)
        new = [b for b in dark if b.id not in before]
        old = [b for b in dark if b.id in before]
        said = (
            f"the triggers count {_named_blocks(new)} as dark from that day, the blocks of "
            "fewest H100-equivalents per MW first"
            if new
            else "it darkens no block the site powered the day before"
        )
        if old:
            # A committed pod at a site with no MW energized read "count eu-west-pod-01 and
            # 10 more as dark from 2027-01-30", blocks the triggers count dark from today.
            said += f"; {_named_blocks(old)} dark already the day before, without it"
        return said

    def _power_rank(self, block: Block) -> tuple[float, date, str]:
        """Sort key: the block a site powers first (see :meth:`dark_blocks`)."""
        per_mw = block.gpus * self.h100_equivalent(block.gpu_type) / block.mw
        return (-per_mw, block.in_service or date.min, block.id)

    def mw_drawn(self, site: str, day: date) -> float:
        """MW of the plan's blocks at ``site`` in service on ``day``."""
        return sum(b.mw for b in self.block if b.site == site and b.in_service_on(day))

    def dedicated_customers(self) -> list[tuple[str, str]]:
        """(workload_class, customer) for every class a dedicated block may run: they keep
        their own series (a dedicated customer folded into ``other`` for being small in a
        class was served from the shared pools while its own block stood idle)."""
        pairs = {
            (c.value, b.dedicated_customer)
            for b in self.block
            if b.dedicated_customer is not None
            for c in WorkloadClass
            if b.allows(c)
        }
        return sorted(pairs)

    def dark_committed_blocks(self) -> list[str]:
        """One line per committed block whose site lacks the MW for it on its in-service day
        (energized or contracted and energized by then): the triggers and drills count it from
        that day, while it would stand dark (a committed pod at a site short of power moved an
        exhaustion four months later and dropped an order)."""
        sites = self.sites
        per_site: dict[str, list[tuple[Block, str]]] = {}
        for b in self.block:
            site = sites.get(b.site)
            if b.status is not BlockStatus.COMMITTED or b.in_service is None or site is None:
                continue
            day = b.in_service
            drawn = self.mw_drawn(site.id, day)
            energized = site.energized_mw_on(day)
            if drawn > energized + 1e-9:
                yesterday = day - timedelta(days=1)
                before = frozenset(x.id for x in self.dark_blocks(site.id, yesterday))
                per_site.setdefault(site.id, []).append(
                    (
                        b,
                        f"[[block]] {b.id!r}: committed for {day} at {site.id}, which has "
                        f"{energized:,.1f} MW energized then for {drawn:,.1f} MW of blocks in "
                        f"service: {self._dark_from(site.id, day, before=before)}; bring the "
                        "site's power forward or move the block's in_service",
                    )
                )
        lines = []
        for site_id, found in per_site.items():
            if len(found) <= _DARK_NAMED_PER_SITE:
                lines += [line for _, line in found]
                continue
            # One line per block flooded the terminal: a plan whose sites' power was cut to
            # 0.5 MW printed 29 warnings, each naming the same site short of power again.
            blocks = [b for b, _ in found]
            last = max(b.in_service or date.min for b in blocks)
            first = min(b.in_service or date.max for b in blocks)
            dark = self.dark_blocks(site_id, last)
            lines.append(
                f"[[site]] {site_id!r}: {len(blocks)} committed blocks, {_named_blocks(blocks)}, "
                f"come into service from {first} to {last} without the MW energized for them "
                f"({sites[site_id].energized_mw_on(last):,.1f} MW energized on {last} for "
                f"{self.mw_drawn(site_id, last):,.1f} MW of blocks in service): by {last} the "
                f"triggers count {_named_blocks(dark)} as dark, the blocks of fewest "
                "H100-equivalents per MW first; bring the site's power forward or move the "
                "blocks' in_service"
            )
        return lines

    def doubtful_entries(self) -> list[str]:
        """One line per entry that loads but most likely misstates the plan: a block retiring
        more than ``contracts.FAR_AHEAD_YEARS`` after today (a year typo, as the book warns of
        one), a candidate of no capex (it wins every order choice as free), a class of no price
        (the drills count its unmet GPU-hours at $0), a site of no cost
        per MW (its power to contract read $0), and a site whose energized MW fall from one
        step to the next (steps are levels, so a step written as an increment reads as
        power given back), with the MW of its blocks left short where they draw more; and a
        site whose contract is energized before its first step (the contract is added to each
        step, itself the whole site's MW: a contract the steps hold is counted twice); and a
        site whose region is one slip from a region with blocks (:func:`_misspelt_site_regions`);
        and GPU types of one generation that can be ordered in one region
        (:func:`_shared_generations`)."""
        # The contract book's rule for a date far ahead (contracts.far_ahead): warned, not
        # refused, since a long lease is a plan's own; retire = 2077-02-05 for 2027 kept a
        # block serving for fifty years more without a word, hiding its region's shortfall.
        from forecasting.contracts import FAR_AHEAD_YEARS

        today = date.today()
        # 02-29 has no day in most years; the 28th is as far ahead to a day (as the book's).
        limit = date(today.year + FAR_AHEAD_YEARS, today.month, min(today.day, 28))
        lines = [
            f"[[block]] {b.id!r} field retire: {b.retire} is {b.retire.year - today.year} years "
            f"after today ({today}): a year typo? the block serves until then; check the year"
            for b in self.block
            if b.retire is not None and b.retire > limit
        ]
        lines += [
            f"[[candidate]] {c.name!r} field capex_usd: 0, so the triggers order it as free "
            "over every other block type; give its capital cost"
            for c in self.candidate
            if c.capex_usd == 0
        ]
        # An unpriced class's unmet GPU-hours count $0 in every drill's revenue at risk: a
        # drill read "$0 -> $0" for a class it left short, as if measured.
        lines += [
            f"[policy.{c}] field price_per_gpu_hour: 0 (or left out), so the drills count its "
            "unmet GPU-hours at $0 and their revenue at risk leaves them out (not priced); give "
            "the price its GPU-hours earn"
            for c, p in self.policy.items()
            if p.price_per_gpu_hour == 0
        ]
        # Power at a site of no cost per MW is priced at $0 by the power triggers: free power
        # on the facilities page, beside a what-if that leaves it out as not priced.
        lines += [
            f"[[site]] {site.id!r} field cost_per_mw_usd: 0, so the power to contract there is "
            "not priced (the pages and the what-if leave it out of every cost); give its cost "
            "per MW"
            for site in self.site
            if site.cost_per_mw_usd == 0
        ]
        for site in self.site:
            for earlier, later in site.step_downs():
                line = (
                    f"[[site]] {site.id!r} field energized: {earlier.mw:g} MW from "
                    f"{earlier.on}, then {later.mw:g} MW from {later.on}: the MW fall, read as "
                    "power given back that day (a decommission, a lease ending); if the steps "
                    "are increments, write each as the level energized from its date"
                )
                # Blocks still in service on power given back would stand dark: a shortfall.
                day = later.on
                drawn, kept = self.mw_drawn(site.id, day), site.energized_mw_on(day)
                if drawn > kept + 1e-9:
                    line += (
                        f"; its blocks in service on {day} draw {drawn:,.1f} MW, "
                        f"{drawn - kept:,.1f} MW more than it keeps: a power shortfall from "
                        f"that day (see the site's power trigger); {self._dark_from(site.id, day)}"
                    )
                lines.append(line)
        lines += [note for site in self.site if (note := _contract_before_steps(site))]
        lines += _misspelt_site_regions(self)
        lines += _shared_generations(self)
        return lines

    def h100_equivalent(self, gpu_type: str) -> float:
        """Capacity of one GPU of ``gpu_type`` in H100-equivalents (1 without a [gpu_type])."""
        entry = self.gpu_type.get(gpu_type)
        return 1.0 if entry is None else entry.h100_equivalent

    def generation(self, gpu_type: str) -> float:
        """Generation rank of ``gpu_type``, higher is newer (0 for every type without a table)."""
        if not self.gpu_type:
            return 0.0
        entry = self.gpu_type.get(gpu_type)
        if entry is None:  # the reference type, left out of the table
            entry = GpuType(h100_equivalent=1.0)
        if any(t.generation is not None for t in self.gpu_type.values()):
            return float(entry.generation or 0)
        return entry.h100_equivalent

    @property
    def regions(self) -> tuple[str, ...]:
        """Regions that have at least one block, sorted."""
        return tuple(sorted({b.region for b in self.block}))

    @property
    def planned_regions(self) -> frozenset[str]:
        """Regions the plan knows: those with a block or a site."""
        return frozenset({b.region for b in self.block} | {s.region for s in self.site})


def _shared_generations(plan: CapacityPlan) -> list[str]:
    """One line per set of GPU types of one rank that can be ordered in the same regions: one
    ``generation``, or, where no type declares one, one ``h100_equivalent`` (the rank then).
    There the triggers, which take the newest generation in time and then the cheapest order,
    cannot tell which is newer, and never bridge from one to the other.

    Types of one generation are legitimate (two variants of one chip), and a shared
    generation decides nothing where the types never compete for an order: a type no
    candidate is of, or candidates that cannot be ordered in one region. Only the rest is
    named: which one is newest there was the plan's to say (H200 given GB200's generation
    loaded without a word, as H200 written at H100's h100_equivalent with no generation)."""
    if not plan.gpu_type:
        return []  # every GPU is one unit and the triggers choose on cost alone
    declared = any(t.generation is not None for t in plan.gpu_type.values())
    regions = set(plan.planned_regions) | {r for c in plan.candidate for r in c.regions}
    shared: dict[tuple[float, tuple[str, ...]], list[str]] = {}
    for region in sorted(regions):
        by_rank: dict[float, set[str]] = {}
        for candidate in plan.candidate:
            if candidate.available_in(region):
                # plan.generation is the rank the triggers order by, either way.
                rank = plan.generation(candidate.gpu_type)
                by_rank.setdefault(rank, set()).add(candidate.gpu_type)
        for rank, alike in by_rank.items():
            if len(alike) > 1:
                shared.setdefault((rank, tuple(sorted(alike))), []).append(region)
    lines = []
    for (rank, types), where in sorted(shared.items()):
        entries = [f"[gpu_type.{name}]" for name in types]
        named = f"{', '.join(entries[:-1])} and {entries[-1]}"
        every, these, neither = (
            ("both", "these two", "neither") if len(types) == 2 else ("all", "these", "none")
        )
        field, how, fix = (
            (
                "generation",
                "the triggers order the newest generation",
                "give it a higher generation",
            )
            if declared
            else (
                "h100_equivalent",
                "without generations types rank by h100_equivalent, and the triggers order the "
                "newest",
                "give every type a generation",
            )
        )
        value = f"{every} {rank:g}" + ("" if declared else " and no generation is declared")
        lines.append(
            f"{named} field {field}: {value}, and {every} can be ordered in "
            f"{', '.join(where)}, so {neither} counts as newer there: {how} that can arrive in "
            f"time, then the cheapest order, so between {these} the cheaper wins whichever is "
            f"newer, and no order bridges from one to the other; if one is newer, {fix} (types "
            "of one generation may share it)"
        )
    return lines


def _misspelt_site_regions(plan: CapacityPlan) -> list[str]:
    """A line per site whose region has no block but is a close spelling of a region that has
    them ('us-eastt' beside 'us-east'): its MW powered no block and none of that region's
    orders, which waited on power it did not count, without a word. A site in a new region
    (no close name) is a greenfield site, blocks to come, and says nothing."""
    with_blocks = sorted({b.region for b in plan.block})
    lines = []
    for site in plan.site:
        if site.region in with_blocks:
            continue
        near = [r for r in with_blocks if _one_slip(site.region, r)]
        if near:
            lines.append(
                f"[[site]] {site.id!r} field region: {site.region!r} has no [[block]], and is "
                f"close to {near[-1]!r}, which has: the site's MW power none of the blocks or "
                f"orders of {near[-1]!r}; fix the region (a site in a new region whose blocks are "
                "still to come: ignore this)"
            )
    return lines


def _one_slip(typed: str, name: str) -> bool:
    """Whether ``typed`` is ``name`` but for case, '_' or ' ' for '-', one letter more or
    less, or two neighbours swapped. Not a letter for another: region names differ so
    ('eu-west' and 'us-west' are two regions; difflib's 0.8 took 'us-west' for 'us-east')."""

    def norm(text: str) -> str:
        return text.casefold().replace("_", "-").replace(" ", "-")

    a, b = norm(typed), norm(name)
    if a == b:
        return True
    if abs(len(a) - len(b)) == 1:
        short, long = sorted((a, b), key=len)
        return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and (a[diff[1]] == b[diff[0]])
        )
    return False


def _contract_before_steps(site: Site) -> str | None:
    """The warning on a site whose contract is energized before its first energized step, or
    None. Each step is the whole site's MW from its date, yet the contract's MW are read from
    its day with nothing energized and added to every step: a contract the steps already hold
    is counted twice. Not refused: a site can take its utility power before its own steps
    (a contract between steps is a plan's own: synth writes them, power is given back under
    one), and then the sum is right."""
    day, first = site.contracted_energized, site.energized[0] if site.energized else None
    if day is None or first is None or day >= first.on or site.contracted_mw == 0:
        return None
    mw = site.contracted_mw
    steps = ", ".join(f"{step.mw + mw:g} MW from {step.on}" for step in site.energized)
    return (
        f"[[site]] {site.id!r} field contracted_energized: {day}, before its first energized "
        f"step ({first.mw:g} MW from {first.on}), so its {mw:g} MW are read from that day with "
        f"nothing energized, and added to each step ({steps}), where each step is the whole "
        "site's MW from its date; if the steps hold the contract, drop the contract "
        "(contracted_mw = 0), else check the dates"
    )


# Committed blocks a site cannot power named one line each; more are said in one line.
_DARK_NAMED_PER_SITE = 3


def _named_blocks(blocks: Sequence[Block]) -> str:
    """'a, b, c and 2 more (5,120 GPUs)': up to three blocks by id, and their GPUs."""
    named = ", ".join(b.id for b in blocks[:3]) + (
        f" and {len(blocks) - 3} more" if len(blocks) > 3 else ""
    )
    return f"{named} ({sum(b.gpus for b in blocks):,} GPUs)"


def unplanned_regions(plan: CapacityPlan, regions: Iterable[str]) -> list[str]:
    """The ``regions`` (of the telemetry) the plan has no block or site for, sorted. Their
    demand meets zero capacity: every order the triggers give there is a guess."""
    return sorted(set(regions) - plan.planned_regions)


def unforecast_regions(plan: CapacityPlan, regions: Iterable[str]) -> list[str]:
    """The plan's regions with a block but none of the ``regions`` of the telemetry, sorted.
    No trigger judges them: a region whose feed never arrived read in no table at all, its
    absence easy to take for a green."""
    return sorted({b.region for b in plan.block} - set(regions))


# What a region of the plan without telemetry reads where a status would stand (its pools,
# its sites' power, a deal weighed there): no order is judged there, so not green either.
NOT_JUDGED = "not judged"


def not_judged_in(regions: Sequence[str]) -> str:
    """``not judged: no telemetry in eu-west``: the status and the reason, as `report`, the
    pages and a what-if say it for regions of the plan the telemetry lacks."""
    return f"{NOT_JUDGED}: no telemetry in {', '.join(regions)}"


def unforecast_region_warning(region: str, *, plan: str) -> str:
    """The one line a command prints for a region of ``plan`` the telemetry lacks."""
    return (
        f"warning: region {region!r} has [[block]]s in {plan} but no telemetry: no trigger or "
        f"order is judged there (not green: {NOT_JUDGED}); ingest its telemetry, or fix the "
        "region's name in the plan"
    )


def unknown_gpu_type_warning(gpu_type: str, *, rows: int, regions: Sequence[str], plan: str) -> str:
    """The one line a command prints for a ``gpu_type`` of the telemetry (in ``rows`` rows of
    ``regions``) that the [gpu_type] table of ``plan`` lacks. Telemetry's type converts
    nothing, so the figures stand; a typo'd type was loaded without a word."""
    counted = "1 row" if rows == 1 else f"{rows:,} rows"
    return (
        f"warning: gpu_type {gpu_type!r} has telemetry ({counted}, in {', '.join(regions)}) but "
        f"no [gpu_type.{gpu_type}] in {plan}: a row's gpu_type converts nothing (a region's "
        "demand counts in H100-equivalents by its blocks' mix), so no figure changes; fix the "
        "type's name in the telemetry, or add it to [gpu_type]"
    )


def unplanned_region_warning(region: str, *, plan: str) -> str:
    """The one line a command prints for a region of the telemetry that ``plan`` lacks."""
    return (
        f"warning: region {region!r} has telemetry but no [[block]] or [[site]] in {plan}: its "
        "triggers read zero capacity and order for all its demand; add the region to the plan, "
        "or fix the region's name in the telemetry"
    )


def stray_dedicated_blocks(
    plan: CapacityPlan, customers: Mapping[str, Iterable[str]], *, as_of: date | None = None
) -> list[Block]:
    """The plan's blocks dedicated to a customer with no telemetry in their region
    (``customers``: each region's telemetry customers): they serve nobody in the forecast,
    the triggers and the drills. A block retired on or before ``as_of`` is left out: out of
    service, it serves nobody anyway (Helios listed earth-vcXrB-01, retired 2020-04-07)."""
    return [
        b
        for b in plan.block
        if b.dedicated_customer is not None
        and b.dedicated_customer not in set(customers.get(b.region, ()))
        and (as_of is None or b.retire is None or b.retire > as_of)
    ]


def stray_dedicated_warnings(
    plan: CapacityPlan,
    customers: Mapping[str, Iterable[str]],
    *,
    plan_path: str,
    as_of: date | None = None,
) -> list[str]:
    """Warning lines for the blocks dedicated to a customer with no telemetry in its region
    (``customers``: each region's telemetry customers), with the nearest name when one is
    close: a case typo ("Northwind-AI") left 3,584 GPUs serving nobody and moved the drills'
    baseline by 3.2 M unmet GPU-hours, without a word. Worded as the plan's other doubtful
    entries are: its path first, then the entry and field.

    More than ``_STRAYS_NAMED`` such blocks of a region with no near name read as one line
    (the Helios plan against a slice of three VCs printed 21 lines, one per block); a block
    whose name is a typo away from a telemetry customer keeps its own line and hint."""
    lines = []
    plain: dict[str, list[Block]] = {}
    for b in stray_dedicated_blocks(plan, customers, as_of=as_of):
        assert b.dedicated_customer is not None  # a stray block is a dedicated one
        known = sorted(set(customers.get(b.region, ())))
        by_lower = {k.lower(): k for k in known}
        # 0.8, not difflib's 0.6: a typo, not a shared prefix ('vc4om' is not 'vcSoL').
        near = difflib.get_close_matches(
            b.dedicated_customer.lower(), list(by_lower), n=1, cutoff=0.8
        )
        if not near:
            plain.setdefault(b.region, []).append(b)
            continue
        lines.append(
            _stray_line(b, plan_path=plan_path, hint=f" (did you mean {by_lower[near[0]]!r}?)")
        )
    for region, blocks in plain.items():
        if len(blocks) <= _STRAYS_NAMED:
            lines += [_stray_line(b, plan_path=plan_path, hint="") for b in blocks]
            continue
        of: dict[str, list[Block]] = {}
        for b in blocks:
            assert b.dedicated_customer is not None
            of.setdefault(b.dedicated_customer, []).append(b)
        # GPUs in service at once, not summed over blocks: a VC's quota cut and raised again
        # is blocks one after another (Helios' vc3sl: 64 retiring as 48 arrive).
        gpus = {c: most_in_service(bs, as_of=as_of) for c, bs in of.items()}
        largest = sorted(gpus, key=lambda c: (-gpus[c], c))
        named = ", ".join(f"{c!r} ({gpus[c]:,} GPUs)" for c in largest[:_STRAYS_NAMED])
        more = f" and {len(largest) - _STRAYS_NAMED} more" if len(largest) > _STRAYS_NAMED else ""
        lines.append(
            f"warning: {plan_path}: {len(blocks)} [[block]]s (field dedicated_customer) of "
            f"{len(gpus)} customers with no telemetry in {region}: {named}{more}: their "
            f"{gpus_in_blocks(blocks, as_of=as_of)} serve nobody in the forecast, the triggers "
            f"and the drills; {_STRAYS_FIX} (`fleetcast capacity` lists the blocks)"
        )
    return lines


def gpus_in_blocks(blocks: Sequence[Block], *, as_of: date | None) -> str:
    """``808 GPUs, up to 640 in service at once``: the blocks' GPUs, and the most on one day
    where blocks follow one another (said by the warning and the pages alike)."""
    total = sum(b.gpus for b in blocks)
    most = most_in_service(blocks, as_of=as_of)
    return f"{total:,} GPUs" + (f", up to {most:,} in service at once" if most < total else "")


def most_in_service(blocks: Sequence[Block], *, as_of: date | None) -> int:
    """The most GPUs of ``blocks`` in service on one day from ``as_of`` on (any day where
    ``as_of`` is None): a block's count holds from its in-service day to its retirement."""
    start = as_of or date.min
    days = {max(b.in_service or start, start) for b in blocks}
    return max((sum(b.gpus for b in blocks if b.in_service_on(day)) for day in days), default=0)


# Blocks dedicated to customers without telemetry named one line each in a region; past it,
# one line for them all (stray_dedicated_warnings).
_STRAYS_NAMED = 4
# What a reader does about a block that serves nobody.
_STRAY_FIX = "ingest the customer's telemetry, or fix dedicated_customer in the plan"
_STRAYS_FIX = "ingest those customers' telemetry, or fix dedicated_customer in the plan"


def _stray_line(block: Block, *, plan_path: str, hint: str) -> str:
    """The warning line of one block dedicated to a customer with no telemetry."""
    return (
        f"warning: {plan_path}: [[block]] {block.id!r} field dedicated_customer: "
        f"{block.dedicated_customer!r} has no telemetry in {block.region}{hint}: its "
        f"{block.gpus:,} GPUs serve nobody in the forecast, the triggers and the drills; "
        f"{_STRAY_FIX}"
    )


def _location(plan: dict[str, object], loc: tuple[int | str, ...]) -> str:
    """A human path to the entry at fault: ``[[block]] 'eu-pod-3' field mw``."""
    if not loc:
        return "plan"  # a rule across entries; the entry at fault is named in the message
    head, *rest = loc
    if head in _ENTRY_TABLES and rest and isinstance(rest[0], int):
        entries = plan.get(str(head))
        index = rest[0]
        label = f"#{index + 1}"
        if isinstance(entries, list) and index < len(entries) and isinstance(entries[index], dict):
            ident = entries[index].get(_ENTRY_NAME.get(str(head), "id"))
            if ident is not None:
                label = repr(ident)
        field = ".".join(str(p) for p in rest[1:])
        return f"[[{head}]] {label}" + (f" field {field}" if field else "")
    return ".".join(str(p) for p in loc)


# The arrays of tables whose entries an error names, and the field that names an entry where
# it is not ``id`` (one new site per region: its region names it).
_ENTRY_TABLES = ("block", "candidate", "site", "new_site")
_ENTRY_NAME = {"candidate": "name", "new_site": "region"}

# The model of each table a field can sit in, by the table's key in the plan.
_ENTRY_MODELS: dict[str, type[BaseModel]] = {
    "block": Block,
    "candidate": CandidateBlock,
    "site": Site,
    "new_site": NewSite,
    "policy": ClassPolicy,
    "gpu_type": GpuType,
    "response": Response,
    "energized": PowerStep,
    "migrate": MigrateRung,
    "spares": SparesRung,
    "burst": BurstRung,
    "expedite": ExpediteRung,
}


def parse_capacity(
    text: str, *, source: str = "capacity.toml", today: date | None = None
) -> CapacityPlan:
    """Parse and validate capacity TOML text; errors name ``source``, the entry and field.

    ``today`` (default: the clock's) is the day a live block must be in service by."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CapacityError(f"{source}: not valid TOML: {exc}") from exc
    if not raw:
        # An empty file (or comments alone) read "policy: Field required", as if one table
        # of a written plan were missing.
        raise CapacityError(
            f"{source}: the plan holds no tables (an empty file?): a capacity plan needs "
            "[policy.<class>] for each workload class and its [[block]] entries; `fleetcast "
            "capacity --sample` shows one to start from"
        )
    try:
        return CapacityPlan.model_validate(raw, context={"today": today or date.today()})
    except ValidationError as exc:
        errors = exc.errors()
        # A misspelt field is said once, as the typo with the field it was meant to be: the
        # intended field's "Field required" beside it doubled every such entry's lines.
        meant = {
            (tuple(err["loc"][:-1]), _meant_field(tuple(err["loc"])))
            for err in errors
            if err["type"] == "extra_forbidden"
        }
        problems = _grouped(
            [
                (
                    tuple(err["loc"]),
                    _unknown_field(tuple(err["loc"]))
                    if err["type"] == "extra_forbidden"
                    else f"{rule}{_what_it_is(err)}{_how_to_write(err)}",
                )
                for err in errors
                if not (
                    err["type"] == "missing"
                    and (tuple(err["loc"][:-1]), str(err["loc"][-1])) in meant
                )
                # A validator's several problems, one line each (_refuse).
                for rule in rule_text(err).split(_PROBLEMS_APART)
            ],
            raw,
        )
        raise CapacityError(f"{source}: invalid capacity plan\n" + "\n".join(problems)) from exc


# Entries breaking one rule in one field are listed by this many names, then counted.
_NAMED = 3


def _grouped(errors: list[tuple[tuple[int | str, ...], str]], raw: dict[str, object]) -> list[str]:
    """One line per problem; the entries of a table breaking the same rule in the same field
    share one line, naming the first few and counting the rest (a plan whose 124 blocks lacked
    a site read 124 identical lines)."""
    groups: dict[tuple[object, ...], list[tuple[int | str, ...]]] = {}
    for loc, message in errors:
        entry = len(loc) >= 2 and loc[0] in _ENTRY_TABLES and isinstance(loc[1], int)
        key: tuple[object, ...] = (loc[0], loc[2:], message) if entry else (loc, message)
        groups.setdefault(key, []).append(loc)
    lines = []
    for group, locs in groups.items():
        message = str(group[-1])
        if len(locs) <= _NAMED:
            lines += [f"  {_location(raw, loc)}: {message}" for loc in locs]
            continue
        head, field = locs[0][0], ".".join(str(p) for p in locs[0][2:])
        names = [_location(raw, loc[:2]).removeprefix(f"[[{head}]] ") for loc in locs]
        listed = (
            f"{', '.join(names[:_NAMED])} and {len(names) - _NAMED:,} more ({len(names):,} in all)"
        )
        lines.append(
            f"  [[{head}]] {listed}" + (f" field {field}" if field else "") + f": {message}"
        )
    return lines


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """The fields (and aliases) of the table an error's ``loc`` is in."""
    named = [p for p in loc if isinstance(p, str)]
    model: type[BaseModel] = CapacityPlan
    for part in named[:-1]:  # a part that names no table is a key (a class, a GPU type)
        model = _ENTRY_MODELS.get(part, model)
    return sorted(
        {name for key, info in model.model_fields.items() for name in (key, info.alias) if name}
    )


def _meant_field(loc: tuple[int | str, ...]) -> str | None:
    """The field a misspelt one at ``loc`` was likely meant to be (None: none is near): one
    that differs only in case or separators first ("GPUs" is gpus, which difflib's ratio
    missed), then the closest spelling."""
    return meant_field(str(loc[-1]), _fields_at(loc))


def _unknown_field(loc: tuple[int | str, ...]) -> str:
    """A field the entry does not have, and the one it was likely meant to be: "Extra inputs
    are not permitted (got datetime.date(2025, 10, 12))" did not say that ``in_servce`` was
    ``in_service`` misspelt, and a misspelt table dumped its whole content."""
    meant = _meant_field(loc)
    hint = f"did you mean {meant!r}?" if meant else f"its fields: {', '.join(_fields_at(loc))}"
    return f"not a field this table has; {hint}"


# How a site's power that arrives in steps is written: a contract is one figure per site.
_STEPPED_POWER = (
    "one utility contract per site: contracted_mw is its MW (a number) and "
    "contracted_energized the day they are energized; MW that arrive in steps are written as "
    "energized levels, energized = [{ on = <date>, mw = <the site's MW from then> }, ...], each "
    "step the whole site's MW from its date"
)


def _how_to_write(error: Mapping[str, Any]) -> str:
    """For a contract given as steps, how to write power that arrives in steps (a contract
    in tranches was refused with no word of the energized steps that hold one)."""
    loc = error["loc"]
    stepped = isinstance(error.get("input"), list | tuple | Mapping)
    return f": {_STEPPED_POWER}" if loc and loc[-1] == "contracted_mw" and stepped else ""


def _what_it_is(error: Mapping[str, Any]) -> str:
    """For a required field left out, what it holds, where the model describes it: "Field
    required" alone did not say what a block's ``site`` is in a plan without sites."""
    if error["type"] != "missing" or not error["loc"]:
        return ""
    described = Block.model_fields.get(str(error["loc"][-1]))
    return f" ({described.description})" if described and described.description else ""


def _toml_ready(value: object) -> object:
    """``value`` in types TOML has: enums as their text, tuples as arrays, keys as strings."""
    if isinstance(value, Mapping):
        return {str(k): _toml_ready(v) for k, v in value.items() if not _absent(v)}
    if isinstance(value, tuple | list):
        return [_toml_ready(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def _absent(value: object) -> bool:
    # TOML has no null, and an empty list means the same as leaving the field out.
    return value is None or value == () or value == []


# The order people read an entry in: what it is, where, how big, when; then the rest.
_ENTRY_ORDER = (
    "id",
    "name",
    "kind",
    "region",
    "site",
    "gpu_type",
    "gpus",
    "mw",
    "status",
    "in_service",
    "retire",
    "lead_time_weeks",
    "capex_usd",
)


def _entry(model: BaseModel) -> dict[str, object]:
    """A block's or candidate's fields in :data:`_ENTRY_ORDER`, then the rest as declared."""
    fields = model.model_dump()
    first = {k: fields.pop(k) for k in _ENTRY_ORDER if k in fields}
    return first | fields


def dump_plan(plan: CapacityPlan, *, header: str = "") -> str:
    """capacity.toml text for ``plan``: ``load`` of this text gives ``plan`` back.

    ``header`` becomes comment lines at the top (say who generated the file and from what).
    Policies come first in priority order, then the GPU-type table, sites and new sites when
    the plan has them, blocks, candidate block types and the response ladder.
    """
    document: dict[str, object] = {
        "policy": {
            cls.value: policy.model_dump()
            for cls, policy in sorted(plan.policy.items(), key=lambda item: item[1].priority)
        },
    }
    if plan.gpu_type:
        document["gpu_type"] = {name: t.model_dump() for name, t in plan.gpu_type.items()}
    if plan.site:
        document["site"] = [_entry(s) for s in plan.site]
    if plan.new_site:
        document["new_site"] = [_entry(s) for s in plan.new_site]
    document["block"] = [_entry(b) for b in plan.block]
    document["candidate"] = [_entry(c) for c in plan.candidate]
    if plan.response is not None:
        document["response"] = plan.response.model_dump()
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    body = tomli_w.dumps(cast(dict[str, Any], _toml_ready(document)))
    return comments + ("\n" if comments else "") + body


def load_capacity(path: Path) -> CapacityPlan:
    """Read and validate a capacity.toml file."""
    if path.is_dir():
        raise CapacityError(
            f"{path}: a folder, not a capacity plan. Pass --capacity the plan's .toml file "
            "(or set FLEETCAST_CAPACITY)"
        )
    try:
        # utf-8-sig: an editor's BOM read as "Invalid statement (at line 1, column 1)".
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise CapacityError(
            f"{path}: no capacity plan here. Pass --capacity PATH (or set FLEETCAST_CAPACITY); "
            "`fleetcast demo` keeps its fleet's plan in data/demo/capacity.toml, "
            "`fleetcast synth` writes one, `fleetcast capacity --sample` shows the sample"
        ) from exc
    except UnicodeDecodeError as exc:
        why = text_misnamed(path) or f"not UTF-8 text ({exc})"
        raise CapacityError(f"{path}: {why}") from exc
    except OSError as exc:  # unreadable: permissions, a broken link
        raise CapacityError(f"{path}: cannot read the capacity plan ({exc.strerror})") from exc
    return parse_capacity(text, source=str(path))


# --- timelines: which GPUs are in service on which day --------------------------------------------

ALL_CLASSES = "all"

BLOCK_TIMELINE_SCHEMA = pl.Schema(
    {
        "ds": pl.Date,
        "block_id": pl.String,
        "region": pl.String,
        "site": pl.String,
        "kind": pl.String,
        "gpus": pl.Int64,
        "h100e": pl.Float64,
        "mw": pl.Float64,
        "fabric": pl.Boolean,
        "dedicated_customer": pl.String,
    }
)

CAPACITY_TIMELINE_SCHEMA = pl.Schema(
    {
        "ds": pl.Date,
        "region": pl.String,
        "workload_class": pl.String,
        "gpus": pl.Int64,
        "dedicated_gpus": pl.Int64,
        "mw": pl.Float64,
    }
)


def _blocks_frame(plan: CapacityPlan) -> pl.DataFrame:
    """One row per block with its service window (retire is the first day out of service)."""
    return pl.DataFrame(
        [
            {
                "block_id": b.id,
                "region": b.region,
                "site": b.site,
                "kind": b.kind.value,
                "gpus": b.gpus,
                "h100e": b.gpus * plan.h100_equivalent(b.gpu_type),
                "mw": b.mw,
                "fabric": b.fabric,
                "dedicated_customer": b.dedicated_customer,
                "in_service": b.in_service,
                "retire": b.retire,
            }
            for b in plan.block
        ],
        schema={
            **{k: v for k, v in BLOCK_TIMELINE_SCHEMA.items() if k != "ds"},
            "in_service": pl.Date,
            "retire": pl.Date,
        },
    )


def _service_days(start: date, end: date) -> pl.Expr:
    """The list of days in [start, end] on which a block row is in service."""
    first = pl.max_horizontal(pl.col("in_service").fill_null(start), pl.lit(start))
    last = pl.min_horizontal((pl.col("retire") - pl.duration(days=1)).fill_null(end), pl.lit(end))
    return pl.date_ranges(first, last, interval="1d", closed="both")


def _check_window(start: date, end: date) -> None:
    if end < start:
        raise ValueError(f"end {end} is before start {start}")


def dark_spans(
    plan: CapacityPlan, *, start: date, end: date, at: str | None = None
) -> list[tuple[str, date, date]]:
    """(block_id, first, last): the days in [start, end] a block in service stands dark for
    want of its site's energized MW (:meth:`CapacityPlan.dark_blocks`), as runs of days; at
    site ``at`` only where given."""
    spans: list[tuple[str, date, date]] = []
    for site in (s for s in plan.site if at is None or s.id == at):
        blocks = [b for b in plan.block if b.site == site.id]
        # What the site powers changes only where a block comes or goes or its power steps.
        changes = {start, *(step.on for step in site.energized), site.contracted_energized}
        changes |= {day for b in blocks for day in (b.in_service, b.retire)}
        days = sorted(d for d in changes if d is not None and start <= d <= end)
        for first, following in zip(days, [*days[1:], end + timedelta(days=1)], strict=True):
            last = following - timedelta(days=1)
            spans += [(b.id, first, last) for b in plan.dark_blocks(site.id, first)]
    return spans


def _dark_days(plan: CapacityPlan, *, start: date, end: date) -> pl.LazyFrame:
    """(block_id, ds): the days in [start, end] a block in service stands dark for want of its
    site's energized MW (:func:`dark_spans`)."""
    return (
        pl.LazyFrame(
            dark_spans(plan, start=start, end=end),
            schema={"block_id": pl.String, "first": pl.Date, "last": pl.Date},
            orient="row",
        )
        .select("block_id", ds=pl.date_ranges("first", "last", interval="1d", closed="both"))
        .explode("ds")
    )


def block_timeline(
    plan: CapacityPlan, *, start: date, end: date, powered: bool = False
) -> pl.DataFrame:
    """One row per block per day in service between ``start`` and ``end`` inclusive.

    A block serves from its in_service date (or always, when it has none) until the day
    before its retire date, so retiring blocks leave on their retire date. ``h100e`` is the
    block's capacity in H100-equivalents (its GPUs when the plan has no [gpu_type] table).
    With ``powered``, the days a block stands dark for want of its site's energized MW are
    left out (power given back, a committed block landing before its MW: see
    :meth:`CapacityPlan.dark_blocks`); the MW a site must find still count every block.
    Columns follow ``BLOCK_TIMELINE_SCHEMA``.
    """
    _check_window(start, end)
    days = _blocks_frame(plan).lazy().with_columns(ds=_service_days(start, end)).explode("ds")
    if powered:
        days = days.join(_dark_days(plan, start=start, end=end), on=["block_id", "ds"], how="anti")
    return (
        days.drop_nulls("ds")
        .select(BLOCK_TIMELINE_SCHEMA.names())
        .sort("ds", "block_id")
        .collect()
        .cast(BLOCK_TIMELINE_SCHEMA)
    )


def _eligibility(plan: CapacityPlan) -> pl.DataFrame:
    """(block_id, workload_class) for every class a block may host."""
    rows = [(b.id, c.value) for b in plan.block for c in WorkloadClass if b.allows(c)]
    return pl.DataFrame(
        rows, schema={"block_id": pl.String, "workload_class": pl.String}, orient="row"
    )


def _capacity_sums() -> list[pl.Expr]:
    return [
        pl.col("gpus").sum(),
        pl.col("gpus")
        .filter(pl.col("dedicated_customer").is_not_null())
        .sum()
        .alias("dedicated_gpus"),
        pl.col("mw").sum(),
        pl.col("h100e").sum(),
    ]


def capacity_timeline(plan: CapacityPlan, *, start: date, end: date) -> pl.DataFrame:
    """Daily GPUs and MW in service per region, per workload class and in total (see
    :func:`_capacity_days`). Columns follow ``CAPACITY_TIMELINE_SCHEMA``."""
    return (
        _capacity_days(plan, start=start, end=end)
        .select(CAPACITY_TIMELINE_SCHEMA.names())
        .cast(CAPACITY_TIMELINE_SCHEMA)
    )


def _capacity_days(plan: CapacityPlan, *, start: date, end: date) -> pl.DataFrame:
    """Daily GPUs and MW in service per region, per workload class and in total.

    For each day, region and class, ``gpus`` counts the GPUs in service on blocks that class
    may use (training only on fabric blocks, a block's ``classes`` list respected);
    ``dedicated_gpus`` is the part of them reserved for one customer, ``mw`` the facility
    power of those blocks and ``h100e`` their GPUs in H100-equivalents. Classes share
    blocks, so per-class figures overlap and do not add up to the region: the rows with
    ``workload_class == "all"`` hold every block in service once. Every (day, region, class)
    appears, with zeros where nothing is in service. A block standing dark for want of its
    site's MW is not in service (:meth:`CapacityPlan.dark_blocks`), as the triggers count it
    (drawn in service, the platform page would show the sweep's 5,056 GPUs of us-east racks
    on power given back beside triggers that count them dark).
    """
    _check_window(start, end)
    days = block_timeline(plan, start=start, end=end, powered=True).lazy()
    per_class = (
        days.join(_eligibility(plan).lazy(), on="block_id")
        .group_by("ds", "region", "workload_class")
        .agg(_capacity_sums())
    )
    total = (
        days.group_by("ds", "region")
        .agg(_capacity_sums())
        .with_columns(workload_class=pl.lit(ALL_CLASSES))
    )
    grid = (
        pl.LazyFrame({"ds": pl.date_range(start, end, interval="1d", eager=True)})
        .join(pl.LazyFrame({"region": list(plan.regions)}), how="cross")
        .join(
            pl.LazyFrame({"workload_class": [c.value for c in WorkloadClass] + [ALL_CLASSES]}),
            how="cross",
        )
    )
    sums = pl.concat([per_class, total.select(per_class.collect_schema().names())])
    return (
        grid.join(sums, on=["ds", "region", "workload_class"], how="left")
        .with_columns(
            pl.col("gpus", "dedicated_gpus").fill_null(0), pl.col("mw", "h100e").fill_null(0.0)
        )
        .select(*CAPACITY_TIMELINE_SCHEMA.names(), "h100e")
        .sort("ds", "region", "workload_class")
        .collect()
    )


def _month_start(day: date, months_ahead: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_ahead
    return date(index // 12, index % 12 + 1, 1)


def monthly_capacity(plan: CapacityPlan, *, start: date, months: int = 12) -> pl.DataFrame:
    """Lowest GPUs in service during each month, per region and class, from ``start``'s month.

    The lowest day is what can be counted on for the whole month (a block arriving on the
    20th does not help the 5th). Columns: region, workload_class, month, gpus, and ``h100e``
    the same in H100-equivalents, the unit the triggers and pages count where the plan has a
    [gpu_type] table (`fleetcast capacity` printed GPUs alone: a GB200 cell read 8,192 there
    and 20,480 H100-equivalents on the pages).
    """
    first = _month_start(start)
    last = _month_start(start, months) - timedelta(days=1)
    return (
        _capacity_days(plan, start=first, end=last)
        .group_by("region", "workload_class", month=pl.col("ds").dt.truncate("1mo"))
        .agg(pl.col("gpus").min(), pl.col("h100e").min())
        .sort("region", "workload_class", "month")
    )


# --- site power: MW energized, contracted and drawn, per site and day ---------------------------

SITE_POWER_TIMELINE_SCHEMA = pl.Schema(
    {
        "ds": pl.Date,
        "region": pl.String,
        "site": pl.String,
        "energized_mw": pl.Float64,
        "contracted_mw": pl.Float64,
        "ceiling_mw": pl.Float64,
        "mw_in_service": pl.Float64,
        "mw_ordered": pl.Float64,
        "mw_needed": pl.Float64,
    }
)

SITE_POWER_MONTHLY_SCHEMA = pl.Schema(
    [
        ("month", pl.Date()),
        *((k, v) for k, v in SITE_POWER_TIMELINE_SCHEMA.items() if k != "ds"),
        # Days of the month whose need is above that same day's energized MW: the month's
        # busiest day against its leanest can differ when power and blocks arrive mid-month.
        ("short_days", pl.Int64()),
    ]
)

ORDERS_SCHEMA = pl.Schema({"site": pl.String, "arrives": pl.Date, "mw": pl.Float64})
# MW below which need and supply count as equal (rounding of block MW, not a shortfall).
_MW_SLACK = 0.05


def _site_days(plan: CapacityPlan, *, start: date, end: date) -> pl.DataFrame:
    """(site, region, ds, energized_mw, contracted_mw, ceiling_mw) for every declared site."""
    days = [start + timedelta(days=d) for d in range((end - start).days + 1)]
    # Secured: what is energized by the window's last day, or that day where more (a site
    # stepping down read less secured than energized before its step). Not the last step and
    # the contract whenever they land: us-west-a's 21.5 MW contracted, energized 2031-06-01,
    # drew a 43 MW line to 2030 over 48 MW needed, as if 5 MW were short.
    rows = []
    for s in plan.site:
        by_end = s.energized_mw_on(end)
        rows += [
            (s.id, s.region, day, (on := s.energized_mw_on(day)), max(on, by_end), s.ceiling_mw)
            for day in days
        ]
    return pl.DataFrame(
        rows,
        schema={
            "site": pl.String,
            "region": pl.String,
            "ds": pl.Date,
            "energized_mw": pl.Float64,
            "contracted_mw": pl.Float64,
            "ceiling_mw": pl.Float64,
        },
        orient="row",
    )


def site_power_timeline(
    plan: CapacityPlan, *, start: date, end: date, orders: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Per declared site and day: MW energized, contracted, the ceiling and the MW needed.

    ``energized_mw`` is what can be drawn that day (energized steps, plus contracted MW from
    its energization day); ``contracted_mw`` is every MW secured with the utility and
    energized by ``end``, whether energized that day or not (the step and the contract live
    on ``end``, or that day's energized MW where more: before a step down; MW energized past
    ``end`` are not there for the window's need); ``ceiling_mw`` is null where the
    site has none. ``mw_in_service`` is the MW of the plan's blocks at the site in service
    that day (live and committed by in-service date; retiring blocks leave on their retire
    date); ``mw_ordered`` is the MW of ``orders`` (site, arrives, mw; from the triggers'
    placements) arrived by that day, and ``mw_needed`` the two together. Empty for a plan
    without [[site]]. Columns follow ``SITE_POWER_TIMELINE_SCHEMA``.
    """
    _check_window(start, end)
    if not plan.site:
        return pl.DataFrame(schema=SITE_POWER_TIMELINE_SCHEMA)
    drawn = (
        block_timeline(plan, start=start, end=end)
        .lazy()
        .group_by("site", "ds")
        .agg(mw_in_service=pl.col("mw").sum())
    )
    placed = (orders if orders is not None else pl.DataFrame(schema=ORDERS_SCHEMA)).lazy()
    ordered = (
        _site_days(plan, start=start, end=end)
        .lazy()
        .select("site", "ds")
        .join(placed.select("site", "arrives", "mw"), on="site")
        .filter(pl.col("arrives") <= pl.col("ds"))
        .group_by("site", "ds")
        .agg(mw_ordered=pl.col("mw").sum())
    )
    return (
        _site_days(plan, start=start, end=end)
        .lazy()
        .join(drawn, on=["site", "ds"], how="left")
        .join(ordered, on=["site", "ds"], how="left")
        .with_columns(pl.col("mw_in_service", "mw_ordered").fill_null(0.0))
        .with_columns(mw_needed=pl.col("mw_in_service") + pl.col("mw_ordered"))
        .select(SITE_POWER_TIMELINE_SCHEMA.names())
        .sort("region", "site", "ds")
        .collect()
        .cast(SITE_POWER_TIMELINE_SCHEMA)
    )


def site_power_by_month(
    plan: CapacityPlan, *, start: date, months: int = 36, orders: pl.DataFrame | None = None
) -> pl.DataFrame:
    """:func:`site_power_timeline` by calendar month from ``start``'s month, ``months`` long.

    Supply is what can be counted on for the whole month (its lowest day of energized and
    contracted MW) and need is its busiest day (highest MW in service, ordered and needed);
    ``short_days`` counts the days whose need is above that day's energized MW, so a month
    whose power steps up on the 8th and whose blocks land on the 10th is not short. Columns
    follow
    ``SITE_POWER_MONTHLY_SCHEMA``; 36 months is the facilities page's view.
    """
    if months < 1:
        raise ValueError(f"months must be at least 1 (got {months})")
    first = _month_start(start)
    last = _month_start(start, months) - timedelta(days=1)
    return (
        site_power_timeline(plan, start=first, end=last, orders=orders)
        .group_by("region", "site", month=pl.col("ds").dt.truncate("1mo"))
        .agg(
            pl.col("energized_mw", "contracted_mw").min(),
            pl.col("ceiling_mw").first(),
            pl.col("mw_in_service", "mw_ordered", "mw_needed").max(),
            (pl.col("mw_needed") > pl.col("energized_mw") + _MW_SLACK).sum().alias("short_days"),
        )
        .select(SITE_POWER_MONTHLY_SCHEMA.names())
        .sort("region", "site", "month")
        .cast(SITE_POWER_MONTHLY_SCHEMA)
    )
