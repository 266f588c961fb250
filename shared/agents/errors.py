"""The agent node's stable errors. Lambda reports an exception's class name as the error a workflow's Retry and Catch
name, so each class is named exactly as the error (`Agent.InvalidOutput`), which a `class` statement can't spell."""

from __future__ import annotations

from typing import ClassVar

from shared.agents.providers.contract import ProviderFailure


class AgentError(Exception):
    error: ClassVar[str] = "Agent.Error"


def _named(error: str) -> type[AgentError]:
    return type(error, (AgentError,), {"error": error, "__module__": __name__})


AgentThrottled = _named("Agent.Throttled")
AgentProviderError = _named("Agent.ProviderError")
AgentContextTooLong = _named("Agent.ContextTooLong")
AgentInvalidOutput = _named("Agent.InvalidOutput")
AgentToolRefused = _named("Agent.ToolRefused")
# An MCP tool that answered with an error, or could not be called (its message says which): the call's error result.
AgentToolFailed = _named("Agent.ToolFailed")
AgentQuotaExceeded = _named("Agent.QuotaExceeded")
# Raised by the compiled loop's Fail state, not by the function: named here so every agent error is in one place.
MAX_TURNS = "Agent.MaxTurns"

_BY_ERROR = {kind.error: kind for kind in (AgentThrottled, AgentProviderError, AgentContextTooLong)}


def node_error(failure: ProviderFailure) -> AgentError:
    """The provider's failure as the node error of the same name (its message, never a secret, as the cause)."""
    return _BY_ERROR.get(failure.error, AgentProviderError)(str(failure))
