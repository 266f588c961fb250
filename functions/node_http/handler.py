from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import log_failures, logger
from shared.workflows.http_node import HttpNodeEvent, load_tenant_http_policy, make_request


@logger.inject_lambda_context(correlation_id_path="execution_id")
@log_failures
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = HttpNodeEvent.model_validate(event)
    return make_request(request, load_tenant_http_policy(request.tenant_id))
