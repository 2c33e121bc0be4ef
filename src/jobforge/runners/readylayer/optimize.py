"""``readylayer.assets.optimize``: decide per asset what to do and why.

Each asset is judged on its own (``asset_rules.py``) and the assets are reported sorted
by path, so the output and the trace depend on the set of assets, not on their order.
The job decides; applying the decisions is left to the CDN's image and header settings
or to a later job, which is why it makes no connector call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jobforge import JobContext, handler
from jobforge.runners.readylayer.asset_rules import ACTIONS, LEAVE, Asset, Policy, decide
from jobforge.runners.readylayer.errors import InvalidJobInput

JOB_TYPE = "readylayer.assets.optimize"


@handler(JOB_TYPE)
def optimize_assets(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """One report per asset (sorted by path): a decision per aspect, each in the trace."""
    policy = Policy.from_payload(payload.get("policy"))
    reports = []
    for asset in unique_assets(payload["assets"]):
        decisions = decide(asset, policy)
        for decision in decisions:
            ctx.trace.decision(
                decision.action,
                path=asset.path,
                aspect=decision.aspect,
                reason=decision.reason,
                **decision.parameters,
            )
        reports.append(
            {
                "path": asset.path,
                "content_type": asset.content_type,
                "changed": any(decision.action != LEAVE for decision in decisions),
                "decisions": [decision.to_json() for decision in decisions],
            }
        )
    return {
        "zone": payload["zone"],
        "policy": policy.to_json(),
        "assets": reports,
        "summary": summarize(reports),
    }


def unique_assets(entries: Iterable[Mapping[str, Any]]) -> list[Asset]:
    """The assets sorted by path; one path listed twice must describe the same asset."""
    by_path: dict[str, Asset] = {}
    for entry in entries:
        asset = Asset.from_payload(entry)
        known = by_path.setdefault(asset.path, asset)
        if known != asset:
            raise InvalidJobInput(
                f"payload.assets: path {asset.path!r} is listed twice with different details; "
                "expected each path once"
            )
    return [by_path[path] for path in sorted(by_path)]


def summarize(reports: list[dict[str, Any]]) -> dict[str, Any]:
    actions = dict.fromkeys(ACTIONS, 0)
    for report in reports:
        for decision in report["decisions"]:
            if decision["action"] != LEAVE:
                actions[decision["action"]] += 1
    changed = sum(1 for report in reports if report["changed"])
    return {
        "assets": len(reports),
        "changed": changed,
        "unchanged": len(reports) - changed,
        "actions": actions,
    }
