"""The cloud path measured: a signed webhook → express workflow (webhook → transform) → sync response.

Synthesizes the CDK app (memory of each function as deployed, its system log level, what serves the delivery route
and how it is traced), runs deliveries in-process against the emulation (warm, as a warm Lambda container runs them)
and counts what each costs: DynamoDB round trips and request units, the webhooks function's own CPU (outside its AWS
calls), what its log lines weigh (stdout, and the standard-library records the runtime writes at the application log
level INFO), the express log the workflow's machine writes at its deployed log level (level ERROR: nothing for a
success, so the subscription invokes no execution_events; at level ALL the run's start and end reach execution_events,
which finds them applied with one read: measured then), execution_usage's share of counting the month and
observing the ends (quality control) from the executions table's stream (one batch per the mapping's batching
window, as the template deploys it, at a million executions a month), and the reconciliation's sweep of express
records (its Queries read every record once it is past the bound, as big as the delivery left it, and the tenants;
per pass, amortized over a million executions a month). Then prints (a) the p50 latency budget and (b) the cost
per 1,000,000 executions with every line item, beside n8n Cloud's and Zapier's published prices
(infra/cloud_cost.py holds the prices and the arithmetic).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import logging
import math
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from infra.cloud_cost import (
    COMPETITOR_PRICES_RECORDED_ON,
    COMPETITORS_USD_PER_EXECUTION,
    EXECUTIONS,
    PRICES_RECORDED_ON,
    READ_UNIT_BYTES,
    CapacityUnits,
    Invocation,
    MeasuredExecution,
    delivery_route,
    express_sweep_units,
    function_memory_mb,
    function_platform_log_bytes,
    item_bytes,
    item_write_units,
    latency_budget,
    line_items,
    records_per_batch,
    stream_batching_seconds,
    successful_express_log_bytes,
)
from shared.resources import IndexSpec
from shared.workflows.cost import PRICE_SOURCE

TARGET_P50_MS = 150.0
TARGET_USD_PER_MILLION = 10.0
MEASURED_DELIVERIES = 20
ENVIRONMENT = "bench"
PREFIX = f"nexus-forge-{ENVIRONMENT}"
WORKFLOW = {
    "name": "cloud cost webhook",
    "nodes": [
        {"id": "start", "type": "webhook", "params": {"respond": "with_output"}},
        {"id": "shape", "type": "transform", "params": {"expression": "{'ok': true, 'id': $states.input.body.id}"}},
    ],
    "edges": [{"from": "start", "to": "shape"}],
    "settings": {"mode": "express"},
}


def synthesized_templates() -> list[dict[str, Any]]:
    """The synthesized templates, nested stacks included."""
    from infra.platform_app import CDK_JSON, build_app

    forge = {"environment": ENVIRONMENT, "regions": ["us-east-1"]}
    context = json.loads(CDK_JSON.read_text())["context"] | {"aws:cdk:bundling-stacks": [], "forge": forge}
    with tempfile.TemporaryDirectory() as outdir:
        build_app(context=context, outdir=outdir).synth()
        return [json.loads(path.read_text()) for path in Path(outdir).glob("*.template.json")]


def _written_items(operation: str, request: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(table, key) of each item a write request names."""
    if operation == "TransactWriteItems":
        named = [next(iter(entry.values())) for entry in request["TransactItems"]]
    elif operation in ("UpdateItem", "PutItem", "DeleteItem"):
        named = [request]
    else:
        return []
    return [(each["TableName"], each.get("Key") or _key_of(each["Item"])) for each in named]


def _key_of(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in ("pk", "sk")}


def _stored_item(table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """The item as the emulated table holds it, read without a request (and so without a unit)."""
    from moto.backends import get_backend
    from moto.dynamodb.models.dynamo_type import DynamoType

    from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION

    table = get_backend("dynamodb")[LOCAL_ACCOUNT][LOCAL_REGION].tables[table_name]
    item = table.get_item(DynamoType(key["pk"]), DynamoType(key["sk"]))
    return None if item is None else {name: value.to_regular_json() for name, value in item.attrs.items()}


def _table_indexes() -> dict[str, tuple[IndexSpec, ...]]:
    """Each emulated table's global secondary indexes, from the table specs (no table has a local one)."""
    from devserver.emulation import LOCAL_PREFIX
    from shared.resources import TABLES

    return {table.physical_name(LOCAL_PREFIX): table.global_indexes for table in TABLES}


class DynamoDbMeter:
    """Round trips and request units of the DynamoDB calls made on one thread, and the CPU they took. A write's units
    come from the item before and after it (read from the emulation around the call), its indexes' from the table
    specs."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.round_trips = 0
        self.reads = 0.0
        self.writes = 0.0
        self.index_writes = 0.0
        self.cpu_seconds = 0.0
        self.indexes = _table_indexes()

    def before(self, operation: str, request: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
        return [(table, key, _stored_item(table, key)) for table, key in _written_items(operation, request)]

    def record(
        self,
        operation: str,
        request: dict[str, Any],
        answer: dict[str, Any] | None,
        written: list[tuple[str, dict[str, Any], Any]],
    ) -> None:
        self.round_trips += 1
        if operation == "GetItem":
            size = item_bytes((answer or {}).get("Item", {}))
            self.reads += max(1, math.ceil(size / READ_UNIT_BYTES)) * (1.0 if request.get("ConsistentRead") else 0.5)
        elif operation == "BatchGetItem":
            for table, items in ((answer or {}).get("Responses") or {}).items():
                consistent = request["RequestItems"][table].get("ConsistentRead")
                for item in items:
                    self.reads += max(1, math.ceil(item_bytes(item) / READ_UNIT_BYTES)) * (1.0 if consistent else 0.5)
        for table, key, before in written:
            units = item_write_units(
                before,
                _stored_item(table, key),
                self.indexes.get(table, ()),
                transactional=operation == "TransactWriteItems",
            )
            self.writes += units.table
            self.index_writes += units.indexes


@contextlib.contextmanager
def metered(meter: DynamoDbMeter) -> Iterator[None]:
    from pynamodb.connection.base import Connection

    make_call = Connection._make_api_call

    def counting(self: Connection, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if threading.get_ident() != meter.thread:
            answer: dict[str, Any] = make_call(self, operation, request)
            return answer
        written = meter.before(operation, request)
        started = time.thread_time()
        answered: dict[str, Any] | None = None
        try:
            answered = make_call(self, operation, request)
            return answered
        finally:
            meter.cpu_seconds += time.thread_time() - started
            meter.record(operation, request, answered, written)

    Connection._make_api_call = counting  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Connection._make_api_call = make_call  # type: ignore[method-assign]


class RootLogBytes(logging.Handler):
    """What Lambda's Python runtime writes for the records reaching the root logger, as JSON, under the application
    log level INFO (catalog_functions.py): the runtime then sets the root logger to INFO, so the standard-library
    loggers' INFO records are written too. Powertools' loggers keep their records off the root handler (its
    SuppressFilter), so theirs are left out here; they print to stdout, counted apart."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.bytes = 0

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(logging.getLogger(record.name), "powertools_handler", None) is not None:
            return
        fields = {"timestamp": "2026-12-06T00:00:00Z", "level": record.levelname, "message": record.getMessage()}
        self.bytes += len(json.dumps(fields | {"logger": record.name, "requestId": "0" * 36}).encode()) + 1


@contextlib.contextmanager
def root_logged(counted: RootLogBytes) -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    root.addHandler(counted)
    try:
        yield
    finally:
        root.removeHandler(counted)
        root.setLevel(level)


@contextlib.contextmanager
def timed_sync_starts(spent: list[float]) -> Iterator[None]:
    """The CPU this thread spends in StartSyncExecution (the emulated run included), to leave out of the handler's."""
    from shared.aws import stepfunctions

    start = stepfunctions.start_sync_execution

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return start(*args, **kwargs)
        finally:
            spent.append(time.thread_time() - started)

    stepfunctions.start_sync_execution = timed
    try:
        yield
    finally:
        stepfunctions.start_sync_execution = start


def measure(records_in_batch: float) -> MeasuredExecution:
    """Runs deliveries against the emulation in-process and returns one execution's median figures, with
    execution_usage's share when a stream batch carries `records_in_batch` of them."""
    from devserver.emulation import local_environment

    os.environ.update(local_environment("http://unused"))
    os.environ.pop("AWS_ENDPOINT_URL")
    import boto3
    from fastapi.testclient import TestClient
    from moto import mock_aws

    from bench.webhook_throughput import _signed
    from devserver.dynamodb_atomicity import install_dynamodb_atomicity
    from devserver.emulation import LOCAL_ACCOUNT, LOCAL_PREFIX, LOCAL_REGION, ResourceProvisioner
    from devserver.issuer import LocalIssuer
    from devserver.lambda_runtime import LocalLambdaRuntime
    from devserver.stepfunctions_runtime import install_stepfunctions_runtime

    install_stepfunctions_runtime()
    install_dynamodb_atomicity()
    with (
        tempfile.TemporaryDirectory() as state_dir,
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
    ):
        issuer = LocalIssuer(Path(state_dir))
        issuer.private_key()
        os.environ["FORGE_AUTH_JWKS_URL"] = issuer.jwks_url
        runtime = LocalLambdaRuntime(LOCAL_PREFIX, LOCAL_REGION, LOCAL_ACCOUNT)
        runtime.install()
        ResourceProvisioner(lambda service: boto3.client(service, region_name=LOCAL_REGION), runtime).provision()  # type: ignore[call-overload]
        from bench._local_tenant import tenant_owner
        from devserver.api import create_platform_api
        from shared.executions.error_workflows import start_error_workflow
        from shared.executions.record import apply_logged_changes
        from shared.resources import EXECUTIONS_TABLE, TENANCY_TABLE
        from shared.store.tenancy import TENANT_RECORD_KEY, TenantRecords
        from shared.store.tenant_scoped import TenantContext
        from shared.triggers.webhooks import receive_delivery

        api = TestClient(create_platform_api(issuer))
        owner = tenant_owner(api, issuer, "cost")
        workflow_id = api.post("/v1/workflows", headers=owner, json=WORKFLOW).json()["id"]
        api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner, json={})
        hook = api.post(
            "/v1/hooks", headers=owner, json={"workflow_id": workflow_id, "name": "cost", "response_mode": "sync"}
        ).json()
        sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
        states = _states_entered(sfn, hook["hook_id"], workflow_id)
        log_level = _log_level(sfn, workflow_id)

        samples: list[dict[str, float]] = []
        for attempt in range(3 + MEASURED_DELIVERIES):
            body = json.dumps({"id": attempt}).encode()
            headers = _signed(hook["secret"], f"msg_cost_{attempt}", body)
            meter, printed, root_log = DynamoDbMeter(), io.StringIO(), RootLogBytes()
            sync_cpu: list[float] = []
            with (
                metered(meter),
                timed_sync_starts(sync_cpu),
                contextlib.redirect_stdout(printed),
                root_logged(root_log),
            ):
                started = time.thread_time()
                _, record, _ = receive_delivery(hook["hook_id"], headers, body, after_end=start_error_workflow)
                handler_cpu = time.thread_time() - started - meter.cpu_seconds - sum(sync_cpu)
            payload = len(json.dumps(record.input)) + len(json.dumps(record.output))
            express_log_bytes = successful_express_log_bytes(log_level, states, payload)
            # What the express log's subscription then brings, if the level logs a success: the run's start and end,
            # found applied.
            status_meter = DynamoDbMeter()
            status_cpu = 0.0
            if express_log_bytes:
                with metered(status_meter), contextlib.redirect_stdout(io.StringIO()):
                    status_started = time.thread_time()
                    apply_logged_changes(_logged_changes(record))
                    status_cpu = time.thread_time() - status_started - status_meter.cpu_seconds
            if attempt < 3:  # the first deliveries fill the container's caches
                continue
            stored = _stored_item(
                EXECUTIONS_TABLE.physical_name(LOCAL_PREFIX), {"pk": {"S": record.pk}, "sk": {"S": record.sk}}
            )
            samples.append(
                {
                    "round_trips": meter.round_trips,
                    "reads": meter.reads + status_meter.reads,
                    "writes": meter.writes + status_meter.writes,
                    "index_writes": meter.index_writes + status_meter.index_writes,
                    "cpu_ms": handler_cpu * 1000,
                    "log_bytes": len(printed.getvalue().encode()) + root_log.bytes,
                    "status_trips": status_meter.round_trips,
                    "status_cpu_ms": status_cpu * 1000,
                    "express_log_bytes": express_log_bytes,
                    "record_bytes": item_bytes(stored or {}),
                }
            )
        usage = _usage_batch(max(1, round(records_in_batch)))
        tenant = TenantRecords(TenantContext(hook["hook_id"].split("_")[1])).new(TENANT_RECORD_KEY)
        tenant_item = _stored_item(
            TENANCY_TABLE.physical_name(LOCAL_PREFIX), {"pk": {"S": tenant.pk}, "sk": {"S": tenant.sk}}
        )
    median = {key: statistics.median(sample[key] for sample in samples) for key in samples[0]}
    sweep = _express_sweep(median["record_bytes"], item_bytes(tenant_item or {}))
    return _execution(median, states, usage, records_in_batch, sweep)


def _express_sweep(record_bytes: float, tenant_record_bytes: float) -> tuple[float, float]:
    """The sweep's (read, write) units per execution for the bench's one tenant, a pass on the reconcile function's
    schedule (the catalog's rule)."""
    from datetime import UTC, datetime

    from shared.catalog import CATALOG
    from shared.operations.execution_reconcile import SWEEP_OVERLAP
    from shared.triggers.schedules.expressions import Schedule

    (expression,) = [spec.schedule for spec in CATALOG if spec.name == "execution_reconcile"]
    assert expression is not None
    first, second = itertools.islice(Schedule(expression).fire_times(datetime(2026, 1, 1, tzinfo=UTC)), 2)
    return express_sweep_units(
        record_bytes,
        pass_interval_seconds=(second - first).total_seconds(),
        overlap_seconds=SWEEP_OVERLAP.total_seconds(),
        tenants=1,
        tenant_record_bytes=tenant_record_bytes,
    )


def _usage_batch(size: int) -> tuple[DynamoDbMeter, float]:
    """Handles a batch of the stream records of `size` of the deliveries as execution_usage does (the records its
    mapping's filters pass: each execution's insert, counted, and its end, observed by quality control): (its
    DynamoDB calls, its own CPU seconds outside them)."""
    from moto.backends import get_backend

    from devserver.emulation import LOCAL_ACCOUNT, LOCAL_PREFIX, LOCAL_REGION
    from devserver.table_stream_poller import StreamConsumer
    from shared.catalog import CATALOG_BY_NAME
    from shared.executions.table_stream import count_batch
    from shared.observability import logger
    from shared.quality.stream import observe_stream_ends
    from shared.resources import EXECUTIONS_TABLE

    table = get_backend("dynamodb")[LOCAL_ACCOUNT][LOCAL_REGION].tables[EXECUTIONS_TABLE.physical_name(LOCAL_PREFIX)]
    shard = table.stream_shard
    assert shard is not None, "the executions table has a stream"
    records = json.loads(json.dumps(shard.get(shard.starting_sequence_number, 10_000), default=str))
    consumer = StreamConsumer("execution_usage", CATALOG_BY_NAME["execution_usage"])
    passed = [record for record in records if consumer.wants(record)]
    executions = list(dict.fromkeys(record["dynamodb"]["Keys"]["sk"]["S"] for record in passed))[-size:]
    batch = [record for record in passed if record["dynamodb"]["Keys"]["sk"]["S"] in executions]
    meter = DynamoDbMeter()
    with metered(meter), contextlib.redirect_stdout(io.StringIO()):
        started = time.thread_time()
        count_batch(batch)
        observe_stream_ends(batch, logger)
        own_cpu = time.thread_time() - started - meter.cpu_seconds
    return meter, own_cpu


def _states_entered(client: Any, hook_id: str, workflow_id: str) -> int:
    """The states of the live version's compiled ASL (a straight path enters each once)."""
    from shared.executions.targets import resolve_run_target
    from shared.store.tenant_scoped import TenantContext

    target = resolve_run_target(TenantContext(hook_id.split("_")[1]), workflow_id)
    definition = json.loads(client.describe_state_machine(stateMachineArn=target.version_arn)["definition"])
    return len(definition["States"])


def _log_level(client: Any, workflow_id: str) -> str:
    """The log level of the workflow's machine as published."""
    from shared.workflows.state_machines import placement

    described = client.describe_state_machine(stateMachineArn=placement().state_machine_arn(workflow_id))
    return str(described["loggingConfiguration"]["level"])


def _logged_changes(record: Any) -> list[dict[str, Any]]:
    from shared.executions.naming import ExecutionName

    name = str(ExecutionName(record.pk.split("#")[1], str(record.execution_id)))
    started = int(record.started_at.timestamp() * 1000)
    stopped = int(record.stopped_at.timestamp() * 1000)
    common = {"name": name, "executionArn": record.execution_arn, "startDate": started}
    return [
        {**common, "status": "RUNNING"},
        {**common, "status": "SUCCEEDED", "stopDate": stopped, "output": json.dumps(record.output)},
    ]


def _execution(
    median: dict[str, float],
    states: int,
    usage_batch: tuple[DynamoDbMeter, float],
    records_in_batch: float,
    sweep: tuple[float, float],
) -> MeasuredExecution:
    from infra.cloud_cost import LATENCY_SOURCES

    round_trip_ms = LATENCY_SOURCES["dynamodb_round_trip"][0]
    express_ms = LATENCY_SOURCES["express_state"][0] * states
    sync_ms = LATENCY_SOURCES["start_sync_execution"][0] + express_ms
    webhook_cpu = median["cpu_ms"]
    usage, usage_cpu = usage_batch
    return MeasuredExecution(
        invocations=(
            # Billed while it waits: its own CPU (at full speed; the budget stretches it), DynamoDB, the sync run.
            Invocation(
                "webhooks", 1, webhook_cpu + median["round_trips"] * round_trip_ms + sync_ms, median["log_bytes"]
            ),
            # Invoked only by a log that holds the run (level ALL); one invocation per execution is then the upper
            # bound: a subscription batch carries many runs' events.
            *(
                [Invocation("execution_events", 1, median["status_cpu_ms"] + median["status_trips"] * round_trip_ms)]
                if median["express_log_bytes"]
                else []
            ),
            # One batch's counting (its CPU here, its round trips), shared by the batch's executions.
            Invocation(
                "execution_usage",
                1 / records_in_batch,
                usage_cpu * 1000 + usage.round_trips * round_trip_ms,
                0.0,
            ),
        ),
        capacity=CapacityUnits(
            reads=median["reads"] + usage.reads / records_in_batch,
            writes=median["writes"] + usage.writes / records_in_batch,
            index_writes=median["index_writes"] + usage.index_writes / records_in_batch,
            sweep_reads=sweep[0],
            sweep_writes=sweep[1],
        ),
        dynamodb_round_trips=int(median["round_trips"]),
        express_states=states,
        express_billed_ms=express_ms,
        express_log_bytes=median["express_log_bytes"],
        eventbridge_events=0.0,
        webhook_cpu_ms=webhook_cpu,
        node_invocations=0,
    )


def main() -> None:
    templates = synthesized_templates()
    memory = function_memory_mb(templates, PREFIX)
    records_in_batch = records_per_batch(EXECUTIONS, stream_batching_seconds(templates, PREFIX, "execution_usage"))
    measured = measure(records_in_batch)
    # The budget's own CPU at the configured memory is what the function is billed for too.
    route = delivery_route(templates, PREFIX)
    budget = latency_budget(measured, memory, PREFIX, ingress=route.ingress)
    total_ms = sum(milliseconds for _, milliseconds, _ in budget)
    print(
        "(a) p50 latency budget, signed webhook -> express workflow -> sync response "
        f"(sources as of {PRICES_RECORDED_ON})"
    )
    for step, milliseconds, source in budget:
        print(f"  {step:<58}{milliseconds:>7.1f} ms  {source}")
    verdict = "ok" if total_ms <= TARGET_P50_MS else "OVER TARGET"
    print(f"  {'total':<58}{total_ms:>7.1f} ms  (target <= {TARGET_P50_MS:.0f} ms  {verdict})")
    platform_lines = function_platform_log_bytes(templates, PREFIX)
    items = line_items(
        measured, memory, PREFIX, route.sampling, ingress=route.ingress, platform_log_bytes=platform_lines
    )
    total_usd = sum(item.usd_per_million for item in items)
    print(
        f"\n(b) platform cost per {EXECUTIONS:,} simple webhook executions, "
        f"us-east-1 list prices of {PRICES_RECORDED_ON}"
    )
    for item in items:
        print(f"  {item.name:<36}{item.quantity:>40} each  ${item.usd_per_million:>8.2f}")
    verdict = "ok" if total_usd <= TARGET_USD_PER_MILLION else "OVER TARGET"
    print(f"  {'total':<76}       ${total_usd:>8.2f}  (target <= ${TARGET_USD_PER_MILLION:.0f}  {verdict})")
    print(f"  Lambda and Step Functions prices: {PRICE_SOURCE}")
    print(
        f"\npublished per-execution prices (recorded {COMPETITOR_PRICES_RECORDED_ON}), per {EXECUTIONS:,} executions:"
    )
    for name, (usd, source) in COMPETITORS_USD_PER_EXECUTION.items():
        per_million = usd * EXECUTIONS
        print(f"  {name:<22}${per_million:>12,.0f}  ({per_million / total_usd:,.0f}x ours; {source})")
