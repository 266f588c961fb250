"""Starting executions over the API: records, idempotency, quotas, large payloads, filters, per-step history."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_REGION
from shared.auth.principal import Role
from shared.store.tenancy import Usage
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.quotas import month_key
from shared.tenancy.tiers import Tier, tier_limits
from tests.helpers import wait_until
from tests.integration.executions.support import (
    create_and_publish,
    failing_workflow,
    publish,
    transform_workflow,
    waiting_workflow,
)
from tests.integration.tenancy.conftest import TenantWorld

FINISHED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def start(api: TestClient, world: TenantWorld, workflow_id: str, body: dict[str, Any], **headers: str) -> Any:
    return api.post(
        f"/v1/workflows/{workflow_id}/executions", headers={**world.headers[Role.EDITOR], **headers}, json=body
    )


def state_machine_execution(execution_arn: str) -> Any:
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    described = wait_until(
        lambda: sfn.describe_execution(executionArn=execution_arn),
        lambda execution: execution["status"] in FINISHED,
        interval=0.05,
    )
    return described


def arn_of(world: TenantWorld, execution_id: str) -> str:
    from shared.store.executions import Executions

    item = Executions(TenantContext(world.tenant_id)).get(execution_id)
    assert item is not None
    return item.execution_arn


def test_start_records_the_execution_and_runs_the_live_version(api, alpha) -> None:
    owner = alpha.headers[Role.OWNER]
    greet = create_and_publish(api, owner, transform_workflow("{'greeting': 'hi ' & $states.input.name}"))
    version = publish(api, owner, greet, transform_workflow("{'greeting': 'hello ' & $states.input.name}"))

    started = start(api, alpha, greet, {"input": {"name": "Ada"}})

    assert started.status_code == 202, started.text
    body = started.json()
    assert body["status"] == "RUNNING" and body["version"] == version and body["trigger"] == "manual"
    assert started.headers["location"] == f"/v1/executions/{body['execution_id']}"
    finished = state_machine_execution(arn_of(alpha, body["execution_id"]))
    assert json.loads(finished["output"]) == {"greeting": "hello Ada"}
    read = api.get(f"/v1/executions/{body['execution_id']}", headers=alpha.headers[Role.VIEWER]).json()
    assert read["input"] == {"name": "Ada"} and read["workflow_id"] == greet


def test_an_older_version_runs_when_asked_for(api, alpha) -> None:
    owner = alpha.headers[Role.OWNER]
    greet = create_and_publish(api, owner, transform_workflow("{'n': 1}"))
    publish(api, owner, greet, transform_workflow("{'n': 2}"))

    started = start(api, alpha, greet, {"input": {}, "version": 1}).json()

    assert started["version"] == 1
    assert json.loads(state_machine_execution(arn_of(alpha, started["execution_id"]))["output"]) == {"n": 1}


def test_same_idempotency_key_and_body_return_the_same_execution_another_body_is_409(api, alpha) -> None:
    greet = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input"))
    body = {"input": {"order": 42}}

    first = start(api, alpha, greet, body, **{"Idempotency-Key": "order-42"})
    again = start(api, alpha, greet, body, **{"Idempotency-Key": "order-42"})
    other = start(api, alpha, greet, {"input": {"order": 43}}, **{"Idempotency-Key": "order-42"})

    assert first.status_code == again.status_code == 202
    assert first.json()["execution_id"] == again.json()["execution_id"]
    assert other.status_code == 409, other.text
    assert other.json()["type"].endswith("/idempotency-key-reused")
    listed = api.get("/v1/executions", headers=alpha.headers[Role.VIEWER]).json()["items"]
    assert [item["execution_id"] for item in listed] == [first.json()["execution_id"]]


def test_another_tenants_workflow_and_execution_are_not_found(api, alpha, bravo) -> None:
    secret = create_and_publish(api, bravo.headers[Role.OWNER], transform_workflow("$states.input"))
    theirs = start(api, bravo, secret, {"input": {}}).json()["execution_id"]

    assert start(api, alpha, secret, {"input": {}}).status_code == 404
    assert start(api, alpha, "never-published", {"input": {}}).status_code == 404
    for path in (f"/v1/executions/{theirs}", f"/v1/executions/{theirs}/history"):
        assert api.get(path, headers=alpha.headers[Role.VIEWER]).status_code == 404
    assert api.get("/v1/executions", headers=alpha.headers[Role.VIEWER]).json()["items"] == []


def test_viewers_cannot_start(api, alpha) -> None:
    greet = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input"))
    refused = api.post(f"/v1/workflows/{greet}/executions", headers=alpha.headers[Role.VIEWER], json={"input": {}})
    assert refused.status_code == 403


def test_a_one_megabyte_input_round_trips_through_s3(api, alpha) -> None:
    big = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input"))
    payload = {"blob": "x" * (1024 * 1024)}

    started = start(api, alpha, big, {"input": payload})

    assert started.status_code == 202, started.text
    execution_id = started.json()["execution_id"]
    finished = state_machine_execution(arn_of(alpha, execution_id))
    # The state machine gets a reference (Step Functions takes 256 KB at most); the API caller gets the input.
    assert '"payload_ref"' in finished["output"] and len(finished["output"]) < 1024
    read = api.get(f"/v1/executions/{execution_id}", headers=alpha.headers[Role.VIEWER]).json()
    assert read["input"] == payload


def test_the_monthly_quota_is_a_429_naming_it(api, alpha) -> None:
    greet = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input"))
    from datetime import UTC, datetime

    counter = Usage(TenantContext(alpha.tenant_id)).new(month_key(datetime.now(UTC)))
    counter.executions = tier_limits(Tier.BASIC).monthly_executions
    counter.save()

    refused = start(api, alpha, greet, {"input": {}})

    assert refused.status_code == 429, refused.text
    assert refused.json()["quota"] == "monthly_executions"


def test_the_concurrent_quota_is_a_429_naming_it(api, alpha) -> None:
    slow = create_and_publish(api, alpha.headers[Role.OWNER], waiting_workflow(30))
    limit = tier_limits(Tier.BASIC).concurrent_executions
    for _ in range(limit):
        assert start(api, alpha, slow, {"input": {}}).status_code == 202

    refused = start(api, alpha, slow, {"input": {}})

    assert refused.status_code == 429, refused.text
    assert refused.json()["quota"] == "concurrent_executions"


def test_list_filters_by_workflow_status_trigger_and_time_and_pages_with_cursors(api, alpha) -> None:
    greet = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input"))
    failing = create_and_publish(api, alpha.headers[Role.OWNER], failing_workflow())
    ids = [start(api, alpha, greet, {"input": {"n": n}}).json()["execution_id"] for n in range(3)]
    broken = start(api, alpha, failing, {"input": {}}).json()
    viewer = alpha.headers[Role.VIEWER]

    only_greet = api.get("/v1/executions", params={"workflow_id": greet}, headers=viewer).json()["items"]
    assert [item["execution_id"] for item in only_greet] == list(reversed(ids))
    first_page = api.get("/v1/executions", params={"limit": 2}, headers=viewer).json()
    second_page = api.get("/v1/executions", params={"limit": 2, "cursor": first_page["next_cursor"]}, headers=viewer)
    paged = [item["execution_id"] for item in first_page["items"] + second_page.json()["items"]]
    assert paged == [broken["execution_id"], *reversed(ids)]
    assert api.get("/v1/executions", params={"trigger": "schedule"}, headers=viewer).json()["items"] == []
    assert len(api.get("/v1/executions", params={"status": "RUNNING"}, headers=viewer).json()["items"]) == 4
    before_all = api.get("/v1/executions", params={"started_before": "2000-01-01T00:00:00Z"}, headers=viewer).json()
    assert before_all["items"] == []
    since = api.get("/v1/executions", params={"started_after": broken["started_at"]}, headers=viewer).json()["items"]
    assert broken["execution_id"] in [item["execution_id"] for item in since]


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("started_before", "0.5"),
        ("started_before", "1700000000"),
        ("started_after", "2026-01-31"),
        ("started_after", "2026-01-31T09:00:00"),
        ("started_after", "yesterday"),
    ],
)
def test_time_filters_take_only_rfc_3339_date_times_with_an_offset(api, alpha, parameter, value) -> None:
    response = api.get("/v1/executions", params={parameter: value}, headers=alpha.headers[Role.VIEWER])

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    (invalid,) = response.json()["invalid-params"]
    assert invalid["name"] == f"/query/{parameter}"
    assert "RFC 3339" in invalid["reason"]


def test_history_lists_each_step_with_status_input_output_and_the_failure(api, alpha) -> None:
    failing = create_and_publish(api, alpha.headers[Role.OWNER], failing_workflow())
    execution_id = start(api, alpha, failing, {"input": {"a": 1}}).json()["execution_id"]
    state_machine_execution(arn_of(alpha, execution_id))

    history = api.get(f"/v1/executions/{execution_id}/history", headers=alpha.headers[Role.VIEWER]).json()

    steps = [(step["node_id"], step["status"], step["attempts"]) for step in history["steps"]]
    assert steps == [("start", "SUCCEEDED", 1), ("prepare", "SUCCEEDED", 1), ("explode", "FAILED", 1)]
    assert history["steps"][1]["input"] == {"a": 1} and history["steps"][1]["output"] == {"a": 1}
