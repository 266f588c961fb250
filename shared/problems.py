"""RFC 9457 problem details: the one shape of every API error, and the domain errors that map to it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://nexus-forge.dev/problems/"


class InvalidParam(BaseModel):
    name: str = Field(description="JSON pointer to the failing field, e.g. /body/name")
    reason: str


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    correlation_id: str | None = None
    invalid_params: list[InvalidParam] | None = Field(default=None, alias="invalid-params")


class ProblemError(Exception):
    """A domain error with a stable problem type; raised by logic, rendered once by the HTTP layer."""

    status = 500
    slug = "internal-error"
    title = "Internal server error"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extensions = extensions

    @property
    def type_uri(self) -> str:
        return PROBLEM_TYPE_BASE + self.slug


class NotFound(ProblemError):
    status = 404
    slug = "not-found"
    title = "Resource not found"


class Conflict(ProblemError):
    status = 409
    slug = "conflict"
    title = "Conflict with the current state"


class BadRequest(ProblemError):
    status = 400
    slug = "bad-request"
    title = "Bad request"


class MalformedJson(ProblemError):
    status = 400
    slug = "malformed-json"
    title = "The request body is not valid JSON"


class UnsupportedMediaType(ProblemError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class PayloadTooLarge(ProblemError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class ValidationFailed(ProblemError):
    status = 422
    slug = "validation-error"
    title = "The request is not valid"

    def __init__(self, invalid_params: list[InvalidParam], detail: str | None = None) -> None:
        super().__init__(detail or f"{len(invalid_params)} field(s) failed validation")
        self.invalid_params = invalid_params


class ServiceUnavailable(ProblemError):
    status = 503
    slug = "service-unavailable"
    title = "A dependency is unavailable"


def problem_type(slug: str) -> str:
    return PROBLEM_TYPE_BASE + slug
