"""The approvals queue → one pending approval per request; a message that fails stays for a retry, alone."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from shared.approvals.intake import UnacceptableRequest, record_approval_request
from shared.approvals.model import ApprovalRequest
from shared.aws.sqs import PartialBatchResponse, SqsRecord, process_partial_batch

logger = Logger()


def record_message(record: SqsRecord) -> None:
    try:
        request = ApprovalRequest.model_validate_json(record.body)
    except ValidationError as error:
        # Only where it is wrong: the message's values include the task token, which no log may hold.
        fields = ", ".join(".".join(str(part) for part in detail["loc"]) or "body" for detail in error.errors())
        raise UnacceptableRequest(f"not an approval request ({fields})") from None
    recorded = record_approval_request(request, record.sent_at)
    logger.info(
        "approval recorded" if recorded.created else "approval already recorded",
        extra={
            "tenant_id": request.tenant_id,
            "workflow_id": request.workflow_id,
            "execution_id": recorded.item.execution_id,
            "approval_id": recorded.item.approval_id,
        },
    )


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialBatchResponse:
    return process_partial_batch(event, record_message, logger)
