"""Reading the records: inline, or a dataset page by page through ``fetch_records``."""

from __future__ import annotations

from typing import Any

import pytest

from jobforge.runners.truthcore.errors import InvalidSourceResponse, SourceLimitExceeded
from jobforge.runners.truthcore.source import load_records


class Pages:
    """A source answering ``fetch_records`` from fixed pages, keeping every request."""

    def __init__(self, responses: dict[str | None, Any]) -> None:
        self.responses = responses
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: dict[str, Any]) -> Any:
        self.requests.append(request)
        return self.responses[request["cursor"]]


def test_inline_records_are_read_from_the_payload_without_a_call() -> None:
    source = Pages({})
    loaded = load_records({"records": [{"a": 1}]}, source)
    assert (loaded.records, loaded.source, source.requests) == ([{"a": 1}], {"kind": "inline"}, [])


def test_a_dataset_is_read_until_the_cursor_runs_out() -> None:
    source = Pages(
        {
            None: {"records": [{"n": 1}], "next_cursor": "p2"},
            "p2": {"records": [], "next_cursor": "p3"},
            "p3": {"records": [{"n": 2}, {"n": 3}], "next_cursor": None},
        }
    )
    loaded = load_records({"source": {"dataset": "d"}}, source)
    assert [record["n"] for record in loaded.records] == [1, 2, 3]
    assert loaded.source == {"kind": "dataset", "dataset": "d", "pages": 3}
    assert source.requests == [
        {"dataset": "d", "cursor": None},
        {"dataset": "d", "cursor": "p2"},
        {"dataset": "d", "cursor": "p3"},
    ]


def test_a_dataset_may_be_read_from_a_cursor() -> None:
    source = Pages({"p2": {"records": [{"n": 2}]}})  # no next_cursor: the last page
    loaded = load_records({"source": {"dataset": "d", "cursor": "p2"}}, source)
    assert loaded.source == {"kind": "dataset", "dataset": "d", "pages": 1, "cursor": "p2"}


def test_fetched_records_hold_their_keys_in_sorted_order() -> None:
    source = Pages({None: {"records": [{"b": {"d": 1, "c": 2}, "a": 0}], "next_cursor": None}})
    (record,) = load_records({"source": {"dataset": "d"}}, source).records
    assert list(record) == ["a", "b"]
    assert list(record["b"]) == ["c", "d"]


def test_more_pages_than_allowed_fail_rather_than_verify_a_part() -> None:
    pages = {None: {"records": [], "next_cursor": "1"}, "1": {"records": [], "next_cursor": "2"}}
    pages["2"] = {"records": [], "next_cursor": None}
    assert (
        load_records({"source": {"dataset": "d", "max_pages": 3}}, Pages(pages)).source["pages"]
        == 3
    )
    with pytest.raises(SourceLimitExceeded, match=r"dataset 'd' has more than 2 pages"):
        load_records({"source": {"dataset": "d", "max_pages": 2}}, Pages(pages))


def test_a_cursor_read_twice_is_a_loop() -> None:
    pages = {None: {"records": [], "next_cursor": "a"}, "a": {"records": [], "next_cursor": "a"}}
    with pytest.raises(InvalidSourceResponse, match="next_cursor 'a' was already read"):
        load_records({"source": {"dataset": "d"}}, Pages(pages))


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ([], "expected an object with records"),
        ({"next_cursor": None}, "expected an object with records"),
        ({"records": {"a": 1}}, "expected an object with records"),
        ({"records": [{"a": 1}, 5]}, r"records\[1\] is 5"),
        ({"records": [], "next_cursor": ""}, 'next_cursor is ""'),
        ({"records": [], "next_cursor": 7}, "next_cursor is 7"),
    ],
)
def test_responses_that_are_not_pages_are_refused(response: Any, message: str) -> None:
    with pytest.raises(InvalidSourceResponse, match=message) as raised:
        load_records({"source": {"dataset": "orders"}}, Pages({None: response}))
    assert "truthcore.source.fetch_records for dataset 'orders', page 1" in str(raised.value)
    assert raised.value.error_kind == "invalid_source_response"
