"""Query parameter types the routes share, validated as strictly as the OpenAPI document declares them."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator

_RFC_3339_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _rfc_3339_text(value: object) -> object:
    # Pydantic alone would also take a number (0.5 is a Unix time) or a date, which `format: date-time` does not.
    if isinstance(value, str) and _RFC_3339_DATE_TIME.fullmatch(value):
        return value
    raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-01-31T09:00:00Z")


DateTimeQuery = Annotated[AwareDatetime, BeforeValidator(_rfc_3339_text)]
