"""A local stand-in for the Momento HTTP API (cache set/get/delete, topic publish/subscribe).

Only the standard library is used. The server binds to ``127.0.0.1`` on a free port, keeps
everything in memory and implements the documented behaviour
(https://docs.momentohq.com/cache/develop/api-reference/http-api and
https://docs.momentohq.com/topics/api-reference/http-api): API-key authentication through the
``Authorization`` header or the ``token`` query parameter (both at once is a 400), caches that
must exist (404 ``Cache Not Found``), TTLs up to 24 hours with expiry on an injectable clock,
items up to 5 MB including the key, topic messages up to 4 KB, and long-poll subscriptions
with sequence numbers, sequence pages and discontinuities (see :mod:`.momento_topics`).

Tests can force responses with :meth:`LocalMomentoServer.inject_failures`, start a new sequence
page with :meth:`LocalMomentoServer.reset_topic`, and inspect every request in
:attr:`LocalMomentoServer.requests`.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from publication import publish

from .._lifecycle import Lifecycle
from ..engine.momento_client import MomentoHttpClient
from .momento_topics import TopicMessage, TopicStore, message_is_text

__all__ = [
    "MAX_ITEM_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_TTL_SECONDS",
    "InjectedFailure",
    "LocalMomentoServer",
    "RecordedRequest",
    "TopicMessage",
]

MAX_TTL_SECONDS = 24 * 60 * 60
MAX_ITEM_BYTES = 5 * 1024 * 1024
MAX_MESSAGE_BYTES = 4 * 1024
_MAX_REQUEST_BYTES = MAX_ITEM_BYTES + 1024 * 1024


@dataclass
class InjectedFailure:
    """A forced response, consumed by the next ``count`` matching requests."""

    status: int
    count: int
    body: str
    method: str | None = None
    path_prefix: str | None = None
    delay: float = 0.0

    def applies_to(self, method: str, path: str) -> bool:
        """Whether this failure is meant for a request."""
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received, and the status it answered."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int
    at: float


@dataclass
class _Entry:
    value: bytes
    expires_at: float


class _Reply(Exception):
    """Raised inside a handler to answer with a status and a text body."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Server(ThreadingHTTPServer):
    """One thread per connection, and a listen backlog that holds a Map state's calls: an
    inline Map runs up to 40 iterations at once, each opening its own connection, and with
    socketserver's default backlog of 5 the connections past it wait for the client to send
    its SYN again (a second on Linux) whenever the accepting thread is slow to run."""

    daemon_threads = True
    request_queue_size = 128


class LocalMomentoServer(Lifecycle):
    """An in-memory Momento HTTP API on ``127.0.0.1``.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.

    Args:
        caches: names of the caches that exist; others answer 404 ``Cache Not Found``.
        api_keys: the API keys that are accepted; a key is generated when none is given.
        clock: a function returning seconds (monotonic); TTLs expire against it.
        subscribe_wait: how long an idle subscribe long poll waits before it answers
            ``{"items": []}``, in seconds (default 5); ``None`` waits until a message or a
            discontinuity arrives or the server stops. Momento documents only that the poll
            "blocks until at least one message (or discontinuity notice) is available"
            (https://docs.momentohq.com/topics/api-reference/http-api); how long it really
            waits, and what it answers then, is undocumented, so clients should rely on
            neither (:meth:`.MomentoHttpClient.poll` treats its own timeout as an idle poll).
        latency: seconds to wait before answering each request, drawn per request (a fixed
            delay: ``lambda: 0.02``; a distribution: ``lambda: random.expovariate(50)``), to
            measure designs against a Momento further away. Default: none.
    """

    def __init__(
        self,
        caches: Iterable[str] = (),
        api_keys: Iterable[str] = (),
        clock: Callable[[], float] = time.monotonic,
        subscribe_wait: float | None = 5.0,
        latency: Callable[[], float] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._caches: dict[str, dict[bytes, _Entry]] = {name: {} for name in caches}
        self._topics = TopicStore()
        given = list(api_keys)
        # The key the server was made with: keys added later (those a stack's connections
        # send, which may be real ones) are accepted but never handed out by `api_key`.
        self._first_key = given[0] if given else self.generate_api_key()
        self._api_keys: set[str] = {self._first_key, *given}
        self._failures: list[InjectedFailure] = []
        self._requests: deque[RecordedRequest] = deque(maxlen=10_000)
        self._clock = clock
        self._subscribe_wait = subscribe_wait
        self._latency = latency
        self._random_failures: tuple[float, tuple[int, ...], random.Random] | None = None
        self._failed = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @staticmethod
    def generate_api_key() -> str:
        """A random key in a shape unmistakably local."""
        import secrets

        return "local-momento-" + secrets.token_urlsafe(24)

    @property
    def api_key(self) -> str:
        """The first accepted API key: the one given first, else the generated one."""
        return self._first_key

    @property
    def endpoint(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:40123``."""
        if self._server is None:
            raise RuntimeError("the local Momento server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalMomentoServer:
        """Bind to a free port on 127.0.0.1 and serve in a daemon thread."""
        if self._server is not None:
            return self
        handler = _make_handler(self)
        server = _Server(("127.0.0.1", 0), handler)
        self._server = server
        self._topics.open()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="local-momento",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake long polls and close the socket."""
        server, self._server = self._server, None
        if server is None:
            return
        self._topics.close()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- configuration and inspection ------------------------------------------------------

    def add_api_key(self, key: str) -> None:
        """Accept another API key."""
        with self._lock:
            self._api_keys.add(key)

    def create_cache(self, name: str) -> None:
        """Create a cache (no-op when it exists)."""
        with self._lock:
            self._caches.setdefault(name, {})

    @property
    def caches(self) -> list[str]:
        """Names of the existing caches."""
        with self._lock:
            return sorted(self._caches)

    def inject_failures(
        self,
        status: int = 500,
        count: int = 1,
        *,
        method: str | None = None,
        path_prefix: str | None = None,
        body: str = "injected failure",
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` (after ``delay`` s).

        Failures are queued: the first queued failure that applies to a request is used.
        ``status=0`` with a delay only delays the request, which is then served normally.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._failures.append(InjectedFailure(status, count, body, method, path_prefix, delay))

    def inject_random_failures(
        self, rate: float, statuses: Iterable[int] = (429, 500), *, seed: int | None = None
    ) -> None:
        """Answer each cache and topic request, with probability ``rate``, with one of
        ``statuses`` (chosen at random), until :meth:`clear_failures`."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be from 0 to 1")
        with self._lock:
            self._random_failures = (rate, tuple(statuses), random.Random(seed))

    def clear_failures(self) -> None:
        """Drop every queued failure, and stop random ones."""
        with self._lock:
            self._failures.clear()
            self._random_failures = None

    @property
    def failures_answered(self) -> int:
        """How many requests were answered with an injected failure so far, queued or random
        (:attr:`requests` keeps only the last 10,000)."""
        with self._lock:
            return self._failed

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (the last 10,000)."""
        with self._lock:
            return list(self._requests)

    def items(self, cache: str) -> dict[bytes, bytes]:
        """The unexpired items of a cache."""
        with self._lock:
            now = self._clock()
            entries = self._caches.get(cache, {})
            return {key: e.value for key, e in entries.items() if e.expires_at > now}

    def published(self, cache: str, topic: str) -> list[TopicMessage]:
        """Every message published to a topic so far, across its sequence pages."""
        return self._topics.history((cache, topic))

    def reset_topic(self, cache: str, topic: str, sequence_page: int | None = None) -> int:
        """Start a new sequence page, as Momento does when a topic is evicted or recreated.

        Subscribers still on the old page get a ``discontinuity`` naming the new page, then its
        messages. Returns the new page (``sequence_page`` if given; it must be higher).
        """
        return self._topics.reset((cache, topic), sequence_page)

    def start_position(self, cache: str, topic: str) -> tuple[int, int]:
        """``(sequence number, sequence page)`` the next message to the topic will carry."""
        return self._topics.start_position((cache, topic))

    def waiting_polls(self, cache: str, topic: str) -> int:
        """How many subscribe long polls are waiting on the topic right now."""
        return self._topics.waiting((cache, topic))

    def client(self, api_key: str | None = None, timeout: float = 5.0) -> MomentoHttpClient:
        """A client for this server that can list past messages and start subscriptions
        exactly after the last published message."""

        def published(cache: str, topic: str) -> list[str]:
            return [message.text for message in self.published(cache, topic)]

        return MomentoHttpClient(
            self.endpoint,
            api_key or self.api_key,
            timeout=timeout,
            published=published,
            start_position=self.start_position,
        )

    # -- request handling ------------------------------------------------------------------

    def _take_failure(self, method: str, path: str) -> InjectedFailure | None:
        with self._lock:
            for failure in self._failures:
                if failure.applies_to(method, path):
                    failure.count -= 1
                    if failure.count <= 0:
                        self._failures.remove(failure)
                    return failure
        return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _authenticate(self, headers: dict[str, str], query: dict[str, list[str]]) -> None:
        header = headers.get("authorization")
        token = query.get("token")
        if header is not None and token is not None:
            raise _Reply(400, "Provide the API key in the Authorization header or token, not both")
        key = header if header is not None else (token[0] if token else None)
        if not key:
            raise _Reply(401, "Missing API key")
        with self._lock:
            if key not in self._api_keys:
                raise _Reply(401, "Invalid API key")

    def _cache(self, name: str) -> dict[bytes, _Entry]:
        cache = self._caches.get(name)
        if cache is None:
            raise _Reply(404, "Cache Not Found")
        return cache

    @staticmethod
    def _key(query: dict[str, list[str]]) -> bytes:
        plain = query.get("key")
        encoded = query.get("key_base64")
        if (plain is None) == (encoded is None):
            raise _Reply(400, "Exactly one of key or key_base64 is required")
        if plain is not None:
            if len(plain) != 1 or not plain[0]:
                raise _Reply(400, "key must be given once and not be empty")
            return plain[0].encode("utf-8")
        assert encoded is not None
        text = encoded[0]
        try:
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError) as error:
            raise _Reply(400, "key_base64 is not URL-safe base64") from error
        if not decoded:
            raise _Reply(400, "key must not be empty")
        return decoded

    def _random_failure(self) -> InjectedFailure | None:
        with self._lock:
            if self._random_failures is None:
                return None
            rate, statuses, rng = self._random_failures
            if rng.random() >= rate:
                return None
            status = rng.choice(statuses)
        return InjectedFailure(status, 1, "injected random failure", None, None, 0.0)

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, str]:
        """Answer one request: ``(status, body, content type)``."""
        split = urlsplit(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        parts = [unquote(part) for part in split.path.split("/") if part]
        if self._latency is not None:
            time.sleep(max(0.0, self._latency()))
        failure = self._take_failure(method, split.path) or self._random_failure()
        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)
            if failure.status:
                with self._lock:
                    self._failed += 1
                return failure.status, failure.body.encode(), "text/plain; charset=utf-8"
        try:
            self._authenticate(headers, query)
            if len(parts) == 2 and parts[0] == "cache":
                return self._handle_cache(method, parts[1], query, body)
            if len(parts) == 3 and parts[0] == "topics":
                return self._handle_topic(method, parts[1], parts[2], query, headers, body)
            raise _Reply(404, "Not Found")
        except _Reply as reply:
            return reply.status, reply.message.encode(), "text/plain; charset=utf-8"

    def _handle_cache(
        self, method: str, cache_name: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, bytes, str]:
        with self._lock:
            cache = self._cache(cache_name)
        key = self._key(query)
        if method == "PUT":
            ttl_text = query.get("ttl_seconds")
            if not ttl_text:
                raise _Reply(400, "ttl_seconds is required")
            try:
                ttl = int(ttl_text[0])
            except ValueError as error:
                raise _Reply(400, "ttl_seconds must be an integer") from error
            if ttl <= 0:
                raise _Reply(400, "ttl_seconds must be positive")
            if ttl > MAX_TTL_SECONDS:
                raise _Reply(400, f"ttl_seconds exceeds the limit of {MAX_TTL_SECONDS}")
            if len(key) + len(body) > MAX_ITEM_BYTES:
                raise _Reply(400, "Item size exceeds the limit of 5 MB")
            with self._lock:
                cache[key] = _Entry(body, self._clock() + ttl)
            return 204, b"", "text/plain"
        if method == "GET":
            with self._lock:
                entry = cache.get(key)
                if entry is not None and entry.expires_at <= self._clock():
                    del cache[key]
                    entry = None
            if entry is None:
                raise _Reply(404, "Key Not Found")
            return 200, entry.value, "application/octet-stream"
        if method == "DELETE":
            with self._lock:
                cache.pop(key, None)
            return 204, b"", "text/plain"
        raise _Reply(405, "Method Not Allowed")

    def _handle_topic(
        self,
        method: str,
        cache_name: str,
        topic_name: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, bytes, str]:
        with self._lock:
            self._cache(cache_name)
        if method == "POST":
            if len(body) > MAX_MESSAGE_BYTES:
                raise _Reply(400, "Message size exceeds the limit of 4 KB")
            try:
                is_text = message_is_text(headers.get("content-type"), body)
            except ValueError as error:
                raise _Reply(400, str(error)) from error
            self._topics.publish((cache_name, topic_name), body, is_text)
            return 204, b"", "text/plain"
        if method == "GET":
            number = self._query_int(query, "sequence_number")
            page = self._query_int(query, "sequence_page")
            key = (cache_name, topic_name)
            items = self._topics.subscribe(key, number, page, self._subscribe_wait)
            return 200, json.dumps({"items": items}).encode(), "application/json"
        raise _Reply(405, "Method Not Allowed")

    @staticmethod
    def _query_int(query: dict[str, list[str]], name: str) -> int:
        """A non-negative integer query parameter; absent means 0 (the HTTP API reference:
        "Use 0 on the first request"). Momento's answer to a bad value is unverified."""
        values = query.get(name)
        if not values:
            return 0
        try:
            value = int(values[0])
        except ValueError as error:
            raise _Reply(400, f"{name} must be an integer") from error
        if value < 0:
            raise _Reply(400, f"{name} must not be negative")
        return value


def _make_handler(server: LocalMomentoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "LocalMomento/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the console quiet; requests are recorded on the server instead."""

        def _serve(self) -> None:
            length_text = self.headers.get("Content-Length", "0") or "0"
            try:
                length = int(length_text)
            except ValueError:
                length = -1
            headers = {name.lower(): value for name, value in self.headers.items()}
            if length < 0 or length > _MAX_REQUEST_BYTES:
                status, body, content_type = 400, b"Invalid Content-Length", "text/plain"
                payload = b""
                self.close_connection = True
            else:
                payload = self.rfile.read(length) if length else b""
                try:
                    status, body, content_type = server.handle(
                        self.command, self.path, headers, payload
                    )
                except Exception as error:  # pragma: no cover - defensive
                    status, body, content_type = 500, str(error).encode(), "text/plain"
            split = urlsplit(self.path)
            server._record(
                RecordedRequest(
                    method=self.command,
                    path=unquote(split.path),
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers=headers,
                    body=payload,
                    status=status,
                    at=time.time(),
                )
            )
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body and self.command != "HEAD":
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _serve

    return Handler


publish()
