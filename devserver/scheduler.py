"""The local stand-in for EventBridge Scheduler: fires the emulation's schedules at their slots.

In the cloud, Scheduler invokes each schedule's target with its input, the context attributes filled in. Locally
this thread reads the same schedules from the emulation's Scheduler (what the schedules API wrote: expression,
time zone, dates, state, target and input), computes their slots with shared/triggers/schedules/expressions.py
and invokes the same target with the same input through the local Lambda runtime. Its clock is injectable, so tests
can run an hour of slots at once.

A schedule's slots count from when this scheduler first sees it (a restarted `forge dev` fires no slot it missed
while stopped); a rate schedule without a start date counts its periods from the moment Scheduler took it.

`CatalogRuleScheduler` does the same for the EventBridge rules that invoke catalog functions on a schedule.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from devserver.lambda_runtime import LocalLambdaRuntime
from shared.catalog import CATALOG, function_physical_name
from shared.resources import SCHEDULE_GROUPS
from shared.triggers.schedules.expressions import InvalidSchedule, Schedule
from shared.triggers.schedules.slots import SCHEDULED_TIME_ATTRIBUTE, slot_key

logger = logging.getLogger("nexus_forge.local")
SCHEDULE_ARN = "<aws.scheduler.schedule-arn>"
EXECUTION_ID = "<aws.scheduler.execution-id>"
ATTEMPT_NUMBER = "<aws.scheduler.attempt-number>"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DueSlot:
    schedule_arn: str
    target_arn: str
    target_input: str
    scheduled_time: datetime

    def rendered_input(self) -> str:
        """The target input with Scheduler's context attributes replaced, as Scheduler delivers it."""
        replacements = {
            SCHEDULED_TIME_ATTRIBUTE: slot_key(self.scheduled_time),
            SCHEDULE_ARN: self.schedule_arn,
            EXECUTION_ID: uuid.uuid4().hex[:16],
            ATTEMPT_NUMBER: "1",
        }
        rendered = self.target_input
        for attribute, value in replacements.items():
            rendered = rendered.replace(attribute, value)
        return rendered


class LocalScheduler:
    def __init__(
        self,
        runtime: LocalLambdaRuntime,
        prefix: str,
        clock: Callable[[], datetime] = utc_now,
        interval: float = 1.0,
    ) -> None:
        self.runtime = runtime
        self.group_prefix = SCHEDULE_GROUPS.physical_name(prefix) + "-"
        self.clock = clock
        self.interval = interval
        # Schedule ARN → the time up to which its slots have been fired.
        self._fired_through: dict[str, datetime] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="local-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:
                logger.exception("local scheduler round failed")

    def tick(self) -> int:
        """Fires every slot that came due since the last tick; returns how many it fired."""
        now = self.clock()
        slots = self.due_slots(now)
        for slot in slots:
            self._fire(slot)
        return len(slots)

    def due_slots(self, now: datetime) -> list[DueSlot]:
        """The slots in (last tick, now] of every enabled schedule, oldest first per schedule; marks them fired.
        A schedule seen for the first time has none: its slots start now."""
        due: list[DueSlot] = []
        current: dict[str, datetime] = {}
        for schedule in self._schedules():
            since = self._fired_through.get(schedule.arn, now)
            current[schedule.arn] = max(since, now)
            if schedule.state != "ENABLED" or since >= now:
                continue
            target = schedule.target
            due += [
                DueSlot(schedule.arn, target["Arn"], target.get("Input", ""), moment)
                for moment in self._slots(schedule, since, now)
            ]
        self._fired_through = current
        return due

    @staticmethod
    def _slots(schedule: Any, after: datetime, until: datetime) -> list[datetime]:
        rate = schedule.schedule_expression.startswith("rate(")
        taken = _moment(schedule.last_modified_date)
        # Rate slots count from the start date, else from the whole second Scheduler took the schedule.
        start = _moment(schedule.start_date) or (taken.replace(microsecond=0) if rate and taken else None)
        try:
            engine = Schedule(
                schedule.schedule_expression,
                timezone=schedule.schedule_expression_timezone or "UTC",
                start=start,
                end=_moment(schedule.end_date),
            )
            slots = []
            for moment in engine.fire_times(after):
                if moment > until:
                    break
                slots.append(moment)
            return slots
        except InvalidSchedule as error:
            logger.warning("schedule %s cannot fire: %s", schedule.arn, error)
            return []

    def _fire(self, slot: DueSlot) -> None:
        result = self.runtime.invoke(slot.target_arn, slot.rendered_input().encode())
        if result.get("FunctionError"):
            logger.warning("schedule target %s failed: %s", slot.target_arn, result["Payload"].read()[:500])
            return
        outcome = json.loads(result["Payload"].read() or b"null")
        logger.info("schedule %s fired for %s: %s", slot.schedule_arn, slot.scheduled_time.isoformat(), outcome)

    def _schedules(self) -> list[Any]:
        from moto.scheduler.models import scheduler_backends

        backend = scheduler_backends[self.runtime.account][self.runtime.region]
        return [
            schedule
            for group in list(backend.schedule_groups.values())
            if group.name.startswith(self.group_prefix)
            for schedule in list(group.schedules.values())
        ]


def _moment(value: Any) -> datetime | None:
    """Scheduler's dates as the emulation keeps them (epoch seconds, or a datetime)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), UTC)


class CatalogRuleScheduler(LocalScheduler):
    """The local stand-in for the EventBridge rules that invoke catalog functions on a schedule (`FunctionSpec.
    schedule`, e.g. execution_reconcile): each such function gets EventBridge's "Scheduled Event" at its slots,
    counted from this scheduler's first tick."""

    def __init__(self, runtime: LocalLambdaRuntime, prefix: str, **options: Any) -> None:
        super().__init__(runtime, prefix, **options)
        self._scheduled = {
            function_physical_name(prefix, spec.name): spec.schedule for spec in CATALOG if spec.schedule is not None
        }
        # The first tick (rate slots count from it) and the time up to which slots have been fired.
        self._started: datetime | None = None
        self._fired_until: datetime | None = None

    def due_slots(self, now: datetime) -> list[DueSlot]:
        """The slots in (last tick, now] of every scheduled catalog function; none at the first tick."""
        self._started = self._started or now
        since = self._fired_until or now
        self._fired_until = max(since, now)
        due: list[DueSlot] = []
        for function, expression in self._scheduled.items():
            rule_arn = f"arn:aws:events:{self.runtime.region}:{self.runtime.account}:rule/{function}-schedule"
            for moment in Schedule(expression, start=self._started).fire_times(since):
                if moment > now:
                    break
                due.append(DueSlot(rule_arn, function, json.dumps(self._scheduled_event(rule_arn, moment)), moment))
        return due

    def _scheduled_event(self, rule_arn: str, moment: datetime) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.runtime.account,
            "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.runtime.region,
            "resources": [rule_arn],
            "detail": {},
        }
