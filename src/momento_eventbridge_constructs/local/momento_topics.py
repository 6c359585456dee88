"""Topics of the local Momento server: what a publish stores, and what a long poll answers.

Sources (read 2026; what no source states is marked *unverified*):

- HTTP API reference, https://docs.momentohq.com/topics/api-reference/http-api
  (momentohq/public-dev-docs ``docs/topics/api-reference/http-api.md``).
- The service's protocol, momentohq/client-protos ``proto/cachepubsub.proto``: messages
  ``_SubscriptionRequest``, ``_TopicItem``, ``_TopicValue`` and ``_Discontinuity``.

Sequence numbers count the messages of one *sequence page* from 1: ``0`` asks for "the latest
messages" (``resume_at_topic_sequence_number`` in the proto), so no message carries it. A topic
that Momento evicts or recreates starts a new page, numbered higher than the one before, and its
numbers start again; :meth:`TopicStore.reset` does that here.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from publication import publish

__all__ = [
    "BINARY_CONTENT_TYPES",
    "TEXT_CONTENT_TYPES",
    "TopicMessage",
    "TopicStore",
    "message_is_text",
]

# Media types a publish may carry, and whether the message is stored as text (True) or binary.
#
# - text/plain (text) and application/octet-stream (binary): the HTTP API reference.
# - application/json (text), inferred from Momento's own examples, not from the reference:
#   https://docs.momentohq.com/objectstore/enhancements/live-reactions publishes with
#   ``Content-Type: application/json`` and its long poll reads ``item.value.text``; Momento's
#   EventBridge demo (momentohq/client-sdk-javascript examples/nodejs/aws/eventbridge) publishes
#   through an API destination without a Content-Type parameter, so EventBridge sends
#   ``application/json; charset=utf-8``
#   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html), and its
#   web app runs ``JSON.parse(item.valueString())``, which only works on a text value.
# - application/x-www-form-urlencoded (text, body kept as sent): unverified. The reference's own
#   ``curl -X POST -d 'hello world!'`` examples send this type (https://curl.se/docs/manpage.html#-d)
#   and are shown as working; that Momento stores them as text is inferred from its subscribe
#   example, whose value is ``{"text": "hello world"}``.
# Anything else, and a missing Content-Type (the reference marks it required), is answered 400
# here: what Momento does with them is unverified, and the local server refuses what it cannot
# vouch for.
TEXT_CONTENT_TYPES = frozenset(
    {"text/plain", "application/json", "application/x-www-form-urlencoded"}
)
BINARY_CONTENT_TYPES = frozenset({"application/octet-stream"})


def message_is_text(content_type: str | None, body: bytes) -> bool:
    """Whether a publish with this ``Content-Type`` header is stored as text.

    Media types compare case-insensitively and parameters such as ``charset`` are ignored
    (RFC 9110 section 8.3.1, https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1). A text
    value travels as a protobuf ``string`` (``_TopicValue.text``), which must be UTF-8
    (https://protobuf.dev/programming-guides/proto3/#scalar), so a text body that is not UTF-8
    is refused; the exact answer Momento gives is unverified.

    Raises:
        ValueError: the type is missing or not accepted, or a text body is not UTF-8.
    """
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in BINARY_CONTENT_TYPES:
        return False
    if media_type not in TEXT_CONTENT_TYPES:
        accepted = ", ".join(sorted(TEXT_CONTENT_TYPES | BINARY_CONTENT_TYPES))
        raise ValueError(f"Content-Type must be one of {accepted}")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"a {media_type} message must be UTF-8") from error
    return True


@dataclass(frozen=True)
class TopicMessage:
    """A published message, numbered within its sequence page."""

    sequence_number: int
    value: bytes
    is_text: bool
    sequence_page: int = 0

    @property
    def text(self) -> str:
        """The message decoded as UTF-8 (binary messages are decoded with replacement)."""
        return self.value.decode("utf-8", errors="replace")

    def as_item(self) -> dict[str, Any]:
        """The JSON shape of the message in a subscribe response (the HTTP API reference)."""
        if self.is_text:
            value: dict[str, str] = {"text": self.text}
        else:
            value = {"binary": base64.b64encode(self.value).decode("ascii")}
        return {
            "item": {
                "topic_sequence_number": self.sequence_number,
                "sequence_page": self.sequence_page,
                "value": value,
            }
        }


def _discontinuity(last: int, new: int, page: int) -> dict[str, Any]:
    """The JSON shape of a discontinuity in a subscribe response (the HTTP API reference)."""
    return {
        "discontinuity": {
            "last_topic_sequence": last,
            "new_topic_sequence": new,
            "new_sequence_page": page,
        }
    }


@dataclass
class _Topic:
    page: int
    messages: list[TopicMessage] = field(default_factory=list)  # the current page only

    @property
    def next_number(self) -> int:
        return len(self.messages) + 1


class TopicStore:
    """Every topic of the server, with long polls waiting on them. Thread-safe.

    Args:
        wall_clock: seconds since the epoch; new sequence pages start from it, as the reference's
            example page ``1748358253`` suggests (unverified: the proto only says later pages are
            numbered higher, "but they don't go one-by-one").
    """

    def __init__(self, wall_clock: Callable[[], float] = time.time) -> None:
        self._condition = threading.Condition()
        self._topics: dict[tuple[str, str], _Topic] = {}
        self._history: dict[tuple[str, str], list[TopicMessage]] = {}
        self._wall_clock = wall_clock
        self._last_page = 0
        self._waiting: dict[tuple[str, str], int] = {}
        self._closed = False

    def _new_page(self) -> int:
        self._last_page = max(int(self._wall_clock()), self._last_page + 1)
        return self._last_page

    def _topic(self, key: tuple[str, str]) -> _Topic:
        topic = self._topics.get(key)
        if topic is None:
            topic = self._topics[key] = _Topic(self._new_page())
        return topic

    def publish(self, key: tuple[str, str], value: bytes, is_text: bool) -> TopicMessage:
        """Append a message to the topic's current page and wake its long polls."""
        with self._condition:
            topic = self._topic(key)
            message = TopicMessage(topic.next_number, value, is_text, topic.page)
            topic.messages.append(message)
            self._history.setdefault(key, []).append(message)
            self._condition.notify_all()
            return message

    def history(self, key: tuple[str, str]) -> list[TopicMessage]:
        """Every message published to the topic, across its pages."""
        with self._condition:
            return list(self._history.get(key, ()))

    def start_position(self, key: tuple[str, str]) -> tuple[int, int]:
        """``(sequence number, sequence page)`` of the next message to be published."""
        with self._condition:
            topic = self._topic(key)
            return topic.next_number, topic.page

    def reset(self, key: tuple[str, str], page: int | None = None) -> int:
        """Start a new sequence page, as after Momento evicts or recreates the topic.

        The messages of the old page can no longer be read; numbering starts again at 1.
        Returns the new page, which is higher than the old one (``page`` if given).
        """
        with self._condition:
            topic = self._topic(key)
            if page is None:
                page = self._new_page()
            elif page <= topic.page:
                raise ValueError(f"a new sequence page must be higher than {topic.page}")
            self._last_page = max(self._last_page, page)
            self._topics[key] = _Topic(page)
            self._condition.notify_all()
            return page

    def waiting(self, key: tuple[str, str]) -> int:
        """How many long polls are waiting on the topic right now."""
        with self._condition:
            return self._waiting.get(key, 0)

    def open(self) -> None:
        """Accept long polls again after :meth:`close`."""
        with self._condition:
            self._closed = False

    def close(self) -> None:
        """Answer every waiting long poll now, and any later one at once."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def subscribe(
        self, key: tuple[str, str], number: int, page: int, wait: float | None
    ) -> list[dict[str, Any]]:
        """The items of one long poll: wait up to ``wait`` seconds (``None``: until answered).

        ``number`` is the next sequence number the subscriber expects (0: the latest, no
        backlog) and ``page`` its sequence page (0: the current one).
        """
        deadline = None if wait is None else time.monotonic() + wait
        with self._condition:
            topic = self._topic(key)
            if number == 0:
                number, page = topic.next_number, topic.page
            elif page == 0:
                page = topic.page
            self._waiting[key] = self._waiting.get(key, 0) + 1
            try:
                return self._wait_for_items(key, number, page, deadline)
            finally:
                self._waiting[key] -= 1

    def _wait_for_items(
        self, key: tuple[str, str], number: int, page: int, deadline: float | None
    ) -> list[dict[str, Any]]:
        while True:
            items = self._answer(self._topics[key], number, page)
            remaining = None if deadline is None else deadline - time.monotonic()
            if items or self._closed or (remaining is not None and remaining <= 0):
                return items
            self._condition.wait(remaining)

    @staticmethod
    def _answer(topic: _Topic, number: int, page: int) -> list[dict[str, Any]]:
        """What a poll at ``(number, page)`` gets now; empty when it must keep waiting."""
        if page != topic.page:
            # The topic was reset: say where the new page starts, then deliver it from its
            # first message. The shape follows the reference's discontinuity example.
            notice = _discontinuity(number - 1, 1, topic.page)
            return [notice, *(message.as_item() for message in topic.messages)]
        if number > topic.next_number:
            # A number the page has not reached: unverified what Momento answers; here the
            # subscriber is told where the page really is rather than left waiting.
            return [_discontinuity(number - 1, topic.next_number, topic.page)]
        return [message.as_item() for message in topic.messages[number - 1 :]]


publish()
