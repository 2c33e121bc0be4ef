"""Creating the skeleton's files all or nothing, and never over an existing file.

Every target is checked before anything is written; then each file is created with
exclusive creation (``open(..., "xb")``), so a file that appears in between is still not
replaced. If any write fails, the files and folders created so far are removed again and
pyproject.toml is cut back to its old length: a failed init leaves the project as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from jobforge.errors import JobForgeError


class ScaffoldError(JobForgeError):
    """The skeleton could not be written; nothing of it was left behind."""


@dataclass(frozen=True, slots=True)
class Conflict:
    """Why init cannot write ``path`` (root-relative)."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Append:
    """``addition`` goes at the end of ``path``, which must still be ``expected_length`` long."""

    path: str
    addition: bytes
    expected_length: int


def find_conflicts(
    root: Path, files: Mapping[str, bytes], owned_folders: Iterable[str]
) -> list[Conflict]:
    """Targets that exist already, parents that are files, and owned folders in use.

    An owned folder is one jobforge-contracts reads or generates as a whole (the runners,
    the goldens, the registry...): a file init did not write there would make the first
    ``check`` fail, so a folder holding anything but init's own targets is a conflict too.
    """
    conflicts: list[Conflict] = []
    for relative in files:
        target = root / relative
        blocking = _file_in_the_way(root, target)
        if blocking is not None:
            conflicts.append(
                Conflict(blocking.relative_to(root).as_posix(), "exists and is not a folder")
            )
        elif os.path.lexists(target):
            conflicts.append(Conflict(relative, "exists"))
    targets = {root / relative for relative in files}
    for folder_name in owned_folders:
        folder = root / folder_name
        if not folder.is_dir():
            continue
        foreign = sorted(
            entry.name
            for entry in folder.iterdir()
            if not entry.name.startswith(".") and not _holds_only(entry, targets)
        )
        if foreign:
            conflicts.append(
                Conflict(
                    f"{folder_name}/",
                    f"holds {', '.join(foreign)}; jobforge-contracts reads or generates "
                    "every file there, so init needs it empty",
                )
            )
    return sorted(set(conflicts), key=lambda conflict: conflict.path)


def _file_in_the_way(root: Path, target: Path) -> Path | None:
    for folder in reversed(target.relative_to(root).parents[:-1]):
        if os.path.lexists(root / folder) and not (root / folder).is_dir():
            return root / folder
    return None


def _holds_only(entry: Path, targets: set[Path]) -> bool:
    """Whether ``entry`` is one of ``targets`` or a folder with nothing but targets in it."""
    if entry in targets:
        return True
    if not entry.is_dir() or entry.is_symlink():
        return False
    return all(
        child.name.startswith(".") or _holds_only(child, targets) for child in entry.iterdir()
    )


def new_ancestors(root: Path, relative_paths: Iterable[str]) -> list[str]:
    """For each path, the shallowest part of it that does not exist yet (what to git add)."""
    found: dict[str, None] = {}
    for relative in relative_paths:
        parts = Path(relative).parts
        for depth in range(1, len(parts) + 1):
            candidate = Path(*parts[:depth])
            if not os.path.lexists(root / candidate):
                shown = candidate.as_posix() + ("/" if depth < len(parts) else "")
                found.setdefault(shown)
                break
    return list(found)


def write_all(root: Path, files: Mapping[str, bytes], append: Append | None) -> None:
    """Create ``files`` under ``root`` and make ``append``; on any failure, undo all of it."""
    created_files: list[Path] = []
    created_folders: list[Path] = []
    current = ""
    try:
        for relative, content in files.items():
            current = relative
            target = root / relative
            _make_folders(target.parent, created_folders)
            with target.open("xb") as handle:
                created_files.append(target)
                handle.write(content)
        if append is not None:
            current = append.path
            _append(root / append.path, append)
    except (OSError, ScaffoldError) as exc:
        for path in reversed(created_files):
            path.unlink(missing_ok=True)
        for folder in reversed(created_folders):
            _remove_empty(folder)
        if isinstance(exc, ScaffoldError):
            raise
        raise ScaffoldError(
            f"{current}: cannot write: {exc.strerror or exc}; nothing was written"
        ) from exc


def _make_folders(folder: Path, created: list[Path]) -> None:
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        created.append(path)


def _append(path: Path, append: Append) -> None:
    with path.open("r+b") as handle:
        end = handle.seek(0, os.SEEK_END)
        if end != append.expected_length:
            raise ScaffoldError(f"{append.path} changed while init ran; nothing was written")
        try:
            handle.write(append.addition)
            handle.flush()
        except OSError:
            handle.truncate(append.expected_length)
            raise


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        return
