"""One API Gateway usage plan per tier in shared/tenancy/tiers.py: the gateway's backstop to the app's rate limiter."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import aws_apigateway as apigateway
from constructs import Construct

from shared.tenancy.tiers import TierLimits

# API Gateway counts requests, not executions: a tier's monthly request quota allows this many requests per
# monthly execution (start it, poll it, read its output, manage workflows around it). The execution quota itself
# is enforced exactly by the app where executions start.
REQUESTS_PER_EXECUTION = 100


def monthly_request_quota(limits: TierLimits) -> int:
    return limits.monthly_executions * REQUESTS_PER_EXECUTION


def usage_plan_name(prefix: str, limits: TierLimits) -> str:
    return f"{prefix}-{limits.tier.value}"


class TierUsagePlans(Construct):
    """Throttle = the tier's requests per second and burst; quota = `monthly_request_quota` per calendar month.

    A plan applies to the API keys associated with it (`apigateway create-usage-plan-key`); plans exist per tier so
    a tenant's gateway key is added to its tier's plan, and a new tier in the table gets its plan automatically.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, stage: apigateway.Stage, tiers: Iterable[TierLimits]
    ) -> None:
        super().__init__(scope, construct_id)
        self.plans: dict[str, apigateway.UsagePlan] = {}
        for limits in tiers:
            self.plans[limits.tier.value] = apigateway.UsagePlan(
                self,
                limits.tier.value.capitalize(),
                name=usage_plan_name(prefix, limits),
                description=f"Nexus Forge {limits.tier.value} tier ({limits.deployment.value})",
                throttle=apigateway.ThrottleSettings(rate_limit=limits.requests_per_second, burst_limit=limits.burst),
                quota=apigateway.QuotaSettings(limit=monthly_request_quota(limits), period=apigateway.Period.MONTH),
                api_stages=[apigateway.UsagePlanPerApiStage(api=stage.rest_api, stage=stage)],
            )
