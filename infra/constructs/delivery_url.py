"""The public webhook delivery URL: a Lambda function URL on the webhooks function's `live` alias.

Deliveries are the platform's volume and are authenticated by their signature, not by a caller's identity, so no
gateway stands before them: a function URL costs nothing per request (an HTTP API cost $1.00 per million, the REST
API $3.50). docs/security.md, "Webhook deliveries on a function URL", says what that gives up (gateway throttling,
access logs, WAF, a custom domain without CloudFront) and how each is made up for. Through the URL only the function's
public route is served (shared/auth/dependencies.py); the authorized `/v1/hooks` routes stay on the REST API, which
still answers the delivery route too for senders given its URL before.

Permissions ("Control access to Lambda function URLs", Lambda developer guide): with AuthType NONE the function's
resource-based policy must let everyone (`*`) call `lambda:InvokeFunctionUrl` (conditioned on the URL's AuthType
NONE) and, for URLs created since October 2025, `lambda:InvokeFunction` too (conditioned on the call coming through a
function URL: `InvokedViaFunctionUrl`); CDK's FunctionUrl adds both statements on the alias.
"""

from __future__ import annotations

from aws_cdk import Fn
from aws_cdk import aws_lambda as lambda_
from constructs import Construct


class DeliveryUrl(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.Function,
        alias: lambda_.IFunction,
        reserved_concurrency: int | None,
    ) -> None:
        """`alias`: the webhooks function's `live` alias (what the REST API invokes, SnapStart's version);
        `reserved_concurrency`: when set, the most instances deliveries (and the function's management routes with
        them) may hold of the account's concurrency; past it the URL answers 429 and senders retry."""
        super().__init__(scope, construct_id)
        self.url = lambda_.FunctionUrl(
            self,
            "Url",
            function=alias,
            auth_type=lambda_.FunctionUrlAuthType.NONE,
            invoke_mode=lambda_.InvokeMode.BUFFERED,
        )
        # The URL ends with "/": senders are given the origin, to which the hook's path (/v1/hooks/<id>) is added.
        self.origin = Fn.join("", ["https://", Fn.select(2, Fn.split("/", self.url.url))])
        if reserved_concurrency is not None:
            cfn_function = function.node.default_child
            assert isinstance(cfn_function, lambda_.CfnFunction)
            cfn_function.reserved_concurrent_executions = reserved_concurrency
