"""Operator sessions: the token check, signed session cookies and CSRF tokens (no I/O).

A session cookie is ``v1.<payload>.<signature>``: the payload (URL-safe base64 of JSON)
holds a random session id and its expiry; the signature is HMAC-SHA256 over it with a key
derived from the server secret *and* the operator token, so changing the token ends every
session at once. A form's CSRF token is an HMAC of the session id under the same key: it
is valid for that session only, and nobody without the key can make one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass

COOKIE_NAME = "jobforge_ui_session"
_VERSION = "v1"
_KEY_LABEL = b"jobforge dashboard session key\x00"
_CSRF_LABEL = b"csrf\x00"
_SESSION_ID_BYTES = 16


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in operator: the session id and when the session ends (Unix seconds)."""

    session_id: str
    expires_at: int


class Sessions:
    """Issues and checks the sessions of one dashboard (one server secret, one token).

    Logging out ends a session in this process at once (its id is remembered until it
    would have expired anyway); restarting ends every session unless the secret is fixed.
    """

    def __init__(self, *, token: str, secret: bytes, session_seconds: int) -> None:
        self._token_digest = hashlib.sha256(token.encode("utf-8")).digest()
        self._key = hmac.new(secret, _KEY_LABEL + self._token_digest, hashlib.sha256).digest()
        self._session_seconds = session_seconds
        self._ended: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def session_seconds(self) -> int:
        return self._session_seconds

    def token_matches(self, given: str) -> bool:
        """Whether ``given`` is the operator token, in time independent of where it differs
        (both sides are hashed first, so not even the length shows)."""
        given_digest = hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest()
        return hmac.compare_digest(given_digest, self._token_digest)

    def issue(self, now: float) -> tuple[Session, str]:
        """A new session from ``now`` and its cookie value."""
        session = Session(
            session_id=secrets.token_hex(_SESSION_ID_BYTES),
            expires_at=int(now) + self._session_seconds,
        )
        payload = json.dumps(
            {"exp": session.expires_at, "sid": session.session_id},
            separators=(",", ":"),
            sort_keys=True,
        ).encode("ascii")
        body = _encode(payload)
        return session, f"{_VERSION}.{body}.{_encode(self._sign(body.encode('ascii')))}"

    def read(self, cookie: str | None, now: float) -> Session | None:
        """The session ``cookie`` carries, if its signature holds and it has not expired
        or been ended; None otherwise (a forged, altered, stale or foreign cookie)."""
        if not cookie:
            return None
        parts = cookie.split(".")
        if len(parts) != 3 or parts[0] != _VERSION:
            return None
        _, body, signature = parts
        expected = _encode(self._sign(body.encode("ascii", "replace")))
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
            return None
        session = _parse_payload(body)
        if session is None or session.expires_at <= now:
            return None
        with self._lock:
            if session.session_id in self._ended:
                return None
        return session

    def end(self, session: Session, now: float) -> None:
        """Refuse ``session``'s cookie from now on (logout)."""
        with self._lock:
            self._ended = {sid: until for sid, until in self._ended.items() if until > now}
            self._ended[session.session_id] = session.expires_at

    def csrf_token(self, session: Session) -> str:
        """The token every form of ``session`` carries."""
        return _encode(self._sign(_CSRF_LABEL + session.session_id.encode("ascii")))

    def csrf_matches(self, session: Session, given: str) -> bool:
        expected = self.csrf_token(session).encode("ascii")
        return hmac.compare_digest(expected, given.encode("utf-8", "replace"))

    def _sign(self, message: bytes) -> bytes:
        return hmac.new(self._key, message, hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parse_payload(body: str) -> Session | None:
    """The payload of a cookie whose signature holds (so written by this dashboard)."""
    try:
        document = json.loads(_decode(body))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    session_id, expires_at = document.get("sid"), document.get("exp")
    if not isinstance(session_id, str) or not isinstance(expires_at, int):
        return None
    return Session(session_id=session_id, expires_at=expires_at)
