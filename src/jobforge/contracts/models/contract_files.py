"""The three kinds of contract file, as strict pydantic models.

Strict means: unknown keys are errors, no type coercion ("3" is not 3, 1 is not true),
and the models are frozen. Enum fields accept their string values (``strict=False`` on the
field only), since JSON and YAML have no enum type.

Every rule a JSON Schema can state is also stated in the exported schema (``json_schema_extra``
next to the validator that enforces it), so editors flag what ``validate`` flags. The models'
alone: comparisons between two numbers (burst below rate, cap below base), and ``20.0``
refused as an integer (JSON Schema compares numbers by value).
"""

from __future__ import annotations

from typing import Annotated, Any

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

from jobforge.contracts.models.dates import CalendarDate, Timestamp
from jobforge.contracts.models.enums import (
    AuthMethod,
    ConnectorStatus,
    CredentialsStorage,
    FailureType,
    FallbackBehavior,
    Maturity,
    QuotaPeriod,
    RetryStrategy,
)
from jobforge.contracts.models.identifiers import DottedId, RunnerType
from jobforge.contracts.models.json_schema_rules import UNIQUE_ITEMS, at_most_once, when_true
from jobforge.contracts.models.numbers import AsWritten
from jobforge.contracts.models.semver import SemVer

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
    """Raise ValueError unless ``schema`` is a valid JSON Schema, Draft 2020-12."""
    # jsonschema is imported here, not at module level: validating connector files
    # never needs it, and it costs a tenth of a second to import.
    from jsonschema import Draft202012Validator  # noqa: PLC0415
    from jsonschema.exceptions import SchemaError  # noqa: PLC0415

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/" + "/".join(str(part) for part in exc.absolute_path)
        raise ValueError(
            f"{JSON_SCHEMA_MESSAGE_START} (Draft 2020-12) at {where}: {exc.message}"
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


class RunnerMethods(ContractModel):
    """Which entry points the runner implements. ``execute`` is mandatory."""

    execute: bool = Field(json_schema_extra={"const": True})
    validate_: bool = Field(alias="validate")
    health: bool
    trace: bool

    @model_validator(mode="after")
    def _execute_is_implemented(self) -> RunnerMethods:
        if not self.execute:
            raise ValueError("execute must be true: every runner executes its job types")
        return self


class Determinism(ContractModel):
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

    @model_validator(mode="after")
    def _replayable_needs_records(self) -> Determinism:
        if self.replayable and not (self.input_snapshot and self.output_artifact):
            raise ValueError("replayable requires input_snapshot and output_artifact to be true")
        return self


class RetryPolicy(ContractModel):
    """Attempts and exponential backoff: delay = min(cap, base * 2 ** (attempt - 1))."""

    max_attempts: Annotated[int, Field(ge=1, le=MAX_ATTEMPTS_LIMIT)]
    backoff_base_seconds: PositiveNumber
    backoff_cap_seconds: PositiveNumber

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> RetryPolicy:
        if self.backoff_cap_seconds < self.backoff_base_seconds:
            raise ValueError(
                f"backoff_cap_seconds ({self.backoff_cap_seconds}) must be at least "
                f"backoff_base_seconds ({self.backoff_base_seconds})"
            )
        return self


class RunnerConfig(ContractModel):
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

    @model_validator(mode="after")
    def _connectors_unique(self) -> RunnerConfig:
        _require_unique(self.connectors, "connectors")
        return self


# ---------------------------------------------------------------- connectors


class Capabilities(ContractModel):
    bidirectional: bool
    streaming: bool
    batch: bool
    real_time: bool
    webhook: bool
    polling: bool


class Auth(ContractModel):
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

    @model_validator(mode="after")
    def _consistent(self) -> Auth:
        _require_unique(self.methods, "methods")
        if self.required and AuthMethod.NONE in self.methods:
            raise ValueError("methods must not include 'none' when required is true")
        if self.required and self.credentials_storage is CredentialsStorage.NONE:
            raise ValueError("credentials_storage must not be 'none' when required is true")
        return self


class RateLimits(ContractModel):
    requests_per_second: PositiveNumber
    burst_size: Annotated[int, Field(gt=0)]
    quota_period: Annotated[QuotaPeriod, Field(strict=False)]
    retry_after_header: bool

    @model_validator(mode="after")
    def _burst_covers_rate(self) -> RateLimits:
        if self.burst_size < self.requests_per_second:
            raise ValueError(
                f"burst_size ({self.burst_size}) must be at least "
                f"requests_per_second ({self.requests_per_second})"
            )
        return self


class FailureMode(ContractModel):
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

    @model_validator(mode="after")
    def _retry_settings_agree(self) -> FailureMode:
        if self.retryable and (self.retry_strategy is RetryStrategy.NONE or self.max_retries == 0):
            raise ValueError(
                "a retryable failure needs a retry_strategy other than 'none' and max_retries >= 1"
            )
        if not self.retryable and (
            self.retry_strategy is not RetryStrategy.NONE or self.max_retries != 0
        ):
            raise ValueError(
                "a failure that is not retryable needs retry_strategy 'none' and max_retries 0"
            )
        return self


class Observability(ContractModel):
    metrics: bool
    logs: bool
    traces: bool
    health_check: bool


class ConnectorMetadata(ContractModel):
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
    breaking_changes: BreakingChanges = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_entries(self) -> ConnectorMetadata:
        _require_unique(self.supported_job_types, "supported_job_types")
        _require_unique([mode.type for mode in self.failure_modes], "failure_modes[].type")
        return self


# ---------------------------------------------------------------- goldens


class RecordedConnectorResponse(ContractModel):
    """A connector answer replayed instead of calling out; without ``request`` it matches any."""

    connector_id: DottedId
    operation: NonEmptyStr
    request: Any = None
    response: Any


class ExpectedError(ContractModel):
    """How a golden's job must fail: the error kind the worker records, and a message part."""

    kind: NonEmptyStr = Field(
        description="The recorded error kind: invalid_input, invalid_output, timeout, "
        "exception (a handler's exception), or the error_kind of the exception raised."
    )
    message_contains: NonEmptyStr | None = Field(
        default=None, description="Text the error message must contain."
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


def _require_unique(values: list[Any], field_name: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{field_name} lists {str(value)!r} more than once")
        seen.add(value)


MODELS: dict[str, type[ContractModel]] = {
    "runner": RunnerConfig,
    "connector": ConnectorMetadata,
    "golden": GoldenCase,
}
"""The file kinds, by the name their exported JSON Schema carries (``<kind>.schema.json``)."""
