"""redrive, end to end through the local runtime: dead letters of pipes and of a sync leave
the cache equal to the table and the queues empty; expired stream records stay, explained."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from momento_eventbridge_constructs.ops import RedriveOptions, run_redrive

from .._support import TextSink
from ._weather import WEATHER_BODIES, WEATHER_CACHE, WEATHER_TTLS, weather_items
from .conftest import BATCHED_SYNC_STACK, CACHE, PIPES_STACK, SYNC_CACHE, SYNC_STACK

pytestmark = pytest.mark.slow


def _order(order_id: str, status: str) -> dict[str, Any]:
    return {"OrderId": {"S": order_id}, "status": {"S": status}, "ttl": {"N": "600"}}


def _cache_equals_table(deployed: Any, table: str, cache: str, key: Any) -> None:
    items = deployed.lp.dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    cached = {k.decode(): json.loads(v) for k, v in deployed.server.items(cache).items()}
    assert cached == {key(item): {"item": item} for item in items}


def _dead_letters(deployed: Any, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    letters: list[dict[str, Any]] = deployed.lp.dead_letters()
    while len(letters) < count and time.monotonic() < deadline:
        time.sleep(0.05)
        letters = deployed.lp.dead_letters()
    assert len(letters) == count
    return letters


def _pipe_letters(deployed: Any, table: str) -> None:
    """Two failed sets (A, B) and a failed delete (C stays cached although deleted)."""
    lp = deployed.lp
    deployed.server.inject_failures(500, 4, method="PUT")  # 1 try + 1 retry, 2 records
    lp.dynamodb.put_item(TableName=table, Item=_order("A", "new"))
    lp.dynamodb.put_item(TableName=table, Item=_order("B", "new"))
    lp.drain(timeout=30)
    lp.dynamodb.put_item(TableName=table, Item=_order("C", "new"))
    lp.drain(timeout=30)
    deployed.server.inject_failures(500, 2, method="DELETE")
    lp.dynamodb.delete_item(TableName=table, Key={"OrderId": {"S": "C"}})
    lp.dynamodb.put_item(TableName=table, Item=_order("B", "paid"))  # applied by the pipe
    lp.drain(timeout=30)
    letters = _dead_letters(deployed, 3)
    assert all("DDBStreamBatchInfo" in letter for letter in letters)
    assert deployed.cached(CACHE, "C") is not None and deployed.cached(CACHE, "A") is None


def test_pipe_dead_letters_leave_the_cache_equal_to_the_table_and_the_queue_empty(
    deploy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = deploy(PIPES_STACK)
    table = deployed.table("Orders")
    _pipe_letters(deployed, table)

    assert deployed.cli("redrive", "--queue-url", deployed.dead_letter_url()) == 0

    _cache_equals_table(deployed, table, CACHE, lambda item: item["OrderId"]["S"])
    assert deployed.cached(CACHE, "B") == {"item": _order("B", "paid")}
    assert deployed.queue_depth() == 0
    out = capsys.readouterr().out
    assert "messages redriven: 3" in out and "keys set: 2" in out and "keys deleted: 1" in out
    # Nothing left: a second run reads no message and changes nothing.
    before = len(deployed.server.requests)
    assert deployed.cli("redrive", "--queue-url", deployed.dead_letter_url()) == 0
    assert "messages: 0" in capsys.readouterr().out
    assert len(deployed.server.requests) == before


def test_a_dry_run_writes_nothing_and_keeps_the_messages(
    deploy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = deploy(PIPES_STACK)
    table = deployed.table("Orders")
    _pipe_letters(deployed, table)
    before = len(deployed.server.requests)

    names = [f"--resource={name}" for name in deployed.resources]  # instead of CloudFormation
    assert deployed.cli("redrive", "--dry-run", *names) == 0

    assert len(deployed.server.requests) == before
    assert deployed.queue_depth() == 3
    out = capsys.readouterr().out
    assert "would set: PUT orders key='A' ttl=600s" in out
    assert "would delete: DELETE orders key='C'" in out


def test_sync_dead_letters_leave_the_cache_equal_to_the_table_and_the_queue_empty(
    deploy: Any,
) -> None:
    deployed = deploy(SYNC_STACK)
    table = deployed.table("Readings")
    lp = deployed.lp
    far = str(int(time.time()) + 3600)

    def reading(station: str, day: int, temp: int) -> dict[str, Any]:
        return {
            "station": {"S": station},
            "day": {"N": str(day)},
            "temp": {"N": str(temp)},
            "expiresAt": {"N": far},
        }

    deployed.server.inject_failures(500, 4, method="PUT")  # 1 try + 3 retries inside
    lp.dynamodb.put_item(TableName=table, Item=reading("Oslo", 1, -3))
    lp.dynamodb.put_item(TableName=table, Item=reading("Lima", 2, 20))
    lp.drain(timeout=30)
    deployed.server.inject_failures(500, 4, method="DELETE")
    lp.dynamodb.delete_item(TableName=table, Key={"station": {"S": "Lima"}, "day": {"N": "2"}})
    lp.drain(timeout=30)
    letters = _dead_letters(deployed, 2)
    assert {letter["momentoKey"] for letter in letters} == {"Oslo#1", "Lima#2"}
    assert deployed.cached(SYNC_CACHE, "Lima#2") is not None

    report = run_redrive(
        deployed.context(), RedriveOptions(receive_wait_seconds=0), TextSink(), TextSink()
    )

    assert report.exit_status == 0 and not report.left
    _cache_equals_table(
        deployed, table, SYNC_CACHE, lambda item: f"{item['station']['S']}#{item['day']['N']}"
    )
    assert deployed.queue_depth() == 0
    assert not [r for r in deployed.server.requests if r.method == "POST" and r.status != 204]


def test_a_batched_sync_dead_letter_with_all_its_changes_is_redriven(deploy: Any) -> None:
    """One dead letter for a key whose changes a batch collapsed: redrive writes the item as
    the table holds it."""
    deployed = deploy(BATCHED_SYNC_STACK, autostart_pipes=False)
    table = deployed.table("Readings")
    lp = deployed.lp
    far = str(int(time.time()) + 3600)
    key = {"station": {"S": "Oslo"}, "day": {"N": "1"}}
    for temp in (-3, -4):
        lp.dynamodb.put_item(
            TableName=table, Item={**key, "temp": {"N": str(temp)}, "expiresAt": {"N": far}}
        )
    lp.dynamodb.delete_item(TableName=table, Key=key)
    lp.dynamodb.put_item(
        TableName=table, Item={**key, "temp": {"N": "-5"}, "expiresAt": {"N": far}}
    )
    deployed.server.inject_failures(500, 4, method="PUT")  # 1 try + 3 retries inside
    lp.start_pipes()
    lp.drain(timeout=30)
    (letter,) = _dead_letters(deployed, 1)
    assert letter["momentoKey"] == "Oslo#1"
    assert [c["eventName"] for c in letter["changes"]] == ["INSERT", "MODIFY", "REMOVE", "INSERT"]
    assert deployed.cached(SYNC_CACHE, "Oslo#1") is None

    report = run_redrive(
        deployed.context(), RedriveOptions(receive_wait_seconds=0), TextSink(), TextSink()
    )

    assert report.exit_status == 0 and not report.left
    _cache_equals_table(
        deployed, table, SYNC_CACHE, lambda item: f"{item['station']['S']}#{item['day']['N']}"
    )
    assert deployed.cached(SYNC_CACHE, "Oslo#1")["item"]["temp"] == {"N": "-5"}
    assert deployed.queue_depth() == 0


def test_a_batch_announcement_dead_letter_names_every_key_and_is_redriven(deploy: Any) -> None:
    """The batch's one announcement fails every retry: one dead letter with all the batch's
    changes; redrive reads each key from the table and leaves the queue empty."""
    deployed = deploy(BATCHED_SYNC_STACK, autostart_pipes=False)
    table = deployed.table("Readings")
    lp = deployed.lp
    far = str(int(time.time()) + 3600)
    for station, temp in (("Oslo", 1), ("Lima", 2), ("Oslo", 3)):
        item = {"station": {"S": station}, "day": {"N": "1"}, "temp": {"N": str(temp)}}
        lp.dynamodb.put_item(TableName=table, Item={**item, "expiresAt": {"N": far}})
    deployed.server.inject_failures(503, 4, method="POST")  # 1 try + 3 retries inside
    lp.start_pipes()
    lp.drain(timeout=30)
    (letter,) = _dead_letters(deployed, 1)
    assert letter["stage"] == "announce" and "keys" not in letter
    assert [c["keys"]["station"]["S"] for c in letter["changes"]] == ["Oslo", "Lima", "Oslo"]
    before = len(deployed.server.requests)

    report = run_redrive(
        deployed.context(), RedriveOptions(receive_wait_seconds=0), TextSink(), TextSink()
    )

    assert report.exit_status == 0 and not report.left
    rewritten = [r.query["key"][0] for r in deployed.server.requests[before:] if r.method == "PUT"]
    assert sorted(rewritten) == ["Lima#1", "Oslo#1"]
    _cache_equals_table(
        deployed, table, SYNC_CACHE, lambda item: f"{item['station']['S']}#{item['day']['N']}"
    )
    assert deployed.queue_depth() == 0


@pytest.mark.parametrize("stack", ["WeatherStack", "WeatherSyncStack"])
def test_weather_dead_letters_are_redriven_with_the_bodies_keys_and_ttls_written_out(
    deploy: Any, stack: str
) -> None:
    deployed = deploy(stack)
    table = deployed.table("WeatherTable")
    deployed.server.inject_failures(500, 10_000, method="PUT")  # every set fails
    for item in weather_items():
        deployed.lp.dynamodb.put_item(TableName=table, Item=item)
    deployed.lp.drain(timeout=60)
    assert deployed.lp.dead_letters()
    deployed.server.clear_failures()
    before = len(deployed.server.requests)

    report = run_redrive(
        deployed.context(), RedriveOptions(receive_wait_seconds=0), TextSink(), TextSink()
    )

    assert report.exit_status == 0 and not report.left
    written = {
        request.query["key"][0]: (request.body, request.query["ttl_seconds"][0])
        for request in deployed.server.requests[before:]
        if request.method == "PUT" and request.path == WEATHER_CACHE and request.status == 204
    }
    expected = {key: (body, WEATHER_TTLS[key]) for key, body in WEATHER_BODIES[stack].items()}
    assert written == expected
    assert deployed.queue_depth() == 0


def test_records_expired_from_the_stream_stay_in_the_queue_with_the_reason(
    deploy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = deploy(PIPES_STACK)
    table = deployed.table("Orders")
    deployed.server.inject_failures(500, 2, method="PUT")
    deployed.lp.dynamodb.put_item(TableName=table, Item=_order("A", "new"))
    deployed.lp.drain(timeout=30)
    _dead_letters(deployed, 1)
    context = deployed.context()
    client = context.aws.client

    class TrimmedStream:
        """The stream after 24 hours: the range was trimmed."""

        def get_shard_iterator(self, **request: Any) -> Any:
            error = {"Code": "TrimmedDataAccessException", "Message": "trimmed"}
            raise ClientError({"Error": error}, "GetShardIterator")

    monkeypatch.setattr(
        context.aws,
        "client",
        lambda service: TrimmedStream() if service == "dynamodbstreams" else client(service),
    )
    out = TextSink()
    report = run_redrive(context, RedriveOptions(receive_wait_seconds=0), out, TextSink())

    assert report.exit_status == 1
    assert deployed.queue_depth() == 1
    assert "expired from the stream (24-hour retention)" in out.text
    assert "run `backfill`" in out.text
    assert deployed.cached(CACHE, "A") is None


def test_each_message_left_is_reported_by_what_went_wrong_with_it(deploy: Any) -> None:
    """A body that is not JSON says so; a JSON body naming something unusable says what."""
    deployed = deploy(PIPES_STACK)
    sqs = deployed.lp.aws.sqs()
    url = deployed.dead_letter_url()
    garbled = sqs.send_message(QueueUrl=url, MessageBody="{not json")["MessageId"]
    not_a_stream = {
        "DDBStreamBatchInfo": {
            "shardId": "shardId-1",
            "startSequenceNumber": "100",
            "endSequenceNumber": "100",
            "streamArn": "arn:aws:sqs:us-west-2:123456789012:not-a-stream",
        }
    }
    misnamed = sqs.send_message(QueueUrl=url, MessageBody=json.dumps(not_a_stream))["MessageId"]
    out = TextSink()

    report = run_redrive(
        deployed.context(),
        RedriveOptions(queue_urls=(url,), receive_wait_seconds=0),
        out,
        TextSink(),
    )

    reasons = dict(report.left)
    assert reasons[garbled] == "its body is not JSON"
    assert reasons[misnamed] == (
        "it cannot be redriven: arn:aws:sqs:us-west-2:123456789012:not-a-stream is not a "
        "DynamoDB stream ARN"
    )
    assert report.exit_status == 1
    assert deployed.queue_depth() == 2  # both stay for a later run
    assert "is not a DynamoDB stream ARN" in out.text
