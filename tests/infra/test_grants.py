"""Each function's role allows exactly the catalog's grants; a grant the mapping does not know fails synthesis."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from infra.grants import UnsupportedGrant, grant_policy
from infra.names import ResourceNames
from infra.stacks.regional import RegionalStack
from shared.catalog import CATALOG, Access, FunctionSpec, Grant
from shared.resources import (
    APPROVALS_QUEUE,
    EXECUTIONS_TABLE,
    FORECAST_OUTPUTS,
    MARKETPLACE_SIGNING_KEY,
    PAYLOADS_BUCKET,
    PLATFORM_KEY,
    PLATFORM_TABLE,
    PREDICTIVE_SCALING,
    SCHEDULE_GROUPS,
    SMOKE_STATE_MACHINE,
    WORKFLOW_STATE_MACHINES,
)

pytestmark = pytest.mark.infra


def _pairs(actions: object, resources: object) -> set[tuple[str, str]]:
    action_list = actions if isinstance(actions, list) else [actions]
    resource_list = resources if isinstance(resources, list) else [resources]
    return {(str(a), json.dumps(r, sort_keys=True)) for a in action_list for r in resource_list}


@pytest.mark.parametrize("spec", CATALOG, ids=lambda spec: spec.name)
def test_the_role_allows_exactly_the_catalog_grants(stack: RegionalStack, template: Template, spec: FunctionSpec):
    role = stack.functions[spec.name].role
    assert role is not None
    role_id = stack.resolve(role.node.default_child.logical_id)  # type: ignore[union-attr]
    (document,) = (
        policy["PolicyDocument"]
        for policy in template.find_resources("AWS::IAM::Role")[role_id]["Properties"]["Policies"]
        if policy["PolicyName"] == "catalog-grants"
    )
    granted: set[tuple[str, str]] = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        granted |= _pairs(statement["Action"], statement["Resource"])
    names = ResourceNames(stack, "nexus-forge-test")
    expected: set[tuple[str, str]] = set()
    for grant in spec.grants:
        for rule in grant_policy(grant, names, stack.key.key_arn):
            # As the role's own template sees them: the key's ARN is a parameter of the function's domain.
            expected |= _pairs(list(rule.actions), [Stack.of(role).resolve(resource) for resource in rule.resources])
    own_logs = {pair for pair in granted if pair[0].startswith("logs:")}
    assert {action for action, _ in own_logs} == {"logs:CreateLogStream", "logs:PutLogEvents"}
    # Model invocations are not catalog grants: tests/infra/test_agent_model_access.py pins them. (SageMaker's
    # control plane, the ML pipelines' jobs and registry, is: MlPipelinesSpec.)
    models = {pair for pair in granted - expected if pair[0].startswith(("bedrock:", "sagemaker:"))}
    assert not models or spec.invokes_models or spec.embeds_text
    # Nor is the one parameter an API function reads besides: the app clients it accepts (tests/infra/test_identity.py).
    audiences = {pair for pair in granted - expected if pair[0] == "ssm:GetParameter"}
    assert not audiences or (spec.authenticates and all("/auth/extra-audiences" in pair[1] for pair in audiences))
    assert granted - own_logs - models - audiences == expected


def test_a_read_grant_on_a_table_is_read_only_and_never_scans(stack: RegionalStack):
    (rule,) = grant_policy(Grant(PLATFORM_TABLE, Access.READ), ResourceNames(stack, "p"), "key")
    assert rule.actions == (
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
    )
    assert len(rule.resources) == 2 and rule.resources[1].endswith("/index/*")


@dataclass(frozen=True)
class TopicSpec:
    key: str
    env_var: str


@pytest.mark.parametrize(
    "grant",
    [
        Grant(TopicSpec("alerts", "FORGE_TOPIC_ALERTS"), Access.WRITE),  # type: ignore[arg-type]
        Grant(SMOKE_STATE_MACHINE, Access.WRITE),
        Grant(PAYLOADS_BUCKET, Access.START),
        Grant(PLATFORM_TABLE, Access.START),
    ],
    ids=["unknown resource kind", "write on a state machine", "start on a bucket", "start on a table"],
)
def test_a_grant_the_mapping_does_not_know_is_refused(stack: RegionalStack, grant: Grant):
    with pytest.raises(UnsupportedGrant):
        grant_policy(grant, ResourceNames(stack, "p"), "key")


def _resolved(stack: RegionalStack, grant: Grant) -> list[tuple[tuple[str, ...], list[str]]]:
    rules = grant_policy(grant, ResourceNames(stack, "nexus-forge-test"), "key")
    return [(rule.actions, [json.dumps(stack.resolve(resource)) for resource in rule.resources]) for rule in rules]


def _roles_allowing(template: Template, action: str) -> set[str]:
    """The logical ids of the roles whose inline policies allow `action` (or a wildcard covering it)."""
    service = action.split(":")[0]
    allowing = set()
    for role_id, role in template.find_resources("AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if statement["Effect"] == "Allow" and {action, f"{service}:*", "*"} & set(actions):
                    allowing.add(role_id)
    return allowing


def _role_id(stack: RegionalStack, function: str) -> str:
    role = stack.functions[function].role
    assert role is not None
    return str(stack.resolve(role.node.default_child.logical_id))  # type: ignore[union-attr]


def test_only_the_marketplace_scanner_may_countersign_and_installs_may_verify(stack: RegionalStack, template: Template):
    assert _roles_allowing(template, "kms:Sign") == {_role_id(stack, "marketplace_scanner")}
    assert _roles_allowing(template, "kms:Verify") == {_role_id(stack, "marketplace_installs")}
    (sign,) = grant_policy(Grant(MARKETPLACE_SIGNING_KEY, Access.SIGN), ResourceNames(stack, "nexus-forge-test"), "key")
    assert sign.actions == ("kms:Sign",) and sign.conditions == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/nexus-forge-test-marketplace-signing"]}
    }


def test_a_silos_functions_use_the_platforms_signing_key_by_its_alias(stack: RegionalStack):
    (verify,) = grant_policy(
        Grant(MARKETPLACE_SIGNING_KEY, Access.VERIFY), ResourceNames(stack, "silo-acme", platform_prefix="forge"), "key"
    )
    assert verify.actions == ("kms:Verify", "kms:GetPublicKey")
    assert verify.conditions == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/forge-marketplace-signing"]}
    }


@pytest.mark.parametrize("access", [Access.READ, Access.WRITE, Access.READ_WRITE, Access.PURGE])
def test_a_signing_key_is_never_granted_for_encryption(stack: RegionalStack, access: Access):
    with pytest.raises(UnsupportedGrant):
        grant_policy(Grant(MARKETPLACE_SIGNING_KEY, access), ResourceNames(stack, "p"), "key")


def test_a_purge_grant_on_a_table_queries_and_deletes_and_never_scans_or_writes(stack: RegionalStack):
    ((actions, resources),) = _resolved(stack, Grant(EXECUTIONS_TABLE, Access.PURGE))
    assert actions == ("dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
    assert len(resources) == 1 and "nexus-forge-test-executions" in resources[0] and "index" not in resources[0]


def test_a_purge_grant_on_the_bucket_lists_it_and_deletes_its_objects_without_the_key(stack: RegionalStack):
    (list_actions, bucket), (delete_actions, objects) = _resolved(stack, Grant(PAYLOADS_BUCKET, Access.PURGE))
    assert (list_actions, delete_actions) == (("s3:ListBucket",), ("s3:DeleteObject",))
    assert "nexus-forge-test-payloads" in bucket[0] and "/*" not in bucket[0]
    assert objects[0].endswith('-us-east-1/*"]]}')


def test_a_purge_grant_on_the_workflow_machines_stops_their_runs_and_deletes_them(stack: RegionalStack):
    (machine_actions, machines), (run_actions, runs) = _resolved(stack, Grant(WORKFLOW_STATE_MACHINES, Access.PURGE))
    assert machine_actions == ("states:ListExecutions", "states:DeleteStateMachine")
    assert ":stateMachine:nexus-forge-test-wf-*" in machines[0]
    assert run_actions == ("states:StopExecution",) and ":execution:nexus-forge-test-wf-*:*" in runs[0]


def test_a_purge_grant_on_the_schedule_groups_deletes_only_groups(stack: RegionalStack):
    ((actions, groups),) = _resolved(stack, Grant(SCHEDULE_GROUPS, Access.PURGE))
    assert actions == ("scheduler:GetScheduleGroup", "scheduler:DeleteScheduleGroup")
    assert ":schedule-group/nexus-forge-test-sched-*" in groups[0]


@pytest.mark.parametrize(
    "grant",
    [Grant(SMOKE_STATE_MACHINE, Access.PURGE), Grant(APPROVALS_QUEUE, Access.PURGE), Grant(PLATFORM_KEY, Access.PURGE)],
    ids=["smoke machine", "queue", "key"],
)
def test_purge_is_refused_where_it_is_not_defined(stack: RegionalStack, grant: Grant):
    with pytest.raises(UnsupportedGrant):
        grant_policy(grant, ResourceNames(stack, "p"), "key")


def test_the_scaling_grant_schedules_only_the_hot_functions_live_aliases(stack: RegionalStack):
    (scaling, (provisioned, aliases), (linked_role, (role,))) = _resolved(
        stack, Grant(PREDICTIVE_SCALING, Access.WRITE)
    )
    # Application Auto Scaling's targets have ids it assigns: its own actions take "*", and nothing else does.
    assert scaling == (
        (
            "application-autoscaling:RegisterScalableTarget",
            "application-autoscaling:PutScheduledAction",
            "application-autoscaling:DescribeScalableTargets",
            "application-autoscaling:DescribeScheduledActions",
        ),
        ['"*"'],
    )
    assert all(action.endswith("ProvisionedConcurrencyConfig") for action in provisioned)
    assert [alias.split(":function:")[1].split('"')[0] for alias in aliases] == [
        "nexus-forge-test-execution-events:live",
        "nexus-forge-test-node-http:live",
        "nexus-forge-test-node-agent:live",
    ]
    assert linked_role == ("iam:CreateServiceLinkedRole",)
    assert "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency" in role


def test_scaling_is_refused_for_anything_but_write(stack: RegionalStack):
    with pytest.raises(UnsupportedGrant):
        grant_policy(Grant(PREDICTIVE_SCALING, Access.READ), ResourceNames(stack, "p"), "key")


def test_the_forecast_outputs_are_listed_and_read_under_their_prefix_only(stack: RegionalStack):
    listing, reading, key = grant_policy(Grant(FORECAST_OUTPUTS, Access.READ), ResourceNames(stack, "p"), "key")
    assert listing.actions == ("s3:ListBucket",)
    assert listing.conditions == {"StringLike": {"s3:prefix": ["ml/transform/forecast/*"]}}
    assert reading.actions == ("s3:GetObject",)
    assert json.dumps(stack.resolve(reading.resources[0])).endswith('/ml/transform/forecast/*"]]}')
    assert key.actions == ("kms:Decrypt",)
