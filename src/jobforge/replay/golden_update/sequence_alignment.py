"""Lining up a golden's list items with an output's, the way a person edits a list.

Items that already pass can stay where they are (a longest common subsequence under the
golden's own judgement); between them, old and new items pair up in order and are
patched, and the surplus on either side is deleted or inserted. So one item added to
the front of a list is one insertion, not a rewrite of every item. When pairing the
items in order touches fewer of them (one item changed among equal ones), that wins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# Above this many item comparisons the lists are paired in order without a search.
MAX_ALIGNMENT_CELLS = 40_000


@dataclass(frozen=True)
class Step:
    """One item of the result: ``old`` kept or patched into ``new``, ``old`` deleted
    (``new`` is None) or ``new`` inserted (``old`` is None)."""

    old: int | None
    new: int | None


def align(
    old: Sequence[Any], new: Sequence[Any], matches: Callable[[Any, Any], bool]
) -> list[Step]:
    """The steps from ``old`` to ``new`` that touch the fewest items: in order, or around
    the items that already pass (which wins a tie: an item added and one removed read
    better than every item between them rewritten)."""
    in_order = _gap(range(len(old)), range(len(new)))
    around = _around(old, new, matches)

    def edits(steps: list[Step]) -> int:
        return sum(
            1
            for step in steps
            if step.old is None or step.new is None or not matches(old[step.old], new[step.new])
        )

    return around if edits(around) <= edits(in_order) else in_order


def _around(
    old: Sequence[Any], new: Sequence[Any], matches: Callable[[Any, Any], bool]
) -> list[Step]:
    anchors = _common_subsequence(old, new, matches)
    steps: list[Step] = []
    old_at = new_at = 0
    for old_index, new_index in [*anchors, (len(old), len(new))]:
        steps.extend(_gap(range(old_at, old_index), range(new_at, new_index)))
        if old_index < len(old):
            steps.append(Step(old_index, new_index))
        old_at, new_at = old_index + 1, new_index + 1
    return steps


def _gap(old: range, new: range) -> list[Step]:
    paired = min(len(old), len(new))
    steps = [Step(old[i], new[i]) for i in range(paired)]
    steps.extend(Step(index, None) for index in old[paired:])
    steps.extend(Step(None, index) for index in new[paired:])
    return steps


def _common_subsequence(
    old: Sequence[Any], new: Sequence[Any], matches: Callable[[Any, Any], bool]
) -> list[tuple[int, int]]:
    if not old or not new or len(old) * len(new) > MAX_ALIGNMENT_CELLS:
        return []
    rows, columns = len(old), len(new)
    length = [[0] * (columns + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(columns - 1, -1, -1):
            if matches(old[i], new[j]):
                length[i][j] = length[i + 1][j + 1] + 1
            else:
                length[i][j] = max(length[i + 1][j], length[i][j + 1])
    pairs = []
    i = j = 0
    while i < rows and j < columns:
        if matches(old[i], new[j]) and length[i][j] == length[i + 1][j + 1] + 1:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif length[i + 1][j] >= length[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs
