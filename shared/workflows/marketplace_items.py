"""Which marketplace items a published version's executions count for (docs/marketplace.md, "Measured performance"):
the template the workflow was installed from, and the items whose node presets (`<ns>.<name>.<key>`) its nodes use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def items_of_workflow(template_item: str | None, document: dict[str, Any]) -> list[str]:
    """`<ns>/<name>` of each item, sorted."""
    items = {template_item} if template_item else set()
    for preset_id in _preset_ids(document):
        namespace, name, _ = preset_id.split(".", 2)
        items.add(f"{namespace}/{name}")
    return sorted(items)


def _preset_ids(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        params = value.get("params")
        if value.get("type") == "preset" and isinstance(params, dict) and str(params.get("preset", "")).count(".") >= 2:
            yield str(params["preset"])
        for item in value.values():
            yield from _preset_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _preset_ids(item)
