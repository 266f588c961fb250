"""One regional stack per configured region, same code everywhere; the primary region's also owns the tables and
the user pool. A silo stack is the same stack for one enterprise tenant: its own tables, functions and API."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, RemovalPolicy, Stack
from constructs import Construct

from infra.config import ForgeConfig
from infra.constants import HTTP_BUFFERED_ENVIRONMENT, OUTPUT_ALARM_TOPIC_ARN, OUTPUT_API_ID, OUTPUT_API_URL
from infra.constructs.api_domain import ApiDomain
from infra.constructs.catalog_functions import CatalogFunctions
from infra.constructs.cursor_secret import CursorSecret
from infra.constructs.execution_dashboard import ExecutionDashboard
from infra.constructs.execution_events import ExecutionEvents
from infra.constructs.express_execution_logs import ExpressExecutionLogs
from infra.constructs.global_tables import GlobalTables
from infra.constructs.identity_reference import UserPoolReference
from infra.constructs.log_retention import LOG_RETENTION
from infra.constructs.observability import Observability
from infra.constructs.platform_buckets import PlatformBuckets
from infra.constructs.platform_key import PlatformKey
from infra.constructs.platform_queues import PlatformQueues
from infra.constructs.platform_state_machines import PlatformStateMachines
from infra.constructs.rest_api import RestApi
from infra.constructs.schedule_alarm import ScheduleFailureAlarm
from infra.constructs.schedule_invoke_role import ScheduleInvokeRole
from infra.constructs.tenant_data_roles import TenantDataRoles
from infra.constructs.tenant_gateway_keys import TenantGatewayKeys
from infra.constructs.usage_plans import TierUsagePlans
from infra.constructs.user_pool import PlatformUserPool
from infra.constructs.web_firewall import WebFirewall
from infra.constructs.workflow_execution_role import WorkflowExecutionRole
from infra.names import ResourceNames
from shared.resources import SCHEDULE_GROUPS, TABLES, WORKFLOW_STATE_MACHINES
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
        self.key = PlatformKey(
            self,
            "PlatformKey",
            prefix=self.prefix,
            removal_policy=self.removal_policy,
            primary_region=config.primary_region,
            multi_region=silo_tenant is None and bool(config.replica_regions),
        ).key
        self.tables = self._build_tables()
        self.buckets = PlatformBuckets(
            self, "Buckets", names=self.names, key=self.key, removal_policy=self.removal_policy
        )
        self.queues = PlatformQueues(self, "Queues", names=self.names, key=self.key, removal_policy=self.removal_policy)
        if self.owns_resources:
            WorkflowExecutionRole(self, "WorkflowExecution", prefix=self.prefix, machines=WORKFLOW_STATE_MACHINES)
            ScheduleInvokeRole(self, "ScheduleInvoke", prefix=self.prefix, groups=SCHEDULE_GROUPS)
        self.user_pool = (
            PlatformUserPool(self, "Identity", prefix=config.prefix, retain=config.retain_data)
            if (self.is_primary)
            else None
        )
        self.cursor_secret = CursorSecret(
            self,
            "CursorSecret",
            prefix=config.prefix,
            owner=self.is_primary,
            replica_regions=config.replica_regions,
            removal_policy=self.removal_policy,
        )
        self.functions = self._build_functions()
        self.tenant_data_roles = TenantDataRoles(
            self, "TenantData", names=self.names, functions=self.functions.functions
        )
        self.state_machines = self._build_state_machines()
        self.api = self._build_api()
        self.events = self._build_execution_events()
        self.express_logs = ExpressExecutionLogs(
            self,
            "ExpressExecutionLogs",
            prefix=self.prefix,
            status_function=self.functions.functions["execution_events"],
            workflows_function=self.functions.functions["workflows"],
            log_retention=self.log_retention,
            removal_policy=self.removal_policy,
        )
        self.observability = self._build_observability()
        self.execution_dashboard = self._build_execution_dashboard()
        ScheduleFailureAlarm(
            self,
            "ScheduleFailures",
            prefix=self.prefix,
            fire_function=SCHEDULE_GROUPS.target_function,
            topic=self.observability.topic,
        )
        self._build_outputs()

    def _build_tables(self) -> GlobalTables | None:
        if not self.owns_resources:
            return None
        return GlobalTables(
            self,
            "Tables",
            names=self.names,
            replica_regions=self.config.replica_regions if self.is_primary else (),
            retain=self.config.retain_data,
        )

    def _auth_environment(self) -> dict[str, str]:
        if self.user_pool:
            return self.user_pool.environment
        reference = UserPoolReference(
            self, "Identity", prefix=self.config.prefix, primary_region=self.config.primary_region
        )
        return reference.environment

    def _build_functions(self) -> CatalogFunctions:
        return CatalogFunctions(
            self,
            "Functions",
            names=self.names,
            http_environment=self._auth_environment() | self.cursor_secret.environment | HTTP_BUFFERED_ENVIRONMENT,
            stage=self.config.environment,
            key=self.key,
            powertools_layer_version=self.config.powertools_layer_version,
            log_retention=self.log_retention,
            removal_policy=self.removal_policy,
            model_arns=self.config.agent_model_arns,
        )

    def _build_state_machines(self) -> PlatformStateMachines:
        return PlatformStateMachines(
            self,
            "StateMachines",
            names=self.names,
            functions=self.functions.functions,
            log_retention=self.log_retention,
            removal_policy=self.removal_policy,
        )

    def _build_api(self) -> RestApi:
        api = RestApi(
            self,
            "Http",
            prefix=self.prefix,
            stage=self.config.environment,
            targets=self.functions.invocation_targets,
            rate_limit=self.config.api_rate_limit,
            burst_limit=self.config.api_burst_limit,
            log_retention=self.log_retention,
            removal_policy=self.removal_policy,
            account_logging_role=self.silo_tenant is None,
            authorizer_function=self.functions.functions["authorizer"],
        )
        self.usage_plans = TierUsagePlans(
            self,
            "UsagePlans",
            prefix=self.prefix,
            stage=api.api.deployment_stage,
            tiers=self._served_tiers(),
            silo_tenant=self.silo_tenant,
        )
        self.gateway_keys = TenantGatewayKeys(
            self,
            "GatewayKeys",
            prefix=self.prefix,
            regions=self.config.regions,
            authorizer=self.functions.functions["authorizer"],
            manager=None if self.silo_tenant else self.functions.functions["tenants"],
        )
        WebFirewall(
            self,
            "Firewall",
            prefix=self.prefix,
            stage_arn=api.api.deployment_stage.stage_arn,
            rate_limit_per_5_minutes=self.config.waf_rate_limit_per_5_minutes,
        )
        if self.config.domain and not self.silo_tenant:
            ApiDomain(self, "ApiDomain", domain=self.config.domain, region=self.region, api=api.api)
        return api

    def _served_tiers(self) -> list[TierLimits]:
        """A silo's API serves the silo tiers; the platform's API every tier (a new tier gets its plan)."""
        if self.silo_tenant:
            return [limits for limits in TIERS.values() if limits.deployment is Deployment.SILO]
        return list(TIERS.values())

    def _build_execution_events(self) -> ExecutionEvents:
        return ExecutionEvents(
            self,
            "ExecutionEvents",
            prefix=self.prefix,
            state_machine_arns=[machine.state_machine_arn for machine in self.state_machines.state_machines.values()],
            workflow_machine_arn_prefix=self.names.workflow_arn_prefix(WORKFLOW_STATE_MACHINES),
            status_function=self.functions.functions["execution_events"],
            log_retention=self.log_retention,
            removal_policy=self.removal_policy,
        )

    def _build_execution_dashboard(self) -> ExecutionDashboard:
        return ExecutionDashboard(
            self,
            "ExecutionDashboard",
            prefix=self.prefix,
            stage=self.config.environment,
            topic=self.observability.topic,
            status_function=self.functions.functions["execution_events"],
            executions_function=self.functions.functions["executions"],
            status_rule=self.events.workflow_rule,
        )

    def _build_observability(self) -> Observability:
        return Observability(
            self,
            "Observability",
            prefix=self.prefix,
            key=self.key,
            alarm_email=self.config.alarm_email,
            api=self.api.api,
            functions=self.functions.functions,
            dead_letter_queues=self.functions.dead_letter_queues | self.queues.dead_letter_queues,
            state_machines=self.state_machines.state_machines,
            table_names=[self.names.name(table) for table in TABLES if self.names.owns(table)],
            replica_regions=()
            if self.silo_tenant
            else tuple(region for region in self.config.regions if region != self.region),
        )

    def _build_outputs(self) -> None:
        CfnOutput(self, OUTPUT_API_URL, value=self.api.api.url, description="The regional API endpoint")
        CfnOutput(self, OUTPUT_API_ID, value=self.api.api.rest_api_id)
        CfnOutput(self, OUTPUT_ALARM_TOPIC_ARN, value=self.observability.topic.topic_arn)
