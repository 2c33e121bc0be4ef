"""Reading an inventory from the ``autopilot.inventory`` connector: pages, field checks,
and the scope a scan's payload gives it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from jobforge.runners.ops.inventory import (
    LIST_OPERATION,
    MAX_INVENTORY_PAGES,
    InvalidInventory,
    fetch_inventory,
    parse_resource,
    scope,
)


class PagedConnector:
    """Answers ``list_resources`` from pages keyed by the page token (None: the first)."""

    def __init__(self, pages: dict[str | None, Any]) -> None:
        self.pages = pages
        self.requests: list[Any] = []

    def call(self, operation: str, request: Any = None) -> Any:
        assert operation == LIST_OPERATION
        self.requests.append(request)
        return self.pages[request.get("page_token")]


class EndlessConnector:
    def __init__(self) -> None:
        self.calls = 0

    def call(self, operation: str, request: Any = None) -> Any:
        self.calls += 1
        return {"resources": [], "next_page_token": f"token-{self.calls}"}


def test_every_page_is_read_and_the_resources_come_sorted_by_id() -> None:
    connector = PagedConnector(
        {
            None: {"resources": [{"id": "b", "type": "t"}], "next_page_token": "p2"},
            "p2": {"resources": [{"id": "c", "type": "t"}, {"id": "a", "type": "t"}]},
        }
    )
    inventory = fetch_inventory(connector, "acct")
    assert [r.id for r in inventory.resources] == ["a", "b", "c"]
    assert inventory.pages == 2
    assert connector.requests == [{"account": "acct"}, {"account": "acct", "page_token": "p2"}]


def test_the_currency_defaults_to_usd_and_may_be_given_by_any_page() -> None:
    empty = PagedConnector({None: {"resources": []}})
    assert fetch_inventory(empty, "a").currency == "USD"
    late = PagedConnector(
        {None: {"resources": [], "next_page_token": "x"}, "x": {"resources": [], "currency": "EUR"}}
    )
    assert fetch_inventory(late, "a").currency == "EUR"


def test_pages_that_disagree_on_the_currency_are_refused() -> None:
    connector = PagedConnector(
        {
            None: {"resources": [], "currency": "USD", "next_page_token": "x"},
            "x": {"resources": [], "currency": "EUR"},
        }
    )
    with pytest.raises(InvalidInventory, match="different currencies: EUR, USD"):
        fetch_inventory(connector, "a")


def test_a_page_token_handed_out_twice_stops_the_scan() -> None:
    connector = PagedConnector(
        {
            None: {"resources": [], "next_page_token": "x"},
            "x": {"resources": [], "next_page_token": "x"},
        }
    )
    with pytest.raises(InvalidInventory, match=r"inventory page 2: next_page_token"):
        fetch_inventory(connector, "a")


def test_a_connector_that_never_stops_paging_is_cut_off() -> None:
    connector = EndlessConnector()
    with pytest.raises(InvalidInventory, match=f"more than {MAX_INVENTORY_PAGES} pages"):
        fetch_inventory(connector, "a")
    assert connector.calls == MAX_INVENTORY_PAGES


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (["not", "an", "object"], "inventory page 1: expected an object, got list"),
        ({"resources": None}, "inventory page 1: resources: expected a list, got null"),
        ({"resources": ["vm"]}, "resources[0]: expected an object, got str"),
        ({"resources": [], "currency": 5}, "currency: expected a currency code or null"),
    ],
)
def test_malformed_pages_are_refused_with_their_place(response: Any, message: str) -> None:
    with pytest.raises(InvalidInventory) as raised:
        fetch_inventory(PagedConnector({None: response}), "a")
    assert message in str(raised.value)
    assert raised.value.error_kind == "invalid_inventory"


def test_an_id_listed_twice_is_refused_with_the_id() -> None:
    connector = PagedConnector(
        {
            None: {"resources": [{"id": "a", "type": "t"}], "next_page_token": "x"},
            "x": {"resources": [{"id": "a", "type": "u"}, {"id": "b", "type": "t"}]},
        }
    )
    with pytest.raises(InvalidInventory, match=r"more than once: \['a'\]"):
        fetch_inventory(connector, "acct")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("id", "", "a non-empty string"),
        ("id", 7, "a non-empty string"),
        ("type", None, "a non-empty string"),
        ("region", 1, "a string or null"),
        ("monthly_cost", -1, "a number of 0 or more"),
        ("monthly_cost", "12", "a number of 0 or more"),
        ("monthly_cost", True, "a number of 0 or more"),
        ("cpu_p95_percent", 101, "a percentage from 0 to 100"),
        ("last_used", "yesterday", "an RFC 3339 timestamp with an offset"),
        ("last_used", "2024-05-01T12:00:00", "an RFC 3339 timestamp with an offset"),
        ("tags", {"owner": 1}, "an object of string values"),
        ("tags", ["owner"], "an object of string values"),
        ("public", "yes", "true, false or null"),
        ("encrypted", 0, "true, false or null"),
        ("open_ports", [22, 70000], "a list of port numbers from 1 to 65535"),
        ("open_ports", [True], "a list of port numbers from 1 to 65535"),
        ("open_ports", "22", "a list of port numbers from 1 to 65535"),
    ],
)
def test_each_bad_field_is_named_with_what_was_expected(
    field: str, value: Any, expected: str
) -> None:
    item = {"id": "vm-1", "type": "compute.instance", field: value}
    with pytest.raises(InvalidInventory) as raised:
        parse_resource(item, "inventory page 1: resources[3]")
    assert str(raised.value).startswith(f"inventory page 1: resources[3].{field}: expected")
    assert expected in str(raised.value)
    assert repr(value) in str(raised.value)


def test_a_full_resource_reads_into_typed_fields() -> None:
    item = {
        "id": "vm-1",
        "type": "compute.instance",
        "region": "eu-west-1",
        "size": "large",
        "monthly_cost": 140.16,
        "tags": {"owner": "api"},
        "last_used": "2024-05-01T12:00:00Z",
        "attached_to": None,
        "cpu_p95_percent": 7,
        "public": False,
        "encrypted": True,
        "open_ports": [443, 22, 443],
        "tls_min_version": "1.2",
        "custom": {"kept": True},
    }
    resource = parse_resource(item, "here")
    assert resource.monthly_cost == Decimal("140.16")
    assert resource.last_used == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert resource.attachment_reported is True
    assert resource.attached_to is None
    assert resource.cpu_p95_percent == 7.0
    assert resource.open_ports == (22, 443)
    assert resource.attributes["custom"] == {"kept": True}


def test_absent_fields_read_as_unreported() -> None:
    resource = parse_resource({"id": "x", "type": "t"}, "here")
    assert resource.attachment_reported is False
    assert (resource.public, resource.encrypted, resource.monthly_cost) == (None, None, None)
    assert resource.tags == {}
    assert resource.open_ports == ()


def test_scope_keeps_the_named_regions_and_leaves_out_ignored_ids_saying_why() -> None:
    resources = [
        parse_resource({"id": i, "type": "t", "region": r}, "here")
        for i, r in [("c", "eu"), ("a", "us"), ("b", "eu"), ("d", None)]
    ]
    scoped = scope(resources, ["eu"], ["b"])
    assert [r.id for r in scoped.resources] == ["c"]
    assert scoped.excluded == (
        ("a", "region 'us' is outside the scan's regions ['eu']"),
        ("b", "listed in ignore_resources"),
        ("d", "no region is outside the scan's regions ['eu']"),
    )
    assert [r.id for r in scope(resources, None, []).resources] == ["a", "b", "c", "d"]
    assert [r.id for r in scope(resources, [], []).resources] == ["a", "b", "c", "d"]
