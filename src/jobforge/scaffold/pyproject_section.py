"""Adding ``[tool.jobforge]`` to a project's pyproject.toml without touching anything else.

Decision: the section is appended as text, not written by a TOML library, because the
standard library reads TOML but cannot write it, and a round-trip library would be a new
dependency for one edit. Appending keeps every byte of the user's file in place; the
result is then parsed again and must equal the old document plus the new tables, so an
append that TOML would read differently is refused instead of written.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from jobforge.errors import JobForgeError

PYPROJECT = "pyproject.toml"


class PyprojectError(JobForgeError):
    """The section cannot be added to this pyproject.toml safely."""


@dataclass(frozen=True, slots=True)
class PyprojectEdit:
    """What to do to pyproject.toml: create it with ``text``, or append ``text`` to it."""

    create: bool
    text: bytes
    existing_length: int = 0


def plan_pyproject(current: bytes | None, section: str) -> PyprojectEdit:
    """The edit that adds ``section`` (TOML text ending in a newline) to ``current``."""
    if current is None:
        return PyprojectEdit(create=True, text=section.encode("utf-8"))
    document = _parse(current)
    tool = document.get("tool")
    if isinstance(tool, dict) and "jobforge" in tool:
        raise PyprojectError(
            f"{PYPROJECT}: already has a [tool.jobforge] section, so the project is set up "
            "(init only starts a project that has none)"
        )
    newline = "\r\n" if b"\r\n" in current else "\n"
    if not current:
        separator = ""
    elif current.endswith(b"\n"):
        separator = newline
    else:
        separator = newline * 2
    addition = (separator + section.replace("\n", newline)).encode("utf-8")
    new_tables = _parse(section.encode("utf-8"))["tool"]
    expected = {**document, "tool": {**(tool if isinstance(tool, dict) else {}), **new_tables}}
    try:
        combined: Any = _parse(current + addition)
    except PyprojectError:
        combined = None
    if combined != expected:
        raise PyprojectError(
            f"{PYPROJECT}: appending [tool.jobforge] at the end would not read as a new "
            "section (is `tool` an inline table or a dotted key?); write the tool settings "
            "as [tool.<name>] tables and run init again"
        )
    return PyprojectEdit(create=False, text=addition, existing_length=len(current))


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PyprojectError(f"{PYPROJECT}: not UTF-8 text: {exc.reason}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PyprojectError(f"{PYPROJECT}: not valid TOML: {exc}") from exc
