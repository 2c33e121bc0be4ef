"""Generated files that differ from what their generator writes, reported fix first.

Every ``--check`` of a generated file (JSON Schemas, registry pages, registry.json) says
which file, what state it is in and the command that rewrites it, on the file's first
line; a changed file's unified diff follows, cut after ``DIFF_LINES_SHOWN`` lines with
the count of the rest (``--verbose`` shows all). A missing file gets no diff at all: the
whole generated text as ``+`` lines tells a reader nothing the command name does not.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

DIFF_LINES_SHOWN: Final = 20
NO_NEWLINE_MARKER: Final = "\\ No newline at end of file"


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    """One file as committed (``current``) and as generated (``expected``).

    ``current`` None: the file is missing; ``expected`` None: the generator no longer
    writes it.
    """

    display: str
    current: str | None
    expected: str | None


def compare_files(
    folder: Path, display: str, expected: Mapping[str, str], stale: Iterable[str]
) -> list[GeneratedFile]:
    """The files of ``folder`` that differ from ``expected``, plus the ``stale`` ones, by name."""
    files = []
    for name, text in expected.items():
        current = _read_text(folder / name)
        if current != text:
            files.append(GeneratedFile(f"{display}/{name}", current, text))
    files.extend(
        GeneratedFile(f"{display}/{name}", _read_text(folder / name), None) for name in stale
    )
    return sorted(files, key=lambda file: file.display)


def render_report(
    files: Sequence[GeneratedFile], *, program: str, folder: str, fix: str, verbose: bool
) -> str:
    """Each file with its fix (and a changed file's diff), then one closing line."""
    lines: list[str] = []
    for file in files:
        lines.extend(_file_lines(file, fix, verbose=verbose))
    missing = sum(1 for file in files if file.current is None)
    stale = sum(1 for file in files if file.expected is None)
    changed = len(files) - missing - stale
    lines.append(
        f"{program}: {folder}/ is out of date ({missing} missing, {changed} changed, "
        f"{stale} stale); run `{fix}` and commit the result"
    )
    return "\n".join(lines) + "\n"


def _file_lines(file: GeneratedFile, fix: str, *, verbose: bool) -> list[str]:
    if file.current is None:
        return [f"missing: {file.display} — run `{fix}`"]
    if file.expected is None:
        return [f"not generated: {file.display} — remove it"]
    diff = unified_diff(file.current, file.expected, file.display)
    added = sum(1 for line in diff[2:] if line.startswith("+"))
    removed = sum(1 for line in diff[2:] if line.startswith("-"))
    headline = f"changed: {file.display} (+{added} -{removed} lines) — run `{fix}`"
    hidden = 0 if verbose else max(0, len(diff) - DIFF_LINES_SHOWN)
    shown = diff[: len(diff) - hidden]
    if hidden:
        more = f"{hidden} more line{'' if hidden == 1 else 's'}"
        shown.append(f"… and {more} (--verbose shows all)")
    return [headline, *shown]


def unified_diff(current: str, expected: str, display: str) -> list[str]:
    """The unified diff from ``current`` to ``expected``, one list item per line."""
    lines: list[str] = []
    for line in difflib.unified_diff(
        current.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        fromfile=display,
        tofile=f"{display} (generated)",
    ):
        lines.append(line.rstrip("\n"))
        if not line.endswith("\n"):
            lines.append(NO_NEWLINE_MARKER)
    return lines


def _read_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
