"""Step Functions' native SageMaker integration for moto's state machine runner, which only forwards `sagemaker:`
tasks as WaitForTaskToken calls.

A `sagemaker:<action>` task calls SageMaker's API with its parameters, as Step Functions does (the boto3 call is
answered by the local training and transform runners' hooks, or by moto); `createTrainingJob.sync` and
`createTransformJob.sync` then poll DescribeTrainingJob / DescribeTransformJob until the job ends, so the state
machine waits for the subprocess that really trains or transforms. A job that ends Failed or Stopped fails the task
with `SageMaker.AmazonSageMakerException` and the job's description as the cause, as Step Functions reports it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.session
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

_installed = False
# The describe call of each .sync action: (operation, name parameter, status field).
_SYNC_DESCRIBES = {
    "create_training_job": ("describe_training_job", "TrainingJobName", "TrainingJobStatus"),
    "create_transform_job": ("describe_transform_job", "TransformJobName", "TransformJobStatus"),
}
_FAILED = frozenset({"Failed", "Stopped"})
# Step Functions' optimized SageMaker actions (its developer guide's list).
_ACTIONS = frozenset(
    {
        "createendpoint",
        "createendpointconfig",
        "createhyperparametertuningjob",
        "createlabelingjob",
        "createmodel",
        "createprocessingjob",
        "createtrainingjob",
        "createtransformjob",
        "updateendpoint",
    }
)


class StateTaskServiceSageMaker(StateTaskServiceCallback):
    def __init__(self) -> None:
        patterns: Any = {ResourceCondition.Sync, ResourceCondition.WaitForTaskToken}
        super().__init__(supported_integration_patterns=patterns)

    def _get_supported_parameters(self) -> set[str] | None:
        if self.resource.api_action.lower() not in _ACTIONS:
            return None
        model = botocore.session.get_session().get_service_model("sagemaker")
        operation = model.operation_model(self.resource.api_action[:1].upper() + self.resource.api_action[1:])
        return set(operation.input_shape.members) if operation.input_shape else set()

    def _client(self, resource_runtime_part: Any, state_credentials: Any) -> Any:
        return boto_client_for(
            service="sagemaker", region=resource_runtime_part.region, state_credentials=state_credentials
        )

    def _failure(self, env: Any, cause: str) -> Any:
        error = "SageMaker.AmazonSageMakerException"
        return FailureEventException(
            FailureEvent(
                env=env,
                error_name=CustomErrorName(error),
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(  # type: ignore[typeddict-item]
                    taskFailedEventDetails=TaskFailedEventDetails(
                        error=error,
                        cause=cause,
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                ),
            )
        )

    def _from_error(self, env: Any, ex: Exception) -> Any:
        from botocore.exceptions import ClientError

        if isinstance(ex, ClientError):
            return self._failure(env, ex.response["Error"]["Message"]).failure_event
        return super()._from_error(env=env, ex=ex)

    def _eval_service_task(
        self, env: Any, resource_runtime_part: Any, normalised_parameters: dict[str, Any], state_credentials: Any
    ) -> None:
        client = self._client(resource_runtime_part, state_credentials)
        response = getattr(client, self._get_boto_service_action())(**normalised_parameters)
        response.pop("ResponseMetadata", None)
        env.stack.append(json.loads(to_json_str(response)))

    def _build_sync_resolver(
        self, env: Any, resource_runtime_part: Any, normalised_parameters: dict[str, Any], state_credentials: Any
    ) -> Callable[[], Any]:
        env.stack.pop()
        operation, name_parameter, status_field = _SYNC_DESCRIBES[self._get_boto_service_action()]
        client = self._client(resource_runtime_part, state_credentials)
        name = normalised_parameters[name_parameter]

        def _resolve() -> dict[str, Any] | None:
            described = getattr(client, operation)(**{name_parameter: name})
            described.pop("ResponseMetadata", None)
            status = described[status_field]
            if status == "Completed":
                return dict(json.loads(to_json_str(described)))
            if status in _FAILED:
                raise self._failure(env, to_json_str(described))
            return None

        return _resolve


def install_sagemaker_integration() -> None:
    """Idempotent: `arn:aws:states:::sagemaker:*` tasks run through StateTaskServiceSageMaker."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory

    original = state_task_factory.state_task_service_for  # type: ignore[attr-defined]

    def state_task_service_for(service_name: str) -> Any:
        return StateTaskServiceSageMaker() if service_name == "sagemaker" else original(service_name=service_name)

    state_task_factory.state_task_service_for = state_task_service_for  # type: ignore[attr-defined]
    _installed = True
