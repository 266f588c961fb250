"""The workflow graph a tenant edits: nodes, edges and settings. Node parameters are checked by each node type."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

# State names in Step Functions are at most 80 characters; ids leave room for the suffixes of generated states.
NODE_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
PORT_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,31}$"
DEFAULT_PORT = "out"
ERROR_PORT = "error"

OnError = Literal["stop", "continue", "error_output"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Position(_Strict):
    x: float
    y: float


class RetryPolicy(_Strict):
    """Becomes one `Retry` rule of the node's state."""

    max_attempts: int = Field(default=3, ge=0, le=10, description="Retries after the first attempt")
    interval_seconds: int = Field(default=1, ge=1, le=3600)
    backoff_rate: float = Field(default=2.0, ge=1.0, le=10.0)
    max_delay_seconds: int | None = Field(default=None, ge=1, le=86400)
    jitter: bool = False
    errors: list[str] = Field(default_factory=lambda: ["States.ALL"], min_length=1, max_length=20)


class Node(_Strict):
    id: str = Field(pattern=NODE_ID_PATTERN, description="Unique in the workflow; the state name in Step Functions")
    type: str = Field(min_length=1, max_length=64, description="A node type of the catalog, e.g. transform")
    name: str | None = Field(default=None, max_length=200, description="What the editor shows")
    params: dict[str, Any] = Field(default_factory=dict, description="Parameters of the node type")
    position: Position | None = Field(default=None, description="Where the editor draws the node")
    retry: RetryPolicy | None = None
    on_error: OnError = Field(
        default="stop",
        description="stop: the execution fails; continue: go on with the error as output; "
        "error_output: follow the node's `error` port",
    )
    timeout_seconds: int | None = Field(default=None, ge=1, le=31_536_000)


class Edge(_Strict):
    source: str = Field(alias="from", description="The node the edge leaves")
    port: str = Field(default=DEFAULT_PORT, pattern=PORT_PATTERN, description="The output port it leaves from")
    target: str = Field(alias="to", description="The node it enters")


class WorkflowSettings(_Strict):
    mode: Literal["standard", "express"] = "standard"
    timeout_seconds: int | None = Field(default=None, ge=1, le=31_536_000, description="Of the whole execution")
    error_workflow_id: str | None = Field(default=None, description="Runs with the failure details when this fails")
    max_concurrency: int | None = Field(default=None, ge=1, le=10_000, description="Concurrent executions allowed")


class WorkflowGraph(_Strict):
    """The compiled part of a workflow: what runs."""

    nodes: list[Node] = Field(min_length=1, max_length=10_000)
    edges: list[Edge] = Field(default_factory=list, max_length=20_000)
    settings: WorkflowSettings = Field(default_factory=WorkflowSettings)


class WorkflowDefinition(WorkflowGraph):
    """A workflow document: what the editor saves, exports and imports."""

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    expose_as_tool: StrictBool | None = Field(
        default=None,
        description="Published, the workflow is a tool of the tenant's MCP server (POST /v1/mcp, docs/mcp.md)",
    )
