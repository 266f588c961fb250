"""The regional stack holds every catalog function, the tables, the buckets, the API routes and the smoke workflow."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from infra.cloud_cost import UNTRACED, DeliveryRoute, TraceSampling, delivery_route, delivery_sampling
from infra.config import ForgeConfig
from infra.constants import HTTP_ALIAS_NAME, HTTP_BUFFERED_ENVIRONMENT, OUTPUT_DELIVERY_URL
from infra.constructs import tenant_gateway_keys as gateway_keys_env
from infra.constructs.delivery_url import DeliveryUrl
from infra.constructs.marketplace_search_access import ENDPOINT_ENV_VAR as SEARCH_ENDPOINT_ENV_VAR
from infra.constructs.marketplace_search_access import REGION_ENV_VAR as SEARCH_REGION_ENV_VAR
from infra.constructs.tenant_data_roles import TENANT_DATA_ROLE_ENV_VAR
from infra.names import ResourceNames
from infra.stacks.domains import function_domain
from infra.stacks.regional import RegionalStack
from shared.catalog import CATALOG, FunctionSpec, function_physical_name, resource_environment
from shared.resources import SMOKE_STATE_MACHINE, TABLES, TableSpec, function_arn_placeholder
from tests.infra.conftest import functions_of

pytestmark = pytest.mark.infra

PREFIX = "nexus-forge-test"


def _logical_id(stack: Stack, construct: Any) -> str:
    return stack.resolve(construct.node.default_child.logical_id)  # type: ignore[no-any-return]


@pytest.mark.parametrize("spec", CATALOG, ids=lambda spec: spec.name)
def test_every_catalog_function_exists_with_its_settings(stack: RegionalStack, template: Template, spec: FunctionSpec):
    environment = resource_environment(spec, ResourceNames(stack, PREFIX).environment_values())
    if spec.authenticates:
        # The issuer and the cursor secret: tests/infra/test_identity.py; buffered streams: test_executions.py.
        assert stack.user_pool is not None
        environment |= stack.user_pool.environment | stack.cursor_secret.environment | HTTP_BUFFERED_ENVIRONMENT
    # The tenant-data role and the usage plans: tests/infra/test_tenant_data_roles.py and test_usage_plans.py.
    if spec.uses_tenant_sessions:
        environment[TENANT_DATA_ROLE_ENV_VAR] = stack.tenant_data_roles.roles[spec.name].role_arn
    if spec.name in ("tenants", "authorizer"):
        environment[gateway_keys_env.PREFIX_ENV_VAR] = PREFIX
    if spec.name == "tenants":
        environment[gateway_keys_env.REGIONS_ENV_VAR] = json.dumps([stack.region])
    expected = stack.resolve(environment | {"FORGE_STAGE": "test"})
    if spec.name in ("marketplace", "marketplace_search_indexer"):
        # The search collection's endpoint (from the Data domain) and region: tests/infra/test_marketplace_search.py.
        expected[SEARCH_ENDPOINT_ENV_VAR] = Match.any_value()
        expected[SEARCH_REGION_ENV_VAR] = stack.region
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": function_physical_name(PREFIX, spec.name),
            "Handler": spec.handler,
            "Runtime": "python3.13",
            "MemorySize": spec.memory_mb,
            "Timeout": spec.timeout_seconds,
            "TracingConfig": {"Mode": "Active" if spec.active_tracing else "PassThrough"},
            "Environment": {"Variables": Match.object_equals(expected)},
            # No START/END/REPORT lines; application logs (Powertools' and EMF lines) at INFO, as JSON.
            "LoggingConfig": {"LogFormat": "JSON", "SystemLogLevel": "WARN", "ApplicationLogLevel": "INFO"},
        },
    )


def test_there_is_no_function_outside_the_catalog(template: Template):
    names = {resource["Properties"]["FunctionName"] for resource in functions_of(template).values()}
    assert names == {function_physical_name(PREFIX, spec.name) for spec in CATALOG}


def test_functions_run_with_the_powertools_layer_and_our_dependency_layer(template: Template):
    for function in functions_of(template).values():
        used = json.dumps(function["Properties"]["Layers"])
        assert "AWSLambdaPowertoolsPythonV3-python313-x86_64" in used
        assert "DependencyLayer" in used
    # One dependency layer per domain that deploys functions (infra/stacks/domains.py); CDK's BucketDeployment brings
    # its own AWS CLI layer.
    layers = template.find_resources("AWS::Lambda::LayerVersion")
    dependency_layers = [logical_id for logical_id in layers if "DependencyLayer" in logical_id]
    assert len(dependency_layers) == len({function_domain(spec) for spec in CATALOG})
    assert all("DependencyLayer" in logical_id or "AwsCliLayer" in logical_id for logical_id in layers)


def test_the_smoke_state_machine_invokes_the_smoke_echo_function(stack: RegionalStack, template: Template):
    smoke_echo = stack.functions["smoke_echo"]
    machine = template.find_resources(
        "AWS::StepFunctions::StateMachine",
        {"Properties": {"StateMachineName": SMOKE_STATE_MACHINE.physical_name(PREFIX)}},
    )
    (properties,) = (resource["Properties"] for resource in machine.values())
    placeholder = function_arn_placeholder("smoke_echo")
    assert "${" + placeholder + "}" in json.dumps(properties["DefinitionString"])
    assert properties["DefinitionSubstitutions"] == {
        placeholder: {"Fn::GetAtt": [_logical_id(stack, smoke_echo), "Arn"]}
    }


def test_the_state_machine_definition_is_the_file_in_statemachines(template: Template):
    (machine,) = template.find_resources(
        "AWS::StepFunctions::StateMachine",
        {"Properties": {"StateMachineName": SMOKE_STATE_MACHINE.physical_name(PREFIX)}},
    ).values()
    definition = machine["Properties"]["DefinitionString"]
    assert isinstance(definition, str), "inline, with the function ARNs in DefinitionSubstitutions"
    assert json.loads(definition) == json.loads(SMOKE_STATE_MACHINE.definition_template())


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.key)
def test_tables_have_their_keys_indexes_and_ttl(template: Template, table: TableSpec):
    expected: dict[str, Any] = {
        "TableName": table.physical_name(PREFIX),
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if table.ttl_attribute:
        expected["TimeToLiveSpecification"] = {"AttributeName": table.ttl_attribute, "Enabled": True}
    if table.global_indexes:
        expected["GlobalSecondaryIndexes"] = [
            Match.object_like({"IndexName": index.name}) for index in table.global_indexes
        ]
    if table.stream:
        expected["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    template.has_resource_properties("AWS::DynamoDB::GlobalTable", expected)


def _route_paths(template: Template) -> dict[str, str]:
    """Logical id of each API Gateway resource → its full path."""
    resources = template.find_resources("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            properties = resources[logical_id]["Properties"]
            parent = properties["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
            paths[logical_id] = f"{prefix}/{properties['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def test_every_catalog_route_reaches_its_function(stack: RegionalStack, template: Template):
    paths = _route_paths(template)
    methods = template.find_resources("AWS::ApiGateway::Method")
    routed = {
        (method["Properties"]["HttpMethod"], paths[method["Properties"]["ResourceId"]["Ref"]]): json.dumps(
            method["Properties"]["Integration"]["Uri"]
        )
        for method in methods.values()
        if "Ref" in method["Properties"]["ResourceId"]
    }
    for spec in CATALOG:
        target_id = f"function:{function_physical_name(stack.prefix, spec.name)}:{HTTP_ALIAS_NAME}"
        for route in spec.routes:
            assert (route.method, route.path) in routed, f"{route.method} {route.path} is not routed"
            assert target_id in routed[(route.method, route.path)], f"{route.path} does not reach {spec.name}"


def test_the_alias_the_api_invokes_by_name_is_the_one_the_functions_domain_publishes(template: Template):
    """The API's domain names each HTTP function's alias (`<function>:live`) rather than referencing it."""
    function_ids = {
        properties["Properties"]["FunctionName"]: logical_id
        for logical_id, properties in functions_of(template).items()
    }
    aliases = {
        (alias["Properties"]["FunctionName"]["Ref"], alias["Properties"]["Name"])
        for alias in template.find_resources("AWS::Lambda::Alias").values()
    }
    for spec in CATALOG:
        if spec.is_http:
            function_id = function_ids[function_physical_name("nexus-forge-test", spec.name)]
            assert (function_id, HTTP_ALIAS_NAME) in aliases, spec.name


def test_with_removal_destroy_every_bucket_is_emptied_of_all_versions_before_it_is_deleted(template: Template):
    buckets = template.find_resources("AWS::S3::Bucket")
    emptied = {
        resource["Properties"]["BucketName"]["Ref"]
        for resource in template.find_resources("Custom::S3AutoDeleteObjects").values()
    }
    assert emptied == set(buckets)
    assert all(bucket["DeletionPolicy"] == "Delete" for bucket in buckets.values())


def test_webhook_deliveries_are_traced_one_in_twenty_without_a_reservoir(stack: RegionalStack, template: Template):
    rules = template.find_resources("AWS::XRay::SamplingRule")

    (rule,) = (resource["Properties"]["SamplingRule"] for resource in rules.values())
    assert rule["HTTPMethod"] == "POST" and rule["URLPath"] == "*/v1/hooks/*"
    assert rule["ServiceName"] == f"{stack.prefix}-api/{stack.config.environment}"
    assert delivery_sampling([template.to_json()]) == TraceSampling(reservoir_per_second=0, rate=0.05)


def test_webhook_deliveries_have_a_public_function_url_on_the_webhooks_alias_and_no_gateway_of_their_own(
    stack: RegionalStack, template: Template
):
    (url,) = template.find_resources("AWS::Lambda::Url").values()
    webhooks_id = _logical_id(stack, stack.http_functions.functions["webhooks"])
    assert url["Properties"] == {
        "AuthType": "NONE",
        "InvokeMode": "BUFFERED",
        "Qualifier": HTTP_ALIAS_NAME,
        "TargetFunctionArn": {"Fn::GetAtt": [webhooks_id, "Arn"]},
    }
    assert not template.find_resources("AWS::ApiGatewayV2::Api"), "no HTTP API: deliveries cost $0 per request"
    # Both statements a public URL needs ("Control access to Lambda function URLs"), on the alias, and no other public
    # permission on any function.
    public = sorted(
        (permission["Properties"]["Action"], json.dumps(permission["Properties"]["FunctionName"]))
        for permission in template.find_resources("AWS::Lambda::Permission").values()
        if permission["Properties"]["Principal"] == "*"
    )
    alias = json.dumps({"Ref": _logical_id(stack, stack.http_functions.invocation_targets["webhooks"])})
    assert public == [("lambda:InvokeFunction", alias), ("lambda:InvokeFunctionUrl", alias)]
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {"Action": "lambda:InvokeFunctionUrl", "FunctionUrlAuthType": "NONE", "Principal": "*"},
    )
    template.has_resource_properties(
        "AWS::Lambda::Permission", {"Action": "lambda:InvokeFunction", "InvokedViaFunctionUrl": True, "Principal": "*"}
    )
    # Senders are given the URL's origin; the REST API keeps the delivery route (and the management routes).
    output = json.dumps(template.to_json()["Outputs"][OUTPUT_DELIVERY_URL]["Value"])
    assert "https://" in output and "FunctionUrl" in output
    # The cost model prices deliveries on the function URL; the webhooks function traces nothing without a caller's
    # header.
    assert delivery_route([template.to_json()], stack.prefix) == DeliveryRoute("URL", UNTRACED)


def test_a_delivery_flood_pages_before_it_takes_the_accounts_concurrency(stack: RegionalStack, template: Template):
    """The function URL has no gateway throttle: the webhooks function's concurrent instances are alarmed on, at the
    burst the API allows; reserved concurrency (which caps the /v1/hooks management routes too) is off by default."""
    (alarm,) = (
        alarm["Properties"]
        for alarm in template.find_resources("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["AlarmName"] == f"{stack.prefix}-webhooks-concurrency"
    )
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/Lambda",
        "ConcurrentExecutions",
        "Maximum",
    )
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": function_physical_name(PREFIX, "webhooks")}]
    assert alarm["Threshold"] == stack.config.api_burst_limit
    assert all(
        "ReservedConcurrentExecutions" not in function["Properties"] for function in functions_of(template).values()
    )


def test_reserved_concurrency_for_the_webhooks_function_is_an_opt_in_setting() -> None:
    stack = Stack(App(), "Deliveries")
    function = lambda_.Function(
        stack, "Webhooks", runtime=lambda_.Runtime.PYTHON_3_13, handler="h.h", code=lambda_.Code.from_inline("x")
    )
    alias = lambda_.Alias(stack, "Live", alias_name=HTTP_ALIAS_NAME, version=function.current_version)

    DeliveryUrl(stack, "Url", function=function, alias=alias, reserved_concurrency=50)

    (deployed,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    assert deployed["Properties"]["ReservedConcurrentExecutions"] == 50
    assert ForgeConfig().webhook_reserved_concurrency is None


def test_the_dashboard_reads_no_lambda_report_line(template: Template):
    # System logs at WARN: Lambda sends no REPORT line a Logs Insights query could read.
    for dashboard in template.find_resources("AWS::CloudWatch::Dashboard").values():
        assert "REPORT" not in json.dumps(dashboard["Properties"]["DashboardBody"])


def test_the_status_path_is_traced_only_inside_a_sampled_callers_trace(template: Template):
    # Invoked once per execution with no trace header: active tracing would record nearly every invocation.
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"FunctionName": function_physical_name(PREFIX, "execution_events"), "TracingConfig": {"Mode": "PassThrough"}},
    )
