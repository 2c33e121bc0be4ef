"""The HTTP connector against a real server on 127.0.0.1 that each test explicitly allows.

Names are answered by a resolver hook (never the system's DNS); the network spy records
every connection and vetoes any off loopback, so a refused address is proven never to
have been connected to.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from typing import Any

import pytest

from jobforge.connectors.http import (
    AddressRefused,
    BearerTokenFromEnv,
    HttpConnector,
    HttpRequest,
    HttpStatusError,
    Operation,
    RequestRefused,
)
from jobforge.errors import ConnectorFailure
from tests.integration.connectors.http_support import LocalServer, NetworkSpy, Reply

API = "api.test"
OTHER = "other.test"


def json_reply(value: Any, status: int = 200, **headers: str) -> Reply:
    return Reply(
        status, json.dumps(value).encode(), {"Content-Type": "application/json", **headers}
    )


class Resolver:
    """Answers from a table; a name may get a different answer each time (a list of lists)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.questions: list[str] = []

    def __call__(self, name: str, port: int) -> Iterable[str]:
        self.questions.append(name)
        answers = self.answers.get(name, [[]])
        return answers.pop(0) if len(answers) > 1 else answers[0]


def loopback_resolver() -> Resolver:
    return Resolver(
        {API: [["127.0.0.1"]], OTHER: [["127.0.0.1"]], "internal.test": [["192.168.1.10"]]}
    )


def connector_for(server: LocalServer, **options: Any) -> HttpConnector:
    """A connector whose base URL names api.test, resolved to and allowed on 127.0.0.1."""
    options.setdefault("allowed_hosts", [API, OTHER])
    options.setdefault("resolver", loopback_resolver())
    options.setdefault(
        "operations",
        {
            "get_zone": Operation("GET", "/zones/{zone}"),
            "purge": Operation("POST", "/zones/{zone}/purge"),
            "go": Operation("GET", "/go"),
            "post_go": Operation("POST", "/go"),
        },
    )
    return HttpConnector(f"http://{API}:{server.port}/v1", **options)


def test_a_call_reaches_the_allowed_server_by_its_checked_address(
    server: LocalServer, spy: NetworkSpy
) -> None:
    server.routes["/v1/zones/z%2F1"] = lambda seen: json_reply({"zone": "z/1", "ok": True})
    with connector_for(server) as connector:
        assert connector("get_zone", {"zone": "z/1", "fields": ["a", "b"]}) == {
            "zone": "z/1",
            "ok": True,
        }
    [seen] = server.seen
    assert (seen.method, seen.path) == ("GET", "/v1/zones/z%2F1?fields=a&fields=b")
    assert seen.headers["host"] == f"{API}:{server.port}"
    assert seen.headers["user-agent"] == "jobforge-http-connector"
    assert spy.connected == ["127.0.0.1"]
    assert (
        API not in spy.looked_up
    )  # the system never resolved the name: the guard's answer was used


def test_a_post_sends_the_remaining_fields_as_canonical_json(server: LocalServer) -> None:
    server.routes["/v1/zones/z1/purge"] = lambda seen: json_reply({"purged": json.loads(seen.body)})
    with connector_for(server) as connector:
        result = connector("purge", {"zone": "z1", "urls": ["/b", "/a"], "hard": True})
    assert result == {"purged": {"urls": ["/b", "/a"], "hard": True}}
    [seen] = server.seen
    assert seen.body == b'{"hard":true,"urls":["/b","/a"]}'
    assert seen.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("host", "rule"),
    [
        ("127.0.0.1", "loopback"),
        ("2130706433", "loopback"),
        ("0x7f.1", "loopback"),
        ("017700000001", "loopback"),
        ("127.1", "loopback"),
        ("[::1]", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("[::ffff:7f00:1]", "loopback"),
        ("[64:ff9b::127.0.0.1]", "loopback"),
        ("[2002:7f00:1::1]", "loopback"),
        ("localhost", "loopback"),
    ],
)
def test_loopback_is_refused_in_every_spelling_without_an_allowance(
    server: LocalServer, spy: NetworkSpy, host: str, rule: str
) -> None:
    connector = HttpConnector(
        f"http://{host}:{server.port}", operations={"go": Operation("GET", "/go")}
    )
    with connector, pytest.raises(AddressRefused) as refused:
        connector("go", {})
    assert refused.value.rule == rule
    assert spy.connected == []
    assert server.seen == []


def test_requests_to_an_allowed_host_keep_their_credentials_on_the_same_origin_only(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBFORGE_TEST_TOKEN", "t0ken")
    server.routes["/v1/go"] = lambda seen: Reply(302, headers={"Location": "/v1/same"})
    server.routes["/v1/same"] = lambda seen: Reply(
        307, headers={"Location": f"http://{OTHER}:{server.port}/elsewhere"}
    )
    server.routes["/elsewhere"] = lambda seen: json_reply("done")
    with connector_for(server, auth=BearerTokenFromEnv("JOBFORGE_TEST_TOKEN")) as connector:
        assert connector("go", {}) == "done"
    authorizations = [(seen.path, seen.headers.get("authorization")) for seen in server.seen]
    assert authorizations == [
        ("/v1/go", "Bearer t0ken"),
        ("/v1/same", "Bearer t0ken"),
        ("/elsewhere", None),
    ]


def test_a_redirect_to_another_origin_drops_the_requests_own_credentials(
    server: LocalServer,
) -> None:
    operation = Operation("GET", "/go", headers={"Authorization": "Basic b3A=", "X-Keep": "1"})
    server.routes["/v1/go"] = lambda seen: Reply(
        302, headers={"Location": f"http://{OTHER}:{server.port}/elsewhere"}
    )
    server.routes["/elsewhere"] = lambda seen: json_reply("done")
    with connector_for(server, operations={"go": operation}) as connector:
        assert connector("go", {}) == "done"
    first, second = server.seen
    assert (first.headers.get("authorization"), first.headers.get("x-keep")) == ("Basic b3A=", "1")
    assert (second.headers.get("authorization"), second.headers.get("x-keep")) == (None, "1")


def test_an_international_name_is_resolved_and_allowed_in_its_ascii_form(
    server: LocalServer, spy: NetworkSpy
) -> None:
    resolver = Resolver({"xn--bcher-kva.test": [["127.0.0.1"]]})
    server.routes["/go"] = lambda seen: json_reply(seen.headers["host"])
    connector = HttpConnector(
        f"http://bücher.test:{server.port}",
        operations={"go": Operation("GET", "/go")},
        allowed_hosts=["Bücher.test"],
        resolver=resolver,
    )
    with connector:
        assert connector("go", {}) == f"xn--bcher-kva.test:{server.port}"
    assert resolver.questions == ["xn--bcher-kva.test"]


def redirect_targets(port: int) -> list[tuple[str, str]]:
    return [
        ("http://10.0.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "cloud-metadata"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "cloud-metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud-metadata"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://internal.test/", "private"),
        (f"http://127.0.0.1:{port}/", "loopback"),
        (f"http://2130706433:{port}/", "loopback"),
        (f"http://0x7f.1:{port}/", "loopback"),
        (f"http://localhost:{port}/", "loopback"),
    ]


@pytest.mark.parametrize("index", range(len(redirect_targets(0))))
def test_an_allowed_host_redirecting_to_a_forbidden_one_is_refused(
    server: LocalServer, spy: NetworkSpy, index: int
) -> None:
    target, rule = redirect_targets(server.port)[index]
    server.routes["/v1/go"] = lambda seen: Reply(302, headers={"Location": target})
    with connector_for(server) as connector, pytest.raises(AddressRefused) as refused:
        connector("go", {})
    assert refused.value.rule == rule
    assert spy.connected == ["127.0.0.1"]  # the first hop only
    assert spy.vetoed == []
    assert [seen.path for seen in server.seen] == ["/v1/go"]


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "gopher://api.test:70/", "ftp://api.test/", "http://u:p@api.test/"],
)
def test_redirects_to_other_schemes_or_to_credentials_are_refused(
    server: LocalServer, location: str
) -> None:
    server.routes["/v1/go"] = lambda seen: Reply(301, headers={"Location": location})
    with connector_for(server) as connector, pytest.raises(RequestRefused, match="redirected"):
        connector("go", {})


def test_redirects_stop_at_the_limit(server: LocalServer) -> None:
    server.routes["/v1/go"] = lambda seen: Reply(302, headers={"Location": "/v1/go"})
    with (
        connector_for(server, max_redirects=3) as connector,
        pytest.raises(ConnectorFailure, match="more than 3 redirects") as failed,
    ):
        connector("go", {})
    assert failed.value.type == "invalid_response"
    assert len(server.seen) == 4


@pytest.mark.parametrize(
    ("status", "method", "body"),
    [(303, "GET", b""), (302, "GET", b""), (307, "POST", b"{}"), (308, "POST", b"{}")],
)
def test_a_post_redirect_keeps_or_drops_its_body_as_http_says(
    server: LocalServer, status: int, method: str, body: bytes
) -> None:
    server.routes["/v1/go"] = lambda seen: Reply(status, headers={"Location": "/v1/next"})
    server.routes["/v1/next"] = lambda seen: json_reply(seen.method)
    with connector_for(server) as connector:
        assert connector("post_go", {}) == method
    assert server.seen[-1].body == body


def test_a_rebinding_name_never_reaches_its_second_answer(
    server: LocalServer, spy: NetworkSpy
) -> None:
    # The second answer is a loopback address the policy does not allow (not a real private
    # network: even a broken guard must not send a packet off this machine).
    resolver = Resolver({API: [["127.0.0.1"], ["127.0.0.2"]]})
    server.routes["/v1/go"] = lambda seen: json_reply("ok", Connection="close")
    with connector_for(
        server, allowed_hosts=[], allowed_networks=["127.0.0.1/32"], resolver=resolver
    ) as connector:
        assert connector("go", {}) == "ok"
        assert resolver.questions == [API]  # checked once, and that answer was connected to
        with pytest.raises(AddressRefused, match=r"resolved to 127\.0\.0\.2: rule loopback"):
            connector("go", {})
    assert resolver.questions == [API, API]
    assert spy.connected == ["127.0.0.1"]
    assert len(server.seen) == 1


def test_one_forbidden_answer_refuses_the_name_before_any_connection(
    server: LocalServer, spy: NetworkSpy
) -> None:
    resolver = Resolver({API: [["127.0.0.1", "127.0.0.2"]]})
    with (
        connector_for(
            server, allowed_hosts=[], allowed_networks=["127.0.0.1/32"], resolver=resolver
        ) as connector,
        pytest.raises(AddressRefused, match=r"127\.0\.0\.2"),
    ):
        connector("go", {})
    assert spy.connected == []


def test_proxies_from_the_environment_are_ignored(
    server: LocalServer, spy: NetworkSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(variable, "http://127.0.0.9:9")
    server.routes["/v1/go"] = lambda seen: json_reply("direct")
    with connector_for(server) as connector:
        assert connector("go", {}) == "direct"
    assert spy.connected == ["127.0.0.1"]
    assert server.seen[0].path == "/v1/go"


def test_no_cookie_is_kept_between_calls(server: LocalServer) -> None:
    server.routes["/v1/go"] = lambda seen: json_reply(
        seen.headers.get("cookie"), **{"Set-Cookie": "session=tenant-a; Path=/"}
    )
    with connector_for(server) as connector:
        assert connector("go", {}) is None
        assert connector("go", {}) is None


def test_a_header_injection_is_refused_before_connecting(
    server: LocalServer, spy: NetworkSpy
) -> None:
    def build(operation: str, request: Any) -> HttpRequest:
        return HttpRequest("GET", "/go", headers={"X-Tenant": request["tenant"]})

    with (
        connector_for(server, operations=build) as connector,
        pytest.raises(RequestRefused, match="no CR, LF"),
    ):
        connector("go", {"tenant": "a\r\nX-Admin: true"})
    assert spy.connected == []


def test_a_body_that_is_not_json_is_refused_before_connecting(
    server: LocalServer, spy: NetworkSpy
) -> None:
    def build(operation: str, request: Any) -> HttpRequest:
        return HttpRequest("POST", "/go", json={"amount": float("nan")})

    with (
        connector_for(server, operations=build) as connector,
        pytest.raises(RequestRefused, match="request body"),
    ):
        connector("go", {})
    assert spy.connected == []


def test_statuses_become_typed_failures_with_retry_after(server: LocalServer) -> None:
    server.routes["/v1/go"] = lambda seen: json_reply(
        {"error": "slow down"}, 429, **{"Retry-After": "3"}
    )
    with connector_for(server) as connector, pytest.raises(HttpStatusError) as failed:
        connector("go", {})
    assert (failed.value.type, failed.value.status_code, failed.value.retry_after) == (
        "rate_limit_exceeded",
        429,
        3.0,
    )
    assert str(failed.value).startswith(f"go: GET http://{API}:{server.port}/v1/go: HTTP 429")


def test_large_and_inflating_bodies_are_cut_off(server: LocalServer) -> None:
    server.routes["/v1/big"] = lambda seen: Reply(200, b"x" * 5000, {"Content-Type": "text/plain"})
    bomb = gzip.compress(b"[" + b" " * 20_000_000 + b"]")
    server.routes["/v1/bomb"] = lambda seen: Reply(
        200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )
    operations = {"big": Operation("GET", "/big"), "bomb": Operation("GET", "/bomb")}
    with connector_for(server, operations=operations, max_response_bytes=4096) as connector:
        for operation in operations:
            with pytest.raises(ConnectorFailure, match="larger than 4096 bytes") as failed:
                connector(operation, {})
            assert failed.value.type == "invalid_response"


def test_a_server_that_never_answers_times_out(server: LocalServer) -> None:
    server.routes["/v1/go"] = lambda seen: Reply(hang=True)
    with (
        connector_for(server, timeout_seconds=0.2) as connector,
        pytest.raises(ConnectorFailure, match="timed out") as failed,
    ):
        connector("go", {})
    assert failed.value.type == "timeout"


def test_a_body_trickling_in_is_stopped_at_the_call_deadline(server: LocalServer) -> None:
    server.routes["/v1/go"] = lambda seen: Reply(headers={"Content-Type": "text/plain"}, drip=True)
    with (
        connector_for(server, timeout_seconds=5, deadline_seconds=0.3) as connector,
        pytest.raises(ConnectorFailure, match="not read in time") as failed,
    ):
        connector("go", {})
    assert failed.value.type == "timeout"


def test_a_refused_connection_is_a_network_failure(spy: NetworkSpy) -> None:
    with LocalServer() as closed:
        port = closed.port
    connector = HttpConnector(
        f"http://{API}:{port}",
        operations={"go": Operation("GET", "/")},
        allowed_hosts=[API],
        resolver=loopback_resolver(),
    )
    with connector, pytest.raises(ConnectorFailure) as failed:
        connector("go", {})
    assert failed.value.type == "network_error"
    assert f"{API}:{port}" in str(failed.value)
