"""The dashboard in a real browser: log in, the queues, a filtered job list, a job page
with its replay command copied, a dead letter requeued and another canceled through their
confirmations, and a hostile payload shown as text. Each page is saved as a screenshot."""

from __future__ import annotations

import uuid

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.conftest import screenshot
from tests.integration.dashboard.support import (
    TOKEN,
    Dashboard,
    complete_with_follow_ups,
    dead_job,
    insert_job,
)
from tests.integration.support import connect, enqueue, job

WAIT_SECONDS = 20


def wait(driver: webdriver.Chrome) -> WebDriverWait[webdriver.Chrome]:
    return WebDriverWait(driver, WAIT_SECONDS)


def log_in(driver: webdriver.Chrome, dashboard: Dashboard) -> None:
    driver.get(f"{dashboard.url}/")
    wait(driver).until(expected_conditions.url_to_be(f"{dashboard.url}/login"))
    driver.find_element(By.ID, "token").send_keys(TOKEN)
    driver.find_element(By.ID, "login").click()
    wait(driver).until(expected_conditions.presence_of_element_located((By.ID, "logout")))


def rows(driver: webdriver.Chrome) -> list[str]:
    """The job ids of the listing on the page."""
    elements = driver.find_elements(By.CSS_SELECTOR, "#jobs tbody tr")
    return [str(element.get_attribute("data-job-id")) for element in elements]


def test_log_in_and_see_the_queues(
    browser: webdriver.Chrome, dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        for _ in range(3):
            insert_job(conn, tenant_id, job_type="mail.send", run_seconds_ago=30)
        dead_job(conn, tenant_id, "mail.bounce")
    browser.get(f"{dashboard.url}/jobs")
    wait(browser).until(expected_conditions.url_to_be(f"{dashboard.url}/login"))
    browser.find_element(By.ID, "token").send_keys("not the token")
    browser.find_element(By.ID, "login").click()
    alert = wait(browser).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "p.error"))
    )
    assert "not the operator token" in alert.text
    screenshot(browser, "login")
    log_in(browser, dashboard)
    assert browser.current_url == f"{dashboard.url}/"
    cells = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#queues tbody td")]
    assert str(tenant_id) in cells
    assert "mail.send" in cells
    screenshot(browser, "queues")
    # The session cookie is out of scripts' reach.
    assert browser.execute_script("return document.cookie") == ""


def test_filter_the_job_list(
    browser: webdriver.Chrome, dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        mail = [insert_job(conn, tenant_id, job_type="mail.send") for _ in range(3)]
        sms = [insert_job(conn, tenant_id, job_type="sms.send") for _ in range(2)]
    log_in(browser, dashboard)
    browser.find_element(By.LINK_TEXT, "Jobs").click()
    wait(browser).until(expected_conditions.presence_of_element_located((By.ID, "filters")))
    assert set(rows(browser)) == {str(job_id) for job_id in mail + sms}
    browser.find_element(By.ID, "type").send_keys("sms.send")
    browser.find_element(By.ID, "apply-filters").click()
    wait(browser).until(expected_conditions.url_contains("type=sms.send"))
    assert set(rows(browser)) == {str(job_id) for job_id in sms}
    assert browser.find_element(By.ID, "type").get_attribute("value") == "sms.send"
    screenshot(browser, "jobs")


def test_open_a_job_and_copy_its_replay_command(
    browser: webdriver.Chrome, dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        root = enqueue(conn, tenant_id, "flow.start", payload={"order": 42})
        (child,) = complete_with_follow_ups(conn, root, [{"type": "flow.next"}])
    log_in(browser, dashboard)
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {
            "origin": dashboard.url.removesuffix("/ui"),
            "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
        },
    )
    browser.get(f"{dashboard.url}/jobs?type=flow.start")
    browser.find_element(By.CSS_SELECTOR, f'tr[data-job-id="{root}"] a').click()
    wait(browser).until(expected_conditions.url_to_be(f"{dashboard.url}/jobs/{root}"))
    expected = f"jobforge replay --job {root} --attempt 1"
    assert browser.find_element(By.ID, "replay-command").text == expected
    assert browser.find_element(By.ID, "artifact-sha256").text == "ab" * 32
    assert browser.find_element(By.ID, "follow-ups").find_element(By.LINK_TEXT, str(child)[:8])
    button = browser.find_element(By.ID, "copy-replay")
    assert button.is_displayed()  # the script revealed it: it is hidden without JavaScript
    button.click()
    wait(browser).until(lambda driver: button.get_attribute("data-copied") == "true")
    assert button.text == "Copied"
    copied = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.clipboard.readText().then(done, (error) => done('refused: ' + error));"
    )
    assert copied == expected
    screenshot(browser, "job")


def test_requeue_a_dead_letter_through_its_confirmation(
    browser: webdriver.Chrome, dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        dead = dead_job(conn, tenant_id, "billing.charge", message="card declined")
    log_in(browser, dashboard)
    browser.find_element(By.LINK_TEXT, "Dead letters").click()
    wait(browser).until(expected_conditions.presence_of_element_located((By.ID, "jobs")))
    assert rows(browser) == [str(dead)]
    assert "card declined" in browser.find_element(By.ID, "jobs").text
    screenshot(browser, "dead-letters")
    browser.find_element(By.CSS_SELECTOR, f'tr[data-job-id="{dead}"] a.requeue').click()
    wait(browser).until(expected_conditions.url_to_be(f"{dashboard.url}/jobs/{dead}/requeue"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Requeue this job?"
    screenshot(browser, "confirm-requeue")
    with connect(database_url) as conn:
        assert job(conn, dead)["state"] == "dead"  # the confirmation page changed nothing
    browser.find_element(By.ID, "confirm").click()
    notice = wait(browser).until(expected_conditions.presence_of_element_located((By.ID, "notice")))
    assert notice.text == "Requeued: the job will run again."
    assert browser.find_element(By.ID, "job-state").text == "awaiting_retry"
    screenshot(browser, "job-requeued")
    with connect(database_url) as conn:
        assert job(conn, dead)["state"] == "awaiting_retry"


def test_cancel_a_dead_letter_through_its_confirmation(
    browser: webdriver.Chrome, dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        dead = dead_job(conn, tenant_id, "billing.refund", message="account closed")
        kept = dead_job(conn, tenant_id, "billing.charge", message="card declined")
    log_in(browser, dashboard)
    browser.find_element(By.LINK_TEXT, "Dead letters").click()
    wait(browser).until(expected_conditions.presence_of_element_located((By.ID, "jobs")))
    assert set(rows(browser)) == {str(dead), str(kept)}
    browser.find_element(By.CSS_SELECTOR, f'tr[data-job-id="{dead}"] a.discard').click()
    wait(browser).until(expected_conditions.url_to_be(f"{dashboard.url}/jobs/{dead}/discard"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Cancel this dead letter?"
    assert browser.find_element(By.ID, "confirm").text == "Yes, cancel it"
    screenshot(browser, "confirm-discard")
    with connect(database_url) as conn:
        assert job(conn, dead)["state"] == "dead"  # the confirmation page changed nothing
    browser.find_element(By.ID, "confirm").click()
    notice = wait(browser).until(expected_conditions.presence_of_element_located((By.ID, "notice")))
    assert notice.text == "Canceled: the dead letter is discarded and will not run again."
    assert browser.find_element(By.ID, "job-state").text == "canceled"
    assert "account closed" in browser.find_element(By.ID, "last-error").text
    assert browser.find_elements(By.ID, "discard") == []
    screenshot(browser, "job-discarded")
    browser.find_element(By.LINK_TEXT, "Dead letters").click()
    wait(browser).until(expected_conditions.presence_of_element_located((By.ID, "jobs")))
    assert rows(browser) == [str(kept)]
    with connect(database_url) as conn:
        assert job(conn, dead)["state"] == "canceled"
        assert job(conn, kept)["state"] == "dead"


def test_a_hostile_payload_is_shown_as_text(
    browser: webdriver.Chrome, dashboard: Dashboard, database_url: str, tenant_id: uuid.UUID
) -> None:
    hostile = "<script>window.owned = true; alert('owned')</script>"
    image = '<img src=x onerror="window.owned = true">'
    with connect(database_url) as conn:
        job_id = enqueue(conn, tenant_id, "evil.job", payload={"note": hostile, "html": image})
    log_in(browser, dashboard)
    browser.get(f"{dashboard.url}/jobs/{job_id}")
    payload = wait(browser).until(
        expected_conditions.presence_of_element_located((By.ID, "payload"))
    )
    assert hostile in payload.text
    assert image.replace('"', '\\"') in payload.text
    assert payload.find_elements(By.CSS_SELECTOR, "script, img") == []
    assert browser.execute_script("return window.owned === undefined")
    try:
        text = browser.switch_to.alert.text
    except NoAlertPresentException:
        text = None
    assert text is None, f"the payload ran: an alert said {text!r}"
    screenshot(browser, "job-hostile-payload")
