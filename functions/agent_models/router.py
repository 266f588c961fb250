"""Custom agent models: tune an open model on the tenant's examples, follow it, select it in an agent node, delete it
(docs/agent-models.md)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from shared.agent_models.service import (
    AgentModel,
    AgentModelPage,
    create_agent_model,
    delete_agent_model,
    get_agent_model,
    list_agent_models,
)
from shared.agent_models.tuning import TuningRequest
from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit

router = APIRouter(tags=["agent-models"])


@router.post(
    "/v1/agent-models",
    status_code=202,
    response_model=AgentModel,
    summary="Tune an agent model on the tenant's examples (LoRA), then serve it from an endpoint",
)
def post_agent_model(request: TuningRequest, tenant: CurrentTenant, principal: CurrentPrincipal) -> AgentModel:
    return create_agent_model(tenant, principal.subject, request)


@router.get("/v1/agent-models", response_model=AgentModelPage, summary="The tenant's agent models")
def get_agent_models(
    tenant: CurrentTenant, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None
) -> AgentModelPage:
    return list_agent_models(tenant, limit=limit, cursor=cursor)


@router.get(
    "/v1/agent-models/{model_id}",
    response_model=AgentModel,
    summary="An agent model: status, metrics, progress and ETA while training, its endpoint and agent node model",
)
def get_agent_model_by_id(model_id: str, tenant: CurrentTenant) -> AgentModel:
    return get_agent_model(tenant, model_id)


@router.delete(
    "/v1/agent-models/{model_id}",
    status_code=204,
    summary="Delete an agent model and its endpoint (refused while a live workflow version uses it)",
)
def remove_agent_model(model_id: str, tenant: CurrentTenant) -> Response:
    delete_agent_model(tenant, model_id)
    return Response(status_code=204)
