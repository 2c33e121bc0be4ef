"""The loader: refusals with positions, and positions that point at the right text."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobforge.contracts.loading.json_positions import scan_json
from jobforge.contracts.loading.json_syntax import nesting_too_deep
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
    assert message == 'duplicate key "b" (a key may appear once per mapping)'


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
    | st.text(alphabet="{}[]\":,tfnul0123456789.eE-+ \n\\aNIy&*!#-|>'/<%", max_size=80).map(
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


@pytest.mark.parametrize(
    ("text", "line", "column", "scalar"),
    [
        (b"a: ._\n", 1, 4, "._"),
        (b"x:\n  - 1\n  - {b: -_}\n", 3, 9, "-_"),
        (b"k: [1, 0x_]\n", 1, 8, "0x_"),
    ],
)
def test_a_malformed_number_is_reported_where_it_is(
    tmp_path: Path, text: bytes, line: int, column: int, scalar: str
) -> None:
    loaded = _load(tmp_path, "a.yaml", text)
    [problem] = loaded.problems
    assert (problem.position.line, problem.position.column) == (line, column)
    assert problem.message.startswith(f'"{scalar}" looks like a number but is not one; quote')


def test_yaml_merge_key_alias_is_refused(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.yaml", b"base: &base {a: 1}\nother:\n  <<: *base\n")
    assert _only(loaded)[:2] == ("JF109", Position(1, 7))


def test_deeply_nested_yaml_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.yaml", b"a: " + b"[" * 500 + b"]" * 500)
    assert _only(loaded) == ("JF102", Position(1, 103), "nesting deeper than 100 levels")


# ---------------------------------------------------------------- YAML tags


def _problems(loaded: Any) -> list[tuple[str, Position, str]]:
    found = [(p.rule.id, p.position, p.message) for p in loaded.problems]
    return sorted(found, key=lambda problem: (problem[1].line, problem[1].column))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            '!!python/object/apply:os.system ["true"]',
            "the YAML tag !!python/object/apply:os.system is not allowed; "
            "remove it to write a plain sequence",
        ),
        ("!foo [a]", "the YAML tag !foo is not allowed; remove it to write a plain sequence"),
        (
            "!!omap [a: 1]",
            "the YAML tag !!omap is not allowed; remove it to write a plain sequence",
        ),
        (
            "!!pairs [a: 1]",
            "the YAML tag !!pairs is not allowed; remove it to write a plain sequence",
        ),
        (
            "!!python/object/apply:os.system {args: [x]}",
            "the YAML tag !!python/object/apply:os.system is not allowed; "
            "remove it to write a plain mapping",
        ),
        ("!!set {a, b}", "the YAML tag !!set is not allowed; remove it to write a plain mapping"),
        (
            "!foo x",
            "the YAML tag !foo is not allowed; remove it (quote the value to keep it as text)",
        ),
        (
            "!!binary aGVsbG8=",
            "the YAML tag !!binary is not allowed; remove it (quote the value to keep it as text)",
        ),
        (
            "!!timestamp 2020-01-01",
            "the YAML tag !!timestamp is not allowed; "
            "remove it (quote the value to keep it as text)",
        ),
        (
            "!!merge <<",
            "the YAML tag !!merge is not allowed; remove it (quote the value to keep it as text)",
        ),
        ("! 3", "the YAML tag ! is not allowed; remove it (quote the value to keep it as text)"),
        (
            "!<tag:example.com,2000:x> 3",
            "the YAML tag !<tag:example.com,2000:x> is not allowed; "
            "remove it (quote the value to keep it as text)",
        ),
        ("!!map [a]", "the YAML tag !!map needs a mapping, got a sequence; remove it"),
        ("!!seq {a: 1}", "the YAML tag !!seq needs a sequence, got a mapping; remove it"),
        ("!!str [a]", "the YAML tag !!str needs a scalar, got a sequence; remove it"),
        ("!!int {a: 1}", "the YAML tag !!int needs a scalar, got a mapping; remove it"),
        ("!!int abc", 'the YAML tag !!int needs an integer, got "abc"; remove it'),
        ("!!int 1_000", 'the YAML tag !!int needs an integer, got "1_000"; remove it'),
        ("!!int 1.5", 'the YAML tag !!int needs an integer, got "1.5"; remove it'),
        ("!!float abc", 'the YAML tag !!float needs a number, got "abc"; remove it'),
        ("!!bool yes", 'the YAML tag !!bool needs true or false, got "yes"; remove it'),
        ("!!null x", 'the YAML tag !!null needs null, got "x"; remove it'),
    ],
)
def test_yaml_tags_other_than_the_core_schema_are_refused(
    tmp_path: Path, value: str, message: str
) -> None:
    loaded = _load(tmp_path, "a.yaml", f"name: {value}\n".encode())
    assert _only(loaded) == ("JF115", Position(1, 7), message)


def test_a_tag_redefined_by_a_directive_is_not_the_standard_one(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.yaml", b"%TAG !! tag:example.com,2000:\n---\nname: !!str x\n")
    assert _only(loaded) == (
        "JF115",
        Position(3, 7),
        "the YAML tag !!str is not allowed; remove it (quote the value to keep it as text)",
    )


def test_every_tag_in_a_file_is_reported_keys_and_nested_values_too(tmp_path: Path) -> None:
    content = b"!top\na: !outer\n  - !inner x\n!key k: 1\n"
    assert [
        (rule, position) for rule, position, _ in _problems(_load(tmp_path, "a.yaml", content))
    ] == [
        ("JF115", Position(1, 1)),
        ("JF115", Position(2, 4)),
        ("JF115", Position(3, 5)),
        ("JF115", Position(4, 1)),
    ]


@pytest.mark.parametrize(
    "value",
    [
        '!!python/object/apply:os.system ["touch {marker}"]',
        '!!python/object/apply:os.system {{args: ["touch {marker}"]}}',
        '!!python/object/apply:os.system "touch {marker}"',
        '!!python/object/new:os.system ["touch {marker}"]',
        '!!python/name:os.system ""',
    ],
)
def test_a_tag_never_constructs_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    marker = tmp_path / "X"
    monkeypatch.chdir(tmp_path)
    loaded = _load(tmp_path, "a.yaml", ("name: " + value.format(marker=marker) + "\n").encode())
    assert [problem.rule.id for problem in loaded.problems] == ["JF115"]
    assert not marker.exists()
    assert not (tmp_path / "X").exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("!!str 3", "3"),
        ("!!str", ""),
        ("!!str 'x'", "x"),
        ("!!str true", "true"),
        ("!<tag:yaml.org,2002:str> 3", "3"),
        ('!!int "3"', 3),
        ("!!int -3", -3),
        ("!!int 0o17", 15),
        ("!!int 0x1F", 31),
        ("!!float 3", 3.0),
        ("!!float -.5e3", -500.0),
        ("!!bool TRUE", True),
        ("!!bool false", False),
        ("!!null", None),
        ("!!null ~", None),
        ("!!seq [a, 1]", ["a", 1]),
        ("!!map {a: 1}", {"a": 1}),
    ],
)
def test_the_core_schema_tags_are_read_as_plain_values(
    tmp_path: Path, value: str, expected: Any
) -> None:
    loaded = _load(tmp_path, "a.yaml", f"name: {value}\n".encode())
    assert loaded.ok, loaded.problems
    assert loaded.data == {"name": expected}
    assert type(loaded.data["name"]) is type(expected)


def test_a_yaml_merge_key_is_refused_and_a_lone_equals_sign_is_text(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.yaml", b"a:\n  <<: {b: 1}\n  c: =\n")
    assert _only(loaded) == (
        "JF115",
        Position(2, 3),
        "<< (a YAML merge key) is not supported; write the keys out in full, "
        'or quote "<<" for a key of that name',
    )
    loaded = _load(tmp_path, "b.yaml", b"a: =\n'<<': 1\n")
    assert loaded.ok
    assert loaded.data == {"a": "=", "<<": 1}


TAG_SUFFIXES = st.text(alphabet="abcxyz0123456789-/:.", min_size=1, max_size=12)


@settings(max_examples=200)
@given(
    handle=st.sampled_from(["!", "!!"]),
    suffix=TAG_SUFFIXES,
    node=st.sampled_from(["x", "[a, [b]]", "{a: {b: 1}}", "\n  - a\n  - b", "\n  k: v", ""]),
)
def test_any_tag_is_refused_or_read_as_plain_data(handle: str, suffix: str, node: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.yaml"
        path.write_text(f"name: {handle}{suffix} {node}\n", encoding="utf-8")
        loaded = load_file(path, path.name)
    core = handle == "!!" and suffix in {"str", "int", "float", "bool", "null", "seq", "map"}
    if not core:
        assert [(p.rule.id, p.position) for p in loaded.problems] == [("JF115", Position(1, 7))]
    assert loaded.ok or all(p.position.line >= 1 for p in loaded.problems)


# ---------------------------------------------------------------- nesting


DEEP = 100_000


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.json", b"[" * DEEP + b"]" * DEEP, ("JF101", Position(1, 101))),
        ("a.json", b"[" * DEEP, ("JF101", Position(1, 101))),
        ("a.json", b'{"a":' * DEEP + b"1" + b"}" * DEEP, ("JF101", Position(1, 501))),
        ("a.json", b'{\n"a":' * DEEP, ("JF101", Position(101, 5))),
        ("a.yaml", b"a: " + b"[" * DEEP + b"]" * DEEP, ("JF102", Position(1, 103))),
        ("a.yaml", b"a: " + b"{b: " * DEEP + b"1" + b"}" * DEEP, ("JF102", Position(1, 400))),
        ("a.yaml", b"- " * DEEP + b"x\n", ("JF102", Position(1, 201))),
        ("a.yaml", b"- " * 50 + b"[" * DEEP + b"\n", ("JF102", Position(1, 151))),
    ],
)
def test_deep_nesting_reports_the_limit_where_it_is_crossed(
    tmp_path: Path, name: str, content: bytes, expected: tuple[str, Position]
) -> None:
    assert _only(_load(tmp_path, name, content)) == (*expected, "nesting deeper than 100 levels")


def test_deep_block_mappings_report_the_limit(tmp_path: Path) -> None:
    content = "".join(f"{' ' * level}k{level}:\n" for level in range(150)) + " " * 150 + "x: 1\n"
    assert _only(_load(tmp_path, "a.yaml", content.encode())) == (
        "JF102",
        Position(101, 101),
        "nesting deeper than 100 levels",
    )


@pytest.mark.parametrize(("name", "prefix"), [("a.json", b""), ("a.yaml", b"")])
def test_nesting_of_exactly_the_limit_is_read(tmp_path: Path, name: str, prefix: bytes) -> None:
    content = prefix + b'{"a": ' + b"[" * 99 + b'"[[[{{{", 1' + b"]" * 99 + b"}"
    loaded = _load(tmp_path, name, content)
    assert loaded.ok, loaded.problems
    innermost = loaded.data["a"]
    for _ in range(98):
        innermost = innermost[0]
    assert innermost == ["[[[{{{", 1]
    # The scanner can still place a model error at the innermost value.
    assert loaded.positions.value(("a", *[0] * 99)).column == 106


@pytest.mark.parametrize("name", ["a.json", "a.yaml"])
def test_one_level_past_the_limit_is_refused(tmp_path: Path, name: str) -> None:
    content = b'{"a": ' + b"[" * 100 + b"1" + b"]" * 100 + b"}"
    assert _only(_load(tmp_path, name, content))[1:] == (
        Position(1, 106),
        "nesting deeper than 100 levels",
    )


# ---------------------------------------------------------------- JSON syntax


@pytest.mark.parametrize(
    ("content", "position", "message"),
    [
        ('{"a": 1,}', (1, 8), "trailing comma before `}`; remove it"),
        ('{"a": 1 ,\n  }', (1, 9), "trailing comma before `}`; remove it"),
        ("[1, 2,\n]", (1, 6), "trailing comma before `]`; remove it"),
        ('{"a": [1,]}', (1, 9), "trailing comma before `]`; remove it"),
        ("{'a': 1}", (1, 2), "single quotes: JSON strings and keys take double quotes"),
        ("{\"a\": 'x'}", (1, 7), "single quotes: JSON strings and keys take double quotes"),
        ('{\n  // note\n  "a": 1\n}', (2, 3), "comments are not allowed in JSON; remove it"),
        ('{"a": 1} // end', (1, 10), "comments are not allowed in JSON; remove it"),
        ('{"a": 1 /* c */}', (1, 9), "comments are not allowed in JSON; remove it"),
        ('# c\n{"a": 1}', (1, 1), "comments are not allowed in JSON; remove it"),
        ('{a: 1, "b": 2}', (1, 2), 'key a is not quoted; write it in double quotes: "a"'),
        ('{"a": 1, b_2 : 2}', (1, 10), 'key b_2 is not quoted; write it in double quotes: "b_2"'),
        ('{"a": 1 "b": 2}', (1, 9), "missing comma; add `,` before this item"),
        ("[1\n 2]", (2, 2), "missing comma; add `,` before this item"),
        (
            '{"a": yes}',
            (1, 7),
            'yes is not a JSON value; quote a string ("yes"), or write true, false or null',
        ),
        (
            '{"a": True}',
            (1, 7),
            'True is not a JSON value; quote a string ("True"), or write true, false or null',
        ),
        ('{"a": 1}}', (1, 9), "unexpected text after the end of the document"),
        (
            '{"a": "x\n"}',
            (1, 9),
            "a line break inside a string; close the string before it, or write it as \\n",
        ),
        ('{"a" 1}', (1, 6), "expecting ':' delimiter"),
    ],
)
def test_common_json_mistakes_get_a_plain_message(
    tmp_path: Path, content: str, position: tuple[int, int], message: str
) -> None:
    assert _only(_load(tmp_path, "a.json", content.encode())) == (
        "JF101",
        Position(*position),
        message,
    )


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(child) for child in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(child) for child in value), default=0)
    return 0


BRACKETY_JSON = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}"\\ab'),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\ab', max_size=3), children, max_size=3)
    ),
    max_leaves=30,
)


@settings(max_examples=300)
@given(
    value=BRACKETY_JSON,
    limit=st.integers(min_value=0, max_value=6),
    indent=st.sampled_from([None, 1]),
)
def test_the_nesting_scan_counts_only_brackets_outside_strings(
    value: Any, limit: int, indent: int | None
) -> None:
    text = json.dumps(value, indent=indent)
    found = nesting_too_deep(text, limit)
    if _depth(value) <= limit:
        assert found is None
    else:
        assert found is not None
        assert text[found] in "[{"
        # The bracket found is the first to open level limit + 1.
        assert nesting_too_deep(text[:found], limit) is None


# Lone surrogates (JF118) -------------------------------------------------------------------

_WITH_SURROGATES = st.text(
    alphabet=st.sampled_from(["a", "é", "\U0001d11e", "\ud800", "\udbff", "\udc00", "\udfff"]),
    max_size=6,
)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *_strings(item)]]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(character) <= 0xDFFF for character in text)


@settings(max_examples=200)
@given(
    document=st.dictionaries(
        _WITH_SURROGATES, st.lists(_WITH_SURROGATES, max_size=3) | _WITH_SURROGATES, max_size=4
    ),
    suffix=st.sampled_from([".json", ".yaml"]),
)
def test_no_surrogate_is_ever_read_and_each_is_reported(
    document: dict[str, Any], suffix: str
) -> None:
    # json.dumps writes every character outside ASCII as a \u escape, surrogates included:
    # valid JSON, and valid YAML (a flow mapping of double-quoted strings).
    text = json.dumps(document)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"any{suffix}"
        path.write_text(text, encoding="ascii")
        loaded = load_file(path, path.name)
    assert loaded.readable
    assert not any(_has_surrogate(string) for string in _strings(loaded.data))
    # json.dumps writes a character above U+FFFF as a pair of escapes: JSON reads the pair
    # as that character, YAML as two lone surrogates.
    if suffix == ".yaml":
        refused = [
            string
            for string in _strings(document)
            if _has_surrogate(string) or any(ord(character) > 0xFFFF for character in string)
        ]
    else:
        refused = [string for string in _strings(json.loads(text)) if _has_surrogate(string)]
    reported = [problem for problem in loaded.problems if problem.rule.id == "JF118"]
    assert len(reported) >= min(len(refused), 1)
    assert (not reported) == (not refused)
    for problem in reported:
        problem.message.encode("ascii")  # the escape is named, never the surrogate


def test_a_lone_surrogate_does_not_hide_the_rest_of_the_document(tmp_path: Path) -> None:
    loaded = _load(tmp_path, "a.json", b'{"a": "x\\ud800y", "b": [1, "\\udc00"], "c": 2}')
    assert loaded.readable
    assert loaded.data == {"a": "x\ufffdy", "b": [1, "\ufffd"], "c": 2}
    assert loaded.refused == [("a",), ("b", 1)]
    assert [(p.rule.id, p.position, p.field) for p in loaded.problems] == [
        ("JF118", Position(1, 7), ("a",)),
        ("JF118", Position(1, 28), ("b", 1)),
    ]
