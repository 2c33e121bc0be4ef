"""Rendering a doctor report: one line per check for people, one document for machines."""

from __future__ import annotations

import json
from collections.abc import Callable

from jobforge.doctor.results import DoctorReport, Status

MARKS = {Status.PASS: "pass", Status.WARN: "WARN", Status.FAIL: "FAIL"}


def render_text(report: DoctorReport) -> str:
    lines: list[str] = []
    for result in report.results:
        lines.append(f"{MARKS[result.status]:<4}  {result.name}: {result.detail}")
        if result.action:
            lines.append(f"      what to do: {result.action}")
    counts = report.counts()
    lines.append(f"{counts['pass']} passed, {counts['warn']} warning(s), {counts['fail']} failed")
    return "\n".join(lines) + "\n"


def render_json(report: DoctorReport) -> str:
    document = {
        "ok": not report.failed,
        "counts": report.counts(),
        "checks": [result.to_json() for result in report.results],
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


RENDERERS: dict[str, Callable[[DoctorReport], str]] = {"text": render_text, "json": render_json}
