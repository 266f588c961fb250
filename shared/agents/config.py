"""What the compiled agent loop hands `node_agent`: the agent's fixed configuration and the loop's state."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.agents.providers.registry import ProviderName

CREDENTIAL_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,128}$"
TOOL_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuardrailChoice(_Strict):
    identifier: str = Field(min_length=1, max_length=2048, description="A Bedrock guardrail's id or ARN")
    version: str = Field(default="DRAFT", pattern=r"^(DRAFT|[1-9][0-9]{0,7})$")


class ModelChoice(_Strict):
    provider: ProviderName = "bedrock"
    model_id: str = Field(min_length=1, max_length=2048, description="The provider's model id")
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$", description="bedrock, sagemaker")
    base_url: str | None = Field(
        default=None, max_length=2048, pattern=r"^https?://", description="An OpenAI-compatible server's base URL"
    )
    guardrail: GuardrailChoice | None = Field(default=None, description="bedrock only")


class AgentConfig(BaseModel):
    """The agent as compiled: fixed for the whole loop, whatever a model or a tool result says."""

    model: ModelChoice
    credential: str | None = None
    # ToolSpec's shape (a TypedDict pydantic can't read on Python 3.11: typing's, not typing_extensions').
    tools: list[dict[str, Any]] = Field(default_factory=list)
    output_schema: dict[str, Any] | None = None
    max_turns: int
    max_tokens: int
    temperature: float | None = None
    memory_window: int | None = None


class ToolOutcome(BaseModel):
    """One tool call's result as the compiled tool states return it."""

    toolUseId: str
    name: str
    status: Literal["success", "error"]
    result: Any = None
    bytes: int = 0


class TurnEvent(BaseModel):
    tenant_id: str
    workflow_id: str
    node_id: str
    execution_id: str
    # Compiled into the definition as one JSON string, so Step Functions evaluates nothing inside it.
    agent: AgentConfig
    state: dict[str, Any]

    @field_validator("agent", mode="before")
    @classmethod
    def _from_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value
