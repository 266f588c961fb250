"""The ML pipeline's state machine of a job kind, as ASL: train (.sync) → evaluation gate → Model Registry → batch
transform (.sync) for the kinds that predict in batch, or model → endpoint config → endpoint for the kinds that serve
(agent tuning: the endpoint, model and training job are named after the execution).

Step Functions' native SageMaker integrations run the jobs; the gate is the ml_gate function, which compares the new
model's evaluation metric with the approved package's in the kind's model package group, so a worse model never
reaches the registry as Approved. The input is a job plan (shared/ml/plans.py).
"""

from __future__ import annotations

from typing import Any

from shared.ml.job_kinds import JobKind

MODEL_REJECTED = "Ml.ModelRejected"
TRAINING_FAILED = "Ml.TrainingFailed"
TRANSFORM_FAILED = "Ml.TransformFailed"
_SAGEMAKER_RETRY = {
    "ErrorEquals": ["SageMaker.AmazonSageMakerException", "ThrottlingException"],
    "IntervalSeconds": 5,
    "MaxAttempts": 3,
    "BackoffRate": 2,
}
_LAMBDA_RETRY = {
    "ErrorEquals": ["Lambda.ServiceException", "Lambda.TooManyRequestsException", "Lambda.SdkClientException"],
    "IntervalSeconds": 1,
    "MaxAttempts": 2,
    "BackoffRate": 2,
}


def pipeline_definition(kind: JobKind, *, role_arn: str, gate_function_arn: str, region: str) -> dict[str, Any]:
    states: dict[str, Any] = {
        "Train": _train(kind, role_arn, region),
        "TrainingFailed": {"Type": "Fail", "Error": TRAINING_FAILED, "CausePath": "$.failure.Cause"},
        "Evaluate": _evaluate(kind, gate_function_arn),
        "Accepted": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.gate.accepted", "BooleanEquals": True, "Next": "Register"}],
            "Default": "Rejected",
        },
        "Rejected": {"Type": "Fail", "Error": MODEL_REJECTED, "CausePath": "$.gate.reason"},
        "Register": _register(kind, region),
    }
    if kind.batch_transform:
        states["Register"]["Next"] = "CreateModel"
        states["CreateModel"] = _create_model(kind, role_arn, region)
        states["Transform"] = _transform()
        states["TransformFailed"] = {"Type": "Fail", "Error": TRANSFORM_FAILED, "CausePath": "$.failure.Cause"}
    elif kind.serves_endpoint:
        states["Register"]["Next"] = "CreateModel"
        states["CreateModel"] = _create_model(kind, role_arn, region) | {"Next": "CreateEndpointConfig"}
        states["CreateEndpointConfig"] = _create_endpoint_config()
        states["CreateEndpoint"] = _create_endpoint()
    else:
        states["Register"]["End"] = True
    return {
        "Comment": f"Nexus Forge ML pipeline for {kind.name} jobs: train, gate on {kind.evaluation_metric}, "
        "register"
        + (", batch transform" if kind.batch_transform else "")
        + (", serve" if kind.serves_endpoint else ""),
        "StartAt": "Train",
        "States": states,
    }


def _train(kind: JobKind, role_arn: str, region: str) -> dict[str, Any]:
    # A kind with a GPU variant trains in the image its plan chose for the instance type.
    image = (
        {"TrainingImage.$": "$.training.image"}
        if kind.gpu_training_image is not None
        else {"TrainingImage": kind.training_image_uri(region)}
    )
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
        "Parameters": {
            "TrainingJobName.$": "$$.Execution.Name",
            "RoleArn": role_arn,
            "AlgorithmSpecification": {
                **image,
                "TrainingInputMode": "File",
                "MetricDefinitions": [
                    {"Name": name, "Regex": regex}
                    for name, regex in {**kind.metrics, "progress": kind.progress_regex}.items()
                ],
            },
            "HyperParameters.$": "$.training.hyperparameters",
            "InputDataConfig.$": "$.training.input",
            "OutputDataConfig": {"S3OutputPath.$": "$.training.output_path"},
            "ResourceConfig.$": "$.training.resources",
            "StoppingCondition.$": "$.training.stopping",
            "EnableManagedSpotTraining.$": "$.training.spot",
            "CheckpointConfig": {"S3Uri.$": "States.Format('{}{}/', $.training.checkpoint_prefix, $$.Execution.Name)"},
            "Tags": [{"Key": "forge:ml-kind", "Value": kind.name}],
        },
        "ResultSelector": {
            "ModelArtifacts.$": "$.ModelArtifacts",
            "FinalMetricDataList.$": "$.FinalMetricDataList",
        },
        "ResultPath": "$.trained",
        "Retry": [_SAGEMAKER_RETRY],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "TrainingFailed"}],
        "Next": "Evaluate",
    }


def _evaluate(kind: JobKind, gate_function_arn: str) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {
            "FunctionName": gate_function_arn,
            "Payload": {
                "kind": kind.name,
                "job_name.$": "$$.Execution.Name",
                "metrics.$": "$.trained.FinalMetricDataList",
            },
        },
        "ResultSelector": {
            "accepted.$": "$.Payload.accepted",
            "reason.$": "$.Payload.reason",
            "metadata.$": "$.Payload.metadata",
        },
        "ResultPath": "$.gate",
        "Retry": [_LAMBDA_RETRY],
        "Next": "Accepted",
    }


def _register(kind: JobKind, region: str) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:sagemaker:createModelPackage",
        "Parameters": {
            "ModelPackageGroupName": kind.model_package_group,
            "ModelPackageDescription.$": "$$.Execution.Name",
            "ModelApprovalStatus": "Approved",
            "CustomerMetadataProperties.$": "$.gate.metadata",
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": kind.inference_image_uri(region),
                        "ModelDataUrl.$": "$.trained.ModelArtifacts.S3ModelArtifacts",
                    }
                ],
                "SupportedContentTypes": ["application/json"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
        },
        "ResultSelector": {"ModelPackageArn.$": "$.ModelPackageArn"},
        "ResultPath": "$.registered",
        "Retry": [_SAGEMAKER_RETRY],
    }


def _create_model(kind: JobKind, role_arn: str, region: str) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sagemaker:createModel",
        "Parameters": {
            "ModelName.$": "$$.Execution.Name",
            "ExecutionRoleArn": role_arn,
            "PrimaryContainer": {
                "Image": kind.inference_image_uri(region),
                "ModelDataUrl.$": "$.trained.ModelArtifacts.S3ModelArtifacts",
                "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY.$": "$.code_uri"},
            },
        },
        "ResultPath": None,
        "Retry": [_SAGEMAKER_RETRY],
        "Next": "Transform",
    }


def _transform() -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync",
        "Parameters": {
            "TransformJobName.$": "$$.Execution.Name",
            "ModelName.$": "$$.Execution.Name",
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri.$": "$.transform.input"}},
                "ContentType": "application/json",
                "SplitType": "Line",
            },
            "TransformOutput": {
                "S3OutputPath.$": "States.Format('{}{}/', $.transform.output_prefix, $$.Execution.Name)",
                "AssembleWith": "Line",
            },
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        },
        "ResultSelector": {"TransformOutput.$": "$.TransformOutput"},
        "ResultPath": "$.transformed",
        "Retry": [_SAGEMAKER_RETRY],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "TransformFailed"}],
        "End": True,
    }


def _create_endpoint_config() -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sagemaker:createEndpointConfig",
        "Parameters": {"EndpointConfigName.$": "$$.Execution.Name", "ProductionVariants.$": "$.endpoint.variants"},
        "ResultPath": None,
        "Retry": [_SAGEMAKER_RETRY],
        "Next": "CreateEndpoint",
    }


def _create_endpoint() -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sagemaker:createEndpoint",
        "Parameters": {"EndpointName.$": "$$.Execution.Name", "EndpointConfigName.$": "$$.Execution.Name"},
        "ResultSelector": {"EndpointArn.$": "$.EndpointArn"},
        "ResultPath": "$.served",
        "Retry": [_SAGEMAKER_RETRY],
        "End": True,
    }
