"""The cloud path of a signed webhook → express workflow → sync response, priced and timed: the platform's cost per
1,000,000 such executions, every line item, and a p50 latency budget. Memory sizes come from the synthesized template
(what CloudFormation deploys), request counts and DynamoDB capacity units from a delivery measured in-process
(bench/cloud_cost.py), prices and service latencies from the dated sources below.

Prices: us-east-1 (US East, N. Virginia) list prices, first tier, free tiers left out, recorded on 2026-12-05 from the
pages named beside each, without network access to re-check them that day: check a page before quoting a figure.
Lambda and Step Functions Express prices are shared/workflows/cost.py's (checked 2026-11-22).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from infra.constants import DELIVERY_ROUTE_KEY
from shared.catalog import function_physical_name
from shared.executions.log_events import logs_execution_event
from shared.resources import IndexSpec
from shared.workflows.cost import (
    EXPRESS_MEMORY_GB,
    EXPRESS_USD_PER_GB_SECOND,
    EXPRESS_USD_PER_REQUEST,
    LAMBDA_USD_PER_GB_SECOND,
    LAMBDA_USD_PER_REQUEST,
)

PRICES_RECORDED_ON = "2026-12-05"
EXECUTIONS = 1_000_000
# "Amazon API Gateway pricing" (aws.amazon.com/api-gateway/pricing/), REST APIs: $3.50 per million for the first 333M.
API_GATEWAY_REST_USD_PER_REQUEST = 3.50 / 1_000_000
# Same page, HTTP APIs: $1.00 per million for the first 300M (requests metered in 512 KB steps; a delivery is smaller).
API_GATEWAY_HTTP_USD_PER_REQUEST = 1.00 / 1_000_000
# "AWS Lambda pricing" (aws.amazon.com/lambda/pricing/) and "Lambda function URLs" (Lambda developer guide): a function
# URL adds no charge of its own; its requests are the function's invocations, priced as any.
FUNCTION_URL_USD_PER_REQUEST = 0.0
# "Amazon DynamoDB pricing for on-demand capacity" (aws.amazon.com/dynamodb/pricing/on-demand/), Standard table class,
# after the November 2024 reduction: $0.625 per million write request units, $0.125 per million read request units.
DYNAMODB_USD_PER_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_USD_PER_READ_UNIT = 0.125 / 1_000_000
# "Read/write capacity mode" and "Global secondary indexes: provisioned throughput considerations"
# (docs.aws.amazon.com/amazondynamodb/latest/developerguide/): a write takes one unit per KB of the larger of the item
# before and after it, a transactional one two; a write also writes every global secondary index whose item it adds
# (one put), removes (one delete), moves to another key (both) or changes (one update of the projection), one unit per
# KB of the index item. Index writes are the index's own asynchronous propagation, taken at the standard rate inside
# a transaction too (the transactions page doubles only the items the transaction names).
WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
# "Amazon EventBridge pricing" (aws.amazon.com/eventbridge/pricing/): $1.00 per million custom events; events AWS
# services publish to the default bus (Step Functions' status changes) are free.
EVENTBRIDGE_USD_PER_EVENT = 1.00 / 1_000_000
# "Amazon CloudWatch pricing" (aws.amazon.com/cloudwatch/pricing/), Logs: $0.50 per GB ingested (standard class, and
# vended logs' first 10 TB).
CLOUDWATCH_LOGS_USD_PER_GB = 0.50
# "AWS X-Ray pricing" (aws.amazon.com/xray/pricing/): $5.00 per million traces recorded. The functions and the API
# trace actively; which requests are recorded is the sampling rule's (the template's rule for the delivery route, or
# X-Ray's default rule).
XRAY_USD_PER_TRACE = 5.00 / 1_000_000
SECONDS_PER_MONTH = 30 * 24 * 3600
# What each event of an express run's log at level ALL with execution data carries beside its data (estimated from the
# events' shape in "Log levels for Step Functions", docs.aws.amazon.com/step-functions/).
EXPRESS_LOG_EVENT_BYTES = 300
# Lambda gives a function CPU in proportion to its memory: one full vCPU at 1,769 MB ("Lambda quotas"/"Configuring
# Lambda function memory", docs.aws.amazon.com/lambda/), so a handler's CPU time here stretches below that.
LAMBDA_FULL_VCPU_MB = 1769
# Each Lambda invocation's START, END and REPORT lines (about 350 bytes together), sent at the default system log
# level (INFO); at WARN none are ("Log-level filtering", Lambda developer guide: start and report are INFO events).
LAMBDA_PLATFORM_LOG_BYTES = 350
SYSTEM_LOG_LEVEL_WITHOUT_PLATFORM_LINES = "WARN"

COMPETITOR_PRICES_RECORDED_ON = "2026-12-05"
# Published per-execution prices, recorded from the vendors' pricing pages (without network access that day: check
# them before quoting). n8n Cloud, "Plans and Pricing" (n8n.io/pricing): Pro, EUR 60 a month for 10,000 executions
# (billed monthly), taken as USD 1.08 per EUR; Zapier, "Plans & Pricing" (zapier.com/pricing): Professional,
# USD 29.99 a month for 750 tasks (billed monthly; a one-step Zap is one task per run).
COMPETITORS_USD_PER_EXECUTION: dict[str, tuple[float, str]] = {
    "n8n Cloud Pro": (60 * 1.08 / 10_000, "n8n.io/pricing, EUR 60/month for 10,000 executions"),
    "Zapier Professional": (29.99 / 750, "zapier.com/pricing, USD 29.99/month for 750 tasks"),
}

# Service latencies at p50 within a region (no AWS guarantee exists for any: these are the figures the budget
# assumes, each with where it comes from).
LATENCY_SOURCES: dict[str, tuple[float, str]] = {
    "api_gateway": (
        15.0,
        "REST API overhead (Latency - IntegrationLatency, 'Amazon API Gateway dimensions and metrics'); 10-30 ms "
        "typical per smplogs.com 'High API Response Latency' (read 2026-12-05)",
    ),
    "function_url": (
        15.0,
        "no AWS figure for a function URL's own overhead found (2026-12-06; AWS publishes none for its gateways "
        "either): the REST API's 15 ms kept as a conservative assumption",
    ),
    "lambda_invoke": (5.0, "warm invoke from API Gateway or Step Functions (Lambda's Invoke overhead, 2026-12-05)"),
    "dynamodb_round_trip": (
        5.0,
        "'single-digit millisecond performance at any scale' (aws.amazon.com/dynamodb, read 2026-12-05)",
    ),
    "start_sync_execution": (25.0, "StartSyncExecution request and answer around the run (assumed, 2026-12-05)"),
    "express_state": (2.0, "each state an express run enters (Pass/Choice/JSONata; assumed, 2026-12-05)"),
}


@dataclass(frozen=True)
class TraceSampling:
    """An X-Ray sampling rule: a reservoir of requests each second, then a fixed share of the rest."""

    reservoir_per_second: float
    rate: float


# "Sampling rules" (docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html): the default rule records the
# first request each second and 5 % of the rest.
DEFAULT_SAMPLING = TraceSampling(reservoir_per_second=1.0, rate=0.05)


@dataclass(frozen=True)
class CapacityUnits:
    """DynamoDB on-demand request units one execution consumes: reads, writes of the tables' items, and the writes
    those cause in the tables' global secondary indexes."""

    reads: float
    writes: float
    index_writes: float = 0.0
    # The reconciliation's sweep of express records, amortized over the month's executions (express_sweep_units).
    sweep_reads: float = 0.0
    sweep_writes: float = 0.0


def item_bytes(item: Mapping[str, Any]) -> int:
    """An item's size as DynamoDB bills it: attribute names plus values (numbers about half their digits)."""
    return sum(len(name.encode()) + _value_bytes(value) for name, value in item.items())


def _value_bytes(value: Mapping[str, Any]) -> int:
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        return math.ceil(len(str(inner)) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind == "M":
        return 3 + item_bytes(inner)
    if kind == "L":
        return 3 + sum(1 + _value_bytes(each) for each in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(each)) for each in inner)
    return 1


def _write_units(item: Mapping[str, Any] | None) -> int:
    return max(1, math.ceil(item_bytes(item or {}) / WRITE_UNIT_BYTES))


class ItemWrite(NamedTuple):
    """The write request units of one item write: the table's, and its global secondary indexes'."""

    table: float
    indexes: float


def item_write_units(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    indexes: Sequence[IndexSpec],
    *,
    transactional: bool,
) -> ItemWrite:
    """What writing one item costs, from the item before and after the write (None: absent; a refused conditional
    write leaves it as it was and still costs the table its units). Every index projects all attributes (IndexSpec)."""
    table = max(_write_units(before), _write_units(after)) * (2 if transactional else 1)
    return ItemWrite(table, float(sum(_index_write_units(before, after, index) for index in indexes)))


def _index_write_units(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, index: IndexSpec) -> int:
    keys = [key for key in (index.partition_key, index.sort_key) if key]
    was = before is not None and all(key in before for key in keys)
    now = after is not None and all(key in after for key in keys)
    if was and now and before == after:
        return 0
    if was and now and all(before[key] == after[key] for key in keys):  # type: ignore[index]
        return _write_units(after)
    return (_write_units(before) if was else 0) + (_write_units(after) if now else 0)


@dataclass(frozen=True)
class Invocation:
    """One Lambda function's share of one execution."""

    function: str
    invocations: float
    billed_ms: float
    log_bytes: float = 0.0


@dataclass(frozen=True)
class MeasuredExecution:
    """What one simple webhook execution does, measured in-process (bench/cloud_cost.py)."""

    invocations: tuple[Invocation, ...]
    capacity: CapacityUnits
    dynamodb_round_trips: int
    express_states: int
    express_billed_ms: float
    express_log_bytes: float
    eventbridge_events: float
    webhook_cpu_ms: float
    node_invocations: int


@dataclass(frozen=True)
class LineItem:
    name: str
    quantity: str
    usd_per_million: float


def _catalog_functions(templates: Iterable[Mapping[str, Any]], prefix: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(physical name, properties) of each of the deployment's functions in the synthesized templates."""
    for template in templates:
        for resource in template.get("Resources", {}).values():
            properties = resource.get("Properties", {})
            name = properties.get("FunctionName")
            if (
                resource.get("Type") == "AWS::Lambda::Function"
                and isinstance(name, str)
                and name.startswith(f"{prefix}-")
            ):
                yield name, properties


def function_memory_mb(templates: Iterable[Mapping[str, Any]], prefix: str) -> dict[str, int]:
    """The memory of each catalog function as the synthesized templates deploy it, by catalog name."""
    return {name: int(properties.get("MemorySize", 128)) for name, properties in _catalog_functions(templates, prefix)}


def memory_of(memory: Mapping[str, int], prefix: str, function: str) -> int:
    physical = function_physical_name(prefix, function)
    if physical not in memory:
        raise KeyError(f"the synthesized template has no function {physical}")
    return memory[physical]


def function_platform_log_bytes(templates: Iterable[Mapping[str, Any]], prefix: str) -> dict[str, int]:
    """What Lambda's own lines (START, END, REPORT) add to each invocation of each catalog function, as the synthesized
    templates configure its system log level, by physical name."""
    return {
        name: 0
        if properties.get("LoggingConfig", {}).get("SystemLogLevel") == SYSTEM_LOG_LEVEL_WITHOUT_PLATFORM_LINES
        else LAMBDA_PLATFORM_LOG_BYTES
        for name, properties in _catalog_functions(templates, prefix)
    }


def delivery_sampling(templates: Iterable[Mapping[str, Any]]) -> TraceSampling:
    """The sampling rule the synthesized templates give webhook deliveries (POST /v1/hooks/...), else the default."""
    for template in templates:
        for resource in template.get("Resources", {}).values():
            if resource.get("Type") != "AWS::XRay::SamplingRule":
                continue
            rule = resource.get("Properties", {}).get("SamplingRule", {})
            if rule.get("HTTPMethod") == "POST" and "/v1/hooks/" in str(rule.get("URLPath", "")):
                return TraceSampling(float(rule["ReservoirSize"]), float(rule["FixedRate"]))
    return DEFAULT_SAMPLING


# What serves the delivery route senders are given: the webhooks function's URL, an API Gateway HTTP API, the REST API.
Ingress = Literal["URL", "HTTP", "REST"]


@dataclass(frozen=True)
class DeliveryRoute:
    """What serves the delivery route senders are given, and how its deliveries are traced."""

    ingress: Ingress
    sampling: TraceSampling


# No delivery is traced.
UNTRACED = TraceSampling(reservoir_per_second=0.0, rate=0.0)


def delivery_route(templates: Iterable[Mapping[str, Any]], prefix: str) -> DeliveryRoute:
    """The delivery route as the synthesized templates deploy it: on the webhooks function's URL (AuthType NONE) when
    it has one, else on an HTTP API when one routes it, else on the REST API with its sampling rule. Neither a function
    URL nor an HTTP API is traced by X-Ray: the webhooks function samples with Lambda's fixed rule under active
    tracing, and traces nothing under pass-through, having no caller's trace header."""
    templates = list(templates)
    routed = any(
        resource.get("Type") == "AWS::ApiGatewayV2::Route"
        and resource.get("Properties", {}).get("RouteKey") == DELIVERY_ROUTE_KEY
        for template in templates
        for resource in template.get("Resources", {}).values()
    )
    function_url = _webhooks_function_url(templates, prefix)
    if not routed and function_url is None:
        return DeliveryRoute("REST", delivery_sampling(templates))
    webhooks = function_url if function_url is not None else _webhooks_function(templates, prefix)[1]
    active = webhooks.get("TracingConfig", {}).get("Mode") == "Active"
    return DeliveryRoute("URL" if function_url is not None else "HTTP", DEFAULT_SAMPLING if active else UNTRACED)


def _webhooks_function(templates: Sequence[Mapping[str, Any]], prefix: str) -> tuple[str, Mapping[str, Any]]:
    """(logical id, properties) of the webhooks function in the templates."""
    physical = function_physical_name(prefix, "webhooks")
    for template in templates:
        for logical_id, resource in template.get("Resources", {}).items():
            properties = resource.get("Properties", {})
            if resource.get("Type") == "AWS::Lambda::Function" and properties.get("FunctionName") == physical:
                return logical_id, properties
    raise KeyError(f"the synthesized templates have no function {physical}")


def _webhooks_function_url(templates: Sequence[Mapping[str, Any]], prefix: str) -> Mapping[str, Any] | None:
    """The webhooks function's properties when a public function URL (AuthType NONE) targets it, else None."""
    for template in templates:
        urls = [
            resource.get("Properties", {})
            for resource in template.get("Resources", {}).values()
            if resource.get("Type") == "AWS::Lambda::Url" and resource.get("Properties", {}).get("AuthType") == "NONE"
        ]
        if not urls:
            continue
        try:
            logical_id, properties = _webhooks_function([template], prefix)
        except KeyError:  # a URL of a function in another template
            continue
        if any({"Fn::GetAtt": [logical_id, "Arn"]} == url.get("TargetFunctionArn") for url in urls):
            return properties
    return None


def sampled_share(executions_per_month: float, sampling: TraceSampling = DEFAULT_SAMPLING) -> float:
    """The share of requests a sampling rule records at a steady rate."""
    per_second = executions_per_month / SECONDS_PER_MONTH
    reservoir = sampling.reservoir_per_second
    recorded = min(per_second, reservoir) + sampling.rate * max(0.0, per_second - reservoir)
    return recorded / per_second if per_second else 0.0


def stream_batching_seconds(templates: Iterable[Mapping[str, Any]], prefix: str, function: str) -> float:
    """How long the table stream's event source mapping of a catalog function gathers records, as deployed."""
    physical = function_physical_name(prefix, function)
    for template in templates:
        resources = template.get("Resources", {})
        targets = [
            {"Ref": logical_id}
            for logical_id, resource in resources.items()
            if resource.get("Type") == "AWS::Lambda::Function"
            and resource.get("Properties", {}).get("FunctionName") == physical
        ]
        for resource in resources.values():
            properties = resource.get("Properties", {})
            if resource.get("Type") == "AWS::Lambda::EventSourceMapping" and properties.get("FunctionName") in targets:
                return float(properties.get("MaximumBatchingWindowInSeconds", 0))
    raise KeyError(f"the synthesized templates map no stream to {physical}")


def express_sweep_units(
    record_bytes: float,
    *,
    pass_interval_seconds: float,
    overlap_seconds: float,
    tenants: int,
    tenant_record_bytes: float,
    executions_per_month: float = EXECUTIONS,
) -> tuple[float, float]:
    """(read units, write units) per execution of the reconciliation's sweep of express records
    (shared/operations/execution_reconcile.py). Each pass reads the tenants (a Query of `tenants_by_creation`), where
    the last sweep ended (one consistent read) and, per tenant, its records in the window: the records started since
    the last pass plus the overlap, every one billed whether the status filter keeps it or not (a Query is billed per
    4 KB of the items it reads, at half a unit eventually consistent, and at least half a unit); a finished pass
    writes where it ended (one unit). An upper bound: each tenant's Query is taken at its half-unit minimum plus its
    records' share."""
    passes = SECONDS_PER_MONTH / pass_interval_seconds
    eventually_consistent = 0.5
    records = record_bytes / READ_UNIT_BYTES * eventually_consistent * (1 + overlap_seconds / pass_interval_seconds)
    tenant_list = max(1.0, math.ceil(tenants * tenant_record_bytes / READ_UNIT_BYTES)) * eventually_consistent
    per_pass = tenant_list + 1.0 + tenants * eventually_consistent
    return records + passes * per_pass / executions_per_month, passes / executions_per_month


def successful_express_log_bytes(level: str, states: int, payload_bytes: float) -> float:
    """What the express log ingests for one successful run of `states` states at the machine's log `level`: at ALL
    (with execution data) the run's start and end and each state's entered and exited events, each with its data
    (`payload_bytes`: the input and output); at ERROR, FATAL or OFF nothing, as a success is logged only at ALL. The
    subscription delivers a run's events to execution_events only when there are some."""
    if not logs_execution_event(level, "ExecutionSucceeded"):
        return 0.0
    return (2 + 2 * states) * EXPRESS_LOG_EVENT_BYTES + payload_bytes * (1 + states)


def records_per_batch(executions_per_month: float, window_seconds: float, batch_size: int = 100) -> float:
    """The stream records one batch carries at a steady rate: the first opens the window, those arriving within it
    join ("Lambda event source mappings": a batch goes when its window ends or it is full)."""
    return min(float(batch_size), 1 + executions_per_month / SECONDS_PER_MONTH * window_seconds)


INGRESS_REQUESTS: dict[Ingress, tuple[str, float]] = {
    "URL": ("Lambda function URL requests", FUNCTION_URL_USD_PER_REQUEST),
    "HTTP": ("API Gateway HTTP requests", API_GATEWAY_HTTP_USD_PER_REQUEST),
    "REST": ("API Gateway REST requests", API_GATEWAY_REST_USD_PER_REQUEST),
}


def line_items(
    measured: MeasuredExecution,
    memory: Mapping[str, int],
    prefix: str,
    sampling: TraceSampling = DEFAULT_SAMPLING,
    *,
    ingress: Ingress = "REST",
    platform_log_bytes: Mapping[str, int] | None = None,
) -> list[LineItem]:
    """Every line item of 1,000,000 executions, in USD; `ingress`: what serves the deliveries; `platform_log_bytes`:
    Lambda's own lines per invocation of each function, by physical name (None: the default system log level's)."""
    name, per_request = INGRESS_REQUESTS[ingress]
    items = [LineItem(name, "1 request", per_request * EXECUTIONS)]
    for call in measured.invocations:
        memory_mb = memory_of(memory, prefix, call.function)
        items.append(
            LineItem(
                f"Lambda {call.function} requests",
                f"{call.invocations:g}",
                call.invocations * LAMBDA_USD_PER_REQUEST * EXECUTIONS,
            )
        )
        gb_seconds = call.invocations * (memory_mb / 1024) * math.ceil(call.billed_ms) / 1000
        items.append(
            LineItem(
                f"Lambda {call.function} duration",
                f"{gb_seconds:.5f} GB-s ({memory_mb} MB x {math.ceil(call.billed_ms)} ms)",
                gb_seconds * LAMBDA_USD_PER_GB_SECOND * EXECUTIONS,
            )
        )
    capacity = measured.capacity
    items += [
        LineItem(
            "DynamoDB write request units",
            f"{capacity.writes:g} WRU",
            capacity.writes * DYNAMODB_USD_PER_WRITE_UNIT * EXECUTIONS,
        ),
        LineItem(
            "DynamoDB index write request units",
            f"{capacity.index_writes:g} WRU",
            capacity.index_writes * DYNAMODB_USD_PER_WRITE_UNIT * EXECUTIONS,
        ),
        LineItem(
            "DynamoDB read request units",
            f"{capacity.reads:g} RRU",
            capacity.reads * DYNAMODB_USD_PER_READ_UNIT * EXECUTIONS,
        ),
        LineItem(
            "DynamoDB express sweep (reconciliation)",
            f"{capacity.sweep_reads:.3f} RRU + {capacity.sweep_writes:.4f} WRU",
            (capacity.sweep_reads * DYNAMODB_USD_PER_READ_UNIT + capacity.sweep_writes * DYNAMODB_USD_PER_WRITE_UNIT)
            * EXECUTIONS,
        ),
        LineItem("Step Functions Express requests", "1 request", EXPRESS_USD_PER_REQUEST * EXECUTIONS),
    ]
    billed_100ms = math.ceil(measured.express_billed_ms / 100) * 100
    express_gb_seconds = EXPRESS_MEMORY_GB * billed_100ms / 1000
    items.append(
        LineItem(
            "Step Functions Express duration",
            f"{express_gb_seconds:.5f} GB-s (64 MB x {billed_100ms} ms)",
            express_gb_seconds * EXPRESS_USD_PER_GB_SECOND * EXECUTIONS,
        )
    )
    items.append(
        LineItem(
            "EventBridge events",
            f"{measured.eventbridge_events:g} custom events",
            measured.eventbridge_events * EVENTBRIDGE_USD_PER_EVENT * EXECUTIONS,
        )
    )
    log_bytes = measured.express_log_bytes + sum(
        call.invocations * (call.log_bytes + _platform_log_bytes_of(platform_log_bytes, prefix, call.function))
        for call in measured.invocations
    )
    items.append(
        LineItem(
            "CloudWatch Logs ingestion",
            f"{log_bytes:.0f} bytes",
            log_bytes / 1e9 * CLOUDWATCH_LOGS_USD_PER_GB * EXECUTIONS,
        )
    )
    share = sampled_share(EXECUTIONS, sampling)
    rule = f"{sampling.reservoir_per_second:g}/s + {sampling.rate:.0%}, 1M a month"
    traces = share * XRAY_USD_PER_TRACE * EXECUTIONS
    items.append(LineItem("X-Ray traces recorded", f"{share:.2f} trace ({rule})", traces))
    return items


def _platform_log_bytes_of(platform_log_bytes: Mapping[str, int] | None, prefix: str, function: str) -> int:
    if platform_log_bytes is None:
        return LAMBDA_PLATFORM_LOG_BYTES
    physical = function_physical_name(prefix, function)
    if physical not in platform_log_bytes:
        raise KeyError(f"the synthesized template has no function {physical}")
    return platform_log_bytes[physical]


INGRESS_STEPS: dict[Ingress, tuple[str, str]] = {
    "URL": ("webhooks function URL (no gateway, no authorizer)", "function_url"),
    "HTTP": ("API Gateway (HTTP, no authorizer on the public delivery route)", "api_gateway"),
    "REST": ("API Gateway (REST, no authorizer on the public delivery route)", "api_gateway"),
}


def latency_budget(
    measured: MeasuredExecution, memory: Mapping[str, int], prefix: str, *, ingress: Ingress = "REST"
) -> list[tuple[str, float, str]]:
    """(step, p50 ms, source) of a sync delivery; the public delivery route has no authorizer. The gateway's overhead
    is taken as the REST API's for an HTTP API and for a function URL too (no lower figure is assumed)."""

    def assumed(key: str, times: float = 1.0) -> tuple[float, str]:
        milliseconds, source = LATENCY_SOURCES[key]
        return milliseconds * times, source

    webhooks_mb = memory_of(memory, prefix, "webhooks")
    stretch = max(1.0, LAMBDA_FULL_VCPU_MB / webhooks_mb)
    steps = [
        (INGRESS_STEPS[ingress][0], *assumed(INGRESS_STEPS[ingress][1])),
        ("Lambda invoke of webhooks (warm)", *assumed("lambda_invoke")),
        (
            f"webhooks handler's own CPU at {webhooks_mb} MB",
            measured.webhook_cpu_ms * stretch,
            f"measured here in-process, warm: {measured.webhook_cpu_ms:.1f} ms of CPU x {stretch:.2f} "
            f"({LAMBDA_FULL_VCPU_MB} MB is one vCPU)",
        ),
        (
            f"DynamoDB, {measured.dynamodb_round_trips} round trips",
            *assumed("dynamodb_round_trip", measured.dynamodb_round_trips),
        ),
        ("StartSyncExecution", *assumed("start_sync_execution")),
        (f"express states, {measured.express_states}", *assumed("express_state", measured.express_states)),
        (f"node functions, {measured.node_invocations}", *assumed("lambda_invoke", measured.node_invocations)),
    ]
    return steps
