"""Importing the project's handler modules the way `jobforge worker run` does."""

from __future__ import annotations

import functools
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobforge.connectors.policy import ConnectorPolicy, policies_from_metadata
from jobforge.errors import ConfigurationError
from jobforge.handlers import import_handler_modules
from jobforge.project import ProjectConfig, load_project_config
from jobforge.worker.job_types import JobTypeContract, contracts_by_job_type

if TYPE_CHECKING:
    from jobforge.contracts.config import ContractsConfig
    from jobforge.contracts.contract_cache import Discovered
    from jobforge.contracts.problems.problem import Problem

MAX_LISTED_PROBLEMS = 5


def load_project_handlers(extra_modules: Sequence[str] = ()) -> ProjectConfig:
    """Import ``[tool.jobforge] handler_modules`` and ``extra_modules`` (from the project
    root and the current folder, as ``python -m`` would)."""
    project = load_project_config()
    for folder in (project.root, Path.cwd()):
        if folder is not None and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    import_handler_modules([*project.handler_modules, *extra_modules])
    return project


def load_worker_contracts(
    project: ProjectConfig, shipped: Collection[str] = ()
) -> tuple[dict[str, JobTypeContract], dict[str, ConnectorPolicy]]:
    """What a worker enforces: the project's runner contracts by job type and connector
    policies by connector id, plus, for the ``shipped`` job types (served by JobForge's
    own runners) the project does not define, the shipped runners' contracts and the
    policies of the shipped connectors they use (validating those costs about 0.3 s).
    """
    own = load_project_contracts(project)
    policies = load_project_connector_policies(project)
    missing = {job_type for job_type in shipped if job_type not in own}
    if not missing:
        return own, policies
    shipped_types = _shipped_job_types()
    job_types = {**{t: shipped_types[t] for t in sorted(missing) if t in shipped_types}, **own}
    shipped_policies = {
        connector_id: policy
        for connector_id, policy in _shipped_connector_policies().items()
        if connector_id not in policies and not missing.isdisjoint(policy.job_types)
    }
    return job_types, {**shipped_policies, **policies}


def load_project_contracts(project: ProjectConfig) -> dict[str, JobTypeContract]:
    """The runner contracts of the project, by job type, for the worker to enforce.

    A project without a pyproject.toml or runner contracts has none. Contract files that
    do not validate stop the worker: it must not run jobs against contracts it cannot read.
    """
    if project.root is None:
        return {}
    from jobforge.contracts.config import load_config  # noqa: PLC0415
    from jobforge.contracts.contract_cache import cached_job_types  # noqa: PLC0415 - only when running

    config = load_config(project.root)
    if not config.runners_dir.is_dir():
        return {}
    return cached_job_types(
        config, lambda discovered: _validated_job_types(config, discovered), JobTypeContract
    )


def load_project_connector_policies(project: ProjectConfig) -> dict[str, ConnectorPolicy]:
    """The connector policies of the project (rate limits, failure modes and HTTP API
    from every ``connectors/<id>/metadata.json``), by connector id, for the worker to
    enforce.

    Cached like the runner contracts; metadata that does not validate stops the worker.
    """
    if project.root is None:
        return {}
    from jobforge.contracts.config import load_config  # noqa: PLC0415
    from jobforge.contracts.contract_cache import cached_value  # noqa: PLC0415 - only when running

    config = load_config(project.root)
    if not config.connectors_dir.is_dir():
        return {}
    return cached_value(
        config,
        "connectors",
        lambda discovered: _validated_connector_policies(config, discovered),
        encode=_encode_policies,
        decode=_decode_policies,
    )


def _validated_connector_policies(
    config: ContractsConfig, discovered: Discovered | None = None
) -> dict[str, ConnectorPolicy]:
    """Load and validate every connector metadata file (the runner contracts are not read)."""
    from jobforge.contracts.contract_set import load_contract_set  # noqa: PLC0415

    contracts = load_contract_set(config, include_runners=False, discovered=discovered)
    if contracts.problems:
        raise ConfigurationError(
            "the connector metadata does not validate (jobforge-contracts validate shows "
            f"all):\n{_listed(contracts.problems)}\nfix it, or run with --no-contracts"
        )
    return policies_from_metadata(contracts.connector_models())


@functools.cache
def _shipped_job_types() -> dict[str, JobTypeContract]:
    config = _shipped_config()
    return {} if config is None else _validated_job_types(config)


@functools.cache
def _shipped_connector_policies() -> dict[str, ConnectorPolicy]:
    config = _shipped_config()
    return {} if config is None else _validated_connector_policies(config)


def _shipped_config() -> ContractsConfig | None:
    from jobforge.contracts.config import load_config  # noqa: PLC0415
    from jobforge.contracts.shipped import shipped_root  # noqa: PLC0415

    root = shipped_root()
    return None if root is None else load_config(root)


def _encode_policies(policies: dict[str, ConnectorPolicy]) -> list[dict[str, Any]]:
    return [policies[connector_id].to_json() for connector_id in sorted(policies)]


def _decode_policies(document: Any) -> dict[str, ConnectorPolicy]:
    if not isinstance(document, list):
        raise TypeError("expected a list of connector policies")
    policies = [ConnectorPolicy.from_json(entry) for entry in document]
    return {policy.connector_id: policy for policy in policies}


def _validated_job_types(
    config: ContractsConfig, discovered: Discovered | None = None
) -> dict[str, JobTypeContract]:
    """Load and validate every contract file (slow: YAML, pydantic, schema checks)."""
    from jobforge.contracts.contract_set import load_contract_set  # noqa: PLC0415

    contracts = load_contract_set(config, discovered=discovered)
    if contracts.problems:
        raise ConfigurationError(
            f"the runner contracts do not validate (jobforge-contracts validate shows all):\n"
            f"{_listed(contracts.problems)}\nfix them, or run with --no-contracts"
        )
    return contracts_by_job_type(contracts.runner_models())


def _listed(problems: Sequence[Problem]) -> str:
    return "\n".join(
        f"  {p.path}:{p.position.line}:{p.position.column}: {p.message}"
        for p in problems[:MAX_LISTED_PROBLEMS]
    )
