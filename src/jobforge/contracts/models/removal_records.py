"""``contracts/removed.yaml``: the runners and connectors removed on purpose, as a model.

``validate`` checks the file like any contract file; ``drift`` reads its records (see
``drift/removals.py``) to let a recorded removal pass.
"""

from __future__ import annotations

from pydantic import Field

from jobforge.contracts.models.contract_files import ContractModel, NonEmptyStr
from jobforge.contracts.models.identifiers import DottedId
from jobforge.contracts.models.semver import SemVer


class Removal(ContractModel):
    """One removed contract: the version it had last, and what its users must do now."""

    last_version: SemVer
    message: NonEmptyStr = Field(description="What callers must do instead.")
    migration_documentation_url: NonEmptyStr | None = None


class RemovalRecords(ContractModel):
    """The whole file: removed runners and connectors by id."""

    runners: dict[DottedId, Removal] = Field(default_factory=dict)
    connectors: dict[DottedId, Removal] = Field(default_factory=dict)
