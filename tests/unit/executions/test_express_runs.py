"""Express machines log only failures, and asynchronous express runs are handed to the runner's alias (unit)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.executions.log_events import LOG_EVENT_STATUSES, logs_execution_event
from shared.executions.runner import express_runner_arn
from shared.settings import get_settings
from shared.workflows.state_machines import logging_configuration, placement

ARN_PREFIX = "arn:aws:states:eu-west-1:111122223333:stateMachine:nexus-forge-prod-wf"


@pytest.fixture(autouse=True)
def deployment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FORGE_WORKFLOW_STATE_MACHINES", ARN_PREFIX)
    get_settings.cache_clear()
    placement.cache_clear()
    yield
    get_settings.cache_clear()
    placement.cache_clear()


def test_an_express_machine_logs_its_failures_with_data_and_a_standard_one_nothing() -> None:
    express = logging_configuration(express=True)

    assert express["level"] == "ERROR" and express["includeExecutionData"] is True
    (destination,) = express["destinations"]
    assert destination["cloudWatchLogsLogGroup"]["logGroupArn"] == (
        "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/vendedlogs/states/nexus-forge-prod-wf-express:*"
    )
    assert logging_configuration(express=False) == {"level": "OFF"}


def test_at_level_error_only_an_executions_failed_ends_are_logged() -> None:
    logged = {event for event in LOG_EVENT_STATUSES if logs_execution_event("ERROR", event)}

    assert logged == {"ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}
    assert all(logs_execution_event("ALL", event) for event in LOG_EVENT_STATUSES)
    assert not any(logs_execution_event("OFF", event) for event in LOG_EVENT_STATUSES)


def test_the_runner_is_the_status_functions_live_alias_of_the_same_deployment() -> None:
    assert (
        express_runner_arn() == "arn:aws:lambda:eu-west-1:111122223333:function:nexus-forge-prod-execution-events:live"
    )
