"""HTTPS to a name whose checked address is pinned: the TCP connection goes to the address,
while SNI and certificate verification use the name from the URL."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
import trustme

from jobforge.connectors.http import HttpConnector, Operation
from jobforge.errors import ConnectorFailure
from tests.integration.connectors.http_support import LocalServer, NetworkSpy, Reply

API = "api.test"


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def tls_server(authority: trustme.CA, *names: str) -> LocalServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*names).configure_cert(context)
    return LocalServer(tls=context)


def client_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


def connector_for(server: LocalServer, authority: trustme.CA) -> HttpConnector:
    return HttpConnector(
        f"https://{API}:{server.port}",
        operations={"go": Operation("GET", "/go")},
        allowed_hosts=[API],
        resolver=lambda name, port: ["127.0.0.1"] if name == API else [],
        ssl_context=client_context(authority),
    )


@pytest.fixture
def server_for_the_name(authority: trustme.CA, spy: NetworkSpy) -> Iterator[LocalServer]:
    with tls_server(authority, API) as server:
        yield server


def test_tls_is_verified_against_the_name_while_connecting_to_the_address(
    server_for_the_name: LocalServer, authority: trustme.CA, spy: NetworkSpy
) -> None:
    server = server_for_the_name
    server.routes["/go"] = lambda seen: Reply(200, b"secure", {"Content-Type": "text/plain"})
    with connector_for(server, authority) as connector:
        assert connector("go", {}) == "secure"
    assert server.server_names == [API]
    assert server.seen[0].headers["host"] == f"{API}:{server.port}"
    assert spy.connected == ["127.0.0.1"]


def test_a_certificate_for_another_name_is_refused(authority: trustme.CA, spy: NetworkSpy) -> None:
    with tls_server(authority, "other.test") as server:
        server.routes["/go"] = lambda seen: Reply(200, b"should not be read")
        with (
            connector_for(server, authority) as connector,
            pytest.raises(ConnectorFailure, match="certificate verify failed") as failed,
        ):
            connector("go", {})
    assert failed.value.type == "network_error"
    assert server.seen == []


def test_a_certificate_from_an_untrusted_authority_is_refused(
    server_for_the_name: LocalServer, spy: NetworkSpy
) -> None:
    with (
        connector_for(server_for_the_name, trustme.CA()) as connector,
        pytest.raises(ConnectorFailure, match="certificate verify failed"),
    ):
        connector("go", {})
    assert server_for_the_name.seen == []
