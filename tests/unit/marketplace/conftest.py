from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.marketplace.connectors import connector_from_openapi

BOOKSHELF = Path(__file__).parents[2] / "data" / "marketplace" / "bookshelf.openapi.json"
# The Swagger Petstore's OpenAPI 3.0 document as its repository publishes it (Apache-2.0, LICENSE beside it).
PETSTORE = Path(__file__).parents[2] / "data" / "marketplace" / "petstore" / "openapi.yaml"


@pytest.fixture
def template_manifest() -> dict[str, Any]:
    return {
        "kind": "workflow_template",
        "namespace": "acme",
        "name": "ping-and-notify",
        "version": "1.0.0",
        "title": "Ping a URL",
        "description": "Calls an API on a schedule and passes its answer on.",
        "license": "Apache-2.0",
        "categories": ["monitoring"],
        "workflow": {
            "name": "ping",
            "nodes": [
                {"id": "start", "type": "manual", "params": {}},
                {"id": "call", "type": "http_request", "params": {"url": "https://api.acme.example/health"}},
            ],
            "edges": [{"from": "start", "to": "call"}],
        },
        "parameters": [{"name": "target", "description": "The URL to ping", "json_schema": {"type": "string"}}],
        "credentials": [{"name": "acme_api", "kind": "bearer"}],
    }


@pytest.fixture
def openapi_artefact() -> bytes:
    return BOOKSHELF.read_bytes()


@pytest.fixture
def connector_manifest(openapi_artefact: bytes) -> dict[str, Any]:
    server_url, credential, presets = connector_from_openapi(json.loads(openapi_artefact))
    return {
        "kind": "connector",
        "namespace": "acme",
        "name": "bookshelf",
        "version": "1.2.0",
        "title": "Bookshelf",
        "description": "Every operation of the Bookshelf API as a node.",
        "license": "Apache-2.0",
        "openapi_artefact": "openapi.json",
        "server_url": server_url,
        "credential": None if credential is None else credential.model_dump(),
        "presets": [preset.model_dump() for preset in presets],
    }
