"""Under the emulation, CreateEndpoint serves a model.tar.gz with its inference.py, and InvokeEndpoint reaches it."""

from __future__ import annotations

import io
import json
import tarfile
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from werkzeug.serving import make_server

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION
from devserver.sagemaker_hosting import LocalEndpointHosting
from devserver.sagemaker_runtime import LocalSageMakerEndpoints
from tests.helpers import wait_until

BUCKET = "nexus-forge-local-ml"
# A model server of the standard library only (no requirements.txt: the platform's Python runs it): it answers with
# the model file's greeting and the request's last text, counts the loads, and maps a failure to its status.
INFERENCE = """
import json
import platform  # the standard library's, as torch and numpy import it, not devserver/platform.py beside the worker
from pathlib import Path

LOADS = []


class EndpointError(Exception):
    def __init__(self, status, body):
        super().__init__(status)
        self.status, self.body = status, body


def model_fn(model_dir):
    LOADS.append(model_dir)
    greeting = (Path(model_dir) / "greeting.txt").read_text()
    if greeting == "broken":
        raise RuntimeError("the weights are unreadable")
    return greeting


def input_fn(body, content_type):
    return json.loads(body)


def predict_fn(request, model):
    text = request["messages"][-1]["content"][0]["text"]
    if text == "too long":
        raise EndpointError(413, {"error": {"code": "context_length_exceeded", "message": "too long"}})
    answer = f"{model} {text} (loads: {len(LOADS)})" if platform.python_version() else ""
    return {
        "message": {"role": "assistant", "content": [{"text": answer}]},
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }


def output_fn(prediction, accept):
    return json.dumps(prediction)
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "inference.py").write_text(INFERENCE)
    return folder


@pytest.fixture
def runtime() -> LocalSageMakerEndpoints:
    return LocalSageMakerEndpoints(LOCAL_ACCOUNT)


@pytest.fixture
def aws(tmp_path: Path, runtime: LocalSageMakerEndpoints) -> Iterator[LocalEndpointHosting]:
    with mock_aws():
        boto3.client("s3", region_name=LOCAL_REGION).create_bucket(Bucket=BUCKET)
        runtime.install()
        hosting = LocalEndpointHosting(tmp_path / "state", LOCAL_ACCOUNT, LOCAL_REGION, runtime)
        hosting.install()
        yield hosting
        for name in list(runtime.handlers):
            if name != "nexus-forge-local-echo":
                boto3.client("sagemaker", region_name=LOCAL_REGION).delete_endpoint(EndpointName=name)


def _deploy(code: Path, greeting: str, environment: dict[str, str] | None = None) -> str:
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as model:
        content = greeting.encode()
        entry = tarfile.TarInfo("greeting.txt")
        entry.size = len(content)
        model.addfile(entry, io.BytesIO(content))
    name = f"tuned-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", region_name=LOCAL_REGION).put_object(
        Bucket=BUCKET, Key=f"models/{name}/model.tar.gz", Body=archive.getvalue()
    )
    sagemaker = boto3.client("sagemaker", region_name=LOCAL_REGION)
    sagemaker.create_model(
        ModelName=name,
        PrimaryContainer={
            "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.6-cpu-py312",
            "ModelDataUrl": f"s3://{BUCKET}/models/{name}/model.tar.gz",
            "Environment": environment
            if environment is not None
            else {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": code.as_uri()},
        },
        ExecutionRoleArn=f"arn:aws:iam::{LOCAL_ACCOUNT}:role/nexus-forge-local-sagemaker",
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 1},
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return name


def _final(name: str) -> dict[str, Any]:
    sagemaker = boto3.client("sagemaker", region_name=LOCAL_REGION)
    described: dict[str, Any] = wait_until(
        lambda: sagemaker.describe_endpoint(EndpointName=name),
        lambda endpoint: endpoint["EndpointStatus"] != "Creating",
        timeout=60,
    )
    return described


def _invoke(name: str, text: str) -> dict[str, Any]:
    request = {"messages": [{"role": "user", "content": [{"text": text}]}], "max_tokens": 16}
    response = boto3.client("sagemaker-runtime", region_name=LOCAL_REGION).invoke_endpoint(
        EndpointName=name, ContentType="application/json", Body=json.dumps(request)
    )
    answer: dict[str, Any] = json.loads(response["Body"].read())
    return answer


def test_an_endpoint_is_in_service_and_answers_from_its_model_loaded_once(
    aws: LocalEndpointHosting, code: Path
) -> None:
    name = _deploy(code, "hello")

    assert _final(name)["EndpointStatus"] == "InService"
    assert _invoke(name, "first")["message"]["content"][0]["text"] == "hello first (loads: 1)"
    assert _invoke(name, "second")["message"]["content"][0]["text"] == "hello second (loads: 1)"


def test_a_model_that_does_not_load_fails_the_endpoint_with_its_reason(aws: LocalEndpointHosting, code: Path) -> None:
    name = _deploy(code, "broken")

    described = _final(name)

    assert described["EndpointStatus"] == "Failed"
    assert "the weights are unreadable" in described["FailureReason"]


def test_a_model_without_script_mode_environment_fails_the_endpoint(aws: LocalEndpointHosting, code: Path) -> None:
    name = _deploy(code, "hello", environment={})

    described = _final(name)

    assert described["EndpointStatus"] == "Failed"
    assert "SAGEMAKER_PROGRAM" in described["FailureReason"]


def test_an_inference_error_is_a_model_error_with_its_status_and_the_endpoint_serves_on(
    aws: LocalEndpointHosting, code: Path
) -> None:
    name = _deploy(code, "hello")
    _final(name)

    with pytest.raises(ClientError) as raised:
        _invoke(name, "too long")

    response: dict[str, Any] = dict(raised.value.response)
    assert response["Error"]["Code"] == "ModelError"
    assert response["OriginalStatusCode"] == 413
    assert "context_length_exceeded" in response["OriginalMessage"]
    assert _invoke(name, "again")["message"]["content"][0]["text"] == "hello again (loads: 1)"


def test_a_deleted_endpoint_is_no_longer_described_or_invoked(aws: LocalEndpointHosting, code: Path) -> None:
    name = _deploy(code, "hello")
    _final(name)

    boto3.client("sagemaker", region_name=LOCAL_REGION).delete_endpoint(EndpointName=name)

    with pytest.raises(ClientError):
        boto3.client("sagemaker", region_name=LOCAL_REGION).describe_endpoint(EndpointName=name)
    with pytest.raises(ClientError, match="not found"):
        _invoke(name, "anyone")


def test_clients_in_other_processes_see_describe_invoke_and_delete_the_endpoints_on_the_emulations_port(
    aws: LocalEndpointHosting, runtime: LocalSageMakerEndpoints, code: Path
) -> None:
    name = _deploy(code, "hello")
    _final(name)

    def moto_answers_the_rest(_environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [])
        return []

    server = make_server("127.0.0.1", 0, aws.wsgi(runtime.wsgi(moto_answers_the_rest)), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # A session of its own: no in-process hook, the requests go over HTTP as an API worker's do.
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=LOCAL_REGION)
    url = f"http://127.0.0.1:{server.server_port}"
    sagemaker = session.client("sagemaker", endpoint_url=url)
    sagemaker_runtime = session.client("sagemaker-runtime", endpoint_url=url)

    def invoke(text: str) -> dict[str, Any]:
        request = {"messages": [{"role": "user", "content": [{"text": text}]}], "max_tokens": 16}
        response = sagemaker_runtime.invoke_endpoint(
            EndpointName=name, ContentType="application/json", Body=json.dumps(request)
        )
        answer: dict[str, Any] = json.loads(response["Body"].read())
        return answer

    try:
        described = sagemaker.describe_endpoint(EndpointName=name)
        answered = invoke("over http")
        with pytest.raises(ClientError) as model_error:
            invoke("too long")
        sagemaker.delete_endpoint(EndpointName=name)
        with pytest.raises(ClientError) as deleted:
            sagemaker.describe_endpoint(EndpointName=name)
        with pytest.raises(ClientError) as not_invoked:
            invoke("anyone")
        with pytest.raises(ClientError) as deleted_twice:
            sagemaker.delete_endpoint(EndpointName=name)
    finally:
        server.shutdown()

    assert described["EndpointStatus"] == "InService"
    assert isinstance(described["CreationTime"], datetime)
    assert answered["message"]["content"][0]["text"] == "hello over http (loads: 1)"
    model_failure: dict[str, Any] = dict(model_error.value.response)
    assert (model_failure["Error"]["Code"], model_failure["OriginalStatusCode"]) == ("ModelError", 413)
    assert deleted.value.response["Error"]["Code"] == "ValidationException"
    assert not_invoked.value.response["Error"]["Code"] == "ValidationError"
    assert deleted_twice.value.response["Error"]["Code"] == "ValidationException"
    assert name not in runtime.handlers
