"""Fixtures of the connector integration tests: a local server and the network spy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.connectors.http_support import LocalServer, NetworkSpy


@pytest.fixture
def spy() -> Iterator[NetworkSpy]:
    """Every connection and lookup of the test; any connection off loopback is vetoed."""
    yield from NetworkSpy.installed().watching()


@pytest.fixture
def server(spy: NetworkSpy) -> Iterator[LocalServer]:
    """An HTTP server on 127.0.0.1, started after the spy so every connection is seen."""
    with LocalServer() as local:
        yield local
