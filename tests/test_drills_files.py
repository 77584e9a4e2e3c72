"""Drill files ($FLEETCAST_DRILLS) that an editor or a hand got slightly wrong: each is refused
(or read) with the file, the field (and entry) and the rule, and the folder's other drills
still load."""

from __future__ import annotations

from pathlib import Path

from forecasting.drills import scenario_folder


def _folder(tmp_path: Path, files: dict[str, bytes]) -> tuple[dict[str, str], set[str]]:
    """The refusals (by file stem) and the names of the drills that load, of a folder holding
    ``files`` beside a good drill."""
    (tmp_path / "good.toml").write_bytes(b"multiplier = 2.0\n")
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    folder = scenario_folder(tmp_path)
    return folder.refused, set(folder.ready)


def test_a_drill_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """A drill file saved by an editor with a UTF-8 BOM was refused with "not valid TOML:
    Invalid statement (at line 1, column 1)", a line that reads as plain TOML: it is read as
    telemetry and capacity.toml are, the BOM skipped."""
    refused, ready = _folder(
        tmp_path, {"bom.toml": b"\xef\xbb\xbfmultiplier = 3.0\ntarget = 'class:training'\n"}
    )
    assert refused == {}
    assert ready == {"bom", "good"}
    assert scenario_folder(tmp_path).ready["bom"].summary().startswith("3x class:training")


def test_an_empty_drill_file_is_refused_not_played_as_the_defaults(tmp_path: Path) -> None:
    """An empty drill file (0 bytes, or only comments) played "all demand x2" from the
    defaults, as if someone had written that drill: it is refused, naming the file and what a
    drill file must hold."""
    refused, ready = _folder(
        tmp_path,
        {
            "empty.toml": b"",
            "comments.toml": b"# multiplier = 3.0\n\n",
            "said.toml": b'description = "the top customer doubles"\n',
        },
    )
    assert ready == {"good"}
    for stem in ("empty", "comments", "said"):
        said = refused[stem]
        assert said.startswith(f"{tmp_path / stem}.toml: no drill in the file"), said
        assert "multiplier = 2.0" in said and "[[lose]]" in said, said
        assert "forecasting/resources/drills/" in said, said


def test_a_misspelt_drill_field_says_which_it_was_meant_to_be(tmp_path: Path) -> None:
    """A mis-cased or misspelt field (`Multiplier = 2`, `blok = ...` in a [[lose]]) read
    pydantic's "Extra inputs are not permitted (got 2)", with no word of the field meant: it
    says "did you mean 'multiplier'?", as capacity.toml's unknown fields do."""
    refused, ready = _folder(
        tmp_path,
        {
            "cased.toml": b"Multiplier = 2\n",
            "typo.toml": b'multiplier = 3.0\n[[lose]]\nblok = "b1"\n',
            "far.toml": b"multiplier = 3.0\nzzzz = 1\n",
        },
    )
    assert ready == {"good"}
    assert refused["cased"] == (
        f"{tmp_path / 'cased.toml'}: invalid drill scenario\n"
        "  field Multiplier: not a field a drill file has; did you mean 'multiplier'?"
    )
    assert (
        "  field lose.0.blok: not a field a [[lose]] entry has; did you mean 'block'?"
        in refused["typo"]
    )
    assert "Extra inputs" not in refused["typo"] + refused["far"]
    assert "field zzzz: not a field a drill file has; its fields: description, " in refused["far"]


def test_a_multiplier_with_a_decimal_comma_says_write_a_point(tmp_path: Path) -> None:
    """`multiplier = "2,0"` read "Input should be a valid number, unable to parse string as a
    number (got '2,0')": it says the comma is a decimal comma and to write a point, as a
    contracts CSV's number cell does."""
    refused, ready = _folder(tmp_path, {"comma.toml": b'multiplier = "2,0"\n'})
    assert ready == {"good"}
    assert refused["comma"] == (
        f"{tmp_path / 'comma.toml'}: invalid drill scenario\n"
        "  field multiplier: not a number: a decimal comma (2,0)? write a point (2.0)"
    )


def test_an_unquoted_decimal_comma_says_write_a_point(tmp_path: Path) -> None:
    """`multiplier = 2,0` (unquoted, as a European hand writes it) read "not valid TOML:
    Expected newline or end of document after a statement (at line 1, column 15)", with no
    word of the comma: the refusal names the line, the field and what to write."""
    refused, _ = _folder(tmp_path, {"comma.toml": b"# the top customer\nmultiplier = 2,0\n"})
    said = refused["comma"]
    assert said.startswith(f"{tmp_path / 'comma.toml'}: not valid TOML: "), said
    assert said.endswith(
        "line 2, field multiplier: not a number: a decimal comma (2,0)? write a point (2.0)"
    ), said
