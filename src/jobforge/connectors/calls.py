"""A connector call and a recorded response, with the digests that match them up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobforge.determinism.canonical import canonical_json, canonical_sha256
from jobforge.errors import (
    CONNECTOR_FAILURE_TYPES,
    ConnectorDeadLetter,
    ConnectorFailure,
    InvalidArgument,
)

MAX_DESCRIBED_REQUEST_CHARACTERS = 200


@dataclass(frozen=True, slots=True)
class ConnectorCall:
    connector_id: str
    operation: str
    request: Any

    @property
    def request_sha256(self) -> str:
        return canonical_sha256(self.request, label="request")

    def describe(self) -> str:
        """``connector.operation(<request JSON>)``, the request cut to a readable length."""
        text = canonical_json(self.request, label="request").decode("utf-8")
        if len(text) > MAX_DESCRIBED_REQUEST_CHARACTERS:
            text = text[:MAX_DESCRIBED_REQUEST_CHARACTERS] + "…"
        return f"{self.connector_id}.{self.operation}({text})"


@dataclass(frozen=True, slots=True)
class RecordedFailure:
    """How a live call failed, after its connector's failure mode was applied: a replay
    raises the same error again (same class, kind, message and retry delay)."""

    type: str
    kind: str
    message: str
    dead_letter: bool = False
    retry_in_seconds: float | None = None

    @classmethod
    def of(cls, failure: ConnectorFailure) -> RecordedFailure:
        return cls(
            type=failure.type,
            kind=failure.error_kind,
            message=str(failure),
            dead_letter=isinstance(failure, ConnectorDeadLetter),
            retry_in_seconds=failure.retry_in_seconds,
        )

    def exception(self) -> ConnectorFailure:
        error_class = ConnectorDeadLetter if self.dead_letter else ConnectorFailure
        return error_class(
            self.type,
            self.message,
            error_kind=self.kind,
            retry_in_seconds=self.retry_in_seconds,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "kind": self.kind,
            "message": self.message,
            "dead_letter": self.dead_letter,
            "retry_in_seconds": self.retry_in_seconds,
        }

    @classmethod
    def from_json(cls, document: Any) -> RecordedFailure:
        expected = (
            "expected an object with strings type, kind and message, and optionally "
            "dead_letter (a boolean) and retry_in_seconds (a number)"
        )
        if not isinstance(document, Mapping):
            raise InvalidArgument(f"recorded connector failure: {expected}")
        failure_type, kind, message = (document.get(k) for k in ("type", "kind", "message"))
        dead_letter = document.get("dead_letter", False)
        retry_in = document.get("retry_in_seconds")
        if not (
            isinstance(failure_type, str)
            and isinstance(kind, str)
            and isinstance(message, str)
            and isinstance(dead_letter, bool)
            and (retry_in is None or _is_number(retry_in))
        ):
            raise InvalidArgument(f"recorded connector failure: {expected}, got {document!r}")
        if failure_type not in CONNECTOR_FAILURE_TYPES:
            raise InvalidArgument(
                f"recorded connector failure: type {failure_type!r} is not one of "
                f"{', '.join(CONNECTOR_FAILURE_TYPES)}"
            )
        return cls(failure_type, kind, message, dead_letter, retry_in)


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    """A response to replay, or the failure a live call ended with (``failure`` set, then
    ``response`` is None). Without ``request`` it answers any request to the operation."""

    connector_id: str
    operation: str
    response: Any
    request: Any = None
    has_request: bool = False
    failure: RecordedFailure | None = None

    def matches(self, call: ConnectorCall) -> bool:
        if (self.connector_id, self.operation) != (call.connector_id, call.operation):
            return False
        return not self.has_request or canonical_sha256(self.request) == call.request_sha256

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "connector_id": self.connector_id,
            "operation": self.operation,
        }
        if self.failure is not None:
            document["failure"] = self.failure.to_json()
        else:
            document["response"] = self.response
        if self.has_request:
            document["request"] = self.request
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> RecordedResponse:
        try:
            failure = document.get("failure")
            return cls(
                connector_id=str(document["connector_id"]),
                operation=str(document["operation"]),
                response=None if failure is not None else document["response"],
                request=document.get("request"),
                has_request="request" in document,
                failure=None if failure is None else RecordedFailure.from_json(failure),
            )
        except KeyError as exc:
            raise InvalidArgument(
                f"recorded connector response: missing {exc.args[0]!r} (expected "
                "connector_id, operation, response or failure, and optionally request)"
            ) from None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
