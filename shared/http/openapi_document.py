"""The committed OpenAPI document: generated from every router, served as is, diffed in the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OPENAPI_DOCUMENT_PATH = Path(__file__).with_name("openapi.json")


def render_openapi_document(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
