"""Can a young series read as stopped without misreading intermittent ones?

The stop rule (``forecasting.shifts.stopped_days``) wanted 14 zero days after a block of 28 in
which the series was busy on 21: no history under 35 days could stop, and a customer that left
15 days before the end of a 32-day trace kept its band and its pool no "Demand ended". Since
session 61 the block is the days the series has (28 at most): busy on 75 % of its observed days
and on ``STOPPED_BUSY_FLOOR`` (14) days at least.

This counts, for the old rule (21 busy of 28), the share with floors of 14, 10 and 7 busy
days, and the share counted from a series' first day of demand (not its first day):

- false stops: every customer and class series of ``SEEDS`` synthetic fleets (``synth --days
  60 --customers 30``; the generator has no churn) cut at 28 to 46 days, where a stop is read
  and demand comes back within the next 14 days; and every Helios VC (31 days, its outage day
  2020-05-10 missing) cut at 15 days and more;
- stops found: the same series cut at 28 to 34 days (Helios: 28 to 31) with their last 14, 15
  or 16 days set to zero (a customer that left), among those busy on the day before.

Measured (session 61, 30 fleets, 3,072 series; Helios 16 VCs):

| rule | false (synthetic) | found (synthetic) | false (Helios) | found (Helios) |
|---|---|---|---|---|
| 21 busy of 28 (before) | 0 | 0 / 41,157 | 0 | 0 / 172 |
| 75 %, floor 14 (now) | 0 | 26,955 / 41,157 | 0 | 74 / 172 |
| 75 %, floor 10 | 0 | 33,232 / 41,157 | 0 | 152 / 172 |
| 75 %, floor 7 | 0 | 33,292 / 41,157 | 0 | 152 / 172 |
| 75 % from the first busy day, floor 14 | 0 | 27,017 / 41,157 | 0 | 74 / 172 |
| 75 % from the first busy day, floor 10 | 18 | 34,361 / 41,157 | 0 | 155 / 172 |

Floors under 14 read no false stop only while a series' idle days before its first demand
count against its share: counted from its first day of demand, a floor of 10 read 18, evaluation
bursts of 10-13 busy days idle two weeks and back; 14 read none either way, so 14 it is.
Asking also that the zeros be twice the series' longest earlier idle run changed
nothing at floor 14 (an earlier idle run of 8 days or more inside the block already puts it
under 75 %). ServeGen's clients (14 days) and the Azure LLM traces (one hour) can read no stop
under any of these rules: 14 busy days and 14 zeros need 28.

Run as ``PYTHONPATH=. python benchmarks/accuracy_young_stops.py [seeds]`` (about a minute for
30 fleets; the Helios part reads $FLEETCAST_TRACES, else ../shared/data).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecasting import demand, shifts, synth  # noqa: E402 - after the path insert

SEEDS = 30
AHEAD = 14
HELIOS = "helios_earth_vc_minute_2020-05.csv.gz"
HELIOS_OUTAGE = "2020-05-10"

Rule = Callable[[np.ndarray], bool]


def _share_rule(floor: int, *, from_first: bool = False) -> Rule:
    """The share rule with a floor of ``floor`` busy days (14: shifts.stopped_days), its share
    counted from the series' first day (or, ``from_first``, its first day of demand)."""

    def stopped(y: np.ndarray) -> bool:
        idle = _idle_days(y)
        if idle < shifts.STOPPED_DAYS:
            return False
        last = y.size - 1 - idle
        first = int(np.flatnonzero(np.nan_to_num(y) > 0)[0]) if from_first else 0
        start = max(first, last + 1 - 28)
        seen = int(np.isfinite(y[start : last + 1]).sum())
        busy = int((np.nan_to_num(y[start : last + 1]) > 0).sum())
        return busy >= floor and busy >= shifts.STOPPED_BUSY_SHARE * seen

    return stopped


def _old_rule(y: np.ndarray) -> bool:
    """Before session 61: 21 busy days in the 28 before the zeros."""
    idle = _idle_days(y)
    last = y.size - 1 - idle
    block = y[max(0, last + 1 - 28) : last + 1]
    return idle >= shifts.STOPPED_DAYS and int((np.nan_to_num(block) > 0).sum()) >= 21


def _idle_days(y: np.ndarray) -> int:
    """The zeros that end ``y`` after its last day of demand (0 when its last day is missing
    or it never had demand)."""
    busy = np.flatnonzero(np.nan_to_num(y) > 0)
    if busy.size == 0 or not np.isfinite(y[-1]):
        return 0
    return int(y.size - 1 - busy[-1])


RULES: dict[str, Rule] = {
    "21 busy of 28 (before)": _old_rule,
    "75 %, floor 14 (now)": lambda y: shifts.stopped_days(y) > 0,
    "75 %, floor 10": _share_rule(10),
    "75 %, floor 7": _share_rule(7),
    "75 % from the first busy day, floor 14": _share_rule(14, from_first=True),
    "75 % from the first busy day, floor 10": _share_rule(10, from_first=True),
}


def synthetic_series(seed: int) -> dict[str, np.ndarray]:
    """Every customer and class series (mean measure) of one 60-day synthetic fleet."""
    fleet = synth.synthetic_fleet(days=60, customers=30, seed=seed)
    hourly = fleet.telemetry.group_by(
        pl.col("ts").dt.truncate("1h"), "region", "workload_class", "customer"
    ).agg((pl.col("gpus_running") + pl.col("gpus_queued")).sum().alias("y"))
    series = demand.demand_series(hourly, customers_per_class=1000).filter(
        (pl.col("unique_id").str.count_matches("/") >= 2) & (pl.col("measure") == "mean")
    )
    return {
        str(uid): s.sort("ds")["y"].cast(pl.Float64).fill_null(0.0).to_numpy()
        for (uid,), s in series.group_by("unique_id")
    }


def helios_series() -> dict[str, np.ndarray]:
    """Each Helios VC's daily mean demand (running + pending GPUs); the outage day missing."""
    folder = Path(os.environ.get("FLEETCAST_TRACES", ROOT.parent / "shared" / "data"))
    minutes = pl.read_csv(folder / HELIOS, try_parse_dates=True)
    daily = (
        minutes.group_by("vc", pl.col("time").dt.date().alias("day"))
        .agg((pl.col("running_gpu_num") + pl.col("pending_gpu_num")).mean().alias("y"))
        .with_columns(
            pl.when(pl.col("day").cast(pl.String) == HELIOS_OUTAGE)
            .then(None)
            .otherwise(pl.col("y"))
            .alias("y")
        )
    )
    return {
        str(vc): s.sort("day")["y"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        for (vc,), s in daily.group_by("vc")
    }


def false_stops(
    series: dict[str, np.ndarray], cuts: Callable[[int], Iterable[int]]
) -> dict[str, int]:
    """Stops read at a cut where demand comes back within AHEAD days, per rule."""
    found = dict.fromkeys(RULES, 0)
    for full in series.values():
        for c in cuts(full.size):
            back = np.nansum(full[c : c + AHEAD]) > 0
            for name, rule in RULES.items():
                found[name] += int(back and rule(full[:c]))
    return found


def stops_found(
    series: dict[str, np.ndarray], cuts: Callable[[int], Iterable[int]]
) -> tuple[dict[str, int], int]:
    """Constructed stops (a series' last 14-16 days set to zero after a busy day) each rule
    reads, and how many were constructed."""
    found, made = dict.fromkeys(RULES, 0), 0
    for full in series.values():
        for c in cuts(full.size):
            for k in (14, 15, 16):
                if c - k < 1 or not np.nan_to_num(full[c - k - 1]) > 0:
                    continue
                y = full[:c].copy()
                y[c - k :] = 0.0
                made += 1
                for name, rule in RULES.items():
                    found[name] += int(rule(y))
    return found, made


def main() -> int:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else SEEDS
    synth_false, synth_found, synth_made, count = (
        dict.fromkeys(RULES, 0),
        dict.fromkeys(RULES, 0),
        0,
        0,
    )
    for seed in range(1, seeds + 1):
        series = synthetic_series(seed)
        count += len(series)
        for name, n in false_stops(series, lambda n: range(28, 47)).items():
            synth_false[name] += n
        found, made = stops_found(series, lambda n: range(28, 35))
        synth_made += made
        for name, n in found.items():
            synth_found[name] += n
    helios = helios_series()
    helios_false = false_stops(helios, lambda n: range(15, n + 1))
    helios_found, helios_made = stops_found(helios, lambda n: range(28, n + 1))
    print(f"{seeds} synthetic fleets, {count:,} series; Helios {len(helios)} VCs")
    for name in RULES:
        print(
            f"| {name} | {synth_false[name]} | {synth_found[name]:,} / {synth_made:,} | "
            f"{helios_false[name]} | {helios_found[name]} / {helios_made} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
