"""`http_request`: a Task invoking the `node_http` function, which makes the request (timeouts, size limit, SSRF guard).

Credentials travel by reference: the state names a tenant credential, the function resolves it at run time.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from shared.header_rules import header_name_error, header_value_error, normalised_header_name
from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring, expression, template_expression

# Headers that carry secrets: they must come from a credential reference, never sit in the definition.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token"})
MAX_RESPONSE_BYTES = 250_000  # Step Functions passes at most 256 KiB between states


class HttpRequestParams(NodeParams):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    url: str = Field(min_length=1, max_length=8_192, description="An http(s) URL or a `{% … %}` expression")
    headers: dict[str, str] = Field(default_factory=dict, max_length=50)
    query: dict[str, str] = Field(default_factory=dict, max_length=100)
    body: Any = Field(default=None, description="A JSON value; strings may be `{% … %}` expressions")
    credential: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_.-]{1,128}$", description="Name of a tenant credential to authenticate with"
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    max_response_bytes: int = Field(default=MAX_RESPONSE_BYTES, ge=1, le=MAX_RESPONSE_BYTES)
    response_format: Literal["auto", "json", "text"] = "auto"

    @model_validator(mode="after")
    def _no_inline_secrets(self) -> HttpRequestParams:
        inlined = sorted(repr(name) for name in self.headers if normalised_header_name(name) in SECRET_HEADERS)
        if inlined:
            raise ValueError(f"header(s) {', '.join(inlined)} carry secrets: name a `credential` instead")
        malformed = [
            reason
            for name, value in self.headers.items()
            for reason in (
                header_name_error(name),
                None if template_expression(value) is not None else header_value_error(name, value),
            )
            if reason is not None
        ]
        if malformed:
            raise ValueError("; ".join(malformed))
        if template_expression(self.url) is None and not self.url.lower().startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https:// (or be a `{% … %}` expression)")
        return self


class HttpRequestNode(NodeType[HttpRequestParams]):
    type = "http_request"
    summary = "Makes an HTTP request through the platform's guarded HTTP function"
    params_model = HttpRequestParams
    handles_errors = True
    supports_timeout = True
    function = "node_http"

    def emit(self, params: HttpRequestParams, wiring: Wiring) -> States:
        request = params.model_dump(mode="json", exclude_none=True)
        payload = {
            "tenant_id": wiring.target.tenant_id,
            "workflow_id": wiring.target.workflow_id,
            "node_id": wiring.node.id,
            "execution_id": expression("$states.context.Execution.Id"),
            "request": request,
        }
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": self.function_arn(wiring), "Payload": payload},
            "Output": expression("$states.result.Payload"),
        }
        return {wiring.node.id: {**state, **wiring.error_handling, **wiring.transition()}}


NODE_TYPE = HttpRequestNode()
