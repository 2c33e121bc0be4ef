"""The three kinds of contract file, as strict pydantic models.

Strict means: unknown keys are errors, no type coercion ("3" is not 3, 1 is not true),
and the models are frozen. Enum fields accept their string values (``strict=False`` on the
field only), since JSON and YAML have no enum type.

Every rule a JSON Schema can state is also stated in the exported schema (``json_schema_extra``
next to the validator that enforces it), so editors flag what ``validate`` flags. The models
alone check comparisons between two numbers (burst below rate, cap below base), and refuse
``20.0`` as an integer (JSON Schema compares numbers by value).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from jobforge.contracts.models import field_rules
from jobforge.contracts.models.constraints import Rule, validate_with_rules
from jobforge.contracts.models.dates import CalendarDate, Timestamp
from jobforge.contracts.models.enums import (
    AuthMethod,
    ConnectorStatus,
    CredentialsStorage,
    FailureType,
    FallbackBehavior,
    HttpMethod,
    Maturity,
    QuotaPeriod,
    RetryStrategy,
)
from jobforge.contracts.models.identifiers import DottedId, RunnerType
from jobforge.contracts.models.json_schema_rules import UNIQUE_ITEMS, at_most_once, when_true
from jobforge.contracts.models.numbers import AsWritten
from jobforge.contracts.models.semver import SemVer
from jobforge.contracts.problems.schema_messages import schema_error_message

MAX_ATTEMPTS_LIMIT = 100
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600
SCHEMA_KEY = "$schema"
JSON_SCHEMA_MESSAGE_START = "not a valid JSON Schema"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

NonEmptyStr = Annotated[str, Field(min_length=1)]
PositiveNumber = Annotated[float, Field(gt=0), AsWritten()]


class ContractModel(BaseModel):
    """Base of every contract model: strict, closed, immutable."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, populate_by_name=False, use_enum_values=False
    )


class RuledModel(ContractModel):
    """A contract model with ``contract_rules`` between its fields (see ``constraints``):
    checked with the fields, not after them, so their problems come with every other one.
    (A model without rules skips the wrapper: it costs a Python call per object.)"""

    contract_rules: ClassVar[tuple[Rule, ...]] = ()

    @model_validator(mode="wrap")
    @classmethod
    def _check_contract_rules(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        return validate_with_rules(cls.__name__, data, handler, cls.contract_rules)


class BreakingChange(ContractModel):
    """An intended breaking change, recorded under the version that makes it (as Airbyte does)."""

    message: NonEmptyStr = Field(description="What breaks and what users must do.")
    upgrade_deadline: CalendarDate | None = Field(
        default=None, description="Date (YYYY-MM-DD) after which the old version is unsupported."
    )
    migration_documentation_url: NonEmptyStr | None = None


# additionalProperties: the exported schema's patternProperties alone would let keys
# that are not versions through, where the model refuses them.
BreakingChanges = Annotated[
    dict[SemVer, BreakingChange], Field(json_schema_extra={"additionalProperties": False})
]


def _check_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Raise ValueError unless ``schema`` is a valid JSON Schema, Draft 2020-12, whose
    patterns are ECMA-262 regular expressions (see ``jobforge.json_schema``)."""
    # jsonschema is imported here, not at module level: validating connector files
    # never needs it, and it costs a tenth of a second to import.
    from jsonschema.exceptions import SchemaError  # noqa: PLC0415

    from jobforge.json_schema import check_schema  # noqa: PLC0415

    try:
        check_schema(schema)
    except SchemaError as exc:
        where = "/" + "/".join(str(part) for part in exc.absolute_path)
        raise ValueError(
            f"{JSON_SCHEMA_MESSAGE_START} (Draft 2020-12) at {where}: {schema_error_message(exc)}"
        ) from None
    return schema


# The exported schema refers to the meta-schema, so editors check job type schemas too.
JsonSchemaObject = Annotated[
    dict[str, Any],
    AfterValidator(_check_json_schema),
    Field(json_schema_extra={"$ref": JSON_SCHEMA_DIALECT}),
]


# ---------------------------------------------------------------- runners


class JobTypeContract(ContractModel):
    """One job type a runner serves: what it takes and what it returns."""

    description: NonEmptyStr
    input_schema: JsonSchemaObject = Field(description="JSON Schema (Draft 2020-12) of the input.")
    output_schema: JsonSchemaObject = Field(
        description="JSON Schema (Draft 2020-12) of the output."
    )


class RunnerMethods(RuledModel):
    """Which entry points the runner implements. ``execute`` is mandatory."""

    execute: bool = Field(json_schema_extra={"const": True})
    validate_: bool = Field(alias="validate")
    health: bool
    trace: bool

    contract_rules = (field_rules.execute_is_implemented,)


class Determinism(RuledModel):
    """What the runner records for each execution, and whether that suffices to replay it."""

    model_config = ConfigDict(
        json_schema_extra=when_true(
            "replayable", {"input_snapshot": {"const": True}, "output_artifact": {"const": True}}
        )
    )

    input_snapshot: bool
    decision_trace: bool
    output_artifact: bool
    replayable: bool

    contract_rules = (field_rules.replayable_needs_records,)


class RetryPolicy(RuledModel):
    """Attempts and exponential backoff: delay = min(cap, base * 2 ** (attempt - 1))."""

    max_attempts: Annotated[int, Field(ge=1, le=MAX_ATTEMPTS_LIMIT)]
    backoff_base_seconds: PositiveNumber
    backoff_cap_seconds: PositiveNumber

    contract_rules = (field_rules.cap_not_below_base,)


class RunnerConfig(RuledModel):
    """``contracts/runners/<runner_id>.yaml``: one runner and the job types it serves."""

    schema_: str | None = Field(default=None, alias="$schema")
    runner_id: DottedId
    runner_type: RunnerType
    version: SemVer
    description: NonEmptyStr
    job_types: Annotated[
        dict[DottedId, JobTypeContract],
        Field(min_length=1, json_schema_extra={"additionalProperties": False}),
    ]
    methods: RunnerMethods
    determinism: Determinism
    retry: RetryPolicy
    timeout_seconds: Annotated[float, Field(gt=0, le=MAX_TIMEOUT_SECONDS), AsWritten()]
    connectors: list[DottedId] = Field(
        default_factory=list,
        description="Ids of the connectors the runner calls.",
        json_schema_extra=UNIQUE_ITEMS,
    )
    breaking_changes: BreakingChanges = Field(default_factory=dict)

    contract_rules = (field_rules.unique_connectors,)


# ---------------------------------------------------------------- connectors


class Capabilities(ContractModel):
    bidirectional: bool
    streaming: bool
    batch: bool
    real_time: bool
    webhook: bool
    polling: bool


class Auth(RuledModel):
    model_config = ConfigDict(
        json_schema_extra=when_true(
            "required",
            {
                "methods": {"not": {"contains": {"const": AuthMethod.NONE.value}}},
                "credentials_storage": {"not": {"const": CredentialsStorage.NONE.value}},
            },
        )
    )

    required: bool
    methods: Annotated[
        list[Annotated[AuthMethod, Field(strict=False)]],
        Field(min_length=1, json_schema_extra=UNIQUE_ITEMS),
    ]
    credentials_storage: Annotated[CredentialsStorage, Field(strict=False)]

    contract_rules = (field_rules.unique_auth_methods, field_rules.auth_consistent)


class RateLimits(RuledModel):
    requests_per_second: PositiveNumber
    burst_size: Annotated[int, Field(gt=0)]
    quota_period: Annotated[QuotaPeriod, Field(strict=False)]
    retry_after_header: bool

    contract_rules = (field_rules.burst_covers_rate,)


class FailureMode(RuledModel):
    model_config = ConfigDict(
        json_schema_extra={
            **when_true(
                "retryable",
                {
                    "retry_strategy": {"not": {"const": RetryStrategy.NONE.value}},
                    "max_retries": {"minimum": 1},
                },
            ),
            "else": {
                "properties": {
                    "retry_strategy": {"const": RetryStrategy.NONE.value},
                    "max_retries": {"const": 0},
                }
            },
        }
    )

    type: Annotated[FailureType, Field(strict=False)]
    retryable: bool
    retry_strategy: Annotated[RetryStrategy, Field(strict=False)]
    max_retries: Annotated[int, Field(ge=0, le=MAX_ATTEMPTS_LIMIT)]
    fallback_behavior: Annotated[FallbackBehavior, Field(strict=False)]
    circuit_breaker: bool

    contract_rules = (field_rules.retry_settings_agree,)


class Observability(ContractModel):
    metrics: bool
    logs: bool
    traces: bool
    health_check: bool


# A path under the base URL: '/' then percent-encoded segments, each may be a {placeholder}.
HTTP_PATH_PATTERN = (
    r"^(/([A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2}|\{[A-Za-z_][A-Za-z0-9_]*\})*)+$"
)
HTTP_BASE_URL_PATTERN = r"^https?://[^\s/?#@]+(/[^\s?#]*)?$"
OPERATION_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


class HttpOperation(ContractModel):
    """How one connector operation becomes an HTTP request (see ``jobforge.connectors.http``)."""

    method: Annotated[HttpMethod, Field(strict=False)]
    path: Annotated[str, Field(pattern=HTTP_PATH_PATTERN, max_length=2000)] = Field(
        description="Under the base URL; each {name} takes the request field of that name, "
        "the other fields become the query (GET, DELETE) or the JSON body."
    )


class HttpBinding(ContractModel):
    """A connector served over HTTP: `jobforge worker run` carries its calls with the HTTP
    connector, at the base URL of JOBFORGE_<CONNECTOR_ID>_BASE_URL or ``base_url``."""

    base_url: Annotated[str, Field(pattern=HTTP_BASE_URL_PATTERN, max_length=2000)] | None = Field(
        default=None, description="Default base URL (the environment variable wins)."
    )
    operations: Annotated[
        dict[Annotated[str, Field(pattern=OPERATION_NAME_PATTERN)], HttpOperation],
        Field(min_length=1, json_schema_extra={"additionalProperties": False}),
    ]


class ConnectorMetadata(RuledModel):
    """``connectors/<connector_id>/metadata.json``: what a connector offers and how it fails."""

    schema_: str | None = Field(default=None, alias="$schema")
    connector_id: DottedId
    version: SemVer
    status: Annotated[ConnectorStatus, Field(strict=False)]
    maturity: Annotated[Maturity, Field(strict=False)]
    description: NonEmptyStr | None = None
    supported_job_types: Annotated[
        list[DottedId], Field(min_length=1, json_schema_extra=UNIQUE_ITEMS)
    ]
    capabilities: Capabilities
    auth: Auth
    rate_limits: RateLimits
    failure_modes: Annotated[
        list[FailureMode], Field(json_schema_extra=at_most_once("type", FailureType))
    ]
    observability: Observability
    http: HttpBinding | None = Field(
        default=None, description="The HTTP API that carries this connector's calls, if any."
    )
    breaking_changes: BreakingChanges = Field(default_factory=dict)

    contract_rules = (field_rules.unique_job_types, field_rules.unique_failure_types)


# ---------------------------------------------------------------- goldens


class RecordedConnectorFailure(ContractModel):
    """How a recorded call failed, as the handler saw it: after the connector's failure
    mode (retries, circuit breaker, fallback) was applied. Replay raises it again."""

    type: Annotated[FailureType, Field(strict=False)] = Field(
        description="The failure type, as the connector metadata's failure_modes name it."
    )
    message: NonEmptyStr | None = Field(
        default=None, description="The error message (default: the failure type)."
    )
    kind: NonEmptyStr | None = Field(
        default=None,
        description="The error kind the job records (default: connector_<type>).",
    )
    dead_letter: bool = Field(
        default=False,
        description="True when the connector's fallback dead-letters the job at once.",
    )
    retry_in_seconds: Annotated[float, Field(ge=0), AsWritten()] | None = Field(
        default=None, description="When a queued job runs again (the fallback 'queue')."
    )


class RecordedConnectorResponse(RuledModel):
    """A connector answer replayed instead of calling out: a ``response``, or the
    ``failure`` the call ended with. Without ``request`` it matches any request."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["response"]}, {"required": ["failure"]}]}
    )

    connector_id: DottedId
    operation: NonEmptyStr
    request: Any = None
    response: Any = None
    failure: RecordedConnectorFailure | None = None

    contract_rules = (field_rules.response_or_failure,)

    def to_recording(self) -> dict[str, Any]:
        """The recording as the worker's replay reads it (``RecordedResponse.from_json``)."""
        document: dict[str, Any] = {"connector_id": self.connector_id, "operation": self.operation}
        if "request" in self.model_fields_set:
            document["request"] = self.request
        if self.failure is None:
            document["response"] = self.response
            return document
        failure = self.failure
        document["failure"] = {
            "type": failure.type.value,
            "kind": failure.kind or f"connector_{failure.type.value}",
            "message": failure.message or failure.type.value,
            "dead_letter": failure.dead_letter,
            "retry_in_seconds": failure.retry_in_seconds,
        }
        return document


class ExpectedError(ContractModel):
    """How a golden's job must fail: the error kind the worker records, and a message part."""

    kind: NonEmptyStr = Field(
        description="The recorded error kind: invalid_input, invalid_output, timeout, "
        "exception (a handler's exception), or the error_kind of the exception raised."
    )
    message_contains: NonEmptyStr | None = Field(
        default=None, description="Text the error message must contain."
    )


class ExpectedFollowUp(ContractModel):
    """A follow-up job the golden's handler must ask for (``ctx.follow_up``)."""

    job_type: DottedId
    payload: Any = Field(
        default=None,
        description="Contained in the follow-up's payload, as expected_output is in the output.",
    )
    run_at: Timestamp | None = Field(
        default=None, description="When it must run (RFC 3339), compared as an instant."
    )
    idempotency_key: NonEmptyStr | None = Field(
        default=None, description="The explicit idempotency key it must carry."
    )


class GoldenCase(ContractModel):
    """``goldens/<runner_id>/<case>.yaml``: one job, and what its result must show.

    Either ``expected_output`` (the job succeeds with that output) or ``expected_error``
    (the job fails so), never both.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": ["expected_output"]}, {"required": ["expected_error"]}]
        }
    )

    schema_: str | None = Field(default=None, alias="$schema")
    name: NonEmptyStr
    job_type: DottedId
    tenant: NonEmptyStr
    input: Any
    expected_output: Any = Field(
        default=None, description="The output the job must succeed with (see exact)."
    )
    expected_error: ExpectedError | None = Field(
        default=None, description="How the job must fail, instead of an expected_output."
    )
    exact: bool = Field(
        default=False,
        description="true: the output must equal expected_output; false: contain it.",
    )
    expected_trace_keys: list[NonEmptyStr] = Field(default_factory=list)
    expected_artifact_keys: list[NonEmptyStr] = Field(default_factory=list)
    expected_follow_ups: list[ExpectedFollowUp] | None = Field(
        default=None,
        description="The follow-up jobs the handler must ask for, in order (an empty list: "
        "none); not checked when absent.",
    )
    deterministic: bool = True
    connector_responses: list[RecordedConnectorResponse] = Field(default_factory=list)
    now: Timestamp | None = Field(
        default=None, description="The fixed clock of the run (RFC 3339); a default if absent."
    )
    seed: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _one_expectation(
        cls, data: Any, handler: ModelWrapValidatorHandler[GoldenCase]
    ) -> GoldenCase:
        """Exactly one of expected_output and expected_error, reported with the file's other
        problems (an after-validator would only speak once everything else is right)."""
        extra: list[InitErrorDetails] = []
        if isinstance(data, dict):
            has_output, has_error = "expected_output" in data, "expected_error" in data
            if not has_output and not has_error:
                extra.append({"type": "missing", "loc": ("expected_output",), "input": data})
            elif has_output and has_error:
                extra.append(
                    {
                        "type": PydanticCustomError(
                            "one_expectation",
                            "expected_error and expected_output exclude each other: keep "
                            "expected_output if the job must succeed, expected_error if it "
                            "must fail",
                        ),
                        "loc": ("expected_error",),
                        "input": data["expected_error"],
                    }
                )
        try:
            model = handler(data)
        except ValidationError as exc:
            if not extra:
                raise
            details: list[InitErrorDetails] = [
                {"type": error["type"], "loc": error["loc"], "input": error["input"],
                 **({"ctx": error["ctx"]} if "ctx" in error else {})}  # type: ignore[typeddict-item]
                for error in exc.errors()
            ]  # fmt: skip
            raise ValidationError.from_exception_data(cls.__name__, [*details, *extra]) from None
        if extra:
            raise ValidationError.from_exception_data(cls.__name__, extra)
        return model


MODELS: dict[str, type[ContractModel]] = {
    "runner": RunnerConfig,
    "connector": ConnectorMetadata,
    "golden": GoldenCase,
}
"""The file kinds, by the name their exported JSON Schema carries (``<kind>.schema.json``)."""
