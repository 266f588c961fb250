"""Numbers JSON does not have: `NaN`, `Infinity`, `-Infinity`, and literals too large for a double (`1e400`).

Python's json module reads them as floats that pydantic then writes back as null, so a request would silently
store something other than what was sent. The request guard refuses them for every route before the route runs,
parsing the body once more for it: about 8 µs for a 300-byte body, about as long as the route's own parse for a
large one (~260 ms for 4.4 MB on the 2-core development machine).
"""

from __future__ import annotations

import json
import math
from typing import Any


class _Refused:
    def __init__(self, text: str) -> None:
        self.text = text


class NonJsonNumber(ValueError):
    """A JSON text holds a number JSON does not have."""


def loads_finite(text: str | bytes) -> Any:
    """`json.loads` that refuses numbers JSON does not have (NonJsonNumber, a ValueError) instead of reading them."""

    def refuse(literal: str) -> float:
        raise NonJsonNumber(f"{literal} is not a JSON number")

    def number(literal: str) -> float:
        value = float(literal)
        return value if math.isfinite(value) else refuse(literal)

    return json.loads(text, parse_constant=refuse, parse_float=number)


def non_json_numbers(body: bytes) -> list[tuple[str, str]]:
    """(JSON pointer under /body, the literal) of each number JSON does not have; none for a body that is not JSON
    at all, which the route's own parsing refuses."""
    found: list[_Refused] = []

    def constant(text: str) -> _Refused:
        found.append(_Refused(text))
        return found[-1]

    def number(text: str) -> float | _Refused:
        value = float(text)
        return value if math.isfinite(value) else constant(text)

    try:
        document = json.loads(body, parse_constant=constant, parse_float=number)
    except (ValueError, RecursionError):
        return []
    return list(_locate(document, ("body",))) if found else []


def _locate(value: Any, location: tuple[Any, ...]) -> Any:
    if isinstance(value, _Refused):
        yield "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in location), value.text
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _locate(item, (*location, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _locate(item, (*location, index))
