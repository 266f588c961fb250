"""The domains a regional stack is split into: each a nested stack, so each has its own template and its own
CloudFormation limit of 500 resources. A later domain (ML pipelines, the console) is one more member here."""

from __future__ import annotations

from enum import StrEnum

from aws_cdk import NestedStack, Stack

from shared.catalog import FunctionSpec


class Domain(StrEnum):
    DATA = "Data"
    HTTP_FUNCTIONS = "HttpFunctions"
    API = "Api"
    WORKFLOWS_RUNTIME = "WorkflowsRuntime"
    OBSERVABILITY = "Observability"


DOMAIN_CONTENTS = {
    Domain.DATA: "the platform key, tables, buckets and queues",
    Domain.HTTP_FUNCTIONS: "the functions that serve the API, their tenant-data roles, identity and cursor secret",
    Domain.API: "the REST API, its routes, usage plans, firewall and domain names",
    Domain.WORKFLOWS_RUNTIME: "the workflow execution and schedule roles, event and node functions, state machines, "
    "execution status events",
    Domain.OBSERVABILITY: "the alarm topic, dashboards and alarms",
}


def function_domain(spec: FunctionSpec) -> Domain:
    """Where a catalog function is deployed: the ones that authenticate callers (HTTP routes, the gateway
    authorizer) beside the API; every other one (queue, schedule, status-event and workflow node functions) in the
    workflows runtime. A new catalog function lands by this rule, with no infra change."""
    return Domain.HTTP_FUNCTIONS if spec.authenticates else Domain.WORKFLOWS_RUNTIME


class DomainStack(NestedStack):
    def __init__(self, parent: Stack, domain: Domain) -> None:
        super().__init__(parent, domain.value, description=f"{parent.stack_name}: {DOMAIN_CONTENTS[domain]}")
        self.domain = domain
