"""A small Momento HTTP API client (standard library only) for tests and the CLI."""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from types import TracebackType
from urllib.parse import quote, urlencode

__all__ = ["MomentoError", "MomentoHttpClient", "Subscription"]


class MomentoError(RuntimeError):
    """A Momento call that did not succeed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Momento answered {status}: {message}")
        self.status = status
        self.message = message


class MomentoHttpClient:
    """Calls the Momento HTTP API at ``endpoint`` with ``api_key``.

    Args:
        endpoint: base URL, e.g. ``http://127.0.0.1:40123`` or
            ``https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com``.
        api_key: the key sent in the ``Authorization`` header.
        timeout: per-request timeout in seconds.
        published: optional function listing a topic's messages (the local server provides
            one); used by :meth:`messages`.
    """

    def __init__(
        self,
        endpoint: str,
        api_key: str,
        timeout: float = 5.0,
        published: Callable[[str, str], list[str]] | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        self._published = published

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

    def get(self, cache: str, key: str) -> bytes | None:
        """The value stored under ``key``, or ``None`` on a miss."""
        status, body = self._call("GET", self._cache_path(cache), {"key": key})
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

    def publish(self, cache: str, topic: str, message: str) -> None:
        """Publish a text message."""
        status, body = self._call(
            "POST", self._topic_path(cache, topic), None, message.encode(), "text/plain"
        )
        if status != 204:
            raise MomentoError(status, body.decode("utf-8", errors="replace"))

    def messages(self, cache: str, topic: str) -> list[str]:
        """Every message published to the topic so far (local server only)."""
        if self._published is None:
            raise NotImplementedError("listing past messages needs the local Momento server")
        return self._published(cache, topic)

    def poll(
        self, cache: str, topic: str, sequence_number: int | None, wait: float
    ) -> tuple[list[str], int | None]:
        """One long poll: ``(messages, next sequence number)``."""
        query = {} if sequence_number is None else {"sequence_number": str(sequence_number)}
        status, body = self._call("GET", self._topic_path(cache, topic), query, timeout=wait + 5.0)
        if status != 200:
            raise MomentoError(status, body.decode("utf-8", errors="replace"))
        texts: list[str] = []
        next_number = sequence_number
        for entry in json.loads(body or b"{}").get("items", []):
            item = entry.get("item")
            if item is None:
                continue  # a discontinuity: keep going from where we are
            value = item.get("value", {})
            texts.append(value["text"] if "text" in value else value.get("binary", ""))
            next_number = int(item["topic_sequence_number"]) + 1
        return texts, next_number

    def subscribe(self, cache: str, topic: str, timeout: float = 10.0) -> Subscription:
        """Subscribe now; iterate to receive messages until ``timeout`` seconds pass.

        The subscription starts polling in the background at once, so messages published
        right after this call are not missed.
        """
        return Subscription(self, cache, topic, timeout)


class Subscription:
    """A running topic subscription; iterate it, and close it (or use ``with``)."""

    def __init__(self, client: MomentoHttpClient, cache: str, topic: str, timeout: float):
        self._client = client
        self._cache = cache
        self._topic = topic
        self._deadline = time.monotonic() + timeout
        self._queue: queue.Queue[str | BaseException] = queue.Queue()
        self._stop = threading.Event()
        try:
            # With the local server the starting point is fixed now, so nothing published
            # after this call can be missed; a real Momento subscription starts at its first
            # long poll.
            self._sequence: int | None = len(client.messages(cache, topic)) + 1
        except NotImplementedError:
            self._sequence = None
        self._thread = threading.Thread(
            target=self._run, name=f"subscribe-{cache}-{topic}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        sequence = self._sequence
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            wait = max(0.0, min(5.0, self._deadline - time.monotonic()))
            try:
                texts, sequence = self._client.poll(self._cache, self._topic, sequence, wait)
            except BaseException as error:  # handed to the iterating thread
                self._queue.put(error)
                return
            for text in texts:
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

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
