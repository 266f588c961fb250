"""Recording the requests `approval` nodes send to the approvals queue: one pending approval per request.

A request is recorded under an id derived from its task token and the time it was sent, with a conditional put,
so a redelivered message finds its approval already there and records nothing. The task token is encrypted with
the approval's tenant and id as context before it is stored; no API response ever carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError

from shared.approvals.model import ApprovalRequest, ApprovalStatus, approval_id_for
from shared.crypto.secret_box import seal
from shared.executions.naming import ExecutionName
from shared.executions.payloads import RECORD_INLINE_LIMIT, encode_payload, payload_key, store_payload
from shared.store.approvals import ApprovalItem, Approvals
from shared.store.tenant_scoped import TenantContext


class UnacceptableRequest(ValueError):
    """A message no retry can record (not from a platform execution, or naming another tenant)."""


@dataclass(frozen=True)
class RecordedApproval:
    item: ApprovalItem
    created: bool


def token_context(tenant_id: str, approval_id: str) -> dict[str, str]:
    """What the task token's ciphertext is bound to: a copy in another approval or tenant does not decrypt."""
    return {"tenant_id": tenant_id, "approval_id": approval_id}


def approval_expiry(request: ApprovalRequest, sent_at: datetime) -> datetime:
    """When the node's TimeoutSeconds runs out, so the execution never times out while its approval looks pending.

    The timer starts as the node's state is entered, a moment before the request is sent. The entered time counts
    for the state's first attempt only (a retried attempt keeps it but starts its timer later), and never after the
    send; without it (a machine compiled before), or on a retry, the approval's time counts from the send.
    """
    lifetime = timedelta(seconds=request.expires_in_seconds)
    if request.state_entered_at is None or request.state_retry_count != 0:
        return sent_at + lifetime
    return min(request.state_entered_at, sent_at) + lifetime


def record_approval_request(request: ApprovalRequest, sent_at: datetime) -> RecordedApproval:
    name = ExecutionName.parse(request.execution_id.rsplit(":", 1)[-1])
    if name is None:
        raise UnacceptableRequest(f"{request.execution_id} is not an execution the platform started")
    if name.tenant_id != request.tenant_id:
        raise UnacceptableRequest(f"{request.execution_id} belongs to another tenant than the request names")
    tenant = TenantContext(name.tenant_id)
    approval_id = approval_id_for(request.task_token, sent_at)
    repository = Approvals(tenant)
    item: ApprovalItem = repository.new(
        approval_id,
        approval_id=approval_id,
        workflow_id=request.workflow_id,
        execution_id=name.execution_id,
        execution_arn=request.execution_id,
        node_id=request.node_id,
        message=request.message,
        approvers=request.approvers,
        status=ApprovalStatus.PENDING.value,
        created_at=sent_at,
        expires_at=approval_expiry(request, sent_at),
        task_token=seal(request.task_token, token_context(tenant.tenant_id, approval_id)),
    )
    encoded = encode_payload(request.input)
    if len(encoded) > RECORD_INLINE_LIMIT:
        item.input_ref = payload_key(tenant, name.execution_id, f"approval-{approval_id}-input")
        store_payload(item.input_ref, encoded)
    else:
        item.input = request.input
    try:
        repository.create(item)
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        # A redelivery (or a concurrent delivery) of a message already recorded.
        return RecordedApproval(repository.get(approval_id, consistent=True) or item, created=False)
    return RecordedApproval(item, created=True)
