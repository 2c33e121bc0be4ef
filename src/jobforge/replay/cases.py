"""What replay needs to know about one golden fixture, independent of how it was loaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Goldens run on a fixed clock and seed unless they set their own, so that two runs of
# a deterministic handler give byte-identical artifacts.
DEFAULT_NOW = datetime(2000, 1, 1, tzinfo=UTC)
DEFAULT_SEED = 0


@dataclass(frozen=True)
class GoldenSpec:
    """One golden: the job to run and what its result must show."""

    name: str
    path: Path
    line: int
    job_type: str
    tenant_id: str
    input: Any
    expected_output: Any
    exact: bool = False
    expected_trace_keys: tuple[str, ...] = ()
    expected_artifact_keys: tuple[str, ...] = ()
    deterministic: bool = True
    connector_responses: tuple[dict[str, Any], ...] = ()
    now: datetime = DEFAULT_NOW
    seed: int = DEFAULT_SEED
    expected_output_line: int | None = None
    # {"kind": ..., "message_contains": ...}: the job must fail so (then expected_output is unused)
    expected_error: dict[str, Any] | None = None
    # Each {"job_type", and the payload, run_at, idempotency_key the golden gives}: the
    # follow-ups the handler must ask for, in order (None: not checked)
    expected_follow_ups: tuple[dict[str, Any], ...] | None = None
    runner_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def replay_context(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "seed": self.seed,
            "connector_responses": list(self.connector_responses),
        }
