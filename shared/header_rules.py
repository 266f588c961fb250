"""What may go into an HTTP header that a tenant's request sends: one rule for node parameters and credentials.

A name holds no whitespace, control character or colon (credentials ask for an RFC 9110 token besides) and is
compared case-insensitively and without surrounding whitespace, so `Authorization ` or `Authorization\t` is
`authorization`. A value holds no control character but the horizontal tab (RFC 9110 field values): CR or LF would
split the request, NUL truncates it.
"""

from __future__ import annotations

import re

MAX_HEADER_NAME_CHARS = 128
HEADER_TOKEN = re.compile(rf"^[!#$%&'*+.^_`|~0-9A-Za-z-]{{1,{MAX_HEADER_NAME_CHARS}}}$")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NOT_IN_NAMES = re.compile(r"[\x00-\x20\x7f:]")


def normalised_header_name(name: str) -> str:
    return name.strip().lower()


def header_name_error(name: str) -> str | None:
    if not name or len(name) > MAX_HEADER_NAME_CHARS:
        return f"a header name has 1 to {MAX_HEADER_NAME_CHARS} characters, not {len(name)}"
    if _NOT_IN_NAMES.search(name):
        return f"header name {name!r} has whitespace, a control character or a colon"
    return None


def header_value_error(name: str, value: str) -> str | None:
    if _CONTROL.search(value):
        return f"header {name!r} has a control character (CR, LF, NUL or another) in its value"
    return None
