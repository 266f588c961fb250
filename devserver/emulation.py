"""The embedded AWS emulation: moto on loopback, provisioned from the same resource definitions as the CDK app."""

from __future__ import annotations

import itertools
import json
import logging
import os
import pickle
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from devserver.bedrock_embeddings import MODEL_ID as EMBEDDING_MODEL_ID
from devserver.bedrock_embeddings import LocalBedrockEmbeddings
from devserver.bedrock_runtime import LocalBedrockRuntime
from devserver.data_plane import DataPlane
from devserver.end_relay import EndBoard
from devserver.kms_signing_key import keep_signing_key
from devserver.lambda_runtime import LocalLambdaRuntime
from devserver.sagemaker_hosting import LocalEndpointHosting
from devserver.sagemaker_runtime import LocalSageMakerEndpoints
from devserver.sagemaker_training import REPOSITORY, LocalTrainingJobs, local_base_models
from devserver.sagemaker_transform import LocalTransformJobs
from devserver.write_ahead_log import (
    WriteAheadLog,
    install_write_ahead_log,
    model_registry,
    portable_machine,
    replay,
    restore_machine,
    restore_model_registry,
    service_backends,
)
from shared.catalog import CATALOG, function_physical_name, resource_environment
from shared.ml.job_kinds import JOB_KINDS
from shared.ml.state_machines import pipeline_definition
from shared.resources import (
    BUCKETS,
    MARKETPLACE_SIGNING_KEY,
    ML_PIPELINES,
    QUEUES,
    STATE_MACHINES,
    TABLES,
    TableSpec,
    resource_physical_names,
)

logger = logging.getLogger("nexus_forge.local")

LOCAL_ACCOUNT = "123456789012"
# What the CDK app gives a table with `stream` (infra/constructs/global_tables.py).
_STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
LOCAL_REGION = "us-east-1"
LOCAL_PREFIX = "nexus-forge-local"
LOCAL_ROLE_ARN = f"arn:aws:iam::{LOCAL_ACCOUNT}:role/nexus-forge-local-states"
# The role tenant data is read and written with (shared/store/tenant_credentials.py): moto's STS issues its sessions
# as AWS would, though moto does not evaluate their session policies.
LOCAL_TENANT_DATA_ROLE_NAME = f"{LOCAL_PREFIX}-tenant-data"
LOCAL_TENANT_DATA_ROLE_ARN = f"arn:aws:iam::{LOCAL_ACCOUNT}:role/{LOCAL_TENANT_DATA_ROLE_NAME}"
# Services whose whole state is kept across restarts; queues (moto's hold locks, which do not pickle) are provisioned
# again from their definitions. Scheduler's schedules are tenants' data, like the tables. Step Functions' state
# machines (definitions, versions, aliases, tags) are kept too, without their executions: one running at a
# restart ends as Step Functions reports a lost one (shared/operations/execution_reconcile.py). Of SageMaker, the Model
# Registry is kept (the pipelines' gate compares a new model with the approved one); training jobs keep their own files.
PERSISTED_SERVICES = ("dynamodb", "s3", "scheduler")
SNAPSHOT_FILE = "aws-state.pickle"
# The write-ahead log of changes since the last snapshot (devserver/write_ahead_log.py).
LOG_DIRECTORY = "wal"
# A snapshot that takes t seconds is followed by at least SNAPSHOT_SHARE * t seconds without one.
SNAPSHOT_SHARE = 20
# Reads: requests that change nothing a snapshot keeps (DynamoDB's JSON protocol names them in X-Amz-Target).
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_READ_ACTIONS = ("Get", "Query", "Scan", "BatchGet", "TransactGet", "Describe", "List")


@dataclass(frozen=True)
class LocalEndpoints:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def physical_names(
    prefix: str = LOCAL_PREFIX, account: str = LOCAL_ACCOUNT, region: str = LOCAL_REGION
) -> dict[str, str]:
    """Environment variable → physical name of every platform resource in the emulation."""
    return resource_physical_names(prefix, account, region)


def local_environment(endpoint_url: str) -> dict[str, str]:
    """What a local process needs to reach the emulation as every catalog function would."""
    environment = {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_REGION": LOCAL_REGION,
        "AWS_ENDPOINT_URL": endpoint_url,
        "FORGE_STAGE": "local",
        "FORGE_TENANT_DATA_ROLE_ARN": LOCAL_TENANT_DATA_ROLE_ARN,
        # Tenants' gateway keys are kept in step with their tiers' usage plans in the emulated API Gateway too.
        "FORGE_USAGE_PLAN_PREFIX": LOCAL_PREFIX,
        "FORGE_MARKETPLACE_EMBEDDING_MODEL": EMBEDDING_MODEL_ID,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
        # The ML jobs' code is the repository's sagemaker/ folder (in the cloud: sourcedir.tar.gz objects in S3).
        "FORGE_ML_CODE_ROOT": (REPOSITORY / "sagemaker").as_uri(),
        # The agent tuning job's base model: the GGUF the local platform ships (in the cloud: the bucket's copy).
        "FORGE_AGENT_BASE_MODELS_ROOT": local_base_models().as_uri(),
    }
    names = physical_names()
    for spec in CATALOG:
        for key, value in resource_environment(spec, names).items():
            if key != "POWERTOOLS_SERVICE_NAME":
                environment[key] = value
    environment.update(names)
    return environment


class EmulationChanges:
    """Counts the requests to the emulation that may change its state, so an unchanged state is not saved again."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.generation = 0
        self._installed = False

    def install(self) -> None:
        """Idempotent: every request the moto server answers passes through `seen`."""
        if self._installed:
            return
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication

        serve = DomainDispatcherApplication.__call__

        def serve_and_count(app: Any, environ: dict[str, Any], start_response: Any) -> Any:
            self.seen(environ)
            return serve(app, environ, start_response)

        DomainDispatcherApplication.__call__ = serve_and_count  # type: ignore[method-assign,assignment]
        self._installed = True

    def seen(self, environ: dict[str, Any]) -> None:
        self.request(environ.get("REQUEST_METHOD", "GET"), str(environ.get("HTTP_X_AMZ_TARGET", "")))

    def request(self, method: str, target: str) -> None:
        """A request reached the emulation: `method` is HTTP's, `target` the X-Amz-Target header, if any."""
        if method in _READ_METHODS or target.rpartition(".")[2].startswith(_READ_ACTIONS):
            return
        self.generation = next(self._counter)


changes = EmulationChanges()


class LocalAws:
    """Starts moto in this process, restores saved state, provisions resources, runs Lambda invokes in-process."""

    def __init__(self, state_dir: Path, endpoints: LocalEndpoints) -> None:
        self.state_dir = state_dir
        self.endpoints = endpoints
        self.lambda_runtime = LocalLambdaRuntime(LOCAL_PREFIX, LOCAL_REGION, LOCAL_ACCOUNT)
        self.sagemaker_endpoints = LocalSageMakerEndpoints(LOCAL_ACCOUNT)
        self.bedrock_runtime = LocalBedrockRuntime()
        self.bedrock_embeddings = LocalBedrockEmbeddings()
        self.training_jobs = LocalTrainingJobs(state_dir, LOCAL_ACCOUNT, LOCAL_REGION)
        self.endpoint_hosting = LocalEndpointHosting(state_dir, LOCAL_ACCOUNT, LOCAL_REGION, self.sagemaker_endpoints)
        self._server: Any = None
        self.data_plane: DataPlane | None = None
        # The ends of executions, for the API workers' sync waits (devserver/end_relay.py).
        self.ends = EndBoard()
        self._snapshot_lock = threading.Lock()
        self._saved_generation = -1
        self.last_snapshot_seconds = 0.0
        self.log = WriteAheadLog(state_dir / LOG_DIRECTORY)

    @property
    def snapshot_path(self) -> Path:
        return self.state_dir / SNAPSHOT_FILE

    def start(self, listener: socket.socket, data_plane_listener: socket.socket | None = None) -> None:
        """Serves on `listener`, a socket bound to the emulation's port (devserver/ports.py), and the data plane for
        API worker processes on `data_plane_listener` when given (devserver/data_plane.py)."""
        os.environ.update(local_environment(self.endpoints.url))
        os.environ["MOTO_PORT"] = str(self.endpoints.port)
        from devserver.moto_imports import defer_batch_backend

        # Before moto's Step Functions interpreter is imported (by the runtime's hooks below).
        defer_batch_backend()
        from devserver.inprocess_dispatch import install_inprocess_dispatch

        dispatch = install_inprocess_dispatch(self.endpoints.url, LOCAL_REGION, changes.request)
        from moto.core.config import default_user_config
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        from devserver.dynamodb_atomicity import install_dynamodb_atomicity
        from devserver.stepfunctions_performance import install_stepfunctions_performance
        from devserver.stepfunctions_runtime import install_stepfunctions_runtime

        default_user_config["stepfunctions"]["execute_state_machine"] = True
        install_stepfunctions_runtime()
        install_stepfunctions_performance()
        install_dynamodb_atomicity()
        log_from = self._restore_snapshot()
        replayed = replay(self.log.records(log_from))
        if replayed:
            logger.info("replayed %d changes logged after the last snapshot", replayed)
        # After the atomicity hooks: a transaction's changes are logged when it commits.
        install_write_ahead_log(self.log)
        self.log.start_segment()
        changes.install()
        listener.listen()
        # What moto's ThreadedMotoServer does, but on a socket already bound: werkzeug's own bind ends its thread
        # with sys.exit when the port is taken, and the platform would wait for it forever.
        self._server = make_server(
            self.endpoints.host,
            self.endpoints.port,
            # Training jobs, endpoints and their invocations are forge dev's own (devserver/sagemaker_*.py), for
            # clients on the port too: the API worker processes see what this process sees.
            self.training_jobs.wsgi(
                self.endpoint_hosting.wsgi(
                    self.sagemaker_endpoints.wsgi(DomainDispatcherApplication(create_backend_app))
                )
            ),
            threaded=True,
            request_handler=MotoRequestHandler,
            fd=listener.fileno(),
        )
        listener.close()  # the server serves on its own duplicate of it
        threading.Thread(target=self._server.serve_forever, name="aws-emulation", daemon=True).start()
        if data_plane_listener is not None:
            self.data_plane = DataPlane(LOCAL_REGION, changes.request, dispatch, self.ends)
            self.data_plane.start(data_plane_listener)
        self.lambda_runtime.install()
        self.sagemaker_endpoints.install()
        self.training_jobs.install()
        self.endpoint_hosting.install()
        LocalTransformJobs(self.state_dir, LOCAL_ACCOUNT, LOCAL_REGION).install()
        self.bedrock_runtime.install()
        self.bedrock_embeddings.install()
        self.provision()

    def stop(self) -> None:
        if self.data_plane is not None:
            self.data_plane.stop()
        self.save_snapshot()
        self.log.close()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoints.url, region_name=LOCAL_REGION)  # type: ignore[call-overload]

    def provision(self) -> None:
        ResourceProvisioner(self.client, self.lambda_runtime).provision()
        signing_key = self.client("kms").describe_key(KeyId=MARKETPLACE_SIGNING_KEY.physical_name(LOCAL_PREFIX))[
            "KeyMetadata"
        ]
        keep_signing_key(self.state_dir, signing_key["KeyId"], LOCAL_ACCOUNT, LOCAL_REGION)

    def save_snapshot(self) -> None:
        """Writes the persisted services' state to the state dir (atomically: a new file replaces the old one)."""
        from moto.backends import get_backend

        from devserver.dynamodb_atomicity import item_operations_paused

        with self._snapshot_lock:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            generation = changes.generation
            # Changes logged from here on are replayed over this snapshot; those logged before are in it.
            log_from = self.log.start_segment()
            # Pickled in memory while no DynamoDB item operation runs, so the tables are copied as one consistent
            # state and no writer changes a dictionary under the pickler; the file is written after.
            with item_operations_paused():
                state = {service: dict(get_backend(service)) for service in PERSISTED_SERVICES}  # type: ignore[call-overload]
                snapshot = {
                    "services": state,
                    "state_machines": _kept_state_machines(),
                    "model_registries": _kept_model_registries(),
                    "log_from": log_from,
                }
                data = pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL)
            temporary = self.snapshot_path.with_suffix(".tmp")
            temporary.write_bytes(data)
            temporary.replace(self.snapshot_path)
            self.log.discard_before(log_from)
            self._saved_generation = generation
            self.last_snapshot_seconds = time.monotonic() - started

    def save_snapshot_if_changed(self) -> bool:
        """Saves only when a write reached the emulation since the last save; True if it saved."""
        if changes.generation == self._saved_generation:
            return False
        self.save_snapshot()
        return True

    def next_snapshot_delay(self, interval: float) -> float:
        """`interval`, or longer when saving takes long: snapshots take at most 1/SNAPSHOT_SHARE of the time."""
        return max(interval, self.last_snapshot_seconds * SNAPSHOT_SHARE)

    def _restore_snapshot(self) -> int:
        """Puts the saved state back; returns the first log segment to replay over it."""
        if not self.snapshot_path.exists():
            return 0
        from moto.backends import get_backend

        try:
            with self.snapshot_path.open("rb") as handle:
                snapshot: dict[str, Any] = pickle.load(handle)  # noqa: S301 - our own file under .forge/
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ModuleNotFoundError) as error:
            logger.warning("ignoring unreadable local state %s: %s", self.snapshot_path, error)
            return 0
        if "services" not in snapshot:  # saved before the write-ahead log: the services' state alone
            snapshot = {"services": snapshot, "state_machines": [], "log_from": 0}
        for service, accounts in snapshot["services"].items():
            backend_dict = get_backend(service)
            for account_id, account_backends in accounts.items():
                backend_dict[account_id] = account_backends
        machines = service_backends("stepfunctions")
        for account_id, region, arn, machine, tags in snapshot["state_machines"]:
            restore_machine(machines[account_id][region], arn, machine, tags)
        registries = service_backends("sagemaker")
        for account_id, region, *registry in snapshot.get("model_registries", []):
            restore_model_registry(registries[account_id][region], *registry)
        return int(snapshot["log_from"])


def _kept_state_machines() -> list[tuple[str, str, str, Any, list[dict[str, str]]]]:
    """Every emulated state machine as a snapshot keeps it: (account, region, ARN, machine, tags)."""
    kept = []
    for account_id, regions in list(service_backends("stepfunctions").items()):
        for region, backend in list(regions.items()):
            for machine in list(backend.state_machines):
                tags = backend.tagger.list_tags_for_resource(machine.arn)["tags"]
                kept.append((account_id, region, machine.arn, portable_machine(machine), tags))
    return kept


def _kept_model_registries() -> list[tuple[Any, ...]]:
    """Every account's and region's SageMaker Model Registry: (account, region, groups, packages, names)."""
    return [
        (account_id, region, *model_registry(backend))
        for account_id, regions in list(service_backends("sagemaker").items())
        for region, backend in list(regions.items())
        if backend.model_package_groups
    ]


class ResourceProvisioner:
    """Creates the platform's resources in an emulated account; what already exists is kept as it is."""

    def __init__(self, client: Callable[[str], Any], lambda_runtime: LocalLambdaRuntime) -> None:
        self.client = client
        self.lambda_runtime = lambda_runtime

    def provision(self) -> None:
        self._provision_tables()
        self._provision_buckets()
        for queue in QUEUES:
            self.client("sqs").create_queue(QueueName=queue.physical_name(LOCAL_PREFIX))
        self._provision_state_machines()
        self._provision_key()
        self._provision_tenant_data_role()
        self._provision_usage_plans()

    def _provision_tables(self) -> None:
        dynamodb = self.client("dynamodb")
        existing = set(dynamodb.list_tables()["TableNames"])
        for table in TABLES:
            name = table.physical_name(LOCAL_PREFIX)
            indexes = [
                {
                    "IndexName": index.name,
                    "KeySchema": [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
                    + ([{"AttributeName": index.sort_key, "KeyType": "RANGE"}] if index.sort_key else []),
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in table.global_indexes
            ]
            if name in existing:
                self._add_missing_indexes(dynamodb, table, indexes)
                if table.stream and "LatestStreamArn" not in dynamodb.describe_table(TableName=name)["Table"]:
                    dynamodb.update_table(TableName=name, StreamSpecification=_STREAM)
                continue
            dynamodb.create_table(
                TableName=name,
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in table.key_attributes()],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                BillingMode="PAY_PER_REQUEST",
                **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
                **({"StreamSpecification": _STREAM} if table.stream else {}),
            )
            if table.ttl_attribute:
                dynamodb.update_time_to_live(
                    TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
                )

    @staticmethod
    def _add_missing_indexes(dynamodb: Any, table: TableSpec, indexes: list[dict[str, Any]]) -> None:
        """A table kept from before an index was defined gets it (state dirs outlive code changes)."""
        name = table.physical_name(LOCAL_PREFIX)
        present = {
            index["IndexName"]
            for index in dynamodb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])
        }
        missing = [index for index in indexes if index["IndexName"] not in present]
        if missing:
            dynamodb.update_table(
                TableName=name,
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in table.key_attributes()],
                GlobalSecondaryIndexUpdates=[{"Create": index} for index in missing],
            )

    def _provision_buckets(self) -> None:
        s3 = self.client("s3")
        existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
        for bucket in BUCKETS:
            name = bucket.physical_name(LOCAL_PREFIX, LOCAL_ACCOUNT, LOCAL_REGION)
            if name not in existing:
                s3.create_bucket(Bucket=name)

    def _provision_key(self) -> None:
        """The platform key (webhook secrets are encrypted with it), under the alias the settings name."""
        kms = self.client("kms")
        alias = f"alias/{LOCAL_PREFIX}"
        if not any(entry["AliasName"] == alias for entry in kms.list_aliases()["Aliases"]):
            key_id = kms.create_key(Description=f"{LOCAL_PREFIX}: webhook secrets")["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        # The marketplace countersigns with an asymmetric key through the same KMS gateway as in the cloud.
        signing_alias = MARKETPLACE_SIGNING_KEY.physical_name(LOCAL_PREFIX)
        if not any(entry["AliasName"] == signing_alias for entry in kms.list_aliases()["Aliases"]):
            signing_key = kms.create_key(
                Description=f"{LOCAL_PREFIX}: marketplace countersignatures",
                KeySpec="ECC_NIST_P256",
                KeyUsage="SIGN_VERIFY",
            )
            kms.create_alias(AliasName=signing_alias, TargetKeyId=signing_key["KeyMetadata"]["KeyId"])

    def _provision_usage_plans(self) -> None:
        """The tiers' usage plans (the CDK app's infra/constructs/usage_plans.py), for the tenants' gateway keys."""
        from shared.tenancy.gateway_keys import forget_usage_plans, usage_plan_name
        from shared.tenancy.tiers import TIERS

        forget_usage_plans()
        apigateway = self.client("apigateway")
        existing = {plan["name"] for plan in apigateway.get_usage_plans().get("items", [])}
        for limits in TIERS.values():
            name = usage_plan_name(LOCAL_PREFIX, limits.tier)
            if name not in existing:
                apigateway.create_usage_plan(
                    name=name,
                    throttle={"rateLimit": limits.requests_per_second, "burstLimit": limits.burst},
                )

    def _provision_tenant_data_role(self) -> None:
        iam = self.client("iam")
        if any(role["RoleName"] == LOCAL_TENANT_DATA_ROLE_NAME for role in iam.list_roles()["Roles"]):
            return
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{LOCAL_ACCOUNT}:root"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
        iam.create_role(RoleName=LOCAL_TENANT_DATA_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))

    def _provision_state_machines(self) -> None:
        sfn = self.client("stepfunctions")
        function_arns = {
            spec.name: self.lambda_runtime.function_arn(function_physical_name(LOCAL_PREFIX, spec.name))
            for spec in CATALOG
        }
        existing = {
            machine["name"]: machine["stateMachineArn"] for machine in sfn.list_state_machines()["stateMachines"]
        }
        for machine in STATE_MACHINES:
            name = machine.physical_name(LOCAL_PREFIX)
            definition = machine.render_definition(function_arns)
            if name in existing:
                sfn.update_state_machine(stateMachineArn=existing[name], definition=definition)
            else:
                sfn.create_state_machine(name=name, definition=definition, roleArn=LOCAL_ROLE_ARN, type="STANDARD")
        self._provision_ml_pipelines(sfn, existing, function_arns[ML_PIPELINES.gate_function])

    def _provision_ml_pipelines(self, sfn: Any, existing: dict[str, str], gate_function_arn: str) -> None:
        """One state machine and one model package group per ML job kind, as the CDK app's intelligence stack."""
        sagemaker = self.client("sagemaker")
        groups = {
            group["ModelPackageGroupName"]
            for group in sagemaker.list_model_package_groups().get("ModelPackageGroupSummaryList", [])
        }
        role_arn = f"arn:aws:iam::{LOCAL_ACCOUNT}:role/{ML_PIPELINES.sagemaker_role_name(LOCAL_PREFIX)}"
        for kind in JOB_KINDS.values():
            name = ML_PIPELINES.machine_name(LOCAL_PREFIX, kind.name)
            definition = json.dumps(
                pipeline_definition(kind, role_arn=role_arn, gate_function_arn=gate_function_arn, region=LOCAL_REGION)
            )
            if name in existing:
                sfn.update_state_machine(stateMachineArn=existing[name], definition=definition)
            else:
                sfn.create_state_machine(name=name, definition=definition, roleArn=LOCAL_ROLE_ARN, type="STANDARD")
            if kind.model_package_group not in groups:
                sagemaker.create_model_package_group(
                    ModelPackageGroupName=kind.model_package_group, ModelPackageGroupDescription=kind.description
                )
