"""The worker's runner contracts, cached under the project by the content they come from.

Validating the runner contracts (YAML parsing, the pydantic models, schema checks) costs a
worker about 0.15 s at every start, more than the rest of its start-up. The result depends
only on the contract and connector files, the ``[tool.jobforge.contracts]`` settings and
the JobForge code that validates them, so it is cached under a SHA-256 of exactly those (the
version number too), as mypy and ruff
cache their results: a hit reads one small JSON file; any change to any of those inputs
is a miss, which validates in full and, if the contracts are valid, writes the cache.

The cache lives in ``.jobforge_cache/`` at the project root (git-ignored by a
``.gitignore`` of its own). Failing to write it (a read-only file system) is not an
error; ``JOBFORGE_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from jobforge import __version__
from jobforge.contracts import config as contracts_config_module
from jobforge.contracts.config import ContractsConfig
from jobforge.worker.job_types import JobTypeContract

CACHE_FOLDER = ".jobforge_cache"
DISABLE_VARIABLE = "JOBFORGE_NO_CACHE"
FORMAT_VERSION = 1
_PREFIX = "worker-contracts-"
_CONTRACTS_PACKAGE = Path(contracts_config_module.__file__).parent
_logger = logging.getLogger("jobforge.cache")


def cached_job_types(
    config: ContractsConfig, load: Callable[[], dict[str, JobTypeContract]]
) -> dict[str, JobTypeContract]:
    """``load()``, or its cached result for the project's current contract files."""
    if os.environ.get(DISABLE_VARIABLE, "").strip() not in ("", "0"):
        return load()
    fingerprint = contracts_fingerprint(config)
    path = config.root / CACHE_FOLDER / f"{_PREFIX}{fingerprint}.json"
    cached = _read(path, fingerprint)
    if cached is not None:
        return cached
    job_types = load()  # raises for invalid contracts, which are never cached
    _write(path, fingerprint, job_types)
    return job_types


def contracts_fingerprint(config: ContractsConfig) -> str:
    """SHA-256 of everything validating the runner contracts depends on."""
    digest = hashlib.sha256()

    def add(*parts: str | bytes) -> None:
        for part in parts:
            data = part.encode("utf-8") if isinstance(part, str) else part
            digest.update(f"{len(data)}:".encode())
            digest.update(data)

    add("jobforge", __version__, str(FORMAT_VERSION))
    # The validating code itself, so that an upgrade (even one that keeps the version
    # number, as an install from a branch does) never trusts an older verdict.
    for relative, file in _files_under(_CONTRACTS_PACKAGE, suffix=".py"):
        add(relative, file.read_bytes())
    add(config.relative(config.runners_dir), config.relative(config.connectors_dir))
    add(str(config.max_file_bytes))
    for ignore in config.ignores:
        add("ignore", *ignore.patterns, "|", *sorted(ignore.rule_ids), "|", ignore.reason)
    for folder in (config.runners_dir, config.connectors_dir):
        for relative, file in _files_under(folder):
            add(config.relative(folder), relative, file.read_bytes())
    return digest.hexdigest()


def _files_under(folder: Path, *, suffix: str = "") -> Iterator[tuple[str, Path]]:
    """Every file under ``folder`` whose name ends with ``suffix`` (by default any name: a
    misnamed contract file is a problem too), sorted by relative path."""
    if not folder.is_dir():
        return
    found = []
    for directory, _, names in os.walk(folder):
        for name in names:
            path = Path(directory, name)
            if name.endswith(suffix) and path.is_file():
                found.append((path.relative_to(folder).as_posix(), path))
    yield from sorted(found)


def _read(path: Path, fingerprint: str) -> dict[str, JobTypeContract] | None:
    try:
        document = json.loads(path.read_bytes())
        if document["format"] != FORMAT_VERSION or document["fingerprint"] != fingerprint:
            return None
        return {
            job_type: JobTypeContract(
                runner_id=entry["runner_id"],
                runner_version=entry["runner_version"],
                input_schema=entry["input_schema"],
                output_schema=entry["output_schema"],
                timeout_seconds=entry["timeout_seconds"],
            )
            for job_type, entry in document["job_types"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # missing, unreadable or not ours: validate in full


def _write(path: Path, fingerprint: str, job_types: Mapping[str, JobTypeContract]) -> None:
    document: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "fingerprint": fingerprint,
        "job_types": {
            job_type: {
                "runner_id": contract.runner_id,
                "runner_version": contract.runner_version,
                "input_schema": contract.input_schema,
                "output_schema": contract.output_schema,
                "timeout_seconds": contract.timeout_seconds,
            }
            for job_type, contract in job_types.items()
        },
    }
    folder = path.parent
    temporary = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        text = json.dumps(document, sort_keys=True, ensure_ascii=False, allow_nan=False)
        folder.mkdir(exist_ok=True)
        ignore_file = folder / ".gitignore"
        if not ignore_file.exists():
            ignore_file.write_text("# Created by JobForge: a cache, never committed.\n*\n")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
        for stale in folder.glob(f"{_PREFIX}*.json"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError) as exc:
        _logger.debug("runner contracts not cached in %s: %s", folder, exc)
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
