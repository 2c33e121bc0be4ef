"""Reading the payloads of the keys job types into checked values.

The runner contract's input schemas state these rules too, and the worker enforces them
when it knows the contracts (``invalid_input``). The handlers check again, so a worker
run with ``--no-contracts`` refuses the same payloads (``invalid_key_request``); and the
database checks scopes, prefixes and hash parameters a third time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobforge.runners.keys.errors import InvalidKeyRequest
from jobforge.runners.keys.names import KEY_TEXT_PREFIX, MAX_GRACE_SECONDS, PREFIX_KEY_ID_DIGITS

# The scope grammar: jobforge.keys.scopes.SCOPE_PATTERN, the contract's and the
# migration's (a test keeps the four equal). Used with fullmatch.
SCOPE_PATTERN = (
    r"^(enqueue:([*]|[a-z0-9][a-z0-9_-]*)([.]([*]|[a-z0-9][a-z0-9_-]*))*"
    r"|read:jobs|cancel:jobs|events:fire)$"
)
MAX_SCOPE_LENGTH = 208
MAX_SCOPES = 50
KEY_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# Shown in terminals and logs: no control characters.
TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
MAX_NAME_LENGTH = 200
MAX_REASON_LENGTH = 500
# RFC 3339 with a time zone, as the golden schema spells it.
TIMESTAMP_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]"
    r":[0-5][0-9](\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
# scrypt cost parameters the store accepts (its table's constraint).
MIN_SCRYPT_N, MAX_SCRYPT_N = 2**14, 2**18
MAX_SCRYPT_R, MAX_SCRYPT_P = 16, 4
SALT_PATTERN = r"^([0-9a-f]{2}){16,64}$"
HASH_PATTERN = r"^[0-9a-f]{64}$"
DEFAULT_LIST_LIMIT = 100
MAX_LIST_LIMIT = 1000

_SCOPE = re.compile(SCOPE_PATTERN)
_KEY_ID = re.compile(KEY_ID_PATTERN)
_TEXT = re.compile(TEXT_PATTERN)
_TIMESTAMP = re.compile(TIMESTAMP_PATTERN)
_SALT = re.compile(SALT_PATTERN)
_HASH = re.compile(HASH_PATTERN)


@dataclass(frozen=True, slots=True)
class Verifier:
    """A key's hash material: scrypt(key text, salt, N, r, p), hex-encoded."""

    n: int
    r: int
    p: int
    salt: str
    hash: str

    def to_store(self) -> dict[str, Any]:
        return {
            "kdf": "scrypt",
            "n": self.n,
            "r": self.r,
            "p": self.p,
            "salt": self.salt,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class IssueRequest:
    key_id: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    verifier: Verifier
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class RotateRequest:
    key_id: str
    new_key_id: str
    new_prefix: str
    verifier: Verifier
    grace_seconds: int
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class RevokeRequest:
    key_id: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class ListRequest:
    include_inactive: bool
    limit: int


def display_prefix(key_id: str) -> str:
    """The start of the key's text, shown in lists: ``jf_`` and 12 hex digits of its id."""
    return KEY_TEXT_PREFIX + key_id.replace("-", "")[:PREFIX_KEY_ID_DIGITS]


def scope_problem(scope: Any) -> str | None:
    """Why ``scope`` is not a scope, or None when it is one."""
    if not isinstance(scope, str):
        return f"expected a scope string, got {_type_name(scope)}"
    if len(scope) > MAX_SCOPE_LENGTH or not _SCOPE.fullmatch(scope):
        return (
            f"expected enqueue:<job type pattern>, read:jobs, cancel:jobs or events:fire, "
            f"got {scope[:MAX_SCOPE_LENGTH]!r}"
        )
    return None


def parse_issue(payload: Any) -> IssueRequest:
    fields = _object(
        payload,
        "payload",
        required={"key_id", "name", "prefix", "scopes", "verifier"},
        optional={"expires_at"},
    )
    key_id = _key_id(fields["key_id"], "payload.key_id")
    return IssueRequest(
        key_id=key_id,
        name=_text(fields["name"], "payload.name", MAX_NAME_LENGTH),
        prefix=_prefix(fields["prefix"], key_id, "payload.prefix"),
        scopes=_scopes(fields["scopes"], "payload.scopes"),
        verifier=_verifier(fields["verifier"], "payload.verifier"),
        expires_at=_optional_time(fields.get("expires_at"), "payload.expires_at"),
    )


def parse_rotate(payload: Any) -> RotateRequest:
    fields = _object(
        payload, "payload", required={"key_id", "new_key", "grace_seconds"}, optional={"expires_at"}
    )
    new_key = _object(
        fields["new_key"],
        "payload.new_key",
        required={"key_id", "prefix", "verifier"},
        optional=set(),
    )
    key_id = _key_id(fields["key_id"], "payload.key_id")
    new_key_id = _key_id(new_key["key_id"], "payload.new_key.key_id")
    if new_key_id == key_id:
        raise InvalidKeyRequest("payload.new_key.key_id: expected a new key id, got the old one")
    return RotateRequest(
        key_id=key_id,
        new_key_id=new_key_id,
        new_prefix=_prefix(new_key["prefix"], new_key_id, "payload.new_key.prefix"),
        verifier=_verifier(new_key["verifier"], "payload.new_key.verifier"),
        grace_seconds=_integer(
            fields["grace_seconds"], "payload.grace_seconds", 0, MAX_GRACE_SECONDS
        ),
        expires_at=_optional_time(fields.get("expires_at"), "payload.expires_at"),
    )


def parse_revoke(payload: Any) -> RevokeRequest:
    fields = _object(payload, "payload", required={"key_id"}, optional={"reason"})
    reason = fields.get("reason")
    return RevokeRequest(
        key_id=_key_id(fields["key_id"], "payload.key_id"),
        reason=None if reason is None else _text(reason, "payload.reason", MAX_REASON_LENGTH),
    )


def parse_list(payload: Any) -> ListRequest:
    fields = _object(payload, "payload", required=set(), optional={"include_inactive", "limit"})
    include_inactive = fields.get("include_inactive", False)
    if not isinstance(include_inactive, bool):
        raise InvalidKeyRequest(
            f"payload.include_inactive: expected a boolean, got {_type_name(include_inactive)}"
        )
    limit = fields.get("limit", DEFAULT_LIST_LIMIT)
    return ListRequest(
        include_inactive=include_inactive,
        limit=_integer(limit, "payload.limit", 1, MAX_LIST_LIMIT),
    )


def parse_time(value: str) -> datetime:
    """An RFC 3339 time with a zone; ValueError otherwise."""
    if not _TIMESTAMP.fullmatch(value):
        raise ValueError(value)
    return datetime.fromisoformat(value)


def _object(value: Any, path: str, *, required: set[str], optional: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidKeyRequest(f"{path}: expected an object, got {_type_name(value)}")
    missing = sorted(required - set(value))
    if missing:
        raise InvalidKeyRequest(f"{path}: missing {', '.join(missing)}")
    unexpected = sorted(set(value) - required - optional)
    if unexpected:
        raise InvalidKeyRequest(f"{path}: unexpected key {unexpected[0]!r}")
    return value


def _key_id(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _KEY_ID.fullmatch(value):
        raise InvalidKeyRequest(f"{path}: expected a lower-case UUID, got {_shown(value)}")
    return value


def _prefix(value: Any, key_id: str, path: str) -> str:
    expected = display_prefix(key_id)
    if value != expected:
        raise InvalidKeyRequest(
            f"{path}: expected {expected!r} for this key id, got {_shown(value)}"
        )
    return expected


def _text(value: Any, path: str, max_length: int) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= max_length:
        raise InvalidKeyRequest(
            f"{path}: expected 1 to {max_length} characters, got {_shown(value)}"
        )
    if not _TEXT.fullmatch(value):
        raise InvalidKeyRequest(f"{path}: control characters are not allowed")
    return value


def _scopes(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_SCOPES:
        raise InvalidKeyRequest(f"{path}: expected a list of 1 to {MAX_SCOPES} scopes")
    for index, scope in enumerate(value):
        problem = scope_problem(scope)
        if problem is not None:
            raise InvalidKeyRequest(f"{path}[{index}]: {problem}")
    if len(set(value)) != len(value):
        raise InvalidKeyRequest(f"{path}: each scope may appear once")
    return tuple(value)


def _verifier(value: Any, path: str) -> Verifier:
    fields = _object(value, path, required={"kdf", "n", "r", "p", "salt", "hash"}, optional=set())
    if fields["kdf"] != "scrypt":
        raise InvalidKeyRequest(f"{path}.kdf: expected 'scrypt', got {_shown(fields['kdf'])}")
    n = _integer(fields["n"], f"{path}.n", MIN_SCRYPT_N, MAX_SCRYPT_N)
    if n & (n - 1):
        raise InvalidKeyRequest(f"{path}.n: expected a power of two, got {n}")
    salt, digest = fields["salt"], fields["hash"]
    if not isinstance(salt, str) or not _SALT.fullmatch(salt):
        raise InvalidKeyRequest(f"{path}.salt: expected 16 to 64 bytes as lower-case hex")
    if not isinstance(digest, str) or not _HASH.fullmatch(digest):
        raise InvalidKeyRequest(f"{path}.hash: expected 32 bytes as lower-case hex")
    return Verifier(
        n=n,
        r=_integer(fields["r"], f"{path}.r", 1, MAX_SCRYPT_R),
        p=_integer(fields["p"], f"{path}.p", 1, MAX_SCRYPT_P),
        salt=salt,
        hash=digest,
    )


def _integer(value: Any, path: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InvalidKeyRequest(
            f"{path}: expected an integer from {minimum} to {maximum}, got {_shown(value)}"
        )
    return value


def _optional_time(value: Any, path: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            pass
    raise InvalidKeyRequest(f"{path}: expected an RFC 3339 time with a zone, got {_shown(value)}")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "…"


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__
