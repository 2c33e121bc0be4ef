"""Signed webhooks: the Standard Webhooks test vector, every refusal, replay and rotation."""

from __future__ import annotations

import base64
import email.message
import subprocess
import sys
from pathlib import Path

import pytest

from jobforge.connectors.webhooks import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    InMemorySeenMessageIds,
    InvalidWebhookSecret,
    MalformedWebhookHeader,
    MissingWebhookHeader,
    NoMatchingWebhookSignature,
    WebhookReplayed,
    WebhookSecret,
    WebhookSigner,
    WebhookTimestampTooNew,
    WebhookTimestampTooOld,
    WebhookVerificationError,
    WebhookVerifier,
    new_message_id,
)
from jobforge.errors import ConfigurationError, InvalidArgument, JobForgeError

ROOT = Path(__file__).resolve().parents[3]

# The Standard Webhooks reference library's published vector (libraries/python/tests/
# test_webhooks.py::test_sign_function in standard-webhooks/standard-webhooks).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
# The same reference tests' wrong signature: the vector's with one character changed.
REFERENCE_WRONG_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="

OLD = WebhookSecret(b"o" * 32)
NEW = WebhookSecret(b"n" * 32)
THIRD = WebhookSecret(b"t" * 32)


def vector_headers(signature: str = VECTOR_SIGNATURE) -> dict[str, str]:
    return {
        ID_HEADER: VECTOR_ID,
        TIMESTAMP_HEADER: str(VECTOR_TIMESTAMP),
        SIGNATURE_HEADER: signature,
    }


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def vector_verifier(
    now: float = VECTOR_TIMESTAMP, *, seen_ids: InMemorySeenMessageIds | None = None
) -> WebhookVerifier:
    return WebhookVerifier(
        WebhookSecret.parse(VECTOR_SECRET),
        seen_ids=seen_ids if seen_ids is not None else InMemorySeenMessageIds(),
        clock=Clock(now),
    )


def test_signing_reproduces_the_standard_webhooks_test_vector() -> None:
    signer = WebhookSigner(WebhookSecret.parse(VECTOR_SECRET))
    headers = signer.sign(VECTOR_BODY, message_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP)
    assert headers == vector_headers()


def test_the_test_vector_verifies_at_its_timestamp() -> None:
    verified = vector_verifier().verify(VECTOR_BODY, vector_headers())
    assert (verified.message_id, verified.timestamp, verified.body) == (
        VECTOR_ID,
        VECTOR_TIMESTAMP,
        VECTOR_BODY,
    )
    assert verified.matched == "current"


def test_the_reference_tests_wrong_signature_is_refused() -> None:
    with pytest.raises(NoMatchingWebhookSignature, match="none of the 1 v1 signature"):
        vector_verifier().verify(VECTOR_BODY, vector_headers(REFERENCE_WRONG_SIGNATURE))


def test_signatures_of_other_versions_are_skipped() -> None:
    """The reference tests' list: wrong v1 entries and a v2 entry around the right one."""
    wrong = "Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    signatures = f"v1,{wrong} v2,{wrong} {VECTOR_SIGNATURE} v1,{wrong}"
    assert vector_verifier().verify(VECTOR_BODY, vector_headers(signatures)).matched == "current"
    with pytest.raises(NoMatchingWebhookSignature, match="none of the 0 v1"):
        vector_verifier().verify(VECTOR_BODY, vector_headers(f"v2,{wrong} v1a,{wrong}"))


def test_a_signature_spelled_with_other_spare_bits_is_refused() -> None:
    """32 bytes in base64 leave two spare bits in the last character; a verifier comparing
    decoded bytes would accept this altered text. The text itself is compared."""
    altered = VECTOR_SIGNATURE.replace("1OE=", "1OF=")
    assert base64.b64decode(altered[3:]) == base64.b64decode(VECTOR_SIGNATURE[3:])
    with pytest.raises(NoMatchingWebhookSignature):
        vector_verifier().verify(VECTOR_BODY, vector_headers(altered))


@pytest.mark.parametrize("header", [ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER])
@pytest.mark.parametrize("absent", ["deleted", "empty", "blank"])
def test_a_missing_header_is_named(header: str, absent: str) -> None:
    headers = vector_headers()
    if absent == "deleted":
        del headers[header]
    else:
        headers[header] = "" if absent == "empty" else "   "
    with pytest.raises(MissingWebhookHeader, match=f"the {header} header is missing") as caught:
        vector_verifier().verify(VECTOR_BODY, headers)
    assert caught.value.header == header
    assert caught.value.error_kind == "missing_header"


def test_header_names_match_in_any_case() -> None:
    headers = {name.title(): value for name, value in vector_headers().items()}
    assert set(headers) == {"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"}
    vector_verifier().verify(VECTOR_BODY, headers)


def test_a_header_given_twice_is_malformed() -> None:
    headers = {**vector_headers(), "WEBHOOK-ID": "msg_other"}
    with pytest.raises(MalformedWebhookHeader, match="webhook-id header must be given once"):
        vector_verifier().verify(VECTOR_BODY, headers)


def test_a_header_repeated_in_a_servers_headers_object_is_malformed() -> None:
    """http.server hands over an email.message.Message, which keeps repeated headers."""
    headers = email.message.Message()
    for name, value in vector_headers().items():
        headers[name] = value
    headers[SIGNATURE_HEADER] = REFERENCE_WRONG_SIGNATURE
    with pytest.raises(MalformedWebhookHeader, match="webhook-signature header must be given once"):
        vector_verifier().verify(VECTOR_BODY, headers)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        (ID_HEADER, "msg.with.dots"),
        (ID_HEADER, "msg with spaces"),
        (ID_HEADER, "msg_é"),
        (ID_HEADER, "m" * 257),
        (TIMESTAMP_HEADER, "1614265330.0"),
        (TIMESTAMP_HEADER, "-1614265330"),
        (TIMESTAMP_HEADER, "01614265330"),
        (TIMESTAMP_HEADER, "+1614265330"),
        (TIMESTAMP_HEADER, "1.6e9"),
        (TIMESTAMP_HEADER, "hello"),
        (TIMESTAMP_HEADER, "1" * 13),
        (SIGNATURE_HEADER, "v1"),
        (SIGNATURE_HEADER, "v1,"),
        (SIGNATURE_HEADER, ",g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        (SIGNATURE_HEADER, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE"),
        (SIGNATURE_HEADER, "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        (SIGNATURE_HEADER, f"{VECTOR_SIGNATURE} v1,not-base64"),
    ],
)
def test_a_malformed_header_is_named_with_what_was_expected(header: str, value: str) -> None:
    headers = {**vector_headers(), header: value}
    with pytest.raises(MalformedWebhookHeader, match=f"the {header} header must be") as caught:
        vector_verifier().verify(VECTOR_BODY, headers)
    assert (caught.value.header, caught.value.got) == (header, value)
    assert len(str(caught.value)) < 400, "an untrusted header is shown cut short"


@pytest.mark.parametrize(
    ("skew_seconds", "refusal"),
    [
        (-301, WebhookTimestampTooOld),
        (-300, None),
        (0, None),
        (300, None),
        (301, WebhookTimestampTooNew),
    ],
)
def test_the_tolerance_window_is_five_minutes_either_way(
    skew_seconds: int, refusal: type[WebhookVerificationError] | None
) -> None:
    """``skew_seconds``: how far the receiver's clock is behind (-) or ahead (+)."""
    verifier = vector_verifier(VECTOR_TIMESTAMP - skew_seconds)
    if refusal is None:
        verifier.verify(VECTOR_BODY, vector_headers())
        return
    with pytest.raises(refusal, match=r"is 301 s (behind|ahead of) the receiver's clock"):
        verifier.verify(VECTOR_BODY, vector_headers())


def test_the_tolerance_window_can_be_narrowed() -> None:
    verifier = WebhookVerifier(
        WebhookSecret.parse(VECTOR_SECRET),
        seen_ids=InMemorySeenMessageIds(),
        tolerance_seconds=30,
        clock=Clock(VECTOR_TIMESTAMP + 31),
    )
    with pytest.raises(WebhookTimestampTooOld, match="at most 30 s is accepted") as caught:
        verifier.verify(VECTOR_BODY, vector_headers())
    assert (caught.value.timestamp, caught.value.now) == (VECTOR_TIMESTAMP, VECTOR_TIMESTAMP + 31)


@pytest.mark.parametrize("tolerance_seconds", [0, -1, 3601])
def test_a_tolerance_outside_one_second_to_an_hour_is_refused(tolerance_seconds: int) -> None:
    with pytest.raises(ConfigurationError, match="tolerance_seconds must be from 1 to 3600"):
        WebhookVerifier(NEW, seen_ids=InMemorySeenMessageIds(), tolerance_seconds=tolerance_seconds)


def test_a_replay_inside_the_window_is_refused() -> None:
    seen_ids = InMemorySeenMessageIds()
    clock = Clock(VECTOR_TIMESTAMP)
    verifier = WebhookVerifier(WebhookSecret.parse(VECTOR_SECRET), seen_ids=seen_ids, clock=clock)
    verifier.verify(VECTOR_BODY, vector_headers())
    clock.now += 299
    with pytest.raises(WebhookReplayed, match=f"webhook-id '{VECTOR_ID}' was already accepted"):
        verifier.verify(VECTOR_BODY, vector_headers())
    clock.now += 2
    with pytest.raises(WebhookTimestampTooOld):
        verifier.verify(VECTOR_BODY, vector_headers())
    signer = WebhookSigner(WebhookSecret.parse(VECTOR_SECRET), clock=clock)
    verifier.verify(b"{}", signer.sign(b"{}", message_id="msg_next"))
    assert len(seen_ids) == 1, "an id is forgotten once its timestamp has left the window"


def test_a_resigned_copy_of_an_accepted_message_is_a_replay() -> None:
    """Retries keep their id: once a message is accepted, a fresh signature changes nothing."""
    clock = Clock(VECTOR_TIMESTAMP)
    signer = WebhookSigner(NEW, clock=clock)
    verifier = WebhookVerifier(NEW, seen_ids=InMemorySeenMessageIds(), clock=clock)
    verifier.verify(b"{}", signer.sign(b"{}", message_id="msg_1"))
    clock.now += 60
    with pytest.raises(WebhookReplayed):
        verifier.verify(b"{}", signer.sign(b"{}", message_id="msg_1"))
    verifier.verify(b"{}", signer.sign(b"{}", message_id="msg_2"))


def test_a_refused_delivery_does_not_use_up_its_id() -> None:
    """An attacker who learns an id cannot block the genuine message by sending it first."""
    verifier = vector_verifier()
    with pytest.raises(NoMatchingWebhookSignature):
        verifier.verify(b'{"test": 0}', vector_headers())
    verifier.verify(VECTOR_BODY, vector_headers())


def test_the_in_memory_store_remembers_each_id_until_it_expires() -> None:
    store = InMemorySeenMessageIds()
    assert store.remember("a", expires_at=10, now=0)
    assert store.remember("b", expires_at=20, now=0)
    assert not store.remember("a", expires_at=99, now=10)
    assert store.remember("a", expires_at=30, now=11)
    assert not store.remember("b", expires_at=40, now=20)
    assert len(store) == 2


def test_during_a_rotation_both_signatures_are_sent_current_first() -> None:
    headers = WebhookSigner(NEW, previous=OLD).sign(b"{}", message_id="msg_1", timestamp=7)
    alone = [
        WebhookSigner(secret).sign(b"{}", message_id="msg_1", timestamp=7)[SIGNATURE_HEADER]
        for secret in (NEW, OLD)
    ]
    assert headers[SIGNATURE_HEADER] == " ".join(alone)


def rotation_verifier(current: WebhookSecret, previous: WebhookSecret | None) -> WebhookVerifier:
    return WebhookVerifier(
        current, previous=previous, seen_ids=InMemorySeenMessageIds(), clock=Clock(7)
    )


@pytest.mark.parametrize(
    ("signed_with", "verifier_has", "matched"),
    [
        ((NEW, OLD), (OLD, None), "current"),  # receivers not yet told the new secret
        ((NEW, OLD), (NEW, OLD), "current"),
        ((NEW, None), (NEW, OLD), "current"),
        ((OLD, None), (NEW, OLD), "previous"),  # a delivery signed before the rotation
        ((NEW, None), (NEW, None), "current"),
    ],
)
def test_rotation_accepts_either_active_secret(
    signed_with: tuple[WebhookSecret, WebhookSecret | None],
    verifier_has: tuple[WebhookSecret, WebhookSecret | None],
    matched: str,
) -> None:
    current, previous = signed_with
    headers = WebhookSigner(current, previous=previous).sign(b"{}", message_id="m", timestamp=7)
    assert rotation_verifier(*verifier_has).verify(b"{}", headers).matched == matched


@pytest.mark.parametrize(
    ("signed_with", "verifier_has"),
    [
        ((THIRD, None), (NEW, OLD)),
        ((NEW, OLD), (THIRD, None)),
        ((NEW, None), (OLD, None)),  # the old secret dropped by the sender too early
    ],
)
def test_rotation_refuses_a_secret_that_is_not_active(
    signed_with: tuple[WebhookSecret, WebhookSecret | None],
    verifier_has: tuple[WebhookSecret, WebhookSecret | None],
) -> None:
    current, previous = signed_with
    headers = WebhookSigner(current, previous=previous).sign(b"{}", message_id="m", timestamp=7)
    with pytest.raises(NoMatchingWebhookSignature):
        rotation_verifier(*verifier_has).verify(b"{}", headers)


def test_the_previous_secret_must_differ_from_the_current_one() -> None:
    with pytest.raises(ConfigurationError, match="previous webhook secret is the current one"):
        WebhookSigner(NEW, previous=WebhookSecret(b"n" * 32))
    with pytest.raises(ConfigurationError, match="previous webhook secret is the current one"):
        WebhookVerifier(NEW, previous=NEW, seen_ids=InMemorySeenMessageIds())


def test_secrets_that_sign_alike_are_equal() -> None:
    """HMAC pads keys with zero bytes: such a pair cannot serve as current and previous."""
    short, padded = WebhookSecret(b"k" * 24), WebhookSecret(b"k" * 24 + b"\0")
    headers = WebhookSigner(short).sign(b"{}", message_id="m", timestamp=7)
    assert rotation_verifier(padded, None).verify(b"{}", headers)
    assert short == padded
    assert short.fingerprint == padded.fingerprint
    with pytest.raises(ConfigurationError, match="previous webhook secret is the current one"):
        WebhookSigner(short, previous=padded)


def test_a_secret_reads_back_from_its_text_and_never_shows_its_key() -> None:
    secret = WebhookSecret.generate()
    assert len(secret.key) == 32
    assert WebhookSecret.parse(secret.reveal()) == secret
    assert secret != WebhookSecret.generate()
    encoded = secret.reveal().removeprefix("whsec_")
    for text in (repr(secret), str(secret), f"{secret}"):
        assert encoded not in text
        assert text == f"WebhookSecret(fingerprint={secret.fingerprint!r})"


def test_a_secret_may_omit_its_base64_padding() -> None:
    padded = WebhookSecret(b"k" * 25).reveal()
    assert padded.endswith("=")
    assert WebhookSecret.parse(padded.rstrip("=")) == WebhookSecret(b"k" * 25)


@pytest.mark.parametrize(
    "text",
    [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  # no prefix
        "whsec_",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!",
        "whsec_MfKQ9r8G KYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_" + base64.b64encode(b"s" * 23).decode(),  # 23 bytes: too short
        "whsec_" + base64.b64encode(b"s" * 65).decode(),  # 65 bytes: too long
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw===",
    ],
)
def test_a_malformed_secret_is_refused_without_repeating_it(text: str) -> None:
    with pytest.raises(InvalidWebhookSecret) as caught:
        WebhookSecret.parse(text)
    message = str(caught.value)
    assert "'whsec_' followed by the base64 of 24 to 64 bytes" in message or "holds" in message
    shown_part = text.removeprefix("whsec_")[:8]
    assert not shown_part or shown_part not in message


def test_no_refusal_shows_a_secret_or_the_expected_signature() -> None:
    """Showing the expected signature would let anyone obtain a signature for any body."""
    secret = WebhookSecret.parse(VECTOR_SECRET)
    forged_body = b'{"test": 1}'
    expected_for_forgery = WebhookSigner(secret).sign(
        forged_body, message_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP
    )[SIGNATURE_HEADER]
    refusals: list[WebhookVerificationError] = []
    attempts = [
        (forged_body, vector_headers(), VECTOR_TIMESTAMP),
        (VECTOR_BODY, vector_headers(), VECTOR_TIMESTAMP + 999),
        (VECTOR_BODY, vector_headers(), VECTOR_TIMESTAMP - 999),
        (VECTOR_BODY, {**vector_headers(), SIGNATURE_HEADER: "v1,x"}, VECTOR_TIMESTAMP),
        (VECTOR_BODY, {ID_HEADER: VECTOR_ID}, VECTOR_TIMESTAMP),
    ]
    for body, headers, now in attempts:
        with pytest.raises(WebhookVerificationError) as caught:
            vector_verifier(now).verify(body, headers)
        refusals.append(caught.value)
    assert len({type(refusal) for refusal in refusals}) == len(attempts)
    for refusal in refusals:
        text = f"{refusal} {refusal!r} {vars(refusal)}"
        assert VECTOR_SECRET.removeprefix("whsec_") not in text
        assert expected_for_forgery.removeprefix("v1,") not in text


def test_every_refusal_is_a_jobforge_error_with_its_own_kind() -> None:
    refusals = (
        MissingWebhookHeader,
        MalformedWebhookHeader,
        WebhookTimestampTooOld,
        WebhookTimestampTooNew,
        NoMatchingWebhookSignature,
        WebhookReplayed,
    )
    assert all(issubclass(cls, WebhookVerificationError) for cls in refusals)
    assert issubclass(WebhookVerificationError, JobForgeError)
    assert issubclass(InvalidWebhookSecret, ConfigurationError)
    assert len({cls.error_kind for cls in refusals}) == len(refusals)


def test_the_signer_stamps_the_clocks_current_second() -> None:
    signer = WebhookSigner(NEW, clock=Clock(VECTOR_TIMESTAMP + 0.99))
    assert signer.sign(b"", message_id="m")[TIMESTAMP_HEADER] == str(VECTOR_TIMESTAMP)


@pytest.mark.parametrize(
    ("message_id", "timestamp"),
    [("msg.1", 7), ("", 7), ("msg 1", 7), ("msg_1", -1), ("msg_1", 10**12)],
)
def test_the_signer_refuses_what_no_verifier_would_accept(message_id: str, timestamp: int) -> None:
    with pytest.raises(InvalidArgument):
        WebhookSigner(NEW).sign(b"{}", message_id=message_id, timestamp=timestamp)


def test_new_message_ids_are_fresh_and_signable() -> None:
    ids = {new_message_id() for _ in range(100)}
    assert len(ids) == 100
    for message_id in ids:
        assert message_id.startswith("msg_")
        WebhookSigner(NEW).sign(b"{}", message_id=message_id, timestamp=7)


def test_the_example_signs_sends_and_verifies_over_local_http() -> None:
    example = ROOT / "examples" / "webhooks" / "signed_delivery.py"
    completed = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [
        "delivery accepted: 204",
        "same delivery again refused: 409 replayed",
        "tampered body refused: 401 no_matching_signature",
        "delivery signed with a stranger's secret refused: 401 no_matching_signature",
        "delivery during rotation accepted: 204",
    ]
