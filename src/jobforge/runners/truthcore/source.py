"""Where the records come from: inline in the payload, or a dataset read page by page.

A dataset is read through the ``truthcore.source`` connector's ``fetch_records``
operation: request ``{"dataset": ..., "cursor": null | "..."}``, response
``{"records": [{...}, ...], "next_cursor": null | "..."}``, until ``next_cursor`` is null.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jobforge.runners.truthcore.errors import InvalidSourceResponse, SourceLimitExceeded
from jobforge.runners.truthcore.values import cut, keys_sorted, shown

CONNECTOR_ID = "truthcore.source"
OPERATION = "fetch_records"
DEFAULT_MAX_PAGES = 100

# (request) -> response: one call of fetch_records.
FetchPage = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class LoadedRecords:
    """The records to check, and where they came from (the output's ``source``)."""

    records: list[Any]
    source: dict[str, Any]


def load_records(payload: Mapping[str, Any], fetch_page: FetchPage) -> LoadedRecords:
    """The payload's inline ``records``, or every page of its ``source`` dataset."""
    if "records" in payload:
        return LoadedRecords(list(payload["records"]), {"kind": "inline"})
    source = payload["source"]
    dataset = source["dataset"]
    max_pages = int(source.get("max_pages", DEFAULT_MAX_PAGES))
    cursor = source.get("cursor")
    seen_cursors = {cursor}
    records: list[Any] = []
    pages = 0
    while True:
        pages += 1
        response = fetch_page({"dataset": dataset, "cursor": cursor})
        page_records, cursor = _page(response, dataset, pages)
        records.extend(page_records)
        if cursor is None:
            break
        if cursor in seen_cursors:
            raise InvalidSourceResponse(
                f"{CONNECTOR_ID}.{OPERATION} for dataset {dataset!r}, page {pages}: "
                f"next_cursor {cut(cursor)!r} was already read; the source is going round "
                "in a circle"
            )
        if pages == max_pages:
            raise SourceLimitExceeded(
                f"dataset {dataset!r} has more than {max_pages} pages (source.max_pages); "
                "raise max_pages, or verify the dataset in parts from source.cursor"
            )
        seen_cursors.add(cursor)
    described = {"kind": "dataset", "dataset": dataset, "pages": pages}
    if source.get("cursor") is not None:
        described["cursor"] = source["cursor"]
    return LoadedRecords(records, described)


def _page(response: Any, dataset: str, page: int) -> tuple[list[Any], str | None]:
    """The records and the next cursor of one response, refusing anything else."""
    where = f"{CONNECTOR_ID}.{OPERATION} for dataset {dataset!r}, page {page}"
    expected = (
        "expected an object with records (a list of objects) and next_cursor "
        "(a non-empty string, or null on the last page)"
    )
    if not isinstance(response, dict) or not isinstance(response.get("records"), list):
        raise InvalidSourceResponse(f"{where}: {expected}, got {shown(response)}")
    for position, record in enumerate(response["records"]):
        if not isinstance(record, dict):
            raise InvalidSourceResponse(
                f"{where}: records[{position}] is {shown(record)}; {expected}"
            )
    cursor = response.get("next_cursor")
    if cursor is not None and not (isinstance(cursor, str) and cursor):
        raise InvalidSourceResponse(f"{where}: next_cursor is {shown(cursor)}; {expected}")
    # A live transport and a replayed recording hold keys in different orders.
    return [keys_sorted(record) for record in response["records"]], cursor
