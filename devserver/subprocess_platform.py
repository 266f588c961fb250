"""Starts `forge dev` as a subprocess, as `make run` does, on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.resources import PROJECT_ROOT

FORGE = Path(sys.executable).with_name("forge")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LocalPlatform:
    state_dir: Path
    port: int = field(default_factory=free_port)
    aws_port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    output: str = ""
    _lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    def launch(self, *extra_args: str) -> None:
        """Starts `forge dev` without waiting for it."""
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "FORGE_"))}
        self.process = subprocess.Popen(  # noqa: S603 (our own forge, beside this interpreter)
            [
                str(FORGE),
                "dev",
                *("--port", str(self.port), "--aws-port", str(self.aws_port), "--state-dir", str(self.state_dir)),
                *extra_args,
            ],
            cwd=PROJECT_ROOT,
            env=environment,
            # Its own process group, as a command a terminal runs: Ctrl-C reaches the whole group.
            process_group=0,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # Drain the output as it comes: a full pipe would block the platform at its next print.
        self._reader = threading.Thread(target=self._collect_output, args=(self.process,), daemon=True)
        self._reader.start()

    def start(self, *extra_args: str, timeout: float = 180.0) -> float:
        """Starts the platform and waits for a healthy /v1/health; returns the seconds that took. The timeout only
        guards against a hang: a loaded 2-core machine has taken 79 s to start what takes 10 s on a quiet one."""
        started = time.monotonic()
        self.launch(*extra_args)
        assert self.process is not None
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                assert self._reader is not None
                self._reader.join(timeout=5)
                raise RuntimeError(f"forge dev exited with {self.process.returncode}:\n{''.join(self._lines)}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1.0).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"forge dev was not healthy within {timeout} s:\n{self.output}")

    def output_so_far(self) -> str:
        return self.output + "".join(self._lines)

    def wait_for_exit(self, timeout: float) -> int:
        """The exit code of a platform expected to stop by itself; kills it after `timeout` seconds (then -9)."""
        assert self.process is not None
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self._collect_exit()

    def _collect_output(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._lines.append(line)

    def stop(self, signum: signal.Signals = signal.SIGINT) -> int:
        """Ctrl-C (SIGINT to the platform's process group, as a terminal sends it), or `signum` to the platform;
        returns the exit code."""
        if self.process is None:
            return 0
        if signum == signal.SIGINT:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self._collect_exit()

    def kill(self) -> int:
        """kill -9: the platform gets no chance to save anything."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        return self._collect_exit()

    def _collect_exit(self) -> int:
        assert self.process is not None
        if self._reader is not None:
            self._reader.join(timeout=5)
        self.output += "".join(self._lines)
        self._lines = []
        code = self.process.returncode
        self.process = None
        return code


def tenant_owner(platform: LocalPlatform, slug: str, tier: str = "basic") -> httpx.Client:
    """A client of a new tenant's owner (subject `ada`), created by a platform admin of the platform's issuer."""
    from devserver.issuer import LocalIssuer
    from shared.auth.principal import Role

    issuer = LocalIssuer(platform.state_dir)
    admin = {"authorization": f"Bearer {issuer.mint('e2e-admin', platform_admin=True)}"}
    tenant = httpx.post(
        f"{platform.url}/v1/tenants",
        headers=admin,
        json={"slug": slug, "display_name": slug.title(), "tier": tier, "owner": {"subject": "ada"}},
    )
    assert tenant.status_code == 201, tenant.text
    token = issuer.mint("ada", tenant_id=tenant.json()["tenant_id"], role=Role.OWNER)
    return httpx.Client(base_url=platform.url, headers={"authorization": f"Bearer {token}"}, timeout=30.0)
