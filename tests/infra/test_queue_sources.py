"""Functions fed by a queue get an event source mapping that reports partial batch failures."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from infra.names import ResourceNames
from infra.stacks.regional import RegionalStack
from shared.catalog import CATALOG, CATALOG_BY_NAME, Access, Grant
from shared.resources import APPROVALS_QUEUE

pytestmark = pytest.mark.infra

QUEUE_FED = [spec for spec in CATALOG if spec.queue_source is not None]
# SQS's default, which infra/constructs/platform_queues.py keeps; a mapping needs it ≥ the function's timeout.
QUEUE_VISIBILITY_TIMEOUT_SECONDS = 30


def test_the_approvals_queue_feeds_the_approvals_intake_function() -> None:
    assert [spec.name for spec in QUEUE_FED] == ["approvals_intake"]
    assert CATALOG_BY_NAME["approvals_intake"].queue_source == APPROVALS_QUEUE


@pytest.mark.parametrize("spec", QUEUE_FED, ids=lambda spec: spec.name)
def test_a_queue_fed_function_has_one_mapping_with_partial_batch_failures(
    stack: RegionalStack, template: Template, spec
) -> None:
    function = stack.functions[spec.name]
    assert spec.queue_source is not None
    mappings = template.find_resources(
        "AWS::Lambda::EventSourceMapping",
        {"Properties": {"FunctionName": stack.resolve(function.function_name)}},
    )
    assert len(mappings) == 1
    (mapping,) = mappings.values()
    assert mapping["Properties"]["EventSourceArn"] == stack.resolve(
        ResourceNames(stack, "nexus-forge-test").arn(spec.queue_source)
    )
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["BatchSize"] == 10
    # The role may consume the queue (and decrypt its messages): the mapping polls with the function's role.
    assert Grant(spec.queue_source, Access.READ) in spec.grants
    assert spec.timeout_seconds <= QUEUE_VISIBILITY_TIMEOUT_SECONDS


def test_the_approvals_queue_keeps_the_default_visibility_timeout_and_a_dead_letter_queue(template: Template) -> None:
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": APPROVALS_QUEUE.physical_name("nexus-forge-test"),
            "VisibilityTimeout": Match.absent(),
            "RedrivePolicy": Match.object_like({"maxReceiveCount": 5}),
        },
    )


def test_only_queue_fed_functions_have_mappings(template: Template) -> None:
    # Besides the table stream's (tests/infra/test_table_stream_sources.py).
    stream_fed = [spec for spec in CATALOG if spec.table_stream_source is not None]
    template.resource_count_is("AWS::Lambda::EventSourceMapping", len(QUEUE_FED) + len(stream_fed))


def test_the_approvals_function_may_answer_workflow_tasks_and_nothing_else_may(stack: RegionalStack) -> None:
    answering = [spec.name for spec in CATALOG for grant in spec.grants if grant.access is Access.ANSWER_TASKS]
    assert answering == ["approvals"]
