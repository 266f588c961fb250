"""SageMaker Runtime's InvokeEndpoint (the sagemaker model provider's one AWS call)."""

from __future__ import annotations

from shared.aws.clients import sagemaker_runtime_client


def invoke_endpoint(region: str | None, timeout_seconds: float, endpoint: str, content_type: str, body: bytes) -> bytes:
    """The endpoint's answer body; botocore's errors pass through to the caller."""
    client = sagemaker_runtime_client(region, timeout_seconds)
    response = client.invoke_endpoint(EndpointName=endpoint, ContentType=content_type, Accept=content_type, Body=body)
    return bytes(response["Body"].read())
