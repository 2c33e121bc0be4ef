"""From an HTTP response to the JSON value a connector call returns, or to a failure.

The body is read raw and capped before and after decompression, so neither a large body
nor a small compressed one that inflates (a "zip bomb") can take more memory than the cap.
"""

from __future__ import annotations

import email.utils
import json
import time
import zlib
from datetime import UTC, datetime
from typing import Any

import httpx

from jobforge.connectors.http.errors import HttpStatusError
from jobforge.errors import ConnectorFailure

GZIP_OR_ZLIB_WBITS = zlib.MAX_WBITS | 32  # accept either header
COMPRESSED_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})
STATUS_FAILURE_TYPES = {
    401: "authentication_failed",
    403: "authentication_failed",
    404: "not_found",
    408: "timeout",
    410: "not_found",
    429: "rate_limit_exceeded",
}
MAX_BODY_IN_MESSAGE_CHARACTERS = 200
HTTP_OK_FIRST, HTTP_OK_LAST = 200, 299
HTTP_CLIENT_ERROR_FIRST, HTTP_SERVER_ERROR_FIRST, HTTP_SERVER_ERROR_LAST = 400, 500, 599


def read_body(response: httpx.Response, *, max_bytes: int, deadline: float, what: str) -> bytes:
    """The decoded body, at most ``max_bytes`` long, read before the monotonic ``deadline``."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(what, max_bytes)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_raw():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(what, max_bytes)
        if time.monotonic() > deadline:
            raise ConnectorFailure("timeout", f"{what}: the response was not read in time")
        chunks.append(chunk)
    return _decompressed(response, b"".join(chunks), max_bytes, what)


def _decompressed(response: httpx.Response, raw: bytes, max_bytes: int, what: str) -> bytes:
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in {"", "identity"}:
        return raw
    if encoding not in COMPRESSED_ENCODINGS:
        raise ConnectorFailure(
            "invalid_response", f"{what}: unsupported content-encoding {encoding!r}"
        )
    decompressor = zlib.decompressobj(GZIP_OR_ZLIB_WBITS)
    try:
        body = decompressor.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        raise ConnectorFailure("invalid_response", f"{what}: bad {encoding} body: {exc}") from None
    if len(body) > max_bytes or decompressor.unconsumed_tail:
        raise _too_large(what, max_bytes)
    if not decompressor.eof:
        raise ConnectorFailure("invalid_response", f"{what}: the {encoding} body is truncated")
    return body


def _too_large(what: str, max_bytes: int) -> ConnectorFailure:
    return ConnectorFailure(
        "invalid_response", f"{what}: the response body is larger than {max_bytes} bytes"
    )


def decoded_value(response: httpx.Response, body: bytes, what: str) -> Any:
    """A success's body as a JSON value: parsed JSON, text as a string, nothing as None."""
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not body:
        return None
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ConnectorFailure(
                "invalid_response", f"{what}: the JSON body cannot be read: {exc}"
            ) from None
    if media_type.startswith("text/"):
        try:
            return body.decode(response.charset_encoding or "utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise ConnectorFailure(
                "invalid_response", f"{what}: the text body cannot be decoded: {exc}"
            ) from None
    raise ConnectorFailure(
        "invalid_response",
        f"{what}: expected a JSON or text body, got content-type {media_type or 'none'!r}",
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def is_success(status_code: int) -> bool:
    return HTTP_OK_FIRST <= status_code <= HTTP_OK_LAST


def status_failure(response: httpx.Response, body: bytes, what: str) -> HttpStatusError:
    """The failure for a response that is not a success, typed as connector metadata
    names failures; ``retry_after`` comes from a ``Retry-After`` header."""
    status = response.status_code
    if status in STATUS_FAILURE_TYPES:
        failure_type = STATUS_FAILURE_TYPES[status]
    elif HTTP_SERVER_ERROR_FIRST <= status <= HTTP_SERVER_ERROR_LAST:
        failure_type = "server_error"
    elif HTTP_CLIENT_ERROR_FIRST <= status < HTTP_SERVER_ERROR_FIRST:
        failure_type = "invalid_request"
    else:
        failure_type = "invalid_response"
    excerpt = body[:MAX_BODY_IN_MESSAGE_CHARACTERS].decode("utf-8", "replace")
    message = f"{what}: HTTP {status} {response.reason_phrase}".rstrip()
    if excerpt:
        message += f": {excerpt!r}"
    return HttpStatusError(
        failure_type,
        message,
        status_code=status,
        retry_after=retry_after_seconds(response.headers.get("retry-after")),
    )


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` (seconds, or an HTTP date) as seconds from ``now``; None if absent
    or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
