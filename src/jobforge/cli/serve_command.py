"""`jobforge serve`: the HTTP ingress; `jobforge grant-ingress` / `revoke-ingress`: the
owner's setup of the tenant roles it acts as (docs/SECURITY.md, "HTTP ingress")."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobforge.cli.common import EXIT_OK, add_database_url_option
from jobforge.db.connection import require_database_url
from jobforge.errors import ConfigurationError

QUEUE_METRICS_VARIABLE = "JOBFORGE_QUEUE_METRICS_DATABASE_URL"
INSTALL_HINT = "jobforge serve needs FastAPI and uvicorn: pip install 'jobforge[server]'"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Imported here: every `jobforge` command builds this parser; only serve needs them.
    from jobforge.server import settings as defaults  # noqa: PLC0415

    serve = subparsers.add_parser(
        "serve",
        help="run the HTTP ingress: enqueue, read, cancel, fire events, receive webhooks",
        description="Serve the HTTP API (/v1/jobs, /v1/events, /v1/webhooks/{source}, "
        "/healthz, /metrics, /openapi.json). The database URL logs in as the server's role: "
        "a key verifier and a member of each served tenant's producer role "
        "(jobforge grant-ingress).",
    )
    add_database_url_option(serve, required=True)
    serve.add_argument("--host", default=defaults.DEFAULT_HOST, help="default: %(default)s")
    serve.add_argument(
        "--port", type=int, default=defaults.DEFAULT_PORT, help="default: %(default)s"
    )
    serve.add_argument(
        "--config", type=Path, metavar="FILE", help="TOML file of webhook sources ([webhooks.NAME])"
    )
    serve.add_argument(
        "--max-body-bytes", type=int, default=defaults.DEFAULT_MAX_BODY_BYTES, metavar="N",
        help="larger request bodies are refused with 413 (default: %(default)s)",
    )  # fmt: skip
    serve.add_argument(
        "--rate-limit", type=float, default=defaults.DEFAULT_RATE_PER_SECOND, metavar="PER_SECOND",
        help="requests per second per API key and per webhook source, in this process "
        "(default: %(default)s)",
    )  # fmt: skip
    serve.add_argument(
        "--burst", type=int, default=defaults.DEFAULT_BURST, metavar="N",
        help="requests a key may send at once before the rate applies (default: %(default)s)",
    )  # fmt: skip
    serve.add_argument(
        "--key-cache-seconds", type=float, default=defaults.DEFAULT_KEY_CACHE_SECONDS,
        metavar="SECONDS",
        help="how long a verified key is remembered; a revoked key works this long at most "
        "(default: %(default)s)",
    )  # fmt: skip
    serve.add_argument(
        "--queue-metrics-database-url", default=None, metavar="URL",
        help="also export the queue depth and lag gauges at /metrics, read as this role "
        "(an operator's or a worker role's; default: $JOBFORGE_QUEUE_METRICS_DATABASE_URL, "
        "else none)",
    )  # fmt: skip
    serve.add_argument(
        "--connections", type=int, default=defaults.DEFAULT_DATABASE_CONNECTIONS, metavar="N",
        help="database connections at most (default: %(default)s)",
    )  # fmt: skip
    serve.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )
    serve.set_defaults(run=run_serve)

    for name, verb in (("grant-ingress", "let"), ("revoke-ingress", "stop")):
        parser = subparsers.add_parser(
            name,
            help=f"{verb} the server's login role act for a tenant (owner only)",
            description="grant-ingress creates the tenant's producer role "
            "(jobforge_producer_<tenant id hex>, NOLOGIN NOINHERIT), grants it the tenant as "
            "a producer and makes SERVER_ROLE (which must be NOINHERIT) a member of it. "
            "revoke-ingress withdraws the membership. Needs the JobForge owner role, and "
            "CREATEROLE to create the role.",
        )
        parser.add_argument("server_role", metavar="SERVER_ROLE")
        parser.add_argument("tenant_id", metavar="TENANT_ID")
        parser.add_argument("--format", choices=("text", "json"), default="text")
        add_database_url_option(parser, required=True)
        parser.set_defaults(
            run=run_grant_ingress if name == "grant-ingress" else run_revoke_ingress
        )


@dataclass(frozen=True, slots=True)
class IngressGrant:
    """What grant-ingress or revoke-ingress did, for the reporter."""

    action: str
    server_role: str
    tenant_id: str
    tenant_role: str


def run_grant_ingress(args: argparse.Namespace) -> int:
    from jobforge.server.tenant_roles import grant_ingress  # noqa: PLC0415

    role = grant_ingress(require_database_url(args.database_url), args.server_role, args.tenant_id)
    return _report(IngressGrant("granted", args.server_role, args.tenant_id, role), args.format)


def run_revoke_ingress(args: argparse.Namespace) -> int:
    from jobforge.server.tenant_roles import revoke_ingress  # noqa: PLC0415

    role = revoke_ingress(require_database_url(args.database_url), args.server_role, args.tenant_id)
    return _report(IngressGrant("revoked", args.server_role, args.tenant_id, role), args.format)


def _report(grant: IngressGrant, output_format: str) -> int:
    if output_format == "json":
        document = {
            "action": grant.action,
            "server_role": grant.server_role,
            "tenant_id": grant.tenant_id,
            "tenant_role": grant.tenant_role,
        }
        print(json.dumps(document, sort_keys=True))
    elif grant.action == "granted":
        print(
            f"role {grant.server_role} may act for tenant {grant.tenant_id} "
            f"as {grant.tenant_role} (a producer)"
        )
    else:
        print(f"role {grant.server_role} no longer acts for tenant {grant.tenant_id}")
    return EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: PLC0415

        from jobforge.dashboard import dashboard_mounts  # noqa: PLC0415
        from jobforge.server.app import create_app  # noqa: PLC0415
    except ImportError as exc:
        raise ConfigurationError(f"{INSTALL_HINT} ({exc.name} is missing)") from exc
    settings = _settings(args)
    _check_database(settings.database_url)
    app = create_app(settings, mounts=dashboard_mounts(settings.database_url))
    config: Any = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        lifespan="on",
        server_header=False,
    )
    # Ctrl-C is how a server is stopped: uvicorn has shut down gracefully by the time it
    # raises the signal again, so it ends the command with success.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run()
    return EXIT_OK


def _settings(args: argparse.Namespace) -> Any:
    from jobforge.server.settings import ServerSettings  # noqa: PLC0415
    from jobforge.server.webhook_sources import load_webhook_sources  # noqa: PLC0415

    if not 0 <= args.port <= 65535:
        raise ConfigurationError(f"--port: expected 0 to 65535, got {args.port}")
    sources = load_webhook_sources(args.config) if args.config is not None else ()
    return ServerSettings(
        database_url=require_database_url(args.database_url),
        max_body_bytes=args.max_body_bytes,
        rate_per_second=args.rate_limit,
        burst=args.burst,
        key_cache_seconds=args.key_cache_seconds,
        database_connections=args.connections,
        webhook_sources=sources,
        queue_metrics_database_url=args.queue_metrics_database_url
        or os.environ.get(QUEUE_METRICS_VARIABLE, "").strip()
        or None,
    )


def _check_database(database_url: str) -> None:
    """Fail at start, with the reason, when the database cannot be reached."""
    from jobforge.server.database import Database  # noqa: PLC0415

    database = Database(database_url, size=1)
    try:
        database.ping()
    finally:
        database.close()
