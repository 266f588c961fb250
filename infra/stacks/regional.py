"""One regional stack per configured region, same code everywhere; the primary region's also owns the tables and
the user pool. A silo stack is the same stack for one enterprise tenant: its own tables, functions and API.

The stack is a parent of one nested stack per domain (infra/stacks/domains.py), each its own template, so that no
template nears CloudFormation's 500 resources as features add functions and routes. The domains reach each other by
the deterministic names of infra/names.py, not by references; the few references CDK passes between them (the
platform key's ARN, the alarm topic's, a role or function that two domains wire together) are nested stack
parameters the parent fills, updated with the stack in one deployment: no exports, no deadly embrace."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, RemovalPolicy, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import ForgeConfig
from infra.constants import (
    HTTP_BUFFERED_ENVIRONMENT,
    OUTPUT_ALARM_TOPIC_ARN,
    OUTPUT_API_ID,
    OUTPUT_API_URL,
    OUTPUT_DELIVERY_URL,
    search_reader_role_name,
)
from infra.constructs.api_domain import ApiDomain
from infra.constructs.catalog_functions import CatalogFunctions, invocation_arn
from infra.constructs.cursor_secret import CursorSecret
from infra.constructs.delivery_url import DeliveryUrl
from infra.constructs.execution_dashboard import ExecutionDashboard
from infra.constructs.execution_events import ExecutionEvents, workflow_status_rule_name
from infra.constructs.express_execution_logs import ExpressExecutionLogs
from infra.constructs.global_tables import GlobalTables
from infra.constructs.identity_reference import UserPoolReference
from infra.constructs.log_retention import LOG_RETENTION
from infra.constructs.marketplace_search import MarketplaceSearchCollection
from infra.constructs.marketplace_search_access import MarketplaceSearchAccess
from infra.constructs.marketplace_search_reference import MarketplaceSearchReference
from infra.constructs.ml_pipelines import SAGEMAKER_BILLING_SERVICE, MlPipelines
from infra.constructs.observability import Observability
from infra.constructs.platform_buckets import PlatformBuckets
from infra.constructs.platform_key import PlatformKey
from infra.constructs.platform_queues import PlatformQueues, queue_dead_letter_name
from infra.constructs.platform_state_machines import PlatformStateMachines
from infra.constructs.rest_api import RestApi
from infra.constructs.schedule_alarm import ScheduleFailureAlarm
from infra.constructs.schedule_invoke_role import ScheduleInvokeRole
from infra.constructs.signing_key import SigningKey
from infra.constructs.tenant_data_roles import TenantDataRoles
from infra.constructs.tenant_gateway_keys import TenantGatewayKeys
from infra.constructs.usage_plans import TierUsagePlans
from infra.constructs.user_pool import PlatformUserPool
from infra.constructs.web_firewall import WebFirewall
from infra.constructs.workflow_execution_role import WorkflowExecutionRole
from infra.names import ResourceNames
from infra.stacks.domains import Domain, DomainStack, function_domain
from shared.catalog import CATALOG, dead_letter_queue_name, function_physical_name
from shared.ml.job_kinds import JOB_KINDS
from shared.resources import (
    MARKETPLACE_SIGNING_KEY,
    ML_PIPELINES,
    QUEUES,
    SCHEDULE_GROUPS,
    STATE_MACHINES,
    TABLES,
    WORKFLOW_STATE_MACHINES,
)
from shared.tenancy.tiers import TIERS, Deployment, TierLimits


class RegionalStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ForgeConfig,
        region: str,
        account: str | None,
        silo_tenant: str | None = None,
    ) -> None:
        where = f"tenant {silo_tenant}'s silo" if silo_tenant else "the platform"
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=account, region=region),
            description=f"Nexus Forge {config.environment}: {where} in {region}",
        )
        self.config = config
        self.silo_tenant = silo_tenant
        self.is_primary = region == config.primary_region and silo_tenant is None
        # A silo owns its tables (not replicated) and its workflow execution role, like the primary does.
        self.owns_resources = self.is_primary or silo_tenant is not None
        self.prefix = config.silo_prefix(silo_tenant) if silo_tenant else config.prefix
        # A silo's platform-scope tables (tenant registry, API keys, audit) are the platform's, by name.
        self.names = ResourceNames(self, self.prefix, platform_prefix=config.prefix)
        self.removal_policy = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.log_retention = LOG_RETENTION[config.log_retention_days]
        self.domains = {domain: DomainStack(self, domain) for domain in Domain}
        self._build_data(self.domains[Domain.DATA])
        self._build_http_functions(self.domains[Domain.HTTP_FUNCTIONS])
        self.api = self._build_api(self.domains[Domain.API])
        # The API invokes the HTTP functions' aliases by name: they must exist first.
        self.domains[Domain.API].add_stack_dependency(self.domains[Domain.HTTP_FUNCTIONS])
        self._build_workflows_runtime(self.domains[Domain.WORKFLOWS_RUNTIME])
        self._build_intelligence(self.domains[Domain.INTELLIGENCE])
        self._build_observability(self.domains[Domain.OBSERVABILITY])
        self._build_outputs()

    def _build_data(self, scope: DomainStack) -> None:
        self.key = PlatformKey(
            scope,
            "PlatformKey",
            prefix=self.prefix,
            removal_policy=self.removal_policy,
            primary_region=self.config.primary_region,
            multi_region=self.silo_tenant is None and bool(self.config.replica_regions),
        ).key
        # The platform's in every region; a silo's functions use it by its alias.
        if self.silo_tenant is None:
            SigningKey(
                scope,
                "MarketplaceSigningKey",
                spec=MARKETPLACE_SIGNING_KEY,
                prefix=self.prefix,
                primary_region=self.config.primary_region,
            )
        self.tables = (
            GlobalTables(
                scope,
                "Tables",
                names=self.names,
                replica_regions=self.config.replica_regions if self.is_primary else (),
                retain=self.config.retain_data,
            )
            if self.owns_resources
            else None
        )
        self.buckets = PlatformBuckets(
            scope, "Buckets", names=self.names, key=self.key, removal_policy=self.removal_policy
        )
        # Fed by the platform table's stream, which only the primary region maps.
        self.search_collection = (
            MarketplaceSearchCollection(
                scope,
                "MarketplaceSearch",
                prefix=self.prefix,
                standby_replicas=self.config.marketplace_search_standby_replicas,
            )
            if self.is_primary
            else None
        )
        self.queues = PlatformQueues(
            scope, "Queues", names=self.names, key=self.key, removal_policy=self.removal_policy
        )

    def _build_http_functions(self, scope: DomainStack) -> None:
        self.user_pool = (
            PlatformUserPool(scope, "Identity", prefix=self.config.prefix, retain=self.config.retain_data)
            if self.is_primary
            else None
        )
        auth_environment = (
            self.user_pool.environment
            if self.user_pool
            else UserPoolReference(
                scope, "Identity", prefix=self.config.prefix, primary_region=self.config.primary_region
            ).environment
        )
        self.cursor_secret = CursorSecret(
            scope,
            "CursorSecret",
            prefix=self.config.prefix,
            owner=self.is_primary,
            replica_regions=self.config.replica_regions,
            removal_policy=self.removal_policy,
        )
        self.http_functions = self._catalog_functions(
            scope,
            "Functions",
            auth_environment | self.cursor_secret.environment | HTTP_BUFFERED_ENVIRONMENT,
            role_names={"marketplace": search_reader_role_name(self.prefix, self.region)},
        )
        self.delivery_url = DeliveryUrl(
            scope,
            "Deliveries",
            function=self.http_functions.functions["webhooks"],
            alias=self.http_functions.invocation_targets["webhooks"],
            reserved_concurrency=self.config.webhook_reserved_concurrency,
        )
        # The primary's search collection serves every region; the primary's own stack grants it in the runtime.
        if not self.is_primary:
            MarketplaceSearchReference(
                scope,
                "MarketplaceSearch",
                prefix=self.config.prefix,
                primary_region=self.config.primary_region,
                reader=self.http_functions.functions["marketplace"],
            )
        self.tenant_data_roles = TenantDataRoles(
            scope, "TenantData", names=self.names, functions=self.http_functions.functions
        )
        self.gateway_keys = TenantGatewayKeys(
            scope,
            "GatewayKeys",
            prefix=self.prefix,
            regions=self.config.regions,
            authorizer=self.http_functions.functions["authorizer"],
            manager=None if self.silo_tenant else self.http_functions.functions["tenants"],
        )

    def _table_streams(self) -> dict[str, str]:
        """The stream ARN of each table this stack owns with a stream (the primary's: the replicas' streams carry
        the same changes, so the one index is fed once, in the primary region)."""
        if self.tables is None:
            return {}
        return {
            key: table.table_stream_arn
            for key, table in self.tables.tables.items()
            if table.table_stream_arn is not None
        }

    def _catalog_functions(
        self,
        scope: DomainStack,
        construct_id: str,
        http_environment: dict[str, str],
        table_streams: dict[str, str] | None = None,
        role_names: dict[str, str] | None = None,
    ) -> CatalogFunctions:
        """The catalog's functions that belong to the domain (a construct id unique across domains: the tests'
        merged templates key resources by logical id)."""
        return CatalogFunctions(
            scope,
            construct_id,
            names=self.names,
            specs=[spec for spec in CATALOG if function_domain(spec) is scope.domain],
            http_environment=http_environment,
            stage=self.config.environment,
            key=self.key,
            powertools_layer_version=self.config.powertools_layer_version,
            log_retention=self.log_retention,
            removal_policy=self.removal_policy,
            model_arns=self.config.agent_model_arns,
            table_streams=table_streams,
            role_names=role_names,
        )

    def _build_api(self, scope: DomainStack) -> RestApi:
        api = RestApi(
            scope,
            "Http",
            prefix=self.prefix,
            stage=self.config.environment,
            targets={
                spec.name: invocation_arn(scope, self.prefix, spec)
                for spec in CATALOG
                if function_domain(spec) is Domain.HTTP_FUNCTIONS
            },
            rate_limit=self.config.api_rate_limit,
            burst_limit=self.config.api_burst_limit,
            log_retention=self.log_retention,
            removal_policy=self.removal_policy,
            account_logging_role=self.config.api_gateway_account_role and self.silo_tenant is None,
            authorizer="authorizer",
        )
        self.usage_plans = TierUsagePlans(
            scope,
            "UsagePlans",
            prefix=self.prefix,
            stage=api.api.deployment_stage,
            tiers=self._served_tiers(),
            silo_tenant=self.silo_tenant,
        )
        WebFirewall(
            scope,
            "Firewall",
            prefix=self.prefix,
            stage_arn=api.api.deployment_stage.stage_arn,
            rate_limit_per_5_minutes=self.config.waf_rate_limit_per_5_minutes,
        )
        if self.config.domain and not self.silo_tenant:
            ApiDomain(scope, "ApiDomain", domain=self.config.domain, region=self.region, api=api.api)
        return api

    def _served_tiers(self) -> list[TierLimits]:
        """A silo's API serves the silo tiers; the platform's API every tier (a new tier gets its plan)."""
        if self.silo_tenant:
            return [limits for limits in TIERS.values() if limits.deployment is Deployment.SILO]
        return list(TIERS.values())

    def _build_workflows_runtime(self, scope: DomainStack) -> None:
        if self.owns_resources:
            WorkflowExecutionRole(scope, "WorkflowExecution", prefix=self.prefix, machines=WORKFLOW_STATE_MACHINES)
            ScheduleInvokeRole(scope, "ScheduleInvoke", prefix=self.prefix, groups=SCHEDULE_GROUPS)
        self.runtime_functions = self._catalog_functions(scope, "RuntimeFunctions", {}, self._table_streams())
        if self.search_collection is not None:
            MarketplaceSearchAccess(
                scope,
                "MarketplaceSearchAccess",
                collection=self.search_collection,
                writer=self.runtime_functions.functions["marketplace_search_indexer"],
                reader=self.http_functions.functions["marketplace"],
                remote_reader_roles=self._remote_search_readers(),
            )
        self.state_machines = PlatformStateMachines(
            scope,
            "StateMachines",
            names=self.names,
            functions=self.runtime_functions.functions,
            log_retention=self.log_retention,
            removal_policy=self.removal_policy,
        )
        # Through its provisioned concurrency's alias (infra/constructs/provisioned_concurrency.py).
        status_function = self.runtime_functions.invocation_targets["execution_events"]
        self.events = ExecutionEvents(
            scope,
            "ExecutionEvents",
            prefix=self.prefix,
            state_machine_arns=[machine.state_machine_arn for machine in self.state_machines.state_machines.values()],
            workflow_machine_arn_prefix=self.names.workflow_arn_prefix(WORKFLOW_STATE_MACHINES),
            status_function=status_function,
            log_retention=self.log_retention,
            removal_policy=self.removal_policy,
        )
        self.express_logs = ExpressExecutionLogs(
            scope,
            "ExpressExecutionLogs",
            prefix=self.prefix,
            status_function=status_function,
            workflows_function=self.http_functions.functions["workflows"],
            log_retention=self.log_retention,
            removal_policy=self.removal_policy,
        )

    def _remote_search_readers(self) -> list[str]:
        """The search route's roles in the stacks that read the primary's collection: each other region's, each
        silo's (in the primary region)."""
        config = self.config
        return [search_reader_role_name(config.prefix, region) for region in config.replica_regions] + [
            search_reader_role_name(config.silo_prefix(tenant), config.primary_region) for tenant in config.silo_tenants
        ]

    def _build_intelligence(self, scope: DomainStack) -> None:
        self.ml_functions = self._catalog_functions(scope, "MlFunctions", {})
        # The platform's pipelines; a silo's tenant is served by them (their model package groups are per region).
        self.ml_pipelines = (
            None
            if self.silo_tenant
            else MlPipelines(
                scope,
                "MlPipelines",
                names=self.names,
                key=self.key,
                gate_function=self.ml_functions.functions[ML_PIPELINES.gate_function],
                log_retention=self.log_retention,
                removal_policy=self.removal_policy,
            )
        )

    def _ml_machine_arns(self) -> dict[str, str]:
        if self.silo_tenant:
            return {}
        return {f"ml-{kind}": f"{self.names.arn(ML_PIPELINES)}-{kind.replace('_', '-')}" for kind in JOB_KINDS}

    def _build_observability(self, scope: DomainStack) -> None:
        function_names = {spec.name: function_physical_name(self.prefix, spec.name) for spec in CATALOG}
        self.observability = Observability(
            scope,
            "Observability",
            prefix=self.prefix,
            key=self.key,
            alarm_email=self.config.alarm_email,
            api=self.api.api,
            functions=function_names,
            dead_letter_queues={name: dead_letter_queue_name(function) for name, function in function_names.items()}
            | {spec.key: queue_dead_letter_name(self.names.name(spec)) for spec in QUEUES},
            state_machines={spec.key: self.names.arn(spec) for spec in STATE_MACHINES} | self._ml_machine_arns(),
            table_names=[self.names.name(table) for table in TABLES if self.names.owns(table)],
            replica_regions=()
            if self.silo_tenant
            else tuple(region for region in self.config.regions if region != self.region),
        )
        # Deliveries reach the webhooks function through its function URL, with no gateway throttle before it.
        self.observability.add_concurrency_alarm("webhooks", function_names["webhooks"], self.config.api_burst_limit)
        if self.is_primary:
            self.observability.add_spend_budget(SAGEMAKER_BILLING_SERVICE, self.config.ml_monthly_budget_usd)
        self.execution_dashboard = ExecutionDashboard(
            scope,
            "ExecutionDashboard",
            prefix=self.prefix,
            stage=self.config.environment,
            topic=self.observability.topic,
            status_function_name=function_names["execution_events"],
            executions_function_name=function_names["executions"],
            status_rule_name=workflow_status_rule_name(self.prefix),
        )
        ScheduleFailureAlarm(
            scope,
            "ScheduleFailures",
            prefix=self.prefix,
            fire_function=SCHEDULE_GROUPS.target_function,
            topic=self.observability.topic,
        )

    @property
    def functions(self) -> dict[str, lambda_.Function]:
        """Every catalog function by name, whichever domain it is deployed in."""
        return self.http_functions.functions | self.runtime_functions.functions | self.ml_functions.functions

    def _build_outputs(self) -> None:
        CfnOutput(self, OUTPUT_API_URL, value=self.api.api.url, description="The regional API endpoint")
        CfnOutput(self, OUTPUT_API_ID, value=self.api.api.rest_api_id)
        CfnOutput(
            self,
            OUTPUT_DELIVERY_URL,
            value=self.delivery_url.origin,
            description="The webhook delivery endpoint: give senders <this>/v1/hooks/<hook id>",
        )
        CfnOutput(self, OUTPUT_ALARM_TOPIC_ARN, value=self.observability.topic.topic_arn)
