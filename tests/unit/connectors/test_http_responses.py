"""Responses become JSON values or failures typed as connector metadata names them; bodies
are capped before and after decompression."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime

import httpx
import pytest

from jobforge.connectors.http.errors import HttpStatusError
from jobforge.connectors.http.responses import (
    decoded_value,
    read_body,
    retry_after_seconds,
    status_failure,
)
from jobforge.errors import ConnectorFailure, NonRetryableError

NO_DEADLINE = float("inf")


def response(status: int = 200, body: bytes = b"", **headers: str) -> httpx.Response:
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return httpx.Response(status, headers=named, stream=httpx.ByteStream(body))


@pytest.mark.parametrize(
    ("status", "failure_type"),
    [
        (400, "invalid_request"),
        (401, "authentication_failed"),
        (403, "authentication_failed"),
        (404, "not_found"),
        (408, "timeout"),
        (410, "not_found"),
        (422, "invalid_request"),
        (429, "rate_limit_exceeded"),
        (500, "server_error"),
        (503, "server_error"),
        (304, "invalid_response"),
    ],
)
def test_statuses_map_to_failure_types(status: int, failure_type: str) -> None:
    failure = status_failure(
        response(status, b'{"error":"nope"}'), b'{"error":"nope"}', "op: GET u"
    )
    assert isinstance(failure, HttpStatusError)
    assert isinstance(failure, ConnectorFailure)
    assert not isinstance(failure, NonRetryableError)  # the metadata's failure modes decide
    assert (failure.type, failure.status_code) == (failure_type, status)
    assert str(failure).startswith(f"op: GET u: HTTP {status}")
    assert "nope" in str(failure)


def test_retry_after_is_read_in_seconds_or_as_a_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("-5") is None
    assert retry_after_seconds(None) is None
    failure = status_failure(response(429, retry_after="7"), b"", "op")
    assert failure.retry_after == 7.0


@pytest.mark.parametrize(
    ("content_type", "body", "value"),
    [
        ("application/json", b'{"a": [1, 2.5, null]}', {"a": [1, 2.5, None]}),
        ("application/problem+json; charset=utf-8", b'{"title": "x"}', {"title": "x"}),
        ("text/plain; charset=latin-1", "caf\u00e9".encode("latin-1"), "caf\u00e9"),
        ("application/json", b"", None),
    ],
)
def test_bodies_decode_to_json_values(content_type: str, body: bytes, value: object) -> None:
    assert decoded_value(response(body=body, content_type=content_type), body, "op") == value


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("application/json", b'{"a": NaN}', "cannot be read"),
        ("application/json", b"{", "cannot be read"),
        ("application/json", b"[" * 100_000 + b"]" * 100_000, "cannot be read"),
        ("application/octet-stream", b"\x00\x01", "expected a JSON or text body"),
    ],
)
def test_unreadable_bodies_are_invalid_responses(
    content_type: str, body: bytes, message: str
) -> None:
    with pytest.raises(ConnectorFailure, match=message) as failed:
        decoded_value(response(body=body, content_type=content_type), body, "op")
    assert failed.value.type == "invalid_response"


def test_a_body_over_the_cap_is_refused_declared_or_not() -> None:
    body = b"x" * 2048
    declared = response(body=b"", content_length="2048")  # refused before reading
    with pytest.raises(ConnectorFailure, match="larger than 1024 bytes"):
        read_body(declared, max_bytes=1024, deadline=NO_DEADLINE, what="op")
    undeclared = httpx.Response(200, content=iter([body[:1000], body[1000:]]))
    with pytest.raises(ConnectorFailure, match="larger than 1024 bytes"):
        read_body(undeclared, max_bytes=1024, deadline=NO_DEADLINE, what="op")
    assert read_body(response(body=body), max_bytes=2048, deadline=NO_DEADLINE, what="op") == body


def test_a_compressed_body_is_capped_after_inflating() -> None:
    bomb = gzip.compress(b"\x00" * 10_000_000)
    assert len(bomb) < 20_000
    with pytest.raises(ConnectorFailure, match="larger than 1048576 bytes"):
        read_body(
            response(body=bomb, content_encoding="gzip"),
            max_bytes=1024 * 1024,
            deadline=NO_DEADLINE,
            what="op",
        )
    small = zlib.compress(b'{"ok": true}')
    inflated = read_body(
        response(body=small, content_encoding="deflate"),
        max_bytes=100,
        deadline=NO_DEADLINE,
        what="op",
    )
    assert inflated == b'{"ok": true}'


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("br", b"\x0b\x02\x80", "unsupported content-encoding 'br'"),
        ("gzip", b"not gzip", "bad gzip body"),
        ("gzip", gzip.compress(b"x" * 100, mtime=0)[:-12], "truncated"),
    ],
    ids=["brotli", "not-gzip", "truncated-gzip"],  # stable: every xdist worker collects alike
)
def test_bad_encodings_are_invalid_responses(encoding: str, body: bytes, message: str) -> None:
    with pytest.raises(ConnectorFailure, match=message):
        read_body(
            response(body=body, content_encoding=encoding),
            max_bytes=1000,
            deadline=NO_DEADLINE,
            what="op",
        )


def test_reading_past_the_deadline_is_a_timeout() -> None:
    with pytest.raises(ConnectorFailure, match="not read in time") as failed:
        read_body(response(body=b"late"), max_bytes=100, deadline=0.0, what="op")
    assert failed.value.type == "timeout"
