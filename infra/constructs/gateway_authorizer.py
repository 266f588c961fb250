"""The REST API's Lambda authorizer, which names the usage plan key of each request, and the gateway's own answers
(throttled, over quota, disabled key) as RFC 9457 problems like the application's."""

from __future__ import annotations

import json

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from shared.problems import PROBLEM_CONTENT_TYPE, problem_type

# Gateway response type → (status, problem type slug, title, detail). `$context.error.message` is the gateway's.
GATEWAY_PROBLEMS: dict[str, tuple[str, str, str, str]] = {
    "THROTTLED": (
        "429",
        "rate-limited",
        "Too many requests",
        "The tenant's tier usage plan throttled this request at the gateway; retry with backoff",
    ),
    "QUOTA_EXCEEDED": (
        "429",
        "quota-exceeded",
        "Quota exceeded",
        "The tenant's tier usage plan allows no more requests this month",
    ),
    "INVALID_API_KEY": (
        "403",
        "tenant-inactive",
        "The tenant is not active",
        "The tenant's usage plan key is disabled or missing: the tenant is suspended, deleted or not provisioned",
    ),
}


def problem_template(status: str, slug: str, title: str, detail: str) -> str:
    return json.dumps(
        {
            "type": problem_type(slug),
            "title": title,
            "status": int(status),
            "detail": detail,
            "instance": "$context.path",
            "correlation_id": "$context.requestId",
        }
    )


class GatewayAuthorizer(Construct):
    """Uncached (TTL 0): the caller may authenticate with `Authorization` or `X-API-Key`, and a cached REQUEST
    authorizer would need one of them on every request; the application's own checks run on every request anyway."""

    def __init__(self, scope: Construct, construct_id: str, *, api: apigateway.RestApi, handler: lambda_.IFunction):
        super().__init__(scope, construct_id)
        self.authorizer = apigateway.RequestAuthorizer(
            self,
            "Authorizer",
            handler=handler,
            identity_sources=[],
            results_cache_ttl=Duration.seconds(0),
        )
        for response_type, (status, slug, title, detail) in GATEWAY_PROBLEMS.items():
            api.add_gateway_response(
                response_type.capitalize().replace("_", ""),
                type=getattr(apigateway.ResponseType, response_type),
                status_code=status,
                response_headers={"Content-Type": f"'{PROBLEM_CONTENT_TYPE}'"},
                templates={"application/json": problem_template(status, slug, title, detail)},
            )
