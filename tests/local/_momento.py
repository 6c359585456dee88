"""Helpers for the tests of the local Momento server and client."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from momento_eventbridge_constructs.local.momento_server import LocalMomentoServer

KEY = "test-key"
AUTH = {"Authorization": KEY}
HTTP_API = "https://docs.momentohq.com/topics/api-reference/http-api"
PROTO = "momentohq/client-protos proto/cachepubsub.proto"


def call(
    server: LocalMomentoServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One request with exactly these headers (urllib would add a Content-Type of its own)."""
    address = urlsplit(server.endpoint)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def subscribe(server: LocalMomentoServer, path: str) -> tuple[int, dict[str, Any]]:
    """A subscribe long poll: status and JSON body."""
    status, body = call(server, "GET", path, None, AUTH)
    return status, json.loads(body) if status == 200 else {"error": body.decode()}


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Whether ``condition`` became true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class BackgroundPoll:
    """A subscribe long poll running in a thread, started once the server sees it waiting."""

    def __init__(self, server: LocalMomentoServer, topic: str, query: str = "") -> None:
        self.result: tuple[int, dict[str, Any]] | None = None
        before = server.waiting_polls("cache", topic)
        self._thread = threading.Thread(
            target=self._run, args=(server, f"/topics/cache/{topic}{query}")
        )
        self._thread.start()
        if not wait_until(lambda: server.waiting_polls("cache", topic) > before):
            raise AssertionError("the long poll never reached the server")

    def _run(self, server: LocalMomentoServer, path: str) -> None:
        self.result = subscribe(server, path)

    def join(self, timeout: float = 10.0) -> tuple[int, dict[str, Any]]:
        """The answer of the poll (fails when it has not answered within ``timeout``)."""
        self._thread.join(timeout)
        if self._thread.is_alive() or self.result is None:
            raise AssertionError("the long poll did not answer")
        return self.result


def cached(lp: Any, key: str, cache: str) -> Any:
    """The JSON value a running LocalPipeline's Momento holds under ``key`` (None: a miss)."""
    value = lp.momento.get(cache, key)
    return None if value is None else json.loads(value)


def local_server(lp: Any) -> LocalMomentoServer:
    """The local Momento server of a running LocalPipeline."""
    server = lp.momento_server
    assert server is not None
    return server  # type: ignore[no-any-return]
