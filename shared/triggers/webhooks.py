"""Webhook endpoints bound to a workflow, and deliveries: verify the signature, then start exactly once per id.

The endpoint id carries its tenant (`wh_<tenant>_<random>`), so the public delivery route reads the endpoint from
the tenant's own partition without an index. A delivery's `webhook-id` (GitHub: `X-GitHub-Delivery`) becomes the
idempotency key of the start, kept 24 h — well past the 5-minute signature tolerance, after which a replay is
refused as stale anyway — so a repeated delivery returns the first one's execution and starts nothing. A container
that has delivered to an endpoint reads it and its workflow together (one round trip, docs/executions.md).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from shared.executions.end_signals import has_ended
from shared.executions.model import execution_of
from shared.executions.record import EndFollowUp
from shared.executions.start import StartRequest, start_and_follow, start_or_replay
from shared.executions.statuses import ExecutionStatus, Trigger
from shared.problems import Conflict, InvalidParam, NotFound, ProblemError, ValidationFailed
from shared.request_types import JsonInt
from shared.store.executions import ExecutionItem
from shared.store.tenant_scoped import Page, TenantContext, get_together
from shared.store.triggers import HookItem, Hooks
from shared.store.workflows import WorkflowItem, Workflows
from shared.triggers.webhook_secrets import decrypt_secret, encrypt_secret
from shared.triggers.webhook_signatures import (
    InvalidWebhookSignature,
    new_webhook_secret,
    verify_github_webhook,
    verify_standard_webhook,
)

_HOOK_ID = re.compile(r"^wh_(?P<tenant>[a-z0-9]{8,40})_[0-9a-f]{20}$")
# A delivery id becomes part of the start's idempotency key, a DynamoDB sort key (at most 1 KB); senders use short
# ids (`msg_<ksuid>`, GitHub's GUIDs).
MAX_DELIVERY_ID_CHARS = 256
_DELIVERY_ID = re.compile(rf"^[\x21-\x7e]{{1,{MAX_DELIVERY_ID_CHARS}}}$")
_DELIVERY_ID_HEADERS = ("webhook-id", "x-github-delivery")
# The workflow each endpoint this container delivered to starts (an endpoint never changes its workflow): its next
# delivery reads the endpoint and the workflow together.
_HOOK_WORKFLOWS: dict[str, str] = {}
_REMEMBERED_HOOKS = 4096


class HookScheme(StrEnum):
    STANDARD = "standard"
    GITHUB = "github"


class ResponseMode(StrEnum):
    ASYNC = "async"
    SYNC = "sync"


class HookCreate(BaseModel):
    workflow_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    scheme: HookScheme = Field(default=HookScheme.STANDARD, description="standard: Standard Webhooks; github: SHA-256")
    response_mode: ResponseMode = Field(
        default=ResponseMode.ASYNC, description="sync: the workflow's output is the HTTP response"
    )
    response_timeout_seconds: JsonInt = Field(default=10, ge=1, le=25, description="How long sync mode waits")


class Hook(BaseModel):
    hook_id: str
    url: str = Field(
        description="Where deliveries are POSTed, relative to the delivery URL: the API's own under forge dev, in the "
        "cloud the webhooks function's URL (stack output DeliveryUrl)"
    )
    workflow_id: str
    name: str
    scheme: HookScheme
    response_mode: ResponseMode
    response_timeout_seconds: int
    active_secrets: int
    enabled: bool = Field(description="A paused endpoint (by quality control) refuses deliveries with 409")
    created_at: datetime


class HookWithSecret(Hook):
    secret: str = Field(description="Shown once: sign deliveries with it")


class HookPage(BaseModel):
    items: list[Hook]
    next_cursor: str | None = None


class SecretRotation(BaseModel):
    overlap_seconds: JsonInt = Field(
        default=86_400, ge=0, le=7 * 86_400, description="How long the current secret stays valid beside the new one"
    )


class DeliveryAccepted(BaseModel):
    execution_id: str
    status: ExecutionStatus
    replayed: bool = Field(description="True when this webhook id was delivered before: nothing new was started")


class WorkflowRunFailed(ProblemError):
    status = 502
    slug = "workflow-run-failed"
    title = "The workflow behind this webhook failed"


def hook_path(hook_id: str) -> str:
    return f"/v1/hooks/{hook_id}"


def _to_model(item: HookItem, now: float | None = None) -> Hook:
    return Hook(
        hook_id=item.hook_id,
        url=hook_path(item.hook_id),
        workflow_id=item.workflow_id,
        name=item.name,
        scheme=HookScheme(item.scheme),
        response_mode=ResponseMode(item.response_mode),
        response_timeout_seconds=int(item.response_timeout_seconds),
        active_secrets=len(_active_entries(item, now or time.time())),
        enabled=bool(item.enabled),
        created_at=item.created_at,
    )


def set_hooks_enabled(
    tenant: TenantContext, workflow_id: str, *, enabled: bool, only: set[str] | None = None
) -> list[str]:
    """Enables or disables the workflow's webhook endpoints (those in `only`, when given); the ids it changed."""
    changed = []
    for item in Hooks(tenant).of_workflow(workflow_id):
        if bool(item.enabled) != enabled and (only is None or item.hook_id in only):
            item.update(actions=[HookItem.enabled.set(enabled)])
            changed.append(str(item.hook_id))
    return changed


def _active_entries(item: HookItem, now: float) -> list[dict[str, Any]]:
    return [entry for entry in item.secrets if entry.get("expires_at") is None or entry["expires_at"] > now]


def create_hook(tenant: TenantContext, request: HookCreate, created_by: str) -> HookWithSecret:
    if Workflows(tenant).get(request.workflow_id) is None:
        raise NotFound(f"No workflow {request.workflow_id!r}")
    hook_id = f"wh_{tenant.tenant_id}_{secrets.token_hex(10)}"
    secret = new_webhook_secret()
    now = datetime.now(UTC)
    item = Hooks(tenant).new(
        hook_id,
        hook_id=hook_id,
        workflow_id=request.workflow_id,
        name=request.name,
        scheme=request.scheme.value,
        response_mode=request.response_mode.value,
        response_timeout_seconds=request.response_timeout_seconds,
        secrets=[_secret_entry(secret, tenant, hook_id, now.timestamp())],
        created_at=now,
        created_by=created_by,
    )
    Hooks(tenant).create(item)
    return HookWithSecret(**_to_model(item).model_dump(), secret=secret)


def _secret_entry(secret: str, tenant: TenantContext, hook_id: str, now: float) -> dict[str, Any]:
    return {"ciphertext": encrypt_secret(secret, tenant.tenant_id, hook_id), "created_at": int(now), "expires_at": None}


def find_hook(tenant: TenantContext, hook_id: str) -> HookItem:
    item = Hooks(tenant).get(hook_id) if _HOOK_ID.match(hook_id) else None
    if item is None:
        raise NotFound(f"No webhook endpoint {hook_id!r}")
    return item


def get_hook(tenant: TenantContext, hook_id: str) -> Hook:
    return _to_model(find_hook(tenant, hook_id))


def list_hooks(tenant: TenantContext, *, limit: int, cursor: str | None) -> HookPage:
    page: Page[HookItem] = Hooks(tenant).page(limit=limit, cursor=cursor)
    return HookPage(items=[_to_model(item) for item in page.items], next_cursor=page.next_cursor)


def delete_hook(tenant: TenantContext, hook_id: str) -> None:
    Hooks(tenant).delete(find_hook(tenant, hook_id))


def rotate_secret(tenant: TenantContext, hook_id: str, rotation: SecretRotation) -> HookWithSecret:
    """A new secret, valid at once; the current ones stay valid for `overlap_seconds`, then stop verifying."""
    item = find_hook(tenant, hook_id)
    now = time.time()
    kept = []
    for entry in _active_entries(item, now):
        ends = now + rotation.overlap_seconds
        kept.append({**entry, "expires_at": min(entry["expires_at"] or ends, ends)})
    secret = new_webhook_secret()
    item.secrets = [_secret_entry(secret, tenant, hook_id, now), *kept]
    Hooks(tenant).save(item)
    return HookWithSecret(**_to_model(item, now).model_dump(), secret=secret)


def receive_delivery(
    hook_id: str, headers: Mapping[str, str], body: bytes, *, after_end: EndFollowUp, now: float | None = None
) -> tuple[HookItem, ExecutionItem, bool]:
    """Verifies the delivery and starts the workflow once per delivery id: (endpoint, execution, started now). In
    sync mode the execution is followed to its end, at most the endpoint's timeout, and `after_end` runs on each
    status change the synchronous run applied."""
    match = _HOOK_ID.match(hook_id)
    if match is None:
        raise NotFound(f"No webhook endpoint {hook_id!r}")
    tenant = TenantContext(match["tenant"])
    hook, workflow = _hook_and_workflow(tenant, hook_id)
    moment = time.time() if now is None else now
    active = [decrypt_secret(entry["ciphertext"], tenant.tenant_id, hook_id) for entry in _active_entries(hook, moment)]
    lowered = {name.lower(): value for name, value in headers.items()}
    _check_delivery_ids(lowered)
    if hook.scheme == HookScheme.GITHUB.value:
        verify_github_webhook(active, lowered, body)
        delivery_id = lowered.get("x-github-delivery", "")
        if not delivery_id:
            raise InvalidWebhookSignature("Missing header: X-GitHub-Delivery (each delivery runs once per id)")
    else:
        delivery_id = verify_standard_webhook(active, lowered, body, moment).message_id
    if not hook.enabled:
        # Told only to a caller that signed the delivery: an endpoint's state is not public.
        raise Conflict(f"Webhook endpoint {hook_id} is paused: its workflow's quality policy paused its triggers")
    request = StartRequest(
        workflow_id=hook.workflow_id,
        input={"body": _body_value(body), "webhook": {"hook_id": hook_id, "delivery_id": delivery_id}},
        trigger=Trigger.WEBHOOK,
        source=hook_id,
        idempotency_key=f"webhook:{hook_id}:{delivery_id}",
        workflow=workflow,
    )
    if hook.response_mode == ResponseMode.SYNC.value:
        return hook, *_started_and_followed(tenant, request, int(hook.response_timeout_seconds), moment, after_end)
    item, started = start_or_replay(tenant, request, now=datetime.fromtimestamp(moment, UTC))
    return hook, item, started


def _hook_and_workflow(tenant: TenantContext, hook_id: str) -> tuple[HookItem, WorkflowItem | None]:
    """The endpoint, and its workflow's item when this container knows which workflow that is: one round trip."""
    workflow_id = _HOOK_WORKFLOWS.get(hook_id)
    if workflow_id is None:
        hook = find_hook(tenant, hook_id)
        if len(_HOOK_WORKFLOWS) >= _REMEMBERED_HOOKS:
            _HOOK_WORKFLOWS.clear()
        _HOOK_WORKFLOWS[hook_id] = str(hook.workflow_id)
        return hook, None
    found, workflow = get_together((Hooks(tenant), hook_id), (Workflows(tenant), workflow_id))
    if found is None:
        _HOOK_WORKFLOWS.pop(hook_id, None)
        raise NotFound(f"No webhook endpoint {hook_id!r}")
    return found, workflow


def _started_and_followed(
    tenant: TenantContext, request: StartRequest, wait_seconds: int, moment: float, after_end: EndFollowUp
) -> tuple[ExecutionItem, bool]:
    """Sync mode: an express workflow runs synchronously; a standard one is waited for on its status change."""
    followed = start_and_follow(tenant, request, wait_seconds, now=datetime.fromtimestamp(moment, UTC))
    for change in followed.changes:
        after_end(change)
    return followed.record, followed.started


def _check_delivery_ids(headers: Mapping[str, str]) -> None:
    """A delivery id that could not be stored is a 422 naming its header, before anything is written."""
    invalid = [
        InvalidParam(name=f"/header/{name}", reason=f"must be 1 to {MAX_DELIVERY_ID_CHARS} visible ASCII characters")
        for name in _DELIVERY_ID_HEADERS
        if headers.get(name) and not _DELIVERY_ID.match(headers[name])
    ]
    if invalid:
        raise ValidationFailed(invalid)


def _body_value(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


def sync_output(execution: ExecutionItem) -> tuple[bool, Any]:
    """Sync mode: (True, output) for an execution that succeeded; (False, None) for one still running after the
    endpoint's timeout; a failed execution is a 502 problem naming it."""
    if not has_ended(execution):
        return False, None
    if execution.status != ExecutionStatus.SUCCEEDED.value:
        raise WorkflowRunFailed(
            f"Execution {execution.execution_id} ended {execution.status}: {execution.error or ''} "
            f"{execution.cause or ''}".strip(),
            execution_id=execution.execution_id,
        )
    return True, execution_of(execution).output
