"""The executions table's stream on the running local platform: its consumer (execution_usage, which `forge dev` runs
in an API worker, off the emulation's interpreter lock) counts each execution in the tenant's month usage."""

from __future__ import annotations

import pytest

from devserver.subprocess_platform import LocalPlatform, tenant_owner
from tests.e2e.test_approvals import ended
from tests.e2e.test_express_runs import published
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e


def test_each_standard_execution_is_counted_in_the_months_usage(shared_platform: LocalPlatform) -> None:
    owner = tenant_owner(shared_platform, "stream")
    workflow_id = published(
        owner,
        {
            "name": "counted",
            "nodes": [
                {"id": "start", "type": "manual"},
                {"id": "shape", "type": "transform", "params": {"expression": "{'n': $states.input.n}"}},
            ],
            "edges": [{"from": "start", "to": "shape"}],
        },
    )

    for n in range(3):
        started = owner.post(f"/v1/workflows/{workflow_id}/executions", json={"input": {"n": n}})
        assert started.status_code == 202, started.text
        assert ended(owner, started.json()["execution_id"])["status"] == "SUCCEEDED"

    # The stream's batching window is 10 s under forge dev, as the event source mapping's in the cloud.
    usage = wait_until(
        lambda: owner.get("/v1/usage").json(), lambda report: report["executions"] == 3, timeout=30, interval=0.5
    )
    assert [(workflow["workflow_id"], workflow["executions"]) for workflow in usage["workflows"]] == [(workflow_id, 3)]
