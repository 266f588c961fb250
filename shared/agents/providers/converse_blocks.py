"""What the wire formats without a place for a Converse block's detail share: a tool result as text, the arguments
of a tool call as the JSON object Converse's `toolUse.input` is."""

from __future__ import annotations

import json
from typing import Any

from shared.agents.providers.contract import ProviderError, ToolResult

# OpenAI's tool outputs carry no error flag: a failed tool's output says so in its text.
TOOL_ERROR_PREFIX = "Error: "


def tool_result_text(result: ToolResult) -> str:
    """The result's blocks as one text: text as is, JSON serialised."""
    return "".join(
        block["text"] if "text" in block else json.dumps(block.get("json"), ensure_ascii=False)
        for block in result["content"]
    )


def tool_output_with_status(result: ToolResult) -> str:
    text = tool_result_text(result)
    return TOOL_ERROR_PREFIX + text if result["status"] == "error" else text


def tool_arguments(provider: str, tool_name: str, arguments: str) -> dict[str, Any]:
    """A tool call's arguments as OpenAI formats send them (a JSON text), as the object Converse holds."""
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ProviderError(
            f"{provider}: the model called {tool_name!r} with arguments that are not a JSON object", provider=provider
        )
    return parsed
