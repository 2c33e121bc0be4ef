"""What an API key may do: the scope grammar and ``scope_allows``, tested as properties
over generated scopes and job types, and the one grammar kept in four places."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.keys.errors import InvalidScope
from jobforge.keys.scopes import (
    SCOPE_PATTERN,
    ScopeAction,
    is_scope,
    pattern_matches,
    scope_allows,
    validate_scopes,
)
from jobforge.runners.keys import requests as runner_requests
from tests.unit.runners.keys_support import MIGRATION, runner_contract

# Few, short segments, so generated patterns and job types often meet.
SEGMENTS = st.sampled_from(["a", "b", "ab", "b-2", "c_d"])
JOB_TYPES = st.lists(SEGMENTS, min_size=1, max_size=4).map(".".join)
PATTERNS = st.lists(st.one_of(SEGMENTS, st.just("*")), min_size=1, max_size=4).map(".".join)
OTHER_SCOPES = st.sampled_from(["read:jobs", "cancel:jobs", "events:fire"])
SCOPES = st.lists(st.one_of(PATTERNS.map(lambda p: f"enqueue:{p}"), OTHER_SCOPES), max_size=5)
# Texts that are not scopes: near misses of the grammar, and anything at all.
NOT_SCOPES = st.one_of(
    st.sampled_from([
        "enqueue:", "enqueue:A.b", "enqueue:a..b", "enqueue:.a", "enqueue:a.", "enqueue:a*",
        "enqueue:**", "enqueue: a", "read:jobs ", "read:jobs\n", "READ:JOBS", "read:*",
        "enqueue:a'; DROP TABLE jobforge.jobforge_api_keys; --", "admin", "",
    ]),
    st.text(max_size=30).filter(lambda text: not is_scope(text)),
)  # fmt: skip


def reference_matches(pattern: str, job_type: str) -> bool:
    """The documented meaning, as a regular expression: ``*`` is one segment, a final
    ``*`` one or more."""
    parts = pattern.split(".")
    pieces = [r"[^.]+" if part == "*" else re.escape(part) for part in parts]
    if parts[-1] == "*":
        pieces[-1] = r"[^.]+(\.[^.]+)*"
    return re.fullmatch(r"\.".join(pieces), job_type) is not None


@given(PATTERNS, JOB_TYPES)
def test_patterns_mean_what_the_docs_say(pattern: str, job_type: str) -> None:
    assert pattern_matches(pattern, job_type) == reference_matches(pattern, job_type)
    assert scope_allows([f"enqueue:{pattern}"], ScopeAction.ENQUEUE, job_type) == (
        reference_matches(pattern, job_type)
    )


@given(JOB_TYPES)
def test_a_job_types_own_scope_allows_it_and_a_final_wildcard_its_subtypes(job_type: str) -> None:
    assert scope_allows([f"enqueue:{job_type}"], ScopeAction.ENQUEUE, job_type)
    assert scope_allows(["enqueue:*"], ScopeAction.ENQUEUE, job_type)
    assert scope_allows([f"enqueue:{job_type}.*"], ScopeAction.ENQUEUE, f"{job_type}.x.y")
    # ... but not the type itself, nor a sibling sharing its text as a prefix.
    assert not scope_allows([f"enqueue:{job_type}.*"], ScopeAction.ENQUEUE, job_type)
    assert not scope_allows([f"enqueue:{job_type}"], ScopeAction.ENQUEUE, f"{job_type}x")


@given(SCOPES, SCOPES, JOB_TYPES, st.sampled_from(list(ScopeAction)))
def test_more_scopes_never_allow_less(
    scopes: list[str], more: list[str], job_type: str, action: ScopeAction
) -> None:
    if scope_allows(scopes, action, job_type):
        assert scope_allows(scopes + more, action, job_type)


@given(SCOPES, st.lists(NOT_SCOPES, min_size=1, max_size=3), JOB_TYPES)
def test_texts_that_are_not_scopes_allow_nothing(
    scopes: list[str], junk: list[str], job_type: str
) -> None:
    for action in ScopeAction:
        assert scope_allows(scopes + junk, action, job_type) == scope_allows(
            scopes, action, job_type
        )
        assert not scope_allows(junk, action, job_type)


@given(SCOPES, JOB_TYPES)
def test_only_the_literal_scope_allows_reading_cancelling_and_firing(
    scopes: list[str], job_type: str
) -> None:
    for action in (ScopeAction.READ_JOBS, ScopeAction.CANCEL_JOBS, ScopeAction.FIRE_EVENTS):
        assert scope_allows(scopes, action, job_type) == (action.value in scopes)


@pytest.mark.parametrize(
    "job_type", [None, "", "Acme.billing", "acme..billing", "acme.*", "*", "acme.billing "]
)
def test_enqueueing_needs_a_real_job_type(job_type: str | None) -> None:
    assert not scope_allows(["enqueue:*", "enqueue:acme.*"], ScopeAction.ENQUEUE, job_type)


def test_the_examples_of_the_docs() -> None:
    scopes = ["enqueue:acme.billing.*", "enqueue:acme.*.report", "read:jobs"]
    allowed = ["acme.billing.charge", "acme.billing.invoice.send", "acme.sales.report"]
    refused = ["acme.billing", "acme.shipping.charge", "acme.sales.report.pdf", "other.billing.x"]
    for job_type in allowed:
        assert scope_allows(scopes, ScopeAction.ENQUEUE, job_type), job_type
    for job_type in refused:
        assert not scope_allows(scopes, ScopeAction.ENQUEUE, job_type), job_type
    assert scope_allows(scopes, ScopeAction.READ_JOBS)
    assert not scope_allows(scopes, ScopeAction.CANCEL_JOBS)
    assert not scope_allows(scopes, ScopeAction.FIRE_EVENTS)


@given(NOT_SCOPES)
def test_validate_scopes_refuses_what_is_not_a_scope_naming_its_index(text: str) -> None:
    with pytest.raises(InvalidScope, match=r"scopes\[1\]: expected enqueue:"):
        validate_scopes(["read:jobs", text])


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        ([], "expected 1 to 50 scopes, got 0"),
        ([f"enqueue:a{i}" for i in range(51)], "expected 1 to 50 scopes, got 51"),
        (["read:jobs", "read:jobs"], "'read:jobs' is given more than once"),
        (["enqueue:" + "a" * 201], "scopes[0]: expected"),
    ],
)
def test_validate_scopes_refuses_bad_lists(scopes: list[str], message: str) -> None:
    with pytest.raises(InvalidScope, match=re.escape(message)):
        validate_scopes(scopes)


def test_the_grammar_is_the_same_in_the_library_the_runner_the_contract_and_the_database() -> None:
    contract = runner_contract().job_types["jobforge.keys.issue"].input_schema
    in_contract = contract["$defs"]["scopes"]["items"]["pattern"]
    migration = MIGRATION.read_text(encoding="utf-8")
    in_database = re.search(r"s\.scope !~ '([^']*)'", migration)
    assert in_database is not None
    assert SCOPE_PATTERN == runner_requests.SCOPE_PATTERN == in_contract == in_database.group(1)
    assert "\\" not in SCOPE_PATTERN  # no backslash: standard_conforming_strings cannot touch it
