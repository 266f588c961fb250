"""The tool formats by name: light enough for a route's parameters to import without the converters."""

from __future__ import annotations

from enum import StrEnum


class ToolFormatName(StrEnum):
    MCP = "mcp"
    OPENAI_CHAT = "openai_chat"
    OPENAI_RESPONSES = "openai_responses"
    ANTHROPIC = "anthropic"
    BEDROCK = "bedrock"
    LANGCHAIN = "langchain"
    AUTOGEN = "autogen"
    CREWAI = "crewai"
    SEMANTIC_KERNEL = "semantic_kernel"
