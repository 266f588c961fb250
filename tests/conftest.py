"""Every test process sees the environment a catalog function gets, pointed at moto in-process."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from shared.local.emulation import LOCAL_ACCOUNT, LOCAL_PREFIX, LOCAL_REGION, ResourceProvisioner, local_environment
from shared.local.jsonata_runtime import install_jsonata_evaluator
from shared.local.lambda_runtime import LocalLambdaRuntime

os.environ.update(local_environment("http://unused"))
# In-process tests intercept AWS calls with moto's botocore stubber, which only sees the real endpoints.
os.environ.pop("AWS_ENDPOINT_URL")


@pytest.fixture
def emulated_aws() -> Iterator[LocalLambdaRuntime]:
    """The platform's resources in moto, state machines really executing, Lambda invokes run in-process."""
    from shared.aws import clients

    install_jsonata_evaluator()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients._client.cache_clear()
        runtime = LocalLambdaRuntime(LOCAL_PREFIX, LOCAL_REGION, LOCAL_ACCOUNT)
        runtime.install()
        ResourceProvisioner(lambda service: boto3.client(service, region_name=LOCAL_REGION), runtime).provision()  # type: ignore[call-overload]
        yield runtime
    clients._client.cache_clear()
