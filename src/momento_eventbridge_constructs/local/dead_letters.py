"""The dead-letter queues of the pipes: what a failed batch leaves there, and reading it back.

For a stream source the message is metadata about the batch, not the record. Its shape is the
one seen in public reports of real pipes; AWS does not document it (unverified).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from publication import publish

from ..engine.records import iso_time
from .authorizer import AccessDenied, RoleGuard
from .aws import LocalAws
from .specs import PipeSpec

__all__ = ["DeadLetters"]

_LOG = logging.getLogger("momento_eventbridge_constructs.local")


def _oldest_first(message: Mapping[str, Any]) -> tuple[int, str]:
    """A pipe's batch message by its first sequence number; a sync's by its record's."""
    batch = message.get("DDBStreamBatchInfo")
    if isinstance(batch, Mapping):
        return int(batch["startSequenceNumber"]), str(message["context"]["partnerResourceArn"])
    return int(message.get("sequenceNumber") or 0), str(message.get("table", ""))


def _arrival(record: Mapping[str, Any]) -> str:
    return iso_time(float(record["dynamodb"].get("ApproximateCreationDateTime", 0)))


class DeadLetters:
    """Writes and reads the pipes' dead-letter messages in local SQS.

    Args:
        aws: the local AWS the queues live in.
        clock: wall-clock seconds, for the message timestamp.
        guard: checks the pipe role may send to the queue before each send (default: none).
    """

    def __init__(
        self, aws: LocalAws, clock: Callable[[], float], guard: RoleGuard | None = None
    ) -> None:
        self._aws = aws
        self._clock = clock
        self._guard = guard or RoleGuard(None, None, "")

    def message(self, pipe: PipeSpec, shard_id: str, batch: Sequence[Mapping[str, Any]]) -> Any:
        """The dead-letter message for ``batch`` (records of one shard, oldest first)."""
        first, last = batch[0], batch[-1]
        return {
            "context": {"partnerResourceArn": pipe.arn, "condition": "RetryAttemptsExhausted"},
            "version": "1.0",
            "timestamp": iso_time(self._clock()),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": str(first["dynamodb"].get("SequenceNumber")),
                "endSequenceNumber": str(last["dynamodb"].get("SequenceNumber")),
                "approximateArrivalOfFirstRecord": _arrival(first),
                "approximateArrivalOfLastRecord": _arrival(last),
                "batchSize": len(batch),
                "streamArn": pipe.source_arn,
            },
        }

    def send(
        self, pipe: PipeSpec, shard_id: str, batch: Sequence[Mapping[str, Any]], reason: str
    ) -> bool:
        """Send the message for ``batch``; ``False`` when the pipe has no local DLQ."""
        message = self.message(pipe, shard_id, batch)
        info = message["DDBStreamBatchInfo"]
        if pipe.dead_letter_url is None:
            _LOG.error(
                "pipe %s: batch %s failed (%s) and the pipe has no local DLQ",
                pipe.name,
                info,
                reason,
            )
            return False
        try:
            self._guard.require("sqs:SendMessage", pipe.dead_letter_arn or "")
        except AccessDenied as error:
            # What a pipe does when its dead letter is refused is not documented: locally the
            # batch is reported as failed and not retried.
            _LOG.error("pipe %s: batch %s failed (%s); %s", pipe.name, info, reason, error)
            return False
        self._aws.sqs().send_message(
            QueueUrl=pipe.dead_letter_url,
            MessageBody=json.dumps(message),
            MessageAttributes={
                "LocalFailureReason": {"DataType": "String", "StringValue": reason[:1000]},
                "LocalPipeName": {"DataType": "String", "StringValue": pipe.name},
            },
        )
        _LOG.error(
            "pipe %s: batch %s-%s sent to the dead-letter queue: %s",
            pipe.name,
            info["startSequenceNumber"],
            info["endSequenceNumber"],
            reason,
        )
        return True

    def read(self, queue_urls: Iterable[str]) -> list[dict[str, Any]]:
        """Every message in ``queue_urls``, parsed, oldest sequence first.

        Messages stay in their queues (they are made visible again after reading).
        """
        found: dict[str, dict[str, Any]] = {}
        for url in sorted(set(queue_urls)):
            self._read_queue(url, found)
        return sorted(found.values(), key=_oldest_first)

    def _read_queue(self, url: str, found: dict[str, dict[str, Any]]) -> None:
        sqs = self._aws.sqs()
        handles: list[str] = []
        for _ in range(1000):
            response = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30, WaitTimeSeconds=0
            )
            messages = response.get("Messages", [])
            if not messages:
                break
            for message in messages:
                found.setdefault(message["MessageId"], json.loads(message["Body"]))
                handles.append(message["ReceiptHandle"])
        for handle in handles:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)


publish()
