"""What the request handlers share: the database pool, the key cache, the rate limiter
and the webhook sources. One per app, kept on ``app.state.ingress``."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from jobforge.connectors.webhooks import WebhookVerifier
from jobforge.keys import VerificationCache
from jobforge.server.database import Database
from jobforge.server.rate_limit import RateLimiter
from jobforge.server.settings import ServerSettings
from jobforge.server.webhook_sources import WebhookSource


@dataclass
class IngressContext:
    settings: ServerSettings
    database: Database
    key_cache: VerificationCache
    limiter: RateLimiter
    sources: dict[str, tuple[WebhookSource, WebhookVerifier]] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: ServerSettings) -> IngressContext:
        return cls(
            settings=settings,
            database=Database(settings.database_url, size=settings.database_connections),
            key_cache=VerificationCache(ttl_seconds=settings.key_cache_seconds),
            limiter=RateLimiter(rate_per_second=settings.rate_per_second, burst=settings.burst),
            sources={
                source.name: (source, source.verifier()) for source in settings.webhook_sources
            },
        )


def ingress(request: Request) -> IngressContext:
    """The context of the app serving ``request`` (a FastAPI dependency)."""
    context = request.app.state.ingress
    assert isinstance(context, IngressContext)
    return context
