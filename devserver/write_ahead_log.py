"""Acknowledged writes survive a crash of `forge dev`: a write-ahead log of the emulation's persisted state.

The emulation's state is saved whole every few seconds (a snapshot, devserver/emulation.py); a write acknowledged
after the last snapshot was lost by a crash (kill -9). So every change to a persisted service is also appended here
before the request that made it is answered, and at start the log is replayed over the last snapshot. Each snapshot
starts a new segment of the log and removes the segments it holds.

A record is an after-image: the item, the object's versions, the state machine (definition, versions, aliases, tags),
the Scheduler account or the account's SageMaker Model Registry (groups and packages) as they are after the change,
taken where the change is made and under a lock held across the change and the append, so the records of one thing
are in the order of its changes. Replaying is idempotent: a record the snapshot already holds sets the same state
again. A DynamoDB transaction is one record, appended when it commits (none when it is cancelled): replayed whole
or, cut short by a crash, not at all.

Appended with one `write` per record to an unbuffered file and not fsync'd: when the request is answered, the record
is in the kernel, which a crash of the process does not lose; a crash of the machine (power loss) can, as it can lose
any file written since the last sync. An fsync per record took 4.3 ms here against 1.4 µs for the write alone, and
a webhook delivery and its execution write about seven records: it would cost about as much as the execution's
whole CPU time.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import pickle
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger("nexus_forge.local")

SEGMENT_GLOB = "wal-*.log"
_LENGTH = struct.Struct(">I")
_transaction = threading.local()


class WriteAheadLog:
    """Numbered segments `wal-<n>.log` in a directory; records are appended to the newest."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._descriptor: int | None = None
        self.segment = max((number for number, _ in self.segments()), default=0)

    def segments(self) -> list[tuple[int, Path]]:
        found = []
        for path in self.directory.glob(SEGMENT_GLOB):
            number = path.stem.removeprefix("wal-")
            if number.isdigit():
                found.append((int(number), path))
        return sorted(found)

    def start_segment(self) -> int:
        """Every record appended from now on goes to a new segment, whose number is returned."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if self._descriptor is not None:
                os.close(self._descriptor)
            self.segment += 1
            path = self.directory / f"wal-{self.segment}.log"
            self._descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            return self.segment

    @property
    def is_open(self) -> bool:
        return self._descriptor is not None

    def close(self) -> None:
        with self._lock:
            if self._descriptor is not None:
                os.close(self._descriptor)
                self._descriptor = None

    def append(self, record: tuple[Any, ...]) -> None:
        if self._descriptor is None:
            return
        data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        framed = memoryview(_LENGTH.pack(len(data)) + data)
        with self._lock:
            while self._descriptor is not None and framed:
                framed = framed[os.write(self._descriptor, framed) :]

    def records(self, from_segment: int) -> Iterator[tuple[Any, ...]]:
        """The records of the segments numbered `from_segment` or higher, in order. A segment's last record cut short
        by a crash while it was written (never acknowledged) ends that segment."""
        for number, path in self.segments():
            if number < from_segment:
                continue
            data = path.read_bytes()
            offset = 0
            while offset + _LENGTH.size <= len(data):
                (length,) = _LENGTH.unpack_from(data, offset)
                start = offset + _LENGTH.size
                if start + length > len(data):
                    break
                try:
                    record = pickle.loads(data[start : start + length])  # noqa: S301 - our own file under .forge/
                except (pickle.UnpicklingError, EOFError, AttributeError, ModuleNotFoundError, ValueError):
                    logger.warning("ignoring the rest of unreadable log segment %s", path)
                    break
                yield record
                offset = start + length

    def discard_before(self, segment: int) -> None:
        """Removes the segments a snapshot holds (those numbered below `segment`)."""
        for number, path in self.segments():
            if number < segment:
                path.unlink(missing_ok=True)


# -- recording: after-images of each change, taken by the backends' own methods -----------------------------------


def install_write_ahead_log(log: WriteAheadLog) -> None:
    """Every later change to DynamoDB items, S3 objects, Step Functions state machines, Scheduler and the SageMaker
    Model Registry is appended to `log`. Installed again (another emulation in the same process), the hooks append to
    the new log."""
    global _log, _hooks_installed
    _log = log
    if _hooks_installed:
        return
    _record_dynamodb()
    _record_s3()
    _record_stepfunctions()
    _record_scheduler()
    _record_model_registry()
    _hooks_installed = True


_log: WriteAheadLog | None = None
_hooks_installed = False


def _append(record: tuple[Any, ...]) -> None:
    if _log is not None:
        _log.append(record)


def _logging() -> bool:
    """Whether a log takes records (after-images are not taken for nothing)."""
    return _log is not None and _log.is_open


def _record_dynamodb() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    from devserver.dynamodb_atomicity import item_operations_paused

    def recorded(operation: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(operation)
        def run(self: Any, table_name: str, attributes: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            with item_operations_paused():
                result = operation(self, table_name, attributes, *args, **kwargs)
                pending = getattr(_transaction, "keys", None)
                if pending is not None:
                    pending.append((table_name, attributes))
                elif _logging():
                    _append(_item_image(self, table_name, attributes))
                return result

        return run

    for name in ("put_item", "update_item", "delete_item"):
        setattr(DynamoDBBackend, name, recorded(getattr(DynamoDBBackend, name)))
    transact = DynamoDBBackend.transact_write_items

    @functools.wraps(transact)
    def transact_and_record(self: Any, *args: Any, **kwargs: Any) -> Any:
        with item_operations_paused():
            _transaction.keys = []
            try:
                result = transact(self, *args, **kwargs)
                if _logging() and _transaction.keys:
                    images = [
                        _item_image(self, table_name, attributes)[3:] for table_name, attributes in _transaction.keys
                    ]
                    _append(("dynamodb", self.account_id, self.region_name, _TRANSACTION, images))
                return result
            finally:
                _transaction.keys = None

    DynamoDBBackend.transact_write_items = transact_and_record  # type: ignore[method-assign]


# In a DynamoDB record's table name's place: the record holds a committed transaction's item images (table name,
# key values, item), one record written and replayed whole — pickled and written once, not once per item.
_TRANSACTION = ("transaction",)


def _item_image(backend: Any, table_name: str, attributes: dict[str, Any]) -> tuple[Any, ...]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = backend.get_table(table_name)
    hash_value = DynamoType(attributes[table.hash_key_attr])
    range_value = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
    item = table.get_item(hash_value, range_value)
    return ("dynamodb", backend.account_id, backend.region_name, table_name, hash_value, range_value, item)


def _record_after(owner: type, name: str, lock: Any, images: Callable[..., list[tuple[Any, ...]]]) -> None:
    """`owner.name` appends the after-images `images(backend, result, *arguments)` of what it changed, taken under
    `lock` with the change."""
    operation = getattr(owner, name)

    @functools.wraps(operation)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            result = operation(self, *args, **kwargs)
            for record in images(self, result, *args, **kwargs) if _logging() else []:
                _append(record)
            return result

    setattr(owner, name, run)


def _record_s3() -> None:
    from moto.s3.models import S3Backend

    def objects(backend: Any, bucket_name: str, key_names: list[str]) -> list[tuple[Any, ...]]:
        bucket = backend.buckets.get(bucket_name)
        if bucket is None:
            return []
        return [
            ("s3", backend.account_id, backend.region_name, bucket_name, key, list(bucket.keys.getlist(key, [])))
            for key in key_names
        ]

    def named(backend: Any, _: Any, bucket_name: str, key_name: str, *__: Any, **___: Any) -> list[tuple[Any, ...]]:
        return objects(backend, bucket_name, [key_name])

    def listed(backend: Any, _: Any, bucket_name: str, entries: list[dict[str, Any]], *__: Any, **___: Any) -> Any:
        return objects(backend, bucket_name, [str(entry["Key"]) for entry in entries])

    def copied(backend: Any, _: Any, __: Any, bucket_name: str, key_name: str, *___: Any, **____: Any) -> Any:
        return objects(backend, bucket_name, [key_name])

    lock = threading.RLock()
    for name, images in (("put_object", named), ("delete_object", named), ("delete_objects", listed)):
        _record_after(S3Backend, name, lock, images)
    _record_after(S3Backend, "copy_object", lock, copied)


def _record_stepfunctions() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    def of_result(backend: Any, result: Any, *_: Any, **__: Any) -> list[tuple[Any, ...]]:
        return [machine_image(backend, str(getattr(result, "statemachine_arn", None) or result.arn))]

    def of_argument(backend: Any, _: Any, arn: str, *__: Any, **___: Any) -> list[tuple[Any, ...]]:
        return [machine_image(backend, arn)]

    def of_alias(backend: Any, _: Any, arn: str, *__: Any, **___: Any) -> list[tuple[Any, ...]]:
        return [machine_image(backend, arn.rsplit(":", 1)[0])]

    lock = threading.RLock()
    changes = (
        "create_state_machine",
        "update_state_machine",
        "create_state_machine_alias",
        "update_state_machine_alias",
    )
    for name in changes:
        _record_after(StepFunctionsParserBackend, name, lock, of_result)
    for name in ("delete_state_machine", "tag_resource", "untag_resource"):
        _record_after(StepFunctionsParserBackend, name, lock, of_argument)
    _record_after(StepFunctionsParserBackend, "delete_state_machine_alias", lock, of_alias)


def machine_image(backend: Any, arn: str) -> tuple[Any, ...]:
    machine = next((machine for machine in backend.state_machines if machine.arn == arn), None)
    tags = backend.tagger.list_tags_for_resource(arn)["tags"] if machine is not None else []
    return ("stepfunctions", backend.account_id, backend.region_name, arn, portable_machine(machine), tags)


def portable_machine(machine: Any) -> Any:
    """A state machine without its executions (threads and history, which do not survive a restart) or its
    backend: what a snapshot or a log record keeps of it."""
    if machine is None:
        return None
    kept = copy.copy(machine)
    kept.executions = []
    kept.backend = None
    kept.versions = {}
    for number, version in machine.versions.items():
        kept.versions[number] = copy.copy(version)
        kept.versions[number].executions = []
    kept.latest_version = kept.versions.get(machine.latest_version_number)
    kept.aliases = dict(machine.aliases)
    return kept


def _record_scheduler() -> None:
    from moto.scheduler.models import EventBridgeSchedulerBackend

    def account(backend: Any, *_: Any, **__: Any) -> list[tuple[Any, ...]]:
        return [("scheduler", backend.account_id, backend.region_name, backend.schedule_groups, backend.tagger)]

    lock = threading.RLock()
    for name in (
        "create_schedule",
        "update_schedule",
        "delete_schedule",
        "create_schedule_group",
        "delete_schedule_group",
        "tag_resource",
        "untag_resource",
    ):
        _record_after(EventBridgeSchedulerBackend, name, lock, account)


def _record_model_registry() -> None:
    from moto.sagemaker.models import SageMakerModelBackend

    def account(backend: Any, *_: Any, **__: Any) -> list[tuple[Any, ...]]:
        return [("sagemaker", backend.account_id, backend.region_name, *model_registry(backend))]

    lock = threading.RLock()
    for name in ("create_model_package_group", "create_model_package", "update_model_package"):
        _record_after(SageMakerModelBackend, name, lock, account)


def model_registry(backend: Any) -> tuple[Any, ...]:
    """moto's Model Registry of one account and region: its groups, its packages, the packages' names and ARNs → ARN
    (the rest of moto's SageMaker is not kept: forge dev answers for training jobs and endpoints itself)."""
    return (backend.model_package_groups, backend.model_packages, backend.model_package_name_mapping)


def restore_model_registry(backend: Any, groups: Any, packages: Any, names: Any) -> None:
    backend.model_package_groups, backend.model_packages, backend.model_package_name_mapping = groups, packages, names


# -- replaying ----------------------------------------------------------------------------------------------------


def replay(records: Iterator[tuple[Any, ...]]) -> int:
    """Sets each record's after-image in the emulation's backends, in order; returns how many it applied."""
    applied = 0
    for service, account, region, *image in records:
        if _apply(service, service_backends(service)[account][region], image):
            applied += 1
    return applied


def service_backends(service: str) -> Any:
    """The backends of a persisted service by account and region; Step Functions' are its executing parser's."""
    if service == "stepfunctions":
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        return stepfunctions_parser_backends
    from moto.backends import get_backend

    return get_backend(service)  # type: ignore[call-overload]


def _apply(service: str, backend: Any, image: list[Any]) -> bool:
    if service == "dynamodb":
        if image[0] == _TRANSACTION:
            return all([_apply_item(backend, *item_image) for item_image in image[1]])
        return _apply_item(backend, *image)
    elif service == "s3":
        bucket_name, key_name, versions = image
        bucket = backend.buckets.get(bucket_name)
        if bucket is None:
            logger.warning("log record of missing bucket %s ignored", bucket_name)
            return False
        if versions:
            bucket.keys.setlist(key_name, versions)
        else:
            bucket.keys.pop(key_name, None)
    elif service == "stepfunctions":
        arn, machine, tags = image
        restore_machine(backend, arn, machine, tags)
    elif service == "scheduler":
        backend.schedule_groups, backend.tagger = image
    elif service == "sagemaker":
        restore_model_registry(backend, *image)
    return True


def _apply_item(backend: Any, table_name: str, hash_value: Any, range_value: Any, item: Any) -> bool:
    table = backend.tables.get(table_name)
    if table is None:
        logger.warning("log record of missing table %s ignored", table_name)
        return False
    _set_item(table, hash_value, range_value, item)
    return True


def _set_item(table: Any, hash_value: Any, range_value: Any, item: Any) -> None:
    if range_value is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
        return
    if item is None:
        table.items.get(hash_value, {}).pop(range_value, None)
    else:
        table.items[hash_value][range_value] = item


def restore_machine(backend: Any, arn: str, machine: Any, tags: list[dict[str, str]]) -> None:
    """Puts a kept state machine back (or removes it, when `machine` is None) with its tags."""
    backend.state_machines = [existing for existing in backend.state_machines if existing.arn != arn]
    backend.tagger.delete_all_tags_for_resource(arn)
    if machine is None:
        return
    machine.backend = backend
    backend.state_machines.append(machine)
    if tags:
        backend.tagger.tag_resource(arn, tags)
