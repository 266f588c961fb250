"""POST /v1/ml/jobs refuses the forecast job's GPU variant on a CPU instance, naming the hyperparameter."""

from __future__ import annotations

from fastapi.testclient import TestClient

from devserver.api import create_platform_api


def test_the_neural_variant_on_a_cpu_instance_is_a_422_naming_neural(emulated_aws, issuer, admin_headers) -> None:
    api = TestClient(create_platform_api(issuer), raise_server_exceptions=False)

    refused = api.post(
        "/v1/ml/jobs",
        headers=admin_headers,
        json={"kind": "forecast", "instance_type": "ml.m5.large", "hyperparameters": {"neural": 1}},
    )

    assert refused.status_code == 422, refused.text
    [param] = refused.json()["invalid-params"]
    assert param["name"] == "/body/hyperparameters/neural"
    assert param["reason"].startswith("1 needs a GPU instance_type: one of ml.g5.xlarge")
