"""forge dev's own DynamoDB and Step Functions calls reach moto's backends in-process, without the loopback socket;
its other calls, and every other process's, still go to the server; writes still mark the state as changed."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from devserver.emulation import LOCAL_REGION, LOCAL_ROLE_ARN, EmulationChanges
from devserver.inprocess_dispatch import install_inprocess_dispatch
from devserver.subprocess_platform import free_port

PASS = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> str:
    """A loopback endpoint where nothing listens: whatever answers there was served in-process."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    return f"http://127.0.0.1:{free_port()}"


def _client(service: str, endpoint: str) -> object:
    # A new session, as forge dev's threads make: its handlers are those installed by then.
    return boto3.Session().client(service, region_name=LOCAL_REGION, endpoint_url=endpoint)  # type: ignore[call-overload]


def test_dynamodb_and_step_functions_are_served_in_process_and_their_writes_counted(endpoint: str) -> None:
    changes = EmulationChanges()
    install_inprocess_dispatch(endpoint, LOCAL_REGION, changes.request)
    dynamodb, sfn = _client("dynamodb", endpoint), _client("stepfunctions", endpoint)
    table = f"inprocess-{uuid.uuid4().hex[:8]}"

    dynamodb.create_table(  # type: ignore[attr-defined]
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "value": {"N": "1"}})  # type: ignore[attr-defined]
    after_writes = changes.generation
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]  # type: ignore[attr-defined]
    machine = sfn.create_state_machine(  # type: ignore[attr-defined]
        name=f"inprocess-{uuid.uuid4().hex[:8]}", definition=PASS, roleArn=LOCAL_ROLE_ARN
    )["stateMachineArn"]

    assert item == {"pk": {"S": "a"}, "value": {"N": "1"}}
    assert after_writes == 2, "CreateTable and PutItem change what a snapshot keeps"
    assert changes.generation == 3, "GetItem changes nothing; CreateStateMachine does"
    assert sfn.describe_state_machine(stateMachineArn=machine)["name"].startswith("inprocess-")  # type: ignore[attr-defined]


def test_errors_come_back_as_the_service_sends_them(endpoint: str) -> None:
    install_inprocess_dispatch(endpoint, LOCAL_REGION, EmulationChanges().request)

    with pytest.raises(ClientError) as raised:
        _client("dynamodb", endpoint).get_item(TableName="no-such-table", Key={"pk": {"S": "a"}})  # type: ignore[attr-defined]

    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_other_services_still_go_to_the_server(endpoint: str) -> None:
    install_inprocess_dispatch(endpoint, LOCAL_REGION, EmulationChanges().request)
    sqs = _client("sqs", endpoint)

    with pytest.raises(EndpointConnectionError):
        sqs.list_queues()  # type: ignore[attr-defined]
