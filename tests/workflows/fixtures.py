"""A running local runtime for workflows: a tenant that allows 127.0.0.1, an echo server, an SNS topic, a child."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from shared.resources import APPROVALS_QUEUE
from shared.store.tenancy import TENANT_RECORD_KEY, TenantItem, TenantRecords
from shared.store.tenant_scoped import TenantContext
from tests.workflows.cases import CHILD_WORKFLOW_ID, EVENT_BUS_NAME, TENANT_ID, TOPIC_NAME, chain, node
from tests.workflows.support import PLACEMENT, create_state_machine, validate


class _EchoHandler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        payload = json.dumps({"method": self.command, "path": self.path, "body": body}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass(frozen=True)
class WorkflowRuntime:
    base_url: str
    approvals_queue_url: str


def save_tenant(tenant_id: str, settings: dict[str, object]) -> None:
    now = datetime.now(UTC)
    repository: TenantRecords = TenantRecords(TenantContext(tenant_id))
    item: TenantItem = repository.new(
        TENANT_RECORD_KEY,
        tenant_id=tenant_id,
        slug=tenant_id,
        display_name=tenant_id,
        tier="free",
        home_region=PLACEMENT.region,
        status="active",
        settings=settings,
        created_at=now,
        updated_at=now,
        gsi1sk=f"{now.isoformat()}#{tenant_id}",
    )
    repository.save(item)


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def workflow_runtime(emulated_aws: object, echo_server: str) -> WorkflowRuntime:
    save_tenant(TENANT_ID, {"http_allowed_hosts": ["127.0.0.1"]})
    boto3.client("sns", region_name=PLACEMENT.region).create_topic(Name=TOPIC_NAME)
    boto3.client("events", region_name=PLACEMENT.region).create_event_bus(Name=EVENT_BUS_NAME)
    child = validate(
        {
            "name": "child",
            "nodes": [
                node("start", "manual"),
                node("answer", "transform", expression="{'child_saw': $states.input.n}"),
            ],
            "edges": chain("start", "answer"),
        },
        workflow_id=CHILD_WORKFLOW_ID,
    )
    assert child.definition is not None, child.findings
    create_state_machine(child.definition, name=PLACEMENT.state_machine_name(CHILD_WORKFLOW_ID))
    queue_url = boto3.client("sqs", region_name=PLACEMENT.region).get_queue_url(
        QueueName=APPROVALS_QUEUE.physical_name(PLACEMENT.prefix)
    )["QueueUrl"]
    return WorkflowRuntime(base_url=echo_server, approvals_queue_url=queue_url)
