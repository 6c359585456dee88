"""verify's topic listeners: a failed poll is a typed detail, never a message."""

from __future__ import annotations

from typing import Any

from momento_eventbridge_constructs.ops.observation import Observation
from momento_eventbridge_constructs.ops.topics import TopicListener


class _Polls:
    """A subscription whose polls return or raise what the test lists, in order."""

    def __init__(self, *polls: list[str] | Exception) -> None:
        self.polls = list(polls)

    def collect(self, count: int, timeout: float) -> list[str]:
        poll = self.polls.pop(0)
        if isinstance(poll, Exception):
            raise poll
        return poll

    def close(self) -> None:
        pass


def _listener(*polls: list[str] | Exception) -> TopicListener:
    subscription: Any = _Polls(*polls)
    return TopicListener(subscription)


def test_a_failed_poll_is_the_detail_until_the_message_arrives() -> None:
    listener = _listener(OSError("connection reset"), ['{"city":"Paris"}'])
    listener.collect()
    assert listener.received == []
    assert listener.take(b'{"city":"Paris"}') == Observation(
        False, "subscription failed: connection reset"
    )
    listener.collect()
    assert listener.take(b'{"city":"Paris"}') == Observation(True)


def test_each_message_is_taken_once_and_others_are_counted() -> None:
    listener = _listener(['{"a":1}', '{"b":2}'])
    assert listener.take(b'{"a":1}') == Observation(False, "no message")
    listener.collect()
    assert listener.take(b'{"a":1}') == Observation(True)
    assert listener.take(b'{"a":1}') == Observation(False, "1 other message(s)")
