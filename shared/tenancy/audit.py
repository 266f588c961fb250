"""The audit log: who changed what in which tenant, from where; tenants read their own, newest first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from shared.auth.principal import Principal
from shared.store.audit import AuditEventItem, AuditEvents, PlatformAuditEventItem
from shared.store.tenant_scoped import TenantContext


class AuditEvent(BaseModel):
    event_id: str
    tenant_id: str
    actor: str
    actor_method: str
    action: str
    target: str
    status_code: int
    occurred_at: datetime
    request_id: str
    source_ip: str | None


class AuditEventPage(BaseModel):
    items: list[AuditEvent]
    next_cursor: str | None


def record_audit_event(
    principal: Principal,
    *,
    tenant_id: str,
    action: str,
    target: str,
    status_code: int,
    request_id: str,
    source_ip: str | None,
    platform: bool = False,
) -> None:
    """`platform`: into the platform's log, outside the tenant's partitions (an action that removes them)."""
    occurred_at = datetime.now(UTC)
    event_id = uuid.uuid4().hex
    sort_key = f"{occurred_at.isoformat()}#{event_id}"
    fields: dict[str, Any] = {
        "event_id": event_id,
        "actor": principal.subject,
        "actor_method": principal.method.value,
        "action": action,
        "target": target,
        "status_code": status_code,
        "occurred_at": occurred_at,
        "request_id": request_id,
        "source_ip": source_ip,
    }
    if platform:
        PlatformAuditEventItem(sk=sort_key, tenant_id=tenant_id, **fields).save(
            condition=PlatformAuditEventItem.sk.does_not_exist()
        )
        return
    events = AuditEvents(TenantContext(tenant_id))
    events.append(events.new(sort_key, **fields))


def _to_model(tenant_id: str, item: AuditEventItem) -> AuditEvent:
    return AuditEvent(
        event_id=item.event_id,
        tenant_id=tenant_id,
        actor=item.actor,
        actor_method=item.actor_method,
        action=item.action,
        target=item.target,
        status_code=int(item.status_code),
        occurred_at=item.occurred_at,
        request_id=item.request_id,
        source_ip=item.source_ip,
    )


def list_audit_events(tenant: TenantContext, *, limit: int, cursor: str | None) -> AuditEventPage:
    page = AuditEvents(tenant).newest_first(limit=limit, cursor=cursor)
    return AuditEventPage(
        items=[_to_model(tenant.tenant_id, item) for item in page.items], next_cursor=page.next_cursor
    )
