"""What `POST /v1/mcp` takes and answers, as the OpenAPI document states it: one JSON-RPC 2.0 request or
notification of MCP, and the JSON-RPC response. Kept apart from the SDK, which the route imports only to answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from shared.request_types import JsonInt


def _without_null(schema: dict[str, Any]) -> None:
    # Absent, not null: MCP gives a request an id and a message's params are an object when present.
    branches = [branch for branch in schema.pop("anyOf") if branch.get("type") != "null"]
    schema.update(branches[0] if len(branches) == 1 else {"anyOf": branches})
    schema.pop("default", None)


class McpMessage(BaseModel):
    """A JSON-RPC request (with an `id`) or notification (without one)."""

    model_config = ConfigDict(extra="forbid")

    jsonrpc: Literal["2.0"]
    method: str = Field(min_length=1, max_length=256, description="e.g. initialize, tools/list, tools/call")
    id: StrictStr | JsonInt | None = Field(default=None, json_schema_extra=_without_null)
    params: dict[str, Any] | None = Field(default=None, json_schema_extra=_without_null)

    @field_validator("id", "params", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("leave it out rather than null")
        return value


class McpError(BaseModel):
    code: int
    message: str
    data: Any = None


class McpReply(BaseModel):
    """The JSON-RPC response: a `result` or an `error` (a protocol error; a failed tool is a result with isError)."""

    model_config = ConfigDict(extra="allow")

    jsonrpc: Literal["2.0"]
    id: str | int | None = None
    result: dict[str, Any] | None = None
    error: McpError | None = None
