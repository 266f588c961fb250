"""Starting an execution of a published state machine version, which moto's executor refuses.

Step Functions runs `StartExecution` on `<state machine ARN>:<version>` with that version's definition; moto's
executing backend only starts the state machine itself. This runs the version's definition on the state machine
(moto snapshots the definition when the execution starts), so triggers run exactly the version they name. An alias
(`...:live`) starts the version it routes to (the heaviest route: the emulation does not split traffic).
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_installed = False


def install_version_starts() -> None:
    """Idempotent; part of the local Step Functions runtime."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.models import StateMachineVersion
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    start_unversioned = StepFunctionsParserBackend.start_execution

    def start_execution(self: Any, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
        if _is_alias(state_machine_arn):
            routes = self.describe_state_machine_alias(state_machine_arn).routing_configuration
            state_machine_arn = max(routes, key=lambda route: route["weight"])["stateMachineVersionArn"]
        machine = self.describe_state_machine(state_machine_arn)
        if not isinstance(machine, StateMachineVersion):
            return start_unversioned(self, state_machine_arn, *args, **kwargs)
        source = self.describe_state_machine(machine.source_arn)
        with _lock:
            latest = source.definition
            source.definition = machine.definition
            try:
                return start_unversioned(self, machine.source_arn, *args, **kwargs)
            finally:
                source.definition = latest

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]
    _installed = True


def _is_alias(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) == 8 and not parts[7].isdigit()
