"""A silo tenant from the config gets its own stack: its own tables and every catalog function, the same constructs."""

from __future__ import annotations

import pytest
from aws_cdk import App
from aws_cdk.assertions import Match, Template

from infra.config import ConfigError, load_config
from infra.constants import cursor_secret_name, user_pool_parameter_names
from infra.names import ResourceNames
from infra.platform_app import regional_stack_id, silo_stack_id, stack_prefix
from infra.stacks.silo import SiloStack
from shared.catalog import CATALOG, function_physical_name, resource_environment
from shared.resources import TABLES
from shared.tenancy.placement import TenantPlacement
from shared.tenancy.tiers import TIERS, Deployment
from tests.infra.conftest import SILO_TENANT, THREE_REGIONS, stacks_of

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
    return Template.from_stack(silo)


def test_the_silo_stack_is_where_the_routing_layer_looks_for_the_tenant(silo: SiloStack):
    config = load_config(THREE_REGIONS)
    placement = TenantPlacement(tenant_id=SILO_TENANT, deployment=Deployment.SILO, home_region=PRIMARY)
    assert silo.stack_name == silo_stack_id(config, SILO_TENANT) == placement.stack_name(stack_prefix(config))
    assert (silo.region, silo.silo_tenant, silo.prefix) == (PRIMARY, SILO_TENANT, SILO_PREFIX)


def test_the_silo_is_deployed_after_the_platform_stack_of_its_region(silo: SiloStack):
    config = load_config(THREE_REGIONS)
    assert [stack.stack_name for stack in silo.dependencies] == [regional_stack_id(config, PRIMARY)]


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.key)
def test_the_silo_has_its_own_tables_in_its_region_only(template: Template, table):
    (resource,) = template.find_resources(
        "AWS::DynamoDB::GlobalTable", {"Properties": {"TableName": table.physical_name(SILO_PREFIX)}}
    ).values()
    assert [replica["Region"] for replica in resource["Properties"]["Replicas"]] == [PRIMARY]


def test_the_silo_has_no_other_table(template: Template):
    template.resource_count_is("AWS::DynamoDB::GlobalTable", len(TABLES))


@pytest.mark.parametrize("spec", CATALOG, ids=lambda spec: spec.name)
def test_every_catalog_function_runs_in_the_silo_against_its_resources(silo: SiloStack, template: Template, spec):
    environment = resource_environment(spec, ResourceNames(silo, SILO_PREFIX).environment_values())
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
    template.resource_count_is("AWS::ApiGateway::UsagePlan", len(silo_tiers))
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
