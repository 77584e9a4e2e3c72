"""The reconciled daily band where MinT hands over to bottom-up (leads 29-90), by two rules.

A reserved block (``accuracy_class_split.reserved_block``: eu-west evaluation 1,000 GPUs every
hour, two customers trading 500 +- 300 over 60 days) reads 1,000 at every quantile within
MinT's scored days and widens as the daily forecast hands over to its customers' own models
(``reconcile.mint_weight_by_lead``). This forecasts fleets as of several cut-offs (90 days,
the run's default settings, capturing the reconciliation's inputs; cached per fleet and
cut-off), reconciles them by the current rule and by the candidate below, and scores every
series' q10, q50 and q90 (read off its reconciled paths) on leads 29-90 against each day's
mean demand: pinball loss (over the actual sum) and days below q10 / above q90, by level, by
fleet and cut-off, and the block's band by week.

Candidate ("deviations by MinT"): the means hand over to bottom-up as now, but each path's
deviation from its series' mean keeps MinT's map at every lead, so the spread is reconciled as
within the scored days. Where the run chose bottom-up, both rules are the same.

Fleets: ``demo``, ``seedN`` (60 customers), each with ``+block`` for the reserved block.
Run as ``PYTHONPATH=. python benchmarks/accuracy_handover_band.py [--fleets
seed4+block,seed7+block] [--cutoffs 182,273]``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.accuracy_class_split import reserved_block  # noqa: E402 - after the path insert
from benchmarks.accuracy_customer_months import fleet_demand  # noqa: E402
from forecasting import demand, hierarchy  # noqa: E402
from forecasting import forecast as fc  # noqa: E402
from forecasting import reconcile as rc  # noqa: E402
from forecasting.forecast import ForecastSettings, forecast_all  # noqa: E402

BLOCK = "total/eu-west/evaluation"
FIRST_LEAD, LAST_LEAD = 29, 90


def fleet_series(fleet: str, cache: Path) -> pl.DataFrame:
    """The daily demand series of ``fleet`` (module docstring)."""
    name = fleet.removesuffix("+block")
    hourly = fleet_demand(None if name == "demo" else int(name.removeprefix("seed")), cache)
    if fleet.endswith("+block"):
        hourly = reserved_block(hourly)
    return demand.demand_series(hourly)


def reconciliation_inputs(
    fleet: str, back: int, series: pl.DataFrame, cache: Path
) -> dict[str, Any]:
    """The mean measure's reconciliation inputs of a run as of ``back`` days before the last
    day (ids, keyword arguments, cut-off), cached beside ``cache``."""
    path = cache.with_name(f"handover-{fleet}-{back}.pkl")
    if path.is_file():
        loaded: dict[str, Any] = pickle.loads(path.read_bytes())
        return loaded
    cut = series["ds"].max() - timedelta(days=back)
    box: dict[str, Any] = {"cut": cut}
    original = fc.reconcile_forecasts

    def kept(ids: list[str], **kw: Any) -> rc.ReconciledForecast:
        box["ids"], box["kw"] = list(ids), kw
        return original(ids, **kw)

    fc.reconcile_forecasts = kept  # type: ignore[assignment]
    try:
        forecast_all(
            series.filter(pl.col("ds") <= cut), settings=ForecastSettings(horizon_days=LAST_LEAD)
        )
    finally:
        fc.reconcile_forecasts = original
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(box))
    return box


def paths_with_mint_deviations(ids: list[str], kw: dict[str, Any]) -> np.ndarray:
    """Reconciled paths (n, n_paths, h) as ``rc.reconcile_forecasts`` makes them, but each
    path's deviation from its series' mean keeps MinT's map at every lead."""
    means, paths = kw["means"], kw["paths"]
    full = rc.build_hierarchy(ids)
    held = rc._held_columns(full, kw["constant"])
    out = np.isin(np.arange(len(full.ids)), held[0]) | np.asarray(kw["at_zero"], dtype=bool)
    tree = rc._without_leaves(full, out.tolist())
    actual, base, cutoffs = rc._aligned(kw["points"], kw["backtest_lag_days"])
    actual, base = rc._less_held(actual, held), rc._less_held(base, held)
    scores = rc._backtest_scores(tree, actual, base, cutoffs, kw["scales"])
    by = dict(zip(scores["method"], scores["mase_aggregates"], strict=True))
    mint = np.isfinite(by["mint_shrink"]) and by["mint_shrink"] < by["bottom_up"]
    resid = actual - base
    g = rc._g_matrix("mint_shrink" if mint else "bottom_up", tree, resid)
    bu = rc.bottom_up_matrix(tree)
    w = rc.mint_weight_by_lead(means.shape[1], rc._scored_days(kw["points"]))[:, None]
    coupled = rc.couple_paths(paths, resid, rng=np.random.default_rng(kw["seed"]))
    series_paths = np.moveaxis(coupled, 0, -1)  # (P, h, n)
    level = rc._less_held(means.T, held)  # (h, n)
    leaf_means = w * (level @ g.T) + (1 - w) * (level @ bu.T)
    deviations = rc._less_held(series_paths, held) - level[None]
    leaves = np.maximum(leaf_means[None] + deviations @ g.T, 0.0)
    summed = leaves @ tree.summing.T + rc._held_sums(series_paths, held)
    return np.moveaxis(summed, -1, 0)


def bands(ids: list[str], paths: np.ndarray, cut: date) -> pl.DataFrame:
    """(unique_id, ds, q10, q50, q90) read off ``paths`` (n, n_paths, h)."""
    q = np.quantile(paths, [0.1, 0.5, 0.9], axis=1)
    n, h = q.shape[1], q.shape[2]
    return pl.DataFrame(
        {
            "unique_id": np.repeat(ids, h),
            "ds": [cut + timedelta(days=d + 1) for d in range(h)] * n,
            "q10": q[0].ravel(),
            "q50": q[1].ravel(),
            "q90": q[2].ravel(),
        }
    )


def _pinball(level: float, column: str) -> pl.Expr:
    miss = pl.col("y") - pl.col(column)
    return pl.max_horizontal(level * miss, (level - 1) * miss)


def scores(rows: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Pinball loss of q10, q50, q90 (over the actual sum) and days outside the band."""
    return (
        rows.group_by(by)
        .agg(
            pl.len().alias("rows"),
            *(
                (_pinball(q / 100, f"q{q}").sum() / pl.col("y").sum()).round(5).alias(f"pin_q{q}")
                for q in (10, 50, 90)
            ),
            (pl.col("y") < pl.col("q10")).mean().round(3).alias("below_q10"),
            (pl.col("y") > pl.col("q90")).mean().round(3).alias("above_q90"),
        )
        .sort(by)
    )


def main() -> int:
    """Score every fleet and cut-off under both rules; print by level, by fleet and cut-off,
    and the block's band by week."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleets", default="seed4+block,seed7+block")
    parser.add_argument("--cutoffs", default="182,273")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fleetcast-bench/demo.parquet"))
    args = parser.parse_args()
    parts = []
    for fleet in args.fleets.split(","):
        series = fleet_series(fleet, args.cache)
        actual = series.filter(pl.col("measure") == "mean").select("unique_id", "ds", "y")
        for back in (int(b) for b in args.cutoffs.split(",")):
            box = reconciliation_inputs(fleet, back, series, args.cache)
            ids, kw, cut = box["ids"], box["kw"], box["cut"]
            rules = {
                "current": rc.reconcile_forecasts(ids, **kw).paths,
                "deviations by MinT": paths_with_mint_deviations(ids, kw),
            }
            for rule, paths in rules.items():
                parts.append(
                    bands(ids, paths, cut)
                    .join(actual, on=["unique_id", "ds"])
                    .with_columns(
                        (pl.col("ds") - pl.lit(cut)).dt.total_days().alias("lead"),
                        hierarchy.depth().alias("depth"),
                        pl.lit(rule).alias("rule"),
                        pl.lit(fleet).alias("fleet"),
                        pl.lit(back).alias("back"),
                    )
                )
    rows = pl.concat(parts)
    scored = rows.filter(pl.col("lead").is_between(FIRST_LEAD, LAST_LEAD))
    block = rows.filter((pl.col("unique_id") == BLOCK) & pl.col("fleet").str.ends_with("+block"))
    weeks = (
        block.group_by("fleet", "back", "rule", ((pl.col("lead") - 1) // 7 + 1).alias("week"))
        .agg(pl.col("q10", "q50", "q90").mean().round(0))
        .filter(pl.col("week").is_in([2, 4, 6, 8, 10, 12]))
    )
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200):
        print(f"leads {FIRST_LEAD}-{LAST_LEAD} by depth (0 total ... 3 customer)")
        print(scores(scored, ["depth", "rule"]))
        print(scores(scored, ["fleet", "back", "rule"]))
        print("the block by week")
        print(weeks.sort("fleet", "back", "rule", "week"))
        print(scores(block.filter(pl.col("lead").is_between(FIRST_LEAD, LAST_LEAD)), ["rule"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
