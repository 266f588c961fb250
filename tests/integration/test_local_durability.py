"""forge dev's durability: what reached the emulation after its last snapshot is in the write-ahead log and is put
back over the snapshot after a crash, state machines (versions, aliases) and the SageMaker Model Registry included; a
cancelled transaction is not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from devserver.dynamodb_atomicity import install_dynamodb_atomicity
from devserver.emulation import (
    LOCAL_ACCOUNT,
    LOCAL_PREFIX,
    LOCAL_REGION,
    LOCAL_ROLE_ARN,
    LocalAws,
    LocalEndpoints,
    ResourceProvisioner,
)
from devserver.lambda_runtime import LocalLambdaRuntime
from devserver.stepfunctions_runtime import install_stepfunctions_runtime
from devserver.write_ahead_log import WriteAheadLog, install_write_ahead_log, replay, service_backends
from shared.aws import clients
from shared.aws.sagemaker import approved_model_metadata
from shared.resources import EXECUTIONS_TABLE

TABLE = f"{LOCAL_PREFIX}-durability"
BUCKET = f"{LOCAL_PREFIX}-durability-bucket"
DEFINITION = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


def client(service: str) -> Any:
    return boto3.client(service, region_name=LOCAL_REGION)  # type: ignore[call-overload]


def crash() -> None:
    """What a kill -9 leaves of the emulation in memory: nothing."""
    for service in ("dynamodb", "s3", "scheduler", "stepfunctions", "sagemaker"):
        for account in service_backends(service).values():
            account.reset()


@pytest.fixture
def aws(tmp_path: Path) -> Iterator[LocalAws]:
    """An emulation with one table and one bucket saved in a snapshot, logging every change made after it."""
    install_stepfunctions_runtime()
    install_dynamodb_atomicity()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client("dynamodb").create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in ("pk", "sk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client("s3").create_bucket(Bucket=BUCKET)
        emulation = LocalAws(tmp_path, LocalEndpoints("127.0.0.1", 0))
        install_write_ahead_log(emulation.log)
        emulation.log.start_segment()
        emulation.save_snapshot()
        yield emulation
        emulation.log.close()


def restart(aws: LocalAws) -> int:
    crash()
    return replay(aws.log.records(aws._restore_snapshot()))


def item(key: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (
        client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": "P"}, "sk": {"S": key}}).get("Item")
    )
    return found


def test_changes_acknowledged_after_the_last_snapshot_survive_a_crash(aws: LocalAws) -> None:
    dynamodb, s3, sfn, scheduler = client("dynamodb"), client("s3"), client("stepfunctions"), client("scheduler")
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "P"}, "sk": {"S": "kept"}, "n": {"N": "1"}})
    dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "P"}, "sk": {"S": "kept"}},
        UpdateExpression="SET n = n + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "P"}, "sk": {"S": "deleted"}})
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "P"}, "sk": {"S": "kept-before-transaction"}})
    dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": "P"}, "sk": {"S": "deleted"}})
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "P"}, "sk": {"S": "in-transaction"}}}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": {"pk": {"S": "P"}, "sk": {"S": "counted-in-transaction"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "P"}, "sk": {"S": "kept-before-transaction"}}}},
        ]
    )
    s3.put_object(Bucket=BUCKET, Key="payload", Body=b"large input")
    machine = sfn.create_state_machine(
        name=f"{LOCAL_PREFIX}-wf-kept", definition=json.dumps(DEFINITION), roleArn=LOCAL_ROLE_ARN, publish=True
    )
    second = sfn.update_state_machine(
        stateMachineArn=machine["stateMachineArn"], definition=json.dumps(DEFINITION), publish=True
    )
    sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": second["stateMachineVersionArn"], "weight": 100}]
    )
    scheduler.create_schedule_group(Name=f"{LOCAL_PREFIX}-sched-tenant")
    scheduler.create_schedule(
        Name="nightly",
        GroupName=f"{LOCAL_PREFIX}-sched-tenant",
        ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:lambda:us-east-1:123456789012:function:fire", "RoleArn": LOCAL_ROLE_ARN},
    )

    assert restart(aws) > 0

    assert item("kept") == {"pk": {"S": "P"}, "sk": {"S": "kept"}, "n": {"N": "2"}}
    assert item("deleted") is None
    assert item("in-transaction") is not None
    assert item("counted-in-transaction") == {"pk": {"S": "P"}, "sk": {"S": "counted-in-transaction"}, "n": {"N": "1"}}
    assert item("kept-before-transaction") is None
    assert s3.get_object(Bucket=BUCKET, Key="payload")["Body"].read() == b"large input"
    alias = sfn.describe_state_machine_alias(stateMachineAliasArn=f"{machine['stateMachineArn']}:live")
    assert alias["routingConfiguration"][0]["stateMachineVersionArn"] == second["stateMachineVersionArn"]
    assert sfn.describe_state_machine(stateMachineArn=second["stateMachineVersionArn"])["definition"]
    started = sfn.start_execution(stateMachineArn=f"{machine['stateMachineArn']}:live", input="{}")
    assert started["executionArn"]
    assert scheduler.get_schedule(Name="nightly", GroupName=f"{LOCAL_PREFIX}-sched-tenant")["State"] == "ENABLED"


def test_a_snapshot_holds_the_state_machines_and_ends_the_log_it_holds(aws: LocalAws) -> None:
    sfn = client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"{LOCAL_PREFIX}-wf-snapshot", definition=json.dumps(DEFINITION), roleArn=LOCAL_ROLE_ARN, publish=True
    )
    aws.save_snapshot()

    assert restart(aws) == 0
    assert sfn.describe_state_machine(stateMachineArn=f"{machine['stateMachineArn']}:1")["status"] == "ACTIVE"


def test_the_model_registry_is_there_after_a_restart_and_the_gate_still_sees_the_model_in_service(
    aws: LocalAws,
) -> None:
    sagemaker = client("sagemaker")
    group = f"{LOCAL_PREFIX}-forecast"
    sagemaker.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription="forecasts")
    first = sagemaker.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus="Approved", CustomerMetadataProperties={"mase": "0.9"}
    )
    aws.save_snapshot()
    second = sagemaker.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus="Approved", CustomerMetadataProperties={"mase": "0.7"}
    )
    sagemaker.update_model_package(ModelPackageArn=first["ModelPackageArn"], ModelApprovalStatus="Rejected")

    assert restart(aws) == 2

    listed = sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    assert sorted((package["ModelPackageVersion"], package["ModelApprovalStatus"]) for package in listed) == [
        (1, "Rejected"),
        (2, "Approved"),
    ]
    described = sagemaker.describe_model_package(ModelPackageName=second["ModelPackageArn"])
    assert described["CustomerMetadataProperties"] == {"mase": "0.7"}
    clients._client.cache_clear()
    assert approved_model_metadata(group) == {"mase": "0.7"}
    third = sagemaker.create_model_package(ModelPackageGroupName=group, ModelApprovalStatus="Approved")
    assert third["ModelPackageArn"].endswith(f"model-package/{group}/3")


def test_a_cancelled_transaction_is_not_replayed(aws: LocalAws) -> None:
    dynamodb = client("dynamodb")
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "P"}, "sk": {"S": "never"}}}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "P"}, "sk": {"S": "missing"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    restart(aws)

    assert item("never") is None


def test_a_record_cut_short_by_the_crash_ends_the_log(tmp_path: Path) -> None:
    log = WriteAheadLog(tmp_path)
    log.start_segment()
    log.append(("first",))
    log.append(("second",))
    log.close()
    (segment,) = tmp_path.glob("wal-*.log")
    segment.write_bytes(segment.read_bytes()[:-3])

    assert list(log.records(0)) == [("first",)]


def test_a_table_kept_from_before_an_index_existed_gets_the_index(tmp_path: Path) -> None:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        name = EXECUTIONS_TABLE.physical_name(LOCAL_PREFIX)
        client("dynamodb").create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in ("pk", "sk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
        runtime = LocalLambdaRuntime(LOCAL_PREFIX, LOCAL_REGION, LOCAL_ACCOUNT)

        ResourceProvisioner(client, runtime).provision()

        indexes = client("dynamodb").describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
        assert [index["IndexName"] for index in indexes] == ["running_by_start"]
        found = client("dynamodb").query(
            TableName=name,
            IndexName="running_by_start",
            KeyConditionExpression="running_shard = :shard",
            ExpressionAttributeValues={":shard": {"S": "RUNNING#0"}},
        )
        assert found["Items"] == []
