"""The named-query parser and the shipped queries.sql."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from jobforge.db.queries import parse_named_queries, query

SHIPPED = resources.files("jobforge.db").joinpath("queries.sql").read_text(encoding="utf-8")
EXPECTED_NAMES = {
    "enqueue_job",
    "enqueue_jobs",
    "get_job",
    "get_results",
    "get_follow_ups",
    "cancel_job",
    "discard_job",
    "requeue_job",
    "fire_event",
    "create_trigger",
    "claim_jobs",
    "heartbeat",
    "complete_jobs",
    "complete_jobs_with_follow_ups",
    "fail_jobs",
    "listen_jobs",
    "grant_tenant",
    "revoke_tenant",
    "prune_finished_jobs",
    "queue_stats",
    "release_jobs",
}


def test_blocks_are_split_at_headers() -> None:
    text = (
        "-- a preamble that is ignored\n\n"
        "-- first --\n-- what first does\nSELECT 1;\n\n"
        "-- second_one --\n-- what second does\n-- (two comment lines)\nSELECT 2\nFROM t;\n"
    )
    assert parse_named_queries(text) == {"first": "SELECT 1;", "second_one": "SELECT 2\nFROM t;"}


def test_no_headers_gives_no_queries() -> None:
    assert parse_named_queries("-- only a preamble\nSELECT 1;\n") == {}


def test_missing_comment_line_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'bare'.*comment"):
        parse_named_queries("-- bare --\nSELECT 1;\n")


def test_duplicate_names_are_refused() -> None:
    text = "-- twice --\n-- one\nSELECT 1;\n-- twice --\n-- two\nSELECT 2;\n"
    with pytest.raises(ValueError, match=r"'twice' is defined twice"):
        parse_named_queries(text)


@pytest.mark.parametrize(
    "text",
    [
        "-- empty --\n-- only a comment\n",
        "-- empty --\n-- only a comment\n\n   \n-- next --\n-- c\nSELECT 1;\n",
    ],
)
def test_empty_sql_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"'empty' has no SQL"):
        parse_named_queries(text)


def test_header_needs_its_exact_shape() -> None:
    # Upper case, missing trailing dashes: not headers, so the block keeps them as comments.
    text = "-- real --\n-- c\nSELECT 1;\n-- NotAHeader --\n-- half\n"
    assert parse_named_queries(text) == {"real": "SELECT 1;"}


def test_every_shipped_block_parses() -> None:
    queries = parse_named_queries(SHIPPED)
    assert set(queries) == EXPECTED_NAMES
    for name, sql in queries.items():
        assert sql.strip(), name
        assert query(name) == sql


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
def test_shipped_queries_use_named_placeholders_only(name: str) -> None:
    sql = query(name)
    without_named = re.sub(r"%\([a-z_]+\)s", "", sql)
    assert "%" not in without_named, f"{name} has a positional or stray % placeholder"


def test_unknown_query_name_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        query("no_such_query")
