"""`forge dev`'s API worker processes: the HTTP API and its real handlers, beside the emulation, not inside it.

One Python process runs one thread at a time: with the API, its handlers, moto and the state machines' executor in
one process, `forge dev` used one core however many the machine has. The workers are separate processes that all
accept on the API's one listening socket (inherited, as uvicorn's and gunicorn's workers do), so the kernel hands each
connection to whichever worker is free; the emulation process (moto, the executor, the status watcher, the
snapshots and the write-ahead log) serves their DynamoDB and Step Functions calls over the data plane
(devserver/data_plane.py) and everything else on its public port. The workers also run the status path and the node
functions the emulation invokes (devserver/function_workers.py), and wait for executions' ends on the emulation's
board (devserver/end_relay.py).

A worker that dies is replaced; when the platform's process ends, however it ends, its workers end with it: each
holds the read end of a pipe whose only write end the platform holds, and exits when it reads end of file.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("nexus_forge.local")

WORKER_PID_HEADER = "forge-worker-pid"
DEFAULT_WORKERS = 2
# Where a worker reaches the data plane for the ends of executions (devserver/end_relay.py).
DATA_PLANE_URL_VARIABLE = "FORGE_LOCAL_DATA_PLANE_URL"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0


class WorkerStartFailed(RuntimeError):
    pass


class ApiWorkers:
    """Starts `count` workers on `listener`, replaces any that dies, and stops them all on `stop`."""

    def __init__(
        self,
        count: int,
        listener: socket.socket,
        state_dir: Path,
        environment: Mapping[str, str],
        not_inherited: Sequence[socket.socket] = (),
        invocations: socket.socket | None = None,
    ) -> None:
        self.count = count
        self.listener = listener
        self.invocations = invocations
        self.state_dir = state_dir
        self.environment = dict(environment)
        self.not_inherited = not_inherited
        self.processes: list[Worker] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        # The platform alone holds the write end: its exit, however abrupt, is end of file for every worker.
        self._lifeline_read, self._lifeline_write = os.pipe()
        self._supervisor: threading.Thread | None = None
        # A worker reads one byte of "go" before it serves, and writes its pid to "ready" once it does.
        self._ready_read = self._ready_write = self._go_read = self._go_write = -1

    def start(self) -> None:
        """Forks the workers, which serve only once `serve` is called. Call it before this process starts a thread
        (a thread's locks would be copied as they are) and after `preload`, so the workers share its modules."""
        keep_out_of_collections()
        self._ready_read, self._ready_write = os.pipe()
        self._go_read, self._go_write = os.pipe()
        with self._lock:
            self.processes = [self._fork() for _ in range(self.count)]

    def serve(self) -> None:
        """Lets every worker serve; returns once all do, or raises WorkerStartFailed if one exits before."""
        os.write(self._go_write, b"x" * self.count)
        self._wait_until_ready()
        self._supervisor = threading.Thread(target=self._replace_dead_workers, name="api-workers", daemon=True)
        self._supervisor.start()

    def stop(self) -> None:
        """SIGTERM to each worker, which finishes its requests in flight; SIGKILL to any still running after.
        Idempotent."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        with self._lock:
            processes = list(self.processes)
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for descriptor in (self._lifeline_write, self._lifeline_read, *self._start_pipes):
            if descriptor >= 0:
                os.close(descriptor)

    @property
    def _start_pipes(self) -> tuple[int, ...]:
        return (self._ready_read, self._ready_write, self._go_read, self._go_write)

    def _fork(self) -> Worker:
        pid = os.fork()
        if pid:
            return ForkedWorker(pid)
        code = 0
        try:
            os.setpgid(0, 0)  # see _spawn
            for descriptor in (self._lifeline_write, self._go_write, self._ready_read):
                os.close(descriptor)
            for inherited in self.not_inherited:
                inherited.close()
            os.environ.update(self.environment)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            serve(
                self.listener.fileno(),
                self._lifeline_read,
                self._go_read,
                self._ready_write,
                self.state_dir,
                self._invocations_fd,
            )
        except KeyboardInterrupt:
            pass
        except BaseException:
            logger.exception("API worker %d failed", os.getpid())
            code = 1
        finally:
            os._exit(code)

    @property
    def _invocations_fd(self) -> int:
        return self.invocations.fileno() if self.invocations is not None else -1

    def _spawn(self) -> Worker:
        """A new interpreter, for a worker that replaces one: by now this process runs threads, so no fork."""
        descriptors: tuple[int, ...] = (self.listener.fileno(), self._lifeline_read, self._go_read, self._ready_write)
        if self.invocations is not None:
            descriptors += (self.invocations.fileno(),)
        return subprocess.Popen(  # noqa: S603 - this interpreter, our own module
            [
                sys.executable,
                "-m",
                "devserver.api_workers",
                *("--listener-fd", str(self.listener.fileno())),
                *("--lifeline-fd", str(self._lifeline_read)),
                *("--go-fd", str(self._go_read)),
                *("--ready-fd", str(self._ready_write)),
                *("--state-dir", str(self.state_dir)),
                *("--invocations-fd", str(self._invocations_fd)),
            ],
            env=self.environment,
            pass_fds=descriptors,
            # Its own process group: a terminal's Ctrl-C reaches the platform, which stops its workers (SIGTERM), not
            # every worker at once, whose exits the supervisor would take for deaths to replace.
            process_group=0,
        )

    def _wait_until_ready(self) -> None:
        ready: set[int] = set()
        received = b""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while len(ready) < len(self.processes):
            exited = [process for process in self.processes if process.poll() is not None]
            if exited:
                raise WorkerStartFailed(f"an API worker exited with {exited[0].returncode} while starting")
            if time.monotonic() > deadline:
                raise WorkerStartFailed(f"the API workers were not ready within {READY_TIMEOUT_SECONDS:.0f} s")
            readable, _, _ = select.select([self._ready_read], [], [], 0.2)
            if readable:
                received += os.read(self._ready_read, 4096)
                *lines, rest = received.split(b"\n")
                ready.update(int(line) for line in lines)
                received = rest

    def _replace_dead_workers(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                for position, process in enumerate(self.processes):
                    if process.poll() is not None and not self._stopping.is_set():
                        logger.warning(
                            "API worker %d exited with %s; starting another", process.pid, process.returncode
                        )
                        self.processes[position] = self._spawn()
                        os.write(self._go_write, b"x")


class Worker(Protocol):
    """What the platform does with a worker process: subprocess.Popen's interface."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...

    def send_signal(self, signum: int) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def kill(self) -> None: ...


class ForkedWorker:
    """A worker forked from this process, with Popen's interface."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._reaping = threading.Lock()  # the supervisor and `stop` may ask at once; a pid is reaped only once

    def poll(self) -> int | None:
        with self._reaping:
            if self.returncode is None:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"API worker {self.pid}", timeout or 0.0)
            time.sleep(0.02)
        return code

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def preload() -> None:
    """Imports what a worker serves, so forked workers start with it loaded (and share its memory)."""
    import uvicorn  # noqa: F401

    import devserver.api  # noqa: F401
    from devserver.botocore_data import load_client_data, share_botocore_data
    from devserver.routers import catalog_routers

    catalog_routers()
    share_botocore_data()
    load_client_data()


def keep_out_of_collections() -> None:
    """What is loaded by now (modules, the application, botocore's service models) lives as long as the process: the
    garbage collector leaves it alone from here on. A full collection walked all of it (235 ms for the 256,000
    objects of the loaded platform), and by writing every object's header it copied into a forked worker each page
    the worker shared with the platform. As CPython's documentation advises for a process that forks."""
    gc.collect()
    gc.freeze()


class WorkerPidHeader:
    """Names the worker process that answered, so one can see the API served by more than one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.header = (WORKER_PID_HEADER.encode(), str(os.getpid()).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_pid(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, with_pid)


def _exit_when_the_platform_ends(lifeline: int) -> None:
    while os.read(lifeline, 1):
        pass
    os._exit(1)  # the platform is gone: nothing here is worth finishing


def serve(
    listener_fd: int, lifeline_fd: int, go_fd: int, ready_fd: int, state_dir: Path, invocations_fd: int = -1
) -> None:
    """A worker's life: the same application `forge dev` always served, on the inherited socket, and the
    invocations the emulation hands it on `invocations_fd` (if not -1)."""
    threading.Thread(target=_exit_when_the_platform_ends, args=(lifeline_fd,), daemon=True).start()
    from devserver.botocore_data import share_botocore_data

    # Already shared in a forked worker; a worker started as a new interpreter shares from here on.
    share_botocore_data()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    import uvicorn

    from devserver.api import create_local_server
    from devserver.bedrock_embeddings import LocalBedrockEmbeddings
    from devserver.bedrock_runtime import LocalBedrockRuntime
    from devserver.emulation import LOCAL_ACCOUNT, LOCAL_PREFIX, LOCAL_REGION
    from devserver.issuer import LocalIssuer
    from devserver.lambda_runtime import LocalLambdaRuntime

    # Lambda invokes made by the API run their handlers here, as in the emulation process. SageMaker's calls go to the
    # emulation's port, where its training jobs and endpoints answer (devserver/sagemaker_hosting.py).
    runtime = LocalLambdaRuntime(LOCAL_PREFIX, LOCAL_REGION, LOCAL_ACCOUNT)
    runtime.install()
    LocalBedrockRuntime().install()
    # A marketplace search embeds its query in the worker that serves it.
    LocalBedrockEmbeddings().install()
    listener = socket.socket(fileno=listener_fd)
    app = WorkerPidHeader(create_local_server(LocalIssuer(state_dir)))
    # uvicorn serves with httptools and uvloop, which the local extras install ("auto" picks them).
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))

    def announce_when_ready() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.02)
        if server.started:
            os.write(ready_fd, f"{os.getpid()}\n".encode())

    keep_out_of_collections()
    # The emulation is ready when the platform says go: no request is served before.
    os.read(go_fd, 1)
    if DATA_PLANE_URL_VARIABLE in os.environ:
        from devserver.data_plane import send_data_plane_calls_unsigned
        from devserver.end_relay import DataPlaneRelay
        from shared.executions.end_signals import relay_ends

        relay_ends(DataPlaneRelay(os.environ[DATA_PLANE_URL_VARIABLE]))
        send_data_plane_calls_unsigned()
    if invocations_fd >= 0:
        from devserver.function_workers import serve_invocations

        serve_invocations(socket.socket(fileno=invocations_fd), runtime.invoke)
    threading.Thread(target=announce_when_ready, daemon=True).start()
    server.run(sockets=[listener])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devserver.api_workers")
    for flag in ("--listener-fd", "--lifeline-fd", "--go-fd", "--ready-fd"):
        parser.add_argument(flag, type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--invocations-fd", type=int, default=-1)
    arguments = parser.parse_args()
    from devserver.malloc_arenas import limit_malloc_arenas

    # A worker started as a new interpreter (one that replaces a worker that died) does not inherit it.
    limit_malloc_arenas()
    # Stopped by the platform (SIGTERM) or by Ctrl-C in its terminal, wherever starting has got to: quietly.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):
        serve(
            arguments.listener_fd,
            arguments.lifeline_fd,
            arguments.go_fd,
            arguments.ready_fd,
            arguments.state_dir,
            arguments.invocations_fd,
        )


if __name__ == "__main__":
    main()
