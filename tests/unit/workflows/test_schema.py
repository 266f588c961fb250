"""The committed JSON Schema is current, and every golden workflow conforms to it while broken ones don't."""

from __future__ import annotations

import jsonschema  # type: ignore[import-untyped]

from shared.workflows.schema import SCHEMA_PATH, render_schema, workflow_json_schema
from tests.workflows.cases import GOLDEN_CASES


def test_the_committed_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text() == render_schema(), "run `python -m shared.workflows.schema`"


def test_golden_workflows_conform_and_bad_params_do_not() -> None:
    validator = jsonschema.Draft202012Validator(workflow_json_schema())
    for case in GOLDEN_CASES:
        validator.validate(case.document())
    broken = GOLDEN_CASES[3].document()
    broken["nodes"][1]["params"] = {"expression": 42}
    assert not validator.is_valid(broken)
