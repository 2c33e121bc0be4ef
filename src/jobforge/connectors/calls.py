"""A connector call and a recorded response, with the digests that match them up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobforge.determinism.canonical import canonical_json, canonical_sha256
from jobforge.errors import InvalidArgument

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
class RecordedResponse:
    """A response to replay. Without ``request`` it answers any request to the operation."""

    connector_id: str
    operation: str
    response: Any
    request: Any = None
    has_request: bool = False

    def matches(self, call: ConnectorCall) -> bool:
        if (self.connector_id, self.operation) != (call.connector_id, call.operation):
            return False
        return not self.has_request or canonical_sha256(self.request) == call.request_sha256

    def to_json(self) -> dict[str, Any]:
        document = {
            "connector_id": self.connector_id,
            "operation": self.operation,
            "response": self.response,
        }
        if self.has_request:
            document["request"] = self.request
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> RecordedResponse:
        try:
            return cls(
                connector_id=str(document["connector_id"]),
                operation=str(document["operation"]),
                response=document["response"],
                request=document.get("request"),
                has_request="request" in document,
            )
        except KeyError as exc:
            raise InvalidArgument(
                f"recorded connector response: missing {exc.args[0]!r} "
                "(expected connector_id, operation, response and optionally request)"
            ) from None
