"""The execution record's one owner: what a start records, a start Step Functions refused, a status change, and
reading a record back. Every write to an execution's record goes through here (the start's transaction saves the
record `new_record` made); what the API shows of a record is shared/executions/model.py's.

A status change is a "Step Functions Execution Status Change" event's `detail` (or one of the same shape: an express
execution's log events, a synchronous express start's answer, a reconciliation). The execution's name carries the
tenant and the record's key. An end writes the record with one conditional update and gives back the execution's
running slots in the same transaction, so a start right after an observed end finds them free (an opted-in tenant's
execution of installed marketplace items adds one item per item to that transaction). What that transaction needs of
the record (the workflow slot to give back, the items to measure) and what the end's followers read come from a read
first (two round trips) or, on execution_events' status-change path, from the event and the condition (`_End`): the
end is written without a read, expecting what the record almost always holds, and a refused condition returns the
record, which decides (one round trip; two when the record holds what was not expected). Any other change is one
conditional update, whose answer is the record: it almost always applies, and a read first cost every execution a
round trip to spare a rare refused write.
Changes that race fail the condition and change nothing: a record only leaves RUNNING (or PENDING_REDRIVE) once,
unless a redrive starts it again, and takes the RUNNING of a run once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.constants import ALL_OLD
from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from shared.aws import stepfunctions
from shared.executions.causes import public_cause
from shared.executions.naming import ExecutionName
from shared.executions.payloads import (
    RECORD_INLINE_LIMIT,
    STATE_MACHINE_INPUT_LIMIT,
    encode_payload,
    load_payload_bytes,
    payload_key,
    state_machine_reference,
    store_payload,
)
from shared.executions.running_slots import end_with_slots_back
from shared.executions.statuses import ENDED, ENDED_BADLY, ExecutionStatus, Trigger
from shared.problems import NotFound, ServiceUnavailable
from shared.store.execution_ids import is_execution_id
from shared.store.executions import ExecutionItem, Executions, StatusTransition, running_shard
from shared.store.marketplace import add_execution_performance_in
from shared.store.tenant_scoped import TenantContext

_OPEN = [ExecutionStatus.RUNNING.value, ExecutionStatus.PENDING_REDRIVE.value]
_ENDING_ATTRIBUTES = (
    ExecutionItem.stopped_at,
    ExecutionItem.duration_ms,
    ExecutionItem.error,
    ExecutionItem.cause,
    ExecutionItem.failed_node,
)
# What an end may set, beside the status and its transition.
_ENDED_ATTRIBUTES = (
    *_ENDING_ATTRIBUTES,
    ExecutionItem.output,
    ExecutionItem.output_ref,
    ExecutionItem.output_unavailable,
)


def new_record(
    tenant: TenantContext,
    execution_id: str,
    *,
    workflow_id: str,
    version: int,
    trigger: Trigger,
    source: str | None,
    execution_arn: str,
    error_workflow_id: str | None,
    workflow_slot: bool,
    started_at: datetime,
    marketplace_items: list[str],
    express: bool,
) -> ExecutionItem:
    """The RUNNING record of an execution about to start (not yet written: the start's transaction saves it).
    `workflow_slot`: the start takes a running slot of the workflow's `max_concurrency`, which its end gives back.
    `marketplace_items`: the items whose measured performance its end adds to (an opted-in tenant's only).
    `express`: an express run's record stays out of `running_by_start` (its start and end cost no index writes); the
    reconciliation's express sweep finds it if it outlives its run. Its start is applied with its end (revision 0
    until then: the runner's take and the express log read it). A standard run's record is written with its start
    applied, as its RUNNING event applied it before: the RUNNING transition at the start moment and revision 1 (the
    workflow status rule no longer delivers that event; a late one is refused by revision 1)."""
    # The start applied as a standard run's RUNNING event applied it (apply_status_change).
    start_applied = [] if express else [StatusTransition(status=ExecutionStatus.RUNNING.value, at=started_at)]  # type: ignore[no-untyped-call]
    return Executions(tenant).new(
        execution_id,
        execution_id=execution_id,
        workflow_id=workflow_id,
        version=version,
        trigger=trigger.value,
        source=source,
        status=ExecutionStatus.RUNNING.value,
        running_shard=None if express else running_shard(execution_id),
        express=True if express else None,
        started_at=started_at,
        execution_arn=execution_arn,
        error_workflow_id=error_workflow_id,
        workflow_slot=True if workflow_slot else None,
        marketplace_items=marketplace_items or None,
        revision=len(start_applied),
        transitions=start_applied,
    )


def place_input(tenant: TenantContext, record: ExecutionItem, value: Any) -> str:
    """Keeps the input inline in the record when small, else in S3; returns what the state machine receives."""
    data = encode_payload(value)
    if len(data) <= RECORD_INLINE_LIMIT:
        record.input = value
        return data.decode()
    key = payload_key(tenant, record.execution_id, "input")
    store_payload(key, data)
    record.input_ref = key
    if len(data) <= STATE_MACHINE_INPUT_LIMIT:
        return data.decode()
    return json.dumps(state_machine_reference(key, len(data)))


def state_input_of(record: ExecutionItem) -> str:
    """What the state machine receives for the recorded input, as `place_input` gave it at the start (an input kept in
    S3 is read back from there: one GET, only for inputs over 64 KB)."""
    if not record.input_ref:
        return encode_payload(record.input).decode()
    data = load_payload_bytes(str(record.input_ref))
    if len(data) <= STATE_MACHINE_INPUT_LIMIT:
        return data.decode()
    return json.dumps(state_machine_reference(str(record.input_ref), len(data)))


def take_express_run(tenant: TenantContext, execution_id: str, *, now: datetime | None = None) -> ExecutionItem | None:
    """Marks the recorded run taken by the express runner, once: the record (as the update left it), or None when a
    runner took it before (a redelivered invocation) or it is no longer a run waiting to start (ended: reconciled,
    or its start failed). One conditional write, which returns the record."""
    condition = (
        ExecutionItem.pk.exists()
        & (ExecutionItem.status == ExecutionStatus.RUNNING.value)
        & (ExecutionItem.revision == 0)
        & ExecutionItem.runner_started_at.does_not_exist()
    )
    return _update_if(tenant, execution_id, [ExecutionItem.runner_started_at.set(now or datetime.now(UTC))], condition)


def mark_outlived_wait(tenant: TenantContext, execution_id: str, *, now: datetime | None = None) -> None:
    """Marks the express run's record with the moment its synchronous caller stopped waiting, while it is still
    RUNNING (one conditional write; an end applied meanwhile, from the run's failure log, leaves nothing to mark)."""
    condition = ExecutionItem.pk.exists() & (ExecutionItem.status == ExecutionStatus.RUNNING.value)
    _update_if(tenant, execution_id, [ExecutionItem.outlived_wait_at.set(now or datetime.now(UTC))], condition)


def _update_if(tenant: TenantContext, execution_id: str, actions: list[Any], condition: Any) -> ExecutionItem | None:
    """One conditional update of the record: the record as it left it, or None when the condition refused it."""
    record = Executions(tenant).new(execution_id)
    try:
        record.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return record


def record_start_failure(
    tenant: TenantContext, record: ExecutionItem, error: ClientError, *, refused_by: str = "Step Functions"
) -> ServiceUnavailable:
    """Step Functions (or Lambda, handing an express run to the runner) refused the start: the record ends FAILED and
    its slots are given back; the problem to raise."""
    record.status = ExecutionStatus.FAILED.value
    record.error = "States.StartFailed"
    record.cause = error.response["Error"].get("Message", f"{refused_by} refused to start the execution")
    record.stopped_at = datetime.now(UTC)
    record.running_shard = None
    end_with_slots_back(tenant, _workflow_slot(record), lambda transaction: transaction.save(record))
    return ServiceUnavailable(f"{refused_by} refused to start the execution: {record.cause}")


def find_execution(tenant: TenantContext, execution_id: str, *, consistent: bool = False) -> ExecutionItem:
    item = Executions(tenant).get(execution_id, consistent=consistent) if is_execution_id(execution_id) else None
    if item is None:
        raise NotFound(f"No execution with id {execution_id!r}")
    return item


@dataclass(frozen=True)
class AppliedChange:
    tenant: TenantContext
    record: ExecutionItem
    ended: bool
    # The change applied the first run's start (with the end, for a synchronous express run applied at once).
    started: bool = False
    # False: `record` holds only the end (its key, workflow, status, end attributes and the end's one transition, at
    # revision 0), written without reading the record (`apply_status_change(..., whole_record=False)`).
    whole: bool = True


# What the caller of a path that applies an end runs after each change (shared/executions/error_workflows.py's
# start_error_workflow, which sits above this module).
EndFollowUp = Callable[[AppliedChange], None]


def apply_status_change(
    detail: dict[str, Any], *, history: bool = True, whole_record: bool = True
) -> AppliedChange | None:
    """Updates the record; None when the execution is not the platform's or the event is stale or repeated.

    `history=False` for an express execution's end: Step Functions keeps no history of those to find the failed node.
    `whole_record=False`: the caller's followers need only the end (metrics, the end's waiters, which apply it to the
    record they hold: `ended_as_applied`), so an end is written without reading the record first when it can be
    (`_End.applied_unread`), and the change's record then holds only the end (`AppliedChange.whole` False).
    """
    name = ExecutionName.parse(str(detail.get("name", "")))
    if name is None:
        return None
    tenant = TenantContext(name.tenant_id)
    status = ExecutionStatus(detail["status"])
    redrives = int(detail.get("redriveCount") or 0)
    changed_at = _moment(detail.get("stopDate" if status in ENDED else "startDate")) or datetime.now(UTC)
    transition = StatusTransition(status=status.value, at=changed_at)  # type: ignore[no-untyped-call]
    actions: list[Any] = [
        ExecutionItem.status.set(status.value),
        ExecutionItem.revision.add(1),
        ExecutionItem.transitions.set(ExecutionItem.transitions.append([transition])),
    ]
    # An open record takes the changes of its current run (not a late event of a run before a redrive); an ended
    # one only those of a later redrive.
    current_run = ExecutionItem.redrive_count.does_not_exist() | (ExecutionItem.redrive_count <= redrives)
    if status is ExecutionStatus.RUNNING and not redrives:
        # The first run starts once: a repeated start (an event delivered twice, an express run reported both by its
        # log and by StartSyncExecution's answer, a standard run's RUNNING event, whose start its starter applied:
        # the workflow status rule leaves it out, but one may still arrive) finds the start already applied.
        current_run &= ExecutionItem.revision == 0
    condition = ExecutionItem.pk.exists() & (
        (ExecutionItem.status.is_in(*_OPEN) & current_run) | (ExecutionItem.redrive_count < redrives)
    )
    if redrives:
        actions.append(ExecutionItem.redrive_count.set(redrives))
    if status in ENDED:
        ending = _ending_values(tenant, name, status, detail, history=history)
        actions += [*_set_actions(ending), ExecutionItem.running_shard.remove()]
        end = _End(tenant, name, status, redrives, transition, ending, actions, condition)
        return end.applied() if whole_record else end.applied_unread(detail)
    if redrives:
        # A redrive runs the execution again: the end it had is no longer its end.
        actions += [attribute.remove() for attribute in _ENDING_ATTRIBUTES]
        actions.append(ExecutionItem.running_shard.set(running_shard(name.execution_id)))
    updated = _update_if(tenant, name.execution_id, actions, condition)
    if updated is None:
        return None
    started = status is ExecutionStatus.RUNNING and int(updated.revision) == 1
    return AppliedChange(tenant, updated, ended=False, started=started)


# Whether each workflow's executions took one of its `max_concurrency` slots, as this process last saw one end (the
# published version's settings decide it, and a new version rarely changes it): what an end written without reading
# its record expects, and checks in its condition.
_WORKFLOW_SLOTS: dict[tuple[str, str], bool] = {}
_REMEMBERED_WORKFLOWS = 4096


@dataclass(frozen=True)
class _End:
    """An end to write with the running slots back (`actions` under `condition`, the end's own), the record read first
    (`applied`) or not (`applied_unread`)."""

    tenant: TenantContext
    name: ExecutionName
    status: ExecutionStatus
    redrives: int
    transition: StatusTransition
    ending: dict[str, Any]
    actions: list[Any]
    condition: Any

    def applied(self, record: ExecutionItem | None = None) -> AppliedChange | None:
        """The end written after reading the record (or given it: as a refused write found it), which tells the
        slots it gives back and what its followers read; a stale or repeated end stops at the read."""
        if record is None:
            record = Executions(self.tenant).get(self.name.execution_id, consistent=True)
        if record is None or not _applies(record, self.status, self.redrives):
            return None
        _remember_workflow_slot(self.tenant, record)
        key = Executions(self.tenant).new(self.name.execution_id)
        if (
            end_with_slots_back(
                self.tenant,
                _workflow_slot(record),
                lambda transaction: transaction.update(key, actions=self.actions, condition=self.condition),
                None if self.redrives else _performance_of(self.tenant, record, self.status, self.ending),
            )
            is not None
        ):
            return None
        _ended_locally(record, self.status, [self.transition], self.ending, redrives=self.redrives)
        return AppliedChange(self.tenant, record, ended=True)

    def applied_unread(self, detail: dict[str, Any]) -> AppliedChange | None:
        """The end written in one round trip, without reading the record, which the condition expects to be the
        event's workflow's, to hold the workflow slot this process last saw that workflow's executions take, no
        marketplace items to measure (a first run's end) and, for a bad end, no error workflow to start. When the
        condition refuses, the record it found (ALL_OLD) decides: none (not the platform's) or a stale or repeated
        end write nothing more; otherwise the end is written as `applied` writes it, from that record."""
        workflow_id = _workflow_of(detail)
        if workflow_id is None:
            return self.applied()
        takes_slot = _WORKFLOW_SLOTS.get((self.tenant.tenant_id, workflow_id), False)
        slot = ExecutionItem.workflow_slot.exists() if takes_slot else ExecutionItem.workflow_slot.does_not_exist()
        expected = (ExecutionItem.workflow_id == workflow_id) & slot
        if not self.redrives:
            expected &= ExecutionItem.marketplace_items.does_not_exist()
        if self.status in ENDED_BADLY:
            expected &= ExecutionItem.error_workflow_id.does_not_exist()
        key = Executions(self.tenant).new(self.name.execution_id)
        refused = end_with_slots_back(
            self.tenant,
            workflow_id if takes_slot else None,
            lambda transaction: transaction.update(
                key, actions=self.actions, condition=self.condition & expected, return_values=ALL_OLD
            ),
        )
        if refused is None:
            return AppliedChange(self.tenant, self._end_only(workflow_id, takes_slot), ended=True, whole=False)
        if refused.item is None:
            return None
        return self.applied(ExecutionItem.from_raw_data(refused.item))

    def _end_only(self, workflow_id: str, takes_slot: bool) -> ExecutionItem:
        """What the end wrote, as a record holding only that (revision 0: see `ended_as_applied`)."""
        record = Executions(self.tenant).new(
            self.name.execution_id,
            execution_id=self.name.execution_id,
            workflow_id=workflow_id,
            status=self.status.value,
            workflow_slot=True if takes_slot else None,
            revision=0,
            transitions=[self.transition],
        )
        for attribute, value in self.ending.items():
            setattr(record, attribute, value)
        if self.redrives:
            record.redrive_count = self.redrives
        return record


def ended_as_applied(known: ExecutionItem, ended: ExecutionItem) -> ExecutionItem:
    """The ended record as a waiter holding `known` (the record as its start wrote it, or as it read it while it ran)
    sees it: a whole ended record as it is; an end written without a read (`AppliedChange.whole` False, which holds
    revision 0, as no whole ended record does) applied to a copy of `known` as the end's update applied it to the
    stored record. Attributes the run itself added to the record (an agent's tokens) are as `known` has them."""
    if int(ended.revision or 0):
        return ended
    record = ExecutionItem.from_raw_data(known.serialize(null_check=False))
    record.status = ended.status
    record.revision = int(record.revision or 0) + len(ended.transitions or [])
    record.transitions = [*(record.transitions or []), *(ended.transitions or [])]
    for attribute in _ENDED_ATTRIBUTES:
        setattr(record, attribute.attr_name, getattr(ended, attribute.attr_name))
    record.running_shard = None
    if int(ended.redrive_count or 0):
        record.redrive_count = ended.redrive_count
    return record


def _workflow_of(detail: dict[str, Any]) -> str | None:
    """The workflow of the execution the event is about: its state machine is `<prefix>-wf-<workflow id>` (the
    execution's ARN names it: `arn:aws:states:<region>:<account>:execution:<state machine>:<name>`)."""
    parts = str(detail.get("executionArn", "")).split(":")
    if len(parts) < 8 or "-" not in parts[6]:
        return None
    return parts[6].rsplit("-", 1)[1] or None


def _remember_workflow_slot(tenant: TenantContext, record: ExecutionItem) -> None:
    if len(_WORKFLOW_SLOTS) >= _REMEMBERED_WORKFLOWS:
        _WORKFLOW_SLOTS.clear()
    _WORKFLOW_SLOTS[(tenant.tenant_id, str(record.workflow_id))] = bool(record.workflow_slot)


def apply_run_result(record: ExecutionItem, running: dict[str, Any], ended: dict[str, Any]) -> list[AppliedChange]:
    """A synchronous express run's two status changes (its start, then its end) in one update of the `record` its start
    wrote, when neither was applied yet, the usual case; otherwise each alone, as their events would be (the
    execution's log events may have brought its start first). An express execution keeps no history to find the
    failed node in. The end gives back the running slots in the same transaction."""
    name = ExecutionName.parse(str(ended.get("name", "")))
    if name is None:
        return []
    tenant = TenantContext(name.tenant_id)
    status = ExecutionStatus(ended["status"])
    now = datetime.now(UTC)
    transitions = [
        StatusTransition(status=ExecutionStatus.RUNNING.value, at=_moment(running.get("startDate")) or now),  # type: ignore[no-untyped-call]
        StatusTransition(status=status.value, at=_moment(ended.get("stopDate")) or now),  # type: ignore[no-untyped-call]
    ]
    ending = _ending_values(tenant, name, status, ended, history=False)
    actions: list[Any] = [
        ExecutionItem.status.set(status.value),
        ExecutionItem.revision.add(len(transitions)),
        ExecutionItem.transitions.set(ExecutionItem.transitions.append(transitions)),
        *_set_actions(ending),
        ExecutionItem.running_shard.remove(),
    ]
    condition = (
        ExecutionItem.pk.exists()
        & (ExecutionItem.status == ExecutionStatus.RUNNING.value)
        & (ExecutionItem.revision == 0)
        & (ExecutionItem.redrive_count.does_not_exist() | (ExecutionItem.redrive_count == 0))
    )
    key = Executions(tenant).new(name.execution_id)
    if (
        end_with_slots_back(
            tenant,
            _workflow_slot(record),
            lambda transaction: transaction.update(key, actions=actions, condition=condition),
            _performance_of(tenant, record, status, ending),
        )
        is not None
    ):
        applied = (apply_status_change(detail, history=False) for detail in (running, ended))
        return [change for change in applied if change is not None]
    _ended_locally(record, status, transitions, ending, redrives=0)
    return [AppliedChange(tenant, record, ended=True, started=True)]


def apply_logged_changes(details: list[dict[str, Any]]) -> list[AppliedChange]:
    """An express log batch's status changes (no history to find a failed node in), each execution's in order. An
    execution whose batch carries just its first run's start and then its end costs one read: nothing more when a
    synchronous start already applied both (the usual case), else both in one update as apply_run_result writes
    them; any other sequence goes change by change."""
    by_execution: dict[str, list[dict[str, Any]]] = {}
    for detail in details:
        by_execution.setdefault(str(detail.get("name", "")), []).append(detail)
    applied: list[AppliedChange] = []
    for changes in by_execution.values():
        if len(changes) == 2 and _first_start_then_end(*changes):
            applied += _apply_start_and_end(*changes)
            continue
        for detail in changes:
            change = apply_status_change(detail, history=False)
            if change is not None:
                applied.append(change)
    return applied


def _first_start_then_end(first: dict[str, Any], second: dict[str, Any]) -> bool:
    unredriven = not int(first.get("redriveCount") or 0) and not int(second.get("redriveCount") or 0)
    return (
        unredriven
        and first.get("status") == ExecutionStatus.RUNNING.value
        and ExecutionStatus(second["status"]) in ENDED
    )


def _apply_start_and_end(running: dict[str, Any], ended: dict[str, Any]) -> list[AppliedChange]:
    name = ExecutionName.parse(str(ended.get("name", "")))
    if name is None:
        return []
    record = Executions(TenantContext(name.tenant_id)).get(name.execution_id, consistent=True)
    if record is None or str(record.status) not in _OPEN or int(record.redrive_count or 0):
        # Not the platform's, or ended (by StartSyncExecution's answer or an earlier batch): both are stale.
        return []
    if int(record.revision or 0):
        change = apply_status_change(ended, history=False)
        return [change] if change is not None else []
    return apply_run_result(record, running, ended)


def _applies(record: ExecutionItem, status: ExecutionStatus, redrives: int) -> bool:
    """The update's condition, checked on the record as read (the update checks it again)."""
    recorded_redrives = int(record.redrive_count or 0)
    current_run = recorded_redrives <= redrives
    if status is ExecutionStatus.RUNNING and not redrives:
        current_run = current_run and int(record.revision or 0) == 0
    return (str(record.status) in _OPEN and current_run) or recorded_redrives < redrives


def _performance_of(
    tenant: TenantContext, record: ExecutionItem, status: ExecutionStatus, ending: dict[str, Any]
) -> Callable[[TransactWrite], None] | None:
    """What the end adds to the measured performance of the marketplace items the execution ran (its first run's end
    only, and only when its opted-in tenant's start copied the items onto the record)."""
    items = list(record.marketplace_items or [])
    if not items:
        return None
    tokens = int(record.input_tokens or 0) + int(record.output_tokens or 0)
    return lambda transaction: add_execution_performance_in(
        transaction,
        tenant.tenant_id,
        items,
        succeeded=status is ExecutionStatus.SUCCEEDED,
        duration_ms=ending.get("duration_ms"),
        tokens=tokens,
    )


def _workflow_slot(record: ExecutionItem) -> str | None:
    return str(record.workflow_id) if record.workflow_slot else None


def _set_actions(values: dict[str, Any]) -> list[Any]:
    return [getattr(ExecutionItem, attribute).set(value) for attribute, value in values.items()]


def _ended_locally(
    record: ExecutionItem,
    status: ExecutionStatus,
    transitions: list[StatusTransition],
    ending: dict[str, Any],
    *,
    redrives: int,
) -> None:
    """The record as the end's transaction left it (a transaction returns no item)."""
    record.status = status.value
    record.revision = int(record.revision or 0) + len(transitions)
    record.transitions = [*(record.transitions or []), *transitions]
    for attribute, value in ending.items():
        setattr(record, attribute, value)
    record.running_shard = None
    if redrives:
        record.redrive_count = redrives


def _ending_values(
    tenant: TenantContext, name: ExecutionName, status: ExecutionStatus, detail: dict[str, Any], *, history: bool
) -> dict[str, Any]:
    """The attributes an end sets, by name."""
    started = _moment(detail.get("startDate"))
    stopped = _moment(detail.get("stopDate")) or datetime.now(UTC)
    values: dict[str, Any] = {"stopped_at": stopped}
    if started is not None:
        values["duration_ms"] = int((stopped - started).total_seconds() * 1000)
    if status is ExecutionStatus.SUCCEEDED and detail.get("output") is not None:
        output_text = str(detail["output"])
        if len(output_text.encode()) <= RECORD_INLINE_LIMIT:
            values["output"] = json.loads(output_text)
        else:
            key = payload_key(tenant, name.execution_id, "output")
            store_payload(key, output_text.encode())
            values["output_ref"] = key
    if status is ExecutionStatus.SUCCEEDED and detail.get("outputUnavailable"):
        # Not an EventBridge field: reconciliation's inferred end of an express run (execution_reconcile.py).
        values["output_unavailable"] = str(detail["outputUnavailable"])
    if status in ENDED_BADLY:
        if detail.get("error"):
            values["error"] = str(detail["error"])[:32_768]
        cause = public_cause(str(detail["cause"])) if detail.get("cause") else None
        if cause:
            values["cause"] = cause[:32_768]
        node = _failed_node(str(detail.get("executionArn", ""))) if history else None
        if node:
            values["failed_node"] = node
    return values


def _failed_node(execution_arn: str) -> str | None:
    if not execution_arn:
        return None
    # Imported here: the steps are the API's models, which starting an execution (schedule_fire) does not load.
    from shared.executions.steps import failed_node

    return failed_node(stepfunctions.first_history_events(execution_arn))


def _moment(epoch_milliseconds: Any) -> datetime | None:
    if epoch_milliseconds in (None, ""):
        return None
    return datetime.fromtimestamp(int(epoch_milliseconds) / 1000, UTC)


def add_tokens_in(
    transaction: TransactWrite, tenant: TenantContext, execution_arn: str, input_tokens: int, output_tokens: int
) -> None:
    """Adds an agent turn's tokens to its execution's record within the caller's transaction, when the platform
    started that execution (a state machine run outside the platform, or another tenant's name, has no record here)."""
    # A standard execution's ARN ends with its name; an express one's with the name and a run id.
    names = (ExecutionName.parse(part) for part in reversed(execution_arn.split(":")[-2:]))
    name = next((parsed for parsed in names if parsed is not None), None)
    if name is None or name.tenant_id != tenant.tenant_id:
        return
    transaction.update(
        Executions(tenant).new(name.execution_id),
        actions=[ExecutionItem.input_tokens.add(input_tokens), ExecutionItem.output_tokens.add(output_tokens)],
        condition=ExecutionItem.pk.exists(),
    )
