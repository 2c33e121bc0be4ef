"""``readylayer.cache.warm``: fetch a list of URLs through the edge so they are cached.

The URLs are screened (``urls.py``), the connector's rate limit is read from its
``describe_limits`` operation, and the kept URLs go to ``warm_urls`` in batches of at
most the burst size (``batches.py``). Every URL gets an outcome (warmed, failed or
skipped, with the reason) in the input's order, and every decision is in the trace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jobforge import JobContext, handler
from jobforge.runners.readylayer.batches import (
    RateLimit,
    batch_size_for,
    parse_rate_limit,
    split_into_batches,
    start_offsets_ms,
)
from jobforge.runners.readylayer.urls import HostScope, ScreenedUrl, screen_urls

JOB_TYPE = "readylayer.cache.warm"
CONNECTOR_ID = "readylayer.cdn"
# Cache statuses meaning the edge served the URL without storing it: nothing was warmed.
NOT_CACHED_STATUSES = frozenset({"BYPASS", "DYNAMIC"})
HTTP_TOO_MANY_REQUESTS = 429
FIRST_HTTP_ERROR = 400
MAX_EDGE_ERROR_CHARACTERS = 200
UNKNOWN_CACHE_STATUS = "UNKNOWN"

# The codes of a failed outcome.
NO_RESULT = "no_result"
EDGE_ERROR = "edge_error"
RATE_LIMITED = "rate_limited"
HTTP_ERROR = "http_error"
NOT_CACHED = "not_cached"


@handler(JOB_TYPE)
def warm_cache(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Warm the payload's URLs in rate-limited batches; an outcome per URL."""
    zone = payload["zone"]
    screened = screen_urls(payload["urls"], HostScope.of(zone, payload.get("hosts")))
    outcomes: dict[int, dict[str, Any]] = {}
    for item in screened:
        if not item.kept:
            ctx.trace.decision("skip", url=item.url, code=item.code, reason=item.reason)
            outcomes[item.index] = _skipped(item)
    connector = ctx.connector(CONNECTOR_ID)
    limit = parse_rate_limit(connector.call("describe_limits", {}))
    batch_size = batch_size_for(limit, payload.get("max_batch_size"))
    ctx.trace.decision(
        "batch_size", batch_size=batch_size, reason=_batch_size_reason(limit, batch_size)
    )
    batches = split_into_batches([item for item in screened if item.kept], batch_size)
    offsets = start_offsets_ms([len(batch) for batch in batches], limit)
    plan = []
    for number, (batch, offset_ms) in enumerate(zip(batches, offsets, strict=True)):
        ctx.trace.decision(
            "batch",
            batch=number,
            size=len(batch),
            start_offset_ms=offset_ms,
            reason=f"the rate limit lets {len(batch)} URL(s) start {offset_ms} ms after batch 0",
        )
        request = {"zone": zone, "urls": [item.normalized for item in batch]}
        results, problem = _results_by_url(connector.call("warm_urls", request))
        for item in batch:
            assert item.normalized is not None
            outcome = _outcome(item, number, results.get(item.normalized), problem)
            ctx.trace.decision(outcome["outcome"], url=item.url, reason=_trace_reason(outcome))
            outcomes[item.index] = outcome
        plan.append({"index": number, "size": len(batch), "start_offset_ms": offset_ms})
    ordered = [outcomes[index] for index in range(len(screened))]
    return {
        "zone": zone,
        "warmed_at": ctx.now.isoformat(),
        "rate_limit": limit.to_json(),
        "batch_size": batch_size,
        "batches": plan,
        "outcomes": ordered,
        "summary": _summary(ordered),
    }


def _batch_size_reason(limit: RateLimit, batch_size: int) -> str:
    if batch_size < limit.burst_size:
        return f"max_batch_size {batch_size} is below the connector's burst size {limit.burst_size}"
    return (
        f"the connector allows bursts of {limit.burst_size} requests, refilled at "
        f"{limit.requests_per_second} per second"
    )


def _skipped(item: ScreenedUrl) -> dict[str, Any]:
    return {"url": item.url, "outcome": "skipped", "code": item.code, "reason": item.reason}


def _results_by_url(response: Any) -> tuple[dict[str, Mapping[str, Any]], str | None]:
    """The ``warm_urls`` results by URL (the first for a URL listed twice), or why the
    response holds none."""
    results = response.get("results") if isinstance(response, Mapping) else None
    if not isinstance(results, list):
        return {}, "the connector's response to the batch has no results list"
    by_url: dict[str, Mapping[str, Any]] = {}
    for result in results:
        if isinstance(result, Mapping) and isinstance(result.get("url"), str):
            by_url.setdefault(result["url"], result)
    return by_url, None


def _outcome(  # noqa: PLR0911 - one return per way a result can read
    item: ScreenedUrl, batch: int, result: Mapping[str, Any] | None, problem: str | None
) -> dict[str, Any]:
    if result is None:
        reason = problem or "the connector returned no result for this URL"
        return _failed(item, batch, NO_RESULT, reason)
    status = result.get("status")
    has_status = isinstance(status, int) and not isinstance(status, bool)
    error = result.get("error")
    if isinstance(error, str) and error:
        reason = f"the edge reported: {error[:MAX_EDGE_ERROR_CHARACTERS]}"
        return _failed(item, batch, EDGE_ERROR, reason, status=status if has_status else None)
    if not has_status:
        return _failed(item, batch, NO_RESULT, "the connector's result carries no HTTP status")
    assert isinstance(status, int)
    if status == HTTP_TOO_MANY_REQUESTS:
        reason = "the edge answered 429 Too Many Requests"
        return _failed(item, batch, RATE_LIMITED, reason, status=status)
    if status >= FIRST_HTTP_ERROR:
        return _failed(item, batch, HTTP_ERROR, f"the edge answered HTTP {status}", status=status)
    cache_status = result.get("cache_status")
    if not isinstance(cache_status, str) or not cache_status:
        cache_status = UNKNOWN_CACHE_STATUS
    if cache_status.upper() in NOT_CACHED_STATUSES:
        reason = f"the edge answered HTTP {status} without caching it ({cache_status})"
        return _failed(item, batch, NOT_CACHED, reason, status=status, cache_status=cache_status)
    return {
        "url": item.url,
        "outcome": "warmed",
        "batch": batch,
        "status": status,
        "cache_status": cache_status,
    }


def _failed(
    item: ScreenedUrl,
    batch: int,
    code: str,
    reason: str,
    *,
    status: int | None = None,
    cache_status: str | None = None,
) -> dict[str, Any]:
    outcome: dict[str, Any] = {"url": item.url, "outcome": "failed", "batch": batch}
    outcome.update(code=code, reason=reason)
    if status is not None:
        outcome["status"] = status
    if cache_status is not None:
        outcome["cache_status"] = cache_status
    return outcome


def _trace_reason(outcome: Mapping[str, Any]) -> str:
    if outcome["outcome"] == "warmed":
        return f"the edge answered HTTP {outcome['status']} ({outcome['cache_status']})"
    return str(outcome["reason"])


def _summary(outcomes: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts = {"warmed": 0, "failed": 0, "skipped": 0}
    for outcome in outcomes:
        counts[outcome["outcome"]] += 1
    return {
        "requested": len(outcomes),
        "attempted": counts["warmed"] + counts["failed"],
        **counts,
    }
