"""Reading the ``aias.registry`` catalogue: every malformed answer fails the job, naming
the field, rather than being guessed at."""

from __future__ import annotations

from typing import Any

import pytest

from jobforge.runners.aias.errors import InvalidRegistryResponse
from jobforge.runners.aias.targets import Target, parse_targets
from tests.unit.runners.aias_support import target


def test_a_catalogue_is_read_in_order() -> None:
    targets = parse_targets(
        {"targets": [target("b", "x", load=0), target("a", "x", "y", load=2, cost_tier=3)]}
    )
    assert targets == (
        Target("b", "aias.step.run", frozenset({"x"}), 0, 1, "eu-west"),
        Target("a", "aias.step.run", frozenset({"x", "y"}), 2, 3, "eu-west"),
    )


def test_extra_fields_are_ignored() -> None:
    [only] = parse_targets({"targets": [{**target("a", "x"), "model": "large"}], "next": None})
    assert only.target_id == "a"


def changed(**fields: Any) -> dict[str, Any]:
    return {"targets": [{**target("a", "x"), **fields}]}


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (None, "expected an object, got null"),
        ({"targets": {}}, "targets: expected an array, got dict"),
        ({"targets": [1]}, "targets[0]: expected an object, got int"),
        (changed(id=""), "targets[0].id: expected letters"),
        (changed(id="a b"), "targets[0].id: expected letters"),
        (changed(job_type="Not A Type"), "targets[0].job_type: expected a dotted lower-case"),
        (changed(job_type=None), "targets[0].job_type"),
        (changed(capabilities="x"), "targets[0].capabilities: expected an array"),
        (changed(capabilities=["x", ""]), "targets[0].capabilities"),
        (changed(load=-0.1), "targets[0].load: expected a finite number from 0, got -0.1"),
        (changed(load=True), "targets[0].load"),
        (changed(load="0.2"), "targets[0].load"),
        (changed(cost_tier=0), "targets[0].cost_tier: expected an integer from 1, got 0"),
        (changed(cost_tier=1.0), "targets[0].cost_tier"),
        (changed(region=None), "targets[0].region: expected a non-empty string"),
        (
            {"targets": [target("a", "x"), target("a", "y")]},
            "targets[1].id: 'a' is listed more than once",
        ),
    ],
)
def test_a_malformed_catalogue_fails_naming_the_field(response: Any, message: str) -> None:
    with pytest.raises(InvalidRegistryResponse) as caught:
        parse_targets(response)
    assert str(caught.value).startswith("aias.registry.list_targets: ")
    assert message in str(caught.value)
    assert caught.value.error_kind == "invalid_registry_response"
