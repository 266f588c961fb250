"""`forge dev`'s process layout as a user meets it: the API served by more than one process, no process left behind
by Ctrl-C or a kill -9, and a worker's crash losing nothing it acknowledged."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devserver.api_workers import WORKER_PID_HEADER
from devserver.subprocess_platform import LocalPlatform, tenant_owner
from tests.e2e.test_crash_restart import QUICK, deliver, ended, publish
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.add(child)
            pending.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def answering_pids(platform: LocalPlatform, requests: int) -> set[int]:
    """The worker pids that answered `requests` health checks, each on a new connection."""
    return {int(httpx.get(f"{platform.url}/v1/health").headers[WORKER_PID_HEADER]) for _ in range(requests)}


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[LocalPlatform]:
    """A platform of the test's own, for the tests that stop or kill it; the others use the e2e tier's shared one."""
    running = LocalPlatform(state_dir=tmp_path)
    running.start()
    yield running
    if running.process is not None:
        running.stop()


def test_the_api_is_served_by_worker_processes_beside_the_emulation(shared_platform: LocalPlatform) -> None:
    assert shared_platform.process is not None
    workers = descendants(shared_platform.process.pid)

    pids = wait_until(lambda: answering_pids(shared_platform, 20), lambda pids: len(pids) >= 2, timeout=60)

    assert pids <= workers
    assert shared_platform.process.pid not in pids


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stopping_leaves_no_process(platform: LocalPlatform, signum: signal.Signals) -> None:
    assert platform.process is not None
    workers = descendants(platform.process.pid)
    assert workers

    assert platform.stop(signum) == 0
    assert not [pid for pid in workers if alive(pid)]


def test_a_kill_of_the_platform_leaves_no_worker(platform: LocalPlatform) -> None:
    assert platform.process is not None
    workers = descendants(platform.process.pid)

    platform.kill()

    wait_until(lambda: [pid for pid in workers if alive(pid)], lambda left: not left, timeout=30)


def test_a_crashed_worker_loses_no_accepted_delivery_and_another_takes_its_place(
    shared_platform: LocalPlatform,
) -> None:
    assert shared_platform.process is not None
    with tenant_owner(shared_platform, "crashing") as owner:
        hook = owner.post("/v1/hooks", json={"workflow_id": publish(owner, QUICK), "name": "orders"}).json()
        delivered = deliver(shared_platform, hook, {"order": 1})
        assert delivered.status_code == 202, delivered.text
        crashed = int(delivered.headers[WORKER_PID_HEADER])

        os.kill(crashed, signal.SIGKILL)
        # A keep-alive connection the killed worker held is reset, as with any server that dies; a browser retries
        # on a new one, httpx does not: read on fresh connections.
        with httpx.Client(base_url=owner.base_url, headers=owner.headers, timeout=owner.timeout) as reader:
            assert ended(reader, delivered.json()["execution_id"])["status"] == "SUCCEEDED"
        replaced = wait_until(
            lambda: descendants(shared_platform.process.pid) if shared_platform.process else set(),
            lambda workers: crashed not in workers and len(workers) >= 2,
            timeout=60,
        )
        assert answering_pids(shared_platform, 10) <= replaced
        assert deliver(shared_platform, hook, {"order": 2}).status_code == 202
