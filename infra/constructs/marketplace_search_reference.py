"""The search route outside the primary stack (another region, a silo) reads the primary region's search collection:
its endpoint and ARN from the primary's SSM parameters (infra/constructs/marketplace_search.py), its role named so
the collection's data access policy already grants it (infra/constants.py's search_reader_role_name). No indexer
runs here: the global table replicates every item to the primary, whose stream feeds the one index."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constants import marketplace_search_parameter_names
from infra.constructs.marketplace_search_access import use_search_collection
from infra.constructs.primary_parameter import PrimaryParameter


class MarketplaceSearchReference(Construct):
    """In the primary region (a silo's stack) deploy-time SSM parameters; elsewhere explicit cross-region reads, run
    after the primary's stack is deployed."""

    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, primary_region: str, reader: lambda_.Function
    ) -> None:
        super().__init__(scope, construct_id)
        endpoint_parameter, arn_parameter = marketplace_search_parameter_names(prefix)
        if Stack.of(self).region == primary_region:
            endpoint = ssm.StringParameter.value_for_string_parameter(self, endpoint_parameter)
            arn = ssm.StringParameter.value_for_string_parameter(self, arn_parameter)
        else:
            endpoint = PrimaryParameter(
                self, "Endpoint", parameter_name=endpoint_parameter, primary_region=primary_region
            ).value
            arn = PrimaryParameter(self, "Arn", parameter_name=arn_parameter, primary_region=primary_region).value
        use_search_collection(reader, arn=arn, endpoint=endpoint, region=primary_region)
