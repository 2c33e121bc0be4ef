"""Canonical JSON: one encoding per value, and clear refusals naming the bad spot."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.determinism.canonical import (
    canonical_json,
    canonical_json_text,
    canonical_sha256,
    canonical_text_of_json,
    json_string,
    sha256_hex,
)
from jobforge.errors import InvalidArgument

# Strings PostgreSQL can store: no U+0000 (jsonb refuses it; canonical_json too).
STORABLE_TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | STORABLE_TEXT
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(STORABLE_TEXT, children, max_size=5)
    ),
    max_leaves=30,
)


def reinserted(value: Any) -> Any:
    """An equal value whose dicts were built in reverse insertion order."""
    if isinstance(value, dict):
        return {key: reinserted(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reinserted(item) for item in value]
    return value


@given(JSON_VALUES)
def test_equal_values_give_equal_bytes(value: Any) -> None:
    assert canonical_json(reinserted(value)) == canonical_json(value)


@given(JSON_VALUES)
def test_round_trip(value: Any) -> None:
    assert json.loads(canonical_json(value)) == value


@given(st.dictionaries(STORABLE_TEXT, st.integers(), min_size=2))
def test_keys_are_sorted_and_no_white_space(value: dict[str, int]) -> None:
    text = canonical_json_text(value)
    assert list(json.loads(text)) == sorted(value)
    assert text == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_known_encoding() -> None:
    value = {"b": [1, 2.5, None, True], "a": "é", "c": {"z": 0, "y": -0.0}}
    assert canonical_json(value) == '{"a":"é","b":[1,2.5,null,true],"c":{"y":-0.0,"z":0}}'.encode()


def test_hashes_are_of_the_canonical_bytes() -> None:
    assert canonical_sha256({"b": 1, "a": 2}) == sha256_hex(b'{"a":2,"b":1}')
    assert canonical_sha256({"b": 1, "a": 2}) == canonical_sha256({"a": 2, "b": 1})


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_with_their_path(bad: float) -> None:
    value = {"items": [1, 2, bad]}
    with pytest.raises(InvalidArgument, match=r"^payload\.items\[2\]: .*not allowed in JSON"):
        canonical_json(value, label="payload")


def test_set_is_refused_with_its_path() -> None:
    with pytest.raises(InvalidArgument, match=r"^payload\.tags: set is not a JSON value"):
        canonical_json({"tags": {"a", "b"}}, label="payload")


def test_object_is_refused_with_its_path() -> None:
    value = [{"when": datetime(2026, 1, 1, tzinfo=UTC)}]
    with pytest.raises(InvalidArgument, match=r"^value\[0\]\.when: datetime is not a JSON value"):
        canonical_json(value)


def test_mixed_key_types_are_refused_with_their_path() -> None:
    with pytest.raises(InvalidArgument, match=r"^payload\.outer: object keys must be strings"):
        canonical_json({"outer": {"a": 1, 2: "b"}}, label="payload")


def test_lone_surrogate_is_refused_with_its_path() -> None:
    with pytest.raises(InvalidArgument, match=r"^payload\.s: contains a lone surrogate"):
        canonical_json({"s": "\ud800"}, label="payload")


@given(JSON_VALUES, st.integers(min_value=0, max_value=4))
def test_nan_anywhere_is_refused(value: Any, depth: int) -> None:
    nested: Any = math.nan
    for _ in range(depth):
        nested = {"k": [value, nested]}
    with pytest.raises(InvalidArgument, match=r"^payload"):
        canonical_json(nested, label="payload")


@given(STORABLE_TEXT, STORABLE_TEXT)
def test_u0000_is_refused_with_its_path(before: str, after: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^payload\.note\[1\]: contains U\+0000"):
        canonical_json({"note": ["ok", before + "\x00" + after]}, label="payload")


def test_circular_structure_is_refused_not_walked_for_ever() -> None:
    """A value containing itself once sent the key check into an endless walk (and the
    worker thread running the handler that returned it with it)."""
    looped: dict[str, Any] = {"items": []}
    looped["items"].append(looped)
    with pytest.raises(InvalidArgument, match=r"^output: contains itself"):
        canonical_json(looped, label="output")


def test_too_deep_nesting_is_refused_clearly() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidArgument, match=r"^output: nested too deeply"):
        canonical_json(deep, label="output")


@given(JSON_VALUES)
def test_canonical_text_of_json_matches_canonical_json(value: Any) -> None:
    assert canonical_text_of_json(value).encode("utf-8") == canonical_json(value)


@given(STORABLE_TEXT)
def test_json_string_is_the_canonical_encoding_of_a_string(text: str) -> None:
    assert json_string(text) == canonical_json_text(text)
