"""The console's hosting: a private bucket CloudFront alone reads (origin access control), security headers,
single-page routing, the API's paths passed to its domain uncached, the upload of the build and its config.json,
and the console's app client (authorization code flow with PKCE) on the platform's user pool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment
from aws_cdk.assertions import Match, Template

from devserver.console import SECURITY_HEADERS
from infra.constants import extra_audiences_parameter_name
from infra.platform_app import CDK_JSON
from infra.stacks.console import CONTENT_SECURITY_POLICY, NOT_BUILT_PAGE, ConsoleHostingStack
from tests.infra.conftest import stacks_of

pytestmark = pytest.mark.infra

API_DOMAIN = "api.forge.example.com"


PREFIX = "nexus-forge-test"


def console_template(dist: Path) -> Template:
    stack = ConsoleHostingStack(
        App(context=json.loads(CDK_JSON.read_text())["context"]),
        "Console",
        api_domain=API_DOMAIN,
        prefix=PREFIX,
        dist=dist,
        env=Environment(region="eu-west-1"),
    )
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return console_template(tmp_path_factory.mktemp("console") / "dist")


def uploaded_files(template: Template) -> list[Any]:
    """The deployment's sources: the zip of each (asset hashes) and the deploy-time values put into them."""
    (deployment,) = template.find_resources("Custom::CDKBucketDeployment").values()
    return [deployment["Properties"]["SourceObjectKeys"], deployment["Properties"].get("SourceMarkers")]


def test_the_bucket_is_private_and_tls_only(template: Template) -> None:
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        },
    )
    for bucket in template.find_resources("AWS::S3::Bucket").values():
        assert "AccessControl" not in bucket["Properties"]
    (files,) = [name for name in template.find_resources("AWS::S3::Bucket") if name.startswith("Files")]
    (policy,) = [
        policy
        for policy in template.find_resources("AWS::S3::BucketPolicy").values()
        if policy["Properties"]["Bucket"] == {"Ref": files}
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false" for statement in statements
    )
    readers = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert [statement["Principal"] for statement in readers] == [{"Service": "cloudfront.amazonaws.com"}]


def test_cloudfront_reads_it_through_origin_access_control(template: Template) -> None:
    template.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    template.has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {
            "OriginAccessControlConfig": Match.object_like(
                {"OriginAccessControlOriginType": "s3", "SigningBehavior": "always"}
            )
        },
    )
    template.resource_count_is("AWS::CloudFront::CloudFrontOriginAccessIdentity", 0)


def test_pages_carry_the_security_headers_and_route_to_the_app(template: Template) -> None:
    template.has_resource_properties(
        "AWS::CloudFront::ResponseHeadersPolicy",
        {
            "ResponseHeadersPolicyConfig": Match.object_like(
                {
                    "SecurityHeadersConfig": Match.object_like(
                        {
                            "ContentSecurityPolicy": Match.object_like({"Override": True}),
                            "FrameOptions": {"FrameOption": "DENY", "Override": True},
                            "StrictTransportSecurity": Match.object_like({"IncludeSubdomains": True}),
                        }
                    )
                }
            )
        },
    )
    # The policy names the hosted UI's origin, a deploy-time value: its parts are joined by CloudFormation.
    (policy,) = template.find_resources("AWS::CloudFront::ResponseHeadersPolicy").values()
    csp = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    assert "script-src 'self'" in json.dumps(csp["ContentSecurityPolicy"])
    (distribution,) = template.find_resources("AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert config["DefaultRootObject"] == "index.html"
    assert {
        (page["ErrorCode"], page["ResponseCode"], page["ResponsePagePath"]) for page in config["CustomErrorResponses"]
    } == {
        (403, 200, "/index.html"),
        (404, 200, "/index.html"),
    }
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"


def test_the_api_paths_go_to_the_api_domain_uncached(template: Template) -> None:
    (distribution,) = template.find_resources("AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    (api,) = config["CacheBehaviors"]
    assert api["PathPattern"] == "/v1/*"
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # the managed CachingDisabled policy
    assert "POST" in api["AllowedMethods"]
    origin = next(origin for origin in config["Origins"] if origin["Id"] == api["TargetOriginId"])
    assert origin["DomainName"] == API_DOMAIN
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"


def test_the_cloud_and_forge_dev_send_the_same_content_security_policy() -> None:
    assert SECURITY_HEADERS["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_the_console_has_a_public_app_client_with_the_code_flow_only_back_to_its_distribution(
    template: Template,
) -> None:
    (client,) = template.find_resources("AWS::Cognito::UserPoolClient").values()
    properties = client["Properties"]
    assert properties["GenerateSecret"] is False  # a public client: PKCE, not a secret, binds the code
    assert properties["AllowedOAuthFlows"] == ["code"]
    assert properties["AllowedOAuthFlowsUserPoolClient"] is True
    assert "openid" in properties["AllowedOAuthScopes"]
    (callback,) = properties["CallbackURLs"]
    assert "Distribution" in json.dumps(callback) and json.dumps(callback).endswith('"/callback"]]}')
    # The pool is the platform's, found through its SSM parameter rather than a cross-stack export.
    assert "SsmParameterValue" in properties["UserPoolId"]["Ref"]
    template.resource_count_is("AWS::Cognito::UserPoolDomain", 1)


def test_the_deploy_uploads_the_build_and_a_config_json_naming_the_hosted_ui_and_client(template: Template) -> None:
    (deployment,) = template.find_resources("Custom::CDKBucketDeployment").values()
    properties = deployment["Properties"]
    assert properties["Prune"] is False  # open pages keep loading the hashed assets of the build they started with
    assert set(properties["DistributionPaths"]) == {"/index.html", "/config.json"}
    _, markers = uploaded_files(template)
    config = json.dumps(markers)
    assert "/oauth2/authorize" in config and "/oauth2/token" in config
    assert "amazoncognito.com" in config and "UsersConsoleClient" in config
    (policy,) = template.find_resources("AWS::CloudFront::ResponseHeadersPolicy").values()
    csp = json.dumps(policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"])
    assert "connect-src 'self' https://" in csp and "amazoncognito.com" in csp


def test_without_a_build_the_upload_is_a_page_saying_how_to_make_one(template: Template, tmp_path: Path) -> None:
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text("<!doctype html><title>console</title>")
    missing_keys, _ = uploaded_files(template)
    built_keys, _ = uploaded_files(console_template(built))
    assert missing_keys[0] != built_keys[0] and missing_keys[1] == built_keys[1]  # the files differ, config.json not
    assert "make console" in NOT_BUILT_PAGE


def test_the_app_hosts_the_console_in_the_primary_region_only_with_a_domain(
    single_region_app: App, three_region_app: App
) -> None:
    consoles = [stack for stack in stacks_of(three_region_app).values() if isinstance(stack, ConsoleHostingStack)]
    (console,) = consoles
    assert console.stack_name == "NexusForge-prod-console" and console.region == "us-east-1"
    assert not [stack for stack in stacks_of(single_region_app).values() if isinstance(stack, ConsoleHostingStack)]


def test_the_consoles_client_is_listed_for_the_api_to_accept_its_tokens(template: Template) -> None:
    template.has_resource_properties(
        "AWS::SSM::Parameter",
        {"Name": extra_audiences_parameter_name(PREFIX), "Value": {"Ref": Match.string_like_regexp("ConsoleClient")}},
    )
