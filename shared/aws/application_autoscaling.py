"""The Application Auto Scaling calls of predictive scaling: a Lambda alias's provisioned concurrency as a scalable
target, and the scheduled actions that raise and lower its minimum."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.aws.clients import application_autoscaling_client

NAMESPACE = "lambda"
DIMENSION = "lambda:function:ProvisionedConcurrency"


def resource_id(function_name: str, alias: str) -> str:
    return f"function:{function_name}:{alias}"


def register_provisioned_concurrency(function_name: str, alias: str, *, min_capacity: int, max_capacity: int) -> None:
    """Registers the alias's provisioned concurrency as a target unless it is one already."""
    client = application_autoscaling_client()
    registered = client.describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ResourceIds=[resource_id(function_name, alias)], ScalableDimension=DIMENSION
    )
    if registered["ScalableTargets"]:
        return
    client.register_scalable_target(
        ServiceNamespace=NAMESPACE,
        ResourceId=resource_id(function_name, alias),
        ScalableDimension=DIMENSION,
        MinCapacity=min_capacity,
        MaxCapacity=max_capacity,
    )


def put_scheduled_minimum(
    function_name: str, alias: str, name: str, at: datetime, *, min_capacity: int, max_capacity: int
) -> None:
    """A one-time scheduled action (`at(...)`, UTC) setting the target's minimum from `at` on."""
    application_autoscaling_client().put_scheduled_action(
        ServiceNamespace=NAMESPACE,
        ScheduledActionName=name,
        ResourceId=resource_id(function_name, alias),
        ScalableDimension=DIMENSION,
        Schedule=f"at({at:%Y-%m-%dT%H:%M:%S})",
        ScalableTargetAction={"MinCapacity": min_capacity, "MaxCapacity": max_capacity},
    )


def scheduled_actions(function_name: str, alias: str) -> list[dict[str, Any]]:
    answer = application_autoscaling_client().describe_scheduled_actions(
        ServiceNamespace=NAMESPACE, ResourceId=resource_id(function_name, alias), ScalableDimension=DIMENSION
    )
    return list(answer["ScheduledActions"])
