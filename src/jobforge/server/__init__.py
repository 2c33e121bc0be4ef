"""``jobforge serve``: the HTTP ingress (FastAPI on uvicorn).

* ``app``: ``create_app(settings, mounts=...)``, the ASGI app;
* ``settings`` and ``webhook_sources``: its configuration;
* ``auth``, ``rate_limit``, ``database``: who is calling, how often, and acting as them
  (each request's transaction runs as its tenant's producer role);
* ``problems``: every error as ``application/problem+json``;
* ``routes``: ``/v1/jobs``, ``/v1/events``, ``/v1/webhooks/{source}``, ``/healthz``,
  ``/metrics``;
* ``tenant_roles``: the owner's setup of those roles (``jobforge grant-ingress``).

The app needs the ``server`` extra (``pip install 'jobforge[server]'``); ``tenant_roles``
does not, so this package imports FastAPI only when ``create_app`` is asked for.
docs/SECURITY.md ("HTTP ingress") describes the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobforge.server.app import create_app
    from jobforge.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from jobforge.server.app import create_app  # noqa: PLC0415 - needs FastAPI

        return create_app
    if name == "ServerSettings":
        from jobforge.server.settings import ServerSettings  # noqa: PLC0415

        return ServerSettings
    raise AttributeError(name)
