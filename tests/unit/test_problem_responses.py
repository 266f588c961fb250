"""Bad input gets an RFC 9457 problem naming what is wrong, never a stack trace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from shared.http.app import create_api
from shared.problems import Conflict

router = APIRouter()


class Thing(BaseModel):
    name: str = Field(min_length=1)
    size: int = Field(ge=0)


@router.get("/v1/things")
def list_things() -> list[Thing]:
    return []


@router.post("/v1/things")
def create_thing(thing: Thing) -> Thing:
    return thing


@router.put("/v1/echo")
def echo(document: dict[str, Any]) -> dict[str, Any]:
    return document


@router.post("/v1/things/bulk")
def create_things(things: list[Thing]) -> list[Thing]:
    return things


@router.get("/v1/things/{name}")
def read_thing(name: str) -> Thing:
    return Thing(name=name, size=0)


@router.get("/v1/crash")
def crash() -> None:
    raise RuntimeError("secret internals: password=hunter2")


@router.get("/v1/conflict")
def conflict() -> None:
    raise Conflict("The thing is already there")


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_api([router], authorize=False), raise_server_exceptions=False)


def assert_problem(response, status: int, slug: str) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith(f"/problems/{slug}")
    assert body["status"] == status
    assert body["title"]
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    return body


def test_malformed_json_is_a_400_problem(client: TestClient) -> None:
    response = client.post("/v1/things", content=b'{"name": ', headers={"content-type": "application/json"})
    body = assert_problem(response, 400, "malformed-json")
    assert "Invalid JSON" in body["detail"]


def test_wrong_content_type_is_a_415_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/things", content=b"name=x", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    body = assert_problem(response, 415, "unsupported-media-type")
    assert "application/x-www-form-urlencoded" in body["detail"]


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/nothing-here"), 404, "not-found")
    assert body["detail"] == "No route matches GET /v1/nothing-here"


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    assert_problem(client.delete("/v1/things"), 405, "method-not-allowed")


def test_a_405_allows_every_method_of_the_path_not_only_one_route(client: TestClient) -> None:
    response = client.put("/v1/things", json={"name": "x", "size": 1})
    body = assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET, POST"
    assert body["detail"] == "PUT is not allowed on /v1/things; allowed: GET, POST"


def test_a_405_on_a_fixed_path_allows_its_methods_not_those_of_a_template_it_also_matches(client: TestClient) -> None:
    response = client.put("/v1/things/bulk", json=[])
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"


def test_body_over_the_lambda_limit_is_a_413_problem(client: TestClient) -> None:
    oversized = b'{"name": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    body = assert_problem(
        client.post("/v1/things", content=oversized, headers={"content-type": "application/json"}),
        413,
        "payload-too-large",
    )
    assert body["max_bytes"] == 6 * 1024 * 1024


def test_streamed_body_over_the_limit_is_a_413_problem(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(7):
            yield b"x" * (1024 * 1024)

    response = client.post("/v1/things", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(response, 413, "payload-too-large")


def test_validation_errors_name_every_failing_field(client: TestClient) -> None:
    body = assert_problem(client.post("/v1/things", json={"name": "", "size": -1}), 422, "validation-error")
    assert {param["name"] for param in body["invalid-params"]} == {"/body/name", "/body/size"}


def test_a_crash_is_a_500_problem_with_a_correlation_id_and_no_internals(client: TestClient) -> None:
    response = client.get("/v1/crash", headers={"x-correlation-id": "trace-123"})
    body = assert_problem(response, 500, "internal-error")
    assert body["correlation_id"] == "trace-123"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text


def test_domain_errors_map_to_their_problem_type(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/conflict"), 409, "conflict")
    assert body["detail"] == "The thing is already there"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (b'{"ratio": NaN}', "/body/ratio"),
        (b'{"ratio": 1, "extra": [1, Infinity]}', "/body/extra/1"),
        (b'{"ratio": -Infinity}', "/body/ratio"),
        (b'{"ratio": 1e400}', "/body/ratio"),
        (b'{"ratio": 1, "nested": {"deep": -1E999}}', "/body/nested/deep"),
    ],
)
def test_numbers_json_does_not_have_are_a_422_naming_the_field(client: TestClient, body: bytes, pointer: str) -> None:
    response = client.put("/v1/echo", content=body, headers={"content-type": "application/json"})
    problem = assert_problem(response, 422, "validation-error")
    assert [param["name"] for param in problem["invalid-params"]] == [pointer]


def test_finite_numbers_and_lookalike_strings_pass(client: TestClient) -> None:
    body = b'{"name": "NaN Infinity 1e400", "ratio": 1.5e300, "tiny": 1e-400}'
    response = client.put("/v1/echo", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "NaN Infinity 1e400", "ratio": 1.5e300, "tiny": 0.0}
