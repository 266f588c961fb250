"""Webhook deliveries through the webhooks function's Lambda function URL: the real handler given the events a
function URL sends (payload format 2.0), as in the cloud (infra/constructs/delivery_url.py)."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi.testclient import TestClient

from devserver.lambda_runtime import LocalLambdaContext
from functions.webhooks.handler import handler as webhooks
from shared.auth.principal import Role
from tests.integration.executions.test_sync_deliveries import echo_sync_hook
from tests.integration.executions.test_webhooks import executions, make_hook, signed_headers
from tests.integration.tenancy.conftest import TenantWorld

URL_ID = "abcdefghijklmnopqrstuvwxyz012345"
URL_HOST = f"{URL_ID}.lambda-url.us-east-1.on.aws"


def function_url_event(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> dict[str, Any]:
    """A function URL's request event with AuthType NONE ("Invoking Lambda function URLs", request payload format)."""
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": URL_HOST, "x-forwarded-proto": "https", "x-forwarded-port": "443", **headers},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": URL_ID,
            "domainName": URL_HOST,
            "domainPrefix": URL_ID,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "sender/1.0",
            },
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    context = LocalLambdaContext("nexus-forge-local-webhooks", "arn:aws:lambda:::function:webhooks:live", 512, 29)
    answer: dict[str, Any] = webhooks(event, context)
    return answer


def test_a_signed_delivery_through_the_function_url_starts_the_workflow(api: TestClient, alpha: TenantWorld) -> None:
    hook = make_hook(api, alpha)
    body = b'{"order": 7}'

    answer = invoke(function_url_event("POST", hook["url"], signed_headers(hook["secret"], body), body))

    assert answer["statusCode"] == 202, answer
    assert json.loads(answer["body"])["replayed"] is False
    assert [(run["trigger"], run["source"]) for run in executions(api, alpha)] == [("webhook", hook["hook_id"])]


def test_a_sync_delivery_through_the_function_url_answers_with_the_workflows_output(
    api: TestClient, alpha: TenantWorld
) -> None:
    hook = echo_sync_hook(api, alpha)
    body = b'{"order": 3}'

    answer = invoke(function_url_event("POST", hook["url"], signed_headers(hook["secret"], body), body))

    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"]) == {"echo": {"order": 3}}
    (run,) = executions(api, alpha)
    assert answer["headers"]["location"] == f"/v1/executions/{run['execution_id']}"


def test_a_forged_delivery_through_the_function_url_is_a_401_problem_and_starts_nothing(
    api: TestClient, alpha: TenantWorld
) -> None:
    hook = make_hook(api, alpha)
    body = b'{"order": 7}'

    answer = invoke(function_url_event("POST", hook["url"], signed_headers("whsec_" + "A" * 44, body), body))

    assert answer["statusCode"] == 401
    assert answer["headers"]["content-type"] == "application/problem+json"
    assert json.loads(answer["body"])["type"].endswith("/invalid-webhook-signature")
    assert executions(api, alpha) == []


def test_the_function_url_serves_no_management_route_even_to_a_member(api: TestClient, alpha: TenantWorld) -> None:
    """No usage plan or firewall stands before a function URL: the authorized routes stay on the API's own URL."""
    hook = make_hook(api, alpha)
    editor = alpha.headers[Role.EDITOR]

    listed = invoke(function_url_event("GET", "/v1/hooks", editor))
    deleted = invoke(function_url_event("DELETE", hook["url"], editor))

    assert listed["statusCode"] == 404 and deleted["statusCode"] == 404
    problem = json.loads(listed["body"])
    assert problem["detail"] == "GET /v1/hooks is served on the platform's API URL, not this function URL"
    # The same credential on the API's URL still manages the endpoint, which the refused DELETE left in place.
    assert api.get(hook["url"], headers=editor).status_code == 200
