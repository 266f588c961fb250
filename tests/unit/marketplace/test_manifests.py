"""Manifests: one schema per item kind, committed and equal to what the models render."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from shared.marketplace.manifests import ITEM_KINDS, ItemKind, committed_schema, parse_manifest, render_schema


@pytest.mark.parametrize("kind", ITEM_KINDS)
def test_the_committed_schema_of_each_kind_is_the_one_its_model_renders(kind: ItemKind) -> None:
    """Fails after a manifest model changed without `python -m shared.marketplace.manifests` re-run."""
    assert render_schema(kind) == json.dumps(committed_schema(kind), indent=2, sort_keys=True) + "\n"


def test_a_template_manifest_parses_to_its_kind(template_manifest: dict[str, Any]) -> None:
    manifest = parse_manifest(template_manifest)

    assert manifest.kind == "workflow_template" and manifest.credentials[0].kind == "bearer"


@pytest.mark.parametrize(
    ("field", "value"),
    [("version", "1.0"), ("version", "01.0.0"), ("name", "Ping_And_Notify"), ("namespace", "-acme"), ("extra", 1)],
)
def test_a_manifest_with_a_bad_field_is_refused_naming_it(
    template_manifest: dict[str, Any], field: str, value: object
) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_manifest({**template_manifest, field: value})

    assert field in {str(part) for error in raised.value.errors() for part in error["loc"]}
