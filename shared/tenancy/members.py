"""Members of a tenant and their roles; nobody grants a role above their own, and a tenant keeps an owner."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field
from pynamodb.exceptions import PutError

from shared.auth.principal import Principal, Role
from shared.auth.role_ceiling import require_within_caller_role
from shared.problems import Conflict, NotFound
from shared.store.tenancy import MemberItem, Members
from shared.store.tenant_scoped import TenantContext


class MemberCreate(BaseModel):
    subject: str = Field(min_length=1, max_length=128, description="The user's id at the identity provider (`sub`)")
    email: str | None = Field(default=None, max_length=254)
    role: Role


class MemberUpdate(BaseModel):
    role: Role


class Member(BaseModel):
    subject: str
    email: str | None
    role: Role
    created_at: datetime
    updated_at: datetime


class MemberPage(BaseModel):
    items: list[Member]
    next_cursor: str | None


def _to_model(item: MemberItem) -> Member:
    return Member(
        subject=item.subject,
        email=item.email,
        role=Role(item.role),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _member(tenant: TenantContext, subject: str) -> MemberItem:
    item = Members(tenant).get(subject, consistent=True)
    if item is None:
        raise NotFound(f"No member {subject!r} in this tenant")
    return item


def add_member(tenant: TenantContext, request: MemberCreate, principal: Principal) -> Member:
    require_within_caller_role(principal, request.role, "add a member")
    now = datetime.now(UTC)
    members = Members(tenant)
    item = members.new(
        request.subject,
        subject=request.subject,
        email=request.email,
        role=request.role.value,
        created_at=now,
        updated_at=now,
    )
    try:
        members.create(item)
    except PutError as error:
        raise Conflict(f"{request.subject!r} is already a member") from error
    return _to_model(item)


def get_member(tenant: TenantContext, subject: str) -> Member:
    return _to_model(_member(tenant, subject))


def list_members(tenant: TenantContext, *, limit: int, cursor: str | None) -> MemberPage:
    page = Members(tenant).page(limit=limit, cursor=cursor)
    return MemberPage(items=[_to_model(item) for item in page.items], next_cursor=page.next_cursor)


def _keep_an_owner(tenant: TenantContext, item: MemberItem) -> None:
    if item.role != Role.OWNER:
        return
    owners = [other for other in MemberItem.query(Members(tenant).partition) if other.role == Role.OWNER]
    if len(owners) <= 1:
        raise Conflict("A tenant keeps at least one owner")


def change_member_role(tenant: TenantContext, subject: str, update: MemberUpdate, principal: Principal) -> Member:
    item = _member(tenant, subject)
    require_within_caller_role(principal, Role(item.role), "change the role of a member")
    require_within_caller_role(principal, update.role, "make a member")
    if update.role != Role.OWNER:
        _keep_an_owner(tenant, item)
    item.role = update.role.value
    item.updated_at = datetime.now(UTC)
    Members(tenant).save(item)
    return _to_model(item)


def remove_member(tenant: TenantContext, subject: str, principal: Principal) -> None:
    item = _member(tenant, subject)
    require_within_caller_role(principal, Role(item.role), "remove a member")
    _keep_an_owner(tenant, item)
    Members(tenant).delete(item)
