"""A workflow described as a tool an agent or another framework can call (GET /v1/workflows/{id}/tool)."""

from __future__ import annotations

import re
from typing import Any

from shared.agents.tools.canonical import CanonicalTool
from shared.agents.tools.rules import empty_object_schema

# The characters and length every format accepts (Semantic Kernel's [0-9A-Za-z_], OpenAI's and Bedrock's 64).
UNSAFE_NAME_CHARACTERS = re.compile(r"[^0-9A-Za-z_]+")
SAFE_NAME_MAX_LENGTH = 64
FALLBACK_NAME = "workflow"


def safe_tool_name(workflow_name: str) -> str:
    """`Send invoice (v2)` → `Send_invoice_v2`: runs of other characters become one underscore."""
    name = UNSAFE_NAME_CHARACTERS.sub("_", workflow_name).strip("_")[:SAFE_NAME_MAX_LENGTH].rstrip("_")
    return name or FALLBACK_NAME


def workflow_tool(document: dict[str, Any]) -> CanonicalTool:
    """Workflows declare no input schema yet, so the tool takes any JSON object (no properties named, none
    forbidden): the execution's input. Every format holds that schema as it is."""
    name = document["name"]
    description = document.get("description") or f"Runs the workflow {name!r} with the arguments as its input."
    return CanonicalTool(name=safe_tool_name(name), description=description, input_schema=empty_object_schema())
