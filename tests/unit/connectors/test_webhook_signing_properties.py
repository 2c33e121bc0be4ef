"""Signed webhooks over large input spaces: round trips, single-character tampering,
rotation, hostile headers, and agreement with the Standard Webhooks reference library."""

from __future__ import annotations

import string
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError as ReferenceRefusal

from jobforge.connectors.webhooks import (
    DEFAULT_TOLERANCE_SECONDS,
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    InMemorySeenMessageIds,
    NoMatchingWebhookSignature,
    WebhookSecret,
    WebhookSigner,
    WebhookVerificationError,
    WebhookVerifier,
)

SECRETS = st.binary(min_size=24, max_size=64).map(WebhookSecret)
# Printable ASCII but "." and space: what a webhook id may hold.
ID_CHARACTERS = "".join(c for c in string.printable[:94] if c != ".")
MESSAGE_IDS = st.text(alphabet=ID_CHARACTERS, min_size=1, max_size=256)
TIMESTAMPS = st.integers(min_value=0, max_value=10**12 - 1)
# The reference library handles timestamps as datetimes: up to the end of year 9999.
DATETIME_TIMESTAMPS = st.integers(min_value=0, max_value=253_402_300_799)
SKEWS = st.integers(min_value=-DEFAULT_TOLERANCE_SECONDS, max_value=DEFAULT_TOLERANCE_SECONDS)
HEADER_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)


def verifier(
    current: WebhookSecret, now: int, previous: WebhookSecret | None = None
) -> WebhookVerifier:
    return WebhookVerifier(
        current, previous=previous, seen_ids=InMemorySeenMessageIds(), clock=lambda: now
    )


@given(SECRETS, st.binary(), MESSAGE_IDS, TIMESTAMPS, SKEWS)
def test_every_signed_delivery_verifies_within_the_window(
    secret: WebhookSecret, body: bytes, message_id: str, timestamp: int, skew: int
) -> None:
    headers = WebhookSigner(secret).sign(body, message_id=message_id, timestamp=timestamp)
    verified = verifier(secret, timestamp + skew).verify(body, headers)
    assert (verified.message_id, verified.timestamp, verified.body) == (message_id, timestamp, body)


@given(SECRETS, st.binary(min_size=1), MESSAGE_IDS, TIMESTAMPS, st.data())
def test_changing_one_byte_of_the_body_fails(
    secret: WebhookSecret, body: bytes, message_id: str, timestamp: int, data: st.DataObject
) -> None:
    headers = WebhookSigner(secret).sign(body, message_id=message_id, timestamp=timestamp)
    position = data.draw(st.integers(0, len(body) - 1), label="position")
    replacement = data.draw(st.integers(0, 255).filter(lambda b: b != body[position]))
    tampered = body[:position] + bytes([replacement]) + body[position + 1 :]
    with pytest.raises(NoMatchingWebhookSignature):
        verifier(secret, timestamp).verify(tampered, headers)


@pytest.mark.parametrize("header", [ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER])
@given(
    secret=SECRETS, body=st.binary(), message_id=MESSAGE_IDS, timestamp=TIMESTAMPS, data=st.data()
)
def test_changing_one_character_of_a_header_fails(
    header: str,
    secret: WebhookSecret,
    body: bytes,
    message_id: str,
    timestamp: int,
    data: st.DataObject,
) -> None:
    headers = WebhookSigner(secret).sign(body, message_id=message_id, timestamp=timestamp)
    value = headers[header]
    position = data.draw(st.integers(0, len(value) - 1), label="position")
    replacement = data.draw(
        st.characters(exclude_categories=("Cs",)).filter(lambda c: c != value[position])
    )
    tampered = {**headers, header: value[:position] + replacement + value[position + 1 :]}
    with pytest.raises(WebhookVerificationError):
        verifier(secret, timestamp).verify(body, tampered)


@given(SECRETS, SECRETS, SECRETS, st.binary(), MESSAGE_IDS, TIMESTAMPS)
def test_rotation_accepts_either_active_secret_and_refuses_a_third(
    new: WebhookSecret,
    old: WebhookSecret,
    third: WebhookSecret,
    body: bytes,
    message_id: str,
    timestamp: int,
) -> None:
    if len({new, old, third}) < 3:
        return
    during = WebhookSigner(new, previous=old).sign(body, message_id=message_id, timestamp=timestamp)
    after = WebhookSigner(new).sign(body, message_id=message_id, timestamp=timestamp)
    before = WebhookSigner(old).sign(body, message_id=message_id, timestamp=timestamp)
    for headers in (during, after, before):
        assert verifier(new, timestamp, previous=old).verify(body, headers)
    assert verifier(old, timestamp).verify(body, during).matched == "current"
    assert verifier(new, timestamp).verify(body, during).matched == "current"
    assert verifier(new, timestamp, previous=old).verify(body, before).matched == "previous"
    for headers in (during, after, before):
        with pytest.raises(NoMatchingWebhookSignature):
            verifier(third, timestamp).verify(body, headers)
    with pytest.raises(NoMatchingWebhookSignature):
        verifier(old, timestamp).verify(body, after)


@given(
    SECRETS,
    st.binary(max_size=64),
    st.dictionaries(
        st.sampled_from([ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER, "Webhook-Id", "other"]),
        HEADER_TEXT,
    ),
    TIMESTAMPS,
)
def test_hostile_headers_are_refused_with_a_verification_error_only(
    secret: WebhookSecret, body: bytes, headers: dict[str, str], now: int
) -> None:
    """No header text makes the verifier raise anything but its own refusals."""
    with pytest.raises(WebhookVerificationError):
        verifier(secret, now).verify(body, headers)


@given(SECRETS, st.text(), MESSAGE_IDS)
def test_the_reference_library_verifies_our_deliveries(
    secret: WebhookSecret, body: str, message_id: str
) -> None:
    """The reference reads the clock itself: we sign with the current time."""
    headers = WebhookSigner(secret, previous=WebhookSecret(b"x" * 24)).sign(
        body.encode(), message_id=message_id, timestamp=int(time.time())
    )
    Webhook(secret.reveal()).verify(body, headers, json_parse=False)
    with pytest.raises(ReferenceRefusal):
        Webhook(WebhookSecret(b"y" * 24).reveal()).verify(body, headers, json_parse=False)


@given(SECRETS, st.text(), MESSAGE_IDS, DATETIME_TIMESTAMPS)
def test_we_verify_the_reference_librarys_signatures(
    secret: WebhookSecret, body: str, message_id: str, timestamp: int
) -> None:
    signed_at = datetime.fromtimestamp(timestamp, UTC)
    signature = Webhook(secret.reveal()).sign(message_id, signed_at, body)
    headers = {ID_HEADER: message_id, TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature}
    assert verifier(secret, timestamp).verify(body.encode(), headers).matched == "current"
