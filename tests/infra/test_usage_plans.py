"""One API Gateway usage plan per tier of shared/tenancy/tiers.py, derived from the table."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

from infra.constructs.usage_plans import REQUESTS_PER_EXECUTION, monthly_request_quota, usage_plan_name
from infra.stacks.regional import RegionalStack
from shared.tenancy.tiers import TIERS, TierLimits

pytestmark = pytest.mark.infra

PREFIX = "nexus-forge-test"


def test_there_is_one_plan_per_tier(template: Template):
    template.resource_count_is("AWS::ApiGateway::UsagePlan", len(TIERS))


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
                    "ApiId": {"Ref": stack.resolve(stack.api.api.node.default_child.logical_id)},  # type: ignore[union-attr]
                    "Stage": {"Ref": stack.resolve(stack.api.api.deployment_stage.node.default_child.logical_id)},  # type: ignore[union-attr]
                }
            ],
        },
    )


def test_the_quota_allows_more_requests_than_executions():
    # The gateway must never refuse a request the app's own execution quota would allow.
    for limits in TIERS.values():
        assert monthly_request_quota(limits) > limits.monthly_executions
