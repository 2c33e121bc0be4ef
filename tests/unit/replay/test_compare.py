from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jobforge.replay.compare import differing_paths, is_subset, restrict, unified_diff

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=10,
)


@given(json_values)
def test_every_value_contains_itself(value: object) -> None:
    assert is_subset(value, value)
    assert list(differing_paths(value, value)) == []


@given(st.dictionaries(st.text(max_size=3), json_values, max_size=4), st.text(max_size=3))
def test_an_object_with_an_extra_key_still_contains_the_original(
    value: dict[str, object], extra: str
) -> None:
    bigger = {**value, extra + "_extra": 1}
    assert is_subset(value, bigger)


def test_missing_key_or_changed_value_is_not_contained() -> None:
    assert not is_subset({"a": 1}, {"b": 1})
    assert not is_subset({"a": {"b": [1, 2]}}, {"a": {"b": [1, 3]}})
    assert not is_subset([1], [1, 2])  # lists must have the same length
    assert not is_subset(True, 1)  # booleans are not numbers
    assert is_subset(1, 1.0)


def test_differing_paths_names_the_fields() -> None:
    left = {"a": 1, "b": {"c": [1, 2]}, "d": 1}
    right = {"a": 1, "b": {"c": [1, 3]}, "e": 1}
    assert list(differing_paths(left, right)) == ["output.b.c[1]", "output.d", "output.e"]


def test_restrict_keeps_only_what_the_expectation_names() -> None:
    actual = {"a": 1, "b": {"c": 2, "d": 3}, "e": [{"f": 1, "g": 2}]}
    expected = {"b": {"c": 9}, "e": [{"g": 0}], "missing": 1}
    assert restrict(actual, expected) == {"b": {"c": 2}, "e": [{"g": 2}]}


def test_unified_diff_shows_both_sides() -> None:
    diff = unified_diff({"a": 1}, {"a": 2}, expected_label="expected", actual_label="actual")
    assert "--- expected" in diff
    assert '-  "a": 1' in diff
    assert '+  "a": 2' in diff
