"""DynamoDB global tables (TableV2) from shared/resources.py, owned by the primary region's stack."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.names import ResourceNames
from shared.resources import TABLES, IndexSpec, TableSpec

_STRING = dynamodb.AttributeType.STRING


class GlobalTables(Construct):
    """Other regions' stacks create no table: their functions reach the local replica by its (same) name."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        replica_regions: tuple[str, ...],
        retain: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self._names = names
        self._replica_regions = replica_regions
        self._retain = retain
        # A silo builds only its tenant-data tables; its platform-scope tables are the platform's.
        self.tables: dict[str, dynamodb.TableV2] = {
            spec.key: self._build_table(spec) for spec in TABLES if names.owns(spec)
        }

    def _build_table(self, spec: TableSpec) -> dynamodb.TableV2:
        return dynamodb.TableV2(
            self,
            spec.key.capitalize(),
            table_name=self._names.name(spec),
            partition_key=dynamodb.Attribute(name="pk", type=_STRING),
            sort_key=dynamodb.Attribute(name="sk", type=_STRING),
            billing=dynamodb.Billing.on_demand(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=self._retain,
            time_to_live_attribute=spec.ttl_attribute,
            dynamo_stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if spec.stream else None,
            global_secondary_indexes=[self._index(index) for index in spec.global_indexes],
            replicas=[dynamodb.ReplicaTableProps(region=region) for region in self._replica_regions],
            removal_policy=RemovalPolicy.RETAIN if self._retain else RemovalPolicy.DESTROY,
        )

    @staticmethod
    def _index(index: IndexSpec) -> dynamodb.GlobalSecondaryIndexPropsV2:
        return dynamodb.GlobalSecondaryIndexPropsV2(
            index_name=index.name,
            partition_key=dynamodb.Attribute(name=index.partition_key, type=_STRING),
            sort_key=dynamodb.Attribute(name=index.sort_key, type=_STRING) if index.sort_key else None,
        )
