"""API Gateway's Lambda authorizer: the usage plan key that meters a request (shared/auth/gateway_authorizer.py)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.auth.gateway_authorizer import authorize_gateway_request
from shared.observability import logger


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return authorize_gateway_request(event)
