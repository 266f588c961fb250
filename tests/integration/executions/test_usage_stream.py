"""The month's executions are counted from the executions table's stream, not in the start's transaction: each start
once, on the tenant's month and the workflow's, a batch delivered again adding nothing; the quota then refuses starts
once the counted executions reach it, overshot by at most what starts before the start path reads the count again."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devserver.emulation import LOCAL_PREFIX
from shared.auth.errors import QuotaExceeded
from shared.auth.principal import Role
from shared.catalog import function_physical_name
from shared.executions.start import TENANT_STANDING_SECONDS, StartRequest, start_execution, start_or_replay
from shared.executions.statuses import Trigger
from shared.executions.table_stream import count_batch
from shared.store.tenancy import Usage
from shared.store.tenant_scoped import TenantContext
from shared.tenancy import tiers
from shared.tenancy.quotas import month_key, workflow_month_key
from shared.tenancy.tiers import Tier
from tests.integration.executions.support import create_and_publish, deliver_executions_stream, transform_workflow
from tests.integration.tenancy.conftest import TenantWorld


def counted(world: TenantWorld, key: str) -> int:
    item = Usage(TenantContext(world.tenant_id)).get(key, consistent=True)
    return int(item.executions) if item is not None else 0


def start(api, world: TenantWorld, workflow_id: str) -> None:
    response = api.post(f"/v1/workflows/{workflow_id}/executions", headers=world.headers[Role.EDITOR], json={})
    assert response.status_code == 202, response.text


def test_each_start_is_counted_once_on_the_tenants_and_the_workflows_month(
    api, alpha: TenantWorld, emulated_aws, executions_stream, monkeypatch
) -> None:
    owner = alpha.headers[Role.OWNER]
    first = create_and_publish(api, owner, transform_workflow("$states.input"))
    second = create_and_publish(api, owner, transform_workflow("$states.input"))
    for workflow_id in (first, first, second):
        start(api, alpha, workflow_id)
    counter = function_physical_name(LOCAL_PREFIX, "execution_usage")
    delivered: list[tuple[str, bytes]] = []
    invoke = emulated_aws.invoke

    def recorded(*call: Any) -> Any:
        delivered.append(call)
        return invoke(*call)

    monkeypatch.setattr(emulated_aws, "invoke", recorded)

    deliver_executions_stream(executions_stream)
    # The event source mapping retries a batch: delivered again, it counts nothing twice.
    (batch,) = [payload for name, payload in delivered if name == counter]
    invoke(counter, batch)

    report = api.get("/v1/usage", headers=alpha.headers[Role.VIEWER]).json()
    assert report["executions"] == 3
    assert {(usage["workflow_id"], usage["executions"]) for usage in report["workflows"]} == {(first, 2), (second, 1)}


def stream_record(tenant_id: str, sequence_number: str, moment: datetime) -> dict[str, Any]:
    image = {
        "pk": {"S": f"TENANT#{tenant_id}#EXEC"},
        "sk": {"S": f"exec{sequence_number}"},
        "workflow_id": {"S": "wf1"},
        "execution_arn": {"S": f"arn:aws:states:us-east-1:000000000000:execution:wf1:exec{sequence_number}"},
        "started_at": {"S": moment.strftime("%Y-%m-%dT%H:%M:%S.%f+0000")},
    }
    return {"eventName": "INSERT", "dynamodb": {"NewImage": image, "SequenceNumber": sequence_number}}


def test_a_batch_delivered_again_with_newer_records_counts_only_those(alpha: TenantWorld) -> None:
    moment = datetime.now(UTC)
    first, second, third = (stream_record(alpha.tenant_id, number, moment) for number in ("900", "1000", "1100"))
    status_change = {**third, "eventName": "MODIFY"}

    assert count_batch([first, second, status_change]) == 2
    # Bisected or retried with what came after it: only the newer record counts.
    assert count_batch([first, second, third]) == 1
    assert count_batch([second, third]) == 0

    assert counted(alpha, month_key(moment)) == 3
    assert counted(alpha, workflow_month_key(moment, "wf1")) == 3


def test_the_monthly_quota_is_overshot_only_by_starts_before_the_count_is_read_again_and_replays_still_answer(
    api, alpha: TenantWorld, executions_stream, monkeypatch
) -> None:
    small = tiers.TierLimits(**{**tiers.TIERS[Tier.BASIC].__dict__, "monthly_executions": 2})
    monkeypatch.setitem(tiers.TIERS, Tier.BASIC, small)
    workflow_id = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input"))
    tenant, request = TenantContext(alpha.tenant_id), StartRequest(workflow_id, {}, Trigger.MANUAL)
    opened = datetime.now(UTC).replace(day=15, hour=12)
    first = start_execution(tenant, replace(request, idempotency_key="first"), now=opened)
    start_execution(tenant, request, now=opened)
    deliver_executions_stream(executions_stream)

    # The quota is reached, but this container read the count before: one more start gets through.
    start_execution(tenant, request, now=opened + timedelta(seconds=TENANT_STANDING_SECONDS / 2))
    with pytest.raises(QuotaExceeded) as refused:
        start_execution(tenant, request, now=opened + timedelta(seconds=TENANT_STANDING_SECONDS + 1))

    assert refused.value.extensions["quota"] == "monthly_executions"
    # A request repeated with its Idempotency-Key is answered with the execution it started, as before the quota.
    replayed, started = start_or_replay(
        tenant, replace(request, idempotency_key="first"), now=opened + timedelta(minutes=1)
    )
    assert (replayed.execution_id, started) == (first.execution_id, False)
    deliver_executions_stream(executions_stream)
    assert counted(alpha, month_key(opened)) == 3
