"""Tools every agent may be given that need no network: the time, and arithmetic over JSONata (bounded)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.agents.providers.contract import ToolSpec

MAX_EXPRESSION_CHARS = 1_000


class BuiltinToolError(Exception):
    """Lambda reports the class name: the tool call's error, which the model reads as its result."""


def current_time(arguments: dict[str, Any]) -> dict[str, Any]:
    zone_name = arguments.get("timezone") or "UTC"
    try:
        zone = ZoneInfo(str(zone_name))
    except (ZoneInfoNotFoundError, ValueError):
        raise BuiltinToolError(f"unknown time zone {zone_name!r}") from None
    now = datetime.now(UTC)
    return {"utc": now.isoformat(), "timezone": str(zone_name), "local": now.astimezone(zone).isoformat()}


def calculator(arguments: dict[str, Any]) -> dict[str, Any]:
    from jlens import Expression, JlensError

    text = arguments.get("expression")
    if not isinstance(text, str) or not text.strip():
        raise BuiltinToolError("`expression` must be a JSONata expression, e.g. `(2 + 3) * 4` or `$sum([1, 2])`")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise BuiltinToolError(f"`expression` is longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        value = Expression(text).evaluate(
            None, timeout=1.0, max_steps=100_000, max_array_length=10_000, max_string_length=10_000
        )
    except JlensError as error:
        raise BuiltinToolError(f"the expression failed: {error}") from None
    return {"expression": text, "value": value}


BUILTINS: dict[str, tuple[ToolSpec, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "current_time": (
        {
            "name": "current_time",
            "description": "The current date and time, in UTC and in an IANA time zone",
            "inputSchema": {
                "type": "object",
                "properties": {"timezone": {"type": "string", "description": "e.g. Europe/Paris; UTC if absent"}},
            },
        },
        current_time,
    ),
    "calculator": (
        {
            "name": "calculator",
            "description": "Evaluates an arithmetic JSONata expression such as `(2 + 3) * 4` or `$round(10 / 3, 2)`",
            "inputSchema": {
                "type": "object",
                "properties": {"expression": {"type": "string"}},
                "required": ["expression"],
            },
        },
        calculator,
    ),
}


def run_builtin(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    found = BUILTINS.get(name)
    if found is None:
        raise BuiltinToolError(f"no built-in tool {name!r}")
    return found[1](arguments)
