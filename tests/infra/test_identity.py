"""The Cognito user pool (primary region only) and what HTTP functions are told: issuer, audience, JWKS, cursor key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Match, Template

from infra.constants import (
    PLATFORM_ADMIN_GROUP,
    cursor_secret_name,
    extra_audiences_parameter_name,
    marketplace_search_parameter_names,
    platform_key_parameter_name,
    signing_key_parameter_name,
    user_pool_parameter_names,
)
from infra.stacks.regional import RegionalStack
from infra.stacks.silo import SiloStack
from shared.catalog import CATALOG, function_physical_name
from shared.resources import MARKETPLACE_SIGNING_KEY
from shared.settings import PlatformSettings
from shared.store.cursors import _LOCAL_DEFAULT_SECRET
from tests.infra.conftest import THREE_REGIONS, stacks_of, template_of

pytestmark = pytest.mark.infra

PRIMARY, *REPLICAS = THREE_REGIONS["regions"]
PREFIX = "nexus-forge-prod"
HTTP_FUNCTIONS = [spec for spec in CATALOG if spec.authenticates]
AUTH_VARIABLES = {"FORGE_AUTH_ISSUER", "FORGE_AUTH_AUDIENCE", "FORGE_AUTH_JWKS_URL", "FORGE_CURSOR_SECRET"}


@pytest.fixture(scope="module")
def regional(three_region_app: App) -> dict[str, RegionalStack]:
    return {
        stack.region: stack
        for stack in stacks_of(three_region_app).values()
        if isinstance(stack, RegionalStack) and not isinstance(stack, SiloStack)
    }


@pytest.fixture(scope="module")
def templates(regional: dict[str, RegionalStack]) -> dict[str, Template]:
    return {region: template_of(stack) for region, stack in regional.items()}


def _logical_id(stack: Stack, construct: Any) -> str:
    return stack.resolve(construct.node.default_child.logical_id)  # type: ignore[no-any-return]


def _function_environment(template: Template, prefix: str, name: str) -> dict[str, Any]:
    (function,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"FunctionName": function_physical_name(prefix, name)}}
    ).values()
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return variables


def test_only_the_primary_region_has_the_user_pool(templates: dict[str, Template]):
    templates[PRIMARY].resource_count_is("AWS::Cognito::UserPool", 1)
    for region in REPLICAS:
        templates[region].resource_count_is("AWS::Cognito::UserPool", 0)


def test_the_user_pool_is_admin_managed_with_strong_passwords_mfa_and_threat_protection(
    templates: dict[str, Template],
):
    templates[PRIMARY].has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UserPoolName": f"{PREFIX}-users",
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "Policies": {
                "PasswordPolicy": {
                    "MinimumLength": 14,
                    "RequireLowercase": True,
                    "RequireUppercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": True,
                    "TemporaryPasswordValidityDays": 3,
                }
            },
            "MfaConfiguration": "ON",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
            "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"},
            "UserPoolTier": "PLUS",
            "DeletionProtection": "ACTIVE",
            "Schema": Match.array_with(
                [
                    Match.object_like({"Name": name, "AttributeDataType": "String", "Mutable": True})
                    for name in ("tenant_id", "role")
                ]
            ),
        },
    )


def test_the_platform_admins_group_is_the_one_the_app_reads(templates: dict[str, Template]):
    assert PlatformSettings().auth_platform_admin_group == PLATFORM_ADMIN_GROUP
    templates[PRIMARY].has_resource_properties("AWS::Cognito::UserPoolGroup", {"GroupName": PLATFORM_ADMIN_GROUP})


def test_the_app_client_has_no_secret_and_users_cannot_write_their_tenant_or_role(templates: dict[str, Template]):
    (client,) = templates[PRIMARY].find_resources("AWS::Cognito::UserPoolClient").values()
    properties = client["Properties"]
    assert properties["GenerateSecret"] is False
    assert set(properties["ExplicitAuthFlows"]) == {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert not [name for name in properties["WriteAttributes"] if name.startswith("custom:")]


def test_the_pool_and_client_ids_are_published_for_the_other_stacks(
    regional: dict[str, RegionalStack], templates: dict[str, Template]
):
    stack = regional[PRIMARY]
    assert stack.user_pool is not None
    pool_parameter, client_parameter = user_pool_parameter_names(PREFIX)
    templates[PRIMARY].has_resource_properties(
        "AWS::SSM::Parameter",
        {"Name": pool_parameter, "Value": {"Ref": _logical_id(stack, stack.user_pool.user_pool)}},
    )
    templates[PRIMARY].has_resource_properties(
        "AWS::SSM::Parameter",
        {"Name": client_parameter, "Value": {"Ref": _logical_id(stack, stack.user_pool.client)}},
    )


@pytest.mark.parametrize("spec", HTTP_FUNCTIONS, ids=lambda spec: spec.name)
def test_primary_http_functions_trust_the_pool_and_its_app_client(
    regional: dict[str, RegionalStack], templates: dict[str, Template], spec
):
    stack = regional[PRIMARY]
    assert stack.user_pool is not None
    pool = {"Ref": _logical_id(stack, stack.user_pool.user_pool)}
    issuer = {"Fn::Join": ["", [f"https://cognito-idp.{PRIMARY}.amazonaws.com/", pool]]}
    environment = _function_environment(templates[PRIMARY], PREFIX, spec.name)
    assert environment["FORGE_AUTH_ISSUER"] == issuer
    assert environment["FORGE_AUTH_AUDIENCE"] == {"Ref": _logical_id(stack, stack.user_pool.client)}
    assert environment["FORGE_AUTH_JWKS_URL"] == {
        "Fn::Join": ["", [f"https://cognito-idp.{PRIMARY}.amazonaws.com/", pool, "/.well-known/jwks.json"]]
    }


@pytest.mark.parametrize("region", REPLICAS)
def test_other_regions_trust_the_primary_regions_pool_read_from_its_parameters(
    templates: dict[str, Template], region: str
):
    readers = templates[region].find_resources("Custom::AWS")
    calls = [json.loads(reader["Properties"]["Create"]) for reader in readers.values()]
    # The pool's two ids, the ARNs of the platform key and the marketplace's signing key
    # (tests/infra/test_multi_region.py), the search collection's endpoint and ARN (test_marketplace_search.py).
    assert sorted(call["parameters"]["Name"] for call in calls) == sorted(
        [
            *user_pool_parameter_names(PREFIX),
            platform_key_parameter_name(PREFIX),
            signing_key_parameter_name(PREFIX, MARKETPLACE_SIGNING_KEY.key),
            *marketplace_search_parameter_names(PREFIX),
        ]
    )
    assert {call["region"] for call in calls} == {PRIMARY}
    for spec in HTTP_FUNCTIONS:
        environment = _function_environment(templates[region], PREFIX, spec.name)
        assert f"https://cognito-idp.{PRIMARY}.amazonaws.com/" in json.dumps(environment["FORGE_AUTH_ISSUER"])
        assert "Parameter.Value" in json.dumps(environment["FORGE_AUTH_AUDIENCE"])


def test_the_cursor_secret_is_generated_once_and_replicated_to_every_other_region(templates: dict[str, Template]):
    templates[PRIMARY].has_resource_properties(
        "AWS::SecretsManager::Secret",
        {
            "Name": cursor_secret_name(PREFIX),
            "GenerateSecretString": Match.object_like({"PasswordLength": 64}),
            "ReplicaRegions": [{"Region": region} for region in REPLICAS],
        },
    )
    for region in REPLICAS:
        templates[region].resource_count_is("AWS::SecretsManager::Secret", 0)


@pytest.mark.parametrize("region", THREE_REGIONS["regions"])
def test_http_functions_get_the_cursor_secret_at_deploy_time_never_the_local_default(
    templates: dict[str, Template], region: str
):
    for spec in HTTP_FUNCTIONS:
        cursor_secret = json.dumps(_function_environment(templates[region], PREFIX, spec.name)["FORGE_CURSOR_SECRET"])
        assert "{{resolve:secretsmanager:" in cursor_secret
        assert _LOCAL_DEFAULT_SECRET not in cursor_secret
        if region != PRIMARY:
            assert f"{{{{resolve:secretsmanager:{cursor_secret_name(PREFIX)}:SecretString:::}}}}" == json.loads(
                cursor_secret
            )


@pytest.mark.parametrize("region", THREE_REGIONS["regions"])
def test_event_functions_are_told_nothing_about_identity(templates: dict[str, Template], region: str):
    for spec in CATALOG:
        if not spec.authenticates:
            assert not AUTH_VARIABLES & set(_function_environment(templates[region], PREFIX, spec.name))


@pytest.mark.parametrize("region", THREE_REGIONS["regions"])
def test_http_functions_may_read_the_primarys_list_of_further_app_clients_and_nothing_else_of_ssm(
    templates: dict[str, Template], region: str
):
    # The console's app client is created after these stacks; its id reaches the API through this one parameter.
    suffix = f":ssm:{PRIMARY}:"
    for spec in HTTP_FUNCTIONS:
        arn = json.dumps(
            _function_environment(templates[region], PREFIX, spec.name)["FORGE_AUTH_EXTRA_AUDIENCES_PARAMETER"]
        )
        assert suffix in arn and f"parameter{extra_audiences_parameter_name(PREFIX)}" in arn
    for role in templates[region].find_resources("AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if "ssm:GetParameter" in json.dumps(statement["Action"]):
                    assert f"parameter{extra_audiences_parameter_name(PREFIX)}" in json.dumps(statement["Resource"])
