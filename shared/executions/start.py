"""Starting an execution, the one path for every trigger: quotas, idempotency, the record, then Step Functions.

One DynamoDB transaction records the start: the idempotency key (if any), the record and a running slot under the
concurrent quota (and one under the workflow's `max_concurrency`, when it has one; an agent workflow's start records the
tier's token quota on the month's usage, for its model turns). The monthly quota is counted from the executions table's
stream (shared/tenancy/quotas.py): a start is refused once the counted executions reach it, as the start path last read
them (with the tenant's standing, at most TENANT_STANDING_SECONDS ago). Idempotency is this conditional put, not
Powertools' idempotency utility: that utility keeps its own table keyed outside the tenant's partitions and caches a
handler's response, where this needs a 409 for a reused key with another body, the execution id recorded atomically with
the execution it names, and no quota spent by a replay (the whole transaction is cancelled). A start costs one round
trip for that, plus the live-version lookup (none when the caller read the workflow's item already, as a webhook
delivery does with its endpoint); the tenant's tier, status and month's counted executions are cached for a few seconds.
A refused key comes back with the cancelled transaction, so a replay reads only the execution it names.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.constants import ALL_OLD
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.auth.errors import QuotaExceeded, TenantInactive
from shared.aws import stepfunctions
from shared.executions.naming import ExecutionName, execution_arn
from shared.executions.record import (
    AppliedChange,
    find_execution,
    new_record,
    place_input,
    record_start_failure,
)
from shared.executions.running_slots import CONDITION_FAILED, transactions_connection
from shared.executions.statuses import Trigger
from shared.executions.targets import RunTarget, resolve_run_target
from shared.problems import Conflict, NotFound, ProblemError
from shared.store.execution_ids import new_execution_id
from shared.store.executions import (
    ExecutionItem,
    Executions,
    IdempotencyItem,
    IdempotencyKeys,
    RunningCounterItem,
    RunningExecutions,
)
from shared.store.tenancy import TENANT_RECORD_KEY, TenantRecords
from shared.store.tenant_scoped import TenantContext
from shared.store.workflows import WorkflowItem
from shared.tenancy.quotas import (
    agent_tokens_limit_update,
    counted_executions,
    ensure_agent_tokens_left,
    ensure_monthly_executions_left,
    month_key,
)
from shared.tenancy.tenant_settings import shares_marketplace_performance
from shared.tenancy.tiers import tier_limits

IDEMPOTENCY_WINDOW = timedelta(hours=24)
# A suspension, a tier change or the month's counted executions reach running containers within this many seconds.
TENANT_STANDING_SECONDS = 10.0


@dataclass(frozen=True)
class _Standing:
    valid_until: float
    status: str
    tier: str
    shares_performance: bool
    month: str
    counted_executions: int


_TENANT_STANDING: dict[str, _Standing] = {}


class WaitNeedsExpress(ProblemError):
    status = 422
    slug = "wait-needs-express"
    title = "Only express workflows run synchronously"


class IdempotencyKeyReused(Conflict):
    slug = "idempotency-key-reused"
    title = "The Idempotency-Key was used with a different request"


@dataclass(frozen=True)
class StartRequest:
    workflow_id: str
    input: Any
    trigger: Trigger
    version: int | None = None
    source: str | None = None
    idempotency_key: str | None = None
    # The workflow's item, when the caller read it in this request (a webhook delivery reads it with its endpoint).
    workflow: WorkflowItem | None = field(default=None, compare=False)


def request_fingerprint(request: StartRequest) -> str:
    canonical = json.dumps(
        {"workflow_id": request.workflow_id, "version": request.version, "input": request.input},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def start_execution(tenant: TenantContext, request: StartRequest, *, now: datetime | None = None) -> ExecutionItem:
    """Starts the workflow (or returns the execution an earlier request with the same Idempotency-Key started)."""
    return start_or_replay(tenant, request, now=now)[0]


def start_or_replay(
    tenant: TenantContext, request: StartRequest, *, now: datetime | None = None
) -> tuple[ExecutionItem, bool]:
    """(the execution, True if this call started it; False if an earlier request with the same key did)."""
    record, started, _ = _start(tenant, request, now or datetime.now(UTC), wait_seconds=None)
    return record, started


def start_synchronously(
    tenant: TenantContext, request: StartRequest, wait_seconds: float
) -> tuple[ExecutionItem, list[AppliedChange]]:
    """Express workflows only: starts with StartSyncExecution and waits at most `wait_seconds` for the end (the
    record then holds the end, which express workflows report in no event). The record, and the status changes the
    run applied, whose error workflows are the caller's to start (none for a replay of an earlier request)."""
    record, _, changes = _start(tenant, request, datetime.now(UTC), wait_seconds=wait_seconds)
    return record, changes


@dataclass(frozen=True)
class FollowedStart:
    record: ExecutionItem
    started: bool
    # Applied by a synchronous express run: their error workflows are the caller's to start.
    changes: list[AppliedChange]


def start_and_follow(
    tenant: TenantContext, request: StartRequest, wait_seconds: float, *, now: datetime | None = None
) -> FollowedStart:
    """Starts and waits at most `wait_seconds` for the end: an express workflow runs with StartSyncExecution (as
    wait=true does), a standard one, or the execution an earlier request with the same key started, is waited for on
    its status change (shared/executions/end_signals.py). The record then: ended, or still running past the wait."""
    from shared.executions.end_signals import wait_for_end
    from shared.executions.express import SyncWaitExceeded

    deadline = time.monotonic() + wait_seconds
    try:
        record, started, changes = _start(
            tenant, request, now or datetime.now(UTC), wait_seconds=wait_seconds, standard_waits=True
        )
    except SyncWaitExceeded as exceeded:
        running = find_execution(tenant, str(exceeded.extensions["execution_id"]), consistent=True)
        return FollowedStart(running, True, [])
    return FollowedStart(wait_for_end(tenant, record, max(0.0, deadline - time.monotonic())), started, changes)


def _start(
    tenant: TenantContext,
    request: StartRequest,
    moment: datetime,
    *,
    wait_seconds: float | None,
    standard_waits: bool = False,
) -> tuple[ExecutionItem, bool, list[AppliedChange]]:
    """`wait_seconds`: an express workflow runs synchronously; a standard one is a 422, or, with `standard_waits`,
    started as usual for the caller to wait on."""
    fingerprint = request_fingerprint(request) if request.idempotency_key else None
    target = resolve_run_target(tenant, request.workflow_id, request.version, workflow=request.workflow)
    if wait_seconds is not None and target.mode != "express" and not standard_waits:
        raise WaitNeedsExpress(
            f"Workflow {request.workflow_id} version {target.version} is a standard workflow: only express workflows "
            "run synchronously (wait=true); start it without wait and follow /v1/executions/{id}/events"
        )
    tier, shares_performance, counted = _active_tier(tenant, moment)
    try:
        ensure_monthly_executions_left(tier, counted)
    except QuotaExceeded:
        # A replay of a request that started before the quota was reached still gets its execution.
        earlier = (
            _earlier_start(tenant, request.idempotency_key, fingerprint, moment, None)
            if request.idempotency_key and fingerprint
            else None
        )
        if earlier is None:
            raise
        return earlier, False, []
    if target.runs_agents:
        ensure_agent_tokens_left(tenant, tier_limits(tier).monthly_agent_tokens, now=moment)
    execution_id = new_execution_id(moment.timestamp())
    name = ExecutionName(tenant.tenant_id, execution_id)
    record = new_record(
        tenant,
        execution_id,
        workflow_id=target.workflow_id,
        version=target.version,
        trigger=request.trigger,
        source=request.source,
        execution_arn=execution_arn(target.state_machine_arn, name),
        error_workflow_id=target.error_workflow_id,
        workflow_slot=target.max_concurrency is not None,
        started_at=moment,
        marketplace_items=list(target.marketplace_items) if shares_performance else [],
        express=target.mode == "express",
    )
    state_machine_input = place_input(tenant, record, request.input)
    try:
        _record_start(tenant, record, request, fingerprint, tier, moment, target)
    except _KeyTaken as taken:
        # An earlier request with this key recorded its execution: it is this request's answer (or a 409).
        assert request.idempotency_key and fingerprint
        earlier = _earlier_start(tenant, request.idempotency_key, fingerprint, moment, taken.remembered)
        if earlier is None:
            raise Conflict(f"Idempotency-Key {request.idempotency_key!r} is being used concurrently; retry") from None
        return earlier, False, []
    if wait_seconds is not None and target.mode == "express":
        # Only the synchronous path needs it.
        from shared.executions.express import run_synchronously

        ended, changes = run_synchronously(tenant, record, target.version_arn, name, state_machine_input, wait_seconds)
        return ended, True, changes
    if target.mode == "express":
        _hand_to_runner(tenant, record, target, name)
    else:
        _start_state_machine(tenant, record, target, name, state_machine_input)
    return record, True, []


class _KeyTaken(Exception):
    """The start's transaction found the idempotency key recorded by an earlier request (as it was then, if told)."""

    def __init__(self, remembered: IdempotencyItem | None) -> None:
        super().__init__("idempotency key taken")
        self.remembered = remembered


def _earlier_start(
    tenant: TenantContext, key: str, fingerprint: str, moment: datetime, remembered: IdempotencyItem | None
) -> ExecutionItem | None:
    if remembered is None:
        remembered = IdempotencyKeys(tenant).get(key, consistent=True)
    if remembered is None or remembered.expires_at <= moment.timestamp():
        return None
    if remembered.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} started execution {remembered.execution_id} with another body in the last 24 h"
        )
    earlier = Executions(tenant).get(remembered.execution_id, consistent=True)
    if earlier is None:
        raise NotFound(f"Execution {remembered.execution_id} of Idempotency-Key {key!r} no longer exists")
    return earlier


def _active_tier(tenant: TenantContext, moment: datetime) -> tuple[str, bool, int]:
    """(the tier of the active tenant, whether it shares its marketplace items' performance, the executions counted
    in `moment`'s month)."""
    cached = _TENANT_STANDING.get(tenant.tenant_id)
    month = month_key(moment)
    if cached is None or cached.valid_until < moment.timestamp() or cached.month != month:
        record = TenantRecords(tenant).get(TENANT_RECORD_KEY)
        if record is None:
            raise NotFound(f"No tenant with id {tenant.tenant_id!r}")
        cached = _Standing(
            valid_until=moment.timestamp() + TENANT_STANDING_SECONDS,
            status=str(record.status),
            tier=str(record.tier),
            shares_performance=shares_marketplace_performance(record.settings),
            month=month,
            counted_executions=counted_executions(tenant, moment),
        )
        _TENANT_STANDING[tenant.tenant_id] = cached
    if cached.status != "active":
        raise TenantInactive(f"The tenant is {cached.status}; executions can't start")
    return cached.tier, cached.shares_performance, cached.counted_executions


def _record_start(
    tenant: TenantContext,
    record: ExecutionItem,
    request: StartRequest,
    fingerprint: str | None,
    tier: str,
    moment: datetime,
    target: RunTarget,
) -> None:
    """The start transaction; _KeyTaken when an earlier request recorded the same idempotency key (with that key's
    item, which the refused condition returns: a replay costs no read of it)."""
    limits = tier_limits(tier)
    max_concurrency = target.max_concurrency
    running = RunningExecutions(tenant)
    # Which problem each transaction item's failed condition means, in the order the items are written.
    refusals: list[Exception | None] = []
    try:
        with TransactWrite(connection=transactions_connection()) as transaction:
            if request.idempotency_key and fingerprint:
                remembered = IdempotencyKeys(tenant).new(
                    request.idempotency_key,
                    request_hash=fingerprint,
                    execution_id=record.execution_id,
                    expires_at=int((moment + IDEMPOTENCY_WINDOW).timestamp()),
                )
                transaction.save(
                    remembered,
                    condition=IdempotencyItem.pk.does_not_exist() | (IdempotencyItem.expires_at <= moment.timestamp()),
                    return_values=ALL_OLD,
                )
                refusals.append(None)
            transaction.save(record, condition=ExecutionItem.pk.does_not_exist())
            refusals.append(Conflict(f"Execution {record.execution_id} already exists"))
            transaction.update(
                running.counter(),
                actions=[RunningCounterItem.running.add(1)],
                condition=RunningCounterItem.running.does_not_exist()
                | (RunningCounterItem.running < limits.concurrent_executions),
            )
            refusals.append(
                QuotaExceeded(
                    f"The tenant already runs {limits.concurrent_executions} executions, its tier's concurrent limit",
                    quota="concurrent_executions",
                    limit=limits.concurrent_executions,
                )
            )
            if max_concurrency is not None:
                transaction.update(
                    running.workflow_counter(record.workflow_id),
                    actions=[RunningCounterItem.running.add(1)],
                    condition=RunningCounterItem.running.does_not_exist()
                    | (RunningCounterItem.running < max_concurrency),
                )
                refusals.append(
                    QuotaExceeded(
                        f"Workflow {record.workflow_id} already runs {max_concurrency} executions, "
                        "its settings' max_concurrency",
                        quota="workflow_max_concurrency",
                        limit=max_concurrency,
                    )
                )
            if target.runs_agents:
                transaction.update(*agent_tokens_limit_update(tenant, tier, moment))
                refusals.append(None)
    except TransactWriteError as error:
        reasons = [reason.code if reason else None for reason in error.cancellation_reasons or []]
        if CONDITION_FAILED not in reasons:
            raise
        if request.idempotency_key and reasons[0] == CONDITION_FAILED:
            taken = (error.cancellation_reasons or [None])[0]
            raw = taken.raw_item if taken is not None else None
            raise _KeyTaken(IdempotencyItem.from_raw_data(raw) if raw else None) from error
        for reason, refusal in zip(reasons, refusals, strict=False):
            if reason == CONDITION_FAILED and refusal is not None:
                raise refusal from error
        raise


def _hand_to_runner(tenant: TenantContext, record: ExecutionItem, target: RunTarget, name: ExecutionName) -> None:
    """An express run started without a wait is run synchronously by the express runner (shared/executions/runner.py),
    so that its end reaches the record without its machine logging successes."""
    from shared.executions.runner import hand_to_runner

    try:
        hand_to_runner(name, target.version_arn)
    except ClientError as error:
        raise record_start_failure(tenant, record, error, refused_by="Lambda (the express runner)") from error


def _start_state_machine(
    tenant: TenantContext, record: ExecutionItem, target: RunTarget, name: ExecutionName, state_input: str
) -> None:
    """StartExecution of the recorded standard run. Its record was written RUNNING with the transition and `revision`
    1 (new_record): Step Functions' RUNNING event would tell it nothing, so the workflow status rule leaves it out
    (shared/executions/status_rule.py) and the start is settled here."""
    try:
        stepfunctions.start_execution(target.version_arn, str(name), state_input)
    except ClientError as error:
        raise record_start_failure(tenant, record, error) from error
    # Imported here: Powertools' metrics cost the API functions' cold start about 20 ms, and only standard starts
    # need them on this path.
    from shared.executions.settle import settle_start

    settle_start(tenant, record)
