"""The SSE stream of an execution: every status change in order, the steps, and a resumable reconnect."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from shared.auth.principal import Role
from shared.settings import get_settings
from tests.integration.executions.support import create_and_publish, waiting_workflow


def read_stream(api: TestClient, path: str, headers: dict[str, str]) -> list[tuple[str, str | None, dict[str, Any]]]:
    events: list[tuple[str, str | None, dict[str, Any]]] = []
    with api.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for block in response.read().decode().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if "event" in fields:
                events.append((fields["event"], fields.get("id"), json.loads(fields["data"])))
    return events


def test_the_stream_sees_every_status_change_in_order_and_each_step(api, alpha, status_watcher) -> None:
    slow = create_and_publish(api, alpha.headers[Role.OWNER], waiting_workflow(1))
    started = api.post(f"/v1/workflows/{slow}/executions", headers=alpha.headers[Role.EDITOR], json={"input": {}})
    path = f"/v1/executions/{started.json()['execution_id']}/events"
    viewer = alpha.headers[Role.VIEWER]

    events = read_stream(api, path, viewer)

    statuses = [(str(event_id).split("-")[0], data["status"]) for kind, event_id, data in events if kind == "status"]
    assert statuses == [("1", "RUNNING"), ("2", "SUCCEEDED")]
    finished_steps = [data["node_id"] for kind, _, data in events if kind == "step" and data["status"] == "SUCCEEDED"]
    assert sorted(finished_steps) == ["pause", "start"]
    assert events[-1][0] == "end" and events[-1][2]["status"] == "SUCCEEDED"

    after_running = next(
        event_id for kind, event_id, data in events if kind == "status" and data["status"] == "RUNNING"
    )
    resumed = read_stream(api, path, {**viewer, "Last-Event-ID": str(after_running)})
    assert [data["status"] for kind, _, data in resumed if kind == "status"] == ["SUCCEEDED"]

    finished = read_stream(api, path, {**viewer, "Last-Event-ID": str(events[-1][1])})
    assert [kind for kind, _, _ in finished] == ["end"]


def test_a_buffered_stream_ends_after_each_batch_and_a_reconnecting_client_misses_nothing(
    api, alpha, status_watcher, monkeypatch
) -> None:
    """The cloud's HTTP functions answer through Mangum, which buffers: each response carries one batch."""
    monkeypatch.setenv("FORGE_HTTP_BUFFERED", "true")
    get_settings.cache_clear()
    try:
        slow = create_and_publish(api, alpha.headers[Role.OWNER], waiting_workflow(1))
        started = api.post(f"/v1/workflows/{slow}/executions", headers=alpha.headers[Role.EDITOR], json={"input": {}})
        path = f"/v1/executions/{started.json()['execution_id']}/events"
        headers = alpha.headers[Role.VIEWER]
        responses: list[list[tuple[str, str | None, dict[str, Any]]]] = []
        while not responses or responses[-1][-1][0] != "end":
            assert len(responses) < 50, "the stream never ended"
            responses.append(read_stream(api, path, headers))
            last_id = next((event_id for _, event_id, _ in reversed(responses[-1]) if event_id), None)
            headers = {**headers, "Last-Event-ID": last_id} if last_id else headers
    finally:
        get_settings.cache_clear()

    assert len(responses) > 1
    events = [event for response in responses for event in response]
    assert [data["status"] for kind, _, data in events if kind == "status"] == ["RUNNING", "SUCCEEDED"]
    step_changes = [(data["node_id"], data["status"]) for kind, _, data in events if kind == "step"]
    assert len(step_changes) == len(set(step_changes))
    assert {node for node, status in step_changes if status == "SUCCEEDED"} == {"start", "pause"}


def test_another_tenants_stream_is_not_found(api, alpha, bravo) -> None:
    slow = create_and_publish(api, bravo.headers[Role.OWNER], waiting_workflow(1))
    theirs = api.post(f"/v1/workflows/{slow}/executions", headers=bravo.headers[Role.EDITOR], json={"input": {}})
    refused = api.get(f"/v1/executions/{theirs.json()['execution_id']}/events", headers=alpha.headers[Role.VIEWER])
    assert refused.status_code == 404
