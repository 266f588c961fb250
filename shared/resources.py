"""The platform's AWS resources, defined once for the CDK app and the local emulation."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATEMACHINES_DIR = PROJECT_ROOT / "statemachines"


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index named for its access pattern, with string keys, projecting all attributes."""

    name: str
    partition_key: str
    sort_key: str | None = None


class TableScope(StrEnum):
    """Whose table it is. PLATFORM: one per platform (the regional stacks' global tables), which a silo's functions
    use too: the tenant registry, members, API keys and rate buckets, the audit log. TENANT_DATA: tenants' own
    items, which a silo stack keeps in tables of its own."""

    PLATFORM = "platform"
    TENANT_DATA = "tenant_data"


@dataclass(frozen=True)
class TableSpec:
    """A DynamoDB table with `pk`/`sk` string keys."""

    key: str
    env_var: str
    ttl_attribute: str | None = None
    global_indexes: tuple[IndexSpec, ...] = ()
    stream: bool = False
    scope: TableScope = TableScope.TENANT_DATA

    def key_attributes(self) -> list[str]:
        names = ["pk", "sk"]
        for index in self.global_indexes:
            names += [key for key in (index.partition_key, index.sort_key) if key and key not in names]
        return names

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.key}"


@dataclass(frozen=True)
class BucketSpec:
    key: str
    env_var: str

    def physical_name(self, prefix: str, account: str, region: str) -> str:
        return f"{prefix}-{self.key}-{account}-{region}"


@dataclass(frozen=True)
class BucketPrefixSpec:
    """The objects under one prefix of a bucket, listed and read (the newest forecast job's output: the keys hold the
    job's name, so they are found by listing)."""

    bucket: BucketSpec
    prefix: str

    @property
    def env_var(self) -> str:
        return self.bucket.env_var


@dataclass(frozen=True)
class KeySpec:
    """The platform's KMS key, which encrypts tenants' secrets; functions are told its alias `alias/<prefix>`."""

    key: str
    env_var: str

    def physical_name(self, prefix: str) -> str:
        return f"alias/{prefix}"


@dataclass(frozen=True)
class SigningKeySpec:
    """An asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) of the whole platform, under the alias
    `alias/<platform prefix>-<key>` in every region (infra/constructs/signing_key.py); functions are told the alias.
    A silo's functions use the platform's, as they do its platform-scope tables."""

    key: str
    env_var: str

    def physical_name(self, prefix: str) -> str:
        return f"alias/{prefix}-{self.key}"


@dataclass(frozen=True)
class QueueSpec:
    key: str
    env_var: str

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.key}"


@dataclass(frozen=True)
class StateMachineSpec:
    """A static state machine from `statemachines/`; `${<function>FunctionArn}` placeholders name catalog functions."""

    key: str
    env_var: str
    definition_file: str
    invokes_functions: tuple[str, ...] = field(default=())

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.key}"

    def definition_template(self) -> str:
        return (STATEMACHINES_DIR / self.definition_file).read_text()

    def render_definition(self, function_arns: dict[str, str]) -> str:
        definition = self.definition_template()
        for function_name in self.invokes_functions:
            definition = definition.replace(
                "${" + function_arn_placeholder(function_name) + "}", function_arns[function_name]
            )
        json.loads(definition)
        return definition


@dataclass(frozen=True)
class WorkflowStateMachinesSpec:
    """The state machines compiled from tenants' workflows: created at run time, one per workflow, all named
    `<prefix>-<key>-<workflow>`, all running as the role `<prefix>-<key>-execution`. That role may invoke
    `invokes_functions`, send to `sends_to`, publish to SNS, put events and start and follow its sibling machines.
    Their Task states name those functions by their `function_alias` (a version whose provisioned concurrency the
    forecasts schedule: PREDICTIVE_SCALING); the role may invoke that alias, and the unqualified function that
    versions compiled before the alias name, but no other version or alias. Their asynchronous express runs are run
    synchronously by the catalog function `express_runner` (invoked asynchronously on its `function_alias`), so
    express machines log only their failures. The environment variable holds the ARN prefix
    `arn:aws:states:<region>:<account>:stateMachine:<prefix>-<key>`."""

    key: str
    env_var: str
    invokes_functions: tuple[str, ...]
    sends_to: tuple[QueueSpec, ...]
    function_alias: str
    express_runner: str

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.key}"

    def arn_prefix(self, prefix: str, account: str, region: str) -> str:
        return f"arn:aws:states:{region}:{account}:stateMachine:{self.physical_name(prefix)}"

    def read_arn_prefix(self, arn_prefix: str) -> tuple[str, str, str]:
        """`arn:aws:states:<region>:<account>:stateMachine:<prefix>-<key>` → (region, account, prefix)."""
        parts = arn_prefix.split(":")
        suffix = f"-{self.key}"
        if len(parts) != 7 or parts[5] != "stateMachine" or not parts[6].endswith(suffix):
            raise ValueError(f"not a workflow state machine ARN prefix: {arn_prefix!r}")
        return parts[3], parts[4], parts[6][: -len(suffix)]

    def execution_role_name(self, prefix: str) -> str:
        return f"{self.physical_name(prefix)}-execution"

    def express_log_group_name(self, prefix: str) -> str:
        """The log group of the express machines' execution events (Step Functions reports their ends only there):
        the CDK app creates it and subscribes the execution_events function to it."""
        return f"/aws/vendedlogs/states/{self.physical_name(prefix)}-express"


@dataclass(frozen=True)
class ScheduleGroupsSpec:
    """EventBridge Scheduler groups created at run time, one per tenant, named `<prefix>-<key>-<tenant id>`. Every
    schedule in them invokes the catalog function `target_function` through the role `<prefix>-<key>-invoke`.
    The environment variable holds the ARN prefix `arn:aws:scheduler:<region>:<account>:schedule-group/<prefix>-<key>`.
    """

    key: str
    env_var: str
    target_function: str

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.key}"

    def arn_prefix(self, prefix: str, account: str, region: str, partition: str = "aws") -> str:
        return f"arn:{partition}:scheduler:{region}:{account}:schedule-group/{self.physical_name(prefix)}"

    def invoke_role_name(self, prefix: str) -> str:
        return f"{self.physical_name(prefix)}-invoke"


@dataclass(frozen=True)
class MlPipelinesSpec:
    """The ML pipelines (shared/ml/state_machines.py): one state machine per job kind, `<prefix>-<key>-<kind>`, the
    SageMaker jobs they run (named after their executions) with the role `<prefix>-<key>-sagemaker`, and the kinds'
    model package groups. The environment variable holds the machines' ARN prefix
    `arn:aws:states:<region>:<account>:stateMachine:<prefix>-<key>`."""

    key: str
    env_var: str
    gate_function: str

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.key}"

    def machine_name(self, prefix: str, kind: str) -> str:
        return f"{self.physical_name(prefix)}-{kind.replace('_', '-')}"

    def arn_prefix(self, prefix: str, account: str, region: str, partition: str = "aws") -> str:
        return f"arn:{partition}:states:{region}:{account}:stateMachine:{self.physical_name(prefix)}"

    def sagemaker_role_name(self, prefix: str) -> str:
        return f"{self.physical_name(prefix)}-sagemaker"

    def platform_prefix(self, arn_prefix: str) -> str:
        """The platform's name prefix, read back from the machines' ARN prefix (tuned models' endpoints carry it)."""
        return arn_prefix.rsplit(":", 1)[-1].removesuffix(f"-{self.key}")


@dataclass(frozen=True)
class ProvisionedConcurrencySpec:
    """The provisioned concurrency of the platform's hot event functions: their `live` alias (a version without
    SnapStart, which Lambda refuses provisioned concurrency on) as an Application Auto Scaling target between
    `min_capacity` and `max_capacity`, target tracking at `target_utilisation` (the CDK app), and the scheduled
    minimums of shared/forecasts/actions.py. The environment variable holds the functions' name prefix (`<prefix>-`,
    shared/catalog.py's function_physical_name)."""

    key: str
    env_var: str
    functions: tuple[str, ...]
    alias: str = "live"
    min_capacity: int = 1
    max_capacity: int = 200
    target_utilisation: float = 0.7

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-"


def function_arn_placeholder(function_name: str) -> str:
    return "".join(part.capitalize() for part in function_name.split("_")) + "FunctionArn"


PLATFORM_TABLE = TableSpec(
    key="platform",
    env_var="FORGE_TABLE_PLATFORM",
    ttl_attribute="expires_at",
    # Feeds the marketplace search index (functions/marketplace_search_indexer).
    stream=True,
    scope=TableScope.PLATFORM,
)
# Tenants, members, API keys, rate-limit buckets and usage counters; tenant data under `TENANT#<id>#...` keys.
TENANCY_TABLE = TableSpec(
    key="tenancy",
    env_var="FORGE_TABLE_TENANCY",
    global_indexes=(IndexSpec(name="tenants_by_creation", partition_key="gsi1pk", sort_key="gsi1sk"),),
    scope=TableScope.PLATFORM,
)
# Append-only: the audit repository only ever puts new items. Platform-wide, silo tenants included: one log per
# tenant holds both the platform admins' actions on it and its members' (and a purge removes it whole); platform
# admins' actions that outlive a tenant (its purge) go to the platform partition `PLATFORM#AUDIT` instead.
AUDIT_TABLE = TableSpec(key="audit", env_var="FORGE_TABLE_AUDIT", scope=TableScope.PLATFORM)
# The KMS key of infra/constructs/platform_key.py (the emulation creates one under the same alias).
PLATFORM_KEY = KeySpec(key="platform-key", env_var="FORGE_PLATFORM_KEY_ALIAS")
# The marketplace's countersigning key: only the scanner signs, installs verify (shared/marketplace/publishing.py).
MARKETPLACE_SIGNING_KEY = SigningKeySpec(key="marketplace-signing", env_var="FORGE_MARKETPLACE_SIGNING_KEY_ALIAS")
PAYLOADS_BUCKET = BucketSpec(key="payloads", env_var="FORGE_BUCKET_PAYLOADS")
# Workflow definitions, versions (with their compiled ASL), the state of each workflow's state machine, and the
# tenant credentials `http_request` nodes name (secrets KMS-encrypted).
WORKFLOWS_TABLE = TableSpec(key="workflows", env_var="FORGE_TABLE_WORKFLOWS")
# Approval requests with their task tokens, sent by `approval` nodes; the approvals_intake function records them.
APPROVALS_QUEUE = QueueSpec(key="approvals", env_var="FORGE_QUEUE_APPROVALS")
# Execution records, idempotency keys and the running-executions counter of each tenant (`TENANT#<id>#...` keys).
# `running_by_start`: the records of running standard executions of every tenant, oldest first (a sparse index: a
# standard record carries `running_shard` only while it runs), for the reconciliation against Step Functions' own
# status. Express records stay out of it (the reconciliation sweeps each tenant's recent records for them).
EXECUTIONS_TABLE = TableSpec(
    key="executions",
    env_var="FORGE_TABLE_EXECUTIONS",
    ttl_attribute="expires_at",
    # Feeds the month usage counters (functions/execution_usage).
    stream=True,
    global_indexes=(IndexSpec(name="running_by_start", partition_key="running_shard", sort_key="sk"),),
)
# Webhook endpoints (secrets KMS-encrypted) and schedules of each tenant's workflows.
TRIGGERS_TABLE = TableSpec(key="triggers", env_var="FORGE_TABLE_TRIGGERS", ttl_attribute="expires_at")
# The hot functions whose provisioned concurrency the forecast actions schedule: execution_events, which every
# execution's status changes invoke, and the node functions, which the workflows' Task states invoke through the same
# alias. The hot HTTP functions (executions, webhooks) keep SnapStart on their alias instead (docs/forecasts.md).
PREDICTIVE_SCALING = ProvisionedConcurrencySpec(
    key="scaling", env_var="FORGE_SCALED_FUNCTION_PREFIX", functions=("execution_events", "node_http", "node_agent")
)
WORKFLOW_STATE_MACHINES = WorkflowStateMachinesSpec(
    key="wf",
    env_var="FORGE_WORKFLOW_STATE_MACHINES",
    invokes_functions=("node_http", "node_agent"),
    sends_to=(APPROVALS_QUEUE,),
    function_alias=PREDICTIVE_SCALING.alias,
    express_runner="execution_events",
)
# The SNS topics and EventBridge buses tenants' notify and emit_event nodes may target: the platform's, named
# `forge-<tenant id>-…` (created for a tenant by the platform). The workflow execution role, which every tenant's
# machines share, reaches only `forge-*` in its account (never the platform's own `nexus-forge-…` topics, nor the
# default bus); validation holds each tenant to its own prefix.
TENANT_TARGETS_PREFIX = "forge-"


def tenant_targets_prefix(tenant_id: str) -> str:
    return f"{TENANT_TARGETS_PREFIX}{tenant_id}-"


# The ML pipelines; the ml_gate function is their evaluation gate.
ML_PIPELINES = MlPipelinesSpec(key="ml", env_var="FORGE_ML_PIPELINES", gate_function="ml_gate")
# One Scheduler group per tenant; every schedule fires the schedule_fire function.
SCHEDULE_GROUPS = ScheduleGroupsSpec(key="sched", env_var="FORGE_SCHEDULE_GROUPS", target_function="schedule_fire")
# The forecast pipeline's batch transform output (shared/forecasts/published.py).
FORECAST_OUTPUTS = BucketPrefixSpec(PAYLOADS_BUCKET, "ml/transform/forecast/")
SMOKE_STATE_MACHINE = StateMachineSpec(
    key="smoke",
    env_var="FORGE_STATE_MACHINE_SMOKE",
    definition_file="smoke.asl.json",
    invokes_functions=("smoke_echo",),
)

TABLES: tuple[TableSpec, ...] = (
    PLATFORM_TABLE,
    TENANCY_TABLE,
    AUDIT_TABLE,
    WORKFLOWS_TABLE,
    EXECUTIONS_TABLE,
    TRIGGERS_TABLE,
)
BUCKETS: tuple[BucketSpec, ...] = (PAYLOADS_BUCKET,)
QUEUES: tuple[QueueSpec, ...] = (APPROVALS_QUEUE,)
STATE_MACHINES: tuple[StateMachineSpec, ...] = (SMOKE_STATE_MACHINE,)


def resource_physical_names(
    prefix: str, account: str, region: str, partition: str = "aws", *, platform_prefix: str | None = None
) -> dict[str, str]:
    """Environment variable → physical name (ARN for state machines, ARN prefix for the workflows' machines and the
    schedule groups) of every platform resource: what the CDK app (infra/names.py) and the local runtime
    (devserver/emulation.py) tell the functions. `platform_prefix`: a silo's platform-scope tables are the platform's.
    """
    own_tables = platform_prefix or prefix
    names = {
        table.env_var: table.physical_name(prefix if table.scope is TableScope.TENANT_DATA else own_tables)
        for table in TABLES
    }
    names |= {bucket.env_var: bucket.physical_name(prefix, account, region) for bucket in BUCKETS}
    names |= {queue.env_var: queue.physical_name(prefix) for queue in QUEUES}
    names |= {
        machine.env_var: f"arn:{partition}:states:{region}:{account}:stateMachine:{machine.physical_name(prefix)}"
        for machine in STATE_MACHINES
    }
    names[WORKFLOW_STATE_MACHINES.env_var] = WORKFLOW_STATE_MACHINES.arn_prefix(prefix, account, region)
    names[SCHEDULE_GROUPS.env_var] = SCHEDULE_GROUPS.arn_prefix(prefix, account, region, partition)
    names[ML_PIPELINES.env_var] = ML_PIPELINES.arn_prefix(prefix, account, region, partition)
    names[PLATFORM_KEY.env_var] = PLATFORM_KEY.physical_name(prefix)
    names[MARKETPLACE_SIGNING_KEY.env_var] = MARKETPLACE_SIGNING_KEY.physical_name(own_tables)
    names[PREDICTIVE_SCALING.env_var] = PREDICTIVE_SCALING.physical_name(prefix)
    return names
