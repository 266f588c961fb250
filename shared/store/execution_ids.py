"""Execution ids: the sort keys of execution records (shared/store/executions.py), ordered by start time."""

from __future__ import annotations

import re
import secrets
import time
from datetime import datetime

# 11 hex digits of milliseconds since the epoch, then 48 random bits: ids sort by start time.
_EXECUTION_ID = re.compile(r"^[0-9a-f]{23}$")
_RANDOM_BITS = 48


def new_execution_id(now: float | None = None) -> str:
    milliseconds = int((time.time() if now is None else now) * 1000)
    return f"{milliseconds:011x}{secrets.randbits(_RANDOM_BITS):012x}"


def is_execution_id(value: str) -> bool:
    return bool(_EXECUTION_ID.match(value))


def execution_id_floor(moment: datetime) -> str:
    """The smallest execution id started at or after `moment`."""
    return f"{int(moment.timestamp() * 1000):011x}" + "0" * 12


def execution_id_ceiling(moment: datetime) -> str:
    """The largest execution id started at or before `moment`."""
    return f"{int(moment.timestamp() * 1000):011x}" + "f" * 12
