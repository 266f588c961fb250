"""Workflows for the execution tests, created and published through the workflows API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.workflows.cases import chain, node


def transform_workflow(expression: str, **settings: Any) -> dict[str, Any]:
    return {
        "name": "transform",
        "nodes": [node("start", "manual"), node("shape", "transform", expression=expression)],
        "edges": chain("start", "shape"),
        "settings": settings,
    }


def failing_workflow(**settings: Any) -> dict[str, Any]:
    return {
        "name": "failing",
        "nodes": [
            node("start", "manual"),
            node("prepare", "transform", expression="$states.input"),
            node("explode", "fail", error="Boom", cause="the explode node always fails"),
        ],
        "edges": chain("start", "prepare", "explode"),
        "settings": settings,
    }


def waiting_workflow(seconds: int, **settings: Any) -> dict[str, Any]:
    return {
        "name": "waiting",
        "nodes": [node("start", "manual"), node("pause", "wait", seconds=seconds)],
        "edges": chain("start", "pause"),
        "settings": settings,
    }


def create_and_publish(api: TestClient, headers: dict[str, str], document: dict[str, Any]) -> str:
    created = api.post("/v1/workflows", headers=headers, json=document)
    assert created.status_code == 201, created.text
    workflow_id: str = created.json()["id"]
    publish(api, headers, workflow_id)
    return workflow_id


def publish(api: TestClient, headers: dict[str, str], workflow_id: str, document: dict[str, Any] | None = None) -> int:
    """Publishes the draft (replaced by `document` first, if given); returns the new live version."""
    if document is not None:
        revision = api.get(f"/v1/workflows/{workflow_id}", headers=headers).json()["revision"]
        updated = api.put(f"/v1/workflows/{workflow_id}", headers={**headers, "if-match": str(revision)}, json=document)
        assert updated.status_code == 200, updated.text
    published = api.post(f"/v1/workflows/{workflow_id}/publish", headers=headers, json={})
    assert published.status_code == 201, published.text
    version: int = published.json()["version"]
    return version
