"""Topics on the local Momento server: what a publish accepts, what a long poll answers.

Each test names its source; ``HTTP_API`` is the reference page for topics, ``PROTO`` the
service's protocol definition. Behaviour no source states is marked unverified.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from momento_eventbridge_constructs.local.momento_server import LocalMomentoServer

from ._momento import AUTH, KEY, BackgroundPoll, call, subscribe

pytestmark = pytest.mark.slow

TOPIC = "/topics/cache/weather"


@pytest.fixture()
def server(fake_clock: Any) -> Iterator[LocalMomentoServer]:
    with LocalMomentoServer(
        caches=["cache"], api_keys=[KEY], clock=fake_clock, subscribe_wait=0.5
    ) as running:
        yield running


@pytest.fixture()
def patient_server() -> Iterator[LocalMomentoServer]:
    """A server whose idle long polls wait until something happens, as HTTP_API describes."""
    with LocalMomentoServer(caches=["cache"], api_keys=[KEY], subscribe_wait=None) as running:
        yield running


def publish(server: LocalMomentoServer, body: bytes, content_type: str | None) -> int:
    headers = dict(AUTH) if content_type is None else {**AUTH, "Content-Type": content_type}
    return call(server, "POST", TOPIC, body, headers)[0]


def item(number: int, page: int, text: str) -> dict[str, Any]:
    return {
        "item": {"topic_sequence_number": number, "sequence_page": page, "value": {"text": text}}
    }


@pytest.mark.parametrize(
    ("content_type", "body", "value"),
    [
        # HTTP_API, Headers: text/plain is UTF-8 text, application/octet-stream is binary.
        ("text/plain", "Zürich".encode(), {"text": "Zürich"}),
        ("application/octet-stream", b"\x00\xff", {"binary": "AP8="}),
        # What an EventBridge API destination sends without a Content-Type parameter
        # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html);
        # Momento's EventBridge demo (momentohq/client-sdk-javascript
        # examples/nodejs/aws/eventbridge) publishes so and parses the value as text.
        ("application/json; charset=utf-8", b'{"MaxTemp": 21}', {"text": '{"MaxTemp": 21}'}),
        # https://docs.momentohq.com/objectstore/enhancements/live-reactions publishes JSON and
        # reads value.text in its long poll.
        ("application/json", b'"heart"', {"text": '"heart"'}),
        # HTTP_API's own `curl -d` examples (curl sends this type: https://curl.se/docs/manpage.html#-d).
        # Text, body kept as sent: unverified, inferred from HTTP_API's subscribe example.
        ("application/x-www-form-urlencoded", b"hello world!", {"text": "hello world!"}),
        # Media types are case-insensitive (RFC 9110 section 8.3.1).
        ("Text/Plain; charset=UTF-8", b"hi", {"text": "hi"}),
    ],
)
def test_publish_stores_text_or_binary_by_content_type(
    server: LocalMomentoServer, content_type: str, body: bytes, value: dict[str, str]
) -> None:
    assert publish(server, body, content_type) == 204
    status, answer = subscribe(server, TOPIC + "?sequence_number=1")
    assert status == 200
    assert [entry["item"]["value"] for entry in answer["items"]] == [value]
    [message] = server.published("cache", "weather")
    assert (message.value, message.is_text) == (body, "text" in value)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        # HTTP_API marks Content-Type as required; Momento's answer without it is unverified.
        (None, b"hi"),
        # No source shows these working: the local server refuses what it cannot vouch for.
        ("application/xml", b"<a/>"),
        ("text/html", b"<p>hi</p>"),
        # A text value is a protobuf string (PROTO _TopicValue.text), which must be UTF-8
        # (https://protobuf.dev/programming-guides/proto3/#scalar).
        ("text/plain", b"\xff"),
        ("application/json", b'"\xff"'),
    ],
)
def test_publish_refuses_other_content_types_and_bad_text(
    server: LocalMomentoServer, content_type: str | None, body: bytes
) -> None:
    assert publish(server, body, content_type) == 400
    assert server.published("cache", "weather") == []


@pytest.mark.parametrize("query", ["", "?sequence_number=0&sequence_page=0"])
def test_first_subscribe_starts_at_the_latest_message(
    server: LocalMomentoServer, query: str
) -> None:
    # HTTP_API: "Use 0 on the first request"; PROTO _SubscriptionRequest: "If not provided
    # (or 0), the subscription will begin with the latest messages."
    assert publish(server, b"old", "text/plain") == 204
    _, page = server.start_position("cache", "weather")
    waiting = BackgroundPoll(server, "weather", query)
    assert publish(server, b"new", "text/plain") == 204
    assert waiting.join() == (200, {"items": [item(2, page, "new")]})


def test_items_carry_their_number_and_page_and_a_poll_resumes_at_a_number(
    server: LocalMomentoServer,
) -> None:
    # HTTP_API: sequence_number is "the next sequence you expect, typically lastReceived + 1";
    # every item carries topic_sequence_number and sequence_page. Numbers start at 1 here as 0
    # means "latest" (PROTO).
    for text in (b"a", b"b", b"c"):
        assert publish(server, text, "text/plain") == 204
    number, page = server.start_position("cache", "weather")
    assert number == 4
    status, answer = subscribe(server, f"{TOPIC}?sequence_number=2&sequence_page={page}")
    assert (status, answer) == (200, {"items": [item(2, page, "b"), item(3, page, "c")]})
    # HTTP_API, about sequence_page: "if you're not sure, set it to 0".
    status, answer = subscribe(server, f"{TOPIC}?sequence_number=3&sequence_page=0")
    assert (status, answer) == (200, {"items": [item(3, page, "c")]})


def test_a_waiting_poll_is_answered_by_the_next_publish(server: LocalMomentoServer) -> None:
    # HTTP_API: "The HTTP GET blocks until at least one message ... is available."
    number, page = server.start_position("cache", "weather")
    waiting = BackgroundPoll(server, "weather", f"?sequence_number={number}&sequence_page={page}")
    assert publish(server, b"two", "text/plain") == 204
    assert waiting.join() == (200, {"items": [item(number, page, "two")]})


def test_a_reset_topic_answers_old_pages_with_a_discontinuity(server: LocalMomentoServer) -> None:
    # HTTP_API: a topic "can be evicted from memory or recreated"; a subscriber on the old page
    # gets a discontinuity naming the new page, shaped as in HTTP_API's example. PROTO
    # _TopicItem.sequence_page: "On a topic reset, the sequence numbers reset and a new
    # sequence_page is given", numbered higher than the old one.
    for text in (b"a", b"b"):
        assert publish(server, text, "text/plain") == 204
    _, old_page = server.start_position("cache", "weather")
    new_page = server.reset_topic("cache", "weather")
    assert new_page > old_page
    assert server.start_position("cache", "weather") == (1, new_page)
    assert publish(server, b"c", "text/plain") == 204
    status, answer = subscribe(server, f"{TOPIC}?sequence_number=3&sequence_page={old_page}")
    assert status == 200
    assert answer == {
        "items": [
            {
                "discontinuity": {
                    "last_topic_sequence": 2,
                    "new_topic_sequence": 1,
                    "new_sequence_page": new_page,
                }
            },
            item(1, new_page, "c"),
        ]
    }
    assert [
        (m.text, m.sequence_number, m.sequence_page) for m in server.published("cache", "weather")
    ] == [
        ("a", 1, old_page),
        ("b", 2, old_page),
        ("c", 1, new_page),
    ]


def test_a_discontinuity_alone_ends_a_waiting_poll(patient_server: LocalMomentoServer) -> None:
    # HTTP_API: the GET blocks "until at least one message (or discontinuity notice) is
    # available". With subscribe_wait=None nothing else could end this poll.
    server = patient_server
    number, page = server.start_position("cache", "weather")
    waiting = BackgroundPoll(server, "weather", f"?sequence_number={number}&sequence_page={page}")
    new_page = server.reset_topic("cache", "weather", sequence_page=page + 1000)
    assert new_page == page + 1000
    assert waiting.join() == (
        200,
        {
            "items": [
                {
                    "discontinuity": {
                        "last_topic_sequence": number - 1,
                        "new_topic_sequence": 1,
                        "new_sequence_page": new_page,
                    }
                }
            ]
        },
    )


def test_a_new_page_must_be_higher(server: LocalMomentoServer) -> None:
    # PROTO _TopicItem.sequence_page: "Later sequence pages are numbered greater than earlier
    # pages".
    _, page = server.start_position("cache", "weather")
    with pytest.raises(ValueError, match="higher"):
        server.reset_topic("cache", "weather", sequence_page=page)
    assert server.start_position("cache", "weather") == (1, page)


def test_a_number_ahead_of_the_page_gets_a_discontinuity(server: LocalMomentoServer) -> None:
    # Unverified: no source says what Momento answers to a number the page has not reached;
    # here the subscriber learns where the page is instead of waiting for that number.
    assert publish(server, b"a", "text/plain") == 204
    _, page = server.start_position("cache", "weather")
    status, answer = subscribe(server, f"{TOPIC}?sequence_number=10&sequence_page={page}")
    assert (status, answer) == (
        200,
        {
            "items": [
                {
                    "discontinuity": {
                        "last_topic_sequence": 9,
                        "new_topic_sequence": 2,
                        "new_sequence_page": page,
                    }
                }
            ]
        },
    )


def test_an_idle_poll_answers_no_items_after_subscribe_wait(server: LocalMomentoServer) -> None:
    # How long Momento holds an idle poll, and what it answers then, is undocumented (HTTP_API
    # only says the GET blocks); the local server answers {"items": []} after subscribe_wait.
    number, page = server.start_position("cache", "weather")
    query = f"?sequence_number={number}&sequence_page={page}"
    assert subscribe(server, TOPIC + query) == (200, {"items": []})


@pytest.mark.parametrize(
    "query",
    ["sequence_number=abc", "sequence_number=-1", "sequence_page=x", "sequence_page=-5"],
)
def test_bad_sequence_parameters_are_400(server: LocalMomentoServer, query: str) -> None:
    # HTTP_API types both parameters as integers; Momento's answer to others is unverified.
    status, answer = subscribe(server, f"{TOPIC}?{query}")
    assert status == 400
    assert query.split("=")[0] in answer["error"]
