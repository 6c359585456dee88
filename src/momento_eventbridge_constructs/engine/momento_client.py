"""A small Momento HTTP API client (standard library only) for tests and the CLI.

Subscriptions follow the long-poll protocol of the HTTP API reference
(https://docs.momentohq.com/topics/api-reference/http-api): every poll sends the next sequence
number expected ("typically lastReceived + 1"; 0 on the first request, which starts at the
latest messages) and the last ``sequence_page`` received; each ``item`` moves the position past
it, and a ``discontinuity`` moves it to ``new_topic_sequence`` on ``new_sequence_page``.

Momento's SDKs disagree on where to resume after a discontinuity or a reconnect: the JavaScript
SDK resumes after the last number it saw (momentohq/client-sdk-javascript
``packages/core/src/internal/subscription-state.ts``), the Go and Rust SDKs at it
(momentohq/client-sdk-go ``momento/topic_subscription.go``, momentohq/client-sdk-rust
``src/topics/messages/subscription.rs``), and the reference's example follows a discontinuity
with the item numbered ``new_topic_sequence``. So this client resumes *at*
``new_topic_sequence`` and drops any item it has already delivered: it neither skips nor
repeats a message whichever reading the service follows.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from publication import publish

from .._lifecycle import Lifecycle
from .errors import ReasonedError

__all__ = [
    "Discontinuity",
    "MomentoError",
    "MomentoHttpClient",
    "PollResult",
    "Subscription",
    "TopicPosition",
]


class MomentoError(ReasonedError, RuntimeError):
    """A Momento call that did not succeed; ``status`` 0 means no answer arrived."""

    def __init__(self, status: int, message: str) -> None:
        answer = f"Momento answered {status}" if status else "Momento did not answer"
        super().__init__(answer, message)
        self.status = status

    @property
    def message(self) -> str:
        """What Momento answered."""
        return self.reason


@dataclass(frozen=True)
class TopicPosition:
    """Where a subscriber stands in a topic.

    Attributes:
        sequence_number: the next sequence number expected; 0 (the default) asks for the latest
            messages, without backlog.
        sequence_page: the sequence page those numbers belong to; 0 (the default) when not yet
            known, which the service reads as the current page.
    """

    sequence_number: int = 0
    sequence_page: int = 0

    def query(self) -> dict[str, str]:
        """The query parameters of a subscribe call from here (both, always)."""
        return {
            "sequence_number": str(self.sequence_number),
            "sequence_page": str(self.sequence_page),
        }

    def has_passed(self, sequence_number: int, sequence_page: int) -> bool:
        """Whether an item at this number and page was already delivered.

        Later pages are numbered higher than earlier ones (momentohq/client-protos
        ``proto/cachepubsub.proto``, ``_TopicItem.sequence_page``).
        """
        if self.sequence_page == 0:
            return False
        if sequence_page != self.sequence_page:
            return sequence_page < self.sequence_page
        return sequence_number < self.sequence_number


@dataclass(frozen=True)
class Discontinuity:
    """A gap the service reported: messages after ``last_topic_sequence`` may be lost."""

    last_topic_sequence: int
    new_topic_sequence: int
    new_sequence_page: int


@dataclass(frozen=True)
class PollResult:
    """What one long poll brought: new messages, the position to poll from next, and the
    discontinuities met on the way."""

    messages: list[str]
    position: TopicPosition
    discontinuities: list[Discontinuity]


def follow(position: TopicPosition, items: list[Any]) -> PollResult:
    """Read the ``items`` of a subscribe response received at ``position``.

    A text value is returned as is, a binary one as its base64 text. Items already delivered
    are dropped; unknown kinds of item are ignored.
    """
    messages: list[str] = []
    discontinuities: list[Discontinuity] = []
    for entry in items:
        if "discontinuity" in entry:
            gap = entry["discontinuity"]
            found = Discontinuity(
                int(gap.get("last_topic_sequence", 0)),
                int(gap["new_topic_sequence"]),
                int(gap["new_sequence_page"]),
            )
            discontinuities.append(found)
            position = TopicPosition(found.new_topic_sequence, found.new_sequence_page)
        elif "item" in entry:
            item = entry["item"]
            number, page = int(item["topic_sequence_number"]), int(item.get("sequence_page", 0))
            if position.has_passed(number, page):
                continue
            value = item.get("value", {})
            messages.append(value["text"] if "text" in value else value.get("binary", ""))
            position = TopicPosition(number + 1, page)
    return PollResult(messages, position, discontinuities)


class MomentoHttpClient:
    """Calls the Momento HTTP API at ``endpoint`` with ``api_key``.

    Args:
        endpoint: base URL, e.g. ``http://127.0.0.1:40123`` or
            ``https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com``.
        api_key: the key sent in the ``Authorization`` header.
        timeout: per-request timeout in seconds (default 5).
        published: optional function listing a topic's messages (the local server provides
            one); used by :meth:`messages`.
        start_position: optional function giving ``(sequence number, sequence page)`` of a
            topic's next message (the local server provides one); used by
            :meth:`start_position`.
    """

    def __init__(
        self,
        endpoint: str,
        api_key: str,
        timeout: float = 5.0,
        published: Callable[[str, str], list[str]] | None = None,
        start_position: Callable[[str, str], tuple[int, int]] | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        self._published = published
        self._start_position = start_position

    def _call(
        self,
        method: str,
        path: str,
        query: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> tuple[int, bytes]:
        url = self.endpoint + path
        if query:
            url += "?" + urlencode(query, quote_via=quote)
        request = urllib.request.Request(url, data=body, method=method)
        request.add_header("Authorization", self._api_key)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self._timeout) as response:
                return int(response.status), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    @staticmethod
    def _cache_path(cache: str) -> str:
        return "/cache/" + quote(cache, safe="")

    @staticmethod
    def _topic_path(cache: str, topic: str) -> str:
        return "/topics/" + quote(cache, safe="") + "/" + quote(topic, safe="")

    def get(self, cache: str, key: str | Mapping[str, str]) -> bytes | None:
        """The value stored under ``key``, or ``None`` on a miss.

        ``key`` is the key as text, or the query that names it as a pipe sends it
        (``{"key": ...}`` or ``{"key_base64": ...}``).
        """
        query = {"key": key} if isinstance(key, str) else dict(key)
        status, body = self._call("GET", self._cache_path(cache), query)
        if status == 200:
            return body
        text = body.decode("utf-8", errors="replace")
        if status == 404 and "Key Not Found" in text:
            return None
        raise MomentoError(status, text)

    def set(self, cache: str, key: str, value: bytes | str, ttl_seconds: int) -> None:
        """Store ``value`` under ``key`` for ``ttl_seconds``."""
        data = value.encode("utf-8") if isinstance(value, str) else value
        query = {"key": key, "ttl_seconds": str(ttl_seconds)}
        status, body = self._call("PUT", self._cache_path(cache), query, data)
        if status != 204:
            raise MomentoError(status, body.decode("utf-8", errors="replace"))

    def delete(self, cache: str, key: str) -> None:
        """Delete ``key`` (succeeds when it is absent)."""
        status, body = self._call("DELETE", self._cache_path(cache), {"key": key})
        if status != 204:
            raise MomentoError(status, body.decode("utf-8", errors="replace"))

    def publish(self, cache: str, topic: str, message: str | bytes) -> None:
        """Publish a message: text as ``text/plain``, bytes as ``application/octet-stream``
        (the two types the HTTP API reference names)."""
        if isinstance(message, str):
            data, content_type = message.encode("utf-8"), "text/plain"
        else:
            data, content_type = message, "application/octet-stream"
        path = self._topic_path(cache, topic)
        status, body = self._call("POST", path, None, data, content_type)
        if status != 204:
            raise MomentoError(status, body.decode("utf-8", errors="replace"))

    def messages(self, cache: str, topic: str) -> list[str]:
        """Every message published to the topic so far (local server only)."""
        if self._published is None:
            raise NotImplementedError("listing past messages needs the local Momento server")
        return self._published(cache, topic)

    def start_position(self, cache: str, topic: str) -> TopicPosition:
        """Where a new subscription starts.

        With the local server, right after the last published message, so that nothing
        published after this call is missed. Given only ``published``, right after the count
        of messages on a page the server resolves (exact until the topic is reset). With real
        Momento, at the latest messages (0, 0): what the first long poll reaches first.
        """
        if self._start_position is not None:
            number, page = self._start_position(cache, topic)
            return TopicPosition(number, page)
        if self._published is not None:
            return TopicPosition(len(self._published(cache, topic)) + 1, 0)
        return TopicPosition()

    def poll(
        self,
        cache: str,
        topic: str,
        position: TopicPosition | int | None = None,
        wait: float = 5.0,
    ) -> PollResult:
        """One long poll from ``position`` (an int is a sequence number on an unknown page).

        ``wait`` is how long to wait for the answer. Momento holds an idle poll open for an
        undocumented time, so a poll that times out is an idle one: it returns no message and
        the same position, from which the next poll loses nothing (unless the position is
        still "latest", 0).
        """
        if position is None:
            position = TopicPosition()
        elif isinstance(position, int):
            position = TopicPosition(position)
        path = self._topic_path(cache, topic)
        try:
            status, body = self._call("GET", path, position.query(), timeout=max(wait, 0.01))
        except TimeoutError:
            return PollResult([], position, [])
        if status != 200:
            raise MomentoError(status, body.decode("utf-8", errors="replace"))
        return follow(position, json.loads(body or b"{}").get("items", []))

    def subscribe(
        self, cache: str, topic: str, timeout: float = 10.0, poll_wait: float = 5.0
    ) -> Subscription:
        """Subscribe now; iterate to receive messages until ``timeout`` seconds pass.

        The subscription starts at :meth:`start_position` and polls in the background at once,
        each poll waiting at most ``poll_wait`` seconds.
        """
        return Subscription(self, cache, topic, timeout, poll_wait=poll_wait)


class Subscription(Lifecycle):
    """A running topic subscription; iterate it, and close it (or use ``with``)."""

    def __init__(
        self,
        client: MomentoHttpClient,
        cache: str,
        topic: str,
        timeout: float,
        poll_wait: float = 5.0,
    ) -> None:
        self._client = client
        self._cache = cache
        self._topic = topic
        self._poll_wait = poll_wait
        self._deadline = time.monotonic() + timeout
        self._queue: queue.Queue[str | BaseException] = queue.Queue()
        self._stop = threading.Event()
        self._state = threading.Lock()
        self._position = client.start_position(cache, topic)
        self._discontinuities: list[Discontinuity] = []
        self._thread = threading.Thread(
            target=self._run, name=f"subscribe-{cache}-{topic}", daemon=True
        )
        self._thread.start()

    @property
    def position(self) -> TopicPosition:
        """Where the next poll starts."""
        with self._state:
            return self._position

    @property
    def discontinuities(self) -> list[Discontinuity]:
        """Every discontinuity reported so far."""
        with self._state:
            return list(self._discontinuities)

    def _run(self) -> None:
        while not self._stop.is_set():
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                return
            wait = min(self._poll_wait, remaining)
            try:
                result = self._client.poll(self._cache, self._topic, self.position, wait)
            except Exception as error:  # handed to the iterating thread
                self._queue.put(error)
                return
            with self._state:
                self._position = result.position
                self._discontinuities.extend(result.discontinuities)
            for text in result.messages:
                self._queue.put(text)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0 and self._queue.empty():
            raise StopIteration
        try:
            item = self._queue.get(timeout=max(remaining, 0.0) + 0.05)
        except queue.Empty:
            raise StopIteration from None
        if isinstance(item, BaseException):
            raise item
        return item

    def collect(self, count: int, timeout: float) -> list[str]:
        """Up to ``count`` messages, waiting at most ``timeout`` seconds for them."""
        deadline = time.monotonic() + timeout
        found: list[str] = []
        while len(found) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if isinstance(item, BaseException):
                raise item
            found.append(item)
        return found

    def close(self) -> None:
        """Stop polling (the current long poll ends within its wait)."""
        self._stop.set()

    def stop(self) -> None:
        """The same as :meth:`close` (what leaving a ``with`` block does)."""
        self.close()


publish()
