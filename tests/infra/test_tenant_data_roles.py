"""Tenant-data roles: what a function assumes per tenant (shared/store/tenant_credentials.py), and who may."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.constructs.tenant_data_roles import TENANT_DATA_ROLE_ENV_VAR
from infra.grants import grant_policy
from infra.names import ResourceNames
from infra.stacks.regional import RegionalStack
from shared.catalog import CATALOG, FunctionSpec, function_physical_name
from shared.resources import TableSpec

pytestmark = pytest.mark.infra

PREFIX = "nexus-forge-test"
SCOPED = [spec for spec in CATALOG if spec.uses_tenant_sessions]


def _logical_id(stack: RegionalStack, construct: Any) -> str:
    return stack.resolve(construct.node.default_child.logical_id)  # type: ignore[no-any-return]


def _variables(template: Template, name: str) -> dict[str, Any]:
    (function,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"FunctionName": function_physical_name(PREFIX, name)}}
    ).values()
    variables: dict[str, Any] = function["Properties"].get("Environment", {}).get("Variables", {})
    return variables


def test_tenant_routes_use_scoped_sessions_and_platform_functions_their_own_role():
    names = {spec.name for spec in SCOPED}
    assert {"members", "api_keys", "audit", "workflows", "executions"} <= names
    assert not {"tenants", "platform_smoke", "platform_meta", "authorizer"} & names


@pytest.mark.parametrize("spec", CATALOG, ids=lambda spec: spec.name)
def test_only_functions_with_tenant_routes_are_told_a_tenant_data_role(
    stack: RegionalStack, template: Template, spec: FunctionSpec
):
    variables = _variables(template, spec.name)
    if spec in SCOPED:
        role = stack.tenant_data_roles.roles[spec.name]
        assert variables[TENANT_DATA_ROLE_ENV_VAR] == {"Fn::GetAtt": [_logical_id(stack, role), "Arn"]}
    else:
        assert TENANT_DATA_ROLE_ENV_VAR not in variables


@pytest.mark.parametrize("spec", SCOPED, ids=lambda spec: spec.name)
def test_the_role_trusts_only_its_functions_role_with_session_tags(
    stack: RegionalStack, template: Template, spec: FunctionSpec
):
    role = stack.tenant_data_roles.roles[spec.name]
    resource = template.to_json()["Resources"][_logical_id(stack, role)]
    function_role = _logical_id(stack, stack.functions[spec.name].role)
    assert resource["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::GetAtt": [function_role, "Arn"]}},
        }
    ]
    assert resource["Properties"]["MaxSessionDuration"] == 3600


@pytest.mark.parametrize("spec", SCOPED, ids=lambda spec: spec.name)
def test_the_role_has_its_functions_table_grants_on_tenant_partitions_only_and_no_scan(
    stack: RegionalStack, template: Template, spec: FunctionSpec
):
    role = stack.tenant_data_roles.roles[spec.name]
    resource = template.to_json()["Resources"][_logical_id(stack, role)]
    (policy,) = resource["Properties"]["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    names = ResourceNames(stack, PREFIX)
    for statement in statements:
        assert statement["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["TENANT#*"]}}
        assert "dynamodb:Scan" not in _as_list(statement["Action"])
    for grant in spec.grants:
        if not isinstance(grant.resource, TableSpec):
            continue
        table_arn = stack.resolve(names.arn(grant.resource))
        granted = {
            action
            for statement in statements
            if table_arn in _as_list(statement["Resource"])
            for action in _as_list(statement["Action"])
        }
        (expected,) = grant_policy(grant, names, key_arn="")
        assert granted == set(expected.actions), grant.resource.key


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("spec", SCOPED, ids=lambda spec: spec.name)
def test_the_function_may_assume_and_tag_its_tenant_data_role_and_no_other(
    stack: RegionalStack, template: Template, spec: FunctionSpec
):
    function_role = _logical_id(stack, stack.functions[spec.name].role)
    tenant_role = _logical_id(stack, stack.tenant_data_roles.roles[spec.name])
    policies = template.find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": function_role}]}})
    assumes = [
        statement
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sts:AssumeRole" in json.dumps(statement["Action"])
    ]
    assert assumes == [
        {
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [tenant_role, "Arn"]},
        }
    ]
