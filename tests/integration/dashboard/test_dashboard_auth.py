"""Operators only: every page needs a session from the operator token; the session cookie
is signed, HttpOnly, SameSite=Strict and expires; logout ends it; headers lock pages down."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest

from jobforge.dashboard.sessions import COOKIE_NAME, Sessions
from tests.integration.dashboard.support import SECRET, TOKEN, Dashboard, csrf_token, dead_job
from tests.integration.support import connect, job

PAGES = ("/", "/jobs", "/dead-letters", "/jobs?state=dead")


def assert_to_login(response: httpx.Response) -> None:
    assert response.status_code == 303, (response.status_code, response.text[:200])
    assert response.headers["location"] == "/ui/login"


def test_every_page_needs_a_session(dashboard: Dashboard, database_url: str) -> None:
    with connect(database_url) as conn:
        dead = dead_job(conn, uuid.uuid4())
    with dashboard.client() as client:
        for path in (*PAGES, f"/jobs/{dead}", f"/jobs/{dead}/requeue", f"/jobs/{dead}/cancel"):
            assert_to_login(client.get(path))
        # A state change without a session does nothing, whatever the form holds.
        assert_to_login(client.post(f"/jobs/{dead}/requeue", data={"csrf_token": "x"}))
        assert_to_login(client.post("/logout", data={"csrf_token": "x"}))
        login = client.get("/login")
    assert login.status_code == 200
    assert 'name="token"' in login.text
    with connect(database_url) as conn:
        assert job(conn, dead)["state"] == "dead"


def test_a_wrong_token_gets_no_session(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        for wrong in ("", TOKEN[:-1], TOKEN + "x", TOKEN.upper(), "x" * 5000):
            response = client.post("/login", data={"token": wrong})
            assert response.status_code == 401
            assert "set-cookie" not in response.headers
            assert "not the operator token" in response.text
        assert_to_login(client.get("/"))


def test_login_sets_a_strict_http_only_cookie_and_logout_ends_it(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        response = client.post("/login", data={"token": TOKEN})
        assert response.status_code == 303
        assert response.headers["location"] == "/ui/"
        cookie = response.headers["set-cookie"]
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"httponly", "max-age", "path"} <= attributes
        assert "samesite=strict" in cookie.lower()
        assert "path=/ui" in cookie.lower()
        assert "max-age=28800" in cookie.lower()
        assert "secure" not in attributes  # plain HTTP: a Secure cookie would never return
        session_cookie = client.cookies[COOKIE_NAME]

        page = client.get("/")
        assert page.status_code == 200
        assert client.get("/login").headers["location"] == "/ui/"  # signed in already
        logout = client.post("/logout", data={"csrf_token": csrf_token(page.text)})
        assert_to_login(logout)
        assert "max-age=0" in logout.headers["set-cookie"].lower()
        assert_to_login(client.get("/"))
    # The cookie from before the logout is refused too, not just forgotten by the browser.
    with dashboard.client(cookies={COOKIE_NAME: session_cookie}) as stolen:
        assert_to_login(stolen.get("/"))


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda good: good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
                     id="signature altered"),
        pytest.param(lambda good: good.replace("v1.", "v2.", 1), id="version altered"),
        pytest.param(lambda good: "v1.e30." + good.rsplit(".", 1)[1], id="payload swapped"),
        pytest.param(lambda _good: Sessions(token=TOKEN, secret=b"t" * 32, session_seconds=60)
                     .issue(time.time())[1], id="another secret"),
        pytest.param(lambda _good: Sessions(token="other" * 8, secret=SECRET, session_seconds=60)
                     .issue(time.time())[1], id="another token"),
        pytest.param(lambda _good: Sessions(token=TOKEN, secret=SECRET, session_seconds=60)
                     .issue(time.time() - 61)[1], id="expired"),
        pytest.param(lambda _good: "", id="empty"),
    ],
)  # fmt: skip
def test_a_forged_or_stale_cookie_is_refused(dashboard: Dashboard, forge: object) -> None:
    with dashboard.logged_in() as client:
        good = client.cookies[COOKIE_NAME]
    assert callable(forge)
    with dashboard.client(cookies={COOKIE_NAME: good}) as control:
        assert control.get("/").status_code == 200  # the test can fail: the good one works
    with dashboard.client(cookies={COOKIE_NAME: forge(good)}) as client:
        assert_to_login(client.get("/"))


def test_security_headers_on_every_response(dashboard: Dashboard) -> None:
    with dashboard.logged_in() as client:
        paths = (*PAGES, "/login", "/static/dashboard.js", "/static/dashboard.css", "/nowhere")
        responses = [client.get(path) for path in paths]
    for response in responses:
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "default-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"
    for page in responses[: len(PAGES)]:
        assert page.status_code == 200
        # No inline script and no inline style: every script comes from a file of this site.
        scripts = re.findall(r"<script[^>]*>", page.text)
        assert scripts == ['<script src="/ui/static/dashboard.js" defer>']
        assert "<style" not in page.text
        assert " style=" not in page.text
        assert " on" + "click=" not in page.text
