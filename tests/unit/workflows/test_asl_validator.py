"""Every golden definition passes the independent ASL validator, which does refuse a broken one."""

from __future__ import annotations

import copy

from tests.workflows.asl_validator import asl_validator_problems
from tests.workflows.cases import GOLDEN_CASES
from tests.workflows.support import compile_case


def test_every_golden_definition_passes_asl_validator() -> None:
    assert asl_validator_problems([compile_case(case) for case in GOLDEN_CASES]) is None


def test_asl_validator_refuses_a_definition_with_a_dangling_next() -> None:
    definition = copy.deepcopy(compile_case(GOLDEN_CASES[1]))
    definition["States"]["hook"]["Next"] = "nowhere"
    assert asl_validator_problems([definition]) is not None
