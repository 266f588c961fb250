"""Starts `forge dev` as a subprocess, as `make run` does, on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    def start(self, *extra_args: str, timeout: float = 60.0) -> float:
        """Starts the platform and waits for a healthy /v1/health; returns the seconds that took."""
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "FORGE_"))}
        started = time.monotonic()
        self.process = subprocess.Popen(
            [
                str(FORGE),
                "dev",
                *("--port", str(self.port), "--aws-port", str(self.aws_port), "--state-dir", str(self.state_dir)),
                *extra_args,
            ],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"forge dev exited with {self.process.returncode}:\n{self.process.stdout.read()}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1.0).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"forge dev was not healthy within {timeout} s:\n{self.output}")

    def stop(self) -> int:
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGINT)
        try:
            out, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        self.output += out
        code = self.process.returncode
        self.process = None
        return code
