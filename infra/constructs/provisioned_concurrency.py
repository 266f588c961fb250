"""Reactive provisioned concurrency of a hot event function's `live` alias: the Application Auto Scaling target that
ml_forecast_actions' scheduled minimums act on (shared/forecasts/scaling.py), and target tracking on the alias's
provisioned concurrency utilisation above them. The alias's version has no SnapStart: Lambda refuses provisioned
concurrency on one that has."""

from __future__ import annotations

from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from shared.aws.application_autoscaling import DIMENSION, NAMESPACE, resource_id
from shared.resources import ProvisionedConcurrencySpec

PROVISIONED_UTILISATION_METRIC = "LambdaProvisionedConcurrencyUtilization"


class ProvisionedConcurrency(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        alias: lambda_.Alias,
        scaling: ProvisionedConcurrencySpec,
    ) -> None:
        super().__init__(scope, construct_id)
        # No RoleARN: Application Auto Scaling uses its Lambda service-linked role.
        self.target = appscaling.CfnScalableTarget(
            self,
            "Target",
            service_namespace=NAMESPACE,
            resource_id=resource_id(function_name, scaling.alias),
            scalable_dimension=DIMENSION,
            min_capacity=scaling.min_capacity,
            max_capacity=scaling.max_capacity,
        )
        self.target.node.add_dependency(alias)
        self.policy = appscaling.CfnScalingPolicy(
            self,
            "TargetTracking",
            policy_name=f"{function_name}-provisioned-utilisation",
            policy_type="TargetTrackingScaling",
            scaling_target_id=self.target.ref,
            target_tracking_scaling_policy_configuration=appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=scaling.target_utilisation,
                predefined_metric_specification=appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type=PROVISIONED_UTILISATION_METRIC
                ),
            ),
        )
