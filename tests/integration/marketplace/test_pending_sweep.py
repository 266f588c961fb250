"""The scanner's sweep: a version the stream never handed to the scanner (its event source mapping gave up on the
batch) stays pending until, a quarter of an hour after its publish, the sweep marks it for the scanner again; the
stream's rescan filter then delivers it, the scan approves it, and later sweeps find nothing to do."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_PREFIX
from devserver.lambda_runtime import LocalLambdaRuntime
from devserver.table_stream_poller import TableStreamPoller
from shared.catalog import function_physical_name
from shared.marketplace.publishing import requeue_stale_pending
from shared.resources import PLATFORM_TABLE
from shared.store.marketplace import pending_scans_before
from tests.integration.marketplace.test_install_api import greeting_template
from tests.integration.marketplace.test_publishing_api import scanned, signed_upload


def drop_stream_records(runtime: LocalLambdaRuntime) -> None:
    """What an event source mapping that gave up on a batch leaves: the records gone, nothing handled."""
    from moto.backends import get_backend

    table = get_backend("dynamodb")[runtime.account][runtime.region].tables[PLATFORM_TABLE.physical_name(LOCAL_PREFIX)]
    shard = table.stream_shard
    assert shard is not None
    shard.starting_sequence_number += len(shard.items)
    shard.items.clear()


def test_a_version_the_stream_left_pending_is_requeued_once_stale_then_scanned(
    api: TestClient,
    acme: tuple[dict[str, str], bytes],
    stream: TableStreamPoller,
    emulated_aws: LocalLambdaRuntime,
) -> None:
    headers, private_pem = acme
    upload = signed_upload(greeting_template(), {"README.md": b"# Greeting\n"}, private_pem)
    accepted = api.post("/v1/marketplace/items/acme/greeting/versions", headers=headers, json=upload)
    assert accepted.status_code == 202, accepted.text
    drop_stream_records(emulated_aws)
    published = datetime.now(UTC)

    too_young = requeue_stale_pending(published + timedelta(minutes=5))
    stale = requeue_stale_pending(published + timedelta(minutes=16))
    swept_again = requeue_stale_pending(published + timedelta(minutes=17))
    pending_until_delivered = scanned(api, headers, accepted)["status"]
    stream.poll_once()

    assert too_young == [] and swept_again == []
    assert stale == [("acme", "greeting", "1.0.0")]
    assert pending_until_delivered == "pending"
    assert scanned(api, headers, accepted)["status"] == "approved"
    assert api.get("/v1/marketplace/items/acme/greeting", headers=headers).status_code == 200
    assert requeue_stale_pending(published + timedelta(hours=1)) == []
    assert pending_scans_before(published + timedelta(hours=1)) == []


def test_the_scanner_sweeps_on_its_scheduled_event(emulated_aws: LocalLambdaRuntime) -> None:
    event = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}

    result = emulated_aws.invoke(
        function_physical_name(LOCAL_PREFIX, "marketplace_scanner"), json.dumps(event).encode()
    )

    assert not result.get("FunctionError")
    answer: Any = json.loads(result["Payload"].read())
    assert answer == {"requeued": 0}
