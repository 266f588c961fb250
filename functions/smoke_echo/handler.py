from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics, tracer
from shared.platform.greeting import GreetingRequest, greet


@logger.inject_lambda_context(correlation_id_path="correlation_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=GreetingRequest)
def handler(event: GreetingRequest, context: LambdaContext) -> dict[str, Any]:
    greeting = greet(event, function_name=context.function_name, request_id=context.aws_request_id)
    metrics.add_metric(name="SmokeGreetings", unit="Count", value=1)
    return greeting.model_dump(mode="json")
