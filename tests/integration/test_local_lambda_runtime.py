"""A state machine's Lambda Invoke runs the real catalog handler in-process, as Lambda would."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devserver.emulation import LOCAL_REGION, LOCAL_ROLE_ARN
from devserver.lambda_runtime import LocalLambdaRuntime
from tests.helpers import wait_until


def _run_state_machine(definition: dict, execution_input: dict) -> Any:
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    machine = sfn.create_state_machine(
        name=f"probe-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=LOCAL_ROLE_ARN
    )
    execution = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], name=uuid.uuid4().hex, input=json.dumps(execution_input)
    )
    return wait_until(
        lambda: sfn.describe_execution(executionArn=execution["executionArn"]),
        lambda described: described["status"] != "RUNNING",
    )


def _invoke_task(function_name: str) -> dict:
    return {
        "StartAt": "Invoke",
        "States": {
            "Invoke": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_name, "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }


def test_a_task_gets_the_real_handler_output(emulated_aws: LocalLambdaRuntime) -> None:
    arn = emulated_aws.function_arn("nexus-forge-local-smoke-echo")
    described = _run_state_machine(_invoke_task(arn), {"name": "Grace"})
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert output["greeting"] == "Hello, Grace!"
    assert output["function_name"] == "nexus-forge-local-smoke-echo"


def test_a_function_can_be_named_by_name_or_qualified_arn(emulated_aws: LocalLambdaRuntime) -> None:
    for name in (
        "nexus-forge-local-smoke-echo",
        emulated_aws.function_arn("nexus-forge-local-smoke-echo") + ":$LATEST",
    ):
        described = _run_state_machine(_invoke_task(name), {"name": "Linus"})
        assert json.loads(described["output"])["greeting"] == "Hello, Linus!"


def test_an_unknown_function_fails_the_task_like_lambda(emulated_aws: LocalLambdaRuntime) -> None:
    described = _run_state_machine(_invoke_task("nexus-forge-local-no-such-function"), {"name": "x"})
    assert described["status"] == "FAILED"
    assert described["error"] == "Lambda.ResourceNotFoundException"
    assert "Function not found" in described["cause"]
    assert "nexus-forge-local-no-such-function" in described["cause"]


def test_a_handler_error_fails_the_task_with_its_error_type(emulated_aws: LocalLambdaRuntime) -> None:
    described = _run_state_machine(_invoke_task("nexus-forge-local-smoke-echo"), {"name": ""})
    assert described["status"] == "FAILED"
    assert described["error"] == "ValidationError"


def test_direct_invoke_of_an_unknown_function_is_resource_not_found(emulated_aws: LocalLambdaRuntime) -> None:
    with pytest.raises(ClientError) as raised:
        boto3.client("lambda", region_name=LOCAL_REGION).invoke(FunctionName="nexus-forge-local-ghost", Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_handler_sees_a_lambda_like_context(emulated_aws: LocalLambdaRuntime) -> None:
    response = boto3.client("lambda", region_name=LOCAL_REGION).invoke(
        FunctionName="nexus-forge-local-smoke-echo", Payload=json.dumps({"name": "Ada"}).encode()
    )
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    body = json.loads(response["Payload"].read())
    assert body["function_name"] == "nexus-forge-local-smoke-echo"
    assert len(body["request_id"]) == 36


def test_a_handler_error_leaves_its_trace_in_the_log_not_in_the_cause(emulated_aws: LocalLambdaRuntime, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="nexus_forge.local.lambda"):
        described = _run_state_machine(_invoke_task("nexus-forge-local-smoke-echo"), {"name": ""})
    cause = json.loads(described["cause"])
    assert cause["errorType"] == "ValidationError" and "name" in cause["errorMessage"]
    assert not [mark for mark in ("stackTrace", "/shared/", "/functions/") if mark in described["cause"]]
    (logged,) = [record for record in caplog.records if record.name == "nexus_forge.local.lambda"]
    assert logged.exc_info is not None and logged.correlation_id == cause["requestId"]
