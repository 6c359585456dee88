"""How the local runtime retries a failing target, by EventBridge Pipes error class.

Source of every rule here:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-error-troubleshooting.html
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from momento_eventbridge_constructs.local import LocalPipeline
from momento_eventbridge_constructs.local.delivery import RetryPolicy
from momento_eventbridge_constructs.local.events import (
    INTERNAL_ERROR,
    INVOCATION_ERROR,
    LOCAL_DECISION,
)

TABLE_PATH = "WeatherStack/WeatherTable"


class OffsetClock:
    """Wall-clock time that can be moved forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture()
def lp(weather_assembly: Path) -> Iterator[LocalPipeline]:
    with LocalPipeline.from_cloud_assembly(
        weather_assembly, momento="local", retry_base_delay=0.005, retry_max_delay=0.02
    ) as pipeline:
        yield pipeline


def _puts(lp: LocalPipeline) -> list[Any]:
    assert lp.momento_server is not None
    return [r for r in lp.momento_server.requests if r.method == "PUT"]


# "Customer invocation errors are errors resulting from configuration or code managed by the
# user. [...] A logic error in a synchronously-invoked customer Lambda, Step Functions, API
# destination, or API Gateway endpoint." / "For pipes with a stream source, EventBridge Pipes
# retries up to the maximum retry times configured on the pipe retry policy or until the
# maximum record age expiry, whichever comes first."
@pytest.mark.slow
@pytest.mark.parametrize("status", [400, 401, 404, 429, 500])
def test_a_target_error_is_retried_maximum_retry_attempts_times_then_dead_lettered(
    lp: LocalPipeline, put_weather: Any, status: int
) -> None:
    assert lp.momento_server is not None
    put_pipe = lp.pipe("CachePutPipe")
    retries = put_pipe.maximum_retry_attempts
    assert retries == 5
    lp.momento_server.inject_failures(status, count=retries + 1, method="PUT")
    put_weather(lp.dynamodb, lp.table_name(TABLE_PATH), "Oslo", 40)
    put_weather(lp.dynamodb, lp.table_name(TABLE_PATH), "Lisbon", 70)
    lp.drain(timeout=15)

    # One try and MaximumRetryAttempts retries of Oslo, then Lisbon goes through.
    assert [r.status for r in _puts(lp)] == [status] * (retries + 1) + [204]
    assert [r.query["key"] for r in _puts(lp)] == [["Oslo"]] * (retries + 1) + [["Lisbon"]]
    (letter,) = lp.dead_letters()
    assert letter["context"]["partnerResourceArn"] == put_pipe.arn
    events = lp.events("CachePutPipe")
    assert [e.outcome for e in events] == ["retrying"] * retries + [
        "failed",
        "dead-lettered",
        "delivered",
    ]
    assert {e.error_class for e in events[: retries + 1]} == {INVOCATION_ERROR}
    assert "MaximumRetryAttempts (5) exhausted" in events[retries + 1].error
    assert lp.momento.get("momento-eventbridge-cache", "Lisbon") is not None


@pytest.mark.slow
def test_a_400_that_clears_before_the_retries_run_out_is_delivered(
    lp: LocalPipeline, put_weather: Any
) -> None:
    assert lp.momento_server is not None
    lp.momento_server.inject_failures(400, count=2, method="PUT")
    put_weather(lp.dynamodb, lp.table_name(TABLE_PATH), "Lima", 75)
    lp.drain(timeout=10)
    assert [r.status for r in _puts(lp)] == [400, 400, 204]
    assert lp.dead_letters() == []
    assert lp.momento.get("momento-eventbridge-cache", "Lima") is not None


# "Pipe internal errors are errors resulting by aspects of the invocation managed by the
# EventBridge Pipes service. [...] A HTTP connection failure when attempting to invoke the
# customer targer service" / "In general, EventBridge Pipes retries internal errors an
# indefinite number of times, and stops only when the record expires in the source." / "For
# pipes with a stream source, EventBridge Pipes does not count retries for internal errors
# against the maximum number of retries specified on the retry policy for the stream source."
@pytest.mark.slow
def test_a_refused_connection_is_retried_past_the_retry_limit_until_the_record_is_too_old(
    weather_assembly: Path, put_weather: Any, wait_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = OffsetClock()
    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))  # bound but never listening: connections are refused
        monkeypatch.setenv("MOMENTO_API_KEY", "unused-key")
        monkeypatch.setenv("MOMENTO_API_ENDPOINT", f"http://127.0.0.1:{refusing.getsockname()[1]}")
        with LocalPipeline.from_cloud_assembly(
            weather_assembly,
            momento="remote",
            wall_clock=clock,
            retry_base_delay=0.001,
            retry_max_delay=0.01,
        ) as lp:
            put_pipe = lp.pipe("CachePutPipe")
            limit = put_pipe.maximum_retry_attempts + 1

            def attempts() -> list[Any]:
                return [e for e in lp.events("CachePutPipe") if e.outcome == "retrying"]

            put_weather(lp.dynamodb, lp.table_name(TABLE_PATH), "Quito", 65)
            assert wait_for(lambda: len(attempts()) >= 3 * limit, timeout=10)
            assert lp.dead_letters() == []  # far past MaximumRetryAttempts, still retrying
            assert {e.error_class for e in attempts()} == {INTERNAL_ERROR}
            assert all("request failed" in e.error for e in attempts())

            clock.advance(put_pipe.maximum_record_age_seconds + 1)
            lp.drain(timeout=10)
            letters = lp.dead_letters()
            events = lp.events("CachePutPipe")
    # The topic pipe saw the same record and the same refusals.
    assert {letter["context"]["partnerResourceArn"] for letter in letters} == {
        put_pipe.arn,
        lp.pipe("TopicPublishPipe").arn,
    }
    assert events[-1].outcome == "dead-lettered"
    assert "older than MaximumRecordAgeInSeconds (3600 s)" in events[-1].error
    assert "internal error: request failed" in events[-1].error


# What a pipe does with a record its input template cannot be applied to is not documented;
# the local runtime dead-letters it at once and says that this is its own choice.
@pytest.mark.slow
def test_a_record_that_cannot_be_rendered_is_dead_lettered_as_a_local_decision(
    lp: LocalPipeline, put_weather: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    put_weather(lp.dynamodb, lp.table_name(TABLE_PATH), "Poison Springs", 50)
    lp.dynamodb.delete_item(
        TableName=lp.table_name(TABLE_PATH), Key={"Location": {"S": "Poison Springs"}}
    )
    lp.drain(timeout=10)
    events = [e for e in lp.events("PoisonPipe") if e.event_name == "REMOVE"]
    assert [e.outcome for e in events] == ["failed", "dead-lettered"]
    assert events[0].error_class == LOCAL_DECISION
    assert events[0].attempt == 1  # no retry
    assert events[1].error.startswith("local runtime decision: cannot render the record")
    assert any(
        "local runtime decision" in r.getMessage()
        and "AWS documents no behaviour" in r.getMessage()
        for r in caplog.records
    )


def test_the_backoff_doubles_up_to_its_cap_however_many_attempts() -> None:
    retry = RetryPolicy(base_delay=0.05, max_delay=0.5)
    assert [retry.delay(n) for n in (1, 2, 3, 4, 5)] == [0.05, 0.1, 0.2, 0.4, 0.5]
    assert retry.delay(100_000) == 0.5  # internal errors can be retried without end
