from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.metrics import SMOKE_GREETINGS
from shared.observability import log_failures, logger, metrics
from shared.platform.greeting import GreetingRequest, greet


@logger.inject_lambda_context(correlation_id_path="correlation_id")
@metrics.log_metrics
@log_failures
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = GreetingRequest.model_validate(event)
    greeting = greet(request, function_name=context.function_name, request_id=context.aws_request_id)
    metrics.add_metric(name=SMOKE_GREETINGS, unit="Count", value=1)
    return greeting.model_dump(mode="json")
