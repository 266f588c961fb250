"""Provisioned concurrency in the cloud: the scaled event and node functions' `live` aliases are Application Auto
Scaling targets with target tracking, on versions without SnapStart (Lambda refuses provisioned concurrency on a
SnapStart version). The scaling grant's aliases: tests/infra/test_grants.py."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Template

from infra.constructs.provisioned_concurrency import PROVISIONED_UTILISATION_METRIC
from shared.catalog import CATALOG_BY_NAME, function_physical_name
from shared.resources import PREDICTIVE_SCALING
from tests.infra.conftest import functions_of

PREFIX = "nexus-forge-test"


def _scalable_targets(template: Template) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget").items()
    }


def test_the_scaling_targets_are_exactly_the_scaled_event_functions_live_aliases(template: Template) -> None:
    targets = _scalable_targets(template)

    assert sorted(target["ResourceId"] for target in targets.values()) == sorted(
        f"function:{function_physical_name(PREFIX, name)}:live" for name in PREDICTIVE_SCALING.functions
    )
    for target in targets.values():
        assert target["ServiceNamespace"] == "lambda"
        assert target["ScalableDimension"] == "lambda:function:ProvisionedConcurrency"
        assert (target["MinCapacity"], target["MaxCapacity"]) == (1, PREDICTIVE_SCALING.max_capacity)
        # Application Auto Scaling's Lambda service-linked role, not a role of ours.
        assert "RoleARN" not in target


def test_reactive_scaling_tracks_70_percent_provisioned_utilisation_on_each_target(template: Template) -> None:
    policies = template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()

    tracked = {
        policy["Properties"]["ScalingTargetId"]["Ref"]: policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        for policy in policies
    }
    assert set(tracked) == set(_scalable_targets(template))
    for configuration in tracked.values():
        assert configuration["TargetValue"] == 0.7
        assert configuration["PredefinedMetricSpecification"] == {
            "PredefinedMetricType": PROVISIONED_UTILISATION_METRIC
        }


def test_no_scaling_target_names_a_snapstart_alias(template: Template) -> None:
    functions = {
        function["Properties"]["FunctionName"]: logical_id for logical_id, function in functions_of(template).items()
    }
    versions = template.find_resources("AWS::Lambda::Version")
    aliases = template.find_resources("AWS::Lambda::Alias").values()

    for target in _scalable_targets(template).values():
        _, name, alias_name = target["ResourceId"].split(":")
        function_id = functions[name]
        assert "SnapStart" not in template.to_json()["Resources"][function_id]["Properties"], name
        (alias,) = [
            alias["Properties"]
            for alias in aliases
            if alias["Properties"]["FunctionName"] == {"Ref": function_id} and alias["Properties"]["Name"] == alias_name
        ]
        version = versions[alias["FunctionVersion"]["Fn::GetAtt"][0]]["Properties"]
        assert version["FunctionName"] == {"Ref": function_id}


def test_the_hot_http_functions_keep_snapstart_and_are_not_scaled() -> None:
    assert PREDICTIVE_SCALING.functions == ("execution_events", "node_http", "node_agent")
    assert not any(CATALOG_BY_NAME[name].is_http for name in PREDICTIVE_SCALING.functions)
