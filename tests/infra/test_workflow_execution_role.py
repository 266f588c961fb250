"""The role every tenant's workflow machines share may publish and put events only where tenants' notify and
emit_event nodes may: the tenants' own `forge-<tenant id>-*` topics and buses, never the platform's."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

import pytest
from aws_cdk.assertions import Template

from shared.catalog import function_physical_name
from shared.resources import WORKFLOW_STATE_MACHINES, tenant_targets_prefix
from shared.workflows.placement import WorkflowPlacement
from tests.infra.conftest import functions_of
from tests.infra.test_schedules import ACCOUNT, PREFIX, rendered

pytestmark = pytest.mark.infra

ALARM_TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:{PREFIX}-alarms"
DEFAULT_BUS = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
TENANT_TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT}:{tenant_targets_prefix('tenant0001')}alerts"
TENANT_BUS = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/{tenant_targets_prefix('tenant0001')}orders"


def _allowed(template: Template, action: str) -> list[str]:
    """The resources the execution role's statements allow `action` on, as IAM patterns."""
    (role,) = template.find_resources(
        "AWS::IAM::Role", {"Properties": {"RoleName": WORKFLOW_STATE_MACHINES.execution_role_name(PREFIX)}}
    ).values()
    patterns = []
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] == "Allow" and action in actions:
                resources: list[Any] = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
                patterns += [rendered(resource) for resource in resources]
    return patterns


def _allows(patterns: list[str], arn: str) -> bool:
    # IAM's `*` matches any run of characters, colons included, as fnmatch's does.
    return any(fnmatchcase(arn, pattern) for pattern in patterns)


def test_notify_publishes_to_tenants_topics_only_never_the_alarm_topic(template: Template) -> None:
    patterns = _allowed(template, "sns:Publish")
    assert patterns == [f"arn:aws:sns:*:{ACCOUNT}:forge-*"]
    assert _allows(patterns, TENANT_TOPIC)
    assert not _allows(patterns, ALARM_TOPIC)
    assert not _allows(patterns, f"arn:aws:sns:us-east-1:999988887777:{tenant_targets_prefix('tenant0001')}x")


def test_emit_event_puts_on_tenants_buses_only_never_the_default_bus(template: Template) -> None:
    patterns = _allowed(template, "events:PutEvents")
    assert patterns == [f"arn:aws:events:*:{ACCOUNT}:event-bus/forge-*"]
    assert _allows(patterns, TENANT_BUS)
    assert not _allows(patterns, DEFAULT_BUS)


def test_the_machines_invoke_the_node_functions_live_alias_and_no_other_qualifier(template: Template) -> None:
    placement = WorkflowPlacement(region="eu-west-1", account=ACCOUNT, prefix=PREFIX)
    compiled = [placement.function_arn(name) for name in WORKFLOW_STATE_MACHINES.invokes_functions]
    patterns = _allowed(template, "lambda:InvokeFunction")

    assert all(_allows(patterns, arn) for arn in compiled)
    for arn in compiled:
        # Versions published before the alias still name the function itself; no other version or alias is allowed.
        unqualified = arn.removesuffix(f":{WORKFLOW_STATE_MACHINES.function_alias}")
        assert _allows(patterns, unqualified)
        assert not any(_allows(patterns, f"{unqualified}:{other}") for other in ("1", "$LATEST", "canary"))
    assert not _allows(patterns, placement.function_arn("executions"))
    # The alias the role allows exists: each node function's `live` alias.
    names = {
        logical_id: function["Properties"]["FunctionName"] for logical_id, function in functions_of(template).items()
    }
    aliases = {
        (names[alias["Properties"]["FunctionName"]["Ref"]], alias["Properties"]["Name"])
        for alias in template.find_resources("AWS::Lambda::Alias").values()
    }
    for name in WORKFLOW_STATE_MACHINES.invokes_functions:
        assert (function_physical_name(PREFIX, name), WORKFLOW_STATE_MACHINES.function_alias) in aliases
