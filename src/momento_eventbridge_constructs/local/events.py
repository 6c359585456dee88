"""What happened to each stream record in each pipe, kept and passed to listeners."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from publication import publish

from .stream_records import plain_keys, sequence_number

__all__ = ["INTERNAL_ERROR", "INVOCATION_ERROR", "LOCAL_DECISION", "DeliveryEvent", "EventLog"]

_LOG = logging.getLogger("momento_eventbridge_constructs.local")

# The error classes of EventBridge Pipes
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-error-troubleshooting.html),
# and the failures the local runtime decides on where AWS documents nothing.
INTERNAL_ERROR = "internal error"
INVOCATION_ERROR = "customer invocation error"
LOCAL_DECISION = "local runtime decision"


@dataclass(frozen=True)
class DeliveryEvent:
    """What happened to one stream record in one pipe.

    ``outcome`` is ``delivered``, ``retrying``, ``dead-lettered`` (the batch went to the DLQ),
    ``failed`` (this attempt failed and is not retried, or the batch failed without a DLQ) or
    ``filtered`` (it did not match the filters). ``error_class`` says how a failed attempt
    counts: ``internal error`` (the target could not be reached; not counted against
    ``MaximumRetryAttempts``), ``customer invocation error`` (the target answered 4xx or 5xx;
    counted) or ``local runtime decision`` (a record the local runtime cannot render; AWS
    documents no behaviour for it, so it is dead-lettered at once).
    """

    pipe: str
    outcome: str
    event_name: str
    keys: Mapping[str, Any]
    sequence_number: str
    method: str = ""
    url: str = ""
    status: int | None = None
    attempt: int = 0
    body: str = ""
    error: str = ""
    error_class: str = ""
    at: float = field(default_factory=time.time)

    def describe(self) -> str:
        """A one-line human-readable summary."""
        keys = ", ".join(f"{name}={value!r}" for name, value in self.keys.items())
        line = f"[{self.pipe}] {self.event_name} {keys} -> {self.outcome}"
        if self.method:
            line += f" ({self.method} {self.url}"
            line += f" -> {self.status})" if self.status is not None else ")"
        if self.error_class:
            line += f" [{self.error_class}]"
        if self.error:
            line += f": {self.error}"
        return line


class EventLog:
    """The last ``capacity`` delivery events, and the listeners told of each new one."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._events: deque[DeliveryEvent] = deque(maxlen=capacity)
        self._listeners: list[Callable[[DeliveryEvent], None]] = []
        self._lock = threading.Lock()

    def add_listener(self, listener: Callable[[DeliveryEvent], None]) -> None:
        """Call ``listener`` for every new event (from worker threads)."""
        with self._lock:
            self._listeners.append(listener)

    def events(self) -> list[DeliveryEvent]:
        """The kept events, oldest first."""
        with self._lock:
            return list(self._events)

    def emit(self, pipe: str, record: Mapping[str, Any], outcome: str, **extra: Any) -> None:
        """Record what happened to ``record`` in pipe ``pipe`` and tell the listeners."""
        dynamodb = record.get("dynamodb") or {}
        event = DeliveryEvent(
            pipe=pipe,
            outcome=outcome,
            event_name=str(record.get("eventName", "")),
            keys=plain_keys(dynamodb.get("Keys") or {}),
            sequence_number=sequence_number(record),
            **extra,
        )
        with self._lock:
            self._events.append(event)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a listener must not break delivery
                _LOG.exception("delivery listener failed")


publish()
