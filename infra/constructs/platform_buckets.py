"""The platform's S3 buckets from shared/resources.py: KMS-encrypted, versioned, TLS-only, private, with lifecycle;
emptied before they are deleted when the configuration's `removal` is `destroy`."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.names import ResourceNames
from shared.resources import BUCKETS, BucketSpec


class PlatformBuckets(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, names: ResourceNames, key: kms.IKey, removal_policy: RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)
        self._names = names
        self._key = key
        self._removal_policy = removal_policy
        # A bucket is deleted only empty: with `removal: destroy` a custom resource deletes every object version and
        # delete marker first, so a destroy completes.
        self._auto_delete = removal_policy is RemovalPolicy.DESTROY
        self.access_logs = self._build_access_log_bucket()
        self.buckets: dict[str, s3.Bucket] = {spec.key: self._build_bucket(spec) for spec in BUCKETS}

    def _build_access_log_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            # S3 server access logging can only deliver to SSE-S3 buckets.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(expiration=Duration.days(90), noncurrent_version_expiration=Duration.days(7))
            ],
            removal_policy=self._removal_policy,
            auto_delete_objects=self._auto_delete,
        )
        NagSuppressions.add_resource_suppressions(
            bucket,
            [NagPackSuppression(id="AwsSolutions-S1", reason="The access-log bucket; logging it to itself would loop")],
        )
        return bucket

    def _build_bucket(self, spec: BucketSpec) -> s3.Bucket:
        return s3.Bucket(
            self,
            spec.key.capitalize(),
            bucket_name=self._names.name(spec),
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self._key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{spec.key}/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                    noncurrent_version_expiration=Duration.days(30),
                )
            ],
            removal_policy=self._removal_policy,
            auto_delete_objects=self._auto_delete,
        )
