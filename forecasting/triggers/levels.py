"""The daily requirement and capacity of each pool, read off the forecast's levels.

Pools
    ``training``: blocks that may host training (fabric, and training in their ``classes``);
    demand is the region's training class. ``all``: every block of the region; demand is the
    whole region. The pools overlap (a fabric pod is in both), so they are judged separately.

Dedicated blocks
    A dedicated block serves only its customer, so it is left out of the pool's capacity, and
    the customer's demand is taken out of the pool's demand up to the dedicated GPUs in
    service that day, counting only the classes the block may host: per group of the
    customer's blocks hosting the same classes, ``min(group GPUs, customer demand in those
    classes)``, and at most the customer's demand in the pool over all its groups. Customer
    demand is the bottom-level *mean* measure at the quantile (means add up; peaks do not).
    A mean is at most the peak, so the offset does not exceed what the customer takes off the
    shared blocks. Exact when each customer's dedicated blocks host one set of classes; when
    two of its groups share a class, their sum is bounded by its demand in the pool, not by a
    matching, and may count a class twice up to that bound.

    The pool's peak less that mean leaves the customer's peak-over-mean on the shared pool: a
    customer wholly served by its dedicated pod read a red $41M pod order for the hours it
    peaks above its mean. Peaks do not add, so the shared pool's own peak is bounded from
    above by the sum of the peaks of everything left on it: the peak series of the pool's
    other customers (a class's own peak where the class has no customer peak series for
    each of its customers), plus what each dedicated customer's peak overflows its dedicated
    GPUs (the same offset rule read off the peak measure). The shared demand is the smaller
    of the two readings, the pool's peak less the mean offset and that bound; where no
    customer has a peak series the bound is the sum of class peaks and changes nothing.

Requirement on a day
    ``training``: (training PEAK at the quantile - offset) / (1 - training headroom).
    ``all``: (the region's own PEAK at the quantile - offset) / (1 - h_eff). Peaks of classes
    do not add (they peak at different hours), so the region's own peak series is used, and
    its headroom ``h_eff`` is the class headrooms averaged with weights equal to each class's
    share of the region's mean demand that day at the trigger quantile (that column of the
    mean measure: the mix of the scenario whose peak is read, so a pipeline deal counted in
    full in the q90 peak is counted in full in the mix). Without class-level means that day
    the highest class headroom is used. Capacity is the shared capacity in service (live
    plus committed by in-service date, less retired, from
    :func:`~forecasting.capacity.capacity_timeline`).

Monthly grain
    The forecast may carry a ``grain`` column: 'day' rows (the first weeks) and 'month' rows
    dated on the month's first day whose values are that month's peak-day demand (for the
    mean measure, the month's average day, which adds up over classes and compares with a
    daily mean; the drivers and class mixes read it). A monthly row is the demand of every
    day of its month that has no daily row of the same series, so exhaustion and order-by
    dates can fall in any month of the horizon; without the column every row is daily.

H100-equivalents
    With a ``[gpu_type]`` table in the plan, capacity is counted in H100-equivalents (block
    GPUs times the type's ``h100_equivalent``) and so is demand; the ``*_gpus`` columns then
    hold H100-equivalents (``capacity_gpus_at_exhaustion`` rounded down). Telemetry counts
    the GPUs workloads ran on, whatever their type, so demand is converted at the mix of the
    blocks that ran it on ``as_of`` (those in service and powered), per pool: a class's series
    and its customers' at the mean H100-equivalent per GPU of the region's blocks that class
    may run on (training on its fabric blocks: a region of H100 pods beside A100 racks, which
    training cannot use, read its training demand at the region's 0.65 and ordered its pod
    10 months late), the region's own series at the mean of all its blocks (every class on
    every block: exact for a full region, and for one whose load is spread evenly). A GPU-hour
    used in a region of H200s is 1.4 H100-equivalent hours.
    The factor is that of ``as_of`` over the whole horizon, also after a generation retires:
    demand is work measured on the blocks that ran it, and the blocks that serve it later
    change what it takes in GPUs, not what it is (read at each day's mix, a newer block
    committed to the plan would raise demand by its own arrival). Growth is thereby assumed to
    run on the pool's current mix; the newer blocks the triggers order then cover more of it.
    A contract's ramp is inside its series, so its GPUs are read as GPUs of the blocks its
    class runs on today. Without the table, GPUs are counted as GPUs.

Power
    A block serves only on power: where a site's blocks in service draw more MW than it has
    energized (power given back on a step down, or a committed block landing before its MW),
    the blocks it cannot power stand dark and leave both pools' capacity (and a dedicated
    customer's GPUs) while they do. The site powers its blocks in order of H100-equivalents
    per MW, most first (among equals the earlier in service), so the least efficient go dark
    first (:meth:`~forecasting.capacity.CapacityPlan.dark_blocks`). A site stepping from
    14 MW to 5 MW under 12 MW of racks left its region's exhaustion and order as without the
    step, on ~4,670 GPUs without power. The site's power trigger still counts every block's
    MW: it dates the power that would bring them back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import polars as pl

from forecasting import hierarchy
from forecasting.capacity import Block, CapacityPlan, block_timeline
from forecasting.schema import Measure, WorkloadClass
from forecasting.sums import exact_sum
from forecasting.text import counted
from forecasting.triggers.common import Pool, as_date, block_units

__all__ = ["blended_headroom"]


_GRAINS = ("day", "month")


def class_in_pool() -> pl.Expr:
    """Whether a row's workload_class is demand of its pool (``all`` takes every class)."""
    return (pl.col("pool") == Pool.ALL.value) | (pl.col("workload_class") == pl.col("pool"))


def _check_grain(frame: pl.DataFrame) -> None:
    """Grains are 'day' or 'month', and a monthly row is dated on its month's first day."""
    unknown = sorted(set(frame["grain"].unique().drop_nulls()) - set(_GRAINS)) + (
        ["null"] if frame["grain"].null_count() else []
    )
    if unknown:
        raise ValueError(f"the forecast's grain column has {unknown}; use 'day' or 'month'")
    off = frame.filter((pl.col("grain") == "month") & (pl.col("ds").dt.day() != 1))
    if not off.is_empty():
        row = off.row(0, named=True)
        raise ValueError(
            f"forecast row {row['unique_id']} {row['measure']} ds {row['ds']}: a monthly row "
            f"must be dated on the first of its month ({off.height} such rows)"
        )


def forecast_levels(forecast: pl.DataFrame, *, as_of: date, columns: Sequence[str]) -> pl.DataFrame:
    """Forecast rows covering ``as_of`` on, with region, class, customer and depth parsed out.

    Each row covers the days ``ds`` to ``until``: a daily row its own day, a monthly row
    (``grain == 'month'``) the days of its month after its series' last daily row, so daily
    rows win where both exist. Days before ``as_of`` are cut off.
    """
    missing = sorted({"unique_id", "ds", "measure", "mean", *columns} - set(forecast.columns))
    if missing:
        raise ValueError(f"the forecast lacks columns {missing}")
    grain = pl.col("grain") if "grain" in forecast.columns else pl.lit("day")
    rows = forecast.select(
        "unique_id", "ds", "measure", *dict.fromkeys(["mean", *columns]), grain=grain
    )
    _check_grain(rows)
    monthly = pl.col("grain") == "month"
    last_daily = (
        rows.lazy()
        .filter(~monthly)
        .group_by("unique_id", "measure")
        .agg(last_daily=pl.col("ds").max())
    )
    frame = (
        rows.lazy()
        .join(last_daily, on=["unique_id", "measure"], how="left")
        .with_columns(
            until=pl.when(monthly).then(pl.col("ds").dt.month_end()).otherwise(pl.col("ds")),
            ds=pl.when(monthly)
            .then(pl.max_horizontal("ds", pl.col("last_daily") + pl.duration(days=1)))
            .otherwise(pl.col("ds")),
        )
        .filter((pl.col("ds") <= pl.col("until")) & (pl.col("until") >= as_of))
        .with_columns(ds=pl.max_horizontal("ds", pl.lit(as_of)))
        .drop("grain", "last_daily")
        .with_columns(
            region=hierarchy.level(1),
            workload_class=hierarchy.level(2),
            customer=hierarchy.level(3),
            depth=hierarchy.depth(),
        )
        .collect()
    )
    _check_peaks(frame, as_of=as_of)
    unknown = set(frame["workload_class"].drop_nulls().unique()) - {c.value for c in WorkloadClass}
    if unknown:
        raise ValueError(f"the forecast has unknown workload classes {sorted(unknown)}")
    return frame


def _mix(plan: CapacityPlan, blocks: Sequence[Block]) -> float | None:
    """Mean H100-equivalents per GPU of ``blocks``; None without any GPU."""
    gpus = sum(b.gpus for b in blocks)
    return sum(block_units(plan, b) for b in blocks) / gpus if gpus else None


def in_h100_equivalents(levels: pl.DataFrame, plan: CapacityPlan, *, as_of: date) -> pl.DataFrame:
    """``levels`` with demand converted at the mix of the blocks that served it on ``as_of``
    (see "H100-equivalents"): a region's own series at its blocks' mean H100-equivalent per
    GPU, a class's and its customers' at the mean of the blocks that class may run on;
    unchanged without a [gpu_type] table."""
    if not plan.gpu_type:
        return levels
    dark = {b.id for site in plan.site for b in plan.dark_blocks(site.id, as_of)}
    serving = [b for b in plan.block if b.in_service_on(as_of) and b.id not in dark]
    factor: dict[str, float] = {}
    for region in {b.region for b in serving}:
        mine = [b for b in serving if b.region == region]
        region_mix = _mix(plan, mine)
        if region_mix is None:
            continue
        factor[region] = region_mix
        for c in WorkloadClass:
            # A class no block serving today hosts ran on the region's blocks, if anywhere.
            class_mix = _mix(plan, [b for b in mine if b.allows(c)])
            factor[f"{region}/{c.value}"] = region_mix if class_mix is None else class_mix
    values = [c for c in levels.columns if c == "mean" or re.fullmatch(r"q[0-9.]+", c)]
    key = (
        pl.when(pl.col("depth") >= 2)
        .then(pl.concat_str("region", "workload_class", separator="/"))
        .otherwise(pl.col("region"))
    )
    scale = key.replace_strict(factor, default=1.0, return_dtype=pl.Float64)
    return levels.with_columns(pl.col(c) * scale for c in values)


def daily_levels(levels: pl.DataFrame, plan: CapacityPlan) -> pl.DataFrame:
    """``levels`` one row per day: each monthly row repeated over the days it covers.

    Customers' series are only read day by day in regions with a dedicated block (drivers
    read the rest at two dates), so a 36-month horizon explodes those regions' customers,
    not every customer's.
    """
    if (levels["until"] == levels["ds"]).all():
        return levels.drop("until")
    # Every customer of a region with a dedicated block: the shared pool's peak is bounded by
    # the peaks of the customers left on it (see "Dedicated blocks").
    regions = sorted({b.region for b in plan.block if b.dedicated_customer})
    return (
        levels.lazy()
        .filter((pl.col("depth") < 3) | pl.col("region").is_in(regions))
        .with_columns(ds=pl.date_ranges("ds", "until", interval="1d", closed="both"))
        .explode("ds")
        .drop("until")
        .collect()
    )


def _check_peaks(frame: pl.DataFrame, *, as_of: date) -> None:
    """Every region, and every region's training class, needs its own peak series.

    Peaks do not add up, so a missing one cannot be rebuilt from its parts; reading it as
    zero would show a green light for a pool nobody measured.
    """
    peaks = frame.filter(pl.col("measure") == Measure.PEAK.value)
    regions = set(frame["region"].drop_nulls().unique())
    missing = regions - set(peaks.filter(pl.col("depth") == 1)["region"].unique())
    training = frame.filter(pl.col("workload_class") == WorkloadClass.TRAINING.value)
    with_training = set(
        peaks.filter((pl.col("depth") == 2) & (pl.col("workload_class") == "training"))["region"]
    )
    missing_training = set(training["region"].unique()) - with_training
    if not regions or missing or missing_training:
        raise ValueError(
            f"the forecast from {as_of} lacks peak series: "
            + ", ".join(
                [hierarchy.id_of(r) for r in sorted(missing)]
                + [hierarchy.id_of(r, "training") for r in sorted(missing_training)]
                or ["no region-level series at all"]
            )
        )


def levels_at(levels: pl.DataFrame, *, depth: int, measure: Measure) -> pl.LazyFrame:
    return levels.lazy().filter((pl.col("depth") == depth) & (pl.col("measure") == measure.value))


def _pool_members(plan: CapacityPlan) -> pl.DataFrame:
    """(block_id, pool) for every block, once per pool it belongs to."""
    rows = [(b.id, Pool.ALL.value) for b in plan.block] + [
        (b.id, Pool.TRAINING.value) for b in plan.block if b.allows(WorkloadClass.TRAINING)
    ]
    return pl.DataFrame(rows, schema={"block_id": pl.String, "pool": pl.String}, orient="row")


def pool_frame() -> pl.LazyFrame:
    return pl.LazyFrame({"pool": [p.value for p in Pool]})


def _pool_peaks(levels: pl.DataFrame, *, column: str) -> pl.LazyFrame:
    """(region, ds, pool, peak): the pool's own peak series at ``column``."""
    region = levels_at(levels, depth=1, measure=Measure.PEAK).select(
        "region", "ds", pool=pl.lit(Pool.ALL.value), peak=pl.col(column)
    )
    training = (
        levels_at(levels, depth=2, measure=Measure.PEAK)
        .filter(pl.col("workload_class") == WorkloadClass.TRAINING.value)
        .select("region", "ds", pool=pl.lit(Pool.TRAINING.value), peak=pl.col(column))
    )
    return pl.concat([region, training])


def _blended_headroom(levels: pl.DataFrame, plan: CapacityPlan, *, column: str) -> pl.LazyFrame:
    """(region, ds, blended): class headrooms weighted by each class's mean demand at the
    trigger quantile ``column``.

    At the quantile the requirement reads, not the expected value: a pipeline deal the forecast
    carries at its odds is in the region's q90 peak in full but in its class's expected mean
    only at p x GPUs, so the mix read off expected means understated its class, and signing
    the deal (which moves the mean, not the q90) moved the region's exhaustion later (the
    demo's 35 % training deal: us-east ``all`` from 2027-05-12 to 2027-06-01).
    """
    return (
        levels_at(levels, depth=2, measure=Measure.MEAN)
        .group_by("region", "ds")
        .agg(blended=blended_headroom(plan, weight=pl.col(column)))
    )


def blended_headroom(plan: CapacityPlan, *, weight: pl.Expr) -> pl.Expr:
    """Aggregation: the class headrooms of a group's rows (one per ``workload_class``) weighted
    by ``weight`` (clipped at zero); null where no class weighs anything. The ``all`` pool's
    headroom, and the usable capacity the platform page draws for all classes. A class
    without a policy keeps the highest headroom, as a day without class means does."""
    highest = max(p.headroom for p in plan.policy.values())
    headroom = {c.value: p.headroom for c, p in plan.policy.items()}
    h = pl.col("workload_class").replace_strict(headroom, default=highest, return_dtype=pl.Float64)
    w = weight.clip(lower_bound=0.0)
    # Order-free sums (forecasting.sums): `fleetcast report` run twice wrote a requirement of
    # 10339.953311276951, then 10339.95331127695, to triggers.csv.
    return pl.when(w.sum() > 0).then(exact_sum(h * w) / exact_sum(w))


def _pool_headroom(plan: CapacityPlan) -> pl.Expr:
    """Training's own headroom; the blended one for ``all`` (the highest when unknown)."""
    highest = max(p.headroom for p in plan.policy.values())
    training = plan.policy[WorkloadClass.TRAINING].headroom
    return (
        pl.when(pl.col("pool") == Pool.TRAINING.value)
        .then(pl.lit(training))
        .otherwise(pl.col("blended").fill_null(highest))
        .alias("headroom")
    )


def _dedicated_groups(plan: CapacityPlan) -> pl.DataFrame:
    """(block_id, group, workload_class): each dedicated block, its group, the classes it hosts.

    A group is the blocks of one customer that host the same set of classes; the set names it.
    """
    rows = []
    for block in plan.block:
        if block.dedicated_customer is None:
            continue
        hosted = [c.value for c in WorkloadClass if block.allows(c)]
        rows += [(block.id, ",".join(hosted), c) for c in hosted]
    return pl.DataFrame(
        rows,
        schema={"block_id": pl.String, "group": pl.String, "workload_class": pl.String},
        orient="row",
    )


def _dedicated_gpus(plan: CapacityPlan, *, start: date, end: date) -> pl.LazyFrame:
    """(ds, region, pool, customer, group, gpus): dedicated GPUs in service per block group."""
    groups = _dedicated_groups(plan).lazy().select("block_id", "group").unique()
    return (
        block_timeline(plan, start=start, end=end, powered=True)
        .lazy()
        .filter(pl.col("dedicated_customer").is_not_null())
        .join(_pool_members(plan).lazy(), on="block_id")
        .join(groups, on="block_id")
        .group_by("ds", "region", "pool", "group", customer=pl.col("dedicated_customer"))
        .agg(gpus=exact_sum(pl.col("h100e")))
    )


def _dedicated_offset(
    levels: pl.DataFrame,
    plan: CapacityPlan,
    *,
    column: str,
    start: date,
    end: date,
    measure: Measure = Measure.MEAN,
) -> pl.LazyFrame:
    """(region, ds, pool, offset): demand that dedicated blocks take off the shared pool.

    Each group of a customer's dedicated blocks takes at most its GPUs and at most the
    customer's demand (its ``measure`` series) in the classes those blocks host (an
    inference-only block takes none of the customer's training); a customer's groups together
    take at most its demand in the pool.
    """
    customer_demand = (
        levels_at(levels, depth=3, measure=measure)
        .join(pool_frame(), how="cross")
        .filter(class_in_pool())
        .group_by("region", "ds", "pool", "customer", "workload_class")
        .agg(demand=exact_sum(pl.col(column)).clip(lower_bound=0.0))
    )
    keys = ["region", "ds", "pool", "customer"]
    by_group = (
        _dedicated_gpus(plan, start=start, end=end)
        .join(_dedicated_groups(plan).lazy().select("group", "workload_class").unique(), on="group")
        .join(customer_demand, on=[*keys, "workload_class"])
        .group_by(*keys, "group")
        .agg(pl.col("gpus").first(), demand=exact_sum(pl.col("demand")))
        .group_by(keys)
        .agg(taken=exact_sum(pl.min_horizontal("demand", "gpus")))
    )
    in_pool = customer_demand.group_by(keys).agg(total=exact_sum(pl.col("demand")))
    return (
        by_group.join(in_pool, on=keys)
        .group_by("region", "ds", "pool")
        .agg(offset=exact_sum(pl.min_horizontal("taken", "total")))
    )


def _bottom_peaks(levels: pl.DataFrame, *, column: str, dedicated: list[str]) -> pl.LazyFrame:
    """(region, ds, workload_class, peaks, exact): the sum of a class's customers' peaks at
    ``column`` where each of its customers with a series that day has a peak one, else the
    class's own peak: an upper bound of the class's peak (peaks do not add). ``exact`` is
    false where the class's own peak stands in for customers among whom a ``dedicated`` one
    is: its peak cannot then be taken out of the sum."""
    keys = ["region", "ds", "workload_class"]
    peak = pl.col("measure") == Measure.PEAK.value
    customers = (
        levels.lazy()
        .filter(pl.col("depth") == 3)
        .group_by(keys)
        .agg(
            peaks=exact_sum(pl.col(column).filter(peak)),
            complete=pl.col("customer").filter(peak).n_unique() == pl.col("customer").n_unique(),
            exact=~pl.col("customer").is_in(dedicated).any(),
        )
    )
    by_customer = customers.filter("complete").select(*keys, "peaks", exact=pl.lit(True))
    classes = (
        levels_at(levels, depth=2, measure=Measure.PEAK)
        .select(*keys, peaks=pl.col(column))
        .join(by_customer, on=keys, how="anti")
        .join(customers.select(*keys, "exact"), on=keys, how="left")
        .with_columns(pl.col("exact").fill_null(True))
    )
    # A class with demand and no peak to read leaves the sum no bound.
    present = levels.lazy().filter(pl.col("depth") >= 2).select(keys).unique()
    return present.join(pl.concat([by_customer, classes]), on=keys, how="left").with_columns(
        exact=pl.col("exact").fill_null(False)
    )


def _shared_peak_bound(
    levels: pl.DataFrame, plan: CapacityPlan, *, column: str, start: date, end: date
) -> pl.LazyFrame:
    """(region, ds, pool, bound): an upper bound of the shared pool's peak, in regions with a
    dedicated block: the peaks of all the pool's bottom series less what dedicated blocks take
    off them read on the peak measure, which leaves each dedicated customer only its peak over
    its dedicated GPUs (see "Dedicated blocks"); null where a dedicated customer's class has
    no peak series for each of its customers."""
    dedicated = sorted({b.dedicated_customer for b in plan.block if b.dedicated_customer})
    regions = sorted({b.region for b in plan.block if b.dedicated_customer})
    keys = ["region", "ds", "pool"]
    summed = (
        _bottom_peaks(
            levels.filter(pl.col("region").is_in(regions)), column=column, dedicated=dedicated
        )
        .join(pool_frame(), how="cross")
        .filter(class_in_pool())
        .group_by(keys)
        .agg(peaks=exact_sum(pl.col("peaks").clip(lower_bound=0.0)), exact=pl.col("exact").all())
    )
    taken = _dedicated_offset(
        levels, plan, column=column, start=start, end=end, measure=Measure.PEAK
    )
    return (
        summed.join(taken, on=keys, how="left")
        .filter("exact")
        .select(*keys, bound=pl.col("peaks") - pl.col("offset").fill_null(0.0))
    )


def _shared_capacity(plan: CapacityPlan, *, start: date, end: date) -> pl.LazyFrame:
    """(region, ds, pool, capacity_gpus): capacity in service that the pool's demand may share.

    In H100-equivalents where the plan has a [gpu_type] table (GPUs otherwise); retiring
    blocks leave on their retire date, and blocks their site's MW cannot power leave while
    they stand dark (see "Power").
    """
    return (
        block_timeline(plan, start=start, end=end, powered=True)
        .lazy()
        .filter(pl.col("dedicated_customer").is_null())
        .join(_pool_members(plan).lazy(), on="block_id")
        .group_by("region", "ds", "pool")
        .agg(capacity_gpus=exact_sum(pl.col("h100e")))
    )


def dark_notes(plan: CapacityPlan, *, start: date, end: date, pool: Pool) -> dict[str, str]:
    """Per region with blocks of ``pool`` standing dark for want of their site's power in
    [start, end], a note: per site, the first day, the blocks dark then and their GPUs (see
    "Power"). The capacity the trigger reads is without them, and the note says so."""
    if not plan.site:
        return {}
    members = _pool_members(plan).filter(pl.col("pool") == pool.value)["block_id"]
    every = block_timeline(plan, start=start, end=end).filter(pl.col("block_id").is_in(members))
    powered = block_timeline(plan, start=start, end=end, powered=True)
    dark = every.join(powered.select("block_id", "ds"), on=["block_id", "ds"], how="anti")
    found: dict[str, list[str]] = {}
    for site in plan.site:
        at_site = dark.filter(pl.col("site") == site.id)
        if at_site.is_empty():
            continue
        first = as_date(at_site["ds"].min())
        on_first = at_site.filter(pl.col("ds") == first)
        found.setdefault(site.region, []).append(
            f"{site.id} from {first}: {counted(on_first.height, 'block')}, "
            f"{on_first['gpus'].sum():,} GPUs"
        )
    return {
        region: "blocks stand dark for want of their site's energized MW, so this pool's "
        "capacity is without them (the blocks of fewest H100-equivalents per MW go dark first): "
        + "; ".join(sites)
        for region, sites in found.items()
    }


def _requirement() -> pl.Expr:
    """GPUs the pool must have in service: demand off dedicated blocks (no more than the
    shared pool's peak bound, where there is one), grossed up by headroom."""
    demand = pl.min_horizontal(pl.col("peak") - pl.col("offset"), pl.col("bound"))
    return demand.clip(lower_bound=0.0) / (1.0 - pl.col("headroom"))


def daily_pools(
    levels: pl.DataFrame, plan: CapacityPlan, *, column: str, start: date, end: date
) -> pl.DataFrame:
    """(region, pool, ds, requirement_gpus, capacity_gpus) for every forecast region and day."""
    grid = (
        pl.LazyFrame({"ds": pl.date_range(start, end, interval="1d", eager=True)})
        .join(pl.LazyFrame({"region": sorted(levels["region"].drop_nulls().unique())}), how="cross")
        .join(pool_frame(), how="cross")
    )
    keys = ["region", "ds", "pool"]
    offset = _dedicated_offset(levels, plan, column=column, start=start, end=end)
    bound = _shared_peak_bound(levels, plan, column=column, start=start, end=end)
    return (
        grid.join(_pool_peaks(levels, column=column), on=keys, how="left")
        .join(bound, on=keys, how="left")
        .join(_blended_headroom(levels, plan, column=column), on=["region", "ds"], how="left")
        .join(offset, on=keys, how="left")
        .join(_shared_capacity(plan, start=start, end=end), on=keys, how="left")
        .with_columns(
            _pool_headroom(plan),
            pl.col("peak", "offset").fill_null(0.0),
            pl.col("capacity_gpus").fill_null(0.0),
        )
        .select("region", "pool", "ds", _requirement().alias("requirement_gpus"), "capacity_gpus")
        .sort("region", "pool", "ds")
        .collect()
    )
