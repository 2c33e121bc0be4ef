"""Screening the URLs of a cache-warming job: well formed, in the zone, listed once.

Pure functions: the handler calls ``screen_urls`` and warms what it keeps. A URL is
compared in its normalised form (lower-case scheme and host, no default port, no
fragment, ``/`` for an empty path), which is also the form sent to the connector: two
spellings of one cache key are warmed once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}

# Why a URL is not warmed (the ``code`` of a skipped outcome).
MALFORMED_URL = "malformed_url"
CREDENTIALS_IN_URL = "credentials_in_url"
HOST_NOT_ALLOWED = "host_not_allowed"
DUPLICATE = "duplicate"
SKIP_CODES = (MALFORMED_URL, CREDENTIALS_IN_URL, HOST_NOT_ALLOWED, DUPLICATE)


class UnusableUrl(ValueError):
    """A URL that is not warmed: ``code`` says why in a word, the message in a sentence."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ScreenedUrl:
    """One entry of the job's ``urls``: kept (``normalized`` set) or skipped (``code``);
    ``url`` as given, credentials redacted."""

    index: int
    url: str
    normalized: str | None = None
    code: str | None = None
    reason: str | None = None

    @property
    def kept(self) -> bool:
        return self.normalized is not None


@dataclass(frozen=True, slots=True)
class HostScope:
    """The hosts a job may warm: exactly ``hosts`` when given, else the zone and its
    subdomains."""

    zone: str
    hosts: frozenset[str] | None = None

    @classmethod
    def of(cls, zone: str, hosts: Iterable[str] | None) -> HostScope:
        listed = None if hosts is None else frozenset(_host_name(host) for host in hosts)
        return cls(_host_name(zone), listed)

    def allows(self, host: str) -> bool:
        if self.hosts is not None:
            return host in self.hosts
        return host == self.zone or host.endswith("." + self.zone)

    def describe(self) -> str:
        if self.hosts is not None:
            return "the listed hosts (" + ", ".join(sorted(self.hosts)) + ")"
        return f"zone {self.zone} and its subdomains"


def normalize_url(url: str) -> str:
    """The URL's normalised form; UnusableUrl when it cannot or must not be warmed."""
    if any(character.isspace() or _is_control(character) for character in url):
        raise UnusableUrl(MALFORMED_URL, "contains white space or control characters")
    if "\\" in url:
        raise UnusableUrl(MALFORMED_URL, "contains a backslash, which clients read as '/'")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnusableUrl(MALFORMED_URL, f"cannot be parsed: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnusableUrl(MALFORMED_URL, "is not an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise UnusableUrl(CREDENTIALS_IN_URL, "carries credentials (user@host), never sent on")
    host = _host_name(parts.hostname or "")
    if not host:
        raise UnusableUrl(MALFORMED_URL, "has no host")
    shown_host = f"[{host}]" if ":" in host else host
    netloc = shown_host if port in (None, DEFAULT_PORTS[scheme]) else f"{shown_host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def redact_credentials(url: str) -> str:
    """``url`` with any user information replaced by ``***``: outputs and traces are read
    more widely than payloads, and a password must not spread to them."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    host_and_port = parts.netloc.rpartition("@")[2]
    netloc = f"***@{host_and_port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def url_host(normalized: str) -> str:
    """The host of a URL ``normalize_url`` returned."""
    return _host_name(urlsplit(normalized).hostname or "")


def screen_urls(urls: Sequence[str], scope: HostScope) -> list[ScreenedUrl]:
    """One entry per URL, in the given order: the first of equal URLs is kept."""
    first_index: dict[str, int] = {}
    screened = []
    for index, url in enumerate(urls):
        try:
            normalized = normalize_url(url)
        except UnusableUrl as exc:
            shown = redact_credentials(url)
            screened.append(ScreenedUrl(index, shown, code=exc.code, reason=f"the URL {exc}"))
            continue
        host = url_host(normalized)
        if not scope.allows(host):
            reason = f"host {host} is outside {scope.describe()}"
            screened.append(ScreenedUrl(index, url, code=HOST_NOT_ALLOWED, reason=reason))
        elif normalized in first_index:
            reason = f"the same URL as urls[{first_index[normalized]}] once normalised"
            screened.append(ScreenedUrl(index, url, code=DUPLICATE, reason=reason))
        else:
            first_index[normalized] = index
            screened.append(ScreenedUrl(index, url, normalized=normalized))
    return screened


def _host_name(host: str) -> str:
    return host.lower().rstrip(".")


def _is_control(character: str) -> bool:
    return ord(character) < 0x20 or ord(character) == 0x7F
