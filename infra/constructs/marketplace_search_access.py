"""Who may use the marketplace search collection (infra/constructs/marketplace_search.py), and how they find it:
its data access policy lets the search indexer create and describe the one index and write and read its documents,
and the marketplace function (the search route) of every region and every silo describe it and read documents,
nothing else; each role may call the collection's API (aoss:APIAccessAll on that collection only), and each function
is told its endpoint and its region (the primary's, which requests are signed for)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_opensearchserverless as aoss
from constructs import Construct

from infra.constructs.marketplace_search import MarketplaceSearchCollection
from shared.marketplace.search.opensearch_index import INDEX_NAME

ENDPOINT_ENV_VAR = "FORGE_MARKETPLACE_SEARCH_ENDPOINT"
REGION_ENV_VAR = "FORGE_MARKETPLACE_SEARCH_REGION"
WRITE_PERMISSIONS = ("aoss:CreateIndex", "aoss:DescribeIndex", "aoss:ReadDocument", "aoss:WriteDocument")
READ_PERMISSIONS = ("aoss:DescribeIndex", "aoss:ReadDocument")


def use_search_collection(function: lambda_.Function, *, arn: str, endpoint: str, region: str) -> None:
    """Lets the function call the collection's API (what it may do there is the data access policy's) and tells it
    where the collection is."""
    function.add_to_role_policy(iam.PolicyStatement(actions=["aoss:APIAccessAll"], resources=[arn]))
    function.add_environment(ENDPOINT_ENV_VAR, endpoint)
    function.add_environment(REGION_ENV_VAR, region)


class MarketplaceSearchAccess(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        collection: MarketplaceSearchCollection,
        writer: lambda_.Function,
        reader: lambda_.Function,
        remote_reader_roles: Sequence[str] = (),
    ) -> None:
        """`remote_reader_roles`: the names of the search route's roles in the other stacks (other regions, silos),
        which read the collection through their own MarketplaceSearchReference."""
        super().__init__(scope, construct_id)
        if writer.role is None or reader.role is None:
            raise ValueError("the search collection's functions have no roles to grant")
        stack = Stack.of(self)
        remote_readers = [
            stack.format_arn(service="iam", region="", resource="role", resource_name=name)
            for name in remote_reader_roles
        ]
        index = [f"index/{collection.name}/{INDEX_NAME}"]
        policy = [
            {
                "Description": "The search indexer: the index and its documents",
                "Rules": [{"ResourceType": "index", "Resource": index, "Permission": list(WRITE_PERMISSIONS)}],
                "Principal": [writer.role.role_arn],
            },
            {
                "Description": "The search route, in every region: reads the index",
                "Rules": [{"ResourceType": "index", "Resource": index, "Permission": list(READ_PERMISSIONS)}],
                "Principal": [reader.role.role_arn, *remote_readers],
            },
        ]
        aoss.CfnAccessPolicy(
            self,
            "DataAccess",
            name=collection.name,
            type="data",
            description="The marketplace search index: the indexer writes, the search route of every region reads",
            policy=stack.to_json_string(policy),
        )
        for function in (writer, reader):
            use_search_collection(
                function,
                arn=collection.collection.attr_arn,
                endpoint=collection.collection.attr_collection_endpoint,
                region=stack.region,
            )
