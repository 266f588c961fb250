"""The local stand-in for the approvals queue's Lambda event source mapping.

In the cloud Lambda polls the approvals queue and invokes the approvals_intake function with batches of up to
ten messages, deleting those the function does not report in `batchItemFailures`. Locally this poller long-polls
the emulation's queue and does the same through the local Lambda runtime, with an event of the same shape.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import boto3

from devserver.lambda_runtime import LocalLambdaRuntime
from shared.catalog import function_physical_name
from shared.resources import APPROVALS_QUEUE

logger = logging.getLogger("nexus_forge.local")
INTAKE_FUNCTION = "approvals_intake"
BATCH_SIZE = 10


class ApprovalsQueuePoller:
    def __init__(self, runtime: LocalLambdaRuntime, prefix: str, wait_seconds: int = 1) -> None:
        self.runtime = runtime
        self.function_name = function_physical_name(prefix, INTAKE_FUNCTION)
        self.queue_name = APPROVALS_QUEUE.physical_name(prefix)
        self.wait_seconds = wait_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def queue_arn(self) -> str:
        return f"arn:aws:sqs:{self.runtime.region}:{self.runtime.account}:{self.queue_name}"

    @cached_property
    def _queue(self) -> tuple[Any, str]:
        """(SQS client, queue URL), made once: a client per long poll cost more CPU than the polls themselves."""
        sqs = boto3.client("sqs", region_name=self.runtime.region)
        return sqs, sqs.get_queue_url(QueueName=self.queue_name)["QueueUrl"]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="approvals-queue-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.wait_seconds + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                logger.exception("approvals queue poller round failed")
                self._stop.wait(1.0)

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """Delivers one batch, if any arrives within the wait; returns how many messages were processed."""
        sqs, queue_url = self._queue
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=BATCH_SIZE,
            WaitTimeSeconds=self.wait_seconds if wait_seconds is None else wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [self._record(message) for message in messages]}
        result = self.runtime.invoke(self.function_name, json.dumps(event).encode())
        if result.get("FunctionError"):
            # As with the event source mapping, the whole batch becomes visible again and is retried.
            logger.warning("approvals_intake failed: %s", result["Payload"].read()[:500])
            return 0
        failed = {failure["itemIdentifier"] for failure in json.loads(result["Payload"].read())["batchItemFailures"]}
        processed = [message for message in messages if message["MessageId"] not in failed]
        if processed:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(position), "ReceiptHandle": message["ReceiptHandle"]}
                    for position, message in enumerate(processed)
                ],
            )
        return len(processed)

    def _record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """One record of the SQS event Lambda delivers."""
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: {key[:1].lower() + key[1:]: value for key, value in attribute.items()}
                for name, attribute in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.runtime.region,
        }
