"""The built-in smoke workflow through the HTTP API, in-process against the emulation."""

from __future__ import annotations

import base64
import json

from fastapi.testclient import TestClient

from devserver.api import create_platform_api
from devserver.lambda_runtime import LocalLambdaRuntime
from tests.helpers import wait_until


def test_smoke_run_succeeds_with_the_real_handler_output(
    emulated_aws: LocalLambdaRuntime, admin_headers: dict[str, str]
) -> None:
    client = TestClient(create_platform_api(), headers=admin_headers)
    started = client.post("/v1/platform/smoke-runs", json={"name": "Ada"})
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]

    finished = wait_until(
        lambda: client.get(f"/v1/platform/smoke-runs/{run_id}").json(), lambda run: run["status"] != "RUNNING"
    )
    assert finished["status"] == "SUCCEEDED"
    assert finished["output"]["greeting"] == "Hello, Ada!"
    assert finished["output"]["function_name"] == "nexus-forge-local-smoke-echo"
    assert finished["stopped_at"] is not None


def test_unknown_smoke_run_is_a_404_problem(emulated_aws: LocalLambdaRuntime, admin_headers: dict[str, str]) -> None:
    response = TestClient(create_platform_api(), headers=admin_headers).get("/v1/platform/smoke-runs/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "does-not-exist" in response.json()["detail"]


def _api_gateway_event(method: str, path: str, body: dict | None = None, headers: dict | None = None) -> dict:
    encoded = base64.b64encode(json.dumps(body).encode()).decode() if body is not None else None
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json", "host": "api.example.test", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "req-1",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": encoded,
        "isBase64Encoded": encoded is not None,
    }


def test_the_http_lambda_handlers_serve_their_own_routes(
    emulated_aws: LocalLambdaRuntime, admin_headers: dict[str, str]
) -> None:
    from devserver.lambda_runtime import LocalLambdaContext
    from functions.platform_meta.handler import handler as meta_handler
    from functions.platform_smoke.handler import handler as smoke_handler

    lambda_context = LocalLambdaContext("nexus-forge-local-platform-meta", "arn:aws:lambda:::function:x", 512, 10)
    health = meta_handler(_api_gateway_event("GET", "/v1/health"), lambda_context)
    assert health["statusCode"] == 200
    assert json.loads(health["body"]) == {"status": "ok", "stage": "local"}

    started = smoke_handler(
        _api_gateway_event("POST", "/v1/platform/smoke-runs", {"name": "Lambda"}, admin_headers), lambda_context
    )
    assert started["statusCode"] == 202
    assert json.loads(started["body"])["input"] == {"name": "Lambda"}

    elsewhere = meta_handler(_api_gateway_event("GET", "/v1/platform/smoke-runs/x"), lambda_context)
    assert elsewhere["statusCode"] == 404
    assert elsewhere["headers"]["content-type"] == "application/problem+json"
    assert json.loads(elsewhere["body"])["correlation_id"] == lambda_context.aws_request_id
