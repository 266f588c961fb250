"""CloudFormation holds at most 500 resources in a stack: the synthesized templates keep a margin below it."""

from __future__ import annotations

from aws_cdk import App
from aws_cdk.assertions import Template

from infra.stacks.regional import RegionalStack
from shared.catalog import CATALOG
from tests.infra.conftest import stacks_of

CLOUDFORMATION_RESOURCE_LIMIT = 500
# Room for three more catalog functions (each brings about 13: function, role, policy, log group, alarms, triggers)
# before a deploy fails; splitting the regional stack by domain is what makes real room.
RESOURCE_MARGIN = 40


def test_every_template_stays_a_margin_below_cloudformations_resource_limit(three_region_app: App) -> None:
    counts = {
        name: len(Template.from_stack(stack).to_json()["Resources"])
        for name, stack in stacks_of(three_region_app).items()
    }
    over = {name: count for name, count in counts.items() if count > CLOUDFORMATION_RESOURCE_LIMIT - RESOURCE_MARGIN}
    assert not over, f"templates within {RESOURCE_MARGIN} resources of CloudFormation's limit: {over}"


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
    targets = [stack.functions.invocation_targets[name] for name in routed]
    assert invoked == sorted(str(stack.resolve(target.function_arn)) for target in targets)
