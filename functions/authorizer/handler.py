"""API Gateway's Lambda authorizer: the usage plan key that meters a request (shared/auth/gateway_authorizer.py)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.auth.gateway_authorizer import authorize_gateway_request
from shared.observability import logger


# The API request's id, the same in the authorizer's and the route's logs.
@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return authorize_gateway_request(event)
