"""`schedule`: the workflow starts on a cron or rate schedule in a time zone.

Publishing a version that starts with this node keeps the workflow's trigger schedule in EventBridge Scheduler
(shared/triggers/schedules/service.py); the parameters are checked as Scheduler reads them, so a draft it would
refuse is a finding here, before anything is published.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from shared.triggers.schedules.expressions import checked_expression, checked_zone
from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring


class ScheduleParams(NodeParams):
    expression: str = Field(
        pattern=r"^(cron\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$",
        description="cron(…) or rate(…) as EventBridge Scheduler reads it",
    )
    timezone: str = Field(default="UTC", min_length=1, max_length=64, description="IANA time zone")

    @field_validator("expression")
    @classmethod
    def _scheduler_reads_it(cls, value: str) -> str:
        return checked_expression(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return checked_zone(value)


class ScheduleTrigger(NodeType[ScheduleParams]):
    type = "schedule"
    summary = "Starts the workflow on a schedule"
    params_model = ScheduleParams
    structure = "trigger"

    def emit(self, params: ScheduleParams, wiring: Wiring) -> States:
        return {wiring.node.id: {"Type": "Pass", **wiring.transition()}}


NODE_TYPE = ScheduleTrigger()
