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
import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from devserver.event_patterns import flattened, load_pattern, matches_flattened, matches_json_event
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
    """A function a table's stream invokes, with the filter patterns and batching window its event source mapping
    has."""

    def __init__(self, function: str, spec: FunctionSpec) -> None:
        self.function = function
        self.patterns = [load_pattern(pattern) for pattern in spec.table_stream_filters]
        self.batching_seconds = spec.table_stream_batching_seconds
        self.event_names = _event_names(spec.table_stream_filters)

    def wants(self, record: dict[str, Any]) -> bool:
        """Whether a filter passes the record (the poller's events are JSON already, `_event_record`), matched as
        moto's matcher matches it less its copy of the event through JSON (devserver/event_patterns.py)."""
        return not self.patterns or matches_json_event(self.patterns, record)

    def wants_flattened(self, flat: Callable[[], dict[str, Any]]) -> bool:
        """`wants` of the record `flat()` flattens (`event_patterns.flattened`, once for all the table's consumers)."""
        return not self.patterns or matches_flattened(self.patterns, flat)

    def may_want(self, event_name: object) -> bool:
        """False when no filter can pass a record of this `eventName` (each pattern names the event names it takes):
        moto's matcher writes and reads every event as JSON, and most records of a busy table are MODIFYs."""
        return self.event_names is None or event_name in self.event_names


def _event_names(patterns: tuple[dict[str, Any], ...]) -> frozenset[str] | None:
    """The event names some pattern takes, when every pattern lists them as plain strings (an exact match in
    EventBridge's syntax); None when a pattern would take other ones (no filter, or another kind of rule)."""
    names: set[str] = set()
    for pattern in patterns:
        listed = pattern.get("eventName")
        if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
            return None
        names.update(listed)
    return frozenset(names) if patterns else None


class _Waiting:
    """What the poller has read of one table's stream and not yet delivered: moto's records in order, each one's
    JSON as the event carries it, which of them each consumer wants, and since when the oldest has waited."""

    def __init__(self, shard: Any, consumers: list[StreamConsumer]) -> None:
        self.shard = shard
        self.records: list[Any] = []
        self.texts: list[str] = []
        self.wanted: list[list[int]] = [[] for _ in consumers]
        self.since = 0.0


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
        self._waiting: dict[str, _Waiting] = {}
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
                self.poll_once(when_due=True)
            except Exception:
                logger.exception("table stream poller round failed")

    def poll_once(self, when_due: bool = False) -> int:
        """Delivers each table's waiting records to its consumers (in batches of at most BATCH_SIZE records); how
        many were delivered. `when_due`: only a table whose batch is due, as Lambda's event source mapping invokes
        the function once its batching window has passed since the oldest waiting record or a batch is full
        (forge dev's own polling); otherwise everything waiting now (tests)."""
        delivered = 0
        for table, consumers in self.consumers.items():
            shard = self._shard(table)
            if shard is None:
                self._waiting.pop(table, None)
                continue
            waiting = self._read(table, shard, consumers)
            if not waiting.records or (when_due and not self._due(waiting, consumers)):
                continue
            delivered += self._deliver(table, waiting, consumers)
        return delivered

    def _read(self, table: str, shard: Any, consumers: list[StreamConsumer]) -> _Waiting:
        """The table's waiting records, those added since the last round read and each converted once. Read under
        the item lock: a transaction being cancelled takes its records back before it lets go."""
        from devserver.dynamodb_atomicity import item_operations_paused

        waiting = self._waiting.get(table)
        with item_operations_paused():
            items = shard.items
            known = 0 if waiting is None else len(waiting.records)
            if (
                waiting is None
                or waiting.shard is not shard
                or len(waiting.wanted) != len(consumers)
                or len(items) < known
                or (known and (items[0] is not waiting.records[0] or items[known - 1] is not waiting.records[-1]))
            ):
                waiting = self._waiting[table] = _Waiting(shard, consumers)
                known = 0
            added = items[known:]
        if not added:
            return waiting
        if not waiting.records:
            waiting.since = time.monotonic()
        stream_arn = f"{shard.table.table_arn}/stream/{shard.table.latest_stream_label}"
        for record in added:
            index = len(waiting.records)
            waiting.records.append(record)
            moto_record = record.to_json()
            if not any(consumer.may_want(moto_record.get("eventName")) for consumer in consumers):
                waiting.texts.append("")  # delivered to no one: never written
                continue
            event, text = _event_record(moto_record, stream_arn)
            waiting.texts.append(text)
            flat = functools.cache(functools.partial(flattened, event))
            for wanted, consumer in zip(waiting.wanted, consumers, strict=True):
                if consumer.may_want(event.get("eventName")) and consumer.wants_flattened(flat):
                    wanted.append(index)
        return waiting

    @staticmethod
    def _due(waiting: _Waiting, consumers: list[StreamConsumer]) -> bool:
        window = min(consumer.batching_seconds for consumer in consumers)
        full = any(len(wanted) >= BATCH_SIZE for wanted in waiting.wanted)
        return full or time.monotonic() - waiting.since >= window

    def _deliver(self, table: str, waiting: _Waiting, consumers: list[StreamConsumer]) -> int:
        for consumer, wanted in zip(consumers, waiting.wanted, strict=True):
            for start in range(0, len(wanted), BATCH_SIZE):
                texts = [waiting.texts[index] for index in wanted[start : start + BATCH_SIZE]]
                # What json.dumps({"Records": records}) writes, from each record's text written once.
                payload = '{"Records": [' + ", ".join(texts) + "]}"
                result = self.runtime.invoke(consumer.function, payload.encode())
                if result.get("FunctionError"):
                    # As with the event source mapping, the batch stays and is delivered again.
                    logger.warning("%s failed on a stream batch: %s", consumer.function, result["Payload"].read()[:500])
                    return 0
        self._trim(waiting.shard, waiting.records)
        del self._waiting[table]
        return len(waiting.records)

    def _shard(self, table: str) -> Any:
        from moto.backends import get_backend

        found = get_backend("dynamodb")[self.runtime.account][self.runtime.region].tables.get(table)
        return None if found is None else found.stream_shard

    @staticmethod
    def _trim(shard: Any, handled: list[Any]) -> None:
        from devserver.dynamodb_atomicity import item_operations_paused

        with item_operations_paused():
            if shard.items[: len(handled)] == handled:
                del shard.items[: len(handled)]
                shard.starting_sequence_number += len(handled)


def _event_record(record: dict[str, Any], stream_arn: str) -> tuple[dict[str, Any], str]:
    """A stream record as the event carries it (what `json.loads` reads back) and its JSON text. moto's record is
    JSON already but for its creation time (epoch seconds in the event) and, rarely, binary values nested in maps
    or lists (base64): only a record holding those is read back from its text, the others are used as they are
    (a shallow copy; nothing changes them)."""
    dynamodb = record["dynamodb"]
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb = {**dynamodb, "ApproximateCreationDateTime": created.timestamp()}
    event = {**record, "eventSourceARN": stream_arn, "dynamodb": dynamodb}
    converted: list[object] = []

    def convert(value: object) -> object:
        converted.append(value)
        return _event_value(value)

    text = json.dumps(event, default=convert)
    return (json.loads(text) if converted else event), text
