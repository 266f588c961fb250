"""`schedule`: the workflow starts on a cron or rate schedule in a time zone (wired up by executions)."""

from __future__ import annotations

from pydantic import Field

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring


class ScheduleParams(NodeParams):
    expression: str = Field(
        pattern=r"^(cron\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$",
        description="cron(…) or rate(…) as EventBridge Scheduler reads it",
    )
    timezone: str = Field(default="UTC", min_length=1, max_length=64, description="IANA time zone")


class ScheduleTrigger(NodeType[ScheduleParams]):
    type = "schedule"
    summary = "Starts the workflow on a schedule"
    params_model = ScheduleParams
    structure = "trigger"

    def emit(self, params: ScheduleParams, wiring: Wiring) -> States:
        return {wiring.node.id: {"Type": "Pass", **wiring.transition()}}


NODE_TYPE = ScheduleTrigger()
