"""node_agent, and only it, may invoke agent models: the configured Bedrock models and the platform's SageMaker
endpoints. The marketplace's search functions may invoke the embedding model alone."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Template

from infra.config import ConfigError, load_config
from infra.stacks.regional import RegionalStack
from shared.catalog import CATALOG
from shared.settings import MARKETPLACE_EMBEDDING_MODEL
from tests.infra.conftest import HAIKU_ARN
from tests.infra.test_credentials_access import PREFIX, _granted

pytestmark = pytest.mark.infra

# Invoking a model (SageMaker's control plane, the ML pipelines' jobs and registry, is not: tests/infra/test_grants.py).
MODEL_ACTIONS = ("bedrock:", "sagemaker:InvokeEndpoint")


def _model_grants(stack: RegionalStack, template: Template, name: str) -> list[tuple[set[str], str]]:
    return [
        (actions, resource)
        for actions, resource in _granted(stack, template, name)
        if any(action.startswith(MODEL_ACTIONS) for action in actions)
    ]


def test_node_agent_invokes_exactly_the_configured_models_and_the_platforms_endpoints(
    stack: RegionalStack, template: Template
) -> None:
    grants = _model_grants(stack, template, "node_agent")
    assert ({"bedrock:InvokeModel"}, json.dumps(HAIKU_ARN)) in grants
    (endpoints,) = [resource for actions, resource in grants if actions == {"sagemaker:InvokeEndpoint"}]
    assert f":endpoint/{PREFIX}-*" in endpoints
    assert len(grants) == 2


def test_no_other_function_invokes_models_but_the_search_functions_the_embedding_model(
    stack: RegionalStack, template: Template
) -> None:
    embedding = f"arn:aws:bedrock:us-east-1::foundation-model/{MARKETPLACE_EMBEDDING_MODEL}"
    embedders = {"marketplace", "marketplace_search_indexer"}
    others = [spec.name for spec in CATALOG if spec.name != "node_agent"]

    granted = {name: _model_grants(stack, template, name) for name in others}

    assert {name for name, grants in granted.items() if grants} == embedders
    for name in embedders:
        (grant,) = granted[name]
        assert grant[0] == {"bedrock:InvokeModel"} and embedding in grant[1], grant


def test_a_model_arn_that_is_not_bedrocks_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="agent_model_arns: 'arn:aws:s3:::bucket' is not a Bedrock model ARN"):
        load_config({"agent_model_arns": ["arn:aws:s3:::bucket"]})
