"""Idle shard workers back off, and drain() and stop() wake them."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

import pytest

from momento_eventbridge_constructs.local import LocalPipeline
from momento_eventbridge_constructs.local.shards import IdleBackoff


def test_idle_waits_double_up_to_the_cap_and_restart_when_records_arrive() -> None:
    idle = IdleBackoff(0.05, 1.0)
    waits = [idle.next_delay() for _ in range(8)]
    assert waits == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    idle.reset()
    assert idle.next_delay() == 0.05


def test_a_cap_below_the_first_wait_keeps_the_first_wait() -> None:
    idle = IdleBackoff(0.5, 0.1)
    assert [idle.next_delay() for _ in range(3)] == [0.5, 0.5, 0.5]


@pytest.mark.slow
def test_drain_and_stop_wake_workers_in_a_long_idle_wait(
    weather_assembly: Path, put_weather: Any
) -> None:
    # Idle workers would sleep 60 s between reads: only a wake-up lets drain() and stop()
    # finish within their timeouts.
    pipeline = LocalPipeline.from_cloud_assembly(
        weather_assembly, momento="local", poll_interval=60, max_poll_interval=60
    )
    with pipeline as lp:
        put_weather(lp.dynamodb, lp.table_name("WeatherStack/WeatherTable"), "Dakar", 90)
        lp.drain(timeout=5)
        assert lp.momento.get("momento-eventbridge-cache", "Dakar") is not None
        workers = [t for t in threading.enumerate() if t.name.startswith("pipe-")]
        assert workers
    assert not any(worker.is_alive() for worker in workers)


@pytest.fixture
def stream() -> Any:
    """A moto table with a stream: ``(LocalAws, stream ARN, shard ID, put(n))``."""
    from momento_eventbridge_constructs.local.aws import LocalAws

    aws = LocalAws(region="us-west-2").start()
    dynamodb = aws.dynamodb()
    dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    arn = dynamodb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    (shard,) = aws.streams().describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]

    written = itertools.count()

    def put(count: int) -> None:
        for _ in range(count):
            dynamodb.put_item(TableName="t", Item={"id": {"S": str(next(written))}})

    yield aws, arn, shard["ShardId"], put
    aws.stop()


def _newest_read(aws: Any, arn: str, shard_id: str) -> str:
    iterator = aws.streams().get_shard_iterator(
        StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = aws.streams().get_records(ShardIterator=iterator, Limit=1000)["Records"]
    return str(records[-1]["dynamodb"]["SequenceNumber"])


def test_the_newest_sequence_from_moto_is_the_newest_record_of_the_stream(stream: Any) -> None:
    from momento_eventbridge_constructs.local.shards import StreamReader

    aws, arn, shard_id, put = stream
    reader = StreamReader(aws)
    assert reader.last_sequence(arn, shard_id) is None
    put(3)
    assert aws.newest_sequence(arn, shard_id) == _newest_read(aws, arn, shard_id)
    assert reader.last_sequence(arn, shard_id) == _newest_read(aws, arn, shard_id)


def test_without_moto_internals_each_look_up_reads_only_the_records_written_since(
    stream: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from momento_eventbridge_constructs.local.shards import StreamReader

    aws, arn, shard_id, put = stream
    monkeypatch.setattr(aws, "newest_sequence", lambda *_: None)
    reader = StreamReader(aws)
    read: list[int] = []
    plain_read = reader.read

    def counting_read(iterator: str, limit: int) -> Any:
        records, following = plain_read(iterator, limit)
        read.append(len(records))
        return records, following

    monkeypatch.setattr(reader, "read", counting_read)
    put(4)
    assert reader.last_sequence(arn, shard_id) == _newest_read(aws, arn, shard_id)
    assert sum(read) == 4
    put(2)
    read.clear()
    assert reader.last_sequence(arn, shard_id) == _newest_read(aws, arn, shard_id)
    assert sum(read) == 2
    read.clear()
    assert reader.last_sequence(arn, shard_id) == _newest_read(aws, arn, shard_id)
    assert sum(read) == 0
