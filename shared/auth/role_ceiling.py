"""The one rule for acting on what carries a role (an API key, a member): nothing above the caller's own role.

Creating, rotating, revoking, changing and removing a key or a member all ask `require_within_caller_role`, for the
role the key or member has and, when it changes, for the role it gets. An equal role is allowed: an owner manages
other owners, an admin other admins (and may receive an admin key's rotated secret), which gives nobody more than
they already hold. So an admin never touches an owner's key or membership and never makes anyone owner.
"""

from __future__ import annotations

from shared.auth.errors import Forbidden
from shared.auth.principal import Principal, Role


def require_within_caller_role(principal: Principal, role: Role, action: str) -> None:
    """Refuses (403) `action` on, or granting, `role` unless the caller's own role is at least as high."""
    if principal.role is None or not principal.role.at_least(role):
        caller = f"the {principal.role} role" if principal.role is not None else "a platform admin"
        raise Forbidden(f"Callers with {caller} cannot {action} with the {role} role", role=role.value)
