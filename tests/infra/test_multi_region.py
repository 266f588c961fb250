"""Three regions: three regional stacks and a global one; the primary owns the tables and their replicas."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App
from aws_cdk.assertions import Match, Template

from infra.stacks.console import ConsoleHostingStack
from infra.stacks.global_entry import GlobalEntryStack
from infra.stacks.regional import RegionalStack
from infra.stacks.silo import SiloStack
from shared.catalog import CATALOG, function_physical_name
from shared.resources import BUCKETS, TABLES
from tests.infra.conftest import THREE_REGIONS, stacks_of, template_of

pytestmark = pytest.mark.infra

PRIMARY, *REPLICAS = THREE_REGIONS["regions"]
PREFIX = "nexus-forge-prod"


@pytest.fixture(scope="module")
def templates(three_region_app: App) -> dict[str, Template]:
    stacks = stacks_of(three_region_app).values()
    return {
        ("global" if isinstance(stack, GlobalEntryStack) else stack.region): template_of(stack)
        for stack in stacks
        # tests/infra/test_silo.py and tests/infra/test_console_hosting.py
        if not isinstance(stack, SiloStack | ConsoleHostingStack)
    }


def test_three_regional_stacks_and_one_global_stack(three_region_app: App):
    stacks = [
        stack
        for stack in stacks_of(three_region_app).values()
        if not isinstance(stack, SiloStack | ConsoleHostingStack)
    ]
    assert sorted(stack.region for stack in stacks if isinstance(stack, RegionalStack)) == sorted(
        THREE_REGIONS["regions"]
    )
    assert [type(stack) for stack in stacks].count(GlobalEntryStack) == 1


def test_the_primary_owns_each_table_with_exactly_the_configured_replicas(templates: dict[str, Template]):
    primary = templates[PRIMARY]
    primary.resource_count_is("AWS::DynamoDB::GlobalTable", len(TABLES))
    for table in TABLES:
        primary.has_resource_properties(
            "AWS::DynamoDB::GlobalTable",
            {
                "TableName": table.physical_name(PREFIX),
                "SSESpecification": Match.absent(),
            },
        )
        (resource,) = primary.find_resources(
            "AWS::DynamoDB::GlobalTable", {"Properties": {"TableName": table.physical_name(PREFIX)}}
        ).values()
        assert sorted(replica["Region"] for replica in resource["Properties"]["Replicas"]) == sorted(
            THREE_REGIONS["regions"]
        )
        assert resource["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("region", REPLICAS)
def test_other_regions_create_no_table(templates: dict[str, Template], region: str):
    templates[region].resource_count_is("AWS::DynamoDB::GlobalTable", 0)
    templates[region].resource_count_is("AWS::DynamoDB::Table", 0)


@pytest.mark.parametrize("region", THREE_REGIONS["regions"])
def test_every_catalog_function_is_in_every_region(templates: dict[str, Template], region: str):
    for spec in CATALOG:
        templates[region].has_resource_properties(
            "AWS::Lambda::Function",
            {
                "FunctionName": function_physical_name(PREFIX, spec.name),
                "Runtime": "python3.13",
                "MemorySize": spec.memory_mb,
                "Timeout": spec.timeout_seconds,
                "TracingConfig": {"Mode": "Active" if spec.active_tracing else "PassThrough"},
                "SnapStart": {"ApplyOn": "PublishedVersions"} if spec.is_http else Match.absent(),
            },
        )


@pytest.mark.parametrize("region", THREE_REGIONS["regions"])
def test_buckets_are_encrypted_versioned_private_and_tls_only(templates: dict[str, Template], region: str):
    template = templates[region]
    for bucket in BUCKETS:
        template.has_resource_properties(
            "AWS::S3::Bucket",
            {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        Match.object_like(
                            {"ServerSideEncryptionByDefault": Match.object_like({"SSEAlgorithm": "aws:kms"})}
                        )
                    ]
                },
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "LifecycleConfiguration": Match.any_value(),
                "BucketName": {"Fn::Join": ["", Match.array_with([f"{PREFIX}-{bucket.key}-"])]},
            },
        )
    for policy in template.find_resources("AWS::S3::BucketPolicy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
        )
    # A replica key shares its primary's key material, and so its rotation; the second is the marketplace's
    # signing key (asymmetric keys have no automatic rotation).
    key_type = "AWS::KMS::Key" if region == PRIMARY else "AWS::KMS::ReplicaKey"
    template.resource_count_is(key_type, 2)
    if region == PRIMARY:
        template.has_resource_properties(key_type, {"EnableKeyRotation": True})


@pytest.mark.parametrize("region", THREE_REGIONS["regions"])
def test_paging_alarms_notify_the_alarm_topic(templates: dict[str, Template], region: str):
    template = templates[region]
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    names = {alarm["Properties"]["AlarmName"] for alarm in alarms.values()}
    expected = {f"{PREFIX}-api-5xx", f"{PREFIX}-smoke-failed", f"{PREFIX}-smoke-timed-out"}
    expected |= {f"{PREFIX}-{spec.name}-errors" for spec in CATALOG}
    expected |= {f"{PREFIX}-{spec.name}-dead-letters" for spec in CATALOG}
    expected |= {f"{PREFIX}-{table.physical_name(PREFIX)}-throttles" for table in TABLES}
    assert expected <= names
    assert all(alarm["Properties"]["AlarmActions"] for alarm in alarms.values())
    template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@example.com"})
    template.resource_count_is("AWS::CloudWatch::Dashboard", 2)  # the platform's and the executions'


def test_api_has_waf_access_logs_and_throttling(templates: dict[str, Template]):
    template = templates[PRIMARY]
    template.has_resource_properties(
        "AWS::WAFv2::WebACL",
        {"Rules": Match.array_with([Match.object_like({"Statement": {"RateBasedStatement": Match.any_value()}})])},
    )
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value()}),
            "MethodSettings": Match.array_with([Match.object_like({"ThrottlingRateLimit": 100})]),
            "TracingEnabled": True,
        },
    )


def test_each_region_has_a_health_check_and_a_latency_record(templates: dict[str, Template]):
    template = templates["global"]
    for region in THREE_REGIONS["regions"]:
        template.has_resource_properties(
            "AWS::Route53::HealthCheck",
            {
                "HealthCheckConfig": Match.object_like(
                    {"FullyQualifiedDomainName": f"{region}.api.forge.example.com", "ResourcePath": "/v1/health"}
                )
            },
        )
        template.has_resource_properties(
            "AWS::Route53::RecordSet",
            {
                "Name": "api.forge.example.com",
                "Region": region,
                "SetIdentifier": region,
                "HealthCheckId": Match.any_value(),
            },
        )


def test_the_platform_key_is_one_multi_region_key_so_sealed_secrets_open_in_every_region(
    templates: dict[str, Template],
):
    primary = templates[PRIMARY]
    primary.has_resource_properties("AWS::KMS::Key", {"MultiRegion": True, "EnableKeyRotation": True})
    primary.has_resource_properties("AWS::KMS::Alias", {"AliasName": f"alias/{PREFIX}"})
    primary.has_resource_properties(
        "AWS::SSM::Parameter", {"Name": f"/{PREFIX}/kms/platform-key-arn", "Value": Match.any_value()}
    )
    primary.resource_count_is("AWS::KMS::ReplicaKey", 0)
    for region in REPLICAS:
        replica = templates[region]
        replica.resource_count_is("AWS::KMS::Key", 0)
        # The platform key's replica and the marketplace signing key's.
        replica.resource_count_is("AWS::KMS::ReplicaKey", 2)
        # The same alias everywhere: the app seals with FORGE_PLATFORM_KEY_ALIAS in whichever region serves it.
        replica.has_resource_properties("AWS::KMS::Alias", {"AliasName": f"alias/{PREFIX}"})
        (key,) = (
            resource
            for resource in replica.find_resources("AWS::KMS::ReplicaKey").values()
            if "platform key" in json.dumps(resource["Properties"]["Description"])
        )
        assert key["Properties"]["PrimaryKeyArn"]["Fn::GetAtt"][1] == "Parameter.Value"


def test_the_marketplace_signing_key_is_one_retained_multi_region_key_so_installs_verify_in_every_region(
    templates: dict[str, Template],
):
    alias = f"alias/{PREFIX}-marketplace-signing"
    primary = templates[PRIMARY]
    (key,) = primary.find_resources(
        "AWS::KMS::Key", {"Properties": {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}}
    ).values()
    assert key["Properties"]["MultiRegion"] and key["DeletionPolicy"] == "Retain"
    primary.has_resource_properties("AWS::KMS::Alias", {"AliasName": alias})
    primary.has_resource_properties(
        "AWS::SSM::Parameter", {"Name": f"/{PREFIX}/kms/marketplace-signing-key-arn", "Value": Match.any_value()}
    )
    # The account may administer it, sign with its one algorithm and verify; no wildcard, no encryption.
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    actions = {action for statement in statements for action in _listed(statement["Action"])}
    assert {"kms:Sign", "kms:Verify", "kms:GetPublicKey"} <= actions
    assert not {action for action in actions if "*" in action or "crypt" in action or "DataKey" in action}
    (sign,) = (statement for statement in statements if statement["Action"] == "kms:Sign")
    assert sign["Condition"] == {"StringEquals": {"kms:SigningAlgorithm": "ECDSA_SHA_256"}}
    for region in REPLICAS:
        replica = templates[region]
        (copy,) = (
            resource
            for resource in replica.find_resources("AWS::KMS::ReplicaKey").values()
            if "marketplace" in json.dumps(resource["Properties"]["Description"])
        )
        copied = copy["Properties"]["KeyPolicy"]["Statement"]
        assert copy["DeletionPolicy"] == "Retain"
        assert {action for statement in copied for action in _listed(statement["Action"])} == actions
        replica.has_resource_properties("AWS::KMS::Alias", {"AliasName": alias})


def _listed(actions: str | list[str]) -> list[str]:
    return actions if isinstance(actions, list) else [actions]


def test_api_gateways_account_role_is_set_once_per_region_only_when_asked_and_kept_on_destroy(
    three_region_app: App, template: Template
) -> None:
    template.resource_count_is("AWS::ApiGateway::Account", 0)
    for stack in stacks_of(three_region_app).values():
        if isinstance(stack, RegionalStack):
            accounts = template_of(stack).find_resources("AWS::ApiGateway::Account")
            expected = 0 if isinstance(stack, SiloStack) else 1
            assert len(accounts) == expected, stack.stack_name
            assert all(account["DeletionPolicy"] == "Retain" for account in accounts.values())


def test_with_removal_retain_buckets_are_kept_with_their_objects(templates: dict[str, Template]) -> None:
    for template in templates.values():
        template.resource_count_is("Custom::S3AutoDeleteObjects", 0)
