"""When a replayed failure counts as the recorded one, and how either is described."""

from __future__ import annotations

from typing import Any

import pytest

from jobforge.replay.recorded import describe_error, same_failure

DECLINED = {
    "kind": "exception",
    "exception": "billing.CardDeclined",
    "message": "card expired",
    "traceback": "Traceback (most recent call last):\n  ...",
}


@pytest.mark.parametrize(
    ("recorded", "replayed", "same"),
    [
        (DECLINED, {**DECLINED, "traceback": "another traceback"}, True),
        (DECLINED, {**DECLINED, "message": "card stolen"}, False),
        (DECLINED, {**DECLINED, "exception": "billing.GatewayDown"}, False),
        (DECLINED, {**DECLINED, "kind": "declined"}, False),
        # An error written without an exception class (by an older worker, or by SQL)
        # is judged on kind and message.
        ({"kind": "exception", "message": "card expired"}, DECLINED, True),
        (
            {"kind": "timeout", "message": "handler exceeded its timeout of 30.000 s"},
            {"kind": "timeout", "message": "handler exceeded its timeout of 30 s"},
            True,
        ),
        ("card expired", DECLINED, False),
        (None, DECLINED, False),
    ],
)
def test_same_failure(recorded: Any, replayed: dict[str, Any], same: bool) -> None:
    assert same_failure(recorded, replayed) is same


def test_describe_error() -> None:
    assert describe_error(DECLINED) == "exception (billing.CardDeclined): card expired"
    assert describe_error({"kind": "lease_expired", "message": "lease held by w expired"}) == (
        "lease_expired: lease held by w expired"
    )
    assert describe_error(["not", "an", "object"]) == '["not", "an", "object"]'
