"""API Gateway usage plans: one per tier in shared/tenancy/tiers.py, one for platform admins, one for callers whose
credentials did not authenticate. They are enforced: the API's `apiKeySource` is AUTHORIZER and its authorizer
names the caller's key (shared/auth/gateway_authorizer.py); tenants' keys are kept in their tier's plan by the
tenants feature (shared/tenancy/gateway_keys.py), the two shared keys and a silo tenant's key are created here."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import aws_apigateway as apigateway
from constructs import Construct

from shared.tenancy import gateway_keys
from shared.tenancy.tiers import PLATFORM_ADMIN_RATE, RateLimits, Tier, TierLimits

# API Gateway counts requests, not executions: a tier's monthly request quota allows this many requests per
# monthly execution (start it, poll it, read its output, manage workflows around it). The execution quota itself
# is enforced exactly by the app where executions start.
REQUESTS_PER_EXECUTION = 100
# Credentials that do not authenticate: enough for a person fixing a typo, little for guessing keys. Every such
# caller of the API shares it (the WAF's per-IP rule limits each source).
ANONYMOUS_RATE = RateLimits(requests_per_second=5, burst=10)


def monthly_request_quota(limits: TierLimits) -> int:
    return limits.monthly_executions * REQUESTS_PER_EXECUTION


def usage_plan_name(prefix: str, limits: TierLimits) -> str:
    return gateway_keys.usage_plan_name(prefix, limits.tier)


class TierUsagePlans(Construct):
    """Tier plans: throttle = the tier's requests per second and burst; quota = `monthly_request_quota` per month.

    `silo_tenant`: the stack is that enterprise tenant's silo, so its key (in the silo tier's plan) is created here
    rather than by the tenants feature, which keeps keys for the platform's own API.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        stage: apigateway.Stage,
        tiers: Iterable[TierLimits],
        silo_tenant: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stage = stage
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
        self.shared_keys: dict[str, apigateway.ApiKey] = {}
        for plan_suffix, key_suffix, rate in (
            (gateway_keys.PLATFORM_ADMINS_PLAN_SUFFIX, gateway_keys.PLATFORM_ADMINS_KEY_SUFFIX, PLATFORM_ADMIN_RATE),
            (gateway_keys.ANONYMOUS_PLAN_SUFFIX, gateway_keys.ANONYMOUS_KEY_SUFFIX, ANONYMOUS_RATE),
        ):
            plan = self._shared_plan(prefix, plan_suffix, rate)
            self.plans[plan_suffix] = plan
            self.shared_keys[key_suffix] = self._key(
                plan,
                _construct_id(key_suffix),
                f"{prefix}-{key_suffix}",
                gateway_keys.shared_key_value(prefix, key_suffix),
            )
        if silo_tenant is not None:
            self.silo_key = self._key(
                self.plans[Tier.ENTERPRISE.value],
                "SiloTenant",
                gateway_keys.tenant_key_name(prefix, silo_tenant),
                gateway_keys.tenant_key_value(prefix, silo_tenant),
            )

    def _shared_plan(self, prefix: str, suffix: str, rate: RateLimits) -> apigateway.UsagePlan:
        return apigateway.UsagePlan(
            self,
            _construct_id(suffix),
            name=gateway_keys.usage_plan_name(prefix, suffix),
            description=f"Nexus Forge {suffix}: throttled, no monthly quota",
            throttle=apigateway.ThrottleSettings(rate_limit=rate.requests_per_second, burst_limit=rate.burst),
            api_stages=[apigateway.UsagePlanPerApiStage(api=self._stage.rest_api, stage=self._stage)],
        )

    def _key(self, plan: apigateway.UsagePlan, construct_id: str, name: str, value: str) -> apigateway.ApiKey:
        """The value is no secret (the authorizer derives it; clients never send it), so it can live in the template."""
        key = apigateway.ApiKey(self, f"{construct_id}Key", api_key_name=name, value=value, enabled=True)
        plan.add_api_key(key)
        return key


def _construct_id(suffix: str) -> str:
    return "".join(part.capitalize() for part in suffix.split("-"))
