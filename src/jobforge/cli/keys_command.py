"""`jobforge keys`: issue, rotate, revoke and list a tenant's API keys.

Each command runs a keys job and waits for a worker serving ``jobforge.keys.*`` to finish
it. A new key's text is made here, never in a job: ``issue`` and ``rotate`` print it on
standard output, alone, once its hash is stored, and never again; what it is goes to
standard error. ``grant-verifier`` and ``revoke-verifier`` name the roles (the HTTP
ingress's) that may authenticate keys.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from jobforge.cli.common import EXIT_OK, add_database_url_option
from jobforge.db.connection import require_database_url

if TYPE_CHECKING:
    from jobforge.client import JobForgeClient

_DURATION_PART = re.compile(r"(\d+)([wdhms])")
_SECONDS_PER_UNIT = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
SHOWN_ONCE = (
    "This is the only time the key is shown: store it now (in a secret manager). "
    "JobForge keeps only its hash."
)


def parse_duration(text: str) -> timedelta:
    """``90d``, ``24h``, ``1h30m``, ``45s`` or a number of seconds, as a timedelta."""
    stripped = text.strip()
    if stripped.isdigit():
        return timedelta(seconds=int(stripped))
    parts = _DURATION_PART.findall(stripped)
    if not parts or "".join(number + unit for number, unit in parts) != stripped:
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 90d, 24h, 1h30m or 45s, got {text!r}"
        )
    return timedelta(seconds=sum(int(number) * _SECONDS_PER_UNIT[unit] for number, unit in parts))


def parse_time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"expected a time with a zone such as 2026-01-31T00:00:00Z, got {text!r}"
        )
    return parsed


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = subparsers.add_parser(
        "keys",
        help="issue, rotate, revoke and list a tenant's API keys",
        description="Manage a tenant's API keys through keys jobs (a worker serving "
        "jobforge.keys.* must be running). Run as a producer of the tenant, or as the owner.",
    )
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")

    issue = actions.add_parser(
        "issue",
        help="make a key and print it once",
        description="Make a key for TENANT, store its hash (a jobforge.keys.issue job), then "
        "print the key on standard output: once, and never again.",
    )
    issue.add_argument("--tenant", required=True, metavar="TENANT_ID")
    issue.add_argument("--name", required=True, help="what the key is for (shown in lists)")
    issue.add_argument(
        "--scope", dest="scopes", action="append", required=True, metavar="SCOPE",
        help="repeatable: enqueue:<job type pattern> (e.g. 'enqueue:acme.billing.*'), "
        "read:jobs, cancel:jobs, events:fire",
    )  # fmt: skip
    _add_expiry_options(issue)
    _add_common_options(issue)
    issue.set_defaults(run=run_issue)

    rotate = actions.add_parser(
        "rotate",
        help="replace a key with a new one; the old one works for a grace period",
        description="Make a new key with KEY_ID's name and scopes, print it once, and let "
        "the old key work for the grace period (a jobforge.keys.rotate job).",
    )
    rotate.add_argument("key_id", metavar="KEY_ID")
    rotate.add_argument(
        "--grace", type=parse_duration, default=timedelta(hours=24), metavar="DURATION",
        help="how long the old key keeps working, 0s to 30d (default: 24h)",
    )  # fmt: skip
    _add_tenant_option(rotate)
    _add_expiry_options(rotate, inherited=True)
    _add_common_options(rotate)
    rotate.set_defaults(run=run_rotate)

    revoke = actions.add_parser("revoke", help="make a key unusable at once")
    revoke.add_argument("key_id", metavar="KEY_ID")
    revoke.add_argument("--reason", help="recorded with the key")
    _add_tenant_option(revoke)
    _add_common_options(revoke)
    revoke.set_defaults(run=run_revoke)

    listing = actions.add_parser("list", help="a tenant's keys (never their hashes)")
    listing.add_argument("--tenant", required=True, metavar="TENANT_ID")
    listing.add_argument(
        "--all", dest="include_inactive", action="store_true",
        help="expired and revoked keys too",
    )  # fmt: skip
    listing.add_argument("--limit", type=int, default=100, help="at most this many (1 to 1000)")
    listing.add_argument("--json", action="store_true", help="the job's output, as JSON")
    _add_common_options(listing)
    listing.set_defaults(run=run_list)

    for name, verb in (("grant-verifier", "may"), ("revoke-verifier", "may no longer")):
        verifier = actions.add_parser(
            name,
            help=f"a role that {verb} authenticate API keys (the HTTP ingress's; owner only)",
        )
        verifier.add_argument("role", metavar="ROLE")
        add_database_url_option(verifier, required=True)
        verifier.set_defaults(
            run=run_grant_verifier if name == "grant-verifier" else run_revoke_verifier
        )


def _add_tenant_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tenant", metavar="TENANT_ID",
        help="the key's tenant (default: looked up, as this role may read its tenants' keys)",
    )  # fmt: skip


def _add_expiry_options(parser: argparse.ArgumentParser, *, inherited: bool = False) -> None:
    default = "the old key's expiry" if inherited else "never"
    expiry = parser.add_mutually_exclusive_group()
    expiry.add_argument(
        "--expires-in", type=parse_duration, metavar="DURATION",
        help=f"the key expires this long from now, e.g. 90d (default: {default})",
    )  # fmt: skip
    expiry.add_argument("--expires-at", type=parse_time, metavar="TIME", help="or at this time")


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait", type=float, default=60.0, metavar="SECONDS",
        help="how long to wait for the job (default: 60)",
    )  # fmt: skip
    add_database_url_option(parser, required=True)


def _client(args: argparse.Namespace) -> JobForgeClient:
    from jobforge.client import JobForgeClient  # noqa: PLC0415 - only keys commands need it

    return JobForgeClient(require_database_url(args.database_url))


def _expires_at(args: argparse.Namespace) -> datetime | None:
    expires_in: timedelta | None = args.expires_in
    if expires_in is not None:
        return datetime.now(UTC) + expires_in
    expires_at: datetime | None = args.expires_at
    return expires_at


def _tenant(args: argparse.Namespace) -> str:
    if args.tenant:
        return str(args.tenant)
    from jobforge.keys.operations import key_tenant  # noqa: PLC0415

    return str(key_tenant(require_database_url(args.database_url), args.key_id))


def run_issue(args: argparse.Namespace) -> int:
    from jobforge.keys.operations import issue_key  # noqa: PLC0415

    with _client(args) as client:
        issued = issue_key(
            client, tenant_id=args.tenant, name=args.name, scopes=args.scopes,
            expires_at=_expires_at(args), wait_seconds=args.wait,
        )  # fmt: skip
    key = issued.key
    _note(
        f"issued key {key['key_id']} ({key['prefix']}, {_printable(key['name'])!r}) for tenant "
        f"{args.tenant}: {', '.join(key['scopes'])}; {_expiry(key['expires_at'])}"
    )
    _note(SHOWN_ONCE)
    print(issued.text)
    return EXIT_OK


def run_rotate(args: argparse.Namespace) -> int:
    from jobforge.keys.operations import rotate_key  # noqa: PLC0415

    tenant = _tenant(args)
    with _client(args) as client:
        rotated = rotate_key(
            client, args.key_id, tenant_id=tenant, grace=args.grace,
            expires_at=_expires_at(args), wait_seconds=args.wait,
        )  # fmt: skip
    old, new = rotated.old_key, rotated.new_key
    _note(
        f"rotated key {old['key_id']} to {new['key_id']} ({new['prefix']}); the old key works "
        f"until {old['expires_at']}; the new one {_expiry(new['expires_at'])}"
    )
    _note(SHOWN_ONCE)
    print(rotated.text)
    return EXIT_OK


def run_revoke(args: argparse.Namespace) -> int:
    from jobforge.keys.operations import revoke_key  # noqa: PLC0415

    tenant = _tenant(args)
    with _client(args) as client:
        output = revoke_key(
            client, args.key_id, tenant_id=tenant, reason=args.reason, wait_seconds=args.wait
        )
    key = output["key"]
    if output["already_revoked"]:
        print(f"key {key['key_id']} was already revoked at {key['revoked_at']}")
    else:
        print(f"revoked key {key['key_id']} at {key['revoked_at']}")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    from jobforge.keys.operations import list_keys  # noqa: PLC0415

    with _client(args) as client:
        output = list_keys(
            client, tenant_id=args.tenant, include_inactive=args.include_inactive,
            limit=args.limit, wait_seconds=args.wait,
        )  # fmt: skip
    if args.json:
        print(json.dumps(output, indent=2, sort_keys=True))
        return EXIT_OK
    print(_key_table(output["keys"]))
    if output["truncated"]:
        print(f"(only the first {output['count']}: raise --limit to see more)")
    return EXIT_OK


def run_grant_verifier(args: argparse.Namespace) -> int:
    from jobforge.keys.operations import grant_key_verifier  # noqa: PLC0415

    grant_key_verifier(require_database_url(args.database_url), args.role)
    print(f"role {args.role} may authenticate API keys")
    return EXIT_OK


def run_revoke_verifier(args: argparse.Namespace) -> int:
    from jobforge.keys.operations import revoke_key_verifier  # noqa: PLC0415

    removed = revoke_key_verifier(require_database_url(args.database_url), args.role)
    print(f"role {args.role} may no longer authenticate API keys" if removed else "no such grant")
    return EXIT_OK


def _key_table(keys: list[dict[str, Any]]) -> str:
    header = ("key id", "prefix", "status", "expires", "name", "scopes")
    rows = [
        (
            key["key_id"],
            key["prefix"],
            key["status"],
            key["expires_at"] or "never",
            _printable(key["name"]),
            " ".join(key["scopes"]),
        )
        for key in keys
    ]
    widths = [max([len(header[i]), *(len(row[i]) for row in rows)]) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True))
        + "  "
        + row[5]
        for row in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines) if rows else "no keys"


def _expiry(expires_at: str | None) -> str:
    return "never expires" if expires_at is None else f"expires at {expires_at}"


def _printable(text: str) -> str:
    return "".join(character if character.isprintable() else "?" for character in text)


def _note(text: str) -> None:
    print(text, file=sys.stderr)
