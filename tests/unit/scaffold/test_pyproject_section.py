"""Appending [tool.jobforge] to a user's pyproject.toml: their bytes stay, the meaning adds up."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.scaffold.pyproject_section import PyprojectError, plan_pyproject

SECTION = '[tool.jobforge]\nhandler_modules = ["app.jobs"]\n\n[tool.jobforge.contracts]\n'
ADDED = {"handler_modules": ["app.jobs"], "contracts": {}}
BLOCKS = [
    "# The team's settings.  Comments stay where they are.",
    '[project]\nname = "café"  # a comment after a value\nversion = "1.0"',
    "[tool.black]\nline-length = 88",
    '[[tool.mypy.overrides]]\nmodule = ["a.*"]\nignore_missing_imports = true',
    '[tool.ruff.lint]\nselect = [\n  "E",  # errors\n  "F",\n]',
    "[build-system]\nrequires = ['hatchling']",
    '[tool.poetry.dependencies]\npython = "^3.11"',
    'multiline = """\nfirst\n  second"""',
]


def added(document: dict) -> dict:
    return {**document, "tool": {**document.get("tool", {}), "jobforge": ADDED}}


@st.composite
def pyprojects(draw: st.DrawFn) -> bytes:
    """Real-looking files: blocks in any order, LF or CRLF, any blank lines and ending."""
    chosen = draw(st.lists(st.sampled_from(BLOCKS), unique=True, max_size=len(BLOCKS)))
    # A bare key belongs before the first table; elsewhere it would join that table.
    chosen.sort(key=lambda block: not block.startswith(("multiline", "#")))
    gaps = draw(st.lists(st.sampled_from(["\n", "\n\n", "\n  \n"]), min_size=len(chosen)))
    text = "".join(block + gap for block, gap in zip(chosen, gaps, strict=False))
    ending = draw(st.sampled_from(["", "\n", "\n\n", "   ", "\n# last line, no newline"]))
    text = text.rstrip("\n") + ending
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return text.replace("\n", newline).encode("utf-8")


@given(pyprojects())
def test_the_users_bytes_stay_and_the_tables_are_added(current: bytes) -> None:
    document = tomllib.loads(current.decode("utf-8"))

    edit = plan_pyproject(current, SECTION)

    assert not edit.create
    assert edit.existing_length == len(current)
    result = current + edit.text
    assert tomllib.loads(result.decode("utf-8")) == added(document)
    if b"\r\n" in current:  # the file's own line endings are kept
        assert b"\n" not in edit.text.replace(b"\r\n", b"")


def test_a_missing_file_is_created_with_the_section() -> None:
    edit = plan_pyproject(None, SECTION)
    assert edit.create
    assert edit.text == SECTION.encode("utf-8")


def test_one_blank_line_separates_the_section() -> None:
    edit = plan_pyproject(b'[project]\nname = "x"\n', SECTION)
    assert edit.text == b"\n" + SECTION.encode("utf-8")
    edit = plan_pyproject(b'[project]\nname = "x"', SECTION)
    assert edit.text == b"\n\n" + SECTION.encode("utf-8")


@pytest.mark.parametrize(
    "current",
    [
        b"[tool.jobforge]\nhandler_modules = []\n",
        b"[tool.jobforge.contracts]\ngoldens_dir = 'g'\n",
        b"[tool]\njobforge.handler_modules = []\n",
        b"tool.jobforge = {}\n",
    ],
)
def test_an_existing_section_is_refused(current: bytes) -> None:
    with pytest.raises(PyprojectError, match=r"already has a \[tool\.jobforge\] section"):
        plan_pyproject(current, SECTION)


@pytest.mark.parametrize(
    ("current", "message"),
    [
        (b"tool = {black = {line-length = 88}}\n", "would not read as a new section"),
        (b"[project\n", "not valid TOML"),
        (b"name = '\xff'\n", "not UTF-8"),
    ],
)
def test_files_an_append_cannot_extend_are_refused(current: bytes, message: str) -> None:
    with pytest.raises(PyprojectError, match=message):
        plan_pyproject(current, SECTION)
