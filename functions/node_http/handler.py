from typing import Any

from shared.workflows.http_node import HttpNodeEvent, load_tenant_http_policy, make_request


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = HttpNodeEvent.model_validate(event)
    return make_request(request, load_tenant_http_policy(request.tenant_id))
