"""Make mean-demand forecasts coherent over the hierarchy: parts add up to totals exactly.

The hierarchy is read from the ``unique_id`` paths ('total', 'total/us-east',
'total/us-east/inference', 'total/us-east/inference/acme'): a series' bottom-level
descendants are the leaves whose id starts with its own id plus '/'. With ``S`` the summing
matrix (all series x leaves) and ``G`` a reconciliation matrix (leaves x all series), a
vector of base forecasts ``y`` becomes ``S max(G y, 0)``:

- bottom-up: ``G`` picks the leaves;
- MinT with shrinkage (Wickramasuriya, Athanasopoulos & Hyndman 2019):
  ``G = (S' W^-1 S)^-1 S' W^-1`` with ``W`` the Schäfer-Strimmer shrinkage estimate of the
  covariance of backtest errors (uncentred, shrunk towards its diagonal).

Setting negative leaves to zero and re-aggregating keeps the result coherent and
non-negative. MinT's map is chosen and estimated on backtests a few days long, and applied
over the days they scored; past them it hands over to the leaves' own forecasts (bottom-up)
over as many days again (:func:`mint_weight_by_lead`). The same map is applied to the mean
and to every sample path, so the mean and each path add up exactly; quantiles are then read
off the reconciled paths.

A mean is published beside the band read off its paths, so it is held within it
(:func:`means_within_their_bands`): where a series' reconciled point forecast lies outside its
paths' q10-q90 (leaves clipped at zero path by path, whose paths average above a point forecast
near zero, summed over a bursty class), or below what its quantiles imply of any non-negative
demand's mean (half its q50, a tenth of its q90: a point clipped to 0 sat on a q10 of 0 beside
a q50 of 14 GPUs), that series and every series under it publish their paths' mean, and
``ReconciledForecast.of_paths`` says which did.

Only the mean measure is reconciled. The peak of an aggregate is the peak hour of its own
summed hourly demand, which is at most the sum of its parts' peaks and usually less (the
parts peak at different hours); no linear map of daily peaks is right, so each level's peak
keeps its own forecast.

Per-series paths are simulated independently. Before reconciling, ``couple_paths`` orders
each series' paths so that their ranks follow the ranks of the series' joint backtest errors
(an empirical copula, Ben Taieb et al. 2017); without it a sum of independent parts would
understate the spread of every aggregate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from forecasting import hierarchy

__all__ = [
    "Hierarchy",
    "ReconciledForecast",
    "bottom_up_matrix",
    "build_hierarchy",
    "couple_paths",
    "means_within_their_bands",
    "mint_matrix",
    "mint_weight_by_lead",
    "reconcile_array",
    "reconcile_forecasts",
    "shrunk_covariance",
]

Method = Literal["auto", "bottom_up", "mint_shrink"]

# The band a published mean is held within: the forecast rows' q10 and q90.
_BAND = (0.1, 0.9)


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """Series ids in input order, the leaves among them, and the summing matrix."""

    ids: tuple[str, ...]
    bottom: tuple[str, ...]
    summing: np.ndarray  # (len(ids), len(bottom)), 0/1

    @property
    def is_trivial(self) -> bool:
        """True when no series is an aggregate of others: nothing to reconcile."""
        return len(self.bottom) == len(self.ids)

    @property
    def aggregate_mask(self) -> np.ndarray:
        """Boolean per id: True for series that sum others."""
        leaves = set(self.bottom)
        return np.array([uid not in leaves for uid in self.ids], dtype=bool)


def build_hierarchy(unique_ids: Sequence[str]) -> Hierarchy:
    """The summing matrix of the ids; a leaf is an id that prefixes no other id."""
    ids = tuple(unique_ids)
    if len(set(ids)) != len(ids):
        raise ValueError("unique_ids repeat; pass each series of one measure once")
    ancestors: set[str] = set()
    for uid in ids:
        up = hierarchy.parent_of(uid)
        while up is not None and up not in ancestors:
            ancestors.add(up)
            up = hierarchy.parent_of(up)
    is_parent = ancestors.intersection(ids)
    bottom = tuple(i for i in ids if i not in is_parent)
    bottom_arr = np.asarray(bottom, dtype=object)
    summing = np.zeros((len(ids), len(bottom)))
    for row, uid in enumerate(ids):
        under = np.fromiter((hierarchy.is_under(b, uid) for b in bottom_arr), bool, len(bottom))
        summing[row, under] = 1.0
    return Hierarchy(ids, bottom, summing)


def _without_leaves(hierarchy: Hierarchy, at_zero: Sequence[bool] | None) -> Hierarchy:
    """``hierarchy`` with the leaves ``at_zero`` marks taken out of every sum: their rows sum
    nothing, so they reconcile to zero (a parent of such leaves only sums the others)."""
    if at_zero is None or not any(at_zero):
        return hierarchy
    zero = {uid for uid, z in zip(hierarchy.ids, at_zero, strict=True) if z}
    keep = [i for i, b in enumerate(hierarchy.bottom) if b not in zero]
    if not keep:
        return hierarchy  # every leaf stopped: nothing else to sum, reconciled as before
    bottom = tuple(hierarchy.bottom[i] for i in keep)
    return Hierarchy(hierarchy.ids, bottom, hierarchy.summing[:, keep])


def _held_columns(
    hierarchy: Hierarchy, constant: Sequence[bool] | None
) -> tuple[np.ndarray, np.ndarray]:
    """The positions (in ``hierarchy.ids``) of the leaves ``constant`` marks, and the matrix
    (n series x those leaves) of which series each is under (itself included). A constant
    aggregate is not held: its parts may vary against each other."""
    n = len(hierarchy.ids)
    if constant is None or not any(constant):
        return np.empty(0, dtype=int), np.zeros((n, 0))
    leaves = {b: i for i, b in enumerate(hierarchy.bottom)}
    rows = [
        i
        for i, (uid, c) in enumerate(zip(hierarchy.ids, constant, strict=True))
        if c and uid in leaves
    ]
    columns = [leaves[hierarchy.ids[i]] for i in rows]
    return np.asarray(rows, dtype=int), hierarchy.summing[:, columns]


def _held_sums(values: np.ndarray, held: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per series (last axis of ``values``), the sum of the held leaves' values under it."""
    rows, under = held
    if rows.size == 0:
        return np.zeros_like(values)
    return np.nan_to_num(values[..., rows]) @ under.T


def _less_held(values: np.ndarray, held: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``values`` (series on the last axis) less, for every series, the held leaves under it:
    a held leaf itself reads zero, and a parent the part of it the other leaves make up."""
    return values - _held_sums(values, held)


def bottom_up_matrix(hierarchy: Hierarchy) -> np.ndarray:
    """``G`` that keeps the leaves' own forecasts."""
    index = {uid: i for i, uid in enumerate(hierarchy.ids)}
    g = np.zeros((len(hierarchy.bottom), len(hierarchy.ids)))
    g[np.arange(len(hierarchy.bottom)), [index[b] for b in hierarchy.bottom]] = 1.0
    return g


def shrunk_covariance(residuals: np.ndarray) -> tuple[np.ndarray, float]:
    """Schäfer-Strimmer shrinkage of the uncentred covariance towards its diagonal.

    ``residuals`` is (T observations x n series), NaN read as zero error. Returns the
    covariance and the shrinkage intensity lambda in [0, 1].
    """
    x = np.nan_to_num(np.asarray(residuals, dtype=float))
    t = x.shape[0]
    cov = x.T @ x / t
    var = np.diag(cov).copy()
    # A series with no error (e.g. no backtest) still needs a positive variance to invert W.
    floor = max(float(var.max()) * 1e-6, 1e-9) if var.size else 1e-9
    var = np.maximum(var, floor)
    if t < 2:
        return np.diag(var), 1.0
    sd = np.sqrt(var)
    xs = x / sd
    corr = xs.T @ xs / t
    # Estimated variance of each correlation coefficient (Schäfer & Strimmer 2005, target D).
    xs2 = xs**2
    var_corr = (xs2.T @ xs2 - (xs.T @ xs) ** 2 / t) * (t / ((t - 1) * t**2))
    off = ~np.eye(x.shape[1], dtype=bool)
    denom = float(np.sum(corr[off] ** 2))
    lam = 1.0 if denom == 0 else float(np.clip(np.sum(var_corr[off]) / denom, 0.0, 1.0))
    shrunk_corr = lam * np.eye(x.shape[1]) + (1 - lam) * corr
    np.fill_diagonal(shrunk_corr, 1.0)
    return shrunk_corr * np.outer(sd, sd), lam


def mint_matrix(summing: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """``G = (S' W^-1 S)^-1 S' W^-1`` without forming ``W^-1``."""
    winv_s = np.linalg.solve(covariance, summing)  # W^-1 S, (n x m)
    return np.linalg.solve(summing.T @ winv_s, winv_s.T)


def reconcile_array(values: np.ndarray, *, summing: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Coherent, non-negative version of ``values`` (..., n series): ``S max(G y, 0)``."""
    leaves = np.maximum(values @ g.T, 0.0)
    return leaves @ summing.T


def mint_weight_by_lead(horizon: int, scored_days: int) -> np.ndarray:
    """Weight of MinT's map (against bottom-up's) on each day 1..``horizon`` ahead: 1 over the
    ``scored_days`` its backtests scored, falling linearly to 0 at twice that.

    Its covariance is of errors that many days ahead, and the base forecasts drift apart with
    the lead (a total's short model flat where its parts grow), so the map moves the leaves
    further each day: on a 90-day, 3-customer fleet scored 7 days ahead, the largest
    customer's training forecast read 1,595 -> 992 GPUs on day 28 and 0 from day 91 beside
    its own 1,980, and the paths' customer mix handed its class's growth to a customer flat
    at 256 GPUs (256 -> 6,418 in six months). Nothing measured MinT past the scored days.
    """
    lead = np.arange(1, horizon + 1, dtype=float)
    if scored_days <= 0:
        return np.zeros(horizon)
    return np.clip((2 * scored_days - lead) / scored_days, 0.0, 1.0)


def _leaves_by_lead(
    values: np.ndarray,
    *,
    g: np.ndarray,
    g_after: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    """The non-negative leaves (..., h, n leaves) of ``values`` (..., h, n series) reconciled
    with ``g`` where ``weight`` (h,) is 1 and ``g_after`` where it is 0, the leaves blended
    before they are clipped at zero."""
    if weight.size and weight.min() >= 1.0:  # within the scored days: MinT's alone
        return np.maximum(values @ g.T, 0.0)
    w = weight[:, None]
    return np.maximum(w * (values @ g.T) + (1.0 - w) * (values @ g_after.T), 0.0)


def means_within_their_bands(
    points: np.ndarray, paths: np.ndarray, *, summing: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Leaves' means (h, n leaves) whose sums lie within every series' q10-q90 band, and which
    series (h, n series) publish their paths' mean.

    ``points`` are the leaves' reconciled point forecasts, ``paths`` (n_paths, h, n leaves)
    their reconciled paths. Where a series' summed point forecast lies outside the band read
    off its summed paths, every leaf under it takes its paths' mean, so the series publishes
    the mean of the distribution its quantiles describe and its parts still add up to it;
    repeated until no series changes (a region then reads its switched classes). Elsewhere the
    point forecast stays: as a daily mean it scored lower MAE on customers than the paths'
    (benchmarks/accuracy_mean_column.py). Why: Helios 26 weeks out read a training class mean
    of 763 GPUs beside paths averaging 1,268 (q10 730, q50 1,224), below q10 on 82 days.
    """
    path_means = paths.mean(axis=0)
    lo, mid, hi = np.quantile(paths @ summing.T, [_BAND[0], 0.5, _BAND[1]], axis=0)
    # Demand is never negative, so its mean is at least q x P(X >= q) for every quantile q
    # (Markov's inequality): half its q50 and a tenth of its q90. A point clipped to 0 beside a
    # q50 of 14 GPUs passed the band test at q10 = 0 (a Helios customer's mean read 0 on days
    # its paths averaged 23, and the top customer's share moved from 31 % to 38 %).
    lo = np.maximum(lo, np.maximum((1 - 0.5) * mid, (1 - _BAND[1]) * hi))
    slack = 1e-9 * np.maximum(hi, 1.0)  # the sums' float rounding is no excursion
    switched = np.zeros(points.shape, dtype=bool)
    for _ in range(summing.shape[0] + 1):
        means = np.where(switched, path_means, points)
        series = means @ summing.T
        outside = (series < lo - slack) | (series > hi + slack)
        more = switched | ((outside.astype(float) @ summing) > 0)
        if (more == switched).all():
            break
        switched = more
    # A series that sums no leaf (one held at zero, reconcile._without_leaves) switched none:
    # read as "all of its leaves", every held customer published its paths' mean every day.
    leaves = summing.sum(axis=1)
    whole = ((switched.astype(float) @ summing.T) >= leaves - 0.5) & (leaves > 0.5)
    return np.where(switched, path_means, points), whole


def _scored_days(points: Sequence[pl.DataFrame]) -> int:
    """The longest lead, in days, that any series' backtest points scored."""
    longest = 0
    for p in points:
        if p.height:
            lead = (p["ds"].cast(pl.Date) - p["cutoff"].cast(pl.Date)).dt.total_days().max()
            longest = max(longest, int(lead) if lead is not None else 0)  # type: ignore[arg-type]
    return longest


def couple_paths(
    paths: np.ndarray, residuals: np.ndarray, *, rng: np.random.Generator
) -> np.ndarray:
    """Reorder each series' paths so their ranks follow the joint ranks of backtest errors.

    ``paths`` is (n series, n_paths, h); ``residuals`` (T, n). Paths are ranked by their mean
    over the horizon, so whole paths move and each keeps its own day-to-day shape.
    """
    n, p, _ = paths.shape
    e = np.nan_to_num(np.asarray(residuals, dtype=float))
    if e.shape[0] == 0:
        return paths
    rows = rng.integers(0, e.shape[0], size=p)
    # Random jitter breaks ties (series without backtests have all-zero errors) at random.
    drawn = e[rows] + rng.uniform(0, 1e-12, size=(p, n))
    target_rank = np.argsort(np.argsort(drawn, axis=0), axis=0)  # (p, n)
    by_level = np.argsort(paths.mean(axis=2), axis=1)  # (n, p): path index by rank
    pick = by_level[np.arange(n)[:, None], target_rank.T]  # (n, p)
    return np.take_along_axis(paths, pick[:, :, None], axis=1)


@dataclass(frozen=True, slots=True)
class ReconciledForecast:
    """Reconciled means (n, h) and paths (n, n_paths, h), the method, and how it scored;
    ``of_paths`` (n, h) marks the means that are their paths' mean, not the point forecast
    (:func:`means_within_their_bands`)."""

    means: np.ndarray
    paths: np.ndarray
    method: str
    scores: pl.DataFrame
    of_paths: np.ndarray | None = None


def _aligned(
    points: Sequence[pl.DataFrame], backtest_lag_days: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Actuals, base forecasts (T, n) and each row's cutoff, aligned on (cutoff, ds).

    A series silent at the end is backtested on the run's cutoffs while its silence is shorter
    than a backtest window (forecast.py ``_backtest_layout``); a longer silence ends its
    backtests ``backtest_lag_days`` before the run's last day, and its points are keyed that
    many days later, on the run's cutoffs, as if its feed had not stopped. Keyed on their own
    dates they met no other series' points: each side's missing base was filled with the
    actual (a perfect forecast), which moved the covariance, the methods' scores and the rows
    every series' paths are coupled on: the demo's run chose bottom-up over MinT when
    eu-west's feed was 3 days late, and a 120-day synthetic fleet's us-east daily q90 moved by
    up to 12 %, us-east's telemetry unchanged in both.
    """
    shifts = list(backtest_lag_days) if backtest_lag_days is not None else [0] * len(points)
    long = pl.concat(
        [
            p.select(
                pl.col("cutoff").cast(pl.Date) + pl.duration(days=shift),
                pl.col("ds").cast(pl.Date) + pl.duration(days=shift),
                "y",
                "mean",
            ).with_columns(i=pl.lit(i))
            for i, (p, shift) in enumerate(zip(points, shifts, strict=True))
        ]
    )
    n = len(points)
    if long.is_empty():
        empty = np.empty((0, n))
        return empty, empty, np.empty(0, dtype="datetime64[D]")
    keys = long.select("cutoff", "ds").unique().sort("cutoff", "ds").with_row_index("row")
    long = long.join(keys, on=["cutoff", "ds"])
    actual = np.full((keys.height, n), np.nan)
    base = np.full((keys.height, n), np.nan)
    r, c = long["row"].to_numpy(), long["i"].to_numpy()
    actual[r, c] = long["y"].fill_null(np.nan).to_numpy()
    base[r, c] = long["mean"].fill_null(np.nan).to_numpy()
    # A series without a backtest (too short) is taken as known on those days, so both
    # methods are judged on the same footing; where even the actual is missing, zero.
    base = np.where(np.isnan(base), np.nan_to_num(actual), base)
    return actual, base, keys["cutoff"].to_numpy()


def _g_matrix(method: str, hierarchy: Hierarchy, residuals: np.ndarray) -> np.ndarray:
    if method == "bottom_up" or residuals.shape[0] == 0:
        return bottom_up_matrix(hierarchy)
    cov, _ = shrunk_covariance(residuals)
    return mint_matrix(hierarchy.summing, cov)


def _aggregate_score(
    actual: np.ndarray, fitted: np.ndarray, scales: np.ndarray, mask: np.ndarray
) -> float:
    """Mean over aggregate series of their mean absolute error divided by their scale."""
    err = np.abs(actual - fitted)[:, mask] / scales[mask]
    scored = np.isfinite(err).any(axis=0)  # an aggregate without one scored day has no score
    if not scored.any():
        return float("nan")
    return float(np.mean(np.nanmean(err[:, scored], axis=0)))


def _backtest_scores(
    hierarchy: Hierarchy,
    actual: np.ndarray,
    base: np.ndarray,
    cutoffs: np.ndarray,
    scales: np.ndarray,
) -> pl.DataFrame:
    """Scaled MAE on the aggregates per method; MinT's W leaves the scored cutoff out."""
    mask = hierarchy.aggregate_mask
    resid = actual - base
    rows = [{"method": "base", "mase_aggregates": _aggregate_score(actual, base, scales, mask)}]
    for method in ("bottom_up", "mint_shrink"):
        fitted = np.empty_like(base)
        for c in np.unique(cutoffs):
            held = cutoffs == c
            g = _g_matrix(method, hierarchy, resid[~held])
            fitted[held] = reconcile_array(base[held], summing=hierarchy.summing, g=g)
        rows.append(
            {"method": method, "mase_aggregates": _aggregate_score(actual, fitted, scales, mask)}
        )
    return pl.DataFrame(rows)


def reconcile_forecasts(
    unique_ids: Sequence[str],
    *,
    means: np.ndarray,
    paths: np.ndarray,
    points: Sequence[pl.DataFrame],
    scales: np.ndarray,
    method: Method = "auto",
    seed: int = 0,
    backtest_lag_days: Sequence[int] | None = None,
    at_zero: Sequence[bool] | None = None,
    constant: Sequence[bool] | None = None,
) -> ReconciledForecast:
    """Reconcile mean forecasts (n, h) and paths (n, n_paths, h) of one measure.

    ``points`` are each series' backtest points (cutoff, ds, y, mean), ``scales`` the
    per-series MASE scales, ``backtest_lag_days`` the days each series' backtests ended
    before the run's last day (their points are keyed on the run's cutoffs,
    :func:`_aligned`); 'auto' takes the method with the lower backtest error on the aggregate
    series (ties go to bottom-up, the simpler one). MinT's map holds over the days the
    backtest points scored and hands over to bottom-up past them
    (:func:`mint_weight_by_lead`).

    MinT reads every series' forecast into every leaf, the total's too: a total a silent
    region leaves incomplete is completed from its parts before it is forecast (forecast.py
    ``_completed_frame``), so it starts on the run's last day like the others; the silent
    region's own forecast and errors still reach the other regions' leaves over MinT's days
    (the demo, eu-west 3 days silent: us-east's daily q90 up to 1.4 % over 8 weeks, no order
    moved; tests/test_silent_region.py).

    ``at_zero`` marks leaves known to be zero (a customer that left: forecast.py holds it at
    zero): they are no part of any sum, so no reconciliation moves demand onto them. MinT
    read the drop in such a customer's backtests as its error and gave it up to 230 GPUs a
    day of its region's.

    ``constant`` marks leaves whose history never changed (forecast.py
    :func:`~forecasting.forecast.constant_series`): each keeps its own mean and paths, and
    the others are reconciled against every level less the constant leaves under it
    (:func:`_less_held`), then the constant leaves are added back, so every parent is still
    the sum of its parts. Why not reconcile them with the rest: MinT reads a leaf with no
    backtest error as the one to trust and still moves it by the errors of the levels above
    it: a customer at 0.5 GPUs every hour beside a 20,000-GPU region read 0.5015, the demo's
    200-GPU one 199.998-200.002 (past the daily model the class split moved it far more,
    :mod:`forecasting.horizon`).
    Why subtract rather than drop them: a parent's forecast holds the constant part, and a
    parent reconciled over the other leaves alone would hand that part to them.
    """
    full = build_hierarchy(unique_ids)
    held = _held_columns(full, constant)
    out_of_sums = np.isin(np.arange(len(full.ids)), held[0])
    if at_zero is not None:
        out_of_sums |= np.asarray(at_zero, dtype=bool)
    hierarchy = _without_leaves(full, out_of_sums.tolist())
    if held[0].size and len(hierarchy.bottom) == len(full.bottom):
        # Every leaf constant (or stopped): nothing to reconcile, each level its parts' sum.
        up = full.summing @ bottom_up_matrix(full)
        return ReconciledForecast(
            up @ means, np.einsum("ij,jph->iph", up, paths), "none", pl.DataFrame()
        )
    if hierarchy.is_trivial:
        return ReconciledForecast(means, paths, "none", pl.DataFrame())
    actual, base, cutoffs = _aligned(points, backtest_lag_days)
    actual = _less_held(actual, held)
    base = _less_held(base, held)
    scores = _backtest_scores(hierarchy, actual, base, cutoffs, scales)
    if method == "auto":
        by_method = dict(zip(scores["method"], scores["mase_aggregates"], strict=True))
        mint, bu = by_method["mint_shrink"], by_method["bottom_up"]
        method = "mint_shrink" if np.isfinite(mint) and mint < bu else "bottom_up"
    resid = actual - base
    g = _g_matrix(method, hierarchy, resid)
    bu = bottom_up_matrix(hierarchy)
    weight = mint_weight_by_lead(means.shape[1], _scored_days(points))
    coupled = couple_paths(paths, resid, rng=np.random.default_rng(seed))
    # (n, P, h) -> (P, h, n) so the series axis is last for the matrix products.
    series_paths = np.moveaxis(coupled, 0, -1)
    series_means = means.T
    leaf_paths = _leaves_by_lead(_less_held(series_paths, held), g=g, g_after=bu, weight=weight)
    leaf_means, of_paths = means_within_their_bands(
        _leaves_by_lead(_less_held(series_means, held), g=g, g_after=bu, weight=weight),
        leaf_paths,
        summing=hierarchy.summing,
    )
    # The constant leaves back under every level that holds them (each its own value).
    rec_paths = leaf_paths @ hierarchy.summing.T + _held_sums(series_paths, held)
    rec_means = (leaf_means @ hierarchy.summing.T + _held_sums(series_means, held)).T
    return ReconciledForecast(
        rec_means, np.moveaxis(rec_paths, -1, 0), method, scores, of_paths=of_paths.T
    )
