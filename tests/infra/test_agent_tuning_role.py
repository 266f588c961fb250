"""The agent tuning role: SageMaker alone assumes it, and it reaches only the kind's prefixes of the ML bucket."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Aspects, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks

from infra.constructs.agent_tuning_role import AgentTuningRole

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def stack() -> Stack:
    stack = Stack(App(), "Intelligence", env={"account": "123456789012", "region": "us-east-1"})
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bucket = s3.Bucket.from_bucket_name(stack, "Ml", "nexus-forge-dev-ml-123456789012-us-east-1")
    AgentTuningRole(stack, "AgentTuning", prefix="nexus-forge-dev", bucket=bucket, key=key)
    Aspects.of(stack).add(AwsSolutionsChecks())
    return stack


def _statements(stack: Stack) -> list[dict[str, Any]]:
    (role,) = Template.from_stack(stack).find_resources("AWS::IAM::Role").values()
    statements: list[dict[str, Any]] = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "sagemaker.amazonaws.com"
    }
    return statements


def _resources(statement: dict[str, Any]) -> str:
    return json.dumps(statement["Resource"])


def test_it_writes_only_tenants_agent_models_and_reads_only_the_kinds_prefixes(stack: Stack) -> None:
    statements = {json.dumps(statement["Action"]): statement for statement in _statements(stack)}

    written = _resources(statements['"s3:PutObject"'])
    read = _resources(statements['"s3:GetObject"'])
    assert "tenants/*/agent-models/*" in written and written.count("arn:") == 1
    for prefix in ("code/agent_tuning/*", "tenants/*/agent-models/*", "base-models/smollm2-135m-instruct/*"):
        assert prefix in read
    assert "series" not in read and "tenants/*/*" not in read


def test_cdk_nag_finds_nothing_unacknowledged(stack: Stack) -> None:
    nag = Match.string_like_regexp("AwsSolutions-.*")
    annotations = Annotations.from_stack(stack)
    assert [*annotations.find_error("*", nag), *annotations.find_warning("*", nag)] == []
