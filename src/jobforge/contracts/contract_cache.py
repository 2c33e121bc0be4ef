"""The worker's runner contracts, cached under the project by the content they come from.

Validating the runner contracts (YAML parsing, the pydantic models, schema checks) costs a
worker about 0.15 s at every start, more than the rest of its start-up. The result depends
only on the files ``load_contract_set`` reads (found by the same ``discover``), the
``[tool.jobforge.contracts]`` settings and the JobForge code that validates them, so it is
cached under a SHA-256 of exactly those (the version number too), as mypy and ruff cache
their results: a hit reads one small JSON file; any change to any of those inputs is a
miss, which validates in full and, if the contracts are valid, writes the cache.

The cache is told how to build a job type (the worker's own class), so this package never
imports the worker. The files are discovered once: a miss validates the very files the
fingerprint was taken of. ``cached_value`` caches other values derived from the same
files (the connector policies) the same way, in files of their own.

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
from typing import Any, Protocol, TypeVar

from jobforge import __version__
from jobforge.contracts import config as contracts_config_module
from jobforge.contracts.config import ContractsConfig
from jobforge.contracts.loading.layout import ContractFile, FileKind, discover
from jobforge.contracts.problems.problem import Problem

CACHE_FOLDER = ".jobforge_cache"
DISABLE_VARIABLE = "JOBFORGE_NO_CACHE"
FORMAT_VERSION = 3
_PREFIX = "worker-contracts-"
_CONTRACTS_PACKAGE = Path(contracts_config_module.__file__).parent
# The kinds of file load_contract_set reads; goldens play no part in what a worker enforces.
_LOADED_KINDS = (FileKind.RUNNER, FileKind.CONNECTOR)
_logger = logging.getLogger("jobforge.cache")

Discovered = tuple[list[ContractFile], list[Problem]]


class JobTypeRecord(Protocol):
    """What is cached of a job type: its runner, the two schemas, the time-out and the
    retry policy the worker enforces."""

    @property
    def runner_id(self) -> str: ...
    @property
    def runner_version(self) -> str: ...
    @property
    def input_schema(self) -> Mapping[str, Any] | None: ...
    @property
    def output_schema(self) -> Mapping[str, Any] | None: ...
    @property
    def timeout_seconds(self) -> float | None: ...
    @property
    def max_attempts(self) -> int | None: ...
    @property
    def backoff_base_seconds(self) -> float | None: ...
    @property
    def backoff_cap_seconds(self) -> float | None: ...


JobType = TypeVar("JobType", bound=JobTypeRecord)
Value = TypeVar("Value")


def cached_job_types(
    config: ContractsConfig,
    load: Callable[[Discovered], Mapping[str, JobType]],
    build: Callable[..., JobType],
) -> dict[str, JobType]:
    """``load(discovered)``, or its cached result for the project's current contract files.

    ``load`` validates the discovered runner and connector files; ``build`` makes a job
    type from the cached fields (``runner_id``, ``runner_version``, ``input_schema``,
    ``output_schema``, ``timeout_seconds``).
    """
    discovered = discover(config, _LOADED_KINDS)
    if os.environ.get(DISABLE_VARIABLE, "").strip() not in ("", "0"):
        return dict(load(discovered))
    try:
        fingerprint = _fingerprint(config, discovered)
    except OSError:
        return dict(load(discovered))  # a file that cannot be read: the loader reports it
    path = config.root / CACHE_FOLDER / f"{_PREFIX}{fingerprint}.json"
    cached = _read(path, fingerprint, build)
    if cached is not None:
        return cached
    job_types = dict(load(discovered))  # raises for invalid contracts, never cached
    # A file edited while it was being validated must not be cached under the old content.
    with contextlib.suppress(OSError):
        if _fingerprint(config, discovered) == fingerprint:
            _write(path, fingerprint, job_types)
    return job_types


def cached_value(
    config: ContractsConfig,
    name: str,
    load: Callable[[Discovered], Value],
    *,
    encode: Callable[[Value], Any],
    decode: Callable[[Any], Value],
) -> Value:
    """``load(discovered)``, or its cached copy, as ``cached_job_types`` caches job types
    (same fingerprint, same folder), for another value the worker derives from the
    contract files: ``encode`` makes JSON of it, ``decode`` reads that back (raising
    ValueError, KeyError or TypeError for what it does not recognise: a miss)."""
    discovered = discover(config, _LOADED_KINDS)
    if os.environ.get(DISABLE_VARIABLE, "").strip() not in ("", "0"):
        return load(discovered)
    try:
        fingerprint = _fingerprint(config, discovered)
    except OSError:
        return load(discovered)
    prefix = f"worker-{name}-"
    path = config.root / CACHE_FOLDER / f"{prefix}{fingerprint}.json"
    try:
        document = json.loads(path.read_bytes())
        if document["format"] == FORMAT_VERSION and document["fingerprint"] == fingerprint:
            return decode(document["value"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # missing, unreadable or not ours: load in full
    value = load(discovered)
    with contextlib.suppress(OSError):
        if _fingerprint(config, discovered) == fingerprint:
            document = {"fingerprint": fingerprint, "format": FORMAT_VERSION}
            _write_document(path, {**document, "value": encode(value)}, prefix)
    return value


def contracts_fingerprint(config: ContractsConfig) -> str:
    """SHA-256 of everything validating the runner contracts depends on.

    Raises OSError when a contract file cannot be read.
    """
    return _fingerprint(config, discover(config, _LOADED_KINDS))


def _fingerprint(config: ContractsConfig, discovered: Discovered) -> str:
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
    for folder in (config.runners_dir, config.connectors_dir, config.goldens_dir):
        add(config.relative(folder))
    add(str(config.max_file_bytes))
    for ignore in config.ignores:
        add("ignore", *ignore.patterns, "|", *sorted(ignore.rule_ids), "|", ignore.reason)
    files, layout_problems = discovered
    for found in files:
        add("file", found.kind.value, found.display, _head(found.path, config.max_file_bytes))
    # Misnamed files and connector folders without metadata stop the worker just the same.
    for problem in layout_problems:
        add("problem", problem.path, problem.rule.id, problem.message)
    return digest.hexdigest()


def _head(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, up to one past the size limit: a larger file is refused by the
    loader whatever follows, and reading it all would make every start pay for it."""
    with path.open("rb") as handle:
        return handle.read(max_bytes + 1)


def _files_under(folder: Path, *, suffix: str) -> Iterator[tuple[str, Path]]:
    """Every file under ``folder`` whose name ends with ``suffix``, by relative path."""
    found = []
    for directory, _, names in os.walk(folder):
        for name in names:
            path = Path(directory, name)
            if name.endswith(suffix) and path.is_file():
                found.append((path.relative_to(folder).as_posix(), path))
    yield from sorted(found)


def _read(path: Path, fingerprint: str, build: Callable[..., JobType]) -> dict[str, JobType] | None:
    try:
        document = json.loads(path.read_bytes())
        if document["format"] != FORMAT_VERSION or document["fingerprint"] != fingerprint:
            return None
        return {
            job_type: _job_type(entry, build) for job_type, entry in document["job_types"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # missing, unreadable or not ours: validate in full


_NUMBERS = ("timeout_seconds", "max_attempts", "backoff_base_seconds", "backoff_cap_seconds")


def _job_type(entry: Any, build: Callable[..., JobType]) -> JobType:
    """One cached job type; ValueError if the entry is not what ``_write`` writes."""
    runner_id, runner_version = entry["runner_id"], entry["runner_version"]
    input_schema, output_schema = entry["input_schema"], entry["output_schema"]
    numbers = {name: entry[name] for name in _NUMBERS}
    if not (
        isinstance(runner_id, str)
        and isinstance(runner_version, str)
        and all(isinstance(s, dict | None) for s in (input_schema, output_schema))
        and all(
            isinstance(value, int | float | None) and not isinstance(value, bool)
            for value in numbers.values()
        )
        and isinstance(numbers["max_attempts"], int | None)
    ):
        raise ValueError("not a cached job type")
    return build(
        runner_id=runner_id,
        runner_version=runner_version,
        input_schema=input_schema,
        output_schema=output_schema,
        **numbers,
    )


def _write(path: Path, fingerprint: str, job_types: Mapping[str, JobTypeRecord]) -> None:
    """Write the cache file atomically (a temporary file, then a rename), then remove the
    older ones; a failure only means the next start validates again."""
    # Keys are written in sorted order but not sorted by json.dumps: a JSON Schema's
    # keywords keep the order of the contract file, which is the order the worker reports
    # a payload's errors in, so a hit reports exactly what a miss does.
    document: dict[str, Any] = {
        "fingerprint": fingerprint,
        "format": FORMAT_VERSION,
        "job_types": {
            job_type: {
                "input_schema": contract.input_schema,
                "output_schema": contract.output_schema,
                "runner_id": contract.runner_id,
                "runner_version": contract.runner_version,
                **{name: getattr(contract, name) for name in _NUMBERS},
            }
            for job_type, contract in job_types.items()
        },
    }
    _write_document(path, document, _PREFIX)


def _write_document(path: Path, document: dict[str, Any], prefix: str) -> None:
    """Write ``document`` to ``path`` atomically, then remove the older files of ``prefix``."""
    import tempfile  # noqa: PLC0415 - paid only on a miss

    folder = path.parent
    temporary: Path | None = None
    try:
        text = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        folder.mkdir(exist_ok=True)
        ignore_file = folder / ".gitignore"
        if not ignore_file.exists():
            ignore_file.write_text("# Created by JobForge: a cache, never committed.\n*\n")
        # A name of its own per writer: workers starting together may share the folder.
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        temporary = Path(name)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        temporary.chmod(0o644)  # mkstemp's 0o600 would hide it from workers run as others
        temporary.replace(path)
        temporary = None
        for stale in folder.glob(f"{prefix}*.json"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError) as exc:
        _logger.debug("%s not cached in %s: %s", path.name, folder, exc)
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
