"""EventBridge patterns matched as moto's `EventPattern.matches_event` matches them, for events that are JSON already.

moto's matcher first copies the event through JSON (`json.loads(json.dumps(event))`, so that what it flattens holds
only what JSON holds), then flattens it and walks the pattern. The emulation's events — the table stream poller's
records (already read back from their text when they held anything else) and the status watcher's Step Functions
status changes (strings, integers, None, lists and dicts) — come out of that copy equal to themselves, so the copy is
left out and the event is flattened once for all the patterns it is matched against. The copy was most of what a match
cost (160 us of a stream record of the executions table, session 11). Upstream note: moto's `matches_event` could
skip the copy for an event made of JSON's types. tests/unit/devserver/test_table_stream_filters.py and
tests/integration/test_execution_watcher.py compare both matchers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from moto.events.models import EventPattern


def load_pattern(pattern: dict[str, Any]) -> EventPattern:
    """A pattern parsed as moto parses a rule's."""
    return EventPattern.load(json.dumps(pattern))


def matches_json_event(patterns: Iterable[EventPattern], event: dict[str, Any]) -> bool:
    """Whether one of `patterns` matches `event` (moto's `matches_event` of each, `any`), `event` being made of JSON's
    types only (dicts with string keys, lists, strings, numbers, booleans, None)."""
    return matches_flattened(patterns, lambda: flattened(event))


def flattened(event: dict[str, Any]) -> dict[str, Any]:
    """The event as moto's matcher reads it (its paths joined by dots), once for every pattern it is matched against."""
    return EventPattern._flatten_dict(event)


def matches_flattened(patterns: Iterable[EventPattern], flat: Callable[[], dict[str, Any]]) -> bool:
    """`matches_json_event` of the event `flat()` flattens, called only if a pattern needs it."""
    flat_event: dict[str, Any] | None = None
    for pattern in patterns:
        rule = pattern.get_pattern()
        if not rule:
            return True
        if flat_event is None:
            flat_event = flat()
        if pattern._does_event_match(flat_event, rule):
            return True
    return False
