"""Hierarchy, MinT shrinkage, coherence and path coupling of forecasting.reconcile."""

from __future__ import annotations

from typing import Literal

import numpy as np
import polars as pl
import pytest

from forecasting.reconcile import (
    bottom_up_matrix,
    build_hierarchy,
    couple_paths,
    means_within_their_bands,
    mint_matrix,
    reconcile_array,
    reconcile_forecasts,
    shrunk_covariance,
)

IDS = (
    "total",
    "total/us",
    "total/us/inference/acme",
    "total/us/inference/other",
    "total/us/inference",
    "total/eu",
    "total/eu/training",
    "total/eu/training/acme",
)


def test_summing_matrix_is_read_from_the_ids() -> None:
    """Leaves are ids that prefix no other id; each row sums the leaves beneath it."""
    h = build_hierarchy(IDS)
    assert h.bottom == (
        "total/us/inference/acme",
        "total/us/inference/other",
        "total/eu/training/acme",
    )
    expected = np.array(
        [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1]]
    )
    np.testing.assert_array_equal(h.summing, expected)
    assert h.aggregate_mask.tolist() == [True, True, False, False, True, True, True, False]


def test_prefix_is_not_a_parent_without_the_separator() -> None:
    """'total/us' is not the parent of 'total/usa': only whole path levels count."""
    h = build_hierarchy(["total", "total/us", "total/usa"])
    assert h.bottom == ("total/us", "total/usa")


def coherent(values: np.ndarray, summing: np.ndarray, n_leaves: int) -> bool:
    """True when every row equals the sum of its leaves (leaves are the last columns)."""
    leaves = values[..., -n_leaves:]
    return np.allclose(values, leaves @ summing.T, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("method", ["bottom_up", "mint_shrink"])
def test_every_path_and_the_mean_add_up(method: Literal["bottom_up", "mint_shrink"]) -> None:
    """After reconciliation each path and the mean are coherent and non-negative."""
    rng = np.random.default_rng(0)
    ids = ["total", "total/a", "total/b", "total/a/x", "total/a/y", "total/b/z"]
    h = build_hierarchy(ids)
    n, p, days = len(ids), 40, 10
    means = rng.uniform(-5, 50, (n, days))  # incoherent, some negative
    paths = rng.uniform(-5, 50, (n, p, days))
    points = [
        pl.DataFrame(
            {
                "cutoff": np.repeat(np.datetime64("2024-01-01"), 20).astype("datetime64[D]"),
                "ds": np.datetime64("2024-01-02") + np.arange(20),
                "y": rng.uniform(0, 50, 20),
                "mean": rng.uniform(0, 50, 20),
            }
        )
        for _ in ids
    ]
    rec = reconcile_forecasts(
        ids, means=means, paths=paths, points=points, scales=np.ones(n), method=method
    )
    assert rec.method == method
    order = [ids.index(i) for i in (*[i for i in ids if i not in h.bottom], *h.bottom)]
    mean_rows = rec.means.T[:, order]
    path_rows = np.moveaxis(rec.paths, 0, -1)[..., order]
    s = h.summing[order]
    assert coherent(mean_rows, s, len(h.bottom))
    assert coherent(path_rows, s, len(h.bottom))
    assert rec.means.min() >= 0
    assert rec.paths.min() >= 0


def test_mint_leaves_coherent_forecasts_unchanged() -> None:
    """MinT is a projection: already coherent forecasts come back as they were."""
    h = build_hierarchy(["total", "total/a", "total/b"])
    rng = np.random.default_rng(1)
    cov, _ = shrunk_covariance(rng.normal(size=(50, 3)))
    g = mint_matrix(h.summing, cov)
    leaves = np.array([3.0, 4.0])
    y = h.summing @ leaves
    np.testing.assert_allclose(reconcile_array(y, summing=h.summing, g=g), y)


def test_mint_trusts_the_series_with_small_errors() -> None:
    """With a near-exact total and noisy parts, MinT keeps the total and rescales the parts."""
    h = build_hierarchy(["total", "total/a", "total/b"])
    cov = np.diag([1e-6, 1.0, 1.0])
    g = mint_matrix(h.summing, cov)
    base = np.array([100.0, 30.0, 50.0])  # parts sum to 80, total says 100
    rec = reconcile_array(base, summing=h.summing, g=g)
    np.testing.assert_allclose(rec, [100.0, 40.0, 60.0], atol=1e-4)
    bu = reconcile_array(base, summing=h.summing, g=bottom_up_matrix(h))
    np.testing.assert_allclose(bu, [80.0, 30.0, 50.0])


def test_shrinkage_intensity_follows_the_evidence() -> None:
    """Independent errors shrink to the diagonal; strongly correlated ones barely shrink."""
    rng = np.random.default_rng(2)
    _, lam_indep = shrunk_covariance(rng.normal(size=(60, 20)))
    common = rng.normal(size=(60, 1))
    _, lam_corr = shrunk_covariance(common + 0.05 * rng.normal(size=(60, 20)))
    assert lam_indep > 0.8
    assert lam_corr < 0.05


def test_coupling_reorders_whole_paths_by_joint_error_ranks() -> None:
    """Coupled paths are a permutation per series, ranked together when errors co-move."""
    rng = np.random.default_rng(3)
    paths = rng.normal(size=(2, 300, 5)) + np.arange(5)
    common = rng.normal(size=(200, 1))
    coupled = couple_paths(paths, np.hstack([common, 2 * common]), rng=rng)
    for i in range(2):
        assert sorted(map(tuple, coupled[i])) == sorted(map(tuple, paths[i]))
    levels = coupled.mean(axis=2)
    assert np.corrcoef(levels[0], levels[1])[0, 1] > 0.95


def test_mint_holds_over_the_days_its_backtests_scored_then_hands_over_to_the_leaves() -> None:
    """MinT's map, chosen on backtests 7 days long, is not carried to day 60: a growing leaf
    beside a flat total read its total's shortfall (a 3-customer fleet's largest customer at 0
    GPUs six months out, its class's growth handed to a customer flat at 256); past twice the
    scored days every leaf reads its own forecast."""
    ids = ["total", "total/a", "total/b"]
    rng = np.random.default_rng(4)
    days = 60
    lead = np.arange(1, days + 1, dtype=float)
    a = 40.0 + 3.0 * lead  # grows to 220
    b = np.full(days, 40.0)  # a reservation: flat, exact
    total = np.full(days, 90.0)  # its model does not see a's growth
    means = np.stack([total, a, b])
    paths = means[:, None, :] + rng.normal(0, 1, (3, 30, days))
    cutoff = np.datetime64("2024-01-01")
    scored = 7

    def points(y: np.ndarray, noise: float) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "cutoff": np.repeat(cutoff, scored * 3).astype("datetime64[D]"),
                "ds": np.tile(cutoff + np.arange(1, scored + 1), 3).astype("datetime64[D]"),
                "y": y,
                "mean": y + rng.normal(0, noise, scored * 3),
            }
        )

    # The total's and b's backtests were near exact, a's noisy: MinT moves a.
    pts = [points(np.full(21, 80.0), 0.01), points(np.full(21, 40.0), 5.0)]
    pts.append(points(np.full(21, 40.0), 0.0))
    rec = reconcile_forecasts(
        ids, means=means, paths=paths, points=pts, scales=np.ones(3), method="mint_shrink"
    )
    # Within the scored days MinT holds: a is read off the trusted total.
    assert rec.means[1, scored - 1] == pytest.approx(total[0] - b[0], abs=1.0)
    # Past twice the scored days each leaf is its own forecast and the total their sum.
    np.testing.assert_allclose(rec.means[1:, 2 * scored :], means[1:, 2 * scored :])
    np.testing.assert_allclose(rec.means[0, 2 * scored :], a[2 * scored :] + 40.0)
    assert rec.paths[1, :, -1].mean() == pytest.approx(a[-1], abs=1.0)


def test_a_mean_outside_its_paths_band_is_their_mean_and_its_parts_follow() -> None:
    """Bursty leaves near zero: clipped path by path, their paths' sum sat far above its own
    mean (Helios' training class: paths 1,268 GPUs, mean 763, below q10); such a series now
    publishes its paths' mean, its leaves theirs (so they still add up), and says so; a
    subtree whose mean sat within its band keeps its point forecast."""
    rng = np.random.default_rng(6)
    bursty = [f"total/x/c{i}" for i in range(20)]
    steady = ["total/y/a", "total/y/b"]
    ids = ["total/x", "total/y", *bursty, *steady]  # two trees: y's root is not x's
    days, n_paths = 5, 400
    means = np.full((len(ids), days), 5.0)
    means[2 + len(bursty) :] = 500.0
    means[1], means[0] = 1000.0, 100.0  # the aggregates' own forecasts
    noise = np.where(np.arange(len(ids)) < 2 + len(bursty), 50.0, 10.0)[:, None, None]
    paths = means[:, None, :] + noise * rng.standard_normal((len(ids), n_paths, days))
    rec = reconcile_forecasts(
        ids, means=means, paths=paths, points=[_empty_points()] * len(ids),
        scales=np.ones(len(ids)), method="bottom_up",
    )  # fmt: skip
    path_means = rec.paths.mean(axis=1)
    q10, q90 = np.quantile(rec.paths, [0.1, 0.9], axis=1)
    assert (q10 <= rec.means + 1e-9).all() and (rec.means <= q90 + 1e-9).all()
    x = [ids.index(i) for i in ("total/x", *bursty)]
    np.testing.assert_allclose(rec.means[x], path_means[x], rtol=1e-12)
    assert rec.means[0].min() > 300  # not the summed 100 of the leaves' point forecasts
    y = [ids.index(i) for i in steady]
    np.testing.assert_allclose(rec.means[y], means[y])  # within their band: kept
    assert rec.of_paths is not None
    assert rec.of_paths[x].all() and not rec.of_paths[y].any() and not rec.of_paths[1].any()
    # The parts still add up.
    np.testing.assert_allclose(rec.means[0], rec.means[2 : 2 + len(bursty)].sum(axis=0))


def _empty_points() -> pl.DataFrame:
    """Backtest points of a series with none."""
    return pl.DataFrame(
        schema={"cutoff": pl.Date, "ds": pl.Date, "y": pl.Float64, "mean": pl.Float64}
    )


def test_a_leaf_constant_in_its_history_keeps_its_level_and_the_others_add_up_to_the_rest() -> None:
    """A customer at exactly 0.5 GPUs every hour of every day, beside a region of 20,000 GPUs,
    read 0.5015 after MinT: its backtests had no error, so its variance was the floor set off
    the fleet's largest, and the region's disagreement with its parts moved it (the demo's
    200-GPU constant customer read 199.998-200.002; past the daily model, the share split
    moved it much further: tests/test_horizon.py). A reader saw a customer that never changed
    forecast to change. Marked constant, it keeps its own mean and paths to the bit; the
    other customer is reconciled against its region less 0.5, and the region is still the sum
    of its parts on every path."""
    ids = ["total/r1", "total/r1/c/steady", "total/r1/c/busy"]
    rng = np.random.default_rng(11)
    days, scored, n_paths = 10, 7, 40
    means = np.stack([np.full(days, 21000.0), np.full(days, 0.5), np.full(days, 19000.0)])
    paths = means[:, None, :] + np.stack(
        [rng.normal(0, s, (n_paths, days)) for s in (2000.0, 0.0, 2500.0)]
    )
    paths[1] = 0.5
    cutoff = np.datetime64("2026-01-01")

    def points(y: float, noise: float) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "cutoff": np.repeat(cutoff, scored * 3).astype("datetime64[D]"),
                "ds": np.tile(cutoff + np.arange(1, scored + 1), 3).astype("datetime64[D]"),
                "y": np.full(scored * 3, y),
                "mean": y + rng.normal(0, noise, scored * 3),
            }
        )

    pts = [points(20000.0, 3000.0), points(0.5, 0.0), points(19999.5, 4000.0)]
    kw = {"means": means, "paths": paths, "points": pts, "scales": np.ones(3)}
    moved = reconcile_forecasts(ids, method="mint_shrink", **kw)  # type: ignore[arg-type]
    assert np.abs(moved.means[1, :scored] - 0.5).max() > 1e-3  # what a reader saw
    held = reconcile_forecasts(
        ids,
        method="mint_shrink",
        constant=[False, True, False],
        **kw,  # type: ignore[arg-type]
    )
    assert (held.means[1] == 0.5).all()
    assert (held.paths[1] == 0.5).all()
    np.testing.assert_allclose(held.means[0], held.means[1] + held.means[2], rtol=1e-12)
    np.testing.assert_allclose(held.paths[0], held.paths[1] + held.paths[2], rtol=1e-12)
    # The busy customer is reconciled as it was against the region, less the constant 0.5.
    np.testing.assert_allclose(held.means[2], moved.means[0] - 0.5, rtol=1e-3)


def test_a_mean_below_what_its_own_quantiles_imply_publishes_its_paths_mean() -> None:
    """Helios exported as telemetry, 4 weeks out: a customer's published mean read 0 GPUs on
    days its paths averaged 23 (q10 0, q50 14, q90 59): MinT's point forecast, clipped at
    zero, sat on the band's q10 and passed. No non-negative demand has a mean below half its
    q50 (Markov's inequality), so such a leaf publishes its paths' mean; one whose point lies
    within its band and above that bound keeps its point."""
    rng = np.random.default_rng(0)
    # Two leaves under one parent: a bursty one (zero on 30 % of paths, else about 30) and a
    # steady one.
    bursty = np.where(rng.uniform(size=(400, 5)) < 0.3, 0.0, rng.gamma(2.0, 15.0, (400, 5)))
    steady = rng.normal(100.0, 5.0, (400, 5))
    paths = np.stack([bursty, steady], axis=2)  # (paths, h, leaves)
    summing = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])  # parent, bursty, steady
    points = np.column_stack([np.zeros(5), np.full(5, 100.0)])
    means, of_paths = means_within_their_bands(points, paths, summing=summing)
    assert np.quantile(bursty, 0.1, axis=0).max() == 0.0  # the clipped 0 sits on its q10
    np.testing.assert_allclose(means[:, 0], bursty.mean(axis=0))
    np.testing.assert_allclose(means[:, 1], 100.0)
    assert of_paths[:, 1].all() and not of_paths[:, 2].any()
