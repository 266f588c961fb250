"""Marketplace search in the cloud: one OpenSearch Serverless vector search collection, in the primary region, with
an AWS-owned encryption key and a public endpoint that still needs SigV4; only the search indexer may write its index
and only the search route's function read it (data access policy and aoss:APIAccessAll alike); both are told the
endpoint. The indexer's stream mapping passes only the records search documents are made of."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra.constructs.marketplace_search_access import READ_PERMISSIONS, WRITE_PERMISSIONS
from infra.stacks.regional import RegionalStack
from shared.catalog import CATALOG_BY_NAME
from tests.infra.conftest import THREE_REGIONS, functions_of, stacks_of, template_of

pytestmark = pytest.mark.infra


def _role_id(stack: RegionalStack, function: str) -> str:
    role = stack.functions[function].role
    assert role is not None
    return str(stack.resolve(role.node.default_child.logical_id))  # type: ignore[union-attr]


def _roles_calling_the_collection(template: Template) -> set[str]:
    """The roles any policy (inline or attached) lets call OpenSearch Serverless."""
    roles = set()
    for role_id, role in template.find_resources("AWS::IAM::Role").items():
        if "aoss:" in json.dumps(role["Properties"].get("Policies", [])):
            roles.add(role_id)
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if "aoss:" in json.dumps(policy["Properties"]["PolicyDocument"]):
            roles |= {reference["Ref"] for reference in policy["Properties"]["Roles"]}
    return roles


def test_one_vector_search_collection_with_an_aws_owned_key_and_a_signed_public_endpoint(template: Template) -> None:
    (collection,) = template.find_resources("AWS::OpenSearchServerless::Collection").values()
    properties = collection["Properties"]
    assert (properties["Name"], properties["Type"], properties["StandbyReplicas"]) == (
        "nexus-forge-test-mkt",
        "VECTORSEARCH",
        "ENABLED",
    )
    policies = {
        policy["Properties"]["Type"]: json.loads(policy["Properties"]["Policy"])
        for policy in template.find_resources("AWS::OpenSearchServerless::SecurityPolicy").values()
    }
    rules = [{"ResourceType": "collection", "Resource": ["collection/nexus-forge-test-mkt"]}]
    assert policies == {
        "encryption": {"Rules": rules, "AWSOwnedKey": True},
        "network": [{"Rules": rules, "AllowFromPublic": True}],
    }
    assert len(collection["DependsOn"]) == 2  # created after both policies


def test_only_the_indexer_writes_the_index_and_only_the_search_route_reads_it(
    stack: RegionalStack, template: Template
) -> None:
    (access,) = template.find_resources("AWS::OpenSearchServerless::AccessPolicy").values()
    writer, reader = _role_id(stack, "marketplace_search_indexer"), _role_id(stack, "marketplace")

    rules = _joined_rules(access)

    assert access["Properties"]["Type"] == "data"
    # Each principal is one role's ARN (the reader's is a parameter from the HTTP functions' domain).
    (write_principal,), (read_principal,) = [[json.loads(arn) for arn in rule["Principal"]] for rule in rules]
    assert write_principal == {"Fn::GetAtt": [writer, "Arn"]}
    assert "HttpFunctionsMarketplaceRole" in read_principal["Ref"] and "Indexer" not in read_principal["Ref"]
    assert [rule["Rules"] for rule in rules] == [
        [{"ResourceType": "index", "Resource": ["index/nexus-forge-test-mkt/marketplace-items"], "Permission": list(p)}]
        for p in (WRITE_PERMISSIONS, READ_PERMISSIONS)
    ]
    assert "aoss:DeleteIndex" not in str(rules) and "aoss:*" not in str(rules)
    assert _roles_calling_the_collection(template) == {writer, reader}


def _joined_rules(access: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The data access policy's rules, each role's ARN as its reference in JSON (the template joins JSON around it)."""
    parts = access["Properties"]["Policy"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else json.dumps(json.dumps(part))[1:-1] for part in parts)
    rules: list[dict[str, Any]] = json.loads(text)
    return rules


def test_the_indexer_and_the_search_route_are_told_the_endpoint_and_no_other_function(template: Template) -> None:
    told = {
        function["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        for function in functions_of(template).values()
        if "FORGE_MARKETPLACE_SEARCH_ENDPOINT" in function["Properties"]["Environment"]["Variables"]
    }
    assert told == {"marketplace", "marketplace-search-indexer"}


def test_only_the_primary_region_has_the_collection(three_region_app: App) -> None:
    counts = {
        stack.region: len(template_of(stack).find_resources("AWS::OpenSearchServerless::Collection"))
        for stack in stacks_of(three_region_app).values()
        if type(stack) is RegionalStack and stack.silo_tenant is None
    }
    assert counts == {region: int(region == THREE_REGIONS["regions"][0]) for region in THREE_REGIONS["regions"]}


def test_the_indexers_stream_mapping_passes_only_what_search_documents_are_made_of(
    stack: RegionalStack, template: Template
) -> None:
    (mapping,) = template.find_resources(
        "AWS::Lambda::EventSourceMapping",
        {"Properties": {"FunctionName": stack.resolve(stack.functions["marketplace_search_indexer"].function_name)}},
    ).values()

    patterns = [json.loads(entry["Pattern"]) for entry in mapping["Properties"]["FilterCriteria"]["Filters"]]

    assert patterns == list(CATALOG_BY_NAME["marketplace_search_indexer"].table_stream_filters)
    listing, performance = patterns
    assert listing["dynamodb"]["Keys"]["sk"]["S"] == ["ITEM", "NAMESPACE", {"prefix": "VERSION#"}]
    assert performance["dynamodb"]["NewImage"]["executions"]["N"][:4] == ["1", "10", "100", "1000"]
