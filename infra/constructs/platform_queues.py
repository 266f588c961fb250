"""The platform's SQS queues from shared/resources.py: KMS-encrypted, TLS-only, each with a dead-letter queue."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.names import ResourceNames
from shared.resources import QUEUES, QueueSpec

MAX_RECEIVES = 5


def queue_dead_letter_name(queue_name: str) -> str:
    return f"{queue_name}-dlq"


class PlatformQueues(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, names: ResourceNames, key: kms.IKey, removal_policy: RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)
        self._names = names
        self._key = key
        self._removal_policy = removal_policy
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.queues: dict[str, sqs.Queue] = {spec.key: self._build_queue(spec) for spec in QUEUES}

    def _queue(self, construct_id: str, name: str, **options: object) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            queue_name=name,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self._key,
            enforce_ssl=True,
            removal_policy=self._removal_policy,
            **options,  # type: ignore[arg-type]
        )

    def _build_queue(self, spec: QueueSpec) -> sqs.Queue:
        construct_id = spec.key.capitalize()
        name = self._names.name(spec)
        dead_letters = self._queue(
            f"{construct_id}DeadLetters", queue_dead_letter_name(name), retention_period=Duration.days(14)
        )
        NagSuppressions.add_resource_suppressions(
            dead_letters,
            [NagPackSuppression(id="AwsSolutions-SQS3", reason="This queue is itself a dead-letter queue")],
        )
        self.dead_letter_queues[spec.key] = dead_letters
        return self._queue(
            construct_id,
            name,
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=dead_letters),
        )
