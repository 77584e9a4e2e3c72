"""fleetcast installed as a real package: a wheel, not the source tree, run from an empty folder."""

from __future__ import annotations

import os
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _tree(folder: Path) -> dict[str, int]:
    """Every file below ``folder`` with its modification time, to see what a run wrote.

    Hidden folders (.git, .venv, tool caches) and __pycache__ are left out, and not walked:
    git and the test runner write there while the demo runs.
    """
    files: dict[str, int] = {}
    for parent, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for name in names:
            path = Path(parent, name)
            files[str(path.relative_to(folder))] = path.stat().st_mtime_ns
    return files


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding fleetcast built as a wheel (``pip install .``, not editable).

    Its dependencies come from the test's own environment through a .pth line, so the test
    needs no network and installs in seconds; fleetcast itself is only the built wheel (the
    editable install's path hook in that environment is not processed from a .pth line).
    """
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "fleetcast-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", str(ROOT)],
        check=True,
        cwd=tmp_path_factory.mktemp("build"),
    )
    return env_dir


# The demo runs the whole pipeline (52 s on an idle 2-core machine, 112 s beside the suite's
# other worker, 446 s with five other pipelines running): this limit is the slowest of those
# twice over, and under the test's own pytest limit, so that a run that stalls fails
# with what it printed.
_RUN_TIMEOUT_S = 1080


def _run(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # PREFECT_HOME stays the worker's private one (conftest): Prefect's own state is not the
    # demo's output, and a fresh home migrates a new database first (about 10 s).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEETCAST_", "PYTHONPATH"))}
    # Unbuffered, so that a run stopped at the time limit has printed all it got to.
    env["PYTHONUNBUFFERED"] = "1"
    try:
        return subprocess.run(
            [str(installed / "bin" / "fleetcast"), *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_RUN_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as stalled:
        printed = [
            stream.decode(errors="replace") if isinstance(stream, bytes) else stream or ""
            for stream in (stalled.stdout, stalled.stderr)
        ]
        pytest.fail(
            f"`fleetcast {' '.join(args)}` ran past {_RUN_TIMEOUT_S} s; it printed:\n"
            f"{printed[0][-3000:]}\n--- stderr ---\n{printed[1][-3000:]}"
        )


def test_the_wheel_is_what_runs(installed: Path, tmp_path: Path) -> None:
    """The installed command imports fleetcast from the wheel, not from this checkout."""
    python = installed / "bin" / "python"
    where = subprocess.run(
        [python, "-c", "import forecasting, flows; print(forecasting.__file__, flows.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # Compared as paths, not substrings: a checkout at /f is a prefix of every ".../flows".
    assert not [w for w in where if Path(w).is_relative_to(ROOT)], where
    assert all(Path(w).is_relative_to(installed) for w in where), where


@pytest.mark.timeout(_RUN_TIMEOUT_S + 120)
def test_demo_writes_only_into_the_current_folder(installed: Path, tmp_path: Path) -> None:
    """`fleetcast demo` in an empty folder puts its warehouse, data and reports there, only."""
    before_checkout = _tree(ROOT)
    before_package = _tree(installed)
    # A small fleet: what is checked is where the files go, and every step still runs.
    result = _run(installed, tmp_path, "demo", "--days", "42", "--customers", "12")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    written = _tree(tmp_path)
    assert any(p.endswith(".duckdb") for p in written), sorted(written)
    assert any(p.endswith("index.html") for p in written), sorted(written)
    assert _tree(ROOT) == before_checkout
    changed = {p for p, t in _tree(installed).items() if before_package.get(p) != t}
    assert not {p for p in changed if not p.endswith(".pyc")}, sorted(changed)


def test_ready_made_drills_and_sample_plan_ship_in_the_wheel(
    installed: Path, tmp_path: Path
) -> None:
    """Package data: the ready-made drills and the sample capacity plan are inside the wheel."""
    result = _run(installed, tmp_path, "capacity", "--sample")
    assert result.returncode == 0, result.stderr
    assert "Capacity blocks" in result.stdout
    code = (
        "from importlib.resources import files; "
        "print(sorted(p.name for p in files('forecasting.resources').joinpath('drills').iterdir()))"
    )
    names = subprocess.run(
        [installed / "bin" / "python", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "inference-2x.toml" in names


def test_usage_errors_are_one_line_and_exit_2(installed: Path, tmp_path: Path) -> None:
    """A bad argument value exits 2 with one line on stderr, never a traceback."""
    result = _run(installed, tmp_path, "synth", "--customers", "10")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "customers" in result.stderr
