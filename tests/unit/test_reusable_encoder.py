"""ReusableEncoder writes exactly what json.JSONEncoder.encode writes, error after error."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.determinism.reusable_encoder import ReusableEncoder

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(TEXT, children, max_size=5),
    max_leaves=30,
)
SETTINGS = [
    {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False, "allow_nan": False},
    {"separators": (",", ":"), "ensure_ascii": False, "default": str},
    {},
    {"ensure_ascii": True, "sort_keys": True},
    {"indent": 2},
]


def _reference(encoder: json.JSONEncoder, value: Any) -> str | type[Exception]:
    try:
        return encoder.encode(value)
    except (TypeError, ValueError) as exc:
        return type(exc)


def _reusable(encoder: ReusableEncoder, value: Any) -> str | type[Exception]:
    try:
        return encoder.encode(value)
    except (TypeError, ValueError) as exc:
        return type(exc)


@pytest.mark.parametrize("settings", SETTINGS, ids=range(len(SETTINGS)))
@given(values=st.lists(JSON_VALUES | st.just(float("nan")) | st.just({1j}), max_size=4))
def test_same_output_or_error_as_the_json_module(settings: dict[str, Any], values: Any) -> None:
    reference = json.JSONEncoder(**settings)
    reusable = ReusableEncoder(reference)
    for value in values:  # one encoder across values: an error must not spoil the next
        assert _reusable(reusable, value) == _reference(reference, value)


def test_circular_reference_is_detected_every_time() -> None:
    encoder = ReusableEncoder(json.JSONEncoder())
    looped: list[Any] = []
    looped.append(looped)
    for _ in range(3):
        with pytest.raises(ValueError, match="Circular reference"):
            encoder.encode(looped)
        assert encoder.encode([[1], [1]]) == "[[1], [1]]"  # shared, not circular


def test_threads_encoding_at_once_get_their_own_output() -> None:
    encoder = ReusableEncoder(json.JSONEncoder(sort_keys=True))
    failures: list[str] = []

    def encode_many(index: int) -> None:
        for n in range(2_000):
            value = {"thread": index, "n": n, "nested": [{"n": n}] * 3}
            if encoder.encode(value) != json.dumps(value, sort_keys=True):
                failures.append(f"thread {index}, n {n}")

    threads = [threading.Thread(target=encode_many, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
