"""Semantic versions (semver.org 2.0.0): the annotated type models use, and a parser."""

from __future__ import annotations

import json
import re
from typing import Annotated, NamedTuple

from pydantic import AfterValidator, WithJsonSchema

# The regular expression from semver.org, with plain groups (major, minor, patch,
# prerelease, build) so that the same text is a valid ECMA-262 pattern in the JSON Schema,
# and ``[0-9]`` for ``\d``: Python's ``\d`` also matches other scripts' digits ("1\u0660").
SEMVER_REGEX = (
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
SEMVER_PATTERN = re.compile(SEMVER_REGEX)


class Version(NamedTuple):
    """A parsed version. Tuples compare by (major, minor, patch) first, as precedence does."""

    major: int
    minor: int
    patch: int
    prerelease: str
    build: str


SEMVER_MESSAGE_START = "expected a semantic version"


def parse_semver(text: str) -> Version:
    """Parse ``text`` or raise ValueError saying what a version looks like."""
    match = SEMVER_PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(
            f'{SEMVER_MESSAGE_START} such as "1.2.3" or "2.0.0-rc.1", got {json.dumps(text)}'
        )
    major, minor, patch, prerelease, build = match.groups()
    return Version(int(major), int(minor), int(patch), prerelease or "", build or "")


def _check_semver(text: str) -> str:
    parse_semver(text)
    return text


SemVer = Annotated[
    str,
    AfterValidator(_check_semver),
    WithJsonSchema({"type": "string", "pattern": SEMVER_REGEX}),
]
"""A string that must be a semantic version; kept as written so files round-trip."""
