"""`forge dev`: the whole platform on loopback — the emulation, the real handlers and the HTTP API."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from devserver.api_workers import DATA_PLANE_URL_VARIABLE, DEFAULT_WORKERS
from devserver.ports import LOOPBACK, PortUnavailable, ServedPort, bind_port

if TYPE_CHECKING:
    from devserver.emulation import LocalAws

SNAPSHOT_INTERVAL_SECONDS = 5.0
RESTART_CAUSE = "the local platform restarted while this execution ran"


@dataclass(frozen=True)
class LocalPlatformOptions:
    port: int = 8000
    aws_port: int = 4566
    state_dir: Path = Path(".forge")
    reset: bool = False
    workers: int = DEFAULT_WORKERS


def banner(options: LocalPlatformOptions, started_in: float) -> str:
    api = f"http://{LOOPBACK}:{options.port}"
    aws = f"http://{LOOPBACK}:{options.aws_port}"
    return "\n".join(
        [
            "",
            f"  Nexus Forge is running locally (ready in {started_in:.1f} s)",
            "",
            f"  API            {api}",
            f"  API docs       {api}/docs",
            f"  AWS emulation  {aws}   (state kept in {options.state_dir}/)",
            "",
            "  Try next:",
            f"    curl {api}/v1/health",
            f"    TOKEN=$(.venv/bin/forge token --platform-admin --state-dir {options.state_dir})",
            f'    curl -X POST {api}/v1/platform/smoke-runs -H "authorization: Bearer $TOKEN" \\',
            "        -H 'content-type: application/json' -d '{\"name\": \"Ada\"}'",
            f"    aws --endpoint-url {aws} stepfunctions list-executions --state-machine-arn \\",
            "        arn:aws:states:us-east-1:123456789012:stateMachine:nexus-forge-local-smoke",
            "",
            "  Ctrl-C stops the platform; `forge dev --reset` starts it empty.",
            "",
        ]
    )


def use_local_envelope_key(state_dir: Path) -> None:
    """Webhook secrets: a key kept in the state dir stands in for KMS (see shared/crypto/secret_box.py)."""
    envelope_key = state_dir / "envelope.key"
    if not envelope_key.exists():
        from shared.crypto.secret_box import new_envelope_key

        envelope_key.write_text(new_envelope_key())
        envelope_key.chmod(0o600)
    os.environ["FORGE_LOCAL_ENVELOPE_KEY"] = envelope_key.read_text().strip()


def settle_executions_lost_in_restart(aws: LocalAws) -> None:
    """The reconciliation the cloud runs on a schedule (the execution_reconcile function), over every running
    record: the emulation keeps no execution across a restart, so each ends ABORTED and gives its slot back."""
    from devserver.emulation import LOCAL_PREFIX
    from shared.catalog import function_physical_name

    request = {"running_longer_than_seconds": 0, "lost_cause": RESTART_CAUSE}
    result = aws.lambda_runtime.invoke(
        function_physical_name(LOCAL_PREFIX, "execution_reconcile"), json.dumps(request).encode()
    )
    answer = json.loads(result["Payload"].read())
    log = logging.getLogger("nexus_forge.local")
    if result.get("FunctionError"):
        # The platform still starts; the records it could not settle say RUNNING until the next start settles them.
        log.error("settling the executions of the last run failed: %s", answer)
    elif answer["settled"]:
        log.info("%d execution(s) running when the platform stopped ended ABORTED", len(answer["settled"]))


def run_local_platform(options: LocalPlatformOptions) -> None:
    """Serves until Ctrl-C or SIGTERM, which end it with KeyboardInterrupt once everything started has stopped and
    the state is saved. Raises PortUnavailable, before anything starts, when a port is taken."""
    from devserver.malloc_arenas import limit_malloc_arenas

    # Before any thread starts; the API workers forked later inherit it.
    limit_malloc_arenas()
    listeners = bind_ports(options)
    # SIGTERM stops the platform as Ctrl-C does, wherever starting it has got to.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    running = contextlib.ExitStack()
    try:
        for listener in listeners:
            running.callback(listener.close)
        serve_local_platform(options, *listeners, running)
    finally:
        # Stopping saves the state: a second Ctrl-C must not cut that short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        running.close()


def bind_ports(options: LocalPlatformOptions) -> tuple[socket.socket, socket.socket]:
    api = bind_port(ServedPort(options.port, "the API", "--port"))
    try:
        return api, bind_port(ServedPort(options.aws_port, "the AWS emulation", "--aws-port"))
    except PortUnavailable:
        api.close()
        raise


def serve_local_platform(
    options: LocalPlatformOptions,
    api_listener: socket.socket,
    aws_listener: socket.socket,
    running: contextlib.ExitStack,
) -> None:
    """Starts each part and registers its stop on `running`; the emulation's stop saves the state."""
    started = time.monotonic()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if options.reset and options.state_dir.exists():
        shutil.rmtree(options.state_dir)
    options.state_dir.mkdir(parents=True, exist_ok=True)

    from devserver.emulation import LocalAws, LocalEndpoints
    from devserver.issuer import LocalIssuer

    issuer = LocalIssuer(options.state_dir)
    issuer.private_key()
    # Bearer tokens are verified against the local issuer's JWKS, as against Cognito's in the cloud.
    os.environ["FORGE_AUTH_JWKS_URL"] = issuer.jwks_url

    use_local_envelope_key(options.state_dir)
    # The marketplace search index: written by the indexer in the emulation process, read by every API worker.
    os.environ["FORGE_MARKETPLACE_SEARCH_INDEX"] = str(options.state_dir.resolve() / "marketplace-search.sqlite3")
    os.environ["FORGE_LOCAL_STARTED_AT"] = datetime.now(UTC).isoformat()
    from devserver.api_workers import ApiWorkers, keep_out_of_collections, preload
    from devserver.data_plane import ENDPOINT_VARIABLES, bind_data_plane
    from devserver.emulation import local_environment

    # The API and its handlers run in their own processes, so that they and the emulation use every core. They are
    # forked with the application loaded, before any thread starts here, and serve once the emulation is ready.
    aws_endpoints = LocalEndpoints(LOOPBACK, options.aws_port)
    os.environ.update(local_environment(aws_endpoints.url))
    preload()
    data_plane_listener, data_plane_url = bind_data_plane(LOOPBACK)
    running.callback(data_plane_listener.close)
    from devserver.function_workers import FUNCTIONS_IN_WORKERS, WorkerInvocations, bind_invocations

    # The status path and the node functions run in the workers too, handed to them on this socket.
    invocations_listener = bind_invocations(LOOPBACK)
    running.callback(invocations_listener.close)
    workers = ApiWorkers(
        options.workers,
        api_listener,
        options.state_dir,
        {
            **os.environ,
            **dict.fromkeys(ENDPOINT_VARIABLES, data_plane_url),
            DATA_PLANE_URL_VARIABLE: data_plane_url,
        },
        not_inherited=(aws_listener, data_plane_listener),
        invocations=invocations_listener,
    )
    running.callback(workers.stop)
    workers.start()
    aws = LocalAws(options.state_dir, aws_endpoints)
    aws.start(aws_listener, data_plane_listener)
    # Only once the saved state is fully restored: saving a half-restored one would lose the rest.
    running.callback(aws.stop)
    # The workers stop first, so the state saved holds every request they answered.
    running.callback(workers.stop)
    from devserver.emulation import LOCAL_PREFIX
    from devserver.end_relay import BoardRelay
    from shared.executions.end_signals import relay_ends

    # Ends published here (or by a worker, over the data plane) wake the sync waits of every worker.
    relay_ends(BoardRelay(aws.ends))

    # Executions do not survive a restart: their records end now, before anything starts a new one.
    settle_executions_lost_in_restart(aws)
    aws.save_snapshot()
    from devserver.execution_watcher import ExecutionStatusWatcher

    # EventBridge's status-change events, locally: the same function gets the same event shape.
    status_watcher = ExecutionStatusWatcher(aws.lambda_runtime, LOCAL_PREFIX)
    status_watcher.start()
    running.callback(status_watcher.stop)
    from devserver.approvals_poller import ApprovalsQueuePoller

    # The approvals queue's event source mapping, locally: the same function gets the same SQS batches.
    approvals_poller = ApprovalsQueuePoller(aws.lambda_runtime, LOCAL_PREFIX)
    approvals_poller.start()
    running.callback(approvals_poller.stop)
    from devserver.table_stream_poller import TableStreamPoller

    # The platform table's stream into the marketplace search indexer, as its event source mapping does.
    stream_poller = TableStreamPoller(aws.lambda_runtime, LOCAL_PREFIX)
    stream_poller.start()
    running.callback(stream_poller.stop)
    from devserver.scheduler import CatalogRuleScheduler, LocalScheduler

    # EventBridge Scheduler, locally: each schedule's target gets the same input at the same slots.
    scheduler = LocalScheduler(aws.lambda_runtime, LOCAL_PREFIX)
    scheduler.start()
    running.callback(scheduler.stop)
    # The catalog's scheduled functions (EventBridge schedule rules in the cloud), e.g. execution_reconcile.
    catalog_rules = CatalogRuleScheduler(aws.lambda_runtime, LOCAL_PREFIX)
    catalog_rules.start()
    running.callback(catalog_rules.stop)

    aws.lambda_runtime.run_elsewhere(FUNCTIONS_IN_WORKERS, WorkerInvocations(invocations_listener.getsockname()).invoke)
    stop_snapshots = threading.Event()
    running.callback(stop_snapshots.set)

    def snapshot_periodically() -> None:
        # Only after a change, and less often as saving takes longer (large tables).
        while not stop_snapshots.wait(aws.next_snapshot_delay(SNAPSHOT_INTERVAL_SECONDS)):
            try:
                aws.save_snapshot_if_changed()
            except RuntimeError as error:  # a backend changed while it was being copied; the next round saves it
                logging.getLogger("nexus_forge.local").debug("snapshot skipped: %s", error)

    threading.Thread(target=snapshot_periodically, daemon=True).start()
    # The emulation's resources and restored state are as long-lived as the modules frozen before the fork.
    keep_out_of_collections()
    # Serving last, then the banner at once: a platform that answers /v1/health has everything above running.
    workers.serve()
    print(banner(options, time.monotonic() - started), flush=True)
    # Ctrl-C and SIGTERM end this wait with KeyboardInterrupt; `running` then stops the workers, then the rest.
    threading.Event().wait()
