"""The local stand-in for DynamoDB stream event source mappings (the catalog's `table_stream_source`).

In the cloud Lambda reads the table's stream and invokes the function with batches of its records, retrying a
batch until the function succeeds. Locally the emulated table (moto) records its stream; this poller, in the
emulation process, reads moto's stream records of the table (moto 5.2's DynamoDB Streams API answers 404 "Not yet
implemented" in-process) and invokes the same handler through
the local Lambda runtime with an event of the same shape, holding only the records that pass the function's
`table_stream_filters` (Lambda's filter criteria, matched by moto's EventBridge pattern matcher: the same syntax), and
not invoked when none does. moto keeps a shard's records forever (the cloud drops them
after 24 hours), so what every consumer has handled is cut from the shard, which also keeps the snapshot small.
On start each consumer is invoked once with `{"rebuild": true}`: what changed while forge dev was not running.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from datetime import datetime
from typing import Any, cast

from moto.events.models import EventPattern

from devserver.lambda_runtime import LocalLambdaRuntime
from shared.catalog import CATALOG, FunctionSpec, function_physical_name

logger = logging.getLogger("nexus_forge.local")
BATCH_SIZE = 100


def _event_value(value: object) -> object:
    """The JSON Lambda's event carries for what botocore parsed: epoch seconds for times, base64 for binary."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class StreamConsumer:
    """A function a table's stream invokes, with the filter patterns its event source mapping has."""

    def __init__(self, function: str, spec: FunctionSpec) -> None:
        self.function = function
        self.patterns = [EventPattern.load(json.dumps(pattern)) for pattern in spec.table_stream_filters]

    def wants(self, record: dict[str, Any]) -> bool:
        return not self.patterns or any(pattern.matches_event(cast(Any, record)) for pattern in self.patterns)


class TableStreamPoller:
    def __init__(self, runtime: LocalLambdaRuntime, prefix: str, interval_seconds: float = 0.2) -> None:
        self.runtime = runtime
        self.interval_seconds = interval_seconds
        self.consumers: dict[str, list[StreamConsumer]] = {}
        for spec in CATALOG:
            if spec.table_stream_source is not None:
                table = spec.table_stream_source.physical_name(prefix)
                consumer = StreamConsumer(function_physical_name(prefix, spec.name), spec)
                self.consumers.setdefault(table, []).append(consumer)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="table-stream-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval_seconds + 30)

    def rebuild(self) -> None:
        for consumers in self.consumers.values():
            for consumer in consumers:
                result = self.runtime.invoke(consumer.function, b'{"rebuild": true}')
                if result.get("FunctionError"):
                    logger.warning("%s failed to rebuild: %s", consumer.function, result["Payload"].read()[:500])

    def _run(self) -> None:
        self.rebuild()
        while not self._stop.wait(self.interval_seconds):
            try:
                self.poll_once()
            except Exception:
                logger.exception("table stream poller round failed")

    def poll_once(self) -> int:
        """Delivers each table's waiting records (one batch per table) to its consumers; how many were delivered."""
        delivered = 0
        for table, consumers in self.consumers.items():
            shard = self._shard(table)
            if shard is None or not shard.items:
                continue
            delivered += self._deliver(shard, consumers)
        return delivered

    def _deliver(self, shard: Any, consumers: list[StreamConsumer]) -> int:
        records = shard.get(shard.starting_sequence_number, BATCH_SIZE)
        if not records:
            return 0
        stream_arn = f"{shard.table.table_arn}/stream/{shard.table.latest_stream_label}"
        batch = json.loads(
            json.dumps([{**record, "eventSourceARN": stream_arn} for record in records], default=_event_value)
        )
        for consumer in consumers:
            wanted = [record for record in batch if consumer.wants(record)]
            if not wanted:
                continue
            result = self.runtime.invoke(consumer.function, json.dumps({"Records": wanted}).encode())
            if result.get("FunctionError"):
                # As with the event source mapping, the batch stays and is delivered again.
                logger.warning("%s failed on a stream batch: %s", consumer.function, result["Payload"].read()[:500])
                return 0
        self._trim(shard, len(records))
        return len(records)

    def _shard(self, table: str) -> Any:
        from moto.backends import get_backend

        found = get_backend("dynamodb")[self.runtime.account][self.runtime.region].tables.get(table)
        return None if found is None else found.stream_shard

    @staticmethod
    def _trim(shard: Any, handled: int) -> None:
        from devserver.dynamodb_atomicity import item_operations_paused

        with item_operations_paused():
            del shard.items[:handled]
            shard.starting_sequence_number += handled
