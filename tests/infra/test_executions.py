"""Executions in the cloud: status events of every workflow execution reach execution_events; the executions and
execution_events roles may do exactly what their code calls; the executions dashboard and its alarms."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.constructs.execution_events import workflow_status_rule_name
from infra.grants import _WORKFLOW_MACHINES_MANAGE as WORKFLOW_MACHINES_MANAGE
from infra.stacks.regional import RegionalStack
from shared.catalog import CATALOG, Access
from shared.executions.runner import EXPRESS_RUN_MAX_SECONDS
from shared.executions.status_rule import workflow_status_pattern
from shared.metrics import EXECUTION_DIMENSION_SETS, TENANT_DIMENSION, WORKFLOW_DIMENSION
from shared.resources import EXECUTIONS_TABLE, WORKFLOW_STATE_MACHINES, WORKFLOWS_TABLE
from shared.settings import PlatformSettings

pytestmark = pytest.mark.infra

PREFIX = "nexus-forge-test"


def _logical_id(stack: RegionalStack, construct: Any) -> str:
    return str(stack.resolve(construct.node.default_child.logical_id))


def _state_actions(stack: RegionalStack, template: Template, function: str) -> dict[str, set[str]]:
    """The role's `states:` actions, each with the resources (rendered) it is allowed on."""
    role = stack.functions[function].role
    policies = template.find_resources("AWS::IAM::Role")[_logical_id(stack, role)]["Properties"]["Policies"]
    allowed: dict[str, set[str]] = {}
    for policy in policies:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for action in actions:
                if action.startswith("states:"):
                    allowed.setdefault(action, set()).update(json.dumps(r, sort_keys=True) for r in resources)
    return allowed


def test_the_status_changes_a_record_needs_go_to_execution_events_and_a_first_runs_start_does_not(
    stack: RegionalStack, template: Template
) -> None:
    """Given the synthesized workflow status rule, then it matches the ends, PENDING_REDRIVE and a redrive's RUNNING
    of the workflow machines (a first run's RUNNING is recorded by its starter), with the pattern the local watcher
    evaluates."""
    # Through the alias whose provisioned concurrency is scaled (tests/infra/test_provisioned_concurrency.py).
    status_alias = _logical_id(stack, stack.runtime_functions.invocation_targets["execution_events"])
    rules = template.find_resources("AWS::Events::Rule", {"Properties": {"Name": f"{PREFIX}-workflow-status"}}).values()
    (rule,) = rules
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.states"]
    assert pattern["detail-type"] == ["Step Functions Execution Status Change"]
    ends, redrive_start = pattern["detail"]["$or"]
    assert sorted(ends["status"]) == sorted(["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"])
    assert redrive_start == {"status": ["RUNNING"], "redriveCount": [{"numeric": [">", 0]}]}
    assert set(pattern["detail"]) == {"stateMachineArn", "$or"}
    (machine_arn,) = pattern["detail"]["stateMachineArn"]
    prefix = json.dumps(machine_arn["prefix"])
    assert f":stateMachine:{PREFIX}-wf-" in prefix
    # The one pattern, as the local watcher reads it (the prefix here is the stack's account and region).
    local = workflow_status_pattern("arn")
    assert (local["source"], local["detail-type"], local["detail"]["$or"]) == (
        pattern["source"],
        pattern["detail-type"],
        pattern["detail"]["$or"],
    )
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": status_alias}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    # EventBridge may invoke the function, from this rule only.
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "FunctionName": {"Ref": status_alias},
            "SourceArn": {"Fn::GetAtt": [_logical_id(stack, stack.events.workflow_rule), "Arn"]},
        },
    )


def test_failures_of_the_platform_machines_are_still_logged(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Name": f"{PREFIX}-execution-status",
            "EventPattern": Match.object_like(
                {"detail": Match.object_like({"status": ["FAILED", "TIMED_OUT", "ABORTED"]})}
            ),
        },
    )


def test_the_executions_role_may_do_what_its_routes_call_and_nothing_more(
    stack: RegionalStack, template: Template
) -> None:
    allowed = _state_actions(stack, template, "executions")

    # start, ?wait=true, history and live events, cancel, redrive
    assert set(allowed) == {
        "states:StartExecution",
        "states:StartSyncExecution",
        "states:GetExecutionHistory",
        "states:StopExecution",
        "states:RedriveExecution",
    }
    machines = allowed["states:StartExecution"]
    assert allowed["states:StartSyncExecution"] == machines and len(machines) == 1
    assert f":stateMachine:{PREFIX}-wf-*" in next(iter(machines))
    executions = allowed["states:GetExecutionHistory"]
    assert allowed["states:StopExecution"] == allowed["states:RedriveExecution"] == executions
    assert f":execution:{PREFIX}-wf-*:*" in next(iter(executions))
    # It reads the workflows table (which version to run); it never manages state machines.
    workflows_table = stack.names.name(WORKFLOWS_TABLE)
    environment = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"FunctionName": f"{PREFIX}-executions"}}
    )
    (function,) = environment.values()
    assert function["Properties"]["Environment"]["Variables"]["FORGE_TABLE_WORKFLOWS"] == workflows_table
    assert function["Properties"]["Timeout"] == 29


def test_the_execution_events_role_starts_error_workflows_and_reads_histories(
    stack: RegionalStack, template: Template
) -> None:
    allowed = _state_actions(stack, template, "execution_events")

    # As the express runner it runs express runs with StartSyncExecution (shared/executions/runner.py). Quality
    # control's actions run in execution_usage now: no alias is repointed here.
    starts = {"states:StartExecution", "states:StartSyncExecution"}
    assert set(allowed) == {*starts, "states:GetExecutionHistory"}
    assert f":execution:{PREFIX}-wf-*:*" in next(iter(allowed["states:GetExecutionHistory"]))


def test_execution_usage_may_take_quality_controls_actions_and_no_more(
    stack: RegionalStack, template: Template
) -> None:
    allowed = _state_actions(stack, template, "execution_usage")

    # Quality control of the stream's ends (docs/quality.md): a rollback points a workflow's live alias back and
    # nothing more (no machine is created, changed or deleted); a retry re-runs failed executions.
    repoint = {"states:UpdateStateMachineAlias", "states:DescribeStateMachineAlias"}
    assert set(allowed) == {"states:StartExecution", "states:GetExecutionHistory", *repoint}
    assert not set(allowed) & (set(WORKFLOW_MACHINES_MANAGE) - repoint - {"states:StartExecution"})
    assert f":stateMachine:{PREFIX}-wf-*" in next(iter(allowed["states:UpdateStateMachineAlias"]))


def _invocable(stack: RegionalStack, template: Template, function: str) -> set[str]:
    """The functions (rendered ARNs) the role may invoke."""
    role = stack.functions[function].role
    policies = template.find_resources("AWS::IAM::Role")[_logical_id(stack, role)]["Properties"]["Policies"]
    return {
        json.dumps(resource, sort_keys=True)
        for policy in policies
        for statement in policy["PolicyDocument"]["Statement"]
        if "lambda:InvokeFunction"
        in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        for resource in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
    }


def test_every_function_that_starts_workflows_may_hand_express_runs_to_the_runners_alias_only(
    stack: RegionalStack, template: Template
) -> None:
    starters = [
        spec.name
        for spec in CATALOG
        if any(
            grant.resource is WORKFLOW_STATE_MACHINES
            and grant.access in (Access.START, Access.START_SYNC, Access.RUN, Access.SETTLE)
            for grant in spec.grants
        )
    ]
    assert {"executions", "webhooks", "schedule_fire", "execution_events", "execution_reconcile"} <= set(starters)

    for name in starters:
        (runner,) = _invocable(stack, template, name)
        assert f":function:{PREFIX}-execution-events:live" in runner, name
    (function,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"FunctionName": f"{PREFIX}-execution-events"}}
    ).values()
    # The runner waits for an express run, at most 5 minutes, then applies its end.
    assert function["Properties"]["Timeout"] >= EXPRESS_RUN_MAX_SECONDS + 30


def _alarm(template: Template, name: str) -> dict[str, Any]:
    (alarm,) = template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": f"{PREFIX}-{name}"}}
    ).values()
    properties: dict[str, Any] = alarm["Properties"]
    return properties


def _alarms_the_topic(stack: RegionalStack, properties: dict[str, Any]) -> bool:
    topic = _logical_id(stack, stack.observability.topic)
    return bool(properties["AlarmActions"] == [{"Ref": topic}])


def test_the_failure_rate_and_failed_count_alarms_read_the_platform_wide_emf_metrics(
    stack: RegionalStack, template: Template
) -> None:
    rate = _alarm(template, "executions-failure-rate")
    queries = {query["Id"]: query for query in rate["Metrics"]}
    (expression,) = [query for query in rate["Metrics"] if "Expression" in query]
    assert expression["Expression"] == "IF(ended >= 10, 100 * failed / ended, 0)"
    for metric_id, name in (("ended", "ExecutionsEnded"), ("failed", "ExecutionsFailed")):
        stat = queries[metric_id]["MetricStat"]
        assert stat["Metric"]["Namespace"] == "NexusForge" and stat["Metric"]["MetricName"] == name
        assert stat["Metric"]["Dimensions"] == [{"Name": "stage", "Value": "test"}] and stat["Stat"] == "Sum"
    assert rate["Threshold"] == 20 and rate["EvaluationPeriods"] == 2 and _alarms_the_topic(stack, rate)

    failed = _alarm(template, "executions-failed")
    assert (failed["Namespace"], failed["MetricName"], failed["Statistic"]) == ("NexusForge", "ExecutionsFailed", "Sum")
    assert failed["Dimensions"] == [{"Name": "stage", "Value": "test"}] and failed["Threshold"] == 25
    assert _alarms_the_topic(stack, failed)


def test_the_worst_tenant_throttles_and_undelivered_status_events_alarm(
    stack: RegionalStack, template: Template
) -> None:
    tenant = _alarm(template, "tenant-executions-failed")
    (query,) = tenant["Metrics"]
    assert query["Expression"] == (
        'SELECT SUM(ExecutionsFailed) FROM SCHEMA("NexusForge", tenant_id) GROUP BY tenant_id '
        "ORDER BY SUM() DESC LIMIT 1"
    )
    throttled = _alarm(template, "executions-start-throttled")
    assert (throttled["Namespace"], throttled["MetricName"]) == ("AWS/States", "ThrottledEvents")
    assert throttled["Dimensions"] == [{"Name": "APIName", "Value": "StartExecution"}]
    undelivered = _alarm(template, "execution-status-undelivered")
    assert (undelivered["Namespace"], undelivered["MetricName"]) == ("AWS/Events", "FailedInvocations")
    assert undelivered["Dimensions"] == [{"Name": "RuleName", "Value": workflow_status_rule_name(PREFIX)}]
    for alarm in (tenant, throttled, undelivered):
        assert _alarms_the_topic(stack, alarm)
    # execution_events' errors and throttles alarm like every catalog function's (infra/constructs/observability.py).
    assert _alarm(template, "execution_events-errors")["MetricName"] == "Errors"
    assert _alarm(template, "execution_events-throttles")["MetricName"] == "Throttles"


def test_the_dashboard_shows_executions_per_tenant_and_per_workflow(template: Template) -> None:
    (dashboard,) = template.find_resources(
        "AWS::CloudWatch::Dashboard", {"Properties": {"DashboardName": f"{PREFIX}-executions"}}
    ).values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for title in (
        "Executions: started, ended, failed",
        "Executions: failure rate (%)",
        "Executions: duration (ms)",
        "Executions per tenant, top 10",
        "Failures per tenant, top 10",
        "Executions per workflow, top 10",
        "Failures per workflow, top 10",
        "Slowest workflows: average duration (ms), top 10",
        "Status events: undelivered, errors, throttles",
    ):
        assert title in body, title
    assert "GROUP BY tenant_id, workflow_id" in body and "p99" in body
    # A SCHEMA(...) query matches only metrics with exactly its dimensions: each names one set the platform emits.
    schemas = {tuple(names.split(", ")) for names in re.findall(r'SCHEMA\(\\*"NexusForge\\*", ([a-z_, ]+)\)', body)}
    assert schemas == {(TENANT_DIMENSION, WORKFLOW_DIMENSION), (TENANT_DIMENSION,)}
    assert schemas <= set(EXECUTION_DIMENSION_SETS)


def test_the_executions_function_knows_its_responses_are_buffered(stack: RegionalStack, template: Template) -> None:
    """Mangum buffers a Lambda's response, so the live event stream ends after each batch (shared/executions/live)."""
    function = template.find_resources("AWS::Lambda::Function")[_logical_id(stack, stack.functions["executions"])]
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["FORGE_HTTP_BUFFERED"] == "true"
    assert PlatformSettings(http_buffered=variables["FORGE_HTTP_BUFFERED"]).http_buffered is True


def test_running_records_are_reconciled_against_step_functions_on_a_schedule(
    stack: RegionalStack, template: Template
) -> None:
    reconcile = _logical_id(stack, stack.functions["execution_reconcile"])
    scheduled = [
        rule["Properties"]
        for rule in template.find_resources("AWS::Events::Rule").values()
        if "ScheduleExpression" in rule["Properties"]
    ]
    (rule,) = [rule for rule in scheduled if rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [reconcile, "Arn"]}]
    assert rule["ScheduleExpression"] == "rate(15 minutes)" and rule["State"] == "ENABLED"
    assert "DeadLetterConfig" in rule["Targets"][0]
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {"Action": "lambda:InvokeFunction", "FunctionName": {"Fn::GetAtt": [reconcile, "Arn"]}},
    )
    # It reads each record's execution, its history (the failed node) and starts error workflows; nothing more.
    allowed = _state_actions(stack, template, "execution_reconcile")
    assert set(allowed) == {"states:DescribeExecution", "states:GetExecutionHistory", "states:StartExecution"}
    assert f":execution:{PREFIX}-wf-*:*" in next(iter(allowed["states:DescribeExecution"]))
    # The running records of every tenant are found through the executions table's sparse index.
    executions_table = stack.names.name(EXECUTIONS_TABLE)
    (table,) = template.find_resources("AWS::DynamoDB::GlobalTable", {"Properties": {"TableName": executions_table}})
    indexes = template.find_resources("AWS::DynamoDB::GlobalTable")[table]["Properties"]["GlobalSecondaryIndexes"]
    assert [(index["IndexName"], index["KeySchema"]) for index in indexes] == [
        (
            "running_by_start",
            [{"AttributeName": "running_shard", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        )
    ]


def test_the_webhooks_role_starts_workflows_also_synchronously(stack: RegionalStack, template: Template) -> None:
    allowed = _state_actions(stack, template, "webhooks")

    # A sync-mode delivery runs an express workflow with StartSyncExecution; it never stops or redrives runs.
    assert set(allowed) == {"states:StartExecution", "states:StartSyncExecution", "states:GetExecutionHistory"}
    assert allowed["states:StartSyncExecution"] == allowed["states:StartExecution"]


def test_the_cost_model_reads_each_functions_memory_as_deployed(template: Template) -> None:
    from infra.cloud_cost import function_memory_mb
    from shared.catalog import CATALOG, function_physical_name

    memory = function_memory_mb([template.to_json()], PREFIX)

    assert {name: memory[function_physical_name(PREFIX, name)] for name in ("webhooks", "execution_events")} == {
        spec.name: spec.memory_mb for spec in CATALOG if spec.name in ("webhooks", "execution_events")
    }
