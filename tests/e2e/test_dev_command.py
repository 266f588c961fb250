"""`forge dev` as a user meets it on the command line: a busy port, Ctrl-C and SIGTERM."""

from __future__ import annotations

import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from devserver.subprocess_platform import LocalPlatform, tenant_owner
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

# Generous, only so a regression to hanging fails instead of blocking the suite.
EXIT_TIMEOUT_SECONDS = 30.0


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another program listens on (LocalStack on 4566, say)."""
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        yield other_program.getsockname()[1]


@pytest.mark.parametrize(
    ("taken", "serves", "flag"), [("port", "the API", "--port"), ("aws_port", "the AWS emulation", "--aws-port")]
)
def test_a_taken_port_is_an_error_naming_the_port_and_the_flag_that_moves_it(
    tmp_path: Path, busy_port: int, taken: str, serves: str, flag: str
) -> None:
    platform = LocalPlatform(state_dir=tmp_path)
    setattr(platform, taken, busy_port)
    platform.launch()

    assert platform.wait_for_exit(timeout=EXIT_TIMEOUT_SECONDS) == 1
    assert f"port {busy_port} ({serves}) is in use: free it or pass {flag} N" in platform.output
    assert "Traceback" not in platform.output


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_signal_stops_cleanly(tmp_path: Path, signum: signal.Signals) -> None:
    platform = LocalPlatform(state_dir=tmp_path)
    platform.start()

    assert platform.stop(signum) == 0
    assert platform.output.rstrip().endswith("forge dev: stopped")
    assert "Traceback" not in platform.output
    assert "starting another" not in platform.output  # no worker is taken for dead and replaced on the way down


def test_ctrl_c_while_starting_stops_cleanly(tmp_path: Path) -> None:
    platform = LocalPlatform(state_dir=tmp_path)
    platform.launch()
    wait_until(platform.output_so_far, lambda output: output != "", timeout=EXIT_TIMEOUT_SECONDS)

    assert platform.stop() == 0
    assert platform.output.rstrip().endswith("forge dev: stopped")
    assert "Traceback" not in platform.output


def test_each_request_is_one_log_line_without_credentials_or_query_string(tmp_path: Path) -> None:
    platform = LocalPlatform(state_dir=tmp_path)
    platform.start()
    with tenant_owner(platform, "logged") as owner:
        tenant_id = owner.get("/v1/me").json()["tenant_id"]
        assert owner.get("/v1/workflows", params={"limit": "7"}).status_code == 200
        token = owner.headers["authorization"].removeprefix("Bearer ")
    platform.stop()

    listed = [line for line in platform.output.splitlines() if "GET /v1/workflows" in line]
    assert len(listed) == 1
    assert re.search(rf"GET /v1/workflows 200 \d+\.\d ms tenant={tenant_id}$", listed[0])
    assert token not in platform.output
    assert "limit=7" not in platform.output
