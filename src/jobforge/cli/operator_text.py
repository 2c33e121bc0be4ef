"""Plain-text pieces of the operator commands' reports: times, durations, errors, tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

ERROR_WIDTH = 100


def when(moment: datetime | None) -> str:
    """A time in UTC to the millisecond, or '-'."""
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def seconds(value: float | None) -> str:
    """A duration for reading: 0.042s, 12.5s, 3m05s, 2h01m; '-' when unknown."""
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.3f}s"
    if value < 60:
        return f"{value:.1f}s"
    whole = int(value)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: one deterministic line."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def error_text(error: Any, *, width: int | None = ERROR_WIDTH) -> str:
    """A recorded error as one line: 'kind: message' when it has those, else its JSON."""
    if error is None:
        return "-"
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        kind = error.get("kind")
        text = f"{kind}: {error['message']}" if isinstance(kind, str) else error["message"]
    else:
        text = canonical(error)
    text = " ".join(text.split())
    if width is not None and len(text) > width:
        return text[: width - 3] + "..."
    return text


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: int = 0) -> list[str]:
    """Columns padded to their widest cell; the last ``right`` columns right-aligned."""
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    split = len(headers) - right

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(widths[i]) if i < split else cell.rjust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(padded).rstrip()

    return [line(headers), *(line(row) for row in rows)]
