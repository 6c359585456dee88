"""The local Momento HTTP API: auth, caches, TTLs, limits and fault injection.

Topics: ``test_local_momento_topics.py`` (server) and ``test_local_momento_client.py`` (client).
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from momento_eventbridge_constructs.engine.momento_client import MomentoError, MomentoHttpClient
from momento_eventbridge_constructs.local.momento_server import (
    MAX_ITEM_BYTES,
    MAX_MESSAGE_BYTES,
    LocalMomentoServer,
)

from ._momento import AUTH, KEY, BackgroundPoll, call

pytestmark = pytest.mark.slow


@pytest.fixture()
def server(fake_clock: Any) -> Iterator[LocalMomentoServer]:
    with LocalMomentoServer(
        caches=["cache"], api_keys=[KEY], clock=fake_clock, subscribe_wait=0.5
    ) as running:
        yield running


@pytest.fixture()
def client(server: LocalMomentoServer) -> MomentoHttpClient:
    return server.client(KEY)


def test_set_get_delete(server: LocalMomentoServer, client: MomentoHttpClient) -> None:
    assert call(server, "PUT", "/cache/cache?key=a&ttl_seconds=60", b"v1", AUTH) == (204, b"")
    assert call(server, "GET", "/cache/cache?key=a", None, AUTH) == (200, b"v1")
    assert call(server, "DELETE", "/cache/cache?key=a", None, AUTH) == (204, b"")
    assert call(server, "GET", "/cache/cache?key=a", None, AUTH) == (404, b"Key Not Found")
    assert call(server, "DELETE", "/cache/cache?key=a", None, AUTH)[0] == 204  # idempotent
    client.set("cache", "New York", "{}", 10)
    assert client.get("cache", "New York") == b"{}"
    client.delete("cache", "New York")
    assert client.get("cache", "New York") is None


def test_key_base64_and_keys_with_spaces(server: LocalMomentoServer) -> None:
    encoded = base64.urlsafe_b64encode(b"San Francisco").decode().rstrip("=")
    assert (
        call(server, "PUT", f"/cache/cache?key_base64={encoded}&ttl_seconds=5", b"x", AUTH)[0]
        == 204
    )
    assert call(server, "GET", "/cache/cache?key=San%20Francisco", None, AUTH) == (200, b"x")
    assert call(server, "GET", "/cache/cache?key=San+Francisco", None, AUTH) == (200, b"x")
    assert set(server.items("cache")) == {b"San Francisco"}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/cache/cache?ttl_seconds=5", b"Exactly one of key or key_base64 is required"),
        (
            "/cache/cache?key=a&key_base64=YQ&ttl_seconds=5",
            b"Exactly one of key or key_base64 is required",
        ),
        ("/cache/cache?key=a", b"ttl_seconds is required"),
        ("/cache/cache?key=a&ttl_seconds=abc", b"ttl_seconds must be an integer"),
        ("/cache/cache?key=a&ttl_seconds=0", b"ttl_seconds must be positive"),
        ("/cache/cache?key=a&ttl_seconds=86401", b"ttl_seconds exceeds the limit of 86400"),
    ],
)
def test_bad_set_requests_are_400(server: LocalMomentoServer, path: str, message: bytes) -> None:
    assert call(server, "PUT", path, b"v", AUTH) == (400, message)


def test_ttl_limit_is_inclusive(server: LocalMomentoServer) -> None:
    assert call(server, "PUT", "/cache/cache?key=a&ttl_seconds=86400", b"v", AUTH)[0] == 204


def test_item_size_limit_includes_the_key(server: LocalMomentoServer) -> None:
    value = b"x" * (MAX_ITEM_BYTES - 2)
    assert call(server, "PUT", "/cache/cache?key=ab&ttl_seconds=5", value, AUTH)[0] == 204
    assert call(server, "PUT", "/cache/cache?key=abc&ttl_seconds=5", value, AUTH) == (
        400,
        b"Item size exceeds the limit of 5 MB",
    )


def test_ttl_expiry_follows_the_clock(server: LocalMomentoServer, fake_clock: Any) -> None:
    call(server, "PUT", "/cache/cache?key=a&ttl_seconds=120", b"v", AUTH)
    fake_clock.advance(119.9)
    assert call(server, "GET", "/cache/cache?key=a", None, AUTH)[0] == 200
    fake_clock.advance(0.1)
    assert call(server, "GET", "/cache/cache?key=a", None, AUTH) == (404, b"Key Not Found")
    assert server.items("cache") == {}


def test_unknown_cache_is_404_cache_not_found(server: LocalMomentoServer) -> None:
    assert call(server, "GET", "/cache/nope?key=a", None, AUTH) == (404, b"Cache Not Found")
    assert call(server, "PUT", "/cache/nope?key=a&ttl_seconds=5", b"v", AUTH) == (
        404,
        b"Cache Not Found",
    )
    assert call(server, "POST", "/topics/nope/t", b"m", {**AUTH, "Content-Type": "text/plain"}) == (
        404,
        b"Cache Not Found",
    )


def test_authentication(server: LocalMomentoServer) -> None:
    assert call(server, "GET", "/cache/cache?key=a")[0] == 401
    assert call(server, "GET", "/cache/cache?key=a", None, {"Authorization": "wrong"})[0] == 401
    assert call(server, "GET", f"/cache/cache?key=a&token={KEY}")[0] == 404  # key miss: authed
    assert call(server, "GET", f"/cache/cache?key=a&token={KEY}", None, AUTH)[0] == 400


def test_topic_message_limit(server: LocalMomentoServer) -> None:
    headers = {**AUTH, "Content-Type": "text/plain"}
    ok = b"m" * MAX_MESSAGE_BYTES
    assert call(server, "POST", "/topics/cache/t", ok, headers)[0] == 204
    assert call(server, "POST", "/topics/cache/t", ok + b"m", headers) == (
        400,
        b"Message size exceeds the limit of 4 KB",
    )


def test_fault_injection(server: LocalMomentoServer, client: MomentoHttpClient) -> None:
    server.inject_failures(500, count=2, method="PUT")
    server.inject_failures(429, count=1, path_prefix="/topics/")
    for _ in range(2):
        with pytest.raises(MomentoError) as caught:
            client.set("cache", "k", "v", 5)
        assert caught.value.status == 500
    client.set("cache", "k", "v", 5)  # the queue is used up
    assert client.get("cache", "k") == b"v"  # GET never matched the PUT failure
    with pytest.raises(MomentoError) as caught:
        client.publish("cache", "t", "m")
    assert caught.value.status == 429
    client.publish("cache", "t", "m")
    statuses = [(r.method, r.status) for r in server.requests]
    assert statuses == [
        ("PUT", 500),
        ("PUT", 500),
        ("PUT", 204),
        ("GET", 200),
        ("POST", 429),
        ("POST", 204),
    ]
    server.inject_failures(503, count=5)
    server.clear_failures()
    client.set("cache", "k", "v", 5)
    assert server.failures_answered == 3  # the queued failures that were used
    server.inject_random_failures(1.0, (503,), seed=1)
    for _ in range(2):
        with pytest.raises(MomentoError):
            client.set("cache", "k", "v", 5)
    server.clear_failures()
    assert server.failures_answered == 5
    with pytest.raises(ValueError):
        server.inject_failures(500, count=0)


def test_stop_answers_waiting_long_polls() -> None:
    # subscribe_wait=None: only a message or the stop can end the poll.
    running = LocalMomentoServer(caches=["cache"], api_keys=[KEY], subscribe_wait=None).start()
    endpoint = running.endpoint
    waiting = BackgroundPoll(running, "t")
    running.stop()
    assert waiting.join() == (200, {"items": []})
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(endpoint + "/cache/c?key=a", timeout=1)
    running.stop()  # idempotent


def test_injected_latency_delays_every_answer_by_a_value_drawn_per_request() -> None:
    import time

    delays = iter([0.15, 0.0, 0.15])
    with LocalMomentoServer(caches=["c"], api_keys=[KEY], latency=lambda: next(delays)) as slow:
        client = MomentoHttpClient(slow.endpoint, KEY)
        timings = []
        for value in (b"1", b"2", b"3"):
            started = time.monotonic()
            client.set("c", "k", value, ttl_seconds=60)
            timings.append(time.monotonic() - started)
    assert timings[0] >= 0.15 and timings[2] >= 0.15
    assert timings[1] < 0.15
