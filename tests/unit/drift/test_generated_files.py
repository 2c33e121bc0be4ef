"""Generated files that differ from what their generator writes: the fix first, a capped diff."""

from __future__ import annotations

import difflib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from jobforge.contracts.drift.generated_files import (
    DIFF_LINES_SHOWN,
    GeneratedFile,
    compare_files,
    render_report,
)

FIX = "jobforge-contracts schema"
PROGRAM = "jobforge-contracts schema"


def report(files: list[GeneratedFile], *, verbose: bool = False) -> list[str]:
    text = render_report(files, program=PROGRAM, folder="out", fix=FIX, verbose=verbose)
    assert text.endswith("\n")
    return text.splitlines()


def numbered(count: int, label: str = "line") -> str:
    return "".join(f"{label} {index}\n" for index in range(count))


def full_diff(current: str, expected: str, display: str) -> list[str]:
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(
            current.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            fromfile=display,
            tofile=f"{display} (generated)",
        )
    ]


def test_a_missing_file_names_the_file_and_the_command_and_shows_no_diff() -> None:
    lines = report([GeneratedFile("out/a.json", None, numbered(500))])
    assert lines == [
        "missing: out/a.json — run `jobforge-contracts schema`",
        "jobforge-contracts schema: out/ is out of date (1 missing, 0 changed, 0 stale); "
        "run `jobforge-contracts schema` and commit the result",
    ]


def test_a_file_stale_by_one_line_shows_the_command_first_then_the_whole_small_diff() -> None:
    current = numbered(30)
    expected = current.replace("line 15\n", "line fifteen\n")
    lines = report([GeneratedFile("out/a.json", current, expected)])
    assert lines[0] == "changed: out/a.json (+1 -1 lines) — run `jobforge-contracts schema`"
    assert lines[1:-1] == full_diff(current, expected, "out/a.json")
    assert "-line 15" in lines
    assert "+line fifteen" in lines
    assert not any("more line" in line for line in lines)


def test_a_long_diff_is_cut_after_the_first_lines_with_the_count_of_the_rest() -> None:
    current = numbered(400)
    expected = numbered(400, "row")
    diff = full_diff(current, expected, "out/a.json")
    lines = report([GeneratedFile("out/a.json", current, expected)])
    assert lines[0] == "changed: out/a.json (+400 -400 lines) — run `jobforge-contracts schema`"
    assert lines[1 : 1 + DIFF_LINES_SHOWN] == diff[:DIFF_LINES_SHOWN]
    assert lines[1 + DIFF_LINES_SHOWN] == (
        f"… and {len(diff) - DIFF_LINES_SHOWN} more lines (--verbose shows all)"
    )
    assert len(lines) == DIFF_LINES_SHOWN + 3


def test_verbose_shows_the_whole_diff() -> None:
    current = numbered(400)
    expected = numbered(400, "row")
    lines = report([GeneratedFile("out/a.json", current, expected)], verbose=True)
    assert lines[1:-1] == full_diff(current, expected, "out/a.json")


def test_one_line_over_the_cap_says_line_not_lines() -> None:
    # A diff of exactly DIFF_LINES_SHOWN + 1 lines: 3 header lines and the hunk.
    current = numbered(DIFF_LINES_SHOWN - 2)
    expected = ""
    diff = full_diff(current, expected, "out/a.json")
    assert len(diff) == DIFF_LINES_SHOWN + 1
    lines = report([GeneratedFile("out/a.json", current, expected)])
    assert lines[-2] == "… and 1 more line (--verbose shows all)"


def test_a_diff_exactly_at_the_cap_is_shown_whole() -> None:
    current = numbered(DIFF_LINES_SHOWN - 3)
    diff = full_diff(current, "", "out/a.json")
    assert len(diff) == DIFF_LINES_SHOWN
    lines = report([GeneratedFile("out/a.json", current, "")])
    assert lines[1:-1] == diff


def test_a_file_without_a_final_newline_is_marked_not_glued_to_the_next_line() -> None:
    lines = report([GeneratedFile("out/a.json", "a\nb", "a\nb\n")])
    assert lines[1:-1] == [
        "--- out/a.json",
        "+++ out/a.json (generated)",
        "@@ -1,2 +1,2 @@",
        " a",
        "-b",
        "\\ No newline at end of file",
        "+b",
    ]


def test_a_file_not_generated_any_more_is_named_with_what_to_do() -> None:
    lines = report([GeneratedFile("out/old.json", "{}\n", None)])
    assert lines == [
        "not generated: out/old.json — remove it",
        "jobforge-contracts schema: out/ is out of date (0 missing, 0 changed, 1 stale); "
        "run `jobforge-contracts schema` and commit the result",
    ]


def test_compare_files_reports_only_what_differs_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "same.json").write_text("same\n", encoding="utf-8")
    (tmp_path / "changed.json").write_text("old\n", encoding="utf-8")
    (tmp_path / "stale.json").write_text("gone\n", encoding="utf-8")
    expected = {"same.json": "same\n", "changed.json": "new\n", "missing.json": "x\n"}
    files = compare_files(tmp_path, "out", expected, ["stale.json"])
    assert files == [
        GeneratedFile("out/changed.json", "old\n", "new\n"),
        GeneratedFile("out/missing.json", None, "x\n"),
        GeneratedFile("out/stale.json", "gone\n", None),
    ]


def test_compare_files_of_an_up_to_date_folder_is_empty(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("a\n", encoding="utf-8")
    assert compare_files(tmp_path, "out", {"a.json": "a\n"}, []) == []


_texts = st.lists(st.sampled_from(["a", "b", "c", "{", "}", ""]), max_size=80).map(
    lambda lines: "".join(f"{line}\n" for line in lines)
)


@given(current=_texts, expected=_texts)
def test_shown_lines_and_the_count_of_the_rest_add_up_to_the_whole_diff(
    current: str, expected: str
) -> None:
    diff = full_diff(current, expected, "out/a.json")
    lines = report([GeneratedFile("out/a.json", current, expected)])
    body = lines[1:-1]
    if len(diff) <= DIFF_LINES_SHOWN:
        assert body == diff
        return
    assert body[:-1] == diff[:DIFF_LINES_SHOWN]
    hidden = len(diff) - DIFF_LINES_SHOWN
    assert body[-1] == f"… and {hidden} more line{'' if hidden == 1 else 's'} (--verbose shows all)"
    assert report([GeneratedFile("out/a.json", current, expected)], verbose=True)[1:-1] == diff
