"""The ingress's pure parts: webhook source files, rate limits, problem pointers, SQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from jobforge.connectors.webhooks import WebhookSecret
from jobforge.errors import ConfigurationError, InvalidArgument
from jobforge.server.problems import problem_for_error
from jobforge.server.queries import server_query
from jobforge.server.rate_limit import RateLimiter
from jobforge.server.webhook_sources import load_webhook_sources

TENANT = "6f1c2b9e-0000-4000-8000-000000000001"
HEAD = f'[webhooks.a]\ntenant_id = "{TENANT}"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "serve.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sources_are_read_with_their_secrets_from_the_environment(tmp_path: Path) -> None:
    current, previous = WebhookSecret.generate(), WebhookSecret.generate()
    path = write(
        tmp_path,
        f'[webhooks.stripe]\ntenant_id = "{TENANT}"\nevent_type = "stripe.event"\n'
        f'secret_env = "NOW"\nprevious_secret_env = "BEFORE"\ntolerance_seconds = 60\n'
        f'[webhooks.github]\ntenant_id = "{TENANT}"\njob_type = "ci.push"\nsecret_env = "NOW"\n',
    )
    github, stripe = load_webhook_sources(
        path, {"NOW": current.reveal(), "BEFORE": previous.reveal()}
    )
    assert (github.name, github.job_type, github.event_type) == ("github", "ci.push", None)
    assert (stripe.secret, stripe.previous_secret) == (current, previous)
    assert stripe.tenant_id == uuid.UUID(TENANT)
    assert stripe.tolerance_seconds == 60
    assert current.reveal() not in repr(stripe)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[webhooks.a]\n", "webhooks.a.tenant_id: required"),
        (HEAD + 'job_type = "x"\n', "webhooks.a.secret_env: required"),
        (HEAD + 'job_type = "x"\nsecret_env = "UNSET"\n',
         "webhooks.a.secret_env: the environment variable UNSET is not set"),
        (HEAD + 'job_type = "x"\nsecret_env = "BAD"\n',
         "webhooks.a.secret_env: $BAD: a webhook secret must be"),
        (HEAD + 'secret_env = "NOW"\n',
         "set exactly one of event_type and job_type"),
        (HEAD + 'job_type = "x"\nevent_type = "e"\nsecret_env = "NOW"\n',
         "set exactly one of event_type and job_type"),
        (HEAD + 'job_type = "Bad Type"\nsecret_env = "NOW"\n',
         "job type: expected a dotted lower-case name"),
        (f'[webhooks.A]\ntenant_id = "{TENANT}"\njob_type = "x"\nsecret_env = "NOW"\n',
         "a source name is 1 to 64 lower-case letters"),
        (HEAD + 'job_type = "x"\nsecret_env = "NOW"\nsecret = "whsec_x"\n',
         "webhooks.a.secret: unknown field"),
        ("[other]\n", "unknown table 'other'"),
        ("[webhooks\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_mistakes_are_named_with_the_file_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    env = {"NOW": WebhookSecret.generate().reveal(), "BAD": "not-a-secret"}
    with pytest.raises(ConfigurationError) as raised:
        load_webhook_sources(path, env)
    assert str(raised.value).startswith(str(path))
    assert message in str(raised.value)
    assert env["NOW"] not in str(raised.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read the server config"):
        load_webhook_sources(tmp_path / "absent.toml", {})


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    now = [100.0]
    limiter = RateLimiter(rate_per_second=2, burst=3, clock=lambda: now[0])
    assert [limiter.take("k") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("k") == 1
    assert limiter.take("other") == 0
    now[0] += 0.5
    assert limiter.take("k") == 0
    assert limiter.take("k") == 1
    now[0] += 100
    assert [limiter.take("k") for _ in range(4)] == [0, 0, 0, 1]


def test_a_slow_rate_asks_for_a_longer_wait() -> None:
    limiter = RateLimiter(rate_per_second=0.1, burst=1, clock=lambda: 0.0)
    assert limiter.take("k") == 0
    assert limiter.take("k") == 10


def test_buckets_are_bounded() -> None:
    limiter = RateLimiter(rate_per_second=1, burst=1, clock=lambda: 0.0, max_buckets=2)
    for key in ("a", "b", "c"):
        assert limiter.take(key) == 0
    assert limiter.take("a") == 0  # forgotten, so full again
    assert limiter.take("c") == 1


@pytest.mark.parametrize(
    ("message", "pointer"),
    [
        ("job.payload: 2000000 bytes of JSON", "/payload"),
        ("job.payload.items[2].name: nested too deep", "/payload/items/2/name"),
        ("job.run_at: expected a time from 1900 to 9000", "/run_at"),
        ("payload: a key contains U+0000", "/payload"),
    ],
)
def test_library_messages_point_at_the_field(message: str, pointer: str) -> None:
    problem = problem_for_error(InvalidArgument(message))
    assert problem.status == 422
    assert [error.pointer for error in problem.errors] == [pointer]


def test_the_queries_parse_and_bind_values_only() -> None:
    assert server_query("act_as_role") == "SELECT pg_catalog.set_config('role', %(role)s, true);"
    for name in ("create_tenant_role", "grant_role_to_login", "revoke_role_from_login"):
        assert "{role}" in server_query(name)
