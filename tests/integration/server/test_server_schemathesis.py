"""Property tests of the served API against its own OpenAPI document (schemathesis): with
a valid key, generated requests, valid and invalid, never get a 5xx nor a response the
document does not declare (status, content type, body schema, headers).

One check is left out: that every request the document allows is accepted. Some refusals
follow rules JSON Schema cannot state (a payload's U+0000, nesting depth, canonical size
and number range; an Idempotency-Key header that differs from the body's key); they are
declared 422 problem documents, which the other checks hold them to."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.integration.server.support import IngressWorld, RunningServer

MAX_EXAMPLES_PER_OPERATION = 30


def test_the_api_keeps_to_its_openapi_document(world: IngressWorld, server: RunningServer) -> None:
    with world.owner() as owner:
        owner.create_trigger(
            tenant_id=world.tenant_a, name="route", event_type="user.signed_up", job_type="a.b"
        )
    key = world.key(world.tenant_a)
    headers = {"Authorization": f"Bearer {key.text}"}
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        run()
