"""Quality control of a tenant's workflows: the detector run on each ended execution, the events it records with the
actions its workflow's policy took, their undo, and the policies.

The ends come from the executions table's stream (shared/quality/stream.py), not from the status path: a batch costs
a consistent read of each workflow's watch item and one conditional update of its state, whatever number of that
workflow's ends it carries; a finding adds one put (the event, conditional on its id, so it is acted on once) and one
update (its actions' results).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from pynamodb.exceptions import PutError, UpdateError

from shared.executions.statuses import ExecutionStatus
from shared.problems import Conflict, NotFound
from shared.quality.actions import run_action, undo_action
from shared.quality.detector import Finding, Outcome, Signal, WorkflowQualityState, observe
from shared.quality.policies import QualityPolicy, actions_for
from shared.store.executions import ExecutionItem
from shared.store.quality import QualityEventItem, QualityEvents, QualityWatches, QualityWatchItem
from shared.store.tenant_scoped import TenantContext
from shared.store.workflows import Workflows

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

    from shared.executions.table_stream import EndedExecution

# Cancelled executions (ABORTED) say nothing about a version's quality.
_FAILED = {ExecutionStatus.FAILED.value, ExecutionStatus.TIMED_OUT.value}
_EVENT_ID = re.compile(r"^qe_\d{8}T\d{12}_[0-9a-f]{12}$")
_STATE_ATTEMPTS = 3


class QualityEvent(BaseModel):
    event_id: str
    workflow_id: str
    version: int
    signal: Signal
    score: float
    evidence: dict[str, Any] = Field(description="What the detector saw: the values, the baseline, the executions")
    actions: list[dict[str, Any]] = Field(description="What the policy did: action, status, detail, undo")
    detected_at: datetime
    undone_at: datetime | None
    undone_by: str | None
    undo_results: list[dict[str, Any]] | None


class QualityEventPage(BaseModel):
    items: list[QualityEvent]
    next_cursor: str | None


class WorkflowQualityPolicy(QualityPolicy):
    workflow_id: str
    updated_at: datetime | None = None
    updated_by: str | None = None


def _was_conditional(error: PutError | UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def outcome_of(record: ExecutionItem) -> Outcome:
    tokens = int(record.input_tokens or 0) + int(record.output_tokens or 0)
    return Outcome(
        execution_id=str(record.execution_id),
        version=int(record.version),
        failed=record.status in _FAILED,
        duration_ms=float(record.duration_ms) if record.duration_ms is not None else None,
        tokens=float(tokens) if tokens else None,
    )


@dataclass(frozen=True)
class ObservedEnd:
    end: EndedExecution
    findings: list[Finding]
    policy: QualityPolicy


def observe_ends(tenant: TenantContext, workflow_id: str, ends: list[EndedExecution]) -> list[ObservedEnd] | None:
    """The detector run over the workflow's `ends` in stream order, in one read and one conditional write of its
    watch; each end's findings. An end at or before the watch's `observed_through` mark (a batch delivered again) is
    not observed twice: the mark moves in the same write. None when the state kept changing under every attempt."""
    watches = QualityWatches(tenant)
    ordered = sorted(ends, key=lambda end: end.sequence_mark)
    for _ in range(_STATE_ATTEMPTS):
        item = watches.get(workflow_id, consistent=True) or watches.new(workflow_id, workflow_id=workflow_id)
        through = item.observed_through
        fresh = [end for end in ordered if through is None or end.sequence_mark > through]
        if not fresh:
            return []
        policy = QualityPolicy.model_validate(item.policy) if item.policy else QualityPolicy()
        state = WorkflowQualityState.from_json(item.state)
        settings = policy.detector_settings()
        findings = [observe(state, outcome_of(end.record), settings) for end in fresh]
        revision = int(item.revision or 0)
        unchanged = QualityWatchItem.revision == revision
        if revision == 0:
            unchanged = QualityWatchItem.revision.does_not_exist() | unchanged
        try:
            item.update(
                actions=[
                    QualityWatchItem.workflow_id.set(workflow_id),
                    QualityWatchItem.state.set(state.to_json()),
                    QualityWatchItem.revision.set(revision + 1),
                    QualityWatchItem.observed_through.set(fresh[-1].sequence_mark),
                ],
                condition=unchanged,
            )
        except UpdateError as error:
            if not _was_conditional(error):
                raise
            continue
        return [ObservedEnd(end, found, policy) for end, found in zip(fresh, findings, strict=True)]
    return None


def act_on(tenant: TenantContext, workflow_id: str, observed: ObservedEnd, logger: Logger) -> list[str]:
    """Records each finding of an observed end as an event and runs its policy's actions; the new events' ids."""
    record = observed.end.record
    stopped_at = record.stopped_at or datetime.now(UTC)
    events = []
    for finding in observed.findings:
        event = record_quality_event(
            tenant, workflow_id, finding, observed.policy, stopped_at, str(record.execution_id)
        )
        if event is not None:
            logger.warning(
                "quality event",
                extra={"event_id": event.event_id, "signal": event.signal, "actions": event.actions},
            )
            events.append(event.event_id)
    return events


def event_id_of(finding: Finding, workflow_id: str, execution_id: str, detected_at: datetime) -> str:
    """The detection time, then a hash of what was found where: the same finding always gets the same id."""
    digest = hashlib.sha256(f"{workflow_id}|{finding.version}|{finding.signal}|{execution_id}".encode()).hexdigest()
    return f"qe_{detected_at.astimezone(UTC):%Y%m%dT%H%M%S%f}_{digest[:12]}"


def record_quality_event(
    tenant: TenantContext,
    workflow_id: str,
    finding: Finding,
    policy: QualityPolicy,
    detected_at: datetime,
    execution_id: str,
) -> QualityEvent | None:
    """Records a finding found in `execution_id` and runs the policy's actions on it; None when it was recorded
    already (nothing runs twice)."""
    events = QualityEvents(tenant)
    event_id = event_id_of(finding, workflow_id, execution_id, detected_at)
    item = events.new(
        event_id,
        event_id=event_id,
        workflow_id=workflow_id,
        version=finding.version,
        signal=finding.signal.value,
        score=finding.score,
        evidence=finding.evidence,
        actions=[],
        detected_at=detected_at,
    )
    try:
        events.create(item)
    except PutError as error:
        if not _was_conditional(error):
            raise
        return None  # recorded, and acted on, by an earlier delivery of the same change
    evidence = {**finding.evidence, "version": finding.version}
    results = [run_action(action, tenant, workflow_id, event_id, evidence) for action in actions_for(finding, policy)]
    item.update(actions=[QualityEventItem.actions.set(results)])
    return _to_model(item)


def _to_model(item: QualityEventItem) -> QualityEvent:
    return QualityEvent(
        event_id=item.event_id,
        workflow_id=item.workflow_id,
        version=int(item.version),
        signal=Signal(item.signal),
        score=float(item.score),
        evidence=item.evidence,
        actions=[{key: value for key, value in action.items() if key != "undo"} for action in item.actions],
        detected_at=item.detected_at,
        undone_at=item.undone_at,
        undone_by=item.undone_by,
        undo_results=item.undo_results,
    )


def list_quality_events(
    tenant: TenantContext, *, workflow_id: str | None, limit: int, cursor: str | None
) -> QualityEventPage:
    filters = QualityEventItem.workflow_id == workflow_id if workflow_id else None
    page = QualityEvents(tenant).page(limit=limit, cursor=cursor, newest_first=True, filters=filters)
    return QualityEventPage(items=[_to_model(item) for item in page.items], next_cursor=page.next_cursor)


def undo_quality_event(tenant: TenantContext, event_id: str, actor: str) -> QualityEvent:
    """Reverses the event's actions, last first; an event is undone once (the claim is a conditional write)."""
    item = QualityEvents(tenant).get(event_id, consistent=True) if _EVENT_ID.match(event_id) else None
    if item is None:
        raise NotFound(f"No quality event {event_id!r}")
    try:
        item.update(
            actions=[QualityEventItem.undone_at.set(datetime.now(UTC)), QualityEventItem.undone_by.set(actor)],
            condition=QualityEventItem.undone_at.does_not_exist(),
        )
    except UpdateError as error:
        if not _was_conditional(error):
            raise
        raise Conflict(f"Quality event {event_id} was already undone") from None
    results = [undo_action(tenant, str(item.workflow_id), action) for action in reversed(item.actions)]
    item.update(actions=[QualityEventItem.undo_results.set(results)])
    return _to_model(item)


def _existing_workflow(tenant: TenantContext, workflow_id: str) -> None:
    if Workflows(tenant).get(workflow_id) is None:
        raise NotFound(f"No workflow {workflow_id!r}")


def get_quality_policy(tenant: TenantContext, workflow_id: str) -> WorkflowQualityPolicy:
    _existing_workflow(tenant, workflow_id)
    item = QualityWatches(tenant).get(workflow_id)
    if item is None or item.policy is None:
        return WorkflowQualityPolicy(workflow_id=workflow_id)
    return WorkflowQualityPolicy(
        workflow_id=workflow_id,
        updated_at=item.policy_updated_at,
        updated_by=item.policy_updated_by,
        **item.policy,
    )


def put_quality_policy(
    tenant: TenantContext, workflow_id: str, policy: QualityPolicy, actor: str
) -> WorkflowQualityPolicy:
    """Only the policy's attributes: the detector's state, written by the status path meanwhile, stays."""
    _existing_workflow(tenant, workflow_id)
    item = QualityWatches(tenant).new(workflow_id, workflow_id=workflow_id)
    item.update(
        actions=[
            QualityWatchItem.workflow_id.set(workflow_id),
            QualityWatchItem.policy.set(policy.model_dump(mode="json")),
            QualityWatchItem.policy_updated_at.set(datetime.now(UTC)),
            QualityWatchItem.policy_updated_by.set(actor),
        ]
    )
    return get_quality_policy(tenant, workflow_id)
