"""MCP's Tool (the canonical shape itself), as `tools/list` returns it."""

from __future__ import annotations

from typing import Any

from shared.agents.tools.canonical import CanonicalTool, Conversion, DroppedFeature, ToolFormat, canonical_tool

POINTERS = {"name": "/name", "description": "/description", "inputSchema": "/inputSchema"}
# What an MCP server may add to a tool that says nothing about calling it.
PRESENTATION_FIELDS = {"_meta": "an MCP server's own metadata", "icons": "how a client draws the tool"}


def read(document: dict[str, Any]) -> Conversion:
    described = {key: value for key, value in document.items() if key not in PRESENTATION_FIELDS}
    dropped = [DroppedFeature("/" + key, PRESENTATION_FIELDS[key]) for key in document if key in PRESENTATION_FIELDS]
    return Conversion(tool=canonical_tool(described), dropped=dropped)


def write(tool: CanonicalTool) -> Conversion:
    return Conversion(tool=tool.to_document())


MCP = ToolFormat(
    name="mcp",
    reference="modelcontextprotocol.io/specification/2025-06-18/server/tools#tool",
    read=read,
    write=write,
    field_pointers=POINTERS,
)
