"""The Step Functions execution name that carries the tenant, so a status event needs no lookup (the ids it carries:
shared/store/execution_ids.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_EXECUTION_NAME = re.compile(r"^(?P<tenant>[a-z0-9]{8,40})_(?P<execution>[0-9a-f]{23})$")


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
