"""A tenant's routing policy: which targets its tasks may go to.

The policy comes with the task (``payload.policy``) and travels with its chain, so every
step is routed under the policy the task was submitted with. Each rule a target breaks is
a ``Refusal`` with a code (``not_allowed``, ``denied``, ``cost_tier``,
``data_residency``) and a sentence saying why, for the trace and the error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jobforge.runners.aias.errors import InvalidTaskInput
from jobforge.runners.aias.targets import Target


class Reason(StrEnum):
    """Why the policy refuses a target, in the order the rules are checked."""

    NOT_ALLOWED = "not_allowed"
    DENIED = "denied"
    COST_TIER = "cost_tier"
    DATA_RESIDENCY = "data_residency"


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: Reason
    detail: str


@dataclass(frozen=True, slots=True)
class TenantPolicy:
    """``allowed_targets`` (None: any), ``denied_targets`` (denial wins over allowance),
    ``max_cost_tier`` (None: any) and ``data_residency``, the regions data may be
    processed in (None: any)."""

    allowed_targets: frozenset[str] | None = None
    denied_targets: frozenset[str] = frozenset()
    max_cost_tier: int | None = None
    data_residency: frozenset[str] | None = None

    def refusals(self, target: Target) -> tuple[Refusal, ...]:
        """Every rule ``target`` breaks; empty when the policy allows it."""
        refused: list[Refusal] = []
        if self.allowed_targets is not None and target.target_id not in self.allowed_targets:
            refused.append(Refusal(Reason.NOT_ALLOWED, "not in the policy's allowed_targets"))
        if target.target_id in self.denied_targets:
            refused.append(Refusal(Reason.DENIED, "in the policy's denied_targets"))
        if self.max_cost_tier is not None and target.cost_tier > self.max_cost_tier:
            refused.append(
                Refusal(
                    Reason.COST_TIER,
                    f"cost tier {target.cost_tier} is above max_cost_tier {self.max_cost_tier}",
                )
            )
        if self.data_residency is not None and target.region not in self.data_residency:
            regions = ", ".join(sorted(self.data_residency))
            refused.append(
                Refusal(
                    Reason.DATA_RESIDENCY,
                    f"region {target.region} is outside data_residency ({regions})",
                )
            )
        return tuple(refused)

    def to_json(self) -> dict[str, Any]:
        """The policy as a payload carries it: given rules only, lists sorted."""
        document: dict[str, Any] = {}
        if self.allowed_targets is not None:
            document["allowed_targets"] = sorted(self.allowed_targets)
        if self.denied_targets:
            document["denied_targets"] = sorted(self.denied_targets)
        if self.max_cost_tier is not None:
            document["max_cost_tier"] = self.max_cost_tier
        if self.data_residency is not None:
            document["data_residency"] = sorted(self.data_residency)
        return document


def parse_policy(document: Any, label: str) -> TenantPolicy:
    """The policy in ``document`` (absent or null: no rules)."""
    if document is None:
        return TenantPolicy()
    if not isinstance(document, Mapping):
        raise InvalidTaskInput(f"{label}: expected an object, got {type(document).__name__}")
    max_cost_tier = document.get("max_cost_tier")
    if max_cost_tier is not None and (
        isinstance(max_cost_tier, bool) or not isinstance(max_cost_tier, int)
    ):
        raise InvalidTaskInput(f"{label}.max_cost_tier: expected an integer, got {max_cost_tier!r}")
    allowed = _names(document.get("allowed_targets"), f"{label}.allowed_targets")
    denied = _names(document.get("denied_targets"), f"{label}.denied_targets")
    return TenantPolicy(
        allowed_targets=allowed,
        denied_targets=denied or frozenset(),
        max_cost_tier=max_cost_tier,
        data_residency=_names(document.get("data_residency"), f"{label}.data_residency"),
    )


def _names(value: Any, label: str) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise InvalidTaskInput(f"{label}: expected an array of strings")
    return frozenset(value)
