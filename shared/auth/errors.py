"""Authentication, authorization and throttling failures as problems."""

from __future__ import annotations

from typing import Any

from shared.problems import ProblemError


class Unauthenticated(ProblemError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="nexus-forge"'}, **extensions)


class InvalidCredentials(Unauthenticated):
    slug = "invalid-credentials"
    title = "Invalid credentials"


class Forbidden(ProblemError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class TenantInactive(ProblemError):
    status = 403
    slug = "tenant-inactive"
    title = "The tenant is not active"


class RateLimited(ProblemError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class QuotaExceeded(ProblemError):
    status = 429
    slug = "quota-exceeded"
    title = "Quota exceeded"
