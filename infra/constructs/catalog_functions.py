"""One Lambda function per catalog entry of a domain, each with its own least-privilege role, log group and DLQ."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Annotations, ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.constants import (
    AUTH_EXTRA_AUDIENCES_ENV_VAR,
    HTTP_ALIAS_NAME,
    POWERTOOLS_LAYER_ACCOUNT,
    POWERTOOLS_LAYER_NAME,
    STAGE_ENV_VAR,
)
from infra.constructs.provisioned_concurrency import ProvisionedConcurrency
from infra.grants import grant_policy
from infra.names import ResourceNames
from infra.packaging import dependency_layer_code, function_code
from shared.catalog import (
    FunctionSpec,
    dead_letter_queue_name,
    function_physical_name,
    resource_environment,
)
from shared.resources import PREDICTIVE_SCALING, QueueSpec
from shared.settings import MARKETPLACE_EMBEDDING_MODEL

QUEUE_BATCH_SIZE = 10
# Lambda's advanced logging controls, the same for every function. System logs at WARN: no START, END and REPORT lines
# per invocation (only Lambda's WARN-level events), which needs the JSON log format. Application
# logs at INFO: lines without a level (our EMF metric lines) count as INFO and pass unchanged, as JSON already;
# Powertools' Logger takes this level (AWS_LAMBDA_LOG_LEVEL) over its own, which is INFO too. Sources and what the
# dashboard gives up: docs/executions.md, "Lambda's platform log lines".
LOG_FORMAT = lambda_.LoggingFormat.JSON
SYSTEM_LOG_LEVEL = lambda_.SystemLogLevel.WARN
APPLICATION_LOG_LEVEL = lambda_.ApplicationLogLevel.INFO


def invocation_arn(scope: Construct, prefix: str, spec: FunctionSpec) -> str:
    """What API Gateway invokes, by name: an HTTP function's SnapStart alias, any other function itself."""
    name = function_physical_name(prefix, spec.name)
    return Stack.of(scope).format_arn(
        service="lambda",
        resource="function",
        resource_name=f"{name}:{HTTP_ALIAS_NAME}" if spec.is_http else name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


# A stream batch: the records of at most 100 changes, gathered for the function's `table_stream_batching_seconds`.
TABLE_STREAM_BATCH_SIZE = 100
TABLE_STREAM_RETRIES = 5


class CatalogFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        specs: Sequence[FunctionSpec],
        stage: str,
        key: kms.IKey,
        powertools_layer_version: int,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        http_environment: Mapping[str, str] | None = None,
        model_arns: Sequence[str] = (),
        table_streams: Mapping[str, str] | None = None,
        role_names: Mapping[str, str] | None = None,
    ) -> None:
        """`http_environment`: what every HTTP function is told besides its resources (issuer, cursor secret);
        `model_arns`: the Bedrock models the functions that invoke models may call; `table_streams`: the stream ARN of
        each table (by key) this stack owns with a stream (a function fed by another stack's table gets no mapping);
        `role_names`: the functions whose role another region's stack names (by function name), and each name."""
        super().__init__(scope, construct_id)
        self._model_arns = tuple(model_arns)
        self._table_streams = dict(table_streams or {})
        self._role_names = dict(role_names or {})
        self._names = names
        self._http_environment = dict(http_environment or {})
        self._stage = stage
        self._key = key
        self._log_retention = log_retention
        self._removal_policy = removal_policy
        self._layers = [self._build_powertools_layer(powertools_layer_version), self._build_dependency_layer()]
        self.functions: dict[str, lambda_.Function] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        # HTTP functions are invoked through their SnapStart alias, the scaled event functions through their
        # provisioned concurrency's alias, the others directly.
        self.invocation_targets: dict[str, lambda_.IFunction] = {}
        self.provisioned_concurrency: dict[str, ProvisionedConcurrency] = {}
        for spec in specs:
            self._build_function(spec)

    def _build_powertools_layer(self, version: int) -> lambda_.ILayerVersion:
        arn = Stack.of(self).format_arn(
            service="lambda",
            account=POWERTOOLS_LAYER_ACCOUNT,
            resource="layer",
            resource_name=f"{POWERTOOLS_LAYER_NAME}:{version}",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        return lambda_.LayerVersion.from_layer_version_arn(self, "PowertoolsLayer", arn)

    def _build_dependency_layer(self) -> lambda_.ILayerVersion:
        return lambda_.LayerVersion(
            self,
            "DependencyLayer",
            code=dependency_layer_code(),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description="Runtime dependencies of the Nexus Forge functions (layers/requirements.txt)",
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _build_function(self, spec: FunctionSpec) -> None:
        construct_id = "".join(part.capitalize() for part in spec.name.split("_"))
        physical_name = function_physical_name(self._names.prefix, spec.name)
        role = self._build_role(construct_id, physical_name, spec)
        dead_letter_queue = self._build_dead_letter_queue(construct_id, physical_name)
        function = lambda_.Function(
            self,
            construct_id,
            function_name=physical_name,
            description=spec.description,
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.X86_64,
            handler=spec.handler,
            code=function_code(spec.name),
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            environment=self._environment(spec),
            role=role,
            layers=self._layers,
            tracing=lambda_.Tracing.ACTIVE if spec.active_tracing else lambda_.Tracing.PASS_THROUGH,
            dead_letter_queue=dead_letter_queue,
            log_group=self._build_log_group(construct_id, physical_name),
            logging_format=LOG_FORMAT,
            system_log_level_v2=SYSTEM_LOG_LEVEL,
            application_log_level_v2=APPLICATION_LOG_LEVEL,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if spec.is_http else None,
        )
        self._acknowledge_findings(function, role)
        if spec.queue_source is not None:
            self._build_queue_source(construct_id, function, spec.queue_source)
        stream_source = spec.table_stream_source
        stream_mapped = stream_source is not None and stream_source.key in self._table_streams
        if stream_source is not None and stream_mapped:
            self._build_table_stream_source(construct_id, function, self._table_streams[stream_source.key], spec)
        # A stream-fed function's schedule (the marketplace scanner's sweep) runs only where its stream is mapped.
        if spec.schedule is not None and (stream_source is None or stream_mapped):
            events.Rule(
                self,
                f"{construct_id}Schedule",
                description=f"Invokes {physical_name} on its schedule",
                schedule=events.Schedule.expression(spec.schedule),
                targets=[targets.LambdaFunction(function, dead_letter_queue=dead_letter_queue)],
            )
        self.functions[spec.name] = function
        self.dead_letter_queues[spec.name] = dead_letter_queue
        self.invocation_targets[spec.name] = function
        if spec.is_http:
            self.invocation_targets[spec.name] = lambda_.Alias(
                self, f"{construct_id}Alias", alias_name=HTTP_ALIAS_NAME, version=function.current_version
            )
            # The alias publishes the version SnapStart snapshots; CDK warns whenever SnapStart is on.
            Annotations.of(function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish", "published by the function's live alias"
            )
        elif spec.name in PREDICTIVE_SCALING.functions:
            alias = lambda_.Alias(
                self, f"{construct_id}Alias", alias_name=PREDICTIVE_SCALING.alias, version=function.current_version
            )
            self.invocation_targets[spec.name] = alias
            self.provisioned_concurrency[spec.name] = ProvisionedConcurrency(
                self, f"{construct_id}Scaling", function_name=physical_name, alias=alias, scaling=PREDICTIVE_SCALING
            )

    def _build_queue_source(self, construct_id: str, function: lambda_.Function, queue: QueueSpec) -> None:
        """Batches of the queue's messages; those the function reports failed stay for a retry, then the DLQ."""
        lambda_.EventSourceMapping(
            self,
            f"{construct_id}QueueSource",
            target=function,
            event_source_arn=self._names.arn(queue),
            batch_size=QUEUE_BATCH_SIZE,
            report_batch_item_failures=True,
        )

    def _build_table_stream_source(
        self, construct_id: str, function: lambda_.Function, stream_arn: str, spec: FunctionSpec
    ) -> None:
        """Batches of the table's stream records from the oldest kept; a failing batch is retried, then its records
        go on (the function rebuilds what it indexes from the table, so a later change repairs a skipped one)."""
        lambda_.EventSourceMapping(
            self,
            f"{construct_id}TableStreamSource",
            target=function,
            event_source_arn=stream_arn,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=TABLE_STREAM_BATCH_SIZE,
            max_batching_window=Duration.seconds(spec.table_stream_batching_seconds),
            retry_attempts=TABLE_STREAM_RETRIES,
            bisect_batch_on_error=True,
            filters=[lambda_.FilterCriteria.filter(pattern) for pattern in spec.table_stream_filters] or None,
        )

    def _environment(self, spec: FunctionSpec) -> dict[str, str]:
        environment = resource_environment(spec, self._names.environment_values())
        environment[STAGE_ENV_VAR] = self._stage
        if spec.authenticates:
            environment |= self._http_environment
        return environment

    def _build_role(self, construct_id: str, physical_name: str, spec: FunctionSpec) -> iam.Role:
        stack = Stack.of(self)
        log_group_arn = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"/aws/lambda/{physical_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        statements = [
            iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group_arn]),
        ]
        for grant in spec.grants:
            statements += [policy.statement() for policy in grant_policy(grant, self._names, self._key.key_arn)]
        if spec.invokes_models:
            statements += self._model_statements()
        if spec.embeds_text:
            statements.append(self._embedding_statement())
        extra_audiences = self._http_environment.get(AUTH_EXTRA_AUDIENCES_ENV_VAR)
        if spec.authenticates and extra_audiences:
            statements.append(iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[extra_audiences]))
        role = iam.Role(
            self,
            f"{construct_id}Role",
            role_name=self._role_names.get(spec.name),
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{physical_name}: exactly the catalog's grants",
            inline_policies={"catalog-grants": iam.PolicyDocument(statements=statements)},
        )
        return role

    def _embedding_statement(self) -> iam.PolicyStatement:
        model = Stack.of(self).format_arn(
            service="bedrock",
            account="",
            resource="foundation-model",
            resource_name=MARKETPLACE_EMBEDDING_MODEL,
        )
        return iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=[model])

    def _model_statements(self) -> list[iam.PolicyStatement]:
        """Converse is authorised as bedrock:InvokeModel (IAM has no Converse action), on the configured models only;
        SageMaker: the platform's own endpoints (named with its prefix)."""
        endpoints = Stack.of(self).format_arn(
            service="sagemaker", resource="endpoint", resource_name=f"{self._names.prefix}-*"
        )
        statements = [iam.PolicyStatement(actions=["sagemaker:InvokeEndpoint"], resources=[endpoints])]
        if self._model_arns:
            statements.append(iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=list(self._model_arns)))
        return statements

    @staticmethod
    def _acknowledge_findings(function: lambda_.Function, role: iam.Role) -> None:
        NagSuppressions.add_resource_suppressions(
            function,
            [
                NagPackSuppression(
                    id="AwsSolutions-L1",
                    reason="Python 3.13 is the platform's runtime: the Powertools python313 layer and our "
                    "dependency layer are built for it; moving runtime is a deliberate, tested change",
                )
            ],
        )
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="Scoped wildcards only: the function's own log streams, its tables' indexes, its "
                    "buckets' objects, its state machines' executions, and X-Ray (which has no resource ARNs)",
                )
            ],
            apply_to_children=True,
        )

    def _build_dead_letter_queue(self, construct_id: str, physical_name: str) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            f"{construct_id}DeadLetters",
            queue_name=dead_letter_queue_name(physical_name),
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self._key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=self._removal_policy,
        )
        NagSuppressions.add_resource_suppressions(
            queue, [NagPackSuppression(id="AwsSolutions-SQS3", reason="This queue is itself a dead-letter queue")]
        )
        return queue

    def _build_log_group(self, construct_id: str, physical_name: str) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            f"{construct_id}Logs",
            log_group_name=f"/aws/lambda/{physical_name}",
            retention=self._log_retention,
            removal_policy=self._removal_policy,
        )
