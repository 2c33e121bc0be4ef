"""The json/jsonb column decoder reads what json.loads reads, and fails where it fails."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.db.json_loading import loads

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(TEXT, children, max_size=5),
    max_leaves=30,
)


@given(JSON_VALUES, st.sampled_from([(", ", ": "), (",", ":")]), st.sampled_from(["", " ", "\n"]))
def test_same_value_as_json_loads(value: Any, separators: tuple[str, str], padding: str) -> None:
    # PostgreSQL writes jsonb as ``{"a": 1, "b": [2]}``; json columns keep what was stored.
    text = padding + json.dumps(value, separators=separators, ensure_ascii=False) + padding
    assert loads(text.encode("utf-8")) == json.loads(text)
    assert loads(memoryview(text.encode("utf-8"))) == json.loads(text)


@pytest.mark.parametrize("text", ["", "{", "[1,]", "1 2", "nul", '{"a" 1}'])
def test_invalid_text_fails_as_json_loads_does(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as actual:
        loads(text.encode("utf-8"))
    assert str(actual.value) == str(expected.value)
