"""``contracts/contracts.lock``: each contract's version, fingerprint and surface, as committed.

The *surface* of a contract is what callers depend on: for a runner, its job types with
their input and output schemas; for a connector, its supported job types and capabilities.
Descriptions, retry settings and the like are not part of it, so editing them needs no
version bump. The lock stores the surface itself, not only its hash, so ``drift`` can say
exactly what changed without git.

The file is deterministic JSON (sorted keys, 2-space indent, UTF-8, trailing newline);
fingerprints are SHA-256 over the canonical JSON of the surface (sorted keys, no spaces,
UTF-8, no NaN), the encoding the determinism module uses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from jobforge.contracts.models.contract_files import ConnectorMetadata, RunnerConfig
from jobforge.contracts.models.semver import parse_semver
from jobforge.contracts.problems.problem import Position
from jobforge.errors import JobForgeError

LOCK_FORMAT: Final = 1
LOCK_FILE_NAME: Final = "contracts.lock"
FINGERPRINT_PREFIX: Final = "sha256:"


class ContractKind(StrEnum):
    RUNNER = "runner"
    CONNECTOR = "connector"


SECTIONS: Final = {ContractKind.RUNNER: "runners", ContractKind.CONNECTOR: "connectors"}


class LockFileError(JobForgeError):
    """The lock file cannot be read: malformed, or edited by hand."""


@dataclass(frozen=True, slots=True)
class LockedContract:
    """One contract as the lock records it."""

    kind: ContractKind
    contract_id: str
    version: str
    surface: Mapping[str, Any]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.surface)

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "fingerprint": self.fingerprint, "contract": self.surface}


def canonical_json(value: Any) -> bytes:
    """The canonical encoding: sorted keys, no white space, UTF-8, no NaN or Infinity."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def fingerprint(surface: Mapping[str, Any]) -> str:
    return FINGERPRINT_PREFIX + hashlib.sha256(canonical_json(surface)).hexdigest()


def runner_surface(runner: RunnerConfig) -> dict[str, Any]:
    return {
        "job_types": {
            name: {"input_schema": job.input_schema, "output_schema": job.output_schema}
            for name, job in sorted(runner.job_types.items())
        }
    }


def connector_surface(connector: ConnectorMetadata) -> dict[str, Any]:
    return {
        "supported_job_types": sorted(connector.supported_job_types),
        "capabilities": connector.capabilities.model_dump(mode="json"),
    }


def lock_runner(runner: RunnerConfig) -> LockedContract:
    return LockedContract(
        ContractKind.RUNNER, runner.runner_id, runner.version, runner_surface(runner)
    )


def lock_connector(connector: ConnectorMetadata) -> LockedContract:
    return LockedContract(
        ContractKind.CONNECTOR,
        connector.connector_id,
        connector.version,
        connector_surface(connector),
    )


LockKey = tuple[ContractKind, str]


def lock_contracts(
    runners: Iterable[RunnerConfig], connectors: Iterable[ConnectorMetadata]
) -> dict[LockKey, LockedContract]:
    entries = [*map(lock_runner, runners), *map(lock_connector, connectors)]
    return {(entry.kind, entry.contract_id): entry for entry in entries}


def render_lock(entries: Mapping[LockKey, LockedContract]) -> str:
    """The lock file text for ``entries``: the same entries always give the same bytes."""
    document: dict[str, Any] = {"lock_format": LOCK_FORMAT}
    for kind, section in SECTIONS.items():
        document[section] = {
            entry.contract_id: entry.to_json() for entry in entries.values() if entry.kind is kind
        }
    return (
        json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    )


def parse_lock(text: str, display: str) -> dict[LockKey, LockedContract]:
    """The entries of a lock file; LockFileError says what is wrong and how to fix it."""
    regenerate = "run `jobforge-contracts lock` to regenerate it from the committed contracts"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockFileError(
            f"{display}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); {regenerate}"
        ) from None
    if not isinstance(document, dict) or document.get("lock_format") != LOCK_FORMAT:
        raise LockFileError(
            f"{display}: expected an object with lock_format {LOCK_FORMAT}; {regenerate}"
        )
    entries: dict[LockKey, LockedContract] = {}
    for kind, section in SECTIONS.items():
        table = document.get(section, {})
        if not isinstance(table, dict):
            raise LockFileError(f"{display}: {section} must be an object; {regenerate}")
        for contract_id, raw in table.items():
            entry = _parse_entry(kind, contract_id, raw, f"{display}: {section}.{contract_id}")
            entries[(kind, contract_id)] = entry
    return entries


def _parse_entry(kind: ContractKind, contract_id: str, raw: Any, where: str) -> LockedContract:
    if not isinstance(raw, dict) or set(raw) != {"version", "fingerprint", "contract"}:
        raise LockFileError(f"{where}: expected the keys contract, fingerprint and version")
    version, recorded, surface = raw["version"], raw["fingerprint"], raw["contract"]
    try:
        parse_semver(version if isinstance(version, str) else "")
    except ValueError:
        raise LockFileError(f"{where}.version: {version!r} is not a semantic version") from None
    if not isinstance(surface, dict):
        raise LockFileError(f"{where}.contract: expected an object")
    entry = LockedContract(kind, contract_id, version, surface)
    if recorded != entry.fingerprint:
        raise LockFileError(
            f"{where}.fingerprint: {recorded!r} does not match the recorded contract "
            f"({entry.fingerprint}); the lock was edited by hand. Restore it from git, or run "
            "`jobforge-contracts lock --force` to accept the current contracts as they are"
        )
    return entry


def entry_positions(text: str) -> dict[LockKey, Position]:
    """Where each entry of a lock file's ``text`` starts: the key of its id.

    Used to point at a contract that was removed from the project, so only scanned then.
    """
    from jobforge.contracts.loading.json_positions import scan_json  # noqa: PLC0415

    keys = scan_json(text).positions.keys
    return {
        (kind, path[1]): position
        for kind, section in SECTIONS.items()
        for path, position in keys.items()
        if len(path) == 2 and path[0] == section and isinstance(path[1], str)
    }


def read_lock(path: Path, display: str) -> dict[LockKey, LockedContract] | None:
    """The lock at ``path``, or None if there is none yet."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LockFileError(f"{display}: cannot read: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LockFileError(f"{display}: not UTF-8; regenerate it") from None
    return parse_lock(text, display)


def write_lock(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically (temp file, then rename); False if unchanged."""
    encoded = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == encoded:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_bytes(encoded)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return True
