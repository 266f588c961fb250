"""Each job kind's pipeline is the ASL in `golden/<kind>.json`; FORGE_UPDATE_GOLDEN=1 rewrites the files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from shared.ml.job_kinds import JOB_KINDS
from shared.ml.state_machines import pipeline_definition
from tests.workflows.asl_validator import asl_validator_problems

GOLDEN_DIR = Path(__file__).parent / "golden"
ROLE = "arn:aws:iam::123456789012:role/nexus-forge-ml-sagemaker"
GATE = "arn:aws:lambda:us-east-1:123456789012:function:nexus-forge-ml-gate"


def _definition(kind: str) -> dict:
    return pipeline_definition(JOB_KINDS[kind], role_arn=ROLE, gate_function_arn=GATE, region="us-east-1")


@pytest.mark.parametrize("kind", sorted(JOB_KINDS))
def test_the_kind_compiles_to_its_golden_pipeline(kind: str) -> None:
    definition = _definition(kind)
    golden = GOLDEN_DIR / f"{kind}.json"
    if os.environ.get("FORGE_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(definition, indent=2) + "\n")
    assert definition == json.loads(golden.read_text())


def test_every_pipeline_passes_the_asl_validator() -> None:
    assert asl_validator_problems([_definition(kind) for kind in sorted(JOB_KINDS)]) is None


def test_only_an_accepted_model_reaches_the_registry() -> None:
    states = _definition("forecast")["States"]
    assert states["Train"]["Resource"] == "arn:aws:states:::sagemaker:createTrainingJob.sync"
    assert states["Evaluate"]["Next"] == "Accepted"
    assert states["Accepted"]["Choices"] == [{"Variable": "$.gate.accepted", "BooleanEquals": True, "Next": "Register"}]
    assert states["Accepted"]["Default"] == "Rejected"
    assert states["Rejected"]["Type"] == "Fail"
    assert states["Transform"]["Resource"] == "arn:aws:states:::sagemaker:createTransformJob.sync"


def test_an_accepted_agent_model_is_served_by_an_endpoint_named_after_the_job() -> None:
    states = _definition("agent_tuning")["States"]
    assert states["Register"]["Next"] == "CreateModel"
    assert states["CreateModel"]["Next"] == "CreateEndpointConfig"
    assert states["CreateEndpointConfig"]["Parameters"]["ProductionVariants.$"] == "$.endpoint.variants"
    assert states["CreateEndpoint"]["Parameters"] == {
        "EndpointName.$": "$$.Execution.Name",
        "EndpointConfigName.$": "$$.Execution.Name",
    }
    assert states["CreateEndpoint"]["End"] is True
    assert "Transform" not in states
