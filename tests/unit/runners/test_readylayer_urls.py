"""Screening cache-warming URLs: normal form, zone scope, duplicates, unusable URLs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.runners.readylayer.urls import (
    CREDENTIALS_IN_URL,
    DUPLICATE,
    HOST_NOT_ALLOWED,
    MALFORMED_URL,
    HostScope,
    UnusableUrl,
    normalize_url,
    redact_credentials,
    screen_urls,
)

ZONE = HostScope.of("shop.example.com", None)


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("https://shop.example.com/a", "https://shop.example.com/a"),
        ("HTTPS://Shop.Example.COM/a", "https://shop.example.com/a"),
        ("https://shop.example.com:443/a", "https://shop.example.com/a"),
        ("http://shop.example.com:80/a", "http://shop.example.com/a"),
        ("http://shop.example.com:443/a", "http://shop.example.com:443/a"),
        ("https://shop.example.com", "https://shop.example.com/"),
        ("https://shop.example.com./a", "https://shop.example.com/a"),
        ("https://shop.example.com/a#section", "https://shop.example.com/a"),
        ("https://shop.example.com/a?b=1&a=2", "https://shop.example.com/a?b=1&a=2"),
        ("https://shop.example.com/A/Path", "https://shop.example.com/A/Path"),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
    ],
)
def test_normal_form(url: str, normalized: str) -> None:
    assert normalize_url(url) == normalized


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://shop.example.com/a", MALFORMED_URL),
        ("https:///a", MALFORMED_URL),
        ("https://shop.example.com:99999/a", MALFORMED_URL),
        ("https://shop.example.com:port/a", MALFORMED_URL),
        ("https://shop.example.com/a b", MALFORMED_URL),
        ("https://shop.example.com/a\nb", MALFORMED_URL),
        ("https://shop.example.com\\@evil.test/", MALFORMED_URL),
        ("https://[::1/a", MALFORMED_URL),
        ("https://user@shop.example.com/a", CREDENTIALS_IN_URL),
        ("https://user:secret@shop.example.com/a", CREDENTIALS_IN_URL),
    ],
)
def test_unusable_urls(url: str, code: str) -> None:
    with pytest.raises(UnusableUrl) as caught:
        normalize_url(url)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("shop.example.com", True),
        ("cdn.shop.example.com", True),
        ("a.b.shop.example.com", True),
        ("example.com", False),
        ("evilshop.example.com", False),
        ("shop.example.com.evil.test", False),
        ("127.0.0.1", False),
    ],
)
def test_the_zone_scope_is_the_zone_and_its_subdomains(host: str, allowed: bool) -> None:
    assert ZONE.allows(host) is allowed


def test_listed_hosts_are_the_only_ones_allowed() -> None:
    scope = HostScope.of("example.com", ["www.example.com", "Static.Example.NET."])
    assert scope.allows("www.example.com")
    assert scope.allows("static.example.net")
    assert not scope.allows("example.com")
    assert not scope.allows("img.www.example.com")


def test_screening_keeps_the_first_of_equal_urls_and_names_it() -> None:
    screened = screen_urls(
        [
            "https://other.test/",
            "https://shop.example.com/x",
            "HTTPS://SHOP.example.com:443/x#top",
            "https://user@shop.example.com/y",
            "https://shop.example.com/x",
        ],
        ZONE,
    )
    assert [item.code for item in screened] == [
        HOST_NOT_ALLOWED,
        None,
        DUPLICATE,
        CREDENTIALS_IN_URL,
        DUPLICATE,
    ]
    assert screened[1].normalized == "https://shop.example.com/x"
    assert screened[2].reason == "the same URL as urls[1] once normalised"
    assert screened[0].reason == (
        "host other.test is outside zone shop.example.com and its subdomains"
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://admin:hunter2@shop.example.com/a?q=1", "https://***@shop.example.com/a?q=1"),
        ("https://token@shop.example.com/", "https://***@shop.example.com/"),
        ("https://u:p@shop.example.com:bad/", "https://***@shop.example.com:bad/"),
        ("https://shop.example.com/?next=a@b", "https://shop.example.com/?next=a@b"),
        ("https://[::1/a", "https://[::1/a"),
    ],
)
def test_user_information_is_redacted(url: str, shown: str) -> None:
    assert redact_credentials(url) == shown


@pytest.mark.parametrize(
    "url", ["https://admin:hunter2@shop.example.com/a", "https://admin:hunter2@shop.example.com:x/"]
)
def test_a_skipped_url_never_shows_its_password(url: str) -> None:
    [screened] = screen_urls([url], ZONE)
    assert not screened.kept
    assert "hunter2" not in screened.url
    assert "admin" not in screened.url


def test_a_skipped_url_is_never_the_original_of_a_duplicate() -> None:
    screened = screen_urls(["https://a@shop.example.com/", "https://shop.example.com/"], ZONE)
    assert [item.kept for item in screened] == [False, True]


_labels = st.sampled_from(["shop.example.com", "cdn.shop.example.com", "Shop.Example.com"])
_urls = st.builds(
    "{scheme}://{host}{port}{path}{query}{fragment}".format,
    scheme=st.sampled_from(["http", "https", "HTTPS", "Http"]),
    host=st.one_of(_labels, st.sampled_from(["other.test", "shop.example.com.evil.test"])),
    port=st.sampled_from(["", ":443", ":80", ":8080"]),
    path=st.sampled_from(["", "/", "/a", "/A", "/a/b", "/%7Euser"]),
    query=st.sampled_from(["", "?q=1", "?q=1&r=2"]),
    fragment=st.sampled_from(["", "#x"]),
)


@given(st.lists(_urls, max_size=30))
def test_screening_gives_one_entry_per_url_and_keeps_each_cache_key_once(
    urls: list[str],
) -> None:
    screened = screen_urls(urls, ZONE)
    assert [(item.index, item.url) for item in screened] == list(enumerate(urls))
    kept = [item.normalized for item in screened if item.kept]
    assert len(kept) == len(set(kept))
    for item in screened:
        if item.code == DUPLICATE:
            original = screened[int(item.reason.split("urls[")[1].split("]")[0])]
            assert original.index < item.index
            assert original.normalized == normalize_url(item.url)
        if item.kept:
            assert normalize_url(item.normalized or "") == item.normalized  # idempotent
