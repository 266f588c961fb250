"""Marketplace search in the cloud: one OpenSearch Serverless vector search collection, in the primary region, with
an AWS-owned encryption key and a public endpoint that still needs SigV4; only the search indexer may write its index
and only the search route's function read it (data access policy and aoss:APIAccessAll alike); both are told the
endpoint. The indexer's stream mapping passes only the records search documents are made of. The one collection
serves every region: the other regions' and the silos' search routes read it by its published endpoint and ARN,
signing for the primary's region, under role names the collection's data access policy already holds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra.constants import marketplace_search_parameter_names, search_reader_role_name
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


def _search_route(template: Template) -> tuple[dict[str, Any], dict[str, Any]]:
    """The marketplace function's environment and its role."""
    (function,) = [
        function
        for function in functions_of(template).values()
        if function["Properties"].get("Environment", {}).get("Variables", {}).get("POWERTOOLS_SERVICE_NAME")
        == "marketplace"
    ]
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return function["Properties"]["Environment"]["Variables"], template.to_json()["Resources"][role_id]


def _aoss_resources(template: Template) -> list[Any]:
    """What any policy in the template lets call OpenSearch Serverless's API on."""
    return [
        statement["Resource"]
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "aoss:APIAccessAll"
    ]


def test_every_other_stack_searches_the_primarys_collection_signing_for_its_region(three_region_app: App) -> None:
    primary_region = THREE_REGIONS["regions"][0]
    readers = {
        stack: template_of(stack)
        for stack in stacks_of(three_region_app).values()
        if isinstance(stack, RegionalStack) and not stack.is_primary
    }
    assert sorted(stack.region for stack in readers) == sorted([*THREE_REGIONS["regions"][1:], primary_region])

    for stack, template in readers.items():
        environment, role = _search_route(template)
        told = json.dumps(environment["FORGE_MARKETPLACE_SEARCH_ENDPOINT"])
        (resource,) = _aoss_resources(template)

        assert environment["FORGE_MARKETPLACE_SEARCH_REGION"] == primary_region
        assert role["Properties"]["RoleName"] == search_reader_role_name(stack.prefix, stack.region)
        # No collection, no indexer here: the global table's items reach the primary's stream.
        assert not template.find_resources("AWS::OpenSearchServerless::Collection")
        assert not template.find_resources("AWS::OpenSearchServerless::AccessPolicy")
        endpoint_parameter, arn_parameter = marketplace_search_parameter_names("nexus-forge-prod")
        if stack.region == primary_region:  # a silo: the primary's parameters, resolved when the stack deploys
            parameters = template.to_json()["Parameters"]
            assert parameters[told.split('"Ref": "')[1].split('"')[0]]["Default"] == endpoint_parameter
            assert parameters[resource["Ref"]]["Default"] == arn_parameter
            continue
        calls = {
            reader_id: json.loads(reader["Properties"]["Create"])
            for reader_id, reader in template.find_resources("Custom::AWS").items()
        }
        endpoint_reader, arn_reader = (
            next(reader_id for reader_id, call in calls.items() if call["parameters"]["Name"] == name)
            for name in (endpoint_parameter, arn_parameter)
        )
        assert calls[endpoint_reader]["region"] == calls[arn_reader]["region"] == primary_region
        assert environment["FORGE_MARKETPLACE_SEARCH_ENDPOINT"] == {"Fn::GetAtt": [endpoint_reader, "Parameter.Value"]}
        assert resource == {"Fn::GetAtt": [arn_reader, "Parameter.Value"]}


def test_the_primarys_collection_lets_every_regions_and_silos_search_route_read_and_nothing_more(
    three_region_app: App,
) -> None:
    stacks = [stack for stack in stacks_of(three_region_app).values() if isinstance(stack, RegionalStack)]
    (primary,) = [stack for stack in stacks if stack.is_primary]
    primary_template = template_of(primary)
    (access,) = primary_template.find_resources("AWS::OpenSearchServerless::AccessPolicy").values()
    published = {
        parameter["Properties"]["Name"]: parameter["Properties"]["Value"]
        for parameter in primary_template.find_resources("AWS::SSM::Parameter").values()
    }

    writer, reader = _joined_rules(access)

    remote = [stack for stack in stacks if not stack.is_primary]
    assert len(remote) == 3  # two other regions and the silo
    names = [_search_route(template_of(stack))[1]["Properties"]["RoleName"] for stack in remote]
    assert [f":role/{name}" in json.dumps(reader["Principal"]) for name in names] == [True] * 3
    assert len(reader["Principal"]) == 1 + 3 and len(writer["Principal"]) == 1
    assert reader["Rules"][0]["Permission"] == list(READ_PERMISSIONS)
    endpoint_parameter, arn_parameter = marketplace_search_parameter_names(primary.prefix)
    assert "CollectionEndpoint" in json.dumps(published[endpoint_parameter])
    assert "Arn" in json.dumps(published[arn_parameter])
