"""Cancel, re-run and redrive over the API."""

from __future__ import annotations

from typing import Any

from shared.auth.principal import Role
from tests.helpers import wait_until
from tests.integration.executions.support import (
    create_and_publish,
    failing_workflow,
    publish,
    transform_workflow,
    waiting_workflow,
)
from tests.integration.executions.test_status_updates import run_to_end, running_count


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


def test_redrive_refuses_a_running_execution_and_says_the_emulation_cannot_redrive(api, alpha, status_watcher) -> None:
    owner, editor = alpha.headers[Role.OWNER], alpha.headers[Role.EDITOR]
    slow = create_and_publish(api, owner, waiting_workflow(60))
    running = api.post(f"/v1/workflows/{slow}/executions", headers=editor, json={"input": {}}).json()
    failing = create_and_publish(api, owner, failing_workflow())
    failed = run_to_end(api, alpha, failing, {})

    assert api.post(f"/v1/executions/{running['execution_id']}/redrive", headers=editor).status_code == 409
    # moto has no RedriveExecution: locally the route says so instead of pretending (in the cloud it redrives).
    refused = api.post(f"/v1/executions/{failed['execution_id']}/redrive", headers=editor)
    assert refused.status_code == 501, refused.text
    assert refused.json()["type"].endswith("/redrive-unavailable")
