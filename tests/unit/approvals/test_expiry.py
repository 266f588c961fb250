"""When an approval expires: as its node's TimeoutSeconds runs out, which counts from when the state was entered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.approvals.intake import approval_expiry
from shared.approvals.model import ApprovalRequest

SENT = datetime(2026, 12, 6, 11, 2, 9, 400_000, tzinfo=UTC)
HOUR = timedelta(hours=1)


def request(**changes: Any) -> ApprovalRequest:
    fields = {
        "task_token": "token",
        "tenant_id": "tenant0001",
        "workflow_id": "w1",
        "node_id": "sign_off",
        "execution_id": "arn:aws:states:us-east-1:123456789012:execution:m:run",
        "message": "Ship it?",
        "expires_in_seconds": 3600,
    }
    return ApprovalRequest.model_validate(fields | changes)


def test_the_approval_expires_when_the_node_times_out_counted_from_the_state_s_entry() -> None:
    entered = request(state_entered_at="2026-12-06T11:02:09.123Z", state_retry_count=0)

    assert approval_expiry(entered, SENT) == datetime(2026, 12, 6, 12, 2, 9, 123_000, tzinfo=UTC)


def test_an_entered_time_after_the_send_counts_from_the_send() -> None:
    ahead = request(state_entered_at="2026-12-06T11:02:10.000Z", state_retry_count=0)

    assert approval_expiry(ahead, SENT) == SENT + HOUR


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="a machine compiled before sends neither"),
        # A retried attempt keeps the state's entered time but starts its own timer later.
        pytest.param({"state_entered_at": "2026-12-06T10:00:00.000Z", "state_retry_count": 1}, id="a retry"),
        pytest.param({"state_entered_at": "2026-12-06T11:02:09.123Z"}, id="no retry count"),
    ],
)
def test_without_the_first_attempt_s_entered_time_the_approval_counts_from_the_send(changes: dict[str, Any]) -> None:
    assert approval_expiry(request(**changes), SENT) == SENT + HOUR


def test_an_entered_time_without_a_time_zone_is_not_a_request() -> None:
    with pytest.raises(ValidationError, match="state_entered_at"):
        request(state_entered_at="2026-12-06T11:02:09.123", state_retry_count=0)
