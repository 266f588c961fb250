"""The marketplace scanner and search indexer are fed by the platform table's stream, execution_usage by the
executions table's: one event source mapping each, in the primary region only (the replicas' streams carry the same
changes), polled with the function's own stream grant; the scanner's mapping only passes the inserts of pending
versions and the versions marked for a rescan, execution_usage's only the inserts and the ends of execution records; the
scanner's sweep (a schedule) runs only where its mapping is."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra.stacks.regional import RegionalStack
from shared.catalog import CATALOG, CATALOG_BY_NAME, Access, Grant, function_physical_name
from shared.resources import EXECUTIONS_TABLE, PLATFORM_TABLE
from tests.infra.conftest import THREE_REGIONS, stacks_of, template_of

pytestmark = pytest.mark.infra

STREAM_FED = [spec for spec in CATALOG if spec.table_stream_source is not None]


def test_the_platform_tables_stream_feeds_the_search_indexer_which_may_read_it() -> None:
    assert [spec.name for spec in STREAM_FED] == [
        "execution_usage",
        "marketplace_scanner",
        "marketplace_search_indexer",
    ]
    indexer = CATALOG_BY_NAME["marketplace_search_indexer"]
    assert indexer.table_stream_source == PLATFORM_TABLE and PLATFORM_TABLE.stream
    assert Grant(PLATFORM_TABLE, Access.READ_STREAM) in indexer.grants


def test_the_scanner_is_invoked_only_by_inserts_of_pending_versions_and_rescan_marks(
    stack: RegionalStack, template: Template
) -> None:
    mappings = template.find_resources(
        "AWS::Lambda::EventSourceMapping",
        {"Properties": {"FunctionName": stack.resolve(stack.functions["marketplace_scanner"].function_name)}},
    )

    (mapping,) = mappings.values()
    (pattern, rescan) = mapping["Properties"]["FilterCriteria"]["Filters"]
    assert json.loads(pattern["Pattern"]) == {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"sk": {"S": [{"prefix": "VERSION#"}]}, "status": {"S": ["pending"]}}},
    }
    assert json.loads(rescan["Pattern"]) == {
        "eventName": ["MODIFY"],
        "dynamodb": {
            "NewImage": {"sk": {"S": [{"prefix": "VERSION#"}]}, "rescan_requested": {"S": [{"exists": True}]}}
        },
    }
    assert Grant(PLATFORM_TABLE, Access.READ_STREAM) in CATALOG_BY_NAME["marketplace_scanner"].grants


def test_execution_usage_is_invoked_only_by_inserts_and_ends_of_execution_records(
    stack: RegionalStack, template: Template
) -> None:
    mappings = template.find_resources(
        "AWS::Lambda::EventSourceMapping",
        {"Properties": {"FunctionName": stack.resolve(stack.functions["execution_usage"].function_name)}},
    )

    (mapping,) = mappings.values()
    (inserts, ends) = mapping["Properties"]["FilterCriteria"]["Filters"]
    assert json.loads(inserts["Pattern"]) == {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"execution_arn": {"S": [{"exists": True}]}}},
    }
    # Quality control's ends: open before, ended after (a cancellation says nothing about the version's quality).
    assert json.loads(ends["Pattern"]) == {
        "eventName": ["MODIFY"],
        "dynamodb": {
            "OldImage": {"status": {"S": ["RUNNING", "PENDING_REDRIVE"]}},
            "NewImage": {
                "status": {"S": ["SUCCEEDED", "FAILED", "TIMED_OUT"]},
                "execution_arn": {"S": [{"exists": True}]},
            },
        },
    }
    # Ten seconds' starts and ends share a batch's counter updates and watch writes.
    assert mapping["Properties"]["MaximumBatchingWindowInSeconds"] == 10
    usage = CATALOG_BY_NAME["execution_usage"]
    assert usage.table_stream_source == EXECUTIONS_TABLE and EXECUTIONS_TABLE.stream
    assert Grant(EXECUTIONS_TABLE, Access.READ_STREAM) in usage.grants


def test_the_indexer_has_one_mapping_on_the_tables_stream_from_its_oldest_record(
    stack: RegionalStack, template: Template
) -> None:
    mappings = template.find_resources(
        "AWS::Lambda::EventSourceMapping",
        {"Properties": {"FunctionName": stack.resolve(stack.functions["marketplace_search_indexer"].function_name)}},
    )

    assert len(mappings) == 1
    (mapping,) = mappings.values()
    assert mapping["Properties"]["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["Properties"]["BisectBatchOnFunctionError"] is True
    # The ARN is the Data domain's table's StreamArn, passed into the runtime domain as a parameter.
    assert "Ref" in mapping["Properties"]["EventSourceArn"]


def test_only_the_primary_region_maps_the_stream(three_region_app: App) -> None:
    counts = {
        stack.region: len(template_of(stack).find_resources("AWS::Lambda::EventSourceMapping"))
        for stack in stacks_of(three_region_app).values()
        if type(stack) is RegionalStack
    }
    primary, *replicas = THREE_REGIONS["regions"]
    # The approvals queue's mapping is in every region; the streams' three (usage, scanner, indexer) in the primary.
    assert counts[primary] == counts[replicas[0]] + 3 == counts[replicas[1]] + 3


def test_the_scanners_sweep_is_scheduled_only_in_the_region_that_maps_the_stream(three_region_app: App) -> None:
    primary = THREE_REGIONS["regions"][0]
    for stack in stacks_of(three_region_app).values():
        if type(stack) is not RegionalStack:
            continue
        template = template_of(stack)
        scanner = function_physical_name(stack.prefix, "marketplace_scanner")
        rules = template.find_resources(
            "AWS::Events::Rule", {"Properties": {"Description": f"Invokes {scanner} on its schedule"}}
        )

        # Deployed in every region as every catalog function is (docs/marketplace.md), invoked only in the primary.
        template.has_resource_properties("AWS::Lambda::Function", {"FunctionName": scanner})
        assert len(rules) == (1 if stack.region == primary else 0), stack.region
        if rules:
            (rule,) = rules.values()
            assert rule["Properties"]["ScheduleExpression"] == "rate(10 minutes)"
