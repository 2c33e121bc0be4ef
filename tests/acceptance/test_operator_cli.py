"""`jobforge jobs|dead-letter|impact|top` as an operator types them: a fresh process each.

Jobs are put in place through the router's RPCs (as a worker would move them); the
commands run against the test's database, as its owner unless a test says otherwise.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from jobforge.client import JobForgeClient
from tests.conftest import TenantRole
from tests.integration.operations.support import ago, dead_job, insert_job, succeeded_job
from tests.integration.operations.test_impact import complete_with_follow_ups
from tests.integration.support import connect, enqueue, job

JOBFORGE = str(Path(sys.executable).parent / "jobforge")
DEADLINE_SECONDS = 120
MORE_LINE = re.compile(r"^more: --after (\S+)$", re.MULTILINE)


def environment(database_url: str | None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("JOBFORGE_DATABASE_URL", "DATABASE_URL")
    }
    if database_url is not None:
        env["JOBFORGE_DATABASE_URL"] = database_url
    return env


def jobforge(
    *arguments: str, database_url: str | None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run `jobforge ...` with JOBFORGE_DATABASE_URL set to ``database_url``."""
    completed = subprocess.run(
        [JOBFORGE, *arguments], input=stdin, capture_output=True, text=True,
        timeout=DEADLINE_SECONDS, check=False, env=environment(database_url),
    )  # fmt: skip
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def ids_in(text: str) -> list[str]:
    return re.findall(r"^([0-9a-f-]{36})  ", text, re.MULTILINE)


def test_list_pages_through_every_job(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        created = [
            str(insert_job(conn, tenant_id, job_type="mail.send", created_at=ago(conn, 10 - i)))
            for i in range(5)
        ]
        other = str(insert_job(conn, uuid.uuid4(), job_type="bill.run", created_at=ago(conn, 1)))
    listed: list[str] = []
    after: list[str] = []
    for _ in range(3):
        page = jobforge("jobs", "list", "--type", "mail.send", "--limit", "2", *after,
                        database_url=database_url)  # fmt: skip
        assert page.returncode == 0, page.stderr
        assert page.stdout.startswith("ID  ")
        listed += ids_in(page.stdout)
        more = MORE_LINE.search(page.stdout)
        if more is None:
            break
        after = ["--after", more.group(1)]
    assert listed == created[::-1]
    everything = jobforge("jobs", "list", "--format", "json", "--database-url", database_url,
                          database_url=None)  # fmt: skip
    assert everything.returncode == 0, everything.stderr
    document = json.loads(everything.stdout)
    assert document["next_cursor"] is None
    assert [j["id"] for j in document["jobs"]] == [other, *created[::-1]]
    assert document["jobs"][0]["type"] == "bill.run"
    empty = jobforge("jobs", "list", "--state", "running", database_url=database_url)
    assert (empty.returncode, empty.stdout) == (0, "no jobs match\n")


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["jobs", "list", "--older-than", "ten minutes"], "--older-than: expected a duration"),
        (["jobs", "list", "--newer-than", "5x"], "argument --newer-than: expected a duration"),
        (["jobs", "list", "--state", "finished"], "argument --state: expected one of queued"),
        (["jobs", "list", "--tenant", "acme"], "argument --tenant: expected a tenant id"),
        (["jobs", "list", "--type", "Mail Send"], "argument --type: job type: expected a dotted"),
        (["jobs", "list", "--limit", "0"], "argument --limit: expected a number from 1"),
        (["jobs", "list", "--limit", "5000"], "--limit: expected a page size from 1 to 1000"),
        (["jobs", "list", "--after", "c1.garbage"], "argument --after: not a cursor printed by"),
        (["jobs", "show", "42"], "argument JOB_ID: expected a job id"),
        (["dead-letter", "list", "--format", "yaml"], "argument --format: invalid choice"),
        (["dead-letter", "requeue"], "name the jobs to requeue"),
        (["dead-letter", "requeue", str(uuid.UUID(int=1)), "--all"], "name the jobs to requeue"),
        (["dead-letter", "requeue", str(uuid.UUID(int=1)), "--type", "a.b"], "apply with --all"),
        (["dead-letter", "discard"], "name the jobs to discard"),
        (["dead-letter", "discard", str(uuid.UUID(int=1)), "--all"], "name the jobs to discard"),
        (["dead-letter", "discard", str(uuid.UUID(int=1)), "--tenant", str(uuid.UUID(int=2))],
         "apply with --all"),
        (["impact", "show"], "the following arguments are required: --run"),
        (["top", "--interval", "0"], "argument --interval: expected 0.2 to 3600 seconds"),
        (["top", "--window", "2d"], "argument --window: expected 1s to 1d"),
    ],
)  # fmt: skip
def test_a_bad_value_is_a_usage_error(
    database_url: str, arguments: list[str], complaint: str
) -> None:
    completed = jobforge(*arguments, database_url=database_url)
    assert completed.returncode == 2, completed.stderr
    assert complaint in completed.stderr
    assert completed.stdout == ""


def test_show_cancel_and_retry(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        dead = dead_job(conn, tenant_id)
        done = succeeded_job(conn, tenant_id, "ops.fine")
        queued = insert_job(conn, tenant_id, job_type="ops.later")
    shown = jobforge("jobs", "show", str(dead), database_url=database_url)
    assert shown.returncode == 0, shown.stderr
    assert f"job              {dead}\n" in shown.stdout
    assert "state            dead (attempt 1 of 1)\n" in shown.stdout
    assert "last error       exception: card declined\n" in shown.stdout
    assert re.search(r"  #1 dead +worker ops-worker  started \S+ \S+  ran \d+\.\d{3}s  "
                     r"error: exception: card declined\n", shown.stdout)  # fmt: skip
    as_json = json.loads(jobforge("jobs", "show", str(done), "--format", "json",
                                  database_url=database_url).stdout)  # fmt: skip
    assert as_json["job"]["state"] == "succeeded"
    assert as_json["result"]["output"] == {"ok": True}
    assert as_json["attempts"][0]["run_seconds"] >= 0

    refused = jobforge("jobs", "retry", str(done), database_url=database_url)
    assert refused.returncode == 1
    assert refused.stderr == (
        f"jobforge: error: job {done} is succeeded: only dead or canceled jobs can be retried\n"
    )
    retried = jobforge("jobs", "retry", str(dead), "--extra-attempts", "2",
                       database_url=database_url)  # fmt: skip
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == f"job {dead} requeued: it is now awaiting_retry\n"
    canceled = jobforge("jobs", "cancel", str(queued), database_url=database_url)
    assert canceled.stdout == f"job {queued} canceled: it is now canceled\n"
    again = jobforge("jobs", "cancel", str(queued), database_url=database_url)
    assert again.returncode == 1
    assert "is canceled: it has finished, there is nothing to cancel" in again.stderr
    with connect(database_url) as conn:
        assert (job(conn, dead)["state"], job(conn, dead)["max_attempts"]) == ("awaiting_retry", 3)
        assert job(conn, queued)["state"] == "canceled"

    unknown = uuid.uuid4()
    for command in (
        ["jobs", "show"],
        ["jobs", "cancel"],
        ["jobs", "retry"],
        ["impact", "show", "--run"],
    ):
        missing = jobforge(*command, str(unknown), database_url=database_url)
        assert missing.returncode == 1
        assert missing.stderr == (
            f"jobforge: error: job {unknown} not found (or not visible to this role)\n"
        )


def test_without_a_database_url() -> None:
    completed = jobforge("jobs", "list", database_url=None)
    assert completed.returncode == 1
    assert "no database URL: pass --database-url or set JOBFORGE_DATABASE_URL" in completed.stderr


def test_dead_letters_listed_and_requeued(database_url: str, tenant_id: uuid.UUID) -> None:
    other_tenant = uuid.uuid4()
    with connect(database_url) as conn:
        charges = [dead_job(conn, tenant_id, "bill.charge") for _ in range(3)]
        mail = dead_job(conn, tenant_id, "mail.send")
        theirs = dead_job(conn, other_tenant, "bill.charge")
        insert_job(conn, tenant_id, job_type="bill.charge")  # queued: not a dead letter
    listed = jobforge("dead-letter", "list", "--tenant", str(tenant_id), database_url=database_url)
    assert listed.returncode == 0, listed.stderr
    assert ids_in(listed.stdout) == [str(i) for i in sorted([mail, *charges], reverse=True)]
    assert "exception: card declined" in listed.stdout

    bulk = ["dead-letter", "requeue", "--all", "--type", "bill.charge", "--tenant", str(tenant_id)]
    declined = jobforge(*bulk, database_url=database_url, stdin="n\n")
    assert declined.returncode == 1
    assert f"requeue 3 dead-lettered job(s) (tenant {tenant_id}, type bill.charge)? [y/N]" in (
        declined.stderr
    )
    assert "not confirmed: nothing requeued" in declined.stderr
    no_answer = jobforge(*bulk, database_url=database_url, stdin="")
    assert no_answer.returncode == 1
    with connect(database_url) as conn:
        assert {job(conn, c)["state"] for c in charges} == {"dead"}

    confirmed = jobforge(*bulk, database_url=database_url, stdin="y\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert confirmed.stdout == "requeued 3 job(s); 0 not requeued\n"
    with connect(database_url) as conn:
        assert {job(conn, c)["state"] for c in charges} == {"awaiting_retry"}
        assert job(conn, mail)["state"] == "dead"
        assert job(conn, theirs)["state"] == "dead"
    nothing = jobforge(*bulk, database_url=database_url)
    assert (nothing.returncode, nothing.stdout) == (
        0, "no dead-lettered jobs match: nothing to requeue\n"
    )  # fmt: skip

    by_id = jobforge("dead-letter", "requeue", str(mail), str(charges[0]), "--format", "json",
                     database_url=database_url)  # fmt: skip
    assert by_id.returncode == 1  # one of them is no longer dead
    document = json.loads(by_id.stdout)
    assert (document["requeued"], document["not_requeued"]) == (1, 1)
    assert [(j["job_id"], j["done"], j["state"]) for j in document["jobs"]] == [
        (str(mail), True, "awaiting_retry"), (str(charges[0]), False, "awaiting_retry"),
    ]  # fmt: skip
    everyone = jobforge("dead-letter", "requeue", "--all", "--yes", database_url=database_url)
    assert everyone.stdout == "requeued 1 job(s); 0 not requeued\n"
    with connect(database_url) as conn:
        assert job(conn, theirs)["state"] == "awaiting_retry"


def test_dead_letters_discarded(database_url: str, tenant_id: uuid.UUID) -> None:
    other_tenant = uuid.uuid4()
    with connect(database_url) as conn:
        charges = [dead_job(conn, tenant_id, "bill.charge") for _ in range(3)]
        mail = dead_job(conn, tenant_id, "mail.send")
        theirs = dead_job(conn, other_tenant, "bill.charge")
        queued = insert_job(conn, tenant_id, job_type="bill.charge")  # not a dead letter
        before = job(conn, charges[0])

    cancel = jobforge("jobs", "cancel", str(mail), database_url=database_url)
    assert cancel.returncode == 1
    assert cancel.stderr == (
        f"jobforge: error: job {mail} is dead: `jobforge dead-letter discard {mail}` cancels "
        "a dead letter\n"
    )

    bulk = ["dead-letter", "discard", "--all", "--type", "bill.charge", "--tenant", str(tenant_id)]
    declined = jobforge(*bulk, database_url=database_url, stdin="n\n")
    assert declined.returncode == 1
    assert f"discard 3 dead-lettered job(s) (tenant {tenant_id}, type bill.charge)? [y/N]" in (
        declined.stderr
    )
    assert "not confirmed: nothing discarded" in declined.stderr
    with connect(database_url) as conn:
        assert {job(conn, c)["state"] for c in charges} == {"dead"}

    confirmed = jobforge(*bulk, database_url=database_url, stdin="yes\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert confirmed.stdout == "discarded 3 job(s); 0 not discarded\n"
    with connect(database_url) as conn:
        assert {job(conn, c)["state"] for c in charges} == {"canceled"}
        after = job(conn, charges[0])
        assert (after["last_error"], after["finished_at"]) == (
            before["last_error"], before["finished_at"],
        )  # fmt: skip
        assert job(conn, mail)["state"] == "dead"
        assert job(conn, theirs)["state"] == "dead"
    listed = jobforge("dead-letter", "list", "--tenant", str(tenant_id), database_url=database_url)
    assert ids_in(listed.stdout) == [str(mail)]
    nothing = jobforge(*bulk, database_url=database_url)
    assert (nothing.returncode, nothing.stdout) == (
        0, "no dead-lettered jobs match: nothing to discard\n"
    )  # fmt: skip

    by_id = jobforge("dead-letter", "discard", str(mail), str(charges[0]), str(queued),
                     database_url=database_url)  # fmt: skip
    assert by_id.returncode == 1  # two of them are not dead
    assert by_id.stdout == (
        f"job {charges[0]} not discarded (canceled): it is already canceled, there is nothing "
        "to discard\n"
        f"job {queued} not discarded (queued): it has not finished: `jobforge jobs cancel "
        f"{queued}` cancels it\n"
        "discarded 1 job(s); 2 not discarded\n"
    )
    everyone = jobforge("dead-letter", "discard", "--all", "--yes", "--format", "json",
                        database_url=database_url)  # fmt: skip
    assert everyone.returncode == 0, everyone.stderr
    document = json.loads(everyone.stdout)
    assert (document["discarded"], document["not_discarded"]) == (1, 0)
    assert [(j["job_id"], j["done"], j["state"]) for j in document["jobs"]] == [
        (str(theirs), True, "canceled"),
    ]
    # A discarded job can still be run again on purpose.
    retried = jobforge("jobs", "retry", str(mail), database_url=database_url)
    assert retried.stdout == f"job {mail} requeued: it is now awaiting_retry\n"


def test_impact_tree(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        root = enqueue(conn, tenant_id, "flow.start")
        child_a, child_b = complete_with_follow_ups(
            conn, root, [{"type": "flow.a"}, {"type": "flow.b"}]
        )
        (grandchild,) = complete_with_follow_ups(conn, child_a, [{"type": "flow.c"}])
        trace = job(conn, root)["trace_id"]
    shown = jobforge("impact", "show", "--run", str(root), database_url=database_url)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[:4] == [
        f"job {root} (flow.start) succeeded",
        f"  tenant     {tenant_id}",
        f"  trace id   {trace}",
        "  origin     enqueued",
    ]
    assert '  decision trace  [{"step":"chose","why":"rule 7"}]' in lines
    assert f"  output artifact sha256 {'ab' * 32}" in lines
    assert f'    {{"done":"{root}"}}' in lines
    assert lines[-4:] == [
        "  caused 3 job(s) through follow-ups:",
        f"  ├── {child_a} flow.a succeeded (attempt 1 of 5)",
        f"  │   └── {grandchild} flow.c queued (attempt 0 of 5)",
        f"  └── {child_b} flow.b queued (attempt 0 of 5)",
    ]
    again = jobforge("impact", "show", "--run", str(root), database_url=database_url)
    assert again.stdout == shown.stdout  # deterministic
    document = json.loads(jobforge("impact", "show", "--run", str(child_a), "--format", "json",
                                   database_url=database_url).stdout)  # fmt: skip
    assert document["trace_id"] == trace
    assert document["root"]["job"]["parent_job_id"] == str(root)
    assert [c["job"]["id"] for c in document["root"]["children"]] == [str(grandchild)]
    assert document["job_count"] == 2


def test_top_once(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        succeeded_job(conn, tenant_id, "mail.send")
        dead_job(conn, tenant_id, "mail.send")
        insert_job(conn, tenant_id, job_type="bill.run")
        insert_job(conn, tenant_id, job_type="bill.run")
    frame = jobforge("top", "--once", database_url=database_url)
    assert frame.returncode == 0, frame.stderr
    lines = frame.stdout.splitlines()
    assert lines[0] == "jobforge top: 2 line(s); latency over jobs finished in the last 5m"
    assert lines[1].split() == [
        "TYPE", "READY", "SCHEDULED", "RUNNING", "LAG", "OK/MIN", "DEAD/MIN",
        "WAIT", "P50", "WAIT", "P95", "RUN", "P50", "RUN", "P95",
    ]  # fmt: skip
    assert lines[2].split()[:4] == ["bill.run", "2", "0", "0"]
    assert lines[3].split()[:4] == ["mail.send", "0", "0", "0"]
    assert lines[3].split()[5:7] == ["1", "1"]
    assert lines[4].split()[:4] == ["TOTAL", "2", "0", "0"]
    per_tenant = json.loads(jobforge("top", "--once", "--per-tenant", "--format", "json",
                                     database_url=database_url).stdout)  # fmt: skip
    assert [(row["type"], row["tenant_id"], row["ready"]) for row in per_tenant] == [
        ("bill.run", str(tenant_id), 2), ("mail.send", str(tenant_id), 0)
    ]  # fmt: skip


def test_top_redraws_until_interrupted(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        insert_job(conn, tenant_id, job_type="bill.run")
    with subprocess.Popen(
        [JOBFORGE, "top", "--interval", "0.2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=environment(database_url),
    ) as process:  # fmt: skip
        assert process.stdout is not None
        titles = 0
        while titles < 2:  # two frames: it redraws
            line = process.stdout.readline()
            assert line, "top exited before its second frame"
            titles += line.startswith("jobforge top:")
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=DEADLINE_SECONDS)
    assert process.returncode == 0
    assert "Traceback" not in errors


def test_a_producer_sees_and_acts_for_its_tenants_only(
    database_url: str, make_role: Callable[[], TenantRole], tenant_id: uuid.UUID
) -> None:
    producer = make_role()
    with JobForgeClient(database_url) as owner:
        owner.grant_tenant(producer.name, tenant_id, kind="producer")
    with connect(database_url) as conn:
        mine = dead_job(conn, tenant_id)
        theirs = dead_job(conn, uuid.uuid4(), "ops.theirs")
    listed = jobforge("dead-letter", "list", database_url=producer.url)
    assert ids_in(listed.stdout) == [str(mine)]
    refused = jobforge("jobs", "retry", str(theirs), database_url=producer.url)
    assert refused.returncode == 1
    assert "not found (or not visible to this role)" in refused.stderr
    not_theirs = jobforge("dead-letter", "discard", str(theirs), database_url=producer.url)
    assert not_theirs.returncode == 1
    assert not_theirs.stdout.startswith(
        f"job {theirs} not discarded: not found (or not visible to this role)\n"
    )
    everyone = jobforge("dead-letter", "requeue", "--all", "--yes", database_url=producer.url)
    assert everyone.stdout == "requeued 1 job(s); 0 not requeued\n"
    with connect(database_url) as conn:
        assert job(conn, theirs)["state"] == "dead"
