"""The pages: queues by tenant and type, the job list with filters and keyset pages both
ways, dead letters, and one job's attempts, trace, artifact, follow-ups and replay command."""

from __future__ import annotations

import uuid

import httpx

from tests.integration.dashboard.support import (
    Dashboard,
    claim_one,
    complete_with_follow_ups,
    dead_job,
    insert_job,
    link,
    listed_ids,
    table,
)
from tests.integration.support import connect, enqueue, fail


def walk(client: httpx.Client, dashboard: Dashboard, first: str, direction: str) -> list[list[str]]:
    """The ids of each page from ``first`` on, following the ``direction`` link to the end."""
    pages: list[list[str]] = []
    url: str | None = first
    while url is not None:
        response = client.get(dashboard.at(url) if url.startswith("/ui") else url)
        assert response.status_code == 200, response.text
        pages.append(listed_ids(response.text))
        url = link(response.text, direction)
        assert len(pages) < 20, "the pages never end"
    return pages


def test_keyset_pages_cover_the_listing_both_ways(
    dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        # Two jobs a minute over 40 minutes, and jobs of other tenants in between.
        ours = [insert_job(conn, tenant_id, seconds_ago=60 * (index // 2)) for index in range(80)]
        others = [insert_job(conn, uuid.uuid4()) for _ in range(5)]
        expected = [
            str(row["id"])
            for row in conn.execute(
                "SELECT id FROM jobforge.jobforge_jobs WHERE tenant_id = %s ORDER BY id DESC",
                (tenant_id,),
            ).fetchall()
        ]
    assert len(expected) == len(ours) == 80
    with dashboard.logged_in() as client:
        forwards = walk(client, dashboard, f"/jobs?tenant={tenant_id}&limit=25", "older")
        assert [len(page) for page in forwards] == [25, 25, 25, 5]
        assert [job_id for page in forwards for job_id in page] == expected
        last = client.get(f"/jobs?tenant={tenant_id}&limit=25").text
        # From the last page back to the first, by the "newer" links.
        tail_url = link(last, "older")
        assert tail_url is not None
        for _ in range(2):
            tail_url = link(client.get(dashboard.at(tail_url)).text, "older")
            assert tail_url is not None
        backwards = walk(client, dashboard, dashboard.at(tail_url), "newer")
        assert backwards == forwards[::-1]
        assert link(client.get(f"/jobs?tenant={tenant_id}&limit=25").text, "newer") is None
        everyone = listed_ids(client.get("/jobs", params={"limit": "200"}).text)
    assert {str(job_id) for job_id in others} <= set(everyone)
    assert len(everyone) == 85


def test_filters_narrow_the_listing(
    dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        old = insert_job(conn, tenant_id, job_type="mail.send", seconds_ago=7200)
        new = insert_job(conn, tenant_id, job_type="mail.send")
        other_type = insert_job(conn, tenant_id, job_type="sms.send")
        dead = dead_job(conn, tenant_id, "mail.send")
        elsewhere = insert_job(conn, uuid.uuid4(), job_type="mail.send")

    def ids(**params: str) -> set[str]:
        response = client.get("/jobs", params=params)
        assert response.status_code == 200, response.text
        return set(listed_ids(response.text))

    with dashboard.logged_in() as client:
        tenant = str(tenant_id)
        assert ids(tenant=tenant) == {str(old), str(new), str(other_type), str(dead)}
        assert ids(tenant=tenant, type="mail.send") == {str(old), str(new), str(dead)}
        assert ids(type="mail.send") == {str(old), str(new), str(dead), str(elsewhere)}
        assert ids(tenant=tenant, state="dead") == {str(dead)}
        assert ids(tenant=tenant, older_than="1h") == {str(old)}
        assert ids(tenant=tenant, newer_than="10m", type="mail.send") == {str(new), str(dead)}
        dead_letters = client.get("/dead-letters", params={"tenant": tenant}).text
        assert listed_ids(dead_letters) == [str(dead)]
        page = client.get("/jobs", params={"tenant": tenant, "type": "mail.send"}).text
        assert f'value="{tenant}"' in page  # the filter is shown as typed
        for params, message in (
            ({"tenant": "nope"}, "expected a tenant id (a UUID)"),
            ({"state": "lost"}, "expected one of queued"),
            ({"older_than": "ages"}, "expected a duration"),
            ({"limit": "7"}, "expected one of 25, 50, 100, 200"),
            ({"after": "c1.garbage"}, "not a cursor printed by a job listing"),
        ):
            refused = client.get("/jobs", params=params)
            assert refused.status_code == 400, params
            assert message in refused.text
            assert listed_ids(refused.text) == []


def test_queues_by_tenant_and_type(
    dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    other_tenant = uuid.uuid4()
    with connect(database_url) as conn:
        for _ in range(3):
            insert_job(conn, tenant_id, job_type="mail.send", run_seconds_ago=90)
        insert_job(conn, tenant_id, job_type="mail.send", run_seconds_ago=-3600)
        for _ in range(2):
            dead_job(conn, other_tenant, "sms.send")
    with dashboard.logged_in() as client:
        page = client.get("/").text
    header, *rows = table(page, "queues")
    lines = {(row[0], row[1]): dict(zip(header, row, strict=True)) for row in rows}
    mail = lines[(str(tenant_id), "mail.send")]
    assert (mail["Ready"], mail["Scheduled"], mail["Running"], mail["Dead"]) == ("3", "1", "0", "0")
    assert mail["Oldest"].startswith("1m")
    sms = lines[(str(other_tenant), "sms.send")]
    assert (sms["Ready"], sms["Dead/min"], sms["Dead"]) == ("0", "2", "2")
    assert f'href="/ui/dead-letters?tenant={other_tenant}&amp;type=sms.send"' in page


def test_a_job_page_tells_the_whole_story(
    dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    hostile = {"note": "<script>alert('owned')</script>", "<b>key</b>": "x"}
    with connect(database_url) as conn:
        root = enqueue(conn, tenant_id, "flow.start", max_attempts=3, payload=hostile)
        fail(conn, "ops-worker", root, claim_one(conn, root), retry_in_seconds=0)
        child_a, child_b = complete_with_follow_ups(
            conn, root, [{"type": "flow.a"}, {"type": "flow.b"}]
        )
        (grandchild,) = complete_with_follow_ups(conn, child_a, [{"type": "flow.c"}])
    with dashboard.logged_in() as client:
        page = client.get(f"/jobs/{root}").text
        child_page = client.get(f"/jobs/{child_a}").text
        fresh = client.get(f"/jobs/{grandchild}").text
        missing = client.get(f"/jobs/{uuid.uuid4()}")
    assert f"jobforge replay --job {root} --attempt 2" in page
    assert "ab" * 32 in page  # the artifact's hash
    assert "&#34;done&#34;" in page  # the artifact itself, as text
    assert "chose_channel" in page  # the decision trace
    header, *attempts = table(page, "attempts")
    assert [(row[0], row[1]) for row in attempts] == [("1", "failed"), ("2", "succeeded")]
    assert "boom" in attempts[0][header.index("Error")]
    tree = page[page.index('id="follow-ups"') :]
    for caused in (child_a, child_b, grandchild):
        assert f'href="/ui/jobs/{caused}"' in tree
    assert tree.index(str(child_a)) < tree.index(str(grandchild)) < tree.index(str(child_b))
    # The payload is text: no markup of it reaches the page as markup.
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "<b>key</b>" not in page
    assert f'href="/ui/jobs/{root}"' in child_page  # "caused by"
    assert "No attempt has finished yet: there is nothing to replay." in fresh
    assert 'id="cancel"' in fresh  # a queued job can be canceled
    assert missing.status_code == 404
    assert "not found" in missing.text
