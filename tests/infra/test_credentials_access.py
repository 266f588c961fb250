"""Tenant credentials in the stack: the credentials function encrypts with the platform key it is told the alias
of, the node_http function may only decrypt, and both reach the workflows table where the credentials live."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from infra.stacks.regional import RegionalStack
from shared.resources import MARKETPLACE_SIGNING_KEY, PLATFORM_KEY, WORKFLOWS_TABLE
from tests.infra.conftest import functions_of

pytestmark = pytest.mark.infra

PREFIX = "nexus-forge-test"


def _function(template: Template, name: str) -> Mapping[str, Any]:
    (function,) = (
        resource
        for resource in functions_of(template).values()
        if resource["Properties"]["FunctionName"] == f"{PREFIX}-{name.replace('_', '-')}"
    )
    return function


def _granted(stack: RegionalStack, template: Template, name: str) -> list[tuple[set[str], str]]:
    role = stack.functions[name].role
    assert role is not None
    role_id = stack.resolve(role.node.default_child.logical_id)  # type: ignore[union-attr]
    (document,) = (
        policy["PolicyDocument"]
        for policy in template.find_resources("AWS::IAM::Role")[role_id]["Properties"]["Policies"]
        if policy["PolicyName"] == "catalog-grants"
    )
    return [
        (
            {statement["Action"]} if isinstance(statement["Action"], str) else set(statement["Action"]),
            json.dumps(resource),
        )
        for statement in document["Statement"]
        for resource in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
    ]


def _kms_actions(stack: RegionalStack, template: Template, name: str) -> set[str]:
    # As the function's own template sees the key's ARN: a parameter of the function's domain.
    key_arn = json.dumps(Stack.of(stack.functions[name]).resolve(stack.key.key_arn))
    return {
        action
        for actions, resource in _granted(stack, template, name)
        if resource == key_arn
        for action in actions
        if action.startswith("kms:")
    }


def test_the_functions_are_told_the_alias_of_the_platform_key(stack: RegionalStack, template: Template) -> None:
    aliases = {alias["Properties"]["AliasName"] for alias in template.find_resources("AWS::KMS::Alias").values()}
    # Beside it, the marketplace's countersigning key (tests/infra/test_grants.py, test_multi_region.py).
    assert aliases == {PLATFORM_KEY.physical_name(PREFIX), MARKETPLACE_SIGNING_KEY.physical_name(PREFIX)}
    assert PLATFORM_KEY.physical_name(PREFIX) == f"alias/{PREFIX}"
    for name in ("credentials", "node_http"):
        variables = _function(template, name)["Properties"]["Environment"]["Variables"]
        assert variables[PLATFORM_KEY.env_var] == f"alias/{PREFIX}"
        assert variables[WORKFLOWS_TABLE.env_var] == WORKFLOWS_TABLE.physical_name(PREFIX)


def test_credentials_encrypt_and_node_http_only_decrypts(stack: RegionalStack, template: Template) -> None:
    assert {"kms:Encrypt", "kms:GenerateDataKey"} <= _kms_actions(stack, template, "credentials")
    assert _kms_actions(stack, template, "node_http") == {"kms:Decrypt"}
    table_writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    writes = {action for actions, _ in _granted(stack, template, "node_http") for action in actions} & table_writes
    assert writes == set(), "node_http reads credentials and settings; it writes nothing"
