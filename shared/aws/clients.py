"""The only place boto3 clients are built; `AWS_ENDPOINT_URL` points them at the local emulation."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


@cache
def _client(service: str) -> Any:
    return boto3.client(service, config=_CLIENT_CONFIG)  # type: ignore[call-overload]


def stepfunctions_client() -> SFNClient:
    client: SFNClient = _client("stepfunctions")
    return client


def s3_client() -> S3Client:
    client: S3Client = _client("s3")
    return client


def kms_client() -> Any:
    """Untyped: the KMS stubs are not among the dev dependencies for two calls (Encrypt, Decrypt)."""
    return _client("kms")
