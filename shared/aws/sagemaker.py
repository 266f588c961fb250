"""SageMaker's control plane as the ML pipeline reads it: the Model Registry's approved package and a job's status."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from shared.aws.clients import sagemaker_client


def approved_model_metadata(model_package_group: str) -> dict[str, str] | None:
    """The newest Approved package's CustomerMetadataProperties in the group; None when none is approved."""
    listed = sagemaker_client().list_model_packages(
        ModelPackageGroupName=model_package_group,
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )
    packages = listed.get("ModelPackageSummaryList", [])
    if not packages:
        return None
    described = sagemaker_client().describe_model_package(ModelPackageName=packages[0]["ModelPackageArn"])
    return dict(described.get("CustomerMetadataProperties", {}))


def describe_training_job(name: str) -> dict[str, Any] | None:
    """The training job's description, or None before the state machine has created it."""
    try:
        return dict(sagemaker_client().describe_training_job(TrainingJobName=name))
    except ClientError as error:
        if error.response["Error"]["Code"] in ("ValidationException", "ResourceNotFound"):
            return None
        raise


def describe_endpoint(name: str) -> dict[str, Any] | None:
    """The endpoint's description, or None while it does not exist."""
    try:
        return dict(sagemaker_client().describe_endpoint(EndpointName=name))
    except ClientError as error:
        if error.response["Error"]["Code"] in ("ValidationException", "ResourceNotFound"):
            return None
        raise


def delete_serving(name: str) -> None:
    """Deletes the endpoint, endpoint config and model of one name, whichever exist."""
    client = sagemaker_client()
    for delete, parameter in (
        (client.delete_endpoint, "EndpointName"),
        (client.delete_endpoint_config, "EndpointConfigName"),
        (client.delete_model, "ModelName"),
    ):
        try:
            delete(**{parameter: name})
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("ValidationException", "ResourceNotFound"):
                raise
