"""Usage plans per tier of shared/tenancy/tiers.py, enforced: the API takes its usage plan keys from its authorizer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.constructs.gateway_authorizer import GATEWAY_PROBLEMS
from infra.constructs.usage_plans import (
    ANONYMOUS_RATE,
    REQUESTS_PER_EXECUTION,
    monthly_request_quota,
    usage_plan_name,
)
from infra.stacks.regional import RegionalStack
from shared.auth.permissions import route_policy
from shared.catalog import CATALOG, function_physical_name
from shared.problems import PROBLEM_CONTENT_TYPE, problem_type
from shared.tenancy import gateway_keys
from shared.tenancy.tiers import PLATFORM_ADMIN_RATE, TIERS, TierLimits

pytestmark = pytest.mark.infra

PREFIX = "nexus-forge-test"
REGION = "us-east-1"


def _logical_id(stack: RegionalStack, construct: Any) -> str:
    return stack.resolve(construct.node.default_child.logical_id)  # type: ignore[no-any-return]


def _function(template: Template, name: str) -> dict[str, Any]:
    (function,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"FunctionName": function_physical_name(PREFIX, name)}}
    ).values()
    return dict(function)


def test_there_is_one_plan_per_tier_and_one_each_for_platform_admins_and_anonymous_callers(template: Template):
    template.resource_count_is("AWS::ApiGateway::UsagePlan", len(TIERS) + 2)


@pytest.mark.parametrize("limits", TIERS.values(), ids=lambda limits: limits.tier.value)
def test_a_tiers_plan_throttles_at_its_rate_and_burst_with_a_monthly_quota(
    stack: RegionalStack, template: Template, limits: TierLimits
):
    template.has_resource_properties(
        "AWS::ApiGateway::UsagePlan",
        {
            "UsagePlanName": usage_plan_name(PREFIX, limits),
            "Throttle": {"RateLimit": limits.requests_per_second, "BurstLimit": limits.burst},
            "Quota": {"Limit": limits.monthly_executions * REQUESTS_PER_EXECUTION, "Period": "MONTH"},
            "ApiStages": [
                {
                    "ApiId": {"Ref": _logical_id(stack, stack.api.api)},
                    "Stage": {"Ref": _logical_id(stack, stack.api.api.deployment_stage)},
                }
            ],
        },
    )


def test_the_quota_allows_more_requests_than_executions():
    # The gateway must never refuse a request the app's own execution quota would allow.
    for limits in TIERS.values():
        assert monthly_request_quota(limits) > limits.monthly_executions


@pytest.mark.parametrize(
    ("plan_suffix", "key_suffix", "rate"),
    [
        (gateway_keys.PLATFORM_ADMINS_PLAN_SUFFIX, gateway_keys.PLATFORM_ADMINS_KEY_SUFFIX, PLATFORM_ADMIN_RATE),
        (gateway_keys.ANONYMOUS_PLAN_SUFFIX, gateway_keys.ANONYMOUS_KEY_SUFFIX, ANONYMOUS_RATE),
    ],
)
def test_platform_admins_and_anonymous_callers_have_a_throttled_plan_with_its_one_key(
    stack: RegionalStack, template: Template, plan_suffix: str, key_suffix: str, rate: Any
):
    plan_id = _logical_id(stack, stack.usage_plans.plans[plan_suffix])
    template.has_resource_properties(
        "AWS::ApiGateway::UsagePlan",
        {
            "UsagePlanName": gateway_keys.usage_plan_name(PREFIX, plan_suffix),
            "Throttle": {"RateLimit": rate.requests_per_second, "BurstLimit": rate.burst},
            "Quota": Match.absent(),
        },
    )
    key_id = _logical_id(stack, stack.usage_plans.shared_keys[key_suffix])
    template.has_resource_properties(
        "AWS::ApiGateway::ApiKey",
        {"Value": gateway_keys.shared_key_value(PREFIX, key_suffix), "Enabled": True},
    )
    template.has_resource_properties(
        "AWS::ApiGateway::UsagePlanKey",
        {"KeyId": {"Ref": key_id}, "UsagePlanId": {"Ref": plan_id}, "KeyType": "API_KEY"},
    )


def test_the_api_takes_usage_plan_keys_from_its_authorizer(template: Template):
    template.has_resource_properties("AWS::ApiGateway::RestApi", {"ApiKeySourceType": "AUTHORIZER"})


def test_the_authorizer_is_the_catalog_authorizer_uncached(stack: RegionalStack, template: Template):
    (authorizer,) = template.find_resources("AWS::ApiGateway::Authorizer").values()
    properties = authorizer["Properties"]
    assert properties["Type"] == "REQUEST"
    assert properties["AuthorizerResultTtlInSeconds"] == 0
    # The API's domain invokes the authorizer by its name (infra/constructs/rest_api.py).
    authorizer_function = function_physical_name(PREFIX, "authorizer")
    assert f":function:{authorizer_function}/invocations" in json.dumps(properties["AuthorizerUri"])


def test_every_route_but_the_public_ones_requires_a_key_named_by_the_authorizer(template: Template):
    methods = template.find_resources("AWS::ApiGateway::Method")
    checked = 0
    for method in methods.values():
        properties = method["Properties"]
        if properties["HttpMethod"] == "OPTIONS":
            continue
        checked += 1
        if properties.get("AuthorizationType") == "CUSTOM":
            assert properties["ApiKeyRequired"] is True
        else:
            assert properties.get("ApiKeyRequired") in (None, False)
    routes = [(route.method, route.path) for spec in CATALOG for route in spec.routes]
    assert checked == len(routes)
    metered = [route for route in routes if not route_policy(*route).public]  # type: ignore[union-attr]
    custom = [m for m in methods.values() if m["Properties"].get("AuthorizationType") == "CUSTOM"]
    assert len(custom) == len(metered)
    assert any(route_policy(*route).public for route in routes)  # type: ignore[union-attr]


@pytest.mark.parametrize("response_type", GATEWAY_PROBLEMS)
def test_the_gateways_own_refusals_are_problem_documents(template: Template, response_type: str):
    status, slug, title, _ = GATEWAY_PROBLEMS[response_type]
    (response,) = template.find_resources(
        "AWS::ApiGateway::GatewayResponse", {"Properties": {"ResponseType": response_type}}
    ).values()
    properties = response["Properties"]
    assert properties["StatusCode"] == status
    assert properties["ResponseParameters"] == {"gatewayresponse.header.Content-Type": f"'{PROBLEM_CONTENT_TYPE}'"}
    body = json.loads(properties["ResponseTemplates"]["application/json"])
    assert (body["type"], body["title"], body["status"]) == (problem_type(slug), title, int(status))


def test_the_tenants_function_manages_tenants_keys_and_the_authorizer_knows_the_plans(template: Template):
    tenants = _function(template, "tenants")["Properties"]["Environment"]["Variables"]
    assert tenants["FORGE_USAGE_PLAN_PREFIX"] == PREFIX
    assert json.loads(tenants["FORGE_USAGE_PLAN_REGIONS"]) == [REGION]
    authorizer = _function(template, "authorizer")["Properties"]["Environment"]["Variables"]
    assert authorizer["FORGE_USAGE_PLAN_PREFIX"] == PREFIX
    assert "FORGE_AUTH_JWKS_URL" in authorizer
    for spec in CATALOG:
        if spec.name != "tenants":
            variables = _function(template, spec.name)["Properties"].get("Environment", {}).get("Variables", {})
            assert "FORGE_USAGE_PLAN_REGIONS" not in variables


def test_the_tenants_function_may_manage_api_keys_and_plan_keys_and_nothing_else_of_api_gateway(
    stack: RegionalStack, template: Template
):
    role_id = _logical_id(stack, stack.functions["tenants"].role)
    policies = template.find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role_id}]}})
    statements = [
        statement
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if any(str(action).startswith("apigateway:") for action in _as_list(statement["Action"]))
    ]
    granted = {
        (action, json.dumps(resource, sort_keys=True))
        for statement in statements
        for action in _as_list(statement["Action"])
        for resource in _as_list(statement["Resource"])
    }

    def arn(path: str) -> str:
        return json.dumps(f"arn:aws:apigateway:{REGION}::{path}")

    assert granted == {
        ("apigateway:GET", arn("/apikeys")),
        ("apigateway:GET", arn("/usageplans")),
        ("apigateway:GET", arn("/usageplans/*/keys/*")),
        ("apigateway:POST", arn("/apikeys")),
        ("apigateway:POST", arn("/usageplans/*/keys")),
        ("apigateway:PATCH", arn("/apikeys/*")),
        ("apigateway:DELETE", arn("/apikeys/*")),
        ("apigateway:DELETE", arn("/usageplans/*/keys/*")),
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
