"""Who may use the marketplace search collection (infra/constructs/marketplace_search.py), and how they find it:
its data access policy lets the search indexer create and describe the one index and write and read its documents,
and the marketplace function (the search route) describe it and read documents, nothing else; each role may call
the collection's API (aoss:APIAccessAll on that collection only), and both functions are told its endpoint."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_opensearchserverless as aoss
from constructs import Construct

from infra.constructs.marketplace_search import MarketplaceSearchCollection
from shared.marketplace.search.opensearch_index import INDEX_NAME

ENDPOINT_ENV_VAR = "FORGE_MARKETPLACE_SEARCH_ENDPOINT"
WRITE_PERMISSIONS = ("aoss:CreateIndex", "aoss:DescribeIndex", "aoss:ReadDocument", "aoss:WriteDocument")
READ_PERMISSIONS = ("aoss:DescribeIndex", "aoss:ReadDocument")


class MarketplaceSearchAccess(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        collection: MarketplaceSearchCollection,
        writer: lambda_.Function,
        reader: lambda_.Function,
    ) -> None:
        super().__init__(scope, construct_id)
        if writer.role is None or reader.role is None:
            raise ValueError("the search collection's functions have no roles to grant")
        index = [f"index/{collection.name}/{INDEX_NAME}"]
        policy = [
            {
                "Description": "The search indexer: the index and its documents",
                "Rules": [{"ResourceType": "index", "Resource": index, "Permission": list(WRITE_PERMISSIONS)}],
                "Principal": [writer.role.role_arn],
            },
            {
                "Description": "The search route: reads the index",
                "Rules": [{"ResourceType": "index", "Resource": index, "Permission": list(READ_PERMISSIONS)}],
                "Principal": [reader.role.role_arn],
            },
        ]
        aoss.CfnAccessPolicy(
            self,
            "DataAccess",
            name=collection.name,
            type="data",
            description="The marketplace search index: the indexer writes, the search route reads",
            policy=Stack.of(self).to_json_string(policy),
        )
        for function in (writer, reader):
            function.add_to_role_policy(
                iam.PolicyStatement(actions=["aoss:APIAccessAll"], resources=[collection.collection.attr_arn])
            )
            function.add_environment(ENDPOINT_ENV_VAR, collection.collection.attr_collection_endpoint)
