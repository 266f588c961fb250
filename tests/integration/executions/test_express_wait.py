"""`?wait=true`: express workflows run with StartSyncExecution (emulated) and their record takes the end from its
result — no status watcher runs here, as no status-change event exists for express executions in the cloud."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from devserver.emulation import LOCAL_REGION
from shared.auth.principal import Role
from tests.integration.executions.support import create_and_publish, failing_workflow, transform_workflow
from tests.integration.executions.test_quotas import monthly_count, workflow_running
from tests.integration.executions.test_status_updates import running_count
from tests.integration.tenancy.conftest import TenantWorld


def start_and_wait(api, world: TenantWorld, workflow_id: str, run_input: Any):
    return api.post(
        f"/v1/workflows/{workflow_id}/executions",
        params={"wait": "true"},
        headers=world.headers[Role.EDITOR],
        json={"input": run_input},
    )


def read(api, world: TenantWorld, execution_id: str) -> dict[str, Any]:
    record: dict[str, Any] = api.get(f"/v1/executions/{execution_id}", headers=world.headers[Role.VIEWER]).json()
    return record


def test_an_express_workflow_answers_with_its_output_and_its_record_ends(api, alpha, capsys) -> None:
    express = create_and_publish(
        api,
        alpha.headers[Role.OWNER],
        transform_workflow("{'hello': $states.input.name}", mode="express", max_concurrency=1),
    )

    answer = start_and_wait(api, alpha, express, {"name": "Ada"})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "SUCCEEDED" and body["output"] == {"hello": "Ada"} and body["duration_ms"] >= 0
    assert answer.headers["location"] == f"/v1/executions/{body['execution_id']}"
    record = read(api, alpha, body["execution_id"])
    assert record["status"] == "SUCCEEDED" and record["output"] == {"hello": "Ada"} and record["revision"] == 2
    # Both slots are back without any status event, and the metrics were emitted like the events function's.
    assert running_count(alpha) == 0 and workflow_running(alpha, express) == 0
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (ended,) = [document for document in emitted if "ExecutionsEnded" in document]
    assert ended["workflow_id"] == express and ended["ExecutionsFailed"] == [0.0]
    assert ended["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [
        ["tenant_id", "workflow_id"],
        ["tenant_id"],
        ["stage"],
    ]
    assert start_and_wait(api, alpha, express, {"name": "Bo"}).json()["output"] == {"hello": "Bo"}


def test_a_failing_express_workflow_answers_with_the_failure(api, alpha) -> None:
    express = create_and_publish(api, alpha.headers[Role.OWNER], failing_workflow(mode="express"))

    answer = start_and_wait(api, alpha, express, {})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["error"], body["cause"]) == ("FAILED", "Boom", "the explode node always fails")
    assert body["output"] is None and read(api, alpha, body["execution_id"])["status"] == "FAILED"
    assert running_count(alpha) == 0


def test_a_large_output_comes_back_by_reference(api, alpha) -> None:
    express = create_and_publish(
        api, alpha.headers[Role.OWNER], transform_workflow("{'big': $pad('', 70000, 'x')}", mode="express")
    )

    answer = start_and_wait(api, alpha, express, {})

    assert answer.status_code == 200, answer.text
    reference = answer.json()["output"]["payload_ref"]
    assert reference["key"].startswith(f"tenants/{alpha.tenant_id}/") and reference["bytes"] > 70_000
    stored = boto3.client("s3", region_name=LOCAL_REGION).get_object(Bucket=reference["bucket"], Key=reference["key"])
    assert len(stored["Body"].read()) == reference["bytes"]
    assert read(api, alpha, answer.json()["execution_id"])["output"] == {"big": "x" * 70000}


def test_a_standard_workflow_with_wait_is_a_422_and_starts_nothing(api, alpha, executions_stream) -> None:
    standard = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input"))

    refused = start_and_wait(api, alpha, standard, {})

    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("/wait-needs-express") and standard in refused.json()["detail"]
    assert monthly_count(alpha, executions_stream) == 0 and running_count(alpha) == 0


@pytest.mark.usefixtures("emulated_aws")
def test_the_emulated_start_sync_execution_refuses_standard_machines() -> None:
    from botocore.exceptions import ClientError

    from shared.aws.clients import stepfunctions_sync_client

    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    role = "arn:aws:iam::123456789012:role/local"
    definition = '{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}'
    standard = sfn.create_state_machine(name="plain", definition=definition, roleArn=role)["stateMachineArn"]
    express = sfn.create_state_machine(name="quick", definition=definition, roleArn=role, type="EXPRESS")

    with pytest.raises(ClientError) as refused:
        stepfunctions_sync_client(5.0).start_sync_execution(stateMachineArn=standard, input="{}")
    answer = stepfunctions_sync_client(5.0).start_sync_execution(
        stateMachineArn=express["stateMachineArn"], input='{"a": 1}'
    )

    assert refused.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"
    assert answer["status"] == "SUCCEEDED" and answer["output"] == '{"a":1}'
    assert answer["stopDate"] >= answer["startDate"]
