"""The regional REST API: every catalog HttpRoute to its function's alias, with access logs, throttling and the
X-Ray sampling rule of the public webhook delivery route.

The functions are deployed in another domain (infra/stacks/domains.py): the API reaches them by their ARNs, derived
from their names, and holds the permissions that let API Gateway invoke them."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, Names, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_xray as xray
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.constructs.gateway_authorizer import GatewayAuthorizer
from shared.auth.permissions import route_policy
from shared.catalog import CATALOG, FunctionSpec

# Webhook deliveries (POST /v1/hooks/{hook_id}) are the volume: one trace in twenty, and no per-second reservoir,
# which under X-Ray's default rule records every request below one a second (a million deliveries a month is 0.4).
# A sampled-out request is not traced by the functions behind it either: Lambda follows API Gateway's decision.
DELIVERY_TRACE_RATE = 0.05
DELIVERY_TRACE_PATH = "*/v1/hooks/*"
_SAMPLING_RULE_NAME_LIMIT = 32

_APPLICATION_AUTH = (
    "Authentication and authorization happen in the application (API keys and Cognito-issued JWTs verified "
    "by the shared auth dependency), so the same checks run locally and in the cloud; /v1/health, /docs and "
    "/openapi.json are public by design"
)


class RestApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        stage: str,
        targets: Mapping[str, str],
        rate_limit: float,
        burst_limit: int,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        account_logging_role: bool = False,
        authorizer: str | None = None,
    ) -> None:
        """`account_logging_role`: whether this API sets the account's (one per region) API Gateway logging role,
        which the stage's logs need: opt-in (config `api_gateway_account_role`), never from a silo stack.
        `targets`: the ARN API Gateway invokes for each function that serves the API, by catalog name.
        `authorizer`: the catalog's gateway authorizer, one of them; with it every non-public route requires a usage
        plan key, which the authorizer names."""
        super().__init__(scope, construct_id)
        self.targets = {
            name: lambda_.Function.from_function_attributes(
                self, f"Target{name}", function_arn=arn, same_environment=True
            )
            for name, arn in targets.items()
        }
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/aws/apigateway/{prefix}-access",
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=f"{prefix}-api",
            description="Nexus Forge HTTP API: one Lambda function per feature",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            api_key_source_type=apigateway.ApiKeySourceType.AUTHORIZER if authorizer else None,
            cloud_watch_role=account_logging_role,
            # Other APIs of the account and region log through it too: a destroy must not unset it.
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN if account_logging_role else None,
            deploy_options=apigateway.StageOptions(
                stage_name=stage,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
                throttling_rate_limit=rate_limit,
                throttling_burst_limit=burst_limit,
                tracing_enabled=True,
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                metrics_enabled=True,
            ),
        )
        self.authorizer = (
            GatewayAuthorizer(self, "Metering", api=self.api, handler=self.targets[authorizer]).authorizer
            if authorizer
            else None
        )
        for spec in CATALOG:
            if spec.routes:
                self._build_routes(spec, self.targets[spec.name])
        self.delivery_sampling = xray.CfnSamplingRule(
            self,
            "DeliverySampling",
            sampling_rule=xray.CfnSamplingRule.SamplingRuleProperty(
                rule_name=f"{prefix}-deliveries"[-_SAMPLING_RULE_NAME_LIMIT:],
                priority=100,
                fixed_rate=DELIVERY_TRACE_RATE,
                reservoir_size=0,
                service_name=f"{prefix}-api/{stage}",
                service_type="AWS::ApiGateway::Stage",
                host="*",
                http_method="POST",
                url_path=DELIVERY_TRACE_PATH,
                resource_arn="*",
                version=1,
            ),
        )
        self._acknowledge_findings()

    def _build_routes(self, spec: FunctionSpec, target: lambda_.IFunction) -> None:
        # One invoke permission per function for this API, not one per route as LambdaIntegration adds: 71 routes
        # took 71 of the stack's 500 resources.
        target.add_permission(
            f"InvokedBy{Names.unique_id(self.api)}",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=self.api.arn_for_execute_api(),
        )
        integration = apigateway.Integration(
            type=apigateway.IntegrationType.AWS_PROXY,
            integration_http_method="POST",
            uri=f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}:lambda:path/2015-03-31/functions/"
            f"{target.function_arn}/invocations",
        )
        for route in spec.routes:
            resource = self.api.root.resource_for_path(route.path.lstrip("/"))
            policy = route_policy(route.method, route.path)
            metered = self.authorizer is not None and policy is not None and not policy.public
            resource.add_method(
                route.method,
                integration,
                authorizer=self.authorizer if metered else None,
                api_key_required=metered,
            )

    def _acknowledge_findings(self) -> None:
        NagSuppressions.add_resource_suppressions(
            self.api,
            [
                NagPackSuppression(id="AwsSolutions-APIG4", reason=_APPLICATION_AUTH),
                NagPackSuppression(id="AwsSolutions-COG4", reason=_APPLICATION_AUTH),
                NagPackSuppression(
                    id="AwsSolutions-APIG2",
                    reason="Requests are validated by each feature's pydantic models, which answer with RFC 9457 "
                    "problem+json naming the failing fields; a gateway validator would answer differently",
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    reason="API Gateway's account-level logging role uses the AWS managed "
                    "AmazonAPIGatewayPushToCloudWatchLogs policy, the documented way to enable execution logs",
                    applies_to=[
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                    ],
                ),
            ],
            apply_to_children=True,
        )
