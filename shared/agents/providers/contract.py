"""The one interface every model provider implements: one model turn of a conversation.

The conversation is held in Amazon Bedrock Converse's message shape (documented, JSON-native, and what the default
cloud provider takes as is); every other provider converts to and from it in its own module. A turn never sees
the tenant's secrets except `ProviderCall.api_key`, which a provider sends only as its own auth header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict


class ToolUse(TypedDict):
    toolUseId: str
    name: str
    input: dict[str, Any]


class ToolResultContent(TypedDict, total=False):
    json: Any
    text: str


class ToolResult(TypedDict):
    toolUseId: str
    content: list[ToolResultContent]
    status: Literal["success", "error"]


class ContentBlock(TypedDict, total=False):
    """Exactly one key is set: `text`, `toolUse` (assistant) or `toolResult` (user)."""

    text: str
    toolUse: ToolUse
    toolResult: ToolResult


class Message(TypedDict):
    role: Literal["user", "assistant"]
    content: list[ContentBlock]


class ToolSpec(TypedDict):
    """A tool as the model sees it (the canonical tool's name, description and input schema)."""

    name: str
    description: str
    inputSchema: dict[str, Any]


class Usage(TypedDict):
    input_tokens: int
    output_tokens: int


StopReason = Literal["end_turn", "tool_use", "max_tokens"]


@dataclass(frozen=True)
class ModelTurnRequest:
    model_id: str
    messages: list[Message]
    system: str | None = None
    tools: list[ToolSpec] = field(default_factory=list)
    max_tokens: int = 1024
    temperature: float | None = None
    # When set, the final answer must be JSON valid against it; a provider that can constrain decoding does so.
    output_schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class Guardrail:
    """An Amazon Bedrock guardrail applied to a turn (the bedrock provider only)."""

    identifier: str
    version: str


@dataclass(frozen=True)
class ProviderCall:
    """Where and as whom a provider is reached: a base URL for self-hosted servers, a key from the credential."""

    base_url: str | None = None
    api_key: str | None = None
    region: str | None = None
    # Hosts the SSRF guard lets reach private or loopback addresses: the tenant's `http_allowed_hosts`, as for the
    # http_request node (127.0.0.1 for a model server beside `forge dev`).
    allowed_hosts: frozenset[str] = frozenset()
    timeout_seconds: float = 60.0
    guardrail: Guardrail | None = None


@dataclass(frozen=True)
class ModelTurn:
    """The model's answer: the assistant message to append, why it stopped and what it cost."""

    message: Message
    stop_reason: StopReason
    usage: Usage

    @property
    def tool_uses(self) -> list[ToolUse]:
        return [block["toolUse"] for block in self.message["content"] if "toolUse" in block]

    @property
    def text(self) -> str:
        return "".join(block["text"] for block in self.message["content"] if "text" in block)


class ModelProvider(Protocol):
    """One module per provider (bedrock, openai_chat, openai_responses, anthropic, openai_compatible, sagemaker)."""

    name: str

    def converse(self, request: ModelTurnRequest, call: ProviderCall) -> ModelTurn: ...


class ProviderFailure(Exception):
    """A provider failure with the stable node error a workflow's Retry/Catch can name."""

    error: str = "Agent.ProviderError"

    def __init__(self, message: str, *, provider: str, status: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status


class ProviderThrottled(ProviderFailure):
    error = "Agent.Throttled"


class ContextTooLong(ProviderFailure):
    error = "Agent.ContextTooLong"


class ProviderError(ProviderFailure):
    error = "Agent.ProviderError"
