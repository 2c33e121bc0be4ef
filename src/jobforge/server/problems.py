"""Errors as RFC 9457 problem documents (``application/problem+json``).

Every 4xx and 5xx the ingress sends is one: its own refusals (``ProblemError``), FastAPI's
validation errors, Starlette's 404 and 405, JobForge errors from the database layer and
anything unexpected (a bare 500 that says nothing of the cause). ``errors`` names each
offending field: ``pointer`` is a JSON pointer into the request body, ``parameter`` the
name of a path, query or header parameter.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from jobforge.errors import (
    DatabaseUnavailable,
    IdempotencyConflict,
    InvalidArgument,
    JobForgeError,
    JobNotFound,
    SchemaNotMigrated,
    TenantAccessDenied,
)
from jobforge.server.database import TenantNotServed

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:jobforge:problem:"
_log = logging.getLogger("jobforge.server")


class FieldProblem(BaseModel):
    """One offending field: ``pointer`` into the body, or a named ``parameter``."""

    detail: str
    pointer: str | None = Field(default=None, description="JSON pointer into the request body")
    parameter: str | None = Field(
        default=None, description="a path, query or header parameter's name"
    )


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="a URI naming the kind of problem")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)


class ProblemError(Exception):
    """Raised by the ingress's own code to answer with a problem document."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        errors: Sequence[FieldProblem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})


def problem_response(
    status: int,
    kind: str,
    detail: str,
    *,
    errors: Iterable[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    document = Problem(
        type=PROBLEM_TYPE_PREFIX + kind,
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=list(errors),
    )
    return JSONResponse(
        document.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def idempotency_key_mismatch() -> ProblemError:
    """Both an ``Idempotency-Key`` header and a body ``idempotency_key``, and not equal."""
    detail = "the Idempotency-Key header and the body's idempotency_key differ: send one"
    return ProblemError(
        422,
        "idempotency-key-mismatch",
        detail,
        errors=[
            FieldProblem(detail=detail, pointer="/idempotency_key"),
            FieldProblem(detail=detail, parameter="Idempotency-Key"),
        ],
    )


def problem_for_error(exc: JobForgeError) -> ProblemError:
    """The problem a JobForge error from the library or the database becomes."""
    if isinstance(exc, InvalidArgument):
        return ProblemError(422, "invalid-argument", str(exc), errors=_field_of(str(exc)))
    if isinstance(exc, JobNotFound):
        return ProblemError(404, "not-found", "no such job")
    if isinstance(exc, IdempotencyConflict):
        return ProblemError(409, "idempotency-conflict", str(exc))
    if isinstance(exc, TenantAccessDenied | TenantNotServed):
        _log.error("tenant not served: %s", exc)
        return ProblemError(
            403,
            "tenant-not-served",
            "this server may not act for the tenant: its operator grants it with "
            "`jobforge grant-ingress SERVER_ROLE TENANT_ID`",
        )
    if isinstance(exc, DatabaseUnavailable | SchemaNotMigrated):
        _log.error("database unavailable: %s", exc)
        return ProblemError(503, "unavailable", "the database is unavailable; try again later")
    _log.error("request failed: %s", exc)
    return ProblemError(500, "internal", "the server could not complete the request")


# "job.payload.items[2]: ..." -> /payload/items/2 (the client's labels for request fields).
_LABEL = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[A-Za-z0-9_-]+|\[\d+\])*): ")


def _field_of(message: str) -> list[FieldProblem]:
    match = _LABEL.match(message)
    if match is None:
        return []
    label = match.group(1).removeprefix("job.").removeprefix("job ")
    if label == "job":
        return []
    parts = re.findall(r"[^.\[\]]+", label)
    pointer = "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)
    return [FieldProblem(detail=message[match.end() :], pointer=pointer)]


def _validation_errors(errors: Sequence[Any]) -> list[FieldProblem]:
    problems = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        message = str(error.get("msg", "invalid"))
        if location and location[0] == "body":
            path = location[1:]
            if error.get("type") == "json_invalid":
                path = []
            pointer = "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)
            problems.append(FieldProblem(detail=message, pointer=pointer))
        else:
            problems.append(
                FieldProblem(detail=message, parameter=location[-1] if location else "")
            )
    return problems


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error ``app`` answers a problem document."""

    async def on_problem(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(
            exc.status, exc.kind, exc.detail, errors=exc.errors, headers=exc.headers
        )

    async def on_jobforge_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, JobForgeError)
        return await on_problem(_request, problem_for_error(exc))

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(
            422,
            "invalid-request",
            "the request does not match the API's schema",
            errors=_validation_errors(exc.errors()),
        )

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code if exc.status_code >= 400 else 500
        kind = {404: "not-found", 405: "method-not-allowed"}.get(status, "http-error")
        detail = {404: "no such resource", 405: "method not allowed for this resource"}.get(
            status, str(exc.detail)
        )
        return problem_response(status, kind, detail, headers=exc.headers)

    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error", exc_info=exc)
        return problem_response(500, "internal", "the server could not complete the request")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(JobForgeError, on_jobforge_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


_DESCRIPTIONS = {
    400: "the request is malformed",
    401: "no valid API key (or webhook signature)",
    403: "the key's scopes do not allow this",
    404: "no such resource (another tenant's job is not found either)",
    409: "the idempotency key is taken by a job with another payload",
    413: "the request body is larger than the server accepts",
    422: "a field or parameter is invalid",
    429: "the key's rate limit is exhausted; retry after Retry-After seconds",
    500: "the server could not complete the request",
    503: "the database is unavailable",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring problem documents for ``statuses``."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        declared: dict[str, Any] = {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if status == 429:
            declared["headers"] = {
                "Retry-After": {
                    "description": "seconds until a request will be accepted",
                    "schema": {"type": "integer"},
                }
            }
        responses[status] = declared
    return responses
