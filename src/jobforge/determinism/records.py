"""The records every execution leaves: input snapshot and output artifact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from jobforge.determinism.canonical import (
    canonical_json,
    canonical_json_of_decoded,
    json_string,
    sha256_hex,
)


@dataclass(frozen=True, slots=True)
class InputSnapshot:
    """Everything a handler's result may depend on, so the run can be replayed.

    ``connector_responses`` is filled in after the run with the calls it made. The job
    type and the payload's hash are in the result row itself (``type``, ``input_sha256``),
    so the stored snapshot does not repeat them.
    """

    job_type: str
    runner_id: str | None
    runner_version: str | None
    payload_canonical: str
    payload_sha256: str
    now: datetime
    seed: int

    def to_json(self, connector_responses: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "runner_id": self.runner_id,
            "runner_version": self.runner_version,
            "payload_canonical": self.payload_canonical,
            "now": self.now.isoformat(),
            "seed": self.seed,
            "connector_responses": connector_responses,
        }

    def to_json_text(self, connector_responses_json: str, *, now_text: str | None = None) -> str:
        """The canonical JSON text of :meth:`to_json`, given the canonical JSON text of the
        connector responses (written directly: the worker renders one per attempt);
        ``now_text``: ``now.isoformat()`` if the caller has it already."""
        now = now_text if now_text is not None else self.now.isoformat()
        runner_id = "null" if self.runner_id is None else json_string(self.runner_id)
        version = "null" if self.runner_version is None else json_string(self.runner_version)
        return (
            f'{{"connector_responses":{connector_responses_json},'
            f'"now":{json_string(now)},'
            f'"payload_canonical":{json_string(self.payload_canonical)},'
            f'"runner_id":{runner_id},"runner_version":{version},"seed":{self.seed}}}'
        )


def snapshot_input(
    *,
    job_type: str,
    payload: Any,
    runner_id: str | None,
    runner_version: str | None,
    now: datetime,
    seed: int,
    payload_is_decoded: bool = False,
) -> InputSnapshot:
    """The snapshot of one attempt's input. ``payload_is_decoded``: the payload was read
    from the database, so it is known to be JSON and only needs encoding."""
    payload_bytes = (
        canonical_json_of_decoded(payload)
        if payload_is_decoded
        else canonical_json(payload, label="payload")
    )
    return InputSnapshot(
        job_type=job_type,
        runner_id=runner_id,
        runner_version=runner_version,
        payload_canonical=payload_bytes.decode("utf-8"),
        payload_sha256=sha256_hex(payload_bytes),
        now=now,
        seed=seed,
    )


@dataclass(frozen=True, slots=True)
class OutputArtifact:
    canonical: str
    sha256: str
    size_bytes: int

    def to_json(self) -> dict[str, str]:
        return {"canonical": self.canonical, "sha256": self.sha256}


def output_artifact(output: Any) -> OutputArtifact:
    """The canonical JSON of a handler's output and its SHA-256; InvalidArgument if not JSON."""
    if output is None:  # handlers run for their effects mostly return nothing
        return _NULL_ARTIFACT
    output_bytes = canonical_json(output, label="output")
    return OutputArtifact(
        canonical=output_bytes.decode("utf-8"),
        sha256=sha256_hex(output_bytes),
        size_bytes=len(output_bytes),
    )


_NULL_ARTIFACT = OutputArtifact(canonical="null", sha256=sha256_hex(b"null"), size_bytes=4)
SEED_MODULUS = 2**63


def seed_for(job_id: UUID, attempt: int) -> int:
    """The random seed of a live attempt: fixed by the job and attempt, recorded for replay."""
    return (job_id.int + attempt) % SEED_MODULUS
