"""Random valid workflows compile and pass the ASL validator; random mutations give findings, never exceptions."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from tests.workflows.asl_validator import asl_validator_problems
from tests.workflows.generators import broken_workflows, valid_workflows
from tests.workflows.support import validate


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_workflows())
def test_random_valid_workflows_compile_to_asl_that_asl_validator_accepts(document: dict[str, Any]) -> None:
    result = validate(document)
    assert result.findings == []
    assert result.definition is not None
    assert asl_validator_problems([result.definition]) is None


@settings(max_examples=150, deadline=None)
@given(broken_workflows())
def test_random_mutations_give_findings_with_pointers_never_an_exception(document: dict[str, Any]) -> None:
    result = validate(document)
    assert result.definition is None
    assert result.findings
    for finding in result.findings:
        assert finding.pointer.startswith("/") and finding.reason
