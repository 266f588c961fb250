"""The node catalog: one module per node type, each declaring its parameters and emitting its own states."""

from __future__ import annotations

import importlib
from typing import Any

from shared.workflows.nodes.base import NodeType

NODE_MODULES = (
    "manual",
    "webhook",
    "schedule",
    "transform",
    "condition",
    "switch",
    "parallel",
    "join",
    "loop",
    "wait",
    "http_request",
    "mcp_tool",
    "preset",
    "subworkflow",
    "agent",
    "approval",
    "notify",
    "emit_event",
    "succeed",
    "fail",
)


def _load() -> dict[str, NodeType[Any]]:
    registry: dict[str, NodeType[Any]] = {}
    for module_name in NODE_MODULES:
        node_type: NodeType[Any] = importlib.import_module(f"{__name__}.{module_name}").NODE_TYPE
        registry[node_type.type] = node_type
    return registry


NODE_TYPES: dict[str, NodeType[Any]] = _load()
