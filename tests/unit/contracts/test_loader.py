"""The loader: refusals with positions, and positions that point at the right text."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jobforge.contracts.loading.json_positions import scan_json
from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.problems.problem import Position


def _load(tmp_path: Path, name: str, content: bytes, **options: Any) -> Any:
    path = tmp_path / name
    path.write_bytes(content)
    return load_file(path, name, **options)


def _only(loaded: Any) -> tuple[str, Position, str]:
    assert len(loaded.problems) == 1, loaded.problems
    problem = loaded.problems[0]
    return problem.rule.id, problem.position, problem.message


def test_non_utf8_byte_is_located(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.json", b'{\n  "a": "caf\xe9"\n}\n')
    assert _only(loaded) == (
        "JF106",
        Position(2, 12),
        "byte 0xe9 at offset 13 is not UTF-8; save the file as UTF-8",
    )


def test_byte_order_mark_is_refused_in_json(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.json", b"\xef\xbb\xbf{}")
    assert _only(loaded)[0] == "JF101"
    assert "byte order mark" in _only(loaded)[2]


def test_file_above_the_limit_is_not_read(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.json", b"{}" + b" " * 100, max_bytes=50)
    assert _only(loaded) == (
        "JF108",
        Position(1, 1),
        "file is 102 bytes, above the limit of 50 bytes "
        "(max_file_bytes in [tool.jobforge.contracts])",
    )


def test_empty_yaml_and_json(tmp_path: Path) -> None:
    assert _only(_load(tmp_path, "a.json", b""))[0] == "JF107"
    assert _only(_load(tmp_path, "a.yaml", b"\n\n"))[0] == "JF107"


def test_yaml_duplicate_key_in_nested_mapping(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.yaml", b"a:\n  b: 1\n  b: 2\n")
    rule, position, message = _only(loaded)
    assert (rule, position) == ("JF103", Position(3, 3))
    assert message == "duplicate key 'b' (a key may appear once per mapping)"


def test_json_duplicates_and_constants_all_reported(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.json", b'{"a": [NaN, {"b": 1, "b": 2}], "a": 1}')
    found = sorted((p.rule.id, p.position.column) for p in loaded.problems)
    assert found == [("JF103", 22), ("JF103", 32), ("JF105", 8)]


def test_huge_integer_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.json", b'{"a": ' + b"9" * 5000 + b"}")
    assert _only(loaded)[0] == "JF101"


def test_deep_nesting_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.json", b"[" * 100_000 + b"]" * 100_000)
    assert _only(loaded)[0] == "JF101"


def test_yaml_positions_of_keys_and_values(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.yaml", b"top:\n  list:\n    - x: 1\n      y: two\n")
    assert loaded.ok
    assert loaded.data == {"top": {"list": [{"x": 1, "y": "two"}]}}
    assert loaded.positions.key(("top", "list", 0, "y")) == Position(4, 7)
    assert loaded.positions.value(("top", "list", 0, "y")) == Position(4, 10)
    # A path that is not in the file resolves to its nearest parent.
    assert loaded.positions.value(("top", "list", 0, "missing")) == Position(3, 7)


def test_yaml_is_plain_data(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.yaml", b"a: 'quoted'\nb: 0x10\nc: 1.5\nd: null\ne: yes\n")
    assert loaded.data == {"a": "quoted", "b": 16, "c": 1.5, "d": None, "e": "yes"}
    assert [type(value) for value in loaded.data.values()] == [str, int, float, type(None), str]


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    found = [(path, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


@settings(max_examples=200)
@given(value=JSON_VALUES, indent=st.sampled_from([None, 0, 2]), ascii_only=st.booleans())
def test_scanner_positions_point_at_each_value(
    value: Any, indent: int | None, ascii_only: bool
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    lines = text.split("\n")
    offsets = [0]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    positions = scan_json(text).positions
    decoder = json.JSONDecoder()
    for path, expected in _paths(value):
        position = positions.value(path)
        offset = offsets[position.line - 1] + position.column - 1
        decoded, _ = decoder.raw_decode(text, offset)
        assert decoded == expected


@settings(max_examples=300)
@given(
    content=st.binary(max_size=200)
    | st.text(alphabet='{}[]":,tfnul0123456789.eE-+ \n\\aNIy&*!#-|>', max_size=80).map(
        lambda text: text.encode("utf-8")
    ),
    suffix=st.sampled_from([".json", ".yaml"]),
)
def test_any_bytes_load_or_report_never_raise(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"any{suffix}"
        path.write_bytes(content)
        loaded = load_file(path, path.name)
    assert loaded.ok or loaded.problems
    for problem in loaded.problems:
        assert problem.position.line >= 1
        assert problem.position.column >= 1


def test_yaml_merge_key_alias_is_refused(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.yaml", b"base: &base {a: 1}\nother:\n  <<: *base\n")
    assert _only(loaded)[:2] == ("JF109", Position(1, 7))


def test_deeply_nested_yaml_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.yaml", b"a: " + b"[" * 500 + b"]" * 500)
    assert _only(loaded) == ("JF102", Position(1, 103), "nested deeper than 100 levels")
