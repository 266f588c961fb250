"""Workflows: drafts, validation, publishing, versions, diff, rollback, export/import (runs: the executions API)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response
from fastapi.responses import JSONResponse
from pydantic import WithJsonSchema

from shared.agents.tools.format_names import ToolFormatName
from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.auth.principal import Principal
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit
from shared.http.preconditions import expected_revision
from shared.store.context import TenantContext
from shared.workflows.api import (
    PublishRequest,
    RollbackRequest,
    ValidationReport,
    VersionDetail,
    VersionList,
    Workflow,
    WorkflowExport,
    WorkflowPage,
    WorkflowSummary,
)
from shared.workflows.cost import ASSUMED_INPUT_TOKENS, ASSUMED_OUTPUT_TOKENS, MAX_ASSUMED_TOKENS, AssumedTokens
from shared.workflows.diff import WorkflowDiff
from shared.workflows.schema import workflow_document_outline, workflow_json_schema
from shared.workflows.service import TenantWorkflows
from shared.workflows.test_runs import TEST_RUN_SECONDS, DraftRun, DraftRunRequest

router = APIRouter(tags=["workflows"])

WorkflowDocument = Annotated[
    dict[str, Any],
    WithJsonSchema(workflow_document_outline()),
    Body(description="A workflow document (name, description, nodes, edges, settings); schema: /v1/workflow-schema"),
]


def _workflows(tenant: TenantContext, principal: Principal) -> TenantWorkflows:
    return TenantWorkflows(tenant, principal.subject)


JSON_SCHEMA_CONTENT_TYPE = "application/schema+json"


@router.get(
    "/v1/workflow-schema",
    summary="The JSON Schema of a workflow document, with every node type's params",
    responses={200: {"content": {JSON_SCHEMA_CONTENT_TYPE: {"schema": {"type": "object"}}}}},
)
def read_workflow_schema() -> JSONResponse:
    return JSONResponse(workflow_json_schema(), media_type=JSON_SCHEMA_CONTENT_TYPE)


@router.post("/v1/workflows/validate", response_model=ValidationReport, summary="Validate an unsaved workflow")
def validate_unsaved(
    document: WorkflowDocument, tenant: CurrentTenant, principal: CurrentPrincipal
) -> ValidationReport:
    return _workflows(tenant, principal).validate(document)


@router.post("/v1/workflows", status_code=201, response_model=Workflow, summary="Create a workflow from a document")
def create_workflow(document: WorkflowDocument, tenant: CurrentTenant, principal: CurrentPrincipal) -> Workflow:
    return _workflows(tenant, principal).create(document)


@router.get("/v1/workflows", response_model=WorkflowPage, summary="List the tenant's workflows")
def list_workflows(
    tenant: CurrentTenant, principal: CurrentPrincipal, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None
) -> WorkflowPage:
    return _workflows(tenant, principal).list_page(limit, cursor)


@router.post(
    "/v1/workflows/import", status_code=201, response_model=Workflow, summary="Create a workflow from an export"
)
def import_workflow(exported: WorkflowExport, tenant: CurrentTenant, principal: CurrentPrincipal) -> Workflow:
    return _workflows(tenant, principal).import_workflow(exported)


@router.get("/v1/workflows/{workflow_id}", response_model=Workflow, summary="Read a workflow and its draft")
def read_workflow(workflow_id: str, tenant: CurrentTenant, principal: CurrentPrincipal) -> Workflow:
    return _workflows(tenant, principal).get(workflow_id)


@router.put("/v1/workflows/{workflow_id}", response_model=Workflow, summary="Replace the draft")
def update_workflow(
    workflow_id: str,
    document: WorkflowDocument,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    if_match: Annotated[str | None, Header(description="The revision the change is based on")] = None,
) -> Workflow:
    return _workflows(tenant, principal).update(workflow_id, document, expected_revision(if_match))


@router.delete(
    "/v1/workflows/{workflow_id}",
    status_code=204,
    summary="Delete a workflow: its state machine, its schedules and its webhook endpoints",
)
def delete_workflow(
    workflow_id: str,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    force: Annotated[bool, Query(description="Stop running executions instead of refusing")] = False,
) -> Response:
    _workflows(tenant, principal).delete(workflow_id, force)
    return Response(status_code=204)


@router.post("/v1/workflows/{workflow_id}/validate", response_model=ValidationReport, summary="Validate the draft")
def validate_saved(workflow_id: str, tenant: CurrentTenant, principal: CurrentPrincipal) -> ValidationReport:
    return _workflows(tenant, principal).validate_saved(workflow_id)


@router.post(
    "/v1/workflows/{workflow_id}/test-runs",
    response_model=DraftRun,
    summary=f"Run the draft once with a sample input, unpublished and unrecorded, and answer each node's step "
    f"(at most {TEST_RUN_SECONDS:g} s, then stopped)",
)
def test_run_draft(
    workflow_id: str, request: DraftRunRequest, tenant: CurrentTenant, principal: CurrentPrincipal
) -> DraftRun:
    return _workflows(tenant, principal).test_run(workflow_id, request)


@router.post(
    "/v1/workflows/{workflow_id}/publish",
    status_code=201,
    response_model=VersionDetail,
    summary="Freeze the draft as the next version, deploy it and make it live (a `schedule` trigger: its schedule)",
)
def publish_workflow(
    workflow_id: str,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    request: Annotated[PublishRequest | None, Body()] = None,
) -> VersionDetail:
    return _workflows(tenant, principal).publish(workflow_id, request or PublishRequest())


@router.get(
    "/v1/workflows/{workflow_id}/versions", response_model=VersionList, summary="Published versions, newest first"
)
def list_versions(
    workflow_id: str,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> VersionList:
    return _workflows(tenant, principal).versions(workflow_id, limit, cursor)


@router.get(
    "/v1/workflows/{workflow_id}/versions/{version}",
    response_model=VersionDetail,
    summary="A published version with its compiled ASL and cost estimate",
)
def read_version(
    workflow_id: str,
    version: int,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    assumed_input_tokens: Annotated[
        int | None,
        Query(ge=0, le=MAX_ASSUMED_TOKENS, description=f"Per agent node and run (default {ASSUMED_INPUT_TOKENS})"),
    ] = None,
    assumed_output_tokens: Annotated[
        int | None,
        Query(ge=0, le=MAX_ASSUMED_TOKENS, description=f"Per agent node and run (default {ASSUMED_OUTPUT_TOKENS})"),
    ] = None,
) -> VersionDetail:
    tokens = AssumedTokens(
        input_tokens=ASSUMED_INPUT_TOKENS if assumed_input_tokens is None else assumed_input_tokens,
        output_tokens=ASSUMED_OUTPUT_TOKENS if assumed_output_tokens is None else assumed_output_tokens,
    )
    return _workflows(tenant, principal).version(workflow_id, version, tokens)


@router.get("/v1/workflows/{workflow_id}/diff", response_model=WorkflowDiff, summary="What changed between versions")
def diff_versions(
    workflow_id: str,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    from_version: Annotated[int | None, Query(alias="from", ge=1, description="Omit for the live version")] = None,
    to_version: Annotated[int | None, Query(alias="to", ge=1, description="Omit to compare with the draft")] = None,
) -> WorkflowDiff:
    return _workflows(tenant, principal).diff(workflow_id, from_version, to_version)


@router.post(
    "/v1/workflows/{workflow_id}/rollback", response_model=WorkflowSummary, summary="Make an older version live"
)
def rollback_workflow(
    workflow_id: str, request: RollbackRequest, tenant: CurrentTenant, principal: CurrentPrincipal
) -> WorkflowSummary:
    return _workflows(tenant, principal).rollback(workflow_id, request)


@router.get(
    "/v1/workflows/{workflow_id}/export", response_model=WorkflowExport, summary="The draft as a portable document"
)
def export_workflow(workflow_id: str, tenant: CurrentTenant, principal: CurrentPrincipal) -> WorkflowExport:
    return _workflows(tenant, principal).export(workflow_id)


@router.get(
    "/v1/workflows/{workflow_id}/tool",
    summary="The draft as a tool description in a framework's format: a safe name from the workflow's name, its "
    "description, and an input schema that takes any object (the execution's input)",
)
def export_workflow_as_tool(
    workflow_id: str,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    tool_format: Annotated[ToolFormatName, Query(alias="format", description="The tool format")] = ToolFormatName.MCP,
) -> dict[str, Any]:
    return _workflows(tenant, principal).as_tool(workflow_id, tool_format)
