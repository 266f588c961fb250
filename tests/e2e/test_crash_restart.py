"""kill -9 of `forge dev` mid-run, then a restart on the same state dir: everything acknowledged is there, every
published workflow runs, nothing stays RUNNING and the tenant's running slots are free."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from devserver.subprocess_platform import LocalPlatform, tenant_owner
from shared.tenancy.tiers import tier_limits
from shared.triggers.webhook_signatures import sign_standard_webhook
from tests.helpers import wait_until, within_rate_limit

pytestmark = pytest.mark.e2e

QUICK = {
    "name": "quick",
    "nodes": [
        {"id": "start", "type": "manual"},
        {"id": "shape", "type": "transform", "params": {"expression": "{'ok': true}"}},
    ],
    "edges": [{"from": "start", "to": "shape"}],
}
WAITING = {
    "name": "waiting",
    "nodes": [{"id": "start", "type": "manual"}, {"id": "pause", "type": "wait", "params": {"seconds": 3600}}],
    "edges": [{"from": "start", "to": "pause"}],
}
# An express run lasts at most 5 minutes: this one is still running at the kill.
EXPRESS_WAITING = {
    "name": "express waiting",
    "nodes": [{"id": "start", "type": "manual"}, {"id": "pause", "type": "wait", "params": {"seconds": 240}}],
    "edges": [{"from": "start", "to": "pause"}],
    "settings": {"mode": "express"},
}
APPROVAL = {
    "name": "sign-off",
    "nodes": [
        {"id": "start", "type": "manual"},
        {"id": "sign_off", "type": "approval", "params": {"message": "ship it?", "approvers": ["admin"]}},
    ],
    "edges": [{"from": "start", "to": "sign_off"}],
}


@dataclass
class BeforeTheKill:
    """What the platform acknowledged before it was killed."""

    quick: str
    waiting: str
    hook: dict[str, Any]
    running: str
    express_running: str
    waiting_for_approval: str
    approval_id: str
    key_secret: str
    last_workflow: str
    last_execution: str


def publish(owner: httpx.Client, document: dict[str, Any]) -> str:
    created = owner.post("/v1/workflows", json=document)
    assert created.status_code == 201, created.text
    workflow_id: str = created.json()["id"]
    published = owner.post(f"/v1/workflows/{workflow_id}/publish", json={})
    assert published.status_code == 201, published.text
    return workflow_id


def start(owner: httpx.Client, workflow_id: str) -> str:
    started = within_rate_limit(lambda: owner.post(f"/v1/workflows/{workflow_id}/executions", json={"input": {}}))
    assert started.status_code == 202, started.text
    execution_id: str = started.json()["execution_id"]
    return execution_id


def ended(owner: httpx.Client, execution_id: str) -> dict[str, Any]:
    """The execution's record once it ended (read again after a 429: a basic tenant's rate limit is low)."""
    read = wait_until(
        lambda: owner.get(f"/v1/executions/{execution_id}"),
        lambda read: read.status_code == 200 and read.json()["status"] != "RUNNING",
        timeout=30,
        interval=0.2,
    )
    record: dict[str, Any] = read.json()
    return record


def deliver(platform: LocalPlatform, hook: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
    data = json.dumps(body).encode()
    message_id, timestamp = f"msg_{uuid.uuid4().hex}", int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign_standard_webhook(hook["secret"], message_id, timestamp, data),
    }
    return httpx.post(f"{platform.url}{hook['url']}", content=data, headers=headers)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    running = LocalPlatform(state_dir=tmp_path_factory.mktemp("forge-crash"))
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def owner(platform: LocalPlatform) -> httpx.Client:
    return tenant_owner(platform, "crash")


@pytest.fixture(scope="module")
def before_the_kill(platform: LocalPlatform, owner: httpx.Client) -> BeforeTheKill:
    """Given published workflows, an execution running, one waiting for an approval, and an API key, a workflow and
    an execution acknowledged just before the kill; when the platform is killed and started again on its state."""
    quick, waiting, approval = publish(owner, QUICK), publish(owner, WAITING), publish(owner, APPROVAL)
    express_waiting = publish(owner, EXPRESS_WAITING)
    assert ended(owner, start(owner, quick))["status"] == "SUCCEEDED"
    hook = owner.post("/v1/hooks", json={"workflow_id": quick, "name": "orders"})
    assert hook.status_code == 201, hook.text
    running = start(owner, waiting)
    express_running = start(owner, express_waiting)
    waiting_for_approval = start(owner, approval)
    (pending,) = wait_until(
        lambda: [
            item
            for item in owner.get("/v1/approvals", params={"status": "pending"}).json()["items"]
            if item["execution_id"] == waiting_for_approval
        ],
        bool,
        timeout=30,
    )

    key = owner.post("/v1/api-keys", json={"name": "ci", "role": "viewer"})
    last_workflow = owner.post("/v1/workflows", json={**QUICK, "name": "last"})
    last_execution = owner.post(f"/v1/workflows/{quick}/executions", json={"input": {}})
    assert platform.kill() != 0
    assert (key.status_code, last_workflow.status_code, last_execution.status_code) == (201, 201, 202)

    platform.start()
    return BeforeTheKill(
        quick=quick,
        waiting=waiting,
        hook=hook.json(),
        running=running,
        express_running=express_running,
        waiting_for_approval=waiting_for_approval,
        approval_id=pending["approval_id"],
        key_secret=key.json()["api_key"],
        last_workflow=last_workflow.json()["id"],
        last_execution=last_execution.json()["execution_id"],
    )


def test_writes_acknowledged_just_before_the_kill_are_kept(
    platform: LocalPlatform, owner: httpx.Client, before_the_kill: BeforeTheKill
) -> None:
    me = httpx.get(f"{platform.url}/v1/me", headers={"authorization": f"Bearer {before_the_kill.key_secret}"})
    assert me.status_code == 200, me.text
    assert owner.get(f"/v1/workflows/{before_the_kill.last_workflow}").status_code == 200
    last = owner.get(f"/v1/executions/{before_the_kill.last_execution}")
    assert last.status_code == 200
    assert last.json()["status"] in ("SUCCEEDED", "ABORTED")


def test_executions_running_at_the_kill_end_aborted_and_their_approval_is_withdrawn(
    owner: httpx.Client, before_the_kill: BeforeTheKill
) -> None:
    # The express record is in no index: the sweep of each tenant's recent records ends it.
    for execution_id in (
        before_the_kill.running,
        before_the_kill.express_running,
        before_the_kill.waiting_for_approval,
    ):
        record = owner.get(f"/v1/executions/{execution_id}").json()
        assert record["status"] == "ABORTED", record
        assert record["cause"] == "the local platform restarted while this execution ran"
    approval = owner.get(f"/v1/approvals/{before_the_kill.approval_id}").json()
    assert approval["status"] == "withdrawn"
    assert owner.post(f"/v1/approvals/{before_the_kill.approval_id}/approve").status_code == 409


def test_published_workflows_run_publish_and_roll_back_after_the_restart(
    platform: LocalPlatform, owner: httpx.Client, before_the_kill: BeforeTheKill
) -> None:
    quick = before_the_kill.quick
    assert ended(owner, start(owner, quick))["status"] == "SUCCEEDED"

    delivered = deliver(platform, before_the_kill.hook, {"order": 7})
    assert delivered.status_code == 202, delivered.text
    assert ended(owner, delivered.json()["execution_id"])["status"] == "SUCCEEDED"

    republished = owner.post(f"/v1/workflows/{quick}/publish", json={"note": "after the restart"})
    assert republished.status_code == 201, republished.text
    assert republished.json()["version"] == 2
    rolled_back = owner.post(f"/v1/workflows/{quick}/rollback", json={"version": 1})
    assert rolled_back.status_code == 200, rolled_back.text
    assert rolled_back.json()["live_version"] == 1
    assert ended(owner, start(owner, quick))["status"] == "SUCCEEDED"


def test_the_tenants_running_slots_are_free(owner: httpx.Client, before_the_kill: BeforeTheKill) -> None:
    limit = tier_limits("basic").concurrent_executions
    started = [start(owner, before_the_kill.waiting) for _ in range(limit)]

    assert len(started) == limit
    for execution_id in started:
        cancel = f"/v1/executions/{execution_id}/cancel"
        assert within_rate_limit(lambda: owner.post(cancel)).status_code == 202  # noqa: B023 (sent at once)


def test_a_graceful_restart_keeps_published_workflows_too(
    platform: LocalPlatform, owner: httpx.Client, before_the_kill: BeforeTheKill
) -> None:
    assert platform.stop() == 0
    platform.start()

    assert ended(owner, start(owner, before_the_kill.quick))["status"] == "SUCCEEDED"


def test_the_step_history_of_an_execution_before_the_restart_is_gone_and_says_why(
    owner: httpx.Client, before_the_kill: BeforeTheKill
) -> None:
    history = owner.get(f"/v1/executions/{before_the_kill.running}/history")

    assert history.status_code == 410
    assert history.json()["detail"] == (
        "forge dev keeps no step history across a restart and this execution ran before the last one;"
        " its record (status, input, output) is kept"
    )
