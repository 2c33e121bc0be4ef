"""Which runners use each connector, and where the registry links each runner.

A runner uses a connector when its contract lists the connector under ``connectors:``.
The job types shown for that use are the ones both declare: the connector's
``supported_job_types`` that are also job types of the runner. A runner listing a
connector that has no metadata file is a ``validate`` problem (JF210), not the
registry's: that id simply never matches a connector page.

Every runner links to its contract file. It also links to its integration page when one
exists: ``docs/integrations/<segment>.md`` for the first segment of the runner id that
names a page there (``autopilot.ops.scan`` -> ``ops.md`` when there is no
``autopilot.md``; ``jobforge.keys`` -> ``keys.md``). The rule reads only file names, so
the same files give the same links; ``index`` is never a runner's page. Links are
relative to the registry folder, so they work wherever that folder is rendered.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from jobforge.contracts.contract_set import Located
from jobforge.contracts.models.contract_files import ConnectorMetadata, RunnerConfig

INTEGRATIONS_DIR: Final = PurePosixPath("docs/integrations")
INTEGRATIONS_INDEX: Final = "index"


@dataclass(frozen=True, slots=True)
class RegistryRunner:
    """A runner as the registry shows it: its id, version, job types, connectors, links."""

    runner_id: str
    version: str
    job_types: frozenset[str]
    connectors: frozenset[str]
    contract_link: str
    """The runner contract file, relative to the registry folder."""
    page_link: str | None = None
    """The runner's integration page relative to the registry folder, None without one."""


@dataclass(frozen=True, slots=True)
class ConnectorUse:
    """One runner that lists a connector, and the job types they share (sorted)."""

    runner: RegistryRunner
    job_types: tuple[str, ...]


def registry_runners(
    runners: Iterable[Located], *, root: Path, folder: Path
) -> list[RegistryRunner]:
    """The runner contracts in ``runners`` as the registry written to ``folder`` links them.

    ``root`` is the project root; runner contract paths (``Located.display``) and the
    integration pages are taken relative to it.
    """
    pages = integration_pages(root / INTEGRATIONS_DIR)
    result = []
    for located in runners:
        runner: RunnerConfig = located.model
        page = integration_page(runner.runner_id, pages)
        result.append(
            RegistryRunner(
                runner_id=runner.runner_id,
                version=runner.version,
                job_types=frozenset(runner.job_types),
                connectors=frozenset(runner.connectors),
                contract_link=_link(root / located.display, folder),
                page_link=(
                    None if page is None else _link(root / INTEGRATIONS_DIR / f"{page}.md", folder)
                ),
            )
        )
    return sorted(result, key=lambda entry: entry.runner_id)


def integration_pages(folder: Path) -> frozenset[str]:
    """The names (without ``.md``) of the integration pages in ``folder``; none if absent."""
    if not folder.is_dir():
        return frozenset()
    return frozenset(
        entry.name.removesuffix(".md")
        for entry in folder.iterdir()
        if entry.name.endswith(".md") and entry.is_file()
    )


def integration_page(runner_id: str, pages: Collection[str]) -> str | None:
    """The page of ``runner_id``: the first segment of the id that names one of ``pages``."""
    return next(
        (
            segment
            for segment in runner_id.split(".")
            if segment in pages and segment != INTEGRATIONS_INDEX
        ),
        None,
    )


def connector_uses(
    connector: ConnectorMetadata, runners: Iterable[RegistryRunner]
) -> list[ConnectorUse]:
    """The runners listing ``connector``, by runner id, each with the job types both serve."""
    supported = set(connector.supported_job_types)
    return [
        ConnectorUse(runner, tuple(sorted(supported & runner.job_types)))
        for runner in sorted(runners, key=lambda entry: entry.runner_id)
        if connector.connector_id in runner.connectors
    ]


def _link(target: Path, folder: Path) -> str:
    """``target`` relative to ``folder``, with ``/`` separators (no file is read)."""
    return Path(os.path.relpath(target, folder)).as_posix()
