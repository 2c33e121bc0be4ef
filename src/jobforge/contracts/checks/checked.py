"""A contract file that loaded and matched its model: what the checks across files read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobforge.contracts.loading.layout import ContractFile
from jobforge.contracts.loading.loader import LoadedFile


@dataclass(frozen=True, slots=True)
class Checked:
    """A file that loaded and matched its model."""

    file: ContractFile
    loaded: LoadedFile
    model: Any
