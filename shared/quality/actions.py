"""The actions a quality policy takes, each with its undo, all within one tenant and one workflow.

Each action returns what it did (`detail`, shown in the event) and what undoing it needs (`undo`), so an undo
reverses exactly that and nothing a user changed since: a rollback is undone only while the version it made live
still is, a paused schedule or webhook is enabled again only if the action paused it.

The workflows, triggers and executions services are imported where an action runs: the status path that detects
(execution_events) loads them only when a policy acts, not at every cold start.
"""

from __future__ import annotations

from typing import Any

from shared.problems import ProblemError
from shared.quality.policies import QualityAction
from shared.store.tenant_scoped import TenantContext

QUALITY_CONTROL_ACTOR = "quality-control"
# At most this many failed executions are re-run by one event (the canary's last failures).
MAX_RETRIED = 10


# {"action", "status": done | skipped | failed, "detail", "undo"}: stored as it is in the event.
ActionResult = dict[str, Any]


def _result(action: QualityAction, status: str, detail: str, undo: dict[str, Any] | None = None) -> ActionResult:
    return {"action": action.value, "status": status, "detail": detail, "undo": undo or {}}


def run_action(
    action: QualityAction, tenant: TenantContext, workflow_id: str, event_id: str, evidence: dict[str, Any]
) -> ActionResult:
    try:
        if action is QualityAction.PAUSE_TRIGGERS:
            return _pause_triggers(tenant, workflow_id)
        if action is QualityAction.ROLLBACK:
            return _rollback(tenant, workflow_id, evidence)
        if action is QualityAction.RETRY_FAILED:
            return _retry_failed(tenant, workflow_id, event_id, evidence)
        return _result(action, "done", "recorded as this event")
    except ProblemError as problem:
        return _result(action, "failed", problem.detail or problem.title)


def undo_action(tenant: TenantContext, workflow_id: str, result: dict[str, Any]) -> dict[str, Any]:
    """Reverses one action's result; {"action", "status": undone | skipped | failed, "detail"}."""
    action = QualityAction(result["action"])
    undo = result.get("undo") or {}
    if result["status"] != "done" or not undo:
        return {"action": action.value, "status": "skipped", "detail": "nothing to undo"}
    try:
        if action is QualityAction.PAUSE_TRIGGERS:
            detail = _resume_triggers(tenant, workflow_id, undo)
        elif action is QualityAction.ROLLBACK:
            detail = _undo_rollback(tenant, workflow_id, undo)
        else:
            detail = _cancel_retries(tenant, undo)
    except ProblemError as problem:
        return {"action": action.value, "status": "failed", "detail": problem.detail or problem.title}
    return {"action": action.value, "status": "undone" if detail.startswith("undone") else "skipped", "detail": detail}


def _pause_triggers(tenant: TenantContext, workflow_id: str) -> ActionResult:
    from shared.store.triggers import Schedules
    from shared.triggers.schedules.service import set_trigger_schedule_enabled, trigger_schedule_id
    from shared.triggers.webhooks import set_hooks_enabled

    schedule = Schedules(tenant).get(trigger_schedule_id(workflow_id), consistent=True)
    paused_schedule = schedule is not None and bool(schedule.enabled)
    if paused_schedule:
        set_trigger_schedule_enabled(tenant, workflow_id, enabled=False)
    hooks = set_hooks_enabled(tenant, workflow_id, enabled=False)
    if not paused_schedule and not hooks:
        return _result(QualityAction.PAUSE_TRIGGERS, "skipped", "no enabled trigger schedule or webhook")
    detail = f"paused {'the trigger schedule and ' if paused_schedule else ''}{len(hooks)} webhook endpoint(s)"
    return _result(QualityAction.PAUSE_TRIGGERS, "done", detail, {"schedule": paused_schedule, "hooks": hooks})


def _resume_triggers(tenant: TenantContext, workflow_id: str, undo: dict[str, Any]) -> str:
    from shared.store.triggers import Schedules
    from shared.triggers.schedules.service import set_trigger_schedule_enabled, trigger_schedule_id
    from shared.triggers.webhooks import set_hooks_enabled

    resumed_schedule = bool(undo["schedule"]) and Schedules(tenant).get(trigger_schedule_id(workflow_id)) is not None
    if resumed_schedule:
        set_trigger_schedule_enabled(tenant, workflow_id, enabled=True)
    hooks = set_hooks_enabled(tenant, workflow_id, enabled=True, only=set(undo["hooks"]))
    return f"undone: resumed {'the trigger schedule and ' if resumed_schedule else ''}{len(hooks)} webhook endpoint(s)"


def _live_version(tenant: TenantContext, workflow_id: str) -> int | None:
    from shared.store.workflows import Workflows

    item = Workflows(tenant).get(workflow_id, consistent=True)
    return int(item.live_version) if item is not None and item.live_version is not None else None


def _make_live(tenant: TenantContext, workflow_id: str, version: int) -> None:
    from shared.workflows.api import RollbackRequest
    from shared.workflows.service import TenantWorkflows

    TenantWorkflows(tenant, QUALITY_CONTROL_ACTOR).rollback(workflow_id, RollbackRequest(version=version))


def _rollback(tenant: TenantContext, workflow_id: str, evidence: dict[str, Any]) -> ActionResult:
    bad, previous = int(evidence["version"]), int(evidence["baseline_version"])
    live = _live_version(tenant, workflow_id)
    if live != bad:
        # Someone published or rolled back meanwhile: their choice stands.
        return _result(QualityAction.ROLLBACK, "skipped", f"version {bad} is no longer live (live: {live})")
    _make_live(tenant, workflow_id, previous)
    detail = f"rolled back from version {bad} to version {previous}"
    return _result(QualityAction.ROLLBACK, "done", detail, {"from_version": bad, "to_version": previous})


def _undo_rollback(tenant: TenantContext, workflow_id: str, undo: dict[str, Any]) -> str:
    live = _live_version(tenant, workflow_id)
    if live != undo["to_version"]:
        return f"version {undo['to_version']} is no longer live (live: {live}): left as it is"
    _make_live(tenant, workflow_id, int(undo["from_version"]))
    return f"undone: version {undo['from_version']} is live again"


def _retry_failed(tenant: TenantContext, workflow_id: str, event_id: str, evidence: dict[str, Any]) -> ActionResult:
    from shared.executions.payloads import load_payload
    from shared.executions.record import find_execution
    from shared.executions.start import StartRequest, start_execution
    from shared.executions.statuses import Trigger

    started = []
    for execution_id in evidence.get("failed_executions", [])[-MAX_RETRIED:]:
        failed = find_execution(tenant, execution_id)
        if failed.workflow_id != workflow_id:
            continue
        retried = start_execution(
            tenant,
            StartRequest(
                workflow_id=workflow_id,
                input=load_payload(failed.input_ref) if failed.input_ref else failed.input,
                trigger=Trigger.RERUN,
                source=execution_id,
                # The same event never starts the same re-run twice.
                idempotency_key=f"quality:{event_id}:{execution_id}",
            ),
        )
        started.append(str(retried.execution_id))
    if not started:
        return _result(QualityAction.RETRY_FAILED, "skipped", "no failed execution to re-run")
    detail = f"re-ran {len(started)} failed execution(s) on the live version"
    return _result(QualityAction.RETRY_FAILED, "done", detail, {"executions": started})


def _cancel_retries(tenant: TenantContext, undo: dict[str, Any]) -> str:
    from shared.executions.control import cancel_execution
    from shared.executions.record import find_execution
    from shared.executions.statuses import ExecutionStatus

    cancelled = 0
    for execution_id in undo["executions"]:
        if find_execution(tenant, execution_id, consistent=True).status == ExecutionStatus.RUNNING.value:
            cancel_execution(tenant, execution_id, QUALITY_CONTROL_ACTOR)
            cancelled += 1
    return f"undone: cancelled {cancelled} re-run(s) still running (an ended re-run can't be undone)"
