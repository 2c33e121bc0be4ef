"""A contract file after its own checks: what of it is known, for the checks across files.

A file that does not load tells nothing. A file that loads but breaks its model still
tells everything its valid values say: a golden with an unknown key still has a job type
and an input to check against its runner's schema; a runner with a wrong timeout still
serves its job types. So the checks across files read values, not models: a value is
known when the loader read it as written and the model found nothing wrong at it or in
it (a problem elsewhere, even in the object that holds it, does not make it unknown).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobforge.contracts.loading.layout import ContractFile
from jobforge.contracts.loading.loader import LoadedFile
from jobforge.contracts.models.constraints import at_or_below, is_absent, reach
from jobforge.contracts.problems.problem import FieldPath


@dataclass(frozen=True, slots=True)
class Checked:
    """A contract file, its model when all of it matched, and where it did not."""

    file: ContractFile
    loaded: LoadedFile
    model: Any = None
    """The file as its model, when the whole file loaded and matched it; else None."""
    wrong: tuple[FieldPath, ...] = ()
    """Where the model found a problem: those values, and what they hold, are unknown."""

    def known(self, *path: str | int) -> bool:
        """Whether the value at ``path`` (or its absence, if optional) can be relied on."""
        if not self.loaded.readable:
            return False
        if any(at_or_below(wrong, path) for wrong in self.wrong):
            return False
        return not any(
            at_or_below(path, refused) or at_or_below(refused, path)
            for refused in self.loaded.refused
        )

    def holds_all_written(self, *path: str | int) -> bool:
        """Whether the value at ``path`` holds all the file wrote there: no value at or
        above it was refused (a refused key leaves its mapping incomplete), so its keys can
        be listed even where their values are wrong."""
        return self.loaded.readable and not any(
            at_or_below(path, refused) for refused in self.loaded.refused
        )

    def value(self, *path: str | int, default: Any = None) -> Any:
        """The value at ``path`` as written (``default`` when absent); see ``known``."""
        found = reach(self.loaded.data, path) if self.loaded.readable else default
        return default if is_absent(found) else found

    def text(self, *path: str | int) -> str | None:
        """The known string at ``path``, or None."""
        found = self.value(*path) if self.known(*path) else None
        return found if isinstance(found, str) else None

    def written_text(self, *path: str | int) -> str | None:
        """The string at ``path`` as written, known or not (what the file may declare)."""
        found = self.value(*path)
        return found if isinstance(found, str) else None
