"""Every golden workflow runs to its expected outcome in the emulation (moto executing the compiled ASL)."""

from __future__ import annotations

import json
import threading

import boto3
import pytest

from devserver.scripted_converse import assistant_turns, scripted_model
from tests.workflows.cases import GOLDEN_CASES, GoldenCase
from tests.workflows.fixtures import WorkflowRuntime
from tests.workflows.support import PLACEMENT, compile_case, create_state_machine, start, wait_for_end


def _answer_approvals(queue_url: str, stop: threading.Event) -> None:
    sqs = boto3.client("sqs", region_name=PLACEMENT.region)
    sfn = boto3.client("stepfunctions", region_name=PLACEMENT.region)
    while not stop.is_set():
        for message in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", []):
            request = json.loads(message["Body"])
            assert request["message"] == "Approve order A-1"
            sfn.send_task_success(taskToken=request["task_token"], output=json.dumps({"approved": True, "by": "admin"}))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        stop.wait(0.05)


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=lambda case: case.name)
def test_the_golden_workflow_runs_to_its_outcome(case: GoldenCase, workflow_runtime: WorkflowRuntime) -> None:
    run_input = {**case.input, "base_url": workflow_runtime.base_url} if case.name == "http_request" else case.input
    stop = threading.Event()
    responder = threading.Thread(target=_answer_approvals, args=(workflow_runtime.approvals_queue_url, stop))
    responder.start()
    try:
        with scripted_model(lambda body: case.model_turns[assistant_turns(body)]):
            execution = wait_for_end(start(create_state_machine(compile_case(case)), run_input))
    finally:
        stop.set()
        responder.join()
    assert execution["status"] == case.status, execution
    if case.status == "SUCCEEDED":
        assert json.loads(execution["output"]) == case.output
    else:
        assert execution.get("error") == case.error
