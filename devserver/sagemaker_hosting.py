"""Hosts SageMaker endpoints in `forge dev` without Docker: CreateEndpoint serves a model.tar.gz with its job's
`inference.py`, and InvokeEndpoint reaches it.

moto stores models and endpoint configs (CreateModel, CreateEndpointConfig and their Describe are moto's) but serves
nothing, so a botocore hook answers CreateEndpoint, DescribeEndpoint and DeleteEndpoint. Creating an endpoint reads
its config's first production variant's model: the container's `ModelDataUrl` (a model.tar.gz in the emulated S3)
and, as SageMaker's framework serving containers read them, `SAGEMAKER_PROGRAM` (`inference.py`) and
`SAGEMAKER_SUBMIT_DIRECTORY` (an `s3://` sourcedir.tar.gz or a local `file://` folder) in its Environment. The model
is unpacked under the state dir (`endpoints/<name>/model`) and a worker process (sagemaker_serving_worker.py) runs
`model_fn` once with the Python of the code's own venv (the one training jobs use, built from its requirements.txt);
the endpoint is Creating until the model is loaded, then InService, or Failed with the worker's reason. Its requests go
to that worker one at a time, through the SageMaker Runtime hook of devserver/sagemaker_runtime.py. The same
operations are served on the emulation's port (`wsgi`), so the API worker processes and the AWS CLI see the endpoints.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

import boto3

from devserver.sagemaker_runtime import LocalEndpointFailure, LocalSageMakerEndpoints
from devserver.sagemaker_training import (
    LOCAL_THREADING,
    JobEnvironments,
    answer,
    client_error,
    fetch_code,
    requirements_of,
    serve_operations,
)

WORKER = Path(__file__).with_name("sagemaker_serving_worker.py")
_UNIQUE_ID = "nexus-forge-local-hosting"
_REASON_LIMIT = 1024


class EndpointWorker:
    """One endpoint's model server process; answers one request at a time."""

    def __init__(self, python: Path, code: Path, program: str, model_dir: Path, log: Path) -> None:
        self._log = log.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 -- the job's own inference.py with its own venv's Python
            # -P: the worker's own folder (devserver/, whose platform.py would shadow the standard library's) stays
            # off sys.path.
            [str(python), "-P", str(WORKER), str(code), program, str(model_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=code,
            env={**os.environ, **LOCAL_THREADING},
        )
        self._lock = threading.Lock()

    def wait_ready(self) -> str | None:
        """None once the model is loaded, or why it could not be."""
        line = self._stdout.readline()
        if not line:
            return f"the model server exited with {self._process.wait()} before loading the model"
        ready = json.loads(line)
        return None if ready.get("ready") else str(ready.get("error"))

    @property
    def _stdout(self) -> IO[bytes]:
        assert self._process.stdout is not None
        return self._process.stdout

    def invoke(self, request: dict[str, Any]) -> dict[str, Any]:
        line = json.dumps(
            {"body": json.dumps(request), "content_type": "application/json", "accept": "application/json"}
        )
        with self._lock:
            assert self._process.stdin is not None
            try:
                self._process.stdin.write(line.encode() + b"\n")
                self._process.stdin.flush()
            except BrokenPipeError:
                raise LocalEndpointFailure(500, {"error": {"message": "the model server has exited"}}) from None
            answer = self._stdout.readline()
        if not answer:
            raise LocalEndpointFailure(500, {"error": {"message": "the model server has exited"}})
        response = json.loads(answer)
        body = json.loads(response["body"])
        if response["status"] != 200:
            raise LocalEndpointFailure(response["status"], body)
        return dict(body)

    def stop(self) -> None:
        self._process.kill()
        self._process.wait()
        self._log.close()


class LocalEndpointHosting:
    """Endpoint name → its description and worker; a botocore hook answers the SageMaker endpoint calls."""

    def __init__(
        self,
        state_dir: Path,
        account: str,
        region: str,
        runtime: LocalSageMakerEndpoints,
        environments: JobEnvironments | None = None,
    ) -> None:
        self.endpoints_dir = state_dir / "endpoints"
        self.account = account
        self.region = region
        self.runtime = runtime
        self.environments = environments or JobEnvironments()
        self._endpoints: dict[str, dict[str, Any]] = {}
        self._workers: dict[str, EndpointWorker] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def install(self, session: boto3.Session | None = None) -> None:
        target = session or boto3._get_default_session()
        for operation, handler in (
            ("CreateEndpoint", self.before_create),
            ("DescribeEndpoint", self.before_describe),
            ("DeleteEndpoint", self.before_delete),
        ):
            target.events.register(
                f"before-call.sagemaker.{operation}",
                handler,  # type: ignore[arg-type]
                unique_id=f"{_UNIQUE_ID}-{operation}",
            )

    def before_create(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        return answer(params, self.create(json.loads(params.get("body") or b"{}")))

    def before_describe(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        return answer(params, self.describe(json.loads(params.get("body") or b"{}")))

    def before_delete(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        return answer(params, self.delete(json.loads(params.get("body") or b"{}")))

    def wsgi(self, app: Any) -> Any:
        """`app` (the emulation's server) answering the endpoints' operations for clients in other processes."""
        return serve_operations(
            {
                "SageMaker.CreateEndpoint": self.create,
                "SageMaker.DescribeEndpoint": self.describe,
                "SageMaker.DeleteEndpoint": self.delete,
            },
            app,
        )

    def create(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["EndpointName"]
        arn = f"arn:aws:sagemaker:{self.region}:{self.account}:endpoint/{name.lower()}"
        now = datetime.now(UTC)
        with self._lock:
            if name in self._endpoints:
                raise client_error(
                    "ValidationException", f'Cannot create already existing endpoint "{arn}".', "CreateEndpoint"
                )
            self._endpoints[name] = {
                "EndpointName": name,
                "EndpointArn": arn,
                "EndpointConfigName": request["EndpointConfigName"],
                "EndpointStatus": "Creating",
                "CreationTime": now,
                "LastModifiedTime": now,
            }
            thread = threading.Thread(target=self._start, args=(name,), name=f"endpoint-{name}", daemon=True)
            self._threads[name] = thread
        thread.start()
        return {"EndpointArn": arn}

    def describe(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["EndpointName"]
        with self._lock:
            endpoint = self._endpoints.get(name)
            described = dict(endpoint) if endpoint else None
        if described is None:
            raise client_error("ValidationException", f'Could not find endpoint "{name}".', "DescribeEndpoint")
        return described

    def delete(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["EndpointName"]
        with self._lock:
            endpoint = self._endpoints.pop(name, None)
            worker = self._workers.pop(name, None)
            self.runtime.handlers.pop(name, None)
        if endpoint is None:
            raise client_error("ValidationException", f'Could not find endpoint "{name}".', "DeleteEndpoint")
        if worker is not None:
            worker.stop()
        return {}

    def wait(self, name: str, timeout: float | None = None) -> None:
        """Until the endpoint is InService or Failed (for the benchmark and tests)."""
        self._threads[name].join(timeout)

    def _update(self, name: str, **fields: Any) -> None:
        with self._lock:
            if name in self._endpoints:
                self._endpoints[name].update(fields, LastModifiedTime=datetime.now(UTC))

    def _start(self, name: str) -> None:
        try:
            reason = self._serve(name)
        except Exception as error:  # noqa: BLE001 -- whatever stops the model loading ends the endpoint Failed
            reason = f"{type(error).__name__}: {error}"
        if reason is not None:
            self._update(name, EndpointStatus="Failed", FailureReason=reason[:_REASON_LIMIT])

    def _serve(self, name: str) -> str | None:
        sagemaker = boto3.client("sagemaker", region_name=self.region)
        config = sagemaker.describe_endpoint_config(EndpointConfigName=self._endpoints[name]["EndpointConfigName"])
        variant = config["ProductionVariants"][0]
        container = sagemaker.describe_model(ModelName=variant["ModelName"])["PrimaryContainer"]
        environment = container.get("Environment", {})
        if "SAGEMAKER_PROGRAM" not in environment or "SAGEMAKER_SUBMIT_DIRECTORY" not in environment:
            return (
                "forge dev serves script-mode models only: the container's Environment lacks SAGEMAKER_PROGRAM or "
                "SAGEMAKER_SUBMIT_DIRECTORY"
            )
        directory = self.endpoints_dir / name
        model_dir = directory / "model"
        shutil.rmtree(model_dir, ignore_errors=True)
        model_dir.mkdir(parents=True)
        location = urlparse(container["ModelDataUrl"])
        archive = boto3.client("s3").get_object(Bucket=location.netloc, Key=location.path.lstrip("/"))["Body"]
        with tarfile.open(fileobj=io.BytesIO(archive.read())) as model:
            model.extractall(model_dir, filter="data")
        code = fetch_code(environment["SAGEMAKER_SUBMIT_DIRECTORY"], directory / "code")
        python = self.environments.python(requirements_of(code))
        worker = EndpointWorker(python, code, environment["SAGEMAKER_PROGRAM"], model_dir, directory / "server.log")
        reason = worker.wait_ready()
        if reason is not None:
            worker.stop()
            return reason
        with self._lock:
            if name not in self._endpoints:
                worker.stop()
                return None
            self._workers[name] = worker
            self.runtime.handlers[name] = worker.invoke
        variants = [{"VariantName": variant["VariantName"], "CurrentWeight": 1.0, "DesiredWeight": 1.0}]
        self._update(name, EndpointStatus="InService", ProductionVariants=variants)
        return None
