"""The approvals queue → one pending approval per request; a message that fails stays for a retry, alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from shared.approvals.intake import UnacceptableRequest, record_approval_request
from shared.approvals.model import ApprovalRequest

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_message(record: SQSRecord) -> None:
    try:
        request = ApprovalRequest.model_validate_json(record.body)
    except ValidationError as error:
        # Only where it is wrong: the message's values include the task token, which no log may hold.
        fields = ", ".join(".".join(str(part) for part in detail["loc"]) or "body" for detail in error.errors())
        raise UnacceptableRequest(f"not an approval request ({fields})") from None
    sent_at = datetime.fromtimestamp(int(record.attributes.sent_timestamp) / 1000, tz=UTC)
    recorded = record_approval_request(request, sent_at)
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
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_message, processor=processor, context=context)
