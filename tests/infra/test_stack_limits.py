"""CloudFormation holds at most 500 resources in a template: every synthesized template keeps well below it, and the
domains of a regional stack (infra/stacks/domains.py) reach each other by name, with few, fixed parameters."""

from __future__ import annotations

from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from infra.stacks.domains import Domain
from infra.stacks.regional import RegionalStack
from infra.stacks.silo import SiloStack
from shared.catalog import CATALOG
from tests.infra.conftest import nested_stacks_of, stacks_of, templates_of

# 80% of CloudFormation's 500: room for the next features' functions and routes in each template; a domain that
# grows past it is split again (a new Domain member).
RESOURCE_CEILING = 400
# What one domain may take from another, by the producer's construct: the platform key (its ARN, for encryption and
# grants) and the workflows function's role (express machines' log deliveries). Nothing per function or route.
CROSS_DOMAIN_PARAMETERS = {
    Domain.DATA: set(),
    Domain.HTTP_FUNCTIONS: {"PlatformKey"},
    Domain.API: set(),
    Domain.WORKFLOWS_RUNTIME: {"PlatformKey", "FunctionsWorkflowsRole"},
    Domain.OBSERVABILITY: {"PlatformKey"},
    Domain.INTELLIGENCE: {"PlatformKey"},
}
# And where the stack owns the tables (the primary region: all of them; a silo: its tenant-data tables): each streamed
# table's stream ARN, which has no name to reach it by (its label is the stream's creation time), for the functions
# the stream feeds.
TABLE_OWNER_PARAMETERS = {Domain.WORKFLOWS_RUNTIME: {"TablesPlatform", "TablesExecutions"}}
SILO_TABLE_PARAMETERS = {Domain.WORKFLOWS_RUNTIME: {"TablesExecutions"}}
# And in the primary region, the marketplace search collection's ARN and endpoint (generated ids, no name to reach
# them by) for the two functions that use it, and the search route's role for the collection's data access policy.
SEARCH_COLLECTION = {"MarketplaceSearchCollection", "CollectionEndpoint"}
PRIMARY_PARAMETERS = {
    Domain.HTTP_FUNCTIONS: SEARCH_COLLECTION,
    Domain.WORKFLOWS_RUNTIME: SEARCH_COLLECTION | {"FunctionsMarketplaceRole"},
}


def test_every_template_of_every_stack_stays_below_the_ceiling(three_region_app: App) -> None:
    counts = {path: len(template.to_json()["Resources"]) for path, template in templates_of(three_region_app).items()}
    assert len(counts) > len(stacks_of(three_region_app)), "the regional stacks' domains are nested stacks"
    over = {path: count for path, count in counts.items() if count > RESOURCE_CEILING}
    assert not over, f"templates above {RESOURCE_CEILING} resources: {over}"


def test_domains_pass_each_other_only_the_key_and_one_role_and_nothing_is_exported(three_region_app: App) -> None:
    for stack in stacks_of(three_region_app).values():
        template = Template.from_stack(stack).to_json()
        assert "Export" not in str(template.get("Outputs", {})) and "Fn::ImportValue" not in str(template)
        if not isinstance(stack, RegionalStack):
            continue
        for domain in nested_stacks_of(stack):
            nested = Template.from_stack(domain).to_json()
            assert "Fn::ImportValue" not in str(nested)
            # Parameters with a default are SSM parameter reads, not values the parent passes.
            passed = [name for name, parameter in nested.get("Parameters", {}).items() if "Default" not in parameter]
            expected = CROSS_DOMAIN_PARAMETERS[Domain(domain.node.id)]
            if isinstance(stack, SiloStack):
                expected = expected | SILO_TABLE_PARAMETERS.get(Domain(domain.node.id), set())
            elif stack.is_primary:
                expected = expected | TABLE_OWNER_PARAMETERS.get(Domain(domain.node.id), set())
                expected = expected | PRIMARY_PARAMETERS.get(Domain(domain.node.id), set())
            assert len(passed) == len(expected), f"{domain.node.path} takes {passed}"
            for producer in expected:
                assert any(producer in name for name in passed), f"{domain.node.path} takes {passed}"


def test_api_gateway_may_invoke_each_routed_function_once_for_the_whole_api(
    stack: RegionalStack, template: Template
) -> None:
    permissions = [
        resource["Properties"]
        for resource in template.find_resources("AWS::Lambda::Permission").values()
        if resource["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    routed = [spec.name for spec in CATALOG if spec.routes]
    invoked = sorted(
        str(permission["FunctionName"]) for permission in permissions if "/*/*/*" in str(permission["SourceArn"])
    )
    targets = [stack.api.targets[name] for name in routed]
    assert invoked == sorted(str(Stack.of(target).resolve(target.function_arn)) for target in targets)


def test_the_api_deploys_after_the_functions_it_invokes_by_name(stack: RegionalStack) -> None:
    parent = Template.from_stack(stack).to_json()["Resources"]
    api = stack.domains[Domain.API].nested_stack_resource
    functions = stack.domains[Domain.HTTP_FUNCTIONS].nested_stack_resource
    assert api is not None and functions is not None
    assert stack.resolve(functions.logical_id) in parent[stack.resolve(api.logical_id)]["DependsOn"]
