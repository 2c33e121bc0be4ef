"""The resources an inventory scan looks at: fetched page by page from the
``autopilot.inventory`` connector, checked field by field, and scoped by the payload.

A response the runner cannot trust (a resource without an id, a cost that is not a
number, the same id twice) fails the job with ``invalid_inventory`` and the path of the
bad value: a scan over a misread inventory would report a false all-clear.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from jobforge import NonRetryableError

CONNECTOR_ID = "autopilot.inventory"
LIST_OPERATION = "list_resources"
# A runaway paginator (a connector that never stops handing out page tokens) fails the
# job instead of looping for ever.
MAX_INVENTORY_PAGES = 1_000
DEFAULT_CURRENCY = "USD"
MAX_PORT = 65_535


class InvalidInventory(NonRetryableError):
    """The connector's inventory is malformed: retrying would read the same bad data."""

    error_kind = "invalid_inventory"


class Connector(Protocol):
    """What ``ctx.connector(...)`` returns, as far as fetching an inventory needs it."""

    def call(self, operation: str, request: Any = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource as the inventory reports it; ``attributes`` holds every field as given
    (drift compares them), the typed fields are what the cost and security rules read."""

    id: str
    type: str
    attributes: Mapping[str, Any]
    region: str | None = None
    size: str | None = None
    monthly_cost: Decimal | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    last_used: datetime | None = None
    attachment_reported: bool = False
    attached_to: str | None = None
    cpu_p95_percent: float | None = None
    public: bool | None = None
    encrypted: bool | None = None
    open_ports: tuple[int, ...] = ()
    tls_min_version: str | None = None


@dataclass(frozen=True, slots=True)
class Inventory:
    """Every resource of an account, sorted by id, and how it was fetched."""

    account: str
    resources: tuple[Resource, ...]
    currency: str
    pages: int


def fetch_inventory(connector: Connector, account: str) -> Inventory:
    """Read every page of ``account``'s inventory; raise InvalidInventory on bad data."""
    resources: list[Resource] = []
    currencies: set[str] = set()
    seen_tokens: set[str] = set()
    request: dict[str, Any] = {"account": account}
    for page in range(1, MAX_INVENTORY_PAGES + 1):
        response = connector.call(LIST_OPERATION, request)
        where = f"inventory page {page}"
        if not isinstance(response, dict):
            raise InvalidInventory(f"{where}: expected an object, got {_kind(response)}")
        listed = response.get("resources")
        if not isinstance(listed, list):
            raise InvalidInventory(f"{where}: resources: expected a list, got {_kind(listed)}")
        resources += [
            parse_resource(item, f"{where}: resources[{index}]")
            for index, item in enumerate(listed)
        ]
        currency = response.get("currency")
        if currency is not None:
            if not isinstance(currency, str) or not currency:
                raise InvalidInventory(
                    f"{where}: currency: expected a currency code or null, got {currency!r}"
                )
            currencies.add(currency)
        token = response.get("next_page_token")
        if token is None:
            return _inventory(account, resources, currencies, page)
        if not isinstance(token, str) or not token or token in seen_tokens:
            raise InvalidInventory(
                f"{where}: next_page_token: expected a new token or null, got {token!r}"
            )
        seen_tokens.add(token)
        request = {"account": account, "page_token": token}
    raise InvalidInventory(
        f"the inventory has more than {MAX_INVENTORY_PAGES} pages; is the connector paging "
        "in a loop?"
    )


def _inventory(
    account: str, resources: list[Resource], currencies: set[str], pages: int
) -> Inventory:
    if len(currencies) > 1:
        raise InvalidInventory(
            f"the inventory's pages give different currencies: {', '.join(sorted(currencies))}"
        )
    counts = Counter(resource.id for resource in resources)
    duplicates = sorted(resource_id for resource_id, count in counts.items() if count > 1)
    if duplicates:
        raise InvalidInventory(f"the inventory lists resource id(s) more than once: {duplicates}")
    ordered = tuple(sorted(resources, key=lambda resource: resource.id))
    return Inventory(account, ordered, currencies.pop() if currencies else DEFAULT_CURRENCY, pages)


def parse_resource(item: Any, where: str) -> Resource:
    """One listed resource, its known fields checked; raise InvalidInventory naming ``where``."""
    if not isinstance(item, dict):
        raise InvalidInventory(f"{where}: expected an object, got {_kind(item)}")
    fields = _Fields(item, where)
    return Resource(
        id=fields.required_text("id"),
        type=fields.required_text("type"),
        attributes=item,
        region=fields.text("region"),
        size=fields.text("size"),
        monthly_cost=fields.money("monthly_cost"),
        tags=fields.tags("tags"),
        last_used=fields.timestamp("last_used"),
        attachment_reported="attached_to" in item,
        attached_to=fields.text("attached_to"),
        cpu_p95_percent=fields.percent("cpu_p95_percent"),
        public=fields.flag("public"),
        encrypted=fields.flag("encrypted"),
        open_ports=fields.ports("open_ports"),
        tls_min_version=fields.text("tls_min_version"),
    )


class _Fields:
    """Typed reads of one resource object; absent and null read as None (or empty)."""

    def __init__(self, item: dict[str, Any], where: str) -> None:
        self._item = item
        self._where = where

    def _bad(self, name: str, expected: str) -> InvalidInventory:
        value = self._item.get(name)
        return InvalidInventory(f"{self._where}.{name}: expected {expected}, got {value!r}")

    def required_text(self, name: str) -> str:
        value = self._item.get(name)
        if not isinstance(value, str) or not value:
            raise self._bad(name, "a non-empty string")
        return value

    def text(self, name: str) -> str | None:
        value = self._item.get(name)
        if value is not None and not isinstance(value, str):
            raise self._bad(name, "a string or null")
        return value

    def flag(self, name: str) -> bool | None:
        value = self._item.get(name)
        if value is not None and not isinstance(value, bool):
            raise self._bad(name, "true, false or null")
        return value

    def money(self, name: str) -> Decimal | None:
        value = self._item.get(name)
        if value is None:
            return None
        if not _is_number(value) or value < 0:
            raise self._bad(name, "a number of 0 or more, or null")
        return Decimal(str(value))

    def percent(self, name: str) -> float | None:
        value = self._item.get(name)
        if value is None:
            return None
        if not _is_number(value) or not 0 <= value <= 100:
            raise self._bad(name, "a percentage from 0 to 100, or null")
        return float(value)

    def timestamp(self, name: str) -> datetime | None:
        value = self._item.get(name)
        if value is None:
            return None
        expected = "an RFC 3339 timestamp with an offset (2024-05-01T12:00:00Z), or null"
        if not isinstance(value, str):
            raise self._bad(name, expected)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self._bad(name, expected) from None
        if moment.tzinfo is None:
            raise self._bad(name, expected)
        return moment

    def tags(self, name: str) -> dict[str, str]:
        value = self._item.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self._bad(name, "an object of string values, or null")
        return dict(value)

    def ports(self, name: str) -> tuple[int, ...]:
        value = self._item.get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(_is_port(port) for port in value):
            raise self._bad(name, f"a list of port numbers from 1 to {MAX_PORT}, or null")
        return tuple(sorted(set(value)))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_PORT


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


@dataclass(frozen=True, slots=True)
class Scope:
    """The resources a scan covers, and those it leaves out with the reason why."""

    resources: tuple[Resource, ...]
    excluded: tuple[tuple[str, str], ...]  # (resource id, reason), by id


def scope(
    resources: Iterable[Resource], regions: Sequence[str] | None, ignored: Sequence[str]
) -> Scope:
    """Keep the resources in ``regions`` (all when None) that ``ignored`` does not name."""
    kept: list[Resource] = []
    excluded: list[tuple[str, str]] = []
    wanted_regions = set(regions) if regions else None
    ignored_ids = set(ignored)
    for resource in sorted(resources, key=lambda r: r.id):
        reason = exclusion_reason(resource.id, resource.region, wanted_regions, ignored_ids)
        if reason is None:
            kept.append(resource)
        else:
            excluded.append((resource.id, reason))
    return Scope(tuple(kept), tuple(excluded))


def exclusion_reason(
    resource_id: str, region: str | None, regions: set[str] | None, ignored: set[str]
) -> str | None:
    """Why a resource is out of a scan's scope, or None when it is in."""
    if resource_id in ignored:
        return "listed in ignore_resources"
    if regions is not None and region not in regions:
        where = f"region {region!r}" if region is not None else "no region"
        return f"{where} is outside the scan's regions {sorted(regions)}"
    return None
