"""The router: a pure function from a catalogue, a step's capabilities, a policy and an
agent's preferences to a ranked list of targets.

1. Candidates are the targets declaring every required capability (the others are
   ``incapable``, each with what it lacks).
2. The tenant's policy filters the candidates (each refused one is ``filtered``, with
   every rule it breaks).
3. The allowed candidates are ranked by load (lower first), then by the agent's
   preference (its ``preferred_targets``, earlier first, unlisted last), then by id.

The first ranked target is the choice; the next ones serving the same job type are its
fallbacks. Nothing depends on the order the catalogue lists targets in: every list this
module returns is sorted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from jobforge.runners.aias.names import MAX_FALLBACKS
from jobforge.runners.aias.policy import Refusal, TenantPolicy
from jobforge.runners.aias.targets import Target


@dataclass(frozen=True, slots=True)
class Incapable:
    target: Target
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Filtered:
    target: Target
    refusals: tuple[Refusal, ...]


@dataclass(frozen=True, slots=True)
class Route:
    """What the router made of one step: ``ranked`` holds the allowed candidates, best
    first; ``incapable`` and ``filtered`` the others, by id."""

    required: tuple[str, ...]
    incapable: tuple[Incapable, ...]
    filtered: tuple[Filtered, ...]
    ranked: tuple[Target, ...]
    preferred: tuple[str, ...]

    @property
    def chosen(self) -> Target | None:
        return self.ranked[0] if self.ranked else None

    @property
    def candidates(self) -> int:
        """How many targets declare every required capability (allowed or not)."""
        return len(self.ranked) + len(self.filtered)

    @property
    def fallbacks(self) -> tuple[Target, ...]:
        """The next allowed targets of the chosen one's job type, best first."""
        chosen = self.chosen
        if chosen is None:
            return ()
        same_kind = [target for target in self.ranked[1:] if target.job_type == chosen.job_type]
        return tuple(same_kind[:MAX_FALLBACKS])

    def reason(self) -> str:
        """Why the chosen target won, in a sentence (empty when none was chosen)."""
        chosen = self.chosen
        if chosen is None:
            return ""
        if len(self.ranked) == 1:
            return f"the only allowed candidate of {self.candidates} capable"
        text = f"the lowest load ({chosen.load:g}) of {len(self.ranked)} allowed candidates"
        runner_up = self.ranked[1]
        if runner_up.load != chosen.load:
            return text
        own, other = self._preference(chosen), self._preference(runner_up)
        if own < other:
            return f"{text}; tied on load with {runner_up.target_id}, preferred by the agent"
        return f"{text}; tied on load and preference with {runner_up.target_id}, first by id"

    def _preference(self, target: Target) -> int:
        return preference_rank(target.target_id, self.preferred)


def preference_rank(target_id: str, preferred: Sequence[str]) -> int:
    """The target's place in the agent's preferences; unlisted targets come after all."""
    try:
        return preferred.index(target_id)
    except ValueError:
        return len(preferred)


def rank_key(target: Target, preferred: Sequence[str]) -> tuple[float, int, str]:
    """What ranks allowed candidates: load, then preference, then id (all ascending)."""
    return (target.load, preference_rank(target.target_id, preferred), target.target_id)


def route(
    targets: Iterable[Target],
    required: Iterable[str],
    policy: TenantPolicy,
    preferred: Sequence[str] = (),
) -> Route:
    """Route a step needing ``required`` among ``targets`` (ids unique) under ``policy``."""
    needed = frozenset(required)
    by_id = sorted(targets, key=lambda target: target.target_id)
    for earlier, later in pairwise(by_id):
        if earlier.target_id == later.target_id:
            raise ValueError(f"target {earlier.target_id!r} is listed more than once")
    incapable: list[Incapable] = []
    filtered: list[Filtered] = []
    allowed: list[Target] = []
    for target in by_id:
        missing = target.missing(needed)
        if missing:
            incapable.append(Incapable(target, missing))
            continue
        refusals = policy.refusals(target)
        if refusals:
            filtered.append(Filtered(target, refusals))
        else:
            allowed.append(target)
    preferences = tuple(preferred)
    return Route(
        required=tuple(sorted(needed)),
        incapable=tuple(incapable),
        filtered=tuple(filtered),
        ranked=tuple(sorted(allowed, key=lambda target: rank_key(target, preferences))),
        preferred=preferences,
    )
