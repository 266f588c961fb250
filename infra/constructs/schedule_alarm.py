"""An alarm when a schedule's slot could not start its workflow (deleted, unpublished, quota, suspended tenant)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from shared.catalog import CATALOG_BY_NAME
from shared.metrics import NAMESPACE, SCHEDULE_SLOTS_FAILED, SERVICE_DIMENSION


class ScheduleFailureAlarm(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, fire_function: str, topic: sns.ITopic
    ) -> None:
        super().__init__(scope, construct_id)
        failed = cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=SCHEDULE_SLOTS_FAILED,
            dimensions_map={SERVICE_DIMENSION: CATALOG_BY_NAME[fire_function].service_name},
            period=Duration.minutes(5),
            statistic="Sum",
        )
        self.alarm = failed.create_alarm(
            self,
            "Alarm",
            alarm_name=f"{prefix}-schedule-slots-failed",
            alarm_description="A schedule could not start its workflow; GET /v1/schedules/{id} shows why",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(actions.SnsAction(topic))
