"""Requeue, cancel and cancel a dead letter (discard): a confirmation page that changes
nothing, then a POST that needs the session's CSRF token from this site; the RPCs decide
what a job's state allows."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.integration.dashboard.support import (
    Dashboard,
    csrf_token,
    dead_job,
    insert_job,
    succeeded_job,
)
from tests.integration.support import connect, job


def confirmation(client: httpx.Client, job_id: uuid.UUID, action: str) -> str:
    page = client.get(f"/jobs/{job_id}/{action}")
    assert page.status_code == 200, page.text
    return page.text


def test_requeue_a_dead_letter_through_its_confirmation(
    dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        dead = dead_job(conn, tenant_id)
    with dashboard.logged_in() as client:
        listing = client.get("/dead-letters").text
        # The list links to the confirmation; it holds no form that requeues at once.
        assert f'href="/ui/jobs/{dead}/requeue"' in listing
        assert f'action="/ui/jobs/{dead}/requeue"' not in listing
        page = confirmation(client, dead, "requeue")
        assert "Requeue this job?" in page
        assert f'action="/ui/jobs/{dead}/requeue"' in page
        assert "card declined" in page
        with connect(database_url) as conn:
            assert job(conn, dead)["state"] == "dead"  # looking changes nothing
        response = client.post(
            f"/jobs/{dead}/requeue",
            data={"csrf_token": csrf_token(page), "extra_attempts": "2"},
        )
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/ui/jobs/{dead}?done=requeued"
        done = client.get(dashboard.at(response.headers["location"]))
        assert "Requeued: the job will run again." in done.text
        assert f"/jobs/{dead}/requeue" not in done.text  # no longer dead: no requeue button
    with connect(database_url) as conn:
        row = job(conn, dead)
    assert (row["state"], row["max_attempts"]) == ("awaiting_retry", 3)


def test_cancel_a_queued_job_through_its_confirmation(
    dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        queued = insert_job(conn, tenant_id)
    with dashboard.logged_in() as client:
        assert f'href="/ui/jobs/{queued}/cancel"' in client.get("/jobs").text
        page = confirmation(client, queued, "cancel")
        assert "Cancel this job?" in page
        with connect(database_url) as conn:
            assert job(conn, queued)["state"] == "queued"
        response = client.post(f"/jobs/{queued}/cancel", data={"csrf_token": csrf_token(page)})
        assert response.status_code == 303
        assert response.headers["location"] == f"/ui/jobs/{queued}?done=canceled"
    with connect(database_url) as conn:
        assert job(conn, queued)["state"] == "canceled"


def test_cancel_a_dead_letter_through_its_confirmation(
    dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        dead = dead_job(conn, tenant_id)
        before = job(conn, dead)
    with dashboard.logged_in() as client:
        listing = client.get("/dead-letters").text
        # Both actions link to their confirmations; neither acts from the list.
        assert f'href="/ui/jobs/{dead}/discard"' in listing
        assert f'href="/ui/jobs/{dead}/requeue"' in listing
        assert f'action="/ui/jobs/{dead}/discard"' not in listing
        job_page = client.get(f"/jobs/{dead}").text
        assert f'href="/ui/jobs/{dead}/discard"' in job_page
        assert f'href="/ui/jobs/{dead}/cancel"' not in job_page
        page = confirmation(client, dead, "discard")
        assert "Cancel this dead letter?" in page
        assert "Yes, cancel it" in page
        assert f'action="/ui/jobs/{dead}/discard"' in page
        assert "card declined" in page
        with connect(database_url) as conn:
            assert job(conn, dead) == before  # looking changes nothing
        response = client.post(f"/jobs/{dead}/discard", data={"csrf_token": csrf_token(page)})
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/ui/jobs/{dead}?done=discarded"
        done = client.get(dashboard.at(response.headers["location"]))
        assert "Canceled: the dead letter is discarded and will not run again." in done.text
        assert f"/jobs/{dead}/discard" not in done.text  # no longer dead: no cancel button
        assert f'href="/ui/jobs/{dead}/requeue"' in done.text  # it can still run again
        assert f"/jobs/{dead}" not in client.get("/dead-letters").text
    with connect(database_url) as conn:
        row = job(conn, dead)
    assert row["state"] == "canceled"
    assert (row["last_error"], row["finished_at"]) == (before["last_error"], before["finished_at"])


def test_a_state_that_forbids_the_action_says_why(
    dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        succeeded = succeeded_job(conn, tenant_id)
        queued = insert_job(conn, tenant_id)
    reasons = {
        "requeue": "only dead or canceled jobs can be retried",
        "cancel": "it has finished, there is nothing to cancel",
        "discard": "only dead jobs can be discarded",
    }
    with dashboard.logged_in() as client:
        for action, reason in reasons.items():
            page = confirmation(client, succeeded, action)
            assert "This job is succeeded" in page
            assert f'action="/ui/jobs/{succeeded}/{action}"' not in page
            # Posting anyway (with a valid token) is refused by the state, saying why.
            response = client.post(
                f"/jobs/{succeeded}/{action}", data={"csrf_token": csrf_token(page)}
            )
            assert response.status_code == 409
            assert reason in response.text
        missing = client.get(f"/jobs/{uuid.uuid4()}/requeue")
        assert missing.status_code == 404
        assert "not found" in missing.text
        # A job that has not finished is canceled, not discarded; its page says so.
        page = confirmation(client, queued, "discard")
        assert "This job is queued: only dead letters are canceled this way" in page
        response = client.post(f"/jobs/{queued}/discard", data={"csrf_token": csrf_token(page)})
        assert response.status_code == 409
        assert "it has not finished" in response.text
        missing_post = client.post(
            f"/jobs/{uuid.uuid4()}/discard", data={"csrf_token": csrf_token(page)}
        )
        assert missing_post.status_code == 404
    with connect(database_url) as conn:
        assert job(conn, succeeded)["state"] == "succeeded"
        assert job(conn, queued)["state"] == "queued"


@pytest.mark.parametrize(
    ("form", "headers"),
    [
        pytest.param({}, {}, id="no token"),
        pytest.param({"csrf_token": ""}, {}, id="empty token"),
        pytest.param({"csrf_token": "A" * 43}, {}, id="made-up token"),
        pytest.param({"csrf_token": "OTHER"}, {}, id="another session's token"),
        pytest.param({"csrf_token": "VALID"}, {"Origin": "https://evil.example"},
                     id="valid token, another site's Origin"),
        pytest.param({"csrf_token": "VALID"}, {"Sec-Fetch-Site": "cross-site"},
                     id="valid token, cross-site fetch"),
        pytest.param({"csrf_token": "VALID"}, {"Origin": "null"}, id="valid token, opaque Origin"),
    ],
)  # fmt: skip
def test_a_post_without_this_session_s_csrf_token_does_nothing(
    dashboard: Dashboard,
    database_url: str,
    tenant_id: uuid.UUID,
    form: dict[str, str],
    headers: dict[str, str],
) -> None:
    with connect(database_url) as conn:
        dead = dead_job(conn, tenant_id)
        queued = insert_job(conn, tenant_id)
    with dashboard.logged_in() as other:
        other_token = csrf_token(other.get("/").text)
    with dashboard.logged_in() as client:
        valid = csrf_token(client.get("/").text)
        data = {
            key: {"OTHER": other_token, "VALID": valid}.get(value, value)
            for key, value in form.items()
        }
        for path in (
            f"/jobs/{dead}/requeue",
            f"/jobs/{queued}/cancel",
            f"/jobs/{dead}/discard",
            "/logout",
        ):
            response = client.post(path, data=data, headers=headers)
            assert response.status_code == 403, (path, response.status_code)
            assert "Form refused" in response.text
        assert client.get("/").status_code == 200  # the refused logout did not log out
        # The control: the same request with this session's token from this site works.
        done = client.post(f"/jobs/{dead}/requeue", data={"csrf_token": valid})
        assert done.status_code == 303
    with connect(database_url) as conn:
        assert job(conn, dead)["state"] == "awaiting_retry"
        assert job(conn, queued)["state"] == "queued"


def test_no_action_by_get(dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        dead = dead_job(conn, tenant_id)
        queued = insert_job(conn, tenant_id)
    with dashboard.logged_in() as client:
        token = csrf_token(client.get("/").text)
        for path in (f"/jobs/{dead}/requeue", f"/jobs/{queued}/cancel", f"/jobs/{dead}/discard"):
            assert client.get(path, params={"csrf_token": token}).status_code == 200
        assert client.get("/logout").status_code == 405
        assert client.get("/").status_code == 200
    with connect(database_url) as conn:
        assert job(conn, dead)["state"] == "dead"
        assert job(conn, queued)["state"] == "queued"


def test_a_bad_number_of_extra_attempts_is_refused(
    dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        dead = dead_job(conn, tenant_id)
    with dashboard.logged_in() as client:
        token = csrf_token(confirmation(client, dead, "requeue"))
        for extra in ("0", "1001", "-1", "two", "\u00b2", "9" * 5000, ""):
            response = client.post(
                f"/jobs/{dead}/requeue", data={"csrf_token": token, "extra_attempts": extra}
            )
            assert response.status_code == 400, (extra[:10], response.status_code)
            assert "extra attempts: expected 1 to 1000" in response.text
    with connect(database_url) as conn:
        assert job(conn, dead)["state"] == "dead"
