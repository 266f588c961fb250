"""Express workflows report their executions through CloudWatch Logs: the log group their machines log to, its
subscription to execution_events (and the permission it needs), and what the workflows function needs and is told
to create machines that log there."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from infra.constructs.express_execution_logs import EXECUTION_EVENT_TYPES
from infra.stacks.regional import RegionalStack
from shared.executions.log_events import LOG_EVENT_STATUSES
from shared.resources import WORKFLOW_STATE_MACHINES
from shared.workflows.placement import WorkflowPlacement
from tests.infra.test_schedules import ACCOUNT, PREFIX, function_of, rendered

pytestmark = pytest.mark.infra

LOG_GROUP_NAME = f"/aws/vendedlogs/states/{PREFIX}-wf-express"


def _logical_id(stack: RegionalStack, construct: Any) -> str:
    return str(stack.resolve(construct.node.default_child.logical_id))


def _log_group_id(template: Template) -> str:
    (logical_id,) = template.find_resources(
        "AWS::Logs::LogGroup", {"Properties": {"LogGroupName": LOG_GROUP_NAME}}
    ).keys()
    return logical_id


def test_the_express_log_group_is_retained_like_the_other_log_groups(template: Template) -> None:
    groups = template.find_resources("AWS::Logs::LogGroup", {"Properties": {"LogGroupName": LOG_GROUP_NAME}})
    (group,) = groups.values()
    lambda_logs = template.find_resources(
        "AWS::Logs::LogGroup", {"Properties": {"LogGroupName": f"/aws/lambda/{PREFIX}-workflows"}}
    )
    (function_group,) = lambda_logs.values()
    assert group["Properties"]["RetentionInDays"] == function_group["Properties"]["RetentionInDays"] > 0
    assert group["DeletionPolicy"] == function_group["DeletionPolicy"]


def test_the_execution_events_of_the_express_log_group_go_to_execution_events(
    stack: RegionalStack, template: Template
) -> None:
    status_alias = _logical_id(stack, stack.runtime_functions.invocation_targets["execution_events"])
    (subscription,) = template.find_resources("AWS::Logs::SubscriptionFilter").values()
    properties = subscription["Properties"]
    assert properties["LogGroupName"] == {"Ref": _log_group_id(template)}
    assert properties["DestinationArn"] == {"Ref": status_alias}
    pattern = properties["FilterPattern"]
    # Exactly the execution-level events, each of which the function maps to a status.
    assert set(EXECUTION_EVENT_TYPES) == set(LOG_EVENT_STATUSES)
    assert pattern.count("$.type") == len(EXECUTION_EVENT_TYPES) and "||" in pattern
    for event_type in EXECUTION_EVENT_TYPES:
        assert f'$.type = "{event_type}"' in pattern


def test_cloudwatch_logs_may_invoke_execution_events_for_that_log_group_only(
    stack: RegionalStack, template: Template
) -> None:
    status_alias = _logical_id(stack, stack.runtime_functions.invocation_targets["execution_events"])
    permissions = [
        permission["Properties"]
        for permission in template.find_resources("AWS::Lambda::Permission").values()
        if permission["Properties"]["Principal"] == "logs.amazonaws.com"
    ]
    (permission,) = permissions
    assert permission["Action"] == "lambda:InvokeFunction"
    assert permission["FunctionName"] == {"Ref": status_alias}
    assert permission["SourceArn"] == {"Fn::GetAtt": [_log_group_id(template), "Arn"]}


def test_the_workflows_role_may_set_up_log_deliveries(stack: RegionalStack, template: Template) -> None:
    role = stack.functions["workflows"].role
    assert role is not None
    delivery_policy = stack.express_logs.delivery_policy
    policy = template.find_resources("AWS::IAM::Policy")[_logical_id(stack, delivery_policy)]["Properties"]
    # The workflows function is in another domain: its role's name reaches this template as a parameter.
    assert policy["Roles"] == [Stack.of(delivery_policy).resolve(role.role_name)]
    deliveries, resource_policies = policy["PolicyDocument"]["Statement"]
    assert sorted(deliveries["Action"]) == [
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:UpdateLogDelivery",
    ]
    assert deliveries["Resource"] == "*"
    assert sorted(resource_policies["Action"]) == [
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:PutResourcePolicy",
    ]
    assert rendered(resource_policies["Resource"]) == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*"
    # The execution role the machines run as may deliver their logs too (it already could).
    (execution_role,) = template.find_resources(
        "AWS::IAM::Role", {"Properties": {"RoleName": WORKFLOW_STATE_MACHINES.execution_role_name(PREFIX)}}
    ).values()
    (inline,) = execution_role["Properties"]["Policies"]
    actions = {
        action
        for statement in inline["PolicyDocument"]["Statement"]
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }
    assert {"logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:DescribeLogGroups"} <= actions


def test_the_workflows_function_derives_exactly_that_log_group(template: Template) -> None:
    """The function is told the workflow machines' ARN prefix; the log group its express machines log to derives
    from it (shared/workflows/placement.py), as their role and the approvals queue do."""
    variables = function_of(template, "workflows")["Environment"]["Variables"]
    placement = WorkflowPlacement.from_arn_prefix(rendered(variables[WORKFLOW_STATE_MACHINES.env_var]))

    assert placement.express_log_group_arn == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{LOG_GROUP_NAME}:*"
