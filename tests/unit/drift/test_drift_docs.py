"""docs/drift.md stays true: its tables name every drift rule by its id and name."""

from __future__ import annotations

import re

from jobforge.contracts.drift.contract_drift import DRIFT_RULES
from jobforge.contracts.drift.surface_changes import CHANGE_RULES
from tests.unit.contracts.support import REPO_ROOT

ROW = re.compile(r"^\| (JF\d{3}) \| ([a-z-]+)", re.MULTILINE)


def test_every_drift_and_change_rule_has_a_row() -> None:
    text = (REPO_ROOT / "docs" / "drift.md").read_text(encoding="utf-8")
    rows = dict(ROW.findall(text))
    for rule in (*DRIFT_RULES, *CHANGE_RULES):
        assert rows.get(rule.id) == rule.name, rule.id
