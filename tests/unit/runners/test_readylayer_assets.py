"""``readylayer.assets.optimize``: each rule, the handler, and order independence."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobforge.determinism.canonical import canonical_json
from jobforge.runners.readylayer import optimize
from jobforge.runners.readylayer.asset_rules import (
    Asset,
    Policy,
    cache_control_decision,
    cache_directives,
    compression_decision,
    decide,
    format_decision,
    has_hash_in_file_name,
    media_type,
    size_decision,
)
from jobforge.runners.readylayer.errors import InvalidJobInput
from jobforge.worker.execution import MAX_OUTPUT_BYTES
from tests.unit.runners.readylayer_support import Run, job_type_contract

CONTRACT = job_type_contract(optimize.JOB_TYPE)
POLICY = Policy()


def asset(**fields: Any) -> Asset:
    defaults: dict[str, Any] = {"path": "/a", "content_type": "text/css", "size_bytes": 50_000}
    return Asset.from_payload({**defaults, **fields})


@pytest.mark.parametrize(
    ("fields", "action", "encoding"),
    [
        ({"content_type": "text/css"}, "compress", "br"),
        ({"content_type": "Application/JSON; charset=utf-8"}, "compress", "br"),
        ({"content_type": "application/ld+json"}, "compress", "br"),
        ({"content_type": "image/svg+xml"}, "compress", "br"),
        ({"content_encoding": "gzip"}, "compress", "br"),
        ({"content_encoding": "br"}, "leave", None),
        ({"size_bytes": 1023}, "leave", None),
        ({"size_bytes": 1024}, "compress", "br"),
        ({"content_type": "image/png"}, "leave", None),
        ({"content_type": "font/woff2"}, "leave", None),
        ({"content_type": "application/octet-stream"}, "leave", None),
    ],
)
def test_compression(fields: dict[str, Any], action: str, encoding: str | None) -> None:
    decision = compression_decision(asset(**fields), POLICY)
    assert decision.action == action
    assert decision.parameters.get("encoding") == encoding


def test_a_gzip_policy_never_undoes_brotli() -> None:
    gzip = Policy(compression="gzip")
    assert compression_decision(asset(content_encoding="br"), gzip).action == "leave"
    assert compression_decision(asset(), gzip).parameters == {"encoding": "gzip"}


@pytest.mark.parametrize(
    ("content_type", "target", "action"),
    [
        ("image/jpeg", "webp", "convert"),
        ("image/png", "avif", "convert"),
        ("image/webp", "avif", "convert"),
        ("image/webp", "webp", "leave"),
        ("image/avif", "webp", "leave"),
        ("image/gif", "webp", "leave"),
        ("image/svg+xml", "avif", "leave"),
        ("image/x-icon", "webp", "leave"),
    ],
)
def test_image_format(content_type: str, target: str, action: str) -> None:
    decision = format_decision(asset(content_type=content_type), Policy(image_format=target))
    assert decision.action == action
    if action == "convert":
        assert decision.parameters == {"format": target}


def test_a_small_image_is_not_converted() -> None:
    small = asset(content_type="image/png", size_bytes=1000)
    assert format_decision(small, POLICY).action == "leave"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"width": 4000, "height": 2250, "display_width": 1200}, (2400, 1350)),
        ({"width": 4000, "height": 3000}, (2560, 1920)),
        ({"width": 3001, "height": 1000}, (2560, 853)),  # 853.05 rounds down
        ({"width": 3000, "height": 1001}, (2560, 854)),  # 854.19
        ({"width": 5121, "height": 1}, (2560, 1)),  # never 0 px high
        ({"width": 2560, "height": 100}, None),
        ({"width": 800, "height": 600, "display_width": 400}, None),
        ({"width": 801, "height": 600, "display_width": 400}, (800, 599)),  # 599.25
        ({"width": 4000}, None),
        ({}, None),
    ],
)
def test_image_size(fields: dict[str, Any], expected: tuple[int, int] | None) -> None:
    decision = size_decision(asset(content_type="image/jpeg", **fields), POLICY)
    if expected is None:
        assert decision.action == "leave"
    else:
        assert decision.action == "resize"
        assert (decision.parameters["width"], decision.parameters["height"]) == expected


def test_a_vector_image_is_never_resized() -> None:
    svg = asset(content_type="image/svg+xml", width=9000, height=9000)
    assert size_decision(svg, POLICY).action == "leave"


@pytest.mark.parametrize(
    ("fields", "value"),
    [
        ({"path": "/app.3f9a1c2b.js"}, "public, max-age=31536000, immutable"),
        ({"path": "/chunk-5F3A9B1C0D.css"}, "public, max-age=31536000, immutable"),
        ({"path": "/a.css", "fingerprinted": True}, "public, max-age=31536000, immutable"),
        ({"path": "/app.3f9a1c2b.js", "fingerprinted": False}, "public, max-age=3600"),
        ({"path": "/report-20240101.css"}, "public, max-age=3600"),
        ({"path": "/deadbeef.css"}, "public, max-age=3600"),
        ({"path": "/", "content_type": "text/html"}, "public, no-cache"),
        ({"path": "/a.css", "cache_control": "max-age=60"}, "public, max-age=3600"),
    ],
)
def test_cache_control_is_set(fields: dict[str, Any], value: str) -> None:
    decision = cache_control_decision(asset(**fields), POLICY)
    assert decision.action == "set_cache_control"
    assert decision.parameters == {"value": value}


@pytest.mark.parametrize(
    "header",
    [
        "private",
        "no-store",
        "Private, max-age=0",
        'private="set-cookie", max-age=60',
        "public, NO-STORE",
        "max-age=3600, public",
        "PUBLIC ,max-age=3600",
    ],
)
def test_cache_control_is_left(header: str) -> None:
    decision = cache_control_decision(asset(path="/a.css", cache_control=header), POLICY)
    assert decision.action == "leave"


def test_helpers() -> None:
    assert media_type(" Text/HTML ; charset=utf-8") == "text/html"
    assert cache_directives("public, Max-Age = 60,,") == {"public", "max-age=60"}
    assert cache_directives(None) == frozenset()
    assert has_hash_in_file_name("/static/app.3f9a1c2b.min.js?v=1")
    assert not has_hash_in_file_name("/3f9a1c2b/app.js")  # a hashed folder is not the name
    assert not has_hash_in_file_name("/app.3f9a1c2.js")  # 7 digits


def test_every_asset_gets_compression_and_cache_control_and_images_the_rest() -> None:
    text_aspects = [decision.aspect for decision in decide(asset(), POLICY)]
    image_aspects = [d.aspect for d in decide(asset(content_type="image/png"), POLICY)]
    assert text_aspects == ["compression", "cache_control"]
    assert image_aspects == ["compression", "format", "size", "cache_control"]


def test_every_decision_is_traced_with_its_asset_aspect_and_reason() -> None:
    payload = {
        "zone": "shop.example.com",
        "assets": [
            {"path": "/b.png", "content_type": "image/png", "size_bytes": 90_000},
            {"path": "/a.js", "content_type": "text/javascript", "size_bytes": 90_000},
        ],
    }
    result = Run(optimize.JOB_TYPE, payload)
    decisions = result.decisions()
    assert [(d["path"], d["aspect"]) for d in decisions] == [
        ("/a.js", "compression"),
        ("/a.js", "cache_control"),
        ("/b.png", "compression"),
        ("/b.png", "format"),
        ("/b.png", "size"),
        ("/b.png", "cache_control"),
    ]
    reported = [decision for report in result.output["assets"] for decision in report["decisions"]]
    assert [d["decision"] for d in decisions] == [d["action"] for d in reported]
    assert all(d["reason"] for d in decisions)
    assert result.calls() == []  # the job decides; it calls no connector


def test_one_path_with_two_descriptions_is_refused_whatever_the_order() -> None:
    first = {"path": "/a.css", "content_type": "text/css", "size_bytes": 1}
    second = {**first, "size_bytes": 2}
    messages = set()
    for assets in ([first, second], [second, first]):
        with pytest.raises(InvalidJobInput) as caught:
            Run(optimize.JOB_TYPE, {"zone": "shop.example.com", "assets": assets})
        assert caught.value.error_kind == "invalid_input"
        messages.add(str(caught.value))
    assert len(messages) == 1


def test_one_path_listed_twice_alike_is_reported_once() -> None:
    entry = {"path": "/a.css", "content_type": "text/css", "size_bytes": 1}
    alike = {**entry, "content_type": "TEXT/CSS"}
    result = Run(optimize.JOB_TYPE, {"zone": "shop.example.com", "assets": [entry, alike]})
    assert [report["path"] for report in result.output["assets"]] == ["/a.css"]


@pytest.mark.parametrize(
    "assets",
    [
        [],
        [{"path": "a.css", "content_type": "text/css", "size_bytes": 1}],
        [{"path": "/a", "content_type": "", "size_bytes": 1}],
        [{"path": "/a", "content_type": "text/css", "size_bytes": -1}],
        [{"path": "/a", "content_type": "text/css", "size_bytes": 1, "content_encoding": "zstd"}],
        [{"path": "/a", "content_type": "image/png", "size_bytes": 1, "width": 0}],
        [{"path": "/a", "content_type": "text/css", "size_bytes": 1, "extra": 1}],
    ],
)
def test_the_input_schema_refuses(assets: list[dict[str, Any]]) -> None:
    assert CONTRACT.input_errors({"zone": "shop.example.com", "assets": assets})


def test_the_largest_input_gives_an_output_the_worker_stores() -> None:
    assets = [
        {
            "path": f"/{number:04d}.3f9a1c2b".ljust(508, "x") + ".png",
            "content_type": "image/png",
            "size_bytes": 9_000_000,
            "cache_control": "x" * 512,
            "width": 10_000,
            "height": 10_000,
            "display_width": 300,
        }
        for number in range(500)
    ]
    payload = {"zone": "shop.example.com", "assets": assets}
    assert CONTRACT.input_errors(payload) == []
    output = Run(optimize.JOB_TYPE, payload).output
    assert len(canonical_json(output)) < MAX_OUTPUT_BYTES


_assets = st.fixed_dictionaries(
    {
        "path": st.sampled_from(
            ["/", "/a.css", "/app.3f9a1c2b.js", "/img/x.png", "/img/y.jpg", "/i.svg", "/f.woff2"]
        ),
        "content_type": st.sampled_from(
            [
                "text/html",
                "text/css",
                "application/javascript",
                "image/png",
                "image/jpeg",
                "image/webp",
                "image/avif",
                "image/gif",
                "image/svg+xml",
                "font/woff2",
                "application/pdf",
            ]
        ),
        "size_bytes": st.integers(min_value=0, max_value=10_000_000),
    },
    optional={
        "content_encoding": st.sampled_from(["identity", "gzip", "br"]),
        "cache_control": st.sampled_from(
            ["", "public, max-age=3600", "private", "no-store", "max-age=31536000, immutable"]
        ),
        "width": st.integers(min_value=1, max_value=8000),
        "height": st.integers(min_value=1, max_value=8000),
        "display_width": st.integers(min_value=1, max_value=3000),
        "fingerprinted": st.booleans(),
    },
)
_policies = st.fixed_dictionaries(
    {},
    optional={
        "compression": st.sampled_from(["br", "gzip"]),
        "image_format": st.sampled_from(["webp", "avif"]),
        "min_bytes": st.integers(min_value=0, max_value=100_000),
        "max_image_width": st.integers(min_value=1, max_value=5000),
        "pixel_density": st.integers(min_value=1, max_value=4),
    },
)


def _distinct_paths(assets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({entry["path"]: entry for entry in assets}.values())


@settings(max_examples=80)
@given(
    assets=st.lists(_assets, min_size=1, max_size=7).map(_distinct_paths),
    policy=_policies,
    data=st.data(),
)
def test_output_and_trace_do_not_depend_on_the_order_of_the_assets(
    assets: list[dict[str, Any]], policy: dict[str, Any], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(assets))
    payload = {"zone": "shop.example.com", "assets": assets, "policy": policy}
    assert CONTRACT.input_errors(payload) == []
    first = Run(optimize.JOB_TYPE, payload)
    second = Run(optimize.JOB_TYPE, {**payload, "assets": shuffled})
    assert canonical_json(first.output) == canonical_json(second.output)
    assert first.decisions() == second.decisions()
    assert CONTRACT.output_errors(first.output) == []
    summary = first.output["summary"]
    assert summary["changed"] + summary["unchanged"] == len(assets)
