"""docs/contracts.md stays true: its rules table lists exactly the rule catalogue."""

from __future__ import annotations

import re

from jobforge.contracts.problems.rules import RULES
from tests.unit.contracts.support import REPO_ROOT


def test_rules_table_matches_the_catalogue() -> None:
    text = (REPO_ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (JF\d{3}) \| `([a-z-]+)` \| (.+) \|$", text, flags=re.MULTILINE)
    assert rows == [(rule.id, rule.name, rule.summary) for rule in RULES]
