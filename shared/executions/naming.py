"""Execution ids and the Step Functions execution name that carries the tenant, so a status event needs no lookup."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

# 11 hex digits of milliseconds since the epoch, then 48 random bits: ids sort by start time.
_EXECUTION_ID = re.compile(r"^[0-9a-f]{23}$")
_EXECUTION_NAME = re.compile(r"^(?P<tenant>[a-z0-9]{8,40})_(?P<execution>[0-9a-f]{23})$")
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


@dataclass(frozen=True)
class ExecutionName:
    """`<tenant id>_<execution id>`: the name of the Step Functions execution of a platform execution."""

    tenant_id: str
    execution_id: str

    def __str__(self) -> str:
        return f"{self.tenant_id}_{self.execution_id}"

    @classmethod
    def parse(cls, name: str) -> ExecutionName | None:
        """None for executions the platform did not start (another tool's, or a state machine's child)."""
        match = _EXECUTION_NAME.match(name)
        return cls(match["tenant"], match["execution"]) if match else None


def execution_arn(state_machine_arn: str, name: ExecutionName) -> str:
    """The ARN Step Functions gives an execution of a state machine (or of one of its versions)."""
    parts = state_machine_arn.split(":")
    return ":".join([*parts[:5], "execution", parts[6], str(name)])
