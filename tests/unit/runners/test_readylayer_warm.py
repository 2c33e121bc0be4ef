"""``readylayer.cache.warm`` end to end in-process, against an in-memory edge."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobforge.determinism.canonical import canonical_json
from jobforge.runners.readylayer import warm
from jobforge.runners.readylayer.urls import normalize_url
from jobforge.worker.execution import MAX_OUTPUT_BYTES
from tests.unit.runners.readylayer_support import Run, job_type_contract

CONTRACT = job_type_contract(warm.JOB_TYPE)
ZONE = "shop.example.com"
ANSWER_EACH_URL = object()


class Edge:
    """The connector's live side, in memory: states its limits, answers every URL with a
    200 MISS unless told otherwise, and remembers the batches it was sent."""

    def __init__(
        self,
        limits: dict[str, Any] | None = None,
        answers: dict[str, Any] | None = None,
        response: Any = ANSWER_EACH_URL,
    ) -> None:
        self.limits = limits or {"requests_per_second": 5, "burst_size": 10}
        self.answers = answers or {}
        self.response = response
        self.batches: list[list[str]] = []

    def __call__(self, operation: str, request: Any) -> Any:
        if operation == "describe_limits":
            return self.limits
        assert operation == "warm_urls", operation
        assert request["zone"] == ZONE
        self.batches.append(list(request["urls"]))
        if self.response is not ANSWER_EACH_URL:
            return self.response
        results = []
        for url in request["urls"]:
            answer = self.answers.get(url, {"status": 200, "cache_status": "MISS"})
            if answer is not None:
                results.append({"url": url, **answer})
        return {"results": results}


def run(urls: list[str], edge: Edge, **payload: Any) -> Run:
    full = {"zone": ZONE, "urls": urls, **payload}
    assert CONTRACT.input_errors(full) == []
    return Run(warm.JOB_TYPE, full, transport=edge)


def outcome_codes(result: Run) -> list[tuple[str, str | None]]:
    return [(entry["outcome"], entry.get("code")) for entry in result.output["outcomes"]]


def test_limits_are_asked_first_then_each_batch_once() -> None:
    edge = Edge(limits={"requests_per_second": 2, "burst_size": 3})
    urls = [f"https://{ZONE}/p/{number}" for number in range(7)]
    result = run(urls, edge)
    assert [operation for operation, _ in result.calls()] == ["describe_limits"] + ["warm_urls"] * 3
    assert edge.batches == [urls[0:3], urls[3:6], urls[6:7]]
    assert result.output["batches"] == [
        {"index": 0, "size": 3, "start_offset_ms": 0},
        {"index": 1, "size": 3, "start_offset_ms": 1500},
        {"index": 2, "size": 1, "start_offset_ms": 2000},
    ]
    assert CONTRACT.output_errors(result.output) == []


def test_skipped_urls_are_never_sent() -> None:
    edge = Edge()
    result = run([f"https://{ZONE}/a", "https://elsewhere.test/a", f"https://{ZONE}/a#again"], edge)
    assert edge.batches == [[f"https://{ZONE}/a"]]
    assert outcome_codes(result) == [
        ("warmed", None),
        ("skipped", "host_not_allowed"),
        ("skipped", "duplicate"),
    ]


def test_a_job_whose_every_url_is_skipped_calls_no_warm_operation() -> None:
    edge = Edge()
    result = run(["https://elsewhere.test/a"], edge)
    assert edge.batches == []
    assert result.output["batches"] == []
    assert result.output["summary"] == {
        "requested": 1,
        "attempted": 0,
        "warmed": 0,
        "failed": 0,
        "skipped": 1,
    }
    assert CONTRACT.output_errors(result.output) == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"status": 200}, {"outcome": "warmed", "status": 200, "cache_status": "UNKNOWN"}),
        ({"status": 304, "cache_status": "REVALIDATED"}, {"outcome": "warmed", "status": 304}),
        ({"status": 200, "cache_status": "bypass"}, {"outcome": "failed", "code": "not_cached"}),
        ({"status": 200, "cache_status": "DYNAMIC"}, {"outcome": "failed", "code": "not_cached"}),
        ({"status": 429}, {"outcome": "failed", "code": "rate_limited", "status": 429}),
        ({"status": 503}, {"outcome": "failed", "code": "http_error", "status": 503}),
        ({"status": "200"}, {"outcome": "failed", "code": "no_result"}),
        ({"status": True}, {"outcome": "failed", "code": "no_result"}),
        ({}, {"outcome": "failed", "code": "no_result"}),
        ({"error": "timeout", "status": 504}, {"code": "edge_error", "status": 504}),
        (
            {"error": "dns failure"},
            {"code": "edge_error", "reason": "the edge reported: dns failure"},
        ),
        (None, {"outcome": "failed", "code": "no_result"}),
    ],
)
def test_each_edge_answer_becomes_an_outcome(answer: Any, expected: dict[str, Any]) -> None:
    url = f"https://{ZONE}/x"
    result = run([url], Edge(answers={url: answer}))
    [outcome] = result.output["outcomes"]
    assert expected.items() <= outcome.items()
    assert CONTRACT.output_errors(result.output) == []


def test_a_long_edge_error_is_cut() -> None:
    url = f"https://{ZONE}/x"
    result = run([url], Edge(answers={url: {"error": "e" * 5000}}))
    [outcome] = result.output["outcomes"]
    assert len(outcome["reason"]) == len("the edge reported: ") + warm.MAX_EDGE_ERROR_CHARACTERS


@pytest.mark.parametrize("response", [None, [], {"results": "none"}, {"items": []}])
def test_a_batch_response_without_results_fails_its_urls_with_the_reason(
    response: Any,
) -> None:
    result = run([f"https://{ZONE}/a", f"https://{ZONE}/b"], Edge(response=response))
    assert outcome_codes(result) == [("failed", "no_result")] * 2
    assert result.output["outcomes"][0]["reason"] == (
        "the connector's response to the batch has no results list"
    )


def test_every_decision_carries_a_reason() -> None:
    url = f"https://{ZONE}/x"
    result = run([url, "https://elsewhere.test/"], Edge(answers={url: {"status": 500}}))
    names = [decision["decision"] for decision in result.decisions()]
    assert names == ["skip", "batch_size", "batch", "failed"]
    assert all(decision["reason"] for decision in result.decisions())


@pytest.mark.parametrize(
    "payload",
    [
        {"zone": ZONE, "urls": []},
        {"zone": ZONE, "urls": ["javascript:alert(1)"]},
        {"zone": ZONE, "urls": ["//shop.example.com/a"]},
        {"zone": ZONE, "urls": [f"https://{ZONE}/" + "a" * 1024]},
        {"zone": ZONE, "urls": [f"https://{ZONE}/{n}" for n in range(501)]},
        {"zone": "Shop.Example.com", "urls": [f"https://{ZONE}/"]},
        {"zone": "localhost", "urls": ["https://localhost/"]},
        {"zone": ZONE, "urls": [f"https://{ZONE}/"], "hosts": ["localhost"]},
        {"zone": ZONE, "urls": [f"https://{ZONE}/"], "hosts": []},
        {"zone": ZONE, "urls": [f"https://{ZONE}/"], "max_batch_size": 0},
        {"zone": ZONE, "urls": [f"https://{ZONE}/"], "batch_size": 5},
    ],
)
def test_the_input_schema_refuses(payload: dict[str, Any]) -> None:
    assert CONTRACT.input_errors(payload)


def test_the_largest_input_gives_an_output_the_worker_stores() -> None:
    prefix = f"https://{ZONE}/"
    urls = [prefix + f"{number:04d}".ljust(1024 - len(prefix), "x") for number in range(500)]
    result = run(urls, Edge(answers={url: {"error": "e" * 5000} for url in urls}))
    assert len(canonical_json(result.output)) < MAX_OUTPUT_BYTES


_paths = st.sampled_from(["/", "/a", "/a?x=1", "/b#f", "/c/d"])
_hosts = st.sampled_from([ZONE, "img." + ZONE, "SHOP.example.com", "other.test"])
_urls = st.builds("https://{}{}".format, _hosts, _paths) | st.builds(
    "http://{}{}".format, _hosts, _paths
)
_answers = st.one_of(
    st.none(),
    st.fixed_dictionaries({"status": st.sampled_from([200, 301, 404, 429, 503])}),
    st.fixed_dictionaries(
        {"status": st.just(200), "cache_status": st.sampled_from(["HIT", "MISS", "BYPASS"])}
    ),
    # A connector response holding U+0000 is refused before the handler sees it (jsonb
    # cannot record it), so the edge's error texts here never hold one.
    st.fixed_dictionaries(
        {"error": st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=20)}
    ),
)


@settings(max_examples=60)
@given(
    urls=st.lists(_urls, min_size=1, max_size=40),
    answers=st.dictionaries(_urls, _answers),
    burst_size=st.integers(min_value=1, max_value=12),
    max_batch_size=st.none() | st.integers(min_value=1, max_value=12),
)
def test_any_job_gives_one_outcome_per_url_in_valid_batches(
    urls: list[str],
    answers: dict[str, Any],
    burst_size: int,
    max_batch_size: int | None,
) -> None:
    edge = Edge(
        limits={"requests_per_second": 3, "burst_size": burst_size},
        answers={normalize_url(url): answer for url, answer in answers.items()},
    )
    extra = {} if max_batch_size is None else {"max_batch_size": max_batch_size}
    result = run(urls, edge, **extra)
    output = result.output
    assert CONTRACT.output_errors(output) == []
    assert [entry["url"] for entry in output["outcomes"]] == urls
    assert all(
        1 <= len(batch) <= min(burst_size, max_batch_size or burst_size) for batch in edge.batches
    )
    sent = [url for batch in edge.batches for url in batch]
    assert len(sent) == len(set(sent)) == output["summary"]["attempted"]
    summary = output["summary"]
    assert summary["requested"] == len(urls)
    assert summary["warmed"] + summary["failed"] + summary["skipped"] == len(urls)
    assert (
        Run(warm.JOB_TYPE, {"zone": ZONE, "urls": urls, **extra}, transport=edge).output == output
    )
