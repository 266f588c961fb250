"""The console's hosting: a private bucket CloudFront alone reads (origin access control), security headers,
single-page routing, and the API's paths passed to its domain uncached."""

from __future__ import annotations

import pytest
from aws_cdk import App
from aws_cdk.assertions import Match, Template

from devserver.console import SECURITY_HEADERS
from infra.stacks.console import CONTENT_SECURITY_POLICY, ConsoleHostingStack

pytestmark = pytest.mark.infra

API_DOMAIN = "api.forge.example.com"


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.from_stack(ConsoleHostingStack(App(), "Console", api_domain=API_DOMAIN))


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
    (policy,) = template.find_resources("AWS::S3::BucketPolicy").values()
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
                            "ContentSecurityPolicy": Match.object_like(
                                {"ContentSecurityPolicy": Match.string_like_regexp("script-src 'self'")}
                            ),
                            "FrameOptions": {"FrameOption": "DENY", "Override": True},
                            "StrictTransportSecurity": Match.object_like({"IncludeSubdomains": True}),
                        }
                    )
                }
            )
        },
    )
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
