"""Which published version of a tenant's workflow an execution runs, read from the workflows feature's records.

The version to run is resolved here rather than by starting the `live` alias, so that the record names the exact
version. Published versions are immutable, so what an execution needs of one is cached for the container's life.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from shared.problems import NotFound
from shared.store.tenant_scoped import TenantContext
from shared.store.workflows import WorkflowItem, Workflows, WorkflowVersions, unpack

_CACHED_VERSIONS = 512


@dataclass(frozen=True)
class RunTarget:
    workflow_id: str
    version: int
    state_machine_arn: str
    version_arn: str
    mode: Literal["standard", "express"]
    error_workflow_id: str | None
    # At most this many executions of the workflow run at once (the version's `settings.max_concurrency`).
    max_concurrency: int | None = None
    # The version has an agent node: it starts only while the tenant has model tokens left this month.
    runs_agents: bool = False
    # `<ns>/<name>` of the marketplace items the version's executions count for (docs/marketplace.md).
    marketplace_items: tuple[str, ...] = ()


def resolve_run_target(
    tenant: TenantContext, workflow_id: str, version: int | None = None, *, workflow: WorkflowItem | None = None
) -> RunTarget:
    """The published version to run (the live one unless `version`); 404 for unknown or another tenant's ids.
    `workflow`: the workflow's item as the caller read it in this request (else it is read here)."""
    # Always read (here or by the caller): a deleted workflow's versions are gone even where this container cached them.
    if workflow is None or workflow.sk != workflow_id:
        workflow = Workflows(tenant).get(workflow_id)
    if workflow is None or workflow.live_version is None:
        raise NotFound(f"No published workflow {workflow_id!r}")
    return _published_version(tenant, workflow_id, int(workflow.live_version) if version is None else version)


@lru_cache(maxsize=_CACHED_VERSIONS)
def _published_version(tenant: TenantContext, workflow_id: str, version: int) -> RunTarget:
    published = WorkflowVersions(tenant, workflow_id).get_version(version)
    if published is None:
        raise NotFound(f"Workflow {workflow_id!r} has no published version {version}")
    document = unpack(published.definition) or {}
    settings = document.get("settings") or {}
    version_arn = str(published.state_machine_version_arn)
    return RunTarget(
        workflow_id=workflow_id,
        version=version,
        state_machine_arn=version_arn.rsplit(":", 1)[0],
        version_arn=version_arn,
        mode="express" if settings.get("mode") == "express" else "standard",
        error_workflow_id=settings.get("error_workflow_id"),
        max_concurrency=int(settings["max_concurrency"]) if settings.get("max_concurrency") else None,
        runs_agents=any(node.get("type") == "agent" for node in document.get("nodes") or []),
        marketplace_items=tuple(published.marketplace_items or ()),
    )
