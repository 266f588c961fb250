"""Webhook endpoints of a tenant's workflows, and the public delivery URL that starts them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.executions.error_workflows import start_error_workflow
from shared.executions.statuses import ExecutionStatus
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit
from shared.triggers.webhooks import (
    DeliveryAccepted,
    Hook,
    HookCreate,
    HookPage,
    HookWithSecret,
    ResponseMode,
    SecretRotation,
    create_hook,
    delete_hook,
    get_hook,
    list_hooks,
    receive_delivery,
    rotate_secret,
    sync_output,
)

router = APIRouter(tags=["webhooks"])


async def raw_body(request: Request) -> bytes:
    """The exact bytes that were signed (the route itself runs in the thread pool: its work is blocking I/O)."""
    return await request.body()


@router.post("/v1/hooks", status_code=201, response_model=HookWithSecret, summary="Create a webhook endpoint")
def post_hook(request: HookCreate, tenant: CurrentTenant, principal: CurrentPrincipal) -> HookWithSecret:
    return create_hook(tenant, request, principal.subject)


@router.get("/v1/hooks", response_model=HookPage, summary="List the tenant's webhook endpoints")
def get_hooks(tenant: CurrentTenant, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None) -> HookPage:
    return list_hooks(tenant, limit=limit, cursor=cursor)


@router.get("/v1/hooks/{hook_id}", response_model=Hook, summary="Read a webhook endpoint (never its secret)")
def read_hook(hook_id: str, tenant: CurrentTenant) -> Hook:
    return get_hook(tenant, hook_id)


@router.delete("/v1/hooks/{hook_id}", status_code=204, summary="Delete a webhook endpoint")
def remove_hook(hook_id: str, tenant: CurrentTenant) -> Response:
    delete_hook(tenant, hook_id)
    return Response(status_code=204)


@router.post(
    "/v1/hooks/{hook_id}/rotate-secret",
    response_model=HookWithSecret,
    summary="Issue a new signing secret; the current one stays valid for the overlap",
)
def post_rotation(hook_id: str, tenant: CurrentTenant, rotation: SecretRotation | None = None) -> HookWithSecret:
    return rotate_secret(tenant, hook_id, rotation or SecretRotation())


@router.post(
    "/v1/hooks/{hook_id}",
    status_code=202,
    response_model=DeliveryAccepted,
    summary="Deliver an event (public; authenticated by its Standard Webhooks or GitHub signature)",
    responses={200: {"description": "Sync mode: the workflow's output"}},
)
def post_delivery(hook_id: str, request: Request, body: Annotated[bytes, Depends(raw_body)]) -> Any:
    hook, execution, started = receive_delivery(hook_id, dict(request.headers), body, after_end=start_error_workflow)
    accepted = DeliveryAccepted(
        execution_id=execution.execution_id, status=ExecutionStatus(execution.status), replayed=not started
    )
    headers = {"Location": f"/v1/executions/{execution.execution_id}"}
    if hook.response_mode == ResponseMode.SYNC.value:
        ended, output = sync_output(execution)
        if ended:
            return JSONResponse(output, status_code=200, headers=headers)
    return JSONResponse(accepted.model_dump(mode="json"), status_code=202, headers=headers)
