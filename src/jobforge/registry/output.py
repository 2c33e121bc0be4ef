"""Compare rendered registry files with an output folder, or write them there safely.

The output folder belongs to the generator: a file in it that the generator would not
write is *stale*. ``check`` reports stale files and differences without writing anything.
``write`` first stages every changed file next to its target, then renames them all into
place, then removes stale files it generated earlier (they carry the generated marker);
a file it did not generate makes it stop before anything is written.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from jobforge.registry.render import GENERATED_MARKER, REGISTRY_JSON, RegistryError

STAGING_PREFIX: Final = ".jobforge-staging-"


@dataclass(slots=True)
class OutputCheck:
    """How an output folder differs from what the generator renders."""

    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    diff: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return not (self.missing or self.changed or self.stale)


@dataclass(frozen=True, slots=True)
class WriteSummary:
    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int


def check_output(folder: Path, rendered: Mapping[str, str], display: str) -> OutputCheck:
    """Differences between ``folder`` and ``rendered``, with a unified diff of each."""
    result = OutputCheck()
    for name, text in sorted(rendered.items()):
        target = folder / name
        current = _read_text(target)
        if current == text:
            continue
        (result.changed if current is not None else result.missing).append(name)
        result.diff.extend(
            difflib.unified_diff(
                (current or "").splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{display}/{name}" if current is not None else "/dev/null",
                tofile=f"{display}/{name} (generated)",
            )
        )
    result.stale = _extra_entries(folder, rendered)
    return result


def write_output(folder: Path, rendered: Mapping[str, str], display: str) -> WriteSummary:
    """Bring ``folder`` to exactly ``rendered``; nothing is written if any check fails."""
    stale = _extra_entries(folder, rendered)
    foreign = [name for name in stale if not _was_generated(folder / name)]
    if foreign:
        raise RegistryError(
            f"{display}/ holds files the registry generator did not write: "
            f"{', '.join(foreign)}; the folder is generated as a whole, so move them elsewhere"
        )
    changed = {name: text for name, text in rendered.items() if _read_text(folder / name) != text}
    try:
        _replace_files(folder, changed)
        for name in stale:
            (folder / name).unlink()
    except OSError as exc:
        raise RegistryError(f"{display}/: cannot write: {exc.strerror} ({exc.filename})") from exc
    return WriteSummary(
        tuple(sorted(changed)), tuple(stale), unchanged=len(rendered) - len(changed)
    )


def _replace_files(folder: Path, changed: Mapping[str, str]) -> None:
    """Stage every file, then rename each into place; staged files never outlive a failure."""
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, text in sorted(changed.items()):
            staging = folder / f"{STAGING_PREFIX}{name}"
            staged.append((staging, folder / name))
            staging.write_bytes(text.encode("utf-8"))
        for staging, target in staged:
            staging.replace(target)
    finally:
        for staging, _ in staged:
            staging.unlink(missing_ok=True)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _extra_entries(folder: Path, rendered: Mapping[str, str]) -> list[str]:
    """Entries of ``folder`` the generator would not write (hidden ones aside)."""
    if not folder.is_dir():
        return []
    return sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.name not in rendered and not entry.name.startswith(".")
    )


def _was_generated(path: Path) -> bool:
    if not path.is_file():
        return False
    if path.name == REGISTRY_JSON:
        return True
    with path.open("rb") as handle:
        first_line = handle.readline()
    return first_line.startswith(GENERATED_MARKER.encode("utf-8"))
