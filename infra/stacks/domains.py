"""The domains a regional stack is split into: each a nested stack, so each has its own template and its own
CloudFormation limit of 500 resources. A later domain (ML pipelines, the console) is one more member here."""

from __future__ import annotations

from enum import StrEnum

from aws_cdk import NestedStack, Stack

from shared.catalog import FunctionSpec

ML_FUNCTION_PREFIX = "ml_"


class Domain(StrEnum):
    DATA = "Data"
    HTTP_FUNCTIONS = "HttpFunctions"
    API = "Api"
    WORKFLOWS_RUNTIME = "WorkflowsRuntime"
    OBSERVABILITY = "Observability"
    INTELLIGENCE = "Intelligence"


DOMAIN_CONTENTS = {
    Domain.DATA: "the platform key, the marketplace signing key, tables, buckets, queues and the marketplace search "
    "collection",
    Domain.HTTP_FUNCTIONS: "the functions that serve the API, their tenant-data roles, identity and cursor secret; "
    "the webhook deliveries' function URL",
    Domain.API: "the REST API, its routes, usage plans, firewall and domain names",
    Domain.WORKFLOWS_RUNTIME: "the workflow execution and schedule roles, event and node functions, state machines, "
    "execution status events",
    Domain.OBSERVABILITY: "the alarm topic, dashboards and alarms",
    Domain.INTELLIGENCE: "the ML pipelines: their functions (series export, evaluation gate), SageMaker role, model "
    "package groups, state machines and schedules",
}


def function_domain(spec: FunctionSpec) -> Domain:
    """Where a catalog function is deployed: the ones that authenticate callers (HTTP routes, the gateway
    authorizer) beside the API; every other one (queue, schedule, status-event and workflow node functions) in the
    workflows runtime, except the ML pipelines' own (`ml_*`), beside them. A new catalog function lands by this rule,
    with no infra change."""
    if spec.authenticates:
        return Domain.HTTP_FUNCTIONS
    return Domain.INTELLIGENCE if spec.name.startswith(ML_FUNCTION_PREFIX) else Domain.WORKFLOWS_RUNTIME


class DomainStack(NestedStack):
    def __init__(self, parent: Stack, domain: Domain) -> None:
        super().__init__(parent, domain.value, description=f"{parent.stack_name}: {DOMAIN_CONTENTS[domain]}")
        self.domain = domain
