"""Listing jobs: filters, newest-first keyset pages, and what a tenant role may see."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobforge.client import JobForgeClient
from jobforge.errors import InvalidArgument
from jobforge.operations import (
    Cursor,
    JobFilter,
    count_jobs,
    dead_letter_ids,
    list_dead_letters,
    list_jobs,
)
from tests.conftest import TenantRole
from tests.integration.operations.support import ago, dead_job, insert_job
from tests.integration.support import connect


def all_pages(conn: Any, job_filter: JobFilter, limit: int) -> list[list[uuid.UUID]]:
    pages: list[list[uuid.UUID]] = []
    after: Cursor | None = None
    while True:
        page = list_jobs(conn, job_filter, limit=limit, after=after)
        pages.append([job.id for job in page.jobs])
        if page.next_cursor is None:
            return pages
        after = page.next_cursor


def test_newest_first_with_filters(database_url: str, tenant_id: uuid.UUID) -> None:
    other_tenant = uuid.uuid4()
    with connect(database_url) as conn:
        old = insert_job(conn, tenant_id, job_type="mail.send", created_at=ago(conn, 7200))
        recent_dead = insert_job(
            conn, tenant_id, job_type="mail.send", state="dead", created_at=ago(conn, 60)
        )
        other_type = insert_job(
            conn, tenant_id, job_type="billing.charge", created_at=ago(conn, 30)
        )
        other = insert_job(conn, other_tenant, job_type="mail.send", created_at=ago(conn, 20))

        def ids(**filters: Any) -> list[uuid.UUID]:
            return [job.id for job in list_jobs(conn, JobFilter(**filters)).jobs]

        assert ids() == [other, other_type, recent_dead, old]
        assert ids(tenant_id=tenant_id) == [other_type, recent_dead, old]
        assert ids(job_type="mail.send") == [other, recent_dead, old]
        assert ids(tenant_id=tenant_id, job_type="mail.send") == [recent_dead, old]
        assert ids(states=("dead",)) == [recent_dead]
        assert ids(states=("dead", "queued"), tenant_id=tenant_id) == [
            other_type, recent_dead, old
        ]  # fmt: skip
        assert ids(older_than=timedelta(minutes=30)) == [old]
        assert ids(newer_than=timedelta(minutes=30), tenant_id=tenant_id) == [
            other_type, recent_dead
        ]  # fmt: skip
        assert ids(older_than=timedelta(seconds=45), newer_than=timedelta(minutes=5)) == [
            recent_dead
        ]
        assert count_jobs(conn, JobFilter(tenant_id=tenant_id)) == 3
        summary = list_jobs(conn, JobFilter(states=("dead",))).jobs[0]
        assert (summary.tenant_id, summary.type, summary.state) == (tenant_id, "mail.send", "dead")


def test_a_page_says_whether_another_follows(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        created = [insert_job(conn, tenant_id, created_at=ago(conn, 10 - i)) for i in range(5)]
        newest_first = created[::-1]
        first = list_jobs(conn, JobFilter(), limit=2)
        assert [job.id for job in first.jobs] == newest_first[:2]
        assert first.next_cursor is not None
        assert Cursor.decode(first.next_cursor.encode()) == first.next_cursor
        assert all_pages(conn, JobFilter(), limit=2) == [
            newest_first[:2], newest_first[2:4], newest_first[4:]
        ]  # fmt: skip
        # A page that ends exactly at the last job has no next cursor.
        exact = list_jobs(conn, JobFilter(), limit=5)
        assert len(exact.jobs) == 5
        assert exact.next_cursor is None
        with pytest.raises(InvalidArgument, match="page size from 1 to 1000"):
            list_jobs(conn, JobFilter(), limit=1001)


# Enqueue times from a handful of values: many jobs share a millisecond, so the random
# bits of their ids decide their order.
CREATED_OFFSETS = st.lists(st.integers(min_value=0, max_value=4), min_size=0, max_size=30)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offsets=CREATED_OFFSETS, limit=st.integers(min_value=1, max_value=7))
def test_pages_concatenate_to_the_whole_ordered_list(
    database_url: str, offsets: list[int], limit: int
) -> None:
    tenant = uuid.uuid4()  # each example lists only its own jobs
    with connect(database_url) as conn:
        base = ago(conn, 3600)
        created = [
            insert_job(conn, tenant, created_at=base + timedelta(milliseconds=offset))
            for offset in offsets
        ]
        pages = all_pages(conn, JobFilter(tenant_id=tenant), limit)
    listed = [job_id for page in pages for job_id in page]
    assert listed == sorted(created, reverse=True)  # PostgreSQL orders uuids as Python does
    assert len(set(listed)) == len(listed)
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages[-1]) <= limit
    assert pages[-1] or not created  # an empty last page only when there are no jobs


def test_dead_letters_are_the_dead_jobs(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        first = dead_job(conn, tenant_id, "ops.charge")
        second = dead_job(conn, tenant_id, "ops.mail")
        insert_job(conn, tenant_id, job_type="ops.mail")  # queued, not dead
        page = list_dead_letters(conn, JobFilter(states=("queued",)))  # state is forced
        assert [job.id for job in page.jobs] == sorted([first, second], reverse=True)
        assert page.jobs[0].last_error == {"kind": "exception", "message": "card declined"}
        assert dead_letter_ids(conn, JobFilter(job_type="ops.charge")) == [first]
        assert dead_letter_ids(conn, JobFilter(tenant_id=uuid.uuid4())) == []


def test_a_producer_role_lists_only_its_tenants_jobs(
    database_url: str, make_role: Callable[[], TenantRole], tenant_id: uuid.UUID
) -> None:
    producer = make_role()
    with JobForgeClient(database_url) as owner:
        owner.grant_tenant(producer.name, tenant_id, kind="producer")
    with connect(database_url) as conn:
        mine = insert_job(conn, tenant_id)
        insert_job(conn, uuid.uuid4())
    with connect(producer.url) as conn:
        assert [job.id for job in list_jobs(conn, JobFilter()).jobs] == [mine]
        assert count_jobs(conn, JobFilter()) == 1
