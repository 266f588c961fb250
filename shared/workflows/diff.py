"""What changed between two workflow documents: nodes by id, edges, settings and name."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class NodeChange(BaseModel):
    id: str
    fields: list[str]


class ValueChange(BaseModel):
    field: str
    before: Any
    after: Any


class WorkflowDiff(BaseModel):
    nodes_added: list[str]
    nodes_removed: list[str]
    nodes_changed: list[NodeChange]
    edges_added: list[dict[str, str]]
    edges_removed: list[dict[str, str]]
    changes: list[ValueChange]


def _edge_key(edge: dict[str, Any]) -> tuple[str, str, str]:
    return (edge["from"], edge.get("port", "out"), edge["to"])


def diff_workflows(before: dict[str, Any], after: dict[str, Any]) -> WorkflowDiff:
    old_nodes = {node["id"]: node for node in before.get("nodes", [])}
    new_nodes = {node["id"]: node for node in after.get("nodes", [])}
    changed = [
        NodeChange(id=node_id, fields=sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key)))
        for node_id, new in new_nodes.items()
        if node_id in old_nodes and (old := old_nodes[node_id]) != new
    ]
    old_edges = {_edge_key(edge) for edge in before.get("edges", [])}
    new_edges = {_edge_key(edge) for edge in after.get("edges", [])}
    old_settings, new_settings = before.get("settings") or {}, after.get("settings") or {}
    changes = [
        ValueChange(field=f"settings.{key}", before=old_settings.get(key), after=new_settings.get(key))
        for key in sorted(set(old_settings) | set(new_settings))
        if old_settings.get(key) != new_settings.get(key)
    ]
    changes += [
        ValueChange(field=key, before=before.get(key), after=after.get(key))
        for key in ("name", "description")
        if before.get(key) != after.get(key)
    ]
    return WorkflowDiff(
        nodes_added=sorted(set(new_nodes) - set(old_nodes)),
        nodes_removed=sorted(set(old_nodes) - set(new_nodes)),
        nodes_changed=changed,
        edges_added=[{"from": s, "port": p, "to": t} for s, p, t in sorted(new_edges - old_edges)],
        edges_removed=[{"from": s, "port": p, "to": t} for s, p, t in sorted(old_edges - new_edges)],
        changes=changes,
    )
