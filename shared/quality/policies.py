"""What a workflow's quality policy does about a finding of the detector (shared/quality/detector.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.quality.detector import DetectorSettings, Finding, Signal


class QualityAction(StrEnum):
    # The event itself, listed by GET /v1/quality/events, and a warning in the function's log.
    NOTIFY = "notify"
    # The workflow's trigger schedule and webhooks disabled (undo enables the ones it disabled).
    PAUSE_TRIGGERS = "pause_triggers"
    # A new version failing anomalously in its canary window: the version before it made live again.
    ROLLBACK = "rollback"
    # The canary's failed executions re-run with their input on the live version (after a rollback: the old one).
    RETRY_FAILED = "retry_failed"


# Which findings each action answers: a rollback and a retry only a canary's failures; pausing, any failure finding.
_ANSWERS = {
    QualityAction.NOTIFY: set(Signal),
    QualityAction.PAUSE_TRIGGERS: {Signal.FAILURE_RATE, Signal.CANARY_FAILURE_RATE, Signal.TOKENS},
    QualityAction.ROLLBACK: {Signal.CANARY_FAILURE_RATE},
    QualityAction.RETRY_FAILED: {Signal.CANARY_FAILURE_RATE},
}
# The order actions run in: the triggers stop first, the old version is live before anything re-runs on it.
_ORDER = [QualityAction.NOTIFY, QualityAction.PAUSE_TRIGGERS, QualityAction.ROLLBACK, QualityAction.RETRY_FAILED]


class QualityPolicy(BaseModel):
    """A workflow's quality policy; a workflow without one is notified only."""

    model_config = ConfigDict(extra="forbid")

    actions: Annotated[list[QualityAction], Field(max_length=4)] = [QualityAction.NOTIFY]
    canary_executions: Annotated[int, Field(ge=10, le=1000)] = 50

    def detector_settings(self) -> DetectorSettings:
        return DetectorSettings(canary_executions=self.canary_executions)


def actions_for(finding: Finding, policy: QualityPolicy) -> list[QualityAction]:
    """The policy's actions that answer this finding, in the order they run."""
    return [action for action in _ORDER if action in policy.actions and finding.signal in _ANSWERS[action]]
