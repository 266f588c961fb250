"""A silo tenant from the config gets its own stack: its own tables and every catalog function, the same constructs."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App
from aws_cdk.assertions import Match, Template

from infra.config import ConfigError, load_config
from infra.constants import cursor_secret_name, user_pool_parameter_names
from infra.names import ResourceNames
from infra.platform_app import regional_stack_id, silo_stack_id, stack_prefix
from infra.stacks.silo import SiloStack
from shared.catalog import CATALOG, function_physical_name, resource_environment
from shared.resources import TABLES, TableScope
from shared.tenancy.gateway_keys import tenant_key_value, usage_identifier_key
from shared.tenancy.placement import TenantPlacement
from shared.tenancy.tiers import TIERS, Deployment, Tier
from tests.infra.conftest import SILO_TENANT, THREE_REGIONS, stacks_of, template_of

pytestmark = pytest.mark.infra

PRIMARY, *_ = THREE_REGIONS["regions"]
PLATFORM_PREFIX = "nexus-forge-prod"
SILO_PREFIX = f"{PLATFORM_PREFIX}-{SILO_TENANT[:8]}"


@pytest.fixture(scope="module")
def silo(three_region_app: App) -> SiloStack:
    (stack,) = (stack for stack in stacks_of(three_region_app).values() if isinstance(stack, SiloStack))
    return stack


@pytest.fixture(scope="module")
def template(silo: SiloStack) -> Template:
    return template_of(silo)


def test_the_silo_stack_is_where_the_routing_layer_looks_for_the_tenant(silo: SiloStack):
    config = load_config(THREE_REGIONS)
    placement = TenantPlacement(tenant_id=SILO_TENANT, deployment=Deployment.SILO, home_region=PRIMARY)
    assert silo.stack_name == silo_stack_id(config, SILO_TENANT) == placement.stack_name(stack_prefix(config))
    assert (silo.region, silo.silo_tenant, silo.prefix) == (PRIMARY, SILO_TENANT, SILO_PREFIX)


def test_the_silo_is_deployed_after_the_platform_stack_of_its_region(silo: SiloStack):
    config = load_config(THREE_REGIONS)
    assert [stack.stack_name for stack in silo.dependencies] == [regional_stack_id(config, PRIMARY)]


TENANT_DATA_TABLES = [table for table in TABLES if table.scope is TableScope.TENANT_DATA]
PLATFORM_TABLES = [table for table in TABLES if table.scope is TableScope.PLATFORM]


def test_the_tenant_registry_api_keys_and_audit_log_are_platform_tables():
    assert {table.key for table in PLATFORM_TABLES} == {"platform", "tenancy", "audit"}


@pytest.mark.parametrize("table", TENANT_DATA_TABLES, ids=lambda table: table.key)
def test_the_silo_has_its_own_tenant_data_tables_in_its_region_only(template: Template, table):
    (resource,) = template.find_resources(
        "AWS::DynamoDB::GlobalTable", {"Properties": {"TableName": table.physical_name(SILO_PREFIX)}}
    ).values()
    assert [replica["Region"] for replica in resource["Properties"]["Replicas"]] == [PRIMARY]


def test_the_silo_has_no_other_table(template: Template):
    template.resource_count_is("AWS::DynamoDB::GlobalTable", len(TENANT_DATA_TABLES))


@pytest.mark.parametrize("table", PLATFORM_TABLES, ids=lambda table: table.key)
def test_the_silos_functions_use_the_platforms_tables_for_platform_data(silo: SiloStack, template: Template, table):
    """The tenant registry, its members and API keys are where the platform's tenants feature writes them."""
    users = [spec for spec in CATALOG if any(grant.resource == table for grant in spec.grants)]
    assert users
    platform_name = table.physical_name(PLATFORM_PREFIX)
    for spec in users:
        (function,) = template.find_resources(
            "AWS::Lambda::Function", {"Properties": {"FunctionName": function_physical_name(SILO_PREFIX, spec.name)}}
        ).values()
        assert function["Properties"]["Environment"]["Variables"][table.env_var] == platform_name
    granted = json.dumps(template.find_resources("AWS::IAM::Role"))
    assert f":table/{platform_name}" in granted
    assert f":table/{table.physical_name(SILO_PREFIX)}" not in granted


@pytest.mark.parametrize("spec", CATALOG, ids=lambda spec: spec.name)
def test_every_catalog_function_runs_in_the_silo_against_its_resources(silo: SiloStack, template: Template, spec):
    names = ResourceNames(silo, SILO_PREFIX, platform_prefix=PLATFORM_PREFIX)
    environment = resource_environment(spec, names.environment_values())
    expected = {name: Match.exact(value) for name, value in silo.resolve(environment).items()}
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": function_physical_name(SILO_PREFIX, spec.name),
            "Environment": {"Variables": Match.object_like(expected)},
        },
    )


def test_the_silo_uses_the_platforms_identity_and_cursor_secret(template: Template):
    template.resource_count_is("AWS::Cognito::UserPool", 0)
    template.resource_count_is("AWS::SecretsManager::Secret", 0)
    parameters = template.to_json()["Parameters"]
    assert set(user_pool_parameter_names(PLATFORM_PREFIX)) <= {
        parameter.get("Default") for parameter in parameters.values()
    }
    (function,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"FunctionName": function_physical_name(SILO_PREFIX, "tenants")}}
    ).values()
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["FORGE_CURSOR_SECRET"] == (
        f"{{{{resolve:secretsmanager:{cursor_secret_name(PLATFORM_PREFIX)}:SecretString:::}}}}"
    )


def test_the_silo_api_has_the_silo_tiers_plans_and_leaves_the_account_logging_role_alone(template: Template):
    silo_tiers = [limits for limits in TIERS.values() if limits.deployment is Deployment.SILO]
    # and the platform admins' and anonymous callers' plans
    template.resource_count_is("AWS::ApiGateway::UsagePlan", len(silo_tiers) + 2)
    for limits in silo_tiers:
        template.has_resource_properties(
            "AWS::ApiGateway::UsagePlan", {"UsagePlanName": f"{SILO_PREFIX}-{limits.tier.value}"}
        )
    template.resource_count_is("AWS::ApiGateway::Account", 0)
    template.resource_count_is("AWS::ApiGateway::RestApi", 1)


@pytest.mark.parametrize(
    ("silo_tenants", "message"),
    [
        (["Acme"], "silo_tenants: 'Acme' is not a tenant id"),
        (["abc"], "silo_tenants: 'abc' is not a tenant id"),
        ([SILO_TENANT, SILO_TENANT], "silo_tenants: a tenant is listed twice"),
        ([SILO_TENANT, SILO_TENANT[:8] + "0" * 24], "silo_tenants: two silo tenants share their first 8 characters"),
    ],
)
def test_a_bad_silo_tenant_names_the_field_in_one_line(silo_tenants, message):
    with pytest.raises(ConfigError) as error:
        load_config({"silo_tenants": silo_tenants})
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_the_silo_tenants_gateway_key_is_in_its_tier_plan_and_the_authorizer_names_it(
    silo: SiloStack, template: Template
):
    key_value = tenant_key_value(SILO_PREFIX, SILO_TENANT)
    assert usage_identifier_key(SILO_PREFIX, SILO_TENANT, authenticated=True) == key_value
    template.has_resource_properties("AWS::ApiGateway::ApiKey", {"Value": key_value, "Enabled": True})
    plan = silo.resolve(silo.usage_plans.plans[Tier.ENTERPRISE.value].node.default_child.logical_id)  # type: ignore[union-attr]
    key = silo.resolve(silo.usage_plans.silo_key.node.default_child.logical_id)  # type: ignore[union-attr]
    template.has_resource_properties(
        "AWS::ApiGateway::UsagePlanKey", {"KeyId": {"Ref": key}, "UsagePlanId": {"Ref": plan}, "KeyType": "API_KEY"}
    )
    (authorizer,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"FunctionName": function_physical_name(SILO_PREFIX, "authorizer")}}
    ).values()
    assert authorizer["Properties"]["Environment"]["Variables"]["FORGE_USAGE_PLAN_PREFIX"] == SILO_PREFIX
    # The silo's tenants function does not manage gateway keys: the platform's does, for the platform's API.
    (tenants,) = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"FunctionName": function_physical_name(SILO_PREFIX, "tenants")}}
    ).values()
    assert "FORGE_USAGE_PLAN_PREFIX" not in tenants["Properties"]["Environment"]["Variables"]
