"""Enumerations of the construct props (``str`` subclasses, so plain strings keep working)."""

from __future__ import annotations

from enum import Enum

from publication import publish

__all__ = ["LogLevel", "StartingPosition", "StreamEvent"]


class StartingPosition(str, Enum):
    """Where a new pipe starts reading the table's stream."""

    LATEST = "LATEST"
    """Only changes made after the pipe is created."""
    TRIM_HORIZON = "TRIM_HORIZON"
    """The oldest record the stream still holds (up to 24 hours back)."""


class LogLevel(str, Enum):
    """How much an EventBridge pipe logs."""

    OFF = "OFF"
    ERROR = "ERROR"
    INFO = "INFO"
    TRACE = "TRACE"


class StreamEvent(str, Enum):
    """The event names of DynamoDB stream records."""

    INSERT = "INSERT"
    MODIFY = "MODIFY"
    REMOVE = "REMOVE"


publish()
