"""The SageMaker execution role of agent tuning jobs and of the endpoints that serve tuned agent models
(shared/agent_models/tuning.py builds their requests): least privilege on the ML bucket's prefixes of the kind.

It reads the job's code (`code/agent_tuning/`), the base models (`base-models/`) and the tenants' datasets, and
writes the tenants' models, all under `tenants/*/agent-models/`; it pulls SageMaker's PyTorch framework images from
AWS's Deep Learning Containers registry, writes its own logs and metrics and uses the platform key only through S3.
The lead wires it into the intelligence stack with the ML bucket ml-pipe's construct makes.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from shared.agent_models.tuning import BASE_MODELS, SOURCE_KEY
from shared.ml.job_kinds import deep_learning_containers_account

TENANT_MODELS = "tenants/*/agent-models/*"


class AgentTuningRole(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, prefix: str, bucket: s3.IBucket, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        code_prefix = SOURCE_KEY.rsplit("/", 1)[0] + "/*"
        readable = [bucket.arn_for_objects(code_prefix), bucket.arn_for_objects(TENANT_MODELS)]
        readable += [bucket.arn_for_objects(f"{base}*") for base in BASE_MODELS.values()]
        listed_prefixes = [code_prefix, TENANT_MODELS, *(f"{base}*" for base in BASE_MODELS.values())]
        self.role = iam.Role(
            self,
            "Role",
            role_name=f"{prefix}-agent-tuning",
            assumed_by=iam.ServicePrincipal(
                "sagemaker.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description="SageMaker: agent tuning jobs and the endpoints serving tenants' tuned agent models",
            inline_policies={
                "agent-tuning": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(actions=["s3:GetObject"], resources=readable),
                        iam.PolicyStatement(
                            actions=["s3:PutObject"], resources=[bucket.arn_for_objects(TENANT_MODELS)]
                        ),
                        iam.PolicyStatement(
                            actions=["s3:ListBucket"],
                            resources=[bucket.bucket_arn],
                            conditions={"StringLike": {"s3:prefix": listed_prefixes}},
                        ),
                        iam.PolicyStatement(
                            actions=["kms:Decrypt", "kms:GenerateDataKey"],
                            resources=[key.key_arn],
                            conditions={"StringLike": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
                        ),
                        # GetAuthorizationToken has no resource to scope to.
                        iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]),
                        iam.PolicyStatement(
                            actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                            resources=[
                                f"arn:{stack.partition}:ecr:{stack.region}:{deep_learning_containers_account(stack.region)}:"
                                "repository/pytorch-*"
                            ],
                        ),
                        iam.PolicyStatement(
                            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                            resources=[
                                stack.format_arn(
                                    service="logs",
                                    resource="log-group",
                                    resource_name=f"/aws/sagemaker/{group}:*",
                                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                                )
                                for group in ("TrainingJobs", f"Endpoints/{prefix}-tm-*")
                            ],
                        ),
                        iam.PolicyStatement(
                            actions=["cloudwatch:PutMetricData"],
                            resources=["*"],
                            conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
                        ),
                    ]
                )
            },
        )
        NagSuppressions.add_resource_suppressions(
            self.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="The kind's prefixes of the ML bucket (every tenant's agent models, the base models, the "
                    "job's code), the PyTorch framework images, SageMaker's own log groups of these jobs and "
                    "endpoints, ECR's token (no resource) and metrics only in SageMaker's namespaces",
                )
            ],
            apply_to_children=True,
        )
