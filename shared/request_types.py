"""Request field types as strict as the OpenAPI document declares them: pydantic would coerce more (a number or a
bare date to a datetime), and a request the document forbids must be refused."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator, Field

_RFC_3339_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _rfc_3339_text(value: object) -> object:
    if isinstance(value, str) and _RFC_3339_DATE_TIME.fullmatch(value):
        return value
    raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-01-31T09:00:00Z")


Rfc3339DateTime = Annotated[AwareDatetime, BeforeValidator(_rfc_3339_text)]


def _json_integer(value: object) -> object:
    # JSON Schema's integer includes 2.0 but not true or "2", which pydantic would also take.
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON integer")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]
# The bound goes before the validator, or the document states it as `ge`, which JSON Schema does not know.
PositiveJsonInt = Annotated[int, Field(ge=1), BeforeValidator(_json_integer)]
