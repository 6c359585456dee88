"""A write that changes nothing produces no stream record, so nothing is delivered.

"If you perform a PutItem or UpdateItem operation that does not change any data in an item,
DynamoDB Streams does not write a stream record for that operation."
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html)
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from momento_eventbridge_constructs.local import LocalPipeline
from momento_eventbridge_constructs.local.stream_records import is_unchanged_write

CACHE = "momento-eventbridge-cache"
TOPIC = "momento-eventbridge-topic"
TABLE_PATH = "WeatherStack/WeatherTable"
RECORDS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "stream_records.json").read_text()
)


@pytest.fixture()
def lp(weather_assembly: Path) -> Iterator[LocalPipeline]:
    with LocalPipeline.from_cloud_assembly(weather_assembly, momento="local") as pipeline:
        yield pipeline


def _stream_records(lp: LocalPipeline) -> list[dict[str, Any]]:
    streams = lp.aws.streams()
    arn = lp.pipe("CachePutPipe").source_arn
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return list(streams.get_records(ShardIterator=iterator, Limit=1000)["Records"])


@pytest.mark.slow
def test_writing_the_same_item_twice_delivers_once(lp: LocalPipeline, put_weather: Any) -> None:
    table = lp.table_name(TABLE_PATH)
    put_weather(lp.dynamodb, table, "Accra", 88)
    put_weather(lp.dynamodb, table, "Accra", 88)
    lp.dynamodb.update_item(
        TableName=table,
        Key={"Location": {"S": "Accra"}},
        UpdateExpression="SET MaxTemp = :t",
        ExpressionAttributeValues={":t": {"N": "88"}},
    )
    lp.drain(timeout=10)
    # The stream itself holds one record: moto's no-op writes are dropped at the source.
    assert [r["eventName"] for r in _stream_records(lp)] == ["INSERT"]
    assert lp.momento_server is not None
    puts = [r for r in lp.momento_server.requests if r.method == "PUT"]
    assert [json.loads(r.body)["MaxTemp"] for r in puts] == ["88"]
    assert [json.loads(m)["eventName"] for m in lp.momento.messages(CACHE, TOPIC)] == ["INSERT"]

    put_weather(lp.dynamodb, table, "Accra", 89)  # a real change still flows
    lp.drain(timeout=10)
    assert [r["eventName"] for r in _stream_records(lp)] == ["INSERT", "MODIFY"]
    assert json.loads(lp.momento.get(CACHE, "Accra") or "{}")["MaxTemp"] == "89"


def test_the_fallback_drops_only_modify_records_with_equal_images() -> None:
    insert, modify = RECORDS[0], RECORDS[1]
    assert modify["eventName"] == "MODIFY"
    assert not is_unchanged_write(insert)
    assert not is_unchanged_write(modify)
    unchanged = copy.deepcopy(modify)
    unchanged["dynamodb"]["NewImage"] = copy.deepcopy(unchanged["dynamodb"]["OldImage"])
    assert is_unchanged_write(unchanged)
    new_image_only = copy.deepcopy(unchanged)
    del new_image_only["dynamodb"]["OldImage"]
    assert not is_unchanged_write(new_image_only)  # what the fallback cannot see
