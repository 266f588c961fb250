"""A connector from an OpenAPI 3.x document: one preset per operation, its auth as a credential kind."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from shared.marketplace.connectors import ConnectorDocumentInvalid, connector_from_openapi
from tests.unit.marketplace.conftest import PETSTORE


def test_every_operation_of_the_document_becomes_a_preset_with_its_parameters_as_a_form(
    openapi_artefact: bytes,
) -> None:
    server_url, credential, presets = connector_from_openapi(json.loads(openapi_artefact))

    by_id = {preset.operation_id: preset for preset in presets}
    assert server_url == "https://api.bookshelf.example/v1"
    assert credential is not None and credential.kind == "api_key_header"
    assert sorted(by_id) == ["addBook", "deleteBook", "getBook", "listBooks"]
    assert by_id["getBook"].form_schema["required"] == ["bookId"]  # the path item's shared $ref parameter
    assert by_id["listBooks"].form_schema["properties"]["limit"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert by_id["addBook"].has_body and by_id["addBook"].form_schema["properties"]["body"]["required"] == ["title"]


def test_a_recursive_schema_is_cut_off_rather_than_expanded_forever(openapi_artefact: bytes) -> None:
    _, _, presets = connector_from_openapi(json.loads(openapi_artefact))

    body = next(preset for preset in presets if preset.operation_id == "addBook").form_schema["properties"]["body"]
    assert "related" in body["properties"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"openapi": "2.0"}, "3.0 or 3.1"),
        ({"paths": {"/x": {"get": {"responses": "none"}}}}, "not shaped as OpenAPI says"),
        ({"info": {"title": "no version"}}, "version"),
        ({"servers": [{"url": "/relative"}]}, "absolute http(s) server URL"),
        ({"paths": {}}, "no operation"),
    ],
)
def test_an_invalid_document_is_refused_with_the_validators_reasons(
    openapi_artefact: bytes, change: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ConnectorDocumentInvalid) as raised:
        connector_from_openapi({**json.loads(openapi_artefact), **change})

    assert any(reason in text for text in raised.value.reasons)


def test_the_real_swagger_petstore_document_becomes_one_preset_per_operation() -> None:
    document = yaml.safe_load(PETSTORE.read_text())
    server_url, credential, presets = connector_from_openapi(document)

    by_id = {preset.operation_id: preset for preset in presets}
    assert server_url == "https://petstore3.swagger.io/api/v3"
    assert credential is not None and credential.name == "petstore_auth"
    assert len(presets) == sum(
        method in {"get", "put", "post", "delete", "patch"} for item in document["paths"].values() for method in item
    )
    assert {"addPet", "getPetById", "placeOrder", "loginUser", "deleteUser"} <= set(by_id)
    assert by_id["getPetById"].method == "GET" and by_id["getPetById"].path == "/pet/{petId}"
    assert by_id["getPetById"].form_schema["required"] == ["petId"]
    assert by_id["addPet"].has_body and "name" in by_id["addPet"].form_schema["properties"]["body"]["required"]
