"""Pieces of ``jobforge-contracts check`` output: passwords masked in the commands it
shows, and the line a stale generated file's annotation points at."""

from __future__ import annotations

import pytest

from jobforge.cli.contracts_commands.check import masked_url
from jobforge.contracts.drift.generated_files import GeneratedFile
from jobforge.contracts.drift.generated_formats import render_generated


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ci:s3cret@db:5432/app", "postgresql://ci:***@db:5432/app"),
        ("postgres://ci:s3:cr@t@db/app", "postgres://ci:***@db/app"),
        ("postgresql://db/app?user=ci&password=s3cret", "postgresql://db/app?user=ci&password=***"),
        ("postgresql://ci@db/app", "postgresql://ci@db/app"),
        ("postgresql:///app?host=/run/pg", "postgresql:///app?host=/run/pg"),
    ],
)
def test_a_url_keeps_its_form_with_the_password_masked(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_a_key_value_string_is_shown_without_its_password() -> None:
    shown = masked_url("host=db user=ci password=s3cret dbname=app")
    assert "s3cret" not in shown
    assert "host=db" in shown


@pytest.mark.parametrize(
    ("current", "expected", "line"),
    [
        ("a\nb\nc\n", "a\nB\nc\n", 2),
        ("a\nb\nc\nd\n", "a\nb\nc\n", 4),  # a line to remove at the end
        ("a\nb\n", "a\nb\nc\n", 2),  # a line missing at the end: the last one there is
        ("a\nb", "a\nb\n", 2),  # only the final newline differs
        ("", "a\n", 1),
    ],
)
def test_an_annotation_points_at_the_first_differing_line(
    current: str, expected: str, line: int
) -> None:
    files = [GeneratedFile("schema/x.json", current, expected)]
    rendered = render_generated(
        files, "github", program="p", folder="schema", fix="p", generated=1, verbose=False,
        up_to_date="ok",
    )  # fmt: skip
    assert rendered.startswith(f"::error file=schema/x.json,line={line},title=")
