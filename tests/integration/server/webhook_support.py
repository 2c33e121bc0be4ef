"""Signed deliveries for the ingress's webhook tests."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

from jobforge.connectors.webhooks import WebhookSecret, WebhookSigner, new_message_id
from jobforge.server.webhook_sources import WebhookSource
from tests.integration.server.support import IngressWorld, RunningServer, running_server


def sources(world: IngressWorld, secret: WebhookSecret, **options: Any) -> list[WebhookSource]:
    return [
        WebhookSource(name="billing", tenant_id=world.tenant_a, secret=secret,
                      job_type="billing.webhook", **options),
        WebhookSource(name="signups", tenant_id=world.tenant_a, secret=secret,
                      event_type="user.signed_up", **options),
    ]  # fmt: skip


@contextlib.contextmanager
def webhook_server(
    world: IngressWorld, secret: WebhookSecret, **options: Any
) -> Iterator[RunningServer]:
    settings = world.settings(webhook_sources=tuple(sources(world, secret, **options)))
    with running_server(settings) as server:
        yield server


def deliver(
    server: RunningServer,
    source: str,
    body: bytes | dict[str, Any],
    secret: WebhookSecret,
    *,
    message_id: str | None = None,
    timestamp: int | None = None,
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = WebhookSigner(secret).sign(
        raw, message_id=message_id or new_message_id(), timestamp=timestamp
    )
    with server.client() as http:
        return http.post(
            f"/v1/webhooks/{source}",
            content=raw,
            headers={**headers, "Content-Type": "application/json"},
        )


def job_ids(response: httpx.Response) -> list[uuid.UUID]:
    return [uuid.UUID(job["job_id"]) for job in response.json()["jobs"]]
