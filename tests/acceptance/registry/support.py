"""Running ``jobforge-contracts`` as a user types it, in scratch projects."""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.support import contracts

__all__ = ["contracts", "folder_bytes"]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
