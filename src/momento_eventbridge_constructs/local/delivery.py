"""Delivery of one batch of one shard to a pipe's target: retries, then the dead-letter queue."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from publication import publish

from ..engine.records import iso_time
from ..engine.templates import PipeContext, TemplateError
from .authorizer import AccessDenied, RoleGuard, both_forms
from .dead_letters import DeadLetters
from .events import INTERNAL_ERROR, INVOCATION_ERROR, LOCAL_DECISION, EventLog
from .specs import PipeSpec
from .stream_records import plain_keys, sequence_number
from .target import BatchTarget, InternalError, InvocationError, Target, TargetRequest

__all__ = ["Delivery", "RetryPolicy", "target_permission"]

_LOG = logging.getLogger("momento_eventbridge_constructs.local")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between two attempts: ``base_delay * 2**n``, at most ``max_delay``."""

    base_delay: float
    max_delay: float

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        # Internal errors may be retried without end: keep the power of two finite.
        return float(min(self.base_delay * 2 ** min(attempt - 1, 32), self.max_delay))


def target_permission(pipe: PipeSpec) -> tuple[str, ...]:
    """The action and the resources the pipe role needs to invoke the pipe's target: the state
    machine, or the API destination in both forms (see :func:`.authorizer.both_forms`)."""
    if pipe.state_machine is not None:
        return ("states:StartSyncExecution", pipe.state_machine.arn)
    return ("events:InvokeApiDestination", *both_forms(pipe.destination.arn))


class _Failed(Exception):
    """One failed attempt: its error class, and the event fields that describe it."""

    def __init__(self, kind: str, message: str, record: Mapping[str, Any], **details: Any):
        super().__init__(message)
        self.kind = kind
        self.record = record
        self.details = details


class _Budget:
    """How long one failing batch may still be retried.

    Error classes and their limits follow
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-error-troubleshooting.html:
    customer invocation errors count against ``MaximumRetryAttempts``; internal errors do not
    and are retried until the record is older than ``MaximumRecordAgeInSeconds`` (``-1``: no
    limit; the 24-hour retention of the stream is not modelled).
    """

    def __init__(self, pipe: PipeSpec, created: float, clock: Callable[[], float]) -> None:
        self._pipe = pipe
        self._created = created
        self._clock = clock
        self.attempts = 0
        self.invocation_errors = 0

    def expired(self) -> bool:
        """Whether the batch's first record is older than ``MaximumRecordAgeInSeconds``."""
        limit = self._pipe.maximum_record_age_seconds
        return 0 <= limit < self._clock() - self._created

    def exhausted_by(self, failure: _Failed) -> bool:
        """Count ``failure``; whether the batch must now go to the dead-letter queue."""
        if failure.kind == LOCAL_DECISION:
            return True
        if failure.kind != INVOCATION_ERROR:
            return False
        self.invocation_errors += 1
        return 0 <= self._pipe.maximum_retry_attempts < self.invocation_errors


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
        guard: checks the pipe role may invoke the target before each call (default: none).
        latency: seconds to wait before each call, drawn per call (default: none).
    """

    def __init__(
        self,
        pipe: PipeSpec,
        target: Target,
        dead_letters: DeadLetters,
        log: EventLog,
        retry: RetryPolicy,
        stop: threading.Event,
        clock: Callable[[], float],
        guard: RoleGuard | None = None,
        latency: Callable[[], float] | None = None,
    ) -> None:
        self.pipe = pipe
        self._latency = latency
        self._target = target
        self._dead_letters = dead_letters
        self._log = log
        self._retry = retry
        self._stop = stop
        self._clock = clock
        self._guard = guard or RoleGuard(None, None, "")

    def deliver(self, shard_id: str, batch: Sequence[Mapping[str, Any]]) -> bool:
        """Deliver ``batch`` or dead-letter it; ``False`` when interrupted by shutdown.

        A target that takes batches gets the batch in one call (in parts that fit its
        payload); any other gets one call per record.
        """
        if not isinstance(self._target, BatchTarget):
            return self._deliver(shard_id, batch)
        return all(self._deliver(shard_id, part) for part in self._target.split(batch))

    def _deliver(self, shard_id: str, batch: Sequence[Mapping[str, Any]]) -> bool:
        created = float(batch[0]["dynamodb"].get("ApproximateCreationDateTime", 0))
        budget = _Budget(self.pipe, created, self._clock)
        last_error = ""
        while not budget.expired():
            budget.attempts += 1
            try:
                if isinstance(self._target, BatchTarget):
                    self._invoke_batch(self._target, batch, budget.attempts)
                else:
                    for record in batch:
                        self._invoke(record, budget.attempts)
                return True
            except _Failed as failure:
                give_up = budget.exhausted_by(failure)
                self._report(failure, budget.attempts, give_up)
                if give_up:
                    self._give_up(shard_id, batch, self._reason(failure))
                    return True
                last_error = f"{failure.kind}: {failure}"
            if self._stop.wait(self._retry.delay(budget.attempts)):
                return False
        age = self.pipe.maximum_record_age_seconds
        reason = f"record older than MaximumRecordAgeInSeconds ({age} s)"
        self._give_up(shard_id, batch, f"{reason}; last {last_error}" if last_error else reason)
        return True

    def _reason(self, failure: _Failed) -> str:
        if failure.kind == INVOCATION_ERROR:
            limit = self.pipe.maximum_retry_attempts
            return f"{failure.kind}: {failure}; MaximumRetryAttempts ({limit}) exhausted"
        return f"{failure.kind}: {failure}"

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
        """One call for ``record``; raises :class:`_Failed` with the error class."""
        try:
            request = self._target.render(self.pipe, record, self._context())
        except TemplateError as error:
            # What a pipe does with a record it cannot transform is undocumented: the local
            # runtime sends it to the DLQ at once instead of guessing.
            raise _Failed(LOCAL_DECISION, f"cannot render the record: {error}", record) from error
        status = self._send(request, record)
        call = {"method": request.method, "url": request.url, "body": request.body}
        self._log.emit(self.pipe.name, record, "delivered", status=status, attempt=attempt, **call)

    def _invoke_batch(
        self, target: BatchTarget, batch: Sequence[Mapping[str, Any]], attempt: int
    ) -> None:
        """One call for the whole batch; a failure names its first record."""
        request = target.render_batch(self.pipe, batch, self._context())
        status = self._send(request, batch[0])
        call = {"method": request.method, "url": request.url, "body": request.body}
        for record in batch:
            self._log.emit(
                self.pipe.name, record, "delivered", status=status, attempt=attempt, **call
            )

    def _send(self, request: TargetRequest, record: Mapping[str, Any]) -> int:
        """Send ``request``; raises :class:`_Failed` with the error class."""
        call = {"method": request.method, "url": request.url, "body": request.body}
        if self._latency is not None:
            self._stop.wait(max(0.0, self._latency()))
        try:
            self._guard.require(*target_permission(self.pipe))
            status = self._target.send(request)
        except AccessDenied as error:
            # "The pipe has insufficient permissions to invoke the target" is a customer
            # invocation error (eb-pipes-error-troubleshooting.html).
            raise _Failed(INVOCATION_ERROR, str(error), record, **call) from error
        except InvocationError as error:
            raise _Failed(
                INVOCATION_ERROR, str(error), record, status=error.status, **call
            ) from error
        except InternalError as error:
            raise _Failed(INTERNAL_ERROR, str(error), record, **call) from error
        return status

    def _report(self, failure: _Failed, attempt: int, give_up: bool) -> None:
        record = failure.record
        if failure.kind == LOCAL_DECISION:
            _LOG.error(
                "pipe %s: %s for record %s (%s %s); the record is NOT delivered and goes to the "
                "dead-letter queue (a local runtime decision: AWS documents no behaviour)",
                self.pipe.name,
                failure,
                sequence_number(record),
                record.get("eventName", ""),
                plain_keys((record.get("dynamodb") or {}).get("Keys") or {}),
            )
        self._log.emit(
            self.pipe.name,
            record,
            "failed" if give_up else "retrying",
            attempt=attempt,
            error=str(failure),
            error_class=failure.kind,
            **failure.details,
        )

    def _give_up(self, shard_id: str, batch: Sequence[Mapping[str, Any]], reason: str) -> None:
        sent = self._dead_letters.send(self.pipe, shard_id, batch, reason)
        for record in batch:
            self._log.emit(
                self.pipe.name, record, "dead-lettered" if sent else "failed", error=reason
            )


publish()
