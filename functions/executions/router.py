"""Executions of a tenant's workflows: start, read, list with filters, per-step history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse

from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.executions.control import cancel_execution, redrive_execution, rerun_execution
from shared.executions.live import execution_event_stream
from shared.executions.model import (
    Execution,
    ExecutionHistory,
    ExecutionPage,
    ExecutionSummary,
    StartExecutionRequest,
    execution_of,
    summary_of,
)
from shared.executions.queries import execution_history, list_executions
from shared.executions.record import find_execution
from shared.executions.start import StartRequest, start_execution
from shared.executions.statuses import ExecutionStatus, Trigger
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit
from shared.request_types import Rfc3339DateTime
from shared.store.tenant_scoped import TenantContext

router = APIRouter(tags=["executions"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="The same key and body within 24 h return the same execution; another body is a 409",
    ),
]


@router.post(
    "/v1/workflows/{workflow_id}/executions",
    status_code=202,
    response_model=ExecutionSummary,
    summary="Start an execution of a published workflow (its live version unless `version` is given)",
    responses={200: {"model": Execution, "description": "wait=true: the express execution ended; its output"}},
)
def post_execution(
    workflow_id: str,
    request: StartExecutionRequest,
    tenant: CurrentTenant,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    wait: Annotated[
        bool,
        Query(
            description="Express workflows only: run synchronously (at most 25 s) and answer 200 with the output; "
            "outputs over 64 KB by reference"
        ),
    ] = False,
) -> ExecutionSummary | JSONResponse:
    start = StartRequest(
        workflow_id=workflow_id,
        input=request.input,
        version=request.version,
        trigger=Trigger.MANUAL,
        idempotency_key=idempotency_key,
    )
    if wait:
        return _run_synchronously(tenant, start)
    item = start_execution(tenant, start)
    response.headers.update({"Location": f"/v1/executions/{item.execution_id}"})
    return summary_of(item)


def _run_synchronously(tenant: TenantContext, start: StartRequest) -> JSONResponse:
    # The synchronous path's imports, only where it is used.
    from shared.executions.error_workflows import start_error_workflow
    from shared.executions.express import SYNC_WAIT_SECONDS, sync_answer
    from shared.executions.start import start_synchronously

    item, changes = start_synchronously(tenant, start, SYNC_WAIT_SECONDS)
    for change in changes:
        start_error_workflow(change)
    return JSONResponse(
        sync_answer(item).model_dump(mode="json"), headers={"Location": f"/v1/executions/{item.execution_id}"}
    )


@router.get("/v1/executions", response_model=ExecutionPage, summary="List executions, newest first")
def get_executions(
    tenant: CurrentTenant,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
    workflow_id: Annotated[str | None, Query(max_length=64)] = None,
    status: ExecutionStatus | None = None,
    trigger: Trigger | None = None,
    started_after: Annotated[Rfc3339DateTime | None, Query(description="RFC 3339 date-time with an offset")] = None,
    started_before: Annotated[Rfc3339DateTime | None, Query(description="RFC 3339 date-time with an offset")] = None,
) -> ExecutionPage:
    return list_executions(
        tenant,
        limit=limit,
        cursor=cursor,
        workflow_id=workflow_id,
        status=status,
        trigger=trigger,
        started_after=started_after,
        started_before=started_before,
    )


@router.get("/v1/executions/{execution_id}", response_model=Execution, summary="Read an execution with its payloads")
def get_execution(execution_id: str, tenant: CurrentTenant) -> Execution:
    return execution_of(find_execution(tenant, execution_id))


@router.get(
    "/v1/executions/{execution_id}/history",
    response_model=ExecutionHistory,
    summary="Per-step history: each node's status, attempts, duration, input and output",
)
def get_execution_history(execution_id: str, tenant: CurrentTenant) -> ExecutionHistory:
    return execution_history(tenant, execution_id)


@router.post(
    "/v1/executions/{execution_id}/cancel",
    status_code=202,
    response_model=ExecutionSummary,
    summary="Cancel a running execution (it ends ABORTED)",
)
def post_cancel(execution_id: str, tenant: CurrentTenant, principal: CurrentPrincipal) -> ExecutionSummary:
    return summary_of(cancel_execution(tenant, execution_id, principal.subject))


@router.post(
    "/v1/executions/{execution_id}/rerun",
    status_code=202,
    response_model=ExecutionSummary,
    summary="Start the same workflow version again with the same input",
)
def post_rerun(
    execution_id: str, tenant: CurrentTenant, response: Response, idempotency_key: IdempotencyKey = None
) -> ExecutionSummary:
    item = rerun_execution(tenant, execution_id, idempotency_key)
    response.headers["Location"] = f"/v1/executions/{item.execution_id}"
    return summary_of(item)


@router.post(
    "/v1/executions/{execution_id}/redrive",
    status_code=202,
    response_model=ExecutionSummary,
    summary="Redrive a failed standard execution from the step that failed",
)
def post_redrive(execution_id: str, tenant: CurrentTenant) -> ExecutionSummary:
    return summary_of(redrive_execution(tenant, execution_id))


@router.get(
    "/v1/executions/{execution_id}/events",
    response_class=StreamingResponse,
    summary="Server-Sent Events: each status change (`status`) and step change (`step`) until the end (`end`)",
    responses={200: {"content": {"text/event-stream": {}}, "description": "The event stream"}},
)
def stream_execution_events(
    execution_id: str,
    tenant: CurrentTenant,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
) -> StreamingResponse:
    find_execution(tenant, execution_id)
    return StreamingResponse(
        execution_event_stream(tenant, execution_id, last_event_id=last_event_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
