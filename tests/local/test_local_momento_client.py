"""The Momento HTTP client: how it follows a topic's sequence numbers, pages and gaps.

``HTTP_API`` is the reference page for topics, ``PROTO`` the service's protocol definition.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from momento_eventbridge_constructs.engine.momento_client import (
    Discontinuity,
    MomentoHttpClient,
    PollResult,
    TopicPosition,
)
from momento_eventbridge_constructs.engine.momento_client._private import follow
from momento_eventbridge_constructs.local.momento_server import LocalMomentoServer

from ._momento import KEY, wait_until

PAGE = 1748358253  # the page of HTTP_API's discontinuity example


def item(number: int, page: int, value: dict[str, str]) -> dict[str, Any]:
    return {"item": {"topic_sequence_number": number, "sequence_page": page, "value": value}}


def gap(last: int, new: int, page: int) -> dict[str, Any]:
    return {
        "discontinuity": {
            "last_topic_sequence": last,
            "new_topic_sequence": new,
            "new_sequence_page": page,
        }
    }


# -- follow(): reading one subscribe response ---------------------------------------------------


def test_items_move_the_position_past_them_and_teach_the_page() -> None:
    # HTTP_API: send back "typically lastReceived + 1" and the sequence_page received.
    result = follow(TopicPosition(), [item(7, 3, {"text": "a"}), item(8, 3, {"binary": "AP8="})])
    assert result == PollResult(["a", "AP8="], TopicPosition(9, 3), [])


def test_a_discontinuity_moves_to_its_new_sequence_and_keeps_the_item_there() -> None:
    # HTTP_API's example: a discontinuity {last 100, new 104} followed by item 104.
    result = follow(TopicPosition(101, 3), [gap(100, 104, PAGE), item(104, PAGE, {"text": "hi"})])
    assert result == PollResult(["hi"], TopicPosition(105, PAGE), [Discontinuity(100, 104, PAGE)])


def test_a_discontinuity_alone_sets_where_the_next_poll_starts() -> None:
    result = follow(TopicPosition(3, 5), [gap(2, 1, 9)])
    assert result == PollResult([], TopicPosition(1, 9), [Discontinuity(2, 1, 9)])
    assert result.position.query() == {"sequence_number": "1", "sequence_page": "9"}


def test_items_already_delivered_are_dropped() -> None:
    # The Go and Rust SDKs resume *at* the last number they saw (momentohq/client-sdk-go
    # momento/topic_subscription.go, momentohq/client-sdk-rust
    # src/topics/messages/subscription.rs), so a service may send it again.
    result = follow(TopicPosition(5, 3), [item(4, 3, {"text": "old"}), item(5, 3, {"text": "new"})])
    assert result == PollResult(["new"], TopicPosition(6, 3), [])


def test_items_of_an_older_page_are_dropped_and_of_a_newer_one_kept() -> None:
    # PROTO _TopicItem.sequence_page: later pages are numbered greater than earlier ones.
    items = [item(9, 2, {"text": "stale"}), item(1, 4, {"text": "fresh"})]
    assert follow(TopicPosition(3, 3), items) == PollResult(["fresh"], TopicPosition(2, 4), [])


def test_unknown_items_are_ignored() -> None:
    # PROTO also streams heartbeats; whether the HTTP API does is undocumented.
    assert follow(TopicPosition(2, 3), [{"heartbeat": {}}]) == PollResult(
        [], TopicPosition(2, 3), []
    )


# -- against the local server -------------------------------------------------------------------


@pytest.fixture()
def server(fake_clock: Any) -> Iterator[LocalMomentoServer]:
    with LocalMomentoServer(
        caches=["cache"], api_keys=[KEY], clock=fake_clock, subscribe_wait=0.5
    ) as running:
        yield running


@pytest.fixture()
def client(server: LocalMomentoServer) -> MomentoHttpClient:
    return server.client(KEY)


@pytest.mark.slow
def test_a_subscription_follows_a_reset_without_losing_or_repeating(
    server: LocalMomentoServer, client: MomentoHttpClient
) -> None:
    client.publish("cache", "t", "before")
    _, first_page = server.start_position("cache", "t")
    with client.subscribe("cache", "t", timeout=10, poll_wait=0.5) as subscription:
        client.publish("cache", "t", "a")
        client.publish("cache", "t", "b")
        assert subscription.collect(2, timeout=5) == ["a", "b"]
        new_page = server.reset_topic("cache", "t")
        assert wait_until(lambda: subscription.discontinuities != [])
        client.publish("cache", "t", "c")
        client.publish("cache", "t", "d")
        assert subscription.collect(2, timeout=5) == ["c", "d"]
        assert subscription.collect(1, timeout=0.6) == []  # nothing repeated
        assert subscription.discontinuities == [Discontinuity(3, 1, new_page)]
        assert subscription.position == TopicPosition(3, new_page)
    polls = [r.query for r in server.requests if r.method == "GET"]
    # HTTP_API: "Always send the most recent sequence_page you received".
    assert all(set(query) == {"sequence_number", "sequence_page"} for query in polls)
    assert polls[0] == {"sequence_number": ["2"], "sequence_page": [str(first_page)]}
    assert polls[-1]["sequence_page"] == [str(new_page)]


@pytest.mark.slow
def test_a_subscription_starts_right_after_the_last_message(
    server: LocalMomentoServer,
) -> None:
    # Also with only `published`, as the local runtime builds its client.
    def published(cache: str, topic: str) -> list[str]:
        return [message.text for message in server.published(cache, topic)]

    for client in (
        server.client(KEY),
        MomentoHttpClient(server.endpoint, KEY, published=published),
    ):
        client.publish("cache", "s", "before")
        with client.subscribe("cache", "s", timeout=5, poll_wait=0.5) as subscription:
            client.publish("cache", "s", "after")
            assert subscription.collect(2, timeout=3) == ["after"]
    assert [m.text for m in server.published("cache", "s")] == ["before", "after"] * 2


@pytest.mark.slow
def test_a_poll_that_times_out_is_idle_not_an_error() -> None:
    # HTTP_API: the GET "blocks until at least one message ... is available"; for how long is
    # undocumented, so a client-side timeout must leave the subscriber where it was.
    with LocalMomentoServer(caches=["cache"], api_keys=[KEY], subscribe_wait=None) as server:
        client = server.client(KEY)
        number, page = server.start_position("cache", "t")
        position = TopicPosition(number, page)
        assert client.poll("cache", "t", position, wait=0.2) == PollResult([], position, [])
        client.publish("cache", "t", "late")
        result = client.poll("cache", "t", position, wait=5)
        assert result == PollResult(["late"], TopicPosition(number + 1, page), [])


@pytest.mark.slow
def test_publish_sends_text_or_binary(
    server: LocalMomentoServer, client: MomentoHttpClient
) -> None:
    # HTTP_API: text/plain for UTF-8 text, application/octet-stream for binary.
    client.publish("cache", "t", "hi")
    client.publish("cache", "t", b"\x00\xff")
    posts = [r.headers["content-type"] for r in server.requests if r.method == "POST"]
    assert posts == ["text/plain", "application/octet-stream"]
    assert [(m.value, m.is_text) for m in server.published("cache", "t")] == [
        (b"hi", True),
        (b"\x00\xff", False),
    ]
    result = client.poll("cache", "t", 1, wait=2)  # an int: a number on the current page
    assert result.messages == ["hi", "AP8="]
