"""The marketplace's search engine in the cloud: an OpenSearch Serverless vector search collection in the primary
region (the one region whose table stream feeds the indexer), with the security policies it cannot be created
without, and its endpoint and ARN in SSM parameters, which the other regions' stacks read: one collection serves
every region (docs/marketplace.md, "Search in every region"). Who may read and write its index:
infra/constructs/marketplace_search_access.py; how another region finds it: marketplace_search_reference.py.

- Encryption: an AWS-owned key. The index holds only what every tenant may already read (approved listings, their
  ratings and shown aggregates), and the platform key's policy would otherwise have to let the aoss service use it.
- Network: the collection's endpoint is reachable from the internet, as the platform's functions (not in a VPC)
  need; every request is still authenticated (SigV4) and authorised by the data access policy.
- Standby replicas (redundancy across Availability Zones) doubles the minimum capacity: docs/marketplace.md,
  "Search in the cloud", gives the cost floor of both.
"""

from __future__ import annotations

import json

from aws_cdk import aws_opensearchserverless as aoss
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constants import marketplace_search_parameter_names

# OpenSearch Serverless names (collections, policies) are at most 32 characters.
_MAX_NAME = 32


def search_collection_name(prefix: str) -> str:
    name = f"{prefix}-mkt"
    if len(name) > _MAX_NAME:
        raise ValueError(f"the search collection's name {name!r} is over {_MAX_NAME} characters")
    return name


class MarketplaceSearchCollection(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, prefix: str, standby_replicas: bool) -> None:
        super().__init__(scope, construct_id)
        self.name = search_collection_name(prefix)
        rules = [{"ResourceType": "collection", "Resource": [f"collection/{self.name}"]}]
        encryption = aoss.CfnSecurityPolicy(
            self,
            "Encryption",
            name=self.name,
            type="encryption",
            description="The marketplace search collection: encrypted at rest with an AWS-owned key",
            policy=json.dumps({"Rules": rules, "AWSOwnedKey": True}),
        )
        network = aoss.CfnSecurityPolicy(
            self,
            "Network",
            name=self.name,
            type="network",
            description="The marketplace search collection's endpoint (no dashboards), for functions outside a VPC",
            policy=json.dumps([{"Rules": rules, "AllowFromPublic": True}]),
        )
        self.collection = aoss.CfnCollection(
            self,
            "Collection",
            name=self.name,
            type="VECTORSEARCH",
            description="Marketplace search: listings' words and embeddings (fed by the platform table's stream)",
            standby_replicas="ENABLED" if standby_replicas else "DISABLED",
        )
        self.collection.add_resource_dependency(encryption)
        self.collection.add_resource_dependency(network)
        endpoint_parameter, arn_parameter = marketplace_search_parameter_names(prefix)
        for construct_id, name, value in (
            ("EndpointParameter", endpoint_parameter, self.collection.attr_collection_endpoint),
            ("ArnParameter", arn_parameter, self.collection.attr_arn),
        ):
            ssm.StringParameter(
                self,
                construct_id,
                parameter_name=name,
                string_value=value,
                description="The marketplace search collection, for the search route in every region",
            )
