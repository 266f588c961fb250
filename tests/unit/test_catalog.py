"""The function catalog is the one list: every entry has its handler, its routes and nothing else."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from typing import Any

import pytest
from fastapi.routing import APIRoute

from devserver.routers import generate_openapi_document
from shared.catalog import CATALOG, function_physical_name
from shared.http.openapi_document import OPENAPI_DOCUMENT_PATH, render_openapi_document
from shared.resources import PROJECT_ROOT, STATE_MACHINES


def test_catalog_names_are_unique_and_valid_lambda_names() -> None:
    names = [spec.name for spec in CATALOG]
    assert len(names) == len(set(names))
    for name in names:
        assert len(function_physical_name("nexus-forge-production", name)) <= 64


@pytest.mark.parametrize("spec", CATALOG, ids=lambda spec: spec.name)
def test_every_catalog_function_has_a_handler(spec) -> None:
    assert (PROJECT_ROOT / "functions" / spec.name / "handler.py").is_file()
    assert callable(importlib.import_module(spec.handler_module).handler)


@pytest.mark.parametrize("spec", [spec for spec in CATALOG if spec.is_http], ids=lambda spec: spec.name)
def test_http_routes_in_the_catalog_are_exactly_the_router_routes(spec) -> None:
    router = importlib.import_module(spec.router_module).router
    served = {
        (method, route.path) for route in router.routes if isinstance(route, APIRoute) for method in route.methods or ()
    }
    declared = {(route.method, route.path) for route in spec.routes}
    assert served == declared


@pytest.mark.parametrize("spec", CATALOG, ids=lambda spec: spec.name)
def test_no_handler_imports_another_feature(spec) -> None:
    probe = (
        "import importlib, json, sys; importlib.import_module(sys.argv[1]); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('functions.'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, spec.handler_module], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    imported_features = {module.split(".")[1] for module in json.loads(result.stdout.strip().splitlines()[-1])}
    assert imported_features == {spec.name}


def test_no_handler_imports_the_local_emulation() -> None:
    modules = " ".join(spec.handler_module for spec in CATALOG)
    probe = (
        f"import importlib, sys; [importlib.import_module(m) for m in {modules.split()!r}]; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('moto', 'uvicorn') or m.startswith('devserver')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("machine", STATE_MACHINES, ids=lambda machine: machine.key)
def test_state_machine_definitions_name_only_catalog_functions(machine) -> None:
    arns = {spec.name: f"arn:aws:lambda:us-east-1:123456789012:function:{spec.name}" for spec in CATALOG}
    definition = machine.render_definition(arns)
    assert "${" not in definition
    assert json.loads(definition)["StartAt"]


def test_the_committed_openapi_document_is_current() -> None:
    committed = OPENAPI_DOCUMENT_PATH.read_text()
    assert committed == render_openapi_document(generate_openapi_document()), "run `make openapi` and commit it"


def test_every_api_error_is_documented_as_a_problem() -> None:
    document: Any = generate_openapi_document()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "application/problem+json" in operation["responses"]["4XX"]["content"], (method, path)
