"""Who is calling: a member of one tenant with a role, or a platform admin outside every tenant."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Re-exported: the roles are declared with the route policies that name them.
from shared.access import Role as Role


def lower_role(first: Role, second: Role) -> Role:
    return first if first.rank <= second.rank else second


class AuthMethod(StrEnum):
    API_KEY = "api_key"
    JWT = "jwt"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller; `tenant_id` and `role` are None only for a platform admin."""

    subject: str
    method: AuthMethod
    tenant_id: str | None = None
    role: Role | None = None
    is_platform_admin: bool = False

    def __post_init__(self) -> None:
        if not self.is_platform_admin and (self.tenant_id is None or self.role is None):
            raise ValueError("a tenant principal needs a tenant and a role")
