"""Runs SageMaker batch transform jobs in `forge dev` without Docker: CreateTransformJob runs the model's own
`inference.py` over the input in the emulated S3.

moto marks a transform job Completed at once and transforms nothing, so a botocore hook answers CreateTransformJob
and DescribeTransformJob. The model (CreateModel, kept by moto) names its artifact (`ModelDataUrl`, a model.tar.gz)
and its code as SageMaker's framework containers read it: `SAGEMAKER_PROGRAM` and `SAGEMAKER_SUBMIT_DIRECTORY` in its
environment. The job runs devserver/sagemaker_transform_driver.py with the code's own venv (the training runner's
JobEnvironments), line by line over every object under the input prefix, and uploads `<key>.out` under the
S3OutputPath; InProgress until then, Completed, or Failed with the script's error as FailureReason.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3

from devserver.sagemaker_training import (
    JobEnvironments,
    answer,
    client_error,
    download_prefix,
    fetch_code,
    requirements_of,
    s3_client,
)

_UNIQUE_ID = "nexus-forge-local-transform"
_DRIVER = Path(__file__).with_name("sagemaker_transform_driver.py")
_REASON_LIMIT = 1024


class LocalTransformJobs:
    """Transform job name → its description; a botocore hook answers the SageMaker calls for them."""

    def __init__(self, state_dir: Path, account: str, region: str, environments: JobEnvironments | None = None) -> None:
        self.jobs_dir = state_dir / "transform-jobs"
        self.account = account
        self.region = region
        self.environments = environments or JobEnvironments()
        self._jobs: dict[str, dict[str, Any]] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def install(self, session: boto3.Session | None = None) -> None:
        target = session or boto3._get_default_session()
        for operation, handler in (
            ("CreateTransformJob", self.before_create),
            ("DescribeTransformJob", self.before_describe),
        ):
            target.events.register(
                f"before-call.sagemaker.{operation}",
                handler,
                unique_id=f"{_UNIQUE_ID}-{operation}",
            )

    def before_create(self, params: dict[str, Any], **_: Any) -> Any:
        request = json.loads(params.get("body") or b"{}")
        name = request["TransformJobName"]
        now = datetime.now(UTC)
        job = {
            **request,
            "TransformJobArn": f"arn:aws:sagemaker:{self.region}:{self.account}:transform-job/{name.lower()}",
            "TransformJobStatus": "InProgress",
            "CreationTime": now,
        }
        with self._lock:
            if name in self._jobs:
                raise client_error("ResourceInUse", f"Transform job {name} already exists", "CreateTransformJob")
            self._jobs[name] = job
            thread = threading.Thread(target=self._run, args=(name,), name=f"transform-job-{name}", daemon=True)
            self._threads[name] = thread
        thread.start()
        return answer(params, {"TransformJobArn": job["TransformJobArn"]})

    def before_describe(self, params: dict[str, Any], **_: Any) -> Any:
        name = json.loads(params.get("body") or b"{}")["TransformJobName"]
        with self._lock:
            job = self._jobs.get(name)
            described = dict(job) if job else None
        if described is None:
            raise client_error("ValidationException", "Could not find requested job", "DescribeTransformJob")
        return answer(params, described)

    def wait(self, name: str, timeout: float | None = None) -> None:
        self._threads[name].join(timeout)

    def _update(self, name: str, **fields: Any) -> None:
        with self._lock:
            self._jobs[name].update(fields)

    def _run(self, name: str) -> None:
        try:
            self._transform(name)
            self._update(name, TransformJobStatus="Completed", TransformEndTime=datetime.now(UTC))
        except subprocess.CalledProcessError as error:
            reason = (error.stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            self._fail(name, f"AlgorithmError: {reason[0]}")
        except Exception as error:  # noqa: BLE001 -- whatever stops a job ends it Failed, never InProgress for ever
            self._fail(name, f"ClientError: {type(error).__name__}: {error}")

    def _fail(self, name: str, reason: str) -> None:
        self._update(
            name, TransformJobStatus="Failed", FailureReason=reason[:_REASON_LIMIT], TransformEndTime=datetime.now(UTC)
        )

    def _transform(self, name: str) -> None:
        job = self._jobs[name]
        directory = self.jobs_dir / name
        shutil.rmtree(directory, ignore_errors=True)
        self._update(name, TransformStartTime=datetime.now(UTC))
        container = boto3.client("sagemaker", region_name=self.region).describe_model(ModelName=job["ModelName"])[
            "PrimaryContainer"
        ]
        environment = container.get("Environment", {})
        source = fetch_code(environment["SAGEMAKER_SUBMIT_DIRECTORY"], directory / "code")
        model_dir = _unpacked_model(container["ModelDataUrl"], directory / "model")
        input_dir = directory / "input"
        download_prefix(job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"], input_dir)
        output_dir = directory / "output"
        output_dir.mkdir(parents=True)
        python = self.environments.python(requirements_of(source))
        subprocess.run(  # noqa: S603 -- the model's own inference.py with its own venv's Python
            [
                str(python),
                str(_DRIVER),
                str(source / environment.get("SAGEMAKER_PROGRAM", "inference.py")),
                str(model_dir),
                str(input_dir),
                str(output_dir),
                job["TransformInput"].get("ContentType", "application/json"),
            ],
            cwd=source,
            env={"PATH": "/usr/bin:/bin"},
            capture_output=True,
            check=True,
        )
        target = urlparse(job["TransformOutput"]["S3OutputPath"])
        for path in sorted(output_dir.rglob("*.out")):
            key = "/".join(part for part in (target.path.strip("/"), str(path.relative_to(output_dir))) if part)
            s3_client().put_object(Bucket=target.netloc, Key=key, Body=path.read_bytes())


def _unpacked_model(model_data_url: str, target: Path) -> Path:
    location = urlparse(model_data_url)
    archive = s3_client().get_object(Bucket=location.netloc, Key=location.path.lstrip("/"))["Body"].read()
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as model:
        model.extractall(target, filter="data")
    return target
