"""The ML pipelines (shared/ml/state_machines.py), one per job kind: the SageMaker execution role their jobs run with,
the kinds' model package groups, the state machines and their schedules.

The SageMaker role reads and writes only the platform bucket's `ml/` prefixes (series and code in; models,
checkpoints and transform outputs out) and logs and metrics under SageMaker's own names. A machine's role creates
and follows SageMaker jobs (named after its executions, so any name: a scheduled run's is drawn by Step Functions),
registers only into its kind's model package group and passes only the SageMaker role, to SageMaker only. The
agent tuning kind runs with its own role instead (infra/constructs/agent_tuning_role.py: the tenants' agent-model
prefixes), and its machine creates only the tenants' tuned models, endpoint configs and endpoints (`<prefix>-tm-*`).
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.bundles import JOB_SOURCE_ARCHIVE
from infra.constructs.agent_tuning_role import AgentTuningRole
from infra.names import ResourceNames
from infra.packaging import job_source
from shared.ml.job_kinds import AGENT_TUNING, JOB_KINDS, JobKind, deep_learning_containers_account
from shared.ml.plans import (
    CHECKPOINTS_PREFIX,
    CODE_PREFIX,
    MODELS_PREFIX,
    SERIES_PREFIX,
    TRANSFORM_PREFIX,
    JobRequest,
    plan_job,
)
from shared.ml.state_machines import pipeline_definition
from shared.resources import ML_PIPELINES, PAYLOADS_BUCKET

# How AWS Budgets and Cost Explorer name SageMaker's spend (the budget's cost filter).
SAGEMAKER_BILLING_SERVICE = "Amazon SageMaker"


def job_code_uri(bucket: str, kind: JobKind) -> str:
    """Where the CDK app uploads the kind's sourcedir.tar.gz: the `sagemaker_submit_directory` of its jobs."""
    return f"s3://{bucket}/{CODE_PREFIX}/{kind.source_folder}/{JOB_SOURCE_ARCHIVE}"


class MlPipelines(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        key: kms.IKey,
        gate_function: lambda_.IFunction,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self._names = names
        self._stack = Stack.of(self)
        self._bucket_arn = names.arn(PAYLOADS_BUCKET)
        self.sagemaker_role = self._build_sagemaker_role(key)
        bucket = s3.Bucket.from_bucket_name(self, "PlatformBucket", names.name(PAYLOADS_BUCKET))
        self.agent_tuning_role = AgentTuningRole(
            self, "AgentTuningRole", prefix=names.prefix, bucket=bucket, key=key
        ).role
        self.groups = {kind.name: self._build_group(kind) for kind in JOB_KINDS.values()}
        self._deploy_code(bucket, key)
        self.state_machines: dict[str, sfn.StateMachine] = {}
        for kind in JOB_KINDS.values():
            machine = self._build_machine(kind, gate_function, log_retention, removal_policy)
            self.state_machines[kind.name] = machine
            if kind.schedule:
                self._build_schedule(kind, machine)

    def _image_repositories(self) -> list[str]:
        """The framework images' repositories in this region's registries, and the PyTorch training image's where a
        kind has a GPU variant (the forecast job's N-HiTS with neural=1)."""
        stack = Stack.of(self)
        accounts = sorted({kind.image_accounts[stack.region] for kind in JOB_KINDS.values() if kind.image_accounts})
        repositories = [
            stack.format_arn(service="ecr", account=account, resource="repository", resource_name="sagemaker-*")
            for account in accounts
        ]
        if any(kind.gpu_training_image for kind in JOB_KINDS.values()):
            repositories.append(
                stack.format_arn(
                    service="ecr",
                    account=deep_learning_containers_account(stack.region),
                    resource="repository",
                    resource_name="pytorch-training",
                )
            )
        return repositories

    def _objects(self, *prefixes: str) -> list[str]:
        return [f"{self._bucket_arn}/{prefix}/*" for prefix in prefixes]

    def _build_sagemaker_role(self, key: kms.IKey) -> iam.Role:
        role = iam.Role(
            self,
            "SageMakerRole",
            role_name=ML_PIPELINES.sagemaker_role_name(self._names.prefix),
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="What the ML pipelines' training and transform jobs may touch: the bucket's ml/ prefixes",
        )
        stack = self._stack
        statements = [
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=self._objects(
                    SERIES_PREFIX, CODE_PREFIX, MODELS_PREFIX, CHECKPOINTS_PREFIX, TRANSFORM_PREFIX
                ),
            ),
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=self._objects(MODELS_PREFIX, CHECKPOINTS_PREFIX, TRANSFORM_PREFIX)
            ),
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self._bucket_arn],
                conditions={"StringLike": {"s3:prefix": ["ml/*"]}},
            ),
            iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[key.key_arn]),
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[
                    stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="/aws/sagemaker/*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            ),
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*"]}},
            ),
            iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]),
            iam.PolicyStatement(
                actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                resources=self._image_repositories(),
            ),
        ]
        for statement in statements:
            role.add_to_policy(statement)
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="Scoped wildcards only: objects under the bucket's ml/ prefixes, SageMaker's own log "
                    "groups, its framework image repositories; PutMetricData and GetAuthorizationToken take no "
                    "resource ARN (the first held to SageMaker's namespaces by condition)",
                )
            ],
            apply_to_children=True,
        )
        return role

    def _deploy_code(self, bucket: s3.IBucket, key: kms.IKey) -> None:
        """Each kind's code as a sourcedir.tar.gz asset (its sagemaker/ folder with the shared contract), copied to
        `ml/code/<folder>/` of the platform bucket, where its jobs' `sagemaker_submit_directory` points."""
        for kind in JOB_KINDS.values():
            deployment = s3deploy.BucketDeployment(
                self,
                f"{_construct_name(kind)}Code",
                sources=[job_source(kind.source_folder)],
                destination_bucket=bucket,
                destination_key_prefix=f"{CODE_PREFIX}/{kind.source_folder}/",
                prune=False,
                retain_on_delete=False,
            )
            key.grant_encrypt_decrypt(deployment.handler_role)
        for handler in self._stack.node.children:
            if handler.node.id.startswith("Custom::CDKBucketDeployment"):
                NagSuppressions.add_resource_suppressions(
                    handler,
                    [
                        NagPackSuppression(
                            id="AwsSolutions-IAM4",
                            reason="CDK's BucketDeployment handler logs with the AWS managed basic execution policy",
                        ),
                        NagPackSuppression(
                            id="AwsSolutions-IAM5",
                            reason="CDK's BucketDeployment handler writes under the bucket's ml/code/ prefixes, reads "
                            "its assets and uses the platform key",
                        ),
                        NagPackSuppression(
                            id="AwsSolutions-L1", reason="CDK's BucketDeployment handler picks its runtime"
                        ),
                    ],
                    apply_to_children=True,
                )

    def _build_group(self, kind: JobKind) -> sagemaker.CfnModelPackageGroup:
        return sagemaker.CfnModelPackageGroup(
            self,
            f"{_construct_name(kind)}Models",
            model_package_group_name=kind.model_package_group,
            model_package_group_description=kind.description,
        )

    def _build_machine(
        self,
        kind: JobKind,
        gate_function: lambda_.IFunction,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> sfn.StateMachine:
        name = ML_PIPELINES.machine_name(self._names.prefix, kind.name)
        definition = pipeline_definition(
            kind,
            role_arn=self._execution_role(kind).role_arn,
            gate_function_arn=gate_function.function_arn,
            region=self._stack.region,
        )
        machine = sfn.StateMachine(
            self,
            _construct_name(kind),
            state_machine_name=name,
            definition_body=sfn.DefinitionBody.from_string(self._stack.to_json_string(definition)),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=logs.LogGroup(
                    self,
                    f"{_construct_name(kind)}Logs",
                    log_group_name=f"/aws/vendedlogs/states/{name}",
                    retention=log_retention,
                    removal_policy=removal_policy,
                ),
                level=sfn.LogLevel.ALL,
            ),
        )
        gate_function.grant_invoke(machine)
        for statement in self._machine_policy(kind):
            machine.add_to_role_policy(statement)
        NagSuppressions.add_resource_suppressions(
            machine.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="SageMaker jobs and models are named by the executions that create them (any name); the "
                    "kind's model packages are versions under its group; CDK's log-delivery, X-Ray and "
                    "`<function arn>:*` grants",
                )
            ],
            apply_to_children=True,
        )
        return machine

    def _execution_role(self, kind: JobKind) -> iam.IRole:
        return self.agent_tuning_role if kind is AGENT_TUNING else self.sagemaker_role

    def _machine_policy(self, kind: JobKind) -> list[iam.PolicyStatement]:
        stack = self._stack

        def arn(resource: str, name: str) -> str:
            return stack.format_arn(service="sagemaker", resource=resource, resource_name=name)

        if kind.serves_endpoint:
            return self._serving_machine_policy(kind, arn)
        return [
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateTrainingJob",
                    "sagemaker:DescribeTrainingJob",
                    "sagemaker:StopTrainingJob",
                    "sagemaker:CreateTransformJob",
                    "sagemaker:DescribeTransformJob",
                    "sagemaker:StopTransformJob",
                    "sagemaker:CreateModel",
                    "sagemaker:AddTags",
                ],
                resources=[arn("training-job", "*"), arn("transform-job", "*"), arn("model", "*")],
            ),
            iam.PolicyStatement(
                actions=["sagemaker:CreateModelPackage"],
                resources=[
                    arn("model-package-group", kind.model_package_group),
                    arn("model-package", f"{kind.model_package_group}/*"),
                ],
            ),
            *self._pass_role_and_sync_rules(kind),
        ]

    def _serving_machine_policy(self, kind: JobKind, arn: Callable[[str, str], str]) -> list[iam.PolicyStatement]:
        """A serving kind's jobs, models and endpoints are named after its executions: the tenants' tuned models."""
        tuned = f"{self._names.prefix}-tm-*"
        return [
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateTrainingJob",
                    "sagemaker:DescribeTrainingJob",
                    "sagemaker:StopTrainingJob",
                    "sagemaker:CreateModel",
                    "sagemaker:CreateEndpointConfig",
                    "sagemaker:CreateEndpoint",
                    "sagemaker:AddTags",
                ],
                resources=[
                    arn(resource, tuned) for resource in ("training-job", "model", "endpoint-config", "endpoint")
                ],
            ),
            iam.PolicyStatement(
                actions=["sagemaker:CreateModelPackage"],
                resources=[
                    arn("model-package-group", kind.model_package_group),
                    arn("model-package", f"{kind.model_package_group}/*"),
                ],
            ),
            *self._pass_role_and_sync_rules(kind),
        ]

    def _pass_role_and_sync_rules(self, kind: JobKind) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self._execution_role(kind).role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
            # What `.sync` SageMaker integrations need: Step Functions' managed rules for the jobs' events.
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    self._stack.format_arn(
                        service="events", resource="rule", resource_name="StepFunctionsGetEventsForSageMaker*"
                    )
                ],
            ),
        ]

    def _build_schedule(self, kind: JobKind, machine: sfn.StateMachine) -> None:
        """The platform's own run of the kind with its defaults, on the kind's schedule."""
        bucket = self._names.name(PAYLOADS_BUCKET)
        plan = plan_job(
            JobRequest(kind=kind.name),
            bucket=bucket,
            tenant_id=None,
            code_uri=job_code_uri(bucket, kind),
            region=self._stack.region,
        )
        rule = events.Rule(
            self,
            f"{_construct_name(kind)}Schedule",
            rule_name=f"{ML_PIPELINES.machine_name(self._names.prefix, kind.name)}-schedule",
            description=f"The platform's {kind.name} job with its defaults",
            schedule=events.Schedule.expression(kind.schedule or ""),
        )
        rule.add_target(targets.SfnStateMachine(machine, input=events.RuleTargetInput.from_object(plan)))


def _construct_name(kind: JobKind) -> str:
    return "".join(part.capitalize() for part in kind.name.split("_"))
