"""`--update` edits a golden the way a person would: only the values that are wrong."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from jobforge.errors import JobForgeError
from jobforge.replay.update import write_expected_output

# The sample golden of the issue: an indented sequence under connector_responses, inline
# comments, flow lists and quoted strings around the one value that is wrong.
GOLDEN = """\
# yaml-language-server: $schema=../../contracts/schema/golden.schema.json
name: a zone allowing TLS 1.0 and missing headers gets findings   # the case name
job_type: autopilot.ops.scan
tenant: 00000000-0000-4000-8000-000000000001
input:
  zone: legacy.example.com
  checks: [tls, headers]   # flow style
expected_output:  # reviewed by hand
  passed: false
  findings:
    - check: headers   # first finding
      severity: medium
      message: 'header content-security-policy is not set'
    - check: tls
      severity: low   # wrong on purpose
      message: "minimum TLS version is 1.0; require 1.2 or later"
  checked: [tls, headers]
deterministic: true
connector_responses:
  - connector_id: readylayer.cdn
    operation: get_zone_settings
    request: {zone: legacy.example.com}
    response:
      tls_min_version: "1.0"
      security_headers: [strict-transport-security, x-frame-options]
"""

ACTUAL: dict[str, Any] = {
    "checked": ["tls", "headers"],  # another key order than the golden's
    "scanned_at": "2000-01-01T00:00:00+00:00",  # a key the golden leaves out
    "findings": [
        {
            "severity": "medium",
            "check": "headers",
            "message": "header content-security-policy is not set",
        },
        {
            "message": "minimum TLS version is 1.0; require 1.2 or later",
            "check": "tls",
            "severity": "high",
        },
    ],
    "passed": False,
}


def update(tmp_path: Path, text: str, actual: Any, *, name: str = "case.yaml") -> str:
    golden = tmp_path / name
    golden.write_bytes(text.encode("utf-8"))
    assert write_expected_output(golden, actual) is True
    return golden.read_bytes().decode("utf-8")


def test_one_wrong_value_changes_one_line_and_nothing_else(tmp_path: Path) -> None:
    updated = update(tmp_path, GOLDEN, ACTUAL)
    assert updated == GOLDEN.replace(
        "      severity: low   # wrong on purpose", "      severity: high   # wrong on purpose"
    )


def test_an_unchanged_golden_stays_byte_identical_and_is_not_rewritten(tmp_path: Path) -> None:
    golden = tmp_path / "case.yaml"
    golden.write_text(GOLDEN.replace("severity: low", "severity: high"), encoding="utf-8")
    before = golden.read_bytes()
    mtime = golden.stat().st_mtime_ns
    assert write_expected_output(golden, ACTUAL) is False
    assert golden.read_bytes() == before
    assert golden.stat().st_mtime_ns == mtime
    assert [p.name for p in tmp_path.iterdir()] == ["case.yaml"]


def test_quoting_is_kept_when_the_new_value_can_be_written_in_it(tmp_path: Path) -> None:
    text = "expected_output:\n  a: 'single'\n  b: \"double\"\n  c: plain\n  d: 'one'\n"
    actual = {"a": "it's", "b": "new", "c": "also plain", "d": "two\nlines"}
    assert update(tmp_path, text, actual) == (
        "expected_output:\n"
        "  a: 'it''s'\n"
        '  b: "new"\n'
        "  c: also plain\n"
        '  d: "two\\nlines"\n'  # single quotes cannot hold a line break on one line
    )


def test_a_value_plain_style_would_misread_is_double_quoted(tmp_path: Path) -> None:
    text = "expected_output:\n  a: x\n  b: x\n  c: x\n  d: x\n"
    actual = {"a": "true", "b": "1.5", "c": "key: value", "d": "# no comment"}
    assert update(tmp_path, text, actual) == (
        'expected_output:\n  a: "true"\n  b: "1.5"\n  c: "key: value"\n  d: "# no comment"\n'
    )


def test_flow_lists_stay_flow_and_keep_their_comment(tmp_path: Path) -> None:
    text = "expected_output:\n  hot: [h0, 'h1', \"h2\"]   # flow\n  cold: {a: 1, b: 2}\n"
    updated = update(tmp_path, text, {"hot": ["h0", "h1", "h2", "h3"], "cold": {"a": 1}})
    assert updated == "expected_output:\n  hot: [h0, 'h1', \"h2\", h3]   # flow\n  cold: {a: 1}\n"


def test_a_changed_item_of_a_flow_list_keeps_the_others_as_written(tmp_path: Path) -> None:
    text = "expected_output:\n  hot: [ 'h0', \"h1\" ]\n"
    updated = update(tmp_path, text, {"hot": ["h0", "hX"]})
    assert updated == "expected_output:\n  hot: [ 'h0', \"hX\" ]\n"


def test_a_literal_block_keeps_its_style_indentation_and_header_comment(tmp_path: Path) -> None:
    text = (
        "expected_output:\n"
        "  report: |  # the rendered report\n"
        "      line one\n"
        "      line two\n"
        "next: 1\n"
    )
    updated = update(tmp_path, text, {"report": "line one\nline 2\n"})
    assert updated == text.replace("line two", "line 2")
    updated = update(tmp_path, text, {"report": "just one line"}, name="again.yaml")
    assert updated == (
        "expected_output:\n  report: |-  # the rendered report\n      just one line\nnext: 1\n"
    )


def test_a_multi_line_string_replacing_a_plain_one_becomes_a_literal_block(
    tmp_path: Path,
) -> None:
    text = "expected_output:\n  report: short   # was one line\nnext: 1\n"
    updated = update(tmp_path, text, {"report": "first\nsecond\n"})
    assert updated == (
        "expected_output:\n  report: |   # was one line\n    first\n    second\nnext: 1\n"
    )


def test_block_list_items_are_inserted_and_deleted_as_whole_lines(tmp_path: Path) -> None:
    text = (
        "expected_output:\n"
        "  items:\n"
        "    - a   # about a\n"
        "    - b   # about b\n"
        "    - c   # about c\n"
    )
    updated = update(tmp_path, text, {"items": ["new", "a", "c"]})
    assert updated == (
        "expected_output:\n  items:\n    - new\n    - a   # about a\n    - c   # about c\n"
    )


def test_a_new_list_item_follows_the_style_of_its_siblings(tmp_path: Path) -> None:
    text = "expected_output:\n  findings:\n  - check: a\n    level: 1\nlast: true\n"
    updated = update(
        tmp_path, text, {"findings": [{"check": "a", "level": 1}, {"check": "b", "level": 2}]}
    )
    assert updated == (
        "expected_output:\n"
        "  findings:\n"
        "  - check: a\n"
        "    level: 1\n"
        "  - check: b\n"
        "    level: 2\n"
        "last: true\n"
    )


def test_keys_the_output_lacks_are_deleted_and_extra_output_keys_not_added(
    tmp_path: Path,
) -> None:
    text = "expected_output:\n  - gone: 1\n    kept: 2   # stays\n  - other: 3\n"
    updated = update(tmp_path, text, [{"kept": 2, "extra": 0}, {"other": 3}])
    assert updated == "expected_output:\n  - kept: 2   # stays\n  - other: 3\n"


def test_an_exact_golden_gets_the_missing_keys_after_its_own(tmp_path: Path) -> None:
    text = "exact: true\nexpected_output:\n  b: 1   # first\n  a: 2\n"
    updated = update(tmp_path, text, {"a": 2, "b": 1, "c": {"d": [1, "x y"]}})
    assert updated == (
        "exact: true\n"
        "expected_output:\n"
        "  b: 1   # first\n"
        "  a: 2\n"
        "  c:\n"
        "    d:\n"
        "      - 1\n"
        "      - x y\n"
    )


def test_a_value_changing_type_is_written_in_the_style_of_its_context(tmp_path: Path) -> None:
    text = "expected_output:\n  a: 5   # five\n  b:\n    c: 1\n  d:\n"
    updated = update(tmp_path, text, {"a": {"x": 1}, "b": "flat", "d": ["p", "q"]})
    assert updated == (
        "expected_output:\n  a:   # five\n    x: 1\n  b: flat\n  d:\n    - p\n    - q\n"
    )


def test_an_alias_inside_expected_output_is_written_out_there_only(tmp_path: Path) -> None:
    text = "defaults: &d {level: 1}\ninput: *d\nexpected_output:\n  got: *d\n  other: 2\n"
    updated = update(tmp_path, text, {"got": {"level": 2}, "other": 2})
    assert updated == (
        "defaults: &d {level: 1}\ninput: *d\nexpected_output:\n  got:\n    level: 2\n  other: 2\n"
    )


def test_an_anchored_value_another_key_uses_is_refused(tmp_path: Path) -> None:
    text = "expected_output:\n  a: &shared 1\ninput: *shared\n"
    golden = tmp_path / "case.yaml"
    golden.write_text(text, encoding="utf-8")
    with pytest.raises(JobForgeError, match=r"case\.yaml:2:6: .*anchor &shared"):
        write_expected_output(golden, {"a": 2})
    assert golden.read_text(encoding="utf-8") == text


def test_a_missing_expected_output_is_appended_at_the_end(tmp_path: Path) -> None:
    text = "name: x   # kept\ninput: {}"  # no line break at the end
    updated = update(tmp_path, text, {"hot": ["h1"], "count": 1})
    assert (
        updated == "name: x   # kept\ninput: {}\nexpected_output:\n  hot:\n    - h1\n  count: 1\n"
    )


def test_windows_line_breaks_are_kept(tmp_path: Path) -> None:
    text = "name: x\r\nexpected_output:\r\n  a: 1\r\n  b: [1]\r\n"
    updated = update(tmp_path, text, {"a": "two\nlines", "b": [1]})
    assert (
        updated == "name: x\r\nexpected_output:\r\n  a: |-\r\n    two\r\n    lines\r\n  b: [1]\r\n"
    )


def test_the_file_keeps_its_permissions(tmp_path: Path) -> None:
    golden = tmp_path / "case.yaml"
    golden.write_text("expected_output: 1\n", encoding="utf-8")
    golden.chmod(0o640)
    assert write_expected_output(golden, 2) is True
    assert stat.S_IMODE(golden.stat().st_mode) == 0o640
    assert golden.read_text(encoding="utf-8") == "expected_output: 2\n"


def test_an_edit_that_would_not_read_back_right_is_refused(tmp_path: Path) -> None:
    # Under YAML 1.1 a plain `yes` is a boolean; the update writes it plain (as YAML 1.2
    # reads it), so reading it back fails and the file is left alone.
    text = "%YAML 1.1\n---\nexpected_output:\n  answer: maybe\n"
    golden = tmp_path / "case.yaml"
    golden.write_text(text, encoding="utf-8")
    with pytest.raises(JobForgeError, match=r"case\.yaml: cannot update expected_output in place"):
        write_expected_output(golden, {"answer": "yes"})
    assert golden.read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.iterdir()] == ["case.yaml"]


def test_a_golden_that_is_not_yaml_is_refused_with_its_position(tmp_path: Path) -> None:
    golden = tmp_path / "case.yaml"
    golden.write_text("expected_output:\n  a: [1, 2\n", encoding="utf-8")
    with pytest.raises(JobForgeError, match=r"case\.yaml:3:1: cannot update a golden"):
        write_expected_output(golden, {"a": 1})


def test_a_golden_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    golden = tmp_path / "case.yaml"
    golden.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(JobForgeError, match="expected a mapping at the top level"):
        write_expected_output(golden, {})
    assert golden.read_text(encoding="utf-8") == "- 1\n"


def test_mixed_line_breaks_are_left_as_they_are(tmp_path: Path) -> None:
    text = "name: x\nexpected_output:\r\n  a: 1\r\n  b: 2\n"
    assert update(tmp_path, text, {"a": 3, "b": 2}) == text.replace("a: 1", "a: 3")
