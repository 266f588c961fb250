"""StartSyncExecution in the emulation waits for its execution's end as moto's executor reports it, not on a timer
(devserver/stepfunctions_control.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import Enum

from devserver.execution_watcher import report_execution
from devserver.stepfunctions_control import SYNC_EXECUTION_ENDS

Status = Enum("Status", {"RUNNING": "RUNNING", "SUCCEEDED": "SUCCEEDED"})


@dataclass
class Execution:
    """What the wait reads of one of moto's executions."""

    exec_arn: str
    exec_status: Enum | None


def test_a_wait_is_woken_by_its_executions_end_and_by_no_other() -> None:
    mine = Execution("arn:aws:states:eu-west-1:000000000000:execution:machine:mine", Status.RUNNING)
    other = Execution("arn:aws:states:eu-west-1:000000000000:execution:machine:other", Status.RUNNING)
    woken: list[bool] = []
    waiting = threading.Thread(target=lambda: woken.append(SYNC_EXECUTION_ENDS.wait(mine, 30)))
    waiting.start()

    other.exec_status = Status.SUCCEEDED
    report_execution(other)
    report_execution(mine)  # reported while still running (its start): no end yet
    waiting.join(timeout=0.2)
    assert waiting.is_alive() and woken == []

    mine.exec_status = Status.SUCCEEDED
    report_execution(mine)
    waiting.join(timeout=30)
    assert woken == [True]


def test_an_execution_that_ended_before_the_wait_began_is_answered_at_once() -> None:
    ended = Execution("arn:aws:states:eu-west-1:000000000000:execution:machine:ended", Status.SUCCEEDED)

    assert SYNC_EXECUTION_ENDS.wait(ended, None) is True


def test_a_wait_past_its_limit_says_the_execution_has_not_ended() -> None:
    stuck = Execution("arn:aws:states:eu-west-1:000000000000:execution:machine:stuck", Status.RUNNING)

    assert SYNC_EXECUTION_ENDS.wait(stuck, 0.01) is False
