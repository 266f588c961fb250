"""Executions of tenants' workflows: a dashboard and alarms from the EMF metrics the platform emits.

shared/executions/settle.py emits the execution metrics of shared/metrics.py (started, ended, failed: 0 or 1 per end,
duration in ms) with three dimension sets: (tenant_id, workflow_id), (tenant_id) and (stage). The platform-wide
(stage) series feed the graphs and the alarms; per tenant and per workflow, tenants come and go, so those views are
CloudWatch Metrics Insights queries (top 10) rather than a widget per tenant, and one alarm watches the tenant with
the most failures. Alarms go to the platform's alarm topic.

The execution_events and executions functions' errors and throttles are graphed here; their alarms are the ones
every catalog function has (infra/constructs/observability.py), not repeated.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs.observability import lambda_metric
from shared.metrics import (
    EXECUTION_DURATION,
    EXECUTIONS_ENDED,
    EXECUTIONS_FAILED,
    EXECUTIONS_STARTED,
    NAMESPACE,
    STAGE_DIMENSION,
    TENANT_DIMENSION,
    WORKFLOW_DIMENSION,
)

PERIOD = Duration.minutes(5)
WIDGET_WIDTH = 12
# Alarm thresholds, per 5 minutes.
FAILURE_RATE_PERCENT = 20
FAILURE_RATE_MIN_ENDED = 10
FAILED_EXECUTIONS = 25
TENANT_FAILED_EXECUTIONS = 10
TOP = 10


class ExecutionDashboard(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        stage: str,
        topic: sns.ITopic,
        status_function_name: str,
        executions_function_name: str,
        status_rule_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._prefix = prefix
        self._stage = stage
        self._topic = topic
        self.alarms: list[cloudwatch.Alarm] = []
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"{prefix}-executions")
        self._build_platform_view()
        self._build_tenant_and_workflow_views()
        self._build_pipeline(status_function_name, executions_function_name, status_rule_name)

    # -- metrics ------------------------------------------------------------------------------------------------

    def _platform(self, name: str, statistic: str = "Sum") -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=name,
            dimensions_map={STAGE_DIMENSION: self._stage},
            period=PERIOD,
            statistic=statistic,
        )

    @staticmethod
    def _insights(label: str, query: str) -> cloudwatch.MathExpression:
        """A Metrics Insights query: one series per group, over every tenant and workflow there is."""
        return cloudwatch.MathExpression(expression=query, label=label, period=PERIOD, using_metrics={})

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=f"{self._prefix}-{construct_id}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(self._topic))
        self.alarms.append(alarm)
        return alarm

    def _graph(self, title: str, left: list[cloudwatch.IMetric], width: int = WIDGET_WIDTH) -> None:
        self.dashboard.add_widgets(cloudwatch.GraphWidget(title=title, left=left, width=width))

    # -- views --------------------------------------------------------------------------------------------------

    def _build_platform_view(self) -> None:
        started, ended, failed = (
            self._platform(EXECUTIONS_STARTED),
            self._platform(EXECUTIONS_ENDED),
            self._platform(EXECUTIONS_FAILED),
        )
        failure_rate = cloudwatch.MathExpression(
            # Below a few ends a single failure is no rate worth waking anyone for.
            expression=f"IF(ended >= {FAILURE_RATE_MIN_ENDED}, 100 * failed / ended, 0)",
            using_metrics={"ended": ended, "failed": failed},
            label="failure rate (%)",
            period=PERIOD,
        )
        self._graph("Executions: started, ended, failed", [started, ended, failed])
        self._graph("Executions: failure rate (%)", [failure_rate])
        self._graph(
            "Executions: duration (ms)",
            [self._platform(EXECUTION_DURATION, statistic) for statistic in ("p50", "p90", "p99")],
        )
        self._alarm(
            "executions-failure-rate",
            failure_rate,
            FAILURE_RATE_PERCENT,
            f"{FAILURE_RATE_PERCENT}% or more of the executions that ended failed, timed out or were aborted, in two "
            "5-minute periods running",
            evaluation_periods=2,
        )
        self._alarm(
            "executions-failed",
            failed,
            FAILED_EXECUTIONS,
            f"{FAILED_EXECUTIONS} or more executions failed, timed out or were aborted in 5 minutes",
        )

    def _build_tenant_and_workflow_views(self) -> None:
        tenant, workflow = (TENANT_DIMENSION,), (TENANT_DIMENSION, WORKFLOW_DIMENSION)
        for title, function, metric, dimensions in (
            ("Executions per tenant", "SUM", EXECUTIONS_ENDED, tenant),
            ("Failures per tenant", "SUM", EXECUTIONS_FAILED, tenant),
            ("Executions per workflow", "SUM", EXECUTIONS_ENDED, workflow),
            ("Failures per workflow", "SUM", EXECUTIONS_FAILED, workflow),
            ("Slowest workflows: average duration (ms)", "AVG", EXECUTION_DURATION, workflow),
        ):
            query = metrics_insights(function, metric, dimensions, TOP)
            self._graph(f"{title}, top {TOP}", [self._insights(metric, query)])
        worst_tenant = self._insights(
            "failures of the tenant with the most", metrics_insights("SUM", EXECUTIONS_FAILED, tenant, 1)
        )
        self._alarm(
            "tenant-executions-failed",
            worst_tenant,
            TENANT_FAILED_EXECUTIONS,
            f"One tenant's executions failed {TENANT_FAILED_EXECUTIONS} times or more in 5 minutes (the dashboard's "
            "failures per tenant names it)",
        )

    def _build_pipeline(self, status_function: str, executions_function: str, status_rule: str) -> None:
        """What keeps records right: starts not throttled, status events delivered and applied."""
        start_throttles = cloudwatch.Metric(
            namespace="AWS/States",
            metric_name="ThrottledEvents",
            dimensions_map={"APIName": "StartExecution"},
            period=PERIOD,
            statistic="Sum",
        )
        undelivered = cloudwatch.Metric(
            namespace="AWS/Events",
            metric_name="FailedInvocations",
            dimensions_map={"RuleName": status_rule},
            period=PERIOD,
            statistic="Sum",
        )
        status_errors = lambda_metric(status_function, "Errors", "Sum")
        status_throttles = lambda_metric(status_function, "Throttles", "Sum")
        self._graph("Step Functions: throttled StartExecution calls", [start_throttles])
        self._graph("Status events: undelivered, errors, throttles", [undelivered, status_errors, status_throttles])
        self._graph(
            "executions API: errors, throttles",
            [
                lambda_metric(executions_function, "Errors", "Sum"),
                lambda_metric(executions_function, "Throttles", "Sum"),
            ],
        )
        self._alarm(
            "executions-start-throttled",
            start_throttles,
            1,
            "Step Functions throttled StartExecution: starts fail with 503 until the account's limit is raised",
        )
        self._alarm(
            "execution-status-undelivered",
            undelivered,
            1,
            "EventBridge could not deliver status changes to execution_events: records stay RUNNING and slots held",
        )


def metrics_insights(function: str, metric: str, dimensions: tuple[str, ...], limit: int) -> str:
    """A Metrics Insights query: `function` of `metric` per group of `dimensions`, the `limit` largest groups. Only
    this module's constants reach it."""
    group = ", ".join(dimensions)
    schema = f'SCHEMA("{NAMESPACE}", {group})'
    return f"SELECT {function}({metric}) FROM {schema} GROUP BY {group} ORDER BY {function}() DESC LIMIT {limit}"  # noqa: S608
