"""End-to-end: a synthesized stack run by LocalPipeline against moto and the local Momento."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from momento_eventbridge_constructs.local import LocalPipeline

CACHE = "momento-eventbridge-cache"
TOPIC = "momento-eventbridge-topic"
POISON_TOPIC = "poison-topic"
TABLE_PATH = "WeatherStack/WeatherTable"


@pytest.fixture()
def lp(weather_assembly: Path, fake_clock: Any) -> Iterator[LocalPipeline]:
    with LocalPipeline.from_cloud_assembly(
        weather_assembly,
        momento="local",
        clock=fake_clock,
        retry_base_delay=0.01,
        retry_max_delay=0.05,
    ) as pipeline:
        yield pipeline


def _table(lp: LocalPipeline) -> str:
    return lp.table_name(TABLE_PATH)


def _topic_events(lp: LocalPipeline, topic: str = TOPIC) -> list[dict[str, Any]]:
    return [json.loads(text) for text in lp.momento.messages(CACHE, topic)]


def _cache_puts(lp: LocalPipeline) -> list[Any]:
    assert lp.momento_server is not None
    return [r for r in lp.momento_server.requests if r.method == "PUT"]


def test_runs_every_pipe_of_the_stack(lp: LocalPipeline) -> None:
    names = sorted(spec.logical_id for spec in lp.pipes)
    assert names == ["CacheDeletePipe", "CachePutPipe", "PoisonPipe", "TopicPublishPipe"]
    assert lp.skipped_pipes == {}
    assert lp.momento_server is not None and CACHE in lp.momento_server.caches


def test_insert_and_modify_land_in_the_cache_with_body_and_ttl(
    lp: LocalPipeline, put_weather: Any, fake_clock: Any
) -> None:
    put_weather(lp.dynamodb, _table(lp), "New York", 80, 61, 20, ttl=120)
    lp.drain(timeout=10)
    stored = lp.momento.get(CACHE, "New York")
    assert stored is not None
    assert json.loads(stored) == {
        "Location": "New York",
        "MaxTemp": "80",
        "MinTemp": "61",
        "ChancesOfPrecipitation": "20",
    }
    put_weather(lp.dynamodb, _table(lp), "New York", 82, 61, 35, ttl=60)
    lp.drain(timeout=10)
    updated = lp.momento.get(CACHE, "New York")
    assert updated is not None and json.loads(updated)["MaxTemp"] == "82"
    puts = _cache_puts(lp)
    assert [r.query["ttl_seconds"] for r in puts] == [["120"], ["60"]]
    assert all(r.headers["content-type"] == "application/json; charset=utf-8" for r in puts)
    # The TTL of the last write governs expiry.
    fake_clock.advance(59)
    assert lp.momento.get(CACHE, "New York") is not None
    fake_clock.advance(2)
    assert lp.momento.get(CACHE, "New York") is None


def test_remove_evicts_the_key(lp: LocalPipeline, put_weather: Any) -> None:
    put_weather(lp.dynamodb, _table(lp), "Rio de Janeiro", 90)
    lp.drain(timeout=10)
    assert lp.momento.get(CACHE, "Rio de Janeiro") is not None
    lp.dynamodb.delete_item(TableName=_table(lp), Key={"Location": {"S": "Rio de Janeiro"}})
    lp.drain(timeout=10)
    assert lp.momento.get(CACHE, "Rio de Janeiro") is None
    assert lp.momento_server is not None
    deletes = [r for r in lp.momento_server.requests if r.method == "DELETE"]
    assert [r.query["key"] for r in deletes] == [["Rio de Janeiro"]]
    assert lp.dead_letters() == []


def test_every_change_is_published(lp: LocalPipeline, put_weather: Any) -> None:
    with lp.momento.subscribe(CACHE, TOPIC, timeout=10) as subscription:
        put_weather(lp.dynamodb, _table(lp), "San Francisco", 70)
        put_weather(lp.dynamodb, _table(lp), "San Francisco", 71)
        lp.dynamodb.delete_item(TableName=_table(lp), Key={"Location": {"S": "San Francisco"}})
        lp.drain(timeout=10)
        streamed = [json.loads(next(subscription)) for _ in range(3)]
    published = _topic_events(lp)
    assert streamed == published
    assert [event["eventName"] for event in published] == ["INSERT", "MODIFY", "REMOVE"]
    assert all(event["keys"] == {"Location": {"S": "San Francisco"}} for event in published)
    sequence_numbers = [int(event["sequenceNumber"]) for event in published]
    assert sequence_numbers == sorted(sequence_numbers)
    assert lp.momento_server is not None
    posts = [r for r in lp.momento_server.requests if r.method == "POST"]
    assert {r.headers["content-type"] for r in posts} == {"text/plain"}


def test_keys_with_spaces_round_trip(lp: LocalPipeline, put_weather: Any) -> None:
    cities = ["New York", "San Francisco", "Rio de Janeiro", "São Paulo"]
    for index, city in enumerate(cities):
        put_weather(lp.dynamodb, _table(lp), city, 60 + index)
    lp.drain(timeout=10)
    for index, city in enumerate(cities):
        stored = lp.momento.get(CACHE, city)
        assert stored is not None, city
        assert json.loads(stored)["MaxTemp"] == str(60 + index)
    assert lp.momento_server is not None
    keys = set(lp.momento_server.items(CACHE))
    assert keys == {city.encode() for city in cities}


def test_momento_500_then_success_is_retried(lp: LocalPipeline, put_weather: Any) -> None:
    assert lp.momento_server is not None
    lp.momento_server.inject_failures(500, count=1, method="PUT")
    put_weather(lp.dynamodb, _table(lp), "Lima", 75)
    lp.drain(timeout=10)
    assert lp.momento.get(CACHE, "Lima") is not None
    assert [r.status for r in _cache_puts(lp)] == [500, 204]
    assert lp.dead_letters() == []
    outcomes = [e.outcome for e in lp.events("CachePutPipe")]
    assert outcomes == ["retrying", "delivered"]


def test_a_400_goes_to_the_dlq_and_nothing_else_is_lost(
    lp: LocalPipeline, put_weather: Any
) -> None:
    assert lp.momento_server is not None
    # A 400 is a customer invocation error: 1 try + MaximumRetryAttempts (5) retries, then
    # the DLQ (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-error-troubleshooting.html).
    lp.momento_server.inject_failures(400, count=6, method="PUT")
    put_weather(lp.dynamodb, _table(lp), "Oslo", 40)
    put_weather(lp.dynamodb, _table(lp), "Lisbon", 70)
    lp.drain(timeout=10)
    assert lp.momento.get(CACHE, "Oslo") is None
    assert lp.momento.get(CACHE, "Lisbon") is not None
    assert [r.status for r in _cache_puts(lp)] == [400] * 6 + [204]
    letters = lp.dead_letters()
    assert len(letters) == 1
    letter = letters[0]
    put_pipe = lp.pipe("CachePutPipe")
    assert letter["context"] == {
        "partnerResourceArn": put_pipe.arn,
        "condition": "RetryAttemptsExhausted",
    }
    assert letter["version"] == "1.0"
    info = letter["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["streamArn"] == put_pipe.source_arn
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert set(info) == {
        "shardId",
        "startSequenceNumber",
        "endSequenceNumber",
        "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord",
        "batchSize",
        "streamArn",
    }
    # The record's own events reached the topic: the topic pipe is independent.
    assert [e["keys"]["Location"]["S"] for e in _topic_events(lp)] == ["Oslo", "Lisbon"]
    first_insert = int(_topic_events(lp)[0]["sequenceNumber"])
    assert int(info["startSequenceNumber"]) == first_insert
    assert lp.dead_letters() == letters  # reading does not consume


def test_exhausted_retries_go_to_the_dlq(lp: LocalPipeline, put_weather: Any) -> None:
    assert lp.momento_server is not None
    lp.momento_server.inject_failures(503, count=6, method="PUT")  # 1 try + 5 retries
    put_weather(lp.dynamodb, _table(lp), "Cairo", 99)
    put_weather(lp.dynamodb, _table(lp), "Nairobi", 80)
    lp.drain(timeout=15)
    assert [r.status for r in _cache_puts(lp)] == [503] * 6 + [204]
    assert lp.momento.get(CACHE, "Cairo") is None
    assert lp.momento.get(CACHE, "Nairobi") is not None
    letters = lp.dead_letters()
    assert len(letters) == 1
    assert letters[0]["context"]["partnerResourceArn"] == lp.pipe("CachePutPipe").arn


def test_a_timeout_is_retried(weather_assembly: Path, put_weather: Any) -> None:
    with LocalPipeline.from_cloud_assembly(
        weather_assembly, momento="local", http_timeout=0.3, retry_base_delay=0.01
    ) as pipeline:
        assert pipeline.momento_server is not None
        pipeline.momento_server.inject_failures(0, count=1, method="PUT", delay=0.8)
        put_weather(pipeline.dynamodb, pipeline.table_name(TABLE_PATH), "Quito", 65)
        pipeline.drain(timeout=10)
        assert pipeline.momento.get(CACHE, "Quito") is not None
        outcomes = [e.outcome for e in pipeline.events("CachePutPipe")]
        assert outcomes == ["retrying", "delivered"]
        assert "request failed" in pipeline.events("CachePutPipe")[0].error
        assert pipeline.dead_letters() == []


def test_a_missing_template_path_fails_loudly_to_the_dlq(
    lp: LocalPipeline, put_weather: Any, caplog: pytest.LogCaptureFixture
) -> None:
    put_weather(lp.dynamodb, _table(lp), "Poison Springs", 50)
    lp.dynamodb.delete_item(TableName=_table(lp), Key={"Location": {"S": "Poison Springs"}})
    lp.drain(timeout=10)
    # The INSERT renders; the REMOVE has no NewImage and must not be sent at all.
    assert [json.loads(m) for m in lp.momento.messages(CACHE, POISON_TOPIC)] == [{"MaxTemp": "50"}]
    letters = lp.dead_letters()
    assert [letter["context"]["partnerResourceArn"] for letter in letters] == [
        lp.pipe("PoisonPipe").arn
    ]
    assert any(
        "$.dynamodb.NewImage.MaxTemp.N" in record.getMessage() and record.levelname == "ERROR"
        for record in caplog.records
    )
    failed = [e for e in lp.events("PoisonPipe") if e.outcome == "failed"]
    assert len(failed) == 1 and failed[0].event_name == "REMOVE"


def test_order_holds_within_a_pipe(lp: LocalPipeline, put_weather: Any) -> None:
    assert lp.momento_server is not None
    lp.momento_server.inject_failures(500, count=2, method="PUT")  # retries must not reorder
    temperatures = list(range(50, 70))
    for temperature in temperatures:
        put_weather(lp.dynamodb, _table(lp), "Reykjavik", temperature)
    lp.drain(timeout=20)
    delivered = [json.loads(r.body)["MaxTemp"] for r in _cache_puts(lp) if r.status == 204]
    assert delivered == [str(t) for t in temperatures]
    stored = lp.momento.get(CACHE, "Reykjavik")
    assert stored is not None and json.loads(stored)["MaxTemp"] == "69"
    published = [int(e["sequenceNumber"]) for e in _topic_events(lp)]
    assert len(published) == len(temperatures) and published == sorted(published)


def test_a_failing_pipe_does_not_hold_up_the_others(
    lp: LocalPipeline, put_weather: Any, wait_for: Any
) -> None:
    assert lp.momento_server is not None
    # The cache pipe keeps failing for a while; the topic pipe must deliver meanwhile.
    lp.momento_server.inject_failures(500, count=6, method="PUT", delay=0.1)
    put_weather(lp.dynamodb, _table(lp), "Tokyo", 77)
    assert wait_for(lambda: len(lp.momento.messages(CACHE, TOPIC)) == 1, timeout=5)
    assert lp.momento.get(CACHE, "Tokyo") is None
    lp.drain(timeout=15)


def test_auth_header_is_the_secret_value(lp: LocalPipeline, put_weather: Any) -> None:
    put_weather(lp.dynamodb, _table(lp), "Paris", 68)
    lp.drain(timeout=10)
    secret = lp.aws.secretsmanager().get_secret_value(SecretId="momento/api-key")
    api_key = json.loads(secret["SecretString"])["apiKey"]
    assert lp.momento_server is not None
    requests = lp.momento_server.requests
    assert requests and {r.headers["authorization"] for r in requests} == {api_key}
    assert {r.headers["user-agent"] for r in requests} == {"Amazon/EventBridge/ApiDestinations"}


def test_table_name_accepts_logical_ids_and_construct_paths(lp: LocalPipeline) -> None:
    name = lp.table_name(TABLE_PATH)
    assert lp.table_name(TABLE_PATH + "/Resource") == name
    assert lp.table_name("/" + TABLE_PATH + "/Resource") == name
    logical_id = lp.pipe("CachePutPipe").table_logical_id
    assert lp.table_name(logical_id) == name
    assert name in lp.dynamodb.list_tables()["TableNames"]
    with pytest.raises(KeyError):
        lp.table_name("WeatherStack/DeadLetterQueue")


def test_stop_removes_everything(weather_assembly: Path) -> None:
    import threading

    before = {thread.name for thread in threading.enumerate()}
    pipeline = LocalPipeline.from_cloud_assembly(weather_assembly, momento="local")
    with pipeline:
        endpoint = pipeline.momento_endpoint
        assert any(t.name.startswith("pipe-") for t in threading.enumerate())
    leftovers = {t.name for t in threading.enumerate() if t.is_alive()} - before
    assert not any(name.startswith(("pipe-", "local-momento")) for name in leftovers)
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(endpoint + "/cache/x?key=a", timeout=1)
