"""From a connector call ``(operation, request)`` to one HTTP request under the base URL.

An ``Operation`` maps a JSON request object onto a method and a path template: the
template's ``{placeholders}`` take the fields of the same name (each percent-encoded as
one path segment), and the remaining fields become the query string of a GET, HEAD,
DELETE or OPTIONS request (null ones left out), or the JSON body of any other. A callable
can build the ``HttpRequest`` instead; either way the result is checked here (method,
path, headers, query), so no request field can change the origin, inject a header line or
climb out of the base path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from jobforge.connectors.http.errors import RequestRefused

QueryScalar = str | int | float | bool
QueryValue = QueryScalar | list[QueryScalar]

QUERY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Visible ASCII, space and tab: no CR, LF, NUL or other control characters.
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
# Header fields the connector sets itself; a request may not override them.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "proxy-authorization",
        "proxy-connection",
    }
)
PATH = re.compile(r"(?:/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*)+")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request relative to the base URL. ``path`` is percent-encoded ASCII starting
    with ``/``; ``json`` is the body (``None``: no body)."""

    method: str
    path: str
    query: Mapping[str, QueryValue] = field(default_factory=dict)
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


# (operation, request) -> HttpRequest, for mappings an Operation cannot express.
RequestBuilder = Callable[[str, Any], HttpRequest]


@dataclass(frozen=True, slots=True)
class Operation:
    """``Operation("POST", "/zones/{zone}/purge")``: how one operation becomes a request."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"operation {self.method} {self.path!r}"
        check_method(self.method, where)
        check_headers(self.headers, where)
        check_path(PLACEHOLDER.sub("x", self.path), where)

    def build(self, operation: str, request: Any) -> HttpRequest:
        where = f"operation {operation!r}"
        if request is None:
            request = {}
        if not isinstance(request, Mapping):
            raise RequestRefused(
                f"{where}: expected the request to be a JSON object, got {type(request).__name__}"
            )
        in_path = set(PLACEHOLDER.findall(self.path))
        path = PLACEHOLDER.sub(lambda match: _segment(where, match[1], request), self.path)
        fields = {name: value for name, value in request.items() if name not in in_path}
        method = self.method.upper()
        if method in QUERY_METHODS:
            query = {
                name: _query_value(where, name, value)
                for name, value in fields.items()
                if value is not None  # a null field is left out of the query string
            }
            return HttpRequest(method, path, query=query, headers=self.headers)
        return HttpRequest(method, path, json=fields, headers=self.headers)


def _segment(where: str, name: str, request: Mapping[str, Any]) -> str:
    if name not in request:
        raise RequestRefused(f"{where}: the path needs the request field {name!r}")
    value = request[name]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RequestRefused(
            f"{where}: field {name!r} goes into the path: expected a string or an integer, "
            f"got {type(value).__name__}"
        )
    text = str(value)
    if text in {"", ".", ".."}:
        raise RequestRefused(f"{where}: field {name!r} may not be {text!r} in the path")
    return quote(text, safe="")


def _query_value(where: str, name: str, value: Any) -> QueryValue:
    if isinstance(value, list) and all(isinstance(item, QueryScalar) for item in value):
        return value
    if isinstance(value, QueryScalar):
        return value
    raise RequestRefused(
        f"{where}: query field {name!r}: expected a string, number, boolean or a list of "
        f"them, got {type(value).__name__}"
    )


def check_request(request: HttpRequest, where: str) -> HttpRequest:
    """``request`` with its method upper-cased, if every part of it is acceptable."""
    check_method(request.method, where)
    check_path(request.path, where)
    check_headers(request.headers, where)
    for name, value in request.query.items():
        if not isinstance(name, str):
            raise RequestRefused(f"{where}: query names must be strings, got {name!r}")
        _query_value(where, name, value)
    return HttpRequest(
        request.method.upper(), request.path, request.query, request.json, request.headers
    )


def check_method(method: str, where: str) -> None:
    if not isinstance(method, str) or not TOKEN.fullmatch(method):
        raise RequestRefused(f"{where}: {method!r} is not an HTTP method")


def check_path(path: str, where: str) -> None:
    if not isinstance(path, str) or not PATH.fullmatch(path) or path.startswith("//"):
        raise RequestRefused(
            f"{where}: path {path!r}: expected '/' followed by percent-encoded segments "
            "(no '?', '#', spaces or other characters; urllib.parse.quote encodes them)"
        )
    if any(unquote(segment) in {".", ".."} for segment in path.split("/")):
        raise RequestRefused(f"{where}: path {path!r} may not contain '.' or '..' segments")


def check_headers(headers: Mapping[str, str], where: str) -> None:
    """Refuse header names that are not tokens and values with CR, LF or NUL in them."""
    for name, value in headers.items():
        if not isinstance(name, str) or not TOKEN.fullmatch(name):
            raise RequestRefused(f"{where}: header name {name!r} is not a valid HTTP token")
        if not isinstance(value, str) or not HEADER_VALUE.fullmatch(value):
            raise RequestRefused(
                f"{where}: header {name!r}: the value must be printable ASCII on one line "
                "(no CR, LF or other control characters)"
            )
        if name.lower() in RESERVED_HEADERS:
            raise RequestRefused(f"{where}: header {name!r} is set by the connector itself")
