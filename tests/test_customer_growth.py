"""A customer's long-range months follow its own growth: a class's growth past the first month
goes to its customers in proportion to their shares times their own growth in their history
(shrunk toward their class's where that history is short or noisy), so a flat customer beside
growing ones keeps about its level; and no customer carries more of its class's band than
twice what the split by shares gave it, while the customers still add up.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from forecasting.horizon import extend_horizon
from tests.test_horizon import AS_OF, _short_at_recent_means, _with_parents

CLASS = "total/r1/training"
FLAT = f"{CLASS}/flat"
FAST = f"{CLASS}/fast"
STEADY = f"{CLASS}/steady"
MONTHS = 36
VALUES = ["mean", "q10", "q50", "q90", "q99"]


def _wander(rng: np.random.Generator, days: int) -> np.ndarray:
    """An AR(1) in logs (0.97 a day, 1 % shocks): a level that drifts around its trend."""
    walk = np.zeros(days)
    shocks = rng.normal(0, 0.01, days)
    for j in range(1, days):
        walk[j] = 0.97 * walk[j - 1] + shocks[j]
    return walk


def _flat_beside_growing(seed: int, days: int) -> dict[str, np.ndarray]:
    """``days`` of one class: ``flat`` at 256 GPUs (1 % noise), ``steady`` at 1,000 growing 45 %
    a year and ``fast`` at 800 growing 90 % a year in logs, both wandering with 3 % noise."""
    rng = np.random.default_rng(seed)
    years = (np.arange(days) - (days - 1)) / 365
    return {
        FLAT: 256.0 * np.exp(rng.normal(0, 0.01, days)),
        STEADY: 1000.0 * np.exp(0.45 * years + _wander(rng, days) + rng.normal(0, 0.03, days)),
        FAST: 800.0 * np.exp(0.9 * years + _wander(rng, days) + rng.normal(0, 0.03, days)),
    }


def _planned(bottoms: dict[str, np.ndarray]) -> pl.DataFrame:
    """The 36-month monthly rows of ``bottoms`` and the levels above them."""
    history = _with_parents(bottoms)
    short = _short_at_recent_means(history, tuple(bottoms))
    return extend_horizon(history, short, as_of=AS_OF, months=MONTHS).months


def _rows(months: pl.DataFrame, uid: str, measure: str) -> pl.DataFrame:
    return months.filter((pl.col("unique_id") == uid) & (pl.col("measure") == measure)).sort("ds")


def _growth_taken(months: pl.DataFrame, uid: str, measure: str) -> float:
    """How much of its share of its class's growth ``uid`` takes over the plan: its q50's
    growth in GPUs from the first month to the last over its first month's share of its
    class's q50 times the class's growth (1 for the split by shares)."""
    mine = _rows(months, uid, measure)["q50"].to_numpy()
    whole = _rows(months, CLASS, measure)["q50"].to_numpy()
    return float((mine[-1] - mine[0]) / (mine[0] / whole[0] * (whole[-1] - whole[0])))


def _adding_up_gap(months: pl.DataFrame, parts: list[str], whole: str) -> float:
    """The largest relative gap, over months and values, between the mean measure's months of
    ``parts`` summed and ``whole``'s."""
    means = months.filter(pl.col("measure") == "mean")
    summed = (
        means.filter(pl.col("unique_id").is_in(parts))
        .group_by("ds")
        .agg(pl.col(c).sum().alias(f"{c}_parts") for c in VALUES)
    )
    joined = summed.join(means.filter(pl.col("unique_id") == whole), on="ds")
    assert joined.height == MONTHS
    return max(
        float((joined[f"{c}_parts"] / joined[c] - 1).abs().max())  # type: ignore[arg-type]
        for c in VALUES
    )


@pytest.fixture(scope="module", params=[0, 1, 2])
def two_years(request: pytest.FixtureRequest) -> pl.DataFrame:
    """Two years of the flat-beside-growing class, planned 36 months, one fleet per seed."""
    return _planned(_flat_beside_growing(request.param, 730))


@pytest.mark.parametrize("measure", ["peak", "mean"])
def test_a_flat_customer_keeps_about_its_level_beside_growing_ones(
    two_years: pl.DataFrame, measure: str
) -> None:
    """`synth --customers 12 --seed 3 --days 90`, us-west training's cobalt-bio, flat at 256
    GPUs, read a monthly q50 of 810 GPUs by December 2029: a class's months were split over
    its customers by their shares, so every customer grew as its class. Two years of a flat
    customer beside two growing ones say where the class's growth comes from: the flat one
    takes less than a third of its share of it (the split by shares gave it all of it)."""
    whole = _rows(two_years, CLASS, measure)["q50"].to_numpy()
    assert whole[-1] > 2 * whole[0]  # the class does grow
    assert _growth_taken(two_years, FLAT, measure) < 0.35


@pytest.mark.parametrize("measure", ["peak", "mean"])
def test_the_class_s_growth_goes_to_the_customers_that_grew(
    two_years: pl.DataFrame, measure: str
) -> None:
    """What the flat customer no longer takes goes to the growing ones, the faster one most:
    it takes more than its share of its class's growth, the steady one more than the flat."""
    fast, steady, flat = (_growth_taken(two_years, u, measure) for u in (FAST, STEADY, FLAT))
    assert fast > 1.2, fast
    assert fast > steady > flat, (fast, steady, flat)


def test_customers_months_still_add_up_to_their_class_s(two_years: pl.DataFrame) -> None:
    """The mean measure's months add up over the class's customers at every value, as the split
    by shares made them: the growth moves between customers, not out of the class."""
    assert _adding_up_gap(two_years, [FLAT, STEADY, FAST], CLASS) < 1e-9


def test_a_short_history_keeps_more_of_the_split_by_shares() -> None:
    """A 90-day customer's growth is two 28-day steps, which say little: the same flat customer
    keeps more of its share of its class's growth on 90 days of history than on two years
    (shrunk toward the split by shares as its steps are few), on every seed."""
    for seed in (0, 1, 2):
        short, long = (
            _growth_taken(_planned(_flat_beside_growing(seed, days)), FLAT, "peak")
            for days in (90, 730)
        )
        assert short > long + 0.2, (seed, short, long)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_class_of_one_reads_its_class_s_months(seed: int) -> None:
    """A guard (it holds before and after): the only customer of a class is its class, whatever
    its growth, so its months are its class's at every value and measure; a class beside it
    with two customers is split between them."""
    rng = np.random.default_rng(seed)
    days = 400
    years = (np.arange(days) - (days - 1)) / 365
    solo = "total/r1/inference/solo"
    bottoms = {
        solo: 3000.0 * np.exp(0.6 * years + rng.normal(0, 0.03, days)),
        **_flat_beside_growing(seed, days),
    }
    del bottoms[FAST]
    months = _planned(bottoms)
    for measure in ("peak", "mean"):
        mine = _rows(months, solo, measure)
        whole = _rows(months, "total/r1/inference", measure)
        assert mine.height == MONTHS
        for c in VALUES:
            gap = np.abs(mine[c].to_numpy() / whole[c].to_numpy() - 1).max()
            assert gap < 1e-9, (measure, c, gap)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_class_all_flat_is_split_by_shares(seed: int) -> None:
    """A guard (it holds before and after): customers none of whom grew say nothing of where a
    class's growth goes, so each reads its class's months times one share from the first month
    to the last (the split by shares), and they add up."""
    rng = np.random.default_rng(seed)
    days = 400
    levels = {f"{CLASS}/a": 256.0, f"{CLASS}/b": 512.0, f"{CLASS}/c": 1024.0}
    months = _planned({u: v * np.exp(rng.normal(0, 0.02, days)) for u, v in levels.items()})
    whole = _rows(months, CLASS, "mean")
    for uid in levels:
        ratio = _rows(months, uid, "mean")["q50"].to_numpy() / whole["q50"].to_numpy()
        assert np.abs(ratio / ratio[0] - 1).max() < 1e-6, (uid, ratio)
    assert _adding_up_gap(months, list(levels), CLASS) < 1e-9


def _one_mover(seed: int) -> dict[str, np.ndarray]:
    """120 days of one class: four customers flat at 256 GPUs (1 % noise) and ``mover``, at 256
    until its last 28 days and at 512 since (the 90-day fleet's lumen-systems)."""
    rng = np.random.default_rng(seed)
    days = 120
    mover = np.where(np.arange(days) >= days - 28, 512.0, 256.0)
    flats = {f"{CLASS}/flat{i}": 256.0 * np.exp(rng.normal(0, 0.01, days)) for i in range(4)}
    return {**flats, f"{CLASS}/mover": mover * np.exp(rng.normal(0, 0.01, days))}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_moving_customer_does_not_carry_its_whole_class_s_band(seed: int) -> None:
    """`synth --customers 12 --seed 3 --days 90`: us-west training's lumen-systems, the one
    customer of its class whose busiest day moved (256 -> 512 GPUs), took what its four flat
    class-mates' narrower bands gave up, and read a December 2029 peak q90 of 23,239 GPUs on a
    q50 of 1,215. A customer's band above its median, over that median, now reads at most
    twice its class's (the split by shares, the mean measure), and the customers still add up."""
    bottoms = _one_mover(seed)
    months = _planned(bottoms)
    whole = _rows(months, CLASS, "mean")
    class_band = whole["q90"].to_numpy() / whole["q50"].to_numpy() - 1
    for uid in bottoms:
        mine = _rows(months, uid, "mean")
        band = mine["q90"].to_numpy() / mine["q50"].to_numpy() - 1
        assert (band <= 2 * class_band + 1e-9).all(), (uid, (band / class_band).max())
    assert _adding_up_gap(months, list(bottoms), CLASS) < 1e-9
