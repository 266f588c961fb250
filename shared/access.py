"""Who may call a route: the members' roles and a route's policy, declared beside the route in the catalog
(shared/catalog.py), from which shared/auth/permissions.py derives the permission table."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Caller(Protocol):
    """What a policy reads of an authenticated caller (shared.auth.principal.Principal)."""

    @property
    def is_platform_admin(self) -> bool: ...

    @property
    def role(self) -> Role | None: ...


@dataclass(frozen=True)
class RoutePolicy:
    """Who may call a route: anyone (public), platform admins, and/or members of the tenant with these roles."""

    public: bool = False
    platform_admin: bool = False
    roles: frozenset[Role] = frozenset()

    def allows(self, caller: Caller) -> bool:
        if caller.is_platform_admin:
            return self.platform_admin
        return caller.role in self.roles


PUBLIC = RoutePolicy(public=True)
PLATFORM_ADMIN = RoutePolicy(platform_admin=True)


def members(minimum: Role, *, platform_admin: bool = False) -> RoutePolicy:
    """Members of the tenant whose role is `minimum` or higher."""
    return RoutePolicy(platform_admin=platform_admin, roles=frozenset(role for role in Role if role.at_least(minimum)))
