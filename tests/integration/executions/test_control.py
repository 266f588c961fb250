"""Cancel, re-run and redrive over the API."""

from __future__ import annotations

from typing import Any

from shared.auth.principal import Role
from shared.executions.record import find_execution
from shared.store.tenant_scoped import TenantContext
from tests.helpers import wait_until
from tests.integration.executions.support import (
    create_and_publish,
    failing_workflow,
    publish,
    transform_workflow,
    waiting_workflow,
)
from tests.integration.executions.test_status_updates import run_to_end, running_count
from tests.workflows.cases import chain, node
from tests.workflows.fixtures import echo_server

__all__ = ["echo_server"]


def read(api, world, execution_id: str) -> dict[str, Any]:
    record: dict[str, Any] = api.get(f"/v1/executions/{execution_id}", headers=world.headers[Role.VIEWER]).json()
    return record


def test_cancel_stops_a_running_execution_and_only_once(api, alpha, status_watcher) -> None:
    slow = create_and_publish(api, alpha.headers[Role.OWNER], waiting_workflow(60))
    editor = alpha.headers[Role.EDITOR]
    execution_id = api.post(f"/v1/workflows/{slow}/executions", headers=editor, json={"input": {}}).json()[
        "execution_id"
    ]

    cancelled = api.post(f"/v1/executions/{execution_id}/cancel", headers=editor)

    assert cancelled.status_code == 202, cancelled.text
    ended = wait_until(lambda: read(api, alpha, execution_id), lambda record: record["status"] != "RUNNING")
    assert ended["status"] == "ABORTED"
    # The concurrency slot is released by a write after the record's; it follows within the poll.
    assert wait_until(lambda: running_count(alpha), lambda running: running == 0) == 0
    assert api.post(f"/v1/executions/{execution_id}/cancel", headers=editor).status_code == 409
    assert api.post(f"/v1/executions/{execution_id}/cancel", headers=alpha.headers[Role.VIEWER]).status_code == 403


def test_rerun_starts_the_same_version_with_the_same_input(api, alpha, status_watcher) -> None:
    owner = alpha.headers[Role.OWNER]
    greet = create_and_publish(api, owner, transform_workflow("{'v': 1, 'name': $states.input.name}"))
    first = run_to_end(api, alpha, greet, {"name": "Ada"})
    publish(api, owner, greet, transform_workflow("{'v': 2}"))

    rerun = api.post(f"/v1/executions/{first['execution_id']}/rerun", headers=alpha.headers[Role.EDITOR])

    assert rerun.status_code == 202, rerun.text
    assert rerun.json()["trigger"] == "rerun" and rerun.json()["source"] == first["execution_id"]
    ended = wait_until(lambda: read(api, alpha, rerun.json()["execution_id"]), lambda r: r["status"] != "RUNNING")
    assert ended["output"] == {"v": 1, "name": "Ada"} and ended["version"] == 1


def fetching_workflow(url: str) -> dict[str, Any]:
    return {
        "name": "fetching",
        "nodes": [
            node("start", "manual"),
            node("prepare", "transform", expression="{'name': $states.input.name, 'prepared': $millis()}"),
            node("call", "http_request", method="POST", url=url, body={"name": "{% $states.input.name %}"}),
            node("shape", "transform", expression="{'status': $states.input.status, 'echo': $states.input.body.body}"),
        ],
        "edges": chain("start", "prepare", "call", "shape"),
    }


def test_redrive_runs_a_failed_execution_again_from_the_failed_step(
    api, alpha, admin_headers, echo_server, status_watcher
) -> None:
    editor = alpha.headers[Role.EDITOR]
    fetching = create_and_publish(api, alpha.headers[Role.OWNER], fetching_workflow(f"{echo_server}/hook"))
    # The tenant does not allow requests to 127.0.0.1 yet: the call step fails (the SSRF guard blocks it).
    failed = run_to_end(api, alpha, fetching, {"name": "Ada"})
    assert (failed["status"], failed["error"], failed["failed_node"]) == ("FAILED", "HttpRequestBlocked", "call")
    history = api.get(f"/v1/executions/{failed['execution_id']}/history", headers=editor).json()["steps"]
    prepared = next(step["output"] for step in history if step["node_id"] == "prepare")
    allowed = api.patch(
        f"/v1/tenants/{alpha.tenant_id}",
        headers=admin_headers,
        json={"settings": {"http_allowed_hosts": ["127.0.0.1"]}},
    )
    assert allowed.status_code == 200, allowed.text

    redriven = api.post(f"/v1/executions/{failed['execution_id']}/redrive", headers=editor)

    assert redriven.status_code == 202, redriven.text
    ended = wait_until(
        lambda: read(api, alpha, failed["execution_id"]),
        lambda record: record["status"] == "SUCCEEDED",
    )
    assert ended["output"] == {"status": 200, "echo": {"name": "Ada"}} and ended["redrive_count"] == 1
    assert ended["error"] is None and ended["failed_node"] is None and ended["stopped_at"] is not None
    steps = api.get(f"/v1/executions/{failed['execution_id']}/history", headers=editor).json()["steps"]
    # The steps before the failure ran once: the redrive entered the failed step with the input it had then.
    assert [(step["node_id"], step["status"]) for step in steps] == [
        ("start", "SUCCEEDED"),
        ("prepare", "SUCCEEDED"),
        ("call", "FAILED"),
        ("call", "SUCCEEDED"),
        ("shape", "SUCCEEDED"),
    ]
    assert steps[3]["input"] == prepared
    assert wait_until(lambda: running_count(alpha), lambda running: running == 0) == 0
    # The redrive's RUNNING still reaches the record (the first run's was written by its starter).
    record = find_execution(TenantContext(alpha.tenant_id), failed["execution_id"], consistent=True)
    assert [transition.status for transition in record.transitions] == ["RUNNING", "FAILED", "RUNNING", "SUCCEEDED"]
    # Only a failed, timed-out or aborted execution redrives.
    assert api.post(f"/v1/executions/{failed['execution_id']}/redrive", headers=editor).status_code == 409


def test_redrive_refuses_running_succeeded_and_express_executions(api, alpha, status_watcher) -> None:
    owner, editor = alpha.headers[Role.OWNER], alpha.headers[Role.EDITOR]
    slow = create_and_publish(api, owner, waiting_workflow(60))
    running = api.post(f"/v1/workflows/{slow}/executions", headers=editor, json={"input": {}}).json()
    greet = create_and_publish(api, owner, transform_workflow("$states.input"))
    succeeded = run_to_end(api, alpha, greet, {})
    express = create_and_publish(api, owner, failing_workflow(mode="express"))
    failed_express = api.post(
        f"/v1/workflows/{express}/executions", params={"wait": "true"}, headers=editor, json={"input": {}}
    ).json()
    assert failed_express["status"] == "FAILED"

    for execution in (running, succeeded, failed_express):
        refused = api.post(f"/v1/executions/{execution['execution_id']}/redrive", headers=editor)
        assert refused.status_code == 409, refused.text
    assert (
        api.post(f"/v1/executions/{running['execution_id']}/redrive", headers=alpha.headers[Role.VIEWER]).status_code
        == 403
    )
