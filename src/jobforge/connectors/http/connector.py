"""``HttpConnector``: a connector transport that calls an HTTP API safely.

    cdn = HttpConnector.from_metadata(
        metadata,                                  # connectors/readylayer.cdn/metadata.json
        "https://api.readylayer.example/v1",
        operations={"purge": Operation("POST", "/zones/{zone}/purge")},
    )
    register_connector("readylayer.cdn", cdn)

Each call builds one request under the base URL, sends it over connections pinned to
checked addresses (see ``transport``), follows redirects itself (checking each hop),
reads at most ``max_response_bytes`` and returns the decoded body.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Any

import httpcore
import httpx

from jobforge.connectors.http.address_policy import AddressPolicy, IPNetwork
from jobforge.connectors.http.auth import Credentials, credentials_from_metadata
from jobforge.connectors.http.errors import RequestRefused
from jobforge.connectors.http.hosts import parse_host
from jobforge.connectors.http.requests import (
    HttpRequest,
    Operation,
    RequestBuilder,
    check_headers,
    check_request,
)
from jobforge.connectors.http.resolver import AddressGuard, Resolver, system_resolver
from jobforge.connectors.http.responses import (
    decoded_value,
    is_success,
    read_body,
    status_failure,
)
from jobforge.connectors.http.transport import PinnedTransport
from jobforge.determinism.canonical import canonical_json
from jobforge.errors import ConfigurationError, ConnectorFailure, InvalidArgument

TIMEOUT_SECONDS = 10.0
DEADLINE_SECONDS = 60.0
MAX_RESPONSE_BYTES = 1024 * 1024
MAX_REDIRECTS = 5
SCHEMES = frozenset({"http", "https"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Dropped from a request's own headers when a redirect leaves the base URL's origin.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie"})
DEFAULT_HEADERS = {
    "User-Agent": "jobforge-http-connector",
    "Accept": "application/json, text/*;q=0.5",
    "Accept-Encoding": "gzip, deflate",
}


class HttpConnector:
    """Carries a connector's calls to an HTTP API; register it with ``register_connector``.

    ``operations`` maps each operation name to an ``Operation`` (or is a callable
    ``(operation, request) -> HttpRequest``). ``auth`` gives the headers that authenticate
    a request to the base URL's origin. ``allowed_hosts`` and ``allowed_networks`` exempt
    names and networks from the address rules (cloud metadata excepted). ``resolver``
    replaces the system's name resolution (tests, pinned names). ``timeout_seconds``
    bounds each connect, read and write; ``deadline_seconds`` a whole call, redirects and
    body included.
    """

    def __init__(
        self,
        base_url: str,
        *,
        operations: Mapping[str, Operation] | RequestBuilder,
        auth: Credentials | None = None,
        allowed_hosts: Iterable[str] = (),
        allowed_networks: Iterable[str | IPNetwork] = (),
        resolver: Resolver = system_resolver,
        headers: Mapping[str, str] | None = None,
        timeout_seconds: float = TIMEOUT_SECONDS,
        deadline_seconds: float = DEADLINE_SECONDS,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._base_url = _base_url(base_url)
        self._operations = operations
        self._auth = auth
        self._headers = dict(headers or {})
        _check_limits(timeout_seconds, deadline_seconds, max_response_bytes, max_redirects)
        try:
            check_headers(self._headers, "headers")
        except RequestRefused as exc:
            raise ConfigurationError(str(exc)) from None
        self._deadline_seconds = deadline_seconds
        self._timeout_seconds = timeout_seconds
        self._max_response_bytes = max_response_bytes
        self._max_redirects = max_redirects
        guard = AddressGuard(AddressPolicy.allowing(allowed_hosts, allowed_networks), resolver)
        context = ssl_context or httpx.create_ssl_context(trust_env=False)
        self._client = httpx.Client(
            transport=PinnedTransport(guard, context),
            trust_env=False,  # no proxies, .netrc or certificate files from the environment
            follow_redirects=False,  # followed by _send, which checks every hop
            timeout=httpx.Timeout(timeout_seconds),
            headers={**DEFAULT_HEADERS, **self._headers},
            cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),  # no state between calls
        )

    @classmethod
    def from_metadata(
        cls,
        metadata: Mapping[str, Any],
        base_url: str,
        *,
        operations: Mapping[str, Operation] | RequestBuilder,
        **options: Any,
    ) -> HttpConnector:
        """A connector authenticating as its metadata's ``auth`` section says (see
        ``credentials_from_metadata`` for the environment variables it reads)."""
        auth = credentials_from_metadata(str(metadata["connector_id"]), metadata["auth"])
        return cls(base_url, operations=operations, auth=auth, **options)

    def __call__(self, operation: str, request: Any) -> Any:
        """Perform ``operation`` with the JSON ``request``; returns the decoded body."""
        http_request = self._request_for(operation, request)
        deadline = time.monotonic() + self._deadline_seconds
        url = self._base_url.copy_with(path=self._base_url.path.rstrip("/") + http_request.path)
        what = f"{operation}: {http_request.method} {url}"
        content = _json_body(http_request.json, what)
        with self._failures(what):
            response = self._send(http_request, url, content, deadline)
            try:
                body = read_body(
                    response, max_bytes=self._max_response_bytes, deadline=deadline, what=what
                )
            finally:
                response.close()
        if not is_success(response.status_code):
            raise status_failure(response, body, what)
        return decoded_value(response, body, what)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpConnector:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _request_for(self, operation: str, request: Any) -> HttpRequest:
        if isinstance(self._operations, Mapping):
            if operation not in self._operations:
                known = ", ".join(sorted(self._operations)) or "none"
                raise RequestRefused(f"unknown operation {operation!r} (known: {known})")
            return check_request(
                self._operations[operation].build(operation, request), f"operation {operation!r}"
            )
        return check_request(self._operations(operation, request), f"operation {operation!r}")

    def _send(
        self, request: HttpRequest, url: httpx.URL, content: bytes | None, deadline: float
    ) -> httpx.Response:
        method = request.method
        for _hop in range(self._max_redirects + 1):
            if time.monotonic() > deadline:
                raise ConnectorFailure("timeout", f"{method} {url}: the call ran out of time")
            same_origin = _origin(url) == _origin(self._base_url)
            headers = {
                name: value
                for name, value in request.headers.items()
                if same_origin or name.lower() not in CREDENTIAL_HEADERS
            }
            if content is not None:
                headers["Content-Type"] = "application/json"
            if self._auth is not None and same_origin:
                credentials = dict(self._auth.headers())
                check_headers(credentials, "auth")
                headers.update(credentials)
            outgoing = self._client.build_request(
                method, url, params=dict(request.query) or None, headers=headers, content=content
            )
            response = self._client.send(outgoing, stream=True)
            location = response.headers.get("location")
            if response.status_code not in REDIRECT_STATUSES or location is None:
                return response
            response.close()
            url = _redirect_target(url, location)
            request = HttpRequest(method, request.path, headers=request.headers)
            if response.status_code == 303 or (
                response.status_code in {301, 302} and method == "POST"
            ):
                method, content = ("HEAD" if method == "HEAD" else "GET"), None
        raise ConnectorFailure(
            "invalid_response", f"{url}: more than {self._max_redirects} redirects"
        )

    @contextmanager
    def _failures(self, what: str) -> Iterator[None]:
        """httpcore's and httpx's exceptions as connector failures naming the call."""
        try:
            yield
        except (httpcore.TimeoutException, httpx.TimeoutException) as exc:
            raise ConnectorFailure(
                "timeout", f"{what}: timed out ({self._timeout_seconds} s per step): {exc}"
            ) from exc
        except (httpcore.NetworkError, httpx.NetworkError) as exc:
            raise ConnectorFailure("network_error", f"{what}: {exc or type(exc).__name__}") from exc
        except (httpcore.RemoteProtocolError, httpx.RemoteProtocolError) as exc:
            raise ConnectorFailure("invalid_response", f"{what}: {exc}") from exc
        except (httpcore.LocalProtocolError, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
            raise RequestRefused(f"{what}: {exc}") from exc


def _json_body(value: Any, what: str) -> bytes | None:
    if value is None:
        return None
    try:
        return canonical_json(value, label="request body")
    except InvalidArgument as exc:
        raise RequestRefused(f"{what}: {exc}") from None


def _redirect_target(url: httpx.URL, location: str) -> httpx.URL:
    try:
        target = url.join(location)
    except httpx.InvalidURL as exc:
        raise RequestRefused(f"{url} redirected to {location!r}, which is invalid: {exc}") from None
    if target.scheme not in SCHEMES:
        raise RequestRefused(f"{url} redirected to {location!r}: only http and https are followed")
    if target.userinfo:
        raise RequestRefused(f"{url} redirected to a URL with credentials in it; refusing it")
    parse_host(target.raw_host.decode("ascii"))  # a malformed host fails before connecting
    return target


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _base_url(text: str) -> httpx.URL:
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"base_url {text!r} is not a valid URL: {exc}") from None
    problem = None
    if url.scheme not in SCHEMES:
        problem = "expected an http or https URL"
    elif not url.host:
        problem = "expected a host"
    elif url.userinfo:
        problem = "credentials do not belong in the URL (use auth=...)"
    elif url.query or url.fragment:
        problem = "expected no query or fragment"
    if problem is None:
        try:
            parse_host(url.raw_host.decode("ascii"))
        except RequestRefused as exc:
            problem = str(exc)
    if problem is not None:
        raise ConfigurationError(f"base_url {text!r}: {problem}")
    return url


def _check_limits(
    timeout_seconds: float, deadline_seconds: float, max_response_bytes: int, max_redirects: int
) -> None:
    if not 0 < timeout_seconds < float("inf") or not 0 < deadline_seconds < float("inf"):
        raise ConfigurationError(
            "timeout_seconds and deadline_seconds: expected finite numbers above 0, got "
            f"{timeout_seconds} and {deadline_seconds}"
        )
    if max_response_bytes < 1 or max_redirects < 0:
        raise ConfigurationError(
            "max_response_bytes and max_redirects: expected at least 1 and 0, got "
            f"{max_response_bytes} and {max_redirects}"
        )
