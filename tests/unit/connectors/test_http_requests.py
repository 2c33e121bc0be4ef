"""Building requests: no request field changes the origin, injects a header line or climbs
out of the base path; connector settings are checked when the connector is built."""

from __future__ import annotations

from typing import Any

import pytest

from jobforge.connectors.http import HttpConnector, HttpRequest, Operation
from jobforge.connectors.http.errors import RequestRefused
from jobforge.connectors.http.requests import check_request
from jobforge.errors import ConfigurationError, NonRetryableError


def test_path_fields_are_encoded_as_one_segment_and_the_rest_go_to_the_query() -> None:
    operation = Operation("get", "/zones/{zone}/files/{name}.json")
    request = operation.build(
        "get_file", {"zone": "a/b?c#d", "name": 7, "limit": 5, "tag": ["x", "y"]}
    )
    assert request == HttpRequest(
        "GET", "/zones/a%2Fb%3Fc%23d/files/7.json", query={"limit": 5, "tag": ["x", "y"]}
    )


def test_null_fields_are_left_out_of_the_query() -> None:
    request = Operation("GET", "/datasets/{dataset}/records").build(
        "fetch_records", {"dataset": "orders", "cursor": None}
    )
    assert request == HttpRequest("GET", "/datasets/orders/records", query={})


def test_other_methods_send_the_remaining_fields_as_the_json_body() -> None:
    request = Operation("POST", "/zones/{zone}/purge").build(
        "purge", {"zone": "z1", "urls": ["/a"]}
    )
    assert request == HttpRequest("POST", "/zones/z1/purge", json={"urls": ["/a"]})
    assert Operation("PUT", "/x").build("put", None) == HttpRequest("PUT", "/x", json={})


@pytest.mark.parametrize(
    ("request_value", "message"),
    [
        ({}, "needs the request field 'zone'"),
        ({"zone": ".."}, "may not be '..'"),
        ({"zone": ""}, "may not be ''"),
        ({"zone": True}, "expected a string or an integer"),
        ({"zone": {"nested": 1}}, "expected a string or an integer"),
        ({"zone": "z", "filter": {"a": 1}}, "query field 'filter'"),
        (["zone"], "expected the request to be a JSON object"),
    ],
)
def test_requests_that_do_not_fit_the_operation_are_refused(
    request_value: Any, message: str
) -> None:
    with pytest.raises(RequestRefused, match=message) as refused:
        Operation("GET", "/zones/{zone}").build("get_zone", request_value)
    assert isinstance(refused.value, NonRetryableError)


@pytest.mark.parametrize(
    ("method", "path", "headers", "message"),
    [
        ("GET", "zones", {}, "expected '/'"),
        ("GET", "//evil.example/x", {}, "expected '/'"),
        ("GET", "/a b", {}, "expected '/'"),
        ("GET", "/a?b=1", {}, "expected '/'"),
        ("GET", "/a/../admin", {}, "'.' or '..' segments"),
        ("GET", "/a/%2e%2e/admin", {}, "'.' or '..' segments"),
        ("GET /x HTTP/1.1\r\nHost: evil", "/", {}, "not an HTTP method"),
        ("GET", "/", {"X-Tenant": "a\r\nX-Admin: 1"}, "no CR, LF"),
        ("GET", "/", {"X-Tenant": "a\nb"}, "no CR, LF"),
        ("GET", "/", {"X-Tenant": "a\x00"}, "no CR, LF"),
        ("GET", "/", {"Bad Name": "1"}, "not a valid HTTP token"),
        ("GET", "/", {"X-Evil\r\nInjected": "1"}, "not a valid HTTP token"),
        ("GET", "/", {"Host": "internal"}, "set by the connector itself"),
        ("GET", "/", {"Transfer-Encoding": "chunked"}, "set by the connector itself"),
    ],
)
def test_malformed_requests_are_refused(
    method: str, path: str, headers: dict[str, str], message: str
) -> None:
    with pytest.raises(RequestRefused, match=message):
        check_request(HttpRequest(method, path, headers=headers), "operation 'x'")
    with pytest.raises(RequestRefused, match=message):
        Operation(method, path, headers=headers)


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("ftp://files.example", "expected an http or https URL"),
        ("file:///etc/passwd", "expected an http or https URL"),
        ("https://user:secret@api.example", "credentials do not belong in the URL"),
        ("https://api.example/v1?key=1", "expected no query"),
        ("http://1.2.3.4.5/", "not an IPv4 address"),
        ("http://%31%32%37.example/", "not a valid host name"),
        ("not a url", "expected an http or https URL"),
    ],
)
def test_a_bad_base_url_is_a_configuration_error(base_url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        HttpConnector(base_url, operations={})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"headers": {"X-A": "1\r\n2"}}, "no CR, LF"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"deadline_seconds": float("inf")}, "deadline_seconds"),
        ({"max_response_bytes": 0}, "max_response_bytes"),
        ({"max_redirects": -1}, "max_redirects"),
        ({"allowed_networks": ["10.0.0.1/8"]}, "allowed_networks"),
    ],
)
def test_bad_settings_are_configuration_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        HttpConnector("https://api.example", operations={}, **options)


def test_an_unknown_operation_names_the_known_ones() -> None:
    with (
        HttpConnector(
            "https://api.example",
            operations={"b": Operation("GET", "/b"), "a": Operation("GET", "/a")},
        ) as connector,
        pytest.raises(RequestRefused, match=r"unknown operation 'c' \(known: a, b\)"),
    ):
        connector("c", {})
