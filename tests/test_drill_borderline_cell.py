"""The platform page's borderline verdict cell: the verdict and its interval on one line."""

from __future__ import annotations

import polars as pl


def test_the_platform_page_s_borderline_cell_is_its_verdict_and_interval_on_one_line() -> None:
    """The demo's delivery-slip verdict cell on the platform page held its whole reason (the
    verdicts allowed, the same group's interval twice, with and without the shock, and the
    paths to settle it with the command): nine lines at 160 columns. It reads the badge and
    the interval on one line; the verdicts allowed and what would settle it open its notes."""
    from dataclasses import replace

    from test_report import sample_inputs

    from forecasting.report.format import html_text
    from forecasting.report.pages import platform_page
    from forecasting.schema import BORDERLINE

    inputs = sample_inputs()
    name = inputs.drill_answers["drill"][0]
    why = (
        "borderline at 200 paths: pass or fails under the shock or plan fails unshocked; "
        "inference in us-east reaches its SLO target without the shock on 92.5% of paths (95% "
        "interval 88.0%-95.4%; the verdict asks 90%); inference in us-east reaches its SLO "
        "target under the shock on 92.5% of paths (95% interval 88.0%-95.4%; the verdict asks "
        "90%); about 554 independent paths would settle it (`fleetcast forecast --paths 554`, "
        "then the drill: a drill's --paths above the paths its forecast stored draws the same "
        "paths again)"
    )
    drill = pl.col("drill") == name
    answers = inputs.drill_answers.with_columns(
        verdict=pl.when(drill).then(pl.lit(BORDERLINE)).otherwise("verdict"),
        unverified=pl.when(drill).then(pl.lit(why)).otherwise("unverified"),
        passed=pl.when(drill).then(False).otherwise("passed"),
    )
    page = platform_page(replace(inputs, drill_answers=answers))
    cell = (
        f'<span class="badge unknown">{BORDERLINE}</span> inference in us-east 92.5% of 200 '
        "paths (95% interval 88.0-95.4%, asks 90%)"
    )
    assert f"<td>{cell}</td>" in page  # one cell, the text escaped as is (no markup in it)
    assert html_text(why) not in page
    assert (
        html_text(
            "borderline at 200 paths: pass or fails under the shock or plan fails unshocked; about "
            "554 independent paths would settle it (`fleetcast forecast --paths 554`"
        )
        in page
    )
