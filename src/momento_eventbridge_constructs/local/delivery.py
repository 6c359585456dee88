"""Delivery of one batch of one shard to a pipe's target: retries, then the dead-letter queue."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .dead_letters import DeadLetters
from .events import EventLog
from .records import iso_time, plain_keys, sequence_number
from .specs import PipeSpec
from .target import HttpTarget, InternalError, InvocationError
from .templates import PipeContext, TemplateError

__all__ = ["Delivery", "RetryPolicy"]

_LOG = logging.getLogger("momento_eventbridge_constructs.local")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between two attempts: ``base_delay * 2**n``, at most ``max_delay``."""

    base_delay: float
    max_delay: float

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.base_delay * 2 ** (attempt - 1), self.max_delay))


class _Failure(Exception):
    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Delivery:
    """Delivers the batches of one pipe, in order, one at a time.

    Args:
        pipe: the pipe.
        target: renders and sends the calls.
        dead_letters: where batches go when delivery gives up.
        log: receives a :class:`~.events.DeliveryEvent` per attempt and outcome.
        retry: the backoff between attempts.
        stop: set when the runtime stops; a retry wait ends early then.
        clock: wall-clock seconds (record ages, ingestion time).
    """

    def __init__(
        self,
        pipe: PipeSpec,
        target: HttpTarget,
        dead_letters: DeadLetters,
        log: EventLog,
        retry: RetryPolicy,
        stop: threading.Event,
        clock: Callable[[], float],
    ) -> None:
        self.pipe = pipe
        self._target = target
        self._dead_letters = dead_letters
        self._log = log
        self._retry = retry
        self._stop = stop
        self._clock = clock

    def deliver(self, shard_id: str, batch: Sequence[Mapping[str, Any]]) -> bool:
        """Deliver ``batch`` or dead-letter it; ``False`` when interrupted by shutdown."""
        pipe = self.pipe
        attempt = 0
        while True:
            created = float(batch[0]["dynamodb"].get("ApproximateCreationDateTime", 0))
            if 0 <= pipe.maximum_record_age_seconds < self._clock() - created:
                self._give_up(shard_id, batch, "record too old")
                return True
            attempt += 1
            try:
                for record in batch:
                    self._invoke(record, attempt)
                return True
            except _Failure as failure:
                exhausted = 0 <= pipe.maximum_retry_attempts < attempt
                if not failure.retryable or exhausted:
                    self._give_up(shard_id, batch, str(failure))
                    return True
            if self._stop.wait(self._retry.delay(attempt)):
                return False

    def _context(self) -> PipeContext:
        pipe = self.pipe
        return PipeContext(
            pipe_arn=pipe.arn,
            pipe_name=pipe.name,
            source_arn=pipe.source_arn,
            target_arn=pipe.destination.arn,
            ingestion_time=iso_time(self._clock()),
        )

    def _invoke(self, record: Mapping[str, Any], attempt: int) -> None:
        emit = self._log.emit
        name = self.pipe.name
        try:
            request = self._target.render(self.pipe, record, self._context())
        except TemplateError as error:
            _LOG.error(
                "pipe %s: cannot render record %s (%s %s): %s; the record is NOT delivered "
                "and goes to the dead-letter queue",
                name,
                sequence_number(record),
                record.get("eventName", ""),
                plain_keys((record.get("dynamodb") or {}).get("Keys") or {}),
                error,
            )
            emit(name, record, "failed", attempt=attempt, error=str(error))
            raise _Failure(str(error), retryable=False) from error
        call = {"method": request.method, "url": request.url, "body": request.body}
        try:
            status = self._target.send(request)
        except InvocationError as error:
            retryable = error.status == 429 or error.status >= 500
            outcome = "retrying" if retryable else "failed"
            emit(
                name,
                record,
                outcome,
                status=error.status,
                attempt=attempt,
                error=error.detail,
                **call,
            )
            raise _Failure(str(error), retryable) from error
        except InternalError as error:
            emit(name, record, "retrying", attempt=attempt, error=str(error), **call)
            raise _Failure(str(error), retryable=True) from error
        emit(name, record, "delivered", status=status, attempt=attempt, **call)

    def _give_up(self, shard_id: str, batch: Sequence[Mapping[str, Any]], reason: str) -> None:
        sent = self._dead_letters.send(self.pipe, shard_id, batch, reason)
        for record in batch:
            self._log.emit(
                self.pipe.name, record, "dead-lettered" if sent else "failed", error=reason
            )
