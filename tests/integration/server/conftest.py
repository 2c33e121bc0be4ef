"""Fixtures of the ingress tests: two tenants served by one login role, keys, a server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.conftest import TenantRole
from tests.integration.server.support import (
    IngressWorld,
    RunningServer,
    ingress_world,
    running_server,
)


@pytest.fixture
def world(database_url: str, make_role: Callable[[], TenantRole]) -> Iterator[IngressWorld]:
    with ingress_world(database_url, make_role) as built:
        yield built


@pytest.fixture
def server(world: IngressWorld) -> Iterator[RunningServer]:
    with running_server(world.settings()) as running:
        yield running
