"""What the smoke task computes: a greeting that names the function and request that made it."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field


class GreetingRequest(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    correlation_id: str | None = None


class Greeting(BaseModel):
    greeting: str
    function_name: str
    request_id: str
    handled_at: datetime


def greet(request: GreetingRequest, *, function_name: str, request_id: str) -> Greeting:
    return Greeting(
        greeting=f"Hello, {request.name}!",
        function_name=function_name,
        request_id=request_id,
        handled_at=datetime.now(UTC),
    )
