"""Headers of http_request nodes and credentials: names compared as a server reads them, no control characters."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shared.credentials.service import CredentialCreate
from shared.workflows.http_node import HttpNodeEvent, HttpRequestInvalid, TenantHttpPolicy, make_request
from tests.workflows.cases import chain, node
from tests.workflows.support import validate


def _findings(headers: dict[str, str]) -> dict[str, str]:
    nodes = [node("start", "manual"), node("call", "http_request", url="https://example.com", headers=headers)]
    result = validate({"name": "headers", "nodes": nodes, "edges": chain("start", "call")})
    return {finding.pointer: finding.reason for finding in result.findings}


@pytest.mark.parametrize("name", ["Authorization ", "Authorization\t", " authorization", "X-API-KEY\t", "Cookie  "])
def test_a_secret_header_with_surrounding_whitespace_is_still_refused_as_inline(name: str) -> None:
    assert "credential" in _findings({name: "Bearer inline-secret"})["/nodes/1/params"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Trace": "a\r\nX-Injected: 1"},
        {"X-Trace": "a\nb"},
        {"X-Trace": "a\x00b"},
        {"X-Trace": "a\x1bb"},
        {"X-Trace\r\nX-Injected": "1"},
        {"X Trace": "1"},
    ],
)
def test_control_characters_in_header_names_or_values_are_a_finding_at_the_params(headers: dict[str, str]) -> None:
    reason = _findings(headers)["/nodes/1/params"]
    assert "control character" in reason or "whitespace" in reason


def test_tabs_in_values_and_multi_line_expressions_are_fine() -> None:
    assert _findings({"X-Trace": "a\tb", "X-Order": "{% $string(\n  $states.input.order\n) %}"}) == {}


def test_a_header_value_an_expression_evaluated_with_a_line_break_fails_the_node_not_the_function() -> None:
    event = HttpNodeEvent.model_validate(
        {
            "tenant_id": "tenant0001",
            "workflow_id": "wf",
            "node_id": "call",
            "request": {"url": "http://127.0.0.1:9/", "headers": {"X-Order": "7\r\nX-Injected: 1"}},
        }
    )
    with pytest.raises(HttpRequestInvalid, match="control character"):
        make_request(event, TenantHttpPolicy(allowed_hosts=frozenset({"127.0.0.1"})))


@pytest.mark.parametrize(
    "secret",
    [
        {"kind": "api_key_header", "header": "X-API-Key ", "value": "v"},
        {"kind": "api_key_header", "header": "X-API-Key", "value": "v\x01"},
        {"kind": "custom_headers", "headers": {"X-Sig": "a\x7fb"}},
        {"kind": "basic", "username": "svc\x1b", "password": "p"},
    ],
)
def test_credentials_refuse_control_characters_and_whitespace_in_names(secret: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CredentialCreate.model_validate({"name": "partner", "secret": secret})
