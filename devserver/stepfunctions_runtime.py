"""What moto's Step Functions executor lacks for compiled workflows, supplied when the emulation starts.

JSONata: moto parses JSONata states but leaves evaluation unset; devserver/stepfunctions_expressions.py evaluates
them with jsonata-python, bounded.

Service integrations: moto passes a task's `Arguments` to boto3 as written (`StateMachineArn`), where Step Functions
maps them onto the API's member names (`stateMachineArn`) and the answer back (`ExecutionArn`, `Output`); without
that, `states:startExecution` fails.

SageMaker: moto forwards `sagemaker:` tasks without waiting for `.sync`; devserver/stepfunctions_sagemaker.py waits
for the local training and transform runners as Step Functions waits for SageMaker.

SendTaskFailure: moto's API handler drops the `cause`, which Step Functions records with the error; it is passed on.

State.EnteredTime: moto writes it as `datetime.isoformat()` (microseconds, `+00:00`); Step Functions writes ISO 8601
in UTC with milliseconds and `Z` (`2026-12-06T11:02:09.123Z`), which approval nodes send and workflows may read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

_installed = False


def _normalise_start_execution(self: Any, parameters: dict[str, Any], *args: Any, **kwargs: Any) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )

    if self._get_boto_service_action() == "start_execution":
        for key in ("StateMachineArn", "Input", "Name"):
            if key in parameters:
                parameters[key[0].lower() + key[1:]] = parameters.pop(key)
        if not isinstance(parameters.get("input"), str):
            parameters["input"] = json.dumps(parameters.get("input") or {})
    super(StateTaskServiceSfn, self)._normalise_parameters(parameters, *args, **kwargs)


def _sfn_cased_response(self: Any, response: Any, *args: Any, **kwargs: Any) -> None:
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    if isinstance(response, dict):
        # Times become ISO strings, as in the JSON Step Functions hands to the next state.
        plain = json.loads(to_json_str(response))
        response.clear()
        response.update({key[:1].upper() + key[1:]: value for key, value in plain.items()})


def _send_task_failure_with_cause(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    self.stepfunction_backend.send_task_failure(
        self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
    )
    return EmptyResult()


def _state_data_with_step_functions_time(**fields: Any) -> dict[str, Any]:
    entered = datetime.fromisoformat(fields["EnteredTime"]).astimezone(UTC)
    return fields | {"EnteredTime": entered.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def install_stepfunctions_runtime() -> None:
    """Idempotent; call before moto executes a state machine."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state import state
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )
    from moto.stepfunctions.parser.asl.eval import variable_store
    from moto.stepfunctions.parser.asl.jsonata import jsonata
    from moto.stepfunctions.responses import StepFunctionResponse

    from devserver.stepfunctions_control import install_stepfunctions_control
    from devserver.stepfunctions_expressions import encode_variable_declarations, install_bounded_expressions
    from devserver.stepfunctions_map import install_bounded_map
    from devserver.stepfunctions_sagemaker import install_sagemaker_integration
    from devserver.stepfunctions_versions import install_version_starts

    install_version_starts()
    install_stepfunctions_control()
    install_bounded_map()
    install_sagemaker_integration()
    install_bounded_expressions()

    StateTaskServiceSfn._normalise_parameters = _normalise_start_execution  # type: ignore[method-assign]
    StateTaskServiceSfn._normalise_response = _sfn_cased_response  # type: ignore[method-assign]
    StepFunctionResponse.send_task_failure = _send_task_failure_with_cause  # type: ignore[method-assign]
    state.StateData = _state_data_with_step_functions_time  # type: ignore[attr-defined,assignment]
    for module in (jsonata, variable_store):
        module.encode_jsonata_variable_declarations = encode_variable_declarations  # type: ignore[attr-defined]
    _installed = True
