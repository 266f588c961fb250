"""The web console in the cloud: its built files in a private S3 bucket, served by CloudFront through origin access
control, with security headers and single-page routing; `/v1/*` goes on to the API's global domain, so the console
calls its own origin as it does under `forge dev` (a Content-Security-Policy of 'self' holds in both).

Deployed in the primary region when the configuration has a domain (the API's global name, which `/v1/*` reaches).
The deploy uploads the build (`make deploy` runs `make console` first) with a BucketDeployment, and beside it the
`config.json` the console reads: the hosted UI's OAuth endpoints and the console's own app client (authorization
code flow, public, so PKCE; callback `https://<distribution>/callback`) of the platform's user pool, whose id is read
from its SSM parameter (no cross-stack export). Without a build in `console/dist` (the infra tests synthesize
without npm) the upload is a page saying to run `make console` and deploy again, so a synth never needs a build.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_ssm as ssm
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.constants import extra_audiences_parameter_name, user_pool_parameter_names
from shared.resources import PROJECT_ROOT

INDEX = "index.html"
CONSOLE_DIST = PROJECT_ROOT / "console" / "dist"
CONFIG_FILE = "config.json"
CALLBACK_PATH = "/callback"
SIGN_IN_PATH = "/sign-in"
NOT_BUILT_PAGE = """<!doctype html><html lang="en"><head><title>Nexus Forge console</title></head><body><main>
<h1>The console was deployed without its build</h1><p>Run <code>make console</code> (or <code>make deploy</code>,
which builds it) and deploy again; the API is served at <code>/v1/</code> either way.</p></main></body></html>"""
API_PATH_PATTERN = "/v1/*"
HSTS_SECONDS = 2 * 365 * 24 * 3600
# The policy forge dev sends too (devserver/console.py; a test keeps them equal): React Flow positions nodes with
# style attributes, hence 'unsafe-inline' for styles; scripts and connections only from the console's origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def console_sources(dist: Path) -> list[s3_deployment.ISource]:
    """The build when there is one, else the page that says how to make it (a synth never needs npm)."""
    if (dist / INDEX).is_file():
        return [s3_deployment.Source.asset(str(dist))]
    return [s3_deployment.Source.data(INDEX, NOT_BUILT_PAGE)]


class ConsoleHostingStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_domain: str | None,
        prefix: str,
        dist: Path = CONSOLE_DIST,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        pool_parameter, _ = user_pool_parameter_names(prefix)
        user_pool = cognito.UserPool.from_user_pool_id(
            self, "Users", ssm.StringParameter.value_for_string_parameter(self, pool_parameter)
        )
        # The hosted UI; an account's id keeps the prefix, which is global to the region, its own.
        self.sign_in_domain = user_pool.add_domain(
            "SignIn", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=f"{prefix}-{Aws.ACCOUNT_ID}")
        )
        access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # the only encryption S3 server access logging delivers to
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=removal_policy,
        )
        NagSuppressions.add_resource_suppressions(
            access_logs,
            [NagPackSuppression(id="AwsSolutions-S1", reason="The access-log bucket; logging it to itself would loop")],
        )
        self.bucket = s3.Bucket(
            self,
            "Files",
            server_access_logs_bucket=access_logs,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30))],
            removal_policy=removal_policy,
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    # The console posts the sign-in code to the hosted UI's token endpoint, its one other origin.
                    content_security_policy=CONTENT_SECURITY_POLICY.replace(
                        "connect-src 'self'", f"connect-src 'self' {self.sign_in_domain.base_url()}"
                    ),
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.seconds(HSTS_SECONDS), include_subdomains=True, override=True
                ),
            ),
        )
        additional_behaviors: dict[str, cloudfront.BehaviorOptions] = {}
        if api_domain is not None:
            additional_behaviors[API_PATH_PATTERN] = cloudfront.BehaviorOptions(
                origin=origins.HttpOrigin(api_domain, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            default_root_object=INDEX,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
            ),
            additional_behaviors=additional_behaviors,
            # Single-page routing: a path that is no file (S3 answers 403 without ListBucket) is the app's page.
            error_responses=[
                cloudfront.ErrorResponse(
                    http_status=status,
                    response_http_status=200,
                    response_page_path=f"/{INDEX}",
                    ttl=Duration.seconds(0),
                )
                for status in (403, 404)
            ],
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        )
        console_url = f"https://{self.distribution.distribution_domain_name}"
        self.client = user_pool.add_client(
            "ConsoleClient",
            generate_secret=False,  # a public client: the browser holds no secret, PKCE binds the code to it
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[f"{console_url}{CALLBACK_PATH}"],
                logout_urls=[f"{console_url}{SIGN_IN_PATH}"],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
        )
        # The API's functions accept this client's ID tokens once it is listed here (shared/auth/tokens.py).
        ssm.StringParameter(
            self,
            "ConsoleAudience",
            parameter_name=extra_audiences_parameter_name(prefix),
            string_value=self.client.user_pool_client_id,
            description="App clients besides the API's whose ID tokens the API accepts: the web console's",
        )
        hosted_ui = self.sign_in_domain.base_url()
        settings = {
            "authorizeUrl": f"{hosted_ui}/oauth2/authorize",
            "tokenUrl": f"{hosted_ui}/oauth2/token",
            "clientId": self.client.user_pool_client_id,
            "redirectPath": CALLBACK_PATH,
        }
        self.upload = s3_deployment.BucketDeployment(
            self,
            "Upload",
            destination_bucket=self.bucket,
            sources=[*console_sources(dist), s3_deployment.Source.json_data(CONFIG_FILE, settings)],
            # Hashed assets of earlier builds stay for pages still open; the entry points are invalidated.
            prune=False,
            distribution=self.distribution,
            distribution_paths=[f"/{INDEX}", f"/{CONFIG_FILE}"],
        )
        NagSuppressions.add_stack_suppressions(
            self,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    reason="CDK's BucketDeployment handler logs with the AWS managed basic execution policy",
                ),
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="CDK's BucketDeployment handler writes any key of the console bucket and reads its asset",
                ),
                NagPackSuppression(id="AwsSolutions-L1", reason="CDK's BucketDeployment handler picks its runtime"),
            ],
        )
        NagSuppressions.add_resource_suppressions(
            self.distribution,
            [
                NagPackSuppression(
                    id="AwsSolutions-CFR1", reason="The console is for every tenant's people, wherever they are"
                ),
                NagPackSuppression(
                    id="AwsSolutions-CFR2",
                    reason="Static files only; /v1/* goes to the API, whose regional WAF (web_firewall.py) filters it",
                ),
                NagPackSuppression(
                    id="AwsSolutions-CFR3",
                    reason="CloudFront's standard logs need an ACL-enabled bucket, which this stack refuses; the "
                    "bucket's server access logs record each origin read and the API logs its own requests",
                ),
                NagPackSuppression(
                    id="AwsSolutions-CFR4",
                    reason="The CloudFront default domain's certificate has a fixed policy; a custom domain would set "
                    "TLS 1.2",
                ),
            ],
        )
        CfnOutput(self, "ConsoleUrl", value=console_url)
        CfnOutput(self, "ConsoleBucket", value=self.bucket.bucket_name)
