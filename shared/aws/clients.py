"""The only place boto3 clients are built; `AWS_ENDPOINT_URL` points them at the local emulation.

boto3 itself is imported with the first client: botocore (which PynamoDB brings anyway) is enough to import the
modules that use these clients, and boto3's session, resource and transfer machinery adds about 60 ms to a cold
start that many invocations (reads from DynamoDB, successful status changes) never need.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


@cache
def _client(service: str) -> Any:
    import boto3

    return boto3.client(service, config=_CLIENT_CONFIG)  # type: ignore[call-overload]


def stepfunctions_client() -> SFNClient:
    client: SFNClient = _client("stepfunctions")
    return client


@cache
def stepfunctions_sync_client(read_timeout_seconds: float) -> SFNClient:
    """For StartSyncExecution, which answers when the execution ends: a read timeout past the caller's bound, no
    retries (a retry would start another execution), and the `sync-` host prefix only on AWS's own endpoints."""
    import os

    import boto3

    config = Config(
        retries={"mode": "standard", "max_attempts": 1},
        connect_timeout=3,
        read_timeout=read_timeout_seconds,
        inject_host_prefix="AWS_ENDPOINT_URL" not in os.environ,
    )
    client: SFNClient = boto3.client("stepfunctions", config=config)
    return client


def lambda_client() -> LambdaClient:
    client: LambdaClient = _client("lambda")
    return client


def s3_client() -> S3Client:
    client: S3Client = _client("s3")
    return client


def kms_client() -> Any:
    """Untyped: the KMS stubs are not among the dev dependencies for four calls (Encrypt, Decrypt, Sign, Verify)."""
    return _client("kms")


def sts_client() -> Any:
    """Untyped: the STS stubs are not among the dev dependencies for one call (AssumeRole)."""
    return _client("sts")


@cache
def apigateway_client(region: str | None = None) -> Any:
    """Untyped (the stubs are not among the dev dependencies); `region`: another region's API, else this one's."""
    import boto3

    return boto3.client("apigateway", region_name=region, config=_CLIENT_CONFIG)


def scheduler_client(region: str | None = None) -> Any:
    """EventBridge Scheduler (untyped: its stubs are not among the dev dependencies); `region`: another region's,
    for a schedule that was created there."""
    return _client("scheduler") if region is None else _regional_client("scheduler", region)


@cache
def _regional_client(service: str, region: str) -> Any:
    import boto3

    return boto3.client(service, region_name=region, config=_CLIENT_CONFIG)  # type: ignore[call-overload]


@cache
def sagemaker_runtime_client(region: str | None, read_timeout_seconds: float) -> Any:
    """InvokeEndpoint (untyped: its stubs are not among the dev dependencies): a read timeout of the caller's turn,
    one attempt (a throttled or failed turn is the workflow's Retry to repeat, as a named node error)."""
    import boto3

    config = Config(
        retries={"mode": "standard", "max_attempts": 1}, connect_timeout=3, read_timeout=read_timeout_seconds
    )
    return boto3.client("sagemaker-runtime", region_name=region, config=config)


@cache
def bedrock_runtime_client(region: str | None = None) -> Any:
    """Untyped (the stubs are not among the dev dependencies). One attempt: a throttled turn fails as
    `Agent.Throttled`, which the workflow's Retry sees and paces; a turn may take minutes to generate."""
    import boto3

    config = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=5, read_timeout=300)
    return boto3.client("bedrock-runtime", region_name=region, config=config)


def application_autoscaling_client() -> Any:
    return _client("application-autoscaling")


def sagemaker_client() -> Any:
    """Untyped: the SageMaker stubs are not among the dev dependencies for the registry's and jobs' reads."""
    return _client("sagemaker")
