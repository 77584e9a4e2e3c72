"""Every numeric flag of every command refuses a value that is no number as it refuses one out
of range: the flag, the rule, the value typed and the range allowed, exit 2, no trace."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator

import pytest

from flows.cli import build_parser, main


def _numeric_flags() -> Iterator[tuple[str, str, argparse.Action]]:
    """(command, flag, action) for every option of every command whose value is read as a
    number: its type turns "12" or "400" into an int or a float. Found by probing, so a flag
    added with a plain ``type=int`` is walked too."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command, sub in commands.choices.items():
        for action in sub._actions:
            if action.option_strings and callable(action.type) and _reads_numbers(action.type):
                yield command, action.option_strings[-1], action


def _reads_numbers(read: Callable[[str], object]) -> bool:
    """Whether an argparse type turns a small or a larger whole number into a number."""
    for typed in ("12", "400"):
        try:
            value = read(typed)
        except (ValueError, TypeError, argparse.ArgumentTypeError):
            continue
        return isinstance(value, int | float) and not isinstance(value, bool)
    return False


_FLAGS = sorted((command, flag) for command, flag, _ in _numeric_flags())


def test_the_walk_finds_the_numeric_flags() -> None:
    """The walk below is not empty by accident: it holds the flags session 59 found."""
    for found in (
        ("forecast", "--paths"),
        ("forecast", "--horizon-months"),
        ("forecast", "--horizon"),
        ("forecast", "--workers"),
        ("drill", "--factor"),
        ("drill", "--timeout"),
        ("events", "--limit"),
        ("backtest-decisions", "--every"),
        ("synth", "--days"),
    ):
        assert found in _FLAGS


@pytest.mark.parametrize(("command", "flag"), _FLAGS)
@pytest.mark.parametrize(("typed", "echoed"), [("abc", "'abc'"), ("1.5x", "'1.5x'")])
def test_every_numeric_flag_refuses_a_non_number_with_its_type_and_range(
    command: str, flag: str, typed: str, echoed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`forecast --paths abc` read argparse's "argument --paths: invalid int value: 'abc'",
    with neither the kind of value wanted nor its range, where `--paths 3` reads "--paths:
    Input should be greater than or equal to 10 (got 3; allowed 10 to 5000)". Every numeric
    flag of every command now refuses a non-number in that shape."""
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([command, flag, typed])
    assert exit_.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"error: {flag}: Input should be " in err, err
    assert f"(got {echoed}; allowed " in err, err
    assert "argument " not in err and "invalid " not in err, err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["forecast", "--paths", "1.5"],
         "fleetcast forecast: error: --paths: Input should be a whole number (got 1.5; allowed "
         "10 to 5000) (see `fleetcast forecast --help`)"),
        (["forecast", "--paths", "abc"],
         "--paths: Input should be a whole number (got 'abc'; allowed 10 to 5000)"),
        (["forecast", "--horizon-months", "x"],
         "--horizon-months: Input should be a whole number (got 'x'; allowed 0 to 120)"),
        (["forecast", "--horizon", "x"],
         "--horizon: Input should be a horizon like 26w or 182d (got 'x'; allowed 7d to 730d, "
         "1w to 104w)"),
        (["drill", "--factor", "two"],
         "fleetcast drill: error: --factor: Input should be a number (got 'two'; allowed 1 to "
         "20)"),
        (["drill", "--all", "--factor", "inf"],
         "--factor: Input should be a finite number (got inf; allowed 1 to 20)"),
        (["drill", "--seed", "1.5"],
         "--seed: Input should be a whole number (got 1.5; allowed at least 0)"),
        (["drill", "--timeout", "soon"],
         "--timeout: Input should be a number (got 'soon'; allowed above 0)"),
        (["drill", "--timeout", "0"],
         "--timeout: Input should be greater than 0 (got 0; allowed above 0)"),
        (["status", "--limit", "-1"],
         "--limit: Input should be greater than or equal to 1 (got -1; allowed at least 1)"),
        (["demand", "--customers-per-class", "ten"],
         "--customers-per-class: Input should be a whole number (got 'ten'; allowed 1 to 200)"),
        (["backtest-decisions", "--from", "2026-01-05", "--every", "x"],
         "--every: Input should be an interval like 4w or 28d (got 'x'; allowed 1d to 366d, "
         "1w to 52w)"),
    ],
)  # fmt: skip
def test_a_non_number_reads_as_a_number_out_of_range_does(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The refusals session 59 found, word for word: `forecast --paths 1.5` read "argument
    --paths: invalid int value: '1.5'", `drill --factor two` "argument --factor: 'two' is not a
    number", `status --limit -1` "argument --limit: -1 is below the smallest allowed, 1": now
    the flag, the rule, the value typed and the range, as `--horizon-months 500` reads."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert said in err, err
    assert "Traceback" not in err
