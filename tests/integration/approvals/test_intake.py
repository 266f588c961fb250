"""The approvals_intake function and the local event source: one approval per request, partial batch failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3

from devserver.emulation import LOCAL_PREFIX, LOCAL_REGION
from shared.approvals.intake import token_context
from shared.catalog import function_physical_name
from shared.crypto.secret_box import open_sealed
from shared.resources import APPROVALS_QUEUE
from shared.store.approvals import Approvals
from shared.store.tenant_scoped import TenantContext

TENANT = TenantContext("tenant0001")
EXECUTION_ARN = (
    "arn:aws:states:us-east-1:123456789012:execution:nexus-forge-local-wf-w1:tenant0001_0192f3a4b5c6d7e8f9a0b1c"
)
TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAfaketasktoken" + "x" * 200


def request(**changes: Any) -> dict[str, Any]:
    return {
        "task_token": TOKEN,
        "tenant_id": TENANT.tenant_id,
        "workflow_id": "w1",
        "node_id": "sign_off",
        "execution_id": EXECUTION_ARN,
        "message": "Ship order A-1",
        "approvers": ["admin"],
        "expires_in_seconds": 3600,
        "input": {"order": "A-1"},
    } | changes


def sqs_record(message_id: str, body: dict[str, Any], sent_ms: int = 1_780_000_000_000) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(sent_ms), "SenderId": "states"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:nexus-forge-local-approvals",
        "awsRegion": "us-east-1",
    }


def invoke_intake(runtime, *records: dict[str, Any]) -> dict[str, Any]:
    result = runtime.invoke(
        function_physical_name(LOCAL_PREFIX, "approvals_intake"), json.dumps({"Records": records}).encode()
    )
    assert "FunctionError" not in result, result["Payload"].read()
    answer: dict[str, Any] = json.loads(result["Payload"].read())
    return answer


def test_a_redelivered_request_records_one_approval(emulated_aws) -> None:
    first = invoke_intake(emulated_aws, sqs_record("m-1", request()))
    again = invoke_intake(emulated_aws, sqs_record("m-1", request()))

    assert first == again == {"batchItemFailures": []}
    (approval,) = Approvals(TENANT).page().items
    assert approval.status == "pending" and approval.execution_id == "0192f3a4b5c6d7e8f9a0b1c"
    assert approval.approvers == ["admin"] and approval.input == {"order": "A-1"}
    assert (approval.expires_at - approval.created_at).total_seconds() == 3600


def test_the_approval_expires_as_its_node_times_out_counted_from_the_state_s_entry(emulated_aws) -> None:
    entered = request(state_entered_at="2026-05-28T20:26:39.850Z", state_retry_count=0)

    invoke_intake(emulated_aws, sqs_record("m-1", entered, sent_ms=1_780_000_000_000))

    (approval,) = Approvals(TENANT).page().items
    assert approval.created_at == datetime(2026, 5, 28, 20, 26, 40, tzinfo=UTC)
    assert approval.expires_at == datetime(2026, 5, 28, 21, 26, 39, 850_000, tzinfo=UTC)


def test_the_task_token_is_stored_encrypted_and_bound_to_its_approval(emulated_aws) -> None:
    invoke_intake(emulated_aws, sqs_record("m-1", request()))

    (approval,) = Approvals(TENANT).page().items

    assert TOKEN not in approval.task_token
    assert open_sealed(approval.task_token, token_context(TENANT.tenant_id, approval.approval_id)) == TOKEN


def test_a_bad_message_fails_alone_and_names_no_token(emulated_aws) -> None:
    from_elsewhere = request(execution_id="arn:aws:states:us-east-1:123456789012:execution:other:someone-elses-run")
    other_tenant = request(tenant_id="tenant0002")
    unreadable = {key: value for key, value in request().items() if key != "node_id"}

    answer = invoke_intake(
        emulated_aws,
        sqs_record("bad-1", from_elsewhere),
        sqs_record("good", request()),
        sqs_record("bad-2", other_tenant),
        sqs_record("bad-3", unreadable),
    )

    assert answer == {"batchItemFailures": [{"itemIdentifier": f"bad-{n}"} for n in (1, 2, 3)]}
    assert len(Approvals(TENANT).page().items) == 1
    assert Approvals(TenantContext("tenant0002")).page().items == []


def test_the_local_event_source_deletes_what_was_recorded_and_keeps_what_failed(emulated_aws, poller) -> None:
    sqs = boto3.client("sqs", region_name=LOCAL_REGION)
    queue_url = sqs.get_queue_url(QueueName=APPROVALS_QUEUE.physical_name(LOCAL_PREFIX))["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(request()))
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(request(tenant_id="tenant0002")))

    processed = poller.poll_once(wait_seconds=1)

    assert processed == 1
    assert len(Approvals(TENANT).page().items) == 1
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    # The failed message waits out its visibility timeout, then comes back (and in the cloud, 5 tries → the DLQ).
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert attributes["ApproximateNumberOfMessages"] == "0"
