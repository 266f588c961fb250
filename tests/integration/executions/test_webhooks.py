"""Webhook endpoints over HTTP: signature checks (each a 401 that starts nothing), replays, rotation, GitHub, sync."""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.auth.principal import Role
from shared.store.tenant_scoped import TenantContext
from shared.triggers.webhook_signatures import sign_github_webhook, sign_standard_webhook
from shared.triggers.webhooks import set_hooks_enabled
from tests.integration.executions.support import create_and_publish, transform_workflow
from tests.integration.tenancy.conftest import TenantWorld, make_tenant

# The figure is 2,000 deliveries; the suite runs fewer on this 2-core machine, bench/webhook_throughput.py
# runs the full count on the local platform.
EXACTLY_ONCE_DELIVERIES = 200


def signed_headers(secret: str, body: bytes, *, message_id: str | None = None, at: int | None = None) -> dict[str, str]:
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if at is None else at
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign_standard_webhook(secret, message_id, timestamp, body),
    }


def make_hook(api: TestClient, world: TenantWorld, **options: Any) -> dict[str, Any]:
    workflow_id = create_and_publish(api, world.headers[Role.OWNER], transform_workflow("{'echo': $states.input.body}"))
    created = api.post(
        "/v1/hooks", headers=world.headers[Role.EDITOR], json={"workflow_id": workflow_id, "name": "orders", **options}
    )
    assert created.status_code == 201, created.text
    hook: dict[str, Any] = created.json()
    return hook


def executions(api: TestClient, world: TenantWorld) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/executions", params=params, headers=world.headers[Role.VIEWER]).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_a_signed_delivery_starts_the_workflow_and_the_secret_is_shown_once(api, alpha) -> None:
    hook = make_hook(api, alpha)
    body = json.dumps({"order": 7}).encode()

    delivered = api.post(hook["url"], content=body, headers=signed_headers(hook["secret"], body))

    assert delivered.status_code == 202, delivered.text
    assert delivered.json()["replayed"] is False
    started = executions(api, alpha)
    assert [(e["trigger"], e["source"]) for e in started] == [("webhook", hook["hook_id"])]
    record = api.get(f"/v1/executions/{started[0]['execution_id']}", headers=alpha.headers[Role.VIEWER]).json()
    assert record["input"]["body"] == {"order": 7}
    read = api.get(f"/v1/hooks/{hook['hook_id']}", headers=alpha.headers[Role.VIEWER]).json()
    assert "secret" not in read and read["active_secrets"] == 1
    assert hook["secret"].startswith("whsec_")


@pytest.mark.parametrize(
    "case",
    [
        "wrong secret",
        "tampered body",
        "stale timestamp",
        "future timestamp",
        "no webhook-id",
        "no webhook-timestamp",
        "no webhook-signature",
        "unsigned",
    ],
)
def test_a_badly_signed_delivery_is_a_401_and_starts_nothing(api, alpha, case: str) -> None:
    hook = make_hook(api, alpha)
    body = b'{"order": 7}'
    secret = hook["secret"]
    # Well outside the 5-minute window: a slow request must not drift a future timestamp back into it
    # (the exact edges are unit-tested with an injected clock in tests/unit/triggers).
    now = int(time.time())
    headers = {
        "wrong secret": lambda: signed_headers("whsec_" + "A" * 44, body),
        "tampered body": lambda: signed_headers(secret, b'{"order": 8}'),
        "stale timestamp": lambda: signed_headers(secret, body, at=now - 600),
        "future timestamp": lambda: signed_headers(secret, body, at=now + 600),
        "no webhook-id": lambda: {k: v for k, v in signed_headers(secret, body).items() if k != "webhook-id"},
        "no webhook-timestamp": lambda: {
            k: v for k, v in signed_headers(secret, body).items() if k != "webhook-timestamp"
        },
        "no webhook-signature": lambda: {
            k: v for k, v in signed_headers(secret, body).items() if k != "webhook-signature"
        },
        "unsigned": lambda: {"content-type": "application/json"},
    }[case]()

    refused = api.post(hook["url"], content=body, headers=headers)

    assert refused.status_code == 401, refused.text
    assert refused.json()["type"].endswith("/invalid-webhook-signature")
    assert executions(api, alpha) == []


def test_a_replayed_webhook_id_returns_the_original_execution_and_starts_nothing(api, alpha) -> None:
    hook = make_hook(api, alpha)
    body = b'{"order": 7}'
    headers = signed_headers(hook["secret"], body, message_id="msg_replayed")

    first = api.post(hook["url"], content=body, headers=headers)
    again = api.post(hook["url"], content=body, headers=signed_headers(hook["secret"], body, message_id="msg_replayed"))

    assert first.status_code == again.status_code == 202
    assert again.json()["execution_id"] == first.json()["execution_id"] and again.json()["replayed"] is True
    assert len(executions(api, alpha)) == 1


def test_during_rotation_both_secrets_verify_and_after_it_only_the_new_one(api, alpha) -> None:
    hook = make_hook(api, alpha)
    admin = alpha.headers[Role.ADMIN]
    body = b"{}"

    rotated = api.post(f"/v1/hooks/{hook['hook_id']}/rotate-secret", headers=admin, json={"overlap_seconds": 3600})
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert rotated.json()["active_secrets"] == 2
    for secret in (hook["secret"], new_secret):
        assert api.post(hook["url"], content=body, headers=signed_headers(secret, body)).status_code == 202

    final = api.post(f"/v1/hooks/{hook['hook_id']}/rotate-secret", headers=admin, json={"overlap_seconds": 0})
    newest = final.json()["secret"]
    assert api.post(hook["url"], content=body, headers=signed_headers(new_secret, body)).status_code == 401
    assert api.post(hook["url"], content=body, headers=signed_headers(newest, body)).status_code == 202
    editor_rotation = api.post(f"/v1/hooks/{hook['hook_id']}/rotate-secret", headers=alpha.headers[Role.EDITOR])
    assert editor_rotation.status_code == 403


def test_github_signatures_verify_and_need_a_delivery_id(api, alpha) -> None:
    hook = make_hook(api, alpha, scheme="github")
    body = b'{"action": "opened"}'
    signature = sign_github_webhook(hook["secret"], body)
    base = {"content-type": "application/json", "x-hub-signature-256": signature}

    accepted = api.post(hook["url"], content=body, headers={**base, "x-github-delivery": "d-1"})
    replayed = api.post(hook["url"], content=body, headers={**base, "x-github-delivery": "d-1"})
    forged = api.post(hook["url"], content=body, headers={**base, "x-hub-signature-256": "sha256=" + "0" * 64})
    anonymous = api.post(hook["url"], content=body, headers=base)

    assert accepted.status_code == 202 and replayed.json()["replayed"] is True
    assert forged.status_code == 401 and anonymous.status_code == 401
    assert len(executions(api, alpha)) == 1


def test_another_tenants_endpoint_is_not_found(api, alpha, bravo) -> None:
    hook = make_hook(api, bravo)
    for method in ("GET", "DELETE"):
        assert api.request(method, hook["url"], headers=alpha.headers[Role.OWNER]).status_code == 404
    assert api.get("/v1/hooks", headers=alpha.headers[Role.VIEWER]).json()["items"] == []


def test_sync_mode_answers_with_the_workflow_output(api, alpha, status_watcher) -> None:
    hook = make_hook(api, alpha, response_mode="sync")
    body = b'{"order": 9}'

    answered = api.post(hook["url"], content=body, headers=signed_headers(hook["secret"], body))

    assert answered.status_code == 200, answered.text
    assert answered.json() == {"echo": {"order": 9}}


def test_each_delivery_id_starts_exactly_one_execution_under_concurrency(
    api, issuer, admin_headers, emulated_aws, status_watcher
) -> None:
    world = make_tenant(api, issuer, admin_headers, "burst", tier="enterprise")
    hook = make_hook(api, world)
    unique = [f"msg_{n}" for n in range(EXACTLY_ONCE_DELIVERIES * 9 // 10)]
    # 10% of the deliveries repeat an id already sent (a sender's retry), interleaved with the rest.
    deliveries = unique + unique[::9][: EXACTLY_ONCE_DELIVERIES - len(unique)]
    clients = threading.local()

    def deliver(message_id: str) -> tuple[str, int, str]:
        if not hasattr(clients, "api"):
            clients.api = TestClient(api.app, raise_server_exceptions=False)
        body = json.dumps({"id": message_id}).encode()
        response = clients.api.post(
            hook["url"], content=body, headers=signed_headers(hook["secret"], body, message_id=message_id)
        )
        return message_id, response.status_code, response.json().get("execution_id", "")

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(deliver, deliveries))

    assert {status for _, status, _ in results} == {202}
    by_id: dict[str, set[str]] = {}
    for message_id, _, execution_id in results:
        by_id.setdefault(message_id, set()).add(execution_id)
    assert all(len(ids) == 1 for ids in by_id.values())
    started = executions(api, world)
    assert len(started) == len(unique)
    assert {e["execution_id"] for e in started} == {next(iter(ids)) for ids in by_id.values()}


@pytest.mark.parametrize(
    ("header", "delivery_id"),
    [("webhook-id", "m" * 5000), ("webhook-id", "msg with spaces"), ("x-github-delivery", "d" * 2000)],
)
def test_a_signed_delivery_with_an_id_that_cannot_be_kept_is_a_422_naming_the_header(
    api, alpha, header: str, delivery_id: str
) -> None:
    scheme = "github" if header == "x-github-delivery" else "standard"
    hook = make_hook(api, alpha, scheme=scheme)
    body = b'{"order": 7}'
    if scheme == "github":
        headers = {"content-type": "application/json", "x-hub-signature-256": sign_github_webhook(hook["secret"], body)}
        headers[header] = delivery_id
    else:
        headers = signed_headers(hook["secret"], body, message_id=delivery_id)

    refused = api.post(hook["url"], content=body, headers=headers)

    assert refused.status_code == 422, refused.text
    assert [param["name"] for param in refused.json()["invalid-params"]] == [f"/header/{header}"]
    assert executions(api, alpha) == []


def test_a_paused_endpoint_refuses_a_signed_delivery_with_409_and_starts_nothing_until_enabled_again(
    api, alpha
) -> None:
    hook = make_hook(api, alpha)
    body = json.dumps({"order": 8}).encode()
    tenant = TenantContext(alpha.tenant_id)
    assert set_hooks_enabled(tenant, hook["workflow_id"], enabled=False) == [hook["hook_id"]]

    refused = api.post(hook["url"], content=body, headers=signed_headers(hook["secret"], body, message_id="m-1"))
    unsigned = api.post(hook["url"], content=body, headers={"content-type": "application/json"})

    assert refused.status_code == 409 and "paused" in refused.json()["detail"]
    assert unsigned.status_code == 401  # the paused state is told only to a caller that signs
    assert executions(api, alpha) == []
    set_hooks_enabled(tenant, hook["workflow_id"], enabled=True)
    retried = api.post(hook["url"], content=body, headers=signed_headers(hook["secret"], body, message_id="m-1"))
    assert retried.status_code == 202, retried.text


def test_once_the_endpoint_or_its_workflow_is_deleted_a_delivery_is_a_404_though_the_container_read_them_together(
    api, alpha
) -> None:
    """A warm container reads an endpoint and its workflow in one round trip: neither is cached past a deletion."""
    of_deleted_workflow, deleted = make_hook(api, alpha), make_hook(api, alpha)
    for hook in (of_deleted_workflow, deleted):
        for _ in range(2):
            body = json.dumps({"n": 1}).encode()
            assert api.post(hook["url"], content=body, headers=signed_headers(hook["secret"], body)).status_code == 202

    workflow_url = f"/v1/workflows/{of_deleted_workflow['workflow_id']}"
    assert api.delete(workflow_url, headers=alpha.headers[Role.OWNER]).status_code == 204
    assert api.delete(f"/v1/hooks/{deleted['hook_id']}", headers=alpha.headers[Role.EDITOR]).status_code == 204

    for hook in (of_deleted_workflow, deleted):
        body = b"{}"
        answer = api.post(hook["url"], content=body, headers=signed_headers(hook["secret"], body))
        assert answer.status_code == 404, answer.text
