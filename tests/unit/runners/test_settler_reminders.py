"""Terms, times and the reminders an activation plans: pure functions, no job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.runners.settler.reminders import SCHEDULED, SKIPPED, plan_reminders, reminder_key
from jobforge.runners.settler.terms import (
    DEFAULT_RENEWAL_NOTICE_DAYS,
    TermsProblem,
    format_time,
    parse_terms,
    parse_time,
)

NOW = datetime(2025, 4, 1, 9, 30, tzinfo=UTC)


def terms(start: str, end: str | None, notice: int | None = None) -> object:
    document: dict[str, object] = {"start": start, "end": end}
    if notice is not None:
        document["renewal_notice_days"] = notice
    return parse_terms(document, "terms")


def test_times_are_written_in_utc_with_a_z() -> None:
    moment = parse_time("2026-04-01T00:00:00+02:00", "t")
    assert format_time(moment) == "2026-03-31T22:00:00Z"
    assert format_time(parse_time("2026-03-31T22:00:00.250Z", "t")) == "2026-03-31T22:00:00.250000Z"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-02-30T00:00:00Z", "t: '2025-02-30T00:00:00Z' is not a valid RFC 3339 time"),
        ("2025-02-01T00:00:00", "t: '2025-02-01T00:00:00' has no time zone"),
        ("1899-12-31T23:59:59Z", "is not between the years 1900 and 8999"),
        ("9000-01-01T00:00:00Z", "is not between the years 1900 and 8999"),
        ("9999-12-31T23:59:59-23:59", "is not between the years 1900 and 8999"),
        (20250201, "t: expected an RFC 3339 time, got 20250201"),
    ],
)
def test_unusable_times_are_refused_naming_the_field(value: object, message: str) -> None:
    with pytest.raises(TermsProblem, match=r"^t: ") as caught:
        parse_time(value, "t")
    assert message in str(caught.value)


def test_terms_are_normalized_and_keep_their_other_fields() -> None:
    parsed = parse_terms(
        {"start": "2025-04-01T00:00:00+02:00", "end": None, "value": {"amount": 1200}}, "terms"
    )
    assert parsed.document == {
        "start": "2025-03-31T22:00:00Z",
        "end": None,
        "renewal_notice_days": DEFAULT_RENEWAL_NOTICE_DAYS,
        "value": {"amount": 1200},
    }
    assert parsed.renewal_due is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"start": "2025-04-01T00:00:00Z"}, "terms.end: missing (end may be null: open-ended)"),
        (
            {"start": "2025-04-01T00:00:00Z", "end": "2025-03-01T00:00:00Z"},
            "terms.end: 2025-03-01T00:00:00Z is not after start 2025-04-01T00:00:00Z",
        ),
        (
            {"start": "2025-04-01T00:00:00Z", "end": None, "renewal_notice_days": True},
            "terms.renewal_notice_days: expected an integer from 0 to 3650, got True",
        ),
        (
            {"start": "2025-04-01T00:00:00Z", "end": None, "renewal_notice_days": 3651},
            "terms.renewal_notice_days: expected an integer from 0 to 3650, got 3651",
        ),
        (["start"], "terms: expected an object, got ['start']"),
    ],
)
def test_unusable_terms_are_refused_naming_the_field(document: object, message: str) -> None:
    with pytest.raises(TermsProblem) as caught:
        parse_terms(document, "terms")
    assert str(caught.value) == message


def test_an_activation_plans_the_renewal_then_the_expiry() -> None:
    renewal, expiry = plan_reminders(
        "msa-1", terms("2025-04-01T00:00:00Z", "2026-04-01T00:00:00Z", 60), NOW
    )
    assert renewal.to_json() == {
        "kind": "renewal",
        "due": "2026-01-31T00:00:00Z",
        "action": SCHEDULED,
        "run_at": "2026-01-31T00:00:00Z",
        "idempotency_key": "settler:msa-1:renewal:2026-01-31T00:00:00Z",
        "reason": "60 day(s) before the end at 2026-04-01T00:00:00Z",
    }
    assert renewal.payload() == {
        "contract_id": "msa-1",
        "kind": "renewal",
        "due": "2026-01-31T00:00:00Z",
    }
    assert expiry.to_json()["idempotency_key"] == "settler:msa-1:expiry:2026-04-01T00:00:00Z"
    assert expiry.run_at == datetime(2026, 4, 1, tzinfo=UTC)


def test_open_ended_terms_plan_nothing() -> None:
    plans = plan_reminders("msa-1", terms("2025-04-01T00:00:00Z", None), NOW)
    assert [(plan.action, plan.reason) for plan in plans] == [
        (SKIPPED, "open-ended terms: no end to renew"),
        (SKIPPED, "open-ended terms: never expires"),
    ]


def test_an_end_already_passed_expires_at_once_and_skips_the_renewal() -> None:
    renewal, expiry = plan_reminders(
        "msa-1", terms("2025-01-01T00:00:00Z", "2025-03-01T00:00:00Z", 10), NOW
    )
    assert (renewal.action, renewal.idempotency_key) == (SKIPPED, None)
    assert (expiry.action, expiry.run_at, expiry.due) == (
        SCHEDULED,
        NOW,
        datetime(2025, 3, 1, tzinfo=UTC),
    )
    assert expiry.reason == "the term ended at 2025-03-01T00:00:00Z, before now: expires at once"


def test_a_renewal_due_exactly_now_is_scheduled_now() -> None:
    due_now = terms("2025-01-01T00:00:00Z", format_time(NOW + timedelta(days=30)), 30)
    renewal, _ = plan_reminders("msa-1", due_now, NOW)
    assert (renewal.action, renewal.run_at) == (SCHEDULED, NOW)


def test_the_key_names_one_instant_whatever_its_spelling() -> None:
    cet = timezone(timedelta(hours=1))
    assert reminder_key("c", "expiry", datetime(2026, 1, 1, 1, tzinfo=cet)) == reminder_key(
        "c", "expiry", datetime(2026, 1, 1, tzinfo=UTC)
    )


moments = st.datetimes(
    min_value=datetime(1950, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(
    start=moments,
    length=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=20000)),
    open_ended=st.booleans(),
    notice=st.integers(min_value=0, max_value=3650),
    now=moments,
)
def test_plans_are_deterministic_never_in_the_past_and_skip_only_for_a_reason(
    start: datetime, length: timedelta, open_ended: bool, notice: int, now: datetime
) -> None:
    end = None if open_ended else start + length
    parsed = parse_terms(
        {
            "start": format_time(start),
            "end": None if end is None else format_time(end),
            "renewal_notice_days": notice,
        },
        "terms",
    )
    renewal, expiry = plan_reminders("c-1", parsed, now)
    # Planned twice, the same jobs: what makes a retried activation enqueue them once.
    assert (renewal, expiry) == plan_reminders("c-1", parsed, now)
    for plan in (renewal, expiry):
        assert plan.run_at is None or plan.run_at >= now
        assert (plan.idempotency_key is None) == (plan.run_at is None)
        if plan.idempotency_key is not None:
            assert plan.idempotency_key == f"settler:c-1:{plan.kind}:{plan.payload()['due']}"
    if end is None:
        assert renewal.run_at is None
        assert expiry.run_at is None
        return
    assert expiry.due == end
    assert expiry.run_at == max(end, now)
    renewal_due = end - timedelta(days=notice)
    scheduled = notice > 0 and renewal_due >= now
    assert (renewal.run_at is not None) == scheduled
    if scheduled:
        assert renewal.run_at == renewal_due
        assert renewal.run_at <= expiry.run_at
