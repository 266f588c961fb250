"""Each node type compiles to the ASL in `golden/<case>.json`; FORGE_UPDATE_GOLDEN=1 rewrites the files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.workflows.cases import GOLDEN_CASES, GoldenCase
from tests.workflows.support import compile_case

GOLDEN_DIR = Path(__file__).parent / "golden"


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=lambda case: case.name)
def test_the_graph_compiles_to_its_golden_definition(case: GoldenCase) -> None:
    definition = compile_case(case)
    golden = GOLDEN_DIR / f"{case.name}.json"
    if os.environ.get("FORGE_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(definition, indent=2) + "\n")
    assert definition == json.loads(golden.read_text())
    assert definition["QueryLanguage"] == "JSONata"


def test_every_node_type_has_a_golden_case() -> None:
    from shared.workflows.nodes import NODE_TYPES

    covered = {node["type"] for case in GOLDEN_CASES for node in case.nodes}
    assert covered == set(NODE_TYPES)
