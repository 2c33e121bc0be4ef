"""Every id, module and path of the skeleton, derived from one runner name.

``--runner acme.billing`` gives the runner ``acme.billing``, its job type
``acme.billing.lookup``, the connector ``acme.billing.api``, the handler module
``jobforge_handlers.acme_billing`` and the domain (``runner_type``) ``billing``. The name is
checked with the grammar the contract models use for ids, so what init writes validates.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from jobforge.contracts.models.identifiers import DOTTED_ID_PATTERN, MAX_ID_LENGTH
from jobforge.errors import ConfigurationError

DEFAULT_RUNNER = "example.ops"
JOB_TYPE_SUFFIX = ".lookup"
CONNECTOR_SUFFIX = ".api"
HANDLER_PACKAGE = "jobforge_handlers"
GOLDEN_CASE = "active-item"
_ID = re.compile(DOTTED_ID_PATTERN)
# Room for the longest suffix, so every derived id stays within the models' limit.
MAX_RUNNER_LENGTH = MAX_ID_LENGTH - max(len(JOB_TYPE_SUFFIX), len(CONNECTOR_SUFFIX))
ID_GRAMMAR = (
    "a dotted lower-case name such as 'acme.billing': parts of a-z, 0-9, '_' and '-', "
    "each starting with a letter or digit, joined by '.'"
)


@dataclass(frozen=True, slots=True)
class SkeletonNames:
    runner_id: str
    domain: str
    job_type: str
    connector_id: str
    handler_module: str

    @property
    def runner_file(self) -> str:
        return f"contracts/runners/{self.runner_id}.yaml"

    @property
    def connector_file(self) -> str:
        return f"connectors/{self.connector_id}/metadata.json"

    @property
    def golden_file(self) -> str:
        return f"goldens/{self.runner_id}/{GOLDEN_CASE}.yaml"

    @property
    def handler_file(self) -> str:
        return self.handler_module.replace(".", "/") + ".py"

    @property
    def handler_package_file(self) -> str:
        return f"{HANDLER_PACKAGE}/__init__.py"


def skeleton_names(runner: str | None, domain: str | None) -> SkeletonNames:
    """The names for ``runner`` (the default when None); ``domain`` overrides the derived one."""
    runner_id = DEFAULT_RUNNER if runner is None else runner
    if not _ID.fullmatch(runner_id):
        raise ConfigurationError(f"--runner {runner_id!r}: expected {ID_GRAMMAR}")
    if len(runner_id) > MAX_RUNNER_LENGTH:
        raise ConfigurationError(
            f"--runner: at most {MAX_RUNNER_LENGTH} characters (the job type and connector "
            f"ids add a suffix to it), got {len(runner_id)}"
        )
    if domain is not None and not (_ID.fullmatch(domain) and len(domain) <= MAX_ID_LENGTH):
        raise ConfigurationError(f"--domain {domain!r}: expected {ID_GRAMMAR}")
    return SkeletonNames(
        runner_id=runner_id,
        domain=domain if domain is not None else derived_domain(runner_id),
        job_type=runner_id + JOB_TYPE_SUFFIX,
        connector_id=runner_id + CONNECTOR_SUFFIX,
        handler_module=f"{HANDLER_PACKAGE}.{_module_name(runner_id)}",
    )


def derived_domain(runner_id: str) -> str:
    """The domain a runner id names: its second part (``acme.billing`` -> ``billing``, as in
    ``autopilot.ops.scan`` -> ``ops``), or its only part."""
    parts = runner_id.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _module_name(runner_id: str) -> str:
    """A Python module name for the runner: ``acme.billing-v2`` -> ``acme_billing_v2``."""
    name = re.sub(r"[.\-]", "_", runner_id)
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"runner_{name}"
    return name
