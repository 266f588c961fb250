"""The public webhook delivery route, `POST /v1/hooks/{hook_id}`, on an API Gateway HTTP API of its own host name.

Deliveries are the platform's volume and are authenticated by their signature, not by a caller's identity: an HTTP
API serves them at $1.00 per million requests instead of the REST API's $3.50 (docs/security.md, "Webhook
deliveries on an HTTP API", says what that gives up: WAF and X-Ray at the gateway, and how it is made up for). The
authorized `/v1/hooks` management routes stay on the REST API (infra/constructs/rest_api.py), which still answers
the delivery route too for senders given its URL before.
"""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.constants import DELIVERY_PATH

# The REST stage's access log fields ($context variables of HTTP APIs).
_ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationError": "$context.integrationErrorMessage",
}


class DeliveryApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        target_arn: str,
        rate_limit: float,
        burst_limit: int,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        """`target_arn`: the webhooks function's alias, as the REST API invokes it. `rate_limit`/`burst_limit`: the
        route's throttle, the REST stage's."""
        super().__init__(scope, construct_id)
        target = lambda_.Function.from_function_attributes(
            self, "Webhooks", function_arn=target_arn, same_environment=True
        )
        self.api = apigwv2.HttpApi(
            self,
            "Api",
            api_name=f"{prefix}-deliveries",
            description="Nexus Forge webhook deliveries: the public, signature-checked POST /v1/hooks/{hook_id}",
            create_default_stage=False,
        )
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/aws/apigateway/{prefix}-deliveries-access",
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.stage = apigwv2.HttpStage(
            self,
            "Stage",
            http_api=self.api,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=rate_limit, burst_limit=burst_limit),
        )
        stage = self.stage.node.default_child
        assert isinstance(stage, apigwv2.CfnStage)
        stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=self.access_logs.log_group_arn, format=json.dumps(_ACCESS_LOG_FORMAT)
        )
        self.api.add_routes(
            path=DELIVERY_PATH,
            methods=[apigwv2.HttpMethod.POST],
            integration=integrations.HttpLambdaIntegration("Deliveries", target),
        )
        NagSuppressions.add_resource_suppressions(
            self.api,
            [
                NagPackSuppression(
                    id="AwsSolutions-APIG4",
                    reason="The one route is the public webhook delivery route: each delivery is authenticated by its "
                    "Standard Webhooks or GitHub signature, checked before anything is written (docs/security.md)",
                ),
            ],
            apply_to_children=True,
        )
