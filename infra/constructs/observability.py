"""A dashboard of what matters and alarms on what pages, to one SNS topic.

The functions, queues and state machines watched are deployed in other domains (infra/stacks/domains.py): they are
named here, as CloudWatch names them, rather than referenced, so this template takes no parameter per function."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

PERIOD = Duration.minutes(5)
WIDGET_WIDTH = 12


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        key: kms.IKey,
        alarm_email: str | None,
        api: apigateway.RestApi,
        functions: Mapping[str, str],
        dead_letter_queues: Mapping[str, str],
        state_machines: Mapping[str, str],
        table_names: list[str],
        replica_regions: tuple[str, ...],
    ) -> None:
        """`functions`: catalog name → function name; `dead_letter_queues`: what dead-letters → queue name;
        `state_machines`: key → state machine ARN."""
        super().__init__(scope, construct_id)
        self._prefix = prefix
        self.topic = sns.Topic(self, "AlarmTopic", topic_name=f"{prefix}-alarms", master_key=key, enforce_ssl=True)
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=prefix)
        self._build_api(api)
        self._build_functions(functions)
        self._build_state_machines(state_machines)
        self._build_dead_letter_queues(dead_letter_queues)
        self._build_tables(table_names, replica_regions)

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.Metric | cloudwatch.MathExpression,
        threshold: float,
        description: str,
    ) -> None:
        alarm = metric.create_alarm(
            self,
            construct_id,
            alarm_name=f"{self._prefix}-{construct_id}",
            alarm_description=description,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)

    def add_concurrency_alarm(self, name: str, function_name: str, threshold: int) -> None:
        """Pages when a function holds `threshold` instances or more at once (its peak in a period): for a function
        whose public URL has no gateway throttle in front, a flood shows here before it takes the account's
        concurrency from the other functions."""
        concurrency = lambda_metric(function_name, "ConcurrentExecutions", "Maximum")
        self._graph(f"{name}: concurrent instances", [concurrency])
        self._alarm(
            f"{name}-concurrency",
            concurrency,
            threshold,
            f"{name} ran {threshold} or more instances at once (its public URL has no gateway throttle)",
        )

    def add_spend_budget(self, service: str, monthly_usd: float) -> None:
        """An AWS Budgets cost budget on one service's spend in the account (Budgets are account-wide: built once, in
        the primary region): the topic hears when 80% of the month's amount is spent and when the month is
        forecast to exceed it."""
        publisher = iam.ServicePrincipal("budgets.amazonaws.com")
        self.topic.grant_publish(publisher)
        budgets.CfnBudget(
            self,
            "SpendBudget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{self._prefix}-{service.lower().replace(' ', '-')}-spend",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=monthly_usd, unit="USD"),
                cost_filters={"Service": [service]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=threshold,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[
                        budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=self.topic.topic_arn)
                    ],
                )
                for kind, threshold in (("ACTUAL", 80), ("FORECASTED", 100))
            ],
        )

    def _graph(self, title: str, metrics: list[cloudwatch.IMetric]) -> None:
        self.dashboard.add_widgets(cloudwatch.GraphWidget(title=title, left=metrics, width=WIDGET_WIDTH))

    def _build_api(self, api: apigateway.RestApi) -> None:
        server_errors = api.metric_server_error(period=PERIOD, statistic="Sum")
        self._graph("API 4xx / 5xx", [api.metric_client_error(period=PERIOD, statistic="Sum"), server_errors])
        self._graph("API latency p90", [api.metric_latency(period=PERIOD, statistic="p90")])
        self._alarm("api-5xx", server_errors, 5, "The API answered 5xx five times or more in 5 minutes")

    def _build_functions(self, functions: Mapping[str, str]) -> None:
        for name, function_name in functions.items():
            errors = lambda_metric(function_name, "Errors", "Sum")
            throttles = lambda_metric(function_name, "Throttles", "Sum")
            self._graph(f"{name}: errors, throttles", [errors, throttles])
            self._graph(f"{name}: duration p90", [lambda_metric(function_name, "Duration", "p90")])
            self._alarm(f"{name}-errors", errors, 1, f"{name} raised errors")
            self._alarm(f"{name}-throttles", throttles, 1, f"{name} was throttled")
        # No init-duration widget: Lambda publishes no such metric, and the REPORT lines that carried it are off (system
        # logs at WARN, infra/constructs/catalog_functions.py); docs/executions.md says where cold starts are seen.

    def _build_state_machines(self, state_machines: Mapping[str, str]) -> None:
        for key, machine_arn in state_machines.items():
            failed = _state_machine_metric(machine_arn, "ExecutionsFailed")
            timed_out = _state_machine_metric(machine_arn, "ExecutionsTimedOut")
            started = _state_machine_metric(machine_arn, "ExecutionsStarted")
            self._graph(f"state machine {key}", [started, failed, timed_out])
            self._alarm(f"{key}-failed", failed, 1, f"A run of the {key} state machine failed")
            self._alarm(f"{key}-timed-out", timed_out, 1, f"A run of the {key} state machine timed out")

    def _build_dead_letter_queues(self, queues: Mapping[str, str]) -> None:
        depths = {
            name: cloudwatch.Metric(
                namespace="AWS/SQS",
                metric_name="ApproximateNumberOfMessagesVisible",
                dimensions_map={"QueueName": queue_name},
                period=PERIOD,
                statistic="Maximum",
            )
            for name, queue_name in queues.items()
        }
        self._graph("dead-letter queue depth", list(depths.values()))
        for name, depth in depths.items():
            self._alarm(f"{name}-dead-letters", depth, 1, f"An asynchronous invocation of {name} was dead-lettered")

    def _build_tables(self, table_names: list[str], replica_regions: tuple[str, ...]) -> None:
        for name in table_names:
            throttles = cloudwatch.MathExpression(
                expression="read + write",
                using_metrics={
                    "read": _table_metric(name, "ReadThrottleEvents"),
                    "write": _table_metric(name, "WriteThrottleEvents"),
                },
                label=f"{name} throttled requests",
                period=PERIOD,
            )
            self._graph(f"table {name}: throttles", [throttles])
            self._alarm(f"{name}-throttles", throttles, 1, f"DynamoDB throttled requests to {name}")
            if replica_regions:
                latency = [
                    cloudwatch.Metric(
                        namespace="AWS/DynamoDB",
                        metric_name="ReplicationLatency",
                        dimensions_map={"TableName": name, "ReceivingRegion": region},
                        period=PERIOD,
                        statistic="Average",
                    )
                    for region in replica_regions
                ]
                self._graph(f"table {name}: replication latency", list(latency))


def _table_metric(table_name: str, metric_name: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/DynamoDB",
        metric_name=metric_name,
        dimensions_map={"TableName": table_name},
        period=PERIOD,
        statistic="Sum",
    )


def lambda_metric(function_name: str, metric_name: str, statistic: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric_name,
        dimensions_map={"FunctionName": function_name},
        period=PERIOD,
        statistic=statistic,
    )


def _state_machine_metric(machine_arn: str, metric_name: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/States",
        metric_name=metric_name,
        dimensions_map={"StateMachineArn": machine_arn},
        period=PERIOD,
        statistic="Sum",
    )
