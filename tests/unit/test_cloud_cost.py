"""The cloud cost model's arithmetic (infra/cloud_cost.py): every line item present and priced from the measured
counts and the template's memory sizes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra.cloud_cost import (
    API_GATEWAY_HTTP_USD_PER_REQUEST,
    API_GATEWAY_REST_USD_PER_REQUEST,
    CLOUDWATCH_LOGS_USD_PER_GB,
    DYNAMODB_USD_PER_READ_UNIT,
    DYNAMODB_USD_PER_WRITE_UNIT,
    EXPRESS_LOG_EVENT_BYTES,
    LAMBDA_PLATFORM_LOG_BYTES,
    LATENCY_SOURCES,
    UNTRACED,
    XRAY_USD_PER_TRACE,
    CapacityUnits,
    DeliveryRoute,
    Invocation,
    MeasuredExecution,
    TraceSampling,
    delivery_route,
    delivery_sampling,
    express_sweep_units,
    function_memory_mb,
    function_platform_log_bytes,
    item_write_units,
    latency_budget,
    line_items,
    records_per_batch,
    sampled_share,
    stream_batching_seconds,
    successful_express_log_bytes,
)
from shared.resources import EXECUTIONS_TABLE, IndexSpec
from shared.workflows.cost import (
    EXPRESS_USD_PER_GB_SECOND,
    EXPRESS_USD_PER_REQUEST,
    LAMBDA_USD_PER_GB_SECOND,
    LAMBDA_USD_PER_REQUEST,
)

PREFIX = "nexus-forge-unit"
MILLION = 1_000_000


def lambda_function(name: str, memory: int) -> dict[str, Any]:
    return {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": name, "MemorySize": memory}}


TEMPLATES: list[dict[str, Any]] = [
    {"Resources": {"Webhooks": lambda_function(f"{PREFIX}-webhooks", 1024), "Queue": {"Type": "AWS::SQS::Queue"}}},
    # A nested stack's template holds the status function; another deployment's functions are not ours.
    {"Resources": {"Events": lambda_function(f"{PREFIX}-execution-events", 256), "Other": lambda_function("x-y", 64)}},
]
MEASURED = MeasuredExecution(
    invocations=(Invocation("webhooks", 1, 50.0, 1000.0), Invocation("execution_events", 1, 10.0)),
    capacity=CapacityUnits(reads=1.0, writes=14.0, index_writes=2.0, sweep_reads=0.2, sweep_writes=0.01),
    dynamodb_round_trips=5,
    express_states=2,
    express_billed_ms=4.0,
    express_log_bytes=2000.0,
    eventbridge_events=0.0,
    webhook_cpu_ms=3.0,
    node_invocations=0,
)


def test_memory_sizes_are_read_from_every_template_by_physical_name() -> None:
    assert function_memory_mb(TEMPLATES, PREFIX) == {f"{PREFIX}-webhooks": 1024, f"{PREFIX}-execution-events": 256}


def test_every_line_item_is_priced_from_the_counts_and_the_memory() -> None:
    items = {
        item.name: item.usd_per_million for item in line_items(MEASURED, function_memory_mb(TEMPLATES, PREFIX), PREFIX)
    }

    log_bytes = 2000 + (1000 + LAMBDA_PLATFORM_LOG_BYTES) + LAMBDA_PLATFORM_LOG_BYTES
    expected = {
        "API Gateway REST requests": API_GATEWAY_REST_USD_PER_REQUEST * MILLION,
        "Lambda webhooks requests": LAMBDA_USD_PER_REQUEST * MILLION,
        "Lambda webhooks duration": 1.0 * 0.050 * LAMBDA_USD_PER_GB_SECOND * MILLION,
        "Lambda execution_events requests": LAMBDA_USD_PER_REQUEST * MILLION,
        "Lambda execution_events duration": 0.25 * 0.010 * LAMBDA_USD_PER_GB_SECOND * MILLION,
        "DynamoDB write request units": 14 * DYNAMODB_USD_PER_WRITE_UNIT * MILLION,
        "DynamoDB index write request units": 2 * DYNAMODB_USD_PER_WRITE_UNIT * MILLION,
        "DynamoDB read request units": 1 * DYNAMODB_USD_PER_READ_UNIT * MILLION,
        "DynamoDB express sweep (reconciliation)": (
            0.2 * DYNAMODB_USD_PER_READ_UNIT + 0.01 * DYNAMODB_USD_PER_WRITE_UNIT
        )
        * MILLION,
        "Step Functions Express requests": EXPRESS_USD_PER_REQUEST * MILLION,
        # Billed in 100 ms steps at 64 MB.
        "Step Functions Express duration": (64 / 1024) * 0.1 * EXPRESS_USD_PER_GB_SECOND * MILLION,
        "EventBridge events": 0.0,
        "CloudWatch Logs ingestion": log_bytes / 1e9 * CLOUDWATCH_LOGS_USD_PER_GB * MILLION,
        # 1M executions a month is under one a second: X-Ray's reservoir records every one.
        "X-Ray traces recorded": XRAY_USD_PER_TRACE * MILLION,
    }
    assert items.keys() == expected.keys()
    assert items == pytest.approx(expected)
    assert sum(items.values()) == pytest.approx(22.5, abs=0.5)


def test_a_successful_express_run_logs_only_at_level_all() -> None:
    # Level ALL with data: the run's start and end and each state's two events, each with the input and output.
    assert successful_express_log_bytes("ALL", 2, 100.0) == 6 * EXPRESS_LOG_EVENT_BYTES + 3 * 100.0
    # ERROR (what express machines log at now), FATAL and OFF log no success.
    assert successful_express_log_bytes("ERROR", 2, 100.0) == 0.0
    assert successful_express_log_bytes("FATAL", 2, 100.0) == 0.0
    assert successful_express_log_bytes("OFF", 2, 100.0) == 0.0


def test_a_run_no_log_reports_costs_no_status_function_nor_log_bytes() -> None:
    unlogged = dataclasses.replace(MEASURED, invocations=MEASURED.invocations[:1], express_log_bytes=0.0)

    items = {item.name: item.usd_per_million for item in line_items(unlogged, {f"{PREFIX}-webhooks": 1024}, PREFIX)}

    assert not any("execution_events" in name for name in items)
    logged = {
        item.name: item.usd_per_million for item in line_items(MEASURED, function_memory_mb(TEMPLATES, PREFIX), PREFIX)
    }
    saved = (2000 + LAMBDA_PLATFORM_LOG_BYTES) / 1e9 * CLOUDWATCH_LOGS_USD_PER_GB * MILLION
    assert logged["CloudWatch Logs ingestion"] - items["CloudWatch Logs ingestion"] == pytest.approx(saved)
    assert sum(logged.values()) - sum(items.values()) == pytest.approx(
        saved + logged["Lambda execution_events requests"] + logged["Lambda execution_events duration"]
    )


def test_a_function_missing_from_the_template_is_an_error_not_a_default() -> None:
    with pytest.raises(KeyError, match="execution-events"):
        line_items(MEASURED, {f"{PREFIX}-webhooks": 512}, PREFIX)


def test_x_ray_samples_the_reservoir_then_five_percent() -> None:
    per_second = 100_000_000 / (30 * 24 * 3600)
    assert sampled_share(1_000_000) == 1.0
    assert sampled_share(100_000_000) == pytest.approx((1 + 0.05 * (per_second - 1)) / per_second)


def test_the_handler_cpu_stretches_below_one_full_vcpu() -> None:
    budget = {step: ms for step, ms, _ in latency_budget(MEASURED, {f"{PREFIX}-webhooks": 512}, PREFIX)}

    assert budget["webhooks handler's own CPU at 512 MB"] == pytest.approx(3.0 * 1769 / 512)
    assert budget["DynamoDB, 5 round trips"] == 25.0


def sampling_rule(method: str, path: str, reservoir: int, rate: float) -> dict[str, Any]:
    rule = {"HTTPMethod": method, "URLPath": path, "ReservoirSize": reservoir, "FixedRate": rate}
    return {"Type": "AWS::XRay::SamplingRule", "Properties": {"SamplingRule": rule}}


def test_the_delivery_routes_sampling_rule_is_read_from_the_template_and_prices_the_traces() -> None:
    templates: list[dict[str, Any]] = [
        *TEMPLATES,
        {"Resources": {"Other": sampling_rule("GET", "*/v1/workflows*", 5, 1.0)}},
        {"Resources": {"Deliveries": sampling_rule("POST", "*/v1/hooks/*", 0, 0.05)}},
    ]

    sampling = delivery_sampling(templates)
    items = {
        item.name: item.usd_per_million
        for item in line_items(MEASURED, function_memory_mb(templates, PREFIX), PREFIX, sampling)
    }

    assert sampling == TraceSampling(reservoir_per_second=0, rate=0.05)
    assert items["X-Ray traces recorded"] == pytest.approx(0.05 * XRAY_USD_PER_TRACE * MILLION)
    # Without a rule of its own the route takes X-Ray's default: every request under one a second.
    assert sampled_share(1_000_000, delivery_sampling(TEMPLATES)) == 1.0


def test_the_usage_streams_batching_window_is_read_from_its_mapping_and_shares_a_batch() -> None:
    usage = lambda_function(f"{PREFIX}-execution-usage", 256)
    mapping = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {"FunctionName": {"Ref": "Usage"}, "MaximumBatchingWindowInSeconds": 10},
    }
    other = {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"FunctionName": {"Ref": "Webhooks"}}}
    templates: list[dict[str, Any]] = [*TEMPLATES, {"Resources": {"Usage": usage, "Mapping": mapping, "O": other}}]

    window = stream_batching_seconds(templates, PREFIX, "execution_usage")

    assert window == 10.0
    # A million a month is 0.386 a second: the first record and about 3.9 more within ten seconds.
    assert records_per_batch(1_000_000, window) == pytest.approx(1 + 10 * 1_000_000 / (30 * 24 * 3600))
    assert records_per_batch(1_000_000_000, window) == 100
    with pytest.raises(KeyError, match="execution-events"):
        stream_batching_seconds(templates, PREFIX, "execution_events")


def record(**attributes: str) -> dict[str, Any]:
    """An execution record of about 200 bytes (one write unit)."""
    return {"pk": {"S": "T#t1#EXEC"}, "sk": {"S": "0190"}, "input": {"S": "x" * 180}} | {
        name: {"S": value} for name, value in attributes.items()
    }


RUNNING = EXECUTIONS_TABLE.global_indexes


def test_a_write_costs_the_sparse_index_only_when_it_adds_changes_or_removes_the_items_entry() -> None:
    running = record(running_shard="RUNNING#3", status="RUNNING")
    ended = record(status="SUCCEEDED")

    # The start puts the running record into `running_by_start`, in a transaction: two units, and one for the index.
    assert item_write_units(None, running, RUNNING, transactional=True) == (2, 1)
    # An update of a running record changes the index's copy (all attributes are projected).
    assert item_write_units(running, running | {"revision": {"N": "1"}}, RUNNING, transactional=False) == (1, 1)
    # The end removes `running_shard`: the index deletes its entry.
    assert item_write_units(running, ended, RUNNING, transactional=True) == (2, 1)
    # Neither before nor after in the index (an idempotency key, a counter, an ended record): the table only.
    assert item_write_units(ended, ended | {"revision": {"N": "2"}}, RUNNING, transactional=False) == (1, 0)
    # A refused conditional write changes nothing and still costs the table its unit.
    assert item_write_units(running, running, RUNNING, transactional=False) == (1, 0)
    # An express run's record carries no `running_shard`: its start and its end write no index.
    express = record(express="true", status="RUNNING")
    assert item_write_units(None, express, RUNNING, transactional=True) == (2, 0)
    assert item_write_units(express, express | {"status": {"S": "SUCCEEDED"}}, RUNNING, transactional=True) == (2, 0)
    # Moved to another shard: a delete and a put.
    assert item_write_units(running, running | {"running_shard": {"S": "RUNNING#4"}}, RUNNING, transactional=False) == (
        1,
        2,
    )


def test_item_and_index_units_grow_per_started_kilobyte_of_the_larger_item() -> None:
    small = record(running_shard="RUNNING#3")
    large = small | {"output": {"S": "y" * 1500}}
    two_indexes = (*RUNNING, IndexSpec(name="by_status", partition_key="status", sort_key="sk"))

    assert item_write_units(small, large, RUNNING, transactional=True) == (4, 2)
    assert item_write_units(large, small, RUNNING, transactional=False) == (2, 1)
    assert item_write_units(None, small | {"status": {"S": "RUNNING"}}, two_indexes, transactional=False) == (1, 2)


def test_the_express_sweep_reads_each_record_once_with_the_overlap_and_each_pass_its_tenants() -> None:
    passes = 30 * 24 * 4  # every 15 minutes for 30 days
    sweep = {"pass_interval_seconds": 900.0, "overlap_seconds": 60.0, "tenant_record_bytes": 400.0}

    reads, writes = express_sweep_units(2048, tenants=1, **sweep)
    thousand_tenants, _ = express_sweep_units(2048, tenants=1000, **sweep)

    # Half a record's 4 KB at half a unit (eventually consistent), read again by the next window for its first minute;
    # a pass reads the tenants, where the last sweep ended (consistent) and each tenant's window (half a unit at least).
    record_reads = 2048 / 4096 * 0.5 * (1 + 60 / 900)
    assert reads == pytest.approx(record_reads + passes * (0.5 + 1 + 0.5) / MILLION)
    # A finished pass writes where it ended.
    assert writes == pytest.approx(passes / MILLION)
    # A thousand tenants' records in 98 units of the listing, and half a unit each for their windows.
    assert thousand_tenants == pytest.approx(record_reads + passes * (98 * 0.5 + 1 + 1000 * 0.5) / MILLION)
    assert thousand_tenants * DYNAMODB_USD_PER_READ_UNIT * MILLION < 0.25


def webhooks_function(tracing: str) -> dict[str, Any]:
    function = lambda_function(f"{PREFIX}-webhooks", 512)
    function["Properties"]["TracingConfig"] = {"Mode": tracing}
    return function


DELIVERY_ON_HTTP_API = {
    "Type": "AWS::ApiGatewayV2::Route",
    "Properties": {"RouteKey": "POST /v1/hooks/{hook_id}", "ApiId": {"Ref": "Deliveries"}},
}


def test_deliveries_routed_by_an_http_api_are_priced_as_its_requests_and_traced_as_the_webhooks_function_samples():
    rest_rule = {"Resources": {"Deliveries": sampling_rule("POST", "*/v1/hooks/*", 0, 0.05)}}
    on_http = [rest_rule, {"Resources": {"Route": DELIVERY_ON_HTTP_API, "W": webhooks_function("PassThrough")}}]
    traced = [rest_rule, {"Resources": {"Route": DELIVERY_ON_HTTP_API, "W": webhooks_function("Active")}}]

    # The REST API's rule samples only what the REST API serves: X-Ray does not trace HTTP APIs.
    assert delivery_route(on_http, PREFIX) == DeliveryRoute("HTTP", UNTRACED)
    assert delivery_route(traced, PREFIX) == DeliveryRoute("HTTP", TraceSampling(1.0, 0.05))
    assert delivery_route([rest_rule, *TEMPLATES], PREFIX) == DeliveryRoute("REST", TraceSampling(0, 0.05))
    memory = function_memory_mb(TEMPLATES, PREFIX)
    items = {item.name: item.usd_per_million for item in line_items(MEASURED, memory, PREFIX, UNTRACED, ingress="HTTP")}
    assert items["API Gateway HTTP requests"] == pytest.approx(API_GATEWAY_HTTP_USD_PER_REQUEST * MILLION) == 1.0
    assert items["X-Ray traces recorded"] == 0.0
    assert "API Gateway REST requests" not in items


def webhooks_url(target: str = "W", auth_type: str = "NONE") -> dict[str, Any]:
    properties = {"AuthType": auth_type, "Qualifier": "live", "TargetFunctionArn": {"Fn::GetAtt": [target, "Arn"]}}
    return {"Type": "AWS::Lambda::Url", "Properties": properties}


def test_deliveries_on_the_webhooks_function_url_cost_nothing_per_request_and_are_traced_as_the_function_samples():
    rest_rule = {"Resources": {"Deliveries": sampling_rule("POST", "*/v1/hooks/*", 0, 0.05)}}
    on_url = [rest_rule, {"Resources": {"Url": webhooks_url(), "W": webhooks_function("PassThrough")}}]
    traced = [rest_rule, {"Resources": {"Url": webhooks_url(), "W": webhooks_function("Active")}}]
    # A URL of another function, or one that needs IAM, is not where senders deliver.
    elsewhere = [rest_rule, {"Resources": {"Url": webhooks_url("Other"), "W": webhooks_function("PassThrough")}}]
    private = [rest_rule, {"Resources": {"Url": webhooks_url(auth_type="AWS_IAM"), "W": webhooks_function("Active")}}]

    assert delivery_route(on_url, PREFIX) == DeliveryRoute("URL", UNTRACED)
    assert delivery_route(traced, PREFIX) == DeliveryRoute("URL", TraceSampling(1.0, 0.05))
    assert (
        delivery_route(elsewhere, PREFIX)
        == delivery_route(private, PREFIX)
        == DeliveryRoute("REST", TraceSampling(0, 0.05))
    )
    memory = function_memory_mb(TEMPLATES, PREFIX)
    items = {item.name: item.usd_per_million for item in line_items(MEASURED, memory, PREFIX, UNTRACED, ingress="URL")}
    assert items["Lambda function URL requests"] == 0.0
    assert not any(name.startswith("API Gateway") for name in items)
    budget = dict(
        (step, ms) for step, ms, _ in latency_budget(MEASURED, {f"{PREFIX}-webhooks": 512}, PREFIX, ingress="URL")
    )
    # No AWS figure for a function URL's own overhead: the REST API's is kept, not a lower guess.
    assert budget["webhooks function URL (no gateway, no authorizer)"] == LATENCY_SOURCES["api_gateway"][0]


def logging_function(name: str, system_log_level: str | None) -> dict[str, Any]:
    function = lambda_function(name, 256)
    if system_log_level is not None:
        function["Properties"]["LoggingConfig"] = {"LogFormat": "JSON", "SystemLogLevel": system_log_level}
    return function


def test_lambda_platform_lines_are_priced_only_where_the_template_sends_them() -> None:
    templates: list[dict[str, Any]] = [
        {
            "Resources": {
                "Webhooks": logging_function(f"{PREFIX}-webhooks", "WARN"),
                "Events": logging_function(f"{PREFIX}-execution-events", None),
                "Other": logging_function("x-y", "WARN"),
            }
        }
    ]

    platform = function_platform_log_bytes(templates, PREFIX)
    logs = {
        item.name: item.usd_per_million
        for item in line_items(MEASURED, function_memory_mb(templates, PREFIX), PREFIX, platform_log_bytes=platform)
    }["CloudWatch Logs ingestion"]

    # System logs at WARN: no START, END or REPORT line; the default level (INFO) sends them.
    assert platform == {f"{PREFIX}-webhooks": 0, f"{PREFIX}-execution-events": LAMBDA_PLATFORM_LOG_BYTES}
    assert logs == pytest.approx((2000 + 1000 + LAMBDA_PLATFORM_LOG_BYTES) / 1e9 * CLOUDWATCH_LOGS_USD_PER_GB * MILLION)
    with pytest.raises(KeyError, match="execution-events"):
        line_items(
            MEASURED, function_memory_mb(templates, PREFIX), PREFIX, platform_log_bytes={f"{PREFIX}-webhooks": 0}
        )
