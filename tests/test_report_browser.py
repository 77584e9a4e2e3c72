"""The published pages in a real browser: every figure draws, nothing injected runs.

Drives Debian's /usr/bin/chromium through Playwright (never `playwright install`). Screenshots
go to a temporary folder whose path is printed (run with -s to see it).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_report import PAGES, TEX, empty_inputs, sample_inputs

from forecasting.report import publish_report
from forecasting.report.format import plot_text

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright Python package"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Playwright gives the browser a fresh temporary profile of its own (it refuses
    # --user-data-dir in launch args), so nothing leaks between runs.
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fleetcast-report-shots-"))
    print(f"\nscreenshots: {folder}")
    return folder


def _open(browser: Any, page_path: Path) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "request",
        lambda r: (
            problems.append(f"network request {r.url}") if not r.url.startswith("file://") else None
        ),
    )
    page.goto(page_path.as_uri(), wait_until="load")
    return page, problems


def _check_page(browser: Any, page_path: Path, shot: Path) -> int:
    page, problems = _open(browser, page_path)
    try:
        expected = int(page.get_attribute("body", "data-figures"))
        assert page.locator("[data-figure]").count() == expected
        if expected:
            page.wait_for_function(
                "n => document.querySelectorAll('.js-plotly-plot svg.main-svg').length > 0"
                " && document.querySelectorAll('.js-plotly-plot').length === n",
                arg=expected,
                timeout=15_000,
            )
        drawn = page.evaluate(
            "Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".filter(el => el.querySelector('svg.main-svg g.trace')).length"
        )
        assert drawn == expected, page_path.name
        assert page.evaluate("typeof window.__pwned") == "undefined"
        page.screenshot(path=str(shot), full_page=True)
        print(f"  {shot}")
        assert not problems, problems
        return expected
    finally:
        page.close()


def test_every_figure_draws_without_errors(browser: Any, shots: Path, tmp_path: Path) -> None:
    folder = publish_report(sample_inputs(), root=tmp_path)
    counts = {
        name: _check_page(browser, folder / name, shots / f"sample-{name}.png") for name in PAGES
    }
    assert counts["finance.html"] == 4
    assert counts["facilities.html"] == 2
    assert counts["platform.html"] == 9
    _check_page(browser, tmp_path / "index.html", shots / "runs-index.png")


def test_hostile_names_show_literally_and_run_nothing(
    browser: Any, shots: Path, tmp_path: Path
) -> None:
    folder = publish_report(sample_inputs(hostile=True), root=tmp_path)
    for name in PAGES:
        _check_page(browser, folder / name, shots / f"hostile-{name}.png")
    page, problems = _open(browser, folder / "platform.html")
    try:
        page.wait_for_selector(".js-plotly-plot svg.main-svg")
        # plotly draws the drill name exactly as written: no MathJax, no link.
        legend = page.evaluate(
            "Array.from(document.querySelectorAll('.legendtext')).map(t => t.textContent)"
        )
        assert TEX in legend, legend
        assert plot_text(TEX) not in legend
        assert page.locator(".js-plotly-plot a").count() == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert not problems, problems
    finally:
        page.close()


def test_empty_run_says_no_data_in_the_browser(browser: Any, shots: Path, tmp_path: Path) -> None:
    folder = publish_report(empty_inputs(), root=tmp_path)
    for name in PAGES:
        assert _check_page(browser, folder / name, shots / f"empty-{name}.png") == 0
