"""Forecast throughput and accuracy: fleetcast's default pipeline vs Nixtla statsforecast AutoETS.

Data: ``--series`` synthetic daily series of ``--days`` days (deterministic seed): level, linear
trend, weekly profile, a mild yearly cycle, permanent level shifts, AR(1) noise, and a share of
intermittent series (bursts of jobs between idle days). The frame is flat, DEMAND_SCHEMA with
the ``mean`` measure and no hierarchy (ids ``s0000``...; region, class and customer null), so
reconciliation is a no-op and both systems forecast exactly the same series. The last
``--horizon`` days are held out.

- fleetcast: ``forecast_all`` with default settings except ``horizon_days`` (backtests over the
  four default models, calibration, 200 sample paths), fanned out over a
  ``ProcessPoolExecutor(--workers)`` as ``map_fn``.
- statsforecast: ``StatsForecast([AutoETS(season_length=7)], freq="D", n_jobs=--workers)`` in
  ``benchmarks/.venv-peers`` (created by ``benchmarks/peers.sh``; statsforecast needs pandas<3),
  reading the same training series from a temporary Parquet file and writing its forecasts back.

Each system runs in its own child process with ``OPENBLAS_NUM_THREADS=1``; its peak RSS is
``ru_maxrss`` of the process itself plus that of its largest worker (``RUSAGE_CHILDREN`` is
the maximum over waited-for children, not a sum). MASE is scaled by the in-sample MAE of the
weekly seasonal naive on the training part, and averaged over series; the seasonal naive
itself (last training week repeated) is the baseline. A cProfile of a ``--profile-series``
single-process run shows where fleetcast's time goes.

Run: ``python benchmarks/bench_forecast.py [--series 1000] [--days 730]
[--out benchmarks/results/forecast.json]`` (``--no-peers`` skips statsforecast).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import polars as pl

ROOT = Path(__file__).resolve().parent.parent
PEERS_SCRIPT = ROOT / "benchmarks" / "peers.sh"
PEERS_PYTHON = ROOT / "benchmarks" / ".venv-peers" / "bin" / "python"
START = date(2023, 1, 2)  # a Monday
SEASON = 7
INTERMITTENT_SHARE = 0.15
CHILD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


# --- data --------------------------------------------------------------------------------------


def synth_values(n_series: int, n_days: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(n_series, n_days)`` non-negative daily GPU demand and a flag of intermittent series."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_days)
    out = np.empty((n_series, n_days))
    intermittent = rng.random(n_series) < INTERMITTENT_SHARE
    for i in range(n_series):
        if intermittent[i]:
            # Jobs arrive on some days only; a day's demand is a gamma-sized burst.
            p = rng.uniform(0.15, 0.6)
            size = rng.lognormal(np.log(16), 0.6)
            active = rng.random(n_days) < p
            out[i] = active * rng.gamma(2.0, size / 2.0, n_days)
            continue
        level = rng.lognormal(np.log(200), 1.0)
        growth = rng.normal(0.0004, 0.0006)  # per day, relative: -20 % .. +75 % over two years
        profile = rng.normal(0, 1, SEASON)
        profile = (profile - profile.mean()) / max(profile.std(), 1e-9) * rng.uniform(0, 0.15)
        yearly = rng.uniform(0, 0.08) * np.sin(2 * np.pi * (t / 365.25 + rng.random()))
        shifts = np.zeros(n_days)
        for day in rng.integers(30, n_days, rng.poisson(1.2)):
            shifts[day:] += rng.normal(0, 0.2)
        phi, sd = rng.uniform(0.3, 0.85), rng.uniform(0.02, 0.1)
        eps = rng.normal(0, sd * np.sqrt(1 - phi**2), n_days)
        noise = np.empty(n_days)
        noise[0] = eps[0]
        for d in range(1, n_days):
            noise[d] = phi * noise[d - 1] + eps[d]
        relative = 1 + growth * t + profile[t % SEASON] + yearly + shifts + noise
        out[i] = level * np.maximum(relative, 0.0)
    return np.round(out, 2), intermittent


def demand_frame(values: np.ndarray) -> pl.DataFrame:
    """A flat DEMAND_SCHEMA frame (measure ``mean``, no hierarchy) from a values matrix."""
    import polars as pl

    from forecasting.schema import DEMAND_SCHEMA

    n, days = values.shape
    dates = pl.date_range(START, START + timedelta(days=days - 1), "1d", eager=True)
    ids = [f"s{i:04d}" for i in range(n)]
    return (
        pl.DataFrame(
            {
                "unique_id": np.repeat(np.asarray(ids, dtype=object), days),
                "ds": np.tile(dates.to_numpy(), n),
                "measure": "mean",
                "y": values.reshape(-1),
                "region": None,
                "workload_class": None,
                "customer": None,
            }
        )
        .cast(DEMAND_SCHEMA)
        .select(DEMAND_SCHEMA.names())
    )


# --- metrics -----------------------------------------------------------------------------------


def naive_scales(train: np.ndarray) -> np.ndarray:
    """Per series, the in-sample MAE of the weekly seasonal naive (level, else 1, when zero)."""
    scale = np.mean(np.abs(train[:, SEASON:] - train[:, :-SEASON]), axis=1)
    level = np.mean(np.abs(train), axis=1)
    return np.where(scale > 0, scale, np.where(level > 0, level, 1.0))


def mase_per_series(actual: np.ndarray, pred: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """MASE of every row of ``pred`` against ``actual``."""
    return np.mean(np.abs(actual - pred), axis=1) / scales


def seasonal_naive(train: np.ndarray, horizon: int) -> np.ndarray:
    """The last training week repeated over ``horizon`` days, per series."""
    reps = -(-horizon // SEASON)
    return np.tile(train[:, -SEASON:], reps)[:, :horizon]


def interval_coverage(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of holdout days inside ``[lo, hi]`` over every series."""
    return float(np.mean((actual >= lo) & (actual <= hi)))


def _peak_rss_mib() -> dict[str, float]:
    """``ru_maxrss`` of this process and of its largest waited-for child, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self": own, "children": kids, "total": own + kids}


# --- children ----------------------------------------------------------------------------------


def _pool_map(pool: Any, chunksize: int) -> Callable[[Callable[..., Any], Iterable[Any]], Any]:
    """A ``map_fn`` for ``forecast_all`` that runs the per-series work in ``pool``."""

    def map_fn(func: Callable[..., Any], items: Iterable[Any]) -> Any:
        return pool.map(func, items, chunksize=chunksize)

    return map_fn


def child_fleetcast(train_path: Path, out_path: Path, horizon: int, workers: int) -> dict[str, Any]:
    """Run fleetcast's default pipeline on ``train_path``; write means and q10/q90."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import polars as pl

    from forecasting.forecast import ForecastSettings, forecast_all

    t0 = time.perf_counter()
    demand = pl.read_parquet(train_path)
    n_series = demand["unique_id"].n_unique()
    settings = ForecastSettings(horizon_days=horizon)
    chunksize = max(1, n_series // (workers * 16))
    t1 = time.perf_counter()
    # Forked workers deadlock on locks held by polars' thread pool at fork time: spawn them.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        result = forecast_all(demand, settings=settings, map_fn=_pool_map(pool, chunksize))
    wall = time.perf_counter() - t1
    result.forecast.select("unique_id", "ds", "mean", "q10", "q90").write_parquet(out_path)
    models = result.summary["model"].value_counts().sort("model").rows()
    return {
        "wall_s": wall,
        "setup_s": t1 - t0,
        "series": n_series,
        "peak_rss_mib": _peak_rss_mib(),
        "chosen_models": dict(models),
        "fallbacks": int(result.summary["fallback"].is_not_null().sum()),
        "calibrated": int(result.summary["calibrated"].sum()),
        "chunksize": chunksize,
    }


def child_statsforecast(
    train_path: Path, out_path: Path, horizon: int, workers: int
) -> dict[str, Any]:
    """Run statsforecast AutoETS(season_length=7) on ``train_path`` (in the peers venv)."""
    t0 = time.perf_counter()
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast import __version__ as sf_version
    from statsforecast.models import AutoETS

    frame = pd.read_parquet(train_path, columns=["unique_id", "ds", "y"])
    frame["ds"] = pd.to_datetime(frame["ds"])
    n_series = frame["unique_id"].nunique()
    sf = StatsForecast(models=[AutoETS(season_length=SEASON)], freq="D", n_jobs=workers)
    t1 = time.perf_counter()
    fc = sf.forecast(df=frame, h=horizon, level=[80])
    wall = time.perf_counter() - t1
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    fc = fc.rename(columns={"AutoETS": "mean", "AutoETS-lo-80": "q10", "AutoETS-hi-80": "q90"})
    fc["ds"] = fc["ds"].dt.date
    fc[["unique_id", "ds", "mean", "q10", "q90"]].to_parquet(out_path, index=False)
    return {
        "wall_s": wall,
        "setup_s": t1 - t0,
        "series": n_series,
        "peak_rss_mib": _peak_rss_mib(),
        "version": sf_version,
        "pandas": pd.__version__,
    }


def _run_child(
    python: Path | str, mode: str, train: Path, out: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Run one system in a fresh process; its JSON line, or raise with its stderr."""
    env = {**os.environ, **CHILD_ENV}
    cmd = [str(python), __file__, mode, str(train), str(out), str(args.horizon), str(args.workers)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ensure_peers() -> tuple[Path | None, str | None]:
    """Create the peers venv (idempotent); its python, or None and the reason it failed."""
    proc = subprocess.run(
        ["bash", str(PEERS_SCRIPT), sys.executable], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0 or not PEERS_PYTHON.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return None, "peers.sh failed (no network to PyPI?): " + " | ".join(tail)
    return PEERS_PYTHON, None


# --- profile -----------------------------------------------------------------------------------


def _where(func: tuple[str, int, str]) -> str:
    """``package.module:line:function`` for a pstats key (file, line, function)."""
    filename, line, name = func
    if filename == "~":
        return name  # a builtin
    path = Path(filename)
    parts = path.with_suffix("").parts
    for anchor in ("site-packages", "forecasting", "benchmarks"):
        if anchor in parts:
            i = parts.index(anchor)
            parts = parts[i + 1 :] if anchor == "site-packages" else parts[i:]
            break
    else:
        parts = parts[-2:]
    return f"{'.'.join(parts)}:{line}:{name}"


def profile_fleetcast(demand: pl.DataFrame, horizon: int, top: int = 10) -> dict[str, Any]:
    """cProfile of a single-process ``forecast_all``: top entries by cumulative and own time."""
    from forecasting.forecast import ForecastSettings, forecast_all

    settings = ForecastSettings(horizon_days=horizon)
    first = demand["unique_id"][0]
    # One series first, outside the profile, so lazy imports (statsmodels) are not counted.
    forecast_all(demand.filter(demand["unique_id"] == first), settings=settings)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    forecast_all(demand, settings=settings)
    profiler.disable()
    wall = time.perf_counter() - start
    stats = pstats.Stats(profiler, stream=io.StringIO())
    raw: dict[Any, tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    entries = [
        {"function": _where(key), "calls": nc, "own_s": tt, "cumulative_s": ct}
        for key, (_, nc, tt, ct, _) in raw.items()
    ]
    by_cum = sorted(entries, key=lambda e: e["cumulative_s"], reverse=True)[:top]
    by_own = sorted(entries, key=lambda e: e["own_s"], reverse=True)[:top]
    return {"series": demand["unique_id"].n_unique(), "wall_s": wall, "cumulative": by_cum,
            "own": by_own}  # fmt: skip


# --- main --------------------------------------------------------------------------------------


def _read_forecasts(path: Path, ids: list[str], horizon: int) -> dict[str, np.ndarray]:
    """``mean``, ``q10``, ``q90`` as ``(n_series, horizon)`` arrays in ``ids`` order."""
    import polars as pl

    frame = pl.read_parquet(path).sort("unique_id", "ds")
    got = frame["unique_id"].unique().sort().to_list()
    if got != sorted(ids) or frame.height != len(ids) * horizon:
        raise RuntimeError(f"{path}: expected {len(ids)} x {horizon} forecasts, got {frame.height}")
    order = {uid: i for i, uid in enumerate(sorted(ids))}
    rows = [order[uid] for uid in ids]
    return {
        c: frame[c].cast(pl.Float64).to_numpy().reshape(len(ids), horizon)[rows]
        for c in ("mean", "q10", "q90")
    }


def _accuracy(
    fc: dict[str, np.ndarray], actual: np.ndarray, scales: np.ndarray, base: np.ndarray
) -> dict[str, float]:
    m = mase_per_series(actual, fc["mean"], scales)
    return {
        "mase_mean": float(np.mean(m)),
        "mase_median": float(np.median(m)),
        "share_beating_seasonal_naive": float(np.mean(m < base)),
        "coverage_80_holdout": interval_coverage(actual, fc["q10"], fc["q90"]),
    }


def _print_table(report: dict[str, Any]) -> None:
    rows = [("seasonal naive", None, report["seasonal_naive"])]
    rows += [(name, report[name], report[name]) for name in ("fleetcast", "statsforecast")]
    print(
        f"\n{'system':16} {'series/s':>9} {'wall s':>8} {'peak RSS MiB':>13} "
        f"{'MASE mean':>10} {'MASE med':>9} {'beats SN':>9} {'cov80':>6}"
    )
    for name, run, acc in rows:
        if acc is None:
            print(f"{name:16} not run: {report.get('statsforecast_error')}")
            continue
        speed = (
            f"{run['series_per_s']:>9.1f} {run['wall_s']:>8.1f} "
            f"{run['peak_rss_mib']['total']:>13,.0f}"
            if run
            else f"{'-':>9} {'-':>8} {'-':>13}"
        )
        beats = acc.get("share_beating_seasonal_naive")
        cov = acc.get("coverage_80_holdout")
        print(
            f"{name:16} {speed} {acc['mase_mean']:>10.3f} {acc['mase_median']:>9.3f} "
            f"{'-' if beats is None else f'{beats:.0%}':>9} "
            f"{'-' if cov is None else f'{cov:.0%}':>6}"
        )
    if report["ratios"]:
        r = report["ratios"]
        print(
            f"\nfleetcast / statsforecast: speed {r['speed']:.3f}x (series/s), "
            f"MASE {r['mase']:.3f}x (mean), peak RSS {r['peak_rss']:.2f}x"
        )
    prof = report["profile"]
    print(f"\nfleetcast profile, {prof['series']} series in one process ({prof['wall_s']:.1f} s):")
    print(f"{'cumulative s':>12} {'own s':>8} {'calls':>9}  function")
    for e in prof["cumulative"]:
        print(f"{e['cumulative_s']:>12.2f} {e['own_s']:>8.2f} {e['calls']:>9,}  {e['function']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile-series", type=int, default=50)
    parser.add_argument("--no-peers", action="store_true", help="skip statsforecast")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "forecast.json"
    )
    args = parser.parse_args()

    os.environ.update(CHILD_ENV)  # the profile runs in this process
    sys.path.insert(0, str(ROOT))
    import polars as pl

    values, intermittent = synth_values(args.series, args.days, seed=args.seed)
    demand = demand_frame(values)
    ids = [f"s{i:04d}" for i in range(args.series)]
    cut = args.days - args.horizon
    train_values, actual = values[:, :cut], values[:, cut:]
    scales = naive_scales(train_values)
    base = mase_per_series(actual, seasonal_naive(train_values, args.horizon), scales)
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "shape": {
            "series": args.series,
            "days": args.days,
            "train_days": cut,
            "horizon": args.horizon,
            "intermittent_series": int(intermittent.sum()),
            "hierarchy": "flat (no aggregates; reconciliation is a no-op)",
            "measure": "mean",
            "seed": args.seed,
        },
        "workers": args.workers,
        "seasonal_naive": {
            "mase_mean": float(np.mean(base)),
            "mase_median": float(np.median(base)),
        },
        "ratios": {},
    }

    with tempfile.TemporaryDirectory(prefix="fleetcast-bench-forecast-") as tmp:
        folder = Path(tmp)
        train_path = folder / "train.parquet"
        last_train_day = START + timedelta(days=cut - 1)
        demand.filter(pl.col("ds") <= last_train_day).write_parquet(train_path)

        runs: dict[str, Path | str | None] = {"fleetcast": sys.executable}
        if args.no_peers:
            runs["statsforecast"] = None
            report["statsforecast_error"] = "skipped (--no-peers)"
        else:
            peers_python, error = ensure_peers()
            runs["statsforecast"] = peers_python
            if error:
                report["statsforecast_error"] = error
        for name, python in runs.items():
            if python is None:
                report[name] = None
                continue
            out = folder / f"{name}.parquet"
            print(f"running {name} on {args.series} series ...", flush=True)
            try:
                run = _run_child(python, f"--child-{name}", train_path, out, args)
            except RuntimeError as exc:
                if name == "fleetcast":
                    raise
                report[name], report["statsforecast_error"] = None, str(exc)
                continue
            run["series_per_s"] = run["series"] / run["wall_s"]
            fc = _read_forecasts(out, ids, args.horizon)
            report[name] = {**run, **_accuracy(fc, actual, scales, base)}

    print(f"profiling fleetcast on {args.profile_series} series ...", flush=True)
    subset = demand.filter(pl.col("unique_id").is_in(ids[: args.profile_series]))
    report["profile"] = profile_fleetcast(subset, args.horizon)

    ours, peer = report["fleetcast"], report["statsforecast"]
    if peer:
        report["ratios"] = {
            "speed": ours["series_per_s"] / peer["series_per_s"],
            "mase": ours["mase_mean"] / peer["mase_mean"],
            "peak_rss": ours["peak_rss_mib"]["total"] / peer["peak_rss_mib"]["total"],
        }
    _print_table(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1].startswith("--child-"):
        mode, train_arg, out_arg, horizon_arg, workers_arg = sys.argv[1:]
        sys.path.insert(0, str(ROOT))
        child = child_fleetcast if mode == "--child-fleetcast" else child_statsforecast
        result = child(Path(train_arg), Path(out_arg), int(horizon_arg), int(workers_arg))
        print(json.dumps(result))
        sys.exit(0)
    sys.exit(main())
