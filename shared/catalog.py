"""The function catalog: the one list of Lambda functions, read by the CDK app and the local runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.access import PLATFORM_ADMIN, PUBLIC, Role, RoutePolicy, members
from shared.metrics import NAMESPACE
from shared.resources import (
    APPROVALS_QUEUE,
    AUDIT_TABLE,
    EXECUTIONS_TABLE,
    FORECAST_OUTPUTS,
    MARKETPLACE_SIGNING_KEY,
    ML_PIPELINES,
    PAYLOADS_BUCKET,
    PLATFORM_KEY,
    PLATFORM_TABLE,
    PREDICTIVE_SCALING,
    SCHEDULE_GROUPS,
    SMOKE_STATE_MACHINE,
    TENANCY_TABLE,
    TRIGGERS_TABLE,
    WORKFLOW_STATE_MACHINES,
    WORKFLOWS_TABLE,
    BucketPrefixSpec,
    BucketSpec,
    KeySpec,
    MlPipelinesSpec,
    ProvisionedConcurrencySpec,
    QueueSpec,
    ScheduleGroupsSpec,
    SigningKeySpec,
    StateMachineSpec,
    TableSpec,
    WorkflowStateMachinesSpec,
)

Resource = (
    TableSpec
    | BucketSpec
    | BucketPrefixSpec
    | QueueSpec
    | StateMachineSpec
    | WorkflowStateMachinesSpec
    | ScheduleGroupsSpec
    | KeySpec
    | SigningKeySpec
    | MlPipelinesSpec
    | ProvisionedConcurrencySpec
)


class Access(StrEnum):
    READ = "read"
    WRITE = "write"
    READ_WRITE = "read_write"
    START = "start"
    # Workflow state machines: START, and starting synchronously (StartSyncExecution: sync webhook deliveries).
    START_SYNC = "start_sync"
    # Workflow state machines: start (also synchronously), read the history of, stop and redrive their executions.
    RUN = "run"
    # Create, update, version, alias, delete, start and stop the workflow state machines, and pass their role;
    # for schedule groups: create groups, create, read, update and delete schedules, and pass their invoke role.
    MANAGE = "manage"
    # Answer the callback tasks of the workflow state machines (SendTaskSuccess/SendTaskFailure).
    ANSWER_TASKS = "answer_tasks"
    # Workflow state machines: read their executions' status and history, and start error workflows.
    SETTLE = "settle"
    # Point a workflow's live alias at another of its published versions (quality control's rollback).
    REPOINT = "repoint"
    # Remove a purged tenant's data (shared/operations/tenant_purge.py): tables: query and delete items; the bucket:
    # list and delete objects; workflow state machines: stop their executions and delete them; schedule groups:
    # delete them.
    PURGE = "purge"
    # Tables: read the table's DynamoDB stream (what a stream event source mapping polls with the function's role).
    READ_STREAM = "read_stream"
    # Signing keys: sign with the key (kms:Sign); VERIFY: verify its signatures and read its public key.
    SIGN = "sign"
    VERIFY = "verify"
    # ML pipelines: START, stopping their executions, and reading and deleting the endpoints (with their configs and
    # models) of tenants' tuned agent models.
    SERVE = "serve"


@dataclass(frozen=True)
class Grant:
    resource: Resource
    access: Access


@dataclass(frozen=True)
class HttpRoute:
    """A route of an HTTP function and who may call it (the permission table is read from these)."""

    method: str
    path: str
    policy: RoutePolicy


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function per feature; `functions/<name>/handler.py` holds its thin handler."""

    name: str
    description: str
    memory_mb: int = 256
    timeout_seconds: int = 10
    routes: tuple[HttpRoute, ...] = ()
    grants: tuple[Grant, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    # A queue whose messages invoke the function in batches that may partly fail (`batchItemFailures`).
    queue_source: QueueSpec | None = None
    # The table's DynamoDB stream invokes the function with batches of its records (new and old images).
    table_stream_source: TableSpec | None = None
    # Only the stream records matching one of these Lambda filter patterns invoke the function (none: every record).
    table_stream_filters: tuple[dict[str, Any], ...] = ()
    # How long the stream's records are gathered into one batch (at most 100 records) before the function runs.
    table_stream_batching_seconds: int = 1
    # An EventBridge rule invokes the function on this schedule expression (`rate(...)` or `cron(...)`).
    schedule: str | None = None
    # API Gateway's Lambda authorizer: wired to the API's authenticated routes, told what HTTP functions are told.
    gateway_authorizer: bool = False
    # Whether the function's tenant routes read and write the caller's tenant data with credentials scoped to that
    # tenant (shared/store/tenant_credentials.py: a tenant-data role, infra/constructs/tenant_data_roles.py). False
    # for platform-level functions, which act across tenants with their own role.
    scoped_tenant_data: bool = True
    # Calls models: the Amazon Bedrock models the deployment configures and the platform's SageMaker endpoints.
    invokes_models: bool = False
    # Embeds text with the marketplace's embedding model (Bedrock InvokeModel on that one model only).
    embeds_text: bool = False
    # X-Ray active tracing. Off (pass-through) for a function invoked once per execution without a caller's trace
    # header: active sampling's reservoir of one a second would record nearly every invocation at webhook volumes.
    active_tracing: bool = True

    @property
    def is_http(self) -> bool:
        return bool(self.routes)

    @property
    def uses_tenant_sessions(self) -> bool:
        """An HTTP function with tables and tenant routes: it gets a tenant-data role to assume per tenant."""
        return self.is_http and self.scoped_tenant_data and any(isinstance(g.resource, TableSpec) for g in self.grants)

    @property
    def authenticates(self) -> bool:
        """Verifies callers' credentials, so it gets the identity settings (issuer, JWKS, cursor secret)."""
        return self.is_http or self.gateway_authorizer

    @property
    def handler_module(self) -> str:
        return f"functions.{self.name}.handler"

    @property
    def router_module(self) -> str:
        return f"functions.{self.name}.router"

    @property
    def handler(self) -> str:
        return f"{self.handler_module}.handler"

    @property
    def service_name(self) -> str:
        return self.name.replace("_", "-")


# What every authenticated HTTP function needs: API keys, memberships and rate buckets; the audit log to append to.
AUTHENTICATED = (Grant(TENANCY_TABLE, Access.READ_WRITE), Grant(AUDIT_TABLE, Access.WRITE))

CATALOG: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        name="platform_meta",
        description="Health check and the OpenAPI document",
        memory_mb=512,
        routes=(
            HttpRoute("GET", "/v1/health", PUBLIC),
            HttpRoute("GET", "/openapi.json", PUBLIC),
            HttpRoute("GET", "/docs", PUBLIC),
            HttpRoute("GET", "/docs/{asset}", PUBLIC),
        ),
    ),
    FunctionSpec(
        name="platform_smoke",
        description="Starts and reads runs of the built-in smoke workflow",
        memory_mb=512,
        routes=(
            HttpRoute("POST", "/v1/platform/smoke-runs", PLATFORM_ADMIN),
            HttpRoute("GET", "/v1/platform/smoke-runs/{run_id}", PLATFORM_ADMIN),
        ),
        grants=(
            *AUTHENTICATED,
            Grant(PLATFORM_TABLE, Access.READ_WRITE),
            Grant(SMOKE_STATE_MACHINE, Access.START),
        ),
        scoped_tenant_data=False,
    ),
    FunctionSpec(
        name="tenants",
        description="Tenants: create, read, update, suspend, delete and purge",
        memory_mb=512,
        routes=(
            HttpRoute("POST", "/v1/tenants", PLATFORM_ADMIN),
            HttpRoute("GET", "/v1/tenants", PLATFORM_ADMIN),
            HttpRoute("GET", "/v1/tenants/{tenant_id}", members(Role.VIEWER, platform_admin=True)),
            HttpRoute("PATCH", "/v1/tenants/{tenant_id}", members(Role.ADMIN, platform_admin=True)),
            HttpRoute("DELETE", "/v1/tenants/{tenant_id}", PLATFORM_ADMIN),
            HttpRoute("POST", "/v1/tenants/{tenant_id}/suspend", PLATFORM_ADMIN),
            HttpRoute("POST", "/v1/tenants/{tenant_id}/resume", PLATFORM_ADMIN),
            HttpRoute("POST", "/v1/tenants/{tenant_id}/purge", PLATFORM_ADMIN),
        ),
        # A purge works within API Gateway's 29 s for 20 s (shared/operations/tenant_purge.py), then is called again.
        timeout_seconds=29,
        grants=(
            Grant(TENANCY_TABLE, Access.READ_WRITE),
            Grant(AUDIT_TABLE, Access.READ_WRITE),
            Grant(WORKFLOWS_TABLE, Access.PURGE),
            Grant(EXECUTIONS_TABLE, Access.PURGE),
            Grant(TRIGGERS_TABLE, Access.PURGE),
            Grant(PAYLOADS_BUCKET, Access.PURGE),
            Grant(WORKFLOW_STATE_MACHINES, Access.PURGE),
            Grant(SCHEDULE_GROUPS, Access.PURGE),
        ),
        scoped_tenant_data=False,
    ),
    FunctionSpec(
        name="members",
        description="Members of a tenant and their roles; the caller's own identity; the tenant's usage of a month",
        memory_mb=512,
        routes=(
            HttpRoute("GET", "/v1/me", members(Role.VIEWER, platform_admin=True)),
            HttpRoute("GET", "/v1/members", members(Role.VIEWER)),
            HttpRoute("POST", "/v1/members", members(Role.ADMIN)),
            HttpRoute("GET", "/v1/members/{subject}", members(Role.VIEWER)),
            HttpRoute("PATCH", "/v1/members/{subject}", members(Role.ADMIN)),
            HttpRoute("DELETE", "/v1/members/{subject}", members(Role.ADMIN)),
            HttpRoute("GET", "/v1/usage", members(Role.VIEWER)),
        ),
        grants=AUTHENTICATED,
    ),
    FunctionSpec(
        name="api_keys",
        description="API keys of a tenant: create, list, rotate, revoke",
        memory_mb=512,
        routes=(
            HttpRoute("GET", "/v1/api-keys", members(Role.ADMIN)),
            HttpRoute("POST", "/v1/api-keys", members(Role.ADMIN)),
            HttpRoute("GET", "/v1/api-keys/{key_id}", members(Role.ADMIN)),
            HttpRoute("POST", "/v1/api-keys/{key_id}/rotate", members(Role.ADMIN)),
            HttpRoute("DELETE", "/v1/api-keys/{key_id}", members(Role.ADMIN)),
        ),
        grants=AUTHENTICATED,
    ),
    FunctionSpec(
        name="quality",
        description="Quality control: quality events and their undo, each workflow's quality policy",
        memory_mb=1024,
        timeout_seconds=29,
        routes=(
            HttpRoute("GET", "/v1/quality/events", members(Role.VIEWER)),
            HttpRoute("POST", "/v1/quality/events/{event_id}/undo", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/quality/policies/{workflow_id}", members(Role.VIEWER)),
            HttpRoute("PUT", "/v1/quality/policies/{workflow_id}", members(Role.EDITOR)),
        ),
        grants=(
            *AUTHENTICATED,
            Grant(WORKFLOWS_TABLE, Access.READ_WRITE),
            # An undo reverses the actions: points the live alias back, enables the trigger schedule and webhooks
            # again, stops the re-runs still running.
            Grant(WORKFLOW_STATE_MACHINES, Access.REPOINT),
            Grant(WORKFLOW_STATE_MACHINES, Access.RUN),
            Grant(TRIGGERS_TABLE, Access.READ_WRITE),
            Grant(SCHEDULE_GROUPS, Access.MANAGE),
            Grant(EXECUTIONS_TABLE, Access.READ_WRITE),
            Grant(PAYLOADS_BUCKET, Access.READ_WRITE),
        ),
    ),
    FunctionSpec(
        name="audit",
        description="A tenant's audit log",
        memory_mb=512,
        routes=(HttpRoute("GET", "/v1/audit-events", members(Role.ADMIN)),),
        grants=(Grant(TENANCY_TABLE, Access.READ_WRITE), Grant(AUDIT_TABLE, Access.READ_WRITE)),
    ),
    FunctionSpec(
        name="authorizer",
        description="API Gateway's authorizer: the usage plan key (the caller's tenant's tier) that meters a request",
        memory_mb=512,
        timeout_seconds=5,
        grants=(Grant(TENANCY_TABLE, Access.READ),),
        gateway_authorizer=True,
    ),
    FunctionSpec(
        name="smoke_echo",
        description="The task of the smoke workflow: greets its input and says where it ran",
        memory_mb=128,
        timeout_seconds=5,
        grants=(Grant(PAYLOADS_BUCKET, Access.READ),),
    ),
    FunctionSpec(
        name="workflows",
        description="Workflows: drafts, validation, publishing to Step Functions, versions, rollback, export/import",
        memory_mb=1024,
        timeout_seconds=29,
        routes=(
            HttpRoute("GET", "/v1/workflow-schema", PUBLIC),
            HttpRoute("POST", "/v1/workflows/validate", members(Role.EDITOR)),
            HttpRoute("POST", "/v1/workflows", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/workflows", members(Role.VIEWER)),
            HttpRoute("POST", "/v1/workflows/import", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/workflows/{workflow_id}", members(Role.VIEWER)),
            HttpRoute("PUT", "/v1/workflows/{workflow_id}", members(Role.EDITOR)),
            HttpRoute("DELETE", "/v1/workflows/{workflow_id}", members(Role.ADMIN)),
            HttpRoute("POST", "/v1/workflows/{workflow_id}/validate", members(Role.EDITOR)),
            HttpRoute("POST", "/v1/workflows/{workflow_id}/test-runs", members(Role.EDITOR)),
            HttpRoute("POST", "/v1/workflows/{workflow_id}/publish", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/workflows/{workflow_id}/versions", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/workflows/{workflow_id}/versions/{version}", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/workflows/{workflow_id}/diff", members(Role.VIEWER)),
            HttpRoute("POST", "/v1/workflows/{workflow_id}/rollback", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/workflows/{workflow_id}/export", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/workflows/{workflow_id}/tool", members(Role.VIEWER)),
        ),
        grants=(
            *AUTHENTICATED,
            Grant(WORKFLOWS_TABLE, Access.READ_WRITE),
            Grant(WORKFLOW_STATE_MACHINES, Access.MANAGE),
            # A schedule trigger node keeps the workflow's trigger schedule; a deleted workflow's triggers go with it.
            Grant(TRIGGERS_TABLE, Access.READ_WRITE),
            Grant(SCHEDULE_GROUPS, Access.MANAGE),
        ),
    ),
    FunctionSpec(
        name="executions",
        description="Executions of workflows: start (quotas, Idempotency-Key), read, list, per-step history",
        memory_mb=512,
        # A synchronous express start waits up to 25 s, within API Gateway's 29.
        timeout_seconds=29,
        routes=(
            HttpRoute("POST", "/v1/workflows/{workflow_id}/executions", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/executions", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/executions/{execution_id}", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/executions/{execution_id}/history", members(Role.VIEWER)),
            HttpRoute("POST", "/v1/executions/{execution_id}/cancel", members(Role.EDITOR)),
            HttpRoute("POST", "/v1/executions/{execution_id}/rerun", members(Role.EDITOR)),
            HttpRoute("POST", "/v1/executions/{execution_id}/redrive", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/executions/{execution_id}/events", members(Role.VIEWER)),
        ),
        grants=(
            *AUTHENTICATED,
            Grant(WORKFLOWS_TABLE, Access.READ),
            Grant(EXECUTIONS_TABLE, Access.READ_WRITE),
            # An opted-in tenant's end of an installed marketplace item adds to its measured performance.
            Grant(PLATFORM_TABLE, Access.WRITE),
            Grant(PAYLOADS_BUCKET, Access.READ_WRITE),
            Grant(WORKFLOW_STATE_MACHINES, Access.RUN),
        ),
    ),
    FunctionSpec(
        name="webhooks",
        description="Webhook endpoints of workflows and the public, signature-verified delivery URL",
        memory_mb=512,
        timeout_seconds=29,
        # Deliveries come through the function URL, which sends no trace header (infra/constructs/delivery_url.py);
        # the management routes are traced when the REST API samples them.
        active_tracing=False,
        routes=(
            HttpRoute("POST", "/v1/hooks", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/hooks", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/hooks/{hook_id}", members(Role.VIEWER)),
            HttpRoute("DELETE", "/v1/hooks/{hook_id}", members(Role.EDITOR)),
            HttpRoute("POST", "/v1/hooks/{hook_id}/rotate-secret", members(Role.ADMIN)),
            # Webhook deliveries authenticate with their signature, not a caller identity.
            HttpRoute("POST", "/v1/hooks/{hook_id}", PUBLIC),
        ),
        grants=(
            *AUTHENTICATED,
            Grant(TRIGGERS_TABLE, Access.READ_WRITE),
            Grant(WORKFLOWS_TABLE, Access.READ),
            Grant(EXECUTIONS_TABLE, Access.READ_WRITE),
            # An opted-in tenant's end of an installed marketplace item adds to its measured performance.
            Grant(PLATFORM_TABLE, Access.WRITE),
            # Large inputs, and (through the bucket's key grant) KMS for the endpoints' secrets.
            Grant(PAYLOADS_BUCKET, Access.READ_WRITE),
            # A sync-mode delivery runs an express workflow synchronously.
            Grant(WORKFLOW_STATE_MACHINES, Access.START_SYNC),
        ),
    ),
    FunctionSpec(
        name="schedules",
        description="Schedules of workflows (cron or rate in a time zone) kept in EventBridge Scheduler",
        memory_mb=512,
        routes=(
            HttpRoute("POST", "/v1/schedules", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/schedules", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/schedules/{schedule_id}", members(Role.VIEWER)),
            HttpRoute("PATCH", "/v1/schedules/{schedule_id}", members(Role.EDITOR)),
            HttpRoute("DELETE", "/v1/schedules/{schedule_id}", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/schedules/{schedule_id}/failures", members(Role.VIEWER)),
            HttpRoute("POST", "/v1/workflows/{workflow_id}/schedule/pause", members(Role.EDITOR)),
            HttpRoute("POST", "/v1/workflows/{workflow_id}/schedule/resume", members(Role.EDITOR)),
        ),
        grants=(
            *AUTHENTICATED,
            Grant(TRIGGERS_TABLE, Access.READ_WRITE),
            Grant(WORKFLOWS_TABLE, Access.READ),
            Grant(SCHEDULE_GROUPS, Access.MANAGE),
        ),
    ),
    FunctionSpec(
        name="schedule_fire",
        description="EventBridge Scheduler's target: starts a schedule's workflow once per slot, records failures",
        memory_mb=256,
        timeout_seconds=30,
        grants=(
            Grant(TENANCY_TABLE, Access.READ_WRITE),
            Grant(TRIGGERS_TABLE, Access.READ_WRITE),
            Grant(WORKFLOWS_TABLE, Access.READ),
            Grant(EXECUTIONS_TABLE, Access.READ_WRITE),
            Grant(PAYLOADS_BUCKET, Access.READ_WRITE),
            Grant(WORKFLOW_STATE_MACHINES, Access.START),
        ),
    ),
    FunctionSpec(
        name="execution_events",
        description="Step Functions status changes: execution records, running slots, metrics, error workflows; "
        "the express runner",
        memory_mb=256,
        # As the express runner it waits for an express run, at most 5 minutes, then applies its end.
        timeout_seconds=360,
        active_tracing=False,
        grants=(
            Grant(TENANCY_TABLE, Access.READ_WRITE),
            Grant(EXECUTIONS_TABLE, Access.READ_WRITE),
            # An opted-in tenant's end of an installed marketplace item adds to its measured performance.
            Grant(PLATFORM_TABLE, Access.WRITE),
            Grant(PAYLOADS_BUCKET, Access.READ_WRITE),
            # Error workflows start (the workflow's live version is read); a failure's node is read from the
            # execution's history; the express runner runs express runs synchronously.
            Grant(WORKFLOWS_TABLE, Access.READ),
            Grant(WORKFLOW_STATE_MACHINES, Access.START_SYNC),
        ),
    ),
    FunctionSpec(
        name="execution_usage",
        description="The executions table's stream → each month's execution counts (the tenant's and each workflow's) "
        "and quality control of the executions it ends",
        memory_mb=256,
        timeout_seconds=30,
        table_stream_source=EXECUTIONS_TABLE,
        # Inserts of execution records (only they have an ARN) and their ends (open → ended, but cancelled): the
        # other status changes invoke nothing.
        table_stream_filters=(
            {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"execution_arn": {"S": [{"exists": True}]}}}},
            {
                "eventName": ["MODIFY"],
                "dynamodb": {
                    "OldImage": {"status": {"S": ["RUNNING", "PENDING_REDRIVE"]}},
                    "NewImage": {
                        "status": {"S": ["SUCCEEDED", "FAILED", "TIMED_OUT"]},
                        "execution_arn": {"S": [{"exists": True}]},
                    },
                },
            },
        ),
        # One counter update per tenant and workflow and batch, and one watch read and write per workflow: ten
        # seconds' starts and ends share them (at a million executions a month about five), the monthly quota is
        # overshot by at most that much more, and a quality action comes at most that much later.
        table_stream_batching_seconds=10,
        grants=(
            Grant(EXECUTIONS_TABLE, Access.READ_STREAM),
            Grant(TENANCY_TABLE, Access.READ_WRITE),
            # Quality control (shared/quality/): the detector's state and events beside the workflows, and the
            # policies' actions: a rollback points the live alias, pausing disables the trigger schedule and
            # webhooks, a retry re-runs failed executions (their records, inputs and starts).
            Grant(WORKFLOWS_TABLE, Access.READ_WRITE),
            Grant(WORKFLOW_STATE_MACHINES, Access.REPOINT),
            Grant(TRIGGERS_TABLE, Access.READ_WRITE),
            Grant(SCHEDULE_GROUPS, Access.MANAGE),
            Grant(EXECUTIONS_TABLE, Access.READ_WRITE),
            Grant(PAYLOADS_BUCKET, Access.READ_WRITE),
            Grant(WORKFLOW_STATE_MACHINES, Access.START),
        ),
        scoped_tenant_data=False,
        active_tracing=False,
    ),
    FunctionSpec(
        name="execution_reconcile",
        description="Running execution records whose executions ended or are gone, settled against Step Functions",
        memory_mb=256,
        # A pass stops a minute before its timeout and the next one goes on (shared/operations/execution_reconcile.py).
        timeout_seconds=300,
        schedule="rate(15 minutes)",
        grants=(
            Grant(TENANCY_TABLE, Access.READ_WRITE),
            Grant(WORKFLOWS_TABLE, Access.READ),
            Grant(EXECUTIONS_TABLE, Access.READ_WRITE),
            # An opted-in tenant's end of an installed marketplace item adds to its measured performance.
            Grant(PLATFORM_TABLE, Access.WRITE),
            Grant(PAYLOADS_BUCKET, Access.READ_WRITE),
            Grant(WORKFLOW_STATE_MACHINES, Access.SETTLE),
        ),
    ),
    FunctionSpec(
        name="marketplace",
        description="Marketplace: manifest schemas, publisher namespaces, signed and scanned item versions",
        memory_mb=1024,
        # A semantic search embeds its query.
        embeds_text=True,
        routes=(
            HttpRoute("GET", "/v1/marketplace/schemas/{kind}", members(Role.VIEWER)),
            # A tenant's admins publish for it; its members browse.
            HttpRoute("PUT", "/v1/marketplace/namespaces/{namespace}", members(Role.ADMIN)),
            HttpRoute("GET", "/v1/marketplace/namespaces/{namespace}", members(Role.VIEWER)),
            HttpRoute("POST", "/v1/marketplace/namespaces/{namespace}/verification", PLATFORM_ADMIN),
            HttpRoute("POST", "/v1/marketplace/rescans", PLATFORM_ADMIN),
            HttpRoute("POST", "/v1/marketplace/items/{namespace}/{name}/versions", members(Role.ADMIN)),
            HttpRoute("GET", "/v1/marketplace/items/{namespace}/{name}", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/marketplace/items/{namespace}/{name}/versions", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/marketplace/items/{namespace}/{name}/versions/{version}", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/marketplace/items/{namespace}/{name}/versions/{version}/scan", members(Role.VIEWER)),
            HttpRoute("POST", "/v1/marketplace/items/{namespace}/{name}/versions/{version}/yank", members(Role.ADMIN)),
            HttpRoute(
                "POST", "/v1/marketplace/items/{namespace}/{name}/versions/{version}/deprecation", members(Role.ADMIN)
            ),
            HttpRoute("GET", "/v1/marketplace/search", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/marketplace/search/suggestions", members(Role.VIEWER)),
        ),
        timeout_seconds=29,
        grants=(*AUTHENTICATED, Grant(PLATFORM_TABLE, Access.READ_WRITE), Grant(PAYLOADS_BUCKET, Access.READ_WRITE)),
        # Items are platform-wide (the platform table); ownership is checked by shared/marketplace/publishing.py.
        scoped_tenant_data=False,
    ),
    FunctionSpec(
        name="marketplace_installs",
        description="Marketplace installs: a verified version into the caller's tenant, its updates and uninstall, the "
        "node library",
        memory_mb=512,
        # Editors build workflows, and an install makes one.
        routes=(
            HttpRoute("POST", "/v1/marketplace/installs", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/marketplace/installs", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/marketplace/installs/{install_id}", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/marketplace/installs/{install_id}/update", members(Role.VIEWER)),
            HttpRoute("POST", "/v1/marketplace/installs/{install_id}/update", members(Role.EDITOR)),
            HttpRoute("DELETE", "/v1/marketplace/installs/{install_id}", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/node-presets", members(Role.VIEWER)),
            # Any member of a tenant that installed the item rates it; the publisher's admins reply.
            HttpRoute("GET", "/v1/marketplace/items/{namespace}/{name}/reviews", members(Role.VIEWER)),
            HttpRoute("PUT", "/v1/marketplace/items/{namespace}/{name}/reviews/mine", members(Role.VIEWER)),
            HttpRoute("DELETE", "/v1/marketplace/items/{namespace}/{name}/reviews/mine", members(Role.VIEWER)),
            HttpRoute(
                "POST", "/v1/marketplace/items/{namespace}/{name}/reviews/{review_id}/reports", members(Role.VIEWER)
            ),
            HttpRoute("PUT", "/v1/marketplace/items/{namespace}/{name}/reviews/{review_id}/reply", members(Role.ADMIN)),
        ),
        grants=(
            *AUTHENTICATED,
            Grant(WORKFLOWS_TABLE, Access.READ_WRITE),
            # Reviews and the item's rating counters are written beside the item's versions.
            Grant(PLATFORM_TABLE, Access.READ_WRITE),
            Grant(PAYLOADS_BUCKET, Access.READ),
            Grant(MARKETPLACE_SIGNING_KEY, Access.VERIFY),
            # Uninstalling a template deletes its untouched draft workflow, whose triggers go with it.
            Grant(TRIGGERS_TABLE, Access.READ_WRITE),
            Grant(SCHEDULE_GROUPS, Access.MANAGE),
        ),
    ),
    FunctionSpec(
        name="marketplace_scanner",
        description="The platform table's stream → each pending or rescan-marked marketplace version scanned and "
        "countersigned",
        # The scan's imports (OpenAPI validation, detect-secrets, the SPDX list) stay out of the HTTP cold starts.
        memory_mb=1024,
        timeout_seconds=120,
        # The sweep: versions the stream left pending are marked for the scanner again (only where it is mapped).
        schedule="rate(10 minutes)",
        table_stream_source=PLATFORM_TABLE,
        table_stream_filters=(
            {
                "eventName": ["INSERT"],
                "dynamodb": {"NewImage": {"sk": {"S": [{"prefix": "VERSION#"}]}, "status": {"S": ["pending"]}}},
            },
            # POST /v1/marketplace/rescans marks approved versions of older rules (shared/marketplace/publishing.py).
            {
                "eventName": ["MODIFY"],
                "dynamodb": {
                    "NewImage": {"sk": {"S": [{"prefix": "VERSION#"}]}, "rescan_requested": {"S": [{"exists": True}]}}
                },
            },
        ),
        grants=(
            Grant(PLATFORM_TABLE, Access.READ_WRITE),
            Grant(PLATFORM_TABLE, Access.READ_STREAM),
            Grant(PAYLOADS_BUCKET, Access.READ),
            # The only function that may countersign (tests/infra/test_grants.py).
            Grant(MARKETPLACE_SIGNING_KEY, Access.SIGN),
        ),
        scoped_tenant_data=False,
    ),
    FunctionSpec(
        name="marketplace_search_indexer",
        description="The platform table's stream → the marketplace search index (approved, non-yanked items)",
        memory_mb=512,
        timeout_seconds=60,
        table_stream_source=PLATFORM_TABLE,
        table_stream_filters=(
            # What a search document is made of: an item's listing (its rating too), a version, a namespace.
            {
                "dynamodb": {
                    "Keys": {
                        "pk": {"S": [{"prefix": "MARKET#"}]},
                        "sk": {"S": ["ITEM", "NAMESPACE", {"prefix": "VERSION#"}]},
                    }
                }
            },
            # Measured performance (a ranking signal): every execution adds to a tenant's counters, but only its 1st,
            # 10th, 100th... reindexes the item, so the index follows on a log scale at a few invocations per tenant.
            {
                "dynamodb": {
                    "Keys": {"pk": {"S": [{"prefix": "MARKET#ITEM#"}]}, "sk": {"S": [{"prefix": "PERF#"}]}},
                    "NewImage": {"executions": {"N": [str(10**power) for power in range(8)]}},
                }
            },
        ),
        grants=(Grant(PLATFORM_TABLE, Access.READ), Grant(PLATFORM_TABLE, Access.READ_STREAM)),
        # Embeds each new version's description (Bedrock InvokeModel, Cohere Embed's bodies).
        embeds_text=True,
    ),
    FunctionSpec(
        name="ml_export",
        description="Execution records of the last hour as per-tenant and per-workflow hourly series for ML jobs",
        memory_mb=512,
        timeout_seconds=300,
        schedule="cron(5 * * * ? *)",
        grants=(
            Grant(TENANCY_TABLE, Access.READ),
            Grant(EXECUTIONS_TABLE, Access.READ),
            Grant(PAYLOADS_BUCKET, Access.WRITE),
        ),
        scoped_tenant_data=False,
    ),
    FunctionSpec(
        name="ml_jobs",
        description="ML jobs: start a kind's pipeline, read its status, metrics, cost so far, percent and ETA",
        routes=(
            # Platform admins start any kind; a tenant's admins only the kinds a tenant may start (on its own data).
            HttpRoute("POST", "/v1/ml/jobs", members(Role.ADMIN, platform_admin=True)),
            HttpRoute("GET", "/v1/ml/jobs", members(Role.VIEWER, platform_admin=True)),
            HttpRoute("GET", "/v1/ml/jobs/{job_id}", members(Role.VIEWER, platform_admin=True)),
        ),
        grants=(*AUTHENTICATED, Grant(PLATFORM_TABLE, Access.READ_WRITE), Grant(ML_PIPELINES, Access.START)),
        scoped_tenant_data=False,
    ),
    FunctionSpec(
        name="forecasts",
        description="Workload forecasts of the tenant and its workflows, with intervals and quota warnings",
        memory_mb=512,
        routes=(HttpRoute("GET", "/v1/forecasts", members(Role.VIEWER)),),
        # The forecasts are the pipeline's transform output, read under the caller's tenant name only.
        grants=(*AUTHENTICATED, Grant(FORECAST_OUTPUTS, Access.READ)),
    ),
    FunctionSpec(
        name="ml_forecast_actions",
        description="From the latest forecasts: quota warnings, and scheduled provisioned concurrency of hot functions",
        memory_mb=512,
        timeout_seconds=300,
        # Hourly, so a forecast is acted on within the hour the nightly pipeline ends (warnings once per period).
        schedule="cron(50 * * * ? *)",
        grants=(
            Grant(TENANCY_TABLE, Access.READ),
            Grant(WORKFLOWS_TABLE, Access.READ_WRITE),
            Grant(AUDIT_TABLE, Access.WRITE),
            Grant(FORECAST_OUTPUTS, Access.READ),
            Grant(PREDICTIVE_SCALING, Access.WRITE),
        ),
        scoped_tenant_data=False,
    ),
    FunctionSpec(
        name="agent_models",
        description="Custom agent models: tune on the tenant's examples (the agent_tuning pipeline), follow, delete",
        memory_mb=1024,
        # A request builds and checks the dataset (up to 5 MB of JSONL and the agents' memory) before it starts.
        timeout_seconds=29,
        routes=(
            HttpRoute("POST", "/v1/agent-models", members(Role.ADMIN)),
            HttpRoute("GET", "/v1/agent-models", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/agent-models/{model_id}", members(Role.VIEWER)),
            HttpRoute("DELETE", "/v1/agent-models/{model_id}", members(Role.ADMIN)),
        ),
        grants=(
            *AUTHENTICATED,
            # The models beside the workflows whose live versions may use them.
            Grant(WORKFLOWS_TABLE, Access.READ_WRITE),
            # The agents' memory is read and the dataset written under the tenant's prefix.
            Grant(PAYLOADS_BUCKET, Access.READ_WRITE),
            Grant(ML_PIPELINES, Access.SERVE),
        ),
    ),
    FunctionSpec(
        name="ml_gate",
        description="The ML pipelines' evaluation gate: a new model against the approved one in the Model Registry",
        grants=(Grant(ML_PIPELINES, Access.READ),),
        scoped_tenant_data=False,
    ),
    FunctionSpec(
        name="credentials",
        description="Tenant credentials for http_request nodes: create, list, read metadata, rotate, delete",
        memory_mb=512,
        routes=(
            # Admins manage the secrets; editors, who build workflows, see the names.
            HttpRoute("POST", "/v1/credentials", members(Role.ADMIN)),
            HttpRoute("GET", "/v1/credentials", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/credentials/{credential_name}", members(Role.EDITOR)),
            HttpRoute("PUT", "/v1/credentials/{credential_name}", members(Role.ADMIN)),
            HttpRoute("DELETE", "/v1/credentials/{credential_name}", members(Role.ADMIN)),
        ),
        # Secrets are encrypted here and never decrypted: the key grant is encrypt-only in effect (WRITE includes
        # Decrypt in the mapping, which nothing in this function calls).
        grants=(*AUTHENTICATED, Grant(WORKFLOWS_TABLE, Access.READ_WRITE), Grant(PLATFORM_KEY, Access.WRITE)),
    ),
    FunctionSpec(
        name="approvals",
        description="Approvals of running workflows: list, read, approve or reject (resumes the execution)",
        memory_mb=512,
        routes=(
            HttpRoute("GET", "/v1/approvals", members(Role.VIEWER)),
            HttpRoute("GET", "/v1/approvals/{approval_id}", members(Role.VIEWER)),
            # Answering also requires being one of the approval's approvers, if it names any.
            HttpRoute("POST", "/v1/approvals/{approval_id}/approve", members(Role.EDITOR)),
            HttpRoute("POST", "/v1/approvals/{approval_id}/reject", members(Role.EDITOR)),
        ),
        grants=(
            *AUTHENTICATED,
            Grant(EXECUTIONS_TABLE, Access.READ_WRITE),
            Grant(PAYLOADS_BUCKET, Access.READ),
            # Decrypts the task tokens.
            Grant(PLATFORM_KEY, Access.READ),
            Grant(WORKFLOW_STATE_MACHINES, Access.ANSWER_TASKS),
        ),
    ),
    FunctionSpec(
        name="approvals_intake",
        description="Approval requests of approval nodes (approvals queue) → pending approvals",
        memory_mb=256,
        # At most the queue's visibility timeout (30 s), as the event source mapping requires.
        timeout_seconds=20,
        queue_source=APPROVALS_QUEUE,
        grants=(
            Grant(APPROVALS_QUEUE, Access.READ),
            Grant(EXECUTIONS_TABLE, Access.READ_WRITE),
            # Large node inputs.
            Grant(PAYLOADS_BUCKET, Access.WRITE),
            # Encrypts the task tokens (WRITE includes Decrypt in the mapping, which nothing here calls).
            Grant(PLATFORM_KEY, Access.WRITE),
        ),
    ),
    FunctionSpec(
        name="tools",
        description="Tool descriptions converted between MCP's shape and every agent framework's format",
        memory_mb=512,
        routes=(HttpRoute("POST", "/v1/tools/convert", members(Role.VIEWER)),),
        grants=AUTHENTICATED,
        # Converts what the request carries; it reads and writes no tenant data.
        scoped_tenant_data=False,
    ),
    FunctionSpec(
        name="mcp",
        description="MCP both ways: the tenant's exposed workflows as an MCP server, and its registered MCP servers",
        memory_mb=512,
        # A tools/call of a standard workflow follows its execution for 20 s, within API Gateway's 29.
        timeout_seconds=29,
        routes=(
            # A tools/call starts an execution, as POST /v1/workflows/{id}/executions does.
            HttpRoute("POST", "/v1/mcp", members(Role.EDITOR)),
            # Admins decide where the tenant's requests go and with which credential; editors use the servers.
            HttpRoute("POST", "/v1/mcp-servers", members(Role.ADMIN)),
            HttpRoute("GET", "/v1/mcp-servers", members(Role.EDITOR)),
            HttpRoute("GET", "/v1/mcp-servers/{server_id}", members(Role.EDITOR)),
            HttpRoute("DELETE", "/v1/mcp-servers/{server_id}", members(Role.ADMIN)),
            HttpRoute("POST", "/v1/mcp-servers/{server_id}/refresh", members(Role.EDITOR)),
        ),
        grants=(
            *AUTHENTICATED,
            # Workflows and their versions, the MCP servers and the credentials they name (one table).
            Grant(WORKFLOWS_TABLE, Access.READ_WRITE),
            Grant(EXECUTIONS_TABLE, Access.READ_WRITE),
            # An opted-in tenant's end of an installed marketplace item adds to its measured performance.
            Grant(PLATFORM_TABLE, Access.WRITE),
            Grant(PAYLOADS_BUCKET, Access.READ_WRITE),
            Grant(WORKFLOW_STATE_MACHINES, Access.RUN),
            # Opens the credentials a refresh authenticates with.
            Grant(PLATFORM_KEY, Access.READ),
        ),
    ),
    FunctionSpec(
        name="node_http",
        description="The HTTP request of a workflow's http_request node: timeouts, size limit, SSRF guard",
        memory_mb=256,
        timeout_seconds=70,
        # The tenant's settings (allowed hosts) and its credentials, decrypted with the platform key.
        grants=(
            Grant(TENANCY_TABLE, Access.READ),
            Grant(WORKFLOWS_TABLE, Access.READ),
            Grant(PLATFORM_KEY, Access.READ),
        ),
    ),
    FunctionSpec(
        name="node_agent",
        description="A workflow's agent node: one model turn, the built-in tools, the tenant check of workflow tools",
        memory_mb=512,
        # A model turn may generate for minutes.
        timeout_seconds=300,
        grants=(
            # The tenant's credentials (provider keys, and tool credentials to redact from tool results), decrypted
            # with the platform key; its workflows, which workflow tools must belong to.
            Grant(WORKFLOWS_TABLE, Access.READ),
            Grant(PLATFORM_KEY, Access.READ),
            # Conversations past 64 KiB travel by reference; agents' memory.
            Grant(PAYLOADS_BUCKET, Access.READ_WRITE),
            # Each turn reads the month's token quota, adds its tokens to the month's usage and the execution's record.
            Grant(TENANCY_TABLE, Access.READ_WRITE),
            Grant(EXECUTIONS_TABLE, Access.WRITE),
        ),
        invokes_models=True,
    ),
)


def function_physical_name(prefix: str, name: str) -> str:
    return f"{prefix}-{name.replace('_', '-')}"


def dead_letter_queue_name(function_physical_name: str) -> str:
    """The queue of a function's failed asynchronous invocations (and of schedule slots Scheduler gave up on)."""
    return f"{function_physical_name}-dlq"


CATALOG_BY_NAME: dict[str, FunctionSpec] = {spec.name: spec for spec in CATALOG}


def resource_environment(spec: FunctionSpec, physical_names: dict[str, str]) -> dict[str, str]:
    """The environment variables naming the resources a function may touch, plus its own settings."""
    environment = {grant.resource.env_var: physical_names[grant.resource.env_var] for grant in spec.grants}
    environment["POWERTOOLS_SERVICE_NAME"] = spec.service_name
    environment["POWERTOOLS_METRICS_NAMESPACE"] = NAMESPACE
    # We use no pydantic plugins: without this, the first model of a cold start scans every installed
    # distribution's entry points for some (pydantic's documented switch).
    environment["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    environment.update(spec.environment)
    return environment
