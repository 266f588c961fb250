"""Who may answer an approval, and when it counts as expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.approvals.model import ApprovalStatus, approval_id_for, is_approval_id
from shared.approvals.service import may_answer, status_of
from shared.auth.principal import AuthMethod, Principal, Role
from shared.store.approvals import ApprovalItem


def member(subject: str, role: Role) -> Principal:
    return Principal(subject=subject, method=AuthMethod.JWT, tenant_id="tenant0001", role=role)


@pytest.mark.parametrize(
    ("approvers", "caller", "allowed"),
    [
        ([], member("eve", Role.EDITOR), True),
        (["admin"], member("eve", Role.EDITOR), False),
        (["admin"], member("ada", Role.ADMIN), True),
        (["admin"], member("olga", Role.OWNER), True),
        (["eve"], member("eve", Role.EDITOR), True),
        (["eve"], member("ada", Role.ADMIN), False),
        (["owner", "eve"], member("ada", Role.ADMIN), False),
        # A subject that looks like a role's name in another case is still a subject, not a role.
        (["Admin"], member("ada", Role.ADMIN), False),
    ],
)
def test_a_role_admits_that_role_and_higher_and_anything_else_is_a_subject(approvers, caller, allowed) -> None:
    assert may_answer(caller, approvers) is allowed


def test_a_pending_approval_is_expired_from_its_expiry_on() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    item = ApprovalItem("p", "s", status="pending", created_at=created, expires_at=created + timedelta(hours=1))

    assert status_of(item, created + timedelta(minutes=59)) is ApprovalStatus.PENDING
    assert status_of(item, created + timedelta(hours=1)) is ApprovalStatus.EXPIRED
    item.status = "approved"
    assert status_of(item, created + timedelta(days=2)) is ApprovalStatus.APPROVED


def test_the_approval_id_is_the_same_for_a_redelivery_and_sorts_by_request_time() -> None:
    sent = datetime(2026, 1, 1, tzinfo=UTC)
    first = approval_id_for("token-a", sent)

    assert first == approval_id_for("token-a", sent) and is_approval_id(first)
    assert first != approval_id_for("token-b", sent)
    assert approval_id_for("token-z", sent) < approval_id_for("token-a", sent + timedelta(milliseconds=1))
