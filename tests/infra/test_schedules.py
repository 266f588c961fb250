"""Schedules in the cloud: the role Scheduler invokes the fire function with, what the schedules and workflows
functions may do in Scheduler, the names it derives matching what the stack creates, and the alarm on failed slots."""

from __future__ import annotations

import os
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Match, Template

from infra.stacks.regional import RegionalStack
from infra.stacks.silo import SiloStack
from shared.catalog import function_physical_name
from shared.metrics import SCHEDULE_SLOTS_FAILED as FAILED_METRIC
from shared.resources import SCHEDULE_GROUPS, WORKFLOW_STATE_MACHINES
from shared.settings import get_settings
from shared.triggers.schedules.placement import SchedulerPlacement
from tests.infra.conftest import THREE_REGIONS, stacks_of, template_of

pytestmark = pytest.mark.infra

PREFIX = "nexus-forge-test"
ACCOUNT = "111122223333"
PSEUDO = {"AWS::Partition": "aws", "AWS::AccountId": ACCOUNT, "AWS::Region": "us-east-1", "AWS::URLSuffix": ""}


def rendered(value: Any) -> str:
    """A template string value with its pseudo parameters filled in, as CloudFormation would."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return PSEUDO[value["Ref"]]
    separator, parts = value["Fn::Join"]
    return str(separator).join(rendered(part) for part in parts)


def function_of(template: Template, name: str) -> dict[str, Any]:
    (function,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"FunctionName": function_physical_name(PREFIX, name)}}
    ).values()
    properties: dict[str, Any] = function["Properties"]
    return properties


def invoke_role(template: Template, prefix: str = PREFIX) -> dict[str, Any]:
    (role,) = template.find_resources(
        "AWS::IAM::Role", {"Properties": {"RoleName": SCHEDULE_GROUPS.invoke_role_name(prefix)}}
    ).values()
    properties: dict[str, Any] = role["Properties"]
    return properties


def test_scheduler_alone_assumes_the_invoke_role_which_may_only_invoke_the_fire_function_and_dead_letter(
    template: Template,
):
    role = invoke_role(template)
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    (policy,) = role["Policies"]
    invoke, send, encrypt = policy["PolicyDocument"]["Statement"]
    assert invoke["Action"] == "lambda:InvokeFunction"
    fire = function_physical_name(PREFIX, SCHEDULE_GROUPS.target_function)
    assert [rendered(resource).split(":", 6)[6] for resource in invoke["Resource"]] == [fire, f"{fire}:*"]
    assert (send["Action"], rendered(send["Resource"]).split(":", 5)[5]) == ("sqs:SendMessage", f"{fire}-dlq")
    assert encrypt["Condition"] == {"StringLike": {"kms:ViaService": "sqs.*.amazonaws.com"}}


def test_the_names_the_schedules_function_derives_are_the_stacks_role_and_fire_function(
    template: Template, monkeypatch: pytest.MonkeyPatch
):
    environment = function_of(template, "schedules")["Environment"]["Variables"]
    monkeypatch.setitem(os.environ, SCHEDULE_GROUPS.env_var, rendered(environment[SCHEDULE_GROUPS.env_var]))
    get_settings.cache_clear()
    try:
        placement = SchedulerPlacement.from_settings()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

    assert (
        placement.target_arn.rsplit(":", 1)[1] == function_of(template, SCHEDULE_GROUPS.target_function)["FunctionName"]
    )
    assert placement.role_arn.rsplit("/", 1)[1] == invoke_role(template)["RoleName"]
    queues = template.find_resources(
        "AWS::SQS::Queue", {"Properties": {"QueueName": placement.dead_letter_arn.rsplit(":", 1)[1]}}
    )
    assert len(queues) == 1
    assert placement.base_name == f"{PREFIX}-{SCHEDULE_GROUPS.key}"
    assert (placement.account, placement.region) == (ACCOUNT, "us-east-1")


# The workflows function keeps a workflow's trigger schedule (its `schedule` node) and deletes a workflow's schedules.
@pytest.mark.parametrize("function", ["schedules", "workflows"])
def test_the_function_manages_only_the_tenant_groups_and_passes_only_the_invoke_role(
    stack: RegionalStack, template: Template, function: str
):
    role = stack.functions[function].role
    assert role is not None
    role_id = stack.resolve(role.node.default_child.logical_id)  # type: ignore[union-attr]
    (document,) = (
        policy["PolicyDocument"]
        for policy in template.find_resources("AWS::IAM::Role")[role_id]["Properties"]["Policies"]
        if policy["PolicyName"] == "catalog-grants"
    )
    granted = {
        (action, rendered(resource).split(":", 5)[5])
        for statement in document["Statement"]
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
        if action.startswith(("scheduler:", "iam:"))
        for resource in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
    }
    groups = f"{PREFIX}-{SCHEDULE_GROUPS.key}-*"
    assert granted == {
        ("scheduler:GetScheduleGroup", f"schedule-group/{groups}"),
        ("scheduler:CreateScheduleGroup", f"schedule-group/{groups}"),
        ("scheduler:GetSchedule", f"schedule/{groups}/*"),
        ("scheduler:CreateSchedule", f"schedule/{groups}/*"),
        ("scheduler:UpdateSchedule", f"schedule/{groups}/*"),
        ("scheduler:DeleteSchedule", f"schedule/{groups}/*"),
        ("iam:PassRole", f"role/{SCHEDULE_GROUPS.invoke_role_name(PREFIX)}"),
        # The workflows function passes its state machines' role too (WORKFLOW_STATE_MACHINES, Access.MANAGE).
        *(
            [("iam:PassRole", f"role/{WORKFLOW_STATE_MACHINES.execution_role_name(PREFIX)}")]
            if function == "workflows"
            else []
        ),
    }


def test_failed_slots_page_through_the_alarm_topic(template: Template):
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": f"{PREFIX}-schedule-slots-failed",
            "MetricName": FAILED_METRIC,
            "Namespace": "NexusForge",
            "Dimensions": [{"Name": "service", "Value": "schedule-fire"}],
            "Statistic": "Sum",
            "Threshold": 1,
            "AlarmActions": Match.any_value(),
        },
    )


def test_the_invoke_role_is_created_once_per_account_by_the_stacks_that_own_resources(three_region_app: App):
    stacks = stacks_of(three_region_app).values()
    owners = []
    for stack in stacks:
        if isinstance(stack, RegionalStack):
            roles = template_of(stack).find_resources("AWS::IAM::Role")
            names = [role["Properties"].get("RoleName", "") for role in roles.values()]
            owners += [(type(stack).__name__, stack.region) for name in names if name.endswith("-sched-invoke")]
    primary = str(next(iter(THREE_REGIONS["regions"])))
    assert sorted(owners) == sorted([("RegionalStack", primary), (SiloStack.__name__, primary)])
